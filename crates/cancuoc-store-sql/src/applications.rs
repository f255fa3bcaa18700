//! Applications and cards: filing with receipt numbers and idempotency, transitions with
//! optimistic versions, lists, and the card's life from production to handover.

use std::sync::LazyLock;

use cancuoc_domain::application::{
    Action, Applicant, ApplicationState, ApplicationType, Channel, HeldCard, check_type,
};
use cancuoc_domain::fee::FeeExemption;
use cancuoc_domain::receipt::{ReceiptNumber, STATION_SERIALS_FROM};
use cancuoc_domain::{AdminCode, PersonalId, PoliceUnitCode, RecordStatus};
use cancuoc_store::{
    Access, ApplicationEvent, ApplicationQuery, ApplicationRecord, ApplicationSummary, Batch,
    CardRecord, CardStatus, Filed, IntakeFacts, NewApplication, Page, Result, Step, StoreError,
    actions, decode_cursor, encode_cursor,
};
use jiff::civil::Date;
use uuid::Uuid;

use crate::{Row, Tx, Value, corrupt, int, scope, text};

/// `('handed_over', 'rejected', 'cancelled')`: the states no step leaves.
pub(crate) static TERMINAL: LazyLock<String> = LazyLock::new(|| {
    let states: Vec<String> = ApplicationState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", states.join(", "))
});

const COLUMNS: &str = "a.key, a.receipt, a.personal_id, a.kind, a.reason, a.channel, \
    a.intake_unit, a.station, a.officer, a.intake_micros, a.intake_date, a.due_date, \
    a.fee_vnd, a.fee_basis, a.exemption, a.identifying_marks, a.old_card_returned, \
    a.biometrics, a.state, a.version, a.batch, a.verifier_note";

const CARD_COLUMNS: &str = "c.application_key, c.personal_id, c.issue_date, c.expiry_date, \
    c.mrz, c.qr_payload, c.status, c.produced_micros, c.status_micros";

fn date(row: &Row, name: &str) -> Result<Date> {
    text(row, name)?.parse().map_err(|_| corrupt(name))
}

fn key(row: &Row, name: &str) -> Result<Uuid> {
    Uuid::parse_str(&text(row, name)?).map_err(|_| corrupt(name))
}

fn state(s: &str) -> Result<ApplicationState> {
    ApplicationState::parse(s).ok_or_else(|| corrupt("application state"))
}

fn kind(row: &Row) -> Result<ApplicationType> {
    ApplicationType::parse(&text(row, "kind")?, row.text("reason")?.as_deref())
        .map_err(|_| corrupt("application type"))
}

fn receipt(row: &Row) -> Result<ReceiptNumber> {
    ReceiptNumber::parse(&text(row, "receipt")?).map_err(|_| corrupt("receipt number"))
}

fn personal_id(row: &Row) -> Result<PersonalId> {
    PersonalId::parse(&text(row, "personal_id")?).map_err(|_| corrupt("personal ID"))
}

fn unit(row: &Row) -> Result<PoliceUnitCode> {
    PoliceUnitCode::parse(&text(row, "intake_unit")?).map_err(|_| corrupt("intake unit"))
}

fn record(row: &Row, history: Vec<ApplicationEvent>) -> Result<ApplicationRecord> {
    Ok(ApplicationRecord {
        key: key(row, "key")?,
        receipt: receipt(row)?,
        personal_id: personal_id(row)?,
        kind: kind(row)?,
        channel: Channel::parse(&text(row, "channel")?).ok_or_else(|| corrupt("channel"))?,
        intake_unit: unit(row)?,
        station: row.text("station")?,
        officer: text(row, "officer")?,
        intake_micros: int(row, "intake_micros")?,
        intake_date: date(row, "intake_date")?,
        due_date: date(row, "due_date")?,
        fee_vnd: u32::try_from(int(row, "fee_vnd")?).map_err(|_| corrupt("fee"))?,
        fee_basis: text(row, "fee_basis")?,
        exemption: row
            .text("exemption")?
            .map(|e| FeeExemption::parse(&e).ok_or_else(|| corrupt("fee exemption")))
            .transpose()?,
        identifying_marks: row.text("identifying_marks")?,
        old_card_returned: int(row, "old_card_returned")? != 0,
        biometrics: row.text("biometrics")?,
        state: state(&text(row, "state")?)?,
        version: int(row, "version")?,
        batch: row
            .text("batch")?
            .map(|b| Uuid::parse_str(&b).map_err(|_| corrupt("batch")))
            .transpose()?,
        verifier_note: row.text("verifier_note")?,
        history,
    })
}

