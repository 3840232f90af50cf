//! The case journal: a durable, hash-chained, append-only log of JSON lines.
//!
//! # Line format
//!
//! One JSON object per line, each line ending in `\n`:
//!
//! ```text
//! {"at":"2025-01-01T00:00:00Z","event":{..},"hash":"sha256:..","prev":null,"seq":0}
//! ```
//!
//! Every line is byte for byte the RFC 8785 (JCS) serialisation of its record: members in JCS
//! order (`at`, `event`, `hash`, `prev`, `seq`), no insignificant whitespace, minimal string
//! escapes, integers in plain decimal. `hash` is the SHA-256 of the JCS form of the record
//! *without* `hash`. Every number in a line is an I-JSON integer (|n| <= 2^53 − 1, RFC 7493),
//! so that the JCS form is exact and every independent implementation hashes alike
//! ([`check_i_json`](crate::digest::check_i_json)). A complete line that any RFC 8785
//! implementation would serialise differently is tampering
//! ([`TamperReason::NotCanonical`]), even when its hash matches its own bytes.
//! Record 0 is the case's genesis and has `prev: null`; every later record's `prev` is the hash
//! of the record before it, and `seq` counts up from 0 by 1.
//!
//! # Verification
//!
//! The reference check ([`fuzzing::check_line_full`]) parses a line strictly (duplicate keys
//! refused), checks its numbers, serialises the parsed value with `serde_jcs` and compares the
//! bytes. Replay uses a fast path ([`fuzzing::check_line_fast`]) that accepts a line only when
//! `serde_json`'s compact serialisation of the parsed value equals it *and* that serialisation
//! provably equals the JCS one (integers only, no object key that UTF-16 and code-point order
//! could sort differently); anything else goes to the reference check, so the two agree on every
//! input (a differential property test in `src/journal/tests.rs` checks this on mutated lines).
//!
//! # Durability and concurrency
//!
//! * [`Store::append`] writes a whole batch and `fsync`s once before returning (group commit);
//!   the caller may acknowledge only after it returns `Ok`.
//! * [`FileJournal::create`] `fsync`s the new file and its parent directory.
//! * One writer at a time: a [`FileJournal`] takes an exclusive OS lock on the file only while
//!   it opens the journal and during each append, and releases it in between, so an idle writer
//!   (say, an `apply` waiting on its input) never blocks another. The lock is waited for at most
//!   the writer's lock timeout, then [`JournalError::Locked`].
//! * Under the lock, an append first reads and verifies whatever other writers appended since
//!   this writer last looked; if there is anything, it adds those records to
//!   [`records`](Store::records) and refuses with [`JournalError::Conflict`] without writing:
//!   the caller catches up and decides again (see [`Store::append`]). A file that is shorter
//!   than what the writer verified, or whose last verified line changed, is
//!   [`JournalError::Modified`].
//! * [`FileJournal::read`] and [`scan`] take no lock: they may observe a live writer's append in
//!   progress as a torn tail.
//!
//! # The last line
//!
//! A last line without its trailing `\n` is one of:
//!
//! * a **torn tail**: a strict prefix of a record line, cut short mid-JSON by a crash. It was
//!   never acknowledged: readers report it ([`TornTail`]) and pass, a writer cuts it off (and
//!   `fsync`s) before appending;
//! * an **unterminated record**: a complete, canonical, valid, chained record missing only its
//!   newline. It may have been acknowledged, so it is a record: counted, handed to [`scan`]'s
//!   callback, part of [`ReadReport::records`], reported as `unterminated`; a writer completes
//!   it (appends `\n` and `fsync`s), never drops it;
//! * anything else (complete JSON that does not verify, bytes after a complete value, bytes no
//!   writer begins a line with): [`JournalError::Tampered`].

use crate::digest::{self, CanonicalError, Digest, MAX_SAFE_INTEGER};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One verified journal record, as written on one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Position in the journal, from 0.
    pub seq: u64,
    /// When the entry was recorded (RFC 3339).
    pub at: DateTime<Utc>,
    /// Hash of the previous record; `None` (JSON `null`) for record 0.
    pub prev: Option<Digest>,
    /// The event: any JSON object. Record 0's event is the case's genesis.
    // (Its numbers are I-JSON integers: see the module docs. This doc comment is in the shipped
    // schema, `schemas/journal-record.schema.json`.)
    pub event: Value,
    /// SHA-256 over the JCS canonical form of this record without `hash`.
    pub hash: Digest,
}

/// What a caller asks to append: a timestamp and an event (a JSON object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Entry {
    /// When the entry is recorded; its year must be 0000–9999 (RFC 3339 with a four-digit
    /// year), else the append fails with [`JournalError::TimeNotRepresentable`].
    pub at: DateTime<Utc>,
    /// The event; must be a JSON object whose numbers are I-JSON integers.
    pub event: Value,
}

impl Entry {
    /// An entry with the given time and event.
    pub fn new(at: DateTime<Utc>, event: Value) -> Self {
        Entry { at, event }
    }

