//! Receipt numbers (số biên nhận) given to the citizen at intake.
//!
//! `CAH-436-20210316-00042O`: the intake unit's code, the day of intake, the day's serial
//! number at that unit and a check character. People read these numbers aloud and type
//! them back; the check character is ISO/IEC 7064 MOD 37-2 over the letters and digits
//! (`0`–`9`, `A`–`Z` or `*`). That pure system catches every single wrong character and
//! every swap of two neighbours; the hybrid MOD 37,36 misses some swaps (a property test
//! found `…-10230` and `…-10320` sharing a check character).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::police::PoliceUnitCode;

/// Serials are five digits: no unit takes 100,000 applications a day.
pub const MAX_SERIAL: u32 = 99_999;

/// Serials from here up are the mobile stations': a unit's own counter stops below it
/// (no unit takes 50,000 applications a day), so that a number a station gives offline
/// is never given centrally too.
pub const STATION_SERIALS_FROM: u32 = 50_000;
/// Serials a station may give in a day: a mobile team with its kits takes a few hundred.
pub const STATION_BLOCK_SERIALS: u32 = 1_000;
/// Stations a unit can have approved, each with its own block of serials.
pub const STATION_BLOCKS: u32 = (MAX_SERIAL + 1 - STATION_SERIALS_FROM) / STATION_BLOCK_SERIALS;

/// The serials of a station's block (`1..=STATION_BLOCKS`), or `None` for no block.
pub fn station_serials(block: u32) -> Option<std::ops::RangeInclusive<u32>> {
    if !(1..=STATION_BLOCKS).contains(&block) {
        return None;
    }
    let first = STATION_SERIALS_FROM + (block - 1) * STATION_BLOCK_SERIALS;
    Some(first..=first + STATION_BLOCK_SERIALS - 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReceiptError {
    #[error("{0:?} is not a receipt number (expected like CAH-436-20210316-00042O)")]
    Format(String),
    #[error("{0:?} has a wrong check character: a character was mistyped")]
    Check(String),
    #[error("receipt serial {0} is above {MAX_SERIAL}")]
    SerialTooLarge(u32),
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptNumber {
    unit: PoliceUnitCode,
    day: Date,
    serial: u32,
}

impl ReceiptNumber {
    pub fn new(unit: PoliceUnitCode, day: Date, serial: u32) -> Result<Self, ReceiptError> {
        if serial > MAX_SERIAL {
            return Err(ReceiptError::SerialTooLarge(serial));
        }
        Ok(Self { unit, day, serial })
    }

    pub fn parse(s: &str) -> Result<Self, ReceiptError> {
        let bad = || ReceiptError::Format(s.to_owned());
        let mut parts = s.trim().rsplitn(3, '-');
        let (Some(tail), Some(day), Some(unit)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let unit = PoliceUnitCode::parse(unit).map_err(|_| bad())?;
        if day.len() != 8 || !day.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let (y, m, d) = (day.get(0..4), day.get(4..6), day.get(6..8));
        let num = |p: Option<&str>| p.and_then(|p| p.parse::<i16>().ok());
        let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
            return Err(bad());
        };
        let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d)) else {
            return Err(bad());
        };
        let day = Date::new(y, m, d).map_err(|_| bad())?;
        let serial_text = tail.get(..tail.len().saturating_sub(1)).unwrap_or_default();
        if serial_text.len() != 5 || !serial_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let serial = serial_text.parse().map_err(|_| bad())?;
        let receipt = Self { unit, day, serial };
        if receipt.to_string() != s.trim() {
            return Err(ReceiptError::Check(s.to_owned()));
        }
        Ok(receipt)
    }

    pub fn unit(&self) -> &PoliceUnitCode {
        &self.unit
    }
    pub fn day(&self) -> Date {
        self.day
    }
    pub fn serial(&self) -> u32 {
        self.serial
    }

    fn body(&self) -> String {
        format!(
            "{}-{:04}{:02}{:02}-{:05}",
            self.unit,
            self.day.year(),
            self.day.month(),
            self.day.day(),
            self.serial
        )
    }
}

/// The characters of ISO/IEC 7064 MOD 37-2, by value: digits, letters, then `*` (36).
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

/// ISO/IEC 7064 pure system MOD 37-2 over the alphanumeric characters of `text`: the
/// weights are powers of 2 modulo the prime 37, all distinct, so a wrong character or two
/// swapped neighbours always change the sum.
fn check_character(text: &str) -> char {
    let mut p = 0u32;
    for value in text
        .bytes()
        .filter_map(|b| {
            ALPHABET
                .get(..36)
                .and_then(|a| a.iter().position(|&x| x == b))
        })
        .filter_map(|v| u32::try_from(v).ok())
    {
        p = ((p + value) * 2) % 37;
    }
    let check = (38 - p) % 37;
    usize::try_from(check)
        .ok()
        .and_then(|i| ALPHABET.get(i))
        .map_or('0', |&b| char::from(b))
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.body();
        write!(f, "{body}{}", check_character(&body))
    }
}

