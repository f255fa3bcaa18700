//! Campaign steering (DESIGN §5): targets split among child units, and each unit's
//! progress, rank and forecast, computed from its intake per day. The counts come in
//! from the store; nothing here reads them.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::Date;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::PoliceUnitCode;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CampaignError {
    #[error("the campaign ends ({end}) before it starts ({start})")]
    EndsBeforeStart { start: Date, end: Date },
    #[error("the campaign name is empty")]
    EmptyName,
    #[error("the daily target ({daily}) is larger than the period target ({total})")]
    DailyAboveTotal { daily: u64, total: u64 },
    #[error("a target of {0} people is more than the country holds (at most {MAX_TARGET})")]
    TooLarge(u64),
}

/// The largest target a unit may have: about twice Vietnam's population.
pub const MAX_TARGET: u64 = 200_000_000;

/// A campaign's days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn new(start: Date, end: Date) -> Result<Self, CampaignError> {
        if end < start {
            return Err(CampaignError::EndsBeforeStart { start, end });
        }
        Ok(Self { start, end })
    }

    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }
}

/// A unit's targets: for the whole period and, optionally, per day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Targets {
    pub total: Option<u64>,
    pub daily: Option<u64>,
}

impl Targets {
    pub fn new(total: u64, daily: Option<u64>) -> Result<Self, CampaignError> {
        if total > MAX_TARGET {
            return Err(CampaignError::TooLarge(total));
        }
        if let Some(d) = daily
            && d > total
        {
            return Err(CampaignError::DailyAboveTotal { daily: d, total });
        }
        Ok(Self {
            total: Some(total),
            daily,
        })
    }
}

/// How a unit's target is shared among its child units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Equal,
    /// In proportion to each child's eligible population.
    Eligible,
}

impl Split {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "equal" => Some(Self::Equal),
            "eligible" => Some(Self::Eligible),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Equal => "equal",
            Self::Eligible => "eligible",
        }
    }
}

/// Shares `total` out in proportion to `weights` so that the parts add up exactly:
/// each part gets the whole of its exact share, and what is left goes one by one to
/// the largest remainders (Hamilton's method), the earlier index first on a tie. When
/// every weight is zero the split is equal.
pub fn allocate(total: u64, weights: &[u64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let equal;
    let weights = if weights.iter().all(|w| *w == 0) {
        equal = vec![1; weights.len()];
        &equal[..]
    } else {
        weights
    };
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    let total_wide = u128::from(total);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total_wide * u128::from(*w);
        parts.push(u64::try_from(exact / sum).unwrap_or(u64::MAX));
        remainders.push((exact % sum, i));
    }
    let given: u64 = parts.iter().sum();
    let mut left = total - given;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        if let Some(part) = parts.get_mut(i) {
            *part += 1;
            left -= 1;
        }
    }
    parts
}

/// `part / whole`, compared exactly (by cross-multiplication), never through floats.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    pub part: u64,
    pub whole: u64,
}

impl Ratio {
    /// `None` when there is nothing to divide by.
    pub fn new(part: u64, whole: u64) -> Option<Self> {
        (whole > 0).then_some(Self { part, whole })
    }

    pub fn tenths(&self) -> Tenths {
        // Per mille, rounded half up: 9,020 / 8,400 = 1.07381 → 1074 → 107,4%.
        let scaled = u128::from(self.part) * 1000 * 2 + u128::from(self.whole);
        let value = scaled / (u128::from(self.whole) * 2);
        Tenths(u64::try_from(value).unwrap_or(u64::MAX))
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ratio {}
impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        (u128::from(self.part) * u128::from(other.whole))
            .cmp(&(u128::from(other.part) * u128::from(self.whole)))
    }
}

/// A percentage in tenths of a percent: `Tenths(1074)` is 107,4%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tenths(pub u64);

impl Tenths {
    /// The number with one decimal, for JSON and spreadsheets.
    pub fn as_f64(&self) -> f64 {
        self.0 as f64 / 10.0
    }

    /// Vietnamese style, as officers read it: `107,4%`, `1.250,0%`.
    pub fn vi(&self) -> String {
        format!("{},{}%", group_thousands(self.0 / 10, '.'), self.0 % 10)
    }

