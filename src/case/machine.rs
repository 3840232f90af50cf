//! The severe-case statechart, as a statig hierarchical state machine.
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
//!     ├── accepted               the RecommendationPacket exists only here
//!     └── stood_down             closed without a packet
//! ```
//!
//! The machine's handlers are the one place that says which (state, input) pairs are legal.
//! statig treats an event that bubbles past the outermost superstate as handled; to reject by
//! default, the outermost superstate `case` handles every input by marking the [`Verdict`]
//! rejected. [`Case::decide`](super::Case::decide) runs each command's input through a copy of
//! the machine first and refuses it with `not_allowed_in_state` when the verdict says so.

use statig::prelude::*;

/// What the case feeds the machine once a command has been validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// A finding, delegation or redirect changed the draft; `ready` when the required facts are
    /// known and no requested evidence is outstanding.
    Evidence {
        /// Whether a draft can be reviewed.
        ready: bool,
    },
    /// A valid review sign-off on the current draft; `quorum` when it completes the quorum.
    SignOff {
        /// Whether the review quorum is now met.
        quorum: bool,
    },
    /// The lane owner's acceptance.
    Accept,
    /// Security leadership stands the case down.
    StandDown,
    /// A second declaration (a case is declared once, when it is opened).
    Declare,
}

impl Input {
    /// One representative of every input, for exploring the machine.
    pub const SAMPLES: [Input; 7] = [
        Input::Evidence { ready: false },
        Input::Evidence { ready: true },
        Input::SignOff { quorum: false },
        Input::SignOff { quorum: true },
        Input::Accept,
        Input::StandDown,
        Input::Declare,
    ];
}

/// The context a dispatch reports into: whether any state handled the input.
#[derive(Debug, Default)]
pub struct Verdict {
    /// True when the input reached the outermost superstate unhandled.
    pub rejected: bool,
}

/// The statig machine. It holds no data: the case holds the data, the machine holds the state.
#[derive(Debug, Default, Clone)]
pub(crate) struct Machine;

#[state_machine(
    initial = "State::gathering()",
    event_identifier = "input",
    visibility = "pub(crate)",
    state(derive(Debug, Clone, Copy, PartialEq, Eq, Hash)),
    superstate(derive(Debug))
)]
impl Machine {
    /// Outermost superstate: anything that reaches it is not allowed in the current state.
    #[superstate]
    fn case(context: &mut Verdict) -> Outcome<State> {
        context.rejected = true;
        Handled
    }

    /// Open: evidence, delegations, redirects and stand-downs are accepted in every open state.
    #[superstate(superstate = "case")]
    fn open(input: &Input) -> Outcome<State> {
        match input {
            Input::Evidence { ready: false } => Transition(State::gathering()),
            Input::Evidence { ready: true } => Transition(State::drafted()),
            Input::StandDown => Transition(State::stood_down()),
            _ => Super,
        }
    }

    /// Waiting for the required facts (or for evidence a redirect requested).
    #[state(superstate = "open")]
    fn gathering(input: &Input) -> Outcome<State> {
        match input {
            Input::Evidence { ready: false } => Handled,
            _ => Super,
        }
    }

    /// A draft exists. Its leaves decide what a sign-off or an acceptance does.
    #[superstate(superstate = "open")]
    fn deciding() -> Outcome<State> {
        Super
    }

    /// No valid sign-off yet on the current draft.
    #[state(superstate = "deciding")]
    fn drafted(input: &Input) -> Outcome<State> {
        match input {
            Input::SignOff { quorum: false } => Transition(State::in_review()),
            Input::SignOff { quorum: true } => Transition(State::awaiting_acceptance()),
            _ => Super,
        }
    }

    /// Some sign-offs on the current draft; quorum not reached.
    #[state(superstate = "deciding")]
    fn in_review(input: &Input) -> Outcome<State> {
        match input {
            Input::SignOff { quorum: false } => Handled,
            Input::SignOff { quorum: true } => Transition(State::awaiting_acceptance()),
            _ => Super,
        }
    }

    /// Quorum reached; waiting for the lane's owner. Further sign-offs are not allowed.
    #[state(superstate = "deciding")]
    fn awaiting_acceptance(input: &Input) -> Outcome<State> {
        match input {
            Input::Accept => Transition(State::accepted()),
            _ => Super,
        }
    }

    /// Closed: nothing is accepted any more.
    #[superstate(superstate = "case")]
    fn closed() -> Outcome<State> {
        Super
    }

    /// The chosen authority accepted the packet.
    #[state(superstate = "closed")]
    fn accepted() -> Outcome<State> {
        Super
    }

