//! The PostgreSQL backend of cancuoc, the production store (DESIGN §9). It implements
//! [`cancuoc_store::Store`] with the same behaviour as the SQLite backend, and passes the
//! same conformance suite.
//!
//! How transactions are serialised. Every trait method is one transaction at PostgreSQL's
//! default READ COMMITTED level. The audit chain has one tail, so appending to it takes a
//! lock: the single row of the `audit_head` table, locked with `SELECT … FOR UPDATE` and
//! held until commit or rollback (see the `audit` module).
//!
//! - Methods that write the register (imports, reviews, bulk loads, ID allocation,
//!   officers, reference data, standalone audit events) take that lock as their first
//!   statement, the counterpart of SQLite's `BEGIN IMMEDIATE`. They therefore run one at
//!   a time, each one's reads see everything committed before it, and no two of them can
//!   deadlock on rows they both touch (a household both an import and an approval
//!   upsert, say). Two concurrent imports of the same file are serialised this way: the
//!   second sees the first's records and staged forms and changes nothing.
//! - Audited reads (a citizen, a search, a history, a household, staged forms, the officer
//!   list) read without the lock and take it only to append their event; they hold no row
//!   locks before that, so they cannot deadlock with the writers either.
//! - Reads that are not audited (credentials, sessions, the audit trail, reference data)
//!   and the session and login-failure bookkeeping are plain pool queries (login failures
//!   of one username are counted under an advisory lock of their own).

mod audit;
mod citizens;
mod copy;
mod forms;
mod officers;
mod reference;
mod rows;
mod scratch;
mod shared;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cancuoc_domain::audit::AuditEvent;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminUnit, Officer, PersonalId, PoliceUnit, PoliceUnitCode};
use cancuoc_store::*;
use cancuoc_store_sql::{applications, bench, campaigns, schedule};
use shared::PgTx;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

pub use scratch::ScratchDatabase;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many connections a store keeps at most.
const MAX_CONNECTIONS: u32 = 16;

/// A store in one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The scratch database this store lives in, dropped with the last clone (tests only).
    scratch: Option<Arc<ScratchDatabase>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresStore")
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

