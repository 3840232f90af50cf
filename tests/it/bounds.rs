//! Untrusted files are bounded too, side files are never followed, demo keys stay where the user
//! said (DESIGN §12.8–12.10; issue 20 items 8 and 9 and what it also saw), through the CLI.
//! Every refusal names its code and leaves nothing written.

use crate::support;

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

fn shipped() -> Value {
    serde_json::from_slice(&std::fs::read(workflow_path()).unwrap()).unwrap()
}

/// `evaluate` of `facts` (default: one suspected exposure, written beside the fixture) under
/// `workflow`.
fn evaluate(fx: &Fixture, workflow: &Path) -> std::process::Output {
    let facts = fx.path("facts.json");
    std::fs::write(&facts, r#"{"facts": {"custody.exposure": "suspected"}}"#).unwrap();
    evaluate_files(workflow, &facts)
}

fn evaluate_files(workflow: &Path, facts: &Path) -> std::process::Output {
    run(
        &[
            "evaluate",
            "--workflow",
            workflow.to_str().unwrap(),
            "--facts",
            facts.to_str().unwrap(),
        ],
        None,
    )
}

/// Item 8: a workflow number past its documented maximum is refused when the workflow loads,
/// so no later date arithmetic can overflow (it used to pass and panic `apply`, exit 101).
#[test]
fn workflow_numbers_past_their_maxima_are_refused() {
    let fx = Fixture::new();
    for (key, value) in [
        ("max_clock_skew_secs", json!(9_000_000_000_000_000i64)),
        ("max_clock_skew_secs", json!(86_401)),
        ("max_delegation_secs", json!(9_000_000_000_000_000i64)),
        ("max_delegation_secs", json!(31_622_401)),
        ("max_token_lifetime_secs", json!(86_401)),
    ] {
        let mut w = shipped();
        w["review"][key] = value.clone();
        let file = fx.path("w.json");
        std::fs::write(&file, w.to_string()).unwrap();
        let out = evaluate(&fx, &file);
        failed_with(&out, 2, "invalid_workflow");
        assert!(text(&out.stderr).contains(key), "{key}: {}", describe(&out));
        // init refuses it before a journal exists.
        let token_file = fx.path("declare.jws");
        std::fs::write(&token_file, token(&SAM, T0, declare())).unwrap();
        let out = run(
            &[
                "init",
                "--workflow",
                file.to_str().unwrap(),
                "--trust",
                fx.trust.to_str().unwrap(),
                "--journal",
                fx.j(),
                "--token",
                token_file.to_str().unwrap(),
            ],
            None,
        );
        failed_with(&out, 2, "invalid_workflow");
        assert!(!fx.journal.exists());
    }
    // At the maxima the workflow loads.
    let mut w = shipped();
    w["review"]["max_clock_skew_secs"] = json!(86_400);
    w["review"]["max_delegation_secs"] = json!(31_622_400);
    let file = fx.path("w.json");
    std::fs::write(&file, w.to_string()).unwrap();
    ok(&evaluate(&fx, &file));
}

/// A repeated key in a workflow, trust or facts file is refused, never resolved to its last
/// value.
#[test]
fn duplicate_keys_are_refused_in_every_document() {
    let fx = Fixture::new();
    let workflow = text(&std::fs::read(workflow_path()).unwrap());
    let twice = workflow.replacen(
        "\"review\": {",
        "\"review\": {\"max_clock_skew_secs\": 1, \"max_clock_skew_secs\": 300,",
        1,
    );
    assert_ne!(twice, workflow, "the shipped workflow has a review object");
    let file = fx.path("w.json");
    std::fs::write(&file, &twice).unwrap();
    let out = evaluate(&fx, &file);
    failed_with(&out, 2, "invalid_json");
    assert!(
        text(&out.stderr).contains("duplicate key"),
        "{}",
        describe(&out)
    );

    let trust = trust_json();
    let twice = trust.replacen('{', "{\"principals\": [], ", 1);
    std::fs::write(fx.path("t.json"), &twice).unwrap();
    let out = run(
        &[
            "verify",
            "--journal",
            fx.j(),
            "--workflow",
            workflow_path().to_str().unwrap(),
            "--trust",
            fx.path("t.json").to_str().unwrap(),
        ],
        None,
    );
    failed_with(&out, 2, "invalid_json");
    assert!(
        text(&out.stderr).contains("duplicate key"),
        "{}",
        describe(&out)
    );

    let facts = fx.path("facts.json");
    std::fs::write(
        &facts,
        r#"{"facts": {"custody.exposure": "confirmed", "custody.exposure": "suspected"}}"#,
    )
    .unwrap();
    failed_with(&evaluate_files(&workflow_path(), &facts), 2, "invalid_json");

    // The library refuses them too.
    assert!(authority_lane::workflow::Workflow::from_json(twice_key().as_bytes()).is_err());
}

fn twice_key() -> String {
    text(&std::fs::read(workflow_path()).unwrap()).replacen(
        "\"review\": {",
        "\"review\": {\"quorum\": 9, ",
        1,
    )
}

/// Input files are regular files or `-`, and bounded: `/dev/zero`, a FIFO with no writer and
/// a 2 MiB file are refused at once instead of exhausting memory or hanging.
#[test]
fn input_files_are_bounded_and_regular() {
    let fx = Fixture::new();
    let fifo = fx.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let big = fx.path("big.json");
    std::fs::write(&big, vec![b' '; 2 << 20]).unwrap();
    for (input, code) in [
        (Path::new("/dev/zero"), "usage"),
        (fifo.as_path(), "usage"),
        (fx.path("").as_path(), "usage"),
        (big.as_path(), "input_too_large"),
    ] {
        let start = Instant::now();
        let out = run(
            &[
                "verify",
                "--journal",
                fx.j(),
                "--workflow",
                workflow_path().to_str().unwrap(),
                "--trust",
                input.to_str().unwrap(),
            ],
            None,
        );
        failed_with(&out, 2, code);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{input:?} took {:?}",
            start.elapsed()
        );
        let out = evaluate_files(&workflow_path(), input);
        failed_with(&out, 2, code);
    }
    // A token file past its bound.
    let token_file = fx.path("big.jws");
    std::fs::write(&token_file, vec![b'a'; 65 << 10]).unwrap();
    let out = run(
        &[
            "init",
            "--workflow",
            workflow_path().to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
            "--journal",
            fx.j(),
            "--token",
            token_file.to_str().unwrap(),
        ],
        None,
    );
    failed_with(&out, 2, "input_too_large");
    assert!(!fx.journal.exists());
}

