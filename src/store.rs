//! A case bound to its journal: opening a case writes record 0; submitting commands decides them
//! against the in-memory case, appends the resulting events with one `fsync` per batch, and only
//! then reports them; opening an existing journal replays it.
//!
//! Record 0 carries the case id, the declaration token, the workflow and trust digests, and the
//! workflow and trust documents themselves, so that writers (`apply`, `status`, `packet
//! --draft`) can work from the journal alone. Those embedded copies are never proof: anyone who
//! can write the journal can rewrite them and re-pin them. A relying party authenticates a
//! journal against the workflow and trust file it holds itself (DESIGN §12.1): passed in here,
//! their digests must match the pins, else [`StoreError::code`] is `pin_mismatch`.
//!
//! # The time of record
//!
//! Every record's `at` is the time of record, from the store's [`Clock`] — the writer's, never
//! the submitter's (DESIGN §12.3). A supplied clock (tests, the demo, `--at`) is allowed but
//! marked on every record it stamps (`"clock": "supplied"`), and [`Replay::supplied_clock`]
//! counts those records so a relying party can see that the writer's clock was overridden.

use crate::approval::Trust;
use crate::case::{Case, ClockMark, Command, GenesisRecord};
use crate::digest::Digest;
use crate::ids::CaseId;
use crate::journal::{
    self, Backend, Entry, FileBackend, JournalError, MemoryJournal, RawRecord, StoredSnapshot,
    TornTail,
};
use crate::lineage::merkle::Hash;
use crate::packet::{JournalRef, RecommendationPacket};
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use index::{IndexWriter, index_path};
use serde_json::value::RawValue;
use std::path::Path;
use std::sync::Arc;

mod clock;
mod error;
pub mod index;
mod replay;
mod snapshot;
pub use clock::Clock;
pub(crate) use clock::clock_skew;
use clock::time_of_record;
pub use error::StoreError;
mod checkpoint;
mod submission;
pub use checkpoint::CHECKPOINT_INTERVAL;
pub(crate) use checkpoint::Checkpointed;
use replay::open_genesis;
pub use replay::{
    Anchors, ClockSpan, Replay, replay, replay_file, replay_reader, replay_reader_each,
};
pub use snapshot::{
    Opened, SNAPSHOT_FORMAT, UnusedSnapshot, replay_file_rebuilding_index,
    replay_file_rebuilding_snapshot, replay_file_with_snapshot, snapshot_path,
};
pub use submission::{Acknowledged, Submission};

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
    /// The status of a replayed case.
    pub fn of(replay: &Replay) -> JournalStatus {
        JournalStatus {
            status: replay.case.status(),
            seq: replay.head.seq,
            head: replay.head.head.clone(),
        }
    }
}

/// A case and the [`Backend`] holding its journal.
#[derive(Debug)]
pub struct CaseStore<B: Backend> {
    case: Case,
    backend: B,
    /// The journal's last record, as this writer last saw it (the compare-and-set's `after`).
    head: JournalRef,
    clock: Clock,
    /// Records so far whose time of record was supplied (a snapshot keeps the count).
    supplied_clock: u64,
    /// The lineage index this writer extends as it appends findings, with where the journal's
    /// content ends (file journals opened by [`create_file`](CaseStore::create_file) or
    /// [`open_file`](CaseStore::open_file); dropped as soon as it could fall out of step — another
    /// writer's records, a failed append — to be rebuilt by the next `lineage --proof`).
    index: Option<(IndexWriter, u64)>,
    /// A failed append left the in-memory case ahead of the journal and the rebuild failed
    /// too: rebuild before deciding anything else.
    stale: bool,
    /// The buffer the last batch's lines were sealed into, kept for the next batch: a fresh
    /// megabyte per batch cost page faults.
    lines: Vec<u8>,
    /// Records since the last checkpoint (or record 0).
    since_checkpoint: u64,
    /// A batch that brings `since_checkpoint` to this many records ends with a checkpoint.
    checkpoint_every: u64,
    /// The last checkpoint this writer wrote or replayed past: what its snapshot holds.
    checkpoint: Option<Checkpointed>,
}

