//! Sealing, the write path shared by every [`Store`]: entries are checked, chained and hashed
//! into records and their canonical lines.

use super::line::compact_is_canonical;
use super::{Entry, JournalError, Record, Store};
use crate::digest::{self, CanonicalError, Digest, MAX_SAFE_INTEGER};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The record without its hash: exactly what the hash covers.
#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    at: &'a DateTime<Utc>,
    prev: Option<&'a Digest>,
    event: &'a Value,
}

/// `,"hash":"sha256:<64 hex>"`: the hash member as it sits in a canonical line.
pub(super) const HASH_MEMBER_LEN: usize = ",\"hash\":\"".len() + 71 + 1;

/// Length of the members after `hash` in a canonical line: `,"prev":P,"seq":S}`.
pub(super) fn members_after_hash_len(prev: Option<&Digest>, seq: u64) -> usize {
    let prev_len = prev.map_or(4, |d| d.as_str().len() + 2);
    let seq_len = seq.checked_ilog10().map_or(1, |d| d as usize + 1);
    ",\"prev\":".len() + prev_len + ",\"seq\":".len() + seq_len + 1
}

/// The record without its hash, members in RFC 8785 order (for the fast path).
#[derive(Serialize)]
struct UnsealedSorted<'a> {
    /// The time as chrono serialises it (a JSON string).
    at: &'a RawValue,
    event: &'a Value,
    prev: Option<&'a Digest>,
    seq: u64,
}

/// The canonical bytes of a record without its hash.
///
/// Fast path: when `serde_json`'s compact form of the event is provably its RFC 8785 form
/// ([`compact_is_canonical`]: integers only, keys in order and none that UTF-16 would sort
/// differently), the record is written by `serde_json` directly, members in RFC 8785 order, with
/// no intermediate copy of the event. Anything else takes `serde_jcs`. A test checks the two
/// agree on every record the crate writes.
fn unsealed_bytes(
    seq: u64,
    at: &DateTime<Utc>,
    prev: Option<&Digest>,
    event: &Value,
) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    let at_json = at_json(at)?;
    unsealed_into(&mut out, seq, (at, &at_json), prev, event, false)?;
    Ok(out)
}

/// `at` as the JSON string chrono serialises it to.
fn at_json(at: &DateTime<Utc>) -> Result<Box<RawValue>, CanonicalError> {
    serde_json::value::to_raw_value(at).map_err(|e| CanonicalError::Serialize(e.to_string()))
}

/// Writes [`unsealed_bytes`] into `out` (cleared first). `at` comes with [`at_json`] of it,
/// which a batch's records share; `canonical`: the event's compact form is known to be
/// canonical (else it is checked).
fn unsealed_into(
    out: &mut Vec<u8>,
    seq: u64,
    (at, at_json): (&DateTime<Utc>, &RawValue),
    prev: Option<&Digest>,
    event: &Value,
    canonical: bool,
) -> Result<(), CanonicalError> {
    out.clear();
    if (canonical || compact_is_canonical(event)) && seq <= MAX_SAFE_INTEGER {
        let sorted = UnsealedSorted {
            at: at_json,
            event,
            prev,
            seq,
        };
        return serde_json::to_writer(out, &sorted)
            .map_err(|e| CanonicalError::Serialize(e.to_string()));
    }
    out.extend(digest::canonical_json(&Unsealed {
        seq,
        at,
        prev,
        event,
    })?);
    Ok(())
}

/// The canonical line of a record (without `\n`) from the canonical bytes of the record without
/// its hash: RFC 8785 writes members in key order and `hash` sorts between `event` and `prev`,
/// so the line is those bytes with the hash member inserted before `,"prev":`.
fn insert_hash(unsealed: &[u8], prev: Option<&Digest>, seq: u64, hash: &Digest) -> Vec<u8> {
    let mut line = Vec::with_capacity(unsealed.len() + HASH_MEMBER_LEN);
    push_with_hash(&mut line, unsealed, prev, seq, hash);
    line
}

