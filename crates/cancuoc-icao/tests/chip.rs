//! The chip end to end: a CSCA, a Document Signer, one card's files personalised and
//! checked by our passive authentication, by `openssl cms -verify` and by PyPI asn1crypto
//! (scripts/check_chip.py); then every way it must fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use cancuoc_icao::chip::{self, ChipData, ChipFiles, SignError};
use cancuoc_icao::lds::{Dg2, ElementaryFile};
use cancuoc_icao::passive::{self, CheckKind, Trust};
use cancuoc_icao::pki::{self, Certificate, CertificateKind, CertificateSpec, Crl, KeyPair};
use cancuoc_icao::specimen::{self, SpecimenPki};
use jiff::Timestamp;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

type Pki = SpecimenPki;

/// The specimen PKI: its Document Signer signs from March to June 2021.
fn pki() -> Pki {
    SpecimenPki::new(t("2021-03-01T00:00:00Z"), t("2021-06-01T00:00:00Z")).unwrap()
}

fn crl(pki: &Pki, revoked: &[&Certificate]) -> Crl {
    pki.crl(revoked, t("2021-04-01T00:00:00Z")).unwrap()
}

fn portrait() -> Vec<u8> {
    specimen::portrait(20_000)
}

fn card() -> ChipData {
    specimen::card("001079012345", portrait()).unwrap()
}

fn files(pki: &Pki, at: &str) -> Result<ChipFiles, SignError> {
    chip::personalise(
        &card(),
        &KeyPair::generate(|b| b.fill(0x33)),
        &KeyPair::generate(|b| b.fill(0x44)),
        &pki.ds,
        &pki.ds_key,
        t(at),
    )
}

fn trust(pki: &Pki, revoked: &[&Certificate]) -> Trust {
    Trust {
        cscas: vec![pki.csca.clone()],
        crls: vec![crl(pki, revoked)],
    }
}

fn failed(files: &ChipFiles, trust: &Trust) -> Vec<CheckKind> {
    passive::verify(files, trust, t("2021-05-01T00:00:00Z"))
        .failures()
        .map(|(k, _)| *k)
        .collect()
}

#[test]
fn a_personalised_chip_passes_passive_authentication_and_decodes() {
    let pki = pki();
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    assert_eq!(
        files.keys().copied().collect::<Vec<_>>(),
        ElementaryFile::ALL.to_vec()
    );
    let verification = passive::verify(&files, &trust(&pki, &[]), t("2021-05-01T00:00:00Z"));
    assert!(
        verification.is_valid(),
        "{:?}",
        verification.failures().collect::<Vec<_>>()
    );
    assert_eq!(verification.checks.len(), 11);
    assert_eq!(verification.dg1.unwrap().lines(), card().mrz.to_vec());
    assert_eq!(verification.dg13.unwrap(), card().citizen);
    assert_eq!(verification.signing_time, Some(t("2021-03-16T02:00:00Z")));
    let dg2 = Dg2::parse(&files[&ElementaryFile::Dg2]).unwrap();
    assert_eq!(dg2.image, portrait());
}

