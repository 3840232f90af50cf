//! DESIGN §15 decision epochs: under `review.carry_over: "decision_unchanged"` sign-offs survive
//! findings that leave the decision unchanged, a review or acceptance may name any remembered
//! draft of the epoch, and a decision change voids them; under `never` nothing of this happens.

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

/// Ready for review, with `lineage.internal_packages_in_window` known (3).
fn drafted(h: &mut Harness) {
    for (f, v) in [
        ("custody.exposure", json!("suspected")),
        ("lineage.desktop_agent_artifacts_in_window", json!(0)),
        ("authority.platform_delegation", json!("active")),
        ("lineage.internal_packages_in_window", json!(3)),
    ] {
        let c = h.finding(f, v);
        h.must(c);
    }
    assert_eq!(h.case.state(), Leaf::Drafted);
}

/// A finding that repeats the resolved value of `internal_packages` from another record.
fn corroboration(h: &mut Harness, n: usize) -> Command {
    let mut c = h.finding("lineage.internal_packages_in_window", json!(3));
    if let Command::Finding { finding, .. } = &mut c {
        finding.source.record = format!("corroboration-{n}");
    }
    c
}

/// A review by `who` naming `digest`.
fn review_of(h: &mut Harness, who: &str, digest: &Digest) -> Command {
    let attests = h.case.workflow().review().attestations.clone();
    h.decision(
        who,
        crate::approval::Decision::Review(crate::approval::Review {
            packet_digest: digest.clone(),
            attests,
        }),
    )
}

fn accept_of(h: &mut Harness, who: &str, digest: &Digest) -> Command {
    let lane = h.case.recommended_lane().clone();
    h.decision(
        who,
        crate::approval::Decision::Accept(crate::approval::Accept {
            lane,
            packet_digest: digest.clone(),
        }),
    )
}

#[test]
fn findings_that_change_no_decision_keep_the_signoffs_and_old_drafts_stay_nameable() {
    let mut h = harness(CarryOver::DecisionUnchanged);
    drafted(&mut h);
    let first = h.case.draft_digest().unwrap();
    let decision = h.case.decision_digest().unwrap();
    let c = h.review("lee.park");
    h.must(c);
    assert_eq!(h.case.state(), Leaf::InReview);
    for n in 0..200 {
        let c = corroboration(&mut h, n);
        h.must(c);
        assert_eq!(h.case.state(), Leaf::InReview, "after corroboration {n}");
    }
    assert_ne!(h.case.draft_digest().unwrap(), first, "the draft moved on");
    assert_eq!(
        h.case.decision_digest().unwrap(),
        decision,
        "the decision did not"
    );
    assert_eq!(h.case.status().signoffs, 1, "the sign-off is carried");
    // A second reviewer signs the draft 200 findings old: the quorum is reached.
    let c = review_of(&mut h, "ines.duarte", &first);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::AwaitingAcceptance);
    let middle = h.case.draft_digest().unwrap();
    for n in 200..260 {
        let c = corroboration(&mut h, n);
        h.must(c);
    }
    assert_eq!(h.case.state(), Leaf::AwaitingAcceptance);
    let c = accept_of(&mut h, "priya.natarajan", &middle);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Accepted);
    let packet = h.case.packet(crate::packet::JournalRef {
        seq: 1,
        head: Digest::of_bytes(b"head"),
    });
    let packet = packet.expect("accepted");
    assert_eq!(packet.draft().decision_digest, decision);
    let signed: Vec<_> = packet
        .draft()
        .approvals
        .iter()
        .filter(|a| a.kind != "declare")
        .map(|a| (a.kind.as_str(), a.voided, a.signed.clone().unwrap()))
        .collect();
    assert_eq!(signed.len(), 3);
    assert!(signed.iter().all(|(_, voided, _)| !voided));
    assert_eq!(signed[0].2.draft_digest, first);
    assert_eq!(signed[1].2.draft_digest, first);
    assert_eq!(signed[2].2.draft_digest, middle);
    assert_eq!(signed[0].2.lineage.count, 4);
    assert_eq!(signed[2].2.lineage.count, 204);
    assert_eq!(packet.draft().content.lineage.count, 264);
}