    /// An entry stamped with the current time.
    pub fn now(event: Value) -> Self {
        Entry::new(Utc::now(), event)
    }
}

/// A last line cut short mid-JSON, without its trailing newline: written by a crash
/// mid-append, never acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TornTail {
    /// Byte offset where the torn line starts (= length of the verified prefix).
    pub offset: u64,
    /// Length in bytes of the torn line.
    pub len: u64,
}

/// Result of verifying a journal without modifying it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadReport {
    /// The verified records, in order (including an unterminated last one).
    pub records: Vec<Record>,
    /// A torn last line, if there was one; it is not part of `records`.
    pub torn_tail: Option<TornTail>,
    /// The last record is complete and valid but lacks its final newline (a writer opening the
    /// journal completes it). It is part of `records`.
    pub unterminated: bool,
}

/// Why a line failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TamperReason {
    /// The line is not valid (I-JSON) JSON, e.g. bad syntax or a duplicated key.
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// The line is JSON but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A required key is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A key other than `seq`, `at`, `prev`, `event`, `hash` is present.
    #[error("unexpected field `{0}`")]
    UnexpectedField(String),
    /// A number is not an I-JSON integer (|n| <= 2^53 − 1), so RFC 8785 implementations need
    /// not agree on its canonical form.
    #[error("number {number} at {path} is not an I-JSON integer (|n| <= 2^53 - 1)")]
    NotIJsonNumber {
        /// JSON Pointer (RFC 6901) to the number within the line.
        path: String,
        /// The number as parsed.
        number: String,
    },
    /// The line is not byte for byte the RFC 8785 serialisation of the record it holds.
    #[error(
        "not in RFC 8785 canonical form: from byte {offset} the canonical line reads {expected:?}, the line reads {found:?}"
    )]
    NotCanonical {
        /// Offset (0-based, within the line) of the first byte that differs.
        offset: u64,
        /// The canonical serialisation from `offset` (at most 24 bytes).
        expected: String,
        /// The line from `offset` (at most 24 bytes).
        found: String,
    },
    /// A field has the wrong type or form.
    #[error("bad field `{field}`: {detail}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The stored hash is not the hash of the record's content.
    #[error("hash mismatch: stored {stored}, computed {computed}")]
    HashMismatch {
        /// The `hash` on the line.
        stored: Digest,
        /// The hash of the line's content.
        computed: Digest,
    },
    /// `seq` is not the previous record's `seq` + 1 (or 0 for the first line).
    #[error("seq out of order: expected {expected}, found {found}")]
    SeqOutOfOrder {
        /// The seq this line must have.
        expected: u64,
        /// The seq it has.
        found: u64,
    },
    /// `prev` is not the previous record's hash (or not `null` on record 0).
    #[error("broken chain: prev should be {}, found {}", show(.expected), show(.found))]
    BrokenChain {
        /// The hash `prev` must hold (`None` for record 0).
        expected: Option<Digest>,
        /// The `prev` on the line.
        found: Option<Digest>,
    },
}

fn show(d: &Option<Digest>) -> String {
    d.as_ref()
        .map_or_else(|| "null".to_owned(), Digest::to_string)
}

/// How long a writer waits for the journal's lock unless told otherwise (DESIGN §9: the CLI's
/// `--lock-timeout` default).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting writer retries the lock.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Journal failures. Each has a stable [`code`](JournalError::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// An I/O operation failed (`path` is `None` when verifying a caller's reader).
    #[error("journal I/O error on {}: {source}", path.as_deref().map_or_else(|| "<reader>".into(), |p| p.display().to_string()))]
    Io {
        /// The journal file.
        path: Option<PathBuf>,
        /// The underlying error.
        source: io::Error,
    },
    /// [`FileJournal::create`] found the file already there.
    #[error("journal already exists: {}", path.display())]
    AlreadyExists {
        /// The journal file.
        path: PathBuf,
    },
    /// Another writer held the journal's lock for the whole lock timeout.
    #[error(
        "journal is locked: another writer held the lock on {} for the {} ms this writer waited",
        path.display(),
        waited.as_millis()
    )]
    Locked {
        /// The journal file.
        path: PathBuf,
        /// How long this writer waited before giving up.
        waited: Duration,
    },
    /// A complete line failed verification. `line` is 1-based; the record on it should have
    /// `seq == line - 1`.
    #[error("journal tampered at line {line} (seq {}): {reason}", line - 1)]
    Tampered {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: TamperReason,
    },
    /// `expected_seq` was not the seq the next record would get; nothing was written. The
    /// journal's [`records`](Store::records) now run up to seq `actual - 1`.
    #[error("journal conflict: caller expected next seq {expected}, journal is at {actual}")]
    Conflict {
        /// The caller's `expected_seq`.
        expected: u64,
        /// The seq the next record would actually get.
        actual: u64,
    },
    /// The journal holds no complete record (not even a genesis).
    #[error("journal is empty (no complete genesis record)")]
    Empty,
    /// An entry's event is not a JSON object or holds a number that is not an I-JSON integer;
    /// nothing was written.
    #[error("entry {index} of the batch is invalid: {reason}")]
    InvalidEvent {
        /// Index in the batch (0 for a genesis).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An entry's time cannot be written as RFC 3339 with a four-digit year (its year is
    /// before 0000 or after 9999), so no reader would accept the record; nothing was written.
    #[error(
        "entry {index} of the batch has time {at}, which is not RFC 3339 with a four-digit year (years 0000-9999)"
    )]
    TimeNotRepresentable {
        /// Index in the batch (0 for a genesis).
        index: usize,
        /// The time, as it would have been written.
        at: String,
    },
    /// The file changed in a way no writer that respects the lock could cause: it is shorter
    /// than what this writer verified, or its last verified line is no longer there.
    #[error(
        "journal modified behind the writer's back: it verified {expected_len} bytes, the file now has {actual_len} bytes that do not continue them"
    )]
    Modified {
        /// Length of the content this writer verified (and wrote).
        expected_len: u64,
        /// Length found on disk.
        actual_len: u64,
    },
    /// An earlier append or lock operation failed part-way; the on-disk state is unknown. Drop
    /// and re-open.
    #[error("journal writer poisoned by an earlier failed append; re-open it: {}", path.display())]
    Poisoned {
        /// The journal file.
        path: PathBuf,
    },
    /// A record could not be encoded.
    #[error("cannot encode record: {0}")]
    Encode(String),
}

