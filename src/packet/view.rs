//! Channel views: what one review channel may see of a draft or an accepted packet.
//!
//! A [`ChannelView`] is built field by field from the packet: a field of [`DraftContent`] that
//! this module does not name is in no view, so a field added to the draft stays out of every
//! channel until the view type is changed to carry it. Each finding is either
//! [`ViewFinding::Shown`] or [`ViewFinding::Redacted`], decided by [`shows`] (the channel's
//! scope and `carries`); a redacted finding has no value, record or note to leak.
//!
//! The JSON of a view is [`ChannelView::to_json`]: the members as they serialise, keys in
//! `serde_json`'s map order (sorted), which is the output contract of `authority-lane packet`.

use super::{
    ApprovalRecord, DecisionOwner, Declared, DelegationRecord, DraftContent, DraftPacket,
    FactEntry, JournalRef, LaneChange, RecommendationPacket, RedirectRecord, Timings, WorkflowRef,
};
use crate::assess::{LaneAssessment, OptionAssessment, Pending};
use crate::digest::Digest;
use crate::ids::{CaseId, ChannelId, FactKey, LaneId, OptionId, PrincipalId};
use crate::lineage::{Lineage, LineageEntry};
use crate::workflow::{ChannelDef, ChannelScope, FactValue, Sensitivity};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// A draft or accepted packet as one channel may see it.
///
/// The members every scope shares are fields here; what depends on the channel's scope is in
/// [`ScopedView`], and what only an accepted packet has is in [`AcceptedView`]. Both are
/// flattened into the same JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChannelView {
    /// The channel this view was made for.
    pub channel: ChannelId,
    /// The case.
    pub case_id: CaseId,
    /// Draft revision.
    pub revision: u64,
    /// The lane that should own the decision.
    pub recommended_lane: LaneId,
    /// Lane statuses with reasons.
    pub lanes: Vec<LaneAssessment>,
    /// Options inside and outside the boundary, with reversibility.
    pub options: Vec<OptionAssessment>,
    /// Unknown triggers that could still raise the lane.
    pub pending: Vec<Pending>,
    /// True when nothing is pending.
    pub stable: bool,
    /// Who owns the decision.
    pub decision_owner: DecisionOwner,
    /// The evidence lineage: count, Merkle root, and per fact the counts and the decisive
    /// findings, each shown or redacted as [`shows`](crate::packet::shows) decides.
    pub lineage: ViewLineage,
    /// The digest reviewers signed.
    pub packet_digest: Digest,
    /// The digest of the draft's decision (DESIGN §15): the same for every draft version that
    /// puts the same decision to its owner.
    pub decision_digest: Digest,
    /// How stable the recommendation was (DESIGN §15).
    pub stability: super::Stability,
    /// What the channel's scope adds.
    #[serde(flatten)]
    pub scope: ScopedView,
    /// For an accepted packet: who accepted it and where the acceptance sits in the journal.
    #[serde(flatten)]
    pub accepted: Option<AcceptedView>,
}

/// The members that depend on the channel's [`ChannelScope`].
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ScopedView {
    /// `full`: the rest of the packet.
    Full(Box<FullView>),
    /// `authority_selection`: only the deadlines besides the shared members.
    AuthoritySelection(SelectionView),
}

/// What a `full` channel sees besides the shared members.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FullView {
    /// The workflow.
    pub workflow: WorkflowRef,
    /// Digest of the workflow the case runs under.
    pub workflow_digest: Digest,
    /// Digest of the trust file the case runs under.
    pub trust_digest: Digest,
    /// The declaration.
    pub declared: Declared,
    /// Required facts still unknown.
    pub missing_required: Vec<FactKey>,
    /// Every lane change and its cause.
    pub lane_history: Vec<LaneChange>,
    /// Resolved facts, shown or redacted as [`shows`](crate::packet::shows) decides.
    pub facts: BTreeMap<FactKey, ViewFact>,
    /// Delegation state.
    pub delegations: Vec<DelegationRecord>,
    /// Human redirects.
    pub redirects: Vec<RedirectRecord>,
    /// Options excluded by redirects.
    pub excluded_options: Vec<OptionId>,
    /// Every human decision applied so far.
    pub approvals: Vec<ApprovalRecord>,
    /// Timings.
    pub timings: Timings,
    /// Why this revision exists, after a reopening (DESIGN §15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopened: Option<super::Reopened>,
    /// The accepted revisions this one superseded (DESIGN §15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prior_revisions: Vec<super::PriorRevision>,
    /// The digest of the trust in force, once an amendment changed it (DESIGN §16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_in_force: Option<Digest>,
    /// The trust amendments that took effect, oldest first (DESIGN §16).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trust_history: Vec<super::TrustChange>,
}

