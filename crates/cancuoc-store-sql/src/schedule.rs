//! Enrollment sites, machines, sessions, slots and appointments (DESIGN §7).

use cancuoc_domain::schedule::{AppointmentOrigin, AppointmentState, Slot, Taker, Window};
use cancuoc_store::{
    Access, Appointment, AppointmentStep, EnrollmentSession, Invitee, Machine, NewAppointment,
    NewEnrollmentSession, Result, SessionQuery, SessionState, Site, SiteKind, SlotUse, StoreError,
    actions,
};
use jiff::civil::Date;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::{Row, Tx, Value, corrupt, int, scope, text};

/// States that hold a place in a slot, as an SQL list.
const HOLDING: &str = "('booked', 'checked_in', 'called', 'served')";
/// States of an active appointment (at most one per person).
const ACTIVE: &str = "('booked', 'checked_in', 'called')";

fn uuid(row: &Row, name: &str) -> Result<Uuid> {
    Uuid::parse_str(&text(row, name)?).map_err(|_| corrupt(name))
}

fn small(row: &Row, name: &str) -> Result<u32> {
    u32::try_from(int(row, name)?).map_err(|_| corrupt(name))
}

fn window(row: &Row, start: &str, end: &str) -> Result<Window> {
    Window::new(small(row, start)?, small(row, end)?).map_err(|_| corrupt("time window"))
}

/// The province and district above a commune (no district in the 2025 hierarchy).
pub(crate) async fn places_above(
    tx: &mut dyn Tx,
    commune: &str,
) -> Result<(String, Option<String>)> {
    let parent = |code: &str| vec![Value::from(code)];
    let rows = tx
        .fetch(
            "SELECT parent_code FROM admin_units WHERE code = $1",
            &parent(commune),
        )
        .await?;
    let up = rows
        .first()
        .map(|r| r.text("parent_code"))
        .transpose()?
        .flatten()
        .ok_or_else(|| StoreError::NotFound(format!("commune {commune}")))?;
    if up.len() == 2 {
        return Ok((up, None));
    }
    let rows = tx
        .fetch(
            "SELECT parent_code FROM admin_units WHERE code = $1",
            &parent(&up),
        )
        .await?;
    let province = rows
        .first()
        .map(|r| r.text("parent_code"))
        .transpose()?
        .flatten()
        .ok_or_else(|| corrupt("district without a province"))?;
    Ok((province, Some(up)))
}

const SITE_COLUMNS: &str = "s.id, s.unit, s.name, s.kind, s.home_commune, s.address, s.opens_min,
    s.closes_min, s.created_by, s.created_micros";

fn site_row(row: &Row) -> Result<Site> {
    Ok(Site {
        id: uuid(row, "id")?,
        unit: text(row, "unit")?,
        name: text(row, "name")?,
        kind: SiteKind::parse(&text(row, "kind")?).ok_or_else(|| corrupt("site kind"))?,
        commune: text(row, "home_commune")?,
        address: text(row, "address")?,
        hours: window(row, "opens_min", "closes_min")?,
        created_by: text(row, "created_by")?,
        created_micros: int(row, "created_micros")?,
    })
}

pub async fn create_site(tx: &mut dyn Tx, access: &Access, site: &Site) -> Result<()> {
    let taken = tx
        .fetch(
            "SELECT id FROM sites WHERE unit = $1 AND name = $2",
            &[
                Value::from(site.unit.as_str()),
                Value::from(site.name.as_str()),
            ],
        )
        .await?;
    if !taken.is_empty() {
        return Err(StoreError::Conflict(format!(
            "{} already has a site named {:?}",
            site.unit, site.name
        )));
    }
    let (province, district) = places_above(tx, &site.commune).await?;
    tx.execute(
        "INSERT INTO sites (id, unit, name, kind, home_province, home_district, home_commune,
            address, opens_min, closes_min, created_by, created_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            Value::from(site.id.to_string()),
            Value::from(site.unit.as_str()),
            Value::from(site.name.as_str()),
            Value::from(site.kind.as_str()),
            Value::from(province),
            Value::from(district),
            Value::from(site.commune.as_str()),
            Value::from(site.address.as_str()),
            Value::from(i64::from(site.hours.start_min)),
            Value::from(i64::from(site.hours.end_min)),
            Value::from(site.created_by.as_str()),
            Value::from(site.created_micros),
        ],
    )
    .await?;
    tx.audit(access, actions::SITE_CREATE, "site", &site.id.to_string())
        .await
}

