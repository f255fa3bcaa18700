//! Administrative and police units, and which hierarchy is loaded.

use cancuoc_domain::{AdminCode, AdminKind, AdminUnit, PoliceUnit, PoliceUnitCode};
use cancuoc_store::{ReferenceSummary, Result, StoreError};

use crate::{Row, Tx, Value, corrupt, int, text};

pub async fn hierarchy(tx: &mut dyn Tx) -> Result<Option<String>> {
    tx.fetch_one("SELECT value FROM meta WHERE key = 'hierarchy'", &[])
        .await?
        .map(|r| text(&r, "value"))
        .transpose()
}

/// Loads a hierarchy. Runs in a write transaction, so no citizen can be added between
/// the emptiness check and the replacement.
pub async fn load(
    tx: &mut dyn Tx,
    name: &str,
    admin: &[AdminUnit],
    police: &[PoliceUnit],
) -> Result<ReferenceSummary> {
    let current = hierarchy(tx).await?;
    let counts = ReferenceSummary {
        admin_units: admin.len() as u64,
        police_units: police.len() as u64,
        changed: true,
    };
    if current.as_deref() == Some(name) {
        return Ok(ReferenceSummary {
            changed: false,
            ..counts
        });
    }
    if current.is_some() {
        let citizens = tx
            .fetch_one("SELECT COUNT(*) AS n FROM citizens", &[])
            .await?
            .map(|r| int(&r, "n"))
            .transpose()?
            .unwrap_or(0);
        if citizens > 0 {
            return Err(StoreError::Invalid(format!(
                "the register already holds citizens under the {} hierarchy",
                current.unwrap_or_default()
            )));
        }
        tx.execute("DELETE FROM admin_units", &[]).await?;
        tx.execute("DELETE FROM police_units", &[]).await?;
    }
    for u in admin {
        tx.execute(
            "INSERT INTO admin_units (code, name, kind, parent_code, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                u.code.as_str().into(),
                Value::from(&u.name),
                u.kind.as_str().into(),
                u.parent.as_ref().map(AdminCode::as_str).into(),
                Value::Real(u.latitude),
                Value::Real(u.longitude),
            ],
        )
        .await?;
    }
    for p in police {
        tx.execute(
            "INSERT INTO police_units (code, name, parent_code) VALUES ($1, $2, $3)",
            &[
                p.code.as_string().into(),
                Value::from(&p.name),
                p.parent.as_ref().map(PoliceUnitCode::as_string).into(),
            ],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('hierarchy', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[name.into()],
    )
    .await?;
    Ok(counts)
}

fn admin_unit(row: &Row) -> Result<AdminUnit> {
    Ok(AdminUnit {
        code: AdminCode::parse(&text(row, "code")?).map_err(|_| corrupt("admin unit code"))?,
        name: text(row, "name")?,
        kind: AdminKind::parse(&text(row, "kind")?).ok_or_else(|| corrupt("admin unit kind"))?,
        parent: row
            .text("parent_code")?
            .map(|p| AdminCode::parse(&p).map_err(|_| corrupt("admin unit parent")))
            .transpose()?,
        latitude: row.real("latitude")?,
        longitude: row.real("longitude")?,
    })
}

pub async fn admin_units(tx: &mut dyn Tx) -> Result<Vec<AdminUnit>> {
    tx.fetch(
        "SELECT code, name, kind, parent_code, latitude, longitude FROM admin_units ORDER BY code",
        &[],
    )
    .await?
    .iter()
    .map(admin_unit)
    .collect()
}

fn police_unit_row(row: &Row) -> Result<PoliceUnit> {
    Ok(PoliceUnit {
        code: PoliceUnitCode::parse(&text(row, "code")?)
            .map_err(|_| corrupt("police unit code"))?,
        name: text(row, "name")?,
        parent: row
            .text("parent_code")?
            .map(|p| PoliceUnitCode::parse(&p).map_err(|_| corrupt("police unit parent")))
            .transpose()?,
    })
}

pub async fn police_unit(tx: &mut dyn Tx, code: &PoliceUnitCode) -> Result<Option<PoliceUnit>> {
    tx.fetch_one(
        "SELECT code, name, parent_code FROM police_units WHERE code = $1",
        &[code.as_string().into()],
    )
    .await?
    .as_ref()
    .map(police_unit_row)
    .transpose()
}

pub async fn police_units(tx: &mut dyn Tx) -> Result<Vec<PoliceUnit>> {
    tx.fetch(
        "SELECT code, name, parent_code FROM police_units ORDER BY code",
        &[],
    )
    .await?
    .iter()
    .map(police_unit_row)
    .collect()
}