fn event(row: &Row) -> Result<ApplicationEvent> {
    let action = text(row, "action")?;
    Ok(ApplicationEvent {
        seq: int(row, "seq")?,
        action: if action == "intake" {
            None
        } else {
            Some(Action::parse(&action).ok_or_else(|| corrupt("application action"))?)
        },
        from: row.text("from_state")?.as_deref().map(state).transpose()?,
        to: state(&text(row, "to_state")?)?,
        actor: text(row, "actor")?,
        unit: text(row, "unit")?,
        at_micros: int(row, "at_micros")?,
        reason: row.text("reason")?,
    })
}

fn card(row: &Row) -> Result<CardRecord> {
    let mrz = text(row, "mrz")?;
    let lines: Vec<String> = mrz.lines().map(str::to_owned).collect();
    let mrz: [String; 3] = lines.try_into().map_err(|_| corrupt("MRZ"))?;
    Ok(CardRecord {
        personal_id: personal_id(row)?,
        application: key(row, "application_key")?,
        issue_date: date(row, "issue_date")?,
        expiry_date: row
            .text("expiry_date")?
            .map(|d| d.parse().map_err(|_| corrupt("expiry date")))
            .transpose()?,
        mrz,
        qr_payload: text(row, "qr_payload")?,
        status: CardStatus::parse(&text(row, "status")?).ok_or_else(|| corrupt("card status"))?,
        produced_micros: int(row, "produced_micros")?,
        status_micros: int(row, "status_micros")?,
    })
}

/// An application by key, within the caller's scope, with its history; not audited.
async fn load(tx: &mut dyn Tx, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>> {
    Ok(load_held(tx, access, key).await?.map(|(record, _)| record))
}

/// `load`, with the province that holds the application: on PostgreSQL its partition,
/// which every statement on it names so that it reads one province's table, not all.
async fn load_held(
    tx: &mut dyn Tx,
    access: &Access,
    key: Uuid,
) -> Result<Option<(ApplicationRecord, String)>> {
    let key_text = key.to_string();
    let held = tx
        .fetch(
            "SELECT home_province FROM application_keys WHERE key = $1",
            &[Value::from(key_text.as_str())],
        )
        .await?;
    let Some(province) = held.first().map(|r| text(r, "home_province")).transpose()? else {
        return Ok(None);
    };
    let mut sql =
        format!("SELECT {COLUMNS} FROM applications a WHERE a.home_province = $1 AND a.key = $2");
    let mut args = vec![
        Value::from(province.as_str()),
        Value::from(key_text.as_str()),
    ];
    if let Some((clause, value)) = scope(access, "a", 3) {
        sql.push_str(&clause);
        args.push(value);
    }
    let Some(row) = tx.fetch(&sql, &args).await?.into_iter().next() else {
        return Ok(None);
    };
    let events = tx
        .fetch(
            "SELECT seq, action, from_state, to_state, actor, unit, at_micros, reason
             FROM application_events WHERE home_province = $1 AND application_key = $2
             ORDER BY seq",
            &[
                Value::from(province.as_str()),
                Value::from(key_text.as_str()),
            ],
        )
        .await?;
    let history = events.iter().map(event).collect::<Result<Vec<_>>>()?;
    Ok(Some((record(&row, history)?, province)))
}

/// The unit's next serial of the day, below the stations' blocks.
async fn next_receipt(
    tx: &mut dyn Tx,
    new: &NewApplication,
    unit: &str,
    day: &str,
) -> Result<ReceiptNumber> {
    let serial = tx
        .fetch(
            "INSERT INTO receipt_serials (unit, day, last) VALUES ($1, $2, 1)
             ON CONFLICT (unit, day) DO UPDATE SET last = receipt_serials.last + 1
             RETURNING last",
            &[Value::from(unit), Value::from(day)],
        )
        .await?;
    let serial = serial
        .first()
        .map(|r| int(r, "last"))
        .transpose()?
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| corrupt("receipt serial"))?;
    if serial >= STATION_SERIALS_FROM {
        return Err(StoreError::Invalid(format!(
            "{unit} has given all its {} receipt numbers of {day}",
            STATION_SERIALS_FROM - 1
        )));
    }
    ReceiptNumber::new(new.intake_unit.clone(), new.intake_date, serial)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A number a station gave offline: its unit's and day's, from the stations' serials,
/// and not given before.
async fn given_receipt(
    tx: &mut dyn Tx,
    new: &NewApplication,
    given: &ReceiptNumber,
) -> Result<ReceiptNumber> {
    if given.unit() != &new.intake_unit
        || given.day() != new.intake_date
        || given.serial() < STATION_SERIALS_FROM
    {
        return Err(StoreError::Invalid(format!(
            "receipt {given} is not a station's number of {} on {}",
            new.intake_unit, new.intake_date
        )));
    }
    let taken = tx
        .fetch(
            "SELECT key FROM application_keys WHERE receipt = $1",
            &[Value::from(given.to_string())],
        )
        .await?;
    // Not a conflict of the citizen's: a station gave one of its numbers twice.
    if !taken.is_empty() {
        return Err(StoreError::Invalid(format!(
            "receipt {given} was given to another application"
        )));
    }
    Ok(given.clone())
}

async fn open_application(tx: &mut dyn Tx, pid: &PersonalId) -> Result<Option<(Uuid, String)>> {
    let rows = tx
        .fetch(
            "SELECT k.key, k.receipt FROM open_applications o
             JOIN application_keys k ON k.key = o.application_key WHERE o.personal_id = $1",
            &[Value::from(pid.as_string())],
        )
        .await?;
    rows.first()
        .map(|r| Ok((key(r, "key")?, text(r, "receipt")?)))
        .transpose()
}

/// The citizen's current card: the active one, else the latest made; unscoped.
async fn current_card(tx: &mut dyn Tx, pid: &PersonalId) -> Result<Option<CardRecord>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM cards c WHERE c.personal_id = $1
         ORDER BY CASE WHEN c.status = 'active' THEN 0 ELSE 1 END, c.produced_micros DESC
         LIMIT 1"
    );
    let rows = tx.fetch(&sql, &[Value::from(pid.as_string())]).await?;
    rows.first().map(card).transpose()
}

