//! The severe-case statechart, as a statig hierarchical state machine driven by one table.
//!
//! ```text
//! case
//! ├── open
//! │   ├── gathering              required facts missing, or a redirect asked for evidence
//! │   └── deciding               a draft exists
//! │       ├── drafted            no valid sign-off yet on the current draft
//! │       ├── in_review          some sign-offs, quorum not reached
//! │       └── awaiting_acceptance   quorum reached; waiting for the lane's owner
//! └── closed
//!     ├── accepted               the RecommendationPacket exists only here; a finding that
//!     │                          changes its decision reopens the case (next revision)
//!     └── stood_down             closed without a packet
//! ```
//!
//! **One source.** [`Node::parent`] is the hierarchy and [`TRANSITIONS`] the transitions, each
//! written once: which node handles which [`InputKind`] and where it leads. The statig
//! handlers look their node up in the table (`react`); [`transition_table`], the legality
//! probe `decide` uses ([`route`]), [`Leaf::is_closed`], the paths and the diagrams are all
//! derived from the same two. A test checks that statig's own superstate attributes agree with
//! [`Node::parent`].
//!
//! **Proofs travel with the transition.** An [`Input`] that needs a human carries the verified
//! capability by value: a sign-off its `Approval<Review>` and, when it completes the quorum,
//! the [`Quorum`]; an acceptance its `Approval<Accept>` ([`Acceptance`]); a stand-down its
//! `Approval<StandDown>`; a revision by a delegation or redirect its approval. The states keep
//! what they need as state-local data: `awaiting_acceptance { quorum }`,
//! `accepted { quorum, acceptance }`, `stood_down { stand_down }` — so a case in `accepted`
//! holds the acceptance that put it there, and nothing else can.
//!
//! statig treats an event that bubbles past the outermost superstate as handled; to reject by
//! default, the outermost superstate `case` handles every input by marking the [`Verdict`]
//! rejected.

use crate::approval::{Approval, StandDown};
use statig::prelude::*;
use std::sync::Arc;

mod input;
mod kind;
pub use input::{Acceptance, Input, Quorum, Revision};
pub use kind::InputKind;

// ----- the one source: hierarchy and transitions -----

/// A node of the statechart: a leaf state or a superstate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// The root.
    Case,
    /// `open`
    Open,
    /// `open/gathering`
    Gathering,
    /// `open/deciding`
    Deciding,
    /// `open/deciding/drafted`
    Drafted,
    /// `open/deciding/in_review`
    InReview,
    /// `open/deciding/awaiting_acceptance`
    AwaitingAcceptance,
    /// `closed`
    Closed,
    /// `closed/accepted`
    Accepted,
    /// `closed/stood_down`
    StoodDown,
}

impl Node {
    /// Every node, root first, in statechart order.
    pub const ALL: [Node; 10] = [
        Node::Case,
        Node::Open,
        Node::Gathering,
        Node::Deciding,
        Node::Drafted,
        Node::InReview,
        Node::AwaitingAcceptance,
        Node::Closed,
        Node::Accepted,
        Node::StoodDown,
    ];

    /// The hierarchy: the node's superstate (`None` for the root).
    pub const fn parent(self) -> Option<Node> {
        match self {
            Node::Case => None,
            Node::Open | Node::Closed => Some(Node::Case),
            Node::Gathering | Node::Deciding => Some(Node::Open),
            Node::Drafted | Node::InReview | Node::AwaitingAcceptance => Some(Node::Deciding),
            Node::Accepted | Node::StoodDown => Some(Node::Closed),
        }
    }

    /// The node's name, e.g. `deciding`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Node::Case => "case",
            Node::Open => "open",
            Node::Gathering => "gathering",
            Node::Deciding => "deciding",
            Node::Drafted => "drafted",
            Node::InReview => "in_review",
            Node::AwaitingAcceptance => "awaiting_acceptance",
            Node::Closed => "closed",
            Node::Accepted => "accepted",
            Node::StoodDown => "stood_down",
        }
    }

    /// The leaf this node is, if it is one.
    pub const fn leaf(self) -> Option<Leaf> {
        match self {
            Node::Gathering => Some(Leaf::Gathering),
            Node::Drafted => Some(Leaf::Drafted),
            Node::InReview => Some(Leaf::InReview),
            Node::AwaitingAcceptance => Some(Leaf::AwaitingAcceptance),
            Node::Accepted => Some(Leaf::Accepted),
            Node::StoodDown => Some(Leaf::StoodDown),
            Node::Case | Node::Open | Node::Deciding | Node::Closed => None,
        }
    }

    /// The node and its superstates, innermost first, up to the root.
    pub fn ancestors(self) -> impl Iterator<Item = Node> {
        std::iter::successors(Some(self), |n| n.parent())
    }
}

