//! The JSON shapes of campaigns, quotas and progress reports.

use cancuoc_domain::campaign::{ProgressReport, ProgressRow, Status};
use cancuoc_store::{Campaign, Quota};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CampaignRequest {
    #[schema(example = "Cấp CCCD gắn chip 2021")]
    pub name: String,
    /// First day, YYYY-MM-DD.
    #[schema(
        example = "2021-03-01",
        pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub start: String,
    /// Last day, YYYY-MM-DD.
    #[schema(
        example = "2021-06-30",
        pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    /// The police unit that runs it (`BCA` national, `CAT-42` a province's): the creator's
    /// level; quotas go to it and the units under it.
    #[schema(example = "CAT-42")]
    pub unit: String,
    #[schema(example = "2021-03-01")]
    pub start: String,
    #[schema(example = "2021-06-30")]
    pub end: String,
    pub created_by: String,
}

impl From<Campaign> for CampaignDto {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name,
            unit: c.unit,
            start: c.period.start.to_string(),
            end: c.period.end.to_string(),
            created_by: c.created_by,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SplitDto {
    /// The same share for every child unit (the remainder to the first ones).
    Equal,
    /// In proportion to each child unit's eligible population on the campaign's first day.
    Eligible,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuotaRequest {
    /// Target for the whole period.
    #[schema(example = 1_000_000, maximum = 200_000_000)]
    pub total: u64,
    /// Target per day, at most the total.
    #[schema(example = 8_400, maximum = 200_000_000)]
    pub daily: Option<u64>,
    /// Share the targets among the units under this one, so that they add up exactly.
    pub split: Option<SplitDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuotaDto {
    #[schema(example = "CAH-445")]
    pub unit: String,
    pub total: u64,
    pub daily: Option<u64>,
}

impl From<Quota> for QuotaDto {
    fn from(q: Quota) -> Self {
        Self {
            unit: q.unit,
            total: q.total,
            daily: q.daily,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// Police unit code (default: the caller's own unit).
    #[param(pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$")]
    pub unit: Option<String>,
    /// YYYY-MM-DD (default: today in Vietnam).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub date: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DailyReportQuery {
    #[param(pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$")]
    pub unit: Option<String>,
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub date: Option<String>,
    /// `pdf` (default) or `xlsx`.
    #[param(pattern = "^(pdf|xlsx)$")]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusDto {
    OnTrack,
    AtRisk,
    Behind,
}

/// One unit's line; the same keys as `cancuoc report progress --format json`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgressRowDto {
    #[schema(example = "CAH-445")]
    pub unit_code: String,
    #[schema(example = "Công an huyện Thạch Hà")]
    pub unit_name: String,
    pub intake_day: u64,
    pub intake_period: u64,
    pub target_total: Option<u64>,
    pub target_daily: Option<u64>,
    /// Intake over the period ÷ period target, in percent, one decimal.
    #[schema(example = 107.4)]
    pub progress_pct: Option<f64>,
    /// Intake on the day ÷ daily target, in percent, one decimal.
    #[schema(example = 119.7)]
    pub daily_pct: Option<f64>,
    /// Among the sibling units by progress (1 = best; ties share a rank).
    pub rank: Option<u32>,
    /// Among the sibling units by the day's achievement.
    pub daily_rank: Option<u32>,
    /// Living Vietnamese citizens aged 14 or more without a valid card or an open application.
    pub eligible: Option<u64>,
    pub coverage_pct: Option<f64>,
    /// Mean intake per day over the last 7 days of the period.
    pub pace_7d: f64,
    /// The day the target was or will be reached at that pace.
    #[schema(example = "2021-06-12")]
    pub projected_completion: Option<String>,
    /// Intake per day still needed to finish by the period's end.
    pub daily_needed: Option<u64>,
    pub status: Option<StatusDto>,
    pub met_daily: Option<bool>,
}

impl From<&ProgressRow> for ProgressRowDto {
    fn from(r: &ProgressRow) -> Self {
        Self {
            unit_code: r.unit_code.to_string(),
            unit_name: r.unit_name.clone(),
            intake_day: r.intake_day,
            intake_period: r.intake_period,
            target_total: r.target_total,
            target_daily: r.target_daily,
            progress_pct: r.progress_pct.map(|t| t.as_f64()),
            daily_pct: r.daily_pct.map(|t| t.as_f64()),
            rank: r.rank,
            daily_rank: r.daily_rank,
            eligible: r.eligible,
            coverage_pct: r.coverage_pct.map(|t| t.as_f64()),
            pace_7d: r.pace_7d,
            projected_completion: r.projected_completion.map(|d| d.to_string()),
            daily_needed: r.daily_needed,
            status: r.status.map(|s| match s {
                Status::OnTrack => StatusDto::OnTrack,
                Status::AtRisk => StatusDto::AtRisk,
                Status::Behind => StatusDto::Behind,
            }),
            met_daily: r.met_daily,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PeriodDto {
    pub start: String,
    pub end: String,
}

/// A unit and its children on a date: `rows[0]` is the unit, then its children.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgressReportDto {
    pub campaign: String,
    pub period: PeriodDto,
    #[schema(example = "2021-03-16")]
    pub date: String,
    pub rows: Vec<ProgressRowDto>,
}

impl From<&ProgressReport> for ProgressReportDto {
    fn from(r: &ProgressReport) -> Self {
        Self {
            campaign: r.campaign.clone(),
            period: PeriodDto {
                start: r.period.start.to_string(),
                end: r.period.end.to_string(),
            },
            date: r.date.to_string(),
            rows: r.rows().map(ProgressRowDto::from).collect(),
        }
    }
}
