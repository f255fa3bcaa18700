//! Campaigns, quotas, the intake kept per unit and day, and eligible-population counts.

use cancuoc_domain::campaign::{Period, eligibility_cutoff};
use cancuoc_domain::{AdminLevel, RecordStatus};
use cancuoc_store::{
    Access, Campaign, EligibleQuery, IntakeCount, IntakeMismatch, Quota, Result, StoreError,
    actions,
};
use jiff::civil::Date;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::{Query, Row, Tx, Value, corrupt, int, text};

/// The condition (over citizens aliased `c`, parameters from `$1`) for someone due a
/// card on `on`: official, living, Vietnamese, 14 or older, without an active card valid
/// on the day or an open application. `None` when no birth date can be that old.
pub(crate) fn due_a_card(tx: &dyn Tx, c: &str, on: Date) -> Option<(String, Vec<Value>)> {
    let cutoff = eligibility_cutoff(on)?.to_string();
    let died = tx.json_text(&format!("{c}.data"), "died_on");
    let nationality = tx.json_text(&format!("{c}.data"), "nationality");
    // A partial birth date counts as the latest day it can mean (DESIGN §4): "2007-03"
    // is 14 only once March 2007 is wholly 14 years back.
    let sql = format!(
        "{c}.status = $1 AND {died} IS NULL AND {nationality} = 'VNM'
           AND ((length({c}.birth_date) = 10 AND {c}.birth_date <= $2)
             OR (length({c}.birth_date) = 7 AND {c}.birth_date < $3)
             OR (length({c}.birth_date) = 4 AND {c}.birth_date < $4))
           AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.personal_id = {c}.personal_id
                 AND k.status = 'active' AND (k.expiry_date IS NULL OR k.expiry_date >= $5))
           AND NOT EXISTS (SELECT 1 FROM open_applications o
                 WHERE o.personal_id = {c}.personal_id)"
    );
    let args = vec![
        Value::from(RecordStatus::Official.as_str()),
        Value::from(cutoff.as_str()),
        Value::from(cutoff.get(..7).unwrap_or_default().to_owned()),
        Value::from(cutoff.get(..4).unwrap_or_default().to_owned()),
        Value::from(on.to_string()),
    ];
    Some((sql, args))
}

/// Every police unit with each unit at or above it (`origin` counts toward `code`).
const UNITS_AND_ANCESTORS: &str = "up (origin, code) AS (
        SELECT code, code FROM police_units
        UNION ALL
        SELECT up.origin, p.parent_code FROM up JOIN police_units p ON p.code = up.code
        WHERE p.parent_code IS NOT NULL
    )";

/// The counts as the applications say they should be: per intake unit and day, the
/// applications not cancelled, added up at every unit above as well.
fn recount_sql() -> String {
    format!(
        "WITH RECURSIVE {UNITS_AND_ANCESTORS},
         direct AS (
            SELECT intake_unit, intake_date, count(*) AS n FROM applications
            WHERE state <> 'cancelled' GROUP BY intake_unit, intake_date
         )
         SELECT up.code AS unit, direct.intake_date AS day, CAST(sum(direct.n) AS BIGINT) AS received
         FROM direct JOIN up ON up.origin = direct.intake_unit
         GROUP BY up.code, direct.intake_date"
    )
}

/// Adds `delta` to the count of a unit and every unit above it for a day. Called in the
/// transaction that files (+1) or cancels (−1) an application.
pub async fn count_intake(tx: &mut dyn Tx, unit: &str, day: Date, delta: i64) -> Result<()> {
    tx.execute(
        "WITH RECURSIVE up (code) AS (
            SELECT code FROM police_units WHERE code = $1
            UNION ALL
            SELECT p.parent_code FROM police_units p JOIN up ON p.code = up.code
            WHERE p.parent_code IS NOT NULL
         )
         INSERT INTO intake_counts (unit, day, received)
         SELECT code, CAST($2 AS TEXT), CAST($3 AS BIGINT) FROM up WHERE true
         ON CONFLICT (unit, day) DO UPDATE SET received = intake_counts.received + excluded.received",
        &[Value::from(unit), Value::from(day.to_string()), Value::from(delta)],
    )
    .await
    .map(|_| ())
}