/// What an `authority_selection` channel sees besides the shared members.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SelectionView {
    /// The known deadlines (see [`is_deadline`]), by fact.
    pub deadlines: BTreeMap<FactKey, FactValue>,
}

/// What only an accepted packet adds to a view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AcceptedView {
    /// Who accepted it.
    pub accepted_by: PrincipalId,
    /// The journal record of the acceptance.
    pub journal: JournalRef,
    /// Per review and acceptance that recorded the draft it signed (DESIGN §15): the RFC 9162
    /// consistency proof from the lineage it signed to the accepted lineage (absent when none
    /// was attached, e.g. under `carry_over: "never"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consistency: Vec<super::SignOffConsistency>,
}

/// The lineage as one channel may see it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ViewLineage {
    /// Findings in the case.
    pub count: u64,
    /// RFC 9162 Merkle root over every finding (proofs: `authority-lane lineage --proof`).
    pub root: Digest,
    /// Per fact that has findings.
    pub facts: BTreeMap<FactKey, ViewFactLineage>,
}

/// One fact's lineage in a view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ViewFactLineage {
    /// Findings about the fact.
    pub findings: u64,
    /// Findings per source system; empty when the channel may not see the fact's evidence.
    pub sources: BTreeMap<String, u64>,
    /// Findings from systems beyond those named (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub other_sources: u64,
    /// The decisive findings, shown or redacted.
    pub decisive: Vec<ViewFinding>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A finding in a view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ViewFinding {
    /// The channel carries the finding's sensitivity: all of it.
    Shown(LineageEntry),
    /// The channel does not: index, fact, sensitivity and a digest.
    Redacted(RedactedFinding),
}

/// A finding with its value, record and note withheld.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RedactedFinding {
    /// Its lineage index (the leaf a proof is for).
    pub index: u64,
    /// The fact.
    pub fact: FactKey,
    /// Its sensitivity.
    pub sensitivity: Sensitivity,
    /// Digest of the full lineage entry, so a reader with access can match it.
    pub digest: Digest,
    /// Always true.
    pub redacted: bool,
}

/// A resolved fact in a view.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ViewFact {
    /// The channel carries the fact's sensitivity: value, dispute and sensitivity.
    Shown(FactEntry),
    /// The channel does not: the value is withheld.
    Redacted(RedactedFact),
}

/// A resolved fact with its value withheld.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RedactedFact {
    /// Its sensitivity.
    pub sensitivity: Sensitivity,
    /// True when findings disagree.
    pub disputed: bool,
    /// Always true.
    pub redacted: bool,
}

/// Whether `channel` may see the value, record and note of evidence of `sensitivity`: a `full`
/// channel when it carries the sensitivity, an `authority_selection` channel never (DESIGN §8:
/// every finding redacted), whatever its `carries` says.
pub fn shows(channel: &ChannelDef, sensitivity: Sensitivity) -> bool {
    match channel.scope {
        ChannelScope::Full => channel.carries.contains(&sensitivity),
        ChannelScope::AuthoritySelection => false,
    }
}

impl ViewFinding {
    /// `entry` as `channel` may see it.
    pub fn of(entry: &LineageEntry, channel: &ChannelDef) -> Self {
        if shows(channel, entry.finding.sensitivity) {
            ViewFinding::Shown(entry.clone())
        } else {
            ViewFinding::Redacted(RedactedFinding::of(entry))
        }
    }

    /// Appends the JSON of [`ViewFinding::of`]`(entry, channel)` to `out`, without copying the
    /// entry (`authority-lane lineage` writes a million of them). `canonical` is the entry's
    /// RFC 8785 form ([`LineageEntry::canonical`], which [`Evidence`](crate::lineage::Evidence)
    /// keeps for its last finding): a shown entry is written as exactly those bytes — so the line
    /// is the preimage of its leaf hash — and a redacted one carries their digest.
    pub fn write_json(
        entry: &LineageEntry,
        canonical: &[u8],
        channel: &ChannelDef,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        if shows(channel, entry.finding.sensitivity) {
            out.extend_from_slice(canonical);
            Ok(())
        } else {
            serde_json::to_writer(out, &RedactedFinding::with_digest(entry, canonical))
        }
    }
}

