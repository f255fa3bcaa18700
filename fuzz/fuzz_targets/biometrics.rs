//! Biometric files and bundles from arbitrary bytes: `Image::parse` for every role and
//! `Capture::from_bundle` never panic, and a bundle that reads is written back byte for
//! byte (the format is canonical).
#![no_main]

use cancuoc_domain::biometrics::{Capture, Image, ImageRole};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for role in ImageRole::ALL {
        if let Ok(image) = Image::parse(data.to_vec(), role) {
            let limits = role.limits();
            assert!(limits.formats.contains(&image.format()));
            assert!((limits.min_width..=limits.max_width).contains(&image.width()));
            assert!((limits.min_height..=limits.max_height).contains(&image.height()));
            assert_eq!(image.bytes(), data);
        }
    }
    if let Ok(capture) = Capture::from_bundle(data) {
        assert_eq!(capture.to_bundle(), data);
        let _ = capture.manifest();
    }
});
