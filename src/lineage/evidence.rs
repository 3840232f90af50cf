//! The evidence of a case: the findings it accepted, resolved into facts (the most severe
//! value any finding gave each), with the lineage's Merkle root and, per fact, the counts and
//! decisive findings — O(facts) memory, whatever the number of findings.

use super::merkle::{self, CompactRange};
use super::{FactTrail, Lineage, LineageEntry, digest_of};
use crate::evidence::{Finding, Resolved};
use crate::ids::FactKey;
use crate::workflow::{FactDef, FactValue, Facts, Workflow};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A case's findings: the facts they resolve to, the lineage's Merkle root and, per fact, the
/// counts and decisive findings (O(facts) memory, whatever the number of findings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    resolved: BTreeMap<FactKey, Resolved>,
    tree: CompactRange,
    trails: BTreeMap<FactKey, FactTrail>,
    last: Option<LineageEntry>,
    /// What the last finding added (see [`Evidence::last_nodes`], [`Evidence::last_canonical`]).
    scratch: LastPush,
}

/// What the last push computed — the Merkle nodes it added (for the lineage index) and the
/// entry's RFC 8785 bytes (for `authority-lane lineage`) — kept so that readers need not compute
/// them again. Scratch, not part of the evidence: two evidences with the same findings are equal
/// whatever it holds, and a snapshot does not keep it.
#[derive(Debug, Clone, Default)]
struct LastPush {
    nodes: Vec<crate::lineage::merkle::Hash>,
    canonical: Vec<u8>,
}

impl PartialEq for LastPush {
    fn eq(&self, _: &LastPush) -> bool {
        true
    }
}

impl Evidence {
    /// The Merkle nodes the last finding added: its leaf hash, then each subtree root it
    /// completed, smallest first (empty before the first finding, and after a snapshot loads).
    pub fn last_nodes(&self) -> &[crate::lineage::merkle::Hash] {
        &self.scratch.nodes
    }

    /// The RFC 8785 bytes of [`Evidence::last`], the preimage of its leaf hash (empty before the
    /// first finding, and after a snapshot loads, until the next finding).
    pub fn last_canonical(&self) -> &[u8] {
        &self.scratch.canonical
    }

    /// Adds a finding (its value already typed against `def`) as the next lineage entry.
    pub fn record(&mut self, def: &FactDef, finding: Finding) {
        let before = self.resolved.get(&finding.fact).map(|r| r.value.clone());
        let after = match self.resolved.get_mut(&finding.fact) {
            None => {
                let r = Resolved {
                    value: finding.value.clone(),
                    disputed: false,
                };
                self.resolved.insert(finding.fact.clone(), r);
                finding.value.clone()
            }
            Some(r) => {
                if r.value != finding.value {
                    r.disputed = true;
                }
                if def.severity_cmp(&finding.value, &r.value) == Ordering::Greater {
                    r.value = finding.value.clone();
                }
                r.value.clone()
            }
        };
        let entry = LineageEntry {
            index: self.tree.count(),
            finding,
        };
        let LastPush { nodes, canonical } = &mut self.scratch;
        canonical.clear();
        entry.canonical_into(canonical);
        nodes.clear();
        self.tree
            .push_logging(merkle::leaf_hash(canonical), |n| nodes.push(*n));
        match self.trails.get_mut(&entry.finding.fact) {
            Some(trail) => trail.record(&entry, before.as_ref(), &after),
            None => self
                .trails
                .entry(entry.finding.fact.clone())
                .or_default()
                .record(&entry, before.as_ref(), &after),
        }
        self.last = Some(entry);
    }

    /// The lineage's Merkle root (RFC 9162 Merkle Tree Hash of the leaves so far).
    pub fn root(&self) -> crate::lineage::merkle::Hash {
        self.tree.root()
    }

    /// How many findings the case has.
    pub fn count(&self) -> u64 {
        self.tree.count()
    }

    /// The latest finding, as its lineage entry.
    pub fn last(&self) -> Option<&LineageEntry> {
        self.last.as_ref()
    }

    /// The lineage summary a draft carries: count, Merkle root, and per fact the counts and
    /// decisive findings.
    pub fn lineage(&self) -> Lineage {
        Lineage {
            count: self.tree.count(),
            root: digest_of(&self.tree.root()),
            facts: self
                .trails
                .iter()
                .map(|(fact, trail)| (fact.clone(), trail.summary()))
                .collect(),
        }
    }

