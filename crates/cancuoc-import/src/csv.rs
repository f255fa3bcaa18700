//! CSV files: UTF-8 with or without a byte order mark, RFC 4180 quoting, comma
//! separated (or semicolon, as spreadsheets in some locales save, or tab).
//!
//! The file is read whole and checked as UTF-8 before parsing, so a file in another
//! encoding is refused with the line of its first bad byte rather than imported with
//! replacement characters. The parser is our own: the `csv` crate ends an unterminated
//! quoted cell silently at the end of the input, which would import the rest of the
//! file as one cell instead of reporting the missing quote.

use std::borrow::Cow;
use std::io::Read;

use crate::limits::{COLUMNS, ROWS};
use crate::table::{Header, Rows};
use crate::{FileError, FormFile, count};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Rows reserved ahead from the line count; more grow the vector as they come.
const ROWS_RESERVED: usize = 1 << 17;

/// Cells kept of one record: one past [`COLUMNS`], so that a wider row is seen as one
/// and rejected, while its further cells are scanned over and never stored.
fn cells_kept() -> usize {
    usize::try_from(COLUMNS.value)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// Reads a CSV import file from a reader (the whole input is read first).
pub fn read_csv<R: Read>(mut reader: R) -> Result<FormFile, FileError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(FileError::Read)?;
    parse_csv(&bytes)
}

/// The text of a CSV file: UTF-8 (a byte order mark dropped), not empty.
fn text_of(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || looks_like_utf16(bytes) {
        return Err(FileError::Utf16);
    }
    let (bom, body) = match bytes.strip_prefix(UTF8_BOM) {
        Some(body) => (UTF8_BOM.len(), body),
        None => (0, bytes),
    };
    let text = std::str::from_utf8(body).map_err(|e| not_utf8(body, e.valid_up_to(), bom))?;
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    Ok(text)
}

/// A CSV file of any columns, as text: the header cells (trimmed) and each non-blank
/// row with its row number as a spreadsheet shows it. Other imports than the collection
/// forms (applications from offline stations) read their files this way and give the
/// columns their meaning themselves.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads the bytes of a CSV file into a [`Table`], with the encoding and quoting checks
/// of [`parse_csv`].
pub fn parse_csv_table(bytes: &[u8]) -> Result<Table, FileError> {
    let text = text_of(bytes)?;
    let mut parser = Parser::new(text, separator(text));
    let mut cells: Vec<Cow<'_, str>> = Vec::new();
    let mut table = Table::default();
    let mut row = 0;
    while parser.next_record(&mut cells)? {
        row += 1;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let width = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |last| last + 1);
        if count(width) > COLUMNS.value || parser.dropped_value {
            return Err(FileError::limit(COLUMNS, format!(" (row {row})")));
        }
        if count(table.rows.len()) >= ROWS.value {
            return Err(FileError::limit(ROWS, format!(" (row {row})")));
        }
        let values: Vec<String> = cells.iter().map(|c| c.trim().to_owned()).collect();
        if table.header.is_empty() {
            table.header = values;
        } else {
            table.rows.push((row, values));
        }
    }
    if table.header.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(table)
}

/// Parses the bytes of a CSV import file.
pub fn parse_csv(bytes: &[u8]) -> Result<FormFile, FileError> {
    let text = text_of(bytes)?;
    let mut parser = Parser::new(text, separator(text));
    let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(32);
    let mut row = 0;
    // The header is the first row with a value; blank rows before it still count.
    let header = loop {
        if !parser.next_record(&mut cells)? {
            return Err(FileError::Empty);
        }
        row += 1;
        if cells.iter().any(|c| !c.trim().is_empty()) {
            if parser.dropped_value {
                return Err(FileError::limit(COLUMNS, " (the header row)".into()));
            }
            break Header::parse(cells.iter().map(|c| c.as_ref()))?;
        }
    };
    // One row per line is a good guess, and saves growing a vector of a million rows;
    // capped, since blank lines cost nothing to send and a row's room is not small.
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    let mut rows = Rows::new(header, lines.min(ROWS_RESERVED));
    while parser.next_record(&mut cells)? {
        row += 1;
        for (position, cell) in cells.iter().enumerate() {
            rows.cell(position, cell);
        }
        if parser.dropped_value {
            rows.value_past_columns();
        }
        rows.end_row(row, Some(cells.len()))?;
    }
    Ok(rows.finish())
}

