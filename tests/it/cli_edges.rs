//! Edges of the command line: a reader that goes away mid-output, input that is not UTF-8,
//! times without an offset, `-` for standard input, missing files, help and completions.

use crate::support;

use serde_json::json;
use std::process::{Command, Stdio};
use support::*;

/// `packet | head -c1`: the program ends quietly (exit 0 or 141, nothing on stderr), never with
/// a panic.
#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    for args in [
        &["demo", "--format", "json"][..],
        &["demo"][..],
        &["diagram", "--format", "dot"][..],
    ] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the program writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(141),
            "{args:?}: exit {code:?}, stderr {}",
            text(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: stderr {}",
            text(&out.stderr)
        );
    }
}

/// A case opened at T0 under the shipped workflow and the test cast's trust file.
fn open_case(dir: &std::path::Path) -> std::path::PathBuf {
    let trust = dir.join("trust.json");
    std::fs::write(&trust, trust_json()).unwrap();
    let journal = dir.join("case.jsonl");
    let out = run(
        &[
            "init".as_ref(),
            "--workflow".as_ref(),
            workflow().as_os_str(),
            "--trust".as_ref(),
            trust.as_os_str(),
            "--journal".as_ref(),
            journal.as_os_str(),
            "--token".as_ref(),
            "-".as_ref(),
            "--at".as_ref(),
            ts(T0).as_ref(),
        ],
        Some(token(&SAM, T0, declare()).as_bytes()),
    );
    ok(&out);
    journal
}

fn workflow() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/signing-key-compromise.json")
}

fn apply_bytes(journal: &std::path::Path, input: &[u8]) -> std::process::Output {
    run(
        &[
            "apply".as_ref(),
            "--journal".as_ref(),
            journal.as_os_str(),
            "--at".as_ref(),
            ts(T0 + 60).as_ref(),
        ],
        Some(input),
    )
}

/// A line that is not UTF-8 is a refused line: the lines before it are applied and
/// acknowledged, it is named (`line 2`), and nothing after it is read.
#[test]
fn a_non_utf8_line_is_refused_by_number_after_the_lines_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open_case(dir.path());
    let good = finding(T0, "a1", "custody.exposure", json!("suspected"), "r1", "n");
    let later = finding(
        T0,
        "a1",
        "authority.platform_delegation",
        json!("active"),
        "r2",
        "n",
    );
    let mut input = good.into_bytes();
    input.extend_from_slice(b"\n{\"type\": \"finding\", \"at\": \"\xff\xfe\"}\n");
    input.extend_from_slice(later.as_bytes());
    input.push(b'\n');
    let out = apply_bytes(&journal, &input);
    let code = failed(&out, 3);
    assert_eq!(code, "invalid_json");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("not UTF-8"),
        "{stderr}"
    );
    let acks = json_lines(&text(&out.stdout));
    assert_eq!(acks.len(), 1, "line 1 is acknowledged: {}", describe(&out));
    assert_eq!(acks[0]["seq"], 1);
    assert_eq!(
        journal_records(&journal).len(),
        2,
        "record 0 and line 1 only"
    );
}

/// A command's `at` without an offset names the field and says an offset is required; so
/// does `--at`.
#[test]
fn a_time_without_an_offset_names_the_field_and_the_missing_offset() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open_case(dir.path());
    let line = finding(T0, "a1", "custody.exposure", json!("suspected"), "r1", "n")
        .replace(&ts(T0), "2026-11-28T12:00:00");
    let out = apply_bytes(&journal, format!("{line}\n").as_bytes());
    failed_with(&out, 3, "invalid_json");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("field `at`") && stderr.contains("offset is required"),
        "{stderr}"
    );

    let out = run(
        &[
            "apply".as_ref(),
            "--journal".as_ref(),
            journal.as_os_str(),
            "--at".as_ref(),
            "2026-11-28T12:00:00".as_ref(),
        ],
        Some(b""),
    );
    failed_with(&out, 2, "usage");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--at") && stderr.contains("offset is required"),
        "{stderr}"
    );
}

/// `evaluate --facts -` reads standard input, as `apply -` and `init --token -` do.
#[test]
fn evaluate_reads_facts_from_stdin() {
    let wf = workflow();
    let out = run(
        &[
            "evaluate".as_ref(),
            "--workflow".as_ref(),
            wf.as_os_str(),
            "--facts".as_ref(),
            "-".as_ref(),
        ],
        Some(br#"{"facts": {"custody.exposure": "confirmed"}}"#),
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["recommended_lane"], "executive-cyber-command");
}

/// A missing file is `unreadable_file` whatever it is: workflow, trust, token, commands,
/// journal.
#[test]
fn a_missing_file_has_one_code_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open_case(dir.path());
    let missing = dir.path().join("missing");
    let m = missing.to_str().unwrap();
    let wf = workflow();
    let wf = wf.to_str().unwrap();
    let tr = dir.path().join("trust.json");
    let tr = tr.to_str().unwrap();
    let j = journal.to_str().unwrap();
    let fresh = dir.path().join("fresh.jsonl");
    let fresh = fresh.to_str().unwrap();
    for args in [
        vec!["evaluate", "--workflow", m, "--facts", "-"],
        vec!["evaluate", "--workflow", wf, "--facts", m],
        vec![
            "init",
            "--workflow",
            wf,
            "--trust",
            m,
            "--journal",
            fresh,
            "--token",
            "-",
        ],
        vec![
            "init",
            "--workflow",
            wf,
            "--trust",
            tr,
            "--journal",
            fresh,
            "--token",
            m,
        ],
        vec!["apply", "--journal", j, m],
        vec!["status", "--journal", m],
        vec!["verify", "--journal", m, "--trust", tr, "--workflow", wf],
        vec!["packet", "--journal", m, "--draft"],
    ] {
        let out = run(&args, Some(b"{}"));
        let code = failed(&out, 2);
        assert_eq!(code, "unreadable_file", "{args:?}: {}", describe(&out));
    }
}

