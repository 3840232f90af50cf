//! Tamper evidence (DESIGN §9): every single-byte change of a journal is an integrity failure
//! (exit 4), the final newline included (deleting it changes nothing: a last record without its
//! newline is still a record); a line that is not the RFC 8785 form of its record fails even
//! with a hash over its own text; a journal re-chained around a token from a key outside the
//! trust fails replay; a journal whose embedded trust was rewritten fails against the original
//! trust file (pin mismatch).

use crate::support;

use authority_lane::journal::{JournalError, ReadReport, read_file, verify_records};
use authority_lane::store::{StoreError, replay};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use support::*;

/// Declaration + 3 findings + 1 review (+ `extra` more findings after it).
fn small_journal(extra: usize) -> Fixture {
    let fx = Fixture::new();
    fx.init(T0);
    assert_eq!(fx.apply_ok(&required_findings(T0 + 60)).len(), 3);
    let at = T0 + 600;
    let digest = fx.draft_digest();
    fx.apply_ok(&[decision(at, &token(&LEE, at, review(&digest)))]);
    for i in 0..extra {
        fx.apply_ok(&[finding(
            at + 60 * (i as i64 + 1),
            "lineage-agent-2",
            "lineage.internal_packages_in_window",
            json!(i + 1),
            &format!("lineage/internal/{i}"),
            "after the review",
        )]);
    }
    let expected = if extra == 0 { "in_review" } else { "drafted" };
    assert_eq!(fx.status()["state"], expected);
    fx
}

/// The library's verdict on a file: [`read_file`] (chain check), then replay with the
/// embedded workflow and trust. `Ok(torn)` when it verifies; `Err` with an integrity error
/// otherwise.
fn lib_verify(path: &Path) -> Result<bool, String> {
    verdict(read_file(path))
}

/// The same on bytes in memory ([`verify_records`] is the chain check `read_file`
/// runs), which avoids a file write per position.
fn lib_verify_bytes(bytes: &[u8]) -> Result<bool, String> {
    verdict(verify_records(bytes))
}

fn verdict(read: Result<ReadReport, JournalError>) -> Result<bool, String> {
    let report = read.map_err(|e| {
        let e = StoreError::from(e);
        assert!(e.is_integrity(), "not an integrity error: {e}");
        e.to_string()
    })?;
    replay(&report.records, None, None).map_err(|e| {
        assert!(e.is_integrity(), "not an integrity error: {e}");
        e.to_string()
    })?;
    Ok(report.torn_tail.is_some())
}

/// The fixtures' trust file, written once per test process: `verify` needs the relying
/// party's own anchors.
fn trust_file() -> &'static Path {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join(format!(
            "authority-lane-tamper-trust-{}.json",
            std::process::id()
        ));
        std::fs::write(&path, trust_json()).unwrap();
        path
    })
}

fn cli_verify(path: &Path) -> std::process::Output {
    run(
        &[
            "verify",
            "--journal",
            path.to_str().unwrap(),
            "--workflow",
            workflow_path().to_str().unwrap(),
            "--trust",
            trust_file().to_str().unwrap(),
        ],
        None,
    )
}

/// A different byte: a letter or digit becomes another of its kind, anything else 'x'.
fn substitute(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b'0' + (b - b'0' + 1) % 10,
        b'a'..=b'z' => b'a' + (b - b'a' + 1) % 26,
        b'A'..=b'Z' => b'A' + (b - b'A' + 1) % 26,
        _ => b'x',
    }
}

