//! The trust registry: which principals exist, which roles they hold and which Ed25519 keys
//! speak for them.

use crate::digest::Digest;
use crate::ids::{KeyId, PrincipalId, RoleId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The trust file as written on disk.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    /// Every principal that may sign approvals.
    pub principals: Vec<PrincipalEntry>,
}

/// One principal in the trust file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    /// The principal's id (the `iss` of its tokens).
    pub id: PrincipalId,
    /// Roles the principal holds.
    pub roles: Vec<RoleId>,
    /// Keys that sign for the principal.
    pub keys: Vec<KeyEntry>,
}

/// One signing key of a principal.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// Key id, unique across the whole file.
    pub kid: KeyId,
    /// The public key.
    pub jwk: PublicJwk,
}

/// An Ed25519 public key as a JWK (RFC 8037): `{"kty":"OKP","crv":"Ed25519","x":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    /// Must be `OKP`.
    pub kty: String,
    /// Must be `Ed25519`.
    pub crv: String,
    /// The 32-byte public key, base64url without padding.
    pub x: String,
}

/// The trust file was unusable. Every variant has code `invalid_trust`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file was not JSON of the trust-file shape.
    #[error("trust file is not valid: {0}")]
    Parse(String),
    /// A principal id was empty.
    #[error("trust file has a principal with an empty id")]
    EmptyPrincipalId,
    /// Two principals share an id.
    #[error("principal {0} appears more than once in the trust file")]
    DuplicatePrincipal(PrincipalId),
    /// A key id was empty.
    #[error("principal {principal} has a key with an empty kid")]
    EmptyKid {
        /// The principal holding the key.
        principal: PrincipalId,
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
    /// The file could not be canonicalised for its digest.
    #[error("trust file cannot be canonicalised: {0}")]
    Canonical(String),
}

impl TrustError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        "invalid_trust"
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
    keys: BTreeMap<KeyId, (PrincipalId, DecodingKey)>,
}

