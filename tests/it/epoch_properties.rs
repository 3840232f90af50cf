//! DESIGN §15's invariants over random scripts: under `review.carry_over:
//! "decision_unchanged"` a finding that changes no decision never voids a sign-off (and one
//! that changes it always does); under `"never"` every finding in a deciding state voids them
//! and nothing of the epochs is recorded — the behaviour before epochs, an accepted case
//! included. A sign-off counts only in the epoch of its draft; after an acceptance a finding
//! either leaves the packet byte for byte or reopens the case as the next revision. Invariant 1
//! (the quorum and the acceptance are bound to the final epoch) is `case_properties`'.

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

fn jref() -> authority_lane::packet::JournalRef {
    authority_lane::packet::JournalRef {
        seq: 1,
        head: authority_lane::digest::Digest::of_bytes(b"head"),
    }
}

fn packet_json(case: &Case) -> Option<String> {
    case.packet(jref())
        .map(|p| serde_json::to_string(&p).expect("a packet serialises"))
}

/// After an acceptance (DESIGN §15): a finding either leaves the case accepted with its packet
/// byte for byte as it was, or reopens it as the next revision naming the accepted packet.
fn prop_after_acceptance_kept_or_reopened(script: Script) -> TestResult {
    let trace = run(CarryOver::DecisionUnchanged, &script);
    for (before, after) in findings(&trace) {
        if before.state() != Leaf::Accepted {
            continue;
        }
        let accepted = before
            .packet(jref())
            .expect("accepted")
            .packet_digest()
            .clone();
        if after.state() == Leaf::Accepted {
            if packet_json(after) != packet_json(before)
                || after.findings_since_acceptance() != before.findings_since_acceptance() + 1
            {
                return TestResult::error("a kept finding changed the accepted packet");
            }
            continue;
        }
        let prior = after.prior_revisions();
        let reopened = after.status().reopened;
        if !matches!(after.state(), Leaf::Drafted | Leaf::Gathering)
            || after.revision() != before.revision() + 1
            || prior.len() != before.prior_revisions().len() + 1
            || prior.last().map(|p| &p.packet_digest) != Some(&accepted)
            || reopened.map(|r| r.packet_digest) != Some(accepted)
            || after.status().signoffs != 0
        {
            return TestResult::error(format!(
                "a decision-changing finding after acceptance left {} at revision {}",
                after.state(),
                after.revision()
            ));
        }
    }
    TestResult::passed()
}

/// A sign-off counts only in the epoch of its draft: every counted review of the current
/// revision named a draft whose decision digest is the current one.
fn prop_signoffs_count_only_in_their_epoch(script: Script) -> TestResult {
    let trace = run(CarryOver::DecisionUnchanged, &script);
    let cases: Vec<&Case> = std::iter::once(&trace.start)
        .chain(trace.entries.iter().map(|e| &e.case))
        .collect();
    let decisions: std::collections::BTreeMap<_, _> = cases
        .iter()
        .filter_map(|c| Some((c.draft_digest()?, c.decision_digest()?)))
        .collect();
    for case in cases {
        let (Some(draft), Some(decision)) = (case.draft(), case.decision_digest()) else {
            continue;
        };
        let counted = draft
            .approvals
            .iter()
            .filter(|a| a.kind == "review" && !a.voided && a.revision == Some(case.revision()));
        for a in counted {
            let Some(signed) = &a.signed else {
                return TestResult::error("a carried review without the draft it signed");
            };
            if decisions.get(&signed.draft_digest) != Some(&decision) {
                return TestResult::error(format!(
                    "a review counted in {} names a draft of another decision",
                    case.state()
                ));
            }
        }
    }
    TestResult::passed()
}

/// Under `never` an accepted case takes nothing: every command is `case_closed`.
fn prop_never_closes_at_acceptance(script: Script) -> TestResult {
    let trace = run(CarryOver::Never, &script);
    for (i, e) in trace.entries.iter().enumerate() {
        if trace.before(i).state() == Leaf::Accepted
            && e.outcome.code() != Some(authority_lane::ErrorCode::CaseClosed)
        {
            return TestResult::error(format!(
                "under never an accepted case answered {:?}",
                e.outcome.code()
            ));
        }
    }
    TestResult::passed()
}

#[test]
fn after_acceptance_a_finding_is_kept_or_reopens_the_case() {
    check(prop_after_acceptance_kept_or_reopened);
}

#[test]
fn a_signoff_counts_only_in_the_epoch_of_its_draft() {
    check(prop_signoffs_count_only_in_their_epoch);
}

#[test]
fn under_never_an_accepted_case_takes_nothing() {
    check(prop_never_closes_at_acceptance);
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
    let (mut carried, mut voided, mut kept, mut reopened) = (0, 0, 0, 0);
    for _ in 0..300 {
        let script: Script = quickcheck::Arbitrary::arbitrary(&mut g);
        for (before, after) in findings(&run(CarryOver::DecisionUnchanged, &script)) {
            if before.status().signoffs > 0 && after.status().signoffs == before.status().signoffs {
                carried += 1;
            }
            if before.state() == Leaf::Accepted {
                if after.state() == Leaf::Accepted {
                    kept += 1;
                } else {
                    reopened += 1;
                }
            }
        }
        for (before, after) in findings(&run(CarryOver::Never, &script)) {
            if before.status().signoffs > 0 && after.status().signoffs == 0 {
                voided += 1;
            }
        }
    }
    assert!(
        carried > 0 && voided > 0 && kept > 0 && reopened > 0,
        "carried {carried}, voided {voided}, kept after acceptance {kept}, reopened {reopened}"
    );
    eprintln!(
        "sign-offs carried through {carried} findings, voided by {voided}; after acceptance {kept} findings kept, {reopened} reopened (300 scripts)"
    );
}
