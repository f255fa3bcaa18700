//! The chip's files (ICAO Doc 9303-10, the Logical Data Structure), each written and read
//! back: EF.COM, EF.DG1 (the MRZ), EF.DG2 (the portrait in an ISO/IEC 19794-5 facial
//! record), EF.DG13 (Vietnam's own fields), EF.DG14 and EF.CardAccess (SecurityInfos of
//! BSI TR-03110 and Doc 9303-11 §9.2), EF.DG15 (the Active Authentication public key).
//! EF.SOD is in `sod.rs`. Every parser returns what its encoder takes, so that
//! `parse(encode(x)) == x`, and refuses, never panics on, anything else.

use std::fmt;

use crate::der::{self, DerError, Tlv};

/// LDS version 1.7 and Unicode 4.0.0, as EF.COM states them (Doc 9303-10 §4.6.1).
pub const LDS_VERSION: &str = "0107";
pub const UNICODE_VERSION: &str = "040000";

/// The files of a Vietnamese card's chip, in the order a reader lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ElementaryFile {
    Com,
    CardAccess,
    Dg1,
    Dg2,
    Dg13,
    Dg14,
    Dg15,
    Sod,
}

impl ElementaryFile {
    pub const ALL: [ElementaryFile; 8] = [
        ElementaryFile::Com,
        ElementaryFile::CardAccess,
        ElementaryFile::Dg1,
        ElementaryFile::Dg2,
        ElementaryFile::Dg13,
        ElementaryFile::Dg14,
        ElementaryFile::Dg15,
        ElementaryFile::Sod,
    ];

    /// The data groups the security object hashes, in number order.
    pub const DATA_GROUPS: [ElementaryFile; 5] = [
        ElementaryFile::Dg1,
        ElementaryFile::Dg2,
        ElementaryFile::Dg13,
        ElementaryFile::Dg14,
        ElementaryFile::Dg15,
    ];

    /// `COM`, `DG1`, …: the key of the API's `ef` object.
    pub fn name(self) -> &'static str {
        match self {
            ElementaryFile::Com => "COM",
            ElementaryFile::CardAccess => "CardAccess",
            ElementaryFile::Dg1 => "DG1",
            ElementaryFile::Dg2 => "DG2",
            ElementaryFile::Dg13 => "DG13",
            ElementaryFile::Dg14 => "DG14",
            ElementaryFile::Dg15 => "DG15",
            ElementaryFile::Sod => "SOD",
        }
    }

    /// `EF.COM`, `EF.DG1`, …: the file name in a directory of chip files.
    pub fn file_name(self) -> String {
        format!("EF.{}", self.name())
    }

    pub fn parse(name: &str) -> Option<ElementaryFile> {
        let name = name.strip_prefix("EF.").unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The short file identifier the personalisation machine writes it under.
    pub fn file_id(self) -> u16 {
        match self {
            ElementaryFile::Com => 0x011E,
            ElementaryFile::CardAccess => 0x011C,
            ElementaryFile::Dg1 => 0x0101,
            ElementaryFile::Dg2 => 0x0102,
            ElementaryFile::Dg13 => 0x010D,
            ElementaryFile::Dg14 => 0x010E,
            ElementaryFile::Dg15 => 0x010F,
            ElementaryFile::Sod => 0x011D,
        }
    }

    /// The data group's number, for a data group.
    pub fn data_group(self) -> Option<u8> {
        match self {
            ElementaryFile::Dg1 => Some(1),
            ElementaryFile::Dg2 => Some(2),
            ElementaryFile::Dg13 => Some(13),
            ElementaryFile::Dg14 => Some(14),
            ElementaryFile::Dg15 => Some(15),
            _ => None,
        }
    }

    pub fn from_data_group(number: u64) -> Option<ElementaryFile> {
        Self::DATA_GROUPS
            .into_iter()
            .find(|f| f.data_group().map(u64::from) == Some(number))
    }

    /// The data group's outer tag (Doc 9303-10 Table 34).
    pub fn tag(self) -> Option<u8> {
        match self {
            ElementaryFile::Com => Some(0x60),
            ElementaryFile::Dg1 => Some(0x61),
            ElementaryFile::Dg2 => Some(0x75),
            ElementaryFile::Dg13 => Some(0x6D),
            ElementaryFile::Dg14 => Some(0x6E),
            ElementaryFile::Dg15 => Some(0x6F),
            ElementaryFile::Sod => Some(0x77),
            ElementaryFile::CardAccess => None,
        }
    }
}

