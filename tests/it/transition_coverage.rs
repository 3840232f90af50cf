//! Transition coverage: every (leaf state × command kind) pair is driven through a real case and
//! checked against the machine's own [`transition_table`], in the style of sdk-core's recorded
//! transition coverage. A valid command (valid token, entitled principal, current digest) whose
//! input the table allows must be accepted and land in the table's target leaf; one it does not
//! allow must be refused with `not_allowed_in_state` (`case_closed` in a closed leaf).
//!
//! Commands map to machine inputs as the case feeds them: findings, delegations and redirects
//! are `Revise { ready }` (a finding that leaves the decision unchanged in a deciding leaf is
//! `Carry`; in `accepted` it is `Carry` too, and one that changes the decision `Reopen`),
//! reviews `SignOff { quorum }`, acceptances `Accept`, stand-downs
//! `StandDown` and declarations `Declare`.

use authority_lane::ErrorCode;
use authority_lane::approval::{Decision, Declare, Delegate, Redirect, RedirectAction, StandDown};
use authority_lane::case::Command;
use authority_lane::case::{InputKind, Leaf, transition_table};
use authority_lane::ids::CaseId;
use authority_lane::testing::{Cast, Harness};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};

const KINDS: [&str; 7] = [
    "finding",
    "declare",
    "delegate",
    "review",
    "accept",
    "redirect",
    "stand_down",
];

/// The crate's one hand-driven harness.
type World = Harness;

fn open() -> World {
    let now: DateTime<Utc> = "2026-11-28T09:00:00Z".parse().unwrap();
    // The shipped workflow with `carry_over: "decision_unchanged"`, so that the `Carry` input is
    // reachable too (under the default `never` every finding is a `Revise`).
    Harness::open(
        authority_lane::testing::shipped_workflow_carrying(
            authority_lane::workflow::CarryOver::DecisionUnchanged,
        ),
        Cast::fixed(),
        "sam.rivera",
        case_id(),
        now,
    )
}

fn stand_down(w: &mut World) -> Command {
    w.decision(
        "sam.rivera",
        Decision::StandDown(StandDown {
            reason: "false alarm".into(),
        }),
    )
}

fn case_id() -> CaseId {
    "case-cov".into()
}

/// A real case driven into `leaf`. The recommended lane is `platform-security-command`
/// (owned by priya.natarajan); lee.park has signed off in `in_review`, lee.park and
/// ines.duarte in `awaiting_acceptance`.
fn case_in(leaf: Leaf) -> World {
    let mut w = open();
    if leaf == Leaf::StoodDown {
        let c = stand_down(&mut w);
        w.must(c);
    }
    if matches!(
        leaf,
        Leaf::Drafted | Leaf::InReview | Leaf::AwaitingAcceptance | Leaf::Accepted
    ) {
        for (fact, value) in [
            ("custody.exposure", json!("suspected")),
            ("lineage.desktop_agent_artifacts_in_window", json!(0)),
            ("authority.platform_delegation", json!("active")),
        ] {
            let c = w.finding(fact, value);
            w.must(c);
        }
    }
    if matches!(
        leaf,
        Leaf::InReview | Leaf::AwaitingAcceptance | Leaf::Accepted
    ) {
        let c = w.review("lee.park");
        w.must(c);
    }
    if matches!(leaf, Leaf::AwaitingAcceptance | Leaf::Accepted) {
        let c = w.review("ines.duarte");
        w.must(c);
    }
    if leaf == Leaf::Accepted {
        let c = w.accept("priya.natarajan");
        w.must(c);
    }
    assert_eq!(w.case.state(), leaf, "could not drive a case into {leaf}");
    w
}

/// Valid commands of `kind` for the case in `leaf`, each with the machine input it feeds: the
/// main one, plus variants that feed another input of the same kind.
fn commands(w: &mut World, leaf: Leaf, kind: &str) -> Vec<(Command, InputKind)> {
    let mut out = vec![command(w, leaf, kind)];
    match kind {
        // Asking for evidence sends any open case (back) to gathering.
        "redirect" => out.push((
            w.decision(
                "sam.rivera",
                Decision::Redirect(Redirect {
                    action: RedirectAction::RequestEvidence {
                        facts: vec!["impact.customers_affected".into()],
                    },
                    reason: "need customer numbers".into(),
                }),
            ),
            InputKind::Revise { ready: false },
        )),
        // A finding that repeats a resolved value leaves the decision unchanged: under the
        // shipped workflow's `carry_over: "decision_unchanged"` it is a `Carry` (DESIGN §15).
        "finding" if leaf.is_deciding() || leaf == Leaf::Accepted => out.push((
            w.finding("custody.exposure", json!("suspected")),
            InputKind::Carry,
        )),
        // A second product-security reviewer does not complete the quorum.
        "review" if leaf == Leaf::InReview => out.push((
            w.review("omar.haddad"),
            InputKind::SignOff { quorum: false },
        )),
        _ => {}
    }
    out
}

