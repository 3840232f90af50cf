//! The `authority-lane` command line: JSON in, JSON out, stable exit codes.
//!
//! Exit codes: 0 ok · 1 schema drift (`schema --check`) · 2 usage or invalid input file ·
//! 3 command rejected · 4 journal integrity failure · 5 not ready.
//! Errors go to stderr as `{"error": {"code": "...", "message": "..."}}`.

mod demo;
mod failure;
mod journal;
mod lineage;
mod tools;

use failure::*;
use journal::*;
use lineage::*;
use tools::*;

use authority_lane::approval::Trust;
use authority_lane::assess::assess;
use authority_lane::case::{Command as CaseCommand, Rejection};
use authority_lane::ids::ChannelId;
use authority_lane::journal::{Backend, MemoryJournal};
use authority_lane::packet::JournalRef;
use authority_lane::render;
use authority_lane::store::{
    Anchors, CaseStore, Clock, JournalStatus, Replay, StoreError, replay_reader_each,
};
use authority_lane::workflow::{FactsInput, Workflow};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// See `Cargo.toml`: bulk ingest is allocation-bound, and mimalloc beats glibc's allocator there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// Where to create the case: --journal PATH (a new file) or --store URL.
        #[command(flatten)]
        journal: Location,
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
        #[command(flatten)]
        journal: Location,
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
        #[command(flatten)]
        journal: Location,
        #[command(flatten)]
        pins: Pins,
    },
    /// Print the accepted packet (or, with --draft, the current draft).
    Packet {
        #[command(flatten)]
        journal: Location,
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
        #[command(flatten)]
        journal: Location,
        #[command(flatten)]
        pins: Pins,
        /// Exit 4 (`rollback`) unless the journal still holds this record, e.g. `12:sha256:…`.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Stream every finding of the case as NDJSON (lineage entries, as the channel may see
    /// them), or print one finding's RFC 9162 inclusion proof against the lineage root the
    /// draft carries (--proof INDEX; the README shows how to check it with SHA-256 alone).
    Lineage {
        #[command(flatten)]
        journal: Location,
        #[command(flatten)]
        pins: Pins,
        /// Channel view (default: security-trust-review, which carries everything).
        #[arg(long)]
        channel: Option<String>,
        /// Print the inclusion proof of finding INDEX instead of the entries.
        #[arg(long, value_name = "INDEX")]
        proof: Option<u64>,
    },
    /// Write a case's journal, byte for byte, to standard output: a journal file `verify`
    /// passes (e.g. `export --store postgres://root@127.0.0.1/test --case ID > case.jsonl`).
    Export {
        #[command(flatten)]
        journal: Location,
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

/// Where the case lives: a journal file (`--journal PATH`) or a case in a PostgreSQL store
/// (`--store URL --case ID`; DESIGN §14).
#[derive(clap::Args)]
struct Location {
    /// The case's journal file.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "store",
        conflicts_with = "store"
    )]
    journal: Option<PathBuf>,
    /// A PostgreSQL store instead of a journal file, e.g. postgres://root@127.0.0.1/test
    /// (with --case; `init` takes the case id from the declaration).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// The case's id in --store.
    #[arg(long = "case", value_name = "ID", requires = "store")]
    case: Option<String>,
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
        Command::Export { journal } => export(&journal),
        Command::Lineage {
            journal,
            pins,
            channel,
            proof,
        } => lineage(&journal, &pins, channel.as_deref(), proof),
        Command::Diagram { format } => emit(&match format {
            DiagramFormat::Mermaid => render::mermaid(),
            DiagramFormat::Dot => render::dot(),
        }),
    }
}

// ----- case commands -----

/// The caller's own copies of the workflow and trust file, when given.
type PinnedCopies = (Option<Arc<Workflow>>, Option<Arc<Trust>>);
