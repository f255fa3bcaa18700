//! Officers, login throttling and sessions.

use cancuoc_domain::{Officer, PoliceUnitCode, Role};
use cancuoc_store::{
    Access, NewOfficer, NewSession, OfficerCredentials, Result, SessionInfo, StoreError, actions,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};

use crate::audit::append;
use crate::backend;
use crate::rows::{col, corrupt};

const COLUMNS: &str =
    "username, full_name, unit_code, role, active, password_hash, must_change_password";

fn officer(row: &SqliteRow) -> Result<Officer> {
    let unit: String = col(row, "unit_code")?;
    let role: String = col(row, "role")?;
    Ok(Officer {
        username: col(row, "username")?,
        full_name: col(row, "full_name")?,
        unit: PoliceUnitCode::parse(&unit).map_err(|_| corrupt("officer unit"))?,
        role: Role::parse(&role).ok_or_else(|| corrupt("officer role"))?,
        active: col::<i64>(row, "active")? != 0,
    })
}

pub(crate) async fn create(
    conn: &mut SqliteConnection,
    access: &Access,
    new: &NewOfficer,
) -> Result<()> {
    let o = &new.officer;
    let unit_exists: Option<String> =
        sqlx::query_scalar("SELECT code FROM police_units WHERE code = $1")
            .bind(o.unit.as_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    if unit_exists.is_none() {
        return Err(StoreError::NotFound(format!("police unit {}", o.unit)));
    }
    sqlx::query(
        "INSERT INTO officers (username, full_name, unit_code, role, active, password_hash, must_change_password, created_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&o.username)
    .bind(&o.full_name)
    .bind(o.unit.as_string())
    .bind(o.role.as_str())
    .bind(i64::from(o.active))
    .bind(&new.password_hash)
    .bind(i64::from(new.must_change_password))
    .bind(access.now_micros)
    .execute(&mut *conn)
    .await
    .map_err(|e| match backend(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("officer {} already exists", o.username)),
        other => other,
    })?;
    append(
        conn,
        access,
        actions::OFFICER_CREATE,
        "officer",
        &o.username,
    )
    .await?;
    Ok(())
}

pub(crate) async fn credentials(
    pool: &SqlitePool,
    username: &str,
) -> Result<Option<OfficerCredentials>> {
    let sql = format!("SELECT {COLUMNS} FROM officers WHERE username = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(|r| {
        Ok(OfficerCredentials {
            officer: officer(&r)?,
            password_hash: col(&r, "password_hash")?,
            must_change_password: col::<i64>(&r, "must_change_password")? != 0,
        })
    })
    .transpose()
}

pub(crate) async fn list(conn: &mut SqliteConnection, access: &Access) -> Result<Vec<Officer>> {
    let sql = format!("SELECT {COLUMNS} FROM officers ORDER BY username");
    let list = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .iter()
        .map(officer)
        .collect::<Result<Vec<_>>>()?;
    append(conn, access, actions::OFFICER_LIST, "officer", "*").await?;
    Ok(list)
}

fn affected_one(username: &str, result: &sqlx::sqlite::SqliteQueryResult) -> Result<()> {
    if result.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("officer {username}")));
    }
    Ok(())
}

pub(crate) async fn set_active(
    conn: &mut SqliteConnection,
    access: &Access,
    username: &str,
    active: bool,
) -> Result<()> {
    let r = sqlx::query("UPDATE officers SET active = $1 WHERE username = $2")
        .bind(i64::from(active))
        .bind(username)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    affected_one(username, &r)?;
    if !active {
        sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    append(conn, access, actions::OFFICER_ACTIVE, "officer", username).await?;
    Ok(())
}

pub(crate) async fn set_password(
    conn: &mut SqliteConnection,
    access: &Access,
    username: &str,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE officers SET password_hash = $1, must_change_password = $2 WHERE username = $3",
    )
    .bind(hash)
    .bind(i64::from(must_change))
    .bind(username)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    affected_one(username, &r)?;
    append(conn, access, actions::OFFICER_PASSWORD, "officer", username).await?;
    Ok(())
}

pub(crate) async fn record_failure(
    conn: &mut SqliteConnection,
    username: &str,
    now: i64,
    window: i64,
) -> Result<u32> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1 AND at_micros < $2")
        .bind(username)
        .bind(now.saturating_sub(window))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    sqlx::query("INSERT INTO login_failures (username, at_micros) VALUES ($1, $2)")
        .bind(username)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE username = $1")
        .bind(username)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub(crate) async fn create_session(pool: &SqlitePool, s: &NewSession) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, username, created_micros, expires_micros, csrf_token) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.token_hash)
    .bind(&s.username)
    .bind(s.created_micros)
    .bind(s.expires_micros)
    .bind(&s.csrf_token)
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(crate) async fn session(
    pool: &SqlitePool,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionInfo>> {
    let sql = format!(
        "SELECT {COLUMNS}, s.csrf_token AS csrf_token FROM sessions s JOIN officers o USING (username)
         WHERE s.token_hash = $1 AND s.expires_micros > $2 AND o.active = 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    row.map(|r| {
        Ok(SessionInfo {
            officer: officer(&r)?,
            must_change_password: col::<i64>(&r, "must_change_password")? != 0,
            csrf_token: col(&r, "csrf_token")?,
        })
    })
    .transpose()
}
