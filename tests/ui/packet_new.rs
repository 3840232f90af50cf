//! A `RecommendationPacket` cannot be built by hand: its constructor is private to the crate.
use authority_lane::ids::PrincipalId;
use authority_lane::packet::{DraftPacket, RecommendationPacket};

fn forge(draft: DraftPacket, accepted_by: PrincipalId) -> RecommendationPacket {
    RecommendationPacket::new(draft, accepted_by)
}

fn main() {
    let _ = forge;
}
