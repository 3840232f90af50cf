//! Transition coverage: every (leaf state × command kind) pair is driven through a real case and
//! checked against the machine's own [`transition_table`], in the style of sdk-core's recorded
//! transition coverage. A valid command (valid token, entitled principal, current digest) whose
//! input the table allows must be accepted and land in the table's target leaf; one it does not
//! allow must be refused with `not_allowed_in_state` (`case_closed` in a closed leaf).
//!
//! Commands map to machine inputs as the case feeds them: findings, delegations and redirects
//! are `Evidence { ready }`, reviews `SignOff { quorum }`, acceptances `Accept`, stand-downs
//! `StandDown` and declarations `Declare`.

use authority_lane::approval::{
    Accept, Decision, Declare, Delegate, Redirect, RedirectAction, Review, StandDown,
};
use authority_lane::case::machine::{InputKind, Leaf, transition_table};
use authority_lane::case::{Case, Command};
use authority_lane::digest::Digest;
use authority_lane::evidence::{Agent, FindingInput, Source};
use authority_lane::ids::CaseId;
use authority_lane::testing::Cast;
use authority_lane::workflow::Workflow;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

const KINDS: [&str; 7] = [
    "finding",
    "declare",
    "delegate",
    "review",
    "accept",
    "redirect",
    "stand_down",
];

fn workflow() -> Arc<Workflow> {
    Arc::new(
        Workflow::from_json(include_bytes!("../workflows/signing-key-compromise.json"))
            .expect("the shipped workflow is valid"),
    )
}

struct World {
    cast: Cast,
    case: Case,
    now: DateTime<Utc>,
}

impl World {
    fn open() -> World {
        let cast = Cast::fixed();
        let now: DateTime<Utc> = "2026-11-28T09:00:00Z".parse().unwrap();
        let token = cast.token(
            "sam.rivera",
            &case_id(),
            now,
            Decision::Declare(Declare {
                scope: "prod signing key".into(),
                severity: "sev1".into(),
            }),
        );
        let case = Case::open(workflow(), Arc::new(cast.trust().clone()), &token, now).unwrap();
        World { cast, case, now }
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.now += Duration::seconds(10);
        self.now
    }

    fn apply(&mut self, cmd: &Command) -> Result<(), authority_lane::case::Rejection> {
        let events = self.case.decide(cmd, cmd.at())?;
        for e in events {
            self.case.evolve(e).expect("decided on this case");
        }
        Ok(())
    }

    fn must(&mut self, cmd: Command) {
        if let Err(e) = self.apply(&cmd) {
            panic!("setup command refused: {e}\n{cmd:?}");
        }
    }

    fn finding(&mut self, fact: &str, value: Value) -> Command {
        let role = self
            .case
            .workflow()
            .fact(&fact.into())
            .unwrap()
            .submitted_by
            .clone();
        Command::Finding {
            at: self.tick(),
            agent: Agent {
                role,
                id: "agent-1".into(),
            },
            finding: FindingInput {
                fact: fact.into(),
                value,
                source: Source {
                    system: "artifact-lineage-inventory".into(),
                    record: format!("rec-{fact}"),
                    digest: Digest::of_bytes(fact.as_bytes()),
                },
                note: None,
            },
        }
    }

    fn decision(&mut self, who: &str, d: Decision) -> Command {
        let at = self.tick();
        Command::Decision {
            at,
            token: self.cast.token(who, &case_id(), at, d),
        }
    }

    /// The current draft's digest (any digest when there is no draft: the state check comes
    /// first, so the command is refused for its state).
    fn digest(&self) -> Digest {
        self.case
            .draft_digest()
            .unwrap_or_else(|| Digest::of_bytes(b"no draft yet"))
    }

    fn review(&mut self, who: &str) -> Command {
        let packet_digest = self.digest();
        let attests = self.case.workflow().review().attestations.clone();
        self.decision(
            who,
            Decision::Review(Review {
                packet_digest,
                attests,
            }),
        )
    }

    fn accept(&mut self, who: &str) -> Command {
        let packet_digest = self.digest();
        let lane = self.case.recommended_lane().clone();
        self.decision(
            who,
            Decision::Accept(Accept {
                lane,
                packet_digest,
            }),
        )
    }

    fn stand_down(&mut self) -> Command {
        self.decision(
            "sam.rivera",
            Decision::StandDown(StandDown {
                reason: "false alarm".into(),
            }),
        )
    }
}

fn case_id() -> CaseId {
    "case-cov".into()
}

/// A real case driven into `leaf`. The recommended lane is `platform-security-command`
/// (owned by priya.natarajan); lee.park has signed off in `in_review`, lee.park and
/// ines.duarte in `awaiting_acceptance`.
fn case_in(leaf: Leaf) -> World {
    let mut w = World::open();
    if leaf == Leaf::StoodDown {
        let c = w.stand_down();
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
        "stand_down" => (w.stand_down(), InputKind::StandDown),
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
                            "case_closed"
                        } else {
                            "not_allowed_in_state"
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
