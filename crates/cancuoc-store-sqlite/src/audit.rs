//! The hash-chained audit trail.

use cancuoc_domain::audit::{AuditDraft, AuditEvent, GENESIS_HASH, chain_hash};
use cancuoc_store::{Access, AuditFilter, Result};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};

use crate::backend;
use crate::rows::col;

/// Appends an event at the tail of the chain. Runs inside the caller's write
/// transaction, which holds SQLite's write lock, so the tail cannot move meanwhile.
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    access: &Access,
    action: &str,
    record_kind: &str,
    record_key: &str,
) -> Result<AuditEvent> {
    let tail = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    let (seq, prev_hash) = match tail {
        Some(row) => (col::<i64>(&row, "seq")? + 1, col::<String>(&row, "hash")?),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let draft = access.draft(action, record_kind, record_key);
    let at = access.now_micros;
    let hash = chain_hash(&prev_hash, seq, at, &draft);
    sqlx::query(
        "INSERT INTO audit_events (seq, at_micros, actor, unit, action, record_kind, record_key, purpose, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(seq)
    .bind(at)
    .bind(&draft.actor)
    .bind(&draft.unit)
    .bind(&draft.action)
    .bind(&draft.record_kind)
    .bind(&draft.record_key)
    .bind(&draft.purpose)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(AuditEvent {
        seq,
        at_micros: at,
        draft,
        prev_hash,
        hash,
    })
}

fn event(row: &SqliteRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: col(row, "seq")?,
        at_micros: col(row, "at_micros")?,
        draft: AuditDraft {
            actor: col(row, "actor")?,
            unit: col(row, "unit")?,
            action: col(row, "action")?,
            record_kind: col(row, "record_kind")?,
            record_key: col(row, "record_key")?,
            purpose: col(row, "purpose")?,
        },
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}

const COLUMNS: &str =
    "seq, at_micros, actor, unit, action, record_kind, record_key, purpose, prev_hash, hash";

pub(crate) async fn events(pool: &SqlitePool, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(event)
        .collect()
}

pub(crate) async fn search(pool: &SqlitePool, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    let mut texts: Vec<String> = Vec::new();
    let mut ints: Vec<(usize, i64)> = Vec::new();
    for (col, value) in [
        ("actor", &f.actor),
        ("action", &f.action),
        ("record_key", &f.record_key),
    ] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {col} = ${}", next()));
            texts.push(v.clone());
        }
    }
    for (cond, value) in [
        ("at_micros >=", f.since_micros),
        ("at_micros <", f.until_micros),
        ("seq <", f.before),
    ] {
        if let Some(v) = value {
            let i = next();
            sql.push_str(&format!(" AND {cond} ${i}"));
            ints.push((i, v));
        }
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", next()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for t in texts {
        q = q.bind(t);
    }
    for (_, v) in ints {
        q = q.bind(v);
    }
    q.bind(i64::from(f.limit.clamp(1, 1000)))
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(event)
        .collect()
}
