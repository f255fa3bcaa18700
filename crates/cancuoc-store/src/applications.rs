//! Card applications and cards as the store keeps them.

use cancuoc_domain::application::{Action, ApplicationState, ApplicationType, Channel, HeldCard};
use cancuoc_domain::fee::FeeExemption;
use cancuoc_domain::receipt::ReceiptNumber;
use cancuoc_domain::{AdminCode, PersonalId, PoliceUnitCode, Role};
use jiff::civil::Date;
use uuid::Uuid;

use crate::CitizenRecord;

/// An application as intake files it; the store adds the receipt number.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub key: Uuid,
    pub personal_id: PersonalId,
    pub kind: ApplicationType,
    pub channel: Channel,
    pub intake_unit: PoliceUnitCode,
    /// Where the intake unit answers for: who may see the application.
    pub place: UnitPlace,
    pub station: Option<String>,
    pub intake_date: Date,
    pub due_date: Date,
    pub fee_vnd: u32,
    pub fee_basis: String,
    pub exemption: Option<FeeExemption>,
    pub identifying_marks: Option<String>,
    pub old_card_returned: bool,
    /// The biometric manifest (object keys and missing-finger reasons), as JSON.
    pub biometrics: Option<String>,
    /// A retry with the same key returns the first filing instead of a second one.
    pub idempotency_key: Option<String>,
    /// The receipt number a station gave offline ([`cancuoc_domain::receipt::station_serials`]):
    /// kept, instead of the unit's next one.
    pub receipt: Option<cancuoc_domain::receipt::ReceiptNumber>,
}

/// The administrative units above and at a police unit's jurisdiction: a PC06 has only
/// a province, a district police a province and a district, a commune police all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPlace {
    pub province: AdminCode,
    pub district: Option<AdminCode>,
    pub commune: Option<AdminCode>,
}

/// What intake needs to know about a citizen before it files.
#[derive(Debug, Clone)]
pub struct IntakeFacts {
    pub citizen: CitizenRecord,
    pub card: HeldCard,
    pub open_application: Option<Uuid>,
}

/// The outcome of filing one application.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub application: ApplicationRecord,
    /// True when the idempotency key had been seen: nothing new was written.
    pub replayed: bool,
}

/// An entry of the list of mountain, border and island districts, with who added it and
/// who ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteDistrictRecord {
    pub id: Uuid,
    pub entry: cancuoc_domain::remote::RemoteDistrict,
    pub created_by: String,
    pub created_micros: i64,
    pub ended_by: Option<String>,
}

/// An application with its full history.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRecord {
    pub key: Uuid,
    pub receipt: ReceiptNumber,
    pub personal_id: PersonalId,
    pub kind: ApplicationType,
    pub channel: Channel,
    pub intake_unit: PoliceUnitCode,
    pub station: Option<String>,
    pub officer: String,
    pub intake_micros: i64,
    pub intake_date: Date,
    pub due_date: Date,
    pub fee_vnd: u32,
    pub fee_basis: String,
    pub exemption: Option<FeeExemption>,
    pub identifying_marks: Option<String>,
    pub old_card_returned: bool,
    pub biometrics: Option<String>,
    pub state: ApplicationState,
    /// Increases with every transition; a transition may name the version it expects.
    pub version: i64,
    pub batch: Option<Uuid>,
    /// What the verifier must look at before verifying: a filing from a station's packet
    /// whose citizen's record changed after the station's extract says what changed.
    pub verifier_note: Option<String>,
    pub history: Vec<ApplicationEvent>,
}

/// One step in an application's life: the intake itself or a transition.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationEvent {
    pub seq: i64,
    /// `None` for the intake.
    pub action: Option<Action>,
    pub from: Option<ApplicationState>,
    pub to: ApplicationState,
    pub actor: String,
    pub unit: String,
    pub at_micros: i64,
    pub reason: Option<String>,
}

/// A transition as an officer asks for it.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    pub role: Role,
    pub reason: Option<String>,
    /// Refuse with `Conflict` unless the application is at this version.
    pub expected_version: Option<i64>,
    /// For `produce`: the card made for the application.
    pub card: Option<NewCard>,
    pub batch: Option<Uuid>,
    /// For `hand_over`: whether the old card (CMND or CCCD) was taken back as the new
    /// one was handed over; `None` keeps what intake recorded.
    pub old_card_returned: Option<bool>,
}

/// Filters of the application lists.
#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    pub intake_unit: Option<PoliceUnitCode>,
    /// Only the applications of this citizen.
    pub personal_id: Option<PersonalId>,
    /// Only the application with this receipt number.
    pub receipt: Option<String>,
    /// Only applications taken in this province (2-digit GSO code).
    pub province: Option<AdminCode>,
    /// Only applications of this production batch.
    pub batch: Option<Uuid>,
    pub state: Option<ApplicationState>,
    /// Only open applications whose due date is before this day.
    pub overdue_on: Option<Date>,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A line of an application list.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationSummary {
    pub key: Uuid,
    pub receipt: ReceiptNumber,
    pub personal_id: PersonalId,
    pub kind: ApplicationType,
    pub intake_unit: PoliceUnitCode,
    pub intake_date: Date,
    pub due_date: Date,
    pub state: ApplicationState,
    pub version: i64,
    /// The citizen's name, when the caller sees the record.
    pub full_name: Option<String>,
}

/// A day's production batch of one province (DESIGN §4: the production centre makes
/// cards in daily batches per province).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: Uuid,
    pub province: AdminCode,
    pub day: Date,
    pub created_micros: i64,
    pub created_by: String,
}

/// A card's status (DESIGN §2); `pending` until it is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    Pending,
    Active,
    Replaced,
    Lost,
    Revoked,
    Expired,
}

impl CardStatus {
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Active,
        Self::Replaced,
        Self::Lost,
        Self::Revoked,
        Self::Expired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Replaced => "replaced",
            Self::Lost => "lost",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A card as production makes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCard {
    pub issue_date: Date,
    pub expiry_date: Option<Date>,
    pub mrz: [String; 3],
    pub qr_payload: String,
    /// The chip personalised for the card; every card produced has one.
    pub chip: Option<crate::NewChip>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardRecord {
    pub personal_id: PersonalId,
    pub application: Uuid,
    pub issue_date: Date,
    pub expiry_date: Option<Date>,
    pub mrz: [String; 3],
    pub qr_payload: String,
    pub status: CardStatus,
    pub produced_micros: i64,
    pub status_micros: i64,
}

impl CardRecord {
    /// What intake sees of this card on `today`: an active card past its expiry no longer counts.
    pub fn held(&self, today: Date) -> HeldCard {
        match self.status {
            CardStatus::Active if self.expiry_date.is_none_or(|e| e >= today) => HeldCard::Active {
                expiry: self.expiry_date,
            },
            CardStatus::Pending => HeldCard::None,
            _ => HeldCard::Inactive,
        }
    }
}
