//! Card applications (hồ sơ cấp căn cước): their type and reason, whether the type fits the
//! citizen, the time limit for the card, and the state machine they move through.
//!
//! Types: DESIGN §4 after the 2014 law Art. 19–24 and Circular 60/2021/TT-BCA Art. 5.
//! States and the role allowed for each step: DESIGN §4 and §8.

use std::fmt;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::card::{LAW_2023_IN_FORCE, ValidityError, age_on};
use crate::date::PartialDate;
use crate::officer::Role;

/// Why a renewal (đổi thẻ) is asked for: 2014 law Art. 23(1), 2023 law Art. 24(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalReason {
    /// The holder reached 14, 25, 40 or 60 (or is within two years of it).
    RenewalAge,
    Damaged,
    /// Name, identifying marks, sex or other particulars changed.
    ChangedParticulars,
    /// Wrong information on the card, the holder's to correct.
    WrongInformation,
    /// Wrong information the issuing authority caused: free of charge.
    AuthorityError,
    /// Administrative boundaries changed the address on the card: free of charge.
    BoundaryChange,
    OnRequest,
}

/// Why a re-issue (cấp lại) is asked for: 2014 law Art. 23(2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReissueReason {
    Lost,
    RegainedCitizenship,
}

/// The type of an application with the reason it needs, as one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationType {
    FirstIssuance,
    /// First chip card for a holder of the 9- or 12-digit CMND.
    CmndSwitch,
    Renewal(RenewalReason),
    Reissue(ReissueReason),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplicationTypeError {
    #[error("{0:?} is not an application type (first_issuance, cmnd_switch, renewal, reissue)")]
    UnknownType(String),
    #[error("a {kind} needs a reason ({choices})")]
    MissingReason {
        kind: &'static str,
        choices: &'static str,
    },
    #[error("{reason:?} is not a reason for a {kind} ({choices})")]
    UnknownReason {
        kind: &'static str,
        reason: String,
        choices: &'static str,
    },
    #[error("a {0} takes no reason")]
    UnexpectedReason(&'static str),
}

const RENEWAL_REASONS: &str = "renewal_age, damaged, changed_particulars, wrong_information, \
                               authority_error, boundary_change, on_request";
const REISSUE_REASONS: &str = "lost, regained_citizenship";

impl RenewalReason {
    pub const ALL: [Self; 7] = [
        Self::RenewalAge,
        Self::Damaged,
        Self::ChangedParticulars,
        Self::WrongInformation,
        Self::AuthorityError,
        Self::BoundaryChange,
        Self::OnRequest,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RenewalAge => "renewal_age",
            Self::Damaged => "damaged",
            Self::ChangedParticulars => "changed_particulars",
            Self::WrongInformation => "wrong_information",
            Self::AuthorityError => "authority_error",
            Self::BoundaryChange => "boundary_change",
            Self::OnRequest => "on_request",
        }
    }

    /// As the intake form and the console write it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::RenewalAge => "Đủ tuổi phải đổi thẻ (14, 25, 40, 60 tuổi)",
            Self::Damaged => "Thẻ bị hư hỏng không sử dụng được",
            Self::ChangedParticulars => "Thay đổi thông tin trên thẻ (họ tên, đặc điểm nhân dạng…)",
            Self::WrongInformation => "Có sai sót về thông tin trên thẻ",
            Self::AuthorityError => "Sai sót do cơ quan cấp thẻ (không thu lệ phí)",
            Self::BoundaryChange => "Thay đổi địa giới hành chính (không thu lệ phí)",
            Self::OnRequest => "Theo yêu cầu của công dân",
        }
    }
}

impl ReissueReason {
    pub const ALL: [Self; 2] = [Self::Lost, Self::RegainedCitizenship];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lost => "lost",
            Self::RegainedCitizenship => "regained_citizenship",
        }
    }

    /// As the intake form and the console write it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::Lost => "Bị mất thẻ",
            Self::RegainedCitizenship => "Được trở lại quốc tịch Việt Nam",
        }
    }
}

