//! An `Approval` cannot be materialised from JSON: it does not implement `Deserialize`.
use authority_lane::approval::{Approval, Review};

fn main() {
    let _forged = serde_json::from_str::<Approval<Review>>("{}");
}
