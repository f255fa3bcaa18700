//! The PostgreSQL backend of cancuoc, the production store (DESIGN §9). The store's logic
//! is `cancuoc-store-sql`'s, the same as on SQLite, and passes the same conformance suite;
//! this crate supplies connections, transactions, locking and the bulk path (`COPY`).
//!
//! How transactions are serialised. Every store method is one transaction at
//! PostgreSQL's default READ COMMITTED level. The audit chain has one tail, so appending
//! to it takes a lock: the single row of the `audit_head` table, locked with
//! `SELECT … FOR UPDATE` and held until commit or rollback.
//!
//! - Transactions that write the register (reviews, filings, steps, ID allocation,
//!   officers, reference data) take that lock as their first statement, the counterpart
//!   of SQLite's `BEGIN IMMEDIATE`. They therefore run one at a time, each one's reads
//!   see everything committed before it, and no two of them can deadlock on rows they
//!   both touch.
//! - Bulk writes (imports, population loads) would hold that lock for minutes, so they
//!   take an advisory lock of their own first (`BULK_LOCK_CLASS`) and the audit lock only
//!   to append their one event, at the end. Two concurrent imports of the same file are
//!   serialised by it: the second sees the first's records and staged forms and changes
//!   nothing. Look-ups, filings and application steps go on meanwhile. Reviews, which
//!   create and change records too, take the same lock shared before the audit lock:
//!   they wait for a running import, and neither decides on the other's uncommitted
//!   records.
//! - Audited reads read without the lock and take it only to append their event; they
//!   hold no row locks before that, so they cannot deadlock with the writers either.
//! - Unaudited reads and the session and login-failure bookkeeping take no audit lock
//!   (login failures of one username are counted under an advisory lock of their own).

mod bulk;
mod copy;
mod replica;
mod scratch;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cancuoc_domain::audit::AuditKey;
use cancuoc_store::{Result, StoreError};
pub use cancuoc_store_sql::Sharing;
use cancuoc_store_sql::{Columns, Row, SqlStore, Tx, TxKind, Value};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Column as _, PgPool, Postgres, Row as _, Transaction, TypeInfo as _};

pub use scratch::ScratchDatabase;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many connections a store keeps at most.
const MAX_CONNECTIONS: u32 = 16;

/// Rows per chunk of an import on PostgreSQL, where each chunk costs a few round trips.
const PG_IMPORT_CHUNK: usize = 10 * cancuoc_store::IMPORT_CHUNK;

/// Key space of the transaction-level advisory locks that serialise one name's
/// bookkeeping ("LOGI"); the second key is the name's hash.
const NAME_LOCK_CLASS: i32 = 0x4C4F_4749;

/// The register in one PostgreSQL database.
pub type PostgresStore = SqlStore<PgBackend>;

/// Connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgBackend {
    pool: PgPool,
    /// A hot standby for the reads that may lag, if one is configured.
    replica: Option<Arc<replica::Replica>>,
    /// The scratch database this store lives in, dropped with the last clone (tests only).
    scratch: Option<Arc<ScratchDatabase>>,
    /// Its URL, for the command line and raw connections of tests.
    scratch_url: Option<String>,
    /// Whether this process holds the database's claim as an import (`claim`).
    alone: bool,
    audit_key: Arc<AuditKey>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgBackend")
    }
}

/// Where a URL points, without its password, for error messages.
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

pub(crate) fn parse_url(url: &str) -> Result<PgConnectOptions> {
    // The URL may carry a password: never repeat it in the error.
    PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))
}

/// Connects to the database at a `postgres://` URL and brings its schema up to date.
/// The database must exist (`createdb`); `NotFound` when it does not.
/// `audit_key` keys the audit chain's MACs.
pub async fn connect(url: &str, audit_key: AuditKey) -> Result<PostgresStore> {
    connect_as(url, audit_key, Sharing::Shared).await
}

/// [`connect`], saying whether the process holds the database's claim as an import.
pub async fn connect_as(url: &str, audit_key: AuditKey, sharing: Sharing) -> Result<PostgresStore> {
    let mut backend = PgBackend::connect_with(parse_url(url)?, audit_key).await?;
    backend.alone = sharing == Sharing::Alone;
    Ok(SqlStore::new(backend))
}

/// Key space of the session-level advisory lock by which server nodes and an import that
/// wants the database to itself keep out of each other's way ("SERV").
const CLAIM_CLASS: i32 = 0x5345_5256;

/// Who claims the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimant {
    /// A server node: any number share the claim.
    Server,
    /// `cancuoc import forms`: has the database to itself when no server holds the claim.
    Import,
}

/// A claim on the database, held by a connection of its own until dropped (or until the
/// connection dies, when PostgreSQL lets it go: `alive` tells).
pub struct Claim(sqlx::PgConnection);

