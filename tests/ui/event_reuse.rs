//! `Case::evolve` consumes its event, and an `Event` is not `Clone`: an event decided once is
//! applied at most once.
use authority_lane::case::{Case, Event};

fn twice(case: &mut Case, event: Event) {
    let _ = case.evolve(event);
    let _ = case.evolve(event);
}

fn copy(event: &Event) -> Event {
    event.clone()
}

fn main() {
    let _ = (twice, copy);
}
