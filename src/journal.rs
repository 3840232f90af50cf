//! The case journal: a durable, hash-chained, append-only log of JSON lines.
//!
//! # Line format
//!
//! One JSON object per line, each line ending in `\n`:
//!
//! ```text
//! {"seq":0,"at":"2025-01-01T00:00:00Z","prev":null,"event":{..},"hash":"sha256:.."}
//! ```
//!
//! `hash` is the SHA-256 of the RFC 8785 (JCS) canonical form of the record object *without*
//! the `hash` key. Verification hashes the parsed JSON value, never a re-serialised Rust struct,
//! so a line verifies whatever key order, whitespace or number spelling it was written with.
//! Record 0 is the case's genesis and has `prev: null`; every later record's `prev` is the hash
//! of the record before it, and `seq` counts up from 0 by 1.
//!
//! # Durability
//!
//! * [`Store::append`] writes a whole batch and `fsync`s once before returning (group commit);
//!   the caller may acknowledge only after it returns `Ok`.
//! * [`FileJournal::create`] `fsync`s the new file and its parent directory.
//! * A [`FileJournal`] holds an exclusive OS lock on the file for its whole lifetime;
//!   [`FileJournal::open`] waits for it and then (re)reads and verifies the file, so a writer
//!   never appends on a stale head. [`FileJournal::read`] takes no lock: it may observe a
//!   half-written last line of a live writer, which it reports as a [`TornTail`].
//! * A last line without its trailing newline (a crash mid-write) was never acknowledged: readers
//!   report it, a writer opening the journal truncates it (and `fsync`s) and reports it.
//!   Anything else that does not verify is [`JournalError::Tampered`].

use crate::digest::Digest;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

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
    pub event: Value,
    /// SHA-256 over the JCS canonical form of this record without `hash`.
    pub hash: Digest,
}

/// What a caller asks to append: a timestamp and an event (a JSON object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Entry {
    /// When the entry is recorded.
    pub at: DateTime<Utc>,
    /// The event; must be a JSON object.
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

/// A last line that lacks its trailing newline: written by a crash mid-append, never
/// acknowledged.
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
    /// The complete, verified records, in order.
    pub records: Vec<Record>,
    /// A torn last line, if there was one; it is not part of `records`.
    pub torn_tail: Option<TornTail>,
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
    /// [`FileJournal::try_open`] found another writer holding the lock.
    #[error("journal is locked by another writer: {}", path.display())]
    Locked {
        /// The journal file.
        path: PathBuf,
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
    /// `expected_seq` did not match the seq the next record would get; nothing was written.
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
    /// An entry's event is not a JSON object; nothing was written.
    #[error("entry {index} of the batch is invalid: {reason}")]
    InvalidEvent {
        /// Index in the batch (0 for a genesis).
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file changed under a writer that holds the lock (something ignored the lock).
    #[error(
        "journal modified behind the writer's lock: expected {expected_len} bytes, found {actual_len}"
    )]
    Modified {
        /// Length the writer last wrote.
        expected_len: u64,
        /// Length found on disk.
        actual_len: u64,
    },
    /// An earlier append failed part-way; the on-disk state is unknown. Drop and re-open.
    #[error("journal writer poisoned by an earlier failed append; re-open it: {}", path.display())]
    Poisoned {
        /// The journal file.
        path: PathBuf,
    },
    /// A record could not be encoded (should not happen for `serde_json::Value` events).
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

    /// Appends `entries` as one batch if `expected_seq` is the seq the first of them would get;
    /// otherwise fails with [`JournalError::Conflict`] and writes nothing. Returns the new
    /// records once they are durable. An empty batch writes nothing and returns `Ok(vec![])`
    /// (after the conflict check).
    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError>;
}

// ---------------------------------------------------------------------------------------------
// Sealing (shared write path) and verification (shared read path)
// ---------------------------------------------------------------------------------------------

/// The record without its hash: exactly what the hash covers.
#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    at: &'a DateTime<Utc>,
    prev: Option<&'a Digest>,
    event: &'a Value,
}

