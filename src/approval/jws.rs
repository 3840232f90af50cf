//! Compact JWS verification (RFC 7515, `EdDSA` per RFC 8037) of approval tokens.
//!
//! Checks run in a fixed order and the first failure is reported, each with a stable code:
//! `invalid_token`, `algorithm_not_allowed`, `unknown_key`, `bad_signature`,
//! `audience_mismatch`, `case_mismatch`, `token_expired`, `token_not_yet_valid`,
//! `token_lifetime_too_long`. Times come only from [`VerifyContext::at`], never the system clock.

use super::token::Claims;
use super::trust::Trust;
use super::{AnyApproval, Verified};
use crate::error_code::ErrorCode;
use crate::ids::{CaseId, KeyId, PrincipalId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SIGNATURE_LENGTH, Signature, VerifyingKey};
use serde::Deserialize;

/// The only accepted `aud`.
pub const AUDIENCE: &str = "authority-lane";
/// Largest accepted compact token, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock-skew allowance for `iat` in the future, in seconds.
pub const NOT_BEFORE_LEEWAY_SECS: i64 = 60;

/// What a token is verified against, besides the trust registry.
#[derive(Debug, Clone, Copy)]
pub struct VerifyContext<'a> {
    /// The case the token must be about; `None` for the declaration that opens a case (any
    /// `sub` accepted).
    pub case_id: Option<&'a CaseId>,
    /// The time of verification.
    pub at: DateTime<Utc>,
    /// Largest allowed `exp - iat`, in seconds.
    pub max_lifetime_secs: i64,
}

/// Why a token was refused. [`TokenError::code`] gives the stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// `invalid_token`: not a well-formed compact JWS carrying the expected claims.
    #[error("invalid token: {reason}")]
    Invalid {
        /// What was wrong.
        reason: String,
    },
    /// `algorithm_not_allowed`: header `alg` is not `EdDSA`.
    #[error("algorithm {alg} is not allowed; only EdDSA is accepted")]
    AlgorithmNotAllowed {
        /// The header's `alg` as JSON (`<missing>` if absent).
        alg: String,
    },
    /// `unknown_key`: no `kid`, a `kid` not in the trust file, or a key of another principal.
    #[error("{}", unknown_key_message(kid.as_ref(), issuer, owner.as_ref()))]
    UnknownKey {
        /// The header's `kid`, if any.
        kid: Option<KeyId>,
        /// The token's `iss`.
        issuer: PrincipalId,
        /// The principal that actually owns `kid`, if it is known but not the issuer's.
        owner: Option<PrincipalId>,
    },
    /// `bad_signature`: the signature does not verify under the named key.
    #[error("signature does not verify under key {kid} of {issuer}")]
    BadSignature {
        /// The key tried.
        kid: KeyId,
        /// The token's `iss`.
        issuer: PrincipalId,
    },
    /// `audience_mismatch`: `aud` is not [`AUDIENCE`].
    #[error("token from {issuer} has audience {found:?}, expected {AUDIENCE:?}")]
    AudienceMismatch {
        /// The token's `aud`.
        found: String,
        /// The token's `iss`.
        issuer: PrincipalId,
    },
    /// `case_mismatch`: `sub` is not the case being decided.
    #[error("token from {issuer} is for case {found}, expected case {expected}")]
    CaseMismatch {
        /// The case being decided.
        expected: CaseId,
        /// The token's `sub`.
        found: CaseId,
        /// The token's `iss`.
        issuer: PrincipalId,
    },
    /// `token_expired`: verification time is at or after `exp`.
    #[error(
        "token {jti} from {issuer} expired at {}; checked at {}",
        crate::time::format(exp),
        crate::time::format(at)
    )]
    Expired {
        /// The token's `exp`.
        exp: DateTime<Utc>,
        /// The verification time.
        at: DateTime<Utc>,
        /// The token's `iss`.
        issuer: PrincipalId,
        /// The token's `jti`.
        jti: String,
    },
    /// `token_not_yet_valid`: `iat` is more than the leeway after the verification time.
    #[error(
        "token {jti} from {issuer} is issued at {}, more than {leeway_secs}s after the check time {}",
        crate::time::format(iat),
        crate::time::format(at)
    )]
    NotYetValid {
        /// The token's `iat`.
        iat: DateTime<Utc>,
        /// The verification time.
        at: DateTime<Utc>,
        /// The allowed skew.
        leeway_secs: i64,
        /// The token's `iss`.
        issuer: PrincipalId,
        /// The token's `jti`.
        jti: String,
    },
    /// `token_lifetime_too_long`: `exp - iat` exceeds the allowed maximum.
    #[error(
        "token {jti} from {issuer} lives {lifetime_secs}s (iat {}, exp {}); at most {max_secs}s allowed",
        crate::time::format(iat),
        crate::time::format(exp)
    )]
    LifetimeTooLong {
        /// The token's `iat`.
        iat: DateTime<Utc>,
        /// The token's `exp`.
        exp: DateTime<Utc>,
        /// `exp - iat`.
        lifetime_secs: i64,
        /// The allowed maximum.
        max_secs: i64,
        /// The token's `iss`.
        issuer: PrincipalId,
        /// The token's `jti`.
        jti: String,
    },
}

