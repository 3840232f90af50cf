//! A `RecommendationPacket` cannot be built by hand: its constructor is private to the crate.
use authority_lane::ids::PrincipalId;
use authority_lane::packet::{DraftPacket, JournalRef, RecommendationPacket};

fn forge(draft: DraftPacket, accepted_by: PrincipalId, journal: JournalRef) -> RecommendationPacket {
    RecommendationPacket::new(draft, accepted_by, journal)
}

fn main() {
    let _ = forge;
}