impl JournalError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::Io { .. } => "journal_io",
            JournalError::AlreadyExists { .. } => "journal_exists",
            JournalError::Locked { .. } => "journal_locked",
            JournalError::Tampered { .. } => "journal_tampered",
            JournalError::Conflict { .. } => "journal_conflict",
            JournalError::Empty => "journal_empty",
            JournalError::InvalidEvent { .. } => "journal_invalid_event",
            JournalError::TimeNotRepresentable { .. } => "journal_invalid_time",
            JournalError::Modified { .. } => "journal_modified",
            JournalError::Poisoned { .. } => "journal_poisoned",
            JournalError::Encode(_) => "journal_encode",
        }
    }

    fn io(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
        move |source| JournalError::Io {
            path: Some(path.to_owned()),
            source,
        }
    }
}

/// Behaviour shared by [`FileJournal`] and [`MemoryJournal`].
pub trait Store {
    /// All records, in order (never empty: record 0 is the genesis).
    fn records(&self) -> &[Record];

    /// The last record.
    fn head(&self) -> Option<&Record> {
        self.records().last()
    }

    /// The seq the next appended record will get.
    fn next_seq(&self) -> u64 {
        self.records().len() as u64
    }

    /// Appends `entries` as one batch if `expected_seq` is the seq the first of them would get,
    /// and returns the new records once they are durable. An empty batch writes nothing and
    /// returns `Ok(vec![])` (after the conflict check).
    ///
    /// # Conflicts: the catch-up contract
    ///
    /// Another writer may have appended since this store last looked (a [`FileJournal`] holds
    /// no lock between appends). Then nothing is written and the append fails with
    /// [`JournalError::Conflict`] `{ expected, actual }`; before failing, the store has read
    /// and verified the other writers' records and added them, so [`records`](Self::records)
    /// now ends at seq `actual - 1`. A caller that passed its own [`next_seq`](Self::next_seq)
    /// as `expected` catches up by applying `records()[expected as usize..]` to its state,
    /// decides its command(s) again against that state (which may now refuse them), and
    /// retries with `expected_seq = actual`. Nothing acknowledged is lost and nothing is
    /// written twice. (`expected > actual` is the caller's own mistake: there is nothing to
    /// catch up on.)
    ///
    /// # Other errors
    ///
    /// [`JournalError::InvalidEvent`] / [`JournalError::TimeNotRepresentable`] refuse the whole
    /// batch before anything is written; a [`FileJournal`] may also fail with
    /// [`JournalError::Locked`], [`JournalError::Modified`], [`JournalError::Tampered`] (what
    /// another writer appended does not verify) or I/O errors.
    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError>;
}

// ---------------------------------------------------------------------------------------------
// Sealing (shared write path)
// ---------------------------------------------------------------------------------------------

/// The record without its hash: exactly what the hash covers.
#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    at: &'a DateTime<Utc>,
    prev: Option<&'a Digest>,
    event: &'a Value,
}

/// `,"hash":"sha256:<64 hex>"`: the hash member as it sits in a canonical line.
const HASH_MEMBER_LEN: usize = ",\"hash\":\"".len() + 71 + 1;

/// Length of the members after `hash` in a canonical line: `,"prev":P,"seq":S}`.
fn members_after_hash_len(prev: Option<&Digest>, seq: u64) -> usize {
    let prev_len = prev.map_or(4, |d| d.as_str().len() + 2);
    let seq_len = seq.checked_ilog10().map_or(1, |d| d as usize + 1);
    ",\"prev\":".len() + prev_len + ",\"seq\":".len() + seq_len + 1
}

