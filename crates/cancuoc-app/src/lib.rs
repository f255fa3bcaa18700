//! The use cases of cancuoc: what an officer, the command line or the server can ask for.
//!
//! Each use case checks the caller's role, builds the [`Access`] that scopes and audits
//! the store call, and runs as one store transaction. This crate holds a `dyn Store`
//! and never names a backend; it knows no HTTP and no SQL. The clock and the random
//! source are traits so that tests can fix them.

mod application_import;
mod applications;
mod audit;
mod auth;
mod booking;
mod campaigns;
mod chip;
mod demo;
mod enrollment;
mod error;
pub mod package;
mod places;
mod register;
mod render;
mod schedule;
pub mod sealed;
mod setup;
mod station;
mod station_desk;
pub mod station_packet;
mod time_limits;

use std::sync::{Arc, RwLock};

use cancuoc_domain::{Jurisdiction, Officer, PoliceUnitCode};
use cancuoc_store::{Access, Store};

pub use application_import::{APPLICATION_COLUMNS, ApplicationImportReport};
pub use applications::{BatchOutcome, BatchStatus, CardSide, Intake, IntakeDocument, StepRequest};
pub use audit::{AuditVerification, CheckpointLog, PublishedCheckpoints};
pub use auth::Session;
pub use booking::{BookedSlot, Booking, CitizenProof, OpenSession, OpenSlot};
pub use campaigns::QuotaRequest;
pub use chip::{
    CRL_NEXT_UPDATE_DAYS, CSCA_KEY_USAGE_YEARS, DS_KEY_USAGE_MONTHS, LONGEST_CARD_VALIDITY_END,
    PUBLIC_VERIFICATIONS, PackageEntry, PkiStatus, join_files, split_files,
};
pub use demo::{DemoAccount, DemoActivity, DemoApplicant, DemoApplicants};
pub use enrollment::{
    Arrival, InvitationReport, LiveQueue, MachineRequest, QueuedPerson, SessionRequest,
    SiteRequest, local_minute,
};
pub use error::{AppError, ErrorCode};
pub use places::Places;
pub use register::{CitizenSearch, FormAction, ImportReport, ImportRequest, RejectedRow};
pub use schedule::{
    Accepted, DEFAULT_GATHER_WITHIN_MIN, DEFAULT_HOURS, DEFAULT_LUNCH, DEFAULT_SHOW_UP, NeedReport,
    PLAN_LEAD_DAYS, PlanRequest, ShownPlan, UnitNeed,
};
pub use setup::{DemoObserver, DemoReport, InitReport, Unobserved};
pub use station::{
    EXTRACT_VALID_MICROS, ExtractOfficer, ExtractResident, NewStationKeys, STATION_NAME_MAX,
    StationEnrolled, StationExtract, StationRequest, StationServerKeys, StationSignedRequest,
};
pub use station_desk::{StationLimits, StationStanding};
pub use time_limits::RemoteDistrictRequest;

/// Wall-clock time and today's date in Vietnam.
pub trait Clock: Send + Sync {
    fn now_micros(&self) -> i64;
    /// The civil date in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
    fn today(&self) -> jiff::civil::Date;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        jiff::Timestamp::now().as_microsecond()
    }
    fn today(&self) -> jiff::civil::Date {
        let offset = jiff::tz::Offset::constant(7);
        jiff::Timestamp::now()
            .to_zoned_datetime(offset.to_time_zone())
            .date()
    }
}

/// Secrets and keys: session tokens, one-time passwords, record keys.
pub trait Random: Send + Sync {
    /// `n` bytes from the operating system's secure generator.
    fn bytes(&self, n: usize) -> Result<Vec<u8>, AppError>;
    fn record_key(&self) -> uuid::Uuid;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn bytes(&self, n: usize) -> Result<Vec<u8>, AppError> {
        let mut buf = vec![0u8; n];
        getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        Ok(buf)
    }
    fn record_key(&self) -> uuid::Uuid {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        match key_randomness() {
            Some(bytes) => uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid(),
            // As before the pool: uuid asks the generator itself.
            None => uuid::Uuid::now_v7(),
        }
    }
}

/// Ten bytes of the operating system's randomness for a record key, drawn from a
/// per-thread block of 4 KiB: an import makes a key per row, and asking the system for
/// each key made a million system calls per million rows.
fn key_randomness() -> Option<[u8; 10]> {
    use std::cell::RefCell;
    const BLOCK: usize = 4096;
    thread_local! {
        static POOL: RefCell<(Vec<u8>, usize)> = const { RefCell::new((Vec::new(), 0)) };
    }
    POOL.with_borrow_mut(|(block, used)| {
        if block.len() < *used + 10 {
            let mut fresh = vec![0u8; BLOCK];
            getrandom::fill(&mut fresh).ok()?;
            *block = fresh;
            *used = 0;
        }
        let out: [u8; 10] = block.get(*used..*used + 10)?.try_into().ok()?;
        *used += 10;
        Some(out)
    })
}

