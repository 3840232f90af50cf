//! What the CLI benchmarks share: running the binary with its peak memory, medians, and the
//! shipped scenario's bulk findings.
#![allow(dead_code)] // each bench uses its part

use authority_lane::ids::CaseId;
use authority_lane::testing::Cast;
use chrono::{SecondsFormat, Utc};
use serde_json::json;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

pub const BIN: &str = env!("CARGO_BIN_EXE_authority-lane");
pub const WORKFLOW: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/workflows/signing-key-compromise.json"
);

/// One run of the CLI: wall seconds, peak RSS in KiB (if measurable), stdout bytes.
pub struct Run {
    pub secs: f64,
    pub rss_kib: Option<u64>,
    pub out_bytes: usize,
    /// The floor, measured on the journal just before the command ran (after, for the stream
    /// that builds it): this machine's speed drifts by half over minutes, so each run is
    /// compared with a floor taken next to it.
    pub floor: f64,
}

pub fn cli(args: &[&str], stdin: Option<&Path>) -> Run {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match stdin {
        Some(path) => cmd.stdin(std::fs::File::open(path).expect("input")),
        None => cmd.stdin(Stdio::null()),
    };
    let start = Instant::now();
    let mut child = cmd.spawn().expect("run authority-lane");
    // Count the output as it streams (as a consumer reading it would), rather than collect
    // hundreds of MiB of acknowledgements or lineage in this process while it is timed.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let counter = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut n = 0usize;
        loop {
            match stdout.read(&mut buf) {
                Ok(0) => return n,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("read the output: {e}"),
            }
        }
    });
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for authority-lane");
    let out_bytes = counter.join().expect("the output counter");
    let secs = start.elapsed().as_secs_f64();
    assert!(status.success(), "{args:?} failed: {stderr}");
    let rss_kib = gnu_time
        .then(|| stderr.lines().last().and_then(|l| l.trim().parse().ok()))
        .flatten();
    Run {
        secs,
        rss_kib,
        out_bytes,
        floor: f64::NAN,
    }
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Each bulk finding's note: `AUTHORITY_LANE_SCALE_NOTE`, else plain text. A note JSON must
/// escape (a quote, a newline) takes every line off the lean path (see `src/journal/lean.rs`).
pub fn note() -> String {
    std::env::var("AUTHORITY_LANE_SCALE_NOTE").unwrap_or_else(|_| "bulk lineage record".into())
}

pub fn finding(i: usize, at: &str, note: &str) -> serde_json::Value {
    json!({"type": "finding", "at": at,
        "agent": {"role": "release-lineage", "id": format!("lineage-agent-{}", i % 7)},
        "finding": {"fact": "lineage.internal_packages_in_window", "value": 14 + i % 5,
            "source": {"system": format!("artifact-lineage-{}", i % 9),
                "record": format!("lineage/record/{i}"), "digest": format!("sha256:{i:064x}")},
            "note": note}})
}

pub fn setup(dir: &Path, n: usize, cast: &Cast) {
    let now = Utc::now();
    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let trust = serde_json::to_string(cast.trust().file()).expect("trust JSON");
    std::fs::write(dir.join("trust.json"), trust).expect("write trust");
    let declaration = cast.declaration(&CaseId::from("scale-case"), now);
    std::fs::write(dir.join("declare.jws"), declaration).expect("write token");
    let mut out = BufWriter::new(std::fs::File::create(dir.join("findings.jsonl")).unwrap());
    for (fact, value, role) in [
        ("custody.exposure", json!("suspected"), "custody-evidence"),
        (
            "lineage.desktop_agent_artifacts_in_window",
            json!(3),
            "release-lineage",
        ),
        (
            "authority.platform_delegation",
            json!("active"),
            "authority-matrix",
        ),
    ] {
        let line = json!({"type": "finding", "at": at, "agent": {"role": role, "id": "a"},
            "finding": {"fact": fact, "value": value,
                "source": {"system": "s", "record": fact, "digest": format!("sha256:{:064x}", 0)}}});
        writeln!(out, "{line}").unwrap();
    }
    let note = note();
    for i in 0..n {
        writeln!(out, "{}", finding(i, &at, &note)).unwrap();
    }
    out.flush().unwrap();
    let one = finding(n + 1, &at, &note);
    std::fs::write(dir.join("one.jsonl"), format!("{one}\n")).unwrap();
}
