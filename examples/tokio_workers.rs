//! Several async workers sharing one PostgreSQL case — the shape of a tokio orchestrator.
//!
//! Run with `cargo run --example tokio_workers` (PostgreSQL at `AUTHORITY_LANE_PG_URL`, default
//! `postgres://root@127.0.0.1/test`).
//!
//! # Driving the sync core from async code
//!
//! The case core is synchronous and pure; a [`CaseStore`] over a [`PgBackend`] does blocking
//! network I/O, and the `postgres` crate's client runs its own small runtime. Called directly
//! from an async task (on a tokio worker thread) it panics ("Cannot start a runtime from within
//! a runtime"); on a blocking thread it works. So each long-lived worker is a plain OS thread
//! that owns its own `CaseStore` (its own connection) and takes commands from a tokio channel
//! with `blocking_recv`, and one-off calls go through [`off_runtime`], which is
//! `tokio::task::spawn_blocking`.
//! Nothing is shared between workers but the database: the append is a compare-and-set on
//! (case, seq), so workers on one machine or many cannot fork the chain, and a worker that
//! loses a race re-decides its commands against the new state.
//!
//! We chose this over an async backend trait: the crate's work per command (verifying tokens,
//! re-deciding, sealing) is CPU-bound and short, an async trait would tie every embedder to one
//! runtime, and a thread per worker gives a tokio orchestrator the same concurrency.
//!
//! Here three agent workers stream findings while a fourth worker forwards humans' tokens as
//! they arrive; every acknowledged command comes back with its journal seq and head.

use authority_lane::approval::{Accept, Decision, Review};
use authority_lane::case::Command;
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::journal::PgBackend;
use authority_lane::store::{Anchors, CaseStore, Clock};
use authority_lane::testing::{Cast, shipped_workflow};
use chrono::Utc;
use serde_json::json;
use std::error::Error;
use std::sync::Arc;
use tokio::sync::mpsc;

type BoxError = Box<dyn Error + Send + Sync>;

/// Runs `f` on tokio's blocking pool and awaits its result (the sync PostgreSQL client must not
/// run on a tokio worker thread; a blocking-pool thread is fine).
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("the blocking task does not panic")
}

/// A worker: a thread that owns its store, takes commands from a channel, submits whatever
/// has arrived as one batch (group commit), and reports what was acknowledged.
fn worker(
    name: &'static str,
    url: String,
    case: CaseId,
    anchors: Anchors,
    mut inbox: mpsc::Receiver<Command>,
) -> std::thread::JoinHandle<Result<usize, BoxError>> {
    std::thread::spawn(move || {
        let backend = PgBackend::connect(&url)?.case(case.to_string());
        let mut store = CaseStore::open(backend, anchors, Clock::System)?;
        let mut acknowledged = 0;
        while let Some(first) = inbox.blocking_recv() {
            let mut batch = vec![first];
            while let Ok(more) = inbox.try_recv() {
                batch.push(more);
            }
            let submission = store.submit(&batch)?;
            for ack in &submission.accepted {
                println!("  {name}: seq {} acknowledged ({})", ack.seq, ack.head);
            }
            acknowledged += submission.accepted.len();
            if let Some((_, rejection)) = submission.rejected {
                println!("  {name}: refused: {} ({})", rejection.code(), rejection);
            }
        }
        Ok(acknowledged)
    })
}

