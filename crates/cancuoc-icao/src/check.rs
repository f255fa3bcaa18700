//! The MRZ character set and check digits (Doc 9303-3 §4.9).

use thiserror::Error;

/// A character that may not appear in a machine-readable zone.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("character {0:?} is not allowed in a machine-readable zone")]
pub struct InvalidMrzChar(pub char);

/// The value of one MRZ character: `<` = 0, digits = 0–9, A–Z = 10–35 (Doc 9303-3 §4.9).
pub fn char_value(c: char) -> Result<u32, InvalidMrzChar> {
    match c {
        '<' => Ok(0),
        '0'..='9' => Ok(u32::from(c) - u32::from('0')),
        'A'..='Z' => Ok(u32::from(c) - u32::from('A') + 10),
        other => Err(InvalidMrzChar(other)),
    }
}

/// The check digit of a field: weights 7, 3, 1 repeating, sum modulo 10 (Doc 9303-3 §4.9).
pub fn check_digit(field: &str) -> Result<char, InvalidMrzChar> {
    let mut sum = 0u32;
    for (c, weight) in field.chars().zip([7u32, 3, 1].iter().cycle()) {
        sum += char_value(c)? * weight;
    }
    let digit = sum % 10;
    char::from_digit(digit, 10).ok_or(InvalidMrzChar(' '))
}

/// Whether `c` belongs to the MRZ character set: A–Z, 0–9 and the filler `<`.
pub(crate) fn is_mrz_char(c: char) -> bool {
    char_value(c).is_ok()
}

/// The check digit of text already known to hold only MRZ characters. Outside the set a
/// character counts as 0; the parsers only call this after the set has been checked.
pub(crate) fn digit_of(field: &str) -> char {
    let mut sum = 0u32;
    for (c, weight) in field.chars().zip([7u32, 3, 1].iter().cycle()) {
        sum += char_value(c).unwrap_or(0) * weight;
    }
    char::from_digit(sum % 10, 10).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specimen_check_digits_of_doc_9303_part_5() {
        // TD1 specimen: document number D23145890 → 7, birth 740812 → 2, expiry 120415 → 9.
        assert_eq!(check_digit("D23145890"), Ok('7'));
        assert_eq!(check_digit("740812"), Ok('2'));
        assert_eq!(check_digit("120415"), Ok('9'));
    }

    #[test]
    fn specimen_check_digits_of_doc_9303_part_4() {
        assert_eq!(check_digit("L898902C3"), Ok('6'));
        assert_eq!(check_digit("ZE184226B<<<<<"), Ok('1'));
    }

    #[test]
    fn fillers_count_as_zero() {
        assert_eq!(check_digit("<<<<<<"), Ok('0'));
        assert_eq!(check_digit(""), Ok('0'));
    }

    #[test]
    fn rejects_lower_case() {
        assert_eq!(check_digit("abc"), Err(InvalidMrzChar('a')));
    }

    #[test]
    fn internal_digit_agrees_with_the_public_one() {
        for field in ["D23145890", "740812", "ZE184226B<<<<<", "012345678901"] {
            assert_eq!(Ok(digit_of(field)), check_digit(field));
        }
    }
}
