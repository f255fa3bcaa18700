//! The TD1 layout of Vietnam's chip identity card (CCCD), read explicitly: it is not
//! Doc 9303-5's long-document-number convention, although it also keeps a longer number
//! in line 1's optional data.
//!
//! ```text
//! line 1: ID VNM ddddddddd c dddddddddddd << c     2+3+9+1+12+2+1 = 30
//!         │  │   │         │ │            │  └ check digit over the 12 digits
//!         │  │   │         │ │            └ fillers
//!         │  │   │         │ └ the 12-digit personal ID
//!         │  │   │         └ check digit over the 9 digits (Doc 9303-5 position 15)
//!         │  │   └ the last 9 digits of the personal ID, as document number
//!         │  └ issuing state
//!         └ document code
//! line 2: birth date YYMMDD + check, sex M/F, expiry YYMMDD + check, VNM, 11 fillers,
//!         the TD1 composite check digit (Doc 9303-5 §4.2.4)
//! line 3: the name, 30 positions (Doc 9303-5 §4.2.2.3)
//! ```
//!
//! The personal ID is only twelve digits here: what they mean (province, century and sex,
//! serial) is `cancuoc-domain`'s business.

use jiff::civil::Date;

use crate::check::digit_of;
use crate::date::{MrzDate, Sex};
use crate::error::{Field, MrzError};
use crate::lines::{Collector, Line, Problems, shape};
use crate::name::MrzName;
use crate::td1::{self, Line2, TD1_NAME_WIDTH, TD1_WIDTH};

/// The expiry field of a card that does not expire (issued to citizens aged 60 and over).
///
/// Unconfirmed convention: Doc 9303 has no value for "no expiry" and this crate has no
/// specimen of such a card; `991231` is the value other national cards use and it passes
/// every TD1 date check. Kept in this one constant so that it can be corrected in one place.
pub const NO_EXPIRY: &str = "991231";

const DIGITS_9: &str = "9 digits";
const DIGITS_12: &str = "12 digits";
const SAME_DIGITS: &str = "the last 9 digits of the personal ID";
const BIRTH: &str = "a date YYMMDD with a known year, and an unknown day, or month and day, as <<";
const EXPIRY: &str = "a complete date YYMMDD, or 991231 for a card that does not expire";
const SEX: &str = "M or F";

/// A date of birth of which the day, or the month and the day, may be unknown, as the
/// register holds them. The MRZ writes the unknown parts as fillers (Doc 9303-3 §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthDate {
    year: i16,
    month: Option<i8>,
    day: Option<i8>,
}

impl BirthDate {
    /// A four-digit year (1000–9999), and a month and day that exist; a day needs a month.
    pub fn new(year: i16, month: Option<i8>, day: Option<i8>) -> Result<BirthDate, MrzError> {
        let wrong = || MrzError::Value {
            field: Field::BirthDate,
            found: format!("{year:04}-{month:?}-{day:?}"),
            expected: "a four-digit year, then a month, then a day, each that exists",
        };
        if !(1000..=9999).contains(&year) {
            return Err(wrong());
        }
        match (month, day) {
            (None, None) => {}
            (Some(m), None) if (1..=12).contains(&m) => {}
            (Some(m), Some(d)) if Date::new(year, m, d).is_ok() => {}
            _ => return Err(wrong()),
        }
        Ok(BirthDate { year, month, day })
    }

    pub fn full(date: Date) -> Result<BirthDate, MrzError> {
        BirthDate::new(date.year(), Some(date.month()), Some(date.day()))
    }

    pub fn year(&self) -> i16 {
        self.year
    }

    pub fn month(&self) -> Option<i8> {
        self.month
    }

    pub fn day(&self) -> Option<i8> {
        self.day
    }

