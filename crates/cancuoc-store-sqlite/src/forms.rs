//! Collection-form imports and the review of staged records.

use std::collections::HashSet;

use cancuoc_domain::RecordStatus;
use cancuoc_store::*;
use futures_util::StreamExt;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::audit::append;
use crate::backend;
use crate::citizens::{
    Provenance, get_unaudited, insert, insert_records, placeholders, update, upsert_households,
};
use crate::rows::{col, corrupt, locality, uuid};

/// The whole register, for decisions that must see beyond the caller's jurisdiction
/// (a conflict with a record in another province is still a conflict).
fn unscoped(access: &Access) -> Access {
    Access {
        scope: cancuoc_domain::Jurisdiction::Nation,
        ..access.clone()
    }
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
#[derive(Default)]
struct KnownKeys {
    personal_ids: HashSet<String>,
    duplicate_keys: HashSet<String>,
    open_hashes: HashSet<String>,
}

impl KnownKeys {
    async fn read(conn: &mut SqliteConnection) -> Result<Self> {
        // Each a scan of one index (covering for the first two).
        Ok(Self {
            personal_ids: strings(conn, "SELECT personal_id FROM citizens").await?,
            duplicate_keys: strings(conn, "SELECT dup_key FROM citizens").await?,
            open_hashes: strings(conn, OPEN_HASHES).await?,
        })
    }

    fn learn(&mut self, plan: &ChunkPlan) {
        for r in &plan.records {
            self.personal_ids.insert(r.columns.personal_id.clone());
            self.duplicate_keys.insert(r.columns.dup_key.clone());
        }
        for s in &plan.staged {
            self.open_hashes.insert(s.content_hash.clone());
        }
    }
}

async fn strings(conn: &mut SqliteConnection, sql: &'static str) -> Result<HashSet<String>> {
    let values: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(values.into_iter().collect())
}

/// The chunk's keys that `known` says may be in the register (all of them without it).
fn worth_asking<'k>(keys: &'k [String], known: Option<&HashSet<String>>) -> Vec<&'k String> {
    keys.iter()
        .filter(|k| known.is_none_or(|set| set.contains(*k)))
        .collect()
}

/// Content hashes of the open staged forms. The index is named because with a thousand
/// hashes and no statistics SQLite prefers the status index and reads every open form
/// of the import so far, once per chunk.
const OPEN_HASHES: &str =
    "SELECT content_hash FROM staged_forms INDEXED BY staged_forms_open_content
    WHERE status IN ('draft', 'verified')";

/// What the register holds for a chunk's personal IDs, duplicate keys and contents.
async fn register_view(
    conn: &mut SqliteConnection,
    chunk: &PreparedChunk,
    known: Option<&KnownKeys>,
) -> Result<RegisterView> {
    let mut view = RegisterView::default();
    select_in(
        conn,
        "SELECT personal_id, data FROM citizens WHERE 1 = 1",
        "personal_id",
        &worth_asking(chunk.personal_ids(), known.map(|k| &k.personal_ids)),
        |r| {
            let data = crate::rows::citizen_data(r)?;
            view.existing.insert(col(r, "personal_id")?, data);
            Ok(())
        },
    )
    .await?;
    select_in(
        conn,
        "SELECT dup_key, personal_id FROM citizens WHERE 1 = 1",
        "dup_key",
        &worth_asking(chunk.duplicate_keys(), known.map(|k| &k.duplicate_keys)),
        |r| {
            view.by_duplicate_key
                .entry(col(r, "dup_key")?)
                .or_default()
                .push(col(r, "personal_id")?);
            Ok(())
        },
    )
    .await?;
    select_in(
        conn,
        OPEN_HASHES,
        "content_hash",
        &worth_asking(chunk.content_hashes(), known.map(|k| &k.open_hashes)),
        |r| {
            view.open_staged.insert(col(r, "content_hash")?);
            Ok(())
        },
    )
    .await?;
    Ok(view)
}

