//! The whole case lifecycle through the CLI alone (DESIGN §9, §10): init → findings → status →
//! reviews → quorum → acceptance → packet and channel views → verify → diagram, plus every exit
//! code (0, 2, 3, 4, 5) and the "a rejected command writes nothing" contract.
//!
//! Tokens are hand-assembled JWS signed with raw Ed25519 keys from fixed seeds (see
//! `support`), independent of the crate's signer and verifier.

use crate::support;

use serde_json::{Value, json};
use support::*;

/// Applies `good` lines then `bad`, then one more good line that must never be read: asserts
/// exit 3 with `code`, that exactly the `good` lines were committed and printed (one result line
/// each, consecutive seqs), and that nothing was written for `bad` (the journal's byte length is
/// the same as after the good lines; re-sending `bad` alone leaves it byte-identical).
#[track_caller]
fn reject(fx: &Fixture, good: &[String], bad: &str, code: &str) -> Vec<Value> {
    let before = journal_records(&fx.journal);
    let len_before = journal_len(&fx.journal);
    let head_seq = before.last().unwrap()["seq"].as_u64().unwrap();

    let mut input: Vec<String> = good.to_vec();
    input.push(bad.to_owned());
    // The writer's clock reads the latest command time.
    let now = honest_clock(&fx.journal, &lines(&input));
    let now_secs = chrono::DateTime::parse_from_rfc3339(&now)
        .unwrap()
        .timestamp();
    // Would be accepted if apply kept reading after the rejection.
    input.push(finding(
        now_secs,
        "never-read",
        "lineage.internal_packages_in_window",
        json!(1),
        "never/read",
        "must not be applied",
    ));
    let out = fx.apply_at(&lines(&input), &now);
    failed_with(&out, 3, code);
    let printed = json_lines(&text(&out.stdout));
    assert_eq!(printed.len(), good.len(), "{}", describe(&out));
    for (i, p) in printed.iter().enumerate() {
        assert_eq!(p["seq"], json!(head_seq + 1 + i as u64), "{p}");
        assert_eq!(p["events"].as_array().unwrap().len(), 1, "{p}");
    }
    let after = journal_records(&fx.journal);
    assert_eq!(
        after.len(),
        before.len() + good.len(),
        "records after {code}"
    );
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "earlier records changed"
    );
    for (p, r) in printed.iter().zip(&after[before.len()..]) {
        assert_eq!(p["seq"], r["seq"]);
        assert_eq!(p["events"][0], r["event"], "printed event = recorded event");
    }
    let committed_bytes: u64 = after[before.len()..]
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len() as u64 + 1)
        .sum();
    let len_after = journal_len(&fx.journal);
    assert_eq!(
        len_after,
        len_before + committed_bytes,
        "nothing but the good lines was written for {code}"
    );
    // The bad line alone: nothing written at all.
    let again = fx.apply(&lines(&[bad.to_owned()]));
    failed_with(&again, 3, code);
    assert!(again.stdout.is_empty(), "{}", describe(&again));
    assert_eq!(journal_len(&fx.journal), len_after, "{code} wrote bytes");
    printed
}

/// A review by `p` at `at` on `digest`, as a decision line.
fn review_line(p: &Principal, at: i64, digest: &str) -> String {
    decision(at, &token(p, at, review(digest)))
}

fn accept_line(p: &Principal, at: i64, lane: &str, digest: &str) -> String {
    decision(at, &token(p, at, accept(lane, digest)))
}

/// The decisive findings of a view's lineage, fact by fact.
fn decisive(view: &Value) -> Vec<&Value> {
    view["lineage"]["facts"]
        .as_object()
        .expect("a lineage with facts")
        .values()
        .flat_map(|f| f["decisive"].as_array().expect("decisive findings"))
        .collect()
}

fn packet(fx: &Fixture, extra: &[&str]) -> std::process::Output {
    let mut args = fx.anchored(&["packet"]);
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    run(&args, None)
}

fn packet_json(fx: &Fixture, extra: &[&str]) -> Value {
    serde_json::from_str(&ok(&packet(fx, extra))).unwrap()
}

const KEY_CUSTODY_SECRETS: [&str; 6] = [
    "hsm-eu1/audit/88121",
    "HSM audit shows an export attempt",
    "custody/ticket/SEC-4471",
    "key material found on a build host",
    "telemetry/sign/2026-11-27",
    "signatures absent from signing telemetry",
];

