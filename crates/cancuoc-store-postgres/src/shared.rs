//! The PostgreSQL side of `cancuoc-store-sql`: its transaction trait over a connection.

use async_trait::async_trait;
use cancuoc_domain::PersonalId;
use cancuoc_store::{Access, CitizenRecord, Result};
use cancuoc_store_sql::{Columns, Row, Tx, Value};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgConnection, Postgres, Row as _};

use crate::backend;

pub(crate) struct PgTx<'a>(pub &'a mut PgConnection);

struct PgColumns(PgRow);

impl Columns for PgColumns {
    fn text(&self, name: &str) -> Result<Option<String>> {
        self.0.try_get(name).map_err(backend)
    }
    fn int(&self, name: &str) -> Result<Option<i64>> {
        self.0.try_get(name).map_err(backend)
    }
}

fn query(sql: &str, args: &[Value]) -> sqlx::query::Query<'static, Postgres, PgArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for arg in args {
        q = match arg {
            Value::Text(t) => q.bind(t.clone()),
            Value::Int(n) => q.bind(*n),
        };
    }
    q
}

#[async_trait]
impl Tx for PgTx<'_> {
    async fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        let done = query(sql, args)
            .execute(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn fetch(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        let rows = query(sql, args)
            .fetch_all(&mut *self.0)
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| Box::new(PgColumns(r)) as Row)
            .collect())
    }

    async fn audit(&mut self, access: &Access, action: &str, kind: &str, key: &str) -> Result<()> {
        crate::audit::append(self.0, access, action, kind, key)
            .await
            .map(|_| ())
    }

    async fn citizen(
        &mut self,
        access: &Access,
        pid: &PersonalId,
    ) -> Result<Option<CitizenRecord>> {
        crate::citizens::get_unaudited(self.0, access, pid).await
    }

    fn json_text(&self, column: &str, field: &str) -> String {
        format!("({column} ->> '{field}')")
    }
}