/// Item 9: links planted where the snapshot and the lineage index go are never followed:
/// `init` and `apply` succeed, and the files they point at are untouched.
#[test]
fn planted_links_beside_the_journal_are_never_followed() {
    let fx = Fixture::new();
    let victim = fx.path("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    for side in ["case.jsonl.lineage", "case.jsonl.snapshot"] {
        std::os::unix::fs::symlink(&victim, fx.path(side)).unwrap();
    }
    fx.init(T0);
    let mut commands = required_findings(T0 + 60);
    for i in 0..1100 {
        commands.push(finding(
            T0 + 200,
            "lineage-agent-1",
            "lineage.internal_packages_in_window",
            json!(3),
            &format!("r/{i}"),
            "bulk",
        ));
    }
    fx.apply_ok(&commands);
    ok(&run(&["status", "--journal", fx.j()], None));
    ok(&run(
        &["lineage", "--journal", fx.j(), "--proof", "5"],
        None,
    ));
    ok(&fx.verify());
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious",
        "the link's target is untouched"
    );
}

/// `demo --store … --case ../x` would write private keys outside the working directory: the
/// case id is refused before anything is written or any connection made.
#[test]
fn demo_keys_stay_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for case in ["../x", "/tmp/x", ".hidden", "a/b", "..", "a\\b"] {
        let out = std::process::Command::new(BIN)
            .args([
                "demo",
                "--store",
                "postgres://root@127.0.0.1:1/none",
                "--case",
                case,
            ])
            .current_dir(&work)
            .output()
            .unwrap();
        failed_with(&out, 2, "usage");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("work")],
        "nothing beside"
    );
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "nothing inside"
    );
}
