//! TD1 cards, three lines of 30 characters (Doc 9303-5 §4.2.2).
//!
//! Line 1: document code (1–2), issuing state (3–5), document number (6–14), its check
//! digit (15), optional data (16–30). Line 2: birth date (1–6) and check digit (7), sex (8),
//! expiry date (9–14) and check digit (15), nationality (16–18), optional data (19–29),
//! composite check digit (30) over line 1 positions 6–30 and line 2 positions 1–7, 9–15 and
//! 19–29 (Doc 9303-5 §4.2.4). Line 3: the name (Doc 9303-5 §4.2.2.3).
//!
//! A document number longer than nine characters (Doc 9303-5 §4.2.2.1 note j) is written
//! with its first nine in positions 6–14, a filler in 15, and the rest at the start of the
//! optional data followed by its check digit and a filler; its check digit covers
//! positions 6–14 and the rest (Doc 9303-5 §4.2.4).

use crate::check::digit_of;
use crate::date::{MrzDate, Sex};
use crate::error::{Field, MrzError};
use crate::fields;
use crate::lines::{Collector, Line, Problems, pad, shape};
use crate::name::{MrzName, parse_name};

/// Characters in each line of a TD1 zone.
pub const TD1_WIDTH: usize = 30;
/// Positions for the name, the whole of line 3.
pub const TD1_NAME_WIDTH: usize = 30;

/// The longest document number: nine in positions 6–14, thirteen more in the optional data
/// before the check digit and filler (Doc 9303-5 §4.2.4, last digit in 16–28).
const MAX_NUMBER: usize = 22;

const CODE: &str = "A, C or I, then a letter or <";
const NUMBER: &str = "up to 22 characters A–Z, 0–9 or <, not starting with <";
const LONG_NUMBER: &str =
    "a long document number: its remaining characters, a check digit and < in positions 16 to 30";
const OPTIONAL_1: &str = "up to 15 characters A–Z, 0–9 or < (fewer after a long document number)";
const OPTIONAL_2: &str = "up to 11 characters A–Z, 0–9 or <";
const DATE: &str = "a date YYMMDD, with unknown parts as <<";
const SEX: &str = "M, F or <";
const NAME: &str = "a name field as in Doc 9303-3 §4.6";

/// The data elements of a TD1 zone, as given to [`Td1::new`]. Text fields hold MRZ
/// characters (A–Z, 0–9, `<`) and may omit their trailing fillers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Td1Fields {
    pub document_code: String,
    pub issuing_state: String,
    pub document_number: String,
    pub optional_data_1: String,
    pub birth: MrzDate,
    pub sex: Sex,
    pub expiry: MrzDate,
    pub nationality: String,
    pub optional_data_2: String,
    pub name: MrzName,
}

/// A TD1 zone whose every field and check digit is valid. Built by [`Td1::new`] from its
/// fields or by [`Td1::parse`] from three lines; [`Td1::encode`] writes the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Td1 {
    document_code: String,
    issuing_state: String,
    document_number: String,
    optional_data_1: String,
    birth: MrzDate,
    sex: Sex,
    expiry: MrzDate,
    nationality: String,
    optional_data_2: String,
    name: MrzName,
}

impl Td1 {
    /// Validates the fields. A name longer than its 30 positions is truncated here (see
    /// [`MrzName::field`]), so [`Td1::name`] is what the zone holds.
    pub fn new(fields: Td1Fields) -> Result<Td1, MrzError> {
        use fields::given;
        let document_code = given(&fields.document_code, Field::DocumentCode, CODE, |v| {
            fields::document_code(v, &['A', 'C', 'I'])
        })?;
        let issuing_state = given(
            &fields.issuing_state,
            Field::IssuingState,
            fields::STATE,
            fields::state,
        )?;
        let document_number = given(
            &fields.document_number,
            Field::DocumentNumber,
            NUMBER,
            |v| fields::document_number(v, MAX_NUMBER),
        )?;
        let room = optional_room(&document_number);
        let optional_data_1 = given(
            &fields.optional_data_1,
            Field::OptionalData,
            OPTIONAL_1,
            |v| fields::optional(v, room),
        )?;
        let nationality = given(
            &fields.nationality,
            Field::Nationality,
            fields::STATE,
            fields::state,
        )?;
        let optional_data_2 = given(
            &fields.optional_data_2,
            Field::OptionalData,
            OPTIONAL_2,
            |v| fields::optional(v, 11),
        )?;
        Ok(Td1 {
            document_code,
            issuing_state,
            document_number,
            optional_data_1,
            birth: fields.birth,
            sex: fields.sex,
            expiry: fields.expiry,
            nationality,
            optional_data_2,
            // Kept as the zone will hold it, so that parsing the lines gives this value back.
            name: fields.name.truncated(TD1_NAME_WIDTH),
        })
    }

