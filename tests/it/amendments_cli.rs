//! DESIGN §16 through the CLI on the demo, which adds a trust reviewer by amendment: `trust`
//! shows who may sign what now, `verify` with the ORIGINAL trust file authenticates the chain,
//! the packet carries `trust_history` and the trust in force, Markdown shows them, and a
//! re-chained journal that drops one of the amendment's two signatures does not verify.

use crate::support::{self, failed, ok, rechain, run, to_jsonl, workflow_path};
use serde_json::Value;
use std::ffi::OsStr;

/// The demo written as a journal, with its original trust file beside it.
fn demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("case.jsonl");
    ok(&run(
        &["demo".as_ref(), "--journal".as_ref(), journal.as_os_str()],
        None,
    ));
    (dir, journal)
}

#[test]
fn the_demo_amendment_is_authenticated_from_the_original_trust_and_shown() {
    let (dir, journal) = demo();
    let trust = dir.path().join("case.trust.json");
    let workflow = workflow_path();
    let anchors = [
        "--trust".as_ref(),
        trust.as_os_str(),
        "--workflow".as_ref(),
        workflow.as_os_str(),
    ];
    let mut args = vec!["verify".as_ref(), "--journal".as_ref(), journal.as_os_str()];
    args.extend(anchors);
    ok(&run(&args, None));

    let rights: Value = serde_json::from_str(&ok(&run(
        &["trust".as_ref(), "--journal".as_ref(), journal.as_os_str()],
        None,
    )))
    .unwrap();
    assert_ne!(rights["trust_digest"], rights["root_trust_digest"]);
    assert_eq!(rights["trust_history"].as_array().unwrap().len(), 1);
    let who = |id: &str| {
        rights["principals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} is in the trust in force"))
    };
    assert_eq!(who("nora.quinn")["may"], serde_json::json!(["review"]));
    assert!(
        who("marcus.chen")["may"]
            .as_array()
            .unwrap()
            .contains(&"amend_trust".into())
    );
    assert_eq!(
        who("dana.okafor")["owns"],
        serde_json::json!(["legal-trust-office"])
    );

    let mut args = vec!["packet".as_ref(), "--journal".as_ref(), journal.as_os_str()];
    args.extend(anchors);
    let packet: Value = serde_json::from_str(&ok(&run(&args, None))).unwrap();
    let history = packet["trust_history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0]["signed_by"],
        serde_json::json!(["sam.rivera", "marcus.chen"])
    );
    assert_eq!(history[0]["added"][0]["principal"], "nora.quinn");
    assert_eq!(packet["trust_in_force"], rights["trust_digest"]);
    let recorded = support::journal_records(&journal);
    let seq = history[0]["seq"].as_u64().unwrap() as usize;
    assert_eq!(
        recorded[seq]["event"]["kind"], "amend_trust",
        "seq names the record"
    );
    args.extend([OsStr::new("--format"), OsStr::new("markdown")]);
    let markdown = ok(&run(&args, None));
    assert!(markdown.contains("## Trust amendments"), "{markdown}");
    assert!(markdown.contains("nora.quinn"), "{markdown}");
}

#[test]
fn an_amendment_signature_rewritten_by_a_key_without_an_amendment_role_does_not_verify() {
    let (dir, journal) = demo();
    let trust = dir.path().join("case.trust.json");
    let mut records = support::journal_records(&journal);
    let first = records
        .iter()
        .position(|r| r["event"]["kind"] == "amend_trust")
        .expect("the demo amends its trust");
    // lee.park (a reviewer, no amendment role) re-signs the same amendment with the demo key.
    let pem = std::fs::read_to_string(dir.path().join("case.keys/lee.park.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
    let seed: [u8; 32] = der[16..].try_into().unwrap();
    let token = records[first]["event"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&support::b64_decode(payload)).unwrap();
    claims["iss"] = "lee.park".into();
    claims["jti"] = "rewritten-amendment".into();
    let forged = support::sign_compact(&support::header("lee-demo"), &claims, &seed);
    let event = &mut records[first]["event"];
    event["issuer"] = "lee.park".into();
    event["token_digest"] = support::sha256(forged.as_bytes()).into();
    event["token"] = forged.into();
    rechain(&mut records, first);
    let path = dir.path().join("forged.jsonl");
    std::fs::write(&path, to_jsonl(&records)).unwrap();
    let workflow = workflow_path();
    let out = run(
        &[
            "verify".as_ref(),
            "--journal".as_ref(),
            path.as_os_str(),
            "--trust".as_ref(),
            trust.as_os_str(),
            "--workflow".as_ref(),
            workflow.as_os_str(),
        ],
        None,
    );
    assert_eq!(failed(&out, 4), "journal_tampered");
    let err = support::text(&out.stderr);
    assert!(err.contains("may not amend the trust"), "{err}");
}
