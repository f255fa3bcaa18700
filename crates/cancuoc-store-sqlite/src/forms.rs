//! Collection-form imports and the review of staged records.

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::text::fold;
use cancuoc_domain::{Locality, PersonalId, RecordStatus};
use cancuoc_store::*;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::audit::append;
use crate::backend;
use crate::citizens::{Provenance, get_unaudited, insert, update, upsert_household};
use crate::rows::{col, corrupt, locality, to_json, uuid};

/// The whole register, for decisions that must see beyond the caller's jurisdiction
/// (a conflict with a record in another province is still a conflict).
fn unscoped(access: &Access) -> Access {
    Access {
        scope: cancuoc_domain::Jurisdiction::Nation,
        ..access.clone()
    }
}

async fn duplicate_of(
    conn: &mut SqliteConnection,
    data: &CitizenData,
) -> Result<Option<PersonalId>> {
    let other: Option<String> = sqlx::query_scalar(
        "SELECT personal_id FROM citizens WHERE dup_key = $1 AND personal_id <> $2 LIMIT 1",
    )
    .bind(duplicate_key(data))
    .bind(data.personal_id.as_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(other.and_then(|p| PersonalId::parse(&p).ok()))
}

async fn open_form_with_content(conn: &mut SqliteConnection, hash: &str) -> Result<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM staged_forms WHERE content_hash = $1 AND status IN ('draft', 'verified') LIMIT 1",
    )
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(found.is_some())
}

/// Keeps the household table in step with a record that names one.
async fn register_household(conn: &mut SqliteConnection, data: &CitizenData) -> Result<()> {
    let (Some(number), Some(residence)) = (&data.household_number, &data.permanent_residence)
    else {
        return Ok(());
    };
    let is_head = data
        .relation_to_head
        .as_deref()
        .is_some_and(|r| fold(r) == "CHU HO");
    upsert_household(
        conn,
        number,
        &residence.commune,
        &residence.address,
        is_head.then_some(&data.personal_id),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn stage(
    conn: &mut SqliteConnection,
    id: Uuid,
    source: &str,
    row: usize,
    reason: StageReason,
    data: &CitizenData,
    locality: Option<&Locality>,
    findings: &[String],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO staged_forms (id, source, row_number, reason, status, personal_id, content_hash, data, findings,
            home_province, home_district, home_commune, created_micros)
         VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id.to_string())
    .bind(source)
    .bind(i64::try_from(row).unwrap_or(i64::MAX))
    .bind(reason.as_str())
    .bind(data.personal_id.as_string())
    .bind(content_hash(data))
    .bind(to_json(data)?)
    .bind(to_json(&findings)?)
    .bind(locality.map(|l| l.province.as_str().to_owned()))
    .bind(locality.and_then(|l| l.district.as_ref()).map(|d| d.as_str().to_owned()))
    .bind(locality.map(|l| l.commune.as_str().to_owned()))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(crate) async fn import(
    conn: &mut SqliteConnection,
    access: &Access,
    batch: &ImportBatch,
) -> Result<ImportOutcome> {
    let everyone = unscoped(access);
    let mut outcome = ImportOutcome::default();
    for row in &batch.rows {
        let hash = content_hash(&row.data);
        let already_staged = open_form_with_content(conn, &hash).await?;
        let existing = get_unaudited(conn, &everyone, &row.data.personal_id).await?;
        let duplicate = if existing.is_none() {
            duplicate_of(conn, &row.data).await?
        } else {
            None
        };
        let source = format!("{} row {}", batch.source, row.row);
        match decide_row(
            row,
            existing.as_ref().map(|e| &e.data),
            duplicate.as_ref(),
            already_staged,
        ) {
            RowDecision::Unchanged => outcome.unchanged += 1,
            RowDecision::Insert => {
                let p = Provenance {
                    actor: &access.actor,
                    source: &source,
                    at_micros: access.now_micros,
                };
                insert(
                    conn,
                    row.new_key,
                    &row.data,
                    row.locality.as_ref(),
                    RecordStatus::Official,
                    &p,
                )
                .await?;
                register_household(conn, &row.data).await?;
                outcome.inserted += 1;
            }
            RowDecision::Stage { reason, findings } => {
                stage(
                    conn,
                    row.new_key,
                    &batch.source,
                    row.row,
                    reason,
                    &row.data,
                    row.locality.as_ref(),
                    &findings,
                    access.now_micros,
                )
                .await?;
                outcome.staged.push((row.row, reason));
            }
        }
    }
    sqlx::query(
        "INSERT INTO imports (file_hash, source, at_micros, actor, inserted, unchanged, staged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&batch.file_hash)
    .bind(&batch.source)
    .bind(access.now_micros)
    .bind(&access.actor)
    .bind(i64::try_from(outcome.inserted).unwrap_or(i64::MAX))
    .bind(i64::try_from(outcome.unchanged).unwrap_or(i64::MAX))
    .bind(i64::try_from(outcome.staged.len()).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    append(
        conn,
        access,
        actions::FORMS_IMPORT,
        "import",
        &batch.file_hash,
    )
    .await?;
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
            register_household(conn, &current.data).await?;
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