/// For each personal ID the citizen, their card and open application; each read audited
/// when `audited` (a filing's own pre-check shows nothing to anyone and is not: the
/// filing that follows is).
pub async fn intake_facts(
    tx: &mut dyn Tx,
    access: &Access,
    pids: &[PersonalId],
    today: Date,
    audited: bool,
) -> Result<Vec<Option<IntakeFacts>>> {
    let mut out = Vec::with_capacity(pids.len());
    for pid in pids {
        let Some(citizen) = tx.citizen(access, pid).await? else {
            out.push(None);
            continue;
        };
        if audited {
            tx.audit(access, actions::CITIZEN_READ, "citizen", &pid.as_string())
                .await?;
        }
        let card = current_card(tx, pid)
            .await?
            .map_or(HeldCard::None, |c| c.held(today));
        let open_application = open_application(tx, pid).await?.map(|(k, _)| k);
        out.push(Some(IntakeFacts {
            citizen,
            card,
            open_application,
        }));
    }
    Ok(out)
}

pub async fn file(
    tx: &mut dyn Tx,
    access: &Access,
    batch: &[NewApplication],
) -> Result<Vec<Filed>> {
    let mut out = Vec::with_capacity(batch.len());
    let mut counts: std::collections::BTreeMap<(String, Date), i64> = Default::default();
    for new in batch {
        if let Some(idem) = &new.idempotency_key {
            let rows = tx
                .fetch(
                    "SELECT a.key, a.personal_id, a.kind, a.reason FROM application_keys k
                     JOIN applications a ON a.home_province = k.home_province AND a.key = k.key
                     WHERE k.idempotency_key = $1",
                    &[Value::from(idem.as_str())],
                )
                .await?;
            if let Some(row) = rows.first() {
                if personal_id(row)? != new.personal_id || kind(row)? != new.kind {
                    return Err(StoreError::Conflict(
                        "this idempotency key was used for a different application".into(),
                    ));
                }
                let existing = key(row, "key")?;
                let application = load(tx, access, existing)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("application".into()))?;
                tx.audit(
                    access,
                    actions::APPLICATION_READ,
                    "application",
                    &existing.to_string(),
                )
                .await?;
                out.push(Filed {
                    application,
                    replayed: true,
                });
                continue;
            }
        }
        let citizen = tx
            .citizen(access, &new.personal_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("citizen".into()))?;
        let card = current_card(tx, &new.personal_id)
            .await?
            .map_or(HeldCard::None, |c| c.held(new.intake_date));
        let applicant = Applicant {
            official: citizen.status == RecordStatus::Official,
            deceased: citizen.data.died_on.is_some(),
            birth: citizen.data.birth_date,
            holds_cmnd: citizen.data.old_id_number.is_some(),
            card,
            open_application: false,
        };
        check_type(new.kind, &applicant, new.intake_date)?;
        if let Some((_, receipt)) = open_application(tx, &new.personal_id).await? {
            return Err(StoreError::Conflict(format!(
                "the citizen already has an open application ({receipt})"
            )));
        }

        let day = new.intake_date.to_string();
        let unit = new.intake_unit.as_string();
        let receipt = match &new.receipt {
            Some(given) => given_receipt(tx, new, given).await?,
            None => next_receipt(tx, new, &unit, &day).await?,
        };
        let key = new.key.to_string();
        let pid = new.personal_id.as_string();
        let before = crate::eligible::standing(tx, &pid).await?;
        tx.execute(
            "INSERT INTO applications (key, receipt, personal_id, kind, reason, channel,
                intake_unit, home_province, home_district, home_commune, station, officer,
                intake_micros, intake_date, due_date, fee_vnd, fee_basis, exemption,
                identifying_marks, old_card_returned, biometrics, state, version, batch,
                idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17, $18, $19, $20, $21, $22, 1, NULL, $23)",
            &[
                Value::from(key.as_str()),
                Value::from(receipt.to_string()),
                Value::from(new.personal_id.as_string()),
                Value::from(new.kind.kind()),
                Value::from(new.kind.reason().map(str::to_owned)),
                Value::from(new.channel.as_str()),
                Value::from(unit.as_str()),
                Value::from(new.place.province.as_str()),
                Value::from(new.place.district.as_ref().map(|c| c.as_str().to_owned())),
                Value::from(new.place.commune.as_ref().map(|c| c.as_str().to_owned())),
                Value::from(new.station.clone()),
                Value::from(access.actor.as_str()),
                Value::from(access.now_micros),
                Value::from(day.as_str()),
                Value::from(new.due_date.to_string()),
                Value::from(i64::from(new.fee_vnd)),
                Value::from(new.fee_basis.as_str()),
                Value::from(new.exemption.map(|e| e.as_str().to_owned())),
                Value::from(new.identifying_marks.clone()),
                Value::from(i64::from(new.old_card_returned)),
                Value::from(new.biometrics.clone()),
                Value::from(ApplicationState::Received.as_str()),
                Value::from(new.idempotency_key.clone()),
            ],
        )
        .await?;
        insert_event(
            tx,
            access,
            new.key,
            new.place.province.as_str(),
            1,
            None,
            None,
            ApplicationState::Received,
            None,
        )
        .await?;
        tx.audit(access, actions::APPLICATION_CREATE, "application", &key)
            .await?;
        crate::schedule::link_intake(
            tx,
            access,
            &new.personal_id.as_string(),
            new.key,
            new.intake_date,
        )
        .await?;
        crate::eligible::restate(tx, before, &pid).await?;
        *counts.entry((unit.clone(), new.intake_date)).or_default() += 1;
        // The record as written, built here rather than read back: two round trips fewer
        // on the path every intake takes.
        let application = ApplicationRecord {
            key: new.key,
            receipt,
            personal_id: new.personal_id,
            kind: new.kind,
            channel: new.channel,
            intake_unit: new.intake_unit.clone(),
            station: new.station.clone(),
            officer: access.actor.clone(),
            intake_micros: access.now_micros,
            intake_date: new.intake_date,
            due_date: new.due_date,
            fee_vnd: new.fee_vnd,
            fee_basis: new.fee_basis.clone(),
            exemption: new.exemption,
            identifying_marks: new.identifying_marks.clone(),
            old_card_returned: new.old_card_returned,
            biometrics: new.biometrics.clone(),
            state: ApplicationState::Received,
            version: 1,
            batch: None,
            verifier_note: None,
            history: vec![ApplicationEvent {
                seq: 1,
                action: None,
                from: None,
                to: ApplicationState::Received,
                actor: access.actor.clone(),
                unit: access.unit.clone(),
                at_micros: access.now_micros,
                reason: None,
            }],
        };
        out.push(Filed {
            application,
            replayed: false,
        });
    }
    // Last, so that on PostgreSQL the rows every intake of the day updates (the
    // province's, the ministry's) stay locked only for the commit.
    for ((unit, day), n) in counts {
        crate::campaigns::count_intake(tx, &unit, day, n).await?;
    }
    Ok(out)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one row of the event table, column by column"
)]
async fn insert_event(
    tx: &mut dyn Tx,
    access: &Access,
    key: Uuid,
    province: &str,
    seq: i64,
    action: Option<Action>,
    from: Option<ApplicationState>,
    to: ApplicationState,
    reason: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO application_events (application_key, home_province, seq, action,
            from_state, to_state, actor, unit, at_micros, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            Value::from(key.to_string()),
            Value::from(province),
            Value::from(seq),
            Value::from(action.map_or("intake", Action::as_str)),
            Value::from(from.map(|s| s.as_str().to_owned())),
            Value::from(to.as_str()),
            Value::from(access.actor.as_str()),
            Value::from(access.unit.as_str()),
            Value::from(access.now_micros),
            Value::from(reason.map(str::to_owned)),
        ],
    )
    .await
    .map(|_| ())
}

