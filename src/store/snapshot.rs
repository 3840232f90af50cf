//! Snapshots: the case state at a checkpoint record, kept beside a journal file
//! (`JOURNAL.snapshot`), so that a writer (`apply`) and the readers of a live case (`status`,
//! `packet --draft`) open a case of any size without replaying it (DESIGN §13).
//!
//! A snapshot is a cache, never a source of truth, and is used only once it is checked against
//! what the hash chain commits to (DESIGN §12.8):
//! - it is bound to one **checkpoint record** of the journal — a record writers append at
//!   intervals ([`CHECKPOINT_INTERVAL`](super::CHECKPOINT_INTERVAL) records) carrying the
//!   SHA-256 of the case state's RFC 8785 image and the lineage's count and root. Opening
//!   checks that the journal holds that record at that seq, hash and offset, that it is a
//!   checkpoint, and that the snapshot's state is byte for byte the image whose digest it
//!   carries; then it reads, verifies and replays only the records after it. A replay from
//!   record 0 recomputes every checkpoint's digests and refuses a journal whose checkpoint
//!   does not match the records before it, so a forged state cannot hide behind a forged
//!   checkpoint from `verify`;
//! - its own digest (SHA-256 over its body, in its first line) must match, so a snapshot that
//!   was cut short, overwritten or edited by hand is ignored;
//! - the case state in it is re-checked as it is loaded ([`Case::from_image`]): record 0 is
//!   read and its declaration and pins verified as in a replay, every fact value typed against
//!   the workflow, every approval token re-verified at its time of record, and the statechart
//!   rebuilt from the verified approvals it holds;
//! - any doubt — no snapshot, another format, a digest, pin, record or checkpoint that does not
//!   match, a state that does not load, a record after it that does not replay — and the
//!   journal is replayed from record 0 instead, and the snapshot rewritten at the last
//!   checkpoint.
//!
//! `verify`, the accepted packet and `lineage --proof` never read a snapshot: they answer
//! relying parties, and replay every record.

use super::{Anchors, Checkpointed, Replay, StoreError, open_genesis};
use crate::case::{Case, EventRecord};
use crate::digest::Digest;
use crate::ids::CaseId;
use crate::journal::{self, Backend, JournalError, RawRecord, StoredSnapshot, TornTail, side};
use crate::packet::JournalRef;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first word of a snapshot file.
pub const SNAPSHOT_FORMAT: &str = "authority-lane-snapshot/2";

/// Where the snapshot of the journal at `journal` is kept: beside it, `.snapshot` appended.
pub fn snapshot_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".snapshot");
    PathBuf::from(name)
}

/// The body of a snapshot file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    case_id: CaseId,
    workflow_digest: Digest,
    trust_digest: Digest,
    /// The checkpoint record the state is at.
    seq: u64,
    head: Digest,
    /// Where that record's line starts in the journal file.
    offset: u64,
    /// Records up to and including `seq` whose time of record was supplied.
    supplied_clock: u64,
    /// The case state's image, byte for byte the RFC 8785 form whose digest the checkpoint
    /// record carries.
    case: Box<RawValue>,
}

