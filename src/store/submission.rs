//! What a writer reports back: one acknowledgement per accepted command, and the rejection
//! that stopped a batch.

use super::{CaseStore, StoreError};
use crate::case::{Command, Rejection};
use crate::digest::Digest;
use crate::journal::Backend;
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

impl Submission {
    /// Every command's acknowledgement, or the rejection that stopped the batch (the commands
    /// before it are durable; it and those after it were not written).
    pub fn all_accepted(self) -> Result<Vec<Acknowledged>, Rejection> {
        match self.rejected {
            None => Ok(self.accepted),
            Some((_, rejection)) => Err(rejection),
        }
    }
}

impl<B: Backend> CaseStore<B> {
    /// Decides and applies one command, as [`submit`](CaseStore::submit) does a batch of one;
    /// a rejection is [`StoreError::Rejected`] (and nothing was written).
    pub fn submit_one(&mut self, command: Command) -> Result<Acknowledged, StoreError> {
        let Submission {
            mut accepted,
            rejected,
        } = self.submit(std::slice::from_ref(&command))?;
        match (rejected, accepted.pop()) {
            (Some((_, rejection)), _) => Err(rejection.into()),
            (None, Some(acknowledged)) => Ok(acknowledged),
            (None, None) => unreachable!("submit acknowledges every command it does not reject"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorCode;
    use crate::store::{Anchors, CaseStore, Clock, StoreError};
    use crate::testing::{Cast, Harness};
    use std::sync::Arc;

    /// `submit_one` acknowledges an accepted command and turns a refused one into
    /// `StoreError::Rejected`, writing nothing.
    #[test]
    fn submit_one_acknowledges_or_refuses() {
        let mut h = Harness::new();
        let cast = Cast::fixed();
        let token = cast.declaration(h.case.id(), h.now);
        let trust = Arc::new(cast.trust().clone());
        let clock = Clock::Supplied(h.now + chrono::Duration::seconds(60));
        let mut store =
            CaseStore::in_memory(crate::workflow::shipped(), trust, &token, clock).unwrap();
        let finding = h.finding("custody.exposure", serde_json::json!("suspected"));
        let ack = store.submit_one(finding).expect("a finding is accepted");
        assert_eq!(ack.seq, 1);
        let unknown = h.finding("custody.key_colour", serde_json::json!("red"));
        let before = store.position().clone();
        match store.submit_one(unknown) {
            Err(StoreError::Rejected(r)) => assert_eq!(r.code(), ErrorCode::UnknownFact),
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(store.position(), &before, "nothing was written");
    }

    /// A relying party must bring both documents (`anchor_required`).
    #[test]
    fn a_relying_party_needs_its_own_documents() {
        let err = Anchors::default()
            .require_own_documents("verify")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::AnchorRequired);
        assert!(err.to_string().starts_with("verify authenticates"), "{err}");
    }
}