    /// Reads three lines of 30 (trailing whitespace and blank lines ignored) and checks
    /// every field and check digit; the error names the first failing one.
    pub fn parse(lines: &[&str]) -> Result<Td1, MrzError> {
        let lines = shape::<3>(lines, TD1_WIDTH)?;
        read(&lines).map_err(|problems| problems.first)
    }

    /// The three lines, 30 characters each.
    pub fn encode(&self) -> [String; 3] {
        let line1 = if self.document_number.len() > 9 {
            let (head, rest) = split_at_9(&self.document_number);
            let check = digit_of(&self.document_number);
            format!(
                "{}{}{head}<{}",
                pad(&self.document_code, 2),
                pad(&self.issuing_state, 3),
                pad(&format!("{rest}{check}<{}", self.optional_data_1), 15)
            )
        } else {
            let number = pad(&self.document_number, 9);
            format!(
                "{}{}{number}{}{}",
                pad(&self.document_code, 2),
                pad(&self.issuing_state, 3),
                digit_of(&number),
                pad(&self.optional_data_1, 15)
            )
        };
        let line2 = line2(
            &self.birth,
            self.sex,
            &self.expiry,
            &self.nationality,
            &self.optional_data_2,
            &line1,
        );
        [line1, line2, self.name.field(TD1_NAME_WIDTH)]
    }

    pub fn document_code(&self) -> &str {
        &self.document_code
    }
    pub fn issuing_state(&self) -> &str {
        &self.issuing_state
    }
    /// The document number without trailing fillers; longer than nine characters when the
    /// zone uses the long document number convention.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }
    /// Optional data of line 1, after the end of a long document number if there is one.
    pub fn optional_data_1(&self) -> &str {
        &self.optional_data_1
    }
    pub fn birth(&self) -> MrzDate {
        self.birth
    }
    pub fn sex(&self) -> Sex {
        self.sex
    }
    pub fn expiry(&self) -> MrzDate {
        self.expiry
    }
    pub fn nationality(&self) -> &str {
        &self.nationality
    }
    pub fn optional_data_2(&self) -> &str {
        &self.optional_data_2
    }
    pub fn name(&self) -> &MrzName {
        &self.name
    }
}

/// Positions of line 1's optional data left after a long document number's remaining
/// characters, check digit and filler.
fn optional_room(number: &str) -> usize {
    if number.len() > 9 {
        15usize.saturating_sub(number.len() - 9 + 2)
    } else {
        15
    }
}

fn split_at_9(number: &str) -> (&str, &str) {
    (
        number.get(..9).unwrap_or(number),
        number.get(9..).unwrap_or(""),
    )
}

/// Line 2 of a TD1 zone whose line 1 is `line1`: shared with the Vietnamese layout, which
/// fills it the same way.
pub(crate) fn line2(
    birth: &MrzDate,
    sex: Sex,
    expiry: &MrzDate,
    nationality: &str,
    optional: &str,
    line1: &str,
) -> String {
    let birth = birth.to_string();
    let expiry = expiry.to_string();
    let head = format!(
        "{birth}{}{}{expiry}{}{}{}",
        digit_of(&birth),
        sex.code(),
        digit_of(&expiry),
        pad(nationality, 3),
        pad(optional, 11)
    );
    let composite = digit_of(&composite_input(line1, &head));
    format!("{head}{composite}")
}

/// The characters the TD1 composite check digit covers: line 1 positions 6–30, line 2
/// positions 1–7, 9–15 and 19–29 (Doc 9303-5 §4.2.4).
pub(crate) fn composite_input(line1: &str, line2: &str) -> String {
    let at = |line: &str, from: usize, to: usize| line.get(from - 1..to).unwrap_or("").to_owned();
    at(line1, 6, 30) + &at(line2, 1, 7) + &at(line2, 9, 15) + &at(line2, 19, 29)
}

/// Birth date, sex, expiry date and their check digits, and the composite check digit: the
/// part of line 2 that every TD1 layout shares.
pub(crate) struct Line2 {
    pub(crate) birth: MrzDate,
    pub(crate) sex: Sex,
    pub(crate) expiry: MrzDate,
}

