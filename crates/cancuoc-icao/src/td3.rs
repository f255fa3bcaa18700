//! TD3 passports, two lines of 44 characters (Doc 9303-4 §4.2.2).
//!
//! Line 1: document code (1–2), issuing state (3–5), name (6–44). Line 2: passport number
//! (1–9) and check digit (10), nationality (11–13), birth date (14–19) and check digit (20),
//! sex (21), expiry date (22–27) and check digit (28), personal number or other optional
//! data (29–42) and check digit (43), composite check digit (44) over positions 1–10, 14–20
//! and 22–43 (Doc 9303-4 §4.2.4).

use crate::check::digit_of;
use crate::date::{MrzDate, Sex};
use crate::error::{Field, MrzError};
use crate::fields;
use crate::lines::{Collector, Line, Problems, pad, shape};
use crate::name::{MrzName, parse_name};
use crate::td1;

/// Characters in each line of a TD3 zone.
pub const TD3_WIDTH: usize = 44;
/// Positions for the name, 6–44 of line 1.
pub const TD3_NAME_WIDTH: usize = 39;

const CODE: &str = "P, then a letter or <";
const NUMBER: &str = "up to 9 characters A–Z, 0–9 or <, not starting with <";
const PERSONAL: &str = "up to 14 characters A–Z, 0–9 or <";
const NAME: &str = "a name field as in Doc 9303-3 §4.6";

/// The data elements of a TD3 zone, as given to [`Td3::new`]. Text fields hold MRZ
/// characters (A–Z, 0–9, `<`) and may omit their trailing fillers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Td3Fields {
    pub document_code: String,
    pub issuing_state: String,
    pub name: MrzName,
    pub document_number: String,
    pub nationality: String,
    pub birth: MrzDate,
    pub sex: Sex,
    pub expiry: MrzDate,
    pub personal_number: String,
}

/// A TD3 zone whose every field and check digit is valid. Built by [`Td3::new`] from its
/// fields or by [`Td3::parse`] from two lines; [`Td3::encode`] writes the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Td3 {
    document_code: String,
    issuing_state: String,
    name: MrzName,
    document_number: String,
    nationality: String,
    birth: MrzDate,
    sex: Sex,
    expiry: MrzDate,
    personal_number: String,
    /// With no personal number, the check digit "may be zero or the filler character at the
    /// option of the issuing State" (Doc 9303-4 §4.2.2.2, position 43); a zone read keeps
    /// its choice, a zone built uses the filler.
    empty_check_zero: bool,
}

impl Td3 {
    /// Validates the fields. A name longer than its 39 positions is truncated here (see
    /// [`MrzName::field`]), so [`Td3::name`] is what the zone holds.
    pub fn new(fields: Td3Fields) -> Result<Td3, MrzError> {
        use fields::given;
        Ok(Td3 {
            document_code: given(&fields.document_code, Field::DocumentCode, CODE, |v| {
                fields::document_code(v, &['P'])
            })?,
            issuing_state: given(
                &fields.issuing_state,
                Field::IssuingState,
                fields::STATE,
                fields::state,
            )?,
            // Kept as the zone will hold it, so that parsing the lines gives this value back.
            name: fields.name.truncated(TD3_NAME_WIDTH),
            document_number: given(
                &fields.document_number,
                Field::DocumentNumber,
                NUMBER,
                |v| fields::document_number(v, 9),
            )?,
            nationality: given(
                &fields.nationality,
                Field::Nationality,
                fields::STATE,
                fields::state,
            )?,
            birth: fields.birth,
            sex: fields.sex,
            expiry: fields.expiry,
            personal_number: given(
                &fields.personal_number,
                Field::PersonalNumber,
                PERSONAL,
                |v| fields::optional(v, 14),
            )?,
            empty_check_zero: false,
        })
    }

    /// Reads two lines of 44 (trailing whitespace and blank lines ignored) and checks every
    /// field and check digit; the error names the first failing one.
    pub fn parse(lines: &[&str]) -> Result<Td3, MrzError> {
        let lines = shape::<2>(lines, TD3_WIDTH)?;
        read(&lines).map_err(|problems| problems.first)
    }

