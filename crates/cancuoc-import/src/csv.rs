//! CSV files: UTF-8 with or without a byte order mark, RFC 4180 quoting, comma
//! separated (or semicolon, as spreadsheets in some locales save, or tab).
//!
//! The file is read record by record ([`Records`]): a record's bytes are kept up to
//! [`ROW_BYTES`] and checked as UTF-8 before they are parsed, so a file in another
//! encoding is refused with the line of its first bad byte rather than imported with
//! replacement characters, and memory stays that of one record. The parser is our own:
//! the `csv` crate ends an unterminated quoted cell silently at the end of the input,
//! which would import the rest of the file as one cell instead of reporting the missing
//! quote.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use crate::limits::{COLUMNS, ROW_BYTES, ROWS};
use crate::table::{Header, Rows};
use crate::{FileError, FormFile, Sink, count, finish};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Cells kept of one record: one past [`COLUMNS`], so that a wider row is seen as one
/// and rejected, while its further cells are scanned over and never stored.
fn cells_kept() -> usize {
    usize::try_from(COLUMNS.value)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// Reads a whole CSV import file from a reader.
pub fn read_csv<R: Read>(reader: R) -> Result<FormFile, FileError> {
    FormFile::collect(|sink| finish(read_csv_rows(std::io::BufReader::new(reader), sink)))
}

/// Parses the bytes of a CSV import file.
pub fn parse_csv(bytes: &[u8]) -> Result<FormFile, FileError> {
    FormFile::collect(|sink| finish(read_csv_rows(bytes, sink)))
}

/// Line breaks in a file, plus one: at least as many as its records. Read in blocks.
pub(crate) fn lines<R: Read>(mut reader: R) -> Result<usize, FileError> {
    let mut block = vec![0u8; 1 << 16];
    let mut lines = 1usize;
    loop {
        let n = reader.read(&mut block).map_err(FileError::Read)?;
        if n == 0 {
            return Ok(lines);
        }
        let read = block.get(..n).unwrap_or_default();
        lines = lines.saturating_add(read.iter().filter(|&&b| b == b'\n').count());
    }
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

/// Reads the bytes of a CSV file into a [`Table`], with the encoding, quoting and size
/// checks of [`parse_csv`].
pub fn parse_csv_table(bytes: &[u8]) -> Result<Table, FileError> {
    let mut records = Records::open(bytes)?;
    let mut buffer = Vec::new();
    let mut table = Table::default();
    let mut row = 0;
    while let Some(record) = records.next(&mut buffer)? {
        row += 1;
        if record.too_long {
            return Err(FileError::limit(ROW_BYTES, format!(" (row {row})")));
        }
        let (cells, dropped_value) = records.cells(&record, &buffer)?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let width = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |last| last + 1);
        if count(width) > COLUMNS.value || dropped_value {
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

/// Reads a CSV import file row by row into `sink`.
pub(crate) fn read_csv_rows<R: BufRead>(reader: R, sink: Sink<'_>) -> Result<(), FileError> {
    let mut records = Records::open(reader)?;
    let mut buffer = Vec::with_capacity(1 << 12);
    let mut row = 0;
    // The header is the first row with a value; blank rows before it still count.
    let header = loop {
        let Some(record) = records.next(&mut buffer)? else {
            return Err(FileError::Empty);
        };
        row += 1;
        if record.too_long {
            return Err(FileError::limit(ROW_BYTES, " (the header row)".into()));
        }
        let (cells, dropped_value) = records.cells(&record, &buffer)?;
        if cells.iter().any(|c| !c.trim().is_empty()) {
            if dropped_value {
                return Err(FileError::limit(COLUMNS, " (the header row)".into()));
            }
            break Header::parse(cells.iter().map(|c| c.as_ref()))?;
        }
    };
    let mut rows = Rows::new(header, sink);
    while let Some(record) = records.next(&mut buffer)? {
        row += 1;
        if record.too_long {
            rows.too_long();
            rows.end_row(row, None)?;
            continue;
        }
        let (cells, dropped_value) = records.cells(&record, &buffer)?;
        for (position, cell) in cells.iter().enumerate() {
            rows.cell(position, cell);
        }
        if dropped_value {
            rows.value_past_columns();
        }
        rows.end_row(row, Some(cells.len()))?;
    }
    Ok(())
}

/// UTF-16 without a byte order mark: the first two bytes are an ASCII character and a
/// zero byte, in either order. Neither can start a UTF-8 import file.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    match bytes {
        [0, b, ..] | [b, 0, ..] => *b != 0 && b.is_ascii(),
        _ => false,
    }
}

/// Comma, unless the first line has semicolons (or tabs) and no comma.
fn separator(start: &[u8]) -> u8 {
    let first_line = start.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line.contains(&b',') {
        b','
    } else if first_line.contains(&b';') {
        b';'
    } else if first_line.contains(&b'\t') {
        b'\t'
    } else {
        b','
    }
}

/// Where a record was found in the file.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// 1-based line it starts on.
    line: usize,
    /// Offset of its first byte in the file.
    offset: u64,
    /// It ran past [`ROW_BYTES`]: only its first bytes are in the buffer.
    too_long: bool,
}

/// Where the record scan stands, with the parser's idea of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    CellStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted cell: a second one is a literal quote, anything else
    /// closes the cell.
    QuoteSeen,
}

