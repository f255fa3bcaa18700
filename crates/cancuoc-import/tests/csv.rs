//! CSV import files: encodings, headers, separators, malformed input, size.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test helpers report a failure by panicking, like the tests that call them"
)]

use cancuoc_domain::admin::AdminCode;
use cancuoc_domain::form::{Column, PlaceLookup, validate};
use cancuoc_import::{FileError, FormFile, parse_csv, read_csv, read_forms};
use unicode_normalization::UnicodeNormalization;

fn nfd(s: &str) -> String {
    s.nfd().collect()
}

const HEADER: &str =
    "so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,thuong_tru_ma_xa,thuong_tru_dia_chi";
const ROW: &str = "042170012345,Nguyễn Thị Hoa,05/03/1970,Nữ,VNM,18541,Thôn 3";

struct AnyPlace;
impl PlaceLookup for AnyPlace {
    fn admin_unit_exists(&self, _: &AdminCode) -> bool {
        true
    }
    fn is_commune(&self, code: &AdminCode) -> bool {
        code.as_str().len() == 5
    }
}

fn today() -> jiff::civil::Date {
    jiff::civil::date(2025, 6, 1)
}

fn parse(text: &str) -> FormFile {
    match parse_csv(text.as_bytes()) {
        Ok(f) => f,
        Err(e) => panic!("file refused: {e}"),
    }
}

fn error(bytes: &[u8]) -> FileError {
    match parse_csv(bytes) {
        Ok(f) => panic!("file accepted: {f:?}"),
        Err(e) => e,
    }
}

#[test]
fn reads_and_validates_a_simple_file() {
    let file = parse(&format!("{HEADER}\n{ROW}\n"));
    assert!(file.row_errors.is_empty());
    assert_eq!(file.rows.len(), 1);
    let raw = &file.rows[0];
    assert_eq!(raw.row, 2);
    assert_eq!(raw.get(Column::HoTen), Some("Nguyễn Thị Hoa"));
    let valid = validate(raw, &AnyPlace, today()).unwrap();
    assert_eq!(valid.data.personal_id.as_string(), "042170012345");
}

#[test]
fn byte_order_mark_is_skipped() {
    let file = parse(&format!("\u{feff}{HEADER}\r\n{ROW}\r\n"));
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].get(Column::SoDinhDanh), Some("042170012345"));
    assert_eq!(file.rows[0].get(Column::ThuongTruDiaChi), Some("Thôn 3"));
}

#[test]
fn decomposed_text_is_read_and_validated_to_nfc() {
    let name = nfd("Nguyễn Thị Thủy");
    assert_ne!(name, "Nguyễn Thị Thủy");
    let file = parse(&format!(
        "{HEADER}\n042170012345,{name},05/03/1970,Nữ,VNM,18541,Thôn 3\n"
    ));
    let valid = validate(&file.rows[0], &AnyPlace, today()).unwrap();
    assert_eq!(valid.data.full_name, "Nguyễn Thị Thủy");
}

#[test]
fn vietnamese_headers_and_semicolons() {
    let header = "Số định danh;Họ và tên;Ngày sinh;Giới tính;Quốc tịch;Thường trú mã xã;Dân tộc";
    let file = parse(&format!(
        "{header}\n042170012345;Nguyễn Thị Hoa;05/03/1970;Nữ;Việt Nam;18541;Kinh\n"
    ));
    assert!(file.row_errors.is_empty(), "{:?}", file.row_errors);
    let valid = validate(&file.rows[0], &AnyPlace, today()).unwrap();
    assert_eq!(valid.data.ethnicity.as_deref(), Some("01"));
    assert_eq!(valid.data.nationality, "VNM");
}

