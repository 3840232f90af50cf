//! The threat model (DESIGN §12), attack by attack, through the CLI alone: an attacker who can
//! write the journal, an orchestrator choosing every byte of a command (including `at`), one
//! principal with one key, and a reader of a lower channel. Tokens are hand-assembled JWS signed
//! with raw Ed25519 keys (independent of the crate's signer); rewritten journals are re-chained
//! over the RFC 8785 form of each record.
//!
//! Every refusal is checked to leave the journal byte for byte as it was, and every acknowledged
//! command to stay in the journal.

use crate::support;

use serde_json::{Value, json};
use support::*;

/// Attacker keys registered under the genuine principals' ids (a rewritten trust document).
const EVE_LEE: Principal = Principal {
    seed: [0xE1; 32],
    ..LEE
};
const EVE_INES: Principal = Principal {
    seed: [0xE2; 32],
    ..INES
};
const EVE_MARCUS: Principal = Principal {
    seed: [0xE3; 32],
    ..MARCUS
};

/// Applies one line that must be refused with `code` (exit 3): nothing written, nothing lost.
#[track_caller]
fn refused(fx: &Fixture, line: &str, code: &str) {
    let before = std::fs::read(&fx.journal).unwrap();
    let out = fx.apply(&lines(&[line.to_owned()]));
    failed_with(&out, 3, code);
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert_eq!(
        std::fs::read(&fx.journal).unwrap(),
        before,
        "a refused {code} changed the journal"
    );
    ok(&fx.verify());
}

/// The case after the three required findings (lane: executive cyber command, E1).
fn drafted() -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&required_findings(T0 + 60));
    fx
}

fn review_line(p: &Principal, at: i64, digest: &str) -> String {
    decision(at, &token(p, at, review(digest)))
}

/// Reviews by LEE and INES, then MARCUS accepts for the executive lane; returns the
/// acknowledgement of the acceptance.
fn accepted(fx: &Fixture, at: i64) -> Value {
    let d = fx.draft_digest();
    fx.apply_ok(&[review_line(&LEE, at, &d), review_line(&INES, at + 1, &d)]);
    let acks = fx.apply_ok(&[decision(
        at + 2,
        &token(&MARCUS, at + 2, accept("executive-cyber-command", &d)),
    )]);
    assert_eq!(fx.status()["path"], "closed/accepted");
    acks[0].clone()
}

/// MARCUS, the executive lane's holder, lends it to `to` until `until`, signed at `at`.
fn lend_executive_lane(at: i64, to: &str, until: &str) -> String {
    decision(
        at,
        &token(
            &MARCUS,
            at,
            json!({"kind": "delegate", "lane": "executive-cyber-command", "to": to, "until": until}),
        ),
    )
}

fn redirect(action: &str, extra: Value, reason: &str) -> Value {
    let mut d = json!({"kind": "redirect", "action": action, "reason": reason});
    for (k, v) in extra.as_object().unwrap() {
        d[k] = v.clone();
    }
    d
}

fn write_records(fx: &Fixture, records: &[Value]) {
    std::fs::write(&fx.journal, to_jsonl(records)).unwrap();
}

fn anchored(fx: &Fixture, cmd: &str, extra: &[&str]) -> std::process::Output {
    let mut args = fx.anchored(&[cmd]);
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    run(&args, None)
}

// 1. A forged acceptance under a rewritten, re-pinned trust document or workflow.
#[test]
fn attack_1_rewritten_embedded_trust_cannot_pass_verify_or_packet() {
    let fx = drafted();
    let genuine = fx.draft_digest();
    let mut records = journal_records(&fx.journal);
    let forged: Value = serde_json::from_str(&trust_json_of(&[
        SAM, PRIYA, EVE_MARCUS, DANA, EVE_LEE, EVE_INES, OMAR,
    ]))
    .unwrap();
    let pin = authority_lane::approval::Trust::from_json(forged.to_string().as_bytes())
        .unwrap()
        .digest()
        .clone();
    records[0]["event"]["trust"] = forged;
    records[0]["event"]["trust_digest"] = json!(pin.as_str());
    rechain(&mut records, 0);
    write_records(&fx, &records);

    // The writer path follows the embedded documents: the attacker can drive its own copy.
    let d = fx.draft_digest();
    assert_ne!(d, genuine, "draft content names the trust digest");
    fx.apply_ok(&[
        review_line(&EVE_LEE, T0 + 400, &d),
        review_line(&EVE_INES, T0 + 401, &d),
        decision(
            T0 + 402,
            &token(&EVE_MARCUS, T0 + 402, accept("executive-cyber-command", &d)),
        ),
    ]);
    assert_eq!(fx.status()["path"], "closed/accepted");

    // A relying party never takes the journal's word for its anchors.
    failed_with(
        &run(&["verify", "--journal", fx.j()], None),
        2,
        "anchor_required",
    );
    failed_with(
        &run(&["packet", "--journal", fx.j()], None),
        2,
        "anchor_required",
    );
    failed_with(&fx.verify(), 4, "pin_mismatch");
    failed_with(&anchored(&fx, "packet", &[]), 4, "pin_mismatch");
}

