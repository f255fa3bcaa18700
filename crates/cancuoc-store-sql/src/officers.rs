//! Officers, login throttling and sessions.

use cancuoc_domain::{Officer, PoliceUnitCode, Role};
use cancuoc_store::{
    Access, NewOfficer, NewSession, OfficerCredentials, Result, SessionInfo, StoreError, actions,
};

use crate::{Row, Tx, Value, corrupt, flag, int, text};

const COLUMNS: &str = "o.username, o.full_name, o.unit_code, o.role, o.active, o.password_hash, o.must_change_password";

fn officer(row: &Row) -> Result<Officer> {
    Ok(Officer {
        username: text(row, "username")?,
        full_name: text(row, "full_name")?,
        unit: PoliceUnitCode::parse(&text(row, "unit_code")?)
            .map_err(|_| corrupt("officer unit"))?,
        role: Role::parse(&text(row, "role")?).ok_or_else(|| corrupt("officer role"))?,
        active: flag(row, "active")?,
    })
}

pub async fn create(tx: &mut dyn Tx, access: &Access, new: &NewOfficer) -> Result<()> {
    let o = &new.officer;
    let unit = tx
        .fetch_one(
            "SELECT code FROM police_units WHERE code = $1",
            &[o.unit.as_string().into()],
        )
        .await?;
    if unit.is_none() {
        return Err(StoreError::NotFound(format!("police unit {}", o.unit)));
    }
    tx.execute(
        "INSERT INTO officers (username, full_name, unit_code, role, active, password_hash, must_change_password, created_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::from(&o.username),
            Value::from(&o.full_name),
            o.unit.as_string().into(),
            o.role.as_str().into(),
            o.active.into(),
            Value::from(&new.password_hash),
            new.must_change_password.into(),
            access.now_micros.into(),
        ],
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("officer {} already exists", o.username))
        }
        other => other,
    })?;
    tx.audit(access, actions::OFFICER_CREATE, "officer", &o.username)
        .await
}

pub async fn credentials(tx: &mut dyn Tx, username: &str) -> Result<Option<OfficerCredentials>> {
    let sql = format!("SELECT {COLUMNS} FROM officers o WHERE o.username = $1");
    tx.fetch_one(&sql, &[username.into()])
        .await?
        .map(|r| {
            Ok(OfficerCredentials {
                officer: officer(&r)?,
                password_hash: text(&r, "password_hash")?,
                must_change_password: flag(&r, "must_change_password")?,
            })
        })
        .transpose()
}

pub async fn list(tx: &mut dyn Tx, access: &Access) -> Result<Vec<Officer>> {
    let sql = format!("SELECT {COLUMNS} FROM officers o ORDER BY o.username");
    let list = tx
        .fetch(&sql, &[])
        .await?
        .iter()
        .map(officer)
        .collect::<Result<Vec<_>>>()?;
    tx.audit(access, actions::OFFICER_LIST, "officer", "*")
        .await?;
    Ok(list)
}

fn affected_one(username: &str, rows: u64) -> Result<()> {
    if rows == 0 {
        return Err(StoreError::NotFound(format!("officer {username}")));
    }
    Ok(())
}

pub async fn set_active(
    tx: &mut dyn Tx,
    access: &Access,
    username: &str,
    active: bool,
) -> Result<()> {
    if !active {
        // The register must keep someone who can manage officers.
        let others = tx
            .fetch_one(
                "SELECT COUNT(*) AS n FROM officers WHERE role = 'admin' AND active = $1 AND username <> $2",
                &[true.into(), username.into()],
            )
            .await?
            .map(|r| int(&r, "n"))
            .transpose()?
            .unwrap_or(0);
        let is_admin = tx
            .fetch_one(
                "SELECT 1 AS yes FROM officers WHERE username = $1 AND role = 'admin' AND active = $2",
                &[username.into(), true.into()],
            )
            .await?
            .is_some();
        if is_admin && others == 0 {
            return Err(StoreError::Invalid(
                "the only active administrator cannot be disabled: enable or add another first"
                    .into(),
            ));
        }
    }
    let rows = tx
        .execute(
            "UPDATE officers SET active = $1 WHERE username = $2",
            &[active.into(), username.into()],
        )
        .await?;
    affected_one(username, rows)?;
    if !active {
        tx.execute(
            "DELETE FROM sessions WHERE username = $1",
            &[username.into()],
        )
        .await?;
    }
    tx.audit(access, actions::OFFICER_ACTIVE, "officer", username)
        .await
}

