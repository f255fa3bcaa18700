//! The chip's public key infrastructure (ICAO Doc 9303-12): ECDSA key pairs on NIST P-256,
//! the certificates of the Country Signing CA and of the Document Signers, and the CSCA's
//! certificate revocation list, each written and read back.
//!
//! Why P-256 and not brainpoolP256r1: both are allowed by Doc 9303-12 §4.4; P-256 is what
//! every reader library, `openssl` and PyPI `asn1crypto` verify without options, and its
//! RustCrypto implementation (`p256`) is the mature one of the two. The curve is a
//! property of the keys only, so a later CSCA may move to brainpool without touching the
//! data groups.
//!
//! Pure: keys come from bytes the caller draws; times are given, never read.

use jiff::Timestamp;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha1::{Digest, Sha1};

use crate::der::{self, DerError, Reader, Tlv};

pub const EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
pub const PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];
pub const ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
const SUBJECT_KEY_ID: [u64; 4] = [2, 5, 29, 14];
const KEY_USAGE: [u64; 4] = [2, 5, 29, 15];
const PRIVATE_KEY_USAGE_PERIOD: [u64; 4] = [2, 5, 29, 16];
const BASIC_CONSTRAINTS: [u64; 4] = [2, 5, 29, 19];
const CRL_NUMBER: [u64; 4] = [2, 5, 29, 20];
const AUTHORITY_KEY_ID: [u64; 4] = [2, 5, 29, 35];
/// id-icao-mrtd-security-extensions-documentTypeList (Doc 9303-12 §7.1.1.3).
const DOCUMENT_TYPE_LIST: [u64; 7] = [2, 23, 136, 1, 1, 6, 2];

/// The document type a Vietnamese identity card's MRZ starts with.
pub const DOCUMENT_TYPE_ID: &str = "ID";

/// A P-256 key pair.
#[derive(Clone)]
pub struct KeyPair {
    key: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &hex_of(&self.public_point()))
            .finish_non_exhaustive()
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl KeyPair {
    /// The key pair whose private scalar is `secret`; `None` when it is zero or not below
    /// the curve's order.
    pub fn from_secret(secret: &[u8]) -> Option<KeyPair> {
        SigningKey::from_slice(secret)
            .ok()
            .map(|key| KeyPair { key })
    }

    /// A fresh key pair from the caller's random bytes (drawn again in the rare case a
    /// draw is not a valid scalar).
    pub fn generate(mut fill: impl FnMut(&mut [u8; 32])) -> KeyPair {
        loop {
            let mut secret = zeroize::Zeroizing::new([0u8; 32]);
            fill(&mut secret);
            if let Some(pair) = Self::from_secret(secret.as_slice()) {
                return pair;
            }
        }
    }

    /// The private scalar, 32 bytes; the caller seals it.
    pub fn secret(&self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(self.key.to_bytes().to_vec())
    }

    /// The public key as an uncompressed SEC 1 point (65 bytes).
    pub fn public_point(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The public key as a SubjectPublicKeyInfo.
    pub fn public_key_info(&self) -> Vec<u8> {
        public_key_info(&self.public_point())
    }

    /// ECDSA with SHA-256 over `message`, as a DER Ecdsa-Sig-Value.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.key.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

/// A SubjectPublicKeyInfo of an uncompressed P-256 point.
pub fn public_key_info(point: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &der::sequence(&[&der::oid(&EC_PUBLIC_KEY), &der::oid(&PRIME256V1)]),
        &der::bits(point),
    ])
}

/// The P-256 point of a SubjectPublicKeyInfo.
pub fn point_of(public_key_info: &[u8]) -> Result<Vec<u8>, DerError> {
    let spki = der::whole(public_key_info, der::SEQUENCE, "a SubjectPublicKeyInfo")?;
    let mut r = spki.reader();
    let algorithm = r.expect(der::SEQUENCE, "an algorithm")?;
    let mut a = algorithm.reader();
    let kind = a.expect(der::OID, "a key type")?;
    let curve = a.expect(der::OID, "a named curve")?;
    if !kind.is_oid(&EC_PUBLIC_KEY) || !curve.is_oid(&PRIME256V1) {
        return Err(DerError::Invalid {
            at: kind.at,
            what: "a key that is not an elliptic-curve key on P-256",
        });
    }
    let point = r.expect(der::BIT_STRING, "the public key")?.bit_bytes()?;
    r.finish("a SubjectPublicKeyInfo")?;
    Ok(point.to_vec())
}