async fn insert_staged(conn: &mut SqliteConnection, rows: &[StagedRow], now: i64) -> Result<()> {
    for part in rows.chunks(IMPORT_CHUNK) {
        let sql = format!(
            "INSERT OR FAIL INTO staged_forms (id, source, row_number, reason, status, personal_id, content_hash, data,
                findings, home_province, home_district, home_commune, created_micros) VALUES {}",
            placeholders(part.len(), 13)
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
                .bind(now);
        }
        q.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Secondary indexes an import never reads from. A large import into a register not much
/// larger than itself drops them and builds them again at its end: sorting once beats
/// inserting into four indexes at random. Both happen inside the import's transaction,
/// so an import that fails leaves them as they were.
pub const SET_ASIDE: [&str; 4] = [
    "citizens_by_name",
    "citizens_by_old_id",
    "citizens_by_household",
    "citizens_by_commune",
];
/// The set-aside indexes as the latest migrations define them (0002, 0004).
pub const SET_ASIDE_DEFINITIONS: &str = "
    CREATE INDEX IF NOT EXISTS citizens_by_name ON citizens (name_key, birth_year, personal_id);
    CREATE INDEX IF NOT EXISTS citizens_by_old_id ON citizens (old_id_number) WHERE old_id_number IS NOT NULL;
    CREATE INDEX IF NOT EXISTS citizens_by_household ON citizens (household_number) WHERE household_number IS NOT NULL;
    CREATE INDEX IF NOT EXISTS citizens_by_commune ON citizens (home_commune, name_key, birth_year, personal_id);";
const SET_ASIDE_FROM_ROWS: usize = 50_000;

async fn sets_indexes_aside(conn: &mut SqliteConnection, rows: usize) -> Result<bool> {
    if rows < SET_ASIDE_FROM_ROWS {
        return Ok(false);
    }
    // The largest rowid bounds the row count from above and costs one page read.
    let size: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM citizens")
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(size.unwrap_or(0) <= i64::try_from(rows).unwrap_or(i64::MAX).saturating_mul(2))
}

/// Applies an import chunk by chunk as the chunks arrive: three set queries read what
/// the register holds for the chunk, the shared planner decides every row, and
/// multi-row statements write the result before the next chunk is read.
pub(crate) async fn import(
    conn: &mut SqliteConnection,
    access: &Access,
    import: ImportStream<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportOutcome> {
    let ImportStream {
        source,
        file_hash,
        rows_at_most,
        mut chunks,
    } = import;
    let mut done = 0u64;
    let mut outcome = ImportOutcome::default();
    let set_aside = sets_indexes_aside(conn, rows_at_most).await?;
    // The same condition bounds the keys read into memory by twice the import's rows.
    let mut known = if set_aside {
        Some(KnownKeys::read(conn).await?)
    } else {
        None
    };
    if set_aside {
        for name in SET_ASIDE {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX IF EXISTS {name}")))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
    }
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        let view = register_view(conn, &chunk, known.as_ref()).await?;
        let plan = chunk.plan(&view, &source)?;
        if let Some(k) = &mut known {
            k.learn(&plan);
        }
        upsert_households(conn, &plan.households).await?;
        insert_records(conn, &plan.records, &access.actor, access.now_micros).await?;
        insert_staged(conn, &plan.staged, access.now_micros).await?;
        outcome.inserted += plan.records.len() as u64;
        outcome.unchanged += plan.unchanged;
        outcome.staged.extend(plan.stage_reasons);
        done += chunk.len() as u64;
        progress(done);
    }
    if set_aside {
        sqlx::raw_sql(SET_ASIDE_DEFINITIONS)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    sqlx::query(
        "INSERT INTO imports (file_hash, source, at_micros, actor, inserted, unchanged, staged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&file_hash)
    .bind(&source)
    .bind(access.now_micros)
    .bind(&access.actor)
    .bind(i64::try_from(outcome.inserted).unwrap_or(i64::MAX))
    .bind(i64::try_from(outcome.unchanged).unwrap_or(i64::MAX))
    .bind(i64::try_from(outcome.staged.len()).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    append(conn, access, actions::FORMS_IMPORT, "import", &file_hash).await?;
    Ok(outcome)
}

const COLUMNS: &str = "id, source, row_number, reason, status, data, findings, home_province, home_district, home_commune,
    created_micros, decided_by, decided_micros, decision_reason";

fn form(row: &SqliteRow) -> Result<StagedForm> {
    let reason: String = col(row, "reason")?;
    let status: String = col(row, "status")?;
    let data: String = col(row, "data")?;
    let findings: String = col(row, "findings")?;
    Ok(StagedForm {
        id: uuid(row, "id")?,
        source: col(row, "source")?,
        row: usize::try_from(col::<i64>(row, "row_number")?).map_err(|_| corrupt("form row"))?,
        reason: StageReason::parse(&reason).ok_or_else(|| corrupt("form reason"))?,
        status: FormStatus::parse(&status).ok_or_else(|| corrupt("form status"))?,
        data: serde_json::from_str(&data).map_err(|_| corrupt("form data"))?,
        locality: locality(row)?,
        findings: serde_json::from_str(&findings).map_err(|_| corrupt("form findings"))?,
        created_micros: col(row, "created_micros")?,
        decided_by: col(row, "decided_by")?,
        decided_micros: col(row, "decided_micros")?,
        decision_reason: col(row, "decision_reason")?,
    })
}

pub(crate) async fn get(
    conn: &mut SqliteConnection,
    access: &Access,
    id: Uuid,
    audited: bool,
) -> Result<Option<StagedForm>> {
    let mut sql = format!("SELECT {COLUMNS} FROM staged_forms WHERE id = $1");
    let scope = access.scope_filter();
    if let Some(f) = &scope {
        sql.push_str(&format!(" AND {} = $2", f.column));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
    if let Some(f) = scope {
        q = q.bind(f.code);
    }
    let found = q
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
        .as_ref()
        .map(form)
        .transpose()?;
    if audited {
        append(conn, access, actions::FORM_READ, "form", &id.to_string()).await?;
    }
    Ok(found)
}

pub(crate) async fn list(
    conn: &mut SqliteConnection,
    access: &Access,
    query: &FormQuery,
) -> Result<Page<StagedForm>> {
    let mut sql = format!("SELECT {COLUMNS} FROM staged_forms WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let mut push = |sql: &mut String, clause: String, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    match query.status {
        Some(s) => push(&mut sql, " AND status = $?".into(), s.as_str().into()),
        None => sql.push_str(" AND status IN ('draft', 'verified')"),
    }
    if let Some(f) = access.scope_filter() {
        push(&mut sql, format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(unit) = &query.unit {
        let f = ScopeFilter::for_code(unit);
        push(&mut sql, format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(cursor) = &query.cursor {
        let parts = decode_cursor(cursor, 2)?;
        let (Some(created), Some(id)) = (parts.first(), parts.get(1)) else {
            return Err(StoreError::Invalid("malformed cursor".into()));
        };
        // Parsed as an integer, so only a number reaches the SQL text.
        let created: i64 = created
            .parse()
            .map_err(|_| StoreError::Invalid("malformed cursor".into()))?;
        push(
            &mut sql,
            format!(
                " AND (created_micros > {created} OR (created_micros = {created} AND id > $?))"
            ),
            id.clone(),
        );
    }
    let limit = query.limit.clamp(1, 100);
    sql.push_str(&format!(" ORDER BY created_micros, id LIMIT {}", limit + 1));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(backend)?;
    let take = usize::try_from(limit).unwrap_or(100);
    let items = rows
        .iter()
        .take(take)
        .map(form)
        .collect::<Result<Vec<_>>>()?;
    let next_cursor = if rows.len() > take {
        items
            .last()
            .map(|f| encode_cursor(&[&f.created_micros.to_string(), &f.id.to_string()]))
    } else {
        None
    };
    let keys: Vec<String> = items.iter().map(|f| f.id.to_string()).collect();
    append(conn, access, actions::FORM_LIST, "form", &keys.join(",")).await?;
    Ok(Page { items, next_cursor })
}

pub(crate) async fn decide(
    conn: &mut SqliteConnection,
    access: &Access,
    id: Uuid,
    decision: &FormDecision,
) -> Result<StagedForm> {
    let Some(current) = get(conn, access, id, false).await? else {
        return Err(StoreError::NotFound(format!("staged form {id}")));
    };
    if !current.status.is_open() {
        return Err(StoreError::Invalid(format!(
            "form {id} is already {}",
            current.status.as_str()
        )));
    }
    let now = access.now_micros;
    match decision {
        FormDecision::Verify => {
            if current.status != FormStatus::Draft {
                return Err(StoreError::Invalid(format!(
                    "form {id} is already verified"
                )));
            }
            set_status(conn, id, FormStatus::Verified, access, None).await?;
        }
        FormDecision::Correct {
            data,
            locality,
            findings,
        } => {
            sqlx::query(
                "UPDATE staged_forms SET status = 'draft', personal_id = $1, content_hash = $2, data = $3, findings = $4,
                    home_province = $5, home_district = $6, home_commune = $7, decided_by = $8, decided_micros = $9
                 WHERE id = $10",
            )
            .bind(data.personal_id.as_string())
            .bind(content_hash(data))
            .bind(to_json(data.as_ref())?)
            .bind(to_json(findings)?)
            .bind(locality.as_ref().map(|l| l.province.as_str().to_owned()))
            .bind(locality.as_ref().and_then(|l| l.district.as_ref()).map(|d| d.as_str().to_owned()))
            .bind(locality.as_ref().map(|l| l.commune.as_str().to_owned()))
            .bind(&access.actor)
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        FormDecision::Approve => {
            if current.status != FormStatus::Verified {
                return Err(StoreError::Invalid(format!(
                    "form {id} must be verified before it is approved"
                )));
            }
            let everyone = unscoped(access);
            let source = format!("form {id}");
            let p = Provenance {
                actor: &access.actor,
                source: &source,
                at_micros: now,
            };
            match get_unaudited(conn, &everyone, &current.data.personal_id).await? {
                Some(existing) => {
                    update(
                        conn,
                        &existing,
                        &current.data,
                        current.locality.as_ref(),
                        RecordStatus::Official,
                        &p,
                    )
                    .await?
                }
                None => {
                    insert(
                        conn,
                        Uuid::now_v7(),
                        &current.data,
                        current.locality.as_ref(),
                        RecordStatus::Official,
                        &p,
                    )
                    .await?
                }
            }
            if let Some(h) = household_of(&current.data) {
                upsert_households(conn, std::slice::from_ref(&h)).await?;
            }
            set_status(conn, id, FormStatus::Approved, access, None).await?;
        }
        FormDecision::Reject { reason } => {
            set_status(conn, id, FormStatus::Rejected, access, Some(reason)).await?;
        }
    }
    append(
        conn,
        access,
        &format!("{}.{}", actions::FORM_DECIDE, decision.name()),
        "form",
        &id.to_string(),
    )
    .await?;
    get(conn, access, id, false)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("staged form {id}")))
}

async fn set_status(
    conn: &mut SqliteConnection,
    id: Uuid,
    status: FormStatus,
    access: &Access,
    reason: Option<&String>,
) -> Result<()> {
    sqlx::query(
        "UPDATE staged_forms SET status = $1, decided_by = $2, decided_micros = $3,
            decision_reason = COALESCE($4, decision_reason) WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(&access.actor)
    .bind(access.now_micros)
    .bind(reason.cloned())
    .bind(id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
