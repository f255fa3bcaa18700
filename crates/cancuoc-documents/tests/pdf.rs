//! The intake form and the appointment slip read back by independent tools from Debian
//! poppler-utils: `pdftotext` (the Vietnamese text comes out exactly), `pdffonts` (the
//! font is embedded as a subset with a Unicode map) and `pdfinfo` (page count and size).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use cancuoc_documents::pdf::{format_date_numeric, format_date_vi, format_vnd};
use cancuoc_documents::{
    FingerOnSlip, IntakeSlip, SlipImage, SlipImageFormat, appointment_slip_pdf, intake_form_pdf,
};
use jiff::civil::date;
use unicode_normalization::UnicodeNormalization;

fn slip() -> IntakeSlip {
    IntakeSlip {
        receipt: "CAH-436-20210316-00042K".into(),
        full_name: "Nguyễn Thị Ánh".into(),
        personal_id: "042198000123".into(),
        old_id: Some("183456789".into()),
        birth_date: "05/07/1998".into(),
        sex: "Nữ".into(),
        hometown: "Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
        permanent_residence: "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
        application_type: "Chuyển từ CMND sang CCCD".into(),
        reason: None,
        identifying_marks: Some("Nốt ruồi C: 1 cm trên đuôi mắt trái".into()),
        intake_unit: "Công an huyện Thạch Hà".into(),
        station: Some("Nhà văn hóa thôn 3, xã Thạch Đài".into()),
        channel: "Lưu động".into(),
        officer: "Trần Văn Hưởng".into(),
        intake_date: date(2021, 3, 16),
        due_date: date(2021, 4, 6),
        fee_vnd: 15_000,
        fee_basis: "Thông tư 59/2019/TT-BTC; giảm 50% theo Thông tư 47/2021/TT-BTC".into(),
        old_card_returned: true,
        pickup_place: "Bộ phận một cửa, Công an huyện Thạch Hà, thị trấn Thạch Hà, Hà Tĩnh".into(),
        ethnicity: "Kinh".into(),
        father: Some("Nguyễn Văn Bảy".into()),
        mother: None,
        portrait: None,
        fingers: Vec::new(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn tool(name: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(pdf)
        .args(if name == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (apt-get install poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text as `pdftotext -layout` extracts it, in NFC (poppler may emit a base letter and
/// combining marks where the PDF maps one glyph to a precomposed letter).
fn text(pdf: &Path) -> String {
    tool("pdftotext", &["-layout", "-enc", "UTF-8"], pdf)
        .nfc()
        .collect()
}

/// The same text with runs of whitespace collapsed, for values that may wrap.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every font in the PDF is embedded, subset and has a ToUnicode map: `pdffonts` columns
/// `emb`, `sub`, `uni` are `yes`, and the name carries a subset tag (`ABCDEF+`).
fn assert_fonts_embedded_subsets(pdf: &Path) -> Vec<String> {
    let listing = tool("pdffonts", &[], pdf);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts:\n{listing}");
    let mut names = Vec::new();
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type… encoding emb sub uni object-id gen
        let n = cols.len();
        assert!(n >= 7, "{row}");
        let (emb, sub, uni) = (cols[n - 5], cols[n - 4], cols[n - 3]);
        assert_eq!((emb, sub, uni), ("yes", "yes", "yes"), "{listing}");
        let name = cols[0];
        let (tag, base) = name.split_once('+').unwrap_or_else(|| panic!("{name}"));
        assert!(
            tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
            "{name}"
        );
        assert!(base.starts_with("BeVietnamPro-"), "{name}");
        names.push(base.to_owned());
    }
    names
}

/// Pages and the first page's size in points, from `pdfinfo`.
fn info(pdf: &Path) -> (u32, f64, f64) {
    let out = tool("pdfinfo", &[], pdf);
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{key} missing:\n{out}"))
            .to_owned()
    };
    let pages = field("Pages:").parse().unwrap();
    let size = field("Page size:");
    let mut it = size.split_whitespace();
    let w = it.next().unwrap().parse().unwrap();
    assert_eq!(it.next(), Some("x"));
    let h = it.next().unwrap().parse().unwrap();
    (pages, w, h)
}

/// Every word's box from `pdftotext -bbox` lies inside the page.
fn assert_words_inside(pdf: &Path, width: f64, height: f64) {
    let html = tool("pdftotext", &["-bbox"], pdf);
    let attr = |tag: &str, key: &str| -> f64 {
        let start = tag.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        let end = start + tag[start..].find('"').unwrap();
        tag[start..end].parse().unwrap()
    };
    let mut count = 0;
    for tag in html.split("<word ").skip(1) {
        count += 1;
        let (x0, y0, x1, y1) = (
            attr(tag, "xMin"),
            attr(tag, "yMin"),
            attr(tag, "xMax"),
            attr(tag, "yMax"),
        );
        assert!(
            x0 >= 0.0 && y0 >= 0.0 && x1 <= width && y1 <= height,
            "word outside the page: {tag}"
        );
    }
    assert!(count > 20, "{count} words");
}

#[test]
fn intake_form_reads_back_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    let s = slip();
    let pdf = write(dir.path(), "form.pdf", &intake_form_pdf(&s).unwrap());

    let text = text(&pdf);
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CÔNG AN HUYỆN THẠCH HÀ",
        "PHIẾU THU NHẬN THÔNG TIN",
        "Số phiếu: CAH-436-20210316-00042K",
        "Nguyễn Thị Ánh",
        "042198000123",
        "183456789",
        "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh",
        "Nốt ruồi C: 1 cm trên đuôi mắt trái",
        "Chuyển từ CMND sang CCCD",
        "Dân tộc",
        "Kinh",
        "Nguyễn Văn Bảy",
        "Không rõ",
        "Ngày 16 tháng 3 năm 2021",
        "ngày 06 tháng 4 năm 2021 (06/04/2021)",
        "15.000 đồng",
        "Đã thu hồi",
        "NGƯỜI ĐỀ NGHỊ",
        "CÁN BỘ TIẾP NHẬN",
        "(Ký, ghi rõ họ tên)",
        "Trần Văn Hưởng",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let flat = words(&text);
    assert!(
        flat.contains("Bộ phận một cửa, Công an huyện Thạch Hà, thị trấn Thạch Hà, Hà Tĩnh"),
        "{text}"
    );

    let fonts = assert_fonts_embedded_subsets(&pdf);
    assert!(
        fonts.contains(&"BeVietnamPro-Regular".to_owned()),
        "{fonts:?}"
    );
    assert!(fonts.contains(&"BeVietnamPro-Bold".to_owned()), "{fonts:?}");

    let (pages, w, h) = info(&pdf);
    assert_eq!(pages, 1);
    assert!(
        (w - 595.28).abs() < 0.5 && (h - 841.89).abs() < 0.5,
        "{w} x {h}"
    );
    assert_words_inside(&pdf, w, h);
}

/// A JPEG whose header says `width` × `height`, as intake's checks read it.
fn jpeg(width: u16, height: u16) -> SlipImage {
    SlipImage {
        bytes: std::sync::Arc::new(cancuoc_domain::biometrics::sample_jpeg(
            width, height, 4_000,
        )),
        format: SlipImageFormat::Jpeg,
        width: u32::from(width),
        height: u32::from(height),
    }
}

#[test]
fn intake_form_carries_the_portrait_and_every_finger_or_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = slip();
    s.portrait = Some(jpeg(480, 640));
    let names = [
        "Ngón cái phải",
        "Ngón trỏ phải",
        "Ngón giữa phải",
        "Ngón nhẫn phải",
        "Ngón út phải",
        "Ngón cái trái",
        "Ngón trỏ trái",
        "Ngón giữa trái",
        "Ngón nhẫn trái",
        "Ngón út trái",
    ];
    s.fingers = names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let finger = if n == 9 {
                FingerOnSlip::Missing("Cụt ngón".into())
            } else {
                FingerOnSlip::Print(jpeg(800, 750))
            };
            ((*name).to_owned(), finger)
        })
        .collect();
    let pdf = write(dir.path(), "form.pdf", &intake_form_pdf(&s).unwrap());
    let text = text(&pdf);
    for expected in ["Ảnh chân dung", "Ngón cái phải", "Ngón út trái", "Cụt ngón"] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // pdfimages lists every image drawn: the portrait and the nine prints.
    let images = tool("pdfimages", &["-list"], &pdf);
    assert_eq!(images.lines().skip(2).count(), 10, "{images}");
    let (pages, w, h) = info(&pdf);
    assert_eq!(pages, 1, "the form fits one A4 page");
    assert_words_inside(&pdf, w, h);
}

#[test]
fn appointment_slip_shows_the_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let s = slip();
    let pdf = write(dir.path(), "slip.pdf", &appointment_slip_pdf(&s).unwrap());

    let text = text(&pdf);
    for expected in [
        "GIẤY HẸN TRẢ THẺ",
        "Số phiếu: CAH-436-20210316-00042K",
        "Nguyễn Thị Ánh",
        "042198000123",
        "15.000 đồng",
        "CÁN BỘ TIẾP NHẬN",
        "Trần Văn Hưởng",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let flat = words(&text);
    for expected in [
        "Ngày hẹn trả thẻ: ngày 06 tháng 4 năm 2021 (thứ Ba, 06/04/2021)",
        "Bộ phận một cửa, Công an huyện Thạch Hà, thị trấn Thạch Hà, Hà Tĩnh",
        "mang theo giấy hẹn này",
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    assert_fonts_embedded_subsets(&pdf);
    let (pages, w, h) = info(&pdf);
    assert_eq!(pages, 1);
    assert!(
        (w - 419.53).abs() < 0.5 && (h - 595.28).abs() < 0.5,
        "{w} x {h}"
    );
    assert_words_inside(&pdf, w, h);
}

#[test]
fn rendering_is_deterministic() {
    let s = slip();
    assert_eq!(intake_form_pdf(&s).unwrap(), intake_form_pdf(&s).unwrap());
    assert_eq!(
        appointment_slip_pdf(&s).unwrap(),
        appointment_slip_pdf(&s).unwrap()
    );
    // And it depends on the slip: another receipt gives another file.
    let mut other = slip();
    other.receipt = "CAH-436-20210316-00043H".into();
    assert_ne!(
        intake_form_pdf(&s).unwrap(),
        intake_form_pdf(&other).unwrap()
    );
}

#[test]
fn long_values_wrap_inside_the_page_and_flow_onto_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = slip();
    let marks = "Sẹo chấm cách 2 cm dưới sau cánh mũi phải; ".repeat(30);
    s.identifying_marks = Some(marks.clone());
    s.pickup_place = "Trụ sở Công an xã Thạch Đài, huyện Thạch Hà, tỉnh Hà Tĩnh (phòng tiếp \
                      công dân, tầng 1, cạnh hội trường; giờ làm việc buổi sáng từ 7 giờ 30)"
        .into();
    s.full_name = "Tôn Nữ Hoàng Thị Phương Khánh Ngọc Bảo Châu".into();
    s.reason = Some("Thay đổi đặc điểm nhận dạng".into());

    let form = write(dir.path(), "form.pdf", &intake_form_pdf(&s).unwrap());
    let (pages, w, h) = info(&form);
    assert_eq!(pages, 2);
    assert_words_inside(&form, w, h);
    let mut flat = words(&text(&form));
    // Each page of a paper that runs over one is numbered at its foot.
    for footer in [
        " CAH-436-20210316-00042K — trang 1/2",
        " CAH-436-20210316-00042K — trang 2/2",
    ] {
        assert!(flat.contains(footer), "{footer:?} missing from {flat}");
        flat = flat.replace(footer, "");
    }
    assert!(flat.contains(marks.trim_end()), "{flat}");
    assert!(flat.contains("Thay đổi đặc điểm nhận dạng"));
    assert!(
        flat.contains("Tôn Nữ Hoàng Thị Phương Khánh Ngọc Bảo"),
        "{flat}"
    );

    let slip = write(dir.path(), "slip.pdf", &appointment_slip_pdf(&s).unwrap());
    let (pages, w, h) = info(&slip);
    assert_eq!(pages, 1);
    assert_words_inside(&slip, w, h);
    assert!(words(&text(&slip)).contains(&words(&s.pickup_place)));
}

#[test]
fn formatting_in_vietnamese() {
    assert_eq!(
        format_date_vi(date(2021, 3, 16)),
        "ngày 16 tháng 3 năm 2021"
    );
    assert_eq!(
        format_date_vi(date(2021, 1, 5)),
        "ngày 05 tháng 01 năm 2021"
    );
    assert_eq!(format_date_numeric(date(2021, 4, 6)), "06/04/2021");
    assert_eq!(format_vnd(15_000), "15.000 đồng");
    assert_eq!(format_vnd(30_000), "30.000 đồng");
    assert_eq!(format_vnd(500), "500 đồng");
    assert_eq!(format_vnd(1_000_000), "1.000.000 đồng");
}
