//! The `authority-lane` command line: `evaluate` output shape and error contract (DESIGN §5),
//! `schema --out/--check`, and usage errors.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_authority-lane");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflow_path() -> PathBuf {
    root().join("workflows/signing-key-compromise.json")
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run authority-lane")
}

fn evaluate(workflow: &Path, facts: &Path) -> Output {
    run(&[
        "evaluate",
        "--workflow",
        workflow.to_str().unwrap(),
        "--facts",
        facts.to_str().unwrap(),
    ])
}

/// Writes `text` into a fresh temporary file and returns it (kept alive by the caller).
fn temp_file(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
    items.iter().copied().collect()
}

/// Asserts a failure with exit 2 (or `exit`), nothing on stdout and exactly one JSON error
/// object on stderr; returns (code, message).
fn expect_error(out: &Output, exit: i32) -> (String, String) {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        out.status.code(),
        Some(exit),
        "exit status; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on error, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let values: Vec<Value> = serde_json::Deserializer::from_str(&stderr)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {stderr}"));
    assert_eq!(
        values.len(),
        1,
        "stderr must hold exactly one JSON value: {stderr}"
    );
    let v = &values[0];
    assert_eq!(keys(v), set(&["error"]), "{v}");
    assert_eq!(keys(&v["error"]), set(&["code", "message"]), "{v}");
    let code = v["error"]["code"].as_str().expect("code is a string");
    let message = v["error"]["message"].as_str().expect("message is a string");
    assert!(!message.is_empty());
    (code.to_owned(), message.to_owned())
}

fn evaluate_facts(facts: Value) -> Output {
    let f = temp_file(&facts.to_string());
    evaluate(&workflow_path(), f.path())
}

