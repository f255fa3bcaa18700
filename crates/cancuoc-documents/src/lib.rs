//! Printable documents: the chip card's front and back as SVG, at the card's real size
//! (ID-1, 85.60 × 53.98 mm), for an officer to print and check before the card goes out.
//!
//! The layout follows the 2021 CCCD: bilingual labels, the portrait on the left, the QR
//! code top right; on the back the identifying marks, the issue date and the MRZ. It is a
//! proof for checking, not the card's artwork. Everything here is pure: the caller passes
//! the data and the portrait's bytes, and gets text back.
//!
//! The papers printed at intake are PDF ([`pdf`]); a campaign's progress report is PDF
//! for the daily report sent up, and XLSX ([`spreadsheet`]) for working with the figures.
//! The invitation letters of an enrollment session ([`letters`]) are PDF for posting and
//! CSV for a mail merge; every CSV a spreadsheet may open is written by [`CsvExport`], which
//! neutralises cells that would run as formulas.

use std::fmt::Write as _;

use cancuoc_domain::{PartialDate, Sex};
use jiff::civil::Date;
use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;

pub mod csv_export;
pub mod letters;
pub mod pdf;
pub mod spreadsheet;
pub use csv_export::{CsvExport, UTF8_BOM, csv_export_of, neutralise_cell};
pub use letters::{invitation_letters_csv, invitation_letters_pdf};
pub use pdf::{
    FingerOnSlip, IntakeSlip, SlipImage, SlipImageFormat, appointment_slip_pdf, daily_report_pdf,
    format_vnd, intake_form_pdf,
};
pub use spreadsheet::{TextTable, daily_report_xlsx, progress_report_xlsx, table_csv, table_xlsx};

/// ID-1 card size in millimetres (ISO/IEC 7810).
pub const CARD_WIDTH_MM: f64 = 85.60;
pub const CARD_HEIGHT_MM: f64 = 53.98;

#[derive(Debug, Error)]
pub enum DocumentError {
    #[error("the QR payload does not fit a QR code: {0}")]
    Qr(String),
    /// The font compiled into the crate could not be parsed (a broken build, not bad input).
    #[error("the embedded font {0} cannot be read")]
    Font(&'static str),
    /// krilla refused to write the PDF.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
    /// rust_xlsxwriter refused to write the workbook.
    #[error("the spreadsheet cannot be written: {0}")]
    Spreadsheet(String),
    /// Nothing to print: a document that would be empty is refused rather than written
    /// blank (a session without letters, a letter inviting no one).
    #[error("nothing to print: {0}")]
    Empty(String),
}

/// A portrait to place on the card.
#[derive(Debug, Clone)]
pub struct Portrait {
    /// `image/jpeg` or `image/png`.
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// What the card shows.
#[derive(Debug, Clone)]
pub struct CardFace {
    pub personal_id: String,
    pub full_name: String,
    pub birth_date: PartialDate,
    pub sex: Sex,
    pub nationality: String,
    pub hometown: String,
    pub residence: String,
    pub issue_date: Date,
    pub expiry_date: Option<Date>,
    pub identifying_marks: String,
    pub mrz: [String; 3],
    pub qr_payload: String,
    pub portrait: Option<Portrait>,
}

/// `&`, `<`, `>`, `"` escaped for XML text and attributes.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn day(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, for the portrait's data URI.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let symbol = |v: u32| char::from(BASE64.get((v & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(symbol(n >> 18));
        out.push(symbol(n >> 12));
        out.push(if chunk.len() > 1 { symbol(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { symbol(n) } else { '=' });
    }
    out
}

/// The QR code as SVG rectangles inside a square of `size` mm at (`x`, `y`), with the
/// four-module quiet zone the standard asks for. Byte mode, so the payload's UTF-8 is
/// carried exactly.
fn qr(payload: &str, x: f64, y: f64, size: f64) -> Result<String, DocumentError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| DocumentError::Qr(e.to_string()))?;
    let width = code.width();
    let modules = f64::from(u32::try_from(width + 8).unwrap_or(u32::MAX));
    let m = size / modules;
    let mut out = format!(
        r##"<g id="qr"><rect x="{x:.3}" y="{y:.3}" width="{size:.3}" height="{size:.3}" fill="#fff"/>"##
    );
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (col, row) = (i % width, i / width);
            let cx = x + m * f64::from(u32::try_from(col + 4).unwrap_or(0));
            let cy = y + m * f64::from(u32::try_from(row + 4).unwrap_or(0));
            let _ = write!(path, "M{cx:.4} {cy:.4}h{m:.4}v{m:.4}h-{m:.4}z");
        }
    }
    let _ = write!(out, r##"<path d="{path}" fill="#000"/></g>"##);
    Ok(out)
}

