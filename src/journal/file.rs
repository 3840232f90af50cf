//! The file journal: one writer's view of a journal file, the OS lock it holds only while
//! opening and appending, and its durable (`fsync`ed) writes.

use super::Checked;
use super::JournalRef;
use super::backend::{Backend, Batch};
use super::line::check_line;
use super::read::{Chain, Plain, scan_from};
use super::{JournalError, TornTail};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for the journal's lock unless told otherwise (DESIGN §9: the CLI's
/// `--lock-timeout` default).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting writer retries the lock.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// A [`FileBackend`]'s writer: the journal file and this writer's view of where its verified
/// content ends (never the records: memory does not grow with the journal). The exclusive OS
/// lock on the file is held only while the journal is opened and during each append.
#[derive(Debug)]
pub(super) struct Writer {
    path: PathBuf,
    file: File,
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

impl Writer {
    /// Creates a new journal holding `batch` (which starts at record 0), durable (file and
    /// parent directory `fsync`ed) before returning; [`JournalError::AlreadyExists`] if the
    /// file exists.
    fn create(path: &Path, batch: &Batch, lock_timeout: Duration) -> Result<Writer, JournalError> {
        if batch.first_seq() != 0 || batch.is_empty() {
            return Err(Batch::conflict(None, batch.head().as_ref()));
        }
        let lines = batch.bytes().to_vec();
        let tip = Chain::after(batch.records());
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
        Ok(Writer {
            path: path.to_owned(),
            file,
            tip,
            len: lines.len() as u64,
            head_line: lines,
            lock_timeout,
            poisoned,
        })
    }

    /// Opens an existing journal for writing: takes the exclusive lock (waiting at most
    /// `lock_timeout`, else [`JournalError::Locked`]), finds where the chain ends from the last
    /// complete record ([`Writer::start_at_last_line`]), cuts off a torn last line (and
    /// `fsync`s; the torn tail is returned) or completes an unterminated last record (appends
    /// `\n` and `fsync`s), then releases the lock. Later appends wait at most `lock_timeout`
    /// too.
    fn open(
        path: &Path,
        lock_timeout: Duration,
    ) -> Result<(Writer, Option<TornTail>), JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(JournalError::io(path))?;
        let mut journal = Writer {
            path: path.to_owned(),
            file,
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
    /// verified is still there, reads and verifies whatever was appended after it, cuts off a torn tail or completes an unterminated last record. Returns the torn
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
        if self.len == 0 {
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
        let mut tail = scan_from(
            BufReader::with_capacity(1 << 16, &self.file),
            Some(&self.path),
            &mut chain,
            self.len,
            &Plain,
            |_: Checked<'_>, ()| Ok::<(), JournalError>(()),
        )?;
        if chain.next_seq == 0 {
            // Not even a genesis: leave the file as it is.
            return Err(JournalError::Empty);
        }
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

    /// Opening: skip straight to the last
    /// complete line instead of verifying every line, which the reader that opens the case
    /// (`CaseStore::open` replays the journal from record 0) verifies anyway. The last complete
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
    journal: Option<Writer>,
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
            j.lock_timeout = lock_timeout;
        }
        self
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the existing journal as a writer now: waits for the lock, cuts off a torn tail or
    /// completes an unterminated last record, and returns the torn tail it cut off, if any. It
    /// checks only the last complete record, which gives where the chain ends: as for every
    /// backend, the lines themselves are verified by their reader (a `CaseStore` replays the
    /// journal from record 0 before anything is appended; [`read_file`](super::read_file)
    /// verifies a file on its own).
    pub fn open(&mut self) -> Result<Option<TornTail>, JournalError> {
        let (journal, torn) = Writer::open(&self.path, self.lock_timeout)?;
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
                self.journal = Some(Writer::create(&self.path, batch, self.lock_timeout)?);
                Ok(())
            }
            (None, Some(_)) => {
                self.open()?;
                self.append_batch(after, batch)
            }
        }
    }
}
