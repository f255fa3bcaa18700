//! A campaign's progress report as an Excel workbook (XLSX), for the officers who total,
//! chart and forward the figures. Numbers are written as numbers, never as text, so a
//! sheet can be summed as it is: counts with a thousands separator, percentages as
//! `107.4` with one decimal. Headings are in Vietnamese, one row, frozen at the top.
//!
//! Like the PDFs, a workbook depends on the report alone: its creation date is the
//! report's date (rust_xlsxwriter otherwise stamps the current time), and the ZIP
//! entries carry a fixed timestamp, so the same report gives the same bytes.

use cancuoc_domain::campaign::{ProgressReport, ProgressRow, Tenths};
use jiff::civil::Date;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use crate::DocumentError;
use crate::pdf::format_date_numeric;

/// The daily report as one sheet, `Bao cao ngay`: the children best first
/// ([`ProgressReport::daily_order`]) with their daily target, intake, achievement (%) and
/// whether they met the target, then the reporting unit's own line as the total.
///
/// # Errors
/// [`DocumentError::Spreadsheet`] if the workbook cannot be written.
pub fn daily_report_xlsx(report: &ProgressReport) -> Result<Vec<u8>, DocumentError> {
    let mut rows: Vec<SheetRow> = report
        .daily_order()
        .into_iter()
        .zip(1_u32..)
        .map(|(row, n)| SheetRow {
            cells: daily_cells(Cell::Count(u64::from(n)), &row.unit_name, row),
            bold: false,
        })
        .collect();
    rows.push(SheetRow {
        cells: daily_cells(Cell::Empty, "Tổng cộng", &report.unit),
        bold: true,
    });
    let title = format!(
        "Báo cáo kết quả thu nhận hồ sơ cấp căn cước công dân ngày {} — {}",
        format_date_numeric(report.date),
        report.unit.unit_name
    );
    workbook(
        (report.date, &report.unit.unit_name),
        &title,
        "Bao cao ngay",
        &[
            ("STT", 6.0),
            ("Đơn vị", 32.0),
            ("Chỉ tiêu ngày", 12.0),
            ("Thu nhận", 12.0),
            ("Tỷ lệ (%)", 10.0),
            ("Đạt", 11.0),
        ],
        &rows,
    )
    .map_err(|e| DocumentError::Spreadsheet(e.to_string()))
}

/// The full progress report as one sheet, `Tien do`: the reporting unit's line, then one
/// per child in the report's order, with every figure of a [`ProgressRow`]. A figure the
/// unit does not have (no target, no eligible population) is an empty cell.
///
/// # Errors
/// [`DocumentError::Spreadsheet`] if the workbook cannot be written.
pub fn progress_report_xlsx(report: &ProgressReport) -> Result<Vec<u8>, DocumentError> {
    let rows: Vec<SheetRow> = std::iter::once((&report.unit, true))
        .chain(report.children.iter().map(|row| (row, false)))
        .map(|(row, bold)| SheetRow {
            cells: progress_cells(row),
            bold,
        })
        .collect();
    let title = format!(
        "Tiến độ {} ngày {} — {}",
        report.campaign,
        format_date_numeric(report.date),
        report.unit.unit_name
    );
    workbook(
        (report.date, &report.unit.unit_name),
        &title,
        "Tien do",
        &[
            ("Mã đơn vị", 11.0),
            ("Đơn vị", 32.0),
            ("Thu nhận trong ngày", 12.0),
            ("Thu nhận lũy kế", 12.0),
            ("Chỉ tiêu", 12.0),
            ("Chỉ tiêu ngày", 12.0),
            ("Tiến độ (%)", 10.0),
            ("Tỷ lệ ngày (%)", 10.0),
            ("Xếp hạng", 9.0),
            ("Dân số đủ điều kiện", 13.0),
            ("Độ bao phủ (%)", 10.0),
            ("Tốc độ 7 ngày", 10.0),
            ("Dự kiến hoàn thành", 13.0),
            ("Cần mỗi ngày", 11.0),
            ("Trạng thái", 17.0),
        ],
        &rows,
    )
    .map_err(|e| DocumentError::Spreadsheet(e.to_string()))
}

/// A list as officers export it: headings with their widths in characters, then rows of
/// text, in one sheet (XLSX) or one file (CSV).
#[derive(Debug, Clone, PartialEq)]
pub struct TextTable {
    pub title: String,
    /// The unit that made the list.
    pub author: String,
    pub date: Date,
    /// At most 31 characters, no `[]:*?/\`.
    pub sheet_name: String,
    pub headings: Vec<(String, f64)>,
    pub rows: Vec<Vec<String>>,
}

/// `table` as a workbook of one sheet, headings bold and frozen at the top.
///
/// # Errors
/// [`DocumentError::Spreadsheet`] if the workbook cannot be written.
pub fn table_xlsx(table: &TextTable) -> Result<Vec<u8>, DocumentError> {
    let headings: Vec<(&str, f64)> = table
        .headings
        .iter()
        .map(|(text, width)| (text.as_str(), *width))
        .collect();
    let rows: Vec<SheetRow> = table
        .rows
        .iter()
        .map(|row| SheetRow {
            cells: row.iter().map(|cell| Cell::Text(cell.clone())).collect(),
            bold: false,
        })
        .collect();
    workbook(
        (table.date, &table.author),
        &table.title,
        &table.sheet_name,
        &headings,
        &rows,
    )
    .map_err(|e| DocumentError::Spreadsheet(e.to_string()))
}