/// Whether `signature` (DER) is a valid ECDSA-with-SHA-256 signature of `message` by the
/// key in `public_key_info`.
pub fn verify(public_key_info: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(point) = point_of(public_key_info) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_sec1_bytes(&point) else {
        return false;
    };
    let Ok(signature) = Signature::from_der(signature) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

/// SHA-1 of the public key's bits: the key identifier of RFC 5280 §4.2.1.2, method 1.
pub fn key_identifier(public_key_info: &[u8]) -> Vec<u8> {
    let point = point_of(public_key_info).unwrap_or_default();
    Sha1::digest(&point).to_vec()
}

fn algorithm(arcs: &[u64]) -> Vec<u8> {
    der::sequence(&[&der::oid(arcs)])
}

/// A distinguished name as Doc 9303-12 §7.1.1 shapes it: country, organisation, an
/// optional unit, common name, an optional serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub country: String,
    pub organization: String,
    pub organizational_unit: Option<String>,
    pub common_name: String,
    pub serial_number: Option<String>,
}

impl Name {
    pub fn encode(&self) -> Vec<u8> {
        let rdn = |arcs: &[u64], value: Vec<u8>| {
            der::set_of(vec![der::sequence(&[&der::oid(arcs), &value])])
        };
        let mut rdns = vec![rdn(&[2, 5, 4, 6], der::printable(&self.country))];
        rdns.push(rdn(&[2, 5, 4, 10], der::utf8(&self.organization)));
        if let Some(unit) = &self.organizational_unit {
            rdns.push(rdn(&[2, 5, 4, 11], der::utf8(unit)));
        }
        rdns.push(rdn(&[2, 5, 4, 3], der::utf8(&self.common_name)));
        if let Some(serial) = &self.serial_number {
            rdns.push(rdn(&[2, 5, 4, 5], der::printable(serial)));
        }
        der::tlv(der::SEQUENCE, &rdns.concat())
    }
}

/// A name as text, `C=VN, O=…, CN=…`, from its encoding.
pub fn name_text(encoded: &[u8]) -> String {
    let Ok(name) = der::whole(encoded, der::SEQUENCE, "a name") else {
        return String::from("(unreadable name)");
    };
    let mut parts = Vec::new();
    let mut rdns = name.reader();
    while let Ok(rdn) = rdns.read() {
        let mut attributes = rdn.reader();
        while let Ok(attribute) = attributes.read() {
            let mut a = attribute.reader();
            let (Ok(kind), Ok(value)) = (a.read(), a.read()) else {
                continue;
            };
            let label = match kind.oid_arcs().ok().as_deref() {
                Some([2, 5, 4, 6]) => "C".to_owned(),
                Some([2, 5, 4, 10]) => "O".to_owned(),
                Some([2, 5, 4, 11]) => "OU".to_owned(),
                Some([2, 5, 4, 3]) => "CN".to_owned(),
                Some([2, 5, 4, 5]) => "serialNumber".to_owned(),
                Some(arcs) => arcs
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("."),
                None => "?".to_owned(),
            };
            parts.push(format!("{label}={}", value.text().unwrap_or("?")));
        }
    }
    parts.join(", ")
}

/// Which certificate of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateKind {
    CountrySigningCa,
    DocumentSigner,
}

/// What a certificate is issued for; the issuer's signature is added by [`issue`].
#[derive(Debug, Clone)]
pub struct CertificateSpec {
    pub kind: CertificateKind,
    pub serial: u64,
    pub issuer: Vec<u8>,
    pub subject: Name,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// The private key usage period (2.5.29.16), which Doc 9303-12 requires of both.
    pub usage_from: Timestamp,
    pub usage_until: Timestamp,
    pub subject_key: Vec<u8>,
    /// The issuer's subject key identifier (the subject's own for a self-signed CSCA).
    pub issuer_key_id: Vec<u8>,
}

fn extension(arcs: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::sequence(&[&der::oid(arcs), &der::boolean(true), &der::octets(value)])
    } else {
        der::sequence(&[&der::oid(arcs), &der::octets(value)])
    }
}

