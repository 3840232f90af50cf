//! A `RecommendationPacket` cannot be materialised from JSON: it does not implement
//! `Deserialize`.
use authority_lane::packet::RecommendationPacket;

fn main() {
    let _forged = serde_json::from_str::<RecommendationPacket>("{}");
}
