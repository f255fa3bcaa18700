//! The tag-length-value encoding every chip file is made of: ICAO's BER-TLV data groups
//! (Doc 9303-10 §4.4, tags of up to three bytes such as 0x5F1F and 0x7F61) and the DER of
//! the security object, the certificates and the CRL (X.690). One writer and one reader
//! for both: the data groups are DER too when written with definite, minimal lengths,
//! which is all this module writes and all it accepts.
//!
//! The reader never trusts a length: every element must fit in what is left of its
//! parent, a length takes at most four bytes, and nothing recurses on its own (each
//! structure is read by code that knows its shape), so hostile input cannot overflow
//! the stack or allocate more than it is.

use jiff::Timestamp;
use jiff::civil::DateTime;
use thiserror::Error;

pub const INTEGER: u32 = 0x02;
pub const BIT_STRING: u32 = 0x03;
pub const OCTET_STRING: u32 = 0x04;
pub const NULL: u32 = 0x05;
pub const OID: u32 = 0x06;
pub const UTF8_STRING: u32 = 0x0C;
pub const PRINTABLE_STRING: u32 = 0x13;
pub const UTC_TIME: u32 = 0x17;
pub const GENERALIZED_TIME: u32 = 0x18;
pub const BOOLEAN: u32 = 0x01;
pub const SEQUENCE: u32 = 0x30;
pub const SET: u32 = 0x31;

/// `[n]` constructed, context-specific (EXPLICIT tags and constructed IMPLICIT ones).
pub const fn context(n: u8) -> u32 {
    0xA0 | n as u32
}

/// `[n]` primitive, context-specific (IMPLICIT tags of primitive types).
pub const fn context_primitive(n: u8) -> u32 {
    0x80 | n as u32
}

/// What is wrong with an encoding, with the byte where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerError {
    #[error("the data end inside an element that starts at byte {0}")]
    Truncated(usize),
    #[error("the tag at byte {0} is longer than three bytes")]
    LongTag(usize),
    #[error("the length at byte {0} is not a definite length of at most four bytes")]
    Length(usize),
    #[error("byte {at}: tag {found:#X} where {expected} was expected")]
    UnexpectedTag {
        at: usize,
        found: u32,
        expected: &'static str,
    },
    #[error("byte {at}: {count} bytes follow the last element of {what}")]
    Trailing {
        at: usize,
        count: usize,
        what: &'static str,
    },
    #[error("byte {at}: {what}")]
    Invalid { at: usize, what: &'static str },
}

// ---------------------------------------------------------------------------------------
// Writing

/// One element: its tag, its length and its content.
pub fn tlv(tag: u32, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 8);
    for byte in tag.to_be_bytes().into_iter().skip_while(|b| *b == 0) {
        out.push(byte);
    }
    if tag == 0 {
        out.push(0);
    }
    let len = content.len();
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes: Vec<u8> = (len as u64)
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            // At most eight length bytes, so the count fits the low seven bits.
            out.push(0x80 | bytes.len().to_be_bytes()[7]);
            out.extend(bytes);
        }
    }
    out.extend_from_slice(content);
    out
}

/// A constructed element whose content is `parts` one after the other.
pub fn constructed(tag: u32, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    constructed(SEQUENCE, parts)
}

/// A SET OF: DER puts its elements in the order of their encodings (X.690 §11.6).
pub fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(SET, &parts.concat())
}

/// A non-negative INTEGER from its unsigned big-endian bytes.
pub fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let trimmed = bytes.get(first..).unwrap_or_default();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(INTEGER, &content)
}

pub fn integer(value: u64) -> Vec<u8> {
    unsigned(&value.to_be_bytes())
}

pub fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// A BIT STRING of whole bytes (no unused bits).
pub fn bits(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(BIT_STRING, &content)
}

pub fn boolean(value: bool) -> Vec<u8> {
    tlv(BOOLEAN, &[if value { 0xFF } else { 0 }])
}

pub fn utf8(text: &str) -> Vec<u8> {
    tlv(UTF8_STRING, text.as_bytes())
}

pub fn printable(text: &str) -> Vec<u8> {
    tlv(PRINTABLE_STRING, text.as_bytes())
}

