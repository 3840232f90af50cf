//! The in-memory journal.

use super::read::verify_records;
use super::seal::{encode_lines, seal_batch, seal_next};
use super::{Entry, JournalError, ReadReport, Record, Store, TornTail};

/// An in-memory journal with the same [`Store`] behaviour, for tests and embedders.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryJournal {
    records: Vec<Record>,
}

impl MemoryJournal {
    /// A journal holding only `genesis` as record 0.
    pub fn new(genesis: Entry) -> Result<MemoryJournal, JournalError> {
        Ok(MemoryJournal {
            records: seal_batch(None, vec![genesis])?.records,
        })
    }

    /// Loads and verifies JSON lines (with [`verify_records`]); a torn tail is dropped and
    /// reported, an unterminated last record kept.
    pub fn from_jsonl(bytes: &[u8]) -> Result<(MemoryJournal, Option<TornTail>), JournalError> {
        let ReadReport {
            records, torn_tail, ..
        } = verify_records(bytes)?;
        Ok((MemoryJournal { records }, torn_tail))
    }

    /// The journal as JSON lines, byte-identical to what a [`FileJournal`](super::FileJournal) writes.
    pub fn to_jsonl(&self) -> Result<Vec<u8>, JournalError> {
        let mut buf = Vec::new();
        encode_lines(&self.records, &mut buf)?;
        Ok(buf)
    }
}

impl Store for MemoryJournal {
    fn records(&self) -> &[Record] {
        &self.records
    }

    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        let new = seal_next(self, expected_seq, entries)?.records;
        self.records.extend(new.iter().cloned());
        Ok(new)
    }
}
