//! The one SQL store of cancuoc: every [`Store`](cancuoc_store::Store) method written once,
//! over a [`Backend`] that supplies what truly differs between SQLite and PostgreSQL.
//!
//! The statements use what both dialects share (numbered `$n` parameters, `ON CONFLICT`,
//! `RETURNING`, row-value comparisons, partial indexes) and run through [`Tx`], which each
//! backend implements over its own connection. A backend supplies four kinds of
//! transaction ([`TxKind`]), the audit chain's lock, a JSON field accessor, and its bulk
//! paths ([`Backend::insert_records`] and the others: multi-row INSERT on SQLite, COPY on
//! PostgreSQL). Everything else — citizens, households, history, search, staged forms and
//! their review, officers, reference data, the audit chain, applications, campaigns and
//! scheduling — is here, once. This crate links no database driver.

pub mod applications;
pub mod audit;
pub mod bench;
pub mod campaigns;
pub mod chip;
pub mod citizens;
pub mod eligible;
pub mod forms;
pub mod officers;
pub mod reference;
pub mod remote;
pub mod schedule;
pub mod station;
mod store;

use async_trait::async_trait;
use cancuoc_domain::audit::Outcome;
use cancuoc_store::{
    Access, ChunkPlan, NewHousehold, NewRecord, PreparedChunk, RegisterView, Result, StagedRow,
    StoreError,
};

pub use store::SqlStore;

/// A bound parameter. Every value carries its SQL type, also when it is NULL, because
/// PostgreSQL types parameters before it sees the value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    /// A record key: `UUID` on PostgreSQL, its text on SQLite.
    Key(Option<uuid::Uuid>),
    /// A JSON document: `JSONB` on PostgreSQL, text on SQLite.
    Json(Option<String>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(Some(s.to_owned()))
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(Some(s.clone()))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(Some(s))
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        Self::Text(s)
    }
}
impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Self {
        Self::Text(s.map(str::to_owned))
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(Some(n))
    }
}
impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Self {
        Self::Int(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(Some(b))
    }
}
impl From<uuid::Uuid> for Value {
    fn from(k: uuid::Uuid) -> Self {
        Self::Key(Some(k))
    }
}

/// One fetched row, read by column name. Keys and JSON documents read as their text.
pub trait Columns: Send + Sync {
    fn text(&self, name: &str) -> Result<Option<String>>;
    fn int(&self, name: &str) -> Result<Option<i64>>;
    fn real(&self, name: &str) -> Result<Option<f64>>;
    fn bool(&self, name: &str) -> Result<Option<bool>>;
}

pub type Row = Box<dyn Columns>;

/// A column that must not be NULL.
pub fn text(row: &Row, name: &str) -> Result<String> {
    row.text(name)?.ok_or_else(|| corrupt(name))
}

pub fn int(row: &Row, name: &str) -> Result<i64> {
    row.int(name)?.ok_or_else(|| corrupt(name))
}

pub fn flag(row: &Row, name: &str) -> Result<bool> {
    row.bool(name)?.ok_or_else(|| corrupt(name))
}

pub fn key(row: &Row, name: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(&text(row, name)?).map_err(|_| corrupt(name))
}

/// A value that does not parse is corrupt data, never passed on half-read.
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in the database"))
}

/// An open transaction of a backend.
#[async_trait]
pub trait Tx: Send {
    /// Runs a statement; returns the rows it changed.
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64>;
    async fn fetch(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>>;
    /// Takes the audit chain's lock for the rest of the transaction, so that the chain's
    /// tail cannot move between reading it and appending after it. Taking it twice is free.
    async fn lock_audit(&mut self) -> Result<()>;
    /// Serialises transactions about one name (a username's login failures) without the
    /// audit lock.
    async fn lock_name(&mut self, name: &str) -> Result<()>;
    /// The SQL expression for a text field of a JSON document column (NULL when absent).
    fn json_text(&self, column: &str, field: &str) -> String;
    /// The key of the audit chain's MACs, held by the process, never by the database.
    fn audit_key(&self) -> &cancuoc_domain::audit::AuditKey;
    /// Where this transaction's audit events go: itself, or, for a read served by a read
    /// replica, the primary's transaction beside it (a standby takes no writes).
    fn audit_side(&mut self) -> &mut dyn Tx;
    /// Makes the transaction's work permanent.
    async fn commit(self) -> Result<()>
    where
        Self: Sized;
}

/// The shared statements' conveniences on any backend's transaction.
impl dyn Tx + '_ {
    /// Appends to the audit chain inside this transaction: something done.
    pub async fn audit(
        &mut self,
        access: &Access,
        action: &str,
        kind: &str,
        key: &str,
    ) -> Result<()> {
        self.audit_outcome(access, action, kind, key, Outcome::Done)
            .await
    }

