//! Case unit tests: lifecycle, evidence semantics, and one test per rejection code showing that
//! a rejected command changes nothing.

mod amend;
mod carry;
mod living;

use super::*;
use crate::approval::{Accept, Declare, Delegate, Review, StandDown};
use crate::digest::Digest;
use crate::error_code::ErrorCode;
use crate::testing::Cast;
use crate::workflow::Workflow;
use chrono::Duration;
use serde_json::{Value, json};

const ATTESTS: [&str; 3] = [
    "blocked_paths_surfaced",
    "irreversibility_surfaced",
    "evidence_lineage_checked",
];

fn t0() -> DateTime<Utc> {
    "2026-11-28T09:00:00Z".parse().unwrap()
}

fn workflow() -> Arc<Workflow> {
    Arc::new(
        Workflow::from_json(include_bytes!(
            "../../workflows/signing-key-compromise.json"
        ))
        .unwrap(),
    )
}

fn case_id() -> CaseId {
    "case-7".into()
}

/// The crate's one hand-driven harness ([`crate::testing::Harness`]): the shipped workflow,
/// the fixed cast, case `case-7` declared at [`t0`].
type World = crate::testing::Harness;

fn world() -> World {
    World::new()
}

/// The shipped workflow under `carry_over: "never"` (DESIGN §15): every draft change is a new
/// revision and voids the sign-offs, as before epochs.
fn world_never() -> World {
    World::open(
        crate::testing::shipped_workflow_carrying(crate::workflow::CarryOver::Never),
        Cast::fixed(),
        "sam.rivera",
        case_id(),
        t0(),
    )
}

use crate::approval::Decision;

/// Where a test pretends the acceptance sits in a journal.
fn jref() -> crate::packet::JournalRef {
    crate::packet::JournalRef {
        seq: 99,
        head: Digest::of_bytes(b"head"),
    }
}

/// Everything observable about a case, to show a rejection changed nothing.
fn snapshot(c: &Case) -> Value {
    json!({
        "status": c.status(),
        "draft": c.draft(),
        "history": c.lane_history(),
        "lineage": c.evidence().lineage(),
        "last_at": c.last_at(),
    })
}

/// Shipped-workflow steps the unit tests share.
impl World {
    fn ready(&mut self) {
        for (f, v) in [
            ("custody.exposure", json!("suspected")),
            ("lineage.desktop_agent_artifacts_in_window", json!(0)),
            ("authority.platform_delegation", json!("active")),
        ] {
            let c = self.finding(f, v);
            self.must(c);
        }
        assert_eq!(self.case.state(), Leaf::Drafted);
    }

    fn quorum(&mut self) {
        let c = self.review("lee.park");
        self.must(c);
        assert_eq!(self.case.state(), Leaf::InReview);
        let c = self.review("ines.duarte");
        self.must(c);
        assert_eq!(self.case.state(), Leaf::AwaitingAcceptance);
    }
}

#[test]
fn happy_path_reaches_accepted_with_a_packet() {
    let mut w = world();
    assert_eq!(w.case.state(), Leaf::Gathering);
    assert!(w.case.packet(jref()).is_none());
    w.ready();
    assert_eq!(w.case.revision(), 1);
    w.quorum();
    assert!(
        w.case.packet(jref()).is_none(),
        "no packet before acceptance"
    );
    let c = w.accept("priya.natarajan");
    w.must(c);
    assert_eq!(w.case.path(), "closed/accepted");
    let p = w.case.packet(jref()).expect("packet in closed/accepted");
    assert_eq!(p.accepted_by().as_str(), "priya.natarajan");
    assert_eq!(p.draft().content.revision, 1);
    assert_eq!(
        p.draft()
            .approvals
            .iter()
            .filter(|a| a.kind == "review")
            .count(),
        2
    );
    assert!(p.draft().timings.accepted_at.is_some());
}

#[test]
fn new_evidence_voids_signoffs_and_sends_the_draft_back() {
    let mut w = world_never();
    w.ready();
    let first = w.case.draft_digest().unwrap();
    let c = w.review("lee.park");
    w.must(c);
    let stale = w.review("ines.duarte"); // minted on the old digest
    let c = w.finding("lineage.internal_packages_in_window", json!(3));
    w.must(c);
    assert_eq!(w.case.state(), Leaf::Drafted);
    assert_eq!(w.case.revision(), 2);
    assert_ne!(w.case.draft_digest().unwrap(), first);
    let Command::Decision { token, .. } = stale else {
        unreachable!()
    };
    let at = w.tick();
    w.refuse(Command::Decision { at, token }, ErrorCode::StaleApproval);
    let draft = w.case.draft().unwrap();
    let voided: Vec<_> = draft.approvals.iter().filter(|a| a.voided).collect();
    assert_eq!(
        voided.len(),
        1,
        "the old sign-off is recorded as void, not deleted"
    );
    assert_eq!(voided[0].issuer.as_str(), "lee.park");
}

