//! `journal_replay`: untrusted journal bytes (DESIGN §11.4, §11.9, §12 "anyone who can write the
//! journal").
//!
//! Two input forms:
//! - **raw** (any input not starting with a 0 byte): the bytes are a journal file;
//! - **re-chained** (input starting with 0): the rest is read as JSON lines, each line with a
//!   parseable `at` and an object `event` becomes an entry, and the entries are sealed into a
//!   fresh hash chain by the crate's own writer (`MemoryJournal`) — what an attacker who can
//!   write the journal but holds no approver key can produce. Then the raw checks run on the
//!   re-chained bytes, and the journal is replayed with the relying party's anchors (the shipped
//!   workflow and the fixed cast's trust file, which the seed journals are pinned to).
//!
//! Properties:
//! - no panic; errors have non-empty codes;
//! - if `store::replay_reader` accepts the bytes, `journal::verify_records` does too, with the
//!   same number of records, the same torn tail, and the last record as the replay's head;
//! - (re-chained) whatever the writer seals, `verify_records` reads back, record for record;
//! - (re-chained, anchored) a journal that replays to `closed/accepted` holds an `accept` token
//!   and review tokens from at least `quorum` distinct principals that verify under the relying
//!   party's trust file and name the final draft digest: no accepted case the key holders did
//!   not sign (§11.9), checked from the tokens, independently of the case's own bookkeeping.
#![no_main]

use authority_lane::approval::{Claims, Decision, VerifyContext, verify};
use authority_lane::case::Leaf;
use authority_lane::journal::{
    Backend, Entry, JournalError, JournalRef, MemoryJournal, ReadReport, seal, verify_records,
};
use authority_lane::store::{Anchors, Replay, replay_reader};
use authority_lane_fuzz::fixture::World;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeSet;

thread_local! {
    static WORLD: World = World::new();
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, rest)) => WORLD.with(|w| rechained(w, rest)),
        _ => {
            raw(data);
        }
    }
});

/// The raw checks; returns `verify_records`' report when it accepted the bytes.
fn raw(bytes: &[u8]) -> Option<ReadReport> {
    let verified = match verify_records(bytes) {
        Ok(report) => Some(report),
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            None
        }
    };
    let replayed = match replay_reader(bytes, Anchors::default()) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            return verified;
        }
    };
    let Some(report) = verified else {
        panic!("replay_reader accepts a journal that verify_records refuses");
    };
    assert_eq!(replayed.records, report.records.len() as u64, "record counts differ");
    assert_eq!(replayed.torn_tail, report.torn_tail, "torn tails differ");
    let last = report.records.last().expect("a replayed journal has records");
    assert_eq!((replayed.head.seq, &replayed.head.head), (last.seq, &last.hash), "heads differ");
    Some(report)
}

/// A sealing result: `None` when the writer refuses an event with no RFC 8785 form
/// (`InvalidEvent`); any other refusal of an object event is a bug.
fn sealed<T>(r: Result<T, JournalError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(JournalError::InvalidEvent { .. }) => None,
        Err(e) => panic!("an object event of I-JSON values seals: {e:?}"),
    }
}

fn rechained(w: &World, text: &[u8]) {
    let entries: Vec<Entry> = text
        .split(|b| *b == b'\n')
        .filter_map(|line| {
            let v: Value = serde_json::from_slice(line).ok()?;
            let at = authority_lane::time::parse(v.get("at")?.as_str()?).ok()?;
            let event = v.get("event")?;
            event.is_object().then(|| Entry::new(at, event.clone()))
        })
        .take(64)
        .collect();
    let mut entries = entries.into_iter();
    let Some(genesis) = entries.next() else {
        return;
    };
    // The writer refuses to seal an event with no RFC 8785 form (a float, an integer beyond
    // I-JSON): such a journal cannot be written, so there is nothing to re-chain.
    let Some(mut journal) = sealed(MemoryJournal::new(genesis)) else {
        return;
    };
    let rest: Vec<Entry> = entries.collect();
    let head = journal.records().last().map(|r| JournalRef { seq: r.seq, head: r.hash.clone() });
    let Some(batch) = sealed(seal(head.as_ref(), rest)) else {
        return;
    };
    journal.append_batch(head.as_ref(), &batch).expect("a batch sealed against the head appends");
    let bytes = journal.to_jsonl().expect("sealed records encode");
    match raw(&bytes) {
        Some(report) => assert_eq!(report.records, journal.records(), "records read back differ"),
        None => panic!("a journal sealed by the crate's writer does not verify: {:?}", verify_records(&bytes[..]).err()),
    }
    let anchors = Anchors {
        workflow: Some(w.workflow.clone()),
        trust: Some(w.trust.clone()),
        expect_head: None,
        case: None,
    };
    if let Ok(replay) = replay_reader(&bytes[..], anchors)
        && replay.case.state() == Leaf::Accepted
    {
        signed_by_key_holders(w, &replay, journal.records().iter().map(|r| &r.event));
    }
}

/// An accepted case's final draft is named by a verifying accept token and by verifying review
/// tokens of at least `quorum` distinct principals among the journal's decision events.
fn signed_by_key_holders<'a>(w: &World, replay: &Replay, events: impl Iterator<Item = &'a Value>) {
    let digest = replay.case.draft_digest().expect("an accepted case has a draft");
    let mut accepted = false;
    let mut reviewers = BTreeSet::new();
    for event in events {
        if event.get("type").and_then(Value::as_str) != Some("decision") {
            continue;
        }
        let Some(token) = event.get("token").and_then(Value::as_str) else {
            continue;
        };
        let Some(claims) = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|p| serde_json::from_slice::<Claims>(&p).ok())
        else {
            continue;
        };
        let Some(at) = chrono::DateTime::from_timestamp(claims.iat, 0) else {
            continue;
        };
        let ctx = VerifyContext {
            case_id: Some(replay.case.id()),
            at,
            max_lifetime_secs: i64::MAX,
        };
        if verify(token, &w.trust, &ctx).is_err() {
            continue;
        }
        match &claims.decision {
            Decision::Accept(a) if a.packet_digest == digest => accepted = true,
            Decision::Review(r) if r.packet_digest == digest => {
                reviewers.insert(claims.iss.clone());
            }
            _ => {}
        }
    }
    assert!(accepted, "accepted with no verifying accept token for the final draft {digest}");
    let quorum = w.workflow.review().quorum as usize;
    assert!(
        reviewers.len() >= quorum,
        "accepted with {} verifying reviewers of the final draft, quorum {quorum}",
        reviewers.len()
    );
}
