//! The fixed world every fuzz target runs in: the shipped workflow, the fixed cast's trust file
//! (`Cast::fixed()`, keys from fixed seeds), one case id and one clock.
//!
//! Shared by the fuzz targets and by `seedgen` (which includes this file by path), so that the
//! seed corpora and the targets agree byte for byte: a token in `corpus/command_decide/` is
//! signed by the key the target's trust file lists, for the target's case, valid at the target's
//! time of record.

use authority_lane::approval::{AUDIENCE, Decision, Declare, Signer, Trust};
use authority_lane::case::{Case, Command};
use authority_lane::testing::{Cast, STANDARD};
use authority_lane::digest::Digest;
use authority_lane::ids::{CaseId, KeyId, LaneId};
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// The shipped workflow.
pub const WORKFLOW_JSON: &[u8] = include_bytes!("../../workflows/signing-key-compromise.json");

/// The case every target works on.
pub const CASE_ID: &str = "case-fuzz";

/// The declaration's time (the `testing` module's `t0`, 2026-11-28T...Z).
pub fn t0() -> DateTime<Utc> {
    authority_lane::testing::t0()
}

/// The time of record raw command lines are decided at, and tokens verified at: ten minutes
/// after the declaration (the required findings are recorded at one, two and three minutes).
pub fn now() -> DateTime<Utc> {
    t0() + Duration::minutes(10)
}

/// A time as the crate writes it.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    authority_lane::time::format(t)
}

