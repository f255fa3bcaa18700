//! Vietnamese text on its way in and as a search key.
//!
//! Text may arrive precomposed (NFC) or decomposed (NFD, as macOS and some keyboards
//! write it). Everything stored is NFC; everything compared is a folded key.

use unicode_normalization::UnicodeNormalization;

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
