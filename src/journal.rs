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
//! The reference check (`fuzzing::check_line_full`, `testing` feature) parses a line strictly (duplicate keys
//! refused), checks its numbers, serialises the parsed value with `serde_jcs` and compares the
//! bytes. Replay uses a fast path (`fuzzing::check_line_fast`) that accepts a line only when
//! `serde_json`'s compact serialisation of the parsed value equals it *and* that serialisation
//! provably equals the JCS one (integers only, no object key that UTF-16 and code-point order
//! could sort differently); anything else goes to the reference check, so the two agree on every
//! input (a differential property test in `src/journal/tests.rs` checks this on mutated lines).
//!
//! # Durability and concurrency
//!
//! * [`Backend::append_batch`] writes a whole sealed batch and, for a file, `fsync`s once
//!   before returning (group commit); the caller may acknowledge only after it returns `Ok`.
//!   It is a compare-and-set on the head: if another writer appended first, nothing is written
//!   and it fails with [`JournalError::Conflict`]; the caller (a `CaseStore`) reads the new
//!   records, decides again and retries.
//! * [`FileBackend`] creates a new file and `fsync`s it and its parent directory.
//! * One writer at a time: a [`FileBackend`] takes an exclusive OS lock on the file only while
//!   it opens the journal and during each append, and releases it in between, so an idle writer
//!   (say, an `apply` waiting on its input) never blocks another. The lock is waited for at most
//!   the writer's lock timeout, then [`JournalError::Locked`].
//! * Under the lock, an append first reads and verifies whatever other writers appended since
//!   this writer last looked. A file that is shorter than what the writer verified, or whose
//!   last verified line changed, is [`JournalError::Modified`].
//! * [`read_file`] and [`scan`] take no lock: they may observe a live writer's append in
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

mod backend;
mod error;
mod file;
/// The line checks, exposed for differential fuzzing and benchmarks: only with the `testing`
/// feature, never in a production build.
#[cfg(any(test, feature = "testing"))]
pub mod fuzzing;
mod lean;
mod line;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod read;
pub mod rows;
mod seal;
pub(crate) mod side;
mod tee;

pub(crate) use backend::seal_encoded;
pub use backend::{Backend, Batch, JournalRef, StoredSnapshot, seal};
pub use error::{JournalError, TamperReason};
pub use file::{DEFAULT_LOCK_TIMEOUT, FileBackend};
pub use memory::MemoryJournal;
#[cfg(feature = "postgres")]
pub use postgres::{Migration, PgBackend, PgSchema, PgUrl, PgUrlError};
pub(crate) use read::scan_typed;
pub use read::{
    Scan, first_record, read_file, record_at, scan, scan_after, scan_resuming, verify_records,
};

use crate::digest::Digest;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    pub event: std::borrow::Cow<'a, str>,
    /// The record's hash.
    pub hash: Digest,
    /// Where the record's line starts in the stream a scan read it from (0 for a line checked
    /// on its own).
    pub offset: u64,
}

/// A line that passed every check except the chain link.
pub(crate) struct Checked<'a> {
    pub(crate) raw: RawRecord<'a>,
    /// The event, parsed, when the check parsed it (the lean path does not).
    pub(crate) event: Option<Value>,
}

impl Checked<'_> {
    pub(crate) fn into_record(self) -> Record {
        Record {
            seq: self.raw.seq,
            at: self.raw.at,
            prev: self.raw.prev,
            event: self.event.unwrap_or_else(|| {
                serde_json::from_str(&self.raw.event)
                    .expect("a checked line's event is a JSON object")
            }),
            hash: self.raw.hash,
        }
    }
}

#[cfg(test)]
mod tests;
