//! XLSX workbooks: the first sheet, header in its first non-empty row, read as a
//! stream of cells (calamine's cell reader) so a large sheet is never held twice.

use std::borrow::Cow;
use std::io::{Read, Seek};

use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType, Reader, Xlsx};
use cancuoc_domain::form::Column;

use crate::limits::{
    COLUMNS, Limit, RATIO_FROM_BYTES, ROWS, XLSX_COMPRESSION_RATIO, XLSX_PARTS,
    XLSX_SHARED_STRINGS_BYTES, XLSX_WORKBOOK_BYTES,
};
use crate::table::{Header, Rows};
use crate::{FileError, FormFile, Sink, count, finish};

/// The first serial day after Excel's range (10000-01-01 in the 1900 date system).
const EXCEL_SERIAL_END: f64 = 2_958_466.0;

/// Reads the first sheet of an XLSX workbook.
///
/// Cells that hold a formula are rejected with their row: the value Excel cached for
/// the formula is in the file, but what the officer sees may not be what was typed,
/// and a formula copied on into other systems' exports is a formula injection.
pub fn read_xlsx<R: Read + Seek>(reader: R) -> Result<FormFile, FileError> {
    FormFile::collect(|sink| finish(read_xlsx_rows(reader, sink)))
}

/// The last row the workbook's sheets name, once the workbook is measured against the
/// limits: at least as many as its rows.
pub(crate) fn rows_at_most<R: Read + Seek>(reader: R) -> Result<usize, FileError> {
    let (_, last_row) = measure_parts(reader, &PartBounds::default())?;
    Ok(usize::try_from(last_row).unwrap_or(usize::MAX))
}

/// Reads the first sheet row by row into `sink`.
pub(crate) fn read_xlsx_rows<R: Read + Seek>(reader: R, sink: Sink<'_>) -> Result<(), FileError> {
    let (reader, _) = measure_parts(reader, &PartBounds::default())?;
    read_measured_xlsx_rows(reader, sink)
}

/// [`read_xlsx_rows`] of a workbook [`measure_parts`] has already passed.
pub(crate) fn read_measured_xlsx_rows<R: Read + Seek>(
    reader: R,
    sink: Sink<'_>,
) -> Result<(), FileError> {
    let mut workbook: Xlsx<R> =
        Xlsx::new(reader).map_err(|e| FileError::Workbook(e.to_string()))?;
    let is_1904 = workbook.has_1904_epoch();
    let Some(sheet) = workbook.sheet_names().into_iter().next() else {
        return Err(FileError::Empty);
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| FileError::Workbook(e.to_string()))?;

    let mut header_cells: Vec<String> = Vec::new();
    let mut rows: Option<Rows> = None;
    let mut sink = Some(sink);
    let mut current: Option<u32> = None;
    loop {
        let record = cells
            .next_cell_with_formula_metadata()
            .map_err(|e| FileError::Workbook(e.to_string()))?;
        let next_row = record.as_ref().map(|r| r.pos.0);
        if let Some(row) = current
            && next_row != Some(row)
        {
            end_row(&mut rows, &mut sink, &mut header_cells, row)?;
        }
        let Some(record) = record else { break };
        current = Some(record.pos.0);
        let position = usize::try_from(record.pos.1).unwrap_or(usize::MAX);
        match rows.as_mut() {
            None => {
                let text = cell_text(&record.value, None, is_1904).unwrap_or_default();
                // A heading far to the right would otherwise make room for every column
                // before it; an empty (formatted) cell there is no heading.
                if count(position) >= COLUMNS.value {
                    if text.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                        return Err(FileError::limit(COLUMNS, " (the header row)".into()));
                    }
                    continue;
                }
                if header_cells.len() <= position {
                    header_cells.resize(position + 1, String::new());
                }
                if let Some(slot) = header_cells.get_mut(position) {
                    *slot = text.unwrap_or_default().into_owned();
                }
            }
            Some(rows) => {
                if record.formula.is_some() {
                    rows.cell_error(
                        position,
                        "formula not allowed (copy the cells and paste them as values)".to_owned(),
                    );
                    continue;
                }
                let column = rows.header().column(position);
                match cell_text(&record.value, column, is_1904) {
                    Ok(Some(text)) => rows.cell(position, &text),
                    Ok(None) => {}
                    Err(reason) => rows.cell_error(position, reason),
                }
            }
        }
    }
    match rows {
        Some(_) => Ok(()),
        None => Err(FileError::Empty),
    }
}

