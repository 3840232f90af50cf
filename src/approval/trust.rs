//! The trust registry: which principals exist, which roles they hold and which Ed25519 keys
//! speak for them.

use crate::digest::Digest;
use crate::error_code::ErrorCode;
use crate::ids::{KeyId, NameFault, PrincipalId, RoleId, TRUST_NAME_PATTERN, check_trust_name};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use ed25519_dalek::{PUBLIC_KEY_LENGTH, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The trust file as written on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    /// Every principal that may sign approvals.
    pub principals: Vec<PrincipalEntry>,
    /// Who may amend the trust during a case (DESIGN §16). Without it no amendment is possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amendments: Option<AmendmentPolicy>,
}

/// Who may amend the trust during a case: `threshold` distinct principals, with distinct keys,
/// each holding one of `roles` in the trust in force, must sign the same amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendmentPolicy {
    /// The roles whose holders sign amendments.
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub roles: Vec<RoleId>,
    /// How many distinct holders must sign one amendment: at least 1, and no more than the
    /// principals holding one of `roles` (else no amendment could ever take effect).
    #[schemars(range(min = 1))]
    pub threshold: u32,
}

/// One principal in the trust file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    /// The principal's id (the `iss` of its tokens).
    #[schemars(extend("pattern" = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub id: PrincipalId,
    /// Roles the principal holds.
    pub roles: Vec<RoleId>,
    /// Keys that sign for the principal.
    pub keys: Vec<KeyEntry>,
}

/// One signing key of a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Key id, unique across the whole file.
    #[schemars(extend("pattern" = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub kid: KeyId,
    /// The public key.
    pub jwk: PublicJwk,
}

/// An Ed25519 public key as a JWK (RFC 8037): `{"kty":"OKP","crv":"Ed25519","x":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    /// Must be `OKP`.
    #[schemars(extend("const" = "OKP"))]
    pub kty: String,
    /// Must be `Ed25519`.
    #[schemars(extend("const" = "Ed25519"))]
    pub crv: String,
    /// The 32-byte public key, base64url without padding (43 characters).
    #[schemars(extend("pattern" = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"))]
    pub x: String,
}

/// The amendment policy of the shipped scenario's trust files (the demo's and the test cast's):
/// two signers holding security leadership, executive cyber command or the legal and trust
/// office.
pub fn shipped_amendments() -> AmendmentPolicy {
    AmendmentPolicy {
        roles: [
            "security-leadership",
            "executive-cyber-command",
            "legal-trust-office",
        ]
        .map(RoleId::from)
        .to_vec(),
        threshold: 2,
    }
}