    /// `YYMMDD`, the century dropped and unknown parts `<<`.
    pub fn to_mrz(&self) -> MrzDate {
        let two = |v: i8| u8::try_from(v).ok();
        let year = u8::try_from(self.year.rem_euclid(100)).ok();
        MrzDate::new(year, self.month.and_then(two), self.day.and_then(two))
            .unwrap_or(MrzDate::UNKNOWN)
    }
}

/// What the card's MRZ is made from. [`VnmCard::encode`] writes the three lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnmCard {
    personal_id: String,
    name: MrzName,
    birth: BirthDate,
    sex: Sex,
    expiry: Option<Date>,
}

impl VnmCard {
    /// `personal_id` is the 12-digit number; `full_name` is written family name first, in
    /// Unicode, and transliterated (see [`MrzName::from_full_name`]); `expiry` is `None`
    /// for a card that does not expire.
    pub fn new(
        personal_id: &str,
        full_name: &str,
        birth: BirthDate,
        sex: Sex,
        expiry: Option<Date>,
    ) -> Result<VnmCard, MrzError> {
        if !is_digits(personal_id, 12) {
            return Err(MrzError::Value {
                field: Field::PersonalId,
                found: personal_id.to_owned(),
                expected: DIGITS_12,
            });
        }
        if sex == Sex::Unspecified {
            return Err(MrzError::Value {
                field: Field::Sex,
                found: "<".into(),
                expected: SEX,
            });
        }
        if let Some(date) = expiry
            && MrzDate::from_civil(date).to_string() == NO_EXPIRY
        {
            return Err(MrzError::Value {
                field: Field::ExpiryDate,
                found: date.to_string(),
                expected: "a date that does not read as 991231, the mark of no expiry",
            });
        }
        Ok(VnmCard {
            personal_id: personal_id.to_owned(),
            name: MrzName::from_full_name(full_name)?,
            birth,
            sex,
            expiry,
        })
    }

    /// The three lines of 30.
    pub fn encode(&self) -> [String; 3] {
        let expiry = self.expiry.map(MrzDate::from_civil);
        encode(
            &self.personal_id,
            &self.birth.to_mrz(),
            self.sex,
            expiry.as_ref(),
            &self.name,
        )
    }

    /// Reads a card's three lines; the same as [`ParsedVnm::parse`].
    pub fn parse(lines: &[&str]) -> Result<ParsedVnm, MrzError> {
        ParsedVnm::parse(lines)
    }

    pub fn personal_id(&self) -> &str {
        &self.personal_id
    }
    /// The name as transliterated, before any truncation to the field.
    pub fn name(&self) -> &MrzName {
        &self.name
    }
    pub fn birth(&self) -> BirthDate {
        self.birth
    }
    pub fn sex(&self) -> Sex {
        self.sex
    }
    pub fn expiry(&self) -> Option<Date> {
        self.expiry
    }
}

/// A card's MRZ as read, every check digit verified. Dates keep their two-digit years:
/// [`crate::full_year`] expands them with a pivot of the caller's choosing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedVnm {
    personal_id: String,
    birth: MrzDate,
    sex: Sex,
    expiry: Option<MrzDate>,
    name: MrzName,
}

impl ParsedVnm {
    /// Reads three lines of 30 (trailing whitespace and blank lines ignored) in the
    /// Vietnamese layout and checks every field and check digit; the error names the first
    /// failing one.
    pub fn parse(lines: &[&str]) -> Result<ParsedVnm, MrzError> {
        let lines = shape::<3>(lines, TD1_WIDTH)?;
        read(&lines).map_err(|problems| problems.first)
    }

    /// The three lines this was read from.
    pub fn encode(&self) -> [String; 3] {
        encode(
            &self.personal_id,
            &self.birth,
            self.sex,
            self.expiry.as_ref(),
            &self.name,
        )
    }

