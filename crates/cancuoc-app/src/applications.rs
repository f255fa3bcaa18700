//! Card applications: intake (Circular 60/2021/TT-BCA Art. 5), the state machine's steps,
//! production of the card's data, handover, lists and lost cards.

use std::sync::LazyLock;

use cancuoc_domain::application::{
    self, Action, Applicant, ApplicationState, ApplicationType, ApplicationTypeError, Area, Channel,
};
use cancuoc_domain::biometrics::{Capture, ImageRole, Manifest};
use cancuoc_domain::calendar::WorkingCalendar;
use cancuoc_domain::card::{self, QrPayload};
use cancuoc_domain::fee::{FeeError, FeeExemption, FeeSchedule};
use cancuoc_domain::remote::RemoteDistrict;
use cancuoc_domain::{AdminLevel, PartialDate, PersonalId, PoliceUnitCode, RecordStatus, Role};
use cancuoc_store::*;
use jiff::civil::Date;
use uuid::Uuid;

use crate::{App, AppError, Caller};

static FEES: LazyLock<Result<FeeSchedule, FeeError>> = LazyLock::new(FeeSchedule::vietnam);

/// An application as a station submits it, fields as typed.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    pub personal_id: String,
    /// `first_issuance`, `cmnd_switch`, `renewal`, `reissue`.
    pub kind: String,
    /// Required for `renewal` and `reissue`.
    pub reason: Option<String>,
    /// `fixed` or `mobile`.
    pub channel: String,
    /// The unit that takes the application; an officer's own unit when absent.
    pub intake_unit: Option<String>,
    /// `YYYY-MM-DD` or `dd/mm/yyyy`; today when absent (stations that worked offline give it).
    pub intake_date: Option<String>,
    pub station: Option<String>,
    pub identifying_marks: Option<String>,
    pub exemption: Option<String>,
    pub old_card_returned: bool,
    pub idempotency_key: Option<String>,
    /// Portrait and fingerprints (Circular 60/2021 Art. 5(1)(c)–(d)), already checked.
    pub capture: Option<Capture>,
    /// The number a mobile station gave the citizen offline: set only by the station's
    /// own filing and by the server filing its packet, never from a request (the API and
    /// the console leave it out).
    pub receipt: Option<cancuoc_domain::receipt::ReceiptNumber>,
}

/// What the register keeps about an application's biometrics: where the sealed bundle
/// is and what it holds, never the images themselves.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct StoredBiometrics {
    object: String,
    manifest: Manifest,
}

/// Roles that see portraits and fingerprints: those who verify, approve and produce.
fn reads_biometrics(role: Role) -> bool {
    role.sees_biometrics()
}

/// A step asked for by an officer.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub action: String,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
    /// At hand-over: whether the old card was taken back.
    pub old_card_returned: Option<bool>,
}

fn no_vault() -> AppError {
    AppError::InvalidState("no vault is configured for biometrics: run `cancuoc init`".into())
}

fn out_of_step() -> AppError {
    AppError::Internal("the intakes and their applications are out of step".into())
}

/// The idempotency key as the register keeps it: prefixed by the intake unit's code, so
/// that keys are scoped to the unit that used them (issue 14 §5). A unit code has no `:`,
/// so two units' keys never meet; the import's own keys (`import:` and a hash of the row,
/// its unit included) are kept as they are.
pub(crate) fn scoped_idempotency_key(unit: &PoliceUnitCode, key: &str) -> String {
    format!("{unit}:{key}")
}

/// The application an object of the vault belongs to: `applications/{key}/…`.
fn application_of_object(object: &str) -> Option<Uuid> {
    let rest = object.strip_prefix("applications/")?;
    let (key, _) = rest.split_once('/')?;
    Uuid::parse_str(key).ok()
}

fn invalid(e: impl ToString) -> AppError {
    AppError::Invalid(e.to_string())
}

/// Roles that take applications at a station or a mobile session.
fn takes_intake(role: Role) -> bool {
    role.takes_intake()
}

/// Roles that read applications and cards.
fn reads_applications(role: Role) -> bool {
    takes_intake(role) || matches!(role, Role::MinistryOfficer | Role::ProductionOperator)
}

pub(crate) fn require(
    caller: &Caller,
    allowed: fn(Role) -> bool,
    what: &str,
) -> Result<(), AppError> {
    match caller.officer() {
        Some(o) if !allowed(o.role) => Err(AppError::Forbidden(format!(
            "role {} may not {what}",
            o.role.as_str()
        ))),
        _ => Ok(()),
    }
}

fn parse_pid(s: &str) -> Result<PersonalId, AppError> {
    PersonalId::parse(s.trim()).map_err(|e| AppError::Invalid(format!("personal_id: {e}")))
}

pub(crate) fn parse_day(s: &str, field: &str) -> Result<Date, AppError> {
    PartialDate::parse(s)
        .ok()
        .and_then(|d| d.as_date())
        .ok_or_else(|| AppError::Invalid(format!("{field}: {s:?} is not a date (YYYY-MM-DD)")))
}

impl App {
    /// The administrative units a police unit answers for, for the application's place.
    fn unit_place(&self, unit: &PoliceUnitCode) -> Result<UnitPlace, AppError> {
        let places = self.places();
        let code = match unit.jurisdiction() {
            cancuoc_domain::Jurisdiction::Within(code) => code,
            cancuoc_domain::Jurisdiction::Nation => {
                return Err(AppError::Invalid(format!(
                    "{unit} does not take applications: choose a province, district or commune unit"
                )));
            }
        };
        let parent = |c: &cancuoc_domain::AdminCode| places.get(c).and_then(|u| u.parent.clone());
        let unknown = || AppError::Invalid(format!("intake_unit: {unit} is not a loaded unit"));
        match code.level() {
            AdminLevel::Province => Ok(UnitPlace {
                province: code,
                district: None,
                commune: None,
            }),
            AdminLevel::District => Ok(UnitPlace {
                province: parent(&code).ok_or_else(unknown)?,
                district: Some(code),
                commune: None,
            }),
            AdminLevel::Commune => {
                let locality = places.locality(&code).ok_or_else(unknown)?;
                Ok(UnitPlace {
                    province: locality.province,
                    district: locality.district,
                    commune: Some(code),
                })
            }
        }
    }

