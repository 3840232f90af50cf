//! Sealing, the write path shared by every [`Backend`](super::Backend): entries are checked, chained and hashed
//! into records and their canonical lines.

use super::{Entry, JournalError, Record};
use crate::canonical::compact_is_canonical;
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

/// The seq and hash a line ends with, read from its tail as every canonical line writes them
/// (`,"hash":"<digest>","prev":P,"seq":S}`) without parsing the event: for a store that keeps
/// them in columns beside the line, to check that the columns are the line's own. `None` when
/// the line does not end that way: then it is no canonical record, and the line check refuses
/// it.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(super) fn tail_seq_and_hash(line: &[u8]) -> Option<(u64, &str)> {
    const DIGEST_LEN: usize = HASH_MEMBER_LEN - ",\"hash\":\"".len() - 1;
    let body = line.strip_suffix(b"}")?;
    let digits = body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let (body, seq) = body.split_at(body.len() - digits);
    let seq = std::str::from_utf8(seq).ok()?.parse().ok()?;
    let body = body.strip_suffix(b",\"seq\":")?;
    let body = match body.strip_suffix(b",\"prev\":null") {
        Some(body) => body,
        None => {
            let prev_len = ",\"prev\":\"".len() + DIGEST_LEN + 1;
            let (body, prev) = body.split_at(body.len().checked_sub(prev_len)?);
            (prev.starts_with(b",\"prev\":\"") && prev.ends_with(b"\"")).then_some(body)?
        }
    };
    let (_, hash) = body.split_at(body.len().checked_sub(HASH_MEMBER_LEN)?);
    let hash = hash.strip_prefix(b",\"hash\":\"")?.strip_suffix(b"\"")?;
    Some((seq, std::str::from_utf8(hash).ok()?))
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
    unsealed_into(&mut out, seq, (at, &at_json), prev, event)?;
    Ok(out)
}

/// `at` as the JSON string chrono serialises it to.
fn at_json(at: &DateTime<Utc>) -> Result<Box<RawValue>, CanonicalError> {
    serde_json::value::to_raw_value(at).map_err(|e| CanonicalError::Serialize(e.to_string()))
}

