//! Caches answer writers, never relying parties, and only once the chain vouches for them
//! (DESIGN §12.8; issue 20 item 5), through the CLI: writers append checkpoint records
//! committing the state and lineage; a snapshot whose state is not the one its checkpoint
//! commits is never used (its digest header can be forged, the chain cannot); a checkpoint that
//! does not match the records before it fails `verify`; a forged lineage index never yields a
//! proof against a forged root.

use crate::support;

use authority_lane::store::CHECKPOINT_INTERVAL;
use serde_json::{Value, json};
use support::*;

/// A case with the required findings and enough bulk lineage for a checkpoint: its snapshot
/// (written by `apply`) sits at that checkpoint.
fn case_with_checkpoint() -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    let mut commands = required_findings(T0 + 60);
    commands.extend(bulk_lineage(
        T0 + 200,
        "lineage-agent-1",
        "bulk",
        0..CHECKPOINT_INTERVAL,
    ));
    fx.apply_ok(&commands);
    fx
}

fn snapshot_of(fx: &Fixture) -> std::path::PathBuf {
    fx.path("case.jsonl.snapshot")
}

/// Rewrites the snapshot's body with `edit` and gives it a valid digest header again: what
/// anyone who can write beside the journal can do.
fn forge_snapshot(fx: &Fixture, edit: impl FnOnce(&mut Value)) {
    let bytes = std::fs::read(snapshot_of(fx)).expect("apply wrote a snapshot");
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let header = text(&bytes[..newline]);
    let format = header.split(' ').next().unwrap().to_owned();
    let mut body: Value = serde_json::from_slice(&bytes[newline + 1..]).unwrap();
    edit(&mut body);
    let body = serde_json::to_vec(&body).unwrap();
    let mut out = format!("{format} {}\n", sha256(&body)).into_bytes();
    out.extend(body);
    std::fs::write(snapshot_of(fx), out).unwrap();
}

fn checkpoints(fx: &Fixture) -> Vec<Value> {
    journal_records(&fx.journal)
        .into_iter()
        .filter(|r| r["event"]["type"] == "checkpoint")
        .collect()
}

#[test]
fn writers_append_checkpoints_that_verify_and_snapshots_sit_at_them() {
    let fx = case_with_checkpoint();
    let cps = checkpoints(&fx);
    assert_eq!(
        cps.len(),
        1,
        "one checkpoint after {CHECKPOINT_INTERVAL} records"
    );
    let status = fx.status();
    assert_eq!(cps[0]["event"]["lineage"]["count"], status_count(&fx));
    let snapshot = text(&std::fs::read(snapshot_of(&fx)).unwrap());
    let body: Value = serde_json::from_str(snapshot.split_once('\n').unwrap().1).unwrap();
    assert_eq!(
        body["seq"], cps[0]["seq"],
        "the snapshot is at the checkpoint"
    );
    assert_eq!(body["head"], cps[0]["hash"]);
    let verified: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(verified["seq"], status["seq"]);
}

fn status_count(fx: &Fixture) -> Value {
    let draft: Value =
        serde_json::from_str(&ok(&run(&["packet", "--journal", fx.j(), "--draft"], None))).unwrap();
    draft["lineage"]["count"].clone()
}

fn bulk(from: u64, n: u64) -> Vec<String> {
    bulk_lineage(T0 + 300, "lineage-agent-2", "more", from..from + n)
}

