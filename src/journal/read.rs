//! Reading: the chain check, and the verification of a whole journal line by line ([`scan`],
//! [`verify_records`]), with how its last line is classified.

use super::JournalRef;
use super::lean::check_lean_typed;
use super::line::{check_fast, check_full, check_line};
use super::{Checked, RawRecord};
use super::{JournalError, ReadReport, Record, TamperReason, TornTail};
use crate::digest::Digest;
use serde::de::{self, DeserializeOwned};
use std::io::BufRead;
use std::marker::PhantomData;
use std::path::Path;

/// Incremental chain check: feeds lines in order, tracks the expected seq and prev.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    pub(super) next_seq: u64,
    pub(super) prev: Option<Digest>,
}

impl Chain {
    fn new() -> Self {
        Chain {
            next_seq: 0,
            prev: None,
        }
    }

    /// The chain after `records` (a verified prefix).
    pub(super) fn after(records: &[Record]) -> Self {
        Chain {
            next_seq: records.len() as u64,
            prev: records.last().map(|r| r.hash.clone()),
        }
    }

    /// The last record's position, if there is one.
    pub(super) fn head(&self) -> Option<JournalRef> {
        self.prev.as_ref().map(|hash| JournalRef {
            seq: self.next_seq - 1,
            head: hash.clone(),
        })
    }

    /// Checks that a verified line continues the chain, and advances it.
    pub(super) fn link(&mut self, raw: &RawRecord<'_>) -> Result<(), TamperReason> {
        if raw.seq != self.next_seq {
            return Err(TamperReason::SeqOutOfOrder {
                expected: self.next_seq,
                found: raw.seq,
            });
        }
        if raw.prev != self.prev {
            return Err(TamperReason::BrokenChain {
                expected: self.prev.clone(),
                found: raw.prev.clone(),
            });
        }
        self.next_seq += 1;
        self.prev = Some(raw.hash.clone());
        Ok(())
    }

    /// Verifies the next line (complete, without its `\n`); `line` is 1-based.
    fn accept<'b>(&mut self, line: u64, bytes: &'b [u8]) -> Result<Checked<'b>, JournalError> {
        self.accept_with(&Plain, line, bytes)
            .map(|(checked, ())| checked)
    }

    /// [`Chain::accept`], checking the line with `check`.
    fn accept_with<'b, C: LineCheck>(
        &mut self,
        check: &C,
        line: u64,
        bytes: &'b [u8],
    ) -> Result<(Checked<'b>, C::Event), JournalError> {
        let checked = check
            .check(bytes)
            .map_err(|reason| JournalError::Tampered { line, reason })?;
        self.link(&checked.0.raw)
            .map_err(|reason| JournalError::Tampered { line, reason })?;
        Ok(checked)
    }
}

/// How a scan checks each line, and what else it reads from it on the way.
pub(super) trait LineCheck {
    /// What the check hands out beside the verified record.
    type Event;
    /// Checks one complete line (without its `\n`).
    fn check<'b>(&self, bytes: &'b [u8]) -> Result<(Checked<'b>, Self::Event), TamperReason>;
}

/// The line check alone ([`check_line`]).
pub(super) struct Plain;

impl LineCheck for Plain {
    type Event = ();
    fn check<'b>(&self, bytes: &'b [u8]) -> Result<(Checked<'b>, ()), TamperReason> {
        check_line(bytes).map(|checked| (checked, ()))
    }
}

/// The line check, with the event deserialised as a `T`: in the same pass when the line is on
/// the lean path, else from the JSON value the Value-based paths parse (`None` when the event
/// is not a `T`: the caller then reads it from its text and reports why).
pub(super) struct Typed<T>(PhantomData<fn() -> T>);

impl<T> Typed<T> {
    pub(super) fn new() -> Self {
        Typed(PhantomData)
    }
}