pub async fn sites(tx: &mut dyn Tx, access: &Access, unit: Option<&str>) -> Result<Vec<Site>> {
    let mut sql = format!("SELECT {SITE_COLUMNS} FROM sites s WHERE 1 = 1");
    let mut args = Vec::new();
    if let Some(unit) = unit {
        args.push(Value::from(unit));
        sql.push_str(&format!(" AND s.unit = ${}", args.len()));
    }
    if let Some((clause, value)) = scope(access, "s", args.len() + 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    sql.push_str(" ORDER BY s.unit, s.name");
    tx.fetch(&sql, &args).await?.iter().map(site_row).collect()
}

async fn site(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<Option<Site>> {
    let mut sql = format!("SELECT {SITE_COLUMNS} FROM sites s WHERE s.id = $1");
    let mut args = vec![Value::from(id.to_string())];
    if let Some((clause, value)) = scope(access, "s", 2) {
        sql.push_str(&clause);
        args.push(value);
    }
    tx.fetch(&sql, &args)
        .await?
        .first()
        .map(site_row)
        .transpose()
}

fn machine_row(row: &Row) -> Result<Machine> {
    Ok(Machine {
        id: uuid(row, "id")?,
        unit: text(row, "unit")?,
        label: text(row, "label")?,
        minutes_per_application: small(row, "minutes")?,
        active: int(row, "active")? != 0,
        created_micros: int(row, "created_micros")?,
    })
}

pub async fn add_machine(tx: &mut dyn Tx, access: &Access, machine: &Machine) -> Result<()> {
    let taken = tx
        .fetch(
            "SELECT id FROM machines WHERE unit = $1 AND label = $2",
            &[
                Value::from(machine.unit.as_str()),
                Value::from(machine.label.as_str()),
            ],
        )
        .await?;
    if !taken.is_empty() {
        return Err(StoreError::Conflict(format!(
            "{} already has a machine labelled {:?}",
            machine.unit, machine.label
        )));
    }
    tx.execute(
        "INSERT INTO machines (id, unit, label, minutes, active, created_micros)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Value::from(machine.id.to_string()),
            Value::from(machine.unit.as_str()),
            Value::from(machine.label.as_str()),
            Value::from(i64::from(machine.minutes_per_application)),
            Value::from(i64::from(machine.active)),
            Value::from(machine.created_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::MACHINE_ADD,
        "machine",
        &machine.id.to_string(),
    )
    .await
}

pub async fn machines(tx: &mut dyn Tx, unit: &str) -> Result<Vec<Machine>> {
    tx.fetch(
        "SELECT id, unit, label, minutes, active, created_micros FROM machines
         WHERE unit = $1 ORDER BY label",
        &[Value::from(unit)],
    )
    .await?
    .iter()
    .map(machine_row)
    .collect()
}

/// Sessions on a day that overlap a window and use one of the given machines or
/// officers; the message names the first.
async fn double_booked(tx: &mut dyn Tx, new: &NewEnrollmentSession) -> Result<Option<String>> {
    let day = Value::from(new.day.to_string());
    let (start, end) = (
        Value::from(i64::from(new.window.start_min)),
        Value::from(i64::from(new.window.end_min)),
    );
    for machine in &new.machines {
        let rows = tx
            .fetch(
                "SELECT m.label FROM session_machines sm
                 JOIN enrollment_sessions e ON e.id = sm.session_id
                 JOIN machines m ON m.id = sm.machine_id
                 WHERE sm.machine_id = $1 AND e.day = $2 AND e.start_min < $4 AND $3 < e.end_min",
                &[
                    Value::from(machine.to_string()),
                    day.clone(),
                    start.clone(),
                    end.clone(),
                ],
            )
            .await?;
        if let Some(row) = rows.first() {
            return Ok(Some(format!(
                "machine {} is already in a session at that time on {}",
                text(row, "label")?,
                new.day
            )));
        }
    }
    for officer in &new.officers {
        let rows = tx
            .fetch(
                "SELECT so.username FROM session_officers so
                 JOIN enrollment_sessions e ON e.id = so.session_id
                 WHERE so.username = $1 AND e.day = $2 AND e.start_min < $4 AND $3 < e.end_min",
                &[
                    Value::from(officer.as_str()),
                    day.clone(),
                    start.clone(),
                    end.clone(),
                ],
            )
            .await?;
        if !rows.is_empty() {
            return Ok(Some(format!(
                "officer {officer} is already in a session at that time on {}",
                new.day
            )));
        }
    }
    Ok(None)
}

pub async fn create_sessions(
    tx: &mut dyn Tx,
    access: &Access,
    sessions: &[NewEnrollmentSession],
) -> Result<()> {
    for new in sessions {
        let site = site(tx, access, new.site)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("site {}", new.site)))?;
        for id in &new.machines {
            let rows = tx
                .fetch(
                    "SELECT unit, active FROM machines WHERE id = $1",
                    &[Value::from(id.to_string())],
                )
                .await?;
            let Some(row) = rows.first() else {
                return Err(StoreError::NotFound(format!("machine {id}")));
            };
            if text(row, "unit")? != site.unit || int(row, "active")? == 0 {
                return Err(StoreError::Invalid(format!(
                    "machine {id} is not an active machine of {}",
                    site.unit
                )));
            }
        }
        for officer in &new.officers {
            // Only officers of the site's unit or of a unit under it (two levels: a
            // province's districts and their communes) staff its sessions; any other is
            // answered as unknown.
            let rows = tx
                .fetch(
                    "SELECT CAST(CASE WHEN o.active THEN 1 ELSE 0 END AS BIGINT) AS active FROM officers o
                     WHERE o.username = $1 AND (o.unit_code = $2
                        OR o.unit_code IN (SELECT p.code FROM police_units p WHERE p.parent_code = $2)
                        OR o.unit_code IN (SELECT p.code FROM police_units p JOIN police_units q
                            ON p.parent_code = q.code WHERE q.parent_code = $2))",
                    &[
                        Value::from(officer.as_str()),
                        Value::from(site.unit.as_str()),
                    ],
                )
                .await?;
            if rows
                .first()
                .map(|r| int(r, "active"))
                .transpose()?
                .unwrap_or(0)
                == 0
            {
                return Err(StoreError::NotFound(format!("active officer {officer}")));
            }
        }
        if let Some(clash) = double_booked(tx, new).await? {
            return Err(StoreError::Conflict(clash));
        }
        let (province, district) = places_above(tx, &site.commune).await?;
        // A gathered commune is the site's neighbour within its district: the session is
        // scoped by its site, so people from elsewhere would be out of their police's sight.
        let invited_places = match &new.invites {
            Some(invites) => match places_above(tx, invites).await {
                Ok(places) => Some(places),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        if let Some(invites) = &new.invites
            && invited_places != Some((province.clone(), district.clone()))
        {
            return Err(StoreError::Invalid(format!(
                "invites: {invites} is not a commune of the site's district"
            )));
        }
        let id = new.id.to_string();
        tx.execute(
            "INSERT INTO enrollment_sessions (id, site_id, unit, home_province, home_district,
                home_commune, day, start_min, end_min, slot_min, state, created_by, created_micros,
                invites_commune)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            &[
                Value::from(id.as_str()),
                Value::from(site.id.to_string()),
                Value::from(site.unit.as_str()),
                Value::from(province),
                Value::from(district),
                Value::from(site.commune.as_str()),
                Value::from(new.day.to_string()),
                Value::from(i64::from(new.window.start_min)),
                Value::from(i64::from(new.window.end_min)),
                Value::from(i64::from(new.slot_min)),
                Value::from(SessionState::Open.as_str()),
                Value::from(access.actor.as_str()),
                Value::from(access.now_micros),
                Value::from(new.invites.clone()),
            ],
        )
        .await?;
        for machine in &new.machines {
            tx.execute(
                "INSERT INTO session_machines (session_id, machine_id) VALUES ($1, $2)",
                &[Value::from(id.as_str()), Value::from(machine.to_string())],
            )
            .await?;
        }
        for officer in &new.officers {
            tx.execute(
                "INSERT INTO session_officers (session_id, username) VALUES ($1, $2)",
                &[Value::from(id.as_str()), Value::from(officer.as_str())],
            )
            .await?;
        }
        for slot in &new.slots {
            tx.execute(
                "INSERT INTO slots (session_id, number, start_min, end_min, capacity, slot_limit)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    Value::from(id.as_str()),
                    Value::from(i64::from(slot.number)),
                    Value::from(i64::from(slot.window.start_min)),
                    Value::from(i64::from(slot.window.end_min)),
                    Value::from(i64::from(slot.capacity)),
                    Value::from(i64::from(slot.limit)),
                ],
            )
            .await?;
        }
        tx.audit(access, actions::SESSION_CREATE, "enrollment_session", &id)
            .await?;
    }
    Ok(())
}

/// Sessions by id, each with its site, machines, officers and slots.
async fn load_sessions(
    tx: &mut dyn Tx,
    access: &Access,
    filter: &str,
    mut args: Vec<Value>,
) -> Result<Vec<EnrollmentSession>> {
    let mut sql = format!(
        "SELECT e.id AS session_id, e.day, e.start_min, e.end_min, e.slot_min, e.state,
            COALESCE(e.invites_commune, e.home_commune) AS invites, {SITE_COLUMNS}
         FROM enrollment_sessions e JOIN sites s ON s.id = e.site_id WHERE {filter}"
    );
    if let Some((clause, value)) = scope(access, "e", args.len() + 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    sql.push_str(" ORDER BY e.day, e.start_min, s.name");
    let rows = tx.fetch(&sql, &args).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = uuid(row, "session_id")?;
        let key = Value::from(id.to_string());
        let machines = tx
            .fetch(
                "SELECT m.id, m.unit, m.label, m.minutes, m.active, m.created_micros
                 FROM session_machines sm JOIN machines m ON m.id = sm.machine_id
                 WHERE sm.session_id = $1 ORDER BY m.label",
                std::slice::from_ref(&key),
            )
            .await?
            .iter()
            .map(machine_row)
            .collect::<Result<Vec<_>>>()?;
        let officers = tx
            .fetch(
                "SELECT username FROM session_officers WHERE session_id = $1 ORDER BY username",
                std::slice::from_ref(&key),
            )
            .await?
            .iter()
            .map(|r| text(r, "username"))
            .collect::<Result<Vec<_>>>()?;
        let slots = tx
            .fetch(
                &format!(
                    "SELECT sl.number, sl.start_min, sl.end_min, sl.capacity, sl.slot_limit,
                        (SELECT count(*) FROM appointments a WHERE a.session_id = sl.session_id
                           AND a.slot = sl.number AND a.state IN {HOLDING}) AS held
                     FROM slots sl WHERE sl.session_id = $1 ORDER BY sl.number"
                ),
                std::slice::from_ref(&key),
            )
            .await?
            .iter()
            .map(|r| {
                Ok(SlotUse {
                    slot: Slot {
                        number: small(r, "number")?,
                        window: window(r, "start_min", "end_min")?,
                        capacity: small(r, "capacity")?,
                        limit: small(r, "slot_limit")?,
                    },
                    held: small(r, "held")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(EnrollmentSession {
            id,
            site: site_row(row)?,
            day: text(row, "day")?
                .parse()
                .map_err(|_| corrupt("session day"))?,
            window: window(row, "start_min", "end_min")?,
            slot_min: small(row, "slot_min")?,
            state: SessionState::parse(&text(row, "state")?)
                .ok_or_else(|| corrupt("session state"))?,
            invites: text(row, "invites")?,
            machines,
            officers,
            slots,
        });
    }
    Ok(out)
}

pub async fn sessions(
    tx: &mut dyn Tx,
    access: &Access,
    query: &SessionQuery,
) -> Result<Vec<EnrollmentSession>> {
    let mut filter = "e.day >= $1 AND e.day <= $2".to_owned();
    let mut args = vec![
        Value::from(query.from.to_string()),
        Value::from(query.to.to_string()),
    ];
    if let Some(commune) = &query.commune {
        args.push(Value::from(commune.as_str()));
        // A commune's sessions: those held there and those its people are invited to.
        filter.push_str(&format!(
            " AND (e.home_commune = ${n} OR e.invites_commune = ${n})",
            n = args.len()
        ));
    }
    if let Some(unit) = &query.unit {
        args.push(Value::from(unit.as_str()));
        filter.push_str(&format!(" AND e.unit = ${}", args.len()));
    }
    load_sessions(tx, access, &filter, args).await
}

pub async fn session(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
) -> Result<Option<EnrollmentSession>> {
    Ok(
        load_sessions(tx, access, "e.id = $1", vec![Value::from(id.to_string())])
            .await?
            .into_iter()
            .next(),
    )
}

/// Closes a session: whoever is still only booked did not come.
pub async fn close_session(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<u64> {
    let Some(found) = session(tx, access, id).await? else {
        return Err(StoreError::NotFound("enrollment session".into()));
    };
    if found.state == SessionState::Closed {
        return Err(StoreError::Invalid("the session is already closed".into()));
    }
    let key = Value::from(id.to_string());
    let released = tx
        .execute(
            "UPDATE appointments SET state = 'no_show' WHERE session_id = $1 AND state = 'booked'",
            std::slice::from_ref(&key),
        )
        .await?;
    tx.execute(
        "UPDATE enrollment_sessions SET state = 'closed' WHERE id = $1",
        std::slice::from_ref(&key),
    )
    .await?;
    tx.audit(
        access,
        actions::SESSION_CLOSE,
        "enrollment_session",
        &id.to_string(),
    )
    .await?;
    Ok(released)
}

pub async fn invitees(
    tx: &mut dyn Tx,
    access: &Access,
    commune: &str,
    on: Date,
) -> Result<Vec<Invitee>> {
    let Some((due, mut args)) = crate::campaigns::due_a_card(tx, "c", on) else {
        return Ok(Vec::new());
    };
    let name = tx.json_text("c.data", "full_name");
    args.push(Value::from(commune));
    let mut sql = format!(
        "SELECT c.personal_id, {name} AS full_name, c.birth_date, c.household_number,
            h.address AS household_address
         FROM citizens c LEFT JOIN households h ON h.number = c.household_number
         WHERE {due} AND c.home_commune = ${n}
           AND NOT EXISTS (SELECT 1 FROM appointments ap WHERE ap.personal_id = c.personal_id
                 AND ap.state IN {ACTIVE})",
        n = args.len()
    );
    if let Some((clause, value)) = scope(access, "c", args.len() + 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    // Households together, each in the order of its members' birth (heads are usually
    // the eldest); people without a household last.
    sql.push_str(
        " ORDER BY CASE WHEN c.household_number IS NULL THEN 1 ELSE 0 END,
           c.household_number, c.birth_date, c.personal_id",
    );
    let rows = tx.fetch(&sql, &args).await?;
    let shown = rows
        .iter()
        .map(|r| text(r, "personal_id"))
        .collect::<Result<Vec<_>>>()?;
    tx.audit(access, actions::INVITEES_READ, "citizen", &shown.join(","))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Invitee {
                personal_id: text(r, "personal_id")?,
                name: text(r, "full_name")?,
                birth_date: text(r, "birth_date")?,
                household: r.text("household_number")?,
                household_address: r.text("household_address")?,
            })
        })
        .collect()
}

const APPOINTMENT_COLUMNS: &str = "a.id, a.session_id, a.slot, a.queue_number, a.personal_id,
    a.household_number, a.origin, a.state, a.created_micros, a.arrived_micros,
    a.called_micros, a.served_micros, a.application_key, c.birth_date";

fn appointment_row(row: &Row) -> Result<Appointment> {
    Ok(Appointment {
        id: uuid(row, "id")?,
        session: uuid(row, "session_id")?,
        slot: small(row, "slot")?,
        queue_number: small(row, "queue_number")?,
        personal_id: text(row, "personal_id")?,
        household: row.text("household_number")?,
        origin: AppointmentOrigin::parse(&text(row, "origin")?)
            .ok_or_else(|| corrupt("appointment origin"))?,
        state: AppointmentState::parse(&text(row, "state")?)
            .ok_or_else(|| corrupt("appointment state"))?,
        created_micros: int(row, "created_micros")?,
        arrived_micros: row.int("arrived_micros")?,
        called_micros: row.int("called_micros")?,
        served_micros: row.int("served_micros")?,
        application: row
            .text("application_key")?
            .map(|k| Uuid::parse_str(&k).map_err(|_| corrupt("application key")))
            .transpose()?,
        name: text(row, "full_name")?,
        birth_date: text(row, "birth_date")?,
    })
}

async fn appointments_where(
    tx: &mut dyn Tx,
    access: &Access,
    filter: &str,
    mut args: Vec<Value>,
) -> Result<Vec<Appointment>> {
    let name = tx.json_text("c.data", "full_name");
    let mut sql = format!(
        "SELECT {APPOINTMENT_COLUMNS}, {name} AS full_name
         FROM appointments a
         JOIN enrollment_sessions e ON e.id = a.session_id
         JOIN citizens c ON c.personal_id = a.personal_id
         WHERE {filter}"
    );
    if let Some((clause, value)) = scope(access, "e", args.len() + 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    sql.push_str(" ORDER BY a.slot, a.queue_number");
    tx.fetch(&sql, &args)
        .await?
        .iter()
        .map(appointment_row)
        .collect()
}

async fn appointment(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<Option<Appointment>> {
    Ok(
        appointments_where(tx, access, "a.id = $1", vec![Value::from(id.to_string())])
            .await?
            .into_iter()
            .next(),
    )
}

/// Locks the session's row for the rest of the transaction (a no-op write: PostgreSQL
/// takes a row lock, SQLite already holds the database's) and checks it is open, so that
/// two bookings into one session cannot both take its last place or one queue number.
async fn lock_open_session(tx: &mut dyn Tx, session: Uuid) -> Result<()> {
    let locked = tx
        .execute(
            "UPDATE enrollment_sessions SET state = state WHERE id = $1 AND state = 'open'",
            &[Value::from(session.to_string())],
        )
        .await?;
    if locked == 0 {
        return Err(StoreError::Invalid(
            "the session is closed or does not exist".into(),
        ));
    }
    Ok(())
}

/// Whether `slot` has a place for `taker` (`schedule::Slot::places`): invitations and
/// bookings up to its limit, walk-ins and moves up to what its machines serve.
async fn check_room(tx: &mut dyn Tx, session: Uuid, slot: u32, taker: Taker) -> Result<()> {
    let key = Value::from(session.to_string());
    let number = Value::from(i64::from(slot));
    let rows = tx
        .fetch(
            &format!(
                "SELECT sl.capacity, sl.slot_limit, (SELECT count(*) FROM appointments a
                    WHERE a.session_id = sl.session_id AND a.slot = sl.number
                      AND a.state IN {HOLDING}) AS held
                 FROM slots sl WHERE sl.session_id = $1 AND sl.number = $2"
            ),
            &[key, number],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Err(StoreError::NotFound(format!("slot {slot} of the session")));
    };
    let places = match taker {
        Taker::Appointment => int(row, "slot_limit")?,
        Taker::WalkIn => int(row, "capacity")?.max(int(row, "slot_limit")?),
    };
    if int(row, "held")? >= places {
        return Err(StoreError::Conflict(match taker {
            Taker::Appointment => format!("slot {slot} is full"),
            Taker::WalkIn => format!("slot {slot}: its machines have no time left"),
        }));
    }
    Ok(())
}

pub async fn make_appointments(
    tx: &mut dyn Tx,
    access: &Access,
    new: &[NewAppointment],
) -> Result<Vec<Appointment>> {
    let mut locked = std::collections::BTreeSet::new();
    let mut next_number: BTreeMap<Uuid, i64> = BTreeMap::new();
    for a in new {
        if locked.insert(a.session) {
            lock_open_session(tx, a.session).await?;
        }
        check_room(tx, a.session, a.slot, a.room).await?;
        let held = tx
            .fetch(
                &format!(
                    "SELECT id FROM appointments WHERE personal_id = $1 AND state IN {ACTIVE}"
                ),
                &[Value::from(a.personal_id.as_str())],
            )
            .await?;
        if !held.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{} already holds an appointment",
                a.personal_id
            )));
        }
        let number = match next_number.get(&a.session) {
            Some(&n) => n,
            None => {
                let rows = tx
                    .fetch(
                        "SELECT CAST(COALESCE(max(queue_number), 0) AS BIGINT) AS last
                         FROM appointments WHERE session_id = $1",
                        &[Value::from(a.session.to_string())],
                    )
                    .await?;
                rows.first()
                    .map(|r| int(r, "last"))
                    .transpose()?
                    .unwrap_or(0)
                    + 1
            }
        };
        next_number.insert(a.session, number + 1);
        let state = if a.arrived_micros.is_some() {
            AppointmentState::CheckedIn
        } else {
            AppointmentState::Booked
        };
        tx.execute(
            "INSERT INTO appointments (id, session_id, slot, queue_number, personal_id,
                household_number, origin, state, created_micros, arrived_micros)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                Value::from(a.id.to_string()),
                Value::from(a.session.to_string()),
                Value::from(i64::from(a.slot)),
                Value::from(number),
                Value::from(a.personal_id.as_str()),
                Value::from(a.household.clone()),
                Value::from(a.origin.as_str()),
                Value::from(state.as_str()),
                Value::from(access.now_micros),
                Value::from(a.arrived_micros),
            ],
        )
        .await?;
        tx.audit(
            access,
            actions::APPOINTMENT_MAKE,
            "appointment",
            &a.id.to_string(),
        )
        .await?;
    }
    let mut out = Vec::with_capacity(new.len());
    for a in new {
        out.push(
            appointment(tx, access, a.id)
                .await?
                .ok_or_else(|| StoreError::NotFound("citizen of the appointment".into()))?,
        );
    }
    Ok(out)
}

