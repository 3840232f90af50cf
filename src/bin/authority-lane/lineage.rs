//! `lineage`: every finding of a case as NDJSON, or one finding's RFC 9162 inclusion proof
//! (DESIGN §13). The journal is replayed (and so verified) as it streams; entries are written as
//! they are replayed and never kept, so memory does not grow with the lineage (a proof keeps the
//! 32-byte leaf hashes).

use crate::*;
use authority_lane::ErrorCode;
use authority_lane::digest::Digest;
use authority_lane::lineage::merkle::{self, Hash};
use authority_lane::lineage::proof::{InclusionProof, ProofError};
use authority_lane::lineage::{LineageEntry, digest_of};
use authority_lane::packet::ViewFinding;
use authority_lane::store::index::prove;
use authority_lane::workflow::ChannelDef;

/// Output is flushed in chunks of about this many bytes.
const CHUNK: usize = 1 << 16;

pub(crate) fn lineage(
    location: &Location,
    pins: &Pins,
    channel: Option<&str>,
    proof: Option<u64>,
) -> Result<(), Failure> {
    let wanted_channel = channel;
    if let Some(index) = proof
        && let Place::File(path) = location.place()?
        && let Some(done) = proof_from_index(path, location, pins, wanted_channel, index)?
    {
        return done;
    }
    let mut channel: Option<ChannelDef> = None;
    let mut seen = 0u64;
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    let mut leaves: Vec<Hash> = Vec::new();
    let mut wanted: Option<LineageEntry> = None;
    let mut emitted: Result<(), Failure> = Ok(());
    let replay = read_case_each(location, pins, None, |case| {
        let ch = match &channel {
            Some(ch) => ch,
            None => channel.insert(find_channel(case, wanted_channel).map_err(|f| {
                // Carried out of the replay as its only failure; see below.
                emitted = Err(f);
                StoreError::Encode("unknown channel".into())
            })?),
        };
        let evidence = case.evidence();
        if evidence.count() == seen {
            return Ok(());
        }
        seen = evidence.count();
        let Some(entry) = evidence.last() else {
            return Ok(());
        };
        match proof {
            Some(index) => {
                leaves.push(entry.leaf());
                if entry.index == index {
                    wanted = Some(entry.clone());
                }
            }
            None => {
                let canonical = match evidence.last_canonical() {
                    [] => &entry.canonical(),
                    bytes => bytes,
                };
                ViewFinding::write_json(entry, canonical, ch, &mut out)
                    .map_err(|e| StoreError::Encode(e.to_string()))?;
                out.push(b'\n');
                if out.len() >= CHUNK {
                    if let Err(f) = emit_bytes(&out) {
                        emitted = Err(f);
                        return Err(StoreError::Encode("output closed".into()));
                    }
                    out.clear();
                }
            }
        }
        Ok(())
    });
    emitted?;
    let replay = replay?;
    let Some(index) = proof else {
        return emit_bytes(&out);
    };
    let count = replay.case.evidence().count();
    let Some(entry) = wanted else {
        return Err(out_of_range(index, count));
    };
    let ch = channel.as_ref().expect("the channel was found on record 0");
    let path = merkle::inclusion_proof(index as usize, &leaves)
        .expect("the index was seen, so it is in range");
    let root = merkle::root_of(&leaves);
    let lineage_root = replay.case.evidence().lineage().root;
    if digest_of(&root) != lineage_root {
        return Err(Failure::new(
            ErrorCode::Internal,
            format!(
                "the recomputed root {} is not the case's {lineage_root}",
                digest_of(&root)
            ),
        ));
    }
    print_json(&crate::output::ProofOutput {
        index,
        count,
        root: digest_of(&root),
        entry: ViewFinding::of(&entry, ch),
        leaf: digest_of(&entry.leaf()),
        path: path.iter().map(digest_of).collect(),
    })
}

fn out_of_range(index: u64, count: u64) -> Failure {
    Failure::new(
        ErrorCode::Usage,
        format!(
            "--proof {index}: the case has {count} findings (indexes 0 to {})",
            count.saturating_sub(1)
        ),
    )
}

