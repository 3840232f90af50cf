//! The lineage index beside a journal file (`JOURNAL.lineage`): every node of the case's
//! Merkle tree, so that `authority-lane lineage --proof` reads O(log n) nodes instead of
//! replaying the journal (DESIGN §13).
//!
//! The file is a sequence of 40-byte slots in the order the tree's nodes are completed as
//! findings arrive (post-order): for each finding its leaf hash and the byte offset of the
//! journal record that holds it, then each subtree root that finding completes (hash, and
//! `u64::MAX` where an offset would be). Leaf `i` sits in slot `2i − popcount(i)`, and the root
//! of the perfect subtree of level `L` that ends at leaf `m` sits `L` slots after it, so a tree
//! of `n` leaves has exactly `2n − popcount(n)` slots and any node is found by arithmetic.
//!
//! Like the snapshot, the index is a cache and never trusted: [`prove`] reads the leaf's
//! journal record at the offset the index gives, verifies that line, rebuilds the lineage entry
//! from it, and returns a proof only if the entry hashes to the index's leaf and the proof
//! verifies against the lineage root of the case it is given. Anything else is `None`, and the
//! caller replays the journal instead. `init` creates the index and `apply` extends it as it
//! appends findings (while it is in step: an index that missed records is left alone);
//! `lineage --proof` rebuilds it with one full replay when it cannot give a proof.

use crate::case::{Case, EventRecord};
use crate::evidence::Finding;
use crate::journal::side;
use crate::lineage::LineageEntry;
use crate::lineage::merkle::{self, Hash};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes per slot: a hash and an offset.
pub const SLOT: u64 = 40;

/// The offset an interior node's slot holds.
const NO_RECORD: u64 = u64::MAX;

/// Where the index of the journal at `journal` is kept: beside it, `.lineage` appended.
pub fn index_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".lineage");
    PathBuf::from(name)
}

/// Slots in the index of a tree of `n` leaves.
pub fn slots(n: u64) -> u64 {
    2 * n - u64::from(n.count_ones())
}

/// The slot of the root of the perfect subtree of `level` whose leaves start at `first`
/// (a multiple of 2^level); level 0 is leaf `first`.
fn node_slot(level: u32, first: u64) -> u64 {
    let last = first + (1u64 << level) - 1;
    slots(last) + u64::from(level)
}

/// Appends to an index as findings arrive.
#[derive(Debug)]
pub struct IndexWriter {
    file: BufWriter<File>,
    leaves: u64,
}

impl IndexWriter {
    /// A new, empty index at `path`, which must not exist (a file or a link there is an
    /// error: side files are created exclusively and never through a link).
    pub fn create(path: &Path) -> io::Result<IndexWriter> {
        Ok(IndexWriter {
            file: BufWriter::with_capacity(1 << 16, side::create_new(path)?),
            leaves: 0,
        })
    }