fn campaign_row(row: &Row) -> Result<Campaign> {
    let date = |name: &str| -> Result<Date> { text(row, name)?.parse().map_err(|_| corrupt(name)) };
    Ok(Campaign {
        id: Uuid::parse_str(&text(row, "id")?).map_err(|_| corrupt("campaign id"))?,
        name: text(row, "name")?,
        unit: text(row, "unit")?,
        period: Period::new(date("start_date")?, date("end_date")?)
            .map_err(|_| corrupt("campaign period"))?,
        created_by: text(row, "created_by")?,
        created_micros: int(row, "created_micros")?,
    })
}

const CAMPAIGN_COLUMNS: &str = "id, name, unit, start_date, end_date, created_by, created_micros";

pub async fn create(tx: &mut dyn Tx, access: &Access, c: &Campaign) -> Result<()> {
    let exists = tx
        .fetch(
            "SELECT id FROM campaigns WHERE name = $1",
            &[Value::from(c.name.as_str())],
        )
        .await?;
    if !exists.is_empty() {
        return Err(StoreError::Conflict(format!(
            "a campaign named {:?} already exists",
            c.name
        )));
    }
    tx.execute(
        "INSERT INTO campaigns (id, name, start_date, end_date, created_by, created_micros, unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Value::from(c.id.to_string()),
            Value::from(c.name.as_str()),
            Value::from(c.period.start.to_string()),
            Value::from(c.period.end.to_string()),
            Value::from(c.created_by.as_str()),
            Value::from(c.created_micros),
            Value::from(c.unit.as_str()),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::CAMPAIGN_CREATE,
        "campaign",
        &c.id.to_string(),
    )
    .await
}

pub async fn list(tx: &mut dyn Tx) -> Result<Vec<Campaign>> {
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY start_date DESC, name");
    tx.fetch(&sql, &[])
        .await?
        .iter()
        .map(campaign_row)
        .collect()
}

pub async fn get(tx: &mut dyn Tx, id: Uuid) -> Result<Option<Campaign>> {
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
    tx.fetch(&sql, &[Value::from(id.to_string())])
        .await?
        .first()
        .map(campaign_row)
        .transpose()
}

fn count(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is too large a target")))
}

pub async fn set_quotas(
    tx: &mut dyn Tx,
    access: &Access,
    campaign: Uuid,
    quotas: &[Quota],
) -> Result<()> {
    if get(tx, campaign).await?.is_none() {
        return Err(StoreError::NotFound("campaign".into()));
    }
    for q in quotas {
        let known = tx
            .fetch(
                "SELECT code FROM police_units WHERE code = $1",
                &[Value::from(q.unit.as_str())],
            )
            .await?;
        if known.is_empty() {
            return Err(StoreError::NotFound(format!("police unit {}", q.unit)));
        }
        tx.execute(
            "INSERT INTO quotas (campaign_id, unit, total, daily, set_by, set_micros)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (campaign_id, unit) DO UPDATE SET total = excluded.total,
                daily = excluded.daily, set_by = excluded.set_by, set_micros = excluded.set_micros",
            &[
                Value::from(campaign.to_string()),
                Value::from(q.unit.as_str()),
                Value::from(count(q.total)?),
                Value::from(q.daily.map(count).transpose()?),
                Value::from(access.actor.as_str()),
                Value::from(access.now_micros),
            ],
        )
        .await?;
        tx.audit(
            access,
            actions::QUOTA_SET,
            "quota",
            &format!("{campaign}/{}", q.unit),
        )
        .await?;
    }
    Ok(())
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn non_negative(row: &Row, name: &str) -> Result<u64> {
    u64::try_from(int(row, name)?).map_err(|_| corrupt(name))
}

pub async fn quotas(tx: &mut dyn Tx, campaign: Uuid, units: &[String]) -> Result<Vec<Quota>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT unit, total, daily FROM quotas WHERE campaign_id = $1 AND unit IN ({})",
        placeholders(2, units.len())
    );
    let mut args = vec![Value::from(campaign.to_string())];
    args.extend(units.iter().map(|u| Value::from(u.as_str())));
    tx.fetch(&sql, &args)
        .await?
        .iter()
        .map(|row| {
            Ok(Quota {
                unit: text(row, "unit")?,
                total: non_negative(row, "total")?,
                daily: row
                    .int("daily")?
                    .map(|d| u64::try_from(d).map_err(|_| corrupt("daily target")))
                    .transpose()?,
            })
        })
        .collect()
}

