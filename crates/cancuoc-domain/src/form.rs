//! Collection forms (phiếu thu thập thông tin dân cư): one row of an import file,
//! validated into a citizen record or rejected with reasons.
//!
//! The columns and their written forms are those of DESIGN §6 "Import file". Reading a
//! CSV or XLSX file into [`RawForm`]s is the job of `cancuoc-import`; this module only
//! decides what a row means: [`validate`] turns it into [`CitizenData`] plus
//! [`Finding`]s that flag it for review, or into every [`Rejection`] that applies.
//! [`form_row`] writes a record back as a row, so that generated data can be imported.

use std::fmt;

use jiff::civil::Date;
use unicode_normalization::{IsNormalized, is_nfc_quick};

use crate::admin::{AdminCode, AdminLevel};
use crate::citizen::{
    BloodGroup, CitizenData, MaritalStatus, OldIdNumber, Relative, Residence, Sex,
};
use crate::date::{DateError, PartialDate};
use crate::personal_id::{Inconsistency, PersonalId};
use crate::{reference, text};

/// Number of columns of the import file.
pub const COLUMN_COUNT: usize = 27;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest address line accepted, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest household number or relation to the head of household, in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 50;

/// A column of the import file, in the order of DESIGN §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    SoDinhDanh,
    CmndCu,
    HoTen,
    TenGoiKhac,
    NgaySinh,
    GioiTinh,
    NoiDangKyKhaiSinh,
    QueQuan,
    DanToc,
    TonGiao,
    QuocTich,
    NhomMau,
    TinhTrangHonNhan,
    ThuongTruMaXa,
    ThuongTruDiaChi,
    TamTruMaXa,
    TamTruDiaChi,
    NoiOHienTaiMaXa,
    NoiOHienTaiDiaChi,
    SoHo,
    QuanHeChuHo,
    HoTenCha,
    SoDinhDanhCha,
    HoTenMe,
    SoDinhDanhMe,
    HoTenVoChong,
    SoDinhDanhVoChong,
}

impl Column {
    /// Every column, in file order; `ALL[c.index()] == c`.
    pub const ALL: [Column; COLUMN_COUNT] = [
        Self::SoDinhDanh,
        Self::CmndCu,
        Self::HoTen,
        Self::TenGoiKhac,
        Self::NgaySinh,
        Self::GioiTinh,
        Self::NoiDangKyKhaiSinh,
        Self::QueQuan,
        Self::DanToc,
        Self::TonGiao,
        Self::QuocTich,
        Self::NhomMau,
        Self::TinhTrangHonNhan,
        Self::ThuongTruMaXa,
        Self::ThuongTruDiaChi,
        Self::TamTruMaXa,
        Self::TamTruDiaChi,
        Self::NoiOHienTaiMaXa,
        Self::NoiOHienTaiDiaChi,
        Self::SoHo,
        Self::QuanHeChuHo,
        Self::HoTenCha,
        Self::SoDinhDanhCha,
        Self::HoTenMe,
        Self::SoDinhDanhMe,
        Self::HoTenVoChong,
        Self::SoDinhDanhVoChong,
    ];

    /// The columns a header must have. Besides these, a header needs at least one of
    /// [`Column::ThuongTruMaXa`] and [`Column::NoiOHienTaiMaXa`] (see [`Column::RESIDENCE`]).
    pub const REQUIRED: [Column; 5] = [
        Self::SoDinhDanh,
        Self::HoTen,
        Self::NgaySinh,
        Self::GioiTinh,
        Self::QuocTich,
    ];

    /// A row needs a commune code in at least one of these.
    pub const RESIDENCE: [Column; 2] = [Self::ThuongTruMaXa, Self::NoiOHienTaiMaXa];

    /// Position in the file order, 0-based.
    pub fn index(self) -> usize {
        // The enum has no explicit discriminants: they are 0..27 in declaration order.
        self as usize
    }

