//! Working days of state agencies, for the due dates of applications.
//!
//! # Why working days
//!
//! A card must be issued within a number of working days of the intake of a complete
//! application: under the Law on Citizen Identification 59/2014/QH13, Art. 25, 7 working
//! days in cities and towns for a first card or a renewal and 15 for a re-issue, 20 in
//! mountain, border and island districts, 15 elsewhere; under the Law on Identification
//! 26/2023/QH15, Art. 26, in force from 1 July 2024, 7 working days in every case. Which of
//! these applies is decided elsewhere; this module only counts.
//!
//! # Which days are working days
//!
//! State agencies work Monday to Friday (the 40-hour week of Quyết định 188/1999/QĐ-TTg),
//! so Saturday and Sunday are not working days, and neither are the public holidays of the
//! Labour Code 45/2019/QH14, Art. 112(1). Which days those are is partly decided each year
//! (the Tết days and the second National Day day, Art. 112(3)), a holiday on a weekend
//! moves to the next working day (Art. 111(3)), and the Prime Minister may swap a weekday
//! for a Saturday worked. None of that can be computed, so it is data: `data/holidays.csv`,
//! embedded at compile time, lists each year's weekdays off (`holiday`) and weekend days
//! worked (`working_day`), with the notice each comes from.
//!
//! # How counting starts
//!
//! The day of intake never counts, whatever day it is: a time limit that starts with an
//! event starts on the day after it (Civil Code 91/2015/QH13, Art. 147(3)). The due date is
//! the Nth working day strictly after the intake date. An intake on a non-working day (a
//! Saturday desk, a holiday) therefore counts from the next working day, and gives the same
//! due date as an intake on the last working day before it. We chose this over "treat a
//! weekend intake as received on Monday, count from Tuesday" because the law excludes only
//! the day of the event; adding another day would lengthen the limit against the citizen.
//! Since only working days are counted, the due date is always a working day, which is also
//! what Art. 148(5) of the Civil Code asks of a limit that would end on a rest day.
//!
//! # Outside the years of the data
//!
//! For a date in a year the file does not cover, the calendar still skips weekends and the
//! holidays it can know by rule: 1 January, 30 April, 1 May and 2 September, each moved to
//! the next free weekday when it falls on a weekend (Art. 111(3)), and from 2026 Vietnamese
//! Culture Day, 24 November (Nghị quyết 28/2026/QH16). It cannot know the Tết days, the
//! Hùng Kings' day (both lunar), the second National Day day or any swap, so such a result
//! may be wrong, most likely too early. [`WorkingCalendar::due_date`] says so with
//! [`DueDate::complete`]; the covered years are one unbroken range, so
//! [`WorkingCalendar::covers`] on both ends of a span tells the same for
//! [`WorkingCalendar::working_days_between`].

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};
use thiserror::Error;

use crate::admin_data::split_record;

const HOLIDAYS_CSV: &str = include_str!("../../../data/holidays.csv");

/// The header line of the holiday file, after its leading `#` comment lines.
const HEADER: &str = "date,kind,name,source,note";

/// The holidays of the Labour Code 2019, Art. 112(1), whose solar date is fixed: 1 January,
/// 30 April, 1 May, 2 September. The only ones the calendar applies by rule.
const FIXED_HOLIDAYS: [(i8, i8); 4] = [(1, 1), (4, 30), (5, 1), (9, 2)];

/// Vietnamese Culture Day, a paid day off from 2026 (Nghị quyết 28/2026/QH16). Not in
/// Art. 112(1), so no make-up day is assumed for it.
const CULTURE_DAY: (i8, i8) = (11, 24);
const CULTURE_DAY_FROM: i16 = 2026;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("line {line}: {reason}")]
    Parse { line: usize, reason: ParseReason },
    #[error("no rows for {missing}, between the covered years {first} and {last}")]
    Gap { missing: i16, first: i16, last: i16 },
    #[error("{days} working days after {start} is past the last date the calendar can hold")]
    OutOfRange { start: Date, days: u16 },
}