    /// English style: `107.4%`, `1,250.0%`.
    pub fn en(&self) -> String {
        format!("{}.{}%", group_thousands(self.0 / 10, ','), self.0 % 10)
    }
}

impl Serialize for Tenths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

/// `9020` → `9.020` (Vietnamese) or `9,020` (English).
pub fn group_thousands(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// Where a unit stands against its period target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target is reached, or will be by the end at the last week's pace.
    OnTrack,
    /// Late at the last week's pace, but within a fifth of the pace it needs.
    AtRisk,
    /// Below four fifths of the pace it needs, or no intake in the last week.
    Behind,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OnTrack => "on_track",
            Self::AtRisk => "at_risk",
            Self::Behind => "behind",
        }
    }
    pub fn vi(&self) -> &'static str {
        match self {
            Self::OnTrack => "Đúng tiến độ",
            Self::AtRisk => "Có nguy cơ chậm",
            Self::Behind => "Chậm tiến độ",
        }
    }
}

/// The age from which a citizen must hold a card (2014 law Art. 19).
pub const CARD_AGE: i16 = 14;

/// The latest birth date of someone who is [`CARD_AGE`] or older on `on`. A 29 February
/// birthday is reached on 28 February in common years (Civil Code 2015 Art. 148), as for
/// card validity.
pub fn eligibility_cutoff(on: Date) -> Option<Date> {
    let year = on.year().checked_sub(CARD_AGE)?;
    if on.month() == 2
        && on.day() == 28
        && !on.in_leap_year()
        && let Ok(leap_day) = Date::new(year, 2, 29)
    {
        return Some(leap_day);
    }
    // 29 February of a leap year looks back to a common year: the 28th is the last day.
    Date::new(year, on.month(), on.day())
        .or_else(|_| Date::new(year, on.month(), on.day() - 1))
        .ok()
}

/// The days the pace is averaged over.
pub const PACE_DAYS: i64 = 7;

/// A unit's figures on a date, from its intake per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub intake_day: u64,
    pub intake_period: u64,
    pub progress: Option<Ratio>,
    pub daily: Option<Ratio>,
    /// Mean intake per day over the last [`PACE_DAYS`] days of the period up to the
    /// date (fewer at the start), in tenths of an application.
    pub pace_tenths: u64,
    /// The day the period target was or will be reached at that pace.
    pub projected_completion: Option<Date>,
    /// The intake per day still needed to reach the target by the period's end.
    pub daily_needed: Option<u64>,
    pub status: Option<Status>,
}

