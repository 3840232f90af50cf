//! Failures and their exit codes, standard output, and reading the files a command names.

use crate::*;
use authority_lane::ErrorCode;

/// An error for stderr, with its stable code and exit status.
pub(crate) struct Failure {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) exit: u8,
}

/// The exit status of a program whose reader went away (as if SIGPIPE had ended it).
const EXIT_CLOSED_STDOUT: u8 = 141;

impl Failure {
    /// A failure that exits with its code's exit status.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            exit: code.exit_status(),
        }
    }
    /// A command the case refused: exit 3 whatever the code, nothing was written.
    pub(crate) fn rejected(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            exit: authority_lane::error_code::EXIT_REJECTED,
            ..Failure::new(code, message)
        }
    }
    /// Standard output was closed: the program ends quietly, nothing is reported.
    fn closed_stdout() -> Self {
        Failure {
            exit: EXIT_CLOSED_STDOUT,
            ..Failure::new(ErrorCode::Io, "")
        }
    }
    pub(crate) fn is_closed_stdout(&self) -> bool {
        self.exit == EXIT_CLOSED_STDOUT
    }
}

/// Bytes a pipe on standard output should hold: Linux's default unprivileged maximum
/// (`/proc/sys/fs/pipe-max-size`).
#[cfg(target_os = "linux")]
const PIPE_SIZE: usize = 1 << 20;

/// Widens standard output's buffer when it is a pipe, so that a command streaming hundreds of
/// MiB (`lineage`, `apply`) and its reader do not wake each other every 64 KiB. Best effort:
/// not a pipe, or a limit that refuses the size, leaves the pipe as it was.
pub(crate) fn widen_stdout_pipe() {
    #[cfg(target_os = "linux")]
    {
        let stdout = std::io::stdout();
        // Only a pipe has a size; never shrink one a reader made larger.
        if rustix::pipe::fcntl_getpipe_size(&stdout).is_ok_and(|size| size < PIPE_SIZE) {
            let _ = rustix::pipe::fcntl_setpipe_size(&stdout, PIPE_SIZE);
        }
    }
}

/// Writes `text` to standard output. A closed pipe ends the program quietly (exit 141); any
/// other write error is `io`.
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    emit_bytes(text.as_bytes())
}

/// [`emit`] for bytes (UTF-8 JSON a caller built in a buffer).
pub(crate) fn emit_bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::closed_stdout()
            } else {
                Failure::new(
                    ErrorCode::Io,
                    format!("cannot write to standard output: {e}"),
                )
            }
        })
}

pub(crate) fn report(f: &Failure) {
    let body = crate::output::ErrorOutput {
        error: crate::output::ErrorBody {
            code: f.code,
            message: f.message.clone(),
        },
    };
    match serde_json::to_string(&body) {
        Ok(line) => eprintln!("{line}"),
        Err(_) => eprintln!("{{\"error\": {{\"code\": \"internal\", \"message\": \"\"}}}}"),
    }
}

/// A file (or standard input) that could not be read: `unreadable_file`, wherever it happens.
pub(crate) fn unreadable(what: &str, e: &std::io::Error) -> Failure {
    Failure::new(
        ErrorCode::UnreadableFile,
        format!("cannot read {what}: {e}"),
    )
}

/// The most the CLI reads of a workflow, trust file or facts file (DESIGN §12.9):
/// `input_too_large` beyond it.
pub(crate) const MAX_DOCUMENT_BYTES: u64 = 1 << 20;

/// The most the CLI reads of a token file (a token is at most 8 KiB; a file may hold a
/// newline or two more).
pub(crate) const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;

