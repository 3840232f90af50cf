//! What an input is, without its payload: the kinds the table, the probes and the diagrams
//! name.

/// What an input is, without its payload: what the table, the probes and the diagrams need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// The draft's content changed (a finding, a delegation or a redirect); `ready` when the
    /// required facts are known and no requested evidence is outstanding.
    Revise {
        /// Whether a draft can be reviewed.
        ready: bool,
    },
    /// A finding that leaves the decision unchanged under `review.carry_over:
    /// "decision_unchanged"` (DESIGN §15): a new draft version in the same decision epoch, whose
    /// sign-offs (and quorum) stay.
    Carry,
    /// A finding in `closed/accepted` that changes the accepted decision (DESIGN §15): the
    /// case reopens as the next revision; `ready` as for [`InputKind::Revise`].
    Reopen {
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
    /// A trust amendment voided sign-offs of the current draft (DESIGN §16): `signoffs` when
    /// some still count, `quorum` when they still make the quorum.
    Withdraw {
        /// Whether any sign-off still counts.
        signoffs: bool,
        /// Whether those left still make the quorum.
        quorum: bool,
    },
}

impl InputKind {
    /// Every kind, in the order of the table and the diagrams.
    pub const ALL: [InputKind; 13] = [
        InputKind::Revise { ready: false },
        InputKind::Revise { ready: true },
        InputKind::Carry,
        InputKind::Reopen { ready: false },
        InputKind::Reopen { ready: true },
        InputKind::SignOff { quorum: false },
        InputKind::SignOff { quorum: true },
        InputKind::Accept,
        InputKind::StandDown,
        InputKind::Declare,
        InputKind::Withdraw {
            signoffs: false,
            quorum: false,
        },
        InputKind::Withdraw {
            signoffs: true,
            quorum: false,
        },
        InputKind::Withdraw {
            signoffs: true,
            quorum: true,
        },
    ];

    /// The kind's place in [`ALL`](InputKind::ALL). An exhaustive `match`: a new kind does not
    /// compile until it has a place (and a test checks the places agree with `ALL`).
    pub const fn position(self) -> usize {
        match self {
            InputKind::Revise { ready: false } => 0,
            InputKind::Revise { ready: true } => 1,
            InputKind::Carry => 2,
            InputKind::Reopen { ready: false } => 3,
            InputKind::Reopen { ready: true } => 4,
            InputKind::SignOff { quorum: false } => 5,
            InputKind::SignOff { quorum: true } => 6,
            InputKind::Accept => 7,
            InputKind::StandDown => 8,
            InputKind::Declare => 9,
            InputKind::Withdraw {
                signoffs: false, ..
            } => 10,
            InputKind::Withdraw {
                signoffs: true,
                quorum: false,
            } => 11,
            InputKind::Withdraw {
                signoffs: true,
                quorum: true,
            } => 12,
        }
    }

    /// The commands that fire this input, as `not_allowed_in_state` and the diagrams name them.
    pub const fn commands(self) -> &'static [&'static str] {
        match self {
            InputKind::Revise { .. } => &["finding", "delegate", "redirect", "amend_trust"],
            InputKind::Carry => &["finding"],
            InputKind::Reopen { .. } => &["finding", "amend_trust"],
            InputKind::Withdraw { .. } => &["amend_trust"],
            InputKind::SignOff { .. } => &["review"],
            InputKind::Accept => &["accept"],
            InputKind::StandDown => &["stand_down"],
            InputKind::Declare => &["declare"],
        }
    }

    /// A short label for diagrams, e.g. `review [quorum]`.
    pub const fn label(self) -> &'static str {
        match self {
            InputKind::Revise { ready: false } => "revise [not ready]",
            InputKind::Revise { ready: true } => "revise [ready]",
            InputKind::Carry => "finding [decision unchanged]",
            InputKind::Reopen { ready: false } => "finding [decision changed, not ready]",
            InputKind::Reopen { ready: true } => "finding [decision changed]",
            InputKind::SignOff { quorum: false } => "review",
            InputKind::SignOff { quorum: true } => "review [quorum]",
            InputKind::Accept => "accept",
            InputKind::StandDown => "stand_down",
            InputKind::Declare => "declare",
            InputKind::Withdraw {
                signoffs: false, ..
            } => "amend_trust [voids every sign-off]",
            InputKind::Withdraw {
                signoffs: true,
                quorum: false,
            } => "amend_trust [voids a sign-off]",
            InputKind::Withdraw {
                signoffs: true,
                quorum: true,
            } => "amend_trust [voids a sign-off, quorum kept]",
        }
    }
}