impl fmt::Debug for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReceiptNumber({self})")
    }
}

impl FromStr for ReceiptNumber {
    type Err = ReceiptError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ReceiptNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReceiptNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn station_blocks_are_disjoint_and_above_the_units_own_serials() {
        assert_eq!(STATION_BLOCKS, 50);
        assert_eq!(station_serials(0), None);
        assert_eq!(station_serials(STATION_BLOCKS + 1), None);
        assert_eq!(station_serials(1), Some(50_000..=50_999));
        assert_eq!(station_serials(STATION_BLOCKS), Some(99_000..=99_999));
        let mut seen = std::collections::HashSet::new();
        for block in 1..=STATION_BLOCKS {
            for serial in station_serials(block).unwrap() {
                assert!((STATION_SERIALS_FROM..=MAX_SERIAL).contains(&serial));
                assert!(seen.insert(serial), "serial {serial} in two blocks");
            }
        }
    }

    fn receipt(unit: &str, serial: u32) -> ReceiptNumber {
        ReceiptNumber::new(
            PoliceUnitCode::parse(unit).unwrap(),
            date(2021, 3, 16),
            serial,
        )
        .unwrap()
    }

    #[test]
    fn names_unit_day_and_serial_and_reads_back() {
        let r = receipt("CAH-436", 42);
        let text = r.to_string();
        assert!(text.starts_with("CAH-436-20210316-00042"), "{text}");
        assert_eq!(text.len(), "CAH-436-20210316-00042".len() + 1);
        let back = ReceiptNumber::parse(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.unit().as_string(), "CAH-436");
        assert_eq!(back.day(), date(2021, 3, 16));
        assert_eq!(back.serial(), 42);
    }

    #[test]
    fn the_mod_37_2_check_character_matches_a_hand_computation() {
        // "A1": p = (0 + 10) · 2 = 20, then (20 + 1) · 2 = 42 ≡ 5 (mod 37);
        // check = (38 - 5) mod 37 = 33 = 'X', and 5 + 33 ≡ 1 (mod 37).
        assert_eq!(check_character("A1"), 'X');
        // The example the documentation and the API description use.
        assert!(ReceiptNumber::parse("CAH-436-20210316-00042O").is_ok());
        assert!(ReceiptNumber::parse("CAH-445-20210316-00001C").is_ok());
        // The value 36 is written '*'.
        let star = (0..100_000)
            .map(|n| format!("{n:05}"))
            .find(|t| check_character(t) == '*');
        assert!(star.is_some());
    }

    #[test]
    fn refuses_malformed_numbers() {
        for bad in [
            "",
            "CAH-436",
            "CAH-436-2021031-00042K",
            "CAH-436-20210230-00042K",
            "XYZ-436-20210316-00042K",
            "CAH-436-20210316-0042K",
        ] {
            assert!(
                matches!(ReceiptNumber::parse(bad), Err(ReceiptError::Format(_))),
                "{bad}"
            );
        }
        assert!(ReceiptNumber::new(PoliceUnitCode::Ministry, date(2021, 1, 1), 100_000).is_err());
    }

    proptest! {
        #[test]
        fn any_single_mistyped_character_is_caught(
            serial in 0u32..=MAX_SERIAL, pos in 0usize..32, replacement in "[0-9A-Z*]",
        ) {
            let text = receipt("CAX-18541", serial).to_string();
            let chars: Vec<char> = text.chars().collect();
            let pos = pos % chars.len();
            let new = replacement.chars().next().unwrap();
            prop_assume!(chars[pos] != new && chars[pos] != '-');
            let mut typo = chars.clone();
            typo[pos] = new;
            let typo: String = typo.into_iter().collect();
            prop_assert!(ReceiptNumber::parse(&typo).is_err());
        }

        #[test]
        fn any_swap_of_neighbours_is_caught(serial in 0u32..=MAX_SERIAL, pos in 0usize..32) {
            let text = receipt("PC06-42", serial).to_string();
            let mut chars: Vec<char> = text.chars().collect();
            let pos = pos % (chars.len() - 1);
            prop_assume!(chars[pos] != chars[pos + 1] && chars[pos] != '-' && chars[pos + 1] != '-');
            chars.swap(pos, pos + 1);
            let swapped: String = chars.into_iter().collect();
            prop_assert!(ReceiptNumber::parse(&swapped).is_err());
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = ReceiptNumber::parse(&text);
        }
    }
}