#[test]
fn full_lifecycle_through_the_cli() {
    let fx = Fixture::new();

    // ----- init -----
    let init = fx.init(T0);
    assert_eq!(init["case_id"], CASE_ID);
    assert_eq!(init["seq"], 0);
    assert_eq!(init["state"], "gathering");
    assert_eq!(init["path"], "open/gathering");
    assert_eq!(init["recommended_lane"], "platform-security-command");
    assert_eq!(journal_records(&fx.journal).len(), 1);

    // init on an existing journal: exit 2, journal untouched.
    let len = journal_len(&fx.journal);
    failed_with(&fx.init_at(T0), 2, "journal_exists");
    assert_eq!(journal_len(&fx.journal), len);

    // ----- findings from stdin -----
    let out = fx.apply_ok(&[
        finding(
            T0 + 60,
            "custody-agent-1",
            "custody.exposure",
            json!("suspected"),
            KEY_CUSTODY_SECRETS[0],
            KEY_CUSTODY_SECRETS[1],
        ),
        finding(
            T0 + 120,
            "authority-agent-1",
            "authority.platform_delegation",
            json!("active"),
            "delegations/platform-sec/2026-q4",
            "platform security command delegation is active",
        ),
        finding(
            T0 + 180,
            "lineage-agent-1",
            "lineage.internal_packages_in_window",
            json!(14),
            "lineage/internal/window-2026-11-26",
            "14 internal service packages signed in the window",
        ),
    ]);
    assert_eq!(out.len(), 3);
    for (i, line) in out.iter().enumerate() {
        assert_eq!(line["seq"], json!(i + 1), "{line}");
        let events = line["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{line}");
        assert_eq!(events[0]["type"], "finding");
    }
    assert_eq!(out[0]["events"][0]["finding"]["fact"], "custody.exposure");

    let s = fx.status();
    assert_eq!(s["state"], "gathering");
    assert_eq!(s["path"], "open/gathering");
    assert_eq!(s["revision"], 0);
    assert_eq!(s["draft_digest"], Value::Null);
    assert_eq!(s["seq"], 3);
    assert_eq!(
        s["missing_required"],
        json!(["lineage.desktop_agent_artifacts_in_window"])
    );
    // No draft yet: packet --draft is not ready either.
    failed_with(&packet(&fx, &["--draft"]), 5, "not_ready");

    // ----- findings from a file -----
    let file = fx.path("lineage.jsonl");
    std::fs::write(
        &file,
        lines(&[
            finding(
                T0 + 240,
                "lineage-agent-1",
                "lineage.desktop_agent_artifacts_in_window",
                json!(3),
                "releases/desktop-agent/5.14.0..5.14.2",
                "desktop agent 5.14.0-5.14.2 were signed in the window",
            ),
            String::new(), // blank lines are skipped
            finding(
                T0 + 300,
                "lineage-agent-1",
                "release.freeze_within_policy",
                json!(false),
                "policy/release-hold/v7",
                "customer-facing trains need executive approval to freeze",
            ),
        ]),
    )
    .unwrap();
    let out = json_lines(&ok(&run(
        &[
            "apply",
            "--journal",
            fx.j(),
            "--at",
            &ts(T0 + 300),
            file.to_str().unwrap(),
        ],
        None,
    )));
    assert_eq!(
        out.iter().map(|l| l["seq"].clone()).collect::<Vec<_>>(),
        vec![json!(4), json!(5)]
    );

    let s = fx.status();
    let records = journal_records(&fx.journal);
    assert_eq!(s["case_id"], CASE_ID);
    assert_eq!(s["state"], "drafted");
    assert_eq!(s["path"], "open/deciding/drafted");
    assert!(s["revision"].as_u64().unwrap() >= 1, "{s}");
    assert_eq!(s["recommended_lane"], "executive-cyber-command");
    assert_eq!(s["decision_owner"]["lane"], "executive-cyber-command");
    assert_eq!(s["decision_owner"]["holders"], json!([MARCUS.id]));
    assert_eq!(s["seq"], 5);
    assert_eq!(s["head"], records.last().unwrap()["hash"]);
    assert_eq!(s["signoffs"], 0);
    let d1 = s["draft_digest"].as_str().unwrap().to_owned();
    assert!(d1.starts_with("sha256:") && d1.len() == 71, "{d1}");
    let draft = packet_json(&fx, &["--draft"]);
    assert_eq!(draft["packet_digest"], d1.as_str());

    // ----- rejected commands: exit 3, nothing written for them -----
    let mut t = T0 + 360;
    let mut tick = || {
        t += 60;
        t
    };
    let internal = |at: i64, agent: &str| {
        finding(
            at,
            agent,
            "lineage.internal_packages_in_window",
            json!(14),
            "lineage/internal/window-2026-11-26",
            "14 internal service packages signed in the window",
        )
    };
    let g = internal(tick(), "lineage-agent-2");
    reject(
        &fx,
        &[g],
        &finding_as(
            tick(),
            "release-lineage",
            "lineage-agent-2",
            "custody.exposure",
            json!("confirmed"),
            "x",
            "not this agent's fact",
        ),
        "role_not_permitted",
    );
    let g = internal(tick(), "lineage-agent-3");
    reject(
        &fx,
        &[g],
        &finding_as(
            tick(),
            "custody-evidence",
            "c",
            "custody.colour",
            json!(1),
            "x",
            "",
        ),
        "unknown_fact",
    );
    reject(
        &fx,
        &[],
        &finding(
            tick(),
            "custody-agent-1",
            "custody.rogue_signatures_observed",
            json!("many"),
            "x",
            "",
        ),
        "invalid_value",
    );
    // A supplied clock may not go back before the last record: time_regression, nothing
    // written. (Only a supplied clock can: the system clock is held at the last record.)
    let len = journal_len(&fx.journal);
    let back = fx.apply_at(
        &lines(&[internal(T0 + 30, "lineage-agent-5")]),
        &ts(T0 + 30),
    );
    failed_with(&back, 3, "time_regression");
    assert!(back.stdout.is_empty(), "{}", describe(&back));
    assert_eq!(journal_len(&fx.journal), len, "time_regression wrote bytes");
    // An observation time in the past is fine: the agent saw it then.
    let g = internal(T0 + 31, "lineage-agent-4");
    fx.apply_ok(&[g]);
    let g = internal(tick(), "lineage-agent-6");
    reject(
        &fx,
        &[g],
        r#"{"type": "finding", "at": "2026-11-28T09:00:00Z", "agent""#,
        "invalid_json",
    );

    // Token checks against the current draft.
    let digest = fx.draft_digest();
    let at = tick();
    reject(
        &fx,
        &[],
        &review_line(&LEE, at, &sha256(b"not the current draft")),
        "stale_approval",
    );
    // Signed with omar's key, claiming lee's kid.
    let forged = sign_compact(
        &header(LEE.kid),
        &claims(LEE.id, at, at + 600, review(&digest)),
        &OMAR.seed,
    );
    reject(&fx, &[], &decision(at, &forged), "bad_signature");
    // One flipped signature byte.
    let good = token(&LEE, at, review(&digest));
    let (input, sig) = good.rsplit_once('.').unwrap();
    let mut sig = b64_decode(sig);
    sig[7] ^= 0x01;
    reject(
        &fx,
        &[],
        &decision(at, &format!("{input}.{}", b64(&sig))),
        "bad_signature",
    );
    // A key outside the trust file.
    let unknown = sign_compact(
        &header(MALLORY.kid),
        &claims(LEE.id, at, at + 600, review(&digest)),
        &MALLORY.seed,
    );
    reject(&fx, &[], &decision(at, &unknown), "unknown_key");
    // alg none (empty signature) and HS256 (an HMAC-looking signature).
    let c = claims(LEE.id, at, at + 600, review(&digest));
    let none = format!(
        "{}.{}.",
        b64(&serde_json::to_vec(&json!({"alg": "none", "kid": LEE.kid, "typ": "JWT"})).unwrap()),
        b64(&serde_json::to_vec(&c).unwrap())
    );
    reject(&fx, &[], &decision(at, &none), "algorithm_not_allowed");
    let hs = format!(
        "{}.{}.{}",
        b64(&serde_json::to_vec(&json!({"alg": "HS256", "kid": LEE.kid, "typ": "JWT"})).unwrap()),
        b64(&serde_json::to_vec(&c).unwrap()),
        b64(&[0x5a; 32])
    );
    reject(&fx, &[], &decision(at, &hs), "algorithm_not_allowed");
    // Lifetime above the policy's 3600 s.
    let long = sign_compact(
        &header(LEE.kid),
        &claims(LEE.id, at, at + 3601, review(&digest)),
        &LEE.seed,
    );
    reject(&fx, &[], &decision(at, &long), "token_lifetime_too_long");
    // A non-reviewer cannot review.
    reject(
        &fx,
        &[],
        &review_line(&MARCUS, at, &digest),
        "not_authorized",
    );
    // Nothing to accept yet.
    assert_eq!(fx.status()["state"], "drafted");

    // ----- first review; then the draft changes and it is voided -----
    let at = tick();
    let lee1 = token(&LEE, at, review(&fx.draft_digest()));
    let out = fx.apply_ok(&[decision(at, &lee1)]);
    assert_eq!(out[0]["events"][0]["type"], "decision");
    assert_eq!(out[0]["events"][0]["kind"], "review");
    assert_eq!(out[0]["events"][0]["issuer"], LEE.id);
    let s = fx.status();
    assert_eq!(s["state"], "in_review");
    assert_eq!(s["path"], "open/deciding/in_review");
    assert_eq!(s["signoffs"], 1);
    // The same token again: replayed.
    reject(&fx, &[], &decision(tick(), &lee1), "replayed_token");
    // A second review by the same principal (fresh jti): duplicate approver.
    let at = tick();
    reject(
        &fx,
        &[],
        &review_line(&LEE, at, &fx.draft_digest()),
        "duplicate_approver",
    );
    // Ines signs the current (soon superseded) draft, submitted later.
    let stale_at = tick();
    let ines_stale = token(&INES, stale_at, review(&fx.draft_digest()));
    let old = fx.status();

    let out = fx.apply_ok(&[
        finding(
            tick(),
            "custody-agent-2",
            "custody.exposure",
            json!("confirmed"),
            KEY_CUSTODY_SECRETS[2],
            KEY_CUSTODY_SECRETS[3],
        ),
        finding(
            tick(),
            "custody-agent-2",
            "custody.rogue_signatures_observed",
            json!(2),
            KEY_CUSTODY_SECRETS[4],
            KEY_CUSTODY_SECRETS[5],
        ),
        finding(
            tick(),
            "impact-agent-1",
            "impact.contractual_disclosure_required",
            json!(true),
            "contracts/enterprise-msa/s9.2",
            "enterprise MSA s9.2 requires notice",
        ),
    ]);
    assert_eq!(out.len(), 3);
    let s = fx.status();
    assert_eq!(s["state"], "drafted", "{s}");
    assert_eq!(s["signoffs"], 0, "lee's sign-off is void on the new draft");
    // A new decision, still revision 1: nothing was accepted yet (DESIGN §15).
    assert_ne!(s["decision_digest"], old["decision_digest"]);
    assert_eq!(
        (s["revision"].as_u64(), old["revision"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["recommended_lane"], "legal-trust-office");
    assert_eq!(s["decision_owner"]["lane"], "legal-trust-office");
    reject(&fx, &[], &decision(tick(), &ines_stale), "stale_approval");

    let out = fx.apply_ok(&[
        finding(
            tick(),
            "impact-agent-1",
            "impact.customers_affected",
            json!(1840),
            "impact/estimate/rev3",
            "1,840 customers run 5.14.x",
        ),
        finding(
            tick(),
            "impact-agent-1",
            "impact.disclosure_deadline",
            json!("2026-11-30T17:00:00Z"),
            "contracts/enterprise-msa/s9.2/deadline",
            "72 hours from confirmation",
        ),
        finding(
            tick(),
            "impact-agent-1",
            "impact.broad_invalidation_required",
            json!(false),
            "runbook/revocation/v12",
            "targeted invalidation suffices",
        ),
        finding(
            tick(),
            "lineage-agent-1",
            "lineage.third_party_redistribution",
            json!(false),
            "publication/mirrors/2026-11",
            "no partner mirror carried 5.14.x",
        ),
    ]);
    assert_eq!(out.len(), 4);
    assert_eq!(fx.status()["stable"], true);

    // ----- packet before acceptance: exit 5; --draft works -----
    failed_with(&packet(&fx, &[]), 5, "not_ready");
    failed_with(&packet(&fx, &["--format", "markdown"]), 5, "not_ready");
    let digest = fx.draft_digest();
    let draft = packet_json(&fx, &["--draft"]);
    assert_eq!(draft["packet_digest"], digest.as_str());
    assert_eq!(draft["recommended_lane"], "legal-trust-office");
    let md = ok(&packet(&fx, &["--draft", "--format", "markdown"]));
    assert!(md.starts_with("# Draft recommendation packet"), "{md}");
    assert!(md.contains(&digest), "markdown names the digest");

    // ----- quorum -----
    let out = fx.apply_ok(&[review_line(&LEE, tick(), &digest)]);
    assert_eq!(out.len(), 1);
    assert_eq!(fx.status()["state"], "in_review");
    let out = fx.apply_ok(&[review_line(&INES, tick(), &digest)]);
    assert_eq!(out.len(), 1);
    let s = fx.status();
    assert_eq!(s["state"], "awaiting_acceptance");
    assert_eq!(s["path"], "open/deciding/awaiting_acceptance");
    assert_eq!(s["signoffs"], 2);
    assert_eq!(
        s["draft_digest"],
        digest.as_str(),
        "reviews do not change the draft"
    );
    failed_with(&packet(&fx, &[]), 5, "not_ready");

    // ----- acceptance -----
    // Executive cyber command, now a lower lane, cannot accept (for its own lane or the
    // recommended one).
    let at = tick();
    reject(
        &fx,
        &[],
        &accept_line(&MARCUS, at, "executive-cyber-command", &digest),
        "not_authorized",
    );
    reject(
        &fx,
        &[],
        &accept_line(&MARCUS, at, "legal-trust-office", &digest),
        "not_authorized",
    );
    reject(
        &fx,
        &[],
        &accept_line(&DANA, at, "legal-trust-office", &sha256(b"old")),
        "stale_approval",
    );
    let out = fx.apply_ok(&[accept_line(&DANA, tick(), "legal-trust-office", &digest)]);
    assert_eq!(out[0]["events"][0]["kind"], "accept");
    assert_eq!(out[0]["events"][0]["issuer"], DANA.id);
    let s = fx.status();
    assert_eq!(s["state"], "accepted");
    assert_eq!(s["path"], "closed/accepted");
    let records = journal_records(&fx.journal);
    assert_eq!(s["seq"], json!(records.len() - 1));
    assert_eq!(s["head"], records.last().unwrap()["hash"]);

    // An accepted case takes no more decisions (findings it still records, DESIGN §15: see
    // living_case).
    reject(&fx, &[], &review_line(&LEE, tick(), &digest), "case_closed");

    // ----- the packet -----
    let p = packet_json(&fx, &[]);
    assert_eq!(p["packet_digest"], digest.as_str());
    assert_eq!(p["case_id"], CASE_ID);
    assert_eq!(p["recommended_lane"], "legal-trust-office");
    assert_eq!(p["accepted_by"], DANA.id);
    assert_eq!(p["decision_owner"]["lane"], "legal-trust-office");
    assert_eq!(p["stable"], true);
    assert_eq!(p["pending"], json!([]));
    let lanes = p["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 3);
    let status_of = |id: &str| {
        lanes.iter().find(|l| l["lane"] == id).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status_of("platform-security-command"), "blocked");
    assert_eq!(status_of("executive-cyber-command"), "blocked");
    assert_eq!(status_of("legal-trust-office"), "recommended");
    for l in lanes.iter().filter(|l| l["status"] == "blocked") {
        assert!(!l["reasons"].as_array().unwrap().is_empty(), "{l}");
    }
    let options = p["options"].as_array().unwrap();
    let option_ids: Vec<&str> = options.iter().map(|o| o["id"].as_str().unwrap()).collect();
    for id in [
        "contain-and-monitor",
        "customer-trust-review",
        "broad-package-invalidation",
        "contractual-disclosure",
    ] {
        assert!(option_ids.contains(&id), "{id} in {option_ids:?}");
    }
    let disclosure = options
        .iter()
        .find(|o| o["id"] == "contractual-disclosure")
        .unwrap();
    assert_eq!(disclosure["reversibility"], "irreversible");
    let history = p["lane_history"].as_array().unwrap();
    let path: Vec<&str> = history.iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(
        path,
        [
            "platform-security-command",
            "executive-cyber-command",
            "legal-trust-office"
        ]
    );
    let lineage = &p["lineage"];
    let findings_in_journal = records
        .iter()
        .filter(|r| r["event"]["type"] == "finding")
        .count();
    assert_eq!(lineage["count"], findings_in_journal);
    assert!(lineage["root"].as_str().unwrap().starts_with("sha256:"));
    let facts = lineage["facts"].as_object().unwrap();
    let counted: u64 = facts
        .values()
        .map(|f| f["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, findings_in_journal as u64);
    for e in facts
        .values()
        .flat_map(|f| f["decisive"].as_array().unwrap())
    {
        for k in [
            "index",
            "fact",
            "value",
            "agent",
            "source",
            "at",
            "sensitivity",
        ] {
            assert!(!e[k].is_null(), "{k} in {e}");
        }
    }
    let approvals = p["approvals"].as_array().unwrap();
    let kinds: Vec<&str> = approvals
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["declare", "review", "review", "review", "accept"]);
    assert_eq!(approvals[1]["issuer"], LEE.id);
    assert_eq!(
        approvals[1]["voided"], true,
        "lee's first review was voided"
    );
    assert_eq!(approvals[2]["voided"], false);
    assert_eq!(approvals[3]["voided"], false);
    for a in approvals {
        assert!(a["token_digest"].as_str().unwrap().starts_with("sha256:"));
    }
    let timings = &p["timings"];
    for k in [
        "declared_at",
        "first_draft_at",
        "reviewed_at",
        "accepted_at",
    ] {
        assert!(timings[k].is_string(), "timings.{k}: {timings}");
    }
    assert_eq!(timings["declared_at"], ts(T0));
    // Timings are times of record: the whole batch was recorded at T0 + 300.
    assert_eq!(timings["first_draft_at"], ts(T0 + 300));

    let md = ok(&packet(&fx, &["--format", "markdown"]));
    assert!(md.starts_with("# Recommendation packet"), "{md}");
    let head: String = md.lines().take(12).collect::<Vec<_>>().join("\n");
    assert!(
        head.contains("legal-trust-office"),
        "lane near the top: {head}"
    );
    assert!(
        head.contains("Decision owner"),
        "owner near the top: {head}"
    );
    assert!(head.contains(DANA.id), "owner near the top: {head}");

    // ----- channel views -----
    let full = ok(&packet(&fx, &["--channel", "security-trust-review"]));
    for secret in KEY_CUSTODY_SECRETS {
        assert!(full.contains(secret), "full view carries {secret}");
    }
    let brief_text = ok(&packet(&fx, &["--channel", "executive-brief"]));
    let brief: Value = serde_json::from_str(&brief_text).unwrap();
    assert_eq!(brief["channel"], "executive-brief");
    assert_eq!(brief["packet_digest"], digest.as_str());
    let mut custody = 0;
    for e in decisive(&brief) {
        if e["sensitivity"] == "key_custody" {
            custody += 1;
            assert_eq!(e["redacted"], true, "{e}");
            for k in ["value", "record", "note", "source", "agent"] {
                assert!(e.get(k).is_none(), "{k} leaked in {e}");
            }
            assert!(e["digest"].as_str().unwrap().starts_with("sha256:"));
            assert!(e["fact"].as_str().unwrap().starts_with("custody."));
        } else {
            assert!(e.get("redacted").is_none(), "{e}");
            assert!(!e["value"].is_null(), "{e}");
        }
    }
    assert_eq!(custody, 3);
    for (k, f) in brief["facts"].as_object().unwrap() {
        if k.starts_with("custody.") {
            assert!(f.get("value").is_none(), "{k}: {f}");
        }
    }
    for secret in KEY_CUSTODY_SECRETS {
        assert!(
            !brief_text.contains(secret),
            "executive brief leaks {secret}"
        );
    }
    let md = ok(&packet(
        &fx,
        &["--channel", "executive-brief", "--format", "markdown"],
    ));
    for secret in KEY_CUSTODY_SECRETS {
        assert!(
            !md.contains(secret),
            "executive brief markdown leaks {secret}"
        );
    }

    let sel_text = ok(&packet(&fx, &["--channel", "authority-selection"]));
    let sel: Value = serde_json::from_str(&sel_text).unwrap();
    assert_eq!(sel["channel"], "authority-selection");
    assert_eq!(sel["recommended_lane"], "legal-trust-office");
    assert!(sel["lanes"].is_array() && sel["options"].is_array());
    assert_eq!(sel["decision_owner"]["lane"], "legal-trust-office");
    assert_eq!(sel["lineage"]["count"], findings_in_journal);
    let ev = decisive(&sel);
    assert!(!ev.is_empty());
    for e in ev {
        assert_eq!(e["redacted"], true, "{e}");
        for k in ["value", "record", "note", "source", "agent"] {
            assert!(e.get(k).is_none(), "{k} leaked in {e}");
        }
    }
    for r in records.iter().filter(|r| r["event"]["type"] == "finding") {
        let f = &r["event"]["finding"];
        for s in [&f["source"]["record"], &f["note"]] {
            let s = s.as_str().unwrap();
            assert!(!sel_text.contains(s), "authority-selection leaks {s}");
        }
    }
    failed_with(&packet(&fx, &["--channel", "press-release"]), 2, "usage");

    // ----- verify -----
    let v: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], json!(records.len()));
    assert_eq!(v["head"], s["head"]);
    assert_eq!(v["torn_tail"], Value::Null);
    assert_eq!(v["path"], "closed/accepted");
    assert_eq!(v["packet_digest"], digest.as_str());
    // With the pins given explicitly.
    ok(&run(
        &[
            "verify",
            "--journal",
            fx.j(),
            "--workflow",
            fx.workflow.to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
        ],
        None,
    ));

    // ----- exit 4: a tampered copy -----
    let tampered = fx.path("tampered.jsonl");
    let original = std::fs::read_to_string(&fx.journal).unwrap();
    assert!(original.contains("1,840 customers run 5.14.x"));
    std::fs::write(
        &tampered,
        original.replace("1,840 customers run 5.14.x", "1,841 customers run 5.14.x"),
    )
    .unwrap();
    let t = tampered.to_str().unwrap();
    let anchored = |cmd: &'static str| {
        vec![
            cmd,
            "--journal",
            t,
            "--workflow",
            fx.workflow.to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
        ]
    };
    failed_with(&run(&anchored("verify"), None), 4, "journal_tampered");
    failed_with(
        &run(&["status", "--journal", t], None),
        4,
        "journal_tampered",
    );
    failed_with(&run(&anchored("packet"), None), 4, "journal_tampered");
    let len = journal_len(&tampered);
    failed_with(
        &run(&["apply", "--journal", t], Some(b"")),
        4,
        "journal_tampered",
    );
    assert_eq!(
        journal_len(&tampered),
        len,
        "apply must not touch a tampered journal"
    );
    // A dropped middle record breaks the chain.
    let dropped: Vec<&str> = original
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&tampered, dropped.join("\n") + "\n").unwrap();
    failed_with(&run(&anchored("verify"), None), 4, "journal_tampered");
}