impl Trust {
    /// Validates a parsed trust file.
    pub fn from_file(file: TrustFile) -> Result<Trust, TrustError> {
        let mut principals = BTreeMap::new();
        let mut keys: BTreeMap<KeyId, (PrincipalId, DecodingKey)> = BTreeMap::new();
        for (i, p) in file.principals.iter().enumerate() {
            if p.id.as_str().is_empty() {
                return Err(TrustError::EmptyPrincipalId);
            }
            if principals.insert(p.id.clone(), i).is_some() {
                return Err(TrustError::DuplicatePrincipal(p.id.clone()));
            }
            for k in &p.keys {
                if k.kid.as_str().is_empty() {
                    return Err(TrustError::EmptyKid {
                        principal: p.id.clone(),
                    });
                }
                if let Some((first_owner, _)) = keys.get(&k.kid) {
                    return Err(TrustError::DuplicateKid {
                        kid: k.kid.clone(),
                        principal: p.id.clone(),
                        first_owner: first_owner.clone(),
                    });
                }
                let key = decoding_key(&p.id, k)?;
                keys.insert(k.kid.clone(), (p.id.clone(), key));
            }
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
    pub(crate) fn key(&self, kid: &str) -> Option<(&PrincipalId, &DecodingKey)> {
        self.keys.get(kid).map(|(owner, key)| (owner, key))
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

fn decoding_key(principal: &PrincipalId, k: &KeyEntry) -> Result<DecodingKey, TrustError> {
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
    let bytes = URL_SAFE_NO_PAD
        .decode(&k.jwk.x)
        .map_err(|e| bad(e.to_string()))?;
    if bytes.len() != 32 {
        return Err(bad(format!("{} bytes", bytes.len())));
    }
    DecodingKey::from_ed_components(&k.jwk.x).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X1: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPc1FhHVDg-T5pKvxY";
    const X2: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    fn file(v: serde_json::Value) -> Result<Trust, TrustError> {
        Trust::from_json(v.to_string().as_bytes())
    }

    fn good() -> serde_json::Value {
        json!({"principals": [
            {"id": "dana.okafor", "roles": ["legal-trust-office"],
             "keys": [{"kid": "dana-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": X1}}]},
            {"id": "sam.lee", "roles": ["security-leadership", "trust-reviewer"],
             "keys": [{"kid": "sam-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": X2}}]}
        ]})
    }

    #[test]
    fn valid_file_loads_and_answers_queries() {
        let t = file(good()).unwrap();
        let dana = PrincipalId::from("dana.okafor");
        assert!(t.has_role(&dana, &RoleId::from("legal-trust-office")));
        assert!(!t.has_role(&dana, &RoleId::from("trust-reviewer")));
        assert!(!t.has_role(
            &PrincipalId::from("nobody"),
            &RoleId::from("trust-reviewer")
        ));
        assert_eq!(t.principal(&dana).map(|p| p.keys.len()), Some(1));
        assert_eq!(
            t.key_owner(&KeyId::from("sam-2026")).map(|p| p.as_str()),
            Some("sam.lee")
        );
        assert_eq!(t.file().principals.len(), 2);
        assert_eq!(t.roles().len(), 3);
        // Digest is over canonical JSON: key order and whitespace do not matter.
        let reordered = r#"{ "principals": [
            {"keys": [{"jwk": {"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPc1FhHVDg-T5pKvxY", "crv": "Ed25519", "kty": "OKP"}, "kid": "dana-2026"}],
             "roles": ["legal-trust-office"], "id": "dana.okafor"},
            {"roles": ["security-leadership", "trust-reviewer"], "id": "sam.lee",
             "keys": [{"kid": "sam-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}}]}]}"#;
        assert_eq!(
            Trust::from_json(reordered.as_bytes()).unwrap().digest(),
            t.digest()
        );
        assert_eq!(t.digest(), &Digest::of_canonical(t.file()).unwrap());
    }

    #[test]
    fn parse_errors_and_unknown_fields() {
        for bad in [&b"not json"[..], br#"{"principals": [], "extra": 1}"#,
                    br#"{"principals": [{"id": "a", "roles": [], "keys": [{"kid": "k", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "secret"}}]}]}"#] {
            let e = Trust::from_json(bad).unwrap_err();
            assert!(matches!(e, TrustError::Parse(_)), "{e}");
            assert_eq!(e.code(), "invalid_trust");
        }
    }

    #[test]
    fn empty_principal_id() {
        let mut v = good();
        v["principals"][0]["id"] = json!("");
        assert_eq!(file(v).unwrap_err(), TrustError::EmptyPrincipalId);
    }

    #[test]
    fn duplicate_principal() {
        let mut v = good();
        v["principals"][1]["id"] = json!("dana.okafor");
        let e = file(v).unwrap_err();
        assert!(matches!(e, TrustError::DuplicatePrincipal(ref p) if p.as_str() == "dana.okafor"));
        assert!(e.to_string().contains("dana.okafor"));
        assert_eq!(e.code(), "invalid_trust");
    }

    #[test]
    fn empty_kid() {
        let mut v = good();
        v["principals"][1]["keys"][0]["kid"] = json!("");
        assert!(
            matches!(file(v).unwrap_err(), TrustError::EmptyKid { principal } if principal.as_str() == "sam.lee")
        );
    }

    #[test]
    fn duplicate_kid_across_principals_and_within_one() {
        let mut v = good();
        v["principals"][1]["keys"][0]["kid"] = json!("dana-2026");
        let e = file(v).unwrap_err();
        assert!(matches!(e, TrustError::DuplicateKid { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("dana-2026") && msg.contains("sam.lee") && msg.contains("dana.okafor"),
            "{msg}"
        );

        let mut v = good();
        let k = v["principals"][0]["keys"][0].clone();
        v["principals"][0]["keys"] = json!([k.clone(), k]);
        assert!(matches!(
            file(v).unwrap_err(),
            TrustError::DuplicateKid { .. }
        ));
    }

    #[test]
    fn non_ed25519_keys_are_rejected() {
        for (kty, crv) in [
            ("EC", "Ed25519"),
            ("OKP", "X25519"),
            ("OKP", "Ed448"),
            ("RSA", ""),
        ] {
            let mut v = good();
            v["principals"][0]["keys"][0]["jwk"]["kty"] = json!(kty);
            v["principals"][0]["keys"][0]["jwk"]["crv"] = json!(crv);
            let e = file(v).unwrap_err();
            assert!(matches!(e, TrustError::UnsupportedKey { .. }), "{e}");
            assert!(e.to_string().contains("dana-2026"));
        }
    }

    #[test]
    fn bad_key_material_is_rejected() {
        let padded = format!("{X1}=");
        let std_alphabet = X1.replace('_', "/");
        for x in [
            "",
            "AAAA",
            &X1[..40],
            &format!("{X1}AAAA"),
            &padded,
            &std_alphabet,
            "!!!!",
        ] {
            let mut v = good();
            v["principals"][0]["keys"][0]["jwk"]["x"] = json!(x);
            let e = file(v).unwrap_err();
            assert!(
                matches!(e, TrustError::BadKeyMaterial { .. }),
                "x={x:?}: {e}"
            );
            assert!(e.to_string().contains("dana.okafor"));
        }
    }
}
