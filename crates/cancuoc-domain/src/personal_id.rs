//! The 12-digit personal ID number (số định danh cá nhân).
//!
//! Decree 137/2015/NĐ-CP Art. 13 and Circular 07/2016/TT-BCA Art. 7: digits 1–3 are the
//! code of the province where the birth was registered ("0" + the GSO province code),
//! digit 4 encodes century and sex, digits 5–6 the last two digits of the birth year and
//! digits 7–12 are random. There is no check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::citizen::Sex;
use crate::provinces;

/// Why a string is not a personal ID number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonalIdError {
    #[error("a personal ID number has 12 digits, this one has {0} characters")]
    WrongLength(usize),
    #[error("a personal ID number has digits only, found {0:?}")]
    NotADigit(char),
}

/// Where the birth behind a number was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// One of the 63 provinces: the 2-digit GSO code.
    Province(&'static str),
    /// A code outside the 63 provinces, reserved for births registered abroad.
    Abroad,
}

/// A syntactically valid personal ID number; its meaning is read with the accessors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalId([u8; 12]);

impl PersonalId {
    /// Parses twelve ASCII digits; surrounding white space is not accepted.
    pub fn parse(s: &str) -> Result<Self, PersonalIdError> {
        let count = s.chars().count();
        if count != 12 {
            return Err(PersonalIdError::WrongLength(count));
        }
        let mut digits = [0u8; 12];
        for (slot, c) in digits.iter_mut().zip(s.chars()) {
            let d = c.to_digit(10).ok_or(PersonalIdError::NotADigit(c))?;
            // to_digit(10) is below 10, so the narrowing cannot lose anything.
            *slot = u8::try_from(d).map_err(|_| PersonalIdError::NotADigit(c))?;
        }
        Ok(Self(digits))
    }

    /// Builds a number from its 6-digit prefix and a serial below 1,000,000.
    pub fn from_parts(prefix: IdPrefix, serial: u32) -> Option<Self> {
        if serial >= 1_000_000 {
            return None;
        }
        Self::parse(&format!("{}{serial:06}", prefix.as_str())).ok()
    }

