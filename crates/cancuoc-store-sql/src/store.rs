//! [`Store`] for any [`Backend`]: each method is one transaction of the kind it needs,
//! running the statements of this crate's modules.

use async_trait::async_trait;
use cancuoc_domain::audit::{AuditEvent, Outcome};
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminUnit, Officer, PersonalId, PoliceUnit, PoliceUnitCode, Role};
use cancuoc_store::*;
use jiff::civil::Date;
use uuid::Uuid;

use crate::{
    Backend, Tx, TxKind, Value, applications, audit, bench, campaigns, chip, citizens, forms,
    officers, reference, remote, schedule, station,
};

/// The register on a SQL backend.
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    backend: B,
}

impl<B: Backend> SqlStore<B> {
    pub fn new(backend: B) -> Self {
        Self { backend }
    }

    pub fn backend_ref(&self) -> &B {
        &self.backend
    }
}

/// Runs `$body` (an expression over `$tx: &mut dyn Tx`) in one transaction of `$kind`,
/// committed when it succeeds and rolled back when it fails or is dropped.
macro_rules! in_tx {
    ($self:ident, $kind:ident, |$tx:ident| $body:expr) => {{
        let mut open = $self.backend.begin(TxKind::$kind).await?;
        let out = {
            let $tx: &mut dyn Tx = &mut open;
            $body.await?
        };
        open.commit().await?;
        Ok::<_, StoreError>(out)
    }};
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn load_reference(
        &self,
        hierarchy: &str,
        admin: &[AdminUnit],
        police: &[PoliceUnit],
    ) -> Result<ReferenceSummary> {
        in_tx!(self, Write, |tx| reference::load(
            tx, hierarchy, admin, police
        ))
    }

    async fn hierarchy(&self) -> Result<Option<String>> {
        in_tx!(self, Read, |tx| reference::hierarchy(tx))
    }

    async fn admin_units(&self) -> Result<Vec<AdminUnit>> {
        in_tx!(self, Read, |tx| reference::admin_units(tx))
    }

    async fn police_unit(&self, code: &PoliceUnitCode) -> Result<Option<PoliceUnit>> {
        in_tx!(self, Read, |tx| reference::police_unit(tx, code))
    }

    async fn police_units(&self) -> Result<Vec<PoliceUnit>> {
        in_tx!(self, Read, |tx| reference::police_units(tx))
    }

    async fn create_officer(&self, access: &Access, new: &NewOfficer) -> Result<()> {
        in_tx!(self, Write, |tx| officers::create(tx, access, new))
    }

    async fn officer_credentials(&self, username: &str) -> Result<Option<OfficerCredentials>> {
        in_tx!(self, Read, |tx| officers::credentials(tx, username))
    }

    async fn officers(&self, access: &Access) -> Result<Vec<Officer>> {
        in_tx!(self, AuditedRead, |tx| officers::list(tx, access))
    }

    async fn set_officer_active(
        &self,
        access: &Access,
        username: &str,
        active: bool,
    ) -> Result<()> {
        in_tx!(self, Write, |tx| officers::set_active(
            tx, access, username, active
        ))
    }

    async fn set_password(
        &self,
        access: &Access,
        username: &str,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<()> {
        in_tx!(self, Write, |tx| officers::set_password(
            tx,
            access,
            username,
            password_hash,
            must_change,
            keep_session
        ))
    }

    async fn record_attempt(&self, key: &str, now_micros: i64, window_micros: i64) -> Result<u32> {
        in_tx!(self, Bookkeeping, |tx| officers::record_attempt(
            tx,
            key,
            now_micros,
            window_micros
        ))
    }

    async fn clear_attempts(&self, key: &str) -> Result<()> {
        in_tx!(self, Bookkeeping, |tx| officers::clear_attempts(tx, key))
    }

    async fn attempts(
        &self,
        keys: &[String],
        now_micros: i64,
        window_micros: i64,
    ) -> Result<Vec<(u32, Option<i64>)>> {
        in_tx!(self, Read, |tx| officers::attempts(
            tx,
            keys,
            now_micros,
            window_micros
        ))
    }

    async fn create_session(&self, session: &NewSession) -> Result<()> {
        in_tx!(self, Bookkeeping, |tx| officers::create_session(
            tx, session
        ))
    }

    async fn session_officer(
        &self,
        token_hash: &str,
        now_micros: i64,
        idle_micros: i64,
    ) -> Result<Option<SessionInfo>> {
        let found: Option<(SessionInfo, i64)> = in_tx!(self, Read, |tx| officers::session(
            tx,
            token_hash,
            now_micros,
            idle_micros
        ))?;
        let Some((info, last_seen)) = found else {
            return Ok(None);
        };
        // Marking every request would make every read a write; a minute's slack in the
        // idle time costs nothing.
        if now_micros - last_seen > officers::TOUCH_EVERY_MICROS {
            let _: () = in_tx!(self, Bookkeeping, |tx| officers::touch_session(
                tx, token_hash, now_micros
            ))?;
        }
        Ok(Some(info))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        in_tx!(self, Bookkeeping, |tx| officers::delete_session(
            tx, token_hash
        ))
    }

    async fn append_audit(
        &self,
        access: &Access,
        action: &str,
        record_kind: &str,
        record_key: &str,
        outcome: Outcome,
    ) -> Result<AuditEvent> {
        in_tx!(self, Write, |tx| audit::append(
            tx,
            access,
            action,
            record_kind,
            record_key,
            outcome
        ))
    }

    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
        in_tx!(self, Read, |tx| audit::events(tx, after, limit))
    }

    async fn prepare_audit_months(&self, today: Date) -> Result<Vec<String>> {
        if !self.backend.partitions_audit() {
            return Ok(Vec::new());
        }
        let mut made = Vec::new();
        let mut day = today.first_of_month();
        for _ in 0..3 {
            let name = format!("audit_events_{:04}_{:02}", day.year(), day.month());
            let known = in_tx!(self, Read, |tx| tx.fetch(
                "SELECT 1 AS known FROM audit_months WHERE name = $1",
                &[Value::from(name.as_str())]
            ))?;
            if known.is_empty() {
                // Under the audit lock: making a partition waits for appends to finish.
                let rows = in_tx!(self, Write, |tx| tx.fetch(
                    "SELECT audit_month_partition(CAST($1 AS DATE)) AS made",
                    &[Value::from(day.to_string())]
                ))?;
                if let Some(made_now) = rows.first().map(|r| r.text("made")).transpose()?.flatten()
                {
                    made.push(made_now);
                }
            }
            day = day
                .checked_add(jiff::Span::new().months(1))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
        }
        Ok(made)
    }

    async fn audit_months(&self) -> Result<Vec<AuditMonth>> {
        in_tx!(self, Read, |tx| audit::months(tx))
    }

    async fn archive_audit_months(&self, access: &Access, before: Date) -> Result<Vec<AuditMonth>> {
        if !self.backend.partitions_audit() {
            return Err(StoreError::Invalid(
                "an SQLite audit trail is one table: months are archived on PostgreSQL".into(),
            ));
        }
        let before = cancuoc_domain::audit::month_start_micros(before.first_of_month());
        in_tx!(self, Write, |tx| audit::archive(tx, access, before))
    }

    async fn audit_anchor(&self, before_micros: Option<i64>) -> Result<Option<(i64, String)>> {
        in_tx!(self, Read, |tx| audit::anchor(tx, before_micros))
    }

    async fn audit_archived(&self) -> Result<(Vec<AuditMonth>, Option<i64>)> {
        let archived = in_tx!(self, Read, |tx| audit::archived(tx))?;
        let first = in_tx!(self, Read, |tx| audit::first_seq(tx))?;
        Ok((archived, first))
    }

    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        // On the primary: the checkpoints sign the head this finds.
        in_tx!(self, Read, |tx| audit::search(tx, filter))
    }

    async fn citizen(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Option<CitizenRecord>> {
        in_tx!(self, AuditedRead, |tx| citizens::get(
            tx,
            access,
            personal_id
        ))
    }

    async fn citizen_history(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<Vec<HistoryEntry>> {
        let mut open = self.backend.begin(TxKind::AuditedRead).await?;
        let found = citizens::history(&mut open, access, personal_id).await?;
        open.commit().await?;
        found.ok_or_else(|| StoreError::NotFound(format!("citizen {personal_id}")))
    }

    async fn search_citizens(
        &self,
        access: &Access,
        query: &CitizenQuery,
    ) -> Result<Page<CitizenRecord>> {
        in_tx!(self, LaggingAuditedRead, |tx| citizens::search(
            tx, access, query
        ))
    }

    async fn household(&self, access: &Access, number: &str) -> Result<Option<Household>> {
        in_tx!(self, AuditedRead, |tx| citizens::household(
            tx, access, number
        ))
    }

    async fn load_population(&self, access: &Access, batch: &PopulationBatch) -> Result<u64> {
        let mut open = self.backend.begin(TxKind::Bulk).await?;
        let n = forms::load_population(&self.backend, &mut open, access, batch).await?;
        open.commit().await?;
        Ok(n)
    }

    async fn allocate_personal_id(
        &self,
        access: &Access,
        prefix: &IdPrefix,
        permutation: &SerialPermutation,
    ) -> Result<PersonalId> {
        in_tx!(self, Write, |tx| citizens::allocate_id(
            tx,
            access,
            prefix,
            permutation
        ))
    }

    async fn import_forms(
        &self,
        access: &Access,
        import: ImportStream<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome> {
        forms::import(&self.backend, access, import, false, progress).await
    }

    async fn import_forms_dry_run(
        &self,
        access: &Access,
        import: ImportStream<'_>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportOutcome> {
        let file_hash = import.file_hash.clone();
        // Keeps nothing it wrote, its audit event included.
        let outcome = forms::import(&self.backend, access, import, true, progress).await?;
        in_tx!(self, Write, |tx| tx.audit(
            access,
            actions::FORMS_IMPORT_DRY_RUN,
            "import",
            &file_hash
        ))?;
        Ok(outcome)
    }

    async fn staged_forms(&self, access: &Access, query: &FormQuery) -> Result<Page<StagedForm>> {
        in_tx!(self, AuditedRead, |tx| forms::list(tx, access, query))
    }

    async fn staged_form(&self, access: &Access, id: Uuid) -> Result<Option<StagedForm>> {
        in_tx!(self, AuditedRead, |tx| forms::get(tx, access, id, true))
    }

    async fn decide_form(
        &self,
        access: &Access,
        role: Role,
        id: Uuid,
        decision: &FormDecision,
    ) -> Result<StagedForm> {
        in_tx!(self, RecordWrite, |tx| forms::decide(
            tx, access, role, id, decision
        ))
    }

    async fn intake_facts(
        &self,
        access: &Access,
        personal_ids: &[PersonalId],
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<IntakeFacts>>> {
        in_tx!(self, Write, |tx| applications::intake_facts(
            tx,
            access,
            personal_ids,
            today,
            true
        ))
    }

    async fn filing_facts(
        &self,
        access: &Access,
        personal_ids: &[PersonalId],
        today: jiff::civil::Date,
    ) -> Result<Vec<Option<IntakeFacts>>> {
        in_tx!(self, Read, |tx| applications::intake_facts(
            tx,
            access,
            personal_ids,
            today,
            false
        ))
    }

    async fn file_applications(
        &self,
        access: &Access,
        batch: &[NewApplication],
    ) -> Result<Vec<Filed>> {
        in_tx!(self, Durable, |tx| applications::file(tx, access, batch))
    }

    async fn application(&self, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>> {
        in_tx!(self, Write, |tx| applications::get(tx, access, key))
    }

    async fn transition_application(
        &self,
        access: &Access,
        key: Uuid,
        step: &Step,
    ) -> Result<ApplicationRecord> {
        in_tx!(self, Write, |tx| applications::transition(
            tx, access, key, step
        ))
    }

    async fn applications(
        &self,
        access: &Access,
        query: &ApplicationQuery,
    ) -> Result<Page<ApplicationSummary>> {
        in_tx!(self, Write, |tx| applications::list(tx, access, query))
    }

    async fn count_applications(&self, access: &Access, query: &ApplicationQuery) -> Result<u64> {
        in_tx!(self, LaggingRead, |tx| applications::count(
            tx, access, query
        ))
    }

    async fn batch_for(
        &self,
        access: &Access,
        id: Uuid,
        province: &cancuoc_domain::AdminCode,
        day: jiff::civil::Date,
    ) -> Result<Batch> {
        in_tx!(self, Write, |tx| applications::batch_for(
            tx, access, id, province, day
        ))
    }

    async fn batch(&self, access: &Access, id: Uuid) -> Result<Option<Batch>> {
        in_tx!(self, Write, |tx| applications::batch(tx, access, id))
    }

    async fn set_biometrics(
        &self,
        access: &Access,
        key: Uuid,
        biometrics: &str,
    ) -> Result<ApplicationRecord> {
        in_tx!(self, Write, |tx| applications::set_biometrics(
            tx, access, key, biometrics
        ))
    }

    async fn note_for_verifier(
        &self,
        access: &Access,
        key: Uuid,
        note: &str,
    ) -> Result<ApplicationRecord> {
        in_tx!(self, Write, |tx| applications::note_for_verifier(
            tx, access, key, note
        ))
    }

    async fn card(&self, access: &Access, personal_id: &PersonalId) -> Result<Option<CardRecord>> {
        in_tx!(self, Write, |tx| applications::card_of(
            tx,
            access,
            personal_id
        ))
    }

    async fn cards(&self, access: &Access, personal_id: &PersonalId) -> Result<Vec<CardRecord>> {
        in_tx!(self, Write, |tx| applications::cards_of(
            tx,
            access,
            personal_id
        ))
    }

    async fn report_card_lost(
        &self,
        access: &Access,
        personal_id: &PersonalId,
    ) -> Result<CardRecord> {
        in_tx!(self, Write, |tx| applications::report_lost(
            tx,
            access,
            personal_id
        ))
    }

    async fn create_campaign(&self, access: &Access, campaign: &Campaign) -> Result<()> {
        in_tx!(self, Write, |tx| campaigns::create(tx, access, campaign))
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>> {
        in_tx!(self, Read, |tx| campaigns::list(tx))
    }

    async fn campaign(&self, id: Uuid) -> Result<Option<Campaign>> {
        in_tx!(self, Read, |tx| campaigns::get(tx, id))
    }

    async fn set_quotas(&self, access: &Access, campaign: Uuid, quotas: &[Quota]) -> Result<()> {
        in_tx!(self, Write, |tx| campaigns::set_quotas(
            tx, access, campaign, quotas
        ))
    }

    async fn quotas(&self, campaign: Uuid, units: &[String]) -> Result<Vec<Quota>> {
        in_tx!(self, Read, |tx| campaigns::quotas(tx, campaign, units))
    }

    async fn intake_counts(
        &self,
        units: &[String],
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<IntakeCount>> {
        in_tx!(self, LaggingRead, |tx| campaigns::intake_counts(
            tx, units, from, to
        ))
    }

    async fn verify_intake_counts(&self) -> Result<Vec<IntakeMismatch>> {
        in_tx!(self, Read, |tx| campaigns::verify_intake_counts(tx))
    }

    async fn rebuild_intake_counts(&self) -> Result<u64> {
        in_tx!(self, Write, |tx| campaigns::rebuild_intake_counts(tx))
    }

    async fn refresh_statistics(&self) -> Result<()> {
        self.backend.refresh_statistics().await
    }

    async fn advance_eligible(&self, today: jiff::civil::Date) -> Result<EligibleAdvance> {
        // Most calls find the counts current: a read tells, without the writers' lock.
        let day = in_tx!(self, Read, |tx| crate::eligible::kept_day(tx))?;
        if day == Some(today) {
            return Ok(EligibleAdvance {
                from: day,
                to: today,
                recounted: false,
                moved: 0,
            });
        }
        in_tx!(self, Write, |tx| crate::eligible::advance(tx, today))
    }

    async fn verify_eligible_counts(&self) -> Result<EligibleCheck> {
        // Under the writers' lock: the recount and the kept counts must be of one moment.
        in_tx!(self, Write, |tx| crate::eligible::verify(tx))
    }

    async fn eligible(
        &self,
        access: &Access,
        query: &EligibleQuery,
    ) -> Result<Vec<(Option<String>, u64)>> {
        // Not under the writers' lock: a count of the register (a day other than the kept
        // counts') takes seconds at national scale, and no one should wait for it.
        in_tx!(self, AuditedRead, |tx| campaigns::eligible(
            tx, access, query
        ))
    }

    async fn create_site(&self, access: &Access, site: &Site) -> Result<()> {
        in_tx!(self, Write, |tx| schedule::create_site(tx, access, site))
    }

    async fn sites(&self, access: &Access, unit: Option<&str>) -> Result<Vec<Site>> {
        in_tx!(self, Read, |tx| schedule::sites(tx, access, unit))
    }

    async fn pki_certificates(&self) -> Result<Vec<PkiCertificateRecord>> {
        in_tx!(self, Read, |tx| chip::certificates(tx))
    }

    async fn add_pki_certificate(
        &self,
        access: &Access,
        record: &PkiCertificateRecord,
    ) -> Result<()> {
        in_tx!(self, Write, |tx| chip::add_certificate(tx, access, record))
    }

    async fn revoke_document_signer(
        &self,
        access: &Access,
        serial: i64,
        crl: &CrlRecord,
    ) -> Result<()> {
        in_tx!(self, Write, |tx| chip::revoke_document_signer(
            tx, access, serial, crl
        ))
    }

    async fn add_crl(&self, access: &Access, crl: &CrlRecord) -> Result<()> {
        in_tx!(self, Write, |tx| chip::add_crl(tx, access, crl))
    }

    async fn latest_crl(&self) -> Result<Option<CrlRecord>> {
        in_tx!(self, Read, |tx| chip::latest_crl(tx))
    }

    async fn add_line_key(&self, access: &Access, key: &LineKeyRecord) -> Result<()> {
        in_tx!(self, Write, |tx| chip::add_line_key(tx, access, key))
    }

    async fn line_keys(&self) -> Result<Vec<LineKeyRecord>> {
        in_tx!(self, Read, |tx| chip::line_keys(tx))
    }

    async fn card_chip(&self, access: &Access, application: Uuid) -> Result<Option<ChipRecord>> {
        in_tx!(self, Write, |tx| chip::card_chip(tx, access, application))
    }

    async fn remote_districts(&self) -> Result<Vec<RemoteDistrictRecord>> {
        in_tx!(self, Read, |tx| remote::list(tx))
    }

    async fn add_remote_district(
        &self,
        access: &Access,
        entry: &RemoteDistrictRecord,
    ) -> Result<()> {
        in_tx!(self, Write, |tx| remote::add(tx, access, entry))
    }

    async fn end_remote_district(
        &self,
        access: &Access,
        id: Uuid,
        last_day: Date,
    ) -> Result<RemoteDistrictRecord> {
        in_tx!(self, Write, |tx| remote::end(tx, access, id, last_day))
    }

    async fn request_station(&self, access: &Access, new: &StationRecord) -> Result<()> {
        in_tx!(self, Write, |tx| station::request(tx, access, new))
    }

    async fn stations(&self, access: &Access) -> Result<Vec<StationRecord>> {
        in_tx!(self, Read, |tx| station::in_scope(tx, access))
    }

    async fn station(&self, id: Uuid) -> Result<Option<StationRecord>> {
        in_tx!(self, Read, |tx| station::one(tx, id))
    }

    async fn approve_station(
        &self,
        access: &Access,
        id: Uuid,
        communes: &[String],
        officers: &[String],
    ) -> Result<StationRecord> {
        in_tx!(self, Write, |tx| station::approve(
            tx, access, id, communes, officers
        ))
    }

    async fn revoke_station(&self, access: &Access, id: Uuid) -> Result<StationRecord> {
        in_tx!(self, Write, |tx| station::revoke(tx, access, id))
    }

    async fn station_server_key(
        &self,
        purpose: StationKeyPurpose,
    ) -> Result<Option<StationServerKey>> {
        in_tx!(self, Read, |tx| station::server_key_of(tx, purpose))
    }

    async fn add_station_server_key(
        &self,
        access: &Access,
        key: &StationServerKey,
    ) -> Result<StationServerKey> {
        in_tx!(self, Write, |tx| station::add_server_key(tx, access, key))
    }

    async fn residents_for_station(
        &self,
        access: &Access,
        communes: &[String],
    ) -> Result<(Vec<NewHousehold>, Vec<CitizenRecord>)> {
        in_tx!(self, Write, |tx| station::residents(tx, access, communes))
    }

    async fn packet_answer(&self, packet: Uuid) -> Result<Option<PacketAnswer>> {
        in_tx!(self, Read, |tx| station::answer(tx, packet))
    }

    async fn keep_packet_answer(&self, answer: &PacketAnswer) -> Result<PacketAnswer> {
        in_tx!(self, Write, |tx| station::keep_answer(tx, answer))
    }

    async fn packet_upload(&self, station: Uuid, packet: Uuid) -> Result<(Vec<u8>, u64)> {
        in_tx!(self, Read, |tx| station::upload(tx, station, packet))
    }

    async fn append_packet_upload(
        &self,
        station: Uuid,
        packet: Uuid,
        offset: u64,
        total: u64,
        bytes: &[u8],
    ) -> Result<u64> {
        in_tx!(self, Write, |tx| station::append_upload(
            tx, station, packet, offset, total, bytes
        ))
    }

    async fn station_identity(&self) -> Result<Option<StationIdentity>> {
        in_tx!(self, Read, |tx| station::identity(tx))
    }

    async fn station_extract_pulled(&self, object: &str, expires_micros: i64) -> Result<()> {
        in_tx!(self, Write, |tx| station::extract_pulled(
            tx,
            object,
            expires_micros
        ))
    }

    async fn set_station_identity(&self, identity: &StationIdentity) -> Result<()> {
        in_tx!(self, Write, |tx| station::set_identity(tx, identity))
    }

    async fn station_pushed(&self, at_micros: i64) -> Result<()> {
        in_tx!(self, Write, |tx| station::pushed(tx, at_micros))
    }

    async fn add_outbox_packet(&self, access: &Access, packet: &OutboxPacket) -> Result<()> {
        in_tx!(self, Durable, |tx| station::add_outbox(tx, access, packet))
    }

    async fn discard_outbox_packet(&self, access: &Access, packet: Uuid) -> Result<()> {
        in_tx!(self, Durable, |tx| station::discard_outbox(
            tx, access, packet
        ))
    }

    async fn outbox(&self) -> Result<Vec<OutboxPacket>> {
        in_tx!(self, Read, |tx| station::outbox(tx))
    }

    async fn answer_outbox_packet(
        &self,
        packet: Uuid,
        answered_micros: i64,
        outcome: &PacketOutcome,
    ) -> Result<OutboxPacket> {
        in_tx!(self, Write, |tx| station::answer_outbox(
            tx,
            packet,
            answered_micros,
            outcome
        ))
    }

    async fn append_station_audit(
        &self,
        station: Uuid,
        events: &[cancuoc_domain::audit::AuditEvent],
        now_micros: i64,
    ) -> Result<(u64, i64)> {
        in_tx!(self, Write, |tx| station::append_audit(
            tx, station, events, now_micros
        ))
    }

    async fn station_audit_sent(&self) -> Result<i64> {
        in_tx!(self, Read, |tx| station::audit_sent(tx))
    }

    async fn set_station_audit_sent(&self, seq: i64) -> Result<()> {
        in_tx!(self, Write, |tx| station::set_audit_sent(tx, seq))
    }

    async fn resolve_outbox_packet(&self, access: &Access, packet: Uuid) -> Result<OutboxPacket> {
        in_tx!(self, Write, |tx| station::resolve_outbox(
            tx, access, packet
        ))
    }

    async fn add_machine(&self, access: &Access, machine: &Machine) -> Result<()> {
        in_tx!(self, Write, |tx| schedule::add_machine(tx, access, machine))
    }

    async fn machines(&self, unit: &str) -> Result<Vec<Machine>> {
        in_tx!(self, Read, |tx| schedule::machines(tx, unit))
    }

    async fn create_sessions(
        &self,
        access: &Access,
        sessions: &[NewEnrollmentSession],
    ) -> Result<()> {
        in_tx!(self, Write, |tx| schedule::create_sessions(
            tx, access, sessions
        ))
    }

    async fn enrollment_sessions(
        &self,
        access: &Access,
        query: &SessionQuery,
    ) -> Result<Vec<EnrollmentSession>> {
        in_tx!(self, Read, |tx| schedule::sessions(tx, access, query))
    }

    async fn enrollment_session(
        &self,
        access: &Access,
        id: Uuid,
    ) -> Result<Option<EnrollmentSession>> {
        in_tx!(self, Read, |tx| schedule::session(tx, access, id))
    }

    async fn close_session(&self, access: &Access, id: Uuid) -> Result<u64> {
        in_tx!(self, Write, |tx| schedule::close_session(tx, access, id))
    }

    async fn invitees(
        &self,
        access: &Access,
        commune: &str,
        on: jiff::civil::Date,
    ) -> Result<Vec<Invitee>> {
        in_tx!(self, Write, |tx| schedule::invitees(
            tx, access, commune, on
        ))
    }

    async fn make_appointments(
        &self,
        access: &Access,
        new: &[NewAppointment],
    ) -> Result<Vec<Appointment>> {
        in_tx!(self, Write, |tx| schedule::make_appointments(
            tx, access, new
        ))
    }

    async fn walk_in_counts(
        &self,
        access: &Access,
        unit: &str,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<(u64, u64)> {
        in_tx!(self, Read, |tx| schedule::walk_in_counts(
            tx, access, unit, from, to
        ))
    }

    async fn appointments(&self, access: &Access, session: Uuid) -> Result<Vec<Appointment>> {
        in_tx!(self, Write, |tx| schedule::appointments(
            tx, access, session
        ))
    }

    async fn active_appointment(
        &self,
        access: &Access,
        personal_id: &str,
    ) -> Result<Option<Appointment>> {
        in_tx!(self, Write, |tx| schedule::active_appointment(
            tx,
            access,
            personal_id
        ))
    }

    async fn step_appointment(
        &self,
        access: &Access,
        id: Uuid,
        step: AppointmentStep,
    ) -> Result<Appointment> {
        in_tx!(self, Write, |tx| schedule::step_appointment(
            tx, access, id, step
        ))
    }

    async fn mark_no_shows(&self, access: &Access, session: Uuid, slots: &[u32]) -> Result<u64> {
        in_tx!(self, Write, |tx| schedule::mark_no_shows(
            tx, access, session, slots
        ))
    }

    async fn load_synthetic_applications(&self, spec: &SyntheticApplications) -> Result<u64> {
        in_tx!(self, Write, |tx| bench::load_synthetic_applications(
            tx, spec
        ))
    }

    async fn scan_intake_by_province(
        &self,
        from: jiff::civil::Date,
        on: jiff::civil::Date,
    ) -> Result<Vec<ScannedIntake>> {
        in_tx!(self, Read, |tx| bench::scan_intake_by_province(
            tx, from, on
        ))
    }
}
