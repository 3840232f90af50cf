//! What a writer reports back: one acknowledgement per accepted command, and the rejection
//! that stopped a batch.

use crate::case::Rejection;
use crate::digest::Digest;
use serde_json::value::RawValue;

/// The acknowledgement of one accepted command (not to be confused with a case in
/// `closed/accepted`): the seq and hash of its last record and its events as
/// recorded. A relying party keeps `seq` and `head` to detect a later rollback.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Acknowledged {
    /// Journal seq of the command's (last) record.
    pub seq: u64,
    /// Hash of that record.
    pub head: Digest,
    /// The events, as written to the journal: each one's RFC 8785 bytes, exactly as its record
    /// holds them.
    pub events: Vec<Box<RawValue>>,
}

impl PartialEq for Acknowledged {
    /// Equal when seq, head and every event's bytes are.
    fn eq(&self, other: &Acknowledged) -> bool {
        self.seq == other.seq
            && self.head == other.head
            && self.events.len() == other.events.len()
            && self
                .events
                .iter()
                .zip(&other.events)
                .all(|(a, b)| a.get() == b.get())
    }
}

/// What [`CaseStore::submit`](super::CaseStore::submit) did with a batch.
#[derive(Debug)]
#[must_use = "a batch may have stopped at a rejected command; check `rejected`"]
pub struct Submission {
    /// One entry per accepted command, durable.
    pub accepted: Vec<Acknowledged>,
    /// The first rejected command's index in the batch, and why; nothing was written for it or
    /// for the commands after it.
    pub rejected: Option<(usize, Rejection)>,
}