pub async fn get(tx: &mut dyn Tx, access: &Access, key: Uuid) -> Result<Option<ApplicationRecord>> {
    let found = load(tx, access, key).await?;
    tx.audit_outcome(
        access,
        actions::APPLICATION_READ,
        "application",
        &key.to_string(),
        crate::citizens::outcome_of(&found),
    )
    .await?;
    Ok(found)
}

pub async fn transition(
    tx: &mut dyn Tx,
    access: &Access,
    key: Uuid,
    step: &Step,
) -> Result<ApplicationRecord> {
    let (current, province) = load_held(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::NotFound("application".into()))?;
    if let Some(expected) = step.expected_version
        && expected != current.version
    {
        return Err(StoreError::Conflict(format!(
            "the application changed meanwhile: it is at version {}, not {expected}",
            current.version
        )));
    }
    if step.old_card_returned.is_some() && current.kind == ApplicationType::FirstIssuance {
        return Err(StoreError::Invalid(
            "old_card_returned: a first issuance has no old card".into(),
        ));
    }
    let to = step
        .action
        .apply(current.state, step.role, step.reason.as_deref())?;
    if step.action == Action::Verify && current.biometrics.is_none() {
        return Err(StoreError::Invalid(
            "verification needs the portrait and the fingerprints: add them to the application first"
                .into(),
        ));
    }
    // An application that ends (handed over, cancelled, refused) can bring its citizen
    // back among the eligible, or keep them out with the card it activates.
    let pid = current.personal_id.as_string();
    let eligible_before = if to.is_terminal() {
        Some(crate::eligible::standing(tx, &pid).await?)
    } else {
        None
    };
    let changed = tx
        .execute(
            "UPDATE applications SET state = $1, version = version + 1,
                batch = COALESCE($2, batch), old_card_returned = COALESCE($5, old_card_returned)
             WHERE home_province = $6 AND key = $3 AND version = $4",
            &[
                Value::from(to.as_str()),
                Value::from(step.batch.map(|b| b.to_string())),
                Value::from(key.to_string()),
                Value::from(current.version),
                Value::from(step.old_card_returned.map(i64::from)),
                Value::from(province.as_str()),
            ],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::Conflict(
            "another officer changed the application at the same time".into(),
        ));
    }
    let seq = current.history.last().map_or(1, |e| e.seq + 1);
    let reason = step
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    insert_event(
        tx,
        access,
        key,
        &province,
        seq,
        Some(step.action),
        Some(current.state),
        to,
        reason,
    )
    .await?;
    let key_text = key.to_string();
    if to == ApplicationState::Cancelled {
        crate::campaigns::count_intake(
            tx,
            &current.intake_unit.as_string(),
            current.intake_date,
            -1,
        )
        .await?;
    }
    match step.action {
        Action::Produce => produce(tx, access, &current, step).await?,
        Action::HandOver => hand_over(tx, access, &current).await?,
        _ => {}
    }
    if let Some(before) = eligible_before {
        crate::eligible::restate(tx, before, &pid).await?;
    }
    tx.audit(
        access,
        actions::APPLICATION_TRANSITION,
        "application",
        &key_text,
    )
    .await?;
    load(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::Backend("a changed application vanished".into()))
}

