//! The chip's use cases: the PKI (the country signing CA, Document Signers and their
//! rotation, the CRL), the production line's key, each card's chip personalised when the
//! card is produced, the chip's public files and the personalisation packages read back,
//! and passive authentication for anyone.
//!
//! Keys: every private key is a vault object, sealed under the vault's master key; the
//! register keeps certificates and public keys only. The chip's own private keys exist in
//! the clear only in memory while a card is produced, and leave inside the package sealed
//! to the production line's key.

use std::collections::BTreeMap;

use cancuoc_domain::Role;
use cancuoc_icao::chip::{self, ChipData, ChipFiles};
use cancuoc_icao::lds::{DG13_NO_EXPIRY, Dg2, Dg13, ElementaryFile, FaceGender, FaceImageType};
use cancuoc_icao::passive::{self, Trust, Verification};
use cancuoc_icao::pki::{
    self, Certificate, CertificateKind, CertificateSpec, Crl, CrlSpec, KeyPair, Name,
};
use cancuoc_store::{
    Access, ApplicationRecord, ChipRecord, CitizenRecord, CrlRecord, LineKeyRecord, NewCard,
    NewChip, PkiCertificateRecord, PkiKind,
};
use jiff::{SignedDuration, Timestamp, ToSpan};
use uuid::Uuid;

use crate::package::{self, Package};
use crate::{App, AppError, Caller};
use cancuoc_domain::station::SignerKey;

/// How long the CSCA's private key signs (ICAO 9303-12 §5.3: three to five years).
pub const CSCA_KEY_USAGE_YEARS: i16 = 5;
/// How long a Document Signer's private key signs by default (9303-12: about three months).
pub const DS_KEY_USAGE_MONTHS: i8 = 3;
/// How long a CRL is current before the next is due (9303-12 §7.1.4: at least every 90 days).
pub const CRL_NEXT_UPDATE_DAYS: i64 = 90;
/// Public passive authentications a client may ask for in 15 minutes: a relying party
/// that checks many cards runs passive authentication itself with the CSCA certificate.
pub const PUBLIC_VERIFICATIONS: u32 = 600;
/// The end of every certificate's validity. A DS certificate must outlive the longest
/// card it signs; a card issued at 58 or later never expires, and its MRZ writes the
/// expiry as 31/12/2099 (`cancuoc_icao::NO_EXPIRY`). So the DS certificates, and the CSCA
/// that issues them, are valid until the end of that day.
pub const LONGEST_CARD_VALIDITY_END: &str = "2099-12-31T23:59:59Z";

fn issuer_name(common_name: String) -> Name {
    Name {
        country: "VN".into(),
        organization: "Bộ Công an".into(),
        organizational_unit: Some("Cục Cảnh sát quản lý hành chính về trật tự xã hội".into()),
        common_name,
        serial_number: None,
    }
}

/// The PKI as the register holds it.
#[derive(Debug, Clone)]
pub struct PkiStatus {
    pub certificates: Vec<PkiCertificateRecord>,
    pub crl: Option<CrlRecord>,
    pub line_keys: Vec<LineKeyRecord>,
}

impl PkiStatus {
    pub fn csca(&self) -> Option<&PkiCertificateRecord> {
        self.certificates
            .iter()
            .rev()
            .find(|c| c.kind == PkiKind::Csca)
    }

    /// The Document Signer that signs at `now`: the newest inside its usage period and
    /// not revoked.
    pub fn current_signer(&self, now_micros: i64) -> Option<&PkiCertificateRecord> {
        current_signer(&self.certificates, now_micros)
    }
}

fn current_signer(
    certificates: &[PkiCertificateRecord],
    now_micros: i64,
) -> Option<&PkiCertificateRecord> {
    certificates.iter().rev().find(|c| {
        c.kind == PkiKind::DocumentSigner
            && c.revoked_micros.is_none()
            && c.usage_from_micros <= now_micros
            && now_micros <= c.usage_until_micros
    })
}

/// One card's sealed personalisation package, as a batch's download lists it.
#[derive(Debug, Clone)]
pub struct PackageEntry {
    pub application: Uuid,
    pub personal_id: String,
    pub line_key: Uuid,
    pub sealed: Vec<u8>,
}

fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