/// What is wrong with one line of a holiday file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseReason {
    #[error("expected the header {HEADER:?}")]
    Header,
    #[error("unterminated or stray quote")]
    Quote,
    #[error("expected 5 fields, found {0}")]
    FieldCount(usize),
    #[error("{0:?} is not a date (expected YYYY-MM-DD)")]
    Date(String),
    #[error("unknown kind {0:?} (expected holiday or working_day)")]
    Kind(String),
    #[error("the {0} field is empty")]
    Empty(&'static str),
    #[error("{0} is a saturday or sunday, so a holiday row changes nothing")]
    HolidayOnWeekend(Date),
    #[error("{0} is a weekday, so a working_day row changes nothing")]
    WorkingDayOnWeekday(Date),
    #[error("{date} does not come after {previous}: rows are in date order, each date once")]
    Order { date: Date, previous: Date },
}

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A weekday on which agencies are closed.
    Holiday,
    /// A Saturday or Sunday worked in exchange for a weekday off (làm bù).
    WorkingDay,
}

/// One row of the holiday file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: Date,
    pub kind: DayKind,
    /// In Vietnamese, e.g. "Nghỉ bù Tết (thay cho thứ Bảy 13/2)".
    pub name: String,
    /// The law or notice the day comes from.
    pub source: String,
    /// What could not be confirmed about the source; often empty.
    pub note: String,
}

/// A due date, and whether every day counted to reach it was in a year the data covers.
/// When `complete` is false the date was reached partly by rule and may be wrong, most
/// likely too early (a Tết day off the calendar did not know of; a swap could move it
/// either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    pub date: Date,
    pub complete: bool,
}

/// The working days of state agencies: weekdays, less the listed holidays, plus the listed
/// weekend days worked; by rule outside the covered years (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    days: BTreeMap<Date, CalendarDay>,
    years: Option<RangeInclusive<i16>>,
}

static VIETNAM: LazyLock<Result<WorkingCalendar, CalendarError>> =
    LazyLock::new(|| WorkingCalendar::parse(HOLIDAYS_CSV));

