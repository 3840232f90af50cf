//! Findings per second into one case, through [`CaseStore`], with 1, 2, 4 and 8 writers: the
//! file backend against the PostgreSQL backend, in the same run.
//!
//! `cargo bench --bench stores` prints medians and ratios against the one-writer file backend
//! measured in the same run. PostgreSQL is `AUTHORITY_LANE_PG_URL` (default
//! `postgres://root@127.0.0.1/test`). `AUTHORITY_LANE_BENCH_FINDINGS` sets the findings per run
//! (default 8,000) and `AUTHORITY_LANE_BENCH_BATCH` the commands per `submit` (default 100,
//! one group commit each).
//!
//! Each writer is a thread with its own `CaseStore` (its own file handle or connection), as
//! separate processes would have; the writers split the findings evenly and stream them in
//! batches. Every run starts a fresh case; the clock is each backend's own (system clock for
//! files, `clock_timestamp()` for PostgreSQL).

use authority_lane::case::Command;
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::journal::{Backend, FileBackend, PgBackend};
use authority_lane::store::{Anchors, CaseStore, Clock};
use authority_lane::testing::{Cast, shipped_workflow};
use chrono::Utc;
use std::sync::Arc;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn finding(writer: usize, i: usize) -> Command {
    let record = format!("lineage/w{writer}/{i}");
    Command::Finding {
        at: Utc::now(),
        agent: Agent {
            role: "release-lineage".into(),
            id: format!("lineage-agent-{writer}"),
        },
        finding: FindingInput {
            fact: "lineage.internal_packages_in_window".into(),
            value: serde_json::json!(14),
            source: Source {
                system: "artifact-lineage-inventory".into(),
                digest: Digest::of_bytes(record.as_bytes()),
                record,
            },
            note: Some("bulk lineage record".into()),
        },
    }
}

/// Where one run's case lives.
#[derive(Clone)]
enum Place {
    File(std::path::PathBuf),
    Postgres(String),
}

fn run_once(
    place: &Place,
    cast: &Cast,
    run: usize,
    writers: usize,
    total: usize,
    batch: usize,
) -> f64 {
    let workflow = shipped_workflow();
    let trust = Arc::new(cast.trust().clone());
    let case = CaseId::from(
        format!(
            "bench-{}-{run}-{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        )
        .as_str(),
    );
    let declaration = cast.declaration(&case, Utc::now());
    let anchors = Anchors {
        workflow: Some(workflow.clone()),
        trust: Some(trust.clone()),
        expect_head: None,
        case: None,
    };
    let place = match place {
        Place::File(dir) => Place::File(dir.join(format!("{case}.jsonl"))),
        Place::Postgres(url) => Place::Postgres(url.clone()),
    };
    match &place {
        Place::File(path) => {
            CaseStore::create_file(path, workflow, trust, &declaration, Clock::System).map(drop)
        }
        Place::Postgres(url) => {
            let backend = PgBackend::connect(url).expect("connect to PostgreSQL");
            CaseStore::create(backend, workflow, trust, &declaration, Clock::System).map(drop)
        }
    }
    .expect("the case opens");
    let per_writer = total / writers;
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (place, anchors, case) = (place.clone(), anchors.clone(), case.clone());
            s.spawn(move || match place {
                Place::File(path) => {
                    let backend = FileBackend::new(path);
                    stream(
                        CaseStore::open(backend, anchors, Clock::System),
                        w,
                        per_writer,
                        batch,
                    )
                }
                Place::Postgres(url) => {
                    let backend = PgBackend::connect(&url)
                        .expect("connect")
                        .case(case.to_string());
                    stream(
                        CaseStore::open(backend, anchors, Clock::System),
                        w,
                        per_writer,
                        batch,
                    )
                }
            });
        }
    });
    (per_writer * writers) as f64 / start.elapsed().as_secs_f64()
}

fn stream<B: Backend>(
    store: Result<CaseStore<B>, authority_lane::store::StoreError>,
    writer: usize,
    n: usize,
    batch: usize,
) {
    let mut store = store.expect("the writer opens the case");
    let mut i = 0;
    while i < n {
        let commands: Vec<Command> = (i..(i + batch).min(n))
            .map(|j| finding(writer, j))
            .collect();
        let done = store.submit(&commands).expect("the batch is stored");
        assert!(
            done.rejected.is_none(),
            "a finding was refused: {:?}",
            done.rejected
        );
        i += commands.len();
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let total = env_usize("AUTHORITY_LANE_BENCH_FINDINGS", 8_000);
    let batch = env_usize("AUTHORITY_LANE_BENCH_BATCH", 100);
    let runs = env_usize("AUTHORITY_LANE_BENCH_RUNS", 3);
    let url = std::env::var("AUTHORITY_LANE_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1/test".to_owned());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cast = Cast::fixed();
    println!(
        "{total} findings per run, {batch} per submit, median of {runs} runs; PostgreSQL at {url}"
    );
    println!("| backend | writers | findings/s (median) | vs. file, 1 writer |");
    println!("|---|---|---|---|");
    let mut baseline = None;
    let mut n = 0;
    for (name, place) in [
        ("file", Place::File(dir.path().to_owned())),
        ("postgres", Place::Postgres(url.clone())),
    ] {
        for writers in [1, 2, 4, 8] {
            let samples = (0..runs)
                .map(|_| {
                    n += 1;
                    run_once(&place, &cast, n, writers, total, batch)
                })
                .collect();
            let rate = median(samples);
            let base = *baseline.get_or_insert(rate);
            println!("| {name} | {writers} | {rate:.0} | {:.2}x |", rate / base);
        }
    }
}
