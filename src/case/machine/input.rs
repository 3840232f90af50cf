//! The statechart's inputs, which carry the verified capabilities, and the proofs the states
//! keep.

use super::InputKind;
use crate::approval::{
    Accept, AmendTrust, Approval, Declare, Delegate, Redirect, Review, StandDown,
};
use crate::ids::PrincipalId;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The quorum proof: who signed off the draft revision, and when the quorum was reached. Made
/// by the case from verified reviews; carried by the sign-off that completes the quorum into
/// `awaiting_acceptance`, and from there into `accepted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    revision: u64,
    signers: Vec<PrincipalId>,
    reached_at: DateTime<Utc>,
}

impl Quorum {
    pub(crate) fn new(
        revision: u64,
        signers: Vec<PrincipalId>,
        reached_at: DateTime<Utc>,
    ) -> Quorum {
        Quorum {
            revision,
            signers,
            reached_at,
        }
    }
    /// The draft revision the quorum signed.
    pub fn revision(&self) -> u64 {
        self.revision
    }
    /// The distinct principals whose sign-offs form it.
    pub fn signers(&self) -> &[PrincipalId] {
        &self.signers
    }
    /// The time of record of the sign-off that completed it.
    pub fn reached_at(&self) -> DateTime<Utc> {
        self.reached_at
    }
}

/// The owner's verified acceptance and its time of record: what `closed/accepted` holds.
#[derive(Debug, Clone)]
pub struct Acceptance {
    approval: Arc<Approval<Accept>>,
    at: DateTime<Utc>,
}

impl Acceptance {
    pub(crate) fn new(approval: Approval<Accept>, at: DateTime<Utc>) -> Acceptance {
        Acceptance {
            approval: Arc::new(approval),
            at,
        }
    }
    /// The verified acceptance.
    pub fn approval(&self) -> &Approval<Accept> {
        &self.approval
    }
    /// Its time of record.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

/// What changed a draft's content.
#[derive(Debug, Clone)]
pub enum Revision {
    /// The verified declaration that opened the case (a workflow with nothing required is
    /// reviewable at once).
    Declaration(Arc<Approval<Declare>>),
    /// An agent's finding (unsigned; checked against the workflow).
    Finding,
    /// A verified delegation.
    Delegation(Arc<Approval<Delegate>>),
    /// A verified redirect.
    Redirect(Arc<Approval<Redirect>>),
    /// A trust amendment that took effect (its last signature, verified).
    Amendment(Arc<Approval<AmendTrust>>),
}

/// What the case feeds the machine once a command has been decided: inputs that need a human
/// carry the verified capability.
#[derive(Debug, Clone)]
pub enum Input {
    /// The draft's content changed; `ready` when it can be reviewed.
    Revise {
        /// Whether a draft can be reviewed.
        ready: bool,
        /// What changed it.
        by: Revision,
    },
    /// A finding left the decision unchanged (`carry_over: "decision_unchanged"`): a new draft
    /// version in the same epoch; the state and what it holds stay.
    Carry,
    /// A finding changed the accepted decision: the case reopens as the next revision.
    Reopen {
        /// Whether a draft can be reviewed.
        ready: bool,
    },
    /// A verified review sign-off on the current draft, with the quorum proof when it completes
    /// the quorum.
    SignOff {
        /// The verified review.
        review: Arc<Approval<Review>>,
        /// The quorum it completes, if it does.
        quorum: Option<Quorum>,
    },
    /// The lane owner's verified acceptance.
    Accept(Acceptance),
    /// Security leadership's verified stand-down.
    StandDown(Arc<Approval<StandDown>>),
    /// A verified second declaration (never allowed: a case is declared once).
    Declare(Arc<Approval<Declare>>),
    /// A trust amendment voided sign-offs of the current draft (their key declared
    /// compromised): `signoffs` when some still count, with the quorum they still make, if any.
    Withdraw {
        /// Whether any sign-off still counts.
        signoffs: bool,
        /// The quorum the sign-offs left still make.
        quorum: Option<Quorum>,
    },
}

impl Input {
    /// The input's kind.
    pub fn kind(&self) -> InputKind {
        match self {
            Input::Revise { ready, .. } => InputKind::Revise { ready: *ready },
            Input::Carry => InputKind::Carry,
            Input::Reopen { ready } => InputKind::Reopen { ready: *ready },
            Input::SignOff { quorum, .. } => InputKind::SignOff {
                quorum: quorum.is_some(),
            },
            Input::Accept(_) => InputKind::Accept,
            Input::StandDown(_) => InputKind::StandDown,
            Input::Declare(_) => InputKind::Declare,
            Input::Withdraw { signoffs, quorum } => InputKind::Withdraw {
                signoffs: *signoffs,
                quorum: quorum.is_some(),
            },
        }
    }
}
