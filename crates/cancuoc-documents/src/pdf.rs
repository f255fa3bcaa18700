//! The two papers a station prints at intake (Circular 60/2021/TT-BCA, Art. 5): the
//! **intake form** (phiếu thu nhận thông tin căn cước công dân), which the citizen and the
//! officer both sign, and the **appointment slip** (giấy hẹn trả thẻ căn cước công dân),
//! which the citizen takes home and brings back to collect the card.
//!
//! The layout is ours, plain and legible, not a facsimile of the official forms; it carries
//! the facts they carry. Text is set in Be Vietnam Pro (SIL OFL 1.1), compiled into the
//! binary and embedded as a subset, so every diacritic prints the same on any printer and
//! a PDF reader can extract the text. Rendering is pure and deterministic: no clock, no
//! randomness, no files; the PDF's dates and identifiers come from the slip itself, so the
//! same slip always gives the same bytes.
//!
//! The same machinery prints the **daily report** a unit sends up during a campaign:
//! each child unit's intake on the day against its daily target, best first, and the
//! total; and, in [`crate::letters`], a session's invitation letters.

use cancuoc_domain::campaign::{ProgressReport, ProgressRow, group_thousands};
use jiff::civil::Date;
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};

use crate::DocumentError;

/// Be Vietnam Pro Regular 1.002 (PyPI `fontpkg-be-vietnam-pro` 1.2, SIL OFL 1.1).
static REGULAR_TTF: &[u8] = include_bytes!("../fonts/BeVietnamPro-Regular.ttf");
/// Be Vietnam Pro Bold 1.002, from the same package.
static BOLD_TTF: &[u8] = include_bytes!("../fonts/BeVietnamPro-Bold.ttf");

/// Points per millimetre (1 pt = 1/72 in).
pub(crate) const PT_PER_MM: f32 = 72.0 / 25.4;
/// ISO 216 A4, portrait, in points.
pub(crate) const A4: (f32, f32) = (210.0 * PT_PER_MM, 297.0 * PT_PER_MM);
/// ISO 216 A5, portrait, in points.
const A5: (f32, f32) = (148.0 * PT_PER_MM, 210.0 * PT_PER_MM);

/// Everything the intake form and the appointment slip print, already worded in
/// Vietnamese where it is a label or a value: this module formats and places text, it
/// does not translate codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSlip {
    /// The receipt number (số phiếu), e.g. `CAH-436-20210316-00042K`.
    pub receipt: String,
    /// Họ, chữ đệm và tên, with diacritics.
    pub full_name: String,
    /// The 12-digit personal ID (số định danh cá nhân).
    pub personal_id: String,
    /// The old 9- or 12-digit CMND, if the citizen had one.
    pub old_id: Option<String>,
    /// As known: `05/07/1998`, or only the year `1998`.
    pub birth_date: String,
    /// `Nam` or `Nữ`.
    pub sex: String,
    /// Quê quán.
    pub hometown: String,
    /// Nơi thường trú.
    pub permanent_residence: String,
    /// E.g. `Chuyển từ CMND sang CCCD`, `Cấp mới`, `Đổi thẻ`, `Cấp lại thẻ`.
    pub application_type: String,
    /// Why a card is renewed or re-issued, when the type has a reason.
    pub reason: Option<String>,
    /// Đặc điểm nhận dạng, as recorded at intake.
    pub identifying_marks: Option<String>,
    /// The police unit that takes the application, e.g. `Công an huyện Thạch Hà`.
    pub intake_unit: String,
    /// The place of intake when it is not the unit's office (a mobile station).
    pub station: Option<String>,
    /// `Tại trụ sở` or `Lưu động`.
    pub channel: String,
    /// The receiving officer's name.
    pub officer: String,
    /// The day of intake; it is also the PDF's creation date.
    pub intake_date: Date,
    /// The day the card will be ready (ngày hẹn trả thẻ).
    pub due_date: Date,
    /// The fee taken, in đồng; `0` when the application is free.
    pub fee_vnd: u32,
    /// The legal basis of the fee, e.g. `Thông tư 59/2019/TT-BTC; giảm 50% theo Thông tư
    /// 47/2021/TT-BTC`.
    pub fee_basis: String,
    /// Whether the old card or CMND was taken back at intake.
    pub old_card_returned: bool,
    /// Where the citizen collects the card.
    pub pickup_place: String,
    /// Dân tộc, as the register names it.
    pub ethnicity: String,
    /// Họ tên cha, họ tên mẹ, when the register knows them.
    pub father: Option<String>,
    pub mother: Option<String>,
    /// The portrait taken at intake; `None` when the application has no biometrics yet.
    pub portrait: Option<SlipImage>,
    /// The ten rolled fingers in the order of the law (right thumb … left little): each
    /// its name and its print or why it was not taken. Empty without biometrics.
    pub fingers: Vec<(String, FingerOnSlip)>,
}

/// An image as intake took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipImage {
    pub bytes: std::sync::Arc<Vec<u8>>,
    pub format: SlipImageFormat,
    /// Its size in pixels, as intake read it from the header.
    pub width: u32,
    pub height: u32,
}

/// JPEG and PNG are drawn; a WSQ print (a format no PDF reader draws) is said taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlipImageFormat {
    Jpeg,
    Png,
    Wsq,
}

/// One finger on the intake form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FingerOnSlip {
    Print(SlipImage),
    /// Why no print was taken (cụt ngón, bị thương …), in Vietnamese.
    Missing(String),
}