fn finding(
    agent: &str,
    role: &str,
    fact: &str,
    value: serde_json::Value,
    record: String,
) -> Command {
    Command::Finding {
        at: Utc::now(),
        agent: Agent {
            role: role.into(),
            id: agent.into(),
        },
        finding: FindingInput {
            fact: fact.into(),
            value,
            source: Source {
                system: "tokio-example".into(),
                digest: Digest::of_bytes(record.as_bytes()),
                record,
            },
            note: None,
        },
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let url = std::env::var("AUTHORITY_LANE_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1/test".to_owned());
    let humans = Cast::generate()?;
    let workflow = shipped_workflow();
    let trust = Arc::new(humans.trust().clone());
    let case = CaseId::from(format!("tokio-example-{}", Utc::now().timestamp_micros()).as_str());

    // Open the case (record 0) on a blocking thread; the server's clock is the case clock.
    let declaration = humans.declaration(&case, Utc::now());
    let (u, w, t) = (url.clone(), workflow.clone(), trust.clone());
    let opened = off_runtime(move || -> Result<_, BoxError> {
        let store = CaseStore::create(PgBackend::connect(&u)?, w, t, &declaration, Clock::System)?;
        Ok(store.position().clone())
    })
    .await?;
    println!("case {case} opened in {url}: record 0 is {}", opened.head);

    let anchors = Anchors {
        workflow: Some(workflow),
        trust: Some(trust),
        expect_head: None,
        case: None,
    };
    let mut senders = Vec::new();
    let mut workers = Vec::new();
    for name in [
        "custody-worker",
        "lineage-worker",
        "authority-worker",
        "humans-worker",
    ] {
        let (tx, rx) = mpsc::channel(256);
        senders.push(tx);
        workers.push(worker(name, url.clone(), case.clone(), anchors.clone(), rx));
    }
    let [custody, lineage, authority, humans_tx] =
        <[_; 4]>::try_from(senders).map_err(|_| "four workers")?;

    // Agents report concurrently.
    let agents = [
        tokio::spawn(async move {
            custody
                .send(finding(
                    "custody-agent",
                    "custody-evidence",
                    "custody.exposure",
                    json!("suspected"),
                    "hsm-eu1/audit/88121".into(),
                ))
                .await
        }),
        tokio::spawn(async move {
            for i in 0..50 {
                let record = format!("releases/desktop-agent/5.14.{i}");
                let f = finding(
                    "lineage-agent",
                    "release-lineage",
                    "lineage.desktop_agent_artifacts_in_window",
                    json!(3),
                    record,
                );
                lineage.send(f).await?;
            }
            Ok(())
        }),
        tokio::spawn(async move {
            authority
                .send(finding(
                    "authority-agent",
                    "authority-matrix",
                    "authority.platform_delegation",
                    json!("active"),
                    "delegations/platform-sec".into(),
                ))
                .await
        }),
    ];
    for agent in agents {
        agent.await?.map_err(|e| e.to_string())?;
    }

    // Humans read the draft digest (as `authority-lane status` shows it), sign elsewhere, and
    // their tokens arrive on the humans' worker.
    let (u, c) = (url.clone(), case.clone());
    let a = anchors.clone();
    let status = off_runtime(move || -> Result<_, BoxError> {
        // Wait until the agent workers' findings are in (they run concurrently with us).
        for _ in 0..100 {
            let backend = PgBackend::connect(&u)?.case(c.to_string());
            let store = CaseStore::open(backend, a.clone(), Clock::System)?;
            let status = store.status();
            if status.seq >= 52 {
                return Ok(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err("the findings did not arrive".into())
    })
    .await?;
    let digest = status.status.draft_digest.clone().ok_or("no draft")?;
    let lane = status.status.recommended_lane.clone();
    let owner = status
        .status
        .decision_owner
        .holders
        .first()
        .cloned()
        .ok_or("no decision owner")?;
    println!("draft {digest} in lane {lane}, owner {owner}");
    let attests = vec![
        "blocked_paths_surfaced".into(),
        "irreversibility_surfaced".into(),
        "evidence_lineage_checked".into(),
    ];
    for reviewer in ["lee.park", "ines.duarte"] {
        let decision = Decision::Review(Review {
            packet_digest: digest.clone(),
            attests: attests.clone(),
        });
        let token = humans.token(reviewer, &case, Utc::now(), decision);
        humans_tx
            .send(Command::Decision {
                at: Utc::now(),
                token,
            })
            .await?;
    }
    let decision = Decision::Accept(Accept {
        lane: lane.clone(),
        packet_digest: digest,
    });
    let token = humans.token(owner.as_str(), &case, Utc::now(), decision);
    humans_tx
        .send(Command::Decision {
            at: Utc::now(),
            token,
        })
        .await?;
    drop(humans_tx);

    let mut total = 0;
    for w in workers {
        total += off_runtime(move || w.join().expect("a worker panicked")).await?;
    }
    let (u, c) = (url.clone(), case.clone());
    let closed = off_runtime(move || -> Result<_, BoxError> {
        let store = CaseStore::open(
            PgBackend::connect(&u)?.case(c.to_string()),
            anchors,
            Clock::System,
        )?;
        Ok((
            store.case().path(),
            store.position().seq,
            store.packet().is_some(),
        ))
    })
    .await?;
    let (path, seq, accepted) = closed;
    println!("{total} commands acknowledged by the workers; the case is {path} at seq {seq}");
    assert!(accepted, "the case was accepted");
    Ok(())
}