    /// Resolved facts.
    pub fn resolved(&self) -> &BTreeMap<FactKey, Resolved> {
        &self.resolved
    }
}

/// The evidence as a snapshot keeps it (`crate::store::snapshot`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceImage {
    /// Per fact: its resolved value (JSON) and whether findings disagree.
    resolved: BTreeMap<FactKey, (serde_json::Value, bool)>,
    count: u64,
    /// The compact range's subtree roots, hex.
    roots: Vec<String>,
    trails: BTreeMap<FactKey, crate::lineage::TrailImage>,
    last: Option<serde_json::Value>,
}

impl Evidence {
    pub(crate) fn image(&self) -> EvidenceImage {
        EvidenceImage {
            resolved: self
                .resolved
                .iter()
                .map(|(k, r)| {
                    let v = serde_json::to_value(&r.value).expect("a fact value is plain JSON");
                    (k.clone(), (v, r.disputed))
                })
                .collect(),
            count: self.tree.count(),
            roots: self.tree.roots().iter().map(hex::encode).collect(),
            trails: self
                .trails
                .iter()
                .map(|(k, t)| (k.clone(), t.image()))
                .collect(),
            last: self.last.as_ref().map(LineageEntry::image),
        }
    }

    /// The evidence an image describes, every value typed against `workflow`. Refuses an image
    /// whose parts disagree: a fact resolved without a trail or the other way round, trails
    /// whose findings do not add up to the tree's count, a last entry that is not the last
    /// leaf.
    pub(crate) fn from_image(
        image: EvidenceImage,
        workflow: &Workflow,
    ) -> Result<Evidence, String> {
        let fact = |k: &FactKey| workflow.fact(k).ok_or_else(|| format!("unknown fact {k}"));
        let mut resolved = BTreeMap::new();
        for (k, (v, disputed)) in image.resolved {
            let value = fact(&k)?.parse_value(&v).map_err(|m| format!("{k}: {m}"))?;
            resolved.insert(k, Resolved { value, disputed });
        }
        let mut trails = BTreeMap::new();
        for (k, t) in image.trails {
            fact(&k)?;
            trails.insert(k, FactTrail::from_image(t, workflow)?);
        }
        let roots = image
            .roots
            .iter()
            .map(|h| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(h, &mut out).map(|()| out)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a subtree root: {e}"))?;
        let tree = CompactRange::from_parts(image.count, roots)
            .ok_or("the subtree roots do not match the count")?;
        let last = image
            .last
            .map(|v| LineageEntry::from_image(v, workflow))
            .transpose()?;
        let findings: u64 = trails.values().map(FactTrail::findings).sum();
        if !resolved.keys().eq(trails.keys())
            || findings != tree.count()
            || last.as_ref().map(|e| e.index + 1) != (tree.count() > 0).then_some(tree.count())
        {
            return Err("the resolved facts, trails, count and last entry disagree".into());
        }
        Ok(Evidence {
            resolved,
            tree,
            trails,
            last,
            scratch: LastPush::default(),
        })
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
    use crate::digest::Digest;
    use crate::evidence::{Agent, Source};
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
        let w = Workflow::from_json(include_bytes!(
            "../../workflows/signing-key-compromise.json"
        ))
        .unwrap();
        let mut e = Evidence::default();
        let (d, f) = finding(&w, "custody.exposure", json!("confirmed"));
        e.record(&d, f);
        let (d, f) = finding(&w, "custody.exposure", json!("suspected"));
        e.record(&d, f);
        let r = &e.resolved()[&FactKey::from("custody.exposure")];
        assert_eq!(r.value.to_string(), "confirmed");
        assert!(r.disputed);
        assert_eq!(e.count(), 2, "every finding is a leaf");
        let lineage = e.lineage();
        let trail = &lineage.facts[&FactKey::from("custody.exposure")];
        assert_eq!((trail.findings, trail.decisive.len()), (2, 2));
        let (d, f) = finding(&w, "impact.customers_affected", json!(5));
        e.record(&d.clone(), f.clone());
        e.record(&d, f);
        assert!(!e.resolved()[&FactKey::from("impact.customers_affected")].disputed);
    }
}