/// A CSV file cut into records, one at a time: a line break ends a record unless it
/// lies inside a quoted cell. The record's bytes go to a buffer, up to [`ROW_BYTES`].
struct Records<R> {
    reader: R,
    separator: u8,
    /// The byte order mark's length: columns of line 1 count it.
    bom: usize,
    line: usize,
    offset: u64,
    /// The last record ended with `\r`: a `\n` right after belongs to that break.
    after_cr: bool,
}

impl<R: BufRead> Records<R> {
    /// Checks the start of the file: not UTF-16, a byte order mark skipped, and the
    /// separator, from the first line.
    fn open(mut reader: R) -> Result<Self, FileError> {
        let start = reader.fill_buf().map_err(FileError::Read)?;
        if start.starts_with(b"\xFF\xFE")
            || start.starts_with(b"\xFE\xFF")
            || looks_like_utf16(start)
        {
            return Err(FileError::Utf16);
        }
        let bom = if start.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        let separator = separator(start.get(bom..).unwrap_or_default());
        reader.consume(bom);
        Ok(Self {
            reader,
            separator,
            bom,
            line: 1,
            offset: count(bom),
            after_cr: false,
        })
    }

    /// Reads the next record into `buffer`; `None` at the end of the input. A final line
    /// break does not start another record.
    fn next(&mut self, buffer: &mut Vec<u8>) -> Result<Option<Record>, FileError> {
        buffer.clear();
        let most = usize::try_from(ROW_BYTES.value).unwrap_or(usize::MAX);
        let mut record = Record {
            line: self.line,
            offset: self.offset,
            too_long: false,
        };
        let mut state = Quoting::CellStart;
        let mut quote_line = self.line;
        let mut any = false;
        loop {
            let available = self.reader.fill_buf().map_err(FileError::Read)?;
            if available.is_empty() {
                if state == Quoting::Quoted {
                    return Err(FileError::UnterminatedQuote { line: quote_line });
                }
                return Ok(any.then_some(record));
            }
            if std::mem::take(&mut self.after_cr) && available.first() == Some(&b'\n') {
                self.reader.consume(1);
                self.offset += 1;
                record.offset += 1;
                continue;
            }
            any = true;
            let mut used = available.len();
            let mut kept = available.len();
            let mut ended = false;
            for (i, &b) in available.iter().enumerate() {
                state = match (state, b) {
                    (Quoting::Quoted, b'"') => Quoting::QuoteSeen,
                    (Quoting::Quoted, b'\n') => {
                        self.line += 1;
                        Quoting::Quoted
                    }
                    (Quoting::Quoted, _) => Quoting::Quoted,
                    (Quoting::QuoteSeen, b'"') => Quoting::Quoted,
                    (_, b'\n' | b'\r') => {
                        self.line += 1;
                        kept = i;
                        used = i + 1;
                        if b == b'\r' {
                            match available.get(i + 1) {
                                Some(b'\n') => used += 1,
                                Some(_) => {}
                                None => self.after_cr = true,
                            }
                        }
                        ended = true;
                        break;
                    }
                    (_, b) if b == self.separator => Quoting::CellStart,
                    (Quoting::CellStart, b'"') => {
                        quote_line = self.line;
                        Quoting::Quoted
                    }
                    _ => Quoting::Unquoted,
                };
            }
            let room = most.saturating_sub(buffer.len());
            if kept > room {
                record.too_long = true;
            }
            buffer.extend_from_slice(available.get(..kept.min(room)).unwrap_or_default());
            self.reader.consume(used);
            self.offset += count(used);
            if ended {
                return Ok(Some(record));
            }
        }
    }

