//! Collection-form imports and the review of staged records.

use cancuoc_domain::RecordStatus;
use cancuoc_store::*;
use futures_util::StreamExt;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::audit::append;
use crate::backend;
use crate::citizens::{
    Provenance, get_unaudited, insert, insert_records, update, upsert_households,
};
use crate::copy::{Csv, copy_in};
use crate::rows::{big, col, corrupt, locality, uuid};

/// Rows per chunk of an import on PostgreSQL, where each chunk costs a few round trips.
const PG_IMPORT_CHUNK: usize = 10 * IMPORT_CHUNK;

/// The whole register, for decisions that must see beyond the caller's jurisdiction
/// (a conflict with a record in another province is still a conflict).
fn unscoped(access: &Access) -> Access {
    Access {
        scope: cancuoc_domain::Jurisdiction::Nation,
        ..access.clone()
    }
}

/// What the register holds for a chunk's personal IDs, duplicate keys and contents.
async fn register_view(conn: &mut PgConnection, chunk: &PreparedChunk) -> Result<RegisterView> {
    let mut view = RegisterView::default();
    let rows = sqlx::query(
        "SELECT personal_id, data::text AS data FROM citizens WHERE personal_id = ANY($1::text[])",
    )
    .bind(chunk.personal_ids())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    for r in &rows {
        let data = crate::rows::citizen_data(r)?;
        view.existing.insert(col(r, "personal_id")?, data);
    }
    let rows =
        sqlx::query("SELECT dup_key, personal_id FROM citizens WHERE dup_key = ANY($1::text[])")
            .bind(chunk.duplicate_keys())
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
    for r in &rows {
        view.by_duplicate_key
            .entry(col(r, "dup_key")?)
            .or_default()
            .push(col(r, "personal_id")?);
    }
    let rows = sqlx::query(
        "SELECT content_hash FROM staged_forms
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

async fn insert_staged(conn: &mut PgConnection, rows: &[StagedRow], now: i64) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    copy_in(
        conn,
        "COPY staged_forms (id, source, row_number, reason, status, personal_id, content_hash, data, findings,
            home_province, home_district, home_commune, created_micros) FROM STDIN (FORMAT csv)",
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
                .end_row();
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// Applies an import chunk by chunk as the chunks arrive, gathered into chunks of
/// [`PG_IMPORT_CHUNK`] rows: three set queries read what the register holds for the
/// chunk, the shared planner decides every row, and `COPY` writes the result before the
/// next chunk is read.
///
/// Runs in a write transaction that took the audit lock before its first statement, so
/// two imports never interleave: the second one's reads of the register and of the open
/// staged forms (each statement sees what is committed under READ COMMITTED) come after
/// the first one committed, and the same file imported twice at once stages nothing twice.
pub(crate) async fn import(
    conn: &mut PgConnection,
    access: &Access,
    import: ImportStream<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportOutcome> {
    let ImportStream {
        source,
        file_hash,
        mut chunks,
        ..
    } = import;
    let mut done = 0u64;
    let mut outcome = ImportOutcome::default();
    let mut gathered: Option<PreparedChunk> = None;
    let mut ended = false;
    while !ended {
        match chunks.next().await.transpose()? {
            Some(chunk) => match &mut gathered {
                Some(g) => g.append(chunk),
                None => gathered = Some(chunk),
            },
            None => ended = true,
        }
        let full = gathered
            .as_ref()
            .is_some_and(|g| g.len() >= PG_IMPORT_CHUNK);
        if !(full || ended) {
            continue;
        }
        let Some(chunk) = gathered.take() else {
            break;
        };
        let view = register_view(conn, &chunk).await?;
        let plan = chunk.plan(&view, &source)?;
        upsert_households(conn, &plan.households).await?;
        insert_records(conn, &plan.records, &access.actor, access.now_micros).await?;
        insert_staged(conn, &plan.staged, access.now_micros).await?;
        outcome.inserted += plan.records.len() as u64;
        outcome.unchanged += plan.unchanged;
        outcome.staged.extend(plan.stage_reasons);
        done += chunk.len() as u64;
        progress(done);
    }
    sqlx::query(
        "INSERT INTO imports (file_hash, source, at_micros, actor, inserted, unchanged, staged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&file_hash)
    .bind(&source)
    .bind(access.now_micros)
    .bind(&access.actor)
    .bind(big(outcome.inserted))
    .bind(big(outcome.unchanged))
    .bind(big(outcome.staged.len()))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    append(conn, access, actions::FORMS_IMPORT, "import", &file_hash).await?;
    Ok(outcome)
}

const COLUMNS: &str = "id::text AS id, source, row_number, reason, status, data::text AS data, findings::text AS findings,
    home_province, home_district, home_commune, created_micros, decided_by, decided_micros, decision_reason";

fn form(row: &PgRow) -> Result<StagedForm> {
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

/// A staged form inside the caller's jurisdiction. `lock` takes its row lock (a decision
/// about to change it); `audited` appends the read to the trail.
async fn fetch(
    conn: &mut PgConnection,
    access: &Access,
    id: Uuid,
    audited: bool,
    lock: bool,
) -> Result<Option<StagedForm>> {
    let mut sql = format!("SELECT {COLUMNS} FROM staged_forms WHERE id = $1::uuid");
    let scope = access.scope_filter();
    if let Some(f) = &scope {
        sql.push_str(&format!(" AND {} = $2", f.column));
    }
    if lock {
        sql.push_str(" FOR UPDATE");
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

pub(crate) async fn get(
    conn: &mut PgConnection,
    access: &Access,
    id: Uuid,
    audited: bool,
) -> Result<Option<StagedForm>> {
    fetch(conn, access, id, audited, false).await
}

pub(crate) async fn list(
    conn: &mut PgConnection,
    access: &Access,
    query: &FormQuery,
) -> Result<Page<StagedForm>> {
    enum Bind {
        Text(String),
        Int(i64),
    }
    let mut sql = format!("SELECT {COLUMNS} FROM staged_forms WHERE 1 = 1");
    let mut binds: Vec<Bind> = Vec::new();
    let mut push = |sql: &mut String, clause: String, value: Bind| {
        binds.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    match query.status {
        Some(s) => push(
            &mut sql,
            " AND status = $?".into(),
            Bind::Text(s.as_str().into()),
        ),
        None => sql.push_str(" AND status IN ('draft', 'verified')"),
    }
    if let Some(f) = access.scope_filter() {
        push(
            &mut sql,
            format!(" AND {} = $?", f.column),
            Bind::Text(f.code),
        );
    }
    if let Some(unit) = &query.unit {
        let f = ScopeFilter::for_code(unit);
        push(
            &mut sql,
            format!(" AND {} = $?", f.column),
            Bind::Text(f.code),
        );
    }
    if let Some(cursor) = &query.cursor {
        let parts = decode_cursor(cursor, 2)?;
        let (Some(created), Some(id)) = (parts.first(), parts.get(1)) else {
            return Err(StoreError::Invalid("malformed cursor".into()));
        };
        let created: i64 = created
            .parse()
            .map_err(|_| StoreError::Invalid("malformed cursor".into()))?;
        let id = Uuid::parse_str(id).map_err(|_| StoreError::Invalid("malformed cursor".into()))?;
        // UUIDs order as their bytes, which is the order of their lower-case hex text.
        push(
            &mut sql,
            " AND (created_micros, id) > ($?".into(),
            Bind::Int(created),
        );
        push(&mut sql, ", $?::uuid)".into(), Bind::Text(id.to_string()));
    }
    let limit = query.limit.clamp(1, 100);
    push(
        &mut sql,
        " ORDER BY created_micros, id LIMIT $?".into(),
        Bind::Int(i64::from(limit) + 1),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
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
    conn: &mut PgConnection,
    access: &Access,
    id: Uuid,
    decision: &FormDecision,
) -> Result<StagedForm> {
    let Some(current) = fetch(conn, access, id, false, true).await? else {
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
                "UPDATE staged_forms SET status = 'draft', personal_id = $1, content_hash = $2, data = $3::jsonb,
                    findings = $4::jsonb, home_province = $5, home_district = $6, home_commune = $7, decided_by = $8,
                    decided_micros = $9
                 WHERE id = $10::uuid",
            )
            .bind(data.personal_id.as_string())
            .bind(content_hash(data))
            .bind(to_json(data.as_ref())?)
            .bind(to_json(findings)?)
            .bind(locality.as_ref().map(|l| l.province.as_str().to_owned()))
            .bind(
                locality
                    .as_ref()
                    .and_then(|l| l.district.as_ref())
                    .map(|d| d.as_str().to_owned()),
            )
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
    conn: &mut PgConnection,
    id: Uuid,
    status: FormStatus,
    access: &Access,
    reason: Option<&String>,
) -> Result<()> {
    sqlx::query(
        "UPDATE staged_forms SET status = $1, decided_by = $2, decided_micros = $3,
            decision_reason = COALESCE($4, decision_reason) WHERE id = $5::uuid",
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