impl fmt::Display for ElementaryFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EF.{}", self.name())
    }
}

/// Why a chip file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct LdsError {
    pub file: ElementaryFile,
    pub problem: LdsProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdsProblem {
    #[error(transparent)]
    Encoding(#[from] DerError),
    #[error("{0}")]
    Content(String),
}

fn error(file: ElementaryFile) -> impl Fn(DerError) -> LdsError {
    move |e| LdsError {
        file,
        problem: LdsProblem::Encoding(e),
    }
}

fn content_error(file: ElementaryFile, what: impl Into<String>) -> LdsError {
    LdsError {
        file,
        problem: LdsProblem::Content(what.into()),
    }
}

fn outer(file: ElementaryFile, bytes: &[u8]) -> Result<Tlv<'_>, LdsError> {
    let tag = file.tag().map(u32::from).unwrap_or(der::SET);
    der::whole(bytes, tag, "the file's own tag").map_err(error(file))
}

// ---------------------------------------------------------------------------------------
// EF.COM

/// EF.COM: the LDS and Unicode versions and the tags of the data groups present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Com {
    pub lds_version: String,
    pub unicode_version: String,
    pub tags: Vec<u8>,
}

impl Com {
    /// EF.COM for the data groups of a Vietnamese card.
    pub fn vietnamese_card() -> Com {
        Com {
            lds_version: LDS_VERSION.to_owned(),
            unicode_version: UNICODE_VERSION.to_owned(),
            tags: ElementaryFile::DATA_GROUPS
                .into_iter()
                .filter_map(ElementaryFile::tag)
                .collect(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        der::constructed(
            0x60,
            &[
                &der::tlv(0x5F01, self.lds_version.as_bytes()),
                &der::tlv(0x5F36, self.unicode_version.as_bytes()),
                &der::tlv(0x5C, &self.tags),
            ],
        )
    }

    pub fn parse(bytes: &[u8]) -> Result<Com, LdsError> {
        let file = ElementaryFile::Com;
        let e = error(file);
        let mut r = outer(file, bytes)?.reader();
        let lds = r.expect(0x5F01, "the LDS version (5F01)").map_err(&e)?;
        let unicode = r.expect(0x5F36, "the Unicode version (5F36)").map_err(&e)?;
        let tags = r.expect(0x5C, "the tag list (5C)").map_err(&e)?;
        r.finish("EF.COM").map_err(&e)?;
        Ok(Com {
            lds_version: lds.text().map_err(&e)?.to_owned(),
            unicode_version: unicode.text().map_err(&e)?.to_owned(),
            tags: tags.content.to_vec(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// EF.DG1

/// EF.DG1: the MRZ exactly as printed, its lines joined without separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg1 {
    pub mrz: String,
}

impl Dg1 {
    pub fn from_lines<S: AsRef<str>>(lines: &[S]) -> Dg1 {
        Dg1 {
            mrz: lines.iter().map(AsRef::as_ref).collect(),
        }
    }

    /// The printed lines: three of 30 (TD1), two of 36 (TD2) or two of 44 (TD3).
    pub fn lines(&self) -> Vec<&str> {
        let width = match self.mrz.len() {
            90 => 30,
            72 => 36,
            88 => 44,
            _ => return vec![self.mrz.as_str()],
        };
        (0..self.mrz.len() / width)
            .filter_map(|i| self.mrz.get(i * width..(i + 1) * width))
            .collect()
    }

    pub fn encode(&self) -> Vec<u8> {
        der::constructed(0x61, &[&der::tlv(0x5F1F, self.mrz.as_bytes())])
    }

    pub fn parse(bytes: &[u8]) -> Result<Dg1, LdsError> {
        let file = ElementaryFile::Dg1;
        let e = error(file);
        let mut r = outer(file, bytes)?.reader();
        let mrz = r.expect(0x5F1F, "the MRZ (5F1F)").map_err(&e)?;
        r.finish("EF.DG1").map_err(&e)?;
        let mrz = mrz.text().map_err(&e)?;
        if !mrz
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')
        {
            return Err(content_error(
                file,
                "the MRZ holds a character outside A–Z, 0–9 and <",
            ));
        }
        Ok(Dg1 {
            mrz: mrz.to_owned(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// EF.DG2

/// The image types of an ISO/IEC 19794-5:2005 facial record (§5.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceImageType {
    Jpeg,
    Jpeg2000,
}

impl FaceImageType {
    fn code(self) -> u8 {
        match self {
            FaceImageType::Jpeg => 0x00,
            FaceImageType::Jpeg2000 => 0x01,
        }
    }
}

/// The holder's sex as the facial record's header writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceGender {
    Unspecified,
    Male,
    Female,
}

impl FaceGender {
    fn code(self) -> u8 {
        match self {
            FaceGender::Unspecified => 0,
            FaceGender::Male => 1,
            FaceGender::Female => 2,
        }
    }

    fn from_code(code: u8) -> Option<FaceGender> {
        match code {
            0 => Some(FaceGender::Unspecified),
            1 => Some(FaceGender::Male),
            2 => Some(FaceGender::Female),
            _ => None,
        }
    }
}

/// EF.DG2: one portrait, the image bytes exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2 {
    pub image_type: FaceImageType,
    pub width: u16,
    pub height: u16,
    pub gender: FaceGender,
    pub image: Vec<u8>,
}

/// ISO/IEC 19794-5:2005: the record header (format "FAC", version "010", length, count),
/// then per image a block of 20 bytes of facial information and 12 of image information.
const FACE_RECORD_HEADER: usize = 14;
/// "FAC", a zero, "010", a zero: the format identifier and version.
const FACE_RECORD_FORMAT: &[u8; 8] = b"FAC\x00010\x00";
const FACE_INFO: usize = 20;
const IMAGE_INFO: usize = 12;
/// "Full frontal" (§5.7.1), what ICAO requires of a document portrait.
const FULL_FRONTAL: u8 = 0x01;

impl Dg2 {
    /// The ISO/IEC 19794-5 facial record that carries the image.
    /// Images over 4 GB do not exist at intake; their lengths would saturate.
    pub fn facial_record(&self) -> Vec<u8> {
        let block = FACE_INFO + IMAGE_INFO + self.image.len();
        let record = FACE_RECORD_HEADER + block;
        let mut out = Vec::with_capacity(record);
        out.extend_from_slice(FACE_RECORD_FORMAT);
        out.extend_from_slice(&u32::try_from(record).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        // Facial information: block length, no feature points, gender, eye and hair colour
        // unspecified, no properties, neutral expression unspecified, pose angles unspecified.
        out.extend_from_slice(&u32::try_from(block).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.push(self.gender.code());
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // Image information: type, data type, width, height, colour space, source and
        // device type, quality, all but the first four unspecified.
        out.push(FULL_FRONTAL);
        out.push(self.image_type.code());
        out.extend_from_slice(&self.width.to_be_bytes());
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&self.image);
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        // The biometric header template (ISO/IEC 7816-11): ICAO header version 1.1,
        // biometric type "facial features", format owner JTC 1/SC 37, format type face.
        let header = der::constructed(
            0xA1,
            &[
                &der::tlv(0x80, &[0x01, 0x01]),
                &der::tlv(0x81, &[0x02]),
                &der::tlv(0x87, &[0x01, 0x01]),
                &der::tlv(0x88, &[0x00, 0x08]),
            ],
        );
        let template =
            der::constructed(0x7F60, &[&header, &der::tlv(0x5F2E, &self.facial_record())]);
        let group = der::constructed(0x7F61, &[&der::tlv(0x02, &[1]), &template]);
        der::tlv(0x75, &group)
    }

    pub fn parse(bytes: &[u8]) -> Result<Dg2, LdsError> {
        let file = ElementaryFile::Dg2;
        let e = error(file);
        let mut r = outer(file, bytes)?.reader();
        let group = r
            .expect(0x7F61, "the biometric information group (7F61)")
            .map_err(&e)?;
        r.finish("EF.DG2").map_err(&e)?;
        let mut g = group.reader();
        let count = g.expect(0x02, "the number of portraits (02)").map_err(&e)?;
        if count.content != [1] {
            return Err(content_error(
                file,
                "a card's chip holds exactly one portrait",
            ));
        }
        let template = g
            .expect(0x7F60, "the biometric information template (7F60)")
            .map_err(&e)?;
        g.finish("the biometric information group").map_err(&e)?;
        let mut t = template.reader();
        let header = t
            .expect(0xA1, "the biometric header template (A1)")
            .map_err(&e)?;
        let mut h = header.reader();
        while !h.is_empty() {
            let element = h.read().map_err(&e)?;
            if element.tag == 0x81 && element.content != [0x02] {
                return Err(content_error(
                    file,
                    "the biometric type is not the face (02)",
                ));
            }
        }
        let block = t
            .expect(0x5F2E, "the biometric data block (5F2E)")
            .map_err(&e)?;
        t.finish("the biometric information template").map_err(&e)?;
        Self::read_facial_record(block.content).map_err(|m| content_error(file, m))
    }

    fn read_facial_record(record: &[u8]) -> Result<Dg2, String> {
        let short = || "the facial record is cut short".to_owned();
        let u16_at = |i: usize| {
            record
                .get(i..i + 2)
                .and_then(|b| b.try_into().ok())
                .map(u16::from_be_bytes)
                .ok_or_else(short)
        };
        let u32_at = |i: usize| {
            record
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
                .ok_or_else(short)
        };
        if record.get(0..8) != Some(FACE_RECORD_FORMAT) {
            return Err(
                "the facial record is not ISO/IEC 19794-5 version 010 (\"FAC\\0010\\0\")".into(),
            );
        }
        if u32_at(8)? as usize != record.len() {
            return Err("the facial record's length is not the data block's".into());
        }
        if u16_at(12)? != 1 {
            return Err("the facial record holds other than one image".into());
        }
        let block = u32_at(14)? as usize;
        if FACE_RECORD_HEADER.checked_add(block) != Some(record.len()) {
            return Err("the facial information's block length is not the record's".into());
        }
        let points = usize::from(u16_at(18)?);
        let gender = FaceGender::from_code(*record.get(20).ok_or_else(short)?)
            .ok_or("the facial record's gender is not 0, 1 or 2")?;
        let info = FACE_RECORD_HEADER + FACE_INFO + 8 * points;
        let image_type = match record.get(info + 1) {
            Some(0x00) => FaceImageType::Jpeg,
            Some(0x01) => FaceImageType::Jpeg2000,
            Some(_) => return Err("the image is neither JPEG nor JPEG 2000".into()),
            None => return Err(short()),
        };
        Ok(Dg2 {
            image_type,
            width: u16_at(info + 2)?,
            height: u16_at(info + 4)?,
            gender,
            image: record.get(info + IMAGE_INFO..).ok_or_else(short)?.to_vec(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// EF.DG13

/// DG13's field that holds the old 9- or 12-digit CMND. Most public readers of the 2021
/// card take it from field 15; one published profile of the 2024 card reads it from 16.
/// We write 15, the numbering DESIGN §4 gives, and read either.
pub const DG13_OLD_ID_FIELD: u64 = 15;
/// What the expiry field (12) of a lifelong card says: "without time limit".
pub const DG13_NO_EXPIRY: &str = "Không thời hạn";
/// The object identifier that opens DG13. The ministry's own is not published; this one
/// sits under Vietnam's country arc (joint-iso-itu-t country(16) vn(704)) and is a
/// stand-in a deployment replaces with the ministry's.
pub const DG13_PROFILE_OID: [u64; 6] = [2, 16, 704, 1, 13, 1];

/// Vietnam's DG13: the citizen's fields as the card prints them, with diacritics, in
/// Unicode NFC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dg13 {
    /// 1: the 12-digit personal ID.
    pub personal_id: String,
    /// 2
    pub full_name: String,
    /// 3: dd/mm/yyyy
    pub birth_date: String,
    /// 4: "Nam" or "Nữ"
    pub sex: String,
    /// 5
    pub nationality: String,
    /// 6
    pub ethnicity: String,
    /// 7
    pub religion: String,
    /// 8: quê quán
    pub hometown: String,
    /// 9: nơi thường trú
    pub permanent_residence: String,
    /// 10: đặc điểm nhân dạng
    pub identifying_marks: String,
    /// 11: dd/mm/yyyy
    pub issue_date: String,
    /// 12: dd/mm/yyyy, or [`DG13_NO_EXPIRY`]
    pub expiry: String,
    /// 13, first value
    pub father: String,
    /// 13, second value
    pub mother: String,
    /// 14
    pub spouse: String,
    /// 15 ([`DG13_OLD_ID_FIELD`])
    pub old_id: String,
}

impl Dg13 {
    /// The numbered fields, each with its values, in number order.
    fn fields(&self) -> Vec<(u64, Vec<&str>)> {
        vec![
            (1, vec![self.personal_id.as_str()]),
            (2, vec![&self.full_name]),
            (3, vec![&self.birth_date]),
            (4, vec![&self.sex]),
            (5, vec![&self.nationality]),
            (6, vec![&self.ethnicity]),
            (7, vec![&self.religion]),
            (8, vec![&self.hometown]),
            (9, vec![&self.permanent_residence]),
            (10, vec![&self.identifying_marks]),
            (11, vec![&self.issue_date]),
            (12, vec![&self.expiry]),
            (13, vec![&self.father, &self.mother]),
            (14, vec![&self.spouse]),
            (DG13_OLD_ID_FIELD, vec![&self.old_id]),
        ]
    }

    fn field_mut(&mut self, number: u64, index: usize) -> Option<&mut String> {
        Some(match (number, index) {
            (1, 0) => &mut self.personal_id,
            (2, 0) => &mut self.full_name,
            (3, 0) => &mut self.birth_date,
            (4, 0) => &mut self.sex,
            (5, 0) => &mut self.nationality,
            (6, 0) => &mut self.ethnicity,
            (7, 0) => &mut self.religion,
            (8, 0) => &mut self.hometown,
            (9, 0) => &mut self.permanent_residence,
            (10, 0) => &mut self.identifying_marks,
            (11, 0) => &mut self.issue_date,
            (12, 0) => &mut self.expiry,
            (13, 0) => &mut self.father,
            (13, 1) => &mut self.mother,
            (14, 0) => &mut self.spouse,
            (15 | 16, 0) => &mut self.old_id,
            _ => return None,
        })
    }

    /// Digits and dates are PrintableString; names, places and the expiry (which may be
    /// [`DG13_NO_EXPIRY`]) are UTF8String.
    fn printable(number: u64) -> bool {
        matches!(number, 1 | 3 | 11) || number == DG13_OLD_ID_FIELD
    }

    pub fn encode(&self) -> Vec<u8> {
        let fields: Vec<Vec<u8>> = self
            .fields()
            .into_iter()
            .map(|(number, values)| {
                let mut parts = vec![der::integer(number)];
                for value in values {
                    let printable = Self::printable(number)
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'/');
                    parts.push(if printable {
                        der::printable(value)
                    } else {
                        der::utf8(value)
                    });
                }
                der::tlv(der::SEQUENCE, &parts.concat())
            })
            .collect();
        let body = der::sequence(&[
            &der::integer(1),
            &der::oid(&DG13_PROFILE_OID),
            &der::set_of(fields),
        ]);
        der::tlv(0x6D, &body)
    }

    pub fn parse(bytes: &[u8]) -> Result<Dg13, LdsError> {
        let file = ElementaryFile::Dg13;
        let e = error(file);
        let mut r = outer(file, bytes)?.reader();
        let body = r.expect(der::SEQUENCE, "a SEQUENCE").map_err(&e)?;
        r.finish("EF.DG13").map_err(&e)?;
        let mut b = body.reader();
        let version = b.expect(der::INTEGER, "the version").map_err(&e)?;
        if version.small_unsigned().map_err(&e)? != 1 {
            return Err(content_error(file, "the version is not 1"));
        }
        b.expect(der::OID, "the profile's object identifier")
            .map_err(&e)?;
        let set = b.expect(der::SET, "the SET of fields").map_err(&e)?;
        b.finish("EF.DG13").map_err(&e)?;
        let mut out = Dg13::default();
        let mut s = set.reader();
        let mut seen = Vec::new();
        while !s.is_empty() {
            let field = s.expect(der::SEQUENCE, "a field").map_err(&e)?;
            let mut f = field.reader();
            let number = f
                .expect(der::INTEGER, "the field's number")
                .map_err(&e)?
                .small_unsigned()
                .map_err(&e)?;
            if seen.contains(&number) {
                return Err(content_error(file, format!("field {number} appears twice")));
            }
            seen.push(number);
            let mut index = 0;
            while !f.is_empty() {
                let value = f.read().map_err(&e)?;
                if !matches!(value.tag, der::UTF8_STRING | der::PRINTABLE_STRING) {
                    return Err(content_error(file, format!("field {number} is not text")));
                }
                let text = value.text().map_err(&e)?;
                // Fields this profile does not know are skipped, as a reader would.
                if let Some(slot) = out.field_mut(number, index) {
                    *slot = text.to_owned();
                }
                index += 1;
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// EF.DG14, EF.CardAccess

/// BSI TR-03110's arc (bsi-de, 0.4.0.127.0.7) and the protocols under it this card uses.
pub mod oids {
    pub const PK_ECDH: [u64; 9] = [0, 4, 0, 127, 0, 7, 2, 2, 1];
    pub const CA_ECDH_AES_CBC_CMAC_128: [u64; 10] = [0, 4, 0, 127, 0, 7, 2, 2, 3, 2];
    pub const PACE_ECDH_GM_AES_CBC_CMAC_128: [u64; 10] = [0, 4, 0, 127, 0, 7, 2, 2, 4, 2];
    /// id-icao-mrtd-security-aaProtocolObject (Doc 9303-11 §6.1).
    pub const AA_PROTOCOL: [u64; 6] = [2, 23, 136, 1, 1, 5];
    /// ecdsa-plain-SHA256 (BSI TR-03111 §5.2.1): Active Authentication's signature is
    /// the plain r ‖ s, as Doc 9303-11 §6.1 has the chip return it.
    pub const ECDSA_PLAIN_SHA256: [u64; 11] = [0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3];
}

/// The PACE parameter set "NIST P-256" (TR-03110-3 Table 4).
pub const PACE_P256: u64 = 12;

fn pk_ecdh() -> Vec<u64> {
    let mut arcs = oids::PK_ECDH.to_vec();
    arcs.push(2);
    arcs
}

fn ca_protocol() -> Vec<u64> {
    let mut arcs = oids::CA_ECDH_AES_CBC_CMAC_128.to_vec();
    arcs.push(2);
    arcs
}

fn pace_protocol() -> Vec<u64> {
    let mut arcs = oids::PACE_ECDH_GM_AES_CBC_CMAC_128.to_vec();
    arcs.push(2);
    arcs
}

/// One SecurityInfo (TR-03110-3 §A.1.1, Doc 9303-11 §9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfo {
    /// id-CA-ECDH-AES-CBC-CMAC-128, version 1.
    ChipAuthentication { version: u64 },
    /// id-PK-ECDH with the chip's public key as a SubjectPublicKeyInfo.
    ChipAuthenticationPublicKey { public_key: Vec<u8> },
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, a standard parameter set.
    Pace { version: u64, parameter_id: u64 },
    /// Active Authentication with ECDSA: the hash the terminal uses.
    ActiveAuthentication {
        version: u64,
        signature_algorithm: Vec<u64>,
    },
    /// Anything else a reader meets, kept as it came.
    Other(Vec<u8>),
}

impl SecurityInfo {
    fn encode(&self) -> Vec<u8> {
        match self {
            SecurityInfo::ChipAuthentication { version } => {
                der::sequence(&[&der::oid(&ca_protocol()), &der::integer(*version)])
            }
            SecurityInfo::ChipAuthenticationPublicKey { public_key } => {
                der::sequence(&[&der::oid(&pk_ecdh()), public_key])
            }
            SecurityInfo::Pace {
                version,
                parameter_id,
            } => der::sequence(&[
                &der::oid(&pace_protocol()),
                &der::integer(*version),
                &der::integer(*parameter_id),
            ]),
            SecurityInfo::ActiveAuthentication {
                version,
                signature_algorithm,
            } => der::sequence(&[
                &der::oid(&oids::AA_PROTOCOL),
                &der::integer(*version),
                &der::oid(signature_algorithm),
            ]),
            SecurityInfo::Other(raw) => raw.clone(),
        }
    }

    fn parse(element: Tlv<'_>) -> Result<SecurityInfo, DerError> {
        let mut r = element.reader();
        let protocol = r.expect(der::OID, "a protocol")?;
        let known = if protocol.is_oid(&ca_protocol()) {
            let version = r.expect(der::INTEGER, "a version")?.small_unsigned()?;
            r.optional(der::INTEGER)?
                .is_none()
                .then_some(SecurityInfo::ChipAuthentication { version })
        } else if protocol.is_oid(&pk_ecdh()) {
            let key = r.expect(der::SEQUENCE, "a SubjectPublicKeyInfo")?;
            r.optional(der::INTEGER)?
                .is_none()
                .then(|| SecurityInfo::ChipAuthenticationPublicKey {
                    public_key: key.raw.to_vec(),
                })
        } else if protocol.is_oid(&pace_protocol()) {
            let version = r.expect(der::INTEGER, "a version")?.small_unsigned()?;
            let parameter_id = r.expect(der::INTEGER, "a parameter id")?.small_unsigned()?;
            Some(SecurityInfo::Pace {
                version,
                parameter_id,
            })
        } else if protocol.is_oid(&oids::AA_PROTOCOL) {
            let version = r.expect(der::INTEGER, "a version")?.small_unsigned()?;
            let algorithm = r.expect(der::OID, "a signature algorithm")?.oid_arcs()?;
            Some(SecurityInfo::ActiveAuthentication {
                version,
                signature_algorithm: algorithm,
            })
        } else {
            None
        };
        Ok(match known {
            Some(info) if r.is_empty() => info,
            _ => SecurityInfo::Other(element.raw.to_vec()),
        })
    }
}

/// The SET OF SecurityInfo of EF.DG14 and EF.CardAccess, in DER order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfos(Vec<SecurityInfo>);

impl SecurityInfos {
    /// Puts the infos in the order DER writes them, so that parsing gives back the same.
    pub fn new(mut infos: Vec<SecurityInfo>) -> SecurityInfos {
        infos.sort_by_key(SecurityInfo::encode);
        SecurityInfos(infos)
    }

    pub fn infos(&self) -> &[SecurityInfo] {
        &self.0
    }

    /// PACE with the CAN over NIST P-256, as EF.CardAccess and DG14 announce it.
    pub fn pace() -> SecurityInfo {
        SecurityInfo::Pace {
            version: 2,
            parameter_id: PACE_P256,
        }
    }

    /// DG14 of a Vietnamese card: Chip Authentication with the chip's key, PACE, and
    /// Active Authentication by plain ECDSA with SHA-256.
    pub fn chip(chip_authentication_key: Vec<u8>) -> SecurityInfos {
        SecurityInfos::new(vec![
            SecurityInfo::ChipAuthentication { version: 1 },
            SecurityInfo::ChipAuthenticationPublicKey {
                public_key: chip_authentication_key,
            },
            Self::pace(),
            SecurityInfo::ActiveAuthentication {
                version: 1,
                signature_algorithm: oids::ECDSA_PLAIN_SHA256.to_vec(),
            },
        ])
    }

    fn set(&self) -> Vec<u8> {
        der::set_of(self.0.iter().map(SecurityInfo::encode).collect())
    }

    fn from_set(file: ElementaryFile, set: Tlv<'_>) -> Result<SecurityInfos, LdsError> {
        let e = error(file);
        let mut r = set.reader();
        let mut infos = Vec::new();
        while !r.is_empty() {
            let element = r.expect(der::SEQUENCE, "a SecurityInfo").map_err(&e)?;
            infos.push(SecurityInfo::parse(element).map_err(&e)?);
        }
        if infos.is_empty() {
            return Err(content_error(file, "no SecurityInfo"));
        }
        Ok(SecurityInfos(infos))
    }

    /// EF.DG14: the SET under tag 0x6E.
    pub fn encode_dg14(&self) -> Vec<u8> {
        der::tlv(0x6E, &self.set())
    }

    pub fn parse_dg14(bytes: &[u8]) -> Result<SecurityInfos, LdsError> {
        let file = ElementaryFile::Dg14;
        let mut r = outer(file, bytes)?.reader();
        let set = r
            .expect(der::SET, "a SET of SecurityInfo")
            .map_err(error(file))?;
        r.finish("EF.DG14").map_err(error(file))?;
        Self::from_set(file, set)
    }

    /// EF.CardAccess: the bare SET.
    pub fn encode_card_access(&self) -> Vec<u8> {
        self.set()
    }

    pub fn parse_card_access(bytes: &[u8]) -> Result<SecurityInfos, LdsError> {
        let file = ElementaryFile::CardAccess;
        Self::from_set(file, outer(file, bytes)?)
    }

    /// The Chip Authentication public key, if DG14 has one.
    pub fn chip_authentication_key(&self) -> Option<&[u8]> {
        self.0.iter().find_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey { public_key } => Some(public_key.as_slice()),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------------------
// EF.DG15

/// EF.DG15: the Active Authentication public key as a SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg15 {
    pub public_key: Vec<u8>,
}

impl Dg15 {
    pub fn encode(&self) -> Vec<u8> {
        der::tlv(0x6F, &self.public_key)
    }

    pub fn parse(bytes: &[u8]) -> Result<Dg15, LdsError> {
        let file = ElementaryFile::Dg15;
        let e = error(file);
        let mut r = outer(file, bytes)?.reader();
        let key = r
            .expect(der::SEQUENCE, "a SubjectPublicKeyInfo")
            .map_err(&e)?;
        r.finish("EF.DG15").map_err(&e)?;
        Ok(Dg15 {
            public_key: key.raw.to_vec(),
        })
    }
}

/// Reads the raw element of a file without knowing it, for the parsers' fuzz target.
pub fn parse_any(file: ElementaryFile, bytes: &[u8]) -> Result<(), LdsError> {
    match file {
        ElementaryFile::Com => Com::parse(bytes).map(drop),
        ElementaryFile::CardAccess => SecurityInfos::parse_card_access(bytes).map(drop),
        ElementaryFile::Dg1 => Dg1::parse(bytes).map(drop),
        ElementaryFile::Dg2 => Dg2::parse(bytes).map(drop),
        ElementaryFile::Dg13 => Dg13::parse(bytes).map(drop),
        ElementaryFile::Dg14 => SecurityInfos::parse_dg14(bytes).map(drop),
        ElementaryFile::Dg15 => Dg15::parse(bytes).map(drop),
        ElementaryFile::Sod => crate::sod::Sod::parse(bytes).map(drop),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failed test panics"
)]
mod tests {
    use super::*;
    use crate::der::Reader;

    /// DESIGN §4's open question: the old CMND goes in field 15, and a chip that has it in
    /// 16 (one published profile) is read all the same.
    #[test]
    fn dg13_writes_the_old_cmnd_in_field_15_and_reads_16_too() {
        assert_eq!(DG13_OLD_ID_FIELD, 15);
        let dg13 = Dg13 {
            old_id: "183456789".into(),
            ..Dg13::default()
        };
        let encoded = dg13.encode();
        let needle = [der::integer(15), der::printable("183456789")].concat();
        assert!(
            encoded
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        );
        let sixteen: Vec<u8> = encoded
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .map(|at| {
                let mut e = encoded.clone();
                e[at + 2] = 16;
                e
            })
            .unwrap();
        assert_eq!(Dg13::parse(&sixteen).unwrap().old_id, "183456789");
    }

    /// DESIGN §4's other question: a lifelong card's DG1 carries the MRZ as printed, with
    /// 991231 (`NO_EXPIRY`) for its expiry, and DG13 says "Không thời hạn".
    #[test]
    fn a_lifelong_card_writes_991231_in_dg1_and_no_time_limit_in_dg13() {
        let lines = crate::VnmCard::new(
            "042058000123",
            "Lê Thị Hạnh",
            crate::BirthDate::full(jiff::civil::date(1958, 2, 1)).unwrap(),
            crate::Sex::Female,
            None,
        )
        .unwrap()
        .encode();
        let dg1 = Dg1::parse(&Dg1::from_lines(&lines).encode()).unwrap();
        assert_eq!(&dg1.lines()[1][8..14], crate::NO_EXPIRY);
        let dg13 = Dg13 {
            expiry: DG13_NO_EXPIRY.into(),
            ..Dg13::default()
        };
        assert_eq!(
            Dg13::parse(&dg13.encode()).unwrap().expiry,
            "Không thời hạn"
        );
        // UTF8String, since PrintableString cannot hold the diacritics.
        let encoded = dg13.encode();
        let mut r = Reader::new(&encoded);
        let outer = r.read().unwrap();
        let header = [0x0C, u8::try_from(DG13_NO_EXPIRY.len()).unwrap()];
        assert!(outer.content.windows(2).any(|w| w == header));
    }
}
