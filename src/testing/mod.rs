//! quickcheck generators for property-testing an integration of the severe case.
//!
//! A [`Script`] is an [`Arbitrary`](quickcheck::Arbitrary) sequence of symbolic [`Step`]s
//! against the [`Cast::fixed()`] cast, the shipped `signing-key-compromise` workflow and the
//! case [`CASE_ID`]. A step says *what kind* of command to send and *how* it should be right or
//! wrong (a finding of any declared fact, valid or not, from the right agent role or not; a
//! decision token of any kind, by the right or a wrong principal, valid, forged, expired,
//! not-yet-valid, too long-lived, for another audience or case, replayed, or naming a stale
//! draft digest). Because a review or an acceptance must name the *current* draft digest, the
//! step stays symbolic ([`DigestChoice::Current`], [`Who::Right`]) and the [`Driver`] turns it
//! into a concrete [`Command`](crate::case::Command) by looking at the case as it runs
//! ([`Driver::command_for`]). Time moves forward, with occasional regressions below the case's
//! last event to exercise `time_regression`.
//!
//! [`drive`] runs a script through [`Case::decide`] and [`Case::evolve`] and returns a
//! [`Trace`]: per step, the command, the outcome (the journal form of the events, or the
//! rejection) and the case after it. Scripts shrink by dropping steps.
//!
//! The generator is biased so that a good share of scripts reach `awaiting_acceptance` and
//! `closed/accepted`: it mixes random steps with short plausible runs (the required findings,
//! a review round by the right reviewers, an acceptance by the lane's owner).
//!
//! # Example
//!
//! ```
//! use authority_lane::case::Leaf;
//! use authority_lane::testing::{Script, drive, no_journal};
//! use quickcheck::QuickCheck;
//!
//! /// A packet exists exactly when the case is `closed/accepted`, after every step.
//! fn packet_only_when_accepted(script: Script) -> bool {
//!     let trace = drive(&script);
//!     trace
//!         .entries
//!         .iter()
//!         .all(|e| e.case.packet(no_journal()).is_some() == (e.case.state() == Leaf::Accepted))
//! }
//!
//! QuickCheck::new()
//!     .tests(20)
//!     .quickcheck(packet_only_when_accepted as fn(Script) -> bool);
//! ```
//!
//! # Where things live
//!
//! - `script.rs`: the symbolic [`Script`], [`Timed`], [`Step`] and the choices a step leaves
//!   open ([`Who`], [`DigestChoice`], ...), with their quickcheck generators.
//! - `driver.rs`: the [`Driver`], which turns steps into commands against the running case, and
//!   what a run records ([`Trace`], [`Entry`], [`Outcome`]).
//! - `mint.rs`: decision tokens, valid or made invalid as a [`Fault`] says.
//! - `cast.rs`: the people with keys ([`Cast`], [`STANDARD`]).
//!
//! # Names shared with other modules
//!
//! Some names here mean something else elsewhere in the crate (they stay, having many users):
//!
//! - [`Step`] is a *symbolic script step* to be sent; [`crate::case::Step`] is an
//!   entry of the case's transition table.
//! - [`Entry`] is *one executed script step* in a [`Trace`]; [`crate::journal::Entry`] is a
//!   record of a journal on disk.
//! - [`Outcome`] is *what the case did with a step's command* (applied events or a rejection);
//!   statig's `Outcome` is a state handler's result inside the machine.
//! - [`Script`] is a generated sequence of steps, nothing to do with a shell script.

mod cast;
mod driver;
mod entitled;
pub mod fixtures;
mod harness;
mod mint;
mod script;

pub use cast::{Cast, Member, STANDARD, amendments};
pub use driver::{Driver, Entry, Outcome, Trace, drive, reached};
pub use harness::Harness;
pub use mint::Fault;
pub use script::{
    Advance, AttestChoice, DigestChoice, LaneChoice, RoleChoice, Script, Step, Timed, Who,
};

use crate::case::Case;
use crate::digest::Digest;
use crate::workflow::Workflow;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// The case every script runs against.
pub const CASE_ID: &str = "case-qc";

/// The declaration time (and the start of every script's clock).
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default()
}

/// The shipped `signing-key-compromise` workflow ([`crate::workflow::shipped`]).
pub fn shipped_workflow() -> Arc<Workflow> {
    crate::workflow::shipped()
}

/// The shipped workflow with `review.carry_over` set to `carry` (DESIGN §15): the shipped one
/// uses `decision_unchanged`; tests of the behaviour before epochs (every draft change voids,
/// an accepted case takes nothing) use `never`.
pub fn shipped_workflow_carrying(carry: crate::workflow::CarryOver) -> Arc<Workflow> {
    let mut spec = crate::workflow::shipped().spec().clone();
    spec.review.carry_over = carry;
    let json = serde_json::to_vec(&spec).expect("a workflow spec is plain JSON");
    Arc::new(Workflow::from_json(&json).expect("the shipped workflow with either carry_over loads"))
}

/// Everything observable about a case, as JSON: status, draft (with its digest), lane history,
/// evidence count and the time of the last event. Two cases with equal snapshots are
/// indistinguishable to a reader.
pub fn snapshot(case: &Case) -> Value {
    json!({
        "status": case.status(),
        "draft": case.draft(),
        "lane_history": case.lane_history(),
        "lineage": case.evidence().lineage(),
        "last_at": case.last_at(),
    })
}

/// The journal position to hand [`Case::packet`] for a case driven without a journal (seq 0,
/// the digest of nothing): a driven case has no acceptance record to point at.
pub fn no_journal() -> crate::packet::JournalRef {
    crate::packet::JournalRef {
        seq: 0,
        head: Digest::of_bytes(b""),
    }
}
