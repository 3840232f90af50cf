//! Evidence: agents' findings with their provenance, and the facts they resolve to.
//!
//! Every finding is kept, in order, as lineage. A fact's value is the **most severe** value any
//! finding gave it; when findings disagree the fact is marked `disputed`. So adding findings can
//! only make facts more severe, which is half of the escalation ratchet (the case's lane floor
//! is the other half).

use crate::digest::Digest;
use crate::ids::{AgentRole, FactKey};
use crate::workflow::{FactDef, FactValue, Facts, Sensitivity};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

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

/// A finding as an agent submits it (the `finding` of a finding command).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    /// The fact the finding is about.
    pub fact: FactKey,
    /// Its value, typed per the fact's declaration: a boolean, a count (an I-JSON integer,
    /// 0 to 2^53 − 1) or a string (an enum value or an RFC 3339 timestamp).
    #[schemars(schema_with = "crate::schema::fact_value_input")]
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

/// All findings of a case and the facts they resolve to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    findings: Vec<Finding>,
    resolved: BTreeMap<FactKey, Resolved>,
}

impl Evidence {
    /// Adds a finding (its value already typed against `def`).
    pub fn record(&mut self, def: &FactDef, finding: Finding) {
        match self.resolved.get_mut(&finding.fact) {
            None => {
                self.resolved.insert(
                    finding.fact.clone(),
                    Resolved {
                        value: finding.value.clone(),
                        disputed: false,
                    },
                );
            }
            Some(r) => {
                if r.value != finding.value {
                    r.disputed = true;
                }
                if def.severity_cmp(&finding.value, &r.value) == Ordering::Greater {
                    r.value = finding.value.clone();
                }
            }
        }
        self.findings.push(finding);
    }

    /// Every finding, in submission order.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Resolved facts.
    pub fn resolved(&self) -> &BTreeMap<FactKey, Resolved> {
        &self.resolved
    }
}

impl Facts for Evidence {
    fn get(&self, key: &FactKey) -> Option<&FactValue> {
        self.resolved.get(key).map(|r| &r.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::Workflow;
    use serde_json::json;

    fn finding(w: &Workflow, fact: &str, v: serde_json::Value) -> (FactDef, Finding) {
        let def = w.fact(&fact.into()).unwrap().clone();
        let f = Finding {
            fact: fact.into(),
            value: def.parse_value(&v).unwrap(),
            agent: Agent {
                role: def.submitted_by.clone(),
                id: "a1".into(),
            },
            source: Source {
                system: "hsm-audit-log".into(),
                record: "r1".into(),
                digest: Digest::of_bytes(b"r1"),
            },
            note: None,
            at: "2026-11-28T10:00:00Z".parse().unwrap(),
            sensitivity: def.sensitivity,
        };
        (def, f)
    }

    #[test]
    fn conflicting_findings_resolve_to_the_most_severe_and_are_disputed() {
        let w = Workflow::from_json(include_bytes!("../workflows/signing-key-compromise.json"))
            .unwrap();
        let mut e = Evidence::default();
        let (d, f) = finding(&w, "custody.exposure", json!("confirmed"));
        e.record(&d, f);
        let (d, f) = finding(&w, "custody.exposure", json!("suspected"));
        e.record(&d, f);
        let r = &e.resolved()[&FactKey::from("custody.exposure")];
        assert_eq!(r.value.to_string(), "confirmed");
        assert!(r.disputed);
        assert_eq!(e.findings().len(), 2, "every finding is kept");
        let (d, f) = finding(&w, "impact.customers_affected", json!(5));
        e.record(&d.clone(), f.clone());
        e.record(&d, f);
        assert!(!e.resolved()[&FactKey::from("impact.customers_affected")].disputed);
    }
}