fn encode(what: &str) -> impl FnOnce(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Encode(format!("{what}: {e}"))
}

fn genesis_event(
    case: &Case,
    workflow: &Workflow,
    trust: &Trust,
    supplied: bool,
) -> Result<serde_json::Value, StoreError> {
    let record = GenesisRecord::new(
        case.genesis(),
        workflow.spec().clone(),
        trust.file().clone(),
        supplied.then_some(ClockMark::Supplied),
    );
    serde_json::to_value(record).map_err(encode("genesis"))
}

/// Marks an event whose time of record was supplied (`"clock": "supplied"`), for records 0 and
/// after alike.
impl CaseStore<FileBackend> {
    /// Opens a new case from a declaration token in a new journal file at `path`, with its
    /// lineage index beside it ([`CaseStore::create`] with a [`FileBackend`], plus the file's
    /// side files).
    pub fn create_file(
        path: &Path,
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        let mut store = CaseStore::create(FileBackend::new(path), workflow, trust, token, clock)?;
        store.index = IndexWriter::create(&index_path(path))
            .ok()
            .zip(store.backend.content_len());
        Ok(store)
    }

    /// Opens the case in the journal file at `path` as a writer (waiting at most
    /// `lock_timeout` for the lock, cutting off a torn tail, which is returned): from the
    /// journal's snapshot when one matches it (replaying only the records after it), else by
    /// replaying every record ([`CaseStore::open`]); see [`replay_file_with_snapshot`] for what
    /// a snapshot is trusted with. Returns how the case was opened, and keeps the lineage index
    /// in step. Write the snapshot again with [`save_snapshot`](CaseStore::save_snapshot).
    pub fn open_file(
        path: &Path,
        anchors: Anchors,
        clock: Clock,
        lock_timeout: std::time::Duration,
    ) -> Result<(Self, Option<TornTail>, Opened), StoreError> {
        let mut backend = FileBackend::new(path).with_lock_timeout(lock_timeout);
        let torn = backend.open()?;
        let (mut store, opened) = match snapshot::load(path, &anchors) {
            Ok(replay) => {
                let seq = replay.head.seq;
                let store = CaseStore::from_replay(replay, backend, clock);
                (store, Opened::Snapshot { seq })
            }
            Err(unused) => (
                CaseStore::open(backend, anchors, clock)?,
                Opened::Replayed { unused },
            ),
        };
        let leaves = store.case.evidence().count();
        store.index = IndexWriter::extend(&index_path(path), leaves)
            .ok()
            .flatten()
            .zip(store.backend.content_len());
        Ok((store, torn, opened))
    }

    /// Writes the snapshot of the case at the last checkpoint beside the journal
    /// ([`snapshot_path`]), replacing the old one: the state the checkpoint record commits, so
    /// that the next writer can check it against the chain. Does nothing before the first
    /// checkpoint, or when this writer only replayed past the last one (its snapshot is there).
    pub fn save_snapshot(&self) -> Result<(), StoreError> {
        match &self.checkpoint {
            Some(checkpoint) if checkpoint.offset.is_some() => {
                snapshot::save(self.backend.path(), &self.case, checkpoint)
            }
            _ => Ok(()),
        }
    }
}

impl CaseStore<MemoryJournal> {
    /// Opens a new case with an in-memory journal (tests and embedders).
    pub fn in_memory(
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        CaseStore::create(MemoryJournal::default(), workflow, trust, token, clock)
    }
}

/// How many times [`CaseStore::submit`] catches up with another writer and decides its batch
/// again before giving up with [`JournalError::Conflict`].
const MAX_CONFLICT_RETRIES: u32 = 32;

