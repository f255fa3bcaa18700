//! The JSON shapes of applications and cards.

use cancuoc_app::{Intake, StepRequest};
use cancuoc_domain::application::{Action, ApplicationState, ApplicationType};
use cancuoc_domain::biometrics::{
    Capture, FingerCapture, FingerPosition, FlatPosition, Image, ImageRole, MissingReason,
};
use cancuoc_store::{
    ApplicationEvent, ApplicationRecord, ApplicationSummary, CardRecord, CardStatus, Page,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rfc3339;
use crate::error::ErrorBody;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ApplicationTypeDto {
    FirstIssuance,
    CmndSwitch,
    Renewal,
    Reissue,
}

impl ApplicationTypeDto {
    fn as_str(self) -> &'static str {
        match self {
            Self::FirstIssuance => "first_issuance",
            Self::CmndSwitch => "cmnd_switch",
            Self::Renewal => "renewal",
            Self::Reissue => "reissue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChannelDto {
    Fixed,
    Mobile,
}

/// An application as a station files it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationRequest {
    /// 12-digit personal ID number of the citizen.
    #[schema(example = "042090001234")]
    pub personal_id: String,
    #[serde(rename = "type")]
    pub kind: ApplicationTypeDto,
    /// For `renewal`: renewal_age, damaged, changed_particulars, wrong_information,
    /// authority_error, boundary_change, on_request. For `reissue`: lost,
    /// regained_citizenship.
    #[serde(default)]
    pub reason: Option<String>,
    pub channel: ChannelDto,
    /// Day of intake (YYYY-MM-DD); today when absent.
    #[serde(default)]
    pub intake_date: Option<String>,
    /// Station or mobile session where the citizen came.
    #[serde(default)]
    pub station: Option<String>,
    /// Identifying marks (đặc điểm nhận dạng).
    #[serde(default)]
    pub identifying_marks: Option<String>,
    /// Fee exemption: war_merit, border_or_island, ethnic_minority_hardship,
    /// poor_household, orphan_minor.
    #[serde(default)]
    pub exemption: Option<String>,
    /// Whether the old card (CMND or chip card) was taken back.
    #[serde(default)]
    pub old_card_returned: bool,
    /// Makes a retry harmless; the `Idempotency-Key` header does the same.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Portrait and fingerprints (Circular 60/2021 Art. 5): checked, then sealed in the
    /// encrypted vault; the register keeps only what was taken and the images' hashes.
    #[serde(default)]
    pub biometrics: Option<BiometricsDto>,
}

/// The portrait and the fingerprints, images in standard base64.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BiometricsDto {
    /// JPEG or PNG, 300×400 to 2000×2500 pixels, at most 500 KB.
    #[schema(min_length = 1)]
    pub portrait: String,
    /// The ten rolled prints in the order R thumb … R little, L thumb … L little; each
    /// an image, or `missing` with a reason.
    pub fingers: Vec<FingerDto>,
    /// Flat prints: four right, four left, two thumbs. One may be left out only when
    /// every finger it shows is missing.
    #[serde(default)]
    pub flats: FlatsDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FingerDto {
    /// r_thumb, r_index, r_middle, r_ring, r_little, l_thumb, l_index, l_middle, l_ring, l_little.
    pub finger: String,
    /// JPEG, PNG or WSQ, base64.
    #[serde(default)]
    pub image: Option<String>,
    /// Why there is no print: amputated, injured, bandaged, deformed, unreadable, other.
    #[serde(default)]
    pub missing: Option<String>,
    /// The words of an `other` reason.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlatsDto {
    #[serde(default)]
    pub right_four: Option<String>,
    #[serde(default)]
    pub left_four: Option<String>,
    #[serde(default)]
    pub thumbs: Option<String>,
}

impl BiometricsDto {
    /// The capture, every image checked (format, size, dimensions) by the domain.
    pub fn into_capture(self) -> Result<Capture, String> {
        use base64::Engine as _;
        let decode = |what: &str, b64: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("biometrics: {what} is not base64: {e}"))
        };
        let portrait = decode("the portrait", &self.portrait)?;
        let mut fingers = Vec::with_capacity(self.fingers.len());
        for f in self.fingers {
            let image = f
                .image
                .as_deref()
                .map(|b64| decode(&f.finger, b64))
                .transpose()?;
            fingers.push(FingerInput {
                finger: f.finger,
                image,
                missing: f.missing,
                text: f.text,
            });
        }
        let mut flats: [Option<Vec<u8>>; 3] = [None, None, None];
        let given = [
            self.flats.right_four,
            self.flats.left_four,
            self.flats.thumbs,
        ];
        for ((slot, b64), position) in flats.iter_mut().zip(given).zip(FlatPosition::ALL) {
            if let Some(b64) = b64 {
                *slot = Some(decode(position.id(), &b64)?);
            }
        }
        build_capture(portrait, fingers, flats).map_err(|p| p.english())
    }
}

