//! The Vietnamese TD1 layout of the CCCD. Expected lines were computed apart from this
//! crate (Doc 9303-3 §4.9 by hand, in a few lines of Python).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

use cancuoc_icao::{
    BirthDate, Field, Layout, MrzDate, MrzError, NO_EXPIRY, NameError, ParsedVnm, Sex, VnmCard,
    check, mrz_name, parse_name,
};
use jiff::civil::date;

fn an() -> VnmCard {
    VnmCard::new(
        "001090012345",
        "Nguyễn Văn An",
        BirthDate::full(date(1990, 5, 17)).unwrap(),
        Sex::Male,
        Some(date(2030, 5, 17)),
    )
    .unwrap()
}

const AN: [&str; 3] = [
    "IDVNM0900123450001090012345<<1",
    "9005178M3005176VNM<<<<<<<<<<<4",
    "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<",
];

const HA: [&str; 3] = [
    "IDVNM3010001238079301000123<<8",
    "6003<<3F9912315VNM<<<<<<<<<<<4",
    "TON<NU<<THI<HA<<<<<<<<<<<<<<<<",
];

fn with(lines: [&str; 3], line: usize, text: &str) -> Vec<String> {
    let mut lines = lines.map(String::from).to_vec();
    lines[line - 1] = text.to_owned();
    lines
}

fn messages(lines: &[String]) -> Vec<String> {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    check(&refs)
        .unwrap()
        .failures()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_card_encodes_to_its_three_lines() {
    assert_eq!(an().encode(), AN.map(String::from));
}

#[test]
fn a_card_parses_back_to_its_fields() {
    let parsed = VnmCard::parse(&AN).unwrap();
    assert_eq!(parsed.personal_id(), "001090012345");
    assert_eq!(parsed.birth(), MrzDate::parse("900517").unwrap());
    assert_eq!(parsed.sex(), Sex::Male);
    assert_eq!(parsed.expiry(), MrzDate::parse("300517"));
    assert_eq!(parsed.name().primary(), ["NGUYEN"]);
    assert_eq!(parsed.name().secondary(), ["VAN", "AN"]);
    assert_eq!(parsed.encode(), AN.map(String::from));
    let report = check(&AN).unwrap();
    assert_eq!(report.layout(), Layout::VnmTd1);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.to_string(), "valid Vietnamese TD1 (CCCD) MRZ");
}

#[test]
fn partial_birth_dates_and_no_expiry() {
    // Month and year known, day unknown (Doc 9303-3 §4.8); no expiry is NO_EXPIRY.
    let card = VnmCard::new(
        "079301000123",
        "Tôn Nữ, Thị Hà",
        BirthDate::new(1960, Some(3), None).unwrap(),
        Sex::Female,
        None,
    )
    .unwrap();
    assert_eq!(card.encode(), HA.map(String::from));
    let parsed = ParsedVnm::parse(&HA).unwrap();
    assert_eq!(parsed.birth().to_string(), "6003<<");
    assert_eq!(parsed.birth().day(), None);
    assert_eq!(parsed.expiry(), None);
    assert!(HA[1].contains(NO_EXPIRY));

    let year_only = VnmCard::new(
        "079301000123",
        "Tôn Nữ, Thị Hà",
        BirthDate::new(1960, None, None).unwrap(),
        Sex::Female,
        None,
    )
    .unwrap();
    let lines = year_only.encode();
    assert!(lines[1].starts_with("60<<<<"));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(
        ParsedVnm::parse(&refs).unwrap().birth().to_string(),
        "60<<<<"
    );
}

#[test]
fn a_long_name_is_truncated_on_the_card() {
    let card = VnmCard::new(
        "001090012345",
        "Công Tằng Tôn Nữ Thị Phương Thảo Nguyễn Hoàng",
        BirthDate::full(date(1990, 5, 17)).unwrap(),
        Sex::Female,
        Some(date(2030, 5, 17)),
    )
    .unwrap();
    let lines = card.encode();
    assert_eq!(lines[2], "CONG<<T<T<N<T<P<T<NGUYEN<HOANG");
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let parsed = VnmCard::parse(&refs).unwrap();
    assert_eq!(parsed.name(), &parse_name(&lines[2]).unwrap());
    assert!(cancuoc_icao::possibly_truncated(&lines[2]));
}