/// The append path shared by every [`Store`]: refuses with [`JournalError::Conflict`] unless
/// `expected_seq` is the seq the first entry would get, then seals the entries after the head.
fn seal_next(
    store: &impl Store,
    expected_seq: u64,
    entries: Vec<Entry>,
) -> Result<Vec<Record>, JournalError> {
    let actual = store.next_seq();
    if expected_seq != actual {
        return Err(JournalError::Conflict {
            expected: expected_seq,
            actual,
        });
    }
    seal_batch(store.head(), entries)
}

/// Turns entries into chained records following `head`. Validates every entry first.
fn seal_batch(head: Option<&Record>, entries: Vec<Entry>) -> Result<Vec<Record>, JournalError> {
    if let Some(index) = entries.iter().position(|e| !e.event.is_object()) {
        return Err(JournalError::InvalidEvent {
            index,
            reason: "event is not a JSON object".into(),
        });
    }
    let first = head.map_or(0, |h| h.seq + 1);
    let mut prev = head.map(|h| h.hash.clone());
    let mut out = Vec::with_capacity(entries.len());
    for (seq, Entry { at, event }) in (first..).zip(entries) {
        let hash = Digest::of_canonical(&Unsealed {
            seq,
            at: &at,
            prev: prev.as_ref(),
            event: &event,
        })
        .map_err(|e| JournalError::Encode(e.to_string()))?;
        out.push(Record {
            seq,
            at,
            prev: prev.replace(hash.clone()),
            event,
            hash,
        });
    }
    Ok(out)
}

/// Appends `records` as JSON lines to `buf`.
fn encode_lines(records: &[Record], buf: &mut Vec<u8>) -> Result<(), JournalError> {
    for r in records {
        serde_json::to_writer(&mut *buf, r).map_err(|e| JournalError::Encode(e.to_string()))?;
        buf.push(b'\n');
    }
    Ok(())
}

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
    /// The event's JSON text (a JSON object).
    pub event: std::borrow::Cow<'a, str>,
    /// The record's hash.
    pub hash: Digest,
}

/// The five members of a line, unparsed: the fast path's view.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineParts<'a> {
    #[serde(borrow)]
    seq: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    at: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    prev: &'a serde_json::value::RawValue,
    #[serde(borrow)]
    event: &'a serde_json::value::RawValue,
    hash: String,
}

