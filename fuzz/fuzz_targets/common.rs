//! Shared by the import targets: a place lookup that accepts every code, so that
//! validation goes as deep as the input lets it.

use cancuoc_domain::admin::{AdminCode, AdminLevel};
use cancuoc_domain::form::{PlaceLookup, validate};
use cancuoc_import::FormFile;

pub struct EveryPlace;

impl PlaceLookup for EveryPlace {
    fn admin_unit_exists(&self, _: &AdminCode) -> bool {
        true
    }
    fn is_commune(&self, code: &AdminCode) -> bool {
        code.level() == AdminLevel::Commune
    }
}

/// Validates every row read; row numbers must be those of data rows (2 and up).
pub fn validate_all(file: &FormFile) {
    let today = jiff::civil::date(2025, 6, 1);
    for raw in &file.rows {
        assert!(raw.row >= 2);
        if let Ok(valid) = validate(raw, &EveryPlace, today) {
            assert_eq!(valid.row, raw.row);
        }
    }
    for (row, rejection) in &file.row_errors {
        assert!(*row >= 2);
        assert!(!rejection.reason.is_empty());
    }
}
