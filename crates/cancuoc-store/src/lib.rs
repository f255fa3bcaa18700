//! The storage interface of cancuoc: the [`Store`] trait, its record types and
//! [`StoreError`], and a conformance suite ([`conformance`]) that every backend runs.
//!
//! This crate knows no SQL and picks no backend. Each trait method is one transaction:
//! it happens whole or not at all, and where it reads or writes personal data it appends
//! its audit event inside that same transaction (DESIGN §8). Jurisdiction is applied by
//! the store's queries through [`Access::scope`], so a record outside the caller's
//! jurisdiction is indistinguishable from one that does not exist.

mod applications;
mod bulk;
mod campaigns;
mod chip;
pub mod conformance;
mod schedule;
mod station;
mod types;
mod vault;

pub use applications::*;
pub use bulk::*;
pub use campaigns::*;
pub use chip::*;
pub use schedule::*;
pub use station::*;
pub use types::*;
pub use vault::Vault;

use async_trait::async_trait;
use cancuoc_domain::audit::AuditEvent;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminUnit, PersonalId, PoliceUnit, PoliceUnitCode};
use uuid::Uuid;

/// Errors every backend maps its own failures onto.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule or a concurrent change prevented the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request cannot be carried out in the record's current state.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The state machine refused the step (illegal in this state, wrong role, no reason).
    #[error("{0}")]
    Transition(#[from] cancuoc_domain::application::TransitionError),
    /// The review of a staged form refused the step (state, role, four eyes, jurisdiction).
    #[error("{0}")]
    Review(#[from] cancuoc_domain::review::ReviewError),
    /// The application's type does not fit the citizen (DESIGN §4, intake).
    #[error("{0}")]
    Misfit(#[from] cancuoc_domain::application::Misfit),
    /// The database cannot take the request for a moment: the connection was lost (a
    /// failover, a restart), no connection came free in time, the write lock stayed
    /// taken. The same request may succeed when tried again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything the caller cannot fix: disk full, corrupt data, a statement refused.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait]
pub trait Store: Send + Sync {
    /// Which backend this is (`sqlite`, `postgres`), for `config print` and benchmarks.
    fn backend(&self) -> &'static str;

    // ---- reference data -------------------------------------------------------------

    /// Loads a hierarchy and its police units. Replaces whatever hierarchy was loaded
    /// before only when the store holds no citizens yet; loading the same one again is
    /// a no-op.
    async fn load_reference(
        &self,
        hierarchy: &str,
        admin: &[AdminUnit],
        police: &[PoliceUnit],
    ) -> Result<ReferenceSummary>;
    /// The hierarchy loaded (`2021`, `2025`), if any.
    async fn hierarchy(&self) -> Result<Option<String>>;
    async fn admin_units(&self) -> Result<Vec<AdminUnit>>;
    async fn police_unit(&self, code: &PoliceUnitCode) -> Result<Option<PoliceUnit>>;
    async fn police_units(&self) -> Result<Vec<PoliceUnit>>;

    // ---- officers and sessions ------------------------------------------------------

    /// Creates an officer; `Conflict` when the username is taken.
    async fn create_officer(&self, access: &Access, new: &NewOfficer) -> Result<()>;
    async fn officer_credentials(&self, username: &str) -> Result<Option<OfficerCredentials>>;
    async fn officers(&self, access: &Access) -> Result<Vec<cancuoc_domain::Officer>>;
    async fn set_officer_active(&self, access: &Access, username: &str, active: bool)
    -> Result<()>;
    /// Sets an officer's password and closes every session of theirs but `keep_session`
    /// (a token hash: the session that changed it).
    async fn set_password(
        &self,
        access: &Access,
        username: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<()>;
    /// Records an attempt under a throttle key (a failed sign-in, a citizen's request);
    /// returns the attempts within the window. Kept in the database, so that every server
    /// node counts the same attempts.
    async fn record_attempt(&self, key: &str, now_micros: i64, window_micros: i64) -> Result<u32>;
    async fn clear_attempts(&self, key: &str) -> Result<()>;
    /// For each throttle key: the attempts recorded within the window and when the last
    /// one was.
    async fn attempts(
        &self,
        keys: &[String],
        now_micros: i64,
        window_micros: i64,
    ) -> Result<Vec<(u32, Option<i64>)>>;
    async fn create_session(&self, session: &NewSession) -> Result<()>;
    /// The officer behind a live session token hash: not past its absolute expiry and
    /// used within `idle_micros`. Marks the session as used now (at most once a minute).
    async fn session_officer(
        &self,
        token_hash: &str,
        now_micros: i64,
        idle_micros: i64,
    ) -> Result<Option<SessionInfo>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    // ---- audit ----------------------------------------------------------------------

    /// Appends an event that belongs to no other write (a login, a refused request).
    async fn append_audit(
        &self,
        access: &Access,
        action: &str,
        record_kind: &str,
        record_key: &str,
        outcome: cancuoc_domain::audit::Outcome,
    ) -> Result<AuditEvent>;
    /// Events with `seq > after`, in order, at most `limit`.
    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>>;
    /// Makes the audit trail's partitions of the month holding `today` and the next two
    /// (PostgreSQL; nothing on SQLite, whose trail is one table); returns those made.
    async fn prepare_audit_months(&self, today: jiff::civil::Date) -> Result<Vec<String>>;
    /// Every month of the audit trail, oldest first, archived ones included.
    async fn audit_months(&self) -> Result<Vec<AuditMonth>>;
    /// Detaches every month that ends on or before `before` (a first of the month) and
    /// does not hold the chain's last event, oldest first, keeping each one's first and
    /// last events (audited). The detached tables stay in the database, out of the trail,
    /// until they are exported and dropped. `Invalid` on SQLite.
    async fn archive_audit_months(
        &self,
        access: &Access,
        before: jiff::civil::Date,
    ) -> Result<Vec<AuditMonth>>;
    /// The event the trail left in the table continues from: the last one before
    /// `before_micros` if given, else the last one archived; `None` for the chain's start.
    async fn audit_anchor(&self, before_micros: Option<i64>) -> Result<Option<(i64, String)>>;
    /// The months archived (with events), oldest first, and the lowest sequence number
    /// still in the table: what `audit verify` checks the archive's kept hashes against.
    async fn audit_archived(&self) -> Result<(Vec<AuditMonth>, Option<i64>)>;
    /// Events matching a filter, newest first (for auditors).
    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>>;

    // ---- citizens and households ----------------------------------------------------

    async fn citizen(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Option<CitizenRecord>>;
    async fn citizen_history(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Vec<HistoryEntry>>;
    async fn search_citizens(
        &self,
        access: &Access,
        query: &CitizenQuery,
    ) -> Result<Page<CitizenRecord>>;
    async fn household(&self, access: &Access, number: &str) -> Result<Option<Household>>;
    /// Loads freshly generated records as official in bulk (the demo and benchmarks).
    /// Fails whole on any existing personal ID.
    async fn load_population(&self, access: &Access, batch: &PopulationBatch) -> Result<u64>;
    /// Reserves a new personal ID number under a prefix: the next counter value of the
    /// prefix is put through `permutation` until the number is free.
    async fn allocate_personal_id(
        &self,
        access: &Access,
        prefix: &IdPrefix,
        permutation: &SerialPermutation,
    ) -> Result<PersonalId>;

    // ---- collection forms -----------------------------------------------------------

    /// Applies an import in one transaction: new clean rows become official, rows that
    /// conflict with the register, look like duplicates or carry findings are staged,
    /// rows identical to what is held or already staged change nothing. `progress` is told
    /// how many rows are decided and written so far (not yet committed).
    async fn import_forms(
        &self,
        access: &Access,
        import: ImportStream<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome>;
    /// What [`Store::import_forms`] would do with the same rows, decided the same way
    /// against the register as it stands, with nothing written: the import runs in its
    /// transaction, which is rolled back. One audit event records the dry run.
    async fn import_forms_dry_run(
        &self,
        access: &Access,
        import: ImportStream<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome>;
    async fn staged_forms(&self, access: &Access, query: &FormQuery) -> Result<Page<StagedForm>>;
    async fn staged_form(&self, access: &Access, id: Uuid) -> Result<Option<StagedForm>>;
    /// Verifies, corrects, approves (making the record official) or rejects a staged form,
    /// as the review state machine (`cancuoc_domain::review`) decides for an officer of
    /// `role` acting under `access`.
    async fn decide_form(
        &self,
        access: &Access,
        role: cancuoc_domain::Role,
        id: Uuid,
        decision: &FormDecision,
    ) -> Result<StagedForm>;

    // ---- applications and cards -----------------------------------------------------

    /// For each personal ID: the citizen (an audited read), their current card and their
    /// open application; `None` where the citizen is unknown or outside the scope.
    async fn intake_facts(
        &self,
        access: &Access,
        personal_ids: &[PersonalId],
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<IntakeFacts>>>;
    /// The same facts in a read transaction, not audited: for a filing's own checks
    /// before it seals biometrics. Nothing read is shown; the filing that follows audits.
    async fn filing_facts(
        &self,
        access: &Access,
        personal_ids: &[PersonalId],
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<IntakeFacts>>>;
    /// Files applications in one transaction, all or none, each with a receipt number.
    /// An idempotency key seen before returns the first filing (`replayed`). The type is
    /// checked against the citizen's record and card inside the transaction (`Misfit`);
    /// a citizen with an open application is a `Conflict`. Durable when it returns.
    async fn file_applications(
        &self,
        access: &Access,
        batch: &[NewApplication],
    ) -> Result<Vec<Filed>>;
    async fn application(&self, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>>;
    /// Takes one step of the state machine. The domain decides whether the role, the
    /// state and the reason allow it; a version other than `expected_version`, or a
    /// concurrent step, is a `Conflict`. `produce` stores the card, `hand_over` activates
    /// it and marks the card it replaces `replaced`.
    async fn transition_application(
        &self,
        access: &Access,
        key: Uuid,
        step: &Step,
    ) -> Result<ApplicationRecord>;
    async fn applications(
        &self,
        access: &Access,
        query: &ApplicationQuery,
    ) -> Result<Page<ApplicationSummary>>;
    /// How many applications the list of `query` has in all (its cursor and limit aside).
    async fn count_applications(&self, access: &Access, query: &ApplicationQuery) -> Result<u64>;
    /// Records the biometrics (manifest JSON) of an application that is received or
    /// needs correction; verification refuses an application without them.
    async fn set_biometrics(
        &self,
        access: &Access,
        key: Uuid,
        biometrics: &str,
    ) -> Result<ApplicationRecord>;
    /// Sets what the verifier must look at (audited); the same note again changes
    /// nothing, another one is added to it.
    async fn note_for_verifier(
        &self,
        access: &Access,
        key: Uuid,
        note: &str,
    ) -> Result<ApplicationRecord>;
    /// The batch of a province and day, created on first use (`id` is used then).
    async fn batch_for(
        &self,
        access: &Access,
        id: Uuid,
        province: &cancuoc_domain::AdminCode,
        day: jiff::civil::Date,
    ) -> Result<Batch>;
    async fn batch(&self, access: &Access, id: Uuid) -> Result<Option<Batch>>;
    /// The citizen's current card: the active one, else the latest made.
    async fn card(&self, access: &Access, personal_id: &PersonalId) -> Result<Option<CardRecord>>;
    /// Every card of the citizen the caller can see, the latest made first (audited).
    async fn cards(&self, access: &Access, personal_id: &PersonalId) -> Result<Vec<CardRecord>>;
    /// Marks the citizen's active card lost (before a re-issue).
    async fn report_card_lost(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<CardRecord>;

    // ---- campaigns ------------------------------------------------------------------

    /// Creates a campaign (audited).
    async fn create_campaign(&self, access: &Access, campaign: &Campaign) -> Result<()>;
    async fn campaigns(&self) -> Result<Vec<Campaign>>;
    async fn campaign(&self, id: Uuid) -> Result<Option<Campaign>>;
    /// Sets the quotas of units in one transaction, each change audited.
    async fn set_quotas(&self, access: &Access, campaign: Uuid, quotas: &[Quota]) -> Result<()>;
    /// The quotas of the given units (units without one are left out).
    async fn quotas(&self, campaign: Uuid, units: &[String]) -> Result<Vec<Quota>>;
    /// The kept counts of the given units between two days, both included. Each unit's
    /// count covers the applications it and every unit under it received, not cancelled;
    /// the store keeps them in the transaction that files or cancels an application.
    async fn intake_counts(
        &self,
        units: &[String],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<IntakeCount>>;
    /// Recounts every unit and day from the applications and returns where the kept
    /// counts differ (nothing when they agree).
    async fn verify_intake_counts(&self) -> Result<Vec<IntakeMismatch>>;
    /// Replaces the kept counts by a recount (after a bulk load that bypassed intake);
    /// returns the number of unit-day rows.
    async fn rebuild_intake_counts(&self) -> Result<u64>;
    /// Brings the database's planner statistics up to date after a large load (a
    /// population load; imports do it themselves).
    async fn refresh_statistics(&self) -> Result<()>;
    /// Brings the eligible counts kept per place of residence to `today`: the people
    /// whose 14th birthday or card expiry fell since the day they were kept for move in,
    /// and the first time (or when the day goes back) every resident is counted. Writes
    /// keep them current within a day. Nothing happens when they are kept for `today`.
    async fn advance_eligible(&self, today: jiff::civil::Date) -> Result<EligibleAdvance>;
    /// Recounts the eligible population of every place from the register, for the day
    /// the counts are kept for, and lists where they differ.
    async fn verify_eligible_counts(&self) -> Result<EligibleCheck>;
    /// Living Vietnamese citizens in the caller's scope aged 14 or more on the date,
    /// resident in the area, without a chip card valid on the date or an open
    /// application, grouped by their place of residence at the query's level (a group
    /// `None` holds those whose place at that level is not recorded). Read from the kept
    /// counts when they are kept for that date, else counted from the register. Audited.
    async fn eligible(
        &self,
        access: &Access,
        query: &EligibleQuery,
    ) -> Result<Vec<(Option<String>, u64)>>;

    // ---- time limits -----------------------------------------------------------------

    /// The list of mountain, border and island districts, every entry current or ended:
    /// reference data every intake reads, so not scoped.
    async fn remote_districts(&self) -> Result<Vec<RemoteDistrictRecord>>;
    /// Adds an entry (audited); `Conflict` when the district is listed already on a day
    /// the new entry covers.
    async fn add_remote_district(
        &self,
        access: &Access,
        entry: &RemoteDistrictRecord,
    ) -> Result<()>;
    /// Ends an entry on its last day (audited); `Conflict` when it was ended already.
    async fn end_remote_district(
        &self,
        access: &Access,
        id: Uuid,
        last_day: jiff::civil::Date,
    ) -> Result<RemoteDistrictRecord>;

    // ---- the chip's PKI and the cards' chips --------------------------------------

    /// Every certificate of the chip's PKI, oldest first: public, so not audited.
    async fn pki_certificates(&self) -> Result<Vec<PkiCertificateRecord>>;
    /// Adds a certificate (audited); `Conflict` when the serial is taken.
    async fn add_pki_certificate(
        &self,
        access: &Access,
        record: &PkiCertificateRecord,
    ) -> Result<()>;
    /// Marks a Document Signer revoked and keeps the CRL that lists it, in one
    /// transaction (audited); `NotFound` for an unknown serial, `Invalid` for the CSCA,
    /// `Conflict` when it is revoked already or the CRL's number is taken.
    async fn revoke_document_signer(
        &self,
        access: &Access,
        serial: i64,
        crl: &CrlRecord,
    ) -> Result<()>;
    /// Keeps a CRL the CSCA issued (audited); `Conflict` when its number is taken.
    async fn add_crl(&self, access: &Access, crl: &CrlRecord) -> Result<()>;
    /// The CRL with the highest number.
    async fn latest_crl(&self) -> Result<Option<CrlRecord>>;
    /// Registers a production line's public key (audited).
    async fn add_line_key(&self, access: &Access, key: &LineKeyRecord) -> Result<()>;
    /// Every production line key, oldest first.
    async fn line_keys(&self) -> Result<Vec<LineKeyRecord>>;
    /// The chip of the card an application produced (audited as a read of the card).
    async fn card_chip(&self, access: &Access, application: Uuid) -> Result<Option<ChipRecord>>;

    // ---- mobile stations --------------------------------------------------------------

    /// Records a station's request to be enrolled (audited); `Conflict` when its signing
    /// key is enrolled already or its district has too many requests waiting.
    async fn request_station(&self, access: &Access, station: &StationRecord) -> Result<()>;
    /// The stations in the caller's jurisdiction, newest request first.
    async fn stations(&self, access: &Access) -> Result<Vec<StationRecord>>;
    /// One station by id, whatever the caller's jurisdiction: its keys and state are what
    /// the server checks a station's requests and packets against.
    async fn station(&self, id: Uuid) -> Result<Option<StationRecord>>;
    /// Approves a station in the caller's jurisdiction with the communes it may serve and
    /// the officers who may use it, or changes them (audited); `Conflict` once revoked.
    async fn approve_station(
        &self,
        access: &Access,
        id: Uuid,
        communes: &[String],
        officers: &[String],
    ) -> Result<StationRecord>;
    /// Revokes a station in the caller's jurisdiction (audited); `Conflict` when revoked
    /// already.
    async fn revoke_station(&self, access: &Access, id: Uuid) -> Result<StationRecord>;
    /// The server's key for stations of that purpose, if made.
    async fn station_server_key(
        &self,
        purpose: StationKeyPurpose,
    ) -> Result<Option<StationServerKey>>;
    /// Keeps the server's key for stations (audited); when one of that purpose exists
    /// already (another node made it first) that one is kept and returned.
    async fn add_station_server_key(
        &self,
        access: &Access,
        key: &StationServerKey,
    ) -> Result<StationServerKey>;

    /// The official records of the residents of `communes` and their households, for a
    /// station's extract: one audit event (`station.extract`) names the communes.
    async fn residents_for_station(
        &self,
        access: &Access,
        communes: &[String],
    ) -> Result<(Vec<NewHousehold>, Vec<CitizenRecord>)>;
    /// The answer given to a pushed packet, if any.
    async fn packet_answer(&self, packet: Uuid) -> Result<Option<PacketAnswer>>;
    /// Keeps the answer to a packet and drops its uploaded bytes; when the packet was
    /// answered already (another node, a retry) that answer is kept and returned.
    async fn keep_packet_answer(&self, answer: &PacketAnswer) -> Result<PacketAnswer>;
    /// The bytes of a packet uploaded so far and the size it announced (0, 0 before any).
    async fn packet_upload(&self, station: Uuid, packet: Uuid) -> Result<(Vec<u8>, u64)>;
    /// Adds a chunk of a packet's bytes at `offset` of `total`; `Conflict` naming the bytes
    /// held when the offset is not where the upload stands or the total changed, `Invalid`
    /// past the total or when a new upload would give the station more than 16 unfinished.
    /// Returns the bytes held after it.
    async fn append_packet_upload(
        &self,
        station: Uuid,
        packet: Uuid,
        offset: u64,
        total: u64,
        bytes: &[u8],
    ) -> Result<u64>;

    /// On a station's own database: the station's identity, once enrolled.
    async fn station_identity(&self) -> Result<Option<StationIdentity>>;
    /// Keeps the station's identity; `Conflict` when the database holds one already.
    async fn set_station_identity(&self, identity: &StationIdentity) -> Result<()>;
    /// Records the vault object of the extract just pulled and when it expires; `NotFound`
    /// on a database that is no station.
    async fn station_extract_pulled(&self, object: &str, expires_micros: i64) -> Result<()>;
    /// Records that a push reached the server and left nothing waiting.
    async fn station_pushed(&self, at_micros: i64) -> Result<()>;
    /// Puts a packet just filed at the station in its outbox (audited as
    /// `station.packet.make`); `Conflict` if its id is there already.
    async fn add_outbox_packet(&self, access: &Access, packet: &OutboxPacket) -> Result<()>;
    /// Takes a waiting packet back out of the outbox (audited as
    /// `station.packet.discard`): the working copy refused the filing it was made for.
    /// `Invalid` once the server has answered it, `NotFound` if it is not there.
    async fn discard_outbox_packet(&self, access: &Access, packet: Uuid) -> Result<()>;
    /// The station's outbox, oldest first: waiting, answered and resolved packets.
    async fn outbox(&self) -> Result<Vec<OutboxPacket>>;
    /// Keeps the server's answer to a waiting packet; an answer to a packet answered
    /// already changes nothing (the server answers a packet the same every time).
    async fn answer_outbox_packet(
        &self,
        packet: Uuid,
        answered_micros: i64,
        outcome: &PacketOutcome,
    ) -> Result<OutboxPacket>;
    /// Appends a station's audit events to the central chain, each as the station's
    /// officer did it and when, its purpose naming the station; events at or below the
    /// last sequence number taken from the station are skipped. Returns how many were
    /// appended and the last sequence number held. `now_micros` is the server's time,
    /// when they are logged (a station's clock may be anywhere).
    async fn append_station_audit(
        &self,
        station: Uuid,
        events: &[cancuoc_domain::audit::AuditEvent],
        now_micros: i64,
    ) -> Result<(u64, i64)>;
    /// On a station: the last of its audit events the server took.
    async fn station_audit_sent(&self) -> Result<i64>;
    async fn set_station_audit_sent(&self, seq: i64) -> Result<()>;
    /// Marks a refused packet dealt with (audited as `station.packet.resolve`);
    /// `Invalid` unless it is refused.
    async fn resolve_outbox_packet(&self, access: &Access, packet: Uuid) -> Result<OutboxPacket>;

    // ---- scheduling -----------------------------------------------------------------

    /// Creates a site (audited); a unit's sites have distinct names.
    async fn create_site(&self, access: &Access, site: &Site) -> Result<()>;
    /// Sites in the caller's jurisdiction, optionally of one unit.
    async fn sites(&self, access: &Access, unit: Option<&str>) -> Result<Vec<Site>>;
    /// Registers a machine (audited); a unit's machines have distinct labels.
    async fn add_machine(&self, access: &Access, machine: &Machine) -> Result<()>;
    async fn machines(&self, unit: &str) -> Result<Vec<Machine>>;
    /// Creates sessions with their slots in one transaction, each audited. Refuses a
    /// site outside the caller's jurisdiction, a machine not the site unit's, an
    /// inactive officer, and a machine or officer already in a session overlapping it.
    async fn create_sessions(
        &self,
        access: &Access,
        sessions: &[NewEnrollmentSession],
    ) -> Result<()>;
    async fn enrollment_sessions(
        &self,
        access: &Access,
        query: &SessionQuery,
    ) -> Result<Vec<EnrollmentSession>>;
    async fn enrollment_session(
        &self,
        access: &Access,
        id: Uuid,
    ) -> Result<Option<EnrollmentSession>>;
    /// Closes a session; those still only booked become no-shows (returned: how many).
    async fn close_session(&self, access: &Access, id: Uuid) -> Result<u64>;
    /// The people of a commune due a card on the day (as [`Store::eligible`] counts
    /// them) who hold no active appointment, household by household. Audited.
    async fn invitees(
        &self,
        access: &Access,
        commune: &str,
        on: jiff::civil::Date,
    ) -> Result<Vec<Invitee>>;
    /// Makes appointments in one transaction, each audited: all or none. Refuses a full
    /// slot, a closed session and a person who already holds an active appointment.
    async fn make_appointments(
        &self,
        access: &Access,
        new: &[NewAppointment],
    ) -> Result<Vec<Appointment>>;
    /// A session's appointments with the people's names (audited).
    async fn appointments(&self, access: &Access, session: Uuid) -> Result<Vec<Appointment>>;
    /// Walk-ins and people served in a unit's closed sessions from `from` to `to`: counts
    /// only, no one named (the planner's default walk-in share).
    async fn walk_in_counts(
        &self,
        access: &Access,
        unit: &str,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<(u64, u64)>;
    /// The person's active appointment, if any (audited when found).
    async fn active_appointment(
        &self,
        access: &Access,
        personal_id: &str,
    ) -> Result<Option<Appointment>>;
    /// Takes one step of an appointment's day (audited).
    async fn step_appointment(
        &self,
        access: &Access,
        id: Uuid,
        step: AppointmentStep,
    ) -> Result<Appointment>;
    /// Releases the places of those booked into the given slots who have not come.
    async fn mark_no_shows(&self, access: &Access, session: Uuid, slots: &[u32]) -> Result<u64>;

    // ---- benchmarks -----------------------------------------------------------------

    /// Bulk-loads synthetic applications (see [`SyntheticApplications`]) in one
    /// transaction, without touching the kept counts (rebuild them after). Refused on a
    /// store that holds citizens, so that it can never be run against a real register.
    async fn load_synthetic_applications(&self, spec: &SyntheticApplications) -> Result<u64>;
    /// The peer of the kept counts: per province, the applications received on `on` and
    /// between `from` and `on`, by a `GROUP BY` over the applications table itself.
    async fn scan_intake_by_province(
        &self,
        from: jiff::civil::Date,
        on: jiff::civil::Date,
    ) -> Result<Vec<ScannedIntake>>;
}
