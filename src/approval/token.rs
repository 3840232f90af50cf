//! Token claims and decision payloads, with the exact JSON shapes external signers produce.
//!
//! Unknown top-level claims (e.g. `nbf`) are ignored; unknown fields inside `decision` are
//! rejected.

use crate::digest::Digest;
use crate::ids::{Attestation, CaseId, FactKey, LaneId, OptionId, PrincipalId};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The claims of an approval token. The claim set is open at the top level, as RFC 7519 has
/// it: a JOSE library may add registered claims (`nbf`, …), which the verifier ignores; the
/// `decision` inside is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = true))]
pub struct Claims {
    /// The approving principal.
    #[schemars(extend("pattern" = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub iss: PrincipalId,
    /// Must be, or contain, [`AUDIENCE`](super::AUDIENCE) (RFC 7519 §4.1.3: a string or an
    /// array of strings).
    pub aud: Audience,
    /// The case id.
    #[schemars(length(min = 1))]
    pub sub: CaseId,
    /// Issued-at, seconds since the Unix epoch (an I-JSON integer; `schema --workflow` narrows
    /// it to what a time of record in 0000–9999 can accept).
    #[schemars(range(min = -9_007_199_254_740_991i64, max = 9_007_199_254_740_991i64))]
    pub iat: i64,
    /// Expiry, seconds since the Unix epoch, after `iat`. `exp − iat` must be at most the
    /// workflow's `review.max_token_lifetime_secs` (`token_lifetime_too_long`). JSON Schema
    /// cannot relate two members; the published schema bounds `exp` by the year `iat` falls in
    /// (see its `allOf`), so it refuses any lifetime above a year and a day.
    #[schemars(range(min = -9_007_199_254_740_991i64, max = 9_007_199_254_740_991i64))]
    pub exp: i64,
    /// Unique token id (never reused in a case).
    #[schemars(length(min = 1))]
    pub jti: String,
    /// What the principal decides.
    pub decision: Decision,
}

/// The `aud` claim: one audience, or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences; the token is for this crate if one of them is.
    Many(Vec<String>),
}

impl Audience {
    /// True when `name` is (one of) the audience(s).
    pub fn includes(&self, name: &str) -> bool {
        match self {
            Audience::One(a) => a == name,
            Audience::Many(all) => all.iter().any(|a| a == name),
        }
    }
}

impl From<&str> for Audience {
    fn from(a: &str) -> Self {
        Audience::One(a.to_owned())
    }
}

impl std::fmt::Display for Audience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Audience::One(a) => write!(f, "{a:?}"),
            Audience::Many(all) => write!(f, "{all:?}"),
        }
    }
}

/// The decision a token carries, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// Open a severe case.
    Declare(Declare),
    /// Delegate a lane to another principal until a time.
    Delegate(Delegate),
    /// Review a decision packet.
    Review(Review),
    /// Accept a decision packet for a lane.
    Accept(Accept),
    /// Redirect the process.
    Redirect(Redirect),
    /// Stand the case down.
    StandDown(StandDown),
    /// Amend the trust in force (DESIGN §16): takes effect once a quorum of amendment-role
    /// holders signed the same amendment.
    AmendTrust(AmendTrust),
}

impl Decision {
    /// The decision's kind.
    pub fn kind(&self) -> DecisionKind {
        match self {
            Decision::Declare(_) => DecisionKind::Declare,
            Decision::Delegate(_) => DecisionKind::Delegate,
            Decision::Review(_) => DecisionKind::Review,
            Decision::Accept(_) => DecisionKind::Accept,
            Decision::Redirect(_) => DecisionKind::Redirect,
            Decision::StandDown(_) => DecisionKind::StandDown,
            Decision::AmendTrust(_) => DecisionKind::AmendTrust,
        }
    }
}

/// The kind of a [`Decision`], without its payload.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// `declare`
    Declare,
    /// `delegate`
    Delegate,
    /// `review`
    Review,
    /// `accept`
    Accept,
    /// `redirect`
    Redirect,
    /// `stand_down`
    StandDown,
    /// `amend_trust`
    AmendTrust,
}

impl DecisionKind {
    /// The `kind` tag as written in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Declare => "declare",
            DecisionKind::Delegate => "delegate",
            DecisionKind::Review => "review",
            DecisionKind::Accept => "accept",
            DecisionKind::Redirect => "redirect",
            DecisionKind::StandDown => "stand_down",
            DecisionKind::AmendTrust => "amend_trust",
        }
    }
}

impl std::fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `declare`: open a severe case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Declare {
    /// What the case covers.
    pub scope: String,
    /// Declared severity.
    pub severity: String,
}

