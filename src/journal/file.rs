//! The file journal: one writer's view of a journal file, the OS lock it holds only while
//! opening and appending, and its durable (`fsync`ed) writes.

use super::Checked;
use super::JournalRef;
use super::backend::{Backend, Batch, seal};
use super::line::check_line;
use super::read::{Chain, Plain, scan_from, verify_records};
use super::seal::seal_next;
use super::{Entry, JournalError, ReadReport, Record, Store, TornTail};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for the journal's lock unless told otherwise (DESIGN §9: the CLI's
/// `--lock-timeout` default).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting writer retries the lock.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// A journal file and its one writer's view of it. The exclusive OS lock on the file is held
/// only while the journal is opened and during each [`append`](Store::append).
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: File,
    /// Every verified record, when this journal keeps them (the [`Store`] API); empty for the
    /// [`FileBackend`]'s writer, which keeps only `tip`.
    records: Vec<Record>,
    keep_records: bool,
    /// Where the verified content ends: the next seq and the last record's hash.
    tip: Chain,
    /// Bytes of verified, durable content: the file length this writer expects.
    len: u64,
    /// The last line of that content (with its `\n`), as on disk.
    head_line: Vec<u8>,
    lock_timeout: Duration,
    poisoned: bool,
}

/// Takes `file`'s exclusive lock, retrying every [`LOCK_POLL`] for at most `timeout`.
fn lock_within(file: &File, path: &Path, timeout: Duration) -> Result<(), JournalError> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(JournalError::io(path)(e)),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(JournalError::Locked {
                path: path.to_owned(),
                waited,
            });
        }
        std::thread::sleep(LOCK_POLL.min(timeout - waited));
    }
}

impl FileJournal {
    /// Creates a new journal holding only `genesis` as record 0, durable (file and parent
    /// directory `fsync`ed) before returning. Fails with [`JournalError::AlreadyExists`] if the
    /// file exists. Later appends wait at most [`DEFAULT_LOCK_TIMEOUT`] for the lock (see
    /// [`set_lock_timeout`](Self::set_lock_timeout)).
    pub fn create(path: &Path, genesis: Entry) -> Result<FileJournal, JournalError> {
        FileJournal::create_sealed(path, &seal(None, vec![genesis])?)
    }

