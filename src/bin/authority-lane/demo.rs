//! The `demo` command: the shipped scenario end to end, with keys generated at run time. The
//! scenario is the binary's own data; it drives the case through the same public API an
//! integration uses ([`CaseStore`], [`Signer`], [`TrustFile::listing`]).
//!
//! Security leadership declares the case; custody evidence arrives as *suspected*, lineage shows
//! desktop-agent artifacts signed in the window (executive cyber command); a product-security
//! reviewer signs off, a second custody source repeats *suspected* and the sign-off carries
//! (DESIGN §15), then custody is *confirmed*, the decision changes and the sign-off is voided;
//! a sign-off minted on the old decision's draft is refused; impact assessment finds customers
//! affected; both reviewers sign the new draft; platform security command — a lower authority —
//! tries to accept and is refused; executive cyber command accepts revision 1. After the
//! acceptance a repeated estimate is recorded beside the unchanged packet, and an hour later
//! contractual disclosure turns out to be required: the case reopens as revision 2 for the
//! legal and trust office, product security signs it, a second legal source repeats the
//! obligation and the sign-off carries. The trust reviewer is off shift: security leadership and
//! executive cyber command sign a trust amendment adding a second trust reviewer (DESIGN §16; a
//! token she signs before the amendment's quorum is refused), she signs, executive cyber
//! command — now lower — is refused, and the legal and trust office accepts. Every step goes through the same
//! [`CaseStore`] an integration uses.

use authority_lane::ErrorCode;
use authority_lane::approval::{
    AUDIENCE, Accept, AmendTrust, Claims, Decision, Declare, KeyEntry, PrincipalEntry, Review,
    Signer, Trust, TrustFile,
};
use authority_lane::case::{Command, Rejection};
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::{CaseId, FactKey, KeyId, PrincipalId, RoleId};
use authority_lane::journal::Backend;
use authority_lane::packet::RecommendationPacket;
use authority_lane::store::{CaseStore, Clock, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The people of the scenario and the roles they hold.
const PEOPLE: &[(&str, &[&str])] = &[
    ("sam.rivera", &["security-leadership"]),
    ("priya.natarajan", &["platform-security-command"]),
    ("marcus.chen", &["executive-cyber-command"]),
    ("dana.okafor", &["legal-trust-office"]),
    ("lee.park", &["product-security-reviewer"]),
    ("ines.duarte", &["trust-reviewer"]),
    ("nora.quinn", &["trust-reviewer"]),
];

/// The person a trust amendment adds mid-case: not in the trust pinned in record 0.
const JOINS: &str = "nora.quinn";

/// The scenario's people with keys fresh from the operating system's RNG, and the trust
/// registry listing them. With `demo --journal`, the CLI writes the private keys into a
/// directory beside the journal (`case.keys/`) so the case's people can sign again.
struct People {
    signers: BTreeMap<PrincipalId, Signer>,
    keys: Vec<DemoKey>,
    trust: Trust,
    issued: u64,
}

/// A demo principal's private key, for carrying the demo further (never committed).
#[derive(Debug, Clone)]
pub struct DemoKey {
    /// The principal (its key id in the trust file is `<first name>-demo`).
    pub principal: PrincipalId,
    /// The Ed25519 private key (RFC 8032 seed).
    pub seed: [u8; 32],
}

impl People {
    fn generate() -> Result<People, String> {
        let mut signers = BTreeMap::new();
        let mut roles = BTreeMap::new();
        let mut keys = Vec::new();
        for (id, held) in PEOPLE {
            let kid = KeyId::new(format!("{}-demo", id.split('.').next().unwrap_or(id)));
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
            keys.push(DemoKey {
                principal: PrincipalId::from(*id),
                seed,
            });
            let signer = Signer::from_seed(kid, seed);
            signers.insert(PrincipalId::from(*id), signer);
            roles.insert(
                PrincipalId::from(*id),
                held.iter().map(|r| RoleId::from(*r)).collect::<Vec<_>>(),
            );
        }
        let mut file = TrustFile::listing(
            signers
                .iter()
                .filter(|(id, _)| id.as_str() != JOINS)
                .map(|(id, s)| (id, roles[id].as_slice(), s)),
        );
        // Who may amend it: two of security leadership, executive cyber command and the legal
        // and trust office (DESIGN §16).
        file.amendments = Some(authority_lane::approval::shipped_amendments());
        let trust = Trust::from_file(file).map_err(|e| e.to_string())?;
        Ok(People {
            signers,
            keys,
            trust,
            issued: 0,
        })
    }

    /// A ten-minute token by `who` about `case`, issued at `at`.
    fn token(&mut self, who: &str, case: &CaseId, at: DateTime<Utc>, decision: Decision) -> String {
        self.issued += 1;
        let signer = &self.signers[&PrincipalId::from(who)];
        signer.sign_claims(&Claims {
            iss: who.into(),
            aud: AUDIENCE.into(),
            sub: case.clone(),
            iat: at.timestamp(),
            exp: at.timestamp() + 600,
            jti: format!("demo-{who}-{}", self.issued),
            decision,
        })
    }
}

/// One line of the demo's narrative.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DemoStep {
    /// When.
    pub at: DateTime<Utc>,
    /// The state path after the step.
    pub path: String,
    /// The recommended lane after the step.
    pub lane: String,
    /// Draft revision after the step.
    pub revision: u64,
    /// What happened.
    pub what: String,
    /// For a refused step, the rejection code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<ErrorCode>,
}

