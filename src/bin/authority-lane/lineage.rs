//! `lineage`: every finding of a case as NDJSON, one finding's RFC 9162 inclusion proof
//! (DESIGN §13), or the consistency proof from an earlier lineage to the case's (§15). The journal is replayed (and so verified) as it streams; entries are written as
//! they are replayed and never kept, so memory does not grow with the lineage (a proof keeps the
//! 32-byte leaf hashes).

use crate::*;
use authority_lane::ErrorCode;
use authority_lane::digest::Digest;
use authority_lane::lineage::merkle::{self, Hash};
use authority_lane::lineage::proof::{ConsistencyProof, InclusionProof, LineageHead, ProofError};
use authority_lane::lineage::{LineageEntry, digest_of};
use authority_lane::packet::ViewFinding;
use authority_lane::store::index::{prove, prove_consistency};
use authority_lane::workflow::ChannelDef;

/// Output is flushed in chunks of about this many bytes.
const CHUNK: usize = 1 << 16;

pub(crate) fn lineage(
    location: &Location,
    pins: &Pins,
    channel: Option<&str>,
    proof: Option<u64>,
    consistency_from: Option<u64>,
) -> Result<(), Failure> {
    if let Some(from) = consistency_from {
        return consistency(location, pins, from);
    }
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
    let in_range = |count| {
        (index < count)
            .then_some(())
            .ok_or_else(|| out_of_range(index, count))
    };
    let Some((case, (entry, path))) =
        from_index(journal, location, pins, in_range, |journal, case| {
            prove(journal, case, index)
        })?
    else {
        return Ok(None);
    };
    let channel = find_channel(&case, channel)?;
    Ok(Some(print_json(&crate::output::ProofOutput {
        index,
        count: case.evidence().count(),
        root: digest_of(&case.evidence().root()),
        entry: ViewFinding::of(&entry, &channel),
        leaf: digest_of(&entry.leaf()),
        path: path.iter().map(digest_of).collect(),
    })))
}

/// What the lineage index beside `journal` proves about the case (`prove`), with the case:
/// opened from its snapshot only when the checkpoint record at the snapshot's seq commits its
/// state (else replayed from record 0), and the index rebuilt by one full replay when it cannot
/// give a proof that verifies against that case's root. `in_range` refuses a question the
/// case's finding count cannot answer; `None` when even the rebuilt index gives nothing.
fn from_index<T>(
    journal: &Path,
    location: &Location,
    pins: &Pins,
    in_range: impl Fn(u64) -> Result<(), Failure>,
    prove: impl Fn(&Path, &authority_lane::case::Case) -> Option<T>,
) -> Result<Option<(authority_lane::case::Case, T)>, Failure> {
    let (workflow, trust) = load_pins(pins)?;
    let anchors = Anchors {
        workflow,
        trust,
        expect_head: None,
        case: location.expected_case(),
    };
    // A proof answers a relying party, so it never rests on an unchecked cache (DESIGN §12.8).
    let (replay, _) = replay_file_with_snapshot(journal, anchors.clone()).map_err(store_failure)?;
    in_range(replay.case.evidence().count())?;
    if let Some(proved) = prove(journal, &replay.case) {
        return Ok(Some((replay.case, proved)));
    }
    // Missing or out of step: one full replay rebuilds it (and the snapshot).
    let replay = replay_file_rebuilding_index(journal, anchors).map_err(store_failure)?;
    Ok(prove(journal, &replay.case).map(|proved| (replay.case, proved)))
}

