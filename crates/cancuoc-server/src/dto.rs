//! The JSON shapes of the API: requests (strict, `deny_unknown_fields`) and responses,
//! and their mapping from the application's records. Only this crate knows them.

pub(crate) mod applications;
pub(crate) mod campaigns;
pub(crate) mod chip;
pub(crate) mod schedule;
pub(crate) mod shapes;
pub(crate) mod station;

use std::collections::BTreeMap;

use cancuoc_app::{AuditVerification, ImportReport, RejectedRow};
use cancuoc_domain::citizen::{MaritalStatus, Relative, Residence};
use cancuoc_domain::{CitizenData, Locality, Officer, PartialDate, RecordStatus, Role, Sex};
use cancuoc_store::{
    CitizenRecord, FormStatus, HistoryEntry, Household, HouseholdMember, Page, StageReason,
    StagedForm,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Microseconds since the epoch as RFC 3339 in UTC (`2021-03-16T01:02:03.456789Z`).
pub(crate) fn rfc3339(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string()
}

// ---- enumerations ---------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SexDto {
    Male,
    Female,
}

impl From<Sex> for SexDto {
    fn from(s: Sex) -> Self {
        match s {
            Sex::Male => Self::Male,
            Sex::Female => Self::Female,
        }
    }
}

impl From<SexDto> for Sex {
    fn from(s: SexDto) -> Self {
        match s {
            SexDto::Male => Self::Male,
            SexDto::Female => Self::Female,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RoleDto {
    CommuneOfficer,
    DistrictOfficer,
    ProvinceOfficer,
    MinistryOfficer,
    ProductionOperator,
    Auditor,
    Admin,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::CommuneOfficer => Self::CommuneOfficer,
            Role::DistrictOfficer => Self::DistrictOfficer,
            Role::ProvinceOfficer => Self::ProvinceOfficer,
            Role::MinistryOfficer => Self::MinistryOfficer,
            Role::ProductionOperator => Self::ProductionOperator,
            Role::Auditor => Self::Auditor,
            Role::Admin => Self::Admin,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::CommuneOfficer => Self::CommuneOfficer,
            RoleDto::DistrictOfficer => Self::DistrictOfficer,
            RoleDto::ProvinceOfficer => Self::ProvinceOfficer,
            RoleDto::MinistryOfficer => Self::MinistryOfficer,
            RoleDto::ProductionOperator => Self::ProductionOperator,
            RoleDto::Auditor => Self::Auditor,
            RoleDto::Admin => Self::Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MaritalStatusDto {
    Single,
    Married,
    Divorced,
    Widowed,
}

impl From<MaritalStatus> for MaritalStatusDto {
    fn from(m: MaritalStatus) -> Self {
        match m {
            MaritalStatus::Single => Self::Single,
            MaritalStatus::Married => Self::Married,
            MaritalStatus::Divorced => Self::Divorced,
            MaritalStatus::Widowed => Self::Widowed,
        }
    }
}

/// Where a record stands on its way to the official register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RecordStatusDto {
    Draft,
    Verified,
    Official,
}

impl From<RecordStatus> for RecordStatusDto {
    fn from(s: RecordStatus) -> Self {
        match s {
            RecordStatus::Draft => Self::Draft,
            RecordStatus::Verified => Self::Verified,
            RecordStatus::Official => Self::Official,
        }
    }
}

/// Why an imported row was staged instead of applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StageReasonDto {
    Findings,
    Conflict,
    PossibleDuplicate,
    /// The personal ID belongs to a record held outside the importer's jurisdiction.
    MoveIn,
}

impl From<StageReason> for StageReasonDto {
    fn from(r: StageReason) -> Self {
        match r {
            StageReason::Findings => Self::Findings,
            StageReason::Conflict => Self::Conflict,
            StageReason::PossibleDuplicate => Self::PossibleDuplicate,
            StageReason::MoveIn => Self::MoveIn,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FormStatusDto {
    Draft,
    Verified,
    Approved,
    Rejected,
}

impl FormStatusDto {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Verified => "verified",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

impl From<FormStatus> for FormStatusDto {
    fn from(s: FormStatus) -> Self {
        match s {
            FormStatus::Draft => Self::Draft,
            FormStatus::Verified => Self::Verified,
            FormStatus::Approved => Self::Approved,
            FormStatus::Rejected => Self::Rejected,
        }
    }
}

// ---- officers and sessions ------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfficerDto {
    pub username: String,
    pub full_name: String,
    /// Police unit code: `BCA`, `CAT-42`, `PC06-42`, `CAH-436`, `CAX-18073`.
    #[schema(example = "CAX-18073")]
    pub unit: String,
    pub role: RoleDto,
    pub active: bool,
}

impl From<Officer> for OfficerDto {
    fn from(o: Officer) -> Self {
        Self {
            username: o.username,
            full_name: o.full_name,
            unit: o.unit.as_string(),
            role: o.role.into(),
            active: o.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// The bearer token; also set as the `cancuoc_session` cookie. Shown once.
    pub token: String,
    /// To send as `X-CSRF-Token` with writes authenticated by the cookie.
    pub csrf_token: String,
    /// When set, only `/auth/password`, `/auth/me` and `/auth/logout` may be called.
    pub must_change_password: bool,
    pub officer: OfficerDto,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MeResponse {
    pub officer: OfficerDto,
    pub must_change_password: bool,
    /// The CSRF token of this session (the console cannot read its HttpOnly cookie).
    pub csrf_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChangeRequest {
    #[schema(format = Password)]
    pub current: String,
    /// At least 12 characters.
    #[schema(format = Password)]
    pub new: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OfficerList {
    pub items: Vec<OfficerDto>,
}

/// Its schema is written in [`shapes`]: the role decides the unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOfficerRequest {
    pub username: String,
    pub full_name: String,
    pub unit: String,
    pub role: RoleDto,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NewOfficerResponse {
    pub username: String,
    /// To hand to the officer once; it must be changed at first sign-in.
    pub one_time_password: String,
}

// ---- citizens -------------------------------------------------------------------------

/// A residence: the GSO commune code and the address line within it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResidenceDto {
    #[schema(example = "18073")]
    pub commune_code: String,
    pub address: String,
}

impl From<&Residence> for ResidenceDto {
    fn from(r: &Residence) -> Self {
        Self {
            commune_code: r.commune.as_str().to_owned(),
            address: r.address.clone(),
        }
    }
}

/// A father, mother, spouse or legal representative as the form names them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RelativeDto {
    pub full_name: String,
    /// A personal ID number or old CMND as written.
    pub id_number: Option<String>,
    /// ISO 3166-1 alpha-3.
    pub nationality: Option<String>,
}

impl From<&Relative> for RelativeDto {
    fn from(r: &Relative) -> Self {
        Self {
            full_name: r.full_name.clone(),
            id_number: r.id_number.clone(),
            nationality: r.nationality.clone(),
        }
    }
}

/// The province, district (absent in the 2025 hierarchy) and commune answering for a record.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LocalityDto {
    pub province: String,
    pub district: Option<String>,
    pub commune: String,
}

impl From<&Locality> for LocalityDto {
    fn from(l: &Locality) -> Self {
        Self {
            province: l.province.as_str().to_owned(),
            district: l.district.as_ref().map(|d| d.as_str().to_owned()),
            commune: l.commune.as_str().to_owned(),
        }
    }
}

/// Every field of a citizen's record (DESIGN §2). Places are GSO codes; ethnicity and
/// religion are codes of the reference lists; dates are ISO with the known parts only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CitizenFields {
    #[schema(example = "042090001234")]
    pub personal_id: String,
    /// The old 9- or 12-digit CMND.
    pub old_id_number: Option<String>,
    pub full_name: String,
    pub other_names: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    #[schema(example = "1990-03-05")]
    pub birth_date: String,
    pub sex: SexDto,
    pub birth_registration_place: Option<String>,
    /// Quê quán: a GSO code.
    pub hometown: Option<String>,
    /// 2-digit code of the 54 ethnic groups.
    pub ethnicity: Option<String>,
    /// Code of the recognised religions, `00` for none.
    pub religion: Option<String>,
    /// ISO 3166-1 alpha-3.
    #[schema(example = "VNM")]
    pub nationality: String,
    pub blood_group: Option<String>,
    pub marital_status: Option<MaritalStatusDto>,
    pub permanent_residence: Option<ResidenceDto>,
    pub temporary_residence: Option<ResidenceDto>,
    pub current_residence: Option<ResidenceDto>,
    pub household_number: Option<String>,
    pub relation_to_head: Option<String>,
    pub father: Option<RelativeDto>,
    pub mother: Option<RelativeDto>,
    pub spouse: Option<RelativeDto>,
    pub legal_representative: Option<RelativeDto>,
    /// ISO partial date.
    pub died_on: Option<String>,
    /// ISO partial date.
    pub missing_since: Option<String>,
}

impl From<&CitizenData> for CitizenFields {
    fn from(d: &CitizenData) -> Self {
        Self {
            personal_id: d.personal_id.as_string(),
            old_id_number: d.old_id_number.as_ref().map(|o| o.as_str().to_owned()),
            full_name: d.full_name.clone(),
            other_names: d.other_names.clone(),
            birth_date: d.birth_date.iso(),
            sex: d.sex.into(),
            birth_registration_place: d
                .birth_registration_place
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            hometown: d.hometown.as_ref().map(|c| c.as_str().to_owned()),
            ethnicity: d.ethnicity.clone(),
            religion: d.religion.clone(),
            nationality: d.nationality.clone(),
            blood_group: d.blood_group.as_ref().map(|b| b.as_str().to_owned()),
            marital_status: d.marital_status.map(Into::into),
            permanent_residence: d.permanent_residence.as_ref().map(Into::into),
            temporary_residence: d.temporary_residence.as_ref().map(Into::into),
            current_residence: d.current_residence.as_ref().map(Into::into),
            household_number: d.household_number.clone(),
            relation_to_head: d.relation_to_head.clone(),
            father: d.father.as_ref().map(Into::into),
            mother: d.mother.as_ref().map(Into::into),
            spouse: d.spouse.as_ref().map(Into::into),
            legal_representative: d.legal_representative.as_ref().map(Into::into),
            died_on: d.died_on.as_ref().map(PartialDate::iso),
            missing_since: d.missing_since.as_ref().map(PartialDate::iso),
        }
    }
}

/// A citizen as the register holds them: the fields, their status and version.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CitizenDto {
    /// Internal key: never changes, even when the personal ID is re-issued.
    pub key: String,
    #[serde(flatten)]
    pub fields: CitizenFields,
    pub status: RecordStatusDto,
    /// Increases with every change.
    pub version: i64,
    /// RFC 3339.
    pub updated_at: String,
    pub locality: Option<LocalityDto>,
}

impl From<CitizenRecord> for CitizenDto {
    fn from(r: CitizenRecord) -> Self {
        Self {
            key: r.key.to_string(),
            fields: (&r.data).into(),
            status: r.status.into(),
            version: r.version,
            updated_at: rfc3339(r.updated_micros),
            locality: r.locality.as_ref().map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CitizenPage {
    pub items: Vec<CitizenDto>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl From<Page<CitizenRecord>> for CitizenPage {
    fn from(p: Page<CitizenRecord>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// A search: a name typed any way (diacritics and case do not matter; whole words from
/// the start of the name) or an old ID number, narrowed by the other criteria.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CitizenSearchQuery {
    /// Name or its first words, with or without diacritics.
    #[param(max_length = 100)]
    pub name: Option<String>,
    pub old_id_number: Option<String>,
    #[param(minimum = 1800, maximum = 2399)]
    pub birth_year: Option<i16>,
    /// Born in this year or later (with `born_to`, an age band).
    #[param(minimum = 1800, maximum = 2399)]
    pub born_from: Option<i16>,
    /// Born in this year or earlier.
    #[param(minimum = 1800, maximum = 2399)]
    pub born_to: Option<i16>,
    /// Only those due a card today: 14 and over, living, Vietnamese, with neither a
    /// valid card nor an open application.
    pub due_a_card: Option<bool>,
    /// Only records lacking a field the collection form should carry (birth
    /// registration place, hometown, ethnicity, religion, permanent residence).
    pub missing_fields: Option<bool>,
    /// Only citizens with a collection form waiting for review.
    pub staged: Option<bool>,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    #[param(pattern = "^(1[89]|2[0-3])[0-9]{2}(-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8]))?)?$")]
    pub birth_date: Option<String>,
    /// GSO code of a province, district or commune inside the caller's jurisdiction.
    #[param(pattern = "^([0-9]{2}|[0-9]{3}|[0-9]{5})$")]
    pub unit: Option<String>,
    /// The `next_cursor` of the page before (hex of the last name key, birth year and ID,
    /// and `w` for a search by words).
    #[param(
        pattern = "^(?:0[1-9a-f]|1[0-9a-e]|[2-9a-f][0-9a-f])*1f(?:3[0-9]){1,4}1f(?:3[0-9]){12}(?:1f77)?$"
    )]
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl From<CitizenSearchQuery> for cancuoc_app::CitizenSearch {
    fn from(q: CitizenSearchQuery) -> Self {
        Self {
            name: q.name,
            old_id_number: q.old_id_number,
            birth_year: q.birth_year,
            born_between: (q.born_from.is_some() || q.born_to.is_some())
                .then(|| (q.born_from.unwrap_or(1800), q.born_to.unwrap_or(2399))),
            birth_date: q.birth_date,
            unit: q.unit,
            due_a_card: q.due_a_card.unwrap_or(false),
            missing_fields: q.missing_fields.unwrap_or(false),
            staged: q.staged.unwrap_or(false),
            cursor: q.cursor,
            limit: q.limit,
        }
    }
}

/// One version of a record.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryEntryDto {
    pub version: i64,
    /// RFC 3339.
    pub at: String,
    /// Username of the officer, or `cli:NAME` for the command line.
    pub actor: String,
    /// The import file and row, or the staged form, the change came from.
    pub source: String,
    pub status: RecordStatusDto,
    /// Import column names of the fields changed.
    pub changed_fields: Vec<String>,
    /// Where the citizen lived by this version (current, else permanent, else temporary).
    pub residence: Option<ResidenceDto>,
}

impl From<HistoryEntry> for HistoryEntryDto {
    fn from(h: HistoryEntry) -> Self {
        Self {
            version: h.version,
            at: rfc3339(h.at_micros),
            actor: h.actor,
            source: h.source,
            status: h.status.into(),
            changed_fields: h.changed_fields,
            residence: h.residence.as_ref().map(ResidenceDto::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryList {
    /// Oldest first.
    pub items: Vec<HistoryEntryDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdMemberDto {
    pub personal_id: String,
    pub full_name: String,
    pub relation_to_head: Option<String>,
}

impl From<HouseholdMember> for HouseholdMemberDto {
    fn from(m: HouseholdMember) -> Self {
        Self {
            personal_id: m.personal_id.as_string(),
            full_name: m.full_name,
            relation_to_head: m.relation_to_head,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HouseholdDto {
    pub number: String,
    pub commune_code: String,
    pub address: String,
    /// Personal ID of the head of household.
    pub head: Option<String>,
    pub members: Vec<HouseholdMemberDto>,
}

impl From<Household> for HouseholdDto {
    fn from(h: Household) -> Self {
        Self {
            number: h.number,
            commune_code: h.commune.as_str().to_owned(),
            address: h.address,
            head: h.head.map(|p| p.as_string()),
            members: h.members.into_iter().map(Into::into).collect(),
        }
    }
}

/// Its schema is written in [`shapes`]: the 63 provinces of the law.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllocateIdRequest {
    /// 2-digit GSO code of the province where the birth is registered.
    pub province: String,
    pub sex: SexDto,
    pub birth_year: i16,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AllocatedId {
    pub personal_id: String,
}

// ---- collection forms -----------------------------------------------------------------

/// A staged record waiting for review.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FormDto {
    pub id: String,
    /// Import file name or other origin.
    pub source: String,
    /// Row of the import file, as a spreadsheet numbers it.
    pub row: u64,
    pub reason: StageReasonDto,
    pub status: FormStatusDto,
    /// What an officer must look at, in words.
    pub findings: Vec<String>,
    pub citizen: CitizenFields,
    pub locality: Option<LocalityDto>,
    /// RFC 3339.
    pub created_at: String,
    /// Who verified the current data; never the approver (four eyes).
    pub verified_by: Option<String>,
    /// Who last corrected the data; never the approver (four eyes).
    pub corrected_by: Option<String>,
    pub decided_by: Option<String>,
    /// RFC 3339.
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
    /// Whether your jurisdiction reaches every record that approving the form would
    /// change or could duplicate; when false, an officer above approves it.
    pub approvable_here: bool,
}

impl From<StagedForm> for FormDto {
    fn from(f: StagedForm) -> Self {
        Self {
            id: f.id.to_string(),
            source: f.source,
            row: u64::try_from(f.row).unwrap_or(u64::MAX),
            reason: f.reason.into(),
            status: f.status.into(),
            findings: f.findings,
            citizen: (&f.data).into(),
            locality: f.locality.as_ref().map(Into::into),
            created_at: rfc3339(f.created_micros),
            verified_by: f.verified_by,
            corrected_by: f.corrected_by,
            decided_by: f.decided_by,
            decided_at: f.decided_micros.map(rfc3339),
            decision_reason: f.decision_reason,
            approvable_here: f.approvable_here,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FormPage {
    pub items: Vec<FormDto>,
    pub next_cursor: Option<String>,
}

impl From<Page<StagedForm>> for FormPage {
    fn from(p: Page<StagedForm>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormQuery {
    /// GSO code of a unit inside the caller's jurisdiction.
    #[param(pattern = "^([0-9]{2}|[0-9]{3}|[0-9]{5})$")]
    pub unit: Option<String>,
    /// Open forms (draft and verified) when absent.
    #[param(inline)]
    pub status: Option<FormStatusDto>,
    /// The `next_cursor` of the page before (hex of the last form's time and id).
    #[param(
        pattern = "^(?:3[0-9]){1,18}1f(?:3[0-9]|6[1-6]){8}2d(?:3[0-9]|6[1-6]){4}2d(?:3[0-9]|6[1-6]){4}2d(?:3[0-9]|6[1-6]){4}2d(?:3[0-9]|6[1-6]){12}$"
    )]
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DecisionAction {
    /// Checked against the citizen's papers.
    Verify,
    /// Apply to the register as an official record.
    Approve,
    /// Refuse; needs a `reason`.
    Reject,
    /// Replace cells given in `fields` (by import column name); the form stays open.
    Correct,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    pub action: DecisionAction,
    /// Required with `reject`, refused with the other actions.
    pub reason: Option<String>,
    /// With `correct` only: new cell values by import column name (`ho_ten`, `ngay_sinh`, …).
    #[schema(example = json!({"ho_ten": "Nguyễn Văn An"}))]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// Validate and report without changing anything.
    pub dry_run: Option<bool>,
    /// The file's name, kept as the records' provenance.
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RejectedRowDto {
    pub row: u64,
    /// Import column name, or `null` for a problem of the whole row.
    pub column: Option<String>,
    pub reason: String,
}

impl From<RejectedRow> for RejectedRowDto {
    fn from(r: RejectedRow) -> Self {
        Self {
            row: u64::try_from(r.row).unwrap_or(u64::MAX),
            column: r.column,
            reason: r.reason,
        }
    }
}

/// What an import did, or would do with `dry_run`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ImportReportDto {
    /// SHA-256 of the file's bytes, hex.
    pub file_hash: String,
    /// Data rows in the file.
    pub rows: u64,
    /// Applied as official records (with `dry_run`: rows that would be).
    pub accepted: u64,
    /// Staged for review.
    pub flagged: u64,
    /// Identical to what the register or the review queue holds.
    pub unchanged: u64,
    /// Distinct rows rejected.
    pub rejected_rows: u64,
    /// One entry per reason; a row may have several. The first
    /// [`REJECTS_IN_ANSWER`] only: `cancuoc import forms --rejects` writes them all.
    pub rejected: Vec<RejectedRowDto>,
    /// Reasons left out of `rejected` because the answer keeps only the first ones.
    pub rejected_left_out: u64,
    pub dry_run: bool,
}

/// Reasons an import answer lists; a file of a million bad rows must not make a
/// hundred-megabyte answer.
pub(crate) const REJECTS_IN_ANSWER: usize = 1_000;

impl ImportReportDto {
    pub fn new(file_hash: String, r: ImportReport) -> Self {
        Self {
            file_hash,
            rows: u64::try_from(r.rows).unwrap_or(u64::MAX),
            accepted: r.accepted,
            flagged: r.flagged,
            unchanged: r.unchanged,
            rejected_rows: u64::try_from(r.rejected_rows).unwrap_or(u64::MAX),
            rejected_left_out: u64::try_from(
                r.rejected_reasons
                    .saturating_sub(r.rejected.len().min(REJECTS_IN_ANSWER)),
            )
            .unwrap_or(u64::MAX),
            rejected: r
                .rejected
                .into_iter()
                .take(REJECTS_IN_ANSWER)
                .map(Into::into)
                .collect(),
            dry_run: r.dry_run,
        }
    }
}

// ---- system ---------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditVerificationDto {
    /// Events checked.
    pub events: u64,
    /// Signed checkpoints the chain was checked against.
    pub checkpoints: u64,
    /// The first event that fails and why (MAC, link, missing after a checkpoint), in
    /// words; `null` when the chain is whole.
    pub first_break: Option<String>,
    /// That event's sequence number.
    pub first_break_seq: Option<i64>,
}

impl From<AuditVerification> for AuditVerificationDto {
    fn from(v: AuditVerification) -> Self {
        Self {
            events: v.events,
            checkpoints: v.checkpoints,
            first_break: v.first_break,
            first_break_seq: v.first_break_seq,
        }
    }
}

/// One signed checkpoint of the audit chain's head.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckpointDto {
    /// The event whose MAC is the head.
    pub seq: i64,
    /// That event's MAC (hex).
    pub head: String,
    /// RFC 3339.
    pub at: String,
    /// Ed25519 signature (hex) over `cancuoc audit checkpoint v1` and the three fields,
    /// each prefixed by its length as 8 big-endian bytes (seq and time as decimal text).
    pub signature: String,
    pub at_micros: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckpointsDto {
    /// Ed25519 public key (hex) that verifies every signature.
    pub public_key: String,
    /// Oldest first.
    pub checkpoints: Vec<CheckpointDto>,
}

impl From<cancuoc_app::PublishedCheckpoints> for CheckpointsDto {
    fn from(p: cancuoc_app::PublishedCheckpoints) -> Self {
        Self {
            public_key: p.public_key,
            checkpoints: p
                .checkpoints
                .into_iter()
                .map(|c| CheckpointDto {
                    seq: c.seq,
                    head: c.head,
                    at: rfc3339(c.at_micros),
                    signature: c.signature,
                    at_micros: c.at_micros,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_615_856_400_123_456),
            "2021-03-16T01:00:00.123456Z"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            let dto = RoleDto::from(role);
            assert_eq!(Role::from(dto), role);
            assert_eq!(
                serde_json::to_value(dto).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
    }
}