/// Computes a unit's progress on `date`. `intake` is its count per day; days outside the
/// period are ignored, and a date after the period is read as its last day.
pub fn progress(period: &Period, date: Date, targets: Targets, intake: &[(Date, u64)]) -> Progress {
    let on = |day: Date| -> u64 {
        intake
            .iter()
            .filter(|(d, _)| *d == day)
            .map(|(_, n)| *n)
            .sum()
    };
    let intake_day = if period.contains(date) { on(date) } else { 0 };
    let daily = targets.daily.and_then(|t| Ratio::new(intake_day, t));
    if date < period.start {
        return Progress {
            intake_day,
            intake_period: 0,
            progress: targets.total.and_then(|t| Ratio::new(0, t)),
            daily,
            pace_tenths: 0,
            projected_completion: None,
            daily_needed: targets
                .total
                .map(|t| per_day(t, days_between(period.start, period.end) + 1)),
            status: None,
        };
    }
    let last = date.min(period.end);
    let mut days: Vec<(Date, u64)> = intake
        .iter()
        .copied()
        .filter(|(d, _)| period.start <= *d && *d <= last)
        .collect();
    days.sort_by_key(|(d, _)| *d);
    let intake_period: u64 = days.iter().map(|(_, n)| n).sum();

    let window_start = last
        .checked_sub(jiff::Span::new().days(PACE_DAYS - 1))
        .unwrap_or(period.start)
        .max(period.start);
    let window_days = u64::try_from(days_between(window_start, last) + 1).unwrap_or(1);
    let window_sum: u64 = days
        .iter()
        .filter(|(d, _)| *d >= window_start)
        .map(|(_, n)| n)
        .sum();
    let pace_tenths = (window_sum * 10 * 2 + window_days) / (window_days * 2);

    let Some(total) = targets.total else {
        return Progress {
            intake_day,
            intake_period,
            progress: None,
            daily,
            pace_tenths,
            projected_completion: None,
            daily_needed: None,
            status: None,
        };
    };
    let progress = Ratio::new(intake_period, total);
    if intake_period >= total {
        let mut running = 0;
        let reached = days.iter().find_map(|(d, n)| {
            running += n;
            (running >= total).then_some(*d)
        });
        return Progress {
            intake_day,
            intake_period,
            progress,
            daily,
            pace_tenths,
            projected_completion: reached.or(Some(period.start)),
            daily_needed: Some(0),
            status: Some(Status::OnTrack),
        };
    }
    let remaining = total - intake_period;
    let days_left = days_between(last, period.end);
    let daily_needed = per_day(remaining, days_left);
    let projected_completion = (window_sum > 0)
        .then(|| {
            // remaining ÷ (window_sum / window_days), rounded up to whole days.
            let to_go =
                (u128::from(remaining) * u128::from(window_days)).div_ceil(u128::from(window_sum));
            i64::try_from(to_go).ok().and_then(|n| {
                last.checked_add(jiff::Span::new().days(n.min(365 * 100)))
                    .ok()
            })
        })
        .flatten();
    let status = match projected_completion {
        Some(day) if day <= period.end => Status::OnTrack,
        // Pace within a fifth of what is needed: 10 × sum ≥ 8 × needed × days.
        _ if window_sum > 0
            && u128::from(window_sum) * 10
                >= u128::from(daily_needed) * 8 * u128::from(window_days) =>
        {
            Status::AtRisk
        }
        _ => Status::Behind,
    };
    Progress {
        intake_day,
        intake_period,
        progress,
        daily,
        pace_tenths,
        projected_completion,
        daily_needed: Some(daily_needed),
        status: Some(status),
    }
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map_or(0, |s| i64::from(s.get_days()))
}

/// `remaining` spread over `days`, rounded up; all of it when no day is left.
fn per_day(remaining: u64, days: i64) -> u64 {
    match u64::try_from(days) {
        Ok(d) if d > 0 => remaining.div_ceil(d),
        _ => remaining,
    }
}

/// Competition ranking ("1224"), highest first; units without a value are not ranked.
pub fn rank<K: Ord>(keys: &[Option<K>]) -> Vec<Option<u32>> {
    keys.iter()
        .map(|key| {
            key.as_ref().map(|k| {
                let above = keys.iter().flatten().filter(|other| *other > k).count();
                u32::try_from(above + 1).unwrap_or(u32::MAX)
            })
        })
        .collect()
}

/// One unit's line in a progress report, in the shape the CLI and the API print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressRow {
    pub unit_code: PoliceUnitCode,
    pub unit_name: String,
    pub intake_day: u64,
    pub intake_period: u64,
    pub target_total: Option<u64>,
    pub target_daily: Option<u64>,
    pub progress_pct: Option<Tenths>,
    pub daily_pct: Option<Tenths>,
    /// Among the sibling units, by progress over the period.
    pub rank: Option<u32>,
    /// Among the sibling units, by the day's intake against the daily target.
    pub daily_rank: Option<u32>,
    pub eligible: Option<u64>,
    /// Intake over the period ÷ (that intake + the eligible still without a card).
    pub coverage_pct: Option<Tenths>,
    pub pace_7d: f64,
    pub projected_completion: Option<Date>,
    pub daily_needed: Option<u64>,
    pub status: Option<Status>,
    /// Whether the day's intake reached the daily target.
    pub met_daily: Option<bool>,
}