#[test]
fn attack_1_rewritten_embedded_workflow_cannot_pass_verify() {
    let fx = drafted();
    let mut records = journal_records(&fx.journal);
    records[0]["event"]["workflow"]["review"]["quorum"] = json!(1);
    records[0]["event"]["workflow"]["review"]["required_roles"] =
        json!(["product-security-reviewer"]);
    let spec = serde_json::from_value(records[0]["event"]["workflow"].clone()).unwrap();
    let pin = authority_lane::workflow::Workflow::from_spec(spec)
        .unwrap()
        .digest()
        .clone();
    records[0]["event"]["workflow_digest"] = json!(pin.as_str());
    rechain(&mut records, 0);
    write_records(&fx, &records);
    let d = fx.draft_digest();
    fx.apply_ok(&[
        review_line(&LEE, T0 + 400, &d),
        decision(
            T0 + 401,
            &token(&MARCUS, T0 + 401, accept("executive-cyber-command", &d)),
        ),
    ]);
    assert_eq!(
        fx.status()["path"],
        "closed/accepted",
        "quorum 1 in the copy"
    );
    failed_with(&fx.verify(), 4, "pin_mismatch");
    failed_with(&anchored(&fx, "packet", &[]), 4, "pin_mismatch");
}

// 2. Rollback: a relying party that kept a head detects any cut.
#[test]
fn attack_2_cutting_records_is_detected_against_a_kept_head() {
    let fx = drafted();
    let escalation = fx.apply_ok(&[finding(
        T0 + 300,
        "custody-agent-2",
        "custody.exposure",
        json!("confirmed"),
        "custody/ticket/SEC-4471",
        "key material found outside the HSM",
    )]);
    let ack = accepted(&fx, T0 + 400);
    let head = format!("{}:{}", ack["seq"], ack["head"].as_str().unwrap());
    let packet: Value =
        serde_json::from_str(&ok(&anchored(&fx, "packet", &["--expect-head", &head]))).unwrap();
    assert_eq!(packet["journal"]["seq"], ack["seq"]);
    assert_eq!(packet["journal"]["head"], ack["head"]);
    ok(&anchored(&fx, "verify", &["--expect-head", &head]));

    // Cut the acceptance.
    let original = std::fs::read_to_string(&fx.journal).unwrap();
    let all: Vec<&str> = original.lines().collect();
    std::fs::write(&fx.journal, all[..all.len() - 1].join("\n") + "\n").unwrap();
    ok(&fx.verify()); // a shorter journal is a valid journal ...
    failed_with(
        &anchored(&fx, "verify", &["--expect-head", &head]),
        4,
        "rollback",
    );
    failed_with(
        &anchored(&fx, "packet", &["--expect-head", &head, "--draft"]),
        4,
        "rollback",
    );

    // Cut the escalating finding and everything after it.
    let esc = format!(
        "{}:{}",
        escalation[0]["seq"],
        escalation[0]["head"].as_str().unwrap()
    );
    let seq = escalation[0]["seq"].as_u64().unwrap() as usize;
    std::fs::write(&fx.journal, all[..seq].join("\n") + "\n").unwrap();
    failed_with(
        &anchored(&fx, "verify", &["--expect-head", &esc]),
        4,
        "rollback",
    );
    // A head that is not the journal's record at that seq is a rewrite.
    std::fs::write(&fx.journal, &original).unwrap();
    let wrong = format!("{}:{}", ack["seq"], sha256(b"another head"));
    failed_with(
        &anchored(&fx, "verify", &["--expect-head", &wrong]),
        4,
        "rollback",
    );
}

