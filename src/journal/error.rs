//! Journal errors: why a line failed verification ([`TamperReason`]) and every journal failure
//! ([`JournalError`]), each with a stable code.

use crate::digest::Digest;
use crate::error_code::ErrorCode;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// A store that keys each line by a `seq` column (PostgreSQL) holds a row whose `seq` is
    /// not the next one: a row was removed or renumbered.
    #[error(
        "the store's seq column skips: record {expected} comes next, the row holds seq {found} (a row was removed or renumbered)"
    )]
    StoreSeqGap {
        /// The seq the next row must hold.
        expected: u64,
        /// The row's `seq` column.
        found: i64,
    },
    /// A column a store keeps beside a line (PostgreSQL's `seq` and `hash`) differs from the
    /// line's own field.
    #[error("the store's {column} column holds {stored}, the line holds {line}")]
    StoreColumnMismatch {
        /// `seq` or `hash`.
        column: &'static str,
        /// The column's value.
        stored: String,
        /// The line's value.
        line: String,
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
    /// Creating a journal file found the file already there.
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
    #[error("journal tampered at line {line} (seq {}): {reason}", line.saturating_sub(1))]
    Tampered {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: TamperReason,
    },
    /// The journal's head was not the one a batch was sealed against (another writer appended
    /// first); nothing was written. `actual` is the seq the next record would get.
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
    /// A storage backend (a database) failed or refused: unreachable, restarted mid-append,
    /// a statement error. Nothing was acknowledged; an append either committed whole or not at
    /// all, and re-opening the case shows which.
    #[error("journal store {store}: {message}")]
    Store {
        /// Which store (for PostgreSQL, the URL without its password).
        store: String,
        /// What went wrong.
        message: String,
    },
    /// The case already has a journal in the store (record 0 exists).
    #[error("case {case} already exists in {store}")]
    CaseExists {
        /// The store.
        store: String,
        /// The case id.
        case: String,
    },
}

impl JournalError {
    /// Stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            JournalError::Io { .. } => ErrorCode::JournalIo,
            JournalError::AlreadyExists { .. } => ErrorCode::JournalExists,
            JournalError::Locked { .. } => ErrorCode::JournalLocked,
            JournalError::Tampered { .. } => ErrorCode::JournalTampered,
            JournalError::Conflict { .. } => ErrorCode::JournalConflict,
            JournalError::Empty => ErrorCode::JournalEmpty,
            JournalError::InvalidEvent { .. } => ErrorCode::JournalInvalidEvent,
            JournalError::TimeNotRepresentable { .. } => ErrorCode::JournalInvalidTime,
            JournalError::Modified { .. } => ErrorCode::JournalModified,
            JournalError::Poisoned { .. } => ErrorCode::JournalPoisoned,
            JournalError::Encode(_) => ErrorCode::JournalEncode,
            JournalError::Store { .. } => ErrorCode::JournalIo,
            JournalError::CaseExists { .. } => ErrorCode::JournalExists,
        }
    }

    /// A failure reading a journal's bytes from `path` (or a reader): the journal error a
    /// [`Backend`](super::Backend)'s reader carries in the `io::Error` (a store that finds its
    /// rows tampered with reports it that way, through [`BufRead`](std::io::BufRead)), else
    /// [`JournalError::Io`]. For callers that read a backend's bytes themselves.
    pub fn from_read(path: Option<&Path>, source: io::Error) -> JournalError {
        match source.downcast::<JournalError>() {
            Ok(carried) => carried,
            Err(source) => JournalError::Io {
                path: path.map(Path::to_owned),
                source,
            },
        }
    }

    pub(super) fn io(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
        move |source| JournalError::Io {
            path: Some(path.to_owned()),
            source,
        }
    }
}