/// Writes the snapshot of the state `checkpoint` commits beside `journal`, atomically (a
/// temporary file renamed over the old one). A cache: not synced to disk; a snapshot lost to
/// a crash is rebuilt. Nothing is written for a checkpoint whose place in the file is unknown.
pub(crate) fn save(
    journal: &Path,
    case: &Case,
    checkpoint: &Checkpointed,
) -> Result<(), StoreError> {
    let Some(offset) = checkpoint.offset else {
        return Ok(());
    };
    let genesis = case.genesis();
    let image = std::str::from_utf8(&checkpoint.image)
        .ok()
        .and_then(|text| RawValue::from_string(text.to_owned()).ok())
        .ok_or_else(|| StoreError::Encode("snapshot: the case image is not JSON".into()))?;
    let body = Body {
        case_id: case.id().clone(),
        workflow_digest: genesis.workflow_digest.clone(),
        trust_digest: genesis.trust_digest.clone(),
        seq: checkpoint.head.seq,
        head: checkpoint.head.head.clone(),
        offset,
        supplied_clock: checkpoint.supplied_clock,
        case: image,
    };
    let body = serde_json::to_vec(&body).map_err(super::encode("snapshot"))?;
    let path = snapshot_path(journal);
    let tmp = temporary(&path);
    let io = |source| {
        StoreError::Journal(JournalError::Io {
            path: Some(path.clone()),
            source,
        })
    };
    let written = side::create_new(&tmp).and_then(|mut f| {
        writeln!(f, "{SNAPSHOT_FORMAT} {}", Digest::of_bytes(&body))?;
        f.write_all(&body)
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

pub(super) use crate::journal::side::temporary;

/// Opens the case in `journal` from its snapshot: checks the snapshot (see the module docs),
/// then verifies and replays the records after it. `Err` when the snapshot cannot be used;
/// the caller replays the journal instead.
pub(crate) fn load(journal: &Path, anchors: &Anchors) -> Result<Replay, UnusedSnapshot> {
    let refused = UnusedSnapshot::Refused;
    let body = match read_body(&snapshot_path(journal)) {
        Ok(Some(body)) => body,
        Ok(None) => return Err(UnusedSnapshot::Missing),
        Err(e) => return Err(refused(e)),
    };
    let file = File::open(journal).map_err(|e| refused(e.to_string()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let genesis = journal::first_record(&mut reader).map_err(|e| refused(e.to_string()))?;
    let opened = opened_case(genesis, anchors).map_err(refused)?;
    let g = opened.genesis();
    if g.case_id != body.case_id
        || g.workflow_digest != body.workflow_digest
        || g.trust_digest != body.trust_digest
    {
        return Err(refused(
            "it is another case's, or pins other documents".into(),
        ));
    }
    let seek = |reader: &mut BufReader<File>| {
        reader
            .seek(SeekFrom::Start(body.offset))
            .map_err(|e| refused(e.to_string()))
    };
    seek(&mut reader)?;
    let record = journal::record_at(&mut reader).map_err(|e| refused(e.to_string()))?;
    seek(&mut reader)?;
    let at = Checkpointed {
        head: JournalRef {
            seq: body.seq,
            head: body.head,
        },
        offset: Some(body.offset),
        supplied_clock: body.supplied_clock,
        image: body.case.get().as_bytes().to_vec(),
    };
    resume_at_checkpoint(opened, at, record, reader).map_err(refused)
}

/// Opens the case a backend holds from the latest snapshot it stores itself (a PostgreSQL
/// row per checkpoint): record 0, the checkpoint record and the records after it are read
/// from the backend, and the snapshot is checked against the checkpoint as for a file.
/// `Err` (why) when it cannot be used; the caller replays the journal instead.
pub(crate) fn load_stored<B: Backend>(
    backend: &mut B,
    anchors: &Anchors,
    stored: StoredSnapshot,
) -> Result<Replay, String> {
    let text = |e: JournalError| e.to_string();
    let genesis = journal::first_record(backend.read_range(0, 1).map_err(text)?).map_err(text)?;
    let opened = opened_case(genesis, anchors)?;
    let record = journal::record_at(
        backend
            .read_range(stored.seq, stored.seq + 1)
            .map_err(text)?,
    )
    .map_err(text)?;
    let at = Checkpointed {
        head: JournalRef {
            seq: stored.seq,
            head: stored.head,
        },
        offset: None,
        supplied_clock: stored.supplied_clock,
        image: stored.image,
    };
    let tail = backend.read_from(at.head.seq).map_err(text)?;
    resume_at_checkpoint(opened, at, record, tail)
}

/// The case record 0 opens, with the caller's anchors (pins and case id) checked.
fn opened_case(genesis: journal::Record, anchors: &Anchors) -> Result<Case, String> {
    let (opened, _) = open_genesis(
        genesis.event,
        genesis.at,
        anchors.workflow.clone(),
        anchors.trust.clone(),
    )
    .map_err(|e| e.to_string())?;
    anchors.check_case(&opened).map_err(|e| e.to_string())?;
    Ok(opened)
}

/// The case at checkpoint `at`, from the image a snapshot holds, then the records after it:
/// `record` must be that checkpoint (its seq and hash) and commit the image's digest (DESIGN
/// §12.8); the image is re-checked as it loads ([`Case::from_image`]); `tail` starts at the
/// checkpoint's line and every record after it is verified and replayed.
fn resume_at_checkpoint<R: std::io::BufRead>(
    opened: Case,
    at: Checkpointed,
    record: journal::Record,
    tail: R,
) -> Result<Replay, String> {
    if record.seq != at.head.seq || record.hash != at.head.head {
        return Err(format!(
            "the journal does not hold record {} with hash {}{}",
            at.head.seq,
            at.head.head,
            at.offset
                .map_or_else(String::new, |o| format!(" at offset {o}"))
        ));
    }
    let digest = Digest::of_bytes(&at.image);
    match serde_json::from_value::<EventRecord>(record.event) {
        Ok(EventRecord::Checkpoint { state, .. }) if state == digest => {}
        Ok(EventRecord::Checkpoint { state, .. }) => {
            return Err(format!(
                "its state has digest {digest}, but the checkpoint at record {} commits {state}",
                at.head.seq
            ));
        }
        _ => return Err(format!("record {} is not a checkpoint", at.head.seq)),
    }
    let image = serde_json::from_slice(&at.image).map_err(|e| e.to_string())?;
    let mut case = Case::from_image(opened, image).map_err(|e| e.to_string())?;
    let base = at.offset;
    let mut supplied_clock = at.supplied_clock;
    let mut checkpoint = at.clone();
    let scan = journal::scan_resuming(tail, &at.head, |raw: RawRecord<'_>| {
        let replayed = super::replay_record(&mut case, &raw, &mut supplied_clock)?;
        if replayed.checkpoint {
            checkpoint = Checkpointed {
                head: JournalRef {
                    seq: raw.seq,
                    head: raw.hash.clone(),
                },
                offset: base.map(|b| b + raw.offset),
                supplied_clock,
                image: case.checkpoint().image,
            };
        }
        Ok::<(), StoreError>(())
    })
    .map_err(|e| e.to_string())?;
    let (seq, head) = scan.head.ok_or("no records")?;
    Ok(Replay {
        case,
        head: JournalRef { seq, head },
        records: seq + 1,
        supplied_clock,
        supplied_span: None,
        torn_tail: scan.torn_tail.map(|t| TornTail {
            offset: base.unwrap_or(0) + t.offset,
            len: t.len,
        }),
        unterminated: scan.unterminated,
        checkpoint: Some(checkpoint),
    })
}

/// The snapshot's body if its header and digest check; `None` if there is no snapshot.
fn read_body(path: &Path) -> Result<Option<Body>, String> {
    let mut bytes = Vec::new();
    match side::open_read(path) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| e.to_string())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|e| e.to_string())?;
    let body = &bytes[newline + 1..];
    let digest = header
        .strip_prefix(SNAPSHOT_FORMAT)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| format!("not a {SNAPSHOT_FORMAT} snapshot"))?;
    if digest != Digest::of_bytes(body).to_string() {
        return Err("its digest does not match its content".into());
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Reads `journal`'s case: from its snapshot when one matches, else by replaying every record
/// (and then writing a snapshot, best-effort: a reader that may not write beside the journal
/// still gets the case). With an `expect_head` anchor the journal is always replayed (the
/// anchored record may lie before the snapshot).
pub fn replay_file_with_snapshot(
    journal: &Path,
    anchors: Anchors,
) -> Result<(Replay, Opened), StoreError> {
    let unused = if anchors.expect_head.is_some() {
        UnusedSnapshot::Anchored
    } else {
        match load(journal, &anchors) {
            Ok(replay) => {
                let seq = replay.head.seq;
                return Ok((replay, Opened::Snapshot { seq }));
            }
            Err(unused) => unused,
        }
    };
    let replay = replay_file_rebuilding_snapshot(journal, anchors)?;
    Ok((replay, Opened::Replayed { unused }))
}

/// Replays every record of `journal` (never reading its snapshot) and writes the snapshot of
/// the result, best-effort: what `verify` does, so that a snapshot is rebuilt from a journal
/// that was just verified.
pub fn replay_file_rebuilding_snapshot(
    journal: &Path,
    anchors: Anchors,
) -> Result<Replay, StoreError> {
    rebuild(journal, anchors, false)
}

/// [`replay_file_rebuilding_snapshot`], also rebuilding the lineage index beside the journal
/// ([`crate::store::index`]) from the replayed findings: what `lineage --proof` does when
/// the index cannot give a proof (`apply` extends an index it finds in step, from `init` on).
pub fn replay_file_rebuilding_index(
    journal: &Path,
    anchors: Anchors,
) -> Result<Replay, StoreError> {
    rebuild(journal, anchors, true)
}

fn rebuild(journal: &Path, anchors: Anchors, index: bool) -> Result<Replay, StoreError> {
    let replay = super::replay::replay_file_at(journal, anchors, index)?;
    if let Some(checkpoint) = &replay.checkpoint {
        let _ = save(journal, &replay.case, checkpoint);
    }
    Ok(replay)
}

/// How a case was opened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Opened {
    /// From its snapshot at record `seq`, replaying only the records after it.
    Snapshot {
        /// The snapshot's record.
        seq: u64,
    },
    /// By replaying every record.
    Replayed {
        /// Why the snapshot was not used.
        unused: UnusedSnapshot,
    },
}

/// Why a snapshot was not used.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UnusedSnapshot {
    /// There was none.
    Missing,
    /// It did not match the journal, or its state did not load; why.
    Refused(String),
    /// A relying party anchored a record (`expect_head`): the journal is replayed in full.
    Anchored,
}

#[cfg(test)]
mod tests;
