//! CSV import files from arbitrary bytes: reading never panics, and every row read
//! validates (or is rejected) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = cancuoc_import::read_csv(data) {
        common::validate_all(&file);
    }
});
