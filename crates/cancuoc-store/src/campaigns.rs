//! Campaigns, quotas and the intake counted per unit and day.

use cancuoc_domain::campaign::Period;
use cancuoc_domain::{AdminCode, AdminLevel};
use jiff::civil::Date;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    /// The police unit that runs it: `BCA` for a national campaign, `CAT-42` for a
    /// province's; quotas are set for it and the units under it only.
    pub unit: String,
    pub period: Period,
    pub created_by: String,
    pub created_micros: i64,
}

/// A police unit's targets in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub unit: String,
    pub total: u64,
    pub daily: Option<u64>,
}

/// Applications received by a unit (and the units under it) on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeCount {
    pub unit: String,
    pub day: Date,
    pub received: u64,
}

/// A unit and day where the kept count and a recount from the applications differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeMismatch {
    pub unit: String,
    pub day: String,
    pub kept: u64,
    pub recounted: u64,
}

/// A place of residence where the kept eligible count and a recount of the register
/// differ (`""` for a level not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleMismatch {
    pub province: String,
    pub district: String,
    pub commune: String,
    pub kept: i64,
    pub recounted: u64,
}

/// What a recount of the kept eligible counts found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleCheck {
    /// The day the counts are kept for; `None` while they are not kept yet.
    pub day: Option<jiff::civil::Date>,
    /// Places of residence with a count.
    pub places: u64,
    pub mismatches: Vec<EligibleMismatch>,
}

/// What bringing the kept eligible counts to a day did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibleAdvance {
    /// The day they were kept for before; `None` when they were not kept.
    pub from: Option<jiff::civil::Date>,
    pub to: jiff::civil::Date,
    /// Counted from the whole register (first time, or the clock went back) rather than
    /// from the people whose birthday or card expiry fell between the two days.
    pub recounted: bool,
    /// People counted in or out by the change of day (net, per place, summed).
    pub moved: u64,
}

/// Which citizens an eligible-population count covers, and how it is grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibleQuery {
    /// The area counted; `None` for the whole country.
    pub within: Option<AdminCode>,
    /// The level of the groups: by province, district or commune of residence.
    pub group_by: AdminLevel,
    pub on: Date,
}

/// Synthetic applications for a benchmark at national scale: `count` rows numbered from
/// `first`, spread evenly over `units` and `days`, already handed over and with no
/// citizen behind them.
#[derive(Debug, Clone)]
pub struct SyntheticApplications {
    pub first: u64,
    pub count: u64,
    /// Intake unit code with its province and district.
    pub units: Vec<(String, String, Option<String>)>,
    pub days: Vec<Date>,
}

/// A place's intake found by scanning the applications: on the day and over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedIntake {
    pub place: String,
    pub on_day: u64,
    pub in_period: u64,
}