#[test]
fn findings_only_raise_the_lane_and_history_keeps_the_cause() {
    let mut w = world();
    w.ready();
    let c = w.finding("custody.exposure", json!("confirmed"));
    w.must(c);
    assert_eq!(
        w.case.recommended_lane().as_str(),
        "executive-cyber-command"
    );
    // A less severe finding disputes the fact but cannot lower the lane.
    let c = w.finding("custody.exposure", json!("not_indicated"));
    w.must(c);
    assert_eq!(
        w.case.recommended_lane().as_str(),
        "executive-cyber-command"
    );
    let draft = w.case.draft().unwrap();
    let fact = &draft.content.facts[&FactKey::from("custody.exposure")];
    assert!(fact.disputed);
    assert_eq!(fact.value.to_string(), "confirmed");
    assert_eq!(draft.content.lineage.count, 5, "every finding is a leaf");
    let custody = &draft.content.lineage.facts[&FactKey::from("custody.exposure")];
    // `ready` reported `suspected`; `confirmed` took over (it sets the value, `suspected` now
    // disputes it) and `not_indicated` disputes it too.
    assert_eq!(custody.findings, 3);
    let values: Vec<String> = custody
        .decisive
        .iter()
        .map(|e| e.finding.value.to_string())
        .collect();
    assert_eq!(values, ["suspected", "confirmed", "not_indicated"]);
    let change = w.case.lane_history().last().unwrap();
    assert_eq!(change.to.as_str(), "executive-cyber-command");
    match &change.cause {
        LaneCause::Finding { fact, rules, .. } => {
            assert_eq!(fact.as_str(), "custody.exposure");
            assert_eq!(rules, &vec![crate::ids::RuleId::from("E3")]);
        }
        other => panic!("unexpected cause {other:?}"),
    }
    let c = w.finding("impact.contractual_disclosure_required", json!(true));
    w.must(c);
    assert_eq!(w.case.recommended_lane().as_str(), "legal-trust-office");
    assert_eq!(w.case.lane_history().len(), 3);
}

#[test]
fn set_lane_redirect_by_the_maximum_lane_owner_lowers_the_lane() {
    let mut w = world();
    w.ready();
    let c = w.finding("custody.exposure", json!("confirmed"));
    w.must(c);
    let seen = w.case.assessment_digest();
    let redirect = |lane: &str| {
        Decision::Redirect(Redirect {
            action: RedirectAction::SetLane {
                lane: lane.into(),
                assessment_digest: seen.clone(),
            },
            reason: "custody evidence retracted by HSM vendor".into(),
        })
    };
    // A lower authority cannot pull the lane down.
    let c = w.decision("priya.natarajan", redirect("platform-security-command"));
    w.refuse(c, ErrorCode::NotAuthorized);
    let c = w.decision("marcus.chen", redirect("platform-security-command"));
    w.must(c);
    assert_eq!(
        w.case.recommended_lane().as_str(),
        "platform-security-command"
    );
    assert!(matches!(
        w.case.lane_history().last().unwrap().cause,
        LaneCause::Redirect { .. }
    ));
    // The acknowledged trigger no longer raises it; a new one does.
    let c = w.finding("impact.customers_affected", json!(40));
    w.must(c);
    assert_eq!(
        w.case.recommended_lane().as_str(),
        "executive-cyber-command"
    );
}

#[test]
fn request_evidence_holds_the_case_in_gathering_until_it_arrives() {
    let mut w = world();
    w.ready();
    let c = w.decision(
        "sam.rivera",
        Decision::Redirect(Redirect {
            action: RedirectAction::RequestEvidence {
                facts: vec!["impact.customers_affected".into()],
            },
            reason: "need customer numbers".into(),
        }),
    );
    w.must(c);
    assert_eq!(w.case.state(), Leaf::Gathering);
    let c = w.review_in_gathering();
    w.refuse(c, ErrorCode::NotAllowedInState);
    let c = w.finding("impact.customers_affected", json!(0));
    w.must(c);
    assert_eq!(w.case.state(), Leaf::Drafted);
}

impl World {
    fn review_in_gathering(&mut self) -> Command {
        self.decision(
            "lee.park",
            Decision::Review(Review {
                packet_digest: Digest::of_bytes(b"none"),
                attests: ATTESTS.iter().map(|a| (*a).into()).collect(),
            }),
        )
    }
}