/// `table` as a CSV file a spreadsheet opens: headings, then rows, every cell neutralised.
///
/// # Errors
/// [`DocumentError::Spreadsheet`] if the file cannot be written.
pub fn table_csv(table: &TextTable) -> Result<Vec<u8>, DocumentError> {
    let failed = |e: csv::Error| DocumentError::Spreadsheet(e.to_string());
    let mut out = crate::csv_export::CsvExport::new(Vec::new()).map_err(failed)?;
    out.write_record(table.headings.iter().map(|(text, _)| text))
        .map_err(failed)?;
    for row in &table.rows {
        out.write_record(row).map_err(failed)?;
    }
    out.into_inner().map_err(failed)
}

/// A value as the sheet stores it.
enum Cell {
    Text(String),
    /// A whole number, shown with a thousands separator.
    Count(u64),
    /// A percentage or a mean, shown with one decimal.
    Decimal(f64),
    Empty,
}

impl Cell {
    fn count(n: Option<u64>) -> Self {
        n.map_or(Self::Empty, Self::Count)
    }

    fn text(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Empty, |s| Self::Text(s.into()))
    }
}

struct SheetRow {
    cells: Vec<Cell>,
    bold: bool,
}

fn daily_cells(number: Cell, name: &str, row: &ProgressRow) -> Vec<Cell> {
    vec![
        number,
        Cell::Text(name.to_owned()),
        Cell::count(row.target_daily),
        Cell::Count(row.intake_day),
        row.daily_pct
            .map_or(Cell::Empty, |p| Cell::Decimal(p.as_f64())),
        Cell::text(
            row.met_daily
                .map(|met| if met { "Đạt" } else { "Không đạt" }),
        ),
    ]
}

fn progress_cells(row: &ProgressRow) -> Vec<Cell> {
    let percent = |p: Option<Tenths>| p.map_or(Cell::Empty, |p| Cell::Decimal(p.as_f64()));
    vec![
        Cell::Text(row.unit_code.to_string()),
        Cell::Text(row.unit_name.clone()),
        Cell::Count(row.intake_day),
        Cell::Count(row.intake_period),
        Cell::count(row.target_total),
        Cell::count(row.target_daily),
        percent(row.progress_pct),
        percent(row.daily_pct),
        Cell::count(row.rank.map(u64::from)),
        Cell::count(row.eligible),
        percent(row.coverage_pct),
        Cell::Decimal(row.pace_7d),
        Cell::text(row.projected_completion.map(format_date_numeric)),
        Cell::count(row.daily_needed),
        Cell::text(row.status.map(|s| s.vi())),
    ]
}

/// Cell formats, plain and for a bold (total) row.
struct Formats {
    text: Format,
    count: Format,
    decimal: Format,
}

impl Formats {
    fn new(bold: bool) -> Self {
        let base = if bold {
            Format::new().set_bold()
        } else {
            Format::new()
        };
        Self {
            text: base.clone(),
            count: base.clone().set_num_format("#,##0"),
            decimal: base.set_num_format("0.0"),
        }
    }
}

/// A workbook of one sheet named `sheet_name`: `headings` (text and column width, in
/// characters) in bold, then `rows`.
fn workbook(
    (date, author): (Date, &str),
    title: &str,
    sheet_name: &str,
    headings: &[(&str, f64)],
    rows: &[SheetRow],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(date, author, title)?);
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;

    let heading = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    for (&(text, width), col) in headings.iter().zip(0_u16..) {
        sheet.write_string_with_format(0, col, text, &heading)?;
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;

    let (plain, bold) = (Formats::new(false), Formats::new(true));
    for (row, r) in rows.iter().zip(1_u32..) {
        let formats = if row.bold { &bold } else { &plain };
        for (cell, c) in row.cells.iter().zip(0_u16..) {
            match cell {
                Cell::Text(text) => {
                    sheet.write_string_with_format(r, c, text, &formats.text)?;
                }
                Cell::Count(n) => {
                    sheet.write_number_with_format(r, c, exact(*n), &formats.count)?;
                }
                Cell::Decimal(x) => {
                    sheet.write_number_with_format(r, c, *x, &formats.decimal)?;
                }
                // Blank but formatted, so a bold row stays bold if a value is typed in.
                Cell::Empty => {
                    sheet.write_blank(r, c, &formats.text)?;
                }
            }
        }
    }
    workbook.save_to_buffer()
}

/// The title, the unit as author, and the document's date as the creation date in place
/// of the current time.
fn properties(date: Date, author: &str, title: &str) -> Result<DocProperties, XlsxError> {
    // An out-of-range part becomes 0, which `from_ymd` rejects with its own error.
    let created = ExcelDateTime::from_ymd(
        u16::try_from(date.year()).unwrap_or(0),
        u8::try_from(date.month()).unwrap_or(0),
        u8::try_from(date.day()).unwrap_or(0),
    )?;
    Ok(DocProperties::new()
        .set_title(title)
        .set_author(author)
        .set_creation_datetime(&created))
}

/// A count as a spreadsheet number. Every integer below 2^53 is exact in an `f64`, far
/// more than any count of people here.
#[allow(
    clippy::cast_precision_loss,
    reason = "counts stay far below 2^53, where the conversion is exact"
)]
fn exact(n: u64) -> f64 {
    n as f64
}