/// An OBJECT IDENTIFIER from its arcs; `arcs` has at least two, the first 0–2.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    tlv(OID, &oid_content(arcs))
}

fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    let (first, second) = (arcs.first().copied(), arcs.get(1).copied());
    let head = first.unwrap_or(0) * 40 + second.unwrap_or(0);
    base128(&mut out, head);
    for arc in arcs.iter().skip(2) {
        base128(&mut out, *arc);
    }
    out
}

fn base128(out: &mut Vec<u8>, mut value: u64) {
    let mut groups = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        groups.push(0x80 | (value & 0x7F) as u8);
        value >>= 7;
    }
    out.extend(groups.into_iter().rev());
}

/// X.509's Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
pub fn time(at: Timestamp) -> Vec<u8> {
    let dt = jiff::tz::Offset::UTC.to_datetime(at);
    if dt.year() < 2050 {
        let text = format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            dt.year() % 100,
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        );
        tlv(UTC_TIME, text.as_bytes())
    } else {
        tlv(GENERALIZED_TIME, generalized_text(dt).as_bytes())
    }
}

/// A GeneralizedTime under tag `tag` (PrivateKeyUsagePeriod tags it implicitly).
pub fn generalized_time(tag: u32, at: Timestamp) -> Vec<u8> {
    let dt = jiff::tz::Offset::UTC.to_datetime(at);
    tlv(tag, generalized_text(dt).as_bytes())
}

fn generalized_text(dt: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

// ---------------------------------------------------------------------------------------
// Reading

/// One element as read: its tag, its content, the whole encoding, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u32,
    pub content: &'a [u8],
    pub raw: &'a [u8],
    /// Offset of the tag in the outermost input, for error messages.
    pub at: usize,
}

