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
//! - (re-chained, anchored) the trust in force is reached from the relying party's trust file
//!   by amendments each signed by a threshold of amenders of the trust before it (DESIGN §16),
//!   walked here independently of the case's own chain: every `amend_trust` token the replay
//!   accepted verifies (`approval::verify`, at its time of record) under the trust the walk has
//!   in force, its issuer holds an amendment role there and it names that trust's digest; the
//!   signatures are grouped by `AmendTrust::digest()` and the trust switches when a group
//!   reaches the threshold. The replayed case's trust in force, keys declared compromised and
//!   number of amendments in effect are the walk's;
//! - (re-chained, anchored) a journal that replays to `closed/accepted` holds an `accept` token
//!   and review tokens from at least `quorum` distinct principals that verify under the trust
//!   the walk had in force at their time of record, with a key no amendment declared
//!   compromised since at or before that time, and name the final draft digest: no accepted
//!   case the key holders did not sign (§11.9), checked from the tokens, independently of the
//!   case's own bookkeeping.
#![no_main]

use authority_lane::approval::{Claims, Compromised, Decision, Trust, VerifyContext, verify};
use authority_lane::case::Leaf;
use authority_lane::digest::Digest;
use authority_lane::journal::{
    Backend, Entry, JournalError, JournalRef, MemoryJournal, ReadReport, Record, seal, verify_records,
};
use authority_lane::store::{Anchors, Replay, replay_reader};
use authority_lane_fuzz::fixture::World;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

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
    if let Ok(replay) = replay_reader(&bytes[..], anchors) {
        let walk = Walk::new(w, &replay, journal.records());
        if replay.case.state() == Leaf::Accepted {
            signed_by_key_holders(w, &replay, &walk);
        }
    }
}

/// A decision token of the journal, read back.
struct Signed {
    claims: Claims,
    kid: String,
    /// Its time of record.
    at: DateTime<Utc>,
    /// Whether it verifies under the trust the walk had in force at its time of record.
    verifies: bool,
}

/// The trust chain walked from the relying party's trust file (DESIGN §16), independently of
/// the case: what every decision token was verified against.
struct Walk {
    /// Every decision token, in journal order.
    signed: Vec<Signed>,
    /// Every key declared compromised, in order.
    compromised: Vec<Compromised>,
}

