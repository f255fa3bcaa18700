//! Citizens, their history, households and personal ID allocation.

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminCode, Locality, PersonalId, RecordStatus};
use cancuoc_store::*;
use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::audit::append;
use crate::backend;
use crate::rows::{CITIZEN_COLUMNS, citizen, col, corrupt};

/// The scope clause for the caller's jurisdiction, with its bind value.
fn scope_clause(access: &Access, n: usize) -> Option<(String, String)> {
    access
        .scope_filter()
        .map(|f| (format!(" AND {} = ${n}", f.column), f.code))
}

pub(crate) async fn get_unaudited(
    conn: &mut SqliteConnection,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CitizenRecord>> {
    let mut sql = format!("SELECT {CITIZEN_COLUMNS} FROM citizens WHERE personal_id = $1");
    let scope = scope_clause(access, 2);
    if let Some((clause, _)) = &scope {
        sql.push_str(clause);
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pid.as_string());
    if let Some((_, code)) = scope {
        q = q.bind(code);
    }
    q.fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
        .as_ref()
        .map(citizen)
        .transpose()
}

pub(crate) async fn get(
    conn: &mut SqliteConnection,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CitizenRecord>> {
    let found = get_unaudited(conn, access, pid).await?;
    append(
        conn,
        access,
        actions::CITIZEN_READ,
        "citizen",
        &pid.as_string(),
    )
    .await?;
    Ok(found)
}

pub(crate) async fn history(
    conn: &mut SqliteConnection,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<Vec<HistoryEntry>>> {
    let entries = match get_unaudited(conn, access, pid).await? {
        Some(record) => Some(history_entries(conn, &record).await?),
        None => None,
    };
    // Asking is an access too: an unknown number is audited like a found record.
    append(
        conn,
        access,
        actions::CITIZEN_HISTORY,
        "citizen",
        &pid.as_string(),
    )
    .await?;
    Ok(entries)
}

async fn history_entries(
    conn: &mut SqliteConnection,
    record: &CitizenRecord,
) -> Result<Vec<HistoryEntry>> {
    let rows = sqlx::query(
        "SELECT version, at_micros, actor, source, status, changed_fields, data FROM citizen_history
         WHERE citizen_key = $1 ORDER BY version",
    )
    .bind(record.key.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let fields: String = col(r, "changed_fields")?;
        let status: String = col(r, "status")?;
        // A superseded version keeps its data; the current one is the record itself.
        let data: Option<String> = col(r, "data")?;
        let residence = match data {
            Some(json) => cancuoc_store::residence_of(
                &serde_json::from_str::<CitizenData>(&json).map_err(|_| corrupt("history data"))?,
            ),
            None => cancuoc_store::residence_of(&record.data),
        };
        out.push(HistoryEntry {
            version: col(r, "version")?,
            at_micros: col(r, "at_micros")?,
            actor: col(r, "actor")?,
            source: col(r, "source")?,
            status: RecordStatus::parse(&status).ok_or_else(|| corrupt("history status"))?,
            changed_fields: serde_json::from_str(&fields).map_err(|_| corrupt("history fields"))?,
            residence,
        });
    }
    Ok(out)
}

enum Bind {
    Text(String),
    Int(i64),
}

pub(crate) async fn search(
    conn: &mut SqliteConnection,
    access: &Access,
    query: &CitizenQuery,
) -> Result<Page<CitizenRecord>> {
    let mut sql = format!("SELECT {CITIZEN_COLUMNS} FROM citizens WHERE 1 = 1");
    let mut binds: Vec<Bind> = Vec::new();
    let mut push = |sql: &mut String, clause: &str, value: Bind| {
        binds.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    if let Some(name) = query.name_key.as_deref().filter(|n| !n.is_empty()) {
        let r = NameRange::new(name);
        push(&mut sql, " AND name_key >= $?", Bind::Text(r.from.clone()));
        push(&mut sql, " AND name_key < $?", Bind::Text(r.to));
        push(&mut sql, " AND (name_key = $?", Bind::Text(r.from));
        push(
            &mut sql,
            " OR substr(name_key, 1, $?)",
            Bind::Int(r.word_prefix_chars),
        );
        push(&mut sql, " = $?)", Bind::Text(r.word_prefix));
    }
    if let Some(old) = &query.old_id_number {
        push(&mut sql, " AND old_id_number = $?", Bind::Text(old.clone()));
    }
    if let Some(year) = query.birth_year {
        push(&mut sql, " AND birth_year = $?", Bind::Int(i64::from(year)));
    }
    if let Some(date) = &query.birth_date {
        let iso = date.iso();
        let len = i64::try_from(iso.len()).unwrap_or(10);
        push(&mut sql, " AND substr(birth_date, 1, $?)", Bind::Int(len));
        push(&mut sql, " = $?", Bind::Text(iso));
    }
    if let Some(unit) = &query.unit {
        let f = ScopeFilter::for_code(unit);
        push(
            &mut sql,
            &format!(" AND {} = $?", f.column),
            Bind::Text(f.code),
        );
    }
    if let Some(f) = access.scope_filter() {
        push(
            &mut sql,
            &format!(" AND {} = $?", f.column),
            Bind::Text(f.code),
        );
    }
    if let Some(cursor) = &query.cursor {
        let parts = decode_cursor(cursor, 3)?;
        let (Some(name), Some(year), Some(pid)) = (parts.first(), parts.get(1), parts.get(2))
        else {
            return Err(StoreError::Invalid("malformed cursor".into()));
        };
        let year: i64 = year
            .parse()
            .map_err(|_| StoreError::Invalid("malformed cursor".into()))?;
        push(
            &mut sql,
            " AND (name_key, birth_year, personal_id) > ($?",
            Bind::Text(name.clone()),
        );
        push(&mut sql, ", $?", Bind::Int(year));
        push(&mut sql, ", $?)", Bind::Text(pid.clone()));
    }
    let limit = query.limit.clamp(1, 100);
    // The order of the name index (name, birth year, ID), so that a page is read off the
    // index in order and a birth-year filter is checked there, not in every row.
    push(
        &mut sql,
        " ORDER BY name_key, birth_year, personal_id LIMIT $?",
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
    let mut items = Vec::with_capacity(rows.len());
    let mut next_cursor = None;
    for (i, r) in rows.iter().enumerate() {
        if i == usize::try_from(limit).unwrap_or(100) {
            break;
        }
        items.push(citizen(r)?);
        if i + 1 == usize::try_from(limit).unwrap_or(100) && rows.len() > i + 1 {
            let name: String = col(r, "name_key")?;
            let pid: String = col(r, "personal_id")?;
            let year = items
                .last()
                .map(|c| c.data.birth_date.year().to_string())
                .unwrap_or_default();
            next_cursor = Some(encode_cursor(&[&name, &year, &pid]));
        }
    }
    let shown: Vec<String> = items
        .iter()
        .map(|c| c.data.personal_id.as_string())
        .collect();
    append(
        conn,
        access,
        actions::CITIZEN_SEARCH,
        "citizen",
        &shown.join(","),
    )
    .await?;
    Ok(Page { items, next_cursor })
}

pub(crate) async fn household(
    conn: &mut SqliteConnection,
    access: &Access,
    number: &str,
) -> Result<Option<Household>> {
    let row = sqlx::query(
        "SELECT number, commune, address, head_personal_id FROM households WHERE number = $1",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    let Some(row) = row else {
        append(conn, access, actions::HOUSEHOLD_READ, "household", number).await?;
        return Ok(None);
    };
    let mut sql = "SELECT personal_id, data FROM citizens WHERE household_number = $1".to_owned();
    let scope = scope_clause(access, 2);
    if let Some((clause, _)) = &scope {
        sql.push_str(clause);
    }
    sql.push_str(" ORDER BY personal_id");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number);
    if let Some((_, code)) = scope {
        q = q.bind(code);
    }
    let member_rows = q.fetch_all(&mut *conn).await.map_err(backend)?;
    append(conn, access, actions::HOUSEHOLD_READ, "household", number).await?;
    // A household none of whose members lie in the caller's jurisdiction is not theirs to see.
    if member_rows.is_empty() && access.scope_filter().is_some() {
        return Ok(None);
    }
    let mut members = Vec::with_capacity(member_rows.len());
    for r in &member_rows {
        let data = crate::rows::citizen_data(r)?;
        members.push(HouseholdMember {
            personal_id: data.personal_id,
            full_name: data.full_name,
            relation_to_head: data.relation_to_head,
        });
    }
    let commune: String = col(&row, "commune")?;
    let head: Option<String> = col(&row, "head_personal_id")?;
    Ok(Some(Household {
        number: col(&row, "number")?,
        commune: AdminCode::parse(&commune).map_err(|_| corrupt("household commune"))?,
        address: col(&row, "address")?,
        head: head.and_then(|h| PersonalId::parse(&h).ok()),
        members,
    }))
}

/// Where a new version of a record comes from, for its history.
pub(crate) struct Provenance<'a> {
    pub actor: &'a str,
    pub source: &'a str,
    pub at_micros: i64,
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
const CITIZEN_INSERT: &str = "INSERT OR FAIL INTO citizens (key, personal_id, old_id_number, name_key, birth_year,
    birth_date, dup_key, household_number, home_province, home_district, home_commune, status, version,
    data, updated_micros) VALUES ";

const HISTORY_INSERT: &str =
    "INSERT OR FAIL INTO citizen_history (citizen_key, version, at_micros, actor,
    source, status, changed_fields) VALUES ";

/// Inserts new records, version 1, with their first history entries, many rows per
/// statement. A personal ID already in the register fails the whole call as `Conflict`.
pub(crate) async fn insert_records(
    conn: &mut SqliteConnection,
    records: &[NewRecord],
    actor: &str,
    at_micros: i64,
) -> Result<()> {
    for part in records.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("{CITIZEN_INSERT}{}", placeholders(part.len(), 15));
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
                .bind(at_micros);
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

/// Inserts a new record with its first history entry.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    key: Uuid,
    data: &CitizenData,
    locality: Option<&Locality>,
    status: RecordStatus,
    p: &Provenance<'_>,
) -> Result<()> {
    let record = NewRecord {
        columns: CitizenColumns::new(key, data, locality, status)?,
        source: p.source.to_owned(),
    };
    insert_records(conn, std::slice::from_ref(&record), p.actor, p.at_micros)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "personal ID {} is already in the register",
                data.personal_id
            )),
            other => other,
        })
}