#[test]
fn delegate_may_accept_while_the_delegation_is_unexpired() {
    let mut w = world();
    w.ready();
    let until = w.now + Duration::seconds(100);
    let c = w.decision(
        "priya.natarajan",
        Decision::Delegate(Delegate {
            lane: "platform-security-command".into(),
            to: "marcus.chen".into(),
            until,
        }),
    );
    w.must(c);
    w.quorum();
    let c = w.accept("marcus.chen");
    w.must(c);
    assert_eq!(w.case.state(), Leaf::Accepted);
}

#[test]
fn expired_delegation_does_not_authorise_acceptance() {
    let mut w = world();
    w.ready();
    let until = w.now + Duration::seconds(15);
    let c = w.decision(
        "priya.natarajan",
        Decision::Delegate(Delegate {
            lane: "platform-security-command".into(),
            to: "marcus.chen".into(),
            until,
        }),
    );
    w.must(c);
    w.quorum();
    let c = w.accept("marcus.chen");
    w.refuse(c, ErrorCode::NotAuthorized);
}

#[test]
fn stand_down_closes_without_a_packet() {
    let mut w = world();
    let c = w.decision(
        "sam.rivera",
        Decision::StandDown(StandDown {
            reason: "false alarm".into(),
        }),
    );
    w.must(c);
    assert_eq!(w.case.path(), "closed/stood_down");
    assert!(w.case.packet(jref()).is_none());
    assert!(w.case.draft().is_none());
}

#[test]
fn replay_rebuilds_the_same_case() {
    let mut w = world();
    let mut log: Vec<(Value, DateTime<Utc>)> = Vec::new();
    let mut run = |w: &mut World, cmd: Command| {
        let events = w.case.decide(&cmd, cmd.at()).unwrap();
        for e in events {
            // `Event` serialises borrowing from itself exactly as its record does.
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                serde_json::to_string(&e.record()).unwrap()
            );
            // Its canonical bytes, written from the typed event, are its value's RFC 8785 form,
            // with and without the supplied-clock mark.
            let mut value = serde_json::to_value(&e).unwrap();
            let mut bytes = Vec::new();
            e.canonical_into(false, &mut bytes);
            assert_eq!(bytes, serde_jcs::to_vec(&value).unwrap());
            value["clock"] = json!("supplied");
            bytes.clear();
            e.canonical_into(true, &mut bytes);
            assert_eq!(bytes, serde_jcs::to_vec(&value).unwrap());
            // A command reads back as itself through `from_json`.
            assert_eq!(
                Command::from_json(&serde_json::to_string(&cmd).unwrap()).unwrap(),
                cmd
            );
            log.push((serde_json::to_value(&e).unwrap(), e.recorded_at()));
            w.case.evolve(e).unwrap();
        }
    };
    for (f, v) in [
        ("custody.exposure", json!("confirmed")),
        ("lineage.desktop_agent_artifacts_in_window", json!(2)),
        ("authority.platform_delegation", json!("active")),
    ] {
        let mut c = w.finding(f, v);
        // A note with every kind of character RFC 8785 escapes or leaves alone.
        if let Command::Finding { finding, .. } = &mut c {
            finding.note = Some("tab\t \"q\" \\ \u{1f} \u{7f} € 😀 </script>".into());
        }
        run(&mut w, c);
    }
    let c = w.review("lee.park");
    run(&mut w, c);
    let c = w.review("ines.duarte");
    run(&mut w, c);
    let c = w.accept("marcus.chen");
    run(&mut w, c);
    assert_eq!(w.case.state(), Leaf::Accepted);

    let mut again = Case::from_genesis(
        workflow(),
        Arc::new(w.cast.trust().clone()),
        w.case.genesis(),
    )
    .unwrap();
    for (e, at) in &log {
        again.replay_event(e, *at).unwrap();
    }
    assert_eq!(snapshot(&again), snapshot(&w.case));
    assert_eq!(
        again.packet(jref()).unwrap().packet_digest(),
        w.case.packet(jref()).unwrap().packet_digest()
    );

    // A recorded event whose token was swapped for one from a key outside the trust fails.
    let outsider = Cast::generate().unwrap();
    let (mut forged, forged_at) = log[3].clone();
    let at: DateTime<Utc> = serde_json::from_value(forged["at"].clone()).unwrap();
    forged["token"] = json!(outsider.token(
        "lee.park",
        &case_id(),
        at,
        Decision::StandDown(StandDown { reason: "x".into() })
    ));
    let mut replayed = Case::from_genesis(
        workflow(),
        Arc::new(w.cast.trust().clone()),
        w.case.genesis(),
    )
    .unwrap();
    for (e, at) in &log[..3] {
        replayed.replay_event(e, *at).unwrap();
    }
    assert!(matches!(
        replayed.replay_event(&forged, forged_at),
        Err(ReplayError::Refused(Rejection::Token(_)))
    ));
}