impl<T: DeserializeOwned> LineCheck for Typed<T> {
    type Event = Option<T>;
    fn check<'b>(&self, bytes: &'b [u8]) -> Result<(Checked<'b>, Option<T>), TamperReason> {
        if let Some((checked, event)) = check_lean_typed::<T>(bytes) {
            return Ok((checked, Some(event)));
        }
        // Off the lean path (the untyped lean check would refuse the line too), or not a `T`:
        // the Value-based paths, and the `T` read from the value they parsed.
        let checked = match check_fast(bytes) {
            Some(checked) => checked,
            None => check_full(bytes)?,
        };
        let event = checked.event.as_ref().and_then(|v| T::deserialize(v).ok());
        Ok((checked, event))
    }
}

/// Verifies a whole journal from `reader`: the single chain check used by [`read_file`] and
/// [`MemoryJournal`](super::MemoryJournal). Linear: each line is parsed once and hashed once.
///
/// A torn last line is reported as a [`TornTail`], not an error; an unterminated last record
/// is a record ([`ReadReport::unterminated`]). Every complete line must verify, else
/// [`JournalError::Tampered`]; no record at all is [`JournalError::Empty`] (also when the only
/// content is a torn genesis).
pub fn verify_records<R: BufRead>(reader: R) -> Result<ReadReport, JournalError> {
    let mut records = Vec::new();
    let mut chain = Chain::new();
    let tail = scan_from(reader, None, &mut chain, 0, &Plain, |c: Checked<'_>, ()| {
        records.push(c.into_record());
        Ok::<(), JournalError>(())
    })?;
    if records.is_empty() {
        return Err(JournalError::Empty);
    }
    Ok(ReadReport {
        records,
        torn_tail: tail.torn_tail,
        unterminated: tail.unterminated,
    })
}

/// What [`scan`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Verified records (including an unterminated last one).
    pub records: u64,
    /// The last verified record's seq and hash.
    pub head: Option<(u64, Digest)>,
    /// A partial last line a crashed writer left, if any.
    pub torn_tail: Option<TornTail>,
    /// The last record lacks its final newline (see [`ReadReport::unterminated`]).
    pub unterminated: bool,
    /// Bytes of verified content (an unterminated last record included).
    pub len: u64,
    /// Bytes of the last verified line (with its newline, if it has one): where that line
    /// starts is `len - last_line_len` from the scan's start.
    pub last_line_len: u64,
}

/// Verifies a journal line by line, handing each verified record to `each` with its event still
/// as JSON text, without keeping records in memory: the streaming read path for replay.
pub fn scan<R: BufRead, E: From<JournalError>>(
    reader: R,
    mut each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    scan_checked(reader, &Plain, |c, ()| each(c.raw))
}

