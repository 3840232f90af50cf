//! A `RecommendationPacket` cannot be built by hand: its fields are private.
use authority_lane::ids::PrincipalId;
use authority_lane::packet::{DraftPacket, RecommendationPacket};

fn forge(draft: DraftPacket, accepted_by: PrincipalId) -> RecommendationPacket {
    RecommendationPacket { draft, accepted_by }
}

fn main() {
    let _ = forge;
}