    /// [`create`](Self::create) from an already sealed batch starting at record 0.
    fn create_sealed(path: &Path, batch: &Batch) -> Result<FileJournal, JournalError> {
        if batch.first_seq() != 0 || batch.is_empty() {
            return Err(Batch::conflict(None, batch.head().as_ref()));
        }
        let lines = batch.bytes().to_vec();
        let records = batch.records().to_vec();
        let tip = Chain::after(&records);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => JournalError::AlreadyExists {
                    path: path.to_owned(),
                },
                _ => JournalError::io(path)(source),
            })?;
        let written = (|| {
            // Only a writer that raced to open the new, still empty file can hold the lock,
            // and it lets go as soon as it finds the file empty.
            file.lock()?;
            (&file).write_all(&lines)?;
            file.sync_all()?;
            sync_parent_dir(path)
        })();
        if let Err(source) = written {
            // Best effort: don't leave a half-made journal that blocks a retry.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(JournalError::io(path)(source));
        }
        // The journal is durable: a failure to release the lock only poisons this writer.
        let poisoned = file.unlock().is_err();
        Ok(FileJournal {
            path: path.to_owned(),
            file,
            records,
            keep_records: true,
            tip,
            len: lines.len() as u64,
            head_line: lines,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            poisoned,
        })
    }

    /// Opens an existing journal for writing: takes the exclusive lock (waiting at most
    /// `lock_timeout`, else [`JournalError::Locked`]), reads and verifies the whole file, cuts
    /// off a torn last line (and `fsync`s; the torn tail is returned) or completes an
    /// unterminated last record (appends `\n` and `fsync`s), then releases the lock. Later
    /// appends wait at most `lock_timeout` too.
    pub fn open(
        path: &Path,
        lock_timeout: Duration,
    ) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        FileJournal::open_keeping(path, lock_timeout, true)
    }

    /// [`open`](Self::open), keeping every record (`keep_records`, for the [`Store`] API) or
    /// only where the content ends (for the [`FileBackend`]: memory does not grow with the
    /// journal).
    fn open_keeping(
        path: &Path,
        lock_timeout: Duration,
        keep_records: bool,
    ) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(JournalError::io(path))?;
        let mut journal = FileJournal {
            path: path.to_owned(),
            file,
            records: Vec::new(),
            keep_records,
            tip: Chain::after(&[]),
            len: 0,
            head_line: Vec::new(),
            lock_timeout,
            poisoned: false,
        };
        let torn = journal.locked(|j| j.catch_up())?;
        if journal.tip.next_seq == 0 {
            return Err(JournalError::Empty);
        }
        Ok((journal, torn))
    }

    /// Like [`open`](Self::open), but fails with [`JournalError::Locked`] at once instead of
    /// waiting if another writer holds the lock (that is, is opening or appending right now).
    pub fn try_open(path: &Path) -> Result<(FileJournal, Option<TornTail>), JournalError> {
        Self::open(path, Duration::ZERO)
    }

    /// Reads and verifies a journal without locking or modifying it. A torn last line (e.g. a
    /// live writer's append in progress) is reported, not an error; an unterminated last record
    /// is a record, reported as [`ReadReport::unterminated`].
    pub fn read(path: &Path) -> Result<ReadReport, JournalError> {
        let file = File::open(path).map_err(JournalError::io(path))?;
        verify_records(BufReader::with_capacity(1 << 16, file)).map_err(|e| match e {
            JournalError::Io { path: None, source } => JournalError::io(path)(source),
            other => other,
        })
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long [`append`](Store::append) waits for the lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// Sets how long [`append`](Store::append) waits for the lock.
    pub fn set_lock_timeout(&mut self, lock_timeout: Duration) {
        self.lock_timeout = lock_timeout;
    }

    /// Runs `f` holding the lock. A failure to release the lock poisons the writer (dropping it
    /// closes the file, which releases the lock), but does not hide `f`'s result: an append
    /// that is durable is reported as such.
    fn locked<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        lock_within(&self.file, &self.path, self.lock_timeout)?;
        let result = f(self);
        if self.file.unlock().is_err() {
            self.poisoned = true;
        }
        result
    }

    /// Under the lock: brings this writer up to date with the file. Checks that the content it
    /// verified is still there, reads and verifies whatever was appended after it (adding those
    /// records), cuts off a torn tail or completes an unterminated last record. Returns the torn
    /// tail it cut off, if any.
    fn catch_up(&mut self) -> Result<Option<TornTail>, JournalError> {
        let on_disk = self
            .file
            .metadata()
            .map_err(JournalError::io(&self.path))?
            .len();
        let modified = JournalError::Modified {
            expected_len: self.len,
            actual_len: on_disk,
        };
        if on_disk < self.len {
            return Err(modified);
        }
        if !self.keep_records && self.len == 0 {
            self.start_at_last_line(on_disk)?;
        }
        if !self.head_line.is_empty() {
            // The last line this writer verified must still end where it ended. (A full
            // re-verification of the prefix is `verify`'s job; this catches a rewritten tail.)
            let mut found = vec![0; self.head_line.len()];
            (&self.file)
                .seek(SeekFrom::Start(self.len - found.len() as u64))
                .and_then(|_| (&self.file).read_exact(&mut found))
                .map_err(JournalError::io(&self.path))?;
            if found != self.head_line {
                return Err(modified);
            }
        }
        if on_disk == self.len {
            return Ok(None);
        }
        (&self.file)
            .seek(SeekFrom::Start(self.len))
            .map_err(JournalError::io(&self.path))?;
        let mut chain = self.tip.clone();
        let mut new = Vec::new();
        let keep = self.keep_records;
        let mut tail = scan_from(
            BufReader::with_capacity(1 << 16, &self.file),
            Some(&self.path),
            &mut chain,
            self.len,
            &Plain,
            |c: Checked<'_>, ()| {
                if keep {
                    new.push(c.into_record());
                }
                Ok::<(), JournalError>(())
            },
        )?;
        if chain.next_seq == 0 {
            // Not even a genesis: leave the file as it is.
            return Err(JournalError::Empty);
        }
        self.records.extend(new);
        self.tip = chain;
        self.len += tail.len;
        if !tail.last_line.is_empty() {
            self.head_line = std::mem::take(&mut tail.last_line);
        }
        let fixed = if tail.torn_tail.is_some() {
            // Never acknowledged: cut it off durably before anything is appended after it.
            self.file
                .set_len(self.len)
                .and_then(|()| self.file.sync_all())
        } else if tail.unterminated {
            // Possibly acknowledged: complete it, never drop it.
            (&self.file)
                .write_all(b"\n")
                .and_then(|()| self.file.sync_data())
        } else {
            Ok(())
        };
        if let Err(source) = fixed {
            self.poisoned = true;
            return Err(JournalError::io(&self.path)(source));
        }
        if tail.unterminated {
            self.len += 1;
            self.head_line.push(b'\n');
        }
        Ok(tail.torn_tail)
    }

    /// For a writer that keeps no records ([`FileBackend`]), opening: skip straight to the last
    /// complete line instead of verifying every line, which the reader that opens the case
    /// (`CaseStore::new` replays the journal from record 0) verifies anyway. The last complete
    /// line is fully checked (canonical form and hash) and gives where the chain ends; the
    /// scan that follows re-checks it and classifies whatever follows it (a torn tail or an
    /// unterminated record) as usual. Any doubt (no complete line, a last line that does not
    /// check) leaves the offset at 0, so the full scan decides and explains.
    fn start_at_last_line(&mut self, on_disk: u64) -> Result<(), JournalError> {
        let mut window = (256 * 1024).min(on_disk);
        loop {
            let mut tail = vec![0; window as usize];
            (&self.file)
                .seek(SeekFrom::Start(on_disk - window))
                .and_then(|_| (&self.file).read_exact(&mut tail))
                .map_err(JournalError::io(&self.path))?;
            let Some(end) = tail.iter().rposition(|&b| b == b'\n') else {
                return Ok(());
            };
            let start = match tail[..end].iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if window < on_disk => {
                    window = (window * 2).min(on_disk);
                    continue;
                }
                None => 0,
            };
            let Ok(last) = check_line(&tail[start..end]) else {
                return Ok(());
            };
            self.tip = Chain {
                next_seq: last.raw.seq,
                prev: last.raw.prev.clone(),
            };
            self.len = on_disk - window + start as u64;
            return Ok(());
        }
    }

    /// Under the lock: catches up, then appends unless someone else appended first.
    fn append_locked(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        self.catch_up()?;
        let batch = Batch::from_sealed(seal_next(self, expected_seq, entries)?);
        self.write_batch(&batch)?;
        Ok(batch.into_records())
    }

    /// Under the lock: writes a sealed batch after the verified content with one write and one
    /// `fsync` (group commit).
    fn write_batch(&mut self, batch: &Batch) -> Result<(), JournalError> {
        let lines = batch.bytes();
        if lines.is_empty() {
            return Ok(());
        }
        if let Err(source) = (&self.file)
            .write_all(lines)
            .and_then(|()| self.file.sync_data())
        {
            // Part of the batch may be on disk; only a re-open can tell.
            self.poisoned = true;
            return Err(JournalError::io(&self.path)(source));
        }
        self.len += lines.len() as u64;
        let last_start = lines[..lines.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.head_line = lines[last_start..].to_vec();
        if self.keep_records {
            self.records.extend(batch.records().iter().cloned());
        }
        if let Some(head) = batch.head() {
            self.tip = Chain {
                next_seq: head.seq + 1,
                prev: Some(head.head),
            };
        }
        Ok(())
    }

    /// Appends a batch sealed against `after` if the journal's head is still `after` (the
    /// [`Backend`] compare-and-set), under the lock and after catching up.
    fn append_sealed(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned {
                path: self.path.clone(),
            });
        }
        self.locked(|j| {
            j.catch_up()?;
            let head = j.tip.head();
            if head.as_ref() != after {
                return Err(Batch::conflict(after, head.as_ref()));
            }
            j.write_batch(batch)
        })
    }
}