    pub fn personal_id(&self) -> &str {
        &self.personal_id
    }
    /// The birth date with a known two-digit year; the month and day may be unknown.
    pub fn birth(&self) -> MrzDate {
        self.birth
    }
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// `None` for a card that does not expire ([`NO_EXPIRY`]); otherwise a complete date.
    pub fn expiry(&self) -> Option<MrzDate> {
        self.expiry
    }
    /// The name as read; it may have been truncated (see [`crate::possibly_truncated`]).
    pub fn name(&self) -> &MrzName {
        &self.name
    }
}

fn is_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

fn encode(
    personal_id: &str,
    birth: &MrzDate,
    sex: Sex,
    expiry: Option<&MrzDate>,
    name: &MrzName,
) -> [String; 3] {
    let short = personal_id.get(3..).unwrap_or("");
    let line1 = format!(
        "IDVNM{short}{}{personal_id}<<{}",
        digit_of(short),
        digit_of(personal_id)
    );
    let no_expiry = MrzDate::parse(NO_EXPIRY).unwrap_or(MrzDate::UNKNOWN);
    let expiry = expiry.copied().unwrap_or(no_expiry);
    let line2 = td1::line2(birth, sex, &expiry, "VNM", "", &line1);
    [line1, line2, name.field(TD1_NAME_WIDTH)]
}

/// Every failing field of a Vietnamese zone of the TD1 shape, or the card's data.
pub(crate) fn read(lines: &[Line<'_>; 3]) -> Result<ParsedVnm, Problems> {
    let [l1, l2, l3] = lines;
    let mut c = Collector::default();
    c.literal(l1, (1, 2), Field::DocumentCode, "ID", "ID");
    c.literal(l1, (3, 5), Field::IssuingState, "VNM", "VNM");
    let short = l1.get(6, 14);
    if !is_digits(short, 9) {
        c.push(field(l1, Field::DocumentNumber, short, DIGITS_9));
    }
    c.check_digit(l1, 15, Field::DocumentNumber, short);
    let personal_id = l1.get(16, 27);
    if !is_digits(personal_id, 12) {
        c.push(field(l1, Field::PersonalId, personal_id, DIGITS_12));
    } else if is_digits(short, 9) && personal_id.get(3..) != Some(short) {
        c.push(field(l1, Field::DocumentNumber, short, SAME_DIGITS));
    }
    c.literal(l1, (28, 29), Field::Filler, "<<", "<<");
    c.check_digit(l1, 30, Field::PersonalId, personal_id);

    let Line2 { birth, sex, expiry } = td1::read_line2(&mut c, l1, l2);
    let birth_text = l2.get(1, 6);
    if MrzDate::parse(birth_text).is_some()
        && (birth.year().is_none() || (birth.day().is_some() && birth.month().is_none()))
    {
        c.push(field(l2, Field::BirthDate, birth_text, BIRTH));
    }
    if Sex::from_code(l2.at(8)).is_some() && sex == Sex::Unspecified {
        c.push(field(l2, Field::Sex, "<", SEX));
    }
    let expiry_text = l2.get(9, 14);
    let expiry = if expiry_text == NO_EXPIRY {
        None
    } else {
        if MrzDate::parse(expiry_text).is_some() && !expiry.is_complete() {
            c.push(field(l2, Field::ExpiryDate, expiry_text, EXPIRY));
        }
        Some(expiry)
    };
    c.literal(l2, (16, 18), Field::Nationality, "VNM", "VNM");
    c.literal(
        l2,
        (19, 29),
        Field::OptionalData,
        "<<<<<<<<<<<",
        "11 fillers <",
    );
    let name = c.or(td1::name(l3), MrzName::placeholder());
    c.finish(ParsedVnm {
        personal_id: personal_id.to_owned(),
        birth,
        sex,
        expiry,
        name,
    })
}

fn field(line: &Line<'_>, field: Field, found: &str, expected: &'static str) -> MrzError {
    MrzError::Field {
        line: line.number,
        field,
        found: found.to_owned(),
        expected,
    }
}
