//! An `Event` cannot be materialised from JSON: it does not implement `Deserialize` (replay
//! re-decides each recorded command instead).
use authority_lane::case::Event;

fn main() {
    let _forged = serde_json::from_str::<Event>(r#"{"type": "decision"}"#);
}
