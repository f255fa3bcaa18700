//! Machine-readable zones from arbitrary text: every reader of cancuoc-icao gets the lines,
//! none panics, and whatever parses is written back as the very lines it was read from.
#![no_main]

use cancuoc_icao::{MrzDate, ParsedVnm, Td1, Td3, check, mrz_name, parse_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    // What the readers compare against: the lines without trailing blanks, blank lines gone.
    let kept: Vec<&str> = lines
        .iter()
        .map(|line| line.trim_end())
        .filter(|line| !line.is_empty())
        .collect();

    if let Ok(report) = check(&lines) {
        let _ = report.to_string();
    }
    if let Ok(td1) = Td1::parse(&lines) {
        assert_eq!(td1.encode().to_vec(), kept);
        assert!(check(&lines).is_ok_and(|r| r.is_valid() || kept[0].starts_with("IDVNM")));
    }
    if let Ok(td3) = Td3::parse(&lines) {
        assert_eq!(td3.encode().to_vec(), kept);
        assert!(check(&lines).is_ok_and(|r| r.is_valid()));
    }
    if let Ok(card) = ParsedVnm::parse(&lines) {
        assert_eq!(card.encode().to_vec(), kept);
        assert!(check(&lines).is_ok_and(|r| r.is_valid()));
    }

    for line in &lines {
        if let Ok(name) = parse_name(line) {
            // A field parses back to the same name once written at its own width.
            assert_eq!(parse_name(&name.field(line.len())), Ok(name));
        }
        let _ = MrzDate::parse(line);
    }
    let width = data.len() % 50;
    if let Ok(field) = mrz_name(text, width) {
        assert_eq!(field.len(), width);
        assert!(parse_name(&field).is_ok());
    }
});