impl ProgressRow {
    pub fn new(
        unit_code: PoliceUnitCode,
        unit_name: String,
        targets: Targets,
        progress: &Progress,
        eligible: Option<u64>,
    ) -> Self {
        Self {
            unit_code,
            unit_name,
            intake_day: progress.intake_day,
            intake_period: progress.intake_period,
            target_total: targets.total,
            target_daily: targets.daily,
            progress_pct: progress.progress.map(|r| r.tenths()),
            daily_pct: progress.daily.map(|r| r.tenths()),
            rank: None,
            daily_rank: None,
            eligible,
            coverage_pct: eligible
                .and_then(|e| Ratio::new(progress.intake_period, progress.intake_period + e))
                .map(|r| r.tenths()),
            pace_7d: progress.pace_tenths as f64 / 10.0,
            projected_completion: progress.projected_completion,
            daily_needed: progress.daily_needed,
            status: progress.status,
            met_daily: targets.daily.map(|t| progress.intake_day >= t),
        }
    }
}

/// Ranks sibling rows in place, by progress and by the day's achievement. The exact
/// ratios decide, so two units shown with the same rounded percentage can still differ.
pub fn rank_rows(rows: &mut [ProgressRow]) {
    let by_progress: Vec<Option<Ratio>> = rows
        .iter()
        .map(|r| r.target_total.and_then(|t| Ratio::new(r.intake_period, t)))
        .collect();
    let by_day: Vec<Option<Ratio>> = rows
        .iter()
        .map(|r| r.target_daily.and_then(|t| Ratio::new(r.intake_day, t)))
        .collect();
    for (row, (rank, daily_rank)) in rows
        .iter_mut()
        .zip(rank(&by_progress).into_iter().zip(rank(&by_day)))
    {
        row.rank = rank;
        row.daily_rank = daily_rank;
    }
}

/// A unit and its child units on a date. Serialised as `{campaign, period, date, rows}`
/// with the unit's own row first, then its children: the shape of the CLI's JSON and the
/// API's answer alike.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    pub campaign: String,
    pub period: Period,
    pub date: Date,
    pub unit: ProgressRow,
    pub children: Vec<ProgressRow>,
}

impl Serialize for ProgressReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let rows: Vec<&ProgressRow> = self.rows().collect();
        let mut out = s.serialize_struct("ProgressReport", 4)?;
        out.serialize_field("campaign", &self.campaign)?;
        out.serialize_field("period", &self.period)?;
        out.serialize_field("date", &self.date)?;
        out.serialize_field("rows", &rows)?;
        out.end()
    }
}

impl ProgressReport {
    /// The unit's own row, then its children's.
    pub fn rows(&self) -> impl Iterator<Item = &ProgressRow> {
        std::iter::once(&self.unit).chain(&self.children)
    }

    /// The children as the daily report lists them: by the day's achievement, best first,
    /// units without a daily target last, then by code.
    pub fn daily_order(&self) -> Vec<&ProgressRow> {
        let mut rows: Vec<&ProgressRow> = self.children.iter().collect();
        rows.sort_by(|a, b| {
            let key = |r: &ProgressRow| r.target_daily.and_then(|t| Ratio::new(r.intake_day, t));
            match (key(a), key(b)) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
            .then_with(|| a.unit_code.cmp(&b.unit_code))
        });
        rows
    }

