//! The eligible population kept current at write time (DESIGN §5): per place of
//! residence, the people `due_a_card` on the counts' day, so that a national report reads
//! some ten thousand rows instead of every resident.
//!
//! - Every change that can move someone in or out reads where they stand before and
//!   after, in its own transaction, and moves them (`standing`, `restate`): a record
//!   made official or corrected (death, move, nationality, birth date), an application
//!   filed or ended, a card handed over or reported lost.
//! - Records that appear in bulk (an import's run, a population load) are counted as a
//!   set when they appear (`count_new`).
//! - Time moves people too: a 14th birthday, a card expiring. `advance` brings the counts
//!   from their day to a later one by recounting only the people whose birth date or card
//!   expiry falls between the two; the server runs it daily and a report asks for it.
//!
//! Every writer of the counts holds the audit lock first (a `Write` transaction does from
//! its start; a bulk write takes it here), so the day cannot move under a change.

use cancuoc_store::{EligibleAdvance, EligibleCheck, EligibleMismatch, Result};
use jiff::civil::Date;
use std::collections::BTreeMap;

use crate::campaigns::due_a_card;
use crate::{Query, Row, Tx, Value, corrupt, int, text};

/// A place of residence: province, district, commune codes (`""` where not recorded).
pub(crate) type Place = (String, String, String);

/// The place columns of the citizen aliased `c`, empty where not recorded.
const PLACE: &str =
    "COALESCE(c.home_province, '') AS province, COALESCE(c.home_district, '') AS district,
    COALESCE(c.home_commune, '') AS commune";

/// Grouped by the same expressions, so that a NULL and an empty level are one place.
const GROUP_BY_PLACE: &str =
    "GROUP BY COALESCE(c.home_province, ''), COALESCE(c.home_district, ''),
    COALESCE(c.home_commune, '')";

fn place(row: &Row) -> Result<Place> {
    Ok((
        text(row, "province")?,
        text(row, "district")?,
        text(row, "commune")?,
    ))
}

/// The day the counts are kept for; `None` while they are not kept.
pub(crate) async fn kept_day(tx: &mut dyn Tx) -> Result<Option<Date>> {
    let rows = tx
        .fetch("SELECT day FROM eligible_day WHERE id = 1", &[])
        .await?;
    rows.first()
        .map(|r| text(r, "day")?.parse().map_err(|_| corrupt("eligible day")))
        .transpose()
}

/// Where one person stands in the kept counts, read before a change.
pub(crate) struct Standing {
    day: Option<Date>,
    place: Option<Place>,
}

/// Where the person with this personal ID is counted, if anywhere.
pub(crate) async fn standing(tx: &mut dyn Tx, personal_id: &str) -> Result<Standing> {
    let day = kept_day(tx).await?;
    let place = match day {
        Some(day) => counted_at(tx, day, personal_id).await?,
        None => None,
    };
    Ok(Standing { day, place })
}

async fn counted_at(tx: &mut dyn Tx, day: Date, personal_id: &str) -> Result<Option<Place>> {
    let Some((due, args)) = due_a_card(tx, "c", day) else {
        return Ok(None);
    };
    let mut q = Query::new(format!("SELECT {PLACE} FROM citizens c WHERE "));
    q.push_numbered(&due, args);
    q.push(" AND c.personal_id = $?", personal_id);
    let rows = tx.fetch(&q.sql, &q.args).await?;
    rows.first().map(place).transpose()
}

/// Moves the person (now under `personal_id`, which a correction may have changed) from
/// where they stood before the change to where they stand now.
pub(crate) async fn restate(tx: &mut dyn Tx, before: Standing, personal_id: &str) -> Result<()> {
    let Some(day) = before.day else {
        return Ok(());
    };
    let now = counted_at(tx, day, personal_id).await?;
    if now == before.place {
        return Ok(());
    }
    let mut deltas = BTreeMap::new();
    if let Some(p) = before.place {
        *deltas.entry(p).or_default() -= 1;
    }
    if let Some(p) = now {
        *deltas.entry(p).or_default() += 1;
    }
    add(tx, deltas).await
}

