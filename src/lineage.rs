//! Lineage at scale (DESIGN §13): every finding is a leaf of an RFC 9162 Merkle tree, and the
//! draft reviewers sign carries the tree's root and a bounded summary per fact instead of every
//! finding.
//!
//! - A finding's **lineage entry** is the object `{index, at, fact, value, agent, source, note,
//!   sensitivity}` ([`LineageEntry`]); its leaf hash is `SHA-256(0x00 ‖ JCS(entry))`.
//! - The **root** is the Merkle Tree Hash over the leaves in journal order, kept incrementally
//!   as a compact range ([`merkle::CompactRange`], O(log n) per finding).
//! - Per fact, the draft keeps the number of findings, the number per source system, and the
//!   **decisive** findings: those that set the fact's resolved value and those that dispute it,
//!   at most [`DECISIVE_PER_SIDE`] of each (the earliest), so a reviewer still sees the evidence
//!   that decided the lane.
//! - `authority-lane lineage` streams every entry and prints inclusion proofs anyone can check
//!   with SHA-256 alone (README).
//!
//! The case keeps no finding beyond the decisive ones: its memory is the state, not the
//! history.

mod evidence;
pub mod merkle;
pub mod proof;

pub use evidence::Evidence;
pub(crate) use evidence::EvidenceImage;

use crate::digest::Digest;
use crate::evidence::{CanonicalAgent, CanonicalSource, Finding};
use crate::ids::FactKey;
use crate::workflow::{FactValue, Workflow};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many findings that set a fact's value, and this many that dispute it, are kept
/// as decisive (16 per fact in all).
pub const DECISIVE_PER_SIDE: usize = 8;

/// At most this many source systems are counted by name per fact; findings from further
/// systems are counted in [`FactLineage::other_sources`], so a packet stays bounded whatever
/// agents submit.
pub const SOURCES_PER_FACT: usize = 32;

/// One finding as a lineage entry: a Merkle leaf, and a line of `authority-lane lineage`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LineageEntry {
    /// Position of the finding among the case's findings, from 0 (the leaf index).
    pub index: u64,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

impl LineageEntry {
    /// The entry's RFC 8785 bytes: what its leaf hash covers.
    ///
    /// Written by `serde_json` from a struct that lists every member in RFC 8785 order:
    /// every member name is a fixed ASCII key (so byte order is UTF-16 order), every number an
    /// I-JSON integer (counts are checked when the finding is accepted) and `serde_json` escapes
    /// strings as RFC 8785 does. A test checks the bytes against `serde_jcs`.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(384);
        self.canonical_into(&mut out);
        out
    }

    /// Appends [`LineageEntry::canonical`] to `out`.
    pub fn canonical_into(&self, out: &mut Vec<u8>) {
        let f = &self.finding;
        let sorted = Sorted {
            agent: f.agent.canonical(),
            at: crate::time::Rfc3339(&f.at),
            fact: f.fact.as_str(),
            index: self.index,
            note: f.note.as_deref(),
            sensitivity: f.sensitivity,
            source: f.source.canonical(),
            value: &f.value,
        };
        serde_json::to_writer(out, &sorted)
            .expect("a lineage entry is plain JSON and always serialises")
    }

    /// The entry's Merkle leaf hash.
    pub fn leaf(&self) -> merkle::Hash {
        merkle::leaf_hash(&self.canonical())
    }
}

/// A lineage entry with its members in RFC 8785 order (see [`LineageEntry::canonical`]).
#[derive(Serialize)]
struct Sorted<'a> {
    agent: CanonicalAgent<'a>,
    at: crate::time::Rfc3339<'a>,
    fact: &'a str,
    index: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    sensitivity: crate::workflow::Sensitivity,
    source: CanonicalSource<'a>,
    value: &'a FactValue,
}

/// A Merkle hash as a digest string (`sha256:<hex>`).
pub fn digest_of(hash: &merkle::Hash) -> Digest {
    format!("sha256:{}", hex::encode(hash))
        .parse()
        .expect("sha256: and 64 hex digits is a digest")
}

/// The lineage in a draft: how many findings, their Merkle root, and a bounded summary per fact.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Lineage {
    /// Findings in the case (leaves in the tree).
    pub count: u64,
    /// RFC 9162 Merkle Tree Hash over every finding's leaf, in journal order.
    pub root: Digest,
    /// Per fact that has findings.
    pub facts: BTreeMap<FactKey, FactLineage>,
}

