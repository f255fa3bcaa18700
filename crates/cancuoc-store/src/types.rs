//! Records exchanged with a store, and the rules every backend applies the same way.

use cancuoc_domain::audit::{AuditDraft, Outcome};
use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::{
    AdminCode, Jurisdiction, Locality, Officer, PartialDate, PersonalId, RecordStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is asking, for what, and when: every audited store call takes one.
#[derive(Debug, Clone)]
pub struct Access {
    pub actor: String,
    pub unit: String,
    /// What the caller may see; queries are filtered by it.
    pub scope: Jurisdiction,
    /// Why (the use case); goes into the audit event.
    pub purpose: String,
    pub now_micros: i64,
}

impl Access {
    /// The audit draft of an action on a record.
    pub fn draft(
        &self,
        action: &str,
        record_kind: &str,
        record_key: &str,
        outcome: Outcome,
    ) -> AuditDraft {
        AuditDraft {
            actor: self.actor.clone(),
            unit: self.unit.clone(),
            action: action.to_owned(),
            record_kind: record_kind.to_owned(),
            record_key: record_key.to_owned(),
            purpose: self.purpose.clone(),
            outcome,
        }
    }

    /// The scope as the three columns records carry (province, district, commune):
    /// `None` for the whole nation.
    pub fn scope_filter(&self) -> Option<ScopeFilter> {
        match &self.scope {
            Jurisdiction::Nation => None,
            Jurisdiction::Within(code) => Some(ScopeFilter::for_code(code)),
        }
    }
}

/// Which locality column a jurisdiction filters on, and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeFilter {
    /// `home_province`, `home_district` or `home_commune`.
    pub column: &'static str,
    pub code: String,
}

impl ScopeFilter {
    pub fn for_code(code: &AdminCode) -> Self {
        let column = match code.level() {
            cancuoc_domain::AdminLevel::Province => "home_province",
            cancuoc_domain::AdminLevel::District => "home_district",
            cancuoc_domain::AdminLevel::Commune => "home_commune",
        };
        Self {
            column,
            code: code.as_str().to_owned(),
        }
    }
}