impl ApplicationType {
    /// Builds a type from its identifier and, for renewals and re-issues, its reason.
    pub fn parse(kind: &str, reason: Option<&str>) -> Result<Self, ApplicationTypeError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        match (kind.trim(), reason) {
            ("first_issuance", None) => Ok(Self::FirstIssuance),
            ("cmnd_switch", None) => Ok(Self::CmndSwitch),
            (k @ ("first_issuance" | "cmnd_switch"), Some(_)) => Err(
                ApplicationTypeError::UnexpectedReason(if k == "cmnd_switch" {
                    "cmnd_switch"
                } else {
                    "first_issuance"
                }),
            ),
            ("renewal", None) => Err(ApplicationTypeError::MissingReason {
                kind: "renewal",
                choices: RENEWAL_REASONS,
            }),
            ("renewal", Some(r)) => RenewalReason::ALL
                .into_iter()
                .find(|x| x.as_str() == r)
                .map(Self::Renewal)
                .ok_or_else(|| ApplicationTypeError::UnknownReason {
                    kind: "renewal",
                    reason: r.to_owned(),
                    choices: RENEWAL_REASONS,
                }),
            ("reissue", None) => Err(ApplicationTypeError::MissingReason {
                kind: "reissue",
                choices: REISSUE_REASONS,
            }),
            ("reissue", Some(r)) => ReissueReason::ALL
                .into_iter()
                .find(|x| x.as_str() == r)
                .map(Self::Reissue)
                .ok_or_else(|| ApplicationTypeError::UnknownReason {
                    kind: "reissue",
                    reason: r.to_owned(),
                    choices: REISSUE_REASONS,
                }),
            (other, _) => Err(ApplicationTypeError::UnknownType(other.to_owned())),
        }
    }

    /// The identifier used in code, the API and files.
    pub fn kind(self) -> &'static str {
        match self {
            Self::FirstIssuance => "first_issuance",
            Self::CmndSwitch => "cmnd_switch",
            Self::Renewal(_) => "renewal",
            Self::Reissue(_) => "reissue",
        }
    }

    pub fn reason(self) -> Option<&'static str> {
        match self {
            Self::Renewal(r) => Some(r.as_str()),
            Self::Reissue(r) => Some(r.as_str()),
            Self::FirstIssuance | Self::CmndSwitch => None,
        }
    }

    /// The reason in Vietnamese, for papers and pages.
    pub fn reason_vi(self) -> Option<&'static str> {
        match self {
            Self::Renewal(r) => Some(r.vietnamese()),
            Self::Reissue(r) => Some(r.vietnamese()),
            Self::FirstIssuance | Self::CmndSwitch => None,
        }
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::FirstIssuance => "Cấp mới",
            Self::CmndSwitch => "Chuyển từ CMND sang CCCD",
            Self::Renewal(_) => "Đổi thẻ",
            Self::Reissue(_) => "Cấp lại",
        }
    }
}

impl fmt::Display for ApplicationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            Some(r) => write!(f, "{} ({r})", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

/// How an application reached the police.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// At a fixed station.
    Fixed,
    /// At a mobile team's session in a commune (lưu động).
    Mobile,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Mobile => "mobile",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "fixed" => Some(Self::Fixed),
            "mobile" => Some(Self::Mobile),
            _ => None,
        }
    }
}

/// The state of the citizen's current chip card, as intake needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldCard {
    None,
    /// An active card with its expiry (`None`: it never expires).
    Active {
        expiry: Option<Date>,
    },
    /// A card that expired, was reported lost, or was revoked.
    Inactive,
}

/// What intake knows about the citizen when it checks a type.
#[derive(Debug, Clone, Copy)]
pub struct Applicant {
    /// Whether the register's record is official (a draft is reviewed first).
    pub official: bool,
    pub deceased: bool,
    pub birth: PartialDate,
    pub holds_cmnd: bool,
    pub card: HeldCard,
    /// Whether an application of this citizen is still open (not handed over, rejected or cancelled).
    pub open_application: bool,
}

/// Why the chosen type does not fit the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Misfit {
    #[error("the citizen's record is not official yet: finish its review first")]
    NotOfficial,
    #[error("the citizen is recorded as deceased")]
    Deceased,
    #[error("{0}")]
    Validity(#[from] ValidityError),
    #[error("the citizen already holds a valid chip card: choose renewal or reissue")]
    HoldsValidCard,
    #[error("the citizen holds a CMND: choose cmnd_switch")]
    HoldsCmnd,
    #[error("the citizen has no CMND on record to switch from")]
    NoCmnd,
    #[error(
        "the citizen has no chip card to renew or replace: choose first_issuance or cmnd_switch"
    )]
    NoCard,
    #[error("the card's renewal age is more than two years away ({0})")]
    NotYetRenewalAge(Date),
    #[error("the citizen's card never expires: no renewal for age is due")]
    NoRenewalAge,
    #[error("the citizen's card is active: report it lost before a reissue")]
    CardNotLost,
    #[error("the citizen already has an open application")]
    OpenApplication,
}

