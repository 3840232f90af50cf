//! Why a case could not be stored or restored, with the stable codes the CLI reports.

use crate::case::{Rejection, ReplayError};
use crate::digest::Digest;
use crate::error_code::ErrorCode;
use crate::ids::CaseId;
use crate::journal::JournalError;
use chrono::{DateTime, Utc};

/// Why a case could not be stored or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The journal could not be read or written, or failed its chain check.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The declaration was refused.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// A record does not replay (tampered content, a token that no longer verifies, a pin
    /// mismatch).
    #[error("record {seq} does not replay: {error}")]
    Replay {
        /// The record's seq.
        seq: u64,
        /// Why.
        error: ReplayError,
    },
    /// A relying party (`verify`, the accepted packet) did not bring its own workflow and trust
    /// file: the copies embedded in record 0 can be rewritten by anyone who can write the
    /// journal, so they are never proof (DESIGN §12.1).
    #[error(
        "{purpose} authenticates the journal against the workflow and trust file you hold: pass --workflow FILE and --trust FILE (the copies embedded in the journal can be rewritten by anyone who can write it)"
    )]
    AnchorRequired {
        /// What needed them.
        purpose: String,
    },
    /// A record could not be encoded as JSON (a bug: every event is plain JSON).
    #[error("cannot encode a journal record: {0}")]
    Encode(String),
    /// Record 0 is not a declaration this crate wrote.
    #[error("record 0 is not a valid declaration: {0}")]
    Genesis(String),
    /// The journal does not hold the record a relying party anchored (`--expect-head`): it was
    /// cut back or rewritten.
    #[error(
        "rollback: the journal does not hold record {seq} with hash {head} ({found}); it was truncated or rewritten after that record was acknowledged"
    )]
    Rollback {
        /// The anchored seq.
        seq: u64,
        /// The anchored hash.
        head: Digest,
        /// What the journal holds there instead.
        found: String,
    },
    /// Record 0 declares another case than the one asked for: rows or a file of one case put
    /// under another's name (DESIGN §12.6).
    #[error(
        "case_mismatch: the case asked for is {expected:?}, but its record 0 declares case {found:?}; the store's rows or the journal file belong to another case"
    )]
    CaseMismatch {
        /// The case asked for.
        expected: CaseId,
        /// The case record 0 declares.
        found: CaseId,
    },
    /// The journal's last time of record is ahead of this writer's clock by more than the
    /// skew: stamping it would carry a time that is not the writer's reading (DESIGN §12.7).
    #[error(
        "clock_behind: the journal's last record was stamped {}, ahead of this writer's clock ({}) by more than review.max_clock_skew_secs ({}s); the journal holds a future time (a supplied --at or an injected record) — check it with `verify`, and fix the clock or the journal before appending",
        crate::time::format(last), crate::time::format(now), skew.num_seconds()
    )]
    ClockBehind {
        /// The last record's time of record.
        last: DateTime<Utc>,
        /// This writer's clock reading.
        now: DateTime<Utc>,
        /// The skew allowed.
        skew: chrono::TimeDelta,
    },
    /// A record's time of record is later than the verifier's clock plus the skew: the
    /// journal claims a future that has not happened (DESIGN §12.7).
    #[error(
        "future_record: the journal's last time of record {} is later than this clock ({}) plus review.max_clock_skew_secs ({}s); a record from the future was supplied or injected",
        crate::time::format(last), crate::time::format(now), skew.num_seconds()
    )]
    FutureRecord {
        /// The last record's time of record.
        last: DateTime<Utc>,
        /// The verifier's clock reading.
        now: DateTime<Utc>,
        /// The skew allowed.
        skew: chrono::TimeDelta,
    },
}

impl StoreError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Journal(e) => e.code(),
            StoreError::Rejected(r) => r.code(),
            StoreError::Replay {
                error: ReplayError::PinMismatch { .. },
                ..
            } => ErrorCode::PinMismatch,
            StoreError::Replay { .. } => ErrorCode::JournalTampered,
            StoreError::Genesis(_) => ErrorCode::JournalTampered,
            StoreError::Encode(_) => ErrorCode::JournalEncode,
            StoreError::AnchorRequired { .. } => ErrorCode::AnchorRequired,
            StoreError::Rollback { .. } => ErrorCode::Rollback,
            StoreError::CaseMismatch { .. } => ErrorCode::CaseMismatch,
            StoreError::ClockBehind { .. } => ErrorCode::ClockBehind,
            StoreError::FutureRecord { .. } => ErrorCode::FutureRecord,
        }
    }

    /// True when the journal's integrity is in question (exit 4), as opposed to I/O trouble or
    /// a refused declaration.
    pub fn is_integrity(&self) -> bool {
        match self {
            StoreError::Journal(e) => matches!(
                e,
                JournalError::Tampered { .. }
                    | JournalError::Empty
                    | JournalError::Modified { .. }
                    | JournalError::InvalidEvent { .. }
            ),
            StoreError::Rejected(_) | StoreError::Encode(_) | StoreError::AnchorRequired { .. } => {
                false
            }
            StoreError::Replay { .. }
            | StoreError::Genesis(_)
            | StoreError::Rollback { .. }
            | StoreError::CaseMismatch { .. }
            | StoreError::ClockBehind { .. }
            | StoreError::FutureRecord { .. } => true,
        }
    }
}
