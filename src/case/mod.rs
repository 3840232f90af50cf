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

mod amend;
mod authority;
mod command;
mod decide;
mod draft;
mod epoch;
mod event;
mod evolve;
mod genesis;
mod image;
mod living;
pub mod machine;
mod rejection;
mod replay;
mod rights;
mod wire;

pub use amend::PendingAmendment;
use command::bounded;
pub use command::{Command, limits};
use event::{Basis, EventKind};
pub use event::{CheckpointLineage, ClockMark, Event, EventRecord, StaleEvent};
use evolve::record;
pub use replay::{ReplayError, Replayed};
pub use rights::{PrincipalRights, SigningRights};

pub use epoch::EPOCH_DRAFTS;
use epoch::Epoch;
pub use genesis::{Genesis, GenesisRecord};
pub use image::{ImageError, StateCheckpoint};
use living::Accepted;

use crate::approval::{
    AnyApproval, Approval, DecisionKind, Redirect, RedirectAction, Trust, VerifyContext, verify,
};
use crate::assess::{Assessment, Floor, LaneContext, Reason, assess_in, recommend};
use crate::digest::Digest;
use crate::evidence::{Agent, Finding, FindingInput};
use crate::ids::{CaseId, FactKey, LaneId, PrincipalId, RoleId, RuleId};
use crate::lineage::Evidence;
use crate::packet::{
    ApprovalRecord, DecisionOwner, Declared, DelegationRecord, DraftContent, DraftPacket,
    FactEntry, LaneCause, LaneChange, RecommendationPacket, RedirectRecord, Timings, WorkflowRef,
};
use crate::workflow::{Lane, Truth, Workflow};
use chrono::{DateTime, Utc};
use machine::{Acceptance, Chart, Input, Quorum, Revision};
/// The leaf states of the statechart (`status.state`).
pub use machine::{InputKind, Leaf, Step, transition_table};
pub use rejection::{Needed, Rejection};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Read-only summary for `status`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Status {
    /// The case id.
    pub case_id: CaseId,
    /// Leaf state name.
    pub state: Leaf,
    /// Hierarchical path, e.g. `open/deciding/in_review`.
    pub path: String,
    /// The revision (0 before the first draft; DESIGN §15).
    pub revision: u64,
    /// Recommended lane.
    pub recommended_lane: LaneId,
    /// Digest of the current draft, when one exists: what reviewers and the acceptor sign.
    pub draft_digest: Option<Digest>,
    /// Digest of the current draft's decision (DESIGN §15), when a draft exists: findings that
    /// change only the evidence tail leave it unchanged.
    pub decision_digest: Option<Digest>,
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
    /// In `closed/accepted`: findings recorded since the acceptance that left its decision
    /// as it was (absent when none; the accepted packet is unchanged by them).
    #[serde(skip_serializing_if = "is_zero")]
    pub findings_since_acceptance: u64,
    /// The lineage now, when findings arrived since the acceptance (the accepted packet keeps
    /// the lineage it was accepted with).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<crate::lineage::proof::LineageHead>,
    /// Why the current revision exists, after a reopening (DESIGN §15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopened: Option<crate::packet::Reopened>,
    /// While a draft is open (`open/deciding/*`): what it still waits for from people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<Awaiting>,
    /// The digest of the trust in force: what an amendment's `trust_digest_before` names
    /// (DESIGN §16; the trust pinned in record 0 until an amendment takes effect).
    pub trust_digest: Digest,
    /// Amendments that took effect, oldest first (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_history: Vec<crate::packet::TrustChange>,
    /// Amendments of the trust in force still collecting signatures (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_amendments: Vec<PendingAmendment>,
}

/// What an open draft still waits for: the sign-offs and roles its quorum needs, what each
/// review must attest, and who may accept it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Awaiting {
    /// Distinct reviewers the quorum needs on one draft.
    pub quorum: u32,
    /// Sign-offs still needed to reach it (0 once as many as `quorum` have signed).
    pub signoffs_to_quorum: u64,
    /// Required review roles that no counted sign-off covers yet (each must be held by a
    /// different signer).
    pub roles_to_sign: Vec<crate::ids::RoleId>,
    /// What every review must attest.
    pub attestations: Vec<crate::ids::Attestation>,
    /// Who may accept for the recommended lane now: its holders and the delegates whose
    /// delegation has not ended; in `awaiting_acceptance`, one of them accepts.
    pub may_accept: Vec<PrincipalId>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A review sign-off as the case keeps it: who, with which key, and the draft version the