#[test]
fn every_single_byte_change_is_an_integrity_failure() {
    let fx = small_journal(0);
    let original = std::fs::read(&fx.journal).unwrap();
    assert_eq!(original.iter().filter(|&&b| b == b'\n').count(), 5);
    assert_eq!(
        lib_verify(&fx.journal),
        Ok(false),
        "the untouched journal verifies"
    );
    let target = fx.path("tampered.jsonl");
    let last = original.len() - 1;
    assert_eq!(original[last], b'\n');

    let mut checked = 0usize;
    let mut cli_checked = 0usize;
    let mut failures = Vec::new();
    for pos in 0..last {
        // The final newline is the special case below.
        let mut variants = vec![substitute(original[pos])];
        if pos % 3 == 0 {
            variants.push(original[pos] ^ 0x01);
        }
        for (k, byte) in variants.into_iter().enumerate() {
            assert_ne!(byte, original[pos]);
            let mut bytes = original.clone();
            bytes[pos] = byte;
            checked += 1;
            if let Ok(torn) = lib_verify_bytes(&bytes) {
                failures.push(format!(
                    "byte {pos} ({:?} -> {:?}) verifies (torn tail: {torn})",
                    original[pos] as char, byte as char
                ));
            }
            if k == 0 && pos % 37 == 0 {
                std::fs::write(&target, &bytes).unwrap();
                if let Ok(torn) = lib_verify(&target) {
                    failures.push(format!("read_file, byte {pos}: verifies ({torn})"));
                }
                cli_checked += 1;
                let out = cli_verify(&target);
                if out.status.code() != Some(4) {
                    failures.push(format!("CLI verify, byte {pos}: {}", describe(&out)));
                } else {
                    failed(&out, 4);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} single-byte changes were not detected:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cli_checked > 100, "{cli_checked}");
    eprintln!(
        "{} bytes: {checked} library checks, {cli_checked} CLI checks",
        original.len()
    );
}

/// A complete record followed by a stray byte (the final `\n` replaced) is not a crash-torn
/// tail: a torn tail is a strict prefix of a well-formed line, and no well-formed line
/// continues after its closing `}` with anything but `\n`.
#[test]
fn replacing_the_final_newline_is_tampering_not_a_torn_tail() {
    let fx = small_journal(0);
    let original = std::fs::read(&fx.journal).unwrap();
    let target = fx.path("tampered.jsonl");
    let last = original.len() - 1;
    for byte in [b'x', b'\n' ^ 0x01, b' ', b'}'] {
        let mut bytes = original.clone();
        bytes[last] = byte;
        std::fs::write(&target, &bytes).unwrap();
        let lib = lib_verify(&target);
        let out = cli_verify(&target);
        assert!(
            lib.is_err() && out.status.code() == Some(4),
            "final newline replaced by {byte:#04x}: a complete record followed by a stray byte \
             was accepted as a torn tail (library: {lib:?}); expected exit 4, got\n{}",
            describe(&out)
        );
    }
}

/// Control for the special case: a genuinely torn last line (a strict prefix of the record,
/// cut short mid-JSON) is reported and passes.
#[test]
fn a_truncated_last_line_is_a_torn_tail() {
    let fx = small_journal(0);
    let original = std::fs::read(&fx.journal).unwrap();
    let target = fx.path("torn.jsonl");
    let start = original[..original.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    for cut in [original.len() - 2, start + 1, (start + original.len()) / 2] {
        std::fs::write(&target, &original[..cut]).unwrap();
        assert_eq!(lib_verify(&target), Ok(true), "cut at {cut}");
        let v: Value = serde_json::from_str(&ok(&cli_verify(&target))).unwrap();
        assert_eq!(v["torn_tail"], json!({"offset": start, "len": cut - start}));
        assert_eq!(v["records"], 4);
    }
}

/// A last record missing only its newline is complete and valid: it may have been
/// acknowledged, so it is a record (not a torn tail), and a writer completes it.
#[test]
fn a_last_record_missing_only_its_newline_is_a_record() {
    let fx = small_journal(0);
    let original = std::fs::read(&fx.journal).unwrap();
    let target = fx.path("unterminated.jsonl");
    std::fs::write(&target, &original[..original.len() - 1]).unwrap();
    assert_eq!(lib_verify(&target), Ok(false));
    let report = read_file(&target).unwrap();
    assert_eq!(report.records.len(), 5);
    assert!(report.unterminated);
    let v: Value = serde_json::from_str(&ok(&cli_verify(&target))).unwrap();
    assert_eq!(v["records"], 5);
    assert_eq!(v["torn_tail"], Value::Null);
    ok(&run(
        &["apply", "--journal", target.to_str().unwrap()],
        Some(b""),
    ));
    assert_eq!(std::fs::read(&target).unwrap(), original);
}

/// The line whose hash is computed over its own (non-canonical) text: extra whitespace in the
/// event, an escaped character, a number spelled `1.0`, members out of order. Any independent
/// RFC 8785 implementation hashes the record differently, so it is tampering (exit 4), however
/// consistent the chain after it.
#[test]
fn a_non_canonical_line_with_a_self_consistent_hash_fails_verify() {
    let fx = small_journal(1);
    let original = std::fs::read(&fx.journal).unwrap();
    let lines: Vec<String> = text(&original).lines().map(str::to_owned).collect();
    let target = fx.path("non-canonical.jsonl");
    let t = target.to_str().unwrap();
    // Record 5 is the finding after the review: `"value":1`.
    assert!(lines[5].contains(r#""value":1}"#), "{}", lines[5]);
    let rewrites = [
        lines[5].replacen(r#""value":1}"#, r#""value": 1}"#, 1),
        lines[5].replacen(r#""value":1}"#, r#""value":1.0}"#, 1),
        lines[5].replacen(r#""value":1}"#, r#""value":1e0}"#, 1),
        lines[5].replacen("lineage/internal/0", r"lineage\/internal\/0", 1),
        lines[5].replacen("lineage/internal/0", r"\u006cineage/internal/0", 1),
    ];
    for rewritten in rewrites {
        assert_ne!(rewritten, lines[5]);
        // Hash the rewritten members' text in JCS member order, as a writer that "hashes what
        // it writes" would.
        let v: Value = serde_json::from_str(&rewritten).unwrap();
        let event_text = {
            let start = rewritten.find(r#","event":"#).unwrap() + r#","event":"#.len();
            let end = rewritten.find(r#","hash":"#).unwrap();
            &rewritten[start..end]
        };
        let unsealed = format!(
            r#"{{"at":{},"event":{},"prev":{},"seq":{}}}"#,
            v["at"], event_text, v["prev"], v["seq"]
        );
        let hash = sha256(unsealed.as_bytes());
        let line = rewritten.replace(v["hash"].as_str().unwrap(), &hash);
        let mut bytes: Vec<u8> = lines[..5].join("\n").into_bytes();
        bytes.push(b'\n');
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        std::fs::write(&target, &bytes).unwrap();
        let out = cli_verify(&target);
        failed_with(&out, 4, "journal_tampered");
        assert!(
            text(&out.stderr).contains("canonical"),
            "names the cause: {}",
            describe(&out)
        );
        assert!(lib_verify(&target).is_err());
        let len = journal_len(&target);
        failed_with(
            &run(&["apply", "--journal", t], Some(b"")),
            4,
            "journal_tampered",
        );
        assert_eq!(journal_len(&target), len, "a writer leaves it alone");
    }
}

fn write_records(path: &Path, records: &[Value]) {
    std::fs::write(path, to_jsonl(records)).unwrap();
}

/// Replaces the token of decision record `index` (keeping its `at`, `kind`, `issuer`) and
/// re-chains every hash from it on.
fn with_token(records: &[Value], index: usize, token: &str) -> Vec<Value> {
    let mut out = records.to_vec();
    let event = &mut out[index]["event"];
    event["token"] = json!(token);
    event["token_digest"] = json!(sha256(token.as_bytes()));
    rechain(&mut out, index);
    out
}

#[test]
fn a_rechained_journal_with_a_token_from_outside_the_trust_fails_verify() {
    let fx = small_journal(2);
    let records = journal_records(&fx.journal);
    assert_eq!(records.len(), 7);
    let index = 4;
    let review_event = &records[index]["event"];
    assert_eq!(review_event["kind"], "review");
    let at = T0 + 600;
    assert_eq!(review_event["at"], ts(at));
    // The review's claims, as the original token carried them.
    let payload = review_event["token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let original_claims: Value = serde_json::from_slice(&b64_decode(payload)).unwrap();
    let digest = original_claims["decision"]["packet_digest"]
        .as_str()
        .unwrap();
    let target = fx.path("rechained.jsonl");

    // Control: re-chaining unchanged records reproduces the stored hashes, and swapping in
    // another valid token from the same trusted key verifies.
    let mut same = records.clone();
    rechain(&mut same, 0);
    assert_eq!(same, records, "re-chaining reproduces the stored hashes");
    let valid = token(&LEE, at, review(digest));
    write_records(&target, &with_token(&records, index, &valid));
    let v: Value = serde_json::from_str(&ok(&cli_verify(&target))).unwrap();
    assert_eq!(v["records"], 7);

    let outsiders = [
        // A kid the trust file does not know.
        sign_compact(
            &header(MALLORY.kid),
            &claims(LEE.id, at, at + 600, review(digest)),
            &MALLORY.seed,
        ),
        // Lee's kid, forged with another key.
        sign_compact(
            &header(LEE.kid),
            &claims(LEE.id, at, at + 600, review(digest)),
            &MALLORY.seed,
        ),
        // An outsider under its own name.
        sign_compact(
            &header(MALLORY.kid),
            &claims(MALLORY.id, at, at + 600, review(digest)),
            &MALLORY.seed,
        ),
    ];
    for (i, t) in outsiders.iter().enumerate() {
        let mut forged = with_token(&records, index, t);
        if i == 2 {
            forged[index]["event"]["issuer"] = json!(MALLORY.id);
            rechain(&mut forged, index);
        }
        write_records(&target, &forged);
        // The chain itself is intact: only replay can tell.
        let report = read_file(&target).expect("the re-chained hashes are consistent");
        assert_eq!(report.records.len(), 7);
        let out = cli_verify(&target);
        failed_with(&out, 4, "journal_tampered");
        assert!(
            text(&out.stderr).contains("record 4"),
            "names the record: {}",
            describe(&out)
        );
        assert!(lib_verify(&target).is_err());
        failed_with(
            &run(&["status", "--journal", target.to_str().unwrap()], None),
            4,
            "journal_tampered",
        );
    }
}

#[test]
fn a_rewritten_embedded_trust_fails_against_the_original_trust_file() {
    let fx = small_journal(1);
    let records = journal_records(&fx.journal);
    let target = fx.path("rewritten.jsonl");
    let t = target.to_str().unwrap();
    let original_trust = fx.trust.to_str().unwrap();

    // Control: the untouched journal verifies against the original trust file.
    ok(&fx.verify());

    // Rewrite: give an outsider the legal-trust-office role in the embedded trust.
    let mut rewritten = records.clone();
    let genesis = &mut rewritten[0]["event"];
    genesis["trust"]["principals"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "id": MALLORY.id, "roles": ["legal-trust-office"],
            "keys": [{"kid": MALLORY.kid, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": public_x(&MALLORY.seed)}}],
        }));

    // Without re-pinning, the embedded copy no longer matches its own pin.
    let mut unpinned = rewritten.clone();
    rechain(&mut unpinned, 0);
    write_records(&target, &unpinned);
    read_file(&target).expect("consistent chain");
    failed_with(&cli_verify(&target), 4, "journal_tampered");

    // Re-pinned and re-chained: self-consistent, so only the caller's own copy can tell.
    let trust_bytes = serde_json::to_vec(&rewritten[0]["event"]["trust"]).unwrap();
    let new_digest = authority_lane::approval::Trust::from_json(&trust_bytes)
        .unwrap()
        .digest()
        .clone();
    assert_ne!(
        Value::from(new_digest.as_str()),
        records[0]["event"]["trust_digest"]
    );
    rewritten[0]["event"]["trust_digest"] = json!(new_digest.as_str());
    rechain(&mut rewritten, 0);
    write_records(&target, &rewritten);
    // Bare verify has no anchors of its own to trust.
    failed_with(
        &run(&["verify", "--journal", t], None),
        2,
        "anchor_required",
    );

    let out = cli_verify(&target);
    failed_with(&out, 4, "pin_mismatch");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trust") && stderr.contains("mismatch"),
        "a pin mismatch: {stderr}"
    );
    for cmd in [&["status"][..], &["packet", "--draft"][..]] {
        let args = [cmd, &["--journal", t, "--trust", original_trust][..]].concat();
        failed_with(&run(&args, None), 4, "pin_mismatch");
    }
    let len = journal_len(&target);
    failed_with(
        &run(
            &["apply", "--journal", t, "--trust", original_trust],
            Some(b""),
        ),
        4,
        "pin_mismatch",
    );
    assert_eq!(journal_len(&target), len);
}