    /// The ASCII identifier used in files, APIs and messages: `so_dinh_danh`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SoDinhDanh => "so_dinh_danh",
            Self::CmndCu => "cmnd_cu",
            Self::HoTen => "ho_ten",
            Self::TenGoiKhac => "ten_goi_khac",
            Self::NgaySinh => "ngay_sinh",
            Self::GioiTinh => "gioi_tinh",
            Self::NoiDangKyKhaiSinh => "noi_dang_ky_khai_sinh",
            Self::QueQuan => "que_quan",
            Self::DanToc => "dan_toc",
            Self::TonGiao => "ton_giao",
            Self::QuocTich => "quoc_tich",
            Self::NhomMau => "nhom_mau",
            Self::TinhTrangHonNhan => "tinh_trang_hon_nhan",
            Self::ThuongTruMaXa => "thuong_tru_ma_xa",
            Self::ThuongTruDiaChi => "thuong_tru_dia_chi",
            Self::TamTruMaXa => "tam_tru_ma_xa",
            Self::TamTruDiaChi => "tam_tru_dia_chi",
            Self::NoiOHienTaiMaXa => "noi_o_hien_tai_ma_xa",
            Self::NoiOHienTaiDiaChi => "noi_o_hien_tai_dia_chi",
            Self::SoHo => "so_ho",
            Self::QuanHeChuHo => "quan_he_chu_ho",
            Self::HoTenCha => "ho_ten_cha",
            Self::SoDinhDanhCha => "so_dinh_danh_cha",
            Self::HoTenMe => "ho_ten_me",
            Self::SoDinhDanhMe => "so_dinh_danh_me",
            Self::HoTenVoChong => "ho_ten_vo_chong",
            Self::SoDinhDanhVoChong => "so_dinh_danh_vo_chong",
        }
    }

    /// The Vietnamese header, as a template given to collectors writes it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Self::SoDinhDanh => "Số định danh",
            Self::CmndCu => "CMND cũ",
            Self::HoTen => "Họ tên",
            Self::TenGoiKhac => "Tên gọi khác",
            Self::NgaySinh => "Ngày sinh",
            Self::GioiTinh => "Giới tính",
            Self::NoiDangKyKhaiSinh => "Nơi đăng ký khai sinh",
            Self::QueQuan => "Quê quán",
            Self::DanToc => "Dân tộc",
            Self::TonGiao => "Tôn giáo",
            Self::QuocTich => "Quốc tịch",
            Self::NhomMau => "Nhóm máu",
            Self::TinhTrangHonNhan => "Tình trạng hôn nhân",
            Self::ThuongTruMaXa => "Thường trú mã xã",
            Self::ThuongTruDiaChi => "Thường trú địa chỉ",
            Self::TamTruMaXa => "Tạm trú mã xã",
            Self::TamTruDiaChi => "Tạm trú địa chỉ",
            Self::NoiOHienTaiMaXa => "Nơi ở hiện tại mã xã",
            Self::NoiOHienTaiDiaChi => "Nơi ở hiện tại địa chỉ",
            Self::SoHo => "Số hộ",
            Self::QuanHeChuHo => "Quan hệ chủ hộ",
            Self::HoTenCha => "Họ tên cha",
            Self::SoDinhDanhCha => "Số định danh cha",
            Self::HoTenMe => "Họ tên mẹ",
            Self::SoDinhDanhMe => "Số định danh mẹ",
            Self::HoTenVoChong => "Họ tên vợ/chồng",
            Self::SoDinhDanhVoChong => "Số định danh vợ/chồng",
        }
    }

    /// Recognises a header cell: the identifier, the Vietnamese header with or without
    /// diacritics, in any case, with spaces, hyphens or slashes for underscores, and a
    /// few common wordings ("Họ và tên", "Số CCCD", "Quan hệ với chủ hộ"). A trailing
    /// "(*)" or "*" that templates use to mark required fields is ignored.
    pub fn from_header(header: &str) -> Option<Column> {
        let key = header_key(header);
        if key.is_empty() {
            return None;
        }
        if let Some(c) = Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(&key))
        {
            return Some(c);
        }
        let alias = match key.as_str() {
            "HO_VA_TEN" => Self::HoTen,
            "SO_DINH_DANH_CA_NHAN" | "SO_CCCD" | "SO_CAN_CUOC" | "SO_CAN_CUOC_CONG_DAN" => {
                Self::SoDinhDanh
            }
            "CMND" | "SO_CMND" | "SO_CMND_CU" => Self::CmndCu,
            "NGAY_THANG_NAM_SINH" => Self::NgaySinh,
            "SO_HO_KHAU" => Self::SoHo,
            "QUAN_HE_VOI_CHU_HO" => Self::QuanHeChuHo,
            "HO_VA_TEN_CHA" => Self::HoTenCha,
            "HO_VA_TEN_ME" => Self::HoTenMe,
            "HO_VA_TEN_VO_CHONG" => Self::HoTenVoChong,
            _ => return None,
        };
        Some(alias)
    }

    /// Whether a row is rejected when this cell is empty.
    pub fn is_required(self) -> bool {
        Self::REQUIRED.contains(&self)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Folded header: no diacritics, upper case, every run of other characters one `_`.
fn header_key(header: &str) -> String {
    let folded = text::fold(header);
    let mut key = String::with_capacity(folded.len());
    let mut gap = false;
    for c in folded.chars() {
        if c.is_alphanumeric() {
            if gap && !key.is_empty() {
                key.push('_');
            }
            gap = false;
            key.push(c);
        } else {
            gap = true;
        }
    }
    key
}

/// Whether a cell would be run as a formula by a spreadsheet that opens a file it is
/// copied into (CSV or formula injection): see [`crate::text::begins_like_formula`].
/// No column of a collection form legitimately begins with `=`, `+`, `-` or `@`: IDs,
/// codes and dates are digits, names and addresses begin with a letter or a digit, and
/// blood groups put their sign last (`O+`). So a signed number (`-5`) or a lone `-`
/// written for "none" is refused too, which costs an officer a retyped cell, where
/// letting `-2+3+cmd|' /C calc'!A0` through cost a workstation.
pub fn looks_like_formula(cell: &str) -> bool {
    crate::text::begins_like_formula(cell)
}

/// Why a formula-looking cell is refused, as the rejects file and the console show it.
pub const FORMULA_REJECTION: &str =
    "formula not allowed: a cell may not begin with =, +, -, @, a tab or a carriage return";

/// One row of an import file as read, before any validation.
#[derive(Clone, PartialEq, Eq)]
pub struct RawForm {
    /// The row number a person sees in a spreadsheet: the header is row 1 (or the row
    /// it is on), the first data row 2.
    pub row: usize,
    /// Cells by [`Column::index`]. `None`, empty and white-space-only cells all read as
    /// empty through [`RawForm::get`].
    pub values: [Option<String>; COLUMN_COUNT],
}

impl RawForm {
    /// A row with every cell empty.
    pub fn new(row: usize) -> Self {
        Self {
            row,
            values: std::array::from_fn(|_| None),
        }
    }

    /// A row from cells in file order (as [`form_row`] writes them).
    pub fn from_cells<S: AsRef<str>>(row: usize, cells: &[S; COLUMN_COUNT]) -> Self {
        let mut raw = Self::new(row);
        for (column, cell) in Column::ALL.into_iter().zip(cells) {
            raw.set(column, cell.as_ref());
        }
        raw
    }

    /// The cell, trimmed; `None` when it is empty or white space only.
    pub fn get(&self, column: Column) -> Option<&str> {
        self.values
            .get(column.index())
            .and_then(|v| v.as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// Stores a cell, trimmed; an empty or white-space-only value clears it.
    pub fn set(&mut self, column: Column, value: &str) {
        let value = value.trim();
        if let Some(slot) = self.values.get_mut(column.index()) {
            *slot = (!value.is_empty()).then(|| value.to_owned());
        }
    }

    /// The columns that hold a value.
    pub fn filled(&self) -> impl Iterator<Item = Column> + '_ {
        Column::ALL.into_iter().filter(|c| self.get(*c).is_some())
    }
}

impl fmt::Debug for RawForm {
    // Cells are personal data and Debug output ends up in logs: show which are filled.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let filled: Vec<&str> = self.filled().map(Column::name).collect();
        f.debug_struct("RawForm")
            .field("row", &self.row)
            .field("filled", &filled)
            .finish()
    }
}

/// Why a row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The column at fault, when one is.
    pub column: Option<Column>,
    /// Lower case, no trailing period, for an officer to act on.
    pub reason: String,
}

impl Rejection {
    pub fn new(column: Option<Column>, reason: impl Into<String>) -> Self {
        Self {
            column,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{c}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// Kinds of issue that flag an accepted row for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A field the form should carry but that may be unknown: hometown, ethnicity,
    /// religion, permanent address, place of birth registration.
    MissingField,
    /// A residence commune without its address line.
    ResidenceWithoutAddress,
}

impl FindingKind {
    /// Stable identifier for files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingField => "missing_field",
            Self::ResidenceWithoutAddress => "residence_without_address",
        }
    }
}

/// A non-fatal issue: the row is accepted but flagged for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub column: Column,
    pub kind: FindingKind,
    /// Lower case, no trailing period.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A review finding as a Vietnamese reader reads it. The register keeps findings in the
/// stable English of the API and the files ("missing field que_quan"); the console shows
/// them through this. Text of another shape comes back unchanged.
pub fn finding_vietnamese(finding: &str) -> String {
    let field = |name: &str| -> String {
        match Column::from_header(name) {
            Some(column) => column.vietnamese().to_owned(),
            None => match name {
                "cha" => "Cha".to_owned(),
                "me" => "Mẹ".to_owned(),
                "vo_chong" => "Vợ (chồng)".to_owned(),
                other => other.to_owned(),
            },
        }
    };
    if let Some(column) = finding.strip_prefix("missing field ") {
        return format!("Thiếu {}", field(column));
    }
    if let Some(fields) = finding.strip_prefix("conflicts with official record on ") {
        let named: Vec<String> = fields.split(", ").map(field).collect();
        return format!("Khác bản ghi chính thức ở: {}", named.join(", "));
    }
    if finding.starts_with("possible duplicate of a record outside") {
        return "Có thể trùng với một người ngoài địa bàn (cán bộ cấp trên đối chiếu)".to_owned();
    }
    if let Some(other) = finding.strip_prefix("possible duplicate of ") {
        return format!("Có thể trùng với người có số định danh {other}");
    }
    if let Some((commune, address)) = finding.split_once(" given without ") {
        return format!("Có {} nhưng thiếu {}", field(commune), field(address));
    }
    finding.to_owned()
}

