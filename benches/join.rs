//! A writer joining a large case (DESIGN §14, issue 20): the time and peak memory of `apply` of
//! one finding — open the case, decide, append — on a case of N findings, in a journal file and
//! in a PostgreSQL store, in the same run.
//!
//! `cargo bench --bench join` builds a case of `AUTHORITY_LANE_JOIN_FINDINGS` findings (default
//! 1,000,000; minutes, and ~1 GiB of disk and database) by streaming them into one `apply`, once
//! into a journal file and once into a fresh database on the server `AUTHORITY_LANE_PG_URL`
//! names (default `postgres://root@127.0.0.1/test`). A joining writer opens the case from its
//! snapshot — the file's beside the journal, the store's latest snapshot row — checked against
//! the checkpoint record the chain holds, and replays only the records after it. Medians of
//! `AUTHORITY_LANE_JOIN_RUNS` (default 5) joins per backend, with the peak RSS of each process
//! (GNU `time -f %M`); then one join of each with its snapshot deleted, which replays every
//! record, for comparison.

use authority_lane::testing::Cast;
use std::path::Path;
use std::time::Instant;

#[path = "support/cli.rs"]
mod cli;
use cli::*;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fresh database on the server, dropped with the value.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn fresh(server: &str) -> Database {
        let name = format!("al_join_{}", std::process::id());
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e}"));
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("an old database dropped");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a fresh database");
        let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
        Database {
            url: format!("{base}/{name}"),
            admin: server.to_owned(),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn row(name: &str, runs: &[Run]) {
    let secs = median(runs.iter().map(|r| r.secs).collect());
    let rss = runs.iter().filter_map(|r| r.rss_kib).max();
    let rss = rss.map_or_else(|| "n/a".into(), |k| format!("{:.0}", k as f64 / 1024.0));
    println!("| {name} | {secs:.3} | {rss} | {} |", runs.len());
}

fn main() {
    let n = env_usize("AUTHORITY_LANE_JOIN_FINDINGS", 1_000_000);
    let runs = env_usize("AUTHORITY_LANE_JOIN_RUNS", 5);
    let server = std::env::var("AUTHORITY_LANE_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1/test".into());
    let cast = Cast::fixed();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    setup(d, n, &cast);
    let (trust, token) = (d.join("trust.json"), d.join("declare.jws"));
    let (trust, token) = (trust.to_str().unwrap(), token.to_str().unwrap());
    let findings = d.join("findings.jsonl");
    let one = d.join("one.jsonl");
    let journal = d.join("case.jsonl");
    let j = journal.to_str().unwrap();
    let db = Database::fresh(&server);
    let init = |place: &[&str]| {
        let mut args = vec![
            "init",
            "--workflow",
            WORKFLOW,
            "--trust",
            trust,
            "--token",
            token,
        ];
        args.extend_from_slice(place);
        cli(&args, None);
    };
    init(&["--journal", j]);
    init(&["--store", &db.url]);
    let file: [&str; 2] = ["--journal", j];
    let store: [&str; 4] = ["--store", &db.url, "--case", "scale-case"];
    let apply = |place: &[&str], input: &Path| {
        let mut args = vec!["apply"];
        args.extend_from_slice(place);
        cli(&args, Some(input))
    };
    let start = Instant::now();
    apply(&file, &findings);
    let file_ingest = start.elapsed().as_secs_f64();
    let start = Instant::now();
    apply(&store, &findings);
    let store_ingest = start.elapsed().as_secs_f64();
    println!(
        "\n{n} findings: streamed into a journal file in {file_ingest:.1} s ({:.0}/s), into PostgreSQL in {store_ingest:.1} s ({:.0}/s)",
        n as f64 / file_ingest,
        n as f64 / store_ingest
    );
    println!("| a writer joins the case (apply of one finding) | median s | peak RSS MiB | runs |");
    println!("|---|---|---|---|");
    let joins = |place: &[&str]| -> Vec<Run> { (0..runs).map(|_| apply(place, &one)).collect() };
    row("journal file, from its snapshot", &joins(&file));
    row("PostgreSQL, from its latest snapshot row", &joins(&store));
    let _ = std::fs::remove_file(authority_lane::store::snapshot_path(&journal));
    row(
        "journal file, snapshot deleted (replays every record)",
        &[apply(&file, &one)],
    );
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).expect("the database");
    sql.batch_execute("DELETE FROM public.authority_lane_snapshot")
        .expect("snapshot rows deleted");
    row(
        "PostgreSQL, snapshot rows deleted (replays every record)",
        &[apply(&store, &one)],
    );
}