/// A date written the Vietnamese administrative way: `ngày 16 tháng 3 năm 2021`. Days
/// below 10 and the months January and February take a leading zero (`ngày 06 tháng 02
/// năm 2021`), as Decree 30/2020/NĐ-CP (Appendix I) prescribes for the date line of
/// official papers, so that nothing can be written in front of them.
#[must_use]
pub fn format_date_vi(date: Date) -> String {
    let month = date.month();
    let month = if month < 3 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", date.day(), date.year())
}

/// A date as `dd/mm/yyyy`, the short form printed next to the long one.
#[must_use]
pub fn format_date_numeric(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// An amount in đồng with the Vietnamese thousands separator `.`: `15.000 đồng`.
#[must_use]
pub fn format_vnd(amount: u32) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 5);
    let len = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" đồng");
    out
}

/// The intake form on A4: who applied for what, where and when, the fee, and the two
/// signatures (Circular 60/2021/TT-BCA, Art. 5: the officer prints the form and both check
/// and sign it).
///
/// # Errors
/// [`DocumentError::Font`] if the embedded font cannot be read, [`DocumentError::Pdf`] if
/// the PDF cannot be written.
/// The note under a signer's title.
pub(crate) const SIGN: &str = "(Ký, ghi rõ họ tên)";
/// The note under the title of a unit's head, who signs and stamps.
pub(crate) const SIGN_AND_STAMP: &str = "(Ký, ghi rõ họ tên, đóng dấu)";

pub fn intake_form_pdf(slip: &IntakeSlip) -> Result<Vec<u8>, DocumentError> {
    // An image the PDF writer cannot read (a corrupt upload that passed intake's header
    // checks) leaves its frame empty rather than the form unprinted.
    intake_form_with(slip, true).or_else(|_| intake_form_with(slip, false))
}

fn intake_form_with(slip: &IntakeSlip, pictures: bool) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut sheet = Sheet::new(&fonts, A4, 20.0 * PT_PER_MM);
    let size = 10.5;

    sheet.header(
        &slip.intake_unit,
        &capitalised(&format_date_vi(slip.intake_date)),
        10.5,
    );
    sheet.skip(14.0);
    sheet.centered("PHIẾU THU NHẬN THÔNG TIN", Style::Bold, 15.0);
    sheet.centered("CĂN CƯỚC CÔNG DÂN", Style::Bold, 15.0);
    sheet.skip(4.0);
    sheet.centered(&format!("Số phiếu: {}", slip.receipt), Style::Regular, size);
    sheet.skip(8.0);
    if slip.portrait.is_some() || !slip.fingers.is_empty() {
        sheet.portrait_box(slip.portrait.as_ref(), pictures);
    }

    let label_width = 150.0;
    let mut n = 0_u32;
    let mut field = |sheet: &mut Sheet<'_>, label: &str, value: &str| {
        n += 1;
        sheet.field(&format!("{n}. {label}:"), value, label_width, size);
    };
    field(&mut sheet, "Họ, chữ đệm và tên", &slip.full_name);
    field(&mut sheet, "Số định danh cá nhân", &slip.personal_id);
    field(
        &mut sheet,
        "Số CMND/CCCD cũ",
        slip.old_id.as_deref().unwrap_or("Không có"),
    );
    field(&mut sheet, "Ngày, tháng, năm sinh", &slip.birth_date);
    field(&mut sheet, "Giới tính", &slip.sex);
    field(&mut sheet, "Dân tộc", &slip.ethnicity);
    field(&mut sheet, "Quê quán", &slip.hometown);
    field(&mut sheet, "Nơi thường trú", &slip.permanent_residence);
    field(
        &mut sheet,
        "Họ, chữ đệm và tên cha",
        slip.father.as_deref().unwrap_or("Không rõ"),
    );
    field(
        &mut sheet,
        "Họ, chữ đệm và tên mẹ",
        slip.mother.as_deref().unwrap_or("Không rõ"),
    );
    field(
        &mut sheet,
        "Đặc điểm nhận dạng",
        slip.identifying_marks.as_deref().unwrap_or("Không có"),
    );
    field(&mut sheet, "Loại cấp", &slip.application_type);
    if let Some(reason) = &slip.reason {
        field(&mut sheet, "Lý do", reason);
    }
    field(&mut sheet, "Đơn vị thu nhận", &slip.intake_unit);
    if let Some(station) = &slip.station {
        field(&mut sheet, "Địa điểm thu nhận", station);
    }
    field(&mut sheet, "Hình thức thu nhận", &slip.channel);
    field(
        &mut sheet,
        "Ngày thu nhận",
        &format_date_vi(slip.intake_date),
    );
    field(
        &mut sheet,
        "Ngày hẹn trả thẻ",
        &format!(
            "{} ({})",
            format_date_vi(slip.due_date),
            format_date_numeric(slip.due_date)
        ),
    );
    field(&mut sheet, "Nơi trả thẻ", &slip.pickup_place);
    field(&mut sheet, "Lệ phí", &format_vnd(slip.fee_vnd));
    field(&mut sheet, "Căn cứ thu lệ phí", &slip.fee_basis);
    field(
        &mut sheet,
        "Thu hồi CMND/CCCD cũ",
        if slip.old_card_returned {
            "Đã thu hồi"
        } else {
            "Không"
        },
    );

    if !slip.fingers.is_empty() {
        sheet.skip(6.0);
        sheet.paragraph("Vân tay (lăn)", Style::Bold, size);
        sheet.skip(2.0);
        sheet.fingers_row(&slip.fingers, pictures);
    }

    sheet.skip(10.0);
    sheet.paragraph(
        "Tôi xin cam đoan những thông tin trên là đúng sự thật.",
        Style::Regular,
        size,
    );
    sheet.skip(14.0);
    sheet.signatures(
        &[
            ("NGƯỜI ĐỀ NGHỊ", &slip.full_name),
            ("CÁN BỘ TIẾP NHẬN", &slip.officer),
        ],
        size,
        60.0,
    );

    sheet.number_pages(&slip.receipt);
    sheet.finish(
        Metadata::new()
            .title(format!(
                "Phiếu thu nhận thông tin căn cước công dân {}",
                slip.receipt
            ))
            .document_id(format!("{}/phieu-thu-nhan", slip.receipt)),
        slip.intake_date,
    )
}