#[test]
fn the_short_number_must_be_the_last_nine_digits() {
    // Same check digits as a consistent card would have, but other digits.
    let lines = with(AN, 1, "IDVNM0900123460001090012345<<1");
    let found = messages(&lines);
    assert!(
        found.contains(&"line 1: document number is \"090012346\", expected the last 9 digits of the personal ID".to_owned()),
        "{found:?}"
    );
}

#[test]
fn the_personal_id_has_its_own_check_digit() {
    let lines = with(AN, 1, "IDVNM0900123450001090012345<<7");
    assert_eq!(
        messages(&lines),
        [
            "line 1: personal ID check digit is 7, expected 1",
            "line 2: composite check digit is 4, expected 6",
        ]
    );
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(
        ParsedVnm::parse(&refs).unwrap_err(),
        MrzError::CheckDigit {
            line: 1,
            field: Field::PersonalId,
            found: '7',
            expected: '1'
        }
    );
}

#[test]
fn layout_specific_fields_are_checked() {
    // Sex unspecified, nationality other than VNM, data where fillers belong.
    let lines = with(AN, 2, "9005178<3005176UTOA<<<<<<<<<<4");
    let found = messages(&lines);
    assert!(found.contains(&"line 2: sex is \"<\", expected M or F".to_owned()));
    assert!(found.contains(&"line 2: nationality is \"UTO\", expected VNM".to_owned()));
    assert!(
        found.contains(
            &"line 2: optional data is \"A<<<<<<<<<<\", expected 11 fillers <".to_owned()
        )
    );
    // A partial expiry date.
    let lines = with(AN, 2, "9005178M3005<<6VNM<<<<<<<<<<<4");
    assert!(messages(&lines).contains(
        &"line 2: expiry date is \"3005<<\", expected a complete date YYMMDD, or 991231 for a card that does not expire".to_owned()
    ));
    // An unknown birth year.
    let lines = with(AN, 2, "<<0517<M3005176VNM<<<<<<<<<<<4");
    assert!(
        messages(&lines)
            .iter()
            .any(|m| m.starts_with("line 2: birth date is \"<<0517\""))
    );
}

#[test]
fn generic_td1_readers_accept_the_layout_too() {
    // The layout is a TD1 whose optional data carries the personal ID.
    let td1 = cancuoc_icao::Td1::parse(&AN).unwrap();
    assert_eq!(td1.document_number(), "090012345");
    assert_eq!(td1.optional_data_1(), "001090012345<<1");
}

#[test]
fn cards_refuse_what_their_zone_cannot_say() {
    let birth = BirthDate::full(date(1990, 5, 17)).unwrap();
    let err = VnmCard::new("00109001234", "An", birth, Sex::Male, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "personal ID is \"00109001234\", expected 12 digits"
    );
    assert!(VnmCard::new("00109001234a", "An", birth, Sex::Male, None).is_err());
    assert!(VnmCard::new("００１０９００１２３４５", "An", birth, Sex::Male, None).is_err());
    let err = VnmCard::new("001090012345", "An", birth, Sex::Unspecified, None).unwrap_err();
    assert_eq!(err.to_string(), "sex is \"<\", expected M or F");
    let err = VnmCard::new("001090012345", "王", birth, Sex::Male, None).unwrap_err();
    assert_eq!(err, MrzError::Name(NameError::Untransliterable('王')));
    let err = VnmCard::new(
        "001090012345",
        "An",
        birth,
        Sex::Male,
        Some(date(2099, 12, 31)),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        MrzError::Value {
            field: Field::ExpiryDate,
            ..
        }
    ));
    assert!(BirthDate::new(90, Some(5), Some(17)).is_err());
    assert!(BirthDate::new(1990, None, Some(17)).is_err());
    assert!(BirthDate::new(1990, Some(2), Some(30)).is_err());
    assert!(BirthDate::new(1990, Some(13), None).is_err());
}

#[test]
fn the_name_field_is_the_one_mrz_name_writes() {
    assert_eq!(an().encode()[2], mrz_name("Nguyễn Văn An", 30).unwrap());
}
