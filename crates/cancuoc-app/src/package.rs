//! The personalisation package: what the card personalisation machine writes into one chip
//! (every file with its file identifier, the chip's two private keys, the access data),
//! as JSON, encrypted to the production line's public key.
//!
//! # Sealed package, version 1
//!
//! ```text
//! offset  size  field
//!      0     4  magic "CCPK"
//!      4     1  version, 1
//!      5     8  line key id: the first 8 bytes of SHA-256 of the line's SubjectPublicKeyInfo
//!     13    65  an ephemeral P-256 public key, uncompressed
//!     78    12  nonce
//!     90     n  the JSON, AES-256-GCM, the 90 bytes before it as associated data
//!   90+n    16  its tag
//! ```
//!
//! The AES key is the ANSI X9.63 KDF with SHA-256 of the ECDH secret between the ephemeral
//! key and the line key, with the ephemeral public key and a label as shared info (the
//! ECIES of SEC 1 §5.1). A fresh ephemeral key per package, so a nonce never repeats
//! under a key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_icao::chip::ChipFiles;
use cancuoc_icao::lds::ElementaryFile;
use cancuoc_icao::pki::{self, KeyPair};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppError;

const MAGIC: &[u8; 4] = b"CCPK";
const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 8 + 65 + 12;
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
    let digest = Sha256::digest(public_key_info);
    let mut id = [0u8; 8];
    id.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    id
}

fn kdf(shared: &[u8], ephemeral: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(shared);
    hasher.update(1u32.to_be_bytes());
    hasher.update(ephemeral);
    hasher.update(LABEL);
    hasher.finalize().into()
}

fn ecdh(secret: &KeyPair, public_point: &[u8]) -> Result<Vec<u8>, AppError> {
    let public = p256::PublicKey::from_sec1_bytes(public_point)
        .map_err(|_| AppError::Invalid("the key is not a P-256 public key".into()))?;
    let scalar = p256::SecretKey::from_slice(&secret.secret())
        .map_err(|_| AppError::Internal("a key pair without a valid scalar".into()))?;
    let shared = p256::ecdh::diffie_hellman(scalar.to_nonzero_scalar(), public.as_affine());
    Ok(shared.raw_secret_bytes().to_vec())
}

/// Encrypts `package` to the line key (its SubjectPublicKeyInfo), with an ephemeral key
/// and nonce drawn from `random`.
pub fn seal(
    package: &Package,
    line_public_key: &[u8],
    mut random: impl FnMut(&mut [u8]),
) -> Result<Vec<u8>, AppError> {
    let point = pki::point_of(line_public_key)
        .map_err(|e| AppError::Invalid(format!("the production line key: {e}")))?;
    let ephemeral = KeyPair::generate(|b| random(b));
    let ephemeral_point = ephemeral.public_point();
    let key = kdf(&ecdh(&ephemeral, &point)?, &ephemeral_point);
    let mut nonce = [0u8; 12];
    random(&mut nonce);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    header.extend_from_slice(&line_key_id(line_public_key));
    header.extend_from_slice(&ephemeral_point);
    header.extend_from_slice(&nonce);
    let json = serde_json::to_vec(package).map_err(|e| AppError::Internal(e.to_string()))?;
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = cipher
        .encrypt(
            &Nonce::try_from(nonce.as_slice())
                .map_err(|_| AppError::Internal("package nonce".into()))?,
            Payload {
                msg: &json,
                aad: &header,
            },
        )
        .map_err(|_| AppError::Internal("package encryption".into()))?;
    header.extend_from_slice(&sealed);
    Ok(header)
}

/// Decrypts a sealed package with the line's private key (what the line does).
pub fn open(sealed: &[u8], line_key: &KeyPair) -> Result<Package, AppError> {
    let bad = |what: &str| AppError::Invalid(format!("personalisation package: {what}"));
    let header = sealed.get(..HEADER).ok_or_else(|| bad("cut short"))?;
    if header.get(..4) != Some(MAGIC.as_slice()) || header.get(4) != Some(&VERSION) {
        return Err(bad("not a cancuoc package of version 1"));
    }
    if header.get(5..13) != Some(line_key_id(&line_key.public_key_info()).as_slice()) {
        return Err(bad("sealed to another production line key"));
    }
    let ephemeral = header.get(13..78).ok_or_else(|| bad("cut short"))?;
    let nonce = header.get(78..90).ok_or_else(|| bad("cut short"))?;
    let key = kdf(&ecdh(line_key, ephemeral)?, ephemeral);
    let cipher = Aes256Gcm::new_from_slice(&key).map_err(|e| AppError::Internal(e.to_string()))?;
    let json = cipher
        .decrypt(
            &Nonce::try_from(nonce).map_err(|_| bad("cut short"))?,
            Payload {
                msg: sealed.get(HEADER..).unwrap_or_default(),
                aad: header,
            },
        )
        .map_err(|_| bad("does not decrypt: damaged, or not sealed to this key"))?;
    serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))
}
