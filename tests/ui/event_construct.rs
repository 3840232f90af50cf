//! An `Event` cannot be made outside `Case::decide`: its fields are private (and of a private
//! type).
use authority_lane::case::{Case, Event};

fn forge(case: &mut Case, recorded_at: chrono::DateTime<chrono::Utc>) {
    let event = Event {
        kind: todo!(),
        recorded_at,
    };
    let _ = case.evolve(event);
}

fn main() {
    let _ = forge;
}