/// The canonical bytes of a record without its hash.
fn unsealed_bytes(
    seq: u64,
    at: &DateTime<Utc>,
    prev: Option<&Digest>,
    event: &Value,
) -> Result<Vec<u8>, CanonicalError> {
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
fn encode_line(record: &Record) -> Result<Vec<u8>, JournalError> {
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
fn seal_next(
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
    seal_batch(store.head(), entries)
}

/// Sealed records and their canonical lines (each ending in `\n`), ready to write.
#[derive(Debug)]
struct Sealed {
    records: Vec<Record>,
    lines: Vec<u8>,
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
fn seal_batch(head: Option<&Record>, entries: Vec<Entry>) -> Result<Sealed, JournalError> {
    for (index, entry) in entries.iter().enumerate() {
        check_entry(index, entry)?;
    }
    let first = head.map_or(0, |h| h.seq + 1);
    if first.saturating_add(entries.len() as u64) > MAX_SAFE_INTEGER + 1 {
        return Err(JournalError::Encode(
            "seq would exceed 2^53 - 1 (I-JSON)".into(),
        ));
    }
    let mut prev = head.map(|h| h.hash.clone());
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
fn encode_lines(records: &[Record], buf: &mut Vec<u8>) -> Result<(), JournalError> {
    for r in records {
        buf.extend_from_slice(&encode_line(r)?);
        buf.push(b'\n');
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Verification (shared read path)
// ---------------------------------------------------------------------------------------------

/// A JSON value parsed under I-JSON rules (as RFC 8785 requires): duplicate object keys are
/// rejected instead of silently keeping the last one, so that every reader of a line sees the
/// same value.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// A verified record whose event is still its JSON text, as [`scan`] hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord<'a> {
    /// Position in the journal.
    pub seq: u64,
    /// When the entry was recorded.
    pub at: DateTime<Utc>,
    /// Hash of the previous record.
    pub prev: Option<Digest>,
    /// The event's JSON text (a JSON object), exactly as on the line: its RFC 8785 form.
    pub event: Cow<'a, str>,
    /// The record's hash.
    pub hash: Digest,
}

/// A line that passed every check except the chain link.
struct Checked<'a> {
    raw: RawRecord<'a>,
    /// The event, parsed.
    event: Value,
}

impl Checked<'_> {
    fn into_record(self) -> Record {
        Record {
            seq: self.raw.seq,
            at: self.raw.at,
            prev: self.raw.prev,
            event: self.event,
            hash: self.raw.hash,
        }
    }
}

/// Checks one complete line (without its `\n`) on its own: the fast path when it applies, else
/// the reference path.
fn check_line(bytes: &[u8]) -> Result<Checked<'_>, TamperReason> {
    match check_fast(bytes) {
        Some(checked) => Ok(checked),
        None => check_full(bytes),
    }
}

/// The reference check: parse strictly, check the numbers, compare the bytes with `serde_jcs`'s
/// serialisation of the parsed value, check the fields, recompute the hash.
fn check_full(bytes: &[u8]) -> Result<Checked<'static>, TamperReason> {
    let field = |field: &'static str, detail: String| TamperReason::BadField { field, detail };
    let StrictValue(value) =
        serde_json::from_slice(bytes).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let Value::Object(obj) = &value else {
        return Err(TamperReason::NotAnObject);
    };
    if !obj.contains_key("hash") {
        return Err(TamperReason::MissingField("hash"));
    }
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "seq" | "at" | "prev" | "event" | "hash"))
    {
        return Err(TamperReason::UnexpectedField(k.clone()));
    }
    for name in ["seq", "at", "prev", "event"] {
        if !obj.contains_key(name) {
            return Err(TamperReason::MissingField(name));
        }
    }
    let canonical = digest::canonical_value(&value).map_err(|e| match e {
        CanonicalError::NotIJsonNumber { path, number } => {
            TamperReason::NotIJsonNumber { path, number }
        }
        other => TamperReason::NotJson(other.to_string()),
    })?;
    if canonical != bytes {
        return Err(not_canonical(&canonical, bytes));
    }

    let Value::Object(mut obj) = value else {
        unreachable!("checked above")
    };
    let stored = obj.remove("hash").unwrap_or(Value::Null);
    // The hash covers the members as they are on the line (e.g. `at` as written, whatever
    // RFC 3339 spelling it uses), not a re-serialisation of the parsed fields.
    let computed = Digest::of_canonical(&obj).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let mut take = |name: &'static str| obj.remove(name).unwrap_or(Value::Null);
    let stored = match stored {
        Value::String(s) => s
            .parse::<Digest>()
            .map_err(|e| field("hash", e.to_string()))?,
        _ => return Err(field("hash", "not a string".into())),
    };
    let seq = take("seq")
        .as_u64()
        .ok_or_else(|| field("seq", "not an unsigned integer".into()))?;
    let at = match take("at") {
        Value::String(s) => DateTime::parse_from_rfc3339(&s)
            .map_err(|e| field("at", format!("not RFC 3339: {e}")))?
            .with_timezone(&Utc),
        _ => return Err(field("at", "not a string".into())),
    };
    let prev = match take("prev") {
        Value::Null => None,
        Value::String(s) => Some(
            s.parse::<Digest>()
                .map_err(|e| field("prev", e.to_string()))?,
        ),
        _ => return Err(field("prev", "not a digest or null".into())),
    };
    let event = take("event");
    if !event.is_object() {
        return Err(field("event", "not a JSON object".into()));
    }
    if computed != stored {
        return Err(TamperReason::HashMismatch { stored, computed });
    }
    let text = digest::canonical_value(&event).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| TamperReason::NotJson(e.to_string()))?;
    Ok(Checked {
        raw: RawRecord {
            seq,
            at,
            prev,
            event: Cow::Owned(text),
            hash: stored,
        },
        event,
    })
}