    pub fn as_string(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The first three digits as written.
    pub fn registration_code(&self) -> String {
        self.0
            .iter()
            .take(3)
            .map(|d| char::from(b'0' + d))
            .collect()
    }

    /// The province of birth registration, or `Abroad` for the reserved codes.
    pub fn registration(&self) -> Registration {
        let code = self.registration_code();
        match code.strip_prefix('0').and_then(provinces::by_code) {
            Some(p) => Registration::Province(p.code),
            None => Registration::Abroad,
        }
    }

    fn digit(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// Sex encoded in digit 4: even = male, odd = female.
    pub fn sex(&self) -> Sex {
        if self.digit(3).is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Birth year from digits 4–6: 0/1 = 1900s, 2/3 = 2000s, … 8/9 = 2300s.
    pub fn birth_year(&self) -> i16 {
        let century = 1900 + 100 * i16::from(self.digit(3) / 2);
        century + 10 * i16::from(self.digit(4)) + i16::from(self.digit(5))
    }

    /// The 6-digit prefix (registration, century and sex, year) that serials are unique within.
    pub fn prefix(&self) -> IdPrefix {
        IdPrefix(self.as_string().chars().take(6).collect())
    }

    /// The six random digits.
    pub fn serial(&self) -> u32 {
        self.0
            .iter()
            .skip(6)
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    }

    /// Whether the number agrees with a recorded sex and birth year.
    pub fn consistent_with(&self, sex: Sex, birth_year: i16) -> Result<(), Inconsistency> {
        if self.sex() != sex {
            return Err(Inconsistency::Sex {
                encoded: self.sex(),
            });
        }
        if self.birth_year() != birth_year {
            return Err(Inconsistency::BirthYear {
                encoded: self.birth_year(),
            });
        }
        Ok(())
    }
}

/// A personal ID number that disagrees with the record it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Inconsistency {
    #[error("the number encodes sex {encoded}, the record says otherwise")]
    Sex { encoded: Sex },
    #[error("the number encodes birth year {encoded}, the record says otherwise")]
    BirthYear { encoded: i16 },
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl fmt::Debug for PersonalId {
    // Debug output ends up in logs; show the prefix only, never the whole number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonalId({}******)", self.prefix().as_str())
    }
}

impl FromStr for PersonalId {
    type Err = PersonalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PersonalId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for PersonalId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The first six digits of a number: registration code, century-and-sex digit, birth year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdPrefix(String);

impl IdPrefix {
    /// The prefix for a birth registered in `province` (2-digit GSO code).
    pub fn new(province: &str, sex: Sex, birth_year: i16) -> Option<Self> {
        provinces::by_code(province)?;
        if !(1900..=2399).contains(&birth_year) {
            return None;
        }
        let century = (birth_year - 1900) / 100;
        let sex_bit = match sex {
            Sex::Male => 0,
            Sex::Female => 1,
        };
        Some(Self(format!(
            "0{province}{}{:02}",
            century * 2 + sex_bit,
            birth_year % 100
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Turns a per-prefix counter into the six random digits of a new number.
///
/// A keyed Feistel permutation over 0..1,000,000 (cycle-walking over 10⁶ inside 2²⁰):
/// distinct counters give distinct serials by construction, and without the key the
/// serials neither follow the counter nor can be predicted from earlier ones.
#[derive(Clone)]
pub struct SerialPermutation {
    round_keys: [u64; 4],
}

impl fmt::Debug for SerialPermutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SerialPermutation(<key>)")
    }
}

impl SerialPermutation {
    const HALF_BITS: u32 = 10;
    const HALF_MASK: u32 = (1 << Self::HALF_BITS) - 1;
    pub const DOMAIN: u32 = 1_000_000;

    /// `key` is a secret of the deployment; `prefix` makes each prefix its own permutation.
    pub fn new(key: &[u8], prefix: &IdPrefix) -> Self {
        use sha2::{Digest, Sha256};
        let mut round_keys = [0u64; 4];
        for (round, slot) in round_keys.iter_mut().enumerate() {
            let mut h = Sha256::new();
            h.update(key);
            h.update(prefix.as_str().as_bytes());
            h.update([u8::try_from(round).unwrap_or(0)]);
            let digest = h.finalize();
            let mut bytes = [0u8; 8];
            for (b, d) in bytes.iter_mut().zip(digest.iter()) {
                *b = *d;
            }
            *slot = u64::from_le_bytes(bytes);
        }
        Self { round_keys }
    }

    fn round(&self, half: u32, key: u64) -> u32 {
        let x = (u64::from(half) ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Keep the top bits of the product: they mix all input bits.
        u32::try_from(x >> (64 - Self::HALF_BITS)).unwrap_or(0) & Self::HALF_MASK
    }

    fn feistel(&self, x: u32) -> u32 {
        let mut left = x >> Self::HALF_BITS;
        let mut right = x & Self::HALF_MASK;
        for key in self.round_keys {
            let next = left ^ self.round(right, key);
            left = right;
            right = next;
        }
        (left << Self::HALF_BITS) | right
    }

    /// The serial for counter value `n` (< 1,000,000), or `None` when the prefix is exhausted.
    pub fn serial(&self, n: u32) -> Option<u32> {
        if n >= Self::DOMAIN {
            return None;
        }
        // Cycle-walking: a permutation of 2²⁰ restricted to values below 10⁶ is a
        // permutation of 0..10⁶.
        let mut x = self.feistel(n);
        while x >= Self::DOMAIN {
            x = self.feistel(x);
        }
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn explains_a_number() {
        let id = PersonalId::parse("042170012345").unwrap();
        assert_eq!(id.registration(), Registration::Province("42"));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth_year(), 1970);
        assert_eq!(id.serial(), 12345);

        let id = PersonalId::parse("001205000001").unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_year(), 2005);
    }

    #[test]
    fn unknown_province_codes_are_foreign_registered() {
        let id = PersonalId::parse("003090123456").unwrap();
        assert_eq!(id.registration(), Registration::Abroad);
        let id = PersonalId::parse("100090123456").unwrap();
        assert_eq!(id.registration(), Registration::Abroad);
    }

    #[test]
    fn rejects_malformed_numbers() {
        assert_eq!(
            PersonalId::parse("04219701234"),
            Err(PersonalIdError::WrongLength(11))
        );
        assert_eq!(
            PersonalId::parse("04219701234x"),
            Err(PersonalIdError::NotADigit('x'))
        );
        // Non-ASCII digits are digits to Unicode but not to the law.
        assert!(PersonalId::parse("٠٤٢١٩٧٠١٢٣٤٥").is_err());
        assert!(PersonalId::parse(" 42197012345").is_err());
    }

    #[test]
    fn prefix_encodes_century_and_sex() {
        let p = IdPrefix::new("42", Sex::Female, 2003).unwrap();
        assert_eq!(p.as_str(), "042303");
        let p = IdPrefix::new("01", Sex::Male, 1999).unwrap();
        assert_eq!(p.as_str(), "001099");
        assert!(IdPrefix::new("03", Sex::Male, 1999).is_none());
    }

    #[test]
    fn consistency_with_record() {
        let id = PersonalId::parse("042170012345").unwrap();
        assert!(id.consistent_with(Sex::Female, 1970).is_ok());
        assert!(matches!(
            id.consistent_with(Sex::Male, 1970),
            Err(Inconsistency::Sex { .. })
        ));
        assert!(matches!(
            id.consistent_with(Sex::Female, 1971),
            Err(Inconsistency::BirthYear { encoded: 1970 })
        ));
    }

    #[test]
    fn permutation_is_a_bijection_and_not_sequential() {
        let prefix = IdPrefix::new("42", Sex::Male, 1990).unwrap();
        let perm = SerialPermutation::new(b"test key", &prefix);
        let mut seen = vec![false; 1_000_000];
        for n in 0..1_000_000 {
            let s = perm.serial(n).unwrap() as usize;
            assert!(!seen[s], "serial {s} repeated");
            seen[s] = true;
        }
        assert_eq!(perm.serial(1_000_000), None);
        // Consecutive counters do not give consecutive serials.
        let steps = (0..1000)
            .filter(|&n| perm.serial(n + 1).unwrap() == perm.serial(n).unwrap() + 1)
            .count();
        assert!(steps < 5, "{steps} sequential steps");
    }

    #[test]
    fn keys_and_prefixes_give_different_permutations() {
        let p1 = IdPrefix::new("42", Sex::Male, 1990).unwrap();
        let p2 = IdPrefix::new("42", Sex::Female, 1990).unwrap();
        let a: Vec<_> = (0..20)
            .map(|n| SerialPermutation::new(b"k1", &p1).serial(n))
            .collect();
        let b: Vec<_> = (0..20)
            .map(|n| SerialPermutation::new(b"k2", &p1).serial(n))
            .collect();
        let c: Vec<_> = (0..20)
            .map(|n| SerialPermutation::new(b"k1", &p2).serial(n))
            .collect();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = PersonalId::parse(&s);
        }

        #[test]
        fn digits_round_trip(s in "[0-9]{12}") {
            let id = PersonalId::parse(&s).unwrap();
            prop_assert_eq!(id.as_string(), s.clone());
            let again: PersonalId = serde_json::from_str(&serde_json::to_string(&id).unwrap()).unwrap();
            prop_assert_eq!(again, id);
        }

        #[test]
        fn prefix_and_serial_rebuild_the_number(s in "0(01|42|79|96)[0-9]{9}") {
            let id = PersonalId::parse(&s).unwrap();
            let rebuilt = PersonalId::from_parts(id.prefix(), id.serial()).unwrap();
            prop_assert_eq!(rebuilt, id);
            let prefix = IdPrefix::new(&s[1..3], id.sex(), id.birth_year()).unwrap();
            prop_assert_eq!(prefix, id.prefix());
        }
    }
}