pub async fn set_password(
    tx: &mut dyn Tx,
    access: &Access,
    username: &str,
    hash: &str,
    must_change: bool,
    keep_session: Option<&str>,
) -> Result<()> {
    let rows = tx
        .execute(
            "UPDATE officers SET password_hash = $1, must_change_password = $2 WHERE username = $3",
            &[hash.into(), must_change.into(), username.into()],
        )
        .await?;
    affected_one(username, rows)?;
    // Whoever held another session (a stolen cookie, a forgotten station) is out.
    tx.execute(
        "DELETE FROM sessions WHERE username = $1 AND token_hash <> $2",
        &[username.into(), keep_session.unwrap_or("").into()],
    )
    .await?;
    tx.audit(access, actions::OFFICER_PASSWORD, "officer", username)
        .await
}

/// Attempts older than this are swept whatever their key, so that keys never seen again
/// (a scraper's many addresses) do not stay for ever. Every throttle's window is shorter.
const ATTEMPTS_KEPT_MICROS: i64 = 24 * 3_600 * 1_000_000;

/// Records an attempt and counts the attempts within the window. Attempts of one key are
/// counted one call at a time, so two concurrent attempts count 1 and 2.
pub async fn record_attempt(tx: &mut dyn Tx, key: &str, now: i64, window: i64) -> Result<u32> {
    tx.lock_name(key).await?;
    tx.execute(
        "DELETE FROM throttle_attempts WHERE (throttle_key = $1 AND at_micros < $2) OR at_micros < $3",
        &[
            key.into(),
            now.saturating_sub(window).into(),
            now.saturating_sub(window.max(ATTEMPTS_KEPT_MICROS)).into(),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO throttle_attempts (throttle_key, at_micros) VALUES ($1, $2)",
        &[key.into(), now.into()],
    )
    .await?;
    let n = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM throttle_attempts WHERE throttle_key = $1",
            &[key.into()],
        )
        .await?
        .map(|r| int(&r, "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// For each key: the attempts within the window and the time of the last.
pub async fn attempts(
    tx: &mut dyn Tx,
    keys: &[String],
    now: i64,
    window: i64,
) -> Result<Vec<(u32, Option<i64>)>> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let row = tx
            .fetch_one(
                "SELECT COUNT(*) AS n, MAX(at_micros) AS last FROM throttle_attempts
                 WHERE throttle_key = $1 AND at_micros >= $2",
                &[key.into(), now.saturating_sub(window).into()],
            )
            .await?;
        let (n, last) = match row {
            Some(r) => (r.int("n")?.unwrap_or(0), r.int("last")?),
            None => (0, None),
        };
        out.push((u32::try_from(n).unwrap_or(u32::MAX), last));
    }
    Ok(out)
}

pub async fn clear_attempts(tx: &mut dyn Tx, key: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM throttle_attempts WHERE throttle_key = $1",
        &[key.into()],
    )
    .await?;
    Ok(())
}

pub async fn create_session(tx: &mut dyn Tx, s: &NewSession) -> Result<()> {
    tx.execute(
        "INSERT INTO sessions (token_hash, username, created_micros, expires_micros, csrf_token) VALUES ($1, $2, $3, $4, $5)",
        &[
            Value::from(&s.token_hash),
            Value::from(&s.username),
            s.created_micros.into(),
            s.expires_micros.into(),
            Value::from(&s.csrf_token),
        ],
    )
    .await?;
    Ok(())
}

/// How stale a session's last use may get before it is written again.
pub const TOUCH_EVERY_MICROS: i64 = 60_000_000;

/// A live session and when it was last used.
pub async fn session(
    tx: &mut dyn Tx,
    token_hash: &str,
    now: i64,
    idle: i64,
) -> Result<Option<(SessionInfo, i64)>> {
    let sql = format!(
        "SELECT {COLUMNS}, s.csrf_token AS csrf_token,
            COALESCE(s.last_seen_micros, s.created_micros) AS last_seen
         FROM sessions s JOIN officers o ON o.username = s.username
         WHERE s.token_hash = $1 AND s.expires_micros > $2 AND o.active = $3
            AND COALESCE(s.last_seen_micros, s.created_micros) > $4"
    );
    tx.fetch_one(
        &sql,
        &[
            token_hash.into(),
            now.into(),
            true.into(),
            now.saturating_sub(idle).into(),
        ],
    )
    .await?
    .map(|r| {
        Ok((
            SessionInfo {
                officer: officer(&r)?,
                must_change_password: flag(&r, "must_change_password")?,
                csrf_token: text(&r, "csrf_token")?,
            },
            int(&r, "last_seen")?,
        ))
    })
    .transpose()
}

pub async fn touch_session(tx: &mut dyn Tx, token_hash: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET last_seen_micros = $1 WHERE token_hash = $2",
        &[now.into(), token_hash.into()],
    )
    .await?;
    Ok(())
}

pub async fn delete_session(tx: &mut dyn Tx, token_hash: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[token_hash.into()],
    )
    .await?;
    Ok(())
}
