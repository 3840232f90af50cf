//! Embedding a severe case in a Rust orchestrator, in-process.
//!
//! Run with `cargo run --example embed_in_orchestrator`.
//!
//! The orchestrator owns a queue of incoming messages: findings from its agents (custody,
//! lineage, impact, authority matrix) and, later, tokens that humans signed somewhere else (a
//! signing portal, a chat approval). For each message it does the same four things:
//!
//! 1. turn the message into a [`Command`];
//! 2. ask the case: `case.decide(&cmd)` — pure, it reads no clock and changes nothing;
//! 3. on `Ok(events)`: persist each event (after record 0, the declaration), then apply it with `case.evolve(event)` (which consumes it);
//! 4. on `Err(rejection)`: log `rejection.code()` and carry on — a rejection changed nothing.
//!
//! What the orchestrator gets out of the case is a *recommendation*: which authority lane owns
//! the decision and which bounded options it may choose from. The crate never revokes a key,
//! freezes a release or discloses anything — there is no function for it. Acting on the
//! accepted packet is the job of the humans (and tools) it names.
//!
//! In a service you would normally use `CaseStore`, which does steps 2–3 with a durable,
//! hash-chained journal (see the `json_integration` example). Here the loop is spelled out so
//! you can see the decide / persist / evolve contract.

use authority_lane::approval::Trust;
use authority_lane::approval::{Accept, Decision, Declare, Review};
use authority_lane::case::{Case, Command, Event, Genesis};
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::testing::Cast;
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::cell::Cell;
use std::collections::VecDeque;
use std::error::Error;
use std::rc::Rc;
use std::sync::Arc;

/// One of the orchestrator's agents: its role (which facts it may report) and its id.
#[derive(Clone, Copy)]
struct AgentRef(&'static str, &'static str);

const CUSTODY: AgentRef = AgentRef("custody-evidence", "custody-agent");
const LINEAGE: AgentRef = AgentRef("release-lineage", "lineage-agent");
const IMPACT: AgentRef = AgentRef("impact-assessment", "impact-agent");
const AUTHORITY: AgentRef = AgentRef("authority-matrix", "authority-agent");

/// A message as it reaches the orchestrator, before it becomes a command.
enum Message {
    /// An agent reports one fact, citing the (system, record) it read it from.
    Finding {
        agent: AgentRef,
        fact: &'static str,
        value: Value,
        source: (&'static str, &'static str),
    },
    /// A compact JWS a human signed elsewhere; the orchestrator only forwards it.
    Token { label: String, token: String },
}

impl AgentRef {
    /// What the agent found; `.citing(..)` names the record it read it from.
    fn found(self, fact: &'static str, value: Value) -> Report {
        Report {
            agent: self,
            fact,
            value,
        }
    }
}

/// A finding still missing its source record.
struct Report {
    agent: AgentRef,
    fact: &'static str,
    value: Value,
}

impl Report {
    fn citing(self, system: &'static str, record: &'static str) -> Message {
        Message::Finding {
            agent: self.agent,
            fact: self.fact,
            value: self.value,
            source: (system, record),
        }
    }
}

impl Message {
    /// Step 1: every message becomes a `Command`, the one input type the case understands.
    /// `at` is when the orchestrator received it: the case itself never reads a clock.
    fn into_command(self, at: DateTime<Utc>) -> (String, Command) {
        match self {
            Message::Finding {
                agent: AgentRef(role, id),
                fact,
                value,
                source: (system, record),
            } => (
                format!("{id}: {fact} = {value}"),
                Command::Finding {
                    at,
                    agent: Agent {
                        role: role.into(),
                        id: id.to_owned(),
                    },
                    finding: FindingInput {
                        fact: fact.into(),
                        value,
                        source: Source {
                            system: system.to_owned(),
                            record: record.to_owned(),
                            digest: Digest::of_bytes(record.as_bytes()),
                        },
                        note: None,
                    },
                },
            ),
            Message::Token { label, token } => (label, Command::Decision { at, token }),
        }
    }
}

/// The orchestrator: a case, somewhere to persist its events, and a clock.
struct Orchestrator {
    case: Case,
    /// Stand-in for durable storage: record 0 (the declaration with its pins), then every
    /// event, each with its time of record — everything a restore needs.
    persisted: Vec<(DateTime<Utc>, String)>,
    clock: Clock,
}

impl Orchestrator {
    /// Handles every queued message, in order.
    fn drain(&mut self, inbox: &mut VecDeque<Message>) -> Result<(), Box<dyn Error>> {
        while let Some(message) = inbox.pop_front() {
            let now = self.clock.tick();
            let (what, command) = message.into_command(now);
            // The orchestrator's clock is the time of record: tokens and delegations are
            // judged at it, never at a time a submitter wrote into its command.
            match self.case.decide(&command, now) {
                Ok(events) => {
                    for event in events {
                        // Persist first, apply second: what was applied is always on disk.
                        // `evolve` consumes the event; it refuses one decided on another
                        // state of the case (`stale_event`).
                        self.persist(&event)?;
                        self.case.evolve(event)?;
                    }
                    println!(
                        "  ok       {what:<60} -> {} (lane {}, rev {})",
                        self.case.path(),
                        self.case.recommended_lane(),
                        self.case.revision()
                    );
                }
                // A rejection changed nothing; log its stable code and keep going.
                Err(rejection) => println!("  REJECTED {what:<60} -> {}", rejection.code()),
            }
        }
        Ok(())
    }