/// Action names of the audit trail, one place for all backends.
pub mod actions {
    pub const CITIZEN_READ: &str = "citizen.read";
    pub const CITIZEN_SEARCH: &str = "citizen.search";
    pub const CITIZEN_HISTORY: &str = "citizen.history";
    pub const CITIZEN_LOAD: &str = "citizen.bulk_load";
    pub const HOUSEHOLD_READ: &str = "household.read";
    pub const ID_ALLOCATE: &str = "personal_id.allocate";
    pub const FORMS_IMPORT: &str = "forms.import";
    pub const FORMS_IMPORT_DRY_RUN: &str = "forms.import.dry_run";
    pub const FORM_LIST: &str = "form.list";
    pub const FORM_READ: &str = "form.read";
    pub const FORM_DECIDE: &str = "form.decide";
    pub const OFFICER_CREATE: &str = "officer.create";
    pub const OFFICER_LIST: &str = "officer.list";
    pub const OFFICER_ACTIVE: &str = "officer.set_active";
    pub const OFFICER_PASSWORD: &str = "officer.set_password";
    pub const APPLICATION_CREATE: &str = "application.create";
    pub const APPLICATION_READ: &str = "application.read";
    pub const APPLICATION_LIST: &str = "application.list";
    pub const APPLICATION_TRANSITION: &str = "application.transition";
    pub const APPLICATION_NOTE: &str = "application.verifier_note";
    pub const CARD_READ: &str = "card.read";
    pub const CARD_PRODUCE: &str = "card.produce";
    pub const CARD_ACTIVATE: &str = "card.activate";
    pub const CARD_LOST: &str = "card.report_lost";
    pub const CARD_CHIP_READ: &str = "card.chip.read";
    pub const PKI_CERTIFICATE_ADD: &str = "pki.certificate.add";
    pub const PKI_DS_REVOKE: &str = "pki.document_signer.revoke";
    pub const PKI_CRL_ISSUE: &str = "pki.crl.issue";
    pub const PKI_LINE_KEY_ADD: &str = "pki.line_key.add";
    pub const STATION_REQUEST: &str = "station.request";
    pub const STATION_EXTRACT: &str = "station.extract";
    pub const STATION_APPROVE: &str = "station.approve";
    pub const STATION_REVOKE: &str = "station.revoke";
    pub const STATION_SERVER_KEY_ADD: &str = "station.server_key.add";
    pub const STATION_PACKET_MAKE: &str = "station.packet.make";
    pub const STATION_PACKET_RESOLVE: &str = "station.packet.resolve";
    pub const STATION_PACKET_DISCARD: &str = "station.packet.discard";
    pub const BATCH_OPEN: &str = "batch.open";
    pub const BIOMETRICS_ADD: &str = "biometrics.add";
    pub const CAMPAIGN_CREATE: &str = "campaign.create";
    pub const QUOTA_SET: &str = "quota.set";
    pub const ELIGIBLE_COUNT: &str = "eligible.count";
    pub const AUDIT_ARCHIVE: &str = "audit.archive";
    pub const SITE_CREATE: &str = "site.create";
    pub const MACHINE_ADD: &str = "machine.add";
    pub const REMOTE_DISTRICT_ADD: &str = "remote_district.add";
    pub const REMOTE_DISTRICT_END: &str = "remote_district.end";
    pub const SESSION_CREATE: &str = "enrollment_session.create";
    pub const SESSION_CLOSE: &str = "enrollment_session.close";
    pub const INVITEES_READ: &str = "invitees.read";
    pub const APPOINTMENT_MAKE: &str = "appointment.make";
    pub const APPOINTMENT_LIST: &str = "appointment.list";
    pub const APPOINTMENT_READ: &str = "appointment.read";
    pub const APPOINTMENT_STEP: &str = "appointment.step";
    pub const APPOINTMENT_NO_SHOW: &str = "appointment.no_show";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReferenceSummary {
    pub admin_units: u64,
    pub police_units: u64,
    /// False when the same hierarchy was already loaded and nothing changed.
    pub changed: bool,
}

#[derive(Debug, Clone)]
pub struct NewOfficer {
    pub officer: Officer,
    pub password_hash: String,
    pub must_change_password: bool,
}

#[derive(Debug, Clone)]
pub struct OfficerCredentials {
    pub officer: Officer,
    pub password_hash: String,
    pub must_change_password: bool,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the token; the token itself is never stored.
    pub token_hash: String,
    pub username: String,
    pub created_micros: i64,
    pub expires_micros: i64,
    /// The CSRF token bound to the session (console forms).
    pub csrf_token: String,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub officer: Officer,
    pub must_change_password: bool,
    pub csrf_token: String,
}

/// A month of the audit trail (Vietnam time): on PostgreSQL one partition of it, which
/// can be detached for archive once the month is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditMonth {
    /// The partition's name (`audit_events_2021_03`).
    pub name: String,
    pub from_micros: i64,
    pub to_micros: i64,
    pub events: u64,
    /// The month's first event: its sequence number and the hash it links to.
    pub first: Option<(i64, String)>,
    /// The month's last event: its sequence number and its hash.
    pub last: Option<(i64, String)>,
    /// Detached from the table: its figures are those kept when it was.
    pub archived: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub record_key: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// Events with `seq < before` only (paging backwards).
    pub before: Option<i64>,
    /// Only events by officers of these police units (an auditor's jurisdiction);
    /// `None` for all.
    pub units: Option<Vec<String>>,
    pub limit: u32,
}

/// A citizen as the register holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenRecord {
    pub key: Uuid,
    pub status: RecordStatus,
    /// Increases with every change; the history keeps every version.
    pub version: i64,
    pub data: CitizenData,
    pub locality: Option<Locality>,
    pub updated_micros: i64,
}

/// One version of a record: who changed what, when, from which form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub at_micros: i64,
    pub actor: String,
    /// The import file and row, or the staged form, the change came from.
    pub source: String,
    pub status: RecordStatus,
    pub changed_fields: Vec<String>,
    /// Where the citizen lived by this version (current, else permanent, else temporary
    /// residence): the residence history.
    pub residence: Option<cancuoc_domain::citizen::Residence>,
}

