//! The PostgreSQL store through the CLI, against a real server (DESIGN §14): the lifecycle
//! byte for byte as the file journal writes it, eight writers racing reviews and an accept,
//! writers killed at random moments, and the server crashing mid-stream.
//!
//! The server is `AUTHORITY_LANE_PG_URL` (CI sets it) or a private throwaway cluster; each test
//! works in its own fresh database. See `support/pg.rs`.
#![cfg(feature = "postgres")]

use crate::support;
use crate::support::db;
use crate::support::pg;
use db::Db;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

fn args(parts: &[&str], rest: &[String]) -> Vec<String> {
    parts
        .iter()
        .map(|p| (*p).to_owned())
        .chain(rest.iter().cloned())
        .collect()
}

/// `init` of the case on `location`, declared by SAM at `iat` (the declaration is written once
/// per fixture and reused), with `--at` if given.
fn init(fx: &Fixture, location: &[String], iat: i64, at: Option<&str>) -> std::process::Output {
    let token_file = fx.path("declare.jws");
    if !token_file.exists() {
        std::fs::write(&token_file, token(&SAM, iat, declare())).unwrap();
    }
    let mut a = args(
        &[
            "init",
            "--workflow",
            fx.workflow.to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
            "--token",
            token_file.to_str().unwrap(),
        ],
        location,
    );
    if let Some(at) = at {
        a.extend(["--at".to_owned(), at.to_owned()]);
    }
    run(&a, None)
}

fn apply(location: &[String], input: &[u8], at: Option<&str>) -> std::process::Output {
    let mut a = args(&["apply"], location);
    if let Some(at) = at {
        a.extend(["--at".to_owned(), at.to_owned()]);
    }
    run(&a, Some(input))
}

fn status(location: &[String]) -> Value {
    serde_json::from_str(&ok(&run(&args(&["status"], location), None))).unwrap()
}

fn anchored(fx: &Fixture, command: &str, location: &[String]) -> Vec<String> {
    let mut a = args(&[command], location);
    a.extend([
        "--workflow".into(),
        fx.workflow.to_str().unwrap().into(),
        "--trust".into(),
        fx.trust.to_str().unwrap().into(),
    ]);
    a
}

/// `export` of the case, as bytes.
fn export(db: &Db) -> Vec<u8> {
    let out = run(&args(&["export"], &db.at(CASE_ID)), None);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    out.stdout
}

/// Exports the case to a file and `verify`s it against the fixture's anchors; returns the
/// verify output and the journal's records.
fn export_verifies(fx: &Fixture, db: &Db) -> (Value, Vec<Value>) {
    let file = fx.path("exported.jsonl");
    std::fs::write(&file, export(db)).unwrap();
    let loc = vec!["--journal".to_owned(), file.to_str().unwrap().to_owned()];
    let verified: Value = serde_json::from_str(&ok(&run(&anchored(fx, "verify", &loc), None)))
        .expect("verify prints JSON");
    assert_eq!(verified["ok"], true);
    (verified, journal_records(&file))
}

