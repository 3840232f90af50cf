//! Writes the seed corpora that need the fixed cast's keys: valid command lines and tokens for
//! `command_decide` and `token_verify`, a journal of the fixed cast for `journal_replay`, and
//! the fixed trust file and a minimal workflow for `documents_load`. Deterministic: the keys come
//! from fixed seeds, the times from `fixture::t0()`, and Ed25519 signatures are deterministic.
//!
//! `cargo run --release --manifest-path fuzz/seedgen/Cargo.toml -- fuzz/corpus` (what
//! `fuzz/seeds.sh` runs). Prints what the case makes of each command seed.

#[path = "../../src/fixture.rs"]
#[allow(dead_code)]
mod fixture;

use authority_lane::approval::{KeyEntry, PrincipalEntry, Trust, TrustFile};
use authority_lane::case::{Case, Command};
use authority_lane::ids::{KeyId, PrincipalId, RoleId};
use authority_lane::store::{CaseStore, Clock};
use chrono::{DateTime, Duration, Utc};
use fixture::{CASE_ID, World, decision_line, finding_line, now, rfc3339, t0};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let w = World::new();
    command_decide(&w, &out.join("command_decide"));
    token_verify(&w, &out.join("token_verify"));
    journal_replay(&w, &out.join("journal_replay"));
    documents_load(&w, &out.join("documents_load"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    assert!(bytes.len() < 64 * 1024, "seed {name} is {} bytes", bytes.len());
    std::fs::create_dir_all(dir).expect("create the corpus directory");
    std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
}

/// Deterministic filler bytes for the structured forms (a 64-bit LCG).
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

/// A token by `who` for the fuzz case, valid from a minute before `at` for ten minutes.
fn token_at(w: &World, who: &str, at: DateTime<Utc>, jti: &str, decision: Value) -> String {
    let iat = at.timestamp() - 60;
    w.sign(who, CASE_ID, iat, iat + 600, jti, decision)
}

/// As [`token_at`], signed with `who`'s key in `trust` (the trust in force of a case).
fn token_in(w: &World, trust: &Trust, who: &str, at: DateTime<Utc>, jti: &str, decision: Value) -> String {
    let iat = at.timestamp() - 60;
    w.sign_in(trust, who, CASE_ID, iat, iat + 600, jti, decision)
}

/// The kid of `who` in `trust`.
fn kid_of(trust: &Trust, who: &str) -> KeyId {
    trust.file().principals.iter().find(|p| p.id.as_str() == who).expect("a principal of the trust").keys[0].kid.clone()
}

/// `trust` with `who`'s keys replaced by pool key `pool` (a re-key after a compromise).
fn rekeyed(w: &World, trust: &Trust, who: &str, pool: usize) -> TrustFile {
    let mut file = trust.file().clone();
    let p = file.principals.iter_mut().find(|p| p.id.as_str() == who).expect("a principal of the trust");
    p.keys = vec![KeyEntry { kid: w.pool[pool].kid().clone(), jwk: w.pool[pool].public_jwk() }];
    file
}

/// An `amend_trust` decision of `trust` to `new`, declaring `compromised` (kid, since).
fn amend_trust(trust: &Trust, new: &TrustFile, compromised: &[(KeyId, DateTime<Utc>)], reason: &str) -> Value {
    let compromised: Vec<Value> = compromised.iter().map(|(kid, since)| json!({"kid": kid, "since": rfc3339(since)})).collect();
    json!({"kind": "amend_trust", "trust_digest_before": trust.digest(), "trust": new,
           "compromised": compromised, "reason": reason})
}

fn all_attests(w: &World) -> Vec<String> {
    w.workflow.review().attestations.iter().map(ToString::to_string).collect()
}

/// Decides `lines` against `case` at `start` + i seconds, as the target's raw form does, and
/// reports each outcome.
fn simulate(w: &World, name: &str, mut case: Case, lines: &[String], start: DateTime<Utc>) -> Case {
    let _ = w;
    for (i, line) in lines.iter().enumerate() {
        let at = start + Duration::seconds(i as i64);
        let outcome = Command::from_json(line).and_then(|c| case.decide(&c, at));
        match outcome {
            Ok(events) => {
                for e in events {
                    case.evolve(e).expect("an event decided on this state applies");
                }
                println!("command_decide/seed-{name} line {i}: accepted -> {}", case.path());
            }
            Err(r) => println!("command_decide/seed-{name} line {i}: rejected {}", r.code()),
        }
    }
    case
}

fn command_decide(w: &World, dir: &Path) {
    let at = now();
    let t = rfc3339(&(at - Duration::seconds(30)));
    let drafted = &w.drafted;
    let draft = drafted.draft_digest().expect("a drafted case has a draft");
    let assessment = drafted.assessment_digest();
    let lane = drafted.recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("the lane has an owner in the cast");
    let lowest = w.workflow.lanes()[0].id.clone();
    let attests = all_attests(w);
    let f = |role, agent, fact, value, system, record, note| {
        finding_line(&t, role, agent, fact, value, system, record, note).to_string()
    };
    let d = |who: &str, jti: &str, decision: Value| decision_line(&t, &token_at(w, who, at, jti, decision)).to_string();
    let singles: Vec<(&str, String)> = vec![
        ("finding-enum", f("custody-evidence", "custody-agent-2", "custody.exposure", json!("confirmed"), "key-custody-records", "custody/ticket/1", None)),
        ("finding-count", f("release-lineage", "lineage-agent-1", "lineage.internal_packages_in_window", json!(14), "artifact-lineage-inventory", "lineage/internal/1", None)),
        ("finding-timestamp", f("custody-evidence", "custody-agent-1", "custody.window_start", json!("2026-11-26T08:00:00Z"), "hsm-audit-log", "hsm/audit/2", None)),
        ("finding-bool-note", f("impact-assessment", "impact-agent-1", "impact.contractual_disclosure_required", json!(true), "support-obligation-notes", "contracts/msa/9.2", Some("MSA s9.2 requires notice within 72 hours"))),
        ("review", d("lee.park", "seed-review", json!({"kind": "review", "packet_digest": draft, "attests": attests}))),
        ("delegate", d(owner, "seed-delegate", json!({"kind": "delegate", "lane": lane, "to": "omar.haddad", "until": rfc3339(&(at + Duration::days(1)))}))),
        ("request-evidence", d(owner, "seed-request", json!({"kind": "redirect", "action": "request_evidence", "facts": ["impact.customers_affected"], "reason": "need the customer count"}))),
        ("set-lane", d(owner, "seed-set-lane", json!({"kind": "redirect", "action": "set_lane", "lane": lowest, "assessment_digest": assessment, "reason": "platform can own this"}))),
        ("exclude-option", d(owner, "seed-exclude", json!({"kind": "redirect", "action": "exclude_option", "option": w.workflow.options()[0].id, "assessment_digest": assessment, "reason": "not applicable"}))),
        ("stand-down", d("sam.rivera", "seed-stand-down", json!({"kind": "stand_down", "reason": "false alarm"}))),
    ];
    for (name, line) in &singles {
        simulate(w, name, drafted.clone(), std::slice::from_ref(line), at);
        write(dir, name, line.as_bytes());
    }
    // Two reviews and the owner's acceptance, one line each, reaching closed/accepted.
    let mut case = drafted.clone();
    let mut lines = Vec::new();
    for (i, who) in ["lee.park", "ines.duarte"].into_iter().enumerate() {
        let t_i = at + Duration::seconds(i as i64);
        let digest = case.draft_digest().expect("a draft");
        let line = decision_line(
            &rfc3339(&t_i),
            &token_at(w, who, t_i, &format!("seed-script-{i}"), json!({"kind": "review", "packet_digest": digest, "attests": attests})),
        )
        .to_string();
        case = simulate(w, "script-accept (build)", case, std::slice::from_ref(&line), t_i);
        lines.push(line);
    }
    let t_2 = at + Duration::seconds(2);
    let digest = case.draft_digest().expect("a draft");
    let lane = case.recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("an owner");
    lines.push(
        decision_line(
            &rfc3339(&t_2),
            &token_at(w, owner, t_2, "seed-script-2", json!({"kind": "accept", "lane": lane, "packet_digest": digest})),
        )
        .to_string(),
    );
    let end = simulate(w, "script-accept", drafted.clone(), &lines, at);
    assert_eq!(end.path(), "closed/accepted", "the script seed reaches acceptance");
    write(dir, "script-accept", lines.join("\n").as_bytes());
    // Structured scripts, encoded as `arbitrary` decodes command_decide's `Script`: a bool
    // (from drafted), then per step a "keep going" byte, `Advance::Seconds(5)` (variant 1 of 4)
    // and `Step::Next` (variant 2 of 6) without `odd`. Such a script walks the case to
    // `closed/accepted`; the fuzzer mutates it from there. If the layout of `Script` changes,
    // these stay valid inputs, only less useful ones.
    let next_steps = |drafted: bool, steps: usize| {
        let mut bytes = vec![u8::from(drafted)];
        for _ in 0..steps {
            bytes.push(1);
            bytes.extend_from_slice(&variant(1, 4));
            bytes.push(5);
            bytes.extend_from_slice(&variant(2, STEP_VARIANTS));
            bytes.push(0);
        }
        bytes.push(0);
        bytes
    };
    write(dir, "structured-next-drafted", &next_steps(true, 4));
    write(dir, "structured-next-gathering", &next_steps(false, 7));
    write(dir, "structured-amend-rekey", &structured_amend(w));
    amend_seeds(w, dir);
    let mut bytes = filler(1, 512);
    if bytes[0] == b'{' {
        bytes[0] = 0;
    }
    write(dir, "structured-random", &bytes);
}

/// How many variants command_decide's `Step` has.
const STEP_VARIANTS: u64 = 6;

/// A structured script from the drafted case: a review (`Next`), an amendment by the first
/// amender declaring the reviewer's key compromised since that review (`Since::Record(0)`) and
/// re-keying the reviewer with pool key 0, its second signature (`Cosign`, the next amender),
/// then `Next` three times: the reviewer again (with the new key), the second reviewer, the
/// owner's acceptance.
fn structured_amend(w: &World) -> Vec<u8> {
    let mut bytes = vec![1u8];
    let advance = |bytes: &mut Vec<u8>| {
        bytes.push(1); // keep going
        bytes.extend_from_slice(&variant(1, 4)); // Advance::Seconds
        bytes.push(5);
    };
    let next = |bytes: &mut Vec<u8>| {
        advance(bytes);
        bytes.extend_from_slice(&variant(2, STEP_VARIANTS));
        bytes.push(0); // odd: None
    };
    next(&mut bytes);
    advance(&mut bytes);
    bytes.extend_from_slice(&variant(4, STEP_VARIANTS)); // Step::Amend
    bytes.push(0); // who: None
    bytes.push(0); // changes: []
    bytes.push(1); // compromised: [one]
    let kids: Vec<String> = w.trust.file().principals.iter().flat_map(|p| p.keys.iter().map(|k| k.kid.to_string())).collect();
    let lee = kids.iter().position(|k| *k == kid_of(&w.trust, "lee.park").as_str()).expect("lee.park's kid");
    bytes.extend_from_slice(&variant(0, 3)); // KidPick::InForce
    bytes.push(lee as u8);
    bytes.extend_from_slice(&variant(2, 6)); // Since::Record
    bytes.push(0);
    bytes.push(0); // keep: false
    bytes.push(1); // rekey: Some(0)
    bytes.push(0);
    bytes.push(0); // end of compromised
    bytes.push(0); // before: None
    bytes.push(0); // reason: None
    bytes.push(0); // odd: None
    advance(&mut bytes);
    bytes.extend_from_slice(&variant(5, STEP_VARIANTS)); // Step::Cosign
    bytes.push(0); // who: None
    bytes.push(0); // odd: None
    for _ in 0..3 {
        next(&mut bytes);
    }
    bytes.push(0);
    bytes
}

/// Raw seeds (one command line each, decided against the drafted case at `now()` + i s) that
/// reach trust amendments: a re-key that voids a review, an amendment after acceptance that
/// voids the acceptance (and reopens), and a newcomer added with a second key.
fn amend_seeds(w: &World, dir: &Path) {
    let at = now();
    let attests = all_attests(w);
    let root = w.trust.clone();
    // 1. lee.park reviews; sam.rivera and marcus.chen declare lee's key compromised since that
    //    review and give lee pool key 0; lee reviews again with it, ines.duarte reviews, the
    //    owner accepts.
    let mut case = w.drafted.clone();
    let mut lines: Vec<String> = Vec::new();
    let push = |case: &mut Case, lines: &mut Vec<String>, who: &str, decision: Value| {
        let t_i = at + Duration::seconds(lines.len() as i64);
        let token = token_in(w, case.trust(), who, at, &format!("seed-amend-{}", lines.len()), decision);
        let line = decision_line(&rfc3339(&t_i), &token).to_string();
        *case = simulate(w, "amend-rekey (build)", case.clone(), std::slice::from_ref(&line), t_i);
        lines.push(line);
    };
    let review = |case: &Case| json!({"kind": "review", "packet_digest": case.draft_digest().expect("a draft"), "attests": attests});
    let d = review(&case);
    push(&mut case, &mut lines, "lee.park", d);
    let amendment = amend_trust(&root, &rekeyed(w, &root, "lee.park", 0), &[(kid_of(&root, "lee.park"), at)], "lee.park's laptop was stolen");
    push(&mut case, &mut lines, "sam.rivera", amendment.clone());
    push(&mut case, &mut lines, "marcus.chen", amendment);
    assert_eq!(case.trust_history().len(), 1, "the re-key amendment takes effect");
    assert_eq!(case.status().signoffs, 0, "the re-key amendment voids lee.park's review");
    let d = review(&case);
    push(&mut case, &mut lines, "lee.park", d);
    let d = review(&case);
    push(&mut case, &mut lines, "ines.duarte", d);
    let lane = case.recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("an owner");
    let d = json!({"kind": "accept", "lane": lane, "packet_digest": case.draft_digest().expect("a draft")});
    push(&mut case, &mut lines, owner, d);
    assert_eq!(case.path(), "closed/accepted", "the re-key seed reaches acceptance");
    // 2. After that acceptance, dana.okafor and ruth.mensah declare the owner's key compromised
    //    since the acceptance, add a newcomer holding security leadership with two pool keys,
    //    and re-key the owner: the acceptance is voided and the case reopens.
    let trust = case.trust().clone();
    let accepted_at = at + Duration::seconds(lines.len() as i64 - 1);
    let mut new = rekeyed(w, &trust, owner, 1);
    new.principals.push(PrincipalEntry {
        id: PrincipalId::from("fz.newcomer-0"),
        roles: vec![RoleId::from("security-leadership")],
        keys: [2, 3].map(|i| KeyEntry { kid: w.pool[i].kid().clone(), jwk: w.pool[i].public_jwk() }).to_vec(),
    });
    let amendment = amend_trust(&trust, &new, &[(kid_of(&trust, owner), accepted_at)], "the owner's key signed outside the HSM");
    push(&mut case, &mut lines, "dana.okafor", amendment.clone());
    push(&mut case, &mut lines, "ruth.mensah", amendment);
    assert_eq!(case.trust_history().len(), 2, "the second amendment takes effect");
    assert_ne!(case.path(), "closed/accepted", "a voided acceptance reopens the case");
    write(dir, "amend-rekey-void-acceptance", lines.join("\n").as_bytes());
    // 3. One signature of an amendment that would lock amendments out (threshold 9), then one
    //    of an amendment that drops `amendments`: both refused, as raw lines.
    let mut locked = root.file().clone();
    locked.amendments.as_mut().expect("the cast declares amendments").threshold = 9;
    let line = decision_line(&rfc3339(&at), &token_in(w, &root, "sam.rivera", at, "seed-lockout", amend_trust(&root, &locked, &[], "lock-out"))).to_string();
    simulate(w, "amend-lockout", w.drafted.clone(), std::slice::from_ref(&line), at);
    write(dir, "amend-lockout", line.as_bytes());
}

/// The little-endian `u32` that `arbitrary`'s derived enums decode as variant `i` of `n`
/// (`(u64::from(x) * n) >> 32`), taken from the middle of the variant's range.
fn variant(i: u64, n: u64) -> [u8; 4] {
    let x = ((2 * i + 1) << 32) / (2 * n);
    (x as u32).to_le_bytes()
}

fn token_verify(w: &World, dir: &Path) {
    let at = now();
    let attests = all_attests(w);
    let draft = w.drafted.draft_digest().expect("a draft");
    let lane = w.drafted.recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("an owner");
    let valid = [
        ("review", "lee.park", json!({"kind": "review", "packet_digest": draft, "attests": attests})),
        ("accept", owner, json!({"kind": "accept", "lane": lane, "packet_digest": draft})),
        ("delegate", owner, json!({"kind": "delegate", "lane": lane, "to": "omar.haddad", "until": rfc3339(&(at + Duration::days(1)))})),
        ("redirect", owner, json!({"kind": "redirect", "action": "request_evidence", "facts": ["impact.customers_affected"], "reason": "need the count"})),
        ("stand-down", "sam.rivera", json!({"kind": "stand_down", "reason": "false alarm"})),
        ("declare", "sam.rivera", json!({"kind": "declare", "scope": "production signing key", "severity": "sev1"})),
    ];
    for (name, who, decision) in valid {
        write(dir, name, token_at(w, who, at, &format!("seed-{name}"), decision).as_bytes());
    }
    let stand_down = json!({"kind": "stand_down", "reason": "r"});
    let iat = at.timestamp();
    write(dir, "expired", w.sign("sam.rivera", CASE_ID, iat - 700, iat - 100, "seed-expired", stand_down.clone()).as_bytes());
    write(dir, "not-yet-valid", w.sign("sam.rivera", CASE_ID, iat + 120, iat + 600, "seed-nyv", stand_down.clone()).as_bytes());
    write(dir, "too-long", w.sign("sam.rivera", CASE_ID, iat - 60, iat + 7200, "seed-long", stand_down.clone()).as_bytes());
    write(dir, "other-case", w.sign("sam.rivera", "case-other", iat - 60, iat + 540, "seed-other", stand_down.clone()).as_bytes());
    // RFC 8037 A.4: a valid EdDSA JWS under a key no trust file lists.
    write(dir, "rfc8037-a4", b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
    for i in 0..3u64 {
        let mut bytes = filler(100 + i, 256);
        bytes[0] = 0;
        write(dir, &format!("signed-{i}"), &bytes);
    }
}

fn journal_replay(w: &World, dir: &Path) {
    let mut store = CaseStore::in_memory(w.workflow.clone(), w.trust.clone(), &w.declaration, Clock::Supplied(t0()))
        .expect("the fixed declaration opens a case");
    let submit = |store: &mut CaseStore<_>, at: DateTime<Utc>, line: Value| {
        store.set_clock(Clock::Supplied(at));
        let command = Command::from_json(&line.to_string()).expect("a seed command parses");
        let done = store.submit(&[command]).expect("the journal appends");
        if let Some((_, r)) = done.rejected {
            panic!("seed journal command refused: {r}");
        }
    };
    for (i, (role, agent, fact, value, system, record)) in fixture::required_findings().into_iter().enumerate() {
        let at = t0() + Duration::minutes(i as i64 + 1);
        submit(&mut store, at, finding_line(&rfc3339(&at), role, agent, fact, value, system, record, None));
    }
    let at = t0() + Duration::minutes(4);
    submit(
        &mut store,
        at,
        finding_line(&rfc3339(&at), "custody-evidence", "custody-agent-2", "custody.rogue_signatures_observed", json!(2), "signing-service-telemetry", "telemetry/1", Some("two signatures missing from telemetry")),
    );
    let attests = all_attests(w);
    for (i, who) in ["lee.park", "ines.duarte"].into_iter().enumerate() {
        let at = t0() + Duration::minutes(5 + i as i64);
        let digest = store.case().draft_digest().expect("a draft");
        let token = token_at(w, who, at, &format!("journal-review-{i}"), json!({"kind": "review", "packet_digest": digest, "attests": attests}));
        submit(&mut store, at, decision_line(&rfc3339(&at), &token));
    }
    let at = t0() + Duration::minutes(7);
    let digest = store.case().draft_digest().expect("a draft");
    let lane = store.case().recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("an owner");
    let token = token_at(w, owner, at, "journal-accept", json!({"kind": "accept", "lane": lane, "packet_digest": digest}));
    submit(&mut store, at, decision_line(&rfc3339(&at), &token));
    assert_eq!(store.case().path(), "closed/accepted", "the seed journal reaches acceptance");
    let bytes = store.journal().to_jsonl().expect("the journal encodes");
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    println!("journal_replay/seed-fixed-accepted: {} records, {} bytes, lane {lane}", store.journal().records().len(), bytes.len());
    write(dir, "fixed-accepted", &bytes);
    let mut rechain = vec![0u8];
    rechain.extend_from_slice(&bytes);
    write(dir, "fixed-accepted-rechain", &rechain);
    write(dir, "fixed-genesis-only", lines[0]);
    let mut torn: Vec<u8> = lines[..lines.len() - 1].concat();
    torn.extend_from_slice(&lines[lines.len() - 1][..40]);
    write(dir, "fixed-torn-tail", &torn);
    journal_amended(w, dir);
}

/// A fixed-cast journal with trust amendments (DESIGN §16): a review, an amendment declaring the
/// reviewer's key compromised since before it (so the review is voided) and re-keying the
/// reviewer, signed by two amenders, the reviewer's review with the new key, a second review,
/// the acceptance; then an amendment adding a newcomer amender with a pool key, in effect after
/// acceptance (the case stays accepted: security leadership holds no lane, so the decision,
/// whose owner lists the lane's holders, is unchanged). Also its prefix up to the first amendment's first
/// signature (pending); both in the re-chained form (whose bytes the raw checks also read).
fn journal_amended(w: &World, dir: &Path) {
    let mut store = CaseStore::in_memory(w.workflow.clone(), w.trust.clone(), &w.declaration, Clock::Supplied(t0()))
        .expect("the fixed declaration opens a case");
    let submit = |store: &mut CaseStore<_>, at: DateTime<Utc>, line: Value| {
        store.set_clock(Clock::Supplied(at));
        let command = Command::from_json(&line.to_string()).expect("a seed command parses");
        let done = store.submit(&[command]).expect("the journal appends");
        if let Some((_, r)) = done.rejected {
            panic!("seed journal command refused: {r}");
        }
    };
    for (i, (role, agent, fact, value, system, record)) in fixture::required_findings().into_iter().enumerate() {
        let at = t0() + Duration::minutes(i as i64 + 1);
        submit(&mut store, at, finding_line(&rfc3339(&at), role, agent, fact, value, system, record, None));
    }
    let attests = all_attests(w);
    let decide = |store: &mut CaseStore<_>, minute: i64, who: &str, decision: Value| {
        let at = t0() + Duration::minutes(minute);
        let token = token_in(w, store.case().trust(), who, at, &format!("journal-amended-{minute}"), decision);
        submit(store, at, decision_line(&rfc3339(&at), &token));
    };
    let review = |store: &CaseStore<_>| json!({"kind": "review", "packet_digest": store.case().draft_digest().expect("a draft"), "attests": attests});
    let d = review(&store);
    decide(&mut store, 5, "lee.park", d);
    let root = w.trust.clone();
    let amendment = amend_trust(&root, &rekeyed(w, &root, "lee.park", 0), &[(kid_of(&root, "lee.park"), t0() + Duration::minutes(4))], "stolen laptop");
    decide(&mut store, 6, "sam.rivera", amendment.clone());
    let pending = store.journal().to_jsonl().expect("the journal encodes");
    decide(&mut store, 7, "marcus.chen", amendment);
    assert_eq!(store.case().status().signoffs, 0, "the amendment voids the review");
    let d = review(&store);
    decide(&mut store, 8, "lee.park", d);
    let d = review(&store);
    decide(&mut store, 9, "ines.duarte", d);
    let lane = store.case().recommended_lane().clone();
    let owner = w.owner_of(&lane).expect("an owner");
    let accept = json!({"kind": "accept", "lane": lane, "packet_digest": store.case().draft_digest().expect("a draft")});
    decide(&mut store, 10, owner, accept);
    let trust = store.case().trust().clone();
    let mut new = trust.file().clone();
    new.principals.push(PrincipalEntry {
        id: PrincipalId::from("fz.newcomer-1"),
        roles: vec![RoleId::from("security-leadership")],
        keys: vec![KeyEntry { kid: w.pool[4].kid().clone(), jwk: w.pool[4].public_jwk() }],
    });
    let amendment = amend_trust(&trust, &new, &[], "a deputy joins");
    decide(&mut store, 11, "dana.okafor", amendment.clone());
    decide(&mut store, 12, "ruth.mensah", amendment);
    assert_eq!(store.case().trust_history().len(), 2, "both amendments take effect");
    assert_eq!(store.case().path(), "closed/accepted", "the amended seed journal stays accepted");
    let bytes = store.journal().to_jsonl().expect("the journal encodes");
    println!("journal_replay/seed-amended-accepted-rechain: {} records, {} bytes", store.journal().records().len(), bytes.len());
    let mut rechain = vec![0u8];
    rechain.extend_from_slice(&bytes);
    write(dir, "amended-accepted-rechain", &rechain);
    let mut rechain = vec![0u8];
    rechain.extend_from_slice(&pending);
    write(dir, "amended-pending-rechain", &rechain);
}

fn documents_load(w: &World, dir: &Path) {
    write(dir, "workflow-shipped.json", fixture::WORKFLOW_JSON);
    let trust = serde_json::to_vec_pretty(w.trust.file()).expect("a trust file serialises");
    write(dir, "trust-fixed.json", &trust);
    let minimal = json!({
        "id": "minimal",
        "title": "Minimal",
        "facts": [
            {"key": "a.count", "type": "count", "sensitivity": "general", "submitted_by": "agent",
             "source_systems": ["s"], "description": "d"},
            {"key": "a.level", "type": "enum", "values": ["low", "high"], "sensitivity": "key_custody",
             "submitted_by": "agent", "source_systems": ["s"], "description": "d"},
            {"key": "a.when", "type": "timestamp", "time_severity": "latest", "sensitivity": "general",
             "submitted_by": "agent", "source_systems": ["s"], "description": "d"},
            {"key": "a.flag", "type": "bool", "sensitivity": "general", "submitted_by": "agent",
             "source_systems": ["s"], "description": "d"}
        ],
        "lanes": [
            {"id": "low", "rank": 1, "title": "Low", "holder_role": "platform-security-command"},
            {"id": "high", "rank": 2, "title": "High", "holder_role": "executive-cyber-command",
             "required_when": [{"id": "H1", "when": {"any": [{"fact": "a.count", "gt": 0},
                 {"all": [{"fact": "a.level", "eq": "high"}, {"not": {"fact": "a.flag", "eq": false}}]},
                 {"fact": "a.when", "lt": "2026-11-28T00:00:00Z"}]}}]}
        ],
        "options": [
            {"id": "o1", "title": "O1", "boundary_lane": "low", "reversibility": "reversible", "notes": []},
            {"id": "o2", "title": "O2", "applicable_when": {"fact": "a.flag", "eq": true},
             "boundary_lane": {"if": {"fact": "a.count", "gte": 10}, "then": "high", "else": "low"},
             "reversibility": "irreversible", "notes": ["n"]}
        ],
        "review": {"quorum": 1, "required_roles": ["product-security-reviewer"],
                   "attestations": ["blocked_paths_surfaced"], "max_token_lifetime_secs": 3600,
                   "separation_of_duties": true, "command_role": "security-leadership"},
        "channels": [{"id": "all", "carries": ["general", "key_custody"], "scope": "full"}],
        "required_before_review": ["a.count"]
    });
    let minimal = serde_json::to_vec(&minimal).expect("JSON");
    if let Err(e) = authority_lane::workflow::Workflow::from_json(&minimal) {
        panic!("the minimal workflow seed does not load: {e}");
    }
    write(dir, "workflow-minimal.json", &minimal);
}