/// The main valid command of `kind` for the case in `leaf`, and the machine input it feeds.
fn command(w: &mut World, leaf: Leaf, kind: &str) -> (Command, InputKind) {
    // Findings, delegations and exclusions leave readiness as it is: a draft stays reviewable,
    // and gathering (required facts missing) stays gathering.
    let ready = leaf != Leaf::Gathering;
    match kind {
        // In `accepted` a finding that changes the decision reopens the case (DESIGN §15).
        "finding" if leaf == Leaf::Accepted => (
            w.finding("lineage.internal_packages_in_window", json!(3)),
            InputKind::Reopen { ready: true },
        ),
        "finding" => (
            w.finding("lineage.internal_packages_in_window", json!(3)),
            InputKind::Revise { ready },
        ),
        "declare" => (
            w.decision(
                "sam.rivera",
                Decision::Declare(Declare {
                    scope: "again".into(),
                    severity: "sev1".into(),
                }),
            ),
            InputKind::Declare,
        ),
        "delegate" => {
            let until = w.now + Duration::hours(1);
            (
                w.decision(
                    "priya.natarajan",
                    Decision::Delegate(Delegate {
                        lane: "platform-security-command".into(),
                        to: "marcus.chen".into(),
                        until,
                    }),
                ),
                InputKind::Revise { ready },
            )
        }
        // In `in_review` the trust reviewer completes the quorum; elsewhere a reviewer who has
        // not signed adds a first sign-off.
        "review" if leaf == Leaf::InReview => {
            (w.review("ines.duarte"), InputKind::SignOff { quorum: true })
        }
        "review" => (
            w.review("omar.haddad"),
            InputKind::SignOff { quorum: false },
        ),
        "accept" => (w.accept("priya.natarajan"), InputKind::Accept),
        // The legal and trust office owns every option's boundary lane.
        "redirect" => (
            w.decision(
                "dana.okafor",
                Decision::Redirect(Redirect {
                    action: RedirectAction::ExcludeOption {
                        option: "contain-and-monitor".into(),
                        assessment_digest: w.case.assessment_digest(),
                    },
                    reason: "not enough on its own".into(),
                }),
            ),
            InputKind::Revise { ready },
        ),
        "stand_down" => (stand_down(w), InputKind::StandDown),
        other => panic!("unknown command kind {other}"),
    }
}

#[test]
fn every_leaf_and_command_kind_behaves_as_the_transition_table_says() {
    let table = transition_table();
    let mut covered: BTreeSet<(Leaf, &str)> = BTreeSet::new();
    let mut steps_exercised = HashSet::new();
    for leaf in Leaf::ALL {
        for kind in KINDS {
            let variants = commands(&mut case_in(leaf), leaf, kind).len();
            for v in 0..variants {
                // A fresh case per command, so every command meets the case in `leaf`.
                let mut w = case_in(leaf);
                let (cmd, input) = commands(&mut w, leaf, kind).swap_remove(v);
                let step = table
                    .iter()
                    .find(|s| s.from == leaf && s.input == input)
                    .unwrap_or_else(|| panic!("the table has no entry for {leaf} × {input:?}"));
                let result = w.apply(&cmd);
                match (step.to, result) {
                    (Some(to), Ok(())) => assert_eq!(
                        w.case.state(),
                        to,
                        "{kind} in {leaf}: the table says {to}, the case went to {}",
                        w.case.state()
                    ),
                    (Some(to), Err(e)) => {
                        panic!(
                            "{kind} in {leaf}: the table allows it (→ {to}) but it was refused: {e}"
                        )
                    }
                    (None, Ok(())) => panic!(
                        "{kind} in {leaf}: the table rejects it but the case accepted it (now {})",
                        w.case.state()
                    ),
                    (None, Err(e)) => {
                        let expected = if leaf.is_closed() {
                            ErrorCode::CaseClosed
                        } else {
                            ErrorCode::NotAllowedInState
                        };
                        assert_eq!(e.code(), expected, "{kind} in {leaf}: {e}");
                        assert_eq!(w.case.state(), leaf, "a refused command moved the case");
                    }
                }
                covered.insert((leaf, kind));
                steps_exercised.insert((step.from, step.input));
            }
        }
    }
    let missing: Vec<_> = Leaf::ALL
        .iter()
        .flat_map(|l| KINDS.iter().map(move |k| (*l, *k)))
        .filter(|p| !covered.contains(p))
        .collect();
    assert!(missing.is_empty(), "pairs not exercised: {missing:?}");
    assert_eq!(covered.len(), Leaf::ALL.len() * KINDS.len());

    // Report the table entries no single valid command exercises here: a first sign-off cannot
    // complete this workflow's quorum of 2, and the last required finding (gathering →
    // drafted) is exercised while driving cases into `drafted`.
    let unexercised: Vec<_> = table
        .iter()
        .filter(|s| !steps_exercised.contains(&(s.from, s.input)))
        .map(|s| format!("{} × {:?}", s.from, s.input))
        .collect();
    eprintln!(
        "exercised {} of {} transition-table entries; not reached by a single valid command: {unexercised:?}",
        steps_exercised.len(),
        table.len()
    );
}

/// Every leaf of the statechart appears in the table.
#[test]
fn the_table_covers_every_leaf() {
    let table = transition_table();
    for leaf in Leaf::ALL {
        assert!(table.iter().any(|s| s.from == leaf), "{leaf} missing");
    }
}
