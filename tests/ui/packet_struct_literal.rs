//! A `RecommendationPacket` cannot be built by hand: its fields are private.
use authority_lane::ids::PrincipalId;
use authority_lane::packet::{DraftPacket, JournalRef, RecommendationPacket};

fn forge(draft: DraftPacket, accepted_by: PrincipalId, journal: JournalRef) -> RecommendationPacket {
    RecommendationPacket { draft, accepted_by, journal, consistency: Vec::new() }
}

fn main() {
    let _ = forge;
}
