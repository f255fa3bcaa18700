//! XLSX import files, built in the test with rust_xlsxwriter.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test helpers report a failure by panicking, like the tests that call them"
)]

use std::io::Cursor;

use cancuoc_domain::admin::AdminCode;
use cancuoc_domain::form::{Column, PlaceLookup, validate};
use cancuoc_import::{FileError, FormFile, read_forms, read_xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

struct AnyPlace;
impl PlaceLookup for AnyPlace {
    fn admin_unit_exists(&self, _: &AdminCode) -> bool {
        true
    }
    fn is_commune(&self, code: &AdminCode) -> bool {
        code.as_str().len() == 5
    }
}

const HEADER: [&str; 7] = [
    "Số định danh",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Quốc tịch",
    "Thường trú mã xã",
    "CMND cũ",
];

fn workbook(fill: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in (0u16..).zip(HEADER) {
        sheet.write_string(0, col, h).unwrap();
    }
    fill(sheet);
    // A second sheet is ignored: only the first is read.
    book.add_worksheet().write_string(0, 0, "ignored").unwrap();
    book.save_to_buffer().unwrap()
}

fn read(bytes: Vec<u8>) -> FormFile {
    read_xlsx(Cursor::new(bytes)).unwrap()
}

#[test]
fn date_cells_numeric_ids_and_row_numbers() {
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let bytes = workbook(|s| {
        // Row 2: ID typed as a number (leading zeros lost), a real date cell.
        s.write_number(1, 0, 1_203_004_567.0).unwrap();
        s.write_string(1, 1, "Trần Văn An").unwrap();
        s.write_datetime_with_format(1, 2, ExcelDateTime::from_ymd(2003, 7, 9).unwrap(), &date)
            .unwrap();
        s.write_string(1, 3, "Nam").unwrap();
        s.write_string(1, 4, "VNM").unwrap();
        s.write_number(1, 5, 18_541.0).unwrap();
        s.write_number(1, 6, 12_345_678.0).unwrap();
        // Row 3 is blank; row 4: a year typed alone, and a serial date without a format.
        s.write_string(3, 0, "042170012345").unwrap();
        s.write_string(3, 1, "Nguyễn Thị Hoa").unwrap();
        s.write_number(3, 2, 1970.0).unwrap();
        s.write_string(3, 3, "Nữ").unwrap();
        s.write_string(3, 4, "Việt Nam").unwrap();
        s.write_string(3, 5, "18541").unwrap();
        s.write_string(4, 0, "042170012346").unwrap();
        s.write_string(4, 1, "Lê Thị Hồng").unwrap();
        s.write_number(4, 2, 25_632.0).unwrap(); // 5 March 1970
        s.write_string(4, 3, "Nữ").unwrap();
        s.write_string(4, 4, "VNM").unwrap();
        s.write_string(4, 5, "18541").unwrap();
    });
    let file = read(bytes);
    assert!(file.row_errors.is_empty(), "{:?}", file.row_errors);
    let rows: Vec<usize> = file.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [2, 4, 5]);

    let first = &file.rows[0];
    assert_eq!(first.get(Column::SoDinhDanh), Some("001203004567"));
    assert_eq!(first.get(Column::NgaySinh), Some("09/07/2003"));
    assert_eq!(first.get(Column::ThuongTruMaXa), Some("18541"));
    assert_eq!(first.get(Column::CmndCu), Some("012345678"));
    assert_eq!(file.rows[1].get(Column::NgaySinh), Some("1970"));
    assert_eq!(file.rows[2].get(Column::NgaySinh), Some("05/03/1970"));

    let today = jiff::civil::date(2025, 6, 1);
    let valid = validate(first, &AnyPlace, today).unwrap();
    assert_eq!(valid.data.birth_date.iso(), "2003-07-09");
    assert_eq!(valid.data.personal_id.as_string(), "001203004567");
    for raw in &file.rows {
        assert!(validate(raw, &AnyPlace, today).is_ok(), "row {}", raw.row);
    }
}

#[test]
fn formulas_and_excel_errors_reject_their_rows() {
    let bytes = workbook(|s| {
        s.write_string(1, 0, "042170012345").unwrap();
        s.write_formula(1, 1, "=CONCATENATE(\"Nguyễn \",\"Hoa\")")
            .unwrap();
        s.set_formula_result(1, 1, "Nguyễn Hoa");
        s.write_string(1, 2, "1970").unwrap();
        s.write_string(2, 0, "042170012345").unwrap();
        s.write_formula(2, 1, "=1/0").unwrap();
        s.set_formula_result(2, 1, "#DIV/0!");
        s.write_string(2, 9, "beyond").unwrap();
    });
    let file = read(bytes);
    assert!(file.rows.is_empty());
    let errors: Vec<(usize, Option<Column>, &str)> = file
        .row_errors
        .iter()
        .map(|(row, r)| (*row, r.column, r.reason.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (
                2,
                Some(Column::HoTen),
                "formula not allowed (copy the cells and paste them as values)"
            ),
            (
                3,
                Some(Column::HoTen),
                "formula not allowed (copy the cells and paste them as values)"
            ),
            (
                3,
                None,
                "value in column J, after the last column of the header"
            ),
        ]
    );
}