    /// The index at `path`, to extend, if it holds exactly the tree of `leaves` leaves;
    /// `None` if there is none or it is out of step (it is then left to a rebuild).
    pub fn extend(path: &Path, leaves: u64) -> io::Result<Option<IndexWriter>> {
        let file = match side::open_append(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if file.metadata()?.len() != slots(leaves) * SLOT {
            return Ok(None);
        }
        Ok(Some(IndexWriter {
            file: BufWriter::with_capacity(1 << 16, file),
            leaves,
        }))
    }

    /// Appends one finding: `nodes` as [`Evidence::last_nodes`](crate::lineage::Evidence::last_nodes)
    /// gives them (its leaf, then the subtree roots it completed), and the offset of its record.
    pub fn push(&mut self, nodes: &[Hash], record_offset: u64) -> io::Result<()> {
        let expected = 1 + self.leaves.trailing_ones() as usize;
        if nodes.len() != expected {
            return Err(io::Error::other(format!(
                "leaf {} completes {} nodes, not {}",
                self.leaves,
                expected,
                nodes.len()
            )));
        }
        for (i, node) in nodes.iter().enumerate() {
            self.file.write_all(node)?;
            let offset = if i == 0 { record_offset } else { NO_RECORD };
            self.file.write_all(&offset.to_le_bytes())?;
        }
        self.leaves += 1;
        Ok(())
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Reads slots of an index file.
struct Slots {
    file: File,
}

impl Slots {
    fn read(&self, slot: u64) -> io::Result<(Hash, u64)> {
        let mut buf = [0u8; SLOT as usize];
        self.file.read_exact_at(&mut buf, slot * SLOT)?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&buf[..32]);
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&buf[32..]);
        Ok((hash, u64::from_le_bytes(offset)))
    }

    /// The Merkle Tree Hash of leaves `first .. first + n` (RFC 9162 §2.1.1), from the stored
    /// roots of the perfect subtrees that make them up.
    fn root(&self, first: u64, n: u64) -> io::Result<Hash> {
        if n.is_power_of_two() && first.is_multiple_of(n) {
            return Ok(self.read(node_slot(n.trailing_zeros(), first))?.0);
        }
        let k = split(n);
        Ok(merkle::node_hash(
            &self.root(first, k)?,
            &self.root(first + k, n - k)?,
        ))
    }

    /// RFC 9162 §2.1.3.1 PATH(m, D[first .. first + n]), leaf first.
    fn path(&self, m: u64, first: u64, n: u64, out: &mut Vec<Hash>) -> io::Result<()> {
        if n <= 1 {
            return Ok(());
        }
        let k = split(n);
        if m < k {
            self.path(m, first, k, out)?;
            out.push(self.root(first + k, n - k)?);
        } else {
            self.path(m - k, first + k, n - k, out)?;
            out.push(self.root(first, k)?);
        }
        Ok(())
    }

    /// RFC 9162 §2.1.4.1 SUBPROOF(m, D[first .. first + n], whole).
    fn subproof(
        &self,
        m: u64,
        first: u64,
        n: u64,
        whole: bool,
        out: &mut Vec<Hash>,
    ) -> io::Result<()> {
        if m == n {
            if !whole {
                out.push(self.root(first, n)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, first, k, whole, out)?;
            out.push(self.root(first + k, n - k)?);
        } else {
            self.subproof(m - k, first + k, n - k, false, out)?;
            out.push(self.root(first, k)?);
        }
        Ok(())
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The inclusion proof of finding `index` in `case`'s lineage, from the index beside
/// `journal`: the entry and the path, verified against the case's lineage root (see the
/// module docs). `None` when the index is missing, out of step with the case, or does not
/// check; the caller replays the journal then.
pub fn prove(journal: &Path, case: &Case, index: u64) -> Option<(LineageEntry, Vec<Hash>)> {
    let count = case.evidence().count();
    if index >= count {
        return None;
    }
    let file = side::open_read(&index_path(journal)).ok()?;
    if file.metadata().ok()?.len() != slots(count) * SLOT {
        return None;
    }
    let slots = Slots { file };
    let (leaf, offset) = slots.read(node_slot(0, index)).ok()?;
    let entry = entry_at(journal, offset, index, case)?;
    if entry.leaf() != leaf {
        return None;
    }
    let mut path = Vec::new();
    slots.path(index, 0, count, &mut path).ok()?;
    let root = case.evidence().root();
    merkle::verify_inclusion(index, count, &leaf, &path, &root).then_some((entry, path))
}

/// The consistency proof from the first `from` findings of `case`'s lineage to the first `to`
/// (RFC 9162 §2.1.4; `to` is all of them but for an accepted packet that later findings
/// followed), from the index beside `journal`: the two trees' roots and the path, returned only
/// if the path verifies from the one root to the other (and `to`'s root, for all findings, is
/// the case's). `None` when `from > to`, `to` exceeds the findings, or the index is missing,
/// out of step or does not check; the caller replays the journal then.
pub fn prove_consistency(
    journal: &Path,
    case: &Case,
    from: u64,
    to: u64,
) -> Option<(Hash, Hash, Vec<Hash>)> {
    let count = case.evidence().count();
    if from > to || to > count {
        return None;
    }
    let file = side::open_read(&index_path(journal)).ok()?;
    if file.metadata().ok()?.len() != slots(count) * SLOT {
        return None;
    }
    let slots = Slots { file };
    let first_root = if from == 0 {
        merkle::empty_root()
    } else {
        slots.root(0, from).ok()?
    };
    let mut path = Vec::new();
    if from > 0 && from < to {
        slots.subproof(from, 0, to, true, &mut path).ok()?;
    }
    let root = if to == count {
        case.evidence().root()
    } else if to == 0 {
        merkle::empty_root()
    } else {
        slots.root(0, to).ok()?
    };
    merkle::verify_consistency(from, to, &first_root, &root, &path)
        .then_some((first_root, root, path))
}

/// Finding `index`'s lineage entry, from the journal record at `offset` (its line verified on
/// its own: canonical form and hash), typed against the case's workflow.
fn entry_at(journal: &Path, offset: u64, index: u64, case: &Case) -> Option<LineageEntry> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(journal).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let record = crate::journal::record_at(io::BufReader::new(file)).ok()?;
    let EventRecord::Finding {
        at, agent, finding, ..
    } = serde_json::from_value(record.event).ok()?
    else {
        return None;
    };
    let def = case.workflow().fact(&finding.fact)?;
    Some(LineageEntry {
        index,
        finding: Finding {
            value: def.parse_value(&finding.value).ok()?,
            fact: finding.fact,
            agent,
            source: finding.source,
            note: finding.note,
            at,
            sensitivity: def.sensitivity,
        },
    })
}

#[cfg(test)]
mod tests;
