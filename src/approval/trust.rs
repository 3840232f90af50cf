//! The trust registry: which principals exist, which roles they hold and which Ed25519 keys
//! speak for them.

use crate::digest::Digest;
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
    pub(crate) fn key(&self, kid: &str) -> Option<(&PrincipalId, &VerifyingKey)> {
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
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 8037 A.1's public key.
    const X1: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
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
            {"keys": [{"jwk": {"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "crv": "Ed25519", "kty": "OKP"}, "kid": "dana-2026"}],
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
    fn principal_ids_must_match_the_pattern() {
        for (id, fault) in [
            ("", NameFault::Empty),
            ("Dana.okafor", NameFault::BadStart { found: 'D' }),
            (".dana", NameFault::BadStart { found: '.' }),
            ("dana.Okafor", NameFault::BadChar { found: 'O', at: 5 }),
            // Cyrillic е (U+0435), which renders like the Latin e of an existing principal.
            ("eve.exеc", NameFault::BadChar { found: 'е', at: 6 }),
            ("dana okafor", NameFault::BadChar { found: ' ', at: 4 }),
        ] {
            let mut v = good();
            v["principals"][0]["id"] = json!(id);
            let e = file(v).unwrap_err();
            assert_eq!(
                e,
                TrustError::BadPrincipalId {
                    id: id.into(),
                    fault
                },
                "{id:?}"
            );
            assert_eq!(e.code(), "invalid_trust");
        }
        let mut v = good();
        v["principals"][0]["id"] = json!("a".repeat(65));
        assert!(matches!(
            file(v).unwrap_err(),
            TrustError::BadPrincipalId {
                fault: NameFault::TooLong { len: 65 },
                ..
            }
        ));
        let mut v = good();
        v["principals"][0]["id"] = json!("a".repeat(64));
        assert!(file(v).is_ok());

        let mut v = good();
        v["principals"][0]["id"] = json!("eve.exеc");
        let msg = file(v).unwrap_err().to_string();
        assert!(
            msg.contains("eve.exеc")
                && msg.contains("\\u{435}")
                && msg.contains(TRUST_NAME_PATTERN),
            "{msg}"
        );
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
    fn kids_must_match_the_pattern() {
        for (kid, fault) in [
            ("", NameFault::Empty),
            ("Sam-2026", NameFault::BadStart { found: 'S' }),
            ("-sam", NameFault::BadStart { found: '-' }),
            (
                "sam-2026\u{200b}",
                NameFault::BadChar {
                    found: '\u{200b}',
                    at: 8,
                },
            ),
            ("sam-2О26", NameFault::BadChar { found: 'О', at: 5 }), // Cyrillic О
            ("sam/2026", NameFault::BadChar { found: '/', at: 3 }),
        ] {
            let mut v = good();
            v["principals"][1]["keys"][0]["kid"] = json!(kid);
            let e = file(v).unwrap_err();
            assert_eq!(
                e,
                TrustError::BadKid {
                    principal: "sam.lee".into(),
                    kid: kid.into(),
                    fault
                },
                "{kid:?}"
            );
            assert!(e.to_string().contains("sam.lee"), "{e}");
        }
        let mut v = good();
        v["principals"][1]["keys"][0]["kid"] = json!("k".repeat(65));
        assert!(matches!(
            file(v).unwrap_err(),
            TrustError::BadKid {
                fault: NameFault::TooLong { len: 65 },
                ..
            }
        ));
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
        let std_alphabet = X1.replace('_', "/");
        for x in [
            "",
            "AAAA",
            &X1[..40],
            &format!("{X1}AAAA"),
            &std_alphabet,
            "!!!!",
            &format!(" {X1}"),
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

    /// A trust file whose first key (dana.okafor / dana-2026) is `x`.
    fn with_first_key(x: &str) -> Result<Trust, TrustError> {
        let mut v = good();
        v["principals"][0]["keys"][0]["jwk"]["x"] = json!(x);
        file(v)
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn bytes(hex_str: &str) -> [u8; 32] {
        hex::decode(hex_str).unwrap().try_into().unwrap()
    }

    #[test]
    fn non_canonical_base64_is_refused() {
        // X1 ends in 'o' (0b101000): its last two bits are padding and must be zero.
        let trailing_bits = format!("{}p", &X1[..42]);
        let padded = format!("{X1}=");
        for x in [padded.as_str(), &trailing_bits] {
            let e = with_first_key(x).unwrap_err();
            assert_eq!(
                e,
                TrustError::NonCanonicalBase64 {
                    principal: "dana.okafor".into(),
                    kid: "dana-2026".into(),
                    canonical: X1.to_owned(),
                },
                "x={x:?}"
            );
            assert!(e.to_string().contains(X1), "{e}");
        }
        assert!(with_first_key(X1).is_ok());
    }

    #[test]
    fn bytes_that_are_not_a_curve_point_are_refused() {
        // y = 2 has no x on the curve; the second is the A.1 key as once misquoted.
        let y2 = b64(&bytes(
            "0200000000000000000000000000000000000000000000000000000000000000",
        ));
        for x in [y2.as_str(), "11qYAYKxCrfVS_7TyWQHOg7hcvPc1FhHVDg-T5pKvxY"] {
            assert!(
                matches!(
                    with_first_key(x).unwrap_err(),
                    TrustError::NotACurvePoint { .. }
                ),
                "x={x:?}"
            );
        }
    }

    #[test]
    fn small_order_keys_are_refused() {
        // The eight points of small order, canonically encoded: the identity, (0, -1), the two
        // of order 4 and the four of order 8.
        for hex_key in [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        ] {
            let key = bytes(hex_key);
            let point = VerifyingKey::from_bytes(&key).unwrap();
            assert!(point.is_weak(), "control: {hex_key} is of small order");
            assert_eq!(
                point.to_edwards().compress().to_bytes(),
                key,
                "control: {hex_key} is canonical"
            );
            let e = with_first_key(&b64(&key)).unwrap_err();
            assert_eq!(
                e,
                TrustError::SmallOrderKey {
                    principal: "dana.okafor".into(),
                    kid: "dana-2026".into(),
                },
                "{hex_key}"
            );
            assert!(e.to_string().contains("dana-2026"), "{e}");
        }
    }

    #[test]
    fn non_canonical_point_encodings_are_refused() {
        let y3 = "0300000000000000000000000000000000000000000000000000000000000000";
        for (hex_key, canonical) in [
            // y = p + 3: the same full-order point as y = 3, spelled differently.
            (
                "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                y3,
            ),
            // y = p + 3 with the sign bit: the point's negation, -(x, 3).
            (
                "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "0300000000000000000000000000000000000000000000000000000000000080",
            ),
            // y = p + 1 and the identity with x = "-0": small order as well, but refused first
            // for the encoding.
            (
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "0100000000000000000000000000000000000000000000000000000000000000",
            ),
            (
                "0100000000000000000000000000000000000000000000000000000000000080",
                "0100000000000000000000000000000000000000000000000000000000000000",
            ),
        ] {
            let key = bytes(hex_key);
            assert!(
                VerifyingKey::from_bytes(&key).is_ok(),
                "control: {hex_key} decompresses"
            );
            let e = with_first_key(&b64(&key)).unwrap_err();
            assert_eq!(
                e,
                TrustError::NonCanonicalPoint {
                    principal: "dana.okafor".into(),
                    kid: "dana-2026".into(),
                    canonical: b64(&bytes(canonical)),
                },
                "{hex_key}"
            );
        }
        // The first two are not weak: only the encoding check stands in their way.
        for hex_key in [
            "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        ] {
            assert!(!VerifyingKey::from_bytes(&bytes(hex_key)).unwrap().is_weak());
        }
        // The canonical spelling of y = 3 is itself a usable key.
        assert!(with_first_key(&b64(&bytes(y3))).is_ok());
    }

    #[test]
    fn one_public_key_appears_once_in_the_whole_file() {
        // Under two principals.
        let mut v = good();
        v["principals"][1]["keys"][0]["jwk"]["x"] = json!(X1);
        let e = file(v).unwrap_err();
        assert_eq!(
            e,
            TrustError::DuplicateKey {
                principal: "sam.lee".into(),
                kid: "sam-2026".into(),
                first_principal: "dana.okafor".into(),
                first_kid: "dana-2026".into(),
            }
        );
        let msg = e.to_string();
        for part in ["sam.lee", "sam-2026", "dana.okafor", "dana-2026"] {
            assert!(msg.contains(part), "{msg}");
        }
        assert_eq!(e.code(), "invalid_trust");

        // Under two kids of one principal.
        let mut v = good();
        let mut second = v["principals"][0]["keys"][0].clone();
        second["kid"] = json!("dana-2027");
        v["principals"][0]["keys"]
            .as_array_mut()
            .unwrap()
            .push(second);
        assert_eq!(
            file(v).unwrap_err(),
            TrustError::DuplicateKey {
                principal: "dana.okafor".into(),
                kid: "dana-2027".into(),
                first_principal: "dana.okafor".into(),
                first_kid: "dana-2026".into(),
            }
        );

        // Two distinct keys under one principal are fine.
        let mut v = good();
        let mut second = v["principals"][0]["keys"][0].clone();
        second["kid"] = json!("dana-2027");
        second["jwk"]["x"] = json!(b64(&bytes(
            "0300000000000000000000000000000000000000000000000000000000000000"
        )));
        v["principals"][0]["keys"]
            .as_array_mut()
            .unwrap()
            .push(second);
        assert_eq!(
            file(v)
                .unwrap()
                .key_owner(&KeyId::from("dana-2027"))
                .map(|p| p.as_str()),
            Some("dana.okafor")
        );
    }
}
