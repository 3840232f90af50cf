//! Replay and per-finding cost, measured against baselines taken in the same run.
//!
//! `cargo bench --bench replay` prints medians and ratios:
//! - replay of a 100,000-finding journal (chain check + re-deciding every event + evolve)
//!   against a floor of "serde_json parse + SHA-256" of each line;
//! - `decide` + `evolve` per finding on a case holding 1,000 findings vs. one holding 100,000;
//! - the journal's line check: the fast path replay uses against the reference path (parse,
//!   `serde_jcs` serialisation, byte comparison) it must agree with.
//!
//! Set `AUTHORITY_LANE_BENCH_FINDINGS` to change the journal size (e.g. for a quick run).

use authority_lane::approval::{Decision, Declare};
use authority_lane::case::{Case, Command};
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::journal::{
    JournalError, MemoryJournal, RawRecord, TamperReason, fuzzing, scan,
};
use authority_lane::store::{Anchors, CaseStore, Clock, replay_reader};
use authority_lane::testing::Cast;
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const FACTS: [(&str, &str); 4] = [
    ("lineage.internal_packages_in_window", "release-lineage"),
    (
        "lineage.desktop_agent_artifacts_in_window",
        "release-lineage",
    ),
    ("impact.customers_affected", "impact-assessment"),
    ("custody.rogue_signatures_observed", "custody-evidence"),
];

