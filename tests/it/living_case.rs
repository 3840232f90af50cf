//! DESIGN §15 through the CLI, on the shipped workflow (`review.carry_over:
//! "decision_unchanged"`): a review survives 1,000 findings that change no decision, a dispute
//! voids it, an acceptance may name a draft 500 findings old in the same epoch, every
//! sign-off's lineage is a prefix of the accepted one (`lineage --consistency`), and after the
//! acceptance a finding that changes nothing leaves the packet as it was while one that changes
//! the decision reopens the case, whose first packet `packet --revision 1` still prints.
//! `.ci/check_living_case.py` runs the same story with PyJWT tokens.

use crate::support;

use authority_lane::lineage::proof::{ConsistencyProof, LineageHead};
use serde_json::{Value, json};
use support::*;

/// `n` findings that repeat `lineage.internal_packages_in_window` = 12 from new records.
fn corroborations(at: i64, from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| {
            finding(
                at,
                "lineage-agent-2",
                "lineage.internal_packages_in_window",
                json!(12),
                &format!("lineage/corroboration/{i}"),
                "the same count from another inventory run",
            )
        })
        .collect()
}

/// A case with a draft (executive cyber command) in which internal packages are known (12).
fn drafted() -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    let mut commands = required_findings(T0 + 60);
    commands.extend(corroborations(T0 + 200, 0, 1));
    fx.apply_ok(&commands);
    assert_eq!(fx.status()["state"], "drafted");
    fx
}

fn decide(fx: &Fixture, at: i64, who: &Principal, decision: Value) -> Value {
    let out = fx.apply_ok(&[support::decision(at, &token(who, at, decision))]);
    out.into_iter().next().expect("one line per command")
}

