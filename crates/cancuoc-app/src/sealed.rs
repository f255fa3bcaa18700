//! Bytes sealed to a P-256 public key (the ECIES of SEC 1 §5.1), written once for every
//! object that only one key holder may read: a personalisation package (to a production
//! line), a station's extract (to the station), a station's packet (to the server).
//!
//! ```text
//! offset  size  field
//!      0     4  magic, the object's kind
//!      4     1  version, 1
//!      5     8  recipient key id: the first 8 bytes of SHA-256 of its SubjectPublicKeyInfo
//!     13    65  an ephemeral P-256 public key, uncompressed
//!     78    12  nonce
//!     90     n  the plaintext, AES-256-GCM, the 90 bytes before it as associated data
//!   90+n    16  its tag
//! ```
//!
//! The AES key is the ANSI X9.63 KDF with SHA-256 of the ECDH secret between the ephemeral
//! key and the recipient's, with the ephemeral public key and the kind's label as shared
//! info. A fresh ephemeral key per object, so a nonce never repeats under a key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use cancuoc_icao::pki::{self, KeyPair};
use sha2::{Digest, Sha256};

use crate::AppError;

const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 8 + 65 + 12;

/// A recipient key's identifier as sealed objects name it.
pub fn key_id(public_key_info: &[u8]) -> [u8; 8] {
    let digest = Sha256::digest(public_key_info);
    let mut id = [0u8; 8];
    id.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    id
}

fn kdf(shared: &[u8], ephemeral: &[u8], label: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(shared);
    hasher.update(1u32.to_be_bytes());
    hasher.update(ephemeral);
    hasher.update(label);
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

/// One kind of sealed object: its magic, its KDF label, and how errors name it.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub magic: &'static [u8; 4],
    pub label: &'static [u8],
    /// "personalisation package", "station extract", …
    pub what: &'static str,
    /// "production line key", …
    pub key_name: &'static str,
}

impl Format {
    /// Encrypts `plaintext` to the recipient's SubjectPublicKeyInfo, with an ephemeral
    /// key and nonce drawn from `random`.
    pub fn seal(
        &self,
        plaintext: &[u8],
        recipient: &[u8],
        mut random: impl FnMut(&mut [u8]),
    ) -> Result<Vec<u8>, AppError> {
        let point = pki::point_of(recipient)
            .map_err(|e| AppError::Invalid(format!("the {}: {e}", self.key_name)))?;
        let ephemeral = KeyPair::generate(|b| random(b));
        let ephemeral_point = ephemeral.public_point();
        let key = kdf(&ecdh(&ephemeral, &point)?, &ephemeral_point, self.label);
        let mut nonce = [0u8; 12];
        random(&mut nonce);
        let mut header = Vec::with_capacity(HEADER + plaintext.len() + 16);
        header.extend_from_slice(self.magic);
        header.push(VERSION);
        header.extend_from_slice(&key_id(recipient));
        header.extend_from_slice(&ephemeral_point);
        header.extend_from_slice(&nonce);
        let cipher =
            Aes256Gcm::new_from_slice(&key).map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed = cipher
            .encrypt(
                &Nonce::try_from(nonce.as_slice())
                    .map_err(|_| AppError::Internal("nonce".into()))?,
                Payload {
                    msg: plaintext,
                    aad: &header,
                },
            )
            .map_err(|_| AppError::Internal(format!("{} encryption", self.what)))?;
        header.extend_from_slice(&sealed);
        Ok(header)
    }

    /// Decrypts with the recipient's private key; any change to the bytes is refused.
    pub fn open(&self, sealed: &[u8], key: &KeyPair) -> Result<Vec<u8>, AppError> {
        let bad = |why: &str| AppError::Invalid(format!("{}: {why}", self.what));
        let header = sealed.get(..HEADER).ok_or_else(|| bad("cut short"))?;
        if header.get(..4) != Some(self.magic.as_slice()) || header.get(4) != Some(&VERSION) {
            return Err(bad(&format!("not a cancuoc {} of version 1", self.what)));
        }
        if header.get(5..13) != Some(key_id(&key.public_key_info()).as_slice()) {
            return Err(bad(&format!("sealed to another {}", self.key_name)));
        }
        let ephemeral = header.get(13..78).ok_or_else(|| bad("cut short"))?;
        let nonce = header.get(78..90).ok_or_else(|| bad("cut short"))?;
        let aes = kdf(&ecdh(key, ephemeral)?, ephemeral, self.label);
        let cipher =
            Aes256Gcm::new_from_slice(&aes).map_err(|e| AppError::Internal(e.to_string()))?;
        cipher
            .decrypt(
                &Nonce::try_from(nonce).map_err(|_| bad("cut short"))?,
                Payload {
                    msg: sealed.get(HEADER..).unwrap_or_default(),
                    aad: header,
                },
            )
            .map_err(|_| bad("does not decrypt: damaged, or not sealed to this key"))
    }
}