    /// The two lines, 44 characters each.
    pub fn encode(&self) -> [String; 2] {
        let line1 = format!(
            "{}{}{}",
            pad(&self.document_code, 2),
            pad(&self.issuing_state, 3),
            self.name.field(TD3_NAME_WIDTH)
        );
        let number = pad(&self.document_number, 9);
        let birth = self.birth.to_string();
        let expiry = self.expiry.to_string();
        let personal = pad(&self.personal_number, 14);
        let personal_check = match (self.personal_number.is_empty(), self.empty_check_zero) {
            (true, true) => '0',
            (true, false) => '<',
            (false, _) => digit_of(&personal),
        };
        let head = format!(
            "{number}{}{}{birth}{}{}{expiry}{}{personal}{personal_check}",
            digit_of(&number),
            pad(&self.nationality, 3),
            digit_of(&birth),
            self.sex.code(),
            digit_of(&expiry),
        );
        let composite = digit_of(&composite_input(&head));
        [line1, format!("{head}{composite}")]
    }

    pub fn document_code(&self) -> &str {
        &self.document_code
    }
    pub fn issuing_state(&self) -> &str {
        &self.issuing_state
    }
    pub fn name(&self) -> &MrzName {
        &self.name
    }
    pub fn document_number(&self) -> &str {
        &self.document_number
    }
    pub fn nationality(&self) -> &str {
        &self.nationality
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
    /// The personal number or other optional data, without trailing fillers.
    pub fn personal_number(&self) -> &str {
        &self.personal_number
    }
}

/// Positions 1–10, 14–20 and 22–43 of line 2 (Doc 9303-4 §4.2.4).
fn composite_input(line2: &str) -> String {
    let at = |from: usize, to: usize| line2.get(from - 1..to).unwrap_or("").to_owned();
    at(1, 10) + &at(14, 20) + &at(22, 43)
}

/// Every failing field of a TD3 zone of the right shape, or the zone.
pub(crate) fn read(lines: &[Line<'_>; 2]) -> Result<Td3, Problems> {
    let [l1, l2] = lines;
    let mut c = Collector::default();
    let document_code = c.or(
        fields::read(l1, (1, 2), Field::DocumentCode, CODE, |v| {
            fields::document_code(v, &['P'])
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
    let name_field = l1.get(6, 44);
    let name = c.or(
        parse_name(name_field).map_err(|_| MrzError::Field {
            line: l1.number,
            field: Field::Name,
            found: name_field.to_owned(),
            expected: NAME,
        }),
        MrzName::placeholder(),
    );
    let document_number = c.or(
        fields::read(l2, (1, 9), Field::DocumentNumber, NUMBER, |v| {
            fields::document_number(v, 9)
        }),
        String::new(),
    );
    c.check_digit(l2, 10, Field::DocumentNumber, l2.get(1, 9));
    let nationality = c.or(
        fields::read(
            l2,
            (11, 13),
            Field::Nationality,
            fields::STATE,
            fields::state,
        ),
        String::new(),
    );
    let birth = c.or(td1::date(l2, 14, Field::BirthDate), MrzDate::UNKNOWN);
    c.check_digit(l2, 20, Field::BirthDate, l2.get(14, 19));
    let sex = c.or(td1::sex(l2, 21), Sex::Unspecified);
    let expiry = c.or(td1::date(l2, 22, Field::ExpiryDate), MrzDate::UNKNOWN);
    c.check_digit(l2, 28, Field::ExpiryDate, l2.get(22, 27));
    let personal = l2.get(29, 42);
    let personal_number = personal.trim_end_matches('<').to_owned();
    let empty_check_zero = personal_number.is_empty() && l2.at(43) == '0';
    if !(personal_number.is_empty() && l2.at(43) == '<') {
        c.check_digit(l2, 43, Field::PersonalNumber, personal);
    }
    c.check_digit(l2, 44, Field::Composite, &composite_input(l2.text()));
    c.finish(Td3 {
        document_code,
        issuing_state,
        name,
        document_number,
        nationality,
        birth,
        sex,
        expiry,
        personal_number,
        empty_check_zero,
    })
}
