//! Sealing, the write path shared by every [`Store`]: entries are checked, chained and hashed
//! into records and their canonical lines.

use super::line::compact_is_canonical;
use super::{Entry, JournalError, Record, Store};
use crate::digest::{self, CanonicalError, Digest, MAX_SAFE_INTEGER};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

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
    at: &'a DateTime<Utc>,
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
    if compact_is_canonical(event) && seq <= MAX_SAFE_INTEGER {
        let sorted = UnsealedSorted {
            at,
            event,
            prev,
            seq,
        };
        return serde_json::to_vec(&sorted).map_err(|e| CanonicalError::Serialize(e.to_string()));
    }
    digest::canonical_json(&Unsealed {
        seq,
        at,
        prev,
        event,
    })
}

/// The canonical line of a record (without `\n`) from the canonical bytes of the record without
/// its hash: RFC 8785 writes members in key order and `hash` sorts between `event` and `prev`,
/// so the line is those bytes with the hash member inserted before `,"prev":`.
fn insert_hash(unsealed: &[u8], prev: Option<&Digest>, seq: u64, hash: &Digest) -> Vec<u8> {
    let split = unsealed.len() - members_after_hash_len(prev, seq);
    let mut line = Vec::with_capacity(unsealed.len() + HASH_MEMBER_LEN);
    line.extend_from_slice(&unsealed[..split]);
    line.extend_from_slice(b",\"hash\":\"");
    line.extend_from_slice(hash.as_str().as_bytes());
    line.push(b'"');
    line.extend_from_slice(&unsealed[split..]);
    line
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
}

/// Checks that an entry can be written so that every reader accepts it: an object event with
/// I-JSON numbers, a time RFC 3339 can carry with a four-digit year.
fn check_entry(index: usize, Entry { at, event }: &Entry) -> Result<(), JournalError> {
    let invalid = |reason: String| JournalError::InvalidEvent { index, reason };
    if !event.is_object() {
        return Err(invalid("event is not a JSON object".into()));
    }
    digest::check_i_json(event).map_err(|e| invalid(e.to_string()))?;
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
    Ok(())
}

/// Turns entries into chained records following `head`. Validates every entry first.
pub(super) fn seal_batch(
    head: Option<(u64, &Digest)>,
    entries: Vec<Entry>,
) -> Result<Sealed, JournalError> {
    for (index, entry) in entries.iter().enumerate() {
        check_entry(index, entry)?;
    }
    let first = head.map_or(0, |(seq, _)| seq + 1);
    if first.saturating_add(entries.len() as u64) > MAX_SAFE_INTEGER + 1 {
        return Err(JournalError::Encode(
            "seq would exceed 2^53 - 1 (I-JSON)".into(),
        ));
    }
    let mut prev = head.map(|(_, hash)| hash.clone());
    let mut records = Vec::with_capacity(entries.len());
    let mut lines = Vec::with_capacity(256 * entries.len());
    for (seq, Entry { at, mut event }) in (first..).zip(entries) {
        integers_as_integers(&mut event);
        let unsealed = unsealed_bytes(seq, &at, prev.as_ref(), &event)
            .map_err(|e| JournalError::Encode(e.to_string()))?;
        let hash = Digest::of_bytes(&unsealed);
        lines.extend_from_slice(&insert_hash(&unsealed, prev.as_ref(), seq, &hash));
        lines.push(b'\n');
        records.push(Record {
            seq,
            at,
            prev: prev.replace(hash.clone()),
            event,
            hash,
        });
    }
    Ok(Sealed { records, lines })
}

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
