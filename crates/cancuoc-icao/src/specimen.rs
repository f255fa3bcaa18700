//! A specimen PKI and card, made from fixed seeds, like the specimen documents of Doc 9303:
//! what tests, benchmarks and examples use when they need a signed chip without a
//! register. Its private keys are public knowledge: nothing real is ever signed with them.

use jiff::Timestamp;

use crate::chip::ChipData;
use crate::lds::{Dg2, Dg13, FaceGender, FaceImageType};
use crate::pki::{
    self, Certificate, CertificateKind, CertificateSpec, Crl, CrlSpec, KeyPair, Name,
};
use crate::{BirthDate, Sex, VnmCard};

/// The specimen's names: the ministry, as the real certificates name it.
pub fn name(common_name: &str) -> Name {
    Name {
        country: "VN".into(),
        organization: "Bộ Công an".into(),
        organizational_unit: Some("Cục C06".into()),
        common_name: common_name.into(),
        serial_number: None,
    }
}

/// A key pair from a one-byte seed.
pub fn key(seed: u8) -> KeyPair {
    KeyPair::generate(|b| b.fill(seed))
}

/// A CSCA (serial 1) and a Document Signer (serial 2) whose key may sign from `from`
/// until `until`; every certificate valid until the end of 2099.
#[derive(Debug, Clone)]
pub struct SpecimenPki {
    pub csca: Certificate,
    pub csca_key: KeyPair,
    pub ds: Certificate,
    pub ds_key: KeyPair,
}

impl SpecimenPki {
    pub fn new(from: Timestamp, until: Timestamp) -> Result<SpecimenPki, crate::der::DerError> {
        let end: Timestamp = "2099-12-31T23:59:59Z".parse().unwrap_or(Timestamp::MAX);
        let csca_key = key(0x11);
        let spki = csca_key.public_key_info();
        let csca = Certificate::parse(&pki::issue(
            &CertificateSpec {
                kind: CertificateKind::CountrySigningCa,
                serial: 1,
                issuer: name("CSCA Việt Nam").encode(),
                subject: name("CSCA Việt Nam"),
                not_before: from,
                not_after: end,
                usage_from: from,
                usage_until: end,
                issuer_key_id: pki::key_identifier(&spki),
                subject_key: spki,
            },
            &csca_key,
        ))?;
        let ds_key = key(0x22);
        let ds = Certificate::parse(&pki::issue(
            &CertificateSpec {
                kind: CertificateKind::DocumentSigner,
                serial: 2,
                issuer: csca.subject.clone(),
                subject: name("Document Signer 2"),
                not_before: from,
                not_after: end,
                usage_from: from,
                usage_until: until,
                issuer_key_id: csca.subject_key_id.clone().unwrap_or_default(),
                subject_key: ds_key.public_key_info(),
            },
            &csca_key,
        ))?;
        Ok(SpecimenPki {
            csca,
            csca_key,
            ds,
            ds_key,
        })
    }

    /// The CSCA's CRL issued at `at` for 90 days, listing `revoked`.
    pub fn crl(
        &self,
        revoked: &[&Certificate],
        at: Timestamp,
    ) -> Result<Crl, crate::der::DerError> {
        Crl::parse(&pki::issue_crl(
            &CrlSpec {
                issuer: self.csca.subject.clone(),
                issuer_key_id: self.csca.subject_key_id.clone().unwrap_or_default(),
                number: 1,
                this_update: at,
                next_update: at
                    .checked_add(jiff::SignedDuration::from_hours(24 * 90))
                    .unwrap_or(at),
                revoked: revoked.iter().map(|c| (c.serial.clone(), at)).collect(),
            },
            &self.csca_key,
        ))
    }
}

/// The specimen card of Nguyễn Văn Cường, personal ID `personal_id`, with `portrait` (a
/// JPEG of 480 × 640) in DG2.
pub fn card(personal_id: &str, portrait: Vec<u8>) -> Result<ChipData, crate::MrzError> {
    let mrz = VnmCard::new(
        personal_id,
        "Nguyễn Văn Cường",
        BirthDate::full(jiff::civil::date(1979, 6, 14))?,
        Sex::Male,
        Some(jiff::civil::date(2039, 6, 14)),
    )?
    .encode();
    Ok(ChipData {
        mrz,
        portrait: Dg2 {
            image_type: FaceImageType::Jpeg,
            width: 480,
            height: 640,
            gender: FaceGender::Male,
            image: portrait,
        },
        citizen: Dg13 {
            personal_id: personal_id.to_owned(),
            full_name: "Nguyễn Văn Cường".into(),
            birth_date: "14/06/1979".into(),
            sex: "Nam".into(),
            nationality: "Việt Nam".into(),
            ethnicity: "Kinh".into(),
            religion: "Không".into(),
            hometown: "Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
            permanent_residence: "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
            identifying_marks: "Nốt ruồi C:2cm trên sau đầu mày phải".into(),
            issue_date: "16/03/2021".into(),
            expiry: "14/06/2039".into(),
            father: "Nguyễn Văn Đức".into(),
            mother: "Trần Thị Hoa".into(),
            spouse: String::new(),
            old_id: "183456789".into(),
        },
    })
}

/// A stand-in portrait: JPEG's start and end markers around bytes of every value.
pub fn portrait(len: usize) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend((0..len).map(|i| u8::try_from(i * 7 % 251).unwrap_or(0)));
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}