/// review named (it counts while that version is in the current decision epoch).
#[derive(Debug, Clone, PartialEq)]
struct SignOff {
    issuer: PrincipalId,
    kid: crate::ids::KeyId,
    version: u64,
}

/// One severe case.
#[derive(Debug, Clone)]
pub struct Case {
    workflow: Arc<Workflow>,
    /// The trust in force: `root_trust` as amended since (DESIGN §16).
    trust: Arc<Trust>,
    /// The trust pinned in record 0.
    root_trust: Arc<Trust>,
    /// The amendments beyond the root.
    chain: amend::TrustChain,
    genesis: Genesis,
    declared: Declared,
    chart: Chart,
    evidence: Evidence,
    lanes: LaneContext,
    lane_history: Vec<LaneChange>,
    delegations: Vec<DelegationRecord>,
    redirects: Vec<RedirectRecord>,
    requested: BTreeSet<FactKey>,
    /// Draft versions so far: one per change of the draft's content (0 before the first).
    version: u64,
    /// The revision (DESIGN §15): under `carry_over: "never"` the draft version; under
    /// `"decision_unchanged"` the decisions put to the owner.
    revision: u64,
    approvals: Vec<ApprovalRecord>,
    /// The token of each of `approvals`, in the same order.
    tokens: Vec<String>,
    /// For each of `approvals`, the draft version it named (reviews and acceptances; 0 else).
    versions: Vec<u64>,
    signoffs: Vec<SignOff>,
    /// The current decision epoch.
    epoch: Epoch,
    /// Reviews of draft versions up to this one belong to accepted revisions: a reopening
    /// supersedes them, it does not void them.
    accepted_floor: u64,
    /// The accepted revision, in `closed/accepted`.
    accepted: Option<Accepted>,
    /// The accepted revisions a reopening superseded, oldest first.
    prior: Vec<crate::packet::PriorRevision>,
    /// Why the current revision exists, after a reopening.
    reopened: Option<crate::packet::Reopened>,
    /// Draft changes that voided sign-offs while the draft was under review.
    changes_in_review: u64,
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
    draft_digests: std::sync::OnceLock<Option<(Digest, Digest)>>,
    assessment_digest: std::sync::OnceLock<Digest>,
    /// The older draft version of the epoch a token named, once found: `decide` looks for it
    /// and `evolve` applies the decision without rebuilding the epoch's versions again.
    named: std::sync::OnceLock<(Digest, crate::packet::SignedDraft, u64)>,
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
                needed: Needed::Role(command_role.clone()),
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
            version: 0,
            revision: 0,
            approvals: vec![record(&approval, DecisionKind::Declare, at, None)],
            tokens: vec![token.to_owned()],
            versions: vec![0],
            signoffs: Vec::new(),
            epoch: Epoch::default(),
            accepted_floor: 0,
            accepted: None,
            prior: Vec::new(),
            reopened: None,
            changes_in_review: 0,
            seen_jti: [approval.jti().to_owned()].into(),
            last_at: at,
            first_draft_at: None,
            applied: 0,
            memo: Memo::default(),
            workflow,
            root_trust: Arc::clone(&trust),
            chain: amend::TrustChain::default(),
            trust,
        };
        // A workflow with nothing required is reviewable at once.
        case.settle(at, Revision::Declaration(Arc::new(approval)));
        Ok(case)
    }

    /// The case id.
    pub fn id(&self) -> &CaseId {
        &self.genesis.case_id
    }
    /// Record 0 of the case's journal.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }
    /// The shared workflow and the trust registry pinned in record 0 (the root of any
    /// amendments: [`Case::trust`] is the trust in force), as a replay from record 0 needs them.
    pub fn shared(&self) -> (Arc<Workflow>, Arc<Trust>) {
        (Arc::clone(&self.workflow), Arc::clone(&self.root_trust))
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
    /// The current revision (0 before the first draft): under `carry_over: "never"` the draft
    /// version, under `"decision_unchanged"` the decisions put to the owner (DESIGN §15).
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

    /// Every human redirect applied so far.
    pub fn redirects(&self) -> &[RedirectRecord] {
        &self.redirects
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
}

#[cfg(test)]
mod tests;
