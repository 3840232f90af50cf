//! Bringing your own storage: a journal backend implemented outside the crate.
//!
//! Run with `cargo run --example custom_backend`.
//!
//! An orchestrator already has a store it trusts for durability — here a stand-in key-value
//! store shared by several workers (`SharedKv`). To keep a case in it, implement
//! [`Backend`]: three small methods that only move bytes. The crate seals every record (hash
//! chain, RFC 8785 canonical lines) before your backend sees it, and verifies every line your
//! backend returns, so a backend cannot get the journal format wrong; what it must get right is
//! the **compare-and-set**: store a batch only if the journal's head is still the one the batch
//! was sealed against.
//!
//! Two workers then share one case through it. When both decide against the same head, one
//! wins the compare-and-set; the other's `submit` reads the new records, decides its commands
//! again against the new state, and appends them. Finally the case is restored from the store
//! alone, and the stored lines pass the same verification as a journal file.

use authority_lane::approval::{Decision, Declare};
use authority_lane::case::Command;
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::journal::{self, Backend, Batch, JournalError};
use authority_lane::packet::JournalRef;
use authority_lane::store::{Anchors, CaseStore, Clock};
use authority_lane::testing::{Cast, shipped_workflow};
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufRead, Cursor, Read as _};
use std::sync::{Arc, Mutex};

/// The orchestrator's store: (case, seq) → (hash, canonical line). Think of a key-value
/// database with transactions; a mutex stands in for them here.
#[derive(Clone, Default)]
struct SharedKv(Arc<Mutex<Rows>>);

/// The rows: (case, seq) → (hash, canonical line).
type Rows = BTreeMap<(String, u64), (Digest, Vec<u8>)>;

/// One worker's handle on one case in the store.
struct KvBackend {
    kv: SharedKv,
    case: String,
}

impl KvBackend {
    fn head(rows: &Rows, case: &str) -> Option<JournalRef> {
        rows.range((case.to_owned(), 0)..=(case.to_owned(), u64::MAX))
            .next_back()
            .map(|((_, seq), (hash, _))| JournalRef {
                seq: *seq,
                head: hash.clone(),
            })
    }
}

impl Backend for KvBackend {
    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let rows = self.kv.0.lock().expect("store lock");
        let mut bytes = Vec::new();
        for (_, (_, line)) in rows.range((self.case.clone(), from)..=(self.case.clone(), u64::MAX))
        {
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        Ok(Box::new(Cursor::new(bytes)))
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        // One transaction: check the head, then write every row, or write nothing.
        let mut rows = self.kv.0.lock().expect("store lock");
        let head = KvBackend::head(&rows, &self.case);
        if head.as_ref() != after {
            return Err(Batch::conflict(after, head.as_ref()));
        }
        for (at, line) in batch.lines() {
            rows.insert((self.case.clone(), at.seq), (at.head, line.to_vec()));
        }
        Ok(())
    }
}

fn finding(
    at: chrono::DateTime<Utc>,
    agent: &str,
    fact: &str,
    value: serde_json::Value,
) -> Command {
    let record = format!("{agent}/{fact}");
    Command::Finding {
        at,
        agent: Agent {
            role: match fact.split('.').next() {
                Some("custody") => "custody-evidence",
                Some("authority") => "authority-matrix",
                _ => "release-lineage",
            }
            .into(),
            id: agent.to_owned(),
        },
        finding: FindingInput {
            fact: fact.into(),
            value,
            source: Source {
                system: "example".into(),
                digest: Digest::of_bytes(record.as_bytes()),
                record,
            },
            note: None,
        },
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let humans = Cast::fixed();
    let workflow = shipped_workflow();
    let trust = Arc::new(humans.trust().clone());
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 28, 8, 0, 0)
        .single()
        .ok_or("bad time")?;
    let case_id = CaseId::from("sev1-signing-key-2026-11-28");
    let declaration = humans.token(
        "sam.rivera",
        &case_id,
        t0,
        Decision::Declare(Declare {
            scope: "production artifact-signing key".into(),
            severity: "sev1".into(),
        }),
    );
    let kv = SharedKv::default();
    let backend = |kv: &SharedKv| KvBackend {
        kv: kv.clone(),
        case: case_id.to_string(),
    };

    // Worker A opens the case: record 0 goes into the store.
    let mut a = CaseStore::create(
        backend(&kv),
        workflow.clone(),
        trust.clone(),
        &declaration,
        Clock::Supplied(t0),
    )?;
    // Worker B opens the same case from the store (replaying and re-verifying it).
    let anchors = Anchors {
        workflow: Some(workflow.clone()),
        trust: Some(trust.clone()),
        expect_head: None,
        case: None,
    };
    let mut b = CaseStore::open(backend(&kv), anchors.clone(), Clock::Supplied(t0))?;
    println!("both workers at seq {}", b.position().seq);

    // Both last saw seq 0. A appends first; B's submit reads A's record (a catch-up before
    // every batch), decides its finding against the new state, and appends it after A's. Had
    // A appended in the moment between B's catch-up and B's append, B's compare-and-set would
    // have failed and B would have re-read and re-decided the same way.
    let t1 = t0 + Duration::minutes(1);
    a.set_clock(Clock::Supplied(t1));
    b.set_clock(Clock::Supplied(t1));
    let got_a = a.submit(&[finding(
        t1,
        "custody-agent",
        "custody.exposure",
        json!("suspected"),
    )])?;
    let got_b = b.submit(&[finding(
        t1,
        "authority-agent",
        "authority.platform_delegation",
        json!("active"),
    )])?;
    assert!(got_a.rejected.is_none() && got_b.rejected.is_none());
    println!(
        "A acknowledged seq {}, B (after catching up with A) seq {}",
        got_a.accepted[0].seq, got_b.accepted[0].seq
    );
    assert_eq!(got_b.accepted[0].seq, got_a.accepted[0].seq + 1);

    // Restore the case from the store alone and compare with the live worker.
    let restored = CaseStore::open(backend(&kv), anchors, Clock::System)?;
    assert_eq!(restored.status(), b.status());
    println!(
        "restored from the store: {} at seq {}, head {}",
        restored.case().path(),
        restored.position().seq,
        restored.position().head
    );

    // The stored lines are a journal file byte for byte: the same verification accepts them.
    let mut lines = Vec::new();
    backend(&kv).read_from(0)?.read_to_end(&mut lines)?;
    let report = journal::verify_records(&lines[..])?;
    println!(
        "the store's lines verify as a journal: {} records",
        report.records.len()
    );
    Ok(())
}
