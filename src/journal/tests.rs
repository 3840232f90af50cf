//! Unit tests for the journal.

use super::line::{StrictValue, check_fast, check_line};
use super::seal::{Sealed, encode_line, seal_batch, seal_encoded_batch};
use super::*;
use crate::canonical::compact_is_canonical;
use crate::case::EventRecord;
use crate::digest::MAX_SAFE_INTEGER;
use crate::error_code::ErrorCode;
use chrono::TimeZone;
use quickcheck::{Arbitrary, Gen, QuickCheck};
use serde_json::Map;
use serde_json::json;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Lock timeout for tests that do not exercise it.
const WAIT: Duration = Duration::from_secs(10);

fn open(path: &Path) -> Result<(Writer, Option<TornTail>), JournalError> {
    Writer::open(path, WAIT)
}

/// One writer of a journal file as these tests drive it: the [`FileBackend`] (the one journal
/// abstraction) appending batches sealed against this writer's head, plus the records it has
/// verified, read back with [`read_file`] (the chain check every reader uses) whenever it
/// catches up — what a `CaseStore` does with a backend, without a case.
#[derive(Debug)]
struct Writer {
    backend: FileBackend,
    records: Vec<Record>,
}

impl Writer {
    fn create(path: &Path, genesis: Entry) -> Result<Writer, JournalError> {
        let mut backend = FileBackend::new(path);
        let batch = seal(None, vec![genesis])?;
        backend.append_batch(None, &batch)?;
        Ok(Writer {
            backend,
            records: batch.records().to_vec(),
        })
    }

    /// Opens the file as a writer (waiting at most `lock_timeout` for the lock, cutting off a
    /// torn tail, completing an unterminated record), then verifies every record.
    fn open(
        path: &Path,
        lock_timeout: Duration,
    ) -> Result<(Writer, Option<TornTail>), JournalError> {
        let mut backend = FileBackend::new(path).with_lock_timeout(lock_timeout);
        let torn = backend.open()?;
        let records = read_file(path)?.records;
        Ok((Writer { backend, records }, torn))
    }

    fn try_open(path: &Path) -> Result<(Writer, Option<TornTail>), JournalError> {
        Writer::open(path, Duration::ZERO)
    }

    fn records(&self) -> &[Record] {
        &self.records
    }

    fn head(&self) -> Option<&Record> {
        self.records.last()
    }

    fn next_seq(&self) -> u64 {
        self.records.len() as u64
    }

    fn set_lock_timeout(&mut self, lock_timeout: Duration) {
        let backend = std::mem::replace(&mut self.backend, FileBackend::new(""));
        self.backend = backend.with_lock_timeout(lock_timeout);
    }

    /// Appends `entries` if `expected_seq` is the seq the first would get: sealed against this
    /// writer's head and compare-and-set by the backend. On a conflict nothing is written, and
    /// this writer has caught up (its records include the other writers').
    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        let head = super::backend::head_of(&self.records);
        let next = self.records.len() as u64;
        let conflict = |actual| JournalError::Conflict {
            expected: expected_seq,
            actual,
        };
        if expected_seq != next {
            self.catch_up()?;
            let actual = self.records.len() as u64;
            if expected_seq != actual {
                return Err(conflict(actual));
            }
            return self.append(expected_seq, entries);
        }
        let batch = seal(head.as_ref(), entries)?;
        match self.backend.append_batch(head.as_ref(), &batch) {
            Ok(()) => {
                self.records.extend(batch.records().iter().cloned());
                Ok(batch.records().to_vec())
            }
            Err(JournalError::Conflict { .. }) => {
                self.catch_up()?;
                Err(conflict(self.records.len() as u64))
            }
            Err(e) => Err(e),
        }
    }

    fn catch_up(&mut self) -> Result<(), JournalError> {
        self.records = read_file(self.backend.path())?.records;
        Ok(())
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_735_689_600 + secs, 0).unwrap()
}

fn genesis() -> Entry {
    Entry::new(
        t(0),
        json!({"type": "case_opened", "case": "C-1", "severity": 1}),
    )
}

fn ev(i: u64) -> Entry {
    Entry::new(
        t(i as i64),
        json!({"type": "note", "n": i, "text": format!("entry {i}")}),
    )
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.jsonl");
    (dir, path)
}