/// The residence a version of a record names: current, else permanent, else temporary.
pub fn residence_of(data: &CitizenData) -> Option<cancuoc_domain::citizen::Residence> {
    data.current_residence
        .clone()
        .or_else(|| data.permanent_residence.clone())
        .or_else(|| data.temporary_residence.clone())
}

/// A search of the register, or with no name nor old ID number a list of an area's
/// residents, in the order of their names.
#[derive(Debug, Clone, Default)]
pub struct CitizenQuery {
    /// A folded name prefix (see `cancuoc_domain::text::fold`).
    pub name_key: Option<String>,
    /// Match the name's words anywhere in the name, in order, each a whole word ("DANG
    /// HA" finds "DANG THI HA", "THI HA" too), instead of from the name's start.
    /// Slower: no index range serves it. A cursor of such a search says so itself.
    pub name_words: bool,
    pub old_id_number: Option<String>,
    pub birth_year: Option<i16>,
    /// Born in these years, both included: an age band.
    pub born_between: Option<(i16, i16)>,
    pub birth_date: Option<PartialDate>,
    /// Narrow to an administrative unit (inside the caller's scope).
    pub unit: Option<AdminCode>,
    /// Only those due a card on this day: 14 and over, living, Vietnamese, official, with
    /// neither a valid card nor an open application (as the eligible counts count them).
    pub due_a_card_on: Option<jiff::civil::Date>,
    /// Only records lacking one of `citizen::EXPECTED_FIELDS`.
    pub missing_fields: bool,
    /// Only citizens with a collection form waiting for review.
    pub staged: bool,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The names a whole-word name prefix finds, as one range of folded names plus an exact
/// filter: the name itself and every name that goes on after a space ("NGUYEN VAN" finds
/// "NGUYEN VAN AN", not "NGUYEN VANH"). One range, so the name index serves the search in
/// its sort order and stops at the page's end; an OR of two ranges would not.
#[derive(Debug, Clone)]
pub struct NameRange {
    pub from: String,
    /// Exclusive upper end.
    pub to: String,
    /// `from` followed by a space, and its length in characters for `substr`.
    pub word_prefix: String,
    pub word_prefix_chars: i64,
}

impl NameRange {
    pub fn new(name_key: &str) -> Self {
        let word_prefix = format!("{name_key} ");
        Self {
            from: name_key.to_owned(),
            to: format!("{name_key} \u{10FFFF}"),
            word_prefix_chars: i64::try_from(word_prefix.chars().count()).unwrap_or(i64::MAX),
            word_prefix,
        }
    }
}

/// A keyset cursor: the sort key of the last item, opaque to callers.
pub fn encode_cursor(parts: &[&str]) -> String {
    hex::encode(parts.join("\u{1f}"))
}

/// The parts of a cursor made by [`encode_cursor`], or `Invalid`.
pub fn decode_cursor(cursor: &str, parts: usize) -> crate::Result<Vec<String>> {
    let bytes =
        hex::decode(cursor).map_err(|_| crate::StoreError::Invalid("malformed cursor".into()))?;
    // A cursor is a position in an order of text keys: bytes that are not UTF-8 still
    // name one, so a cursor made by hand is read rather than refused.
    // NUL is no character of any key, and PostgreSQL text cannot hold it.
    if bytes.contains(&0) {
        return Err(crate::StoreError::Invalid("malformed cursor".into()));
    }
    let text = String::from_utf8_lossy(&bytes);
    let out: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    if out.len() == parts {
        Ok(out)
    } else {
        Err(crate::StoreError::Invalid("malformed cursor".into()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub personal_id: PersonalId,
    pub full_name: String,
    pub relation_to_head: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub number: String,
    pub commune: AdminCode,
    pub address: String,
    pub head: Option<PersonalId>,
    pub members: Vec<HouseholdMember>,
}

/// Generated households and their members, loaded as official records.
#[derive(Debug, Clone, Default)]
pub struct PopulationBatch {
    pub households: Vec<NewHousehold>,
    pub citizens: Vec<NewCitizen>,
    /// Where the records came from (`demo seed 42`).
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct NewHousehold {
    pub number: String,
    pub commune: AdminCode,
    pub address: String,
    pub head: Option<PersonalId>,
}

/// A person to load as an official record, its columns computed when it is made (by
/// the generator's thread, not the store's).
#[derive(Debug, Clone)]
pub struct NewCitizen {
    pub columns: crate::CitizenColumns,
}

impl NewCitizen {
    pub fn new(key: Uuid, data: &CitizenData, locality: Option<&Locality>) -> crate::Result<Self> {
        Ok(Self {
            columns: crate::CitizenColumns::new(key, data, locality, RecordStatus::Official)?,
        })
    }
}

/// One accepted row of an import, validated and placed.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub row: usize,
    /// The key the record gets if it becomes new; the form's id if it is staged.
    pub new_key: Uuid,
    pub data: CitizenData,
    pub locality: Option<Locality>,
    /// Validation findings that flag the row for review ("missing field que_quan").
    pub findings: Vec<String>,
}

/// An import whose rows are all at hand.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    /// File name as given, for provenance.
    pub source: String,
    /// SHA-256 of the file's bytes.
    pub file_hash: String,
    pub rows: Vec<ImportRow>,
}

impl ImportBatch {
    /// The batch as a stream of chunks, each prepared as the store asks for it.
    pub fn stream(&self) -> ImportStream<'_> {
        let chunks = self
            .rows
            .chunks(crate::IMPORT_CHUNK)
            .map(|rows| crate::PreparedChunk::new(rows.to_vec()));
        ImportStream {
            source: self.source.clone(),
            file_hash: self.file_hash.clone(),
            rows_at_most: self.rows.len(),
            chunks: Box::pin(futures_util::stream::iter(chunks)),
        }
    }
}

/// An import as the store applies it: chunks of at most [`crate::IMPORT_CHUNK`] rows in
/// file order, which the caller may still be validating and preparing on another
/// thread while the store writes the chunks before.
pub struct ImportStream<'a> {
    /// File name as given, for provenance.
    pub source: String,
    /// SHA-256 of the file's bytes.
    pub file_hash: String,
    /// The most rows the chunks will bring (the file's rows, before any is rejected):
    /// what the store sizes its bulk decisions by before the first chunk arrives.
    pub rows_at_most: usize,
    /// A chunk that could not be prepared ends the import and undoes it.
    pub chunks: futures_util::stream::BoxStream<'a, crate::Result<crate::PreparedChunk>>,
}

/// Why a row was staged instead of applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageReason {
    /// Validation flagged missing or doubtful fields.
    Findings,
    /// Same personal ID as an official record, different data.
    Conflict,
    /// Same folded name, birth date and hometown as another record.
    PossibleDuplicate,
    /// The personal ID belongs to an official record outside the importer's
    /// jurisdiction: a citizen who moved in, decided by an officer covering both places.
    MoveIn,
}