#[test]
fn usage_and_input_file_errors_exit_2() {
    let fx = Fixture::new();
    failed_with(&run(&["frobnicate"], None), 2, "usage");
    failed_with(&run::<&str>(&[], None), 2, "usage");
    failed_with(&run(&["apply"], None), 2, "usage"); // --journal missing
    failed_with(&run(&["diagram", "--format", "svg"], None), 2, "usage");
    failed_with(
        &run(&["packet", "--journal", "x", "--format", "pdf"], None),
        2,
        "usage",
    );

    let init = |workflow: &str, trust: &str, token: &str, at: &str| {
        run(
            &[
                "init",
                "--workflow",
                workflow,
                "--trust",
                trust,
                "--journal",
                fx.j(),
                "--token",
                token,
                "--at",
                at,
            ],
            None,
        )
    };
    let tok = fx.path("declare.jws");
    std::fs::write(&tok, token(&SAM, T0, declare())).unwrap();
    let tok = tok.to_str().unwrap();
    let wf = fx.workflow.to_str().unwrap();
    let tr = fx.trust.to_str().unwrap();

    // Bad workflow files.
    let bad_wf = fx.path("bad-workflow.json");
    std::fs::write(&bad_wf, "{ not json").unwrap();
    failed(&init(bad_wf.to_str().unwrap(), tr, tok, &ts(T0)), 2);
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(&fx.workflow).unwrap()).unwrap();
    spec["lanes"][1]["required_when"][0]["when"]["fact"] = json!("no.such.fact");
    std::fs::write(&bad_wf, spec.to_string()).unwrap();
    failed(&init(bad_wf.to_str().unwrap(), tr, tok, &ts(T0)), 2);
    failed(&init("/nonexistent/workflow.json", tr, tok, &ts(T0)), 2);

    // Bad trust files.
    let bad_tr = fx.path("bad-trust.json");
    std::fs::write(&bad_tr, "[1, 2").unwrap();
    failed(&init(wf, bad_tr.to_str().unwrap(), tok, &ts(T0)), 2);
    let mut trust: Value = serde_json::from_str(&trust_json()).unwrap();
    trust["principals"][0]["keys"][0]["jwk"]["crv"] = json!("P-256");
    std::fs::write(&bad_tr, trust.to_string()).unwrap();
    failed(&init(wf, bad_tr.to_str().unwrap(), tok, &ts(T0)), 2);

    // Bad --at, missing token file.
    failed_with(&init(wf, tr, tok, "yesterday"), 2, "usage");
    failed(&init(wf, tr, "/nonexistent/token", &ts(T0)), 2);
    assert!(!fx.journal.exists(), "no journal after failed inits");

    // A rejected declaration is exit 3 and creates nothing.
    let not_leader = fx.path("not-leader.jws");
    std::fs::write(&not_leader, token(&DANA, T0, declare())).unwrap();
    failed_with(
        &init(wf, tr, not_leader.to_str().unwrap(), &ts(T0)),
        3,
        "not_authorized",
    );
    assert!(!fx.journal.exists());

    // Declaration from stdin (`--token -`).
    let out = run(
        &[
            "init",
            "--workflow",
            wf,
            "--trust",
            tr,
            "--journal",
            fx.j(),
            "--token",
            "-",
            "--at",
            &ts(T0),
        ],
        Some(format!("{}\n", token(&SAM, T0, declare())).as_bytes()),
    );
    ok(&out);
    // Existing journal.
    failed_with(&init(wf, tr, tok, &ts(T0)), 2, "journal_exists");

    // apply: unreadable input file, missing journal.
    failed(
        &run(
            &["apply", "--journal", fx.j(), "/nonexistent/commands"],
            None,
        ),
        2,
    );
    let missing = fx.path("missing.jsonl");
    failed(
        &run(
            &["apply", "--journal", missing.to_str().unwrap()],
            Some(b""),
        ),
        2,
    );
    assert!(!missing.exists(), "apply does not create journals");
    // apply `-` reads stdin explicitly.
    let out = run(
        &["apply", "--journal", fx.j(), "-"],
        Some(&lines(&required_findings(T0 + 60))),
    );
    assert_eq!(json_lines(&ok(&out)).len(), 3);
    // status with a pin that does not match the journal: exit 4 (integrity).
    let other = fx.path("other-trust.json");
    std::fs::write(&other, trust_json_of(&[SAM, DANA])).unwrap();
    failed_with(
        &run(
            &[
                "status",
                "--journal",
                fx.j(),
                "--trust",
                other.to_str().unwrap(),
            ],
            None,
        ),
        4,
        "pin_mismatch",
    );
}