impl PostgresStore {
    /// Connects to the database at a `postgres://` URL and brings its schema up to date.
    /// The database must exist (`createdb`); `NotFound` when it does not.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(parse_url(url)?).await
    }

    /// [`connect`](Self::connect) with options already parsed.
    pub(crate) async fn connect_with(options: PgConnectOptions) -> Result<Self> {
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
            scratch: None,
        })
    }

    /// Creates a brand-new, uniquely named database on the server behind `admin_url`
    /// (a role allowed to `CREATE DATABASE`), connects a store to it and migrates it.
    /// The database is dropped, best effort, when the last clone of the store is dropped.
    /// For tests and benchmarks: one fresh database each.
    pub async fn connect_scratch(admin_url: &str) -> Result<Self> {
        let admin = parse_url(admin_url)?;
        let scratch = ScratchDatabase::create(admin).await?;
        let mut store = Self::connect_with(scratch.options()).await?;
        store.scratch = Some(Arc::new(scratch));
        Ok(store)
    }

    /// The name of the scratch database this store was given, if any.
    pub fn scratch_name(&self) -> Option<&str> {
        self.scratch.as_deref().map(ScratchDatabase::name)
    }

    /// A transaction for an audited read: it takes the audit lock only when it appends.
    async fn read(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend)
    }

    /// A transaction that writes the register: the audit lock first, then everything else.
    async fn write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        audit::lock(&mut tx).await?;
        Ok(tx)
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
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        _ => StoreError::Backend(e.to_string()),
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
        let mut tx = self.read().await?;
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let mut tx = self.read().await?;
        let found = citizens::get(&mut tx, access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn citizen_history(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Vec<HistoryEntry>> {
        let mut tx = self.read().await?;
        let found = citizens::history(&mut tx, access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        found.ok_or_else(|| StoreError::NotFound(format!("citizen {personal_id}")))
    }

    async fn search_citizens(
        &self,
        access: &Access,
        query: &CitizenQuery,
    ) -> Result<Page<CitizenRecord>> {
        let mut tx = self.read().await?;
        let page = citizens::search(&mut tx, access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(page)
    }

    async fn household(&self, access: &Access, number: &str) -> Result<Option<Household>> {
        let mut tx = self.read().await?;
        let found = citizens::household(&mut tx, access, number).await?;
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn load_population(&self, access: &Access, batch: &PopulationBatch) -> Result<u64> {
        let mut tx = self.write().await?;
        let n = citizens::load_population(&mut tx, access, batch).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
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
        let mut tx = self.write().await?;
        let outcome = forms::import(&mut tx, access, import, progress).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn staged_forms(&self, access: &Access, query: &FormQuery) -> Result<Page<StagedForm>> {
        let mut tx = self.read().await?;
        let page = forms::list(&mut tx, access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(page)
    }

    async fn staged_form(&self, access: &Access, id: Uuid) -> Result<Option<StagedForm>> {
        let mut tx = self.read().await?;
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
            applications::intake_facts(&mut PgTx(&mut tx), access, personal_ids, today).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn file_applications(
        &self,
        access: &Access,
        batch: &[NewApplication],
    ) -> Result<Vec<Filed>> {
        let mut tx = self.write().await?;
        let out = applications::file(&mut PgTx(&mut tx), access, batch).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn application(&self, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>> {
        let mut tx = self.write().await?;
        let out = applications::get(&mut PgTx(&mut tx), access, key).await?;
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
        let out = applications::transition(&mut PgTx(&mut tx), access, key, step).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn applications(
        &self,
        access: &Access,
        query: &ApplicationQuery,
    ) -> Result<Page<ApplicationSummary>> {
        let mut tx = self.write().await?;
        let out = applications::list(&mut PgTx(&mut tx), access, query).await?;
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
        let out = applications::batch_for(&mut PgTx(&mut tx), access, id, province, day).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn batch(&self, _access: &Access, id: Uuid) -> Result<Option<Batch>> {
        let mut tx = self.write().await?;
        let out = applications::batch(&mut PgTx(&mut tx), id).await?;
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
        let out = applications::set_biometrics(&mut PgTx(&mut tx), access, key, biometrics).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn card(&self, access: &Access, personal_id: &PersonalId) -> Result<Option<CardRecord>> {
        let mut tx = self.write().await?;
        let out = applications::card_of(&mut PgTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn cards(&self, access: &Access, personal_id: &PersonalId) -> Result<Vec<CardRecord>> {
        let mut tx = self.write().await?;
        let out = applications::cards_of(&mut PgTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn report_card_lost(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<CardRecord> {
        let mut tx = self.write().await?;
        let out = applications::report_lost(&mut PgTx(&mut tx), access, personal_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn create_campaign(&self, access: &Access, campaign: &Campaign) -> Result<()> {
        let mut tx = self.write().await?;
        campaigns::create(&mut PgTx(&mut tx), access, campaign).await?;
        tx.commit().await.map_err(backend)
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>> {
        let mut tx = self.read().await?;
        campaigns::list(&mut PgTx(&mut tx)).await
    }

    async fn campaign(&self, id: Uuid) -> Result<Option<Campaign>> {
        let mut tx = self.read().await?;
        campaigns::get(&mut PgTx(&mut tx), id).await
    }

    async fn set_quotas(&self, access: &Access, campaign: Uuid, quotas: &[Quota]) -> Result<()> {
        let mut tx = self.write().await?;
        campaigns::set_quotas(&mut PgTx(&mut tx), access, campaign, quotas).await?;
        tx.commit().await.map_err(backend)
    }

    async fn quotas(&self, campaign: Uuid, units: &[String]) -> Result<Vec<Quota>> {
        let mut tx = self.read().await?;
        campaigns::quotas(&mut PgTx(&mut tx), campaign, units).await
    }

    async fn intake_counts(
        &self,
        units: &[String],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<IntakeCount>> {
        let mut tx = self.read().await?;
        campaigns::intake_counts(&mut PgTx(&mut tx), units, from, to).await
    }

    async fn verify_intake_counts(&self) -> Result<Vec<IntakeMismatch>> {
        let mut tx = self.read().await?;
        campaigns::verify_intake_counts(&mut PgTx(&mut tx)).await
    }

    async fn rebuild_intake_counts(&self) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = campaigns::rebuild_intake_counts(&mut PgTx(&mut tx)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows)
    }

    async fn eligible(
        &self,
        access: &Access,
        query: &EligibleQuery,
    ) -> Result<Vec<(Option<String>, u64)>> {
        let mut tx = self.write().await?;
        let out = campaigns::eligible(&mut PgTx(&mut tx), access, query).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn create_site(&self, access: &Access, site: &Site) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::create_site(&mut PgTx(&mut tx), access, site).await?;
        tx.commit().await.map_err(backend)
    }

    async fn sites(&self, access: &Access, unit: Option<&str>) -> Result<Vec<Site>> {
        let mut tx = self.read().await?;
        schedule::sites(&mut PgTx(&mut tx), access, unit).await
    }

    async fn add_machine(&self, access: &Access, machine: &Machine) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::add_machine(&mut PgTx(&mut tx), access, machine).await?;
        tx.commit().await.map_err(backend)
    }

    async fn machines(&self, unit: &str) -> Result<Vec<Machine>> {
        let mut tx = self.read().await?;
        schedule::machines(&mut PgTx(&mut tx), unit).await
    }

    async fn create_sessions(
        &self,
        access: &Access,
        sessions: &[NewEnrollmentSession],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        schedule::create_sessions(&mut PgTx(&mut tx), access, sessions).await?;
        tx.commit().await.map_err(backend)
    }

    async fn enrollment_sessions(
        &self,
        access: &Access,
        query: &SessionQuery,
    ) -> Result<Vec<EnrollmentSession>> {
        let mut tx = self.read().await?;
        schedule::sessions(&mut PgTx(&mut tx), access, query).await
    }

    async fn enrollment_session(
        &self,
        access: &Access,
        id: Uuid,
    ) -> Result<Option<EnrollmentSession>> {
        let mut tx = self.read().await?;
        schedule::session(&mut PgTx(&mut tx), access, id).await
    }

    async fn close_session(&self, access: &Access, id: Uuid) -> Result<u64> {
        let mut tx = self.write().await?;
        let out = schedule::close_session(&mut PgTx(&mut tx), access, id).await?;
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
        let out = schedule::invitees(&mut PgTx(&mut tx), access, commune, on).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn make_appointments(
        &self,
        access: &Access,
        new: &[NewAppointment],
    ) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::make_appointments(&mut PgTx(&mut tx), access, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn appointments(&self, access: &Access, session: Uuid) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::appointments(&mut PgTx(&mut tx), access, session).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn active_appointment(
        &self,
        access: &Access,
        personal_id: &str,
    ) -> Result<Option<Appointment>> {
        let mut tx = self.write().await?;
        let out = schedule::active_appointment(&mut PgTx(&mut tx), access, personal_id).await?;
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
        let out = schedule::step_appointment(&mut PgTx(&mut tx), access, id, step).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn mark_no_shows(&self, access: &Access, session: Uuid, slots: &[u32]) -> Result<u64> {
        let mut tx = self.write().await?;
        let out = schedule::mark_no_shows(&mut PgTx(&mut tx), access, session, slots).await?;
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }

    async fn load_synthetic_applications(&self, spec: &SyntheticApplications) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = bench::load_synthetic_applications(&mut PgTx(&mut tx), spec).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rows)
    }

    async fn scan_intake_by_province(
        &self,
        from: jiff::civil::Date,
        on: jiff::civil::Date,
    ) -> Result<Vec<ScannedIntake>> {
        let mut tx = self.read().await?;
        bench::scan_intake_by_province(&mut PgTx(&mut tx), from, on).await
    }
}
