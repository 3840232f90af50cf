//! Untrusted input never panics: random and mutated bytes through every parser that faces the
//! outside world (journal lines, commands, tokens, workflow and trust documents) yield a typed
//! error or a value, never a crash. A stand-in for fuzzing on the stable toolchain.

use authority_lane::approval::{Trust, VerifyContext, verify};
use authority_lane::case::Command;
use authority_lane::journal::{MemoryJournal, verify_records};
use authority_lane::store::{Anchors, CaseStore, Clock, replay_reader};
use authority_lane::testing::Cast;
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Utc};
use quickcheck::{QuickCheck, TestResult};
use std::sync::OnceLock;

use crate::support;

/// A real journal (the demo scenario) to mutate.
fn journal_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(support::demo_journal)
}

/// Applies `edits` (position, byte) to a copy of `base`.
fn mutate(base: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    if bytes.is_empty() {
        return bytes;
    }
    for (pos, b) in edits {
        let i = pos % bytes.len();
        bytes[i] = *b;
    }
    bytes
}

#[test]
fn mutated_journals_are_refused_without_panic() {
    fn prop(edits: Vec<(usize, u8)>) -> TestResult {
        if edits.is_empty() {
            return TestResult::discard();
        }
        let base = journal_bytes();
        let bytes = mutate(base, &edits);
        if bytes == base {
            return TestResult::discard();
        }
        // Every changed byte of a complete journal is tampering: both the chain check and the
        // replay refuse it (and neither panics).
        let chain = verify_records(&bytes[..]);
        let replay = replay_reader(&bytes[..], Anchors::default());
        TestResult::from_bool(chain.is_err() && replay.is_err())
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Vec<(usize, u8)>) -> TestResult);
}

#[test]
fn random_bytes_as_a_journal_are_refused_without_panic() {
    fn prop(bytes: Vec<u8>) -> bool {
        let _ = verify_records(&bytes[..]);
        replay_reader(&bytes[..], Anchors::default()).is_err()
    }
    QuickCheck::new()
        .tests(2_000)
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}

#[test]
fn random_command_lines_never_panic() {
    fn prop(line: String, edits: Vec<(usize, u8)>) -> bool {
        let _ = Command::from_json(&line);
        let sample = br#"{"type":"finding","at":"2026-11-28T09:00:00Z","agent":{"role":"custody-evidence","id":"a"},"finding":{"fact":"custody.exposure","value":"suspected","source":{"system":"s","record":"r","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}}"#;
        let mutated = mutate(sample, &edits);
        let _ = Command::from_json(&String::from_utf8_lossy(&mutated));
        true
    }
    QuickCheck::new()
        .tests(2_000)
        .quickcheck(prop as fn(String, Vec<(usize, u8)>) -> bool);
}

#[test]
fn random_and_mutated_tokens_never_panic_or_verify() {
    fn prop(junk: String, edits: Vec<(usize, u8)>) -> TestResult {
        static CAST: OnceLock<(String, Trust)> = OnceLock::new();
        let (token, trust) = CAST.get_or_init(|| {
            let cast = Cast::fixed();
            let token = cast.token(
                "sam.rivera",
                &"case-r".into(),
                DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default(),
                authority_lane::approval::Decision::StandDown(
                    authority_lane::approval::StandDown { reason: "r".into() },
                ),
            );
            (token, cast.trust().clone())
        });
        let ctx = VerifyContext {
            case_id: Some(&"case-r".into()),
            at: DateTime::from_timestamp(1_795_860_010, 0).unwrap_or_default(),
            max_lifetime_secs: 3600,
        };
        let _ = verify(&junk, trust, &ctx);
        let mutated = String::from_utf8_lossy(&mutate(token.as_bytes(), &edits)).into_owned();
        if mutated == *token {
            return TestResult::discard();
        }
        // base64url has a few bit patterns that decode identically; a changed token that still
        // verifies must carry the very same header, claims and signature bytes.
        match verify(&mutated, trust, &ctx) {
            Err(_) => TestResult::passed(),
            Ok(a) => TestResult::from_bool(a.jti() == "sam.rivera-1"),
        }
    }
    QuickCheck::new()
        .tests(2_000)
        .quickcheck(prop as fn(String, Vec<(usize, u8)>) -> TestResult);
}

#[test]
fn mutated_workflow_and_trust_documents_never_panic() {
    fn prop(edits: Vec<(usize, u8)>) -> bool {
        let workflow = include_bytes!("../../workflows/signing-key-compromise.json");
        let _ = Workflow::from_json(&mutate(workflow, &edits));
        let cast = Cast::fixed();
        let trust = serde_json::to_vec(cast.trust().file()).unwrap_or_default();
        let _ = Trust::from_json(&mutate(&trust, &edits));
        true
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Vec<(usize, u8)>) -> bool);
}

