//! Citizens, their history, households and personal ID allocation.

use cancuoc_domain::audit::Outcome;
use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminCode, Locality, PersonalId, RecordStatus};
use cancuoc_store::*;
use uuid::Uuid;

use crate::{Query, Row, Tx, Value, corrupt, int, key, text};

pub const CITIZEN_COLUMNS: &str = "key, status, version, data, home_province, home_district, home_commune, updated_micros, name_key, personal_id";

/// The place a row's three `home_*` columns name, if any.
pub fn locality(row: &Row) -> Result<Option<Locality>> {
    locality_of(
        row.text("home_province")?,
        row.text("home_district")?,
        row.text("home_commune")?,
    )
}

/// The place three `home_*` column values name (province and commune both set), if any.
pub fn locality_of(
    province: Option<String>,
    district: Option<String>,
    commune: Option<String>,
) -> Result<Option<Locality>> {
    let code = |s: String| AdminCode::parse(&s).map_err(|_| corrupt("locality"));
    match (province, commune) {
        (Some(p), Some(c)) => Ok(Some(Locality {
            province: code(p)?,
            district: district.map(code).transpose()?,
            commune: code(c)?,
        })),
        _ => Ok(None),
    }
}

pub fn citizen_data(row: &Row) -> Result<CitizenData> {
    serde_json::from_str(&text(row, "data")?).map_err(|_| corrupt("citizen data"))
}

pub fn citizen(row: &Row) -> Result<CitizenRecord> {
    Ok(CitizenRecord {
        key: key(row, "key")?,
        status: RecordStatus::parse(&text(row, "status")?)
            .ok_or_else(|| corrupt("record status"))?,
        version: int(row, "version")?,
        data: citizen_data(row)?,
        locality: locality(row)?,
        updated_micros: int(row, "updated_micros")?,
    })
}