/// Whether `kind` fits the citizen on the day of intake (Circular 60/2021 Art. 5(1)).
pub fn check_type(kind: ApplicationType, who: &Applicant, today: Date) -> Result<(), Misfit> {
    if !who.official {
        return Err(Misfit::NotOfficial);
    }
    if who.deceased {
        return Err(Misfit::Deceased);
    }
    // Too young under the 2014 law, or born after today: the validity rules say it.
    crate::card::expiry(who.birth, today)?;
    if who.open_application {
        return Err(Misfit::OpenApplication);
    }
    let has_card = !matches!(who.card, HeldCard::None);
    match kind {
        ApplicationType::FirstIssuance => {
            if has_card {
                return Err(Misfit::HoldsValidCard);
            }
            if who.holds_cmnd {
                return Err(Misfit::HoldsCmnd);
            }
        }
        ApplicationType::CmndSwitch => {
            if has_card {
                return Err(Misfit::HoldsValidCard);
            }
            if !who.holds_cmnd {
                return Err(Misfit::NoCmnd);
            }
        }
        ApplicationType::Renewal(reason) => {
            if !has_card {
                return Err(Misfit::NoCard);
            }
            if reason == RenewalReason::RenewalAge
                && let HeldCard::Active { expiry } = who.card
            {
                // Renewal for age opens two years before the renewal birthday, the same
                // window in which a new card would run on to the next renewal age.
                let expiry = expiry.ok_or(Misfit::NoRenewalAge)?;
                let opens = expiry.checked_sub(2.years()).unwrap_or(expiry);
                if today < opens {
                    return Err(Misfit::NotYetRenewalAge(expiry));
                }
            }
        }
        ApplicationType::Reissue(ReissueReason::Lost) => match who.card {
            HeldCard::None => return Err(Misfit::NoCard),
            HeldCard::Active { .. } => return Err(Misfit::CardNotLost),
            HeldCard::Inactive => {}
        },
        ApplicationType::Reissue(ReissueReason::RegainedCitizenship) => {}
    }
    Ok(())
}

/// Where the intake district lies, for the time limit of the 2014 law Art. 25.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Cities and towns: urban districts (quận), provincial cities and towns (thành phố, thị xã).
    Urban,
    /// Mountain, border and island districts.
    Remote,
    Other,
}

/// The area of an intake unit's district for its time limit: a district on the province's
/// list of mountain, border and island districts ([`crate::remote`]) on the intake day is
/// remote; an urban district, a town or a provincial city is urban (a city is a city even
/// on an island, Art. 25 names cities first); the rest is other. A unit above the
/// districts (a PC06) counts as other.
pub fn area_of_district(kind: Option<crate::AdminKind>, listed_remote: bool) -> Area {
    use crate::AdminKind as K;
    match kind {
        Some(K::UrbanDistrict | K::Town | K::ProvincialCity) => Area::Urban,
        _ if listed_remote => Area::Remote,
        _ => Area::Other,
    }
}

/// The number of working days within which the card is due (2014 law Art. 25; from
/// 1 July 2024 the 2023 law Art. 26: seven working days everywhere).
pub fn due_working_days(kind: ApplicationType, area: Area, intake: Date) -> u16 {
    if intake >= LAW_2023_IN_FORCE {
        return 7;
    }
    match (area, kind) {
        (Area::Remote, _) => 20,
        (Area::Urban, ApplicationType::Reissue(_)) => 15,
        (Area::Urban, _) => 7,
        (Area::Other, _) => 15,
    }
}

/// Age in completed years on `today` for a partial birth date (latest possible day, as in
/// [`crate::card`]).
pub fn age(birth: PartialDate, today: Date) -> i16 {
    age_on(birth.latest(), today)
}

/// The states of an application (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    Received,
    Verified,
    Approved,
    InProduction,
    Produced,
    Dispatched,
    ReadyForPickup,
    HandedOver,
    NeedsCorrection,
    Rejected,
    Cancelled,
}

