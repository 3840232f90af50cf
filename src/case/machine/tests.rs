use super::*;
use crate::approval::{AnyApproval, Decision, Review, VerifyContext, verify};
use crate::digest::Digest;
use crate::ids::CaseId;
use crate::testing::Cast;
use chrono::{DateTime, Utc};

/// Real, verified approvals from the fixed cast: the machine is fed what `decide` feeds it.
struct Proofs {
    cast: Cast,
    case: CaseId,
    at: DateTime<Utc>,
}

impl Proofs {
    fn new() -> Proofs {
        Proofs {
            cast: Cast::fixed(),
            case: CaseId::from("case-machine"),
            at: DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default(),
        }
    }

    fn approval(&self, who: &str, decision: Decision) -> AnyApproval {
        let token = self.cast.token(who, &self.case, self.at, decision);
        let ctx = VerifyContext {
            case_id: Some(&self.case),
            at: self.at,
            max_lifetime_secs: 3600,
        };
        verify(&token, self.cast.trust(), &ctx).expect("a token from the fixed cast verifies")
    }

    fn review(&self) -> Arc<Approval<Review>> {
        match self.approval(
            "lee.park",
            Decision::Review(Review {
                packet_digest: Digest::of_bytes(b"draft"),
                attests: Vec::new(),
            }),
        ) {
            AnyApproval::Review(a) => Arc::new(a),
            other => panic!("a review token verifies as a review: {other:?}"),
        }
    }

    fn quorum(&self) -> Quorum {
        Quorum::new(1, vec!["lee.park".into(), "ines.duarte".into()], self.at)
    }

    fn input(&self, kind: InputKind) -> Input {
        match kind {
            InputKind::Revise { ready } => Input::Revise {
                ready,
                by: Revision::Finding,
            },
            InputKind::Carry => Input::Carry,
            InputKind::Reopen { ready } => Input::Reopen { ready },
            InputKind::Withdraw { signoffs, quorum } => Input::Withdraw {
                signoffs,
                quorum: quorum.then(|| self.quorum()),
            },
            InputKind::SignOff { quorum } => Input::SignOff {
                review: self.review(),
                quorum: quorum.then(|| self.quorum()),
            },
            InputKind::Accept => match self.approval(
                "priya.natarajan",
                Decision::Accept(crate::approval::Accept {
                    lane: "platform-security-command".into(),
                    packet_digest: Digest::of_bytes(b"draft"),
                }),
            ) {
                AnyApproval::Accept(a) => Input::Accept(Acceptance::new(a, self.at)),
                other => panic!("{other:?}"),
            },
            InputKind::StandDown => match self.approval(
                "sam.rivera",
                Decision::StandDown(crate::approval::StandDown {
                    reason: "false alarm".into(),
                }),
            ) {
                AnyApproval::StandDown(a) => Input::StandDown(Arc::new(a)),
                other => panic!("{other:?}"),
            },
            InputKind::Declare => match self.approval(
                "sam.rivera",
                Decision::Declare(crate::approval::Declare {
                    scope: "key".into(),
                    severity: "sev1".into(),
                }),
            ) {
                AnyApproval::Declare(a) => Input::Declare(Arc::new(a)),
                other => panic!("{other:?}"),
            },
        }
    }

    /// A chart in `leaf`, reached by dispatching real inputs.
    fn chart_in(&self, leaf: Leaf) -> Chart {
        let path: &[InputKind] = match leaf {
            Leaf::Gathering => &[],
            Leaf::Drafted => &[InputKind::Revise { ready: true }],
            Leaf::InReview => &[
                InputKind::Revise { ready: true },
                InputKind::SignOff { quorum: false },
            ],
            Leaf::AwaitingAcceptance => &[
                InputKind::Revise { ready: true },
                InputKind::SignOff { quorum: true },
            ],
            Leaf::Accepted => &[
                InputKind::Revise { ready: true },
                InputKind::SignOff { quorum: true },
                InputKind::Accept,
            ],
            Leaf::StoodDown => &[InputKind::StandDown],
        };
        let mut chart = Chart::default();
        for kind in path {
            assert!(
                chart.dispatch(self.input(*kind)),
                "{kind:?} on the way to {leaf}"
            );
        }
        assert_eq!(chart.leaf(), leaf);
        chart
    }
}

#[test]
fn the_kinds_places_agree_with_all() {
    for (i, kind) in InputKind::ALL.iter().enumerate() {
        assert_eq!(kind.position(), i, "{kind:?}");
    }
}

#[test]
fn the_statig_machine_does_what_the_table_says_in_every_leaf_for_every_kind() {
    let p = Proofs::new();
    let table = transition_table();
    assert_eq!(table.len(), Leaf::ALL.len() * InputKind::ALL.len());
    for step in table {
        let mut chart = p.chart_in(step.from);
        let handled = chart.dispatch(p.input(step.input));
        assert_eq!(handled, step.to.is_some(), "{step:?}");
        assert_eq!(chart.leaf(), step.to.unwrap_or(step.from), "{step:?}");
    }
}