pub(crate) fn read_line2(c: &mut Collector, l1: &Line<'_>, l2: &Line<'_>) -> Line2 {
    let birth = c.or(date(l2, 1, Field::BirthDate), MrzDate::UNKNOWN);
    c.check_digit(l2, 7, Field::BirthDate, l2.get(1, 6));
    let sex = c.or(sex(l2, 8), Sex::Unspecified);
    let expiry = c.or(date(l2, 9, Field::ExpiryDate), MrzDate::UNKNOWN);
    c.check_digit(l2, 15, Field::ExpiryDate, l2.get(9, 14));
    c.check_digit(
        l2,
        30,
        Field::Composite,
        &composite_input(l1.text(), l2.text()),
    );
    Line2 { birth, sex, expiry }
}

pub(crate) fn date(line: &Line<'_>, from: usize, field: Field) -> Result<MrzDate, MrzError> {
    let found = line.get(from, from + 5);
    MrzDate::parse(found).ok_or_else(|| MrzError::Field {
        line: line.number,
        field,
        found: found.to_owned(),
        expected: DATE,
    })
}

pub(crate) fn sex(line: &Line<'_>, at: usize) -> Result<Sex, MrzError> {
    let found = line.at(at);
    Sex::from_code(found).ok_or_else(|| MrzError::Field {
        line: line.number,
        field: Field::Sex,
        found: found.to_string(),
        expected: SEX,
    })
}

pub(crate) fn name(line: &Line<'_>) -> Result<MrzName, MrzError> {
    parse_name(line.text()).map_err(|_| MrzError::Field {
        line: line.number,
        field: Field::Name,
        found: line.text().to_owned(),
        expected: NAME,
    })
}

/// Every failing field of a TD1 zone of the right shape, or the zone.
pub(crate) fn read(lines: &[Line<'_>; 3]) -> Result<Td1, Problems> {
    let [l1, l2, l3] = lines;
    let mut c = Collector::default();
    let document_code = c.or(
        fields::read(l1, (1, 2), Field::DocumentCode, CODE, |v| {
            fields::document_code(v, &['A', 'C', 'I'])
        }),
        String::new(),
    );
    let issuing_state = c.or(
        fields::read(
            l1,
            (3, 5),
            Field::IssuingState,
            fields::STATE,
            fields::state,
        ),
        String::new(),
    );
    let (document_number, optional_data_1) = document_number(&mut c, l1);
    let Line2 { birth, sex, expiry } = read_line2(&mut c, l1, l2);
    let nationality = c.or(
        fields::read(
            l2,
            (16, 18),
            Field::Nationality,
            fields::STATE,
            fields::state,
        ),
        String::new(),
    );
    let optional_data_2 = c.or(
        fields::read(l2, (19, 29), Field::OptionalData, OPTIONAL_2, |v| {
            fields::optional(v, 11)
        }),
        String::new(),
    );
    let name = c.or(name(l3), MrzName::placeholder());
    c.finish(Td1 {
        document_code,
        issuing_state,
        document_number,
        optional_data_1,
        birth,
        sex,
        expiry,
        nationality,
        optional_data_2,
        name,
    })
}

/// The document number, short or long, with its check digit, and the optional data of
/// line 1 that follows it.
fn document_number(c: &mut Collector, l1: &Line<'_>) -> (String, String) {
    let head = l1.get(6, 14);
    let optional = l1.get(16, 30);
    if l1.at(15) == '<' && l1.at(16) != '<' {
        // Note j: the number goes on in the optional data up to its check digit, which the
        // first filler follows. At least one more character and the check digit.
        let end = optional.find('<').filter(|&end| end >= 2);
        let Some(end) = end else {
            c.push(MrzError::Field {
                line: l1.number,
                field: Field::DocumentNumber,
                found: l1.get(6, 30).to_owned(),
                expected: LONG_NUMBER,
            });
            return (String::new(), String::new());
        };
        let rest = optional.get(..end - 1).unwrap_or("");
        let number = format!("{head}{rest}");
        c.check_digit(l1, 15 + end, Field::DocumentNumber, &number);
        let valid = fields::document_number(&number, MAX_NUMBER).ok_or_else(|| MrzError::Field {
            line: l1.number,
            field: Field::DocumentNumber,
            found: number.clone(),
            expected: NUMBER,
        });
        let number = c.or(valid, String::new());
        let after = optional.get(end + 1..).unwrap_or("");
        (number, after.trim_end_matches('<').to_owned())
    } else {
        c.check_digit(l1, 15, Field::DocumentNumber, head);
        let number = c.or(
            fields::read(l1, (6, 14), Field::DocumentNumber, NUMBER, |v| {
                fields::document_number(v, 9)
            }),
            String::new(),
        );
        (number, optional.trim_end_matches('<').to_owned())
    }
}