/// `delegate`: hand a lane to another principal until a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delegate {
    /// The lane delegated.
    pub lane: LaneId,
    /// The delegate.
    pub to: PrincipalId,
    /// End of the delegation (RFC 3339, four-digit year).
    #[serde(deserialize_with = "crate::time::de_until")]
    pub until: DateTime<Utc>,
}

/// `review`: sign off a decision packet, with attestations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Digest of the reviewed packet.
    pub packet_digest: Digest,
    /// What the reviewer attests to: exactly the review policy's set, each once
    /// (`schema --workflow` emits a claims schema with the set itself).
    #[schemars(length(min = 1), extend("uniqueItems" = true))]
    pub attests: Vec<Attestation>,
}

/// `accept`: accept a decision packet for a lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// The lane accepting.
    pub lane: LaneId,
    /// Digest of the accepted packet.
    pub packet_digest: Digest,
}

/// `redirect`: change course, with a reason. The action's fields sit beside `action` and
/// `reason` in the same JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
// `flatten` cannot be combined with `deny_unknown_fields`, so deserialise (and describe) via a
// closed wire form that has one struct per action.
#[serde(from = "RedirectWire")]
#[schemars(with = "RedirectWire")]
pub struct Redirect {
    /// What to do.
    #[serde(flatten)]
    pub action: RedirectAction,
    /// Why.
    pub reason: String,
}

/// The action of a [`Redirect`], tagged by `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RedirectAction {
    /// Ask for more evidence on these facts.
    RequestEvidence {
        /// The facts wanted.
        facts: Vec<FactKey>,
    },
    /// Move the decision to another lane.
    SetLane {
        /// The new lane.
        lane: LaneId,
        /// The digest of the assessment the signer saw (`status` shows it); the redirect is
        /// refused (`stale_approval`) once the assessment has changed.
        assessment_digest: Digest,
    },
    /// Take an option off the table.
    ExcludeOption {
        /// The excluded option.
        option: OptionId,
        /// The digest of the assessment the signer saw (`status` shows it).
        assessment_digest: Digest,
    },
}

/// Closed wire form of [`Redirect`].
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum RedirectWire {
    RequestEvidence {
        facts: Vec<FactKey>,
        reason: String,
    },
    SetLane {
        lane: LaneId,
        assessment_digest: Digest,
        reason: String,
    },
    ExcludeOption {
        option: OptionId,
        assessment_digest: Digest,
        reason: String,
    },
}

impl From<RedirectWire> for Redirect {
    fn from(w: RedirectWire) -> Self {
        match w {
            RedirectWire::RequestEvidence { facts, reason } => Redirect {
                action: RedirectAction::RequestEvidence { facts },
                reason,
            },
            RedirectWire::SetLane {
                lane,
                assessment_digest,
                reason,
            } => Redirect {
                action: RedirectAction::SetLane {
                    lane,
                    assessment_digest,
                },
                reason,
            },
            RedirectWire::ExcludeOption {
                option,
                assessment_digest,
                reason,
            } => Redirect {
                action: RedirectAction::ExcludeOption {
                    option,
                    assessment_digest,
                },
                reason,
            },
        }
    }
}

/// `amend_trust`: replace the trust in force by `trust` (DESIGN §16). Signed by several holders
/// of the trust's amendment roles; it takes effect when the trust's `amendments.threshold`
/// distinct principals (with distinct keys) have signed the same amendment — the same
/// [`amendment_digest`](AmendTrust::digest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendTrust {
    /// The digest of the trust in force the signer amends (`status` shows it as
    /// `trust_digest`); an amendment of any other trust is `stale_approval`.
    pub trust_digest_before: Digest,
    /// The whole new trust document. It must pass every key-hygiene rule, declare
    /// `amendments` that its own principals can satisfy, and hold no key declared compromised.
    pub trust: super::TrustFile,
    /// Keys of the trust in force that are compromised, each since a time: every approval
    /// made with one at or after its `since` is voided (may be empty or left out; the
    /// amendment digest is of the decision as read, with `compromised` always written).
    #[serde(default)]
    pub compromised: Vec<Compromised>,
    /// Why.
    pub reason: String,
}

impl AmendTrust {
    /// The amendment digest: `sha256:` + SHA-256 of the RFC 8785 form of this decision object
    /// (with `kind`), as the crate reads it. The signatures of one amendment name the same one.
    pub fn digest(&self) -> Digest {
        Digest::of_canonical(&Decision::AmendTrust(self.clone()))
            .expect("an amendment is plain JSON (string keys, integers, no floats)")
    }
}

/// A key declared compromised by an amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compromised {
    /// The key: a kid of the trust in force.
    #[schemars(extend("pattern" = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub kid: crate::ids::KeyId,
    /// Since when (RFC 3339, four-digit year): approvals made with the key at or after it are
    /// voided.
    #[serde(deserialize_with = "crate::time::de")]
    pub since: DateTime<Utc>,
}

