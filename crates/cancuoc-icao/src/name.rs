//! Holders' names in the MRZ.
//!
//! Writing (Doc 9303-3 §4.6): upper-case A–Z without diacritical marks; the primary
//! identifier, then `<<`, then the secondary identifier; components of either separated by
//! one `<`; fillers to the end of the field. Punctuation: an apostrophe is dropped and the
//! parts it joined are combined; a hyphen becomes one `<`; a comma separates the primary
//! from the secondary identifier; other punctuation and digits are dropped.
//!
//! Vietnamese names are written family name first ("Nguyễn Văn An"), so without a comma
//! the first word is the primary identifier and the rest the secondary identifier; a
//! single word is the primary identifier alone (Doc 9303-5 §4.2.2.3).
//!
//! Transliteration: Unicode canonical decomposition, then combining marks U+0300–U+036F
//! (Vietnamese tones, circumflex, breve, horn) dropped; the letters that do not decompose
//! follow Doc 9303-3 §6 part A (Đ → D, Æ → AE, Ø → OE, ß → SS, Þ → TH, …). Other scripts
//! are refused rather than guessed.
//!
//! Truncation, when the name is longer than the field (Doc 9303-4 §4.2.2.1 and §4.2.3,
//! Doc 9303-5 §4.2.2.3 and §4.2.3): the methods are at the issuing state's discretion, and
//! this crate chooses, in order:
//! 1. the secondary identifier is shortened first, its components from the first onwards,
//!    each down to its initial if need be, keeping the last component (the Vietnamese given
//!    name, the one people are called by) whole as long as possible; then that last
//!    component; then trailing components are dropped;
//! 2. only when the primary identifier leaves no room for `<<` and one letter of the
//!    secondary identifier is the primary identifier shortened, from its last component
//!    backwards, "until three character positions are freed" for `<<` and the first
//!    character of the secondary identifier (Doc 9303-5 §4.2.2.3).
//!
//! A truncated field is filled to its last position and so ends with a letter, which is
//! how a reader knows truncation may have occurred.

use unicode_normalization::UnicodeNormalization;

use crate::error::NameError;
use crate::lines::pad;

/// A holder's name as the MRZ holds it: the components of the primary and of the secondary
/// identifier, each one or more letters A–Z. The primary identifier has at least one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MrzName {
    primary: Vec<String>,
    secondary: Vec<String>,
}

impl MrzName {
    /// A full name written as in Vietnam, family name first: "Nguyễn Văn An" has the primary
    /// identifier NGUYEN and the secondary identifier VAN AN. A comma, if there is one,
    /// separates the primary from the secondary identifier instead ("Tôn Nữ, Thị Hà").
    pub fn from_full_name(full_name: &str) -> Result<MrzName, NameError> {
        let (primary, secondary) = match full_name.split_once(',') {
            Some((primary, secondary)) => (words(primary)?, words(secondary)?),
            None => {
                let mut all = words(full_name)?;
                let secondary = if all.is_empty() {
                    Vec::new()
                } else {
                    all.split_off(1)
                };
                (all, secondary)
            }
        };
        MrzName::from_components(primary, secondary, full_name)
    }

    /// A name given as its two identifiers, each free text to transliterate, as in a
    /// passport's "surname" and "given names" fields.
    pub fn from_identifiers(primary: &str, secondary: &str) -> Result<MrzName, NameError> {
        let text = format!("{primary}, {secondary}");
        MrzName::from_components(words(primary)?, words(secondary)?, &text)
    }

    fn from_components(
        primary: Vec<String>,
        secondary: Vec<String>,
        text: &str,
    ) -> Result<MrzName, NameError> {
        // A name of one part goes in the primary identifier (Doc 9303-5 §4.2.2.3).
        let (primary, secondary) = if primary.is_empty() {
            (secondary, Vec::new())
        } else {
            (primary, secondary)
        };
        if primary.is_empty() {
            return Err(NameError::Empty(text.to_owned()));
        }
        Ok(MrzName { primary, secondary })
    }

    /// A stand-in while a reader goes on past a bad name field; never returned.
    pub(crate) fn placeholder() -> MrzName {
        MrzName {
            primary: Vec::new(),
            secondary: Vec::new(),
        }
    }

    pub fn primary(&self) -> &[String] {
        &self.primary
    }

    pub fn secondary(&self) -> &[String] {
        &self.secondary
    }

