//! Code lists of the register: ethnic groups, religions, nationalities.
//!
//! PLACEHOLDER DATA: the full lists are being vendored; the API below is fixed.

/// One of the 54 ethnic groups with its official 2-digit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ethnicity {
    pub code: &'static str,
    pub name: &'static str,
}

/// A recognised religion, or "Không" (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Religion {
    pub code: &'static str,
    pub name: &'static str,
}

/// A nationality: ISO 3166-1 alpha-3 code with the Vietnamese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nationality {
    pub code: &'static str,
    pub name: &'static str,
}

const ETHNICITIES: &[Ethnicity] = &[Ethnicity { code: "01", name: "Kinh" }];
const RELIGIONS: &[Religion] = &[Religion { code: "00", name: "Không" }];
const NATIONALITIES: &[Nationality] = &[Nationality { code: "VNM", name: "Việt Nam" }];

pub fn ethnicities() -> &'static [Ethnicity] {
    ETHNICITIES
}
pub fn religions() -> &'static [Religion] {
    RELIGIONS
}
pub fn nationalities() -> &'static [Nationality] {
    NATIONALITIES
}

/// By code, or by name ignoring case, diacritics and normal form.
pub fn ethnicity(code_or_name: &str) -> Option<&'static Ethnicity> {
    let key = crate::text::fold(code_or_name);
    ETHNICITIES
        .iter()
        .find(|e| e.code == code_or_name.trim() || crate::text::fold(e.name) == key)
}
pub fn religion(code_or_name: &str) -> Option<&'static Religion> {
    let key = crate::text::fold(code_or_name);
    RELIGIONS
        .iter()
        .find(|e| e.code == code_or_name.trim() || crate::text::fold(e.name) == key)
}
pub fn nationality(code_or_name: &str) -> Option<&'static Nationality> {
    let key = crate::text::fold(code_or_name);
    NATIONALITIES
        .iter()
        .find(|e| e.code == code_or_name.trim() || crate::text::fold(e.name) == key)
}