/// The certificate `spec` describes, signed by `issuer_key`.
pub fn issue(spec: &CertificateSpec, issuer_key: &KeyPair) -> Vec<u8> {
    let key_usage = match spec.kind {
        // keyCertSign and cRLSign (bits 5 and 6): one unused bit.
        CertificateKind::CountrySigningCa => der::tlv(der::BIT_STRING, &[0x01, 0x06]),
        // digitalSignature (bit 0): seven unused bits.
        CertificateKind::DocumentSigner => der::tlv(der::BIT_STRING, &[0x07, 0x80]),
    };
    let usage_period = der::sequence(&[
        &der::generalized_time(der::context_primitive(0), spec.usage_from),
        &der::generalized_time(der::context_primitive(1), spec.usage_until),
    ]);
    let mut extensions = vec![
        extension(
            &AUTHORITY_KEY_ID,
            false,
            &der::sequence(&[&der::tlv(der::context_primitive(0), &spec.issuer_key_id)]),
        ),
        extension(
            &SUBJECT_KEY_ID,
            false,
            &der::octets(&key_identifier(&spec.subject_key)),
        ),
        extension(&KEY_USAGE, true, &key_usage),
        extension(&PRIVATE_KEY_USAGE_PERIOD, false, &usage_period),
    ];
    match spec.kind {
        CertificateKind::CountrySigningCa => extensions.push(extension(
            &BASIC_CONSTRAINTS,
            true,
            &der::sequence(&[&der::boolean(true), &der::integer(0)]),
        )),
        CertificateKind::DocumentSigner => extensions.push(extension(
            &DOCUMENT_TYPE_LIST,
            false,
            &der::sequence(&[
                &der::integer(0),
                &der::set_of(vec![der::printable(DOCUMENT_TYPE_ID)]),
            ]),
        )),
    }
    let tbs = der::sequence(&[
        &der::constructed(der::context(0), &[&der::integer(2)]),
        &der::integer(spec.serial),
        &algorithm(&ECDSA_WITH_SHA256),
        &spec.issuer,
        &der::sequence(&[&der::time(spec.not_before), &der::time(spec.not_after)]),
        &spec.subject.encode(),
        &spec.subject_key,
        &der::constructed(
            der::context(3),
            &[&der::tlv(der::SEQUENCE, &extensions.concat())],
        ),
    ]);
    signed(&tbs, issuer_key)
}

/// `SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }`: a certificate or a CRL.
fn signed(tbs: &[u8], key: &KeyPair) -> Vec<u8> {
    der::sequence(&[
        tbs,
        &algorithm(&ECDSA_WITH_SHA256),
        &der::bits(&key.sign(tbs)),
    ])
}

/// A certificate as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub tbs: Vec<u8>,
    pub signature: Vec<u8>,
    pub serial: Vec<u8>,
    pub issuer: Vec<u8>,
    pub subject: Vec<u8>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub public_key: Vec<u8>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    pub usage_from: Option<Timestamp>,
    pub usage_until: Option<Timestamp>,
    pub is_ca: bool,
    /// The key usage bits in the order of RFC 5280 (bit 0 = digitalSignature), and
    /// whether the extension is critical.
    pub key_usage: Option<(u16, bool)>,
}

/// The outer shape both certificates and CRLs share.
fn signed_parts<'a>(outer: &Tlv<'a>, what: &'static str) -> Result<(Tlv<'a>, Vec<u8>), DerError> {
    let mut r = outer.reader();
    let tbs = r.expect(der::SEQUENCE, what)?;
    let algorithm = r.expect(der::SEQUENCE, "a signature algorithm")?;
    let mut a = algorithm.reader();
    let arcs = a.expect(der::OID, "a signature algorithm")?;
    if !arcs.is_oid(&ECDSA_WITH_SHA256) {
        return Err(DerError::Invalid {
            at: arcs.at,
            what: "a signature algorithm other than ecdsa-with-SHA256",
        });
    }
    let signature = r
        .expect(der::BIT_STRING, "a signature")?
        .bit_bytes()?
        .to_vec();
    r.finish(what)?;
    Ok((tbs, signature))
}

