//! A snapshot-opened case equals the replayed one; a snapshot that does not match is never used.

use super::*;
use crate::approval::{Decision, Declare};
use crate::case::Case;
use crate::store::{CaseStore, Clock, replay_file};
use crate::testing::{Driver, Fault, Script, snapshot as observable, t0};
use quickcheck::{QuickCheck, TestResult};
use std::time::Duration;

/// A case driven by `script` into a file journal; after `cut` steps the writer saves its
/// snapshot, is dropped, and a new writer resumes from it for the remaining steps.
struct Run {
    dir: tempfile::TempDir,
    /// There was a checkpoint before the cut, so a snapshot was written there.
    snapshot_at_cut: bool,
    resumed_from_snapshot: bool,
    writer_case: Case,
}

impl Run {
    fn journal(&self) -> PathBuf {
        self.dir.path().join("case.jsonl")
    }
}

fn run(script: &Script, cut: usize) -> Run {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("case.jsonl");
    let mut driver = Driver::new();
    let token = driver.mint(
        "sam.rivera",
        t0(),
        Fault::None,
        Decision::Declare(Declare {
            scope: "production signing key".into(),
            severity: "sev1".into(),
        }),
    );
    driver.open();
    let (workflow, trust) = (driver.workflow().clone(), driver.trust().clone());
    let mut store = CaseStore::create_file(&path, workflow, trust, &token, Clock::Supplied(t0()))
        .expect("the declaration opens the case");
    // A checkpoint after every batch, so that a snapshot can be taken at any step.
    store.set_checkpoint_interval(1);
    let mut resumed_from_snapshot = false;
    let mut snapshot_at_cut = false;
    for (i, timed) in script.steps.iter().enumerate() {
        if i == cut {
            store.save_snapshot().expect("the snapshot is written");
            snapshot_at_cut = snapshot_path(&path).exists();
            drop(store);
            let (resumed, _, opened) = CaseStore::open_file(
                &path,
                Anchors::default(),
                Clock::System,
                Duration::from_secs(5),
            )
            .expect("the journal reopens");
            resumed_from_snapshot = matches!(opened, Opened::Snapshot { .. });
            store = resumed;
            store.set_checkpoint_interval(1);
        }
        let at = driver.time_for(store.case(), timed.advance);
        let command = driver.command_for(store.case(), &timed.step, at);
        store.set_clock(Clock::Supplied(at));
        // Refusals are part of the script; a refused command writes nothing.
        let _ = store.submit(std::slice::from_ref(&command));
    }
    Run {
        dir,
        snapshot_at_cut,
        resumed_from_snapshot,
        writer_case: store.case().clone(),
    }
}

/// Everything a snapshot must reproduce: what a reader sees, the image itself, and the packet.
fn same(a: &Replay, b: &Replay) -> Result<(), String> {
    let image = |r: &Replay| serde_json::to_value(r.case.image()).expect("an image is JSON");
    let checks = [
        (
            "observable state",
            observable(&a.case) == observable(&b.case),
        ),
        ("image", image(a) == image(b)),
        ("head", a.head == b.head),
        ("records", a.records == b.records),
        ("supplied clock", a.supplied_clock == b.supplied_clock),
        (
            "packet",
            a.packet().map(|p| p.packet_digest().clone())
                == b.packet().map(|p| p.packet_digest().clone()),
        ),
        (
            "assessment digest",
            a.case.assessment_digest() == b.case.assessment_digest(),
        ),
        ("state", a.case.state() == b.case.state()),
    ];
    match checks.iter().find(|(_, ok)| !ok) {
        Some((what, _)) => Err(format!("the {what} differs")),
        None => Ok(()),
    }
}

