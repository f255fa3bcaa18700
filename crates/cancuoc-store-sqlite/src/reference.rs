//! Administrative and police units.

use cancuoc_domain::{AdminCode, AdminKind, AdminUnit, PoliceUnit, PoliceUnitCode};
use cancuoc_store::{ReferenceSummary, Result, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};

use crate::backend;
use crate::rows::{col, corrupt};

pub(crate) async fn hierarchy(pool: &SqlitePool) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM meta WHERE key = 'hierarchy'")
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(|r| col::<String>(&r, "value")).transpose()
}

pub(crate) async fn load(
    conn: &mut SqliteConnection,
    name: &str,
    admin: &[AdminUnit],
    police: &[PoliceUnit],
) -> Result<ReferenceSummary> {
    let current: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'hierarchy'")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
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
        let citizens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM citizens")
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
        if citizens > 0 {
            return Err(StoreError::Invalid(format!(
                "the register already holds citizens under the {} hierarchy",
                current.unwrap_or_default()
            )));
        }
        sqlx::query("DELETE FROM admin_units")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM police_units")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    for u in admin {
        sqlx::query(
            "INSERT INTO admin_units (code, name, kind, parent_code, latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(u.code.as_str())
        .bind(&u.name)
        .bind(u.kind.as_str())
        .bind(u.parent.as_ref().map(AdminCode::as_str))
        .bind(u.latitude)
        .bind(u.longitude)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    for p in police {
        sqlx::query("INSERT INTO police_units (code, name, parent_code) VALUES ($1, $2, $3)")
            .bind(p.code.as_string())
            .bind(&p.name)
            .bind(p.parent.as_ref().map(PoliceUnitCode::as_string))
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    sqlx::query("INSERT INTO meta (key, value) VALUES ('hierarchy', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(counts)
}

fn admin_unit(row: &SqliteRow) -> Result<AdminUnit> {
    let code: String = col(row, "code")?;
    let kind: String = col(row, "kind")?;
    let parent: Option<String> = col(row, "parent_code")?;
    Ok(AdminUnit {
        code: AdminCode::parse(&code).map_err(|_| corrupt("admin unit code"))?,
        name: col(row, "name")?,
        kind: AdminKind::parse(&kind).ok_or_else(|| corrupt("admin unit kind"))?,
        parent: parent
            .map(|p| AdminCode::parse(&p).map_err(|_| corrupt("admin unit parent")))
            .transpose()?,
        latitude: col(row, "latitude")?,
        longitude: col(row, "longitude")?,
    })
}

pub(crate) async fn admin_units(pool: &SqlitePool) -> Result<Vec<AdminUnit>> {
    sqlx::query(
        "SELECT code, name, kind, parent_code, latitude, longitude FROM admin_units ORDER BY code",
    )
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(admin_unit)
    .collect()
}

fn police_unit_row(row: &SqliteRow) -> Result<PoliceUnit> {
    let code: String = col(row, "code")?;
    let parent: Option<String> = col(row, "parent_code")?;
    Ok(PoliceUnit {
        code: PoliceUnitCode::parse(&code).map_err(|_| corrupt("police unit code"))?,
        name: col(row, "name")?,
        parent: parent
            .map(|p| PoliceUnitCode::parse(&p).map_err(|_| corrupt("police unit parent")))
            .transpose()?,
    })
}

pub(crate) async fn police_unit(
    pool: &SqlitePool,
    code: &PoliceUnitCode,
) -> Result<Option<PoliceUnit>> {
    sqlx::query("SELECT code, name, parent_code FROM police_units WHERE code = $1")
        .bind(code.as_string())
        .fetch_optional(pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(police_unit_row)
        .transpose()
}

pub(crate) async fn police_units(pool: &SqlitePool) -> Result<Vec<PoliceUnit>> {
    sqlx::query("SELECT code, name, parent_code FROM police_units ORDER BY code")
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(police_unit_row)
        .collect()
}