/// The administrative units a validation checks codes against, provided by the caller
/// from the loaded hierarchy.
pub trait PlaceLookup {
    /// Whether a unit of any level has this code.
    fn admin_unit_exists(&self, code: &AdminCode) -> bool;
    /// Whether a commune-level unit (phường, xã, thị trấn, đặc khu) has this code.
    fn is_commune(&self, code: &AdminCode) -> bool;
}

/// A row that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidForm {
    pub row: usize,
    pub data: CitizenData,
    pub findings: Vec<Finding>,
}

/// Fields the form should carry; an empty one flags the row (`MissingField`).
const EXPECTED: [Column; 5] = [
    Column::NoiDangKyKhaiSinh,
    Column::QueQuan,
    Column::DanToc,
    Column::TonGiao,
    Column::ThuongTruDiaChi,
];

/// Validates one row. Every rejection that applies is reported, not only the first.
pub fn validate(
    raw: &RawForm,
    places: &dyn PlaceLookup,
    today: Date,
) -> Result<ValidForm, Vec<Rejection>> {
    let mut v = Validation::new(raw, places);

    let personal_id = v.required(Column::SoDinhDanh).and_then(|s| {
        PersonalId::parse(s)
            .map_err(|e| v.reject(Column::SoDinhDanh, e.to_string()))
            .ok()
    });
    let old_id_number = v.value(Column::CmndCu).and_then(|s| {
        let parsed = OldIdNumber::parse(s);
        if parsed.is_none() {
            v.reject(Column::CmndCu, "old ID number must have 9 or 12 digits");
        }
        parsed
    });
    let full_name = v
        .required(Column::HoTen)
        .and_then(|s| v.name(Column::HoTen, s));
    let other_names = v
        .value(Column::TenGoiKhac)
        .and_then(|s| v.name(Column::TenGoiKhac, s));
    let birth_date = v.required(Column::NgaySinh).and_then(|s| v.date(s, today));
    let sex = v.required(Column::GioiTinh).and_then(|s| {
        let parsed = Sex::parse(s);
        if parsed.is_none() {
            v.reject(
                Column::GioiTinh,
                format!("unknown sex {s:?} (expected Nam or Nữ)"),
            );
        }
        parsed
    });
    if let (Some(id), Some(sex), Some(birth)) = (&personal_id, sex, &birth_date) {
        match id.consistent_with(sex, birth.year()) {
            Ok(()) => {}
            Err(Inconsistency::Sex { encoded }) => v.reject(
                Column::SoDinhDanh,
                format!(
                    "personal ID encodes sex {encoded} but the form says {}",
                    sex.vietnamese()
                ),
            ),
            Err(Inconsistency::BirthYear { encoded }) => v.reject(
                Column::SoDinhDanh,
                format!(
                    "personal ID encodes birth year {encoded} but the form says {}",
                    birth.year()
                ),
            ),
        }
    }

    let birth_registration_place = v.admin_unit(Column::NoiDangKyKhaiSinh);
    let hometown = v.admin_unit(Column::QueQuan);
    let ethnicity = v.value(Column::DanToc).and_then(|s| {
        let found = reference::ethnicity(s).map(|e| e.code.to_owned());
        if found.is_none() {
            v.reject(Column::DanToc, format!("unknown ethnicity {s:?}"));
        }
        found
    });
    let religion = v.value(Column::TonGiao).and_then(|s| {
        let found = reference::religion(s).map(|r| r.code.to_owned());
        if found.is_none() {
            v.reject(Column::TonGiao, format!("unknown religion {s:?}"));
        }
        found
    });
    let nationality = v.required(Column::QuocTich).and_then(|s| {
        let found = reference::nationality(s).map(|n| n.code.to_owned());
        if found.is_none() {
            v.reject(Column::QuocTich, format!("unknown nationality {s:?}"));
        }
        found
    });
    let blood_group = v.value(Column::NhomMau).and_then(|s| {
        let parsed = BloodGroup::parse(s);
        if parsed.is_none() {
            v.reject(
                Column::NhomMau,
                format!("unknown blood group {s:?} (expected A, B, AB or O, with + or - if known)"),
            );
        }
        parsed
    });
    let marital_status = v.value(Column::TinhTrangHonNhan).and_then(|s| {
        let parsed = MaritalStatus::parse(s);
        if parsed.is_none() {
            v.reject(
                Column::TinhTrangHonNhan,
                format!(
                    "unknown marital status {s:?} (expected Chưa kết hôn, Đã kết hôn, Ly hôn or Góa)"
                ),
            );
        }
        parsed
    });

    let permanent_residence = v.residence(Column::ThuongTruMaXa, Column::ThuongTruDiaChi);
    let temporary_residence = v.residence(Column::TamTruMaXa, Column::TamTruDiaChi);
    let current_residence = v.residence(Column::NoiOHienTaiMaXa, Column::NoiOHienTaiDiaChi);
    if Column::RESIDENCE.iter().all(|c| raw.get(*c).is_none()) {
        v.rejections.push(Rejection::new(
            None,
            "thuong_tru_ma_xa or noi_o_hien_tai_ma_xa is required",
        ));
    }

    let household_number = v
        .value(Column::SoHo)
        .and_then(|s| v.short_text(Column::SoHo, s));
    let relation_to_head = v
        .value(Column::QuanHeChuHo)
        .and_then(|s| v.short_text(Column::QuanHeChuHo, s));
    let father = v.relative(Column::HoTenCha, Column::SoDinhDanhCha);
    let mother = v.relative(Column::HoTenMe, Column::SoDinhDanhMe);
    let spouse = v.relative(Column::HoTenVoChong, Column::SoDinhDanhVoChong);

    for column in EXPECTED {
        // A permanent commune without its address is flagged by `residence` already.
        let flagged_elsewhere =
            column == Column::ThuongTruDiaChi && raw.get(Column::ThuongTruMaXa).is_some();
        if raw.get(column).is_none() && !flagged_elsewhere {
            v.flag(
                column,
                FindingKind::MissingField,
                format!("missing field {column}"),
            );
        }
    }

    let Validation {
        rejections,
        findings,
        ..
    } = v;
    match (personal_id, full_name, birth_date, sex, nationality) {
        (Some(personal_id), Some(full_name), Some(birth_date), Some(sex), Some(nationality))
            if rejections.is_empty() =>
        {
            Ok(ValidForm {
                row: raw.row,
                data: CitizenData {
                    personal_id,
                    old_id_number,
                    full_name,
                    other_names,
                    birth_date,
                    sex,
                    birth_registration_place,
                    hometown,
                    ethnicity,
                    religion,
                    nationality,
                    blood_group,
                    marital_status,
                    permanent_residence,
                    temporary_residence,
                    current_residence,
                    household_number,
                    relation_to_head,
                    father,
                    mother,
                    spouse,
                    legal_representative: None,
                    died_on: None,
                    missing_since: None,
                },
                findings,
            })
        }
        _ if rejections.is_empty() => {
            // Unreachable: every missing required value has pushed a rejection. Kept as
            // a rejection rather than a panic so that a future slip cannot crash an import.
            Err(vec![Rejection::new(None, "incomplete row")])
        }
        _ => Err(rejections),
    }
}