/// Where `found` first differs from `canonical`.
fn not_canonical(canonical: &[u8], found: &[u8]) -> TamperReason {
    let offset = canonical
        .iter()
        .zip(found)
        .position(|(a, b)| a != b)
        .unwrap_or(canonical.len().min(found.len()));
    let excerpt = |b: &[u8]| String::from_utf8_lossy(&b[offset..b.len().min(offset + 24)]).into();
    TamperReason::NotCanonical {
        offset: offset as u64,
        expected: excerpt(canonical),
        found: excerpt(found),
    }
}

/// True when `serde_json`'s compact serialisation of `v` is its RFC 8785 serialisation. The
/// two serialisers share `serde_json`'s string escaping (`serde_jcs` is `serde_json` with a
/// formatter that escapes exactly the same characters the same way), emit no whitespace and
/// write literals, arrays and empty containers alike. They differ only in
///
/// * numbers: `serde_jcs` formats every number as an IEEE 754 double; for an integer stored as
///   an integer with |n| <= 2^53 − 1 that is its plain decimal, as `serde_json` writes it. A
///   float (however integral) is written `1.0` by `serde_json` and `1` by RFC 8785;
/// * member order: `serde_json`'s maps sort keys by code point (UTF-8 bytes), RFC 8785 by UTF-16
///   code units. These orders agree unless a key holds a character at or above U+E000 (UTF-16
///   puts U+10000 and above, as surrogates D800–DFFF, before U+E000–U+FFFF), i.e. a UTF-8 byte
///   of 0xEE or more.
///
/// So: every number an in-range integer held as an integer, and no key with a byte >= 0xEE.
/// The members must also already be in code-point order, so that this does not depend on how
/// `serde_json::Map` orders them (its `preserve_order` feature keeps them as parsed).
fn compact_is_canonical(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_u64().is_some_and(|u| u <= MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER)
        }
        Value::Array(items) => items.iter().all(compact_is_canonical),
        Value::Object(members) => {
            members
                .keys()
                .zip(members.keys().skip(1))
                .all(|(a, b)| a < b)
                && members
                    .iter()
                    .all(|(k, v)| k.bytes().all(|b| b < 0xEE) && compact_is_canonical(v))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

/// The fast path: `Some` only for a line that the reference path accepts with the same result,
/// `None` whenever it cannot tell cheaply (the reference path then decides and explains).
///
/// It parses the line as the reference path does, and accepts it only if `serde_json`'s compact
/// serialisation of the parsed value is byte-identical to the line and provably RFC 8785
/// ([`compact_is_canonical`]): then the line is exactly what the reference path compares it
/// with. Being canonical, the line's members sit at known offsets: the hash covers the line
/// minus its `,"hash":"…"` member (the JCS form of the record without `hash`), and the event's
/// text is the line between `,"event":` and that member.
fn check_fast(bytes: &[u8]) -> Option<Checked<'_>> {
    let StrictValue(value) = serde_json::from_slice(bytes).ok()?;
    if !compact_is_canonical(&value) || serde_json::to_vec(&value).ok()? != bytes {
        return None;
    }
    let Value::Object(mut obj) = value else {
        return None;
    };
    if obj.len() != 5 {
        return None;
    }
    let stored = obj.get("hash")?.as_str()?.parse::<Digest>().ok()?;
    let seq = obj.get("seq")?.as_u64()?;
    let at_text = obj.get("at")?.as_str()?;
    let at = DateTime::parse_from_rfc3339(at_text)
        .ok()?
        .with_timezone(&Utc);
    let at_len = at_text.len();
    let prev = match obj.get("prev")? {
        Value::Null => None,
        Value::String(s) => Some(s.parse::<Digest>().ok()?),
        _ => return None,
    };
    let event = obj.remove("event")?;
    if !event.is_object() {
        return None;
    }
    // An RFC 3339 time holds no character JSON escapes, so `at` is its text in quotes.
    let event_start = "{\"at\":\"".len() + at_len + "\",\"event\":".len();
    let hash_start = bytes
        .len()
        .checked_sub(members_after_hash_len(prev.as_ref(), seq) + HASH_MEMBER_LEN)?;
    if bytes.get(event_start - ",\"event\":".len()..event_start)? != b",\"event\":"
        || !bytes.get(hash_start..)?.starts_with(b",\"hash\":\"")
    {
        return None;
    }
    let computed =
        Digest::of_parts(&[&bytes[..hash_start], &bytes[hash_start + HASH_MEMBER_LEN..]]);
    if computed != stored {
        return None;
    }
    let text = std::str::from_utf8(bytes.get(event_start..hash_start)?).ok()?;
    Some(Checked {
        raw: RawRecord {
            seq,
            at,
            prev,
            event: Cow::Borrowed(text),
            hash: stored,
        },
        event,
    })
}

