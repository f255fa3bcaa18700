//! Dates of birth that may be partial (year only, or month and year), as the register
//! holds them for people whose papers never recorded the day.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    #[error("{0:?} is not a date (expected dd/mm/yyyy, mm/yyyy or yyyy)")]
    Format(String),
    #[error("{0:?} is not a date that exists")]
    Impossible(String),
    #[error("year {0} is outside 1800–2399")]
    YearOutOfRange(i16),
}

/// A date of which the day, or the day and the month, may be unknown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    year: i16,
    month: Option<i8>,
    day: Option<i8>,
}

impl PartialDate {
    pub fn full(date: Date) -> Self {
        Self {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        }
    }

    pub fn new(year: i16, month: Option<i8>, day: Option<i8>) -> Result<Self, DateError> {
        if !(1800..=2399).contains(&year) {
            return Err(DateError::YearOutOfRange(year));
        }
        let text = || format!("{year:04}-{month:?}-{day:?}");
        match (month, day) {
            (None, None) => {}
            (Some(m), None) => {
                if !(1..=12).contains(&m) {
                    return Err(DateError::Impossible(text()));
                }
            }
            (Some(m), Some(d)) => {
                Date::new(year, m, d).map_err(|_| DateError::Impossible(text()))?;
            }
            (None, Some(_)) => return Err(DateError::Impossible(text())),
        }
        Ok(Self { year, month, day })
    }

    /// Parses the register's written forms: `dd/mm/yyyy`, `mm/yyyy`, `yyyy`, and the
    /// API's `YYYY-MM-DD`, `YYYY-MM`, `YYYY`.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        let s = s.trim();
        let bad = || DateError::Format(s.to_owned());
        let num = |p: &str, len: std::ops::RangeInclusive<usize>| -> Result<i16, DateError> {
            if !len.contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<i16>().map_err(|_| bad())
        };
        let small = |v: i16| i8::try_from(v).map_err(|_| bad());
        let parts: Vec<&str>;
        let (year, month, day) = if s.contains('/') {
            parts = s.split('/').collect();
            match parts.as_slice() {
                [d, m, y] => (num(y, 4..=4)?, Some(num(m, 1..=2)?), Some(num(d, 1..=2)?)),
                [m, y] => (num(y, 4..=4)?, Some(num(m, 1..=2)?), None),
                _ => return Err(bad()),
            }
        } else {
            parts = s.split('-').collect();
            match parts.as_slice() {
                [y, m, d] => (num(y, 4..=4)?, Some(num(m, 2..=2)?), Some(num(d, 2..=2)?)),
                [y, m] => (num(y, 4..=4)?, Some(num(m, 2..=2)?), None),
                [y] => (num(y, 4..=4)?, None, None),
                _ => return Err(bad()),
            }
        };
        let month = month.map(small).transpose()?;
        let day = day.map(small).transpose()?;
        Self::new(year, month, day).map_err(|e| match e {
            DateError::Impossible(_) => DateError::Impossible(s.to_owned()),
            other => other,
        })
    }

    pub fn year(&self) -> i16 {
        self.year
    }
    pub fn month(&self) -> Option<i8> {
        self.month
    }
    pub fn day(&self) -> Option<i8> {
        self.day
    }

    /// The full date when the day is known.
    pub fn as_date(&self) -> Option<Date> {
        Date::new(self.year, self.month?, self.day?).ok()
    }

    /// The earliest day this date can stand for.
    pub fn earliest(&self) -> Date {
        let m = self.month.unwrap_or(1);
        let d = self.day.unwrap_or(1);
        Date::new(self.year, m, d).unwrap_or(Date::MIN)
    }

    /// The latest day this date can stand for.
    pub fn latest(&self) -> Date {
        match (self.month, self.day) {
            (Some(m), Some(d)) => Date::new(self.year, m, d).unwrap_or(Date::MAX),
            (Some(m), None) => Date::new(self.year, m, 1)
                .map(|first| first.last_of_month())
                .unwrap_or(Date::MAX),
            _ => Date::new(self.year, 12, 31).unwrap_or(Date::MAX),
        }
    }

    /// Whether any day this date stands for lies after `today`.
    pub fn is_after(&self, today: Date) -> bool {
        self.earliest() > today
    }

    /// ISO form with the known parts: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub fn iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            _ => format!("{:04}", self.year),
        }
    }

    /// Vietnamese written form: `dd/mm/yyyy`, `mm/yyyy` or `yyyy`.
    pub fn vietnamese(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{d:02}/{m:02}/{:04}", self.year),
            (Some(m), None) => format!("{m:02}/{:04}", self.year),
            _ => format!("{:04}", self.year),
        }
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.year, self.month, self.day).cmp(&(other.year, other.month, other.day))
    }
}

impl fmt::Debug for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartialDate({})", self.iso())
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.iso())
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_register_forms() {
        let d = PartialDate::parse("05/03/1970").unwrap();
        assert_eq!(d.iso(), "1970-03-05");
        assert_eq!(PartialDate::parse("3/1970").unwrap().iso(), "1970-03");
        assert_eq!(PartialDate::parse("1970").unwrap().iso(), "1970");
        assert_eq!(PartialDate::parse("1970-03-05").unwrap(), d);
        assert_eq!(d.vietnamese(), "05/03/1970");
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        assert!(matches!(
            PartialDate::parse("29/02/2021"),
            Err(DateError::Impossible(_))
        ));
        assert!(PartialDate::parse("29/02/2020").is_ok());
        assert!(matches!(
            PartialDate::parse("13/1990"),
            Err(DateError::Impossible(_))
        ));
        assert!(matches!(
            PartialDate::parse("1990-1-1"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            PartialDate::parse("abc"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(PartialDate::parse(""), Err(DateError::Format(_))));
        assert!(matches!(
            PartialDate::parse("1700"),
            Err(DateError::YearOutOfRange(1700))
        ));
    }

    #[test]
    fn bounds_of_partial_dates() {
        let d = PartialDate::parse("02/2020").unwrap();
        assert_eq!(d.earliest(), jiff::civil::date(2020, 2, 1));
        assert_eq!(d.latest(), jiff::civil::date(2020, 2, 29));
        let y = PartialDate::parse("1999").unwrap();
        assert_eq!(y.latest(), jiff::civil::date(1999, 12, 31));
        assert!(y.is_after(jiff::civil::date(1998, 12, 31)));
        assert!(!y.is_after(jiff::civil::date(1999, 1, 1)));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,16}") {
            let _ = PartialDate::parse(&s);
        }

        #[test]
        fn iso_round_trips(y in 1800i16..2399, m in 1i8..=12, d in 1i8..=28, shape in 0u8..3) {
            let date = match shape {
                0 => PartialDate::new(y, None, None),
                1 => PartialDate::new(y, Some(m), None),
                _ => PartialDate::new(y, Some(m), Some(d)),
            }.unwrap();
            prop_assert_eq!(PartialDate::parse(&date.iso()).unwrap(), date);
            prop_assert_eq!(PartialDate::parse(&date.vietnamese()).unwrap(), date);
        }
    }
}