/// `lineage --consistency FROM_COUNT`: the RFC 9162 §2.1.4 proof that the case's first
/// FROM_COUNT findings (the lineage a reviewer signed) are a prefix of its lineage now. From
/// the lineage index beside a journal file (O(log n) reads), else by streaming the journal
/// and keeping the 32-byte leaf hashes. The proof printed has been verified against the roots
/// it names.
fn consistency(location: &Location, pins: &Pins, from: u64) -> Result<(), Failure> {
    let in_range = |count| {
        (from <= count).then_some(()).ok_or_else(|| {
            Failure::new(
                ErrorCode::Usage,
                format!("--consistency {from}: the case has {count} findings"),
            )
        })
    };
    if let Place::File(journal) = location.place()?
        && let Some((case, (first, root, path))) =
            from_index(journal, location, pins, in_range, |j, c| {
                prove_consistency(j, c, from, c.evidence().count())
            })?
    {
        let to = case.evidence().count();
        return print_consistency(from, first, to, root, path);
    }
    let (replay, leaves) = replay_leaves(location, pins)?;
    let to = replay.case.evidence().count();
    in_range(to)?;
    let from_usize = usize::try_from(from).expect("from is at most the leaves held in memory");
    let path = merkle::consistency_proof(from_usize, &leaves)
        .expect("from is at most the findings replayed");
    let root = merkle::root_of(&leaves);
    if root != replay.case.evidence().root() {
        return Err(Failure::new(
            ErrorCode::Internal,
            "the leaves replayed do not make the case's lineage root".to_owned(),
        ));
    }
    print_consistency(from, merkle::root_of(&leaves[..from_usize]), to, root, path)
}

/// Replays the case from record 0 (verifying it), keeping every finding's 32-byte leaf hash:
/// what a consistency proof needs where no lineage index serves.
fn replay_leaves(location: &Location, pins: &Pins) -> Result<(Replay, Vec<Hash>), Failure> {
    let mut leaves: Vec<Hash> = Vec::new();
    let replay = read_case_each(location, pins, None, |case| {
        let evidence = case.evidence();
        if evidence.count() > leaves.len() as u64
            && let Some(entry) = evidence.last()
        {
            leaves.push(entry.leaf());
        }
        Ok(())
    })?;
    Ok((replay, leaves))
}

/// A consistency proof document from its parts.
fn proof_of(from: u64, first: Hash, to: u64, root: Hash, path: &[Hash]) -> ConsistencyProof {
    ConsistencyProof {
        from: LineageHead {
            count: from,
            root: digest_of(&first),
        },
        to: LineageHead {
            count: to,
            root: digest_of(&root),
        },
        path: path.iter().map(digest_of).collect(),
    }
}

/// Attaches to an accepted packet, for every sign-off and acceptance that recorded the lineage
/// it signed (DESIGN §15), the consistency proof from that lineage to the accepted one: from
/// the lineage index beside a journal file (each proof verified against the case's root), else
/// from the leaves of one more streaming replay. The packet checks every proof it is given.
pub(crate) fn attach_consistency(
    location: &Location,
    pins: &Pins,
    case: &authority_lane::case::Case,
    packet: &mut authority_lane::packet::RecommendationPacket,
) -> Result<(), Failure> {
    if packet.draft().approvals.iter().all(|a| a.signed.is_none()) {
        return Ok(());
    }
    // The accepted lineage: the case's, or a prefix of it when findings followed the
    // acceptance (or a later revision was accepted).
    let to = packet.draft().content.lineage.count;
    if let Place::File(journal) = location.place()?
        && packet
            .attach_consistency(|from| {
                let (first, root, path) = prove_consistency(journal, case, from.count, to)?;
                Some(proof_of(from.count, first, to, root, &path))
            })
            .is_ok()
    {
        return Ok(());
    }
    let (_, leaves) = replay_leaves(location, pins)?;
    let accepted = usize::try_from(to)
        .ok()
        .and_then(|n| leaves.get(..n))
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::Internal,
                format!("the accepted lineage has {to} findings, the journal fewer"),
            )
        })?;
    let root = merkle::root_of(accepted);
    packet
        .attach_consistency(|from| {
            let m = usize::try_from(from.count).ok()?;
            let path = merkle::consistency_proof(m, accepted)?;
            Some(proof_of(
                from.count,
                merkle::root_of(accepted.get(..m)?),
                to,
                root,
                &path,
            ))
        })
        .map_err(|e| {
            Failure::new(
                ErrorCode::Internal,
                format!("a sign-off's lineage is not a prefix of the accepted lineage: {e}"),
            )
        })
}

/// Prints a consistency proof after checking it with the crate's one checker.
fn print_consistency(
    from: u64,
    first: Hash,
    to: u64,
    root: Hash,
    path: Vec<Hash>,
) -> Result<(), Failure> {
    let proof = proof_of(from, first, to, root, &path);
    proof.check(&proof.from, &proof.to).map_err(|e| {
        Failure::new(
            ErrorCode::Internal,
            format!("the consistency proof computed does not check: {e}"),
        )
    })?;
    print_json(&proof)
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