/// `stand_down`: close the case without further action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StandDown {
    /// Why.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims_json(decision: serde_json::Value) -> serde_json::Value {
        json!({"iss": "dana.okafor", "aud": "authority-lane", "sub": "case-1",
               "iat": 1795860000, "exp": 1795863600, "jti": "j1", "decision": decision})
    }

    #[test]
    fn contract_example_parses_and_round_trips() {
        let v = claims_json(
            json!({"kind": "review", "packet_digest": format!("sha256:{}", "a".repeat(64)),
            "attests": ["blocked_paths_surfaced", "irreversibility_surfaced", "evidence_lineage_checked"]}),
        );
        let c: Claims = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(c.decision.kind(), DecisionKind::Review);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn every_decision_shape_round_trips() {
        let d = format!("sha256:{}", "b".repeat(64));
        let cases = [
            json!({"kind": "declare", "scope": "release signing key", "severity": "sev1"}),
            json!({"kind": "delegate", "lane": "platform-security-command", "to": "sam.lee", "until": "2026-11-28T18:00:00Z"}),
            json!({"kind": "accept", "lane": "executive-cyber-command", "packet_digest": d}),
            json!({"kind": "redirect", "action": "request_evidence", "facts": ["custody.exposure"], "reason": "r"}),
            json!({"kind": "redirect", "action": "set_lane", "lane": "executive-cyber-command", "assessment_digest": d, "reason": "r"}),
            json!({"kind": "redirect", "action": "exclude_option", "option": "broad-package-invalidation", "assessment_digest": d, "reason": "r"}),
            json!({"kind": "stand_down", "reason": "false alarm"}),
        ];
        for v in cases {
            let dec: Decision = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(dec.kind().as_str(), v["kind"].as_str().unwrap());
            assert_eq!(serde_json::to_value(&dec).unwrap(), v);
        }
    }

    #[test]
    fn an_amendment_without_compromised_keys_reads_as_one_with_none() {
        let d = format!("sha256:{}", "c".repeat(64));
        let trust = json!({"principals": [], "amendments": {"roles": ["security-leadership"], "threshold": 1}});
        let short =
            json!({"kind": "amend_trust", "trust_digest_before": d, "trust": trust, "reason": "r"});
        let mut full = short.clone();
        full["compromised"] = json!([]);
        let (a, b): (Decision, Decision) = (
            serde_json::from_value(short).unwrap(),
            serde_json::from_value(full.clone()).unwrap(),
        );
        assert_eq!(a, b);
        assert_eq!(serde_json::to_value(&a).unwrap(), full);
        let (Decision::AmendTrust(a), Decision::AmendTrust(b)) = (a, b) else {
            panic!("amend_trust");
        };
        assert_eq!(a.digest(), b.digest());
        let extra = json!({"kind": "amend_trust", "trust_digest_before": d, "trust": {"principals": []}, "reason": "r", "lane": "x"});
        assert!(serde_json::from_value::<Decision>(extra).is_err());
    }

    #[test]
    fn unknown_top_level_claims_are_ignored() {
        let mut v = claims_json(json!({"kind": "stand_down", "reason": "x"}));
        v["nbf"] = json!(1);
        assert!(serde_json::from_value::<Claims>(v).is_ok());
    }

    #[test]
    fn unknown_fields_inside_decision_are_rejected() {
        for d in [
            json!({"kind": "stand_down", "reason": "x", "extra": 1}),
            json!({"kind": "declare", "scope": "s", "severity": "x", "lane": "l"}),
            json!({"kind": "redirect", "action": "set_lane", "lane": "l", "reason": "r", "facts": []}),
            json!({"kind": "redirect", "action": "set_lane", "lane": "l", "reason": "r", "extra": 1}),
            json!({"kind": "redirect", "action": "launch", "reason": "r"}),
            json!({"kind": "redirect", "action": "set_lane", "lane": "l"}),
            json!({"kind": "approve_everything"}),
        ] {
            assert!(
                serde_json::from_value::<Claims>(claims_json(d.clone())).is_err(),
                "accepted {d}"
            );
        }
    }

    #[test]
    fn duplicate_claims_are_rejected() {
        let raw = r#"{"iss":"a","iss":"b","aud":"authority-lane","sub":"c","iat":1,"exp":2,"jti":"j","decision":{"kind":"stand_down","reason":"r"}}"#;
        assert!(serde_json::from_str::<Claims>(raw).is_err());
    }

    #[test]
    fn schema_generation_works() {
        let schema = schemars::schema_for!(Claims);
        let text = serde_json::to_string(&schema).unwrap();
        for needle in [
            "stand_down",
            "request_evidence",
            "packet_digest",
            "decision",
        ] {
            assert!(text.contains(needle), "schema lacks {needle}");
        }
    }
}
