//! Where a journal's bytes live: the [`Backend`] trait, the sealed [`Batch`] a backend stores,
//! and the [`seal`] that makes one.
//!
//! The split is deliberate: a backend only stores and returns bytes. Everything that makes a
//! journal trustworthy — hash chaining, RFC 8785 canonical lines, the I-JSON and time checks
//! on the way in, the verification of every line on the way out — stays in this crate, so no
//! backend can get it wrong and a hostile or buggy one can at worst refuse service or be caught
//! tampering.

use super::seal::{Sealed, seal_batch, seal_encoded_batch};
use super::{Entry, JournalError, Record};
use crate::digest::Digest;
use chrono::{DateTime, Utc};
use std::io::BufRead;
use std::sync::OnceLock;

/// Where a record sits in the case's journal: a relying party keeps it and later passes it as
/// `--expect-head SEQ:HASH`, so a journal cut back before it is detected (DESIGN §12.2).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct JournalRef {
    /// The record's seq.
    pub seq: u64,
    /// The record's hash.
    pub head: Digest,
}

/// Storage for one case's journal.
///
/// A backend holds the case's records as the canonical lines this crate seals ([`Batch`]) —
/// byte for byte what the file journal holds — and hands them back in seq order. It never
/// builds or checks a record itself: [`CaseStore`](crate::store::CaseStore) seals every batch
/// before [`append_batch`](Backend::append_batch) and verifies every line [`read_from`](Backend::read_from)
/// returns (canonical form, hash, chain, then a replay of every event).
///
/// # The append is a compare-and-set
///
/// `append_batch(after, batch)` must store the whole batch atomically *if and only if* the journal's
/// last record is still `after` (`None`: the journal is empty and the batch holds record 0).
/// Otherwise it stores nothing and fails with [`JournalError::Conflict`] (another writer won
/// the race; `CaseStore` then reads the new records, decides its commands again against the
/// new state, and retries) — or with [`JournalError::AlreadyExists`] when `after` is `None`
/// and the case already has records. A backend may be shared by any number of writers in any
/// number of processes; the compare-and-set is what keeps them from forking the chain.
///
/// An append that returns `Ok` must be durable: the caller acknowledges the batch's commands
/// as soon as it returns.
///
/// # Room for snapshots
///
/// Snapshots of the case state (DESIGN §14) will be added as provided methods with defaults
/// (a backend that stores none keeps compiling and keeps working: the case is replayed).
///
/// # Implementing it
///
/// ```
/// use authority_lane::journal::{Backend, Batch, JournalError};
/// use authority_lane::packet::JournalRef;
/// use std::io::{BufRead, Cursor};
///
/// /// Every line in a vector: the smallest correct backend.
/// #[derive(Default)]
/// struct Lines(Vec<(JournalRef, Vec<u8>)>);
///
/// impl Backend for Lines {
///     fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
///         let mut bytes = Vec::new();
///         for (_, line) in self.0.iter().skip(from as usize) {
///             bytes.extend_from_slice(line);
///             bytes.push(b'\n');
///         }
///         Ok(Box::new(Cursor::new(bytes)))
///     }
///
///     fn append_batch(&mut self, after: Option<&JournalRef>, batch: &Batch) -> Result<(), JournalError> {
///         let head = self.0.last().map(|(head, _)| head);
///         if head != after {
///             return Err(Batch::conflict(after, head));
///         }
///         for (at, line) in batch.lines() {
///             self.0.push((at, line.to_vec()));
///         }
///         Ok(())
///     }
/// }
/// # fn main() {}
/// ```
///
/// (`examples/custom_backend.rs` drives a whole case through such a backend.)
pub trait Backend {
    /// The stored lines from seq `from` on, in seq order, each followed by `\n`, as one byte
    /// stream (a file backend may end it with a torn last line a crashed writer left; the
    /// reader recognises and skips it). An empty stream when `from` is past the last record.
    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError>;

    /// Stores `batch` after `after` as one atomic, durable compare-and-set (see the trait
    /// docs).
    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError>;

    /// The backend's own clock, if it keeps the case clock (PostgreSQL: the server's
    /// `clock_timestamp()`, DESIGN §12.3). `None` (the default): the writing process's
    /// system clock is the case clock.
    fn time_of_record(&mut self) -> Result<Option<DateTime<Utc>>, JournalError> {
        Ok(None)
    }