    /// The area of the intake unit's district for its time limit (2014 law Art. 25), by
    /// the list of remote districts in force on the intake day.
    fn area_of(&self, place: &UnitPlace, remote: &[RemoteDistrict], intake: Date) -> Area {
        let places = self.places();
        let kind = place
            .district
            .as_ref()
            .and_then(|d| places.get(d))
            .map(|u| u.kind);
        let listed = place
            .district
            .as_ref()
            .is_some_and(|d| cancuoc_domain::remote::listed_on(remote, d.as_str(), intake));
        application::area_of_district(kind, listed)
    }

    /// Files one application; see [`App::file_applications`].
    pub async fn file_application(
        &self,
        caller: &Caller,
        intake: &Intake,
    ) -> Result<Filed, AppError> {
        let mut filed = self
            .file_applications(caller, std::slice::from_ref(intake))
            .await?;
        filed
            .pop()
            .ok_or_else(|| AppError::Internal("filing returned nothing".into()))
    }

    /// Checks each intake against the register and the rules (type, age, fee, due date)
    /// and files them all in one transaction, or none.
    ///
    /// Biometrics are sealed only for filings that can happen (issue 14 §5): every check
    /// the register can answer before the write (citizen known and in scope, type fitting
    /// the record and card) runs first, and an intake for a citizen with an open
    /// application (a replay of its idempotency key, or a second application the store
    /// refuses) seals nothing. An object sealed for a filing whose transaction fails, or
    /// that the store answers as a replay, is removed again.
    ///
    /// A station's idempotency key is kept scoped to the intake unit
    /// ([`scoped_idempotency_key`]): the same key sent by two units files twice, and one
    /// unit can never replay, and so read, another unit's filing.
    ///
    /// On a station's working copy, each new filing also becomes a packet in the outbox.
    pub async fn file_applications(
        &self,
        caller: &Caller,
        intakes: &[Intake],
    ) -> Result<Vec<Filed>, AppError> {
        match &self.station {
            Some(desk) => self.file_at_station(desk, caller, intakes).await,
            None => self.file_applications_here(caller, intakes).await,
        }
    }

