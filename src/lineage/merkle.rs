//! RFC 9162 §2.1 Merkle trees over the lineage: leaf and node hashes, an incremental root kept
//! as a compact range (O(log n) per leaf), inclusion and consistency proofs and their
//! verification.
//!
//! `leaf = SHA-256(0x00 ‖ data)`, `node = SHA-256(0x01 ‖ left ‖ right)`; the Merkle Tree Hash of
//! n > 1 leaves splits at k, the largest power of two smaller than n (RFC 9162 §2.1.1).

use sha2::{Digest as _, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The Merkle Tree Hash of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The roots of the perfect subtrees that make up a tree of `count` leaves, largest (leftmost)
/// first: a compact range. Appending a leaf merges equal-sized subtrees, O(log n); the tree's
/// root folds the range from the right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    count: u64,
    /// Subtree roots, leftmost first; their sizes are the set bits of `count`, descending.
    roots: Vec<Hash>,
}

impl CompactRange {
    /// An empty tree.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.push_logging(leaf, |_| {});
    }

    /// Appends a leaf hash, handing `node` the leaf and then each subtree root the push
    /// completes, smallest first: over all pushes, every node of the tree in post-order (what
    /// the lineage index stores).
    pub(crate) fn push_logging(&mut self, leaf: Hash, mut node: impl FnMut(&Hash)) {
        node(&leaf);
        let mut merged = leaf;
        // Each trailing one bit of `count` is a subtree of the size the new one reaches.
        let mut carry = self.count;
        while carry & 1 == 1 {
            let left = self.roots.pop().expect("a set bit has its subtree");
            merged = node_hash(&left, &merged);
            node(&merged);
            carry >>= 1;
        }
        self.roots.push(merged);
        self.count += 1;
    }

    /// Leaves so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The subtree roots, leftmost first (what a snapshot keeps).
    pub(crate) fn roots(&self) -> &[Hash] {
        &self.roots
    }

    /// A compact range from a snapshot's parts; `None` unless there is one root per set bit of
    /// `count`.
    pub(crate) fn from_parts(count: u64, roots: Vec<Hash>) -> Option<CompactRange> {
        (roots.len() == count.count_ones() as usize).then_some(CompactRange { count, roots })
    }

    /// The Merkle Tree Hash of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        match roots.next() {
            None => empty_root(),
            Some(last) => roots.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}

/// The Merkle Tree Hash of `leaves` (hashes), from scratch (RFC 9162 §2.1.1).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The inclusion proof of leaf `index` in the tree of `leaves` (RFC 9162 §2.1.3.1): the
/// sibling hashes from the leaf up. `None` if `index` is out of range.
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    proof_into(index, leaves, &mut path);
    Some(path)
}