/// The appointment slip on A5: the due date in large type, where to collect the card,
/// the receipt number, and a reminder to bring the slip (Circular 60/2021/TT-BCA, Art. 5:
/// the officer gives the citizen a slip with the date the card will be returned).
///
/// # Errors
/// As [`intake_form_pdf`].
pub fn appointment_slip_pdf(slip: &IntakeSlip) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut sheet = Sheet::new(&fonts, A5, 12.0 * PT_PER_MM);
    let size = 10.0;

    sheet.header(
        &slip.intake_unit,
        &capitalised(&format_date_vi(slip.intake_date)),
        8.5,
    );
    sheet.skip(16.0);
    sheet.centered("GIẤY HẸN TRẢ THẺ", Style::Bold, 14.0);
    sheet.centered("CĂN CƯỚC CÔNG DÂN", Style::Bold, 14.0);
    sheet.skip(4.0);
    sheet.centered(&format!("Số phiếu: {}", slip.receipt), Style::Regular, size);
    sheet.skip(14.0);

    let label_width = 118.0;
    sheet.field("Họ, chữ đệm và tên:", &slip.full_name, label_width, size);
    sheet.field(
        "Số định danh cá nhân:",
        &slip.personal_id,
        label_width,
        size,
    );
    sheet.field(
        "Ngày, tháng, năm sinh:",
        &slip.birth_date,
        label_width,
        size,
    );
    sheet.field("Loại cấp:", &slip.application_type, label_width, size);
    sheet.field(
        "Ngày thu nhận:",
        &format_date_vi(slip.intake_date),
        label_width,
        size,
    );
    sheet.field(
        "Lệ phí đã thu:",
        &format_vnd(slip.fee_vnd),
        label_width,
        size,
    );
    if slip.old_card_returned {
        sheet.field("Giấy tờ đã thu:", "CMND/CCCD cũ", label_width, size);
    }

    sheet.skip(10.0);
    sheet.rule();
    sheet.skip(8.0);
    sheet.centered(
        &format!("Ngày hẹn trả thẻ: {}", format_date_vi(slip.due_date)),
        Style::Bold,
        13.0,
    );
    sheet.centered(
        &format!(
            "({}, {})",
            weekday_vi(slip.due_date),
            format_date_numeric(slip.due_date)
        ),
        Style::Bold,
        11.0,
    );
    sheet.skip(6.0);
    sheet.field("Nơi trả thẻ:", &slip.pickup_place, label_width, size);
    sheet.skip(4.0);
    sheet.rule();
    sheet.skip(8.0);
    sheet.paragraph(
        "Khi đến nhận thẻ, công dân mang theo giấy hẹn này.",
        Style::Regular,
        size,
    );
    sheet.skip(10.0);
    sheet.signatures(&[("", ""), ("CÁN BỘ TIẾP NHẬN", &slip.officer)], size, 44.0);

    sheet.number_pages(&slip.receipt);
    sheet.finish(
        Metadata::new()
            .title(format!(
                "Giấy hẹn trả thẻ căn cước công dân {}",
                slip.receipt
            ))
            .document_id(format!("{}/giay-hen", slip.receipt)),
        slip.intake_date,
    )
}

/// The daily report on A4: every child unit's intake on the report's day against its
/// daily target, best first ([`ProgressReport::daily_order`]), then the reporting unit's
/// own figures as the total, and how many units met their target. The creation date is
/// the report's date, so the same report always gives the same bytes.
///
/// # Errors
/// As [`intake_form_pdf`].
pub fn daily_report_pdf(report: &ProgressReport) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut sheet = Sheet::new(&fonts, A4, 20.0 * PT_PER_MM);
    let date = format_date_numeric(report.date);

    // The number the report is filed under: its day and the reporting unit.
    let number = format!(
        "{}/BC-{}",
        report.date.strftime("%d%m"),
        report.unit.unit_code
    );
    sheet.numbered_header(
        &report.unit.unit_name,
        Some(&number),
        &capitalised(&format_date_vi(report.date)),
        10.5,
    );
    sheet.skip(22.0);
    sheet.centered(
        "BÁO CÁO KẾT QUẢ THU NHẬN HỒ SƠ CẤP CĂN CƯỚC CÔNG DÂN",
        Style::Bold,
        14.0,
    );
    sheet.skip(2.0);
    sheet.centered(
        &format!("Ngày {date} — {}", report.campaign),
        Style::Regular,
        11.0,
    );
    sheet.skip(14.0);

    let (number_width, figure_width) = (30.0, 62.0);
    let unit_width = sheet.text_width() - number_width - 4.0 * figure_width;
    let columns = [
        Column::new("STT", number_width, Align::Center),
        Column::new("Đơn vị", unit_width, Align::Left),
        Column::new("Chỉ tiêu ngày", figure_width, Align::Right),
        Column::new("Thu nhận", figure_width, Align::Right),
        Column::new("Tỷ lệ", figure_width, Align::Right),
        Column::new("Đạt", figure_width, Align::Center),
    ];
    let mut rows: Vec<TableRow> = report
        .daily_order()
        .into_iter()
        .zip(1_u32..)
        .map(|(row, n)| TableRow {
            cells: daily_cells(&n.to_string(), &row.unit_name, row),
            style: Style::Regular,
        })
        .collect();
    rows.push(TableRow {
        cells: daily_cells("", "Tổng cộng", &report.unit),
        style: Style::Bold,
    });
    sheet.table(&columns, &rows, 10.5);

    sheet.skip(10.0);
    sheet.paragraph(
        &format!(
            "Có {}/{} đơn vị đạt chỉ tiêu ngày.",
            report.met_daily(),
            report.children.len()
        ),
        Style::Regular,
        11.0,
    );
    sheet.skip(14.0);
    sheet.signatures_noted(
        &[
            ("NGƯỜI LẬP BÁO CÁO", SIGN, ""),
            ("THỦ TRƯỞNG ĐƠN VỊ", SIGN_AND_STAMP, ""),
        ],
        11.0,
        60.0,
    );

    sheet.number_pages(&format!("{} {date}", report.unit.unit_code));
    sheet.finish(
        Metadata::new()
            .title(format!(
                "Báo cáo kết quả thu nhận hồ sơ cấp căn cước công dân ngày {date} — {}",
                report.unit.unit_name
            ))
            .document_id(format!(
                "{}/{}/{}/bao-cao-ngay",
                report.campaign, report.unit.unit_code, report.date
            )),
        report.date,
    )
}