/// One finger as a form or a request gives it: an image, or the reason there is none.
pub(crate) struct FingerInput {
    pub finger: String,
    pub image: Option<Vec<u8>>,
    pub missing: Option<String>,
    pub text: Option<String>,
}

/// Why a set of images is not a capture, said in English for the API and in Vietnamese
/// for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CaptureProblem {
    Image(cancuoc_domain::biometrics::BiometricError),
    FingerCount(usize),
    FingerOrder {
        given: String,
        expected: FingerPosition,
    },
    Reason(FingerPosition, cancuoc_domain::biometrics::BiometricError),
    Neither(FingerPosition),
}

impl CaptureProblem {
    pub(crate) fn english(&self) -> String {
        match self {
            Self::Image(e) => format!("biometrics: {e}"),
            Self::FingerCount(n) => format!(
                "biometrics: give all ten fingers (an image or a missing reason each), not {n}"
            ),
            Self::FingerOrder { given, expected } => format!(
                "biometrics: finger {given:?} is where {} belongs (R thumb to R little, then L thumb to L little)",
                expected.id()
            ),
            Self::Reason(finger, e) => format!("biometrics: {}: {e}", finger.id()),
            Self::Neither(finger) => format!(
                "biometrics: {} needs either an image or a missing reason",
                finger.id()
            ),
        }
    }

    pub(crate) fn vietnamese(&self) -> String {
        match self {
            Self::Image(e) => e.vietnamese(),
            Self::FingerCount(_) | Self::FingerOrder { .. } => {
                "cần đủ mười ngón, mỗi ngón một ảnh vân tay hoặc lý do không lấy được".to_owned()
            }
            Self::Reason(finger, e) => format!("{}: {}", finger.label_vi(), e.vietnamese()),
            Self::Neither(finger) => format!(
                "{}: chưa có ảnh vân tay, cũng chưa chọn lý do không lấy được",
                finger.label_vi()
            ),
        }
    }
}

/// A capture from images already decoded (from JSON or an upload), every image checked
/// (format, size, dimensions) by the domain: the ten fingers in order, each with an
/// image or a missing reason; the flats optional.
pub(crate) fn build_capture(
    portrait: Vec<u8>,
    fingers: Vec<FingerInput>,
    flats: [Option<Vec<u8>>; 3],
) -> Result<Capture, CaptureProblem> {
    let portrait =
        Image::parse_taken(portrait, ImageRole::Portrait).map_err(CaptureProblem::Image)?;
    if fingers.len() != 10 {
        return Err(CaptureProblem::FingerCount(fingers.len()));
    }
    let mut rolled: Vec<FingerCapture> = Vec::with_capacity(10);
    for (finger, position) in fingers.into_iter().zip(FingerPosition::ALL) {
        if finger.finger != position.id() {
            return Err(CaptureProblem::FingerOrder {
                given: finger.finger,
                expected: position,
            });
        }
        let capture = match (finger.image, finger.missing) {
            (Some(image), None) => FingerCapture::Rolled(
                Image::parse_taken(image, ImageRole::Rolled(position))
                    .map_err(CaptureProblem::Image)?,
            ),
            (None, Some(reason)) => FingerCapture::Missing(
                MissingReason::parse(&reason, finger.text.as_deref())
                    .map_err(|e| CaptureProblem::Reason(position, e))?,
            ),
            _ => return Err(CaptureProblem::Neither(position)),
        };
        rolled.push(capture);
    }
    let rolled: [FingerCapture; 10] = rolled
        .try_into()
        .map_err(|_| CaptureProblem::FingerCount(0))?;
    let mut images: [Option<Image>; 3] = [None, None, None];
    for ((slot, bytes), position) in images.iter_mut().zip(flats).zip(FlatPosition::ALL) {
        if let Some(bytes) = bytes {
            *slot = Some(
                Image::parse_taken(bytes, ImageRole::Flat(position))
                    .map_err(CaptureProblem::Image)?,
            );
        }
    }
    Capture::new(portrait, rolled, images).map_err(CaptureProblem::Image)
}

impl ApplicationRequest {
    pub fn into_intake(self, header_key: Option<String>) -> Result<Intake, String> {
        let capture = self
            .biometrics
            .map(BiometricsDto::into_capture)
            .transpose()?;
        Ok(Intake {
            personal_id: self.personal_id,
            kind: self.kind.as_str().to_owned(),
            reason: self.reason,
            channel: match self.channel {
                ChannelDto::Fixed => "fixed",
                ChannelDto::Mobile => "mobile",
            }
            .to_owned(),
            intake_unit: None,
            intake_date: self.intake_date,
            station: self.station,
            identifying_marks: self.identifying_marks,
            exemption: self.exemption,
            old_card_returned: self.old_card_returned,
            idempotency_key: header_key.or(self.idempotency_key),
            capture,
            receipt: None,
        })
    }
}