    /// The case id the backend holds its records under, if it names cases (a store's rows
    /// keyed by case id); a file names none. Opening a case checks that record 0 declares
    /// this id (`case_mismatch`, DESIGN §12.6): rows copied under another case's name are
    /// refused, not read as that case.
    fn case_name(&self) -> Option<&str> {
        None
    }

    /// The stored lines with seq in `from..to`, as [`read_from`](Backend::read_from) gives
    /// them. The default reads from `from` and stops after `to - from` lines; a store should
    /// ask for just those rows (opening a case from a snapshot reads record 0 and the
    /// checkpoint this way, never the records between).
    fn read_range(&mut self, from: u64, to: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let mut reader = self.read_from(from)?;
        let mut lines = Vec::new();
        for _ in from..to {
            let n = reader
                .read_until(b'\n', &mut lines)
                .map_err(|source| JournalError::Io { path: None, source })?;
            if n == 0 {
                break;
            }
        }
        Ok(Box::new(std::io::Cursor::new(lines)))
    }

    /// Keeps a snapshot of the case at a checkpoint, for a backend that stores them itself (a
    /// PostgreSQL row per checkpoint). A cache: the default keeps nothing, and a failure loses
    /// nothing (writers ignore it).
    fn save_snapshot(&mut self, snapshot: &StoredSnapshot) -> Result<(), JournalError> {
        let _ = snapshot;
        Ok(())
    }

    /// The latest snapshot the backend stores, if any (`None`, the default, for a backend that
    /// keeps none). Never trusted as it stands: opening checks it against its checkpoint.
    fn latest_snapshot(&mut self) -> Result<Option<StoredSnapshot>, JournalError> {
        Ok(None)
    }

    /// Where the line of the last record this backend wrote or read starts, for a backend that
    /// is one byte stream (a journal file): what a snapshot beside it records. `None` (the
    /// default) for any other.
    fn head_offset(&self) -> Option<u64> {
        None
    }
}

impl<B: Backend + ?Sized> Backend for Box<B> {
    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        (**self).read_from(from)
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        (**self).append_batch(after, batch)
    }

    fn time_of_record(&mut self) -> Result<Option<DateTime<Utc>>, JournalError> {
        (**self).time_of_record()
    }

    fn case_name(&self) -> Option<&str> {
        (**self).case_name()
    }

    fn head_offset(&self) -> Option<u64> {
        (**self).head_offset()
    }

    fn read_range(&mut self, from: u64, to: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        (**self).read_range(from, to)
    }

    fn save_snapshot(&mut self, snapshot: &StoredSnapshot) -> Result<(), JournalError> {
        (**self).save_snapshot(snapshot)
    }

    fn latest_snapshot(&mut self) -> Result<Option<StoredSnapshot>, JournalError> {
        (**self).latest_snapshot()
    }
}

/// A snapshot a backend stores itself: the case state at one checkpoint record, as the bytes
/// whose digest that record carries. Storage keeps it as bytes; the store checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The checkpoint record's seq.
    pub seq: u64,
    /// The checkpoint record's hash.
    pub head: Digest,
    /// Records up to and including it whose time of record was supplied.
    pub supplied_clock: u64,
    /// The case state's RFC 8785 image (its SHA-256 is the checkpoint's `state`).
    pub image: Vec<u8>,
}

/// Sealed records ready for a [`Backend`]: each one's canonical line, chained after the head
/// the batch was sealed against. Only [`seal`] makes one.
#[derive(Debug)]
pub struct Batch {
    /// Each record's seq and hash.
    heads: Vec<(u64, Digest)>,
    /// The records as values: made by [`seal`]; for a batch of events sealed from their
    /// canonical bytes ([`seal_encoded`]), parsed from the lines when first asked for (a file
    /// journal written through a [`CaseStore`](crate::store::CaseStore) never asks).
    records: OnceLock<Vec<Record>>,
    /// Every line, each ending in `\n`.
    bytes: Vec<u8>,
    /// End offset (after the `\n`) of each line in `bytes`.
    ends: Vec<usize>,
}