/// Incremental chain check: feeds lines in order, tracks the expected seq and prev.
#[derive(Debug, Clone)]
struct Chain {
    next_seq: u64,
    prev: Option<Digest>,
}

impl Chain {
    fn new() -> Self {
        Chain {
            next_seq: 0,
            prev: None,
        }
    }

    /// The chain after `records` (a verified prefix).
    fn after(records: &[Record]) -> Self {
        Chain {
            next_seq: records.len() as u64,
            prev: records.last().map(|r| r.hash.clone()),
        }
    }

    /// Checks that a verified line continues the chain, and advances it.
    fn link(&mut self, raw: &RawRecord<'_>) -> Result<(), TamperReason> {
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
        let checked =
            check_line(bytes).map_err(|reason| JournalError::Tampered { line, reason })?;
        self.link(&checked.raw)
            .map_err(|reason| JournalError::Tampered { line, reason })?;
        Ok(checked)
    }
}

/// The line checks, exposed for differential fuzzing. Not part of the stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::{Chain, Checked, Digest, RawRecord, TamperReason};

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
        linked(next_seq, prev, super::check_line(line))
    }

    /// The reference check alone. Must return exactly what [`check_line_fast`] returns, for
    /// every input.
    pub fn check_line_full<'a>(
        next_seq: u64,
        prev: Option<&Digest>,
        line: &'a [u8],
    ) -> Result<RawRecord<'a>, TamperReason> {
        linked(next_seq, prev, super::check_full(line))
    }
}

/// Verifies a whole journal from `reader`: the single chain check used by [`FileJournal`] and
/// [`MemoryJournal`]. Linear: each line is parsed once and hashed once.
///
/// A torn last line is reported as a [`TornTail`], not an error; an unterminated last record
/// is a record ([`ReadReport::unterminated`]). Every complete line must verify, else
/// [`JournalError::Tampered`]; no record at all is [`JournalError::Empty`] (also when the only
/// content is a torn genesis).
pub fn verify_records<R: BufRead>(reader: R) -> Result<ReadReport, JournalError> {
    let mut records = Vec::new();
    let mut chain = Chain::new();
    let tail = scan_from(reader, None, &mut chain, 0, |c: Checked<'_>| {
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
}

/// Verifies a journal line by line, handing each verified record to `each` with its event still
/// as JSON text, without keeping records in memory: the streaming read path for replay.
pub fn scan<R: BufRead, E: From<JournalError>>(
    reader: R,
    mut each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    let mut chain = Chain::new();
    let tail = scan_from(reader, None, &mut chain, 0, |c: Checked<'_>| each(c.raw))?;
    if chain.next_seq == 0 {
        return Err(JournalError::Empty.into());
    }
    Ok(Scan {
        records: chain.next_seq,
        head: chain.prev.map(|hash| (chain.next_seq - 1, hash)),
        torn_tail: tail.torn_tail,
        unterminated: tail.unterminated,
        len: tail.len,
    })
}

/// How a scan ended.
struct Tail {
    /// Bytes of verified content read (from the scan's start).
    len: u64,
    /// The last verified line as read (with its `\n` unless unterminated); empty if none.
    last_line: Vec<u8>,
    torn_tail: Option<TornTail>,
    unterminated: bool,
}

/// Every record line a writer writes begins with this.
const LINE_START: &[u8] = b"{\"at\":\"";

/// Verifies lines from `reader`, which starts at byte `offset` of the journal, continuing
/// `chain`; hands each verified record to `each`. Line numbers follow the chain's seq.
fn scan_from<R: BufRead, E: From<JournalError>>(
    mut reader: R,
    path: Option<&Path>,
    chain: &mut Chain,
    offset: u64,
    mut each: impl FnMut(Checked<'_>) -> Result<(), E>,
) -> Result<Tail, E> {
    let mut buf = Vec::with_capacity(512);
    let mut last_line = Vec::new();
    let mut len = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| JournalError::Io {
                path: path.map(Path::to_owned),
                source,
            })?;
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
                    each(chain.accept(line, &buf)?)?;
                    Ok(Tail {
                        len: len + n as u64,
                        last_line: buf,
                        torn_tail: None,
                        unterminated: true,
                    })
                }
            };
        };
        each(chain.accept(line, body)?)?;
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

