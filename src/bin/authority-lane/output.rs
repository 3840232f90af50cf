//! The documents the CLI itself writes (`init`, `store migrate`, each `apply` line, `verify`, the error object,
//! `demo --format json`, each `lineage` line and a `lineage --proof`), as types: what is printed is serialised from them, and their schemas
//! are generated from them (`schema --out`), beside the library's.

use authority_lane::ErrorCode;
use authority_lane::case::{EventRecord, Leaf};
use authority_lane::digest::Digest;
use authority_lane::ids::{CaseId, LaneId};
use authority_lane::packet::ViewFinding;
use schemars::JsonSchema;
use serde::Serialize;

/// What `authority-lane init` prints: the case it opened and record 0's hash.
#[derive(Serialize, JsonSchema)]
pub(crate) struct InitOutput {
    /// The case id (the declaration token's `sub`).
    pub case_id: CaseId,
    /// Always 0: the declaration is record 0.
    pub seq: u64,
    /// The state's leaf.
    pub state: Leaf,
    /// The state's path in the statechart, e.g. `case/open/gathering`.
    pub path: String,
    /// The recommended lane.
    pub recommended_lane: LaneId,
    /// Hash of record 0: keep it to pass as `--expect-head 0:<head>`.
    pub head: Option<Digest>,
}

/// What `authority-lane store migrate` prints once the store's journal table is there.
#[derive(Serialize, JsonSchema)]
pub(crate) struct MigrateOutput {
    /// Always true (a failure is an error object and a non-zero exit).
    pub migrated: bool,
    /// The schema holding the table (`public` unless the URL says `?schema=NAME`).
    pub schema: String,
    /// The table's name.
    pub table: String,
    /// Whether this run created the table (false: it was there already).
    pub created: bool,
}

/// One line `authority-lane apply` prints per accepted command, once it is durable.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ApplyLine {
    /// The journal seq of the command's record.
    pub seq: u64,
    /// That record's hash: with `seq`, what `--expect-head SEQ:HASH` takes.
    pub head: Digest,
    /// The events the command produced, as the journal holds them.
    #[schemars(with = "Vec<EventRecord>")]
    pub events: Vec<Box<serde_json::value::RawValue>>,
}

/// A torn tail `verify` found (a last line cut short by a crash, never acknowledged).
#[derive(Serialize, JsonSchema)]
pub(crate) struct TornTailOutput {
    /// Byte offset where the torn line starts.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
}

/// What `authority-lane verify` prints when the journal verifies.
#[derive(Serialize, JsonSchema)]
pub(crate) struct VerifyOutput {
    /// Always true (a failure is an error object and a non-zero exit).
    pub ok: bool,
    /// The case record 0 declares (with `--case`, the one asked for).
    pub case_id: authority_lane::ids::CaseId,
    /// Number of records.
    pub records: u64,
    /// The last record's seq.
    pub seq: u64,
    /// The last record's hash.
    pub head: Digest,
    /// How many records carry a supplied time of record (`--at`) instead of the writer's clock.
    pub supplied_clock_records: u64,
    /// The earliest and latest supplied time of record (`null` when none was supplied).
    pub supplied_clock_span: Option<authority_lane::store::ClockSpan>,
    /// A torn tail, reported but not failing.
    pub torn_tail: Option<TornTailOutput>,
    /// True when the last record lacked only its newline.
    pub unterminated: bool,
    /// The state's leaf.
    pub state: Leaf,
    /// The state's path.
    pub path: String,
    /// The current draft's digest (the accepted packet's, once accepted).
    pub draft_digest: Option<Digest>,
    /// The accepted packet's digest.
    pub packet_digest: Option<Digest>,
    /// Digest of the workflow the journal pins.
    pub workflow_digest: Digest,
    /// Digest of the trust file the journal pins (the root of any amendments).
    pub trust_digest: Digest,
    /// Digest of the trust in force, when trust amendments changed it (DESIGN §16): the chain
    /// from `trust_digest` to it was re-verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_in_force: Option<Digest>,
}

/// The error object: one line on stderr.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ErrorOutput {
    /// The error.
    pub error: ErrorBody,
}

/// The error's code and message.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ErrorBody {
    /// The stable code (docs/errors.md).
    pub code: ErrorCode,
    /// What went wrong and what was expected, for a human.
    pub message: String,
}

/// What `authority-lane demo --format json` prints.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DemoOutput<'a> {
    /// The narrative, one step per command.
    pub steps: &'a [crate::demo::DemoStep],
    /// The accepted packet in the security-trust-review channel (as `packet` prints it).
    #[schemars(with = "authority_lane::packet::ChannelView")]
    pub packet: serde_json::Value,
}

/// What `authority-lane lineage --proof INDEX` prints: an RFC 9162 §2.1.3 inclusion proof of
/// one finding against the lineage root the draft carries.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ProofOutput {
    /// The finding's index (its leaf).
    pub index: u64,
    /// Findings in the case (leaves in the tree).
    pub count: u64,
    /// The Merkle root: the draft's `lineage.root`.
    pub root: Digest,
    /// The finding's lineage entry, as the channel may see it.
    pub entry: ViewFinding,
    /// `sha256:` of 0x00 followed by the RFC 8785 form of the full entry.
    pub leaf: Digest,
    /// The sibling hashes from the leaf up.
    pub path: Vec<Digest>,
}

/// What `lineage --check-proof` prints when the proof checks out.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ProofChecked {
    /// Always true (a refusal is an error object and exit 4).
    pub ok: bool,
    /// The finding's index.
    pub index: u64,
    /// The proof's count.
    pub count: u64,
    /// The root it verified against (the one you passed).
    pub root: Digest,
}

/// The CLI's own schemas as (file name, generated schema).
pub(crate) fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    use authority_lane::schema::raw_output as raw;
    let mut demo = raw::<DemoOutput<'static>>();
    demo["title"] = "DemoOutput".into();
    vec![
        ("init.schema.json", raw::<InitOutput>()),
        ("store-migrate.schema.json", raw::<MigrateOutput>()),
        ("apply-line.schema.json", raw::<ApplyLine>()),
        ("verify.schema.json", raw::<VerifyOutput>()),
        ("error.schema.json", raw::<ErrorOutput>()),
        ("demo.schema.json", demo),
        ("lineage-entry.schema.json", raw::<ViewFinding>()),
        ("lineage-proof.schema.json", raw::<ProofOutput>()),
        ("lineage-check-proof.schema.json", raw::<ProofChecked>()),
        (
            "lineage-consistency.schema.json",
            raw::<authority_lane::lineage::proof::ConsistencyProof>(),
        ),
    ]
}