/// One fact's findings, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FactLineage {
    /// Findings about the fact.
    pub findings: u64,
    /// Findings per source system (the first [`SOURCES_PER_FACT`] systems seen).
    pub sources: BTreeMap<String, u64>,
    /// Findings from systems beyond the first [`SOURCES_PER_FACT`] (absent when none).
    #[serde(skip_serializing_if = "is_zero")]
    pub other_sources: u64,
    /// The findings that set the resolved value and those that dispute it (the earliest
    /// [`DECISIVE_PER_SIDE`] of each), in index order.
    pub decisive: Vec<LineageEntry>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One fact's lineage as the case keeps it while findings arrive (O(1) per finding).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FactTrail {
    findings: u64,
    sources: BTreeMap<String, u64>,
    other_sources: u64,
    /// The earliest findings that gave the current resolved value.
    setting: Vec<LineageEntry>,
    /// The earliest findings that gave another value.
    disputing: Vec<LineageEntry>,
}

impl FactTrail {
    /// Records `entry`; `resolved_before` is the fact's value before it (None for the first
    /// finding) and `resolved_after` after it.
    pub(crate) fn record(
        &mut self,
        entry: &LineageEntry,
        resolved_before: Option<&FactValue>,
        resolved_after: &FactValue,
    ) {
        self.findings += 1;
        let system = &entry.finding.source.system;
        if let Some(n) = self.sources.get_mut(system) {
            *n += 1;
        } else if self.sources.len() < SOURCES_PER_FACT {
            self.sources.insert(system.clone(), 1);
        } else {
            self.other_sources += 1;
        }
        if resolved_before.is_some_and(|before| before != resolved_after) {
            // A more severe value took over: what set the old value now disputes the new one.
            let old = std::mem::take(&mut self.setting);
            self.disputing.extend(old);
            self.disputing.sort_by_key(|e| e.index);
            self.disputing.truncate(DECISIVE_PER_SIDE);
        }
        let side = if entry.finding.value == *resolved_after {
            &mut self.setting
        } else {
            &mut self.disputing
        };
        if side.len() < DECISIVE_PER_SIDE {
            side.push(entry.clone());
        }
    }

    /// The summary the draft carries.
    pub(crate) fn summary(&self) -> FactLineage {
        let mut decisive: Vec<LineageEntry> = self
            .setting
            .iter()
            .chain(&self.disputing)
            .cloned()
            .collect();
        decisive.sort_by_key(|e| e.index);
        FactLineage {
            findings: self.findings,
            sources: self.sources.clone(),
            other_sources: self.other_sources,
            decisive,
        }
    }
}

/// A fact's trail as a snapshot keeps it (`crate::store::snapshot`): entries as their JSON,
/// read back against the workflow.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrailImage {
    findings: u64,
    sources: BTreeMap<String, u64>,
    other_sources: u64,
    setting: Vec<serde_json::Value>,
    disputing: Vec<serde_json::Value>,
}

impl FactTrail {
    pub(crate) fn image(&self) -> TrailImage {
        TrailImage {
            findings: self.findings,
            sources: self.sources.clone(),
            other_sources: self.other_sources,
            setting: self.setting.iter().map(LineageEntry::image).collect(),
            disputing: self.disputing.iter().map(LineageEntry::image).collect(),
        }
    }

    /// The trail an image describes, its entries typed against `workflow`; refuses an image no
    /// sequence of findings could have left (more decisive entries than kept, counts that do
    /// not add up).
    pub(crate) fn from_image(image: TrailImage, workflow: &Workflow) -> Result<FactTrail, String> {
        let entries = |side: Vec<serde_json::Value>| -> Result<Vec<LineageEntry>, String> {
            if side.len() > DECISIVE_PER_SIDE {
                return Err(format!(
                    "more than {DECISIVE_PER_SIDE} decisive entries on a side"
                ));
            }
            side.into_iter()
                .map(|v| LineageEntry::from_image(v, workflow))
                .collect()
        };
        // Checked: counts chosen to overflow must be refused, not wrap or panic.
        let counted = image
            .sources
            .values()
            .try_fold(image.other_sources, |sum, n| sum.checked_add(*n));
        if counted != Some(image.findings) || image.sources.len() > SOURCES_PER_FACT {
            return Err("the per-source counts do not add up to the findings".into());
        }
        Ok(FactTrail {
            findings: image.findings,
            sources: image.sources,
            other_sources: image.other_sources,
            setting: entries(image.setting)?,
            disputing: entries(image.disputing)?,
        })
    }

    /// Findings about the fact.
    pub(crate) fn findings(&self) -> u64 {
        self.findings
    }
}