/// [`scan`], also handing `each` the record's event deserialised as a `T`: in the same pass as
/// the line's check for the common line (see `lean`), else from the JSON value the other
/// paths parse; `None` when the event is not a `T` (not an error here: the event is still in
/// [`RawRecord::event`]). Replay reads each event once this way.
pub(crate) fn scan_typed<R: BufRead, T: DeserializeOwned, E: From<JournalError>>(
    reader: R,
    mut each: impl FnMut(RawRecord<'_>, Option<T>) -> Result<(), E>,
) -> Result<Scan, E> {
    scan_checked(reader, &Typed::<T>::new(), |c, event| each(c.raw, event))
}

/// A whole journal from its start, each line checked by `check`.
fn scan_checked<R: BufRead, E: From<JournalError>, C: LineCheck>(
    reader: R,
    check: &C,
    each: impl FnMut(Checked<'_>, C::Event) -> Result<(), E>,
) -> Result<Scan, E> {
    let mut chain = Chain::new();
    let tail = scan_from(reader, None, &mut chain, 0, check, each)?;
    if chain.next_seq == 0 {
        return Err(JournalError::Empty.into());
    }
    Ok(Scan {
        records: chain.next_seq,
        head: chain.prev.map(|hash| (chain.next_seq - 1, hash)),
        torn_tail: tail.torn_tail,
        unterminated: tail.unterminated,
        len: tail.len,
        last_line_len: tail.last_line.len() as u64,
    })
}

/// Like [`scan`], for a stream that continues a verified journal whose last record is `after`
/// (a writer catching up with records other writers appended): the first line must be record
/// `after.seq + 1` with `prev` = `after.head`. An empty stream is no error (nothing new):
/// [`Scan::records`] counts the new records only, and [`Scan::head`] is `None` then.
pub fn scan_after<R: BufRead, E: From<JournalError>>(
    reader: R,
    after: &JournalRef,
    mut each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    let mut chain = Chain {
        next_seq: after.seq + 1,
        prev: Some(after.head.clone()),
    };
    let tail = scan_from(reader, None, &mut chain, 0, &Plain, |c: Checked<'_>, ()| {
        each(c.raw)
    })?;
    let records = chain.next_seq - (after.seq + 1);
    Ok(Scan {
        records,
        head: (records > 0)
            .then(|| chain.prev.map(|hash| (chain.next_seq - 1, hash)))
            .flatten(),
        torn_tail: tail.torn_tail,
        unterminated: tail.unterminated,
        len: tail.len,
        last_line_len: tail.last_line.len() as u64,
    })
}

/// Reads and verifies only the first line of a journal: record 0 (complete, with its
/// newline).
pub fn first_record<R: BufRead>(reader: R) -> Result<Record, JournalError> {
    let line = one_line(reader)?;
    let body = line.strip_suffix(b"\n").ok_or(JournalError::Empty)?;
    Ok(Chain::new().accept(1, body)?.into_record())
}

/// The next line of `reader`, with its newline if it has one.
fn one_line<R: BufRead>(mut reader: R) -> Result<Vec<u8>, JournalError> {
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .map_err(|source| JournalError::from_read(None, source))?;
    Ok(line)
}

/// Reads and verifies one complete line on its own (canonical form and hash; no chain link):
/// the record a reader that starts at a line's offset finds there.
pub fn record_at<R: BufRead>(reader: R) -> Result<Record, JournalError> {
    let line = one_line(reader)?;
    let body = line.strip_suffix(b"\n").ok_or(JournalError::Empty)?;
    let checked = check_line(body).map_err(|reason| JournalError::Tampered { line: 0, reason })?;
    Ok(checked.into_record())
}

/// Like [`scan_after`], for a reader that starts at the line of record `at` itself (where a
/// snapshot says that line is): the line must be complete, verify, and be record `at.seq`
/// with hash `at.head`, else [`JournalError::Tampered`]; the lines after it continue the
/// chain from it. [`Scan::records`] counts the records after `at`; [`Scan::len`] includes
/// `at`'s line.
pub fn scan_resuming<R: BufRead, E: From<JournalError>>(
    mut reader: R,
    at: &JournalRef,
    mut each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    let line = at.seq + 1;
    let first = one_line(&mut reader)?;
    let anchored = first
        .strip_suffix(b"\n")
        .and_then(|body| check_line(body).ok())
        .is_some_and(|c| c.raw.seq == at.seq && c.raw.hash == at.head);
    if !anchored {
        return Err(JournalError::Tampered {
            line,
            reason: TamperReason::BadField {
                field: "hash",
                detail: format!(
                    "the line here is not record {} with hash {}",
                    at.seq, at.head
                ),
            },
        }
        .into());
    }
    let mut chain = Chain {
        next_seq: at.seq + 1,
        prev: Some(at.head.clone()),
    };
    let first_len = first.len() as u64;
    let tail = scan_from(reader, None, &mut chain, first_len, &Plain, |c, ()| {
        each(c.raw)
    })?;
    let records = chain.next_seq - (at.seq + 1);
    Ok(Scan {
        records,
        head: chain.prev.map(|hash| (chain.next_seq - 1, hash)),
        torn_tail: tail.torn_tail,
        unterminated: tail.unterminated,
        len: first_len + tail.len,
        last_line_len: if records == 0 {
            first_len
        } else {
            tail.last_line.len() as u64
        },
    })
}

/// How a scan ended.
pub(super) struct Tail {
    /// Bytes of verified content read (from the scan's start).
    pub(super) len: u64,
    /// The last verified line as read (with its `\n` unless unterminated); empty if none.
    pub(super) last_line: Vec<u8>,
    pub(super) torn_tail: Option<TornTail>,
    pub(super) unterminated: bool,
}

/// Every record line a writer writes begins with this.
const LINE_START: &[u8] = b"{\"at\":\"";

/// Verifies lines from `reader`, which starts at byte `offset` of the journal, continuing
/// `chain`; checks each line with `check` and hands each verified record to `each`. Line
/// numbers follow the chain's seq.
pub(super) fn scan_from<R: BufRead, E: From<JournalError>, C: LineCheck>(
    mut reader: R,
    path: Option<&Path>,
    chain: &mut Chain,
    offset: u64,
    check: &C,
    mut each: impl FnMut(Checked<'_>, C::Event) -> Result<(), E>,
) -> Result<Tail, E> {
    let mut buf = Vec::with_capacity(512);
    let mut last_line = Vec::new();
    let mut len = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| JournalError::from_read(path, source))?;
        if n == 0 {
            return Ok(Tail {
                len,
                last_line,
                torn_tail: None,
                unterminated: false,
            });
        }
        let line = chain.next_seq + 1;
        let Some(body) = buf.strip_suffix(b"\n") else {
            // `read_until` stops short of a newline only at end of input.
            return match classify_last_line(line, &buf)? {
                LastLine::Torn => Ok(Tail {
                    len,
                    last_line,
                    torn_tail: Some(TornTail {
                        offset: offset + len,
                        len: n as u64,
                    }),
                    unterminated: false,
                }),
                LastLine::Complete => {
                    let (mut checked, event) = chain.accept_with(check, line, &buf)?;
                    checked.raw.offset = offset + len;
                    each(checked, event)?;
                    Ok(Tail {
                        len: len + n as u64,
                        last_line: buf,
                        torn_tail: None,
                        unterminated: true,
                    })
                }
            };
        };
        let (mut checked, event) = chain.accept_with(check, line, body)?;
        checked.raw.offset = offset + len;
        each(checked, event)?;
        len += n as u64;
        // Keep the line (an O(1) swap); `buf` is cleared before it is reused.
        std::mem::swap(&mut last_line, &mut buf);
    }
}