/// How large the drawing says it is; the drawing itself is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The card's real size, for printing at 100%.
    Card,
    /// This many pixels wide, for a screen or a raster image (the height follows).
    Pixels(u32),
}

fn svg_open(id: &str, size: Size) -> String {
    let (width, height) = match size {
        Size::Card => (format!("{CARD_WIDTH_MM}mm"), format!("{CARD_HEIGHT_MM}mm")),
        Size::Pixels(px) => {
            let h = f64::from(px) * CARD_HEIGHT_MM / CARD_WIDTH_MM;
            (px.to_string(), format!("{h:.0}"))
        }
    };
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" id="{id}" width="{width}" height="{height}" viewBox="0 0 {w} {h}" font-family="'Be Vietnam Pro', 'DejaVu Sans', Arial, sans-serif">
<rect width="{w}" height="{h}" rx="3.18" fill="#f4f8fb" stroke="#7a8b99" stroke-width="0.2"/>
"##,
        w = CARD_WIDTH_MM,
        h = CARD_HEIGHT_MM
    )
}

/// A label whose value may be long (a residence with its commune, district and
/// province): the value is wrapped at word boundaries into the room left below it on the
/// card, in the largest of a few sizes at which it fits, so that it is never cut.
fn wrapped_label(out: &mut String, (x, y): (f64, f64), vi: &str, en: &str, value: &str) {
    let _ = writeln!(
        out,
        r##"<text x="{x}" y="{y}" font-size="1.9" fill="#333">{} / {}:</text>"##,
        xml(vi),
        xml(en),
    );
    // (font size, characters a line holds from x = 26 mm to the card's edge, lines that
    // fit above its bottom): DejaVu Sans averages about 0.6 em a character.
    const SIZES: [(f64, usize, usize); 3] = [(2.6, 37, 4), (2.2, 44, 5), (1.9, 50, 6)];
    let chosen = SIZES
        .iter()
        .map(|&(size, width, room)| (size, wrap(value, width), room))
        .find(|(_, lines, room)| lines.len() <= *room)
        .unwrap_or_else(|| (1.9, wrap(value, 50), 6));
    let (size, lines, _) = chosen;
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<text x="{x}" y="{:.2}" font-size="{size}" font-weight="bold" fill="#000" class="wrapped">{}</text>"##,
            y + 2.8 + size * 1.05 * i as f64,
            xml(line)
        );
    }
}

/// `text` in lines of at most `width` characters, broken between words (a word longer
/// than a line is a line of its own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn label(out: &mut String, x: f64, y: f64, vi: &str, en: &str, value: &str) {
    let _ = writeln!(
        out,
        r##"<text x="{x}" y="{y}" font-size="1.9" fill="#333">{} / {}:</text><text x="{x}" y="{y2:.2}" font-size="2.6" font-weight="bold" fill="#000">{}</text>"##,
        xml(vi),
        xml(en),
        xml(value),
        y2 = y + 2.8
    );
}