impl ApplicationState {
    pub const ALL: [Self; 11] = [
        Self::Received,
        Self::Verified,
        Self::Approved,
        Self::InProduction,
        Self::Produced,
        Self::Dispatched,
        Self::ReadyForPickup,
        Self::HandedOver,
        Self::NeedsCorrection,
        Self::Rejected,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Verified => "verified",
            Self::Approved => "approved",
            Self::InProduction => "in_production",
            Self::Produced => "produced",
            Self::Dispatched => "dispatched",
            Self::ReadyForPickup => "ready_for_pickup",
            Self::HandedOver => "handed_over",
            Self::NeedsCorrection => "needs_correction",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No transition leaves these.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::HandedOver | Self::Rejected | Self::Cancelled)
    }

    /// Whether the card is still owed to the citizen, so the due date matters.
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::Received => "Đã tiếp nhận",
            Self::Verified => "Đã kiểm tra",
            Self::Approved => "Đã phê duyệt",
            Self::InProduction => "Đang sản xuất",
            Self::Produced => "Đã in thẻ",
            Self::Dispatched => "Đã chuyển phát",
            Self::ReadyForPickup => "Chờ trả thẻ",
            Self::HandedOver => "Đã trả thẻ",
            Self::NeedsCorrection => "Cần bổ sung",
            Self::Rejected => "Từ chối",
            Self::Cancelled => "Đã hủy",
        }
    }
}

impl fmt::Display for ApplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step an officer takes on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Verify,
    Approve,
    StartProduction,
    Produce,
    Dispatch,
    Receive,
    HandOver,
    RequestCorrection,
    Resubmit,
    Reject,
    Cancel,
}

/// Why a transition is refused; each has a stable code for the API.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("an application that is {from} cannot be {action}")]
    Illegal {
        from: ApplicationState,
        action: &'static str,
    },
    #[error("the role {role} may not {action} an application (allowed: {allowed})")]
    WrongRole {
        role: &'static str,
        action: &'static str,
        allowed: String,
    },
    #[error("{action} needs a reason")]
    ReasonRequired { action: &'static str },
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Illegal { .. } => "illegal_transition",
            Self::WrongRole { .. } => "role_not_allowed",
            Self::ReasonRequired { .. } => "reason_required",
        }
    }
}

impl Action {
    pub const ALL: [Self; 11] = [
        Self::Verify,
        Self::Approve,
        Self::StartProduction,
        Self::Produce,
        Self::Dispatch,
        Self::Receive,
        Self::HandOver,
        Self::RequestCorrection,
        Self::Resubmit,
        Self::Reject,
        Self::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Approve => "approve",
            Self::StartProduction => "start_production",
            Self::Produce => "produce",
            Self::Dispatch => "dispatch",
            Self::Receive => "receive",
            Self::HandOver => "hand_over",
            Self::RequestCorrection => "request_correction",
            Self::Resubmit => "resubmit",
            Self::Reject => "reject",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The state this action leads to from `from`, if it may be taken there.
    pub fn target(self, from: ApplicationState) -> Option<ApplicationState> {
        use ApplicationState as S;
        let to = match (self, from) {
            (Self::Verify, S::Received) => S::Verified,
            (Self::Approve, S::Verified) => S::Approved,
            (Self::StartProduction, S::Approved) => S::InProduction,
            (Self::Produce, S::InProduction) => S::Produced,
            (Self::Dispatch, S::Produced) => S::Dispatched,
            (Self::Receive, S::Dispatched) => S::ReadyForPickup,
            (Self::HandOver, S::ReadyForPickup) => S::HandedOver,
            (Self::RequestCorrection, S::Received | S::Verified) => S::NeedsCorrection,
            (Self::Resubmit, S::NeedsCorrection) => S::Received,
            (Self::Reject, S::Received | S::Verified | S::Approved) => S::Rejected,
            (Self::Cancel, S::Received | S::Verified | S::NeedsCorrection) => S::Cancelled,
            _ => return None,
        };
        Some(to)
    }

    /// Who may take this step (DESIGN §4: district verifies, province approves, the
    /// production centre produces and dispatches, district receives and hands over).
    pub fn roles(self) -> &'static [Role] {
        use Role as R;
        match self {
            Self::Verify => &[R::DistrictOfficer],
            Self::Approve => &[R::ProvinceOfficer],
            Self::StartProduction | Self::Produce | Self::Dispatch => &[R::ProductionOperator],
            Self::Receive | Self::HandOver => &[R::DistrictOfficer],
            // Whoever checks the file may send it back or refuse it.
            Self::RequestCorrection | Self::Reject => &[R::DistrictOfficer, R::ProvinceOfficer],
            // The intake side mends or withdraws the file.
            Self::Resubmit | Self::Cancel => &[R::CommuneOfficer, R::DistrictOfficer],
        }
    }

