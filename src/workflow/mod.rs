//! The workflow definition: the policy, not the people.
//!
//! A workflow declares the facts agents may submit, the authority lanes and the triggers that
//! make each one required, the decision options with their boundary lanes and reversibility,
//! the human review policy and the channels packets may be shared on. It is written as JSON
//! ([`WorkflowSpec`], schema `schemas/workflow.schema.json`) and loaded into a validated
//! [`Workflow`] whose rules are compiled against the fact declarations, so that nothing past
//! loading can meet an undeclared fact or a wrongly typed literal.

use crate::error_code::ErrorCode;
pub mod fact;
pub mod rule;

use crate::digest::Digest;
use crate::ids::{ChannelId, FactKey, LaneId, OptionId, RoleId, RuleId};
pub use fact::{FactDef, FactType, FactValue, MAX_COUNT, Sensitivity, TimeSeverity, ValueMismatch};
pub use rule::{Facts, Op, Rule, RuleSpec, Truth};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The workflow as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSpec {
    /// Workflow id, e.g. `signing-key-compromise`.
    pub id: String,
    /// A title for people.
    pub title: String,
    /// What situation the workflow governs.
    #[serde(default)]
    pub description: String,
    /// The facts agents may submit.
    pub facts: Vec<FactDef>,
    /// The authority lanes, ranks exactly 1..n (1 is the lowest authority).
    pub lanes: Vec<LaneDef>,
    /// The decision options a packet may present.
    pub options: Vec<OptionDef>,
    /// How humans review and accept a draft.
    pub review: ReviewPolicy,
    /// Channels a packet may be shared on.
    pub channels: Vec<ChannelDef>,
    /// Facts that must be known before a draft can be reviewed.
    pub required_before_review: Vec<FactKey>,
}

/// An authority lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaneDef {
    /// Lane id, e.g. `executive-cyber-command`.
    pub id: LaneId,
    /// Rank: 1 is the lowest authority.
    pub rank: u32,
    /// A title for people.
    pub title: String,
    /// The trust role whose holders own this lane.
    pub holder_role: RoleId,
    /// Named triggers; the lane is required when any one is true.
    #[serde(default)]
    pub required_when: Vec<TriggerDef>,
}

/// A named trigger rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerDef {
    /// Rule id, e.g. `E1`; appears in assessments.
    pub id: RuleId,
    /// What the trigger means, for a reviewer.
    #[serde(default)]
    pub description: String,
    /// The condition.
    pub when: RuleSpec,
}

/// How far a decision option can be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reversibility {
    /// Can be fully undone.
    Reversible,
    /// Can be undone in part; the notes say which part cannot.
    PartiallyReversible,
    /// Cannot be undone.
    Irreversible,
}

impl Reversibility {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Reversibility::Reversible => "reversible",
            Reversibility::PartiallyReversible => "partially_reversible",
            Reversibility::Irreversible => "irreversible",
        }
    }
}

/// The lane whose authority an option needs: fixed, or chosen by a rule (unknown counts as
/// `else`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BoundarySpec {
    /// Always this lane.
    Lane(LaneId),
    /// `then` when the rule is true, else (false or unknown) `else`.
    Conditional {
        /// The condition.
        #[serde(rename = "if")]
        if_: RuleSpec,
        /// The lane when the condition is true.
        then: LaneId,
        /// The lane when the condition is false or unknown.
        #[serde(rename = "else")]
        else_: LaneId,
    },
}

/// A decision option the packet may present. The crate never carries an option out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    /// Option id, e.g. `broad-package-invalidation`.
    pub id: OptionId,
    /// A title for people.
    pub title: String,
    /// When the option is applicable; absent means always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicable_when: Option<RuleSpec>,
    /// The lowest lane with authority to choose it.
    pub boundary_lane: BoundarySpec,
    /// How far it can be undone.
    pub reversibility: Reversibility,
    /// Reversibility notes for a reviewer: what cannot be undone, for whom, from when.
    pub notes: Vec<String>,
}

/// What a channel view may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelScope {
    /// The whole packet, findings redacted per `carries`.
    Full,
    /// Only what is needed to pick the decision owner.
    AuthoritySelection,
}

/// A review channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelDef {
    /// Channel id, e.g. `executive-brief`.
    pub id: ChannelId,
    /// Sensitivities whose findings' values, records and notes the channel may carry.
    pub carries: Vec<Sensitivity>,
    /// How much of the packet the channel sees.
    pub scope: ChannelScope,
}

/// A workflow that failed to load; `path` locates the element (e.g.
/// `lanes[1].required_when[0].when.fact`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid workflow at `{path}`: {message}")]
pub struct WorkflowError {
    /// JSON path of the offending element (empty for the document itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl WorkflowError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidWorkflow
    }
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        WorkflowError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A lane, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Lane id.
    pub id: LaneId,
    /// Rank (1 = lowest authority).
    pub rank: u32,
    /// Title.
    pub title: String,
    /// The role whose holders own the lane.
    pub holder_role: RoleId,
    /// Compiled triggers.
    pub triggers: Vec<Trigger>,
}