    /// Appends to the audit chain inside this transaction, with the request's outcome.
    pub async fn audit_outcome(
        &mut self,
        access: &Access,
        action: &str,
        kind: &str,
        key: &str,
        outcome: Outcome,
    ) -> Result<()> {
        audit::append(self.audit_side(), access, action, kind, key, outcome)
            .await
            .map(|_| ())
    }

    /// The citizen behind a personal ID within the caller's scope, not audited (the
    /// caller audits the use it makes of it).
    pub async fn citizen(
        &mut self,
        access: &Access,
        pid: &cancuoc_domain::PersonalId,
    ) -> Result<Option<cancuoc_store::CitizenRecord>> {
        citizens::get_unaudited(self, access, pid).await
    }

    /// The first row, if any.
    pub async fn fetch_one(&mut self, sql: &str, args: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch(sql, args).await?.into_iter().next())
    }
}

/// What a transaction is for; each backend maps it onto its own locking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// Reads nothing personal and writes nothing audited: one snapshot, no writer lock.
    Read,
    /// A `Read` that may lag a little behind the last commit (reports, counts, lists): on
    /// PostgreSQL, served by the read replica when one is configured and up.
    LaggingRead,
    /// An `AuditedRead` that may lag (a name search): its reads on the read replica, its
    /// audit event on the primary, committed first.
    LaggingAuditedRead,
    /// Reads personal data and appends its audit event (SQLite: the write lock from the
    /// start; PostgreSQL: the audit lock only when it appends).
    AuditedRead,
    /// Writes the register (the audit lock first on PostgreSQL, `BEGIN IMMEDIATE` on SQLite).
    Write,
    /// A write whose commit must survive a power cut when it returns (a filing).
    Durable,
    /// A large write (an import, a population load): a bulk connection.
    Bulk,
    /// A large write that is rolled back (an import's dry run): like `Bulk`, but with an
    /// ordinary connection's memory, since nothing it writes is kept.
    Trial,
    /// A review's step, which may create or change official records: like `Write`, and
    /// on PostgreSQL it first waits for a running bulk write to end (bulk writes do not
    /// hold the audit lock while they run), so that the two never decide on each other's
    /// uncommitted records.
    RecordWrite,
    /// A small write that touches nothing audited (sessions, login failures): no audit lock.
    Bookkeeping,
}

/// What differs between the two database engines. [`SqlStore`] is written once over it.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    type Tx: Tx + 'static;
    /// What the backend keeps in memory for the length of one import.
    type ImportState: Send;

    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    async fn begin(&self, kind: TxKind) -> Result<Self::Tx>;

    /// Inserts new records, version 1, with their first history entries. A personal ID
    /// already in the register fails the whole call as `Conflict`. Rows written by an
    /// import carry its `run` and stay hidden until the run ends (migration 0012).
    async fn insert_records(
        &self,
        tx: &mut Self::Tx,
        records: &[NewRecord],
        run: Option<i64>,
        actor: &str,
        at_micros: i64,
    ) -> Result<()>;
    /// Creates or updates households; a head already recorded is kept unless the new row
    /// names one. Numbers must not repeat within the call (`merge_households`).
    async fn upsert_households(
        &self,
        tx: &mut Self::Tx,
        households: &[NewHousehold],
        run: Option<i64>,
    ) -> Result<()>;
    /// Puts staged rows in the review queue, as drafts.
    async fn insert_staged(
        &self,
        tx: &mut Self::Tx,
        rows: &[StagedRow],
        run: Option<i64>,
        now: i64,
    ) -> Result<()>;

    /// Whether an import commits chunk by chunk, its rows hidden until its last
    /// transaction shows them all at once (SQLite shared with a server, whose one write
    /// lock would otherwise stop every desk for the import's length), or runs as one
    /// transaction (PostgreSQL, where desks do not wait for it, and SQLite when the
    /// process has the file to itself).
    fn commits_import_chunks(&self) -> bool;
    /// Whether the audit trail is partitioned by month (PostgreSQL, migration 0024) or one
    /// table (SQLite).
    fn partitions_audit(&self) -> bool;
    /// Called after each of a chunked import's write transactions commits, before it
    /// asks for the write lock again: the gap in which other processes' writers get it.
    async fn after_import_write(&self) {}
    /// Brings the planner's statistics up to date after a large load (PostgreSQL
    /// `ANALYZE`: without it, the first counts after a load are planned for an empty table
    /// and run for minutes). Nothing on SQLite.
    async fn refresh_statistics(&self) -> Result<()> {
        Ok(())
    }
    /// Waits until no other import of this database runs and holds that until the
    /// returned guard is dropped. SQLite: a lock on a file beside the database, which
    /// the system releases when its process dies, so a run listed while the lock is held
    /// is a dead one. PostgreSQL: nothing here; the bulk transaction serialises imports.
    async fn import_turn(&self) -> Result<Box<dyn Send>>;
    /// Prepares an import of at most `rows_at_most` rows (`tx` reads the register).
    async fn start_import(
        &self,
        tx: &mut Self::Tx,
        rows_at_most: usize,
    ) -> Result<Self::ImportState>;
    /// Ends an import in its last transaction, before its run is unlisted (SQLite: builds
    /// again the indexes a large import set aside).
    async fn finish_import(&self, _tx: &mut Self::Tx, _state: Self::ImportState) -> Result<()> {
        Ok(())
    }
    /// Rows the backend writes per chunk (it gathers the stream's chunks up to this).
    fn import_chunk_rows(&self) -> usize;
    /// What the register holds for a chunk's personal IDs, duplicate keys and contents,
    /// the running import's own hidden rows included.
    async fn register_view(
        &self,
        tx: &mut Self::Tx,
        chunk: &PreparedChunk,
        state: &Self::ImportState,
    ) -> Result<RegisterView>;
    /// Learns what a chunk's plan wrote, before the next chunk is read.
    fn learn(&self, state: &mut Self::ImportState, plan: &ChunkPlan);
}