    /// The name field of `width` positions: the name, truncated if it is longer (see the
    /// module documentation), then fillers.
    pub fn field(&self, width: usize) -> String {
        let primary = self.primary.join("<");
        let secondary = self.secondary.join("<");
        let text = if self.secondary.is_empty() {
            fit(&self.primary, width, Keep::First).join("<")
        } else if primary.len() + 2 + secondary.len() <= width {
            format!("{primary}<<{secondary}")
        } else if primary.len() + 3 <= width {
            let room = width - primary.len() - 2;
            format!(
                "{primary}<<{}",
                fit(&self.secondary, room, Keep::Last).join("<")
            )
        } else if width >= 4 {
            let initial: String = self
                .secondary
                .first()
                .map(|c| c.chars().take(1).collect())
                .unwrap_or_default();
            let primary = fit(&self.primary, width - 3, Keep::First).join("<");
            format!("{primary}<<{initial}")
        } else {
            fit(&self.primary, width, Keep::First).join("<")
        };
        pad(&text, width)
    }
}

impl MrzName {
    /// The name as a field of `width` positions holds it: truncated if it is longer.
    pub fn truncated(&self, width: usize) -> MrzName {
        parse_name(&self.field(width)).unwrap_or_else(|_| self.clone())
    }
}

/// The MRZ name field of `width` positions for a full name written family name first
/// (see [`MrzName::from_full_name`]): transliterated, truncated if need be, padded with `<`.
/// TD1 cards have 30 positions, TD3 passports 39.
pub fn mrz_name(full_name: &str, width: usize) -> Result<String, NameError> {
    if width == 0 {
        return Err(NameError::ZeroWidth);
    }
    Ok(MrzName::from_full_name(full_name)?.field(width))
}

/// Reads a name field back into its identifiers. The field must be A–Z and `<` only, with
/// a primary identifier, at most one `<<` before the trailing fillers, and no empty
/// component (Doc 9303-3 §4.6).
pub fn parse_name(field: &str) -> Result<MrzName, NameError> {
    let wrong = |expected| NameError::Field {
        found: field.to_owned(),
        expected,
    };
    if !field.chars().all(|c| c == '<' || c.is_ascii_uppercase()) {
        return Err(wrong("letters A–Z and fillers <"));
    }
    let body = field.trim_end_matches('<');
    let (primary, secondary) = match body.split_once("<<") {
        Some((primary, secondary)) => (primary, Some(secondary)),
        None => (body, None),
    };
    let components = |text: &str| -> Option<Vec<String>> {
        text.split('<')
            .map(|c| (!c.is_empty()).then(|| c.to_owned()))
            .collect()
    };
    if primary.is_empty() {
        return Err(wrong("a primary identifier before <<"));
    }
    let primary = components(primary).ok_or(wrong("components separated by a single filler <"))?;
    let secondary = match secondary {
        Some(s) => components(s).ok_or(wrong(
            "components separated by a single filler <, and << only once",
        ))?,
        None => Vec::new(),
    };
    Ok(MrzName { primary, secondary })
}

/// Whether a name field may have been truncated: its last position holds a letter
/// (Doc 9303-4 §4.2.3, Doc 9303-5 §4.2.3.3 note). A name that exactly fills the field
/// looks the same and "must be treated as though truncation had occurred".
pub fn possibly_truncated(field: &str) -> bool {
    field.chars().last().is_some_and(|c| c.is_ascii_uppercase())
}

/// The transliterated words of `text`, each one or more letters A–Z.
fn words(text: &str) -> Result<Vec<String>, NameError> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.nfd() {
        if ('\u{0300}'..='\u{036F}').contains(&c) {
            // A diacritical mark, decomposed off its letter: not written (Doc 9303-3 §4.6).
            continue;
        }
        if c.is_ascii_alphabetic() {
            word.push(c.to_ascii_uppercase());
        } else if let Some(latin) = latin(c) {
            word.push_str(latin);
        } else if c.is_whitespace() || c == '<' || c == ',' || is_hyphen(c) {
            // A hyphen between components is one filler (Doc 9303-3 §4.6), as is a space.
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        } else if c.is_alphabetic() {
            return Err(NameError::Untransliterable(c));
        }
        // Anything else (apostrophes, other punctuation, digits, symbols) is omitted, and
        // the parts it joined stay one component (Doc 9303-3 §4.6).
    }
    if !word.is_empty() {
        words.push(word);
    }
    Ok(words)
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Letters that do not decompose into a base letter and marks, per Doc 9303-3 §6 part A.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'Đ' | 'đ' | 'Ð' | 'ð' | 'Ɖ' | 'ɖ' => "D",
        'Æ' | 'æ' => "AE",
        'Ø' | 'ø' | 'Œ' | 'œ' => "OE",
        'ß' | 'ẞ' => "SS",
        'Þ' | 'þ' => "TH",
        'Ħ' | 'ħ' => "H",
        'ı' => "I",
        'Ĳ' | 'ĳ' => "IJ",
        'Ŀ' | 'ŀ' | 'Ł' | 'ł' => "L",
        'Ŋ' | 'ŋ' => "N",
        'Ŧ' | 'ŧ' => "T",
        _ => return None,
    })
}

