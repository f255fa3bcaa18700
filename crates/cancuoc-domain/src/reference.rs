//! Code lists of the register: ethnic groups, religions, nationalities.
//!
//! The lists live in `data/` at the repository root (origin and licences in
//! `data/README.md`) and are embedded at compile time, then parsed once on first use;
//! nothing is read at run time.
//!
//! Lookups take a code or a name and are O(1): the importer calls them for every row
//! of files with millions of rows. A name matches ignoring case, diacritics, Unicode
//! normal form, spaces, hyphens and apostrophes ("Khơ-me", "Khơ me", "KHO ME" and
//! "Khome" are one key), and a few common other spellings are accepted as aliases
//! ("Khmer", "Mông", "H'Mông", "Mỹ"). Ethnicity and religion codes may lose their
//! leading zero ("5" is "05"), as spreadsheets do; a nationality code may be written
//! in lower case when it is not also a name ("vnm", but "Nga" is Russia by name while
//! "NGA" is Nigeria's code).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use crate::admin_data::split_record;

const ETHNIC_GROUPS_CSV: &str = include_str!("../../../data/ethnic-groups.csv");
const RELIGIONS_CSV: &str = include_str!("../../../data/religions.csv");
const NATIONALITIES_CSV: &str = include_str!("../../../data/nationalities.csv");

/// One of the 54 ethnic groups with its official 2-digit code (GSO classification,
/// Quyết định 121-TCTK/PPCĐ of 2 March 1979).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ethnicity {
    pub code: &'static str,
    pub name: &'static str,
}

/// A recognised religion, or "Không" (none), code `00`. The codes 01–16 are this
/// project's numbering: no official numeric list is public (see `data/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Religion {
    pub code: &'static str,
    pub name: &'static str,
}

/// A nationality: ISO 3166-1 alpha-3 code with the Vietnamese name and the English
/// short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nationality {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
}

/// Other spellings in use: (code, spelling). Spellings that differ from the official
/// name only by case, diacritics, spaces, hyphens or apostrophes need no entry.
const ETHNICITY_ALIASES: &[(&str, &str)] = &[
    ("01", "Việt"),
    ("05", "Khmer"),
    ("08", "Mông"),
    ("10", "Jrai"),
    ("13", "Bahnar"),
    ("14", "Sedang"),
    ("16", "K'Ho"),
    ("16", "Kơ Ho"),
    ("22", "S'tiêng"),
    ("23", "Bru"),
    ("23", "Vân Kiều"),
    ("26", "Katu"),
    ("27", "Giẻ Triêng"),
    ("29", "Khmu"),
    ("47", "Cơ Lao"),
];

const RELIGION_ALIASES: &[(&str, &str)] = &[
    ("00", "Không tôn giáo"),
    ("00", "Không có"),
    ("01", "Đạo Phật"),
    ("01", "Phật"),
    ("02", "Thiên Chúa giáo"),
    ("02", "Đạo Thiên Chúa"),
    ("02", "Công giáo La Mã"),
    ("03", "Đạo Tin lành"),
    ("03", "Tin lành Việt Nam"),
    ("04", "Đạo Cao Đài"),
    ("04", "Cao Đài giáo"),
    ("05", "Hòa Hảo"),
    ("06", "Islam"),
    ("07", "Baha'i"),
    ("08", "Tịnh độ Cư sĩ"),
    ("09", "Cơ đốc Phục lâm An thất nhật"),
    ("10", "Tứ Ân Hiếu Nghĩa"),
    ("12", "Minh Lý"),
    ("14", "Mặc môn"),
    ("14", "Mormon"),
    ("15", "Hiếu Nghĩa Tà Lơn"),
];

const NATIONALITY_ALIASES: &[(&str, &str)] = &[
    ("VNM", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("VNM", "Vietnam"),
    ("USA", "Mỹ"),
    ("USA", "United States of America"),
    ("GBR", "Anh"),
    ("GBR", "Great Britain"),
    ("AUS", "Úc"),
    ("RUS", "Liên bang Nga"),
    ("RUS", "Russian Federation"),
    ("KOR", "Đại Hàn Dân Quốc"),
    ("KOR", "Republic of Korea"),
    ("PRK", "Cộng hòa Dân chủ Nhân dân Triều Tiên"),
    ("PRK", "Bắc Triều Tiên"),
    ("CHN", "Cộng hòa Nhân dân Trung Hoa"),
    ("LAO", "Cộng hòa Dân chủ Nhân dân Lào"),
    ("LAO", "Lao People's Democratic Republic"),
    ("DEU", "Cộng hòa Liên bang Đức"),
    ("CZE", "Cộng hòa Séc"),
    ("CZE", "Czech Republic"),
    ("ITA", "Ý"),
    ("ITA", "Italia"),
    ("MMR", "Miến Điện"),
    ("TUR", "Turkey"),
    ("TWN", "Đài Loan"),
    ("HKG", "Hồng Kông"),
    ("MAC", "Ma Cao"),
];

/// A parsed list with its indexes.
struct Table<T: 'static> {
    entries: Vec<T>,
    by_code: HashMap<&'static str, usize>,
    by_name: HashMap<String, usize>,
    /// What was wrong with the embedded file or the aliases. Empty for the files that
    /// ship (a unit test checks); the domain crate does not panic, so a bad row is
    /// skipped and noted here instead.
    problems: Vec<String>,
}

