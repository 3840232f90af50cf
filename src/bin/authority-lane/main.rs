//! The `authority-lane` command line: JSON in, JSON out, stable exit codes.
//!
//! Exit codes: 0 ok · 1 schema drift (`schema --check`) · 2 usage or invalid input file ·
//! 3 command rejected · 4 journal integrity failure · 5 not ready.
//! Errors go to stderr as `{"error": {"code": "...", "message": "..."}}`.

mod demo;

use authority_lane::approval::Trust;
use authority_lane::assess::assess;
use authority_lane::case::{Command as CaseCommand, Rejection};
use authority_lane::ids::ChannelId;
use authority_lane::journal::{FileJournal, MemoryJournal, Store};
use authority_lane::packet::JournalRef;
use authority_lane::render;
use authority_lane::store::{
    Anchors, CaseStore, Clock, JournalStatus, Replay, StoreError, replay_file,
};
use authority_lane::workflow::{FactsInput, Workflow};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
    /// Run the shipped scenario end to end (keys generated at run time).
    Demo {
        /// Keep the case's journal at PATH (for `verify` and `packet`).
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DemoFormat::Markdown)]
        format: DemoFormat,
    },
    /// Open a case from a `declare` token and create its journal.
    Init {
        /// Workflow definition (JSON).
        #[arg(long)]
        workflow: PathBuf,
        /// Trust file (JSON).
        #[arg(long)]
        trust: PathBuf,
        /// Journal to create.
        #[arg(long)]
        journal: PathBuf,
        /// File holding the declaration token, or `-` for stdin.
        #[arg(long)]
        token: String,
        /// Supply the time of record (RFC 3339, four-digit year) instead of reading the
        /// system clock; tests and demos only — the record is marked as supplied.
        #[arg(long)]
        at: Option<String>,
    },
    /// Apply commands (one JSON object per line) from FILE or stdin; one result line each.
    Apply {
        /// The case's journal.
        #[arg(long)]
        journal: PathBuf,
        #[command(flatten)]
        pins: Pins,
        /// Supply the time of record of every record this run writes (RFC 3339, four-digit
        /// year; not earlier than the last record's) instead of the system clock; tests and
        /// demos only — each record is marked as supplied and `verify` counts them.
        #[arg(long)]
        at: Option<String>,
        /// Wait at most SECS for another writer's lock, then fail with `journal_locked`.
        #[arg(long, value_name = "SECS", default_value_t = 10)]
        lock_timeout: u64,
        /// Commands file, or `-` (default) for stdin.
        input: Option<String>,
    },
    /// Show the case's state, lane, draft digest, owner and journal head.
    Status {
        /// The case's journal.
        #[arg(long)]
        journal: PathBuf,
        #[command(flatten)]
        pins: Pins,
    },
    /// Print the accepted packet (or, with --draft, the current draft).
    Packet {
        /// The case's journal.
        #[arg(long)]
        journal: PathBuf,
        /// Print the current draft instead of the accepted packet.
        #[arg(long)]
        draft: bool,
        /// Channel view (default: security-trust-review, which carries everything).
        #[arg(long)]
        channel: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PacketFormat::Json)]
        format: PacketFormat,
        #[command(flatten)]
        pins: Pins,
        /// Exit 4 (`rollback`) unless the journal still holds this record (from an `apply`
        /// acknowledgement or an earlier packet), e.g. `12:sha256:…`.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Re-check the hash chain and replay every event, re-verifying tokens at their time of
    /// record, against the workflow and trust file YOU hold (--workflow and --trust are required).
    Verify {
        /// The case's journal.
        #[arg(long)]
        journal: PathBuf,
        #[command(flatten)]
        pins: Pins,
        /// Exit 4 (`rollback`) unless the journal still holds this record, e.g. `12:sha256:…`.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Draw the statechart from its one table of transitions and hierarchy.
    Diagram {
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
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

/// The relying party's own copies of the workflow and trust file; their digests must match the
/// journal's pins (exit 4 `pin_mismatch`). `verify` and the accepted `packet` require both
/// (`anchor_required`): the copies embedded in record 0 serve writers, never as proof.
#[derive(clap::Args)]
struct Pins {
    /// Workflow the journal must have been written under.
    #[arg(long)]
    workflow: Option<PathBuf>,
    /// Trust file the journal must have been written under.
    #[arg(long)]
    trust: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DemoFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PacketFormat {
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagramFormat {
    Mermaid,
    Dot,
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
        // The reader went away (`| head`): end quietly, as a SIGPIPE'd program would.
        Err(f) if f.code == CLOSED_STDOUT => ExitCode::from(141),
        Err(f) => {
            report(&f);
            ExitCode::from(f.exit)
        }
    }
}

/// Internal marker for a closed standard output; never printed.
const CLOSED_STDOUT: &str = "closed_stdout";

/// Writes `text` to standard output. A closed pipe ends the program quietly (exit 141); any
/// other write error is `io`.
fn emit(text: &str) -> Result<(), Failure> {
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

fn report(f: &Failure) {
    let body = serde_json::json!({"error": {"code": f.code, "message": f.message}});
    eprintln!("{body}");
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Evaluate { workflow, facts } => evaluate(&workflow, &facts),
        Command::Schema { out, check } => schema(out.as_deref(), check.as_deref()),
        Command::Demo { journal, format } => demo(journal.as_deref(), format),
        Command::Init {
            workflow,
            trust,
            journal,
            token,
            at,
        } => init(&workflow, &trust, &journal, &token, at.as_deref()),
        Command::Apply {
            journal,
            pins,
            at,
            lock_timeout,
            input,
        } => apply(
            &journal,
            &pins,
            at.as_deref(),
            std::time::Duration::from_secs(lock_timeout),
            input.as_deref(),
        ),
        Command::Status { journal, pins } => status(&journal, &pins),
        Command::Packet {
            journal,
            draft,
            channel,
            format,
            pins,
            expect_head,
        } => packet(
            &journal,
            draft,
            channel.as_deref(),
            format,
            &pins,
            expect_head.as_deref(),
        ),
        Command::Verify {
            journal,
            pins,
            expect_head,
        } => verify(&journal, &pins, expect_head.as_deref()),
        Command::Diagram { format } => emit(&match format {
            DiagramFormat::Mermaid => render::mermaid(),
            DiagramFormat::Dot => render::dot(),
        }),
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new("internal", format!("cannot serialise output: {e}"), 2))?;
    emit(&(text + "\n"))
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

// ----- case commands -----

const EXIT_REJECTED: u8 = 3;
const EXIT_INTEGRITY: u8 = 4;
const EXIT_NOT_READY: u8 = 5;

fn store_failure(e: StoreError) -> Failure {
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

fn load_trust(path: &Path) -> Result<Trust, Failure> {
    let value = read_json(path, "trust file")?;
    let bytes =
        serde_json::to_vec(&value).map_err(|e| Failure::input("invalid_json", e.to_string()))?;
    Trust::from_json(&bytes)
        .map_err(|e| Failure::input(e.code(), format!("{e} (file {})", path.display())))
}

/// The caller's own copies of the workflow and trust file, when given.
type PinnedCopies = (Option<Arc<Workflow>>, Option<Arc<Trust>>);

fn load_pins(pins: &Pins) -> Result<PinnedCopies, Failure> {
    let workflow = pins.workflow.as_deref().map(load_workflow).transpose()?;
    let trust = pins.trust.as_deref().map(load_trust).transpose()?;
    Ok((workflow.map(Arc::new), trust.map(Arc::new)))
}

fn read_text(source: &str, what: &str) -> Result<String, Failure> {
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

fn init(
    workflow: &Path,
    trust: &Path,
    journal: &Path,
    token: &str,
    at: Option<&str>,
) -> Result<(), Failure> {
    let workflow = Arc::new(load_workflow(workflow)?);
    let trust = Arc::new(load_trust(trust)?);
    let token = read_text(token, "token")?;
    let clock = clock(at)?;
    let store =
        CaseStore::init(journal, workflow, trust, token.trim(), clock).map_err(store_failure)?;
    let case = store.case();
    print_json(&serde_json::json!({
        "case_id": case.id(),
        "seq": 0,
        "state": case.state(),
        "path": case.path(),
        "recommended_lane": case.recommended_lane(),
        "head": store.head(),
    }))
}

/// `--at T` supplies the time of record; without it the system clock is the writer's clock.
fn clock(at: Option<&str>) -> Result<Clock, Failure> {
    match at {
        None => Ok(Clock::System),
        Some(text) => authority_lane::time::parse(text)
            .map(Clock::Supplied)
            .map_err(|e| Failure::input("usage", format!("--at: {e}"))),
    }
}

fn apply(
    journal: &Path,
    pins: &Pins,
    at: Option<&str>,
    lock_timeout: std::time::Duration,
    input: Option<&str>,
) -> Result<(), Failure> {
    let (workflow, trust) = load_pins(pins)?;
    let clock = clock(at)?;
    let (mut store, _torn) =
        CaseStore::open(journal, workflow, trust, clock, lock_timeout).map_err(store_failure)?;
    let reader: Box<dyn Read> = match input {
        None | Some("-") => Box::new(std::io::stdin()),
        Some(path) => Box::new(std::fs::File::open(path).map_err(|e| {
            Failure::input("invalid_input", format!("cannot read commands {path}: {e}"))
        })?),
    };
    // Group commit: decide every line already read, append them with one fsync, then
    // acknowledge them together; never wait for more input while holding unacknowledged lines.
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut batch = Batch::default();
    let mut line = String::new();
    let mut line_no = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| Failure::input("invalid_input", format!("cannot read commands: {e}")))?;
        let eof = n == 0;
        if !eof {
            line_no += 1;
            let text = line.trim();
            if !text.is_empty() {
                match CaseCommand::from_json(text) {
                    Ok(cmd) => {
                        batch.commands.push(cmd);
                        batch.lines.push(line_no);
                    }
                    Err(rejection) => {
                        commit(&mut store, &mut batch)?;
                        return Err(rejected(rejection, line_no));
                    }
                }
            }
        }
        if eof || reader.buffer().is_empty() || batch.commands.len() >= 4096 {
            commit(&mut store, &mut batch)?;
        }
        if eof {
            return Ok(());
        }
    }
}

fn rejected(r: Rejection, line: usize) -> Failure {
    Failure::new(
        r.code(),
        format!("line {line}: {r} (nothing was written for it; later lines were not read)"),
        EXIT_REJECTED,
    )
}

/// Commands read but not yet committed, with their input line numbers.
#[derive(Default)]
struct Batch {
    commands: Vec<CaseCommand>,
    lines: Vec<usize>,
}

/// Submits a batch, prints one result line per accepted command (after the fsync), and turns a
/// rejection into the failure that stops `apply`.
fn commit(store: &mut CaseStore<FileJournal>, batch: &mut Batch) -> Result<(), Failure> {
    if batch.commands.is_empty() {
        return Ok(());
    }
    let submission = store.submit(&batch.commands).map_err(store_failure)?;
    let accepted = submission.accepted;
    let rejection = submission.rejected;
    let mut text = String::new();
    for a in &accepted {
        let line = serde_json::json!({"seq": a.seq, "head": a.head, "events": a.events});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    // Durable before it is acknowledged; a reader that went away just stops reading.
    emit(&text)?;
    let lines = std::mem::take(&mut batch.lines);
    batch.commands.clear();
    match rejection {
        Some((index, r)) => Err(rejected(r, lines.get(index).copied().unwrap_or(0))),
        None => Ok(()),
    }
}

/// Parses `--expect-head SEQ:HASH`.
fn expect_head(text: Option<&str>) -> Result<Option<JournalRef>, Failure> {
    let Some(text) = text else {
        return Ok(None);
    };
    let bad = |why: String| {
        Failure::input(
            "usage",
            format!(
                "--expect-head {text:?}: {why}; expected SEQ:HASH, e.g. 12:sha256:<64 hex> (an apply acknowledgement's seq and head)"
            ),
        )
    };
    let (seq, head) = text
        .split_once(':')
        .ok_or_else(|| bad("no `:` after the seq".into()))?;
    let seq = seq
        .parse::<u64>()
        .map_err(|e| bad(format!("seq is not a number: {e}")))?;
    let head = head.parse().map_err(|e| bad(format!("{e}")))?;
    Ok(Some(JournalRef { seq, head }))
}

/// Replays the journal; with `required`, the relying party must pass its own workflow and
/// trust file (`anchor_required`, exit 2, otherwise).
fn read_case(
    journal: &Path,
    pins: &Pins,
    required: Option<&str>,
    expect: Option<&str>,
) -> Result<Replay, Failure> {
    if let Some(command) = required
        && (pins.workflow.is_none() || pins.trust.is_none())
    {
        return Err(Failure::input(
            "anchor_required",
            format!(
                "{command} authenticates the journal against the workflow and trust file you hold: pass --workflow FILE and --trust FILE (the copies embedded in the journal can be rewritten by anyone who can write it)"
            ),
        ));
    }
    let expect_head = expect_head(expect)?;
    let (workflow, trust) = load_pins(pins)?;
    replay_file(
        journal,
        Anchors {
            workflow,
            trust,
            expect_head,
        },
    )
    .map_err(store_failure)
}

fn status(journal: &Path, pins: &Pins) -> Result<(), Failure> {
    let replay = read_case(journal, pins, None, None)?;
    print_json(&JournalStatus::of(&replay))
}

fn packet(
    journal: &Path,
    draft: bool,
    channel: Option<&str>,
    format: PacketFormat,
    pins: &Pins,
    expect: Option<&str>,
) -> Result<(), Failure> {
    let required = (!draft).then_some("packet (the accepted packet)");
    let replay = read_case(journal, pins, required, expect)?;
    let case = &replay.case;
    let channel_id = ChannelId::from(channel.unwrap_or("security-trust-review"));
    let channel = case.workflow().channel(&channel_id).ok_or_else(|| {
        Failure::input(
            "usage",
            format!(
                "unknown channel `{channel_id}`; the workflow defines {:?}",
                case.workflow()
                    .spec()
                    .channels
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
            ),
        )
    })?;
    let (view, title) = if draft {
        let d = case.draft().ok_or_else(|| {
            Failure::new("not_ready", format!(
                "no draft: the case is in {}; {}",
                case.path(),
                if case.state().is_closed() {
                    "it was closed without one"
                } else {
                    "required facts are missing or requested evidence has not arrived (status lists them)"
                }
            ), EXIT_NOT_READY)
        })?;
        (
            d.view(channel),
            format!(
                "Draft recommendation packet (revision {})",
                d.content.revision
            ),
        )
    } else {
        let p = replay.packet().ok_or_else(|| {
            Failure::new("not_ready", format!("no recommendation packet: the case is in {}; a packet exists only in closed/accepted (use --draft for the current draft)", case.path()), EXIT_NOT_READY)
        })?;
        (p.view(channel), "Recommendation packet".to_owned())
    };
    match format {
        PacketFormat::Json => print_json(&view.to_json()),
        PacketFormat::Markdown => emit(&render::packet_markdown(&view, &title)),
    }
}

fn verify(journal: &Path, pins: &Pins, expect: Option<&str>) -> Result<(), Failure> {
    let replay = read_case(journal, pins, Some("verify"), expect)?;
    let case = &replay.case;
    // Building a draft digests the whole lineage: build it once. An accepted packet's digest
    // is its draft's digest.
    let packet_digest = replay.packet().map(|p| p.packet_digest().clone());
    let draft_digest = packet_digest.clone().or_else(|| case.draft_digest());
    print_json(&serde_json::json!({
        "ok": true,
        "records": replay.records,
        "seq": replay.head.seq,
        "head": replay.head.head,
        "supplied_clock_records": replay.supplied_clock,
        "torn_tail": replay.torn_tail.map(|t| serde_json::json!({"offset": t.offset, "len": t.len})),
        "unterminated": replay.unterminated,
        "state": case.state(),
        "path": case.path(),
        "draft_digest": draft_digest,
        "packet_digest": packet_digest,
        "workflow_digest": case.genesis().workflow_digest,
        "trust_digest": case.genesis().trust_digest,
    }))
}

fn demo(journal: Option<&Path>, format: DemoFormat) -> Result<(), Failure> {
    let declared_at = Utc::now();
    let fail = |e: demo::DemoError| match e {
        demo::DemoError::Store(s) => store_failure(s),
        other => Failure::new("demo_failed", other.to_string(), 2),
    };
    let clock = Clock::Supplied(declared_at);
    match journal {
        Some(path) => {
            let run = demo::run(declared_at, |w, t, token| {
                CaseStore::init(path, w, t, token, clock)
            })
            .map_err(fail)?;
            write_demo_trust(path, &run.store.case().shared().1)?;
            print_demo(&run, format)
        }
        None => {
            let run = demo::run(declared_at, |w, t, token| {
                CaseStore::<MemoryJournal>::in_memory(w, t, token, clock)
            })
            .map_err(fail)?;
            print_demo(&run, format)
        }
    }
}

/// The demo's keys are generated at run time: it writes the trust file they belong to beside
/// the journal (`case.jsonl` → `case.trust.json`) so that the journal can be verified.
fn write_demo_trust(journal: &Path, trust: &Trust) -> Result<(), Failure> {
    let path = journal.with_extension("trust.json");
    let text = serde_json::to_string_pretty(trust.file()).map_err(|e| {
        Failure::new(
            "internal",
            format!("cannot serialise the trust file: {e}"),
            2,
        )
    })?;
    std::fs::write(&path, text + "\n").map_err(|e| {
        Failure::input(
            "io",
            format!("cannot write the demo's trust file {}: {e}", path.display()),
        )
    })?;
    eprintln!(
        "demo: journal {} written; verify it with: authority-lane verify --journal {} --trust {} --workflow workflows/signing-key-compromise.json",
        journal.display(),
        journal.display(),
        path.display()
    );
    Ok(())
}

fn print_demo<S: Store>(run: &demo::DemoRun<S>, format: DemoFormat) -> Result<(), Failure> {
    let packet = run
        .packet()
        .ok_or_else(|| Failure::new("demo_failed", "the demo did not reach closed/accepted", 2))?;
    let channel = run
        .store
        .case()
        .workflow()
        .channel(&ChannelId::from("security-trust-review"))
        .ok_or_else(|| {
            Failure::new(
                "demo_failed",
                "the shipped workflow lacks the security-trust-review channel",
                2,
            )
        })?;
    let view = packet.view(channel);
    match format {
        DemoFormat::Json => {
            print_json(&serde_json::json!({"steps": run.steps, "packet": view.to_json()}))
        }
        DemoFormat::Markdown => {
            let mut text = String::new();
            for (i, s) in run.steps.iter().enumerate() {
                text.push_str(&format!(
                    "{:>2}. [{}] lane={} rev={} — {}\n",
                    i + 1,
                    s.path,
                    s.lane,
                    s.revision,
                    s.what
                ));
            }
            text.push('\n');
            text.push_str(&render::packet_markdown(&view, "Recommendation packet"));
            emit(&text)
        }
    }
}
