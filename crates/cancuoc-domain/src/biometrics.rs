//! Biometrics taken at intake: the portrait and the fingerprints, checked before they are kept.
//!
//! Circular 60/2021/TT-BCA Art. 5 fixes the order of intake: three flat ("slap") prints —
//! the four right fingers, the four left fingers, the two thumbs — then ten rolled prints
//! from the right thumb to the left little finger; a finger that cannot be printed needs a
//! reason; then the portrait. [`Capture`] holds one such set and refuses one that breaks
//! those rules.
//!
//! What is checked: each file's format from its first bytes (not from its name), its
//! width and height from its header, that its header and segment lengths stay inside the
//! data, that it is complete (ends with its end marker), and the size limits in
//! [`PORTRAIT_LIMITS`], [`ROLLED_LIMITS`] and [`FLAT_LIMITS`]. What is *not* checked: the
//! pixels. Nothing here decodes an image, judges its quality (NFIQ) or compares faces or
//! fingers; that belongs to the capture device and to the identification system.
//!
//! One application's biometrics travel and are stored as one object, the *bundle*
//! ([`Capture::to_bundle`], [`Capture::from_bundle`]), so that the vault writes one file per
//! application instead of fourteen. The database keeps only the [`Manifest`]: formats,
//! sizes and SHA-256 digests, never image bytes.
//!
//! Nothing in this module prints image bytes: [`Image`]'s `Debug` shows its role, format,
//! dimensions and size only.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use thiserror::Error;

// ---- limits ------------------------------------------------------------------------------

/// What one kind of image may be: its formats, its file size and its dimensions in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub formats: &'static [ImageFormat],
    /// Bytes (1 KB = 1,000 bytes).
    pub min_bytes: usize,
    pub max_bytes: usize,
    pub min_width: u32,
    pub min_height: u32,
    pub max_width: u32,
    pub max_height: u32,
}

/// The portrait as the register keeps it: JPEG or PNG, since portraits taken before the
/// chip may be PNG. One taken now must be JPEG ([`Image::parse_taken`]): it goes onto the
/// chip byte for byte, in DG2's ISO/IEC 19794-5 facial record, which takes JPEG or JPEG 2000
/// only (ICAO 9303-10), and no intake camera here produces JPEG 2000. Intake portraits run
/// 20–40 KB; 2 KB is below any real photo of the minimum size and catches empty or broken
/// files, 500 KB leaves room for a lightly compressed PNG. 300 × 400 is the smallest that still gives the ICAO 9303-3 /
/// ISO/IEC 19794-5 minimum of 90 pixels between the eyes; 2000 × 2500 is beyond any
/// camera set for 35 × 45 mm photos and keeps files within the byte limit. The shape is
/// checked too, see [`PORTRAIT_MIN_ASPECT`].
pub const PORTRAIT_LIMITS: Limits = Limits {
    formats: &[ImageFormat::Jpeg, ImageFormat::Png],
    min_bytes: 2_000,
    max_bytes: 500_000,
    min_width: 300,
    min_height: 400,
    max_width: 2_000,
    max_height: 2_500,
};

/// A rolled print of one finger. At 500 ppi the largest rolled print is 1.6 × 1.5 inches
/// (ANSI/NIST-ITL 1-2011, the table of maximum friction ridge image sizes), that is
/// 800 × 750 pixels; 1600 × 1600 leaves room for 1000 ppi scanners. 200 × 200 is below any
/// usable finger at 500 ppi (0.4 inch). WSQ at 15:1 makes a rolled print 20–40 KB; a
/// lossless PNG of 800 × 750 stays under 400 KB.
pub const ROLLED_LIMITS: Limits = Limits {
    formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Wsq],
    min_bytes: 1_000,
    max_bytes: 400_000,
    min_width: 200,
    min_height: 200,
    max_width: 1_600,
    max_height: 1_600,
};

/// A flat print: four fingers or two thumbs side by side. The largest at 500 ppi is the
/// four-finger slap, 3.2 × 2.0 inches (1600 × 1000 pixels, same ANSI/NIST-ITL table); the
/// limit doubles that for 1000 ppi scanners, and the byte limit doubles the rolled one.
pub const FLAT_LIMITS: Limits = Limits {
    formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Wsq],
    min_bytes: 1_000,
    max_bytes: 800_000,
    min_width: 300,
    min_height: 300,
    max_width: 3_200,
    max_height: 2_000,
};

/// The narrowest portrait, as width : height. ICAO 9303-3 and ISO/IEC 19794-5 frame the
/// face upright at about 3:4 (35 × 45 mm photos are 7:9); we accept 3:5 to 9:10 so that any
/// upright crop passes and a landscape photo, a square or a strip does not.
pub const PORTRAIT_MIN_ASPECT: (u32, u32) = (3, 5);
/// The widest portrait, as width : height (see [`PORTRAIT_MIN_ASPECT`]).
pub const PORTRAIT_MAX_ASPECT: (u32, u32) = (9, 10);

/// The longest free-text reason for a missing finger, in characters.
pub const MAX_REASON_CHARS: usize = 200;

// ---- errors ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BiometricError {
    #[error("{role} is empty")]
    Empty { role: ImageRole },
    #[error("{role} is not a {expected} image ({found})")]
    WrongFormat {
        role: ImageRole,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{role} is truncated")]
    Truncated { role: ImageRole },
    #[error("{role} is damaged: {what}")]
    Malformed { role: ImageRole, what: &'static str },
    #[error("{role} is too large a file: {size} bytes, at most {max} allowed")]
    FileTooLarge {
        role: ImageRole,
        size: usize,
        max: usize,
    },
    #[error("{role} is too small a file: {size} bytes, at least {min} needed")]
    FileTooSmall {
        role: ImageRole,
        size: usize,
        min: usize,
    },
    #[error("{role} is {width}×{height} pixels, smaller than the {min_width}×{min_height} needed")]
    TooFewPixels {
        role: ImageRole,
        width: u32,
        height: u32,
        min_width: u32,
        min_height: u32,
    },
    #[error("{role} is {width}×{height} pixels, larger than the {max_width}×{max_height} allowed")]
    TooManyPixels {
        role: ImageRole,
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },
    #[error(
        "{role} is {width}×{height} pixels: a portrait is upright, between 3:5 and 9:10 (width:height)"
    )]
    PortraitShape {
        role: ImageRole,
        width: u32,
        height: u32,
    },
    #[error("{given} was given where {slot} belongs")]
    WrongSlot { slot: ImageRole, given: ImageRole },
    #[error("{flat} is missing although {finger} was taken: take the flat print too")]
    FlatMissing {
        flat: ImageRole,
        finger: FingerPosition,
    },
    #[error("{flat} was given although every finger it shows is recorded missing")]
    FlatWithoutFingers { flat: ImageRole },
    #[error("{0:?} is not a reason for a missing finger")]
    UnknownReason(String),
    #[error("the reason {0} takes no text: choose other to explain in words")]
    ReasonTextNotAllowed(&'static str),
    #[error("the reason for a missing finger is empty")]
    EmptyReason,
    #[error("the reason for a missing finger is longer than {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("the reason for a missing finger contains a control character")]
    ReasonControl,
    #[error("the biometric bundle is not a cancuoc biometric bundle")]
    NotABundle,
    #[error("the biometric bundle is version {0}; this program reads version {BUNDLE_VERSION}")]
    BundleVersion(u8),
    #[error("the biometric bundle is truncated")]
    BundleTruncated,
    #[error("the biometric bundle is damaged at {role}: {what}")]
    BundleDamaged { role: ImageRole, what: &'static str },
    #[error("the biometric bundle has data after its end")]
    BundleTrailing,
}

// ---- positions and roles -----------------------------------------------------------------

/// A finger, in the order of the rolled prints (Circular 60/2021/TT-BCA Art. 5): right
/// thumb to right little, then left thumb to left little. The order is also that of the
/// ANSI/NIST-ITL finger position codes 1–10, see [`FingerPosition::ansi_nist_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerPosition {
    RThumb,
    RIndex,
    RMiddle,
    RRing,
    RLittle,
    LThumb,
    LIndex,
    LMiddle,
    LRing,
    LLittle,
}

impl FingerPosition {
    /// In the order the rolled prints are taken.
    pub const ALL: [Self; 10] = [
        Self::RThumb,
        Self::RIndex,
        Self::RMiddle,
        Self::RRing,
        Self::RLittle,
        Self::LThumb,
        Self::LIndex,
        Self::LMiddle,
        Self::LRing,
        Self::LLittle,
    ];

    /// The stable identifier used in code, the API and files (`r_thumb` … `l_little`).
    pub fn id(self) -> &'static str {
        match self {
            Self::RThumb => "r_thumb",
            Self::RIndex => "r_index",
            Self::RMiddle => "r_middle",
            Self::RRing => "r_ring",
            Self::RLittle => "r_little",
            Self::LThumb => "l_thumb",
            Self::LIndex => "l_index",
            Self::LMiddle => "l_middle",
            Self::LRing => "l_ring",
            Self::LLittle => "l_little",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// The name on the intake form.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::RThumb => "ngón cái phải",
            Self::RIndex => "ngón trỏ phải",
            Self::RMiddle => "ngón giữa phải",
            Self::RRing => "ngón áp út phải",
            Self::RLittle => "ngón út phải",
            Self::LThumb => "ngón cái trái",
            Self::LIndex => "ngón trỏ trái",
            Self::LMiddle => "ngón giữa trái",
            Self::LRing => "ngón áp út trái",
            Self::LLittle => "ngón út trái",
        }
    }

    /// The ANSI/NIST-ITL 1-2011 friction ridge position code (1 = right thumb …
    /// 10 = left little), which fingerprint systems exchange.
    pub fn ansi_nist_code(self) -> u8 {
        match self {
            Self::RThumb => 1,
            Self::RIndex => 2,
            Self::RMiddle => 3,
            Self::RRing => 4,
            Self::RLittle => 5,
            Self::LThumb => 6,
            Self::LIndex => 7,
            Self::LMiddle => 8,
            Self::LRing => 9,
            Self::LLittle => 10,
        }
    }

    /// The flat print this finger appears on.
    pub fn flat(self) -> FlatPosition {
        match self {
            Self::RThumb | Self::LThumb => FlatPosition::Thumbs,
            Self::RIndex | Self::RMiddle | Self::RRing | Self::RLittle => FlatPosition::RightFour,
            Self::LIndex | Self::LMiddle | Self::LRing | Self::LLittle => FlatPosition::LeftFour,
        }
    }

    fn short(self) -> &'static str {
        match self {
            Self::RThumb => "R thumb",
            Self::RIndex => "R index",
            Self::RMiddle => "R middle",
            Self::RRing => "R ring",
            Self::RLittle => "R little",
            Self::LThumb => "L thumb",
            Self::LIndex => "L index",
            Self::LMiddle => "L middle",
            Self::LRing => "L ring",
            Self::LLittle => "L little",
        }
    }
}

