//! What the hand-written `Deserialize` impls of the case's wire types ([`Command`](super::Command),
//! [`EventRecord`](super::EventRecord)) share: a member read into its slot once, and the `at`
//! timestamp in the one grammar.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{Error, MapAccess};

/// An `at` member: an RFC 3339 timestamp in the crate's one grammar ([`crate::time`]).
#[derive(Deserialize)]
pub(super) struct At(#[serde(deserialize_with = "crate::time::de_at")] pub(super) DateTime<Utc>);

/// Reads the next value of `map` into `slot`, refusing a member that appears twice.
pub(super) fn slot<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    name: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}
