//! What leadership measures (DESIGN §17): the seed's evaluation measures of many cases, from
//! their journals alone.
//!
//! A [`CaseReport`] is built by watching a case replayed record by record ([`Watch::observe`]
//! after every record, [`Watch::finish`] at the end); a [`Report`] puts cases side by side with
//! their distributions ([`Distribution`]: nearest-rank median and p90). Pure: the caller
//! replays (the CLI's `report` does, from journal files, a directory or a PostgreSQL store);
//! nothing here reads a clock or a file.
//!
//! Definitions (each a time of record, so a report is the same on every machine):
//!
//! - **first draft**: the first record after which the case is in `open/deciding` (a draft
//!   exists); **quorum**: the first after which it is in `awaiting_acceptance`; **acceptance**:
//!   the first after which it is in `closed/accepted`. Durations are from the declaration
//!   (record 0), in milliseconds.
//! - **revisions**: the decisions put to the owner (DESIGN §15; 0 for a case that never had a
//!   draft); **reopenings**: acceptances that evidence reopened.
//! - **lane changes**: the lane history less its first entry, each with its cause (`finding`
//!   or `redirect`).
//! - **redirects**: human redirects recorded (`request_evidence`, `set_lane`,
//!   `exclude_option`).
//! - **carried sign-offs**: for each revision, the sign-offs still counted at its last record
//!   although findings arrived after the draft they signed; summed over revisions.
//!   **voided sign-offs**: sign-offs voided by a change of decision (every revision).

use crate::case::{Case, Leaf};
use crate::ids::{CaseId, LaneId};
use crate::packet::LaneCause;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The measures of many cases, each case's and across them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Each case, in the order given.
    pub cases: Vec<CaseReport>,
    /// Across the cases.
    pub across: Across,
}

/// One case's measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseReport {
    /// The case.
    pub case_id: CaseId,
    /// Where it was read: a journal file's path, or `store:<case id>`.
    pub source: String,
    /// Records in its journal.
    pub records: u64,
    /// Findings recorded.
    pub findings: u64,
    /// Its state at the last record (leaf name).
    pub state: String,
    /// Its recommended lane at the last record.
    pub recommended_lane: LaneId,
    /// The declaration's time of record.
    pub declared_at: DateTime<Utc>,
    /// The last record's time of record.
    pub last_at: DateTime<Utc>,
    /// When a draft first existed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_draft_at: Option<DateTime<Utc>>,
    /// When a review quorum was first reached.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_quorum_at: Option<DateTime<Utc>>,
    /// When the case was first accepted.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_accepted_at: Option<DateTime<Utc>>,
    /// Every acceptance, in order: the first, and one per revision a reopening put to an owner
    /// again.
    pub acceptances: Vec<AcceptanceReport>,
    /// When it was stood down.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stood_down_at: Option<DateTime<Utc>>,
    /// Milliseconds from the declaration to the first draft.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to_first_draft_ms: Option<u64>,
    /// Milliseconds from the declaration to the first quorum.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to_quorum_ms: Option<u64>,
    /// Milliseconds from the declaration to the first acceptance.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub to_acceptance_ms: Option<u64>,
    /// Decisions put to the owner.
    pub revisions: u64,
    /// Accepted revisions that evidence reopened.
    pub reopenings: u64,
    /// Every lane change after the declaration, with its cause.
    pub lane_changes: Vec<LaneChangeReport>,
    /// Human redirects recorded, by action.
    pub redirects: BTreeMap<String, u64>,
    /// Sign-offs carried over findings that changed nothing (summed over revisions).
    pub carried_signoffs: u64,
    /// Sign-offs voided by a change of decision.
    pub voided_signoffs: u64,
}

/// One acceptance: the revision accepted, when, and the lane that owned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceReport {
    /// The revision accepted.
    pub revision: u64,
    /// The acceptance's time of record.
    pub at: DateTime<Utc>,
    /// The lane whose owner accepted it.
    pub lane: LaneId,
}

/// A lane change and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneChangeReport {
    /// Its time of record.
    pub at: DateTime<Utc>,
    /// The lane before.
    pub from: LaneId,
    /// The lane after.
    pub to: LaneId,
    /// `finding` or `redirect`.
    pub cause: String,
}