// ---------------------------------------------------------------------------------------------
// File journal
// ---------------------------------------------------------------------------------------------

/// A journal file and its one writer's view of it. The exclusive OS lock on the file is held
/// only while the journal is opened and during each [`append`](Store::append).
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
    /// Bytes of verified, durable content: the file length this writer expects.
    len: u64,
    /// The last line of that content (with its `\n`), as on disk.
    head_line: Vec<u8>,
    lock_timeout: Duration,
    poisoned: bool,
}

/// Takes `file`'s exclusive lock, retrying every [`LOCK_POLL`] for at most `timeout`.
fn lock_within(file: &File, path: &Path, timeout: Duration) -> Result<(), JournalError> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(JournalError::io(path)(e)),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(JournalError::Locked {
                path: path.to_owned(),
                waited,
            });
        }
        std::thread::sleep(LOCK_POLL.min(timeout - waited));
    }
}

impl FileJournal {
    /// Creates a new journal holding only `genesis` as record 0, durable (file and parent
    /// directory `fsync`ed) before returning. Fails with [`JournalError::AlreadyExists`] if the
    /// file exists. Later appends wait at most [`DEFAULT_LOCK_TIMEOUT`] for the lock (see
    /// [`set_lock_timeout`](Self::set_lock_timeout)).
    pub fn create(path: &Path, genesis: Entry) -> Result<FileJournal, JournalError> {
        let Sealed { records, lines } = seal_batch(None, vec![genesis])?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => JournalError::AlreadyExists {
                    path: path.to_owned(),
                },
                _ => JournalError::io(path)(source),
            })?;
        let written = (|| {
            // Only a writer that raced to open the new, still empty file can hold the lock,
            // and it lets go as soon as it finds the file empty.
            file.lock()?;
            (&file).write_all(&lines)?;
            file.sync_all()?;
            sync_parent_dir(path)
        })();
        if let Err(source) = written {
            // Best effort: don't leave a half-made journal that blocks a retry.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(JournalError::io(path)(source));
        }
        // The journal is durable: a failure to release the lock only poisons this writer.
        let poisoned = file.unlock().is_err();
        Ok(FileJournal {
            path: path.to_owned(),
            file,
            records,
            len: lines.len() as u64,
            head_line: lines,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            poisoned,
        })
    }

    /// Opens an existing journal for writing: takes the exclusive lock (waiting at most
    /// `lock_timeout`, else [`JournalError::Locked`]), reads and verifies the whole file, cuts
    /// off a torn last line (and `fsync`s; the torn tail is returned) or completes an
    /// unterminated last record (appends `\n` and `fsync`s), then releases the lock. Later
    /// appends wait at most `lock_timeout` too.
    pub fn open(
        path: &Path,
        lock_timeout: Duration,
    ) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(JournalError::io(path))?;
        let mut journal = FileJournal {
            path: path.to_owned(),
            file,
            records: Vec::new(),
            len: 0,
            head_line: Vec::new(),
            lock_timeout,
            poisoned: false,
        };
        let torn = journal.locked(|j| j.catch_up())?;
        if journal.records.is_empty() {
            return Err(JournalError::Empty);
        }
        Ok((journal, torn))
    }

    /// Like [`open`](Self::open), but fails with [`JournalError::Locked`] at once instead of
    /// waiting if another writer holds the lock (that is, is opening or appending right now).
    pub fn try_open(path: &Path) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        Self::open(path, Duration::ZERO)
    }

    /// Reads and verifies a journal without locking or modifying it. A torn last line (e.g. a
    /// live writer's append in progress) is reported, not an error; an unterminated last record
    /// is a record, reported as [`ReadReport::unterminated`].
    pub fn read(path: &Path) -> Result<ReadReport, JournalError> {
        let file = File::open(path).map_err(JournalError::io(path))?;
        verify_records(BufReader::with_capacity(1 << 16, file)).map_err(|e| match e {
            JournalError::Io { path: None, source } => JournalError::io(path)(source),
            other => other,
        })
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long [`append`](Store::append) waits for the lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// Sets how long [`append`](Store::append) waits for the lock.
    pub fn set_lock_timeout(&mut self, lock_timeout: Duration) {
        self.lock_timeout = lock_timeout;
    }

    /// Runs `f` holding the lock. A failure to release the lock poisons the writer (dropping it
    /// closes the file, which releases the lock), but does not hide `f`'s result: an append
    /// that is durable is reported as such.
    fn locked<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        lock_within(&self.file, &self.path, self.lock_timeout)?;
        let result = f(self);
        if self.file.unlock().is_err() {
            self.poisoned = true;
        }
        result
    }

    /// Under the lock: brings this writer up to date with the file. Checks that the content it
    /// verified is still there, reads and verifies whatever was appended after it (adding those
    /// records), cuts off a torn tail or completes an unterminated last record. Returns the torn
    /// tail it cut off, if any.
    fn catch_up(&mut self) -> Result<Option<TornTail>, JournalError> {
        let on_disk = self
            .file
            .metadata()
            .map_err(JournalError::io(&self.path))?
            .len();
        let modified = JournalError::Modified {
            expected_len: self.len,
            actual_len: on_disk,
        };
        if on_disk < self.len {
            return Err(modified);
        }
        if !self.head_line.is_empty() {
            // The last line this writer verified must still end where it ended. (A full
            // re-verification of the prefix is `verify`'s job; this catches a rewritten tail.)
            let mut found = vec![0; self.head_line.len()];
            (&self.file)
                .seek(SeekFrom::Start(self.len - found.len() as u64))
                .and_then(|_| (&self.file).read_exact(&mut found))
                .map_err(JournalError::io(&self.path))?;
            if found != self.head_line {
                return Err(modified);
            }
        }
        if on_disk == self.len {
            return Ok(None);
        }
        (&self.file)
            .seek(SeekFrom::Start(self.len))
            .map_err(JournalError::io(&self.path))?;
        let mut chain = Chain::after(&self.records);
        let mut new = Vec::new();
        let mut tail = scan_from(
            BufReader::with_capacity(1 << 16, &self.file),
            Some(&self.path),
            &mut chain,
            self.len,
            |c: Checked<'_>| {
                new.push(c.into_record());
                Ok::<(), JournalError>(())
            },
        )?;
        if self.records.is_empty() && new.is_empty() {
            // Not even a genesis: leave the file as it is.
            return Err(JournalError::Empty);
        }
        self.records.extend(new);
        self.len += tail.len;
        if !tail.last_line.is_empty() {
            self.head_line = std::mem::take(&mut tail.last_line);
        }
        let fixed = if tail.torn_tail.is_some() {
            // Never acknowledged: cut it off durably before anything is appended after it.
            self.file
                .set_len(self.len)
                .and_then(|()| self.file.sync_all())
        } else if tail.unterminated {
            // Possibly acknowledged: complete it, never drop it.
            (&self.file)
                .write_all(b"\n")
                .and_then(|()| self.file.sync_data())
        } else {
            Ok(())
        };
        if let Err(source) = fixed {
            self.poisoned = true;
            return Err(JournalError::io(&self.path)(source));
        }
        if tail.unterminated {
            self.len += 1;
            self.head_line.push(b'\n');
        }
        Ok(tail.torn_tail)
    }

    /// Under the lock: catches up, then appends unless someone else appended first.
    fn append_locked(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        self.catch_up()?;
        let Sealed { records, lines } = seal_next(self, expected_seq, entries)?;
        if records.is_empty() {
            return Ok(records);
        }
        // One write of the whole batch, one fsync (group commit).
        if let Err(source) = (&self.file)
            .write_all(&lines)
            .and_then(|()| self.file.sync_data())
        {
            // Part of the batch may be on disk; only a re-open can tell.
            self.poisoned = true;
            return Err(JournalError::io(&self.path)(source));
        }
        self.len += lines.len() as u64;
        let last_start = lines[..lines.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.head_line = lines[last_start..].to_vec();
        self.records.extend(records.iter().cloned());
        Ok(records)
    }
}