/// A real, self-consistent state from earlier in the case, moved behind the last checkpoint
/// with a valid digest header (what anyone who can write beside the journal can do): every
/// token in it verifies and every count adds up, but it is not the state the checkpoint
/// commits. `status`, `packet --draft` and `apply` do not use it, and `lineage --proof`
/// answers against the journal's root whatever the side files say.
#[test]
fn a_forged_snapshot_state_is_never_used() {
    let fx = case_with_checkpoint();
    let earlier = std::fs::read(snapshot_of(&fx)).unwrap();
    fx.apply_ok(&bulk(0, CHECKPOINT_INTERVAL));
    assert_eq!(checkpoints(&fx).len(), 2);
    let honest: Value =
        serde_json::from_str(&ok(&run(&["packet", "--journal", fx.j(), "--draft"], None))).unwrap();
    let honest_digest = fx.draft_digest();
    let latest = std::fs::read(snapshot_of(&fx)).unwrap();
    let body = |bytes: &[u8]| -> Value {
        let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
        serde_json::from_slice(&bytes[newline + 1..]).unwrap()
    };
    let at_latest = body(&latest);
    let plant = || {
        std::fs::write(snapshot_of(&fx), &earlier).unwrap();
        forge_snapshot(&fx, |b| {
            for key in ["seq", "head", "offset", "supplied_clock"] {
                b[key] = at_latest[key].clone();
            }
        });
    };
    plant();
    let forged = std::fs::read(snapshot_of(&fx)).unwrap();
    let draft: Value =
        serde_json::from_str(&ok(&run(&["packet", "--journal", fx.j(), "--draft"], None))).unwrap();
    assert_eq!(
        draft["lineage"], honest["lineage"],
        "the draft is the journal's"
    );
    plant();
    assert_eq!(
        fx.draft_digest(),
        honest_digest,
        "status answers from the journal"
    );
    assert_ne!(
        std::fs::read(snapshot_of(&fx)).unwrap(),
        forged,
        "the refused snapshot was rewritten from the replay"
    );

    // A writer on the forged side files appends on the journal's state.
    plant();
    let acks = fx.apply_ok(&bulk(CHECKPOINT_INTERVAL, 1));
    assert_eq!(acks.len(), 1);
    let verified: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(verified["seq"], acks[0]["seq"]);

    // Both side files forged: the proof is against the real root and count.
    plant();
    std::fs::write(fx.path("case.jsonl.lineage"), vec![7u8; 4096]).unwrap();
    let proof: Value = serde_json::from_str(&ok(&run(
        &["lineage", "--journal", fx.j(), "--proof", "3"],
        None,
    )))
    .unwrap();
    let now: Value =
        serde_json::from_str(&ok(&run(&["packet", "--journal", fx.j(), "--draft"], None))).unwrap();
    assert_eq!(proof["count"], now["lineage"]["count"]);
    assert_eq!(proof["root"], now["lineage"]["root"]);
}

/// A checkpoint whose state digest is not the replay's, re-chained: `verify` refuses the
/// journal, and so does a writer replaying it.
#[test]
fn a_checkpoint_that_does_not_match_its_records_fails_verify() {
    let fx = case_with_checkpoint();
    let mut records = journal_records(&fx.journal);
    let at = records
        .iter()
        .position(|r| r["event"]["type"] == "checkpoint")
        .unwrap();
    records[at]["event"]["state"] = json!(sha256(b"another state"));
    rechain(&mut records, at);
    std::fs::write(&fx.journal, to_jsonl(&records)).unwrap();
    std::fs::remove_file(snapshot_of(&fx)).unwrap();
    let out = fx.verify();
    failed_with(&out, 4, "journal_tampered");
    assert!(
        text(&out.stderr).contains("checkpoint"),
        "{}",
        describe(&out)
    );

    // The lineage count forged instead.
    let mut records = journal_records(&fx.journal);
    records[at]["event"]["state"] = json!(sha256(b"another state"));
    let count = records[at]["event"]["lineage"]["count"].as_u64().unwrap();
    records[at]["event"]["lineage"]["count"] = json!(count - 1);
    rechain(&mut records, at);
    std::fs::write(&fx.journal, to_jsonl(&records)).unwrap();
    failed_with(&fx.verify(), 4, "journal_tampered");
    failed_with(
        &run(&["status", "--journal", fx.j()], None),
        4,
        "journal_tampered",
    );
}

#[cfg(feature = "postgres")]
use crate::support::db;