#[test]
fn attack_2_a_missing_final_newline_never_drops_an_acknowledged_record() {
    let fx = drafted();
    let ack = accepted(&fx, T0 + 400);
    let head = format!("{}:{}", ack["seq"], ack["head"].as_str().unwrap());
    let text = std::fs::read_to_string(&fx.journal).unwrap();
    std::fs::write(&fx.journal, text.trim_end_matches('\n')).unwrap();
    // Readers count the complete record; the acceptance still verifies.
    let v: Value =
        serde_json::from_str(&ok(&anchored(&fx, "verify", &["--expect-head", &head]))).unwrap();
    assert_eq!(v["path"], "closed/accepted");
    // The next writer completes the line instead of dropping it (then refuses: an accepted
    // case takes no more decisions).
    let digest = v["packet_digest"].as_str().unwrap().to_owned();
    let out = fx.apply(&lines(&[review_line(&LEE, T0 + 500, &digest)]));
    failed_with(&out, 3, "case_closed");
    assert_eq!(std::fs::read_to_string(&fx.journal).unwrap(), text);
    ok(&anchored(&fx, "verify", &["--expect-head", &head]));
}

// 3. One unsigned line cannot brick the case.
#[test]
fn attack_3_timestamps_outside_the_grammar_are_refused_and_the_case_stays_readable() {
    let fx = drafted();
    for at in [
        "+12026-11-28T12:30:00Z",
        "12026-11-28T12:30:00Z",
        "-0001-11-28T12:30:00Z",
        "0000-01-01T00:00:00+05:00",
        "2026-11-28T12:30:00",
    ] {
        let line = json!({"type": "finding", "at": at,
            "agent": {"role": "release-lineage", "id": "lineage-agent-1"},
            "finding": {"fact": "lineage.internal_packages_in_window", "value": 2,
                "source": {"system": "s", "record": "r", "digest": sha256(b"r")}}})
        .to_string();
        refused(&fx, &line, "invalid_json");
    }
    // Every reader still works.
    fx.status();
    ok(&anchored(&fx, "packet", &["--draft"]));
    fx.apply_ok(&[finding(
        T0 + 300,
        "lineage-agent-1",
        "lineage.internal_packages_in_window",
        json!(2),
        "r",
        "n",
    )]);
}

// 4. The submitter does not set the case clock.
#[test]
fn attack_4_a_far_future_at_is_clock_skew_and_honest_decisions_still_pass() {
    let fx = drafted();
    let line = json!({"type": "finding", "at": "9999-12-31T23:59:59Z",
        "agent": {"role": "release-lineage", "id": "lineage-agent-1"},
        "finding": {"fact": "lineage.internal_packages_in_window", "value": 2,
            "source": {"system": "s", "record": "r", "digest": sha256(b"r")}}})
    .to_string();
    // The writer's clock reads T0 + 200: the command claims a time far ahead of it.
    let before = std::fs::read(&fx.journal).unwrap();
    failed_with(
        &fx.apply_at(&lines(&[line]), &ts(T0 + 200)),
        3,
        "clock_skew",
    );
    assert_eq!(std::fs::read(&fx.journal).unwrap(), before);
    accepted(&fx, T0 + 300);
}

/// A drafted case where MARCUS lent the executive lane to PRIYA until `until`, with a review
/// quorum on the draft; returns the draft digest.
fn delegated_quorum(until: i64) -> (Fixture, String) {
    let fx = drafted();
    fx.apply_ok(&[lend_executive_lane(T0 + 200, PRIYA.id, &ts(until))]);
    let d = fx.draft_digest();
    fx.apply_ok(&[
        review_line(&LEE, T0 + 210, &d),
        review_line(&INES, T0 + 211, &d),
    ]);
    (fx, d)
}

#[test]
fn attack_4_a_back_dated_acceptance_by_an_expired_delegate_is_refused() {
    let until = T0 + 400;
    let (fx, d) = delegated_quorum(until);
    // PRIYA signs at T0 + 390 and the command says T0 + 390, but it is recorded at T0 + 500,
    // after the delegation ended.
    let late = decision(
        T0 + 390,
        &token(&PRIYA, T0 + 390, accept("executive-cyber-command", &d)),
    );
    let before = std::fs::read(&fx.journal).unwrap();
    failed_with(
        &fx.apply_at(&lines(std::slice::from_ref(&late)), &ts(T0 + 500)),
        3,
        "not_authorized",
    );
    assert_eq!(std::fs::read(&fx.journal).unwrap(), before);
    // Recorded while the delegation holds, the same acceptance passes.
    let (fx2, d2) = delegated_quorum(until);
    fx2.apply_ok(&[decision(
        T0 + 390,
        &token(&PRIYA, T0 + 390, accept("executive-cyber-command", &d2)),
    )]);
    assert_eq!(fx2.status()["path"], "closed/accepted");
}