    /// Files intakes in this application's store, and nowhere else.
    pub(crate) async fn file_applications_here(
        &self,
        caller: &Caller,
        intakes: &[Intake],
    ) -> Result<Vec<Filed>, AppError> {
        require(caller, takes_intake, "take applications")?;
        let access = caller.access(&*self.clock, "card application intake");
        let today = self.clock.today();
        let remote = self.remote_list().await?;
        let mut batch = intakes
            .iter()
            .map(|intake| {
                self.prepare(caller, intake, today, &remote).map(|mut new| {
                    new.idempotency_key = new
                        .idempotency_key
                        .map(|k| scoped_idempotency_key(&new.intake_unit, &k));
                    new
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sealed = self.seal_captures(&access, &mut batch, intakes).await?;
        let filed = match self.store.file_applications(&access, &batch).await {
            Ok(filed) => filed,
            Err(e) => {
                self.remove_objects_after(&e, sealed.iter().flatten()).await;
                return Err(e.into());
            }
        };
        // A replay answers with the first filing, which names its own object.
        let unused = filed
            .iter()
            .zip(&sealed)
            .filter(|(f, _)| f.replayed)
            .filter_map(|(_, object)| object.as_ref());
        self.remove_objects(unused).await;
        Ok(filed)
    }

    /// Seals the capture of every intake that will file, after the checks the register
    /// can answer now; returns, per intake, the object sealed for it. Nothing stays sealed
    /// when this fails.
    async fn seal_captures(
        &self,
        access: &Access,
        batch: &mut [NewApplication],
        intakes: &[Intake],
    ) -> Result<Vec<Option<String>>, AppError> {
        let mut sealed: Vec<Option<String>> = vec![None; batch.len()];
        let mut wanted = Vec::new();
        for (i, (new, intake)) in batch.iter().zip(intakes).enumerate() {
            if intake.capture.is_some() {
                wanted.push((i, new.personal_id, new.intake_date));
            }
        }
        if wanted.is_empty() {
            return Ok(sealed);
        }
        if self.vault.is_none() {
            return Err(no_vault());
        }
        let mut will_file = Vec::with_capacity(wanted.len());
        for (i, personal_id, intake_date) in wanted {
            let facts = self
                .store
                .filing_facts(access, &[personal_id], intake_date)
                .await?
                .pop()
                .flatten()
                // As the store answers an unknown or out-of-scope citizen.
                .ok_or_else(|| StoreError::NotFound("citizen".into()))?;
            if facts.open_application.is_some() {
                // The store replays the first filing or refuses this one: either way
                // nothing new is filed, so nothing is sealed.
                continue;
            }
            let kind = batch.get(i).map(|n| n.kind).ok_or_else(out_of_step)?;
            application::check_type(kind, &applicant_of(&facts), intake_date)
                .map_err(StoreError::from)?;
            will_file.push(i);
        }
        for i in will_file {
            let (new, intake) = batch
                .get_mut(i)
                .zip(intakes.get(i))
                .ok_or_else(out_of_step)?;
            let Some(capture) = &intake.capture else {
                continue;
            };
            let object = format!("applications/{}/biometrics.ccbd", new.key);
            match self.seal_capture(object.clone(), capture).await {
                Ok(stored) => {
                    new.biometrics = Some(stored);
                    if let Some(slot) = sealed.get_mut(i) {
                        *slot = Some(object);
                    }
                }
                Err(e) => {
                    self.remove_objects(sealed.iter().flatten()).await;
                    return Err(e);
                }
            }
        }
        Ok(sealed)
    }

    /// Removes objects sealed for filings that did not happen. A failure is logged, not
    /// returned: the caller's own error is the one to report, and `cancuoc vault gc`
    /// finds what is left.
    pub(crate) async fn remove_objects(&self, objects: impl Iterator<Item = &String>) {
        let Some(vault) = &self.vault else {
            return;
        };
        for object in objects {
            if let Err(e) = vault.remove(object).await {
                tracing::warn!(object = %object, error = %e, "an unused vault object was not removed");
            }
        }
    }

    /// After a store write failed: removes the objects sealed for it, unless the write's
    /// outcome is unknown. A connection lost during the commit may have lost only the
    /// answer, and a row that did commit would then name a removed object; what is left
    /// is an orphan that `cancuoc vault gc` removes once it is old.
    async fn remove_objects_after(
        &self,
        failure: &StoreError,
        objects: impl Iterator<Item = &String>,
    ) {
        if matches!(failure, StoreError::Unavailable(_)) {
            tracing::warn!("the store's answer was lost: sealed objects are left to vault gc");
            return;
        }
        self.remove_objects(objects).await;
    }

    /// Seals a capture in the vault under the application's key; returns what the
    /// register keeps about it.
    async fn seal_capture(&self, object: String, capture: &Capture) -> Result<String, AppError> {
        let vault = self.vault.as_ref().ok_or_else(no_vault)?;
        vault.seal(&object, &capture.to_bundle()).await?;
        let stored = StoredBiometrics {
            object,
            manifest: capture.manifest(),
        };
        serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Adds the portrait and fingerprints to an application filed without them (an
    /// offline station's import), while it is received or sent back for correction.
    pub async fn add_biometrics(
        &self,
        caller: &Caller,
        key: Uuid,
        capture: &Capture,
    ) -> Result<ApplicationRecord, AppError> {
        require(caller, takes_intake, "take biometrics")?;
        let access = caller.access(&*self.clock, "biometrics intake");
        // Seen first, so that nothing is sealed for an application outside the scope.
        self.store
            .application(&access, key)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("application {key}")))?;
        // A name of its own each time: a second upload (after a correction) never
        // overwrites what an earlier one sealed.
        let object = format!(
            "applications/{key}/biometrics-{}.ccbd",
            self.random.record_key()
        );
        let stored = self.seal_capture(object.clone(), capture).await?;
        match self.store.set_biometrics(&access, key, &stored).await {
            Ok(record) => Ok(record),
            Err(e) => {
                self.remove_objects_after(&e, std::iter::once(&object))
                    .await;
                Err(e.into())
            }
        }
    }

    /// Of `objects` (vault object keys, as `cancuoc vault gc` lists them), those the
    /// register refers to. Objects are named `applications/{key}/…` (biometrics, a card's
    /// chip files and package), so the register is asked once about each application
    /// named (a read, audited with the purpose "vault garbage collection"); `pki/…` are
    /// the chip PKI's private keys, which its certificates name; any other object is
    /// nobody's. Only the
    /// operator's command line asks: officers have no use for it.
    ///
    /// An application refers to the one capture it holds now, so an earlier capture
    /// replaced after a correction ([`App::add_biometrics`]) counts as unreferenced.
    pub async fn vault_references(
        &self,
        caller: &Caller,
        objects: &[String],
    ) -> Result<std::collections::BTreeSet<String>, AppError> {
        if caller.officer().is_some() {
            return Err(AppError::Forbidden(
                "vault garbage collection is run by an operator on the server".into(),
            ));
        }
        let access = caller.access(&*self.clock, "vault garbage collection");
        let applications: std::collections::BTreeSet<Uuid> = objects
            .iter()
            .filter_map(|o| application_of_object(o))
            .collect();
        let mut referenced = std::collections::BTreeSet::new();
        // The chip PKI's private keys are `pki/…` objects the certificates name.
        if objects.iter().any(|o| o.starts_with("pki/")) {
            referenced.extend(
                self.store
                    .pki_certificates()
                    .await?
                    .into_iter()
                    .map(|c| c.key_object),
            );
        }
        // The server's keys for stations (`stations/…`) and, on a station, its own keys
        // (`station/…`).
        if objects.iter().any(|o| o.starts_with("stations/")) {
            for purpose in [StationKeyPurpose::Extract, StationKeyPurpose::Packet] {
                if let Some(key) = self.store.station_server_key(purpose).await? {
                    referenced.insert(key.key_object);
                }
            }
        }
        if objects.iter().any(|o| o.starts_with("station/"))
            && let Some(identity) = self.store.station_identity().await?
        {
            referenced.extend([identity.signing_object, identity.agreement_object]);
            referenced.extend(identity.extract_object);
            // Every packet in the outbox, as sent and the station's own copy: a waiting one
            // is an application not yet on the server.
            for packet in self.store.outbox().await? {
                referenced.extend([packet.sealed_object, packet.plain_object]);
            }
        }
        for key in applications {
            let Some(application) = self.store.application(&access, key).await? else {
                continue;
            };
            referenced.extend(self.chip_objects(&access, key).await?);
            let Some(json) = &application.biometrics else {
                continue;
            };
            // A reference that does not read is an error, never "no reference": the
            // object it names would be removed.
            let stored: StoredBiometrics = serde_json::from_str(json).map_err(|e| {
                AppError::Internal(format!("stored biometrics of application {key}: {e}"))
            })?;
            referenced.insert(stored.object);
        }
        Ok(referenced)
    }

    /// What an application's biometrics hold (which images, which fingers are missing
    /// and why), from the register's own record: nothing is opened from the vault.
    pub fn biometric_manifest(application: &ApplicationRecord) -> Option<Manifest> {
        let json = application.biometrics.as_deref()?;
        serde_json::from_str::<StoredBiometrics>(json)
            .ok()
            .map(|stored| stored.manifest)
    }

    /// Working days from today to `due` (negative once it is past), by the calendar of
    /// public holidays the due dates are computed with.
    pub fn working_days_left(&self, due: jiff::civil::Date) -> Result<i32, AppError> {
        let calendar = WorkingCalendar::vietnam().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(calendar.working_days_between(self.clock.today(), due))
    }

    /// The application's capture, opened from the vault; `None` when it has none.
    pub(crate) async fn capture_of(
        &self,
        application: &ApplicationRecord,
    ) -> Result<Option<Capture>, AppError> {
        let Some(json) = &application.biometrics else {
            return Ok(None);
        };
        let stored: StoredBiometrics = serde_json::from_str(json)
            .map_err(|e| AppError::Internal(format!("stored biometrics: {e}")))?;
        let vault = self.vault.as_ref().ok_or_else(|| {
            AppError::InvalidState("no vault is configured for biometrics".into())
        })?;
        let bundle = vault.open(&stored.object).await?;
        Capture::from_bundle(&bundle)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("sealed biometrics do not read back: {e}")))
    }

    /// One image of an application's biometrics (`portrait`, `r_thumb` … `l_little`,
    /// `right_four`, `left_four`, `thumbs`), for the roles that verify and produce; the
    /// read is audited.
    pub async fn biometric_image(
        &self,
        caller: &Caller,
        key: Uuid,
        role: &str,
    ) -> Result<(&'static str, Vec<u8>), AppError> {
        require(caller, reads_biometrics, "see biometrics")?;
        let wanted = ImageRole::from_id(role).ok_or_else(|| {
            AppError::Invalid(format!(
                "{role:?} is not portrait, a finger (r_thumb … l_little) or a flat"
            ))
        })?;
        let access = caller.access(&*self.clock, "biometrics check");
        let application = self
            .store
            .application(&access, key)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("application {key}")))?;
        let capture = self
            .capture_of(&application)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("biometrics of application {key}")))?;
        let image = capture
            .images()
            .find(|i| i.role() == wanted)
            .ok_or_else(|| AppError::NotFound(format!("{role} of application {key}")))?;
        self.store
            .append_audit(
                &access,
                "biometrics.read",
                "application",
                &key.to_string(),
                cancuoc_domain::audit::Outcome::Done,
            )
            .await?;
        Ok((image.format().media_type(), image.bytes().to_vec()))
    }

    /// Everything about one intake that can be decided before the write: the fields,
    /// the unit, the fee and the due date. The store checks the type against the
    /// citizen inside the write's transaction.
    pub(crate) fn prepare(
        &self,
        caller: &Caller,
        intake: &Intake,
        today: Date,
        remote: &[RemoteDistrict],
    ) -> Result<NewApplication, AppError> {
        use cancuoc_domain::text::limits;
        limits::STATION.check_opt(intake.station.as_deref())?;
        limits::IDENTIFYING_MARKS.check_opt(intake.identifying_marks.as_deref())?;
        limits::REASON.check_opt(intake.reason.as_deref())?;
        limits::IDEMPOTENCY_KEY.check_opt(intake.idempotency_key.as_deref())?;
        let pid = parse_pid(&intake.personal_id)?;
        let kind = ApplicationType::parse(&intake.kind, intake.reason.as_deref()).map_err(|e| {
            let column = match e {
                ApplicationTypeError::UnknownType(_) => "type",
                _ => "reason",
            };
            AppError::Invalid(format!("{column}: {e}"))
        })?;
        let channel = Channel::parse(&intake.channel).ok_or_else(|| {
            AppError::Invalid(format!(
                "channel: {:?} is neither fixed nor mobile",
                intake.channel
            ))
        })?;
        let exemption = intake
            .exemption
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(|e| {
                FeeExemption::parse(e).ok_or_else(|| {
                    AppError::Invalid(format!("exemption: {e:?} is not an exemption"))
                })
            })
            .transpose()?;
        let intake_date = match intake
            .intake_date
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        {
            Some(d) => parse_day(d, "intake_date")?,
            None => today,
        };
        if intake_date > today {
            return Err(AppError::Invalid(format!(
                "intake_date: {intake_date} is in the future"
            )));
        }
        let unit = match (&intake.intake_unit, caller.officer()) {
            (Some(u), officer) => {
                let unit = PoliceUnitCode::parse(u.trim())
                    .map_err(|e| AppError::Invalid(format!("intake_unit: {e}")))?;
                if let Some(o) = officer
                    && o.unit != unit
                {
                    return Err(AppError::Forbidden(format!(
                        "an officer of {} takes applications for {} only",
                        o.unit, o.unit
                    )));
                }
                unit
            }
            (None, Some(o)) => o.unit.clone(),
            (None, None) => return Err(AppError::Invalid("intake_unit: missing".into())),
        };
        let place = self.unit_place(&unit)?;
        let fees = FEES
            .as_ref()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let fee = fees.fee(kind, intake_date, exemption).map_err(invalid)?;
        let area = self.area_of(&place, remote, intake_date);
        let working_days = application::due_working_days(kind, area, intake_date);
        let calendar = WorkingCalendar::vietnam().map_err(|e| AppError::Internal(e.to_string()))?;
        let due = calendar
            .due_date(intake_date, working_days)
            .map_err(invalid)?;
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(NewApplication {
            key: self.random.record_key(),
            personal_id: pid,
            kind,
            channel,
            intake_unit: unit,
            place,
            station: text(&intake.station),
            intake_date,
            due_date: due.date,
            fee_vnd: fee.amount_vnd,
            fee_basis: fee.basis,
            exemption,
            identifying_marks: text(&intake.identifying_marks),
            old_card_returned: intake.old_card_returned,
            idempotency_key: text(&intake.idempotency_key),
            biometrics: None,
            receipt: intake.receipt.clone(),
        })
    }

    /// Whether an application fits the citizen as the register holds them now; the
    /// import checks each row with it so that a misfit rejects the row, not the file.
    pub(crate) async fn fit(
        &self,
        access: &Access,
        new: &NewApplication,
    ) -> Result<Option<Uuid>, AppError> {
        let facts = self
            .store
            .intake_facts(access, &[new.personal_id], new.intake_date)
            .await?
            .pop()
            .flatten()
            .ok_or_else(|| AppError::NotFound(format!("citizen {}", new.personal_id)))?;
        application::check_type(new.kind, &applicant_of(&facts), new.intake_date)
            .map_err(|m| AppError::TypeNotAllowed(m.to_string()))?;
        Ok(facts.open_application)
    }

    pub async fn application(
        &self,
        caller: &Caller,
        key: Uuid,
    ) -> Result<ApplicationRecord, AppError> {
        require(caller, reads_applications, "read applications")?;
        self.store
            .application(&caller.access(&*self.clock, "application look-up"), key)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("application {key}")))
    }

    /// Takes one step of the state machine for an officer.
    pub async fn transition(
        &self,
        caller: &Caller,
        key: Uuid,
        request: &StepRequest,
    ) -> Result<ApplicationRecord, AppError> {
        self.take_step(caller, key, request, None).await
    }

    async fn take_step(
        &self,
        caller: &Caller,
        key: Uuid,
        request: &StepRequest,
        batch: Option<Uuid>,
    ) -> Result<ApplicationRecord, AppError> {
        cancuoc_domain::text::limits::REASON.check_opt(request.reason.as_deref())?;
        let officer = caller.officer().ok_or_else(|| {
            AppError::Forbidden("a step on an application needs an officer".into())
        })?;
        let action = Action::parse(request.action.trim()).ok_or_else(|| {
            let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
            AppError::Invalid(format!(
                "action: {:?} is not one of {}",
                request.action,
                all.join(", ")
            ))
        })?;
        let reason = request
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if request.old_card_returned.is_some() && action != Action::HandOver {
            return Err(AppError::Invalid(
                "old_card_returned: said at hand-over only".into(),
            ));
        }
        // What needs no state is checked before any work, for a clear answer.
        action
            .check_actor(officer.role, reason.as_deref())
            .map_err(AppError::Transition)?;
        let access = caller.access(&*self.clock, "application step");
        let card = if action == Action::Produce {
            Some(self.card_data(&access, key).await?)
        } else {
            None
        };
        let chip_objects: Vec<String> = card
            .iter()
            .filter_map(|c| c.chip.as_ref())
            .flat_map(|c| [c.files_object.clone(), c.package_object.clone()])
            .collect();
        let step = Step {
            action,
            role: officer.role,
            reason,
            expected_version: request.expected_version,
            card,
            batch,
            old_card_returned: request.old_card_returned,
        };
        match self.store.transition_application(&access, key, &step).await {
            Ok(record) => Ok(record),
            Err(e) => {
                // The chip personalised for a card that was not produced is nobody's.
                self.remove_objects_after(&e, chip_objects.iter()).await;
                Err(e.into())
            }
        }
    }

    /// The same step on many applications, each in its own transaction; one result each.
    pub async fn transition_many(
        &self,
        caller: &Caller,
        keys: &[Uuid],
        request: &StepRequest,
    ) -> Vec<(Uuid, Result<ApplicationRecord, AppError>)> {
        let mut out = Vec::with_capacity(keys.len());
        let mut stopped = false;
        for &key in keys {
            // After a failure of the system, the rest are not tried (each would wait for
            // the same database): they are answered as not taken, to be sent again.
            let outcome = if stopped {
                Err(AppError::Unavailable(
                    "not tried after a failure of the system".into(),
                ))
            } else {
                self.transition(caller, key, request).await
            };
            stopped |= outcome.as_ref().is_err_and(AppError::is_system_failure);
            out.push((key, outcome));
        }
        out
    }

    /// An application and its citizen, both read within the caller's scope (audited).
    pub(crate) async fn application_and_citizen(
        &self,
        access: &Access,
        key: Uuid,
    ) -> Result<(ApplicationRecord, CitizenRecord), AppError> {
        let application = self
            .store
            .application(access, key)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("application {key}")))?;
        let citizen = self
            .store
            .citizen(access, &application.personal_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("citizen {}", application.personal_id)))?;
        Ok((application, citizen))
    }

    /// The card's data for an application in production: number, dates, MRZ and QR.
    async fn card_data(&self, access: &Access, key: Uuid) -> Result<NewCard, AppError> {
        let (application, citizen) = self.application_and_citizen(access, key).await?;
        let data = &citizen.data;
        let issue_date = self.clock.today();
        let expiry_date = card::expiry(data.birth_date, issue_date)
            .map_err(|e| AppError::TypeNotAllowed(e.to_string()))?;
        let mrz = card::mrz(
            &data.personal_id,
            &data.full_name,
            data.birth_date,
            data.sex,
            expiry_date,
        )
        .map_err(|e| AppError::Invalid(format!("the card's MRZ cannot be written: {e}")))?;
        let qr = QrPayload {
            personal_id: data.personal_id,
            old_id: data.old_id_number.clone(),
            full_name: Some(data.full_name.clone()),
            birth_date: Some(data.birth_date),
            sex: Some(data.sex),
            permanent_residence: data
                .permanent_residence
                .as_ref()
                .map(|r| self.address_line(r)),
            issue_date: Some(issue_date),
        };
        let qr_payload = qr
            .encode()
            .map_err(|e| AppError::Invalid(format!("the card's QR code cannot be written: {e}")))?;
        let mut card = NewCard {
            issue_date,
            expiry_date,
            mrz,
            qr_payload,
            chip: None,
        };
        card.chip = Some(
            self.personalise_chip(access, &application, &citizen, &card)
                .await?,
        );
        Ok(card)
    }

    /// "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh": the address line, then the commune, the
    /// district and the province as the card prints them.
    pub fn address_line(&self, residence: &cancuoc_domain::citizen::Residence) -> String {
        let places = self.places();
        let mut parts = vec![residence.address.trim().to_owned()];
        let mut code = Some(residence.commune.clone());
        while let Some(c) = code {
            match places.get(&c) {
                Some(unit) => {
                    parts.push(unit.name.clone());
                    code = unit.parent.clone();
                }
                None => code = None,
            }
        }
        parts.retain(|p| !p.is_empty());
        parts.join(", ")
    }

    pub async fn applications(
        &self,
        caller: &Caller,
        query: &ApplicationQuery,
    ) -> Result<Page<ApplicationSummary>, AppError> {
        require(caller, reads_applications, "read applications")?;
        self.store
            .applications(&caller.access(&*self.clock, "application list"), query)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => AppError::Invalid(m),
                other => other.into(),
            })
    }

    /// How many applications a list has in all; the count names nobody, so it is not
    /// an access to anyone's record.
    pub async fn count_applications(
        &self,
        caller: &Caller,
        query: &ApplicationQuery,
    ) -> Result<u64, AppError> {
        require(caller, reads_applications, "read applications")?;
        Ok(self
            .store
            .count_applications(&caller.access(&*self.clock, "application count"), query)
            .await?)
    }

    /// Open applications of a unit past their due date today.
    pub async fn overdue(
        &self,
        caller: &Caller,
        unit: Option<PoliceUnitCode>,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page<ApplicationSummary>, AppError> {
        let query = ApplicationQuery {
            intake_unit: unit,
            overdue_on: Some(self.clock.today()),
            cursor,
            limit,
            ..ApplicationQuery::default()
        };
        self.applications(caller, &query).await
    }

    /// Every card of the citizen the caller can see, the latest made first.
    pub async fn card_history(
        &self,
        caller: &Caller,
        personal_id: &str,
    ) -> Result<Vec<CardRecord>, AppError> {
        require(caller, reads_applications, "read cards")?;
        let pid = parse_pid(personal_id)?;
        Ok(self
            .store
            .cards(&caller.access(&*self.clock, "card history"), &pid)
            .await?)
    }

    pub async fn card(&self, caller: &Caller, personal_id: &str) -> Result<CardRecord, AppError> {
        require(caller, reads_applications, "read cards")?;
        let pid = parse_pid(personal_id)?;
        self.store
            .card(&caller.access(&*self.clock, "card look-up"), &pid)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("card of {pid}")))
    }

    /// A citizen reports their card lost; a re-issue can follow.
    pub async fn report_card_lost(
        &self,
        caller: &Caller,
        personal_id: &str,
    ) -> Result<CardRecord, AppError> {
        require(caller, takes_intake, "report cards lost")?;
        let pid = parse_pid(personal_id)?;
        Ok(self
            .store
            .report_card_lost(&caller.access(&*self.clock, "lost card report"), &pid)
            .await?)
    }
}

