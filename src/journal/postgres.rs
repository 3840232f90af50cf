//! The PostgreSQL backend (feature `postgres`): many writers, in many processes on many
//! machines, on one case.
//!
//! # Table
//!
//! One table, in a schema the store names (default `public`; `?schema=NAME` in the URL, or
//! [`PgBackend::in_schema`]):
//!
//! ```sql
//! CREATE TABLE "public"."authority_lane_journal" (
//!     case_id text   NOT NULL,
//!     seq     bigint NOT NULL CHECK (seq >= 0),
//!     hash    text   NOT NULL,
//!     line    bytea  NOT NULL,   -- the record's canonical line, without its "\n"
//!     PRIMARY KEY (case_id, seq)
//! );
//! ```
//!
//! Beside it, a cache: `authority_lane_snapshot (case_id, seq, head, supplied_clock, image)`, a
//! row per checkpoint record a writer appends ([`Backend::save_snapshot`]): the case state's RFC
//! 8785 image whose digest the checkpoint carries. A writer joining the case
//! ([`CaseStore::open`]) reads the latest row, record 0, that checkpoint record and the records
//! after it — never the whole case — and uses the row only if the checkpoint in the chain
//! commits its image (DESIGN §12.8); otherwise, or without the table or the right to read it,
//! it replays from record 0. Relying parties' reads never touch it.
//!
//! `line` holds exactly the bytes the file journal holds for that record, so the case exported
//! ([`PgBackend::read_from`] from 0, or `authority-lane export`) is a journal file `verify`
//! passes. The database is storage, never proof: every line read back is verified by the crate.
//!
//! Nothing depends on the session's `search_path` (DESIGN §14): every statement names the table
//! schema-qualified and quoted, `"public"."authority_lane_journal"`, and every function
//! `pg_catalog.`-qualified; each connection also sets `search_path` to `pg_catalog, pg_temp`
//! for what is left (operators). A schema that someone with `CREATE` on the database names like
//! the writer's role — first on the default `"$user", public` — captures nothing.
//!
//! # Migration, and who may do what
//!
//! Creating the table is a separate, explicit step: [`PgBackend::migrate`] (`authority-lane
//! store migrate --store URL`), idempotent, under a transaction-scoped advisory lock so that
//! concurrent migrations do not race, and issuing DDL only for what is missing (the schema, the
//! table). Opening a new case — appending record 0, as [`CaseStore::create`] and `init` do —
//! runs it first; nothing else does. Reads ([`read_from`](Backend::read_from),
//! [`head`](PgBackend::head); the CLI's `verify`, `status`, `packet`, `export`, `lineage`) and
//! appends to an existing case issue no DDL, and a read of a store whose table is missing fails
//! naming the step. So the roles need:
//!
//! | role | privileges |
//! |---|---|
//! | migrator (once) | `CREATE` on the schema (and on the database if the schema must be created) |
//! | writer | `USAGE` on the schema; `SELECT`, `INSERT` on both tables (without them on the snapshot table, writers join by replaying every record) |
//! | auditor | `USAGE` on the schema; `SELECT` on the table |
//!
//! # Rows agree with their lines
//!
//! The `seq` and `hash` columns serve the primary key and the compare-and-set; the line is the
//! record. A read refuses ([`JournalError::Tampered`]) a row whose `seq` column is not the next
//! seq (a row removed or renumbered: [`StoreSeqGap`](super::TamperReason::StoreSeqGap)) or whose
//! `seq` or `hash` column is not the line's own
//! ([`StoreColumnMismatch`](super::TamperReason::StoreColumnMismatch); [`RowLines`]), so that an edited
//! column can neither reorder the journal nor wedge every later append on a head that is not
//! there.
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
//! # Secrets
//!
//! Messages name the store by its [`PgUrl`], which shows no password (DESIGN §12.10); text the
//! server or the driver sends back is scrubbed of the password before it reaches a message.
//!
//! # Async callers
//!
//! The client is the synchronous `postgres` crate, which runs its own small runtime: called
//! directly from an async task (on a tokio worker thread) it panics, on a blocking thread it
//! works. From async code, give each long-lived worker an OS thread of its own that owns its
//! `CaseStore` and takes commands from a channel (`blocking_recv`), and send one-off calls
//! through `tokio::task::spawn_blocking`. `examples/tokio_workers.rs` shows both.
//!
//! [`CaseStore::create`]: crate::store::CaseStore::create
//! [`CaseStore::open`]: crate::store::CaseStore::open