/// A proof from the lineage index beside a file journal, checked against the root of the case
/// opened from its checked snapshot (at most 1,024 records replayed after it) or, without one,
/// replayed from record 0: O(log n) index reads. `None` when the index cannot give one that
/// verifies against that root (the caller then computes the proof as it streams the journal).
fn proof_from_index(
    journal: &Path,
    location: &Location,
    pins: &Pins,
    channel: Option<&str>,
    index: u64,
) -> Result<Option<Result<(), Failure>>, Failure> {
    let (workflow, trust) = load_pins(pins)?;
    let anchors = Anchors {
        workflow,
        trust,
        expect_head: None,
        case: location.expected_case(),
    };
    // A proof answers a relying party, so it never rests on an unchecked cache (DESIGN §12.8):
    // the case comes from a snapshot only when the checkpoint record at its seq commits its
    // state (else from a replay of every record), and the index's proof must verify against
    // that case's root, else the index is rebuilt from the journal.
    let (replay, _) = replay_file_with_snapshot(journal, anchors.clone()).map_err(store_failure)?;
    let count = replay.case.evidence().count();
    if index >= count {
        return Err(out_of_range(index, count));
    }
    let (replay, proved) = match prove(journal, &replay.case, index) {
        Some(proved) => (replay, proved),
        None => {
            // Missing or out of step: one full replay rebuilds it (and the snapshot).
            let replay = replay_file_rebuilding_index(journal, anchors).map_err(store_failure)?;
            match prove(journal, &replay.case, index) {
                Some(proved) => (replay, proved),
                None => return Ok(None),
            }
        }
    };
    let (case, (entry, path)) = (&replay.case, proved);
    let channel = find_channel(case, channel)?;
    Ok(Some(print_json(&crate::output::ProofOutput {
        index,
        count,
        root: digest_of(&case.evidence().root()),
        entry: ViewFinding::of(&entry, &channel),
        leaf: digest_of(&entry.leaf()),
        path: path.iter().map(digest_of).collect(),
    })))
}

/// The workflow's channel `id`, or its default channel ([`Workflow::default_channel`]) when
/// none is named; else the `usage` failure naming the channels it defines.
///
/// [`Workflow::default_channel`]: authority_lane::workflow::Workflow::default_channel
pub(crate) fn find_channel(
    case: &authority_lane::case::Case,
    id: Option<&str>,
) -> Result<ChannelDef, Failure> {
    let found = match id {
        Some(id) => case.workflow().channel(&ChannelId::from(id)),
        None => case.workflow().default_channel(),
    };
    found.cloned().ok_or_else(|| {
        Failure::new(
            ErrorCode::Usage,
            format!(
                "{}; the workflow defines {:?}",
                id.map_or_else(
                    || "no channel named and no default".to_owned(),
                    |id| format!("unknown channel `{id}`")
                ),
                case.workflow()
                    .spec()
                    .channels
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
            ),
        )
    })
}

/// `lineage --check-proof FILE --root ROOT [--count N]`: checks a proof document with the
/// crate's one checker ([`InclusionProof::check`]); prints `{"ok", "index", "count", "root"}`,
/// or exits 4 `proof_invalid` naming the check that failed.
pub(crate) fn check_proof(file: &Path, root: &str, count: Option<u64>) -> Result<(), Failure> {
    let root: Digest = root.parse().map_err(|e| {
        Failure::new(
            ErrorCode::Usage,
            format!("--root {root:?}: {e}; expected sha256:<64 hex>, the packet's lineage.root"),
        )
    })?;
    let bytes = read_source(file, "proof", MAX_DOCUMENT_BYTES)?;
    let refused = |e: ProofError| Failure::new(e.code(), format!("proof refused: {e}"));
    let proof = InclusionProof::from_json(&bytes).map_err(|e| match e {
        ProofError::Malformed(why) => Failure::new(
            ErrorCode::Usage,
            format!(
                "{} is not a proof document ({{index, count, root, entry, leaf, path}}): {why}",
                file.display()
            ),
        ),
        other => refused(other),
    })?;
    proof.check(&root, count).map_err(refused)?;
    print_json(&crate::output::ProofChecked {
        ok: true,
        index: proof.index,
        count: proof.count,
        root: proof.root,
    })
}
