//! The index's arithmetic against the tree, and its proofs against the reference proofs.

use super::*;
use crate::lineage::merkle::{
    CompactRange, consistency_proof, inclusion_proof, leaf_hash, root_of,
};
use quickcheck::{QuickCheck, TestResult};

/// A path in the temporary directory where no file is yet (the index is created exclusively),
/// removed when dropped.
fn fresh_path() -> tempfile::TempPath {
    let path = tempfile::NamedTempFile::new()
        .expect("a temporary file")
        .into_temp_path();
    std::fs::remove_file(&path).expect("removed, to be created again");
    path
}

/// An index of `n` leaves written through the writer (offset = leaf number), its leaves.
fn build(n: u64) -> (tempfile::TempPath, Vec<Hash>) {
    let file = fresh_path();
    let mut writer = IndexWriter::create(&file).expect("created");
    let mut tree = CompactRange::new();
    let mut leaves = Vec::new();
    for i in 0..n {
        let leaf = leaf_hash(&i.to_le_bytes());
        leaves.push(leaf);
        let mut nodes = Vec::new();
        tree.push_logging(leaf, |h| nodes.push(*h));
        writer.push(&nodes, i).expect("written");
    }
    writer.flush().expect("flushed");
    (file, leaves)
}

fn index_matches_the_tree(n: u16) -> TestResult {
    let n = u64::from(n % 300);
    let (file, leaves) = build(n);
    let len = std::fs::metadata(&*file).expect("exists").len();
    if len != slots(n) * SLOT {
        return TestResult::error(format!("{n} leaves: {len} bytes"));
    }
    let slots = Slots {
        file: File::open(&*file).expect("opens"),
    };
    for i in 0..n {
        let (leaf, offset) = slots.read(node_slot(0, i)).expect("a leaf slot");
        if leaf != leaves[i as usize] || offset != i {
            return TestResult::error(format!("leaf {i} of {n} is not in its slot"));
        }
        let mut path = Vec::new();
        slots.path(i, 0, n, &mut path).expect("a path");
        if Some(path) != inclusion_proof(i as usize, &leaves) {
            return TestResult::error(format!("the path of {i} in {n} differs"));
        }
    }
    if n > 0 && slots.root(0, n).expect("a root") != root_of(&leaves) {
        return TestResult::error(format!("the root of {n} differs"));
    }
    for m in 1..n {
        let mut path = Vec::new();
        slots
            .subproof(m, 0, n, true, &mut path)
            .expect("a consistency path");
        if Some(path) != consistency_proof(m as usize, &leaves) {
            return TestResult::error(format!("the consistency path of {m} in {n} differs"));
        }
    }
    TestResult::passed()
}

#[test]
fn every_node_sits_where_the_arithmetic_says_and_paths_match_rfc_9162() {
    QuickCheck::new()
        .tests(60)
        .quickcheck(index_matches_the_tree as fn(u16) -> TestResult);
    for n in [1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257] {
        assert!(!index_matches_the_tree(n).is_failure(), "{n}");
    }
}

#[test]
fn a_push_with_the_wrong_number_of_nodes_is_refused() {
    let file = fresh_path();
    let mut writer = IndexWriter::create(&file).expect("created");
    let leaf = leaf_hash(b"x");
    writer
        .push(&[leaf], 0)
        .expect("the first leaf completes nothing");
    assert!(
        writer.push(&[leaf], 1).is_err(),
        "the second completes a pair"
    );
}

#[test]
fn an_index_out_of_step_is_not_extended() {
    let (file, _) = build(5);
    assert!(IndexWriter::extend(&file, 5).expect("reads").is_some());
    assert!(IndexWriter::extend(&file, 4).expect("reads").is_none());
    assert!(IndexWriter::extend(&file, 6).expect("reads").is_none());
}