impl Walk {
    fn new(w: &World, replay: &Replay, records: &[Record]) -> Walk {
        let mut trust: Arc<Trust> = w.trust.clone();
        let mut pending: Vec<(Digest, Vec<(String, String)>)> = Vec::new();
        let mut compromised: Vec<Compromised> = Vec::new();
        let mut amendments = 0usize;
        let mut signed = Vec::new();
        let max_lifetime_secs = w.workflow.review().max_token_lifetime_secs;
        for record in records {
            let event = &record.event;
            if event.get("type").and_then(Value::as_str) != Some("decision") {
                continue;
            }
            let Some(token) = event.get("token").and_then(Value::as_str) else {
                continue;
            };
            let ctx = VerifyContext {
                case_id: Some(replay.case.id()),
                at: record.at,
                max_lifetime_secs,
            };
            let verified = verify(token, &trust, &ctx);
            let Some((kid, claims)) = read(token) else {
                continue;
            };
            if let Decision::AmendTrust(a) = &claims.decision {
                // The replay accepted every record, so this signature counted for the case:
                // it must count under the trust the walk has in force.
                if let Err(e) = &verified {
                    panic!("the replay accepted an amend_trust token that does not verify under the trust in force {} (seq {}): {e}", trust.digest(), record.seq);
                }
                assert!(trust.may_amend(&claims.iss), "the replay accepted an amendment signed by {}, who holds no amendment role of the trust in force (seq {})", claims.iss, record.seq);
                assert_eq!(&a.trust_digest_before, trust.digest(), "the replay accepted an amendment of another trust (seq {})", record.seq);
                let threshold = trust.amendment_policy().map_or(usize::MAX, |p| p.threshold as usize);
                let digest = a.digest();
                let i = match pending.iter().position(|(d, _)| *d == digest) {
                    Some(i) => i,
                    None => {
                        pending.push((digest, Vec::new()));
                        pending.len() - 1
                    }
                };
                let signer = (claims.iss.as_str().to_owned(), kid.clone());
                assert!(
                    !pending[i].1.iter().any(|(p, k)| *p == signer.0 || *k == signer.1),
                    "the replay accepted a second signature of one amendment by {} / {} (seq {})",
                    signer.0,
                    signer.1,
                    record.seq
                );
                pending[i].1.push(signer);
                if pending[i].1.len() >= threshold {
                    let new = Trust::from_file(a.trust.clone()).unwrap_or_else(|e| {
                        panic!("an amendment in effect (seq {}) has a new trust that does not load: {e}", record.seq)
                    });
                    for c in &a.compromised {
                        assert!(has_kid(&trust, &c.kid), "an amendment in effect declares compromised kid {}, not of the trust before it", c.kid);
                        assert!(c.since <= record.at, "an amendment in effect declares kid {} compromised since after its time of record", c.kid);
                        assert!(!has_kid(&new, &c.kid), "an amendment in effect keeps compromised kid {}", c.kid);
                    }
                    compromised.extend(a.compromised.iter().cloned());
                    trust = Arc::new(new);
                    pending.clear();
                    amendments += 1;
                }
            }
            signed.push(Signed {
                claims,
                kid,
                at: record.at,
                verifies: verified.is_ok(),
            });
        }
        assert_eq!(replay.case.trust().digest(), trust.digest(), "the replayed case has another trust in force than the amendments its amenders signed reach");
        assert_eq!(replay.case.compromised_keys(), compromised, "the replayed case has other compromised keys than the amendments in effect declared");
        assert_eq!(replay.case.trust_history().len(), amendments, "the replayed case has another number of amendments in effect");
        Walk { signed, compromised }
    }

    /// Whether `s` was made with a key declared compromised since at or before its time of
    /// record.
    fn compromised(&self, s: &Signed) -> bool {
        self.compromised.iter().any(|c| c.kid.as_str() == s.kid && c.since <= s.at)
    }
}

/// Whether `trust` lists `kid`.
fn has_kid(trust: &Trust, kid: &authority_lane::ids::KeyId) -> bool {
    trust.file().principals.iter().any(|p| p.keys.iter().any(|k| &k.kid == kid))
}

/// The header `kid` and the claims of a token, unverified.
fn read(token: &str) -> Option<(String, Claims)> {
    let mut parts = token.split('.');
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
    let kid = header.get("kid")?.as_str()?.to_owned();
    let claims = serde_json::from_slice::<Claims>(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
    Some((kid, claims))
}

/// An accepted case's final draft is named by an accept token and by review tokens of at least
/// `quorum` distinct principals, each verifying under the trust in force at its time of record
/// (as the walk reached it) with a key not compromised at that time.
fn signed_by_key_holders(w: &World, replay: &Replay, walk: &Walk) {
    let digest = replay.case.draft_digest().expect("an accepted case has a draft");
    let mut accepted = false;
    let mut reviewers = BTreeSet::new();
    for s in &walk.signed {
        if !s.verifies || walk.compromised(s) {
            continue;
        }
        match &s.claims.decision {
            Decision::Accept(a) if a.packet_digest == digest => accepted = true,
            Decision::Review(r) if r.packet_digest == digest => {
                reviewers.insert(s.claims.iss.clone());
            }
            _ => {}
        }
    }
    assert!(accepted, "accepted with no sound accept token for the final draft {digest}");
    let quorum = w.workflow.review().quorum as usize;
    assert!(
        reviewers.len() >= quorum,
        "accepted with {} sound reviewers of the final draft, quorum {quorum}",
        reviewers.len()
    );
}
