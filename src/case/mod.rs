//! The severe case: `decide` (pure, never mutates) and `evolve` (infallible, deterministic).
//!
//! A [`Command`] is untrusted JSON. [`Case::decide`] validates it against the workflow, the trust
//! registry and the current state and returns the [`Event`]s it causes, or a [`Rejection`] that
//! changed nothing. [`Case::evolve`] applies an event. Events can only be made by `decide`
//! (their constructor is private), and a decision event carries the verified
//! [`AnyApproval`] that `decide` obtained from the verifier, so `evolve` can only ever apply
//! human decisions that were verified. Events serialise for the journal but do not deserialise:
//! replay turns each recorded event back into its command and runs it through `decide` again,
//! which re-verifies every token at its recorded time ([`Case::replay_event`]).

mod genesis;
pub mod machine;
mod rejection;

pub use genesis::{Genesis, GenesisRecord};

use crate::approval::{
    AnyApproval, Approval, DecisionKind, Redirect, RedirectAction, Trust, VerifyContext, verify,
};
use crate::assess::{Assessment, Floor, LaneContext, Reason, assess_in, recommend};
use crate::digest::Digest;
use crate::evidence::{Agent, Evidence, Finding, FindingInput};
use crate::ids::{CaseId, FactKey, LaneId, PrincipalId, RoleId, RuleId};
use crate::packet::{
    ApprovalRecord, DecisionOwner, Declared, DelegationRecord, DraftContent, DraftPacket,
    FactEntry, LaneCause, LaneChange, RecommendationPacket, RedirectRecord, Timings, WorkflowRef,
};
use crate::workflow::{Lane, Truth, Workflow};
use chrono::{DateTime, Utc};
use machine::{Acceptance, Chart, Input, InputKind, Leaf, Quorum, Revision};
pub use rejection::Rejection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A command, as integrations send it (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// An agent's finding.
    Finding {
        /// When the agent observed it (RFC 3339, four-digit year). The case judges everything
        /// at the time of record instead; this may not run ahead of it by more than the
        /// review policy's `max_clock_skew_secs`.
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        /// The submitting agent.
        agent: Agent,
        /// The finding.
        finding: FindingInput,
    },
    /// A human decision: a compact JWS token.
    Decision {
        /// When the human decided it (RFC 3339, four-digit year); as for findings, the token
        /// is judged at the time of record.
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        /// The token.
        token: String,
    },
}

/// Bounds on untrusted input (DESIGN §12.4), each refused with `input_too_large`.
pub mod limits {
    /// A command line, bytes.
    pub const COMMAND_BYTES: usize = 64 * 1024;
    /// A token, bytes.
    pub const TOKEN_BYTES: usize = crate::approval::MAX_TOKEN_BYTES;
    /// An id, a source record or a source system, bytes.
    pub const ID_BYTES: usize = 256;
    /// A note, bytes.
    pub const NOTE_BYTES: usize = 4 * 1024;
}

fn bounded(what: &'static str, text: &str, limit: usize) -> Result<(), Rejection> {
    if text.len() > limit {
        return Err(Rejection::InputTooLarge {
            what,
            size: text.len(),
            limit,
        });
    }
    Ok(())
}

impl Command {
    /// Parses one command line: over 64 KiB is `input_too_large`, malformed JSON (or a
    /// timestamp outside the one grammar) is `invalid_json`.
    pub fn from_json(line: &str) -> Result<Command, Rejection> {
        bounded("a command line", line, limits::COMMAND_BYTES)?;
        serde_json::from_str(line).map_err(|e| Rejection::InvalidJson {
            message: e.to_string(),
        })
    }

    /// The command's time.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Command::Finding { at, .. } | Command::Decision { at, .. } => *at,
        }
    }
}

/// Something that happened to the case. Only [`Case::decide`] makes events; each carries the
/// time of record it was decided at and the case state it was decided against, and
/// [`Case::evolve`] consumes it (an event is not `Clone`): it is applied once, to that state.
#[derive(Debug)]
pub struct Event {
    kind: EventKind,
    recorded_at: DateTime<Utc>,
    basis: Basis,
}

/// The case state an event was decided against: the case, and how many events it had applied.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Basis {
    case: CaseId,
    applied: u64,
}

/// [`Case::evolve`] refused an event decided against another state of the case (e.g. on a
/// stale clone) or against another case: its checks — digests, quorum, authority — were made
/// against what that state held, not what this one holds. Decide the command again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stale event: decided against case `{decided_case}` after {decided_at} events, applied to case `{case}` after {case_at}; decide the command again against the current state"
)]
pub struct StaleEvent {
    /// The case the event was decided against.
    pub decided_case: CaseId,
    /// How many events that case had applied.
    pub decided_at: u64,
    /// The case it was applied to.
    pub case: CaseId,
    /// How many events this case has applied.
    pub case_at: u64,
}

impl StaleEvent {
    /// The stable code: `stale_event`.
    pub fn code(&self) -> &'static str {
        "stale_event"
    }
}

#[derive(Debug)]
enum EventKind {
    Finding(Finding),
    Decision {
        at: DateTime<Utc>,
        approval: AnyApproval,
    },
}

impl Event {
    /// When its submitter says it happened (the command's `at`).
    pub fn at(&self) -> DateTime<Utc> {
        match &self.kind {
            EventKind::Finding(f) => f.at,
            EventKind::Decision { at, .. } => *at,
        }
    }

    /// The time of record it was decided at: the journal record's `at`.
    pub fn recorded_at(&self) -> DateTime<Utc> {
        self.recorded_at
    }
}