fn snapshot_opens_the_replayed_case(script: Script, cut: u8) -> TestResult {
    if script.steps.is_empty() {
        return TestResult::discard();
    }
    let cut = usize::from(cut) % script.steps.len();
    let run = run(&script, cut);
    if run.resumed_from_snapshot != run.snapshot_at_cut {
        return TestResult::error(format!(
            "a snapshot at the cut: {}; the writer resumed from it: {}",
            run.snapshot_at_cut, run.resumed_from_snapshot
        ));
    }
    if !run.snapshot_at_cut {
        // Nothing was written before the cut (record 0 alone, or only refusals): no
        // checkpoint, so no snapshot to open from.
        return TestResult::discard();
    }
    let path = run.journal();
    let replayed = replay_file(&path, Anchors::default()).expect("the journal replays");
    if observable(&replayed.case) != observable(&run.writer_case) {
        return TestResult::error("the resumed writer's case differs from the replay");
    }
    // No snapshot at the journal's head yet: the one at `cut`, with records after it.
    let (from_snapshot, opened) =
        replay_file_with_snapshot(&path, Anchors::default()).expect("the case opens");
    if !matches!(opened, Opened::Snapshot { .. }) {
        return TestResult::error(format!("the snapshot was not used: {opened:?}"));
    }
    if let Err(e) = same(&replayed, &from_snapshot) {
        return TestResult::error(format!("snapshot + catch-up: {e}"));
    }
    // A snapshot written at the head opens the same case too.
    let _ = replay_file_rebuilding_snapshot(&path, Anchors::default()).expect("it replays");
    let (at_head, _) = replay_file_with_snapshot(&path, Anchors::default()).expect("it opens");
    match same(&replayed, &at_head) {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(format!("snapshot at the head: {e}")),
    }
}

#[test]
fn a_snapshot_opened_case_equals_the_replayed_one() {
    QuickCheck::new()
        .tests(40)
        .quickcheck(snapshot_opens_the_replayed_case as fn(Script, u8) -> TestResult);
}

/// A case with a snapshot at its last checkpoint, for the tamper tests (`None` when the script
/// wrote nothing, so there is no checkpoint).
fn snapshotted(script: &Script) -> Option<(Run, Vec<u8>)> {
    let run = run(script, script.steps.len());
    let path = run.journal();
    replay_file_rebuilding_snapshot(&path, Anchors::default()).expect("the journal replays");
    let bytes = std::fs::read(snapshot_path(&path)).ok()?;
    Some((run, bytes))
}

fn a_changed_byte_is_never_trusted(script: Script, at: usize, xor: u8) -> TestResult {
    if xor == 0 {
        return TestResult::discard();
    }
    let Some((run, mut bytes)) = snapshotted(&script) else {
        return TestResult::discard();
    };
    let path = run.journal();
    let i = at % bytes.len();
    bytes[i] ^= xor;
    std::fs::write(snapshot_path(&path), &bytes).expect("the snapshot is rewritten");
    match load(&path, &Anchors::default()) {
        Err(UnusedSnapshot::Refused(_)) => {}
        other => {
            return TestResult::error(format!(
                "byte {i} changed and the snapshot was {:?}",
                other.map(|r| r.head)
            ));
        }
    }
    let replayed = replay_file(&path, Anchors::default()).expect("the journal replays");
    let (opened, how) = replay_file_with_snapshot(&path, Anchors::default()).expect("it opens");
    if !matches!(
        how,
        Opened::Replayed {
            unused: UnusedSnapshot::Refused(_)
        }
    ) {
        return TestResult::error(format!("opened as {how:?}"));
    }
    TestResult::from_bool(same(&replayed, &opened).is_ok())
}

#[test]
fn a_tampered_snapshot_is_ignored_and_rebuilt() {
    QuickCheck::new()
        .tests(60)
        .quickcheck(a_changed_byte_is_never_trusted as fn(Script, usize, u8) -> TestResult);
}

/// Rewrites the snapshot's body with `edit` and a digest that matches it (what anyone who can
/// write beside the journal can do).
fn forge(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let bytes = std::fs::read(snapshot_path(path)).expect("a snapshot");
    let newline = bytes.iter().position(|&b| b == b'\n').expect("a header");
    let mut body: serde_json::Value = serde_json::from_slice(&bytes[newline + 1..]).expect("JSON");
    edit(&mut body);
    let body = serde_json::to_vec(&body).expect("JSON");
    let mut out = format!("{SNAPSHOT_FORMAT} {}\n", Digest::of_bytes(&body)).into_bytes();
    out.extend(body);
    std::fs::write(snapshot_path(path), out).expect("written");
}