impl<B: Backend> CaseStore<B> {
    /// Opens a new case in an empty `backend`: verifies the declaration `token` at the time of
    /// record (the clock's, or with [`Clock::System`] the backend's own clock if it keeps one,
    /// else the system clock) and appends record 0. Fails with the backend's "already exists"
    /// error (or [`JournalError::Conflict`]) if the backend already holds the case.
    pub fn create(
        mut backend: B,
        workflow: Arc<Workflow>,
        trust: Arc<Trust>,
        token: &str,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        let (at, supplied) = time_of_record(
            &mut backend,
            clock,
            DateTime::<Utc>::MIN_UTC,
            chrono::TimeDelta::zero(),
        )?;
        let case = Case::open(workflow.clone(), trust.clone(), token, at)?;
        let genesis = Entry::new(at, genesis_event(&case, &workflow, &trust, supplied)?);
        let batch = journal::seal(None, vec![genesis])?;
        backend.append_batch(None, &batch)?;
        let head = batch.head().ok_or(JournalError::Empty)?;
        Ok(CaseStore {
            case,
            backend,
            head,
            clock,
            supplied_clock: u64::from(supplied),
            index: None,
            stale: false,
            lines: Vec::new(),
            since_checkpoint: 1,
            checkpoint_every: CHECKPOINT_INTERVAL,
            checkpoint: None,
        })
    }

    /// Opens the case `backend` holds: from the latest snapshot the backend stores
    /// ([`Backend::latest_snapshot`], a PostgreSQL row per checkpoint) when it matches the
    /// checkpoint record it names (then only the records after it are read, verified and
    /// replayed), else by streaming its journal from record 0, verifying every line and
    /// replaying every event (re-verifying every token at its time of record) against
    /// `anchors`. Memory is the case state, not its history.
    ///
    /// Record 0 must declare the case `anchors` names, or else the case the backend holds its
    /// rows under ([`Backend::case_name`]): `case_mismatch` otherwise.
    pub fn open(mut backend: B, mut anchors: Anchors, clock: Clock) -> Result<Self, StoreError> {
        if anchors.case.is_none() {
            anchors.case = backend.case_name().map(CaseId::from);
        } else if let Some(name) = backend.case_name()
            && anchors.case.as_ref().map(CaseId::as_str) != Some(name)
        {
            return Err(StoreError::CaseMismatch {
                expected: CaseId::from(name),
                found: anchors.case.unwrap_or_else(|| CaseId::from(name)),
            });
        }
        if anchors.expect_head.is_none()
            && let Ok(Some(stored)) = backend.latest_snapshot()
            && let Ok(replay) = snapshot::load_stored(&mut backend, &anchors, stored)
        {
            return Ok(CaseStore::from_replay(replay, backend, clock));
        }
        let replay = replay_reader(backend.read_from(0)?, anchors)?;
        Ok(CaseStore::from_replay(replay, backend, clock))
    }

    fn from_replay(replay: Replay, backend: B, clock: Clock) -> Self {
        let since = replay.head.seq + 1 - replay.checkpoint.as_ref().map_or(0, |c| c.head.seq + 1);
        CaseStore {
            case: replay.case,
            head: replay.head,
            backend,
            clock,
            supplied_clock: replay.supplied_clock,
            index: None,
            stale: false,
            lines: Vec::new(),
            since_checkpoint: since,
            checkpoint_every: CHECKPOINT_INTERVAL,
            checkpoint: replay.checkpoint,
        }
    }

    /// Appends a checkpoint at the end of the first batch that brings the records since the
    /// last one to `records` (at least 1: every batch). Default [`CHECKPOINT_INTERVAL`].
    pub fn set_checkpoint_interval(&mut self, records: u64) {
        self.checkpoint_every = records.max(1);
    }

    /// The case.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case and the backend, separated.
    pub fn into_parts(self) -> (Case, B) {
        (self.case, self.backend)
    }

    /// The backend holding the journal.
    pub fn journal(&self) -> &B {
        &self.backend
    }

    /// The clock that stamps the time of record.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Changes the clock for the next submissions (e.g. a test advancing a supplied time).
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The case's status with the journal's head seq and hash.
    pub fn status(&self) -> JournalStatus {
        JournalStatus {
            status: self.case.status(),
            seq: self.head.seq,
            head: self.head.head.clone(),
        }
    }

    /// The head record's hash (a store always holds record 0).
    pub fn head(&self) -> &Digest {
        &self.head.head
    }