/// Which face of the card to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSide {
    Front,
    Back,
}

impl App {
    /// The card's face as SVG, for an officer to print and check (DESIGN §4). The
    /// portrait is drawn when the application's biometrics hold one.
    pub async fn card_proof(
        &self,
        caller: &Caller,
        personal_id: &str,
        side: CardSide,
        size: cancuoc_documents::Size,
    ) -> Result<String, AppError> {
        let card = self.card(caller, personal_id).await?;
        let access = caller.access(&*self.clock, "card proof");
        let (application, citizen) = self
            .application_and_citizen(&access, card.application)
            .await?;
        let data = &citizen.data;
        let names = self.printed_names(data);
        let face = cancuoc_documents::CardFace {
            personal_id: card.personal_id.as_string(),
            full_name: data.full_name.clone(),
            birth_date: data.birth_date,
            sex: data.sex,
            nationality: names.nationality,
            hometown: names.hometown,
            residence: names.permanent_residence,
            issue_date: card.issue_date,
            expiry_date: card.expiry_date,
            identifying_marks: application.identifying_marks.clone().unwrap_or_default(),
            mrz: card.mrz,
            qr_payload: card.qr_payload,
            portrait: self.capture_of(&application).await?.map(|capture| {
                cancuoc_documents::Portrait {
                    media_type: capture.portrait().format().media_type(),
                    bytes: capture.portrait().bytes().to_vec(),
                }
            }),
        };
        self.render(move || match side {
            CardSide::Front => cancuoc_documents::front_svg(&face, size)
                .map_err(|e| AppError::Internal(e.to_string())),
            CardSide::Back => Ok(cancuoc_documents::back_svg(&face, size)),
        })
        .await?
    }
}

