//! Replay: a recorded event back into its command, decided again at its time of record.

use super::*;

/// Why a recorded event does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The journal was written under a different workflow or trust file.
    #[error("{what} digest mismatch: journal pinned {pinned}, given {given}")]
    PinMismatch {
        /// `workflow` or `trust`.
        what: &'static str,
        /// Digest in the journal.
        pinned: Digest,
        /// Digest of the file given now.
        given: Digest,
    },
    /// A recorded event is not a command the case can parse.
    #[error("recorded event is malformed: {0}")]
    Malformed(String),
    /// The case refuses the recorded command now (e.g. a token that no longer verifies).
    #[error("recorded command is refused on replay: {0}")]
    Refused(Rejection),
    /// Re-deciding the command produced a different event than the one recorded.
    #[error("recorded event differs from the event its command produces on replay")]
    Diverged,
}

/// What replaying one record found out about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// The record's time of record was supplied, not the writer's clock.
    pub supplied_clock: bool,
}

impl Case {
    /// Rebuilds a case from its genesis record, checking the pinned digests.
    pub fn from_genesis(
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        genesis: &Genesis,
    ) -> Result<Case, ReplayError> {
        if workflow.digest() != &genesis.workflow_digest {
            return Err(ReplayError::PinMismatch {
                what: "workflow",
                pinned: genesis.workflow_digest.clone(),
                given: workflow.digest().clone(),
            });
        }
        if trust.digest() != &genesis.trust_digest {
            return Err(ReplayError::PinMismatch {
                what: "trust",
                pinned: genesis.trust_digest.clone(),
                given: trust.digest().clone(),
            });
        }
        let case = Case::open(workflow, trust, &genesis.token, genesis.at)
            .map_err(ReplayError::Refused)?;
        if &case.genesis != genesis {
            return Err(ReplayError::Diverged);
        }
        Ok(case)
    }

    /// Replays one recorded event (its journal JSON) at its record's time of record: turns it
    /// back into its command, decides it again — which re-verifies any token at that time —
    /// checks that a decision's recorded kind, issuer and token digest match the verified
    /// token, and evolves.
    pub fn replay_event(
        &mut self,
        recorded: &serde_json::Value,
        recorded_at: DateTime<Utc>,
    ) -> Result<Replayed, ReplayError> {
        let r = EventRecord::deserialize(recorded)
            .map_err(|e| ReplayError::Malformed(e.to_string()))?;
        self.replay_recorded(r, recorded_at)
    }

    /// [`replay_event`](Case::replay_event) from the event's JSON text.
    pub fn replay_json(
        &mut self,
        recorded: &str,
        recorded_at: DateTime<Utc>,
    ) -> Result<Replayed, ReplayError> {
        let r = serde_json::from_str::<EventRecord>(recorded)
            .map_err(|e| ReplayError::Malformed(e.to_string()))?;
        self.replay_recorded(r, recorded_at)
    }

    pub(crate) fn replay_recorded(
        &mut self,
        recorded: EventRecord,
        recorded_at: DateTime<Utc>,
    ) -> Result<Replayed, ReplayError> {
        let (command, claimed, clock) = match recorded {
            EventRecord::Finding {
                at,
                agent,
                finding,
                clock,
            } => (Command::Finding { at, agent, finding }, None, clock),
            EventRecord::Decision {
                at,
                kind,
                issuer,
                token_digest,
                token,
                clock,
            } => (
                Command::Decision { at, token },
                Some((kind, issuer, token_digest)),
                clock,
            ),
        };
        let events = self
            .decide(&command, recorded_at)
            .map_err(ReplayError::Refused)?;
        if let Some((kind, issuer, digest)) = claimed {
            let matches = events.iter().all(|e| match &e.kind {
                EventKind::Decision { approval, .. } => {
                    approval.kind() == kind
                        && approval.issuer() == &issuer
                        && approval.token_digest() == &digest
                }
                EventKind::Finding(_) => false,
            });
            if !matches {
                return Err(ReplayError::Diverged);
            }
        }
        for event in events {
            self.evolve(event).map_err(|_| ReplayError::Diverged)?;
        }
        Ok(Replayed {
            supplied_clock: clock.is_some(),
        })
    }
}
