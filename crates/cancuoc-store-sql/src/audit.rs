//! The hash-chained audit trail. The chain has one tail, so an append first takes the
//! backend's audit lock ([`Tx::lock_audit`]) and holds it until the transaction ends:
//! chain order is commit order, and a reader never sees a later event without the
//! earlier ones.

use cancuoc_domain::audit::{AuditDraft, AuditEvent, GENESIS_HASH, Outcome, chain_mac};
use cancuoc_store::{Access, AuditFilter, AuditMonth, Result, StoreError};

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
    let now = access.now_micros;
    append_logged(tx, access, action, record_kind, record_key, outcome, now).await
}

/// `append` for an event whose own time (`access.now_micros`, a station's) is not when
/// the server logs it (`now_micros`).
#[allow(
    clippy::too_many_arguments,
    reason = "append's arguments and the server's time"
)]
pub async fn append_logged(
    tx: &mut dyn Tx,
    access: &Access,
    action: &str,
    record_kind: &str,
    record_key: &str,
    outcome: Outcome,
    now_micros: i64,
) -> Result<AuditEvent> {
    tx.lock_audit().await?;
    let at = access.now_micros;
    // Logged no earlier than the event before, whatever this node's clock says: a month
    // of a partitioned trail holds one unbroken stretch of it.
    let (seq, prev_hash, logged) = match tail(tx).await? {
        Some((seq, hash, last)) => (seq + 1, hash, last.max(now_micros)),
        None => {
            // No tail kept while events exist is a trail tampered with: starting again
            // at 1 would fork the chain.
            let any = tx
                .fetch("SELECT seq FROM audit_events LIMIT 1", &[])
                .await?;
            if !any.is_empty() {
                return Err(crate::corrupt("audit tail (events exist without it)"));
            }
            (1, GENESIS_HASH.to_owned(), now_micros)
        }
    };
    let draft = access.draft(action, record_kind, record_key, outcome);
    let hash = chain_mac(tx.audit_key(), &prev_hash, seq, at, &draft);
    tx.execute(
        "INSERT INTO audit_events (seq, at_micros, actor, unit, action, record_kind, record_key, purpose, prev_hash, hash, outcome, logged_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
            logged.into(),
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO audit_tail (id, seq, hash, logged_micros) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
            logged_micros = excluded.logged_micros",
        &[seq.into(), Value::from(&hash), logged.into()],
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

/// The chain's last event (sequence number, hash, when it was logged), kept in
/// `audit_tail` by every append: one row read, however many months the trail spans.
async fn tail(tx: &mut dyn Tx) -> Result<Option<(i64, String, i64)>> {
    let rows = tx
        .fetch(
            "SELECT seq, hash, logged_micros FROM audit_tail WHERE id = 1",
            &[],
        )
        .await?;
    rows.first()
        .map(|r| Ok((int(r, "seq")?, text(r, "hash")?, int(r, "logged_micros")?)))
        .transpose()
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

/// The event the trail in the table continues from (see `Store::audit_anchor`).
pub async fn anchor(tx: &mut dyn Tx, before_micros: Option<i64>) -> Result<Option<(i64, String)>> {
    let rows = match before_micros {
        Some(before) => {
            tx.fetch(
                "SELECT seq, hash FROM audit_events WHERE logged_micros < $1 ORDER BY seq DESC LIMIT 1",
                &[before.into()],
            )
            .await?
        }
        None => Vec::new(),
    };
    let rows = if rows.is_empty() {
        // Before the table's first event: the last one archived, if any.
        let archived_before = before_micros.unwrap_or(i64::MAX);
        tx.fetch(
            "SELECT last_seq AS seq, last_hash AS hash FROM audit_archive
             WHERE from_micros < $1 AND events > 0 ORDER BY last_seq DESC LIMIT 1",
            &[archived_before.into()],
        )
        .await?
    } else {
        rows
    };
    rows.first()
        .map(|r| Ok((int(r, "seq")?, text(r, "hash")?)))
        .transpose()
}

/// An event's `column` (`hash` or `prev_hash`) with its sequence number.
async fn hash_at(tx: &mut dyn Tx, seq: Option<i64>, column: &str) -> Result<Option<(i64, String)>> {
    let Some(seq) = seq else { return Ok(None) };
    let rows = tx
        .fetch(
            &format!("SELECT {column} AS h FROM audit_events WHERE seq = $1"),
            &[seq.into()],
        )
        .await?;
    rows.first().map(|r| Ok((seq, text(r, "h")?))).transpose()
}

/// A month's figures read from its events.
async fn month_in_table(tx: &mut dyn Tx, name: String, from: i64, to: i64) -> Result<AuditMonth> {
    let range = [from.into(), to.into()];
    let span = tx
        .fetch_one(
            "SELECT min(seq) AS first, max(seq) AS last, count(*) AS n FROM audit_events
             WHERE logged_micros >= $1 AND logged_micros < $2",
            &range,
        )
        .await?;
    let (first, last, events) = match &span {
        Some(r) => (r.int("first")?, r.int("last")?, int(r, "n")?),
        None => (None, None, 0),
    };
    let first = hash_at(tx, first, "prev_hash").await?;
    let last = hash_at(tx, last, "hash").await?;
    Ok(AuditMonth {
        name,
        from_micros: from,
        to_micros: to,
        events: u64::try_from(events).unwrap_or(0),
        first,
        last,
        archived: false,
    })
}

fn archived_month(r: &Row) -> Result<AuditMonth> {
    Ok(AuditMonth {
        name: text(r, "name")?,
        from_micros: int(r, "from_micros")?,
        to_micros: int(r, "to_micros")?,
        events: u64::try_from(int(r, "events")?).unwrap_or(0),
        first: Some((int(r, "first_seq")?, text(r, "first_prev_hash")?)),
        last: Some((int(r, "last_seq")?, text(r, "last_hash")?)),
        archived: true,
    })
}

/// Every month of the trail, oldest first: those archived, then those in the table.
pub async fn months(tx: &mut dyn Tx) -> Result<Vec<AuditMonth>> {
    let mut out = Vec::new();
    for r in tx
        .fetch("SELECT * FROM audit_archive ORDER BY from_micros", &[])
        .await?
    {
        out.push(archived_month(&r)?);
    }
    for r in tx
        .fetch(
            "SELECT name, from_micros, to_micros FROM audit_months
             WHERE name NOT IN (SELECT name FROM audit_archive) ORDER BY from_micros",
            &[],
        )
        .await?
    {
        out.push(
            month_in_table(
                tx,
                text(&r, "name")?,
                int(&r, "from_micros")?,
                int(&r, "to_micros")?,
            )
            .await?,
        );
    }
    Ok(out)
}

/// A partition's name as the migration makes it: nothing else is ever detached.
fn is_month_partition(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix("audit_events_")
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(y, m)| y.len() == 4 && m.len() == 2 && digits(y) && digits(m))
}

/// Detaches the months wholly before `before_micros`, oldest first (see
/// `Store::archive_audit_months`). Runs under the audit lock: the chain cannot move.
pub async fn archive(
    tx: &mut dyn Tx,
    access: &Access,
    before_micros: i64,
) -> Result<Vec<AuditMonth>> {
    tx.lock_audit().await?;
    let candidates = tx
        .fetch(
            "SELECT name, from_micros, to_micros FROM audit_months
             WHERE to_micros <= $1 AND name NOT IN (SELECT name FROM audit_archive)
             ORDER BY from_micros",
            &[before_micros.into()],
        )
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let stray = tx
        .fetch_one(
            "SELECT count(*) AS n FROM audit_events_default WHERE logged_micros < $1",
            &[before_micros.into()],
        )
        .await?
        .map(|r| int(&r, "n"))
        .transpose()?
        .unwrap_or(0);
    if stray > 0 {
        return Err(StoreError::Invalid(format!(
            "{stray} events of those months are in the default partition (no month was made for them): archiving them would break the chain"
        )));
    }
    let mut expected_first = anchor(tx, None).await?.map_or(1, |(seq, _)| seq + 1);
    let mut done = Vec::new();
    for r in candidates {
        let name = text(&r, "name")?;
        if !is_month_partition(&name) {
            return Err(crate::corrupt("audit month name"));
        }
        let month = month_in_table(
            tx,
            name.clone(),
            int(&r, "from_micros")?,
            int(&r, "to_micros")?,
        )
        .await?;
        // Read again each time: this archive's own events move it.
        let tail = tail(tx).await?.map(|(seq, _, _)| seq);
        if tail.is_some() && month.last.as_ref().map(|(seq, _)| *seq) == tail {
            // The month holding the chain's last event stays: appends continue from it.
            break;
        }
        let (first, last) = match (&month.first, &month.last) {
            (Some(f), Some(l)) => (f.clone(), l.clone()),
            // An empty month: nothing to keep but its bounds.
            _ => (
                (expected_first, String::new()),
                (expected_first - 1, String::new()),
            ),
        };
        if month.events > 0
            && (first.0 != expected_first
                || last.0 - first.0 + 1 != i64::try_from(month.events).unwrap_or(-1))
        {
            return Err(StoreError::Invalid(format!(
                "{name} does not hold one unbroken stretch of the chain from event {expected_first}: run `cancuoc audit verify`"
            )));
        }
        tx.execute(
            "INSERT INTO audit_archive (name, from_micros, to_micros, first_seq, first_prev_hash,
                last_seq, last_hash, events, archived_micros)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                Value::from(name.as_str()),
                month.from_micros.into(),
                month.to_micros.into(),
                first.0.into(),
                Value::from(first.1.as_str()),
                last.0.into(),
                Value::from(last.1.as_str()),
                i64::try_from(month.events).unwrap_or(i64::MAX).into(),
                access.now_micros.into(),
            ],
        )
        .await?;
        tx.execute(
            &format!("ALTER TABLE audit_events DETACH PARTITION {name}"),
            &[],
        )
        .await?;
        tx.audit(
            access,
            cancuoc_store::actions::AUDIT_ARCHIVE,
            "audit_month",
            &name,
        )
        .await?;
        expected_first = last.0 + 1;
        done.push(AuditMonth {
            archived: true,
            ..month
        });
    }
    Ok(done)
}

/// The months archived, oldest first, for `audit verify` to check against each other and
/// against the signed checkpoints.
pub async fn archived(tx: &mut dyn Tx) -> Result<Vec<AuditMonth>> {
    let mut out = Vec::new();
    for r in tx
        .fetch(
            "SELECT * FROM audit_archive WHERE events > 0 ORDER BY first_seq, from_micros",
            &[],
        )
        .await?
    {
        out.push(archived_month(&r)?);
    }
    Ok(out)
}

/// The lowest sequence number in the table, if any.
pub async fn first_seq(tx: &mut dyn Tx) -> Result<Option<i64>> {
    let rows = tx
        .fetch("SELECT min(seq) AS first FROM audit_events", &[])
        .await?;
    Ok(rows.first().map(|r| r.int("first")).transpose()?.flatten())
}
