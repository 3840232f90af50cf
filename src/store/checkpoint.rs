//! Checkpoints (DESIGN §12.8): how often writers append one, and what a writer keeps of the
//! last one — what its snapshot holds.

use crate::packet::JournalRef;

/// How many records a writer appends between checkpoints (DESIGN §12.8) unless told otherwise
/// ([`CaseStore::set_checkpoint_interval`](super::CaseStore::set_checkpoint_interval)): a snapshot is at most this many records behind
/// the head, so opening a case from it replays at most this many.
pub const CHECKPOINT_INTERVAL: u64 = 1024;

/// A checkpoint record and the state it commits: what a snapshot stores.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointed {
    /// The checkpoint record.
    pub(crate) head: JournalRef,
    /// Where its line starts in a journal file (`None` where the backend is not one file).
    pub(crate) offset: Option<u64>,
    /// Records up to and including it whose time of record was supplied.
    pub(crate) supplied_clock: u64,
    /// The case state's RFC 8785 image, whose digest the checkpoint carries.
    pub(crate) image: Vec<u8>,
}