/// The bounds [`measure_parts`] holds a workbook to.
#[derive(Debug, Clone, Copy)]
struct PartBounds {
    parts: Limit,
    workbook: Limit,
    shared_strings: Limit,
    ratio: Limit,
    ratio_from: u64,
}

impl Default for PartBounds {
    fn default() -> Self {
        Self {
            parts: XLSX_PARTS,
            workbook: XLSX_WORKBOOK_BYTES,
            shared_strings: XLSX_SHARED_STRINGS_BYTES,
            ratio: XLSX_COMPRESSION_RATIO,
            ratio_from: RATIO_FROM_BYTES,
        }
    }
}

/// Decompresses every part of the workbook once, counting the bytes that really come
/// out (a zip's stated sizes can lie, and its entries may overlap), and stops at the
/// first bound broken: too many parts, too many bytes in all, shared strings too large,
/// a part that grows too much, or a cell reference the reader cannot take. The XLSX
/// reader keeps the shared strings in memory whole and computes positions with
/// arithmetic that overflows, so a workbook is measured before it is opened. Gives the
/// reader back, rewound, with the highest row a worksheet names.
fn measure_parts<R: Read + Seek>(reader: R, bounds: &PartBounds) -> Result<(R, u32), FileError> {
    let unreadable = |e: &dyn std::fmt::Display| FileError::Workbook(e.to_string());
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| unreadable(&e))?;
    if count(archive.len()) > bounds.parts.value {
        return Err(FileError::limit(bounds.parts, String::new()));
    }
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut last_row = 0;
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = part.name().map_err(|e| unreadable(&e))?.into_owned();
        // The reader finds parts whatever their case and slashes.
        let normalised = name.to_ascii_lowercase().replace('\\', "/");
        let compressed = part.compressed_size().max(1);
        let shared_strings = normalised.ends_with("sharedstrings.xml");
        let at = || format!(" ({name})");
        let mut references = (normalised.ends_with(".xml") || normalised.ends_with(".rels"))
            .then(ReferenceScan::default);
        let mut size: u64 = 0;
        loop {
            let n = part.read(&mut buffer).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            if let Some(scan) = references.as_mut() {
                scan.feed(buffer.get(..n).unwrap_or_default())
                    .map_err(|e| match e {
                        ScanError::Limit(limit) => FileError::limit(limit, at()),
                        ScanError::Reversed => FileError::Workbook(format!(
                            "a cell range in {name} ends before it starts"
                        )),
                    })?;
            }
            size = size.saturating_add(count(n));
            total = total.saturating_add(count(n));
            if shared_strings && size > bounds.shared_strings.value {
                return Err(FileError::limit(bounds.shared_strings, at()));
            }
            if total > bounds.workbook.value {
                return Err(FileError::limit(bounds.workbook, at()));
            }
            if size > bounds.ratio_from && size / compressed > bounds.ratio.value {
                return Err(FileError::limit(bounds.ratio, at()));
            }
        }
        if normalised.contains("worksheets/")
            && let Some(scan) = &references
        {
            last_row = last_row.max(scan.highest_row);
        }
    }
    let mut reader = archive.into_inner();
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(FileError::Read)?;
    Ok((reader, last_row))
}

/// Why [`ReferenceScan`] refuses a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanError {
    Limit(Limit),
    /// A range such as `B2:A1`, which the reader subtracts the wrong way round.
    Reversed,
}