/// Which component a truncation keeps whole for longest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Shorten from the last component backwards (the primary identifier).
    First,
    /// Shorten from the first component onwards (the secondary identifier).
    Last,
}

/// Components shortened so that, joined by `<`, they take exactly `room` positions: each
/// kept component is a non-empty prefix of the original, so the result ends with a letter.
/// Only when every component is a single letter and the room is even can it fall one short.
fn fit(components: &[String], room: usize, keep: Keep) -> Vec<String> {
    let joined = |lens: &[usize]| lens.iter().sum::<usize>() + lens.len().saturating_sub(1);
    let full: Vec<usize> = components.iter().map(String::len).collect();
    if joined(&full) <= room {
        return components.to_vec();
    }
    if room == 0 {
        return Vec::new();
    }
    let count = full.len();
    let order: Vec<usize> = match keep {
        Keep::Last => (0..count).collect(),
        Keep::First => (0..count).rev().collect(),
    };
    let mut lens = full.clone();
    // Shorten, each component down to its initial at most, in order.
    for &i in &order {
        let excess = joined(&lens).saturating_sub(room);
        if let Some(len) = lens.get_mut(i) {
            *len -= excess.min(len.saturating_sub(1));
        }
    }
    // Still too long with every component an initial: drop trailing components.
    while joined(&lens) > room && lens.len() > 1 {
        lens.pop();
    }
    // Dropping may have freed more than needed: give letters back, protected one first.
    for &i in order.iter().rev() {
        let slack = room.saturating_sub(joined(&lens));
        if let (Some(len), Some(&max)) = (lens.get_mut(i), full.get(i)) {
            *len += slack.min(max - *len);
        }
    }
    components
        .iter()
        .zip(&lens)
        .map(|(c, &len)| c.chars().take(len).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(field: &str) -> (Vec<String>, Vec<String>) {
        let n = parse_name(field).unwrap();
        (n.primary().to_vec(), n.secondary().to_vec())
    }

    #[test]
    fn vietnamese_names_lose_their_diacritics() {
        assert_eq!(
            mrz_name("Nguyễn Văn An", 30).unwrap(),
            "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
        );
        assert_eq!(
            mrz_name("Đặng Thị Ánh Tuyết", 30).unwrap(),
            "DANG<<THI<ANH<TUYET<<<<<<<<<<<"
        );
        assert_eq!(
            mrz_name("Trương Ngọc Ưng Hoà", 30).unwrap(),
            "TRUONG<<NGOC<UNG<HOA<<<<<<<<<<"
        );
    }

    #[test]
    fn decomposed_input_reads_like_composed_input() {
        let nfd: String = "Lê Thị Hồng Đào".nfd().collect();
        assert_ne!(nfd, "Lê Thị Hồng Đào");
        assert_eq!(
            mrz_name(&nfd, 30).unwrap(),
            mrz_name("Lê Thị Hồng Đào", 30).unwrap()
        );
        assert_eq!(
            mrz_name(&nfd, 30).unwrap(),
            "LE<<THI<HONG<DAO<<<<<<<<<<<<<<"
        );
    }

    #[test]
    fn case_and_runs_of_spaces_do_not_matter() {
        assert_eq!(
            mrz_name("  Lê   thị  hồng ", 30).unwrap(),
            "LE<<THI<HONG<<<<<<<<<<<<<<<<<<"
        );
        assert_eq!(mrz_name("đỗ\tđức\u{a0}đạt", 12).unwrap(), "DO<<DUC<DAT<");
    }

    #[test]
    fn one_word_is_the_primary_identifier_alone() {
        assert_eq!(
            mrz_name("Hùng", 30).unwrap(),
            "HUNG<<<<<<<<<<<<<<<<<<<<<<<<<<"
        );
        assert_eq!(name("HUNG<<<<<<"), (vec!["HUNG".into()], vec![]));
    }

    #[test]
    fn punctuation_follows_doc_9303_part_3() {
        // Apostrophe dropped and joined; hyphen a filler; comma separates the identifiers.
        assert_eq!(
            mrz_name("O'Connor Enya", 20).unwrap(),
            "OCONNOR<<ENYA<<<<<<<"
        );
        assert_eq!(
            mrz_name("Smith-Jones, Susie Margaret", 39).unwrap(),
            "SMITH<JONES<<SUSIE<MARGARET<<<<<<<<<<<<"
        );
        assert_eq!(
            mrz_name("Công Tằng Tôn Nữ, Thị Hà", 30).unwrap(),
            "CONG<TANG<TON<NU<<THI<HA<<<<<<"
        );
        assert_eq!(mrz_name("Ngô 3 Bảo.", 12).unwrap(), "NGO<<BAO<<<<");
    }

    #[test]
    fn other_latin_letters_use_the_doc_9303_table() {
        assert_eq!(mrz_name("Ærø Strauß", 15).unwrap(), "AEROE<<STRAUSS<");
        assert_eq!(mrz_name("Иван", 10), Err(NameError::Untransliterable('И')));
        assert_eq!(mrz_name("  '- ", 10), Err(NameError::Empty("  '- ".into())));
        assert_eq!(mrz_name("An", 0), Err(NameError::ZeroWidth));
    }

    #[test]
    fn the_icao_examples_are_written_as_doc_9303_writes_them() {
        let n = MrzName::from_identifiers("Eriksson", "Anna María").unwrap();
        assert_eq!(n.field(30), "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
        assert_eq!(n.field(39), "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<");
        let n = MrzName::from_identifiers("Papandropoulous", "Jonathon Alec").unwrap();
        // Doc 9303-5 §4.2.3.3: fits exactly, ends with a letter, not truncated.
        assert_eq!(n.field(30), "PAPANDROPOULOUS<<JONATHON<ALEC");
        assert!(possibly_truncated(&n.field(30)));
    }

    #[test]
    fn long_secondary_identifiers_are_truncated_keeping_the_given_name() {
        let field = mrz_name("Công Tằng Tôn Nữ Thị Phương Thảo Nguyễn Hoàng", 30).unwrap();
        assert_eq!(field, "CONG<<T<T<N<T<P<T<NGUYEN<HOANG");
        assert_eq!(field.len(), 30);
        assert!(possibly_truncated(&field));
        let field = mrz_name("Công Tằng Tôn Nữ Thị Phương Thảo Nguyễn Hoàng", 39).unwrap();
        assert_eq!(field, "CONG<<T<T<N<TH<PHUONG<THAO<NGUYEN<HOANG");
    }

    #[test]
    fn truncation_frees_positions_only_as_needed() {
        let n =
            MrzName::from_identifiers("Nilavadhanananda", "Chayapa Dejthamrong Krasuang").unwrap();
        let field = n.field(30);
        assert_eq!(field, "NILAVADHANANANDA<<C<D<KRASUANG");
        let n = MrzName::from_identifiers("Nilavadhanananda", "Arnpol Petch Charonguang").unwrap();
        assert_eq!(n.field(30), "NILAVADHANANANDA<<A<P<CHARONGU");
        assert_eq!(n.field(31), "NILAVADHANANANDA<<A<P<CHARONGUA");
        assert_eq!(n.field(44), "NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGUANG<<");
    }

    #[test]
    fn a_long_primary_identifier_makes_room_for_one_initial() {
        let n = MrzName::from_identifiers(
            "Bennelong Wooloomooloo Warrandyte Warnambool",
            "Dingo Potoroo",
        )
        .unwrap();
        let field = n.field(30);
        assert_eq!(field, "BENNELONG<WOOLOOMOOLOO<WA<W<<D");
        assert_eq!(field.len(), 30);
        assert_eq!(
            name(&field),
            (
                vec![
                    "BENNELONG".into(),
                    "WOOLOOMOOLOO".into(),
                    "WA".into(),
                    "W".into()
                ],
                vec!["D".into()]
            )
        );
        let n = MrzName::from_full_name("Vuvuvuvuvuvuvuvuvuvuvuvuvuvuvuvu An").unwrap();
        assert_eq!(n.field(30), "VUVUVUVUVUVUVUVUVUVUVUVUVUV<<A");
        // A single identifier longer than the field is cut to the field.
        let n = MrzName::from_full_name("Vuvuvuvuvuvuvuvuvuvuvuvuvuvuvuvu").unwrap();
        assert_eq!(n.field(30), "VUVUVUVUVUVUVUVUVUVUVUVUVUVUVU");
    }

    #[test]
    fn tiny_fields_never_panic_and_keep_their_width() {
        let n = MrzName::from_full_name("Nguyễn Văn An").unwrap();
        for width in 0..40 {
            assert_eq!(n.field(width).len(), width);
        }
        assert_eq!(n.field(3), "NGU");
        assert_eq!(n.field(4), "N<<V");
    }

    #[test]
    fn parse_reads_both_identifiers() {
        assert_eq!(
            name("ERIKSSON<<ANNA<MARIA<<<<<<<<<<"),
            (vec!["ERIKSSON".into()], vec!["ANNA".into(), "MARIA".into()])
        );
        assert_eq!(
            name("VAN<DER<MUELLEN<<MARTIN<<<<<<<"),
            (
                vec!["VAN".into(), "DER".into(), "MUELLEN".into()],
                vec!["MARTIN".into()]
            )
        );
    }

    #[test]
    fn parse_rejects_malformed_fields() {
        for bad in [
            "<<ANNA<<<",
            "<<<<<<",
            "A<<<B<<<",
            "A<<B<<C<<",
            "A<<B<<<<C",
            "ANNa<<",
            "A1<<",
        ] {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
    }
}