/// A case accepted through a file journal (the unit tests' happy path), its snapshot at the
/// head.
fn accepted_case() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("case.jsonl");
    let mut h = crate::testing::Harness::new();
    let (workflow, trust) = h.case.shared();
    let token = h.case.genesis().token.clone();
    let mut store = CaseStore::create_file(&path, workflow, trust, &token, Clock::Supplied(h.now))
        .expect("the declaration opens the case");
    store.set_checkpoint_interval(1);
    let mut send = |h: &mut crate::testing::Harness, c: crate::case::Command| {
        store.set_clock(Clock::Supplied(c.at()));
        let s = store.submit(std::slice::from_ref(&c)).expect("stored");
        assert!(s.rejected.is_none(), "{:?}", s.rejected);
        h.case = store.case().clone();
    };
    for (f, v) in [
        ("custody.exposure", serde_json::json!("suspected")),
        (
            "lineage.desktop_agent_artifacts_in_window",
            serde_json::json!(0),
        ),
        ("authority.platform_delegation", serde_json::json!("active")),
    ] {
        let c = h.finding(f, v);
        send(&mut h, c);
    }
    for who in ["lee.park", "ines.duarte"] {
        let c = h.review(who);
        send(&mut h, c);
    }
    let c = h.accept("priya.natarajan");
    send(&mut h, c);
    assert_eq!(h.case.path(), "closed/accepted");
    replay_file_rebuilding_snapshot(&path, Anchors::default()).expect("the journal replays");
    (dir, path)
}

fn refused(path: &Path) -> String {
    match load(path, &Anchors::default()) {
        Err(UnusedSnapshot::Refused(why)) => why,
        other => panic!("a forged snapshot was {:?}", other.map(|r| r.head)),
    }
}

#[test]
fn an_accepted_case_opens_from_its_snapshot() {
    let (_dir, path) = accepted_case();
    let replayed = replay_file(&path, Anchors::default()).expect("replays");
    let (opened, how) = replay_file_with_snapshot(&path, Anchors::default()).expect("opens");
    assert!(matches!(how, Opened::Snapshot { .. }), "{how:?}");
    same(&replayed, &opened).expect("the same case");
    assert!(opened.packet().is_some(), "the acceptance was rebuilt");
}

#[test]
fn a_forged_snapshot_with_a_valid_digest_must_still_match_the_journal() {
    let (_dir, path) = accepted_case();
    let original = std::fs::read(snapshot_path(&path)).expect("a snapshot");
    let restore = || std::fs::write(snapshot_path(&path), &original).expect("restored");

    forge(&path, |b| {
        b["head"] = serde_json::json!(Digest::of_bytes(b"another head"))
    });
    assert!(
        refused(&path).contains("does not hold record"),
        "a head the journal does not hold"
    );
    restore();
    forge(&path, |b| b["offset"] = serde_json::json!(1));
    refused(&path);
    restore();
    forge(&path, |b| b["case_id"] = serde_json::json!("another-case"));
    assert!(refused(&path).contains("another case"));
    restore();
    // An approval token swapped for another valid token of the case: the state is not the
    // one the checkpoint commits (and the record beside it names another digest).
    forge(&path, |b| {
        let approvals = b["case"]["approvals"].as_array_mut().expect("approvals");
        let other = approvals[1][1].clone();
        approvals[2][1] = other;
    });
    assert!(refused(&path).contains("but the checkpoint at record"));
    restore();
    // A token whose signature no longer verifies.
    forge(&path, |b| {
        let token = b["case"]["approvals"][3][1]
            .as_str()
            .expect("a token")
            .to_owned();
        let mut t = token.into_bytes();
        let last = t.len() - 2;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        b["case"]["approvals"][3][1] = serde_json::json!(String::from_utf8(t).expect("ASCII"));
    });
    assert!(refused(&path).contains("but the checkpoint at record"));
    restore();
    // Accepted without the acceptance token: the chart cannot be rebuilt.
    forge(&path, |b| {
        b["case"]["approvals"]
            .as_array_mut()
            .expect("approvals")
            .pop();
    });
    refused(&path);
    restore();
    // A fact value the workflow does not allow.
    forge(&path, |b| {
        b["case"]["evidence"]["resolved"]["custody.exposure"][0] = serde_json::json!("everywhere");
    });
    refused(&path);
    restore();
    // The count of findings no longer adds up.
    forge(&path, |b| {
        b["case"]["evidence"]["count"] = serde_json::json!(4)
    });
    refused(&path);
    restore();
    assert!(
        load(&path, &Anchors::default()).is_ok(),
        "the original loads"
    );
}