impl Claim {
    /// Whether the connection, and with it the lock, still stands.
    pub async fn alive(&mut self) -> bool {
        sqlx::query("SELECT 1").execute(&mut self.0).await.is_ok()
    }
}

/// Server nodes hold the database's claim shared; an import takes it exclusively when no
/// node holds it, and then has the database to itself (`Sharing::Alone`). `Ok(None)` for
/// an import beside a server, which then shares the database; `Conflict` for a server
/// while an import has it.
pub async fn claim(url: &str, claimant: Claimant) -> Result<Option<Claim>> {
    use sqlx::Connection as _;
    let options = parse_url(url)?;
    let target = describe(&options);
    let mut conn = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot connect to {target}: {e}")))?;
    let function = match claimant {
        Claimant::Server => "pg_try_advisory_lock_shared",
        Claimant::Import => "pg_try_advisory_lock",
    };
    let taken: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {function}($1, 0)")))
        .bind(CLAIM_CLASS)
        .fetch_one(&mut conn)
        .await
        .map_err(backend)?;
    match (taken, claimant) {
        (true, _) => Ok(Some(Claim(conn))),
        (false, Claimant::Import) => Ok(None),
        (false, Claimant::Server) => Err(StoreError::Conflict(format!(
            "an import (`cancuoc import forms`) has {target} to itself until it ends"
        ))),
    }
}

/// Like [`connect`], with the reads that may lag served by the hot standby at
/// `replica_url` (a streaming replica of the same database). The standby need not be up:
/// while it is not, those reads go to the primary.
pub async fn connect_with_replica(
    url: &str,
    replica_url: &str,
    audit_key: AuditKey,
    sharing: Sharing,
) -> Result<PostgresStore> {
    let mut backend = PgBackend::connect_with(parse_url(url)?, audit_key).await?;
    backend.alone = sharing == Sharing::Alone;
    backend.replica = Some(Arc::new(replica::Replica::new(parse_url(replica_url)?)));
    Ok(SqlStore::new(backend))
}

/// Creates a brand-new, uniquely named database on the server behind `admin_url` (a role
/// allowed to `CREATE DATABASE`), connects a store to it and migrates it. The database is
/// dropped, best effort, when the last clone of the store is dropped. For tests and
/// benchmarks: one fresh database each.
pub async fn connect_scratch(admin_url: &str, audit_key: AuditKey) -> Result<PostgresStore> {
    let admin = parse_url(admin_url)?;
    let scratch = ScratchDatabase::create(admin).await?;
    let mut backend = PgBackend::connect_with(scratch.options(), audit_key).await?;
    backend.scratch_url = Some(url_with_database(admin_url, scratch.name())?);
    backend.scratch = Some(Arc::new(scratch));
    Ok(SqlStore::new(backend))
}

/// The URL of another database on the same server, as the same role, with the same
/// options.
pub fn url_with_database(url: &str, name: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let rest = base
        .strip_prefix("postgres://")
        .or_else(|| base.strip_prefix("postgresql://"))
        .ok_or_else(|| StoreError::Invalid("not a postgres:// URL".into()))?;
    let host = rest.split('/').next().unwrap_or(rest);
    Ok(match query {
        Some(q) => format!("postgres://{host}/{name}?{q}"),
        None => format!("postgres://{host}/{name}"),
    })
}

impl PgBackend {
    async fn connect_with(options: PgConnectOptions, audit_key: AuditKey) -> Result<Self> {
        let target = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000") => {
                    StoreError::NotFound(format!(
                        "database {target} (create it, then run `cancuoc init`)"
                    ))
                }
                _ => StoreError::Backend(format!("cannot connect to {target}: {e}")),
            })?;
        // The migrator takes an advisory lock, so stores starting together migrate once.
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(Self {
            pool,
            replica: None,
            scratch: None,
            scratch_url: None,
            alone: false,
            audit_key: Arc::new(audit_key),
        })
    }

    /// The name of the scratch database this store was given, if any.
    pub fn scratch_name(&self) -> Option<&str> {
        self.scratch.as_deref().map(ScratchDatabase::name)
    }

    /// The URL of the scratch database this store was given, if any.
    pub fn scratch_url(&self) -> Option<&str> {
        self.scratch_url.as_deref()
    }
}

