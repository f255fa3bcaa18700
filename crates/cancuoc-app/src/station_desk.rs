//! A station's working copy (issue 19 §3, §5): the register the team works on offline.
//!
//! It is a store in memory, loaded at start from the sealed extract, so that no resident's
//! record lies unencrypted on the laptop; the station's own database keeps only who the
//! station is and its outbox, and its vault the keys, the extract and the packets. Every
//! application filed here is also sealed into a packet and put in the outbox, in the
//! same call that files it; at start, the outbox's packets are filed again into the new
//! working copy, so that a citizen filed for yesterday is seen as filed today.

use std::collections::HashMap;
use std::sync::Arc;

use cancuoc_domain::station::SignerKey;
use cancuoc_domain::{AdminCode, Officer, PersonalId, PoliceUnitCode, Role};
use cancuoc_store::{
    Filed, NewCitizen, NewHousehold, NewOfficer, OutboxPacket, OutboxState, PopulationBatch,
    StationIdentity, Store,
};
use uuid::Uuid;

use crate::station_packet::{
    PacketIntake, StationPacket, packet_plaintext, read_plain, seal_packet,
};
use crate::{App, AppError, Caller, Intake};

/// The guard-rails on a station's intake (issue 19 §5), as MOSIP's registration client has.
#[derive(Debug, Clone, Copy)]
pub struct StationLimits {
    /// Intake stops when more packets than this wait to be pushed.
    pub max_waiting: usize,
    /// Intake stops when packets wait and the last push is older than this.
    pub max_push_age_micros: i64,
}

impl Default for StationLimits {
    fn default() -> Self {
        Self {
            max_waiting: 500,
            max_push_age_micros: 7 * 24 * 3_600_000_000,
        }
    }
}

/// What a working copy knows of its station.
pub(crate) struct StationDesk {
    /// The station's own database: its identity and outbox.
    home: Arc<dyn Store>,
    identity: StationIdentity,
    signing: SignerKey,
    /// The version each resident's record had centrally in the extract, by personal ID:
    /// what a packet says its filing was checked against.
    versions: HashMap<String, i64>,
    /// What the extract said of residents' cards and applications in progress centrally,
    /// by personal ID: the working copy holds neither, so intake checks them here.
    holdings: HashMap<String, Holding>,
    extract_expires_micros: i64,
    limits: StationLimits,
    /// The last of the working copy's audit events copied into the station's own chain.
    mirrored: std::sync::atomic::AtomicI64,
    /// One copy at a time: the 5-second task and a filing must not copy an event twice.
    mirroring: tokio::sync::Mutex<()>,
    /// The station's block of receipt serials, and the last serial it gave each day
    /// (counted from the outbox at start, so that a number is never given twice).
    receipt_serials: Option<std::ops::RangeInclusive<u32>>,
    receipts_given: std::sync::Mutex<HashMap<jiff::civil::Date, u32>>,
}

#[derive(Debug, Clone, Copy)]
struct Holding {
    valid_card: Option<Option<jiff::civil::Date>>,
    open_application: bool,
}

/// The day (in Vietnam) a station's packet was made: its application's intake date.
pub(crate) fn station_day(made_micros: i64) -> Result<String, AppError> {
    jiff::Timestamp::from_microsecond(made_micros)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                .date()
                .to_string()
        })
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Where a station stands, as `cancuoc station status` and the console show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StationStanding {
    pub waiting: usize,
    pub refused: usize,
    pub last_push_micros: Option<i64>,
    pub extract_expires_micros: Option<i64>,
    /// Why intake is stopped, and how to start it again; none while it runs.
    pub intake_stopped: Option<String>,
}