impl<T> Table<T> {
    fn build<const N: usize>(
        csv: &'static str,
        header: &str,
        aliases: &[(&'static str, &'static str)],
        make: fn([&'static str; N]) -> T,
        code: fn(&T) -> &'static str,
        names: fn(&T) -> Vec<&'static str>,
    ) -> Self {
        let mut table = Self {
            entries: Vec::new(),
            by_code: HashMap::new(),
            by_name: HashMap::new(),
            problems: Vec::new(),
        };
        let mut lines = csv.lines().enumerate();
        if lines.next().map(|(_, l)| l.trim_end_matches('\r')) != Some(header) {
            table
                .problems
                .push(format!("expected the header {header:?}"));
        }
        for (i, line) in lines {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let Some(fields) = split_record(line) else {
                table.problems.push(format!("line {}: bad quoting", i + 1));
                continue;
            };
            let fields: Vec<&'static str> = fields.into_iter().map(leak).collect();
            let Ok(fields) = <[&'static str; N]>::try_from(fields) else {
                table
                    .problems
                    .push(format!("line {}: expected {N} fields", i + 1));
                continue;
            };
            let entry = make(fields);
            let index = table.entries.len();
            if table.by_code.insert(code(&entry), index).is_some() {
                table
                    .problems
                    .push(format!("line {}: code {} twice", i + 1, code(&entry)));
            }
            for name in names(&entry) {
                table.index_name(name, index);
            }
            table.entries.push(entry);
        }
        for &(alias_code, alias) in aliases {
            match table.by_code.get(alias_code) {
                Some(&index) => table.index_name(alias, index),
                None => table
                    .problems
                    .push(format!("alias {alias:?} names unknown code {alias_code}")),
            }
        }
        table
    }

    fn index_name(&mut self, name: &str, index: usize) {
        let key = name_key(name);
        if key.is_empty() {
            self.problems
                .push(format!("name {name:?} has an empty key"));
            return;
        }
        match self.by_name.get(&key) {
            Some(&other) if other != index => self
                .problems
                .push(format!("name {name:?} (key {key}) names two entries")),
            Some(_) => {}
            None => {
                self.by_name.insert(key, index);
            }
        }
    }

    /// Exact code, then name, then the code as `fallback` rewrites it.
    fn find(
        &'static self,
        input: &str,
        fallback: fn(&str) -> Option<String>,
    ) -> Option<&'static T> {
        let input = input.trim();
        let index = self
            .by_code
            .get(input)
            .or_else(|| self.by_name.get(&name_key(input)))
            .or_else(|| fallback(input).and_then(|c| self.by_code.get(c.as_str())))?;
        self.entries.get(*index)
    }
}

/// A field of an embedded file as `&'static str`. Fields are borrowed from the
/// embedded text unless they contain an escaped quote; such a field is leaked, once,
/// when the table is built (none of the shipped files has one).
fn leak(field: Cow<'static, str>) -> &'static str {
    match field {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => s.leak(),
    }
}

/// The comparison key of a name: folded (no case, diacritics or normal form) and
/// with everything but letters and digits dropped, so spaces, hyphens and
/// apostrophes don't matter.
fn name_key(name: &str) -> String {
    crate::text::fold(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// "5" → "05": a 2-digit code whose leading zero a spreadsheet dropped.
fn pad_two_digits(s: &str) -> Option<String> {
    (s.len() == 1 && s.bytes().all(|b| b.is_ascii_digit())).then(|| format!("0{s}"))
}

/// "vnm" → "VNM".
fn upper_alpha3(s: &str) -> Option<String> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

static ETHNICITIES: LazyLock<Table<Ethnicity>> = LazyLock::new(|| {
    Table::build(
        ETHNIC_GROUPS_CSV,
        "code,name",
        ETHNICITY_ALIASES,
        |[code, name]| Ethnicity { code, name },
        |e| e.code,
        |e| vec![e.name],
    )
});

static RELIGIONS: LazyLock<Table<Religion>> = LazyLock::new(|| {
    Table::build(
        RELIGIONS_CSV,
        "code,name",
        RELIGION_ALIASES,
        |[code, name]| Religion { code, name },
        |r| r.code,
        |r| vec![r.name],
    )
});

static NATIONALITIES: LazyLock<Table<Nationality>> = LazyLock::new(|| {
    Table::build(
        NATIONALITIES_CSV,
        "code,name,name_en",
        NATIONALITY_ALIASES,
        |[code, name, name_en]| Nationality {
            code,
            name,
            name_en,
        },
        |n| n.code,
        |n| vec![n.name, n.name_en],
    )
});

/// The 54 ethnic groups in code order.
pub fn ethnicities() -> &'static [Ethnicity] {
    &ETHNICITIES.entries
}

/// "Không" and the 16 recognised religions in code order.
pub fn religions() -> &'static [Religion] {
    &RELIGIONS.entries
}

/// Every ISO 3166-1 alpha-3 code (249), in code order.
pub fn nationalities() -> &'static [Nationality] {
    &NATIONALITIES.entries
}

/// By code, or by name ignoring case, diacritics and normal form.
pub fn ethnicity(code_or_name: &str) -> Option<&'static Ethnicity> {
    ETHNICITIES.find(code_or_name, pad_two_digits)
}

