//! Dates and sex as the MRZ writes them.

use std::fmt;

/// A date as the MRZ writes it, `YYMMDD` (Doc 9303-3 §4.8). Each part may be unknown and is
/// then written `<<`: Doc 9303-3 §4.8 fills the unknown part of a date of birth with filler
/// characters. The year has two digits and no century; see [`full_year`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MrzDate {
    year: Option<u8>,
    month: Option<u8>,
    day: Option<u8>,
}

impl MrzDate {
    /// `<<<<<<`: nothing known.
    pub const UNKNOWN: MrzDate = MrzDate {
        year: None,
        month: None,
        day: None,
    };

    /// Builds a date from its parts: a two-digit year (0–99), a month (1–12) and a day that
    /// exists in that month. `None` parts are unknown. With the year unknown, or a year
    /// divisible by four, 29 February is accepted, since the century cannot be told.
    pub fn new(year: Option<u8>, month: Option<u8>, day: Option<u8>) -> Option<MrzDate> {
        if year.is_some_and(|y| y > 99) || month.is_some_and(|m| !(1..=12).contains(&m)) {
            return None;
        }
        if let Some(d) = day {
            let last = match month {
                Some(4 | 6 | 9 | 11) => 30,
                Some(2) if year.is_some_and(|y| y % 4 != 0) => 28,
                Some(2) => 29,
                _ => 31,
            };
            if !(1..=last).contains(&d) {
                return None;
            }
        }
        Some(MrzDate { year, month, day })
    }

    /// A complete date from a full calendar date; the century is dropped.
    pub fn from_civil(date: jiff::civil::Date) -> MrzDate {
        MrzDate {
            year: u8::try_from(date.year().rem_euclid(100)).ok(),
            month: u8::try_from(date.month()).ok(),
            day: u8::try_from(date.day()).ok(),
        }
    }

    /// Reads `YYMMDD`, each pair two digits or `<<`.
    pub fn parse(field: &str) -> Option<MrzDate> {
        if field.len() != 6 {
            return None;
        }
        let year = part(field.get(0..2)?)?;
        let month = part(field.get(2..4)?)?;
        let day = part(field.get(4..6)?)?;
        MrzDate::new(year, month, day)
    }

    /// The two-digit year, if known.
    pub fn year(&self) -> Option<u8> {
        self.year
    }

    pub fn month(&self) -> Option<u8> {
        self.month
    }

    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// Whether year, month and day are all known.
    pub fn is_complete(&self) -> bool {
        self.year.is_some() && self.month.is_some() && self.day.is_some()
    }

    /// The calendar date, when complete, with the year expanded by [`full_year`].
    pub fn to_civil(&self, pivot: u8) -> Option<jiff::civil::Date> {
        let year = full_year(self.year?, pivot);
        let month = i8::try_from(self.month?).ok()?;
        let day = i8::try_from(self.day?).ok()?;
        jiff::civil::Date::new(year, month, day).ok()
    }
}

/// `YYMMDD`, with `<<` for unknown parts.
impl fmt::Display for MrzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for value in [self.year, self.month, self.day] {
            match value {
                Some(v) => write!(f, "{v:02}")?,
                None => f.write_str("<<")?,
            }
        }
        Ok(())
    }
}

fn part(pair: &str) -> Option<Option<u8>> {
    if pair == "<<" {
        return Some(None);
    }
    if pair.len() == 2 && pair.bytes().all(|b| b.is_ascii_digit()) {
        return pair.parse().ok().map(Some);
    }
    None
}

/// Expands a two-digit MRZ year with a pivot: years up to and including `pivot` are 20YY,
/// later ones 19YY. The MRZ has no century (Doc 9303-3 §4.8), so only the caller knows
/// the right pivot: for a birth date, the two-digit current year; for an expiry date,
/// usually 99. The crate reads no clock, so it never picks one itself.
pub fn full_year(two_digit: u8, pivot: u8) -> i16 {
    let yy = i16::from(two_digit % 100);
    if two_digit % 100 <= pivot {
        2000 + yy
    } else {
        1900 + yy
    }
}

/// The holder's sex in the MRZ: `M`, `F`, or the filler `<` when the issuing state does not
/// say (Doc 9303-4 §4.2.2.2, Doc 9303-5 §4.2.2.2, note f).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
    Unspecified,
}

impl Sex {
    pub fn code(self) -> char {
        match self {
            Sex::Male => 'M',
            Sex::Female => 'F',
            Sex::Unspecified => '<',
        }
    }

    pub fn from_code(code: char) -> Option<Sex> {
        match code {
            'M' => Some(Sex::Male),
            'F' => Some(Sex::Female),
            '<' => Some(Sex::Unspecified),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_complete_and_partial_dates() {
        let d = MrzDate::parse("740812").unwrap();
        assert_eq!(
            (d.year(), d.month(), d.day()),
            (Some(74), Some(8), Some(12))
        );
        assert!(d.is_complete());
        let d = MrzDate::parse("9005<<").unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (Some(90), Some(5), None));
        assert_eq!(d.to_string(), "9005<<");
        assert_eq!(MrzDate::parse("<<<<<<").unwrap().to_string(), "<<<<<<");
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "741312", "740832", "740431", "750229", "7408", "74081a", "7<0812", "74 812",
        ] {
            assert_eq!(MrzDate::parse(bad), None, "{bad}");
        }
        assert!(MrzDate::parse("000229").is_some());
        assert!(MrzDate::parse("<<0229").is_some());
    }

    #[test]
    fn pivot_decides_the_century() {
        assert_eq!(full_year(25, 25), 2025);
        assert_eq!(full_year(26, 25), 1926);
        assert_eq!(full_year(0, 25), 2000);
        let d = MrzDate::parse("740812").unwrap();
        assert_eq!(d.to_civil(25), Some(jiff::civil::date(1974, 8, 12)));
        assert_eq!(MrzDate::parse("74<<<<").unwrap().to_civil(25), None);
    }

    #[test]
    fn civil_dates_lose_the_century() {
        let d = MrzDate::from_civil(jiff::civil::date(2031, 1, 9));
        assert_eq!(d.to_string(), "310109");
    }
}