/// The trust file was unusable. Every variant has code `invalid_trust`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file was not JSON of the trust-file shape.
    #[error("trust file is not valid: {0}")]
    Parse(String),
    /// A principal id does not match [`TRUST_NAME_PATTERN`] (empty, uppercase, non-ASCII, ...).
    #[error(
        "principal id {:?} {fault}; principal ids must match {TRUST_NAME_PATTERN}",
        id.as_str()
    )]
    BadPrincipalId {
        /// The id as written.
        id: PrincipalId,
        /// How it departs from the pattern.
        fault: NameFault,
    },
    /// Two principals share an id.
    #[error("principal {0} appears more than once in the trust file")]
    DuplicatePrincipal(PrincipalId),
    /// A kid does not match [`TRUST_NAME_PATTERN`] (empty, uppercase, non-ASCII, ...).
    #[error(
        "kid {:?} of principal {principal} {fault}; kids must match {TRUST_NAME_PATTERN}",
        kid.as_str()
    )]
    BadKid {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The kid as written.
        kid: KeyId,
        /// How it departs from the pattern.
        fault: NameFault,
    },
    /// A kid appears more than once, under the same or different principals.
    #[error("kid {kid} of principal {principal} is already used by principal {first_owner}")]
    DuplicateKid {
        /// The repeated kid.
        kid: KeyId,
        /// The principal where it appeared again.
        principal: PrincipalId,
        /// The principal where it first appeared.
        first_owner: PrincipalId,
    },
    /// The JWK is not an Ed25519 OKP key.
    #[error(
        "key {kid} of principal {principal} is kty={kty:?} crv={crv:?}; only kty=OKP crv=Ed25519 is allowed"
    )]
    UnsupportedKey {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
        /// The JWK's `kty`.
        kty: String,
        /// The JWK's `crv`.
        crv: String,
    },
    /// The JWK's `x` is not base64url of exactly 32 bytes.
    #[error("key {kid} of principal {principal}: x is not base64url of 32 bytes ({reason})")]
    BadKeyMaterial {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
        /// What was wrong.
        reason: String,
    },
    /// The JWK's `x` decodes to 32 bytes but is not their canonical base64url spelling (it has
    /// padding or non-zero trailing bits), so one key could be written several ways.
    #[error(
        "key {kid} of principal {principal}: x is not canonical base64url (no padding, zero trailing bits); these bytes are spelled {canonical}"
    )]
    NonCanonicalBase64 {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
        /// The canonical spelling of the same 32 bytes.
        canonical: String,
    },
    /// The 32 bytes are not the encoding of any point on the Ed25519 curve.
    #[error("key {kid} of principal {principal}: x does not encode a point on Ed25519")]
    NotACurvePoint {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
    },
    /// The 32 bytes encode a point, but not canonically (`y` ≥ p, or the sign bit set on
    /// `x` = 0), so the same key could appear twice under different bytes.
    #[error(
        "key {kid} of principal {principal}: x is a non-canonical encoding of an Ed25519 point; its canonical encoding is {canonical}"
    )]
    NonCanonicalPoint {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
        /// The canonical encoding of the same point, base64url.
        canonical: String,
    },
    /// The key is a point of small order (the identity or another torsion point): signatures
    /// can be forged under it without any secret.
    #[error(
        "key {kid} of principal {principal} is a small-order (weak) Ed25519 key; signatures under it can be forged"
    )]
    SmallOrderKey {
        /// The principal holding the key.
        principal: PrincipalId,
        /// The key.
        kid: KeyId,
    },
    /// The same public key appears twice, under two principals or two kids of one principal.
    #[error(
        "key {kid} of principal {principal} is the same public key as key {first_kid} of principal {first_principal}; a public key may appear only once in the trust file"
    )]
    DuplicateKey {
        /// The principal where the key appeared again.
        principal: PrincipalId,
        /// The kid under which it appeared again.
        kid: KeyId,
        /// The principal where it first appeared.
        first_principal: PrincipalId,
        /// The kid under which it first appeared.
        first_kid: KeyId,
    },
    /// The `amendments` policy names no role, a role twice, or a threshold of 0.
    #[error(
        "the amendments policy is not valid: {0}; it needs one or more distinct roles and a threshold of at least 1"
    )]
    AmendmentPolicy(String),
    /// Fewer principals hold an amendment role (with a key) than the threshold: no amendment
    /// could ever take effect, and the trust could never be corrected (a lock-out).
    #[error(
        "the amendments policy needs {threshold} distinct signers holding one of {roles:?}, but only {able} principal(s) with a key hold one ({holders:?}); lower the threshold or add holders"
    )]
    AmendmentsUnsatisfiable {
        /// The policy's threshold.
        threshold: u32,
        /// The policy's roles.
        roles: Vec<RoleId>,
        /// How many principals could sign.
        able: usize,
        /// Who they are.
        holders: Vec<PrincipalId>,
    },
    /// The file could not be canonicalised for its digest.
    #[error("trust file cannot be canonicalised: {0}")]
    Canonical(String),
}

impl TrustError {
    /// Stable error code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTrust
    }
}

/// A validated trust registry.
#[derive(Debug, Clone)]
pub struct Trust {
    file: TrustFile,
    digest: Digest,
    /// principal id -> index into `file.principals`
    principals: BTreeMap<PrincipalId, usize>,
    /// kid -> (owner, verification key)
    keys: BTreeMap<KeyId, (PrincipalId, VerifyingKey)>,
}