/// Counts records that have just appeared in bulk, chosen by `condition` over
/// `citizen_rows` aliased `c` (its parameters numbered from `$1`). The count runs before
/// the audit lock is taken (nobody else can file for, or change, records that are not yet
/// shown), so a large import holds the lock only to add the result; it is counted again
/// under the lock only if the counts' day moved meanwhile.
pub(crate) async fn count_new(tx: &mut dyn Tx, condition: &str, args: Vec<Value>) -> Result<()> {
    let mut day = kept_day(tx).await?;
    let mut deltas = match day {
        Some(d) => count_where(tx, d, condition, args.clone()).await?,
        None => BTreeMap::new(),
    };
    tx.lock_audit().await?;
    let locked_day = kept_day(tx).await?;
    if locked_day != day {
        day = locked_day;
        deltas = match day {
            Some(d) => count_where(tx, d, condition, args).await?,
            None => BTreeMap::new(),
        };
    }
    add(tx, deltas).await
}

async fn count_where(
    tx: &mut dyn Tx,
    day: Date,
    condition: &str,
    args: Vec<Value>,
) -> Result<BTreeMap<Place, i64>> {
    let mut deltas = BTreeMap::new();
    let Some((due, due_args)) = due_a_card(tx, "c", day) else {
        return Ok(deltas);
    };
    let mut q = Query::new(format!(
        "SELECT {PLACE}, count(*) AS n FROM citizen_rows c WHERE "
    ));
    q.push_numbered(&due, due_args);
    q.raw(" AND ");
    q.push_numbered(condition, args);
    q.raw(&format!(" {GROUP_BY_PLACE}"));
    for row in tx.fetch(&q.sql, &q.args).await? {
        *deltas.entry(place(&row)?).or_default() += int(&row, "n")?;
    }
    Ok(deltas)
}

