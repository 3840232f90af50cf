//! Many writers, one journal (DESIGN §9, §14). A writer holds the journal's OS lock only while
//! it opens the journal and while it appends, so an idle writer (an `apply` waiting on its
//! input) blocks no one, and a writer waits for the lock at most its lock timeout. A writer
//! that lost the race reads the new records and decides again; nothing acknowledged is lost,
//! nothing is written twice, and `verify` passes.

use crate::support;
use authority_lane::ErrorCode;

use authority_lane::journal::{
    Backend, Entry, FileBackend, JournalError, JournalRef, Record, read_file, seal,
};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::*;

/// A running `apply`: its input (fed by a thread, so that a writer busy elsewhere never blocks
/// the test on a full pipe), its acknowledgements as they arrive, and its stderr.
struct Writer {
    child: Child,
    input: Option<Sender<Vec<u8>>>,
    acks: Receiver<Value>,
    stderr: JoinHandle<String>,
}

impl Writer {
    fn spawn(fx: &Fixture) -> Writer {
        Writer::spawn_with(fx, &[])
    }

    /// A writer whose clock is supplied (`--at`): every record it writes gets that time.
    fn spawn_at(fx: &Fixture, at: i64) -> Writer {
        Writer::spawn_with(fx, &["--at", &ts(at)])
    }

    fn spawn_with(fx: &Fixture, extra: &[&str]) -> Writer {
        let mut child = Command::new(BIN)
            .args(["apply", "--journal", fx.j()])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin: ChildStdin = child.stdin.take().unwrap();
        let (input, chunks) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            // Ends (closing the pipe) when the test drops `input`, or when the child dies.
            for chunk in chunks {
                if stdin.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (tx, acks) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut err, &mut s).unwrap();
            s
        });
        Writer {
            child,
            input: Some(input),
            acks,
            stderr,
        }
    }

    fn send(&mut self, commands: &[String]) {
        for chunk in commands.chunks(25) {
            self.input.as_ref().unwrap().send(lines(chunk)).unwrap();
        }
    }

    fn close(&mut self) {
        self.input = None;
    }

    /// Waits for `n` acknowledgements.
    fn expect_acks(&self, n: usize) -> Vec<Value> {
        (0..n)
            .map(|_| {
                self.acks
                    .recv_timeout(Duration::from_secs(30))
                    .expect("acknowledgement")
            })
            .collect()
    }

    /// Closes stdin and waits: (exit code, every remaining acknowledgement, stderr).
    fn finish(mut self) -> (Option<i32>, Vec<Value>, String) {
        self.close();
        let status = self.child.wait().unwrap();
        let acks = self.acks.iter().collect();
        (status.code(), acks, self.stderr.join().unwrap())
    }
}

fn findings(agent: &str, from: usize, n: usize, at: impl Fn(usize) -> i64) -> Vec<String> {
    (from..from + n)
        .map(|i| {
            finding(
                at(i),
                agent,
                "lineage.internal_packages_in_window",
                json!(i),
                &format!("lineage/{agent}/{i:04}"),
                "concurrent writer",
            )
        })
        .collect()
}

/// The journal is complete JSON lines with seq = line number, it verifies, and every printed
/// acknowledgement names exactly one record, written by that writer, with the printed event.
/// Returns the writer (agent id) of each record after the genesis, in order.
fn check_journal(fx: &Fixture, printed: &[(&str, &[Value])]) -> Vec<String> {
    let bytes = std::fs::read(&fx.journal).unwrap();
    assert!(bytes.ends_with(b"\n"));
    let records = journal_records(&fx.journal);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], json!(i), "line {} out of order", i + 1);
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys.len(), 5, "one record per line: {keys:?}");
    }
    let v: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(v["records"], json!(records.len()));
    assert_eq!(v["torn_tail"], Value::Null);

    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for (agent, acks) in printed {
        for a in acks.iter() {
            let seq = a["seq"].as_u64().unwrap();
            assert!(
                seen.insert(seq, *agent).is_none(),
                "seq {seq} acknowledged twice"
            );
            let r = records
                .get(seq as usize)
                .unwrap_or_else(|| panic!("acknowledged seq {seq} is not in the journal"));
            assert_eq!(r["event"], a["events"][0], "seq {seq}");
            assert_eq!(r["event"]["agent"]["id"], *agent, "seq {seq}");
        }
    }
    let writers: Vec<String> = records[1..]
        .iter()
        .map(|r| r["event"]["agent"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        seen.len(),
        writers.len(),
        "every record was acknowledged to its writer"
    );
    writers
}