/// The citizen behind a personal ID within the caller's scope, not audited.
pub async fn get_unaudited(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CitizenRecord>> {
    let mut q = Query::new(format!(
        "SELECT {CITIZEN_COLUMNS} FROM citizens WHERE personal_id = $1"
    ));
    q.args.push(pid.as_string().into());
    if let Some(f) = access.scope_filter() {
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    q.fetch(tx).await?.first().map(citizen).transpose()
}

/// The same, whatever the caller's scope: for decisions that must see the whole
/// register (a conflict with a record in another province is still a conflict).
pub async fn get_anywhere(tx: &mut dyn Tx, pid: &PersonalId) -> Result<Option<CitizenRecord>> {
    let sql = format!("SELECT {CITIZEN_COLUMNS} FROM citizens WHERE personal_id = $1");
    tx.fetch(&sql, &[pid.as_string().into()])
        .await?
        .first()
        .map(citizen)
        .transpose()
}

pub async fn get(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CitizenRecord>> {
    let found = get_unaudited(tx, access, pid).await?;
    tx.audit_outcome(
        access,
        actions::CITIZEN_READ,
        "citizen",
        &pid.as_string(),
        outcome_of(&found),
    )
    .await?;
    Ok(found)
}

pub async fn history(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<Vec<HistoryEntry>>> {
    let entries = match get_unaudited(tx, access, pid).await? {
        Some(record) => Some(history_entries(tx, &record).await?),
        None => None,
    };
    // Asking is an access too: an unknown number is audited, as not found.
    tx.audit_outcome(
        access,
        actions::CITIZEN_HISTORY,
        "citizen",
        &pid.as_string(),
        outcome_of(&entries),
    )
    .await?;
    Ok(entries)
}

async fn history_entries(tx: &mut dyn Tx, record: &CitizenRecord) -> Result<Vec<HistoryEntry>> {
    let rows = tx
        .fetch(
            "SELECT version, at_micros, actor, source, status, changed_fields, data FROM citizen_history
             WHERE citizen_key = $1 ORDER BY version",
            &[record.key.into()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        // A superseded version keeps its data; the current one is the record itself.
        let residence = match r.text("data")? {
            Some(json) => residence_of(
                &serde_json::from_str::<CitizenData>(&json).map_err(|_| corrupt("history data"))?,
            ),
            None => residence_of(&record.data),
        };
        out.push(HistoryEntry {
            version: int(r, "version")?,
            at_micros: int(r, "at_micros")?,
            actor: text(r, "actor")?,
            source: text(r, "source")?,
            status: RecordStatus::parse(&text(r, "status")?)
                .ok_or_else(|| corrupt("history status"))?,
            changed_fields: serde_json::from_str(&text(r, "changed_fields")?)
                .map_err(|_| corrupt("history fields"))?,
            residence,
        });
    }
    Ok(out)
}

/// `done` when something was found, `not_found` otherwise (absent or out of scope alike).
pub fn outcome_of<T>(found: &Option<T>) -> Outcome {
    match found {
        Some(_) => Outcome::Done,
        None => Outcome::NotFound,
    }
}

fn malformed() -> StoreError {
    StoreError::Invalid("malformed cursor".into())
}

pub async fn search(
    tx: &mut dyn Tx,
    access: &Access,
    query: &CitizenQuery,
) -> Result<Page<CitizenRecord>> {
    let mut q = Query::new(format!(
        "SELECT {CITIZEN_COLUMNS} FROM citizens WHERE 1 = 1"
    ));
    // A cursor of a search by words carries a fourth part, "w".
    let cursor = match &query.cursor {
        Some(c) => {
            let parts = decode_cursor(c, 4).or_else(|_| decode_cursor(c, 3))?;
            if parts.len() == 4 && parts.get(3).map(String::as_str) != Some("w") {
                return Err(malformed());
            }
            Some(parts)
        }
        None => None,
    };
    let by_words = query.name_words || cursor.as_ref().is_some_and(|p| p.len() == 4);
    if let Some(name) = query
        .name_key
        .as_deref()
        .filter(|n| !n.is_empty())
        .filter(|_| by_words)
    {
        // Spaces doubled, so that two words side by side each have a space of their own:
        // "  DANG  THI  HA  " LIKE "% DANG % HA %", each word whole, in order.
        let escaped: Vec<String> = name
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            })
            .collect();
        q.push(
            " AND replace(' ' || name_key || ' ', ' ', '  ') LIKE $? ESCAPE '\\'",
            format!("% {} %", escaped.join(" % ")),
        );
    } else if let Some(name) = query.name_key.as_deref().filter(|n| !n.is_empty()) {
        // name_key compares byte by byte on both (COLLATE "C" on PostgreSQL).
        let r = NameRange::new(name);
        q.push(" AND name_key >= $?", r.from.clone());
        q.push(" AND name_key < $?", r.to);
        q.push(" AND (name_key = $?", r.from);
        q.push(
            " OR substr(name_key, 1, CAST($? AS INTEGER))",
            r.word_prefix_chars,
        );
        q.push(" = $?)", r.word_prefix);
    }
    if let Some(old) = &query.old_id_number {
        q.push(" AND old_id_number = $?", old);
    }
    if let Some(year) = query.birth_year {
        q.push(" AND birth_year = CAST($? AS INTEGER)", i64::from(year));
    }
    if let Some((from, to)) = query.born_between {
        q.push(" AND birth_year >= CAST($? AS INTEGER)", i64::from(from));
        q.push(" AND birth_year <= CAST($? AS INTEGER)", i64::from(to));
    }
    if let Some(on) = query.due_a_card_on {
        // No day can make anyone 14 (a date before year 14): no one is due.
        let Some((clause, values)) = crate::campaigns::due_a_card(&*tx, "citizens", on) else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        q.raw(" AND ");
        q.push_numbered(&clause, values);
    }
    if query.missing_fields {
        let lacking: Vec<String> = cancuoc_domain::citizen::EXPECTED_FIELDS
            .iter()
            .map(|field| format!("{} IS NULL", tx.json_text("data", field)))
            .collect();
        q.raw(&format!(" AND ({})", lacking.join(" OR ")));
    }
    if query.staged {
        q.raw(
            " AND EXISTS (SELECT 1 FROM staged_forms f WHERE f.personal_id = citizens.personal_id \
               AND f.status IN ('draft', 'verified'))",
        );
    }
    if let Some(date) = &query.birth_date {
        let iso = date.iso();
        let len = i64::try_from(iso.len()).unwrap_or(10);
        q.push(" AND substr(birth_date, 1, CAST($? AS INTEGER))", len);
        q.push(" = $?", iso);
    }
    if let Some(unit) = &query.unit {
        let f = ScopeFilter::for_code(unit);
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(f) = access.scope_filter() {
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(parts) = &cursor {
        let (Some(name), Some(year), Some(pid)) = (parts.first(), parts.get(1), parts.get(2))
        else {
            return Err(malformed());
        };
        let year: i64 = year.parse().map_err(|_| malformed())?;
        q.push(" AND (name_key, birth_year, personal_id) > ($?", name);
        q.push(", CAST($? AS INTEGER)", year);
        q.push(", $?)", pid);
    }
    let limit = query.limit.clamp(1, 100);
    // The order of the name index (name, birth year, ID), so that a page is read off the
    // index in order and a birth-year filter is checked there, not in every row.
    q.push(
        " ORDER BY name_key, birth_year, personal_id LIMIT $?",
        i64::from(limit) + 1,
    );
    let rows = q.fetch(tx).await?;
    let take = usize::try_from(limit).unwrap_or(100);
    let mut items = Vec::with_capacity(rows.len().min(take));
    let mut next_cursor = None;
    for (i, r) in rows.iter().enumerate().take(take) {
        items.push(citizen(r)?);
        if i + 1 == take && rows.len() > take {
            let year = items
                .last()
                .map(|c| c.data.birth_date.year().to_string())
                .unwrap_or_default();
            let (name_key, pid) = (text(r, "name_key")?, text(r, "personal_id")?);
            next_cursor = Some(if by_words {
                encode_cursor(&[&name_key, &year, &pid, "w"])
            } else {
                encode_cursor(&[&name_key, &year, &pid])
            });
        }
    }
    let shown: Vec<String> = items
        .iter()
        .map(|c| c.data.personal_id.as_string())
        .collect();
    tx.audit(access, actions::CITIZEN_SEARCH, "citizen", &shown.join(","))
        .await?;
    Ok(Page { items, next_cursor })
}

pub async fn household(
    tx: &mut dyn Tx,
    access: &Access,
    number: &str,
) -> Result<Option<Household>> {
    let Some(row) = tx
        .fetch_one(
            "SELECT number, commune, address, head_personal_id FROM households WHERE number = $1",
            &[number.into()],
        )
        .await?
    else {
        tx.audit_outcome(
            access,
            actions::HOUSEHOLD_READ,
            "household",
            number,
            Outcome::NotFound,
        )
        .await?;
        return Ok(None);
    };
    let mut q = Query::new("SELECT personal_id, data FROM citizens WHERE household_number = $1");
    q.args.push(number.into());
    if let Some(f) = access.scope_filter() {
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    q.raw(" ORDER BY personal_id");
    let member_rows = q.fetch(tx).await?;
    // A household none of whose members lie in the caller's jurisdiction is not theirs to see.
    let hidden = member_rows.is_empty() && access.scope_filter().is_some();
    let outcome = if hidden {
        Outcome::NotFound
    } else {
        Outcome::Done
    };
    tx.audit_outcome(
        access,
        actions::HOUSEHOLD_READ,
        "household",
        number,
        outcome,
    )
    .await?;
    if hidden {
        return Ok(None);
    }
    let mut members = Vec::with_capacity(member_rows.len());
    for r in &member_rows {
        let data = citizen_data(r)?;
        members.push(HouseholdMember {
            personal_id: data.personal_id,
            full_name: data.full_name,
            relation_to_head: data.relation_to_head,
        });
    }
    Ok(Some(Household {
        number: text(&row, "number")?,
        commune: AdminCode::parse(&text(&row, "commune")?)
            .map_err(|_| corrupt("household commune"))?,
        address: text(&row, "address")?,
        head: row
            .text("head_personal_id")?
            .and_then(|h| PersonalId::parse(&h).ok()),
        members,
    }))
}

/// Where a new version of a record comes from, for its history.
pub struct Provenance<'a> {
    pub actor: &'a str,
    pub source: &'a str,
    pub at_micros: i64,
}

/// A record's fourteen column values in the order both statements name them ($1 to $14).
fn record_values(c: &CitizenColumns, version: i64, at_micros: i64) -> Vec<Value> {
    vec![
        Value::from(&c.personal_id),
        c.old_id_number.clone().into(),
        Value::from(&c.name_key),
        i64::from(c.birth_year).into(),
        Value::from(&c.birth_date),
        Value::from(&c.dup_key),
        c.household_number.clone().into(),
        c.home_province.clone().into(),
        c.home_district.clone().into(),
        c.home_commune.clone().into(),
        c.status.as_str().into(),
        version.into(),
        Value::Json(Some(c.data_json.clone())),
        at_micros.into(),
    ]
}

/// Inserts one new record with its first history entry.
pub async fn insert(
    tx: &mut dyn Tx,
    key: Uuid,
    data: &CitizenData,
    locality: Option<&Locality>,
    status: RecordStatus,
    p: &Provenance<'_>,
) -> Result<()> {
    let c = CitizenColumns::new(key, data, locality, status)?;
    let pid = data.personal_id.as_string();
    let before = crate::eligible::standing(tx, &pid).await?;
    let mut args = record_values(&c, 1, p.at_micros);
    args.push(c.key.into());
    tx.execute(
        "INSERT INTO citizen_rows (personal_id, old_id_number, name_key, birth_year, birth_date, dup_key,
            household_number, home_province, home_district, home_commune, status, version, data, updated_micros, key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        &args,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "personal ID {} is already in the register",
            data.personal_id
        )),
        other => other,
    })?;
    tx.execute(
        "INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            key.into(),
            1_i64.into(),
            p.at_micros.into(),
            p.actor.into(),
            p.source.into(),
            status.as_str().into(),
            Value::Json(Some("[]".into())),
        ],
    )
    .await?;
    crate::eligible::restate(tx, before, &pid).await
}

/// Replaces a record's data with a new version.
pub async fn update(
    tx: &mut dyn Tx,
    current: &CitizenRecord,
    data: &CitizenData,
    locality: Option<&Locality>,
    status: RecordStatus,
    p: &Provenance<'_>,
) -> Result<()> {
    let c = CitizenColumns::new(current.key, data, locality, status)?;
    let changed = current.data.differing_fields(data);
    let version = current.version + 1;
    let before = crate::eligible::standing(tx, &current.data.personal_id.as_string()).await?;
    let mut args = record_values(&c, version, p.at_micros);
    args.extend([current.key.into(), current.version.into()]);
    let rows = tx
        .execute(
            "UPDATE citizen_rows SET personal_id = $1, old_id_number = $2, name_key = $3, birth_year = $4, birth_date = $5,
                dup_key = $6, household_number = $7, home_province = $8, home_district = $9, home_commune = $10,
                status = $11, version = $12, data = $13, updated_micros = $14
             WHERE key = $15 AND version = $16",
            &args,
        )
        .await?;
    if rows != 1 {
        return Err(StoreError::Conflict("the record changed meanwhile".into()));
    }
    // The version just superseded keeps its data in its history entry from now on.
    tx.execute(
        "UPDATE citizen_history SET data = $1 WHERE citizen_key = $2 AND version = $3",
        &[
            Value::Json(Some(to_json(&current.data)?)),
            current.key.into(),
            current.version.into(),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            current.key.into(),
            version.into(),
            p.at_micros.into(),
            p.actor.into(),
            p.source.into(),
            status.as_str().into(),
            Value::Json(Some(to_json(&changed)?)),
        ],
    )
    .await?;
    crate::eligible::restate(tx, before, &data.personal_id.as_string()).await
}

/// Reserves the next free personal ID under a prefix.
pub async fn allocate_id(
    tx: &mut dyn Tx,
    access: &Access,
    prefix: &IdPrefix,
    permutation: &SerialPermutation,
) -> Result<PersonalId> {
    loop {
        let counter = tx
            .fetch_one(
                "INSERT INTO id_counters (prefix, next) VALUES ($1, 1)
                 ON CONFLICT (prefix) DO UPDATE SET next = id_counters.next + 1
                 RETURNING next - 1 AS counter",
                &[prefix.as_str().into()],
            )
            .await?
            .map(|r| int(&r, "counter"))
            .transpose()?
            .ok_or_else(|| corrupt("id counter"))?;
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
        let taken = tx
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM citizens WHERE personal_id = $1)
                    + (SELECT COUNT(*) FROM id_reservations WHERE personal_id = $1) AS n",
                &[id.as_string().into()],
            )
            .await?
            .map(|r| int(&r, "n"))
            .transpose()?
            .unwrap_or(0);
        if taken > 0 {
            // Imported records carry numbers issued elsewhere; skip past them.
            continue;
        }
        tx.execute(
            "INSERT INTO id_reservations (personal_id, reserved_micros, actor) VALUES ($1, $2, $3)",
            &[
                id.as_string().into(),
                access.now_micros.into(),
                Value::from(&access.actor),
            ],
        )
        .await?;
        tx.audit(access, actions::ID_ALLOCATE, "personal_id", &id.as_string())
            .await?;
        return Ok(id);
    }
}
