//! What the register keeps of the chip: the PKI's certificates (never a private key: those
//! are vault objects), the CSCA's revocation lists, the production line's public keys, and
//! per produced card the vault objects of its chip files and personalisation package.

use cancuoc_domain::PersonalId;
use uuid::Uuid;

/// Which certificate of the chip's PKI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkiKind {
    /// The Country Signing CA, self-signed.
    Csca,
    /// A Document Signer, issued by the CSCA, that signs the chips' security objects.
    DocumentSigner,
}

impl PkiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PkiKind::Csca => "csca",
            PkiKind::DocumentSigner => "ds",
        }
    }

    pub fn parse(text: &str) -> Option<PkiKind> {
        match text {
            "csca" => Some(PkiKind::Csca),
            "ds" => Some(PkiKind::DocumentSigner),
            _ => None,
        }
    }
}

/// A certificate of the PKI and where its private key is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiCertificateRecord {
    pub serial: i64,
    pub kind: PkiKind,
    /// DER.
    pub certificate: Vec<u8>,
    pub not_before_micros: i64,
    pub not_after_micros: i64,
    /// The private key usage period.
    pub usage_from_micros: i64,
    pub usage_until_micros: i64,
    /// The vault object holding the private key, sealed under the master key.
    pub key_object: String,
    pub revoked_micros: Option<i64>,
    pub created_micros: i64,
}

/// A certificate revocation list the CSCA signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlRecord {
    pub number: i64,
    /// DER.
    pub crl: Vec<u8>,
    pub issued_micros: i64,
}

/// A production line's public key, to which personalisation packages are encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineKeyRecord {
    pub id: Uuid,
    /// SubjectPublicKeyInfo, DER.
    pub public_key: Vec<u8>,
    pub registered_micros: i64,
    pub registered_by: String,
}

/// A card's chip as production writes it, in the transaction that produces the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChip {
    pub ds_serial: i64,
    /// The vault object of the chip's public files (EF.COM … EF.SOD).
    pub files_object: String,
    /// The vault object of the personalisation package, encrypted to `line_key`.
    pub package_object: String,
    pub line_key: Uuid,
    /// SubjectPublicKeyInfo, DER: the register keeps the chip's public keys only.
    pub chip_authentication_key: Vec<u8>,
    pub active_authentication_key: Vec<u8>,
}

/// A produced card's chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipRecord {
    pub application: Uuid,
    pub personal_id: PersonalId,
    pub chip: NewChip,
    pub created_micros: i64,
}