    /// The head record's seq and hash.
    pub fn position(&self) -> &JournalRef {
        &self.head
    }

    /// The accepted packet with the journal position of its acceptance: `Some` only in
    /// `closed/accepted`. A store opened from a snapshot taken after findings followed the
    /// acceptance does not know that position (the snapshot does not keep it) and names its
    /// head; a replay from record 0 (`authority-lane packet`) names the acceptance.
    pub fn packet(&self) -> Option<RecommendationPacket> {
        let record = self.case.acceptance_record().unwrap_or(&self.head);
        self.case.packet(record.clone())
    }

    /// Decides and applies a batch of commands at one time of record, appending all their
    /// events as one sealed batch (one write and one `fsync` for a file), and returns one
    /// [`Acknowledged`] per command — only after they are durable. Stops at the first rejected
    /// command: the commands before it are committed and returned with the rejection; the
    /// rejected one and those after it are not applied.
    ///
    /// If another writer appended first ([`JournalError::Conflict`]), the case is rebuilt from
    /// the journal (which now holds the other writer's records) and the batch is decided again
    /// against the new state, at a new time of record: each command is then appended or
    /// refused with the code that state gives. Nothing acknowledged is lost and nothing is
    /// written twice. After 32 lost races in a row the conflict is returned.
    ///
    /// Commands are applied to the in-memory case as they are decided (no copy of the case is
    /// made, so a batch costs the same whatever the case's size); if the append fails, the case
    /// is rebuilt from the journal, so it never runs ahead of what is durable. If even that
    /// fails (say, the database went away), the store rebuilds before its next submission.
    pub fn submit(&mut self, commands: &[Command]) -> Result<Submission, StoreError> {
        let mut attempts = 0;
        loop {
            if self.stale {
                self.rebuild()?;
            } else {
                // Other writers' records first, so that a shared store rarely conflicts.
                self.catch_up()?;
            }
            match self.submit_once(commands) {
                Err(StoreError::Journal(JournalError::Conflict { .. }))
                    if attempts < MAX_CONFLICT_RETRIES =>
                {
                    attempts += 1;
                    self.stale = true;
                    back_off(attempts);
                }
                Err(e) => {
                    self.stale = self.rebuild().is_err();
                    return Err(e);
                }
                Ok(done) => return Ok(done),
            }
        }
    }