/// Appends [`insert_hash`]`(unsealed, prev, seq, hash)` to `out`.
fn push_with_hash(
    out: &mut Vec<u8>,
    unsealed: &[u8],
    prev: Option<&Digest>,
    seq: u64,
    hash: &Digest,
) {
    let split = unsealed.len() - members_after_hash_len(prev, seq);
    out.reserve(unsealed.len() + HASH_MEMBER_LEN + 1);
    out.extend_from_slice(&unsealed[..split]);
    out.extend_from_slice(b",\"hash\":\"");
    out.extend_from_slice(hash.as_str().as_bytes());
    out.push(b'"');
    out.extend_from_slice(&unsealed[split..]);
}

/// The canonical line of `record`, without `\n`.
pub(super) fn encode_line(record: &Record) -> Result<Vec<u8>, JournalError> {
    let unsealed = unsealed_bytes(record.seq, &record.at, record.prev.as_ref(), &record.event)
        .map_err(|e| JournalError::Encode(e.to_string()))?;
    Ok(insert_hash(
        &unsealed,
        record.prev.as_ref(),
        record.seq,
        &record.hash,
    ))
}

/// The append path shared by every [`Store`]: refuses with [`JournalError::Conflict`] unless
/// `expected_seq` is the seq the first entry would get, then seals the entries after the head.
pub(super) fn seal_next(
    store: &impl Store,
    expected_seq: u64,
    entries: Vec<Entry>,
) -> Result<Sealed, JournalError> {
    let actual = store.next_seq();
    if expected_seq != actual {
        return Err(JournalError::Conflict {
            expected: expected_seq,
            actual,
        });
    }
    seal_batch(store.head().map(|h| (h.seq, &h.hash)), entries)
}

/// Sealed records and their canonical lines (each ending in `\n`), ready to write.
#[derive(Debug)]
pub(super) struct Sealed {
    pub(super) records: Vec<Record>,
    pub(super) lines: Vec<u8>,
    /// End offset (after the `\n`) of each line in `lines`.
    pub(super) ends: Vec<usize>,
}

/// Checks that an entry can be written so that every reader accepts it: an object event with
/// I-JSON numbers, a time RFC 3339 can carry with a four-digit year. `time_checked` is a time
/// already found to read back (a batch's records share one). `numbers`: check the event's
/// numbers (events a case decided hold I-JSON integers by construction).
fn check_entry(
    index: usize,
    Entry { at, event }: &Entry,
    numbers: bool,
    time_checked: &mut Option<DateTime<Utc>>,
) -> Result<(), JournalError> {
    let invalid = |reason: String| JournalError::InvalidEvent { index, reason };
    if !event.is_object() {
        return Err(invalid("event is not a JSON object".into()));
    }
    if numbers {
        digest::check_i_json(event).map_err(|e| invalid(e.to_string()))?;
    } else {
        debug_assert!(
            digest::check_i_json(event).is_ok(),
            "a decided event is I-JSON"
        );
    }
    if *time_checked == Some(*at) {
        return Ok(());
    }
    // The writer writes `at` as chrono serialises it; the reader parses it with
    // `DateTime::parse_from_rfc3339`, which takes four-digit years only. Years outside
    // 0000..=9999 come out as `+10000-…` or `-0001-…`: refuse what would not read back.
    let written = serde_json::to_value(at).map_err(|e| JournalError::Encode(e.to_string()))?;
    let reads_back = written
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .is_some_and(|t| t == *at);
    if !reads_back {
        return Err(JournalError::TimeNotRepresentable {
            index,
            at: written
                .as_str()
                .map_or_else(|| at.to_string(), str::to_owned),
        });
    }
    *time_checked = Some(*at);
    Ok(())
}

/// How entries are sealed.
pub(super) enum Sealing {
    /// Arbitrary JSON events: every check is made.
    Checked,
    /// Events a case decided ([`seal_decided`](super::backend::seal_decided)); the lines are
    /// written into the buffer.
    Decided(Vec<u8>),
}