/// One step in an application's history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationEventDto {
    pub seq: i64,
    /// `intake` for the first event, else the step taken.
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub unit: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub reason: Option<String>,
}

impl From<ApplicationEvent> for ApplicationEventDto {
    fn from(e: ApplicationEvent) -> Self {
        Self {
            seq: e.seq,
            action: e.action.map_or("intake", Action::as_str).to_owned(),
            from: e.from.map(|s| s.as_str().to_owned()),
            to: e.to.as_str().to_owned(),
            actor: e.actor,
            unit: e.unit,
            at: rfc3339(e.at_micros),
            reason: e.reason,
        }
    }
}

fn type_and_reason(kind: ApplicationType) -> (String, Option<String>) {
    (kind.kind().to_owned(), kind.reason().map(str::to_owned))
}

/// An application (hồ sơ) with its history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationDto {
    /// The application's id (UUID).
    pub id: String,
    /// Receipt number (số biên nhận): unit, day, serial and a check character.
    #[schema(example = "CAH-445-20210316-00001C")]
    pub receipt: String,
    pub personal_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: Option<String>,
    pub channel: String,
    pub intake_unit: String,
    pub station: Option<String>,
    pub officer: String,
    /// RFC 3339, UTC.
    pub intake_at: String,
    pub intake_date: String,
    /// The day the card is due (working days by area and type).
    pub due_date: String,
    pub fee_vnd: u32,
    /// The circular the fee comes from, or why none is due.
    pub fee_basis: String,
    pub exemption: Option<String>,
    pub identifying_marks: Option<String>,
    pub old_card_returned: bool,
    /// What the verifier must look at first: set on a filing from a station's packet
    /// whose citizen's record changed centrally after the station's extract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifier_note: Option<String>,
    /// received, verified, approved, in_production, produced, dispatched,
    /// ready_for_pickup, handed_over, needs_correction, rejected, cancelled.
    pub state: String,
    /// Send as `version` with a step to refuse it if someone else moved first.
    pub version: i64,
    pub history: Vec<ApplicationEventDto>,
}