mod url;

pub use url::{PgSchema, PgUrl, PgUrlError};

use super::JournalError;
use super::JournalRef;
use super::backend::{Backend, Batch, StoredSnapshot};
use super::rows::RowLines;
use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Row};
use std::io::{BufRead, BufReader};

/// The journal table's name, in whichever schema.
const TABLE: &str = "authority_lane_journal";

/// The snapshot table's name, beside the journal table: a row per checkpoint.
const SNAPSHOTS: &str = "authority_lane_snapshot";

/// How long a connection attempt may take unless the URL says otherwise (`connect_timeout`).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Advisory lock key serialising concurrent migrations ("authlane" in ASCII).
const MIGRATION_LOCK: i64 = 0x6175_7468_6c61_6e65;

/// What [`PgBackend::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// The schema holding the table.
    pub schema: PgSchema,
    /// The table's name, `authority_lane_journal`.
    pub table: &'static str,
    /// Whether this run created the table (false: it was there already).
    pub created: bool,
}

/// One case's journal in a PostgreSQL database.
pub struct PgBackend {
    client: Client,
    /// Where the backend connected, shown without its password.
    url: PgUrl,
    schema: PgSchema,
    /// `"SCHEMA"."authority_lane_journal"`, for statements.
    table: String,
    /// `"SCHEMA"."authority_lane_snapshot"`.
    snapshots: String,
    /// The case; `None` until bound by [`PgBackend::case`] or by appending record 0.
    case: Option<String>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("url", &self.url)
            .field("schema", &self.schema)
            .field("case", &self.case)
            .finish_non_exhaustive()
    }
}

/// `"SCHEMA"."authority_lane_journal"` (a [`PgSchema`] needs no escaping).
fn qualified(schema: &PgSchema) -> String {
    format!("\"{schema}\".\"{TABLE}\"")
}

/// `"SCHEMA"."authority_lane_snapshot"`.
fn qualified_snapshots(schema: &PgSchema) -> String {
    format!("\"{schema}\".\"{SNAPSHOTS}\"")
}

impl PgBackend {
    /// Connects to `url` (a [`PgUrl`]: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]`,
    /// or a `key=value` connection string). Issues no DDL: a store that was never migrated
    /// fails on first use, naming [`migrate`](Self::migrate). The backend is bound to no case
    /// yet: bind it with [`case`](Self::case) to open an existing case, or append record 0
    /// ([`CaseStore::create`](crate::store::CaseStore::create)), which migrates and binds it to
    /// the case the declaration names.
    pub fn connect(url: &str) -> Result<PgBackend, JournalError> {
        PgBackend::connect_to(url.parse()?)
    }

