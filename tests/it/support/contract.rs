//! Every document the CLI prints in any test, validated against its published schema with an
//! independent validator (the `jsonschema` crate, Draft 2020-12, formats checked): the error
//! object on stderr, and on stdout `init`, `store migrate`, each `apply` line, `status`, `verify`, `evaluate`,
//! `packet` (draft or accepted, every channel) and `demo --format json`.

use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};

fn validator(file: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(file.to_owned())
        .or_insert_with(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(file);
            let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Arc::new(
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("{file} is not a valid schema: {e}")),
            )
        })
        .clone()
}

/// Panics, naming the schema, the document and the first errors, unless `doc` validates.
#[track_caller]
pub fn assert_valid(file: &str, doc: &Value) {
    let v = validator(file);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(3)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{file} refuses a document the CLI printed: {errors:?}\n{doc}"
    );
}

/// The schema of what `args` prints on stdout, if it prints JSON.
fn stdout_schema(args: &[String]) -> Option<&'static str> {
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let markdown = args
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] != "json");
    let command = args.iter().find(|a| !a.starts_with('-'))?;
    Some(match command.as_str() {
        "init" => "init.schema.json",
        "store" => "store-migrate.schema.json",
        "apply" => "apply-line.schema.json",
        "status" => "status.schema.json",
        "trust" => "trust-in-force.schema.json",
        "verify" => "verify.schema.json",
        "evaluate" => "assessment.schema.json",
        "packet" if !markdown && has("--draft") => "draft-packet.schema.json",
        "packet" if !markdown => "packet.schema.json",
        "lineage" if has("--check-proof") => "lineage-check-proof.schema.json",
        "lineage" if has("--proof") => "lineage-proof.schema.json",
        "lineage" if has("--consistency") => "lineage-consistency.schema.json",
        "lineage" => "lineage-entry.schema.json",
        "demo"
            if args
                .windows(2)
                .any(|w| w[0] == "--format" && w[1] == "json") =>
        {
            "demo.schema.json"
        }
        _ => return None,
    })
}

/// Validates what one run of the binary printed.
#[track_caller]
pub fn check_output(args: &[String], out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(0) {
        for line in stderr.lines().filter(|l| l.starts_with('{')) {
            if let Ok(doc) = serde_json::from_str::<Value>(line) {
                assert_valid("error.schema.json", &doc);
            }
        }
    }
    let Some(schema) = stdout_schema(args) else {
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    if schema == "apply-line.schema.json" || schema == "lineage-entry.schema.json" {
        for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(doc) = serde_json::from_str::<Value>(line) {
                assert_valid(schema, &doc);
            }
        }
    } else if out.status.code() == Some(0)
        && let Ok(doc) = serde_json::from_str::<Value>(&stdout)
    {
        assert_valid(schema, &doc);
    }
}