    /// Security leadership closed the case without a packet.
    #[state(superstate = "closed")]
    fn stood_down() -> Outcome<State> {
        Super
    }
}

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

    /// The leaf's name, e.g. `awaiting_acceptance`.
    pub fn as_str(self) -> &'static str {
        match self {
            Leaf::Gathering => "gathering",
            Leaf::Drafted => "drafted",
            Leaf::InReview => "in_review",
            Leaf::AwaitingAcceptance => "awaiting_acceptance",
            Leaf::Accepted => "accepted",
            Leaf::StoodDown => "stood_down",
        }
    }

    /// The superstates above the leaf, outermost first (below the root `case`).
    pub fn superstates(self) -> &'static [&'static str] {
        match self {
            Leaf::Gathering => &["open"],
            Leaf::Drafted | Leaf::InReview | Leaf::AwaitingAcceptance => &["open", "deciding"],
            Leaf::Accepted | Leaf::StoodDown => &["closed"],
        }
    }

    /// The path from the root, e.g. `open/deciding/drafted`.
    pub fn path(self) -> String {
        let mut parts: Vec<&str> = self.superstates().to_vec();
        parts.push(self.as_str());
        parts.join("/")
    }

    /// True in `closed/*`.
    pub fn is_closed(self) -> bool {
        matches!(self, Leaf::Accepted | Leaf::StoodDown)
    }

    /// True in `open/deciding/*`: a draft exists.
    pub fn is_deciding(self) -> bool {
        matches!(
            self,
            Leaf::Drafted | Leaf::InReview | Leaf::AwaitingAcceptance
        )
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
            State::AwaitingAcceptance {} => Leaf::AwaitingAcceptance,
            State::Accepted {} => Leaf::Accepted,
            State::StoodDown {} => Leaf::StoodDown,
        }
    }
}

/// The running machine, as the case holds it.
#[derive(Clone)]
pub struct Chart(StateMachine<Machine>);

impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Chart").field(&self.leaf()).finish()
    }
}

impl PartialEq for Chart {
    fn eq(&self, other: &Self) -> bool {
        self.leaf() == other.leaf()
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

    /// Where `input` would lead, without changing anything; `None` when not allowed.
    pub fn probe(&self, input: Input) -> Option<Leaf> {
        let mut copy = self.clone();
        copy.dispatch(input).then(|| copy.leaf())
    }

    /// Feeds an input; returns false (and stays) when no state handles it. A rejected input
    /// reaches the outermost superstate, which answers `Handled`: no transition runs, so the
    /// state is untouched without any copy to restore.
    pub fn dispatch(&mut self, input: Input) -> bool {
        let mut verdict = Verdict::default();
        self.0.handle_with_context(&input, &mut verdict);
        !verdict.rejected
    }
}

/// One entry of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    /// Source leaf.
    pub from: Leaf,
    /// The input.
    pub input: Input,
    /// Target leaf (equal to `from` for a handled input that stays), or `None` when rejected.
    pub to: Option<Leaf>,
}

/// The transition table, generated by exploring the statig machine from its initial state with
/// every input sample: the diagram and the coverage test are drawn from the machine itself.
pub fn transition_table() -> Vec<Step> {
    let mut table = Vec::new();
    let mut seen = vec![Chart::default()];
    let mut frontier = vec![Chart::default()];
    while let Some(chart) = frontier.pop() {
        for input in Input::SAMPLES {
            let to = chart.probe(input);
            table.push(Step {
                from: chart.leaf(),
                input,
                to,
            });
            if to.is_some() {
                let mut next = chart.clone();
                next.dispatch(input);
                if !seen.iter().any(|c| c.leaf() == next.leaf()) {
                    seen.push(next.clone());
                    frontier.push(next);
                }
            }
        }
    }
    table.sort_by_key(|s| (s.from, Input::SAMPLES.iter().position(|i| *i == s.input)));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_is_reachable_and_closed_states_reject_everything() {
        let table = transition_table();
        for leaf in Leaf::ALL {
            assert!(table.iter().any(|s| s.from == leaf), "{leaf} unreachable");
        }
        for s in &table {
            if s.from.is_closed() {
                assert_eq!(s.to, None, "{s:?}");
            }
            if s.input == Input::Declare {
                assert_eq!(s.to, None, "a case is declared once");
            }
        }
    }

    #[test]
    fn the_happy_path_needs_a_quorum_then_an_acceptance() {
        let mut c = Chart::default();
        assert_eq!(c.leaf(), Leaf::Gathering);
        assert!(!c.dispatch(Input::Accept));
        assert_eq!(
            c.leaf(),
            Leaf::Gathering,
            "a rejected input changes nothing"
        );
        assert!(c.dispatch(Input::Evidence { ready: true }));
        assert_eq!(c.leaf(), Leaf::Drafted);
        assert!(!c.dispatch(Input::Accept));
        assert!(c.dispatch(Input::SignOff { quorum: false }));
        assert_eq!(c.leaf(), Leaf::InReview);
        assert!(c.dispatch(Input::SignOff { quorum: true }));
        assert_eq!(c.leaf(), Leaf::AwaitingAcceptance);
        assert!(!c.dispatch(Input::SignOff { quorum: true }));
        assert!(c.dispatch(Input::Evidence { ready: true }));
        assert_eq!(c.leaf(), Leaf::Drafted, "new evidence sends the draft back");
        assert!(c.dispatch(Input::SignOff { quorum: true }));
        assert!(c.dispatch(Input::Accept));
        assert_eq!(c.leaf(), Leaf::Accepted);
        assert_eq!(c.leaf().path(), "closed/accepted");
        assert!(!c.dispatch(Input::StandDown));
    }
}
