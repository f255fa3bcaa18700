//! What CSV and XLSX have in common once cells are text: the header, and rows of
//! cells placed under it.

use cancuoc_domain::form::{Column, RawForm, Rejection};

use crate::limits::{CELL_CHARS, COLUMNS, ROW_BYTES, ROWS};
use crate::{
    DuplicatedColumn, FileError, HeaderProblems, ReadRow, Sink, UnknownColumn, column_letter, count,
};

/// The column under each position of the header; `None` under an empty header cell.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    columns: Vec<Option<Column>>,
}

impl Header {
    /// Reads a header row. Empty header cells are allowed (spreadsheets often save a
    /// few trailing ones); a value under one is reported on its row.
    pub(crate) fn parse<'c>(cells: impl IntoIterator<Item = &'c str>) -> Result<Self, FileError> {
        let mut problems = HeaderProblems::default();
        let mut columns = Vec::new();
        let mut seen: [Option<usize>; cancuoc_domain::form::COLUMN_COUNT] = Default::default();
        for (i, cell) in cells.into_iter().enumerate() {
            let position = i + 1;
            let cell = cell.trim();
            // Spreadsheets save empty cells up to the edge of what was ever formatted:
            // only a heading counts against the limit.
            let past_limit = count(position) > COLUMNS.value;
            if cell.is_empty() {
                if !past_limit {
                    columns.push(None);
                }
                continue;
            }
            if past_limit {
                return Err(FileError::limit(COLUMNS, " (the header row)".into()));
            }
            let Some(column) = Column::from_header(cell) else {
                problems.unknown.push(UnknownColumn {
                    position,
                    header: cell.to_owned(),
                });
                columns.push(None);
                continue;
            };
            match seen.get_mut(column.index()) {
                Some(Some(first)) => {
                    problems.duplicated.push(DuplicatedColumn {
                        column,
                        first: *first,
                        second: position,
                    });
                    columns.push(None);
                }
                Some(slot) => {
                    *slot = Some(position);
                    columns.push(Some(column));
                }
                None => columns.push(None),
            }
        }
        let present = |c: &Column| columns.contains(&Some(*c));
        problems.missing = Column::REQUIRED
            .into_iter()
            .filter(|c| !present(c))
            .collect();
        problems.missing_residence = !Column::RESIDENCE.iter().any(present);
        if problems.is_empty() {
            Ok(Self { columns })
        } else {
            Err(FileError::Header(problems))
        }
    }

    pub(crate) fn column(&self, position: usize) -> Option<Column> {
        self.columns.get(position).copied().flatten()
    }

    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }
}

/// Reads rows cell by cell: `cell`/`cell_error` for each cell of a row, then `end_row`,
/// which hands the row to the sink; nothing is kept from one row to the next.
pub(crate) struct Rows<'s> {
    header: Header,
    sink: Sink<'s>,
    form: RawForm,
    errors: Vec<Rejection>,
    any_value: bool,
    /// The row went past [`COLUMNS`]: said once, its further cells ignored.
    too_wide: bool,
    /// The row has a value after the header's last column: said once.
    past_header: bool,
    /// Rows ended so far, read or rejected, for [`ROWS`].
    rows_seen: usize,
}

