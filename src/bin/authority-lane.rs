//! The `authority-lane` command line: JSON in, JSON out, stable exit codes.
//!
//! Exit codes: 0 ok · 1 schema drift (`schema --check`) · 2 usage or invalid input file ·
//! 3 command rejected · 4 journal integrity failure · 5 not ready.
//! Errors go to stderr as `{"error": {"code": "...", "message": "..."}}`.

use authority_lane::assess::assess;
use authority_lane::workflow::{FactsInput, Workflow};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "authority-lane",
    version,
    about = "Governs who decides after a production signing-key compromise"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assess a facts file under a workflow and print the Assessment JSON.
    Evaluate {
        /// Workflow definition (JSON).
        #[arg(long)]
        workflow: PathBuf,
        /// Facts file: {"facts": {"<fact>": <value>, ...}}.
        #[arg(long)]
        facts: PathBuf,
    },
    /// Write the JSON Schemas to a directory, or check a directory against them.
    Schema {
        /// Write every schema into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "check")]
        out: Option<PathBuf>,
        /// Exit 1, naming the file, if DIR's schemas differ from the generated ones.
        #[arg(long, value_name = "DIR")]
        check: Option<PathBuf>,
    },
}

/// An error for stderr, with its stable code and exit status.
struct Failure {
    code: String,
    message: String,
    exit: u8,
}

impl Failure {
    fn new(code: impl Into<String>, message: impl Into<String>, exit: u8) -> Self {
        Failure {
            code: code.into(),
            message: message.into(),
            exit,
        }
    }
    fn input(code: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::new(code, message, 2)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            report(&Failure::input("usage", e.to_string().trim_end()));
            return ExitCode::from(2);
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            report(&f);
            ExitCode::from(f.exit)
        }
    }
}

fn report(f: &Failure) {
    let body = serde_json::json!({"error": {"code": f.code, "message": f.message}});
    eprintln!("{body}");
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Evaluate { workflow, facts } => evaluate(&workflow, &facts),
        Command::Schema { out, check } => schema(out.as_deref(), check.as_deref()),
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new("internal", format!("cannot serialise output: {e}"), 2))?;
    println!("{text}");
    Ok(())
}

/// Reads a file that must be JSON; unreadable or malformed → `invalid_json`.
fn read_json(path: &Path, what: &str) -> Result<serde_json::Value, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::input(
            "invalid_json",
            format!("cannot read {what} {}: {e}", path.display()),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::input(
            "invalid_json",
            format!("{what} {} is not valid JSON: {e}", path.display()),
        )
    })
}

fn load_workflow(path: &Path) -> Result<Workflow, Failure> {
    let value = read_json(path, "workflow")?;
    let bytes =
        serde_json::to_vec(&value).map_err(|e| Failure::input("invalid_json", e.to_string()))?;
    Workflow::from_json(&bytes)
        .map_err(|e| Failure::input(e.code(), format!("{} (file {})", e, path.display())))
}

fn evaluate(workflow: &Path, facts: &Path) -> Result<(), Failure> {
    let workflow = load_workflow(workflow)?;
    let raw = read_json(facts, "facts file")?;
    let input: FactsInput = serde_json::from_value(raw).map_err(|e| {
        Failure::input(
            "invalid_json",
            format!(
                "facts file {} must be {{\"facts\": {{\"<fact>\": <value>, ...}}}}: {e}",
                facts.display()
            ),
        )
    })?;
    let typed = workflow
        .parse_facts(&input.facts)
        .map_err(|e| Failure::input(e.code(), e.to_string()))?;
    print_json(&assess(&workflow, &typed))
}

fn schema(out: Option<&Path>, check: Option<&Path>) -> Result<(), Failure> {
    let schemas = authority_lane::schema::all();
    match (out, check) {
        (Some(dir), None) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::input("io", format!("cannot create {}: {e}", dir.display()))
            })?;
            for (name, text) in &schemas {
                let path = dir.join(name);
                std::fs::write(&path, text).map_err(|e| {
                    Failure::input("io", format!("cannot write {}: {e}", path.display()))
                })?;
            }
            Ok(())
        }
        (None, Some(dir)) => {
            let mut drifted = Vec::new();
            for (name, text) in &schemas {
                let path = dir.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(found) if &found == text => {}
                    Ok(_) => drifted.push(format!(
                        "{} differs from the generated schema",
                        path.display()
                    )),
                    Err(e) => {
                        drifted.push(format!("{} is missing or unreadable: {e}", path.display()))
                    }
                }
            }
            if drifted.is_empty() {
                Ok(())
            } else {
                Err(Failure::new(
                    "schema_drift",
                    format!(
                        "{}; regenerate with `authority-lane schema --out {}`",
                        drifted.join("; "),
                        dir.display()
                    ),
                    1,
                ))
            }
        }
        _ => Err(Failure::input(
            "usage",
            "give exactly one of --out DIR or --check DIR",
        )),
    }
}
