//! The SQLite bulk path: multi-row INSERTs, and what a large import keeps in memory.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use cancuoc_domain::PersonalId;
use cancuoc_store::*;
use sqlx::Row as _;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;

use crate::backend;
use cancuoc_store_sql::citizens::locality_of;
use cancuoc_store_sql::{LARGE_IMPORT_ROWS, corrupt, is_large_import};

fn col<T>(row: &SqliteRow, name: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(backend)
}

/// The place the row's three `home_*` columns name.
fn locality(row: &SqliteRow) -> Result<Option<cancuoc_domain::Locality>> {
    locality_of(
        col(row, "home_province")?,
        col(row, "home_district")?,
        col(row, "home_commune")?,
    )
}

/// `(?, …, ?), …` for `rows` rows of `columns` values.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    let one = format!("({})", vec!["?"; columns].join(", "));
    vec![one; rows].join(", ")
}

/// Rows per multi-row INSERT: the widest table (15 columns) stays under SQLite's
/// 32,766 bound values.
const ROWS_PER_STATEMENT: usize = 1_000;

// OR FAIL rather than the default OR ABORT: a failing statement then leaves its earlier
// rows in place instead of undoing them, so SQLite keeps no statement journal (a copy of
// every page the statement touches). The caller's transaction is rolled back whole on
// any error, so nothing half-applied survives either way.
const CITIZEN_INSERT: &str = "INSERT OR FAIL INTO citizen_rows (key, personal_id, old_id_number, name_key, birth_year,
    birth_date, dup_key, household_number, home_province, home_district, home_commune, status, version,
    data, updated_micros, import_run) VALUES ";

const HISTORY_INSERT: &str =
    "INSERT OR FAIL INTO citizen_history (citizen_key, version, at_micros, actor,
    source, status, changed_fields) VALUES ";

