//! DESIGN §15 after an acceptance: under `carry_over: "decision_unchanged"` a finding that
//! leaves the accepted decision as it was is recorded beside the unchanged packet, one that
//! changes it reopens the case as the next revision; images keep all of it. Under `never` an
//! accepted case takes nothing.

use super::super::*;
use crate::error_code::ErrorCode;
use crate::testing::{Cast, Harness};
use crate::workflow::CarryOver;
use serde_json::json;

fn harness(carry: CarryOver) -> Harness {
    Harness::open(
        crate::testing::shipped_workflow_carrying(carry),
        Cast::fixed(),
        "sam.rivera",
        "case-7".into(),
        "2026-11-28T09:00:00Z".parse().unwrap(),
    )
}

fn jref() -> crate::packet::JournalRef {
    crate::packet::JournalRef {
        seq: 9,
        head: Digest::of_bytes(b"head"),
    }
}

/// Accepted for executive cyber command, internal packages known (3).
fn accepted(carry: CarryOver) -> Harness {
    let mut h = harness(carry);
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(3)),
        ("authority.platform_delegation", json!("active")),
        ("lineage.internal_packages_in_window", json!(3)),
    ] {
        let c = h.finding(f, v);
        h.must(c);
    }
    for who in ["lee.park", "ines.duarte"] {
        let c = h.review(who);
        h.must(c);
    }
    let c = h.accept("marcus.chen");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Accepted);
    if carry == CarryOver::DecisionUnchanged {
        assert_eq!(h.case.revision(), 1, "one decision put to the owner");
    }
    h
}

fn packet_json(h: &Harness) -> String {
    serde_json::to_string(&h.case.packet(jref()).expect("accepted")).unwrap()
}

fn repeat(h: &mut Harness, n: usize) -> Command {
    let mut c = h.finding("lineage.internal_packages_in_window", json!(3));
    if let Command::Finding { finding, .. } = &mut c {
        finding.source.record = format!("repeat-{n}");
    }
    c
}

/// The escalation: contractual disclosure required raises the lane to the legal office.
fn escalation(h: &mut Harness) -> Command {
    h.finding("impact.contractual_disclosure_required", json!(true))
}

/// The image round trip: the restored case has the same checkpoint and status, and takes the
/// next command exactly as the original does.
fn round_trip(h: &Harness, next: impl Fn(&mut Harness) -> Command) {
    let checkpoint = h.case.checkpoint();
    let image = serde_json::from_slice(&checkpoint.image).unwrap();
    let (workflow, trust) = h.case.shared();
    let opened = Case::from_genesis(workflow, trust, h.case.genesis()).unwrap();
    let restored = Case::from_image(opened, image).expect("the image restores");
    assert_eq!(restored.checkpoint().state, checkpoint.state);
    assert_eq!(restored.status(), h.case.status());
    assert_eq!(
        restored.packet(jref()).map(|p| p.packet_digest().clone()),
        h.case.packet(jref()).map(|p| p.packet_digest().clone())
    );
    let mut a = Harness {
        cast: Cast::fixed(),
        case: h.case.clone(),
        now: h.now,
    };
    let mut b = Harness {
        cast: Cast::fixed(),
        case: restored,
        now: h.now,
    };
    let (ca, cb) = (next(&mut a), next(&mut b));
    a.must(ca);
    b.must(cb);
    assert_eq!(a.case.checkpoint().state, b.case.checkpoint().state);
}

#[test]
fn a_finding_that_changes_nothing_is_kept_beside_the_unchanged_packet() {
    let mut h = accepted(CarryOver::DecisionUnchanged);
    let before = packet_json(&h);
    for n in 0..3 {
        let c = repeat(&mut h, n);
        h.must(c);
    }
    assert_eq!(h.case.state(), Leaf::Accepted);
    assert_eq!(h.case.findings_since_acceptance(), 3);
    assert_eq!(
        packet_json(&h),
        before,
        "the packet is byte for byte the same"
    );
    let status = h.case.status();
    assert_eq!(status.findings_since_acceptance, 3);
    assert_eq!(status.lineage.map(|l| l.count), Some(7));
    round_trip(&h, escalation);
    // A decision is refused: the case is closed to them.
    let c = h.review("lee.park");
    h.refuse(c, ErrorCode::CaseClosed);
}

