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
