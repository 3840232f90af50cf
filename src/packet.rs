//! Packets: the draft reviewers sign, the recommendation the chosen authority accepted, and the
//! channel views that share them.
//!
//! Reviewers sign `packet_digest` = `sha256:` + SHA-256 of the RFC 8785 canonical JSON of the
//! draft **content** ([`DraftContent`]): everything that describes the recommendation, and
//! nothing that the review itself adds (approvals, timings), so that signing cannot change what
//! was signed.
//!
//! [`RecommendationPacket`] has private fields and no public constructor: the only way to get one
//! is [`Case::packet`](crate::case::Case::packet) on a case in `closed/accepted`. It serialises
//! (for output) but does not deserialise, so no JSON can become one.
//!
//! A channel sees a packet only through a [`ChannelView`], built field by field with every
//! finding [`ViewFinding::Shown`] or [`ViewFinding::Redacted`]: a field added to the draft is in
//! no view until the view type carries it.

use crate::assess::{LaneAssessment, OptionAssessment, Pending};
use crate::digest::{CanonicalError, Digest};
use crate::ids::{CaseId, FactKey, LaneId, OptionId, PrincipalId};
pub use crate::journal::JournalRef;
use crate::lineage::Lineage;
use crate::workflow::{ChannelDef, FactValue, Sensitivity};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

mod living;
pub use living::{PriorRevision, ReopenCause, Reopened, Stability, TrustChange, TrustGrant};
mod view;
pub use view::{
    AcceptedView, ChannelView, FullView, RedactedFact, RedactedFinding, ScopedView, SelectionView,
    ViewFact, ViewFactLineage, ViewFinding, ViewLineage, is_deadline, shows,
};

/// The workflow a packet was assessed under.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct WorkflowRef {
    /// Workflow id.
    pub id: String,
    /// Digest of its canonical JSON.
    pub digest: Digest,
}

/// The declaration that opened the case.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Declared {
    /// Declared scope.
    pub scope: String,
    /// Declared severity.
    pub severity: String,
    /// Who declared it.
    pub by: PrincipalId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Who owns the decision now.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DecisionOwner {
    /// The recommended lane.
    pub lane: LaneId,
    /// Principals holding the lane's role.
    pub holders: Vec<PrincipalId>,
    /// Delegations of the lane (valid for acceptance while unexpired at the acceptance time).
    pub delegates: Vec<DelegationRecord>,
}

/// A delegation of a lane.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct DelegationRecord {
    /// The lane lent.
    pub lane: LaneId,
    /// To whom.
    pub to: PrincipalId,
    /// Until when.
    pub until: DateTime<Utc>,
    /// Who lent it.
    pub by: PrincipalId,
    /// When.
    pub at: DateTime<Utc>,
}

/// What caused a lane change.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LaneCause {
    /// The case was declared (the lane starts at the lowest one).
    Declared {
        /// The declaring principal.
        by: PrincipalId,
    },
    /// A finding raised the lane.
    Finding {
        /// Position of the finding in the evidence lineage.
        index: usize,
        /// The fact.
        fact: FactKey,
        /// The submitting agent's id.
        agent: String,
        /// The triggers that became true.
        rules: Vec<crate::ids::RuleId>,
    },
    /// A signed `set_lane` redirect set the lane.
    Redirect {
        /// The redirecting principal.
        by: PrincipalId,
        /// Digest of the redirect token.
        token_digest: Digest,
        /// The stated reason.
        reason: String,
    },
    /// A trust amendment voided a `set_lane` redirect made with a compromised key: the lane
    /// returns to the highest one the case has recommended (DESIGN §16).
    Amendment {
        /// The amendment digest.
        amendment_digest: Digest,
    },
}

/// One lane change.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct LaneChange {
    /// When.
    pub at: DateTime<Utc>,
    /// The lane before (none at declaration).
    pub from: Option<LaneId>,
    /// The lane after.
    pub to: LaneId,
    /// Why.
    pub cause: LaneCause,
}

/// A redirect, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct RedirectRecord {
    /// Who redirected.
    pub by: PrincipalId,
    /// When.
    pub at: DateTime<Utc>,
    /// The redirect (action and reason) as signed.
    pub redirect: crate::approval::Redirect,
    /// Digest of the token.
    pub token_digest: Digest,
}