/// Small journal: genesis + one batch of two.
fn small(path: &Path) -> Vec<Record> {
    let mut j = Writer::create(path, genesis()).unwrap();
    j.append(1, vec![ev(1), ev(2)]).unwrap();
    j.records().to_vec()
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

/// Re-hashes a record object (ignoring any `hash` in it) and returns its canonical line, without
/// `\n`.
fn reseal(mut v: Value) -> String {
    let obj = v.as_object_mut().unwrap();
    obj.remove("hash");
    let h = Digest::of_canonical(&*obj).unwrap();
    obj.insert("hash".into(), json!(h));
    serde_jcs::to_string(&v).unwrap()
}

fn tampered(r: Result<ReadReport, JournalError>) -> (u64, TamperReason) {
    match r {
        Err(JournalError::Tampered { line, reason }) => (line, reason),
        other => panic!("expected Tampered, got {other:?}"),
    }
}

#[test]
fn create_append_reopen_roundtrip() {
    let (_d, path) = tmp();
    let mut j = Writer::create(&path, genesis()).unwrap();
    assert_eq!(j.next_seq(), 1);
    let b1 = j.append(1, vec![ev(1), ev(2), ev(3)]).unwrap();
    assert_eq!(b1.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let mut sub = ev(4);
    sub.at = Utc.timestamp_opt(1_735_689_604, 123_456_789).unwrap(); // fractional seconds
    j.append(4, vec![sub]).unwrap();
    assert!(j.append(5, vec![]).unwrap().is_empty());
    let written = j.records().to_vec();
    drop(j);

    let (j2, torn) = open(&path).unwrap();
    assert_eq!(torn, None);
    assert_eq!(j2.records(), &written[..]);
    assert_eq!(j2.head().map(|r| r.seq), Some(4));
    assert_eq!(read_file(&path).unwrap().records, written);

    // Chain links and the exact line format.
    assert_eq!(written[0].prev, None);
    for w in written.windows(2) {
        assert_eq!(w[1].prev.as_ref(), Some(&w[0].hash));
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'));
    let ls = lines(&bytes);
    assert_eq!(ls.len(), 5);
    for (line, rec) in ls.iter().zip(&written) {
        let v: Value = serde_json::from_slice(line).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["at", "event", "hash", "prev", "seq"]);
        assert!(v["hash"].as_str().unwrap().starts_with("sha256:"));
        assert_eq!(v["seq"], json!(rec.seq));
        assert!(DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).is_ok());
        // hash = SHA-256(JCS(record without hash)), computed independently here.
        let mut o = v.as_object().unwrap().clone();
        o.remove("hash");
        let jcs = serde_jcs::to_vec(&o).unwrap();
        assert_eq!(Digest::of_bytes(&jcs), rec.hash);
    }
}

#[test]
fn create_fails_if_exists() {
    let (_d, path) = tmp();
    small(&path);
    let before = std::fs::read(&path).unwrap();
    let err = Writer::create(&path, genesis()).unwrap_err();
    assert!(matches!(err, JournalError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::JournalExists);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn every_single_byte_change_is_detected() {
    let (_d, path) = tmp();
    small(&path);
    let orig = std::fs::read(&path).unwrap();
    let ls = lines(&orig);
    // Line (1-based) containing each byte position.
    let line_of: Vec<u64> = ls
        .iter()
        .enumerate()
        .flat_map(|(i, l)| std::iter::repeat_n(i as u64 + 1, l.len()))
        .collect();
    let mut checked = 0;
    for pos in 0..orig.len() {
        let b = orig[pos];
        let mut candidates = vec![b ^ 0x01, b ^ 0x20, b' ', b'\n', b'0', b'"', b'}', b'x'];
        candidates.sort_unstable();
        candidates.dedup();
        for c in candidates.into_iter().filter(|c| *c != b) {
            let mut bytes = orig.clone();
            bytes[pos] = c;
            std::fs::write(&path, &bytes).unwrap();
            let got = read_file(&path);
            // The final newline too: a complete record followed by a stray byte is not a
            // prefix a crashed writer could leave, so it is tampering, not a torn tail.
            match got {
                Err(JournalError::Tampered { line, .. }) => {
                    assert_eq!(line, line_of[pos], "pos {pos} byte {c:#x}")
                }
                other => panic!("pos {pos} byte {c:#x}: expected Tampered, got {other:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 5 * orig.len(), "{checked}");
}

#[test]
fn tamper_reasons_are_precise() {
    let (_d, path) = tmp();
    small(&path);
    let orig = std::fs::read(&path).unwrap();
    let vals: Vec<Value> = lines(&orig)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let write = |ls: &[String]| {
        let mut s = ls.join("\n");
        s.push('\n');
        std::fs::write(&path, s).unwrap();
        read_file(&path)
    };
    let plain: Vec<String> = vals.iter().map(|v| v.to_string()).collect();

    // Wrong hash.
    let mut v = vals[1].clone();
    v["event"]["n"] = json!(99);
    let (line, reason) = tampered(write(&[plain[0].clone(), v.to_string(), plain[2].clone()]));
    assert_eq!(line, 2);
    assert!(
        matches!(reason, TamperReason::HashMismatch { .. }),
        "{reason}"
    );

    // Correctly hashed, but prev points elsewhere.
    let mut v = vals[2].clone();
    v["prev"] = vals[0]["hash"].clone();
    let (line, reason) = tampered(write(&[plain[0].clone(), plain[1].clone(), reseal(v)]));
    assert_eq!(line, 3);
    assert!(
        matches!(reason, TamperReason::BrokenChain { .. }),
        "{reason}"
    );

    // Record 0 with a non-null prev.
    let mut v = vals[0].clone();
    v["prev"] = vals[1]["hash"].clone();
    let (line, reason) = tampered(write(&[reseal(v)]));
    assert_eq!(line, 1);
    assert_eq!(
        reason,
        TamperReason::BrokenChain {
            expected: None,
            found: Some(serde_json::from_value(vals[1]["hash"].clone()).unwrap())
        }
    );

    // Seq skipped / repeated / reordered records.
    let mut v = vals[1].clone();
    v["seq"] = json!(2);
    let (line, reason) = tampered(write(&[plain[0].clone(), reseal(v)]));
    assert_eq!(
        (line, reason),
        (
            2,
            TamperReason::SeqOutOfOrder {
                expected: 1,
                found: 2
            }
        )
    );
    let (line, reason) = tampered(write(&[
        plain[0].clone(),
        plain[2].clone(),
        plain[1].clone(),
    ]));
    assert_eq!(
        (line, reason),
        (
            2,
            TamperReason::SeqOutOfOrder {
                expected: 1,
                found: 2
            }
        )
    );
    let (line, _) = tampered(write(&[
        plain[0].clone(),
        plain[1].clone(),
        plain[1].clone(),
    ]));
    assert_eq!(line, 3);

    // Structural problems, each correctly hashed so the structural check is what fires.
    let mut v = vals[1].clone();
    v["extra"] = json!(1);
    assert_eq!(
        tampered(write(&[plain[0].clone(), reseal(v)])),
        (2, TamperReason::UnexpectedField("extra".into()))
    );
    let mut v = vals[1].clone();
    v.as_object_mut().unwrap().remove("at");
    assert_eq!(
        tampered(write(&[plain[0].clone(), reseal(v)])),
        (2, TamperReason::MissingField("at"))
    );
    let mut v = vals[1].clone();
    v.as_object_mut().unwrap().remove("hash");
    assert_eq!(
        tampered(write(&[plain[0].clone(), v.to_string()])),
        (2, TamperReason::MissingField("hash"))
    );
    let mut v = vals[1].clone();
    v["event"] = json!([1, 2]);
    let (line, reason) = tampered(write(&[plain[0].clone(), reseal(v)]));
    assert_eq!(line, 2);
    assert!(
        matches!(reason, TamperReason::BadField { field: "event", .. }),
        "{reason}"
    );
    let mut v = vals[1].clone();
    v["at"] = json!("yesterday");
    let (_, reason) = tampered(write(&[plain[0].clone(), reseal(v)]));
    assert!(
        matches!(reason, TamperReason::BadField { field: "at", .. }),
        "{reason}"
    );

    // Duplicate key (I-JSON): `"seq"` twice, with the hash of the last-wins reading.
    let dup = plain[1].replacen('{', r#"{"seq":7,"#, 1);
    let (line, reason) = tampered(write(&[plain[0].clone(), dup]));
    assert_eq!(line, 2);
    assert!(
        matches!(&reason, TamperReason::NotJson(m) if m.contains("duplicate")),
        "{reason}"
    );

    // Not JSON, not an object, an empty line in the middle.
    assert!(matches!(
        tampered(write(&[plain[0].clone(), "garbage".into()])),
        (2, TamperReason::NotJson(_))
    ));
    assert_eq!(
        tampered(write(&[plain[0].clone(), "[1]".into()])),
        (2, TamperReason::NotAnObject)
    );
    assert!(matches!(
        tampered(write(&[plain[0].clone(), String::new(), plain[1].clone()])),
        (2, TamperReason::NotJson(_))
    ));

    // Empty file, and a file whose only content is a torn genesis.
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(read_file(&path), Err(JournalError::Empty)));
    assert!(matches!(open(&path), Err(JournalError::Empty)));
    std::fs::write(&path, &plain[0].as_bytes()[..20]).unwrap();
    let err = read_file(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::JournalEmpty);

    // A writer refuses a tampered file too (and does not modify it).
    let mut v = vals[1].clone();
    v["event"]["n"] = json!(99);
    write(&[plain[0].clone(), v.to_string(), plain[2].clone()]).unwrap_err();
    let before = std::fs::read(&path).unwrap();
    let err = open(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::JournalTampered);
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn torn_tail_reported_by_read_truncated_by_open() {
    let (_d, path) = tmp();
    let recs = small(&path);
    let good = std::fs::read(&path).unwrap();

    // The line the next append would write, cut short mid-JSON at several points (the
    // whole line without its `\n` is an unterminated record, not a torn tail: see below).
    let mut mem = MemoryJournal::from_jsonl(&good).unwrap().0;
    append_to(&mut mem, vec![ev(3)]).unwrap();
    let full = mem.to_jsonl().unwrap();
    let next_line = &full[good.len()..];
    for cut in [1, 7, next_line.len() / 2, next_line.len() - 2] {
        let mut bytes = good.clone();
        bytes.extend_from_slice(&next_line[..cut]);
        std::fs::write(&path, &bytes).unwrap();
        let torn = TornTail {
            offset: good.len() as u64,
            len: cut as u64,
        };

        let report = read_file(&path).unwrap();
        assert_eq!(report.records, recs);
        assert_eq!(report.torn_tail, Some(torn));
        assert!(!report.unterminated);
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "read must not modify");

        let (mut j, t) = open(&path).unwrap();
        assert_eq!(t, Some(torn));
        assert_eq!(j.records(), &recs[..]);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            good,
            "open truncates the torn tail"
        );

        let new = j.append(3, vec![ev(3)]).unwrap();
        assert_eq!(new[0].prev.as_ref(), Some(&recs[2].hash));
        drop(j);
        let after = read_file(&path).unwrap();
        assert_eq!(after.torn_tail, None);
        assert_eq!(after.records.len(), 4);
        std::fs::write(&path, &good).unwrap();
    }

    // Bytes no writer begins a line with are not a torn tail.
    for junk in [&b" "[..], b"[", b"{\"seq\":", b"{ \"at\""] {
        let mut bytes = good.clone();
        bytes.extend_from_slice(junk);
        std::fs::write(&path, &bytes).unwrap();
        let (line, _) = tampered(read_file(&path));
        assert_eq!(line, 4, "{junk:?}");
    }
}

/// DESIGN §9: a last line that is a complete, valid, chained record missing only its newline
/// may have been acknowledged. It is a record for readers, and a writer completes it.
#[test]
fn an_unterminated_last_record_is_kept_and_completed() {
    let (_d, path) = tmp();
    let recs = small(&path);
    let good = std::fs::read(&path).unwrap();
    let cut = &good[..good.len() - 1];
    std::fs::write(&path, cut).unwrap();

    let report = read_file(&path).unwrap();
    assert_eq!(report.records, recs, "the unterminated record is a record");
    assert_eq!(report.torn_tail, None);
    assert!(report.unterminated);
    assert_eq!(std::fs::read(&path).unwrap(), cut, "read must not modify");
    let mut seen = Vec::new();
    let s = scan(cut, |r: RawRecord<'_>| {
        seen.push(r.seq);
        Ok::<(), JournalError>(())
    })
    .unwrap();
    assert_eq!(seen, [0, 1, 2]);
    assert_eq!(
        (s.records, s.unterminated, s.torn_tail, s.len),
        (3, true, None, cut.len() as u64)
    );
    assert_eq!(s.head, Some((2, recs[2].hash.clone())));
    assert_eq!(
        MemoryJournal::from_jsonl(cut).unwrap().0.records(),
        &recs[..]
    );

    // A writer completes it (and appends after it).
    let (mut j, torn) = open(&path).unwrap();
    assert_eq!(torn, None);
    assert_eq!(j.records(), &recs[..]);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "open appends the newline"
    );
    j.append(3, vec![ev(3)]).unwrap();
    drop(j);
    let after = read_file(&path).unwrap();
    assert_eq!(after.records.len(), 4);
    assert!(!after.unterminated);

    // Even a lone genesis without its newline is a journal, not an empty file.
    let genesis_line = lines(&good)[0];
    std::fs::write(&path, &genesis_line[..genesis_line.len() - 1]).unwrap();
    assert_eq!(read_file(&path).unwrap().records, recs[..1]);
    let (j, _) = open(&path).unwrap();
    assert_eq!(j.records(), &recs[..1]);
    assert_eq!(std::fs::read(&path).unwrap(), genesis_line);

    // A complete last line that does not verify is tampering, newline or not.
    let mut v: Value = serde_json::from_slice(lines(&good)[2]).unwrap();
    v["event"]["n"] = json!(99);
    let mut bytes = [lines(&good)[0], lines(&good)[1]].concat();
    bytes.extend_from_slice(serde_jcs::to_string(&v).unwrap().as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let (line, reason) = tampered(read_file(&path));
    assert_eq!(line, 3);
    assert!(
        matches!(reason, TamperReason::HashMismatch { .. }),
        "{reason}"
    );
    assert_eq!(open(&path).unwrap_err().code(), ErrorCode::JournalTampered);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a writer leaves it alone"
    );
}

#[test]
fn conflict_writes_nothing() {
    let (_d, path) = tmp();
    small(&path);
    let before = std::fs::read(&path).unwrap();
    let (mut j, _) = open(&path).unwrap();
    for wrong in [0, 1, 2, 4, u64::MAX] {
        let err = j.append(wrong, vec![ev(9)]).unwrap_err();
        assert!(
            matches!(err, JournalError::Conflict { expected, actual: 3 } if expected == wrong),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::JournalConflict);
        // Even an empty batch is checked.
        assert!(matches!(
            j.append(wrong, vec![]),
            Err(JournalError::Conflict { .. })
        ));
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(j.records().len(), 3);
    // A bad event anywhere in the batch rejects the whole batch.
    let err = j
        .append(3, vec![ev(3), Entry::new(t(4), json!("not an object"))])
        .unwrap_err();
    assert!(
        matches!(err, JournalError::InvalidEvent { index: 1, .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(j.append(3, vec![ev(3)]).unwrap()[0].seq, 3);
}

/// DESIGN §14: a writer that loses the race reads the new records and decides again; nothing
/// acknowledged is lost, nothing is written twice.
#[test]
fn a_stale_writer_gets_a_conflict_with_the_new_records_then_appends() {
    let (_d, path) = tmp();
    let recs = small(&path);
    let (mut a, _) = open(&path).unwrap();
    let (mut b, _) = open(&path).unwrap();

    let a1 = a.append(3, vec![ev(3), ev(4)]).unwrap();
    let len = std::fs::metadata(&path).unwrap().len();

    // B has not seen A's records: nothing is written, and B now holds them.
    let expected = b.next_seq();
    let err = b.append(expected, vec![ev(100)]).unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::Conflict {
                expected: 3,
                actual: 5
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    assert_eq!(b.records(), a.records());
    assert_eq!(&b.records()[expected as usize..], &a1[..], "the catch-up");
    assert_eq!(b.records()[..3], recs[..]);

    // Caught up, B appends after A's records; then A is the stale one.
    let b1 = b.append(5, vec![ev(100)]).unwrap();
    assert_eq!(b1[0].prev.as_ref(), Some(&a1[1].hash));
    let err = a.append(5, vec![ev(5)]).unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::Conflict {
                expected: 5,
                actual: 6
            }
        ),
        "{err:?}"
    );
    assert_eq!(a.records(), b.records());
    // An empty batch catches up too.
    let (mut c, _) = open(&path).unwrap();
    a.append(6, vec![ev(6)]).unwrap();
    assert!(matches!(
        c.append(6, vec![]),
        Err(JournalError::Conflict {
            expected: 6,
            actual: 7
        })
    ));
    assert!(c.append(7, vec![]).unwrap().is_empty());
    assert_eq!(c.records(), a.records());

    let report = read_file(&path).unwrap();
    assert_eq!(report.records, a.records());
    let seqs: Vec<u64> = report.records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..7).collect::<Vec<_>>());
}

/// What other writers leave behind is verified and repaired under the lock as at open: a torn
/// tail is cut off, an unterminated record completed, a bad record refused.
#[test]
fn an_append_handles_what_other_writers_left() {
    let (_d, path) = tmp();
    small(&path);
    let (mut a, _) = open(&path).unwrap();
    let (mut b, _) = open(&path).unwrap();
    a.append(3, vec![ev(3)]).unwrap();
    let good = std::fs::read(&path).unwrap();

    // A's last record lost its newline (a crash just before it): B completes it.
    std::fs::write(&path, &good[..good.len() - 1]).unwrap();
    assert!(matches!(
        b.append(3, vec![ev(100)]),
        Err(JournalError::Conflict {
            expected: 3,
            actual: 4
        })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), good);
    assert_eq!(b.records(), a.records());

    // A crashed mid-append: B cuts the torn tail off and appends (nothing new to catch up on).
    let mut torn = good.clone();
    torn.extend_from_slice(b"{\"at\":\"2025-01");
    std::fs::write(&path, &torn).unwrap();
    let b1 = b.append(4, vec![ev(100)]).unwrap();
    assert_eq!(b1[0].seq, 4);
    let report = read_file(&path).unwrap();
    assert_eq!(report.records.len(), 5);
    assert_eq!(report.torn_tail, None);

    // What another writer appended must verify.
    let mut bad = std::fs::read(&path).unwrap();
    bad.extend_from_slice(b"{}\n");
    std::fs::write(&path, &bad).unwrap();
    let err = a.append(4, vec![ev(4)]).unwrap_err();
    assert!(
        matches!(err, JournalError::Tampered { line: 6, .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bad, "nothing written");
    assert_eq!(a.records().len(), 4, "nothing unverified was taken in");
}

#[test]
fn a_writer_detects_a_shortened_or_rewritten_journal() {
    let (_d, path) = tmp();
    small(&path);
    let (mut j, _) = open(&path).unwrap();
    let good = std::fs::read(&path).unwrap();

    // Shorter than what the writer verified.
    std::fs::write(&path, &good[..good.len() - 10]).unwrap();
    let err = j.append(3, vec![ev(3)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::JournalModified);
    assert!(
        matches!(err, JournalError::Modified { expected_len, actual_len }
            if expected_len == good.len() as u64 && actual_len == good.len() as u64 - 10),
        "{err:?}"
    );

    // Same length, last line rewritten (and longer: re-chained records appended after it).
    let mut rewritten = good.clone();
    let at = rewritten.len() - 20;
    rewritten[at] = if rewritten[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, &rewritten).unwrap();
    assert_eq!(
        j.append(3, vec![ev(3)]).unwrap_err().code(),
        ErrorCode::JournalModified
    );
    rewritten.extend_from_slice(b"{}\n");
    std::fs::write(&path, &rewritten).unwrap();
    assert_eq!(
        j.append(3, vec![ev(3)]).unwrap_err().code(),
        ErrorCode::JournalModified
    );

    // Restored, the writer goes on.
    std::fs::write(&path, &good).unwrap();
    assert_eq!(j.append(3, vec![ev(3)]).unwrap()[0].seq, 3);
}

/// Holds `path`'s lock through a separate handle, as another writer mid-append would.
fn hold_lock(path: &Path) -> File {
    let f = OpenOptions::new().read(true).open(path).unwrap();
    f.try_lock().expect("the lock is free");
    f
}

#[test]
fn open_and_append_wait_at_most_the_lock_timeout() {
    let (_d, path) = tmp();
    small(&path);
    let (mut j, _) = open(&path).unwrap();
    let before = std::fs::read(&path).unwrap();

    let holder = hold_lock(&path);
    let t0 = Instant::now();
    let err = Writer::open(&path, Duration::from_millis(200)).unwrap_err();
    let waited = t0.elapsed();
    assert_eq!(err.code(), ErrorCode::JournalLocked);
    assert!(
        matches!(err, JournalError::Locked { waited, .. } if waited >= Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("another writer") && msg.contains("ms"),
        "{msg}"
    );
    assert!(matches!(
        Writer::try_open(&path),
        Err(JournalError::Locked { .. })
    ));

    j.set_lock_timeout(Duration::from_millis(200));
    let err = j.append(3, vec![ev(3)]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::JournalLocked);
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
    assert_eq!(j.records().len(), 3);
    // Readers never wait.
    assert_eq!(read_file(&path).unwrap().records.len(), 3);

    // Released while an append waits: the append goes through.
    j.set_lock_timeout(Duration::from_secs(10));
    let released = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        let at = Instant::now();
        drop(holder);
        at
    });
    let t0 = Instant::now();
    let new = j.append(3, vec![ev(3)]).unwrap();
    let done = Instant::now();
    assert_eq!(new[0].seq, 3);
    assert!(
        done >= released.join().unwrap(),
        "appended only after the release"
    );
    assert!(done - t0 >= Duration::from_millis(100));
}

/// No lock is held between appends, so an idle writer (an `apply` waiting on stdin) blocks
/// no one; while a writer opens or appends, the lock is held.
#[test]
fn no_lock_is_held_while_idle() {
    let (_d, path) = tmp();
    let mut created = Writer::create(&path, genesis()).unwrap();
    drop(hold_lock(&path));
    created.append(1, vec![ev(1), ev(2)]).unwrap();
    drop(hold_lock(&path));
    let (mut a, _) = open(&path).unwrap();
    drop(hold_lock(&path));
    let (mut b, _) = Writer::try_open(&path).unwrap();
    a.append(3, vec![ev(3)]).unwrap();
    drop(hold_lock(&path));
    assert!(matches!(
        b.append(3, vec![ev(3)]),
        Err(JournalError::Conflict { .. })
    ));
    drop(hold_lock(&path));
    drop((a, b, created));
}

#[test]
fn read_does_not_wait_for_a_writer() {
    let (_d, path) = tmp();
    small(&path);
    let _holder = hold_lock(&path);
    assert_eq!(read_file(&path).unwrap().records.len(), 3);
}

/// DESIGN §9: every line is byte for byte the RFC 8785 form of its record.
#[test]
fn the_writer_writes_rfc8785_lines() {
    let (_d, path) = tmp();
    let mut j = Writer::create(&path, genesis()).unwrap();
    let tricky = json!({
        "b": "ä\u{1f}\"\\/\n\u{2028}", "a": [10, true, null, -3, 9_007_199_254_740_991_u64],
        "z": {"y": 1, "x": 2}, "\u{e000}": 1, "\u{1f600}": 2, "": {}, "n": 100.0
    });
    j.append(1, vec![Entry::new(t(1), tricky)]).unwrap();
    let mut sub = ev(2);
    sub.at = Utc.timestamp_opt(1_735_689_602, 120_000_000).unwrap();
    j.append(2, vec![sub]).unwrap();
    let recs = j.records().to_vec();
    drop(j);
    let bytes = std::fs::read(&path).unwrap();
    for (line, rec) in lines(&bytes).iter().zip(&recs) {
        let body = &line[..line.len() - 1];
        // An independent serialisation of the record as a typed struct, and of the line's value.
        assert_eq!(body, &serde_jcs::to_vec(rec).unwrap()[..]);
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body, &serde_jcs::to_vec(&v).unwrap()[..]);
        assert!(body.starts_with(b"{\"at\":\""));
    }
    let tricky_line = std::str::from_utf8(lines(&bytes)[1]).unwrap();
    let utf16_order = format!("\"{}\":2,\"{}\":1", '\u{1f600}', '\u{e000}');
    assert!(
        tricky_line.contains(&utf16_order),
        "UTF-16 key order: {tricky_line}"
    );
    assert!(tricky_line.contains(r#""n":100"#), "{tricky_line}");
    // The record holds the event as a reader sees it.
    assert_eq!(read_file(&path).unwrap().records, recs);
    assert_eq!(recs[1].event["n"], json!(100));
}

/// A line whose hash matches its own bytes but which is not the RFC 8785 form of its record
/// is tampering (an independent JCS implementation would hash the record differently).
#[test]
fn non_canonical_lines_are_refused() {
    let (_d, path) = tmp();
    let mut j = Writer::create(&path, genesis()).unwrap();
    j.append(
        1,
        vec![Entry::new(
            t(1),
            json!({"b": "A", "a": [10, true, null], "z": {"y": 1, "x": 2}, "c": "a/b", "d": "\u{1f}\n", "m": 0}),
        )],
    )
    .unwrap();
    let recs = j.records().to_vec();
    drop(j);
    let bytes = std::fs::read(&path).unwrap();
    let first = lines(&bytes)[0];
    let canonical = std::str::from_utf8(lines(&bytes)[1])
        .unwrap()
        .trim_end()
        .to_owned();
    let event_text =
        r#"{"a":[10,true,null],"b":"A","c":"a/b","d":"\u001f\n","m":0,"z":{"x":2,"y":1}}"#;
    assert!(canonical.contains(event_text), "{canonical}");

    // Each rewrite keeps the record's content; `seal` re-hashes the rewritten member text the
    // way the old fast path did (JCS member order, raw member text), `keep` leaves the hash.
    let variants = [
        (
            "whitespace in event",
            canonical.replace("[10,true", "[10, true"),
        ),
        ("1.0 for an integer", canonical.replace("[10,", "[10.0,")),
        ("1e1 for an integer", canonical.replace("[10,", "[1e1,")),
        (
            "escaped A",
            canonical.replace(r#""b":"A""#, r#""b":"\u0041""#),
        ),
        ("escaped solidus", canonical.replace("a/b", r"a\/b")),
        (
            "keys reordered in event",
            canonical.replace(r#"{"x":2,"y":1}"#, r#"{"y":1,"x":2}"#),
        ),
        ("keys reordered in the record", {
            let v: Value = serde_json::from_str(&canonical).unwrap();
            format!(
                r#"{{"seq":{},"at":{},"event":{},"prev":{},"hash":{}}}"#,
                v["seq"], v["at"], v["event"], v["prev"], v["hash"]
            )
        }),
        ("trailing space", format!("{canonical} ")),
        ("leading space", format!(" {canonical}")),
        (
            "space after a colon",
            canonical.replacen("\"at\":", "\"at\": ", 1),
        ),
        ("-0", canonical.replace(r#""m":0"#, r#""m":-0"#)),
        (
            "upper-case hex escape",
            canonical.replace(r"\u001f", r"\u001F"),
        ),
        (
            "long form of a short escape",
            canonical.replace(r"\n", r"\u000a"),
        ),
    ];
    for (what, text) in variants {
        assert_ne!(text, canonical, "{what}: the rewrite applies");
        for line in [text.clone(), raw_reseal(&text)] {
            let mut file = first.to_vec();
            file.extend_from_slice(line.as_bytes());
            file.push(b'\n');
            std::fs::write(&path, &file).unwrap();
            let (l, reason) = tampered(read_file(&path));
            assert_eq!(l, 2, "{what}");
            assert!(
                matches!(reason, TamperReason::NotCanonical { .. }),
                "{what}: {reason}\n{line}"
            );
            assert_eq!(
                open(&path).unwrap_err().code(),
                ErrorCode::JournalTampered,
                "{what}"
            );
        }
    }

    // The reason names the first differing byte.
    let line = raw_reseal(&canonical.replace(r#""a":[10"#, r#""a": [10"#));
    let offset = line.find(": [10").unwrap() + 1;
    let reason = fuzzing::check_line_full(1, Some(&recs[0].hash), line.as_bytes()).unwrap_err();
    assert_eq!(
        reason,
        TamperReason::NotCanonical {
            offset: offset as u64,
            expected: line[offset + 1..offset + 25].to_owned(),
            found: line[offset..offset + 24].to_owned(),
        }
    );
    assert!(
        reason.to_string().contains(&format!("byte {offset}")),
        "{reason}"
    );
    assert_eq!(
        fuzzing::check_line_fast(1, Some(&recs[0].hash), line.as_bytes()),
        Err(reason)
    );
}

/// The old fast path's view of a line: re-hash the members' raw text in JCS key order and put
/// that hash on the line. A line sealed like this verifies under "hash what is written".
fn raw_reseal(line: &str) -> String {
    use serde_json::value::RawValue;
    let Ok(members) = serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(line)
    else {
        return line.to_owned();
    };
    let Some(old) = members
        .get("hash")
        .and_then(|h| serde_json::from_str::<String>(h.get()).ok())
    else {
        return line.to_owned();
    };
    let mut unsealed = String::from("{");
    for (k, v) in members.iter().filter(|(k, _)| k.as_str() != "hash") {
        if unsealed.len() > 1 {
            unsealed.push(',');
        }
        unsealed.push_str(&format!(
            "{}:{}",
            serde_json::to_string(k).unwrap(),
            v.get()
        ));
    }
    unsealed.push('}');
    line.replace(&old, Digest::of_bytes(unsealed.as_bytes()).as_str())
}

/// RFC 7493: numbers beyond 2^53 - 1 (which RFC 8785 implementations round) and fractions
/// are refused, on the line and on append.
#[test]
fn numbers_must_be_i_json_integers() {
    let (_d, path) = tmp();
    small(&path);
    let orig = std::fs::read(&path).unwrap();
    let vals: Vec<Value> = lines(&orig)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let first = lines(&orig)[0];
    for (n, path_in_line) in [
        ("9007199254740992", "/event/n"),
        ("9007199254740993", "/event/n"),
        ("-9007199254740992", "/event/n"),
        ("18446744073709551616", "/event/n"),
        ("0.5", "/event/n"),
        ("1e300", "/event/n"),
    ] {
        // Correctly hashed over the JCS form of the (rounded) parsed value: only the number is
        // wrong.
        let text = vals[1]
            .to_string()
            .replace(r#""n":1"#, &format!(r#""n":{n}"#));
        let line = raw_reseal(&text);
        let mut file = first.to_vec();
        file.extend_from_slice(line.as_bytes());
        file.push(b'\n');
        std::fs::write(&path, &file).unwrap();
        let (l, reason) = tampered(read_file(&path));
        assert_eq!(l, 2);
        assert!(
            matches!(&reason, TamperReason::NotIJsonNumber { path, .. } if path == path_in_line),
            "{n}: {reason}"
        );
    }
    // 2^53 + 1 and 2^53 would hash alike under serde_jcs: both refused, never confused.
    for n in ["9007199254740993", "9007199254740992"] {
        let line = raw_reseal(
            &vals[1]
                .to_string()
                .replace(r#""n":1"#, &format!(r#""n":{n}"#)),
        );
        let prev = serde_json::from_value::<Digest>(vals[0]["hash"].clone()).unwrap();
        for result in [
            fuzzing::check_line_fast(1, Some(&prev), line.as_bytes()),
            fuzzing::check_line_full(1, Some(&prev), line.as_bytes()),
        ] {
            assert!(
                matches!(result, Err(TamperReason::NotIJsonNumber { ref number, .. }) if number == n),
                "{result:?}"
            );
        }
    }

    std::fs::write(&path, &orig).unwrap();
    let (mut j, _) = open(&path).unwrap();
    for event in [
        json!({"n": 9_007_199_254_740_993_u64}),
        json!({"deep": [{"n": -9_007_199_254_740_992_i64}]}),
        json!({"n": 0.5}),
    ] {
        let err = j
            .append(3, vec![ev(3), Entry::new(t(4), event.clone())])
            .unwrap_err();
        assert!(
            matches!(&err, JournalError::InvalidEvent { index: 1, reason } if reason.contains("2^53")),
            "{event}: {err:?}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), orig);
    assert!(MemoryJournal::new(Entry::new(t(0), json!({"n": u64::MAX}))).is_err());
}

/// DESIGN §12 rule 3: a writer never writes a time the reader refuses.
#[test]
fn times_beyond_four_digit_years_are_refused_on_append() {
    let (_d, path) = tmp();
    small(&path);
    let before = std::fs::read(&path).unwrap();
    let (mut j, _) = open(&path).unwrap();
    for (year, written) in [
        (10_000, "+10000-01-01T00:00:00Z"),
        (-1, "-0001-01-01T00:00:00Z"),
    ] {
        let at = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
        let err = j
            .append(3, vec![ev(3), Entry::new(at, json!({"type": "note"}))])
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::JournalInvalidTime);
        assert!(
            matches!(&err, JournalError::TimeNotRepresentable { index: 1, at } if at == written),
            "{err:?}"
        );
        assert!(err.to_string().contains("four-digit year"), "{err}");
        assert!(MemoryJournal::new(Entry::new(at, json!({}))).is_err());
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // The extremes that RFC 3339 can carry are written and read back.
    let edges = [
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
    ];
    let new = j
        .append(
            3,
            edges.iter().map(|&at| Entry::new(at, json!({}))).collect(),
        )
        .unwrap();
    assert_eq!(new.len(), 2);
    let report = read_file(&path).unwrap();
    assert_eq!(report.records[3..], new[..]);
}

// ---------------------------------------------------------------------------------------------
// The fast path accepts nothing the reference path refuses
// ---------------------------------------------------------------------------------------------

/// A JSON object event with the keys, strings and numbers where serialisers disagree.
#[derive(Debug, Clone)]
struct Event(Value);

const KEYS: &[&str] = &[
    "a",
    "b",
    "n",
    "type",
    "",
    "A",
    "aa",
    "é",
    "\u{e000}",
    "\u{ffff}",
    "\u{10000}",
    "\u{1f600}",
    "\"",
    "\\",
    "/",
    "\n",
    "\u{7f}",
    "\u{2028}",
];
const STRINGS: &[&str] = &[
    "",
    "A",
    "é",
    "\u{1f600}",
    "\u{1f}",
    "\u{0}",
    "\u{7f}",
    "\"",
    "\\",
    "/",
    "\n\t\r\u{8}\u{c}",
    "\u{2028}",
    "1.0",
    "sha256:",
    "\u{e000}",
];
const NUMBERS: &[i64] = &[
    0,
    1,
    -1,
    10,
    100,
    1_000_000,
    9_007_199_254_740_991,
    -9_007_199_254_740_991,
    4_294_967_296,
];

fn json_value(g: &mut Gen, depth: usize) -> Value {
    let choice = u8::arbitrary(g) % if depth == 0 { 4 } else { 6 };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(g)),
        2 => {
            if bool::arbitrary(g) {
                json!(*g.choose(NUMBERS).unwrap())
            } else {
                json!(i32::arbitrary(g))
            }
        }
        3 => {
            if bool::arbitrary(g) {
                json!(*g.choose(STRINGS).unwrap())
            } else {
                json!(String::arbitrary(g))
            }
        }
        4 => Value::Array(
            (0..usize::arbitrary(g) % 4)
                .map(|_| json_value(g, depth - 1))
                .collect(),
        ),
        _ => json_object(g, depth - 1),
    }
}

fn json_object(g: &mut Gen, depth: usize) -> Value {
    let mut m = Map::new();
    for _ in 0..usize::arbitrary(g) % 5 {
        let key = if bool::arbitrary(g) {
            g.choose(KEYS).unwrap().to_string()
        } else {
            String::arbitrary(g)
        };
        m.insert(key, json_value(g, depth));
    }
    Value::Object(m)
}

impl Arbitrary for Event {
    fn arbitrary(g: &mut Gen) -> Self {
        Event(json_object(g, 3))
    }
}

/// A change to a line's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Insert a whitespace (or other) byte.
    Insert { at: usize, byte: u8 },
    /// Change the nth digit.
    Digit { nth: usize, to: u8 },
    /// Spell the nth integer differently (`1.0`, `1e0`, `01`, `-0`, `+1`, `1E0`).
    Spell { nth: usize, style: u8 },
    /// Escape the nth escapable character in a string (`\u0041`, `\/`, `\u000a`, `\u001F`).
    Escape { nth: usize, style: u8 },
    /// Re-emit the line with the members of its objects in another order.
    Reorder { seed: u64 },
    /// Duplicate the nth member of the record.
    Duplicate { nth: usize },
    /// Flip bits of one byte.
    Flip { at: usize, xor: u8 },
}

impl Arbitrary for Mutation {
    fn arbitrary(g: &mut Gen) -> Self {
        let at = usize::arbitrary(g);
        match u8::arbitrary(g) % 7 {
            0 => Mutation::Insert {
                at,
                byte: *g.choose(b" \t\r\n\x0c\x00,:\"{}[]0").unwrap(),
            },
            1 => Mutation::Digit {
                nth: at,
                to: b'0' + u8::arbitrary(g) % 10,
            },
            2 => Mutation::Spell {
                nth: at,
                style: u8::arbitrary(g),
            },
            3 => Mutation::Escape {
                nth: at,
                style: u8::arbitrary(g),
            },
            4 => Mutation::Reorder {
                seed: u64::arbitrary(g),
            },
            5 => Mutation::Duplicate { nth: at },
            _ => Mutation::Flip {
                at,
                xor: u8::arbitrary(g).max(1),
            },
        }
    }
}

/// Byte ranges of the number tokens and of the string contents in a canonical line.
fn tokens(line: &[u8]) -> (Vec<(usize, usize)>, Vec<usize>) {
    let (mut numbers, mut chars) = (Vec::new(), Vec::new());
    let mut i = 0;
    let mut in_string = false;
    while i < line.len() {
        let b = line[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => chars.push(i),
            }
            i += 1;
        } else if b == b'"' {
            in_string = true;
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            i += 1;
            while i < line.len() && line[i].is_ascii_digit() {
                i += 1;
            }
            numbers.push((start, i));
        } else {
            i += 1;
        }
    }
    (numbers, chars)
}

/// Serialises `v` compactly with each object's members in an order drawn from `seed`.
fn shuffled(v: &Value, seed: &mut u64) -> String {
    match v {
        Value::Object(m) => {
            let mut members: Vec<_> = m.iter().collect();
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = members.len().max(1);
            members.rotate_left((*seed >> 33) as usize % len);
            if *seed & 1 == 1 {
                members.reverse();
            }
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap(),
                        shuffled(v, seed)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|v| shuffled(v, seed)).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn mutate(line: &[u8], m: &Mutation) -> Vec<u8> {
    let (numbers, chars) = tokens(line);
    let mut out = line.to_vec();
    match *m {
        Mutation::Insert { at, byte } => out.insert(at % (line.len() + 1), byte),
        Mutation::Digit { nth, to } => {
            let digits: Vec<usize> = (0..line.len())
                .filter(|&i| line[i].is_ascii_digit())
                .collect();
            if let Some(&i) = digits.get(nth % digits.len().max(1)) {
                out[i] = to;
            }
        }
        Mutation::Spell { nth, style } => {
            if let Some(&(s, e)) = numbers.get(nth % numbers.len().max(1)) {
                let n = std::str::from_utf8(&line[s..e]).unwrap();
                let spelled = match style % 6 {
                    0 => format!("{n}.0"),
                    1 => format!("{n}e0"),
                    2 => format!("{n}E0"),
                    3 if n == "0" => "-0".to_owned(),
                    3 => format!("{n}e+0"),
                    4 => match n.strip_prefix('-') {
                        Some(digits) => format!("-0{digits}"),
                        None => format!("0{n}"),
                    },
                    _ => format!("{n}.00"),
                };
                out.splice(s..e, spelled.into_bytes());
            }
        }
        Mutation::Escape { nth, style } => {
            if let Some(&i) = chars.get(nth % chars.len().max(1)) {
                let c = line[i];
                if c.is_ascii() {
                    let escaped = match style % 3 {
                        0 => format!("\\u{:04x}", c),
                        1 => format!("\\u{:04X}", c),
                        _ if c == b'/' => "\\/".to_owned(),
                        _ => format!("\\u00{:02x}", c),
                    };
                    out.splice(i..i + 1, escaped.into_bytes());
                }
            }
            // Short escapes spelled long, and lower-case hex spelled upper-case.
            let text = String::from_utf8_lossy(&out).into_owned();
            let text = match style % 4 {
                0 => text.replacen("\\n", "\\u000a", 1),
                1 => text.replacen("\\u001f", "\\u001F", 1),
                2 => text.replacen("\\t", "\\u0009", 1),
                _ => text,
            };
            out = text.into_bytes();
        }
        Mutation::Reorder { seed } => {
            if let Ok(v) = serde_json::from_slice::<Value>(line) {
                let mut seed = seed;
                out = shuffled(&v, &mut seed).into_bytes();
            }
        }
        Mutation::Duplicate { nth } => {
            if let Ok(v) = serde_json::from_slice::<Value>(line) {
                let obj = v.as_object().unwrap();
                let (k, val) = obj.iter().nth(nth % obj.len()).unwrap();
                let extra = format!("{}:{},", serde_json::to_string(k).unwrap(), val);
                out.splice(1..1, extra.into_bytes());
            }
        }
        Mutation::Flip { at, xor } => out[at % line.len()] ^= xor,
    }
    out
}

/// Puts a correct hash on a mutated line: over the JCS form of its parsed value (so only the
/// spelling is wrong), or over its raw member text (what the old fast path checked).
fn reseal_variants(line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![line.to_vec()];
    let text = String::from_utf8_lossy(line).into_owned();
    out.push(raw_reseal(&text).into_bytes());
    if let Ok(StrictValue(Value::Object(mut obj))) = serde_json::from_slice(line)
        && let Some(Value::String(old)) = obj.remove("hash")
        && let Ok(h) = Digest::of_canonical(&obj)
    {
        out.push(text.replace(&old, h.as_str()).into_bytes());
    }
    out
}

#[derive(Default, Debug)]
struct Tally {
    lines: usize,
    fast_accepted: usize,
    /// Unmodified lines the lean path accepted on its own.
    lean_accepted: usize,
    /// Of those, lines after record 0 (the genesis, which is not an `EventRecord`).
    lean_accepted_events: usize,
    /// Unmodified lines whose event the typed check handed out as an `EventRecord` in one pass.
    typed_accepted: usize,
    /// Unmodified lines whose event the typed check handed out as an `EventRecord` at all.
    typed_events: usize,
    /// Record 0 of each journal (a genesis, not an `EventRecord`).
    genesis_lines: usize,
    refused: usize,
    accepted_mutants: usize,
}

thread_local! {
    static TALLY: std::cell::RefCell<Tally> = std::cell::RefCell::default();
}

/// A journal of `events`, each line of it checked unmodified and under each of `mutations`
/// ([`check_mutants`]), into [`TALLY`].
fn journal_mutants(events: impl IntoIterator<Item = Value>, mutations: &[Mutation]) -> bool {
    let mut m = MemoryJournal::new(genesis()).unwrap();
    let entries: Vec<Entry> = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| Entry::new(t(i as i64), e))
        .collect();
    append_to(&mut m, entries).unwrap();
    let bytes = m.to_jsonl().unwrap();
    TALLY.with_borrow_mut(|tally| check_mutants(&m, &bytes, mutations, tally));
    true
}

/// Runs `prop` on 200 random inputs and gives what [`check_mutants`] tallied (over 500 lines).
fn tallied<A: quickcheck::Testable>(prop: A) -> Tally {
    QuickCheck::new()
        .rng(Gen::new(20))
        .tests(200)
        .quickcheck(prop);
    let tally = TALLY.take();
    eprintln!("{tally:?}");
    assert!(tally.lines > 500, "{tally:?}");
    tally
}

#[test]
fn fast_and_reference_checks_agree_on_mutated_lines() {
    fn prop(events: Vec<Event>, mutations: Vec<Mutation>) -> bool {
        journal_mutants(events.into_iter().map(|Event(e)| e), &mutations)
    }
    let tally = tallied(prop as fn(Vec<Event>, Vec<Mutation>) -> bool);
    assert!(tally.fast_accepted > tally.lines / 4, "{tally:?}");
    assert!(tally.lean_accepted > tally.lines / 4, "{tally:?}");
    assert!(tally.refused > 5 * tally.lines, "{tally:?}");
}

/// The typed check (as replay reads each line: the event deserialised in the line check's
/// pass when the line is on the lean path, else from the value the other paths parse) returns
/// the reference check's record (`full`) for `line`, as a JSON value and as an `EventRecord`;
/// hands out an event only with a verified record, equal to a separate parse of its text, and
/// a JSON value for every verified line. The one-pass check accepts the same lines whether
/// the event is read as a JSON value or as `tee::Skip` (the untyped lean check). Gives the
/// `EventRecord`, if any, and whether it came from the one pass.
fn typed_agrees(
    seq: u64,
    prev: Option<&Digest>,
    line: &[u8],
    full: &Result<RawRecord<'_>, TamperReason>,
) -> (Option<EventRecord>, bool) {
    let shown = || String::from_utf8_lossy(line).into_owned();
    let (typed, value) = fuzzing::check_line_typed::<Value>(seq, prev, line);
    assert_eq!(&typed, full, "{}", shown());
    assert_eq!(value.is_some(), typed.is_ok(), "{}", shown());
    assert_eq!(
        super::lean::check_lean_typed::<Value>(line).is_some(),
        super::lean::check_lean(line).is_some(),
        "{}",
        shown()
    );
    if let Some(value) = value {
        let raw = typed.expect("an event comes with its verified record");
        assert_eq!(value, serde_json::from_str::<Value>(&raw.event).unwrap());
    }
    let (typed, record) = fuzzing::check_line_typed::<EventRecord>(seq, prev, line);
    assert_eq!(&typed, full, "{}", shown());
    if let Some(record) = &record {
        let raw = typed.expect("an event comes with its verified record");
        let separate: EventRecord = serde_json::from_str(&raw.event).unwrap();
        assert_eq!(record, &separate, "{}", shown());
    }
    let one_pass = super::lean::check_lean_typed::<EventRecord>(line).is_some();
    (record, one_pass)
}

fn check_mutants(m: &MemoryJournal, bytes: &[u8], mutations: &[Mutation], tally: &mut Tally) {
    for (rec, line) in m.records().iter().zip(lines(bytes)) {
        let line = &line[..line.len() - 1];
        let (seq, prev) = (rec.seq, rec.prev.as_ref());
        // The unmodified line: both accept, and the fast path itself does whenever its
        // precondition holds.
        let fast = fuzzing::check_line_fast(seq, prev, line);
        assert_eq!(fast, fuzzing::check_line_full(seq, prev, line));
        let (typed, one_pass) = typed_agrees(seq, prev, line, &fast);
        let raw = fast.unwrap();
        assert_eq!(raw.hash, rec.hash);
        assert_eq!(
            serde_json::from_str::<Value>(&raw.event).unwrap(),
            rec.event
        );
        if super::lean::check_lean(line).is_some() {
            tally.lean_accepted += 1;
            tally.lean_accepted_events += usize::from(rec.seq > 0);
        }
        if let Some(record) = typed {
            let separate = serde_json::from_value::<EventRecord>(rec.event.clone()).unwrap();
            assert_eq!(record, separate);
            tally.typed_events += 1;
        }
        tally.typed_accepted += usize::from(one_pass);
        tally.genesis_lines += usize::from(rec.seq == 0);
        let v: Value = serde_json::from_slice(line).unwrap();
        if compact_is_canonical(&v) {
            assert!(
                check_fast(line).is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
            tally.fast_accepted += 1;
        }
        tally.lines += 1;
        for mutation in mutations {
            let mutated = mutate(line, mutation);
            for candidate in reseal_variants(&mutated) {
                let fast = fuzzing::check_line_fast(seq, prev, &candidate);
                let full = fuzzing::check_line_full(seq, prev, &candidate);
                assert_eq!(
                    fast,
                    full,
                    "{mutation:?}\n{}",
                    String::from_utf8_lossy(&candidate)
                );
                typed_agrees(seq, prev, &candidate, &full);
                match full {
                    // Whatever is accepted is canonical: an independent serialisation of
                    // its parsed value reproduces it.
                    Ok(_) => {
                        let v: Value = serde_json::from_slice(&candidate).unwrap();
                        assert_eq!(serde_jcs::to_vec(&v).unwrap(), candidate, "{mutation:?}");
                        if candidate != line {
                            tally.accepted_mutants += 1;
                        }
                    }
                    Err(_) => tally.refused += 1,
                }
            }
        }
    }
}

/// An event record as the case writes it (a finding or a decision), with strings that need
/// escaping, integers near and past I-JSON's limit, and times in several RFC 3339 spellings.
#[derive(Debug, Clone)]
struct RecordEvent(Value);

impl Arbitrary for RecordEvent {
    fn arbitrary(g: &mut Gen) -> Self {
        fn text(g: &mut Gen) -> String {
            match u8::arbitrary(g) % 3 {
                0 => g.choose(STRINGS).unwrap().to_string(),
                1 => String::arbitrary(g),
                _ => format!("lineage/record/{}", u32::arbitrary(g)),
            }
        }
        let at = *g
            .choose(&[
                "2026-11-29T10:00:00Z",
                "2026-11-29T10:00:00.5Z",
                "2026-11-29T11:00:00+01:00",
                "2026-11-29t10:00:00z",
            ])
            .unwrap();
        let digest = format!("sha256:{:064x}", u64::arbitrary(g));
        let mut event = if bool::arbitrary(g) {
            let value = match u8::arbitrary(g) % 4 {
                0 => json!(bool::arbitrary(g)),
                1 => json!(*g.choose(NUMBERS).unwrap()),
                2 => json!(u64::arbitrary(g) % (MAX_SAFE_INTEGER + 1)),
                _ => json!(text(g)),
            };
            let mut finding = json!({"fact": text(g), "value": value,
                "source": {"system": text(g), "record": text(g), "digest": digest}});
            if bool::arbitrary(g) {
                finding["note"] = json!(text(g));
            }
            json!({"type": "finding", "at": at,
                "agent": {"role": text(g), "id": text(g)}, "finding": finding})
        } else {
            let kind = *g
                .choose(&[
                    "declare",
                    "delegate",
                    "review",
                    "accept",
                    "redirect",
                    "stand_down",
                ])
                .unwrap();
            json!({"type": "decision", "at": at, "kind": kind, "issuer": text(g),
                "token_digest": digest, "token": text(g)})
        };
        if bool::arbitrary(g) {
            event["clock"] = json!("supplied");
        }
        RecordEvent(event)
    }
}

/// Replay's typed check on lines holding real event records, unmodified and mutated: it agrees
/// with the reference check on every line, hands out every unmodified line's record, and takes
/// the one-pass path for every one the lean path accepts (so the property is not vacuous).
#[test]
fn typed_check_agrees_on_mutated_event_records() {
    fn prop(events: Vec<RecordEvent>, mutations: Vec<Mutation>) -> bool {
        journal_mutants(events.into_iter().map(|RecordEvent(e)| e), &mutations)
    }
    let tally = tallied(prop as fn(Vec<RecordEvent>, Vec<Mutation>) -> bool);
    // Every event record comes out typed; in one pass exactly when the lean path accepts it,
    // and that is most of them.
    assert_eq!(
        tally.typed_events,
        tally.lines - tally.genesis_lines,
        "{tally:?}"
    );
    assert_eq!(
        tally.typed_accepted, tally.lean_accepted_events,
        "{tally:?}"
    );
    assert!(tally.typed_accepted > tally.lines / 5, "{tally:?}");
    assert!(tally.refused > 5 * tally.lines, "{tally:?}");
}

/// The regression that motivated the reference check: extra whitespace inside `event`, with
/// the hash recomputed over the line's own member text, passed the old fast path.
#[test]
fn whitespace_in_event_with_a_matching_raw_hash_is_refused() {
    let mut m = MemoryJournal::new(genesis()).unwrap();
    append_to(&mut m, vec![ev(1)]).unwrap();
    let bytes = m.to_jsonl().unwrap();
    let line = std::str::from_utf8(lines(&bytes)[1]).unwrap().trim_end();
    let spaced = raw_reseal(&line.replace(r#""n":1"#, r#""n": 1"#));
    let prev = m.records()[0].hash.clone();
    for result in [
        fuzzing::check_line_fast(1, Some(&prev), spaced.as_bytes()),
        fuzzing::check_line_full(1, Some(&prev), spaced.as_bytes()),
    ] {
        assert!(
            matches!(result, Err(TamperReason::NotCanonical { .. })),
            "{result:?}"
        );
    }
    let mut file = lines(&bytes)[0].to_vec();
    file.extend_from_slice(spaced.as_bytes());
    file.push(b'\n');
    assert!(matches!(
        verify_records(&file[..]),
        Err(JournalError::Tampered { line: 2, .. })
    ));
}

/// The writer's hash splice (the hash member inserted into the JCS bytes of the unsealed
/// record) is the JCS serialisation of the whole record, for every seq width and both prevs.
#[test]
fn encoded_lines_equal_serde_jcs_of_the_record() {
    let genesis_rec = seal_batch(None, vec![genesis()]).unwrap().records.unwrap();
    for seq in [0u64, 1, 9, 10, 99, 100, 12_345, MAX_SAFE_INTEGER - 1] {
        let head = Record {
            seq: seq.saturating_sub(1),
            ..genesis_rec[0].clone()
        };
        let head = (seq > 0).then_some((head.seq, &head.hash));
        let entry = ev(seq % 1000);
        let encoded = vec![(entry.at, serde_jcs::to_vec(&entry.event).unwrap())];
        let Sealed {
            heads,
            records,
            lines,
            ends,
        } = seal_batch(head, vec![entry]).unwrap();
        assert_eq!(ends, [lines.len()]);
        let records = records.expect("sealed from values");
        let rec = &records[0];
        assert_eq!(heads, [(rec.seq, rec.hash.clone())]);
        // The same event given as its canonical bytes seals to the same line.
        let from_bytes = seal_encoded_batch(head, &encoded, b"stale".to_vec()).unwrap();
        assert_eq!(from_bytes.lines, lines, "seq {seq}");
        assert_eq!((from_bytes.heads, from_bytes.ends), (heads, ends));
        assert!(from_bytes.records.is_none());
        let expected = [serde_jcs::to_vec(rec).unwrap(), b"\n".to_vec()].concat();
        assert_eq!(lines, expected, "seq {seq}");
        assert_eq!(encode_line(rec).unwrap(), expected[..expected.len() - 1]);
        let checked = check_line(&lines[..lines.len() - 1]).unwrap();
        assert_eq!(checked.into_record(), *rec);
    }
    // Events the fast path must hand to serde_jcs (keys UTF-16 orders differently, integral
    // floats) and events it takes (escapes, non-ASCII values): both agree with serde_jcs.
    let head = (genesis_rec[0].seq, &genesis_rec[0].hash);
    for event in [
        serde_json::json!({"\u{ffff}": 1, "\u{10000}": 2, "a": [1.0, -3.0]}),
        serde_json::json!({"note": "tab\there \u{1f} \u{7f} € 😀 </script>", "n": [0, -9007199254740991_i64]}),
        serde_json::json!({"nested": {"z": {"y": [{"b": 1, "a": 2}]}}, "ü": true}),
    ] {
        let Sealed { records, lines, .. } =
            seal_batch(Some(head), vec![Entry::new(genesis_rec[0].at, event)]).unwrap();
        let records = records.expect("sealed from values");
        let expected = [serde_jcs::to_vec(&records[0]).unwrap(), b"\n".to_vec()].concat();
        assert_eq!(lines, expected);
    }
    let at_max = Record {
        seq: MAX_SAFE_INTEGER,
        ..genesis_rec[0].clone()
    };
    assert_eq!(
        seal_batch(Some((at_max.seq, &at_max.hash)), vec![ev(1)])
            .unwrap_err()
            .code(),
        ErrorCode::JournalEncode
    );
}

/// The file and the in-memory backend agree: the same batches sealed against the same head
/// give the same records and bytes, and a batch sealed against a stale or a future head is the
/// same conflict on both, writing nothing.
#[test]
fn memory_journal_behaves_like_file_backend() {
    let (_d, path) = tmp();
    let mut f = FileBackend::new(&path);
    let mut m = MemoryJournal::default();
    let genesis_batch = seal(None, vec![genesis()]).unwrap();
    f.append_batch(None, &genesis_batch).unwrap();
    m.append_batch(None, &genesis_batch).unwrap();
    for n in [3u64, 1, 0, 2] {
        let head = super::backend::head_of(m.records()).unwrap();
        let start = head.seq + 1;
        let batch = seal(Some(&head), (start..start + n).map(ev).collect()).unwrap();
        f.append_batch(Some(&head), &batch).unwrap();
        m.append_batch(Some(&head), &batch).unwrap();
        assert_eq!(read_file(&path).unwrap().records, m.records());
        let moved = super::backend::head_of(m.records()).unwrap();
        if moved == head {
            continue;
        }
        let stale = seal(Some(&head), vec![ev(0)]).unwrap();
        let ahead = JournalRef {
            seq: moved.seq + 1,
            head: moved.head.clone(),
        };
        for after in [&head, &ahead] {
            let fe = f.append_batch(Some(after), &stale).unwrap_err();
            let me = m.append_batch(Some(after), &stale).unwrap_err();
            assert_eq!(fe.code(), ErrorCode::JournalConflict);
            assert_eq!(format!("{fe:?}"), format!("{me:?}"));
        }
    }
    assert_eq!(
        m.append_batch(None, &genesis_batch).unwrap_err().code(),
        f.append_batch(None, &genesis_batch).unwrap_err().code()
    );
    assert_eq!(
        MemoryJournal::new(Entry::new(t(0), json!(1)))
            .unwrap_err()
            .code(),
        ErrorCode::JournalInvalidEvent
    );
    drop(f);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(m.to_jsonl().unwrap(), bytes);
    let (m2, torn) = MemoryJournal::from_jsonl(&bytes).unwrap();
    assert_eq!((m2, torn), (m, None));
}

#[test]
fn verify_records_reads_any_bufread() {
    let mut m = MemoryJournal::new(genesis()).unwrap();
    append_to(&mut m, (1..50).map(ev).collect()).unwrap();
    let bytes = m.to_jsonl().unwrap();
    let report = verify_records(std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(report.records, m.records());
    assert!(matches!(verify_records(&b""[..]), Err(JournalError::Empty)));
}

#[test]
fn error_codes_are_stable() {
    let io = JournalError::Io {
        path: None,
        source: io::Error::other("x"),
    };
    assert_eq!(io.code(), ErrorCode::JournalIo);
    assert_eq!(JournalError::Empty.code(), ErrorCode::JournalEmpty);
    assert_eq!(
        JournalError::Tampered {
            line: 3,
            reason: TamperReason::NotAnObject
        }
        .to_string(),
        "journal tampered at line 3 (seq 2): not a JSON object"
    );
}

#[test]
fn large_journal_opens_in_linear_time() {
    let (_d, path) = tmp();
    let mut j = Writer::create(&path, genesis()).unwrap();
    let n = 100_000u64;
    let t0 = Instant::now();
    for start in (1..n).step_by(5_000) {
        let end = (start + 5_000).min(n);
        j.append(start, (start..end).map(ev).collect()).unwrap();
    }
    let written = t0.elapsed();
    let head = j.head().cloned();
    drop(j);
    let t1 = Instant::now();
    let (j, torn) = open(&path).unwrap();
    let opened = t1.elapsed();
    assert_eq!(torn, None);
    assert_eq!(j.records().len() as u64, n);
    assert_eq!(j.head().cloned(), head);
    eprintln!("100k records: write {written:?}, open+verify {opened:?}");
    // Generous bound (debug-ish test profile); quadratic behaviour would be far slower.
    assert!(opened < Duration::from_secs(30), "{opened:?}");
}

/// Appends `entries` to an in-memory journal after its head, as a writer does with any backend.
fn append_to(m: &mut MemoryJournal, entries: Vec<Entry>) -> Result<Vec<Record>, JournalError> {
    let head = super::backend::head_of(m.records());
    let batch = seal(head.as_ref(), entries)?;
    m.append_batch(head.as_ref(), &batch)?;
    Ok(batch.records().to_vec())
}
