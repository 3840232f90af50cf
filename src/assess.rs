//! Lane assessment: a pure function of (workflow, facts) — plus, inside a case, the human
//! context (ratchet floor, redirects, excluded options) — to an [`Assessment`].
//!
//! - `recommended_lane` is the highest-rank lane with a trigger that is **true** (the lowest lane
//!   when none is), never below the case's floor.
//! - Lanes below it are `blocked`, each with the true triggers that block it; lanes above are
//!   `viable`: a higher authority may still take ownership.
//! - `pending` lists every **unknown** trigger on a lane above the recommended one; the
//!   recommendation is `stable` when there is none, because a Kleene-unknown trigger is the only
//!   thing further evidence could turn true.

use crate::ids::{FactKey, LaneId, OptionId, RuleId};
use crate::workflow::{Boundary, Facts, Lane, Reversibility, Truth, Workflow};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The assessment of a case's facts (DESIGN §5; the JSON shape is a contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// The lane that should own the decision.
    pub recommended_lane: LaneId,
    /// Every lane, lowest rank first.
    pub lanes: Vec<LaneAssessment>,
    /// Applicable (or conditionally applicable) options.
    pub options: Vec<OptionAssessment>,
    /// Unknown triggers that could still raise the lane.
    pub pending: Vec<Pending>,
    /// True when `pending` is empty: no completion of the unknown facts changes the lane.
    pub stable: bool,
    /// True when every fact required before review is known.
    pub ready_for_review: bool,
    /// Required facts still unknown.
    pub missing_required: Vec<FactKey>,
}

/// A lane's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaneStatus {
    /// Below the recommended lane: a true trigger requires higher authority.
    Blocked,
    /// The lane that should own the decision.
    Recommended,
    /// Above the recommended lane: may take ownership, is not required to.
    Viable,
}

/// One lane in an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneAssessment {
    /// The lane.
    pub lane: LaneId,
    /// Its rank.
    pub rank: u32,
    /// Its standing.
    pub status: LaneStatus,
    /// For a blocked lane, the true triggers that block it; for the recommended lane, its own
    /// true triggers; empty for viable lanes.
    pub reasons: Vec<Reason>,
}

/// A true trigger, as a reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The trigger's rule id (`redirect` when a signed redirect set the lane).
    pub rule: RuleId,
    /// The lane the trigger requires.
    pub lane: LaneId,
    /// The facts the trigger reads.
    pub facts: Vec<FactKey>,
}

/// Whether an option lies inside the recommended lane's authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryStatus {
    /// The option's boundary lane ranks at or below the recommended lane.
    Inside,
    /// The option needs a higher authority than the recommended lane.
    Outside,
}

/// One option in an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionAssessment {
    /// The option.
    pub id: OptionId,
    /// Inside or outside the recommended lane's authority.
    pub boundary: BoundaryStatus,
    /// The lowest lane with authority to choose it.
    pub boundary_lane: LaneId,
    /// How far it can be undone.
    pub reversibility: Reversibility,
    /// True when its applicability depends on unknown facts.
    pub conditional: bool,
    /// Reversibility notes for a reviewer.
    pub notes: Vec<String>,
}

/// An unknown trigger above the recommended lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The trigger.
    pub rule: RuleId,
    /// The lane it would require.
    pub could_escalate_to: LaneId,
    /// Its facts that are still unknown.
    pub facts: Vec<FactKey>,
}

/// The human and historical context a case adds to the pure assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneContext {
    /// The lowest lane the case may recommend (the escalation ratchet, or a redirect), with
    /// the reasons recorded when it was set.
    pub floor: Option<Floor>,
    /// Triggers a signed `set_lane` redirect took into account: they no longer raise the lane.
    pub acknowledged: BTreeSet<RuleId>,
    /// Options a signed redirect excluded.
    pub excluded: BTreeSet<OptionId>,
}

/// A lane floor with the reasons that put it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Floor {
    /// The floor lane.
    pub lane: LaneId,
    /// Why lanes below it are blocked.
    pub reasons: Vec<Reason>,
}

/// The lane rank the case recommends: the highest rank with a true trigger, never below the
/// floor (rank 1 when nothing is true and there is no floor).
fn recommended_rank(truths: impl Iterator<Item = (u32, Truth)>, floor_rank: u32) -> u32 {
    truths
        .filter(|(_, t)| *t == Truth::True)
        .map(|(rank, _)| rank)
        .max()
        .unwrap_or(1)
        .max(floor_rank)
}