/// A compiled trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// Rule id.
    pub id: RuleId,
    /// Description.
    pub description: String,
    /// The compiled rule.
    pub rule: Rule,
}

/// A compiled boundary lane.
#[derive(Debug, Clone, PartialEq)]
pub enum Boundary {
    /// Always this lane.
    Lane(LaneId),
    /// `then` when true, `else_` when false or unknown.
    Conditional {
        /// The condition.
        rule: Rule,
        /// Lane when true.
        then: LaneId,
        /// Lane otherwise.
        else_: LaneId,
    },
}

/// A compiled option.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionOption {
    /// Option id.
    pub id: OptionId,
    /// Title.
    pub title: String,
    /// Applicability; `None` = always.
    pub applicable_when: Option<Rule>,
    /// Boundary lane.
    pub boundary: Boundary,
    /// Reversibility.
    pub reversibility: Reversibility,
    /// Reversibility notes.
    pub notes: Vec<String>,
}

/// A loaded, validated workflow with compiled rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    spec: WorkflowSpec,
    digest: Digest,
    facts: BTreeMap<FactKey, FactDef>,
    lanes: Vec<Lane>,
    options: Vec<DecisionOption>,
}

/// The shipped `signing-key-compromise` workflow (`workflows/signing-key-compromise.json`),
/// compiled into the crate.
pub const SHIPPED_JSON: &str = include_str!("../../workflows/signing-key-compromise.json");

/// The id of the channel used when none is named, if a workflow declares it
/// ([`Workflow::default_channel`]).
pub const DEFAULT_CHANNEL: &str = "security-trust-review";

/// The shipped workflow, parsed once and shared: the policy the demo, the tests and the
/// examples run under, and a starting point for an integrator's own.
pub fn shipped() -> std::sync::Arc<Workflow> {
    static SHIPPED: std::sync::OnceLock<std::sync::Arc<Workflow>> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            std::sync::Arc::new(
                Workflow::from_json(SHIPPED_JSON.as_bytes()).unwrap_or_else(|e| {
                    panic!("the shipped workflow is valid (a test checks it): {e}")
                }),
            )
        })
        .clone()
}

impl Workflow {
    /// Parses and validates a workflow document.
    pub fn from_json(bytes: &[u8]) -> Result<Workflow, WorkflowError> {
        // A repeated key is refused, never resolved to its last value (DESIGN §12.9).
        crate::digest::strict_json(bytes).map_err(|e| WorkflowError::at("", e.to_string()))?;
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let spec: WorkflowSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            WorkflowError::at(path, e.into_inner().to_string())
        })?;
        Workflow::from_spec(spec)
    }

    /// Validates a workflow and compiles its rules.
    pub fn from_spec(spec: WorkflowSpec) -> Result<Workflow, WorkflowError> {
        let facts = validate_facts(&spec.facts)?;
        let lanes = compile_lanes(&spec.lanes, &facts)?;
        let lane_ids: BTreeSet<&LaneId> = lanes.iter().map(|l| &l.id).collect();
        let options = compile_options(&spec.options, &facts, &lane_ids)?;
        validate_review(&spec.review)?;
        unique(
            spec.channels.iter().map(|c| c.id.as_str()),
            "channels",
            ".id",
            "channel",
        )?;
        for (i, key) in spec.required_before_review.iter().enumerate() {
            if !facts.contains_key(key) {
                return Err(WorkflowError::at(
                    format!("required_before_review[{i}]"),
                    format!("undeclared fact `{key}`"),
                ));
            }
        }
        let digest = Digest::of_canonical(&spec)
            .map_err(|e| WorkflowError::at("", format!("cannot digest workflow: {e}")))?;
        Ok(Workflow {
            spec,
            digest,
            facts,
            lanes,
            options,
        })
    }

    /// The workflow as written.
    pub fn spec(&self) -> &WorkflowSpec {
        &self.spec
    }
    /// Workflow id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }
    /// SHA-256 of the workflow's canonical JSON.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }
    /// A fact's declaration.
    pub fn fact(&self, key: &FactKey) -> Option<&FactDef> {
        self.facts.get(key)
    }
    /// All fact declarations, by key.
    pub fn facts(&self) -> &BTreeMap<FactKey, FactDef> {
        &self.facts
    }
    /// Lanes, lowest rank first.
    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }
    /// A lane by id.
    pub fn lane(&self, id: &LaneId) -> Option<&Lane> {
        self.lanes.iter().find(|l| &l.id == id)
    }
    /// Options, in workflow order.
    pub fn options(&self) -> &[DecisionOption] {
        &self.options
    }
    /// The review policy.
    pub fn review(&self) -> &ReviewPolicy {
        &self.spec.review
    }
    /// A channel by id.
    pub fn channel(&self, id: &ChannelId) -> Option<&ChannelDef> {
        self.spec.channels.iter().find(|c| &c.id == id)
    }
    /// The channel a packet or lineage stream uses when none is named: the channel called
    /// [`DEFAULT_CHANNEL`] if the workflow declares one (the shipped workflow's, which carries
    /// everything), else the workflow's first channel.
    pub fn default_channel(&self) -> Option<&ChannelDef> {
        self.channel(&ChannelId::from(DEFAULT_CHANNEL))
            .or_else(|| self.spec.channels.first())
    }
    /// Facts required before review.
    pub fn required_before_review(&self) -> &[FactKey] {
        &self.spec.required_before_review
    }

    /// Types a JSON fact map (`{"fact": value, ...}`) against the declarations. Undeclared facts
    /// and wrongly typed values are errors, never ignored.
    pub fn parse_facts(
        &self,
        raw: &BTreeMap<FactKey, serde_json::Value>,
    ) -> Result<BTreeMap<FactKey, FactValue>, FactError> {
        raw.iter()
            .map(|(key, v)| Ok((key.clone(), self.parse_fact(key, v)?)))
            .collect()
    }

    /// Types one JSON value against a fact's declaration.
    pub fn parse_fact(&self, key: &FactKey, v: &serde_json::Value) -> Result<FactValue, FactError> {
        let def = self
            .fact(key)
            .ok_or_else(|| FactError::UnknownFact { fact: key.clone() })?;
        def.parse_value(v)
            .map_err(|mismatch| FactError::InvalidValue {
                fact: key.clone(),
                mismatch,
            })
    }
}