/// A line of the daily report: number, unit, daily target, intake, achievement, and
/// whether the target was met; `—` where the unit has no daily target.
fn daily_cells(number: &str, name: &str, row: &ProgressRow) -> Vec<String> {
    let none = || "—".to_owned();
    vec![
        number.to_owned(),
        name.to_owned(),
        row.target_daily
            .map_or_else(none, |t| group_thousands(t, '.')),
        group_thousands(row.intake_day, '.'),
        row.daily_pct.map_or_else(none, |p| p.vi()),
        match row.met_daily {
            Some(true) => "Đạt".to_owned(),
            Some(false) => "Không đạt".to_owned(),
            None => none(),
        },
    ]
}

/// The day of the week as written in Vietnamese: `thứ Hai` … `thứ Bảy`, `Chủ nhật`.
pub(crate) fn weekday_vi(date: Date) -> &'static str {
    match date.weekday() {
        jiff::civil::Weekday::Monday => "thứ Hai",
        jiff::civil::Weekday::Tuesday => "thứ Ba",
        jiff::civil::Weekday::Wednesday => "thứ Tư",
        jiff::civil::Weekday::Thursday => "thứ Năm",
        jiff::civil::Weekday::Friday => "thứ Sáu",
        jiff::civil::Weekday::Saturday => "thứ Bảy",
        jiff::civil::Weekday::Sunday => "Chủ nhật",
    }
}

/// `ngày …` → `Ngày …`, for a date standing at the head of a line.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
}

