//! The campaign progress report of Hà Tĩnh on 16 March 2021, read back by independent
//! tools: the PDF by Debian poppler-utils (`pdftotext`, `pdffonts`), the workbooks by
//! calamine, which must find numbers where numbers were written.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use cancuoc_documents::{daily_report_pdf, daily_report_xlsx, progress_report_xlsx};
use cancuoc_domain::PoliceUnitCode;
use cancuoc_domain::campaign::{Period, ProgressReport, ProgressRow, Targets, progress, rank_rows};
use jiff::civil::date;
use unicode_normalization::UnicodeNormalization;

/// The day's intake per unit, against 600 a day each (8,400 for the province).
const INTAKE: [(&str, &str, u64); 14] = [
    ("CAH-445", "Công an huyện Thạch Hà", 718),
    ("CAH-446", "Công an huyện Cẩm Xuyên", 706),
    ("CAH-444", "Công an huyện Hương Khê", 675),
    ("CAH-447", "Công an huyện Kỳ Anh", 673),
    ("CAH-436", "Công an thành phố Hà Tĩnh", 670),
    ("CAH-449", "Công an thị xã Kỳ Anh", 639),
    ("CAH-439", "Công an huyện Hương Sơn", 631),
    ("CAH-437", "Công an thị xã Hồng Lĩnh", 631),
    ("CAH-440", "Công an huyện Đức Thọ", 628),
    ("CAH-443", "Công an huyện Can Lộc", 622),
    ("CAH-441", "Công an huyện Vũ Quang", 605),
    ("CAH-442", "Công an huyện Nghi Xuân", 610),
    ("CAH-448", "Công an huyện Lộc Hà", 606),
    ("PC06-42", "Phòng Cảnh sát QLHC về TTXH", 606),
];

fn row(code: &str, name: &str, daily_target: u64, intake: u64) -> ProgressRow {
    let period = Period::new(date(2021, 3, 1), date(2021, 3, 31)).unwrap();
    let day = date(2021, 3, 16);
    let targets = Targets::new(daily_target * 31, Some(daily_target)).unwrap();
    let figures = progress(&period, day, targets, &[(day, intake)]);
    ProgressRow::new(
        PoliceUnitCode::parse(code).unwrap(),
        name.to_owned(),
        targets,
        &figures,
        None,
    )
}