/// The result of a demo run.
#[derive(Debug)]
pub struct DemoRun<S: Backend> {
    /// The narrative.
    pub steps: Vec<DemoStep>,
    /// The case and its journal, at the end.
    pub store: CaseStore<S>,
    /// The people's private keys.
    pub keys: Vec<DemoKey>,
}

impl<S: Backend> DemoRun<S> {
    /// The accepted packet.
    pub fn packet(&self) -> Option<RecommendationPacket> {
        self.store.packet()
    }
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Keys could not be generated.
    #[error("cannot generate demo keys: {0}")]
    Keys(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The shipped scenario is inconsistent with the shipped workflow (a bug).
    #[error("demo scenario error: {0}")]
    Scenario(String),
    /// A step the scenario expects to succeed was refused (a bug).
    #[error("demo step `{step}` was refused: {rejection}")]
    Unexpected {
        /// The step.
        step: String,
        /// Why.
        rejection: Box<Rejection>,
    },
}

struct Script<S: Backend> {
    people: People,
    store: CaseStore<S>,
    now: DateTime<Utc>,
    steps: Vec<DemoStep>,
}

impl<S: Backend> Script<S> {
    fn advance(&mut self, minutes: i64) -> DateTime<Utc> {
        self.now += Duration::minutes(minutes);
        self.now
    }

    fn note(&mut self, what: String, rejected: Option<ErrorCode>) {
        let case = self.store.case();
        self.steps.push(DemoStep {
            at: self.now,
            path: case.path(),
            lane: case.recommended_lane().to_string(),
            revision: case.revision(),
            what,
            rejected,
        });
    }

    /// Submits a command that must be accepted.
    fn ok(&mut self, what: &str, command: Command) -> Result<(), DemoError> {
        // The demo runs on a supplied clock that follows its script (records say so).
        self.store.set_clock(Clock::Supplied(self.now));
        let submission = self.store.submit(std::slice::from_ref(&command))?;
        if let Some((_, rejection)) = submission.rejected {
            return Err(DemoError::Unexpected {
                step: what.to_owned(),
                rejection: Box::new(rejection),
            });
        }
        self.note(what.to_owned(), None);
        Ok(())
    }

    /// Submits a command the scenario expects to be refused.
    fn refused(&mut self, what: &str, command: Command) -> Result<(), DemoError> {
        self.store.set_clock(Clock::Supplied(self.now));
        let submission = self.store.submit(std::slice::from_ref(&command))?;
        match submission.rejected {
            Some((_, rejection)) => {
                self.note(
                    format!("{what} — refused: {rejection}"),
                    Some(rejection.code()),
                );
                Ok(())
            }
            None => Err(DemoError::Scenario(format!(
                "`{what}` was accepted but the scenario expects a refusal"
            ))),
        }
    }

    fn finding(
        &mut self,
        agent: &str,
        fact: &str,
        value: Value,
        system: &str,
        record: &str,
        note: &str,
    ) -> Command {
        let role = self
            .store
            .case()
            .workflow()
            .fact(&FactKey::from(fact))
            .map(|d| d.submitted_by.clone())
            .unwrap_or_else(|| agent.into());
        Command::Finding {
            at: self.advance(2),
            agent: Agent {
                role,
                id: agent.to_owned(),
            },
            finding: FindingInput {
                fact: fact.into(),
                value,
                source: Source {
                    system: system.to_owned(),
                    record: record.to_owned(),
                    digest: Digest::of_bytes(record.as_bytes()),
                },
                note: Some(note.to_owned()),
            },
        }
    }

