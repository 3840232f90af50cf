//! Writers racing on one backend, made deterministic: a backend outside the crate (which also
//! proves the [`Backend`] trait can be implemented by an embedder) lets a test slip another
//! writer's append in between a writer's catch-up and its compare-and-set.
//!
//! What must hold (DESIGN §14): the loser reads the new records, decides its commands again
//! against the new state, and appends them or rejects them with the code that state gives;
//! nothing is written twice; retries are bounded.

use authority_lane::ErrorCode;
use authority_lane::case::Command;
use authority_lane::journal::{Backend, Batch, JournalError, MemoryJournal};
use authority_lane::packet::JournalRef;
use authority_lane::store::{Anchors, CaseStore, Clock, StoreError};
use authority_lane::testing::Harness;
use std::cell::RefCell;
use std::io::BufRead;
use std::rc::Rc;

type Hook = Box<dyn FnOnce()>;

/// An in-memory journal shared by several stores, with a hook that runs just before the next
/// append (another writer getting there first) and an optional "always conflict" switch.
#[derive(Clone, Default)]
struct Shared {
    journal: Rc<RefCell<MemoryJournal>>,
    before_next_append: Rc<RefCell<Option<Hook>>>,
    always_conflict: Rc<RefCell<bool>>,
    appends: Rc<RefCell<usize>>,
}

impl Backend for Shared {
    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let mut bytes = Vec::new();
        let mut journal = self.journal.borrow_mut();
        let mut reader = journal.read_from(from)?;
        std::io::Read::read_to_end(&mut reader, &mut bytes)
            .map_err(|e| JournalError::Encode(e.to_string()))?;
        Ok(Box::new(std::io::Cursor::new(bytes)))
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        let hook = self.before_next_append.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
        *self.appends.borrow_mut() += 1;
        if *self.always_conflict.borrow() {
            return Err(Batch::conflict(after, None));
        }
        self.journal.borrow_mut().append_batch(after, batch)
    }
}

/// A harness whose case is opened by store A on a shared backend, and a second store B on the
/// same backend.
fn two_writers() -> (Harness, Shared, CaseStore<Shared>, CaseStore<Shared>) {
    let h = Harness::new();
    let (workflow, trust) = h.case.shared();
    let shared = Shared::default();
    let at = h.case.genesis().at;
    let a = CaseStore::create(
        shared.clone(),
        workflow.clone(),
        trust.clone(),
        &h.case.genesis().token.clone(),
        Clock::Supplied(at),
    )
    .expect("the declaration opens the case");
    let anchors = Anchors {
        workflow: Some(workflow),
        trust: Some(trust),
        expect_head: None,
        case: None,
    };
    let b = CaseStore::open(shared.clone(), anchors, Clock::Supplied(at)).expect("B opens it");
    (h, shared, a, b)
}

/// Submits `cmd` on `store` at the command's own time; asserts it was accepted.
fn must(store: &mut CaseStore<Shared>, cmd: &Command) {
    store.set_clock(Clock::Supplied(cmd.at()));
    let done = store.submit(std::slice::from_ref(cmd)).expect("stored");
    assert!(done.rejected.is_none(), "refused: {:?}", done.rejected);
}

/// The harness drives the case to `awaiting_acceptance` through store A.
fn to_awaiting_acceptance(h: &mut Harness, a: &mut CaseStore<Shared>) {
    for (fact, value) in [
        ("custody.exposure", serde_json::json!("suspected")),
        (
            "lineage.desktop_agent_artifacts_in_window",
            serde_json::json!(3),
        ),
        ("authority.platform_delegation", serde_json::json!("active")),
    ] {
        let cmd = h.finding(fact, value);
        h.must(cmd.clone());
        must(a, &cmd);
    }
    for reviewer in ["lee.park", "ines.duarte"] {
        let cmd = h.review(reviewer);
        h.must(cmd.clone());
        must(a, &cmd);
    }
    assert_eq!(a.case().path(), "open/deciding/awaiting_acceptance");
}

