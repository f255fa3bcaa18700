//! EF.SOD, the Document Security Object (Doc 9303-10 §4.6.2): a CMS SignedData (RFC 5652)
//! wrapped in [APPLICATION 23] (tag 0x77), whose content is the LDSSecurityObject, the
//! SHA-256 of every data group, signed by a Document Signer whose certificate travels in
//! the SignedData. Signed attributes: content type, message digest and signing time (the
//! last lets a verifier check the signature fell inside the DS's private key usage period).

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::der::{self, DerError, Tlv};
use crate::lds::{ElementaryFile, LdsError, LdsProblem};
use crate::pki::{self, Certificate, KeyPair};

/// id-icao-mrtd-security-ldsSecurityObject.
pub const LDS_SECURITY_OBJECT: [u64; 6] = [2, 23, 136, 1, 1, 1];
pub const SIGNED_DATA: [u64; 7] = [1, 2, 840, 113549, 1, 7, 2];
pub const SHA256: [u64; 9] = [2, 16, 840, 1, 101, 3, 4, 2, 1];
const CONTENT_TYPE: [u64; 7] = [1, 2, 840, 113549, 1, 9, 3];
const MESSAGE_DIGEST: [u64; 7] = [1, 2, 840, 113549, 1, 9, 4];
const SIGNING_TIME: [u64; 7] = [1, 2, 840, 113549, 1, 9, 5];

/// The LDSSecurityObject (version 0): SHA-256 and one hash per data group, by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject {
    pub hashes: Vec<(u8, [u8; 32])>,
}

impl LdsSecurityObject {
    /// The hashes of `groups`, each the SHA-256 of the data group's whole file.
    pub fn of<'a>(groups: impl IntoIterator<Item = (u8, &'a [u8])>) -> LdsSecurityObject {
        let mut hashes: Vec<(u8, [u8; 32])> = groups
            .into_iter()
            .map(|(n, bytes)| (n, Sha256::digest(bytes).into()))
            .collect();
        hashes.sort_by_key(|(n, _)| *n);
        LdsSecurityObject { hashes }
    }

    pub fn encode(&self) -> Vec<u8> {
        let hashes: Vec<u8> = self
            .hashes
            .iter()
            .flat_map(|(n, hash)| {
                der::sequence(&[&der::integer(u64::from(*n)), &der::octets(hash)])
            })
            .collect();
        der::sequence(&[
            &der::integer(0),
            &der::sequence(&[&der::oid(&SHA256)]),
            &der::tlv(der::SEQUENCE, &hashes),
        ])
    }

    pub fn parse(bytes: &[u8]) -> Result<LdsSecurityObject, DerError> {
        let object = der::whole(bytes, der::SEQUENCE, "an LDSSecurityObject")?;
        let mut r = object.reader();
        let version = r.expect(der::INTEGER, "the version")?;
        if version.small_unsigned()? > 1 {
            return Err(DerError::Invalid {
                at: version.at,
                what: "an LDSSecurityObject version other than 0 or 1",
            });
        }
        let algorithm = r.expect(der::SEQUENCE, "the hash algorithm")?;
        let id = algorithm.reader().expect(der::OID, "the hash algorithm")?;
        if !id.is_oid(&SHA256) {
            return Err(DerError::Invalid {
                at: id.at,
                what: "a hash algorithm other than SHA-256",
            });
        }
        let list = r.expect(der::SEQUENCE, "the data group hashes")?;
        let mut l = list.reader();
        let mut hashes = Vec::new();
        while !l.is_empty() {
            let entry = l.expect(der::SEQUENCE, "a data group hash")?;
            let mut e = entry.reader();
            let number = e.expect(der::INTEGER, "a data group number")?;
            let value = number.small_unsigned()?;
            let n = u8::try_from(value)
                .ok()
                .filter(|n| (1..=16).contains(n))
                .ok_or(DerError::Invalid {
                    at: number.at,
                    what: "a data group number outside 1–16",
                })?;
            let hash = e.expect(der::OCTET_STRING, "a hash")?;
            let hash: [u8; 32] = hash.content.try_into().map_err(|_| DerError::Invalid {
                at: hash.at,
                what: "a hash that is not 32 bytes",
            })?;
            e.finish("a data group hash")?;
            hashes.push((n, hash));
        }
        // Version 1 adds the LDS version info, which this reader does not need.
        Ok(LdsSecurityObject { hashes })
    }

    pub fn hash_of(&self, data_group: u8) -> Option<&[u8; 32]> {
        self.hashes
            .iter()
            .find(|(n, _)| *n == data_group)
            .map(|(_, h)| h)
    }
}