/// A case written through a file-journal writer: findings in several batches, with the writer
/// dropped and resumed (from its snapshot) half-way. Returns the journal and every leaf.
fn written_case(n: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<Hash>) {
    use crate::store::{Anchors, CaseStore, Clock, replay_reader_each};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("case.jsonl");
    let mut h = crate::testing::Harness::new();
    let (workflow, trust) = h.case.shared();
    let token = h.case.genesis().token.clone();
    let mut store = CaseStore::create_file(&path, workflow, trust, &token, Clock::Supplied(h.now))
        .expect("the declaration opens the case");
    let mut sent = 0;
    while sent < n {
        if sent >= n / 2 && sent < n / 2 + 5 {
            store.save_snapshot().expect("saved");
            drop(store);
            store =
                CaseStore::open_file(&path, Anchors::default(), Clock::System, Default::default())
                    .expect("resumes")
                    .0;
        }
        let batch: Vec<_> = (0..5.min(n - sent))
            .map(|i| {
                h.finding(
                    "lineage.internal_packages_in_window",
                    serde_json::json!(sent + i),
                )
            })
            .collect();
        store.set_clock(Clock::Supplied(h.now));
        let s = store.submit(&batch).expect("stored");
        assert!(s.rejected.is_none(), "{:?}", s.rejected);
        h.case = store.case().clone();
        sent += batch.len();
    }
    let file = std::io::BufReader::new(File::open(&path).expect("the journal"));
    let mut leaves = Vec::new();
    replay_reader_each(file, Anchors::default(), |case| {
        if let Some(e) = case.evidence().last()
            && e.index == leaves.len() as u64
        {
            leaves.push(e.leaf());
        }
        Ok(())
    })
    .expect("replays");
    (dir, path, leaves)
}

fn replayed(path: &Path) -> Case {
    crate::store::replay_file(path, crate::store::Anchors::default())
        .expect("replays")
        .case
}

#[test]
fn the_index_a_writer_keeps_proves_every_finding() {
    let (_dir, path, leaves) = written_case(23);
    let case = replayed(&path);
    assert_eq!(case.evidence().count(), 23);
    for i in 0..23 {
        let (entry, proof) = prove(&path, &case, i).unwrap_or_else(|| panic!("no proof of {i}"));
        assert_eq!(entry.index, i);
        assert_eq!(entry.leaf(), leaves[i as usize]);
        assert_eq!(Some(proof), inclusion_proof(i as usize, &leaves));
    }
    assert!(prove(&path, &case, 23).is_none(), "out of range");
}

#[test]
fn a_damaged_index_gives_no_proof_and_a_full_replay_rebuilds_it() {
    let (_dir, path, _) = written_case(12);
    let case = replayed(&path);
    let index = index_path(&path);
    let original = std::fs::read(&index).expect("the index");
    // Every byte matters: a changed hash fails the leaf or the root, a changed offset points
    // at another record (or none).
    let leaf_slots: Vec<u64> = (0..12).map(|i| node_slot(0, i)).collect();
    for at in (0..original.len()).step_by(7) {
        let slot = at as u64 / SLOT;
        if at as u64 % SLOT >= 32 && !leaf_slots.contains(&slot) {
            continue; // an interior node's offset field: never read
        }
        let mut bytes = original.clone();
        bytes[at] ^= 0x20;
        std::fs::write(&index, &bytes).expect("written");
        let proofs: Vec<_> = (0..12).filter_map(|i| prove(&path, &case, i)).collect();
        assert!(
            proofs.len() < 12,
            "byte {at} (slot {slot}) changed and every proof held"
        );
    }
    std::fs::write(&index, &original[..original.len() - 1]).expect("cut short");
    assert!(
        prove(&path, &case, 0).is_none(),
        "an index out of step is not read"
    );
    std::fs::remove_file(&index).expect("removed");
    assert!(prove(&path, &case, 0).is_none());
    crate::store::replay_file_rebuilding_snapshot(&path, crate::store::Anchors::default())
        .expect("replays");
    assert!(!index.exists(), "verify's replay leaves the index alone");
    crate::store::replay_file_rebuilding_index(&path, crate::store::Anchors::default())
        .expect("replays");
    assert_eq!(std::fs::read(&index).expect("rebuilt"), original);
}
