//! What can go wrong, worded for a person reading `cancuoc mrz check`: every message names
//! the line (where there is one) and the field.

use std::fmt;

use thiserror::Error;

/// A data element of a machine-readable zone, as error messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    DocumentCode,
    IssuingState,
    DocumentNumber,
    OptionalData,
    BirthDate,
    Sex,
    ExpiryDate,
    Nationality,
    PersonalNumber,
    /// The composite check digit over several fields (Doc 9303-4 §4.2.4, Doc 9303-5 §4.2.4).
    Composite,
    Name,
    /// The 12-digit personal ID of the Vietnamese layout.
    PersonalId,
    /// Positions that a layout reserves for filler characters.
    Filler,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::DocumentCode => "document code",
            Field::IssuingState => "issuing state",
            Field::DocumentNumber => "document number",
            Field::OptionalData => "optional data",
            Field::BirthDate => "birth date",
            Field::Sex => "sex",
            Field::ExpiryDate => "expiry date",
            Field::Nationality => "nationality",
            Field::PersonalNumber => "personal number",
            Field::Composite => "composite",
            Field::Name => "name",
            Field::PersonalId => "personal ID",
            Field::Filler => "filler",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A machine-readable zone that could not be read or built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MrzError {
    /// The layout needs this many lines (blank lines are not counted).
    #[error("expected {expected} lines, found {found}")]
    LineCount { expected: usize, found: usize },
    #[error("line {line} has {found} characters, expected {expected}")]
    LineLength {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "line {line}, position {position}: character {found:?} is not allowed in a machine-readable zone"
    )]
    Character {
        line: usize,
        position: usize,
        found: char,
    },
    /// No layout this crate reads has this many lines.
    #[error(
        "{lines} lines are no machine-readable zone this crate reads (TD1: 3 lines of 30, TD3: 2 lines of 44)"
    )]
    UnknownLayout { lines: usize },
    /// Two lines of 36: TD2 cards and MRV-B visas (Doc 9303-6, -7), not read here.
    #[error("2 lines of 36 characters are a TD2 or visa zone, which this crate does not read")]
    UnsupportedLayout,
    #[error("line {line}: {field} check digit is {found}, expected {expected}")]
    CheckDigit {
        line: usize,
        field: Field,
        found: char,
        expected: char,
    },
    /// A field of a zone that does not hold what its layout allows.
    #[error("line {line}: {field} is {found:?}, expected {expected}")]
    Field {
        line: usize,
        field: Field,
        found: String,
        expected: &'static str,
    },
    /// A value given to an encoder that its field cannot hold.
    #[error("{field} is {found:?}, expected {expected}")]
    Value {
        field: Field,
        found: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Name(#[from] NameError),
}

/// A holder's name that cannot be written in, or read from, an MRZ name field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    #[error("name {0:?} has no letters")]
    Empty(String),
    #[error("name has the letter {0:?}, which has no transliteration to A–Z")]
    Untransliterable(char),
    #[error("name field width is 0")]
    ZeroWidth,
    #[error("name field is {found:?}, expected {expected}")]
    Field {
        found: String,
        expected: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_line_and_field() {
        let e = MrzError::CheckDigit {
            line: 2,
            field: Field::BirthDate,
            found: '3',
            expected: '2',
        };
        assert_eq!(
            e.to_string(),
            "line 2: birth date check digit is 3, expected 2"
        );
        let e = MrzError::Field {
            line: 2,
            field: Field::Sex,
            found: "X".into(),
            expected: "M, F or <",
        };
        assert_eq!(e.to_string(), "line 2: sex is \"X\", expected M, F or <");
    }
}