pub async fn appointments(
    tx: &mut dyn Tx,
    access: &Access,
    session: Uuid,
) -> Result<Vec<Appointment>> {
    let out = appointments_where(
        tx,
        access,
        "a.session_id = $1",
        vec![Value::from(session.to_string())],
    )
    .await?;
    let shown: Vec<&str> = out.iter().map(|a| a.personal_id.as_str()).collect();
    tx.audit(
        access,
        actions::APPOINTMENT_LIST,
        "citizen",
        &shown.join(","),
    )
    .await?;
    Ok(out)
}

pub async fn active_appointment(
    tx: &mut dyn Tx,
    access: &Access,
    personal_id: &str,
) -> Result<Option<Appointment>> {
    let found = appointments_where(
        tx,
        access,
        &format!("a.personal_id = $1 AND a.state IN {ACTIVE}"),
        vec![Value::from(personal_id)],
    )
    .await?
    .into_iter()
    .next();
    if let Some(a) = &found {
        tx.audit(
            access,
            actions::APPOINTMENT_READ,
            "appointment",
            &a.id.to_string(),
        )
        .await?;
    }
    Ok(found)
}

pub async fn step_appointment(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
    step: AppointmentStep,
) -> Result<Appointment> {
    let current = appointment(tx, access, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("appointment".into()))?;
    let key = Value::from(id.to_string());
    let now = Value::from(access.now_micros);
    let (from, changed) = match step {
        AppointmentStep::CheckIn => (
            AppointmentState::Booked,
            tx.execute(
                "UPDATE appointments SET state = 'checked_in', arrived_micros = $2
                 WHERE id = $1 AND state = 'booked'",
                &[key, now],
            )
            .await?,
        ),
        AppointmentStep::Call => (
            AppointmentState::CheckedIn,
            tx.execute(
                "UPDATE appointments SET state = 'called', called_micros = $2
                 WHERE id = $1 AND state = 'checked_in'",
                &[key, now],
            )
            .await?,
        ),
        AppointmentStep::Cancel => (
            AppointmentState::Booked,
            tx.execute(
                "UPDATE appointments SET state = 'cancelled' WHERE id = $1 AND state = 'booked'",
                &[key],
            )
            .await?,
        ),
        AppointmentStep::Move { session, slot } => {
            lock_open_session(tx, session).await?;
            if (session, slot) != (current.session, current.slot) {
                check_room(tx, session, slot, Taker::WalkIn).await?;
            }
            let number = if session == current.session {
                i64::from(current.queue_number)
            } else {
                let rows = tx
                    .fetch(
                        "SELECT CAST(COALESCE(max(queue_number), 0) AS BIGINT) AS last
                         FROM appointments WHERE session_id = $1",
                        &[Value::from(session.to_string())],
                    )
                    .await?;
                rows.first()
                    .map(|r| int(r, "last"))
                    .transpose()?
                    .unwrap_or(0)
                    + 1
            };
            (
                AppointmentState::Booked,
                tx.execute(
                    "UPDATE appointments SET session_id = $2, slot = $3, queue_number = $4
                     WHERE id = $1 AND state = 'booked'",
                    &[
                        key,
                        Value::from(session.to_string()),
                        Value::from(i64::from(slot)),
                        Value::from(number),
                    ],
                )
                .await?,
            )
        }
    };
    if changed == 0 {
        return Err(StoreError::Invalid(format!(
            "the appointment is {}, not {}",
            current.state.as_str(),
            from.as_str()
        )));
    }
    tx.audit(
        access,
        actions::APPOINTMENT_STEP,
        "appointment",
        &id.to_string(),
    )
    .await?;
    appointment(tx, access, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("appointment".into()))
}

