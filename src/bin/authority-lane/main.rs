//! The `authority-lane` command line: JSON in, JSON out, stable exit codes.
//!
//! Exit codes: 0 ok · 1 schema drift (`schema --check`) · 2 usage or invalid input file ·
//! 3 command rejected · 4 journal integrity failure · 5 not ready.
//! Errors go to stderr as `{"error": {"code": "...", "message": "..."}}`.

use authority_lane::ErrorCode;
mod demo;
mod failure;
mod journal;
mod lineage;
mod output;
mod report;
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
    Anchors, CaseStore, Clock, JournalStatus, Replay, StoreError, replay_file_rebuilding_index,
    replay_file_rebuilding_snapshot, replay_file_with_snapshot, replay_reader_each,
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
/// Shown after every `--help`: exit codes, channels, where errors go.
const FOOTER: &str = "\
Exit codes: 0 ok · 1 schema drift · 2 usage or invalid input · 3 command rejected (nothing
written) · 4 journal integrity failure · 5 not ready (e.g. packet before acceptance) · 141 the
reader of standard output went away.
Errors: one line on stderr, {\"error\": {\"code\": \"...\", \"message\": \"...\"}}; every code is in
docs/errors.md. Results: JSON on stdout. Wherever a FILE is taken, `-` reads standard input.
Channels (packet --channel): security-trust-review (everything), executive-brief (no key-custody
records), authority-selection (lane statuses, options, owner, deadlines; every finding redacted).
Times: RFC 3339 with a four-digit year and an offset, e.g. 2026-11-28T12:30:00Z.";

const EXAMPLES: &str = "\
Examples:
  authority-lane demo --journal case.jsonl        # the shipped scenario; keys in case.trust.json
  authority-lane evaluate --workflow workflows/signing-key-compromise.json \\
      --facts workflows/examples/desktop-agents-in-window.json
  authority-lane init --workflow W.json --trust workflows/examples/example.trust.json \\
      --journal case.jsonl --token declare.jws
  authority-lane apply --journal case.jsonl commands.jsonl   # one result line per command
  authority-lane status --journal case.jsonl                 # draft_digest: what reviewers sign
  authority-lane packet --journal case.jsonl --draft --channel executive-brief --format markdown
  authority-lane verify --journal case.jsonl --trust T.json --workflow W.json
  authority-lane completions bash > /etc/bash_completion.d/authority-lane";

#[derive(Parser)]
#[command(
    name = "authority-lane",
    version,
    about = "Governs who decides after a production signing-key compromise",
    long_about = "Governs who decides after a production signing-key compromise: assesses agents' \
evidence against a declared policy, recommends an authority lane and a bounded option set, and \
records humans' signed (JWS, EdDSA) reviews and acceptance in a hash-chained journal. It never \
revokes, freezes, publishes or schedules anything.",
    after_help = FOOTER,
    after_long_help = format!("{EXAMPLES}\n\n{FOOTER}"),
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assess a facts file under a workflow and print the Assessment JSON.
    #[command(
        after_long_help = "Examples:\n  authority-lane evaluate --workflow workflows/signing-key-compromise.json --facts workflows/examples/early-declaration.json\n  echo '{\"facts\": {\"custody.exposure\": \"confirmed\"}}' | authority-lane evaluate --workflow W.json --facts -\nExit 2 on an undeclared fact (unknown_fact) or a wrongly typed value (invalid_value)."
    )]
    Evaluate {
        /// Workflow definition (JSON).
        #[arg(long)]
        workflow: PathBuf,
        /// Facts file: {"facts": {"<fact>": <value>, ...}}.
        #[arg(long)]
        facts: PathBuf,
    },
    /// Run the shipped scenario end to end (keys generated at run time).
    #[command(
        after_long_help = "Examples:\n  authority-lane demo\n  authority-lane demo --format json\n  authority-lane demo --journal case.jsonl   # keeps the journal; writes the keys' trust file case.trust.json and keys case.keys/ beside it\n  authority-lane demo --store postgres://root@127.0.0.1/test --case sev1-demo-1   # the case in PostgreSQL; sev1-demo-1.trust.json and sev1-demo-1.keys/ in the working directory"
    )]
    Demo {
        /// Keep the case's journal at PATH (for `verify` and `packet`).
        #[arg(long, conflicts_with = "store")]
        journal: Option<PathBuf>,
        /// Keep the case in a PostgreSQL store instead, under --case ID (a new case id).
        #[arg(long, value_name = "URL", requires = "case")]
        store: Option<String>,
        /// The new case's id in --store.
        #[arg(long = "case", value_name = "ID", requires = "store")]
        case: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DemoFormat::Markdown)]
        format: DemoFormat,
    },
    /// Open a case from a `declare` token and create its journal.
    #[command(
        after_long_help = "Examples:\n  authority-lane init --workflow workflows/signing-key-compromise.json --trust workflows/examples/example.trust.json --journal case.jsonl --token declare.jws\n  mint-declare | authority-lane init ... --journal case.jsonl --token -\nPrints {case_id, seq: 0, state, path, recommended_lane, head} (schemas/init.schema.json)."
    )]
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
    #[command(
        after_long_help = "Examples:\n  authority-lane apply --journal case.jsonl commands.jsonl\n  echo '{\"type\": \"decision\", \"at\": \"2026-11-28T12:30:00Z\", \"token\": \"<JWS>\"}' | authority-lane apply --journal case.jsonl\nIn: one command a line (schemas/command.schema.json). Out: one line per accepted command once it is durable, {\"seq\", \"head\", \"events\"} (schemas/apply-line.schema.json). The first refused line stops the run with exit 3: the lines before it are applied and acknowledged, it and the lines after it are not (a line that is not UTF-8 is refused like any other, invalid_json, naming its line)."
    )]
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
    #[command(
        after_long_help = "Example:\n  authority-lane status --journal case.jsonl\ndraft_digest is the digest reviewers sign (decision.packet_digest); assessment_digest is what set_lane and exclude_option redirects carry; seq and head anchor the journal."
    )]
    Status {
        #[command(flatten)]
        journal: Location,
        #[command(flatten)]
        pins: Pins,
        /// Output format: JSON, or a self-contained HTML page (no script, no remote resource)
        /// with the statechart and the current state lit.
        #[arg(long, value_enum, default_value_t = StatusFormat::Json)]
        format: StatusFormat,
    },
    /// Show the trust in force and who may sign what now (DESIGN §16): each principal's roles,
    /// keys, the decisions it may sign and the lanes it owns; keys declared compromised,
    /// amendments collecting signatures and those that took effect.
    #[command(after_long_help = "Example:
  authority-lane trust --journal case.jsonl