#[test]
fn diagram_mentions_every_state() {
    for format in ["mermaid", "dot"] {
        let out = ok(&run(&["diagram", "--format", format], None));
        for state in [
            "open",
            "deciding",
            "closed",
            "gathering",
            "drafted",
            "in_review",
            "awaiting_acceptance",
            "accepted",
            "stood_down",
        ] {
            assert!(
                out.contains(state),
                "{format} diagram lacks {state}:\n{out}"
            );
        }
    }
    assert!(ok(&run(&["diagram"], None)).starts_with("stateDiagram-v2"));
    assert!(ok(&run(&["diagram", "--format", "dot"], None)).contains("digraph"));
}

#[test]
fn demo_prints_steps_then_a_packet() {
    let out = ok(&run(&["demo"], None));
    let first = out.lines().next().unwrap();
    assert!(first.trim_start().starts_with("1. "), "{first}");
    let steps: Vec<&str> = out
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(steps.len() >= 10, "{out}");
    for (i, s) in steps.iter().enumerate() {
        assert!(
            s.trim_start().starts_with(&format!("{}. ", i + 1)),
            "step {}: {s}",
            i + 1
        );
    }
    assert!(out.contains("# Recommendation packet"), "{out}");
    assert!(out.contains("legal-trust-office"));
    assert!(steps.last().unwrap().contains("closed/accepted"), "{out}");
}