fn unknown_key_message(
    kid: Option<&KeyId>,
    issuer: &PrincipalId,
    owner: Option<&PrincipalId>,
) -> String {
    match (kid, owner) {
        (None, _) => format!("token from {issuer} names no kid"),
        (Some(kid), None) => format!("kid {kid} (claimed by {issuer}) is not in the trust file"),
        (Some(kid), Some(owner)) => {
            format!("kid {kid} belongs to {owner}, not to the token's issuer {issuer}")
        }
    }
}

impl TokenError {
    /// Stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            TokenError::Invalid { .. } => ErrorCode::InvalidToken,
            TokenError::AlgorithmNotAllowed { .. } => ErrorCode::AlgorithmNotAllowed,
            TokenError::UnknownKey { .. } => ErrorCode::UnknownKey,
            TokenError::BadSignature { .. } => ErrorCode::BadSignature,
            TokenError::AudienceMismatch { .. } => ErrorCode::AudienceMismatch,
            TokenError::CaseMismatch { .. } => ErrorCode::CaseMismatch,
            TokenError::Expired { .. } => ErrorCode::TokenExpired,
            TokenError::NotYetValid { .. } => ErrorCode::TokenNotYetValid,
            TokenError::LifetimeTooLong { .. } => ErrorCode::TokenLifetimeTooLong,
        }
    }
}

fn invalid(reason: impl Into<String>) -> TokenError {
    TokenError::Invalid {
        reason: reason.into(),
    }
}

/// The protected header fields we look at. Kept loose (`Value`) so that a wrong `alg` is
/// reported as `algorithm_not_allowed` rather than a parse failure; serde still rejects
/// duplicate members.
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    crit: Option<serde_json::Value>,
}

/// Checks an Ed25519 signature over a JWS signing input. This is the signature layer [`verify`]
/// uses.
///
/// Verification is strict (RFC 8032 §5.1.7 plus ed25519-dalek's `verify_strict`): `S` must be
/// canonical (below the group order), `R` must be the canonical encoding of a point that is not
/// of small order, and `key` must not be of small order. The lax check would accept, for
/// example, `R` = basepoint and `S` = 1 as a signature of every message under the identity key.
/// A signature that is not base64url of exactly 64 bytes does not verify.
pub(crate) fn signature_verifies(
    signing_input: &[u8],
    signature_b64: &str,
    key: &VerifyingKey,
) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature_b64) else {
        return false;
    };
    let Ok(bytes) = <[u8; SIGNATURE_LENGTH]>::try_from(bytes) else {
        return false;
    };
    key.verify_strict(signing_input, &Signature::from_bytes(&bytes))
        .is_ok()
}

