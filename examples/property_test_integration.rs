//! Property-testing your own integration with the `testing` generators.
//!
//! Run with `cargo run --example property_test_integration`.
//!
//! Suppose your orchestrator wraps the case in its own loop — here `MyIntegration`, which feeds
//! commands to a journaled [`CaseStore`] and keeps its own notion of "done". The crate's
//! generators produce random scripts of agents' findings and humans' tokens: valid ones, and
//! forged, expired, misdirected, replayed and stale ones. The property below checks that, however
//! the script goes, your integration never reports an accepted recommendation unless the
//! journal holds a review quorum and an acceptance bound to the accepted decision: under the
//! shipped workflow's `carry_over: "decision_unchanged"` a review or acceptance may name any
//! draft of the decision epoch, and a case can leave `closed/accepted` again when evidence
//! after the acceptance changes the decision (DESIGN §15) — an integration must follow both.

use authority_lane::case::Leaf;
use authority_lane::journal::MemoryJournal;
use authority_lane::store::{CaseStore, Clock};
use authority_lane::testing::{Driver, Script};
use quickcheck::{QuickCheck, TestResult};
use std::collections::BTreeSet;

/// The integration under test: a thin loop around a journaled case.
struct MyIntegration {
    store: CaseStore<MemoryJournal>,
    /// The integration's own view: the accepted packet's digest while it believes the case is
    /// accepted (a reopened case is not).
    accepted_digest: Option<String>,
    /// Every draft it was shown, with its decision digest: what reviewers could have signed.
    shown: Vec<(String, String)>,
}

impl MyIntegration {
    /// Handles one incoming command the way a real orchestrator would: submit, then update its
    /// own state from what the case says — never from what the command claimed.
    fn handle(&mut self, command: authority_lane::case::Command) {
        match self.store.submit(std::slice::from_ref(&command)) {
            Ok(_) => {
                self.accepted_digest = self.store.packet().map(|p| p.packet_digest().to_string());
                let case = self.store.case();
                if let (Some(draft), Some(decision)) = (case.draft_digest(), case.decision_digest())
                {
                    self.shown.push((draft.to_string(), decision.to_string()));
                }
            }
            Err(e) => panic!("in-memory journal failed: {e}"),
        }
    }
}

/// The property: "accepted" in the integration implies, in the journal, two distinct reviewers'
/// sign-offs and one acceptance naming drafts of the accepted decision.
fn never_accepts_without_humans(script: Script) -> TestResult {
    let mut driver = Driver::new();
    let case = driver.open();
    let (workflow, trust) = case.shared();
    let declaration = case.genesis().token.clone();
    let store = CaseStore::in_memory(
        workflow,
        trust,
        &declaration,
        Clock::Supplied(case.genesis().at),
    )
    .expect("the declaration opens a case");
    let mut integration = MyIntegration {
        store,
        accepted_digest: None,
        shown: Vec::new(),
    };
    for timed in &script.steps {
        let case = integration.store.case().clone();
        let at = driver.time_for(&case, timed.advance);
        let command = driver.command_for(&case, &timed.step, at);
        integration.handle(command);
    }
    let Some(digest) = integration.accepted_digest else {
        return TestResult::discard();
    };
    // The drafts of the accepted decision the integration was shown.
    let decision = integration
        .shown
        .iter()
        .find(|(draft, _)| *draft == digest)
        .map(|(_, decision)| decision.clone());
    let epoch: BTreeSet<&str> = integration
        .shown
        .iter()
        .filter(|(_, d)| Some(d) == decision.as_ref())
        .map(|(draft, _)| draft.as_str())
        .collect();
    // Read the journal, not the integration: who signed what.
    let mut reviewers = BTreeSet::new();
    let mut acceptances = 0;
    for record in integration.store.journal().records() {
        let event = &record.event;
        if event["type"] != "decision" {
            continue;
        }
        let token = event["token"].as_str().unwrap_or_default();
        let claims = decode_claims(token);
        let named = claims["decision"]["packet_digest"]
            .as_str()
            .is_some_and(|d| epoch.contains(d));
        match event["kind"].as_str() {
            Some("review") if named => {
                reviewers.insert(event["issuer"].to_string());
            }
            Some("accept") if named => acceptances += 1,
            _ => {}
        }
    }
    TestResult::from_bool(
        reviewers.len() >= 2
            && acceptances == 1
            && integration.store.case().state() == Leaf::Accepted,
    )
}

/// The claims of a compact JWS (already verified by the case; here only read).
fn decode_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn main() {
    // Many scripts never reach acceptance (they are discarded); ask for enough that some do.
    let result = QuickCheck::new()
        .tests(25)
        .max_tests(5_000)
        .quicktest(never_accepts_without_humans as fn(Script) -> TestResult);
    match result {
        Ok(passed) => println!(
            "property held: {passed} generated scripts reached an accepted packet, each with a review quorum and an acceptance on drafts of the accepted decision"
        ),
        Err(failure) => {
            eprintln!("property failed: {failure:?}");
            std::process::exit(1);
        }
    }
}