// ----- one test per rejection code -----

#[test]
fn rejects_invalid_json() {
    assert_eq!(
        Command::from_json("{not json").unwrap_err().code(),
        ErrorCode::InvalidJson
    );
    assert_eq!(
        Command::from_json(r#"{"type": "finding", "at": "2026-11-28T09:00:00Z"}"#)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidJson
    );
    let finding = json!({"type": "finding", "at": "2026-11-28T09:00:00Z",
        "agent": {"role": "custody-evidence", "id": "a"},
        "finding": {"fact": "custody.exposure", "value": "suspected",
            "source": {"system": "s", "record": "r", "digest": format!("sha256:{}", "0".repeat(64))}}});
    assert!(Command::from_json(&finding.to_string()).is_ok());
    // Each kind holds exactly its members: another kind's, an unknown one, a second `at`, a
    // missing or unknown `type` are refused.
    let with = |key: &str, value: Value| {
        let mut c = finding.clone();
        c[key] = value;
        c.to_string()
    };
    let decision = r#"{"type": "decision", "at": "2026-11-28T09:00:00Z", "token": "t", "agent": {"role": "custody-evidence", "id": "a"}}"#;
    let duplicate = finding.to_string().replacen(
        r#""at":"2026-11-28T09:00:00Z""#,
        r#""at":"2026-11-28T09:00:00Z","at":"2026-11-28T09:00:00Z""#,
        1,
    );
    let untyped = {
        let mut c = finding.clone();
        c.as_object_mut().unwrap().remove("type");
        c.to_string()
    };
    for (line, says) in [
        (
            with("token", json!("t")),
            "unknown field `token` in a finding command",
        ),
        (
            decision.to_owned(),
            "unknown field `agent` in a decision command",
        ),
        (with("x", json!(1)), "unknown field `x`"),
        (duplicate, "duplicate field `at`"),
        (untyped, "missing field `type`"),
        (
            with("type", json!("stand_down")),
            "unknown variant `stand_down`",
        ),
    ] {
        let e = Command::from_json(&line).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidJson, "{line}");
        assert!(e.to_string().contains(says), "{line}: {e}");
    }
}