impl Trust {
    /// Validates a parsed trust file: ids and kids match [`TRUST_NAME_PATTERN`] and are unique,
    /// and every key is a canonical, full-order Ed25519 point appearing only once in the file.
    pub fn from_file(file: TrustFile) -> Result<Trust, TrustError> {
        let mut principals = BTreeMap::new();
        let mut keys: BTreeMap<KeyId, (PrincipalId, VerifyingKey)> = BTreeMap::new();
        // Key bytes -> where they first appeared. Encodings are canonical by the time a key is
        // recorded here, so equal points have equal bytes.
        let mut seen: BTreeMap<[u8; PUBLIC_KEY_LENGTH], (&PrincipalId, &KeyId)> = BTreeMap::new();
        for (i, p) in file.principals.iter().enumerate() {
            check_trust_name(p.id.as_str()).map_err(|fault| TrustError::BadPrincipalId {
                id: p.id.clone(),
                fault,
            })?;
            if principals.insert(p.id.clone(), i).is_some() {
                return Err(TrustError::DuplicatePrincipal(p.id.clone()));
            }
            for k in &p.keys {
                check_trust_name(k.kid.as_str()).map_err(|fault| TrustError::BadKid {
                    principal: p.id.clone(),
                    kid: k.kid.clone(),
                    fault,
                })?;
                if let Some((first_owner, _)) = keys.get(&k.kid) {
                    return Err(TrustError::DuplicateKid {
                        kid: k.kid.clone(),
                        principal: p.id.clone(),
                        first_owner: first_owner.clone(),
                    });
                }
                let key = verifying_key(&p.id, k)?;
                if let Some((first_principal, first_kid)) =
                    seen.insert(key.to_bytes(), (&p.id, &k.kid))
                {
                    return Err(TrustError::DuplicateKey {
                        principal: p.id.clone(),
                        kid: k.kid.clone(),
                        first_principal: first_principal.clone(),
                        first_kid: first_kid.clone(),
                    });
                }
                keys.insert(k.kid.clone(), (p.id.clone(), key));
            }
        }
        if let Some(policy) = &file.amendments {
            check_policy(&file, policy)?;
        }
        let digest =
            Digest::of_canonical(&file).map_err(|e| TrustError::Canonical(e.to_string()))?;
        Ok(Trust {
            file,
            digest,
            principals,
            keys,
        })
    }

    /// Parses and validates a trust file.
    pub fn from_json(bytes: &[u8]) -> Result<Trust, TrustError> {
        // A repeated key is refused, never resolved to its last value (DESIGN §12.9).
        crate::digest::strict_json(bytes).map_err(|e| TrustError::Parse(e.to_string()))?;
        let file: TrustFile =
            serde_json::from_slice(bytes).map_err(|e| TrustError::Parse(e.to_string()))?;
        Trust::from_file(file)
    }

    /// Digest of the trust file's RFC 8785 canonical JSON.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The validated file.
    pub fn file(&self) -> &TrustFile {
        &self.file
    }

    /// A principal's entry.
    pub fn principal(&self, id: &PrincipalId) -> Option<&PrincipalEntry> {
        self.principals
            .get(id)
            .and_then(|&i| self.file.principals.get(i))
    }

    /// Whether `id` is a known principal holding `role`.
    pub fn has_role(&self, id: &PrincipalId, role: &RoleId) -> bool {
        self.principal(id).is_some_and(|p| p.roles.contains(role))
    }

    /// The principal that owns `kid`, if any.
    pub fn key_owner(&self, kid: &KeyId) -> Option<&PrincipalId> {
        self.keys.get(kid).map(|(owner, _)| owner)
    }

    /// The owner and verification key for `kid`.
    pub(crate) fn key(&self, kid: &str) -> Option<(&PrincipalId, &VerifyingKey)> {
        self.keys.get(kid).map(|(owner, key)| (owner, key))
    }

    /// The amendment policy, if the trust allows amendments (DESIGN §16).
    pub fn amendment_policy(&self) -> Option<&AmendmentPolicy> {
        self.file.amendments.as_ref()
    }