#[test]
fn a_flipped_byte_in_a_data_group_or_in_the_security_object_fails_with_its_reason() {
    let pki = pki();
    let trust = trust(&pki, &[]);
    let good = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    for file in ElementaryFile::DATA_GROUPS {
        let mut files = good.clone();
        let bytes = files.get_mut(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let failed = failed(&files, &trust);
        assert!(
            failed.contains(&CheckKind::DataGroupHash(file)),
            "{file}: {failed:?}"
        );
    }
    // A byte of the signature, then a byte of the signed hashes.
    let mut files = good.clone();
    let sod = files.get_mut(&ElementaryFile::Sod).unwrap();
    let last = sod.len() - 1;
    sod[last] ^= 0x01;
    assert!(failed(&files, &trust).contains(&CheckKind::Signature));
    let mut files = good.clone();
    let sod = files.get_mut(&ElementaryFile::Sod).unwrap();
    let hash = chip_hash_offset(sod);
    sod[hash] ^= 0x01;
    let failed = failed(&files, &trust);
    assert!(failed.contains(&CheckKind::Signature), "{failed:?}");
    assert!(failed.contains(&CheckKind::DataGroupHash(ElementaryFile::Dg1)));
}

/// The offset of DG1's hash in EF.SOD: the first 32 bytes after DG1's number.
fn chip_hash_offset(sod: &[u8]) -> usize {
    let dg1 = sha256(&files(&pki(), "2021-03-16T02:00:00Z").unwrap()[&ElementaryFile::Dg1]);
    sod.windows(32).position(|w| w == dg1).unwrap()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

#[test]
fn a_revoked_or_foreign_document_signer_is_refused() {
    let pki = pki();
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    assert_eq!(
        failed(&files, &trust(&pki, &[&pki.ds])),
        vec![CheckKind::NotRevoked]
    );
    let other = Pki {
        csca_key: KeyPair::generate(|b| b.fill(0x55)),
        ..pki
    };
    let foreign = Trust {
        cscas: vec![
            Certificate::parse(&pki::issue(
                &CertificateSpec {
                    kind: CertificateKind::CountrySigningCa,
                    serial: 1,
                    issuer: specimen::name("CSCA Việt Nam").encode(),
                    subject: specimen::name("CSCA Việt Nam"),
                    not_before: t("2021-01-01T00:00:00Z"),
                    not_after: t("2099-12-31T23:59:59Z"),
                    usage_from: t("2021-01-01T00:00:00Z"),
                    usage_until: t("2026-01-01T00:00:00Z"),
                    issuer_key_id: vec![1],
                    subject_key: other.csca_key.public_key_info(),
                },
                &other.csca_key,
            ))
            .unwrap(),
        ],
        crls: Vec::new(),
    };
    let failed = failed(&files, &foreign);
    assert!(failed.contains(&CheckKind::Chain), "{failed:?}");
    assert!(failed.contains(&CheckKind::NotRevoked));
}

#[test]
fn production_refuses_a_document_signer_outside_its_usage_period() {
    let pki = pki();
    assert!(matches!(
        files(&pki, "2021-06-02T00:00:00Z"),
        Err(SignError::OutsideUsagePeriod { .. })
    ));
    assert!(matches!(
        files(&pki, "2021-02-28T00:00:00Z"),
        Err(SignError::OutsideUsagePeriod { .. })
    ));
    assert!(files(&pki, "2021-05-31T23:00:00Z").is_ok());
}

fn write_dir(dir: &Path, files: &ChipFiles, pki: &Pki) {
    for (file, bytes) in files {
        std::fs::write(dir.join(file.file_name()), bytes).unwrap();
    }
    std::fs::write(dir.join("csca.pem"), pki::pem("CERTIFICATE", &pki.csca.der)).unwrap();
    std::fs::write(dir.join("portrait.jpg"), portrait()).unwrap();
    // What `openssl cms` reads: EF.SOD without its 0x77 wrapper.
    let sod = cancuoc_icao::sod::Sod::parse(&files[&ElementaryFile::Sod]).unwrap();
    std::fs::write(dir.join("sod.der"), sod.content_info).unwrap();
}

fn openssl_verify(dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(dir.join("sod.der"))
        .arg("-CAfile")
        .arg(dir.join("csca.pem"))
        .args(["-purpose", "any", "-out"])
        .arg(dir.join("lds.der"))
        .output()
        .expect("openssl is installed (Debian's openssl package)")
}

#[test]
fn openssl_verifies_the_security_object_and_yields_the_hashes_of_the_files() {
    let pki = pki();
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &files, &pki);
    let out = openssl_verify(dir.path());
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let content = std::fs::read(dir.path().join("lds.der")).unwrap();
    let object = cancuoc_icao::sod::LdsSecurityObject::parse(&content).unwrap();
    let expected: BTreeMap<u8, Vec<u8>> = ElementaryFile::DATA_GROUPS
        .iter()
        .map(|f| (f.data_group().unwrap(), sha256(&files[f])))
        .collect();
    let got: BTreeMap<u8, Vec<u8>> = object
        .hashes
        .iter()
        .map(|(n, h)| (*n, h.to_vec()))
        .collect();
    assert_eq!(got, expected);

    // One flipped byte of the signed hashes and openssl refuses it too.
    let mut broken = files.clone();
    let sod = broken.get_mut(&ElementaryFile::Sod).unwrap();
    let at = chip_hash_offset(sod);
    sod[at] ^= 0x01;
    write_dir(dir.path(), &broken, &pki);
    assert!(!openssl_verify(dir.path()).status.success());
}

#[test]
fn asn1crypto_reads_every_file_with_the_vietnamese_text_intact() {
    let pki = pki();
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &files, &pki);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_chip.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "check_chip.py: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hashes_match"], true);
    assert_eq!(report["signer_subject"]["common_name"], "Document Signer 2");
    assert_eq!(report["csca_subject"]["country_name"], "VN");
    assert_eq!(report["mrz"], card().mrz.concat());
    assert_eq!(report["portrait_is_the_file"], true);
    assert_eq!(report["dg13"]["2"][0], "Nguyễn Văn Cường");
    assert_eq!(report["dg13"]["13"][1], "Trần Thị Hoa");
    assert_eq!(report["dg13"]["15"][0], "183456789");
    assert_eq!(report["dg13_is_nfc"], true);
    assert_eq!(report["ds_key_usage_critical"], true);
    assert_eq!(
        report["ds_private_key_usage_end"],
        "2021-06-01T00:00:00+00:00"
    );
}