#[test]
fn header_problems_and_empty_sheets() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "so_dinh_danh").unwrap();
    sheet.write_string(0, 1, "ho ten").unwrap();
    sheet.write_string(0, 2, "Họ tên").unwrap();
    let e = read_xlsx(Cursor::new(book.save_to_buffer().unwrap())).unwrap_err();
    let FileError::Header(p) = e else {
        panic!("{e:?}")
    };
    assert_eq!(p.duplicated.len(), 1);
    assert_eq!((p.duplicated[0].first, p.duplicated[0].second), (2, 3));

    let mut book = Workbook::new();
    book.add_worksheet();
    let e = read_xlsx(Cursor::new(book.save_to_buffer().unwrap())).unwrap_err();
    assert!(matches!(e, FileError::Empty), "{e:?}");

    let e = read_xlsx(Cursor::new(b"not a zip".to_vec())).unwrap_err();
    assert!(matches!(e, FileError::Workbook(_)), "{e:?}");
}

#[test]
fn read_forms_opens_xlsx_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forms.xlsx");
    std::fs::write(
        &path,
        workbook(|s| {
            s.write_string(1, 0, "042170012345").unwrap();
        }),
    )
    .unwrap();
    let file = read_forms(&path).unwrap();
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].row, 2);
}

/// The workbook with each part passed through `edit` (name, bytes → new bytes).
fn rezip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut data = Vec::new();
        part.read_to_end(&mut data).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(&edit(&name, data)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn limit_code(e: &FileError) -> &'static str {
    match e {
        FileError::Limit { limit, .. } => limit.code,
        other => panic!("not a limit: {other:?}"),
    }
}

/// A 5 KB workbook whose header has a cell at column ZZZZZZZ once made the reader make
/// room for billions of headers and abort the process.
#[test]
fn a_cell_far_to_the_right_is_refused_not_allocated_for() {
    let bytes = rezip(&workbook(|_| {}), |name, data| {
        if name == "xl/worksheets/sheet1.xml" {
            String::from_utf8(data)
                .unwrap()
                .replace("r=\"G1\"", "r=\"ZZZZZZZ1\"")
                .into_bytes()
        } else {
            data
        }
    });
    let e = read_xlsx(Cursor::new(bytes)).unwrap_err();
    assert_eq!(limit_code(&e), "too_many_columns", "{e}");
    assert_eq!(e.code(), "too_many_columns");

    // A formatted empty cell far to the right is no heading.
    let bytes = workbook(|s| {
        s.write_blank(0, 300, &Format::new().set_bold()).unwrap();
        s.write_string(1, 0, "042170012345").unwrap();
    });
    assert_eq!(read(bytes).rows.len(), 1);

    // In a data row, the row is rejected once and the others are read.
    let bytes = workbook(|s| {
        s.write_string(1, 0, "042170012345").unwrap();
        s.write_string(1, 200, "far away").unwrap();
        s.write_string(1, 300, "farther").unwrap();
        s.write_string(2, 0, "042170012346").unwrap();
    });
    let file = read(bytes);
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].row, 3);
    assert_eq!(file.row_errors.len(), 1, "{:?}", file.row_errors);
    assert_eq!(file.row_errors[0].0, 2);
    assert!(file.row_errors[0].1.reason.contains("too_many_columns"));
}

/// A shared-strings table that inflates a thousandfold (a zip bomb) is refused while it
/// is measured, before the reader would hold it in memory.
#[test]
fn a_zip_bomb_is_refused_while_it_is_measured() {
    let bomb = {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        );
        xml.push_str(&"<si><t>a</t></si>".repeat(200_000));
        xml.push_str("</sst>");
        xml.into_bytes()
    };
    let bytes = rezip(
        &workbook(|s| {
            s.write_string(1, 1, "Trần Văn An").unwrap();
        }),
        |name, data| {
            if name == "xl/sharedStrings.xml" {
                bomb.clone()
            } else {
                data
            }
        },
    );
    assert!(bytes.len() < 50_000, "{} bytes", bytes.len());
    let e = read_xlsx(Cursor::new(bytes)).unwrap_err();
    assert_eq!(limit_code(&e), "xlsx_compression_ratio", "{e}");
    assert!(e.to_string().contains("xl/sharedStrings.xml"), "{e}");
}