    /// [`connect`](Self::connect) to a URL already checked.
    pub fn connect_to(url: PgUrl) -> Result<PgBackend, JournalError> {
        let schema = url.schema().clone();
        let table = qualified(&schema);
        let mut config = url.config().clone();
        if config.get_connect_timeout().is_none() {
            // An unreachable server fails the command instead of hanging it.
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let mut client = config
            .connect(NoTls)
            .map_err(|e| store_error(&url, &table, &e))?;
        // Defence in depth: every name below is qualified; this covers the operators.
        client
            .batch_execute("SET search_path = pg_catalog, pg_temp")
            .map_err(|e| store_error(&url, &table, &e))?;
        Ok(PgBackend {
            client,
            url,
            snapshots: qualified_snapshots(&schema),
            schema,
            table,
            case: None,
        })
    }

    /// Keeps the journal table in `schema` instead of the one the URL names.
    pub fn in_schema(mut self, schema: PgSchema) -> PgBackend {
        self.table = qualified(&schema);
        self.snapshots = qualified_snapshots(&schema);
        self.schema = schema;
        self
    }

    /// The schema holding the journal table.
    pub fn schema(&self) -> &PgSchema {
        &self.schema
    }

    /// Creates the schema and the journal table unless they exist: idempotent, under a
    /// transaction-scoped advisory lock, and issuing DDL only for what is missing (so a writer
    /// without `CREATE` runs it harmlessly on a migrated store). Appending record 0 runs it;
    /// nothing else does.
    pub fn migrate(&mut self) -> Result<Migration, JournalError> {
        let (url, table) = (&self.url, &self.table);
        let err = |e: postgres::Error| store_error(url, table, &e);
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute(
            "SELECT pg_catalog.pg_advisory_xact_lock($1)",
            &[&MIGRATION_LOCK],
        )
        .map_err(err)?;
        let row = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), \
                 EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2), \
                 EXISTS (SELECT 1 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $3)",
                &[&self.schema.as_str(), &TABLE, &SNAPSHOTS],
            )
            .map_err(err)?;
        let (has_schema, has_table, has_snapshots): (bool, bool, bool) = (
            row.try_get(0).map_err(err)?,
            row.try_get(1).map_err(err)?,
            row.try_get(2).map_err(err)?,
        );
        if !has_schema {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", self.schema))
                .map_err(err)?;
        }
        if !has_table {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (
                    case_id text NOT NULL,
                    seq bigint NOT NULL CHECK (seq >= 0),
                    hash text NOT NULL,
                    line bytea NOT NULL,
                    PRIMARY KEY (case_id, seq)
                )"
            ))
            .map_err(err)?;
        }
        if !has_snapshots {
            // A cache beside the journal: a row per checkpoint, never read as proof.
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (
                    case_id text NOT NULL,
                    seq bigint NOT NULL CHECK (seq >= 0),
                    head text NOT NULL,
                    supplied_clock bigint NOT NULL CHECK (supplied_clock >= 0),
                    image bytea NOT NULL,
                    PRIMARY KEY (case_id, seq)
                )",
                self.snapshots
            ))
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(Migration {
            schema: self.schema.clone(),
            table: TABLE,
            created: !has_table,
        })
    }

    /// Binds the backend to the case `id`.
    pub fn case(mut self, id: impl Into<String>) -> PgBackend {
        self.case = Some(id.into());
        self
    }

    /// Every case id the store holds a record 0 for, in order (for `report --store`). The
    /// ids are what the rows say; each case is authenticated only when it is replayed.
    pub fn case_ids(&mut self) -> Result<Vec<String>, JournalError> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT case_id FROM {} WHERE seq = 0 ORDER BY case_id",
                    self.table
                ),
                &[],
            )
            .map_err(|e| self.err(&e))?;
        rows.iter()
            .map(|row| row.try_get::<_, String>(0).map_err(|e| self.err(&e)))
            .collect()
    }

    /// The case the backend is bound to, if any.
    pub fn case_id(&self) -> Option<&str> {
        self.case.as_deref()
    }

    fn bound(&self) -> Result<&str, JournalError> {
        self.case.as_deref().ok_or_else(|| JournalError::Store {
            store: self.url.to_string(),
            message: "no case given: bind the backend to a case id first (--case ID)".into(),
        })
    }

    fn err(&self, e: &postgres::Error) -> JournalError {
        store_error(&self.url, &self.table, e)
    }

    /// The case's last record (seq and hash), if it has any.
    pub fn head(&mut self) -> Result<Option<JournalRef>, JournalError> {
        let case = self.bound()?.to_owned();
        let row = self
            .client
            .query_opt(&last_row(&self.table), &[&case])
            .map_err(|e| self.err(&e))?;
        row.map(|row| head_of_row(&self.url, &self.table, &row))
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
                store: self.url.to_string(),
                message: format!(
                    "record 0 declares case {declared:?}, but the backend is bound to case {bound:?}"
                ),
            }),
        }
    }
}

