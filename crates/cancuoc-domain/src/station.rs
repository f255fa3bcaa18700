//! The mobile station's signed objects (issue 19): a packet that a station files offline,
//! and the extract that the server hands a station. Both travel in one envelope, signed
//! with Ed25519 by whoever made it. The header stays in clear text so that the server can
//! check the station and the packet's id before it decrypts anything.
//!
//! # Envelope, version 1
//!
//! ```text
//! offset  size  field
//!      0     4  magic "CCSE"
//!      4     1  version, 1
//!      5     1  kind: 1 a packet (signed by a station), 2 an extract (signed by the server)
//!      6    16  the station's id (UUID bytes)
//!     22    16  the object's id: the packet's, or the extract's
//!     38     8  made, microseconds since 1970, big-endian
//!     46     8  expires, microseconds since 1970 (0: never)
//!     54     8  the body's length n, big-endian
//!     62     n  the body, opaque here (sealed to its reader by the caller)
//!   62+n    64  Ed25519 signature over bytes 0 .. 62+n
//! ```

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"CCSE";
const VERSION: u8 = 1;
/// The bytes before the body.
pub const HEADER_LEN: usize = 62;
pub const SIGNATURE_LEN: usize = 64;

/// What an envelope carries, and so who signs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    /// An application filed at a station, signed by the station's key.
    Packet,
    /// The server's extract for a station, signed by the server's key.
    Extract,
}

impl EnvelopeKind {
    fn byte(self) -> u8 {
        match self {
            EnvelopeKind::Packet => 1,
            EnvelopeKind::Extract => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(EnvelopeKind::Packet),
            2 => Some(EnvelopeKind::Extract),
            _ => None,
        }
    }
}

/// Why an envelope is refused; each names what a station officer or the server's log needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("cut short: {0} bytes, an envelope has at least {min}", min = HEADER_LEN + SIGNATURE_LEN)]
    Short(usize),
    #[error("not a cancuoc station envelope of version 1")]
    NotAnEnvelope,
    #[error("unknown kind {0}")]
    UnknownKind(u8),
    #[error(
        "the body's length {declared} does not match the {actual} bytes that follow the header"
    )]
    Length { declared: u64, actual: usize },
    #[error("the signature does not hold: the envelope was altered, or signed by another key")]
    BadSignature,
    #[error("the key is not an Ed25519 public key")]
    BadKey,
}

/// An envelope's fields: what is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub kind: EnvelopeKind,
    pub station: [u8; 16],
    pub id: [u8; 16],
    pub made_micros: i64,
    /// 0 when it never expires.
    pub expires_micros: i64,
    pub body: Vec<u8>,
}

impl Envelope {
    fn header(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.body.len() + SIGNATURE_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.kind.byte());
        out.extend_from_slice(&self.station);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&self.made_micros.to_be_bytes());
        out.extend_from_slice(&self.expires_micros.to_be_bytes());
        out.extend_from_slice(&(self.body.len() as u64).to_be_bytes());
        out
    }

    /// The envelope's bytes, signed by `key`.
    pub fn sign(&self, key: &SignerKey) -> Vec<u8> {
        let mut out = self.header();
        out.extend_from_slice(&self.body);
        let signature = key.0.sign(&out);
        out.extend_from_slice(&signature.to_bytes());
        out
    }

    /// Reads an envelope without checking its signature (the reader first looks up whose
    /// key should have signed it, by the header): see [`Opened::verify`].
    pub fn open(bytes: &[u8]) -> Result<Opened<'_>, EnvelopeError> {
        if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
            return Err(EnvelopeError::Short(bytes.len()));
        }
        let field = |from: usize, to: usize| bytes.get(from..to).unwrap_or_default();
        if field(0, 4) != MAGIC || field(4, 5) != [VERSION] {
            return Err(EnvelopeError::NotAnEnvelope);
        }
        let kind_byte = field(5, 6).first().copied().unwrap_or_default();
        let kind =
            EnvelopeKind::from_byte(kind_byte).ok_or(EnvelopeError::UnknownKind(kind_byte))?;
        let array16 = |from| <[u8; 16]>::try_from(field(from, from + 16)).unwrap_or_default();
        let int = |from| {
            i64::from_be_bytes(<[u8; 8]>::try_from(field(from, from + 8)).unwrap_or_default())
        };
        let declared = u64::from_be_bytes(<[u8; 8]>::try_from(field(54, 62)).unwrap_or_default());
        let actual = bytes.len() - HEADER_LEN - SIGNATURE_LEN;
        if usize::try_from(declared).ok() != Some(actual) {
            return Err(EnvelopeError::Length { declared, actual });
        }
        let signed_len = HEADER_LEN + actual;
        Ok(Opened {
            kind,
            station: array16(6),
            id: array16(22),
            made_micros: int(38),
            expires_micros: int(46),
            body: field(HEADER_LEN, signed_len),
            signed: field(0, signed_len),
            signature: <[u8; SIGNATURE_LEN]>::try_from(field(signed_len, bytes.len()))
                .unwrap_or([0; SIGNATURE_LEN]),
        })
    }
}