const AT: i64 = T0 + 3_600;

/// Waits for `child` to exit, at most `limit`.
fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Holds the journal's lock through a handle of its own, as a writer mid-append does.
fn hold_lock(path: &Path) -> File {
    let f = File::open(path).unwrap();
    f.try_lock().expect("the lock is free");
    f
}

// ----- the library: file backends as writers -----

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(AT + secs, 0).unwrap()
}

/// A writer on the public API: a `FileBackend` and the records it has seen, as a `CaseStore`
/// keeps its case (without one).
struct FileWriter {
    backend: FileBackend,
    records: Vec<Record>,
}

impl FileWriter {
    fn open(path: &Path, lock_timeout: Duration) -> Result<FileWriter, JournalError> {
        let mut backend = FileBackend::new(path).with_lock_timeout(lock_timeout);
        assert_eq!(backend.open()?, None, "no torn tail");
        let records = read_file(path)?.records;
        Ok(FileWriter { backend, records })
    }

    /// Appends `entries` as one batch sealed against this writer's head. On a conflict
    /// nothing is written and the writer catches up (reads the records other writers added).
    fn append(&mut self, entries: Vec<Entry>) -> Result<Vec<Record>, JournalError> {
        let head = self.records.last().map(|r| JournalRef {
            seq: r.seq,
            head: r.hash.clone(),
        });
        let batch = seal(head.as_ref(), entries)?;
        match self.backend.append_batch(head.as_ref(), &batch) {
            Ok(()) => {
                self.records.extend(batch.records().iter().cloned());
                Ok(batch.records().to_vec())
            }
            Err(e @ JournalError::Conflict { .. }) => {
                self.records = read_file(self.backend.path())?.records;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

/// Appends `entries` as one batch, catching up and retrying on a conflict. Returns the
/// records and how many conflicts it took.
fn append_retrying(j: &mut FileWriter, entries: Vec<Entry>) -> (Vec<Record>, usize) {
    let mut conflicts = 0;
    loop {
        let expected = j.records.len() as u64;
        match j.append(entries.clone()) {
            Ok(records) => return (records, conflicts),
            Err(JournalError::Conflict {
                expected: e,
                actual,
            }) => {
                assert_eq!(e, expected);
                assert!(
                    actual > expected,
                    "a stale writer has records to catch up on"
                );
                assert!(
                    j.records.len() as u64 >= actual,
                    "catching up brought the records in"
                );
                conflicts += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Creates a journal holding only a genesis record.
fn create(path: &Path) {
    let genesis = seal(None, vec![Entry::new(at(0), json!({"type": "genesis"}))]).unwrap();
    FileBackend::new(path).append_batch(None, &genesis).unwrap();
}

#[test]
fn racing_file_backends_catch_up_and_lose_nothing() {
    const WRITERS: usize = 4;
    const BATCHES: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.jsonl");
    create(&path);

    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut j = FileWriter::open(&path, Duration::from_secs(30)).unwrap();
                let mut acked = Vec::new();
                let mut conflicts = 0;
                for b in 0..BATCHES {
                    let entries = (0..1 + b % 3)
                        .map(|i| Entry::new(at(1), json!({"writer": w, "batch": b, "i": i})))
                        .collect();
                    let (records, c) = append_retrying(&mut j, entries);
                    conflicts += c;
                    acked.push(records);
                }
                (acked, conflicts, j.records)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let report = read_file(&path).unwrap();
    assert_eq!(report.torn_tail, None);
    assert!(!report.unterminated);
    let per_writer: usize = (0..BATCHES).map(|b| 1 + b % 3).sum();
    assert_eq!(report.records.len(), 1 + WRITERS * per_writer);
    let mut seen = BTreeSet::new();
    for (acked, _, view) in &results {
        // Each writer's view is a prefix of the journal.
        assert_eq!(view[..], report.records[..view.len()]);
        for batch in acked {
            // Every acknowledged batch is in the journal, contiguous, exactly once.
            let first = batch[0].seq as usize;
            assert_eq!(batch[..], report.records[first..first + batch.len()]);
            for r in batch {
                assert!(seen.insert(r.seq), "seq {} acknowledged twice", r.seq);
            }
        }
    }
    assert_eq!(seen.len(), WRITERS * per_writer);
    let conflicts: usize = results.iter().map(|(_, c, _)| c).sum();
    eprintln!("{WRITERS} writers x {BATCHES} batches: {conflicts} conflicts caught up");
}

#[test]
fn a_second_open_times_out_while_another_writer_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.jsonl");
    create(&path);
    let mut writer = FileWriter::open(&path, Duration::from_millis(200)).unwrap();
    let before = std::fs::read(&path).unwrap();

    let holder = hold_lock(&path);
    let start = Instant::now();
    let err = FileWriter::open(&path, Duration::from_millis(200))
        .err()
        .expect("the lock is held");
    let waited = start.elapsed();
    assert_eq!(err.code(), ErrorCode::JournalLocked);
    assert!(
        (Duration::from_millis(200)..Duration::from_secs(3)).contains(&waited),
        "{waited:?}"
    );
    assert!(err.to_string().contains("another writer"), "{err}");
    let err = writer
        .append(vec![Entry::new(at(1), json!({"n": 1}))])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::JournalLocked);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A reader never waits.
    assert_eq!(read_file(&path).unwrap().records.len(), 1);

    drop(holder);
    let mut second = FileWriter::open(&path, Duration::from_millis(200)).unwrap();
    writer
        .append(vec![Entry::new(at(1), json!({"n": 1}))])
        .unwrap();
    let err = second
        .append(vec![Entry::new(at(1), json!({"n": 2}))])
        .unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::Conflict {
                expected: 1,
                actual: 2
            }
        ),
        "{err:?}"
    );
    second
        .append(vec![Entry::new(at(1), json!({"n": 2}))])
        .unwrap();
    assert_eq!(read_file(&path).unwrap().records.len(), 3);
}

// ----- the CLI: `apply` processes -----

/// An `apply` that is waiting on its input holds no lock: a second `apply` runs to completion
/// meanwhile, appending after the first one's records.
#[test]
fn an_idle_writer_blocks_no_other_writer() {
    const N: usize = 100;
    let fx = Fixture::new();
    fx.init(T0);

    let mut a = Writer::spawn(&fx);
    a.send(&findings("writer-a", 0, N, |_| AT));
    let a_acks = a.expect_acks(N);

    // A is alive, its stdin open: B does not wait for it.
    let mut b = Writer::spawn(&fx);
    b.send(&findings("writer-b", 0, N, |_| AT));
    b.close();
    assert!(
        exits_within(&mut b.child, Duration::from_secs(30)),
        "B waited for an idle A"
    );
    assert!(a.child.try_wait().unwrap().is_none(), "A is still running");
    let (code, b_acks, stderr) = b.finish();
    assert_eq!(code, Some(0), "B: {stderr}");
    for (i, ack) in b_acks.iter().enumerate() {
        assert_eq!(ack["seq"], json!(N + i + 1));
    }

    let (code, rest, stderr) = a.finish();
    assert_eq!(code, Some(0), "A: {stderr}");
    assert!(rest.is_empty());
    let writers = check_journal(&fx, &[("writer-a", &a_acks[..]), ("writer-b", &b_acks[..])]);
    assert_eq!(writers.len(), 2 * N);
}

/// An `apply` that was idle while another appended finds the new records when it next
/// appends (a conflict), decides its commands again against them and appends after them.
#[test]
fn a_writer_that_lost_the_race_catches_up_and_appends_after_the_winner() {
    const N: usize = 100;
    let fx = Fixture::new();
    fx.init(T0);

    let mut a = Writer::spawn(&fx);
    a.send(&findings("writer-a", 0, N / 2, |_| AT));
    let first = a.expect_acks(N / 2);

    let mut b = Writer::spawn(&fx);
    b.send(&findings("writer-b", 0, N, |_| AT));
    let (code, b_acks, stderr) = b.finish();
    assert_eq!(code, Some(0), "B: {stderr}");
    assert_eq!(b_acks.len(), N);

    // A's next batch conflicts with B's records: A catches up and appends after them.
    a.send(&findings("writer-a", N / 2, N / 2, |_| AT));
    let (code, rest, stderr) = a.finish();
    assert_eq!(code, Some(0), "A: {stderr}");
    assert_eq!(rest.len(), N / 2);
    assert_eq!(rest[0]["seq"], json!(N / 2 + N + 1));
    let a_acks: Vec<Value> = first.into_iter().chain(rest).collect();
    let writers = check_journal(&fx, &[("writer-a", &a_acks[..]), ("writer-b", &b_acks[..])]);
    assert_eq!(writers.len(), 2 * N);
}

#[test]
fn racing_writers_both_complete_without_loss() {
    const N: usize = 300;
    for round in 0..6 {
        let fx = Fixture::new();
        fx.init(T0);
        // Same `at` everywhere: either order is time-consistent.
        let mut a = Writer::spawn(&fx);
        let mut b = Writer::spawn(&fx);
        a.send(&findings("writer-a", 0, N, |_| AT));
        b.send(&findings("writer-b", 0, N, |_| AT));
        a.close();
        b.close();
        let (code_a, a_acks, err_a) = a.finish();
        let (code_b, b_acks, err_b) = b.finish();
        assert_eq!(code_a, Some(0), "round {round} A: {err_a}");
        assert_eq!(code_b, Some(0), "round {round} B: {err_b}");
        assert_eq!(a_acks.len(), N);
        assert_eq!(b_acks.len(), N);
        let writers = check_journal(&fx, &[("writer-a", &a_acks[..]), ("writer-b", &b_acks[..])]);
        assert_eq!(writers.len(), 2 * N);
        // Each writer's acknowledgements come in journal order.
        for acks in [&a_acks, &b_acks] {
            let seqs: Vec<u64> = acks.iter().map(|a| a["seq"].as_u64().unwrap()).collect();
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "round {round}");
        }
    }
}

/// B (whose clock is supplied: AT) appended first, A appended later records after it; B's
/// time of record is now earlier than A's records: after catching up, B decides its commands
/// again and refuses them (`time_regression`), writing nothing.
#[test]
fn a_writer_whose_times_precede_the_winners_is_rejected_after_catching_up() {
    const N: usize = 50;
    let fx = Fixture::new();
    fx.init(T0);

    let mut b = Writer::spawn_at(&fx, AT);
    b.send(&findings("writer-b", 0, 1, |_| AT));
    let b_first = b.expect_acks(1);
    assert_eq!(b_first[0]["seq"], 1);

    let a_acks = fx.apply_ok(&findings("writer-a", 0, N, |i| AT + 1_000 + i as i64));
    assert_eq!(a_acks[0]["seq"], 2);
    let len = journal_len(&fx.journal);

    // B decided these against its stale view, where they were in time; its append conflicts.
    b.send(&findings("writer-b", 1, N, |i| AT + i as i64));
    let (code, rest, stderr) = b.finish();
    assert_eq!(code, Some(3), "{stderr}");
    let err: Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "time_regression", "{err}");
    assert!(rest.is_empty());
    assert_eq!(
        journal_len(&fx.journal),
        len,
        "the refused writer wrote nothing"
    );
    let writers = check_journal(
        &fx,
        &[("writer-a", &a_acks[..]), ("writer-b", &b_first[..])],
    );
    assert_eq!(writers.len(), N + 1);
}

#[test]
fn readers_never_wait_for_the_lock() {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&findings("writer-a", 0, 3, |_| AT));
    let _holder = hold_lock(&fx.journal);
    let start = Instant::now();
    assert_eq!(fx.status()["seq"], 3);
    let v: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(v["records"], 4);
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// `apply` waits for the lock at most its lock timeout (default 10 s), then fails with
/// `journal_locked` and writes nothing.
#[test]
fn apply_gives_up_after_the_default_lock_timeout() {
    let fx = Fixture::new();
    fx.init(T0);
    let len = journal_len(&fx.journal);
    let holder = hold_lock(&fx.journal);
    let start = Instant::now();
    let out = fx.apply(&lines(&findings("writer-a", 0, 1, |_| AT)));
    let waited = start.elapsed();
    drop(holder);
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    let err: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(err["error"]["code"], "journal_locked", "{err}");
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(30)).contains(&waited),
        "{waited:?}"
    );
    assert_eq!(journal_len(&fx.journal), len);
}

/// DESIGN §9: `--lock-timeout SECS`, then `journal_locked` with exit 3.
#[test]
fn apply_gives_up_after_its_lock_timeout_with_exit_3() {
    let fx = Fixture::new();
    fx.init(T0);
    let _holder = hold_lock(&fx.journal);
    let start = Instant::now();
    let out = run(
        &["apply", "--journal", fx.j(), "--lock-timeout", "1"],
        Some(&lines(&findings("writer-a", 0, 1, |_| AT))),
    );
    let waited = start.elapsed();
    failed_with(&out, 3, "journal_locked");
    assert!(
        (Duration::from_secs(1)..Duration::from_secs(5)).contains(&waited),
        "{waited:?}"
    );
}
