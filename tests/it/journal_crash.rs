//! Crash safety (DESIGN §9): an `apply` writer killed with SIGKILL at a random moment while
//! bulk findings stream in on stdin never loses an acknowledged record, never leaves a journal
//! that fails `verify`, and a later writer drops any torn tail (a line cut short mid-JSON),
//! completes a record that lacks only its newline, and continues the chain.

use crate::support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const ROUNDS: u64 = 24;
const FINDINGS: i64 = 2_000;

/// splitmix64: a deterministic generator for the kill delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn bulk(i: i64) -> String {
    finding(
        T0 + 1 + i,
        &format!("lineage-bulk-{}", i % 7),
        "lineage.internal_packages_in_window",
        json!(i),
        &format!("lineage/internal/bulk/{i:05}"),
        "bulk lineage record",
    )
}

/// The journal's complete lines (parsed) and the bytes after the last newline.
fn split_journal(path: &Path) -> (Vec<Value>, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let cut = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let complete = json_lines(&text(&bytes[..cut]));
    (complete, bytes[cut..].to_vec())
}

fn verify_json(fx: &Fixture) -> Value {
    serde_json::from_str(&ok(&fx.verify())).unwrap()
}

struct RoundResult {
    acknowledged: usize,
    torn: bool,
}

fn crash_round(round: u64, delay: Duration) -> RoundResult {
    let fx = Fixture::new();
    fx.init(T0);

    let mut child = Command::new(BIN)
        .args(["apply", "--journal", fx.j()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Stream in chunks so that the child sees many partial batches; stop when it dies.
        for chunk in (0..FINDINGS).collect::<Vec<_>>().chunks(50) {
            let mut buf = Vec::new();
            for &i in chunk {
                buf.extend_from_slice(bulk(i).as_bytes());
                buf.push(b'\n');
            }
            if stdin.write_all(&buf).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
    });
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                // A line cut by the kill was not acknowledged.
                Ok(_) if !line.ends_with('\n') => break,
                Ok(_) => acks.push(serde_json::from_str::<Value>(&line).unwrap()),
            }
        }
        acks
    });
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    let acks = reader.join().unwrap();
    writer.join().unwrap();

    // verify passes; a torn tail is allowed and reported; a last record that lacks only its
    // newline is a record.
    let v = verify_json(&fx);
    let (mut records, tail) = split_journal(&fx.journal);
    let unterminated = serde_json::from_slice::<Value>(&tail).ok();
    let torn = !tail.is_empty() && unterminated.is_none();
    if let Some(record) = unterminated {
        assert_eq!(v["torn_tail"], Value::Null, "round {round}: {v}");
        records.push(record);
    } else if torn {
        let t = &v["torn_tail"];
        assert_eq!(t["len"], json!(tail.len()), "round {round}: {v}");
        let offset = std::fs::metadata(&fx.journal).unwrap().len() - tail.len() as u64;
        assert_eq!(t["offset"], json!(offset), "round {round}: {v}");
    } else {
        assert_eq!(v["torn_tail"], Value::Null, "round {round}: {v}");
    }
    assert_eq!(v["records"], json!(records.len()), "round {round}");

    // Every acknowledged seq is in the journal, with the event that was printed.
    let s = fx.status();
    let head = s["seq"].as_u64().unwrap();
    assert_eq!(head as usize, records.len() - 1);
    let mut previous = 0u64;
    for a in &acks {
        let seq = a["seq"].as_u64().unwrap();
        // Consecutive, but for the checkpoint records writers add between batches.
        assert!(seq > previous, "round {round}: acks in order");
        for skipped in previous + 1..seq {
            assert_eq!(
                records[skipped as usize]["event"]["type"], "checkpoint",
                "round {round}: record {skipped} between acknowledgements"
            );
        }
        previous = seq;
        assert!(
            seq <= head,
            "round {round}: acknowledged seq {seq} lost (head {head})"
        );
        assert_eq!(
            records[seq as usize]["event"], a["events"][0],
            "round {round}"
        );
    }
    // The journal holds a prefix of the input, in order (with checkpoints between batches).
    let findings: Vec<&Value> = records
        .iter()
        .skip(1)
        .filter(|r| r["event"]["type"] != "checkpoint")
        .collect();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], json!(i));
    }
    for (k, r) in findings.iter().enumerate() {
        assert_eq!(
            r["event"]["finding"]["value"],
            json!(k),
            "round {round}: finding {k}"
        );
    }
    if status.success() {
        assert_eq!(
            acks.len(),
            FINDINGS as usize,
            "round {round}: a clean exit read all"
        );
        assert_eq!(findings.len(), FINDINGS as usize);
    }

    // A later writer (empty input) drops the torn tail or completes the last record, and keeps
    // the chain.
    ok(&fx.apply(b""));
    let (after, tail) = split_journal(&fx.journal);
    assert!(tail.is_empty(), "round {round}: torn tail not dropped");
    assert_eq!(after, records, "round {round}: complete records changed");
    assert_eq!(verify_json(&fx)["torn_tail"], Value::Null);

    // Simulate a crash mid-write of the next record: a strict prefix of a well-formed line.
    let last = records.last().unwrap().clone();
    let mut next = last.clone();
    next["seq"] = json!(last["seq"].as_u64().unwrap() + 1);
    next["prev"] = last["hash"].clone();
    let next_line = serde_jcs::to_vec(&next).unwrap();
    let cut = 1 + (round as usize * 37) % (next_line.len() - 1);
    let before = journal_len(&fx.journal);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&fx.journal)
        .unwrap()
        .write_all(&next_line[..cut])
        .unwrap();
    let v = verify_json(&fx);
    assert_eq!(v["torn_tail"], json!({"offset": before, "len": cut}), "{v}");
    assert_eq!(v["records"], json!(records.len()));
    // status reads past it too.
    assert_eq!(fx.status()["seq"], json!(records.len() - 1));

    // The next writer truncates it and appends on the verified head.
    let out = fx.apply_ok(&[finding(
        T0 + 100_000,
        "lineage-after-crash",
        "lineage.internal_packages_in_window",
        json!(1),
        "lineage/after-crash",
        "after the crash",
    )]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["seq"], json!(records.len()));
    let (after, tail) = split_journal(&fx.journal);
    assert!(tail.is_empty());
    assert_eq!(after.len(), records.len() + 1);
    assert_eq!(&after[..records.len()], &records[..]);
    assert_eq!(after.last().unwrap()["prev"], last["hash"]);
    let v = verify_json(&fx);
    assert_eq!(v["torn_tail"], Value::Null);
    assert_eq!(v["records"], json!(records.len() + 1));

    RoundResult {
        acknowledged: acks.len(),
        torn,
    }
}