#[test]
fn a_snapshot_of_a_cut_back_journal_is_not_used() {
    let (_dir, path) = accepted_case();
    let bytes = std::fs::read(&path).expect("the journal");
    // The checkpoint after the acceptance, and the acceptance.
    let last = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("more than one line");
    let cut = bytes[..last]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("more than two lines")
        + 1;
    std::fs::write(&path, &bytes[..cut]).expect("cut back");
    refused(&path);
    let (opened, how) = replay_file_with_snapshot(&path, Anchors::default()).expect("opens");
    assert!(matches!(how, Opened::Replayed { .. }));
    assert_ne!(opened.case.path(), "closed/accepted");
}

/// A case in an in-memory store that keeps a snapshot per checkpoint (as PostgreSQL does),
/// with the three required findings and one more.
fn stored_case() -> (crate::journal::MemoryJournal, Case) {
    let mut h = crate::testing::Harness::new();
    let (workflow, trust) = h.case.shared();
    let token = h.case.genesis().token.clone();
    let mut store = CaseStore::create(
        crate::journal::MemoryJournal::default(),
        workflow,
        trust,
        &token,
        Clock::Supplied(h.now),
    )
    .expect("the declaration opens the case");
    store.set_checkpoint_interval(1);
    for (f, v) in [
        ("custody.exposure", serde_json::json!("suspected")),
        (
            "lineage.desktop_agent_artifacts_in_window",
            serde_json::json!(0),
        ),
        ("authority.platform_delegation", serde_json::json!("active")),
        ("custody.exposure", serde_json::json!("confirmed")),
    ] {
        let c = h.finding(f, v);
        store.set_clock(Clock::Supplied(c.at()));
        let s = store.submit(std::slice::from_ref(&c)).expect("stored");
        assert!(s.rejected.is_none(), "{:?}", s.rejected);
    }
    let (case, journal) = store.into_parts();
    (journal, case)
}

/// A backend that logs where each read starts.
struct Logged {
    inner: crate::journal::MemoryJournal,
    reads: Vec<String>,
}

impl crate::journal::Backend for Logged {
    fn read_from(
        &mut self,
        from: u64,
    ) -> Result<Box<dyn std::io::BufRead + '_>, crate::journal::JournalError> {
        self.reads.push(format!("from {from}"));
        self.inner.read_from(from)
    }

    fn read_range(
        &mut self,
        from: u64,
        to: u64,
    ) -> Result<Box<dyn std::io::BufRead + '_>, crate::journal::JournalError> {
        self.reads.push(format!("range {from}..{to}"));
        self.inner.read_range(from, to)
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &crate::journal::Batch,
    ) -> Result<(), crate::journal::JournalError> {
        self.inner.append_batch(after, batch)
    }

    fn latest_snapshot(&mut self) -> Result<Option<StoredSnapshot>, crate::journal::JournalError> {
        self.inner.latest_snapshot()
    }
}

/// Opening from a stored snapshot reads record 0, the checkpoint and the records after it,
/// never the records between; a snapshot that is not the state its checkpoint commits (an
/// earlier, self-consistent one moved under the latest checkpoint) is refused, and the case
/// is replayed from record 0.
#[test]
fn a_store_opens_from_its_latest_checked_snapshot() {
    let (mut journal, case) = stored_case();
    assert_eq!(journal.snapshots_mut().len(), 4, "one per checkpoint");
    let latest = journal.snapshots_mut().last().cloned().expect("a snapshot");
    let logged = Logged {
        inner: journal.clone(),
        reads: Vec::new(),
    };
    let opened = CaseStore::open(logged, Anchors::default(), Clock::System).expect("opens");
    assert_eq!(observable(opened.case()), observable(&case));
    let (_, logged) = opened.into_parts();
    assert_eq!(
        logged.reads,
        [
            "range 0..1".to_owned(),
            format!("range {}..{}", latest.seq, latest.seq + 1),
            format!("from {}", latest.seq),
        ],
        "record 0, the checkpoint, the tail"
    );

    let snapshots = journal.snapshots_mut();
    let mut earlier = snapshots[1].clone();
    earlier.seq = latest.seq;
    earlier.head = latest.head.clone();
    snapshots.push(earlier);
    let logged = Logged {
        inner: journal,
        reads: Vec::new(),
    };
    let replayed = CaseStore::open(logged, Anchors::default(), Clock::System).expect("replays");
    assert_eq!(observable(replayed.case()), observable(&case));
    let (_, logged) = replayed.into_parts();
    assert_eq!(logged.reads.last().map(String::as_str), Some("from 0"));
}
