//! Passive authentication (Doc 9303-11 §5.1): given the files read from a chip and the
//! country's CSCA certificates and CRL, is the chip's content what the ministry signed?
//! Every check is run, so that the answer names every failure, not the first.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::lds::{Dg1, Dg13, ElementaryFile};
use crate::pki::{Certificate, Crl};
use crate::sod::Sod;

/// One check of passive authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckKind {
    /// EF.SOD reads as a SignedData over an LDSSecurityObject.
    SecurityObject,
    /// The signed attributes' message digest is the hash of the security object, and the
    /// Document Signer's signature over them is valid.
    Signature,
    /// The Document Signer's certificate is issued by a trusted CSCA and within its dates.
    Chain,
    /// The signature was made inside the Document Signer's private key usage period.
    UsagePeriod,
    /// The CSCA's CRL is valid and does not list the Document Signer.
    NotRevoked,
    /// The data group's SHA-256 is the one the security object holds.
    DataGroupHash(ElementaryFile),
    /// DG1's MRZ has every check digit right.
    MrzCheckDigits,
}

impl CheckKind {
    /// A code a client can switch on: `signature`, `hash_dg2`, …
    pub fn code(self) -> String {
        match self {
            CheckKind::SecurityObject => "security_object".into(),
            CheckKind::Signature => "signature".into(),
            CheckKind::Chain => "chain".into(),
            CheckKind::UsagePeriod => "usage_period".into(),
            CheckKind::NotRevoked => "not_revoked".into(),
            CheckKind::DataGroupHash(file) => format!("hash_{}", file.name().to_lowercase()),
            CheckKind::MrzCheckDigits => "mrz_check_digits".into(),
        }
    }
}

/// A check and its outcome: `None` passed, `Some(reason)` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kind: CheckKind,
    pub failure: Option<String>,
}

/// What passive authentication found.
#[derive(Debug, Clone)]
pub struct Verification {
    pub checks: Vec<Check>,
    pub document_signer: Option<Certificate>,
    pub signing_time: Option<Timestamp>,
    pub dg1: Option<Dg1>,
    pub dg13: Option<Dg13>,
    /// Data groups the security object signs that were not given (a reader that skips
    /// DG2, say): not checked, so not vouched for.
    pub unread: Vec<ElementaryFile>,
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.failure.is_none())
    }

    /// The reasons of every failed check.
    pub fn failures(&self) -> impl Iterator<Item = (&CheckKind, &str)> {
        self.checks
            .iter()
            .filter_map(|c| c.failure.as_deref().map(|f| (&c.kind, f)))
    }
}

/// What a relying party trusts: its CSCA certificates and their latest CRL.
#[derive(Debug, Clone)]
pub struct Trust {
    pub cscas: Vec<Certificate>,
    pub crls: Vec<Crl>,
}

