//! A case is its case id, and the writer's clock is never overtaken silently (DESIGN §12.6,
//! §12.7; issue 20 items 1 and 4), through the CLI: rows or a file of one case read under
//! another's id are `case_mismatch`; a time of record from the future locks nobody out
//! unflagged (`clock_behind` for a writer, `future_record` for a verifier). Each refusal
//! leaves the journal as it was.

use crate::support;

use serde_json::{Value, json};
use support::*;

fn with(args: &[&str], rest: &[&str]) -> Vec<String> {
    args.iter().chain(rest).map(|a| (*a).to_owned()).collect()
}

fn one_finding(at: i64, record: &str) -> String {
    finding(
        at,
        "lineage-agent-1",
        "lineage.internal_packages_in_window",
        json!(4),
        record,
        "late lineage",
    )
}

#[test]
fn case_beside_journal_is_checked_against_record_0() {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&required_findings(T0 + 60));
    let before = std::fs::read(&fx.journal).unwrap();

    let other = ["--case", "sev1-some-other-case"];
    for command in [
        fx.anchored(&["verify"]),
        fx.anchored(&["packet", "--draft"]),
        with(&["status", "--journal", fx.j()], &other),
        with(&["export", "--journal", fx.j()], &other),
        with(&["lineage", "--journal", fx.j()], &other),
        with(&["lineage", "--journal", fx.j(), "--proof", "0"], &other),
    ]
    .into_iter()
    .map(|mut c| {
        if c[0] == "verify" || c[0] == "packet" {
            c.extend(other.iter().map(|a| (*a).to_owned()));
        }
        c
    }) {
        let out = run(&command, None);
        failed_with(&out, 4, "case_mismatch");
        assert!(
            out.stdout.is_empty(),
            "{command:?} printed {}",
            text(&out.stdout)
        );
    }
    let out = run(
        &with(
            &["apply", "--journal", fx.j(), "--at", &ts(T0 + 400)],
            &other,
        ),
        Some(&lines(&[one_finding(T0 + 400, "r/late")])),
    );
    failed_with(&out, 4, "case_mismatch");
    assert_eq!(
        std::fs::read(&fx.journal).unwrap(),
        before,
        "nothing written"
    );

    // The right case id passes, and verify names it.
    let mut right = fx.anchored(&["verify"]);
    right.extend(["--case".to_owned(), CASE_ID.to_owned()]);
    let verified: Value = serde_json::from_str(&ok(&run(&right, None))).unwrap();
    assert_eq!(verified["case_id"], CASE_ID);
    let verified: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    assert_eq!(
        verified["case_id"], CASE_ID,
        "verify prints record 0's case id"
    );
}

#[test]
fn init_with_a_case_the_declaration_does_not_open_writes_nothing() {
    let fx = Fixture::new();
    let token_file = fx.path("declare.jws");
    std::fs::write(&token_file, token(&SAM, T0, declare())).unwrap();
    let out = run(
        &[
            "init",
            "--workflow",
            fx.workflow.to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
            "--journal",
            fx.j(),
            "--token",
            token_file.to_str().unwrap(),
            "--at",
            &ts(T0),
            "--case",
            "sev1-another",
        ],
        None,
    );
    failed_with(&out, 4, "case_mismatch");
    assert!(!fx.journal.exists(), "no journal was created");
}

/// A record from 2099, supplied with `apply --at`: the next system-clock writer refuses to
/// append (`clock_behind`) instead of stamping 2099 unmarked, and `verify` refuses the journal
/// (`future_record`); human tokens are not locked out silently.
#[test]
fn a_far_future_time_of_record_is_refused_not_inherited() {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&required_findings(T0 + 60));
    let future = "2099-01-01T00:00:00Z";
    ok(&fx.apply_at(&lines(&[one_finding(T0 + 400, "r/2099")]), future));
    let before = std::fs::read(&fx.journal).unwrap();

    let now = chrono::Utc::now().timestamp();
    let out = run(
        &["apply", "--journal", fx.j()],
        Some(&lines(&[one_finding(now, "r/now")])),
    );
    failed_with(&out, 4, "clock_behind");
    assert!(out.stdout.is_empty(), "nothing acknowledged");
    assert_eq!(
        std::fs::read(&fx.journal).unwrap(),
        before,
        "nothing written"
    );

    failed_with(&fx.verify(), 4, "future_record");
    assert_eq!(
        std::fs::read(&fx.journal).unwrap(),
        before,
        "nothing written"
    );
}

