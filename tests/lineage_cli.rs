//! `authority-lane lineage` through the CLI (DESIGN §13): every entry streamed in index order,
//! redacted per channel; every finding's inclusion proof verifies against the root the draft
//! carries, and fails for any other entry.

mod support;

use authority_lane::lineage::merkle::{Hash, leaf_hash, verify_inclusion};
use serde_json::{Value, json};
use support::*;

fn hash(digest: &Value) -> Hash {
    let text = digest.as_str().unwrap().strip_prefix("sha256:").unwrap();
    hex::decode(text).unwrap().try_into().unwrap()
}

/// A case with the required findings and 40 lineage findings from five systems.
fn case_with_lineage() -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    let mut commands = required_findings(T0 + 60);
    for i in 0..40 {
        commands.push(finding_as(
            T0 + 200,
            "release-lineage",
            "lineage-agent-1",
            "lineage.internal_packages_in_window",
            json!(10 + i % 3),
            &format!("lineage/{}/{i}", ["a", "b", "c", "d", "e"][i % 5]),
            "bulk lineage",
        ));
    }
    fx.apply_ok(&commands);
    fx
}

#[test]
fn every_proof_verifies_against_the_drafts_root_and_no_other_entry_does() {
    let fx = case_with_lineage();
    let draft: Value =
        serde_json::from_str(&ok(&run(&["packet", "--journal", fx.j(), "--draft"], None))).unwrap();
    let lineage = &draft["lineage"];
    let count = lineage["count"].as_u64().unwrap();
    assert_eq!(count, 43);
    let root = hash(&lineage["root"]);
    let facts = lineage["facts"].as_object().unwrap();
    let bulk = &facts["lineage.internal_packages_in_window"];
    assert_eq!(bulk["findings"], 40);
    assert!(bulk["decisive"].as_array().unwrap().len() <= 16);
    assert!(
        draft.get("evidence").is_none(),
        "the draft lists no finding beyond the decisive"
    );

    let export = ok(&run(&["lineage", "--journal", fx.j()], None));
    let entries = json_lines(&export);
    assert_eq!(entries.len() as u64, count);
    let lines: Vec<&str> = export.lines().collect();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["index"], i, "in index order");
    }
    for index in 0..count {
        let p: Value = serde_json::from_str(&ok(&run(
            &[
                "lineage",
                "--journal",
                fx.j(),
                "--proof",
                &index.to_string(),
            ],
            None,
        )))
        .unwrap();
        assert_eq!(hash(&p["root"]), root);
        assert_eq!(p["entry"], entries[index as usize]);
        // The leaf is SHA-256(0x00 ‖ RFC 8785 of the entry): serde_json's sorted, compact form.
        let leaf = leaf_hash(&serde_json::to_vec(&p["entry"]).unwrap());
        assert_eq!(leaf, hash(&p["leaf"]));
        // A shown entry's line is its RFC 8785 form byte for byte: the leaf's preimage.
        assert_eq!(leaf_hash(lines[index as usize].as_bytes()), leaf, "{index}");
        let path: Vec<Hash> = p["path"].as_array().unwrap().iter().map(hash).collect();
        assert!(
            verify_inclusion(index, count, &leaf, &path, &root),
            "{index}"
        );
        let other = (index + 1) % count;
        let other_leaf = leaf_hash(&serde_json::to_vec(&entries[other as usize]).unwrap());
        assert!(
            !verify_inclusion(index, count, &other_leaf, &path, &root),
            "{index}"
        );
    }
    let out = run(&["lineage", "--journal", fx.j(), "--proof", "43"], None);
    failed_with(&out, 2, "usage");
}

#[test]
fn the_stream_is_redacted_as_the_channel_says() {
    let fx = case_with_lineage();
    let brief = json_lines(&ok(&run(
        &[
            "lineage",
            "--journal",
            fx.j(),
            "--channel",
            "executive-brief",
        ],
        None,
    )));
    let custody = brief
        .iter()
        .find(|e| e["fact"] == "custody.exposure")
        .unwrap();
    assert_eq!(custody["redacted"], true);
    for key in ["value", "source", "note", "agent"] {
        assert!(custody.get(key).is_none(), "{key}: {custody}");
    }
    let selection = json_lines(&ok(&run(
        &[
            "lineage",
            "--journal",
            fx.j(),
            "--channel",
            "authority-selection",
        ],
        None,
    )));
    assert!(selection.iter().all(|e| e["redacted"] == true));
    let out = run(
        &[
            "lineage",
            "--journal",
            fx.j(),
            "--channel",
            "no-such-channel",
        ],
        None,
    );
    failed_with(&out, 2, "usage");
}
