//! Human approvals: the trust registry, token claims, JWS verification and the [`Approval`]
//! capability type.
//!
//! Humans approve steps of a severe case by signing compact JWS tokens (RFC 7515, `alg` `EdDSA`
//! per RFC 8037) with keys listed in the [`Trust`] registry. [`verify`] checks a token against the
//! registry and a [`VerifyContext`] and, only if every check passes, returns an [`AnyApproval`].
//!
//! # Why `Approval<D>` has no public constructor
//!
//! An [`Approval<D>`] is a *proof token* in the style of rustls' verified-certificate markers: its
//! existence is the evidence that a specific signed token was checked against a specific trust
//! registry at a specific time. Therefore:
//!
//! * its fields are private and its only constructor is private to this module, called only by
//!   [`verify`]; code elsewhere cannot fabricate one from claims it merely parsed;
//! * it is neither `Clone`, `Copy`, `Default` nor `Deserialize`, so a verified approval cannot be
//!   duplicated (and spent twice by a consumer that takes it by value) or materialised from JSON;
//! * it keeps the raw token and its digest so that whatever consumes it can record exactly what
//!   was signed.
//!
//! None of these compile:
//!
//! ```compile_fail
//! use authority_lane::approval::{Approval, Review};
//! fn dup(a: Approval<Review>) -> (Approval<Review>, Approval<Review>) { (a.clone(), a) }
//! ```
//!
//! ```compile_fail
//! use authority_lane::approval::{Approval, StandDown};
//! let forged: Approval<StandDown> = Default::default();
//! ```
//!
//! ```compile_fail
//! use authority_lane::approval::{Approval, StandDown};
//! let forged: Approval<StandDown> = serde_json::from_str("{}").unwrap();
//! ```
//!
//! ```compile_fail
//! use authority_lane::approval::{Approval, StandDown};
//! let forged = Approval::new(todo!(), StandDown { reason: "x".into() });
//! ```
//!
//! Replay protection (`jti` uniqueness) is the consumer's job: the verifier is stateless.

mod jws;
mod signer;
mod token;
mod trust;

pub(crate) use jws::read_verified;
pub use jws::{
    AUDIENCE, MAX_TOKEN_BYTES, NOT_BEFORE_LEEWAY_SECS, TokenError, VerifyContext, verify,
};
pub use signer::Signer;
pub use token::{
    Accept, AmendTrust, Audience, Claims, Compromised, Decision, DecisionKind, Declare, Delegate,
    Redirect, RedirectAction, Review, StandDown,
};
pub use trust::{
    AmendmentPolicy, KeyEntry, PrincipalEntry, PublicJwk, Trust, TrustError, TrustFile,
    shipped_amendments,
};

use crate::digest::Digest;
use crate::ids::{CaseId, KeyId, PrincipalId};
use chrono::{DateTime, Utc};

/// A verified human approval carrying decision payload `D`.
///
/// Only [`verify`] creates these; see the [module docs](self) for why.
#[derive(Debug)]
pub struct Approval<D> {
    issuer: PrincipalId,
    kid: KeyId,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    jti: String,
    token: String,
    token_digest: Digest,
    case_id: CaseId,
    decision: D,
}

/// The verified, non-payload parts of a token, passed from [`verify`] to [`Approval::new`].
struct Verified {
    issuer: PrincipalId,
    kid: KeyId,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    jti: String,
    token: String,
    case_id: CaseId,
}

impl<D> Approval<D> {
    /// The only constructor; private to this module tree and called only by [`verify`].
    fn new(v: Verified, decision: D) -> Self {
        let token_digest = Digest::of_bytes(v.token.as_bytes());
        Approval {
            issuer: v.issuer,
            kid: v.kid,
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            jti: v.jti,
            token: v.token,
            token_digest,
            case_id: v.case_id,
            decision,
        }
    }

