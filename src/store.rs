//! A case bound to its journal: opening a case writes record 0; submitting commands decides them
//! against the in-memory case, appends the resulting events with one `fsync` per batch, and only
//! then reports them; opening an existing journal replays it.
//!
//! Record 0 carries the case id, the declaration token, the workflow and trust digests, and the
//! workflow and trust documents themselves, so that a journal is self-contained. Callers that
//! hold their own copies of the workflow and trust pass them in: their digests must match the
//! pins, which protects against a journal whose embedded documents were rewritten.

use crate::approval::{Trust, TrustFile};
use crate::case::{Case, Command, Event, Genesis, Rejection, ReplayError};
use crate::digest::Digest;
use crate::journal::{
    self, Entry, FileJournal, JournalError, MemoryJournal, RawRecord, Record, Scan, Store, TornTail,
};
use crate::workflow::{Workflow, WorkflowSpec};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;

/// Why a case could not be stored or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The journal could not be read or written, or failed its chain check.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The declaration was refused.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// A record does not replay (tampered content, a token that no longer verifies, a pin
    /// mismatch).
    #[error("record {seq} does not replay: {error}")]
    Replay {
        /// The record's seq.
        seq: u64,
        /// Why.
        error: ReplayError,
    },
    /// A record could not be encoded as JSON (a bug: every event is plain JSON).
    #[error("cannot encode a journal record: {0}")]
    Encode(String),
    /// Record 0 is not a declaration this crate wrote.
    #[error("record 0 is not a valid declaration: {0}")]
    Genesis(String),
}

impl StoreError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Journal(e) => e.code(),
            StoreError::Rejected(r) => r.code(),
            StoreError::Replay { .. } => "journal_tampered",
            StoreError::Genesis(_) => "journal_tampered",
            StoreError::Encode(_) => "journal_encode",
        }
    }

    /// True when the journal's integrity is in question (exit 4), as opposed to I/O trouble or
    /// a refused declaration.
    pub fn is_integrity(&self) -> bool {
        match self {
            StoreError::Journal(e) => matches!(
                e,
                JournalError::Tampered { .. }
                    | JournalError::Empty
                    | JournalError::Modified { .. }
                    | JournalError::InvalidEvent { .. }
            ),
            StoreError::Rejected(_) | StoreError::Encode(_) => false,
            StoreError::Replay { .. } | StoreError::Genesis(_) => true,
        }
    }
}

/// The result of one accepted command: the seq of its last record and its events as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Accepted {
    /// Journal seq of the command's (last) record.
    pub seq: u64,
    /// The events, as written to the journal.
    pub events: Vec<serde_json::Value>,
}

/// What `authority-lane status` prints: the case's status plus the journal head, so that an
/// integration can anchor the head hash outside the journal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct JournalStatus {
    /// The case's status.
    #[serde(flatten)]
    pub status: crate::case::Status,
    /// Seq of the last record.
    pub seq: u64,
    /// Hash of the last record.
    pub head: Digest,
}

impl JournalStatus {
    /// The status of a case replayed by [`replay_reader`].
    pub fn of(case: &Case, scan: &Scan) -> Option<JournalStatus> {
        let (seq, head) = scan.head.clone()?;
        Some(JournalStatus {
            status: case.status(),
            seq,
            head,
        })
    }
}

/// A case and its journal.
#[derive(Debug)]
pub struct CaseStore<S: Store> {
    case: Case,
    journal: S,
}

fn genesis_event(
    case: &Case,
    workflow: &Workflow,
    trust: &Trust,
) -> Result<serde_json::Value, StoreError> {
    let mut v =
        serde_json::to_value(case.genesis()).map_err(|e| StoreError::Encode(e.to_string()))?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "workflow".into(),
            serde_json::to_value(workflow.spec()).map_err(|e| StoreError::Encode(e.to_string()))?,
        );
        obj.insert(
            "trust".into(),
            serde_json::to_value(trust.file()).map_err(|e| StoreError::Encode(e.to_string()))?,
        );
    }
    Ok(v)
}