/// Where a handled input leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Handled; the leaf stays.
    Stay,
    /// A transition to this leaf.
    Go(Leaf),
}

/// One row of the statechart: the node that handles `on`, and where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The handling node (a leaf, or a superstate for every leaf below it).
    pub at: Node,
    /// The input kind.
    pub on: InputKind,
    /// Where it leads.
    pub to: Target,
}

const fn row(at: Node, on: InputKind, to: Target) -> Transition {
    Transition { at, on, to }
}

/// The transitions, each written once at the node that handles it. An input no node from the
/// leaf up handles is not allowed in that leaf (`not_allowed_in_state`); `closed` and the root
/// handle nothing.
pub const TRANSITIONS: &[Transition] = &[
    row(
        Node::Open,
        InputKind::Revise { ready: false },
        Target::Go(Leaf::Gathering),
    ),
    row(
        Node::Open,
        InputKind::Revise { ready: true },
        Target::Go(Leaf::Drafted),
    ),
    row(
        Node::Open,
        InputKind::StandDown,
        Target::Go(Leaf::StoodDown),
    ),
    row(
        Node::Gathering,
        InputKind::Revise { ready: false },
        Target::Stay,
    ),
    row(Node::Deciding, InputKind::Carry, Target::Stay),
    row(
        Node::Drafted,
        InputKind::SignOff { quorum: false },
        Target::Go(Leaf::InReview),
    ),
    row(
        Node::Drafted,
        InputKind::SignOff { quorum: true },
        Target::Go(Leaf::AwaitingAcceptance),
    ),
    row(
        Node::InReview,
        InputKind::SignOff { quorum: false },
        Target::Stay,
    ),
    row(
        Node::InReview,
        InputKind::SignOff { quorum: true },
        Target::Go(Leaf::AwaitingAcceptance),
    ),
    row(
        Node::AwaitingAcceptance,
        InputKind::Accept,
        Target::Go(Leaf::Accepted),
    ),
    row(
        Node::Deciding,
        InputKind::Withdraw {
            signoffs: false,
            quorum: false,
        },
        Target::Go(Leaf::Drafted),
    ),
    row(
        Node::Deciding,
        InputKind::Withdraw {
            signoffs: true,
            quorum: false,
        },
        Target::Go(Leaf::InReview),
    ),
    row(
        Node::AwaitingAcceptance,
        InputKind::Withdraw {
            signoffs: true,
            quorum: true,
        },
        Target::Go(Leaf::AwaitingAcceptance),
    ),
    row(Node::Accepted, InputKind::Carry, Target::Stay),
    row(
        Node::Accepted,
        InputKind::Reopen { ready: false },
        Target::Go(Leaf::Gathering),
    ),
    row(
        Node::Accepted,
        InputKind::Reopen { ready: true },
        Target::Go(Leaf::Drafted),
    ),
];

/// The row a node has for `kind`, if any.
fn at_node(node: Node, kind: InputKind) -> Option<&'static Transition> {
    TRANSITIONS.iter().find(|t| t.at == node && t.on == kind)
}

/// Where `kind` leads from `leaf`: the first node from the leaf up that handles it, as statig
/// dispatches; `None` when it is not allowed there.
pub fn route(leaf: Leaf, kind: InputKind) -> Option<&'static Transition> {
    leaf.node().ancestors().find_map(|n| at_node(n, kind))
}

