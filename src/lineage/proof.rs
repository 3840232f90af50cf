//! Checking an inclusion proof as `authority-lane lineage --proof` prints it (DESIGN §13): the
//! one checker the CLI's `lineage --check-proof` runs, with the same steps as the README's
//! hashlib recipe and `.ci/check_lineage_proof.py`. Consistency proofs (DESIGN §15,
//! `lineage --consistency`) are [`ConsistencyProof`]s, checked the same way.
//!
//! RFC 9162 §2.1.3.2 first: `index < count`, and the entry's own `index` is the proof's (the
//! leaf hashes the entry, index included, so a proof cannot be relabelled to another place);
//! then the leaf is recomputed from the entry — `SHA-256(0x00 ‖ JCS(entry))` — unless the
//! channel redacted the entry (then only its index is bound); then the path must fold to the
//! proof's root, consuming every hash, and that root must be the one the caller trusts (the
//! packet's `lineage.root`). A proof's `count` is bound only as far as the tree's shape binds
//! it: an index can sit at the same place in trees of several sizes, so a caller that knows
//! the packet's `lineage.count` passes it too.

use super::merkle::{Hash, leaf_hash, verify_consistency, verify_inclusion};
use crate::digest::Digest;
use crate::error_code::ErrorCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A proof document: `{index, count, root, entry, leaf, path}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The finding's index.
    pub index: u64,
    /// Findings in the tree the proof is for.
    pub count: u64,
    /// The root the path folds to.
    pub root: Digest,
    /// The lineage entry, as a channel showed it (`"redacted": true` when it hid it).
    pub entry: serde_json::Value,
    /// `SHA-256(0x00 ‖ JCS(entry))` of the full entry.
    pub leaf: Digest,
    /// The sibling hashes from the leaf up.
    pub path: Vec<Digest>,
}

/// Why a proof was refused; every cause has the code `proof_invalid`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Not a proof document (bad JSON, a missing or unknown member, a repeated key).
    #[error("not a proof document: {0}")]
    Malformed(String),
    /// `index` is not below `count` (RFC 9162 §2.1.3.2 step 1).
    #[error("index {index} is not below count {count}")]
    IndexOutOfRange {
        /// The proof's index.
        index: u64,
        /// The proof's count.
        count: u64,
    },
    /// The entry names another index than the proof.
    #[error(
        "the entry's index is {}, the proof's {index}",
        entry.map_or_else(|| "missing".to_owned(), |e| e.to_string())
    )]
    EntryIndex {
        /// The entry's own index (`None`: it has none).
        entry: Option<u64>,
        /// The proof's index.
        index: u64,
    },
    /// The leaf is not the hash of the entry.
    #[error("the leaf is {claimed}, but the entry hashes to {computed}")]
    Leaf {
        /// The proof's leaf.
        claimed: Digest,
        /// `SHA-256(0x00 ‖ JCS(entry))`.
        computed: Digest,
    },
    /// The path does not fold the leaf to the proof's root at that index and count.
    #[error("the path does not lead from the leaf at index {index} of {count} to root {root}")]
    Path {
        /// The proof's index.
        index: u64,
        /// The proof's count.
        count: u64,
        /// The proof's root.
        root: Digest,
    },
    /// The proof is for another root than the one trusted.
    #[error("the proof is for root {proof}, not the trusted root {trusted}")]
    Root {
        /// The proof's root.
        proof: Digest,
        /// The root the caller trusts.
        trusted: Digest,
    },
    /// The proof is for another count than the one trusted.
    #[error("the proof is for {proof} findings, not the trusted count {trusted}")]
    Count {
        /// The proof's count.
        proof: u64,
        /// The count the caller trusts.
        trusted: u64,
    },
}

impl ProofError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ProofInvalid
    }
}

fn hash_of(d: &Digest) -> Option<Hash> {
    let hex = d.as_str().strip_prefix("sha256:")?;
    hex::decode(hex).ok()?.try_into().ok()
}

impl InclusionProof {
    /// Parses a proof document strictly (a repeated key is refused).
    pub fn from_json(bytes: &[u8]) -> Result<InclusionProof, ProofError> {
        let value =
            crate::digest::strict_json(bytes).map_err(|e| ProofError::Malformed(e.to_string()))?;
        serde_json::from_value(value).map_err(|e| ProofError::Malformed(e.to_string()))
    }

    /// Checks the proof against the `root` the caller trusts (and its `count`, when known).
    pub fn check(&self, root: &Digest, count: Option<u64>) -> Result<(), ProofError> {
        if self.index >= self.count {
            return Err(ProofError::IndexOutOfRange {
                index: self.index,
                count: self.count,
            });
        }
        let entry_index = self.entry.get("index").and_then(serde_json::Value::as_u64);
        if entry_index != Some(self.index) {
            return Err(ProofError::EntryIndex {
                entry: entry_index,
                index: self.index,
            });
        }
        let redacted = self.entry.get("redacted") == Some(&serde_json::Value::Bool(true));
        if !redacted {
            let jcs = crate::digest::canonical_json(&self.entry)
                .map_err(|e| ProofError::Malformed(format!("the entry: {e}")))?;
            let computed = super::digest_of(&leaf_hash(&jcs));
            if computed != self.leaf {
                return Err(ProofError::Leaf {
                    claimed: self.leaf.clone(),
                    computed,
                });
            }
        }
        let path: Option<Vec<Hash>> = self.path.iter().map(hash_of).collect();
        let (Some(leaf), Some(path), Some(proof_root)) =
            (hash_of(&self.leaf), path, hash_of(&self.root))
        else {
            return Err(ProofError::Malformed("a hash that is not sha256".into()));
        };
        if !verify_inclusion(self.index, self.count, &leaf, &path, &proof_root) {
            return Err(ProofError::Path {
                index: self.index,
                count: self.count,
                root: self.root.clone(),
            });
        }
        if self.root != *root {
            return Err(ProofError::Root {
                proof: self.root.clone(),
                trusted: root.clone(),
            });
        }
        match count {
            Some(trusted) if trusted != self.count => Err(ProofError::Count {
                proof: self.count,
                trusted,
            }),
            _ => Ok(()),
        }
    }
}

/// A lineage as a tree: how many findings, and their RFC 9162 Merkle Tree Hash (the `count`
/// and `root` of a draft's `lineage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineageHead {
    /// Findings (leaves).
    pub count: u64,
    /// Their Merkle Tree Hash.
    pub root: Digest,
}