/// Whether other processes may be at work on the database while this one writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sharing {
    /// A server may be serving the database: an import keeps out of its desks' way
    /// (SQLite: commits chunk by chunk; PostgreSQL: keeps every index in place).
    #[default]
    Shared,
    /// The caller holds the database's claim as an import (no server runs on it): nobody
    /// is kept waiting by a long write, so an import runs as one transaction and a large
    /// one sets secondary indexes aside and builds them again at its end.
    Alone,
}

/// From this many rows an import is large (see `is_large_import`).
pub const LARGE_IMPORT_ROWS: usize = 50_000;

/// Whether an import of at most `rows_at_most` rows into a register of about
/// `register_rows` is large: at least `LARGE_IMPORT_ROWS`, into a register not much larger
/// than itself (at most twice its rows). Such an import keeps the register's keys in memory
/// (SQLite) and, with the database to itself (`Sharing::Alone`), sets secondary indexes
/// aside: sorting once beats inserting at random only when most of the rows are new.
pub fn is_large_import(rows_at_most: usize, register_rows: f64) -> bool {
    rows_at_most >= LARGE_IMPORT_ROWS && register_rows <= 2.0 * rows_at_most as f64
}

/// `AND column = $n` for the caller's jurisdiction on a table that carries the three
/// `home_*` columns, with the value to bind.
pub fn scope(access: &Access, table: &str, n: usize) -> Option<(String, Value)> {
    access.scope_filter().map(|f| {
        (
            format!(" AND {table}.{} = ${n}", f.column),
            Value::from(f.code),
        )
    })
}

/// A statement's text and its arguments, built clause by clause with `$?` standing for
/// the next parameter's number.
#[derive(Debug, Default)]
pub struct Query {
    pub sql: String,
    pub args: Vec<Value>,
}

impl Query {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Appends a clause with one `$?`, bound to `value`.
    pub fn push(&mut self, clause: &str, value: impl Into<Value>) -> &mut Self {
        self.args.push(value.into());
        self.sql
            .push_str(&clause.replace("$?", &format!("${}", self.args.len())));
        self
    }

    /// Appends `(v1, v2, …)` for an `IN` list; an empty list matches nothing.
    pub fn push_list(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        let mut marks = Vec::new();
        for v in values {
            self.args.push(v);
            marks.push(format!("${}", self.args.len()));
        }
        if marks.is_empty() {
            self.sql.push_str("(NULL)");
        } else {
            self.sql.push_str(&format!("({})", marks.join(", ")));
        }
        self
    }

    /// Appends a clause written with its own `$1`, `$2`… for `values`, renumbered to
    /// follow the arguments so far.
    pub fn push_numbered(&mut self, clause: &str, values: Vec<Value>) -> &mut Self {
        let offset = self.args.len();
        // Through markers, so that `$1` never matches the start of a renumbered `$12`.
        let mut sql = clause.to_owned();
        for k in (1..=values.len()).rev() {
            sql = sql.replace(&format!("${k}"), &format!("\u{1}{k}\u{1}"));
        }
        for k in 1..=values.len() {
            sql = sql.replace(&format!("\u{1}{k}\u{1}"), &format!("${}", offset + k));
        }
        self.sql.push_str(&sql);
        self.args.extend(values);
        self
    }

    /// Appends text with no parameter.
    pub fn raw(&mut self, clause: &str) -> &mut Self {
        self.sql.push_str(clause);
        self
    }

    pub async fn fetch(&self, tx: &mut dyn Tx) -> Result<Vec<Row>> {
        tx.fetch(&self.sql, &self.args).await
    }
}
