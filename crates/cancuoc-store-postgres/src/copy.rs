//! Bulk loading with `COPY … FROM STDIN (FORMAT csv)`: rows are written as CSV and
//! streamed to the server in chunks, inside the caller's transaction.
//!
//! Every text value is quoted (inner quotes doubled), so commas, quotes, backslashes,
//! newlines and a lone `\.` are all data; SQL NULL is the unquoted empty field, which
//! CSV format keeps apart from the quoted empty string.

use cancuoc_store::Result;
use sqlx::PgConnection;

use crate::backend;

/// How much CSV is gathered before it is sent.
const CHUNK_BYTES: usize = 1 << 20;

/// One CSV buffer, written field by field.
pub(crate) struct Csv {
    buf: String,
    at_row_start: bool,
}

impl Csv {
    fn new() -> Self {
        Self {
            buf: String::with_capacity(CHUNK_BYTES + 4096),
            at_row_start: true,
        }
    }

    fn separate(&mut self) {
        if !self.at_row_start {
            self.buf.push(',');
        }
        self.at_row_start = false;
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        self.buf.push('"');
        for c in value.chars() {
            if c == '"' {
                self.buf.push('"');
            }
            self.buf.push(c);
        }
        self.buf.push('"');
        self
    }

    pub(crate) fn opt(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.separate();
                self
            }
        }
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        self.separate();
        self.buf.push_str(&value.to_string());
        self
    }

    pub(crate) fn end_row(&mut self) {
        self.buf.push('\n');
        self.at_row_start = true;
    }
}

/// Runs one `COPY … FROM STDIN (FORMAT csv)` statement over `items`, each written as one
/// row by `write`. Returns the number of rows copied. A constraint violation (a unique key
/// already taken) surfaces when the copy finishes and is mapped like any other error.
pub(crate) async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &str,
    items: &[T],
    mut write: impl FnMut(&mut Csv, &T) -> Result<()>,
) -> Result<u64> {
    let mut copy = conn.copy_in_raw(statement).await.map_err(backend)?;
    let mut csv = Csv::new();
    for item in items {
        if let Err(e) = write(&mut csv, item) {
            // The error to report is the one that stopped us, not the server's reply to the abort.
            let _ = copy.abort("row could not be encoded").await;
            return Err(e);
        }
        if csv.buf.len() >= CHUNK_BYTES {
            copy.send(csv.buf.as_bytes()).await.map_err(backend)?;
            csv.buf.clear();
        }
    }
    if !csv.buf.is_empty() {
        copy.send(csv.buf.as_bytes()).await.map_err(backend)?;
    }
    copy.finish().await.map_err(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_nulls_are_bare() {
        let mut csv = Csv::new();
        csv.text("a,\"b\"\n\\.")
            .opt(None)
            .opt(Some(""))
            .int(-7)
            .end_row();
        csv.text("x").end_row();
        assert_eq!(csv.buf, "\"a,\"\"b\"\"\n\\.\",,\"\",-7\n\"x\"\n");
    }
}
