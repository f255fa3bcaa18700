//! Lines of a zone as read from outside: trimmed, counted, measured and checked for the
//! character set before any field is looked at; and the collector that gathers every
//! failing field, so that `check` can list them all and `parse` can stop at the first.

use crate::check::{digit_of, is_mrz_char};
use crate::error::{Field, MrzError};

/// The lines that hold text, each without trailing whitespace (so CRLF input and padded
/// copies read the same). Blank lines, wherever they are, are not part of a zone.
pub(crate) fn normalize<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines
        .iter()
        .map(|line| line.trim_end())
        .filter(|line| !line.is_empty())
        .collect()
}

/// One line of a zone, known to be `width` characters of the MRZ set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    pub(crate) number: usize,
    text: &'a str,
}

impl<'a> Line<'a> {
    /// Positions `from` to `to`, 1-based and inclusive, as Doc 9303's data structure tables
    /// number them. The line is ASCII of known width, so the range is always inside it.
    pub(crate) fn get(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from.saturating_sub(1)..to).unwrap_or("")
    }

    /// The character at 1-based position `at`.
    pub(crate) fn at(&self, at: usize) -> char {
        self.get(at, at).chars().next().unwrap_or('<')
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }
}

/// Checks that the normalized lines are `N` lines of `width` MRZ characters.
pub(crate) fn shape<'a, const N: usize>(
    lines: &[&'a str],
    width: usize,
) -> Result<[Line<'a>; N], MrzError> {
    let lines = normalize(lines);
    let found = lines.len();
    let count = MrzError::LineCount { expected: N, found };
    if found != N {
        return Err(count);
    }
    let measured = lines
        .into_iter()
        .enumerate()
        .map(|(index, text)| measure(index + 1, text, width))
        .collect::<Result<Vec<_>, _>>()?;
    measured.try_into().map_err(|_| count)
}

pub(crate) fn measure(number: usize, text: &str, width: usize) -> Result<Line<'_>, MrzError> {
    let found = text.chars().count();
    if found != width {
        return Err(MrzError::LineLength {
            line: number,
            expected: width,
            found,
        });
    }
    if let Some((index, c)) = text.chars().enumerate().find(|(_, c)| !is_mrz_char(*c)) {
        return Err(MrzError::Character {
            line: number,
            position: index + 1,
            found: c,
        });
    }
    Ok(Line { number, text })
}

/// Every failing field of one zone, the first one first. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problems {
    pub(crate) first: MrzError,
    pub(crate) rest: Vec<MrzError>,
}

impl Problems {
    pub(crate) fn into_vec(self) -> Vec<MrzError> {
        let mut all = Vec::with_capacity(1 + self.rest.len());
        all.push(self.first);
        all.extend(self.rest);
        all
    }
}

/// Gathers failures while a reader goes on to the next field with a stand-in value.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    errors: Vec<MrzError>,
}

impl Collector {
    pub(crate) fn push(&mut self, error: MrzError) {
        self.errors.push(error);
    }

    /// The value, or `fallback` after noting the error.
    pub(crate) fn or<T>(&mut self, result: Result<T, MrzError>, fallback: T) -> T {
        result.unwrap_or_else(|error| {
            self.push(error);
            fallback
        })
    }

    /// Notes a failure unless the check digit at `at` on `line` is that of `data`.
    pub(crate) fn check_digit(&mut self, line: &Line<'_>, at: usize, field: Field, data: &str) {
        let expected = digit_of(data);
        let found = line.at(at);
        if found != expected {
            self.push(MrzError::CheckDigit {
                line: line.number,
                field,
                found,
                expected,
            });
        }
    }

    /// Notes a failure unless positions `from`..=`to` hold exactly `expected_text`.
    pub(crate) fn literal(
        &mut self,
        line: &Line<'_>,
        (from, to): (usize, usize),
        field: Field,
        expected_text: &'static str,
        expected: &'static str,
    ) {
        let found = line.get(from, to);
        if found != expected_text {
            self.push(MrzError::Field {
                line: line.number,
                field,
                found: found.to_owned(),
                expected,
            });
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Problems> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(value),
            Some(first) => Err(Problems {
                first,
                rest: errors.collect(),
            }),
        }
    }
}

/// Pads `text` with fillers to `width` (Doc 9303-3 §4.10: unused positions hold `<`).
pub(crate) fn pad(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(width);
    out.push_str(text);
    while out.len() < width {
        out.push('<');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_whitespace_and_blank_lines_are_dropped() {
        assert_eq!(normalize(&["AB  \r", "", "  ", "CD\t"]), vec!["AB", "CD"]);
    }

    #[test]
    fn shape_names_the_failing_line() {
        assert_eq!(
            shape::<2>(&["<<<", "<<"], 3).unwrap_err(),
            MrzError::LineLength {
                line: 2,
                expected: 3,
                found: 2
            }
        );
        assert_eq!(
            shape::<1>(&["<a<"], 3).unwrap_err(),
            MrzError::Character {
                line: 1,
                position: 2,
                found: 'a'
            }
        );
        assert_eq!(
            shape::<2>(&["<<<"], 3).unwrap_err(),
            MrzError::LineCount {
                expected: 2,
                found: 1
            }
        );
    }

    #[test]
    fn positions_are_one_based_and_inclusive() {
        let line = measure(1, "ABCDE", 5).unwrap();
        assert_eq!(line.get(2, 4), "BCD");
        assert_eq!(line.at(5), 'E');
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert_eq!(
            measure(1, "ÀB", 2).unwrap_err(),
            MrzError::Character {
                line: 1,
                position: 1,
                found: 'À'
            }
        );
    }
}
