//! Token signing: what an integrator (or the demo, or a test) uses to mint decision tokens from
//! Rust. It signs; it never verifies.

use super::token::Claims;
use super::trust::PublicJwk;
use crate::ids::{KeyId, PrincipalId, RoleId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::json;

/// An Ed25519 signing key with its key id.
pub struct Signer {
    kid: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A fresh key seeded from the operating system's RNG.
    pub fn generate(kid: KeyId) -> Result<Signer, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        Ok(Signer::from_seed(kid, seed))
    }

    /// A key from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(kid: KeyId, seed: [u8; 32]) -> Signer {
        Signer {
            kid,
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The key id.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The public key as an RFC 8037 JWK, ready for a trust file.
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes()),
        }
    }

    /// Signs `claims` as a compact JWS with header `{"alg":"EdDSA","kid":...,"typ":"JWT"}`.
    pub fn sign_claims(&self, claims: &Claims) -> String {
        let header = json!({"alg": "EdDSA", "kid": self.kid.as_str(), "typ": "JWT"});
        // Serialising `Claims` to a `Value` cannot fail: every field is a string, integer,
        // RFC 3339 timestamp or a struct/enum of those, with string map keys only.
        let payload = serde_json::to_vec(claims).expect("Claims always serialise to JSON");
        self.sign_jws(&header, &payload)
    }

    /// Signs arbitrary header JSON and payload bytes, for tests that need malformed or forged
    /// tokens (e.g. `alg: none`). Only with the `testing` feature: production code signs
    /// [`Claims`] with [`sign_claims`](Signer::sign_claims).
    #[cfg(any(test, feature = "testing"))]
    pub fn sign_raw(&self, header: &serde_json::Value, payload: &[u8]) -> String {
        self.sign_jws(header, payload)
    }

    fn sign_jws(&self, header: &serde_json::Value, payload: &[u8]) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }
}

impl super::TrustFile {
    /// The trust file listing `members` — each principal, the roles it holds and the public
    /// key of its signer — for an integrator (or a demo) that generates its own keys.
    pub fn listing<'a>(
        members: impl IntoIterator<Item = (&'a PrincipalId, &'a [RoleId], &'a Signer)>,
    ) -> super::TrustFile {
        super::TrustFile {
            principals: members
                .into_iter()
                .map(|(id, roles, signer)| super::PrincipalEntry {
                    id: id.clone(),
                    roles: roles.to_vec(),
                    keys: vec![super::KeyEntry {
                        kid: signer.kid().clone(),
                        jwk: signer.public_jwk(),
                    }],
                })
                .collect(),
            amendments: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_differ_and_debug_hides_the_key() {
        let a = Signer::generate(KeyId::from("a")).unwrap();
        let b = Signer::generate(KeyId::from("b")).unwrap();
        assert_ne!(a.public_jwk().x, b.public_jwk().x);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a.public_jwk().x).unwrap().len(), 32);
        assert_eq!(format!("{a:?}"), r#"Signer { kid: KeyId("a"), .. }"#);
    }

    #[test]
    fn sign_claims_uses_the_contract_header() {
        let s = Signer::from_seed(KeyId::from("k1"), [7; 32]);
        let claims = Claims {
            iss: "p".into(),
            aud: "authority-lane".into(),
            sub: "c".into(),
            iat: 1,
            exp: 2,
            jti: "j".into(),
            decision: crate::approval::Decision::StandDown(crate::approval::StandDown {
                reason: "r".into(),
            }),
        };
        let token = s.sign_claims(&claims);
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header, json!({"alg": "EdDSA", "kid": "k1", "typ": "JWT"}));
    }
}