fn floor_rank(workflow: &Workflow, ctx: &LaneContext) -> u32 {
    ctx.floor
        .as_ref()
        .and_then(|f| workflow.lane(&f.lane))
        .map_or(1, |l| l.rank)
}

fn truth_in(ctx: &LaneContext, trigger: &crate::workflow::Trigger, facts: &impl Facts) -> Truth {
    if ctx.acknowledged.contains(&trigger.id) {
        Truth::False
    } else {
        trigger.rule.eval(facts)
    }
}

/// The recommended lane and its true triggers, without building a full [`Assessment`]: the
/// cheap path the case takes on every finding.
pub fn recommend<'w>(
    workflow: &'w Workflow,
    facts: &impl Facts,
    ctx: &LaneContext,
) -> (&'w Lane, Vec<&'w RuleId>) {
    let lanes = workflow.lanes();
    let rank = recommended_rank(
        lanes.iter().flat_map(|l| {
            l.triggers
                .iter()
                .map(move |t| (l.rank, truth_in(ctx, t, facts)))
        }),
        floor_rank(workflow, ctx),
    );
    let lane = lanes.iter().find(|l| l.rank == rank).unwrap_or(&lanes[0]);
    let true_rules = lane
        .triggers
        .iter()
        .filter(|t| truth_in(ctx, t, facts) == Truth::True)
        .map(|t| &t.id)
        .collect();
    (lane, true_rules)
}

/// One trigger evaluated against the facts.
struct Evaluated {
    rule: RuleId,
    truth: Truth,
    facts: Vec<FactKey>,
}

/// Evaluates every trigger of every lane once, lanes in workflow order.
fn evaluate<'w>(
    lanes: &'w [Lane],
    facts: &impl Facts,
    ctx: &LaneContext,
) -> Vec<(&'w Lane, Vec<Evaluated>)> {
    lanes
        .iter()
        .map(|lane| {
            let triggers = lane
                .triggers
                .iter()
                .map(|t| Evaluated {
                    rule: t.id.clone(),
                    truth: truth_in(ctx, t, facts),
                    facts: t.rule.facts().into_iter().cloned().collect(),
                })
                .collect();
            (lane, triggers)
        })
        .collect()
}

/// The workflow's options that apply (or may apply) to the facts and are not excluded, each
/// inside or outside the authority of the lane of rank `recommended_rank`.
fn assess_options(
    workflow: &Workflow,
    facts: &impl Facts,
    ctx: &LaneContext,
    recommended_rank: u32,
) -> Vec<OptionAssessment> {
    let rank_of: BTreeMap<&LaneId, u32> =
        workflow.lanes().iter().map(|l| (&l.id, l.rank)).collect();
    workflow
        .options()
        .iter()
        .filter(|o| !ctx.excluded.contains(&o.id))
        .filter_map(|o| {
            let applicable = o
                .applicable_when
                .as_ref()
                .map_or(Truth::True, |r| r.eval(facts));
            if applicable == Truth::False {
                return None;
            }
            let boundary_lane = match &o.boundary {
                Boundary::Lane(l) => l.clone(),
                Boundary::Conditional { rule, then, else_ } => {
                    if rule.eval(facts) == Truth::True {
                        then.clone()
                    } else {
                        else_.clone()
                    }
                }
            };
            let inside =
                rank_of.get(&boundary_lane).copied().unwrap_or(u32::MAX) <= recommended_rank;
            Some(OptionAssessment {
                id: o.id.clone(),
                boundary: if inside {
                    BoundaryStatus::Inside
                } else {
                    BoundaryStatus::Outside
                },
                boundary_lane,
                reversibility: o.reversibility,
                conditional: applicable == Truth::Unknown,
                notes: o.notes.clone(),
            })
        })
        .collect()
}

/// Assesses facts under a workflow with no case context.
pub fn assess(workflow: &Workflow, facts: &impl Facts) -> Assessment {
    assess_in(workflow, facts, &LaneContext::default())
}

