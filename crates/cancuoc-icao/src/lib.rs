//! ICAO Doc 9303 building blocks for the Vietnamese chip identity card.
//!
//! This crate knows the machine-readable zone's character set and check digits
//! (Doc 9303 part 3 §4.9). It does no I/O and knows nothing about the register;
//! the TD1 layout of the CCCD and the chip data groups arrive with the card work.

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

/// The check digit of a field: weights 7, 3, 1 repeating, sum modulo 10.
pub fn check_digit(field: &str) -> Result<char, InvalidMrzChar> {
    let mut sum = 0u32;
    for (c, weight) in field.chars().zip([7u32, 3, 1].iter().cycle()) {
        sum += char_value(c)? * weight;
    }
    let digit = sum % 10;
    char::from_digit(digit, 10).ok_or(InvalidMrzChar(' '))
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
    fn rejects_lower_case() {
        assert_eq!(check_digit("abc"), Err(InvalidMrzChar('a')));
    }
}