enum LastLine {
    /// A strict prefix of a record line: JSON cut short.
    Torn,
    /// A complete JSON value: it must verify as the next record.
    Complete,
}

/// Classifies a last line without its newline. A crash mid-write leaves a strict prefix of a
/// canonical line (JSON that ends early, starting as every line does) or the whole line
/// without its newline; anything else was never written by a writer.
fn classify_last_line(line: u64, bytes: &[u8]) -> Result<LastLine, JournalError> {
    let tampered = |detail: String| JournalError::Tampered {
        line,
        reason: TamperReason::NotJson(format!(
            "last line has no newline and is not a prefix of a record line: {detail}"
        )),
    };
    let n = bytes.len().min(LINE_START.len());
    if bytes[..n] != LINE_START[..n] {
        return Err(tampered(format!(
            "a record line begins with {:?}",
            String::from_utf8_lossy(LINE_START)
        )));
    }
    match serde_json::from_slice::<de::IgnoredAny>(bytes) {
        Err(e) if e.is_eof() => Ok(LastLine::Torn),
        Err(e) => Err(tampered(e.to_string())),
        Ok(_) => Ok(LastLine::Complete),
    }
}

/// Reads and verifies a journal file without locking or modifying it. A torn last line (e.g. a
/// live writer's append in progress) is reported, not an error; an unterminated last record
/// is a record, reported as [`ReadReport::unterminated`].
pub fn read_file(path: &std::path::Path) -> Result<ReadReport, JournalError> {
    let file = std::fs::File::open(path).map_err(JournalError::io(path))?;
    verify_records(std::io::BufReader::with_capacity(1 << 16, file)).map_err(|e| match e {
        JournalError::Io { path: None, source } => JournalError::io(path)(source),
        other => other,
    })
}
