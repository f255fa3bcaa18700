//! XLSX import files from arbitrary bytes (mostly not even a zip archive; seed the
//! corpus with real workbooks to get further): reading never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = cancuoc_import::read_xlsx(std::io::Cursor::new(data)) {
        common::validate_all(&file);
    }
});