impl App {
    /// On a station's own database: the working copy the station serves, `working` (a
    /// fresh, empty store) loaded from the kept extract, with the outbox's packets filed
    /// again. An expired extract still loads, for look-up; intake refuses it.
    pub async fn station_working_copy(
        &self,
        working: Arc<dyn Store>,
        limits: StationLimits,
    ) -> Result<App, AppError> {
        let identity = self.store.station_identity().await?.ok_or_else(|| {
            AppError::InvalidState(
                "this database is no station: run `cancuoc station enrol` first".into(),
            )
        })?;
        let (extract, expires) = self.station_extract_for_work(&identity).await?;
        let signing = self.station_signing_key(&identity).await?;
        let mut copy = App::new(
            working,
            self.clock.clone(),
            self.random.clone(),
            self.config.clone(),
        )
        .await?;
        if let Some(vault) = &self.vault {
            copy = copy.with_vault(vault.clone());
        }
        copy.load_hierarchy(&extract.hierarchy).await?;
        let loader = Caller::Operator {
            name: format!("station:{}", identity.id),
        };
        let access = loader.access(&*self.clock, "station extract");
        for o in &extract.officers {
            let unit = PoliceUnitCode::parse(&o.unit).map_err(|e| {
                AppError::Invalid(format!("the extract's officer {}: {e}", o.username))
            })?;
            let role = Role::parse(&o.role).ok_or_else(|| {
                AppError::Invalid(format!(
                    "the extract's officer {}: role {:?}",
                    o.username, o.role
                ))
            })?;
            copy.store
                .create_officer(
                    &access,
                    &NewOfficer {
                        officer: Officer {
                            username: o.username.clone(),
                            full_name: o.full_name.clone(),
                            unit,
                            role,
                            active: true,
                        },
                        password_hash: o.password_hash.clone(),
                        must_change_password: false,
                    },
                )
                .await?;
        }
        let mut batch = PopulationBatch {
            source: format!("station extract {}", identity.id),
            ..PopulationBatch::default()
        };
        for h in &extract.households {
            batch.households.push(NewHousehold {
                number: h.number.clone(),
                commune: AdminCode::parse(&h.commune)
                    .map_err(|e| AppError::Invalid(format!("the extract's household: {e}")))?,
                address: h.address.clone(),
                head: h.head.as_deref().and_then(|p| PersonalId::parse(p).ok()),
            });
        }
        let mut versions = HashMap::with_capacity(extract.residents.len());
        let mut holdings = HashMap::new();
        for r in &extract.residents {
            versions.insert(r.data.personal_id.as_string(), r.version);
            if r.valid_card.is_some() || r.open_application {
                holdings.insert(
                    r.data.personal_id.as_string(),
                    Holding {
                        valid_card: r.valid_card.map(|c| c.expiry),
                        open_application: r.open_application,
                    },
                );
            }
            batch
                .citizens
                .push(NewCitizen::new(r.key, &r.data, r.locality.as_ref())?);
        }
        copy.store.load_population(&access, &batch).await?;
        for session in &extract.sessions {
            // A session the copy cannot hold is left out and said, not a stopped station.
            if let Err(e) = copy.load_session(&access, &extract, session).await {
                tracing::warn!(session = %session.id, error = %e, "a session of the extract was not loaded");
            }
        }
        copy.station = Some(Arc::new(StationDesk {
            home: self.store.clone(),
            identity,
            signing,
            versions,
            holdings,
            extract_expires_micros: expires,
            limits,
            mirrored: std::sync::atomic::AtomicI64::new(0),
            mirroring: tokio::sync::Mutex::new(()),
            receipt_serials: extract
                .receipt_block
                .and_then(cancuoc_domain::receipt::station_serials),
            receipts_given: std::sync::Mutex::new(receipts_given(&self.store.outbox().await?)),
        }));
        copy.refile_outbox().await?;
        // What loading the copy wrote is the station's bookkeeping, not an officer's work:
        // the mirror starts after it.
        let loaded = copy.last_audit_seq().await?;
        if let Some(desk) = &copy.station {
            desk.mirrored
                .store(loaded, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(copy)
    }

    /// Puts a session of the extract, its site, machines and appointments into the working
    /// copy, with the ids the register gave them.
    async fn load_session(
        &self,
        access: &cancuoc_store::Access,
        extract: &crate::StationExtract,
        s: &crate::station::ExtractSession,
    ) -> Result<(), AppError> {
        use cancuoc_domain::schedule::{AppointmentOrigin, Taker};
        let now = self.clock.now_micros();
        let unit = |u: &str| u.to_owned();
        if !self
            .store
            .sites(access, None)
            .await?
            .iter()
            .any(|site| site.id == s.site.id)
        {
            self.store
                .create_site(
                    access,
                    &cancuoc_store::Site {
                        id: s.site.id,
                        unit: unit(&s.site.unit),
                        name: s.site.name.clone(),
                        kind: s.site.kind,
                        commune: s.site.commune.clone(),
                        address: s.site.address.clone(),
                        hours: s.site.hours,
                        created_by: access.actor.clone(),
                        created_micros: now,
                    },
                )
                .await?;
        }
        for m in &s.machines {
            let held = self.store.machines(&m.unit).await?;
            if !held.iter().any(|h| h.id == m.id) {
                self.store
                    .add_machine(
                        access,
                        &cancuoc_store::Machine {
                            id: m.id,
                            unit: unit(&m.unit),
                            label: m.label.clone(),
                            minutes_per_application: m.minutes_per_application,
                            active: true,
                            created_micros: now,
                        },
                    )
                    .await?;
            }
        }
        // The session's officers who are on the station; all of the station's when none is.
        let here: Vec<String> = extract
            .officers
            .iter()
            .map(|o| o.username.clone())
            .collect();
        let mut officers: Vec<String> = s
            .officers
            .iter()
            .filter(|o| here.contains(o))
            .cloned()
            .collect();
        if officers.is_empty() {
            officers = here;
        }
        self.store
            .create_sessions(
                access,
                &[cancuoc_store::NewEnrollmentSession {
                    id: s.id,
                    site: s.site.id,
                    day: s.day,
                    window: s.window,
                    slot_min: s.slot_min,
                    machines: s.machines.iter().map(|m| m.id).collect(),
                    officers,
                    slots: s.slots.clone(),
                    invites: (s.invites != s.site.commune).then(|| s.invites.clone()),
                }],
            )
            .await?;
        let appointments: Vec<_> = s
            .appointments
            .iter()
            .map(|a| cancuoc_store::NewAppointment {
                id: a.id,
                session: s.id,
                slot: a.slot,
                personal_id: a.personal_id.clone(),
                household: a.household.clone(),
                origin: a.origin,
                room: if a.origin == AppointmentOrigin::WalkIn {
                    Taker::WalkIn
                } else {
                    Taker::Appointment
                },
                arrived_micros: a.arrived_micros,
            })
            .collect();
        if !appointments.is_empty() {
            self.store.make_appointments(access, &appointments).await?;
        }
        Ok(())
    }

    /// Files the outbox's waiting and filed packets again into a fresh working copy, from
    /// the station's own copies; a packet the copy no longer takes is logged and left.
    async fn refile_outbox(&self) -> Result<(), AppError> {
        let Some(desk) = &self.station else {
            return Ok(());
        };
        let vault = self.vault_holding("a station's packets")?;
        for held in desk.home.outbox().await? {
            if !matches!(held.state, OutboxState::Waiting | OutboxState::Filed) {
                continue;
            }
            // A filed packet the extract shows as the server's application (or the card
            // made from it) is known without filing it again: the outbox keeps every
            // packet, and a start must not file a whole campaign's again.
            let known = desk
                .holdings
                .get(held.personal_id.trim())
                .is_some_and(|h| h.open_application || h.valid_card.is_some());
            if held.state == OutboxState::Filed && known {
                continue;
            }
            // A packet that does not read is said and left: the station still starts.
            let packet = match vault.open(&held.plain_object).await {
                Ok(plain) => {
                    match read_plain(&plain, desk.identity.id, held.packet, held.made_micros) {
                        Ok(p) => p,
                        Err(r) => {
                            tracing::warn!(packet = %held.packet, "its copy does not read: {}", r.message);
                            continue;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(packet = %held.packet, error = %e, "its copy is not in the vault");
                    continue;
                }
            };
            let Some(officer) = self
                .store
                .officer_credentials(&packet.officer)
                .await?
                .map(|c| c.officer)
            else {
                tracing::warn!(packet = %held.packet, "its officer is no longer on the station");
                continue;
            };
            let intake = Intake {
                capture: packet.capture,
                ..packet_intake(
                    &packet.intake,
                    station_day(packet.made_micros)?,
                    held.packet,
                )
            };
            if let Err(e) = self
                .file_applications_here(&Caller::Officer(officer), std::slice::from_ref(&intake))
                .await
            {
                tracing::warn!(packet = %held.packet, error = %e, "a packet was not filed again into the working copy");
            }
        }
        Ok(())
    }

    async fn last_audit_seq(&self) -> Result<i64, AppError> {
        let mut after = 0;
        loop {
            let page = self.store.audit_events(after, 10_000).await?;
            match page.last() {
                Some(e) => after = e.seq,
                None => return Ok(after),
            }
        }
    }

    /// On a station's working copy: copies its new audit events (who read or filed what,
    /// when) into the station's own chain on disk, which outlives the copy in memory and
    /// is pushed to the central chain. Returns how many were copied.
    pub async fn mirror_station_audit(&self) -> Result<usize, AppError> {
        use std::sync::atomic::Ordering;
        let Some(desk) = &self.station else {
            return Ok(0);
        };
        let _one_at_a_time = desk.mirroring.lock().await;
        let mut copied = 0;
        loop {
            let after = desk.mirrored.load(Ordering::SeqCst);
            let events = self.store.audit_events(after, 1_000).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(copied);
            };
            for e in &events {
                let access = cancuoc_store::Access {
                    actor: e.draft.actor.clone(),
                    unit: e.draft.unit.clone(),
                    scope: cancuoc_domain::Jurisdiction::Nation,
                    purpose: e.draft.purpose.clone(),
                    now_micros: e.at_micros,
                };
                desk.home
                    .append_audit(
                        &access,
                        &e.draft.action,
                        &e.draft.record_kind,
                        &e.draft.record_key,
                        e.draft.outcome,
                    )
                    .await?;
                desk.mirrored.store(e.seq, Ordering::SeqCst);
                copied += 1;
            }
            debug_assert_eq!(last, desk.mirrored.load(Ordering::SeqCst));
        }
    }

    /// On a station's new working copy: the console session of the officer who loaded it,
    /// carried over from the copy it replaces (same token and form token, a fresh expiry),
    /// if the officer is still on the station in the new extract.
    pub async fn carry_session(
        &self,
        token: &str,
        csrf_token: &str,
        username: &str,
    ) -> Result<bool, AppError> {
        if self.station.is_none() {
            return Err(AppError::InvalidState(
                "a session is carried only between a station's working copies".into(),
            ));
        }
        let on_station = self
            .store
            .officer_credentials(username)
            .await?
            .is_some_and(|c| c.officer.active);
        if !on_station {
            return Ok(false);
        }
        let now = self.clock.now_micros();
        self.store
            .create_session(&cancuoc_store::NewSession {
                token_hash: crate::auth::hash_token(token),
                username: username.to_owned(),
                created_micros: now,
                expires_micros: now + self.config.session_ttl_micros,
                csrf_token: csrf_token.to_owned(),
            })
            .await?;
        Ok(true)
    }

    /// On a station: its own chain's events the server has not taken yet, oldest first.
    pub async fn station_audit_to_send(
        &self,
        limit: u32,
    ) -> Result<Vec<cancuoc_domain::audit::AuditEvent>, AppError> {
        let home = self.station_home();
        let after = home.station_audit_sent().await?;
        Ok(home.audit_events(after, limit).await?)
    }

    /// On a station: the server took its audit events up to `seq`.
    pub async fn station_audit_taken(&self, seq: i64) -> Result<(), AppError> {
        Ok(self.station_home().set_station_audit_sent(seq).await?)
    }

    /// On the server: appends an authenticated station's audit events to the central
    /// chain (1,000 at most a request); those taken before are skipped.
    pub async fn receive_station_audit(
        &self,
        station: &cancuoc_store::StationRecord,
        events: &[cancuoc_domain::audit::AuditEvent],
    ) -> Result<(u64, i64), AppError> {
        if events.len() > 1_000 {
            return Err(AppError::Invalid(
                "events: at most 1000 in one request".into(),
            ));
        }
        // What a station says it did is taken as the station's: under its unit, and as
        // one of its officers only if it names one; dated between its request and now.
        let latest = self.clock.now_micros() + cancuoc_domain::station::REQUEST_SKEW_MICROS;
        let mut taken = Vec::with_capacity(events.len());
        for e in events {
            if e.at_micros < station.requested_micros || e.at_micros > latest {
                return Err(AppError::Invalid(format!(
                    "event {}: dated outside the station's life",
                    e.seq
                )));
            }
            let mut e = e.clone();
            e.draft.unit = station.unit.clone();
            if !station.officers.contains(&e.draft.actor) {
                e.draft.actor = format!("station:{}", station.id);
            }
            taken.push(e);
        }
        Ok(self
            .store
            .append_station_audit(station.id, &taken, self.clock.now_micros())
            .await?)
    }

    /// True when this application is a station's working copy.
    pub fn is_station(&self) -> bool {
        self.station.is_some()
    }

    /// Why a station takes no intake now, if it does not: its extract has expired, too
    /// many packets wait, or they have waited too long for a push.
    pub(crate) async fn station_intake_stopped(&self) -> Result<Option<String>, AppError> {
        let Some(desk) = &self.station else {
            return Ok(None);
        };
        let outbox = desk.home.outbox().await?;
        let identity = desk.home.station_identity().await?;
        // `identity` is read again: a push since the start moved its last push.
        let standing = desk.standing(&outbox, identity.as_ref(), self.clock.now_micros());
        Ok(standing.intake_stopped)
    }

    /// Files intakes at a station: refused while its guard-rails hold, then filed in the
    /// working copy, and each new filing sealed into a packet in the outbox.
    pub(crate) async fn file_at_station(
        &self,
        desk: &StationDesk,
        caller: &Caller,
        intakes: &[Intake],
    ) -> Result<Vec<Filed>, AppError> {
        if let Some(why) = self.station_intake_stopped().await? {
            return Err(AppError::InvalidState(why));
        }
        let Some(officer) = caller.officer() else {
            return Err(AppError::Forbidden(
                "a station's intake is taken by an officer signed in on it".into(),
            ));
        };
        for intake in intakes {
            desk.check_holding(intake, self.clock.today())?;
        }
        let vault = self.vault_holding("a station's packets")?;
        let access = caller.access(&*self.clock, "station intake");
        // Each citizen gets the station's own receipt number, the one the server will file.
        let today = self.clock.today();
        let intakes = intakes
            .iter()
            .map(|intake| {
                Ok(Intake {
                    receipt: desk.next_receipt(&officer.unit, today)?,
                    ..intake.clone()
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let intakes = intakes.as_slice();
        // Each packet is in the outbox before the copy files its application: a filing the
        // copy holds always has its packet, and a packet whose filing fails is taken back.
        let mut made = Vec::with_capacity(intakes.len());
        for intake in intakes {
            match self
                .put_in_outbox(desk, vault.as_ref(), &access, &officer.username, intake)
                .await
            {
                Ok(packet) => made.push(packet),
                Err(e) => {
                    take_back(desk, &access, &made).await;
                    return Err(e);
                }
            }
        }
        let filed = match self.file_applications_here(caller, intakes).await {
            Ok(filed) => filed,
            Err(e) => {
                take_back(desk, &access, &made).await;
                return Err(e);
            }
        };
        // A request answered again (its idempotency key seen) has its packet from the
        // first time.
        let replayed: Vec<Uuid> = made
            .iter()
            .zip(&filed)
            .filter(|(_, done)| done.replayed)
            .map(|(packet, _)| *packet)
            .collect();
        take_back(desk, &access, &replayed).await;
        // The filing's trail goes to the station's own chain with its packet, not only on
        // the next copy: a laptop that dies loses no record of what it filed.
        self.mirror_station_audit().await?;
        Ok(filed)
    }

    /// Seals one intake into a packet (signed by the station, encrypted to the server),
    /// keeps it in the vault with its plain copy and puts it in the outbox, waiting.
    async fn put_in_outbox(
        &self,
        desk: &StationDesk,
        vault: &dyn cancuoc_store::Vault,
        access: &cancuoc_store::Access,
        officer: &str,
        intake: &Intake,
    ) -> Result<Uuid, AppError> {
        let packet = StationPacket {
            packet: Uuid::now_v7(),
            station: desk.identity.id,
            officer: officer.to_owned(),
            made_micros: self.clock.now_micros(),
            register_version: desk.versions.get(intake.personal_id.trim()).copied(),
            intake: PacketIntake {
                personal_id: intake.personal_id.clone(),
                kind: intake.kind.clone(),
                reason: intake.reason.clone(),
                identifying_marks: intake.identifying_marks.clone(),
                exemption: intake.exemption.clone(),
                old_card_returned: intake.old_card_returned,
                receipt: intake.receipt.clone(),
            },
            capture: intake.capture.clone(),
        };
        let plain = packet_plaintext(&packet)?;
        let mut failure = None;
        let sealed = seal_packet(
            &packet,
            &desk.signing,
            &desk.identity.server_packet_key,
            |b| match self.random.bytes(b.len()) {
                Ok(bytes) => b.copy_from_slice(&bytes),
                Err(e) => failure = Some(e),
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
        }
        let sealed_object = format!("station/outbox/{}.ccsp", packet.packet);
        let plain_object = format!("station/outbox/{}.plain", packet.packet);
        vault.seal(&sealed_object, &sealed).await?;
        vault.seal(&plain_object, &plain).await?;
        desk.home
            .add_outbox_packet(
                access,
                &OutboxPacket {
                    packet: packet.packet,
                    made_micros: packet.made_micros,
                    officer: packet.officer,
                    personal_id: intake.personal_id.clone(),
                    sealed_object,
                    plain_object,
                    size_bytes: sealed.len() as u64,
                    state: OutboxState::Waiting,
                    answered_micros: None,
                    receipt: intake.receipt.as_ref().map(ToString::to_string),
                    code: None,
                    message: None,
                    resolved_by: None,
                    resolved_micros: None,
                },
            )
            .await?;
        Ok(packet.packet)
    }

    /// On a station (its own database or its working copy): where it stands.
    pub async fn station_standing(&self) -> Result<StationStanding, AppError> {
        let (home, desk) = match &self.station {
            Some(desk) => (&desk.home, Some(desk.as_ref())),
            None => (&self.store, None),
        };
        let identity = home.station_identity().await?.ok_or_else(|| {
            AppError::InvalidState(
                "this database is no station: run `cancuoc station enrol` first".into(),
            )
        })?;
        let outbox = home.outbox().await?;
        let now = self.clock.now_micros();
        Ok(match desk {
            Some(desk) => desk.standing(&outbox, Some(&identity), now),
            None => standing(
                &outbox,
                &identity,
                identity.extract_expires_micros,
                StationLimits::default(),
                now,
            ),
        })
    }

    /// The station's own database: this one, or the one behind this working copy.
    pub(crate) fn station_home(&self) -> &Arc<dyn Store> {
        self.station.as_ref().map_or(&self.store, |d| &d.home)
    }

    /// On a station: its outbox, oldest first.
    pub async fn station_outbox(&self) -> Result<Vec<OutboxPacket>, AppError> {
        Ok(self.station_home().outbox().await?)
    }

    /// On a station: a packet's bytes as they go up, sealed and signed.
    pub async fn station_packet_bytes(&self, packet: &OutboxPacket) -> Result<Vec<u8>, AppError> {
        let vault = self.vault_holding("a station's packets")?;
        Ok(vault.open(&packet.sealed_object).await?)
    }

    /// On a station: keeps the server's answer to a packet.
    pub async fn answer_station_packet(
        &self,
        packet: Uuid,
        outcome: &cancuoc_store::PacketOutcome,
    ) -> Result<OutboxPacket, AppError> {
        Ok(self
            .station_home()
            .answer_outbox_packet(packet, self.clock.now_micros(), outcome)
            .await?)
    }

    /// On a station: a push reached the server and left nothing waiting.
    pub async fn station_pushed(&self) -> Result<(), AppError> {
        Ok(self
            .station_home()
            .station_pushed(self.clock.now_micros())
            .await?)
    }

    /// On a station: an officer marks a refused packet dealt with.
    pub async fn resolve_station_packet(
        &self,
        caller: &Caller,
        packet: Uuid,
    ) -> Result<OutboxPacket, AppError> {
        let Some(desk) = &self.station else {
            return Err(AppError::NotFound("this server is no station".into()));
        };
        if caller.officer().is_none() {
            return Err(AppError::Forbidden(
                "an officer resolves a refused packet".into(),
            ));
        }
        let access = caller.access(&*self.clock, "station packet resolved");
        Ok(desk.home.resolve_outbox_packet(&access, packet).await?)
    }
}

/// The last receipt serial the station gave each day, from its outbox's packets.
fn receipts_given(outbox: &[OutboxPacket]) -> HashMap<jiff::civil::Date, u32> {
    let mut last = HashMap::new();
    for receipt in outbox
        .iter()
        .filter_map(|p| p.receipt.as_deref())
        .filter_map(|r| cancuoc_domain::receipt::ReceiptNumber::parse(r).ok())
    {
        let day = last.entry(receipt.day()).or_insert(0);
        *day = receipt.serial().max(*day);
    }
    last
}

impl StationDesk {
    /// The next receipt number the station gives on `day` for `unit`, from its block;
    /// `None` when the extract gave it none (the working copy then numbers as a unit).
    fn next_receipt(
        &self,
        unit: &PoliceUnitCode,
        day: jiff::civil::Date,
    ) -> Result<Option<cancuoc_domain::receipt::ReceiptNumber>, AppError> {
        let Some(serials) = &self.receipt_serials else {
            return Ok(None);
        };
        let mut given = self
            .receipts_given
            .lock()
            .map_err(|_| AppError::Internal("the station's receipt counter".into()))?;
        let last = given.entry(day).or_insert(0);
        let next = (*last + 1).max(*serials.start());
        if next > *serials.end() {
            return Err(AppError::InvalidState(format!(
                "Trạm đã dùng hết {} số biên nhận của ngày hôm nay (the station has given all \
                 its {} receipt numbers for today): file the rest at the district office or tomorrow",
                serials.clone().count(),
                serials.clone().count()
            )));
        }
        *last = next;
        cancuoc_domain::receipt::ReceiptNumber::new(unit.clone(), day, next)
            .map(Some)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// What the central register held of the citizen when the extract was made: an
    /// application in progress refuses another; a valid card refuses a first card or a
    /// CMND switch, as the server would.
    fn check_holding(&self, intake: &Intake, today: jiff::civil::Date) -> Result<(), AppError> {
        let Some(held) = self.holdings.get(intake.personal_id.trim()) else {
            return Ok(());
        };
        if held.open_application {
            return Err(AppError::Conflict(format!(
                "{} has an application in progress in the central register: the station takes no other",
                intake.personal_id.trim()
            )));
        }
        let valid = held
            .valid_card
            .is_some_and(|expiry| expiry.is_none_or(|e| e >= today));
        if valid && matches!(intake.kind.trim(), "first_issuance" | "cmnd_switch") {
            return Err(AppError::Invalid(format!(
                "{} holds a valid CCCD: choose renewal or reissue (type)",
                intake.personal_id.trim()
            )));
        }
        Ok(())
    }

    fn standing(
        &self,
        outbox: &[OutboxPacket],
        identity: Option<&StationIdentity>,
        now: i64,
    ) -> StationStanding {
        let identity = identity.unwrap_or(&self.identity);
        standing(
            outbox,
            identity,
            Some(self.extract_expires_micros),
            self.limits,
            now,
        )
    }
}

/// How far behind the station's own records its clock may read before intake stops: a
/// laptop's clock drifts and is set by hand, a few minutes either way.
const CLOCK_SKEW_MICROS: i64 = 10 * 60 * 1_000_000;

fn standing(
    outbox: &[OutboxPacket],
    identity: &StationIdentity,
    extract_expires_micros: Option<i64>,
    limits: StationLimits,
    now: i64,
) -> StationStanding {
    let waiting = outbox
        .iter()
        .filter(|p| p.state == OutboxState::Waiting)
        .count();
    let refused = outbox
        .iter()
        .filter(|p| p.state == OutboxState::Refused)
        .count();
    let last_contact = identity
        .last_push_micros
        .unwrap_or(identity.enrolled_micros);
    // The latest moment the station has written down: a clock reading earlier was set
    // back, and would date applications (and stretch the extract's life) falsely.
    let latest_seen = outbox
        .iter()
        .map(|p| p.made_micros)
        .chain([identity.enrolled_micros, last_contact])
        .max()
        .unwrap_or(identity.enrolled_micros);
    let intake_stopped = if now + CLOCK_SKEW_MICROS < latest_seen {
        Some(
            "Đồng hồ của máy trạm chạy lùi (the laptop's clock reads earlier than the station's \
             last packet or push): set the date and time, then start the station again"
                .to_owned(),
        )
    } else if extract_expires_micros.is_none_or(|e| e <= now) {
        Some(
            "Bản trích xuất dữ liệu của trạm đã hết hạn (the station's extract has expired): \
             connect to the network and run `cancuoc station pull`, then start the station again"
                .to_owned(),
        )
    } else if waiting >= limits.max_waiting {
        Some(format!(
            "{waiting} gói hồ sơ đang chờ gửi ({waiting} packets wait to be pushed; the limit is {}): \
             connect to the network and run `cancuoc station push`",
            limits.max_waiting
        ))
    } else if waiting > 0 && now - last_contact > limits.max_push_age_micros {
        Some(format!(
            "Trạm chưa gửi hồ sơ quá {} ngày (the station has not pushed for more than {} days): \
             connect to the network and run `cancuoc station push`",
            limits.max_push_age_micros / 86_400_000_000,
            limits.max_push_age_micros / 86_400_000_000
        ))
    } else {
        None
    };
    StationStanding {
        waiting,
        refused,
        last_push_micros: identity.last_push_micros,
        extract_expires_micros,
        intake_stopped,
    }
}

/// The intake a packet carries, as the server files it and as the station files it again.
pub(crate) fn packet_intake(packet: &PacketIntake, day: String, id: Uuid) -> Intake {
    Intake {
        personal_id: packet.personal_id.clone(),
        kind: packet.kind.clone(),
        reason: packet.reason.clone(),
        channel: "mobile".into(),
        intake_unit: None,
        intake_date: Some(day),
        station: None,
        identifying_marks: packet.identifying_marks.clone(),
        exemption: packet.exemption.clone(),
        old_card_returned: packet.old_card_returned,
        idempotency_key: Some(format!("station-packet:{id}")),
        capture: None,
        receipt: packet.receipt.clone(),
    }
}

/// Takes packets back out of the outbox after the filing they were made for failed; one
/// the push has sent meanwhile stays, and is said.
async fn take_back(desk: &StationDesk, access: &cancuoc_store::Access, packets: &[Uuid]) {
    for packet in packets {
        if let Err(e) = desk.home.discard_outbox_packet(access, *packet).await {
            tracing::warn!(%packet, error = %e, "a packet whose filing failed stays in the outbox");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const DAY: i64 = 86_400_000_000;
    const NOW: i64 = 1_790_000_000_000_000;

    fn identity(last_push: Option<i64>) -> StationIdentity {
        StationIdentity {
            id: Uuid::nil(),
            server_url: "http://127.0.0.1:8080".into(),
            unit: "CAH-436".into(),
            name: "Tổ lưu động số 1".into(),
            signing_object: String::new(),
            agreement_object: String::new(),
            server_extract_key: vec![],
            server_packet_key: vec![],
            enrolled_micros: NOW - 30 * DAY,
            extract_object: None,
            extract_expires_micros: None,
            last_push_micros: last_push,
        }
    }

    fn packets(waiting: usize, made: i64) -> Vec<OutboxPacket> {
        (0..waiting)
            .map(|n| OutboxPacket {
                packet: Uuid::from_u128(n as u128),
                made_micros: made,
                officer: "lan.pt".into(),
                personal_id: "042090001234".into(),
                sealed_object: String::new(),
                plain_object: String::new(),
                size_bytes: 1,
                state: OutboxState::Waiting,
                answered_micros: None,
                receipt: None,
                code: None,
                message: None,
                resolved_by: None,
                resolved_micros: None,
            })
            .collect()
    }

    fn stopped(
        outbox: &[OutboxPacket],
        last_push: Option<i64>,
        expires: Option<i64>,
    ) -> Option<String> {
        standing(
            outbox,
            &identity(last_push),
            expires,
            StationLimits::default(),
            NOW,
        )
        .intake_stopped
    }

    #[test]
    fn intake_runs_with_a_fresh_extract_and_few_recent_packets() {
        let outbox = packets(499, NOW - DAY);
        assert_eq!(stopped(&outbox, Some(NOW - DAY), Some(NOW + DAY)), None);
        // Nothing waiting: no push is due, however long ago the last one was.
        assert_eq!(stopped(&[], None, Some(NOW + DAY)), None);
    }

    #[test]
    fn an_expired_or_missing_extract_stops_intake_and_says_to_pull() {
        for expires in [None, Some(NOW), Some(NOW - 1)] {
            let why = stopped(&[], Some(NOW), expires).unwrap();
            assert!(why.contains("station pull"), "{why}");
        }
    }

    #[test]
    fn five_hundred_packets_waiting_stop_intake_and_say_to_push() {
        let why = stopped(&packets(500, NOW), Some(NOW), Some(NOW + DAY)).unwrap();
        assert!(
            why.contains("500 packets") && why.contains("station push"),
            "{why}"
        );
    }

    #[test]
    fn packets_waiting_seven_days_after_the_last_push_stop_intake() {
        let outbox = packets(1, NOW - DAY);
        assert_eq!(stopped(&outbox, Some(NOW - 7 * DAY), Some(NOW + DAY)), None);
        let why = stopped(&outbox, Some(NOW - 7 * DAY - 1), Some(NOW + DAY)).unwrap();
        assert!(why.contains("7 days"), "{why}");
        // Never pushed: counted from the enrolment, 30 days ago.
        assert!(stopped(&outbox, None, Some(NOW + DAY)).is_some());
    }

    #[test]
    fn a_clock_set_back_behind_the_stations_records_stops_intake() {
        // A packet made an hour after the clock's now: the clock went back.
        let why = stopped(
            &packets(1, NOW + 3_600_000_000),
            Some(NOW - DAY),
            Some(NOW + DAY),
        )
        .unwrap();
        assert!(why.contains("clock"), "{why}");
        // The last push in the future, nothing waiting: the same.
        assert!(stopped(&[], Some(NOW + DAY), Some(NOW + 2 * DAY)).is_some());
        // A few minutes' drift is a laptop's: intake runs.
        assert_eq!(
            stopped(
                &packets(1, NOW + 60_000_000),
                Some(NOW - DAY),
                Some(NOW + DAY)
            ),
            None
        );
    }
}
