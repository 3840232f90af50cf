//! Why a command was refused. A rejection changes nothing: not the case, not the journal.

use super::machine::Leaf;
use crate::approval::TokenError;
use crate::digest::Digest;
use crate::error_code::ErrorCode;
use crate::ids::{AgentRole, FactKey, KeyId, LaneId, OptionId, PrincipalId, RoleId};
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
        /// What would have been needed: the typed cause.
        needed: Needed,
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
    /// The case is closed: stood down, or accepted (which, under `carry_over:
    /// "decision_unchanged"`, still records findings but takes no decision).
    #[error(
        "the case is closed ({state}); {}",
        if *state == Leaf::Accepted {
            "it takes no further decisions (under carry_over \"decision_unchanged\" it still records findings and trust amendments, which may reopen it)"
        } else {
            "no further commands are accepted"
        }
    )]
    CaseClosed {
        /// The closed leaf.
        state: Leaf,
    },
    /// An amendment of another trust than the one in force (DESIGN §16).
    #[error(
        "the amendment amends trust {got} but the trust in force is {expected}; `status` shows its trust_digest: amend that"
    )]
    StaleAmendment {
        /// The trust in force.
        expected: Digest,
        /// The `trust_digest_before` the amendment names.
        got: Digest,
    },
    /// The same amendment already took effect.
    #[error(
        "amendment {digest} already took effect at {}; an amendment applies once",
        crate::time::format(at)
    )]
    AmendmentApplied {
        /// The amendment digest.
        digest: Digest,
        /// When it took effect.
        at: DateTime<Utc>,
    },
    /// The amendment's compromised keys or new trust document are not valid.
    #[error("the trust amendment is not valid: {reason}")]
    InvalidAmendment {
        /// What is wrong.
        reason: String,
    },
    /// The new trust could never be amended again: it declares no `amendments`, or fewer
    /// principals could sign one than its threshold.
    #[error("the trust amendment would lock the case's trust: {reason}")]
    AmendmentLockout {
        /// What is wrong.
        reason: String,
    },
    /// The new trust holds a key declared compromised (by this or an earlier amendment), under
    /// its kid or another.
    #[error(
        "the new trust holds key {kid}, which is (or is the same public key as) {compromised}, declared compromised; a compromised key is never re-admitted: list a new key"
    )]
    CompromisedKeyReadmitted {
        /// The kid in the new trust.
        kid: KeyId,
        /// The compromised kid it repeats.
        compromised: KeyId,
    },
    /// The token's key was declared compromised by an amendment.
    #[error(
        "key {kid} was declared compromised since {} by amendment {amendment}; nothing it signs counts: sign with a key of the trust in force",
        crate::time::format(since)
    )]
    KeyCompromised {
        /// The key.
        kid: KeyId,
        /// Since when.
        since: DateTime<Utc>,
        /// The amendment that declared it.
        amendment: Digest,
    },
    /// An amendment signed by a principal it declares one of whose keys compromised: that
    /// principal's signature does not count towards it.
    #[error(
        "{issuer} may not sign an amendment that declares their own key {kid} compromised; other holders of an amendment role must sign it"
    )]
    SignerCompromised {
        /// The signer.
        issuer: PrincipalId,
        /// Their key the amendment declares compromised.
        kid: KeyId,
    },
}

impl Rejection {
    /// The stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::InvalidJson { .. } => ErrorCode::InvalidJson,
            Rejection::Token(e) => e.code(),
            Rejection::ReplayedToken { .. } => ErrorCode::ReplayedToken,
            Rejection::StaleApproval { .. } => ErrorCode::StaleApproval,
            Rejection::NotAuthorized { .. } => ErrorCode::NotAuthorized,
            Rejection::DuplicateApprover { .. } => ErrorCode::DuplicateApprover,
            Rejection::SeparationOfDuties { .. } => ErrorCode::SeparationOfDuties,
            Rejection::MissingAttestation { .. } => ErrorCode::MissingAttestation,
            Rejection::NotAllowedInState { .. } => ErrorCode::NotAllowedInState,
            Rejection::TimeRegression { .. } => ErrorCode::TimeRegression,
            Rejection::ClockSkew { .. } => ErrorCode::ClockSkew,
            Rejection::InputTooLarge { .. } => ErrorCode::InputTooLarge,
            Rejection::RoleNotPermitted { .. } => ErrorCode::RoleNotPermitted,
            Rejection::Fact(e) => e.code(),
            Rejection::CaseClosed { .. } => ErrorCode::CaseClosed,
            Rejection::StaleAmendment { .. } | Rejection::AmendmentApplied { .. } => {
                ErrorCode::StaleApproval
            }
            Rejection::InvalidAmendment { .. } => ErrorCode::InvalidAmendment,
            Rejection::AmendmentLockout { .. } => ErrorCode::AmendmentLockout,
            Rejection::CompromisedKeyReadmitted { .. } => ErrorCode::CompromisedKeyReadmitted,
            Rejection::KeyCompromised { .. } | Rejection::SignerCompromised { .. } => {
                ErrorCode::KeyCompromised
            }
        }
    }
}