// 5. Laundering evidence past a signer.
#[test]
fn attack_5_a_held_set_lane_token_is_stale_once_the_assessment_changed() {
    let fx = drafted();
    let seen = fx.status()["assessment_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let held = decision(
        T0 + 200,
        &token(
            &MARCUS,
            T0 + 200,
            redirect(
                "set_lane",
                json!({"lane": "platform-security-command", "assessment_digest": seen}),
                "desktop artifacts were internal builds",
            ),
        ),
    );
    fx.apply_ok(&[
        finding(
            T0 + 210,
            "custody-agent-2",
            "custody.exposure",
            json!("confirmed"),
            "c/1",
            "n",
        ),
        finding(
            T0 + 220,
            "custody-agent-2",
            "custody.rogue_signatures_observed",
            json!(412),
            "c/2",
            "n",
        ),
        finding(
            T0 + 230,
            "impact-agent-1",
            "impact.customers_affected",
            json!(18000),
            "i/1",
            "n",
        ),
    ]);
    refused(&fx, &held, "stale_approval");
    assert_eq!(fx.status()["recommended_lane"], "executive-cyber-command");
}

#[test]
fn attack_5_a_delegate_cannot_lower_the_lane_below_the_case_maximum() {
    let fx = drafted();
    fx.apply_ok(&[lend_executive_lane(T0 + 200, PRIYA.id, &ts(T0 + 3000))]);
    let seen = fx.status()["assessment_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let lower = decision(
        T0 + 210,
        &token(
            &PRIYA,
            T0 + 210,
            redirect(
                "set_lane",
                json!({"lane": "platform-security-command", "assessment_digest": seen}),
                "mine now",
            ),
        ),
    );
    refused(&fx, &lower, "not_authorized");
    // The holder may.
    let seen = fx.status()["assessment_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    fx.apply_ok(&[decision(
        T0 + 220,
        &token(
            &MARCUS,
            T0 + 220,
            redirect(
                "set_lane",
                json!({"lane": "platform-security-command", "assessment_digest": seen}),
                "weighed E1: internal builds",
            ),
        ),
    )]);
    assert_eq!(fx.status()["recommended_lane"], "platform-security-command");
}

// 6. One key, two votes.
#[test]
fn attack_6_one_key_under_two_principals_or_a_small_order_key_is_refused_at_load() {
    let init = |trust: String| {
        let fx = Fixture::new();
        std::fs::write(&fx.trust, trust).unwrap();
        fx.init_at(T0)
    };
    // LEE's key registered again as INES's.
    let twice = Principal {
        seed: LEE.seed,
        ..INES
    };
    let out = init(trust_json_of(&[SAM, PRIYA, MARCUS, DANA, LEE, twice, OMAR]));
    failed_with(&out, 2, "invalid_trust");
    // The identity point (small order): a signature with R = B, S = 1 would verify non-strictly.
    let mut t: Value = serde_json::from_str(&trust_json()).unwrap();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    t["principals"][4]["keys"][0]["jwk"]["x"] = json!(b64(&identity));
    failed_with(&init(t.to_string()), 2, "invalid_trust");
}