/// The same scenario, with the same supplied clock, through a journal file and through
/// PostgreSQL: every output agrees and the export is the file byte for byte.
#[test]
fn lifecycle_on_postgres_exports_the_file_journal_byte_for_byte() {
    let server = pg::url();
    let db = Db::on(&server);
    let fx = Fixture::new();
    let file = vec!["--journal".to_owned(), fx.j().to_owned()];
    let store = db.at(CASE_ID);

    let a = ok(&init(&fx, &file, T0, Some(&ts(T0))));
    // init takes the case id from the declaration: no --case needed.
    let b = ok(&init(&fx, &db.at(CASE_ID)[..2], T0, Some(&ts(T0))));
    assert_eq!(a, b);
    // A second init of the same case: refused, nothing written.
    failed_with(&init(&fx, &store, T0, Some(&ts(T0))), 2, "journal_exists");

    let findings = lines(&required_findings(T0 + 60));
    let at = ts(T0 + 300);
    assert_eq!(
        ok(&apply(&file, &findings, Some(&at))),
        ok(&apply(&store, &findings, Some(&at)))
    );
    let s = status(&store);
    assert_eq!(s, status(&file));
    let digest = s["draft_digest"].as_str().expect("a draft").to_owned();
    let owner = s["decision_owner"]["holders"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let acceptor = TRUSTED.iter().find(|p| p.id == owner).unwrap();
    let lane = s["recommended_lane"].as_str().unwrap().to_owned();

    let at = T0 + 400;
    let decisions = lines(&[
        decision(at, &token(&LEE, at, review(&digest))),
        decision(at, &token(&INES, at, review(&digest))),
        decision(at, &token(acceptor, at, accept(&lane, &digest))),
    ]);
    assert_eq!(
        ok(&apply(&file, &decisions, Some(&ts(at)))),
        ok(&apply(&store, &decisions, Some(&ts(at))))
    );
    let s = status(&store);
    assert_eq!(s["state"], "accepted", "{s}");
    assert_eq!(s, status(&file));

    // A rejected command: same code, same exit, nothing written on either (an accepted case
    // takes no more decisions).
    let late = lines(&[decision(at + 10, &token(&INES, at + 10, review(&digest)))]);
    for location in [&file, &store] {
        failed_with(
            &apply(location, &late, Some(&ts(at + 10))),
            3,
            "case_closed",
        );
    }

    for command in ["packet", "verify"] {
        assert_eq!(
            ok(&run(&anchored(&fx, command, &file), None)),
            ok(&run(&anchored(&fx, command, &store), None)),
            "{command}"
        );
    }
    let packet_md = |loc: &[String]| {
        let mut a = anchored(&fx, "packet", loc);
        a.extend(["--format".into(), "markdown".into()]);
        ok(&run(&a, None))
    };
    assert_eq!(packet_md(&file), packet_md(&store));
    assert_eq!(
        export(&db),
        std::fs::read(&fx.journal).unwrap(),
        "the export is the file journal byte for byte"
    );
    export_verifies(&fx, &db);
}

/// Opening a case that is not there, or a store that is not PostgreSQL: clear errors.
#[test]
fn missing_cases_and_bad_urls_fail_clearly() {
    let server = pg::url();
    let db = Db::on(&server);
    ok(&run(&["store", "migrate", "--store", &db.url], None));
    let out = run(&args(&["status"], &db.at(CASE_ID)), None);
    failed_with(&out, 4, "journal_empty");
    let out = run(
        &[
            "status",
            "--store",
            "mysql://root@127.0.0.1/test",
            "--case",
            "x",
        ],
        None,
    );
    failed_with(&out, 2, "usage");
    let out = run(&["status", "--store", &db.url], None);
    failed_with(&out, 2, "usage");
    // Nothing listens on port 1.
    let out = run(
        &[
            "status",
            "--store",
            "postgres://root@127.0.0.1:1/test",
            "--case",
            "x",
        ],
        None,
    );
    let code = failed(&out, 2);
    assert_eq!(code, "journal_io", "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("127.0.0.1:1"),
        "{}",
        describe(&out)
    );
}

/// Unix seconds now (the server's clock is the case clock in the racing tests).
fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A lineage finding whose source record names the worker and the line, so the journal can be
/// checked for it exactly once.
fn tagged_finding(worker: usize, i: usize) -> String {
    finding(
        now(),
        &format!("lineage-agent-{worker}"),
        "lineage.internal_packages_in_window",
        json!(14),
        &format!("w{worker}/{i}"),
        "an internal package signed in the window",
    )
}

/// The source records of the findings in a set of `apply` result lines.
fn acknowledged_records(stdout: &str) -> Vec<String> {
    json_lines(stdout)
        .iter()
        .flat_map(|line| line["events"].as_array().unwrap().clone())
        .filter(|e| e["type"] == "finding")
        .map(|e| {
            e["finding"]["source"]["record"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// How many times each tagged source record is in the journal.
fn journal_findings(records: &[Value]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for r in records {
        if r["event"]["type"] == "finding" {
            let record = r["event"]["finding"]["source"]["record"].as_str().unwrap();
            if record.starts_with('w') {
                *seen.entry(record.to_owned()).or_default() += 1;
            }
        }
    }
    seen
}

fn opened_case(fx: &Fixture, db: &Db) {
    let t = now();
    ok(&init(fx, &db.at(CASE_ID), t, None));
    ok(&apply(&db.at(CASE_ID), &lines(&required_findings(t)), None));
}

/// Eight `apply` processes stream 500 findings each into one case while reviews and an accept
/// race them: every acknowledged command is in the journal exactly once, nothing
/// unacknowledged is, the chain and the export verify, and the store's state is what a
/// sequential replay of the exported journal gives.
#[test]
fn eight_writers_and_racing_decisions_lose_nothing() {
    let server = pg::url();
    let db = Db::on(&server);
    let fx = Fixture::new();
    opened_case(&fx, &db);

    let writers: Vec<_> = (0..8)
        .map(|w| {
            let input = lines(&(0..500).map(|i| tagged_finding(w, i)).collect::<Vec<_>>());
            let location = db.at(CASE_ID);
            std::thread::spawn(move || apply(&location, &input, None))
        })
        .collect();
    // The decisions race the writers: review and accept whatever the draft is now; a
    // stale digest is refused (exit 3) and retried until the case is accepted.
    let location = db.at(CASE_ID);
    let decider = std::thread::spawn(move || {
        // Start once some writer has appended (beyond the 3 setup findings), so that the
        // decisions race live writers: deciding before any writer process has started could
        // close the case with no finding of theirs acknowledged.
        for _ in 0..600 {
            if status(&location)["findings"].as_u64().unwrap_or(0) > 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut acknowledged = 0;
        for _ in 0..200 {
            let s = status(&location);
            if s["state"] == "accepted" {
                break;
            }
            let digest = s["draft_digest"].as_str().unwrap().to_owned();
            let owner = s["decision_owner"]["holders"][0]
                .as_str()
                .unwrap()
                .to_owned();
            let lane = s["recommended_lane"].as_str().unwrap().to_owned();
            let acceptor = TRUSTED.iter().find(|p| p.id == owner).unwrap();
            let t = now();
            let out = apply(
                &location,
                &lines(&[
                    decision(t, &token(&LEE, t, review(&digest))),
                    decision(t, &token(&INES, t, review(&digest))),
                    decision(t, &token(acceptor, t, accept(&lane, &digest))),
                ]),
                None,
            );
            acknowledged += json_lines(&text(&out.stdout)).len();
            if out.status.code() != Some(0) {
                let code = failed(&out, 3);
                assert!(
                    [
                        "stale_approval",
                        "not_allowed_in_state",
                        "duplicate_approver"
                    ]
                    .contains(&code.as_str()),
                    "{}",
                    describe(&out)
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        acknowledged
    });

    let mut acknowledged = Vec::new();
    for w in writers {
        let out = w.join().unwrap();
        if out.status.code() != Some(0) {
            // An accepted case still records findings (DESIGN §15); a refusal is `case_closed`.
            failed_with(&out, 3, "case_closed");
        }
        acknowledged.extend(acknowledged_records(&text(&out.stdout)));
    }
    let decisions = decider.join().unwrap();
    let s = status(&db.at(CASE_ID));
    assert_eq!(s["state"], "accepted", "the decisions got through: {s}");

    let (verified, records) = export_verifies(&fx, &db);
    let in_journal = journal_findings(&records);
    assert!(
        in_journal.values().all(|&n| n == 1),
        "a finding written twice"
    );
    let acknowledged_set: BTreeSet<String> = acknowledged.iter().cloned().collect();
    assert_eq!(
        acknowledged.len(),
        acknowledged_set.len(),
        "acknowledged twice"
    );
    assert_eq!(
        acknowledged_set,
        in_journal.keys().cloned().collect::<BTreeSet<_>>(),
        "the journal holds exactly the acknowledged findings"
    );
    assert!(!acknowledged.is_empty());
    // Every record is one acknowledged command's event: genesis + 3 setup findings +
    // acknowledged findings + acknowledged decisions' events (a review or accept is one event),
    // besides the checkpoints writers add.
    let events = records
        .iter()
        .filter(|r| r["event"]["type"] != "checkpoint")
        .count();
    assert_eq!(events, 1 + 3 + acknowledged.len() + decisions);
    // The store's state is the sequential replay's.
    for key in ["state", "path", "seq", "head"] {
        assert_eq!(s[key], verified[key], "{key}");
    }
    assert_eq!(s["draft_digest"], verified["draft_digest"]);
}

/// `apply` as a child process fed from a pipe, its acknowledgements read as they come.
struct Writer {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    acks: std::sync::mpsc::Receiver<String>,
}

impl Writer {
    fn spawn(location: &[String]) -> Writer {
        let mut child = Command::new(BIN)
            .args(args(&["apply"], location))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, acks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Writer { child, stdin, acks }
    }

    /// Writes command lines; false once the writer stopped reading.
    fn send(&mut self, commands: &[String]) -> bool {
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        stdin.write_all(&lines(commands)).is_ok() && stdin.flush().is_ok()
    }

    /// Waits for `n` acknowledgements (or the writer's end) and returns what came.
    fn acks(&self, n: usize, within: Duration) -> Vec<String> {
        let mut got = Vec::new();
        while got.len() < n {
            match self.acks.recv_timeout(within) {
                Ok(line) => got.push(line),
                Err(_) => break,
            }
        }
        got
    }

    fn drain(&self) -> Vec<String> {
        self.acks.try_iter().collect()
    }
}

/// Writers SIGKILLed at random moments, 24 rounds: whatever they acknowledged is in the
/// journal exactly once, the chain verifies after every round, and a killed writer never
/// leaves half a batch behind.
#[test]
fn writers_killed_at_random_moments_lose_nothing_acknowledged() {
    let server = pg::url();
    let db = Db::on(&server);
    let fx = Fixture::new();
    opened_case(&fx, &db);
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed = u64::from(std::process::id()) ^ now() as u64;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..24 {
        let mut writers: Vec<Writer> = (0..2).map(|_| Writer::spawn(&db.at(CASE_ID))).collect();
        let mut next = 0;
        let mut stdout: Vec<String> = Vec::new();
        let kill_after = Duration::from_millis(random(400));
        let start = std::time::Instant::now();
        while start.elapsed() < kill_after {
            for (w, writer) in writers.iter_mut().enumerate() {
                let batch: Vec<String> = (0..1 + random(40))
                    .map(|_| {
                        next += 1;
                        tagged_finding(100 * round + w, next)
                    })
                    .collect();
                writer.send(&batch);
            }
            std::thread::sleep(Duration::from_millis(random(30)));
        }
        // Kill one writer mid-stream; let the other finish cleanly.
        let victim = random(2) as usize;
        writers[victim].child.kill().unwrap();
        writers[victim].child.wait().unwrap();
        for (w, writer) in writers.iter_mut().enumerate() {
            if w != victim {
                writer.stdin.take();
                let status = writer.child.wait().unwrap();
                assert!(
                    status.success(),
                    "round {round}: the surviving writer failed"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
            stdout.extend(writer.acks(usize::MAX, Duration::from_millis(200)));
            stdout.extend(writer.drain());
        }
        acknowledged.extend(acknowledged_records(&stdout.join("\n")));
        let (_, records) = export_verifies(&fx, &db);
        let in_journal = journal_findings(&records);
        assert!(
            in_journal.values().all(|&n| n == 1),
            "round {round}: written twice"
        );
        for a in &acknowledged {
            assert!(
                in_journal.contains_key(a),
                "round {round}: acknowledged {a} lost"
            );
        }
    }
    assert!(acknowledged.len() > 24, "the writers acknowledged work");
}

/// The server crashes (immediate shutdown) while a writer streams: the writer fails with a
/// clear error naming the store, nothing it acknowledged is lost, no batch is half-written,
/// and after the restart writers carry on.
#[test]
fn a_server_crash_mid_stream_fails_the_writer_cleanly() {
    let mut cluster = pg::Cluster::start();
    let db = Db::on(&cluster.url());
    let fx = Fixture::new();
    opened_case(&fx, &db);

    let mut writer = Writer::spawn(&db.at(CASE_ID));
    let first: Vec<String> = (0..50).map(|i| tagged_finding(1, i)).collect();
    assert!(writer.send(&first));
    let acks = writer.acks(50, Duration::from_secs(30));
    assert_eq!(acks.len(), 50, "acknowledged before the crash");

    cluster.crash_and_restart();
    let second: Vec<String> = (50..100).map(|i| tagged_finding(1, i)).collect();
    writer.send(&second);
    writer.stdin.take();
    let out = writer.child.wait_with_output().unwrap();
    let after: Vec<String> = writer.acks.try_iter().collect();
    assert!(
        after.is_empty(),
        "acknowledged on a dead connection: {after:?}"
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err: Value = serde_json::from_str(text(&out.stderr).trim()).unwrap();
    assert_eq!(err["error"]["code"], "journal_io", "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("journal store postgres://"), "{message}");

    let (_, records) = export_verifies(&fx, &db);
    let in_journal = journal_findings(&records);
    let acknowledged: BTreeSet<String> =
        acknowledged_records(&acks.join("\n")).into_iter().collect();
    assert_eq!(
        in_journal.keys().cloned().collect::<BTreeSet<_>>(),
        acknowledged,
        "exactly the acknowledged batch, nothing half-written"
    );
    // The store works again after the restart.
    let out = apply(&db.at(CASE_ID), &lines(&second), None);
    assert_eq!(json_lines(&ok(&out)).len(), 50);
    export_verifies(&fx, &db);
}

/// `demo --store URL --case ID` (DESIGN §14: `--store` wherever `--journal` is taken): the case
/// lands in the store, its trust file and keys in the working directory, and `verify` passes on
/// the store; a second demo under the same id is refused and leaves the first case as it was.
#[test]
fn the_demo_runs_on_a_store_and_verifies_there() {
    let server = pg::url();
    let db = Db::on(&server);
    let dir = tempfile::tempdir().unwrap();
    let demo = |format: &str| {
        let args = [
            "demo",
            "--store",
            &db.url,
            "--case",
            "sev1-demo",
            "--format",
            format,
        ];
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        support::contract::check_output(&args, &out);
        out
    };
    let out = demo("json");
    let shown: Value = serde_json::from_str(&ok(&out)).unwrap();
    let trust = dir.path().join("sev1-demo.trust.json");
    assert!(dir.path().join("sev1-demo.keys/sam.rivera.pem").is_file());
    let verify = || {
        let out = run(
            &[
                "verify".as_ref(),
                "--store".as_ref(),
                db.url.as_ref(),
                "--case".as_ref(),
                "sev1-demo".as_ref(),
                "--trust".as_ref(),
                trust.as_os_str(),
                "--workflow".as_ref(),
                workflow_path().as_os_str(),
            ] as &[&std::ffi::OsStr],
            None,
        );
        serde_json::from_str::<Value>(&ok(&out)).unwrap()
    };
    let verified = verify();
    assert_eq!(verified["state"], "accepted");
    assert_eq!(verified["packet_digest"], shown["packet"]["packet_digest"]);
    failed_with(&demo("markdown"), 2, "journal_exists");
    assert_eq!(verify(), verified);

    // `report --store` measures every case in the store: the same figures as the exported
    // journal gives (but for where each was read).
    let report: Value =
        serde_json::from_str(&ok(&run(&["report", "--store", &db.url], None))).unwrap();
    assert_eq!(report["across"]["cases"], 1);
    let mut stored = report["cases"][0].clone();
    assert_eq!(stored["source"], "store:sev1-demo");
    let file = dir.path().join("exported.jsonl");
    std::fs::write(&file, export_case(&db.url, "sev1-demo")).unwrap();
    let exported: Value = serde_json::from_str(&ok(&run(
        &["report", "--journal", file.to_str().unwrap()],
        None,
    )))
    .unwrap();
    let mut from_file = exported["cases"][0].clone();
    stored["source"] = Value::Null;
    from_file["source"] = Value::Null;
    assert_eq!(stored, from_file);
    assert_eq!(stored["state"], "accepted");
    assert_eq!(stored["revisions"], 2);
}

/// `export --store URL --case ID`'s bytes.
fn export_case(url: &str, case: &str) -> Vec<u8> {
    let out = run(&["export", "--store", url, "--case", case], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    out.stdout
}

/// `url` with its user name replaced by `role` (trust authentication: no password).
fn as_role(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}@{host}")
}

/// How many rows `table` (schema-qualified) holds.
fn rows_in(url: &str, table: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

/// DESIGN §14: nothing depends on `search_path`. Someone with CREATE on the database makes a
/// schema named like the writer's role — first on the default `"$user", public` — holding a
/// look-alike table; `init` and `apply` still write every record to `"public"`, and nothing to
/// the look-alike. `?schema=NAME` keeps a store's table in another schema, and a bad name is a
/// usage error.
#[test]
fn a_schema_named_like_the_writer_captures_nothing() {
    let server = pg::url();
    let db = Db::on(&server);
    let fx = Fixture::new();
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let role: String = admin.query_one("SELECT current_user", &[]).unwrap().get(0);
    let trap = format!("\"{role}\".authority_lane_journal");
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA \"{role}\"; CREATE TABLE {trap} \
             (case_id text, seq bigint, hash text, line bytea)"
        ))
        .unwrap();
    opened_case(&fx, &db);
    let s = status(&db.at(CASE_ID));
    assert_eq!(s["seq"], 3, "{s}");
    assert_eq!(rows_in(&db.url, "public.authority_lane_journal"), 4);
    assert_eq!(rows_in(&db.url, &trap), 0, "a record landed in {trap}");
    export_verifies(&fx, &db);

    // Another schema, by URL parameter: its own table, created by init.
    let custom = format!("{}?schema=al_custom", db.url);
    let at = |url: &str| {
        vec![
            "--store".into(),
            url.to_owned(),
            "--case".into(),
            CASE_ID.into(),
        ]
    };
    ok(&init(&fx, &at(&custom)[..2], now(), None));
    assert_eq!(rows_in(&db.url, "al_custom.authority_lane_journal"), 1);
    assert_eq!(status(&at(&custom))["seq"], 0);
    assert_eq!(
        status(&db.at(CASE_ID))["seq"],
        3,
        "the public store is untouched"
    );
    for bad in ["1x", "a-b", "a%22b", ""] {
        let url = format!("{}?schema={bad}", db.url);
        failed_with(&run(&args(&["status"], &at(&url)), None), 2, "usage");
    }
}

/// DESIGN §14: only `init` and `store migrate` issue DDL. On a store never migrated, a read
/// fails naming `store migrate`; `store migrate` is idempotent; and a role with nothing but
/// USAGE on the schema and SELECT on the table verifies, reads the status and both packets,
/// exports and streams the lineage of an accepted case — and cannot write; a role with SELECT and
/// INSERT opens a case.
#[test]
fn a_read_only_auditor_verifies_exports_and_reads_packets() {
    let server = pg::url();
    let db = Db::on(&server);
    let out = run(&args(&["status"], &db.at(CASE_ID)), None);
    failed_with(&out, 2, "journal_io");
    assert!(
        text(&out.stderr).contains("store migrate"),
        "{}",
        describe(&out)
    );
    let migrate = || {
        let out = run(&["store", "migrate", "--store", &db.url], None);
        serde_json::from_str::<Value>(&ok(&out)).unwrap()
    };
    let first = migrate();
    assert_eq!(
        first,
        json!({"migrated": true, "schema": "public", "table": "authority_lane_journal", "created": true})
    );
    assert_eq!(migrate()["created"], false, "idempotent");

    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "demo",
            "--store",
            &db.url,
            "--case",
            "sev1-audited",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    ok(&out);
    let trust = dir.path().join("sev1-audited.trust.json");

    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE al_auditor LOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
             GRANT USAGE ON SCHEMA public TO al_auditor; \
             GRANT SELECT ON public.authority_lane_journal TO al_auditor;",
        )
        .unwrap();
    let auditor = as_role(&db.url, "al_auditor");
    let at = vec![
        "--store".to_owned(),
        auditor.clone(),
        "--case".to_owned(),
        "sev1-audited".to_owned(),
    ];
    let anchors = [
        "--trust".to_owned(),
        trust.to_str().unwrap().to_owned(),
        "--workflow".to_owned(),
        workflow_path().to_str().unwrap().to_owned(),
    ];
    let with = |command: &[&str], extra: &[String]| {
        let mut a = args(command, &at);
        a.extend(extra.iter().cloned());
        run(&a, None)
    };
    let verified: Value = serde_json::from_str(&ok(&with(&["verify"], &anchors))).unwrap();
    assert_eq!(verified["state"], "accepted");
    assert_eq!(
        serde_json::from_str::<Value>(&ok(&with(&["status"], &[]))).unwrap()["state"],
        "accepted"
    );
    ok(&with(&["packet", "--draft"], &[]));
    ok(&with(&["packet"], &anchors));
    ok(&with(&["lineage"], &[]));
    let exported = with(&["export"], &[]);
    ok(&exported);
    let as_owner = run(
        &["export", "--store", &db.url, "--case", "sev1-audited"],
        None,
    );
    assert_eq!(exported.stdout, as_owner.stdout);
    // The auditor reads; it cannot write, nor create a table anywhere.
    let out = run(&args(&["apply"], &at), Some(b"{}\n"));
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    let out = run(
        &[
            "store",
            "migrate",
            "--store",
            &format!("{auditor}?schema=al_elsewhere"),
        ],
        None,
    );
    failed_with(&out, 2, "journal_io");
    // A writer needs SELECT and INSERT, no CREATE: it opens a case on the migrated store.
    admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE al_writer LOGIN; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
             GRANT USAGE ON SCHEMA public TO al_writer; \
             GRANT SELECT, INSERT ON public.authority_lane_journal TO al_writer;",
        )
        .unwrap();
    let writer = as_role(&db.url, "al_writer");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "demo",
            "--store",
            &writer,
            "--case",
            "sev1-written",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    ok(&out);
}

/// DESIGN §12.10: a store URL's password — in the userinfo (split on the last `@`), percent-
/// encoded or not, or in a `password=` parameter — appears in no output; a scheme other than
/// PostgreSQL's is named and nothing after it is echoed. Port 1: nothing listens, so each run
/// fails fast.
#[test]
fn store_url_secrets_never_reach_output() {
    const SECRET: &str = "s3cr3t";
    let cases = [
        (
            "postgres://root@127.0.0.1:1/test?password=s3cr3t",
            "journal_io",
        ),
        ("postgres://root:s3cr3t@127.0.0.1:1/test", "journal_io"),
        ("postgres://root:s3cr3t%40x@127.0.0.1:1/test", "journal_io"),
        (
            "postgres://root@127.0.0.1:1/test?sslmode=disable&pass%77ord=s3cr3t",
            "journal_io",
        ),
        ("postgres://u:p@ss-s3cr3t@127.0.0.1:1/test", "usage"),
        ("postgres://127.0.0.1:1/test?password=a@s3cr3t", "usage"),
        ("mysql://u:s3cr3t@h/db", "usage"),
        ("postgre://u:s3cr3t@h/db", "usage"),
        ("postgres:u:s3cr3t@h/db", "usage"),
    ];
    for (url, code) in cases {
        for command in [
            vec!["status", "--store", url, "--case", "x"],
            vec!["export", "--store", url, "--case", "x"],
            vec!["store", "migrate", "--store", url],
        ] {
            let out = run(&command, None);
            failed_with(&out, 2, code);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(!all.contains(SECRET), "{url}: {}", describe(&out));
            if url.starts_with("mysql") {
                assert!(all.contains("unknown store scheme \\\"mysql\\\""), "{all}");
            }
        }
    }
    // A server that answers: the demo's hint names the store, without the password.
    let server = pg::url();
    let db = Db::on(&server);
    let dir = tempfile::tempdir().unwrap();
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    for url in [
        format!("{scheme}://{user}:{SECRET}@{host}"),
        format!("{}?password={SECRET}", db.url),
    ] {
        let case = pg::unique("sev1-secret");
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["demo", "--store", &url, "--case", &case, "--format", "json"])
            .output()
            .unwrap();
        ok(&out);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(SECRET), "{}", describe(&out));
        assert!(
            text(&out.stderr).contains("--store postgres://"),
            "{}",
            describe(&out)
        );
    }
}

/// A row's `seq` and `hash` columns must be its line's own, and the `seq` column must run
/// 0, 1, 2, … : a renumbered row (a gap, even one that keeps the lines in order) or an edited
/// hash column is tampering (exit 4) on every read and on `apply`, and nothing is written.
#[test]
fn renumbered_or_edited_columns_are_tampering() {
    let server = pg::url();
    let db = Db::on(&server);
    let fx = Fixture::new();
    opened_case(&fx, &db);
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let head: String = admin
        .query_one(
            "SELECT hash FROM public.authority_lane_journal WHERE seq = 3",
            &[],
        )
        .unwrap()
        .get(0);
    let table = "public.authority_lane_journal";
    let edits = [
        // The last row renumbered: the lines still verify in order; only the column lies.
        (
            format!("UPDATE {table} SET seq = seq + 10 WHERE seq = 3"),
            format!("UPDATE {table} SET seq = 3 WHERE seq = 13"),
        ),
        // A row in the middle moved to the end.
        (
            format!("UPDATE {table} SET seq = seq + 10 WHERE seq = 1"),
            format!("UPDATE {table} SET seq = 1 WHERE seq = 11"),
        ),
        // The head's hash column edited: every later append would conflict forever.
        (
            format!("UPDATE {table} SET hash = 'sha256:' || repeat('0', 64) WHERE seq = 3"),
            format!("UPDATE {table} SET hash = '{head}' WHERE seq = 3"),
        ),
    ];
    let finding = lines(&[tagged_finding(1, 1)]);
    let verify = || run(&anchored(&fx, "verify", &db.at(CASE_ID)), None);
    let good: Value = serde_json::from_str(&ok(&verify())).unwrap();
    for (tamper, restore) in &edits {
        admin.batch_execute(tamper).unwrap();
        failed_with(&verify(), 4, "journal_tampered");
        for command in [&["status"][..], &["packet", "--draft"], &["export"]] {
            let out = run(&args(command, &db.at(CASE_ID)), None);
            failed_with(&out, 4, "journal_tampered");
        }
        failed_with(
            &apply(&db.at(CASE_ID), &finding, None),
            4,
            "journal_tampered",
        );
        admin.batch_execute(restore).unwrap();
        let again: Value = serde_json::from_str(&ok(&verify())).unwrap();
        assert_eq!(again, good, "{tamper}: restored, and nothing was written");
    }
    assert_eq!(
        json_lines(&ok(&apply(&db.at(CASE_ID), &finding, None))).len(),
        1
    );
}

/// The library: `PgBackend::in_schema` keeps the table where it is told, `CaseStore::create`
/// migrates it, `connect` alone creates nothing (a read elsewhere names the missing step), and
/// the URL's `?schema=` reaches the same table.
#[test]
fn the_library_keeps_its_table_in_the_schema_it_is_given() {
    use authority_lane::journal::{PgBackend, PgSchema};
    use authority_lane::store::{Anchors, CaseStore, Clock};
    let server = pg::url();
    let db = Db::on(&server);
    let h = authority_lane::testing::Harness::new();
    let (workflow, trust) = h.case.shared();
    let clock = Clock::Supplied(h.case.genesis().at);
    let backend = PgBackend::connect(&db.url)
        .unwrap()
        .in_schema(PgSchema::new("al_lib").unwrap());
    assert_eq!(backend.schema().as_str(), "al_lib");
    let created = CaseStore::create(
        backend,
        workflow.clone(),
        trust.clone(),
        &h.case.genesis().token.clone(),
        clock,
    )
    .unwrap();
    assert_eq!(rows_in(&db.url, "al_lib.authority_lane_journal"), 1);
    let anchors = || Anchors {
        workflow: Some(workflow.clone()),
        trust: Some(trust.clone()),
        expect_head: None,
        case: None,
    };
    let id = h.case.id().to_string();
    let public = PgBackend::connect(&db.url).unwrap().case(id.clone());
    let err = CaseStore::open(public, anchors(), clock)
        .unwrap_err()
        .to_string();
    assert!(err.contains("store migrate"), "{err}");
    let url = format!("{}?schema=al_lib", db.url);
    let opened =
        CaseStore::open(PgBackend::connect(&url).unwrap().case(id), anchors(), clock).unwrap();
    assert_eq!(opened.position(), created.position());
}