/// An accepted human decision, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct ApprovalRecord {
    /// The principal.
    pub issuer: PrincipalId,
    /// Decision kind (`declare`, `delegate`, `review`, `accept`, `redirect`, `stand_down`).
    pub kind: String,
    /// When it was applied (the command's `at`).
    pub at: DateTime<Utc>,
    /// SHA-256 of the compact token.
    pub token_digest: Digest,
    /// For reviews and acceptances: the revision it approved (DESIGN §15; under `carry_over:
    /// "never"` the draft version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// For reviews: true when a later change of decision (under `never`, of draft) voided it.
    /// A reopening supersedes the accepted revision's sign-offs; it does not void them. For any
    /// approval: true when a trust amendment declared its key compromised since before it
    /// (`voided_by` names the amendment; DESIGN §16).
    pub voided: bool,
    /// The amendment digest of the trust amendment that voided it, when its key was declared
    /// compromised since a time at or before the approval (DESIGN §16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<Digest>,
    /// For reviews and acceptances under `carry_over: "decision_unchanged"` (DESIGN §15): the
    /// draft version the token named, and its lineage (absent under `never`, where it is always
    /// the draft of `revision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedDraft>,
}

/// A draft version as a review or acceptance named it (DESIGN §15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedDraft {
    /// The draft digest the token named.
    pub draft_digest: Digest,
    /// That draft's revision.
    pub revision: u64,
    /// That draft's lineage: what the signer saw.
    pub lineage: crate::lineage::proof::LineageHead,
}

/// When things happened.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Timings {
    /// The declaration.
    pub declared_at: DateTime<Utc>,
    /// The first draft.
    pub first_draft_at: Option<DateTime<Utc>>,
    /// The review quorum on the current draft.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The acceptance.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// A fact's resolved value in the packet.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FactEntry {
    /// The most severe value any finding gave.
    pub value: FactValue,
    /// True when findings disagree.
    pub disputed: bool,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
}

/// What reviewers sign: the recommendation and everything it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DraftContent {
    /// The case.
    pub case_id: CaseId,
    /// The revision: under `carry_over: "never"` the draft version (it changes whenever the
    /// content does); under `"decision_unchanged"` the decisions put to the owner (1, rising
    /// when a decision-changing event reopens an accepted revision; DESIGN §15).
    pub revision: u64,
    /// The workflow.
    pub workflow: WorkflowRef,
    /// Digest of the workflow the case runs under (the pin in record 0); reviewers sign it, so
    /// a journal rewritten under another workflow yields another digest.
    pub workflow_digest: Digest,
    /// Digest of the trust file the case runs under (the pin in record 0); reviewers sign it,
    /// so a journal rewritten under other keys yields another digest.
    pub trust_digest: Digest,
    /// The declaration.
    pub declared: Declared,
    /// The lane that should own the decision.
    pub recommended_lane: LaneId,
    /// Lane statuses with reasons.
    pub lanes: Vec<LaneAssessment>,
    /// Options inside and outside the boundary, with reversibility.
    pub options: Vec<OptionAssessment>,
    /// Unknown triggers that could still raise the lane.
    pub pending: Vec<Pending>,
    /// True when nothing pending.
    pub stable: bool,
    /// Required facts still unknown (empty for a reviewable draft).
    pub missing_required: Vec<FactKey>,
    /// Who owns the decision.
    pub decision_owner: DecisionOwner,
    /// Every lane change and its cause.
    pub lane_history: Vec<LaneChange>,
    /// Resolved facts.
    pub facts: BTreeMap<FactKey, FactEntry>,
    /// The evidence lineage: how many findings, their RFC 9162 Merkle root, and per fact the
    /// counts and the decisive findings (DESIGN §13) — bounded whatever the number of findings.
    pub lineage: Lineage,
    /// Delegation state.
    pub delegations: Vec<DelegationRecord>,
    /// Human redirects.
    pub redirects: Vec<RedirectRecord>,
    /// Options excluded by redirects.
    pub excluded_options: Vec<OptionId>,
    /// Why this revision exists, when a decision-changing event reopened an accepted one
    /// (DESIGN §15; absent for revision 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened: Option<Reopened>,
    /// The accepted revisions this one superseded, oldest first (absent before the first
    /// reopening).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_revisions: Vec<PriorRevision>,
}

