//! The case after an acceptance (DESIGN §15): findings are still recorded; one that leaves the
//! accepted decision as it was changes nothing the packet says, one that changes it reopens
//! the case as the next revision, and the accepted revision stays in the journal as history.

use super::*;
use crate::packet::{Decision, JournalRef, PriorRevision, ReopenCause, Reopened};

/// The accepted revision, as a case in `closed/accepted` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Accepted {
    /// The evidence the acceptance saw: the accepted packet is built from it.
    pub(super) evidence: Evidence,
    /// Its decision: what a later finding is compared with.
    pub(super) decided: Decision,
    /// The accepted packet's digest.
    pub(super) digest: Digest,
    /// The lane it recommends.
    pub(super) lane: LaneId,
    /// Findings since that left the decision as it was.
    pub(super) since: u64,
    /// The journal record the accepted packet names, when known: the last record before the
    /// first finding since (the acceptance, or a checkpoint right after it).
    pub(super) record: Option<JournalRef>,
}

impl Case {
    /// Keeps the revision just accepted: its evidence, decision and digest.
    pub(super) fn keep_accepted(&mut self) {
        self.accepted = Some(self.accepted_now(self.evidence.clone()));
        // No token names a draft of an accepted case: its epoch forgets the older versions
        // (what a checkpoint image would otherwise carry while findings are recorded).
        if let Some(base) = self.epoch.base.as_mut() {
            *base = self.evidence.clone();
            self.epoch.later.clear();
        }
    }

    /// The accepted revision over `evidence`, nothing recorded since.
    pub(super) fn accepted_now(&self, evidence: Evidence) -> Accepted {
        let content = self.content_with(&evidence);
        Accepted {
            decided: content.decision(),
            digest: content
                .digest()
                .expect("draft content is plain JSON and always canonicalises"),
            lane: self.recommended_lane().clone(),
            evidence,
            since: 0,
            record: None,
        }
    }

    /// The evidence the draft shows: in `closed/accepted` the evidence the acceptance saw
    /// (later findings changed no decision), else all of it.
    pub(super) fn draft_evidence(&self) -> &Evidence {
        self.accepted
            .as_ref()
            .map_or(&self.evidence, |a| &a.evidence)
    }

    /// A finding recorded in `closed/accepted`: kept beside the accepted packet when the
    /// decision is as accepted (`tail_only` — see [`Case::same_decision`] — or compared), else
    /// the case reopens.
    pub(super) fn after_acceptance(&mut self, at: DateTime<Utc>, tail_only: bool) {
        let same = tail_only || {
            let now = self.content_with(&self.evidence).decision();
            self.accepted.as_ref().is_some_and(|a| a.decided == now)
        };
        if same {
            if let Some(a) = self.accepted.as_mut() {
                a.since += 1;
            }
            self.dispatch(Input::Carry);
        } else {
            let entry = self.evidence.last().expect("a finding reopens the case");
            let cause = ReopenCause::Finding {
                index: entry.index,
                fact: entry.finding.fact.clone(),
                agent: entry.finding.agent.id.clone(),
            };
            self.reopen(at, cause);
        }
    }

    /// A finding (or a trust amendment) changed the accepted decision, or an amendment voided
    /// the acceptance: the accepted revision becomes a prior one and the next revision starts
    /// in `drafted` (or `gathering`), with no sign-off.
    pub(super) fn reopen(&mut self, at: DateTime<Utc>, cause: ReopenCause) {
        let accepted = self.accepted.take().expect("reopened from closed/accepted");
        let acceptance = self
            .chart
            .acceptance()
            .expect("closed/accepted holds its acceptance");
        self.prior.push(PriorRevision {
            revision: self.revision,
            packet_digest: accepted.digest.clone(),
            lane: accepted.lane,
            accepted_by: acceptance.approval().issuer().clone(),
            accepted_at: acceptance.at(),
            superseded_at: at,
            cause: cause.clone(),
        });
        self.reopened = Some(Reopened {
            from_revision: self.revision,
            packet_digest: accepted.digest,
            cause,
        });
        // What was voided stays voided; the accepted revision's sign-offs are superseded.
        for (i, r) in self.approvals.iter_mut().enumerate() {
            r.voided = r.voided || is_voided(r, self.versions[i], &self.epoch, self.accepted_floor);
        }
        self.accepted_floor = self.version;
        let ready = self.ready();
        self.dispatch(Input::Reopen { ready });
        if self.carries() {
            self.revision += 1;
        }
        if ready {
            self.new_version(at);
        }
    }

    /// Tells the case the journal record it has just applied (or replayed past): in
    /// `closed/accepted`, until a finding arrives after the acceptance, the accepted packet
    /// names it ([`Case::acceptance_record`]). Replays and stores call it after every record.
    pub fn note_journal_record(&mut self, record: &JournalRef) {
        self.note_record_seq(record.seq);
        if let Some(a) = self.accepted.as_mut().filter(|a| a.since == 0) {
            a.record = Some(record.clone());
        }
    }

    /// Sets the record the accepted packet names when findings already followed it (a store
    /// that decided the acceptance and a finding in one batch learns the records' positions
    /// only once the batch is sealed).
    pub(crate) fn fix_acceptance_record(&mut self, record: JournalRef) {
        if let Some(a) = self.accepted.as_mut().filter(|a| a.since > 0) {
            a.record = Some(record);
        }
    }

    /// In `closed/accepted`, the journal record the accepted packet names (the last record
    /// before any finding recorded since), when [`note_journal_record`](Case::note_journal_record)
    /// told the case.
    pub fn acceptance_record(&self) -> Option<&JournalRef> {
        self.accepted.as_ref().and_then(|a| a.record.as_ref())
    }

    /// In `closed/accepted`, findings recorded since the acceptance (each left its decision as
    /// it was).
    pub fn findings_since_acceptance(&self) -> u64 {
        self.accepted.as_ref().map_or(0, |a| a.since)
    }

    /// The accepted revisions a reopening superseded, oldest first.
    pub fn prior_revisions(&self) -> &[PriorRevision] {
        &self.prior
    }
}

/// Whether an approval record is a voided sign-off: a review of a draft version before the
/// current epoch, in the current revision (reviews up to `floor` belong to accepted revisions).
pub(super) fn is_voided(r: &ApprovalRecord, version: u64, epoch: &Epoch, floor: u64) -> bool {
    r.voided || (r.kind == "review" && version < epoch.first_version && version > floor)
}