#[test]
fn header_problems_are_reported_together() {
    let e = error(b"so_dinh_danh,ho_tne,ngay_sinh,gioi_tinh,ngay_sinh\n");
    let FileError::Header(p) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(p.unknown.len(), 1);
    assert_eq!(p.unknown[0].position, 2);
    assert_eq!(p.unknown[0].header, "ho_tne");
    assert_eq!(p.duplicated.len(), 1);
    assert_eq!(p.duplicated[0].column, Column::NgaySinh);
    assert_eq!((p.duplicated[0].first, p.duplicated[0].second), (3, 5));
    assert_eq!(p.missing, [Column::HoTen, Column::QuocTich]);
    assert!(p.missing_residence);
    let message = e.to_string();
    assert_eq!(
        message,
        "bad header row: unknown column header B \"ho_tne\" (check the spelling against the template); \
         column ngay_sinh appears twice, in columns C and E; \
         missing required columns: ho_ten, quoc_tich, thuong_tru_ma_xa or noi_o_hien_tai_ma_xa"
    );
}

#[test]
fn optional_columns_may_be_left_out_and_trailing_empty_headers_are_fine() {
    let file = parse(
        "so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,noi_o_hien_tai_ma_xa,,\n\
         042170012345,Nguyễn Thị Hoa,05/03/1970,Nữ,VNM,18541,,\n\
         042170012345,Nguyễn Thị Hoa,05/03/1970,Nữ,VNM,18541,,oops\n",
    );
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.row_errors.len(), 1);
    assert_eq!(file.row_errors[0].0, 3);
    assert_eq!(
        file.row_errors[0].1.reason,
        "value in column H, which has no header"
    );
}

#[test]
fn rows_with_the_wrong_number_of_cells_are_rejected_alone() {
    let file = parse(&format!(
        "{HEADER}\n{ROW}\n042170012345,Nguyễn Thị Hoa\n{ROW},extra\n{ROW},\n\n,,,,,,\n{ROW}\n"
    ));
    let rows: Vec<usize> = file.rows.iter().map(|r| r.row).collect();
    // Row 5 has one trailing empty cell (accepted); rows 6 and 7 are blank (skipped).
    assert_eq!(rows, [2, 5, 8]);
    let errors: Vec<(usize, &str)> = file
        .row_errors
        .iter()
        .map(|(row, r)| (*row, r.reason.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "row has 2 cells, the header has 7"),
            (4, "value in column H, after the last column of the header"),
        ]
    );
}

#[test]
fn row_numbers_count_records_not_lines() {
    let file = parse(&format!(
        "{HEADER}\n042170012345,Nguyễn Thị Hoa,05/03/1970,Nữ,VNM,18541,\"Thôn 3\nXóm 2\"\n{ROW}\n"
    ));
    let rows: Vec<usize> = file.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [2, 3]);
    assert_eq!(
        file.rows[0].get(Column::ThuongTruDiaChi),
        Some("Thôn 3\nXóm 2")
    );
}

#[test]
fn unterminated_quote_reports_its_line() {
    let text = format!("{HEADER}\n{ROW}\n042170012345,\"Nguyễn Thị Hoa,05/03/1970\n{ROW}\n");
    let e = error(text.as_bytes());
    assert!(
        matches!(e, FileError::UnterminatedQuote { line: 3 }),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 3"));
}

#[test]
fn windows_1258_is_refused_with_line_and_byte() {
    // "Nguyễn" in Windows-1258: N g u y 0xEA 0xDE n (ê + combining tilde).
    let mut bytes = format!("{HEADER}\n").into_bytes();
    bytes.extend_from_slice(b"042170012345,Nguy\xEA\xDEn Hoa,05/03/1970,N\xF5,VNM,18541,x\n");
    let e = error(&bytes);
    let FileError::NotUtf8 {
        line,
        column,
        byte,
        offset,
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!((line, column, byte), (2, 18, 0xEA));
    assert_eq!(offset, HEADER.len() + 1 + 17);
    let message = error(&bytes).to_string();
    assert!(message.contains("line 2"), "{message}");
    assert!(
        message.contains("save the file as \"CSV UTF-8\""),
        "{message}"
    );

    // With a byte order mark the offsets still count from the start of the file.
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(b"ho_t\xEAn");
    assert!(matches!(
        error(&with_bom),
        FileError::NotUtf8 {
            line: 1,
            column: 8,
            offset: 7,
            byte: 0xEA
        }
    ));
}

#[test]
fn utf16_is_recognised() {
    let mut le = vec![0xFF, 0xFE];
    for unit in HEADER.encode_utf16() {
        le.extend_from_slice(&unit.to_le_bytes());
    }
    assert!(matches!(error(&le), FileError::Utf16));
    let mut be = vec![0xFE, 0xFF];
    for unit in HEADER.encode_utf16() {
        be.extend_from_slice(&unit.to_be_bytes());
    }
    assert!(matches!(error(&be), FileError::Utf16));
    // Without a byte order mark.
    assert!(matches!(error(&le[2..]), FileError::Utf16));
    assert!(error(&le).to_string().contains("CSV UTF-8"));
}

#[test]
fn empty_files() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\n  \n", b",,,\n,,\n"] {
        assert!(matches!(error(bytes), FileError::Empty), "{bytes:?}");
    }
    let header_only = parse(&(HEADER.to_owned() + "\n"));
    assert!(header_only.rows.is_empty());
}