/// Settings the use cases need.
#[derive(Clone)]
pub struct AppConfig {
    /// Secret of the deployment that keys personal ID allocation.
    pub id_key: Vec<u8>,
    pub session_ttl_micros: i64,
    /// A session not used for this long ends (DESIGN §8: idle as well as absolute expiry).
    pub session_idle_micros: i64,
    /// Failed logins allowed within `login_window_micros` before the account is throttled.
    pub max_login_failures: u32,
    pub login_window_micros: i64,
    /// The key of the audit chain's MACs: the same one the store was opened with.
    pub audit_key: cancuoc_domain::audit::AuditKey,
    /// How long a request waits for a document (PDF, spreadsheet, card proof).
    pub render_time_limit: std::time::Duration,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("id_key", &"<redacted>")
            .field("session_ttl_micros", &self.session_ttl_micros)
            .finish()
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            id_key: b"cancuoc-development-key".to_vec(),
            session_ttl_micros: 8 * 3600 * 1_000_000,
            session_idle_micros: 30 * 60 * 1_000_000,
            max_login_failures: 5,
            login_window_micros: 15 * 60 * 1_000_000,
            render_time_limit: std::time::Duration::from_secs(20),
            // The binary sets the deployment's key; tests and benchmarks use this one.
            audit_key: cancuoc_domain::audit::AuditKey::development(),
        }
    }
}

/// Who is calling a use case.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An authenticated officer.
    Officer(Officer),
    /// The command line on the server itself, acting for an operator.
    Operator { name: String },
}

impl Caller {
    fn access(&self, clock: &dyn Clock, purpose: &str) -> Access {
        match self {
            Caller::Officer(o) => Access {
                actor: o.username.clone(),
                unit: o.unit.as_string(),
                scope: if o.role == cancuoc_domain::Role::Admin {
                    Jurisdiction::Nation
                } else {
                    o.unit.jurisdiction()
                },
                purpose: purpose.to_owned(),
                now_micros: clock.now_micros(),
            },
            Caller::Operator { name } => Access {
                actor: format!("cli:{name}"),
                unit: PoliceUnitCode::Ministry.as_string(),
                scope: Jurisdiction::Nation,
                purpose: purpose.to_owned(),
                now_micros: clock.now_micros(),
            },
        }
    }

    /// The role the caller acts in; the operator at the command line acts as an
    /// administrator.
    fn role(&self) -> cancuoc_domain::Role {
        match self {
            Caller::Officer(o) => o.role,
            Caller::Operator { .. } => cancuoc_domain::Role::Admin,
        }
    }

    fn officer(&self) -> Option<&Officer> {
        match self {
            Caller::Officer(o) => Some(o),
            Caller::Operator { .. } => None,
        }
    }
}

/// The application: a store, a clock, a random source and the loaded reference data.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    config: AppConfig,
    places: Arc<RwLock<Arc<Places>>>,
    /// Where portraits and fingerprints go; without one, intake takes no biometrics.
    vault: Option<Arc<dyn cancuoc_store::Vault>>,
    /// Where the audit chain's signed checkpoints are kept, outside the database.
    checkpoints: Option<audit::Checkpoints>,
    renderer: Arc<render::Renderer>,
    /// On a station's working copy: the station it works for, and its outbox.
    station: Option<Arc<station_desk::StationDesk>>,
    /// The server's keys for stations, once read.
    station_keys: Arc<tokio::sync::OnceCell<Arc<station::StationServerKeys>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl App {
    /// Builds the application and reads the administrative units the store holds.
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        config: AppConfig,
    ) -> Result<Self, AppError> {
        let renderer = Arc::new(render::Renderer::new(config.render_time_limit));
        let app = Self {
            store,
            clock,
            random,
            config,
            places: Arc::new(RwLock::new(Arc::new(Places::default()))),
            vault: None,
            checkpoints: None,
            renderer,
            station: None,
            station_keys: Arc::default(),
        };
        app.reload_places().await?;
        Ok(app)
    }

    /// The same application with the audit chain checkpointed into `log`, signed by `key`.
    pub fn with_checkpoints(
        mut self,
        log: Arc<dyn CheckpointLog>,
        key: cancuoc_domain::audit::CheckpointKey,
    ) -> Self {
        self.checkpoints = Some(audit::Checkpoints { log, key });
        self
    }

    /// The same application with an encrypted object store for biometrics.
    pub fn with_vault(mut self, vault: Arc<dyn cancuoc_store::Vault>) -> Self {
        self.vault = Some(vault);
        self
    }

    /// Today in Vietnam, by the application's clock.
    pub fn today(&self) -> jiff::civil::Date {
        self.clock.today()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The administrative units as last loaded.
    pub fn places(&self) -> Arc<Places> {
        match self.places.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn reload_places(&self) -> Result<(), AppError> {
        let units = self.store.admin_units().await?;
        let police = self.store.police_units().await?;
        let fresh = Arc::new(Places::new(units).with_police(police));
        match self.places.write() {
            Ok(mut p) => *p = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}
