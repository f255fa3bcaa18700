//! The chip card itself: which law governs it, when it expires, and the QR code on its front.
//!
//! Validity: Law on Citizen Identification 2014 (59/2014/QH13) Art. 21 for cards issued
//! from 1 January 2016 to 30 June 2024; Law on Identification 2023 (26/2023/QH15) Art. 21
//! for cards issued from 1 July 2024. Both say: the card is renewed at the renewal ages,
//! and a card issued within two years before a renewal age stays valid until the next one.
//!
//! Two choices the laws leave open, made here once:
//! - **29 February.** A person born on 29 February reaches an age on 28 February in common
//!   years: Civil Code 2015 Art. 148(1) ends a period counted in months or years on the last
//!   day of the month when the month has no corresponding day. jiff's year arithmetic
//!   clamps the same way, so age and expiry agree.
//! - **Partial birth dates.** When the register knows only the year, or the month and the
//!   year, the latest day the date can stand for is used (31 December, or the month's last
//!   day). The citizen is then never told to renew before the law requires it, and age at
//!   issue is never overstated, so a card is never refused to someone who may be old enough
//!   only because their papers lack a day.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use serde::Serialize;
use thiserror::Error;

use crate::citizen::{OldIdNumber, Sex};
use crate::date::PartialDate;
use crate::personal_id::{PersonalId, PersonalIdError};

/// The first day a CCCD could be issued (the 2014 law took effect on 1 January 2016).
pub const FIRST_ISSUE_DAY: Date = date(2016, 1, 1);
/// The day the Law on Identification 2023 took effect.
pub const LAW_2023_IN_FORCE: Date = date(2024, 7, 1);

/// The card's title, Vietnamese and English, by the law in force on its issue date: the
/// 2014 law's "Căn cước công dân" until 30 June 2024, the 2023 Law on Identification's
/// "Căn cước" from 1 July 2024.
pub fn card_title(issued: Date) -> (&'static str, &'static str) {
    if issued < LAW_2023_IN_FORCE {
        ("CĂN CƯỚC CÔNG DÂN", "Citizen Identity Card")
    } else {
        ("CĂN CƯỚC", "Identity Card")
    }
}

/// Why no expiry can be given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidityError {
    #[error("no chip card was issued before 1 January 2016, the day the 2014 law took effect")]
    BeforeCards,
    #[error("the card would be issued before the holder was born")]
    BeforeBirth,
    #[error(
        "a card issued before 1 July 2024 needs the holder to be 14 or older (2014 law Art. 19), \
         this holder was {age}"
    )]
    TooYoung { age: i16 },
}

/// The law that governs a card, chosen by its issue date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardLaw {
    /// Law on Citizen Identification 2014: cards from 14; renewal at 25, 40, 60.
    Law2014,
    /// Law on Identification 2023: cards at any age; renewal at 14, 25, 40, 60.
    Law2023,
}

impl CardLaw {
    pub fn on(issued: Date) -> Result<Self, ValidityError> {
        if issued < FIRST_ISSUE_DAY {
            Err(ValidityError::BeforeCards)
        } else if issued < LAW_2023_IN_FORCE {
            Ok(Self::Law2014)
        } else {
            Ok(Self::Law2023)
        }
    }

    /// The ages at which a card must be renewed (Art. 21(1) of each law).
    pub fn renewal_ages(self) -> &'static [i16] {
        match self {
            Self::Law2014 => &[25, 40, 60],
            Self::Law2023 => &[14, 25, 40, 60],
        }
    }

    /// The youngest age at which a card may be issued (2014 law Art. 19; the 2023 law has none).
    pub fn minimum_age(self) -> i16 {
        match self {
            Self::Law2014 => 14,
            Self::Law2023 => 0,
        }
    }

    pub fn citation(self) -> &'static str {
        match self {
            Self::Law2014 => "Luật Căn cước công dân 2014, Điều 21",
            Self::Law2023 => "Luật Căn cước 2023, Điều 21",
        }
    }
}