fn timestamp(micros: i64) -> Result<Timestamp, AppError> {
    Timestamp::from_microsecond(micros).map_err(|e| AppError::Internal(e.to_string()))
}

/// `at` plus years or months as the calendar counts them, in UTC.
fn calendar_add(at: Timestamp, span: jiff::Span) -> Result<Timestamp, AppError> {
    let utc = jiff::tz::Offset::UTC;
    utc.to_datetime(at)
        .checked_add(span)
        .ok()
        .and_then(|dt| utc.to_timestamp(dt).ok())
        .ok_or_else(|| AppError::Internal(format!("{at} plus {span}")))
}

fn end_of_validity() -> Timestamp {
    LONGEST_CARD_VALIDITY_END.parse().unwrap_or(Timestamp::MAX)
}

fn operator_only(caller: &Caller, what: &str) -> Result<(), AppError> {
    if caller.officer().is_some() {
        return Err(AppError::Forbidden(format!(
            "{what} is done by an operator on the server (cancuoc pki)"
        )));
    }
    Ok(())
}

fn production_only(caller: &Caller, what: &str) -> Result<(), AppError> {
    match caller.officer() {
        Some(o) if o.role != Role::ProductionOperator => Err(AppError::Forbidden(format!(
            "only the production centre may {what}"
        ))),
        _ => Ok(()),
    }
}

impl App {
    /// The vault, or why `what` (sealed in it) cannot be reached without one.
    pub(crate) fn vault_holding(
        &self,
        what: &str,
    ) -> Result<&std::sync::Arc<dyn cancuoc_store::Vault>, AppError> {
        self.vault.as_ref().ok_or_else(|| {
            AppError::InvalidState(format!(
                "{what} are sealed in the vault, and no vault is configured"
            ))
        })
    }

    fn vault_for_keys(&self) -> Result<&std::sync::Arc<dyn cancuoc_store::Vault>, AppError> {
        self.vault_holding("the chip's keys")
    }

    /// A fresh Ed25519 key (a station's, or the server's extract key).
    pub(crate) fn signer_key(&self) -> Result<SignerKey, AppError> {
        let secret: [u8; 32] = self
            .random
            .bytes(32)?
            .try_into()
            .map_err(|_| AppError::Internal("32 random bytes".into()))?;
        Ok(SignerKey::from_bytes(secret))
    }

    /// An Ed25519 key sealed in the vault as `object`.
    pub(crate) async fn open_signer_key(
        &self,
        vault: &std::sync::Arc<dyn cancuoc_store::Vault>,
        object: &str,
    ) -> Result<SignerKey, AppError> {
        let secret = zeroize::Zeroizing::new(vault.open(object).await?);
        <[u8; 32]>::try_from(secret.as_slice())
            .map(SignerKey::from_bytes)
            .map_err(|_| AppError::Internal(format!("the sealed key {object} is not a key")))
    }

