//! The human review policy of a workflow, and the bounds on every number it sets (DESIGN
//! §12.9: each has a documented maximum, so no date arithmetic on it can overflow).

use super::WorkflowError;
use crate::ids::{Attestation, RoleId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest token lifetime a workflow may allow (`review.max_token_lifetime_secs`): one day,
/// so that the published claims schema can refuse absurd lifetimes whatever the workflow.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 86_400;

/// The longest delegation a workflow may allow (`review.max_delegation_secs`): 366 days. With
/// the other maxima, every date a case computes stays far inside the representable range.
pub const MAX_DELEGATION_SECS: i64 = 31_622_400;

/// The largest clock skew a workflow may allow (`review.max_clock_skew_secs`): one day.
pub const MAX_CLOCK_SKEW_SECS: i64 = 86_400;

/// The human review policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Distinct reviewers needed on one draft digest.
    pub quorum: u32,
    /// Roles that must each sign off at least once.
    pub required_roles: Vec<RoleId>,
    /// Attestations every sign-off must make.
    pub attestations: Vec<Attestation>,
    /// Longest allowed token lifetime (`exp - iat`), seconds: 1 to 86400 (one day,
    /// `MAX_TOKEN_LIFETIME_SECS`).
    #[schemars(range(min = 1, max = 86_400))]
    pub max_token_lifetime_secs: i64,
    /// When true, the acceptor may not have signed off the same revision.
    pub separation_of_duties: bool,
    /// The role that declares the case and may stand it down.
    pub command_role: RoleId,
    /// Longest delegation (`until` − time of record), seconds: 1 to 31622400 (366 days,
    /// `MAX_DELEGATION_SECS`). Default 604800 (7 days).
    #[serde(default = "default_max_delegation_secs")]
    #[schemars(range(min = 1, max = 31_622_400))]
    pub max_delegation_secs: i64,
    /// How far a command's own `at` (and a journal's time of record, DESIGN §12.7) may run
    /// ahead of the time of record or of a verifier's clock, seconds (`clock_skew` beyond it):
    /// 0 to 86400 (one day, `MAX_CLOCK_SKEW_SECS`). Default 300.
    #[serde(default = "default_max_clock_skew_secs")]
    #[schemars(range(min = 0, max = 86_400))]
    pub max_clock_skew_secs: i64,
    /// Which sign-offs survive a new draft version (DESIGN §15). Default `never` (not
    /// written when it is the default, so the digest of a workflow that predates it is
    /// unchanged).
    #[serde(default, skip_serializing_if = "CarryOver::is_never")]
    pub carry_over: CarryOver,
}

/// Which sign-offs survive a new draft version (`review.carry_over`, DESIGN §15).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CarryOver {
    /// Every new draft version voids the sign-offs on the old one; a review or acceptance must
    /// name the current draft.
    #[default]
    Never,
    /// Sign-offs made in a decision epoch (the draft versions with one decision digest) stay
    /// valid while later findings leave the decision unchanged, and a review or acceptance may
    /// name any draft version of the epoch still remembered
    /// ([`EPOCH_DRAFTS`](crate::case::EPOCH_DRAFTS)); a change of decision voids them.
    DecisionUnchanged,
}

impl CarryOver {
    fn is_never(&self) -> bool {
        *self == CarryOver::Never
    }
}

fn default_max_delegation_secs() -> i64 {
    604_800
}

fn default_max_clock_skew_secs() -> i64 {
    300
}

pub(super) fn validate_review(r: &ReviewPolicy) -> Result<(), WorkflowError> {
    if r.quorum == 0 {
        return Err(WorkflowError::at(
            "review.quorum",
            "quorum must be at least 1",
        ));
    }
    if r.required_roles.len() > r.quorum as usize {
        return Err(WorkflowError::at(
            "review.required_roles",
            format!(
                "{} roles must each sign but the quorum is {}: raise the quorum",
                r.required_roles.len(),
                r.quorum
            ),
        ));
    }
    if r.max_token_lifetime_secs <= 0 || r.max_token_lifetime_secs > MAX_TOKEN_LIFETIME_SECS {
        return Err(WorkflowError::at(
            "review.max_token_lifetime_secs",
            format!(
                "token lifetime must be between 1 and {MAX_TOKEN_LIFETIME_SECS} seconds (one day), not {}: an approval is a decision of the moment",
                r.max_token_lifetime_secs
            ),
        ));
    }
    if r.max_delegation_secs <= 0 || r.max_delegation_secs > MAX_DELEGATION_SECS {
        return Err(WorkflowError::at(
            "review.max_delegation_secs",
            format!(
                "the longest delegation must be between 1 and {MAX_DELEGATION_SECS} seconds (366 days), not {}",
                r.max_delegation_secs
            ),
        ));
    }
    if r.max_clock_skew_secs < 0 || r.max_clock_skew_secs > MAX_CLOCK_SKEW_SECS {
        return Err(WorkflowError::at(
            "review.max_clock_skew_secs",
            format!(
                "the clock skew allowance must be between 0 and {MAX_CLOCK_SKEW_SECS} seconds (one day), not {}",
                r.max_clock_skew_secs
            ),
        ));
    }
    Ok(())
}
