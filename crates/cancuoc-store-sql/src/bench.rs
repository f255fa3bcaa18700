//! Fixtures and peers of the campaign benchmark (`cancuoc bench progress`).

use cancuoc_store::{Result, ScannedIntake, StoreError, SyntheticApplications};
use jiff::civil::Date;

use crate::{Tx, Value, corrupt, int, text};

/// A literal for SQL text built from codes the caller made; quotes are doubled anyway.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub async fn load_synthetic_applications(
    tx: &mut dyn Tx,
    spec: &SyntheticApplications,
) -> Result<u64> {
    let people = tx.fetch("SELECT count(*) AS n FROM citizens", &[]).await?;
    if people
        .first()
        .map(|r| int(r, "n"))
        .transpose()?
        .unwrap_or(0)
        > 0
    {
        return Err(StoreError::Invalid(
            "synthetic applications go only into an empty register (a benchmark database)".into(),
        ));
    }
    if spec.units.is_empty() || spec.days.is_empty() || spec.count == 0 {
        return Ok(0);
    }
    let units: Vec<String> = spec
        .units
        .iter()
        .enumerate()
        .map(|(i, (code, province, district))| {
            format!(
                "({i}, {}, {}, {})",
                quoted(code),
                quoted(province),
                district
                    .as_deref()
                    .map_or_else(|| "NULL".to_owned(), quoted)
            )
        })
        .collect();
    let days: Vec<String> = spec
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("({i}, {})", quoted(&d.to_string())))
        .collect();
    let as_int = |n: u64| i64::try_from(n).map_err(|_| StoreError::Invalid("too many rows".into()));
    let last = spec.first + spec.count - 1;
    let sql = format!(
        "WITH RECURSIVE n (i) AS (
            SELECT CAST($1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $2
         ),
         units (idx, code, province, district) AS (VALUES {units}),
         days (idx, day) AS (VALUES {days})
         INSERT INTO applications (key, receipt, personal_id, kind, reason, channel,
            intake_unit, home_province, home_district, home_commune, station, officer,
            intake_micros, intake_date, due_date, fee_vnd, fee_basis, exemption,
            identifying_marks, old_card_returned, biometrics, state, version, batch,
            idempotency_key)
         SELECT 'bench-' || CAST(i AS TEXT), 'BENCH-' || CAST(i AS TEXT),
            CAST(100000000000 + i AS TEXT), 'cmnd_switch', NULL, 'fixed',
            units.code, units.province, units.district, NULL, NULL, 'bench',
            0, days.day, days.day, 15000, 'bench', NULL,
            NULL, 1, NULL, 'handed_over', 1, NULL,
            NULL
         FROM n JOIN units ON units.idx = n.i % {unit_count}
                JOIN days ON days.idx = (n.i / {unit_count}) % {day_count}",
        units = units.join(", "),
        days = days.join(", "),
        unit_count = spec.units.len(),
        day_count = spec.days.len(),
    );
    tx.execute(
        &sql,
        &[Value::from(as_int(spec.first)?), Value::from(as_int(last)?)],
    )
    .await
}

pub async fn scan_intake_by_province(
    tx: &mut dyn Tx,
    from: Date,
    on: Date,
) -> Result<Vec<ScannedIntake>> {
    let rows = tx
        .fetch(
            "SELECT home_province AS place,
                CAST(sum(CASE WHEN intake_date = $2 THEN 1 ELSE 0 END) AS BIGINT) AS on_day,
                count(*) AS in_period
             FROM applications
             WHERE intake_date >= $1 AND intake_date <= $2 AND state <> 'cancelled'
             GROUP BY home_province",
            &[Value::from(from.to_string()), Value::from(on.to_string())],
        )
        .await?;
    let count = |row: &crate::Row, name: &str| -> Result<u64> {
        u64::try_from(int(row, name)?).map_err(|_| corrupt(name))
    };
    rows.iter()
        .map(|row| {
            Ok(ScannedIntake {
                place: text(row, "place")?,
                on_day: count(row, "on_day")?,
                in_period: count(row, "in_period")?,
            })
        })
        .collect()
}