/// The command kinds a leaf accepts, from the table: what `not_allowed_in_state` lists.
pub fn accepted_commands(leaf: Leaf) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for kind in InputKind::ALL {
        if route(leaf, kind).is_some() {
            for c in kind.commands() {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
    }
    out
}

// ----- the statig machine -----

/// The context a dispatch reports into: whether any state handled the input.
#[derive(Debug, Default)]
pub struct Verdict {
    /// True when the input reached the outermost superstate unhandled.
    pub rejected: bool,
}

/// The statig machine. It holds no data: the case holds the data, the states hold the proofs.
#[derive(Debug, Default, Clone)]
pub(crate) struct Machine;

/// What a node does with an input: its row in [`TRANSITIONS`], or `Super`. `quorum` is the
/// proof the current state holds, for a transition that carries it on.
fn react(node: Node, input: &Input, quorum: Option<&Quorum>) -> Outcome<State> {
    match at_node(node, input.kind()).map(|t| t.to) {
        None => Super,
        Some(Target::Stay) => Handled,
        Some(Target::Go(leaf)) => match enter(leaf, input, quorum) {
            Some(state) => Transition(state),
            // The input lacks what the target state keeps: not handled here (the root then
            // refuses it). `decide` never makes such an input; a test covers the table.
            None => Super,
        },
    }
}

/// The state `leaf` with what it keeps, taken from the input (and the quorum the current state
/// holds).
fn enter(leaf: Leaf, input: &Input, quorum: Option<&Quorum>) -> Option<State> {
    Some(match (leaf, input) {
        (Leaf::Gathering, _) => State::gathering(),
        (Leaf::Drafted, _) => State::drafted(),
        (Leaf::InReview, _) => State::in_review(),
        (
            Leaf::AwaitingAcceptance,
            Input::SignOff {
                quorum: Some(q), ..
            },
        ) => State::awaiting_acceptance(q.clone()),
        (
            Leaf::AwaitingAcceptance,
            Input::Withdraw {
                quorum: Some(q), ..
            },
        ) => State::awaiting_acceptance(q.clone()),
        (Leaf::Accepted, Input::Accept(a)) => State::accepted(quorum?.clone(), a.clone()),
        (Leaf::StoodDown, Input::StandDown(s)) => State::stood_down(Arc::clone(s)),
        _ => return None,
    })
}

#[state_machine(
    initial = "State::gathering()",
    event_identifier = "input",
    visibility = "pub(crate)",
    state(derive(Debug, Clone)),
    superstate(derive(Debug))
)]
impl Machine {
    /// Outermost superstate: anything that reaches it is not allowed in the current state.
    #[superstate]
    fn case(context: &mut Verdict) -> Outcome<State> {
        context.rejected = true;
        Handled
    }

    #[superstate(superstate = "case")]
    fn open(input: &Input) -> Outcome<State> {
        react(Node::Open, input, None)
    }

    #[state(superstate = "open")]
    fn gathering(input: &Input) -> Outcome<State> {
        react(Node::Gathering, input, None)
    }

    #[superstate(superstate = "open")]
    fn deciding(input: &Input) -> Outcome<State> {
        react(Node::Deciding, input, None)
    }

    #[state(superstate = "deciding")]
    fn drafted(input: &Input) -> Outcome<State> {
        react(Node::Drafted, input, None)
    }

    #[state(superstate = "deciding")]
    fn in_review(input: &Input) -> Outcome<State> {
        react(Node::InReview, input, None)
    }

    #[state(superstate = "deciding")]
    fn awaiting_acceptance(quorum: &Quorum, input: &Input) -> Outcome<State> {
        react(Node::AwaitingAcceptance, input, Some(quorum))
    }

    #[superstate(superstate = "case")]
    fn closed(input: &Input) -> Outcome<State> {
        react(Node::Closed, input, None)
    }

    #[state(superstate = "closed")]
    fn accepted(quorum: &Quorum, acceptance: &Acceptance, input: &Input) -> Outcome<State> {
        let _ = acceptance;
        react(Node::Accepted, input, Some(quorum))
    }

    #[state(superstate = "closed")]
    fn stood_down(stand_down: &Arc<Approval<StandDown>>, input: &Input) -> Outcome<State> {
        let _ = stand_down;
        react(Node::StoodDown, input, None)
    }
}

// ----- leaves -----

/// The machine's leaf states by their contract names.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Leaf {
    /// `open/gathering`
    Gathering,
    /// `open/deciding/drafted`
    Drafted,
    /// `open/deciding/in_review`
    InReview,
    /// `open/deciding/awaiting_acceptance`
    AwaitingAcceptance,
    /// `closed/accepted`
    Accepted,
    /// `closed/stood_down`
    StoodDown,
}

impl Leaf {
    /// Every leaf, in statechart order.
    pub const ALL: [Leaf; 6] = [
        Leaf::Gathering,
        Leaf::Drafted,
        Leaf::InReview,
        Leaf::AwaitingAcceptance,
        Leaf::Accepted,
        Leaf::StoodDown,
    ];

    /// The leaf's node in the hierarchy.
    pub const fn node(self) -> Node {
        match self {
            Leaf::Gathering => Node::Gathering,
            Leaf::Drafted => Node::Drafted,
            Leaf::InReview => Node::InReview,
            Leaf::AwaitingAcceptance => Node::AwaitingAcceptance,
            Leaf::Accepted => Node::Accepted,
            Leaf::StoodDown => Node::StoodDown,
        }
    }