/// Runs passive authentication on `files` (EF.SOD and the data groups read) at `now`.
pub fn verify(
    files: &BTreeMap<ElementaryFile, Vec<u8>>,
    trust: &Trust,
    now: Timestamp,
) -> Verification {
    let mut checks = Vec::new();
    let dg1 = files
        .get(&ElementaryFile::Dg1)
        .and_then(|b| Dg1::parse(b).ok());
    let dg13 = files
        .get(&ElementaryFile::Dg13)
        .and_then(|b| Dg13::parse(b).ok());
    let mut out = Verification {
        checks: Vec::new(),
        document_signer: None,
        signing_time: None,
        dg1: dg1.clone(),
        dg13,
        unread: Vec::new(),
    };
    let sod = match files.get(&ElementaryFile::Sod).map(|b| Sod::parse(b)) {
        None => {
            push(
                &mut checks,
                CheckKind::SecurityObject,
                Some("EF.SOD was not given".into()),
            );
            out.checks = checks;
            return out;
        }
        Some(Err(e)) => {
            push(
                &mut checks,
                CheckKind::SecurityObject,
                Some(format!("EF.SOD cannot be read: {e}")),
            );
            out.checks = checks;
            return out;
        }
        Some(Ok(sod)) => sod,
    };
    push(&mut checks, CheckKind::SecurityObject, None);
    out.signing_time = sod.signing_time;

    let signer = sod.signer_certificate().cloned();
    push(
        &mut checks,
        CheckKind::Signature,
        match &signer {
            None => Some("EF.SOD does not carry its Document Signer's certificate".into()),
            Some(_) if !sod.content_type_is_lds => {
                Some("the signed content type is not the LDS security object".into())
            }
            Some(_) if !sod.digest_matches() => {
                Some("the signed message digest is not the hash of the security object".into())
            }
            Some(ds) if !sod.signature_valid(ds) => {
                Some("the Document Signer's signature does not verify".into())
            }
            Some(_) => None,
        },
    );

    let issuer = signer
        .as_ref()
        .and_then(|ds| trust.cscas.iter().find(|csca| ds.is_signed_by(csca)));
    push(
        &mut checks,
        CheckKind::Chain,
        match (&signer, issuer) {
            (None, _) => Some("no Document Signer certificate to chain".into()),
            (Some(ds), None) => Some(format!(
                "the Document Signer {} (serial {}) is not signed by a trusted CSCA",
                ds.subject_text(),
                ds.serial_hex()
            )),
            (Some(_), Some(csca)) if !csca.is_ca => {
                Some("the issuing certificate is not a CA certificate".into())
            }
            (Some(ds), Some(_)) if now < ds.not_before || now > ds.not_after => Some(format!(
                "the Document Signer's certificate is valid from {} to {}, not now",
                ds.not_before, ds.not_after
            )),
            (Some(_), Some(csca)) if now < csca.not_before || now > csca.not_after => {
                Some(format!(
                    "the CSCA certificate is valid from {} to {}, not now",
                    csca.not_before, csca.not_after
                ))
            }
            _ => None,
        },
    );

    push(
        &mut checks,
        CheckKind::UsagePeriod,
        match (&signer, sod.signing_time) {
            (None, _) => Some("no Document Signer certificate".into()),
            (Some(_), None) => Some("EF.SOD does not say when it was signed".into()),
            (Some(ds), Some(at)) => {
                let from = ds.usage_from.unwrap_or(ds.not_before);
                let until = ds.usage_until.unwrap_or(ds.not_after);
                (at < from || at > until).then(|| {
                    format!(
                        "signed at {at}, outside the Document Signer's private key usage period {from} – {until}"
                    )
                })
            }
        },
    );

    push(
        &mut checks,
        CheckKind::NotRevoked,
        match (&signer, issuer) {
            (Some(ds), Some(csca)) => {
                let crls: Vec<&Crl> = trust.crls.iter().filter(|c| c.is_signed_by(csca)).collect();
                // A CRL past its next update may miss a revocation made since (RFC 5280 §6.3.3).
                let current: Vec<&&Crl> = crls
                    .iter()
                    .filter(|c| {
                        c.this_update <= now && c.next_update.is_none_or(|next| now <= next)
                    })
                    .collect();
                if let (true, Some(stale)) = (current.is_empty(), crls.first()) {
                    Some(format!(
                        "the CSCA's CRL was due to be replaced by {}: get the current one (GET /api/v1/pki/crl)",
                        stale
                            .next_update
                            .map_or_else(String::new, |t| t.to_string())
                    ))
                } else if crls.is_empty() {
                    Some(
                        "no CRL signed by the CSCA was given, so revocation cannot be checked (the CSCA publishes it: GET /api/v1/pki/crl, cancuoc pki export --crl)"
                            .into(),
                    )
                } else if current.iter().any(|crl| crl.revokes(ds)) {
                    Some(format!(
                        "the Document Signer (serial {}) is revoked by the CSCA's CRL",
                        ds.serial_hex()
                    ))
                } else {
                    None
                }
            }
            _ => Some("revocation cannot be checked without a chain".into()),
        },
    );

    for file in ElementaryFile::DATA_GROUPS {
        let Some(number) = file.data_group() else {
            continue;
        };
        let expected = sod.object.hash_of(number);
        let given = files.get(&file);
        let failure = match (expected, given) {
            (None, None) => continue,
            // A reader compares what it read (Doc 9303-11 §5.1): a group it did not read is
            // listed, not failed; DG1, which every reader reads, must be there.
            (Some(_), None) if file != ElementaryFile::Dg1 => {
                out.unread.push(file);
                continue;
            }
            (Some(_), None) => Some(format!("{file} is signed for but was not given")),
            (None, Some(_)) => Some(format!("{file} is not in the security object")),
            (Some(expected), Some(bytes)) => (Sha256::digest(bytes).as_slice() != expected)
                .then(|| format!("{file}'s SHA-256 is not the one the security object holds")),
        };
        push(&mut checks, CheckKind::DataGroupHash(file), failure);
    }

    push(
        &mut checks,
        CheckKind::MrzCheckDigits,
        match &dg1 {
            None => Some("EF.DG1 was not given or cannot be read".into()),
            Some(dg1) => match crate::check(&dg1.lines()) {
                Ok(report) if report.is_valid() => None,
                Ok(report) => Some(report.to_string()),
                Err(e) => Some(e.to_string()),
            },
        },
    );
    out.document_signer = signer;
    out.checks = checks;
    out
}

fn push(checks: &mut Vec<Check>, kind: CheckKind, failure: Option<String>) {
    checks.push(Check { kind, failure });
}