/// Finds the cell references a spreadsheet cannot hold, in the XML of any part, chunk by
/// chunk: inside a tag, in the attributes that name cells (`r`, `ref`, `sqref`,
/// `activeCell`, `topLeftCell`, spaces around `=` allowed), a column of more than three
/// letters (past XFD), a row of more than seven digits (past 1,048,576), or a range that
/// ends before it starts. Text between tags (values, formulas) is not looked at.
#[derive(Default)]
struct ReferenceScan {
    /// The attribute name being read, before its `=`.
    name: Vec<u8>,
    /// A space ended the name: `=` may still follow; a letter starts another name.
    name_ended: bool,
    state: Scan,
    /// The reference being read: its letters and digits so far, and their values.
    letters: u8,
    digits: u8,
    column: u32,
    row: u32,
    /// The first end of a range, once its `:` is read.
    range_start: Option<(u32, u32)>,
    /// The reference being read is a row's or a cell's own (`r`).
    counts_rows: bool,
    /// The highest row a row or a cell named.
    highest_row: u32,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Between tags.
    #[default]
    Text,
    /// Inside a tag, outside any value.
    Tag,
    /// After `=`: a quote opens the value; `true` when the attribute names cells.
    Equals(bool),
    /// Inside a value that names cells, closed by `quote`.
    Reference { quote: u8 },
    /// Inside any other value.
    Other { quote: u8 },
}

impl ReferenceScan {
    fn feed(&mut self, bytes: &[u8]) -> Result<(), ScanError> {
        for &b in bytes {
            self.state = match self.state {
                Scan::Text => {
                    if b == b'<' {
                        self.name.clear();
                        self.name_ended = false;
                        Scan::Tag
                    } else {
                        Scan::Text
                    }
                }
                Scan::Tag => self.in_tag(b),
                Scan::Equals(names_cells) if b == b'"' || b == b'\'' => {
                    if names_cells {
                        self.start_reference();
                        self.range_start = None;
                        Scan::Reference { quote: b }
                    } else {
                        Scan::Other { quote: b }
                    }
                }
                Scan::Equals(names_cells) if b.is_ascii_whitespace() => Scan::Equals(names_cells),
                Scan::Equals(_) => self.in_tag(b),
                Scan::Other { quote } if b == quote => Scan::Tag,
                Scan::Other { .. } => self.state,
                Scan::Reference { quote } => {
                    if b == quote {
                        self.end_reference()?;
                        Scan::Tag
                    } else {
                        self.in_reference(b)?;
                        self.state
                    }
                }
            };
        }
        Ok(())
    }

    fn in_tag(&mut self, b: u8) -> Scan {
        match b {
            b'>' => Scan::Text,
            b'=' => {
                // Unprefixed only: `xmlns:r` declares a namespace.
                let names_cells = matches!(
                    self.name.as_slice(),
                    b"r" | b"ref" | b"sqref" | b"activeCell" | b"topLeftCell"
                );
                // Only a row's or a cell's own reference counts as a row the sheet holds:
                // a range of formatting or validation may run to the sheet's last row.
                self.counts_rows = self.name.as_slice() == b"r";
                self.name.clear();
                self.name_ended = false;
                Scan::Equals(names_cells)
            }
            b if b.is_ascii_whitespace() => {
                self.name_ended = !self.name.is_empty();
                Scan::Tag
            }
            b if b.is_ascii_alphanumeric() || b == b':' || b == b'_' => {
                if self.name_ended {
                    self.name.clear();
                    self.name_ended = false;
                }
                if self.name.len() < 32 {
                    self.name.push(b);
                }
                Scan::Tag
            }
            _ => {
                self.name.clear();
                self.name_ended = false;
                Scan::Tag
            }
        }
    }

    fn start_reference(&mut self) {
        self.letters = 0;
        self.digits = 0;
        self.column = 0;
        self.row = 0;
    }