impl fmt::Display for FingerPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fingerprint {}", self.short())
    }
}

/// A flat print, in the order taken (Circular 60/2021/TT-BCA Art. 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlatPosition {
    RightFour,
    LeftFour,
    Thumbs,
}

impl FlatPosition {
    pub const ALL: [Self; 3] = [Self::RightFour, Self::LeftFour, Self::Thumbs];

    pub fn id(self) -> &'static str {
        match self {
            Self::RightFour => "right_four",
            Self::LeftFour => "left_four",
            Self::Thumbs => "thumbs",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::RightFour => "bốn ngón tay phải",
            Self::LeftFour => "bốn ngón tay trái",
            Self::Thumbs => "hai ngón cái",
        }
    }

    /// ANSI/NIST-ITL 1-2011 codes of the plain prints: 13 right four, 14 left four, 15 both
    /// thumbs.
    pub fn ansi_nist_code(self) -> u8 {
        match self {
            Self::RightFour => 13,
            Self::LeftFour => 14,
            Self::Thumbs => 15,
        }
    }

    /// The fingers this print shows.
    pub fn fingers(self) -> &'static [FingerPosition] {
        use FingerPosition::*;
        match self {
            Self::RightFour => &[RIndex, RMiddle, RRing, RLittle],
            Self::LeftFour => &[LIndex, LMiddle, LRing, LLittle],
            Self::Thumbs => &[RThumb, LThumb],
        }
    }
}

/// What an image is for: it decides the [`Limits`] it is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageRole {
    Portrait,
    Rolled(FingerPosition),
    Flat(FlatPosition),
}

impl BiometricError {
    /// The refusal as the Vietnamese console says it to the officer at the desk.
    pub fn vietnamese(&self) -> String {
        match self {
            Self::Empty { role } => format!("{}: tệp trống", role.label_vi()),
            Self::WrongFormat { role, expected, .. } => format!(
                "{}: không phải tệp ảnh được nhận ({})",
                role.label_vi(),
                match (*role, *expected) {
                    (ImageRole::Portrait, "JPEG") => "ảnh chân dung phải là JPEG để ghi vào chip",
                    (ImageRole::Portrait, _) => "JPEG, PNG",
                    _ => "JPEG, PNG hoặc WSQ",
                }
            ),
            Self::Truncated { role } => format!(
                "{}: tệp bị cắt cụt, hãy chụp hoặc quét lại",
                role.label_vi()
            ),
            Self::Malformed { role, .. } => format!(
                "{}: tệp ảnh bị hỏng, hãy chụp hoặc quét lại",
                role.label_vi()
            ),
            Self::FileTooLarge { role, size, max } => format!(
                "{}: tệp quá lớn ({} KB, tối đa {} KB)",
                role.label_vi(),
                size / 1000,
                max / 1000
            ),
            Self::FileTooSmall { role, size, min } => format!(
                "{}: tệp quá nhỏ ({size} byte, ít nhất {min} byte)",
                role.label_vi()
            ),
            Self::TooFewPixels {
                role,
                width,
                height,
                min_width,
                min_height,
            } => format!(
                "{}: ảnh {width}×{height} điểm ảnh, nhỏ hơn mức tối thiểu {min_width}×{min_height}",
                role.label_vi()
            ),
            Self::TooManyPixels {
                role,
                width,
                height,
                max_width,
                max_height,
            } => format!(
                "{}: ảnh {width}×{height} điểm ảnh, lớn hơn mức tối đa {max_width}×{max_height}",
                role.label_vi()
            ),
            Self::PortraitShape {
                role,
                width,
                height,
            } => format!(
                "{}: ảnh {width}×{height} điểm ảnh không phải ảnh chân dung đứng (tỷ lệ rộng:cao từ 3:5 đến 9:10)",
                role.label_vi()
            ),
            Self::WrongSlot { slot, given } => {
                format!(
                    "{} được đặt vào ô của {}",
                    given.label_vi(),
                    slot.label_vi()
                )
            }
            Self::FlatMissing { flat, finger } => format!(
                "thiếu {} trong khi đã lăn {}: hãy thu nhận cả vân tay phẳng",
                flat.label_vi(),
                finger.label_vi()
            ),
            Self::FlatWithoutFingers { flat } => format!(
                "{}: đã ghi mọi ngón trong ảnh là không lấy được vân tay",
                flat.label_vi()
            ),
            Self::UnknownReason(_) => {
                "lý do không lấy được vân tay không có trong danh mục".to_owned()
            }
            Self::ReasonTextNotAllowed(_) => {
                "lý do này không kèm lời giải thích: chọn \"lý do khác\" để ghi rõ".to_owned()
            }
            Self::EmptyReason => "chưa ghi lý do không lấy được vân tay".to_owned(),
            Self::ReasonTooLong => {
                format!("lý do không lấy được vân tay dài quá {MAX_REASON_CHARS} ký tự")
            }
            Self::ReasonControl => "lý do không lấy được vân tay chứa ký tự điều khiển".to_owned(),
            Self::NotABundle
            | Self::BundleVersion(_)
            | Self::BundleTruncated
            | Self::BundleDamaged { .. }
            | Self::BundleTrailing => "bộ dữ liệu sinh trắc học đã lưu bị hỏng".to_owned(),
        }
    }
}

impl ImageRole {
    /// In bundle order: the portrait, the ten rolled prints, the three flat prints.
    pub const ALL: [Self; 14] = [
        Self::Portrait,
        Self::Rolled(FingerPosition::RThumb),
        Self::Rolled(FingerPosition::RIndex),
        Self::Rolled(FingerPosition::RMiddle),
        Self::Rolled(FingerPosition::RRing),
        Self::Rolled(FingerPosition::RLittle),
        Self::Rolled(FingerPosition::LThumb),
        Self::Rolled(FingerPosition::LIndex),
        Self::Rolled(FingerPosition::LMiddle),
        Self::Rolled(FingerPosition::LRing),
        Self::Rolled(FingerPosition::LLittle),
        Self::Flat(FlatPosition::RightFour),
        Self::Flat(FlatPosition::LeftFour),
        Self::Flat(FlatPosition::Thumbs),
    ];

    /// `portrait`, a finger's id (`r_thumb` …), or `flat_` and the flat's id.
    pub fn id(self) -> &'static str {
        match self {
            Self::Portrait => "portrait",
            Self::Rolled(finger) => finger.id(),
            Self::Flat(FlatPosition::RightFour) => "flat_right_four",
            Self::Flat(FlatPosition::LeftFour) => "flat_left_four",
            Self::Flat(FlatPosition::Thumbs) => "flat_thumbs",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// `ảnh chân dung`, a finger's or a flat's name, as the intake form writes them.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Portrait => "ảnh chân dung",
            Self::Rolled(finger) => finger.label_vi(),
            Self::Flat(flat) => flat.label_vi(),
        }
    }

    pub fn limits(self) -> &'static Limits {
        match self {
            Self::Portrait => &PORTRAIT_LIMITS,
            Self::Rolled(_) => &ROLLED_LIMITS,
            Self::Flat(_) => &FLAT_LIMITS,
        }
    }
}

impl fmt::Display for ImageRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Portrait => f.write_str("the portrait"),
            Self::Rolled(finger) => finger.fmt(f),
            Self::Flat(FlatPosition::RightFour) => {
                f.write_str("the flat print of the four right fingers")
            }
            Self::Flat(FlatPosition::LeftFour) => {
                f.write_str("the flat print of the four left fingers")
            }
            Self::Flat(FlatPosition::Thumbs) => f.write_str("the flat print of the two thumbs"),
        }
    }
}

impl Serialize for ImageRole {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for ImageRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Self::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("{id:?} is not an image role")))
    }
}

// ---- missing fingers ---------------------------------------------------------------------

/// Why a finger has no print (Circular 60/2021/TT-BCA Art. 5: a missing finger needs a
/// reason).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MissingReason {
    /// The finger is lost.
    Amputated,
    /// A wound prevents printing.
    Injured,
    /// Bandaged or in a cast at intake.
    Bandaged,
    /// Malformed, crooked or joined to another finger.
    Deformed,
    /// The ridges are too worn to print (common among manual workers and the old).
    Unreadable,
    /// Anything else, in the officer's words.
    Other(OtherReason),
}

impl MissingReason {
    pub fn id(&self) -> &'static str {
        match self {
            Self::Amputated => "amputated",
            Self::Injured => "injured",
            Self::Bandaged => "bandaged",
            Self::Deformed => "deformed",
            Self::Unreadable => "unreadable",
            Self::Other(_) => "other",
        }
    }

    /// The wording on the intake form.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Self::Amputated => "cụt ngón",
            Self::Injured => "ngón tay bị thương",
            Self::Bandaged => "ngón tay đang băng bó",
            Self::Deformed => "ngón tay dị tật",
            Self::Unreadable => "vân tay mờ, không thu nhận được",
            Self::Other(_) => "lý do khác",
        }
    }

    /// A reason from its id; `text` is needed for `other` and refused for the others.
    pub fn parse(id: &str, text: Option<&str>) -> Result<Self, BiometricError> {
        let plain = match id {
            "amputated" => Self::Amputated,
            "injured" => Self::Injured,
            "bandaged" => Self::Bandaged,
            "deformed" => Self::Deformed,
            "unreadable" => Self::Unreadable,
            "other" => return OtherReason::parse(text.unwrap_or_default()).map(Self::Other),
            _ => return Err(BiometricError::UnknownReason(id.to_owned())),
        };
        match text {
            Some(_) => Err(BiometricError::ReasonTextNotAllowed(plain.id())),
            None => Ok(plain),
        }
    }

    fn code(&self) -> u8 {
        match self {
            Self::Amputated => 1,
            Self::Injured => 2,
            Self::Bandaged => 3,
            Self::Deformed => 4,
            Self::Unreadable => 5,
            Self::Other(_) => OTHER_REASON_CODE,
        }
    }
}