impl Store for FileJournal {
    fn records(&self) -> &[Record] {
        &self.records
    }

    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned {
                path: self.path.clone(),
            });
        }
        self.locked(|j| j.append_locked(expected_seq, entries))
    }
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

// ---------------------------------------------------------------------------------------------
// Memory journal
// ---------------------------------------------------------------------------------------------

/// An in-memory journal with the same [`Store`] behaviour, for tests and embedders.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryJournal {
    records: Vec<Record>,
}

impl MemoryJournal {
    /// A journal holding only `genesis` as record 0.
    pub fn new(genesis: Entry) -> Result<MemoryJournal, JournalError> {
        Ok(MemoryJournal {
            records: seal_batch(None, vec![genesis])?.records,
        })
    }

    /// Loads and verifies JSON lines (with [`verify_records`]); a torn tail is dropped and
    /// reported, an unterminated last record kept.
    pub fn from_jsonl(bytes: &[u8]) -> Result<(MemoryJournal, Option<TornTail>), JournalError> {
        let ReadReport {
            records, torn_tail, ..
        } = verify_records(bytes)?;
        Ok((MemoryJournal { records }, torn_tail))
    }

    /// The journal as JSON lines, byte-identical to what a [`FileJournal`] writes.
    pub fn to_jsonl(&self) -> Result<Vec<u8>, JournalError> {
        let mut buf = Vec::new();
        encode_lines(&self.records, &mut buf)?;
        Ok(buf)
    }
}

impl Store for MemoryJournal {
    fn records(&self) -> &[Record] {
        &self.records
    }

    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        let new = seal_next(self, expected_seq, entries)?.records;
        self.records.extend(new.iter().cloned());
        Ok(new)
    }
}

#[cfg(test)]
mod tests;