fn b64_part(part: &str, name: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| invalid(format!("{name} is not base64url: {e}")))
}

fn timestamp(secs: i64, name: &str) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| invalid(format!("{name} {secs} is out of range")))
}

/// A token that passed the shape checks (step 1 of [`verify`]): its parts as received, the
/// header fields looked at later, and its claims with their times.
struct Shaped<'t> {
    /// The header part, base64url, as received.
    h64: &'t str,
    /// The payload part, base64url, as received.
    p64: &'t str,
    /// The signature part, base64url, as received.
    s64: &'t str,
    /// The header's `alg`, not yet checked.
    alg: Option<serde_json::Value>,
    /// The header's `kid`, if any.
    kid: Option<KeyId>,
    claims: Claims,
    iat: DateTime<Utc>,
    exp: DateTime<Utc>,
}

/// The header `kid` and the claims of a token of the right shape, **unverified**: for reading
/// back a token the case verified when it applied it (the key that signed an approval, the
/// decision it carried), never for deciding whether to trust one.
pub(crate) fn read_verified(token: &str) -> Option<(Option<KeyId>, Claims)> {
    check_shape(token).ok().map(|s| (s.kid, s.claims))
}

/// Step 1 of [`verify`]: the token's shape, its header and the shape of its claims.
fn check_shape(token: &str) -> Result<Shaped<'_>, TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid(format!(
            "token is {} bytes, over the {MAX_TOKEN_BYTES}-byte limit",
            token.len()
        )));
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not three dot-separated parts"));
    };
    let header_bytes = b64_part(h64, "header")?;
    let payload_bytes = b64_part(p64, "payload")?;
    b64_part(s64, "signature")?;
    let header: RawHeader = serde_json::from_slice(&header_bytes)
        .map_err(|e| invalid(format!("header is not a JSON object: {e}")))?;
    if header.crit.is_some() {
        return Err(invalid("header has crit; no JWS extensions are supported"));
    }
    let kid = match header.kid {
        None => None,
        Some(serde_json::Value::String(k)) => Some(KeyId::new(k)),
        Some(other) => return Err(invalid(format!("header kid is not a string: {other}"))),
    };
    let claims: Claims = serde_json::from_slice(&payload_bytes)
        .map_err(|e| invalid(format!("claims do not have the expected shape: {e}")))?;
    for (name, value) in [
        ("iss", claims.iss.as_str()),
        ("sub", claims.sub.as_str()),
        ("jti", claims.jti.as_str()),
    ] {
        if value.is_empty() {
            return Err(invalid(format!("claim {name} is empty")));
        }
    }
    let iat = timestamp(claims.iat, "iat")?;
    let exp = timestamp(claims.exp, "exp")?;
    if claims.exp <= claims.iat {
        return Err(invalid(format!(
            "exp {} is not after iat {}",
            claims.exp, claims.iat
        )));
    }
    Ok(Shaped {
        h64,
        p64,
        s64,
        alg: header.alg,
        kid,
        claims,
        iat,
        exp,
    })
}

/// Step 2 of [`verify`]: the header's `alg` must be `EdDSA`.
fn check_algorithm(alg: Option<&serde_json::Value>) -> Result<(), TokenError> {
    match alg {
        Some(serde_json::Value::String(a)) if a == "EdDSA" => {}
        Some(other) => {
            return Err(TokenError::AlgorithmNotAllowed {
                alg: other.to_string(),
            });
        }
        None => {
            return Err(TokenError::AlgorithmNotAllowed {
                alg: "<missing>".to_owned(),
            });
        }
    }
    Ok(())
}

