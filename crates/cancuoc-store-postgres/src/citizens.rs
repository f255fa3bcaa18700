//! Citizens, their history, households and personal ID allocation.

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminCode, Locality, PersonalId, RecordStatus};
use cancuoc_store::*;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::append;
use crate::backend;
use crate::copy::{Csv, copy_in};
use crate::rows::{CITIZEN_COLUMNS, citizen, col, corrupt};

/// The scope clause for the caller's jurisdiction, with its bind value.
fn scope_clause(access: &Access, n: usize) -> Option<(String, String)> {
    access
        .scope_filter()
        .map(|f| (format!(" AND {} = ${n}", f.column), f.code))
}

pub(crate) async fn get_unaudited(
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
    record: &CitizenRecord,
) -> Result<Vec<HistoryEntry>> {
    let rows = sqlx::query(
        "SELECT version, at_micros, actor, source, status, changed_fields::text AS changed_fields, data::text AS data FROM citizen_history
         WHERE citizen_key = $1::uuid ORDER BY version",
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
    Int4(i32),
}

pub(crate) async fn search(
    conn: &mut PgConnection,
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
        // name_key is COLLATE "C", so the range is a byte range as on SQLite.
        let r = NameRange::new(name);
        push(&mut sql, " AND name_key >= $?", Bind::Text(r.from.clone()));
        push(&mut sql, " AND name_key < $?", Bind::Text(r.to));
        push(&mut sql, " AND (name_key = $?", Bind::Text(r.from));
        push(
            &mut sql,
            " OR substr(name_key, 1, $?)",
            Bind::Int4(i32::try_from(r.word_prefix_chars).unwrap_or(i32::MAX)),
        );
        push(&mut sql, " = $?)", Bind::Text(r.word_prefix));
    }
    if let Some(old) = &query.old_id_number {
        push(&mut sql, " AND old_id_number = $?", Bind::Text(old.clone()));
    }
    if let Some(year) = query.birth_year {
        push(
            &mut sql,
            " AND birth_year = $?",
            Bind::Int4(i32::from(year)),
        );
    }
    if let Some(date) = &query.birth_date {
        let iso = date.iso();
        let len = i32::try_from(iso.len()).unwrap_or(10);
        push(&mut sql, " AND substr(birth_date, 1, $?)", Bind::Int4(len));
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
        let year: i32 = year
            .parse()
            .map_err(|_| StoreError::Invalid("malformed cursor".into()))?;
        push(
            &mut sql,
            " AND (name_key, birth_year, personal_id) > ($?",
            Bind::Text(name.clone()),
        );
        push(&mut sql, ", $?", Bind::Int4(year));
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
            Bind::Int4(i) => q.bind(i),
        };
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(backend)?;
    let take = usize::try_from(limit).unwrap_or(100);
    let mut items = Vec::with_capacity(rows.len());
    let mut next_cursor = None;
    for (i, r) in rows.iter().enumerate() {
        if i == take {
            break;
        }
        items.push(citizen(r)?);
        if i + 1 == take && rows.len() > i + 1 {
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
    conn: &mut PgConnection,
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
    let mut sql =
        "SELECT personal_id, data::text AS data FROM citizens WHERE household_number = $1"
            .to_owned();
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

/// Inserts new records, version 1, with their first history entries, by `COPY`. A
/// personal ID already in the register (or repeated) fails the whole call as `Conflict`.
pub(crate) async fn insert_records(
    conn: &mut PgConnection,
    records: &[NewRecord],
    actor: &str,
    at_micros: i64,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    copy_in(
        conn,
        "COPY citizens (key, personal_id, old_id_number, name_key, birth_year, birth_date, dup_key, household_number,
            home_province, home_district, home_commune, status, version, data, updated_micros) FROM STDIN (FORMAT csv)",
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

/// Inserts a new record with its first history entry.
pub(crate) async fn insert(
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
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
            status = $11, version = $12, data = $13::jsonb, updated_micros = $14
         WHERE key = $15::uuid AND version = $16",
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
    sqlx::query(
        "UPDATE citizen_history SET data = $1::jsonb WHERE citizen_key = $2::uuid AND version = $3",
    )
    .bind(to_json(&current.data)?)
    .bind(current.key.to_string())
    .bind(current.version)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query(
        "INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields)
         VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::jsonb)",
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

/// Creates or updates households in one statement over arrays; a head already recorded
/// is kept unless the new row names one. Numbers must not repeat within the call (see
/// `merge_households`): one statement may not update a row twice.
pub(crate) async fn upsert_households(
    conn: &mut PgConnection,
    households: &[NewHousehold],
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
        "INSERT INTO households (number, commune, address, head_personal_id)
            SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (number) DO UPDATE
            SET head_personal_id = COALESCE(excluded.head_personal_id, households.head_personal_id)",
    )
    .bind(&numbers)
    .bind(&communes)
    .bind(&addresses)
    .bind(&heads)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Loads a generated population: households merged and upserted in one statement,
/// citizens and their first history entries by `COPY`. Runs in a write transaction that
/// holds the audit lock.
pub(crate) async fn load_population(
    conn: &mut PgConnection,
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

/// Runs in a write transaction that holds the audit lock, so allocations are serialised;
/// the counter upsert is atomic by itself and the reservation's primary key would refuse
/// a number handed out twice in any case.
pub(crate) async fn allocate_id(
    conn: &mut PgConnection,
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