/// The front: header, portrait, QR, and the holder's particulars.
pub fn front_svg(card: &CardFace, size: Size) -> Result<String, DocumentError> {
    let mut out = svg_open("card-front", size);
    let (title_vi, title_en) = cancuoc_domain::card::card_title(card.issue_date);
    let _ = write!(
        out,
        r##"<text x="35" y="5" font-size="2.1" text-anchor="middle" font-weight="bold">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</text>
<text x="35" y="7.6" font-size="2" text-anchor="middle">Độc lập - Tự do - Hạnh phúc</text>
<text x="35" y="11.4" font-size="2.9" text-anchor="middle" font-weight="bold" fill="#b0121b">{title_vi}</text>
<text x="35" y="13.7" font-size="1.8" text-anchor="middle">{title_en}</text>
"##,
    );
    match &card.portrait {
        Some(p) => {
            let _ = writeln!(
                out,
                r#"<image id="portrait" x="3" y="15" width="20" height="26.7" preserveAspectRatio="xMidYMid slice" href="data:{};base64,{}"/>"#,
                p.media_type,
                base64(&p.bytes)
            );
        }
        None => out.push_str(
            r##"<rect id="portrait" x="3" y="15" width="20" height="26.7" fill="#dde3e8" stroke="#999" stroke-width="0.2"/>
<text x="13" y="29" font-size="2" text-anchor="middle" fill="#666">Ảnh / Photo</text>
"##,
        ),
    }
    out.push_str(&qr(&card.qr_payload, 66.0, 2.0, 17.0)?);
    out.push('\n');
    let _ = writeln!(
        out,
        r##"<text x="26" y="18.2" font-size="2.1">Số / No.: <tspan font-size="3.4" font-weight="bold" fill="#b0121b">{}</tspan></text>"##,
        xml(&card.personal_id)
    );
    label(
        &mut out,
        26.0,
        21.0,
        "Họ và tên",
        "Full name",
        &card.full_name.to_uppercase(),
    );
    let born = card.birth_date.vietnamese();
    let _ = writeln!(
        out,
        r##"<text x="26" y="28.6" font-size="1.9" fill="#333">Ngày sinh / Date of birth: <tspan font-size="2.4" font-weight="bold" fill="#000">{}</tspan></text>"##,
        xml(&born)
    );
    let _ = writeln!(
        out,
        r##"<text x="26" y="31.4" font-size="1.9" fill="#333">Giới tính / Sex: <tspan font-size="2.4" font-weight="bold" fill="#000">{}</tspan>   Quốc tịch / Nationality: <tspan font-size="2.4" font-weight="bold" fill="#000">{}</tspan></text>"##,
        card.sex.vietnamese(),
        xml(&card.nationality)
    );
    label(
        &mut out,
        26.0,
        34.2,
        "Quê quán",
        "Place of origin",
        &card.hometown,
    );
    wrapped_label(
        &mut out,
        (26.0, 40.0),
        "Nơi thường trú",
        "Place of residence",
        &card.residence,
    );
    let expiry = card
        .expiry_date
        .map_or_else(|| "Không thời hạn".to_owned(), day);
    let _ = writeln!(
        out,
        r##"<text x="3" y="45" font-size="1.6" fill="#333">Có giá trị đến:</text><text x="3" y="47.3" font-size="1.6" fill="#333">Date of expiry</text><text x="3" y="50" font-size="2.3" font-weight="bold">{}</text>"##,
        xml(&expiry)
    );
    out.push_str("</svg>\n");
    Ok(out)
}

/// The back: identifying marks, issue date, the issuing authority, the MRZ.
pub fn back_svg(card: &CardFace, size: Size) -> String {
    let mut out = svg_open("card-back", size);
    out.push_str(
        r##"<rect x="3" y="4" width="10" height="8" rx="1" fill="#d4af37" stroke="#8a6d1f" stroke-width="0.2"/>
<rect x="62" y="3" width="10" height="13" fill="#fff" stroke="#999" stroke-width="0.2"/><text x="67" y="18.5" font-size="1.5" text-anchor="middle">Ngón trỏ trái</text>
<rect x="73.5" y="3" width="10" height="13" fill="#fff" stroke="#999" stroke-width="0.2"/><text x="78.5" y="18.5" font-size="1.5" text-anchor="middle">Ngón trỏ phải</text>
"##,
    );
    label(
        &mut out,
        15.0,
        5.0,
        "Đặc điểm nhân dạng",
        "Personal identification",
        &card.identifying_marks,
    );
    let _ = writeln!(
        out,
        r##"<text x="15" y="14" font-size="1.8">Ngày, tháng, năm / Date, month, year: <tspan font-weight="bold">{}</tspan></text>
<text x="30" y="18" font-size="1.7" text-anchor="middle" font-weight="bold">CỤC TRƯỞNG CỤC CẢNH SÁT</text>
<text x="30" y="20.2" font-size="1.7" text-anchor="middle" font-weight="bold">QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI</text>"##,
        day(card.issue_date)
    );
    out.push_str(
        r##"<rect x="0" y="36" width="85.6" height="17.98" fill="#fff"/>
"##,
    );
    for (i, line) in card.mrz.iter().enumerate() {
        let y = 41.0 + 5.0 * f64::from(u32::try_from(i).unwrap_or(0));
        let _ = writeln!(
            out,
            r##"<text x="4" y="{y}" font-family="'OCR-B', 'OCR B', 'DejaVu Sans Mono', monospace" font-size="3.55" textLength="77.6" lengthAdjust="spacing" class="mrz">{}</text>"##,
            xml(line)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(xml("A & <B> \"C\"\u{7}"), "A &amp; &lt;B&gt; &quot;C&quot;");
    }
}