impl StageReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Findings => "findings",
            Self::Conflict => "conflict",
            Self::PossibleDuplicate => "possible_duplicate",
            Self::MoveIn => "move_in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Findings,
            Self::Conflict,
            Self::PossibleDuplicate,
            Self::MoveIn,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// New official records.
    pub inserted: u64,
    /// Rows identical to an official record or to a pending staged form.
    pub unchanged: u64,
    /// Rows staged for review, by row number.
    pub staged: Vec<(usize, StageReason)>,
}

pub use cancuoc_domain::review::FormStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedForm {
    pub id: Uuid,
    pub source: String,
    pub row: usize,
    pub reason: StageReason,
    pub status: FormStatus,
    pub data: CitizenData,
    pub locality: Option<Locality>,
    /// What an officer must look at, in words.
    pub findings: Vec<String>,
    pub created_micros: i64,
    /// Who verified the current data (never the approver).
    pub verified_by: Option<String>,
    /// Who last corrected the data (never the approver).
    pub corrected_by: Option<String>,
    pub decided_by: Option<String>,
    pub decided_micros: Option<i64>,
    pub decision_reason: Option<String>,
    /// Whether the caller's jurisdiction reaches every record approving the form would
    /// change or could duplicate (`cancuoc_domain::review::FormFacts::approvable_within`);
    /// when it does not, an officer above approves. Says nothing of where those live.
    pub approvable_here: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FormQuery {
    /// Narrow to an administrative unit (inside the caller's scope).
    pub unit: Option<AdminCode>,
    /// Open forms (draft and verified) when `None`.
    pub status: Option<FormStatus>,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub enum FormDecision {
    Verify,
    /// Replace the data (already validated) and its findings; the form stays open.
    Correct {
        data: Box<CitizenData>,
        locality: Option<Locality>,
        findings: Vec<String>,
    },
    /// Apply to the register: a new official record (under `new_key`, minted by the
    /// caller), or a new version of the one it conflicts with.
    Approve {
        new_key: Uuid,
    },
    Reject {
        reason: String,
    },
}

impl FormDecision {
    pub fn step(&self) -> cancuoc_domain::review::ReviewStep {
        use cancuoc_domain::review::ReviewStep;
        match self {
            Self::Verify => ReviewStep::Verify,
            Self::Correct { .. } => ReviewStep::Correct,
            Self::Approve { .. } => ReviewStep::Approve,
            Self::Reject { .. } => ReviewStep::Reject,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Correct { .. } => "correct",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
        }
    }
}

/// The fingerprint of a record's content: equal data, equal hash.
pub fn content_hash(data: &CitizenData) -> String {
    crate::content_hash_of_json(&serde_json::to_string(data).unwrap_or_default())
}

/// The key under which possible duplicates meet: folded name, birth date, hometown.
pub fn duplicate_key(data: &CitizenData) -> String {
    format!(
        "{}|{}|{}",
        cancuoc_domain::text::fold(&data.full_name),
        data.birth_date.iso(),
        data.hometown.as_ref().map(AdminCode::as_str).unwrap_or("")
    )
}

/// What a backend does with one import row, decided the same way everywhere.
#[derive(Debug, Clone, PartialEq)]
pub enum RowDecision {
    Insert,
    Unchanged,
    Stage {
        reason: StageReason,
        findings: Vec<String>,
    },
}

/// An official record as an import sees it: its data and where it lives.
#[derive(Debug, Clone)]
pub struct HeldRecord {
    pub data: CitizenData,
    pub locality: Option<Locality>,
}

/// Findings of a row that meets a record outside the importer's jurisdiction: nothing
/// of that record is named.
pub const MOVE_IN_FINDING: &str = "the personal ID belongs to a record held outside your jurisdiction: a move-in request, decided by an officer whose jurisdiction covers both residences";
pub const HIDDEN_DUPLICATE_FINDING: &str =
    "possible duplicate of a record outside your jurisdiction (a reviewer above can compare them)";

/// Decides an import row from what the register already holds under its personal ID,
/// the personal ID and place of another record with the same duplicate key, and whether
/// the same content is already staged and open. Findings name another record only when
/// `scope` covers it.
pub fn decide_row(
    row: &ImportRow,
    existing: Option<(&CitizenData, Option<&Locality>)>,
    duplicate_of: Option<(&PersonalId, Option<&Locality>)>,
    already_staged: bool,
    scope: &cancuoc_domain::Jurisdiction,
) -> RowDecision {
    if already_staged {
        return RowDecision::Unchanged;
    }
    if let Some((current, place)) = existing {
        if !scope.covers_record(place) {
            let mut findings = vec![MOVE_IN_FINDING.to_owned()];
            findings.extend(row.findings.iter().cloned());
            return RowDecision::Stage {
                reason: StageReason::MoveIn,
                findings,
            };
        }
        let differing = current.differing_fields(&row.data);
        if differing.is_empty() {
            return RowDecision::Unchanged;
        }
        let mut findings = vec![format!(
            "conflicts with official record on {}",
            differing.join(", ")
        )];
        findings.extend(row.findings.iter().cloned());
        return RowDecision::Stage {
            reason: StageReason::Conflict,
            findings,
        };
    }
    if let Some((other, place)) = duplicate_of.filter(|(other, _)| **other != row.data.personal_id)
    {
        let first = if scope.covers_record(place) {
            format!("possible duplicate of {other}")
        } else {
            HIDDEN_DUPLICATE_FINDING.to_owned()
        };
        let mut findings = vec![first];
        findings.extend(row.findings.iter().cloned());
        return RowDecision::Stage {
            reason: StageReason::PossibleDuplicate,
            findings,
        };
    }
    if !row.findings.is_empty() {
        return RowDecision::Stage {
            reason: StageReason::Findings,
            findings: row.findings.clone(),
        };
    }
    RowDecision::Insert
}
