//! What a packet says about the case's life beyond one draft (DESIGN §15): why a revision was
//! reopened, the accepted revisions it superseded, and how stable the recommendation was.

use crate::digest::Digest;
use crate::ids::{FactKey, LaneId, PrincipalId};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What reopened an accepted revision: the evidence that changed its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReopenCause {
    /// A finding recorded after the acceptance changed the decision.
    Finding {
        /// Its position in the evidence lineage.
        index: u64,
        /// The fact.
        fact: FactKey,
        /// The submitting agent's id.
        agent: String,
    },
    /// A trust amendment (DESIGN §16) voided the acceptance or a sign-off of its quorum (its
    /// key declared compromised), or changed the decision (e.g. the lane's holders).
    Amendment {
        /// The amendment digest.
        amendment_digest: Digest,
    },
}

/// Why the current revision exists: the accepted revision a decision-changing event reopened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reopened {
    /// The accepted revision it reopened.
    pub from_revision: u64,
    /// That revision's accepted packet digest.
    pub packet_digest: Digest,
    /// The event that changed the decision.
    pub cause: ReopenCause,
}

/// An accepted revision a later one superseded. Its packet stays in the journal, valid as
/// history: `authority-lane packet --revision N` prints it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorRevision {
    /// The revision.
    pub revision: u64,
    /// Its accepted packet's digest.
    pub packet_digest: Digest,
    /// The lane it recommended.
    pub lane: LaneId,
    /// Who accepted it.
    pub accepted_by: PrincipalId,
    /// When.
    pub accepted_at: DateTime<Utc>,
    /// When a decision-changing event reopened the case.
    pub superseded_at: DateTime<Utc>,
    /// That event.
    pub cause: ReopenCause,
}

/// How stable the recommendation was while evidence kept arriving (DESIGN §15): read off the
/// packet, not reconstructed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stability {
    /// Decisions put to the owner: the current revision and the accepted ones it superseded.
    pub revisions: u64,
    /// Lane changes since the declaration (`lane_history` less its first entry).
    pub lane_changes: u64,
    /// Draft changes that voided sign-offs while the draft was under review (in `in_review` or
    /// `awaiting_acceptance`). Under `carry_over: "never"` every draft change counts as one.
    pub decision_changes_while_in_review: u64,
    /// Sign-offs of the current revision that still count although findings arrived after
    /// the draft they signed (`carry_over: "decision_unchanged"`).
    pub carried_signoffs: u64,
    /// Sign-offs voided by a change of decision (every revision).
    pub voided_signoffs: u64,
}

/// A trust amendment that took effect (DESIGN §16): what the packet's `trust_history` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustChange {
    /// The journal record whose signature completed the amendment's quorum, when known (a
    /// case restored from a snapshot knows it for records it replayed since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Its time of record.
    pub at: DateTime<Utc>,
    /// The digest of the amendment all its signers signed.
    pub amendment_digest: Digest,
    /// The trust in force before.
    pub trust_digest_before: Digest,
    /// The trust in force after.
    pub trust_digest: Digest,
    /// The distinct principals whose signatures made the quorum, in signing order.
    pub signed_by: Vec<crate::ids::PrincipalId>,
    /// Principals, roles and keys the new trust grants that the old did not.
    pub added: Vec<TrustGrant>,
    /// Principals, roles and keys the old trust granted that the new does not.
    pub removed: Vec<TrustGrant>,
    /// Keys declared compromised, each since a time.
    pub compromised: Vec<crate::approval::Compromised>,
    /// The amendment's reason.
    pub reason: String,
}

/// Roles and keys of one principal, added or removed by an amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustGrant {
    /// The principal.
    pub principal: crate::ids::PrincipalId,
    /// Roles.
    pub roles: Vec<crate::ids::RoleId>,
    /// Key ids.
    pub kids: Vec<crate::ids::KeyId>,
}
