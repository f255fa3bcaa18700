//! The embedded SQLite backend: one file, WAL journal, one writer at a time.
//!
//! Every write transaction starts with `BEGIN IMMEDIATE`, so two writers never deadlock on
//! a lock upgrade, and the audit chain's tail is read and extended under the write lock.
//! Reads of personal data are write transactions too, because they append an audit event.

mod audit;
mod citizens;
mod forms;
mod officers;
mod reference;
mod rows;
mod shared;

/// The indexes a large import sets aside and builds again, for benchmarks that
/// reproduce its writes outside it.
pub use forms::{
    SET_ASIDE as IMPORT_SET_ASIDE, SET_ASIDE_DEFINITIONS as IMPORT_SET_ASIDE_DEFINITIONS,
};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cancuoc_domain::audit::AuditEvent;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminUnit, Officer, PersonalId, PoliceUnit, PoliceUnitCode};
use cancuoc_store::*;
use cancuoc_store_sql::{applications, bench, campaigns, schedule};
use shared::SqliteTx;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool, Transaction};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One writer at a time inside this process, queued here rather than in SQLite's
    /// busy handler, which sleeps in steps of up to 100 ms when writers collide.
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction and this process's writer turn, given back when it ends.
pub(crate) struct Writing {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Writing {
    pub(crate) async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for Writing {
    type Target = Transaction<'static, Sqlite>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Writing {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens (creating when `create` is set) the database at a `sqlite://` URL and
    /// brings its schema up to date.
    pub async fn open(url: &str, create: bool) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad SQLite URL {url:?}: {e}")))?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode is durable against application crashes; a power loss
            // may lose the last transactions but never corrupts the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
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
        Ok(Self {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// A connection for a bulk write (a population load, an import), its page cache
    /// raised: such writes touch pages all over each index, and a small cache spills them
    /// to the WAL and reads them back again. Its commits run no checkpoint either: the
    /// background task copies the WAL back meanwhile, on the other core, and the next
    /// ordinary commit finishes the job. Its commits are synced (`synchronous = FULL`):
    /// an import reported applied, or a population reported loaded, must survive a
    /// power cut, and one sync per large transaction costs little. Hand it back with
    /// [`end_bulk`].
    async fn begin_bulk(&self) -> Result<PoolConnection<Sqlite>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        set_pragmas(&mut conn, BULK_CACHE, "0", "FULL").await?;
        Ok(conn)
    }

    /// A connection whose commits are synced to disk before they return
    /// (`synchronous = FULL`). The register's other writes keep WAL's NORMAL, which
    /// survives a crash of the process but may lose the last commits to a power cut; a
    /// filed application, for which the citizen holds a receipt, may not. Hand it back
    /// with [`end_durable`].
    async fn begin_durable(&self) -> Result<PoolConnection<Sqlite>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(conn)
    }

    /// A read transaction: it sees one snapshot and waits for no writer.
    async fn read(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin().await.map_err(backend)
    }

    async fn write(&self) -> Result<Writing> {
        let turn = self.writer.clone().lock_owned().await;
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        Ok(Writing { tx, _turn: turn })
    }
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

/// Gives a durable connection's setting back before it returns to the pool.
async fn end_durable<T>(mut conn: PoolConnection<Sqlite>, result: Result<T>) -> Result<T> {
    sqlx::query("PRAGMA synchronous = NORMAL")
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    result
}

/// Page cache per connection (negative: KiB), and while a bulk write runs.
const NORMAL_CACHE: &str = "-65536";
const BULK_CACHE: &str = "-1048576";

/// Gives a bulk connection's settings back before it returns to the pool.
async fn end_bulk<T>(mut conn: PoolConnection<Sqlite>, result: Result<T>) -> Result<T> {
    set_pragmas(&mut conn, NORMAL_CACHE, NORMAL_AUTOCHECKPOINT, "NORMAL").await?;
    result
}

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
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        _ => StoreError::Backend(e.to_string()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn load_reference(
        &self,
        hierarchy: &str,
        admin: &[AdminUnit],
        police: &[PoliceUnit],
    ) -> Result<ReferenceSummary> {
        let mut tx = self.write().await?;
        let summary = reference::load(&mut tx, hierarchy, admin, police).await?;
        tx.commit().await.map_err(backend)?;
        Ok(summary)
    }

    async fn hierarchy(&self) -> Result<Option<String>> {
        reference::hierarchy(&self.pool).await
    }

    async fn admin_units(&self) -> Result<Vec<AdminUnit>> {
        reference::admin_units(&self.pool).await
    }

    async fn police_unit(&self, code: &PoliceUnitCode) -> Result<Option<PoliceUnit>> {
        reference::police_unit(&self.pool, code).await
    }

    async fn police_units(&self) -> Result<Vec<PoliceUnit>> {
        reference::police_units(&self.pool).await
    }

    async fn create_officer(&self, access: &Access, new: &NewOfficer) -> Result<()> {
        let mut tx = self.write().await?;
        officers::create(&mut tx, access, new).await?;
        tx.commit().await.map_err(backend)
    }

    async fn officer_credentials(&self, username: &str) -> Result<Option<OfficerCredentials>> {
        officers::credentials(&self.pool, username).await
    }

    async fn officers(&self, access: &Access) -> Result<Vec<Officer>> {
        let mut tx = self.write().await?;
        let list = officers::list(&mut tx, access).await?;
        tx.commit().await.map_err(backend)?;
        Ok(list)
    }

    async fn set_officer_active(
        &self,
        access: &Access,
        username: &str,
        active: bool,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        officers::set_active(&mut tx, access, username, active).await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_password(
        &self,
        access: &Access,
        username: &str,
        password_hash: &str,
        must_change: bool,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        officers::set_password(&mut tx, access, username, password_hash, must_change).await?;
        tx.commit().await.map_err(backend)
    }

    async fn record_login_failure(
        &self,
        username: &str,
        now_micros: i64,
        window_micros: i64,
    ) -> Result<u32> {
        let mut tx = self.write().await?;
        let n = officers::record_failure(&mut tx, username, now_micros, window_micros).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_session(&self, session: &NewSession) -> Result<()> {
        officers::create_session(&self.pool, session).await
    }

    async fn session_officer(
        &self,
        token_hash: &str,
        now_micros: i64,
    ) -> Result<Option<SessionInfo>> {
        officers::session(&self.pool, token_hash, now_micros).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_audit(
        &self,
        access: &Access,
        action: &str,
        record_kind: &str,
        record_key: &str,
    ) -> Result<AuditEvent> {
        let mut tx = self.write().await?;
        let event = audit::append(&mut tx, access, action, record_kind, record_key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(event)
    }

    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
        audit::events(&self.pool, after, limit).await
    }

    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        audit::search(&self.pool, filter).await
    }

    async fn citizen(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Option<CitizenRecord>> {
        let mut tx = self.write().await?;
        let found = citizens::get(&mut tx, access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn citizen_history(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Vec<HistoryEntry>> {
        let mut tx = self.write().await?;
        let found = citizens::history(&mut tx, access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        found.ok_or_else(|| StoreError::NotFound(format!("citizen {personal_id}")))
    }

    async fn search_citizens(
        &self,
        access: &Access,
        query: &CitizenQuery,
    ) -> Result<Page<CitizenRecord>> {
        let mut tx = self.write().await?;
        let page = citizens::search(&mut tx, access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(page)
    }

    async fn household(&self, access: &Access, number: &str) -> Result<Option<Household>> {
        let mut tx = self.write().await?;
        let found = citizens::household(&mut tx, access, number).await?;
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn load_population(&self, access: &Access, batch: &PopulationBatch) -> Result<u64> {
        let _turn = self.writer.lock().await;
        let mut conn = self.begin_bulk().await?;
        let result = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
            let n = citizens::load_population(&mut tx, access, batch).await?;
            tx.commit().await.map_err(backend)?;
            Ok(n)
        }
        .await;
        end_bulk(conn, result).await
    }

    async fn allocate_personal_id(
        &self,
        access: &Access,
        prefix: &IdPrefix,
        permutation: &SerialPermutation,
    ) -> Result<PersonalId> {
        let mut tx = self.write().await?;
        let id = citizens::allocate_id(&mut tx, access, prefix, permutation).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn import_forms(
        &self,
        access: &Access,
        import: ImportStream<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome> {
        let _turn = self.writer.lock().await;
        let mut conn = self.begin_bulk().await?;
        let result = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
            let outcome = forms::import(&mut tx, access, import, progress).await?;
            tx.commit().await.map_err(backend)?;
            Ok(outcome)
        }
        .await;
        end_bulk(conn, result).await
    }

    async fn staged_forms(&self, access: &Access, query: &FormQuery) -> Result<Page<StagedForm>> {
        let mut tx = self.write().await?;
        let page = forms::list(&mut tx, access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(page)
    }

    async fn staged_form(&self, access: &Access, id: Uuid) -> Result<Option<StagedForm>> {
        let mut tx = self.write().await?;
        let found = forms::get(&mut tx, access, id, true).await?;
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn decide_form(
        &self,
        access: &Access,
        id: Uuid,
        decision: &FormDecision,
    ) -> Result<StagedForm> {
        let mut tx = self.write().await?;
        let form = forms::decide(&mut tx, access, id, decision).await?;
        tx.commit().await.map_err(backend)?;
        Ok(form)
    }
    async fn intake_facts(
        &self,
        access: &Access,
        personal_ids: &[PersonalId],
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<IntakeFacts>>> {
        let mut tx = self.write().await?;
        let out =
            applications::intake_facts(&mut SqliteTx(&mut tx), access, personal_ids, today).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn file_applications(
        &self,
        access: &Access,
        batch: &[NewApplication],
    ) -> Result<Vec<Filed>> {
        let _turn = self.writer.lock().await;
        let mut conn = self.begin_durable().await?;
        let result = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
            let out = applications::file(&mut SqliteTx(&mut tx), access, batch).await?;
            tx.commit().await.map_err(backend)?;
            Ok(out)
        }
        .await;
        end_durable(conn, result).await
    }

    async fn application(&self, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>> {
        let mut tx = self.write().await?;
        let out = applications::get(&mut SqliteTx(&mut tx), access, key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn transition_application(
        &self,
        access: &Access,
        key: Uuid,
        step: &Step,
    ) -> Result<ApplicationRecord> {
        let mut tx = self.write().await?;
        let out = applications::transition(&mut SqliteTx(&mut tx), access, key, step).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn applications(
        &self,
        access: &Access,
        query: &ApplicationQuery,
    ) -> Result<Page<ApplicationSummary>> {
        let mut tx = self.write().await?;
        let out = applications::list(&mut SqliteTx(&mut tx), access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn batch_for(
        &self,
        access: &Access,
        id: Uuid,
        province: &cancuoc_domain::AdminCode,
        day: jiff::civil::Date,
    ) -> Result<Batch> {
        let mut tx = self.write().await?;
        let out =
            applications::batch_for(&mut SqliteTx(&mut tx), access, id, province, day).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn batch(&self, _access: &Access, id: Uuid) -> Result<Option<Batch>> {
        let mut tx = self.write().await?;
        let out = applications::batch(&mut SqliteTx(&mut tx), id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn set_biometrics(
        &self,
        access: &Access,
        key: Uuid,
        biometrics: &str,
    ) -> Result<ApplicationRecord> {
        let mut tx = self.write().await?;
        let out =
            applications::set_biometrics(&mut SqliteTx(&mut tx), access, key, biometrics).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn card(&self, access: &Access, personal_id: &PersonalId) -> Result<Option<CardRecord>> {
        let mut tx = self.write().await?;
        let out = applications::card_of(&mut SqliteTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn cards(&self, access: &Access, personal_id: &PersonalId) -> Result<Vec<CardRecord>> {
        let mut tx = self.write().await?;
        let out = applications::cards_of(&mut SqliteTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn report_card_lost(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<CardRecord> {
        let mut tx = self.write().await?;
        let out = applications::report_lost(&mut SqliteTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn create_campaign(&self, access: &Access, campaign: &Campaign) -> Result<()> {
        let mut tx = self.write().await?;
        campaigns::create(&mut SqliteTx(&mut tx), access, campaign).await?;
        tx.commit().await.map_err(backend)
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>> {
        let mut tx = self.read().await?;
        campaigns::list(&mut SqliteTx(&mut tx)).await
    }

    async fn campaign(&self, id: Uuid) -> Result<Option<Campaign>> {
        let mut tx = self.read().await?;
        campaigns::get(&mut SqliteTx(&mut tx), id).await
    }

    async fn set_quotas(&self, access: &Access, campaign: Uuid, quotas: &[Quota]) -> Result<()> {
        let mut tx = self.write().await?;
        campaigns::set_quotas(&mut SqliteTx(&mut tx), access, campaign, quotas).await?;
        tx.commit().await.map_err(backend)
    }

    async fn quotas(&self, campaign: Uuid, units: &[String]) -> Result<Vec<Quota>> {
        let mut tx = self.read().await?;
        campaigns::quotas(&mut SqliteTx(&mut tx), campaign, units).await
    }

    async fn intake_counts(
        &self,
        units: &[String],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<IntakeCount>> {
        let mut tx = self.read().await?;
        campaigns::intake_counts(&mut SqliteTx(&mut tx), units, from, to).await
    }

    async fn verify_intake_counts(&self) -> Result<Vec<IntakeMismatch>> {
        let mut tx = self.read().await?;
        campaigns::verify_intake_counts(&mut SqliteTx(&mut tx)).await
    }

    async fn rebuild_intake_counts(&self) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = campaigns::rebuild_intake_counts(&mut SqliteTx(&mut tx)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows)
    }

    async fn eligible(
        &self,
        access: &Access,
        query: &EligibleQuery,
    ) -> Result<Vec<(Option<String>, u64)>> {
        let mut tx = self.write().await?;
        let out = campaigns::eligible(&mut SqliteTx(&mut tx), access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn create_site(&self, access: &Access, site: &Site) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::create_site(&mut SqliteTx(&mut tx), access, site).await?;
        tx.commit().await.map_err(backend)
    }

    async fn sites(&self, access: &Access, unit: Option<&str>) -> Result<Vec<Site>> {
        let mut tx = self.read().await?;
        schedule::sites(&mut SqliteTx(&mut tx), access, unit).await
    }

    async fn add_machine(&self, access: &Access, machine: &Machine) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::add_machine(&mut SqliteTx(&mut tx), access, machine).await?;
        tx.commit().await.map_err(backend)
    }

    async fn machines(&self, unit: &str) -> Result<Vec<Machine>> {
        let mut tx = self.read().await?;
        schedule::machines(&mut SqliteTx(&mut tx), unit).await
    }

    async fn create_sessions(
        &self,
        access: &Access,
        sessions: &[NewEnrollmentSession],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::create_sessions(&mut SqliteTx(&mut tx), access, sessions).await?;
        tx.commit().await.map_err(backend)
    }

    async fn enrollment_sessions(
        &self,
        access: &Access,
        query: &SessionQuery,
    ) -> Result<Vec<EnrollmentSession>> {
        let mut tx = self.read().await?;
        schedule::sessions(&mut SqliteTx(&mut tx), access, query).await
    }

    async fn enrollment_session(
        &self,
        access: &Access,
        id: Uuid,
    ) -> Result<Option<EnrollmentSession>> {
        let mut tx = self.read().await?;
        schedule::session(&mut SqliteTx(&mut tx), access, id).await
    }

    async fn close_session(&self, access: &Access, id: Uuid) -> Result<u64> {
        let mut tx = self.write().await?;
        let out = schedule::close_session(&mut SqliteTx(&mut tx), access, id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn invitees(
        &self,
        access: &Access,
        commune: &str,
        on: jiff::civil::Date,
    ) -> Result<Vec<Invitee>> {
        let mut tx = self.write().await?;
        let out = schedule::invitees(&mut SqliteTx(&mut tx), access, commune, on).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn make_appointments(
        &self,
        access: &Access,
        new: &[NewAppointment],
    ) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::make_appointments(&mut SqliteTx(&mut tx), access, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn appointments(&self, access: &Access, session: Uuid) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::appointments(&mut SqliteTx(&mut tx), access, session).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn active_appointment(
        &self,
        access: &Access,
        personal_id: &str,
    ) -> Result<Option<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::active_appointment(&mut SqliteTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn step_appointment(
        &self,
        access: &Access,
        id: Uuid,
        step: AppointmentStep,
    ) -> Result<Appointment> {
        let mut tx = self.write().await?;
        let out = schedule::step_appointment(&mut SqliteTx(&mut tx), access, id, step).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn mark_no_shows(&self, access: &Access, session: Uuid, slots: &[u32]) -> Result<u64> {
        let mut tx = self.write().await?;
        let out = schedule::mark_no_shows(&mut SqliteTx(&mut tx), access, session, slots).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn load_synthetic_applications(&self, spec: &SyntheticApplications) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = bench::load_synthetic_applications(&mut SqliteTx(&mut tx), spec).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows)
    }

    async fn scan_intake_by_province(
        &self,
        from: jiff::civil::Date,
        on: jiff::civil::Date,
    ) -> Result<Vec<ScannedIntake>> {
        let mut tx = self.read().await?;
        bench::scan_intake_by_province(&mut SqliteTx(&mut tx), from, on).await
    }
}
