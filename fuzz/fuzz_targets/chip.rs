//! A chip's files as a reader would hand them over: the input is split into elements, each
//! taken as the next file of the chip (EF.COM, EF.CardAccess, DG1 … EF.SOD) and also as a
//! certificate and a CRL. No parser panics, whatever parses writes back to the same bytes,
//! and passive authentication answers for any set of files.
#![no_main]

use std::collections::BTreeMap;

use cancuoc_icao::der::Reader;
use cancuoc_icao::lds::{Com, Dg1, Dg2, Dg13, Dg15, ElementaryFile, SecurityInfos, parse_any};
use cancuoc_icao::passive::{self, Trust};
use cancuoc_icao::pki::{Certificate, Crl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new(data);
    let mut files = BTreeMap::new();
    let mut certificates = Vec::new();
    let mut crls = Vec::new();
    for file in ElementaryFile::ALL.into_iter().cycle().take(16) {
        let Ok(element) = reader.read() else { break };
        let bytes = element.raw;
        let _ = parse_any(file, bytes);
        match file {
            ElementaryFile::Com => {
                if let Ok(com) = Com::parse(bytes) {
                    assert_eq!(com.encode(), bytes);
                }
            }
            ElementaryFile::Dg1 => {
                if let Ok(dg1) = Dg1::parse(bytes) {
                    assert_eq!(dg1.encode(), bytes);
                }
            }
            ElementaryFile::Dg2 => {
                if let Ok(dg2) = Dg2::parse(bytes) {
                    assert_eq!(Dg2::parse(&dg2.encode()), Ok(dg2));
                }
            }
            ElementaryFile::Dg13 => {
                if let Ok(dg13) = Dg13::parse(bytes) {
                    assert_eq!(Dg13::parse(&dg13.encode()), Ok(dg13));
                }
            }
            ElementaryFile::Dg14 => {
                if let Ok(infos) = SecurityInfos::parse_dg14(bytes) {
                    assert_eq!(SecurityInfos::parse_dg14(&infos.encode_dg14()), Ok(infos));
                }
            }
            ElementaryFile::Dg15 => {
                if let Ok(dg15) = Dg15::parse(bytes) {
                    assert_eq!(dg15.encode(), bytes);
                }
            }
            _ => {}
        }
        if let Ok(certificate) = Certificate::parse(bytes) {
            let _ = certificate.subject_text();
            certificates.push(certificate);
        }
        if let Ok(crl) = Crl::parse(bytes) {
            crls.push(crl);
        }
        files.insert(file, bytes.to_vec());
    }
    let trust = Trust {
        cscas: certificates,
        crls,
    };
    let verification = passive::verify(&files, &trust, jiff::Timestamp::UNIX_EPOCH);
    let _ = verification.is_valid();
});
