//! A store's rows as a journal stream: what a backend that keeps one row per record (case id,
//! seq, hash, line; PostgreSQL, or your own) hands [`Backend::read_from`](super::Backend::read_from).
//!
//! The `seq` and `hash` columns serve the store's key and its compare-and-set; the line is the
//! record. The columns a store indexes must agree with the line they index (DESIGN §14): a row
//! whose `seq` column is not the next seq (a row removed or renumbered) or whose `seq` or `hash`
//! column is not its line's own is tampering, refused as it is read — so an edited column can
//! neither reorder the journal nor wedge later appends on a head that is not there.

use super::seal::tail_seq_and_hash;
use super::{JournalError, TamperReason};
use std::io::{self, Read};

/// The lines of `rows` — `(seq column, hash column, line)` in seq order, starting at seq `from`
/// — as one byte stream, each line followed by `\n`, each row checked with [`check_row`]. A
/// refused row, or a row source's own error, is a [`JournalError`] carried in the
/// `io::Error` ([`JournalError::from_read`] takes it back out).
pub struct RowLines<I> {
    rows: I,
    /// The seq the next row must hold.
    next: u64,
    line: Vec<u8>,
    pos: usize,
    /// The last row was read: the source must not be polled again.
    done: bool,
}

impl<I> RowLines<I> {
    /// The stream of `rows`, whose first row must hold seq `from`.
    pub fn new(rows: I, from: u64) -> RowLines<I> {
        RowLines {
            rows,
            next: from,
            line: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<I, H> Read for RowLines<I>
where
    I: Iterator<Item = Result<(i64, H, Vec<u8>), JournalError>>,
    H: AsRef<str>,
{
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.line.len() {
            if self.done {
                return Ok(0);
            }
            match self.rows.next() {
                None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(Err(e)) => return Err(io::Error::other(e)),
                Some(Ok((seq, hash, line))) => {
                    check_row(self.next, seq, hash.as_ref(), &line).map_err(io::Error::other)?;
                    self.next += 1;
                    self.line = line;
                    self.line.push(b'\n');
                    self.pos = 0;
                }
            }
        }
        let n = out.len().min(self.line.len() - self.pos);
        out[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Refuses a row whose `seq` column is not `expected`, or whose `seq` or `hash` column is not
/// its line's own. (A line without a record's tail is left to the line check, which refuses it
/// with its own reason.)
pub fn check_row(expected: u64, seq: i64, hash: &str, line: &[u8]) -> Result<(), JournalError> {
    let tampered = |reason| JournalError::Tampered {
        line: expected.saturating_add(1),
        reason,
    };
    if u64::try_from(seq).ok() != Some(expected) {
        return Err(tampered(TamperReason::StoreSeqGap {
            expected,
            found: seq,
        }));
    }
    if let Some((line_seq, line_hash)) = tail_seq_and_hash(line) {
        if line_seq != expected {
            return Err(tampered(TamperReason::StoreColumnMismatch {
                column: "seq",
                stored: seq.to_string(),
                line: line_seq.to_string(),
            }));
        }
        if line_hash != hash {
            return Err(tampered(TamperReason::StoreColumnMismatch {
                column: "hash",
                stored: format!("{hash:?}"),
                line: line_hash.to_owned(),
            }));
        }
    }
    Ok(())
}