impl DraftContent {
    /// The digest reviewers sign.
    pub fn digest(&self) -> Result<Digest, CanonicalError> {
        Digest::of_canonical(self)
    }

    /// The decision part of the draft (DESIGN §15): everything the recommendation is, without
    /// the evidence tail (lineage count and root, per-source counts, corroborations) and the
    /// draft's version.
    pub fn decision(&self) -> Decision {
        let facts = self
            .facts
            .iter()
            .map(|(key, entry)| {
                let decisive = self.lineage.facts.get(key).map(|l| l.decisive.as_slice());
                let (setting, disputing): (Vec<_>, Vec<_>) = decisive
                    .unwrap_or_default()
                    .iter()
                    .partition(|e| e.finding.value == entry.value);
                (
                    key.clone(),
                    DecisionFact {
                        value: entry.value.clone(),
                        disputed: entry.disputed,
                        sensitivity: entry.sensitivity,
                        set_by: setting.iter().map(|e| e.index).min(),
                        disputed_by: disputing.iter().map(|e| e.index).collect(),
                    },
                )
            })
            .collect();
        Decision {
            case_id: self.case_id.clone(),
            workflow_digest: self.workflow_digest.clone(),
            recommended_lane: self.recommended_lane.clone(),
            decision_owner: self.decision_owner.clone(),
            lanes: self.lanes.clone(),
            options: self.options.clone(),
            pending: self.pending.clone(),
            stable: self.stable,
            missing_required: self.missing_required.clone(),
            facts,
            delegations: self.delegations.clone(),
            redirects: self.redirects.clone(),
            excluded_options: self.excluded_options.clone(),
        }
    }
}

/// The decision a draft puts to its owner (DESIGN §15): what a later finding must change for a
/// review of the draft to stop counting. `decision_digest` = `sha256:` + SHA-256 of its
/// RFC 8785 form.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Decision {
    /// The case.
    pub case_id: CaseId,
    /// The workflow the case runs under.
    pub workflow_digest: Digest,
    /// The lane that should own the decision.
    pub recommended_lane: LaneId,
    /// Who owns the decision.
    pub decision_owner: DecisionOwner,
    /// Lane statuses with reasons (and so the blocked paths).
    pub lanes: Vec<LaneAssessment>,
    /// Options inside and outside the boundary, with reversibility and conditions.
    pub options: Vec<OptionAssessment>,
    /// Unknown triggers that could still raise the lane.
    pub pending: Vec<Pending>,
    /// True when nothing pending.
    pub stable: bool,
    /// Required facts still unknown.
    pub missing_required: Vec<FactKey>,
    /// Each fact's resolved value, dispute mark, and the findings behind them.
    pub facts: BTreeMap<FactKey, DecisionFact>,
    /// Delegations in force.
    pub delegations: Vec<DelegationRecord>,
    /// Redirects in force.
    pub redirects: Vec<RedirectRecord>,
    /// Options excluded by redirects.
    pub excluded_options: Vec<OptionId>,
}

impl Decision {
    /// `sha256:` + SHA-256 of the decision's RFC 8785 form.
    pub fn digest(&self) -> Result<Digest, CanonicalError> {
        Digest::of_canonical(self)
    }
}

/// A fact as the decision has it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DecisionFact {
    /// The resolved value.
    pub value: FactValue,
    /// True when findings disagree.
    pub disputed: bool,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// The index of the finding that first gave the resolved value (`None` only for a value
    /// no finding gave).
    pub set_by: Option<u64>,
    /// The indexes of the (earliest) findings that dispute it.
    pub disputed_by: Vec<u64>,
}