/// The journal form of an event: a finding mirrors its command; a decision keeps the raw token
/// (so replay re-verifies it) plus its kind, issuer and digest for readers.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventRecord<'a> {
    /// A finding.
    Finding {
        /// When.
        at: DateTime<Utc>,
        /// Who.
        agent: &'a Agent,
        /// What.
        finding: FindingRecordBody<'a>,
    },
    /// A verified decision.
    Decision {
        /// When.
        at: DateTime<Utc>,
        /// Decision kind.
        kind: DecisionKind,
        /// Issuer.
        issuer: &'a PrincipalId,
        /// SHA-256 of the token.
        token_digest: &'a Digest,
        /// The compact JWS.
        token: &'a str,
    },
}

/// The `finding` part of a finding event.
#[derive(Serialize, JsonSchema)]
pub struct FindingRecordBody<'a> {
    /// The fact.
    pub fact: &'a FactKey,
    /// Its value.
    pub value: &'a crate::workflow::FactValue,
    /// Provenance.
    pub source: &'a crate::evidence::Source,
    /// Note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: &'a Option<String>,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            EventKind::Finding(f) => EventRecord::Finding {
                at: f.at,
                agent: &f.agent,
                finding: FindingRecordBody {
                    fact: &f.fact,
                    value: &f.value,
                    source: &f.source,
                    note: &f.note,
                },
            },
            EventKind::Decision { at, approval } => EventRecord::Decision {
                at: *at,
                kind: approval.kind(),
                issuer: approval.issuer(),
                token_digest: approval.token_digest(),
                token: approval.token(),
            },
        }
        .serialize(s)
    }
}

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

/// Read-only summary for `status`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Status {
    /// The case id.
    pub case_id: CaseId,
    /// Leaf state name.
    pub state: Leaf,
    /// Hierarchical path, e.g. `open/deciding/in_review`.
    pub path: String,
    /// Current draft revision (0 before the first draft).
    pub revision: u64,
    /// Recommended lane.
    pub recommended_lane: LaneId,
    /// Digest of the current draft, when one exists: what reviewers and the acceptor sign.
    pub draft_digest: Option<Digest>,
    /// Digest of the current assessment: what `set_lane` and `exclude_option` redirects sign.
    pub assessment_digest: Digest,
    /// Who owns the decision.
    pub decision_owner: DecisionOwner,
    /// Valid sign-offs on the current draft.
    pub signoffs: usize,
    /// True when nothing pending.
    pub stable: bool,
    /// Required facts still unknown.
    pub missing_required: Vec<FactKey>,
    /// Facts a redirect asked for that have not arrived.
    pub requested_evidence: Vec<FactKey>,
    /// Findings recorded.
    pub findings: usize,
}

/// A review sign-off as the case keeps it.
#[derive(Debug, Clone, PartialEq)]
struct SignOff {
    issuer: PrincipalId,
    kid: crate::ids::KeyId,
    revision: u64,
}

/// One severe case.
#[derive(Debug, Clone)]
pub struct Case {
    workflow: Arc<Workflow>,
    trust: Arc<Trust>,
    genesis: Genesis,
    declared: Declared,
    chart: Chart,
    evidence: Evidence,
    lanes: LaneContext,
    lane_history: Vec<LaneChange>,
    delegations: Vec<DelegationRecord>,
    redirects: Vec<RedirectRecord>,
    requested: BTreeSet<FactKey>,
    revision: u64,
    approvals: Vec<ApprovalRecord>,
    signoffs: Vec<SignOff>,
    seen_jti: BTreeSet<String>,
    last_at: DateTime<Utc>,
    first_draft_at: Option<DateTime<Utc>>,
    /// Events applied since the case was opened: the position an [`Event`] is decided at.
    applied: u64,
    /// Digests of what the case holds now, computed on first use and forgotten by
    /// [`evolve`](Case::evolve) (the only way a case changes): a draft digest is an RFC 8785
    /// serialisation of the whole draft, and `decide`, `status` and an orchestrator's reads all
    /// ask for it.
    memo: Memo,
}

/// See [`Case::memo`](Case).
#[derive(Debug, Clone, Default)]
struct Memo {
    draft_digest: std::sync::OnceLock<Option<Digest>>,
    assessment_digest: std::sync::OnceLock<Digest>,
}

impl Case {
    /// Opens a case from a `declare` token signed by a holder of the workflow's command role.
    /// The case id is the token's `sub`; `at` is the declaration's time.
    pub fn open(
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<Case, Rejection> {
        let ctx = VerifyContext {
            case_id: None,
            at,
            max_lifetime_secs: workflow.review().max_token_lifetime_secs,
        };
        let approval = match verify(token, &trust, &ctx)? {
            AnyApproval::Declare(a) => a,
            other => {
                return Err(Rejection::NotAllowedInState {
                    state: Leaf::Gathering,
                    path: "(no case yet)".into(),
                    command: format!(
                        "{} (a case is opened by a declare token)",
                        other.kind().as_str()
                    ),
                    accepts: vec!["declare"],
                });
            }
        };
        let command_role = &workflow.review().command_role;
        if !trust.has_role(approval.issuer(), command_role) {
            return Err(Rejection::NotAuthorized {
                issuer: approval.issuer().clone(),
                action: "declare a severe case".into(),
                needed: format!("the `{command_role}` role"),
            });
        }
        let genesis = Genesis {
            kind: "declaration".into(),
            case_id: approval.case_id().clone(),
            workflow_id: workflow.id().to_owned(),
            workflow_digest: workflow.digest().clone(),
            trust_digest: trust.digest().clone(),
            at,
            issuer: approval.issuer().clone(),
            token: token.to_owned(),
            token_digest: approval.token_digest().clone(),
        };
        let d = approval.decision();
        let declared = Declared {
            scope: d.scope.clone(),
            severity: d.severity.clone(),
            by: approval.issuer().clone(),
            at,
        };
        let lowest = workflow.lanes()[0].id.clone();
        let mut case = Case {
            genesis,
            declared,
            chart: Chart::default(),
            evidence: Evidence::default(),
            lanes: LaneContext::default(),
            lane_history: vec![LaneChange {
                at,
                from: None,
                to: lowest,
                cause: LaneCause::Declared {
                    by: approval.issuer().clone(),
                },
            }],
            delegations: Vec::new(),
            redirects: Vec::new(),
            requested: BTreeSet::new(),
            revision: 0,
            approvals: vec![record(&approval, DecisionKind::Declare, at, None)],
            signoffs: Vec::new(),
            seen_jti: [approval.jti().to_owned()].into(),
            last_at: at,
            first_draft_at: None,
            applied: 0,
            memo: Memo::default(),
            workflow,
            trust,
        };
        // A workflow with nothing required is reviewable at once.
        case.settle(at, Revision::Declaration(Arc::new(approval)));
        Ok(case)
    }

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
        let r = RecordedEvent::deserialize(recorded)
            .map_err(|e| ReplayError::Malformed(e.to_string()))?;
        self.replay_recorded(r, recorded_at)
    }

