//! Unit tests for the journal.

use super::*;
use chrono::TimeZone;
use serde_json::json;
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
    let mut j = FileJournal::create(path, genesis()).unwrap();
    j.append(1, vec![ev(1), ev(2)]).unwrap();
    j.records().to_vec()
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

/// Re-hashes a record object (ignoring any `hash` in it) and returns its line, without `\n`.
fn reseal(mut v: Value) -> String {
    let obj = v.as_object_mut().unwrap();
    obj.remove("hash");
    let h = Digest::of_canonical(&*obj).unwrap();
    obj.insert("hash".into(), json!(h));
    serde_json::to_string(&v).unwrap()
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
    let mut j = FileJournal::create(&path, genesis()).unwrap();
    assert_eq!(j.next_seq(), 1);
    let b1 = j.append(1, vec![ev(1), ev(2), ev(3)]).unwrap();
    assert_eq!(b1.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let mut sub = ev(4);
    sub.at = Utc.timestamp_opt(1_735_689_604, 123_456_789).unwrap(); // fractional seconds
    j.append(4, vec![sub]).unwrap();
    assert!(j.append(5, vec![]).unwrap().is_empty());
    let written = j.records().to_vec();
    drop(j);

    let (j2, torn) = FileJournal::open(&path).unwrap();
    assert_eq!(torn, None);
    assert_eq!(j2.records(), &written[..]);
    assert_eq!(j2.head().map(|r| r.seq), Some(4));
    assert_eq!(FileJournal::read(&path).unwrap().records, written);

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
    let err = FileJournal::create(&path, genesis()).unwrap_err();
    assert!(matches!(err, JournalError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(err.code(), "journal_exists");
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
            let got = FileJournal::read(&path);
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
        FileJournal::read(&path)
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
    assert!(matches!(FileJournal::read(&path), Err(JournalError::Empty)));
    assert!(matches!(FileJournal::open(&path), Err(JournalError::Empty)));
    std::fs::write(&path, &plain[0].as_bytes()[..20]).unwrap();
    let err = FileJournal::read(&path).unwrap_err();
    assert_eq!(err.code(), "journal_empty");

    // A writer refuses a tampered file too (and does not modify it).
    let mut v = vals[1].clone();
    v["event"]["n"] = json!(99);
    write(&[plain[0].clone(), v.to_string(), plain[2].clone()]).unwrap_err();
    let before = std::fs::read(&path).unwrap();
    let err = FileJournal::open(&path).unwrap_err();
    assert_eq!(err.code(), "journal_tampered");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn torn_tail_reported_by_read_truncated_by_open() {
    let (_d, path) = tmp();
    let recs = small(&path);
    let good = std::fs::read(&path).unwrap();

    // The line the next append would write, cut at several points (including "all but `\n`").
    let mut mem = MemoryJournal::from_jsonl(&good).unwrap().0;
    mem.append(3, vec![ev(3)]).unwrap();
    let full = mem.to_jsonl().unwrap();
    let next_line = &full[good.len()..];
    for cut in [1, next_line.len() / 2, next_line.len() - 1] {
        let mut bytes = good.clone();
        bytes.extend_from_slice(&next_line[..cut]);
        std::fs::write(&path, &bytes).unwrap();
        let torn = TornTail {
            offset: good.len() as u64,
            len: cut as u64,
        };

        let report = FileJournal::read(&path).unwrap();
        assert_eq!(report.records, recs);
        assert_eq!(report.torn_tail, Some(torn));
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "read must not modify");

        let (mut j, t) = FileJournal::open(&path).unwrap();
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
        let after = FileJournal::read(&path).unwrap();
        assert_eq!(after.torn_tail, None);
        assert_eq!(after.records.len(), 4);
        std::fs::write(&path, &good).unwrap();
    }
}

#[test]
fn conflict_writes_nothing() {
    let (_d, path) = tmp();
    small(&path);
    let before = std::fs::read(&path).unwrap();
    let (mut j, _) = FileJournal::open(&path).unwrap();
    for wrong in [0, 1, 2, 4, u64::MAX] {
        let err = j.append(wrong, vec![ev(9)]).unwrap_err();
        assert!(
            matches!(err, JournalError::Conflict { expected, actual: 3 } if expected == wrong),
            "{err:?}"
        );
        assert_eq!(err.code(), "journal_conflict");
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

#[test]
fn second_writer_waits_for_the_first() {
    let (_d, path) = tmp();
    small(&path);
    let (mut first, _) = FileJournal::open(&path).unwrap();
    assert!(matches!(
        FileJournal::try_open(&path),
        Err(JournalError::Locked { .. })
    ));

    let (tx, rx) = mpsc::channel();
    let p2 = path.clone();
    let second = std::thread::spawn(move || {
        let (mut j, torn) = FileJournal::open(&p2).unwrap();
        tx.send(Instant::now()).unwrap();
        assert_eq!(torn, None);
        // Sees everything the first writer appended, then continues the chain.
        let seq = j.next_seq();
        j.append(seq, vec![ev(100)]).unwrap();
        j.records().to_vec()
    });

    // The second writer is blocked while the first holds the lock.
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    first.append(3, vec![ev(3), ev(4)]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(rx.try_recv().is_err());
    let first_recs = first.records().to_vec();
    let released = Instant::now();
    drop(first);

    let acquired = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(acquired >= released);
    let second_recs = second.join().unwrap();
    assert_eq!(second_recs[..5], first_recs[..]);
    assert_eq!(second_recs[5].seq, 5);
    assert_eq!(second_recs[5].prev.as_ref(), Some(&first_recs[4].hash));
    let report = FileJournal::read(&path).unwrap();
    assert_eq!(report.records, second_recs);
    assert_eq!(report.torn_tail, None);
}

#[test]
fn writer_detects_lock_ignoring_modification() {
    let (_d, path) = tmp();
    small(&path);
    let (mut j, _) = FileJournal::open(&path).unwrap();
    // Something that ignores the advisory lock appends behind the writer's back.
    let mut rogue = OpenOptions::new().append(true).open(&path).unwrap();
    rogue.write_all(b"{}\n").unwrap();
    let err = j.append(3, vec![ev(3)]).unwrap_err();
    assert_eq!(err.code(), "journal_modified");
}

#[test]
fn read_does_not_wait_for_a_writer() {
    let (_d, path) = tmp();
    small(&path);
    let (_writer, _) = FileJournal::open(&path).unwrap();
    assert_eq!(FileJournal::read(&path).unwrap().records.len(), 3);
}

#[test]
fn hash_is_independent_of_formatting() {
    let (_d, path) = tmp();
    let mut j = FileJournal::create(&path, genesis()).unwrap();
    j.append(
        1,
        vec![Entry::new(
            t(1),
            json!({"b": "ä", "a": [10, true, null], "z": {"y": 1, "x": 2}}),
        )],
    )
    .unwrap();
    let recs = j.records().to_vec();
    drop(j);
    let bytes = std::fs::read(&path).unwrap();
    let first = String::from_utf8(lines(&bytes)[0].to_vec()).unwrap();
    let r = &recs[1];
    // Same content: keys reversed, extra whitespace, `\u` escapes, `1e1` for 10, `\/`.
    let at = r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let rewritten = format!(
        "{{ \"hash\" : \"{}\",\t\"event\": {{\"z\": {{\"x\": 2, \"y\": 1}}, \"a\": [1e1, true, null], \"b\": \"\\u00e4\"}},  \"prev\": \"{}\", \"at\":\"{}\", \"seq\" : 1 }} \n",
        r.hash,
        recs[0].hash.as_str().replace('/', "\\/"),
        at
    );
    std::fs::write(&path, format!("{first}{rewritten}")).unwrap();
    let report = FileJournal::read(&path).unwrap();
    assert_eq!(report.torn_tail, None);
    assert_eq!(report.records[1].hash, r.hash);
    assert_eq!(report.records[1].at, r.at);
    // And a writer can continue from it.
    let (mut j, _) = FileJournal::open(&path).unwrap();
    j.append(2, vec![ev(2)]).unwrap();
    drop(j);
    assert_eq!(FileJournal::read(&path).unwrap().records.len(), 3);
}

#[test]
fn memory_journal_behaves_like_file_journal() {
    let (_d, path) = tmp();
    let mut f = FileJournal::create(&path, genesis()).unwrap();
    let mut m = MemoryJournal::new(genesis()).unwrap();
    for n in [3u64, 1, 0, 2] {
        let start = f.next_seq();
        assert_eq!(start, m.next_seq());
        let batch: Vec<Entry> = (start..start + n).map(ev).collect();
        assert_eq!(
            f.append(start, batch.clone()).unwrap(),
            m.append(start, batch).unwrap()
        );
        for stale in [start, start + n + 1] {
            if stale == start + n {
                continue;
            }
            let fe = f.append(stale, vec![ev(0)]).unwrap_err();
            let me = m.append(stale, vec![ev(0)]).unwrap_err();
            assert_eq!(fe.code(), "journal_conflict");
            assert_eq!(format!("{fe:?}"), format!("{me:?}"));
        }
    }
    assert_eq!(f.records(), m.records());
    assert_eq!(f.head(), m.head());
    assert_eq!(
        m.append(0, vec![ev(1)]).unwrap_err().code(),
        f.append(0, vec![ev(1)]).unwrap_err().code()
    );
    assert_eq!(
        MemoryJournal::new(Entry::new(t(0), json!(1)))
            .unwrap_err()
            .code(),
        "journal_invalid_event"
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
    m.append(1, (1..50).map(ev).collect()).unwrap();
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
    assert_eq!(io.code(), "journal_io");
    assert_eq!(JournalError::Empty.code(), "journal_empty");
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
    let mut j = FileJournal::create(&path, genesis()).unwrap();
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
    let (j, torn) = FileJournal::open(&path).unwrap();
    let opened = t1.elapsed();
    assert_eq!(torn, None);
    assert_eq!(j.records().len() as u64, n);
    assert_eq!(j.head().cloned(), head);
    eprintln!("100k records: write {written:?}, open+verify {opened:?}");
    // Generous bound (debug-ish test profile); quadratic behaviour would be far slower.
    assert!(opened < Duration::from_secs(30), "{opened:?}");
}