#[test]
fn a_huge_cell_rejects_its_row() {
    let long = "a".repeat(1001);
    let fits = "ạ".repeat(1000);
    let file = parse(&format!(
        "{HEADER}\n042170012345,{long},05/03/1970,Nữ,VNM,18541,x\n\
         042170012345,Hoa,05/03/1970,Nữ,VNM,18541,{fits}\n"
    ));
    assert_eq!(file.row_errors.len(), 1);
    assert_eq!(file.row_errors[0].0, 2);
    assert_eq!(file.row_errors[0].1.column, Some(Column::HoTen));
    assert!(file.row_errors[0].1.reason.starts_with("cell too long"));
    assert_eq!(file.rows.len(), 1);
}

#[test]
fn one_bad_row_among_ten_thousand() {
    let mut text = String::from(HEADER);
    text.push('\n');
    for i in 0..10_000 {
        if i == 5_000 {
            text.push_str("042170012345,\"Nguyễn Thị Hoa\"\"\",05/03/1970,Nữ,VNM\n");
        } else {
            text.push_str(ROW);
            text.push('\n');
        }
    }
    let file = read_csv(text.as_bytes()).unwrap();
    assert_eq!(file.rows.len(), 9_999);
    assert_eq!(file.row_errors.len(), 1);
    assert_eq!(file.row_errors[0].0, 5_002);
    assert_eq!(file.rows.last().unwrap().row, 10_001);
    let rejected = file
        .rows
        .iter()
        .filter(|r| validate(r, &AnyPlace, today()).is_err())
        .count();
    assert_eq!(rejected, 0);
}

#[test]
fn read_forms_chooses_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("forms.CSV");
    std::fs::write(&csv, format!("{HEADER}\n{ROW}\n")).unwrap();
    assert_eq!(read_forms(&csv).unwrap().rows.len(), 1);

    let xls = dir.path().join("forms.xls");
    std::fs::write(&xls, "x").unwrap();
    let e = read_forms(&xls).unwrap_err();
    assert!(
        matches!(&e, FileError::UnsupportedFormat(ext) if ext == ".xls"),
        "{e:?}"
    );

    let missing = dir.path().join("missing.csv");
    let e = read_forms(&missing).unwrap_err();
    assert!(matches!(e, FileError::Unreadable { .. }));
    assert!(e.to_string().contains("missing.csv"));
}

fn limit_code(e: &FileError) -> &'static str {
    match e {
        FileError::Limit { limit, .. } => limit.code,
        other => panic!("not a limit: {other:?}"),
    }
}

/// A row with a million extra cells is one rejected row, not a million reasons (the
/// cells past the limit are scanned over, never kept); the rows around it are read.
#[test]
fn a_row_of_a_million_cells_is_one_rejection() {
    let good = |id: &str| format!("{id},Trần Văn An,01/01/1990,Nam,VNM,18073");
    let mut text =
        String::from("so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,thuong_tru_ma_xa\n");
    text.push_str(&good("042090000001"));
    text.push('\n');
    text.push_str(&good("042090000002"));
    text.push_str(&",x".repeat(1_000_000));
    text.push('\n');
    text.push_str(&good("042090000003"));
    text.push('\n');
    let file = parse_csv(text.as_bytes()).unwrap();
    assert_eq!(file.rows.len(), 2);
    let reasons: Vec<&str> = file
        .row_errors
        .iter()
        .map(|(row, r)| {
            assert_eq!(*row, 3);
            r.reason.as_str()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "value in column G, after the last column of the header",
            "row has more than 64 cells (too_many_columns)"
        ]
    );
}