/// UTF-16 without a byte order mark: the first two bytes are an ASCII character and a
/// zero byte, in either order. Neither can start a UTF-8 import file.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    match bytes {
        [0, b, ..] | [b, 0, ..] => *b != 0 && b.is_ascii(),
        _ => false,
    }
}

fn not_utf8(body: &[u8], offset: usize, bom: usize) -> FileError {
    let before = body.get(..offset).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = offset - line_start + 1 + if line == 1 { bom } else { 0 };
    FileError::NotUtf8 {
        line,
        column,
        offset: offset + bom,
        byte: body.get(offset).copied().unwrap_or(0),
    }
}

/// Comma, unless the first line has semicolons (or tabs) and no comma.
fn separator(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.contains(',') {
        b','
    } else if first_line.contains(';') {
        b';'
    } else if first_line.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Separator,
    Line,
    Input,
}

/// An RFC 4180 reader over text already checked as UTF-8. Separators, quotes and line
/// breaks are ASCII, so every cut falls on a character boundary.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// 1-based line of `pos`, for error messages.
    line: usize,
    separator: u8,
    /// The last record had a value among the cells past [`cells_kept`], which are not kept.
    dropped_value: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, separator: u8) -> Self {
        Self {
            text,
            pos: 0,
            line: 1,
            separator,
            dropped_value: false,
        }
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    /// Reads the next record into `cells`; false at the end of the input. A final line
    /// break does not start another record.
    fn next_record(&mut self, cells: &mut Vec<Cow<'a, str>>) -> Result<bool, FileError> {
        cells.clear();
        self.dropped_value = false;
        if self.pos >= self.text.len() {
            return Ok(false);
        }
        let kept = cells_kept();
        loop {
            let (cell, end) = self.cell()?;
            if cells.len() < kept {
                cells.push(cell);
            } else if !cell.trim().is_empty() {
                self.dropped_value = true;
            }
            if end != End::Separator {
                return Ok(true);
            }
        }
    }

    fn cell(&mut self) -> Result<(Cow<'a, str>, End), FileError> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            let (to, end) = self.unquoted_end(self.pos);
            let cell = self.slice(self.pos, to);
            self.finish_cell(to, end);
            return Ok((Cow::Borrowed(cell), end));
        }
        let opened_on = self.line;
        let mut owned: Option<String> = None;
        let mut segment = self.pos + 1;
        let mut i = segment;
        loop {
            match bytes.get(i) {
                None => return Err(FileError::UnterminatedQuote { line: opened_on }),
                Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                    // A doubled quote stands for one quote.
                    owned
                        .get_or_insert_with(String::new)
                        .push_str(self.slice(segment, i + 1));
                    i += 2;
                    segment = i;
                }
                Some(b'"') => {
                    let mut cell = match owned {
                        Some(mut s) => {
                            s.push_str(self.slice(segment, i));
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(self.slice(segment, i)),
                    };
                    // Text after the closing quote is kept, as spreadsheets do.
                    let after = i + 1;
                    let (to, end) = self.unquoted_end(after);
                    if to > after {
                        cell.to_mut().push_str(self.slice(after, to));
                    }
                    self.finish_cell(to, end);
                    return Ok((cell, end));
                }
                Some(b'\n') => {
                    self.line += 1;
                    i += 1;
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Where an unquoted stretch starting at `from` ends, and how.
    fn unquoted_end(&self, from: usize) -> (usize, End) {
        let bytes = self.text.as_bytes();
        let sep = self.separator;
        let rest = bytes.get(from..).unwrap_or_default();
        match rest
            .iter()
            .position(|&b| b == sep || b == b'\n' || b == b'\r')
        {
            Some(n) => {
                let at = from + n;
                let end = if bytes.get(at) == Some(&sep) {
                    End::Separator
                } else {
                    End::Line
                };
                (at, end)
            }
            None => (bytes.len(), End::Input),
        }
    }

    /// Moves past the cell's end: the separator, or a line break (`\n`, `\r\n`, `\r`).
    fn finish_cell(&mut self, to: usize, end: End) {
        let bytes = self.text.as_bytes();
        self.pos = match end {
            End::Separator => to + 1,
            End::Input => to,
            End::Line => {
                self.line += 1;
                if bytes.get(to) == Some(&b'\r') && bytes.get(to + 1) == Some(&b'\n') {
                    to + 2
                } else {
                    to + 1
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, sep: u8) -> Result<Vec<Vec<String>>, FileError> {
        let mut parser = Parser::new(text, sep);
        let mut cells = Vec::new();
        let mut out = Vec::new();
        while parser.next_record(&mut cells)? {
            out.push(cells.iter().map(|c| c.to_string()).collect());
        }
        Ok(out)
    }

    #[test]
    fn a_table_keeps_any_columns_and_skips_blank_rows() {
        let table = parse_csv_table(b"\xEF\xBB\xBFa, b\n\n1,\"x, y\"\n,\n2,z\n").unwrap();
        assert_eq!(table.header, ["a", "b"]);
        assert_eq!(
            table.rows,
            vec![
                (3, vec!["1".to_owned(), "x, y".to_owned()]),
                (5, vec!["2".to_owned(), "z".to_owned()])
            ]
        );
        assert!(matches!(
            parse_csv_table(b"a,\"b\n"),
            Err(FileError::UnterminatedQuote { .. })
        ));
        assert!(matches!(parse_csv_table(b" \n"), Err(FileError::Empty)));
    }

    #[test]
    fn parses_rfc4180() {
        let r = records("a,b,c\r\n1,\"x, \"\"y\"\"\",\n\"multi\nline\",2,3", b',').unwrap();
        assert_eq!(
            r,
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, \"y\"", ""],
                vec!["multi\nline", "2", "3"]
            ]
        );
        assert_eq!(
            records("a\n\nb\n", b',').unwrap(),
            vec![vec!["a"], vec![""], vec!["b"]]
        );
        assert_eq!(
            records("a;b\rc;d", b';').unwrap(),
            vec![vec!["a", "b"], vec!["c", "d"]]
        );
        assert_eq!(
            records("\"ab\"cd,e", b',').unwrap(),
            vec![vec!["abcd", "e"]]
        );
        assert_eq!(records("", b',').unwrap(), Vec::<Vec<String>>::new());
        assert_eq!(records("a,", b',').unwrap(), vec![vec!["a", ""]]);
    }

    #[test]
    fn reports_the_line_of_an_unterminated_quote() {
        let err = records("a,b\n1,2\n3,\"x\ny\n5,6\n", b',').unwrap_err();
        assert!(
            matches!(err, FileError::UnterminatedQuote { line: 3 }),
            "{err:?}"
        );
        let err = records("\"", b',').unwrap_err();
        assert!(matches!(err, FileError::UnterminatedQuote { line: 1 }));
    }

    #[test]
    fn picks_the_separator_from_the_first_line() {
        assert_eq!(separator("a,b;c\n"), b',');
        assert_eq!(separator("a;b;c\n1,5;2"), b';');
        assert_eq!(separator("a\tb\n"), b'\t');
        assert_eq!(separator("a\n"), b',');
    }

    #[test]
    fn locates_the_first_invalid_byte() {
        let body = b"ab\ncd\xD2e";
        let err = not_utf8(body, 5, 0);
        assert!(matches!(
            err,
            FileError::NotUtf8 {
                line: 2,
                column: 3,
                offset: 5,
                byte: 0xD2
            }
        ));
    }
}