/// Incremental chain check: feeds lines in order, tracks the expected seq and prev.
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

    /// Verifies one complete line (without its `\n`); `line` is 1-based. Fast path: a line whose
    /// members, reassembled in RFC 8785 key order, hash to its `hash` is proven canonical and
    /// authentic without re-canonicalising (SHA-256 collision resistance); anything else takes
    /// the full path, which canonicalises and reports precisely what is wrong.
    fn accept_raw<'b>(
        &mut self,
        line: u64,
        bytes: &'b [u8],
    ) -> Result<RawRecord<'b>, JournalError> {
        if let Some(raw) = self.fast(line, bytes)? {
            return Ok(raw);
        }
        let r = self.accept(line, bytes)?;
        let event =
            serde_json::to_string(&r.event).map_err(|e| JournalError::Encode(e.to_string()))?;
        Ok(RawRecord {
            seq: r.seq,
            at: r.at,
            prev: r.prev,
            event: std::borrow::Cow::Owned(event),
            hash: r.hash,
        })
    }

    /// `Ok(None)` when the fast path does not apply (the full path decides).
    fn fast<'b>(
        &mut self,
        line: u64,
        bytes: &'b [u8],
    ) -> Result<Option<RawRecord<'b>>, JournalError> {
        let Ok(parts) = serde_json::from_slice::<LineParts<'b>>(bytes) else {
            return Ok(None);
        };
        let Ok(stored) = parts.hash.parse::<Digest>() else {
            return Ok(None);
        };
        let (seq, at, prev, event) = (
            parts.seq.get(),
            parts.at.get(),
            parts.prev.get(),
            parts.event.get(),
        );
        let mut canonical = Vec::with_capacity(bytes.len());
        for (key, value) in [
            ("{\"at\":", at),
            (",\"event\":", event),
            (",\"prev\":", prev),
            (",\"seq\":", seq),
        ] {
            canonical.extend_from_slice(key.as_bytes());
            canonical.extend_from_slice(value.as_bytes());
        }
        canonical.push(b'}');
        if Digest::of_bytes(&canonical) != stored || !event.starts_with('{') {
            return Ok(None);
        }
        // Canonical and authentic; now the members' types and the chain.
        let (Ok(seq), Ok(at), Ok(prev)) = (
            seq.parse::<u64>(),
            serde_json::from_str::<String>(at),
            serde_json::from_str::<Option<Digest>>(prev),
        ) else {
            return Ok(None);
        };
        let Ok(at) = DateTime::parse_from_rfc3339(&at) else {
            return Ok(None);
        };
        self.link(line, seq, &prev, &stored)?;
        Ok(Some(RawRecord {
            seq,
            at: at.with_timezone(&Utc),
            prev,
            event: std::borrow::Cow::Borrowed(event),
            hash: stored,
        }))
    }

    /// Checks that a verified record continues the chain, and advances it.
    fn link(
        &mut self,
        line: u64,
        seq: u64,
        prev: &Option<Digest>,
        hash: &Digest,
    ) -> Result<(), JournalError> {
        let bad = |reason| JournalError::Tampered { line, reason };
        if seq != self.next_seq {
            return Err(bad(TamperReason::SeqOutOfOrder {
                expected: self.next_seq,
                found: seq,
            }));
        }
        if prev != &self.prev {
            return Err(bad(TamperReason::BrokenChain {
                expected: self.prev.clone(),
                found: prev.clone(),
            }));
        }
        self.next_seq += 1;
        self.prev = Some(hash.clone());
        Ok(())
    }

    /// The full path: parse strictly, canonicalise, compare.
    fn accept(&mut self, line: u64, bytes: &[u8]) -> Result<Record, JournalError> {
        let bad = |reason| JournalError::Tampered { line, reason };
        let field =
            |field: &'static str, detail: String| bad(TamperReason::BadField { field, detail });

        let StrictValue(value) =
            serde_json::from_slice(bytes).map_err(|e| bad(TamperReason::NotJson(e.to_string())))?;
        let Value::Object(mut obj) = value else {
            return Err(bad(TamperReason::NotAnObject));
        };
        let stored = match obj.remove("hash") {
            Some(Value::String(s)) => s
                .parse::<Digest>()
                .map_err(|e| field("hash", e.to_string()))?,
            Some(_) => return Err(field("hash", "not a string".into())),
            None => return Err(bad(TamperReason::MissingField("hash"))),
        };
        // Hash exactly what was parsed (minus `hash`), before taking the object apart.
        let computed =
            Digest::of_canonical(&obj).map_err(|e| bad(TamperReason::NotJson(e.to_string())))?;

        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "seq" | "at" | "prev" | "event"))
        {
            return Err(bad(TamperReason::UnexpectedField(k.clone())));
        }
        let mut take = |name: &'static str| {
            obj.remove(name)
                .ok_or_else(|| bad(TamperReason::MissingField(name)))
        };
        let seq = take("seq")?
            .as_u64()
            .ok_or_else(|| field("seq", "not an unsigned integer".into()))?;
        let at = match take("at")? {
            Value::String(s) => DateTime::parse_from_rfc3339(&s)
                .map_err(|e| field("at", format!("not RFC 3339: {e}")))?
                .with_timezone(&Utc),
            _ => return Err(field("at", "not a string".into())),
        };
        let prev = match take("prev")? {
            Value::Null => None,
            Value::String(s) => Some(
                s.parse::<Digest>()
                    .map_err(|e| field("prev", e.to_string()))?,
            ),
            _ => return Err(field("prev", "not a digest or null".into())),
        };
        let event = take("event")?;
        if !event.is_object() {
            return Err(field("event", "not a JSON object".into()));
        }

        if computed != stored {
            return Err(bad(TamperReason::HashMismatch { stored, computed }));
        }
        self.link(line, seq, &prev, &stored)?;
        Ok(Record {
            seq,
            at,
            prev,
            event,
            hash: stored,
        })
    }
}

/// Verifies a whole journal from `reader`: the single chain check used by [`FileJournal`] and
/// [`MemoryJournal`]. Linear: each line is parsed once and hashed once.
///
/// A last line without `\n` is reported as a [`TornTail`], not an error. Every complete line
/// must verify, else [`JournalError::Tampered`]; no complete line at all is
/// [`JournalError::Empty`] (also when the only content is a torn genesis).
pub fn verify_records<R: BufRead>(reader: R) -> Result<ReadReport, JournalError> {
    verify_impl(reader, None).map(|(report, _)| report)
}

