//! The chip's JSON: files by name in base64, passive authentication's answer, and a
//! batch's personalisation packages.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_icao::lds::{Dg13, ElementaryFile};
use cancuoc_icao::passive::Verification;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// A chip's files as a reader gets them: `COM`, `CardAccess`, `DG1`, `DG2`, `DG13`,
/// `DG14`, `DG15`, `SOD`, each base64.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChipFilesDto {
    #[schema(example = json!({"DG1": "YV...", "SOD": "d4..."}))]
    pub ef: BTreeMap<String, String>,
}

impl ChipFilesDto {
    pub(crate) fn from_files(files: &BTreeMap<ElementaryFile, Vec<u8>>) -> Self {
        Self {
            ef: files
                .iter()
                .map(|(f, bytes)| (f.name().to_owned(), B64.encode(bytes)))
                .collect(),
        }
    }

    /// The files, each name known and each value base64; at most one of each.
    pub(crate) fn files(&self) -> Result<BTreeMap<ElementaryFile, Vec<u8>>, ApiError> {
        let mut out = BTreeMap::new();
        for (name, data) in &self.ef {
            let file = ElementaryFile::parse(name).ok_or_else(|| {
                ApiError::invalid(format!(
                    "ef: {name:?} is not a chip file (COM, CardAccess, DG1, DG2, DG13, DG14, DG15, SOD)"
                ))
            })?;
            let bytes = B64
                .decode(data.trim())
                .map_err(|_| ApiError::invalid(format!("ef.{name}: not base64")))?;
            out.insert(file, bytes);
        }
        Ok(out)
    }
}

/// One check of passive authentication.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChipCheckDto {
    /// `security_object`, `signature`, `chain`, `usage_period`, `not_revoked`,
    /// `hash_dg1` … `hash_dg15`, `mrz_check_digits`.
    pub check: String,
    pub passed: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// DG13's fields by name, as the card prints them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Dg13Dto {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: String,
    pub sex: String,
    pub nationality: String,
    pub ethnicity: String,
    pub religion: String,
    pub hometown: String,
    pub permanent_residence: String,
    pub identifying_marks: String,
    pub issue_date: String,
    pub expiry: String,
    pub father: String,
    pub mother: String,
    pub spouse: String,
    pub old_id: String,
}

impl From<Dg13> for Dg13Dto {
    fn from(d: Dg13) -> Self {
        Self {
            personal_id: d.personal_id,
            full_name: d.full_name,
            birth_date: d.birth_date,
            sex: d.sex,
            nationality: d.nationality,
            ethnicity: d.ethnicity,
            religion: d.religion,
            hometown: d.hometown,
            permanent_residence: d.permanent_residence,
            identifying_marks: d.identifying_marks,
            issue_date: d.issue_date,
            expiry: d.expiry,
            father: d.father,
            mother: d.mother,
            spouse: d.spouse,
            old_id: d.old_id,
        }
    }
}

/// The Document Signer that signed the chip.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SignerDto {
    /// Serial number, hexadecimal.
    pub serial: String,
    pub subject: String,
    pub issuer: String,
}

/// What passive authentication found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChipVerificationDto {
    /// True when every check passed.
    pub valid: bool,
    pub checks: Vec<ChipCheckDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_signer: Option<SignerDto>,
    /// When EF.SOD says it was signed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    /// DG1's MRZ lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrz: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dg13: Option<Dg13Dto>,
    /// Data groups the security object signs that were not sent: not checked, so not
    /// vouched for (`DG2`, …).
    pub not_read: Vec<String>,
}

impl From<Verification> for ChipVerificationDto {
    fn from(v: Verification) -> Self {
        Self {
            valid: v.is_valid(),
            checks: v
                .checks
                .iter()
                .map(|c| ChipCheckDto {
                    check: c.kind.code(),
                    passed: c.failure.is_none(),
                    reason: c.failure.clone(),
                })
                .collect(),
            document_signer: v.document_signer.as_ref().map(|ds| SignerDto {
                serial: ds.serial_hex(),
                subject: ds.subject_text(),
                issuer: ds.issuer_text(),
            }),
            signed_at: v.signing_time.map(|t| t.to_string()),
            mrz: v
                .dg1
                .as_ref()
                .map(|d| d.lines().into_iter().map(str::to_owned).collect()),
            dg13: v.dg13.map(Dg13Dto::from),
            not_read: v.unread.iter().map(|f| f.name().to_owned()).collect(),
        }
    }
}

/// One card's personalisation package, sealed to the production line's key.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PackageDto {
    pub application: String,
    pub personal_id: String,
    /// The production line key it is sealed to.
    pub line_key: String,
    /// The sealed package, base64 (format in ARCHITECTURE.md).
    pub package: String,
}

/// A batch's packages for the personalisation machine.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PersonalisationDto {
    pub batch: String,
    pub packages: Vec<PackageDto>,
}