impl Store for FileJournal {
    fn records(&self) -> &[Record] {
        &self.records
    }

    fn next_seq(&self) -> u64 {
        self.tip.next_seq
    }

    fn append(
        &mut self,
        expected_seq: u64,
        entries: Vec<Entry>,
    ) -> Result<Vec<Record>, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned {
                path: self.path.clone(),
            });
        }
        self.locked(|j| j.append_locked(expected_seq, entries))
    }
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// The file journal as a [`Backend`]: a journal file at a path, opened as a writer on the first
/// append (or by [`open`](FileBackend::open)), read without a lock.
#[derive(Debug)]
pub struct FileBackend {
    path: PathBuf,
    lock_timeout: Duration,
    journal: Option<FileJournal>,
}

impl FileBackend {
    /// The journal file at `path` (which need not exist yet: the first append, of record 0,
    /// creates it). Appends wait at most [`DEFAULT_LOCK_TIMEOUT`] for the lock.
    pub fn new(path: impl Into<PathBuf>) -> FileBackend {
        FileBackend {
            path: path.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            journal: None,
        }
    }

    /// Sets how long an append waits for another writer's lock before
    /// [`JournalError::Locked`].
    pub fn with_lock_timeout(mut self, lock_timeout: Duration) -> FileBackend {
        self.lock_timeout = lock_timeout;
        if let Some(j) = &mut self.journal {
            j.set_lock_timeout(lock_timeout);
        }
        self
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the existing journal as a writer now, as [`FileJournal::open`] does (it waits for
    /// the lock, cuts off a torn tail or completes an unterminated last record, and returns the
    /// torn tail it cut off, if any) — but it checks only the last complete record, which gives
    /// where the chain ends: as for every backend, the lines themselves are verified by their
    /// reader (`CaseStore::new` replays the journal from record 0 before anything is appended).
    pub fn open(&mut self) -> Result<Option<TornTail>, JournalError> {
        let (journal, torn) = FileJournal::open_keeping(&self.path, self.lock_timeout, false)?;
        self.journal = Some(journal);
        Ok(torn)
    }
}

impl FileBackend {
    /// Where this writer's journal ends, as it last saw it: the last record and the offset at
    /// which its line starts (`None` until the journal is opened or created).
    pub(crate) fn head_line(&self) -> Option<(JournalRef, u64)> {
        let j = self.journal.as_ref()?;
        Some((j.tip.head()?, j.len - j.head_line.len() as u64))
    }

    /// Bytes of verified content as this writer last saw them (`None` until the journal is
    /// opened or created).
    pub(crate) fn content_len(&self) -> Option<u64> {
        self.journal.as_ref().map(|j| j.len)
    }
}

impl Backend for FileBackend {
    fn head_offset(&self) -> Option<u64> {
        self.head_line().map(|(_, offset)| offset)
    }

    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let file = File::open(&self.path).map_err(JournalError::io(&self.path))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        match &self.journal {
            // Catching up from this writer's own head: start where its content ends.
            Some(j) if from == j.tip.next_seq => {
                reader
                    .seek(SeekFrom::Start(j.len))
                    .map_err(JournalError::io(&self.path))?;
            }
            _ => {
                let mut skipped = Vec::new();
                for _ in 0..from {
                    skipped.clear();
                    let n = reader
                        .read_until(b'\n', &mut skipped)
                        .map_err(JournalError::io(&self.path))?;
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        Ok(Box::new(reader))
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        match (&mut self.journal, after) {
            (Some(journal), _) => journal.append_sealed(after, batch),
            (None, None) => {
                let mut journal = FileJournal::create_sealed(&self.path, batch)?;
                journal.set_lock_timeout(self.lock_timeout);
                journal.keep_records = false;
                journal.records = Vec::new();
                self.journal = Some(journal);
                Ok(())
            }
            (None, Some(_)) => {
                self.open()?;
                self.append_batch(after, batch)
            }
        }
    }
}