    /// The cells of a record read by [`Records::next`], checked as UTF-8, and whether a
    /// value lay past the cells kept.
    fn cells<'b>(
        &self,
        record: &Record,
        buffer: &'b [u8],
    ) -> Result<(Vec<Cow<'b, str>>, bool), FileError> {
        let text = std::str::from_utf8(buffer)
            .map_err(|e| self.not_utf8(record, buffer, e.valid_up_to()))?;
        let mut parser = Parser::new(text, self.separator);
        parser.line = record.line;
        let mut cells = Vec::with_capacity(32);
        parser.next_record(&mut cells)?;
        Ok((cells, parser.dropped_value))
    }

    fn not_utf8(&self, record: &Record, buffer: &[u8], at: usize) -> FileError {
        let before = buffer.get(..at).unwrap_or_default();
        let breaks = before.iter().filter(|&&b| b == b'\n').count();
        let line = record.line + breaks;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let bom = if line == 1 { self.bom } else { 0 };
        FileError::NotUtf8 {
            line,
            column: at - line_start + 1 + bom,
            offset: usize::try_from(record.offset)
                .unwrap_or(usize::MAX)
                .saturating_add(at),
            byte: buffer.get(at).copied().unwrap_or(0),
        }
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
        assert_eq!(separator(b"a,b;c\n"), b',');
        assert_eq!(separator(b"a;b;c\n1,5;2"), b';');
        assert_eq!(separator(b"a\tb\n"), b'\t');
        assert_eq!(separator(b"a\n"), b',');
    }

    fn first_error(bytes: &[u8]) -> FileError {
        let mut records = Records::open(bytes).unwrap();
        let mut buffer = Vec::new();
        loop {
            let record = records
                .next(&mut buffer)
                .unwrap()
                .expect("an error before the end");
            if let Err(e) = records.cells(&record, &buffer) {
                return e;
            }
        }
    }

    #[test]
    fn locates_the_first_invalid_byte() {
        let err = first_error(b"ab\ncd\xD2e");
        assert!(
            matches!(
                err,
                FileError::NotUtf8 {
                    line: 2,
                    column: 3,
                    offset: 5,
                    byte: 0xD2
                }
            ),
            "{err:?}"
        );
        // Inside a quoted cell over two lines, after a byte order mark.
        let err = first_error(b"\xEF\xBB\xBFa\r\n\"x\ny\xD2\"");
        assert!(
            matches!(
                err,
                FileError::NotUtf8 {
                    line: 3,
                    column: 2,
                    offset: 10,
                    byte: 0xD2
                }
            ),
            "{err:?}"
        );
    }

    /// Records as the scanner cuts them, whatever the line breaks and quoting.
    #[test]
    fn cuts_records_at_line_breaks_outside_quotes() {
        let mut records = Records::open(&b"a,\"b\r\nc\"\r\nd\re\n\nf"[..]).unwrap();
        let mut buffer = Vec::new();
        let mut cut = Vec::new();
        while let Some(r) = records.next(&mut buffer).unwrap() {
            cut.push((r.line, String::from_utf8(buffer.clone()).unwrap()));
        }
        assert_eq!(
            cut,
            [
                (1, "a,\"b\r\nc\"".to_owned()),
                (3, "d".to_owned()),
                (4, "e".to_owned()),
                (5, String::new()),
                (6, "f".to_owned())
            ]
        );
    }
}