/// Assesses facts under a workflow and a case's lane context.
pub fn assess_in(workflow: &Workflow, facts: &impl Facts, ctx: &LaneContext) -> Assessment {
    let lanes = workflow.lanes();
    // Evaluate every trigger once.
    let evaluated = evaluate(lanes, facts, ctx);

    let floor_rank = floor_rank(workflow, ctx);
    let recommended_rank = recommended_rank(
        evaluated
            .iter()
            .flat_map(|(l, ts)| ts.iter().map(|e| (l.rank, e.truth))),
        floor_rank,
    );

    let true_reasons = |lane: &Lane, triggers: &[Evaluated]| {
        triggers
            .iter()
            .filter(|e| e.truth == Truth::True)
            .map(|e| Reason {
                rule: e.rule.clone(),
                lane: lane.id.clone(),
                facts: e.facts.clone(),
            })
            .collect::<Vec<_>>()
    };

    let mut out_lanes = Vec::with_capacity(lanes.len());
    let mut pending = Vec::new();
    for (lane, triggers) in &evaluated {
        let (status, reasons) = if lane.rank < recommended_rank {
            let mut reasons: BTreeSet<Reason> = evaluated
                .iter()
                .filter(|(higher, _)| higher.rank > lane.rank)
                .flat_map(|(higher, ts)| true_reasons(higher, ts))
                .collect();
            if floor_rank > lane.rank
                && let Some(floor) = &ctx.floor
            {
                reasons.extend(floor.reasons.iter().cloned());
            }
            (LaneStatus::Blocked, reasons.into_iter().collect())
        } else if lane.rank == recommended_rank {
            (LaneStatus::Recommended, true_reasons(lane, triggers))
        } else {
            for e in triggers.iter().filter(|e| e.truth == Truth::Unknown) {
                pending.push(Pending {
                    rule: e.rule.clone(),
                    could_escalate_to: lane.id.clone(),
                    facts: e
                        .facts
                        .iter()
                        .filter(|f| facts.get(f).is_none())
                        .cloned()
                        .collect(),
                });
            }
            (LaneStatus::Viable, Vec::new())
        };
        out_lanes.push(LaneAssessment {
            lane: lane.id.clone(),
            rank: lane.rank,
            status,
            reasons,
        });
    }
    let recommended_lane = lanes
        .iter()
        .find(|l| l.rank == recommended_rank)
        .map(|l| l.id.clone())
        .unwrap_or_else(|| lanes[0].id.clone());

    let options = assess_options(workflow, facts, ctx, recommended_rank);

    let missing_required: Vec<FactKey> = workflow
        .required_before_review()
        .iter()
        .filter(|f| facts.get(f).is_none())
        .cloned()
        .collect();
    Assessment {
        recommended_lane,
        lanes: out_lanes,
        options,
        stable: pending.is_empty(),
        pending,
        ready_for_review: missing_required.is_empty(),
        missing_required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::FactValue;
    use serde_json::json;

    fn workflow() -> Workflow {
        Workflow::from_json(include_bytes!("../workflows/signing-key-compromise.json")).unwrap()
    }

    fn facts(w: &Workflow, j: serde_json::Value) -> BTreeMap<FactKey, FactValue> {
        let raw: BTreeMap<FactKey, serde_json::Value> = serde_json::from_value(j).unwrap();
        w.parse_facts(&raw).unwrap()
    }

    /// Facts that trigger nothing and leave nothing pending.
    fn quiet() -> serde_json::Value {
        json!({
            "custody.exposure": "not_indicated",
            "custody.rogue_signatures_observed": 0,
            "lineage.desktop_agent_artifacts_in_window": 0,
            "lineage.internal_packages_in_window": 0,
            "lineage.third_party_redistribution": false,
            "release.freeze_within_policy": true,
            "impact.customers_affected": 0,
            "impact.contractual_disclosure_required": false,
            "impact.broad_invalidation_required": false,
            "authority.platform_delegation": "active"
        })
    }

    #[test]
    fn quiet_facts_stay_with_platform_security_and_are_stable() {
        let w = workflow();
        let a = assess(&w, &facts(&w, quiet()));
        assert_eq!(a.recommended_lane.as_str(), "platform-security-command");
        assert!(a.stable && a.pending.is_empty());
        assert!(a.ready_for_review);
        let statuses: Vec<_> = a.lanes.iter().map(|l| l.status).collect();
        assert_eq!(
            statuses,
            [
                LaneStatus::Recommended,
                LaneStatus::Viable,
                LaneStatus::Viable
            ]
        );
        let ids: Vec<_> = a.options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["contain-and-monitor", "targeted-release-freeze"]);
        assert!(
            a.options
                .iter()
                .all(|o| o.boundary == BoundaryStatus::Inside)
        );
    }

    /// Each trigger alone decides the lane, and is the reason the lower lanes are blocked.
    #[test]
    fn each_trigger_alone_decides_the_lane() {
        let w = workflow();
        let cases = [
            (
                "E1",
                "lineage.desktop_agent_artifacts_in_window",
                json!(4),
                "executive-cyber-command",
            ),
            (
                "E2",
                "impact.customers_affected",
                json!(120),
                "executive-cyber-command",
            ),
            (
                "E3",
                "custody.exposure",
                json!("confirmed"),
                "executive-cyber-command",
            ),
            (
                "E4",
                "custody.rogue_signatures_observed",
                json!(1),
                "executive-cyber-command",
            ),
            (
                "E5",
                "authority.platform_delegation",
                json!("suspended"),
                "executive-cyber-command",
            ),
            (
                "L1",
                "impact.contractual_disclosure_required",
                json!(true),
                "legal-trust-office",
            ),
            (
                "L2",
                "impact.broad_invalidation_required",
                json!(true),
                "legal-trust-office",
            ),
            (
                "L3",
                "lineage.third_party_redistribution",
                json!(true),
                "legal-trust-office",
            ),
        ];
        for (rule, fact, value, lane) in cases {
            let mut f = quiet();
            f[fact] = value;
            let a = assess(&w, &facts(&w, f));
            assert_eq!(a.recommended_lane.as_str(), lane, "{rule}");
            let blocked: Vec<_> = a
                .lanes
                .iter()
                .filter(|l| l.status == LaneStatus::Blocked)
                .collect();
            assert!(!blocked.is_empty(), "{rule}");
            for b in blocked {
                assert_eq!(
                    b.reasons,
                    vec![Reason {
                        rule: rule.into(),
                        lane: lane.into(),
                        facts: vec![fact.into()]
                    }],
                    "{rule} blocks {}",
                    b.lane
                );
            }
            assert!(a.stable, "{rule}: nothing unknown");
        }
    }

    #[test]
    fn unknown_triggers_above_are_pending() {
        let w = workflow();
        let a = assess(
            &w,
            &facts(&w, json!({"lineage.desktop_agent_artifacts_in_window": 2})),
        );
        assert_eq!(a.recommended_lane.as_str(), "executive-cyber-command");
        let rules: Vec<_> = a.pending.iter().map(|p| p.rule.as_str()).collect();
        assert_eq!(rules, ["L1", "L2", "L3"]);
        assert!(!a.stable);
        assert!(!a.ready_for_review);
        assert_eq!(
            a.missing_required,
            vec![
                FactKey::from("custody.exposure"),
                "authority.platform_delegation".into()
            ]
        );
        // contractual-disclosure is conditional while L1's fact is unknown; it is outside.
        let cd = a
            .options
            .iter()
            .find(|o| o.id.as_str() == "contractual-disclosure")
            .unwrap();
        assert!(cd.conditional);
        assert_eq!(cd.boundary, BoundaryStatus::Outside);
        // targeted-release-freeze: policy unknown counts as else → executive lane, inside.
        let tf = a
            .options
            .iter()
            .find(|o| o.id.as_str() == "targeted-release-freeze")
            .unwrap();
        assert_eq!(tf.boundary_lane.as_str(), "executive-cyber-command");
        assert_eq!(tf.boundary, BoundaryStatus::Inside);
    }

    #[test]
    fn floor_and_acknowledged_triggers_shape_the_case_lane() {
        let w = workflow();
        let f = facts(&w, json!({"custody.exposure": "confirmed"}));
        let floor = LaneContext {
            floor: Some(Floor {
                lane: "legal-trust-office".into(),
                reasons: vec![Reason {
                    rule: "L1".into(),
                    lane: "legal-trust-office".into(),
                    facts: vec!["impact.contractual_disclosure_required".into()],
                }],
            }),
            ..Default::default()
        };
        let a = assess_in(&w, &f, &floor);
        assert_eq!(a.recommended_lane.as_str(), "legal-trust-office");
        assert!(
            a.lanes[..2]
                .iter()
                .all(|l| l.status == LaneStatus::Blocked && !l.reasons.is_empty())
        );
        let ack = LaneContext {
            acknowledged: ["E3".into()].into(),
            excluded: ["contain-and-monitor".into()].into(),
            ..Default::default()
        };
        let a = assess_in(&w, &f, &ack);
        assert_eq!(a.recommended_lane.as_str(), "platform-security-command");
        assert!(
            a.options
                .iter()
                .all(|o| o.id.as_str() != "contain-and-monitor")
        );
    }
}