    /// Submits each finding of `evidence`, each of which must be accepted.
    fn findings(&mut self, evidence: &[Found]) -> Result<(), DemoError> {
        for f in evidence {
            let value = serde_json::from_str(f.value)
                .map_err(|e| DemoError::Scenario(format!("{}: value {}: {e}", f.fact, f.value)))?;
            let command = self.finding(f.agent, f.fact, value, f.system, f.record, f.note);
            self.ok(f.what, command)?;
        }
        Ok(())
    }

    fn decision(&mut self, who: &str, decision: Decision) -> Command {
        let at = self.advance(1);
        let case_id = self.store.case().id().clone();
        Command::Decision {
            at,
            token: self.people.token(who, &case_id, at, decision),
        }
    }

    fn review(&mut self, who: &str) -> Command {
        let digest = self
            .store
            .case()
            .draft_digest()
            .unwrap_or_else(|| Digest::of_bytes(b""));
        self.decision(
            who,
            Decision::Review(Review {
                packet_digest: digest,
                attests: self.store.case().workflow().review().attestations.clone(),
            }),
        )
    }

    /// A signature of the amendment adding [`JOINS`] as a trust reviewer to the trust in force.
    fn amend_adding(&mut self, who: &str) -> Command {
        let trust = self.store.case().trust();
        let mut file = trust.file().clone();
        let signer = &self.people.signers[&PrincipalId::from(JOINS)];
        file.principals.push(PrincipalEntry {
            id: JOINS.into(),
            roles: vec!["trust-reviewer".into()],
            keys: vec![KeyEntry {
                kid: signer.kid().clone(),
                jwk: signer.public_jwk(),
            }],
        });
        let amendment = AmendTrust {
            trust_digest_before: trust.digest().clone(),
            trust: file,
            compromised: Vec::new(),
            reason: "ines.duarte is off shift; nora.quinn reviews for trust".into(),
        };
        self.decision(who, Decision::AmendTrust(amendment))
    }

