//! The fixed world every fuzz target runs in: the shipped workflow, the fixed cast's trust file
//! (`Cast::fixed()`, keys from fixed seeds), one case id and one clock.
//!
//! Shared by the fuzz targets and by `seedgen` (which includes this file by path), so that the
//! seed corpora and the targets agree byte for byte: a token in `corpus/command_decide/` is
//! signed by the key the target's trust file lists, for the target's case, valid at the target's
//! time of record.

use authority_lane::approval::{AUDIENCE, Decision, Declare, Trust};
use authority_lane::case::{Case, Command};
use authority_lane::testing::{Cast, STANDARD};
use authority_lane::digest::Digest;
use authority_lane::ids::{CaseId, LaneId};
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
        }
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