    /// The steps `role` may take on an application in state `from`, in [`Action::ALL`]'s
    /// order: the buttons an officer's application page offers.
    pub fn open_to(role: Role, from: ApplicationState) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|a| a.roles().contains(&role) && a.target(from).is_some())
            .collect()
    }

    /// The step's name on the console and in the audit trail's Vietnamese.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::Verify => "Kiểm tra xong",
            Self::Approve => "Phê duyệt",
            Self::StartProduction => "Đưa vào sản xuất",
            Self::Produce => "Đã in thẻ",
            Self::Dispatch => "Chuyển phát",
            Self::Receive => "Nhận thẻ tại nơi tiếp nhận",
            Self::HandOver => "Trả thẻ cho công dân",
            Self::RequestCorrection => "Yêu cầu bổ sung",
            Self::Resubmit => "Gửi lại sau bổ sung",
            Self::Reject => "Từ chối",
            Self::Cancel => "Hủy hồ sơ",
        }
    }

    /// The step's name in English, for `?lang=en`.
    pub fn english(self) -> &'static str {
        match self {
            Self::Verify => "Verify",
            Self::Approve => "Approve",
            Self::StartProduction => "Start production",
            Self::Produce => "Produced",
            Self::Dispatch => "Dispatch",
            Self::Receive => "Receive at the station",
            Self::HandOver => "Hand over to the citizen",
            Self::RequestCorrection => "Ask for correction",
            Self::Resubmit => "Resubmit after correction",
            Self::Reject => "Reject",
            Self::Cancel => "Cancel",
        }
    }

    /// Whether the step ends the application, from whatever state it is taken
    /// (hand-over, rejection, cancellation): nothing can be done with it afterwards.
    pub fn ends_application(self) -> bool {
        matches!(self, Self::HandOver | Self::Reject | Self::Cancel)
    }

    /// Steps that change the citizen's prospects need a written reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::RequestCorrection | Self::Reject | Self::Cancel)
    }

    /// Whether `role` may take this step and, where one is needed, a reason is given:
    /// everything about a step that does not depend on the application's state.
    pub fn check_actor(self, role: Role, reason: Option<&str>) -> Result<(), TransitionError> {
        if !self.roles().contains(&role) {
            return Err(TransitionError::WrongRole {
                role: role.as_str(),
                action: self.as_str(),
                allowed: self
                    .roles()
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if self.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(TransitionError::ReasonRequired {
                action: self.as_str(),
            });
        }
        Ok(())
    }

    /// Checks everything the domain knows about a step and returns the new state.
    pub fn apply(
        self,
        from: ApplicationState,
        role: Role,
        reason: Option<&str>,
    ) -> Result<ApplicationState, TransitionError> {
        self.check_actor(role, reason)?;
        self.target(from).ok_or(TransitionError::Illegal {
            from,
            action: self.past_participle(),
        })
    }

    fn past_participle(self) -> &'static str {
        match self {
            Self::Verify => "verified",
            Self::Approve => "approved",
            Self::StartProduction => "put into production",
            Self::Produce => "produced",
            Self::Dispatch => "dispatched",
            Self::Receive => "received from production",
            Self::HandOver => "handed over",
            Self::RequestCorrection => "sent back for correction",
            Self::Resubmit => "resubmitted",
            Self::Reject => "rejected",
            Self::Cancel => "cancelled",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;
    use ApplicationState as S;
    use jiff::civil::date;

    #[test]
    fn each_role_is_offered_the_steps_it_may_take_from_a_state() {
        assert_eq!(
            Action::open_to(Role::DistrictOfficer, S::Received),
            [
                Action::Verify,
                Action::RequestCorrection,
                Action::Reject,
                Action::Cancel
            ]
        );
        assert_eq!(
            Action::open_to(Role::CommuneOfficer, S::NeedsCorrection),
            [Action::Resubmit, Action::Cancel]
        );
        assert_eq!(
            Action::open_to(Role::DistrictOfficer, S::ReadyForPickup),
            [Action::HandOver]
        );
        assert!(Action::open_to(Role::CommuneOfficer, S::Received).contains(&Action::Cancel));
        assert!(Action::open_to(Role::Auditor, S::Received).is_empty());
        // The steps that end an application lead to a final state from every state.
        for action in Action::ALL {
            let targets: Vec<S> = S::ALL
                .into_iter()
                .filter_map(|f| action.target(f))
                .collect();
            assert_eq!(
                action.ends_application(),
                targets.iter().all(|t| t.is_terminal()),
                "{action:?}"
            );
        }
        // Every step offered is one the domain then allows.
        for role in Role::ALL {
            for from in S::ALL {
                for action in Action::open_to(role, from) {
                    let reason = action.needs_reason().then_some("lý do");
                    assert!(
                        action.apply(from, role, reason).is_ok(),
                        "{action:?} {from:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_happy_path_runs_from_intake_to_handover_with_the_right_roles() {
        let steps = [
            (Action::Verify, Role::DistrictOfficer, S::Verified),
            (Action::Approve, Role::ProvinceOfficer, S::Approved),
            (
                Action::StartProduction,
                Role::ProductionOperator,
                S::InProduction,
            ),
            (Action::Produce, Role::ProductionOperator, S::Produced),
            (Action::Dispatch, Role::ProductionOperator, S::Dispatched),
            (Action::Receive, Role::DistrictOfficer, S::ReadyForPickup),
            (Action::HandOver, Role::DistrictOfficer, S::HandedOver),
        ];
        let mut state = S::Received;
        for (action, role, expected) in steps {
            state = action.apply(state, role, None).unwrap();
            assert_eq!(state, expected);
        }
        assert!(state.is_terminal());
    }

    #[test]
    fn every_pair_outside_the_diagram_is_refused() {
        let allowed = [
            (S::Received, Action::Verify),
            (S::Verified, Action::Approve),
            (S::Approved, Action::StartProduction),
            (S::InProduction, Action::Produce),
            (S::Produced, Action::Dispatch),
            (S::Dispatched, Action::Receive),
            (S::ReadyForPickup, Action::HandOver),
            (S::Received, Action::RequestCorrection),
            (S::Verified, Action::RequestCorrection),
            (S::NeedsCorrection, Action::Resubmit),
            (S::Received, Action::Reject),
            (S::Verified, Action::Reject),
            (S::Approved, Action::Reject),
            (S::Received, Action::Cancel),
            (S::Verified, Action::Cancel),
            (S::NeedsCorrection, Action::Cancel),
        ];
        for from in S::ALL {
            for action in Action::ALL {
                let role = action.roles().first().copied().unwrap();
                let result = action.apply(from, role, Some("lý do"));
                if allowed.contains(&(from, action)) {
                    assert!(result.is_ok(), "{from} {action}");
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err.code(), "illegal_transition", "{from} {action}");
                }
            }
        }
    }

    #[test]
    fn the_wrong_role_and_a_missing_reason_are_refused() {
        let e = Action::Approve
            .apply(S::Verified, Role::DistrictOfficer, None)
            .unwrap_err();
        assert_eq!(e.code(), "role_not_allowed");
        assert!(e.to_string().contains("province_officer"));
        assert!(
            Action::Verify
                .apply(S::Received, Role::Admin, None)
                .is_err()
        );
        let e = Action::Reject
            .apply(S::Received, Role::DistrictOfficer, Some("  "))
            .unwrap_err();
        assert_eq!(e.code(), "reason_required");
    }

    #[test]
    fn types_parse_with_their_reasons() {
        assert_eq!(
            ApplicationType::parse("renewal", Some("renewal_age")),
            Ok(ApplicationType::Renewal(RenewalReason::RenewalAge))
        );
        assert_eq!(
            ApplicationType::parse("first_issuance", Some("")),
            Ok(ApplicationType::FirstIssuance)
        );
        assert!(matches!(
            ApplicationType::parse("reissue", None),
            Err(ApplicationTypeError::MissingReason { .. })
        ));
        assert!(matches!(
            ApplicationType::parse("renewal", Some("bored")),
            Err(ApplicationTypeError::UnknownReason { .. })
        ));
        assert!(ApplicationType::parse("cmnd_switch", Some("lost")).is_err());
        assert!(ApplicationType::parse("passport", None).is_err());
    }

    fn applicant(birth: &str, cmnd: bool, card: HeldCard) -> Applicant {
        Applicant {
            official: true,
            deceased: false,
            birth: PartialDate::parse(birth).unwrap(),
            holds_cmnd: cmnd,
            card,
            open_application: false,
        }
    }

    #[test]
    fn intake_refuses_a_type_that_does_not_fit() {
        let day = date(2021, 3, 16);
        let active = HeldCard::Active {
            expiry: Some(date(2038, 3, 16)),
        };
        let first = ApplicationType::FirstIssuance;
        assert_eq!(
            check_type(first, &applicant("01/01/1990", false, active), day),
            Err(Misfit::HoldsValidCard)
        );
        assert_eq!(
            check_type(first, &applicant("01/01/1990", true, HeldCard::None), day),
            Err(Misfit::HoldsCmnd)
        );
        assert!(check_type(first, &applicant("16/03/2007", false, HeldCard::None), day).is_ok());
        // Thirteen before 1 July 2024: refused whatever the type.
        assert!(matches!(
            check_type(first, &applicant("17/03/2007", false, HeldCard::None), day),
            Err(Misfit::Validity(ValidityError::TooYoung { age: 13 }))
        ));
        // From 1 July 2024 a child may get a card.
        assert!(
            check_type(
                first,
                &applicant("01/01/2020", false, HeldCard::None),
                date(2024, 7, 1)
            )
            .is_ok()
        );
        let switch = ApplicationType::CmndSwitch;
        assert_eq!(
            check_type(switch, &applicant("01/01/1990", false, HeldCard::None), day),
            Err(Misfit::NoCmnd)
        );
        let age = ApplicationType::Renewal(RenewalReason::RenewalAge);
        assert_eq!(
            check_type(age, &applicant("01/01/1990", false, active), day),
            Err(Misfit::NotYetRenewalAge(date(2038, 3, 16)))
        );
        let soon = HeldCard::Active {
            expiry: Some(date(2022, 6, 1)),
        };
        assert!(check_type(age, &applicant("01/06/1997", false, soon), day).is_ok());
        let lost = ApplicationType::Reissue(ReissueReason::Lost);
        assert_eq!(
            check_type(lost, &applicant("01/01/1990", false, active), day),
            Err(Misfit::CardNotLost)
        );
        assert!(
            check_type(
                lost,
                &applicant("01/01/1990", false, HeldCard::Inactive),
                day
            )
            .is_ok()
        );
        let mut open = applicant("01/01/1990", true, HeldCard::None);
        open.open_application = true;
        assert_eq!(check_type(switch, &open, day), Err(Misfit::OpenApplication));
        let mut dead = applicant("01/01/1990", true, HeldCard::None);
        dead.deceased = true;
        assert_eq!(check_type(switch, &dead, day), Err(Misfit::Deceased));
        let mut draft = applicant("01/01/1990", true, HeldCard::None);
        draft.official = false;
        assert_eq!(check_type(switch, &draft, day), Err(Misfit::NotOfficial));
    }

    #[test]
    fn listed_districts_are_remote_and_cities_urban() {
        use crate::AdminKind as K;
        assert_eq!(area_of_district(Some(K::RuralDistrict), true), Area::Remote);
        // Phú Quốc became a city on an island: a city's time limit.
        assert_eq!(area_of_district(Some(K::ProvincialCity), true), Area::Urban);
        assert_eq!(
            area_of_district(Some(K::ProvincialCity), false),
            Area::Urban
        );
        assert_eq!(area_of_district(Some(K::RuralDistrict), false), Area::Other);
        assert_eq!(area_of_district(None, false), Area::Other);
    }

    #[test]
    fn time_limits_follow_area_type_and_law() {
        let before = date(2021, 3, 16);
        let reissue = ApplicationType::Reissue(ReissueReason::Lost);
        assert_eq!(
            due_working_days(ApplicationType::FirstIssuance, Area::Urban, before),
            7
        );
        assert_eq!(due_working_days(reissue, Area::Urban, before), 15);
        assert_eq!(
            due_working_days(ApplicationType::CmndSwitch, Area::Other, before),
            15
        );
        assert_eq!(
            due_working_days(ApplicationType::CmndSwitch, Area::Remote, before),
            20
        );
        assert_eq!(due_working_days(reissue, Area::Remote, date(2024, 7, 1)), 7);
    }
}