#[test]
fn every_example_evaluates_with_the_contract_shape() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("workflows/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        // `*.trust.json` is the example trust file, not a facts file.
        .filter(|p| !p.to_string_lossy().ends_with(".trust.json"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty(), "no examples found");
    for example in examples {
        let out = evaluate(&workflow_path(), &example);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            example.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: output is not JSON: {e}", example.display()));
        assert_eq!(
            keys(&v),
            set(&[
                "recommended_lane",
                "lanes",
                "options",
                "pending",
                "stable",
                "ready_for_review",
                "missing_required"
            ]),
            "{}",
            example.display()
        );
        assert!(v["recommended_lane"].is_string());
        assert!(v["stable"].is_boolean() && v["ready_for_review"].is_boolean());
        assert!(v["missing_required"].is_array());
        let lanes = v["lanes"].as_array().unwrap();
        assert_eq!(lanes.len(), 3);
        for lane in lanes {
            assert_eq!(
                keys(lane),
                set(&["lane", "rank", "status", "reasons"]),
                "{lane}"
            );
            for reason in lane["reasons"].as_array().unwrap() {
                assert_eq!(keys(reason), set(&["rule", "lane", "facts"]), "{reason}");
            }
        }
        for option in v["options"].as_array().unwrap() {
            assert_eq!(
                keys(option),
                set(&[
                    "id",
                    "boundary",
                    "boundary_lane",
                    "reversibility",
                    "conditional",
                    "notes"
                ]),
                "{option}"
            );
        }
        for pending in v["pending"].as_array().unwrap() {
            assert_eq!(
                keys(pending),
                set(&["rule", "could_escalate_to", "facts"]),
                "{pending}"
            );
        }
        assert_eq!(
            v["stable"].as_bool().unwrap(),
            v["pending"].as_array().unwrap().is_empty()
        );
    }
}

#[test]
fn examples_recommend_the_expected_lanes() {
    let expected = [
        ("confirmed-with-disclosure.json", "legal-trust-office"),
        ("desktop-agents-in-window.json", "executive-cyber-command"),
        ("early-declaration.json", "platform-security-command"),
        ("suspected-internal-only.json", "platform-security-command"),
    ];
    for (file, lane) in expected {
        let out = evaluate(
            &workflow_path(),
            &root().join("workflows/examples").join(file),
        );
        assert_eq!(out.status.code(), Some(0), "{file}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["recommended_lane"], lane, "{file}");
    }
}

#[test]
fn undeclared_fact_is_unknown_fact() {
    let out =
        evaluate_facts(json!({"facts": {"custody.exposure": "suspected", "custody.mood": 1}}));
    let (code, message) = expect_error(&out, 2);
    assert_eq!(code, "unknown_fact");
    assert!(message.contains("custody.mood"), "{message}");
}

#[test]
fn wrongly_typed_values_are_invalid_value() {
    for (fact, value) in [
        ("custody.exposure", json!(3)),
        ("custody.exposure", json!("leaked")),
        ("custody.rogue_signatures_observed", json!(-1)),
        ("impact.customers_affected", json!(2.5)),
        ("lineage.third_party_redistribution", json!("yes")),
        ("impact.disclosure_deadline", json!("next tuesday")),
        ("custody.window_start", json!("2026-13-01T00:00:00Z")),
        ("release.freeze_within_policy", json!(null)),
    ] {
        let out = evaluate_facts(json!({"facts": {fact: value}}));
        let (code, message) = expect_error(&out, 2);
        assert_eq!(code, "invalid_value", "{fact} = {value}: {message}");
        assert!(message.contains(fact), "{message}");
    }
}

#[test]
fn an_unreadable_file_is_unreadable_file_and_malformed_input_is_invalid_json() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-facts.json");
    let (code, _) = expect_error(&evaluate(&workflow_path(), &missing), 2);
    assert_eq!(code, "unreadable_file", "missing facts file");

    let facts = temp_file(r#"{"facts": {"custody.exposure": "suspec"#);
    let (code, _) = expect_error(&evaluate(&workflow_path(), facts.path()), 2);
    assert_eq!(code, "invalid_json", "truncated facts file");

    for text in [r#"{"custody.exposure": "suspected"}"#, "{}", "[]"] {
        let facts = temp_file(text);
        let (code, _) = expect_error(&evaluate(&workflow_path(), facts.path()), 2);
        assert_eq!(code, "invalid_json", "facts file without `facts`: {text}");
    }

    let good = temp_file(r#"{"facts": {}}"#);
    let (code, _) = expect_error(&evaluate(&missing, good.path()), 2);
    assert_eq!(code, "unreadable_file", "missing workflow file");
    let text = std::fs::read_to_string(workflow_path()).unwrap();
    let truncated = temp_file(&text[..text.len() / 2]);
    let (code, _) = expect_error(&evaluate(truncated.path(), good.path()), 2);
    assert_eq!(code, "invalid_json", "truncated workflow");
}

#[test]
fn workflow_trigger_on_undeclared_fact_is_invalid_workflow_with_path() {
    let mut wf: Value =
        serde_json::from_str(&std::fs::read_to_string(workflow_path()).unwrap()).unwrap();
    let lanes = wf["lanes"].as_array().unwrap();
    let i = lanes
        .iter()
        .position(|l| l["id"] == "executive-cyber-command")
        .unwrap();
    wf["lanes"][i]["required_when"][1]["when"]["fact"] = json!("impact.vibes");
    let wf_file = temp_file(&wf.to_string());
    let facts = temp_file(r#"{"facts": {}}"#);
    let (code, message) = expect_error(&evaluate(wf_file.path(), facts.path()), 2);
    assert_eq!(code, "invalid_workflow");
    let path = format!("lanes[{i}].required_when[1].when.fact");
    assert!(message.contains(&path), "{message} should name {path}");
    assert!(message.contains("impact.vibes"), "{message}");
}

#[test]
fn shipped_schemas_are_current() {
    let out = run(&["schema", "--check", "schemas"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn schema_check_names_a_drifted_or_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["schema", "--out", d]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&["schema", "--check", d]).status.code(), Some(0));

    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "schema --out wrote {files:?}");
    let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();

    let drifted = &files[0];
    let mut text = std::fs::read_to_string(drifted).unwrap();
    text.push(' ');
    std::fs::write(drifted, text).unwrap();
    let (code, message) = expect_error(&run(&["schema", "--check", d]), 1);
    assert_eq!(code, "schema_drift");
    assert!(message.contains(&name(drifted)), "{message}");
    for other in &files[1..] {
        assert!(
            !message.contains(&name(other)),
            "{message} names untouched {}",
            name(other)
        );
    }

    let missing = &files[1];
    std::fs::remove_file(missing).unwrap();
    let (_, message) = expect_error(&run(&["schema", "--check", d]), 1);
    assert!(message.contains(&name(missing)), "{message}");
    assert!(message.contains(&name(drifted)), "{message}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _) = expect_error(&run(&["frobnicate"]), 2);
    assert_eq!(code, "usage");
    let (code, _) = expect_error(&run(&["evaluate", "--workflow", "x.json"]), 2);
    assert_eq!(code, "usage");
    expect_error(&run(&[]), 2);
}