/// Completed years between `birth` and `on`; the birthday counts as reached on its
/// anniversary, 28 February for a 29 February birth in a common year (Civil Code Art. 148).
pub fn age_on(birth: Date, on: Date) -> i16 {
    let mut age = on.year() - birth.year();
    if age > 0 && anniversary(birth, age).is_some_and(|day| day > on) {
        age -= 1;
    }
    age
}

/// The day `birth` turns `years` old, or `None` beyond the calendar.
pub fn anniversary(birth: Date, years: i16) -> Option<Date> {
    birth.checked_add(i64::from(years).years()).ok()
}

/// The expiry of a card issued on `issued` to someone born `born`, or `None` when the card
/// never expires (issued at 58 or later).
pub fn expiry(born: PartialDate, issued: Date) -> Result<Option<Date>, ValidityError> {
    let law = CardLaw::on(issued)?;
    let birth = born.latest();
    if birth > issued {
        return Err(ValidityError::BeforeBirth);
    }
    let age = age_on(birth, issued);
    if age < law.minimum_age() {
        return Err(ValidityError::TooYoung { age });
    }
    // "Within two years before a renewal age" (Art. 21(2)): the first renewal age more than
    // two years ahead is the one the card runs to.
    Ok(law
        .renewal_ages()
        .iter()
        .find(|&&renewal| age < renewal - 2)
        .and_then(|&renewal| anniversary(birth, renewal)))
}

/// The three lines of the card's machine-readable zone (DESIGN §4, Doc 9303-5 TD1 with
/// Vietnam's line 1); `expiry` is `None` for a card that never expires.
pub fn mrz(
    personal_id: &PersonalId,
    full_name: &str,
    birth: PartialDate,
    sex: Sex,
    expiry: Option<Date>,
) -> Result<[String; 3], cancuoc_icao::MrzError> {
    let birth = cancuoc_icao::BirthDate::new(birth.year(), birth.month(), birth.day())?;
    let sex = match sex {
        Sex::Male => cancuoc_icao::Sex::Male,
        Sex::Female => cancuoc_icao::Sex::Female,
    };
    let card = cancuoc_icao::VnmCard::new(&personal_id.as_string(), full_name, birth, sex, expiry)?;
    Ok(card.encode())
}

/// The QR code on the front of the card: seven fields joined by `|`, UTF-8.
///
/// Field order as printed on 2021 cards: personal ID, old 9-digit CMND (or empty), full
/// name with diacritics, birth date `ddmmyyyy`, `Nam`/`Nữ`, permanent residence, issue
/// date `ddmmyyyy`. A partial birth date is written as `mmyyyy` or `yyyy`: the card has
/// no other way to say it and the parser reads all three lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayload {
    pub personal_id: PersonalId,
    pub old_id: Option<OldIdNumber>,
    pub full_name: Option<String>,
    pub birth_date: Option<PartialDate>,
    pub sex: Option<Sex>,
    pub permanent_residence: Option<String>,
    pub issue_date: Option<Date>,
}

/// Why a scanned QR text is not a card's payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrError {
    #[error("field 1 (personal ID): {0}")]
    PersonalId(#[from] PersonalIdError),
    #[error("field 2 (old ID number): {0:?} is not a 9- or 12-digit number")]
    OldId(String),
    #[error("field 4 (birth date): {0:?} is not ddmmyyyy, mmyyyy or yyyy")]
    BirthDate(String),
    #[error("field 5 (sex): {0:?} is neither Nam nor Nữ")]
    Sex(String),
    #[error("field 7 (issue date): {0:?} is not ddmmyyyy")]
    IssueDate(String),
    #[error("a card's QR code has 7 fields, this one has {0}")]
    TooManyFields(usize),
    #[error("field {0} contains the separator or a line break")]
    Separator(usize),
}

impl QrPayload {
    /// The text the QR code carries.
    pub fn encode(&self) -> Result<String, QrError> {
        let fields = [
            self.personal_id.as_string(),
            self.old_id
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default(),
            self.full_name.clone().unwrap_or_default(),
            self.birth_date.map(qr_partial_date).unwrap_or_default(),
            self.sex
                .map(|s| s.vietnamese().to_owned())
                .unwrap_or_default(),
            self.permanent_residence.clone().unwrap_or_default(),
            self.issue_date.map(qr_date).unwrap_or_default(),
        ];
        for (n, field) in fields.iter().enumerate() {
            if field.contains(['|', '\n', '\r']) {
                return Err(QrError::Separator(n + 1));
            }
        }
        Ok(fields.join("|"))
    }

