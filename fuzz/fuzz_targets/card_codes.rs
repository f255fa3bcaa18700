//! The codes people scan or type back: the card's QR payload, receipt numbers, police
//! unit codes (in report and quota requests) and times of day (site hours, sessions). Parsing
//! never panics, and what parses writes back to text that parses to the same value.
#![no_main]

use cancuoc_domain::card::QrPayload;
use cancuoc_domain::PoliceUnitCode;
use cancuoc_domain::receipt::ReceiptNumber;
use cancuoc_domain::schedule::{clock, parse_clock};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(payload) = QrPayload::parse(text)
        && let Ok(again) = payload.encode()
    {
        assert_eq!(QrPayload::parse(&again).ok(), Some(payload));
    }
    if let Ok(receipt) = ReceiptNumber::parse(text) {
        assert_eq!(ReceiptNumber::parse(&receipt.to_string()).ok(), Some(receipt));
    }
    if let Ok(unit) = PoliceUnitCode::parse(text) {
        assert_eq!(PoliceUnitCode::parse(&unit.as_string()).ok(), Some(unit));
    }
    if let Some(minutes) = parse_clock(text) {
        assert!(minutes <= 24 * 60);
        assert_eq!(parse_clock(&clock(minutes)), Some(minutes));
    }
});
