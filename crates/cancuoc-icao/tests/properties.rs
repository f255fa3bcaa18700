//! Property tests: round trips, no panics on any input, and detection of every single
//! digit substitution that Doc 9303 check digits guarantee to catch.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

use cancuoc_icao::{
    BirthDate, MrzDate, MrzName, ParsedVnm, Sex, Td1, Td1Fields, Td3, Td3Fields, VnmCard, check,
    mrz_name, parse_name,
};
use proptest::prelude::*;
use proptest::sample::Index;
use unicode_normalization::UnicodeNormalization;

const SYLLABLES: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Văn", "Thị", "Hữu", "Đức", "Minh", "Ánh", "Tuyết", "Phương",
    "Thảo", "Quỳnh", "Hương", "Ngọc", "Xuân", "Thu", "Hạnh", "Công", "Tằng", "Tôn", "Nữ", "Khánh",
    "Yến", "Ưng", "Ơn", "Bảo", "Châu", "Giang", "Khuê", "Nghĩa", "Dũng", "Đào",
];

/// A Vietnamese full name as people type it: NFC or NFD, any case, uneven spaces.
fn full_name() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((prop::sample::select(SYLLABLES), 1usize..4), 1..9),
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(words, case, nfd)| {
            let mut text = String::new();
            for (word, spaces) in words {
                text.push_str(&" ".repeat(spaces));
                text.push_str(&match case {
                    0 => word.to_lowercase(),
                    1 => word.to_uppercase(),
                    _ => word.to_owned(),
                });
            }
            if nfd { text.nfd().collect() } else { text }
        })
}

fn birth() -> impl Strategy<Value = BirthDate> {
    (1900i16..2026, 1i8..=12, 1i8..=28, 0u8..3).prop_map(|(y, m, d, shape)| match shape {
        0 => BirthDate::new(y, None, None).unwrap(),
        1 => BirthDate::new(y, Some(m), None).unwrap(),
        _ => BirthDate::new(y, Some(m), Some(d)).unwrap(),
    })
}

fn card() -> impl Strategy<Value = (VnmCard, String)> {
    (
        "[0-9]{12}",
        full_name(),
        birth(),
        any::<bool>(),
        prop::option::of((2000i16..2099, 1i8..=12, 1i8..=28)),
    )
        .prop_map(|(id, name, birth, male, expiry)| {
            let sex = if male { Sex::Male } else { Sex::Female };
            let expiry = expiry.map(|(y, m, d)| jiff::civil::date(y, m, d));
            (VnmCard::new(&id, &name, birth, sex, expiry).unwrap(), name)
        })
}