/// No arguments: at a terminal, the plain help (not a JSON line); to a program, one short error
/// object. Exit 2 either way. `--help` shows examples, the exit codes and the channels.
#[test]
fn help_is_plain_text_with_examples_exit_codes_and_channels() {
    let out = run::<&str>(&[], None);
    let code = failed(&out, 2);
    assert_eq!(code, "usage");
    assert!(
        !text(&out.stderr).contains("\\n"),
        "the whole help escaped: {}",
        describe(&out)
    );
    // At a terminal (util-linux `script` gives the program one), the plain help.
    if let Ok(tty) = Command::new("script")
        .args(["-qec", BIN, "/dev/null"])
        .stdin(Stdio::null())
        .output()
    {
        let shown = String::from_utf8_lossy(&tty.stdout);
        assert!(
            shown.contains("Usage: authority-lane") && !shown.trim_start().starts_with('{'),
            "{shown}"
        );
        assert_eq!(tty.status.code(), Some(2), "{shown}");
    }

    let help = ok(&run(&["--help"], None));
    for needle in [
        "Examples:",
        "Exit codes:",
        "security-trust-review",
        "executive-brief",
        "authority-selection",
        "docs/errors.md",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}: {help}");
    }
    let apply = ok(&run(&["apply", "--help"], None));
    assert!(
        apply.contains("Examples:") && apply.contains("exit 3"),
        "{apply}"
    );
}

#[test]
fn completions_are_generated_for_the_shells() {
    let bash = ok(&run(&["completions", "bash"], None));
    assert!(
        bash.contains("authority-lane") && bash.contains("complete"),
        "{bash}"
    );
    for shell in ["zsh", "fish"] {
        let out = ok(&run(&["completions", shell], None));
        assert!(
            out.contains("evaluate") && out.contains("packet"),
            "{shell}"
        );
    }
}

/// `packet --draft | head -c1`: a draft is larger than a pipe's first read.
#[test]
fn a_draft_packet_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("demo.jsonl");
    ok(&run(
        &["demo".as_ref(), "--journal".as_ref(), journal.as_os_str()],
        None,
    ));
    let mut child = Command::new(BIN)
        .args([
            "packet".as_ref(),
            "--journal".as_ref(),
            journal.as_os_str(),
            "--draft".as_ref(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(141),
        "exit {code:?}: {}",
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// `demo --journal case.jsonl` leaves what carrying the case's people further needs: the trust
/// file and, in `case.keys/`, each principal's private key (PKCS#8 PEM, owner-only), with which
/// a new case opens under the same trust file.
#[test]
fn the_demo_keys_sign_a_new_case_under_the_demo_trust_file() {
    use authority_lane::approval::{AUDIENCE, Claims, Decision, Declare, Signer};
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("case.jsonl");
    ok(&run(
        &["demo".as_ref(), "--journal".as_ref(), journal.as_os_str()],
        None,
    ));
    let keys = dir.path().join("case.keys");
    let pem = std::fs::read_to_string(keys.join("sam.rivera.pem")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(keys.join("sam.rivera.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "a private key readable by others: {mode:o}"
        );
    }
    // The six people of record 0 and nora.quinn, whom the demo's trust amendment adds.
    assert_eq!(std::fs::read_dir(&keys).unwrap().count(), 7);
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert_eq!(der.len(), 48, "PKCS#8 Ed25519: 16-byte prefix and the seed");
    let seed: [u8; 32] = der[16..].try_into().unwrap();
    let signer = Signer::from_seed("sam-demo".into(), seed);
    let token = signer.sign_claims(&Claims {
        iss: "sam.rivera".into(),
        aud: AUDIENCE.into(),
        sub: "sev1-next".into(),
        iat: T0,
        exp: T0 + 600,
        jti: "next-1".into(),
        decision: Decision::Declare(Declare {
            scope: "the next key".into(),
            severity: "sev1".into(),
        }),
    });
    let wf = workflow();
    let trust = dir.path().join("case.trust.json");
    let next = dir.path().join("next.jsonl");
    let out = run(
        &[
            "init".as_ref(),
            "--workflow".as_ref(),
            wf.as_os_str(),
            "--trust".as_ref(),
            trust.as_os_str(),
            "--journal".as_ref(),
            next.as_os_str(),
            "--token".as_ref(),
            "-".as_ref(),
            "--at".as_ref(),
            ts(T0).as_ref(),
        ],
        Some(token.as_bytes()),
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["case_id"], "sev1-next");
}

/// The schema check every `run` applies is a real one: a document off the schema fails it.
#[test]
#[should_panic(expected = "error.schema.json refuses")]
fn the_output_check_refuses_a_document_off_its_schema() {
    support::contract::assert_valid(
        "error.schema.json",
        &json!({"error": {"code": "no_such_code", "message": "m"}}),
    );
}