impl Certificate {
    pub fn parse(bytes: &[u8]) -> Result<Certificate, DerError> {
        let outer = der::whole(bytes, der::SEQUENCE, "a certificate")?;
        let (tbs, signature) = signed_parts(&outer, "a certificate's signed part")?;
        let mut t = tbs.reader();
        let version = t.expect(der::context(0), "the version [0]")?;
        if version.content != der::integer(2).as_slice() {
            return Err(DerError::Invalid {
                at: version.at,
                what: "a certificate that is not X.509 version 3",
            });
        }
        let serial = t
            .expect(der::INTEGER, "the serial number")?
            .unsigned_bytes()?
            .to_vec();
        t.expect(der::SEQUENCE, "the signature algorithm")?;
        let issuer = t.expect(der::SEQUENCE, "the issuer")?.raw.to_vec();
        let validity = t.expect(der::SEQUENCE, "the validity")?;
        let mut v = validity.reader();
        let not_before = v.read()?.time()?;
        let not_after = v.read()?.time()?;
        v.finish("the validity")?;
        let subject = t.expect(der::SEQUENCE, "the subject")?.raw.to_vec();
        let public_key = t
            .expect(der::SEQUENCE, "the subject's public key")?
            .raw
            .to_vec();
        let mut certificate = Certificate {
            der: bytes.to_vec(),
            tbs: tbs.raw.to_vec(),
            signature,
            serial,
            issuer,
            subject,
            not_before,
            not_after,
            public_key,
            subject_key_id: None,
            authority_key_id: None,
            usage_from: None,
            usage_until: None,
            is_ca: false,
            key_usage: None,
        };
        while !t.is_empty() {
            let element = t.read()?;
            if element.tag != der::context(3) {
                continue; // unique identifiers [1], [2]
            }
            let list = der::whole(element.content, der::SEQUENCE, "the extensions")?;
            let mut l = list.reader();
            while !l.is_empty() {
                certificate.read_extension(l.expect(der::SEQUENCE, "an extension")?)?;
            }
        }
        Ok(certificate)
    }

