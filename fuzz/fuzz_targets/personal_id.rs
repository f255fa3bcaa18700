//! Personal ID numbers and partial dates from arbitrary text: parsing never panics, and
//! what parses prints back as it was read.
#![no_main]

use cancuoc_domain::{PartialDate, PersonalId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = PersonalId::parse(text) {
        assert_eq!(id.as_string(), text);
        let _ = (
            id.sex(),
            id.birth_year(),
            id.registration(),
            id.prefix(),
            id.serial(),
        );
    }
    if let Ok(date) = PartialDate::parse(text) {
        assert_eq!(PartialDate::parse(&date.iso()), Ok(date));
        assert_eq!(PartialDate::parse(&date.vietnamese()), Ok(date));
        let _ = (date.earliest(), date.latest());
    }
});
