//! One hand-driven test harness: a case under a workflow, a cast that signs for it, and a clock
//! that moves ten seconds per command. `finding`, `decision`, `review` and `accept` build
//! commands (tokens really signed, digests the case's current ones); `must` applies one that
//! must be accepted and `refuse` one that must be refused with a code, checking the refusal
//! changed nothing. The crate's unit tests and the transition-coverage test drive cases with
//! it; an integrator can drive their own workflow the same way.

use super::{Cast, snapshot};
use crate::approval::{Accept, Decision, Declare, Review, Trust};
use crate::case::{Case, Command, Rejection};
use crate::digest::Digest;
use crate::evidence::{Agent, FindingInput, Source};
use crate::ids::CaseId;
use crate::workflow::Workflow;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::sync::Arc;

/// A case driven by hand. Its fields are open: a test reads the case, and may move the clock.
#[derive(Debug)]
pub struct Harness {
    /// The people who sign.
    pub cast: Cast,
    /// The case.
    pub case: Case,
    /// The clock: the `at` and time of record of the next command, less ten seconds.
    pub now: DateTime<Utc>,
}

impl Harness {
    /// The shipped workflow and the fixed cast: `sam.rivera` declares case `case-7` at
    /// 2026-11-28T09:00:00Z.
    pub fn new() -> Harness {
        let at = "2026-11-28T09:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("a fixed time parses: {e}"));
        Harness::open(
            crate::workflow::shipped(),
            Cast::fixed(),
            "sam.rivera",
            "case-7".into(),
            at,
        )
    }

    /// A case under `workflow`, declared by `declarer` of `cast` at `at`.
    pub fn open(
        workflow: Arc<Workflow>,
        cast: Cast,
        declarer: &str,
        id: CaseId,
        at: DateTime<Utc>,
    ) -> Harness {
        let token = cast.token(
            declarer,
            &id,
            at,
            Decision::Declare(Declare {
                scope: "prod signing key".into(),
                severity: "sev1".into(),
            }),
        );
        let trust: Arc<Trust> = Arc::new(cast.trust().clone());
        let case = Case::open(workflow, trust, &token, at)
            .unwrap_or_else(|e| panic!("{declarer} may declare the case: {e}"));
        Harness {
            cast,
            case,
            now: at,
        }
    }

    /// Moves the clock ten seconds and returns it.
    pub fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(10);
        self.now
    }

    /// A finding of `fact` with `value`, by an agent of the role the workflow lets submit it,
    /// from the fact's first declared source system.
    pub fn finding(&mut self, fact: &str, value: Value) -> Command {
        let def = self.case.workflow().fact(&fact.into());
        let role = def.map_or_else(|| "unknown-role".into(), |d| d.submitted_by.clone());
        let system = def
            .and_then(|d| d.source_systems.first().cloned())
            .unwrap_or_else(|| "unknown-system".into());
        Command::Finding {
            at: self.tick(),
            agent: Agent {
                role,
                id: "agent-1".into(),
            },
            finding: FindingInput {
                fact: fact.into(),
                value,
                source: Source {
                    system,
                    record: format!("rec-{fact}"),
                    digest: Digest::of_bytes(fact.as_bytes()),
                },
                note: Some("seen in audit".into()),
            },
        }
    }

    /// A decision by `who`, signed now.
    pub fn decision(&mut self, who: &str, d: Decision) -> Command {
        let at = self.tick();
        let id = self.case.id().clone();
        Command::Decision {
            at,
            token: self.cast.token(who, &id, at, d),
        }
    }

    /// The current draft's digest (any digest when there is none: the state check comes first,
    /// so such a command is refused for its state).
    pub fn digest(&self) -> Digest {
        self.case
            .draft_digest()
            .unwrap_or_else(|| Digest::of_bytes(b"no draft yet"))
    }

    /// A review by `who` of the current draft, attesting exactly what the policy asks.
    pub fn review(&mut self, who: &str) -> Command {
        let packet_digest = self.digest();
        let attests = self.case.workflow().review().attestations.clone();
        self.decision(
            who,
            Decision::Review(Review {
                packet_digest,
                attests,
            }),
        )
    }

    /// An acceptance by `who` of the current draft, for the recommended lane.
    pub fn accept(&mut self, who: &str) -> Command {
        let packet_digest = self.digest();
        let lane = self.case.recommended_lane().clone();
        self.decision(
            who,
            Decision::Accept(Accept {
                lane,
                packet_digest,
            }),
        )
    }

    /// Decides `cmd` at its own `at` (an honest writer whose clock reads the command's time)
    /// and applies its events.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), Rejection> {
        let events = self.case.decide(cmd, cmd.at())?;
        for e in events {
            self.case
                .evolve(e)
                .unwrap_or_else(|e| panic!("an event decided on this case applies: {e}"));
        }
        Ok(())
    }

    /// Applies a command that must be accepted.
    #[track_caller]
    pub fn must(&mut self, cmd: Command) {
        if let Err(e) = self.apply(&cmd) {
            panic!("{cmd:?} refused: {e}");
        }
    }

    /// Applies a command that must be refused with `code`, and checks that nothing changed.
    #[track_caller]
    pub fn refuse(&mut self, cmd: Command, code: crate::ErrorCode) -> Rejection {
        let before = snapshot(&self.case);
        let Err(err) = self.apply(&cmd) else {
            panic!("{cmd:?} was accepted; expected `{code}`");
        };
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(snapshot(&self.case), before, "a refusal changed the case");
        err
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}
