//! # authority-lane
//!
//! Governs one severe case: a production artifact-signing key may have left its hardware
//! boundary, and the organisation must decide **which human authority owns the next step** —
//! platform security command (limited revocation, release freeze), executive cyber command
//! (customer-trust review) or the legal and trust office (contractual disclosure, broad package
//! invalidation). The crate narrows the decision to an authority lane and a bounded option set
//! with reversibility notes and blocked lower-authority paths, and assembles a recommendation
//! packet that humans review and the chosen authority accepts with signed tokens.
//!
//! It never revokes a key, freezes a release, publishes a notice or schedules anything. Those
//! moves have no function, command or event here: they exist only as *described options*
//! ([`workflow::OptionDef`]) inside a packet.
//!
//! ## Data flow
//!
//! ```text
//!  untrusted JSON (orchestrator, agents, humans' signed tokens)
//!         │  Command::from_json — serde, schema-shaped types
//!         ▼
//!    Command ──► Case::decide(&self, &cmd, now) ──► Result<Vec<Event>, Rejection>   pure
//!         │         workflow (policy), trust (keys), current state; `now` = time of record
//!         ▼
//!    CaseStore::submit → seal (hash-chained RFC 8785 lines) → Backend::append_batch
//!         │               (compare-and-set on the head; one fsync / one transaction per batch)
//!         ▼
//!    Case::evolve(&mut self, &Event)   infallible, deterministic; drives the statig machine
//!         ▼
//!    state · Assessment · DraftPacket ──► RecommendationPacket (only in closed/accepted)
//! ```
//!
//! ## The statechart
//!
//! ```text
//! case                                   (outermost superstate: rejects whatever reaches it)
//! ├── open                               finding · delegate · redirect · stand_down
//! │   ├── gathering                      required facts missing, or requested evidence due
//! │   └── deciding                       a draft exists
//! │       ├── drafted                    review → in_review (or awaiting_acceptance at quorum)
//! │       ├── in_review                  review → in_review / awaiting_acceptance
//! │       └── awaiting_acceptance        accept → closed/accepted
//! └── closed                             nothing is accepted any more
//!     ├── accepted                       the RecommendationPacket exists only here
//!     └── stood_down                     closed without a packet
//! ```
//!
//! Any finding, delegation or redirect in `open` recomputes the assessment; a reviewable draft
//! gets a new revision and digest (so earlier sign-offs are void: recorded, never deleted) and
//! the case goes to `drafted`, otherwise to `gathering`. The machine is a statig
//! `#[state_machine]` ([`case::machine`]) whose handlers look themselves up in one table
//! ([`case::machine::TRANSITIONS`], with the hierarchy in [`case::machine::Node::parent`]);
//! `decide`'s legality checks, `not_allowed_in_state`'s list of what a state accepts and
//! `authority-lane diagram` are derived from the same table.
//!
//! ## Why a skipped human is impossible (the safety argument)
//!
//! The invariants of the design (§11), why each holds, and the test that checks it:
//!
//! 1. **No acceptance without a review quorum and an acceptance bound to the final digest, from
//!    the right principals.** The machine reaches `accepted` only on `Input::Accept`, which
//!    carries the verified `Approval<Accept>`, from `awaiting_acceptance`, which it enters only
//!    on a sign-off carrying its `Approval<Review>` and the quorum proof; the states keep both
//!    (`awaiting_acceptance { quorum }`, `accepted { quorum, acceptance }`), and the packet's
//!    acceptor and timings are read from them. Both inputs are fed by `evolve` for an
//!    [`case::Event`] carrying an [`approval::Approval`] of kind review or accept, and only
//!    into the case state the event was decided against (`stale_event` otherwise; `evolve`
//!    consumes the event, which is not `Clone`); `Event` has a private constructor (only
//!    `decide` makes one) and
//!    `Approval` has private fields, no `Clone`/`Default`/`Deserialize`, and is minted only by
//!    [`approval::verify`]. `decide` checks the digest against the current draft
//!    (`stale_approval`), roles and lanes (`not_authorized`), distinct principals and keys
//!    (`duplicate_approver`), attestations, and separation of duties; any new evidence makes a
//!    new revision, which voids earlier sign-offs. Tests: `tests/it/case_properties.rs`
//!    (invariant 1 over random command scripts), `tests/it/compile_fail.rs` with `tests/ui/`
//!    (forging, cloning or deserialising an `Approval`, `Event` or packet does not compile),
//!    and the unit tests in `case::tests`.
//! 2. **A packet exists iff the state is `closed/accepted`.** [`case::Case::packet`] returns
//!    `Some` only in that state, and [`packet::RecommendationPacket`] has private fields and a
//!    crate-private constructor. Tests: `tests/it/case_properties.rs`, `tests/ui/`.
//! 3. **A rejected command changes nothing.** `decide` takes `&self`; only `evolve` mutates,
//!    and the store appends and evolves only what `decide` accepted. Tests: one unit test per
//!    rejection code in `case::tests` (each compares a full snapshot), `tests/it/case_properties.rs`,
//!    and `tests/it/cli_lifecycle.rs` (the journal's length is unchanged after exit 3).
//! 4. **Replay rebuilds the same state and digests.** The core reads no clock, disk or
//!    randomness; replay turns each recorded event back into its command and decides it again,
//!    re-verifying every token at its recorded `at`, so a journal re-chained around a forged
//!    token fails `verify`. Tests: `case::tests::replay_rebuilds_the_same_case`,
//!    `tests/it/case_properties.rs`, `tests/it/journal_tamper.rs`.
//! 5. **Findings never lower the lane.** A fact resolves to the most severe value any finding
//!    gave it, and the case keeps a floor at its lane (the escalation ratchet); only a signed
//!    `set_lane` redirect by an owner of the case's highest lane moves it down. Tests:
//!    `tests/it/policy_properties.rs` (monotonicity of the assessment), `tests/it/case_properties.rs`,
//!    `case::tests::findings_only_raise_the_lane_and_history_keeps_the_cause`.
//! 6. **A channel view never carries what its channel may not.** Views are built from the
//!    packet by [`packet::DraftPacket::view`], which replaces every finding whose sensitivity
//!    the channel does not carry with its fact, sensitivity and digest; Markdown is rendered
//!    from views, never from the packet. Tests: `tests/it/case_properties.rs`,
//!    `tests/it/cli_lifecycle.rs`.
//! 7. **Every lane below the recommended one is blocked with a reason.** [`assess::assess_in`]
//!    lists, for each lower lane, the true triggers of higher lanes and the floor's reasons.
//!    Tests: `tests/it/policy_properties.rs`, `tests/it/case_properties.rs`.
//!
//! ## Against a hostile journal, clock and orchestrator (DESIGN §12)
//!
//! The invariants above hold when the journal, the clock and the orchestrator are honest; these
//! rules keep them when they are not:
//!
//! - **Anchors come from outside.** A journal embeds its workflow and trust documents for
//!   writers, but anyone who can write the journal can rewrite and re-pin them. `verify` and the
//!   accepted packet therefore authenticate against the relying party's own copies
//!   ([`store::Anchors`]; the CLI refuses without them, `anchor_required`), and the draft content
//!   reviewers sign names both digests, so a packet built under other keys has another digest.
//! - **Rollback is detectable.** Every acknowledgement carries the record's `head`; the accepted
//!   packet carries the acceptance's ([`packet::JournalRef`]); a relying party that kept one
//!   detects a journal cut back before it ([`store::StoreError::Rollback`]). A complete last
//!   record missing only its newline was acknowledged and is kept, never dropped.
//! - **The writer's clock is the case clock.** [`case::Case::decide`] takes the time of record
//!   from the store's [`store::Clock`], never from the command: tokens and delegations are judged
//!   at it, a command `at` ahead of it is `clock_skew`, and one timestamp grammar
//!   ([`time`]) means every acknowledged command replays. The system clock is read outside the core
//!   only by `store::Clock::System`, `journal::Entry::now` and the CLI's `demo`; the OS RNG only
//!   in key generation (`approval::Signer::generate`: the CLI's demo, `testing::Cast::generate`).
//!   Test support — quickcheck generators, a cast with fixed seeds, raw JWS signing — is behind
//!   the non-default `testing` feature: a production build does not contain it.
//! - **Signers see what they sign.** `set_lane` and `exclude_option` redirects carry the digest
//!   of the assessment their signer saw; lowering the lane below the case maximum is for a holder
//!   of that lane only; exclusions need an owner of the option's boundary lane (and at least the
//!   recommended lane) and never empty the option set.
//! - **One key, one vote.** A public key appears once in a trust file, small-order and
//!   non-canonical keys are refused, and signatures are verified strictly (RFC 8032 §5.1.7).
//! - **Bounded, canonical, inert.** Inputs have size limits (`input_too_large`), counts are I-JSON
//!   integers, journal lines must be their own RFC 8785 form, and Markdown escapes every
//!   untrusted string.
//! - **A case is its case id** (§12.6). Record 0 must declare the case asked for
//!   ([`store::Anchors::case`], a store's [`journal::Backend::case_name`]), else
//!   [`store::StoreError::CaseMismatch`]: rows of one case stored under another's id are refused.
//! - **The writer's clock is never overtaken silently** (§12.7). A system-clock writer refuses to
//!   append behind a future time of record ([`store::StoreError::ClockBehind`]) and a verifier
//!   refuses a journal ahead of its clock ([`store::Replay::check_not_future`]).
//! - **Caches answer writers, and only when the chain vouches for them** (§12.8). Writers append
//!   checkpoint records ([`case::EventRecord::Checkpoint`]) committing the case state's digest and
//!   the lineage; a snapshot is used only when its checkpoint commits its image, and replay
//!   refuses a checkpoint that does not match the records before it. Side files are never
//!   opened through a link.
//! - **Untrusted files and numbers are bounded** (§12.9): every JSON document is parsed strictly
//!   ([`digest::strict_json`]), every workflow number has a maximum, date arithmetic saturates.
//!
//! Tests: `tests/it/threat_model.rs` (each attack through the CLI), `tests/it/journal_tamper.rs`,
//! `tests/it/markdown_injection.rs`, `tests/it/robustness.rs`, `tests/it/case_binding.rs`,
//! `tests/it/checked_caches.rs`, `tests/it/bounds.rs`, `tests/it/export_exact.rs`, the fuzz targets in
//! `fuzz/`.
//!
//! ## Storage and async orchestrators (DESIGN §14)
//!
//! A case's journal lives behind a [`journal::Backend`], which only stores and returns bytes:
//! the crate seals every batch before the backend sees it and verifies every line it returns.
//! The append is a compare-and-set on the head, so any number of writers in any number of
//! processes can share a case: [`store::CaseStore::submit`] catches up with other writers'
//! records before each batch and, if it still loses the race, decides its commands again
//! against the new state. Backends: [`journal::FileBackend`] (a journal file),
//! [`journal::MemoryJournal`], and with the `postgres` feature (on by default)
//! `journal::PgBackend`, whose server clock is the case clock. An embedder's own backend is
//! three methods (`examples/custom_backend.rs`).
//!
//! The API is synchronous. From async code, call it on a blocking thread: a long-lived worker
//! is an OS thread that owns its `CaseStore` and takes commands from a channel, a one-off call
//! goes through `tokio::task::spawn_blocking`. Only a direct call from an async task (on a tokio
//! worker thread) fails: the synchronous PostgreSQL client starts a small runtime of its own,
//! which tokio refuses there. `examples/tokio_workers.rs` shows both.
//!
//! ## Layers
//!
//! Each module imports only from its own layer or below; no two modules import each other, at
//! any depth (`.ci/check_layers.py` checks both on every CI run, reading this block):
//!
//! <!-- layers -->
//! ```text
//! 0  ids time error_code      — the vocabulary: identifiers, timestamps, error codes
//! 1  digest canonical         — SHA-256 digests and RFC 8785 canonical JSON
//! 2  journal                  — storage: sealed, hash-chained lines behind a Backend; no domain type
//! 3  workflow                 — policy: facts, rules, lanes, options, review policy
//! 4  approval assess          — trust, signed tokens and capabilities; lane assessment
//! 5  evidence                 — findings: who reported what, from which record
//! 6  lineage                  — findings resolved into facts, their Merkle log and its proofs
//! 7  packet                   — drafts, packets, channel views
//! 8  case                     — decide/evolve and the statechart
//! 9  store render report      — a case bound to a backend, with its side files; Markdown, HTML,
//!                               diagrams; the cross-case report's measures
//! 10 schema testing           — JSON Schemas of every document; test support
//! io: journal store            — the only modules that touch files, the network or the clock
//! ```
//! <!-- layers -->
//!
//! ## Rooms
//!
//! [`workflow`] (policy and the Kleene rule language) · [`assess`] (lanes and options) ·
//! [`evidence`] (findings) · [`lineage`] (findings resolved into facts, their Merkle log and
//! proofs) · [`approval`] (trust, JWS, capabilities) · [`case`] (decide/evolve and the machine)
//! · [`packet`] (drafts, packets, channel views) · [`journal`] (durable hash-chained log and its
//! backends) · [`store`] (a case bound to a backend, with a file's side files) · [`render`]
//! (Markdown and diagrams) · [`canonical`] and [`digest`] (RFC 8785, SHA-256) ·
//! [`error_code`] (every error code, its exit status and meaning). Only [`journal`], [`store`]
//! and the CLI touch the outside world.
//!
//! ## The root API
//!
//! An embedder imports from the crate root: [`CaseStore`], [`Command`], [`Clock`],
//! [`CaseId`], [`Digest`], [`Workflow`], [`Trust`], the decisions ([`Review`], [`Accept`], …),
//! the backends ([`FileBackend`], [`MemoryJournal`], `PgBackend`) and [`ErrorCode`].
//! `examples/hello_case.rs` (39 lines) opens a case, submits findings, reviews and accepts.
//! The library builds without the CLI: `default-features = false` (plus `features =
//! ["postgres"]` for PostgreSQL) leaves out clap, clap_complete, mimalloc and rustix.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod approval;
pub mod assess;
pub mod canonical;
pub mod case;
pub mod digest;
pub mod error_code;
pub mod evidence;
pub mod ids;
pub mod journal;
pub mod lineage;
pub mod packet;
pub mod render;
pub mod report;
pub mod schema;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod workflow;

// The root API: what an embedder needs to open a case, feed it and read its decision, from one
// place (`use authority_lane::{CaseStore, Command, …}`). Everything else stays in its module.
pub use approval::{Accept, Decision, Declare, Delegate, Redirect, Review, StandDown, Trust};
pub use case::{Case, Command, Event, Rejection};
pub use digest::Digest;
pub use error_code::ErrorCode;
pub use evidence::{Agent, FindingInput, Source};
pub use ids::{CaseId, ChannelId, LaneId, PrincipalId};
#[cfg(feature = "postgres")]
pub use journal::PgBackend;
pub use journal::{Backend, FileBackend, MemoryJournal};
pub use packet::{DraftPacket, RecommendationPacket};
pub use store::{Anchors, CaseStore, Clock, StoreError};
pub use workflow::Workflow;
