//! Evidence: agents' findings with their provenance, and the facts they resolve to.
//!
//! Every finding is a leaf of the case's lineage ([`crate::lineage`]): the case keeps the Merkle
//! root incrementally, and per fact the counts and the decisive findings, not every finding. A
//! fact's value is the **most severe** value any finding gave it; when findings disagree the
//! fact is marked `disputed`. So adding findings can only make facts more severe, which is half
//! of the escalation ratchet (the case's lane floor is the other half).

use crate::digest::Digest;
use crate::ids::{AgentRole, FactKey};
use crate::workflow::{FactValue, Sensitivity};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The agent that submitted a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The agent's role; the workflow says which facts each role may submit.
    pub role: AgentRole,
    /// The agent instance (at most 256 bytes).
    #[schemars(length(max = 256))]
    pub id: String,
}

/// Where a finding's evidence lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Source system, e.g. `hsm-audit-log` (at most 256 bytes).
    #[schemars(length(max = 256))]
    pub system: String,
    /// Record locator inside that system (at most 256 bytes).
    #[schemars(length(max = 256))]
    pub record: String,
    /// Digest of the source record, as the agent computed it.
    pub digest: Digest,
}

impl Agent {
    /// The agent in RFC 8785 form: its members in canonical order, as the journal's events and
    /// the lineage entries write it.
    pub(crate) fn canonical(&self) -> CanonicalAgent<'_> {
        CanonicalAgent {
            id: &self.id,
            role: self.role.as_str(),
        }
    }
}

/// An [`Agent`] with its members in RFC 8785 order (`id`, `role`).
#[derive(Serialize)]
pub(crate) struct CanonicalAgent<'a> {
    id: &'a str,
    role: &'a str,
}

impl Source {
    /// The source in RFC 8785 form, as the journal's events and the lineage entries write it.
    pub(crate) fn canonical(&self) -> CanonicalSource<'_> {
        CanonicalSource {
            digest: self.digest.as_str(),
            record: &self.record,
            system: &self.system,
        }
    }
}

/// A [`Source`] with its members in RFC 8785 order (`digest`, `record`, `system`).
#[derive(Serialize)]
pub(crate) struct CanonicalSource<'a> {
    digest: &'a str,
    record: &'a str,
    system: &'a str,
}

/// A finding as an agent submits it (the `finding` of a finding command).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    /// The fact the finding is about.
    pub fact: FactKey,
    /// Its value, typed per the fact's declaration: a boolean, a count (an I-JSON integer,
    /// 0 to 2^53 − 1) or a string (an enum value or an RFC 3339 timestamp).
    #[schemars(schema_with = "crate::workflow::fact::fact_value_input")]
    pub value: serde_json::Value,
    /// Provenance.
    pub source: Source,
    /// A free-text note for reviewers (at most 4 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub note: Option<String>,
}

/// A finding accepted into the case: typed, attributed and timestamped. Packets carry these as
/// the evidence lineage.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Finding {
    /// The fact.
    pub fact: FactKey,
    /// Its typed value.
    pub value: FactValue,
    /// Who submitted it.
    pub agent: Agent,
    /// Provenance.
    pub source: Source,
    /// Reviewer note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was submitted (the command's `at`).
    pub at: DateTime<Utc>,
    /// The fact's sensitivity (copied from the workflow for lineage readers).
    pub sensitivity: Sensitivity,
}

/// A fact's resolved value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The most severe value any finding gave.
    pub value: FactValue,
    /// True when findings disagree.
    pub disputed: bool,
}