    /// The leaf's name, e.g. `awaiting_acceptance`.
    pub const fn as_str(self) -> &'static str {
        self.node().as_str()
    }

    /// The superstates above the leaf, outermost first (below the root `case`).
    pub fn superstates(self) -> Vec<&'static str> {
        let mut above: Vec<&'static str> = self
            .node()
            .ancestors()
            .skip(1)
            .filter(|n| *n != Node::Case)
            .map(Node::as_str)
            .collect();
        above.reverse();
        above
    }

    /// The path from the root, e.g. `open/deciding/drafted`.
    pub fn path(self) -> String {
        let mut parts = self.superstates();
        parts.push(self.as_str());
        parts.join("/")
    }

    /// True in `closed/*`.
    pub fn is_closed(self) -> bool {
        self.node().ancestors().any(|n| n == Node::Closed)
    }

    /// True in `open/deciding/*`: a draft exists.
    pub fn is_deciding(self) -> bool {
        self.node().ancestors().any(|n| n == Node::Deciding)
    }
}

impl std::fmt::Display for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&State> for Leaf {
    fn from(s: &State) -> Leaf {
        match s {
            State::Gathering {} => Leaf::Gathering,
            State::Drafted {} => Leaf::Drafted,
            State::InReview {} => Leaf::InReview,
            State::AwaitingAcceptance { .. } => Leaf::AwaitingAcceptance,
            State::Accepted { .. } => Leaf::Accepted,
            State::StoodDown { .. } => Leaf::StoodDown,
        }
    }
}

// ----- the running machine -----

/// The running machine, as the case holds it.
#[derive(Clone)]
pub struct Chart(StateMachine<Machine>);

impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chart").field(self.0.state()).finish()
    }
}

impl PartialEq for Chart {
    fn eq(&self, other: &Self) -> bool {
        self.leaf() == other.leaf() && self.quorum() == other.quorum()
    }
}

impl Default for Chart {
    fn default() -> Self {
        Chart(Machine.state_machine())
    }
}

impl Chart {
    /// The current leaf.
    pub fn leaf(&self) -> Leaf {
        Leaf::from(self.0.state())
    }

    /// Whether an input of `kind` is allowed in the current leaf (the table, as statig would
    /// dispatch it; nothing is run).
    pub fn allows(&self, kind: InputKind) -> bool {
        route(self.leaf(), kind).is_some()
    }

    /// Feeds an input, consuming it; returns false (and stays) when no state handles it. A
    /// rejected input reaches the outermost superstate, which answers `Handled`: no transition
    /// runs, so the state is untouched.
    pub fn dispatch(&mut self, input: Input) -> bool {
        let mut verdict = Verdict::default();
        self.0.handle_with_context(&input, &mut verdict);
        !verdict.rejected
    }

    /// The quorum proof, in `awaiting_acceptance` and `accepted`.
    pub fn quorum(&self) -> Option<&Quorum> {
        match self.0.state() {
            State::AwaitingAcceptance { quorum } | State::Accepted { quorum, .. } => Some(quorum),
            _ => None,
        }
    }

    /// The acceptance, in `accepted`.
    pub fn acceptance(&self) -> Option<&Acceptance> {
        match self.0.state() {
            State::Accepted { acceptance, .. } => Some(acceptance),
            _ => None,
        }
    }

    /// The stand-down, in `stood_down`.
    pub fn stand_down(&self) -> Option<&Approval<StandDown>> {
        match self.0.state() {
            State::StoodDown { stand_down } => Some(stand_down),
            _ => None,
        }
    }
}

/// One entry of the transition table: what an input kind does in a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    /// Source leaf.
    pub from: Leaf,
    /// The input kind.
    pub input: InputKind,
    /// Target leaf (equal to `from` for a handled input that stays), or `None` when rejected.
    pub to: Option<Leaf>,
}

/// The transition table, leaf by leaf and kind by kind, derived from [`TRANSITIONS`] and the
/// hierarchy exactly as statig dispatches (leaf first, then its superstates).
pub fn transition_table() -> Vec<Step> {
    let mut table = Vec::new();
    for from in Leaf::ALL {
        for input in InputKind::ALL {
            let to = route(from, input).map(|t| match t.to {
                Target::Stay => from,
                Target::Go(leaf) => leaf,
            });
            table.push(Step { from, input, to });
        }
    }
    table
}

#[cfg(test)]
mod tests;
