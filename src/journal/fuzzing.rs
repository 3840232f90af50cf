use super::TamperReason;
use super::line;
use super::read::{Chain, LineCheck, Typed};
use super::{Checked, RawRecord};
use crate::digest::Digest;
use serde::de::DeserializeOwned;

fn linked<'a>(
    next_seq: u64,
    prev: Option<&Digest>,
    checked: Result<Checked<'a>, TamperReason>,
) -> Result<RawRecord<'a>, TamperReason> {
    let checked = checked?;
    let mut chain = Chain {
        next_seq,
        prev: prev.cloned(),
    };
    chain.link(&checked.raw)?;
    Ok(checked.raw)
}

/// The check replay uses: the fast path, falling back to the reference path. `line` is one
/// complete line without its `\n`; `next_seq` and `prev` are what the chain expects.
pub fn check_line_fast<'a>(
    next_seq: u64,
    prev: Option<&Digest>,
    line: &'a [u8],
) -> Result<RawRecord<'a>, TamperReason> {
    linked(next_seq, prev, line::check_line(line))
}

/// The reference check alone. Must return exactly what [`check_line_fast`] returns, for
/// every input.
pub fn check_line_full<'a>(
    next_seq: u64,
    prev: Option<&Digest>,
    line: &'a [u8],
) -> Result<RawRecord<'a>, TamperReason> {
    linked(next_seq, prev, line::check_full(line))
}

/// The check replay uses when it also wants each event as a `T` (`journal::scan_typed`): the event
/// is deserialised in the same pass as the line's check when the line is on the lean path,
/// else the line falls back to the Value-based and reference paths and the event is read from
/// the value they parsed. The record must be exactly what
/// [`check_line_full`] returns, for every input and every `T`; the event, when there is one,
/// what deserialising the record's event text as a `T` gives.
pub fn check_line_typed<'a, T: DeserializeOwned>(
    next_seq: u64,
    prev: Option<&Digest>,
    line: &'a [u8],
) -> (Result<RawRecord<'a>, TamperReason>, Option<T>) {
    match Typed::<T>::new().check(line) {
        Ok((checked, event)) => match linked(next_seq, prev, Ok(checked)) {
            Ok(raw) => (Ok(raw), event),
            Err(reason) => (Err(reason), None),
        },
        Err(reason) => (Err(reason), None),
    }
}