pub async fn mark_no_shows(
    tx: &mut dyn Tx,
    access: &Access,
    session: Uuid,
    slots: &[u32],
) -> Result<u64> {
    let mut released = 0;
    for slot in slots {
        released += tx
            .execute(
                "UPDATE appointments SET state = 'no_show'
                 WHERE session_id = $1 AND slot = $2 AND state = 'booked'",
                &[
                    Value::from(session.to_string()),
                    Value::from(i64::from(*slot)),
                ],
            )
            .await?;
    }
    if released > 0 {
        tx.audit(
            access,
            actions::APPOINTMENT_NO_SHOW,
            "enrollment_session",
            &session.to_string(),
        )
        .await?;
    }
    Ok(released)
}

/// Links an application filed on `day` to the citizen's appointment in a session that
/// day: the person was served.
pub async fn link_intake(
    tx: &mut dyn Tx,
    access: &Access,
    personal_id: &str,
    application: Uuid,
    day: Date,
) -> Result<()> {
    tx.execute(
        &format!(
            "UPDATE appointments SET state = 'served', served_micros = $1, application_key = $2
             WHERE personal_id = $3 AND state IN {ACTIVE}
               AND session_id IN (SELECT id FROM enrollment_sessions WHERE day = $4)"
        ),
        &[
            Value::from(access.now_micros),
            Value::from(application.to_string()),
            Value::from(personal_id),
            Value::from(day.to_string()),
        ],
    )
    .await
    .map(|_| ())
}