    fn in_reference(&mut self, b: u8) -> Result<(), ScanError> {
        if b.is_ascii_alphabetic() {
            if self.digits > 0 {
                // A letter after digits begins another reference.
                self.end_reference()?;
            }
            self.letters = self.letters.saturating_add(1);
            if self.letters > 3 {
                return Err(ScanError::Limit(COLUMNS));
            }
            let value = u32::from(b.to_ascii_uppercase() - b'A') + 1;
            self.column = self.column * 26 + value;
        } else if b.is_ascii_digit() {
            self.digits = self.digits.saturating_add(1);
            if self.digits > 7 {
                return Err(ScanError::Limit(ROWS));
            }
            self.row = self.row * 10 + u32::from(b - b'0');
        } else if b == b':' {
            let start = (self.column, self.row);
            self.end_reference()?;
            self.range_start = Some(start);
        } else if b != b'$' {
            // A space or another separator between references.
            self.end_reference()?;
            self.range_start = None;
        }
        Ok(())
    }

    /// Ends the reference being read; checked against the start of its range, if any.
    fn end_reference(&mut self) -> Result<(), ScanError> {
        if self.counts_rows {
            self.highest_row = self.highest_row.max(self.row);
        }
        if (self.letters > 0 || self.digits > 0)
            && let Some((column, row)) = self.range_start.take()
        {
            let reversed = (self.letters > 0 && column > 0 && self.column < column)
                || (self.digits > 0 && row > 0 && self.row < row);
            if reversed {
                return Err(ScanError::Reversed);
            }
        }
        self.start_reference();
        Ok(())
    }
}

/// Ends sheet row `row` (0-based): the header until one is found, then data rows.
fn end_row<'s>(
    rows: &mut Option<Rows<'s>>,
    sink: &mut Option<Sink<'s>>,
    header_cells: &mut Vec<String>,
    row: u32,
) -> Result<(), FileError> {
    // Rows as a spreadsheet numbers them: 1-based.
    let number = usize::try_from(row).unwrap_or(usize::MAX).saturating_add(1);
    match rows {
        Some(rows) => rows.end_row(number, None)?,
        None => {
            if header_cells.iter().any(|c| !c.trim().is_empty()) {
                let header = Header::parse(header_cells.iter().map(String::as_str))?;
                if let Some(sink) = sink.take() {
                    *rows = Some(Rows::new(header, sink));
                }
            }
            header_cells.clear();
        }
    }
    Ok(())
}

/// How many digits a number in an ID column had before Excel dropped its leading zeros.
///
/// Excel turns 001203004567 typed in a General cell into the number 1203004567. Every
/// personal ID starts with 0 (0 + the province code), so the form's own ID is padded
/// back to 12 digits. Relatives' columns and the old CMND take 9 or 12 digits: a
/// 12-digit number loses at most two zeros (province codes 01–96), so 10 or 11 digits
/// mean 12, and fewer mean a 9-digit CMND.
fn id_width(column: Column, digits: usize) -> Option<usize> {
    match column {
        Column::SoDinhDanh => Some(12),
        Column::CmndCu
        | Column::SoDinhDanhCha
        | Column::SoDinhDanhMe
        | Column::SoDinhDanhVoChong => Some(if digits >= 10 { 12 } else { 9 }),
        _ => None,
    }
}

/// The text of a cell as the form expects it, `None` when empty, or why it is refused.
fn cell_text<'v>(
    value: &'v DataRef<'_>,
    column: Option<Column>,
    is_1904: bool,
) -> Result<Option<Cow<'v, str>>, String> {
    let text: Cow<'v, str> = match value {
        DataRef::Empty => return Ok(None),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cow::Borrowed(s.as_str())
        }
        DataRef::SharedString(s) => Cow::Borrowed(*s),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::Error(e) => return Err(format!("cell holds the Excel error {e}")),
        DataRef::DateTime(dt) if dt.is_datetime() => Cow::Owned(date_text(dt)),
        DataRef::DateTime(dt) => Cow::Owned(number_text(dt.as_f64(), column, is_1904)),
        DataRef::Int(i) => Cow::Owned(integer_text(&i.to_string(), column)),
        DataRef::Float(f) => Cow::Owned(number_text(*f, column, is_1904)),
    };
    // An ISO date and time from a strict-format workbook: keep the date.
    let text = match (value, column) {
        (DataRef::DateTimeIso(s), Some(Column::NgaySinh)) => {
            Cow::Borrowed(s.split('T').next().unwrap_or_default())
        }
        _ => text,
    };
    Ok(Some(text))
}

