//! The people of the shipped scenario, with signing keys: used by the tests and examples (keys
//! from fixed seeds, or generated) and by the `testing` generators. Test support only: a cast
//! with fixed seeds must never sign anything real.
//!
//! A cast signs tokens exactly as any JOSE library would; it has no other way into a case than
//! the verifier every token goes through.

use crate::approval::{AUDIENCE, Claims, Decision, Declare, Signer, Trust, TrustError, TrustFile};
use crate::ids::{CaseId, KeyId, PrincipalId, RoleId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One person of the cast: id, roles and key.
#[derive(Debug)]
pub struct Member {
    /// Principal id.
    pub id: PrincipalId,
    /// Roles held.
    pub roles: Vec<RoleId>,
    /// Signing key.
    pub signer: Signer,
}

/// The standard cast: one principal per role the scenario needs, plus a second reviewer of each
/// kind and an outsider with no role.
pub const STANDARD: &[(&str, &[&str])] = &[
    ("sam.rivera", &["security-leadership"]),
    ("priya.natarajan", &["platform-security-command"]),
    ("marcus.chen", &["executive-cyber-command"]),
    ("dana.okafor", &["legal-trust-office"]),
    ("lee.park", &["product-security-reviewer"]),
    ("ines.duarte", &["trust-reviewer"]),
    ("omar.haddad", &["product-security-reviewer"]),
    ("ruth.mensah", &["trust-reviewer", "legal-trust-office"]),
    ("victor.outsider", &[]),
];

/// Who may amend the cast's trust mid-case (DESIGN §16): the shipped scenario's policy.
pub fn amendments() -> crate::approval::AmendmentPolicy {
    crate::approval::shipped_amendments()
}

/// People with keys, and the trust registry that lists their public keys.
#[derive(Debug)]
pub struct Cast {
    members: BTreeMap<PrincipalId, Member>,
    trust: Trust,
    jti: std::cell::Cell<u64>,
}

impl Cast {
    /// The standard cast with keys derived from fixed seeds (reproducible; for tests only).
    pub fn fixed() -> Cast {
        Cast::build(|i, kid| Ok::<_, TrustError>(Signer::from_seed(kid, [i as u8 + 1; 32])))
            .unwrap_or_else(|e| panic!("the fixed cast always forms a valid trust file: {e}"))
    }

    /// The standard cast with fresh keys from the operating system's RNG.
    pub fn generate() -> Result<Cast, String> {
        Cast::build(|_, kid| Signer::generate(kid).map_err(|e| e.to_string()))
    }

    fn build<E: std::fmt::Display>(
        mut signer: impl FnMut(usize, KeyId) -> Result<Signer, E>,
    ) -> Result<Cast, String> {
        let mut members = BTreeMap::new();
        for (i, (id, roles)) in STANDARD.iter().enumerate() {
            let kid = KeyId::new(format!("{}-2026", id.split('.').next().unwrap_or(id)));
            let signer = signer(i, kid).map_err(|e| e.to_string())?;
            members.insert(
                PrincipalId::from(*id),
                Member {
                    id: PrincipalId::from(*id),
                    roles: roles.iter().map(|r| RoleId::from(*r)).collect(),
                    signer,
                },
            );
        }
        let mut file = TrustFile::listing(
            members
                .values()
                .map(|m| (&m.id, m.roles.as_slice(), &m.signer)),
        );
        file.amendments = Some(amendments());
        let trust = Trust::from_file(file).map_err(|e| e.to_string())?;
        Ok(Cast {
            members,
            trust,
            jti: std::cell::Cell::new(0),
        })
    }

    /// The trust registry listing every member's public key.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// A member by id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.get(id)
    }

    /// A token by `who` about `case`, issued at `at`, valid for `lifetime_secs`, with a fresh
    /// `jti`. Panics if `who` is not in the cast (a test-authoring error).
    pub fn token(&self, who: &str, case: &CaseId, at: DateTime<Utc>, decision: Decision) -> String {
        self.token_with(who, case, at.timestamp(), at.timestamp() + 600, decision)
    }

    /// The declaration that opens case `case` at `at`: security leadership (`sam.rivera`)
    /// declares a sev1 about the production artifact-signing key.
    pub fn declaration(&self, case: &CaseId, at: DateTime<Utc>) -> String {
        self.token(
            "sam.rivera",
            case,
            at,
            Decision::Declare(Declare {
                scope: "production artifact-signing key".into(),
                severity: "sev1".into(),
            }),
        )
    }

    /// A token with explicit `iat` and `exp`.
    pub fn token_with(
        &self,
        who: &str,
        case: &CaseId,
        iat: i64,
        exp: i64,
        decision: Decision,
    ) -> String {
        let member = self
            .member(who)
            .unwrap_or_else(|| panic!("`{who}` is not in the cast"));
        self.jti.set(self.jti.get() + 1);
        let claims = Claims {
            iss: member.id.clone(),
            aud: AUDIENCE.into(),
            sub: case.clone(),
            iat,
            exp,
            jti: format!("{who}-{}", self.jti.get()),
            decision,
        };
        member.signer.sign_claims(&claims)
    }
}