    pub(crate) fn key_pair(&self) -> Result<KeyPair, AppError> {
        let mut failure = None;
        let pair = KeyPair::generate(|b| match self.random.bytes(b.len()) {
            Ok(bytes) => b.copy_from_slice(&bytes),
            Err(e) => {
                failure = Some(e);
                // A draw that failed is never used: the error is returned below.
                b.fill(0xA5);
            }
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(pair),
        }
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), AppError> {
        out.copy_from_slice(&self.random.bytes(out.len())?);
        Ok(())
    }

    /// The PKI's certificates, its latest CRL and the production line keys: all public.
    pub async fn pki_status(&self) -> Result<PkiStatus, AppError> {
        Ok(PkiStatus {
            certificates: self.store.pki_certificates().await?,
            crl: self.store.latest_crl().await?,
            line_keys: self.store.line_keys().await?,
        })
    }

    async fn open_key(&self, record: &PkiCertificateRecord) -> Result<KeyPair, AppError> {
        let secret =
            zeroize::Zeroizing::new(self.vault_for_keys()?.open(&record.key_object).await?);
        KeyPair::from_secret(&secret).ok_or_else(|| {
            AppError::Internal(format!(
                "the sealed key of certificate {} is not a key",
                record.serial
            ))
        })
    }

    async fn seal_key(
        &self,
        kind: PkiKind,
        serial: i64,
        key: &KeyPair,
    ) -> Result<String, AppError> {
        let object = format!(
            "pki/{}-{serial}-{}.key",
            kind.as_str(),
            self.random.record_key()
        );
        self.vault_for_keys()?.seal(&object, &key.secret()).await?;
        Ok(object)
    }

    /// Seals a new certificate's private key in the vault and keeps the certificate, its
    /// key usage from now until `usage_until`, valid until [`LONGEST_CARD_VALIDITY_END`].
    async fn keep_certificate(
        &self,
        access: &Access,
        kind: PkiKind,
        serial: i64,
        der: Vec<u8>,
        key: &KeyPair,
        usage_until: Timestamp,
    ) -> Result<PkiCertificateRecord, AppError> {
        let now = timestamp(access.now_micros)?;
        let record = PkiCertificateRecord {
            serial,
            kind,
            certificate: der,
            not_before_micros: micros(now),
            not_after_micros: micros(end_of_validity()),
            usage_from_micros: micros(now),
            usage_until_micros: micros(usage_until),
            key_object: self.seal_key(kind, serial, key).await?,
            revoked_micros: None,
            created_micros: access.now_micros,
        };
        self.store.add_pki_certificate(access, &record).await?;
        Ok(record)
    }

    fn next_serial(status: &PkiStatus) -> i64 {
        status
            .certificates
            .iter()
            .map(|c| c.serial)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Creates the country signing CA, its first Document Signer and an empty CRL.
    /// `Conflict` when a CSCA exists already.
    pub async fn pki_init(&self, caller: &Caller) -> Result<PkiStatus, AppError> {
        operator_only(caller, "creating the country signing CA")?;
        let status = self.pki_status().await?;
        if let Some(csca) = status.csca() {
            return Err(AppError::Conflict(format!(
                "the country signing CA exists already (serial {})",
                csca.serial
            )));
        }
        let access = caller.access(&*self.clock, "chip PKI");
        let now = timestamp(access.now_micros)?;
        let key = self.key_pair()?;
        let serial = Self::next_serial(&status);
        let usage_until = calendar_add(now, i64::from(CSCA_KEY_USAGE_YEARS).years())?;
        let name = issuer_name("CSCA Việt Nam".into());
        let spki = key.public_key_info();
        let der = pki::issue(
            &CertificateSpec {
                kind: CertificateKind::CountrySigningCa,
                serial: u64::try_from(serial).unwrap_or(1),
                issuer: name.encode(),
                subject: name,
                not_before: now,
                not_after: end_of_validity(),
                usage_from: now,
                usage_until,
                issuer_key_id: pki::key_identifier(&spki),
                subject_key: spki,
            },
            &key,
        );
        let record = self
            .keep_certificate(&access, PkiKind::Csca, serial, der, &key, usage_until)
            .await?;
        let crl = self.issue_crl(&access, &record, &key, &[]).await?;
        self.store.add_crl(&access, &crl).await?;
        self.start_document_signer(caller).await?;
        self.pki_status().await
    }

    async fn csca_with_key(
        &self,
        status: &PkiStatus,
    ) -> Result<(PkiCertificateRecord, Certificate, KeyPair), AppError> {
        let record = status.csca().cloned().ok_or_else(|| {
            AppError::InvalidState(
                "there is no country signing CA yet: run cancuoc pki init".into(),
            )
        })?;
        let certificate = Certificate::parse(&record.certificate)
            .map_err(|e| AppError::Internal(format!("the CSCA certificate: {e}")))?;
        let key = self.open_key(&record).await?;
        Ok((record, certificate, key))
    }

    /// Starts a new Document Signer, which signs from now for [`DS_KEY_USAGE_MONTHS`];
    /// the previous ones stay valid for the cards they signed. A fresh CRL goes with it,
    /// so that a rotation every three months also keeps the CRL current.
    pub async fn pki_rotate(&self, caller: &Caller) -> Result<PkiCertificateRecord, AppError> {
        let record = self.start_document_signer(caller).await?;
        self.pki_issue_crl(caller).await?;
        Ok(record)
    }

    /// Issues the CSCA's CRL again (every revoked Document Signer listed), before the last
    /// one's next update: `cancuoc pki crl`, from the operator's schedule.
    pub async fn pki_issue_crl(&self, caller: &Caller) -> Result<CrlRecord, AppError> {
        operator_only(caller, "issuing the CRL")?;
        let status = self.pki_status().await?;
        let (csca_record, _, csca_key) = self.csca_with_key(&status).await?;
        let access = caller.access(&*self.clock, "chip PKI");
        let revoked: Vec<&PkiCertificateRecord> = status
            .certificates
            .iter()
            .filter(|c| c.revoked_micros.is_some())
            .collect();
        let crl = self
            .issue_crl(&access, &csca_record, &csca_key, &revoked)
            .await?;
        self.store.add_crl(&access, &crl).await?;
        Ok(crl)
    }

    async fn start_document_signer(
        &self,
        caller: &Caller,
    ) -> Result<PkiCertificateRecord, AppError> {
        operator_only(caller, "starting a Document Signer")?;
        let status = self.pki_status().await?;
        let (csca_record, csca, csca_key) = self.csca_with_key(&status).await?;
        let access = caller.access(&*self.clock, "chip PKI");
        let now = timestamp(access.now_micros)?;
        if now > timestamp(csca_record.usage_until_micros)? {
            return Err(AppError::InvalidState(
                "the country signing CA's key is past its usage period: a new CSCA is needed"
                    .into(),
            ));
        }
        let usage_until = calendar_add(now, i64::from(DS_KEY_USAGE_MONTHS).months())?;
        let key = self.key_pair()?;
        let serial = Self::next_serial(&status);
        let der = pki::issue(
            &CertificateSpec {
                kind: CertificateKind::DocumentSigner,
                serial: u64::try_from(serial).unwrap_or(1),
                issuer: csca.subject.clone(),
                subject: issuer_name(format!("CCCD DS {serial}")),
                not_before: now,
                not_after: end_of_validity(),
                usage_from: now,
                usage_until,
                issuer_key_id: csca.subject_key_id.clone().unwrap_or_default(),
                subject_key: key.public_key_info(),
            },
            &csca_key,
        );
        let record = self
            .keep_certificate(
                &access,
                PkiKind::DocumentSigner,
                serial,
                der,
                &key,
                usage_until,
            )
            .await?;
        Ok(record)
    }

    async fn issue_crl(
        &self,
        access: &Access,
        csca_record: &PkiCertificateRecord,
        csca_key: &KeyPair,
        revoked: &[&PkiCertificateRecord],
    ) -> Result<CrlRecord, AppError> {
        let csca = Certificate::parse(&csca_record.certificate)
            .map_err(|e| AppError::Internal(format!("the CSCA certificate: {e}")))?;
        let latest = self.store.latest_crl().await?;
        let number = latest.map_or(1, |c| c.number + 1);
        let now = timestamp(access.now_micros)?;
        let mut revoked_list = Vec::new();
        for r in revoked {
            let at = timestamp(r.revoked_micros.unwrap_or(access.now_micros))?;
            revoked_list.push((
                u64::try_from(r.serial).unwrap_or(0).to_be_bytes().to_vec(),
                at,
            ));
        }
        let der = pki::issue_crl(
            &CrlSpec {
                issuer: csca.subject.clone(),
                issuer_key_id: csca.subject_key_id.clone().unwrap_or_default(),
                number: u64::try_from(number).unwrap_or(1),
                this_update: now,
                next_update: now
                    .checked_add(SignedDuration::from_hours(24 * CRL_NEXT_UPDATE_DAYS))
                    .unwrap_or(now),
                revoked: revoked_list,
            },
            csca_key,
        );
        Ok(CrlRecord {
            number,
            crl: der,
            issued_micros: access.now_micros,
        })
    }

    /// Revokes a Document Signer and issues the CRL that lists it (with every one revoked
    /// before). Cards it signed fail passive authentication from then on.
    pub async fn pki_revoke_ds(&self, caller: &Caller, serial: i64) -> Result<CrlRecord, AppError> {
        operator_only(caller, "revoking a Document Signer")?;
        let status = self.pki_status().await?;
        let target = status
            .certificates
            .iter()
            .find(|c| c.serial == serial)
            .ok_or_else(|| AppError::NotFound(format!("certificate with serial {serial}")))?;
        if target.kind != PkiKind::DocumentSigner {
            return Err(AppError::Invalid(format!(
                "serial: {serial} is the country signing CA, not a Document Signer"
            )));
        }
        if target.revoked_micros.is_some() {
            return Err(AppError::Conflict(format!(
                "the Document Signer {serial} is revoked already"
            )));
        }
        let (csca_record, _, csca_key) = self.csca_with_key(&status).await?;
        let access = caller.access(&*self.clock, "chip PKI");
        let mut revoked: Vec<&PkiCertificateRecord> = status
            .certificates
            .iter()
            .filter(|c| c.revoked_micros.is_some())
            .collect();
        revoked.push(target);
        let crl = self
            .issue_crl(&access, &csca_record, &csca_key, &revoked)
            .await?;
        self.store
            .revoke_document_signer(&access, serial, &crl)
            .await?;
        Ok(crl)
    }

    /// The CSCA certificate, PEM: what every relying party installs.
    pub async fn csca_pem(&self) -> Result<String, AppError> {
        let status = self.pki_status().await?;
        let csca = status
            .csca()
            .ok_or_else(|| AppError::NotFound("the country signing CA".into()))?;
        Ok(pki::pem("CERTIFICATE", &csca.certificate))
    }

    /// The latest CRL, DER.
    pub async fn crl_der(&self) -> Result<Vec<u8>, AppError> {
        self.store
            .latest_crl()
            .await?
            .map(|c| c.crl)
            .ok_or_else(|| AppError::NotFound("the CSCA's CRL".into()))
    }

    /// Registers a production line's public key (a SubjectPublicKeyInfo of a P-256 key);
    /// packages are sealed to the newest from then on.
    pub async fn add_line_key(
        &self,
        caller: &Caller,
        public_key: &[u8],
    ) -> Result<LineKeyRecord, AppError> {
        operator_only(caller, "registering a production line key")?;
        let point =
            pki::point_of(public_key).map_err(|e| AppError::Invalid(format!("public_key: {e}")))?;
        // A point on the curve, kept in the one form the package's key id is made from.
        let point = p256::PublicKey::from_sec1_bytes(&point)
            .map_err(|_| AppError::Invalid("public_key: not a point on P-256".into()))?;
        let public_key = &pki::public_key_info(
            p256::elliptic_curve::sec1::ToSec1Point::to_sec1_point(&point, false).as_bytes(),
        );
        let access = caller.access(&*self.clock, "chip PKI");
        let record = LineKeyRecord {
            id: self.random.record_key(),
            public_key: public_key.to_vec(),
            registered_micros: access.now_micros,
            registered_by: access.actor.clone(),
        };
        self.store.add_line_key(&access, &record).await?;
        Ok(record)
    }

    /// A fresh key pair for a production line (its private half goes to the line).
    pub fn new_line_key(&self) -> Result<KeyPair, AppError> {
        self.key_pair()
    }

    /// What passive authentication trusts: the register's CSCA certificates and the
    /// latest CRL.
    pub async fn chip_trust(&self) -> Result<Trust, AppError> {
        let status = self.pki_status().await?;
        let cscas = status
            .certificates
            .iter()
            .filter(|c| c.kind == PkiKind::Csca)
            .filter_map(|c| Certificate::parse(&c.certificate).ok())
            .collect();
        let crls = status
            .crl
            .iter()
            .filter_map(|c| Crl::parse(&c.crl).ok())
            .collect();
        Ok(Trust { cscas, crls })
    }

    /// Passive authentication of files read from a chip, against this register's CSCA.
    pub async fn verify_chip(
        &self,
        files: &BTreeMap<ElementaryFile, Vec<u8>>,
    ) -> Result<Verification, AppError> {
        let trust = self.chip_trust().await?;
        let now = timestamp(self.clock.now_micros())?;
        Ok(passive::verify(files, &trust, now))
    }

    /// Passive authentication for anyone (banks, public services): the same, with each
    /// client held to [`PUBLIC_VERIFICATIONS`] requests in 15 minutes.
    pub async fn verify_chip_public(
        &self,
        client: &str,
        files: &BTreeMap<ElementaryFile, Vec<u8>>,
    ) -> Result<Verification, AppError> {
        crate::booking::Throttle(self.store.as_ref())
            .admit_requests(
                &format!("chip-verify:{client}"),
                PUBLIC_VERIFICATIONS,
                self.clock.now_micros(),
            )
            .await?;
        self.verify_chip(files).await
    }

    /// DG13 from the register's record, the fields as the card prints them.
    fn dg13(&self, citizen: &CitizenRecord, card: &NewCard) -> Dg13 {
        let data = &citizen.data;
        let names = self.printed_names(data);
        let day = |d: jiff::civil::Date| d.strftime("%d/%m/%Y").to_string();
        Dg13 {
            personal_id: data.personal_id.as_string(),
            full_name: data.full_name.clone(),
            birth_date: data.birth_date.vietnamese(),
            sex: data.sex.vietnamese().to_owned(),
            nationality: names.nationality,
            ethnicity: names.ethnicity,
            religion: names.religion,
            hometown: names.hometown,
            permanent_residence: names.permanent_residence,
            identifying_marks: String::new(),
            issue_date: day(card.issue_date),
            expiry: card
                .expiry_date
                .map_or_else(|| DG13_NO_EXPIRY.to_owned(), day),
            father: data
                .father
                .as_ref()
                .map(|r| r.full_name.clone())
                .unwrap_or_default(),
            mother: data
                .mother
                .as_ref()
                .map(|r| r.full_name.clone())
                .unwrap_or_default(),
            spouse: data
                .spouse
                .as_ref()
                .map(|r| r.full_name.clone())
                .unwrap_or_default(),
            old_id: data
                .old_id_number
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// Personalises the chip of the card `card` describes: every file, signed by the
    /// current Document Signer; the public files and the package sealed to the newest
    /// production line key go into the vault. Returns what the register keeps; the
    /// caller removes the objects when the card's transaction fails.
    pub(crate) async fn personalise_chip(
        &self,
        access: &Access,
        application: &ApplicationRecord,
        citizen: &CitizenRecord,
        card: &NewCard,
    ) -> Result<NewChip, AppError> {
        // Per card: the certificates and the line keys, not the CRL (two small tables).
        let certificates = self.store.pki_certificates().await?;
        let signer = current_signer(&certificates, access.now_micros).cloned().ok_or_else(|| {
            AppError::InvalidState(
                "no Document Signer may sign now (none, or all revoked or past their usage period): run cancuoc pki rotate"
                    .into(),
            )
        })?;
        let line = self.store.line_keys().await?.pop().ok_or_else(|| {
            AppError::InvalidState(
                "no production line key is registered: run cancuoc pki line-key".into(),
            )
        })?;
        let capture = self.capture_of(application).await?.ok_or_else(|| {
            AppError::InvalidState(format!(
                "application {} has no portrait for the chip",
                application.key
            ))
        })?;
        let portrait = capture.portrait();
        if portrait.format() != cancuoc_domain::biometrics::ImageFormat::Jpeg {
            return Err(AppError::InvalidState(
                "the portrait is not JPEG, which the chip's DG2 needs: re-take it".into(),
            ));
        }
        let mut data = ChipData {
            mrz: card.mrz.clone(),
            portrait: Dg2 {
                image_type: FaceImageType::Jpeg,
                width: u16::try_from(portrait.width()).unwrap_or(u16::MAX),
                height: u16::try_from(portrait.height()).unwrap_or(u16::MAX),
                gender: match citizen.data.sex {
                    cancuoc_domain::citizen::Sex::Male => FaceGender::Male,
                    cancuoc_domain::citizen::Sex::Female => FaceGender::Female,
                },
                image: portrait.bytes().to_vec(),
            },
            citizen: self.dg13(citizen, card),
        };
        data.citizen.identifying_marks = application.identifying_marks.clone().unwrap_or_default();
        let ds = Certificate::parse(&signer.certificate)
            .map_err(|e| AppError::Internal(format!("the DS certificate: {e}")))?;
        let ds_key = self.open_key(&signer).await?;
        let chip_authentication = self.key_pair()?;
        let active_authentication = self.key_pair()?;
        let files = chip::personalise(
            &data,
            &chip_authentication,
            &active_authentication,
            &ds,
            &ds_key,
            timestamp(access.now_micros)?,
        )
        .map_err(|e| AppError::InvalidState(e.to_string()))?;
        let package = Package::new(
            application.key,
            &citizen.data.personal_id.as_string(),
            &files,
            &chip_authentication,
            &active_authentication,
            &card.mrz,
        );
        let mut failure = None;
        let sealed = package::seal(&package, &line.public_key, |b| {
            if let Err(e) = self.fill_random(b) {
                failure = Some(e);
                // Never used (the error is returned below), but a valid scalar, so that
                // the key pair's draw ends.
                b.fill(0xA5);
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        let vault = self.vault_for_keys()?;
        let suffix = self.random.record_key();
        let files_object = format!("applications/{}/chip-{suffix}.lds", application.key);
        let package_object = format!(
            "applications/{}/personalisation-{suffix}.ccpk",
            application.key
        );
        vault.seal(&files_object, &join_files(&files)).await?;
        if let Err(e) = vault.seal(&package_object, &sealed).await {
            self.remove_objects(std::iter::once(&files_object)).await;
            return Err(e.into());
        }
        Ok(NewChip {
            ds_serial: signer.serial,
            files_object,
            package_object,
            line_key: line.id,
            chip_authentication_key: chip_authentication.public_key_info(),
            active_authentication_key: active_authentication.public_key_info(),
        })
    }

    async fn chip_of_card(
        &self,
        caller: &Caller,
        personal_id: &str,
        purpose: &str,
    ) -> Result<ChipRecord, AppError> {
        let card = self.card(caller, personal_id).await?;
        let access = caller.access(&*self.clock, purpose);
        self.store
            .card_chip(&access, card.application)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("the chip of the card of {personal_id}")))
    }

    /// The chip's public files of a person's latest card, exactly as a reader gets them
    /// (no private key among them). Roles that read cards; audited.
    pub async fn card_chip(
        &self,
        caller: &Caller,
        personal_id: &str,
    ) -> Result<(ChipRecord, ChipFiles), AppError> {
        let record = self.chip_of_card(caller, personal_id, "card chip").await?;
        let bytes = self
            .vault_for_keys()?
            .open(&record.chip.files_object)
            .await?;
        let files = split_files(&bytes)?;
        Ok((record, files))
    }

    /// Every card of a batch with its sealed personalisation package: the production
    /// centre's download for the line. Audited per card.
    pub async fn batch_personalisation(
        &self,
        caller: &Caller,
        batch: Uuid,
    ) -> Result<Vec<PackageEntry>, AppError> {
        production_only(caller, "download personalisation packages")?;
        self.batch(caller, batch).await?;
        let members = self
            .all_applications(
                caller,
                cancuoc_store::ApplicationQuery {
                    batch: Some(batch),
                    ..cancuoc_store::ApplicationQuery::default()
                },
                usize::MAX,
            )
            .await?;
        let access = caller.access(&*self.clock, "personalisation package");
        let vault = self.vault_for_keys()?;
        let mut out = Vec::new();
        for member in members {
            let Some(chip) = self.store.card_chip(&access, member.key).await? else {
                continue;
            };
            out.push(PackageEntry {
                application: member.key,
                personal_id: chip.personal_id.as_string(),
                line_key: chip.chip.line_key,
                sealed: vault.open(&chip.chip.package_object).await?,
            });
        }
        Ok(out)
    }

    /// The vault objects a card's chip refers to, for garbage collection.
    pub(crate) async fn chip_objects(
        &self,
        access: &Access,
        application: Uuid,
    ) -> Result<Vec<String>, AppError> {
        Ok(self
            .store
            .card_chip(access, application)
            .await?
            .map(|c| vec![c.chip.files_object, c.chip.package_object])
            .unwrap_or_default())
    }
}

/// The chip's files one after the other, in [`ElementaryFile::ALL`] order: each is one
/// TLV element, so the concatenation splits back without a length of its own.
pub fn join_files(files: &ChipFiles) -> Vec<u8> {
    ElementaryFile::ALL
        .iter()
        .filter_map(|f| files.get(f))
        .flatten()
        .copied()
        .collect()
}

pub fn split_files(bytes: &[u8]) -> Result<ChipFiles, AppError> {
    let mut reader = cancuoc_icao::der::Reader::new(bytes);
    let mut files = ChipFiles::new();
    for file in ElementaryFile::ALL {
        let element = reader
            .read()
            .map_err(|e| AppError::Internal(format!("stored chip files: {e}")))?;
        files.insert(file, element.raw.to_vec());
    }
    Ok(files)
}