#[test]
fn sigkill_during_bulk_apply_loses_no_acknowledged_record() {
    let started = Instant::now();
    let mut rng = Rng(0x5eed_a11e_0000_0001);
    let mut results = Vec::new();
    for round in 0..ROUNDS {
        // 1..=200 ms, spread over the range deterministically.
        let delay = Duration::from_millis(1 + rng.next() % 200);
        let r = crash_round(round, delay);
        results.push((delay, r));
    }
    let mid_stream = results
        .iter()
        .filter(|(_, r)| r.acknowledged > 0 && r.acknowledged < FINDINGS as usize)
        .count();
    let torn = results.iter().filter(|(_, r)| r.torn).count();
    eprintln!(
        "{ROUNDS} rounds in {:?}: {mid_stream} killed mid-stream after some acknowledgements, \
         {torn} left a torn tail; acknowledged per round: {:?}",
        started.elapsed(),
        results
            .iter()
            .map(|(d, r)| (d.as_millis(), r.acknowledged))
            .collect::<Vec<_>>()
    );
    assert!(
        mid_stream >= 3,
        "too few rounds killed mid-stream ({mid_stream}); the test is not exercising crashes"
    );
}

/// A crash between writing a record and its newline (or a lost final newline) leaves a
/// complete, valid, chained record that may have been acknowledged: readers count it, the next
/// writer completes it with a newline and appends after it. It is never dropped.
#[test]
fn a_record_missing_only_its_newline_is_completed_never_dropped() {
    let fx = Fixture::new();
    fx.init(T0);
    let acks = fx.apply_ok(&(0..3).map(bulk).collect::<Vec<_>>());
    assert_eq!(acks.last().unwrap()["seq"], 3);
    let whole = std::fs::read(&fx.journal).unwrap();
    std::fs::write(&fx.journal, &whole[..whole.len() - 1]).unwrap();

    let v = verify_json(&fx);
    assert_eq!(v["records"], 4, "{v}");
    assert_eq!(v["seq"], 3, "{v}");
    assert_eq!(v["torn_tail"], Value::Null, "{v}");
    assert_eq!(fx.status()["seq"], 3);

    // The next writer completes the record before appending after it.
    let out = fx.apply_ok(&[bulk(3)]);
    assert_eq!(out[0]["seq"], 4);
    let after = std::fs::read(&fx.journal).unwrap();
    assert_eq!(
        after[..whole.len()],
        whole[..],
        "the record was kept, its newline added"
    );
    let records = journal_records(&fx.journal);
    assert_eq!(records.len(), 5);
    assert_eq!(records[4]["prev"], records[3]["hash"]);
    assert_eq!(verify_json(&fx)["records"], 5);

    // So does a writer with nothing to write.
    std::fs::write(&fx.journal, &after[..after.len() - 1]).unwrap();
    ok(&fx.apply(b""));
    assert_eq!(std::fs::read(&fx.journal).unwrap(), after);
}