/// `text::clean`, skipping the normalisation for text that is already clean (most
/// cells): NFC by the quick check, no white space but single spaces, no outer spaces.
fn clean(s: &str) -> String {
    let mut previous_space = true;
    let tidy = s.chars().all(|c| {
        let ok = if c == ' ' {
            !previous_space
        } else {
            !c.is_whitespace()
        };
        previous_space = c == ' ';
        ok
    }) && !previous_space;
    if tidy && is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s.to_owned()
    } else {
        text::clean(s)
    }
}

/// The state of one row's validation: what has been rejected and flagged so far.
struct Validation<'a> {
    raw: &'a RawForm,
    places: &'a dyn PlaceLookup,
    /// Cells that look like formulas: rejected once, then treated as absent.
    formulas: [bool; COLUMN_COUNT],
    rejections: Vec<Rejection>,
    findings: Vec<Finding>,
}

impl<'a> Validation<'a> {
    fn new(raw: &'a RawForm, places: &'a dyn PlaceLookup) -> Self {
        let mut v = Self {
            raw,
            places,
            formulas: [false; COLUMN_COUNT],
            rejections: Vec::new(),
            findings: Vec::new(),
        };
        for column in Column::ALL {
            if raw.get(column).is_some_and(looks_like_formula) {
                v.reject(column, FORMULA_REJECTION);
                if let Some(flag) = v.formulas.get_mut(column.index()) {
                    *flag = true;
                }
            }
        }
        v
    }

    fn reject(&mut self, column: Column, reason: impl Into<String>) {
        self.rejections.push(Rejection::new(Some(column), reason));
    }

    fn flag(&mut self, column: Column, kind: FindingKind, message: String) {
        self.findings.push(Finding {
            column,
            kind,
            message,
        });
    }

    fn is_formula(&self, column: Column) -> bool {
        self.formulas.get(column.index()).copied().unwrap_or(false)
    }

    /// The trimmed cell, unless it is empty or was rejected as a formula.
    fn value(&self, column: Column) -> Option<&'a str> {
        if self.is_formula(column) {
            return None;
        }
        self.raw.get(column)
    }

    /// Like `value`, rejecting the row when the cell is empty.
    fn required(&mut self, column: Column) -> Option<&'a str> {
        let value = self.value(column);
        if value.is_none() && !self.is_formula(column) {
            self.reject(column, "required field is empty");
        }
        value
    }

    /// A name: NFC with single spaces, at least one letter, no digits, no control
    /// characters, at most `MAX_NAME_CHARS`.
    fn name(&mut self, column: Column, s: &str) -> Option<String> {
        if s.chars().any(char::is_control) {
            self.reject(column, "control characters are not allowed");
            return None;
        }
        let name = clean(s);
        let mut ok = true;
        if !name.chars().any(char::is_alphabetic) {
            self.reject(column, "name must contain a letter");
            ok = false;
        }
        if name.chars().any(char::is_numeric) {
            self.reject(column, "name must not contain digits");
            ok = false;
        }
        if name.chars().count() > MAX_NAME_CHARS {
            self.reject(
                column,
                format!("name is longer than {MAX_NAME_CHARS} characters"),
            );
            ok = false;
        }
        ok.then_some(name)
    }

    /// Cleaned free text of at most `max` characters, without control characters.
    fn limited_text(&mut self, column: Column, s: &str, max: usize, what: &str) -> Option<String> {
        let cleaned = clean(s);
        if cleaned.chars().any(char::is_control) {
            self.reject(column, "control characters are not allowed");
            return None;
        }
        if cleaned.chars().count() > max {
            self.reject(column, format!("{what} is longer than {max} characters"));
            return None;
        }
        Some(cleaned)
    }

    fn short_text(&mut self, column: Column, s: &str) -> Option<String> {
        self.limited_text(column, s, MAX_SHORT_TEXT_CHARS, "text")
    }

    fn date(&mut self, s: &str, today: Date) -> Option<PartialDate> {
        let column = Column::NgaySinh;
        match PartialDate::parse(s) {
            Ok(d) if d.is_after(today) => {
                self.reject(column, "birth date is in the future");
                None
            }
            Ok(d) => Some(d),
            Err(DateError::Impossible(_)) => {
                self.reject(column, format!("date {s} does not exist"));
                None
            }
            Err(DateError::YearOutOfRange(y)) => {
                self.reject(column, format!("year {y} is outside 1800–2399"));
                None
            }
            Err(DateError::Format(_)) => {
                self.reject(
                    column,
                    format!("{s:?} is not a date (expected dd/mm/yyyy, mm/yyyy or yyyy)"),
                );
                None
            }
        }
    }

    /// An administrative unit of any level (place of birth registration, hometown).
    fn admin_unit(&mut self, column: Column) -> Option<AdminCode> {
        let s = self.value(column)?;
        let Ok(code) = AdminCode::parse(s) else {
            self.reject(
                column,
                format!("{s:?} is not an administrative unit code (2, 3 or 5 digits)"),
            );
            return None;
        };
        if !self.places.admin_unit_exists(&code) {
            self.reject(
                column,
                format!("administrative unit code {code} does not exist"),
            );
            return None;
        }
        Some(code)
    }

    fn commune(&mut self, column: Column, s: &str) -> Option<AdminCode> {
        let code = match AdminCode::parse(s) {
            Ok(code) if code.level() == AdminLevel::Commune => code,
            _ => {
                self.reject(column, format!("{s:?} is not a commune code (5 digits)"));
                return None;
            }
        };
        if self.places.is_commune(&code) {
            Some(code)
        } else if self.places.admin_unit_exists(&code) {
            self.reject(column, format!("code {code} is not a commune"));
            None
        } else {
            self.reject(column, format!("commune code {code} does not exist"));
            None
        }
    }

    /// A residence from its commune code and address line. An address without a
    /// commune is rejected; a commune without an address is accepted and flagged.
    fn residence(&mut self, commune: Column, address: Column) -> Option<Residence> {
        let given = self.value(address);
        // `None` for an empty cell, `Some(None)` for a rejected one.
        let line = given.map(|s| self.limited_text(address, s, MAX_ADDRESS_CHARS, "address"));
        let Some(code) = self.value(commune) else {
            if line.is_some() && !self.is_formula(commune) {
                self.reject(commune, format!("{address} given without {commune}"));
            }
            return None;
        };
        let code = self.commune(commune, code);
        let (code, line) = match (code, line) {
            (Some(code), Some(Some(line))) => (code, Some(line)),
            (Some(code), None) => (code, None),
            _ => return None,
        };
        if line.is_none() && !self.is_formula(address) {
            self.flag(
                address,
                FindingKind::ResidenceWithoutAddress,
                format!("{commune} given without {address}"),
            );
        }
        Some(Residence {
            commune: code,
            address: line.unwrap_or_default(),
        })
    }

    /// A father, mother or spouse: a name, and an ID number of 9 or 12 digits if given.
    fn relative(&mut self, name: Column, id: Column) -> Option<Relative> {
        let full_name = self.value(name).map(|s| self.name(name, s));
        let id_number = self.value(id).and_then(|s| {
            let ok = matches!(s.len(), 9 | 12) && s.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                self.reject(id, "ID number must have 9 or 12 digits");
            }
            ok.then(|| s.to_owned())
        });
        match full_name {
            Some(full_name) => Some(Relative {
                full_name: full_name?,
                id_number,
                nationality: None,
            }),
            None => {
                if id_number.is_some() && !self.is_formula(name) {
                    self.reject(name, format!("{id} given without {name}"));
                }
                None
            }
        }
    }
}