fn attribute(arcs: &[u64], value: &[u8]) -> Vec<u8> {
    der::sequence(&[&der::oid(arcs), &der::set_of(vec![value.to_vec()])])
}

/// Signs `object` with the Document Signer's key and certificate, at `signing_time`.
pub fn sign(
    object: &LdsSecurityObject,
    ds_certificate: &Certificate,
    ds_key: &KeyPair,
    signing_time: Timestamp,
) -> Vec<u8> {
    let content = object.encode();
    let attributes = der::set_of(vec![
        attribute(&CONTENT_TYPE, &der::oid(&LDS_SECURITY_OBJECT)),
        attribute(&MESSAGE_DIGEST, &der::octets(&Sha256::digest(&content))),
        attribute(&SIGNING_TIME, &der::time(signing_time)),
    ]);
    // The signature covers the attributes as a SET; the SignerInfo carries them as [0].
    let signature = ds_key.sign(&attributes);
    let signed_attributes = der::tlv(
        der::context(0),
        attributes
            .get(set_header_len(&attributes)..)
            .unwrap_or_default(),
    );
    let sha256 = der::sequence(&[&der::oid(&SHA256)]);
    let signer = der::sequence(&[
        &der::integer(1),
        &der::sequence(&[
            &ds_certificate.issuer,
            &der::unsigned(&ds_certificate.serial),
        ]),
        &sha256,
        &signed_attributes,
        &der::sequence(&[&der::oid(&pki::ECDSA_WITH_SHA256)]),
        &der::octets(&signature),
    ]);
    let signed_data = der::sequence(&[
        &der::integer(3),
        &der::set_of(vec![sha256.clone()]),
        &der::sequence(&[
            &der::oid(&LDS_SECURITY_OBJECT),
            &der::constructed(der::context(0), &[&der::octets(&content)]),
        ]),
        &der::constructed(der::context(0), &[&ds_certificate.der]),
        &der::set_of(vec![signer]),
    ]);
    let content_info = der::sequence(&[
        &der::oid(&SIGNED_DATA),
        &der::constructed(der::context(0), &[&signed_data]),
    ]);
    der::tlv(0x77, &content_info)
}

fn set_header_len(encoded: &[u8]) -> usize {
    match encoded.get(1) {
        Some(b) if *b < 0x80 => 2,
        Some(b) => 2 + usize::from(b & 0x7F),
        None => 0,
    }
}

/// EF.SOD as read: the security object, the certificates it carries and its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sod {
    /// The CMS ContentInfo, EF.SOD without its 0x77 wrapper (what `openssl cms` reads).
    pub content_info: Vec<u8>,
    /// The encapsulated content, the LDSSecurityObject's encoding.
    pub content: Vec<u8>,
    pub object: LdsSecurityObject,
    pub certificates: Vec<Certificate>,
    pub signer_issuer: Vec<u8>,
    pub signer_serial: Vec<u8>,
    /// The signed attributes re-tagged as the SET the signature covers.
    pub signed_attributes: Vec<u8>,
    pub content_type_is_lds: bool,
    pub message_digest: Option<Vec<u8>>,
    pub signing_time: Option<Timestamp>,
    pub signature: Vec<u8>,
}

fn sod_error(e: DerError) -> LdsError {
    LdsError {
        file: ElementaryFile::Sod,
        problem: LdsProblem::Encoding(e),
    }
}

impl Sod {
    pub fn parse(bytes: &[u8]) -> Result<Sod, LdsError> {
        Self::read(bytes).map_err(sod_error)
    }