    fn submit_once(&mut self, commands: &[Command]) -> Result<Submission, StoreError> {
        let (now, supplied) = time_of_record(
            &mut self.backend,
            self.clock,
            self.case.last_at(),
            clock_skew(&self.case),
        )?;
        // Each event as its RFC 8785 bytes, with its time of record.
        let mut events: Vec<(DateTime<Utc>, Vec<u8>)> = Vec::new();
        let mut per_command: Vec<usize> = Vec::new();
        let mut rejected = None;
        // For the lineage index: the Merkle nodes each finding added, and (entry position, how
        // many nodes) per finding.
        let mut found = Found::default();
        // The last event after which the case was accepted with no finding since: the record
        // an accepted packet names, if a finding follows it in this batch.
        let mut quiet = None;
        for (i, command) in commands.iter().enumerate() {
            match self.case.decide(command, now) {
                Ok(decided) => {
                    per_command.push(decided.len());
                    for e in decided {
                        let mut bytes = Vec::with_capacity(512);
                        e.canonical_into(supplied, &mut bytes);
                        events.push((e.recorded_at(), bytes));
                        let before = self.case.evidence().count();
                        self.case
                            .evolve(e)
                            .expect("an event decided on this case applies to it at once");
                        // The record this event becomes: the next seq after the head and the
                        // batch's events before it (a checkpoint goes after them all).
                        self.case
                            .note_record_seq(self.head.seq + events.len() as u64);
                        if self.case.state() == crate::case::Leaf::Accepted
                            && self.case.findings_since_acceptance() == 0
                        {
                            quiet = Some(events.len() - 1);
                        }
                        let evidence = self.case.evidence();
                        if self.index.is_some() && evidence.count() != before {
                            let nodes = evidence.last_nodes();
                            found.findings.push((events.len() - 1, nodes.len()));
                            found.nodes.extend_from_slice(nodes);
                        }
                    }
                }
                Err(r) => {
                    rejected = Some((i, r));
                    break;
                }
            }
        }
        if events.is_empty() {
            return Ok(Submission {
                accepted: Vec::new(),
                rejected,
            });
        }
        let checkpoint = self.checkpoint_due(events.len()).then(|| {
            let cp = self.case.checkpoint();
            let record = crate::case::EventRecord::Checkpoint {
                at: now,
                state: cp.state,
                lineage: cp.lineage,
                clock: supplied.then_some(ClockMark::Supplied),
            };
            (record, cp.image)
        });
        if let Some((record, _)) = &checkpoint {
            events.push((
                now,
                serde_jcs::to_vec(record).map_err(encode("checkpoint"))?,
            ));
        }
        let batch =
            journal::seal_encoded(Some(&self.head), &events, std::mem::take(&mut self.lines))?;
        self.backend.append_batch(Some(&self.head), &batch)?;
        if let Some(head) = batch.head() {
            // An accepted packet names the last record before the first finding since, as a
            // replay finds it.
            self.case.note_journal_record(&head);
            if let Some(record) = quiet.and_then(|i| batch.record_ref(i)) {
                self.case.fix_acceptance_record(record);
            }
            self.head = head;
        }
        if supplied {
            self.supplied_clock += events.len() as u64;
        }
        self.note_checkpoint(checkpoint.map(|(_, image)| image), events.len());
        self.index_batch(&batch, &found);
        let (heads, lines) = batch.into_lines();
        self.lines = lines;
        let mut accepted = Vec::with_capacity(per_command.len());
        let mut heads = heads.into_iter();
        let mut events = events.into_iter();
        for n in per_command {
            let taken: Vec<Box<RawValue>> = events
                .by_ref()
                .take(n)
                .map(|(_, bytes)| {
                    let text = String::from_utf8(bytes).expect("serde_json writes UTF-8");
                    RawValue::from_string(text).expect("an event serialises as JSON")
                })
                .collect();
            let Some((seq, head)) = heads.by_ref().take(n).last() else {
                continue;
            };
            accepted.push(Acknowledged {
                seq,
                head,
                events: taken,
            });
        }
        Ok(Submission { accepted, rejected })
    }

    /// After a batch of `events` events is stored: the checkpoint it ended with (its image),
    /// if any, becomes the one a snapshot sits at — kept for the next writer too.
    fn note_checkpoint(&mut self, image: Option<Vec<u8>>, events: usize) {
        match image {
            Some(image) => {
                self.since_checkpoint = 0;
                // A cache for the next writer to join from: a failure loses nothing.
                let _ = self.backend.save_snapshot(&StoredSnapshot {
                    seq: self.head.seq,
                    head: self.head.head.clone(),
                    supplied_clock: self.supplied_clock,
                    image: image.clone(),
                });
                self.checkpoint = Some(Checkpointed {
                    head: self.head.clone(),
                    offset: self.backend.head_offset(),
                    supplied_clock: self.supplied_clock,
                    image,
                });
            }
            None => self.since_checkpoint += events as u64,
        }
    }

    /// Whether a batch of `events` events ends with a checkpoint.
    fn checkpoint_due(&self, events: usize) -> bool {
        self.since_checkpoint + events as u64 + 1 >= self.checkpoint_every
    }

    /// Reads, verifies and applies the records other writers appended after this writer's
    /// head (O(new records)). Called before each batch is decided, so that a writer sharing a
    /// store decides against the latest state and a compare-and-set conflict needs the
    /// (O(journal)) rebuild only when another writer appended in the short
    /// window between this catch-up and the append.
    pub fn catch_up(&mut self) -> Result<u64, StoreError> {
        let caught = self.catch_up_inner();
        // A failure part-way may have applied some records: rebuild before going on.
        self.stale = caught.is_err();
        caught
    }

