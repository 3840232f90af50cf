//! The decision epoch (DESIGN §15): the run of draft versions with one decision digest, and
//! the draft versions of it a review or an acceptance may name.
//!
//! Under `carry_over: "decision_unchanged"` a finding that leaves the decision unchanged makes
//! a new draft version in the same epoch. Within an epoch only the evidence tail changes (the
//! revision, the decision and everything else in the draft stay), so a version is its
//! finding: the epoch keeps the evidence of its oldest remembered version and the findings
//! after it, and computes a version's draft digest only when a token names one that is not
//! the current draft. Carrying a finding costs a clone of it, not a draft digest.

use super::*;
use crate::packet::{Decision, SignedDraft};
use std::collections::VecDeque;

/// How many draft versions of the current decision epoch a review or an acceptance may name:
/// the most recent ones (DESIGN §15, `carry_over: "decision_unchanged"`). What bounds the
/// memory an epoch needs — the evidence of its oldest remembered version (O(facts)) and one
/// finding per later version (a few hundred bytes typically, under 6 KB by the command
/// [`limits`](crate::case::limits)) — whatever the number of findings that arrive while people
/// review, and what a checkpoint image carries (each later finding's RFC 8785 text: some
/// 400 KB and 3 ms of a checkpoint per 1,024 records with the window full, measured). A token
/// naming an older version of the epoch is `stale_approval`, and its signer signs the current
/// draft instead.
pub const EPOCH_DRAFTS: usize = 1024;

/// The current decision epoch. Under `carry_over: "never"` every draft version is an epoch of
/// its own and nothing but its first version is kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Epoch {
    /// The epoch's first draft version: a sign-off on an earlier one is voided.
    pub(super) first_version: u64,
    /// The epoch's decision digest (`decision_unchanged` only).
    pub(super) decision: Option<Digest>,
    /// The epoch's decision itself, when this process computed it: a finding's new decision is
    /// compared with it, not hashed (a case restored from an image compares digests until
    /// the next epoch).
    pub(super) decided: Option<Decision>,
    /// The evidence of the oldest draft version remembered (`decision_unchanged` only).
    pub(super) base: Option<Evidence>,
    /// The findings after it, oldest first: the later versions, the current one last.
    pub(super) later: VecDeque<Finding>,
}

impl Case {
    /// Starts a decision epoch at the current draft version.
    pub(super) fn start_epoch(&mut self) {
        self.epoch = Epoch {
            first_version: self.version,
            ..Epoch::default()
        };
        if self.carries() {
            let decision = self.draft_content().decision();
            self.epoch.decision = decision.digest().ok();
            self.epoch.decided = Some(decision);
            self.epoch.base = Some(self.evidence.clone());
        }
    }

    /// Whether the decision after the latest finding is still the epoch's. `tail_only`: the
    /// finding repeated its fact's resolved value and left the resolution as it was, so no
    /// part of the decision can have changed (the assessment reads only resolved values, and
    /// a repeat is neither the first finding of its value nor a dispute) and nothing is built.
    pub(super) fn same_decision(&mut self, tail_only: bool) -> bool {
        if tail_only {
            return true;
        }
        let decision = self.draft_content().decision();
        let same = match &self.epoch.decided {
            Some(decided) => *decided == decision,
            None => decision.digest().ok() == self.epoch.decision,
        };
        if same {
            self.epoch.decided = Some(decision);
        }
        same
    }

    /// The latest finding left the decision unchanged: a new draft version in the epoch. The
    /// chart takes a `Carry` (state and sign-offs stay) and the epoch remembers the finding,
    /// folding its oldest version into its base beyond [`EPOCH_DRAFTS`].
    pub(super) fn carry_version(&mut self) {
        self.version += 1;
        self.memo = Memo::default();
        self.dispatch(Input::Carry);
        let finding = self
            .evidence
            .last()
            .expect("a finding was just recorded")
            .finding
            .clone();
        self.epoch.later.push_back(finding);
        if self.epoch.later.len() >= EPOCH_DRAFTS {
            let workflow = Arc::clone(&self.workflow);
            if let (Some(oldest), Some(base)) =
                (self.epoch.later.pop_front(), self.epoch.base.as_mut())
            {
                let def = workflow
                    .fact(&oldest.fact)
                    .expect("a recorded finding's fact is the workflow's");
                base.record(def, oldest);
            }
        }
    }

    /// The draft version `digest` names, if a review or an acceptance may name it now, and
    /// that version's number: the current draft or, under `decision_unchanged`, one of the
    /// current epoch's remembered versions, rebuilt from the epoch's base and findings and
    /// digested oldest first until one matches (at most [`EPOCH_DRAFTS`] draft digests).
    pub(super) fn named_draft(&self, digest: &Digest) -> Option<(SignedDraft, u64)> {
        let signed = |evidence: &Evidence| SignedDraft {
            draft_digest: digest.clone(),
            revision: self.revision,
            lineage: head_of(evidence),
        };
        if self.draft_digest().as_ref() == Some(digest) {
            return Some((signed(self.draft_evidence()), self.version));
        }
        if !self.carries() || !self.state().is_deciding() {
            return None;
        }
        if let Some((named, draft, version)) = self.memo.named.get()
            && named == digest
        {
            return Some((draft.clone(), *version));
        }
        let mut evidence = self.epoch.base.clone()?;
        let oldest = self.version - self.epoch.later.len() as u64;
        for (i, next) in (0u64..).zip(&self.epoch.later) {
            if self.content_with(&evidence).digest().ok().as_ref() == Some(digest) {
                let found = (signed(&evidence), oldest + i);
                let _ = self
                    .memo
                    .named
                    .set((digest.clone(), found.0.clone(), found.1));
                return Some(found);
            }
            let def = self.workflow.fact(&next.fact)?;
            evidence.record(def, next.clone());
        }
        None
    }
}

/// An evidence's lineage count and root.
pub(super) fn head_of(evidence: &Evidence) -> crate::lineage::proof::LineageHead {
    crate::lineage::proof::LineageHead {
        count: evidence.count(),
        root: crate::lineage::digest_of(&evidence.root()),
    }
}