impl PgBackend {
    /// The case's rows from seq `from` (up to `to`, exclusive) as one checked byte stream.
    fn rows(&mut self, from: u64, to: Option<u64>) -> Result<Box<dyn BufRead + '_>, JournalError> {
        let case = self.bound()?.to_owned();
        let start = i64::try_from(from).unwrap_or(i64::MAX);
        let end = to.map_or(i64::MAX, |to| i64::try_from(to).unwrap_or(i64::MAX));
        let (url, table) = (&self.url, &self.table);
        let rows = self
            .client
            .query_raw(
                &format!(
                    "SELECT seq, hash, line FROM {table} WHERE case_id = $1 AND seq >= $2 \
                     AND seq < $3 ORDER BY seq"
                ),
                [&case as &(dyn postgres::types::ToSql + Sync), &start, &end],
            )
            .map_err(|e| store_error(url, table, &e))?;
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            RowLines::new(PgRows { rows, url, table }, from),
        )))
    }
}

/// The statement reading a case's last row.
fn last_row(table: &str) -> String {
    format!("SELECT seq, hash FROM {table} WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
}

impl Backend for PgBackend {
    fn case_name(&self) -> Option<&str> {
        self.case.as_deref()
    }

    fn read_from(&mut self, from: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        self.rows(from, None)
    }

    fn read_range(&mut self, from: u64, to: u64) -> Result<Box<dyn BufRead + '_>, JournalError> {
        self.rows(from, Some(to))
    }

    fn save_snapshot(&mut self, snapshot: &StoredSnapshot) -> Result<(), JournalError> {
        let case = self.bound()?.to_owned();
        let seq = i64::try_from(snapshot.seq).map_err(|_| JournalError::Encode("seq".into()))?;
        let supplied = i64::try_from(snapshot.supplied_clock)
            .map_err(|_| JournalError::Encode("supplied_clock".into()))?;
        self.client
            .execute(
                &format!(
                    "INSERT INTO {} (case_id, seq, head, supplied_clock, image) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    self.snapshots
                ),
                &[
                    &case,
                    &seq,
                    &snapshot.head.as_str(),
                    &supplied,
                    &snapshot.image,
                ],
            )
            .map_err(|e| store_error(&self.url, &self.snapshots, &e))?;
        Ok(())
    }

    fn latest_snapshot(&mut self) -> Result<Option<StoredSnapshot>, JournalError> {
        let case = self.bound()?.to_owned();
        let (url, table) = (&self.url, &self.snapshots);
        let err = |e: postgres::Error| store_error(url, table, &e);
        let Some(row) = self
            .client
            .query_opt(
                &format!(
                    "SELECT seq, head, supplied_clock, image FROM {table} \
                     WHERE case_id = $1 ORDER BY seq DESC LIMIT 1"
                ),
                &[&case],
            )
            .map_err(err)?
        else {
            return Ok(None);
        };
        let bad = |what: &str| JournalError::Store {
            store: url.to_string(),
            message: format!("the snapshot table holds {what}"),
        };
        let seq: i64 = row.try_get(0).map_err(err)?;
        let head: &str = row.try_get(1).map_err(err)?;
        let supplied: i64 = row.try_get(2).map_err(err)?;
        Ok(Some(StoredSnapshot {
            seq: u64::try_from(seq).map_err(|_| bad("a negative seq"))?,
            head: head
                .parse()
                .map_err(|_| bad("a head that is not a digest"))?,
            supplied_clock: u64::try_from(supplied).map_err(|_| bad("a negative count"))?,
            image: row.try_get(3).map_err(err)?,
        }))
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
            // Opening a case is the one write that may find the store new.
            self.migrate()?;
        }
        let case = self.bound()?.to_owned();
        let (mut seqs, mut hashes, mut lines) = (Vec::new(), Vec::new(), Vec::new());
        for (at, line) in batch.lines() {
            seqs.push(i64::try_from(at.seq).map_err(|_| JournalError::Encode("seq".into()))?);
            hashes.push(at.head.to_string());
            lines.push(line.to_vec());
        }
        let (url, table) = (&self.url, &self.table);
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| store_error(url, table, &e))?;
        let row = tx
            .query_opt(&last_row(table), &[&case])
            .map_err(|e| store_error(url, table, &e))?;
        let head = row.map(|row| head_of_row(url, table, &row)).transpose()?;
        if head.as_ref() != after {
            if after.is_none() {
                return Err(JournalError::CaseExists {
                    store: url.to_string(),
                    case,
                });
            }
            return Err(Batch::conflict(after, head.as_ref()));
        }
        let inserted = tx
            .execute(
                &format!(
                    "INSERT INTO {table} (case_id, seq, hash, line) \
                     SELECT $1, s, h, l FROM ROWS FROM (pg_catalog.unnest($2::bigint[]), \
                     pg_catalog.unnest($3::text[]), pg_catalog.unnest($4::bytea[])) AS t(s, h, l)"
                ),
                &[&case, &seqs, &hashes, &lines],
            )
            .and_then(|_| tx.commit());
        match inserted {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                // Another writer committed the same seq first.
                if after.is_none() {
                    return Err(JournalError::CaseExists {
                        store: self.url.to_string(),
                        case,
                    });
                }
                let actual = self.head()?;
                Err(Batch::conflict(after, actual.as_ref()))
            }
            Err(e) => Err(self.err(&e)),
        }
    }

    fn time_of_record(&mut self) -> Result<Option<DateTime<Utc>>, JournalError> {
        let row = self
            .client
            .query_one("SELECT pg_catalog.clock_timestamp()", &[])
            .map_err(|e| self.err(&e))?;
        let at = row
            .try_get::<_, DateTime<Utc>>(0)
            .map_err(|e| self.err(&e))?;
        Ok(Some(at))
    }
}