// 7. Lower lanes do not shrink higher authority; the last option stays.
#[test]
fn attack_7_exclusions_need_the_options_boundary_and_never_empty_the_set() {
    let fx = Fixture::new();
    fx.init(T0);
    // Desktop artifacts 0: the case sits in platform security command.
    fx.apply_ok(&[
        finding(
            T0 + 60,
            "custody-agent-1",
            "custody.exposure",
            json!("suspected"),
            "h/1",
            "n",
        ),
        finding(
            T0 + 61,
            "lineage-agent-1",
            "lineage.desktop_agent_artifacts_in_window",
            json!(0),
            "l/1",
            "n",
        ),
        finding(
            T0 + 62,
            "authority-agent-1",
            "authority.platform_delegation",
            json!("active"),
            "a/1",
            "n",
        ),
    ]);
    assert_eq!(fx.status()["recommended_lane"], "platform-security-command");
    let exclude = |who: &Principal, at: i64, option: &str| {
        let seen = fx.status()["assessment_digest"]
            .as_str()
            .unwrap()
            .to_owned();
        decision(
            at,
            &token(
                who,
                at,
                redirect(
                    "exclude_option",
                    json!({"option": option, "assessment_digest": seen}),
                    "not ours",
                ),
            ),
        )
    };
    for option in ["contractual-disclosure", "broad-package-invalidation"] {
        refused(&fx, &exclude(&PRIYA, T0 + 100, option), "not_authorized");
    }
    // The legal and trust office may exclude, down to the last option and no further.
    let mut at = T0 + 200;
    loop {
        let draft: Value =
            serde_json::from_str(&ok(&anchored(&fx, "packet", &["--draft"]))).unwrap();
        let options: Vec<String> = draft["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!options.is_empty(), "the option set was emptied");
        at += 10;
        if options.len() == 1 {
            refused(&fx, &exclude(&DANA, at, &options[0]), "not_authorized");
            break;
        }
        fx.apply_ok(&[exclude(&DANA, at, &options[0])]);
    }
}

// 8. Untrusted text is rendered inert.
#[test]
fn attack_8_markdown_injection_in_agent_ids_records_and_systems_renders_inert() {
    let fx = drafted();
    let payload =
        "x\n\n**Recommended lane: `platform-security-command`**\n\nAccepted by mallory\n# Heading";
    let line = json!({"type": "finding", "at": ts(T0 + 300),
        "agent": {"role": "release-lineage", "id": payload},
        "finding": {"fact": "lineage.internal_packages_in_window", "value": 2,
            "source": {"system": payload, "record": payload, "digest": sha256(b"r")},
            "note": payload}})
    .to_string();
    fx.apply_ok(&[line]);
    for channel in [
        "executive-brief",
        "security-trust-review",
        "authority-selection",
    ] {
        let md = ok(&anchored(
            &fx,
            "packet",
            &["--draft", "--channel", channel, "--format", "markdown"],
        ));
        let recommended = md
            .lines()
            .filter(|l| l.trim_start().starts_with("**Recommended lane"))
            .count();
        assert!(recommended <= 1, "{channel}: injected lane line:\n{md}");
        assert!(
            !md.lines()
                .any(|l| l.trim_start().starts_with("Accepted by mallory")),
            "{channel}: injected acceptance:\n{md}"
        );
        assert!(
            !md.lines().any(|l| l.trim_start() == "# Heading"),
            "{channel}: injected heading:\n{md}"
        );
    }
}

// 9. Canonical numbers, canonical bytes, bounded sizes.
#[test]
fn attack_9_numbers_beyond_i_json_and_oversized_inputs_are_refused() {
    let fx = drafted();
    let count = |n: Value| {
        json!({"type": "finding", "at": ts(T0 + 300),
            "agent": {"role": "release-lineage", "id": "lineage-agent-1"},
            "finding": {"fact": "lineage.internal_packages_in_window", "value": n,
                "source": {"system": "s", "record": "r", "digest": sha256(b"r")}}})
        .to_string()
    };
    refused(
        &fx,
        &count(json!(9_007_199_254_740_993u64)),
        "invalid_value",
    );
    refused(
        &fx,
        &count(json!(9_007_199_254_740_992u64)),
        "invalid_value",
    );
    fx.apply_ok(&[count(json!(9_007_199_254_740_991u64))]);

    let noted = |note: String| {
        json!({"type": "finding", "at": ts(T0 + 300),
            "agent": {"role": "release-lineage", "id": "lineage-agent-1"},
            "finding": {"fact": "lineage.internal_packages_in_window", "value": 1,
                "source": {"system": "s", "record": "r", "digest": sha256(b"r")}, "note": note}})
        .to_string()
    };
    refused(&fx, &noted("n".repeat(4097)), "input_too_large");
    refused(&fx, &noted("n".repeat(70_000)), "input_too_large");
    let long_id = json!({"type": "finding", "at": ts(T0 + 300),
        "agent": {"role": "release-lineage", "id": "a".repeat(257)},
        "finding": {"fact": "lineage.internal_packages_in_window", "value": 1,
            "source": {"system": "s", "record": "r", "digest": sha256(b"r")}}})
    .to_string();
    refused(&fx, &long_id, "input_too_large");
}

#[test]
fn attack_9_a_journal_line_that_is_not_its_rfc8785_form_is_tampering() {
    let fx = drafted();
    let text = std::fs::read_to_string(&fx.journal).unwrap();
    // Whitespace inside `event` leaves the hash of the canonical form valid.
    let spaced = text.replacen("\"event\":{\"agent\"", "\"event\":{ \"agent\"", 1);
    assert_ne!(spaced, text);
    std::fs::write(&fx.journal, spaced).unwrap();
    failed_with(&fx.verify(), 4, "journal_tampered");
}

// 10. A stalled writer does not hold the lock; a held lock times out with a message.
#[test]
fn attack_10_a_held_lock_times_out_and_an_idle_apply_holds_none() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let fx = drafted();
    // An apply whose stdin stays open, after one acknowledged line.
    let mut stalled = Command::new(BIN)
        .args(["apply", "--journal", fx.j(), "--at", &ts(T0 + 300)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = stalled.stdin.take().unwrap();
    let first = finding(
        T0 + 290,
        "lineage-agent-1",
        "lineage.internal_packages_in_window",
        json!(1),
        "r/1",
        "n",
    );
    writeln!(stdin, "{first}").unwrap();
    stdin.flush().unwrap();
    let mut ack = String::new();
    BufReader::new(stalled.stdout.take().unwrap())
        .read_line(&mut ack)
        .unwrap();
    assert!(ack.contains("\"head\""), "{ack}");
    // Another writer gets through while the first waits for input.
    let other = run(
        &[
            "apply",
            "--journal",
            fx.j(),
            "--at",
            &ts(T0 + 310),
            "--lock-timeout",
            "2",
        ],
        Some(&lines(&[finding(
            T0 + 305,
            "lineage-agent-2",
            "lineage.internal_packages_in_window",
            json!(2),
            "r/2",
            "n",
        )])),
    );
    ok(&other);
    drop(stdin);
    assert!(stalled.wait().unwrap().success());

    // A lock held by someone else: journal_locked after the timeout, nothing written.
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(&fx.journal)
        .unwrap();
    holder.lock().unwrap();
    let before = std::fs::read(&fx.journal).unwrap();
    let started = std::time::Instant::now();
    let out = run(
        &["apply", "--journal", fx.j(), "--lock-timeout", "1"],
        Some(&lines(&[finding(
            T0 + 320,
            "lineage-agent-3",
            "lineage.internal_packages_in_window",
            json!(3),
            "r/3",
            "n",
        )])),
    );
    failed_with(&out, 3, "journal_locked");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(std::fs::read(&fx.journal).unwrap(), before);
    holder.unlock().unwrap();
}

// 11. Look-alike ids, sloppy attestations, self-delegation, endless delegations.
#[test]
fn attack_11_lookalike_ids_attestation_sets_and_delegation_bounds() {
    let fx = Fixture::new();
    let lookalike = Principal {
        id: "marcus.ch\u{0435}n",
        ..MARCUS
    };
    std::fs::write(&fx.trust, trust_json_of(&[SAM, lookalike])).unwrap();
    failed_with(&fx.init_at(T0), 2, "invalid_trust");

    let fx = drafted();
    let d = fx.draft_digest();
    let attests = |list: Value| json!({"kind": "review", "packet_digest": d, "attests": list});
    let dup = json!([
        "blocked_paths_surfaced",
        "irreversibility_surfaced",
        "evidence_lineage_checked",
        "evidence_lineage_checked"
    ]);
    let unknown = json!([
        "blocked_paths_surfaced",
        "irreversibility_surfaced",
        "evidence_lineage_checked",
        "vibes_checked"
    ]);
    for list in [dup, unknown] {
        refused(
            &fx,
            &decision(T0 + 200, &token(&LEE, T0 + 200, attests(list))),
            "missing_attestation",
        );
    }
    let delegate = |to: &str, until: &str| lend_executive_lane(T0 + 210, to, until);
    refused(&fx, &delegate(MARCUS.id, &ts(T0 + 3000)), "not_authorized");
    refused(
        &fx,
        &delegate(PRIYA.id, "9999-12-31T23:59:59Z"),
        "not_authorized",
    );
    refused(
        &fx,
        &delegate(PRIYA.id, &ts(T0 + 210 + 604_801)),
        "not_authorized",
    );
    fx.apply_ok(&[delegate(PRIYA.id, &ts(T0 + 210 + 604_800))]);
}