/// The officer's own words for a missing finger: not empty, at most [`MAX_REASON_CHARS`]
/// characters, no control characters (it is printed on the intake form).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OtherReason(String);

impl OtherReason {
    pub fn parse(text: &str) -> Result<Self, BiometricError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(BiometricError::EmptyReason);
        }
        if text.chars().count() > MAX_REASON_CHARS {
            return Err(BiometricError::ReasonTooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(BiometricError::ReasonControl);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text may say something about the citizen's health: keep it out of logs.
impl fmt::Debug for OtherReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OtherReason({} characters)", self.0.chars().count())
    }
}

/// How a reason appears in JSON: `{"reason": "amputated"}` or
/// `{"reason": "other", "text": "…"}`.
#[derive(Serialize, Deserialize)]
struct ReasonRepr {
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl Serialize for MissingReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ReasonRepr {
            reason: self.id().to_owned(),
            text: match self {
                Self::Other(text) => Some(text.as_str().to_owned()),
                _ => None,
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for MissingReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = ReasonRepr::deserialize(d)?;
        Self::parse(&repr.reason, repr.text.as_deref()).map_err(serde::de::Error::custom)
    }
}

// ---- images ------------------------------------------------------------------------------

/// The file formats accepted, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Jpeg,
    Png,
    /// FBI Wavelet Scalar Quantization, the usual format of 500 ppi fingerprints.
    Wsq,
}

impl ImageFormat {
    pub fn id(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Wsq => "wsq",
        }
    }

    /// The media type, for downloads.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Wsq => "image/x-wsq",
        }
    }

    fn magic(self) -> &'static [u8] {
        match self {
            Self::Jpeg => JPEG_MAGIC,
            Self::Png => PNG_MAGIC,
            Self::Wsq => WSQ_MAGIC,
        }
    }
}

/// JPEG: SOI followed by the first byte of the next marker (ITU-T T.81 Annex B.1).
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
/// PNG: the 8-byte signature (ISO/IEC 15948, "PNG signature").
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// WSQ: the SOI marker FFA0 (IAFIS-IC-0110, marker codes).
const WSQ_MAGIC: &[u8] = &[0xFF, 0xA0];

/// A checked image: its format and dimensions come from its own header, and it met the
/// limits of its role. Built only by [`Image::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    role: ImageRole,
    format: ImageFormat,
    width: u32,
    height: u32,
    bytes: Vec<u8>,
}

impl Image {
    /// Checks `bytes` as an image for `role`: its format, header, completeness and the
    /// role's [`Limits`]. Never trusts a length in the data.
    /// An image taken now, at intake or for a correction: as [`Image::parse`], and a
    /// portrait must be JPEG, which the chip's DG2 takes.
    pub fn parse_taken(bytes: Vec<u8>, role: ImageRole) -> Result<Self, BiometricError> {
        let image = Self::parse(bytes, role)?;
        if role == ImageRole::Portrait && image.format() != ImageFormat::Jpeg {
            return Err(BiometricError::WrongFormat {
                role,
                expected: "JPEG",
                found: "it is PNG, which the chip does not take",
            });
        }
        Ok(image)
    }

    pub fn parse(bytes: Vec<u8>, role: ImageRole) -> Result<Self, BiometricError> {
        let limits = role.limits();
        if bytes.is_empty() {
            return Err(BiometricError::Empty { role });
        }
        let expected = if limits.formats.contains(&ImageFormat::Wsq) {
            "JPEG, PNG or WSQ"
        } else {
            "JPEG or PNG"
        };
        let format = match sniff(&bytes) {
            Sniff::Format(format) if limits.formats.contains(&format) => format,
            Sniff::Format(_) => {
                return Err(BiometricError::WrongFormat {
                    role,
                    expected,
                    found: "it is a WSQ fingerprint image",
                });
            }
            Sniff::Prefix => return Err(BiometricError::Truncated { role }),
            Sniff::Other(found) => {
                return Err(BiometricError::WrongFormat {
                    role,
                    expected,
                    found,
                });
            }
        };
        // Before reading any further: a huge upload is refused at once.
        if bytes.len() > limits.max_bytes {
            return Err(BiometricError::FileTooLarge {
                role,
                size: bytes.len(),
                max: limits.max_bytes,
            });
        }
        let header = match format {
            ImageFormat::Jpeg => jpeg_dimensions(&bytes),
            ImageFormat::Png => png_dimensions(&bytes),
            ImageFormat::Wsq => wsq_dimensions(&bytes),
        };
        let (width, height) = header.map_err(|e| match e {
            HeaderError::Truncated => BiometricError::Truncated { role },
            HeaderError::Malformed(what) => BiometricError::Malformed { role, what },
        })?;
        if bytes.len() < limits.min_bytes {
            return Err(BiometricError::FileTooSmall {
                role,
                size: bytes.len(),
                min: limits.min_bytes,
            });
        }
        if width < limits.min_width || height < limits.min_height {
            return Err(BiometricError::TooFewPixels {
                role,
                width,
                height,
                min_width: limits.min_width,
                min_height: limits.min_height,
            });
        }
        if width > limits.max_width || height > limits.max_height {
            return Err(BiometricError::TooManyPixels {
                role,
                width,
                height,
                max_width: limits.max_width,
                max_height: limits.max_height,
            });
        }
        if role == ImageRole::Portrait && !portrait_shape_ok(width, height) {
            return Err(BiometricError::PortraitShape {
                role,
                width,
                height,
            });
        }
        Ok(Self {
            role,
            format,
            width,
            height,
            bytes,
        })
    }

    pub fn role(&self) -> ImageRole {
        self.role
    }
    pub fn format(&self) -> ImageFormat {
        self.format
    }
    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// SHA-256 of the file, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }
}

/// Never the bytes: they are biometric data.
impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("role", &self.role.id())
            .field("format", &self.format.id())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

fn portrait_shape_ok(width: u32, height: u32) -> bool {
    let (w, h) = (u64::from(width), u64::from(height));
    let (min_w, min_h) = PORTRAIT_MIN_ASPECT;
    let (max_w, max_h) = PORTRAIT_MAX_ASPECT;
    // min_w/min_h <= w/h <= max_w/max_h, multiplied out to stay in integers.
    w * u64::from(min_h) >= h * u64::from(min_w) && w * u64::from(max_h) <= h * u64::from(max_w)
}

enum Sniff {
    Format(ImageFormat),
    /// Shorter than a signature it starts like.
    Prefix,
    /// Not one of ours; the text says what it looks like.
    Other(&'static str),
}

fn sniff(bytes: &[u8]) -> Sniff {
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Wsq] {
        let magic = format.magic();
        if bytes.starts_with(magic) {
            return Sniff::Format(format);
        }
        if bytes.len() < magic.len() && magic.starts_with(bytes) {
            return Sniff::Prefix;
        }
    }
    let at = |offset: usize, sig: &[u8]| bytes.get(offset..).is_some_and(|b| b.starts_with(sig));
    let found = if at(0, b"%PDF") {
        "it looks like a PDF"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "it looks like a GIF image"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "it looks like a TIFF image"
    } else if at(0, b"BM") {
        "it looks like a BMP image"
    } else if at(0, &[0, 0, 0, 0x0C, b'j', b'P', b' ', b' ']) || at(0, &[0xFF, 0x4F, 0xFF, 0x51]) {
        "it looks like a JPEG 2000 image"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "it looks like a WebP image"
    } else if at(4, b"ftyp") {
        "it looks like a HEIC/HEIF photo"
    } else if at(0, b"PK\x03\x04") {
        "it looks like a ZIP archive or an office document"
    } else {
        "its first bytes match no image format"
    };
    Sniff::Other(found)
}