/// Inserts new records, version 1, with their first history entries, many rows per
/// statement. A personal ID already in the register fails the whole call as `Conflict`.
pub(crate) async fn insert_records(
    conn: &mut SqliteConnection,
    records: &[NewRecord],
    run: Option<i64>,
    actor: &str,
    at_micros: i64,
) -> Result<()> {
    for part in records.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("{CITIZEN_INSERT}{}", placeholders(part.len(), 16));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in part {
            let c = &r.columns;
            q = q
                .bind(c.key.to_string())
                .bind(&c.personal_id)
                .bind(&c.old_id_number)
                .bind(&c.name_key)
                .bind(c.birth_year)
                .bind(&c.birth_date)
                .bind(&c.dup_key)
                .bind(&c.household_number)
                .bind(&c.home_province)
                .bind(&c.home_district)
                .bind(&c.home_commune)
                .bind(c.status.as_str())
                .bind(1_i64)
                .bind(&c.data_json)
                .bind(at_micros)
                .bind(run);
        }
        q.execute(&mut *conn).await.map_err(|e| match backend(e) {
            StoreError::Conflict(m) => {
                StoreError::Conflict(format!("a personal ID is already in the register ({m})"))
            }
            other => other,
        })?;

        let sql = format!("{HISTORY_INSERT}{}", placeholders(part.len(), 7));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in part {
            q = q
                .bind(r.columns.key.to_string())
                .bind(1_i64)
                .bind(at_micros)
                .bind(actor)
                .bind(&r.source)
                .bind(r.columns.status.as_str())
                .bind("[]");
        }
        q.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Creates or updates households, many per statement; a head already recorded is
/// kept unless the new row names one. Numbers must not repeat within the call
/// (see `merge_households`).
pub(crate) async fn upsert_households(
    conn: &mut SqliteConnection,
    households: &[NewHousehold],
    run: Option<i64>,
) -> Result<()> {
    for part in households.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO household_rows (number, commune, address, head_personal_id, import_run) VALUES {}
             ON CONFLICT (number) DO UPDATE
                SET head_personal_id = COALESCE(excluded.head_personal_id, household_rows.head_personal_id)",
            placeholders(part.len(), 5)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for h in part {
            q = q
                .bind(&h.number)
                .bind(h.commune.as_str())
                .bind(&h.address)
                .bind(h.head.as_ref().map(PersonalId::as_string))
                .bind(run);
        }
        q.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Runs `SELECT {select} … WHERE {column} IN (keys)` and hands each row to `each`.
async fn select_in(
    conn: &mut SqliteConnection,
    select: &str,
    column: &str,
    keys: &[&String],
    mut each: impl FnMut(&SqliteRow) -> Result<()>,
) -> Result<()> {
    // Within SQLite's limit of bound values per statement, whatever the chunk's size.
    for part in keys.chunks(IMPORT_CHUNK) {
        let marks = vec!["?"; part.len()].join(", ");
        let sql = format!("{select} AND {column} IN ({marks})");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in part {
            q = q.bind(k);
        }
        for row in q.fetch_all(&mut *conn).await.map_err(backend)? {
            each(&row)?;
        }
    }
    Ok(())
}

/// The keys the register may hold, kept in memory during a large import so that a
/// chunk asks the database only about keys that can be there: those it held before the
/// import, read once at its start, and those the import has written since. Nobody else
/// writes meanwhile: the import holds SQLite's only write lock.
///
/// Each key is kept as a 64-bit hash (keyed anew for each import), not as its text: a
/// collision only sends one more key to the database, which gives the answer, and a
/// million keys take about 16 MB instead of 80.
pub(crate) struct KnownKeys {
    hasher: RandomState,
    personal_ids: HashSet<u64>,
    duplicate_keys: HashSet<u64>,
    open_hashes: HashSet<u64>,
}

impl KnownKeys {
    async fn read(conn: &mut SqliteConnection) -> Result<Self> {
        let mut known = Self {
            hasher: RandomState::new(),
            personal_ids: HashSet::new(),
            duplicate_keys: HashSet::new(),
            open_hashes: HashSet::new(),
        };
        // Each a scan of one index (covering for the first two), read row by row.
        known.personal_ids = known
            .hashes(conn, "SELECT personal_id FROM citizen_rows")
            .await?;
        known.duplicate_keys = known
            .hashes(conn, "SELECT dup_key FROM citizen_rows")
            .await?;
        known.open_hashes = known.hashes(conn, OPEN_HASHES).await?;
        Ok(known)
    }

    async fn hashes(&self, conn: &mut SqliteConnection, sql: &'static str) -> Result<HashSet<u64>> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query_scalar::<_, String>(sql).fetch(&mut *conn);
        let mut set = HashSet::new();
        while let Some(key) = rows.try_next().await.map_err(backend)? {
            set.insert(self.hasher.hash_one(key.as_str()));
        }
        Ok(set)
    }

    pub(crate) fn learn(&mut self, plan: &ChunkPlan) {
        for r in &plan.records {
            self.personal_ids
                .insert(self.hasher.hash_one(r.columns.personal_id.as_str()));
            self.duplicate_keys
                .insert(self.hasher.hash_one(r.columns.dup_key.as_str()));
        }
        for s in &plan.staged {
            self.open_hashes
                .insert(self.hasher.hash_one(s.content_hash.as_str()));
        }
    }

    /// The keys of `keys` that may be in the register, by one of the sets.
    fn worth_asking<'k>(&self, keys: &'k [String], set: &HashSet<u64>) -> Vec<&'k String> {
        keys.iter()
            .filter(|k| set.contains(&self.hasher.hash_one(k.as_str())))
            .collect()
    }
}

/// The chunk's keys that `known` says may be in the register (all of them without it).
fn worth_asking<'k>(
    keys: &'k [String],
    known: Option<&KnownKeys>,
    set: impl Fn(&KnownKeys) -> &HashSet<u64>,
) -> Vec<&'k String> {
    match known {
        Some(known) => known.worth_asking(keys, set(known)),
        None => keys.iter().collect(),
    }
}

/// Content hashes of the open staged forms, the running import's own included (hence the
/// table, not the view). The index is named because with a thousand hashes and no
/// statistics SQLite prefers the status index and reads every open form of the import
/// so far, once per chunk.
const OPEN_HASHES: &str =
    "SELECT content_hash FROM staged_form_rows INDEXED BY staged_forms_open_content
    WHERE status IN ('draft', 'verified')";