/// What a batch operation did.
#[derive(Debug)]
pub struct BatchOutcome {
    pub batch: Batch,
    /// Applications the step was taken on.
    pub done: Vec<Uuid>,
    /// Applications the step was refused for, with the reason.
    pub refused: Vec<(Uuid, AppError)>,
}

/// How many applications of a batch stand in each state.
#[derive(Debug)]
pub struct BatchStatus {
    pub batch: Batch,
    pub states: Vec<(ApplicationState, u64)>,
}

/// Most applications one batch takes in one call; a province's day in 2021 peaked
/// around 20,000, so larger ones are started in several calls.
const BATCH_PAGE: u32 = 500;

impl App {
    /// Every application matching `query`, page by page.
    pub(crate) async fn all_applications(
        &self,
        caller: &Caller,
        mut query: ApplicationQuery,
        cap: usize,
    ) -> Result<Vec<ApplicationSummary>, AppError> {
        let mut out = Vec::new();
        query.limit = BATCH_PAGE;
        loop {
            let page = self.applications(caller, &query).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) if out.len() < cap => query.cursor = Some(c),
                _ => break,
            }
        }
        out.truncate(cap);
        Ok(out)
    }

    /// Opens today's batch of a province (or reuses it) and puts up to `limit` of the
    /// province's approved applications into production in it.
    pub async fn start_batch(
        &self,
        caller: &Caller,
        province: &str,
        limit: usize,
    ) -> Result<BatchOutcome, AppError> {
        let officer_role = caller.officer().map(|o| o.role);
        if officer_role.is_some_and(|r| !Action::StartProduction.roles().contains(&r)) {
            return Err(AppError::Forbidden(
                "only the production centre runs batches".into(),
            ));
        }
        let province = cancuoc_domain::AdminCode::parse(province.trim())
            .ok()
            .filter(|c| c.level() == AdminLevel::Province && self.places().get(c).is_some())
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "province: {province:?} is not a loaded province code"
                ))
            })?;
        let access = caller.access(&*self.clock, "production batch");
        let batch = self
            .store
            .batch_for(
                &access,
                self.random.record_key(),
                &province,
                self.clock.today(),
            )
            .await?;
        let approved = self
            .all_applications(
                caller,
                ApplicationQuery {
                    province: Some(province),
                    state: Some(ApplicationState::Approved),
                    ..ApplicationQuery::default()
                },
                limit,
            )
            .await?;
        self.step_all(caller, batch, approved, Action::StartProduction)
            .await
    }

    /// Takes `action` (produce or dispatch) on every application of the batch that waits for it.
    pub async fn advance_batch(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> Result<BatchOutcome, AppError> {
        let from = match action {
            Action::Produce => ApplicationState::InProduction,
            Action::Dispatch => ApplicationState::Produced,
            other => {
                return Err(AppError::Invalid(format!(
                    "a batch is produced or dispatched, not {other}"
                )));
            }
        };
        let batch = self.batch(caller, id).await?.batch;
        let waiting = self
            .all_applications(
                caller,
                ApplicationQuery {
                    batch: Some(id),
                    state: Some(from),
                    ..ApplicationQuery::default()
                },
                usize::MAX,
            )
            .await?;
        self.step_all(caller, batch, waiting, action).await
    }

    async fn step_all(
        &self,
        caller: &Caller,
        batch: Batch,
        applications: Vec<ApplicationSummary>,
        action: Action,
    ) -> Result<BatchOutcome, AppError> {
        let request = StepRequest {
            action: action.as_str().to_owned(),
            reason: None,
            expected_version: None,
            old_card_returned: None,
        };
        let mut outcome = BatchOutcome {
            batch,
            done: Vec::new(),
            refused: Vec::new(),
        };
        for a in applications {
            match self
                .take_step(caller, a.key, &request, Some(outcome.batch.id))
                .await
            {
                Ok(_) => outcome.done.push(a.key),
                Err(e) if e.is_system_failure() || matches!(e, AppError::Forbidden(_)) => {
                    return Err(e);
                }
                Err(e) => outcome.refused.push((a.key, e)),
            }
        }
        Ok(outcome)
    }

    /// A batch and how many of its applications stand in each state.
    pub async fn batch(&self, caller: &Caller, id: Uuid) -> Result<BatchStatus, AppError> {
        require(caller, reads_applications, "read batches")?;
        let access = caller.access(&*self.clock, "production batch");
        let batch = self
            .store
            .batch(&access, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("batch {id}")))?;
        let members = self
            .all_applications(
                caller,
                ApplicationQuery {
                    batch: Some(id),
                    ..ApplicationQuery::default()
                },
                usize::MAX,
            )
            .await?;
        let states = ApplicationState::ALL
            .into_iter()
            .map(|s| {
                let n = members.iter().filter(|m| m.state == s).count();
                (s, u64::try_from(n).unwrap_or(u64::MAX))
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        Ok(BatchStatus { batch, states })
    }
}

/// A citizen's coded fields in words, as printed: [`App::printed_names`].
pub(crate) struct PrintedNames {
    pub nationality: String,
    pub ethnicity: String,
    pub religion: String,
    pub hometown: String,
    pub permanent_residence: String,
}

/// Which paper of intake (Circular 60/2021/TT-BCA Art. 5(1)(đ), (h)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeDocument {
    /// Phiếu thu nhận: signed by the citizen and the officer.
    IntakeForm,
    /// Giấy hẹn trả thẻ: the citizen keeps it and brings it back.
    AppointmentSlip,
}