#[test]
fn a_writer_that_loses_the_race_is_refused_with_the_new_states_code() {
    let (mut h, shared, mut a, mut b) = two_writers();
    to_awaiting_acceptance(&mut h, &mut a);
    let owner = a.case().status().decision_owner.holders[0].to_string();
    let accept = h.accept(&owner);
    // A delegation: valid while the case awaits acceptance, refused once it is accepted (an
    // accepted case still records findings, DESIGN §15, but takes no more decisions).
    let until = h.now + chrono::Duration::hours(1);
    let late = h.decision(
        "priya.natarajan",
        authority_lane::approval::Decision::Delegate(authority_lane::approval::Delegate {
            lane: "platform-security-command".into(),
            to: "marcus.chen".into(),
            until,
        }),
    );

    // B catches up (to awaiting_acceptance) and decides its delegation; just before its
    // append, A's acceptance lands and closes the case.
    let a = Rc::new(RefCell::new(a));
    let (a_in, accept_in) = (a.clone(), accept.clone());
    *shared.before_next_append.borrow_mut() = Some(Box::new(move || {
        must(&mut a_in.borrow_mut(), &accept_in);
    }));
    b.set_clock(Clock::Supplied(late.at()));
    let done = b
        .submit(std::slice::from_ref(&late))
        .expect("no store error");
    let a = a.borrow();
    assert_eq!(a.case().path(), "closed/accepted", "A accepted first");

    assert!(done.accepted.is_empty(), "nothing acknowledged for B");
    let (index, rejection) = done.rejected.expect("B's delegation is refused");
    assert_eq!((index, rejection.code()), (0, ErrorCode::CaseClosed));
    // B now holds exactly A's state, and the journal holds A's acceptance once, B's
    // delegation not at all.
    assert_eq!(b.status(), a.status());
    assert_eq!(b.case().path(), "closed/accepted");
    let records = shared.journal.borrow().records().to_vec();
    assert_eq!(records.len() as u64, a.position().seq + 1);
    let Command::Decision { token, .. } = &late else {
        unreachable!()
    };
    assert!(
        !records
            .iter()
            .any(|r| r.event.to_string().contains(token.as_str())),
        "B's delegation was written"
    );
}

#[test]
fn a_writer_that_loses_the_race_appends_after_the_winner_exactly_once() {
    let (mut h, shared, a, mut b) = two_writers();
    let first = h.finding("custody.exposure", serde_json::json!("suspected"));
    let second = h.finding("authority.platform_delegation", serde_json::json!("active"));
    let journal = shared.clone();
    let a = Rc::new(RefCell::new(a));
    let (a_in, first_in) = (a.clone(), first.clone());
    *shared.before_next_append.borrow_mut() = Some(Box::new(move || {
        must(&mut a_in.borrow_mut(), &first_in);
    }));
    b.set_clock(Clock::Supplied(second.at()));
    let done = b.submit(std::slice::from_ref(&second)).expect("stored");
    assert!(done.rejected.is_none());
    // The winner's record is seq 1; B decided again and appended at seq 2.
    assert_eq!(done.accepted.len(), 1);
    assert_eq!(done.accepted[0].seq, 2);
    let records = journal.journal.borrow().records().to_vec();
    assert_eq!(
        records.len(),
        3,
        "genesis, A's finding, B's finding: each once"
    );
    // Genesis, A's finding (from the hook), B's lost compare-and-set, B's retry.
    assert_eq!(
        *shared.appends.borrow(),
        4,
        "B's first append lost, its retry won"
    );
    // B's state is what a replay of the journal gives.
    let (workflow, trust) = h.case.shared();
    let replayed = authority_lane::store::replay(&records, Some(workflow), Some(trust)).unwrap();
    assert_eq!(replayed.status(), b.case().status());
}

#[test]
fn retries_after_lost_races_are_bounded_and_write_nothing() {
    let (mut h, shared, _a, mut b) = two_writers();
    *shared.always_conflict.borrow_mut() = true;
    let cmd = h.finding("custody.exposure", serde_json::json!("suspected"));
    b.set_clock(Clock::Supplied(cmd.at()));
    let err = b
        .submit(std::slice::from_ref(&cmd))
        .expect_err("a store that always conflicts");
    assert!(
        matches!(err, StoreError::Journal(JournalError::Conflict { .. })),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::JournalConflict);
    let appends = *shared.appends.borrow();
    assert!((2..=64).contains(&appends), "{appends} attempts");
    assert_eq!(
        shared.journal.borrow().records().len(),
        1,
        "only the genesis"
    );
    // The store is still usable: its case is the journal's.
    assert_eq!(b.case().path(), "open/gathering");
}
