//! Throw-away databases for tests and benchmarks: DESIGN §10 wants a fresh database per
//! store test, and PostgreSQL has no in-memory or temporary-file database to hand one out.
//!
//! [`ScratchDatabase::create`] makes `cancuoc_test_<uuid>` on the server (with a Vietnamese
//! ICU collation where the server has ICU, so that the suite shows the schema's byte-order
//! comparisons do not depend on the database's locale); dropping the guard
//! drops the database again, best effort: from a thread of its own (a destructor cannot
//! await, and it may run inside an async runtime), with `WITH (FORCE)` so that connections
//! still open do not keep it alive, ignoring every failure and never panicking.

use cancuoc_store::{Result, StoreError};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

/// How often `CREATE DATABASE` is tried when another creation is using the template.
const CREATE_ATTEMPTS: u32 = 10;

/// A database created for one test; dropped (best effort) when the guard is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin: PgConnectOptions,
    name: String,
}

impl ScratchDatabase {
    /// Creates a uniquely named, empty database with the server and role of `admin`.
    pub async fn create(admin: PgConnectOptions) -> Result<Self> {
        let name = format!("cancuoc_test_{}", Uuid::now_v7().simple());
        let mut conn = admin.connect().await.map_err(|e| {
            StoreError::Backend(format!("cannot connect to the admin database: {e}"))
        })?;
        // The name is ours: lower-case letters, digits and underscores only. A linguistic
        // (Vietnamese) default collation where the server has ICU, so that tests prove the
        // schema never leans on the database's locale for byte-order comparisons.
        let attempts = [
            format!(
                "CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'vi-VN'"
            ),
            format!("CREATE DATABASE \"{name}\""),
        ];
        let mut created = false;
        for sql in attempts {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                {
                    Ok(_) => {
                        created = true;
                        break;
                    }
                    // object_in_use: the template database is being copied by another creation.
                    Err(sqlx::Error::Database(db))
                        if db.code().as_deref() == Some("55006") && attempt < CREATE_ATTEMPTS =>
                    {
                        tokio::time::sleep(std::time::Duration::from_millis(
                            50 * u64::from(attempt),
                        ))
                        .await;
                    }
                    // No ICU, no such locale, or a server older than 15: plain creation next.
                    Err(sqlx::Error::Database(db))
                        if matches!(
                            db.code().as_deref(),
                            Some("0A000" | "22023" | "42601" | "42704")
                        ) =>
                    {
                        break;
                    }
                    Err(e) => {
                        return Err(StoreError::Backend(format!(
                            "cannot create database {name}: {e}"
                        )));
                    }
                }
            }
            if created {
                break;
            }
        }
        if !created {
            return Err(StoreError::Backend(format!(
                "cannot create database {name}"
            )));
        }
        let _ = conn.close().await;
        Ok(Self { admin, name })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection options for the scratch database itself.
    pub fn options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        // Wait, so that a test process does not exit with the drop still under way.
        let _ = dropper.join();
    }
}