fn variant(debug: String) -> String {
    debug.split([' ', '{', '(']).next().unwrap_or("").to_owned()
}

/// statig's superstates above a state, innermost first, by variant name.
fn above(sup: Option<Superstate>, out: &mut Vec<String>) {
    use statig::blocking::Superstate as _;
    if let Some(mut s) = sup {
        out.push(variant(format!("{s:?}")));
        above(s.superstate(), out);
    }
}

#[test]
fn statig_superstates_agree_with_the_hierarchy() {
    use statig::blocking::State as _;
    let p = Proofs::new();
    let camel = |n: Node| -> String {
        n.as_str()
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    for leaf in Leaf::ALL {
        let chart = p.chart_in(leaf);
        let mut state = chart.0.state().clone();
        assert_eq!(variant(format!("{state:?}")), camel(leaf.node()));
        let mut statig = Vec::new();
        above(state.superstate(), &mut statig);
        let table: Vec<String> = leaf.node().ancestors().skip(1).map(camel).collect();
        assert_eq!(statig, table, "the superstates above {leaf}");
    }
}

#[test]
fn every_leaf_is_reachable_and_closed_states_take_only_later_findings() {
    let table = transition_table();
    for leaf in Leaf::ALL {
        assert!(
            leaf == Leaf::Gathering || table.iter().any(|s| s.to == Some(leaf) && s.from != leaf),
            "{leaf} unreachable"
        );
    }
    for s in &table {
        // A stood-down case takes nothing; an accepted one only findings (DESIGN §15): kept
        // beside its packet, or reopening it.
        let later_finding = matches!(s.input, InputKind::Carry | InputKind::Reopen { .. });
        if s.from == Leaf::StoodDown || (s.from == Leaf::Accepted && !later_finding) {
            assert_eq!(s.to, None, "{s:?}");
        }
        if s.from == Leaf::Accepted && later_finding {
            assert!(s.to.is_some(), "{s:?}");
        }
        if s.input == InputKind::Declare {
            assert_eq!(s.to, None, "a case is declared once");
        }
    }
    // Trust amendments (DESIGN §16) are taken wherever findings are.
    assert_eq!(
        accepted_commands(Leaf::Accepted),
        ["finding", "amend_trust"]
    );
    assert_eq!(accepted_commands(Leaf::StoodDown), Vec::<&str>::new());
    assert_eq!(
        accepted_commands(Leaf::AwaitingAcceptance),
        [
            "finding",
            "delegate",
            "redirect",
            "amend_trust",
            "accept",
            "stand_down"
        ]
    );
}

#[test]
fn the_happy_path_carries_its_proofs_into_the_states() {
    let p = Proofs::new();
    let mut c = Chart::default();
    assert_eq!(c.leaf(), Leaf::Gathering);
    assert!(!c.dispatch(p.input(InputKind::Accept)));
    assert_eq!(
        c.leaf(),
        Leaf::Gathering,
        "a rejected input changes nothing"
    );
    assert!(c.dispatch(p.input(InputKind::Revise { ready: true })));
    assert!(c.dispatch(p.input(InputKind::SignOff { quorum: false })));
    assert_eq!(c.leaf(), Leaf::InReview);
    assert_eq!(c.quorum(), None);
    assert!(c.dispatch(p.input(InputKind::SignOff { quorum: true })));
    assert_eq!(c.leaf(), Leaf::AwaitingAcceptance);
    assert_eq!(c.quorum(), Some(&p.quorum()));
    assert!(!c.dispatch(p.input(InputKind::SignOff { quorum: true })));
    assert!(c.dispatch(p.input(InputKind::Revise { ready: true })));
    assert_eq!(c.leaf(), Leaf::Drafted, "new evidence sends the draft back");
    assert_eq!(c.quorum(), None, "and the quorum with it");
    assert!(c.dispatch(p.input(InputKind::SignOff { quorum: true })));
    assert!(c.dispatch(p.input(InputKind::Accept)));
    assert_eq!(c.leaf(), Leaf::Accepted);
    assert_eq!(c.leaf().path(), "closed/accepted");
    assert_eq!(
        c.acceptance().map(|a| a.approval().issuer().as_str()),
        Some("priya.natarajan")
    );
    assert_eq!(c.quorum(), Some(&p.quorum()), "accepted keeps the quorum");
    assert!(!c.dispatch(p.input(InputKind::StandDown)));
}

#[test]
fn a_quorum_sign_off_without_its_proof_cannot_enter_awaiting_acceptance() {
    // The table routes `SignOff { quorum: true }` to awaiting_acceptance; `enter` needs the
    // proof. An acceptance is entered only from a state that holds a quorum.
    assert!(
        enter(
            Leaf::AwaitingAcceptance,
            &Input::Revise {
                ready: true,
                by: Revision::Finding
            },
            None
        )
        .is_none()
    );
    let p = Proofs::new();
    assert!(enter(Leaf::Accepted, &p.input(InputKind::Accept), None).is_none());
    assert!(
        enter(
            Leaf::Accepted,
            &p.input(InputKind::Accept),
            Some(&p.quorum())
        )
        .is_some()
    );
}
