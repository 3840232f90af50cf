//! Untrusted input never panics: random and mutated bytes through every parser that faces the
//! outside world (journal lines, commands, tokens, workflow and trust documents) yield a typed
//! error or a value, never a crash. A stand-in for fuzzing on the stable toolchain.

use authority_lane::approval::{Trust, VerifyContext, verify};
use authority_lane::case::Command;
use authority_lane::cast::Cast;
use authority_lane::demo;
use authority_lane::journal::{MemoryJournal, verify_records};
use authority_lane::store::{Anchors, CaseStore, Clock, replay_reader};
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Utc};
use quickcheck::{QuickCheck, TestResult};
use std::sync::OnceLock;

/// A real journal (the demo scenario, in memory) to mutate.
fn journal_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let at = DateTime::parse_from_rfc3339("2026-11-28T09:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("fixed time");
        let run = demo::run(at, |w, t, token| {
            CaseStore::<MemoryJournal>::in_memory(w, t, token, Clock::Supplied(at))
        })
        .expect("the demo runs");
        run.store.journal().to_jsonl().expect("encodes")
    })
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
        let workflow = include_bytes!("../workflows/signing-key-compromise.json");
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
