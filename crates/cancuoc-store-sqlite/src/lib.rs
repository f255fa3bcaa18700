//! The embedded SQLite backend: one file, WAL journal, one writer at a time.
//!
//! Every writing transaction starts with `BEGIN IMMEDIATE`, so two writers never deadlock
//! on a lock upgrade, and the audit chain's tail is read and extended under the write
//! lock (the chain's lock is the write lock itself). Reads of personal data are write
//! transactions too, because they append an audit event. The store's logic is
//! `cancuoc-store-sql`'s; this crate supplies connections, transactions, locking and the
//! bulk path (multi-row INSERTs), and imports committed chunk by chunk (their rows hidden
//! until their end, so that desks get the write lock between chunks), or in one
//! transaction when the process has the file to itself (`Sharing::Alone`).

mod bulk;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cancuoc_domain::audit::AuditKey;
use cancuoc_store::{Result, StoreError};
pub use cancuoc_store_sql::Sharing;
use cancuoc_store_sql::{Columns, Row, SqlStore, Tx, TxKind, Value};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row as _, Sqlite, SqliteConnection, SqlitePool, Transaction};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The register in one SQLite file.
pub type SqliteStore = SqlStore<SqliteBackend>;

/// Connections to one SQLite file.
#[derive(Clone)]
pub struct SqliteBackend {
    pool: SqlitePool,
    /// One writer at a time inside this process, queued here rather than in SQLite's
    /// busy handler, which sleeps in steps of up to 100 ms when writers collide.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// One import at a time inside this process; across processes, `import_lock`.
    imports: Arc<tokio::sync::Mutex<()>>,
    /// A file beside the database that a running import holds locked (`File::lock`); the
    /// system releases the lock when the process dies. None for a database in memory.
    import_lock: Option<std::path::PathBuf>,
    /// Whether this process has the file to itself (`Sharing::Alone`).
    alone: bool,
    audit_key: Arc<AuditKey>,
    /// For a database in memory: a connection outside the pool, held for the store's
    /// life, so that the database lives while the pool closes and opens its own.
    _keeper: Option<Arc<tokio::sync::Mutex<SqliteConnection>>>,
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteBackend")
    }
}

/// The lock file that a process serving the database (or importing with it to itself)
/// holds locked, beside the database file.
pub fn serve_lock_path(database: &std::path::Path) -> std::path::PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_owned();
    name.push(".serve-lock");
    database.with_file_name(name)
}

/// Opens (creating when `create` is set) the database at a `sqlite://` URL and brings its
/// schema up to date, shared with other processes. `audit_key` keys the audit chain's MACs.
pub async fn open(url: &str, create: bool, audit_key: AuditKey) -> Result<SqliteStore> {
    open_with(url, create, audit_key, Sharing::Shared).await
}

/// `open`, saying whether the process has the database to itself.
pub async fn open_with(
    url: &str,
    create: bool,
    audit_key: AuditKey,
    sharing: Sharing,
) -> Result<SqliteStore> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Invalid(format!("bad SQLite URL {url:?}: {e}")))?
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode is durable against application crashes; a power loss
        // may lose the last transactions but never corrupts the file.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(WRITE_LOCK_WAIT)
        .foreign_keys(true)
        .pragma("cache_size", NORMAL_CACHE)
        // A multi-row INSERT keeps a statement journal to undo itself on a constraint
        // failure; in a temporary file that is a second copy of every page written.
        .pragma("temp_store", "memory")
        // Reads through a memory map skip a copy and a system call per page; the map
        // is address space, not memory, so it may exceed the file.
        .pragma("mmap_size", "17179869184")
        // After a bulk load the WAL file can be gigabytes; once the WAL starts over,
        // it is cut back to this size instead of keeping its largest size forever.
        .pragma("journal_size_limit", "67108864");
    let database = options.get_filename().to_owned();
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.code().as_deref() == Some("14") => {
                StoreError::NotFound(format!("database {url} (run `cancuoc init` first)"))
            }
            _ => backend(e),
        })?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    tokio::spawn(checkpoints(pool.clone()));
    Ok(SqlStore::new(SqliteBackend {
        pool,
        writer: Arc::new(tokio::sync::Mutex::new(())),
        imports: Arc::new(tokio::sync::Mutex::new(())),
        import_lock: database.is_file().then(|| {
            let mut name = database.into_os_string();
            name.push("-import.lock");
            name.into()
        }),
        alone: sharing == Sharing::Alone,
        audit_key: Arc::new(audit_key),
        _keeper: None,
    }))
}