async fn produce(
    tx: &mut dyn Tx,
    access: &Access,
    application: &ApplicationRecord,
    step: &Step,
) -> Result<()> {
    let new = step
        .card
        .as_ref()
        .ok_or_else(|| StoreError::Invalid("produce needs the card's data".into()))?;
    let key = application.key.to_string();
    tx.execute(
        "INSERT INTO cards (application_key, personal_id, issue_date, expiry_date, mrz,
            qr_payload, status, produced_micros, status_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        &[
            Value::from(key.as_str()),
            Value::from(application.personal_id.as_string()),
            Value::from(new.issue_date.to_string()),
            Value::from(new.expiry_date.map(|d| d.to_string())),
            Value::from(new.mrz.join("\n")),
            Value::from(new.qr_payload.as_str()),
            Value::from(CardStatus::Pending.as_str()),
            Value::from(access.now_micros),
        ],
    )
    .await?;
    if let Some(chip) = &new.chip {
        crate::chip::insert_chip(tx, access, application.key, chip).await?;
    }
    tx.audit(access, actions::CARD_PRODUCE, "card", &key).await
}

async fn hand_over(
    tx: &mut dyn Tx,
    access: &Access,
    application: &ApplicationRecord,
) -> Result<()> {
    let key = application.key.to_string();
    let pid = application.personal_id.as_string();
    tx.execute(
        "UPDATE cards SET status = 'replaced', status_micros = $1
         WHERE personal_id = $2 AND status = 'active'",
        &[Value::from(access.now_micros), Value::from(pid.as_str())],
    )
    .await?;
    let activated = tx
        .execute(
            "UPDATE cards SET status = 'active', status_micros = $1
             WHERE application_key = $2 AND status = 'pending'",
            &[Value::from(access.now_micros), Value::from(key.as_str())],
        )
        .await?;
    if activated != 1 {
        return Err(StoreError::Invalid(
            "no card was produced for this application".into(),
        ));
    }
    tx.audit(access, actions::CARD_ACTIVATE, "card", &key).await
}