/// PostgreSQL keeps a snapshot row per checkpoint; a writer joins from the latest row that
/// its checkpoint vouches for, and a row whose image is not the state its checkpoint commits
/// (an earlier, self-consistent one moved under the latest checkpoint) is never used.
#[cfg(feature = "postgres")]
#[test]
fn a_store_keeps_checked_snapshot_rows() {
    let fx = Fixture::new();
    let db = db::Db::fresh();
    ok(&db.init(&fx, T0));
    let at = db.at(CASE_ID);
    let apply = |commands: &[String], when: i64| {
        let mut args = vec!["apply".to_owned(), "--at".into(), ts(when)];
        args.extend(at.iter().cloned());
        json_lines(&ok(&run(&args, Some(&lines(commands)))))
    };
    let mut commands = required_findings(T0 + 60);
    commands.extend(bulk(0, CHECKPOINT_INTERVAL));
    apply(&commands, T0 + 400);
    apply(&bulk(CHECKPOINT_INTERVAL, CHECKPOINT_INTERVAL), T0 + 500);
    let mut sql = db.client();
    let rows = sql
        .query(
            "SELECT seq, head FROM public.authority_lane_snapshot WHERE case_id = $1 ORDER BY seq",
            &[&CASE_ID],
        )
        .unwrap();
    assert_eq!(rows.len(), 2, "a row per checkpoint");
    let (first, last): (i64, i64) = (rows[0].get(0), rows[1].get(0));
    let status_args = |command: &str| {
        let mut args = vec![command.to_owned()];
        args.extend(at.iter().cloned());
        args
    };
    let honest: Value = serde_json::from_str(&ok(&run(&status_args("status"), None))).unwrap();

    // The latest row's image swapped for the earlier row's (every token in it verifies, every
    // count adds up): a joining writer refuses it, replays, and appends on the real state.
    sql.execute(
        "UPDATE public.authority_lane_snapshot SET image = \
         (SELECT image FROM public.authority_lane_snapshot WHERE case_id = $1 AND seq = $2) \
         WHERE case_id = $1 AND seq = $3",
        &[&CASE_ID, &first, &last],
    )
    .unwrap();
    let acks = apply(&bulk(2 * CHECKPOINT_INTERVAL, 1), T0 + 600);
    assert_eq!(acks.len(), 1);
    let after: Value = serde_json::from_str(&ok(&run(&status_args("status"), None))).unwrap();
    assert_eq!(after["seq"], acks[0]["seq"]);
    assert_ne!(
        after["draft_digest"], honest["draft_digest"],
        "one more finding"
    );
    let mut verify = status_args("verify");
    verify.extend([
        "--workflow".to_owned(),
        fx.workflow.to_str().unwrap().into(),
        "--trust".into(),
        fx.trust.to_str().unwrap().into(),
    ]);
    let verified: Value = serde_json::from_str(&ok(&run(&verify, None))).unwrap();
    assert_eq!(verified["draft_digest"], after["draft_digest"]);
}

/// A checkpoint restamped far in the future and re-chained (its digests recomputed are still
/// right: anyone replaying can compute them) is the journal's last time of record: `verify`
/// refuses it (`future_record`) and a system-clock writer will not append behind it.
#[test]
fn a_future_checkpoint_is_a_future_time_of_record() {
    let fx = case_with_checkpoint();
    let mut records = journal_records(&fx.journal);
    let at = records
        .iter()
        .position(|r| r["event"]["type"] == "checkpoint")
        .unwrap();
    assert_eq!(
        at,
        records.len() - 1,
        "the checkpoint closes the last batch"
    );
    records[at]["at"] = json!("2099-01-01T00:00:00Z");
    rechain(&mut records, at);
    std::fs::write(&fx.journal, to_jsonl(&records)).unwrap();
    std::fs::remove_file(snapshot_of(&fx)).unwrap();
    failed_with(&fx.verify(), 4, "future_record");
    let now = chrono::Utc::now().timestamp();
    let out = run(
        &["apply", "--journal", fx.j()],
        Some(&lines(&bulk_lineage(now, "lineage-agent-3", "late", 0..1))),
    );
    failed_with(&out, 4, "clock_behind");
}