/// The measures across cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Across {
    /// Cases in the report.
    pub cases: u64,
    /// Cases per final state.
    pub by_state: BTreeMap<String, u64>,
    /// Cases per final recommended lane.
    pub by_lane: BTreeMap<LaneId, u64>,
    /// Lane changes per cause, over every case.
    pub lane_change_causes: BTreeMap<String, u64>,
    /// Declaration to first draft (ms), over the cases that reached one.
    pub to_first_draft_ms: Distribution,
    /// Declaration to quorum (ms), over the cases that reached one.
    pub to_quorum_ms: Distribution,
    /// Declaration to acceptance (ms), over the cases accepted.
    pub to_acceptance_ms: Distribution,
    /// Revisions per case.
    pub revisions: Distribution,
    /// Lane changes per case.
    pub lane_changes: Distribution,
    /// Redirects per case.
    pub redirects: Distribution,
    /// Carried sign-offs per case.
    pub carried_signoffs: Distribution,
    /// Voided sign-offs per case.
    pub voided_signoffs: Distribution,
}

/// A distribution of whole numbers: its size, extremes, nearest-rank median and p90 (the
/// value at rank ⌈p·n⌉ of the sorted values), and sum. All but `n` and `sum` are absent when
/// `n` is 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Values.
    pub n: u64,
    /// Their sum.
    pub sum: u64,
    /// The least.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<u64>,
    /// The nearest-rank median.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub median: Option<u64>,
    /// The nearest-rank 90th percentile.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p90: Option<u64>,
    /// The greatest.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<u64>,
}

impl Distribution {
    /// The distribution of `values`.
    pub fn of(values: impl IntoIterator<Item = u64>) -> Distribution {
        let mut v: Vec<u64> = values.into_iter().collect();
        v.sort_unstable();
        let n = v.len();
        // Nearest rank: the value at rank ⌈pct·n/100⌉ (1-based), in integers.
        let rank = |pct: usize| v.get((pct * n).div_ceil(100).max(1) - 1).copied();
        Distribution {
            n: n as u64,
            sum: v.iter().fold(0u64, |a, b| a.saturating_add(*b)),
            min: v.first().copied(),
            median: rank(50),
            p90: rank(90),
            max: v.last().copied(),
        }
    }
}

impl Report {
    /// The report of `cases`.
    pub fn of(cases: Vec<CaseReport>) -> Report {
        let dist =
            |f: &dyn Fn(&CaseReport) -> Option<u64>| Distribution::of(cases.iter().filter_map(f));
        let mut by_state = BTreeMap::new();
        let mut by_lane = BTreeMap::new();
        let mut causes = BTreeMap::new();
        for c in &cases {
            *by_state.entry(c.state.clone()).or_insert(0) += 1;
            *by_lane.entry(c.recommended_lane.clone()).or_insert(0) += 1;
            for l in &c.lane_changes {
                *causes.entry(l.cause.clone()).or_insert(0) += 1;
            }
        }
        let across = Across {
            cases: cases.len() as u64,
            by_state,
            by_lane,
            lane_change_causes: causes,
            to_first_draft_ms: dist(&|c| c.to_first_draft_ms),
            to_quorum_ms: dist(&|c| c.to_quorum_ms),
            to_acceptance_ms: dist(&|c| c.to_acceptance_ms),
            revisions: dist(&|c| Some(c.revisions)),
            lane_changes: dist(&|c| Some(c.lane_changes.len() as u64)),
            redirects: dist(&|c| Some(c.redirects.values().sum())),
            carried_signoffs: dist(&|c| Some(c.carried_signoffs)),
            voided_signoffs: dist(&|c| Some(c.voided_signoffs)),
        };
        Report { cases, across }
    }
}

/// Watches one case replayed record by record.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    records: u64,
    first_draft_at: Option<DateTime<Utc>>,
    first_quorum_at: Option<DateTime<Utc>>,
    first_accepted_at: Option<DateTime<Utc>>,
    acceptances: Vec<AcceptanceReport>,
    stood_down_at: Option<DateTime<Utc>>,
    reopenings: u64,
    /// The revision seen last and its carried sign-offs then.
    revision: u64,
    carried_now: u64,
    /// Carried sign-offs of the revisions already ended.
    carried_before: u64,
    last_state: Option<Leaf>,
}

impl Watch {
    /// A watch before record 0.
    pub fn new() -> Watch {
        Watch::default()
    }