/// A database in memory, gone with the process: a mobile station's working copy, loaded
/// from its sealed extract, so that no resident's record lies unencrypted on the laptop.
/// One connection in the pool: the shared cache locks whole tables, and a station has
/// a handful of officers.
pub async fn open_in_memory(audit_key: AuditKey) -> Result<SqliteStore> {
    use sqlx::Connection as _;
    let options = SqliteConnectOptions::from_str("sqlite::memory:")
        .map_err(|e| StoreError::Backend(e.to_string()))?
        .foreign_keys(true);
    let keeper = SqliteConnection::connect_with(&options)
        .await
        .map_err(backend)?;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(backend)?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    Ok(SqlStore::new(SqliteBackend {
        pool,
        writer: Arc::new(tokio::sync::Mutex::new(())),
        imports: Arc::new(tokio::sync::Mutex::new(())),
        import_lock: None,
        alone: false,
        audit_key: Arc::new(audit_key),
        _keeper: Some(Arc::new(tokio::sync::Mutex::new(keeper))),
    }))
}

/// Copies the WAL back into the database file once a second, without waiting for readers
/// or writers (PASSIVE), so that the automatic checkpoint a commit runs when the WAL
/// reaches 1,000 pages finds little left to copy. That automatic one stays: only a
/// checkpoint run right after a commit lets the next writer start the WAL over, and
/// without it the WAL grows for as long as writes keep coming. Ends when the pool is
/// closed or the runtime stops.
async fn checkpoints(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!("WAL checkpoint failed: {e}");
        }
    }
}

/// Page cache per connection (negative: KiB), and while a bulk write runs.
const NORMAL_CACHE: &str = "-65536";
const BULK_CACHE: &str = "-1048576";
/// SQLite's default: a commit that leaves 1,000 pages or more in the WAL checkpoints.
const NORMAL_AUTOCHECKPOINT: &str = "1000";

async fn set_pragmas(
    conn: &mut SqliteConnection,
    cache_kib: &str,
    autocheckpoint: &str,
    synchronous: &str,
) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "PRAGMA cache_size = {cache_kib}; PRAGMA wal_autocheckpoint = {autocheckpoint};
         PRAGMA synchronous = {synchronous};"
    )))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        // Another writer kept the database past the wait.
        sqlx::Error::Database(db) if primary_code(&**db) == Some(SQLITE_BUSY) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        _ => StoreError::Backend(e.to_string()),
    }
}

const SQLITE_BUSY: i32 = 5;

/// SQLite's primary result code of an error: the low byte of its extended code.
fn primary_code(e: &dyn sqlx::error::DatabaseError) -> Option<i32> {
    e.code()
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff)
}

/// How long a writer waits for the write lock before it reports the database busy.
const WRITE_LOCK_WAIT: Duration = Duration::from_secs(10);
/// How often a writer asks again for the write lock while another process holds it.
const WRITE_LOCK_POLL: Duration = Duration::from_millis(1);

/// `BEGIN IMMEDIATE`, asked for again every millisecond while another process holds the
/// write lock. SQLite's own busy handler sleeps in growing steps of up to 100 ms, so a
/// desk waiting on an import in another process (which gives the lock up for a few
/// milliseconds between its short transactions) would miss most of those gaps.
async fn begin_immediate(conn: &mut SqliteConnection) -> Result<()> {
    let started = std::time::Instant::now();
    sqlx::raw_sql("PRAGMA busy_timeout = 0")
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let began = loop {
        match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
            Err(sqlx::Error::Database(e))
                if primary_code(&*e) == Some(SQLITE_BUSY)
                    && started.elapsed() < WRITE_LOCK_WAIT =>
            {
                tokio::time::sleep(WRITE_LOCK_POLL).await;
            }
            other => break other,
        }
    };
    // Other statements keep the connection's busy timeout.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "PRAGMA busy_timeout = {}",
        WRITE_LOCK_WAIT.as_millis()
    )))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    began.map(|_| ()).map_err(backend)
}

/// How a connection's settings were changed for one transaction, to be given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tuned {
    /// An ordinary write: the connection's settings as they are.
    Plain,
    /// A bulk write: a large page cache, no automatic checkpoints, synced commits. The
    /// background task copies the WAL back meanwhile, on the other core, and the next
    /// ordinary commit finishes the job. An import reported applied, or a population
    /// reported loaded, survives a power cut; one sync per large transaction costs little.
    Bulk,
    /// A bulk write that will be rolled back (a dry run): no automatic checkpoints, and
    /// the ordinary page cache, so that its memory does not grow with the file: pages
    /// past the cache spill to the WAL, and the rollback forgets them.
    Trial,
    /// A filing: synced commits (`synchronous = FULL`). The register's other writes keep
    /// WAL's NORMAL, which survives a crash of the process but may lose the last commits
    /// to a power cut; a filed application, for which the citizen holds a receipt, may not.
    Durable,
}

