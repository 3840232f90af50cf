//! DESIGN §15's invariants over random scripts: under `review.carry_over:
//! "decision_unchanged"` a finding that changes no decision never voids a sign-off (and one
//! that changes it always does); under `"never"` every finding in a deciding state voids them
//! and nothing of the epochs is recorded — the behaviour before epochs. Invariant 1 (the
//! quorum and the acceptance are bound to the final epoch) is `case_properties`'.

use authority_lane::case::{Case, Command, Leaf};
use authority_lane::testing::{Driver, Outcome, Script, Trace, shipped_workflow_carrying};
use authority_lane::workflow::CarryOver;
use quickcheck::{Gen, TestResult};

const CASES: u64 = 400;

fn check(prop: fn(Script) -> TestResult) {
    crate::support::check_property(prop, CASES);
}

fn run(carry: CarryOver, script: &Script) -> Trace {
    Driver::with_workflow(shipped_workflow_carrying(carry)).run(script)
}

/// Each applied finding with the case before and after it.
fn findings(trace: &Trace) -> impl Iterator<Item = (&Case, &Case)> {
    trace
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(e.command, Command::Finding { .. }) && matches!(e.outcome, Outcome::Applied(_))
        })
        .map(|(i, e)| (trace.before(i), &e.case))
}

fn prop_unchanged_decisions_carry(script: Script) -> TestResult {
    let trace = run(CarryOver::DecisionUnchanged, &script);
    for (before, after) in findings(&trace) {
        if !before.state().is_deciding() || after.draft_digest().is_none() {
            continue;
        }
        let (was, now) = (before.status(), after.status());
        if before.decision_digest() == after.decision_digest() {
            if after.state() != before.state() || now.signoffs != was.signoffs {
                return TestResult::error(format!(
                    "a finding that changed no decision moved {} ({} sign-offs) to {} ({})",
                    before.state(),
                    was.signoffs,
                    after.state(),
                    now.signoffs
                ));
            }
        } else if after.state() != Leaf::Drafted || now.signoffs != 0 {
            return TestResult::error(format!(
                "a finding that changed the decision left {} with {} sign-offs",
                after.state(),
                now.signoffs
            ));
        }
    }
    TestResult::passed()
}

fn prop_never_voids_on_every_finding(script: Script) -> TestResult {
    let trace = run(CarryOver::Never, &script);
    for (before, after) in findings(&trace) {
        if !before.state().is_deciding() {
            continue;
        }
        if !matches!(after.state(), Leaf::Drafted | Leaf::Gathering) || after.status().signoffs != 0
        {
            return TestResult::error(format!(
                "under never a finding left {} with {} sign-offs",
                after.state(),
                after.status().signoffs
            ));
        }
    }
    let last = trace.last();
    if let Some(draft) = last.draft()
        && draft.approvals.iter().any(|a| a.signed.is_some())
    {
        return TestResult::error("under never an approval recorded a signed draft");
    }
    TestResult::passed()
}

#[test]
fn findings_that_change_no_decision_never_void_and_changes_always_do() {
    check(prop_unchanged_decisions_carry);
}

#[test]
fn under_never_every_finding_voids_as_before_epochs() {
    check(prop_never_voids_on_every_finding);
}

/// The properties are not vacuous: generated scripts carry sign-offs through findings under
/// `decision_unchanged` and void them under `never`.
#[test]
fn generated_scripts_carry_and_void() {
    let mut g = Gen::from_size_and_seed(40, 0x5eed_e90c);
    let (mut carried, mut voided) = (0, 0);
    for _ in 0..300 {
        let script: Script = quickcheck::Arbitrary::arbitrary(&mut g);
        for (before, after) in findings(&run(CarryOver::DecisionUnchanged, &script)) {
            if before.status().signoffs > 0 && after.status().signoffs == before.status().signoffs {
                carried += 1;
            }
        }
        for (before, after) in findings(&run(CarryOver::Never, &script)) {
            if before.status().signoffs > 0 && after.status().signoffs == 0 {
                voided += 1;
            }
        }
    }
    assert!(
        carried > 0 && voided > 0,
        "carried {carried}, voided {voided}"
    );
    eprintln!("sign-offs carried through {carried} findings, voided by {voided} (300 scripts)");
}