/// The `FROM … WHERE …` of a list of applications and its arguments: the caller's scope
/// and the query's filters, its cursor aside. The list and its count share it.
fn filtered(access: &Access, query: &ApplicationQuery) -> (String, Vec<Value>) {
    let mut sql = String::from(" FROM applications a WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some((clause, value)) = scope(access, "a", 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    // Each filter binds one value as the next numbered parameter.
    let mut filter = |sql: &mut String, clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
    };
    if let Some(unit) = &query.intake_unit {
        filter(
            &mut sql,
            " AND a.intake_unit = $?",
            Value::from(unit.as_string()),
        );
    }
    if let Some(receipt) = &query.receipt {
        filter(
            &mut sql,
            // Through application_keys, so that PostgreSQL reads one province's partition.
            " AND a.home_province = (SELECT k.home_province FROM application_keys k
                 WHERE k.receipt = $?)
              AND a.key = (SELECT k.key FROM application_keys k WHERE k.receipt = $?)",
            Value::from(receipt.as_str()),
        );
    }
    if let Some(pid) = &query.personal_id {
        filter(
            &mut sql,
            " AND a.personal_id = $?",
            Value::from(pid.as_string()),
        );
    }
    if let Some(province) = &query.province {
        filter(
            &mut sql,
            " AND a.home_province = $?",
            Value::from(province.as_str()),
        );
    }
    if let Some(batch) = query.batch {
        filter(
            &mut sql,
            " AND a.batch = $?",
            Value::from(batch.to_string()),
        );
    }
    if let Some(state) = query.state {
        filter(&mut sql, " AND a.state = $?", Value::from(state.as_str()));
    }
    if let Some(day) = query.overdue_on {
        let clause = format!(" AND a.state NOT IN {} AND a.due_date < $?", *TERMINAL);
        filter(&mut sql, &clause, Value::from(day.to_string()));
    }
    (sql, args)
}

/// How many applications a list has in all, pages aside.
pub async fn count(tx: &mut dyn Tx, access: &Access, query: &ApplicationQuery) -> Result<u64> {
    let (from, args) = filtered(access, query);
    let row = tx
        .fetch_one(&format!("SELECT count(*) AS n{from}"), &args)
        .await?
        .ok_or_else(|| corrupt("n"))?;
    u64::try_from(int(&row, "n")?).map_err(|_| corrupt("n"))
}

