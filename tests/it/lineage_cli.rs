//! `authority-lane lineage` through the CLI (DESIGN §13): every entry streamed in index order,
//! redacted per channel; every finding's inclusion proof verifies against the root the draft
//! carries, and fails for any other entry.

use crate::support;

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

/// Every relabelling of a real proof — another index (with and without the entry's index
/// following), another count, the entry's index alone, a path hash dropped, added or swapped,
/// another leaf or root — is refused by the library checker, by `lineage --check-proof` (exit 4
/// `proof_invalid`) and by `.ci/check_lineage_proof.py --check` (the README's recipe); the
/// real proof is accepted by all three. Cases of 1, 8 and 43 findings.
#[test]
fn every_relabelled_proof_is_refused_by_all_three_checkers() {
    use authority_lane::digest::Digest;
    use authority_lane::lineage::proof::InclusionProof;
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/check_lineage_proof.py");
    for bulk in [0u64, 5, 40] {
        let fx = Fixture::new();
        fx.init(T0);
        let mut commands = vec![required_findings(T0 + 60).remove(0)];
        if bulk > 0 {
            commands = required_findings(T0 + 60);
        }
        commands.extend(bulk_lineage(
            T0 + 200,
            "lineage-agent-1",
            "relabel",
            0..bulk,
        ));
        fx.apply_ok(&commands);
        let count = commands.len() as u64;
        let index = count / 2;
        let real: Value = serde_json::from_str(&ok(&run(
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
        // The root a relying party trusts: the draft's (one finding makes no draft yet: then
        // the root the case's lineage export hashes to, which the proof's must equal).
        let root = match run(&["packet", "--journal", fx.j(), "--draft"], None) {
            out if out.status.success() => {
                let draft: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(draft["lineage"]["count"], count);
                draft["lineage"]["root"].as_str().unwrap().to_owned()
            }
            _ => {
                let entries = ok(&run(&["lineage", "--journal", fx.j()], None));
                let leaves: Vec<Hash> = entries
                    .lines()
                    .map(|line| leaf_hash(line.as_bytes()))
                    .collect();
                authority_lane::lineage::digest_of(&authority_lane::lineage::merkle::root_of(
                    &leaves,
                ))
                .to_string()
            }
        };
        let trusted: Digest = root.parse().unwrap();
        let check_all = |proof: &Value| -> [bool; 3] {
            let file = fx.path("proof.json");
            std::fs::write(&file, proof.to_string()).unwrap();
            let library = InclusionProof::from_json(proof.to_string().as_bytes())
                .and_then(|p| p.check(&trusted, Some(count)))
                .is_ok();
            let cli = run(
                &[
                    "lineage",
                    "--check-proof",
                    file.to_str().unwrap(),
                    "--root",
                    &root,
                    "--count",
                    &count.to_string(),
                ],
                None,
            );
            let cli_ok = match cli.status.code() {
                Some(0) => true,
                _ => {
                    failed_with(&cli, 4, "proof_invalid");
                    false
                }
            };
            let recipe_ok = !python
                || std::process::Command::new("python3")
                    .args([recipe, "--check", file.to_str().unwrap(), &root])
                    .arg(count.to_string())
                    .output()
                    .unwrap()
                    .status
                    .success();
            [library, cli_ok, recipe_ok]
        };
        assert_eq!(
            check_all(&real),
            [true; 3],
            "the real proof of {index} of {count}"
        );
        let mut relabelled: Vec<(String, Value)> = Vec::new();
        for other in 0..count + 3 {
            if other != index {
                let mut p = real.clone();
                p["index"] = json!(other);
                relabelled.push((format!("index {other}"), p.clone()));
                p["entry"]["index"] = json!(other);
                relabelled.push((format!("moved to {other}"), p));
            }
        }
        for other in 0..2 * count + 2 {
            if other != count {
                let mut p = real.clone();
                p["count"] = json!(other);
                relabelled.push((format!("count {other}"), p));
            }
        }
        let mut p = real.clone();
        p["entry"]["index"] = json!(index + 1);
        relabelled.push(("entry index alone".into(), p));
        let mut p = real.clone();
        p["leaf"] = json!(format!("sha256:{}", "ab".repeat(32)));
        relabelled.push(("leaf".into(), p));
        let mut p = real.clone();
        p["root"] = json!(format!("sha256:{}", "cd".repeat(32)));
        relabelled.push(("root".into(), p));
        let path = real["path"].as_array().unwrap().clone();
        let mut p = real.clone();
        p["path"]
            .as_array_mut()
            .unwrap()
            .push(json!(format!("sha256:{}", "00".repeat(32))));
        relabelled.push(("a hash added".into(), p));
        if !path.is_empty() {
            let mut p = real.clone();
            p["path"].as_array_mut().unwrap().pop();
            relabelled.push(("a hash dropped".into(), p));
        }
        if path.len() > 1 && path[0] != path[1] {
            let mut p = real.clone();
            p["path"].as_array_mut().unwrap().swap(0, 1);
            relabelled.push(("hashes swapped".into(), p));
        }
        for (what, p) in &relabelled {
            assert_eq!(
                check_all(p),
                [false; 3],
                "{what}: a relabelled proof of {index} of {count} was accepted"
            );
        }
        assert!(
            relabelled.len() as u64 > 2 * count,
            "{} relabellings",
            relabelled.len()
        );
    }
}

/// DESIGN §15: `lineage --consistency M` proves, for every M from 0 to the finding count, that
/// the first M findings (roots recomputed here from the streamed entries) are a prefix of the
/// case's lineage; the proof is the crate's and the README recipe's, it is the same from the
/// index and after the index is deleted (rebuilt by a replay), and a relabelled one fails both
/// checkers. M beyond the count is a usage error.
#[test]
fn every_prefix_has_a_consistency_proof_and_a_relabelled_one_fails() {
    use authority_lane::lineage::merkle::{root_of, verify_consistency};
    use authority_lane::lineage::proof::{ConsistencyProof, LineageHead};
    let fx = case_with_lineage();
    let export = ok(&run(&["lineage", "--journal", fx.j()], None));
    let leaves: Vec<Hash> = export.lines().map(|l| leaf_hash(l.as_bytes())).collect();
    let count = leaves.len() as u64;
    let head = |m: usize| LineageHead {
        count: m as u64,
        root: authority_lane::lineage::digest_of(&root_of(&leaves[..m])),
    };
    let recipe = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.ci/check_consistency_proof.py"
    );
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let recipe_accepts = |proof: &ConsistencyProof, from: &LineageHead, to: &LineageHead| {
        let file = fx.path("consistency.json");
        std::fs::write(&file, serde_json::to_vec(proof).unwrap()).unwrap();
        std::process::Command::new("python3")
            .args([recipe, "--check", file.to_str().unwrap()])
            .args([&from.count.to_string(), from.root.as_str()])
            .args([&to.count.to_string(), to.root.as_str()])
            .output()
            .unwrap()
            .status
            .success()
    };
    let consistency = |m: usize| -> ConsistencyProof {
        let out = ok(&run(
            &[
                "lineage",
                "--journal",
                fx.j(),
                "--consistency",
                &m.to_string(),
            ],
            None,
        ));
        ConsistencyProof::from_json(out.as_bytes()).unwrap()
    };
    let to = head(leaves.len());
    for m in 0..=leaves.len() {
        let proof = consistency(m);
        assert_eq!(proof.from, head(m), "{m}");
        assert_eq!(proof.to, to, "{m}");
        proof.check(&head(m), &to).unwrap();
        let path: Vec<Hash> = proof.path.iter().map(|d| hash(&json!(d))).collect();
        assert!(verify_consistency(
            m as u64,
            count,
            &root_of(&leaves[..m]),
            &root_of(&leaves),
            &path
        ));
        if python && m % 7 == 3 {
            assert!(recipe_accepts(&proof, &head(m), &to), "{m}");
        }
        // (An empty path relabelled to the whole lineage or to the empty one is a true proof:
        // n to n, or 0 to n.)
        let genuine = |o: usize| proof.path.is_empty() && (o == leaves.len() || o == 0);
        for other in (0..=leaves.len()).filter(|&o| o != m && !genuine(o)) {
            let relabelled = ConsistencyProof {
                from: head(other),
                ..proof.clone()
            };
            assert!(
                relabelled.check(&head(other), &to).is_err(),
                "{m} as {other}"
            );
            if python && m % 7 == 3 && other % 5 == 1 {
                assert!(
                    !recipe_accepts(&relabelled, &head(other), &to),
                    "{m} as {other}"
                );
            }
        }
        // The proof binds the trusted lineages: another `to` is refused.
        assert!(proof.check(&head(m), &head(leaves.len() - 1)).is_err());
    }
    // Without the index (a cache), the same proof after a replay rebuilds it.
    let first = consistency(17);
    std::fs::remove_file(format!("{}.lineage", fx.j())).unwrap();
    assert_eq!(consistency(17), first);
    let out = run(
        &[
            "lineage",
            "--journal",
            fx.j(),
            "--consistency",
            &(count + 1).to_string(),
        ],
        None,
    );
    failed_with(&out, 2, "usage");
}
