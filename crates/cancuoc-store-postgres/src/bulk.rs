//! The PostgreSQL bulk path: `COPY` for new records and staged forms, one statement over
//! arrays for households, and set queries (`= ANY($1)`) for what the register holds.

use cancuoc_domain::PersonalId;
use cancuoc_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row as _};

use crate::backend;
use crate::copy::{Csv, copy_in};
use cancuoc_store_sql::citizens::locality_of;
use cancuoc_store_sql::corrupt;

fn col<T>(row: &PgRow, name: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name).map_err(backend)
}

/// The place the row's three `home_*` columns name.
fn locality(row: &PgRow) -> Result<Option<cancuoc_domain::Locality>> {
    locality_of(
        col(row, "home_province")?,
        col(row, "home_district")?,
        col(row, "home_commune")?,
    )
}

/// Inserts new records, version 1, with their first history entries, by `COPY`. A
/// personal ID already in the register (or repeated) fails the whole call as `Conflict`.
pub(crate) async fn insert_records(
    conn: &mut PgConnection,
    records: &[NewRecord],
    run: Option<i64>,
    actor: &str,
    at_micros: i64,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    copy_in(
        conn,
        "COPY citizen_rows (key, personal_id, old_id_number, name_key, birth_year, birth_date, dup_key, household_number,
            home_province, home_district, home_commune, status, version, data, updated_micros, import_run)
            FROM STDIN (FORMAT csv)",
        records,
        |csv: &mut Csv, r| {
            let c = &r.columns;
            csv.text(&c.key.to_string())
                .text(&c.personal_id)
                .opt(c.old_id_number.as_deref())
                .text(&c.name_key)
                .int(i64::from(c.birth_year))
                .text(&c.birth_date)
                .text(&c.dup_key)
                .opt(c.household_number.as_deref())
                .opt(c.home_province.as_deref())
                .opt(c.home_district.as_deref())
                .opt(c.home_commune.as_deref())
                .text(c.status.as_str())
                .int(1)
                .text(&c.data_json)
                .int(at_micros)
                .opt(run.map(|r| r.to_string()).as_deref())
                .end_row();
            Ok(())
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(m) => StoreError::Conflict(format!(
            "a personal ID is already in the register ({m})"
        )),
        other => other,
    })?;
    copy_in(
        conn,
        "COPY citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields)
            FROM STDIN (FORMAT csv)",
        records,
        |csv: &mut Csv, r| {
            csv.text(&r.columns.key.to_string())
                .int(1)
                .int(at_micros)
                .text(actor)
                .text(&r.source)
                .text(r.columns.status.as_str())
                .text("[]")
                .end_row();
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// Creates or updates households in one statement over arrays; a head already recorded
/// is kept unless the new row names one. Numbers must not repeat within the call (see
/// `merge_households`): one statement may not update a row twice.
pub(crate) async fn upsert_households(
    conn: &mut PgConnection,
    households: &[NewHousehold],
    run: Option<i64>,
) -> Result<()> {
    if households.is_empty() {
        return Ok(());
    }
    let numbers: Vec<&str> = households.iter().map(|h| h.number.as_str()).collect();
    let communes: Vec<&str> = households.iter().map(|h| h.commune.as_str()).collect();
    let addresses: Vec<&str> = households.iter().map(|h| h.address.as_str()).collect();
    let heads: Vec<Option<String>> = households
        .iter()
        .map(|h| h.head.as_ref().map(PersonalId::as_string))
        .collect();
    sqlx::query(
        "INSERT INTO household_rows (number, commune, address, head_personal_id, import_run)
            SELECT *, $5::bigint FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (number) DO UPDATE
            SET head_personal_id = COALESCE(excluded.head_personal_id, household_rows.head_personal_id)",
    )
    .bind(&numbers)
    .bind(&communes)
    .bind(&addresses)
    .bind(&heads)
    .bind(run)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// What the register holds for a chunk's personal IDs, duplicate keys and contents, read
/// from the tables (the import's own run is listed, so the views hide its rows).
pub(crate) async fn register_view(
    conn: &mut PgConnection,
    chunk: &PreparedChunk,
) -> Result<RegisterView> {
    let mut view = RegisterView::default();
    let rows = sqlx::query(
        "SELECT personal_id, data::text AS data, home_province, home_district, home_commune
         FROM citizen_rows WHERE personal_id = ANY($1::text[])",
    )
    .bind(chunk.personal_ids())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    for r in &rows {
        let json: String = col(r, "data")?;
        let held = HeldRecord {
            data: serde_json::from_str(&json).map_err(|_| corrupt("citizen data"))?,
            locality: locality(r)?,
        };
        view.existing.insert(col(r, "personal_id")?, held);
    }
    let rows =
        sqlx::query("SELECT dup_key, personal_id, home_province, home_district, home_commune FROM citizen_rows WHERE dup_key = ANY($1::text[])")
            .bind(chunk.duplicate_keys())
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
    for r in &rows {
        view.by_duplicate_key
            .entry(col(r, "dup_key")?)
            .or_default()
            .push((col(r, "personal_id")?, locality(r)?));
    }
    let rows = sqlx::query(
        "SELECT content_hash FROM staged_form_rows
         WHERE status IN ('draft', 'verified') AND content_hash = ANY($1::text[])",
    )
    .bind(chunk.content_hashes())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    for r in &rows {
        view.open_staged.insert(col(r, "content_hash")?);
    }
    Ok(view)
}

pub(crate) async fn insert_staged(
    conn: &mut PgConnection,
    rows: &[StagedRow],
    run: Option<i64>,
    now: i64,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    copy_in(
        conn,
        "COPY staged_form_rows (id, source, row_number, reason, status, personal_id, content_hash, data, findings,
            home_province, home_district, home_commune, created_micros, import_run) FROM STDIN (FORMAT csv)",
        rows,
        |csv: &mut Csv, s| {
            csv.text(&s.id.to_string())
                .text(&s.source)
                .int(s.row)
                .text(s.reason.as_str())
                .text(FormStatus::Draft.as_str())
                .text(&s.personal_id)
                .text(&s.content_hash)
                .text(&s.data_json)
                .text(&s.findings_json)
                .opt(s.home_province.as_deref())
                .opt(s.home_district.as_deref())
                .opt(s.home_commune.as_deref())
                .int(now)
                .opt(run.map(|r| r.to_string()).as_deref())
                .end_row();
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// Secondary indexes an import never reads from. A large import, into a register not much
/// larger than itself, by a process that has the database to itself (`Sharing::Alone`)
/// drops them and builds them again at its end, inside its one transaction: one sorted
/// build each instead of a million inserts at random (measured on 1M rows: 74 s for the
/// COPY into every index, 14 s into none, about 10 s for the builds). The dropped
/// indexes' `ACCESS EXCLUSIVE` lock is why only an import with the database to itself
/// does it: any reader of the register would wait for the import to end.
const SET_ASIDE: [&str; 7] = [
    "citizens_by_name",
    "citizens_by_commune",
    "citizens_by_district",
    "citizens_by_province",
    "citizens_by_old_id",
    "citizens_by_household",
    "citizen_rows_by_birth_date",
];

/// What a running import keeps: the definitions of the indexes it set aside.
pub struct ImportState {
    set_aside: Vec<String>,
}

impl ImportState {
    pub(crate) async fn start(
        conn: &mut PgConnection,
        rows_at_most: usize,
        alone: bool,
    ) -> Result<Self> {
        let mut state = Self {
            set_aside: Vec::new(),
        };
        if !alone || rows_at_most < cancuoc_store_sql::LARGE_IMPORT_ROWS {
            return Ok(state);
        }
        // The planner's estimate of the rows is enough to tell a register much larger than
        // the import, and costs nothing (-1: never analysed, so small).
        let size: f32 = sqlx::query_scalar(
            "SELECT reltuples FROM pg_class WHERE oid = 'citizen_rows'::regclass",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        if !cancuoc_store_sql::is_large_import(rows_at_most, f64::from(size)) {
            return Ok(state);
        }
        // Built again from PostgreSQL's own definitions, so they come back as the
        // migrations made them.
        let names: Vec<&str> = SET_ASIDE.to_vec();
        let defined: Vec<(String, String)> = sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes
             WHERE schemaname = current_schema() AND tablename = 'citizen_rows'
               AND indexname = ANY($1::text[])",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        // Dropping an index waits for every session reading the table, and then holds
        // them all off. A node whose claim was cut (its connection lost) may be reading:
        // after a moment's wait the indexes stay, and the import goes on beside it.
        let run = |sql: &'static str| sqlx::query(sql);
        run("SAVEPOINT set_aside")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        run("SET LOCAL lock_timeout = '2s'")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        for (name, definition) in defined {
            let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                .execute(&mut *conn)
                .await;
            if let Err(e) = dropped {
                tracing::warn!("indexes kept: the register is in use ({e})");
                run("ROLLBACK TO SAVEPOINT set_aside")
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                state.set_aside.clear();
                break;
            }
            state.set_aside.push(definition);
        }
        run("RELEASE SAVEPOINT set_aside")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        run("SET LOCAL lock_timeout TO DEFAULT")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(state)
    }

    /// Builds the set-aside indexes again, in the import's transaction.
    pub(crate) async fn finish(self, conn: &mut PgConnection) -> Result<()> {
        if self.set_aside.is_empty() {
            return Ok(());
        }
        // Sorted in memory rather than in runs on disk.
        sqlx::query("SET LOCAL maintenance_work_mem = '512MB'")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        for definition in self.set_aside {
            sqlx::query(sqlx::AssertSqlSafe(definition))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}