impl<'a> Tlv<'a> {
    /// A reader over the content, for a constructed element.
    pub fn reader(&self) -> Reader<'a> {
        Reader {
            data: self.content,
            pos: 0,
            base: self.at + (self.raw.len() - self.content.len()),
        }
    }

    fn invalid(&self, what: &'static str) -> DerError {
        DerError::Invalid { at: self.at, what }
    }

    /// A non-negative INTEGER of at most eight bytes.
    pub fn small_unsigned(&self) -> Result<u64, DerError> {
        let bytes = self.unsigned_bytes()?;
        if bytes.len() > 8 {
            return Err(self.invalid("an integer larger than this reader takes"));
        }
        Ok(bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)))
    }

    /// A non-negative INTEGER's magnitude, without the sign byte.
    pub fn unsigned_bytes(&self) -> Result<&'a [u8], DerError> {
        match self.content {
            [] => Err(self.invalid("an integer with no content")),
            [first, ..] if first & 0x80 != 0 => Err(self.invalid("a negative integer")),
            [0, next, ..] if next & 0x80 == 0 => {
                Err(self.invalid("an integer with a needless leading zero"))
            }
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            content => Ok(content),
        }
    }

    /// An OBJECT IDENTIFIER's arcs.
    pub fn oid_arcs(&self) -> Result<Vec<u64>, DerError> {
        let mut arcs = Vec::new();
        let mut value: u64 = 0;
        let mut in_arc = false;
        for byte in self.content {
            if !in_arc && *byte == 0x80 {
                return Err(self.invalid("an object identifier arc with a leading 0x80"));
            }
            if value > (u64::MAX >> 7) {
                return Err(self.invalid("an object identifier arc too large"));
            }
            value = (value << 7) | u64::from(byte & 0x7F);
            in_arc = byte & 0x80 != 0;
            if !in_arc {
                if arcs.is_empty() {
                    let first = (value / 40).min(2);
                    arcs.push(first);
                    arcs.push(value - first * 40);
                } else {
                    arcs.push(value);
                }
                value = 0;
            }
        }
        if in_arc || arcs.is_empty() {
            return Err(self.invalid("an object identifier cut short"));
        }
        Ok(arcs)
    }

    /// Whether this is the OBJECT IDENTIFIER `arcs`.
    pub fn is_oid(&self, arcs: &[u64]) -> bool {
        self.tag == OID && self.content == oid_content(arcs).as_slice()
    }

    /// A BIT STRING with no unused bits.
    pub fn bit_bytes(&self) -> Result<&'a [u8], DerError> {
        match self.content {
            [0, rest @ ..] => Ok(rest),
            _ => Err(self.invalid("a bit string that is not whole bytes")),
        }
    }

    /// Text of a string type, as UTF-8.
    pub fn text(&self) -> Result<&'a str, DerError> {
        std::str::from_utf8(self.content).map_err(|_| self.invalid("text that is not UTF-8"))
    }

    /// A UTCTime or GeneralizedTime in UTC, with seconds and `Z`.
    pub fn time(&self) -> Result<Timestamp, DerError> {
        let text = self.text()?;
        // Byte positions below are character positions only in ASCII.
        if !text.is_ascii() {
            return Err(self.invalid("a time with characters other than digits and Z"));
        }
        let split = |at: usize| text.get(..at).zip(text.get(at..));
        let (year, rest) = match (self.tag, text.len(), split(2), split(4)) {
            (UTC_TIME, 13, Some((yy, rest)), _) => {
                let yy: i16 = digits(yy).ok_or(self.invalid("a malformed UTCTime"))?;
                (if yy < 50 { 2000 + yy } else { 1900 + yy }, rest)
            }
            (tag, 15, _, Some((yyyy, rest))) if tag != UTC_TIME => (
                digits(yyyy).ok_or(self.invalid("a malformed GeneralizedTime"))?,
                rest,
            ),
            _ => return Err(self.invalid("a time that is not YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ")),
        };
        let bad = self.invalid("a time that is not a real UTC date and time");
        if !rest.ends_with('Z') {
            return Err(bad);
        }
        let part = |i: usize| -> Result<i8, DerError> {
            rest.get(i..i + 2).and_then(digits).ok_or(bad.clone())
        };
        let dt =
            jiff::civil::DateTime::new(year, part(0)?, part(2)?, part(4)?, part(6)?, part(8)?, 0)
                .map_err(|_| bad.clone())?;
        jiff::tz::Offset::UTC.to_timestamp(dt).map_err(|_| bad)
    }
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// Reads elements one after the other from a buffer.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            base: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn at(&self) -> usize {
        self.base + self.pos
    }

    /// The next element's tag, if any, without reading it.
    pub fn peek_tag(&self) -> Option<u32> {
        self.clone().read().ok().map(|t| t.tag)
    }

    /// The next element, whatever its tag.
    pub fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let at = self.at();
        let data = self.data;
        let byte = |i: usize| data.get(i).copied().ok_or(DerError::Truncated(at));
        let mut i = start;
        let first = byte(i)?;
        let mut tag = u32::from(first);
        i += 1;
        if first & 0x1F == 0x1F {
            loop {
                if i - start >= 3 {
                    return Err(DerError::LongTag(at));
                }
                let b = byte(i)?;
                tag = (tag << 8) | u32::from(b);
                i += 1;
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let len_byte = byte(i)?;
        i += 1;
        let len = if len_byte < 0x80 {
            usize::from(len_byte)
        } else {
            let count = usize::from(len_byte & 0x7F);
            if count == 0 || count > 4 {
                return Err(DerError::Length(at));
            }
            let mut len = 0usize;
            for _ in 0..count {
                len = (len << 8) | usize::from(byte(i)?);
                i += 1;
            }
            if len < 0x80 || (count > 1 && len >> (8 * (count - 1)) == 0) {
                return Err(DerError::Length(at));
            }
            len
        };
        let end = i.checked_add(len).ok_or(DerError::Truncated(at))?;
        let (Some(content), Some(raw)) = (data.get(i..end), data.get(start..end)) else {
            return Err(DerError::Truncated(at));
        };
        self.pos = end;
        Ok(Tlv {
            tag,
            content,
            raw,
            at,
        })
    }

    /// The next element, which must carry `tag`.
    pub fn expect(&mut self, tag: u32, expected: &'static str) -> Result<Tlv<'a>, DerError> {
        let at = self.at();
        let tlv = self.read()?;
        if tlv.tag != tag {
            return Err(DerError::UnexpectedTag {
                at,
                found: tlv.tag,
                expected,
            });
        }
        Ok(tlv)
    }

    /// The next element if it carries `tag`.
    pub fn optional(&mut self, tag: u32) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails when anything is left.
    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError::Trailing {
                at: self.at(),
                count: self.data.len() - self.pos,
                what,
            })
        }
    }
}