/// What [`scan`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Complete, verified records.
    pub records: u64,
    /// The last verified record's seq and hash.
    pub head: Option<(u64, Digest)>,
    /// A partial last line a crashed writer left, if any.
    pub torn_tail: Option<TornTail>,
    /// Bytes of verified content.
    pub len: u64,
}

/// Verifies a journal line by line, handing each verified record to `each` with its event still
/// as JSON text, without keeping records in memory: the streaming read path for replay.
pub fn scan<R: BufRead, E: From<JournalError>>(
    reader: R,
    each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    scan_impl(reader, None, each)
}

fn scan_impl<R: BufRead, E: From<JournalError>>(
    mut reader: R,
    path: Option<&Path>,
    mut each: impl FnMut(RawRecord<'_>) -> Result<(), E>,
) -> Result<Scan, E> {
    let mut chain = Chain::new();
    let mut torn_tail = None;
    let mut head = None;
    let mut buf = Vec::with_capacity(512);
    let mut offset = 0u64;
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| JournalError::Io {
                path: path.map(Path::to_owned),
                source,
            })?;
        if n == 0 {
            break;
        }
        let Some(body) = buf.strip_suffix(b"\n") else {
            // `read_until` stops short of a newline only at end of input. A crash mid-write
            // leaves a strict prefix of a well-formed line: either JSON cut short, or the
            // whole record without its newline. Anything else was never written by a writer.
            check_torn_tail(&chain, line + 1, &buf)?;
            torn_tail = Some(TornTail {
                offset,
                len: n as u64,
            });
            break;
        };
        line += 1;
        let record = chain.accept_raw(line, body)?;
        head = Some((record.seq, record.hash.clone()));
        each(record)?;
        offset += n as u64;
    }
    if line == 0 {
        return Err(JournalError::Empty.into());
    }
    Ok(Scan {
        records: line,
        head,
        torn_tail,
        len: offset,
    })
}

/// A last line without its newline is a torn tail only if a crashed writer could have left it:
/// JSON that ends early, or a complete, valid next record whose newline is missing. A complete
/// value followed by anything (another byte, whitespace) or a syntax error is tampering.
fn check_torn_tail(chain: &Chain, line: u64, bytes: &[u8]) -> Result<(), JournalError> {
    let tampered = |detail: String| JournalError::Tampered {
        line,
        reason: TamperReason::NotJson(format!(
            "last line has no newline and is not a prefix of a well-formed record: {detail}"
        )),
    };
    match serde_json::from_slice::<StrictValue>(bytes) {
        Err(e) if e.is_eof() => Ok(()),
        Err(e) => Err(tampered(e.to_string())),
        Ok(_) if bytes.last() != Some(&b'}') => {
            Err(tampered("trailing bytes after the record".into()))
        }
        Ok(_) => {
            let mut probe = Chain {
                next_seq: chain.next_seq,
                prev: chain.prev.clone(),
            };
            probe.accept_raw(line, bytes).map(|_| ())
        }
    }
}

/// Returns the report and the length in bytes of the verified (complete-line) prefix.
fn verify_impl<R: BufRead>(
    reader: R,
    path: Option<&Path>,
) -> Result<(ReadReport, u64), JournalError> {
    let mut records = Vec::new();
    let scan = scan_impl(reader, path, |raw: RawRecord<'_>| {
        let event = serde_json::from_str(&raw.event).map_err(|e| JournalError::Tampered {
            line: raw.seq + 1,
            reason: TamperReason::NotJson(e.to_string()),
        })?;
        records.push(Record {
            seq: raw.seq,
            at: raw.at,
            prev: raw.prev,
            event,
            hash: raw.hash,
        });
        Ok::<(), JournalError>(())
    })?;
    Ok((
        ReadReport {
            records,
            torn_tail: scan.torn_tail,
        },
        scan.len,
    ))
}

// ---------------------------------------------------------------------------------------------
// File journal
// ---------------------------------------------------------------------------------------------

/// A journal file, exclusively locked for this value's lifetime (the lock is released on drop).
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
    /// Bytes of verified, durable content (the file length we expect).
    len: u64,
    poisoned: bool,
}