    fn read_extension(&mut self, extension: Tlv<'_>) -> Result<(), DerError> {
        let mut e = extension.reader();
        let id = e.expect(der::OID, "an extension's identifier")?;
        let critical = match e.optional(der::BOOLEAN)? {
            Some(b) => b.content == [0xFF],
            None => false,
        };
        let value = e.expect(der::OCTET_STRING, "an extension's value")?;
        e.finish("an extension")?;
        let mut v = Reader::new(value.content);
        if id.is_oid(&SUBJECT_KEY_ID) {
            self.subject_key_id = Some(
                v.expect(der::OCTET_STRING, "a key identifier")?
                    .content
                    .to_vec(),
            );
        } else if id.is_oid(&AUTHORITY_KEY_ID) {
            let aki = v.expect(der::SEQUENCE, "an authority key identifier")?;
            let mut a = aki.reader();
            self.authority_key_id = a
                .optional(der::context_primitive(0))?
                .map(|k| k.content.to_vec());
        } else if id.is_oid(&PRIVATE_KEY_USAGE_PERIOD) {
            let period = v.expect(der::SEQUENCE, "a private key usage period")?;
            let mut p = period.reader();
            fn as_generalized(t: Tlv<'_>) -> Tlv<'_> {
                Tlv {
                    tag: der::GENERALIZED_TIME,
                    ..t
                }
            }
            if let Some(from) = p.optional(der::context_primitive(0))? {
                self.usage_from = Some(as_generalized(from).time()?);
            }
            if let Some(until) = p.optional(der::context_primitive(1))? {
                self.usage_until = Some(as_generalized(until).time()?);
            }
        } else if id.is_oid(&BASIC_CONSTRAINTS) {
            let constraints = v.expect(der::SEQUENCE, "basic constraints")?;
            let mut c = constraints.reader();
            self.is_ca = c
                .optional(der::BOOLEAN)?
                .is_some_and(|b| b.content == [0xFF]);
        } else if id.is_oid(&KEY_USAGE) {
            let bits = v.expect(der::BIT_STRING, "key usage")?;
            let value = match bits.content {
                [_, first] => u16::from(first.reverse_bits()),
                [_, first, second, ..] => {
                    u16::from(first.reverse_bits()) | (u16::from(second.reverse_bits()) << 8)
                }
                _ => 0,
            };
            self.key_usage = Some((value, critical));
        }
        Ok(())
    }

    /// Whether `issuer` signed this certificate.
    pub fn is_signed_by(&self, issuer: &Certificate) -> bool {
        self.issuer == issuer.subject && verify(&issuer.public_key, &self.tbs, &self.signature)
    }

    pub fn serial_hex(&self) -> String {
        hex_of(&self.serial)
    }

    pub fn subject_text(&self) -> String {
        name_text(&self.subject)
    }

    pub fn issuer_text(&self) -> String {
        name_text(&self.issuer)
    }
}

/// What a CRL says; signed by [`issue_crl`].
#[derive(Debug, Clone)]
pub struct CrlSpec {
    pub issuer: Vec<u8>,
    pub issuer_key_id: Vec<u8>,
    pub number: u64,
    pub this_update: Timestamp,
    pub next_update: Timestamp,
    /// Serial numbers (unsigned big-endian) and when each was revoked.
    pub revoked: Vec<(Vec<u8>, Timestamp)>,
}

/// The CSCA's CRL (RFC 5280 §5, with the CRL number and authority key identifier that
/// Doc 9303-12 §7.1.4 requires).
pub fn issue_crl(spec: &CrlSpec, csca_key: &KeyPair) -> Vec<u8> {
    let revoked: Vec<u8> = spec
        .revoked
        .iter()
        .flat_map(|(serial, at)| der::sequence(&[&der::unsigned(serial), &der::time(*at)]))
        .collect();
    let extensions = [
        extension(
            &AUTHORITY_KEY_ID,
            false,
            &der::sequence(&[&der::tlv(der::context_primitive(0), &spec.issuer_key_id)]),
        ),
        extension(&CRL_NUMBER, false, &der::integer(spec.number)),
    ]
    .concat();
    let mut parts = vec![
        der::integer(1),
        algorithm(&ECDSA_WITH_SHA256),
        spec.issuer.clone(),
        der::time(spec.this_update),
        der::time(spec.next_update),
    ];
    if !revoked.is_empty() {
        parts.push(der::tlv(der::SEQUENCE, &revoked));
    }
    parts.push(der::constructed(
        der::context(0),
        &[&der::tlv(der::SEQUENCE, &extensions)],
    ));
    let tbs = der::tlv(der::SEQUENCE, &parts.concat());
    signed(&tbs, csca_key)
}

/// A CRL as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    pub der: Vec<u8>,
    pub tbs: Vec<u8>,
    pub signature: Vec<u8>,
    pub issuer: Vec<u8>,
    pub this_update: Timestamp,
    pub next_update: Option<Timestamp>,
    pub revoked: Vec<Vec<u8>>,
}

impl Crl {
    pub fn parse(bytes: &[u8]) -> Result<Crl, DerError> {
        let outer = der::whole(bytes, der::SEQUENCE, "a CRL")?;
        let (tbs, signature) = signed_parts(&outer, "a CRL's signed part")?;
        let mut t = tbs.reader();
        t.optional(der::INTEGER)?;
        t.expect(der::SEQUENCE, "the signature algorithm")?;
        let issuer = t.expect(der::SEQUENCE, "the issuer")?.raw.to_vec();
        let this_update = t.read()?.time()?;
        let next_update = match t.peek_tag() {
            Some(der::UTC_TIME | der::GENERALIZED_TIME) => Some(t.read()?.time()?),
            _ => None,
        };
        let mut revoked = Vec::new();
        if let Some(list) = t.optional(der::SEQUENCE)? {
            let mut l = list.reader();
            while !l.is_empty() {
                let entry = l.expect(der::SEQUENCE, "a revoked certificate")?;
                let mut e = entry.reader();
                revoked.push(
                    e.expect(der::INTEGER, "a serial number")?
                        .unsigned_bytes()?
                        .to_vec(),
                );
            }
        }
        Ok(Crl {
            der: bytes.to_vec(),
            tbs: tbs.raw.to_vec(),
            signature,
            issuer,
            this_update,
            next_update,
            revoked,
        })
    }