#[test]
fn demo_journal_verifies_and_json_parses() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("demo.jsonl");
    let j = journal.to_str().unwrap();
    ok(&run(&["demo", "--journal", j], None));
    // The demo writes the trust file of its run-time keys beside the journal.
    let trust = dir.path().join("demo.trust.json");
    let w = workflow_path();
    let anchors = [
        "--trust",
        trust.to_str().unwrap(),
        "--workflow",
        w.to_str().unwrap(),
    ];
    let with = |cmd: &'static str| [&[cmd, "--journal", j][..], &anchors[..]].concat();
    // Bare verify has nothing to authenticate against.
    failed_with(
        &run(&["verify", "--journal", j], None),
        2,
        "anchor_required",
    );
    let v: Value = serde_json::from_str(&ok(&run(&with("verify"), None))).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["path"], "closed/accepted");
    assert_eq!(
        v["supplied_clock_records"], v["records"],
        "the demo supplies its clock"
    );
    let p: Value = serde_json::from_str(&ok(&run(&with("packet"), None))).unwrap();
    assert_eq!(p["packet_digest"], v["packet_digest"]);
    assert_eq!(p["journal"]["seq"], v["seq"]);
    assert_eq!(p["journal"]["head"], v["head"]);
    // demo does not overwrite an existing journal.
    failed_with(&run(&["demo", "--journal", j], None), 2, "journal_exists");

    let out = ok(&run(&["demo", "--format", "json"], None));
    let v: Value = serde_json::from_str(&out).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert!(steps.len() >= 10);
    assert!(steps.iter().any(|s| s["rejected"] == "stale_approval"));
    assert!(steps.iter().any(|s| s["rejected"] == "not_authorized"));
    assert_eq!(v["packet"]["recommended_lane"], "legal-trust-office");
    assert!(
        v["packet"]["packet_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}
