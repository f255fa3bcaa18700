//! The personalisation package: what the card personalisation machine writes into one chip
//! (every file with its file identifier, the chip's two private keys, the access data),
//! as JSON, encrypted to the production line's public key.
//!
//! # Sealed package, version 1
//!
//! The JSON sealed to the line key in the format of [`crate::sealed`], with the magic
//! "CCPK" and the label "cancuoc personalisation package".

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_icao::chip::ChipFiles;
use cancuoc_icao::lds::ElementaryFile;
use cancuoc_icao::pki::KeyPair;
use serde::{Deserialize, Serialize};

use crate::AppError;

const MAGIC: &[u8; 4] = b"CCPK";
const LABEL: &[u8] = b"cancuoc personalisation package";
/// The package's own format name, inside the JSON.
pub const PACKAGE_FORMAT: &str = "cancuoc-personalisation/1";

/// One file for the personalisation machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFile {
    /// `EF.COM`, `EF.DG1`, …
    pub name: String,
    /// The file identifier, four hexadecimal digits (`011E`, `0101`, …).
    pub fid: String,
    /// The file's bytes, base64.
    pub data: String,
}

/// The data a terminal derives its access keys from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessData {
    /// The MRZ's document number field (nine characters) and two dates (YYMMDD): BAC.
    pub document_number: String,
    pub birth: String,
    pub expiry: String,
    /// The card access number for PACE: the last six digits of the personal ID.
    pub can: String,
}

/// Everything one chip receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub format: String,
    pub application: uuid::Uuid,
    pub personal_id: String,
    pub files: Vec<PackageFile>,
    /// The private scalars, 32 bytes in hexadecimal.
    pub chip_authentication_private_key: String,
    pub active_authentication_private_key: String,
    pub access: AccessData,
}

impl Package {
    pub fn new(
        application: uuid::Uuid,
        personal_id: &str,
        files: &ChipFiles,
        chip_authentication: &KeyPair,
        active_authentication: &KeyPair,
        mrz: &[String; 3],
    ) -> Package {
        let field = |line: usize, from: usize, to: usize| {
            mrz.get(line)
                .and_then(|l| l.get(from..to))
                .unwrap_or_default()
                .to_owned()
        };
        Package {
            format: PACKAGE_FORMAT.to_owned(),
            application,
            personal_id: personal_id.to_owned(),
            files: files
                .iter()
                .map(|(file, bytes)| PackageFile {
                    name: file.file_name(),
                    fid: format!("{:04X}", file.file_id()),
                    data: B64.encode(bytes),
                })
                .collect(),
            chip_authentication_private_key: hex::encode(&*chip_authentication.secret()),
            active_authentication_private_key: hex::encode(&*active_authentication.secret()),
            access: AccessData {
                document_number: field(0, 5, 14),
                birth: field(1, 0, 6),
                expiry: field(1, 8, 14),
                can: cancuoc_icao::chip::card_access_number(personal_id)
                    .unwrap_or_default()
                    .to_owned(),
            },
        }
    }

    /// The files by name, decoded.
    pub fn chip_files(&self) -> Result<ChipFiles, AppError> {
        let mut out = ChipFiles::new();
        for file in &self.files {
            let ef = ElementaryFile::parse(&file.name)
                .ok_or_else(|| AppError::Invalid(format!("package: unknown file {}", file.name)))?;
            let bytes = B64
                .decode(&file.data)
                .map_err(|_| AppError::Invalid(format!("package: {} is not base64", file.name)))?;
            out.insert(ef, bytes);
        }
        Ok(out)
    }
}

/// The line key's identifier as the sealed package names it.
pub fn line_key_id(public_key_info: &[u8]) -> [u8; 8] {
    crate::sealed::key_id(public_key_info)
}

/// The format of a personalisation package sealed to a production line key.
const SEALED: crate::sealed::Format = crate::sealed::Format {
    magic: MAGIC,
    label: LABEL,
    what: "personalisation package",
    key_name: "production line key",
};

/// Encrypts `package` to the line key (its SubjectPublicKeyInfo), with an ephemeral key
/// and nonce drawn from `random`.
pub fn seal(
    package: &Package,
    line_public_key: &[u8],
    random: impl FnMut(&mut [u8]),
) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec(package).map_err(|e| AppError::Internal(e.to_string()))?;
    SEALED.seal(&json, line_public_key, random)
}

/// Decrypts a sealed package with the line's private key (what the line does).
pub fn open(sealed: &[u8], line_key: &KeyPair) -> Result<Package, AppError> {
    let json = SEALED.open(sealed, line_key)?;
    serde_json::from_slice(&json)
        .map_err(|e| AppError::Invalid(format!("personalisation package: {e}")))
}