impl RedactedFinding {
    /// The redacted form of `entry`: its index, fact, sensitivity and the digest of the whole
    /// entry (SHA-256 of its RFC 8785 form).
    pub fn of(entry: &LineageEntry) -> Self {
        Self::with_digest(entry, &entry.canonical())
    }

    fn with_digest(entry: &LineageEntry, canonical: &[u8]) -> Self {
        RedactedFinding {
            index: entry.index,
            fact: entry.finding.fact.clone(),
            sensitivity: entry.finding.sensitivity,
            digest: Digest::of_bytes(canonical),
            redacted: true,
        }
    }
}

impl ViewLineage {
    /// `lineage` as `channel` may see it; `facts` gives each fact's sensitivity.
    pub fn of(
        lineage: &Lineage,
        facts: &BTreeMap<FactKey, FactEntry>,
        channel: &ChannelDef,
    ) -> Self {
        ViewLineage {
            count: lineage.count,
            root: lineage.root.clone(),
            facts: lineage
                .facts
                .iter()
                .map(|(fact, l)| {
                    let visible = facts
                        .get(fact)
                        .is_some_and(|f| shows(channel, f.sensitivity));
                    let view = ViewFactLineage {
                        findings: l.findings,
                        sources: if visible {
                            l.sources.clone()
                        } else {
                            BTreeMap::new()
                        },
                        other_sources: if visible { l.other_sources } else { 0 },
                        decisive: l
                            .decisive
                            .iter()
                            .map(|e| ViewFinding::of(e, channel))
                            .collect(),
                    };
                    (fact.clone(), view)
                })
                .collect(),
        }
    }
}

impl ViewFact {
    /// `entry` as `channel` may see it.
    pub fn of(entry: &FactEntry, channel: &ChannelDef) -> Self {
        if shows(channel, entry.sensitivity) {
            ViewFact::Shown(entry.clone())
        } else {
            ViewFact::Redacted(RedactedFact {
                sensitivity: entry.sensitivity,
                disputed: entry.disputed,
                redacted: true,
            })
        }
    }
}

/// Whether a resolved fact is a deadline the authority-selection channel shows.
///
/// The fact's type must be `timestamp` as the workflow declares it (a fact's value is typed
/// against its declaration, so a [`FactValue::Timestamp`] is a declared timestamp fact). The
/// workflow language has no deadline type, and the shipped workflow declares other timestamp
/// facts too (`custody.window_start`, `custody.window_end`, both `key_custody`), so the key
/// must also name a deadline. This is the one place that rule lives.
pub fn is_deadline(key: &FactKey, entry: &FactEntry) -> bool {
    matches!(entry.value, FactValue::Timestamp(_)) && key.as_str().contains("deadline")
}

impl SelectionView {
    fn of(facts: &BTreeMap<FactKey, FactEntry>) -> Self {
        SelectionView {
            deadlines: facts
                .iter()
                .filter(|(k, f)| is_deadline(k, f))
                .map(|(k, f)| (k.clone(), f.value.clone()))
                .collect(),
        }
    }
}

impl ChannelView {
    /// The view of `draft` for `channel`.
    ///
    /// Every member of the draft is named here (the patterns are exhaustive), so that a member
    /// added to [`DraftPacket`] or [`DraftContent`] does not compile until it is decided here
    /// whether, and in which scope, a channel sees it.
    pub fn of_draft(draft: &DraftPacket, channel: &ChannelDef) -> Self {
        let DraftPacket {
            content,
            approvals,
            timings,
            stability,
            packet_digest,
            decision_digest,
            trust_in_force,
            trust_history,
        } = draft;
        let DraftContent {
            case_id,
            revision,
            workflow,
            workflow_digest,
            trust_digest,
            declared,
            recommended_lane,
            lanes,
            options,
            pending,
            stable,
            missing_required,
            decision_owner,
            lane_history,
            facts,
            lineage,
            delegations,
            redirects,
            excluded_options,
            reopened,
            prior_revisions,
        } = content;
        let scope = match channel.scope {
            ChannelScope::Full => ScopedView::Full(Box::new(FullView {
                workflow: workflow.clone(),
                workflow_digest: workflow_digest.clone(),
                trust_digest: trust_digest.clone(),
                declared: declared.clone(),
                missing_required: missing_required.clone(),
                lane_history: lane_history.clone(),
                facts: facts
                    .iter()
                    .map(|(k, f)| (k.clone(), ViewFact::of(f, channel)))
                    .collect(),
                delegations: delegations.clone(),
                redirects: redirects.clone(),
                excluded_options: excluded_options.clone(),
                approvals: approvals.clone(),
                timings: timings.clone(),
                reopened: reopened.clone(),
                prior_revisions: prior_revisions.clone(),
                trust_in_force: trust_in_force.clone(),
                trust_history: trust_history.clone(),
            })),
            ChannelScope::AuthoritySelection => {
                ScopedView::AuthoritySelection(SelectionView::of(facts))
            }
        };
        ChannelView {
            channel: channel.id.clone(),
            case_id: case_id.clone(),
            revision: *revision,
            recommended_lane: recommended_lane.clone(),
            lanes: lanes.clone(),
            options: options.clone(),
            pending: pending.clone(),
            stable: *stable,
            decision_owner: decision_owner.clone(),
            lineage: ViewLineage::of(lineage, facts, channel),
            packet_digest: packet_digest.clone(),
            decision_digest: decision_digest.clone(),
            stability: stability.clone(),
            scope,
            accepted: None,
        }
    }