/// Maps a driver error onto the store's vocabulary.
pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let detail = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            StoreError::Conflict(format!("{}{detail}", db.message()))
        }
        // serialization_failure, deadlock_detected: a concurrent change won.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")) => {
            StoreError::Conflict(format!("concurrent change: {}", db.message()))
        }
        // connection_exception (08…, but not 08P01, a protocol violation, which is ours),
        // too_many_connections, admin_shutdown, crash_shutdown, cannot_connect_now (a
        // server starting or in recovery), idle_session_timeout, and a write reaching a
        // standby (read_only_sql_transaction: a failover under way, or a demoted primary).
        sqlx::Error::Database(db)
            if db.code().as_deref().is_some_and(|code| {
                (code.starts_with("08") && code != "08P01")
                    || matches!(
                        code,
                        "53300" | "57P01" | "57P02" | "57P03" | "57P05" | "25006"
                    )
            }) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Key space of the advisory lock that serialises bulk writes (imports, population
/// loads) and keeps reviews out of their way ("BULK").
const BULK_LOCK_CLASS: i32 = 0x4255_4C4B;

/// An open transaction.
pub struct PgTx(
    Transaction<'static, Postgres>,
    Arc<AuditKey>,
    /// For a read on the replica that appends audit events: the primary's transaction
    /// that takes them.
    Option<Box<PgTx>>,
    /// Whether the transaction is the read replica's.
    bool,
);

impl PgTx {
    /// A transaction on the read replica takes no write and no lock: a store method that
    /// tried one under a lagging kind is a mistake, said at once rather than left to the
    /// standby's own refusal (an advisory lock would even be taken there, and mean nothing).
    fn writable(&self, what: &str) -> Result<()> {
        if self.3 {
            return Err(StoreError::Backend(format!(
                "{what} in a read served by the read replica"
            )));
        }
        Ok(())
    }
}

impl PgTx {
    /// The bulk lock, exclusive or shared, by the name of its PostgreSQL function.
    async fn lock_bulk(&mut self, function: &'static str) -> Result<()> {
        let sql = format!("SELECT {function}($1, 0)");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(BULK_LOCK_CLASS)
            .execute(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

struct PgColumns(PgRow);

impl PgColumns {
    fn type_of(&self, name: &str) -> Result<&str> {
        Ok(self.0.try_column(name).map_err(backend)?.type_info().name())
    }
}

impl Columns for PgColumns {
    /// Keys and JSON documents read as their text.
    fn text(&self, name: &str) -> Result<Option<String>> {
        match self.type_of(name)? {
            "UUID" => {
                let k: Option<uuid::Uuid> = self.0.try_get(name).map_err(backend)?;
                Ok(k.map(|k| k.to_string()))
            }
            "JSONB" | "JSON" => {
                let j: Option<sqlx::types::Json<Box<serde_json::value::RawValue>>> =
                    self.0.try_get(name).map_err(backend)?;
                Ok(j.map(|j| j.0.get().to_owned()))
            }
            _ => self.0.try_get(name).map_err(backend),
        }
    }
    fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.type_of(name)? {
            "INT4" => {
                let n: Option<i32> = self.0.try_get(name).map_err(backend)?;
                Ok(n.map(i64::from))
            }
            "INT2" => {
                let n: Option<i16> = self.0.try_get(name).map_err(backend)?;
                Ok(n.map(i64::from))
            }
            _ => self.0.try_get(name).map_err(backend),
        }
    }
    fn real(&self, name: &str) -> Result<Option<f64>> {
        self.0.try_get(name).map_err(backend)
    }
    fn bool(&self, name: &str) -> Result<Option<bool>> {
        self.0.try_get(name).map_err(backend)
    }
}

fn query(sql: &str, args: &[Value]) -> Result<sqlx::query::Query<'static, Postgres, PgArguments>> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        q = match arg {
            Value::Text(t) => q.bind(t.clone()),
            Value::Int(n) => q.bind(*n),
            Value::Real(r) => q.bind(*r),
            Value::Bool(b) => q.bind(*b),
            Value::Key(k) => q.bind(*k),
            Value::Json(j) => {
                let raw = j
                    .as_ref()
                    .map(|j| {
                        serde_json::value::RawValue::from_string(j.clone())
                            .map(sqlx::types::Json)
                            .map_err(|e| StoreError::Backend(format!("not JSON: {e}")))
                    })
                    .transpose()?;
                q.bind(raw)
            }
        };
    }
    Ok(q)
}

#[async_trait]
impl Tx for PgTx {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        self.writable("a statement that writes")?;
        let done = query(sql, args)?
            .execute(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn fetch(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        let rows = query(sql, args)?
            .fetch_all(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| Box::new(PgColumns(r)) as Row)
            .collect())
    }

    async fn lock_audit(&mut self) -> Result<()> {
        self.writable("the audit lock")?;
        let row: Option<bool> = sqlx::query_scalar("SELECT id FROM audit_head FOR UPDATE")
            .fetch_optional(&mut *self.0)
            .await
            .map_err(backend)?;
        match row {
            Some(_) => Ok(()),
            None => Err(StoreError::Backend(
                "the audit lock row is missing (audit_head)".into(),
            )),
        }
    }