#[test]
fn a_finding_that_changes_the_decision_reopens_the_case_as_the_next_revision() {
    let mut h = accepted(CarryOver::DecisionUnchanged);
    let first = h.case.packet(jref()).unwrap().packet_digest().clone();
    let c = escalation(&mut h);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Drafted);
    assert_eq!(h.case.revision(), 2);
    assert_eq!(h.case.recommended_lane().as_str(), "legal-trust-office");
    let prior = h.case.prior_revisions();
    assert_eq!(prior.len(), 1);
    assert_eq!(prior[0].revision, 1);
    assert_eq!(prior[0].packet_digest, first);
    assert_eq!(prior[0].lane.as_str(), "executive-cyber-command");
    assert_eq!(prior[0].accepted_by.as_str(), "marcus.chen");
    let reopened = h.case.status().reopened.expect("reopened");
    assert_eq!(reopened.from_revision, 1);
    assert_eq!(reopened.packet_digest, first);
    let crate::packet::ReopenCause::Finding { index, fact, .. } = &reopened.cause else {
        panic!("reopened by a finding: {:?}", reopened.cause);
    };
    assert_eq!(
        (*index, fact.as_str()),
        (4, "impact.contractual_disclosure_required")
    );
    let draft = h.case.draft().unwrap();
    // Revision 1's sign-offs are superseded, not voided; none counts for revision 2.
    assert!(draft.approvals.iter().all(|a| !a.voided));
    assert_eq!(h.case.status().signoffs, 0);
    assert_eq!(draft.stability.revisions, 2);
    assert_eq!(draft.stability.voided_signoffs, 0);
    assert_eq!(draft.content.prior_revisions, prior.to_vec());
    round_trip(&h, |h| h.review("lee.park"));

    // Revision 2 is reviewed and accepted by the new owner; its packet lists revision 1.
    for who in ["lee.park", "ines.duarte"] {
        let c = h.review(who);
        h.must(c);
    }
    let c = h.accept("marcus.chen");
    h.refuse(c, ErrorCode::NotAuthorized);
    let c = h.accept("dana.okafor");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Accepted);
    let packet = h.case.packet(jref()).unwrap();
    assert_eq!(packet.draft().content.revision, 2);
    assert_eq!(packet.draft().content.prior_revisions.len(), 1);
    assert_eq!(packet.accepted_by().as_str(), "dana.okafor");
    round_trip(&h, |h| repeat(h, 9));
}

#[test]
fn under_never_an_accepted_case_takes_nothing() {
    let mut h = accepted(CarryOver::Never);
    let before = packet_json(&h);
    let c = repeat(&mut h, 0);
    h.refuse(c, ErrorCode::CaseClosed);
    let c = escalation(&mut h);
    h.refuse(c, ErrorCode::CaseClosed);
    assert_eq!(packet_json(&h), before);
    assert_eq!(h.case.findings_since_acceptance(), 0);
    assert!(h.case.prior_revisions().is_empty());
    let draft = h.case.packet(jref()).unwrap().draft().clone();
    assert!(draft.content.reopened.is_none());
    assert_eq!(draft.stability.carried_signoffs, 0);
    assert!(draft.approvals.iter().all(|a| a.signed.is_none()));
}

#[test]
fn an_image_whose_accepted_evidence_is_not_the_cases_prefix_is_refused() {
    let mut h = accepted(CarryOver::DecisionUnchanged);
    let c = repeat(&mut h, 0);
    h.must(c);
    let mut image: serde_json::Value = serde_json::from_slice(&h.case.checkpoint().image).unwrap();
    // Claim that the acceptance saw more findings than the case has.
    let count = image["evidence"]["count"].as_u64().unwrap();
    image["accepted"]["evidence"] = image["evidence"].clone();
    image["accepted"]["evidence"]["count"] = json!(count + 1);
    let (workflow, trust) = h.case.shared();
    let opened = Case::from_genesis(workflow, trust, h.case.genesis()).unwrap();
    let parsed = serde_json::from_value(image);
    assert!(
        parsed.is_err() || Case::from_image(opened, parsed.unwrap()).is_err(),
        "a forged accepted evidence is refused"
    );
}

#[test]
fn an_image_taken_in_gathering_after_a_draft_restores() {
    // The snapshot property's counterexample: a draft, a redirect asking for evidence (back to
    // gathering), then a finding that is not the one asked for. The epoch of the last draft
    // no longer replays to the case's evidence, and need not: nothing can name its drafts.
    let mut h = accepted(CarryOver::DecisionUnchanged);
    let c = escalation(&mut h);
    h.must(c);
    let c = h.decision(
        "sam.rivera",
        crate::approval::Decision::Redirect(crate::approval::Redirect {
            action: crate::approval::RedirectAction::RequestEvidence {
                facts: vec!["custody.rogue_signatures_observed".into()],
            },
            reason: "need telemetry".into(),
        }),
    );
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Gathering);
    let c = repeat(&mut h, 1);
    h.must(c);
    round_trip(&h, |h| {
        h.finding("custody.rogue_signatures_observed", json!(0))
    });
}