impl From<ApplicationRecord> for ApplicationDto {
    fn from(a: ApplicationRecord) -> Self {
        let (kind, reason) = type_and_reason(a.kind);
        Self {
            id: a.key.to_string(),
            receipt: a.receipt.to_string(),
            personal_id: a.personal_id.as_string(),
            kind,
            reason,
            channel: a.channel.as_str().to_owned(),
            intake_unit: a.intake_unit.as_string(),
            station: a.station,
            officer: a.officer,
            intake_at: rfc3339(a.intake_micros),
            intake_date: a.intake_date.to_string(),
            due_date: a.due_date.to_string(),
            fee_vnd: a.fee_vnd,
            fee_basis: a.fee_basis,
            exemption: a.exemption.map(|e| e.as_str().to_owned()),
            identifying_marks: a.identifying_marks,
            old_card_returned: a.old_card_returned,
            verifier_note: a.verifier_note,
            state: a.state.as_str().to_owned(),
            version: a.version,
            history: a.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// A line of an application list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationSummaryDto {
    pub id: String,
    pub receipt: String,
    pub personal_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub intake_unit: String,
    pub intake_date: String,
    pub due_date: String,
    pub state: String,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApplicationPage {
    pub items: Vec<ApplicationSummaryDto>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl From<Page<ApplicationSummary>> for ApplicationPage {
    fn from(p: Page<ApplicationSummary>) -> Self {
        Self {
            items: p
                .items
                .into_iter()
                .map(|s| ApplicationSummaryDto {
                    id: s.key.to_string(),
                    receipt: s.receipt.to_string(),
                    personal_id: s.personal_id.as_string(),
                    kind: s.kind.kind().to_owned(),
                    intake_unit: s.intake_unit.as_string(),
                    intake_date: s.intake_date.to_string(),
                    due_date: s.due_date.to_string(),
                    state: s.state.as_str().to_owned(),
                    version: s.version,
                })
                .collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ApplicationListQuery {
    /// Only applications in this state.
    #[param(
        pattern = "^(received|verified|approved|in_production|produced|dispatched|ready_for_pickup|handed_over|needs_correction|rejected|cancelled)$"
    )]
    pub state: Option<String>,
    /// Only applications taken by this police unit (e.g. CAH-445).
    #[param(pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$")]
    pub unit: Option<String>,
    /// Only open applications past their due date today.
    pub overdue: Option<bool>,
    /// The `next_cursor` of the page before (hex of the last due date and key).
    #[param(
        pattern = "^(?:0[1-9a-f]|1[0-9a-e]|[2-9a-f][0-9a-f])*1f(?:0[1-9a-f]|1[0-9a-e]|[2-9a-f][0-9a-f])*$"
    )]
    pub cursor: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl ApplicationListQuery {
    pub fn state(&self) -> Result<Option<ApplicationState>, String> {
        self.state
            .as_deref()
            .map(|s| {
                ApplicationState::parse(s).ok_or_else(|| format!("state: {s:?} is not a state"))
            })
            .transpose()
    }
}

/// A step of the state machine.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionRequest {
    /// verify, approve, start_production, produce, dispatch, receive, hand_over,
    /// request_correction, resubmit, reject, cancel.
    #[schema(
        example = "verify",
        pattern = "^(verify|approve|start_production|produce|dispatch|receive|hand_over|request_correction|resubmit|reject|cancel)$"
    )]
    pub action: String,
    /// Required for request_correction, reject and cancel.
    #[serde(default)]
    pub reason: Option<String>,
    /// Refuse the step (409 `conflict`) unless the application is at this version.
    #[serde(default)]
    pub version: Option<i64>,
    /// At hand_over only: whether the old card (CMND or CCCD) was taken back; absent
    /// keeps what intake recorded.
    #[serde(default)]
    pub old_card_returned: Option<bool>,
}

impl From<TransitionRequest> for StepRequest {
    fn from(r: TransitionRequest) -> Self {
        Self {
            action: r.action,
            reason: r.reason,
            expected_version: r.version,
            old_card_returned: r.old_card_returned,
        }
    }
}

/// The same step on a list of applications (approve a list).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkTransitionRequest {
    /// Application ids (UUID), at most 1,000.
    #[schema(min_items = 1, max_items = 1000, value_type = Vec<uuid::Uuid>)]
    pub ids: Vec<String>,
    #[schema(
        pattern = "^(verify|approve|start_production|produce|dispatch|receive|hand_over|request_correction|resubmit|reject|cancel)$"
    )]
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The outcome for one application of a bulk step.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulkTransitionItem {
    pub id: String,
    /// The new state when the step was taken.
    pub state: Option<String>,
    /// Why the step was refused for this application.
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BulkTransitionResult {
    pub done: usize,
    pub refused: usize,
    pub items: Vec<BulkTransitionItem>,
}

/// A chip card.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CardDto {
    /// The personal ID number is the card number.
    pub personal_id: String,
    pub issue_date: String,
    /// `null` for a card that never expires (issued at 58 or later).
    pub expiry_date: Option<String>,
    /// The three lines of the machine-readable zone.
    pub mrz: Vec<String>,
    /// The text of the QR code on the front.
    pub qr_payload: String,
    /// pending, active, replaced, lost, revoked, expired.
    pub status: String,
    /// The application the card was made for.
    pub application_id: String,
}

impl From<CardRecord> for CardDto {
    fn from(c: CardRecord) -> Self {
        Self {
            personal_id: c.personal_id.as_string(),
            issue_date: c.issue_date.to_string(),
            expiry_date: c.expiry_date.map(|d| d.to_string()),
            mrz: c.mrz.to_vec(),
            qr_payload: c.qr_payload,
            status: match c.status {
                CardStatus::Pending => "pending",
                CardStatus::Active => "active",
                CardStatus::Replaced => "replaced",
                CardStatus::Lost => "lost",
                CardStatus::Revoked => "revoked",
                CardStatus::Expired => "expired",
            }
            .to_owned(),
            application_id: c.application.to_string(),
        }
    }
}

/// Open (or reuse) today's production batch of a province.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchRequest {
    /// 2-digit GSO province code.
    #[schema(example = "42")]
    pub province: String,
    /// Most approved applications to put into production now (1–20,000, default 5,000).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20000)]
    pub limit: Option<usize>,
}

/// What a batch operation did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BatchOutcomeDto {
    pub id: String,
    pub province: String,
    pub day: String,
    /// Applications the step was taken on.
    pub done: usize,
    /// Applications the step was refused for, each with its reason.
    pub refused: Vec<BulkTransitionItem>,
}

/// A batch and the states of its applications.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BatchDto {
    pub id: String,
    pub province: String,
    pub day: String,
    pub created_by: String,
    /// Applications of the batch per state.
    #[schema(value_type = Object)]
    pub states: std::collections::BTreeMap<String, u64>,
}