/// Turns entries into chained records following `head`. Validates every entry first.
pub(super) fn seal_batch(
    head: Option<(u64, &Digest)>,
    entries: Vec<Entry>,
) -> Result<Sealed, JournalError> {
    seal_batch_with(head, entries, Sealing::Checked)
}

/// [`seal_batch`], skipping for [`Sealing::Decided`] events the checks their typed origin makes
/// redundant (I-JSON numbers, floats held for integers, a compact form that is not canonical);
/// debug builds assert them instead.
pub(super) fn seal_batch_with(
    head: Option<(u64, &Digest)>,
    entries: Vec<Entry>,
    sealing: Sealing,
) -> Result<Sealed, JournalError> {
    let (decided, mut lines) = match sealing {
        Sealing::Checked => (false, Vec::new()),
        Sealing::Decided(mut buffer) => {
            buffer.clear();
            (true, buffer)
        }
    };
    let mut time_checked = None;
    for (index, entry) in entries.iter().enumerate() {
        check_entry(index, entry, !decided, &mut time_checked)?;
    }
    let first = head.map_or(0, |(seq, _)| seq + 1);
    if first.saturating_add(entries.len() as u64) > MAX_SAFE_INTEGER + 1 {
        return Err(JournalError::Encode(
            "seq would exceed 2^53 - 1 (I-JSON)".into(),
        ));
    }
    let mut prev = head.map(|(_, hash)| hash.clone());
    let mut records = Vec::with_capacity(entries.len());
    // Sized for the common line (a finding's is about 600 bytes) so that a batch is written
    // without growing the buffer: growing it copied it and touched fresh pages each time,
    // about a tenth of `apply`'s time on a stream of findings.
    lines.reserve(LINE_CAPACITY * entries.len());
    let mut ends = Vec::with_capacity(entries.len());
    let encode = |e: CanonicalError| JournalError::Encode(e.to_string());
    let mut unsealed = Vec::with_capacity(LINE_CAPACITY);
    let mut at_written: Option<(DateTime<Utc>, Box<RawValue>)> = None;
    for (seq, Entry { at, mut event }) in (first..).zip(entries) {
        if decided {
            debug_assert!(compact_is_canonical(&event), "a decided event is canonical");
        } else {
            integers_as_integers(&mut event);
        }
        let at_text = match &at_written {
            Some((t, text)) if *t == at => text,
            _ => &at_written.insert((at, at_json(&at).map_err(encode)?)).1,
        };
        unsealed_into(
            &mut unsealed,
            seq,
            (&at, at_text),
            prev.as_ref(),
            &event,
            decided,
        )
        .map_err(encode)?;
        let hash = Digest::of_bytes(&unsealed);
        push_with_hash(&mut lines, &unsealed, prev.as_ref(), seq, &hash);
        lines.push(b'\n');
        ends.push(lines.len());
        records.push(Record {
            seq,
            at,
            prev: prev.replace(hash.clone()),
            event,
            hash,
        });
    }
    Ok(Sealed {
        records,
        lines,
        ends,
    })
}

/// Bytes reserved per line when a batch is sealed (a line may be longer: the buffer then grows).
const LINE_CAPACITY: usize = 1024;

/// Rewrites integral numbers held as floats (`100.0`, checked by
/// [`check_i_json`](digest::check_i_json)) as integers, so that a record holds its event as every
/// reader of its line will (RFC 8785 writes `100.0` as `100`, which parses as an integer).
fn integers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // In range and integral (checked): the conversion is exact.
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_as_integers),
        Value::Object(members) => members.values_mut().for_each(integers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) | Value::Number(_) => {}
    }
}

/// Appends `records` as canonical JSON lines to `buf`.
pub(super) fn encode_lines(records: &[Record], buf: &mut Vec<u8>) -> Result<(), JournalError> {
    for r in records {
        buf.extend_from_slice(&encode_line(r)?);
        buf.push(b'\n');
    }
    Ok(())
}