impl FileJournal {
    /// Creates a new journal holding only `genesis` as record 0, durable (file and parent
    /// directory `fsync`ed) before returning, and locked. Fails with
    /// [`JournalError::AlreadyExists`] if the file exists.
    pub fn create(path: &Path, genesis: Entry) -> Result<FileJournal, JournalError> {
        let records = seal_batch(None, vec![genesis])?;
        let mut buf = Vec::new();
        encode_lines(&records, &mut buf)?;
        let mut file = OpenOptions::new()
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
            file.lock()?;
            file.write_all(&buf)?;
            file.sync_all()?;
            sync_parent_dir(path)
        })();
        if let Err(source) = written {
            // Best effort: don't leave a half-made journal that blocks a retry.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(JournalError::io(path)(source));
        }
        Ok(FileJournal {
            path: path.to_owned(),
            file,
            records,
            len: buf.len() as u64,
            poisoned: false,
        })
    }

    /// Opens an existing journal for writing: waits for the exclusive lock, then reads and
    /// verifies the whole file. A torn last line is truncated away (and `fsync`ed) and returned.
    pub fn open(path: &Path) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        Self::open_with(path, |f| f.lock().map_err(JournalError::io(path)))
    }

    /// Like [`open`](Self::open), but fails with [`JournalError::Locked`] instead of waiting
    /// if another writer holds the lock.
    pub fn try_open(path: &Path) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        Self::open_with(path, |f| match f.try_lock() {
            Ok(()) => Ok(()),
            Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
                path: path.to_owned(),
            }),
            Err(TryLockError::Error(e)) => Err(JournalError::io(path)(e)),
        })
    }

    fn open_with(
        path: &Path,
        lock: impl FnOnce(&File) -> Result<(), JournalError>,
    ) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(JournalError::io(path))?;
        lock(&file)?;
        // Read only after the lock is held, so the head is never stale.
        let (ReadReport { records, torn_tail }, len) =
            verify_impl(BufReader::with_capacity(1 << 16, &file), Some(path))?;
        if torn_tail.is_some() {
            // Never acknowledged: cut it off durably before anything is appended after it.
            file.set_len(len).map_err(JournalError::io(path))?;
            file.sync_all().map_err(JournalError::io(path))?;
        }
        Ok((
            FileJournal {
                path: path.to_owned(),
                file,
                records,
                len,
                poisoned: false,
            },
            torn_tail,
        ))
    }

    /// Reads and verifies a journal without locking or modifying it. A torn last line (e.g. a
    /// live writer's append in progress) is reported, not an error.
    pub fn read(path: &Path) -> Result<ReadReport, JournalError> {
        let file = File::open(path).map_err(JournalError::io(path))?;
        verify_impl(BufReader::with_capacity(1 << 16, file), Some(path)).map(|(report, _)| report)
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
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
        let new = seal_next(self, expected_seq, entries)?;
        if new.is_empty() {
            return Ok(new);
        }
        let mut buf = Vec::with_capacity(256 * new.len());
        encode_lines(&new, &mut buf)?;
        let on_disk = self
            .file
            .metadata()
            .map_err(JournalError::io(&self.path))?
            .len();
        if on_disk != self.len {
            return Err(JournalError::Modified {
                expected_len: self.len,
                actual_len: on_disk,
            });
        }
        // One write of the whole batch, one fsync (group commit).
        if let Err(source) = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
        {
            // Part of the batch may be on disk; only a re-open can tell.
            self.poisoned = true;
            return Err(JournalError::io(&self.path)(source));
        }
        self.len += buf.len() as u64;
        self.records.extend(new.iter().cloned());
        Ok(new)
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
            records: seal_batch(None, vec![genesis])?,
        })
    }

    /// Loads and verifies JSON lines (with [`verify_records`]); a torn tail is dropped and
    /// reported.
    pub fn from_jsonl(bytes: &[u8]) -> Result<(MemoryJournal, Option<TornTail>), JournalError> {
        let ReadReport { records, torn_tail } = verify_records(bytes)?;
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
        let new = seal_next(self, expected_seq, entries)?;
        self.records.extend(new.iter().cloned());
        Ok(new)
    }
}

#[cfg(test)]
mod tests;
