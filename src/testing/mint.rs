//! Decision tokens for the driver: signed by the [`Cast`], valid or made invalid in one of the
//! ways a [`Fault`] names.

use super::Cast;
use crate::approval::{AUDIENCE, Claims, Decision, Signer};
use crate::error_code::ErrorCode;
use crate::ids::{CaseId, KeyId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::json;

/// How a decision token is made invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A valid token (iat = the command's time, 600 s lifetime, fresh jti).
    None,
    /// Signed with the issuer's `kid` but a key not in the trust: `bad_signature`.
    ForeignKey,
    /// Signed with a `kid` not in the trust: `unknown_key`.
    UnknownKid,
    /// One signature byte flipped: `bad_signature`.
    FlippedSignature,
    /// Header `alg` `HS256`: `algorithm_not_allowed`.
    WrongAlgorithm,
    /// Expired before the command's time: `token_expired`.
    Expired,
    /// Issued well after the command's time: `token_not_yet_valid`.
    NotYetValid,
    /// Lifetime above the review policy's maximum: `token_lifetime_too_long`.
    TooLongLived,
    /// `aud` is not `authority-lane`: `audience_mismatch`.
    WrongAudience,
    /// `sub` names another case: `case_mismatch`.
    WrongCase,
}

impl Fault {
    /// Every fault that makes a token invalid.
    pub(super) const ALL_BAD: [Fault; 9] = [
        Fault::ForeignKey,
        Fault::UnknownKid,
        Fault::FlippedSignature,
        Fault::WrongAlgorithm,
        Fault::Expired,
        Fault::NotYetValid,
        Fault::TooLongLived,
        Fault::WrongAudience,
        Fault::WrongCase,
    ];

    /// The verifier's code for a token with this fault, if any.
    pub fn expected_code(self) -> Option<ErrorCode> {
        match self {
            Fault::None => None,
            Fault::ForeignKey | Fault::FlippedSignature => Some(ErrorCode::BadSignature),
            Fault::UnknownKid => Some(ErrorCode::UnknownKey),
            Fault::WrongAlgorithm => Some(ErrorCode::AlgorithmNotAllowed),
            Fault::Expired => Some(ErrorCode::TokenExpired),
            Fault::NotYetValid => Some(ErrorCode::TokenNotYetValid),
            Fault::TooLongLived => Some(ErrorCode::TokenLifetimeTooLong),
            Fault::WrongAudience => Some(ErrorCode::AudienceMismatch),
            Fault::WrongCase => Some(ErrorCode::CaseMismatch),
        }
    }
}
/// Signs the driver's tokens: the cast's keys, a stranger's key (not in the trust) and a
/// counter for fresh `jti`s.
#[derive(Debug)]
pub(super) struct Minter {
    cast: Cast,
    case_id: CaseId,
    stranger: Signer,
    jti: u64,
}

impl Minter {
    /// A minter for tokens about `case_id`, signed by `cast`.
    pub(super) fn new(cast: Cast, case_id: CaseId) -> Minter {
        Minter {
            cast,
            case_id,
            stranger: Signer::from_seed(KeyId::from("stranger-2026"), [0xA5; 32]),
            jti: 0,
        }
    }

    /// The cast whose keys sign the tokens.
    pub(super) fn cast(&self) -> &Cast {
        &self.cast
    }

    /// A token by `who` about the case at `at`, made invalid as `fault` says; `max_lifetime_secs`
    /// is the workflow's limit, which [`Fault::TooLongLived`] exceeds.
    pub(super) fn mint(
        &mut self,
        who: &str,
        at: DateTime<Utc>,
        fault: Fault,
        max_lifetime_secs: i64,
        decision: Decision,
    ) -> String {
        let member = self
            .cast
            .member(who)
            .unwrap_or_else(|| panic!("`{who}` is not in the cast"));
        self.jti += 1;
        let now = at.timestamp();
        let (iat, exp) = match fault {
            Fault::Expired => (now - 700, now - 100),
            Fault::NotYetValid => (now + 600, now + 900),
            Fault::TooLongLived => (now, now + max_lifetime_secs + 60),
            _ => (now, now + 600),
        };
        let sub = match fault {
            Fault::WrongCase => CaseId::from("case-elsewhere"),
            _ => self.case_id.clone(),
        };
        let claims = Claims {
            iss: member.id.clone(),
            aud: AUDIENCE.into(),
            sub,
            iat,
            exp,
            jti: format!("qc-{who}-{}", self.jti),
            decision,
        };
        let header =
            |kid: &KeyId, alg: &str| json!({"alg": alg, "kid": kid.as_str(), "typ": "JWT"});
        match fault {
            Fault::ForeignKey => {
                Signer::from_seed(member.signer.kid().clone(), [0x5A; 32]).sign_claims(&claims)
            }
            Fault::UnknownKid => self.stranger.sign_claims(&claims),
            Fault::WrongAlgorithm => {
                let payload = serde_json::to_vec(&claims).unwrap_or_default();
                member
                    .signer
                    .sign_raw(&header(member.signer.kid(), "HS256"), &payload)
            }
            Fault::WrongAudience => {
                // Hand-built claims JSON, as a foreign JOSE library would produce it.
                let mut v = serde_json::to_value(&claims).unwrap_or_default();
                v["aud"] = json!("some-other-service");
                let payload = serde_json::to_vec(&v).unwrap_or_default();
                member
                    .signer
                    .sign_raw(&header(member.signer.kid(), "EdDSA"), &payload)
            }
            Fault::FlippedSignature => flip_signature(&member.signer.sign_claims(&claims)),
            _ => member.signer.sign_claims(&claims),
        }
    }
}

/// Flips one bit of the signature's first byte, keeping the encoding canonical.
fn flip_signature(token: &str) -> String {
    let Some((input, sig)) = token.rsplit_once('.') else {
        return token.to_owned();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
    if let Some(b) = bytes.first_mut() {
        *b ^= 0x01;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}
