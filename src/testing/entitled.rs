//! Who the driver picks to sign a decision ([`Who`]): candidates are the principals of the case's
//! trust file, and whether one is entitled is asked of the case ([`Case::owns`],
//! [`Case::max_lane`], [`Case::workflow`], the trust's roles), never decided by a copy of its
//! rules.

use super::Who;
use crate::case::Case;
use crate::ids::{LaneId, PrincipalId, RoleId};
use chrono::{DateTime, Utc};

/// Who signs when nobody is entitled: security leadership, a plausible but likely wrong issuer.
const FALLBACK: &str = "sam.rivera";

/// Resolves `who`: a named member, a current signer, or the `pick`-th of the entitled
/// `candidates` (falling back to security leadership when there are none).
pub(super) fn resolve(
    case: &Case,
    who: &Who,
    candidates: impl FnOnce() -> Vec<PrincipalId>,
) -> PrincipalId {
    let signers = current_signers(case);
    match who {
        Who::Named(p) => p.clone(),
        Who::Signer(pick) if !signers.is_empty() => {
            signers[usize::from(*pick) % signers.len()].clone()
        }
        Who::Right(pick) | Who::Signer(pick) => {
            let c = candidates();
            if c.is_empty() {
                fallback()
            } else {
                c[usize::from(*pick) % c.len()].clone()
            }
        }
    }
}

/// The issuer used when nobody is entitled (see [`resolve`]).
pub(super) fn fallback() -> PrincipalId {
    PrincipalId::from(FALLBACK)
}

/// The trust file's principals (in its order) for whom `entitled` holds.
fn principals(case: &Case, entitled: impl Fn(&PrincipalId) -> bool) -> Vec<PrincipalId> {
    let trust = case.trust();
    trust
        .file()
        .principals
        .iter()
        .map(|p| &p.id)
        .filter(|id| entitled(id))
        .cloned()
        .collect()
}

/// Principals holding `role` in the case's trust.
pub(super) fn with_role(case: &Case, role: &RoleId) -> Vec<PrincipalId> {
    let trust = case.trust();
    principals(case, |p| trust.has_role(p, role))
}

/// Holders of `lane`: principals with the lane's holder role in the case's workflow. Only a
/// holder may lend a lane or lower the case's maximum lane; a holder always owns the lane.
pub(super) fn holders(case: &Case, lane: &LaneId) -> Vec<PrincipalId> {
    case.workflow()
        .lane(lane)
        .map(|l| with_role(case, &l.holder_role))
        .unwrap_or_default()
}

/// Owners of `lane` at `at` as the case decides ([`Case::owns`]): holders and principals with an
/// unexpired delegation.
pub(super) fn owners(case: &Case, lane: &LaneId, at: DateTime<Utc>) -> Vec<PrincipalId> {
    principals(case, |p| case.owns(p, lane, at))
}

/// Owners at `at` of the workflow's highest lane, who own every option's boundary.
pub(super) fn top_lane_owners(case: &Case, at: DateTime<Utc>) -> Vec<PrincipalId> {
    case.workflow()
        .lanes()
        .iter()
        .max_by_key(|l| l.rank)
        .map(|top| owners(case, &top.id, at))
        .unwrap_or_default()
}

/// Issuers of the non-voided review sign-offs on the current draft.
pub(super) fn current_signers(case: &Case) -> Vec<PrincipalId> {
    case.draft()
        .map(|d| {
            d.approvals
                .iter()
                .filter(|a| a.kind == "review" && !a.voided)
                .map(|a| a.issuer.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Reviewers holding a required role that no current signer covers, who have not signed.
pub(super) fn needed_reviewers(case: &Case) -> Vec<PrincipalId> {
    let (workflow, _) = case.shared();
    let trust = case.trust();
    let signed = current_signers(case);
    let roles = &workflow.review().required_roles;
    let uncovered: Vec<&RoleId> = roles
        .iter()
        .filter(|r| !signed.iter().any(|s| trust.has_role(s, r)))
        .collect();
    let wanted: Vec<&RoleId> = if uncovered.is_empty() {
        roles.iter().collect()
    } else {
        uncovered
    };
    wanted
        .into_iter()
        .flat_map(|r| with_role(case, r))
        .filter(|p| !signed.contains(p))
        .collect()
}
