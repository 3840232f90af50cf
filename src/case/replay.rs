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
    /// A checkpoint commits another state or lineage than the replay of the records before it
    /// (DESIGN §12.8).
    #[error(
        "the checkpoint's {what} is {recorded}, but the records before it replay to {replayed}"
    )]
    Checkpoint {
        /// `state`, `lineage count` or `lineage root`.
        what: &'static str,
        /// What the checkpoint says.
        recorded: String,
        /// What the replay computed.
        replayed: String,
    },
}

/// What replaying one record found out about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// The record's time of record was supplied, not the writer's clock.
    pub supplied_clock: bool,
    /// The record is a checkpoint, and matched the replayed state and lineage.
    pub checkpoint: bool,
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
            EventRecord::Checkpoint {
                state,
                lineage,
                clock,
                ..
            } => {
                // A checkpoint closes its batch at the batch's time of record, which every
                // event of the batch already set: it may not go back, and a future time on it
                // is the case's last time of record like any other (`future_record`).
                if recorded_at < self.last_at {
                    return Err(ReplayError::Refused(Rejection::TimeRegression {
                        at: recorded_at,
                        last: self.last_at,
                    }));
                }
                self.check_checkpoint(&state, &lineage)?;
                self.last_at = recorded_at;
                return Ok(Replayed {
                    supplied_clock: clock.is_some(),
                    checkpoint: true,
                });
            }
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
            checkpoint: false,
        })
    }

    /// Refuses a checkpoint whose state or lineage is not this case's.
    fn check_checkpoint(
        &self,
        state: &Digest,
        lineage: &super::CheckpointLineage,
    ) -> Result<(), ReplayError> {
        let mine = self.checkpoint();
        let differs = |what, recorded: String, replayed: String| {
            Err(ReplayError::Checkpoint {
                what,
                recorded,
                replayed,
            })
        };
        if mine.lineage.count != lineage.count {
            return differs(
                "lineage count",
                lineage.count.to_string(),
                mine.lineage.count.to_string(),
            );
        }
        if mine.lineage.root != lineage.root {
            return differs(
                "lineage root",
                lineage.root.to_string(),
                mine.lineage.root.to_string(),
            );
        }
        if mine.state != *state {
            return differs("state", state.to_string(), mine.state.to_string());
        }
        Ok(())
    }
}