enum Conn {
    /// An ordinary transaction; sqlx rolls it back if it is dropped.
    Plain(Transaction<'static, Sqlite>),
    /// A connection whose settings were changed, in a transaction begun by hand.
    Tuned(TunedConn, Tuned),
}

/// Dropped before its commit, the connection is closed (SQLite rolls the transaction
/// back), so that changed settings never return to the pool.
struct TunedConn {
    conn: PoolConnection<Sqlite>,
    committed: bool,
}

impl Drop for TunedConn {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
    }
}

/// An open transaction, with this process's writer turn when it writes.
pub struct SqliteTx {
    conn: Conn,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    audit_key: Arc<AuditKey>,
}

impl SqliteTx {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        match &mut self.conn {
            Conn::Plain(tx) => tx,
            Conn::Tuned(t, _) => &mut t.conn,
        }
    }
}

struct SqliteColumns(SqliteRow);

impl Columns for SqliteColumns {
    fn text(&self, name: &str) -> Result<Option<String>> {
        self.0.try_get(name).map_err(backend)
    }
    fn int(&self, name: &str) -> Result<Option<i64>> {
        self.0.try_get(name).map_err(backend)
    }
    fn real(&self, name: &str) -> Result<Option<f64>> {
        self.0.try_get(name).map_err(backend)
    }
    fn bool(&self, name: &str) -> Result<Option<bool>> {
        let n: Option<i64> = self.0.try_get(name).map_err(backend)?;
        Ok(n.map(|n| n != 0))
    }
}

fn query(sql: &str, args: &[Value]) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        q = match arg {
            Value::Text(t) | Value::Json(t) => q.bind(t.clone()),
            Value::Int(n) => q.bind(*n),
            Value::Real(r) => q.bind(*r),
            Value::Bool(b) => q.bind(b.map(i64::from)),
            Value::Key(k) => q.bind(k.map(|k| k.to_string())),
        };
    }
    q
}

#[async_trait]
impl Tx for SqliteTx {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        let done = query(sql, args)
            .execute(self.conn())
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn fetch(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        let rows = query(sql, args)
            .fetch_all(self.conn())
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| Box::new(SqliteColumns(r)) as Row)
            .collect())
    }

    /// The write lock, taken by `BEGIN IMMEDIATE`, is the chain's lock.
    async fn lock_audit(&mut self) -> Result<()> {
        Ok(())
    }

    /// One writer at a time already.
    async fn lock_name(&mut self, _name: &str) -> Result<()> {
        Ok(())
    }

    fn json_text(&self, column: &str, field: &str) -> String {
        format!("json_extract({column}, '$.{field}')")
    }

    fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    fn audit_side(&mut self) -> &mut dyn Tx {
        self
    }

    async fn commit(self) -> Result<()> {
        match self.conn {
            Conn::Plain(tx) => tx.commit().await.map_err(backend),
            Conn::Tuned(mut t, tuned) => {
                sqlx::raw_sql("COMMIT")
                    .execute(&mut *t.conn)
                    .await
                    .map_err(backend)?;
                // Committed. The settings go back before the connection returns to the
                // pool; if that fails, the connection is closed instead (not marked).
                let reset = match tuned {
                    Tuned::Bulk | Tuned::Trial => {
                        set_pragmas(&mut t.conn, NORMAL_CACHE, NORMAL_AUTOCHECKPOINT, "NORMAL")
                            .await
                    }
                    Tuned::Plain => Ok(()),
                    Tuned::Durable => sqlx::raw_sql("PRAGMA synchronous = NORMAL")
                        .execute(&mut *t.conn)
                        .await
                        .map(|_| ())
                        .map_err(backend),
                };
                t.committed = reset.is_ok();
                Ok(())
            }
        }
    }
}

