//! The Doc 9303 specimens, and what the generic TD1 and TD3 readers say about broken ones.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

use cancuoc_icao::{
    Field, Layout, MrzDate, MrzError, MrzName, Sex, Td1, Td1Fields, Td3, Td3Fields, check,
};

const TD1_SPECIMEN: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];

const TD3_SPECIMEN: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];

fn date(text: &str) -> MrzDate {
    MrzDate::parse(text).unwrap()
}

fn eriksson() -> MrzName {
    MrzName::from_identifiers("Eriksson", "Anna Maria").unwrap()
}

fn td1_fields() -> Td1Fields {
    Td1Fields {
        document_code: "I".into(),
        issuing_state: "UTO".into(),
        document_number: "D23145890".into(),
        optional_data_1: String::new(),
        birth: date("740812"),
        sex: Sex::Female,
        expiry: date("120415"),
        nationality: "UTO".into(),
        optional_data_2: String::new(),
        name: eriksson(),
    }
}

#[test]
fn td1_specimen_encodes_from_its_fields() {
    let td1 = Td1::new(td1_fields()).unwrap();
    assert_eq!(td1.encode(), TD1_SPECIMEN.map(String::from));
}

#[test]
fn td1_specimen_parses_to_its_fields() {
    let td1 = Td1::parse(&TD1_SPECIMEN).unwrap();
    assert_eq!(td1.document_code(), "I");
    assert_eq!(td1.issuing_state(), "UTO");
    assert_eq!(td1.document_number(), "D23145890");
    assert_eq!(td1.optional_data_1(), "");
    assert_eq!(td1.birth(), date("740812"));
    assert_eq!(td1.sex(), Sex::Female);
    assert_eq!(td1.expiry(), date("120415"));
    assert_eq!(td1.nationality(), "UTO");
    assert_eq!(td1.optional_data_2(), "");
    assert_eq!(td1.name().primary(), ["ERIKSSON"]);
    assert_eq!(td1.name().secondary(), ["ANNA", "MARIA"]);
    assert_eq!(td1, Td1::new(td1_fields()).unwrap());
}

#[test]
fn td3_specimen_round_trips() {
    let fields = Td3Fields {
        document_code: "P".into(),
        issuing_state: "UTO".into(),
        name: eriksson(),
        document_number: "L898902C3".into(),
        nationality: "UTO".into(),
        birth: date("740812"),
        sex: Sex::Female,
        expiry: date("120415"),
        personal_number: "ZE184226B".into(),
    };
    let built = Td3::new(fields).unwrap();
    assert_eq!(built.encode(), TD3_SPECIMEN.map(String::from));
    let read = Td3::parse(&TD3_SPECIMEN).unwrap();
    assert_eq!(read, built);
    assert_eq!(read.document_number(), "L898902C3");
    assert_eq!(read.personal_number(), "ZE184226B");
    assert_eq!(read.name().secondary(), ["ANNA", "MARIA"]);
}

#[test]
fn td3_without_personal_number_keeps_its_check_digit_choice() {
    // Doc 9303-4 §4.2.2.2, position 43: zero or the filler, at the issuing state's option.
    let fields = Td3Fields {
        document_code: "PP".into(),
        issuing_state: "D".into(),
        name: MrzName::from_identifiers("Mustermann", "Erika").unwrap(),
        document_number: "C01X00T47".into(),
        nationality: "D".into(),
        birth: date("640812"),
        sex: Sex::Female,
        expiry: date("271031"),
        personal_number: String::new(),
    };
    let [line1, line2] = Td3::new(fields).unwrap().encode();
    assert!(line1.starts_with("PPD<<MUSTERMANN<<ERIKA<"));
    assert_eq!(line2.get(28..43), Some("<<<<<<<<<<<<<<<"));
    let zero = format!("{}0{}", &line2[..42], &line2[43..]);
    for lines in [
        [line1.as_str(), line2.as_str()],
        [line1.as_str(), zero.as_str()],
    ] {
        let parsed = Td3::parse(&lines).unwrap();
        assert_eq!(parsed.personal_number(), "");
        assert_eq!(parsed.encode(), lines.map(String::from));
    }
}

#[test]
fn check_accepts_the_specimens() {
    let report = check(&TD1_SPECIMEN).unwrap();
    assert_eq!(report.layout(), Layout::Td1);
    assert!(report.is_valid());
    assert_eq!(report.to_string(), "valid TD1 MRZ");
    let report = check(&TD3_SPECIMEN).unwrap();
    assert_eq!(report.layout(), Layout::Td3);
    assert!(report.is_valid());
}

#[test]
fn crlf_and_trailing_blanks_are_accepted() {
    let text = format!(
        "{}\r\n{}   \r\n{}\r\n\r\n",
        TD1_SPECIMEN[0], TD1_SPECIMEN[1], TD1_SPECIMEN[2]
    );
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(check(&lines).unwrap().is_valid());
    assert!(Td1::parse(&lines).is_ok());
}