/// The three facts the shipped workflow requires before review, as (agent role, agent id,
/// fact, value, source system, source record).
pub fn required_findings() -> [(&'static str, &'static str, &'static str, Value, &'static str, &'static str); 3] {
    [
        (
            "custody-evidence",
            "custody-agent-1",
            "custody.exposure",
            json!("suspected"),
            "hsm-audit-log",
            "hsm/audit/1",
        ),
        (
            "release-lineage",
            "lineage-agent-1",
            "lineage.desktop_agent_artifacts_in_window",
            json!(3),
            "software-release-catalog",
            "releases/desktop-agent/1",
        ),
        (
            "authority-matrix",
            "authority-agent-1",
            "authority.platform_delegation",
            json!("active"),
            "emergency-delegation-state",
            "delegations/platform/1",
        ),
    ]
}

/// A finding command line as JSON.
#[allow(clippy::too_many_arguments)]
pub fn finding_line(
    at: &str,
    role: &str,
    agent: &str,
    fact: &str,
    value: Value,
    system: &str,
    record: &str,
    note: Option<&str>,
) -> Value {
    let mut finding = json!({
        "fact": fact,
        "value": value,
        "source": {
            "system": system,
            "record": record,
            "digest": Digest::of_bytes(record.as_bytes()).as_str(),
        },
    });
    if let Some(note) = note {
        finding["note"] = json!(note);
    }
    json!({"type": "finding", "at": at, "agent": {"role": role, "id": agent}, "finding": finding})
}

/// A decision command line as JSON.
pub fn decision_line(at: &str, token: &str) -> Value {
    json!({"type": "decision", "at": at, "token": token})
}

/// Principals a trust amendment may add (DESIGN §16): none is in the fixed cast.
pub const NEWCOMERS: &[&str] = &["fz.newcomer-0", "fz.newcomer-1", "fz.newcomer-2", "fz.newcomer-3"];

/// How many extra keys [`World::pool`] holds.
pub const POOL: usize = 6;

/// The kid of pool key `i` (see [`World::pool`]).
pub fn pool_kid(i: usize) -> String {
    format!("fz-pool-{i}")
}

/// The roles of the fixed cast (DESIGN §7), in a fixed order: what amendments grant.
pub const ROLES: &[&str] = &[
    "security-leadership",
    "platform-security-command",
    "executive-cyber-command",
    "legal-trust-office",
    "product-security-reviewer",
    "trust-reviewer",
];

/// Everything the targets share, built once per process.
pub struct World {
    /// The fixed cast (signs tokens).
    pub cast: Cast,
    /// The shipped workflow.
    pub workflow: Arc<Workflow>,
    /// The fixed cast's trust file.
    pub trust: Arc<Trust>,
    /// [`CASE_ID`].
    pub case_id: CaseId,
    /// The declaration token (sam.rivera, at [`t0`]).
    pub declaration: String,
    /// The case just declared: `open/gathering`.
    pub gathering: Case,
    /// The case after the three required findings: `open/deciding/drafted`.
    pub drafted: Case,
    /// Keys no trust file of the fixed cast lists, from fixed seeds (`[0xA0 + i; 32]`), kids
    /// [`pool_kid`]`(i)`: what trust amendments add (a newcomer's key, a second key, a
    /// replacement for a compromised one).
    pub pool: Vec<Signer>,
}

impl World {
    /// Builds the world; panics only if the shipped workflow or the fixed cast is broken.
    pub fn new() -> World {
        let cast = Cast::fixed();
        let workflow = Arc::new(Workflow::from_json(WORKFLOW_JSON).expect("the shipped workflow loads"));
        let trust = Arc::new(cast.trust().clone());
        let case_id = CaseId::from(CASE_ID);
        let declaration = cast.token(
            "sam.rivera",
            &case_id,
            t0(),
            Decision::Declare(Declare {
                scope: "production artifact-signing key".into(),
                severity: "sev1".into(),
            }),
        );
        let gathering = Case::open(workflow.clone(), trust.clone(), &declaration, t0())
            .expect("the fixed cast's declaration opens a case");
        let mut drafted = gathering.clone();
        for (i, (role, agent, fact, value, system, record)) in
            required_findings().into_iter().enumerate()
        {
            let at = t0() + Duration::minutes(i as i64 + 1);
            let line = finding_line(&rfc3339(&at), role, agent, fact, value, system, record, None);
            let command = Command::from_json(&line.to_string()).expect("a required finding parses");
            for event in drafted.decide(&command, at).expect("a required finding is accepted") {
                drafted.evolve(event).expect("decided on this case");
            }
        }
        assert_eq!(drafted.path(), "open/deciding/drafted", "the required findings make a draft");
        World {
            cast,
            workflow,
            trust,
            case_id,
            declaration,
            gathering,
            drafted,
            pool: (0..POOL)
                .map(|i| Signer::from_seed(KeyId::from(pool_kid(i).as_str()), [0xA0 + i as u8; 32]))
                .collect(),
        }
    }

    /// The signer of `kid`: a cast member's key or a pool key.
    pub fn signer(&self, kid: &str) -> Option<&Signer> {
        STANDARD
            .iter()
            .filter_map(|(id, _)| self.cast.member(id))
            .map(|m| &m.signer)
            .chain(self.pool.iter())
            .find(|s| s.kid().as_str() == kid)
    }

    /// The signer `who` signs with under `trust` (the trust in force of a case): the first of
    /// `who`'s keys there that this world holds; otherwise `who`'s cast key, or for a newcomer
    /// the pool key of its index, or pool key 0.
    pub fn signer_in(&self, trust: &Trust, who: &str) -> &Signer {
        let listed = trust
            .file()
            .principals
            .iter()
            .find(|p| p.id.as_str() == who)
            .and_then(|p| p.keys.iter().find_map(|k| self.signer(k.kid.as_str())));
        listed
            .or_else(|| self.cast.member(who).map(|m| &m.signer))
            .or_else(|| NEWCOMERS.iter().position(|n| *n == who).map(|i| &self.pool[i % POOL]))
            .unwrap_or(&self.pool[0])
    }

    /// As [`sign`](World::sign), with the key [`signer_in`](World::signer_in) picks under
    /// `trust`.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_in(&self, trust: &Trust, who: &str, sub: &str, iat: i64, exp: i64, jti: &str, decision: Value) -> String {
        let claims = json!({
            "iss": who, "aud": AUDIENCE, "sub": sub, "iat": iat, "exp": exp, "jti": jti,
            "decision": decision,
        });
        let signer = self.signer_in(trust, who);
        let header = json!({"alg": "EdDSA", "kid": signer.kid().as_str(), "typ": "JWT"});
        signer.sign_raw(&header, &serde_json::to_vec(&claims).expect("a JSON value serialises"))
    }

    /// The principals of `trust` holding one of its amendment roles, in its order (empty when
    /// it declares no `amendments`).
    pub fn amenders(trust: &Trust) -> Vec<String> {
        trust
            .file()
            .principals
            .iter()
            .filter(|p| trust.may_amend(&p.id))
            .map(|p| p.id.as_str().to_owned())
            .collect()
    }

    /// The ids of the cast, in [`STANDARD`] order.
    pub fn principals() -> impl Iterator<Item = &'static str> {
        STANDARD.iter().map(|(id, _)| *id)
    }

    /// A cast member holding the role of `lane` (the lane's owner), if any.
    pub fn owner_of(&self, lane: &LaneId) -> Option<&'static str> {
        let role = &self.workflow.lane(lane)?.holder_role;
        STANDARD
            .iter()
            .find(|(_, roles)| roles.contains(&role.as_str()))
            .map(|(id, _)| *id)
    }

    /// A compact JWS by `who` (a cast member) with these claims, signed with `who`'s key and the
    /// contract header. `decision` is any JSON: the verifier, not the signer, judges it.
    pub fn sign(&self, who: &str, sub: &str, iat: i64, exp: i64, jti: &str, decision: Value) -> String {
        let claims = json!({
            "iss": who, "aud": AUDIENCE, "sub": sub, "iat": iat, "exp": exp, "jti": jti,
            "decision": decision,
        });
        self.sign_payload(who, &serde_json::to_vec(&claims).expect("a JSON value serialises"))
    }

    /// `payload` signed by `who` under the contract header with `who`'s kid.
    pub fn sign_payload(&self, who: &str, payload: &[u8]) -> String {
        let member = self.cast.member(who).expect("a cast member");
        let header = json!({"alg": "EdDSA", "kid": member.signer.kid().as_str(), "typ": "JWT"});
        member.signer.sign_raw(&header, payload)
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}