impl Batch {
    /// The records, as parsed values.
    pub fn records(&self) -> &[Record] {
        self.records.get_or_init(|| self.parse_records())
    }

    /// The records, parsed back from the lines this crate just sealed.
    fn parse_records(&self) -> Vec<Record> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| {
                super::line::check_line(&self.bytes[start..end - 1])
                    .expect("a line this crate sealed is canonical")
                    .into_record()
            })
            .collect()
    }

    /// Each record's position (seq and hash) and canonical line, without its `\n`: what a
    /// row-per-record backend stores.
    pub fn lines(&self) -> impl Iterator<Item = (JournalRef, &[u8])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.heads
            .iter()
            .zip(starts.zip(&self.ends))
            .map(|((seq, hash), (start, &end))| {
                (
                    JournalRef {
                        seq: *seq,
                        head: hash.clone(),
                    },
                    &self.bytes[start..end - 1],
                )
            })
    }

    /// All lines, each ending in `\n`: what a file backend writes with one `write`.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The seq the batch's first record has.
    pub fn first_seq(&self) -> u64 {
        self.heads.first().map_or(0, |(seq, _)| *seq)
    }

    /// The batch's last record's position: the journal's head once it is stored.
    pub fn head(&self) -> Option<JournalRef> {
        self.heads.last().map(|(seq, hash)| JournalRef {
            seq: *seq,
            head: hash.clone(),
        })
    }

    /// The position of the batch's `i`-th record (from 0), if it has one.
    pub fn record_ref(&self, i: usize) -> Option<JournalRef> {
        self.heads.get(i).map(|(seq, hash)| JournalRef {
            seq: *seq,
            head: hash.clone(),
        })
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// Takes the records out (after a successful append).
    pub fn into_records(mut self) -> Vec<Record> {
        self.records();
        self.records.take().unwrap_or_default()
    }

    /// Each record's seq and hash, and the lines' buffer (for [`seal_encoded`] to reuse).
    pub(crate) fn into_lines(self) -> (Vec<(u64, Digest)>, Vec<u8>) {
        (self.heads, self.bytes)
    }

    /// The conflict a compare-and-set reports when the caller expected `expected` as the head
    /// and the backend holds `actual`.
    pub fn conflict(expected: Option<&JournalRef>, actual: Option<&JournalRef>) -> JournalError {
        JournalError::Conflict {
            expected: expected.map_or(0, |h| h.seq + 1),
            actual: actual.map_or(0, |h| h.seq + 1),
        }
    }

    pub(super) fn from_sealed(sealed: Sealed) -> Batch {
        let Sealed {
            heads,
            records,
            lines,
            ends,
        } = sealed;
        Batch {
            heads,
            records: records.map_or_else(OnceLock::new, OnceLock::from),
            bytes: lines,
            ends,
        }
    }
}

/// Seals `entries` into canonical, hash-chained records following `after` (`None`: record 0
/// first). Every entry is checked first (an object event, I-JSON numbers, a time RFC 3339 can
/// carry); nothing is sealed if one fails.
pub fn seal(after: Option<&JournalRef>, entries: Vec<Entry>) -> Result<Batch, JournalError> {
    let head = after.map(|h| (h.seq, &h.head));
    seal_batch(head, entries).map(Batch::from_sealed)
}

/// [`seal`] for events a case decided, given as their RFC 8785 bytes (a case serialises its
/// typed events canonically: fixed ASCII member names, I-JSON integers), so that no JSON value is
/// built for them; debug builds check each is canonical. The lines are written into `buffer`,
/// which [`Batch::into_lines`] gives back; the batch's [`records`](Batch::records) are parsed
/// from its lines only if a backend asks for them.
pub(crate) fn seal_encoded(
    after: Option<&JournalRef>,
    events: &[(DateTime<Utc>, Vec<u8>)],
    buffer: Vec<u8>,
) -> Result<Batch, JournalError> {
    let head = after.map(|h| (h.seq, &h.head));
    seal_encoded_batch(head, events, buffer).map(Batch::from_sealed)
}

/// The head a journal holds after `records`.
pub(super) fn head_of(records: &[Record]) -> Option<JournalRef> {
    records.last().map(|r| JournalRef {
        seq: r.seq,
        head: r.hash.clone(),
    })
}
