//! The hash-chained audit trail. The chain has one tail, so an append first takes the
//! backend's audit lock ([`Tx::lock_audit`]) and holds it until the transaction ends:
//! chain order is commit order, and a reader never sees a later event without the
//! earlier ones.

use cancuoc_domain::audit::{AuditDraft, AuditEvent, GENESIS_HASH, Outcome, chain_mac};
use cancuoc_store::{Access, AuditFilter, Result};

use crate::{Query, Row, Tx, Value, int, text};

/// Appends an event at the tail of the chain, inside the caller's transaction.
pub async fn append(
    tx: &mut dyn Tx,
    access: &Access,
    action: &str,
    record_kind: &str,
    record_key: &str,
    outcome: Outcome,
) -> Result<AuditEvent> {
    tx.lock_audit().await?;
    let tail = tx
        .fetch(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?;
    let (seq, prev_hash) = match tail.first() {
        Some(row) => (int(row, "seq")? + 1, text(row, "hash")?),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let draft = access.draft(action, record_kind, record_key, outcome);
    let at = access.now_micros;
    let hash = chain_mac(tx.audit_key(), &prev_hash, seq, at, &draft);
    tx.execute(
        "INSERT INTO audit_events (seq, at_micros, actor, unit, action, record_kind, record_key, purpose, prev_hash, hash, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            seq.into(),
            at.into(),
            Value::from(&draft.actor),
            Value::from(&draft.unit),
            Value::from(&draft.action),
            Value::from(&draft.record_kind),
            Value::from(&draft.record_key),
            Value::from(&draft.purpose),
            Value::from(&prev_hash),
            Value::from(&hash),
            outcome.as_str().into(),
        ],
    )
    .await?;
    Ok(AuditEvent {
        seq,
        at_micros: at,
        draft,
        prev_hash,
        hash,
    })
}

fn event(row: &Row) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: int(row, "seq")?,
        at_micros: int(row, "at_micros")?,
        draft: AuditDraft {
            actor: text(row, "actor")?,
            unit: text(row, "unit")?,
            action: text(row, "action")?,
            record_kind: text(row, "record_kind")?,
            record_key: text(row, "record_key")?,
            purpose: text(row, "purpose")?,
            outcome: Outcome::parse(&text(row, "outcome")?)
                .ok_or_else(|| crate::corrupt("audit outcome"))?,
        },
        prev_hash: text(row, "prev_hash")?,
        hash: text(row, "hash")?,
    })
}

const COLUMNS: &str = "seq, at_micros, actor, unit, action, record_kind, record_key, purpose, prev_hash, hash, outcome";

/// Events with `seq > after`, in order, at most `limit`.
pub async fn events(tx: &mut dyn Tx, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    tx.fetch(&sql, &[after.into(), i64::from(limit).into()])
        .await?
        .iter()
        .map(event)
        .collect()
}

/// Events matching a filter, newest first.
pub async fn search(tx: &mut dyn Tx, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
    let mut q = Query::new(format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1"));
    for (column, value) in [
        ("actor", &f.actor),
        ("action", &f.action),
        ("record_key", &f.record_key),
    ] {
        if let Some(v) = value {
            q.push(&format!(" AND {column} = $?"), v);
        }
    }
    for (cond, value) in [
        ("at_micros >=", f.since_micros),
        ("at_micros <", f.until_micros),
        ("seq <", f.before),
    ] {
        if let Some(v) = value {
            q.push(&format!(" AND {cond} $?"), v);
        }
    }
    if let Some(units) = &f.units {
        if units.is_empty() {
            q.raw(" AND 1 = 0");
        } else {
            q.raw(" AND unit IN (");
            for (i, u) in units.iter().enumerate() {
                q.push(if i == 0 { "$?" } else { ", $?" }, u);
            }
            q.raw(")");
        }
    }
    q.push(
        " ORDER BY seq DESC LIMIT $?",
        i64::from(f.limit.clamp(1, 1000)),
    );
    q.fetch(tx).await?.iter().map(event).collect()
}