/// Replaces a record's data with a new version.
pub(crate) async fn update(
    conn: &mut SqliteConnection,
    current: &CitizenRecord,
    data: &CitizenData,
    locality: Option<&Locality>,
    status: RecordStatus,
    p: &Provenance<'_>,
) -> Result<()> {
    let c = CitizenColumns::new(current.key, data, locality, status)?;
    let changed = current.data.differing_fields(data);
    let version = current.version + 1;
    let r = sqlx::query(
        "UPDATE citizens SET personal_id = $1, old_id_number = $2, name_key = $3, birth_year = $4, birth_date = $5,
            dup_key = $6, household_number = $7, home_province = $8, home_district = $9, home_commune = $10,
            status = $11, version = $12, data = $13, updated_micros = $14
         WHERE key = $15 AND version = $16",
    )
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
    .bind(status.as_str())
    .bind(version)
    .bind(&c.data_json)
    .bind(p.at_micros)
    .bind(current.key.to_string())
    .bind(current.version)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if r.rows_affected() != 1 {
        return Err(StoreError::Conflict("the record changed meanwhile".into()));
    }
    // The version just superseded keeps its data in its history entry from now on.
    sqlx::query("UPDATE citizen_history SET data = $1 WHERE citizen_key = $2 AND version = $3")
        .bind(to_json(&current.data)?)
        .bind(current.key.to_string())
        .bind(current.version)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    sqlx::query(
        "INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(current.key.to_string())
    .bind(version)
    .bind(p.at_micros)
    .bind(p.actor)
    .bind(p.source)
    .bind(status.as_str())
    .bind(to_json(&changed)?)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Creates or updates households, many per statement; a head already recorded is
/// kept unless the new row names one. Numbers must not repeat within the call
/// (see `merge_households`).
pub(crate) async fn upsert_households(
    conn: &mut SqliteConnection,
    households: &[NewHousehold],
) -> Result<()> {
    for part in households.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO households (number, commune, address, head_personal_id) VALUES {}
             ON CONFLICT (number) DO UPDATE
                SET head_personal_id = COALESCE(excluded.head_personal_id, households.head_personal_id)",
            placeholders(part.len(), 4)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for h in part {
            q = q
                .bind(&h.number)
                .bind(h.commune.as_str())
                .bind(&h.address)
                .bind(h.head.as_ref().map(PersonalId::as_string));
        }
        q.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

pub(crate) async fn load_population(
    conn: &mut SqliteConnection,
    access: &Access,
    batch: &PopulationBatch,
) -> Result<u64> {
    upsert_households(conn, &merge_households(&batch.households)).await?;
    let records: Vec<NewRecord> = batch
        .citizens
        .iter()
        .map(|c| NewRecord {
            columns: c.columns.clone(),
            source: batch.source.clone(),
        })
        .collect();
    insert_records(conn, &records, &access.actor, access.now_micros).await?;
    append(conn, access, actions::CITIZEN_LOAD, "batch", &batch.source).await?;
    Ok(batch.citizens.len() as u64)
}

pub(crate) async fn allocate_id(
    conn: &mut SqliteConnection,
    access: &Access,
    prefix: &IdPrefix,
    permutation: &SerialPermutation,
) -> Result<PersonalId> {
    loop {
        let counter: i64 = sqlx::query_scalar(
            "INSERT INTO id_counters (prefix, next) VALUES ($1, 1)
             ON CONFLICT (prefix) DO UPDATE SET next = id_counters.next + 1
             RETURNING next - 1",
        )
        .bind(prefix.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        let serial = u32::try_from(counter)
            .ok()
            .and_then(|n| permutation.serial(n))
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "no personal ID numbers left under {}",
                    prefix.as_str()
                ))
            })?;
        let Some(id) = PersonalId::from_parts(prefix.clone(), serial) else {
            return Err(StoreError::Invalid("prefix does not form a number".into()));
        };
        let taken: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM citizens WHERE personal_id = $1) + (SELECT COUNT(*) FROM id_reservations WHERE personal_id = $1)",
        )
        .bind(id.as_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        if taken > 0 {
            // Imported records carry numbers issued elsewhere; skip past them.
            continue;
        }
        sqlx::query(
            "INSERT INTO id_reservations (personal_id, reserved_micros, actor) VALUES ($1, $2, $3)",
        )
        .bind(id.as_string())
        .bind(access.now_micros)
        .bind(&access.actor)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        append(
            conn,
            access,
            actions::ID_ALLOCATE,
            "personal_id",
            &id.as_string(),
        )
        .await?;
        return Ok(id);
    }
}