    fn catch_up_inner(&mut self) -> Result<u64, StoreError> {
        let after = self.head.clone();
        let case = &mut self.case;
        let supplied_clock = &mut self.supplied_clock;
        let (since, checkpoint) = (&mut self.since_checkpoint, &mut self.checkpoint);
        let reader = self.backend.read_from(after.seq + 1)?;
        let scan = journal::scan_after(reader, &after, |raw: RawRecord<'_>| {
            let replayed = replay_record(case, &raw, supplied_clock)?;
            *since += 1;
            if replayed.checkpoint {
                *since = 0;
                // Another writer's line: where it sits in a file is not tracked here.
                *checkpoint = Some(Checkpointed {
                    head: JournalRef {
                        seq: raw.seq,
                        head: raw.hash.clone(),
                    },
                    offset: None,
                    supplied_clock: *supplied_clock,
                    image: case.checkpoint().image,
                });
            }
            Ok::<(), StoreError>(())
        })?;
        if let Some((seq, head)) = scan.head {
            self.head = JournalRef { seq, head };
            // Another writer's records: where they sit is not tracked here.
            self.index = None;
        }
        Ok(scan.records)
    }

    /// Rebuilds the in-memory case from the durable records (after a failed append, or to catch
    /// up with another writer). A journal that no longer replays is an integrity failure.
    fn rebuild(&mut self) -> Result<(), StoreError> {
        let (workflow, trust) = self.case.shared();
        let anchors = Anchors {
            workflow: Some(workflow),
            trust: Some(trust),
            expect_head: None,
            case: None,
        };
        let replay = replay_reader(self.backend.read_from(0)?, anchors)?;
        self.since_checkpoint =
            replay.head.seq + 1 - replay.checkpoint.as_ref().map_or(0, |c| c.head.seq + 1);
        self.checkpoint = replay.checkpoint;
        self.case = replay.case;
        self.head = replay.head;
        self.supplied_clock = replay.supplied_clock;
        self.index = None;
        self.stale = false;
        Ok(())
    }

    /// Extends the lineage index with the findings of a batch just appended; on any failure the
    /// index is dropped (it is then out of step, and rebuilt by the next `verify`).
    fn index_batch(&mut self, batch: &journal::Batch, found: &Found) {
        let Some((writer, end)) = &mut self.index else {
            return;
        };
        let mut starts = Vec::with_capacity(batch.len());
        for (_, line) in batch.lines() {
            starts.push(*end);
            *end += line.len() as u64 + 1;
        }
        let mut nodes = found.nodes.as_slice();
        let written = found.findings.iter().all(|&(i, n)| {
            let (these, rest) = nodes.split_at(n);
            nodes = rest;
            writer.push(these, starts[i]).is_ok()
        }) && writer.flush().is_ok();
        if !written {
            self.index = None;
        }
    }
}

/// Replays one verified record on `case` (a catch-up after a known head), counting it in
/// `supplied_clock` if its time of record was supplied.
fn replay_record(
    case: &mut Case,
    raw: &RawRecord<'_>,
    supplied_clock: &mut u64,
) -> Result<crate::case::Replayed, StoreError> {
    let replayed = case
        .replay_json(&raw.event, raw.at)
        .map_err(|error| StoreError::Replay {
            seq: raw.seq,
            error,
        })?;
    *supplied_clock += u64::from(replayed.supplied_clock);
    case.note_journal_record(&JournalRef {
        seq: raw.seq,
        head: raw.hash.clone(),
    });
    Ok(replayed)
}

/// The findings of a batch being decided, for the lineage index.
#[derive(Default)]
struct Found {
    /// Per finding: its entry's position in the batch, and how many of `nodes` are its.
    findings: Vec<(usize, usize)>,
    nodes: Vec<Hash>,
}

/// Waits a little before deciding again after a lost race, longer after each loss, with
/// jitter so that racing writers spread out.
fn back_off(attempt: u32) {
    let mut jitter = [0u8; 2];
    let _ = getrandom::fill(&mut jitter);
    let micros = (200u64 << attempt.min(6)) + u64::from(u16::from_le_bytes(jitter)) % 1000;
    std::thread::sleep(std::time::Duration::from_micros(micros));
}