fn finding(i: usize, at: DateTime<Utc>) -> Command {
    let (fact, role) = FACTS[i % FACTS.len()];
    Command::Finding {
        at,
        agent: Agent {
            role: role.into(),
            id: format!("agent-{}", i % 17),
        },
        finding: FindingInput {
            fact: fact.into(),
            value: serde_json::json!(i / FACTS.len() % 50),
            source: Source {
                system: "artifact-lineage-inventory".into(),
                record: format!("lineage/record/{i}"),
                digest: Digest::of_bytes(&i.to_le_bytes()),
            },
            note: Some("bulk lineage record".into()),
        },
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T09:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn open(cast: &Cast) -> (Arc<Workflow>, CaseStore<MemoryJournal>) {
    let workflow = Arc::new(
        Workflow::from_json(include_bytes!("../workflows/signing-key-compromise.json"))
            .expect("shipped workflow"),
    );
    let token = cast.token(
        "sam.rivera",
        &CaseId::from("bench-case"),
        t0(),
        Decision::Declare(Declare {
            scope: "bench".into(),
            severity: "sev1".into(),
        }),
    );
    let store = CaseStore::in_memory(
        workflow.clone(),
        Arc::new(cast.trust().clone()),
        &token,
        Clock::Supplied(t0()),
    )
    .expect("open case");
    (workflow, store)
}

/// A case store holding `n` findings, submitted in batches like `apply` does.
fn filled(cast: &Cast, n: usize) -> (Arc<Workflow>, CaseStore<MemoryJournal>) {
    let (workflow, mut store) = open(cast);
    let commands: Vec<Command> = (0..n)
        .map(|i| finding(i, t0() + Duration::milliseconds(i as i64)))
        .collect();
    // The writer's clock reads after every finding was observed.
    store.set_clock(Clock::Supplied(t0() + Duration::days(1)));
    for chunk in commands.chunks(4096) {
        let submission = store.submit(chunk).expect("append");
        assert!(submission.rejected.is_none(), "bench findings are valid");
    }
    (workflow, store)
}

/// `journal::fuzzing::check_line_fast` / `check_line_full`.
type LineCheck = for<'a> fn(u64, Option<&Digest>, &'a [u8]) -> Result<RawRecord<'a>, TamperReason>;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// Median seconds per finding for `decide` + `evolve` of findings `size..size + window` on a
/// case grown to `size` findings by `decide` + `evolve` itself. All commands are made before
/// the case, so nothing is freed while it grows and the window sees the case as a long-running
/// orchestrator would.
fn per_finding(cast: &Cast, size: usize, window: usize, runs: usize) -> f64 {
    let commands: Vec<Command> = (0..size + window)
        .map(|i| finding(i, t0() + Duration::milliseconds(i as i64)))
        .collect();
    let samples = (0..runs)
        .map(|_| {
            let (_, store) = open(cast);
            let (mut c, _journal): (Case, _) = store.into_parts();
            let apply = |c: &mut Case, cmd: &Command| {
                let events = c.decide(cmd, cmd.at()).expect("valid finding");
                for e in events {
                    c.evolve(e).expect("decided on this case");
                }
            };
            for cmd in &commands[..size] {
                apply(&mut c, cmd);
            }
            let start = Instant::now();
            for cmd in &commands[size..] {
                apply(&mut c, cmd);
            }
            let elapsed = start.elapsed().as_secs_f64() / window as f64;
            black_box(&c);
            elapsed
        })
        .collect();
    median(samples)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and wants a quick run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("AUTHORITY_LANE_BENCH_FINDINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 100_000 });
    let runs = if quick { 3 } else { 7 };
    let cast = Cast::fixed();

    if std::env::var("AUTHORITY_LANE_BENCH_ONLY_PER_FINDING").is_ok() {
        let large = per_finding(&cast, n, 1000, runs);
        println!("per finding at {n}: {:.2} us", large * 1e6);
        return;
    }
    let (workflow, store) = filled(&cast, n);
    let bytes = store.journal().to_jsonl().expect("encode journal");
    let trust = Arc::new(cast.trust().clone());
    println!(
        "journal: {} records, {:.1} MiB",
        store.journal().records().len(),
        bytes.len() as f64 / (1 << 20) as f64
    );

    let floor = time(runs, || {
        let mut count = 0usize;
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).expect("line parses");
            let h = Sha256::digest(line);
            count += usize::from(v.is_object()) + usize::from(h[0] == 0);
        }
        count
    });
    let replayed = time(runs, || {
        replay_reader(
            &bytes[..],
            Anchors {
                workflow: Some(workflow.clone()),
                trust: Some(trust.clone()),
                expect_head: None,
                case: None,
            },
        )
        .expect("replays")
    });
    let chain = time(runs, || {
        MemoryJournal::from_jsonl(&bytes).expect("chain verifies")
    });
    println!("chain check keeping every record (MemoryJournal::from_jsonl): median {chain:.3} s");
    println!("floor (serde_json parse + SHA-256 per line): median {floor:.3} s");
    println!("replay (chain check + decide + evolve):       median {replayed:.3} s");
    println!("replay / floor = {:.2}x (target <= 2x)", replayed / floor);

    // The line check alone, every line, chained: fast path (with its fallback) vs. reference.
    let check_all = |check: LineCheck| {
        let mut prev: Option<Digest> = None;
        for (seq, line) in bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let raw = check(seq as u64, prev.as_ref(), line).expect("line verifies");
            prev = Some(raw.hash);
        }
        prev
    };
    let fast = time(runs, || check_all(fuzzing::check_line_fast));
    let full = time(runs, || check_all(fuzzing::check_line_full));
    let scanned = time(runs, || {
        scan(&bytes[..], |r: RawRecord<'_>| {
            black_box(r.event.len());
            Ok::<(), JournalError>(())
        })
        .expect("chain verifies")
    });
    println!("line check, fast path (check_line_fast):      median {fast:.3} s");
    println!("line check, reference path (check_line_full): median {full:.3} s");
    println!("reference / fast = {:.2}x", full / fast);
    println!("scan (streaming chain check, no replay):      median {scanned:.3} s");
    let encoded = time(runs, || store.journal().to_jsonl().expect("encode journal"));
    println!("encode every line (MemoryJournal::to_jsonl):  median {encoded:.3} s");

    let small_base = if quick { 100 } else { 1_000 };
    let batch = if quick { 200 } else { 1_000 };
    let small = per_finding(&cast, small_base, batch, runs);
    let large = per_finding(&cast, n, batch, runs);
    println!(
        "decide+evolve per finding at {small_base} findings: median {:.2} us",
        small * 1e6
    );
    println!(
        "decide+evolve per finding at {n} findings: median {:.2} us",
        large * 1e6
    );
    println!(
        "per-finding cost ratio {n} / {small_base} = {:.2}x (target <= 1.5x)",
        large / small
    );
}