enum HeaderError {
    Truncated,
    Malformed(&'static str),
}

impl From<Short> for HeaderError {
    fn from(_: Short) -> Self {
        Self::Truncated
    }
}

/// The data ended before a field it promised.
struct Short;

/// A cursor over bytes that never reads past the end.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }
    fn remaining(&self) -> usize {
        self.rest.len()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Short)?;
        self.rest = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let (head, tail) = self.rest.split_first_chunk::<N>().ok_or(Short)?;
        self.rest = tail;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, Short> {
        let (&b, tail) = self.rest.split_first().ok_or(Short)?;
        self.rest = tail;
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, Short> {
        self.array().map(u16::from_be_bytes)
    }
    fn u32(&mut self) -> Result<u32, Short> {
        self.array().map(u32::from_be_bytes)
    }
}

/// PNG (ISO/IEC 15948): the signature, then chunks of length (4, at most 2^31 − 1), type
/// (4), data and CRC-32 over type and data. The first chunk is IHDR (13 bytes: width and
/// height, 4 bytes each and at most 2^31 − 1, bit depth, colour type, compression, filter,
/// interlace); the last is IEND. Every chunk's CRC is checked, and nothing may follow IEND.
fn png_dimensions(data: &[u8]) -> Result<(u32, u32), HeaderError> {
    const MAX: u32 = 0x7FFF_FFFF;
    let mut r = Reader::new(data);
    r.take(PNG_MAGIC.len())?;
    let mut dims = None;
    loop {
        let length = r.u32()?;
        if length > MAX {
            return Err(HeaderError::Malformed("a chunk length is out of range"));
        }
        let length = usize::try_from(length)
            .map_err(|_| HeaderError::Malformed("a chunk length is out of range"))?;
        let kind = r.array::<4>()?;
        let body = r.take(length)?;
        let crc = r.u32()?;
        if crc32(&[&kind, body]) != crc {
            return Err(HeaderError::Malformed("a chunk checksum does not match"));
        }
        match dims {
            None => {
                if &kind != b"IHDR" || length != 13 {
                    return Err(HeaderError::Malformed("the image header (IHDR) is missing"));
                }
                let mut h = Reader::new(body);
                let (width, height) = (h.u32()?, h.u32()?);
                let (depth, colour) = (h.u8()?, h.u8()?);
                if width == 0 || height == 0 || width > MAX || height > MAX {
                    return Err(HeaderError::Malformed(
                        "the width or height is out of range",
                    ));
                }
                let depth_ok = match colour {
                    0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
                    3 => matches!(depth, 1 | 2 | 4 | 8),
                    2 | 4 | 6 => matches!(depth, 8 | 16),
                    _ => false,
                };
                if !depth_ok {
                    return Err(HeaderError::Malformed(
                        "the colour type or bit depth is invalid",
                    ));
                }
                dims = Some((width, height));
            }
            Some(dims) if &kind == b"IEND" => {
                if r.remaining() > 0 {
                    return Err(HeaderError::Malformed("data follows the end of the image"));
                }
                return Ok(dims);
            }
            Some(_) if &kind == b"IHDR" => {
                return Err(HeaderError::Malformed(
                    "the image header (IHDR) appears twice",
                ));
            }
            Some(_) => {}
        }
    }
}

/// JPEG (ITU-T T.81 | ISO/IEC 10918-1, Annex B): SOI, then marker segments — FF, any
/// number of FF fill bytes, a marker code, and (except for TEM and RST0–7, which stand
/// alone) a 2-byte length that counts itself — up to the frame header. The frame header is
/// one of SOF0–3, 5–7, 9–11, 13–15 (C0–C3, C5–C7, C9–CB, CD–CF; C4, C8 and CC are DHT,
/// JPG and DAC); its body is precision (1), height (2), width (2), the component count Nf
/// (1) and 3 bytes per component (Table B.2). A height of 0 (given later by DNL) is refused.
/// The file must end with EOI (FF D9).
fn jpeg_dimensions(data: &[u8]) -> Result<(u32, u32), HeaderError> {
    let mut r = Reader::new(data);
    r.take(2)?;
    loop {
        if r.u8()? != 0xFF {
            return Err(HeaderError::Malformed(
                "a segment does not start with a marker",
            ));
        }
        let mut marker = r.u8()?;
        while marker == 0xFF {
            marker = r.u8()?;
        }
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => return Err(HeaderError::Malformed("a marker is invalid")),
            0xD9 | 0xDA => {
                return Err(HeaderError::Malformed(
                    "the image data comes before its size",
                ));
            }
            _ => {}
        }
        let length = usize::from(r.u16()?);
        let body = r.take(
            length
                .checked_sub(2)
                .ok_or(HeaderError::Malformed("a segment length is too short"))?,
        )?;
        if !matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            continue;
        }
        let bad_frame = HeaderError::Malformed("the frame header is damaged");
        let mut f = Reader::new(body);
        let Ok((_precision, height, width, components)) = read_frame_start(&mut f) else {
            return Err(bad_frame);
        };
        if components == 0 || f.remaining() != 3 * usize::from(components) {
            return Err(bad_frame);
        }
        if height == 0 {
            return Err(HeaderError::Malformed(
                "the height is not in the frame header",
            ));
        }
        if width == 0 {
            return Err(HeaderError::Malformed("the width is zero"));
        }
        if !data.ends_with(&[0xFF, 0xD9]) {
            return Err(HeaderError::Truncated);
        }
        return Ok((u32::from(width), u32::from(height)));
    }
}

/// Precision, height, width and component count: the fixed start of a JPEG frame header.
fn read_frame_start(f: &mut Reader<'_>) -> Result<(u8, u16, u16, u8), Short> {
    Ok((f.u8()?, f.u16()?, f.u16()?, f.u8()?))
}

/// WSQ (FBI IAFIS-IC-0110, "WSQ Gray-scale Fingerprint Image Compression Specification";
/// the layout as written by NIST NBIS `putc_frame_header_wsq` and read by
/// `getc_frame_header_wsq`): SOI (FF A0), then table and comment segments — DTT FF A4,
/// DQT FF A5, DHT FF A6, DRT FF A7, COM FF A8, each with a 2-byte length that counts itself
/// — up to SOF (FF A2). The frame header's length is 17: length (2), black (1), white (1),
/// height (2), width (2), shift exponent (1) and value (2), scale exponent (1) and value (2),
/// encoder number (1), software implementation number (2). The file must end with EOI
/// (FF A1).
fn wsq_dimensions(data: &[u8]) -> Result<(u32, u32), HeaderError> {
    const FRAME_HEADER_LENGTH: u16 = 17;
    let mut r = Reader::new(data);
    r.take(WSQ_MAGIC.len())?;
    loop {
        if r.u8()? != 0xFF {
            return Err(HeaderError::Malformed(
                "a segment does not start with a marker",
            ));
        }
        match r.u8()? {
            0xA2 => {
                if r.u16()? != FRAME_HEADER_LENGTH {
                    return Err(HeaderError::Malformed("the frame header is damaged"));
                }
                let _black_white = r.array::<2>()?;
                let (height, width) = (r.u16()?, r.u16()?);
                r.take(usize::from(FRAME_HEADER_LENGTH) - 8)?;
                if width == 0 || height == 0 {
                    return Err(HeaderError::Malformed("the width or height is zero"));
                }
                if !data.ends_with(&[0xFF, 0xA1]) {
                    return Err(HeaderError::Truncated);
                }
                return Ok((u32::from(width), u32::from(height)));
            }
            0xA4..=0xA8 => {
                let length = usize::from(r.u16()?);
                r.take(
                    length
                        .checked_sub(2)
                        .ok_or(HeaderError::Malformed("a segment length is too short"))?,
                )?;
            }
            0xA1 | 0xA3 => {
                return Err(HeaderError::Malformed(
                    "the image data comes before its size",
                ));
            }
            _ => return Err(HeaderError::Malformed("a marker is invalid")),
        }
    }
}

/// CRC-32 as PNG uses it (ISO 3309 polynomial, reflected, initial and final XOR with
/// all ones), over several pieces in turn.
fn crc32(pieces: &[&[u8]]) -> u32 {
    let mut crc = u32::MAX;
    for byte in pieces.iter().flat_map(|p| p.iter()) {
        let index = usize::from(crc.to_le_bytes()[0] ^ byte);
        crc = CRC_TABLE.get(index).copied().unwrap_or_default() ^ (crc >> 8);
    }
    !crc
}

#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n: u32 = 0;
    while n < 256 {
        let mut c = n;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n as usize] = c;
        n += 1;
    }
    table
};

// ---- the capture -------------------------------------------------------------------------

/// One finger's rolled print, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FingerCapture {
    Rolled(Image),
    Missing(MissingReason),
}

/// One application's biometrics, complete and consistent: built only by [`Capture::new`]
/// or [`Capture::from_bundle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    portrait: Image,
    rolled: [FingerCapture; 10],
    flats: [Option<Image>; 3],
}

impl Capture {
    /// Checks a set taken at intake. `rolled` is in [`FingerPosition::ALL`] order, `flats`
    /// in [`FlatPosition::ALL`] order. Each image must have been parsed for the slot it is
    /// in. A flat print may be absent only when every finger it shows is recorded missing
    /// (nothing to print), and must be absent then (an image of no fingers is a mistake).
    pub fn new(
        portrait: Image,
        rolled: [FingerCapture; 10],
        flats: [Option<Image>; 3],
    ) -> Result<Self, BiometricError> {
        expect_role(&portrait, ImageRole::Portrait)?;
        for (finger, capture) in FingerPosition::ALL.into_iter().zip(&rolled) {
            if let FingerCapture::Rolled(image) = capture {
                expect_role(image, ImageRole::Rolled(finger))?;
            }
        }
        let capture = Self {
            portrait,
            rolled,
            flats,
        };
        for flat in FlatPosition::ALL {
            let role = ImageRole::Flat(flat);
            let taken = flat
                .fingers()
                .iter()
                .copied()
                .find(|&f| matches!(capture.finger(f), FingerCapture::Rolled(_)));
            match (capture.flat(flat), taken) {
                (Some(image), Some(_)) => expect_role(image, role)?,
                (Some(_), None) => return Err(BiometricError::FlatWithoutFingers { flat: role }),
                (None, Some(finger)) => {
                    return Err(BiometricError::FlatMissing { flat: role, finger });
                }
                (None, None) => {}
            }
        }
        Ok(capture)
    }

    pub fn portrait(&self) -> &Image {
        &self.portrait
    }

    /// In [`FingerPosition::ALL`] order.
    pub fn rolled(&self) -> &[FingerCapture; 10] {
        &self.rolled
    }

    pub fn finger(&self, finger: FingerPosition) -> &FingerCapture {
        let [
            r_thumb,
            r_index,
            r_middle,
            r_ring,
            r_little,
            l_thumb,
            l_index,
            l_middle,
            l_ring,
            l_little,
        ] = &self.rolled;
        match finger {
            FingerPosition::RThumb => r_thumb,
            FingerPosition::RIndex => r_index,
            FingerPosition::RMiddle => r_middle,
            FingerPosition::RRing => r_ring,
            FingerPosition::RLittle => r_little,
            FingerPosition::LThumb => l_thumb,
            FingerPosition::LIndex => l_index,
            FingerPosition::LMiddle => l_middle,
            FingerPosition::LRing => l_ring,
            FingerPosition::LLittle => l_little,
        }
    }

    /// In [`FlatPosition::ALL`] order.
    pub fn flats(&self) -> &[Option<Image>; 3] {
        &self.flats
    }

    pub fn flat(&self, flat: FlatPosition) -> Option<&Image> {
        let [right, left, thumbs] = &self.flats;
        match flat {
            FlatPosition::RightFour => right.as_ref(),
            FlatPosition::LeftFour => left.as_ref(),
            FlatPosition::Thumbs => thumbs.as_ref(),
        }
    }

    /// Every image, in bundle order.
    pub fn images(&self) -> impl Iterator<Item = &Image> {
        std::iter::once(&self.portrait)
            .chain(self.rolled.iter().filter_map(|c| match c {
                FingerCapture::Rolled(image) => Some(image),
                FingerCapture::Missing(_) => None,
            }))
            .chain(self.flats.iter().flatten())
    }