    /// Reads a scanned payload; missing trailing fields are `None`, empty fields too.
    pub fn parse(text: &str) -> Result<Self, QrError> {
        let text = text.trim_end_matches(['\r', '\n']);
        let fields: Vec<&str> = text.split('|').collect();
        if fields.len() > 7 {
            return Err(QrError::TooManyFields(fields.len()));
        }
        let field = |n: usize| fields.get(n).copied().filter(|f| !f.is_empty());
        let personal_id = PersonalId::parse(fields.first().copied().unwrap_or_default())?;
        let old_id = field(1)
            .map(|s| OldIdNumber::parse(s).ok_or_else(|| QrError::OldId(s.to_owned())))
            .transpose()?;
        let birth_date = field(3)
            .map(|s| parse_qr_partial_date(s).ok_or_else(|| QrError::BirthDate(s.to_owned())))
            .transpose()?;
        let sex = field(4)
            .map(|s| Sex::parse(s).ok_or_else(|| QrError::Sex(s.to_owned())))
            .transpose()?;
        let issue_date = field(6)
            .map(|s| parse_qr_date(s).ok_or_else(|| QrError::IssueDate(s.to_owned())))
            .transpose()?;
        Ok(Self {
            personal_id,
            old_id,
            full_name: field(2).map(str::to_owned),
            birth_date,
            sex,
            permanent_residence: field(5).map(str::to_owned),
            issue_date,
        })
    }
}

fn qr_date(d: Date) -> String {
    format!("{:02}{:02}{:04}", d.day(), d.month(), d.year())
}

fn qr_partial_date(d: PartialDate) -> String {
    match (d.day(), d.month()) {
        (Some(day), Some(month)) => format!("{day:02}{month:02}{:04}", d.year()),
        (None, Some(month)) => format!("{month:02}{:04}", d.year()),
        _ => format!("{:04}", d.year()),
    }
}

fn digits(s: &str) -> Option<i16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_qr_date(s: &str) -> Option<Date> {
    parse_qr_partial_date(s)
        .filter(|_| s.len() == 8)
        .and_then(|d| d.as_date())
}