/// By code, or by name ignoring case, diacritics and normal form.
pub fn religion(code_or_name: &str) -> Option<&'static Religion> {
    RELIGIONS.find(code_or_name, pad_two_digits)
}

/// By code, or by Vietnamese or English name ignoring case, diacritics and normal
/// form.
pub fn nationality(code_or_name: &str) -> Option<&'static Nationality> {
    NATIONALITIES.find(code_or_name, upper_alpha3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn embedded_files_are_well_formed() {
        assert_eq!(ETHNICITIES.problems, Vec::<String>::new());
        assert_eq!(RELIGIONS.problems, Vec::<String>::new());
        assert_eq!(NATIONALITIES.problems, Vec::<String>::new());
        let names = ethnicities()
            .iter()
            .map(|e| e.name)
            .chain(religions().iter().map(|r| r.name))
            .chain(nationalities().iter().flat_map(|n| [n.name, n.name_en]));
        for name in names {
            assert_eq!(crate::text::clean(name), name);
        }
    }

    #[test]
    fn fifty_four_ethnic_groups_with_unique_codes() {
        let list = ethnicities();
        assert_eq!(list.len(), 54);
        let codes: Vec<String> = (1..=54).map(|n| format!("{n:02}")).collect();
        assert_eq!(list.iter().map(|e| e.code).collect::<Vec<_>>(), codes);
        let names: HashSet<_> = list.iter().map(|e| name_key(e.name)).collect();
        assert_eq!(names.len(), 54);
        assert_eq!(ethnicity("01").unwrap().name, "Kinh");
        assert_eq!(ethnicity("54").unwrap().name, "Rơ-măm");
        assert_eq!(ethnicity("08").unwrap().name, "HMông");
    }

    #[test]
    fn ethnicity_by_code_and_name() {
        let code = |s: &str| ethnicity(s).map(|e| e.code);
        assert_eq!(code("05"), Some("05"));
        assert_eq!(code("5"), Some("05"));
        assert_eq!(code(" 05 "), Some("05"));
        for khmer in ["Khơ-me", "Khơ me", "khơ me", "KHO ME", "Khome", "Khmer"] {
            assert_eq!(code(khmer), Some("05"), "{khmer}");
        }
        for hmong in ["HMông", "Mông", "H'Mông", "H’Mông", "hmong", "H Mông"] {
            assert_eq!(code(hmong), Some("08"), "{hmong}");
        }
        for ede in ["Ê-đê", "Ê Đê", "ede", "Êđê"] {
            assert_eq!(code(ede), Some("12"), "{ede}");
        }
        let nfd: String = "Xơ-đăng".nfd().collect();
        assert_eq!(code(&nfd), Some("14"));
        assert_eq!(code("Bru - Vân Kiều"), Some("23"));
        assert_eq!(code("Vân Kiều"), Some("23"));
        assert_eq!(code("Tà Ôi"), Some("31"));
        assert_eq!(code("Cơ Lao"), Some("47"));
        assert_eq!(code("Cờ Lao"), Some("47"));
        assert_eq!(code("Kinh"), Some("01"));
        assert_eq!(code("55"), None);
        assert_eq!(code("0"), None);
        assert_eq!(code(""), None);
        assert_eq!(code("Người Hoa Kỳ"), None);
    }

    #[test]
    fn religions_by_code_and_name() {
        let list = religions();
        assert_eq!(list.len(), 17);
        let codes: Vec<String> = (0..=16).map(|n| format!("{n:02}")).collect();
        assert_eq!(list.iter().map(|r| r.code).collect::<Vec<_>>(), codes);
        let code = |s: &str| religion(s).map(|r| r.code);
        assert_eq!(code("00"), Some("00"));
        assert_eq!(code("0"), Some("00"));
        assert_eq!(code("không"), Some("00"));
        assert_eq!(code("Phật giáo"), Some("01"));
        assert_eq!(code("PHAT GIAO"), Some("01"));
        assert_eq!(code("Thiên Chúa giáo"), Some("02"));
        assert_eq!(code("Tin Lành"), Some("03"));
        assert_eq!(code("Phật giáo Hòa Hảo"), Some("05"));
        assert_eq!(code("Phật giáo Hoà Hảo"), Some("05"));
        assert_eq!(code("Tôn giáo Baha’i"), Some("07"));
        assert_eq!(code("Bà La Môn"), Some("13"));
        assert_eq!(code("Bửu Sơn Kỳ Hương"), Some("16"));
        assert_eq!(code("17"), None);
    }

    #[test]
    fn every_iso_code_once_in_upper_case() {
        let list = nationalities();
        assert_eq!(list.len(), 249);
        let mut seen = HashSet::new();
        for n in list {
            assert_eq!(n.code.len(), 3, "{n:?}");
            assert!(n.code.bytes().all(|b| b.is_ascii_uppercase()), "{n:?}");
            assert!(seen.insert(n.code), "{n:?}");
            assert!(!n.name.is_empty() && !n.name_en.is_empty(), "{n:?}");
        }
        let vnm = nationality("VNM").unwrap();
        assert_eq!((vnm.name, vnm.name_en), ("Việt Nam", "Viet Nam"));
    }

    #[test]
    fn nationality_by_code_and_name() {
        let code = |s: &str| nationality(s).map(|n| n.code);
        for vn in ["VNM", "vnm", "Việt Nam", "viet nam", "Vietnam", "VIỆT NAM"] {
            assert_eq!(code(vn), Some("VNM"), "{vn}");
        }
        assert_eq!(code("Mỹ"), Some("USA"));
        assert_eq!(code("Hoa Kỳ"), Some("USA"));
        assert_eq!(code("United States"), Some("USA"));
        assert_eq!(code("Trung Quốc"), Some("CHN"));
        assert_eq!(code("Lào"), Some("LAO"));
        assert_eq!(code("Cam-pu-chia"), Some("KHM"));
        assert_eq!(code("Campuchia"), Some("KHM"));
        assert_eq!(code("Hàn Quốc"), Some("KOR"));
        assert_eq!(code("South Korea"), Some("KOR"));
        assert_eq!(code("Nhật Bản"), Some("JPN"));
        assert_eq!(code("Bonaire, Sint Eustatius and Saba"), Some("BES"));
        // "Nga" is Russia by name; "NGA" is Nigeria's code.
        assert_eq!(code("Nga"), Some("RUS"));
        assert_eq!(code("nga"), Some("RUS"));
        assert_eq!(code("NGA"), Some("NGA"));
        assert_eq!(code("Nigeria"), Some("NGA"));
        assert_eq!(code("XXX"), None);
        assert_eq!(code(""), None);
    }

    #[test]
    fn only_nga_is_both_a_name_and_another_code() {
        // A name key that spells another entry's code would make lower-case codes
        // ambiguous; the one known case is "Nga" (Russia) against NGA (Nigeria).
        let table = &*NATIONALITIES;
        let clashes: Vec<&str> = table
            .by_name
            .iter()
            .filter(|(key, index)| {
                table
                    .by_code
                    .get(key.as_str())
                    .is_some_and(|code_index| code_index != *index)
            })
            .map(|(key, _)| key.as_str())
            .collect();
        assert_eq!(clashes, ["NGA"]);
    }

    #[test]
    fn lookups_return_the_listed_entry() {
        for e in ethnicities() {
            assert!(std::ptr::eq(ethnicity(e.code).unwrap(), e));
            assert!(std::ptr::eq(ethnicity(e.name).unwrap(), e));
        }
        for r in religions() {
            assert!(std::ptr::eq(religion(r.code).unwrap(), r));
            assert!(std::ptr::eq(religion(r.name).unwrap(), r));
        }
        for n in nationalities() {
            assert!(std::ptr::eq(nationality(n.code).unwrap(), n));
            assert!(std::ptr::eq(nationality(n.name).unwrap(), n));
            assert!(std::ptr::eq(nationality(n.name_en).unwrap(), n));
        }
    }
}