/// The draft of a case in `open/deciding/*`: content, its digest, and the review so far.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DraftPacket {
    /// The signed content.
    #[serde(flatten)]
    pub content: DraftContent,
    /// Every human decision applied so far.
    pub approvals: Vec<ApprovalRecord>,
    /// Timings.
    pub timings: Timings,
    /// How stable the recommendation was (DESIGN §15).
    pub stability: Stability,
    /// `sha256:` of the canonical JSON of `content`.
    pub packet_digest: Digest,
    /// `sha256:` of the canonical JSON of the content's [`Decision`]: unchanged by findings
    /// that change only the evidence tail (DESIGN §15).
    pub decision_digest: Digest,
    /// The digest of the trust in force, once an amendment changed it (absent while the trust
    /// pinned in record 0, `trust_digest`, is in force; DESIGN §16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_in_force: Option<Digest>,
    /// Every trust amendment that took effect, oldest first (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_history: Vec<TrustChange>,
}

/// The accepted recommendation. Exists only for a case in `closed/accepted`; see the module docs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecommendationPacket {
    #[serde(flatten)]
    draft: DraftPacket,
    accepted_by: PrincipalId,
    journal: JournalRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    consistency: Vec<SignOffConsistency>,
}

/// A sign-off's (or the acceptance's) lineage proved a prefix of the accepted lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SignOffConsistency {
    /// The approval's token digest (as in `approvals`).
    pub token_digest: Digest,
    /// The proof from the lineage it signed to the accepted lineage.
    pub proof: crate::lineage::proof::ConsistencyProof,
}

impl RecommendationPacket {
    /// Built by the case when it reaches `closed/accepted`, and nowhere else.
    pub(crate) fn new(draft: DraftPacket, accepted_by: PrincipalId, journal: JournalRef) -> Self {
        RecommendationPacket {
            draft,
            accepted_by,
            journal,
            consistency: Vec::new(),
        }
    }

    /// Attaches, for every approval that recorded the draft it signed (and was not voided), the
    /// consistency proof `prove` gives from that draft's lineage to the accepted lineage. Each
    /// proof is checked before it is attached, so a packet never carries one that does not
    /// verify; `prove` returning `None` for one of them is an error and attaches nothing.
    pub fn attach_consistency(
        &mut self,
        mut prove: impl FnMut(
            &crate::lineage::proof::LineageHead,
        ) -> Option<crate::lineage::proof::ConsistencyProof>,
    ) -> Result<(), crate::lineage::proof::ConsistencyError> {
        use crate::lineage::proof::{ConsistencyError, LineageHead};
        let accepted = LineageHead {
            count: self.draft.content.lineage.count,
            root: self.draft.content.lineage.root.clone(),
        };
        let mut attached = Vec::new();
        for approval in self.draft.approvals.iter().filter(|a| !a.voided) {
            let Some(signed) = &approval.signed else {
                continue;
            };
            let proof = prove(&signed.lineage).ok_or_else(|| {
                ConsistencyError::Malformed(format!(
                    "no consistency proof from {} findings",
                    signed.lineage.count
                ))
            })?;
            proof.check(&signed.lineage, &accepted)?;
            attached.push(SignOffConsistency {
                token_digest: approval.token_digest.clone(),
                proof,
            });
        }
        self.consistency = attached;
        Ok(())
    }

    /// The consistency proofs attached ([`attach_consistency`](Self::attach_consistency)).
    pub fn consistency(&self) -> &[SignOffConsistency] {
        &self.consistency
    }
    /// The journal record of the acceptance (the case's last record).
    pub fn journal(&self) -> &JournalRef {
        &self.journal
    }
    /// The accepted draft.
    pub fn draft(&self) -> &DraftPacket {
        &self.draft
    }
    /// The digest the reviewers and the acceptor signed.
    pub fn packet_digest(&self) -> &Digest {
        &self.draft.packet_digest
    }
    /// Who accepted it.
    pub fn accepted_by(&self) -> &PrincipalId {
        &self.accepted_by
    }
    /// The view of the packet for a channel.
    pub fn view(&self, channel: &ChannelDef) -> ChannelView {
        ChannelView::of_packet(self, channel)
    }
}

impl DraftPacket {
    /// The view of the draft for a channel.
    pub fn view(&self, channel: &ChannelDef) -> ChannelView {
        ChannelView::of_draft(self, channel)
    }
}