    async fn lock_name(&mut self, name: &str) -> Result<()> {
        self.writable("a name's lock")?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(NAME_LOCK_CLASS)
            .bind(name)
            .execute(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(())
    }

    fn json_text(&self, column: &str, field: &str) -> String {
        format!("({column} ->> '{field}')")
    }

    fn audit_key(&self) -> &AuditKey {
        &self.1
    }

    fn audit_side(&mut self) -> &mut dyn Tx {
        match self.2 {
            Some(ref mut primary) => primary.as_mut(),
            None => self,
        }
    }

    async fn commit(self) -> Result<()> {
        // The audit events first: a read is never served without its event committed.
        if let Some(primary) = self.2 {
            primary.0.commit().await.map_err(backend)?;
        }
        self.0.commit().await.map_err(backend)
    }
}

#[async_trait]
impl cancuoc_store_sql::Backend for PgBackend {
    type Tx = PgTx;
    type ImportState = bulk::ImportState;

    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn begin(&self, kind: TxKind) -> Result<PgTx> {
        if let Some(replica) = &self.replica
            && let TxKind::LaggingRead | TxKind::LaggingAuditedRead = kind
            && let Some(on_replica) = replica.begin().await
        {
            let primary = match kind {
                TxKind::LaggingAuditedRead => Some(Box::new(PgTx(
                    self.pool.begin().await.map_err(backend)?,
                    self.audit_key.clone(),
                    None,
                    false,
                ))),
                _ => None,
            };
            return Ok(PgTx(on_replica, self.audit_key.clone(), primary, true));
        }
        let mut tx = PgTx(
            self.pool.begin().await.map_err(backend)?,
            self.audit_key.clone(),
            None,
            false,
        );
        match kind {
            TxKind::Read
            | TxKind::LaggingRead
            | TxKind::AuditedRead
            | TxKind::LaggingAuditedRead
            | TxKind::Bookkeeping => {}
            // The audit lock first, then everything else.
            TxKind::Write | TxKind::Durable => tx.lock_audit().await?,
            // Bulk writes run one at a time under a lock of their own and take the audit
            // lock only to append their event at the end, so a long import never makes
            // look-ups, filings and steps wait for it.
            TxKind::Bulk | TxKind::Trial => tx.lock_bulk("pg_advisory_xact_lock").await?,
            // Reviews wait for a running bulk write (sharing its lock with each other),
            // then take the audit lock: always in this order, so the two cannot deadlock.
            TxKind::RecordWrite => {
                tx.lock_bulk("pg_advisory_xact_lock_shared").await?;
                tx.lock_audit().await?;
            }
        }
        Ok(tx)
    }

    async fn insert_records(
        &self,
        tx: &mut PgTx,
        records: &[cancuoc_store::NewRecord],
        run: Option<i64>,
        actor: &str,
        at_micros: i64,
    ) -> Result<()> {
        bulk::insert_records(&mut tx.0, records, run, actor, at_micros).await
    }

    async fn upsert_households(
        &self,
        tx: &mut PgTx,
        households: &[cancuoc_store::NewHousehold],
        run: Option<i64>,
    ) -> Result<()> {
        bulk::upsert_households(&mut tx.0, households, run).await
    }

    async fn insert_staged(
        &self,
        tx: &mut PgTx,
        rows: &[cancuoc_store::StagedRow],
        run: Option<i64>,
        now: i64,
    ) -> Result<()> {
        bulk::insert_staged(&mut tx.0, rows, run, now).await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        sqlx::raw_sql(
            "ANALYZE citizen_rows; ANALYZE household_rows; ANALYZE applications; ANALYZE application_keys;
             ANALYZE open_applications; ANALYZE cards;",
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    fn partitions_audit(&self) -> bool {
        true
    }

    fn commits_import_chunks(&self) -> bool {
        false
    }

    async fn import_turn(&self) -> Result<Box<dyn Send>> {
        Ok(Box::new(()))
    }

    async fn start_import(&self, tx: &mut PgTx, rows_at_most: usize) -> Result<bulk::ImportState> {
        bulk::ImportState::start(&mut tx.0, rows_at_most, self.alone).await
    }

    async fn finish_import(&self, tx: &mut PgTx, state: bulk::ImportState) -> Result<()> {
        state.finish(&mut tx.0).await
    }

    fn import_chunk_rows(&self) -> usize {
        PG_IMPORT_CHUNK
    }

    async fn register_view(
        &self,
        tx: &mut PgTx,
        chunk: &cancuoc_store::PreparedChunk,
        _state: &bulk::ImportState,
    ) -> Result<cancuoc_store::RegisterView> {
        bulk::register_view(&mut tx.0, chunk).await
    }

    fn learn(&self, _state: &mut bulk::ImportState, _plan: &cancuoc_store::ChunkPlan) {}
}
