//! The bounds of an import file, each checked while the file is read, never after: a
//! file that breaks one stops being read at that point, so memory and time stay bounded
//! by the limits whatever the file holds. Each limit has a stable code that the API
//! answers with and the rejects file carries.

/// One bound on what an import file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Stable, machine-readable: the API's error code and the rejects file's reason.
    pub code: &'static str,
    pub value: u64,
    /// What is counted, for the message: "more than {value} {what}".
    pub what: &'static str,
}

/// Cells in a row, the header included. The collection form has 27 columns; the rest
/// leaves room for a few empty or note columns a spreadsheet keeps.
pub const COLUMNS: Limit = Limit {
    code: "too_many_columns",
    value: 64,
    what: "cells in a row",
};

/// Characters in one cell. No field of the form comes near it (a name has at most 100),
/// and a limit keeps a pasted document out of the register.
pub const CELL_CHARS: Limit = Limit {
    code: "cell_too_long",
    value: 1_000,
    what: "characters in a cell",
};

/// Bytes of one CSV record. A full row of the form is a few kilobytes; a longer one is
/// rejected, and its further bytes are scanned over, never kept, so one line with
/// millions of cells costs no memory.
pub const ROW_BYTES: Limit = Limit {
    code: "row_too_long",
    value: 4 << 20,
    what: "bytes in a row",
};

/// Rows in one file: a province's collection forms arrive in files per district or
/// commune; two million rows is more than the largest district.
pub const ROWS: Limit = Limit {
    code: "too_many_rows",
    value: 2_000_000,
    what: "rows in a file",
};

/// Parts of an XLSX workbook (a form's workbook has about ten).
pub const XLSX_PARTS: Limit = Limit {
    code: "xlsx_too_many_parts",
    value: 10_000,
    what: "parts in the workbook",
};

/// Uncompressed bytes of a whole XLSX workbook, every part counted as it comes out (a
/// zip's entries may overlap). Sheets are streamed, so this bounds time, not memory:
/// about ten seconds of reading.
pub const XLSX_WORKBOOK_BYTES: Limit = Limit {
    code: "xlsx_too_large",
    value: 2 << 30,
    what: "bytes in the workbook once uncompressed",
};

/// Uncompressed bytes of the shared-strings table, which the XLSX reader keeps in memory
/// whole (about three times its size). A workbook with more distinct text than this is
/// split, or sent as CSV, which is read row by row.
pub const XLSX_SHARED_STRINGS_BYTES: Limit = Limit {
    code: "xlsx_shared_strings_too_large",
    value: 128 << 20,
    what: "bytes of shared strings once uncompressed",
};

/// How many times its compressed size a part may grow once it is larger than
/// [`RATIO_FROM_BYTES`]. Spreadsheet XML compresses 5 to 20 times; a zip bomb a thousand.
pub const XLSX_COMPRESSION_RATIO: Limit = Limit {
    code: "xlsx_compression_ratio",
    value: 100,
    what: "times its compressed size (a zip bomb)",
};

/// Parts smaller than this are not held to the ratio: small XML compresses well.
pub const RATIO_FROM_BYTES: u64 = 1 << 20;