#[test]
fn the_unmutated_journal_replays() {
    let replay = replay_reader(journal_bytes(), Anchors::default()).expect("replays");
    assert_eq!(replay.case.path(), "closed/accepted");
    assert!(replay.torn_tail.is_none());
}

/// One finding line assembled from adversarial parts: timestamps near and outside the grammar,
/// numbers around the I-JSON bound, strings with control and non-ASCII characters.
#[derive(Debug, Clone)]
struct Hostile {
    at: String,
    value: serde_json::Value,
    agent: String,
    note: String,
}

impl quickcheck::Arbitrary for Hostile {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        let pick = |g: &mut quickcheck::Gen, xs: &[&str]| (*g.choose(xs).unwrap()).to_owned();
        let year = pick(
            g,
            &[
                "0000", "0001", "1969", "2026", "9999", "+12026", "-0001", "12026",
            ],
        );
        let zone = pick(g, &["Z", "+00:00", "+05:00", "-01:00", "+23:59", "", "z"]);
        let frac = pick(g, &["", ".5", ".123456789", ".1234567891234"]);
        let time = pick(g, &["00:00:00", "23:59:59", "23:59:60", "12:30:00"]);
        let day = pick(g, &["01-01", "12-31", "02-29", "13-01"]);
        let at = format!("{year}-{day}T{time}{frac}{zone}");
        let n = u64::arbitrary(g);
        let value = match u8::arbitrary(g) % 6 {
            0 => serde_json::json!(n % 100),
            1 => serde_json::json!((1u64 << 53) - 1 + n % 3),
            2 => serde_json::json!(n),
            3 => serde_json::json!(-((n % 1000) as i64)),
            4 => serde_json::json!(f64::from(u32::arbitrary(g)) + 0.5),
            _ => serde_json::json!(String::arbitrary(g)),
        };
        Hostile {
            at,
            value,
            agent: String::arbitrary(g),
            note: String::arbitrary(g),
        }
    }
}

/// DESIGN §11.8: every command the store acknowledged replays — no accepted time, number or
/// string makes the journal unreadable, and the replayed case equals the live one.
#[test]
fn every_acknowledged_command_replays() {
    fn prop(h: Hostile) -> TestResult {
        let cast = Cast::fixed();
        let workflow = std::sync::Arc::new(
            Workflow::from_json(include_bytes!(
                "../../workflows/signing-key-compromise.json"
            ))
            .expect("shipped workflow"),
        );
        let t0: DateTime<Utc> = "2026-11-28T09:00:00Z".parse().expect("time");
        let declaration = cast.token(
            "sam.rivera",
            &"case-8".into(),
            t0,
            authority_lane::approval::Decision::Declare(authority_lane::approval::Declare {
                scope: "s".into(),
                severity: "sev1".into(),
            }),
        );
        let mut store = CaseStore::<MemoryJournal>::in_memory(
            workflow,
            std::sync::Arc::new(cast.trust().clone()),
            &declaration,
            Clock::Supplied(t0),
        )
        .expect("opens");
        // A writer whose clock reads the end of time: no `at` is ahead of it.
        store.set_clock(Clock::Supplied(
            "9999-12-31T23:59:59Z".parse().expect("time"),
        ));
        for (fact, role, value) in [
            (
                "lineage.internal_packages_in_window",
                "release-lineage",
                h.value.clone(),
            ),
            (
                "custody.window_start",
                "custody-evidence",
                serde_json::json!(h.at),
            ),
        ] {
            let line = serde_json::json!({"type": "finding", "at": h.at,
                "agent": {"role": role, "id": h.agent},
                "finding": {"fact": fact, "value": value,
                    "source": {"system": h.note, "record": h.agent,
                               "digest": format!("sha256:{}", "0".repeat(64))},
                    "note": h.note}})
            .to_string();
            let Ok(command) = Command::from_json(&line) else {
                continue;
            };
            let submission = store.submit(&[command]).expect("store works");
            ACCEPTED.fetch_add(
                submission.accepted.len(),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        let bytes = store.journal().to_jsonl().expect("encodes");
        match replay_reader(&bytes[..], Anchors::default()) {
            Ok(replay) => TestResult::from_bool(
                serde_json::to_value(replay.case.status()).ok()
                    == serde_json::to_value(store.case().status()).ok(),
            ),
            Err(e) => TestResult::error(format!("acknowledged journal does not replay: {e}")),
        }
    }
    static ACCEPTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    QuickCheck::new()
        .tests(500)
        .quickcheck(prop as fn(Hostile) -> TestResult);
    assert!(
        ACCEPTED.load(std::sync::atomic::Ordering::Relaxed) > 20,
        "the generator must reach accepted findings"
    );
}