fn date_text(dt: &ExcelDateTime) -> String {
    let (year, month, day, ..) = dt.to_ymd_hms_milli();
    format!("{day:02}/{month:02}/{year:04}")
}

/// A number typed into a cell, written back as the text that was typed.
fn number_text(f: f64, column: Option<Column>, is_1904: bool) -> String {
    let integral = f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15;
    if column == Some(Column::NgaySinh) {
        // A birth year typed alone is a number: 1990 is the year, not serial day 1990
        // (12 June 1905). Other numbers are serial days of a date Excel did not
        // format as one.
        if integral && (1800.0..=2399.0).contains(&f) {
            return format!("{f:.0}");
        }
        if (1.0..EXCEL_SERIAL_END).contains(&f) {
            return serial_date(f, is_1904);
        }
    }
    if integral {
        integer_text(&format!("{f:.0}"), column)
    } else {
        f.to_string()
    }
}

/// An integer's digits, with the leading zeros of ID columns restored.
fn integer_text(digits: &str, column: Option<Column>) -> String {
    let width = column.and_then(|c| id_width(c, digits.len()));
    match width {
        Some(width) if digits.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{digits:0>width$}")
        }
        _ => digits.to_owned(),
    }
}

/// `dd/mm/yyyy` of an Excel serial day. In the 1900 date system Excel counts a
/// 29 February 1900 that never was (kept from Lotus 1-2-3 for compatibility): serial 60
/// is that day, and serials from 61 on are one day ahead of a plain count from
/// 31 December 1899. calamine applies the same rule; serial 60 comes out as 29/02/1900,
/// which validation then rejects as a date that does not exist.
fn serial_date(serial: f64, is_1904: bool) -> String {
    date_text(&ExcelDateTime::new(
        serial,
        ExcelDateTimeType::DateTime,
        is_1904,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&str]) -> Result<(), &'static str> {
        let mut s = ReferenceScan::default();
        for c in chunks {
            s.feed(c.as_bytes()).map_err(|e| match e {
                ScanError::Limit(l) => l.code,
                ScanError::Reversed => "reversed",
            })?;
        }
        Ok(())
    }

    #[test]
    fn references_past_the_sheet_are_found_across_chunks() {
        assert_eq!(scan(&[r#"<row r="1"><c r="XFD1048576" t="s">"#]), Ok(()));
        assert_eq!(scan(&[r#"<dimension ref="A1:$G$7"/>"#]), Ok(()));
        assert_eq!(scan(&[r#"<c r="ZZZ"#, r#"Z1">"#]), Err("too_many_columns"));
        assert_eq!(
            scan(&[r#"<dimension ref="A1:ZZZZZZZ1"/>"#]),
            Err("too_many_columns")
        );
        assert_eq!(scan(&[r#"<c r='A12345678'>"#]), Err("too_many_rows"));
        assert_eq!(scan(&[r#"<selection sqref="A1 B2"/>"#]), Ok(()));
        // Other attributes and namespace declarations are not references.
        assert_eq!(
            scan(&[
                r#"<worksheet xmlns:r="http://schemas.openxmlformats.org/x" xr:uid="{ABCDEF12-0000}">"#
            ]),
            Ok(())
        );
        assert_eq!(scan(&[r#"<c r="A1"><v>ABCDEFGH12345678</v></c>"#]), Ok(()));
        // Spaces around `=` are XML too; formula text between tags is not a reference.
        assert_eq!(scan(&[r#"<c r = "ZZZZ1">"#]), Err("too_many_columns"));
        assert_eq!(
            scan(&[r#"<c r ="#, r#"   'ABCD2'>"#]),
            Err("too_many_columns")
        );
        assert_eq!(scan(&[r#"<f>IF(r="TOTALS1",1,2)</f>"#]), Ok(()));
        // A range the reader would subtract the wrong way round.
        assert_eq!(scan(&[r#"<dimension ref="B2:A1"/>"#]), Err("reversed"));
        assert_eq!(scan(&[r#"<f t="shared" ref="C1:C9" si="0">"#]), Ok(()));
        assert_eq!(
            scan(&[r#"<f t="shared" ref="C9:C1" si="0">"#]),
            Err("reversed")
        );
        assert_eq!(
            scan(&[r#"<cols><col min="1" max="3"/></cols><selection sqref="A1:A1 B2:C3"/>"#]),
            Ok(())
        );
    }

    #[test]
    fn shared_strings_are_measured_against_their_own_bound() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for row in 0..200u32 {
            sheet
                .write_string(row, 0, format!("tên khác nhau số {row}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let bytes = book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
        let small = PartBounds {
            shared_strings: Limit {
                value: 1_000,
                ..XLSX_SHARED_STRINGS_BYTES
            },
            ..PartBounds::default()
        };
        let e = measure_parts(std::io::Cursor::new(bytes.clone()), &small).err();
        assert!(
            matches!(&e, Some(FileError::Limit { limit, .. }) if limit.code == "xlsx_shared_strings_too_large"),
            "{e:?}"
        );
        // Within the real bounds, the reader comes back rewound, with the last row the
        // sheet names (1-based, as the sheet's XML numbers them).
        let measured = measure_parts(std::io::Cursor::new(bytes), &PartBounds::default());
        assert!(
            matches!(&measured, Ok((r, 200)) if r.position() == 0),
            "{:?}",
            measured.map(|(r, last)| (r.position(), last))
        );
    }

    #[test]
    fn serial_days_in_the_1900_system() {
        assert_eq!(serial_date(1.0, false), "01/01/1900");
        assert_eq!(serial_date(59.0, false), "28/02/1900");
        assert_eq!(serial_date(60.0, false), "29/02/1900");
        assert_eq!(serial_date(61.0, false), "01/03/1900");
        assert_eq!(serial_date(25_569.0, false), "01/01/1970");
        assert_eq!(serial_date(25_569.75, false), "01/01/1970");
        // 1904 system: serial 0 is 1 January 1904.
        assert_eq!(serial_date(0.0, true), "01/01/1904");
        assert_eq!(serial_date(24_107.0, true), "01/01/1970");
    }

    #[test]
    fn birth_dates_from_numbers() {
        let ngay_sinh = Some(Column::NgaySinh);
        assert_eq!(number_text(1990.0, ngay_sinh, false), "1990");
        assert_eq!(number_text(25_569.0, ngay_sinh, false), "01/01/1970");
        assert_eq!(number_text(-3.0, ngay_sinh, false), "-3");
        assert_eq!(number_text(f64::NAN, ngay_sinh, false), "NaN");
        assert!(!number_text(1e300, ngay_sinh, false).contains('/'));
    }

    #[test]
    fn leading_zeros_of_ids() {
        let t = |f: f64, c: Column| number_text(f, Some(c), false);
        assert_eq!(t(1_203_004_567.0, Column::SoDinhDanh), "001203004567");
        assert_eq!(t(42_170_012_345.0, Column::SoDinhDanh), "042170012345");
        assert_eq!(t(12_345_678.0, Column::CmndCu), "012345678");
        assert_eq!(t(183_456_789.0, Column::SoDinhDanhCha), "183456789");
        assert_eq!(t(1_203_004_567.0, Column::SoDinhDanhMe), "001203004567");
        assert_eq!(t(1_203_004_567.0, Column::SoHo), "1203004567");
        assert_eq!(t(1.5, Column::SoDinhDanh), "1.5");
        assert_eq!(t(-5.0, Column::SoDinhDanh), "-5");
        assert_eq!(
            integer_text("123", Some(Column::SoDinhDanh)),
            "000000000123"
        );
    }
}