/// The server's rows as the (seq, hash, line) items a [`RowLines`] checks and streams; a
/// driver failure is a [`JournalError::Store`] naming the store.
struct PgRows<'a> {
    rows: postgres::RowIter<'a>,
    url: &'a PgUrl,
    table: &'a str,
}

impl Iterator for PgRows<'_> {
    type Item = Result<(i64, String, Vec<u8>), JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (url, table) = (self.url, self.table);
        let failed = |e: postgres::Error| store_error(url, table, &e);
        let row = match self.rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return None,
            Err(e) => return Some(Err(failed(e))),
        };
        Some((|| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))().map_err(failed))
    }
}

fn head_of_row(url: &PgUrl, table: &str, row: &Row) -> Result<JournalRef, JournalError> {
    let bad = |what: String| JournalError::Store {
        store: url.to_string(),
        message: format!("the journal table holds {what}"),
    };
    let seq: i64 = row.try_get(0).map_err(|e| store_error(url, table, &e))?;
    let hash: &str = row.try_get(1).map_err(|e| store_error(url, table, &e))?;
    Ok(JournalRef {
        seq: u64::try_from(seq).map_err(|_| bad(format!("a negative seq {seq}")))?,
        head: hash
            .parse()
            .map_err(|e| bad(format!("a hash that is not a digest ({e})")))?,
    })
}

/// A driver or server failure as a [`JournalError::Store`] naming `url` (without its
/// password), the server's text scrubbed of the password.
fn store_error(url: &PgUrl, table: &str, e: &postgres::Error) -> JournalError {
    // Only what the server or the driver says is scrubbed: this crate's own words hold no
    // password, and stay readable whatever the password is.
    let message = match e.as_db_error() {
        Some(db)
            if [SqlState::UNDEFINED_TABLE, SqlState::INVALID_SCHEMA_NAME].contains(db.code()) =>
        {
            format!(
                "{}: {}; the journal table {table} is not there: create it with `authority-lane store migrate --store URL` (PgBackend::migrate; opening a case with `init` does it too)",
                db.code().code(),
                url.scrub(db.message())
            )
        }
        Some(db) => format!("{}: {}", db.code().code(), url.scrub(db.message())),
        None => url.scrub(&describe(e)),
    };
    JournalError::Store {
        store: url.to_string(),
        message,
    }
}

/// A driver error's kind and cause. The causes of a connection string the driver could not
/// parse can quote its characters: only those naming an option are kept.
fn describe(e: &postgres::Error) -> String {
    let kind = e.to_string();
    match std::error::Error::source(e).map(ToString::to_string) {
        Some(cause) if kind != "invalid connection string" => format!("{kind}: {cause}"),
        Some(cause)
            if cause.starts_with("unknown option") || cause.starts_with("invalid value for") =>
        {
            format!("{kind}: {cause}")
        }
        _ => kind,
    }
}