/// Adds each place's change to its count.
async fn add(tx: &mut dyn Tx, deltas: BTreeMap<Place, i64>) -> Result<()> {
    for ((province, district, commune), delta) in deltas {
        if delta == 0 {
            continue;
        }
        tx.execute(
            "INSERT INTO eligible_counts (home_province, home_district, home_commune, eligible)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (home_province, home_district, home_commune)
             DO UPDATE SET eligible = eligible_counts.eligible + excluded.eligible",
            &[
                Value::from(province),
                Value::from(district),
                Value::from(commune),
                Value::from(delta),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The counts of every place as a recount of the register on `day` makes them.
async fn recount(tx: &mut dyn Tx, day: Date) -> Result<BTreeMap<Place, i64>> {
    let mut out = BTreeMap::new();
    let Some((due, args)) = due_a_card(tx, "c", day) else {
        return Ok(out);
    };
    let sql = format!(
        "SELECT {PLACE}, count(*) AS n FROM citizens c WHERE {due}
         {GROUP_BY_PLACE}"
    );
    for row in tx.fetch(&sql, &args).await? {
        out.insert(place(&row)?, int(&row, "n")?);
    }
    Ok(out)
}

/// Brings the counts to `today` (see the module's notes); a day before theirs leaves them.
pub async fn advance(tx: &mut dyn Tx, today: Date) -> Result<EligibleAdvance> {
    let from = kept_day(tx).await?;
    let mut done = EligibleAdvance {
        from,
        to: today,
        recounted: false,
        moved: 0,
    };
    match from {
        // A node whose clock is behind another's (or a day asked again) leaves them: the
        // counts move forward only, and only the first count reads the whole register.
        Some(day) if day >= today => {
            done.to = day;
            return Ok(done);
        }
        Some(day) if day < today && due_a_card(tx, "c", day).is_some() => {
            let deltas = moved_between(tx, day, today).await?;
            done.moved = deltas.values().map(|d| d.unsigned_abs()).sum();
            add(tx, deltas).await?;
        }
        _ => {
            tx.execute("DELETE FROM eligible_counts", &[]).await?;
            let counts = recount(tx, today).await?;
            done.moved = counts.values().map(|n| n.unsigned_abs()).sum();
            done.recounted = true;
            add(tx, counts).await?;
        }
    }
    tx.execute(
        "INSERT INTO eligible_day (id, day) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET day = excluded.day",
        &[Value::from(today.to_string())],
    )
    .await?;
    Ok(done)
}

/// Per place, the people counted on `to` less those counted on `from`, over the only
/// people who can differ: those turning 14 in between and those whose card expires.
async fn moved_between(tx: &mut dyn Tx, from: Date, to: Date) -> Result<BTreeMap<Place, i64>> {
    let (Some((due_to, to_args)), Some((due_from, from_args))) =
        (due_a_card(tx, "c", to), due_a_card(tx, "c", from))
    else {
        return Ok(BTreeMap::new());
    };
    let cutoff = |d: Date| {
        cancuoc_domain::campaign::eligibility_cutoff(d)
            .map(|c| c.to_string())
            .unwrap_or_default()
    };
    let (a, b) = (cutoff(from), cutoff(to));
    let prefix = |s: &str, n: usize| s.get(..n).unwrap_or_default().to_owned();
    // A partial birth date counts as the latest day it can mean, as in `due_a_card`.
    let mut q = Query::new(
        "WITH touched (personal_id) AS (
            SELECT personal_id FROM citizens WHERE length(birth_date) = 10",
    );
    q.push(" AND birth_date > $?", a.clone())
        .push(" AND birth_date <= $?", b.clone())
        .raw(" UNION SELECT personal_id FROM citizens WHERE length(birth_date) = 7")
        .push(" AND birth_date >= $?", prefix(&a, 7))
        .push(" AND birth_date < $?", prefix(&b, 7))
        .raw(" UNION SELECT personal_id FROM citizens WHERE length(birth_date) = 4")
        .push(" AND birth_date >= $?", prefix(&a, 4))
        .push(" AND birth_date < $?", prefix(&b, 4))
        .raw(" UNION SELECT personal_id FROM cards WHERE status = 'active'")
        .push(" AND expiry_date >= $?", from.to_string())
        .push(" AND expiry_date < $?", to.to_string())
        .raw(&format!(") SELECT {PLACE}, sum(CASE WHEN "));
    q.push_numbered(&due_to, to_args);
    q.raw(" THEN 1 ELSE 0 END) - sum(CASE WHEN ");
    q.push_numbered(&due_from, from_args);
    q.raw(&format!(
        " THEN 1 ELSE 0 END) AS n FROM citizens c
         WHERE c.personal_id IN (SELECT personal_id FROM touched)
         {GROUP_BY_PLACE}"
    ));
    let mut out = BTreeMap::new();
    for row in tx.fetch(&q.sql, &q.args).await? {
        out.insert(place(&row)?, int(&row, "n")?);
    }
    Ok(out)
}

/// Recounts every place for the counts' day and lists where the kept counts differ.
pub async fn verify(tx: &mut dyn Tx) -> Result<EligibleCheck> {
    let Some(day) = kept_day(tx).await? else {
        return Ok(EligibleCheck {
            day: None,
            places: 0,
            mismatches: Vec::new(),
        });
    };
    let mut recounted = recount(tx, day).await?;
    let mut mismatches = Vec::new();
    let mut places = 0;
    for row in tx
        .fetch(
            "SELECT home_province AS province, home_district AS district,
                home_commune AS commune, eligible FROM eligible_counts",
            &[],
        )
        .await?
    {
        let at = place(&row)?;
        let kept = int(&row, "eligible")?;
        places += u64::from(kept != 0);
        let expected = recounted.remove(&at).unwrap_or(0);
        if kept != expected {
            mismatches.push(mismatch(at, kept, expected));
        }
    }
    mismatches.extend(
        recounted
            .into_iter()
            .map(|(at, expected)| mismatch(at, 0, expected)),
    );
    mismatches.sort_by(|a, b| {
        (&a.province, &a.district, &a.commune).cmp(&(&b.province, &b.district, &b.commune))
    });
    Ok(EligibleCheck {
        day: Some(day),
        places,
        mismatches,
    })
}

fn mismatch((province, district, commune): Place, kept: i64, recounted: i64) -> EligibleMismatch {
    EligibleMismatch {
        province,
        district,
        commune,
        kept,
        recounted: u64::try_from(recounted).unwrap_or(0),
    }
}

/// The kept counts grouped by `group` (a place column of `c`), under `filters` (clauses
/// with one `$?` each: the area asked for, the caller's scope).
pub(crate) async fn kept(
    tx: &mut dyn Tx,
    group: &str,
    filters: &[(String, Value)],
) -> Result<Vec<(Option<String>, u64)>> {
    let mut q = Query::new(format!(
        "SELECT {group} AS place, CAST(sum(eligible) AS BIGINT) AS n FROM eligible_counts c WHERE 1 = 1"
    ));
    for (clause, value) in filters {
        q.push(clause, value.clone());
    }
    q.raw(&format!(" GROUP BY {group} HAVING sum(eligible) <> 0"));
    tx.fetch(&q.sql, &q.args)
        .await?
        .iter()
        .map(|row| {
            let place = row.text("place")?.filter(|p| !p.is_empty());
            // A count below zero is drift, which `report verify` names; shown as none.
            let n = u64::try_from(int(row, "n")?).unwrap_or(0);
            Ok((place, n))
        })
        .collect()
}