    fn read(bytes: &[u8]) -> Result<Sod, DerError> {
        let wrapper = der::whole(bytes, 0x77, "EF.SOD's tag 77")?;
        let info = der::whole(wrapper.content, der::SEQUENCE, "a CMS ContentInfo")?;
        let mut i = info.reader();
        let kind = i.expect(der::OID, "the content type")?;
        if !kind.is_oid(&SIGNED_DATA) {
            return Err(DerError::Invalid {
                at: kind.at,
                what: "a content type other than SignedData",
            });
        }
        let explicit = i.expect(der::context(0), "the SignedData [0]")?;
        i.finish("the ContentInfo")?;
        let signed = der::whole(explicit.content, der::SEQUENCE, "a SignedData")?;
        let mut s = signed.reader();
        s.expect(der::INTEGER, "the SignedData version")?;
        s.expect(der::SET, "the digest algorithms")?;
        let encapsulated = s.expect(der::SEQUENCE, "the encapsulated content")?;
        let mut e = encapsulated.reader();
        let content_type = e.expect(der::OID, "the content type")?;
        if !content_type.is_oid(&LDS_SECURITY_OBJECT) {
            return Err(DerError::Invalid {
                at: content_type.at,
                what: "an encapsulated content that is not an LDSSecurityObject",
            });
        }
        let content = e.expect(der::context(0), "the content [0]")?;
        let content = der::whole(content.content, der::OCTET_STRING, "the content")?.content;
        let object = LdsSecurityObject::parse(content)?;
        let mut certificates = Vec::new();
        if let Some(list) = s.optional(der::context(0))? {
            let mut c = list.reader();
            while !c.is_empty() {
                certificates.push(Certificate::parse(
                    c.expect(der::SEQUENCE, "a certificate")?.raw,
                )?);
            }
        }
        s.optional(der::context(1))?; // CRLs, which Doc 9303 leaves out
        let signers = s.expect(der::SET, "the signer infos")?;
        s.finish("the SignedData")?;
        let mut signers = signers.reader();
        let signer = signers.expect(der::SEQUENCE, "a signer info")?;
        if !signers.is_empty() {
            return Err(DerError::Invalid {
                at: signer.at,
                what: "more than one signer",
            });
        }
        let mut sod = Self::read_signer(signer)?;
        sod.content_info = wrapper.content.to_vec();
        sod.content = content.to_vec();
        sod.object = object;
        sod.certificates = certificates;
        Ok(sod)
    }

    fn read_signer(signer: Tlv<'_>) -> Result<Sod, DerError> {
        let mut r = signer.reader();
        r.expect(der::INTEGER, "the signer's version")?;
        let sid = r.expect(der::SEQUENCE, "the signer's issuer and serial number")?;
        let mut id = sid.reader();
        let issuer = id
            .expect(der::SEQUENCE, "the signer's issuer")?
            .raw
            .to_vec();
        let serial = id
            .expect(der::INTEGER, "the signer's serial")?
            .unsigned_bytes()?
            .to_vec();
        let digest = r.expect(der::SEQUENCE, "the digest algorithm")?;
        if !digest
            .reader()
            .expect(der::OID, "the digest algorithm")?
            .is_oid(&SHA256)
        {
            return Err(DerError::Invalid {
                at: digest.at,
                what: "a digest algorithm other than SHA-256",
            });
        }
        let attributes = r.expect(der::context(0), "the signed attributes [0]")?;
        let mut sod = Sod {
            content_info: Vec::new(),
            content: Vec::new(),
            object: LdsSecurityObject { hashes: Vec::new() },
            certificates: Vec::new(),
            signer_issuer: issuer,
            signer_serial: serial,
            signed_attributes: der::tlv(der::SET, attributes.content),
            content_type_is_lds: false,
            message_digest: None,
            signing_time: None,
            signature: Vec::new(),
        };
        let mut a = attributes.reader();
        while !a.is_empty() {
            let attribute = a.expect(der::SEQUENCE, "an attribute")?;
            let mut at = attribute.reader();
            let kind = at.expect(der::OID, "an attribute type")?;
            let values = at.expect(der::SET, "the attribute's values")?;
            let Ok(value) = values.reader().read() else {
                continue;
            };
            if kind.is_oid(&CONTENT_TYPE) {
                sod.content_type_is_lds = value.is_oid(&LDS_SECURITY_OBJECT);
            } else if kind.is_oid(&MESSAGE_DIGEST) && value.tag == der::OCTET_STRING {
                sod.message_digest = Some(value.content.to_vec());
            } else if kind.is_oid(&SIGNING_TIME) {
                sod.signing_time = value.time().ok();
            }
        }
        let algorithm = r.expect(der::SEQUENCE, "the signature algorithm")?;
        if !algorithm
            .reader()
            .expect(der::OID, "the signature algorithm")?
            .is_oid(&pki::ECDSA_WITH_SHA256)
        {
            return Err(DerError::Invalid {
                at: algorithm.at,
                what: "a signature algorithm other than ecdsa-with-SHA256",
            });
        }
        sod.signature = r
            .expect(der::OCTET_STRING, "the signature")?
            .content
            .to_vec();
        Ok(sod)
    }

    /// The certificate of the signer, among those EF.SOD carries.
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.certificates
            .iter()
            .find(|c| c.issuer == self.signer_issuer && c.serial == self.signer_serial)
    }

    /// Whether the message digest attribute is the SHA-256 of the content.
    pub fn digest_matches(&self) -> bool {
        self.message_digest.as_deref() == Some(Sha256::digest(&self.content).as_slice())
    }

    /// Whether `signer` made the signature over the signed attributes.
    pub fn signature_valid(&self, signer: &Certificate) -> bool {
        pki::verify(&signer.public_key, &self.signed_attributes, &self.signature)
    }
}
