//! Mountain, highland, border and island districts, where the 2014 Law on Citizen
//! Identification (Art. 25) gives 20 working days for a card instead of 7 or 15. No
//! source gives the mountain and border lists as district codes, so the list is data the
//! province police keep: each entry names its legal basis and the dates it is in force.
//! The island districts of `data/remote-districts.csv` are what a new register starts with.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::clean;

/// Why a district takes the longer time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteKind {
    /// Huyện miền núi, vùng cao.
    Mountain,
    /// Huyện biên giới.
    Border,
    /// Huyện đảo.
    Island,
}

impl RemoteKind {
    pub const ALL: [Self; 3] = [Self::Mountain, Self::Border, Self::Island];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mountain => "mountain",
            Self::Border => "border",
            Self::Island => "island",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::Mountain => "Miền núi, vùng cao",
            Self::Border => "Biên giới",
            Self::Island => "Hải đảo",
        }
    }
}

/// One district on the list, from `valid_from` to `valid_to` (both included; open-ended
/// without an end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteDistrict {
    /// The district's code in the administrative hierarchy (GSO), e.g. `536`.
    pub district: String,
    pub kind: RemoteKind,
    /// The decision that classifies the district, e.g. "Quyết định 861/QĐ-TTg ngày 04/6/2021".
    pub basis: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

/// The longest legal basis kept; a decision's number, date and title fit well within it.
pub const MAX_BASIS_CHARS: usize = 300;

/// The 2014 law took effect on 1 January 2016: no entry needs to start earlier.
pub const LAW_2014_IN_FORCE: Date = jiff::civil::date(2016, 1, 1);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RemoteError {
    #[error("basis: name the decision that classifies the district")]
    NoBasis,
    #[error("basis: at most {MAX_BASIS_CHARS} characters")]
    BasisTooLong,
    #[error("valid_to: {to} is before valid_from {from}")]
    EndsBeforeItStarts { from: Date, to: Date },
}

impl RemoteDistrict {
    /// An entry as an officer typed it, the basis cleaned and checked.
    pub fn new(
        district: &str,
        kind: RemoteKind,
        basis: &str,
        valid_from: Date,
        valid_to: Option<Date>,
    ) -> Result<Self, RemoteError> {
        let basis = clean(basis);
        if basis.is_empty() {
            return Err(RemoteError::NoBasis);
        }
        if basis.chars().count() > MAX_BASIS_CHARS {
            return Err(RemoteError::BasisTooLong);
        }
        if let Some(to) = valid_to
            && to < valid_from
        {
            return Err(RemoteError::EndsBeforeItStarts {
                from: valid_from,
                to,
            });
        }
        Ok(Self {
            district: district.to_owned(),
            kind,
            basis,
            valid_from,
            valid_to,
        })
    }

    pub fn in_force_on(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// Whether `district` is on the list on `day`.
pub fn listed_on(entries: &[RemoteDistrict], district: &str, day: Date) -> bool {
    entries
        .iter()
        .any(|e| e.district == district && e.in_force_on(day))
}

const SHIPPED_CSV: &str = include_str!("../../../data/remote-districts.csv");

/// The entries a new register starts with: the island districts of
/// `data/remote-districts.csv`, in force since the 2014 law.
pub fn shipped() -> Vec<RemoteDistrict> {
    SHIPPED_CSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code,"))
        .filter_map(|line| {
            let mut cells = line.split(',');
            let code = cells.next()?;
            let kind = RemoteKind::parse(cells.nth(2)?.trim())?;
            Some(RemoteDistrict {
                district: code.to_owned(),
                kind,
                basis: "Luật Căn cước công dân 2014, Điều 25: huyện đảo".to_owned(),
                valid_from: LAW_2014_IN_FORCE,
                valid_to: None,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed test panics")]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_shipped_list_holds_the_eleven_island_districts() {
        let list = shipped();
        assert_eq!(list.len(), 11);
        assert!(list.iter().all(|e| e.kind == RemoteKind::Island));
        assert!(listed_on(&list, "536", date(2021, 3, 16)));
        assert!(!listed_on(&list, "445", date(2021, 3, 16)));
        assert!(!listed_on(&list, "536", date(2015, 12, 31)));
    }

    #[test]
    fn an_entry_is_in_force_between_its_dates() {
        let entry = RemoteDistrict::new(
            "447",
            RemoteKind::Mountain,
            "  Quyết định 861/QĐ-TTg  ngày 04/6/2021 ",
            date(2021, 6, 4),
            Some(date(2025, 12, 31)),
        )
        .unwrap();
        assert_eq!(entry.basis, "Quyết định 861/QĐ-TTg ngày 04/6/2021");
        assert!(!entry.in_force_on(date(2021, 6, 3)));
        assert!(entry.in_force_on(date(2021, 6, 4)));
        assert!(entry.in_force_on(date(2025, 12, 31)));
        assert!(!entry.in_force_on(date(2026, 1, 1)));
    }

    #[test]
    fn an_entry_needs_a_basis_and_dates_in_order() {
        let day = date(2021, 6, 4);
        assert_eq!(
            RemoteDistrict::new("447", RemoteKind::Border, " ", day, None),
            Err(RemoteError::NoBasis)
        );
        assert_eq!(
            RemoteDistrict::new("447", RemoteKind::Border, &"x".repeat(301), day, None),
            Err(RemoteError::BasisTooLong)
        );
        assert!(matches!(
            RemoteDistrict::new("447", RemoteKind::Border, "QĐ", day, Some(date(2021, 6, 3))),
            Err(RemoteError::EndsBeforeItStarts { .. })
        ));
    }
}