    /// The view of the accepted `packet` for `channel`.
    pub fn of_packet(packet: &RecommendationPacket, channel: &ChannelDef) -> Self {
        ChannelView {
            accepted: Some(AcceptedView {
                accepted_by: packet.accepted_by().clone(),
                journal: packet.journal().clone(),
                consistency: packet.consistency().to_vec(),
            }),
            ..ChannelView::of_draft(packet.draft(), channel)
        }
    }

    /// The `full` members, when the channel's scope is `full`.
    pub fn full(&self) -> Option<&FullView> {
        match &self.scope {
            ScopedView::Full(full) => Some(full),
            ScopedView::AuthoritySelection(_) => None,
        }
    }

    /// The view as JSON, as `authority-lane packet --format json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect(
            "a view is plain JSON (string keys, no maps keyed by non-strings) and always serialises",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Agent, Source};
    use crate::ids::AgentRole;
    use crate::store::{Anchors, Replay, replay_reader};
    use crate::workflow::Workflow;

    /// The shipped demo, accepted, and its workflow: a journal `authority-lane demo --journal`
    /// wrote once (`testdata/demo.jsonl`), replayed under the documents record 0 embeds.
    fn demo() -> (Replay, Workflow) {
        let journal: &[u8] = include_bytes!("testdata/demo.jsonl");
        let run = replay_reader(journal, Anchors::default()).expect("the demo journal replays");
        let workflow = run.case.workflow().clone();
        (run, workflow)
    }

    fn finding(fact: &str, sensitivity: Sensitivity) -> LineageEntry {
        LineageEntry {
            index: 7,
            finding: finding_of(fact, sensitivity),
        }
    }

    fn finding_of(fact: &str, sensitivity: Sensitivity) -> crate::evidence::Finding {
        crate::evidence::Finding {
            fact: FactKey::from(fact),
            value: FactValue::Bool(true),
            agent: Agent {
                role: AgentRole::from("custody-evidence"),
                id: "agent-1".into(),
            },
            source: Source {
                system: "hsm-audit-log".into(),
                record: "secret-record".into(),
                digest: Digest::of_bytes(b"record"),
            },
            note: Some("secret note".into()),
            at: chrono::DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default(),
            sensitivity,
        }
    }

    fn channel(scope: ChannelScope, carries: &[Sensitivity]) -> ChannelDef {
        ChannelDef {
            id: ChannelId::from("test"),
            carries: carries.to_vec(),
            scope,
        }
    }

    #[test]
    fn a_redacted_finding_never_carries_value_record_or_note() {
        let f = finding("custody.exposure", Sensitivity::KeyCustody);
        let ch = channel(ChannelScope::Full, &[Sensitivity::General]);
        let ViewFinding::Redacted(r) = ViewFinding::of(&f, &ch) else {
            panic!("a key_custody finding on a general-only channel must be redacted");
        };
        assert_eq!(r.digest, Digest::of_canonical(&f).expect("canonical"));
        assert_eq!(r.index, 7);
        let json = serde_json::to_value(ViewFinding::Redacted(r)).expect("serialises");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["digest", "fact", "index", "redacted", "sensitivity"]);
        let text = json.to_string();
        for secret in ["secret-record", "secret note", "agent-1", "hsm-audit-log"] {
            assert!(!text.contains(secret), "{secret} leaks: {text}");
        }
    }

    #[test]
    fn every_demo_view_redacts_what_its_channel_does_not_carry() {
        let (run, workflow) = demo();
        let packet = run.packet().expect("accepted");
        for ch in &workflow.spec().channels {
            let view = packet.view(ch);
            let lineage = &packet.draft().content.lineage;
            assert_eq!(view.lineage.count, lineage.count);
            assert_eq!(view.lineage.root, lineage.root);
            assert_eq!(view.lineage.facts.len(), lineage.facts.len());
            for (fact, l) in &lineage.facts {
                let seen = &view.lineage.facts[fact];
                assert_eq!(seen.findings, l.findings);
                assert_eq!(seen.decisive.len(), l.decisive.len());
                let visible = ch
                    .carries
                    .contains(&packet.draft().content.facts[fact].sensitivity)
                    && ch.scope == ChannelScope::Full;
                assert_eq!(seen.sources.is_empty(), !visible || l.sources.is_empty());
                for (shown, original) in seen.decisive.iter().zip(&l.decisive) {
                    let carried = ch.carries.contains(&original.finding.sensitivity)
                        && ch.scope == ChannelScope::Full;
                    match shown {
                        ViewFinding::Shown(f) => assert!(carried && f == original),
                        ViewFinding::Redacted(r) => assert!(
                            !carried
                                && r.fact == original.finding.fact
                                && r.index == original.index
                                && r.redacted
                        ),
                    }
                }
            }
            if let Some(full) = view.full() {
                for (k, f) in &full.facts {
                    let carried = ch
                        .carries
                        .contains(&packet.draft().content.facts[k].sensitivity);
                    assert_eq!(matches!(f, ViewFact::Shown(_)), carried, "{k}");
                }
            }
        }
    }

    #[test]
    fn authority_selection_redacts_every_finding_whatever_it_carries() {
        let all = [
            Sensitivity::KeyCustody,
            Sensitivity::ProductExposure,
            Sensitivity::DisclosureConstraint,
            Sensitivity::General,
        ];
        let ch = channel(ChannelScope::AuthoritySelection, &all);
        for s in all {
            assert!(matches!(
                ViewFinding::of(&finding("f", s), &ch),
                ViewFinding::Redacted(_)
            ));
        }
        let (run, _) = demo();
        let view = run.packet().expect("accepted").view(&ch);
        let decisive: Vec<&ViewFinding> = view
            .lineage
            .facts
            .values()
            .flat_map(|l| &l.decisive)
            .collect();
        assert!(!decisive.is_empty());
        assert!(
            decisive
                .iter()
                .all(|e| matches!(e, ViewFinding::Redacted(_)))
        );
        assert!(view.lineage.facts.values().all(|l| l.sources.is_empty()));
        assert!(view.full().is_none());
    }

    #[test]
    fn a_deadline_is_a_timestamp_fact_that_names_a_deadline() {
        let at = chrono::DateTime::from_timestamp(1_795_860_000, 0).unwrap_or_default();
        let entry = |value| FactEntry {
            value,
            disputed: false,
            sensitivity: Sensitivity::DisclosureConstraint,
        };
        let deadline = FactKey::from("impact.disclosure_deadline");
        assert!(is_deadline(&deadline, &entry(FactValue::Timestamp(at))));
        // Not a timestamp: not a deadline, whatever its name.
        assert!(!is_deadline(&deadline, &entry(FactValue::Count(3))));
        // A timestamp that is not a deadline (the custody window) stays out.
        let window = FactKey::from("custody.window_start");
        assert!(!is_deadline(&window, &entry(FactValue::Timestamp(at))));

        let (run, workflow) = demo();
        let ch = workflow
            .channel(&ChannelId::from("authority-selection"))
            .expect("shipped channel");
        let view = run.packet().expect("accepted").view(ch);
        let ScopedView::AuthoritySelection(selection) = &view.scope else {
            panic!("authority-selection is an authority_selection channel");
        };
        let keys: Vec<&str> = selection.deadlines.keys().map(FactKey::as_str).collect();
        assert_eq!(keys, ["impact.disclosure_deadline"]);
        let declared = workflow
            .spec()
            .facts
            .iter()
            .find(|f| f.key == deadline)
            .expect("declared");
        assert_eq!(declared.ty, crate::workflow::FactType::Timestamp);
    }

    #[test]
    fn an_accepted_view_adds_only_the_acceptance() {
        let (run, workflow) = demo();
        let packet = run.packet().expect("accepted");
        for ch in &workflow.spec().channels {
            let mut draft = packet.draft().view(ch).to_json();
            let accepted = packet.view(ch).to_json();
            let obj = draft.as_object_mut().expect("an object");
            obj.insert(
                "accepted_by".into(),
                serde_json::json!(packet.accepted_by()),
            );
            obj.insert("journal".into(), serde_json::json!(packet.journal()));
            assert_eq!(draft, accepted);
        }
    }
}