#[test]
fn a_review_survives_a_thousand_findings_that_change_no_decision_and_the_acceptance_names_an_older_draft()
 {
    let fx = drafted();
    let first = fx.status();
    let reviewed = first["draft_digest"].as_str().unwrap().to_owned();
    decide(&fx, T0 + 300, &LEE, review(&reviewed));
    fx.apply_ok(&corroborations(T0 + 400, 1, 1000));
    let after = fx.status();
    assert_eq!(after["state"], "in_review", "{after}");
    assert_eq!(after["signoffs"], 1);
    assert_eq!(after["decision_digest"], first["decision_digest"]);
    assert_ne!(after["draft_digest"], first["draft_digest"]);
    assert_eq!(after["findings"], 1004);

    // The trust reviewer signs the current draft; 500 more findings; the owner of executive
    // cyber command accepts naming the draft the trust reviewer signed, 500 findings old.
    let signed = after["draft_digest"].as_str().unwrap().to_owned();
    decide(&fx, T0 + 500, &INES, review(&signed));
    assert_eq!(fx.status()["state"], "awaiting_acceptance");
    fx.apply_ok(&corroborations(T0 + 600, 1001, 500));
    assert_eq!(fx.status()["state"], "awaiting_acceptance");
    decide(
        &fx,
        T0 + 700,
        &MARCUS,
        accept("executive-cyber-command", &signed),
    );
    assert_eq!(fx.status()["state"], "accepted");
    assert!(fx.verify().status.success(), "{}", describe(&fx.verify()));

    let packet: Value = serde_json::from_str(&ok(&run(&fx.anchored(&["packet"]), None))).unwrap();
    let accepted = LineageHead {
        count: packet["lineage"]["count"].as_u64().unwrap(),
        root: packet["lineage"]["root"].as_str().unwrap().parse().unwrap(),
    };
    assert_eq!(accepted.count, 1504);
    let approvals = packet["approvals"].as_array().unwrap();
    let signers: Vec<(&str, u64)> = approvals
        .iter()
        .filter(|a| a["kind"] != "declare")
        .map(|a| {
            assert_eq!(a["voided"], false, "{a}");
            (
                a["signed"]["draft_digest"].as_str().unwrap(),
                a["signed"]["lineage"]["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        signers,
        [
            (reviewed.as_str(), 4),
            (signed.as_str(), 1004),
            (signed.as_str(), 1004)
        ]
    );
    // The accepted packet carries, per sign-off, the proof that the lineage it signed is a
    // prefix of the accepted one: it verifies with the crate's checker and the README's
    // recipe, and fails relabelled.
    let proofs = packet["consistency"].as_array().unwrap();
    assert_eq!(proofs.len(), 3);
    let recipe = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.ci/check_consistency_proof.py"
    );
    for c in proofs {
        let proof: ConsistencyProof = serde_json::from_value(c["proof"].clone()).unwrap();
        proof.check(&proof.from, &accepted).unwrap();
        let file = fx.path("signoff-consistency.json");
        std::fs::write(&file, c["proof"].to_string()).unwrap();
        let check = |from: &LineageHead| {
            std::process::Command::new("python3")
                .args([recipe, "--check", file.to_str().unwrap()])
                .args([&from.count.to_string(), from.root.as_str()])
                .args([&accepted.count.to_string(), accepted.root.as_str()])
                .output()
                .unwrap()
                .status
                .success()
        };
        assert!(check(&proof.from), "the README recipe refuses {c}");
        let mut relabelled = c["proof"].clone();
        relabelled["from"]["count"] = json!(proof.from.count + 1);
        std::fs::write(&file, relabelled.to_string()).unwrap();
        let claimed = LineageHead {
            count: proof.from.count + 1,
            ..proof.from.clone()
        };
        assert!(!check(&claimed), "a relabelled proof verifies");
    }
    // Every sign-off saw a prefix of the accepted lineage (lineage --consistency agrees).
    for a in approvals.iter().filter(|a| a["kind"] != "declare") {
        let from: LineageHead = serde_json::from_value(a["signed"]["lineage"].clone()).unwrap();
        let out = ok(&run(
            &[
                "lineage",
                "--journal",
                fx.j(),
                "--consistency",
                &from.count.to_string(),
            ],
            None,
        ));
        let proof = ConsistencyProof::from_json(out.as_bytes()).unwrap();
        proof.check(&from, &accepted).unwrap();
    }
    after_acceptance(&fx, &packet_text(&fx, &[]));
}

fn packet_text(fx: &Fixture, extra: &[&str]) -> String {
    let mut args = vec!["packet"];
    args.extend_from_slice(extra);
    ok(&run(&fx.anchored(&args), None))
}

/// A finding that changes nothing is kept beside the accepted packet; one that changes the
/// decision reopens the case as revision 2, and revision 1's packet stays printable.
fn after_acceptance(fx: &Fixture, first: &str) {
    fx.apply_ok(&corroborations(T0 + 800, 5000, 1));
    let s = fx.status();
    assert_eq!(s["state"], "accepted", "{s}");
    assert_eq!(s["findings_since_acceptance"], 1);
    assert_eq!(s["lineage"]["count"], 1505);
    assert_eq!(packet_text(fx, &[]), first, "the packet is unchanged");
    fx.apply_ok(&[finding(
        T0 + 900,
        "impact-agent-1",
        "impact.contractual_disclosure_required",
        json!(true),
        "contracts/enterprise-msa/s9.2",
        "enterprise MSA s9.2 requires notice",
    )]);
    let s = fx.status();
    assert_eq!(s["state"], "drafted", "{s}");
    assert_eq!(s["revision"], 2);
    assert_eq!(s["reopened"]["from_revision"], 1);
    assert_eq!(
        s["reopened"]["cause"]["fact"],
        "impact.contractual_disclosure_required"
    );
    assert_eq!(packet_text(fx, &["--revision", "1"]), first);
    failed_with(&run(&fx.anchored(&["packet"]), None), 5, "not_ready");
    failed_with(
        &run(&fx.anchored(&["packet", "--revision", "2"]), None),
        5,
        "not_ready",
    );
    let draft: Value = serde_json::from_str(&packet_text(fx, &["--draft"])).unwrap();
    assert_eq!(draft["prior_revisions"][0]["revision"], 1);
    assert_eq!(draft["stability"]["revisions"], 2);
    assert_eq!(draft["stability"]["carried_signoffs"], 0);
}

#[test]
fn a_dispute_voids_the_carried_review_and_the_epochs_drafts() {
    let fx = drafted();
    let reviewed = fx.draft_digest();
    decide(&fx, T0 + 300, &LEE, review(&reviewed));
    fx.apply_ok(&corroborations(T0 + 400, 1, 1000));
    assert_eq!(fx.status()["signoffs"], 1);
    let before = fx.status()["decision_digest"].clone();
    fx.apply_ok(&[finding(
        T0 + 500,
        "lineage-agent-3",
        "lineage.internal_packages_in_window",
        json!(9),
        "lineage/disputing/1",
        "another inventory counts fewer",
    )]);
    let status = fx.status();
    assert_eq!(status["state"], "drafted");
    assert_eq!(status["signoffs"], 0);
    assert_ne!(status["decision_digest"], before);
    let draft: Value =
        serde_json::from_str(&ok(&run(&fx.anchored(&["packet", "--draft"]), None))).unwrap();
    let recorded = draft["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "review")
        .unwrap();
    assert_eq!(recorded["voided"], true, "the voided sign-off is recorded");
    // A token naming a draft of the old epoch is refused, and nothing is written.
    let len = journal_len(&fx.journal);
    let at = T0 + 600;
    let out = fx.apply(&lines(&[support::decision(
        at,
        &token(&INES, at, review(&reviewed)),
    )]));
    failed_with(&out, 3, "stale_approval");
    assert_eq!(journal_len(&fx.journal), len);
}