#[test]
fn a_decision_change_voids_the_epochs_signoffs_and_its_drafts() {
    let mut h = harness(CarryOver::DecisionUnchanged);
    drafted(&mut h);
    let first = h.case.draft_digest().unwrap();
    let c = h.review("lee.park");
    h.must(c);
    let c = corroboration(&mut h, 0);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::InReview);
    // Another value disputes the resolved one: the decision (its dispute mark) changes.
    let c = h.finding("lineage.internal_packages_in_window", json!(1));
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Drafted);
    assert_eq!(h.case.status().signoffs, 0);
    let draft = h.case.draft().unwrap();
    assert!(
        draft
            .approvals
            .iter()
            .any(|a| a.kind == "review" && a.voided),
        "the voided sign-off is recorded"
    );
    // The old epoch's drafts can no longer be named.
    let c = review_of(&mut h, "ines.duarte", &first);
    h.refuse(c, ErrorCode::StaleApproval);
}

#[test]
fn under_never_any_new_finding_voids_as_before() {
    let mut h = harness(CarryOver::Never);
    drafted(&mut h);
    let first = h.case.draft_digest().unwrap();
    let c = h.review("lee.park");
    h.must(c);
    let c = corroboration(&mut h, 0);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::Drafted);
    assert_eq!(h.case.status().signoffs, 0);
    let c = review_of(&mut h, "ines.duarte", &first);
    h.refuse(c, ErrorCode::StaleApproval);
    // Nothing of the epoch is written: images and approvals are as before epochs.
    assert!(h.case.image().epoch_is_absent());
    assert!(
        h.case
            .draft()
            .unwrap()
            .approvals
            .iter()
            .all(|a| a.signed.is_none())
    );
}

#[test]
fn drafts_older_than_the_epoch_window_are_stale() {
    let mut h = harness(CarryOver::DecisionUnchanged);
    drafted(&mut h);
    let first = h.case.draft_digest().unwrap();
    for n in 0..EPOCH_DRAFTS {
        let c = corroboration(&mut h, n);
        h.must(c);
    }
    // The epoch remembers its base and the findings after it: EPOCH_DRAFTS versions.
    assert_eq!(h.case.epoch.later.len() + 1, EPOCH_DRAFTS);
    let c = review_of(&mut h, "lee.park", &first);
    h.refuse(c, ErrorCode::StaleApproval);
    let base = h.case.epoch.base.clone().expect("carrying keeps a base");
    let oldest = h.case.content_with(&base).digest().unwrap();
    let c = review_of(&mut h, "lee.park", &oldest);
    h.must(c);
}

#[test]
fn an_image_keeps_the_epoch_and_replays_to_the_same_case() {
    let mut h = harness(CarryOver::DecisionUnchanged);
    drafted(&mut h);
    let first = h.case.draft_digest().unwrap();
    let c = h.review("lee.park");
    h.must(c);
    for n in 0..5 {
        let c = corroboration(&mut h, n);
        h.must(c);
    }
    let checkpoint = h.case.checkpoint();
    let image: super::super::image::CaseImage = serde_json::from_slice(&checkpoint.image).unwrap();
    let (workflow, trust) = h.case.shared();
    let opened = Case::from_genesis(workflow, trust, h.case.genesis()).unwrap();
    let restored = Case::from_image(opened, image).unwrap();
    assert_eq!(restored.checkpoint().state, checkpoint.state);
    assert_eq!(restored.status(), h.case.status());
    // The restored case (its decision known by digest only) still carries a finding that
    // changes nothing, and takes a review naming the epoch's first draft.
    h.case = restored;
    let c = corroboration(&mut h, 99);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::InReview);
    let c = review_of(&mut h, "ines.duarte", &first);
    h.must(c);
    assert_eq!(h.case.state(), Leaf::AwaitingAcceptance);
}