/// Restores `image` into a fresh case opened from `h`'s genesis: `Err` when refused.
fn restore(h: &Harness, image: serde_json::Value) -> Result<(), String> {
    let (workflow, trust) = h.case.shared();
    let opened = Case::from_genesis(workflow, trust, h.case.genesis()).unwrap();
    let image = serde_json::from_value(image).map_err(|e| e.to_string())?;
    Case::from_image(opened, image)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn an_image_with_counters_beyond_2_53_is_refused() {
    // Found by the case_image fuzz target: a version near 2^64 restored, and the case's next
    // checkpoint could not be written.
    let mut h = accepted(CarryOver::DecisionUnchanged);
    let c = repeat(&mut h, 0);
    h.must(c);
    let image: serde_json::Value = serde_json::from_slice(&h.case.checkpoint().image).unwrap();
    assert!(
        restore(&h, image.clone()).is_ok(),
        "the honest image restores"
    );
    for (key, value) in [
        ("version", json!(u64::MAX - 1)),
        ("revision", json!(crate::digest::MAX_SAFE_INTEGER + 1)),
    ] {
        let mut forged = image.clone();
        forged[key] = value;
        assert!(
            restore(&h, forged).is_err(),
            "{key} beyond 2^53 - 1 is refused"
        );
    }
}

#[test]
fn an_image_whose_source_counts_overflow_is_refused() {
    // Found by the case_image fuzz target: per-source counts summing past u64::MAX panicked
    // (debug) or wrapped to the findings count (release).
    fn forge(v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::Object(map)
                if map.contains_key("sources") && map.contains_key("findings") =>
            {
                map.insert("sources".into(), json!({"a": u64::MAX, "b": 2}));
                map.insert("other_sources".into(), json!(0));
                map.insert("findings".into(), json!(1));
                true
            }
            serde_json::Value::Object(map) => map.values_mut().any(forge),
            serde_json::Value::Array(items) => items.iter_mut().any(forge),
            _ => false,
        }
    }
    let h = accepted(CarryOver::DecisionUnchanged);
    let mut image: serde_json::Value = serde_json::from_slice(&h.case.checkpoint().image).unwrap();
    assert!(forge(&mut image), "the image has a fact trail");
    assert!(restore(&h, image).is_err());
}

#[test]
fn status_says_what_an_open_draft_waits_for() {
    let mut h = harness(CarryOver::DecisionUnchanged);
    assert!(
        h.case.status().awaiting.is_none(),
        "gathering: no draft yet"
    );
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(3)),
        ("authority.platform_delegation", json!("active")),
    ] {
        let c = h.finding(f, v);
        h.must(c);
    }
    let roles = |h: &Harness| {
        let a = h.case.status().awaiting.expect("a draft is open");
        let roles: Vec<String> = a.roles_to_sign.iter().map(|r| r.to_string()).collect();
        (a.signoffs_to_quorum, roles, a.may_accept)
    };
    let marcus = vec![crate::ids::PrincipalId::from("marcus.chen")];
    assert_eq!(
        roles(&h),
        (
            2,
            vec![
                "product-security-reviewer".to_owned(),
                "trust-reviewer".to_owned()
            ],
            marcus.clone()
        )
    );
    let c = h.review("omar.haddad");
    h.must(c);
    assert_eq!(
        roles(&h),
        (1, vec!["trust-reviewer".to_owned()], marcus.clone())
    );
    // A second product-security reviewer reaches the count but not the trust-reviewer role.
    let c = h.review("lee.park");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::InReview);
    assert_eq!(
        roles(&h),
        (0, vec!["trust-reviewer".to_owned()], marcus.clone())
    );
    let c = h.review("ines.duarte");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::AwaitingAcceptance);
    assert_eq!(roles(&h), (0, vec![], marcus));
    let a = h.case.status().awaiting.unwrap();
    assert_eq!(a.attestations, h.case.workflow().review().attestations);
    let c = h.accept("marcus.chen");
    h.must(c);
    assert!(
        h.case.status().awaiting.is_none(),
        "accepted: nothing awaited"
    );
}