    /// The set as one object, for the vault. Layout (all integers big-endian):
    ///
    /// ```text
    /// magic "CCBD" (4) | version 1 (1)
    /// then 14 entries in ImageRole::ALL order (portrait, r_thumb … l_little,
    /// flat right four, flat left four, flat thumbs), each:
    ///   kind (1): 0 = no image (flats only), 1 = image, 2 = missing finger (rolled only)
    ///   image:   length (4) | the file's bytes
    ///   missing: reason (1): 1 amputated, 2 injured, 3 bandaged, 4 deformed,
    ///            5 unreadable, 255 other → text length (2) | UTF-8 text
    /// nothing after the last entry
    /// ```
    ///
    /// The format is canonical: one capture has exactly one bundle.
    pub fn to_bundle(&self) -> Vec<u8> {
        let size =
            BUNDLE_MAGIC.len() + 1 + 14 * 5 + self.images().map(|i| i.bytes.len()).sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(BUNDLE_MAGIC);
        out.push(BUNDLE_VERSION);
        let put_image = |out: &mut Vec<u8>, image: &Image| {
            out.push(KIND_IMAGE);
            // Image::parse caps every file at FLAT_LIMITS.max_bytes, far below u32::MAX.
            let length = u32::try_from(image.bytes.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&length.to_be_bytes());
            out.extend_from_slice(&image.bytes);
        };
        put_image(&mut out, &self.portrait);
        for capture in &self.rolled {
            match capture {
                FingerCapture::Rolled(image) => put_image(&mut out, image),
                FingerCapture::Missing(reason) => {
                    out.push(KIND_MISSING);
                    out.push(reason.code());
                    if let MissingReason::Other(text) = reason {
                        // OtherReason is at most MAX_REASON_CHARS characters: ≤ 800 bytes.
                        let length = u16::try_from(text.0.len()).unwrap_or(u16::MAX);
                        out.extend_from_slice(&length.to_be_bytes());
                        out.extend_from_slice(text.0.as_bytes());
                    }
                }
            }
        }
        for flat in &self.flats {
            match flat {
                Some(image) => put_image(&mut out, image),
                None => out.push(KIND_NONE),
            }
        }
        out
    }

    /// Reads a bundle written by [`Capture::to_bundle`], checking every image again as
    /// [`Image::parse`] does and the set as [`Capture::new`] does.
    pub fn from_bundle(data: &[u8]) -> Result<Self, BiometricError> {
        let mut r = Reader::new(data);
        let short = |_: Short| BiometricError::BundleTruncated;
        let magic = r.array::<4>().map_err(|_| {
            if BUNDLE_MAGIC.starts_with(data) && !data.is_empty() {
                BiometricError::BundleTruncated
            } else {
                BiometricError::NotABundle
            }
        })?;
        if &magic != BUNDLE_MAGIC {
            return Err(BiometricError::NotABundle);
        }
        let version = r.u8().map_err(short)?;
        if version != BUNDLE_VERSION {
            return Err(BiometricError::BundleVersion(version));
        }

        let read_image = |r: &mut Reader<'_>, role: ImageRole| -> Result<Image, BiometricError> {
            let length = r.u32().map_err(short)?;
            let length = usize::try_from(length).map_err(|_| BiometricError::BundleTruncated)?;
            let bytes = r.take(length).map_err(short)?;
            Image::parse(bytes.to_vec(), role)
        };
        let damaged = |role, what| BiometricError::BundleDamaged { role, what };

        let role = ImageRole::Portrait;
        let portrait = match r.u8().map_err(short)? {
            KIND_IMAGE => read_image(&mut r, role)?,
            _ => return Err(damaged(role, "it has no image")),
        };

        let mut rolled = Vec::with_capacity(10);
        for finger in FingerPosition::ALL {
            let role = ImageRole::Rolled(finger);
            let capture = match r.u8().map_err(short)? {
                KIND_IMAGE => FingerCapture::Rolled(read_image(&mut r, role)?),
                KIND_MISSING => {
                    let reason = match r.u8().map_err(short)? {
                        1 => MissingReason::Amputated,
                        2 => MissingReason::Injured,
                        3 => MissingReason::Bandaged,
                        4 => MissingReason::Deformed,
                        5 => MissingReason::Unreadable,
                        OTHER_REASON_CODE => {
                            let length = usize::from(r.u16().map_err(short)?);
                            let text = r.take(length).map_err(short)?;
                            let text = std::str::from_utf8(text)
                                .map_err(|_| damaged(role, "the reason is not UTF-8 text"))?;
                            let reason = OtherReason::parse(text)?;
                            // Canonical: the stored text is exactly the parsed one.
                            if reason.as_str() != text {
                                return Err(damaged(role, "the reason has surrounding spaces"));
                            }
                            MissingReason::Other(reason)
                        }
                        _ => return Err(damaged(role, "the reason code is unknown")),
                    };
                    FingerCapture::Missing(reason)
                }
                _ => return Err(damaged(role, "the entry kind is unknown")),
            };
            rolled.push(capture);
        }

        let mut flats = Vec::with_capacity(3);
        for flat in FlatPosition::ALL {
            let role = ImageRole::Flat(flat);
            flats.push(match r.u8().map_err(short)? {
                KIND_IMAGE => Some(read_image(&mut r, role)?),
                KIND_NONE => None,
                _ => return Err(damaged(role, "the entry kind is unknown")),
            });
        }
        if r.remaining() > 0 {
            return Err(BiometricError::BundleTrailing);
        }
        let rolled: [FingerCapture; 10] = rolled
            .try_into()
            .map_err(|_| damaged(ImageRole::Portrait, "the fingers are miscounted"))?;
        let flats: [Option<Image>; 3] = flats
            .try_into()
            .map_err(|_| damaged(ImageRole::Portrait, "the flat prints are miscounted"))?;
        Self::new(portrait, rolled, flats)
    }

    /// What the database keeps about this set: no image bytes.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            bundle_version: BUNDLE_VERSION,
            images: self
                .images()
                .map(|image| ImageEntry {
                    role: image.role,
                    format: image.format,
                    width: image.width,
                    height: image.height,
                    bytes: u64::try_from(image.bytes.len()).unwrap_or(u64::MAX),
                    sha256: image.sha256_hex(),
                })
                .collect(),
            missing_fingers: FingerPosition::ALL
                .into_iter()
                .zip(&self.rolled)
                .filter_map(|(finger, capture)| match capture {
                    FingerCapture::Missing(reason) => Some(MissingEntry {
                        finger,
                        reason: reason.clone(),
                    }),
                    FingerCapture::Rolled(_) => None,
                })
                .collect(),
        }
    }
}

fn expect_role(image: &Image, slot: ImageRole) -> Result<(), BiometricError> {
    if image.role == slot {
        Ok(())
    } else {
        Err(BiometricError::WrongSlot {
            slot,
            given: image.role,
        })
    }
}

/// The first bytes of every bundle.
pub const BUNDLE_MAGIC: &[u8; 4] = b"CCBD";
/// The bundle layout written by this program (see [`Capture::to_bundle`]).
pub const BUNDLE_VERSION: u8 = 1;
const KIND_NONE: u8 = 0;
const KIND_IMAGE: u8 = 1;
const KIND_MISSING: u8 = 2;
const OTHER_REASON_CODE: u8 = 255;

// ---- the manifest ------------------------------------------------------------------------

/// What the database stores with an application about its biometrics (as JSON): enough to
/// show what was taken and to check the bundle against, but no image bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout of the bundle this describes ([`BUNDLE_VERSION`]).
    pub bundle_version: u8,
    /// Every image, in bundle order.
    pub images: Vec<ImageEntry>,
    /// Every finger without a rolled print, with its reason.
    pub missing_fingers: Vec<MissingEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageEntry {
    pub role: ImageRole,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// File size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// `{"finger": "l_little", "reason": "amputated"}` or with `"text"` for `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingEntry {
    pub finger: FingerPosition,
    #[serde(flatten)]
    pub reason: MissingReason,
}

