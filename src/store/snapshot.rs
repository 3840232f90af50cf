//! Snapshots: the case state at a journal record, kept beside a journal file
//! (`JOURNAL.snapshot`), so that a writer (`apply`) and the readers of a live case (`status`,
//! `packet --draft`) open a case of any size without replaying it (DESIGN §13).
//!
//! A snapshot is a cache, never a source of truth:
//! - it is bound to one record of the journal: its seq, its hash, and where its line starts.
//!   Opening checks that the journal holds exactly that line there, then reads, verifies and
//!   replays only the records after it;
//! - its own digest (SHA-256 over its body, in its first line) must match, so a snapshot that
//!   was cut short, overwritten or edited by hand is ignored;
//! - the case state in it is re-checked as it is loaded ([`Case::from_image`]): record 0 is
//!   read and its declaration and pins verified as in a replay, every fact value typed against
//!   the workflow, every approval token re-verified at its time of record, and the statechart
//!   rebuilt from the verified approvals it holds;
//! - any doubt — no snapshot, another format, a digest, pin or record that does not match, a
//!   state that does not load, a record after it that does not replay — and the journal is
//!   replayed from record 0 instead, and the snapshot rewritten.
//!
//! What a snapshot cannot prove is that its state is the replay of the records before its seq:
//! anyone who can write beside the journal can write a self-consistent snapshot with other
//! findings in it. Nothing taken from a snapshot escapes that: a review or acceptance decided
//! against a forged state signs a draft digest the real replay does not produce, so `verify`
//! (which always replays every record, and rewrites the snapshot) refuses the journal; the
//! accepted packet, `lineage` and `verify` never read a snapshot.

use super::{Anchors, Replay, StoreError, open_genesis};
use crate::case::{Case, CaseImage};
use crate::digest::Digest;
use crate::ids::CaseId;
use crate::journal::{self, JournalError, RawRecord, TornTail};
use crate::packet::JournalRef;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first word of a snapshot file.
pub const SNAPSHOT_FORMAT: &str = "authority-lane-snapshot/1";

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
    /// The record the state is at.
    seq: u64,
    head: Digest,
    /// Where that record's line starts in the journal file.
    offset: u64,
    /// Records up to and including `seq` whose time of record was supplied.
    supplied_clock: u64,
    case: CaseImage,
}

/// Where a case stands in its journal file: the head, where the head's line starts, and how
/// many records so far had a supplied clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Position {
    pub(crate) head: JournalRef,
    pub(crate) offset: u64,
    pub(crate) supplied_clock: u64,
}

/// Writes the snapshot of `case` at `at` beside `journal`, atomically (a temporary file renamed
/// over the old one). A cache: not synced to disk; a snapshot lost to a crash is rebuilt.
pub(crate) fn save(journal: &Path, case: &Case, at: &Position) -> Result<(), StoreError> {
    let genesis = case.genesis();
    let body = Body {
        case_id: case.id().clone(),
        workflow_digest: genesis.workflow_digest.clone(),
        trust_digest: genesis.trust_digest.clone(),
        seq: at.head.seq,
        head: at.head.head.clone(),
        offset: at.offset,
        supplied_clock: at.supplied_clock,
        case: case.image(),
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
    let written = File::create(&tmp).and_then(|mut f| {
        writeln!(f, "{SNAPSHOT_FORMAT} {}", Digest::of_bytes(&body))?;
        f.write_all(&body)
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

/// A temporary name beside `path`, unique to this process and call (writers in other
/// processes or threads may be writing the same file).
pub(super) fn temporary(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    PathBuf::from(name)
}

/// Opens the case in `journal` from its snapshot: checks the snapshot (see the module docs),
/// then verifies and replays the records after it. `Err` when the snapshot cannot be used;
/// the caller replays the journal instead.
pub(crate) fn load(
    journal: &Path,
    anchors: &Anchors,
) -> Result<(Replay, Position), UnusedSnapshot> {
    let refused = UnusedSnapshot::Refused;
    let body = match read_body(&snapshot_path(journal)) {
        Ok(Some(body)) => body,
        Ok(None) => return Err(UnusedSnapshot::Missing),
        Err(e) => return Err(refused(e)),
    };
    let file = File::open(journal).map_err(|e| refused(e.to_string()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let genesis = journal::first_record(&mut reader).map_err(|e| refused(e.to_string()))?;
    let (opened, _) = open_genesis(
        genesis.event,
        genesis.at,
        anchors.workflow.clone(),
        anchors.trust.clone(),
    )
    .map_err(|e| refused(e.to_string()))?;
    anchors
        .check_case(&opened)
        .map_err(|e| refused(e.to_string()))?;
    let g = opened.genesis();
    if g.case_id != body.case_id
        || g.workflow_digest != body.workflow_digest
        || g.trust_digest != body.trust_digest
    {
        return Err(refused(
            "it is another case's, or pins other documents".into(),
        ));
    }
    let mut case = Case::from_image(opened, body.case).map_err(|e| refused(e.to_string()))?;
    reader
        .seek(SeekFrom::Start(body.offset))
        .map_err(|e| refused(e.to_string()))?;
    let at = JournalRef {
        seq: body.seq,
        head: body.head,
    };
    let mut supplied_clock = body.supplied_clock;
    let scan = journal::scan_resuming(&mut reader, &at, |raw: RawRecord<'_>| {
        super::replay_record(&mut case, &raw, &mut supplied_clock)
    })
    .map_err(|e| refused(e.to_string()))?;
    let (seq, head) = scan.head.ok_or_else(|| refused("no records".into()))?;
    let position = Position {
        head: JournalRef { seq, head },
        offset: body.offset + scan.len - scan.last_line_len,
        supplied_clock,
    };
    let replay = Replay {
        case,
        head: position.head.clone(),
        records: seq + 1,
        supplied_clock,
        supplied_span: None,
        torn_tail: scan.torn_tail.map(|t| TornTail {
            offset: body.offset + t.offset,
            len: t.len,
        }),
        unterminated: scan.unterminated,
    };
    Ok((replay, position))
}

/// The snapshot's body if its header and digest check; `None` if there is no snapshot.
fn read_body(path: &Path) -> Result<Option<Body>, String> {
    let mut bytes = Vec::new();
    match File::open(path) {
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
            Ok((replay, _)) => {
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
/// ([`crate::lineage::index`]) from the replayed findings: what `lineage --proof` does when
/// the index cannot give a proof (`apply` extends an index it finds in step, from `init` on).
pub fn replay_file_rebuilding_index(
    journal: &Path,
    anchors: Anchors,
) -> Result<Replay, StoreError> {
    rebuild(journal, anchors, true)
}

fn rebuild(journal: &Path, anchors: Anchors, index: bool) -> Result<Replay, StoreError> {
    let (replay, position) = super::replay::replay_file_at(journal, anchors, index)?;
    let _ = save(journal, &replay.case, &position);
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