#[test]
fn rejects_token_failures_with_the_verifier_codes() {
    let mut w = world();
    w.ready();
    let at = w.tick();
    let garbage = Command::Decision {
        at,
        token: "a.b".into(),
    };
    w.refuse(garbage, ErrorCode::InvalidToken);
    // Signed for another case.
    let other = w.cast.token(
        "lee.park",
        &"case-other".into(),
        at,
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.refuse(
        Command::Decision { at, token: other },
        ErrorCode::CaseMismatch,
    );
    // Expired at the command's time.
    let old = w.cast.token_with(
        "sam.rivera",
        &case_id(),
        at.timestamp() - 700,
        at.timestamp() - 100,
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.refuse(
        Command::Decision { at, token: old },
        ErrorCode::TokenExpired,
    );
    let long = w.cast.token_with(
        "sam.rivera",
        &case_id(),
        at.timestamp(),
        at.timestamp() + 7200,
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.refuse(
        Command::Decision { at, token: long },
        ErrorCode::TokenLifetimeTooLong,
    );
    let early = w.cast.token_with(
        "sam.rivera",
        &case_id(),
        at.timestamp() + 600,
        at.timestamp() + 900,
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.refuse(
        Command::Decision { at, token: early },
        ErrorCode::TokenNotYetValid,
    );
}

/// Tokens assembled by hand: each verifier failure is refused with its code and changes nothing.
#[test]
fn rejects_forged_and_misdirected_tokens() {
    let mut w = world();
    w.ready();
    let at = w.tick();
    let claims = |aud: &str| {
        json!({"iss": "sam.rivera", "aud": aud, "sub": "case-7", "iat": at.timestamp(),
               "exp": at.timestamp() + 600, "jti": format!("hand-{aud}"),
               "decision": {"kind": "stand_down", "reason": "test"}})
    };
    let signer = &w.cast.member("sam.rivera").unwrap().signer;
    let sign =
        |header: Value, claims: Value| signer.sign_raw(&header, claims.to_string().as_bytes());
    let cases = [
        (
            sign(
                json!({"alg": "none", "kid": "sam-2026"}),
                claims("authority-lane"),
            ),
            ErrorCode::AlgorithmNotAllowed,
        ),
        (
            sign(
                json!({"alg": "HS256", "kid": "sam-2026"}),
                claims("authority-lane"),
            ),
            ErrorCode::AlgorithmNotAllowed,
        ),
        (
            sign(
                json!({"alg": "EdDSA", "kid": "nobody-2026"}),
                claims("authority-lane"),
            ),
            ErrorCode::UnknownKey,
        ),
        (
            sign(
                json!({"alg": "EdDSA", "kid": "lee-2026"}),
                claims("authority-lane"),
            ),
            ErrorCode::UnknownKey,
        ),
        (
            sign(
                json!({"alg": "EdDSA", "kid": "sam-2026"}),
                claims("someone-else"),
            ),
            ErrorCode::AudienceMismatch,
        ),
    ];
    // A valid token with one signature byte flipped.
    let good = sign(
        json!({"alg": "EdDSA", "kid": "sam-2026"}),
        claims("authority-lane"),
    );
    let (head, sig) = good.rsplit_once('.').unwrap();
    let mut sig: Vec<char> = sig.chars().collect();
    sig[3] = if sig[3] == 'A' { 'B' } else { 'A' };
    let forged = format!("{head}.{}", sig.into_iter().collect::<String>());
    for (token, code) in cases {
        w.refuse(Command::Decision { at, token }, code);
    }
    w.refuse(
        Command::Decision { at, token: forged },
        ErrorCode::BadSignature,
    );
    // Signed by a key outside the trust, under the issuer's key id.
    let stranger = crate::approval::Signer::from_seed("sam-2026".into(), [99; 32]);
    let token = stranger.sign_raw(
        &json!({"alg": "EdDSA", "kid": "sam-2026"}),
        claims("authority-lane").to_string().as_bytes(),
    );
    w.refuse(Command::Decision { at, token }, ErrorCode::BadSignature);
}

#[test]
fn rejects_replayed_token() {
    let mut w = world();
    w.ready();
    let c = w.review("lee.park");
    w.must(c.clone());
    let Command::Decision { token, .. } = c else {
        unreachable!()
    };
    let at = w.tick();
    w.refuse(Command::Decision { at, token }, ErrorCode::ReplayedToken);
}

#[test]
fn rejects_stale_approval() {
    let mut w = world();
    w.ready();
    let c = w.decision(
        "lee.park",
        Decision::Review(Review {
            packet_digest: Digest::of_bytes(b"some other draft"),
            attests: ATTESTS.iter().map(|a| (*a).into()).collect(),
        }),
    );
    w.refuse(c, ErrorCode::StaleApproval);
}

#[test]
fn rejects_not_authorized() {
    let mut w = world();
    w.ready();
    let c = w.review("victor.outsider");
    w.refuse(c, ErrorCode::NotAuthorized);
    let c = w.decision(
        "lee.park",
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.refuse(c, ErrorCode::NotAuthorized);
}

#[test]
fn lower_authority_cannot_accept() {
    let mut w = world();
    w.ready();
    let c = w.finding("impact.contractual_disclosure_required", json!(true));
    w.must(c);
    w.quorum();
    let digest = w.case.draft_digest().unwrap();
    let c = w.decision(
        "priya.natarajan",
        Decision::Accept(Accept {
            lane: "platform-security-command".into(),
            packet_digest: digest.clone(),
        }),
    );
    w.refuse(c, ErrorCode::NotAuthorized);
    let c = w.decision(
        "priya.natarajan",
        Decision::Accept(Accept {
            lane: "legal-trust-office".into(),
            packet_digest: digest,
        }),
    );
    w.refuse(c, ErrorCode::NotAuthorized);
    let c = w.accept("dana.okafor");
    w.must(c);
}

#[test]
fn rejects_duplicate_approver() {
    let mut w = world();
    w.ready();
    let c = w.review("lee.park");
    w.must(c);
    let c = w.review("lee.park");
    w.refuse(c, ErrorCode::DuplicateApprover);
}

#[test]
fn quorum_needs_every_required_role() {
    let mut w = world();
    w.ready();
    let c = w.review("lee.park");
    w.must(c);
    let c = w.review("omar.haddad");
    w.must(c);
    assert_eq!(
        w.case.state(),
        Leaf::InReview,
        "two product-security reviewers are not a quorum"
    );
    let c = w.review("ines.duarte");
    w.must(c);
    assert_eq!(w.case.state(), Leaf::AwaitingAcceptance);
}

#[test]
fn rejects_separation_of_duties() {
    let mut w = world();
    w.ready();
    let c = w.finding("impact.contractual_disclosure_required", json!(true));
    w.must(c);
    let c = w.review("lee.park");
    w.must(c);
    let c = w.review("ruth.mensah"); // trust reviewer who also holds legal-trust-office
    w.must(c);
    assert_eq!(w.case.state(), Leaf::AwaitingAcceptance);
    let c = w.accept("ruth.mensah");
    w.refuse(c, ErrorCode::SeparationOfDuties);
    let c = w.accept("dana.okafor");
    w.must(c);
}

#[test]
fn rejects_missing_attestation() {
    let mut w = world();
    w.ready();
    let digest = w.case.draft_digest().unwrap();
    let c = w.decision(
        "lee.park",
        Decision::Review(Review {
            packet_digest: digest,
            attests: vec!["blocked_paths_surfaced".into()],
        }),
    );
    let e = w.refuse(c, ErrorCode::MissingAttestation);
    assert!(e.to_string().contains("irreversibility_surfaced"));
}

#[test]
fn rejects_not_allowed_in_state() {
    let mut w = world();
    let c = w.accept_without_draft();
    w.refuse(c, ErrorCode::NotAllowedInState);
    w.ready();
    let c = w.accept("priya.natarajan");
    w.refuse(c, ErrorCode::NotAllowedInState);
    let c = w.decision(
        "sam.rivera",
        Decision::Declare(Declare {
            scope: "again".into(),
            severity: "sev1".into(),
        }),
    );
    w.refuse(c, ErrorCode::NotAllowedInState);
    w.quorum();
    let c = w.review("omar.haddad");
    w.refuse(c, ErrorCode::NotAllowedInState);
}

impl World {
    fn accept_without_draft(&mut self) -> Command {
        self.decision(
            "priya.natarajan",
            Decision::Accept(Accept {
                lane: "platform-security-command".into(),
                packet_digest: Digest::of_bytes(b"x"),
            }),
        )
    }
}

#[test]
fn rejects_time_regression() {
    let mut w = world();
    let mut c = w.finding("custody.exposure", json!("suspected"));
    w.must(c.clone());
    if let Command::Finding { at, .. } = &mut c {
        *at -= Duration::seconds(1);
    }
    w.refuse(c, ErrorCode::TimeRegression);
}

#[test]
fn rejects_role_not_permitted() {
    let mut w = world();
    let mut c = w.finding("custody.exposure", json!("confirmed"));
    if let Command::Finding { agent, .. } = &mut c {
        agent.role = "impact-assessment".into();
    }
    w.refuse(c, ErrorCode::RoleNotPermitted);
}

#[test]
fn rejects_unknown_fact_and_invalid_value() {
    let mut w = world();
    let mut c = w.finding("custody.exposure", json!("confirmed"));
    if let Command::Finding { finding, .. } = &mut c {
        finding.fact = "custody.vibes".into();
    }
    w.refuse(c, ErrorCode::UnknownFact);
    let c = w.finding("custody.exposure", json!("leaked"));
    w.refuse(c, ErrorCode::InvalidValue);
    let c = w.finding("impact.customers_affected", json!(-3));
    w.refuse(c, ErrorCode::InvalidValue);
}

#[test]
fn rejects_case_closed() {
    let mut w = world();
    let c = w.decision(
        "sam.rivera",
        Decision::StandDown(StandDown { reason: "x".into() }),
    );
    w.must(c);
    let c = w.finding("custody.exposure", json!("confirmed"));
    w.refuse(c, ErrorCode::CaseClosed);
}

#[test]
fn only_security_leadership_declares() {
    let cast = Cast::fixed();
    let token = cast.token(
        "dana.okafor",
        &case_id(),
        t0(),
        Decision::Declare(Declare {
            scope: "x".into(),
            severity: "sev1".into(),
        }),
    );
    let e = Case::open(workflow(), Arc::new(cast.trust().clone()), &token, t0()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAuthorized);
}

// ----- the threat model (DESIGN §12): the submitter does not set the clock -----

impl World {
    /// Applies `cmd` at the time of record `now`; must be refused with `code`, changing nothing.
    fn refuse_at(&mut self, cmd: Command, now: DateTime<Utc>, code: ErrorCode) -> Rejection {
        let before = snapshot(&self.case);
        let err = self
            .case
            .decide(&cmd, now)
            .expect_err("command should be rejected");
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(snapshot(&self.case), before, "rejection changed the case");
        err
    }
}

#[test]
fn rejects_clock_skew_beyond_the_policy_allowance() {
    let mut w = world();
    w.now += Duration::seconds(1000);
    let c = w.finding("custody.exposure", json!("suspected"));
    let observed = c.at();
    // At most 300 s ahead of the time of record is allowed ...
    w.refuse_at(
        c.clone(),
        observed - Duration::seconds(301),
        ErrorCode::ClockSkew,
    );
    let events = w
        .case
        .decide(&c, observed - Duration::seconds(300))
        .unwrap();
    assert_eq!(events[0].recorded_at(), observed - Duration::seconds(300));
    assert_eq!(
        events[0].at(),
        observed,
        "the event keeps the observation time"
    );
}

#[test]
fn tokens_and_delegations_are_judged_at_the_time_of_record() {
    let mut w = world();
    w.ready();
    w.quorum();
    let c = w.accept("priya.natarajan");
    // The token (10 min lifetime) has expired by the time it is recorded, whatever `at` says.
    w.refuse_at(
        c.clone(),
        c.at() + Duration::seconds(600),
        ErrorCode::TokenExpired,
    );
    let events = w.case.decide(&c, c.at() + Duration::seconds(599)).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn rejects_oversized_inputs() {
    let mut w = world();
    let mut c = w.finding("custody.exposure", json!("suspected"));
    if let Command::Finding { finding, .. } = &mut c {
        finding.note = Some("n".repeat(limits::NOTE_BYTES + 1));
    }
    w.refuse(c, ErrorCode::InputTooLarge);
    let mut c = w.finding("custody.exposure", json!("suspected"));
    if let Command::Finding { finding, .. } = &mut c {
        finding.source.record = "r".repeat(limits::ID_BYTES + 1);
    }
    w.refuse(c, ErrorCode::InputTooLarge);
    let at = w.tick();
    w.refuse(
        Command::Decision {
            at,
            token: "a".repeat(limits::TOKEN_BYTES + 1),
        },
        ErrorCode::InputTooLarge,
    );
    let line = format!("{{\"pad\":\"{}\"}}", "x".repeat(limits::COMMAND_BYTES));
    assert_eq!(
        Command::from_json(&line).unwrap_err().code(),
        ErrorCode::InputTooLarge
    );
}

#[test]
fn counts_are_i_json() {
    let mut w = world();
    let c = w.finding(
        "custody.rogue_signatures_observed",
        json!(crate::workflow::MAX_COUNT + 1),
    );
    w.refuse(c, ErrorCode::InvalidValue);
    let c = w.finding(
        "custody.rogue_signatures_observed",
        json!(crate::workflow::MAX_COUNT),
    );
    w.must(c);
}

#[test]
fn attestations_must_be_exactly_the_policy_set() {
    let mut w = world();
    w.ready();
    let digest = w.case.draft_digest().unwrap();
    for attests in [
        vec![ATTESTS[0], ATTESTS[1], ATTESTS[2], ATTESTS[2]],
        vec![ATTESTS[0], ATTESTS[1], ATTESTS[2], "vibes_checked"],
    ] {
        let c = w.decision(
            "lee.park",
            Decision::Review(Review {
                packet_digest: digest.clone(),
                attests: attests.iter().map(|a| (*a).into()).collect(),
            }),
        );
        w.refuse(c, ErrorCode::MissingAttestation);
    }
}

#[test]
fn delegations_go_to_someone_else_for_a_bounded_time() {
    let mut w = world();
    w.ready();
    let delegate = |w: &mut World, to: &str, secs: i64| {
        let until = w.now + Duration::seconds(10 + secs);
        w.decision(
            "priya.natarajan",
            Decision::Delegate(Delegate {
                lane: "platform-security-command".into(),
                to: to.into(),
                until,
            }),
        )
    };
    // `not_authorized`, with the typed cause.
    let c = delegate(&mut w, "priya.natarajan", 3600);
    let err = w.refuse(c, ErrorCode::NotAuthorized);
    assert!(
        matches!(
            &err,
            Rejection::NotAuthorized {
                needed: Needed::AnotherPrincipal,
                ..
            }
        ),
        "{err:?}"
    );
    let c = delegate(&mut w, "marcus.chen", 604_801);
    let err = w.refuse(c, ErrorCode::NotAuthorized);
    assert!(
        matches!(
            &err,
            Rejection::NotAuthorized {
                needed: Needed::ShorterDelegation {
                    longest_secs: 604_800,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    let c = delegate(&mut w, "marcus.chen", 604_800);
    w.must(c);
}

fn redirect(action: RedirectAction) -> Decision {
    Decision::Redirect(Redirect {
        action,
        reason: "weighed".into(),
    })
}

#[test]
fn set_lane_is_bound_to_the_assessment_its_signer_saw() {
    let mut w = world();
    w.ready();
    let c = w.finding("lineage.desktop_agent_artifacts_in_window", json!(3));
    w.must(c);
    let seen = w.case.assessment_digest();
    let held = w.decision(
        "marcus.chen",
        redirect(RedirectAction::SetLane {
            lane: "platform-security-command".into(),
            assessment_digest: seen,
        }),
    );
    let c = w.finding("custody.rogue_signatures_observed", json!(412));
    w.must(c);
    // Held, then recorded after the evidence it never saw.
    let now = w.now;
    let err = w.refuse_at(held, now, ErrorCode::StaleApproval);
    assert!(err.to_string().contains("status shows"), "{err}");
}

#[test]
fn only_a_holder_lowers_the_lane_below_the_case_maximum() {
    let mut w = world();
    w.ready();
    let c = w.finding("lineage.desktop_agent_artifacts_in_window", json!(3));
    w.must(c);
    let until = w.now + Duration::seconds(3000);
    let c = w.decision(
        "marcus.chen",
        Decision::Delegate(Delegate {
            lane: "executive-cyber-command".into(),
            to: "priya.natarajan".into(),
            until,
        }),
    );
    w.must(c);
    let seen = w.case.assessment_digest();
    let c = w.decision(
        "priya.natarajan",
        redirect(RedirectAction::SetLane {
            lane: "platform-security-command".into(),
            assessment_digest: seen,
        }),
    );
    w.refuse(c, ErrorCode::NotAuthorized);
}

#[test]
fn exclusions_need_the_boundary_owner_and_keep_one_option() {
    let mut w = world();
    w.ready();
    assert_eq!(
        w.case.recommended_lane().as_str(),
        "platform-security-command"
    );
    let exclude = |w: &mut World, who: &str, option: &str| {
        let seen = w.case.assessment_digest();
        w.decision(
            who,
            redirect(RedirectAction::ExcludeOption {
                option: option.into(),
                assessment_digest: seen,
            }),
        )
    };
    // A platform holder may not take the legal office's options off the table.
    let c = exclude(&mut w, "priya.natarajan", "contractual-disclosure");
    w.refuse(c, ErrorCode::NotAuthorized);
    // The legal office may, down to one option.
    loop {
        let options: Vec<String> = w
            .case
            .assessment()
            .options
            .iter()
            .map(|o| o.id.to_string())
            .collect();
        if options.len() == 1 {
            let c = exclude(&mut w, "dana.okafor", &options[0]);
            w.refuse(c, ErrorCode::NotAuthorized);
            break;
        }
        let c = exclude(&mut w, "dana.okafor", &options[0]);
        w.must(c);
    }
    assert_eq!(w.case.assessment().options.len(), 1);
}

/// Issue 8's stale-clone attack: a review decided on a stale clone of the case (signed against
/// the draft that clone still shows) must not count as a sign-off on the live case's new
/// revision. `evolve` refuses the event: it was decided against another state.
#[test]
fn an_event_decided_on_a_stale_clone_is_refused_by_the_live_case() {
    let mut w = world();
    w.ready();
    let stale = w.case.clone();
    let stale_digest = stale.draft_digest().unwrap();
    // The live case moves on: new evidence, a new revision, a new digest.
    let c = w.finding("custody.exposure", json!("confirmed"));
    w.must(c);
    assert_ne!(w.case.draft_digest().unwrap(), stale_digest);
    let revision = w.case.revision();
    // A review signed against the old digest is valid on the stale clone…
    let review = w.decision(
        "lee.park",
        Decision::Review(Review {
            packet_digest: stale_digest,
            attests: ATTESTS.iter().map(|a| (*a).into()).collect(),
        }),
    );
    let mut events = stale.decide(&review, review.at()).unwrap();
    let event = events.pop().unwrap();
    // …and the live case refuses it, changing nothing.
    let before = snapshot(&w.case);
    let err = w.case.evolve(event).unwrap_err();
    assert_eq!(err.code(), ErrorCode::StaleEvent);
    assert_eq!(err.case_at, err.decided_at + 1, "{err}");
    assert_eq!(snapshot(&w.case), before, "a refused event changes nothing");
    assert_eq!(w.case.status().signoffs, 0);
    assert_eq!(w.case.revision(), revision);
    // Decided against the live case, the same token is refused as stale.
    w.refuse(review, ErrorCode::StaleApproval);
}

/// Two events decided against the same state: the second is stale once the first applied.
#[test]
fn an_event_applies_once_to_the_state_it_was_decided_against() {
    let mut w = world();
    let c = w.finding("custody.exposure", json!("suspected"));
    let first = w.case.decide(&c, c.at()).unwrap().pop().unwrap();
    let second = w.case.decide(&c, c.at()).unwrap().pop().unwrap();
    w.case.evolve(first).unwrap();
    assert_eq!(
        w.case.evolve(second).unwrap_err().code(),
        ErrorCode::StaleEvent
    );
}