impl SqliteBackend {
    async fn turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.writer.clone().lock_owned().await
    }

    async fn tuned(&self, tuned: Tuned) -> Result<SqliteTx> {
        let turn = self.turn().await;
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        match tuned {
            Tuned::Bulk => set_pragmas(&mut conn, BULK_CACHE, "0", "FULL").await?,
            Tuned::Trial => set_pragmas(&mut conn, NORMAL_CACHE, "0", "NORMAL").await?,
            Tuned::Plain => {}
            Tuned::Durable => {
                sqlx::raw_sql("PRAGMA synchronous = FULL")
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
            }
        }
        let mut tx = SqliteTx {
            conn: Conn::Tuned(
                TunedConn {
                    conn,
                    committed: false,
                },
                tuned,
            ),
            _turn: Some(turn),
            audit_key: self.audit_key.clone(),
        };
        begin_immediate(tx.conn()).await?;
        Ok(tx)
    }
}

#[async_trait]
impl cancuoc_store_sql::Backend for SqliteBackend {
    type Tx = SqliteTx;
    type ImportState = bulk::ImportState;

    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn begin(&self, kind: TxKind) -> Result<SqliteTx> {
        match kind {
            // One snapshot; it waits for no writer.
            TxKind::Read | TxKind::LaggingRead => Ok(SqliteTx {
                conn: Conn::Plain(self.pool.begin().await.map_err(backend)?),
                _turn: None,
                audit_key: self.audit_key.clone(),
            }),
            TxKind::AuditedRead
            | TxKind::LaggingAuditedRead
            | TxKind::Write
            | TxKind::RecordWrite
            | TxKind::Bookkeeping => self.tuned(Tuned::Plain).await,
            TxKind::Durable => self.tuned(Tuned::Durable).await,
            TxKind::Bulk => self.tuned(Tuned::Bulk).await,
            TxKind::Trial => self.tuned(Tuned::Trial).await,
        }
    }

    async fn insert_records(
        &self,
        tx: &mut SqliteTx,
        records: &[cancuoc_store::NewRecord],
        run: Option<i64>,
        actor: &str,
        at_micros: i64,
    ) -> Result<()> {
        bulk::insert_records(tx.conn(), records, run, actor, at_micros).await
    }

    async fn upsert_households(
        &self,
        tx: &mut SqliteTx,
        households: &[cancuoc_store::NewHousehold],
        run: Option<i64>,
    ) -> Result<()> {
        bulk::upsert_households(tx.conn(), households, run).await
    }

    async fn insert_staged(
        &self,
        tx: &mut SqliteTx,
        rows: &[cancuoc_store::StagedRow],
        run: Option<i64>,
        now: i64,
    ) -> Result<()> {
        bulk::insert_staged(tx.conn(), rows, run, now).await
    }

    fn partitions_audit(&self) -> bool {
        false
    }

    fn commits_import_chunks(&self) -> bool {
        !self.alone
    }

    /// Two of a waiting writer's polls (`WRITE_LOCK_POLL`): a desk in another process
    /// takes the lock in this gap.
    async fn after_import_write(&self) {
        tokio::time::sleep(2 * WRITE_LOCK_POLL).await;
    }

    async fn import_turn(&self) -> Result<Box<dyn Send>> {
        let inside = self.imports.clone().lock_owned().await;
        let across = match &self.import_lock {
            None => None,
            Some(path) => {
                let path = path.clone();
                let locked = tokio::task::spawn_blocking(move || {
                    let file = std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(&path)?;
                    // Waits while another process imports into the same database.
                    file.lock()?;
                    Ok::<_, std::io::Error>(file)
                })
                .await
                .map_err(|e| StoreError::Backend(format!("import lock: {e}")))?;
                Some(locked.map_err(|e| StoreError::Backend(format!("import lock: {e}")))?)
            }
        };
        Ok(Box::new((inside, across)))
    }

    async fn start_import(
        &self,
        tx: &mut SqliteTx,
        rows_at_most: usize,
    ) -> Result<bulk::ImportState> {
        bulk::ImportState::start(tx.conn(), rows_at_most, self.alone).await
    }

    async fn finish_import(&self, tx: &mut SqliteTx, state: bulk::ImportState) -> Result<()> {
        state.finish(tx.conn()).await
    }

    fn import_chunk_rows(&self) -> usize {
        cancuoc_store::IMPORT_CHUNK
    }

    async fn register_view(
        &self,
        tx: &mut SqliteTx,
        chunk: &cancuoc_store::PreparedChunk,
        state: &bulk::ImportState,
    ) -> Result<cancuoc_store::RegisterView> {
        bulk::register_view(tx.conn(), chunk, state.known.as_ref()).await
    }

    fn learn(&self, state: &mut bulk::ImportState, plan: &cancuoc_store::ChunkPlan) {
        if let Some(k) = &mut state.known {
            k.learn(plan);
        }
    }
}