    /// How many children met their daily target.
    pub fn met_daily(&self) -> usize {
        self.children
            .iter()
            .filter(|r| r.met_daily == Some(true))
            .count()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn percentages_are_rounded_half_up_to_one_decimal() {
        assert_eq!(Ratio::new(9020, 8400).unwrap().tenths().vi(), "107,4%");
        assert_eq!(Ratio::new(718, 600).unwrap().tenths().vi(), "119,7%");
        assert_eq!(Ratio::new(706, 600).unwrap().tenths().vi(), "117,7%");
        assert_eq!(Ratio::new(605, 600).unwrap().tenths().vi(), "100,8%");
        // 1/8 = 12.5% exactly; 1/16 = 6.25% rounds up to 6.3%.
        assert_eq!(Ratio::new(1, 8).unwrap().tenths(), Tenths(125));
        assert_eq!(Ratio::new(1, 16).unwrap().tenths(), Tenths(63));
        assert_eq!(Tenths(12500).vi(), "1.250,0%");
        assert_eq!(Tenths(12500).en(), "1,250.0%");
        assert_eq!(Tenths(1074).as_f64(), 107.4);
        assert!(Ratio::new(1, 0).is_none());
    }

    #[test]
    fn ratios_compare_exactly() {
        // Both show as 66,7%, but 2/3 is more than 667/1000.
        let a = Ratio::new(2, 3).unwrap();
        let b = Ratio::new(667, 1000).unwrap();
        assert_eq!(a.tenths(), b.tenths());
        assert!(b > a);
        assert_eq!(Ratio::new(1, 2), Ratio::new(300, 600));
    }

    #[test]
    fn allocation_adds_up_and_places_the_remainder() {
        assert_eq!(allocate(8400, &[1; 14]), vec![600; 14]);
        assert_eq!(allocate(10, &[1, 1, 1]), vec![4, 3, 3]);
        // 100 by 1:2:3 → 16.67, 33.33, 50: the largest remainder (.67) gets the spare one.
        assert_eq!(allocate(100, &[1, 2, 3]), vec![17, 33, 50]);
        assert_eq!(allocate(7, &[0, 0]), vec![4, 3]);
        assert_eq!(allocate(5, &[0, 3]), vec![0, 5]);
        assert!(allocate(5, &[]).is_empty());
    }

    #[test]
    fn ranking_shares_places_on_ties_and_skips_unranked() {
        assert_eq!(
            rank(&[Some(5), None, Some(9), Some(5), Some(1)]),
            vec![Some(2), None, Some(1), Some(2), Some(4)]
        );
    }

    fn period() -> Period {
        Period::new(date(2021, 3, 1), date(2021, 3, 31)).unwrap()
    }

    #[test]
    fn a_day_of_the_ha_tinh_report() {
        let targets = Targets::new(600 * 31, Some(600)).unwrap();
        let p = progress(
            &period(),
            date(2021, 3, 16),
            targets,
            &[(date(2021, 3, 16), 718)],
        );
        assert_eq!(p.intake_day, 718);
        assert_eq!(p.daily.unwrap().tenths().vi(), "119,7%");
        assert_eq!(p.intake_period, 718);
    }

    #[test]
    fn pace_projection_and_status() {
        let targets = Targets::new(3100, None).unwrap();
        // 100 a day from 1 to 10 March: 1,000 taken, 2,100 to go over 21 days = 100/day.
        let intake: Vec<_> = (1..=10).map(|d| (date(2021, 3, d), 100)).collect();
        let p = progress(&period(), date(2021, 3, 10), targets, &intake);
        assert_eq!(p.intake_period, 1000);
        assert_eq!(p.pace_tenths, 1000);
        assert_eq!(p.daily_needed, Some(100));
        assert_eq!(p.projected_completion, Some(date(2021, 3, 31)));
        assert_eq!(p.status, Some(Status::OnTrack));

        // 90 a day: 2,200 to go needs 105 a day; late, but within a fifth of it.
        let intake: Vec<_> = (1..=10).map(|d| (date(2021, 3, d), 90)).collect();
        let p = progress(&period(), date(2021, 3, 10), targets, &intake);
        assert_eq!(p.status, Some(Status::AtRisk));
        assert!(p.projected_completion.unwrap() > date(2021, 3, 31));

        // 50 a day: behind.
        let intake: Vec<_> = (1..=10).map(|d| (date(2021, 3, d), 50)).collect();
        let p = progress(&period(), date(2021, 3, 10), targets, &intake);
        assert_eq!(p.status, Some(Status::Behind));

        // Nothing in the last week: no projection.
        let p = progress(
            &period(),
            date(2021, 3, 20),
            targets,
            &[(date(2021, 3, 1), 500)],
        );
        assert_eq!(p.projected_completion, None);
        assert_eq!(p.status, Some(Status::Behind));
        assert_eq!(p.pace_tenths, 0);
    }

    #[test]
    fn the_pace_counts_only_days_of_the_period() {
        let targets = Targets::new(1000, None).unwrap();
        // Third day of the campaign: the mean is over three days, not seven.
        let intake = [
            (date(2021, 3, 1), 30),
            (date(2021, 3, 2), 30),
            (date(2021, 3, 3), 31),
            (date(2021, 2, 28), 999),
        ];
        let p = progress(&period(), date(2021, 3, 3), targets, &intake);
        assert_eq!(p.intake_period, 91);
        assert_eq!(p.pace_tenths, 303);
    }

    #[test]
    fn a_reached_target_names_the_day_it_was_reached() {
        let targets = Targets::new(250, None).unwrap();
        let intake = [
            (date(2021, 3, 2), 100),
            (date(2021, 3, 4), 200),
            (date(2021, 3, 5), 10),
        ];
        let p = progress(&period(), date(2021, 3, 6), targets, &intake);
        assert_eq!(p.projected_completion, Some(date(2021, 3, 4)));
        assert_eq!(p.daily_needed, Some(0));
        assert_eq!(p.status, Some(Status::OnTrack));
    }

    #[test]
    fn dates_outside_the_period() {
        let targets = Targets::new(3100, Some(100)).unwrap();
        let before = progress(&period(), date(2021, 2, 20), targets, &[]);
        assert_eq!(before.intake_period, 0);
        assert_eq!(before.daily_needed, Some(100));
        assert_eq!(before.status, None);
        let after = progress(
            &period(),
            date(2021, 4, 10),
            targets,
            &[(date(2021, 3, 31), 40)],
        );
        assert_eq!(after.intake_day, 0);
        assert_eq!(after.intake_period, 40);
        assert_eq!(after.daily_needed, Some(3060));
        assert_eq!(after.status, Some(Status::Behind));
    }

    #[test]
    fn the_card_age_is_reached_on_the_birthday() {
        assert_eq!(
            eligibility_cutoff(date(2021, 3, 16)),
            Some(date(2007, 3, 16))
        );
        // Born 29 February 2008: 14 on 28 February 2022.
        assert_eq!(
            eligibility_cutoff(date(2022, 2, 28)),
            Some(date(2008, 2, 29))
        );
        // On 29 February 2024, everyone born by 28 February 2010 is 14.
        assert_eq!(
            eligibility_cutoff(date(2024, 2, 29)),
            Some(date(2010, 2, 28))
        );
        assert_eq!(
            eligibility_cutoff(date(2023, 2, 28)),
            Some(date(2009, 2, 28))
        );
    }

    #[test]
    fn targets_and_periods_are_checked() {
        assert!(Period::new(date(2021, 3, 2), date(2021, 3, 1)).is_err());
        assert!(Targets::new(10, Some(11)).is_err());
        assert!(Targets::new(MAX_TARGET, None).is_ok());
        assert!(matches!(
            Targets::new(MAX_TARGET + 1, None),
            Err(CampaignError::TooLarge(_))
        ));
        assert_eq!(Split::parse("eligible"), Some(Split::Eligible));
        assert_eq!(Split::parse("other"), None);
    }

    proptest! {
        #[test]
        fn allocations_always_add_up(total in 0u64..10_000_000, weights in proptest::collection::vec(0u64..1_000_000, 1..40)) {
            let parts = allocate(total, &weights);
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            // Each part is within one of its exact share.
            let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
            if let Some(scale) = std::num::NonZeroU128::new(sum) {
                for (p, w) in parts.iter().zip(&weights) {
                    let exact_floor = u128::from(total) * u128::from(*w) / scale;
                    prop_assert!(u128::from(*p) == exact_floor || u128::from(*p) == exact_floor + 1);
                }
            }
        }

        #[test]
        fn ranks_follow_the_order(values in proptest::collection::vec(proptest::option::of(0u32..50), 0..30)) {
            let ranks = rank(&values);
            for (i, a) in values.iter().enumerate() {
                for (j, b) in values.iter().enumerate() {
                    if let (Some(a), Some(b)) = (a, b) {
                        let (ra, rb) = (ranks[i].unwrap(), ranks[j].unwrap());
                        prop_assert_eq!(a > b, ra < rb);
                        prop_assert_eq!(a == b, ra == rb);
                    }
                }
            }
        }

        #[test]
        fn tenths_match_the_float_within_rounding(part in 0u64..10_000_000, whole in 1u64..10_000_000) {
            let t = Ratio::new(part, whole).unwrap().tenths().0 as f64;
            let exact = part as f64 * 1000.0 / whole as f64;
            prop_assert!((t - exact).abs() <= 0.5 + 1e-6);
        }
    }
}