#[test]
fn a_header_past_the_column_limit_refuses_the_file() {
    let mut text = String::from("so_dinh_danh,ho_ten");
    text.push_str(&",".repeat(100));
    text.push_str("ghi_chu\n");
    let e = parse_csv(text.as_bytes()).unwrap_err();
    assert_eq!(limit_code(&e), "too_many_columns", "{e}");
    let e = cancuoc_import::parse_csv_table(text.as_bytes()).unwrap_err();
    assert_eq!(limit_code(&e), "too_many_columns", "{e}");
}

/// Spreadsheets save empty cells up to the edge of what was ever formatted: trailing
/// empty cells never count against the column limit, a value far out does.
#[test]
fn trailing_empty_cells_are_no_columns() {
    let pad = ",".repeat(100);
    let mut text =
        format!("so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,thuong_tru_ma_xa{pad}\n");
    text.push_str(&format!(
        "042090000001,Trần Văn An,01/01/1990,Nam,VNM,18073{pad}\n"
    ));
    text.push_str(&format!(
        "042090000002,Trần Văn Bình,01/01/1990,Nam,VNM,18073{pad},far away\n"
    ));
    let file = parse_csv(text.as_bytes()).unwrap();
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.row_errors.len(), 1, "{:?}", file.row_errors);
    assert_eq!(file.row_errors[0].0, 3);
    assert!(file.row_errors[0].1.reason.contains("too_many_columns"));
    let table = cancuoc_import::parse_csv_table(
        format!("personal_id,type{pad}\n042090000001,first_issuance{pad}\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(table.rows.len(), 1);
}

/// The 20 MB line of ten million cells: past the bytes a row may take, it is one
/// rejected row whose further bytes are scanned over, never kept; the rows around it
/// are read.
#[test]
fn a_row_of_ten_million_cells_is_one_rejection() {
    let good = |id: &str| format!("{id},Trần Văn An,01/01/1990,Nam,VNM,18073\n");
    let mut text =
        String::from("so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,thuong_tru_ma_xa\n");
    text.push_str(&good("042090000001"));
    text.push_str("042090000002");
    text.push_str(&",x".repeat(10_000_000));
    text.push('\n');
    text.push_str(&good("042090000003"));
    let file = parse_csv(text.as_bytes()).unwrap();
    assert_eq!(file.rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4]);
    let reasons: Vec<(usize, &str)> = file
        .row_errors
        .iter()
        .map(|(row, r)| (*row, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [(3, "row longer than 4194304 bytes (row_too_long)")]
    );
}

/// A file is read row by row: the reader hands each row on as it is read, stops when
/// told, and reports a broken file after the rows before the break were handed on.
#[test]
fn a_file_is_read_row_by_row() {
    use cancuoc_import::{FormReader, ReadRow};
    use std::ops::ControlFlow;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forms.csv");
    let mut text =
        String::from("so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,quoc_tich,thuong_tru_ma_xa\n");
    for i in 1..=5 {
        text.push_str(&format!(
            "04209000000{i},Trần Văn An,01/01/1990,Nam,VNM,18073\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let reader = FormReader::open(&path).unwrap();
    assert_eq!(reader.rows_at_most(), 7, "lines, plus one");
    let mut seen = Vec::new();
    reader
        .read(&mut |row| {
            if let ReadRow::Form(form) = row {
                seen.push(form.row);
            }
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(seen, [2, 3], "stopped after two rows");

    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"\"unterminated\n");
    std::fs::write(&path, &bytes).unwrap();
    let mut seen = 0;
    let e = FormReader::open(&path)
        .unwrap()
        .read(&mut |_| {
            seen += 1;
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(
        matches!(e, FileError::UnterminatedQuote { line: 7 }),
        "{e:?}"
    );
    assert_eq!(seen, 5, "the rows before the break were handed on");
}
