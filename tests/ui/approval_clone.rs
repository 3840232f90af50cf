//! An `Approval` cannot be duplicated (and spent twice): it does not implement `Clone`.
use authority_lane::approval::{Approval, Review};

fn spend_twice(a: Approval<Review>) -> (Approval<Review>, Approval<Review>) {
    (a.clone(), a)
}

fn main() {
    let _ = spend_twice;
}