    /// Called with the case after every record, record 0 included.
    pub fn observe(&mut self, case: &Case) {
        self.records += 1;
        let (state, at) = (case.state(), case.last_at());
        if (state.is_deciding() || state == Leaf::Accepted) && self.first_draft_at.is_none() {
            self.first_draft_at = Some(at);
        }
        if matches!(state, Leaf::AwaitingAcceptance | Leaf::Accepted)
            && self.first_quorum_at.is_none()
        {
            self.first_quorum_at = Some(at);
        }
        if state == Leaf::Accepted && self.first_accepted_at.is_none() {
            self.first_accepted_at = Some(at);
        }
        if state == Leaf::Accepted && self.last_state != Some(Leaf::Accepted) {
            self.acceptances.push(AcceptanceReport {
                revision: case.revision(),
                at,
                lane: case.recommended_lane().clone(),
            });
        }
        if state == Leaf::StoodDown && self.stood_down_at.is_none() {
            self.stood_down_at = Some(at);
        }
        if self.last_state == Some(Leaf::Accepted) && state != Leaf::Accepted {
            self.reopenings += 1;
        }
        if case.revision() != self.revision {
            // The revision seen last has ended: what it carried then is final.
            self.carried_before += self.carried_now;
            self.revision = case.revision();
        }
        // Skipped at record 0 and in gathering, where no draft stands whose sign-offs carry.
        self.carried_now = if self.records > 1 && state != Leaf::Gathering {
            case.stability().carried_signoffs
        } else {
            0
        };
        self.last_state = Some(state);
    }

    /// The case's report, once its last record is observed. `source` says where it was read.
    pub fn finish(self, case: &Case, source: String) -> CaseReport {
        let declared_at = case
            .lane_history()
            .first()
            .map_or_else(|| case.last_at(), |c| c.at);
        let since = |t: Option<DateTime<Utc>>| {
            t.map(|t| u64::try_from((t - declared_at).num_milliseconds()).unwrap_or(0))
        };
        let lane_changes = case
            .lane_history()
            .iter()
            .skip(1)
            .map(|c| LaneChangeReport {
                at: c.at,
                from: c.from.clone().unwrap_or_else(|| c.to.clone()),
                to: c.to.clone(),
                cause: match c.cause {
                    LaneCause::Finding { .. } => "finding",
                    LaneCause::Redirect { .. } => "redirect",
                    LaneCause::Declared { .. } => "declared",
                    LaneCause::Amendment { .. } => "amendment",
                }
                .to_owned(),
            })
            .collect();
        let mut redirects = BTreeMap::new();
        for r in case.redirects() {
            let action = serde_json::to_value(&r.redirect.action)
                .ok()
                .and_then(|v| v.get("action")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            *redirects.entry(action).or_insert(0) += 1;
        }
        let stability = case.stability();
        CaseReport {
            case_id: case.id().clone(),
            source,
            records: self.records,
            findings: case.evidence().count(),
            state: case.state().as_str().to_owned(),
            recommended_lane: case.recommended_lane().clone(),
            declared_at,
            last_at: case.last_at(),
            first_draft_at: self.first_draft_at,
            first_quorum_at: self.first_quorum_at,
            first_accepted_at: self.first_accepted_at,
            acceptances: self.acceptances,
            stood_down_at: self.stood_down_at,
            to_first_draft_ms: since(self.first_draft_at),
            to_quorum_ms: since(self.first_quorum_at),
            to_acceptance_ms: since(self.first_accepted_at),
            revisions: stability.revisions,
            reopenings: self.reopenings,
            lane_changes,
            redirects,
            carried_signoffs: self.carried_before + self.carried_now,
            voided_signoffs: stability.voided_signoffs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Distribution;

    #[test]
    fn nearest_rank_percentiles() {
        let d = Distribution::of([5, 1, 4, 2, 3]);
        assert_eq!(
            (d.n, d.sum, d.min, d.median, d.p90, d.max),
            (5, 15, Some(1), Some(3), Some(5), Some(5))
        );
        let d = Distribution::of(1..=10);
        assert_eq!((d.median, d.p90), (Some(5), Some(9)));
        let d = Distribution::of([7]);
        assert_eq!((d.median, d.p90), (Some(7), Some(7)));
        let d = Distribution::of([]);
        assert_eq!((d.n, d.median, d.min), (0, None, None));
        let d = Distribution::of(1..=20);
        assert_eq!((d.median, d.p90), (Some(10), Some(18)));
    }
}
