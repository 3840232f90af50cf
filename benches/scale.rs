//! Lineage at scale through the CLI (DESIGN §13, issue 9): a case built by streaming N findings
//! into one `apply`, then every command a reviewer or relying party runs on it, each timed
//! against a floor measured in the same run — `serde_json` parse + SHA-256 of every journal
//! line — with the peak resident memory of each process.
//!
//! `cargo bench --bench scale` runs 100,000 findings; `AUTHORITY_LANE_SCALE=100000,1000000`
//! sets the sizes (the 1M run takes minutes and ~600 MiB of disk; it is a benchmark, not a
//! test). Medians of `AUTHORITY_LANE_SCALE_RUNS` (default 3) runs per command; the stream
//! `apply` runs once per size; `AUTHORITY_LANE_SCALE_KEEP=1` keeps each case's directory. Peak
//! RSS is read with GNU `time -f %M` when `/usr/bin/time` exists. Each command's output is read
//! as it streams and counted, not kept. `AUTHORITY_LANE_SCALE_NOTE` sets the bulk findings' note.

use authority_lane::approval::{Accept, Decision, Review};
use authority_lane::digest::Digest;
use authority_lane::ids::CaseId;
use authority_lane::testing::{Cast, shipped_workflow};
use chrono::{SecondsFormat, Utc};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use std::io::BufRead;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "support/cli.rs"]
mod cli;
use cli::*;

/// [`cli`] on a case, with the floor of its journal measured just before.
fn timed(journal: &Path, args: &[&str], stdin: Option<&Path>) -> Run {
    let floor = floor(journal);
    Run {
        floor,
        ..cli(args, stdin)
    }
}

/// The floor: parse every journal line as JSON and hash it, in this process.
fn floor(journal: &Path) -> f64 {
    let start = Instant::now();
    let file = std::fs::File::open(journal).expect("journal");
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).expect("read") == 0 {
            break;
        }
        let v: serde_json::Value = serde_json::from_slice(&line).expect("JSON");
        let h = Sha256::digest(&line);
        std::hint::black_box((v, h));
        n += 1;
    }
    assert!(n > 0);
    start.elapsed().as_secs_f64()
}

/// A decision command by `who` (or, for an acceptance, the decision owner) on the case's
/// current draft, written to a file for `apply`.
fn decision(dir: &Path, journal: &str, cast: &Cast, who: &str, accept: bool) -> std::path::PathBuf {
    let status = Command::new(BIN)
        .args(["status", "--journal", journal])
        .output()
        .expect("status");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    let digest: Digest = status["draft_digest"]
        .as_str()
        .expect("a draft")
        .parse()
        .expect("a digest");
    let now = Utc::now();
    let case = CaseId::from("scale-case");
    let (who, d) = if accept {
        let owner = status["decision_owner"]["holders"][0]
            .as_str()
            .expect("an owner")
            .to_owned();
        let lane = status["recommended_lane"].as_str().expect("a lane").into();
        (
            owner,
            Decision::Accept(Accept {
                lane,
                packet_digest: digest,
            }),
        )
    } else {
        let attests = shipped_workflow().review().attestations.clone();
        (
            who.to_owned(),
            Decision::Review(Review {
                packet_digest: digest,
                attests,
            }),
        )
    };
    let token = cast.token(&who, &case, now, d);
    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let path = dir.join("decision.jsonl");
    std::fs::write(
        &path,
        format!(
            "{}\n",
            json!({"type": "decision", "at": at, "token": token})
        ),
    )
    .expect("write the decision");
    path
}

