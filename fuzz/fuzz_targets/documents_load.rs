//! `documents_load`: untrusted workflow and trust documents (the pinned documents of DESIGN §12.1;
//! the ones embedded in record 0 are loaded from journals written by anyone).
//!
//! The same bytes are loaded as a workflow (`Workflow::from_json`) and as a trust file
//! (`Trust::from_json`). Properties:
//! - no panic; errors have non-empty codes;
//! - a loaded document's digest is stable: re-serialising it (`workflow.spec()` /
//!   `trust.file()` with serde_json) and loading the text again succeeds and gives the same
//!   `digest()` and the same document; loading the parsed document directly (`from_spec` /
//!   `from_file`) gives the same digest too;
//! - a loaded workflow can be worked with: a case opens under it with the fixed cast's
//!   declaration (or is refused with a code), and its status, draft and assessment digest
//!   compute without panicking; findings dated at the ends of the timestamp grammar are decided
//!   (accepted or refused with a code) without date arithmetic overflowing (DESIGN §12.9);
//! - every loaded document is free of repeated keys (`digest::strict_json` accepts it) and every
//!   review number is within its documented maximum.
#![no_main]

use authority_lane::approval::Trust;
use authority_lane::case::{Case, Command};
use authority_lane::workflow::Workflow;
use authority_lane_fuzz::fixture::{World, finding_line, required_findings, t0};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

thread_local! {
    static WORLD: World = World::new();
}

fuzz_target!(|data: &[u8]| {
    workflow(data);
    trust(data);
});

fn workflow(data: &[u8]) {
    let wf = match Workflow::from_json(data) {
        Ok(wf) => wf,
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            return;
        }
    };
    let text = serde_json::to_vec(wf.spec()).expect("a workflow spec serialises");
    let again = match Workflow::from_json(&text) {
        Ok(again) => again,
        Err(e) => panic!("a loaded workflow, re-serialised, does not load: {e}\n{}", String::from_utf8_lossy(&text)),
    };
    assert_eq!(wf.digest(), again.digest(), "a re-serialised workflow has another digest");
    assert_eq!(wf.spec(), again.spec(), "a re-serialised workflow is another workflow");
    let direct = Workflow::from_spec(wf.spec().clone()).expect("a loaded spec loads");
    assert_eq!(wf.digest(), direct.digest());
    assert!(authority_lane::digest::strict_json(data).is_ok(), "a workflow with a repeated key loaded");
    let review = wf.spec().review.clone();
    assert!((1..=authority_lane::workflow::MAX_DELEGATION_SECS).contains(&review.max_delegation_secs));
    assert!((0..=authority_lane::workflow::MAX_CLOCK_SKEW_SECS).contains(&review.max_clock_skew_secs));
    WORLD.with(|w| match Case::open(Arc::new(wf), w.trust.clone(), &w.declaration, t0()) {
        Ok(case) => {
            let _ = case.status();
            let _ = case.draft();
            let _ = case.assessment_digest();
            for at in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
                let (role, agent, fact, value, system, record) = required_findings()[0].clone();
                let line = finding_line(at, role, agent, fact, value, system, record, None);
                if let Ok(command) = Command::from_json(&line.to_string()) {
                    for now in [t0(), authority_lane::time::parse("9999-12-31T23:59:59Z").expect("a time")] {
                        if let Err(r) = case.decide(&command, now) {
                            let _ = r.code(); // every refusal names an ErrorCode (by type)
                        }
                    }
                }
            }
        }
        // Every refusal names an ErrorCode (by type).
        Err(rejection) => {
            let _ = rejection.code();
        }
    });
}

fn trust(data: &[u8]) {
    let trust = match Trust::from_json(data) {
        Ok(t) => t,
        Err(e) => {
            let _ = e.code(); // every refusal names an ErrorCode (by type)
            let _ = e.to_string();
            return;
        }
    };
    assert!(authority_lane::digest::strict_json(data).is_ok(), "a trust file with a repeated key loaded");
    let text = serde_json::to_vec(trust.file()).expect("a trust file serialises");
    let again = match Trust::from_json(&text) {
        Ok(again) => again,
        Err(e) => panic!("a loaded trust file, re-serialised, does not load: {e}\n{}", String::from_utf8_lossy(&text)),
    };
    assert_eq!(trust.digest(), again.digest(), "a re-serialised trust file has another digest");
    assert_eq!(
        serde_json::to_value(trust.file()).expect("a trust file serialises"),
        serde_json::to_value(again.file()).expect("a trust file serialises"),
        "a re-serialised trust file is another trust file"
    );
    let direct = Trust::from_file(trust.file().clone()).expect("a loaded trust file loads");
    assert_eq!(trust.digest(), direct.digest());
}
