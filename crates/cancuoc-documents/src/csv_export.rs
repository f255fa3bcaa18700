//! CSV files a spreadsheet may open: the invitation letters for a mail merge, the rejects
//! files of the imports, the progress report. Every writer of such a file goes through
//! [`CsvExport`], so that each of them is UTF-8 with a byte order mark, has CRLF line
//! ends (RFC 4180), and cannot carry a formula (issue 14 §6).
//!
//! A cell that a spreadsheet would run as a formula ([`begins_like_formula`]) gets a
//! leading `'` ([`neutralise_cell`]), the defence OWASP recommends: Excel and LibreOffice
//! show the rest as text, and a reader of the file sees what was typed. The prefix goes
//! on whatever the field, since the danger is in the spreadsheet that opens the file, not
//! in the field: a site name, a household address or a rejected row's own cells reach
//! these files as officers and import files typed them.
//!
//! Not here: CSV that no spreadsheet is meant to open (the benchmark's generated import
//! file) keeps its cells as they are.

use std::borrow::Cow;
use std::io::Write;

use cancuoc_domain::text::begins_like_formula;
use serde::Serialize;

/// The UTF-8 byte order mark: without it Excel reads a CSV file in the local code page
/// and the diacritics come out garbled.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The cell as a spreadsheet may safely read it: with a leading `'` when it begins like
/// a formula (`=`, `+`, `-`, `@`, tab, carriage return, also after white space), else
/// unchanged (and not copied).
pub fn neutralise_cell(cell: &str) -> Cow<'_, str> {
    if begins_like_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV writer for files a spreadsheet may open: the byte order mark first, every cell
/// of every record (the header too: an uploaded file's header comes back in its rejects
/// file) through [`neutralise_cell`], CRLF line ends.
pub struct CsvExport<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> CsvExport<W> {
    /// Starts the file: writes the byte order mark to `out`.
    pub fn new(mut out: W) -> csv::Result<Self> {
        out.write_all(UTF8_BOM)?;
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        Ok(Self { writer })
    }

    /// Writes one record, each cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.writer.write_record(
            record
                .into_iter()
                .map(|cell| neutralise_cell(cell.as_ref()).into_owned()),
        )
    }

    /// Flushes what is buffered and gives the destination back.
    pub fn into_inner(self) -> csv::Result<W> {
        self.writer
            .into_inner()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.error().to_string())))
    }
}

/// `rows` as a CSV file for a spreadsheet: a header of the field names, then a record per
/// row, as `csv`'s serde support writes them, every cell neutralised, with the byte order
/// mark. For reports whose rows are serde structs.
pub fn csv_export_of<T: Serialize>(rows: impl IntoIterator<Item = T>) -> csv::Result<Vec<u8>> {
    // csv writes the header from the first row's field names; writing plainly first and
    // reading the records back keeps that, and lets every cell pass the one neutraliser.
    let mut plain = csv::Writer::from_writer(Vec::new());
    for row in rows {
        plain.serialize(row)?;
    }
    let plain = plain
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.error().to_string())))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(plain.as_slice());
    let mut out = CsvExport::new(Vec::new())?;
    for record in reader.records() {
        out.write_record(&record?)?;
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prefixes_formula_starts_and_leaves_the_rest() {
        assert_eq!(neutralise_cell("=1+1"), "'=1+1");
        assert_eq!(
            neutralise_cell("-2+3+cmd|' /C calc'!A0"),
            "'-2+3+cmd|' /C calc'!A0"
        );
        assert_eq!(neutralise_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_cell("+84 912"), "'+84 912");
        assert_eq!(neutralise_cell("\t=1"), "'\t=1");
        assert_eq!(neutralise_cell("\r=1"), "'\r=1");
        assert_eq!(neutralise_cell(" =1"), "' =1");
        assert_eq!(neutralise_cell("Nguyễn Văn An"), "Nguyễn Văn An");
        assert_eq!(neutralise_cell("5-3"), "5-3");
        assert_eq!(neutralise_cell(""), "");
        assert!(matches!(neutralise_cell("Xã An Hòa"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_starts_with_the_bom_and_neutralises_every_cell() {
        let mut out = CsvExport::new(Vec::new()).unwrap();
        out.write_record(["=name", "ok"]).unwrap();
        out.write_record(["a", "@x"]).unwrap();
        let bytes = out.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}'=name,ok\r\na,'@x\r\n"
        );
    }

    #[test]
    fn serialized_rows_get_the_same_treatment() {
        #[derive(Serialize)]
        struct Row {
            name: &'static str,
            count: u32,
        }
        let bytes = csv_export_of([
            Row {
                name: "=HYPERLINK(\"x\")",
                count: 3,
            },
            Row {
                name: "Hòa",
                count: 4,
            },
        ])
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}name,count\r\n\"'=HYPERLINK(\"\"x\"\")\",3\r\nHòa,4\r\n"
        );
    }

    proptest! {
        /// Whatever a cell holds, what a spreadsheet reads from it does not begin like a
        /// formula, and removing the one `'` added gives the cell back.
        #[test]
        fn no_cell_comes_out_as_a_formula(cell in any::<String>()) {
            let safe = neutralise_cell(&cell);
            prop_assert!(!begins_like_formula(&safe));
            match safe.strip_prefix('\'') {
                Some(rest) if begins_like_formula(&cell) => prop_assert_eq!(rest, cell.as_str()),
                _ => prop_assert_eq!(safe.as_ref(), cell.as_str()),
            }
        }

        /// The same through the writer and a CSV reader: every cell read back is safe.
        #[test]
        fn every_cell_read_back_is_safe(
            cells in proptest::collection::vec("[=+@\\-\t\r ]?[a-zA-Z0-9 ,\"'|!=+-]{0,8}", 1..6),
        ) {
            let mut out = CsvExport::new(Vec::new()).unwrap();
            out.write_record(&cells).unwrap();
            let bytes = out.into_inner().unwrap();
            prop_assert!(bytes.starts_with(UTF8_BOM));
            let body = bytes.get(UTF8_BOM.len()..).unwrap_or_default();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
            let record = reader.records().next().unwrap().unwrap();
            prop_assert_eq!(record.len(), cells.len());
            for cell in record.iter() {
                prop_assert!(!begins_like_formula(cell), "{:?}", cell);
            }
        }
    }
}