/// Step 3 of [`verify`]: the trusted key `kid` names, which must be one of `issuer`'s.
fn issuer_key<'k>(
    trust: &'k Trust,
    kid: Option<KeyId>,
    issuer: &PrincipalId,
) -> Result<(KeyId, &'k VerifyingKey), TokenError> {
    let Some(kid) = kid else {
        return Err(TokenError::UnknownKey {
            kid: None,
            issuer: issuer.clone(),
            owner: None,
        });
    };
    let key = match trust.key(kid.as_str()) {
        None => {
            return Err(TokenError::UnknownKey {
                kid: Some(kid),
                issuer: issuer.clone(),
                owner: None,
            });
        }
        Some((owner, _)) if owner != issuer => {
            return Err(TokenError::UnknownKey {
                kid: Some(kid),
                issuer: issuer.clone(),
                owner: Some(owner.clone()),
            });
        }
        Some((_, key)) => key,
    };
    Ok((kid, key))
}

/// Step 6 of [`verify`]: the token's times against the context's time and lifetime limit.
fn check_time(
    claims: &Claims,
    iat: DateTime<Utc>,
    exp: DateTime<Utc>,
    ctx: &VerifyContext,
    issuer: &PrincipalId,
) -> Result<(), TokenError> {
    // Whole-second comparisons are exact here because `timestamp()` floors and `iat`/`exp`
    // are whole seconds.
    let at = ctx.at.timestamp();
    if at >= claims.exp {
        return Err(TokenError::Expired {
            exp,
            at: ctx.at,
            issuer: issuer.clone(),
            jti: claims.jti.clone(),
        });
    }
    if claims.iat > at.saturating_add(NOT_BEFORE_LEEWAY_SECS) {
        return Err(TokenError::NotYetValid {
            iat,
            at: ctx.at,
            leeway_secs: NOT_BEFORE_LEEWAY_SECS,
            issuer: issuer.clone(),
            jti: claims.jti.clone(),
        });
    }
    // Both are within chrono's range (about ±8.3e12 s), so this cannot overflow.
    let lifetime = claims.exp - claims.iat;
    if lifetime > ctx.max_lifetime_secs {
        return Err(TokenError::LifetimeTooLong {
            iat,
            exp,
            lifetime_secs: lifetime,
            max_secs: ctx.max_lifetime_secs,
            issuer: issuer.clone(),
            jti: claims.jti.clone(),
        });
    }
    Ok(())
}

/// Verifies a compact JWS approval token against `trust` and `ctx`.
pub fn verify(token: &str, trust: &Trust, ctx: &VerifyContext) -> Result<AnyApproval, TokenError> {
    // 1. Shape.
    let Shaped {
        h64,
        p64,
        s64,
        alg,
        kid,
        claims,
        iat,
        exp,
    } = check_shape(token)?;

    // 2. Algorithm.
    check_algorithm(alg.as_ref())?;

    // 3. Key.
    let issuer = claims.iss.clone();
    let (kid, key) = issuer_key(trust, kid, &issuer)?;

    // 4. Signature, over the header and payload exactly as received.
    let signing_input_len = h64.len() + 1 + p64.len();
    if !signature_verifies(&token.as_bytes()[..signing_input_len], s64, key) {
        return Err(TokenError::BadSignature { kid, issuer });
    }

    // 5. Audience and case.
    if !claims.aud.includes(AUDIENCE) {
        return Err(TokenError::AudienceMismatch {
            found: claims.aud.to_string(),
            issuer,
        });
    }
    if let Some(expected) = ctx.case_id
        && *expected != claims.sub
    {
        return Err(TokenError::CaseMismatch {
            expected: expected.clone(),
            found: claims.sub,
            issuer,
        });
    }

    // 6. Time, from the context only.
    check_time(&claims, iat, exp, ctx, &issuer)?;

    Ok(AnyApproval::from_verified(
        Verified {
            issuer,
            kid,
            issued_at: iat,
            expires_at: exp,
            jti: claims.jti,
            token: token.to_owned(),
            case_id: claims.sub,
        },
        claims.decision,
    ))
}

#[cfg(test)]
mod tests;
