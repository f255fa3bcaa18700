//! Vietnamese text on its way in and as a search key.
//!
//! Text may arrive precomposed (NFC) or decomposed (NFD, as macOS and some keyboards
//! write it). Everything stored is NFC; everything compared is a folded key.

use unicode_normalization::UnicodeNormalization;

/// The longest value a free-text field takes, in characters: one bound per field, the
/// same for every way the field arrives (API, console, command line, import), so that no
/// field can carry a document into the register or into a PDF that takes minutes to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    /// The field as requests name it.
    pub field: &'static str,
    pub max_chars: usize,
}

/// A value longer than its field's [`TextLimit`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is too long: at most {max_chars} characters")]
pub struct TextTooLong {
    pub field: &'static str,
    pub max_chars: usize,
}

impl TextLimit {
    pub fn check(&self, value: &str) -> Result<(), TextTooLong> {
        if longer_than(value, self.max_chars) {
            return Err(TextTooLong {
                field: self.field,
                max_chars: self.max_chars,
            });
        }
        Ok(())
    }

    /// [`TextLimit::check`] on a value that may be absent.
    pub fn check_opt(&self, value: Option<&str>) -> Result<(), TextTooLong> {
        value.map_or(Ok(()), |v| self.check(v))
    }
}

/// Whether `value` has more than `max_chars` characters. Its byte length bounds the
/// character count, so characters are counted only when the bytes say they might be.
pub fn longer_than(value: &str, max_chars: usize) -> bool {
    value.len() > max_chars && value.chars().count() > max_chars
}

/// Every bounded field. A person's name on the form has at most 100 characters
/// (DESIGN §6, the import's `ho_ten`); the others are set well above real use.
pub mod limits {
    use super::TextLimit;

    const fn limit(field: &'static str, max_chars: usize) -> TextLimit {
        TextLimit { field, max_chars }
    }

    pub const FULL_NAME: TextLimit = limit("full_name", 100);
    pub const USERNAME: TextLimit = limit("username", 64);
    /// Long passphrases are welcome; a megabyte is not a password, and hashing it is work.
    pub const PASSWORD: TextLimit = limit("password", 256);
    pub const STATION: TextLimit = limit("station", 100);
    pub const IDENTIFYING_MARKS: TextLimit = limit("identifying_marks", 200);
    pub const REASON: TextLimit = limit("reason", 500);
    pub const IDEMPOTENCY_KEY: TextLimit = limit("idempotency_key", 128);
    pub const CAMPAIGN_NAME: TextLimit = limit("name", 200);
    pub const SITE_NAME: TextLimit = limit("name", 200);
    pub const ADDRESS_LINE: TextLimit = limit("address", 200);
    pub const MACHINE_LABEL: TextLimit = limit("label", 50);
    pub const SEARCH_NAME: TextLimit = limit("name", 100);
}

/// NFC with runs of white space collapsed to one space and the ends trimmed.
pub fn clean(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The search and MRZ key of a name: diacritics dropped (NFD, then U+0300–U+036F
/// removed), đ/Đ → D, upper case, single spaces. "Nguyễn Văn An" → "NGUYEN VAN AN".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if ('\u{0300}'..='\u{036F}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('D'),
            _ => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// Characters that make a spreadsheet read a cell as a formula (CSV or formula
/// injection, OWASP "CSV Injection"): `=`, `+`, `-` and `@` start a formula in Excel,
/// LibreOffice and Google Sheets; a leading tab or carriage return is how the same
/// cells slip past filters that look at the first character only. The full-width forms
/// (U+FF1D, U+FF0B, U+FF0D, U+FF20) are in because East Asian input methods type them
/// and some spreadsheets read them as their ASCII twins.
const FORMULA_STARTS: [char; 10] = [
    '=', '+', '-', '@', '\t', '\r', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
];

/// Whether a spreadsheet could run `cell` as a formula: it begins with `=`, `+`, `-`,
/// `@`, a tab or a carriage return (or their full-width forms), also after leading white
/// space, since some spreadsheets trim a cell before reading it. `-5` and `+84 912` count:
/// a rule that let signed numbers through is the rule `-2+3+cmd|' /C calc'!A0` gets
/// past. The one decision behind both the import's refusal and the exports'
/// neutralising prefix, so the two can never disagree.
pub fn begins_like_formula(cell: &str) -> bool {
    let starts = |s: &str| s.starts_with(FORMULA_STARTS);
    starts(cell) || starts(cell.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_starts_are_recognised() {
        for f in [
            "=1+1",
            "+SUM(A1)",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\tNguyễn",
            "  =A1",
            "\u{a0}-cmd",
            "-5",
            "+84 912",
            "-",
            "\u{ff1d}1+1",
        ] {
            assert!(begins_like_formula(f), "{f:?}");
        }
        for s in [
            "",
            "Nguyễn",
            "a=b",
            "5-3",
            "O-",
            "A+",
            " Nguyễn",
            "'=1+1",
            "\n",
        ] {
            assert!(!begins_like_formula(s), "{s:?}");
        }
    }

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Nguyễn Văn An"), "NGUYEN VAN AN");
        assert_eq!(fold("  đặng   thị  Đào "), "DANG THI DAO");
        let nfd: String = "Nguyễn Văn An".nfd().collect();
        assert_ne!(nfd, "Nguyễn Văn An");
        assert_eq!(fold(&nfd), "NGUYEN VAN AN");
        assert_eq!(fold("nguyen van an"), "NGUYEN VAN AN");
    }

    #[test]
    fn clean_composes_and_trims() {
        let nfd: String = "Trần  Thị Hồng ".nfd().collect();
        assert_eq!(clean(&nfd), "Trần Thị Hồng");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_ignores_normal_form(s in "[a-zA-Zàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ ]{0,30}") {
            let nfd: String = s.nfd().collect();
            let nfc: String = s.nfc().collect();
            prop_assert_eq!(fold(&nfd), fold(&nfc));
        }
    }
}