trust_digest is what an amend_trust decision's trust_digest_before names (schemas/trust-in-force.schema.json).")]
    Trust {
        #[command(flatten)]
        journal: Location,
        #[command(flatten)]
        pins: Pins,
    },
    /// Print the accepted packet (or, with --draft, the current draft).
    #[command(
        after_long_help = "Examples:\n  authority-lane packet --journal case.jsonl --draft\n  authority-lane packet --journal case.jsonl --trust T.json --workflow W.json --revision 1\n  authority-lane packet --journal case.jsonl --draft --channel authority-selection --format markdown\n  authority-lane packet --journal case.jsonl --trust T.json --workflow W.json --channel executive-brief --format html > brief.html\nChannels: security-trust-review (default, everything), executive-brief (no key-custody records), authority-selection (every finding redacted). Exit 5 (not_ready) before acceptance without --draft."
    )]
    Packet {
        #[command(flatten)]
        journal: Location,
        /// Print the current draft instead of the accepted packet.
        #[arg(long, conflicts_with = "revision")]
        draft: bool,
        /// Print the packet accepted for revision N: a case reopened by evidence after its
        /// acceptance keeps every accepted revision's packet in its journal, byte for byte.
        #[arg(long, value_name = "N")]
        revision: Option<u64>,
        /// Channel view (default: the workflow's default channel, security-trust-review in the
        /// shipped workflow, which carries everything; else its first channel).
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
    /// them), print one finding's RFC 9162 inclusion proof against the lineage root the draft
    /// carries (--proof INDEX), or the consistency proof from an earlier lineage to the case's
    /// (--consistency FROM_COUNT); the README shows how to check both with SHA-256 alone.
    #[command(
        after_long_help = "Examples:\n  authority-lane lineage --journal case.jsonl > entries.jsonl\n  authority-lane lineage --journal case.jsonl --proof 5 > proof.json\n  authority-lane lineage --journal case.jsonl --consistency 12 > consistency.json\n  authority-lane lineage --check-proof proof.json --root sha256:<the packet's lineage.root> [--count N]\n--check-proof needs no case: it checks index < count, entry.index == index, the leaf against the entry (unless redacted), the path against the root, and the root (and --count) against yours; exit 4 proof_invalid otherwise."
    )]
    Lineage {
        /// The case's journal file.
        #[arg(long, value_name = "PATH", conflicts_with_all = ["store", "check_proof"])]
        journal: Option<PathBuf>,
        /// A PostgreSQL store instead of a journal file (with --case).
        #[arg(long, value_name = "URL", conflicts_with = "check_proof")]
        store: Option<String>,
        /// The case's id: required with --store; beside --journal, record 0 must declare it.
        #[arg(long = "case", value_name = "ID")]
        case: Option<String>,
        #[command(flatten)]
        pins: Pins,
        /// Channel view (default: the workflow's default channel, security-trust-review in the
        /// shipped workflow, which carries everything; else its first channel).
        #[arg(long, conflicts_with = "check_proof")]
        channel: Option<String>,
        /// Print the inclusion proof of finding INDEX instead of the entries.
        #[arg(long, value_name = "INDEX", conflicts_with = "check_proof")]
        proof: Option<u64>,
        /// Print the RFC 9162 consistency proof from the case's first FROM_COUNT findings (a
        /// lineage a reviewer signed: its `count`) to its lineage now, instead of the entries.
        #[arg(long, value_name = "FROM_COUNT", conflicts_with_all = ["check_proof", "proof", "channel"])]
        consistency: Option<u64>,
        /// Check a proof document (FILE, or `-`) instead: needs --root, no case.
        #[arg(long, value_name = "FILE", requires = "root")]
        check_proof: Option<PathBuf>,
        /// The lineage root you trust (the packet's `lineage.root`), for --check-proof.
        #[arg(long, value_name = "ROOT", requires = "check_proof")]
        root: Option<String>,
        /// The finding count you trust (the packet's `lineage.count`), for --check-proof.
        #[arg(long, value_name = "N", requires = "check_proof")]
        count: Option<u64>,
    },
    /// Write a case's journal, byte for byte, to standard output: a journal file `verify`
    /// passes (e.g. `export --store postgres://root@127.0.0.1/test --case ID > case.jsonl`).
    Export {
        #[command(flatten)]
        journal: Location,
    },
    /// Manage a PostgreSQL store: `store migrate --store URL` creates its journal table.
    Store {
        #[command(subcommand)]
        action: StoreCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The seed's evaluation measures over many cases, from their journals alone (DESIGN §17):
    /// per case the time from declaration to first draft, quorum and acceptance, revisions,
    /// lane changes and their causes, redirects, carried and voided sign-offs; across cases
    /// their distributions (nearest-rank median and p90).
    #[command(
        after_long_help = "Examples:\n  authority-lane report --journal a.jsonl --journal b.jsonl\n  authority-lane report --dir cases/ --format html > report.html\n  authority-lane report --store postgres://root@127.0.0.1/test\nJSON (schemas/report.schema.json) by default; --format html is one self-contained page. Each case is replayed against the workflow and trust pinned in its record 0 (or, with --trust and --workflow, against yours: every case must match them). A case that does not replay stops the report with its error."
    )]
    Report {
        #[command(flatten)]
        sources: report::Sources,
        #[command(flatten)]
        pins: Pins,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
    },
    /// Draw the statechart from its one table of transitions and hierarchy.
    Diagram {
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
    },
    /// Write the JSON Schemas to a directory, or check a directory against them.
    #[command(
        after_long_help = "Examples:\n  authority-lane schema --out schemas\n  authority-lane schema --check schemas\n  authority-lane schema --workflow workflows/signing-key-compromise.json --out my-schemas"
    )]
    Schema {
        /// Write every schema into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "check")]
        out: Option<PathBuf>,
        /// Exit 1, naming the file, if DIR's schemas differ from the generated ones.
        #[arg(long, value_name = "DIR")]
        check: Option<PathBuf>,
        /// Instead, the schemas narrowed to this workflow: `<id>.facts.schema.json` (each
        /// fact's key, type, enum values in order, bounds), `<id>.command.schema.json` (one
        /// branch per fact) and `<id>.token-claims.schema.json` (the review attestations).
        #[arg(long, value_name = "FILE")]
        workflow: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Create the store's journal table (and its schema) unless it is there; idempotent. `init`
    /// does it too; no other command issues DDL, so readers need no more than SELECT.
    #[command(
        after_long_help = "Examples:\n  authority-lane store migrate --store postgres://root@127.0.0.1/test\n  authority-lane store migrate --store 'postgres://owner@db.internal/cases?schema=authority_lane'\nPrints {\"migrated\": true, \"schema\", \"table\", \"created\"} (schemas/store-migrate.schema.json); created is false when the table was already there.\nThe table is \"SCHEMA\".\"authority_lane_journal\" (schema `public` unless ?schema=NAME: 1-63 bytes of [A-Za-z0-9_], not starting with a digit); every statement names it qualified, so the session's search_path does not matter. Give every command on the store the same ?schema=NAME. An auditor role needs only USAGE on the schema and SELECT on the table; a writer, SELECT and INSERT."
    )]
    Migrate {
        /// The PostgreSQL store, e.g. postgres://root@127.0.0.1/test or
        /// postgres://USER@HOST/DB?schema=NAME.
        #[arg(long, value_name = "URL")]
        store: String,
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
    /// (with --case; `init` takes the case id from the declaration). `?schema=NAME` keeps the
    /// journal table in schema NAME (default public); only `init` and `store migrate` create it.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// The case's id: required with --store; beside --journal, record 0 must declare it
    /// (`case_mismatch`, exit 4, otherwise).
    #[arg(long = "case", value_name = "ID")]
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
    /// One self-contained page (DESIGN §17): no script, no remote resource, a strict CSP.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Json,
    /// One self-contained page with charts as inline SVG.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatusFormat {
    Json,
    /// One self-contained page with the statechart and the current state lit.
    Html,
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
                // A closed pipe (`--help | head`) is no error.
                let _ = emit(&e.to_string());
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                use std::io::IsTerminal;
                // No command given: the plain help for a human at a terminal; a program reading
                // stderr gets the usual one-line error object. Exit 2 either way.
                if std::io::stderr().is_terminal() {
                    eprint!("{e}");
                } else {
                    report(&Failure::new(
                        ErrorCode::Usage,
                        "no command given; `authority-lane --help` lists the commands",
                    ));
                }
                return ExitCode::from(2);
            }
            report(&Failure::new(ErrorCode::Usage, e.to_string().trim_end()));
            return ExitCode::from(2);
        }
    };
    widen_stdout_pipe();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): end quietly, as a SIGPIPE'd program would.
        Err(f) if f.is_closed_stdout() => ExitCode::from(f.exit),
        Err(f) => {
            report(&f);
            ExitCode::from(f.exit)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Evaluate { workflow, facts } => evaluate(&workflow, &facts),
        Command::Schema {
            out,
            check,
            workflow,
        } => schema(out.as_deref(), check.as_deref(), workflow.as_deref()),
        Command::Demo {
            journal,
            store,
            case,
            format,
        } => demo(
            // Neither --journal nor --store: the demo runs in memory.
            (journal.is_some() || store.is_some()).then_some(Location {
                journal,
                store,
                case,
            }),
            format,
        ),
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
        Command::Status {
            journal,
            pins,
            format,
        } => status(&journal, &pins, format),
        Command::Trust { journal, pins } => trust(&journal, &pins),
        Command::Packet {
            journal,
            draft,
            revision,
            channel,
            format,
            pins,
            expect_head,
        } => packet(
            &journal,
            match (draft, revision) {
                (true, _) => Which::Draft,
                (false, None) => Which::Accepted,
                (false, Some(n)) => Which::Revision(n),
            },
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
        Command::Store {
            action: StoreCommand::Migrate { store },
        } => store_migrate(&store),
        Command::Lineage {
            check_proof: Some(file),
            root,
            count,
            ..
        } => check_proof(&file, root.as_deref().unwrap_or_default(), count),
        Command::Lineage {
            journal,
            store,
            case,
            pins,
            channel,
            proof,
            consistency,
            ..
        } => lineage(
            &Location {
                journal,
                store,
                case,
            },
            &pins,
            channel.as_deref(),
            proof,
            consistency,
        ),
        Command::Completions { shell } => completions(shell),
        Command::Report {
            sources,
            pins,
            format,
        } => report::report(&sources, &pins, format),
        Command::Diagram { format } => emit(&match format {
            DiagramFormat::Mermaid => render::mermaid(),
            DiagramFormat::Dot => render::dot(),
        }),
    }
}

/// `completions SHELL`: the shell's completion script, to stdout.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut text = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "authority-lane",
        &mut text,
    );
    emit(&String::from_utf8_lossy(&text))
}

// ----- case commands -----

/// The caller's own copies of the workflow and trust file, when given.
type PinnedCopies = (Option<Arc<Workflow>>, Option<Arc<Trust>>);