    fn persist(&mut self, event: &Event) -> Result<(), Box<dyn Error>> {
        self.persisted
            .push((event.recorded_at(), serde_json::to_string(event)?));
        Ok(())
    }

    /// Rebuilds the case from what was persisted alone: record 0 opens it (re-verifying the
    /// declaration against the pinned workflow and trust), every event is re-decided and
    /// re-verified at its time of record.
    fn restore(&self, workflow: Arc<Workflow>, trust: Arc<Trust>) -> Result<Case, Box<dyn Error>> {
        let ((_, first), events) = self.persisted.split_first().ok_or("nothing persisted")?;
        let genesis: Genesis = serde_json::from_str(first)?;
        let mut case = Case::from_genesis(workflow, trust, &genesis)?;
        for (at, event) in events {
            case.replay_json(event, *at)?;
        }
        Ok(case)
    }

    /// The digest reviewers must sign: always read it from the case, never cache it.
    fn current_digest(&self) -> Result<Digest, Box<dyn Error>> {
        self.case
            .draft_digest()
            .ok_or_else(|| "the case has no draft yet".into())
    }
}

/// A minute-resolution clock for the scenario.
#[derive(Clone)]
struct Clock(Rc<Cell<DateTime<Utc>>>);

impl Clock {
    fn now(&self) -> DateTime<Utc> {
        self.0.get()
    }
    fn tick(&self) -> DateTime<Utc> {
        self.0.set(self.now() + Duration::minutes(1));
        self.now()
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The humans and their keys. In production they sign with their own JOSE tooling and the
    // orchestrator only sees the resulting tokens; `Cast` plays that part here.
    let humans = Cast::generate()?;
    let workflow = authority_lane::workflow::shipped();
    let trust = Arc::new(humans.trust().clone());
    // What every reviewer must attest, from the workflow's review policy.
    let attests = workflow.review().attestations.clone();
    let declared_at = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .ok_or("bad time")?;
    let clock = Clock(Rc::new(Cell::new(declared_at)));
    let case_id = CaseId::from("sev1-signing-key-2026-11-28");

    // Security leadership opens the case with a signed `declare` token.
    let declare = Decision::Declare(Declare {
        scope: "production artifact-signing key".into(),
        severity: "sev1".into(),
    });
    let declaration = humans.token("sam.rivera", &case_id, declared_at, declare);
    let case = Case::open(workflow, trust, &declaration, declared_at)?;
    println!("case {} declared -> {}", case.id(), case.path());
    // Record 0 first: the declaration and the workflow and trust digests it pins. (A
    // `CaseStore` writes it for you, with the documents themselves embedded; see the
    // `custom_backend` example for storage of your own.)
    let record0 = (case.genesis().at, serde_json::to_string(case.genesis())?);
    let mut orch = Orchestrator {
        case,
        persisted: vec![record0],
        clock: clock.clone(),
    };
    let mut inbox = VecDeque::new();

    // Humans sign "now", elsewhere; their tokens reach the inbox whenever they arrive.
    let sign = |who, decision: Decision| Message::Token {
        label: format!("{who}: signed {} token", decision.kind().as_str()),
        token: humans.token(who, &case_id, clock.now(), decision),
    };
    let review = |who, digest: &Digest| {
        let packet_digest = digest.clone();
        let attests = attests.clone();
        sign(
            who,
            Decision::Review(Review {
                packet_digest,
                attests,
            }),
        )
    };
    let accept = |who, lane: &str, digest: &Digest| {
        let (lane, packet_digest) = (lane.into(), digest.clone());
        sign(
            who,
            Decision::Accept(Accept {
                lane,
                packet_digest,
            }),
        )
    };

    println!("\n1. agents report; once the required facts are known, a draft appears");
    inbox.extend([
        CUSTODY
            .found("custody.exposure", json!("suspected"))
            .citing("hsm-audit-log", "hsm-eu1/audit/88121"),
        AUTHORITY
            .found("authority.platform_delegation", json!("active"))
            .citing("emergency-delegation-state", "delegations/platform-sec"),
        LINEAGE
            .found("lineage.desktop_agent_artifacts_in_window", json!(3))
            .citing("software-release-catalog", "releases/desktop-agent/5.14.x"),
        LINEAGE
            .found("release.freeze_within_policy", json!(false))
            .citing("release-hold-policies", "policy/release-hold/v7"),
        // An agent reporting a fact outside its role is refused; the loop carries on.
        IMPACT
            .found("custody.exposure", json!("not_indicated"))
            .citing("hsm-audit-log", "hsm-eu1/audit/88122"),
    ]);
    orch.drain(&mut inbox)?;

    // 2. The orchestrator sends the draft's digest to the reviewers. Both sign it now; lee.park's
    //    token arrives at once, ines.duarte's is held up on the way.
    let first_draft = orch.current_digest()?;
    println!("\n2. draft {first_draft} sent to reviewers");
    inbox.push_back(review("lee.park", &first_draft));
    let delayed = review("ines.duarte", &first_draft);
    orch.drain(&mut inbox)?;

    // 3. New evidence changes the draft: its revision and digest change, lee.park's sign-off is
    //    void (kept on record), and the delayed token — signed on the old digest — is refused.
    println!("\n3. custody is confirmed; the draft changes under the reviewers");
    inbox.extend([
        CUSTODY
            .found("custody.exposure", json!("confirmed"))
            .citing("key-custody-records", "custody/ticket/SEC-4471"),
        CUSTODY
            .found("custody.rogue_signatures_observed", json!(2))
            .citing("signing-service-telemetry", "telemetry/sign/2026-11-27"),
        delayed,
    ]);
    orch.drain(&mut inbox)?;

    println!("\n4. impact and lineage findings settle the lane");
    inbox.extend([
        IMPACT
            .found("impact.customers_affected", json!(1840))
            .citing("customer-impact-estimates", "impact/estimate/rev3"),
        IMPACT
            .found("impact.contractual_disclosure_required", json!(true))
            .citing("support-obligation-notes", "contracts/enterprise-msa/s9.2"),
        IMPACT
            .found("impact.disclosure_deadline", json!("2026-11-30T17:00:00Z"))
            .citing("approved-disclosure-constraints", "contracts/msa/s9.2"),
        IMPACT
            .found("impact.broad_invalidation_required", json!(false))
            .citing("emergency-revocation-runbooks", "runbook/revocation/v12"),
        LINEAGE
            .found("lineage.third_party_redistribution", json!(false))
            .citing("package-publication-history", "publication/mirrors"),
    ]);
    orch.drain(&mut inbox)?;

    // 5. Re-review: read the *current* digest from the case and send it out again.
    let draft = orch.current_digest()?;
    println!("\n5. new draft {draft} sent to reviewers");
    inbox.extend([review("lee.park", &draft), review("ines.duarte", &draft)]);
    orch.drain(&mut inbox)?;

    // 6. Acceptance must come from the owner of the recommended lane. Executive cyber command
    //    tries to accept for its own, lower lane and is refused; the legal and trust office
    //    (the recommended lane) accepts.
    println!("\n6. acceptance: only the recommended lane's owner may accept");
    inbox.extend([
        accept("marcus.chen", "executive-cyber-command", &draft),
        accept("dana.okafor", "legal-trust-office", &draft),
    ]);
    orch.drain(&mut inbox)?;

    // The packet exists only in `closed/accepted`. It is a recommendation: the orchestrator
    // hands it to the people it names. Nothing in this crate revokes a key, freezes a release or
    // notifies a customer — the options below are descriptions for humans to act on.
    // The packet names where the acceptance sits in the journal, so that a relying party can
    // later detect a journal cut back before it. This orchestrator keeps its own event log
    // (`persisted`); `CaseStore::packet` fills in the real journal seq and head hash.
    let acceptance = authority_lane::packet::JournalRef {
        seq: orch.persisted.len() as u64 - 1,
        head: authority_lane::digest::Digest::of_bytes(
            orch.persisted
                .last()
                .map_or(&b""[..], |(_, e)| e.as_bytes()),
        ),
    };
    let packet = orch
        .case
        .packet(acceptance)
        .ok_or("the case was not accepted")?;
    let content = &packet.draft().content;
    let owner = &content.decision_owner;
    let (count, first) = (orch.persisted.len() - 1, &orch.persisted[1].1);
    println!("\n{count} events persisted after record 0; the first one:\n  {first}");
    // What was persisted is enough to restore the case: same state, same digests.
    let (workflow, trust) = orch.case.shared();
    let restored = orch.restore(workflow, trust)?;
    assert_eq!(restored.status(), orch.case.status());
    println!("restored from the persisted log: {}", restored.path());
    println!("\nrecommendation");
    println!("  lane:          {}", content.recommended_lane);
    println!(
        "  owner:         {} (holders {}; accepted by {})",
        owner.lane,
        join(&owner.holders),
        packet.accepted_by()
    );
    println!("  packet digest: {}", packet.packet_digest());
    println!("  options (described, never executed by this crate):");
    for option in &content.options {
        println!(
            "    {:<28} {:<21} needs {}",
            option.id.as_str(),
            option.reversibility.as_str(),
            option.boundary_lane
        );
    }
    Ok(())
}

fn join(ids: &[impl std::fmt::Display]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