fn refs(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

/// Replaces the digit at the `pick`-th digit position of lines 1 and 2 by another digit.
fn flip_digit(lines: &mut [String], pick: Index, delta: u32) {
    let positions: Vec<(usize, usize)> = lines
        .iter()
        .take(2)
        .enumerate()
        .flat_map(|(l, line)| {
            line.char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(move |(i, _)| (l, i))
        })
        .collect();
    let (l, i) = positions[pick.index(positions.len())];
    let old = lines[l].as_bytes()[i];
    let new = char::from(b'0' + u8::try_from((u32::from(old - b'0') + delta) % 10).unwrap());
    lines[l].replace_range(i..=i, &new.to_string());
}

fn mrz_char() -> impl Strategy<Value = char> {
    prop::sample::select(
        ('A'..='Z')
            .chain('0'..='9')
            .chain(['<'])
            .collect::<Vec<_>>(),
    )
}

/// Whatever parses re-encodes to the lines it was read from.
fn reencodes(lines: &[String]) {
    let lines = refs(lines);
    let _ = check(&lines);
    if let Ok(parsed) = Td1::parse(&lines) {
        assert_eq!(parsed.encode().to_vec(), lines);
    }
    if let Ok(parsed) = Td3::parse(&lines) {
        assert_eq!(parsed.encode().to_vec(), lines);
    }
    if let Ok(parsed) = ParsedVnm::parse(&lines) {
        assert_eq!(parsed.encode().to_vec(), lines);
    }
}

fn td1_fields() -> impl Strategy<Value = Td1Fields> {
    (
        (
            "[ACI][A-Z<]",
            "[A-Z]{1,3}",
            "[A-Z0-9][A-Z0-9<]{0,8}|[A-Z0-9]{10,13}",
        ),
        ("[A-Z0-9<]{0,2}", "[0-9<]{2}", any::<bool>(), "[A-Z]{3}"),
        ("[A-Z0-9<]{0,11}", full_name()),
    )
        .prop_map(
            |((code, state, number), (opt1, yy, male, nat), (opt2, name))| {
                let yy = if yy == "<<" { None } else { yy.parse().ok() };
                Td1Fields {
                    document_code: code,
                    issuing_state: state,
                    document_number: number,
                    optional_data_1: opt1,
                    birth: MrzDate::new(yy, Some(2), None).unwrap(),
                    sex: if male { Sex::Male } else { Sex::Unspecified },
                    expiry: MrzDate::new(Some(31), Some(12), Some(30)).unwrap(),
                    nationality: nat,
                    optional_data_2: opt2,
                    name: MrzName::from_full_name(&name).unwrap(),
                }
            },
        )
}

proptest! {
    #[test]
    fn vnm_cards_round_trip((card, name) in card()) {
        let lines = card.encode();
        for line in &lines {
            prop_assert_eq!(line.len(), 30);
        }
        let parsed = VnmCard::parse(&refs(&lines)).unwrap();
        prop_assert_eq!(parsed.personal_id(), card.personal_id());
        prop_assert_eq!(parsed.birth(), card.birth().to_mrz());
        prop_assert_eq!(parsed.sex(), card.sex());
        prop_assert_eq!(parsed.expiry(), card.expiry().map(MrzDate::from_civil));
        let expected = parse_name(&mrz_name(&name, 30).unwrap()).unwrap();
        prop_assert_eq!(parsed.name(), &expected);
        prop_assert_eq!(parsed.encode(), lines.clone());
        let report = check(&refs(&lines)).unwrap();
        prop_assert!(report.is_valid(), "{}", report);
    }

    #[test]
    fn every_single_digit_substitution_is_detected(
        (card, _) in card(),
        pick in any::<Index>(),
        delta in 1u32..10,
    ) {
        // Every digit of lines 1 and 2 is in a field with a check digit, is one, or is the
        // composite; weights 7, 3, 1 are prime to 10, so the sum changes.
        let mut lines = card.encode().to_vec();
        flip_digit(&mut lines, pick, delta);
        let report = check(&refs(&lines)).unwrap();
        prop_assert!(!report.is_valid(), "{:?}", lines);
        prop_assert!(ParsedVnm::parse(&refs(&lines)).is_err());
    }

    #[test]
    fn td1_fields_round_trip(fields in td1_fields()) {
        let td1 = Td1::new(fields).unwrap();
        let lines = td1.encode();
        let parsed = Td1::parse(&refs(&lines)).unwrap();
        prop_assert_eq!(&parsed, &td1);
        prop_assert!(check(&refs(&lines)).unwrap().is_valid());
    }

    #[test]
    fn td1_and_td3_digit_substitutions_are_detected(
        fields in td1_fields(),
        pick in any::<Index>(),
        delta in 1u32..10,
    ) {
        let td1 = Td1::new(fields.clone()).unwrap();
        let mut lines = td1.encode().to_vec();
        flip_digit(&mut lines, pick, delta);
        prop_assert!(!check(&refs(&lines)).unwrap().is_valid(), "{:?}", lines);

        let number: String = fields.document_number.chars().take(9).collect();
        let td3 = Td3::new(Td3Fields {
            document_code: "P".into(),
            issuing_state: fields.issuing_state,
            name: fields.name,
            document_number: number,
            nationality: fields.nationality,
            birth: fields.birth,
            sex: fields.sex,
            expiry: fields.expiry,
            personal_number: fields.optional_data_2,
        })
        .unwrap();
        let mut lines = td3.encode().to_vec();
        prop_assert!(Td3::parse(&refs(&lines)).unwrap() == td3);
        // Only line 2 of a TD3 has digits.
        lines.swap(0, 1);
        flip_digit(&mut lines, pick, delta);
        lines.swap(0, 1);
        prop_assert!(!check(&refs(&lines)).unwrap().is_valid(), "{:?}", lines);
    }

    #[test]
    fn names_fill_their_field_and_parse_back(name in full_name(), width in 4usize..45) {
        // Below 4 positions not even one letter of each identifier and `<<` fit.
        let full = MrzName::from_full_name(&name).unwrap();
        let field = mrz_name(&name, width).unwrap();
        prop_assert_eq!(field.len(), width);
        let parsed = parse_name(&field).unwrap();
        let untruncated = full.primary().join("<").len()
            + if full.secondary().is_empty() { 0 } else { 2 + full.secondary().join("<").len() };
        if untruncated <= width {
            prop_assert_eq!(&parsed, &full);
        } else {
            // Doc 9303-5 §4.2.2.3: a truncated field ends with a letter.
            prop_assert!(field.ends_with(|c: char| c.is_ascii_uppercase()), "{}", field);
            // What is kept is the start of each kept component, in order.
            for (kept, whole) in parsed.primary().iter().zip(full.primary()) {
                prop_assert!(whole.starts_with(kept.as_str()));
            }
            prop_assert!(parsed.primary().len() <= full.primary().len());
            for (kept, whole) in parsed.secondary().iter().zip(full.secondary()) {
                prop_assert!(whole.starts_with(kept.as_str()));
            }
            prop_assert!(parsed.secondary().len() <= full.secondary().len());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", width in 0usize..50) {
        let lines: Vec<&str> = text.split('\n').collect();
        let _ = check(&lines);
        let _ = Td1::parse(&lines);
        let _ = Td3::parse(&lines);
        let _ = ParsedVnm::parse(&lines);
        let _ = parse_name(&text);
        let _ = MrzDate::parse(&text);
        if let Ok(field) = mrz_name(&text, width) {
            prop_assert_eq!(field.chars().count(), width);
            prop_assert!(parse_name(&field).is_ok());
        }
    }

    #[test]
    fn arbitrary_zones_never_panic_and_reencode(
        td1 in prop::collection::vec("[A-Z0-9<]{30}", 3),
        td3 in prop::collection::vec("[A-Z0-9<]{44}", 2),
    ) {
        reencodes(&td1);
        reencodes(&td3);
    }

    #[test]
    fn mutated_zones_reencode_when_they_parse(
        (card, _) in card(),
        fields in td1_fields(),
        edits in prop::collection::vec((0usize..3, 0usize..30, mrz_char()), 1..3),
    ) {
        for mut lines in [card.encode().to_vec(), Td1::new(fields).unwrap().encode().to_vec()] {
            for &(l, i, c) in &edits {
                lines[l].replace_range(i..=i, &c.to_string());
            }
            reencodes(&lines);
        }
    }
}
