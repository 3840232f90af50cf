//! The PostgreSQL backend (feature `postgres`): many writers, in many processes on many
//! machines, on one case.
//!
//! # Table
//!
//! One table, created by an idempotent migration the first time a backend connects (under a
//! transaction-scoped advisory lock, so concurrent first connections do not race):
//!
//! ```sql
//! CREATE TABLE authority_lane_journal (
//!     case_id text   NOT NULL,
//!     seq     bigint NOT NULL CHECK (seq >= 0),
//!     hash    text   NOT NULL,
//!     line    bytea  NOT NULL,   -- the record's canonical line, without its "\n"
//!     PRIMARY KEY (case_id, seq)
//! );
//! ```
//!
//! `line` holds exactly the bytes the file journal holds for that record, so the case exported
//! ([`PgBackend::read_from`] from 0, or `authority-lane export`) is a journal file `verify`
//! passes. The database is storage, never proof: every line read back is verified by the crate.
//!
//! # Compare-and-set
//!
//! An append runs in one transaction: it reads the case's last row, refuses
//! ([`JournalError::Conflict`]) unless it is the head the batch was sealed against, and inserts
//! the batch's rows. Two writers that both saw head `n` both insert seq `n + 1`; the primary key
//! lets exactly one commit and the other fails with a unique violation, which is reported as the
//! same conflict. Either the whole batch is stored or none of it is.
//!
//! # The case clock
//!
//! [`time_of_record`](Backend::time_of_record) is the server's `clock_timestamp()` (DESIGN
//! §12.3): every writer, on whatever machine, stamps records with one clock.
//!
//! # Async callers
//!
//! The client is the synchronous `postgres` crate, which runs its own small runtime; tokio
//! refuses to start a runtime on any of its own threads (`spawn_blocking` threads included).
//! From async code, give each worker an OS thread of its own that owns its `CaseStore` and
//! takes commands from a channel (`blocking_recv`). `examples/tokio_workers.rs` shows the
//! pattern.

use super::JournalError;
use super::backend::{Backend, Batch};
use crate::packet::JournalRef;
use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use std::io::{self, BufRead, BufReader, Read};

/// The migration: idempotent, run on every connect.
const MIGRATION: &str = "CREATE TABLE IF NOT EXISTS authority_lane_journal (
    case_id text NOT NULL,
    seq bigint NOT NULL CHECK (seq >= 0),
    hash text NOT NULL,
    line bytea NOT NULL,
    PRIMARY KEY (case_id, seq)
)";

/// How long a connection attempt may take unless the URL says otherwise (`connect_timeout`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Advisory lock key serialising concurrent migrations ("authlane" in ASCII).
const MIGRATION_LOCK: i64 = 0x6175_7468_6c61_6e65;

/// One case's journal in a PostgreSQL database.
pub struct PgBackend {
    client: Client,
    /// Where the backend connected (the URL without its password), for messages.
    url: String,
    /// The case; `None` until bound by [`PgBackend::case`] or by appending record 0.
    case: Option<String>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("url", &self.url)
            .field("case", &self.case)
            .finish_non_exhaustive()
    }
}

impl PgBackend {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, or any connection
    /// string the `postgres` crate takes) and runs the migration. The backend is bound to no
    /// case yet: bind it with [`case`](Self::case) to open an existing case, or append record
    /// 0 ([`CaseStore::create`](crate::store::CaseStore::create)), which binds it to the case
    /// the declaration names.
    pub fn connect(url: &str) -> Result<PgBackend, JournalError> {
        let shown = redact(url);
        let mut config: postgres::Config = url.parse().map_err(|e| store_error(&shown, &e))?;
        if config.get_connect_timeout().is_none() {
            // An unreachable server fails the command instead of hanging it.
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut client = config.connect(NoTls).map_err(|e| store_error(&shown, &e))?;
        let mut tx = client.transaction().map_err(|e| store_error(&shown, &e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .and_then(|_| tx.batch_execute(MIGRATION))
            .and_then(|()| tx.commit())
            .map_err(|e| store_error(&shown, &e))?;
        Ok(PgBackend {
            client,
            url: shown,
            case: None,
        })
    }

    /// Binds the backend to the case `id`.
    pub fn case(mut self, id: impl Into<String>) -> PgBackend {
        self.case = Some(id.into());
        self
    }

    /// The case the backend is bound to, if any.
    pub fn case_id(&self) -> Option<&str> {
        self.case.as_deref()
    }

    fn bound(&self) -> Result<&str, JournalError> {
        self.case.as_deref().ok_or_else(|| JournalError::Store {
            store: self.url.clone(),
            message: "no case given: bind the backend to a case id first (--case ID)".into(),
        })
    }

    fn err(&self, e: &postgres::Error) -> JournalError {
        store_error(&self.url, e)
    }

    /// The case's last record (seq and hash), if it has any.
    pub fn head(&mut self) -> Result<Option<JournalRef>, JournalError> {
        let case = self.bound()?.to_owned();
        let row = self
            .client
            .query_opt(
                "SELECT seq, hash FROM authority_lane_journal WHERE case_id = $1 \
                 ORDER BY seq DESC LIMIT 1",
                &[&case],
            )
            .map_err(|e| self.err(&e))?;
        row.map(|row| head_of_row(&self.url, row.get(0), row.get(1)))
            .transpose()
    }

    /// Binds an unbound backend to the case record 0 of `batch` declares; refuses a batch for
    /// another case than the one it is bound to.
    fn bind_to_genesis(&mut self, batch: &Batch) -> Result<(), JournalError> {
        let declared = batch
            .records()
            .first()
            .and_then(|r| r.event.get("case_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        match (&self.case, declared) {
            (None, Some(id)) => {
                self.case = Some(id);
                Ok(())
            }
            (Some(bound), Some(id)) if *bound == id => Ok(()),
            (bound, declared) => Err(JournalError::Store {
                store: self.url.clone(),
                message: format!(
                    "record 0 declares case {declared:?}, but the backend is bound to case {bound:?}"
                ),
            }),
        }
    }
}

impl Backend for PgBackend {
    fn case_name(&self) -> Option<&str> {
        self.case.as_deref()
    }

    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let case = self.bound()?.to_owned();
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let url = self.url.clone();
        let rows = self
            .client
            .query_raw(
                "SELECT line FROM authority_lane_journal WHERE case_id = $1 AND seq >= $2 \
                 ORDER BY seq",
                [&case as &(dyn postgres::types::ToSql + Sync), &from],
            )
            .map_err(|e| store_error(&url, &e))?;
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            RowReader {
                rows,
                line: Vec::new(),
                pos: 0,
                done: false,
            },
        )))
    }