/// Writes [`unsealed_bytes`] into `out` (cleared first). `at` comes with [`at_json`] of it,
/// which a batch's records share.
fn unsealed_into(
    out: &mut Vec<u8>,
    seq: u64,
    (at, at_json): (&DateTime<Utc>, &RawValue),
    prev: Option<&Digest>,
    event: &Value,
) -> Result<(), CanonicalError> {
    out.clear();
    if compact_is_canonical(event) && seq <= MAX_SAFE_INTEGER {
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

/// Sealed records and their canonical lines (each ending in `\n`), ready to write.
#[derive(Debug)]
pub(super) struct Sealed {
    /// Each record's seq and hash.
    pub(super) heads: Vec<(u64, Digest)>,
    /// The records as values, when the events were given as values.
    pub(super) records: Option<Vec<Record>>,
    pub(super) lines: Vec<u8>,
    /// End offset (after the `\n`) of each line in `lines`.
    pub(super) ends: Vec<usize>,
}

/// Checks that an entry can be written so that every reader accepts it: an object event with
/// I-JSON numbers, and (with `times`) a time RFC 3339 can carry with a four-digit year.
fn check_entry(
    index: usize,
    Entry { at, event }: &Entry,
    times: &mut Times,
) -> Result<(), JournalError> {
    let invalid = |reason: String| JournalError::InvalidEvent { index, reason };
    if !event.is_object() {
        return Err(invalid("event is not a JSON object".into()));
    }
    digest::check_i_json(event).map_err(|e| invalid(e.to_string()))?;
    times.json(index, at).map(drop)
}

/// Turns entries into chained records following `head`. Validates every entry first.
pub(super) fn seal_batch(
    head: Option<(u64, &Digest)>,
    entries: Vec<Entry>,
) -> Result<Sealed, JournalError> {
    let mut times = Times::default();
    for (index, entry) in entries.iter().enumerate() {
        check_entry(index, entry, &mut times)?;
    }
    let first = first_seq(head, entries.len())?;
    let mut chain = Chain::new(head, Vec::new(), entries.len());
    let mut records = Vec::with_capacity(entries.len());
    let mut unsealed = Vec::with_capacity(LINE_CAPACITY);
    for (index, (seq, Entry { at, mut event })) in (first..).zip(entries).enumerate() {
        integers_as_integers(&mut event);
        let at_text = times.json(index, &at)?;
        unsealed_into(&mut unsealed, seq, (&at, at_text), chain.prev(), &event).map_err(encode)?;
        let (prev, hash) = chain.push(seq, &unsealed);
        records.push(Record {
            seq,
            at,
            prev,
            event,
            hash,
        });
    }
    Ok(chain.finish(Some(records)))
}

/// [`seal_batch`] for events given as their RFC 8785 bytes, which the caller guarantees
/// ([`seal_encoded`](super::backend::seal_encoded): a case's typed events); each line is written
/// around them without parsing them, into `buffer`. Debug builds check every line against
/// [`seal_batch`]'s. The times are checked as `seal_batch` checks them.
pub(super) fn seal_encoded_batch(
    head: Option<(u64, &Digest)>,
    events: &[(DateTime<Utc>, Vec<u8>)],
    buffer: Vec<u8>,
) -> Result<Sealed, JournalError> {
    let mut times = Times::default();
    for (index, (at, _)) in events.iter().enumerate() {
        times.json(index, at)?;
    }
    let first = first_seq(head, events.len())?;
    let mut chain = Chain::new(head, buffer, events.len());
    let mut unsealed = Vec::with_capacity(LINE_CAPACITY);
    for (index, (seq, (at, event))) in (first..).zip(events).enumerate() {
        let at_text = times.json(index, at)?;
        let prev = chain.prev();
        unsealed.clear();
        unsealed.extend_from_slice(b"{\"at\":");
        unsealed.extend_from_slice(at_text.get().as_bytes());
        unsealed.extend_from_slice(b",\"event\":");
        unsealed.extend_from_slice(event);
        unsealed.extend_from_slice(b",\"prev\":");
        match prev {
            None => unsealed.extend_from_slice(b"null"),
            Some(d) => {
                unsealed.push(b'"');
                unsealed.extend_from_slice(d.as_str().as_bytes());
                unsealed.push(b'"');
            }
        }
        unsealed.extend_from_slice(b",\"seq\":");
        unsealed.extend_from_slice(seq.to_string().as_bytes());
        unsealed.push(b'}');
        debug_assert!(
            {
                let value: Value = serde_json::from_slice(event).expect("an event is JSON");
                value.is_object()
                    && digest::check_i_json(&value).is_ok()
                    && unsealed_bytes(seq, at, prev, &value).ok().as_ref() == Some(&unsealed)
            },
            "an encoded event is a canonical I-JSON object"
        );
        chain.push(seq, &unsealed);
    }
    Ok(chain.finish(None))
}

fn encode(e: CanonicalError) -> JournalError {
    JournalError::Encode(e.to_string())
}

/// The seq of the first of `n` records after `head`, if every one stays an I-JSON integer.
fn first_seq(head: Option<(u64, &Digest)>, n: usize) -> Result<u64, JournalError> {
    let first = head.map_or(0, |(seq, _)| seq + 1);
    if first.saturating_add(n as u64) > MAX_SAFE_INTEGER + 1 {
        return Err(JournalError::Encode(
            "seq would exceed 2^53 - 1 (I-JSON)".into(),
        ));
    }
    Ok(first)
}

/// The last time seen, as chrono serialises it (a batch's records share one).
#[derive(Default)]
struct Times(Option<(DateTime<Utc>, Box<RawValue>)>);

impl Times {
    /// `at` as chrono serialises it, formatted and checked once per distinct time: refused
    /// (as entry `index`'s) unless it reads back as itself.
    fn json(&mut self, index: usize, at: &DateTime<Utc>) -> Result<&RawValue, JournalError> {
        if self.0.as_ref().is_none_or(|(t, _)| t != at) {
            let written = at_json(at).map_err(encode)?;
            // The writer writes `at` as chrono serialises it; the reader parses it with
            // `DateTime::parse_from_rfc3339`, which takes four-digit years only. Years outside
            // 0000..=9999 come out as `+10000-…` or `-0001-…`: refuse what would not read back.
            let text: String = serde_json::from_str(written.get())
                .map_err(|e| JournalError::Encode(e.to_string()))?;
            let reads_back = DateTime::parse_from_rfc3339(&text).is_ok_and(|t| t == *at);
            if !reads_back {
                return Err(JournalError::TimeNotRepresentable { index, at: text });
            }
            self.0 = Some((*at, written));
        }
        Ok(&self.0.as_ref().expect("just set").1)
    }
}

/// Lines being chained: the previous record's hash, and the lines written so far and where
/// each ends.
struct Chain {
    prev: Option<Digest>,
    heads: Vec<(u64, Digest)>,
    lines: Vec<u8>,
    ends: Vec<usize>,
}

impl Chain {
    fn new(head: Option<(u64, &Digest)>, mut lines: Vec<u8>, n: usize) -> Chain {
        // Sized for the common line (a finding's is about 600 bytes) so that a batch is written
        // without growing the buffer: growing it copied it and touched fresh pages each time,
        // about a tenth of `apply`'s time on a stream of findings.
        lines.clear();
        lines.reserve(LINE_CAPACITY * n);
        Chain {
            prev: head.map(|(_, hash)| hash.clone()),
            heads: Vec::with_capacity(n),
            lines,
            ends: Vec::with_capacity(n),
        }
    }

    fn prev(&self) -> Option<&Digest> {
        self.prev.as_ref()
    }

    /// Hashes `unsealed`, appends its line, and returns the record's `prev` and `hash`.
    fn push(&mut self, seq: u64, unsealed: &[u8]) -> (Option<Digest>, Digest) {
        let hash = Digest::of_bytes(unsealed);
        push_with_hash(&mut self.lines, unsealed, self.prev.as_ref(), seq, &hash);
        self.lines.push(b'\n');
        self.ends.push(self.lines.len());
        self.heads.push((seq, hash.clone()));
        (self.prev.replace(hash.clone()), hash)
    }

    fn finish(self, records: Option<Vec<Record>>) -> Sealed {
        Sealed {
            heads: self.heads,
            records,
            lines: self.lines,
            ends: self.ends,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::{Entry, seal};
    use super::tail_seq_and_hash;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    /// Every line the crate seals, whatever its seq's width and its event, gives back its own
    /// seq and hash from its tail; a line with anything else after the hash gives none.
    #[test]
    fn the_tail_of_every_sealed_line_is_its_seq_and_hash() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let entries = (0..120)
            .map(|i| {
                Entry::new(
                    at,
                    json!({"type": "note", "i": i, "nested": {"hash": "sha256:x", "seq": 9}}),
                )
            })
            .collect();
        let batch = seal(None, entries).unwrap();
        for (at, line) in batch.lines() {
            assert_eq!(
                tail_seq_and_hash(line),
                Some((at.seq, at.head.as_str())),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let (_, line) = batch.lines().nth(7).unwrap();
        let mut longer = line[..line.len() - 1].to_vec();
        longer.extend_from_slice(b",\"x\":1}");
        assert_eq!(tail_seq_and_hash(&longer), None);
        assert_eq!(tail_seq_and_hash(b"{}"), None);
        assert_eq!(tail_seq_and_hash(b""), None);
    }
}