pub async fn list(
    tx: &mut dyn Tx,
    access: &Access,
    query: &ApplicationQuery,
) -> Result<Page<ApplicationSummary>> {
    let (from, mut args) = filtered(access, query);
    let name = tx.json_text("c.data", "full_name");
    let mut sql = format!(
        "SELECT {COLUMNS}, (SELECT {name} FROM citizens c WHERE c.personal_id = a.personal_id) \
         AS full_name{from}"
    );
    // Each filter binds one value as the next numbered parameter.
    let mut filter = |sql: &mut String, clause: &str, value: Value| {
        args.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
    };
    if let Some(cursor) = &query.cursor {
        let parts = decode_cursor(cursor, 2)?;
        let [due, last] = parts.as_slice() else {
            return Err(StoreError::Invalid("malformed cursor".into()));
        };
        filter(&mut sql, " AND (a.due_date > $?", Value::from(due.as_str()));
        filter(&mut sql, " OR (a.due_date = $?", Value::from(due.as_str()));
        filter(&mut sql, " AND a.key > $?))", Value::from(last.as_str()));
    }
    let limit = query.limit.clamp(1, 500);
    sql.push_str(&format!(" ORDER BY a.due_date, a.key LIMIT {}", limit + 1));
    let rows = tx.fetch(&sql, &args).await?;
    let mut items = rows
        .iter()
        .map(|r| {
            Ok(ApplicationSummary {
                key: key(r, "key")?,
                receipt: receipt(r)?,
                personal_id: personal_id(r)?,
                kind: kind(r)?,
                intake_unit: unit(r)?,
                intake_date: date(r, "intake_date")?,
                due_date: date(r, "due_date")?,
                state: state(&text(r, "state")?)?,
                version: int(r, "version")?,
                full_name: r.text("full_name")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|s| encode_cursor(&[&s.due_date.to_string(), &s.key.to_string()]))
    } else {
        None
    };
    // A list records whom it showed, as a search does.
    let shown: Vec<String> = items.iter().map(|s| s.personal_id.as_string()).collect();
    tx.audit(
        access,
        actions::APPLICATION_LIST,
        "citizen",
        &shown.join(","),
    )
    .await?;
    Ok(Page { items, next_cursor })
}

/// The current card, if the caller may see the application it came from.
async fn visible_card(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CardRecord>> {
    let Some(card) = current_card(tx, pid).await? else {
        return Ok(None);
    };
    Ok(load(tx, access, card.application).await?.map(|_| card))
}

pub async fn card_of(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Option<CardRecord>> {
    let found = visible_card(tx, access, pid).await?;
    tx.audit_outcome(
        access,
        actions::CARD_READ,
        "card",
        &pid.as_string(),
        crate::citizens::outcome_of(&found),
    )
    .await?;
    Ok(found)
}

/// Every card of a citizen the caller can see, the latest made first (audited once); of
/// cards made at the same moment a replaced one, being older, comes after.
pub async fn cards_of(
    tx: &mut dyn Tx,
    access: &Access,
    pid: &PersonalId,
) -> Result<Vec<CardRecord>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM cards c WHERE c.personal_id = $1
         ORDER BY c.produced_micros DESC, CASE WHEN c.status = 'replaced' THEN 1 ELSE 0 END"
    );
    let rows = tx.fetch(&sql, &[Value::from(pid.as_string())]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let found = card(row)?;
        if load(tx, access, found.application).await?.is_some() {
            out.push(found);
        }
    }
    tx.audit(access, actions::CARD_READ, "card", &pid.as_string())
        .await?;
    Ok(out)
}

pub async fn report_lost(tx: &mut dyn Tx, access: &Access, pid: &PersonalId) -> Result<CardRecord> {
    let card = visible_card(tx, access, pid)
        .await?
        .filter(|c| c.status == CardStatus::Active)
        .ok_or_else(|| StoreError::NotFound("active card".into()))?;
    let before = crate::eligible::standing(tx, &pid.as_string()).await?;
    tx.execute(
        "UPDATE cards SET status = 'lost', status_micros = $1 WHERE application_key = $2",
        &[
            Value::from(access.now_micros),
            Value::from(card.application.to_string()),
        ],
    )
    .await?;
    crate::eligible::restate(tx, before, &pid.as_string()).await?;
    tx.audit(access, actions::CARD_LOST, "card", &pid.as_string())
        .await?;
    Ok(CardRecord {
        status: CardStatus::Lost,
        status_micros: access.now_micros,
        ..card
    })
}

fn batch_row(row: &Row) -> Result<Batch> {
    Ok(Batch {
        id: key(row, "id")?,
        province: AdminCode::parse(&text(row, "province")?).map_err(|_| corrupt("province"))?,
        day: date(row, "day")?,
        created_micros: int(row, "created_micros")?,
        created_by: text(row, "created_by")?,
    })
}

/// A production batch is a province's: the nation's officers (the production centre, the
/// ministry) and the units of that province see it; anyone else is answered as if it did
/// not exist.
async fn sees_batches_of(tx: &mut dyn Tx, access: &Access, province: &AdminCode) -> Result<bool> {
    let code = match &access.scope {
        cancuoc_domain::Jurisdiction::Nation => return Ok(true),
        cancuoc_domain::Jurisdiction::Within(code) if code == province => return Ok(true),
        cancuoc_domain::Jurisdiction::Within(code) => code,
    };
    let inside = tx
        .fetch_one(
            "SELECT 1 AS inside FROM admin_units u WHERE u.code = $1 AND (u.parent_code = $2
                OR u.parent_code IN (SELECT d.code FROM admin_units d WHERE d.parent_code = $2))",
            &[code.as_str().into(), province.as_str().into()],
        )
        .await?;
    Ok(inside.is_some())
}

pub async fn batch_for(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
    province: &AdminCode,
    day: Date,
) -> Result<Batch> {
    if !sees_batches_of(tx, access, province).await? {
        return Err(StoreError::NotFound(format!("province {province}")));
    }
    tx.execute(
        "INSERT INTO production_batches (id, province, day, created_micros, created_by)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (province, day) DO NOTHING",
        &[
            Value::from(id.to_string()),
            Value::from(province.as_str()),
            Value::from(day.to_string()),
            Value::from(access.now_micros),
            Value::from(access.actor.as_str()),
        ],
    )
    .await?;
    let rows = tx
        .fetch(
            "SELECT id, province, day, created_micros, created_by FROM production_batches
             WHERE province = $1 AND day = $2",
            &[Value::from(province.as_str()), Value::from(day.to_string())],
        )
        .await?;
    let batch = rows
        .first()
        .map(batch_row)
        .transpose()?
        .ok_or_else(|| StoreError::Backend("a batch vanished".into()))?;
    tx.audit(access, actions::BATCH_OPEN, "batch", &batch.id.to_string())
        .await?;
    Ok(batch)
}

pub async fn batch(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<Option<Batch>> {
    let rows = tx
        .fetch(
            "SELECT id, province, day, created_micros, created_by FROM production_batches
             WHERE id = $1",
            &[Value::from(id.to_string())],
        )
        .await?;
    match rows.first().map(batch_row).transpose()? {
        Some(b) if sees_batches_of(tx, access, &b.province).await? => Ok(Some(b)),
        _ => Ok(None),
    }
}

/// Adds the biometrics of an application taken without them (an offline station's
/// import), while it is received or sent back for correction.
pub async fn set_biometrics(
    tx: &mut dyn Tx,
    access: &Access,
    key: Uuid,
    biometrics: &str,
) -> Result<ApplicationRecord> {
    let (current, province) = load_held(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::NotFound("application".into()))?;
    if !matches!(
        current.state,
        ApplicationState::Received | ApplicationState::NeedsCorrection
    ) {
        return Err(StoreError::Invalid(format!(
            "biometrics are added while an application is received or needs correction, not {}",
            current.state
        )));
    }
    let changed = tx
        .execute(
            "UPDATE applications SET biometrics = $1, version = version + 1
             WHERE home_province = $4 AND key = $2 AND version = $3",
            &[
                Value::from(biometrics),
                Value::from(key.to_string()),
                Value::from(current.version),
                Value::from(province.as_str()),
            ],
        )
        .await?;
    if changed != 1 {
        return Err(StoreError::Conflict(
            "another officer changed the application at the same time".into(),
        ));
    }
    tx.audit(
        access,
        actions::BIOMETRICS_ADD,
        "application",
        &key.to_string(),
    )
    .await?;
    load(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::Backend("a changed application vanished".into()))
}

pub async fn note_for_verifier(
    tx: &mut dyn Tx,
    access: &Access,
    key: Uuid,
    note: &str,
) -> Result<ApplicationRecord> {
    let (current, province) = load_held(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::NotFound("application".into()))?;
    let note = note.trim();
    let held = current.verifier_note.as_deref().unwrap_or("");
    if note.is_empty() || held.split('\n').any(|line| line == note) {
        return Ok(current);
    }
    let joined = if held.is_empty() {
        note.to_owned()
    } else {
        format!("{held}\n{note}")
    };
    tx.execute(
        "UPDATE applications SET verifier_note = $1 WHERE home_province = $3 AND key = $2",
        &[
            Value::from(joined.as_str()),
            Value::from(key.to_string()),
            Value::from(province.as_str()),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::APPLICATION_NOTE,
        "application",
        &key.to_string(),
    )
    .await?;
    load(tx, access, key)
        .await?
        .ok_or_else(|| StoreError::Backend("a changed application vanished".into()))
}