    /// [`replay_event`](Case::replay_event) from the event's JSON text.
    pub fn replay_json(
        &mut self,
        recorded: &str,
        recorded_at: DateTime<Utc>,
    ) -> Result<Replayed, ReplayError> {
        let r = serde_json::from_str::<RecordedEvent>(recorded)
            .map_err(|e| ReplayError::Malformed(e.to_string()))?;
        self.replay_recorded(r, recorded_at)
    }

    fn replay_recorded(
        &mut self,
        recorded: RecordedEvent,
        recorded_at: DateTime<Utc>,
    ) -> Result<Replayed, ReplayError> {
        let (command, claimed, clock) = match recorded {
            RecordedEvent::Finding {
                at,
                agent,
                finding,
                clock,
            } => (Command::Finding { at, agent, finding }, None, clock),
            RecordedEvent::Decision {
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

    /// The digest of the current assessment (`sha256:` + SHA-256 of its RFC 8785 form), which
    /// `set_lane` and `exclude_option` redirects must name: it binds a redirect to what its
    /// signer saw.
    pub fn assessment_digest(&self) -> Digest {
        self.memo
            .assessment_digest
            .get_or_init(|| digest_of(&self.assessment()))
            .clone()
    }

    /// A redirect is bound to the assessment its signer saw: `stale_approval` once it changed.
    fn signed_what_was_seen(&self, signed: &Digest) -> Result<(), Rejection> {
        let expected = self.assessment_digest();
        if &expected == signed {
            Ok(())
        } else {
            Err(Rejection::StaleApproval {
                expected,
                got: signed.clone(),
            })
        }
    }

    // ----- reading -----

    /// The case id.
    pub fn id(&self) -> &CaseId {
        &self.genesis.case_id
    }
    /// Record 0 of the case's journal.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }
    /// The shared workflow and trust registry the case runs under.
    pub fn shared(&self) -> (Arc<Workflow>, Arc<Trust>) {
        (Arc::clone(&self.workflow), Arc::clone(&self.trust))
    }

    /// The workflow.
    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }
    /// The current leaf state.
    pub fn state(&self) -> Leaf {
        self.chart.leaf()
    }
    /// The current state's path, e.g. `open/deciding/drafted`.
    pub fn path(&self) -> String {
        self.state().path()
    }
    /// The current draft revision (0 before the first draft).
    pub fn revision(&self) -> u64 {
        self.revision
    }
    /// The time of record of the last event.
    pub fn last_at(&self) -> DateTime<Utc> {
        self.last_at
    }
    /// The evidence so far.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }
    /// Every lane change.
    pub fn lane_history(&self) -> &[LaneChange] {
        &self.lane_history
    }

    /// The assessment under the case's lane context.
    pub fn assessment(&self) -> Assessment {
        assess_in(&self.workflow, &self.evidence, &self.lanes)
    }

    /// The lane the case currently recommends.
    pub fn recommended_lane(&self) -> &LaneId {
        // The last lane change is the current lane: every change is recorded.
        &self.lane_history[self.lane_history.len() - 1].to
    }

    /// The current draft, in any `open/deciding/*` state.
    pub fn draft(&self) -> Option<DraftPacket> {
        if !self.state().is_deciding() && self.state() != Leaf::Accepted {
            return None;
        }
        Some(self.build_draft())
    }

    /// The current draft's digest, in any `open/deciding/*` state.
    pub fn draft_digest(&self) -> Option<Digest> {
        self.memo
            .draft_digest
            .get_or_init(|| self.draft().map(|d| d.packet_digest))
            .clone()
    }

    /// The accepted recommendation: `Some` only in `closed/accepted`. `journal` is where the
    /// acceptance — the case's last record, since a closed case takes nothing more — sits in
    /// its journal; the packet carries it so that a relying party can detect a rollback.
    pub fn packet(&self, journal: crate::packet::JournalRef) -> Option<RecommendationPacket> {
        let acceptance = self.chart.acceptance()?;
        let by = acceptance.approval().issuer().clone();
        Some(RecommendationPacket::new(self.build_draft(), by, journal))
    }

    /// A summary for `status`.
    pub fn status(&self) -> Status {
        let a = self.assessment();
        Status {
            case_id: self.id().clone(),
            state: self.state(),
            path: self.path(),
            revision: self.revision,
            recommended_lane: self.recommended_lane().clone(),
            draft_digest: self.draft_digest(),
            assessment_digest: self.assessment_digest(),
            decision_owner: self.decision_owner(),
            signoffs: self.current_signoffs().count(),
            stable: a.stable,
            missing_required: a.missing_required,
            requested_evidence: self.requested.iter().cloned().collect(),
            findings: self.evidence.findings().len(),
        }
    }

    // ----- deciding -----

    /// Validates a command at the time of record `now` and returns the events it causes.
    /// Pure: reads no clock, no disk, changes nothing.
    ///
    /// `now` is the writer's clock (DESIGN §12.3), never the submitter's: tokens, delegations
    /// and ordering are judged at it. It may not be earlier than the last record's time
    /// (`time_regression`), and the command's own `at` may not run ahead of it by more than the
    /// review policy's `max_clock_skew_secs` (`clock_skew`).
    pub fn decide(&self, command: &Command, now: DateTime<Utc>) -> Result<Vec<Event>, Rejection> {
        if !InputKind::ALL.iter().any(|k| self.chart.allows(*k)) {
            // No input is allowed in this state (the closed states): one code for all commands.
            return Err(Rejection::CaseClosed {
                state: self.state(),
            });
        }
        if now < self.last_at {
            return Err(Rejection::TimeRegression {
                at: now,
                last: self.last_at,
            });
        }
        let skew = self.workflow.review().max_clock_skew_secs;
        if command.at() > now + chrono::Duration::seconds(skew) {
            return Err(Rejection::ClockSkew {
                at: command.at(),
                recorded_at: now,
                max_skew_secs: skew,
            });
        }
        let event = |kind| Event {
            kind,
            recorded_at: now,
            basis: Basis {
                case: self.id().clone(),
                applied: self.applied,
            },
        };
        match command {
            Command::Finding { at, agent, finding } => self
                .decide_finding(*at, agent, finding)
                .map(|f| vec![event(EventKind::Finding(f))]),
            Command::Decision { at, token } => self
                .decide_decision(now, token)
                .map(|approval| vec![event(EventKind::Decision { at: *at, approval })]),
        }
    }

    /// Whether the statechart takes an input of `kind` in the current state (the table, as the
    /// machine dispatches it), else `not_allowed_in_state` naming what the state accepts.
    fn allowed(&self, kind: InputKind, command: &str) -> Result<(), Rejection> {
        if self.chart.allows(kind) {
            return Ok(());
        }
        Err(Rejection::NotAllowedInState {
            state: self.state(),
            path: self.path(),
            command: command.to_owned(),
            accepts: machine::accepted_commands(self.state()),
        })
    }

    fn decide_finding(
        &self,
        at: DateTime<Utc>,
        agent: &Agent,
        input: &FindingInput,
    ) -> Result<Finding, Rejection> {
        for (what, text, limit) in [
            ("the agent role", agent.role.as_str(), limits::ID_BYTES),
            ("the agent id", agent.id.as_str(), limits::ID_BYTES),
            ("the fact", input.fact.as_str(), limits::ID_BYTES),
            (
                "source.system",
                input.source.system.as_str(),
                limits::ID_BYTES,
            ),
            (
                "source.record",
                input.source.record.as_str(),
                limits::ID_BYTES,
            ),
            (
                "the note",
                input.note.as_deref().unwrap_or_default(),
                limits::NOTE_BYTES,
            ),
        ] {
            bounded(what, text, limit)?;
        }
        let def = self.workflow.fact(&input.fact).ok_or_else(|| {
            crate::workflow::FactError::UnknownFact {
                fact: input.fact.clone(),
            }
        })?;
        if agent.role != def.submitted_by {
            return Err(Rejection::RoleNotPermitted {
                role: agent.role.clone(),
                fact: input.fact.clone(),
                allowed: def.submitted_by.clone(),
            });
        }
        let value = self.workflow.parse_fact(&input.fact, &input.value)?;
        // `open` takes a revision whether or not it makes the draft reviewable.
        self.allowed(InputKind::Revise { ready: true }, "finding")?;
        Ok(Finding {
            fact: input.fact.clone(),
            value,
            agent: agent.clone(),
            source: input.source.clone(),
            note: input.note.clone(),
            at,
            sensitivity: def.sensitivity,
        })
    }

    fn decide_decision(&self, at: DateTime<Utc>, token: &str) -> Result<AnyApproval, Rejection> {
        bounded("the token", token, limits::TOKEN_BYTES)?;
        let ctx = VerifyContext {
            case_id: Some(self.id()),
            at,
            max_lifetime_secs: self.workflow.review().max_token_lifetime_secs,
        };
        let approval = verify(token, &self.trust, &ctx)?;
        if self.seen_jti.contains(approval.jti()) {
            return Err(Rejection::ReplayedToken {
                jti: approval.jti().to_owned(),
            });
        }
        match &approval {
            AnyApproval::Declare(_) => self.allowed(InputKind::Declare, "declare")?,
            AnyApproval::Delegate(a) => self.check_delegate(a, at)?,
            AnyApproval::Review(a) => self.check_review(a)?,
            AnyApproval::Accept(a) => self.check_accept(a, at)?,
            AnyApproval::Redirect(a) => self.check_redirect(a, at)?,
            AnyApproval::StandDown(a) => {
                self.allowed(InputKind::StandDown, "stand_down")?;
                let role = &self.workflow.review().command_role;
                if !self.trust.has_role(a.issuer(), role) {
                    return Err(Rejection::NotAuthorized {
                        issuer: a.issuer().clone(),
                        action: "stand the case down".into(),
                        needed: format!("the `{role}` role"),
                    });
                }
            }
        }
        Ok(approval)
    }

    fn lane(&self, id: &LaneId) -> Option<&Lane> {
        self.workflow.lane(id)
    }

    fn rank(&self, id: &LaneId) -> u32 {
        self.lane(id).map_or(0, |l| l.rank)
    }

    /// True when `who` owns `lane` at `at`: holds its role, or has a delegation of it that is
    /// unexpired at `at`. The one ownership rule `decide` applies (and a harness may ask).
    pub fn owns(&self, who: &PrincipalId, lane: &LaneId, at: DateTime<Utc>) -> bool {
        let holds = self
            .lane(lane)
            .is_some_and(|l| self.trust.has_role(who, &l.holder_role));
        holds
            || self
                .delegations
                .iter()
                .any(|d| &d.lane == lane && &d.to == who && at < d.until)
    }

    /// The highest lane the case has reached (the lane a `set_lane` lowering is judged
    /// against).
    pub fn max_lane(&self) -> &LaneId {
        self.lane_history
            .iter()
            .map(|c| &c.to)
            .max_by_key(|l| self.rank(l))
            .unwrap_or_else(|| self.recommended_lane())
    }

    fn check_delegate(
        &self,
        a: &Approval<crate::approval::Delegate>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        self.allowed(InputKind::Revise { ready: true }, "delegate")?;
        let d = a.decision();
        let deny = |needed: String| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: format!("delegate `{}` to {}", d.lane, d.to),
            needed,
        };
        let lane = self
            .lane(&d.lane)
            .ok_or_else(|| deny(format!("`{}` is not a lane of this workflow", d.lane)))?;
        if !self.trust.has_role(a.issuer(), &lane.holder_role) {
            return Err(deny(format!(
                "only a holder of `{}` may lend it (delegates cannot re-delegate)",
                lane.holder_role
            )));
        }
        if self.trust.principal(&d.to).is_none() {
            return Err(deny(format!(
                "`{}` is not a principal in the trust file",
                d.to
            )));
        }
        if &d.to == a.issuer() {
            return Err(deny(
                "a delegation to another principal; nobody delegates to themselves".into(),
            ));
        }
        if d.until <= at {
            return Err(deny(format!(
                "a delegation must end after it is given; `until` {} is not after the time of record {}",
                crate::time::format(&d.until),
                crate::time::format(&at)
            )));
        }
        let longest = self.workflow.review().max_delegation_secs;
        if d.until > at + chrono::Duration::seconds(longest) {
            return Err(deny(format!(
                "a delegation of at most {longest} s (review.max_delegation_secs); `until` {} is later than {}",
                crate::time::format(&d.until),
                crate::time::format(&(at + chrono::Duration::seconds(longest)))
            )));
        }
        Ok(())
    }

    fn current_signoffs(&self) -> impl Iterator<Item = &SignOff> {
        self.signoffs
            .iter()
            .filter(move |s| s.revision == self.revision)
    }

    fn check_review(&self, a: &Approval<crate::approval::Review>) -> Result<(), Rejection> {
        // A state that takes a sign-off takes it whether or not it completes the quorum.
        self.allowed(InputKind::SignOff { quorum: false }, "review")?;
        let policy = self.workflow.review();
        if !policy
            .required_roles
            .iter()
            .any(|r| self.trust.has_role(a.issuer(), r))
        {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: "sign off the draft".into(),
                needed: format!("one of the reviewer roles {:?}", policy.required_roles),
            });
        }
        self.check_digest(&a.decision().packet_digest)?;
        // Exactly the policy's set: each required attestation once, nothing else.
        let attests = &a.decision().attests;
        let missing: Vec<String> = policy
            .attestations
            .iter()
            .filter(|att| !attests.contains(att))
            .map(|att| att.to_string())
            .collect();
        let unexpected: Vec<String> = attests
            .iter()
            .enumerate()
            .filter(|(i, att)| !policy.attestations.contains(att) || attests[..*i].contains(att))
            .map(|(_, att)| att.to_string())
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(Rejection::MissingAttestation {
                issuer: a.issuer().clone(),
                missing,
                unexpected,
                expected: policy.attestations.iter().map(|a| a.to_string()).collect(),
            });
        }
        if self
            .current_signoffs()
            .any(|s| &s.issuer == a.issuer() || &s.kid == a.kid())
        {
            return Err(Rejection::DuplicateApprover {
                issuer: a.issuer().clone(),
                kid: a.kid().clone(),
            });
        }
        Ok(())
    }

    fn check_digest(&self, got: &Digest) -> Result<(), Rejection> {
        let expected = self
            .draft_digest()
            .ok_or_else(|| Rejection::NotAllowedInState {
                state: self.state(),
                path: self.path(),
                command: "an approval of a draft".into(),
                accepts: machine::accepted_commands(self.state()),
            })?;
        if &expected != got {
            return Err(Rejection::StaleApproval {
                expected,
                got: got.clone(),
            });
        }
        Ok(())
    }

    fn check_accept(
        &self,
        a: &Approval<crate::approval::Accept>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        self.allowed(InputKind::Accept, "accept")?;
        let d = a.decision();
        let recommended = self.recommended_lane();
        if &d.lane != recommended {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: format!("accept for `{}`", d.lane),
                needed: format!(
                    "the packet recommends `{recommended}`; only its owner may accept, for that lane"
                ),
            });
        }
        if !self.owns(a.issuer(), recommended, at) {
            return Err(Rejection::NotAuthorized {
                issuer: a.issuer().clone(),
                action: format!("accept for `{recommended}`"),
                needed: format!(
                    "a holder of `{recommended}` or a delegate whose delegation is unexpired at {at}"
                ),
            });
        }
        self.check_digest(&d.packet_digest)?;
        if self.workflow.review().separation_of_duties
            && self.current_signoffs().any(|s| &s.issuer == a.issuer())
        {
            return Err(Rejection::SeparationOfDuties {
                issuer: a.issuer().clone(),
            });
        }
        Ok(())
    }

    fn check_redirect(&self, a: &Approval<Redirect>, at: DateTime<Utc>) -> Result<(), Rejection> {
        self.allowed(InputKind::Revise { ready: true }, "redirect")?;
        let r = a.decision();
        let deny = |action: &str, needed: String| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: action.to_owned(),
            needed,
        };
        // True when the issuer owns (holds, or has an unexpired delegation of) a lane of at
        // least `rank`.
        let owns_rank = |rank: u32| {
            self.workflow
                .lanes()
                .iter()
                .filter(|l| l.rank >= rank)
                .any(|l| self.owns(a.issuer(), &l.id, at))
        };
        match &r.action {
            RedirectAction::RequestEvidence { facts } => {
                if let Some(f) = facts.iter().find(|f| self.workflow.fact(f).is_none()) {
                    return Err(crate::workflow::FactError::UnknownFact { fact: f.clone() }.into());
                }
                let command_role = &self.workflow.review().command_role;
                if !owns_rank(self.rank(self.recommended_lane()))
                    && !self.trust.has_role(a.issuer(), command_role)
                {
                    return Err(deny(
                        "request evidence",
                        "an owner of the recommended lane or a higher one, or the command role"
                            .into(),
                    ));
                }
            }
            RedirectAction::ExcludeOption {
                option,
                assessment_digest,
            } => self.check_exclusion(a, option, assessment_digest, owns_rank)?,
            RedirectAction::SetLane {
                lane,
                assessment_digest,
            } => {
                if self.lane(lane).is_none() {
                    return Err(deny(
                        "set the lane",
                        format!("`{lane}` is not a lane of this workflow"),
                    ));
                }
                self.signed_what_was_seen(assessment_digest)?;
                let max = self.max_lane();
                let max_lane = self.lane(max).expect("the case's lanes are the workflow's");
                if self.rank(lane) < max_lane.rank {
                    // Lowering below the case maximum is the holder's call alone.
                    if !self.trust.has_role(a.issuer(), &max_lane.holder_role) {
                        return Err(deny(
                            &format!("lower the lane to `{lane}`"),
                            format!(
                                "a holder of the case's maximum lane `{max}` (role `{}`); a delegate may not lower it",
                                max_lane.holder_role
                            ),
                        ));
                    }
                } else if !self.owns(a.issuer(), max, at) {
                    return Err(deny(
                        "set the lane",
                        format!("a holder or valid delegate of the case's maximum lane `{max}`"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `exclude_option`: bound to the assessment its signer saw; signed by an owner of the
    /// option's boundary lane or a higher one — and never below the recommended lane, so a lower
    /// lane cannot shrink a higher authority's options —; never the last option.
    fn check_exclusion(
        &self,
        a: &Approval<Redirect>,
        option: &crate::ids::OptionId,
        signed: &Digest,
        owns_rank: impl Fn(u32) -> bool,
    ) -> Result<(), Rejection> {
        let deny = |needed: String| Rejection::NotAuthorized {
            issuer: a.issuer().clone(),
            action: format!("exclude the option `{option}`"),
            needed,
        };
        let Some(def) = self.workflow.options().iter().find(|o| &o.id == option) else {
            return Err(deny(format!(
                "`{option}` is not an option of this workflow"
            )));
        };
        if self.lanes.excluded.contains(option) {
            return Err(deny(format!("`{option}` is excluded already")));
        }
        self.signed_what_was_seen(signed)?;
        let assessment = self.assessment();
        // The boundary the reader sees now; for an option not listed now, the highest lane its
        // boundary could name.
        let boundary_rank = match assessment.options.iter().find(|o| &o.id == option) {
            Some(listed) => self.rank(&listed.boundary_lane),
            None => match &def.boundary {
                crate::workflow::Boundary::Lane(l) => self.rank(l),
                crate::workflow::Boundary::Conditional { then, else_, .. } => {
                    self.rank(then).max(self.rank(else_))
                }
            },
        };
        let needed_rank = boundary_rank.max(self.rank(self.recommended_lane()));
        if !owns_rank(needed_rank) {
            let lane = self
                .workflow
                .lanes()
                .iter()
                .find(|l| l.rank == needed_rank)
                .map_or_else(|| format!("rank {needed_rank}"), |l| format!("`{}`", l.id));
            return Err(deny(format!(
                "an owner of {lane} or a higher lane (the option's boundary lane, and at least the recommended lane)"
            )));
        }
        if assessment.options.iter().all(|o| &o.id == option) {
            return Err(deny(
                "at least one option to remain; the last option cannot be excluded".into(),
            ));
        }
        Ok(())
    }

    // ----- evolving -----

    /// Applies an event made by [`decide`](Case::decide) on this case in its current state.
    /// Deterministic; the only refusal is [`StaleEvent`], for an event decided against another
    /// state (a stale clone of the case, or before other events were applied) or another case.
    pub fn evolve(&mut self, event: Event) -> Result<(), StaleEvent> {
        let here = Basis {
            case: self.id().clone(),
            applied: self.applied,
        };
        if event.basis != here {
            return Err(StaleEvent {
                decided_case: event.basis.case,
                decided_at: event.basis.applied,
                case: here.case,
                case_at: here.applied,
            });
        }
        self.applied += 1;
        self.memo = Memo::default();
        let at = event.recorded_at;
        self.last_at = at;
        match event.kind {
            EventKind::Finding(f) => {
                let fact = f.fact.clone();
                let agent = f.agent.id.clone();
                if let Some(def) = self.workflow.fact(&f.fact) {
                    self.evidence.record(def, f);
                }
                self.requested.remove(&fact);
                let index = self.evidence.findings().len() - 1;
                self.ratchet(at, |rules| LaneCause::Finding {
                    index,
                    fact,
                    agent,
                    rules,
                });
                self.settle(at, Revision::Finding);
            }
            EventKind::Decision { approval, .. } => self.apply_decision(at, approval),
        }
        Ok(())
    }

    /// Feeds the statechart. `evolve` only applies events decided against this very state
    /// (the basis check), and `decide` asked the same table, so the machine always takes it: a
    /// refusal here is a bug, never an input to ignore.
    fn dispatch(&mut self, input: Input) {
        let kind = input.kind();
        let from = self.state();
        assert!(
            self.chart.dispatch(input),
            "the statechart refused {kind:?} in {from}, which decide allowed"
        );
    }

    fn apply_decision(&mut self, at: DateTime<Utc>, approval: AnyApproval) {
        self.seen_jti.insert(approval.jti().to_owned());
        match approval {
            AnyApproval::Declare(_) => {}
            AnyApproval::Delegate(a) => {
                self.approvals
                    .push(record(&a, DecisionKind::Delegate, at, None));
                let d = a.decision();
                self.delegations.push(DelegationRecord {
                    lane: d.lane.clone(),
                    to: d.to.clone(),
                    until: d.until,
                    by: a.issuer().clone(),
                    at,
                });
                self.settle(at, Revision::Delegation(Arc::new(a)));
            }
            AnyApproval::Redirect(a) => {
                self.approvals
                    .push(record(&a, DecisionKind::Redirect, at, None));
                self.apply_redirect(at, &a);
                self.settle(at, Revision::Redirect(Arc::new(a)));
            }
            AnyApproval::Review(a) => {
                self.approvals
                    .push(record(&a, DecisionKind::Review, at, Some(self.revision)));
                self.signoffs.push(SignOff {
                    issuer: a.issuer().clone(),
                    kid: a.kid().clone(),
                    revision: self.revision,
                });
                let quorum = self
                    .quorum_signers()
                    .map(|signers| Quorum::new(self.revision, signers, at));
                self.dispatch(Input::SignOff {
                    review: Arc::new(a),
                    quorum,
                });
            }
            AnyApproval::Accept(a) => {
                self.approvals
                    .push(record(&a, DecisionKind::Accept, at, Some(self.revision)));
                self.dispatch(Input::Accept(Acceptance::new(a, at)));
            }
            AnyApproval::StandDown(a) => {
                self.approvals
                    .push(record(&a, DecisionKind::StandDown, at, None));
                self.dispatch(Input::StandDown(Arc::new(a)));
            }
        }
    }

    fn apply_redirect(&mut self, at: DateTime<Utc>, a: &Approval<Redirect>) {
        let r = a.decision();
        self.redirects.push(RedirectRecord {
            by: a.issuer().clone(),
            at,
            redirect: r.clone(),
            token_digest: a.token_digest().clone(),
        });
        match &r.action {
            RedirectAction::RequestEvidence { facts } => {
                self.requested.extend(facts.iter().cloned());
            }
            RedirectAction::ExcludeOption { option, .. } => {
                self.lanes.excluded.insert(option.clone());
            }
            RedirectAction::SetLane { lane, .. } => {
                let rank = self.rank(lane);
                // Triggers now true on lanes above the chosen one were weighed by the redirecting
                // owner: they no longer raise the lane. New triggers still do.
                let assessment_facts = &self.evidence;
                let acknowledged: Vec<_> = self
                    .workflow
                    .lanes()
                    .iter()
                    .filter(|l| l.rank > rank)
                    .flat_map(|l| l.triggers.iter())
                    .filter(|t| t.rule.eval(assessment_facts) == Truth::True)
                    .map(|t| t.id.clone())
                    .collect();
                self.lanes.acknowledged.extend(acknowledged);
                self.lanes.floor = Some(Floor {
                    lane: lane.clone(),
                    reasons: vec![Reason {
                        rule: "redirect".into(),
                        lane: lane.clone(),
                        facts: Vec::new(),
                    }],
                });
                let from = self.recommended_lane().clone();
                let to = self.assessment().recommended_lane;
                if to != from {
                    self.lane_history.push(LaneChange {
                        at,
                        from: Some(from),
                        to,
                        cause: LaneCause::Redirect {
                            by: a.issuer().clone(),
                            token_digest: a.token_digest().clone(),
                            reason: r.reason.clone(),
                        },
                    });
                }
            }
        }
    }

    /// The escalation ratchet: when the lane rises, the floor follows it, so that findings can
    /// never lower the lane later. Cheap: no full assessment. The cause names the new lane's
    /// true triggers: none of them was true before, or the lane would already have been there.
    fn ratchet(&mut self, at: DateTime<Utc>, cause: impl FnOnce(Vec<RuleId>) -> LaneCause) {
        let workflow = Arc::clone(&self.workflow);
        let (lane, true_rules) = recommend(&workflow, &self.evidence, &self.lanes);
        let from = self.recommended_lane().clone();
        if lane.rank <= self.rank(&from) {
            return;
        }
        let reasons: Vec<Reason> = lane
            .triggers
            .iter()
            .filter(|t| true_rules.contains(&&t.id))
            .map(|t| Reason {
                rule: t.id.clone(),
                lane: lane.id.clone(),
                facts: t.rule.facts().into_iter().cloned().collect(),
            })
            .collect();
        let rules = true_rules.into_iter().cloned().collect();
        self.lanes.floor = Some(Floor {
            lane: lane.id.clone(),
            reasons,
        });
        self.lane_history.push(LaneChange {
            at,
            from: Some(from),
            to: lane.id.clone(),
            cause: cause(rules),
        });
    }

    /// True when a draft can be reviewed: every required fact is known and no evidence a
    /// redirect asked for is outstanding.
    fn ready(&self) -> bool {
        self.requested.is_empty()
            && self
                .workflow
                .required_before_review()
                .iter()
                .all(|f| self.evidence.resolved().contains_key(f))
    }

    /// After the draft's content changed: a new revision (voiding sign-offs on the old one) when
    /// a reviewable draft exists, else back to gathering.
    fn settle(&mut self, at: DateTime<Utc>, by: Revision) {
        let ready = self.ready();
        self.dispatch(Input::Revise { ready, by });
        if ready {
            self.revision += 1;
            self.first_draft_at.get_or_insert(at);
        }
    }

    /// The quorum on the current revision, if it is met: enough distinct principals, and every
    /// required role covered by a different signer.
    fn quorum_signers(&self) -> Option<Vec<PrincipalId>> {
        let policy = self.workflow.review();
        let signers: Vec<&PrincipalId> = {
            let mut seen = BTreeSet::new();
            self.current_signoffs()
                .map(|s| &s.issuer)
                .filter(|p| seen.insert(*p))
                .collect()
        };
        (signers.len() >= policy.quorum as usize
            && roles_coverable(&policy.required_roles, &signers, &self.trust))
        .then(|| signers.into_iter().cloned().collect())
    }

    fn decision_owner(&self) -> DecisionOwner {
        let lane = self.recommended_lane().clone();
        let holders = self
            .lane(&lane)
            .map(|l| {
                self.trust
                    .file()
                    .principals
                    .iter()
                    .filter(|p| p.roles.contains(&l.holder_role))
                    .map(|p| p.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        let delegates = self
            .delegations
            .iter()
            .filter(|d| d.lane == lane)
            .cloned()
            .collect();
        DecisionOwner {
            lane,
            holders,
            delegates,
        }
    }

    fn build_draft(&self) -> DraftPacket {
        let facts = self
            .evidence
            .resolved()
            .iter()
            .map(|(k, r)| {
                let sensitivity = self
                    .workflow
                    .fact(k)
                    .map_or(crate::workflow::Sensitivity::General, |d| d.sensitivity);
                (
                    k.clone(),
                    FactEntry {
                        value: r.value.clone(),
                        disputed: r.disputed,
                        sensitivity,
                    },
                )
            })
            .collect();
        let Assessment {
            recommended_lane,
            lanes,
            options,
            pending,
            stable,
            missing_required,
            ready_for_review: _,
        } = self.assessment();
        let content = DraftContent {
            case_id: self.id().clone(),
            revision: self.revision,
            workflow: WorkflowRef {
                id: self.workflow.id().to_owned(),
                digest: self.workflow.digest().clone(),
            },
            workflow_digest: self.workflow.digest().clone(),
            trust_digest: self.trust.digest().clone(),
            declared: self.declared.clone(),
            recommended_lane,
            lanes,
            options,
            pending,
            stable,
            missing_required,
            decision_owner: self.decision_owner(),
            lane_history: self.lane_history.clone(),
            facts,
            evidence: self.evidence.findings().to_vec(),
            delegations: self.delegations.clone(),
            redirects: self.redirects.clone(),
            excluded_options: self.lanes.excluded.iter().cloned().collect(),
        };
        let packet_digest = content
            .digest()
            .expect("draft content is plain JSON (string keys, integers, no floats) and always canonicalises");
        let approvals = self
            .approvals
            .iter()
            .map(|r| ApprovalRecord {
                voided: r.kind == "review" && r.revision != Some(self.revision),
                ..r.clone()
            })
            .collect();
        DraftPacket {
            content,
            approvals,
            timings: Timings {
                declared_at: self.declared.at,
                first_draft_at: self.first_draft_at,
                reviewed_at: self.chart.quorum().map(Quorum::reached_at),
                accepted_at: self.chart.acceptance().map(Acceptance::at),
            },
            packet_digest,
        }
    }
}

/// `sha256:` + SHA-256 of an assessment's RFC 8785 form.
fn digest_of(assessment: &Assessment) -> Digest {
    Digest::of_canonical(assessment)
        .expect("an assessment is plain JSON (string keys, integers, no floats)")
}

fn record<D>(
    a: &Approval<D>,
    kind: DecisionKind,
    at: DateTime<Utc>,
    revision: Option<u64>,
) -> ApprovalRecord {
    ApprovalRecord {
        issuer: a.issuer().clone(),
        kind: kind.as_str().to_owned(),
        at,
        token_digest: a.token_digest().clone(),
        revision,
        voided: false,
    }
}

/// Whether each required role can be assigned a different signer holding it.
fn roles_coverable(roles: &[RoleId], signers: &[&PrincipalId], trust: &Trust) -> bool {
    fn assign(
        roles: &[RoleId],
        signers: &[&PrincipalId],
        used: &mut Vec<bool>,
        trust: &Trust,
    ) -> bool {
        let Some((role, rest)) = roles.split_first() else {
            return true;
        };
        for (i, s) in signers.iter().enumerate() {
            if !used[i] && trust.has_role(s, role) {
                used[i] = true;
                if assign(rest, signers, used, trust) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    assign(roles, signers, &mut vec![false; signers.len()], trust)
}

/// The journal form of an event, read back for replay.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RecordedEvent {
    Finding {
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        agent: Agent,
        finding: FindingInput,
        #[serde(default)]
        clock: Option<ClockMark>,
    },
    Decision {
        #[serde(deserialize_with = "crate::time::de")]
        at: DateTime<Utc>,
        kind: DecisionKind,
        issuer: PrincipalId,
        token_digest: Digest,
        token: String,
        #[serde(default)]
        clock: Option<ClockMark>,
    },
}

/// The mark a store puts on an event whose time of record came from a supplied clock
/// (`"clock": "supplied"`), so that a relying party sees that the writer's clock was overridden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockMark {
    /// The time of record was supplied (`--at`, an injected clock), not read from the writer's
    /// clock.
    Supplied,
}

/// What replaying one record found out about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// The record's time of record was supplied, not the writer's clock.
    pub supplied_clock: bool,
}

#[cfg(test)]
mod tests;