pub async fn walk_in_counts(
    tx: &mut dyn Tx,
    access: &Access,
    unit: &str,
    from: Date,
    to: Date,
) -> Result<(u64, u64)> {
    let mut args = vec![
        Value::from(unit),
        Value::from(from.to_string()),
        Value::from(to.to_string()),
        Value::from(AppointmentOrigin::WalkIn.as_str()),
        Value::from(AppointmentState::Served.as_str()),
    ];
    let mut sql = "SELECT COALESCE(SUM(CASE WHEN a.origin = $4 THEN 1 ELSE 0 END), 0) AS walk_ins,
                COALESCE(SUM(CASE WHEN a.state = $5 THEN 1 ELSE 0 END), 0) AS served
         FROM appointments a
         JOIN enrollment_sessions e ON e.id = a.session_id
         WHERE e.unit = $1 AND e.day >= $2 AND e.day <= $3 AND e.state = 'closed'"
        .to_owned();
    if let Some((clause, value)) = scope(access, "e", args.len() + 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    let rows = tx.fetch(&sql, &args).await?;
    let Some(row) = rows.first() else {
        return Ok((0, 0));
    };
    let count = |name: &str| int(row, name).map(|n| u64::try_from(n).unwrap_or(0));
    Ok((count("walk_ins")?, count("served")?))
}