/// The same record injected and re-chained without a `clock` mark (what a journal writer
/// without keys can do): `verify` refuses it by its time, whatever it claims about its clock.
#[test]
fn an_injected_unmarked_future_record_fails_verify() {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&required_findings(T0 + 60));
    let mut records = journal_records(&fx.journal);
    let last = records.len() - 1;
    records[last]["at"] = json!("2099-01-01T00:00:00Z");
    if let Some(event) = records[last]["event"].as_object_mut() {
        event.remove("clock");
    }
    rechain(&mut records, last);
    std::fs::write(&fx.journal, to_jsonl(&records)).unwrap();
    failed_with(&fx.verify(), 4, "future_record");
}

/// Supplied times of record are reported by count and by span.
#[test]
fn verify_reports_the_span_of_supplied_times() {
    let fx = Fixture::new();
    fx.init(T0);
    fx.apply_ok(&required_findings(T0 + 60));
    let verified: Value = serde_json::from_str(&ok(&fx.verify())).unwrap();
    let records = journal_records(&fx.journal);
    assert_eq!(
        verified["supplied_clock_records"],
        records.len(),
        "{verified}"
    );
    assert_eq!(verified["supplied_clock_span"]["first"], records[0]["at"]);
    assert_eq!(
        verified["supplied_clock_span"]["last"],
        records[records.len() - 1]["at"]
    );
}

#[cfg(feature = "postgres")]
use crate::support::db;

/// Case substitution in a store: case B's rows replaced by copies of case A's rows under id B.
/// Every read of B refuses (`case_mismatch`), `apply` to B writes nothing, and A is untouched.
#[cfg(feature = "postgres")]
#[test]
fn rows_copied_under_another_case_id_are_refused() {
    let fx = Fixture::new();
    let db = db::Db::fresh();
    ok(&db.init(&fx, T0));
    let mut apply = vec!["apply".to_owned(), "--at".into(), ts(T0 + 200)];
    apply.extend(db.at(CASE_ID));
    ok(&run(&apply, Some(&lines(&required_findings(T0 + 60)))));

    let b = "sev1-case-b";
    let mut sql = db.client();
    sql.execute(
        "INSERT INTO public.authority_lane_journal (case_id, seq, hash, line) \
         SELECT $1, seq, hash, line FROM public.authority_lane_journal WHERE case_id = $2",
        &[&b, &CASE_ID],
    )
    .unwrap();
    let rows = |sql: &mut postgres::Client, case: &str| -> i64 {
        sql.query_one(
            "SELECT count(*) FROM public.authority_lane_journal WHERE case_id = $1",
            &[&case],
        )
        .unwrap()
        .get(0)
    };
    let (rows_a, rows_b) = (rows(&mut sql, CASE_ID), rows(&mut sql, b));

    let at_b = db.at(b);
    let anchors = [
        "--workflow".to_owned(),
        fx.workflow.to_str().unwrap().into(),
        "--trust".into(),
        fx.trust.to_str().unwrap().into(),
    ];
    for command in [
        [&["verify".to_owned()][..], &at_b, &anchors].concat(),
        [&["packet".to_owned(), "--draft".into()][..], &at_b].concat(),
        [&["status".to_owned()][..], &at_b].concat(),
        [&["export".to_owned()][..], &at_b].concat(),
        [&["lineage".to_owned()][..], &at_b].concat(),
    ] {
        let out = run(&command, None);
        failed_with(&out, 4, "case_mismatch");
        assert!(out.stdout.is_empty(), "{command:?}");
    }
    let mut apply_b = vec!["apply".to_owned()];
    apply_b.extend(at_b.iter().cloned());
    let out = run(
        &apply_b,
        Some(&lines(&[one_finding(
            chrono::Utc::now().timestamp(),
            "r/b",
        )])),
    );
    failed_with(&out, 4, "case_mismatch");
    assert_eq!(rows(&mut sql, b), rows_b, "nothing appended to B");
    assert_eq!(rows(&mut sql, CASE_ID), rows_a, "A untouched");
}
