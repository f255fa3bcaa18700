//! The text fields shared by the layouts, each validated the same way whether it comes
//! from an encoder's caller or from a zone being read. Values are kept without their
//! trailing fillers, which the encoders put back (Doc 9303-3 §4.10).

use crate::check::is_mrz_char;
use crate::error::{Field, MrzError};
use crate::lines::Line;

pub(crate) const STATE: &str = "a three-letter code";

fn mrz_text(value: &str) -> bool {
    value.chars().all(is_mrz_char)
}

/// A document code of one or two characters, the first among `first`, the second a
/// letter or the filler (Doc 9303-4 §4.2.2.1, Doc 9303-5 §4.2.2.1 note k).
pub(crate) fn document_code(value: &str, first: &[char]) -> Option<String> {
    let mut chars = value.chars();
    let lead = chars.next()?;
    let second = chars.next().unwrap_or('<');
    let ok = first.contains(&lead)
        && (second == '<' || second.is_ascii_uppercase())
        && chars.next().is_none();
    ok.then(|| value.trim_end_matches('<').to_owned())
}

/// A three-letter state or organization code, shorter codes padded with fillers
/// (Doc 9303-3 §4.7 and §5, e.g. `D<<`).
pub(crate) fn state(value: &str) -> Option<String> {
    let trimmed = value.trim_end_matches('<');
    let ok = value.chars().count() <= 3
        && !trimmed.is_empty()
        && trimmed.chars().all(|c| c.is_ascii_uppercase())
        && mrz_text(value);
    ok.then(|| trimmed.to_owned())
}

/// A document number of at most `max` characters that does not start with a filler. Past
/// the ninth character (a TD1 long document number, Doc 9303-5 §4.2.2.1 note j) fillers are
/// not allowed, since the first filler there ends the number.
pub(crate) fn document_number(value: &str, max: usize) -> Option<String> {
    let trimmed = value.trim_end_matches('<');
    let ok = mrz_text(value)
        && !trimmed.is_empty()
        && !trimmed.starts_with('<')
        && trimmed.len() <= max
        && trimmed.get(9..).is_none_or(|rest| !rest.contains('<'));
    ok.then(|| trimmed.to_owned())
}

/// Optional data of at most `max` characters of the MRZ set.
pub(crate) fn optional(value: &str, max: usize) -> Option<String> {
    let trimmed = value.trim_end_matches('<');
    (mrz_text(value) && trimmed.len() <= max).then(|| trimmed.to_owned())
}

/// A value read from positions `from`..=`to` of `line` and validated by `valid`.
pub(crate) fn read(
    line: &Line<'_>,
    (from, to): (usize, usize),
    field: Field,
    expected: &'static str,
    valid: impl FnOnce(&str) -> Option<String>,
) -> Result<String, MrzError> {
    let found = line.get(from, to);
    valid(found).ok_or_else(|| MrzError::Field {
        line: line.number,
        field,
        found: found.to_owned(),
        expected,
    })
}

/// A value given to an encoder, validated by `valid`.
pub(crate) fn given(
    value: &str,
    field: Field,
    expected: &'static str,
    valid: impl FnOnce(&str) -> Option<String>,
) -> Result<String, MrzError> {
    valid(value).ok_or_else(|| MrzError::Value {
        field,
        found: value.to_owned(),
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(document_code("I<", &['I']), Some("I".into()));
        assert_eq!(document_code("ID", &['A', 'C', 'I']), Some("ID".into()));
        assert_eq!(document_code("P", &['P']), Some("P".into()));
        assert_eq!(document_code("<I", &['I']), None);
        assert_eq!(document_code("I1", &['I']), None);
        assert_eq!(document_code("", &['I']), None);
        assert_eq!(state("D<<"), Some("D".into()));
        assert_eq!(state("VNM"), Some("VNM".into()));
        assert_eq!(state("<<<"), None);
        assert_eq!(state("V1M"), None);
        assert_eq!(state("VNMX"), None);
    }

    #[test]
    fn document_numbers() {
        assert_eq!(document_number("D23145890", 9), Some("D23145890".into()));
        assert_eq!(document_number("AB<<<<<<<", 9), Some("AB".into()));
        assert_eq!(document_number("<AB", 9), None);
        assert_eq!(document_number("<<<<<<<<<", 9), None);
        assert_eq!(document_number("ABCDEFGHIJ", 9), None);
        assert_eq!(document_number("ABCDEFGHIJ", 22), Some("ABCDEFGHIJ".into()));
        assert_eq!(document_number("ABCDEFGHIJ<K", 22), None);
    }
}
