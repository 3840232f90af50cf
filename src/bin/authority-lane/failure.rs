//! Failures and their exit codes, standard output, and reading the files a command names.

use crate::*;

/// An error for stderr, with its stable code and exit status.
pub(crate) struct Failure {
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) exit: u8,
}

impl Failure {
    pub(crate) fn new(code: impl Into<String>, message: impl Into<String>, exit: u8) -> Self {
        Failure {
            code: code.into(),
            message: message.into(),
            exit,
        }
    }
    pub(crate) fn input(code: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::new(code, message, 2)
    }
}

/// Internal marker for a closed standard output; never printed.
pub(crate) const CLOSED_STDOUT: &str = "closed_stdout";

/// Writes `text` to standard output. A closed pipe ends the program quietly (exit 141); any
/// other write error is `io`.
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::new(CLOSED_STDOUT, "", 141)
            } else {
                Failure::new("io", format!("cannot write to standard output: {e}"), 2)
            }
        })
}

pub(crate) fn report(f: &Failure) {
    let body = serde_json::json!({"error": {"code": f.code, "message": f.message}});
    eprintln!("{body}");
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new("internal", format!("cannot serialise output: {e}"), 2))?;
    emit(&(text + "\n"))
}

/// Reads a file that must be JSON; unreadable or malformed → `invalid_json`.
pub(crate) fn read_json(path: &Path, what: &str) -> Result<serde_json::Value, Failure> {
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

pub(crate) fn read_text(source: &str, what: &str) -> Result<String, Failure> {
    let mut text = String::new();
    if source == "-" {
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            Failure::input(
                "invalid_input",
                format!("cannot read {what} from stdin: {e}"),
            )
        })?;
    } else {
        text = std::fs::read_to_string(source).map_err(|e| {
            Failure::input("invalid_input", format!("cannot read {what} {source}: {e}"))
        })?;
    }
    Ok(text)
}

pub(crate) fn load_workflow(path: &Path) -> Result<Workflow, Failure> {
    let value = read_json(path, "workflow")?;
    let bytes =
        serde_json::to_vec(&value).map_err(|e| Failure::input("invalid_json", e.to_string()))?;
    Workflow::from_json(&bytes)
        .map_err(|e| Failure::input(e.code(), format!("{} (file {})", e, path.display())))
}

pub(crate) fn load_trust(path: &Path) -> Result<Trust, Failure> {
    let value = read_json(path, "trust file")?;
    let bytes =
        serde_json::to_vec(&value).map_err(|e| Failure::input("invalid_json", e.to_string()))?;
    Trust::from_json(&bytes)
        .map_err(|e| Failure::input(e.code(), format!("{e} (file {})", path.display())))
}

pub(crate) fn load_pins(pins: &Pins) -> Result<PinnedCopies, Failure> {
    let workflow = pins.workflow.as_deref().map(load_workflow).transpose()?;
    let trust = pins.trust.as_deref().map(load_trust).transpose()?;
    Ok((workflow.map(Arc::new), trust.map(Arc::new)))
}

pub(crate) const EXIT_REJECTED: u8 = 3;

pub(crate) const EXIT_INTEGRITY: u8 = 4;

pub(crate) const EXIT_NOT_READY: u8 = 5;

pub(crate) fn store_failure(e: StoreError) -> Failure {
    let exit = if e.is_integrity() {
        EXIT_INTEGRITY
    } else if matches!(
        e,
        StoreError::Rejected(_)
            | StoreError::Journal(
                authority_lane::journal::JournalError::Locked { .. }
                    | authority_lane::journal::JournalError::Conflict { .. }
            )
    ) {
        // Nothing was written: the command was refused, or another writer held the journal.
        EXIT_REJECTED
    } else {
        2
    };
    Failure::new(e.code(), e.to_string(), exit)
}
