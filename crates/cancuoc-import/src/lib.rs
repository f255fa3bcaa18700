//! Reading collection-form import files (CSV, XLSX) into raw rows (DESIGN §6 "Import file").
//!
//! A file is read row by row into a [`Sink`]: one [`ReadRow`] per data row, either a
//! [`RawForm`] or a row that could not even be read (a cell too long, a value under no
//! header, an Excel error or formula), with its row number as a person sees it in a
//! spreadsheet. Nothing is kept from one row to the next, so memory does not grow with
//! the file ([`FormReader`]); [`FormFile`] collects a small file whole. Problems of the
//! whole file (not UTF-8, a bad header, an unterminated quote) are a [`FileError`], which
//! may come after rows were handed on: the caller applies nothing then.
//!
//! This crate only reads. What a row means is decided by
//! [`cancuoc_domain::form::validate`]; storing it is the application's job. There is
//! no database here and no clock.

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use cancuoc_domain::form::{Column, RawForm, Rejection};
use thiserror::Error;

mod csv;
pub mod limits;
mod table;
mod xlsx;

pub use crate::csv::{Table, parse_csv, parse_csv_table, read_csv};
pub use crate::limits::Limit;
pub use crate::xlsx::read_xlsx;

/// One row of an import file as it is read.
// Rows pass one at a time, by value: boxing the large variant would allocate per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadRow {
    /// A row whose cells were read, to be validated.
    Form(RawForm),
    /// A row that could not be read, with every reason.
    Unreadable { row: usize, reasons: Vec<Rejection> },
}

/// Where a reader hands each row; `Break` stops the reading (the reader then returns
/// `Ok`).
pub type Sink<'s> = &'s mut dyn FnMut(ReadRow) -> ControlFlow<()>;

/// A count as the limits compare it.
pub(crate) fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The rows of an import file, collected whole: for small files and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FormFile {
    /// Rows read, in file order, to be validated.
    pub rows: Vec<RawForm>,
    /// Rows that could not be read, by row number; a row may have several entries.
    pub row_errors: Vec<(usize, Rejection)>,
}

impl FormFile {
    /// Collects what `read` hands to its sink.
    pub(crate) fn collect(
        read: impl FnOnce(Sink<'_>) -> Result<(), FileError>,
    ) -> Result<Self, FileError> {
        let mut file = Self::default();
        read(&mut |row| {
            match row {
                ReadRow::Form(form) => file.rows.push(form),
                ReadRow::Unreadable { row, reasons } => file
                    .row_errors
                    .extend(reasons.into_iter().map(|r| (row, r))),
            }
            ControlFlow::Continue(())
        })?;
        Ok(file)
    }
}

/// A problem with the whole file: nothing in it is imported.
#[derive(Debug, Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read the file: {0}")]
    Read(#[source] io::Error),
    #[error(
        "unsupported file type {0:?}: import a .xlsx workbook or a .csv file saved as \"CSV UTF-8\""
    )]
    UnsupportedFormat(String),
    #[error("the file is UTF-16 text, not UTF-8: save the file as \"CSV UTF-8\" and try again")]
    Utf16,
    #[error(
        "the file is not UTF-8 text: byte 0x{byte:02X} on line {line} (byte {column} of the line) \
         is not valid UTF-8, perhaps Windows-1258 or TCVN3; save the file as \"CSV UTF-8\" and try again"
    )]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based byte position within that line.
        column: usize,
        /// 0-based offset in the file.
        offset: usize,
        byte: u8,
    },
    #[error("the file is empty")]
    Empty,
    #[error("{0}")]
    Header(HeaderProblems),
    #[error(
        "malformed CSV: the quoted cell that starts on line {line} is never closed (a \" is missing)"
    )]
    UnterminatedQuote { line: usize },
    #[error("not a readable XLSX workbook: {0}")]
    Workbook(String),
    /// The sink stopped the reading; readers turn it into `Ok` before returning.
    #[error("reading stopped")]
    Stopped,
    /// The file breaks one of [`limits`]; reading stopped there.
    #[error("the file is too large to import ({}): more than {} {}{}", .limit.code, .limit.value, .limit.what, .at)]
    Limit {
        limit: Limit,
        /// Where it was found, as " (row 7)" or " (xl/sharedStrings.xml)"; may be empty.
        at: String,
    },
}

impl FileError {
    /// The stable code an API answers with: the limit's own, or `invalid_file`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Limit { limit, .. } => limit.code,
            _ => "invalid_file",
        }
    }

    pub(crate) fn limit(limit: Limit, at: String) -> Self {
        Self::Limit { limit, at }
    }
}

/// Everything wrong with a header, reported together so that one edit fixes the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderProblems {
    /// Headers that name no column. A typo must not silently drop a column of data.
    pub unknown: Vec<UnknownColumn>,
    pub duplicated: Vec<DuplicatedColumn>,
    /// Required columns that are absent ([`Column::REQUIRED`]).
    pub missing: Vec<Column>,
    /// Neither `thuong_tru_ma_xa` nor `noi_o_hien_tai_ma_xa` is present.
    pub missing_residence: bool,
}