/// A second implementation of passive authentication, crates.io `dmrtd`, agrees: the
/// chip's data groups match EF.SOD, the Document Signer's signature holds and the chain
/// reaches our CSCA; a flipped byte makes it refuse.
#[test]
fn the_dmrtd_crate_authenticates_the_chip_too() {
    use dmrtd::auth::passive::{self as dm, DataGroup, TrustAnchor};
    let pki = pki();
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    let anchors = [TrustAnchor::from_certificate(&pki.csca.der).unwrap()];
    let groups: Vec<DataGroup<'_>> = ElementaryFile::DATA_GROUPS
        .iter()
        .map(|f| DataGroup {
            number: f.data_group().unwrap(),
            bytes: &files[f],
        })
        .collect();
    let result = dm::verify(&files[&ElementaryFile::Sod], &groups, &anchors).unwrap();
    assert!(result.covers_all_groups(), "{result:?}");
    assert_eq!(result.sod_groups, [1, 2, 13, 14, 15]);

    let mut dg2 = files[&ElementaryFile::Dg2].clone();
    let last = dg2.len() - 1;
    dg2[last] ^= 1;
    let forged = [DataGroup {
        number: 2,
        bytes: &dg2,
    }];
    assert!(dm::verify(&files[&ElementaryFile::Sod], &forged, &anchors).is_err());
}

/// A reader that did not read DG2 is answered for what it read (DG2 listed as unread);
/// DG1 cannot be left out; a CRL past its next update is not trusted to say "not revoked".
#[test]
fn a_partial_read_is_answered_for_what_was_read_and_a_stale_crl_is_refused() {
    let pki = pki();
    let trust = trust(&pki, &[]);
    let files = files(&pki, "2021-03-16T02:00:00Z").unwrap();
    let mut partial = files.clone();
    partial.remove(&ElementaryFile::Dg2);
    let v = passive::verify(&partial, &trust, t("2021-05-01T00:00:00Z"));
    assert!(v.is_valid(), "{:?}", v.failures().collect::<Vec<_>>());
    assert_eq!(v.unread, [ElementaryFile::Dg2]);
    let mut without_dg1 = files.clone();
    without_dg1.remove(&ElementaryFile::Dg1);
    assert!(failed(&without_dg1, &trust).contains(&CheckKind::DataGroupHash(ElementaryFile::Dg1)));
    let late = passive::verify(&files, &trust, t("2021-08-01T00:00:00Z"));
    let failures: Vec<_> = late.failures().collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(*failures[0].0, CheckKind::NotRevoked);
    assert!(
        failures[0].1.contains("due to be replaced"),
        "{}",
        failures[0].1
    );
}