    fn append_batch(
        &mut self,
        after: Option<&JournalRef>,
        batch: &Batch,
    ) -> Result<(), JournalError> {
        if batch.is_empty() {
            return Ok(());
        }
        if after.is_none() {
            self.bind_to_genesis(batch)?;
        }
        let case = self.bound()?.to_owned();
        let (mut seqs, mut hashes, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        for (at, line) in batch.lines() {
            seqs.push(i64::try_from(at.seq).map_err(|_| JournalError::Encode("seq".into()))?);
            hashes.push(at.head.to_string());
            lines.push(line.to_vec());
        }
        let url = self.url.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| store_error(&url, &e))?;
        let row = tx
            .query_opt(
                "SELECT seq, hash FROM authority_lane_journal WHERE case_id = $1 \
                 ORDER BY seq DESC LIMIT 1",
                &[&case],
            )
            .map_err(|e| store_error(&url, &e))?;
        let head = row
            .map(|row| head_of_row(&url, row.get(0), row.get(1)))
            .transpose()?;
        if head.as_ref() != after {
            if after.is_none() {
                return Err(JournalError::CaseExists { store: url, case });
            }
            return Err(Batch::conflict(after, head.as_ref()));
        }
        let inserted = tx
            .execute(
                "INSERT INTO authority_lane_journal (case_id, seq, hash, line) \
                 SELECT $1, s, h, l FROM unnest($2::bigint[], $3::text[], $4::bytea[]) AS t(s, h, l)",
                &[&case, &seqs, &hashes, &lines],
            )
            .and_then(|_| tx.commit());
        match inserted {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                // Another writer committed the same seq first.
                if after.is_none() {
                    return Err(JournalError::CaseExists { store: url, case });
                }
                let actual = self.head()?;
                Err(Batch::conflict(after, actual.as_ref()))
            }
            Err(e) => Err(store_error(&url, &e)),
        }
    }

    fn time_of_record(&mut self) -> Result<Option<DateTime<Utc>>, JournalError> {
        let row = self
            .client
            .query_one("SELECT clock_timestamp()", &[])
            .map_err(|e| self.err(&e))?;
        Ok(Some(row.get::<_, DateTime<Utc>>(0)))
    }
}

/// The journal's lines as one byte stream, row by row, as the server sends them.
struct RowReader<'a> {
    rows: postgres::RowIter<'a>,
    line: Vec<u8>,
    pos: usize,
    /// The last row was read: the iterator must not be polled again.
    done: bool,
}

impl Read for RowReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.line.len() {
            if self.done {
                return Ok(0);
            }
            match self.rows.next().map_err(io::Error::other)? {
                None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(row) => {
                    self.line.clear();
                    self.line.extend_from_slice(row.get::<_, &[u8]>(0));
                    self.line.push(b'\n');
                    self.pos = 0;
                }
            }
        }
        let n = out.len().min(self.line.len() - self.pos);
        out[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn head_of_row(url: &str, seq: i64, hash: String) -> Result<JournalRef, JournalError> {
    let bad = |what: String| JournalError::Store {
        store: url.to_owned(),
        message: format!("the journal table holds {what}"),
    };
    Ok(JournalRef {
        seq: u64::try_from(seq).map_err(|_| bad(format!("a negative seq {seq}")))?,
        head: hash
            .parse()
            .map_err(|e| bad(format!("a hash that is not a digest ({e})")))?,
    })
}

fn store_error(url: &str, e: &postgres::Error) -> JournalError {
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    JournalError::Store {
        store: url.to_owned(),
        message,
    }
}

/// The URL with any password replaced by `***`, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{scheme}://{name}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://root:hunter2@127.0.0.1/test"),
            "postgres://root:***@127.0.0.1/test"
        );
        assert_eq!(
            redact("postgres://root@127.0.0.1/test"),
            "postgres://root@127.0.0.1/test"
        );
    }
}