fn proof_into(m: usize, leaves: &[Hash], path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        proof_into(m, &leaves[..k], path);
        path.push(root_of(&leaves[k..]));
    } else {
        proof_into(m - k, &leaves[k..], path);
        path.push(root_of(&leaves[..k]));
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): true iff `leaf` at `index` in a tree of
/// `count` leaves with `path` hashes to `root`.
pub fn verify_inclusion(index: u64, count: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= count {
        return false;
    }
    let (mut f_n, mut s_n) = (index, count - 1);
    let mut r = *leaf;
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// The consistency proof from the tree of the first `first` of `leaves` to the tree of all of
/// them (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`): the hashes that show the first tree is a prefix
/// of the second. Empty when `first` is 0 or every leaf (nothing to prove: the roots say it);
/// `None` if `first` is more than the leaves.
pub fn consistency_proof(first: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if first > leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    if first > 0 && first < leaves.len() {
        subproof_into(first, leaves, true, &mut path);
    }
    Some(path)
}

/// RFC 9162 §2.1.4.1 `SUBPROOF(m, D[n], b)`.
fn subproof_into(m: usize, leaves: &[Hash], whole: bool, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            path.push(root_of(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof_into(m, &leaves[..k], whole, path);
        path.push(root_of(&leaves[k..]));
    } else {
        subproof_into(m - k, &leaves[k..], false, path);
        path.push(root_of(&leaves[..k]));
    }
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): true iff `path` shows that the tree of
/// `first` leaves with root `first_root` is a prefix of the tree of `second` leaves with root
/// `second_root`. Equal sizes need an empty path and equal roots; the empty tree (`first` 0,
/// with the empty root) is a prefix of every tree and needs an empty path.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    path: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == 0 {
        return path.is_empty() && *first_root == empty_root();
    }
    if first == second {
        return path.is_empty() && first_root == second_root;
    }
    // Step 2: a first tree that is a perfect subtree is its own first node.
    let mut nodes: Vec<&Hash> = Vec::with_capacity(path.len() + 1);
    if first.is_power_of_two() {
        nodes.push(first_root);
    }
    nodes.extend(path);
    let Some((start, rest)) = nodes.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (first - 1, second - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (**start, **start);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *first_root && sr == *second_root && s_n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{QuickCheck, TestResult};

    /// The leaves of the RFC 6962 reference test tree (certificate-transparency test data).
    const CT_LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    /// Roots of the first 1..=8 of those leaves, as published with the reference
    /// implementations (and recomputed by `.ci/merkle_vectors.py`, an independent Python
    /// implementation).
    const CT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
    }

    #[test]
    fn the_reference_tree_roots_match() {
        let mut range = CompactRange::new();
        let mut hashes = Vec::new();
        for (i, leaf) in CT_LEAVES.iter().enumerate() {
            let h = leaf_hash(&hex::decode(leaf).unwrap());
            range.push(h);
            hashes.push(h);
            assert_eq!(hex::encode(range.root()), CT_ROOTS[i], "{} leaves", i + 1);
            assert_eq!(hex::encode(root_of(&hashes)), CT_ROOTS[i]);
        }
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_incremental_root_equals_the_root_from_scratch() {
        fn prop(n: u16) -> bool {
            let hashes = leaves(usize::from(n % 700));
            let mut range = CompactRange::new();
            hashes.iter().for_each(|h| range.push(*h));
            range.root() == root_of(&hashes) && range.count() == hashes.len() as u64
        }
        QuickCheck::new().quickcheck(prop as fn(u16) -> bool);
    }

    /// DESIGN §11.10: for every index the proof verifies against the root, and fails for any
    /// other leaf, index or count.
    #[test]
    fn proofs_verify_for_their_leaf_only() {
        fn prop(n: u16, pick: u16, other: u16) -> TestResult {
            let n = usize::from(n % 300) + 1;
            let hashes = leaves(n);
            let root = root_of(&hashes);
            let m = usize::from(pick) % n;
            let path = inclusion_proof(m, &hashes).unwrap();
            if !verify_inclusion(m as u64, n as u64, &hashes[m], &path, &root) {
                return TestResult::failed();
            }
            let o = usize::from(other) % n;
            if o != m && verify_inclusion(m as u64, n as u64, &hashes[o], &path, &root) {
                return TestResult::failed();
            }
            if o != m && verify_inclusion(o as u64, n as u64, &hashes[m], &path, &root) {
                return TestResult::failed();
            }
            let forged = leaf_hash(b"not in the tree");
            TestResult::from_bool(
                !verify_inclusion(m as u64, n as u64, &forged, &path, &root)
                    && !verify_inclusion(n as u64, n as u64, &hashes[m], &path, &root),
            )
        }
        QuickCheck::new().quickcheck(prop as fn(u16, u16, u16) -> TestResult);
    }

    #[test]
    fn every_index_of_small_trees_proves() {
        for n in 1..=33 {
            let hashes = leaves(n);
            let root = root_of(&hashes);
            for m in 0..n {
                let path = inclusion_proof(m, &hashes).unwrap();
                assert!(
                    verify_inclusion(m as u64, n as u64, &hashes[m], &path, &root),
                    "{m}/{n}"
                );
            }
            assert!(inclusion_proof(n, &hashes).is_none());
        }
    }

    /// RFC 9162 §2.1.4: for every pair of sizes the proof verifies, and fails for another
    /// size, another root of either tree, or a changed hash.
    #[test]
    fn consistency_proofs_verify_for_their_trees_only() {
        for n in 1..=40usize {
            let hashes = leaves(n);
            let root = root_of(&hashes);
            for m in 0..=n {
                let first_root = root_of(&hashes[..m]);
                let path = consistency_proof(m, &hashes).unwrap();
                let (m64, n64) = (m as u64, n as u64);
                assert!(
                    verify_consistency(m64, n64, &first_root, &root, &path),
                    "{m} -> {n}"
                );
                let forged = leaf_hash(b"not in the tree");
                assert!(!verify_consistency(m64, n64, &forged, &root, &path), "{m}");
                // (The empty tree is a prefix of every tree: nothing binds the second root.)
                assert!(m == 0 || !verify_consistency(m64, n64, &first_root, &forged, &path));
                for i in 0..path.len() {
                    let mut bent = path.clone();
                    bent[i][0] ^= 1;
                    assert!(!verify_consistency(m64, n64, &first_root, &root, &bent));
                }
                // Relabelled: the same proof claimed for another first size.
                for other in (0..=n).filter(|&o| o != m) {
                    assert!(
                        !verify_consistency(other as u64, n64, &first_root, &root, &path),
                        "{m} -> {n} passed as {other} -> {n}"
                    );
                }
            }
            assert!(consistency_proof(n + 1, &hashes).is_none());
        }
    }

    /// The RFC 6962 reference tree's published consistency proofs (certificate-transparency
    /// test data), recomputed here and checked.
    #[test]
    fn the_reference_consistency_proofs_match() {
        let hashes: Vec<Hash> = CT_LEAVES
            .iter()
            .map(|l| leaf_hash(&hex::decode(l).unwrap()))
            .collect();
        let cases: [(usize, usize, &[&str]); 3] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (m, n, expected) in cases {
            let path = consistency_proof(m, &hashes[..n]).unwrap();
            let got: Vec<String> = path.iter().map(hex::encode).collect();
            assert_eq!(got, expected, "{m} -> {n}");
            assert!(verify_consistency(
                m as u64,
                n as u64,
                &root_of(&hashes[..m]),
                &root_of(&hashes[..n]),
                &path
            ));
        }
    }
}