/// What the register holds for a chunk's personal IDs, duplicate keys and contents, the
/// running import's own hidden rows included (only one import runs at a time, and a
/// run left by a dead one is discarded before the next starts).
pub(crate) async fn register_view(
    conn: &mut SqliteConnection,
    chunk: &PreparedChunk,
    known: Option<&KnownKeys>,
) -> Result<RegisterView> {
    let mut view = RegisterView::default();
    select_in(
        conn,
        "SELECT personal_id, data, home_province, home_district, home_commune FROM citizen_rows WHERE 1 = 1",
        "personal_id",
        &worth_asking(chunk.personal_ids(), known, |k| &k.personal_ids),
        |r| {
            let json: String = col(r, "data")?;
            let data = serde_json::from_str(&json).map_err(|_| corrupt("citizen data"))?;
            let held = HeldRecord {
                data,
                locality: locality(r)?,
            };
            view.existing.insert(col(r, "personal_id")?, held);
            Ok(())
        },
    )
    .await?;
    select_in(
        conn,
        "SELECT dup_key, personal_id, home_province, home_district, home_commune FROM citizen_rows WHERE 1 = 1",
        "dup_key",
        &worth_asking(chunk.duplicate_keys(), known, |k| &k.duplicate_keys),
        |r| {
            view.by_duplicate_key
                .entry(col(r, "dup_key")?)
                .or_default()
                .push((col(r, "personal_id")?, locality(r)?));
            Ok(())
        },
    )
    .await?;
    select_in(
        conn,
        OPEN_HASHES,
        "content_hash",
        &worth_asking(chunk.content_hashes(), known, |k| &k.open_hashes),
        |r| {
            view.open_staged.insert(col(r, "content_hash")?);
            Ok(())
        },
    )
    .await?;
    Ok(view)
}

pub(crate) async fn insert_staged(
    conn: &mut SqliteConnection,
    rows: &[StagedRow],
    run: Option<i64>,
    now: i64,
) -> Result<()> {
    for part in rows.chunks(IMPORT_CHUNK) {
        let sql = format!(
            "INSERT OR FAIL INTO staged_form_rows (id, source, row_number, reason, status, personal_id, content_hash, data,
                findings, home_province, home_district, home_commune, created_micros, import_run) VALUES {}",
            placeholders(part.len(), 14)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in part {
            q = q
                .bind(s.id.to_string())
                .bind(&s.source)
                .bind(s.row)
                .bind(s.reason.as_str())
                .bind(FormStatus::Draft.as_str())
                .bind(&s.personal_id)
                .bind(&s.content_hash)
                .bind(&s.data_json)
                .bind(&s.findings_json)
                .bind(&s.home_province)
                .bind(&s.home_district)
                .bind(&s.home_commune)
                .bind(now)
                .bind(run);
        }
        q.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Secondary indexes an import never reads from. A large import, into a register not
/// much larger than itself, by a process that has the database to itself drops them and
/// builds them again at its end, inside its one transaction: sorting once beats inserting
/// into five indexes at random, and an import that fails leaves them as they were.
const SET_ASIDE: [&str; 5] = [
    "citizens_by_name",
    "citizens_by_old_id",
    "citizens_by_household",
    "citizens_by_commune",
    "citizen_rows_by_birth_date",
];

/// What a running import keeps: the register's keys, for large imports, and the
/// definitions of the indexes it set aside.
pub struct ImportState {
    pub(crate) known: Option<KnownKeys>,
    set_aside: Vec<String>,
}

impl ImportState {
    /// `alone`: the import is one transaction that nobody waits for (`Sharing::Alone`).
    pub(crate) async fn start(
        conn: &mut SqliteConnection,
        rows_at_most: usize,
        alone: bool,
    ) -> Result<Self> {
        let mut state = Self {
            known: None,
            set_aside: Vec::new(),
        };
        if rows_at_most < LARGE_IMPORT_ROWS {
            return Ok(state);
        }
        // The largest rowid bounds the row count from above and costs one page read.
        let size: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM citizen_rows")
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
        if !is_large_import(rows_at_most, size.unwrap_or(0) as f64) {
            return Ok(state);
        }
        // The register's keys in memory (bounded by twice the import's rows): each chunk
        // asks SQLite only about the keys that may be there.
        state.known = Some(KnownKeys::read(conn).await?);
        if alone {
            // Built again from the schema's own text, so they come back exactly as the
            // migrations made them.
            for name in SET_ASIDE {
                let sql: Option<String> = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1",
                )
                .bind(name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
                if let Some(sql) = sql {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
                        .execute(&mut *conn)
                        .await
                        .map_err(backend)?;
                    state.set_aside.push(sql);
                }
            }
        }
        Ok(state)
    }

    /// Builds the set-aside indexes again, in the import's transaction.
    pub(crate) async fn finish(self, conn: &mut SqliteConnection) -> Result<()> {
        for sql in self.set_aside {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}