/// A lineage entry's JSON as `authority-lane lineage` prints it, typed again on the way in.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryImage {
    index: u64,
    fact: FactKey,
    value: serde_json::Value,
    agent: crate::evidence::Agent,
    source: crate::evidence::Source,
    #[serde(default)]
    note: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
    sensitivity: crate::workflow::Sensitivity,
}

impl LineageEntry {
    /// The entry as a snapshot keeps it: its JSON.
    pub(crate) fn image(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a lineage entry is plain JSON")
    }

    /// An entry from its JSON, its value typed against the workflow's fact (which must exist,
    /// with the sensitivity the workflow gives it).
    pub(crate) fn from_image(
        value: serde_json::Value,
        workflow: &Workflow,
    ) -> Result<LineageEntry, String> {
        let e: EntryImage = serde_json::from_value(value).map_err(|e| e.to_string())?;
        let def = workflow
            .fact(&e.fact)
            .ok_or_else(|| format!("unknown fact {}", e.fact))?;
        if def.sensitivity != e.sensitivity {
            return Err(format!("fact {} has another sensitivity", e.fact));
        }
        let typed = def
            .parse_value(&e.value)
            .map_err(|m| format!("{}: {m}", e.fact))?;
        Ok(LineageEntry {
            index: e.index,
            finding: Finding {
                fact: e.fact,
                value: typed,
                agent: e.agent,
                source: e.source,
                note: e.note,
                at: e.at,
                sensitivity: e.sensitivity,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Agent, Source};
    use crate::workflow::Sensitivity;

    fn entry(index: u64, system: &str, record: &str, note: Option<&str>) -> LineageEntry {
        LineageEntry {
            index,
            finding: Finding {
                fact: "impact.customers_affected".into(),
                value: FactValue::Count(index),
                agent: Agent {
                    role: "impact-assessment".into(),
                    id: "agent \u{1} \"quoted\" \\ é 😀".into(),
                },
                source: Source {
                    system: system.into(),
                    record: record.into(),
                    digest: Digest::of_bytes(record.as_bytes()),
                },
                note: note.map(str::to_owned),
                at: "2026-11-28T10:00:00.123456789Z".parse().unwrap(),
                sensitivity: Sensitivity::General,
            },
        }
    }

    #[test]
    fn the_entry_bytes_are_rfc_8785() {
        let mut timestamp = entry(3, "s", "r", None);
        timestamp.finding.value = FactValue::Timestamp(timestamp.finding.at);
        let mut enumerated = entry(4, "s", "r", None);
        enumerated.finding.value = FactValue::Enum {
            value: "confirmed".into(),
            rank: 2,
        };
        let mut boolean = entry(5, "s", "r", None);
        boolean.finding.value = FactValue::Bool(false);
        for e in [
            entry(0, "sys", "r\n\t\u{7f}\u{1f}", Some("a note\u{2028}")),
            entry(9_007_199_254_740_991, "€", "</script>", None),
            timestamp,
            enumerated,
            boolean,
        ] {
            assert_eq!(e.canonical(), serde_jcs::to_vec(&e).unwrap());
        }
    }

    #[test]
    fn decisive_findings_are_bounded_and_follow_the_resolved_value() {
        let mut trail = FactTrail::default();
        let low = FactValue::Count(1);
        let high = FactValue::Count(2);
        let mut resolved: Option<FactValue> = None;
        for i in 0..100u64 {
            let value = if i < 50 { low.clone() } else { high.clone() };
            let mut e = entry(i, &format!("system-{}", i % 40), "r", None);
            e.finding.value = value.clone();
            let after = if i < 50 { low.clone() } else { high.clone() };
            trail.record(&e, resolved.as_ref(), &after);
            resolved = Some(after);
        }
        let s = trail.summary();
        assert_eq!(s.findings, 100);
        assert_eq!(s.sources.len(), SOURCES_PER_FACT);
        assert_eq!(s.sources.values().sum::<u64>() + s.other_sources, 100);
        assert_eq!(s.decisive.len(), 2 * DECISIVE_PER_SIDE);
        let setting: Vec<u64> = s
            .decisive
            .iter()
            .filter(|e| e.finding.value == high)
            .map(|e| e.index)
            .collect();
        let disputing: Vec<u64> = s
            .decisive
            .iter()
            .filter(|e| e.finding.value == low)
            .map(|e| e.index)
            .collect();
        assert_eq!(setting, (50..58).collect::<Vec<_>>());
        assert_eq!(disputing, (0..8).collect::<Vec<_>>());
    }
}