impl<'s> Rows<'s> {
    pub(crate) fn new(header: Header, sink: Sink<'s>) -> Self {
        Self {
            header,
            sink,
            form: RawForm::new(0),
            errors: Vec::new(),
            any_value: false,
            too_wide: false,
            past_header: false,
            rows_seen: 0,
        }
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// A cell at a 0-based position. Values are trimmed; empty cells are skipped.
    pub(crate) fn cell(&mut self, position: usize, value: &str) {
        let value = value.trim();
        if value.is_empty() || self.beyond_columns(position) {
            return;
        }
        self.any_value = true;
        let column = self.header.column(position);
        let most = usize::try_from(CELL_CHARS.value).unwrap_or(usize::MAX);
        if cancuoc_domain::text::longer_than(value, most) {
            self.errors.push(Rejection::new(
                column,
                format!(
                    "cell too long: more than {} characters ({})",
                    CELL_CHARS.value, CELL_CHARS.code
                ),
            ));
            return;
        }
        match column {
            Some(column) => self.form.set(column, value),
            None if position < self.header.width() => self.errors.push(Rejection::new(
                None,
                format!(
                    "value in column {}, which has no header",
                    column_letter(position + 1)
                ),
            )),
            // Said once per row: the first such column names where the values begin.
            None if self.past_header => {}
            None => {
                self.past_header = true;
                self.errors.push(Rejection::new(
                    None,
                    format!(
                        "value in column {}, after the last column of the header",
                        column_letter(position + 1)
                    ),
                ));
            }
        }
    }

    /// Whether a 0-based position of a cell with a value lies past [`COLUMNS`]; the first
    /// such cell of a row rejects it, once, and every such cell is dropped unread.
    pub(crate) fn beyond_columns(&mut self, position: usize) -> bool {
        if count(position) < COLUMNS.value {
            return false;
        }
        if !self.too_wide {
            self.too_wide = true;
            self.any_value = true;
            self.errors.push(Rejection::new(
                None,
                format!(
                    "row has more than {} cells ({})",
                    COLUMNS.value, COLUMNS.code
                ),
            ));
        }
        true
    }

    /// A value somewhere past [`COLUMNS`] that the reader did not keep.
    pub(crate) fn value_past_columns(&mut self) {
        let past = usize::try_from(COLUMNS.value).unwrap_or(usize::MAX);
        self.beyond_columns(past);
    }

    /// A row longer than [`ROW_BYTES`], whose cells were scanned over, never kept.
    pub(crate) fn too_long(&mut self) {
        self.any_value = true;
        self.errors.push(Rejection::new(
            None,
            format!(
                "row longer than {} bytes ({})",
                ROW_BYTES.value, ROW_BYTES.code
            ),
        ));
    }

    /// A cell that cannot be read (an Excel error value, a formula).
    pub(crate) fn cell_error(&mut self, position: usize, reason: String) {
        if self.beyond_columns(position) {
            return;
        }
        self.any_value = true;
        let column = self.header.column(position);
        let reason = match column {
            Some(_) => reason,
            None => format!("{reason} (column {})", column_letter(position + 1)),
        };
        self.errors.push(Rejection::new(column, reason));
    }

    /// Ends a row. `cell_count` is the number of cells the row had, when the format
    /// has such a thing (CSV); a row with fewer cells than the header is rejected,
    /// because a missing separator has shifted every value after it. Rows with no
    /// value at all are skipped.
    pub(crate) fn end_row(
        &mut self,
        row: usize,
        cell_count: Option<usize>,
    ) -> Result<(), FileError> {
        let form = std::mem::replace(&mut self.form, RawForm::new(0));
        let mut errors = std::mem::take(&mut self.errors);
        let any_value = std::mem::replace(&mut self.any_value, false);
        self.too_wide = false;
        self.past_header = false;
        if !any_value {
            return Ok(());
        }
        self.rows_seen += 1;
        if count(self.rows_seen) > ROWS.value {
            return Err(FileError::limit(ROWS, format!(" (row {row})")));
        }
        if let Some(count) = cell_count
            && count < self.header.width()
        {
            errors.insert(
                0,
                Rejection::new(
                    None,
                    format!(
                        "row has {count} cells, the header has {}",
                        self.header.width()
                    ),
                ),
            );
        }
        let read = if errors.is_empty() {
            let mut form = form;
            form.row = row;
            ReadRow::Form(form)
        } else {
            ReadRow::Unreadable {
                row,
                reasons: errors,
            }
        };
        match (self.sink)(read) {
            std::ops::ControlFlow::Continue(()) => Ok(()),
            std::ops::ControlFlow::Break(()) => Err(FileError::Stopped),
        }
    }
}
