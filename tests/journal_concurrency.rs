//! One writer at a time (DESIGN §9): two concurrent `apply` processes on one journal. The
//! second waits for the first's OS lock, then reads the journal afresh and appends after it;
//! nothing is lost, duplicated or interleaved, and `verify` passes.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;
use support::*;

/// A running `apply`: its input (fed by a thread, so that a writer waiting for the lock never
/// blocks the test on a full pipe), its acknowledgements as they arrive, and its stderr.
struct Writer {
    child: Child,
    input: Option<Sender<Vec<u8>>>,
    acks: Receiver<Value>,
    stderr: JoinHandle<String>,
}

impl Writer {
    fn spawn(fx: &Fixture) -> Writer {
        let mut child = Command::new(BIN)
            .args(["apply", "--journal", fx.j()])
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

/// The writers' records each form one contiguous block (one writer at a time).
fn assert_blocks(writers: &[String]) {
    let mut blocks: Vec<&str> = Vec::new();
    for w in writers {
        if blocks.last() != Some(&w.as_str()) {
            blocks.push(w);
        }
    }
    let mut sorted = blocks.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        blocks.len(),
        "interleaved writers: {blocks:?}"
    );
}

const AT: i64 = T0 + 3_600;

#[test]
fn the_second_writer_waits_for_the_lock_then_appends_after_the_first() {
    const N: usize = 200;
    let fx = Fixture::new();
    fx.init(T0);

    let mut a = Writer::spawn(&fx);
    a.send(&findings("writer-a", 0, N / 2, |_| AT));
    let first = a.expect_acks(N / 2);
    assert_eq!(first[0]["seq"], 1);

    // B has all its input, but A holds the lock: B must wait, writing and printing nothing.
    let mut b = Writer::spawn(&fx);
    b.send(&findings("writer-b", 0, N, |_| AT));
    b.close();
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        b.child.try_wait().unwrap().is_none(),
        "B finished while A held the lock"
    );
    assert!(
        b.acks.try_recv().is_err(),
        "B acknowledged while A held the lock"
    );
    assert_eq!(journal_records(&fx.journal).len(), 1 + N / 2);

    // A goes on writing while B waits.
    a.send(&findings("writer-a", N / 2, N / 2, |_| AT));
    let (code, rest, stderr) = a.finish();
    assert_eq!(code, Some(0), "A: {stderr}");
    let a_acks: Vec<Value> = first.into_iter().chain(rest).collect();
    assert_eq!(a_acks.len(), N);

    let (code, b_acks, stderr) = b.finish();
    assert_eq!(code, Some(0), "B: {stderr}");
    assert_eq!(b_acks.len(), N);
    // B read A's records after taking the lock and appended after them.
    for (i, ack) in a_acks.iter().enumerate() {
        assert_eq!(ack["seq"], json!(i + 1));
    }
    for (i, ack) in b_acks.iter().enumerate() {
        assert_eq!(ack["seq"], json!(N + i + 1));
    }
    let writers = check_journal(&fx, &[("writer-a", &a_acks[..]), ("writer-b", &b_acks[..])]);
    assert_eq!(writers.len(), 2 * N);
    assert_blocks(&writers);
}

#[test]
fn racing_writers_both_complete_without_loss_or_interleaving() {
    const N: usize = 300;
    let mut first_writers = Vec::new();
    for round in 0..6 {
        let fx = Fixture::new();
        fx.init(T0);
        // Same `at` everywhere: either order is time-consistent.
        let mut a = Writer::spawn(&fx);
        let mut b = Writer::spawn(&fx);
        a.send(&findings("writer-a", 0, N, |_| AT));
        b.send(&findings("writer-b", 0, N, |_| AT));
        // Close both before waiting on either: whichever holds the lock must see EOF.
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
        assert_blocks(&writers);
        first_writers.push(writers[0].clone());
    }
    eprintln!("first writer per round: {first_writers:?}");
}

#[test]
fn a_waiting_writer_whose_times_precede_the_first_is_rejected_and_writes_nothing() {
    const N: usize = 50;
    let fx = Fixture::new();
    fx.init(T0);

    // A (later times) holds the lock; B (earlier times) waits for it.
    let mut a = Writer::spawn(&fx);
    a.send(&findings("writer-a", 0, N, |i| AT + 1_000 + i as i64));
    let first = a.expect_acks(N);
    let mut b = Writer::spawn(&fx);
    b.send(&findings("writer-b", 0, N, |i| AT + i as i64));
    b.close();
    std::thread::sleep(Duration::from_millis(200));
    assert!(b.child.try_wait().unwrap().is_none(), "B did not wait");
    let (code, rest, stderr) = a.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(rest.is_empty());
    let len = journal_len(&fx.journal);

    // B now sees A's records; its first command is earlier than the case's last event.
    let (code, b_acks, stderr) = b.finish();
    assert_eq!(code, Some(3), "{stderr}");
    let err: Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "time_regression", "{err}");
    assert!(b_acks.is_empty());
    assert_eq!(
        journal_len(&fx.journal),
        len,
        "the rejected writer wrote nothing"
    );
    let writers = check_journal(&fx, &[("writer-a", &first[..]), ("writer-b", &b_acks[..])]);
    assert_eq!(writers.len(), N);
}