fn parse_qr_partial_date(s: &str) -> Option<PartialDate> {
    let small = |p: &str| digits(p).and_then(|v| i8::try_from(v).ok());
    let (day, month, year) = match s.len() {
        8 => (
            Some(small(s.get(0..2)?)?),
            Some(small(s.get(2..4)?)?),
            s.get(4..)?,
        ),
        6 => (None, Some(small(s.get(0..2)?)?), s.get(2..)?),
        4 => (None, None, s),
        _ => return None,
    };
    PartialDate::new(digits(year)?, month, day).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn born(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap()
    }

    fn expires(b: &str, issued: Date) -> Option<Date> {
        expiry(born(b), issued).unwrap()
    }

    #[test]
    fn age_brackets_of_the_2014_law() {
        let issued = date(2021, 3, 16);
        // Aged 20: runs to the 25th birthday.
        assert_eq!(expires("10/05/2000", issued), Some(date(2025, 5, 10)));
        // 22 years and 364 days: still more than two years before 25.
        assert_eq!(expires("17/03/1998", issued), Some(date(2023, 3, 17)));
        // Exactly 23 on the day of issue: within two years of 25, so to 40.
        assert_eq!(expires("16/03/1998", issued), Some(date(2038, 3, 16)));
        // 37: to 40. 38: to 60.
        assert_eq!(expires("01/01/1984", issued), Some(date(2024, 1, 1)));
        assert_eq!(expires("16/03/1983", issued), Some(date(2043, 3, 16)));
        // 57: to 60. 58: no expiry.
        assert_eq!(expires("17/03/1963", issued), Some(date(2023, 3, 17)));
        assert_eq!(expires("16/03/1963", issued), None);
        assert_eq!(expires("1930", issued), None);
    }

    #[test]
    fn the_2014_law_refuses_children_and_the_2023_law_runs_their_card_to_14() {
        assert_eq!(
            expiry(born("01/01/2010"), date(2021, 6, 1)),
            Err(ValidityError::TooYoung { age: 11 })
        );
        assert_eq!(
            expires("01/01/2020", date(2024, 7, 1)),
            Some(date(2034, 1, 1))
        );
        // Twelve is within two years of 14: the card runs to 25.
        assert_eq!(
            expires("01/07/2012", date(2024, 7, 1)),
            Some(date(2037, 7, 1))
        );
        // Same person, the day before the new law: 11 under the 2014 law, refused.
        assert!(expiry(born("01/07/2012"), date(2024, 6, 30)).is_err());
    }

    #[test]
    fn the_law_follows_the_issue_date() {
        assert_eq!(CardLaw::on(date(2024, 6, 30)), Ok(CardLaw::Law2014));
        assert_eq!(CardLaw::on(date(2024, 7, 1)), Ok(CardLaw::Law2023));
        assert_eq!(
            CardLaw::on(date(2015, 12, 31)),
            Err(ValidityError::BeforeCards)
        );
    }

    #[test]
    fn a_29_february_birthday_is_reached_on_28_february_in_common_years() {
        let leap = date(2000, 2, 29);
        assert_eq!(age_on(leap, date(2025, 2, 27)), 24);
        assert_eq!(age_on(leap, date(2025, 2, 28)), 25);
        assert_eq!(age_on(leap, date(2024, 2, 28)), 23);
        assert_eq!(age_on(leap, date(2024, 2, 29)), 24);
        // Issued at 20: expires on the 25th birthday, 28 February 2025.
        assert_eq!(
            expires("29/02/2000", date(2021, 1, 4)),
            Some(date(2025, 2, 28))
        );
        // Issued at 36: the 40th birthday falls in a leap year, 29 February 2040.
        assert_eq!(
            expires("29/02/2000", date(2036, 3, 1)),
            Some(date(2040, 2, 29))
        );
    }

    #[test]
    fn partial_birth_dates_take_the_latest_day_they_can_mean() {
        // Year only: treated as 31 December.
        assert_eq!(expires("2000", date(2021, 3, 16)), Some(date(2025, 12, 31)));
        // Month and year: the month's last day, 29 February 2000, whose 25th is 28 February.
        assert_eq!(
            expires("02/2000", date(2021, 3, 16)),
            Some(date(2025, 2, 28))
        );
        // Born "1998": on 16 March 2021 maybe only 22, so the card runs to 25, not 40.
        assert_eq!(expires("1998", date(2021, 3, 16)), Some(date(2023, 12, 31)));
    }

    #[test]
    fn the_mrz_carries_the_vietnamese_layout() {
        let id = PersonalId::parse("042198000123").unwrap();
        let lines = mrz(
            &id,
            "Nguyễn Thị Ánh",
            born("05/07/1998"),
            Sex::Female,
            Some(date(2023, 7, 5)),
        )
        .unwrap();
        assert!(lines[0].starts_with("IDVNM198000123"), "{lines:?}");
        assert!(lines[0].contains("042198000123<<"), "{lines:?}");
        assert!(lines[1].starts_with("980705"), "{lines:?}");
        assert_eq!(&lines[1][7..8], "F");
        assert!(lines[2].starts_with("NGUYEN<<THI<ANH<"), "{lines:?}");
        assert!(
            cancuoc_icao::check(&[&lines[0], &lines[1], &lines[2]])
                .unwrap()
                .is_valid()
        );
    }

    #[test]
    fn issue_before_birth_is_refused() {
        assert_eq!(
            expiry(born("01/01/2022"), date(2021, 3, 16)),
            Err(ValidityError::BeforeBirth)
        );
    }

    fn sample() -> QrPayload {
        QrPayload {
            personal_id: PersonalId::parse("042198000123").unwrap(),
            old_id: OldIdNumber::parse("183456789"),
            full_name: Some("Nguyễn Thị Ánh".into()),
            birth_date: Some(born("05/07/1998")),
            sex: Some(Sex::Female),
            permanent_residence: Some("Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh".into()),
            issue_date: Some(date(2021, 3, 16)),
        }
    }

    #[test]
    fn the_qr_payload_is_seven_fields_in_card_order() {
        assert_eq!(
            sample().encode().unwrap(),
            "042198000123|183456789|Nguyễn Thị Ánh|05071998|Nữ|Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh|16032021"
        );
    }

    #[test]
    fn the_qr_parser_tolerates_missing_trailing_fields() {
        let p = QrPayload::parse("042198000123||Nguyễn Thị Ánh|05071998").unwrap();
        assert_eq!(p.old_id, None);
        assert_eq!(p.full_name.as_deref(), Some("Nguyễn Thị Ánh"));
        assert_eq!(p.birth_date, Some(born("05/07/1998")));
        assert_eq!(
            (p.sex, p.permanent_residence, p.issue_date),
            (None, None, None)
        );
        assert!(QrPayload::parse("042198000123").is_ok());
    }

    #[test]
    fn the_qr_parser_names_the_bad_field() {
        let e = |s: &str| QrPayload::parse(s).unwrap_err().to_string();
        assert!(e("04219800012|").starts_with("field 1"));
        assert!(e("042198000123|12|").starts_with("field 2"));
        assert!(e("042198000123||A|31021998").starts_with("field 4"));
        assert!(e("042198000123||A|05071998|Khác").starts_with("field 5"));
        assert!(e("042198000123||A|05071998|Nam|X|2021").starts_with("field 7"));
        assert!(e("042198000123||||||||").contains("has 9"));
        let mut bad = sample();
        bad.full_name = Some("A|B".into());
        assert_eq!(bad.encode(), Err(QrError::Separator(3)));
    }

    proptest! {
        #[test]
        fn qr_round_trips(
            serial in 0u32..1_000_000, name in "[a-zA-ZĐđăâêôơư ]{0,40}",
            y in 1900i16..2020, m in 1i8..=12, d in 1i8..=28, partial in 0u8..3,
            female: bool, address in "[^|\r\n]{0,60}", issue in 0i32..3000,
        ) {
            let id = PersonalId::parse(&format!("042{}{:02}{serial:06}", u8::from(female), y % 100)).unwrap();
            let birth = match partial {
                0 => PartialDate::new(y, Some(m), Some(d)),
                1 => PartialDate::new(y, Some(m), None),
                _ => PartialDate::new(y, None, None),
            }.unwrap();
            let payload = QrPayload {
                personal_id: id,
                old_id: None,
                full_name: Some(name).filter(|n| !n.is_empty()),
                birth_date: Some(birth),
                sex: Some(if female { Sex::Female } else { Sex::Male }),
                permanent_residence: Some(address).filter(|a| !a.is_empty()),
                issue_date: FIRST_ISSUE_DAY.checked_add(issue.days()).ok(),
            };
            let text = payload.encode().unwrap();
            prop_assert_eq!(QrPayload::parse(&text).unwrap(), payload);
        }

        #[test]
        fn the_qr_parser_never_panics(text in "\\PC{0,120}") {
            let _ = QrPayload::parse(&text);
        }

        #[test]
        fn expiry_is_a_renewal_birthday_after_the_issue(
            y in 1920i16..2024, m in 1i8..=12, d in 1i8..=31, issue in 0i32..4000,
        ) {
            let Ok(birth) = PartialDate::new(y, Some(m), Some(d)) else { return Ok(()) };
            let issued = FIRST_ISSUE_DAY.checked_add(issue.days()).unwrap();
            match expiry(birth, issued) {
                Ok(Some(end)) => {
                    let b = birth.as_date().unwrap();
                    prop_assert!(end > issued);
                    let age_at_end = age_on(b, end);
                    prop_assert!(CardLaw::on(issued).unwrap().renewal_ages().contains(&age_at_end));
                    // More than two years' validity, unless the card runs to 14 from under 12.
                    prop_assert!(end >= issued.checked_add(2.years()).unwrap());
                }
                Ok(None) => prop_assert!(age_on(birth.as_date().unwrap(), issued) >= 58),
                Err(e) => {
                    let expected = matches!(e, ValidityError::TooYoung { .. } | ValidityError::BeforeBirth);
                    prop_assert!(expected, "{}", e);
                }
            }
        }
    }
}