    pub fn is_signed_by(&self, csca: &Certificate) -> bool {
        self.issuer == csca.subject && verify(&csca.public_key, &self.tbs, &self.signature)
    }

    pub fn revokes(&self, certificate: &Certificate) -> bool {
        certificate.issuer == self.issuer && self.revoked.contains(&certificate.serial)
    }
}

/// PEM armour for a certificate or a CRL (RFC 7468).
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Every `label` block of a PEM text, decoded; DER given as is is returned as one block.
pub fn from_pem(label: &str, text: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let Ok(text) = std::str::from_utf8(text) else {
        return vec![text.to_vec()];
    };
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let Some(stop) = after.find(&end) else { break };
        let body: String = after[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.push(bytes);
        }
        rest = &after[stop + end.len()..];
    }
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failed test panics"
)]
mod tests {
    use super::*;

    fn key(seed: u8) -> KeyPair {
        KeyPair::generate(|b| b.fill(seed))
    }

    fn name(cn: &str) -> Name {
        Name {
            country: "VN".into(),
            organization: "Bộ Công an".into(),
            organizational_unit: None,
            common_name: cn.into(),
            serial_number: None,
        }
    }

    #[test]
    fn a_document_signer_chains_to_its_csca_and_the_crl_revokes_it() {
        let csca_key = key(7);
        let ds_key = key(9);
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let csca_spki = csca_key.public_key_info();
        let csca = issue(
            &CertificateSpec {
                kind: CertificateKind::CountrySigningCa,
                serial: 1,
                issuer: name("CSCA Việt Nam").encode(),
                subject: name("CSCA Việt Nam"),
                not_before: t("2021-01-01T00:00:00Z"),
                not_after: t("2099-12-31T23:59:59Z"),
                usage_from: t("2021-01-01T00:00:00Z"),
                usage_until: t("2026-01-01T00:00:00Z"),
                issuer_key_id: key_identifier(&csca_spki),
                subject_key: csca_spki.clone(),
            },
            &csca_key,
        );
        let csca = Certificate::parse(&csca).unwrap();
        assert!(csca.is_ca);
        assert_eq!(csca.key_usage, Some((0b110_0000, true)));
        assert!(csca.is_signed_by(&csca));
        let ds = issue(
            &CertificateSpec {
                kind: CertificateKind::DocumentSigner,
                serial: 0x8000_0001,
                issuer: csca.subject.clone(),
                subject: name("DS 1"),
                not_before: t("2021-03-01T00:00:00Z"),
                not_after: t("2099-12-31T23:59:59Z"),
                usage_from: t("2021-03-01T00:00:00Z"),
                usage_until: t("2021-06-01T00:00:00Z"),
                issuer_key_id: csca.subject_key_id.clone().unwrap(),
                subject_key: ds_key.public_key_info(),
            },
            &csca_key,
        );
        let ds = Certificate::parse(&ds).unwrap();
        assert!(ds.is_signed_by(&csca));
        assert!(!ds.is_signed_by(&ds));
        assert_eq!(ds.authority_key_id, csca.subject_key_id);
        assert_eq!(ds.usage_until, Some(t("2021-06-01T00:00:00Z")));
        assert_eq!(ds.key_usage, Some((1, true)));
        assert_eq!(ds.serial, [0x80, 0, 0, 1]);
        assert_eq!(ds.subject_text(), "C=VN, O=Bộ Công an, CN=DS 1");

        let crl = issue_crl(
            &CrlSpec {
                issuer: csca.subject.clone(),
                issuer_key_id: csca.subject_key_id.clone().unwrap(),
                number: 2,
                this_update: t("2021-04-01T00:00:00Z"),
                next_update: t("2021-07-01T00:00:00Z"),
                revoked: vec![(ds.serial.clone(), t("2021-04-01T00:00:00Z"))],
            },
            &csca_key,
        );
        let crl = Crl::parse(&crl).unwrap();
        assert!(crl.is_signed_by(&csca));
        assert!(crl.revokes(&ds));
        assert!(!crl.revokes(&csca));
    }

    #[test]
    fn pem_round_trips() {
        let der = vec![0x30, 3, 1, 2, 3];
        assert_eq!(
            from_pem("CERTIFICATE", pem("CERTIFICATE", &der).as_bytes()),
            vec![der]
        );
    }
}