/// The bytes of `source`: a regular file, or standard input for `-`, at most `limit` bytes
/// (`input_too_large` beyond). A FIFO, a directory or a device is `usage`: it is opened
/// without blocking and refused before a byte is read, so `/dev/zero` cannot exhaust memory
/// and a FIFO with no writer cannot hang the command.
pub(crate) fn read_source(source: &Path, what: &str, limit: u64) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        Failure::new(
            ErrorCode::InputTooLarge,
            format!(
                "{what} {} is larger than {limit} bytes, the most it may be",
                source.display()
            ),
        )
    };
    let mut bytes = Vec::new();
    if source == Path::new("-") {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(&format!("{what} from standard input"), &e))?;
    } else {
        let unreadable_here =
            |e: &std::io::Error| unreadable(&format!("{what} {}", source.display()), e);
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
        }
        let file = options.open(source).map_err(|e| unreadable_here(&e))?;
        let meta = file.metadata().map_err(|e| unreadable_here(&e))?;
        if !meta.is_file() {
            return Err(Failure::new(
                ErrorCode::Usage,
                format!(
                    "{what} {}: not a regular file (a FIFO, directory or device); pass a file, or `-` for standard input",
                    source.display()
                ),
            ));
        }
        if meta.len() > limit {
            return Err(too_large());
        }
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable_here(&e))?;
    }
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot serialise output: {e}")))?;
    emit(&(text + "\n"))
}

/// Reads a file (or `-`, standard input) that must be JSON: unreadable → `unreadable_file`,
/// malformed → `invalid_json`.
pub(crate) fn read_json(path: &Path, what: &str) -> Result<serde_json::Value, Failure> {
    let bytes = read_source(path, what, MAX_DOCUMENT_BYTES)?;
    // Strict: a repeated key is refused, never resolved to its last value (DESIGN §12.9).
    authority_lane::digest::strict_json(&bytes).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidJson,
            format!("{what} {} is not valid JSON: {e}", path.display()),
        )
    })
}

/// Reads a token file (or `-`, standard input): unreadable → `unreadable_file`, not UTF-8 →
/// `invalid_token`.
pub(crate) fn read_text(source: &str, what: &str) -> Result<String, Failure> {
    let bytes = read_source(Path::new(source), what, MAX_TOKEN_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidToken,
            format!("{what} {source} is not UTF-8: {e}"),
        )
    })
}

pub(crate) fn load_workflow(path: &Path) -> Result<Workflow, Failure> {
    let value = read_json(path, "workflow")?;
    let bytes = serde_json::to_vec(&value)
        .map_err(|e| Failure::new(ErrorCode::InvalidJson, e.to_string()))?;
    Workflow::from_json(&bytes)
        .map_err(|e| Failure::new(e.code(), format!("{} (file {})", e, path.display())))
}

pub(crate) fn load_trust(path: &Path) -> Result<Trust, Failure> {
    let value = read_json(path, "trust file")?;
    let bytes = serde_json::to_vec(&value)
        .map_err(|e| Failure::new(ErrorCode::InvalidJson, e.to_string()))?;
    Trust::from_json(&bytes)
        .map_err(|e| Failure::new(e.code(), format!("{e} (file {})", path.display())))
}

pub(crate) fn load_pins(pins: &Pins) -> Result<PinnedCopies, Failure> {
    let workflow = pins.workflow.as_deref().map(load_workflow).transpose()?;
    let trust = pins.trust.as_deref().map(load_trust).transpose()?;
    Ok((workflow.map(Arc::new), trust.map(Arc::new)))
}

pub(crate) fn store_failure(e: StoreError) -> Failure {
    // A journal that is not there or may not be read is the same cause as any other such file.
    if let StoreError::Journal(authority_lane::journal::JournalError::Io {
        path: Some(path),
        source,
    }) = &e
        && matches!(
            source.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
        )
    {
        return unreadable(&format!("journal {}", path.display()), source);
    }
    match &e {
        // Nothing was written: the command was refused.
        StoreError::Rejected(_) => Failure::rejected(e.code(), e.to_string()),
        _ => Failure::new(e.code(), e.to_string()),
    }
}
