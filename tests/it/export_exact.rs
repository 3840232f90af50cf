//! `export` copies bytes, never text (DESIGN §14, issue 20 item 2): a journal whose notes are
//! multi-byte characters, laid so that characters straddle every buffer boundary `export`
//! reads across (its 64 KiB chunks, at every offset inside a character), exports byte for
//! byte — from a journal file and from a PostgreSQL store — and the export verifies.

use crate::support;

use serde_json::json;
use support::*;

/// The chunk size `export` copies in; the test lays characters across its multiples.
const CHUNK: usize = 1 << 16;

/// Findings whose notes are runs of `€` (3 bytes in UTF-8) after 0, 1 or 2 ASCII bytes, so that
/// the lines' multi-byte characters fall at every alignment.
fn euro_findings(at: i64, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let note = format!("{}{}", "x".repeat(i % 3), "€".repeat(1300 - i % 7));
            finding_as(
                at,
                "release-lineage",
                "lineage-agent-1",
                "lineage.internal_packages_in_window",
                json!(10 + i % 3),
                &format!("lineage/euro/{i}"),
                &note,
            )
        })
        .collect()
}

/// How many multiples of [`CHUNK`] fall 1 and 2 bytes into a multi-byte character of `bytes`.
fn straddles(bytes: &[u8]) -> [usize; 2] {
    let text = std::str::from_utf8(bytes).expect("a journal is UTF-8");
    let mut inside = [0; 2];
    for boundary in (CHUNK..bytes.len()).step_by(CHUNK) {
        if !text.is_char_boundary(boundary) {
            let back = (1..4)
                .find(|k| text.is_char_boundary(boundary - k))
                .unwrap();
            inside[back - 1] += 1;
        }
    }
    inside
}

/// A file journal whose chunk boundaries fall inside characters at both inner offsets.
fn euro_case() -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    let mut commands = required_findings(T0 + 60);
    commands.extend(euro_findings(T0 + 200, 160));
    fx.apply_ok(&commands);
    let bytes = std::fs::read(&fx.journal).unwrap();
    let [one, two] = straddles(&bytes);
    assert!(
        one > 0 && two > 0,
        "the journal ({} bytes) must put a chunk boundary 1 and 2 bytes into a character (got {one}, {two})",
        bytes.len()
    );
    fx
}

fn verify_file(fx: &Fixture, file: &std::path::Path) -> serde_json::Value {
    let out = run(
        &[
            "verify",
            "--journal",
            file.to_str().unwrap(),
            "--workflow",
            fx.workflow.to_str().unwrap(),
            "--trust",
            fx.trust.to_str().unwrap(),
        ],
        None,
    );
    serde_json::from_str(&ok(&out)).unwrap()
}

#[test]
fn a_file_journal_exports_byte_for_byte_across_every_chunk_boundary() {
    let fx = euro_case();
    let out = run(&["export", "--journal", fx.j()], None);
    let exported = out.stdout.clone();
    ok(&out);
    let original = std::fs::read(&fx.journal).unwrap();
    assert!(
        exported == original,
        "export differs from the journal ({} vs {} bytes)",
        exported.len(),
        original.len()
    );
    let file = fx.path("exported.jsonl");
    std::fs::write(&file, &exported).unwrap();
    assert_eq!(verify_file(&fx, &file)["ok"], true);
}

#[cfg(feature = "postgres")]
use crate::support::db;
#[cfg(feature = "postgres")]
use db::Db;

/// The same records in a PostgreSQL store (the same supplied clock, so the same bytes): the
/// store's export is the file journal byte for byte.
#[cfg(feature = "postgres")]
#[test]
fn a_postgres_case_exports_byte_for_byte_across_every_chunk_boundary() {
    let fx = euro_case();
    let db = Db::fresh();
    let case = CASE_ID;
    let at_store = |command: &str| -> Vec<String> {
        let mut a = vec![command.to_owned()];
        a.extend(db.at(case));
        a
    };
    // Re-apply the file journal's commands with the same times of record.
    let records = journal_records(&fx.journal);
    let declare = fx.path("declare.jws");
    let mut init = at_store("init");
    init.retain(|a| a != "--case" && a != case);
    init.extend([
        "--workflow".into(),
        fx.workflow.to_str().unwrap().into(),
        "--trust".into(),
        fx.trust.to_str().unwrap().into(),
        "--token".into(),
        declare.to_str().unwrap().into(),
        "--at".into(),
        records[0]["at"].as_str().unwrap().into(),
    ]);
    ok(&run(&init, None));
    let mut commands = required_findings(T0 + 60);
    commands.extend(euro_findings(T0 + 200, 160));
    let mut apply = at_store("apply");
    apply.extend(["--at".into(), records[1]["at"].as_str().unwrap().into()]);
    ok(&run(&apply, Some(&lines(&commands))));

    let out = run(&at_store("export"), None);
    let exported = out.stdout.clone();
    ok(&out);
    let original = std::fs::read(&fx.journal).unwrap();
    assert!(
        exported == original,
        "the store's export differs from the file journal ({} vs {} bytes)",
        exported.len(),
        original.len()
    );
    let file = fx.path("exported.jsonl");
    std::fs::write(&file, &exported).unwrap();
    assert_eq!(verify_file(&fx, &file)["ok"], true);
}
