//! Driving a case with JSON only, the way a non-Rust integration does through the CLI.
//!
//! Run with `cargo run --example json_integration`.
//!
//! An integration written in any language talks to `authority-lane` in JSON lines:
//!
//! * it writes commands, one JSON object a line — `{"type":"finding",...}` from its agents and
//!   `{"type":"decision","at":...,"token":"<JWS>"}` for tokens its humans signed;
//! * `authority-lane apply --journal PATH` answers each accepted command, once it is durable,
//!   with `{"seq": <journal seq>, "events": [...]}`, and stops at the first refused one with
//!   `{"error": {"code": "...", "message": "..."}}` on stderr (exit 3; nothing was written);
//! * `authority-lane status` and `authority-lane packet --draft --channel NAME` read the
//!   journal back.
//!
//! This example does the same steps in-process so that it can run anywhere: every command is
//! built as JSON text, parsed with `Command::from_json` (exactly what `apply` does with a line),
//! and submitted through a `CaseStore`, the journal type `apply` uses. The journal lives in a
//! temporary directory that is removed at the end.

use authority_lane::approval::Decision;
use authority_lane::case::Command;
use authority_lane::digest::Digest;
use authority_lane::ids::{CaseId, ChannelId};
use authority_lane::journal::FileBackend;
use authority_lane::packet::ViewFinding;
use authority_lane::store::{Anchors, CaseStore, Clock};
use authority_lane::testing::Cast;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    // The people who sign decisions. Any JOSE library can mint these EdDSA tokens; `Cast` stands
    // in for the humans' own tooling. The trust file lists their public keys.
    let humans = Cast::generate()?;
    let trust = Arc::new(humans.trust().clone());
    let workflow = authority_lane::workflow::shipped();

    // `authority-lane init`: open the case from a signed `declare` token. The case id is the
    // token's `sub`; the journal's record 0 pins the workflow and the trust file.
    let dir = TempDir::new("authority-lane-json-integration")?;
    let journal = dir.0.join("case.jsonl");
    let case_id = CaseId::from("sev1-signing-key-2026-11-28");
    let t0: DateTime<Utc> = "2026-11-28T09:00:00Z".parse()?;
    let declare = json!({"kind": "declare", "scope": "production signing key", "severity": "sev1"});
    let declaration = humans.token("sam.rivera", &case_id, t0, decision(declare)?);
    // A supplied clock, so that this example's tokens are valid at its times of record; a real
    // integration uses `Clock::System` (records stamped with a supplied time say so).
    let mut store =
        CaseStore::create_file(&journal, workflow, trust, &declaration, Clock::Supplied(t0))?;
    println!("init: case {case_id} opened, journal {}", journal.display());

    // Command lines as an integration would write them. `at` is when the integration received
    // the input; the case never reads a clock. `minute` counts from the declaration.
    let at =
        |minute: i64| (t0 + Duration::minutes(minute)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let finding = |minute, role: &str, fact: &str, value: Value, (system, record): (&str, &str)| {
        json!({
            "type": "finding",
            "at": at(minute),
            "agent": {"role": role, "id": format!("{role}-agent")},
            "finding": {
                "fact": fact,
                "value": value,
                // The digest of the source record, as the agent read it.
                "source": {"system": system, "record": record,
                           "digest": Digest::of_bytes(record.as_bytes()).to_string()},
            },
        })
        .to_string()
    };

    println!("\napply: agents' findings (one JSON line each)");
    let lines = [
        finding(
            1,
            "custody-evidence",
            "custody.exposure",
            json!("suspected"),
            ("hsm-audit-log", "audit/88121"),
        ),
        finding(
            2,
            "authority-matrix",
            "authority.platform_delegation",
            json!("active"),
            ("authority-matrix", "matrix/v31"),
        ),
        finding(
            3,
            "release-lineage",
            "lineage.desktop_agent_artifacts_in_window",
            json!(3),
            ("software-release-catalog", "desktop-agent/5.14.x"),
        ),
        finding(
            4,
            "release-lineage",
            "release.freeze_within_policy",
            json!(false),
            ("release-hold-policies", "release-hold/v7"),
        ),
    ];
    println!("  first line: {}", lines[0]);
    for line in &lines {
        apply(&mut store, line)?;
    }

    // Refused lines: each prints the error JSON `apply` writes to stderr, and changes nothing.
    println!("\napply: refused lines");
    // A fact the workflow does not declare.
    apply(
        &mut store,
        &finding(
            5,
            "custody-evidence",
            "custody.key_colour",
            json!("red"),
            ("hsm-audit-log", "audit/1"),
        ),
    )?;
    // A fact the agent's role may not submit (custody facts come only from custody evidence).
    apply(
        &mut store,
        &finding(
            5,
            "impact-assessment",
            "custody.exposure",
            json!("not_indicated"),
            ("hsm-audit-log", "audit/2"),
        ),
    )?;
    // A truncated line: not valid JSON.
    apply(&mut store, r#"{"type": "finding", "at": "#)?;

    // A human decision: the reviewer reads `draft_digest` from `status`, signs a `review` of it
    // with their own key, and the integration forwards the token in a `decision` line.
    println!("\napply: a reviewer's signed token");
    let status = store.case().status();
    let digest = status.draft_digest.ok_or("no draft yet")?;
    println!(
        "  status: {} rev {}, draft {digest}",
        status.path, status.revision
    );
    let review = json!({
        "kind": "review",
        "packet_digest": digest,
        "attests": ["blocked_paths_surfaced", "irreversibility_surfaced", "evidence_lineage_checked"],
    });
    let token = humans.token(
        "lee.park",
        &case_id,
        t0 + Duration::minutes(6),
        decision(review)?,
    );
    apply(
        &mut store,
        &json!({"type": "decision", "at": at(6), "token": token}).to_string(),
    )?;

    // `authority-lane status` prints the case status plus the journal head. Close the store (it
    // holds the journal's writer lock), reopen the journal — which replays every record and
    // re-verifies every token — and compare.
    let before = store.status();
    drop(store);
    let store = CaseStore::open(
        FileBackend::new(&journal),
        Anchors::default(),
        Clock::System,
    )?;
    let after = store.status();
    println!("\nstatus after replay: {}", serde_json::to_string(&after)?);
    println!("identical to the live case: {}", before == after);
    if before != after {
        return Err("replay produced a different status".into());
    }

    // `authority-lane packet --draft --channel executive-brief`: the executive brief does not
    // carry key-custody evidence, so those findings keep only fact, sensitivity and a digest.
    let channel = store
        .case()
        .workflow()
        .channel(&ChannelId::from("executive-brief"))
        .ok_or("no executive-brief channel")?;
    // The view is typed: a finding is `Shown` or `Redacted`, and a redacted one has no value,
    // record or note to print. `view.to_json()` is what `packet --format json` prints.
    let view = store.case().draft().ok_or("no draft")?.view(channel);
    println!(
        "\nexecutive-brief view of draft {} ({} findings, lineage root {}); decisive findings:",
        view.packet_digest, view.lineage.count, view.lineage.root
    );
    for item in view.lineage.facts.values().flat_map(|l| &l.decisive) {
        match item {
            ViewFinding::Redacted(r) => println!(
                "  {:<42} REDACTED ({}; lineage digest {})",
                r.fact.as_str(),
                r.sensitivity.as_str(),
                r.digest
            ),
            ViewFinding::Shown(entry) => println!(
                "  {:<42} = {} (record {})",
                entry.finding.fact.as_str(),
                serde_json::to_string(&entry.finding.value)?,
                entry.finding.source.record
            ),
        }
    }
    Ok(())
}

/// Does what `authority-lane apply` does with one line, printing what it would print.
fn apply(store: &mut CaseStore<FileBackend>, line: &str) -> Result<(), Box<dyn Error>> {
    let command = match Command::from_json(line) {
        Ok(command) => command,
        Err(rejection) => {
            println!(
                "  {}",
                error_line(rejection.code().as_str(), &rejection.to_string())
            );
            return Ok(());
        }
    };
    // `submit` decides, appends with one fsync, then reports: only durable results are printed.
    let submission = store.submit(std::slice::from_ref(&command))?;
    for a in submission.accepted {
        println!("  {}", json!({"seq": a.seq, "events": a.events}));
    }
    if let Some((_, rejection)) = submission.rejected {
        println!(
            "  {}",
            error_line(rejection.code().as_str(), &rejection.to_string())
        );
    }
    Ok(())
}

/// The error JSON `authority-lane` writes to stderr.
fn error_line(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// A decision from its JSON claim (`"decision"` in the token), as a JOSE library would sign it.
fn decision(claim: Value) -> Result<Decision, serde_json::Error> {
    serde_json::from_value(claim)
}

/// A fresh directory under the system's temp dir, removed on drop (even on an early error).
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp directory is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