/// Opens the case record 0 declares, with the caller's workflow and trust copies or the ones
/// embedded in the record; `Case::from_genesis` checks both against the pinned digests and
/// re-verifies the declaration.
fn open_genesis(
    mut event: serde_json::Value,
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<Case, StoreError> {
    let bad = |m: String| StoreError::Genesis(m);
    let obj = event
        .as_object_mut()
        .ok_or_else(|| bad("not an object".into()))?;
    let embedded_workflow = obj.remove("workflow");
    let embedded_trust = obj.remove("trust");
    let genesis: Genesis = serde_json::from_value(event).map_err(|e| bad(e.to_string()))?;
    let workflow = given_or_embedded(workflow, embedded_workflow, "workflow", |doc| {
        let spec: WorkflowSpec = serde_json::from_value(doc).map_err(|e| e.to_string())?;
        Workflow::from_spec(spec).map_err(|e| e.to_string())
    })?;
    let trust = given_or_embedded(trust, embedded_trust, "trust file", |doc| {
        let file: TrustFile = serde_json::from_value(doc).map_err(|e| e.to_string())?;
        Trust::from_file(file).map_err(|e| e.to_string())
    })?;
    Case::from_genesis(workflow, trust, &genesis)
        .map_err(|error| StoreError::Replay { seq: 0, error })
}

/// The caller's copy of a pinned document if given, else the copy embedded in record 0.
fn given_or_embedded<T>(
    given: Option<Arc<T>>,
    embedded: Option<serde_json::Value>,
    what: &str,
    load: impl FnOnce(serde_json::Value) -> Result<T, String>,
) -> Result<Arc<T>, StoreError> {
    match (given, embedded) {
        (Some(copy), _) => Ok(copy),
        (None, Some(doc)) => load(doc)
            .map(Arc::new)
            .map_err(|e| StoreError::Genesis(format!("embedded {what}: {e}"))),
        (None, None) => Err(StoreError::Genesis(format!(
            "no {what} given and none embedded in record 0"
        ))),
    }
}

/// Rebuilds a case from journal records: record 0 opens it (re-verifying the declaration and the
/// pins), every later record is re-decided and re-verified at its recorded time.
pub fn replay(
    records: &[Record],
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<Case, StoreError> {
    let first = records
        .first()
        .ok_or(StoreError::Journal(JournalError::Empty))?;
    let mut case = open_genesis(first.event.clone(), workflow, trust)?;
    for r in &records[1..] {
        case.replay_event(&r.event)
            .map_err(|error| StoreError::Replay { seq: r.seq, error })?;
    }
    Ok(case)
}

/// Replays a journal as it streams from `reader`, without keeping its records: the read path of
/// `verify`, `status` and `packet`. Record 0 opens the case; each later record is re-decided.
pub fn replay_reader<R: std::io::BufRead>(
    reader: R,
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<(Case, Scan), StoreError> {
    let mut pins = Some((workflow, trust));
    let mut case: Option<Case> = None;
    let scan = journal::scan(reader, |raw: RawRecord<'_>| {
        match (&mut case, pins.take()) {
            (Some(c), _) => c
                .replay_json(&raw.event)
                .map_err(|error| StoreError::Replay {
                    seq: raw.seq,
                    error,
                }),
            (None, Some((workflow, trust))) => {
                let event: serde_json::Value = serde_json::from_str(&raw.event)
                    .map_err(|e| StoreError::Genesis(e.to_string()))?;
                case = Some(open_genesis(event, workflow, trust)?);
                Ok(())
            }
            (None, None) => Err(StoreError::Genesis("record 0 did not open the case".into())),
        }
    })?;
    let case = case.ok_or(StoreError::Journal(JournalError::Empty))?;
    Ok((case, scan))
}

/// [`replay_reader`] over a journal file, without locking it.
pub fn replay_file(
    path: &Path,
    workflow: Option<Arc<Workflow>>,
    trust: Option<Arc<Trust>>,
) -> Result<(Case, Scan), StoreError> {
    let file = std::fs::File::open(path).map_err(|source| {
        StoreError::Journal(JournalError::Io {
            path: Some(path.to_owned()),
            source,
        })
    })?;
    replay_reader(
        std::io::BufReader::with_capacity(1 << 20, file),
        workflow,
        trust,
    )
}

impl CaseStore<FileJournal> {
    /// Opens a new case from a declaration token and creates its journal at `path`.
    pub fn init(
        path: &Path,
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let case = Case::open(workflow.clone(), trust.clone(), token, at)?;
        let journal = FileJournal::create(
            path,
            Entry::new(at, genesis_event(&case, &workflow, &trust)?),
        )?;
        Ok(CaseStore { case, journal })
    }

    /// Opens an existing journal as its one writer (waiting for the lock) and replays it.
    pub fn open(
        path: &Path,
        workflow: Option<Arc<Workflow>>,
        trust: Option<Arc<Trust>>,
    ) -> Result<(Self, Option<TornTail>), StoreError> {
        let (journal, torn) = FileJournal::open(path, journal::DEFAULT_LOCK_TIMEOUT)?;
        let case = replay(journal.records(), workflow, trust)?;
        Ok((CaseStore { case, journal }, torn))
    }
}

impl CaseStore<MemoryJournal> {
    /// Opens a new case with an in-memory journal (tests and embedders).
    pub fn in_memory(
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let case = Case::open(workflow.clone(), trust.clone(), token, at)?;
        let journal = MemoryJournal::new(Entry::new(at, genesis_event(&case, &workflow, &trust)?))?;
        Ok(CaseStore { case, journal })
    }
}

impl<S: Store> CaseStore<S> {
    /// The case.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case and the journal, separated (dropping the journal releases a file's lock).
    pub fn into_parts(self) -> (Case, S) {
        (self.case, self.journal)
    }

    /// The journal.
    pub fn journal(&self) -> &S {
        &self.journal
    }

    /// The case's status with the journal's head seq and hash.
    pub fn status(&self) -> Option<JournalStatus> {
        let head = self.journal.head()?;
        Some(JournalStatus {
            status: self.case.status(),
            seq: head.seq,
            head: head.hash.clone(),
        })
    }

    /// The head record's hash.
    pub fn head(&self) -> Option<&Digest> {
        self.journal.head().map(|r| &r.hash)
    }

    /// Decides and applies a batch of commands, appending all their events with one write and
    /// one `fsync`, and returns one [`Accepted`] per command — only after they are durable.
    /// Stops at the first rejected command: the commands before it are committed and returned
    /// with the rejection; the rejected one and those after it are not applied.
    ///
    /// Commands are applied to the in-memory case as they are decided (no copy of the case is
    /// made, so a batch costs the same whatever the case's size); if the journal then fails to
    /// append, the case is rebuilt from the journal, so it never runs ahead of what is durable.
    pub fn submit(&mut self, commands: &[Command]) -> Result<Submission, StoreError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut per_command: Vec<usize> = Vec::new();
        let mut rejected = None;
        let mut encode_error = None;
        for (i, command) in commands.iter().enumerate() {
            match self.case.decide(command) {
                Ok(events) => {
                    for e in &events {
                        match event_entry(e) {
                            Ok(entry) => entries.push(entry),
                            Err(err) => encode_error = Some(err),
                        }
                        self.case.evolve(e);
                    }
                    per_command.push(events.len());
                }
                Err(r) => {
                    rejected = Some((i, r));
                    break;
                }
            }
            if encode_error.is_some() {
                break;
            }
        }
        let first_seq = self.journal.next_seq();
        let appended = match encode_error {
            Some(e) => Err(e),
            None => self
                .journal
                .append(first_seq, entries)
                .map_err(StoreError::from),
        };
        let records = match appended {
            Ok(records) => records,
            Err(e) => {
                self.rebuild();
                return Err(e);
            }
        };
        let mut accepted = Vec::with_capacity(per_command.len());
        let mut next = records.into_iter();
        for n in per_command {
            let taken: Vec<Record> = next.by_ref().take(n).collect();
            let seq = taken.last().map_or(first_seq.saturating_sub(1), |r| r.seq);
            accepted.push(Accepted {
                seq,
                events: taken.into_iter().map(|r| r.event).collect(),
            });
        }
        Ok(Submission { accepted, rejected })
    }

    /// Rebuilds the in-memory case from the durable records after a failed append.
    fn rebuild(&mut self) {
        let (workflow, trust) = self.case.shared();
        if let Ok(case) = replay(self.journal.records(), Some(workflow), Some(trust)) {
            self.case = case;
        }
    }
}

/// What [`CaseStore::submit`] did with a batch.
#[derive(Debug)]
pub struct Submission {
    /// One entry per accepted command, durable.
    pub accepted: Vec<Accepted>,
    /// The first rejected command's index in the batch, and why; nothing was written for it or
    /// for the commands after it.
    pub rejected: Option<(usize, Rejection)>,
}

fn event_entry(e: &Event) -> Result<Entry, StoreError> {
    let value =
        serde_json::to_value(e).map_err(|err| StoreError::Encode(format!("event: {err}")))?;
    Ok(Entry::new(e.at(), value))
}
