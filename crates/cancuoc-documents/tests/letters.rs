//! A session's invitation letters read back by independent tools: the PDF by Debian
//! poppler-utils (`pdftotext`, `pdfinfo`), one household to a page; the CSV by the csv
//! crate, as a mail merge would read it.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

use std::path::Path;
use std::process::Command;

use cancuoc_documents::letters::CSV_HEADER;
use cancuoc_documents::{DocumentError, invitation_letters_csv, invitation_letters_pdf};
use cancuoc_domain::schedule::{
    InvitationLetter, InvitedMember, PAPERS_TO_BRING, SessionLetters, Window,
};
use jiff::civil::date;
use unicode_normalization::UnicodeNormalization;

fn member(name: &str, birth_date: &str, queue_number: u32, start: u32) -> InvitedMember {
    InvitedMember {
        name: name.to_owned(),
        birth_date: birth_date.to_owned(),
        queue_number,
        slot: Window::new(start, start + 30).unwrap(),
    }
}

/// Two households of xã Đức Lạng on Saturday 20 March 2021: one of three invited into the
/// first two slots, one of one.
fn session() -> SessionLetters {
    SessionLetters {
        unit_name: "Công an huyện Đức Thọ".to_owned(),
        site_name: "Nhà văn hóa thôn Trung Thịnh".to_owned(),
        site_address: "thôn Trung Thịnh, xã Đức Lạng, huyện Đức Thọ, Hà Tĩnh".to_owned(),
        commune_name: "xã Đức Lạng".to_owned(),
        date: date(2021, 3, 20),
        papers: PAPERS_TO_BRING.map(str::to_owned).to_vec(),
        letters: vec![
            InvitationLetter {
                household: "HK-0412".to_owned(),
                address: "xóm 3, thôn Trung Thịnh".to_owned(),
                members: vec![
                    member("Nguyễn Văn Hùng", "12/05/1968", 1, 7 * 60 + 30),
                    member("Trần Thị Lan", "1971", 2, 7 * 60 + 30),
                    member("Nguyễn Thị Thu Hà", "03/2005", 3, 8 * 60),
                ],
            },
            InvitationLetter {
                household: "HK-0413".to_owned(),
                address: "xóm 4, thôn Trung Thịnh".to_owned(),
                members: vec![member("Lê Văn Đức", "22/11/1990", 4, 8 * 60)],
            },
        ],
    }
}

