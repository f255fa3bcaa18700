//! The hash-chained audit trail and the lock that serialises it.
//!
//! The chain has one tail, so appends must happen one at a time: every append first
//! locks the single row of `audit_head` (`SELECT … FOR UPDATE`), and the lock is held until
//! the transaction commits or rolls back. A second appender waits on that row; once it gets
//! it, its next statement (READ COMMITTED takes a fresh snapshot per statement) sees the
//! first one's event as the tail. Chain order therefore equals commit order, and a reader
//! of `audit_events` never sees a later event without the earlier ones.

use cancuoc_domain::audit::{AuditDraft, AuditEvent, GENESIS_HASH, chain_hash};
use cancuoc_store::{Access, AuditFilter, Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};

use crate::backend;
use crate::rows::col;

/// Takes the audit lock for the rest of the transaction. Taking it again in the same
/// transaction is free.
pub(crate) async fn lock(conn: &mut PgConnection) -> Result<()> {
    let row: Option<bool> = sqlx::query_scalar("SELECT id FROM audit_head FOR UPDATE")
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    match row {
        Some(_) => Ok(()),
        None => Err(StoreError::Backend(
            "the audit lock row is missing (audit_head)".into(),
        )),
    }
}

/// Appends an event at the tail of the chain, inside the caller's transaction.
pub(crate) async fn append(
    conn: &mut PgConnection,
    access: &Access,
    action: &str,
    record_kind: &str,
    record_key: &str,
) -> Result<AuditEvent> {
    lock(conn).await?;
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

fn event(row: &PgRow) -> Result<AuditEvent> {
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

pub(crate) async fn events(pool: &PgPool, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
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

pub(crate) async fn search(pool: &PgPool, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    let mut texts: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
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
            sql.push_str(&format!(" AND {cond} ${}", next()));
            ints.push(v);
        }
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", next()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for t in texts {
        q = q.bind(t);
    }
    for v in ints {
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
