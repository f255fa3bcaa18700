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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