impl WorkingCalendar {
    /// Vietnam's calendar from `data/holidays.csv`, parsed once on first use. The file is
    /// checked by a test, so an error here means a broken build, not bad input.
    pub fn vietnam() -> Result<&'static WorkingCalendar, CalendarError> {
        VIETNAM.as_ref().map_err(Clone::clone)
    }

    /// Parses a holiday file: `#` comment lines, then the header
    /// `date,kind,name,source,note`, then one row per day in date order (CSV as in
    /// `data/README.md`; blank lines skipped). Errors name the line, counted from 1 with
    /// the comments. The years from the first row's to the last row's are the covered years,
    /// and each of them must have rows.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut days = BTreeMap::new();
        let mut header_seen = false;
        let mut previous: Option<Date> = None;
        for (index, line_text) in text.lines().enumerate() {
            let line = index.saturating_add(1);
            let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
            let line_text = line_text.trim_start_matches('\u{feff}');
            if line_text.trim().is_empty() || line_text.starts_with('#') {
                continue;
            }
            let at = |reason| CalendarError::Parse { line, reason };
            if !header_seen {
                if line_text != HEADER {
                    return Err(at(ParseReason::Header));
                }
                header_seen = true;
                continue;
            }
            let day = parse_row(line_text).map_err(at)?;
            if let Some(previous) = previous
                && day.date <= previous
            {
                return Err(at(ParseReason::Order {
                    date: day.date,
                    previous,
                }));
            }
            previous = Some(day.date);
            days.insert(day.date, day);
        }
        if !header_seen {
            return Err(CalendarError::Parse {
                line: 1,
                reason: ParseReason::Header,
            });
        }
        let years = match (days.keys().next(), days.keys().next_back()) {
            (Some(first), Some(last)) => Some(first.year()..=last.year()),
            _ => None,
        };
        if let Some(range) = &years {
            for year in range.clone() {
                let has_rows = days.keys().any(|d| d.year() == year);
                if !has_rows {
                    return Err(CalendarError::Gap {
                        missing: year,
                        first: *range.start(),
                        last: *range.end(),
                    });
                }
            }
        }
        Ok(Self { days, years })
    }

    /// The years the data covers, `None` for a file without rows.
    pub fn covered_years(&self) -> Option<RangeInclusive<i16>> {
        self.years.clone()
    }

    /// Whether `date` is in a year the data covers, so that whether it is a working day is
    /// known rather than guessed by rule.
    pub fn covers(&self, date: Date) -> bool {
        self.years
            .as_ref()
            .is_some_and(|years| years.contains(&date.year()))
    }

    /// The listed days, in date order.
    pub fn days(&self) -> impl Iterator<Item = &CalendarDay> {
        self.days.values()
    }

    /// The row for `date`, if it is listed: tells why a weekday is not a working day.
    pub fn day(&self, date: Date) -> Option<&CalendarDay> {
        self.days.get(&date)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        if self.covers(date) {
            match self.days.get(&date) {
                Some(day) => day.kind == DayKind::WorkingDay,
                None => !is_weekend(date),
            }
        } else {
            !is_weekend(date) && !is_rule_day_off(date)
        }
    }

    /// The `days`-th working day strictly after `start` (the day of intake does not count;
    /// see the module documentation). `days == 0` gives `start`. Outside the covered years
    /// the result may be wrong; [`Self::due_date`] says when.
    pub fn add_working_days(&self, start: Date, days: u16) -> Result<Date, CalendarError> {
        let out_of_range = || CalendarError::OutOfRange { start, days };
        let mut date = start;
        let mut left = days;
        while left > 0 {
            date = date.tomorrow().map_err(|_| out_of_range())?;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        Ok(date)
    }

    /// [`Self::add_working_days`], with whether every day counted was in a covered year.
    pub fn due_date(&self, start: Date, days: u16) -> Result<DueDate, CalendarError> {
        let date = self.add_working_days(start, days)?;
        // The covered years are contiguous, so the counted days (start, date] are all
        // covered exactly when the first and the last of them are.
        let complete = days == 0
            || (start.tomorrow().is_ok_and(|first| self.covers(first)) && self.covers(date));
        Ok(DueDate { date, complete })
    }

    /// The number of working days after `from` up to and including `to`: how many working
    /// days `to` is past a due date `from` (0 on the due date itself). Negative, with the
    /// same magnitude, when `to` is before `from`. Takes time proportional to the span.
    pub fn working_days_between(&self, from: Date, to: Date) -> i32 {
        let (low, high, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count: i32 = 0;
        let mut date = low;
        while date < high {
            // `date < high`, so a next day exists.
            let Ok(next) = date.tomorrow() else { break };
            date = next;
            if self.is_working_day(date) {
                count += 1;
            }
        }
        sign * count
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// A day off known by rule in a year the data does not cover: a fixed solar holiday, its
/// make-up day, or Vietnamese Culture Day.
fn is_rule_day_off(date: Date) -> bool {
    let month_day = (date.month(), date.day());
    if FIXED_HOLIDAYS.contains(&month_day) {
        return true;
    }
    if month_day == CULTURE_DAY && date.year() >= CULTURE_DAY_FROM {
        return true;
    }
    // Make-up days land within a few days after 1/1, 30/4-1/5 or 2/9; skip the work
    // elsewhere.
    matches!(date.month(), 1 | 5 | 9)
        && date.day() <= 5
        && make_up_days(date.year()).contains(&date)
}

/// The make-up days of the Labour Code 2019, Art. 111(3), for the fixed holidays of `year`:
/// each one on a Saturday or Sunday moves to the next day that is neither a weekend day,
/// nor a fixed holiday, nor already another one's make-up day (30 April on a Saturday and
/// 1 May on the Sunday give the Monday and the Tuesday).
fn make_up_days(year: i16) -> Vec<Date> {
    let mut out: Vec<Date> = Vec::new();
    for (month, day) in FIXED_HOLIDAYS {
        let Ok(holiday) = Date::new(year, month, day) else {
            continue;
        };
        if !is_weekend(holiday) {
            continue;
        }
        let mut candidate = holiday;
        while let Ok(next) = candidate.tomorrow() {
            candidate = next;
            let free = !is_weekend(candidate)
                && !FIXED_HOLIDAYS.contains(&(candidate.month(), candidate.day()))
                && !out.contains(&candidate);
            if free {
                out.push(candidate);
                break;
            }
        }
    }
    out
}

fn parse_row(line: &str) -> Result<CalendarDay, ParseReason> {
    let fields = split_record(line).ok_or(ParseReason::Quote)?;
    let [date, kind, name, source, note] = <[_; 5]>::try_from(fields)
        .map_err(|fields: Vec<_>| ParseReason::FieldCount(fields.len()))?;
    let date = parse_iso_date(&date).ok_or_else(|| ParseReason::Date(date.into_owned()))?;
    let kind = match kind.as_ref() {
        "holiday" => DayKind::Holiday,
        "working_day" => DayKind::WorkingDay,
        _ => return Err(ParseReason::Kind(kind.into_owned())),
    };
    // A row that agrees with the plain week is a typo in its date, most likely.
    match (kind, is_weekend(date)) {
        (DayKind::Holiday, true) => return Err(ParseReason::HolidayOnWeekend(date)),
        (DayKind::WorkingDay, false) => return Err(ParseReason::WorkingDayOnWeekday(date)),
        _ => {}
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(ParseReason::Empty("name"));
    }
    let source = source.trim();
    if source.is_empty() {
        return Err(ParseReason::Empty("source"));
    }
    Ok(CalendarDay {
        date,
        kind,
        name: name.to_owned(),
        source: source.to_owned(),
        note: note.trim().to_owned(),
    })
}

/// Exactly `YYYY-MM-DD`, nothing more lenient: a date in this file is read by people too.
fn parse_iso_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year: i16 = text.get(0..4)?.parse().ok()?;
    let month: i8 = text.get(5..7)?.parse().ok()?;
    let day: i8 = text.get(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn vietnam() -> &'static WorkingCalendar {
        WorkingCalendar::vietnam().unwrap()
    }

    #[test]
    fn the_embedded_file_parses_and_covers_2021_to_2026() {
        let calendar = vietnam();
        assert_eq!(calendar.covered_years(), Some(2021..=2026));
        assert!(calendar.covers(date(2021, 1, 1)));
        assert!(calendar.covers(date(2026, 12, 31)));
        assert!(!calendar.covers(date(2020, 12, 31)));
        assert!(!calendar.covers(date(2027, 1, 1)));
        let rows = HOLIDAYS_CSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        // Every line after the header became a day.
        assert_eq!(calendar.days().count(), rows - 1);
        for day in calendar.days() {
            assert!(
                day.source.contains('/') || day.source.contains("Điều"),
                "{day:?}"
            );
        }
    }

    #[test]
    fn each_year_has_the_labour_codes_eleven_days_off() {
        // Each of the 11 days of Art. 112(1) gives exactly one weekday off, on the day or
        // as its make-up day, and a swap gives one weekday off for one Saturday worked; so
        // a complete year has 11 more weekday holidays than weekend working days, and 12
        // from 2026 with Culture Day. A missing or doubled row breaks the count.
        for year in 2021..=2026 {
            let net: i32 = vietnam()
                .days()
                .filter(|d| d.date.year() == year)
                .map(|d| match d.kind {
                    DayKind::Holiday => 1,
                    DayKind::WorkingDay => -1,
                })
                .sum();
            let expected = if year >= 2026 { 12 } else { 11 };
            assert_eq!(net, expected, "{year}");
        }
    }

    #[test]
    fn the_data_agrees_with_the_rule_for_fixed_holidays() {
        // What the calendar applies by rule outside the data must hold inside it too.
        let calendar = vietnam();
        for year in 2021..=2026_i16 {
            let mut day = date(year, 1, 1);
            while day.year() == year {
                if !is_weekend(day) && is_rule_day_off(day) {
                    assert!(!calendar.is_working_day(day), "{day}");
                }
                day = day.tomorrow().unwrap();
            }
        }
    }

    #[test]
    fn tet_2021_pushes_a_due_date_past_the_break() {
        // Intake Tuesday 9 February 2021. Off: 10-12 February (Tết), the weekend, 15 and
        // 16 February (nghỉ bù). Working days after: 17, 18, 19, 22, 23, 24, 25 February.
        let calendar = vietnam();
        assert_eq!(
            calendar.add_working_days(date(2021, 2, 9), 7).unwrap(),
            date(2021, 2, 25)
        );
        for off in [10, 11, 12, 13, 14, 15, 16] {
            assert!(!calendar.is_working_day(date(2021, 2, off)), "{off}");
        }
        assert_eq!(
            calendar.due_date(date(2021, 2, 9), 7).unwrap(),
            DueDate {
                date: date(2021, 2, 25),
                complete: true
            }
        );
    }

    #[test]
    fn a_plain_week_monday_plus_seven_is_wednesday_next_week() {
        // 4 March 2024 is a Monday; no holiday until 18 April.
        let calendar = vietnam();
        assert_eq!(
            calendar.add_working_days(date(2024, 3, 4), 7).unwrap(),
            date(2024, 3, 13)
        );
        assert_eq!(
            calendar.add_working_days(date(2024, 3, 4), 0).unwrap(),
            date(2024, 3, 4)
        );
    }

    #[test]
    fn a_saturday_worked_counts() {
        let calendar = vietnam();
        // Saturday 4 May 2024 made up for Monday 29 April (Công văn 2450/VPCP-KGVX).
        assert!(calendar.is_working_day(date(2024, 5, 4)));
        assert!(!calendar.is_working_day(date(2024, 4, 29)));
        // Intake Friday 26 April: off 27 April to 1 May; then 2, 3 and Saturday 4 May.
        assert_eq!(
            calendar.add_working_days(date(2024, 4, 26), 3).unwrap(),
            date(2024, 5, 4)
        );
        // Saturday 26 April 2025 made up for Friday 2 May.
        assert_eq!(
            calendar.add_working_days(date(2025, 4, 25), 1).unwrap(),
            date(2025, 4, 26)
        );
        // An ordinary Saturday does not count.
        assert!(!calendar.is_working_day(date(2025, 4, 19)));
    }

    #[test]
    fn intake_on_a_non_working_day_counts_from_the_next_working_day() {
        let calendar = vietnam();
        // Saturday 9 March 2024: 11-15 and 18, 19 March, as for Friday 8 March.
        assert_eq!(
            calendar.add_working_days(date(2024, 3, 9), 7).unwrap(),
            date(2024, 3, 19)
        );
        assert_eq!(
            calendar.add_working_days(date(2024, 3, 8), 7).unwrap(),
            date(2024, 3, 19)
        );
        // On National Day, Thursday 2 September 2021: the 3rd is off too, then the weekend.
        assert_eq!(
            calendar.add_working_days(date(2021, 9, 2), 1).unwrap(),
            date(2021, 9, 6)
        );
        // On 30 April 2025: 1 and 2 May off, the weekend, then Monday 5 May.
        assert_eq!(
            calendar.add_working_days(date(2025, 4, 30), 1).unwrap(),
            date(2025, 5, 5)
        );
        // On a Saturday worked, 4 May 2024: the intake day still does not count.
        assert_eq!(
            calendar.add_working_days(date(2024, 5, 4), 1).unwrap(),
            date(2024, 5, 6)
        );
    }

    #[test]
    fn the_2026_changes_are_in() {
        let calendar = vietnam();
        // Friday 2 January swapped for Saturday 10 January.
        assert!(!calendar.is_working_day(date(2026, 1, 2)));
        assert!(calendar.is_working_day(date(2026, 1, 10)));
        // Tết 16-20 February; Hùng Kings on Sunday 26 April, made up on the 27th.
        assert!(!calendar.is_working_day(date(2026, 2, 16)));
        assert!(!calendar.is_working_day(date(2026, 2, 20)));
        assert!(calendar.is_working_day(date(2026, 2, 23)));
        assert!(!calendar.is_working_day(date(2026, 4, 27)));
        assert!(calendar.is_working_day(date(2026, 4, 28)));
        // Monday 31 August swapped for Saturday 22 August; Culture Day 24 November.
        assert!(calendar.is_working_day(date(2026, 8, 22)));
        assert!(!calendar.is_working_day(date(2026, 8, 31)));
        assert!(!calendar.is_working_day(date(2026, 11, 24)));
        assert_eq!(
            calendar.day(date(2026, 11, 24)).unwrap().name,
            "Ngày Văn hóa Việt Nam"
        );
    }

    #[test]
    fn outside_the_data_fixed_holidays_apply_by_rule_and_the_result_says_so() {
        let calendar = vietnam();
        // 30 April 2027 is a Friday and 1 May a Saturday, made up on Monday 3 May.
        assert!(!calendar.is_working_day(date(2027, 4, 30)));
        assert!(!calendar.is_working_day(date(2027, 5, 3)));
        assert_eq!(
            calendar.due_date(date(2027, 4, 29), 1).unwrap(),
            DueDate {
                date: date(2027, 5, 4),
                complete: false
            }
        );
        // 2 September 2029 is a Sunday: Monday the 3rd is off.
        assert!(!calendar.is_working_day(date(2029, 9, 3)));
        // Culture Day is kept after the data ends, not before 2026.
        assert!(!calendar.is_working_day(date(2027, 11, 24)));
        assert!(calendar.is_working_day(date(2020, 11, 24)));
        // 1 January 2021 is in the data: counting from the last day of 2020 uses the
        // data only for the counted days, which are all in 2021.
        let due = calendar.due_date(date(2020, 12, 31), 1).unwrap();
        assert_eq!(
            due,
            DueDate {
                date: date(2021, 1, 4),
                complete: true
            }
        );
        let due = calendar.due_date(date(2020, 12, 30), 2).unwrap();
        assert_eq!(
            due,
            DueDate {
                date: date(2021, 1, 4),
                complete: false
            }
        );
    }

    #[test]
    fn make_up_days_do_not_collide() {
        // 2022: 1 January a Saturday gives Monday 3 January; 30 April a Saturday and
        // 1 May a Sunday give Monday 2 and Tuesday 3 May, as the data has them.
        assert_eq!(
            make_up_days(2022),
            [date(2022, 1, 3), date(2022, 5, 2), date(2022, 5, 3)]
        );
        // 2023: 1 January on a Sunday; 30 April on a Sunday skips 1 May, a holiday; 2
        // September on a Saturday gives Monday the 4th.
        assert_eq!(
            make_up_days(2023),
            [date(2023, 1, 2), date(2023, 5, 2), date(2023, 9, 4)]
        );
    }

    #[test]
    fn past_due_is_counted_in_working_days() {
        let calendar = vietnam();
        // Due Thursday 25 February 2021; Monday 1 March is 2 working days later.
        assert_eq!(
            calendar.working_days_between(date(2021, 2, 25), date(2021, 3, 1)),
            2
        );
        assert_eq!(
            calendar.working_days_between(date(2021, 3, 1), date(2021, 2, 25)),
            -2
        );
        assert_eq!(
            calendar.working_days_between(date(2021, 2, 25), date(2021, 2, 25)),
            0
        );
        // Across the 2021 Tết break only the 9th and the days from the 17th count.
        assert_eq!(
            calendar.working_days_between(date(2021, 2, 8), date(2021, 2, 17)),
            2
        );
    }

    #[test]
    fn parse_names_the_line_of_a_bad_row() {
        let good = "2024-04-29,holiday,Nghỉ hoán đổi,Công văn 2450/VPCP-KGVX,";
        let text = |row: &str| format!("# a comment\n\n{HEADER}\n{good}\n{row}\n");
        let reason = |row: &str| match WorkingCalendar::parse(&text(row)) {
            Err(CalendarError::Parse { line: 5, reason }) => reason,
            other => panic!("{row}: {other:?}"),
        };
        assert_eq!(
            reason("2024-5-1,holiday,x,y,"),
            ParseReason::Date("2024-5-1".into())
        );
        assert_eq!(
            reason("2024-02-30,holiday,x,y,"),
            ParseReason::Date("2024-02-30".into())
        );
        assert_eq!(
            reason("2024-05-01,off,x,y,"),
            ParseReason::Kind("off".into())
        );
        assert_eq!(reason("2024-05-01,holiday,x,y"), ParseReason::FieldCount(4));
        assert_eq!(reason("2024-05-01,holiday,\"x,y,"), ParseReason::Quote);
        assert_eq!(
            reason("2024-05-01,holiday, ,y,"),
            ParseReason::Empty("name")
        );
        assert_eq!(
            reason("2024-05-01,holiday,x,,"),
            ParseReason::Empty("source")
        );
        assert_eq!(
            reason("2024-05-05,holiday,x,y,"),
            ParseReason::HolidayOnWeekend(date(2024, 5, 5))
        );
        assert_eq!(
            reason("2024-05-06,working_day,x,y,"),
            ParseReason::WorkingDayOnWeekday(date(2024, 5, 6))
        );
        assert_eq!(
            reason("2024-04-29,holiday,x,y,"),
            ParseReason::Order {
                date: date(2024, 4, 29),
                previous: date(2024, 4, 29)
            }
        );
        // A quoted name may hold a comma.
        let calendar = WorkingCalendar::parse(&text("2024-05-01,holiday,\"a, b\",y,")).unwrap();
        assert_eq!(calendar.day(date(2024, 5, 1)).unwrap().name, "a, b");
    }

    #[test]
    fn parse_wants_the_header_and_unbroken_years() {
        assert_eq!(
            WorkingCalendar::parse("# only a comment\n"),
            Err(CalendarError::Parse {
                line: 1,
                reason: ParseReason::Header
            })
        );
        assert_eq!(
            WorkingCalendar::parse("# c\ndate,kind,name\n"),
            Err(CalendarError::Parse {
                line: 2,
                reason: ParseReason::Header
            })
        );
        let gap = format!("{HEADER}\n2023-01-02,holiday,x,y,\n2025-01-01,holiday,x,y,\n");
        assert_eq!(
            WorkingCalendar::parse(&gap),
            Err(CalendarError::Gap {
                missing: 2024,
                first: 2023,
                last: 2025
            })
        );
        // No rows: nothing covered, every year by rule.
        let empty = WorkingCalendar::parse(&format!("{HEADER}\r\n")).unwrap();
        assert_eq!(empty.covered_years(), None);
        assert!(!empty.is_working_day(date(2024, 1, 1)));
        assert!(empty.is_working_day(date(2024, 2, 12)));
    }

    #[test]
    fn counting_past_the_last_date_is_an_error() {
        assert_eq!(
            vietnam().add_working_days(date(9999, 12, 30), 5),
            Err(CalendarError::OutOfRange {
                start: date(9999, 12, 30),
                days: 5
            })
        );
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day_n_working_days_later(
            offset in 0_i32..3_000,
            n in 0_u16..300,
        ) {
            // Intake dates from mid-2020 to 2028, inside and around the data.
            let calendar = vietnam();
            let start = date(2020, 6, 1)
                .checked_add(jiff::Span::new().days(offset))
                .unwrap();
            let due = calendar.add_working_days(start, n).unwrap();
            if n == 0 {
                prop_assert_eq!(due, start);
            } else {
                prop_assert!(due > start);
                prop_assert!(calendar.is_working_day(due));
            }
            prop_assert_eq!(calendar.working_days_between(start, due), i32::from(n));
            prop_assert_eq!(calendar.working_days_between(due, start), -i32::from(n));
        }
    }
}
