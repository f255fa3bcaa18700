//! Store logic written once for both backends.
//!
//! Where the two dialects agree (numbered `$n` parameters, `ON CONFLICT`, `RETURNING`,
//! partial unique indexes), the statements and the logic around them live here and run
//! through [`Tx`], which each backend implements over its own connection in a few lines.
//! What truly differs (bulk loading, the audit chain's locking, name search) stays in
//! the backend crates. This crate links no database driver.

pub mod applications;
pub mod bench;
pub mod campaigns;
pub mod schedule;

use async_trait::async_trait;
use cancuoc_domain::PersonalId;
use cancuoc_store::{Access, CitizenRecord, Result, StoreError};

/// A bound parameter. Every value carries its SQL type, also when it is NULL, because
/// PostgreSQL types parameters before it sees the value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(Some(s.to_owned()))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(Some(s))
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        Self::Text(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Self::Int(Some(n))
    }
}
impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Self {
        Self::Int(n)
    }
}

/// One fetched row, read by column name.
pub trait Columns: Send + Sync {
    fn text(&self, name: &str) -> Result<Option<String>>;
    fn int(&self, name: &str) -> Result<Option<i64>>;
}

pub type Row = Box<dyn Columns>;

/// A column that must not be NULL.
pub fn text(row: &Row, name: &str) -> Result<String> {
    row.text(name)?.ok_or_else(|| corrupt(name))
}

pub fn int(row: &Row, name: &str) -> Result<i64> {
    row.int(name)?.ok_or_else(|| corrupt(name))
}

/// A value that does not parse is corrupt data, never passed on half-read.
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in the database"))
}

/// An open write transaction of a backend.
#[async_trait]
pub trait Tx: Send {
    /// Runs a statement; returns the rows it changed.
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64>;
    async fn fetch(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>>;
    /// Appends to the hash-chained audit trail inside this transaction.
    async fn audit(&mut self, access: &Access, action: &str, kind: &str, key: &str) -> Result<()>;
    /// The citizen behind a personal ID within the caller's scope, not audited (the
    /// caller audits the use it makes of it).
    async fn citizen(&mut self, access: &Access, pid: &PersonalId)
    -> Result<Option<CitizenRecord>>;
    /// The SQL expression for a text field of a JSON document column (NULL when absent).
    fn json_text(&self, column: &str, field: &str) -> String;
}

/// `AND column = $n` for the caller's jurisdiction on a table that carries the three
/// `home_*` columns, with the value to bind.
pub fn scope(access: &Access, table: &str, n: usize) -> Option<(String, Value)> {
    access.scope_filter().map(|f| {
        (
            format!(" AND {table}.{} = ${n}", f.column),
            Value::from(f.code),
        )
    })
}