impl App {
    /// The intake form or the appointment slip of an application, as PDF.
    pub async fn intake_document(
        &self,
        caller: &Caller,
        key: Uuid,
        which: IntakeDocument,
    ) -> Result<Vec<u8>, AppError> {
        require(caller, reads_applications, "print intake papers")?;
        let access = caller.access(&*self.clock, "intake papers");
        let (application, citizen) = self.application_and_citizen(&access, key).await?;
        let data = &citizen.data;
        let unit = self
            .store
            .police_unit(&application.intake_unit)
            .await?
            .map_or_else(|| application.intake_unit.as_string(), |u| u.name);
        let reason = application.kind.reason_vi().map(str::to_owned);
        let officer = self
            .store
            .officers(&access)
            .await
            .or_else(|e| match e {
                StoreError::Unavailable(_) | StoreError::Backend(_) => Err(e),
                // An officer list the caller may not read: the slip names the username.
                _ => Ok(Vec::new()),
            })?
            .into_iter()
            .find(|o| o.username == application.officer)
            .map_or_else(|| application.officer.clone(), |o| o.full_name);
        let (portrait, fingers) = if which == IntakeDocument::IntakeForm {
            self.slip_biometrics(caller, &access, &application).await?
        } else {
            (None, Vec::new())
        };
        let names = self.printed_names(data);
        let slip = cancuoc_documents::IntakeSlip {
            receipt: application.receipt.to_string(),
            full_name: data.full_name.clone(),
            personal_id: data.personal_id.as_string(),
            old_id: data.old_id_number.as_ref().map(|o| o.as_str().to_owned()),
            birth_date: data.birth_date.vietnamese(),
            sex: data.sex.vietnamese().to_owned(),
            hometown: names.hometown,
            permanent_residence: names.permanent_residence,
            application_type: application.kind.vietnamese().to_owned(),
            reason,
            identifying_marks: application.identifying_marks.clone(),
            intake_unit: unit.clone(),
            station: application.station.clone(),
            channel: match application.channel {
                Channel::Fixed => "Tại trụ sở",
                Channel::Mobile => "Lưu động",
            }
            .to_owned(),
            officer,
            intake_date: application.intake_date,
            due_date: application.due_date,
            fee_vnd: application.fee_vnd,
            fee_basis: application.fee_basis.clone(),
            old_card_returned: application.old_card_returned,
            pickup_place: format!("Bộ phận tiếp nhận và trả kết quả, {unit}"),
            ethnicity: names.ethnicity,
            father: data.father.as_ref().map(|r| r.full_name.clone()),
            mother: data.mother.as_ref().map(|r| r.full_name.clone()),
            portrait,
            fingers,
        };
        let pdf = self
            .render(move || match which {
                IntakeDocument::IntakeForm => cancuoc_documents::intake_form_pdf(&slip),
                IntakeDocument::AppointmentSlip => cancuoc_documents::appointment_slip_pdf(&slip),
            })
            .await?;
        pdf.map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The intake form's portrait and ten fingers. A role that may see biometrics gets the
    /// images (the read audited as any other); the commune's form says which fingers were
    /// printed and why the others were not, without the images it may not see.
    async fn slip_biometrics(
        &self,
        caller: &Caller,
        access: &Access,
        application: &ApplicationRecord,
    ) -> Result<
        (
            Option<cancuoc_documents::SlipImage>,
            Vec<(String, cancuoc_documents::FingerOnSlip)>,
        ),
        AppError,
    > {
        use cancuoc_documents::{FingerOnSlip, SlipImage, SlipImageFormat};
        use cancuoc_domain::biometrics::{FingerCapture, FingerPosition, ImageFormat};
        let Some(manifest) = Self::biometric_manifest(application) else {
            return Ok((None, Vec::new()));
        };
        let sees = caller.officer().is_none_or(|o| reads_biometrics(o.role));
        let capture = if sees {
            let capture = self.capture_of(application).await?;
            self.store
                .append_audit(
                    access,
                    "biometrics.read",
                    "application",
                    &application.key.to_string(),
                    cancuoc_domain::audit::Outcome::Done,
                )
                .await?;
            capture
        } else {
            None
        };
        let slip_image = |image: &cancuoc_domain::biometrics::Image| SlipImage {
            bytes: std::sync::Arc::new(image.bytes().to_vec()),
            format: match image.format() {
                ImageFormat::Jpeg => SlipImageFormat::Jpeg,
                ImageFormat::Png => SlipImageFormat::Png,
                ImageFormat::Wsq => SlipImageFormat::Wsq,
            },
            width: image.width(),
            height: image.height(),
        };
        let portrait = capture.as_ref().map(|c| slip_image(c.portrait()));
        let fingers = FingerPosition::ALL
            .into_iter()
            .map(|finger| {
                let missing = manifest
                    .missing_fingers
                    .iter()
                    .find(|m| m.finger == finger)
                    .map(|m| m.reason.label_vi().to_owned());
                let on_slip = match (missing, capture.as_ref().map(|c| c.finger(finger))) {
                    (Some(reason), _) => FingerOnSlip::Missing(reason),
                    (None, Some(FingerCapture::Rolled(image))) => {
                        FingerOnSlip::Print(slip_image(image))
                    }
                    // Taken, but not for this reader's eyes.
                    (None, _) => FingerOnSlip::Missing("Đã thu nhận".to_owned()),
                };
                // "ngón cái phải" heads its box: "Ngón cái phải".
                let label = finger.label_vi();
                let mut chars = label.chars();
                let name = chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                });
                (name, on_slip)
            })
            .collect();
        Ok((portrait, fingers))
    }

    /// The citizen's coded fields as the card, the intake form and the chip print them.
    pub(crate) fn printed_names(&self, data: &cancuoc_domain::CitizenData) -> PrintedNames {
        use cancuoc_domain::reference;
        PrintedNames {
            nationality: reference::nationality(&data.nationality)
                .map_or_else(|| data.nationality.clone(), |n| n.name.to_owned()),
            ethnicity: data
                .ethnicity
                .as_deref()
                .map(|e| {
                    reference::ethnicity(e).map_or_else(|| e.to_owned(), |k| k.name.to_owned())
                })
                .unwrap_or_default(),
            religion: data
                .religion
                .as_deref()
                .map(|r| reference::religion(r).map_or_else(|| r.to_owned(), |k| k.name.to_owned()))
                .unwrap_or_default(),
            hometown: data
                .hometown
                .as_ref()
                .map(|c| self.place_names(c))
                .unwrap_or_default(),
            permanent_residence: data
                .permanent_residence
                .as_ref()
                .map(|r| self.address_line(r))
                .unwrap_or_default(),
        }
    }

    /// "Thạch Đài, Thạch Hà, Hà Tĩnh": a unit and those above it.
    pub(crate) fn place_names(&self, code: &cancuoc_domain::AdminCode) -> String {
        let places = self.places();
        let mut names = Vec::new();
        let mut next = Some(code.clone());
        while let Some(c) = next {
            let unit = places.get(&c);
            names.extend(unit.map(|u| u.name.clone()));
            next = unit.and_then(|u| u.parent.clone());
        }
        names.join(", ")
    }
}

/// The applicant as the type check sees them. An open application is left to the caller
/// (it may be this very filing, replayed), so it is never counted here.
fn applicant_of(facts: &cancuoc_store::IntakeFacts) -> Applicant {
    let citizen = &facts.citizen;
    Applicant {
        official: citizen.status == RecordStatus::Official,
        deceased: citizen.data.died_on.is_some(),
        birth: citizen.data.birth_date,
        holds_cmnd: citizen.data.old_id_number.is_some(),
        card: facts.card,
        open_application: false,
    }
}