/// A fact that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FactError {
    /// The workflow declares no such fact.
    #[error("unknown fact `{fact}`: the workflow declares no such fact")]
    UnknownFact {
        /// The fact named.
        fact: FactKey,
    },
    /// The value does not have the fact's type or is outside its domain.
    #[error("invalid value for `{fact}`: {mismatch}")]
    InvalidValue {
        /// The fact.
        fact: FactKey,
        /// What was expected and what was given.
        mismatch: ValueMismatch,
    },
}

impl FactError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            FactError::UnknownFact { .. } => ErrorCode::UnknownFact,
            FactError::InvalidValue { .. } => ErrorCode::InvalidValue,
        }
    }
}

fn unique<'a>(
    ids: impl Iterator<Item = &'a str>,
    list: &str,
    field: &str,
    what: &str,
) -> Result<(), WorkflowError> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(WorkflowError::at(
                format!("{list}[{i}]{field}"),
                format!("duplicate {what} id `{id}`"),
            ));
        }
    }
    Ok(())
}

fn validate_facts(defs: &[FactDef]) -> Result<BTreeMap<FactKey, FactDef>, WorkflowError> {
    unique(defs.iter().map(|f| f.key.as_str()), "facts", ".key", "fact")?;
    for (i, f) in defs.iter().enumerate() {
        let at = |field: &str| format!("facts[{i}].{field}");
        if f.key.as_str().is_empty() {
            return Err(WorkflowError::at(at("key"), "empty fact key"));
        }
        if f.submitted_by.as_str().trim().is_empty() {
            return Err(WorkflowError::at(
                at("submitted_by"),
                format!("fact `{}` has no submitting agent role", f.key),
            ));
        }
        match f.ty {
            FactType::Enum if f.values.is_empty() => {
                return Err(WorkflowError::at(
                    at("values"),
                    format!("enum fact `{}` lists no values", f.key),
                ));
            }
            FactType::Enum => {
                let mut seen = BTreeSet::new();
                if let Some(j) = f.values.iter().position(|v| !seen.insert(v)) {
                    return Err(WorkflowError::at(
                        format!("facts[{i}].values[{j}]"),
                        format!("duplicate enum value `{}`", f.values[j]),
                    ));
                }
            }
            _ if !f.values.is_empty() => {
                return Err(WorkflowError::at(
                    at("values"),
                    format!("`values` is only for enum facts; `{}` is {}", f.key, f.ty),
                ));
            }
            _ => {}
        }
        if f.time_severity.is_some() && f.ty != FactType::Timestamp {
            return Err(WorkflowError::at(
                at("time_severity"),
                format!(
                    "`time_severity` is only for timestamp facts; `{}` is {}",
                    f.key, f.ty
                ),
            ));
        }
    }
    Ok(defs.iter().map(|f| (f.key.clone(), f.clone())).collect())
}