/// An RFC 9162 §2.1.4 consistency proof: `path` shows that the lineage `from` is a prefix of
/// the lineage `to` — every finding of `from` is in `to`, in the same place, and none was
/// removed or changed. What `authority-lane lineage --consistency FROM_COUNT` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The earlier lineage (what a reviewer signed).
    pub from: LineageHead,
    /// The later lineage (the case's now, or what was accepted).
    pub to: LineageHead,
    /// The proof's hashes (RFC 9162 `PROOF(m, D[n])`; empty when the counts are equal or
    /// `from` is empty).
    pub path: Vec<Digest>,
}

/// Why a consistency proof was refused; every cause has the code `proof_invalid`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsistencyError {
    /// Not a consistency proof document.
    #[error("not a consistency proof document: {0}")]
    Malformed(String),
    /// The proof is between other lineages than the ones trusted: the proof's `(from, to)`,
    /// then the trusted ones.
    #[error(
        "the proof is from {} to {}, not from {} to {}",
        show(&.0.0.0), show(&.0.0.1), show(&.0.1.0), show(&.0.1.1)
    )]
    Lineages(Box<((LineageHead, LineageHead), (LineageHead, LineageHead))>),
    /// The path does not connect the two roots (RFC 9162 §2.1.4.2).
    #[error("the path does not show {from_count} findings to be a prefix of {to_count}")]
    Path {
        /// The earlier count.
        from_count: u64,
        /// The later count.
        to_count: u64,
    },
}

/// `{count, root}` as an error message names a lineage.
fn show(l: &LineageHead) -> String {
    format!("{{count {}, root {}}}", l.count, l.root)
}

impl ConsistencyError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ProofInvalid
    }
}

impl ConsistencyProof {
    /// Parses a consistency proof document strictly (a repeated key is refused).
    pub fn from_json(bytes: &[u8]) -> Result<ConsistencyProof, ConsistencyError> {
        let value = crate::digest::strict_json(bytes)
            .map_err(|e| ConsistencyError::Malformed(e.to_string()))?;
        serde_json::from_value(value).map_err(|e| ConsistencyError::Malformed(e.to_string()))
    }

    /// Checks the proof between the lineages the caller trusts: `from` (say, what a sign-off
    /// signed) and `to` (what was accepted).
    pub fn check(&self, from: &LineageHead, to: &LineageHead) -> Result<(), ConsistencyError> {
        if self.from != *from || self.to != *to {
            return Err(ConsistencyError::Lineages(Box::new((
                (self.from.clone(), self.to.clone()),
                (from.clone(), to.clone()),
            ))));
        }
        let path: Option<Vec<Hash>> = self.path.iter().map(hash_of).collect();
        let (Some(path), Some(first), Some(second)) =
            (path, hash_of(&from.root), hash_of(&to.root))
        else {
            return Err(ConsistencyError::Malformed(
                "a hash that is not sha256".into(),
            ));
        };
        if verify_consistency(from.count, to.count, &first, &second, &path) {
            Ok(())
        } else {
            Err(ConsistencyError::Path {
                from_count: from.count,
                to_count: to.count,
            })
        }
    }
}
