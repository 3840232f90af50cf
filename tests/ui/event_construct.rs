//! An `Event` cannot be made outside `Case::decide`: its field is private (and of a private
//! type).
use authority_lane::case::{Case, Event};

fn forge<K>(case: &mut Case, kind: K) {
    let event = Event(kind);
    case.evolve(&event);
}

fn main() {
    let _ = forge::<()>;
}