/// An envelope as read, borrowing the bytes; its signature not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<'a> {
    pub kind: EnvelopeKind,
    pub station: [u8; 16],
    pub id: [u8; 16],
    pub made_micros: i64,
    pub expires_micros: i64,
    pub body: &'a [u8],
    signed: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
}

impl Opened<'_> {
    /// Checks the signature under `public` (32 bytes, Ed25519), strictly.
    pub fn verify(&self, public: &[u8]) -> Result<(), EnvelopeError> {
        verify_signature(public, self.signed, &self.signature)
    }

    pub fn to_owned(&self) -> Envelope {
        Envelope {
            kind: self.kind,
            station: self.station,
            id: self.id,
            made_micros: self.made_micros,
            expires_micros: self.expires_micros,
            body: self.body.to_vec(),
        }
    }
}

/// An Ed25519 signing key: a station's (sealed by its vault) or the server's extract key.
#[derive(Clone)]
pub struct SignerKey(SigningKey);

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignerKey({})", fingerprint(&self.public()))
    }
}

impl SignerKey {
    pub fn from_bytes(secret: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&secret))
    }

    /// The secret, for sealing in a vault.
    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs `message` (a request, see [`request_message`]).
    pub fn sign_message(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

/// How far a station's clock may be from the server's when it signs a request: a signed
/// request is good this long, so a copied one cannot be replayed later.
pub const REQUEST_SKEW_MICROS: i64 = 5 * 60 * 1_000_000;

/// The bytes a station signs to authenticate a request to the server: a label, its id,
/// the method, the path with its query, the time, and SHA-256 of the body.
pub fn request_message(
    station: &[u8; 16],
    method: &str,
    path: &str,
    at_micros: i64,
    body: &[u8],
) -> Vec<u8> {
    let mut out = b"cancuoc station request v1".to_vec();
    for field in [method.as_bytes(), path.as_bytes()] {
        out.extend((field.len() as u64).to_be_bytes());
        out.extend(field);
    }
    out.extend(station);
    out.extend(at_micros.to_be_bytes());
    out.extend(Sha256::digest(body));
    out
}

/// Checks an Ed25519 signature of `message` under `public`, strictly.
pub fn verify_signature(
    public: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), EnvelopeError> {
    let public = <[u8; 32]>::try_from(public)
        .ok()
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or(EnvelopeError::BadKey)?;
    let signature = <[u8; SIGNATURE_LEN]>::try_from(signature)
        .map(|b| ed25519_dalek::Signature::from_bytes(&b))
        .map_err(|_| EnvelopeError::BadSignature)?;
    public
        .verify_strict(message, &signature)
        .map_err(|_| EnvelopeError::BadSignature)
}

/// Whether `key` is an Ed25519 public key (32 bytes, a point of the curve).
pub fn is_public_key(key: &[u8]) -> bool {
    <[u8; 32]>::try_from(key)
        .ok()
        .is_some_and(|b| VerifyingKey::from_bytes(&b).is_ok())
}

/// What an officer compares on two screens to know a key is the one they expect: the
/// first 10 bytes of SHA-256 of the public key, in five groups of four hex digits.
pub fn fingerprint(public: &[u8]) -> String {
    let digest = Sha256::digest(public);
    digest
        .get(..10)
        .unwrap_or_default()
        .chunks(2)
        .map(hex::encode_upper)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn packet(body: Vec<u8>) -> Envelope {
        Envelope {
            kind: EnvelopeKind::Packet,
            station: [7; 16],
            id: [9; 16],
            made_micros: 1_617_235_200_000_000,
            expires_micros: 0,
            body,
        }
    }

    #[test]
    fn a_signed_envelope_opens_and_verifies_under_its_key_only() {
        let key = SignerKey::from_bytes([1; 32]);
        let bytes = packet(b"sealed application".to_vec()).sign(&key);
        let opened = Envelope::open(&bytes).unwrap();
        assert_eq!(opened.to_owned(), packet(b"sealed application".to_vec()));
        assert_eq!(opened.verify(&key.public()), Ok(()));
        let stranger = SignerKey::from_bytes([2; 32]);
        assert_eq!(
            opened.verify(&stranger.public()),
            Err(EnvelopeError::BadSignature)
        );
        assert_eq!(opened.verify(&[0; 5]), Err(EnvelopeError::BadKey));
    }

    #[test]
    fn an_altered_byte_anywhere_breaks_the_signature_or_the_frame() {
        let key = SignerKey::from_bytes([1; 32]);
        let bytes = packet(b"body".to_vec()).sign(&key);
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            if let Some(b) = altered.get_mut(i) {
                *b ^= 0x40;
            }
            let verdict = Envelope::open(&altered).and_then(|o| o.verify(&key.public()));
            assert!(verdict.is_err(), "byte {i} altered unnoticed");
        }
    }

    #[test]
    fn framing_errors_are_named() {
        assert_eq!(Envelope::open(b"CCSE"), Err(EnvelopeError::Short(4)));
        let key = SignerKey::from_bytes([1; 32]);
        let mut bytes = packet(vec![1, 2, 3]).sign(&key);
        bytes.push(0);
        assert_eq!(
            Envelope::open(&bytes),
            Err(EnvelopeError::Length {
                declared: 3,
                actual: 4
            })
        );
        let mut other = packet(vec![]).sign(&key);
        if let Some(b) = other.get_mut(5) {
            *b = 9;
        }
        assert_eq!(Envelope::open(&other), Err(EnvelopeError::UnknownKind(9)));
    }

    #[test]
    fn a_signed_request_verifies_only_as_it_was_made() {
        let key = SignerKey::from_bytes([4; 32]);
        let message = request_message(&[1; 16], "GET", "/api/v1/stations/x/extract", 77, b"");
        let signature = key.sign_message(&message);
        assert_eq!(
            verify_signature(&key.public(), &message, &signature),
            Ok(())
        );
        for other in [
            request_message(&[2; 16], "GET", "/api/v1/stations/x/extract", 77, b""),
            request_message(&[1; 16], "POST", "/api/v1/stations/x/extract", 77, b""),
            request_message(&[1; 16], "GET", "/api/v1/stations/y/extract", 77, b""),
            request_message(&[1; 16], "GET", "/api/v1/stations/x/extract", 78, b""),
            request_message(&[1; 16], "GET", "/api/v1/stations/x/extract", 77, b"body"),
        ] {
            assert_eq!(
                verify_signature(&key.public(), &other, &signature),
                Err(EnvelopeError::BadSignature)
            );
        }
        assert_eq!(
            verify_signature(&key.public(), &message, &signature[..10]),
            Err(EnvelopeError::BadSignature)
        );
    }

    #[test]
    fn the_fingerprint_reads_in_five_groups() {
        let print = fingerprint(&SignerKey::from_bytes([1; 32]).public());
        assert_eq!(print.len(), 24);
        assert_eq!(print.split('-').count(), 5);
        assert_ne!(print, fingerprint(&SignerKey::from_bytes([2; 32]).public()));
    }

    proptest! {
        #[test]
        fn any_envelope_round_trips(body in proptest::collection::vec(any::<u8>(), 0..300),
                                    station in any::<[u8; 16]>(), id in any::<[u8; 16]>(),
                                    made in any::<i64>(), expires in any::<i64>(), extract in any::<bool>()) {
            let key = SignerKey::from_bytes([3; 32]);
            let envelope = Envelope {
                kind: if extract { EnvelopeKind::Extract } else { EnvelopeKind::Packet },
                station, id, made_micros: made, expires_micros: expires, body,
            };
            let bytes = envelope.sign(&key);
            let opened = Envelope::open(&bytes).unwrap();
            prop_assert_eq!(opened.verify(&key.public()), Ok(()));
            prop_assert_eq!(opened.to_owned(), envelope);
        }

        #[test]
        fn opening_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Envelope::open(&bytes).map(|o| o.verify(&[1; 32]));
        }
    }
}
