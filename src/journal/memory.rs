//! The in-memory journal.

use super::JournalRef;
use super::backend::{Backend, Batch, head_of};
use super::read::verify_records;
use super::seal::{encode_lines, seal_batch};
use super::{Entry, JournalError, ReadReport, Record, TornTail};
use std::io::{BufRead, Cursor};

/// An in-memory [`Backend`], for tests and embedders: it may start empty
/// ([`MemoryJournal::default`]) until record 0 is appended, or hold a genesis
/// ([`MemoryJournal::new`]) or verified JSON lines ([`MemoryJournal::from_jsonl`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryJournal {
    records: Vec<Record>,
    /// The snapshots writers left, one per checkpoint (as a store keeps them).
    snapshots: Vec<super::StoredSnapshot>,
}

impl MemoryJournal {
    /// A journal holding only `genesis` as record 0.
    pub fn new(genesis: Entry) -> Result<MemoryJournal, JournalError> {
        Ok(MemoryJournal {
            records: seal_batch(None, vec![genesis])?
                .records
                .expect("sealed from values"),
            snapshots: Vec::new(),
        })
    }

    /// Loads and verifies JSON lines (with [`verify_records`]); a torn tail is dropped and
    /// reported, an unterminated last record kept.
    pub fn from_jsonl(bytes: &[u8]) -> Result<(MemoryJournal, Option<TornTail>), JournalError> {
        let ReadReport {
            records, torn_tail, ..
        } = verify_records(bytes)?;
        Ok((
            MemoryJournal {
                records,
                snapshots: Vec::new(),
            },
            torn_tail,
        ))
    }

    /// The journal as JSON lines, byte-identical to what a [`FileBackend`](super::FileBackend) writes.
    pub fn to_jsonl(&self) -> Result<Vec<u8>, JournalError> {
        let mut buf = Vec::new();
        encode_lines(&self.records, &mut buf)?;
        Ok(buf)
    }
}

impl MemoryJournal {
    /// All records, in order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

impl MemoryJournal {
    /// The snapshots writers stored, oldest first (tests edit them to play an attacker).
    pub fn snapshots_mut(&mut self) -> &mut Vec<super::StoredSnapshot> {
        &mut self.snapshots
    }
}

impl Backend for MemoryJournal {
    fn save_snapshot(&mut self, snapshot: &super::StoredSnapshot) -> Result<(), JournalError> {
        self.snapshots.push(snapshot.clone());
        Ok(())
    }

    fn latest_snapshot(&mut self) -> Result<Option<super::StoredSnapshot>, JournalError> {
        Ok(self.snapshots.last().cloned())
    }

    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        encode_lines(self.records.get(from..).unwrap_or_default(), &mut bytes)?;
        Ok(Box::new(Cursor::new(bytes)))
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        let head = head_of(&self.records);
        if head.as_ref() != after {
            return Err(Batch::conflict(after, head.as_ref()));
        }
        self.records.extend(batch.records().iter().cloned());
        Ok(())
    }
}