/// The single element that makes up `data`, which must carry `tag`.
pub fn whole<'a>(data: &'a [u8], tag: u32, expected: &'static str) -> Result<Tlv<'a>, DerError> {
    let mut reader = Reader::new(data);
    let tlv = reader.expect(tag, expected)?;
    reader.finish(expected)?;
    Ok(tlv)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a failed test panics"
)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal_and_read_back() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 100_000] {
            let content = vec![7u8; len];
            let encoded = tlv(0x5F2E, &content);
            let read = whole(&encoded, 0x5F2E, "a biometric data block").unwrap();
            assert_eq!(read.content.len(), len);
            assert_eq!(read.raw, encoded.as_slice());
        }
        assert_eq!(tlv(0x04, &[1; 200])[..4], [0x04, 0x81, 200, 1]);
    }

    #[test]
    fn object_identifiers_round_trip() {
        let arcs = [2, 23, 136, 1, 1, 1];
        let encoded = oid(&arcs);
        assert_eq!(encoded, [0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01]);
        let read = whole(&encoded, OID, "an OID").unwrap();
        assert_eq!(read.oid_arcs().unwrap(), arcs);
        assert!(read.is_oid(&arcs));
    }

    #[test]
    fn integers_take_a_sign_byte_when_the_high_bit_is_set() {
        assert_eq!(integer(0), [2, 1, 0]);
        assert_eq!(integer(128), [2, 2, 0, 128]);
        assert_eq!(unsigned(&[0, 0, 1]), [2, 1, 1]);
        let encoded = integer(0x0012_3456_789A);
        let read = whole(&encoded, INTEGER, "an integer").unwrap();
        assert_eq!(read.small_unsigned().unwrap(), 0x0012_3456_789A);
    }

    #[test]
    fn times_switch_to_generalized_in_2050() {
        let at: Timestamp = "2049-12-31T23:59:59Z".parse().unwrap();
        let encoded = time(at);
        assert_eq!(u32::from(encoded[0]), UTC_TIME);
        assert_eq!(whole(&encoded, UTC_TIME, "t").unwrap().time().unwrap(), at);
        let later: Timestamp = "2099-12-31T23:59:59Z".parse().unwrap();
        let encoded = time(later);
        assert_eq!(u32::from(encoded[0]), GENERALIZED_TIME);
        assert_eq!(
            whole(&encoded, GENERALIZED_TIME, "t")
                .unwrap()
                .time()
                .unwrap(),
            later
        );
    }

    #[test]
    fn a_time_with_a_multibyte_character_is_refused_not_sliced() {
        let mut text = "1é".as_bytes().to_vec();
        text.extend_from_slice(b"0101000000Z");
        for tag in [UTC_TIME, GENERALIZED_TIME] {
            let encoded = tlv(
                tag,
                &text[..text.len().min(if tag == UTC_TIME { 13 } else { 15 })],
            );
            let read = whole(&encoded, tag, "t").unwrap();
            assert!(read.time().is_err());
        }
        let mut long = "20é".as_bytes().to_vec();
        long.extend_from_slice(b"0101000000Z");
        let encoded = tlv(GENERALIZED_TIME, &long);
        assert!(
            whole(&encoded, GENERALIZED_TIME, "t")
                .unwrap()
                .time()
                .is_err()
        );
    }

    #[test]
    fn hostile_lengths_are_refused_not_trusted() {
        assert_eq!(
            Reader::new(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).read(),
            Err(DerError::Truncated(0))
        );
        assert_eq!(
            Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).read(),
            Err(DerError::Length(0))
        );
        assert_eq!(Reader::new(&[0x30, 0x80]).read(), Err(DerError::Length(0)));
        assert_eq!(
            Reader::new(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]).read(),
            Err(DerError::Length(0))
        );
        assert_eq!(
            Reader::new(&[0x5F, 0xFF, 0xFF, 0xFF, 0x01]).read(),
            Err(DerError::LongTag(0))
        );
    }
}