/// Why a decision is `not_authorized`: what it would have needed. Each cause formats as the
/// sentence the message ends with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Needed {
    /// A role the issuer does not hold (declaring, standing down).
    #[error("the `{0}` role")]
    Role(RoleId),
    /// One of the review policy's reviewer roles.
    #[error("one of the reviewer roles {0:?}")]
    ReviewerRole(Vec<RoleId>),
    /// The decision names a lane the workflow does not have.
    #[error("`{0}` is not a lane of this workflow")]
    UnknownLane(LaneId),
    /// The decision names an option the workflow does not have.
    #[error("`{0}` is not an option of this workflow")]
    UnknownOption(OptionId),
    /// The delegate is not in the trust file.
    #[error("`{0}` is not a principal in the trust file")]
    UnknownPrincipal(PrincipalId),
    /// Only a holder of the lane's role may lend it.
    #[error("only a holder of `{role}` may lend it (delegates cannot re-delegate)")]
    LaneHolderToLend {
        /// The lane's holder role.
        role: RoleId,
    },
    /// One of the trust's amendment roles (DESIGN §16).
    #[error(
        "one of the amendment roles {} in the trust in force",
        .0.iter().map(RoleId::as_str).collect::<Vec<_>>().join(", ")
    )]
    AmendmentRole(Vec<RoleId>),
    /// A trust that allows amendments.
    #[error(
        "a trust that declares `amendments`; this one does not, so the trust pinned in record 0 holds for the life of the case"
    )]
    AmendmentPolicy,
    /// A delegation to oneself.
    #[error("a delegation to another principal; nobody delegates to themselves")]
    AnotherPrincipal,
    /// A delegation that ends before it is given.
    #[error(
        "a delegation must end after it is given; `until` {} is not after the time of record {}",
        crate::time::format(until),
        crate::time::format(at)
    )]
    EndAfterGiven {
        /// The delegation's end.
        until: DateTime<Utc>,
        /// The time of record.
        at: DateTime<Utc>,
    },
    /// A delegation longer than the policy allows.
    #[error(
        "a delegation of at most {longest_secs} s (review.max_delegation_secs); `until` {} is later than {}",
        crate::time::format(until),
        crate::time::format(latest)
    )]
    ShorterDelegation {
        /// `review.max_delegation_secs`.
        longest_secs: i64,
        /// The delegation's end.
        until: DateTime<Utc>,
        /// The latest end allowed.
        latest: DateTime<Utc>,
    },
    /// An acceptance for another lane than the one the packet recommends.
    #[error("the packet recommends `{recommended}`; only its owner may accept, for that lane")]
    RecommendedLane {
        /// The recommended lane.
        recommended: LaneId,
    },
    /// An owner of the lane at the time of record: a holder, or a delegate whose delegation
    /// is unexpired then.
    #[error(
        "a holder of `{lane}` or a delegate whose delegation is unexpired at {}",
        crate::time::format(at)
    )]
    LaneOwnerAt {
        /// The lane.
        lane: LaneId,
        /// The time of record.
        at: DateTime<Utc>,
    },
    /// A request for evidence: an owner of the recommended lane or above, or the command role.
    #[error("an owner of the recommended lane or a higher one, or the command role")]
    OwnerOrCommand,
    /// Lowering the lane below the case's maximum is for a holder of that lane only.
    #[error(
        "a holder of the case's maximum lane `{lane}` (role `{role}`); a delegate may not lower it"
    )]
    MaximumLaneHolder {
        /// The case's maximum lane.
        lane: LaneId,
        /// Its holder role.
        role: RoleId,
    },
    /// Setting the lane (not lower than the maximum): a holder or valid delegate of it.
    #[error("a holder or valid delegate of the case's maximum lane `{lane}`")]
    MaximumLaneOwner {
        /// The case's maximum lane.
        lane: LaneId,
    },
    /// The option is excluded already.
    #[error("`{0}` is excluded already")]
    NotExcluded(OptionId),
    /// Excluding an option: an owner of its boundary lane and at least the recommended lane.
    #[error(
        "an owner of {lane} or a higher lane (the option's boundary lane, and at least the recommended lane)"
    )]
    OwnerOfBoundary {
        /// The lane needed (`` `id` ``, or `rank N` for a rank no lane has).
        lane: String,
    },
    /// The last option cannot be excluded.
    #[error("at least one option to remain; the last option cannot be excluded")]
    AnotherOption,
}