impl HeaderProblems {
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty()
            && self.duplicated.is_empty()
            && self.missing.is_empty()
            && !self.missing_residence
    }
}

/// A header cell that names no column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumn {
    /// 1-based position (1 = column A).
    pub position: usize,
    pub header: String,
}

/// A column named twice in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicatedColumn {
    pub column: Column,
    /// 1-based positions of the first and the repeated header.
    pub first: usize,
    pub second: usize,
}

impl fmt::Display for HeaderProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            let list: Vec<String> = self
                .unknown
                .iter()
                .map(|u| {
                    let shown: String = u.header.chars().take(40).collect();
                    format!("{} {shown:?}", column_letter(u.position))
                })
                .collect();
            parts.push(format!(
                "unknown column header{} {} (check the spelling against the template)",
                plural(list.len()),
                list.join(", ")
            ));
        }
        for d in &self.duplicated {
            parts.push(format!(
                "column {} appears twice, in columns {} and {}",
                d.column,
                column_letter(d.first),
                column_letter(d.second)
            ));
        }
        if !self.missing.is_empty() || self.missing_residence {
            let mut list: Vec<String> = self.missing.iter().map(|c| c.to_string()).collect();
            if self.missing_residence {
                list.push("thuong_tru_ma_xa or noi_o_hien_tai_ma_xa".to_owned());
            }
            parts.push(format!(
                "missing required column{}: {}",
                plural(list.len()),
                list.join(", ")
            ));
        }
        write!(f, "bad header row: {}", parts.join("; "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The spreadsheet letter of a 1-based column position: 1 → A, 27 → AA.
pub fn column_letter(position: usize) -> String {
    let mut n = position;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// The formats an import file may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// By the file's extension: `.csv` or `.xlsx`.
    pub fn of_path(path: &Path) -> Result<Self, FileError> {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            _ => Err(FileError::UnsupportedFormat(format!(".{extension}"))),
        }
    }
}

/// An import file on disk, opened and measured, to be read row by row: memory stays
/// that of one row (and, for XLSX, of the shared strings, which are bounded).
#[derive(Debug)]
pub struct FormReader {
    path: PathBuf,
    format: Format,
    rows_at_most: usize,
}

impl FormReader {
    /// Opens a file of the format its extension names.
    pub fn open(path: &Path) -> Result<Self, FileError> {
        Self::open_as(path, Format::of_path(path)?)
    }

    /// Opens a file of a known format (an upload kept under a temporary name). An XLSX
    /// workbook is measured against the limits here, and the header of either format is
    /// read, so that a file whose whole is wrong is refused before anything is begun.
    pub fn open_as(path: &Path, format: Format) -> Result<Self, FileError> {
        let file = open_file(path)?;
        let most = usize::try_from(limits::ROWS.value).unwrap_or(usize::MAX);
        let rows_at_most = match format {
            Format::Csv => csv::lines(file)?,
            Format::Xlsx => xlsx::rows_at_most(io::BufReader::new(file))?,
        }
        .min(most);
        let reader = Self {
            path: path.to_owned(),
            format,
            rows_at_most,
        };
        // Up to the first row after the header.
        reader.read(&mut |_| ControlFlow::Break(()))?;
        Ok(reader)
    }

    /// At most how many rows the file holds (its lines, or the last row its sheet names);
    /// a hint for the store, not a promise.
    pub fn rows_at_most(&self) -> usize {
        self.rows_at_most
    }

    /// Reads every row into `sink`, in file order. A workbook was measured when it was
    /// opened and is not measured again.
    pub fn read(&self, sink: Sink<'_>) -> Result<(), FileError> {
        let file = open_file(&self.path)?;
        let read = match self.format {
            Format::Csv => csv::read_csv_rows(io::BufReader::with_capacity(1 << 16, file), sink),
            Format::Xlsx => xlsx::read_measured_xlsx_rows(io::BufReader::new(file), sink),
        };
        finish(read)
    }
}

fn open_file(path: &Path) -> Result<std::fs::File, FileError> {
    std::fs::File::open(path).map_err(|source| FileError::Unreadable {
        path: path.to_owned(),
        source,
    })
}

/// A sink's stop is no error of the file.
pub(crate) fn finish(read: Result<(), FileError>) -> Result<(), FileError> {
    match read {
        Err(FileError::Stopped) => Ok(()),
        other => other,
    }
}

/// Reads a whole import file, choosing the format by extension: `.csv` or `.xlsx`.
pub fn read_forms(path: &Path) -> Result<FormFile, FileError> {
    let reader = FormReader::open(path)?;
    FormFile::collect(|sink| reader.read(sink))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(1), "A");
        assert_eq!(column_letter(26), "Z");
        assert_eq!(column_letter(27), "AA");
        assert_eq!(column_letter(28), "AB");
        assert_eq!(column_letter(702), "ZZ");
        assert_eq!(column_letter(703), "AAA");
    }
}
