//! The card's QR code read back by an independent decoder (`zbarimg`, Debian zbar-tools).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests report a failure by panicking"
)]

use std::process::Command;

use cancuoc_documents::{CardFace, Size, back_svg, front_svg};
use cancuoc_domain::{PartialDate, Sex};
use jiff::civil::date;

fn face(payload: &str) -> CardFace {
    CardFace {
        personal_id: "042198000123".into(),
        full_name: "Nguyễn Thị Ánh".into(),
        birth_date: PartialDate::parse("05/07/1998").unwrap(),
        sex: Sex::Female,
        nationality: "Việt Nam".into(),
        hometown: "Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
        residence: "Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh".into(),
        issue_date: date(2021, 3, 16),
        expiry_date: Some(date(2023, 7, 5)),
        identifying_marks: "Nốt ruồi C: 1 cm trên đuôi mắt trái".into(),
        mrz: [
            "IDVNM1980001238042198000123<<2".into(),
            "9807051F2307057VNM<<<<<<<<<<<6".into(),
            "NGUYEN<<THI<ANH<<<<<<<<<<<<<<<".into(),
        ],
        qr_payload: payload.into(),
        portrait: None,
    }
}

/// The SVG rendered to PNG by librsvg (`rsvg-convert`, Debian librsvg2-bin), the
/// renderer browsers and desktops use; ImageMagick's own SVG reader drops the QR's path.
fn render(svg: &std::path::Path) -> std::path::PathBuf {
    let png = svg.with_extension("png");
    let out = Command::new("rsvg-convert")
        .arg("-o")
        .arg(&png)
        .arg(svg)
        .output()
        .unwrap_or_else(|e| panic!("rsvg-convert is needed (apt-get install librsvg2-bin): {e}"));
    assert!(
        out.status.success(),
        "rsvg-convert: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    png
}

/// What `zbarimg` reads from an image file, as raw bytes.
fn zbar(path: &std::path::Path) -> Vec<u8> {
    let out = Command::new("zbarimg")
        .args(["--raw", "--quiet", "-Sbinary"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("zbarimg is needed (apt-get install zbar-tools): {e}"));
    assert!(
        out.status.success(),
        "zbarimg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bytes = out.stdout;
    // zbarimg ends each symbol with a line break of its own.
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

#[test]
fn the_front_carries_a_qr_code_that_decodes_byte_for_byte() {
    let payload = "042198000123|183456789|Nguyễn Thị Ánh|05071998|Nữ|Thôn 3, Thạch Đài, Thạch Hà, Hà Tĩnh|16032021";
    let card = face(payload);
    // 2,000 pixels across the card is about 600 dpi, the resolution of a print.
    let svg = front_svg(&card, Size::Pixels(2000)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("front.svg");
    std::fs::write(&file, &svg).unwrap();
    assert_eq!(zbar(&render(&file)), payload.as_bytes());
    assert!(svg.contains("CĂN CƯỚC CÔNG DÂN"));
    assert!(svg.contains("NGUYỄN THỊ ÁNH"));
    assert!(svg.contains("05/07/1998"));
    assert!(svg.contains("05/07/2023"));

    let print = front_svg(&card, Size::Card).unwrap();
    assert!(
        print.contains(r#"width="85.6mm" height="53.98mm""#),
        "{}",
        &print[..300]
    );
    let back = back_svg(&card, Size::Card);
    for line in &card.mrz {
        assert!(back.contains(&line.replace('<', "&lt;")), "{line}");
    }
    assert!(back.contains("16/03/2021"));
}

/// The card's title follows the law in force on its issue date, and a long residence
/// is wrapped onto lines of the card, every word kept.
#[test]
fn the_title_follows_the_law_and_a_long_residence_is_never_cut() {
    let mut card = face("042198000123");
    let before = front_svg(&card, Size::Card).unwrap();
    assert!(before.contains(">CĂN CƯỚC CÔNG DÂN<") && before.contains(">Citizen Identity Card<"));
    card.issue_date = date(2024, 7, 1);
    card.residence = "Số 278, ngõ 111, đường Hai Bà Trưng, tổ dân phố 17, Phường Nam Hà, \
        Thành phố Hà Tĩnh, Tỉnh Hà Tĩnh"
        .into();
    let after = front_svg(&card, Size::Card).unwrap();
    assert!(
        after.contains(">CĂN CƯỚC<") && after.contains(">Identity Card<"),
        "{after}"
    );
    let lines: Vec<&str> = after
        .lines()
        .filter(|l| l.contains("class=\"wrapped\""))
        .collect();
    assert!(lines.len() >= 2, "{after}");
    let shown: String = lines
        .iter()
        .filter_map(|l| l.split('>').nth(1))
        .filter_map(|t| t.split('<').next())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(shown, card.residence);
    // Every line fits the room the card has beside the portrait.
    assert!(
        lines.iter().filter_map(|l| l.split('>').nth(1)).all(|t| t
            .chars()
            .take_while(|c| *c != '<')
            .count()
            <= 50)
    );
}