fn report() -> ProgressReport {
    let mut children: Vec<ProgressRow> = INTAKE
        .iter()
        .map(|&(code, name, intake)| row(code, name, 600, intake))
        .collect();
    rank_rows(&mut children);
    let total = children.iter().map(|r| r.intake_day).sum();
    ProgressReport {
        campaign: "Cao điểm cấp căn cước công dân tháng 3/2021".to_owned(),
        period: Period::new(date(2021, 3, 1), date(2021, 3, 31)).unwrap(),
        date: date(2021, 3, 16),
        unit: row("CAT-42", "Công an tỉnh Hà Tĩnh", 8_400, total),
        children,
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

#[test]
fn the_fixture_adds_up() {
    let r = report();
    assert_eq!(r.unit.intake_day, 9_020);
    assert_eq!(r.unit.daily_pct.unwrap().vi(), "107,4%");
    // Every unit took at least its 600.
    assert_eq!(r.met_daily(), 14);
}

#[test]
fn daily_report_pdf_reads_back_best_first() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, daily_report_pdf(&report()).unwrap()).unwrap();

    // NFC: poppler may give a base letter and combining marks for one glyph.
    let text: String = tool("pdftotext", &["-layout", "-enc", "UTF-8"], &pdf)
        .nfc()
        .collect();
    for expected in [
        "CÔNG AN TỈNH HÀ TĨNH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO KẾT QUẢ THU NHẬN HỒ SƠ CẤP CĂN CƯỚC CÔNG DÂN",
        "Ngày 16/03/2021 — Cao điểm cấp căn cước công dân tháng 3/2021",
        "Có 14/14 đơn vị đạt chỉ tiêu ngày.",
        // Filed under a number; signed by whoever made it and by the unit's head.
        "Số: 1603/BC-CAT-42",
        "NGƯỜI LẬP BÁO CÁO",
        "THỦ TRƯỞNG ĐƠN VỊ",
        "(Ký, ghi rõ họ tên, đóng dấu)",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let line = |needle: &str| -> (usize, &str) {
        text.lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
    };
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");

    let (thach_ha, first) = line("Thạch Hà");
    assert_eq!(words(first), "1 Công an huyện Thạch Hà 600 718 119,7% Đạt");
    let (cam_xuyen, _) = line("Cẩm Xuyên");
    let (vu_quang, last) = line("Vũ Quang");
    assert!(thach_ha < cam_xuyen && cam_xuyen < vu_quang, "{text}");
    assert_eq!(words(last), "14 Công an huyện Vũ Quang 600 605 100,8% Đạt");
    let (total_at, total) = line("Tổng cộng");
    assert!(total_at > vu_quang);
    assert_eq!(words(total), "Tổng cộng 8.400 9.020 107,4% Đạt");

    let fonts = tool("pdffonts", &[], &pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        // name type… encoding emb sub uni object-id gen
        assert_eq!(
            (cols[n - 5], cols[n - 4], cols[n - 3]),
            ("yes", "yes", "yes"),
            "{fonts}"
        );
        assert!(cols[0].contains("+BeVietnamPro-"), "{fonts}");
    }
}

#[test]
fn a_long_table_repeats_its_headings_on_every_page() {
    let mut r = report();
    let rounds = 6;
    r.children = (1..=rounds)
        .flat_map(|round| {
            INTAKE.iter().map(move |&(code, name, intake)| {
                row(code, &format!("{name} ({round})"), 600, intake)
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("long.pdf");
    std::fs::write(&pdf, daily_report_pdf(&r).unwrap()).unwrap();

    let pages: u32 = tool("pdfinfo", &[], &pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "{pages} pages");
    let mut rows = 0;
    for page in 1..=pages {
        let n = page.to_string();
        let text: String = tool("pdftotext", &["-layout", "-f", &n, "-l", &n], &pdf)
            .nfc()
            .collect();
        assert!(
            text.contains("STT") && text.contains("Thu nhận"),
            "page {page}:\n{text}"
        );
        rows += text
            .lines()
            .filter(|l| l.contains("Công an") || l.contains("Phòng"))
            .count();
        assert_eq!(
            text.contains("Tổng cộng"),
            page == pages,
            "page {page}:\n{text}"
        );
    }
    // The unit's name in the header is in capitals, so only table rows are counted.
    assert_eq!(rows, INTAKE.len() * rounds);
}

#[test]
fn the_same_report_gives_the_same_files() {
    let r = report();
    assert_eq!(daily_report_pdf(&r).unwrap(), daily_report_pdf(&r).unwrap());
    assert_eq!(
        daily_report_xlsx(&r).unwrap(),
        daily_report_xlsx(&r).unwrap()
    );
    assert_eq!(
        progress_report_xlsx(&r).unwrap(),
        progress_report_xlsx(&r).unwrap()
    );
}

/// The one sheet of a workbook, checking its name.
fn sheet(bytes: Vec<u8>, name: &str) -> Range<Data> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec![name.to_owned()]);
    book.worksheet_range(name).unwrap()
}

fn text(s: &str) -> Data {
    Data::String(s.to_owned())
}

#[test]
fn daily_report_xlsx_holds_numbers() {
    let range = sheet(daily_report_xlsx(&report()).unwrap(), "Bao cao ngay");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 1 + 14 + 1);
    assert_eq!(
        rows[0],
        [
            "STT",
            "Đơn vị",
            "Chỉ tiêu ngày",
            "Thu nhận",
            "Tỷ lệ (%)",
            "Đạt"
        ]
        .map(text)
    );
    assert_eq!(
        rows[1],
        [
            Data::Float(1.0),
            text("Công an huyện Thạch Hà"),
            Data::Float(600.0),
            Data::Float(718.0),
            Data::Float(119.7),
            text("Đạt"),
        ]
    );
    assert_eq!(rows[14][1], text("Công an huyện Vũ Quang"));
    assert_eq!(
        rows[15],
        [
            Data::Empty,
            text("Tổng cộng"),
            Data::Float(8_400.0),
            Data::Float(9_020.0),
            Data::Float(107.4),
            text("Đạt"),
        ]
    );
}

#[test]
fn progress_report_xlsx_has_every_figure() {
    let r = report();
    let range = sheet(progress_report_xlsx(&r).unwrap(), "Tien do");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 1 + 1 + 14);
    assert_eq!(
        rows[0],
        [
            "Mã đơn vị",
            "Đơn vị",
            "Thu nhận trong ngày",
            "Thu nhận lũy kế",
            "Chỉ tiêu",
            "Chỉ tiêu ngày",
            "Tiến độ (%)",
            "Tỷ lệ ngày (%)",
            "Xếp hạng",
            "Dân số đủ điều kiện",
            "Độ bao phủ (%)",
            "Tốc độ 7 ngày",
            "Dự kiến hoàn thành",
            "Cần mỗi ngày",
            "Trạng thái",
        ]
        .map(text)
    );
    // The province first, then the children in the report's order.
    let province = rows[1];
    assert_eq!(province[0], text("CAT-42"));
    assert_eq!(province[2], Data::Float(9_020.0));
    assert_eq!(province[5], Data::Float(8_400.0));
    assert_eq!(province[7], Data::Float(107.4));
    let first = &r.children[0];
    let thach_ha = rows[2];
    assert_eq!(thach_ha[0], text("CAH-445"));
    assert_eq!(thach_ha[1], text("Công an huyện Thạch Hà"));
    assert_eq!(thach_ha[3], Data::Float(718.0));
    assert_eq!(thach_ha[4], Data::Float(18_600.0));
    assert_eq!(thach_ha[8], Data::Float(f64::from(first.rank.unwrap())));
    // No eligible population given: no population and no coverage.
    assert_eq!((&thach_ha[9], &thach_ha[10]), (&Data::Empty, &Data::Empty));
    assert_eq!(thach_ha[11], Data::Float(first.pace_7d));
    let completion = first.projected_completion.unwrap();
    assert_eq!(
        thach_ha[12],
        text(&cancuoc_documents::pdf::format_date_numeric(completion))
    );
    assert_eq!(
        thach_ha[13],
        Data::Float(
            u32::try_from(first.daily_needed.unwrap())
                .map(f64::from)
                .unwrap()
        )
    );
    assert_eq!(thach_ha[14], text(first.status.unwrap().vi()));
    assert_eq!(rows[15][0], text("PC06-42"));
}