/// A JPEG of the given size in pixels whose scan data is `pad` filler bytes: it passes
/// every check intake makes (markers, frame size, end marker) at a chosen weight. For
/// tests, demos and benchmarks, never for a real capture.
pub fn sample_jpeg(width: u16, height: u16, pad: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0");
    v.extend_from_slice(&[1, 1, 0, 0, 1, 0, 1, 0, 0]);
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8]);
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[
        0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0,
    ]);
    v.extend(std::iter::repeat_n(0x5A, pad));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ---- hand-built images ---------------------------------------------------------------

    /// CRC-32 bit by bit, independent of the table the parser uses.
    fn crc_bitwise(data: &[u8]) -> u32 {
        let mut c = u32::MAX;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    fn chunk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        let mut covered = kind.to_vec();
        covered.extend_from_slice(body);
        out.extend_from_slice(&crc_bitwise(&covered).to_be_bytes());
        out
    }

    fn adler32(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        (b << 16) | a
    }

    /// A zlib stream of stored (uncompressed) deflate blocks (RFC 1950, RFC 1951 §3.2.4).
    fn zlib_stored(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
        for (i, block) in blocks.iter().enumerate() {
            out.push(u8::from(i + 1 == blocks.len()));
            let len = u16::try_from(block.len()).unwrap();
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(block);
        }
        out.extend_from_slice(&adler32(data).to_be_bytes());
        out
    }

    fn ihdr(width: u32, height: u32) -> Vec<u8> {
        let mut body = width.to_be_bytes().to_vec();
        body.extend_from_slice(&height.to_be_bytes());
        body.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey, deflate, no filter, no interlace
        chunk(b"IHDR", &body)
    }

    fn png_of(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut out = PNG_MAGIC.to_vec();
        for c in chunks {
            out.extend_from_slice(c);
        }
        out
    }

    /// A real 8-bit greyscale PNG: a diagonal gradient.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut raw = Vec::new();
        for y in 0..height {
            raw.push(0); // filter type None
            raw.extend((0..width).map(|x| u8::try_from((x + y) % 256).unwrap()));
        }
        png_of(&[
            ihdr(width, height),
            chunk(b"IDAT", &zlib_stored(&raw)),
            chunk(b"IEND", &[]),
        ])
    }

    /// A PNG whose IDAT is not pixels: enough for header parsing, and any size.
    fn png_header_only(width: u32, height: u32, pad: usize) -> Vec<u8> {
        png_of(&[
            ihdr(width, height),
            chunk(b"IDAT", &vec![0x5A; pad]),
            chunk(b"IEND", &[]),
        ])
    }

    /// SOI, JFIF APP0, a frame header with three components, a scan header, `pad` bytes of
    /// "scan data" (never FF) and EOI.
    fn jpeg_with(sof: u8, width: u16, height: u16, pad: usize) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        v.extend_from_slice(b"JFIF\0");
        v.extend_from_slice(&[1, 1, 0, 0, 1, 0, 1, 0, 0]);
        v.extend_from_slice(&[0xFF, sof, 0x00, 0x11, 8]);
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0,
        ]);
        v.extend(std::iter::repeat_n(0x5A, pad));
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    fn jpeg(width: u16, height: u16, pad: usize) -> Vec<u8> {
        jpeg_with(0xC0, width, height, pad)
    }

    /// SOI, a NIST comment, a transform table, the frame header, a block header, `pad`
    /// bytes of "data" and EOI.
    fn wsq(width: u16, height: u16, pad: usize) -> Vec<u8> {
        let mut v = vec![0xFF, 0xA0];
        let comment = b"NIST_COM 2\nPIX_WIDTH 800\n";
        v.extend_from_slice(&[0xFF, 0xA8]);
        v.extend_from_slice(&u16::try_from(comment.len() + 2).unwrap().to_be_bytes());
        v.extend_from_slice(comment);
        v.extend_from_slice(&[0xFF, 0xA4, 0x00, 0x0C]);
        v.extend_from_slice(&[0; 10]);
        v.extend_from_slice(&[0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF]);
        v.extend_from_slice(&height.to_be_bytes());
        v.extend_from_slice(&width.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 2, 0x01, 0x00, 2, 0, 0]);
        v.extend_from_slice(&[0xFF, 0xA3, 0x00, 0x03, 0x00]);
        v.extend(std::iter::repeat_n(0x5A, pad));
        v.extend_from_slice(&[0xFF, 0xA1]);
        v
    }

    fn portrait() -> Image {
        Image::parse(jpeg(480, 640, 25_000), ImageRole::Portrait).unwrap()
    }
    fn rolled(finger: FingerPosition) -> Image {
        Image::parse(wsq(800, 750, 30_000), ImageRole::Rolled(finger)).unwrap()
    }
    fn flat(position: FlatPosition) -> Image {
        Image::parse(jpeg(1600, 1000, 60_000), ImageRole::Flat(position)).unwrap()
    }
    fn all_rolled() -> [FingerCapture; 10] {
        FingerPosition::ALL.map(|f| FingerCapture::Rolled(rolled(f)))
    }
    fn all_flats() -> [Option<Image>; 3] {
        FlatPosition::ALL.map(|f| Some(flat(f)))
    }
    fn err(bytes: Vec<u8>, role: ImageRole) -> String {
        Image::parse(bytes, role).unwrap_err().to_string()
    }

    const PORTRAIT: ImageRole = ImageRole::Portrait;
    const R_INDEX: ImageRole = ImageRole::Rolled(FingerPosition::RIndex);

    // ---- formats and headers -------------------------------------------------------------

    #[test]
    fn the_crc_table_matches_the_check_value() {
        // The CRC-32 check value of "123456789" (ISO 3309 / ITU-T V.42).
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), crc_bitwise(b"123456789"));
    }

    #[test]
    fn a_real_png_is_read_with_its_size() {
        let finger = Image::parse(png(250, 260), R_INDEX).unwrap();
        assert_eq!(
            (finger.format(), finger.width(), finger.height()),
            (ImageFormat::Png, 250, 260)
        );
    }

    #[test]
    fn a_png_portrait_is_kept_but_not_taken_since_the_chip_takes_jpeg() {
        let kept = Image::parse(png(300, 400), PORTRAIT).unwrap();
        assert_eq!(kept.format(), ImageFormat::Png);
        let refusal = Image::parse_taken(png(300, 400), PORTRAIT).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "the portrait is not a JPEG image (it is PNG, which the chip does not take)"
        );
        assert!(
            refusal.vietnamese().contains("phải là JPEG"),
            "{}",
            refusal.vietnamese()
        );
        assert!(Image::parse_taken(png(250, 260), R_INDEX).is_ok());
        assert!(Image::parse_taken(jpeg(480, 640, 25_000), PORTRAIT).is_ok());
    }

    #[test]
    fn jpeg_size_comes_from_the_first_frame_header_of_any_kind() {
        for sof in [
            0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
        ] {
            let image = Image::parse(jpeg_with(sof, 413, 531, 5_000), PORTRAIT).unwrap();
            assert_eq!(
                (image.format(), image.width(), image.height()),
                (ImageFormat::Jpeg, 413, 531),
                "SOF {sof:02X}"
            );
        }
    }

    #[test]
    fn jpeg_walks_over_exif_fill_bytes_and_tables_before_the_frame() {
        let plain = jpeg(480, 640, 5_000);
        let mut bytes = vec![0xFF, 0xD8];
        // APP1 "Exif" with 300 bytes, a DHT (C4, not a frame header), then fill bytes.
        bytes.extend_from_slice(&[0xFF, 0xE1, 0x01, 0x2E]);
        bytes.extend(std::iter::repeat_n(0xFF, 300)); // FF inside a segment body is data
        bytes.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x05, 0x00, 0x01, 0x02]);
        bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF]);
        bytes.extend_from_slice(plain.get(2..).unwrap());
        let image = Image::parse(bytes, PORTRAIT).unwrap();
        assert_eq!((image.width(), image.height()), (480, 640));
    }

    #[test]
    fn wsq_size_comes_from_its_frame_header() {
        let image = Image::parse(wsq(800, 750, 20_000), R_INDEX).unwrap();
        assert_eq!(
            (image.format(), image.width(), image.height()),
            (ImageFormat::Wsq, 800, 750)
        );
    }

    #[test]
    fn a_pdf_named_jpg_is_refused_as_a_pdf() {
        let mut pdf =
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
        pdf.resize(30_000, b' ');
        assert_eq!(
            err(pdf.clone(), PORTRAIT),
            "the portrait is not a JPEG or PNG image (it looks like a PDF)"
        );
        assert_eq!(
            err(pdf, R_INDEX),
            "fingerprint R index is not a JPEG, PNG or WSQ image (it looks like a PDF)"
        );
    }

    #[test]
    fn other_files_are_named_by_what_they_look_like() {
        let cases: [(&[u8], &str); 5] = [
            (b"GIF89a\x01\x00\x01\x00", "it looks like a GIF image"),
            (b"II*\x00\x08\x00\x00\x00", "it looks like a TIFF image"),
            (
                b"\x00\x00\x00\x18ftypheic\x00\x00",
                "it looks like a HEIC/HEIF photo",
            ),
            (
                b"PK\x03\x04\x14\x00",
                "it looks like a ZIP archive or an office document",
            ),
            (b"hello, world", "its first bytes match no image format"),
        ];
        for (bytes, found) in cases {
            assert_eq!(
                err(bytes.to_vec(), PORTRAIT),
                format!("the portrait is not a JPEG or PNG image ({found})")
            );
        }
        assert_eq!(err(Vec::new(), PORTRAIT), "the portrait is empty");
    }

    #[test]
    fn a_wsq_portrait_is_refused() {
        assert_eq!(
            err(wsq(480, 640, 5_000), PORTRAIT),
            "the portrait is not a JPEG or PNG image (it is a WSQ fingerprint image)"
        );
    }

    #[test]
    fn every_cut_of_a_small_image_is_truncated() {
        let files = [
            (jpeg(480, 640, 2_000), PORTRAIT),
            (wsq(800, 750, 2_000), R_INDEX),
            (png_header_only(800, 750, 2_000), R_INDEX),
        ];
        for (bytes, role) in files {
            for cut in 1..bytes.len() {
                let prefix = bytes.get(..cut).unwrap().to_vec();
                assert_eq!(
                    Image::parse(prefix, role),
                    Err(BiometricError::Truncated { role }),
                    "cut at {cut}"
                );
            }
        }
        assert_eq!(
            err(wsq(800, 750, 2_000).get(..40).unwrap().to_vec(), R_INDEX),
            "fingerprint R index is truncated"
        );
    }

    #[test]
    fn a_real_png_cut_in_its_pixels_is_truncated() {
        let bytes = png(300, 400);
        for cut in (1..bytes.len()).step_by(997).chain([bytes.len() - 1]) {
            let prefix = bytes.get(..cut).unwrap().to_vec();
            assert_eq!(
                Image::parse(prefix, R_INDEX),
                Err(BiometricError::Truncated { role: R_INDEX })
            );
        }
    }

    #[test]
    fn lengths_beyond_the_data_are_truncation_not_a_crash() {
        // JPEG APP0 says 65,535 bytes.
        let mut j = jpeg(480, 640, 5_000);
        j.splice(4..6, [0xFF, 0xFF]);
        j.truncate(3_000);
        assert_eq!(err(j, PORTRAIT), "the portrait is truncated");
        // PNG IDAT says 2^31 − 1 bytes.
        let mut p = png_header_only(800, 750, 5_000);
        let idat = 8 + 25;
        p.splice(idat..idat + 4, 0x7FFF_FFFFu32.to_be_bytes());
        assert_eq!(err(p, R_INDEX), "fingerprint R index is truncated");
        // WSQ comment says 65,535 bytes.
        let mut w = wsq(800, 750, 5_000);
        w.splice(4..6, [0xFF, 0xFF]);
        w.truncate(3_000);
        assert_eq!(err(w, R_INDEX), "fingerprint R index is truncated");
    }

    #[test]
    fn damaged_headers_say_what_is_wrong() {
        // A JPEG segment length below 2.
        let mut j = jpeg(480, 640, 5_000);
        j.splice(4..6, [0x00, 0x01]);
        assert_eq!(
            err(j, PORTRAIT),
            "the portrait is damaged: a segment length is too short"
        );
        // Scan data before any frame header.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
        j.resize(5_000, 0);
        j.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(
            err(j, PORTRAIT),
            "the portrait is damaged: the image data comes before its size"
        );
        // A JPEG frame header with a height of zero (DNL).
        assert_eq!(
            err(jpeg(480, 0, 5_000), PORTRAIT),
            "the portrait is damaged: the height is not in the frame header"
        );
        // A flipped bit in a PNG chunk.
        let mut p = png_header_only(800, 750, 5_000);
        let last_idat_byte = p.len() - 12 - 5;
        p[last_idat_byte] ^= 1;
        assert_eq!(
            err(p, R_INDEX),
            "fingerprint R index is damaged: a chunk checksum does not match"
        );
        // Something hidden after IEND.
        let mut p = png_header_only(800, 750, 5_000);
        p.extend_from_slice(b"secret");
        assert_eq!(
            err(p, R_INDEX),
            "fingerprint R index is damaged: data follows the end of the image"
        );
        // A WSQ frame header of the wrong length.
        let mut w = wsq(800, 750, 5_000);
        let sof = w.windows(2).position(|p| p == [0xFF, 0xA2]).unwrap();
        w[sof + 3] = 0x10;
        assert_eq!(
            err(w, R_INDEX),
            "fingerprint R index is damaged: the frame header is damaged"
        );
    }

    // ---- limits --------------------------------------------------------------------------

    #[test]
    fn file_sizes_outside_the_limits_are_refused_with_the_limit() {
        let big = jpeg(480, 640, 500_001 - jpeg(480, 640, 0).len());
        assert_eq!(big.len(), 500_001);
        assert_eq!(
            err(big, PORTRAIT),
            "the portrait is too large a file: 500001 bytes, at most 500000 allowed"
        );
        let small = jpeg(480, 640, 0);
        assert_eq!(
            err(small.clone(), PORTRAIT),
            format!(
                "the portrait is too small a file: {} bytes, at least 2000 needed",
                small.len()
            )
        );
        let big_finger = wsq(800, 750, 400_001 - wsq(800, 750, 0).len());
        assert_eq!(
            err(big_finger, R_INDEX),
            "fingerprint R index is too large a file: 400001 bytes, at most 400000 allowed"
        );
        // Exactly at the limits is accepted.
        assert!(Image::parse(jpeg(480, 640, 500_000 - jpeg(480, 640, 0).len()), PORTRAIT).is_ok());
        assert!(Image::parse(jpeg(480, 640, 2_000 - jpeg(480, 640, 0).len()), PORTRAIT).is_ok());
    }

    #[test]
    fn dimensions_outside_the_limits_are_refused_with_the_limit() {
        assert_eq!(
            err(jpeg(240, 320, 5_000), PORTRAIT),
            "the portrait is 240×320 pixels, smaller than the 300×400 needed"
        );
        assert_eq!(
            err(jpeg(2_100, 2_600, 5_000), PORTRAIT),
            "the portrait is 2100×2600 pixels, larger than the 2000×2500 allowed"
        );
        assert_eq!(
            err(wsq(1_700, 1_000, 5_000), R_INDEX),
            "fingerprint R index is 1700×1000 pixels, larger than the 1600×1600 allowed"
        );
        assert_eq!(
            err(png_header_only(150, 800, 5_000), R_INDEX),
            "fingerprint R index is 150×800 pixels, smaller than the 200×200 needed"
        );
        let thumbs = ImageRole::Flat(FlatPosition::Thumbs);
        assert_eq!(
            err(jpeg(3_300, 1_000, 5_000), thumbs),
            "the flat print of the two thumbs is 3300×1000 pixels, larger than the 3200×2000 allowed"
        );
        assert!(Image::parse(jpeg(300, 400, 5_000), PORTRAIT).is_ok());
        assert!(Image::parse(jpeg(2_000, 2_500, 5_000), PORTRAIT).is_ok());
        assert!(Image::parse(wsq(1_600, 1_600, 5_000), R_INDEX).is_ok());
    }

    #[test]
    fn a_portrait_must_be_upright() {
        assert_eq!(
            err(jpeg(640, 480, 5_000), PORTRAIT),
            "the portrait is 640×480 pixels: a portrait is upright, between 3:5 and 9:10 (width:height)"
        );
        assert!(Image::parse(jpeg(500, 500, 5_000), PORTRAIT).is_err());
        assert!(Image::parse(jpeg(300, 600, 5_000), PORTRAIT).is_err());
        // 35 × 45 mm at 300 dpi, 3:4, 3:5 and 9:10 exactly.
        for (w, h) in [(413, 531), (480, 640), (300, 500), (450, 500)] {
            assert!(Image::parse(jpeg(w, h, 5_000), PORTRAIT).is_ok(), "{w}×{h}");
        }
    }

    #[test]
    fn debug_output_shows_no_image_bytes() {
        let text = format!("{:?}", portrait());
        assert_eq!(
            text,
            r#"Image { role: "portrait", format: "jpeg", width: 480, height: 640, bytes: 25055 }"#
        );
    }

    // ---- positions, reasons --------------------------------------------------------------

    #[test]
    fn fingers_are_in_the_circular_order_with_stable_ids_and_names() {
        let ids: Vec<&str> = FingerPosition::ALL.iter().map(|f| f.id()).collect();
        assert_eq!(
            ids,
            [
                "r_thumb", "r_index", "r_middle", "r_ring", "r_little", "l_thumb", "l_index",
                "l_middle", "l_ring", "l_little"
            ]
        );
        for (code, finger) in (1..).zip(FingerPosition::ALL) {
            assert_eq!(finger.ansi_nist_code(), code);
            assert_eq!(FingerPosition::from_id(finger.id()), Some(finger));
            assert_eq!(
                serde_json::to_string(&finger).unwrap(),
                format!("\"{}\"", finger.id())
            );
            assert!(flat_covers(finger.flat(), finger));
        }
        assert_eq!(FingerPosition::RThumb.label_vi(), "ngón cái phải");
        assert_eq!(FingerPosition::LRing.label_vi(), "ngón áp út trái");
        assert_eq!(FingerPosition::LLittle.to_string(), "fingerprint L little");
        for role in ImageRole::ALL {
            assert_eq!(ImageRole::from_id(role.id()), Some(role));
        }
    }

    fn flat_covers(flat: FlatPosition, finger: FingerPosition) -> bool {
        flat.fingers().contains(&finger)
    }

    #[test]
    fn each_finger_is_on_exactly_one_flat_print() {
        for finger in FingerPosition::ALL {
            let on: Vec<_> = FlatPosition::ALL
                .into_iter()
                .filter(|&f| flat_covers(f, finger))
                .collect();
            assert_eq!(on, [finger.flat()]);
        }
    }

    #[test]
    fn a_free_text_reason_must_say_something() {
        assert_eq!(OtherReason::parse("  "), Err(BiometricError::EmptyReason));
        assert_eq!(
            OtherReason::parse(&"a".repeat(MAX_REASON_CHARS + 1)),
            Err(BiometricError::ReasonTooLong)
        );
        assert!(OtherReason::parse(&"ữ".repeat(MAX_REASON_CHARS)).is_ok());
        assert_eq!(
            OtherReason::parse("bỏng\nnặng"),
            Err(BiometricError::ReasonControl)
        );
        assert_eq!(
            OtherReason::parse("  bỏng nặng ").unwrap().as_str(),
            "bỏng nặng"
        );
        assert_eq!(
            format!("{:?}", OtherReason::parse("bỏng").unwrap()),
            "OtherReason(4 characters)"
        );
    }

    #[test]
    fn reasons_read_and_write_as_json() {
        let other = MissingReason::Other(OtherReason::parse("bỏng").unwrap());
        assert_eq!(
            serde_json::to_string(&other).unwrap(),
            r#"{"reason":"other","text":"bỏng"}"#
        );
        assert_eq!(
            serde_json::to_string(&MissingReason::Amputated).unwrap(),
            r#"{"reason":"amputated"}"#
        );
        for text in [
            r#"{"reason":"other"}"#,
            r#"{"reason":"other","text":" "}"#,
            r#"{"reason":"amputated","text":"x"}"#,
            r#"{"reason":"lost"}"#,
        ] {
            assert!(
                serde_json::from_str::<MissingReason>(text).is_err(),
                "{text}"
            );
        }
        assert_eq!(
            MissingReason::parse("lost", None).unwrap_err().to_string(),
            "\"lost\" is not a reason for a missing finger"
        );
        assert_eq!(
            MissingReason::parse("injured", Some("x"))
                .unwrap_err()
                .to_string(),
            "the reason injured takes no text: choose other to explain in words"
        );
        assert_eq!(
            MissingReason::parse("deformed", None),
            Ok(MissingReason::Deformed)
        );
        assert_eq!(MissingReason::Amputated.label_vi(), "cụt ngón");
    }

    // ---- the capture ---------------------------------------------------------------------

    #[test]
    fn a_complete_capture_is_accepted() {
        let capture = Capture::new(portrait(), all_rolled(), all_flats()).unwrap();
        assert_eq!(capture.images().count(), 14);
        assert!(matches!(
            capture.finger(FingerPosition::LRing),
            FingerCapture::Rolled(i) if i.role() == ImageRole::Rolled(FingerPosition::LRing)
        ));
        assert_eq!(
            capture.flat(FlatPosition::Thumbs).map(Image::role),
            Some(ImageRole::Flat(FlatPosition::Thumbs))
        );
    }

    #[test]
    fn an_image_must_be_in_its_own_slot() {
        let mut fingers = all_rolled();
        fingers[1] = FingerCapture::Rolled(rolled(FingerPosition::LIndex));
        assert_eq!(
            Capture::new(portrait(), fingers, all_flats())
                .unwrap_err()
                .to_string(),
            "fingerprint L index was given where fingerprint R index belongs"
        );
        let finger_as_portrait = rolled(FingerPosition::RThumb);
        assert_eq!(
            Capture::new(finger_as_portrait, all_rolled(), all_flats())
                .unwrap_err()
                .to_string(),
            "fingerprint R thumb was given where the portrait belongs"
        );
        let mut flats = all_flats();
        flats.swap(0, 1);
        assert!(matches!(
            Capture::new(portrait(), all_rolled(), flats),
            Err(BiometricError::WrongSlot { .. })
        ));
    }

    #[test]
    fn a_flat_print_may_be_missing_only_when_all_its_fingers_are() {
        let mut flats = all_flats();
        flats[0] = None;
        assert_eq!(
            Capture::new(portrait(), all_rolled(), flats.clone())
                .unwrap_err()
                .to_string(),
            "the flat print of the four right fingers is missing although fingerprint R index \
             was taken: take the flat print too"
        );
        // Three of the four right fingers lost: the flat print shows the fourth, so it is due.
        let mut fingers = all_rolled();
        for finger in fingers.get_mut(1..4).unwrap() {
            *finger = FingerCapture::Missing(MissingReason::Amputated);
        }
        assert_eq!(
            Capture::new(portrait(), fingers.clone(), flats.clone()),
            Err(BiometricError::FlatMissing {
                flat: ImageRole::Flat(FlatPosition::RightFour),
                finger: FingerPosition::RLittle
            })
        );
        // All four lost: no flat print, and one given would be a mistake.
        fingers[4] = FingerCapture::Missing(MissingReason::Bandaged);
        let capture = Capture::new(portrait(), fingers.clone(), flats).unwrap();
        assert_eq!(capture.flat(FlatPosition::RightFour), None);
        assert_eq!(
            Capture::new(portrait(), fingers, all_flats())
                .unwrap_err()
                .to_string(),
            "the flat print of the four right fingers was given although every finger it shows \
             is recorded missing"
        );
    }

    #[test]
    fn a_citizen_without_fingers_still_has_a_capture() {
        let fingers = FingerPosition::ALL.map(|_| FingerCapture::Missing(MissingReason::Amputated));
        let capture = Capture::new(portrait(), fingers, [None, None, None]).unwrap();
        assert_eq!(capture.images().count(), 1);
        assert_eq!(capture.manifest().missing_fingers.len(), 10);
    }

    // ---- bundle and manifest -------------------------------------------------------------

    fn mixed_capture() -> Capture {
        let mut fingers = all_rolled();
        fingers[0] = FingerCapture::Rolled(
            Image::parse(png(300, 320), ImageRole::Rolled(FingerPosition::RThumb)).unwrap(),
        );
        fingers[9] = FingerCapture::Missing(MissingReason::Other(
            OtherReason::parse("bỏng, đang điều trị").unwrap(),
        ));
        fingers[8] = FingerCapture::Missing(MissingReason::Injured);
        Capture::new(portrait(), fingers, all_flats()).unwrap()
    }

    #[test]
    fn a_bundle_reads_back_to_the_same_capture() {
        let capture = mixed_capture();
        let bundle = capture.to_bundle();
        assert!(bundle.starts_with(b"CCBD\x01"));
        assert_eq!(Capture::from_bundle(&bundle).unwrap(), capture);
    }

    #[test]
    fn a_damaged_bundle_is_refused() {
        let bundle = mixed_capture().to_bundle();
        assert_eq!(
            Capture::from_bundle(b"PK\x03\x04 not ours"),
            Err(BiometricError::NotABundle)
        );
        assert_eq!(Capture::from_bundle(b""), Err(BiometricError::NotABundle));
        let mut v2 = bundle.clone();
        v2[4] = 2;
        assert_eq!(
            Capture::from_bundle(&v2).unwrap_err().to_string(),
            "the biometric bundle is version 2; this program reads version 1"
        );
        let mut trailing = bundle.clone();
        trailing.push(0);
        assert_eq!(
            Capture::from_bundle(&trailing),
            Err(BiometricError::BundleTrailing)
        );
        // A portrait whose bytes were swapped for a PDF of the same length.
        let mut pdf = bundle.clone();
        pdf.splice(10..14, *b"%PDF");
        assert_eq!(
            Capture::from_bundle(&pdf).unwrap_err().to_string(),
            "the portrait is not a JPEG or PNG image (it looks like a PDF)"
        );
        // No portrait entry at all.
        let mut none = bundle.clone();
        none[5] = KIND_NONE;
        assert_eq!(
            Capture::from_bundle(&none).unwrap_err().to_string(),
            "the biometric bundle is damaged at the portrait: it has no image"
        );
    }

    #[test]
    fn every_cut_of_a_bundle_is_refused() {
        let bundle = mixed_capture().to_bundle();
        // Every cut inside the headers and reasons, and a sample of cuts inside images.
        for cut in (0..bundle.len()).filter(|c| c % 101 == 0 || *c < 64 || bundle.len() - c < 64) {
            assert!(
                Capture::from_bundle(bundle.get(..cut).unwrap()).is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn the_manifest_lists_images_and_reasons_without_bytes() {
        let capture = mixed_capture();
        let manifest = capture.manifest();
        assert_eq!(manifest.images.len(), 1 + 8 + 3);
        let first = &manifest.images[0];
        assert_eq!(first.role, ImageRole::Portrait);
        assert_eq!((first.width, first.height, first.bytes), (480, 640, 25_055));
        assert_eq!(
            first.sha256,
            hex::encode(Sha256::digest(capture.portrait().bytes()))
        );
        let json = serde_json::to_value(&manifest).unwrap();
        assert_eq!(json["images"][1]["role"], "r_thumb");
        assert_eq!(json["images"][1]["format"], "png");
        assert_eq!(json["images"][11]["role"], "flat_thumbs");
        assert_eq!(
            json["missing_fingers"],
            serde_json::json!([
                {"finger": "l_ring", "reason": "injured"},
                {"finger": "l_little", "reason": "other", "text": "bỏng, đang điều trị"},
            ])
        );
        let text = serde_json::to_string(&manifest).unwrap();
        assert!(
            text.len() < 3_000,
            "no image bytes: {} characters",
            text.len()
        );
        assert_eq!(serde_json::from_str::<Manifest>(&text).unwrap(), manifest);
    }

    // ---- properties ----------------------------------------------------------------------

    fn reason() -> impl Strategy<Value = MissingReason> {
        prop_oneof![
            Just(MissingReason::Amputated),
            Just(MissingReason::Injured),
            Just(MissingReason::Bandaged),
            Just(MissingReason::Deformed),
            Just(MissingReason::Unreadable),
            "[a-zđơư]{1,12}( [a-zđơư]{1,12}){0,3}"
                .prop_map(|t| MissingReason::Other(OtherReason::parse(&t).unwrap())),
        ]
    }

    /// A finger: None for missing (with a reason), or an image's format, size and padding.
    fn finger_spec() -> impl Strategy<Value = Result<(bool, u16, u16, usize), MissingReason>> {
        prop_oneof![
            (
                any::<bool>(),
                200u16..=1600,
                200u16..=1600,
                1_000usize..2_000
            )
                .prop_map(Ok),
            reason().prop_map(Err),
        ]
    }

    fn capture() -> impl Strategy<Value = Capture> {
        (
            400u16..=1_200,
            2_000usize..4_000,
            proptest::collection::vec(finger_spec(), 10),
            any::<[bool; 3]>(),
        )
            .prop_map(|(height, pad, specs, flat_png)| {
                let portrait = Image::parse(jpeg(height / 4 * 3, height, pad), PORTRAIT).unwrap();
                let fingers: Vec<FingerCapture> = FingerPosition::ALL
                    .into_iter()
                    .zip(specs)
                    .map(|(finger, spec)| match spec {
                        Ok((is_wsq, w, h, pad)) => {
                            let bytes = if is_wsq {
                                wsq(w, h, pad)
                            } else {
                                jpeg(w, h, pad)
                            };
                            FingerCapture::Rolled(
                                Image::parse(bytes, ImageRole::Rolled(finger)).unwrap(),
                            )
                        }
                        Err(reason) => FingerCapture::Missing(reason),
                    })
                    .collect();
                let fingers: [FingerCapture; 10] = fingers.try_into().unwrap();
                let flats = FlatPosition::ALL.map(|flat| {
                    let due = flat.fingers().iter().any(|f| {
                        matches!(
                            fingers[usize::from(f.ansi_nist_code() - 1)],
                            FingerCapture::Rolled(_)
                        )
                    });
                    let use_png = flat_png[usize::from(flat.ansi_nist_code() - 13)];
                    due.then(|| {
                        let bytes = if use_png {
                            png_header_only(1_600, 1_000, 2_000)
                        } else {
                            wsq(1_600, 1_000, 2_000)
                        };
                        Image::parse(bytes, ImageRole::Flat(flat)).unwrap()
                    })
                });
                Capture::new(portrait, fingers, flats).unwrap()
            })
    }

    proptest! {
        #[test]
        fn bundles_round_trip(capture in capture()) {
            let bundle = capture.to_bundle();
            let back = Capture::from_bundle(&bundle).unwrap();
            prop_assert_eq!(back.to_bundle(), bundle);
            prop_assert_eq!(&back, &capture);
            let manifest = capture.manifest();
            let json = serde_json::to_string(&manifest).unwrap();
            prop_assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), manifest);
        }

        #[test]
        fn a_changed_or_cut_bundle_never_panics(
            capture in capture(),
            at in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let bundle = capture.to_bundle();
            let i = at.index(bundle.len());
            prop_assert!(Capture::from_bundle(bundle.get(..i).unwrap()).is_err());
            let mut flipped = bundle.clone();
            flipped[i] ^= 1 << bit;
            if let Ok(back) = Capture::from_bundle(&flipped) {
                // A flip inside pixel data goes unnoticed; the result is still canonical.
                prop_assert_eq!(back.to_bundle(), flipped);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
            let _ = Capture::from_bundle(&bytes);
            for role in ImageRole::ALL {
                let _ = Image::parse(bytes.clone(), role);
            }
        }

        #[test]
        fn arbitrary_bytes_after_a_signature_never_panic(
            which in 0usize..4,
            tail in proptest::collection::vec(any::<u8>(), 0..3_000),
        ) {
            let head: &[u8] = [JPEG_MAGIC, PNG_MAGIC, WSQ_MAGIC, b"CCBD\x01"][which];
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(&tail);
            let _ = Capture::from_bundle(&bytes);
            let _ = Image::parse(bytes.clone(), PORTRAIT);
            let _ = Image::parse(bytes, R_INDEX);
        }
    }

    #[test]
    fn refusals_are_said_in_vietnamese_naming_the_image() {
        let thumb = ImageRole::Rolled(FingerPosition::LLittle);
        let said = BiometricError::TooFewPixels {
            role: thumb,
            width: 100,
            height: 90,
            min_width: 200,
            min_height: 200,
        }
        .vietnamese();
        assert_eq!(
            said,
            "ngón út trái: ảnh 100×90 điểm ảnh, nhỏ hơn mức tối thiểu 200×200"
        );
        let said = BiometricError::Empty {
            role: ImageRole::Portrait,
        }
        .vietnamese();
        assert_eq!(said, "ảnh chân dung: tệp trống");
        assert!(
            BiometricError::EmptyReason
                .vietnamese()
                .starts_with("chưa ghi lý do")
        );
    }
}