fn main() {
    let sizes: Vec<usize> = std::env::var("AUTHORITY_LANE_SCALE")
        .unwrap_or_else(|_| "100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("a number of findings"))
        .collect();
    let runs: usize = std::env::var("AUTHORITY_LANE_SCALE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let cast = Cast::fixed();
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        // `AUTHORITY_LANE_SCALE_KEEP=1`: keep the case directory (for profiling), named below.
        let d = &match std::env::var_os("AUTHORITY_LANE_SCALE_KEEP") {
            Some(_) => dir.keep(),
            None => dir.path().to_owned(),
        };
        setup(d, n, &cast);
        let journal = d.join("case.jsonl");
        let (j, t) = (journal.to_str().unwrap(), d.join("trust.json"));
        let trust = t.to_str().unwrap();
        let token = d.join("declare.jws");
        cli(
            &[
                "init",
                "--workflow",
                WORKFLOW,
                "--trust",
                trust,
                "--journal",
                j,
                "--token",
                token.to_str().unwrap(),
            ],
            None,
        );
        let mut stream = cli(&["apply", "--journal", j], Some(&d.join("findings.jsonl")));
        stream.floor = floor(&journal);
        let bytes = std::fs::metadata(&journal).unwrap().len();
        let floor_secs = median((0..runs).map(|_| floor(&journal)).collect());
        println!(
            "\n{n} findings ({}): journal {:.1} MiB; floor (parse + SHA-256 of every line) {floor_secs:.3} s (each ratio below is the median of each run against a floor measured just before it)",
            d.display(),
            bytes as f64 / (1 << 20) as f64
        );
        println!("| command | median s | median floor s | × floor | peak RSS MiB | output |");
        println!("|---|---|---|---|---|---|");
        let row = |name: &str, r: &[Run]| {
            let secs = median(r.iter().map(|x| x.secs).collect());
            let floor = median(r.iter().map(|x| x.floor).collect());
            let ratio = median(r.iter().map(|x| x.secs / x.floor).collect());
            let rss = r.iter().filter_map(|x| x.rss_kib).max();
            let rss = rss.map_or_else(|| "n/a".into(), |k| format!("{:.0}", k as f64 / 1024.0));
            println!(
                "| {name} | {secs:.3} | {floor:.3} | {ratio:.2}x | {rss} | {} B |",
                r[0].out_bytes
            );
        };
        row(
            &format!(
                "apply (stream of {n}; {:.0} findings/s)",
                n as f64 / stream.secs
            ),
            &[stream],
        );
        let anchored = ["--trust", trust, "--workflow", WORKFLOW];
        let mid = (n / 2).to_string();
        let commands: Vec<(&str, Vec<&str>)> = vec![
            (
                "verify",
                [&["verify", "--journal", j][..], &anchored].concat(),
            ),
            (
                "lineage (export every entry)",
                vec!["lineage", "--journal", j],
            ),
            (
                "lineage --proof (one proof)",
                vec!["lineage", "--journal", j, "--proof", &mid],
            ),
        ];
        for (name, args) in &commands {
            let r: Vec<Run> = (0..runs).map(|_| timed(&journal, args, None)).collect();
            row(name, &r);
        }
        // The commands of a live case, with the snapshot `apply`, `status` and `packet
        // --draft` keep beside the journal, and without it (deleted before each run: the
        // command replays every record, then writes the snapshot again).
        let snapshot = authority_lane::store::snapshot_path(&journal);
        let live: Vec<(&str, Vec<&str>)> = vec![
            ("status", vec!["status", "--journal", j]),
            (
                "packet --draft (JSON)",
                vec!["packet", "--journal", j, "--draft"],
            ),
            (
                "packet --draft (Markdown, executive-brief)",
                vec![
                    "packet",
                    "--journal",
                    j,
                    "--draft",
                    "--channel",
                    "executive-brief",
                    "--format",
                    "markdown",
                ],
            ),
        ];
        for with in [true, false] {
            let mode = if with { "snapshot" } else { "no snapshot" };
            for (name, args) in &live {
                let r: Vec<Run> = (0..runs)
                    .map(|_| {
                        if !with {
                            let _ = std::fs::remove_file(&snapshot);
                        }
                        timed(&journal, args, None)
                    })
                    .collect();
                row(&format!("{name}, {mode}"), &r);
            }
            // One more finding (a new draft revision), then a review of that revision.
            let (mut one, mut review) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                if !with {
                    let _ = std::fs::remove_file(&snapshot);
                }
                one.push(timed(
                    &journal,
                    &["apply", "--journal", j],
                    Some(&d.join("one.jsonl")),
                ));
                let path = decision(d, j, &cast, "lee.park", false);
                if !with {
                    let _ = std::fs::remove_file(&snapshot);
                }
                review.push(timed(&journal, &["apply", "--journal", j], Some(&path)));
            }
            row(&format!("one more apply (one finding), {mode}"), &one);
            row(&format!("a review, {mode}"), &review);
        }
        // The quorum's second review, then the acceptance (once: it closes the case).
        let second = decision(d, j, &cast, "ines.duarte", false);
        cli(&["apply", "--journal", j], Some(&second));
        let accept = decision(d, j, &cast, "", true);
        row(
            "accept, snapshot",
            &[timed(&journal, &["apply", "--journal", j], Some(&accept))],
        );
    }
}
