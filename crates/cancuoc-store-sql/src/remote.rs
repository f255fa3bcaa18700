//! The province police's list of mountain, border and island districts (the 20-working-day
//! limit of the 2014 law): entries are added and ended, never deleted, each step audited.

use cancuoc_domain::remote::{RemoteDistrict, RemoteKind};
use cancuoc_store::{Access, RemoteDistrictRecord, Result, StoreError, actions};
use jiff::civil::Date;
use uuid::Uuid;

use crate::{Row, Tx, Value, corrupt, int, key, text};

const COLUMNS: &str =
    "id, district, kind, basis, valid_from, valid_to, created_by, created_micros, ended_by";

fn day(value: &str, name: &str) -> Result<Date> {
    value.parse().map_err(|_| corrupt(name))
}

fn record(row: &Row) -> Result<RemoteDistrictRecord> {
    let kind = text(row, "kind")?;
    Ok(RemoteDistrictRecord {
        id: key(row, "id")?,
        entry: RemoteDistrict {
            district: text(row, "district")?,
            kind: RemoteKind::parse(&kind).ok_or_else(|| corrupt("remote district kind"))?,
            basis: text(row, "basis")?,
            valid_from: day(&text(row, "valid_from")?, "valid_from")?,
            valid_to: row
                .text("valid_to")?
                .map(|d| day(&d, "valid_to"))
                .transpose()?,
        },
        created_by: text(row, "created_by")?,
        created_micros: int(row, "created_micros")?,
        ended_by: row.text("ended_by")?,
    })
}

/// Every entry, current or ended, by district and start.
pub async fn list(tx: &mut dyn Tx) -> Result<Vec<RemoteDistrictRecord>> {
    tx.fetch(
        &format!("SELECT {COLUMNS} FROM remote_districts ORDER BY district, valid_from, id"),
        &[],
    )
    .await?
    .iter()
    .map(record)
    .collect()
}

/// Adds an entry; one that overlaps an entry of the same district in force is refused.
pub async fn add(tx: &mut dyn Tx, access: &Access, new: &RemoteDistrictRecord) -> Result<()> {
    let clash = list(tx)
        .await?
        .into_iter()
        .find(|e| e.entry.district == new.entry.district && overlap(&e.entry, &new.entry));
    if let Some(clash) = clash {
        return Err(StoreError::Conflict(format!(
            "district {} is already listed from {} ({})",
            clash.entry.district, clash.entry.valid_from, clash.entry.basis
        )));
    }
    tx.execute(
        &format!(
            "INSERT INTO remote_districts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
        ),
        &[
            Value::from(new.id.to_string()),
            Value::from(new.entry.district.as_str()),
            Value::from(new.entry.kind.as_str()),
            Value::from(new.entry.basis.as_str()),
            Value::from(new.entry.valid_from.to_string()),
            Value::from(new.entry.valid_to.map(|d| d.to_string())),
            Value::from(new.created_by.as_str()),
            Value::from(new.created_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::REMOTE_DISTRICT_ADD,
        "remote_district",
        &new.id.to_string(),
    )
    .await
}

fn overlap(a: &RemoteDistrict, b: &RemoteDistrict) -> bool {
    let ends_after = |entry: &RemoteDistrict, day: Date| entry.valid_to.is_none_or(|to| day <= to);
    ends_after(a, b.valid_from) && ends_after(b, a.valid_from)
}

/// Ends an entry on `last_day` (it stays in force that day); an entry cannot end before
/// it starts, nor be ended twice.
pub async fn end(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
    last_day: Date,
) -> Result<RemoteDistrictRecord> {
    let row = tx
        .fetch_one(
            &format!("SELECT {COLUMNS} FROM remote_districts WHERE id = $1"),
            &[Value::from(id.to_string())],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("remote district entry {id}")))?;
    let current = record(&row)?;
    if current.ended_by.is_some() {
        return Err(StoreError::Conflict(format!(
            "the entry was already ended on {}",
            current
                .entry
                .valid_to
                .map_or_else(String::new, |d| d.to_string())
        )));
    }
    if current.entry.valid_to.is_some_and(|to| last_day > to) {
        return Err(StoreError::Invalid(format!(
            "valid_to: an entry ends earlier than {}, never later",
            current
                .entry
                .valid_to
                .map_or_else(String::new, |d| d.to_string())
        )));
    }
    if last_day < current.entry.valid_from {
        return Err(StoreError::Invalid(format!(
            "valid_to: {last_day} is before the entry's start {}",
            current.entry.valid_from
        )));
    }
    tx.execute(
        "UPDATE remote_districts SET valid_to = $1, ended_by = $2 WHERE id = $3",
        &[
            Value::from(last_day.to_string()),
            Value::from(access.actor.as_str()),
            Value::from(id.to_string()),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::REMOTE_DISTRICT_END,
        "remote_district",
        &id.to_string(),
    )
    .await?;
    let row = tx
        .fetch_one(
            &format!("SELECT {COLUMNS} FROM remote_districts WHERE id = $1"),
            &[Value::from(id.to_string())],
        )
        .await?
        .ok_or_else(|| StoreError::Backend("an ended entry vanished".into()))?;
    record(&row)
}