fn compile_rule(
    spec: &RuleSpec,
    facts: &BTreeMap<FactKey, FactDef>,
    path: &str,
) -> Result<Rule, WorkflowError> {
    spec.compile(facts)
        .map_err(|e| WorkflowError::at(format!("{path}{}", e.path), e.message))
}

fn compile_lanes(
    defs: &[LaneDef],
    facts: &BTreeMap<FactKey, FactDef>,
) -> Result<Vec<Lane>, WorkflowError> {
    if defs.is_empty() {
        return Err(WorkflowError::at(
            "lanes",
            "a workflow needs at least one lane",
        ));
    }
    unique(defs.iter().map(|l| l.id.as_str()), "lanes", ".id", "lane")?;
    let mut ranks = BTreeSet::new();
    for (i, l) in defs.iter().enumerate() {
        if l.rank == 0 || l.rank as usize > defs.len() || !ranks.insert(l.rank) {
            return Err(WorkflowError::at(
                format!("lanes[{i}].rank"),
                format!(
                    "lane ranks must be exactly 1..{} with no repeats; `{}` has rank {}",
                    defs.len(),
                    l.id,
                    l.rank
                ),
            ));
        }
        if l.holder_role.as_str().trim().is_empty() {
            return Err(WorkflowError::at(
                format!("lanes[{i}].holder_role"),
                format!("lane `{}` has no holder role", l.id),
            ));
        }
    }
    let mut rule_ids = BTreeSet::new();
    let mut lanes = Vec::with_capacity(defs.len());
    for (i, l) in defs.iter().enumerate() {
        let mut triggers = Vec::with_capacity(l.required_when.len());
        for (j, t) in l.required_when.iter().enumerate() {
            let path = format!("lanes[{i}].required_when[{j}]");
            if !rule_ids.insert(t.id.as_str()) {
                return Err(WorkflowError::at(
                    format!("{path}.id"),
                    format!("duplicate rule id `{}`", t.id),
                ));
            }
            triggers.push(Trigger {
                id: t.id.clone(),
                description: t.description.clone(),
                rule: compile_rule(&t.when, facts, &format!("{path}.when"))?,
            });
        }
        lanes.push(Lane {
            id: l.id.clone(),
            rank: l.rank,
            title: l.title.clone(),
            holder_role: l.holder_role.clone(),
            triggers,
        });
    }
    lanes.sort_by_key(|l| l.rank);
    Ok(lanes)
}

fn compile_options(
    defs: &[OptionDef],
    facts: &BTreeMap<FactKey, FactDef>,
    lanes: &BTreeSet<&LaneId>,
) -> Result<Vec<DecisionOption>, WorkflowError> {
    unique(
        defs.iter().map(|o| o.id.as_str()),
        "options",
        ".id",
        "option",
    )?;
    let known_lane = |lane: &LaneId, path: String| {
        if lanes.contains(lane) {
            Ok(())
        } else {
            Err(WorkflowError::at(path, format!("unknown lane `{lane}`")))
        }
    };
    defs.iter()
        .enumerate()
        .map(|(i, o)| {
            let path = format!("options[{i}]");
            let applicable_when = o
                .applicable_when
                .as_ref()
                .map(|r| compile_rule(r, facts, &format!("{path}.applicable_when")))
                .transpose()?;
            let boundary = match &o.boundary_lane {
                BoundarySpec::Lane(lane) => {
                    known_lane(lane, format!("{path}.boundary_lane"))?;
                    Boundary::Lane(lane.clone())
                }
                BoundarySpec::Conditional { if_, then, else_ } => {
                    known_lane(then, format!("{path}.boundary_lane.then"))?;
                    known_lane(else_, format!("{path}.boundary_lane.else"))?;
                    Boundary::Conditional {
                        rule: compile_rule(if_, facts, &format!("{path}.boundary_lane.if"))?,
                        then: then.clone(),
                        else_: else_.clone(),
                    }
                }
            };
            Ok(DecisionOption {
                id: o.id.clone(),
                title: o.title.clone(),
                applicable_when,
                boundary,
                reversibility: o.reversibility,
                notes: o.notes.clone(),
            })
        })
        .collect()
}

/// The input of `authority-lane evaluate`: `{"facts": {"<fact>": <value>, ...}}`; an absent fact
/// is unknown.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactsInput {
    /// Known facts by key; values typed per the workflow's declarations (`schema --workflow`
    /// emits a schema naming each fact and its type).
    #[schemars(schema_with = "crate::workflow::fact::fact_values_input")]
    pub facts: BTreeMap<FactKey, serde_json::Value>,
}

mod review;
use review::validate_review;
pub use review::{
    CarryOver, MAX_CLOCK_SKEW_SECS, MAX_DELEGATION_SECS, MAX_TOKEN_LIFETIME_SECS, ReviewPolicy,
};

#[cfg(test)]
mod tests;