    /// Whether `id` holds one of the amendment roles.
    pub fn may_amend(&self, id: &PrincipalId) -> bool {
        self.amendment_policy()
            .is_some_and(|p| p.roles.iter().any(|r| self.has_role(id, r)))
    }

    /// Every kid with its public key bytes.
    pub(crate) fn key_bytes(&self) -> impl Iterator<Item = (&KeyId, [u8; PUBLIC_KEY_LENGTH])> {
        self.keys
            .iter()
            .map(|(kid, (_, key))| (kid, key.to_bytes()))
    }

    /// All roles held by anyone, for diagnostics.
    pub fn roles(&self) -> BTreeSet<&RoleId> {
        self.file
            .principals
            .iter()
            .flat_map(|p| p.roles.iter())
            .collect()
    }
}

/// Refuses an amendment policy that names no role, a role twice or a threshold of 0, or that
/// fewer principals (with a key) can satisfy than its threshold.
fn check_policy(file: &TrustFile, policy: &AmendmentPolicy) -> Result<(), TrustError> {
    if policy.roles.is_empty() {
        return Err(TrustError::AmendmentPolicy("no role".into()));
    }
    if policy.threshold == 0 {
        return Err(TrustError::AmendmentPolicy("a threshold of 0".into()));
    }
    let distinct: BTreeSet<&RoleId> = policy.roles.iter().collect();
    if distinct.len() != policy.roles.len() {
        return Err(TrustError::AmendmentPolicy("a role listed twice".into()));
    }
    let holders: Vec<PrincipalId> = file
        .principals
        .iter()
        .filter(|p| !p.keys.is_empty() && p.roles.iter().any(|r| distinct.contains(r)))
        .map(|p| p.id.clone())
        .collect();
    if holders.len() < policy.threshold as usize {
        return Err(TrustError::AmendmentsUnsatisfiable {
            threshold: policy.threshold,
            roles: policy.roles.clone(),
            able: holders.len(),
            holders,
        });
    }
    Ok(())
}

/// Decodes any spelling of base64url (padded or not, stray trailing bits or not), so that a
/// non-canonical spelling of 32 good bytes is reported as exactly that; [`verifying_key`] then
/// insists on the canonical spelling.
const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The verification key of `k`, refusing anything but one canonical spelling of a full-order
/// Ed25519 point.
fn verifying_key(principal: &PrincipalId, k: &KeyEntry) -> Result<VerifyingKey, TrustError> {
    if k.jwk.kty != "OKP" || k.jwk.crv != "Ed25519" {
        return Err(TrustError::UnsupportedKey {
            principal: principal.clone(),
            kid: k.kid.clone(),
            kty: k.jwk.kty.clone(),
            crv: k.jwk.crv.clone(),
        });
    }
    let bad = |reason: String| TrustError::BadKeyMaterial {
        principal: principal.clone(),
        kid: k.kid.clone(),
        reason,
    };
    let bytes = LENIENT_BASE64URL
        .decode(&k.jwk.x)
        .map_err(|e| bad(e.to_string()))?;
    let bytes: [u8; PUBLIC_KEY_LENGTH] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(format!("{} bytes", b.len())))?;
    let canonical = URL_SAFE_NO_PAD.encode(bytes);
    if canonical != k.jwk.x {
        return Err(TrustError::NonCanonicalBase64 {
            principal: principal.clone(),
            kid: k.kid.clone(),
            canonical,
        });
    }
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| TrustError::NotACurvePoint {
        principal: principal.clone(),
        kid: k.kid.clone(),
    })?;
    // `VerifyingKey` keeps the bytes it was given; re-encoding the decompressed point shows
    // whether they were the point's one canonical encoding.
    let recompressed = key.to_edwards().compress().to_bytes();
    if recompressed != bytes {
        return Err(TrustError::NonCanonicalPoint {
            principal: principal.clone(),
            kid: k.kid.clone(),
            canonical: URL_SAFE_NO_PAD.encode(recompressed),
        });
    }
    if key.is_weak() {
        return Err(TrustError::SmallOrderKey {
            principal: principal.clone(),
            kid: k.kid.clone(),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