    /// The approving principal (`iss`).
    pub fn issuer(&self) -> &PrincipalId {
        &self.issuer
    }
    /// The key that signed the token (header `kid`).
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }
    /// When the token was issued (`iat`).
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }
    /// When the token expires (`exp`).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    /// The token's unique id (`jti`), for replay detection by the consumer.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// The compact JWS exactly as received.
    pub fn token(&self) -> &str {
        &self.token
    }
    /// SHA-256 of the compact JWS bytes.
    pub fn token_digest(&self) -> &Digest {
        &self.token_digest
    }
    /// The case the token is about (`sub`).
    pub fn case_id(&self) -> &CaseId {
        &self.case_id
    }
    /// The decision payload.
    pub fn decision(&self) -> &D {
        &self.decision
    }
}

/// A verified approval of any decision kind, as returned by [`verify`].
#[derive(Debug)]
pub enum AnyApproval {
    /// A verified `declare` decision.
    Declare(Approval<Declare>),
    /// A verified `delegate` decision.
    Delegate(Approval<Delegate>),
    /// A verified `review` decision.
    Review(Approval<Review>),
    /// A verified `accept` decision.
    Accept(Approval<Accept>),
    /// A verified `redirect` decision.
    Redirect(Approval<Redirect>),
    /// A verified `stand_down` decision.
    StandDown(Approval<StandDown>),
    /// A verified `amend_trust` decision (one signature of an amendment).
    AmendTrust(Approval<AmendTrust>),
}

/// Applies `$f` to the inner approval whatever its payload type.
macro_rules! with_inner {
    ($self:expr, $a:ident => $e:expr) => {
        match $self {
            AnyApproval::Declare($a) => $e,
            AnyApproval::Delegate($a) => $e,
            AnyApproval::Review($a) => $e,
            AnyApproval::Accept($a) => $e,
            AnyApproval::Redirect($a) => $e,
            AnyApproval::StandDown($a) => $e,
            AnyApproval::AmendTrust($a) => $e,
        }
    };
}

impl AnyApproval {
    fn from_verified(v: Verified, decision: Decision) -> Self {
        match decision {
            Decision::Declare(d) => AnyApproval::Declare(Approval::new(v, d)),
            Decision::Delegate(d) => AnyApproval::Delegate(Approval::new(v, d)),
            Decision::Review(d) => AnyApproval::Review(Approval::new(v, d)),
            Decision::Accept(d) => AnyApproval::Accept(Approval::new(v, d)),
            Decision::Redirect(d) => AnyApproval::Redirect(Approval::new(v, d)),
            Decision::StandDown(d) => AnyApproval::StandDown(Approval::new(v, d)),
            Decision::AmendTrust(d) => AnyApproval::AmendTrust(Approval::new(v, d)),
        }
    }

    /// The decision kind.
    pub fn kind(&self) -> DecisionKind {
        match self {
            AnyApproval::Declare(_) => DecisionKind::Declare,
            AnyApproval::Delegate(_) => DecisionKind::Delegate,
            AnyApproval::Review(_) => DecisionKind::Review,
            AnyApproval::Accept(_) => DecisionKind::Accept,
            AnyApproval::Redirect(_) => DecisionKind::Redirect,
            AnyApproval::StandDown(_) => DecisionKind::StandDown,
            AnyApproval::AmendTrust(_) => DecisionKind::AmendTrust,
        }
    }
    /// The approving principal (`iss`).
    pub fn issuer(&self) -> &PrincipalId {
        with_inner!(self, a => a.issuer())
    }
    /// The key that signed the token.
    pub fn kid(&self) -> &KeyId {
        with_inner!(self, a => a.kid())
    }
    /// When the token was issued.
    pub fn issued_at(&self) -> DateTime<Utc> {
        with_inner!(self, a => a.issued_at())
    }
    /// When the token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        with_inner!(self, a => a.expires_at())
    }
    /// The token's unique id.
    pub fn jti(&self) -> &str {
        with_inner!(self, a => a.jti())
    }
    /// The compact JWS exactly as received.
    pub fn token(&self) -> &str {
        with_inner!(self, a => a.token())
    }
    /// SHA-256 of the compact JWS bytes.
    pub fn token_digest(&self) -> &Digest {
        with_inner!(self, a => a.token_digest())
    }
    /// The case the token is about.
    pub fn case_id(&self) -> &CaseId {
        with_inner!(self, a => a.case_id())
    }
}
