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
//!   compute without panicking.
#![no_main]

use authority_lane::approval::Trust;
use authority_lane::case::Case;
use authority_lane::workflow::Workflow;
use authority_lane_fuzz::fixture::{World, t0};
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
            assert!(!e.code().is_empty());
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
    WORLD.with(|w| match Case::open(Arc::new(wf), w.trust.clone(), &w.declaration, t0()) {
        Ok(case) => {
            let _ = case.status();
            let _ = case.draft();
            let _ = case.assessment_digest();
        }
        Err(rejection) => assert!(!rejection.code().is_empty()),
    });
}

fn trust(data: &[u8]) {
    let trust = match Trust::from_json(data) {
        Ok(t) => t,
        Err(e) => {
            assert!(!e.code().is_empty());
            let _ = e.to_string();
            return;
        }
    };
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