    fn accept(&mut self, who: &str, lane: &str) -> Command {
        let digest = self
            .store
            .case()
            .draft_digest()
            .unwrap_or_else(|| Digest::of_bytes(b""));
        self.decision(
            who,
            Decision::Accept(Accept {
                lane: lane.into(),
                packet_digest: digest,
            }),
        )
    }
}

/// One finding of the scenario: who reports which fact with what value (JSON text), its
/// provenance and note, and the narrative line.
struct Found {
    agent: &'static str,
    fact: &'static str,
    value: &'static str,
    system: &'static str,
    record: &'static str,
    note: &'static str,
    what: &'static str,
}

/// Custody suspected, the authority matrix, lineage in the window (E1), the release policy.
const FIRST_EVIDENCE: &[Found] = &[
    Found {
        agent: "custody-agent-1",
        fact: "custody.exposure",
        value: r#""suspected""#,
        system: "hsm-audit-log",
        record: "hsm-eu1/audit/88121",
        note: "HSM audit shows an export attempt on the signing partition",
        what: "custody: exposure suspected",
    },
    Found {
        agent: "authority-agent-1",
        fact: "authority.platform_delegation",
        value: r#""active""#,
        system: "emergency-delegation-state",
        record: "delegations/platform-sec/2026-q4",
        note: "platform security command delegation is active",
        what: "authority matrix: platform delegation active",
    },
    Found {
        agent: "lineage-agent-1",
        fact: "lineage.internal_packages_in_window",
        value: "14",
        system: "artifact-lineage-inventory",
        record: "lineage/internal/window-2026-11-26",
        note: "14 internal service packages signed in the window",
        what: "lineage: 14 internal packages signed in the window",
    },
    Found {
        agent: "lineage-agent-1",
        fact: "lineage.desktop_agent_artifacts_in_window",
        value: "3",
        system: "software-release-catalog",
        record: "releases/desktop-agent/5.14.0..5.14.2",
        note: "desktop agent 5.14.0-5.14.2 were signed in the window and shipped to customers",
        what: "lineage: 3 desktop-agent releases signed in the window (E1)",
    },
    Found {
        agent: "lineage-agent-1",
        fact: "release.freeze_within_policy",
        value: "false",
        system: "release-hold-policies",
        record: "policy/release-hold/v7",
        note: "customer-facing trains need executive approval to freeze",
        what: "release policy: freezing customer trains is outside platform policy",
    },
];

/// Custody confirmed and rogue signatures (E4): the draft changes under the first sign-off.
const CUSTODY_CONFIRMED: &[Found] = &[
    Found {
        agent: "custody-agent-2",
        fact: "custody.exposure",
        value: r#""confirmed""#,
        system: "key-custody-records",
        record: "custody/ticket/SEC-4471",
        note: "key material found on a build host outside the HSM boundary",
        what: "custody: exposure confirmed — the decision changes, lee.park's sign-off is voided",
    },
    Found {
        agent: "custody-agent-2",
        fact: "custody.rogue_signatures_observed",
        value: "2",
        system: "signing-service-telemetry",
        record: "telemetry/sign/2026-11-27",
        note: "2 signatures verify against the key but are absent from signing telemetry",
        what: "custody: 2 rogue signatures observed (E4)",
    },
];

/// A second custody source repeats the resolved value: the decision is unchanged.
const CUSTODY_REPEATED: &[Found] = &[Found {
    agent: "custody-agent-2",
    fact: "custody.exposure",
    value: r#""suspected""#,
    system: "key-custody-records",
    record: "custody/ticket/SEC-4470",
    note: "the custody ticket repeats the HSM audit's finding",
    what: "custody: a second source repeats \"suspected\" — the decision is unchanged, lee.park's sign-off carries",
}];

/// Impact: customers affected (E2), no broad invalidation, no redistribution; the lane settles
/// on executive cyber command.
const IMPACT: &[Found] = &[
    Found {
        agent: "impact-agent-1",
        fact: "impact.customers_affected",
        value: "1840",
        system: "customer-impact-estimates",
        record: "impact/estimate/rev3",
        note: "1,840 customers run 5.14.x",
        what: "impact: 1,840 customers affected (E2)",
    },
    Found {
        agent: "impact-agent-1",
        fact: "impact.broad_invalidation_required",
        value: "false",
        system: "emergency-revocation-runbooks",
        record: "runbook/revocation/v12",
        note: "targeted invalidation of 5.14.x suffices",
        what: "impact: broad invalidation not required",
    },
    Found {
        agent: "lineage-agent-1",
        fact: "lineage.third_party_redistribution",
        value: "false",
        system: "package-publication-history",
        record: "publication/mirrors/2026-11",
        note: "no partner mirror carried 5.14.x",
        what: "lineage: no third-party redistribution",
    },
];

/// After the acceptance: the artifact inventory repeats the release catalogue's count
/// (recorded, the accepted packet unchanged).
const AFTER_ACCEPTANCE: &[Found] = &[Found {
    agent: "lineage-agent-2",
    fact: "lineage.desktop_agent_artifacts_in_window",
    value: "3",
    system: "artifact-lineage-inventory",
    record: "inventory/desktop-agent/window-2026-11-26",
    note: "the artifact inventory agrees: 3 desktop-agent releases",
    what: "lineage: the artifact inventory repeats 3 desktop-agent releases — recorded; the accepted packet is unchanged",
}];

/// An hour after the acceptance, legal review of the contracts: disclosure required (L1) and
/// its deadline. The decision changes: the case reopens as revision 2, legal and trust office.
const DISCLOSURE: &[Found] = &[
    Found {
        agent: "impact-agent-1",
        fact: "impact.contractual_disclosure_required",
        value: "true",
        system: "support-obligation-notes",
        record: "contracts/enterprise-msa/s9.2",
        note: "enterprise MSA s9.2 requires notice of signing-key compromise",
        what: "impact: contractual disclosure required (L1) — the accepted decision changes: revision 2 opens for the legal and trust office",
    },
    Found {
        agent: "impact-agent-1",
        fact: "impact.disclosure_deadline",
        value: r#""2026-11-30T17:00:00Z""#,
        system: "approved-disclosure-constraints",
        record: "contracts/enterprise-msa/s9.2/deadline",
        note: "72 hours from confirmation",
        what: "impact: disclosure deadline 2026-11-30T17:00Z",
    },
];

/// Revision 2 under review: the approved disclosure constraints repeat that disclosure is
/// required; the decision is unchanged and lee.park's sign-off of revision 2 carries into its
/// acceptance (the accepted packet's `stability` counts it).
const DISCLOSURE_REPEATED: &[Found] = &[Found {
    agent: "impact-agent-1",
    fact: "impact.contractual_disclosure_required",
    value: "true",
    system: "approved-disclosure-constraints",
    record: "constraints/disclosure/enterprise-msa",
    note: "the approved disclosure constraints list the enterprise MSA's notice obligation",
    what: "impact: the disclosure constraints repeat that disclosure is required — the decision is unchanged, lee.park's sign-off of revision 2 carries",
}];

/// The demo case's id unless `demo --store URL --case ID` names another.
pub const CASE_ID: &str = "sev1-signing-key-2026-11-28";

/// Runs the scenario as case `case_id` against a store opened by `open` (in memory, a journal
/// file, or a PostgreSQL store).
pub fn run<S: Backend>(
    declared_at: DateTime<Utc>,
    case_id: &str,
    open: impl FnOnce(
        Arc<authority_lane::workflow::Workflow>,
        Arc<Trust>,
        &str,
    ) -> Result<CaseStore<S>, StoreError>,
) -> Result<DemoRun<S>, DemoError> {
    let mut people = People::generate().map_err(DemoError::Keys)?;
    let workflow = authority_lane::workflow::shipped();
    let case_id = CaseId::from(case_id);
    let declaration = people.token(
        "sam.rivera",
        &case_id,
        declared_at,
        Decision::Declare(Declare {
            scope: "production artifact-signing key (desktop agents, internal service packages)"
                .into(),
            severity: "sev1".into(),
        }),
    );
    let store = open(workflow, Arc::new(people.trust.clone()), &declaration)?;
    let mut s = Script {
        people,
        store,
        now: declared_at,
        steps: Vec::new(),
    };
    s.note(
        "security leadership (sam.rivera) declares a sev1 case".into(),
        None,
    );

    s.findings(FIRST_EVIDENCE)?;

    let c = s.review("lee.park");
    s.ok("product security (lee.park) signs off the draft", c)?;
    s.findings(CUSTODY_REPEATED)?;
    let stale = s.review("ines.duarte");

    s.findings(CUSTODY_CONFIRMED)?;
    // The trust reviewer's token was minted on the old decision's draft.
    let Command::Decision { token, .. } = stale else {
        return Err(DemoError::Scenario("a review is a decision command".into()));
    };
    let at = s.advance(1);
    s.refused(
        "trust review (ines.duarte) signed on the superseded draft",
        Command::Decision { at, token },
    )?;

    s.findings(IMPACT)?;

    let c = s.review("lee.park");
    s.ok("product security (lee.park) signs off the current draft", c)?;
    let c = s.review("ines.duarte");
    s.ok("trust review (ines.duarte) signs off — quorum reached", c)?;
    let c = s.accept("priya.natarajan", "platform-security-command");
    s.refused(
        "platform security command (priya.natarajan) tries to accept for its own, lower lane",
        c,
    )?;
    let c = s.accept("marcus.chen", "executive-cyber-command");
    s.ok(
        "executive cyber command (marcus.chen) accepts revision 1",
        c,
    )?;

    s.findings(AFTER_ACCEPTANCE)?;
    s.advance(60);
    s.findings(DISCLOSURE)?;
    let c = s.review("lee.park");
    s.ok("product security (lee.park) signs off revision 2", c)?;
    s.findings(DISCLOSURE_REPEATED)?;
    let c = s.amend_adding("sam.rivera");
    s.ok(
        "the trust reviewer is off shift: security leadership (sam.rivera) signs a trust amendment adding nora.quinn as trust reviewer (1 of 2)",
        c,
    )?;
    let c = s.review(JOINS);
    s.refused(
        "trust review (nora.quinn) tries to sign off before the amendment takes effect",
        c,
    )?;
    let c = s.amend_adding("marcus.chen");
    s.ok(
        "executive cyber command (marcus.chen) co-signs: the amendment takes effect, lee.park's sign-off stands",
        c,
    )?;
    let c = s.review(JOINS);
    s.ok(
        "trust review (nora.quinn) signs off revision 2 — quorum reached",
        c,
    )?;
    let c = s.accept("marcus.chen", "executive-cyber-command");
    s.refused(
        "executive cyber command (marcus.chen) tries to accept revision 2 for its own, now lower lane",
        c,
    )?;
    let c = s.accept("dana.okafor", "legal-trust-office");
    s.ok(
        "legal and trust office (dana.okafor) accepts revision 2; revision 1's packet stays in the journal",
        c,
    )?;

    Ok(DemoRun {
        steps: s.steps,
        store: s.store,
        keys: s.people.keys,
    })
}