/// The two faces, once for the PDF (krilla) and once for measuring (rustybuzz, the shaper
/// krilla itself uses to draw, so measured and drawn widths agree).
pub(crate) struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, DocumentError> {
        let pdf =
            |data: &'static [u8], name| Font::new(data.into(), 0).ok_or(DocumentError::Font(name));
        let face = |data: &'static [u8], name| {
            rustybuzz::Face::from_slice(data, 0).ok_or(DocumentError::Font(name))
        };
        Ok(Self {
            regular: pdf(REGULAR_TTF, "Be Vietnam Pro Regular")?,
            bold: pdf(BOLD_TTF, "Be Vietnam Pro Bold")?,
            regular_face: face(REGULAR_TTF, "Be Vietnam Pro Regular")?,
            bold_face: face(BOLD_TTF, "Be Vietnam Pro Bold")?,
        })
    }

    fn pdf(&self, style: Style) -> &Font {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// The advance width of `text` set on one line, in points.
    pub(crate) fn width(&self, text: &str, style: Style, size: f32) -> f32 {
        let face = match style {
            Style::Regular => &self.regular_face,
            Style::Bold => &self.bold_face,
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(face, &[], buffer);
        // Advances and the em fit in 16 bits in any sane font; a value that does not is
        // treated as 0 (and the em as 1000) rather than cast lossily.
        let units: f32 = shaped
            .glyph_positions()
            .iter()
            .map(|p| f32::from(i16::try_from(p.x_advance).unwrap_or(0)))
            .sum();
        let em = i16::try_from(face.units_per_em())
            .ok()
            .filter(|&em| em > 0)
            .map_or(1000.0, f32::from);
        units * size / em
    }

    /// `text` broken into lines no wider than `max`: at spaces where it can, inside a word
    /// only when the word alone is too wide. Line breaks in the text are kept; other
    /// control characters become spaces.
    fn wrap(&self, text: &str, style: Style, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let cleaned: String = paragraph
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let mut line = String::new();
            for word in cleaned.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, style, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word starts a line; split it if it is wider than a line by itself.
                for c in word.chars() {
                    let mut longer = line.clone();
                    longer.push(c);
                    if !line.is_empty() && self.width(&longer, style, size) > max {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = longer;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// Where a table cell's lines sit between its padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// A table column: its heading, width in points and how its cells are aligned (numbers
/// flush right, so their digits line up).
pub(crate) struct Column<'a> {
    heading: &'a str,
    width: f32,
    align: Align,
}

impl<'a> Column<'a> {
    pub(crate) fn new(heading: &'a str, width: f32, align: Align) -> Self {
        Self {
            heading,
            width,
            align,
        }
    }
}

/// A table row: one text per column, all in one style.
pub(crate) struct TableRow {
    pub(crate) cells: Vec<String>,
    pub(crate) style: Style,
}

/// Room between a cell's text and its rules, in points.
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;

/// `count` lines of `advance` points.
fn lines_height(count: usize, advance: f32) -> f32 {
    f32::from(u16::try_from(count).unwrap_or(u16::MAX)) * advance
}

/// One thing drawn on a page, at a position in points from the page's top left.
enum Mark {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    /// A horizontal line.
    Rule { x1: f32, x2: f32, y: f32 },
    /// A thin rectangle, its top left at `x`, `y`.
    Frame { x: f32, y: f32, w: f32, h: f32 },
    /// A JPEG or PNG drawn into the box whose top left is at `x`, `y`.
    Picture {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: SlipImage,
    },
}

/// A stack of pages filled top to bottom. Layout only records [`Mark`]s; [`Sheet::finish`]
/// draws them, so a page break is just starting a new list.
pub(crate) struct Sheet<'f> {
    fonts: &'f Fonts,
    width: f32,
    height: f32,
    margin: f32,
    /// The top of the next line.
    y: f32,
    pages: Vec<Vec<Mark>>,
    /// Room a box at the right margin takes from fields (its width with a gap) down to
    /// the height it ends at, on the page it is on.
    beside: Option<(f32, f32)>,
}

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.4;

/// The height of a table row whose cells wrapped to `cells`, padding included.
fn row_height(cells: &[Vec<String>], size: f32) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
    lines_height(lines, size * LEADING) + 2.0 * CELL_PAD_Y
}

impl<'f> Sheet<'f> {
    pub(crate) fn new(fonts: &'f Fonts, (width, height): (f32, f32), margin: f32) -> Self {
        Self {
            fonts,
            width,
            height,
            margin,
            y: margin,
            pages: vec![Vec::new()],
            beside: None,
        }
    }

    fn left(&self) -> f32 {
        self.margin
    }

    fn right_edge(&self) -> f32 {
        self.width - self.margin
    }

    pub(crate) fn text_width(&self) -> f32 {
        self.right_edge() - self.left()
    }

    /// Make room for `height` points: start a new page if they do not fit on this one
    /// (and would fit on an empty one).
    fn reserve(&mut self, height: f32) {
        let bottom = self.height - self.margin;
        if self.y + height > bottom && self.y > self.margin {
            self.pages.push(Vec::new());
            self.y = self.margin;
            self.beside = None;
        }
    }

    pub(crate) fn skip(&mut self, height: f32) {
        self.y += height;
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn text_at(&mut self, x: f32, baseline: f32, text: &str, style: Style, size: f32) {
        self.mark(Mark::Text {
            x,
            y: baseline,
            style,
            size,
            text: text.to_owned(),
        });
    }

    /// One line of `text` placed by `place(width of the text) → x`.
    fn line_with(&mut self, text: &str, style: Style, size: f32, x: impl Fn(f32) -> f32) {
        let advance = size * LEADING;
        self.reserve(advance);
        let x = x(self.fonts.width(text, style, size));
        let baseline = self.y + size;
        self.text_at(x, baseline, text, style, size);
        self.y += advance;
    }

    pub(crate) fn centered(&mut self, text: &str, style: Style, size: f32) {
        let (left, width) = (self.left(), self.text_width());
        for line in self.fonts.wrap(text, style, size, width) {
            self.line_with(&line, style, size, |w| left + (width - w) / 2.0);
        }
    }

    pub(crate) fn paragraph(&mut self, text: &str, style: Style, size: f32) {
        let left = self.left();
        for line in self.fonts.wrap(text, style, size, self.text_width()) {
            self.line_with(&line, style, size, |_| left);
        }
    }

    /// A list item: `marker` (a dash, a number) indented from the left margin, and `text`
    /// wrapped beside it, its later lines aligned under its first rather than the marker.
    pub(crate) fn item(&mut self, marker: &str, text: &str, style: Style, size: f32) {
        let (marker_left, text_left) = (self.left() + size, self.left() + 2.5 * size);
        let width = self.right_edge() - text_left;
        for (n, line) in self.fonts.wrap(text, style, size, width).iter().enumerate() {
            if n == 0 {
                // Make the room here, so the marker lands on the page its line does.
                self.reserve(size * LEADING);
                let baseline = self.y + size;
                self.text_at(marker_left, baseline, marker, style, size);
            }
            self.line_with(line, style, size, |_| text_left);
        }
    }

    /// A horizontal line across the text width.
    fn rule(&mut self) {
        let (x1, x2, y) = (self.left(), self.right_edge(), self.y);
        self.mark(Mark::Rule { x1, x2, y });
    }

    /// Lines of `column` centred in the band `left..left + width` from the current top;
    /// returns the top of the line after the last.
    fn column(&mut self, column: &[(&str, Style)], left: f32, width: f32, size: f32) -> f32 {
        let mut y = self.y;
        for &(text, style) in column {
            for line in self.fonts.wrap(text, style, size, width) {
                let w = self.fonts.width(&line, style, size);
                self.text_at(left + (width - w) / 2.0, y + size, &line, style, size);
                y += size * LEADING;
            }
        }
        y
    }

    /// The heading of a Vietnamese administrative paper (Decree 30/2020/NĐ-CP, Appendix
    /// I): the issuing unit on the left, the national name and motto on the right, each
    /// with a short rule beneath, and the date line under the motto.
    pub(crate) fn header(&mut self, unit: &str, dateline: &str, size: f32) {
        self.numbered_header(unit, None, dateline, size);
    }

    /// The header of an administrative paper (Decree 30/2020/NĐ-CP): the issuing unit,
    /// with the paper's number under it when it has one ("Số: 12/GM-20210320"), beside
    /// the national motto and the place and date.
    pub(crate) fn numbered_header(
        &mut self,
        unit: &str,
        number: Option<&str>,
        dateline: &str,
        size: f32,
    ) {
        let gap = 10.0;
        let half = (self.text_width() - gap) / 2.0;
        let left_width = half * 0.85;
        let right_left = self.left() + left_width + gap;
        let right_width = self.right_edge() - right_left;
        let unit_upper = unit.to_uppercase();
        let bottom_left = self.column(
            &[(unit_upper.as_str(), Style::Bold)],
            self.left(),
            left_width,
            size,
        );
        let bottom_right = self.column(
            &[
                ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style::Bold),
                ("Độc lập - Tự do - Hạnh phúc", Style::Bold),
            ],
            right_left,
            right_width,
            size,
        );
        let rule_y = |bottom: f32| bottom - size * (LEADING - 1.0) + 3.0;
        let short = |left: f32, width: f32, len: f32| {
            let start = left + (width - len) / 2.0;
            (start, start + len)
        };
        let (x1, x2) = short(self.left(), left_width, left_width * 0.35);
        self.mark(Mark::Rule {
            x1,
            x2,
            y: rule_y(bottom_left),
        });
        let motto = self
            .fonts
            .width("Độc lập - Tự do - Hạnh phúc", Style::Bold, size);
        let (x1, x2) = short(right_left, right_width, motto.min(right_width));
        self.mark(Mark::Rule {
            x1,
            x2,
            y: rule_y(bottom_right),
        });
        self.y = bottom_right + 6.0;
        let below = self.column(&[(dateline, Style::Regular)], right_left, right_width, size);
        let mut left_bottom = bottom_left;
        if let Some(number) = number {
            self.y = bottom_left + 6.0;
            left_bottom = self.column(
                &[(&format!("Số: {number}"), Style::Regular)],
                self.left(),
                left_width,
                size,
            );
        }
        self.y = left_bottom.max(below);
    }

    /// A table from the left margin, its rules across the text width (which the columns
    /// are meant to fill): the headings in bold and centred, then `rows`, each ruled
    /// beneath. A row is never split across pages; on a new page the headings come
    /// again, and they are never left alone at the foot of one.
    pub(crate) fn table(&mut self, columns: &[Column<'_>], rows: &[TableRow], size: f32) {
        let headings: Vec<Vec<String>> = columns
            .iter()
            .map(|c| self.cell_lines(c, c.heading, Style::Bold, size))
            .collect();
        let bodies: Vec<Vec<Vec<String>>> = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .zip(&row.cells)
                    .map(|(c, text)| self.cell_lines(c, text, row.style, size))
                    .collect()
            })
            .collect();
        let heading_height = row_height(&headings, size);
        let first_height = bodies.first().map_or(0.0, |b| row_height(b, size));
        self.reserve(heading_height + first_height);
        self.table_headings(columns, &headings, size);
        for (row, cells) in rows.iter().zip(&bodies) {
            let page = self.pages.len();
            self.reserve(row_height(cells, size));
            if self.pages.len() != page {
                self.table_headings(columns, &headings, size);
            }
            self.table_row(columns, cells, row.style, size, |c| c.align);
        }
    }

    /// The lines of `text` wrapped to the inside of `column`.
    fn cell_lines(&self, column: &Column<'_>, text: &str, style: Style, size: f32) -> Vec<String> {
        let inside = (column.width - 2.0 * CELL_PAD_X).max(size);
        self.fonts.wrap(text, style, size, inside)
    }

    /// The heading row, ruled above and beneath.
    fn table_headings(&mut self, columns: &[Column<'_>], headings: &[Vec<String>], size: f32) {
        self.rule();
        self.table_row(columns, headings, Style::Bold, size, |_| Align::Center);
    }

    /// One row from the current top, each cell's lines centred vertically in the row,
    /// and a rule beneath.
    fn table_row(
        &mut self,
        columns: &[Column<'_>],
        cells: &[Vec<String>],
        style: Style,
        size: f32,
        align: impl Fn(&Column<'_>) -> Align,
    ) {
        let advance = size * LEADING;
        let height = row_height(cells, size);
        let top = self.y;
        let mut left = self.left();
        for (column, lines) in columns.iter().zip(cells) {
            let mut baseline = top + (height - lines_height(lines.len(), advance)) / 2.0 + size;
            for line in lines {
                let width = self.fonts.width(line, style, size);
                let x = match align(column) {
                    Align::Left => left + CELL_PAD_X,
                    Align::Center => left + (column.width - width) / 2.0,
                    Align::Right => left + column.width - CELL_PAD_X - width,
                };
                self.text_at(x, baseline, line, style, size);
                baseline += advance;
            }
            left += column.width;
        }
        self.y = top + height;
        self.rule();
    }

    /// `label` in regular type in a column of `label_width`, `value` in bold to the right
    /// of it, both wrapped to their columns. A field is kept on one page if it fits on one.
    pub(crate) fn field(&mut self, label: &str, value: &str, label_width: f32, size: f32) {
        let gap = 6.0;
        let value_left = self.left() + label_width + gap;
        // Beside a box at the right margin, values wrap short of it.
        let inset = match self.beside {
            Some((width, until)) if self.y < until => width,
            _ => 0.0,
        };
        let value_width = self.right_edge() - inset - value_left;
        let labels = self.fonts.wrap(label, Style::Regular, size, label_width);
        let values = self.fonts.wrap(value, Style::Bold, size, value_width);
        let advance = size * LEADING;
        let rows = labels.len().max(values.len());
        let height = (0..rows).fold(0.0, |h, _| h + advance);
        if height <= self.height - 2.0 * self.margin {
            self.reserve(height);
        }
        let left = self.left();
        for row in 0..rows {
            // Only a field longer than a page breaks inside.
            self.reserve(advance);
            let baseline = self.y + size;
            if let Some(text) = labels.get(row) {
                self.text_at(left, baseline, text, Style::Regular, size);
            }
            if let Some(text) = values.get(row) {
                self.text_at(value_left, baseline, text, Style::Bold, size);
            }
            self.y += advance;
        }
    }

    /// The portrait in a 30 × 40 mm frame at the right margin from the current top, its
    /// caption beneath; the fields beside it keep clear of it. Without `pictures` (or
    /// without a portrait) the frame stays empty.
    pub(crate) fn portrait_box(&mut self, portrait: Option<&SlipImage>, pictures: bool) {
        let caption = 7.5;
        let (w, h) = (30.0 * PT_PER_MM, 40.0 * PT_PER_MM);
        let (x, top) = (self.right_edge() - w, self.y);
        self.mark(Mark::Frame { x, y: top, w, h });
        if let (Some(image), true) = (portrait, pictures) {
            self.picture(image, x, top, w, h);
        }
        let y = self.y;
        self.y = top + h + 2.0;
        self.column(&[("Ảnh chân dung", Style::Regular)], x, w, caption);
        self.y = y;
        self.beside = Some((w + 4.0 * PT_PER_MM, top + h + caption * LEADING + 2.0));
    }

    /// The ten rolled fingers in one row across the text width, each framed with its name
    /// beneath, or the reason it was not printed inside its frame. Kept on one page.
    /// Without `pictures`, the frames of the prints stay empty.
    pub(crate) fn fingers_row(&mut self, fingers: &[(String, FingerOnSlip)], pictures: bool) {
        let caption = 7.0;
        let count = u8::try_from(fingers.len().max(1)).unwrap_or(10);
        let cell_w = self.text_width() / f32::from(count);
        let side = (cell_w - 4.0).min(22.0 * PT_PER_MM);
        self.reserve(side + 3.0 * caption * LEADING);
        let top = self.y;
        let mut bottom = top;
        for (n, (name, finger)) in fingers.iter().enumerate() {
            let x = self.left() + f32::from(u8::try_from(n).unwrap_or(0)) * cell_w;
            let box_left = x + (cell_w - side) / 2.0;
            self.mark(Mark::Frame {
                x: box_left,
                y: top,
                w: side,
                h: side,
            });
            let inside = |sheet: &mut Self, text: &str, style: Style| {
                sheet.y = top + side / 2.0 - caption;
                sheet.column(&[(text, style)], box_left + 1.0, side - 2.0, caption);
            };
            match finger {
                FingerOnSlip::Print(image) if image.format == SlipImageFormat::Wsq => {
                    inside(self, "Đã thu nhận (WSQ)", Style::Regular);
                }
                FingerOnSlip::Print(image) => {
                    if pictures {
                        self.picture(image, box_left, top, side, side);
                    }
                }
                FingerOnSlip::Missing(reason) => inside(self, reason, Style::Bold),
            }
            self.y = top + side + 2.0;
            bottom =
                bottom.max(self.column(&[(name.as_str(), Style::Regular)], x, cell_w, caption));
        }
        self.y = bottom;
    }

    /// An image fitted into a box with 1 mm of room, its shape kept, centred.
    fn picture(&mut self, image: &SlipImage, x: f32, y: f32, w: f32, h: f32) {
        let pad = PT_PER_MM;
        let (w, h) = (w - 2.0 * pad, h - 2.0 * pad);
        let side = |n: u32| u16::try_from(n).ok().map(f32::from).filter(|s| *s > 0.0);
        let (Some(iw), Some(ih)) = (side(image.width), side(image.height)) else {
            return;
        };
        let scale = (w / iw).min(h / ih);
        let (dw, dh) = (iw * scale, ih * scale);
        self.mark(Mark::Picture {
            x: x + pad + (w - dw) / 2.0,
            y: y + pad + (h - dh) / 2.0,
            w: dw,
            h: dh,
            image: image.clone(),
        });
    }

    /// Signature blocks side by side: a title, "(Ký, ghi rõ họ tên)", room to sign, and
    /// the name. An empty title leaves its column blank. The block is kept on one page.
    fn signatures(&mut self, blocks: &[(&str, &str)], size: f32, sign_room: f32) {
        let noted: Vec<(&str, &str, &str)> = blocks
            .iter()
            .map(|&(title, name)| (title, SIGN, name))
            .collect();
        self.signatures_noted(&noted, size, sign_room);
    }

    /// Signature blocks whose note under the title is each their own: a unit's head signs
    /// and stamps ("(Ký, ghi rõ họ tên, đóng dấu)").
    pub(crate) fn signatures_noted(
        &mut self,
        blocks: &[(&str, &str, &str)],
        size: f32,
        sign_room: f32,
    ) {
        let height = size * LEADING * 4.0 + sign_room;
        self.reserve(height);
        let count = blocks.iter().fold(0.0_f32, |n, _| n + 1.0).max(1.0);
        let width = self.text_width() / count;
        let top = self.y;
        let mut bottom = top;
        let mut left = self.left();
        for &(title, note, name) in blocks {
            if !title.is_empty() {
                self.y = top;
                let y = self.column(
                    &[(title, Style::Bold), (note, Style::Regular)],
                    left,
                    width,
                    size,
                );
                self.y = y + sign_room;
                let y = self.column(&[(name, Style::Bold)], left, width, size);
                bottom = bottom.max(y);
            }
            left += width;
        }
        self.y = bottom;
    }

    /// On every page of a paper that runs over one, `reference — trang i/n` at the foot,
    /// so a loose page can be matched to its receipt.
    pub(crate) fn number_pages(&mut self, reference: &str) {
        let count = self.pages.len();
        if count < 2 {
            return;
        }
        let size = 8.0;
        let baseline = self.height - self.margin / 2.0;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = format!("{reference} — trang {}/{count}", i + 1);
            let x = self.width - self.margin - self.fonts.width(&text, Style::Regular, size);
            page.push(Mark::Text {
                x,
                y: baseline,
                style: Style::Regular,
                size,
                text,
            });
        }
    }

    /// `other`'s pages after this sheet's, for a document of separate papers (a session's
    /// letters, one per household) each laid out and numbered on its own, so that every
    /// paper starts on a page of its own.
    pub(crate) fn append(&mut self, other: Self) {
        self.pages.extend(other.pages);
        self.y = other.y;
    }

    /// Draw the pages and write the PDF. `metadata` gets the language, the creator and
    /// `created` as its creation date, so the output depends on the slip alone.
    pub(crate) fn finish(
        self,
        metadata: Metadata,
        created: Date,
    ) -> Result<Vec<u8>, DocumentError> {
        let mut document = Document::new();
        let mut metadata = metadata
            .language("vi".to_owned())
            .creator("cancuoc".to_owned());
        if let (Ok(year), Ok(month), Ok(day)) = (
            u16::try_from(created.year()),
            u8::try_from(created.month()),
            u8::try_from(created.day()),
        ) {
            metadata = metadata.creation_date(DateTime::new(year).month(month).day(day));
        }
        document.set_metadata(metadata);
        for marks in &self.pages {
            let settings = PageSettings::from_wh(self.width, self.height)
                .ok_or_else(|| DocumentError::Pdf("invalid page size".to_owned()))?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            for mark in marks {
                match mark {
                    Mark::Text {
                        x,
                        y,
                        style,
                        size,
                        text,
                    } => surface.draw_text(
                        Point::from_xy(*x, *y),
                        self.fonts.pdf(*style).clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    ),
                    Mark::Frame { x, y, w, h } => {
                        let mut path = PathBuilder::new();
                        path.move_to(*x, *y);
                        path.line_to(*x + *w, *y);
                        path.line_to(*x + *w, *y + *h);
                        path.line_to(*x, *y + *h);
                        path.close();
                        if let Some(path) = path.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: 0.5,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(krilla::paint::Fill::default()));
                        }
                    }
                    Mark::Picture { x, y, w, h, image } => {
                        let data: krilla::Data = image.bytes.clone().into();
                        let decoded = match image.format {
                            SlipImageFormat::Jpeg => krilla::image::Image::from_jpeg(data, true),
                            SlipImageFormat::Png => krilla::image::Image::from_png(data, true),
                            SlipImageFormat::Wsq => continue,
                        };
                        if let (Ok(decoded), Some(size)) =
                            (decoded, krilla::geom::Size::from_wh(*w, *h))
                        {
                            surface
                                .push_transform(&krilla::geom::Transform::from_translate(*x, *y));
                            surface.draw_image(decoded, size);
                            surface.pop();
                        }
                    }
                    Mark::Rule { x1, x2, y } => {
                        let mut path = PathBuilder::new();
                        path.move_to(*x1, *y);
                        path.line_to(*x2, *y);
                        if let Some(path) = path.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: 0.6,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(krilla::paint::Fill::default()));
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        document
            .finish()
            .map_err(|e| DocumentError::Pdf(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_decree_30() {
        let d = jiff::civil::date;
        assert_eq!(format_date_vi(d(2021, 3, 16)), "ngày 16 tháng 3 năm 2021");
        assert_eq!(format_date_vi(d(2021, 4, 6)), "ngày 06 tháng 4 năm 2021");
        assert_eq!(format_date_vi(d(2021, 2, 1)), "ngày 01 tháng 02 năm 2021");
        assert_eq!(format_date_vi(d(2021, 12, 31)), "ngày 31 tháng 12 năm 2021");
        assert_eq!(format_date_numeric(d(2021, 4, 6)), "06/04/2021");
        assert_eq!(capitalised("ngày 16"), "Ngày 16");
        assert_eq!(weekday_vi(d(2021, 4, 6)), "thứ Ba");
        assert_eq!(weekday_vi(d(2021, 4, 11)), "Chủ nhật");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn amounts_group_by_thousands_with_dots() {
        assert_eq!(format_vnd(0), "0 đồng");
        assert_eq!(format_vnd(999), "999 đồng");
        assert_eq!(format_vnd(1_000), "1.000 đồng");
        assert_eq!(format_vnd(15_000), "15.000 đồng");
        assert_eq!(format_vnd(70_000), "70.000 đồng");
        assert_eq!(format_vnd(1_234_567), "1.234.567 đồng");
        assert_eq!(format_vnd(u32::MAX), "4.294.967.295 đồng");
    }

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() -> Result<(), DocumentError> {
        let fonts = Fonts::load()?;
        let text = "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh, Việt Nam, xóm Đông, đường Nguyễn Du";
        let lines = fonts.wrap(text, Style::Bold, 11.0, 120.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(fonts.width(line, Style::Bold, 11.0) <= 120.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        // A word wider than the line is cut inside.
        let long = "A".repeat(200);
        let lines = fonts.wrap(&long, Style::Regular, 11.0, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);
        // Empty text is one empty line.
        assert_eq!(
            fonts.wrap("", Style::Regular, 11.0, 100.0),
            vec![String::new()]
        );
        Ok(())
    }
}