pub async fn intake_counts(
    tx: &mut dyn Tx,
    units: &[String],
    from: Date,
    to: Date,
) -> Result<Vec<IntakeCount>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT unit, day, received FROM intake_counts
         WHERE unit IN ({}) AND day >= $1 AND day <= $2",
        placeholders(3, units.len())
    );
    let mut args = vec![Value::from(from.to_string()), Value::from(to.to_string())];
    args.extend(units.iter().map(|u| Value::from(u.as_str())));
    tx.fetch(&sql, &args)
        .await?
        .iter()
        .map(|row| {
            Ok(IntakeCount {
                unit: text(row, "unit")?,
                day: text(row, "day")?
                    .parse()
                    .map_err(|_| corrupt("intake day"))?,
                received: non_negative(row, "received")?,
            })
        })
        .collect()
}

pub async fn verify_intake_counts(tx: &mut dyn Tx) -> Result<Vec<IntakeMismatch>> {
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in tx.fetch(&recount_sql(), &[]).await? {
        expected.insert(
            (text(&row, "unit")?, text(&row, "day")?),
            non_negative(&row, "received")?,
        );
    }
    let mut out = Vec::new();
    for row in tx
        .fetch("SELECT unit, day, received FROM intake_counts", &[])
        .await?
    {
        let at = (text(&row, "unit")?, text(&row, "day")?);
        let kept = non_negative(&row, "received")?;
        let recounted = expected.remove(&at).unwrap_or(0);
        // A count that went back to zero after a cancellation stays as a zero row.
        if kept != recounted {
            out.push(IntakeMismatch {
                unit: at.0,
                day: at.1,
                kept,
                recounted,
            });
        }
    }
    out.extend(
        expected
            .into_iter()
            .map(|((unit, day), recounted)| IntakeMismatch {
                unit,
                day,
                kept: 0,
                recounted,
            }),
    );
    out.sort_by(|a, b| (&a.unit, &a.day).cmp(&(&b.unit, &b.day)));
    Ok(out)
}

pub async fn rebuild_intake_counts(tx: &mut dyn Tx) -> Result<u64> {
    tx.execute("DELETE FROM intake_counts", &[]).await?;
    let sql = format!(
        "INSERT INTO intake_counts (unit, day, received) SELECT unit, day, received FROM ({}) AS recount",
        recount_sql()
    );
    tx.execute(&sql, &[]).await
}

pub async fn eligible(
    tx: &mut dyn Tx,
    access: &Access,
    query: &EligibleQuery,
) -> Result<Vec<(Option<String>, u64)>> {
    let group = match query.group_by {
        AdminLevel::Province => "c.home_province",
        AdminLevel::District => "c.home_district",
        AdminLevel::Commune => "c.home_commune",
    };
    let filters: Vec<(String, Value)> = query
        .within
        .as_ref()
        .map(cancuoc_store::ScopeFilter::for_code)
        .into_iter()
        .chain(access.scope_filter())
        .map(|f| (format!(" AND c.{} = $?", f.column), Value::from(f.code)))
        .collect();
    let rows = if crate::eligible::kept_day(tx).await? == Some(query.on) {
        crate::eligible::kept(tx, group, &filters).await?
    } else {
        // Another day than the counts': a count of the register.
        let Some((due, args)) = due_a_card(tx, "c", query.on) else {
            return Ok(Vec::new());
        };
        let mut q = Query::new(format!(
            "SELECT {group} AS place, count(*) AS n FROM citizens c WHERE "
        ));
        q.push_numbered(&due, args);
        for (clause, value) in &filters {
            q.push(clause, value.clone());
        }
        q.raw(&format!(" GROUP BY {group}"));
        tx.fetch(&q.sql, &q.args)
            .await?
            .iter()
            .map(|row| Ok((row.text("place")?, non_negative(row, "n")?)))
            .collect::<Result<Vec<_>>>()?
    };
    let key = query
        .within
        .as_ref()
        .map_or_else(|| "VN".to_owned(), |c| c.as_str().to_owned());
    tx.audit(
        access,
        actions::ELIGIBLE_COUNT,
        "eligible",
        &format!("{key}@{}", query.on),
    )
    .await?;
    Ok(rows)
}
