//! Why a command was refused. A rejection changes nothing: not the case, not the journal.

use super::machine::Leaf;
use crate::approval::TokenError;
use crate::digest::Digest;
use crate::ids::{AgentRole, FactKey, KeyId, PrincipalId};
use crate::workflow::FactError;
use chrono::{DateTime, Utc};

/// A refused command, with a stable [`code`](Rejection::code) and a message a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The command is not valid JSON of a known shape.
    #[error("invalid command JSON: {message}")]
    InvalidJson {
        /// What the parser said.
        message: String,
    },
    /// The token failed verification (malformed, algorithm, key, signature, audience, case,
    /// expiry, not-yet-valid, lifetime).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token's `jti` was already used in this case.
    #[error("token `{jti}` was already used in this case; mint a fresh token with a new jti")]
    ReplayedToken {
        /// The reused token id.
        jti: String,
    },
    /// The token signs a draft digest that is not the current draft's.
    #[error(
        "the token approves draft {got} but the current draft is {expected}; review the current draft (status shows its digest) and sign that"
    )]
    StaleApproval {
        /// The current draft's digest.
        expected: Digest,
        /// The digest the token names.
        got: Digest,
    },
    /// The issuer lacks the role or lane the decision needs.
    #[error("{issuer} may not {action}: {needed}")]
    NotAuthorized {
        /// The token's issuer.
        issuer: PrincipalId,
        /// What the token tried to do.
        action: String,
        /// What would have been needed.
        needed: String,
    },
    /// The same principal or key already signed off the current draft.
    #[error(
        "{issuer} (key {kid}) already signed off this draft; the quorum needs distinct principals and keys"
    )]
    DuplicateApprover {
        /// The issuer.
        issuer: PrincipalId,
        /// The key used.
        kid: KeyId,
    },
    /// The acceptor also signed off the current draft.
    #[error(
        "{issuer} signed off this draft and so may not also accept it (separation of duties); another owner of the lane must accept"
    )]
    SeparationOfDuties {
        /// The acceptor.
        issuer: PrincipalId,
    },
    /// A sign-off's attestations are not exactly the review policy's set.
    #[error(
        "sign-off by {issuer} must attest exactly {expected:?}, each once: missing {missing:?}, unexpected or repeated {unexpected:?}"
    )]
    MissingAttestation {
        /// The reviewer.
        issuer: PrincipalId,
        /// The attestations missing.
        missing: Vec<String>,
        /// Attestations the policy does not ask for, or repeated ones.
        unexpected: Vec<String>,
        /// The policy's set.
        expected: Vec<String>,
    },
    /// The command is not allowed in the case's current state.
    #[error(
        "{command} is not allowed in state {state} ({path}); {state} accepts {}",
        if accepts.is_empty() { "no command".to_owned() } else { accepts.join(", ") }
    )]
    NotAllowedInState {
        /// The current leaf state.
        state: Leaf,
        /// Its path.
        path: String,
        /// The command kind.
        command: String,
        /// The command kinds the state accepts (from the statechart's table).
        accepts: Vec<&'static str>,
    },
    /// The time of record is earlier than the last record's (only a supplied clock can do
    /// this).
    #[error(
        "time of record {} is earlier than the last record's {}; a supplied clock (--at) may not go back",
        crate::time::format(at),
        crate::time::format(last)
    )]
    TimeRegression {
        /// The time of record.
        at: DateTime<Utc>,
        /// The last record's time.
        last: DateTime<Utc>,
    },
    /// The command's own `at` is later than the time of record plus the allowed skew.
    #[error(
        "the command's at {} is ahead of the time of record {} by more than {max_skew_secs} s; a submitter cannot set the case clock — send the time you observed or decided it",
        crate::time::format(at),
        crate::time::format(recorded_at)
    )]
    ClockSkew {
        /// The command's `at`.
        at: DateTime<Utc>,
        /// The time of record.
        recorded_at: DateTime<Utc>,
        /// `review.max_clock_skew_secs`.
        max_skew_secs: i64,
    },
    /// An untrusted input is larger than its bound (DESIGN §12.4).
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    InputTooLarge {
        /// Which input.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The agent's role may not submit this fact.
    #[error("agent role `{role}` may not submit `{fact}`; the workflow allows only `{allowed}`")]
    RoleNotPermitted {
        /// The agent's role.
        role: AgentRole,
        /// The fact.
        fact: FactKey,
        /// The role allowed to submit it.
        allowed: AgentRole,
    },
    /// The fact is undeclared or its value mistyped.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The case is closed.
    #[error("the case is closed ({state}); no further commands are accepted")]
    CaseClosed {
        /// The closed leaf.
        state: Leaf,
    },
}

impl Rejection {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::InvalidJson { .. } => "invalid_json",
            Rejection::Token(e) => e.code(),
            Rejection::ReplayedToken { .. } => "replayed_token",
            Rejection::StaleApproval { .. } => "stale_approval",
            Rejection::NotAuthorized { .. } => "not_authorized",
            Rejection::DuplicateApprover { .. } => "duplicate_approver",
            Rejection::SeparationOfDuties { .. } => "separation_of_duties",
            Rejection::MissingAttestation { .. } => "missing_attestation",
            Rejection::NotAllowedInState { .. } => "not_allowed_in_state",
            Rejection::TimeRegression { .. } => "time_regression",
            Rejection::ClockSkew { .. } => "clock_skew",
            Rejection::InputTooLarge { .. } => "input_too_large",
            Rejection::RoleNotPermitted { .. } => "role_not_permitted",
            Rejection::Fact(e) => e.code(),
            Rejection::CaseClosed { .. } => "case_closed",
        }
    }
}
