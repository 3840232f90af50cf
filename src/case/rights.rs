//! Who may sign what now (DESIGN §16): the trust in force read through the workflow's roles,
//! the lanes' owners and the delegations in force — what `authority-lane trust` prints.

use super::*;
use crate::approval::{AmendmentPolicy, Compromised};
use crate::ids::KeyId;

/// The trust in force and what each of its principals may sign now.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SigningRights {
    /// The case.
    pub case_id: CaseId,
    /// The time of record the rights are judged at (the case's last record).
    pub at: DateTime<Utc>,
    /// The digest of the trust in force (what an amendment's `trust_digest_before` names).
    pub trust_digest: Digest,
    /// The digest of the trust pinned in record 0 (the root of the amendments).
    pub root_trust_digest: Digest,
    /// Who may amend the trust, if anyone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amendments: Option<AmendmentPolicy>,
    /// Every principal of the trust in force.
    pub principals: Vec<PrincipalRights>,
    /// Keys declared compromised (none of them is in the trust in force).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compromised: Vec<Compromised>,
    /// Amendments still collecting signatures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_amendments: Vec<PendingAmendment>,
    /// Amendments that took effect, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_history: Vec<crate::packet::TrustChange>,
}

/// One principal of the trust in force: roles, keys and the decisions it may sign now.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PrincipalRights {
    /// The principal.
    pub id: PrincipalId,
    /// Roles held.
    pub roles: Vec<RoleId>,
    /// Keys that sign for it.
    pub kids: Vec<KeyId>,
    /// Decision kinds it may sign now, whatever the state (`declare`, `stand_down`, `review`,
    /// `amend_trust`); a state may still refuse them.
    pub may: Vec<DecisionKind>,
    /// Lanes it owns now (holds the lane's role, or a delegation of it unexpired at `at`): it
    /// may accept for them, and a holder may delegate them.
    pub owns: Vec<LaneId>,
}

impl Case {
    /// Who may sign what now under the trust in force (DESIGN §16).
    pub fn signing_rights(&self) -> SigningRights {
        let review = self.workflow.review();
        let principals = self
            .trust
            .file()
            .principals
            .iter()
            .map(|p| {
                let holds = |role: &RoleId| p.roles.contains(role);
                let mut may = Vec::new();
                if holds(&review.command_role) {
                    may.extend([DecisionKind::Declare, DecisionKind::StandDown]);
                }
                if review.required_roles.iter().any(holds) {
                    may.push(DecisionKind::Review);
                }
                if self.trust.may_amend(&p.id) {
                    may.push(DecisionKind::AmendTrust);
                }
                PrincipalRights {
                    id: p.id.clone(),
                    roles: p.roles.clone(),
                    kids: p.keys.iter().map(|k| k.kid.clone()).collect(),
                    may,
                    owns: self
                        .workflow
                        .lanes()
                        .iter()
                        .filter(|l| self.owns(&p.id, &l.id, self.last_at))
                        .map(|l| l.id.clone())
                        .collect(),
                }
            })
            .collect();
        SigningRights {
            case_id: self.id().clone(),
            at: self.last_at,
            trust_digest: self.trust.digest().clone(),
            root_trust_digest: self.root_trust.digest().clone(),
            amendments: self.trust.amendment_policy().cloned(),
            principals,
            compromised: self.compromised_keys(),
            pending_amendments: self.pending_amendments(),
            trust_history: self.chain.history.clone(),
        }
    }
}
