//! Every chip file round-trips through its parser, and no parser panics on any input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

use cancuoc_icao::lds::{
    Com, Dg1, Dg2, Dg13, Dg15, ElementaryFile, FaceGender, FaceImageType, SecurityInfo,
    SecurityInfos, parse_any,
};
use cancuoc_icao::sod::LdsSecurityObject;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Vietnamese letters, digits, the slash of dates, spaces and a few others.
    "[a-zA-Z0-9ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ /,.-]{0,60}"
}

fn dg13() -> impl Strategy<Value = Dg13> {
    (
        proptest::collection::vec(text(), 16),
        "[0-9]{12}",
        "[0-9]{2}/[0-9]{2}/[0-9]{4}",
    )
        .prop_map(|(t, id, date)| Dg13 {
            personal_id: id,
            full_name: t[0].clone(),
            birth_date: date,
            sex: t[1].clone(),
            nationality: t[2].clone(),
            ethnicity: t[3].clone(),
            religion: t[4].clone(),
            hometown: t[5].clone(),
            permanent_residence: t[6].clone(),
            identifying_marks: t[7].clone(),
            issue_date: t[8].clone(),
            expiry: t[9].clone(),
            father: t[10].clone(),
            mother: t[11].clone(),
            spouse: t[12].clone(),
            old_id: t[13].clone(),
        })
}

proptest! {
    #[test]
    fn dg13_round_trips(dg13 in dg13()) {
        prop_assert_eq!(Dg13::parse(&dg13.encode()).unwrap(), dg13);
    }

    #[test]
    fn dg1_round_trips(mrz in "[A-Z0-9<]{90}") {
        let dg1 = Dg1 { mrz };
        let parsed = Dg1::parse(&dg1.encode()).unwrap();
        prop_assert_eq!(parsed.lines().len(), 3);
        prop_assert_eq!(parsed, dg1);
    }

    #[test]
    fn dg2_round_trips(
        image in proptest::collection::vec(any::<u8>(), 0..3000),
        width in any::<u16>(),
        height in any::<u16>(),
        jpeg2000 in any::<bool>(),
        gender in 0u8..3,
    ) {
        let dg2 = Dg2 {
            image_type: if jpeg2000 { FaceImageType::Jpeg2000 } else { FaceImageType::Jpeg },
            width,
            height,
            gender: [FaceGender::Unspecified, FaceGender::Male, FaceGender::Female][usize::from(gender)],
            image,
        };
        prop_assert_eq!(Dg2::parse(&dg2.encode()).unwrap(), dg2);
    }

    #[test]
    fn com_dg14_dg15_card_access_and_the_security_object_round_trip(
        key in proptest::collection::vec(any::<u8>(), 65),
        version in 0u64..5,
        parameter in 0u64..20,
        hashes in proptest::collection::btree_map(1u8..=16, any::<[u8; 32]>(), 1..16),
        tags in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let spki = cancuoc_icao::pki::public_key_info(&key);
        let infos = SecurityInfos::new(vec![
            SecurityInfo::ChipAuthentication { version },
            SecurityInfo::ChipAuthenticationPublicKey { public_key: spki.clone() },
            SecurityInfo::Pace { version, parameter_id: parameter },
        ]);
        prop_assert_eq!(&SecurityInfos::parse_dg14(&infos.encode_dg14()).unwrap(), &infos);
        prop_assert_eq!(&SecurityInfos::parse_card_access(&infos.encode_card_access()).unwrap(), &infos);
        prop_assert_eq!(infos.chip_authentication_key(), Some(spki.as_slice()));
        let dg15 = Dg15 { public_key: spki };
        prop_assert_eq!(Dg15::parse(&dg15.encode()).unwrap(), dg15);
        let com = Com { tags, ..Com::vietnamese_card() };
        prop_assert_eq!(Com::parse(&com.encode()).unwrap(), com);
        let object = LdsSecurityObject { hashes: hashes.into_iter().collect() };
        prop_assert_eq!(LdsSecurityObject::parse(&object.encode()).unwrap(), object);
    }

    #[test]
    fn no_parser_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for file in ElementaryFile::ALL {
            let _ = parse_any(file, &bytes);
        }
        let _ = cancuoc_icao::pki::Certificate::parse(&bytes);
        let _ = cancuoc_icao::pki::Crl::parse(&bytes);
    }

    /// Damage to a well-formed file (one byte changed or the file cut) is an error or a
    /// different value, never a panic.
    #[test]
    fn no_parser_panics_on_a_damaged_file(
        dg13 in dg13(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut bytes = dg13.encode();
        let i = at.index(bytes.len());
        if cut { bytes.truncate(i) } else { bytes[i] = byte }
        for file in ElementaryFile::ALL {
            let _ = parse_any(file, &bytes);
        }
    }
}