#[test]
fn each_check_digit_failure_names_line_and_field() {
    let mut lines = TD1_SPECIMEN.map(String::from);
    lines[1] = "7408123F1204159UTO<<<<<<<<<<<6".into();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let report = check(&refs).unwrap();
    assert!(!report.is_valid());
    assert_eq!(
        report.failures(),
        [
            MrzError::CheckDigit {
                line: 2,
                field: Field::BirthDate,
                found: '3',
                expected: '2'
            },
            // The composite covers the check digit too.
            MrzError::CheckDigit {
                line: 2,
                field: Field::Composite,
                found: '6',
                expected: '9'
            }
        ]
    );
    assert_eq!(
        report.to_string(),
        "line 2: birth date check digit is 3, expected 2\n\
         line 2: composite check digit is 6, expected 9"
    );
    assert_eq!(
        Td1::parse(&refs).unwrap_err().to_string(),
        "line 2: birth date check digit is 3, expected 2"
    );
}

#[test]
fn a_changed_birth_date_fails_its_check_digit_and_the_composite() {
    let lines = [
        TD1_SPECIMEN[0],
        "7408132F1204159UTO<<<<<<<<<<<6",
        TD1_SPECIMEN[2],
    ];
    let report = check(&lines).unwrap();
    assert_eq!(
        report.to_string(),
        "line 2: birth date check digit is 2, expected 3\n\
         line 2: composite check digit is 6, expected 3"
    );
}

#[test]
fn td3_failures_name_their_fields() {
    let lines = [
        TD3_SPECIMEN[0],
        "L898902C37UTO7408122X1204159ZE184226B<<<<<20",
    ];
    let messages: Vec<String> = check(&lines)
        .unwrap()
        .failures()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            "line 2: document number check digit is 7, expected 6",
            "line 2: sex is \"X\", expected M, F or <",
            "line 2: personal number check digit is 2, expected 1",
            "line 2: composite check digit is 0, expected 8",
        ]
    );
}

#[test]
fn shape_errors_are_clear() {
    assert_eq!(
        check(&[
            "I<UTOD231458907<<<<<<<<<<<<<<",
            TD1_SPECIMEN[1],
            TD1_SPECIMEN[2]
        ])
        .unwrap_err()
        .to_string(),
        "line 1 has 29 characters, expected 30"
    );
    assert_eq!(
        check(&[
            "i<UTOD231458907<<<<<<<<<<<<<<<",
            TD1_SPECIMEN[1],
            TD1_SPECIMEN[2]
        ])
        .unwrap_err()
        .to_string(),
        "line 1, position 1: character 'i' is not allowed in a machine-readable zone"
    );
    assert_eq!(
        check(&[TD1_SPECIMEN[0]]).unwrap_err(),
        MrzError::UnknownLayout { lines: 1 }
    );
    assert_eq!(
        check(&[]).unwrap_err(),
        MrzError::UnknownLayout { lines: 0 }
    );
    let td2 = [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ];
    assert_eq!(check(&td2).unwrap_err(), MrzError::UnsupportedLayout);
    assert_eq!(
        Td3::parse(&TD1_SPECIMEN).unwrap_err(),
        MrzError::LineCount {
            expected: 2,
            found: 3
        }
    );
}

#[test]
fn bad_fields_are_reported_not_panicked_on() {
    let lines = [
        "X<UTOD231458907<<<<<<<<<<<<<<<",
        "7413122F1204159U1O<<<<<<<<<<<6",
        "<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<",
    ];
    let messages: Vec<String> = check(&lines)
        .unwrap()
        .failures()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            "line 1: document code is \"X<\", expected A, C or I, then a letter or <",
            "line 2: birth date is \"741312\", expected a date YYMMDD, with unknown parts as <<",
            "line 2: birth date check digit is 2, expected 8",
            "line 2: composite check digit is 6, expected 8",
            "line 2: nationality is \"U1O\", expected a three-letter code",
            "line 3: name is \"<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<\", expected a name field as in Doc 9303-3 §4.6",
        ]
    );
}

#[test]
fn long_document_numbers_follow_note_j() {
    let mut fields = td1_fields();
    fields.document_number = "D231458907AB12".into();
    fields.optional_data_1 = "XY".into();
    let td1 = Td1::new(fields).unwrap();
    let lines = td1.encode();
    // First nine, a filler, then the rest, its check digit over all 14, a filler.
    let check = cancuoc_icao::check_digit("D231458907AB12").unwrap();
    assert_eq!(lines[0], format!("I<UTOD23145890<7AB12{check}<XY<<<<<<"));
    let parsed = Td1::parse(&[&lines[0], &lines[1], &lines[2]]).unwrap();
    assert_eq!(parsed.document_number(), "D231458907AB12");
    assert_eq!(parsed.optional_data_1(), "XY");
    assert_eq!(parsed, td1);
    assert!(
        cancuoc_icao::check(&[&lines[0], &lines[1], &lines[2]])
            .unwrap()
            .is_valid()
    );
}

#[test]
fn encoders_refuse_values_their_fields_cannot_hold() {
    let mut fields = td1_fields();
    fields.document_code = "P".into();
    assert_eq!(
        Td1::new(fields).unwrap_err().to_string(),
        "document code is \"P\", expected A, C or I, then a letter or <"
    );
    let mut fields = td1_fields();
    fields.optional_data_2 = "lower".into();
    assert!(matches!(
        Td1::new(fields),
        Err(MrzError::Value {
            field: Field::OptionalData,
            ..
        })
    ));
    let mut fields = td1_fields();
    fields.document_number = "A".repeat(23);
    assert!(Td1::new(fields).is_err());
}
