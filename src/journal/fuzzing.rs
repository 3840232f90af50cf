use super::TamperReason;
use super::line::{self, Checked, RawRecord};
use super::read::Chain;
use crate::digest::Digest;

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