fn tool(name: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(pdf)
        .args(if name == "pdftotext" { &["-"][..] } else { &[] })
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pages(pdf: &Path) -> u32 {
    tool("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Page `page`'s text as `pdftotext -layout` extracts it, in NFC (poppler may give a base
/// letter and combining marks for one glyph), with runs of whitespace collapsed, for text
/// that may wrap or be spread over table columns.
fn page_words(pdf: &Path, page: u32) -> String {
    let n = page.to_string();
    let text: String = tool(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", "-f", &n, "-l", &n],
        pdf,
    )
    .nfc()
    .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write_pdf(dir: &Path, letters: &SessionLetters) -> std::path::PathBuf {
    let pdf = dir.join("giay-moi.pdf");
    std::fs::write(&pdf, invitation_letters_pdf(letters).unwrap()).unwrap();
    pdf
}

fn assert_contains(text: &str, expected: &str) {
    assert!(
        text.contains(expected),
        "{expected:?} missing from:\n{text}"
    );
}

#[test]
fn one_letter_a_page_and_every_invitation_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let letters = session();
    let pdf = write_pdf(dir.path(), &letters);
    assert_eq!(pages(&pdf), 2);

    let first = page_words(&pdf, 1);
    let second = page_words(&pdf, 2);
    for page in [&first, &second] {
        for expected in [
            "CÔNG AN HUYỆN ĐỨC THỌ",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "GIẤY MỜI",
            "Nhà văn hóa thôn Trung Thịnh, thôn Trung Thịnh, xã Đức Lạng, huyện Đức Thọ, \
             Hà Tĩnh (xã Đức Lạng)",
            "ngày 20 tháng 3 năm 2021 (thứ Bảy, 20/03/2021)",
            "STT Họ và tên Ngày sinh Số thứ tự Giờ hẹn",
            "Khi đến, mang theo:",
            "- Giấy mời này",
            "số định danh cá nhân và ngày sinh",
            "TRƯỞNG CÔNG AN HUYỆN ĐỨC THỌ",
            "(Ký, ghi rõ họ tên, đóng dấu)",
        ] {
            assert_contains(page, expected);
        }
    }
    // Each letter has its own number among the session's.
    assert_contains(&first, "Số: 1/GM-20210320");
    assert_contains(&second, "Số: 2/GM-20210320");

    assert_contains(
        &first,
        "Kính gửi: Hộ gia đình số HK-0412, xóm 3, thôn Trung Thịnh",
    );
    for row in [
        "1 Nguyễn Văn Hùng 12/05/1968 1 07:30–08:00",
        "2 Trần Thị Lan 1971 2 07:30–08:00",
        "3 Nguyễn Thị Thu Hà 03/2005 3 08:00–08:30",
    ] {
        assert_contains(&first, row);
    }
    assert!(!first.contains("HK-0413") && !first.contains("Lê Văn Đức"));

    assert_contains(
        &second,
        "Kính gửi: Hộ gia đình số HK-0413, xóm 4, thôn Trung Thịnh",
    );
    assert_contains(&second, "1 Lê Văn Đức 22/11/1990 4 08:00–08:30");
    assert!(!second.contains("HK-0412") && !second.contains("Nguyễn Văn Hùng"));
    // A letter of one page carries no page number.
    assert!(!first.contains("trang 1/"), "{first}");
}

#[test]
fn a_household_longer_than_a_page_runs_over_and_is_numbered() {
    let mut letters = session();
    letters.letters[0].members = (1..=40)
        .map(|n| member(&format!("Nguyễn Văn Thành {n}"), "1980", n, 7 * 60))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write_pdf(dir.path(), &letters);
    assert_eq!(pages(&pdf), 3);
    let (one, two, three) = (
        page_words(&pdf, 1),
        page_words(&pdf, 2),
        page_words(&pdf, 3),
    );
    assert_contains(&one, "Giấy mời hộ số HK-0412 — trang 1/2");
    assert_contains(&two, "Giấy mời hộ số HK-0412 — trang 2/2");
    // The table's headings come again on the new page, and the last member is there.
    assert_contains(&two, "STT Họ và tên Ngày sinh Số thứ tự Giờ hẹn");
    assert_contains(&two, "40 Nguyễn Văn Thành 40 1980 40 07:00–07:30");
    // The next household starts on a page of its own, unnumbered.
    assert_contains(&three, "Hộ gia đình số HK-0413");
    assert!(!three.contains("trang"), "{three}");
}

#[test]
fn nothing_to_invite_is_an_error_not_an_empty_pdf() {
    let mut letters = session();
    letters.letters.clear();
    let err = invitation_letters_pdf(&letters).unwrap_err();
    assert!(matches!(err, DocumentError::Empty(_)), "{err:?}");
    assert!(err.to_string().contains("no invitation letter"), "{err}");

    let mut letters = session();
    letters.letters[1].members.clear();
    let err = invitation_letters_pdf(&letters).unwrap_err();
    assert!(matches!(err, DocumentError::Empty(_)), "{err:?}");
    assert!(err.to_string().contains("HK-0413"), "{err}");
}

#[test]
fn the_same_letters_give_the_same_files() {
    let letters = session();
    assert_eq!(
        invitation_letters_pdf(&letters).unwrap(),
        invitation_letters_pdf(&letters).unwrap()
    );
    assert_eq!(
        invitation_letters_csv(&letters),
        invitation_letters_csv(&letters)
    );
}

#[test]
fn csv_has_a_bom_a_header_and_a_row_per_member() {
    let mut letters = session();
    let awkward = r#"Phạm Thị "Út", con bà Tư"#;
    letters.letters[1].members[0].name = awkward.to_owned();
    let bytes = invitation_letters_csv(&letters);

    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    assert!(!body.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\r\n"), "RFC 4180 line ends");
    // Quoted as RFC 4180 asks: the field in double quotes, its quotes doubled.
    assert!(text.contains(r#","Phạm Thị ""Út"", con bà Tư","#), "{text}");

    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_HEADER);
    assert_eq!(
        header.join(","),
        "so_ho,dia_chi_ho,ho_ten,ngay_sinh,so_thu_tu,gio_hen,ngay,dia_diem,dia_chi_dia_diem,\
         xa_phuong,don_vi"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            "HK-0412",
            "xóm 3, thôn Trung Thịnh",
            "Nguyễn Văn Hùng",
            "12/05/1968",
            "1",
            "07:30–08:00",
            "20/03/2021",
            "Nhà văn hóa thôn Trung Thịnh",
            "thôn Trung Thịnh, xã Đức Lạng, huyện Đức Thọ, Hà Tĩnh",
            "xã Đức Lạng",
            "Công an huyện Đức Thọ",
        ]
    );
    assert_eq!(&rows[2][2], "Nguyễn Thị Thu Hà");
    assert_eq!(&rows[2][5], "08:00–08:30");
    assert_eq!(&rows[3][0], "HK-0413");
    assert_eq!(&rows[3][2], awkward);
    assert_eq!(&rows[3][4], "4");
}

#[test]
fn csv_of_a_session_without_letters_is_the_header_alone() {
    let mut letters = session();
    letters.letters.clear();
    let bytes = invitation_letters_csv(&letters);
    assert_eq!(
        bytes,
        format!("\u{feff}{}\r\n", CSV_HEADER.join(",")).into_bytes()
    );
}

/// Issue 14 §6: a site name, an address or a name typed as a formula reaches the mail
/// merge's spreadsheet as text, whatever the field.
#[test]
fn csv_cells_that_would_run_as_formulas_are_neutralised() {
    let mut letters = session();
    letters.site_name = "=HYPERLINK(\"http://x\",\"Nhà văn hóa\")".to_owned();
    letters.site_address = "-2+3+cmd|' /C calc'!A0".to_owned();
    letters.commune_name = "\t=1+1".to_owned();
    letters.unit_name = "@SUM(A1)".to_owned();
    letters.letters[0].address = "+cmd|' /C calc'!A0".to_owned();
    letters.letters[0].household = "\r=1".to_owned();
    letters.letters[0].members[0].name = " =A1".to_owned();
    let bytes = invitation_letters_csv(&letters);

    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(body);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "'\r=1");
    assert_eq!(&rows[0][1], "'+cmd|' /C calc'!A0");
    assert_eq!(&rows[0][2], "' =A1");
    assert_eq!(&rows[0][7], "'=HYPERLINK(\"http://x\",\"Nhà văn hóa\")");
    assert_eq!(&rows[0][8], "'-2+3+cmd|' /C calc'!A0");
    assert_eq!(&rows[0][9], "'\t=1+1");
    assert_eq!(&rows[0][10], "'@SUM(A1)");
    for row in &rows {
        for cell in row {
            assert!(!cancuoc_domain::text::begins_like_formula(cell), "{cell:?}");
        }
    }
}