/// Writes a record as an import row, in column order: dates `dd/mm/yyyy` (or the
/// known part), sex `Nam`/`Nữ`, places and reference values as codes. The form has no
/// columns for a legal representative, relatives' nationalities, or dates of death
/// or disappearance; those are not written.
pub fn form_row(data: &CitizenData) -> [String; COLUMN_COUNT] {
    let opt = |s: Option<&str>| s.unwrap_or_default().to_owned();
    let commune = |r: &Option<Residence>| opt(r.as_ref().map(|r| r.commune.as_str()));
    let address = |r: &Option<Residence>| opt(r.as_ref().map(|r| r.address.as_str()));
    let name = |r: &Option<Relative>| opt(r.as_ref().map(|r| r.full_name.as_str()));
    let id = |r: &Option<Relative>| opt(r.as_ref().and_then(|r| r.id_number.as_deref()));
    Column::ALL.map(|column| match column {
        Column::SoDinhDanh => data.personal_id.as_string(),
        Column::CmndCu => opt(data.old_id_number.as_ref().map(OldIdNumber::as_str)),
        Column::HoTen => data.full_name.clone(),
        Column::TenGoiKhac => opt(data.other_names.as_deref()),
        Column::NgaySinh => data.birth_date.vietnamese(),
        Column::GioiTinh => data.sex.vietnamese().to_owned(),
        Column::NoiDangKyKhaiSinh => opt(data
            .birth_registration_place
            .as_ref()
            .map(AdminCode::as_str)),
        Column::QueQuan => opt(data.hometown.as_ref().map(AdminCode::as_str)),
        Column::DanToc => opt(data.ethnicity.as_deref()),
        Column::TonGiao => opt(data.religion.as_deref()),
        Column::QuocTich => data.nationality.clone(),
        Column::NhomMau => opt(data.blood_group.as_ref().map(BloodGroup::as_str)),
        Column::TinhTrangHonNhan => opt(data.marital_status.map(|m| m.vietnamese())),
        Column::ThuongTruMaXa => commune(&data.permanent_residence),
        Column::ThuongTruDiaChi => address(&data.permanent_residence),
        Column::TamTruMaXa => commune(&data.temporary_residence),
        Column::TamTruDiaChi => address(&data.temporary_residence),
        Column::NoiOHienTaiMaXa => commune(&data.current_residence),
        Column::NoiOHienTaiDiaChi => address(&data.current_residence),
        Column::SoHo => opt(data.household_number.as_deref()),
        Column::QuanHeChuHo => opt(data.relation_to_head.as_deref()),
        Column::HoTenCha => name(&data.father),
        Column::SoDinhDanhCha => id(&data.father),
        Column::HoTenMe => name(&data.mother),
        Column::SoDinhDanhMe => id(&data.mother),
        Column::HoTenVoChong => name(&data.spouse),
        Column::SoDinhDanhVoChong => id(&data.spouse),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal_id::IdPrefix;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    /// Every well-formed code exists; 5-digit codes are communes except those starting
    /// with 9 ("99999" does not exist, "90000" exists but is a district-like unit).
    struct Places;
    impl PlaceLookup for Places {
        fn admin_unit_exists(&self, code: &AdminCode) -> bool {
            code.as_str() != "99999" && code.as_str() != "99"
        }
        fn is_commune(&self, code: &AdminCode) -> bool {
            code.level() == AdminLevel::Commune && !code.as_str().starts_with('9')
        }
    }

    fn today() -> Date {
        jiff::civil::date(2025, 6, 1)
    }

    fn good_row() -> RawForm {
        let mut raw = RawForm::new(2);
        for (c, v) in [
            (Column::SoDinhDanh, "042170012345"),
            (Column::HoTen, "Nguyễn Thị Hoa"),
            (Column::NgaySinh, "05/03/1970"),
            (Column::GioiTinh, "Nữ"),
            (Column::NoiDangKyKhaiSinh, "42"),
            (Column::QueQuan, "18541"),
            (Column::DanToc, "Kinh"),
            (Column::TonGiao, "Không"),
            (Column::QuocTich, "Việt Nam"),
            (Column::ThuongTruMaXa, "18541"),
            (Column::ThuongTruDiaChi, "Thôn 3"),
        ] {
            raw.set(c, v);
        }
        raw
    }

    fn reasons(raw: &RawForm) -> Vec<(Option<Column>, String)> {
        match validate(raw, &Places, today()) {
            Ok(v) => panic!("accepted: {:?}", v.findings),
            Err(r) => r.into_iter().map(|r| (r.column, r.reason)).collect(),
        }
    }

    fn with(mut raw: RawForm, column: Column, value: &str) -> RawForm {
        raw.set(column, value);
        raw
    }

    #[test]
    fn findings_read_in_vietnamese() {
        assert_eq!(
            finding_vietnamese("missing field que_quan"),
            "Thiếu Quê quán"
        );
        assert_eq!(
            finding_vietnamese("conflicts with official record on ho_ten, cha"),
            "Khác bản ghi chính thức ở: Họ tên, Cha"
        );
        assert_eq!(
            finding_vietnamese("possible duplicate of 042090001234"),
            "Có thể trùng với người có số định danh 042090001234"
        );
        assert_eq!(
            finding_vietnamese("thuong_tru_ma_xa given without thuong_tru_dia_chi"),
            format!(
                "Có {} nhưng thiếu {}",
                Column::ThuongTruMaXa.vietnamese(),
                Column::ThuongTruDiaChi.vietnamese()
            )
        );
        assert_eq!(finding_vietnamese("something else"), "something else");
        // Every finding validation makes is translated.
        for column in Column::ALL {
            let said = finding_vietnamese(&format!("missing field {column}"));
            assert!(!said.contains('_'), "{said}");
        }
    }

    #[test]
    fn columns_are_in_design_order() {
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names.join(", "),
            "so_dinh_danh, cmnd_cu, ho_ten, ten_goi_khac, ngay_sinh, gioi_tinh, noi_dang_ky_khai_sinh, que_quan, \
             dan_toc, ton_giao, quoc_tich, nhom_mau, tinh_trang_hon_nhan, thuong_tru_ma_xa, thuong_tru_dia_chi, \
             tam_tru_ma_xa, tam_tru_dia_chi, noi_o_hien_tai_ma_xa, noi_o_hien_tai_dia_chi, so_ho, quan_he_chu_ho, \
             ho_ten_cha, so_dinh_danh_cha, ho_ten_me, so_dinh_danh_me, ho_ten_vo_chong, so_dinh_danh_vo_chong"
        );
        for (i, c) in Column::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }

    #[test]
    fn headers_by_identifier_and_vietnamese_name() {
        for c in Column::ALL {
            assert_eq!(Column::from_header(c.name()), Some(c));
            assert_eq!(Column::from_header(&c.name().to_uppercase()), Some(c));
            assert_eq!(Column::from_header(&c.name().replace('_', " ")), Some(c));
            assert_eq!(Column::from_header(c.vietnamese()), Some(c), "{c}");
            let nfd: String = c.vietnamese().nfd().collect();
            assert_eq!(Column::from_header(&nfd), Some(c));
            assert_eq!(Column::from_header(&text::fold(c.vietnamese())), Some(c));
        }
        assert_eq!(Column::from_header("Họ và tên"), Some(Column::HoTen));
        assert_eq!(Column::from_header(" HỌ TÊN (*) "), Some(Column::HoTen));
        assert_eq!(Column::from_header("Số CCCD"), Some(Column::SoDinhDanh));
        assert_eq!(
            Column::from_header("Quan hệ với chủ hộ"),
            Some(Column::QuanHeChuHo)
        );
        assert_eq!(
            Column::from_header("Họ tên vợ chồng"),
            Some(Column::HoTenVoChong)
        );
        assert_eq!(
            Column::from_header("\u{feff}so_dinh_danh"),
            Some(Column::SoDinhDanh)
        );
        assert_eq!(Column::from_header("ho_tne"), None);
        assert_eq!(Column::from_header(""), None);
        assert_eq!(Column::from_header("  "), None);
    }

    #[test]
    fn formulas_are_recognised() {
        for f in [
            "=1+1",
            "=HYPERLINK(\"x\")",
            "+SUM(A1)",
            "-cmd",
            "@SUM(A1)",
            "+(1)",
            " =A1",
            // Issue 14 §6: a sign then digits was let through, and the rest ran.
            "-2+3+cmd|' /C calc'!A0",
            "+1+cmd|' /C calc'!A0",
            "-5",
            "-",
        ] {
            assert!(looks_like_formula(f), "{f}");
        }
        for s in ["Nguyễn", "a=b", "O+", "042090000001", "01/02/1990"] {
            assert!(!looks_like_formula(s), "{s}");
        }
    }

    #[test]
    fn a_calc_payload_after_a_sign_and_digits_rejects_its_row() {
        let mut row = good_row();
        row.set(Column::ThuongTruDiaChi, "-2+3+cmd|' /C calc'!A0");
        let rejections = validate(&row, &Places, today()).unwrap_err();
        assert!(
            rejections.iter().any(|r| r.column == Some(Column::ThuongTruDiaChi)
                && r.reason == FORMULA_REJECTION),
            "{rejections:?}"
        );
    }

    #[test]
    fn accepts_a_good_row_and_flags_missing_optional_fields() {
        let v = validate(&good_row(), &Places, today()).unwrap();
        assert_eq!(v.row, 2);
        assert!(v.findings.is_empty(), "{:?}", v.findings);
        assert_eq!(v.data.full_name, "Nguyễn Thị Hoa");
        assert_eq!(v.data.ethnicity.as_deref(), Some("01"));
        assert_eq!(v.data.religion.as_deref(), Some("00"));
        assert_eq!(v.data.nationality, "VNM");
        assert_eq!(v.data.sex, Sex::Female);
        assert_eq!(v.data.birth_date.iso(), "1970-03-05");

        let mut raw = good_row();
        raw.set(Column::QueQuan, "");
        raw.set(Column::DanToc, " ");
        raw.set(Column::ThuongTruDiaChi, "");
        let v = validate(&raw, &Places, today()).unwrap();
        let messages: Vec<&str> = v.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "thuong_tru_ma_xa given without thuong_tru_dia_chi",
                "missing field que_quan",
                "missing field dan_toc",
            ]
        );
        assert_eq!(v.data.permanent_residence.unwrap().address, "");
    }

    #[test]
    fn collects_every_rejection() {
        let raw = RawForm::new(7);
        let r = reasons(&raw);
        let required: Vec<_> = r
            .iter()
            .filter(|(_, reason)| reason == "required field is empty")
            .map(|(c, _)| c.unwrap())
            .collect();
        assert_eq!(required, Column::REQUIRED);
        assert!(r.contains(&(
            None,
            "thuong_tru_ma_xa or noi_o_hien_tai_ma_xa is required".into()
        )));

        let mut raw = good_row();
        raw.set(Column::NgaySinh, "31/02/1990");
        raw.set(Column::DanToc, "Kinhh");
        raw.set(Column::ThuongTruMaXa, "99999");
        let r = reasons(&raw);
        assert_eq!(
            r,
            [
                (
                    Some(Column::NgaySinh),
                    "date 31/02/1990 does not exist".into()
                ),
                (Some(Column::DanToc), "unknown ethnicity \"Kinhh\"".into()),
                (
                    Some(Column::ThuongTruMaXa),
                    "commune code 99999 does not exist".into()
                ),
            ]
        );
    }

    #[test]
    fn checks_the_id_against_sex_and_birth_year() {
        let r = reasons(&with(good_row(), Column::GioiTinh, "Nam"));
        assert_eq!(
            r,
            [(
                Some(Column::SoDinhDanh),
                "personal ID encodes sex female but the form says Nam".into()
            )]
        );
        let r = reasons(&with(good_row(), Column::NgaySinh, "1971"));
        assert_eq!(
            r,
            [(
                Some(Column::SoDinhDanh),
                "personal ID encodes birth year 1970 but the form says 1971".into()
            )]
        );
        let r = reasons(&with(good_row(), Column::SoDinhDanh, "04217001234"));
        assert_eq!(r.len(), 1);
        assert!(r[0].1.contains("12 digits"), "{}", r[0].1);
    }

    #[test]
    fn dates() {
        let ok = |s: &str| validate(&with(good_row(), Column::NgaySinh, s), &Places, today());
        assert_eq!(ok("03/1970").unwrap().data.birth_date.iso(), "1970-03");
        assert_eq!(ok("1970").unwrap().data.birth_date.iso(), "1970");
        let id_2025 = PersonalId::from_parts(IdPrefix::new("42", Sex::Female, 2025).unwrap(), 1)
            .unwrap()
            .as_string();
        let future = with(
            with(good_row(), Column::SoDinhDanh, &id_2025),
            Column::NgaySinh,
            "02/06/2025",
        );
        assert_eq!(
            reasons(&future),
            [(Some(Column::NgaySinh), "birth date is in the future".into())]
        );
        let born_today = with(future.clone(), Column::NgaySinh, "01/06/2025");
        assert!(validate(&born_today, &Places, today()).is_ok());
        let r = reasons(&with(good_row(), Column::NgaySinh, "5 March 1970"));
        assert!(r[0].1.contains("is not a date"), "{r:?}");
    }

    #[test]
    fn codes_and_reference_values() {
        let r = reasons(&with(good_row(), Column::ThuongTruMaXa, "90000"));
        assert_eq!(
            r,
            [(
                Some(Column::ThuongTruMaXa),
                "code 90000 is not a commune".into()
            )]
        );
        let r = reasons(&with(good_row(), Column::ThuongTruMaXa, "436"));
        assert_eq!(r[0].1, "\"436\" is not a commune code (5 digits)");
        let r = reasons(&with(good_row(), Column::QueQuan, "99"));
        assert_eq!(r[0].1, "administrative unit code 99 does not exist");
        let r = reasons(&with(good_row(), Column::QueQuan, "Hà Tĩnh"));
        assert!(r[0].1.contains("is not an administrative unit code"));
        // Place of birth registration and hometown may be any level.
        let v = validate(&with(good_row(), Column::QueQuan, "436"), &Places, today()).unwrap();
        assert_eq!(v.data.hometown.unwrap().as_str(), "436");

        let r = reasons(&with(good_row(), Column::QuocTich, "Atlantis"));
        assert_eq!(r[0].1, "unknown nationality \"Atlantis\"");
        let r = reasons(&with(good_row(), Column::TonGiao, "?"));
        assert_eq!(r[0].1, "unknown religion \"?\"");
        let v = validate(&with(good_row(), Column::QuocTich, "VNM"), &Places, today()).unwrap();
        assert_eq!(v.data.nationality, "VNM");

        let v = validate(&with(good_row(), Column::NhomMau, "ab+"), &Places, today()).unwrap();
        assert_eq!(v.data.blood_group.unwrap().as_str(), "AB+");
        assert!(
            reasons(&with(good_row(), Column::NhomMau, "C"))[0]
                .1
                .starts_with("unknown blood group")
        );
        let v = validate(
            &with(good_row(), Column::TinhTrangHonNhan, "Đã kết hôn"),
            &Places,
            today(),
        )
        .unwrap();
        assert_eq!(v.data.marital_status, Some(MaritalStatus::Married));
        assert!(
            reasons(&with(good_row(), Column::TinhTrangHonNhan, "?"))[0]
                .1
                .starts_with("unknown marital status")
        );
        assert!(
            reasons(&with(good_row(), Column::GioiTinh, "X"))[0]
                .1
                .starts_with("unknown sex")
        );
        assert_eq!(
            reasons(&with(good_row(), Column::CmndCu, "12345")),
            [(
                Some(Column::CmndCu),
                "old ID number must have 9 or 12 digits".into()
            )]
        );
    }

    #[test]
    fn names() {
        let nfd: String = "  Trần   Văn  Ân ".nfd().collect();
        let v = validate(&with(good_row(), Column::HoTen, &nfd), &Places, today()).unwrap();
        assert_eq!(v.data.full_name, "Trần Văn Ân");
        let r = |s: &str| reasons(&with(good_row(), Column::HoTen, s));
        assert_eq!(r("Nguyễn Văn 2")[0].1, "name must not contain digits");
        assert_eq!(r("...")[0].1, "name must contain a letter");
        assert_eq!(
            r("Nguyễn\u{0}Văn")[0].1,
            "control characters are not allowed"
        );
        assert_eq!(
            r(&"a".repeat(101))[0].1,
            "name is longer than 100 characters"
        );
        assert!(
            validate(
                &with(good_row(), Column::HoTen, &"a".repeat(100)),
                &Places,
                today()
            )
            .is_ok()
        );
        // Names of some ethnic groups carry apostrophes and hyphens.
        assert!(
            validate(
                &with(good_row(), Column::HoTen, "H'Hen Niê"),
                &Places,
                today()
            )
            .is_ok()
        );
    }

    #[test]
    fn residences_and_addresses() {
        let r = reasons(&with(
            with(good_row(), Column::TamTruDiaChi, "Số 1 Lê Lợi"),
            Column::TamTruMaXa,
            "",
        ));
        assert_eq!(
            r,
            [(
                Some(Column::TamTruMaXa),
                "tam_tru_dia_chi given without tam_tru_ma_xa".into()
            )]
        );
        let r = reasons(&with(good_row(), Column::ThuongTruDiaChi, &"x".repeat(201)));
        assert_eq!(r[0].1, "address is longer than 200 characters");
        let mut only_current = with(good_row(), Column::ThuongTruMaXa, "");
        only_current.set(Column::ThuongTruDiaChi, "");
        only_current.set(Column::NoiOHienTaiMaXa, "18541");
        only_current.set(Column::NoiOHienTaiDiaChi, "Tổ 5");
        let v = validate(&only_current, &Places, today()).unwrap();
        assert_eq!(v.data.current_residence.unwrap().address, "Tổ 5");
        assert_eq!(v.findings.len(), 1);
        assert_eq!(v.findings[0].message, "missing field thuong_tru_dia_chi");
        assert_eq!(v.findings[0].kind, FindingKind::MissingField);
    }

    #[test]
    fn relatives() {
        let mut raw = with(good_row(), Column::HoTenCha, "Nguyễn Văn Ba");
        raw.set(Column::SoDinhDanhCha, "183456789");
        raw.set(Column::HoTenMe, "Lê Thị Tư");
        let v = validate(&raw, &Places, today()).unwrap();
        let father = v.data.father.unwrap();
        assert_eq!(father.id_number.as_deref(), Some("183456789"));
        assert_eq!(v.data.mother.unwrap().id_number, None);

        let r = reasons(&with(good_row(), Column::SoDinhDanhMe, "042170012345"));
        assert_eq!(
            r,
            [(
                Some(Column::HoTenMe),
                "so_dinh_danh_me given without ho_ten_me".into()
            )]
        );
        let mut raw = with(good_row(), Column::HoTenVoChong, "Trần Văn Năm");
        raw.set(Column::SoDinhDanhVoChong, "1234");
        assert_eq!(
            reasons(&raw),
            [(
                Some(Column::SoDinhDanhVoChong),
                "ID number must have 9 or 12 digits".into()
            )]
        );
    }

    #[test]
    fn formulas_are_rejected_once_per_cell() {
        let r = reasons(&with(
            good_row(),
            Column::HoTen,
            "=HYPERLINK(\"http://x\",\"A\")",
        ));
        assert_eq!(r, [(Some(Column::HoTen), FORMULA_REJECTION.into())]);
        let r = reasons(&with(good_row(), Column::ThuongTruDiaChi, "@SUM(1)"));
        assert_eq!(
            r,
            [(Some(Column::ThuongTruDiaChi), FORMULA_REJECTION.into())]
        );
        let r = reasons(&with(good_row(), Column::SoDinhDanhCha, "+cmd"));
        assert_eq!(r, [(Some(Column::SoDinhDanhCha), FORMULA_REJECTION.into())]);
    }

    #[test]
    fn clean_agrees_with_text_clean() {
        let nfd: String = "Nguyễn Văn Ân".nfd().collect();
        for s in [
            "Nguyễn Văn Ân",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "",
            " ",
            "ab",
            &nfd,
            "a\u{a0}b",
        ] {
            assert_eq!(clean(s), text::clean(s), "{s:?}");
        }
    }

    #[test]
    fn debug_output_hides_cells() {
        let debug = format!("{:?}", good_row());
        assert!(!debug.contains("Nguyễn"));
        assert!(!debug.contains("042170012345"));
        assert!(debug.contains("ho_ten"));
    }

    // ---- property tests -------------------------------------------------------------

    const LOWER: &str = "[a-zàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]";

    fn name_strategy() -> impl Strategy<Value = String> {
        let word = format!("[A-ZĐ]{LOWER}{{0,6}}");
        proptest::collection::vec(proptest::string::string_regex(&word).unwrap(), 1..5)
            .prop_map(|w| w.join(" "))
    }

    fn address_strategy() -> impl Strategy<Value = String> {
        let word = format!("[A-Z0-9]({LOWER}|[0-9,/]){{0,8}}");
        proptest::collection::vec(proptest::string::string_regex(&word).unwrap(), 0..6)
            .prop_map(|w| w.join(" "))
    }

    fn residence_strategy() -> impl Strategy<Value = Option<Residence>> {
        proptest::option::of(
            ("[0-8][0-9]{4}", address_strategy()).prop_map(|(c, a)| Residence {
                commune: AdminCode::parse(&c).unwrap(),
                address: a,
            }),
        )
    }

    fn relative_strategy() -> impl Strategy<Value = Option<Relative>> {
        proptest::option::of(
            (name_strategy(), proptest::option::of("[0-9]{9}|[0-9]{12}")).prop_map(
                |(full_name, id_number)| Relative {
                    full_name,
                    id_number,
                    nationality: None,
                },
            ),
        )
    }

    prop_compose! {
        fn identity()(
            female in any::<bool>(),
            year in 1900i16..=2024,
            month in 1i8..=12,
            day in 1i8..=28,
            shape in 0u8..3,
            serial in 0u32..1_000_000,
        ) -> (PersonalId, Sex, PartialDate) {
            let sex = if female { Sex::Female } else { Sex::Male };
            let id = PersonalId::from_parts(IdPrefix::new("42", sex, year).unwrap(), serial).unwrap();
            let date = match shape {
                0 => PartialDate::new(year, None, None),
                1 => PartialDate::new(year, Some(month), None),
                _ => PartialDate::new(year, Some(month), Some(day)),
            }.unwrap();
            (id, sex, date)
        }
    }

    prop_compose! {
        fn citizen()(
            (personal_id, sex, birth_date) in identity(),
            old in proptest::option::of("[0-9]{9}|[0-9]{12}"),
            full_name in name_strategy(),
            other_names in proptest::option::of(name_strategy()),
            birth_registration_place in proptest::option::of("[0-8][0-9]|[0-8][0-9]{2}|[0-8][0-9]{4}"),
            hometown in proptest::option::of("[0-8][0-9]|[0-8][0-9]{2}|[0-8][0-9]{4}"),
            ethnicity in proptest::option::of(Just("01".to_owned())),
            religion in proptest::option::of(Just("00".to_owned())),
            blood_group in proptest::option::of("(A|B|AB|O)[+-]?"),
            marital_status in proptest::option::of(prop_oneof![
                Just(MaritalStatus::Single), Just(MaritalStatus::Married),
                Just(MaritalStatus::Divorced), Just(MaritalStatus::Widowed)]),
            permanent_residence in residence_strategy(),
            temporary_residence in residence_strategy(),
            current in ("[0-8][0-9]{4}", address_strategy()),
            household_number in proptest::option::of("[0-9A-Z]{1,12}"),
            relation_to_head in proptest::option::of(prop_oneof![Just("Chủ hộ"), Just("Vợ"), Just("Con")]),
            father in relative_strategy(),
            mother in relative_strategy(),
            spouse in relative_strategy(),
        ) -> CitizenData {
            CitizenData {
                personal_id,
                old_id_number: old.map(|o| OldIdNumber::parse(&o).unwrap()),
                full_name,
                other_names,
                birth_date,
                sex,
                birth_registration_place: birth_registration_place.map(|c| AdminCode::parse(&c).unwrap()),
                hometown: hometown.map(|c| AdminCode::parse(&c).unwrap()),
                ethnicity,
                religion,
                nationality: "VNM".to_owned(),
                blood_group: blood_group.map(|b| BloodGroup::parse(&b).unwrap()),
                marital_status,
                permanent_residence,
                temporary_residence,
                current_residence: Some(Residence { commune: AdminCode::parse(&current.0).unwrap(), address: current.1 }),
                household_number,
                relation_to_head: relation_to_head.map(str::to_owned),
                father,
                mother,
                spouse,
                legal_representative: None,
                died_on: None,
                missing_since: None,
            }
        }
    }

    proptest! {
        #[test]
        fn validate_never_panics(
            cells in proptest::collection::vec(proptest::option::of(any::<String>()), COLUMN_COUNT),
            row in any::<usize>(),
        ) {
            let mut raw = RawForm::new(row);
            for (slot, cell) in raw.values.iter_mut().zip(cells) {
                *slot = cell;
            }
            let _ = validate(&raw, &Places, today());
        }

        #[test]
        fn validate_never_panics_on_plausible_cells(
            cells in proptest::collection::vec("[0-9/=+@ a-zA-Zđữ.-]{0,14}", COLUMN_COUNT),
        ) {
            let mut raw = RawForm::new(2);
            for (column, cell) in Column::ALL.into_iter().zip(&cells) {
                raw.set(column, cell);
            }
            if let Err(rejections) = validate(&raw, &Places, today()) {
                prop_assert!(!rejections.is_empty());
                for r in rejections {
                    prop_assert!(!r.reason.ends_with('.'));
                }
            }
        }

        #[test]
        fn clean_is_text_clean(s in "\\PC{0,20}|[ a\u{300}\u{303}ễ\t]{0,10}") {
            prop_assert_eq!(clean(&s), text::clean(&s));
        }

        #[test]
        fn form_row_round_trips(data in citizen()) {
            let row = form_row(&data);
            let raw = RawForm::from_cells(9, &row);
            let valid = validate(&raw, &Places, today());
            prop_assert!(valid.is_ok(), "{:?}", valid.err());
            let valid = valid.unwrap();
            prop_assert_eq!(valid.row, 9);
            prop_assert_eq!(valid.data, data);
        }
    }
}
