//! Mobile stations (issue 19): enrolment requests, approval and revocation, each audited,
//! and the server's keys for stations. Keys are kept as base64 text, lists as
//! comma-separated text (commune codes and usernames hold no comma).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_store::{
    Access, CitizenRecord, NewHousehold, OutboxPacket, OutboxState, PacketAnswer, PacketOutcome,
    Result, StationIdentity, StationKeyPurpose, StationRecord, StationServerKey, StationStatus,
    StoreError, actions,
};
use uuid::Uuid;

use cancuoc_domain::{AdminCode, PersonalId};

use crate::citizens::{CITIZEN_COLUMNS, citizen};
use crate::schedule::places_above;
use crate::{Query, Row, Tx, Value, corrupt, int, key, scope, text};

/// Requests a district may have waiting: a bound on what an unauthenticated caller can
/// pile up for its officers.
pub const PENDING_PER_DISTRICT: i64 = 20;

/// Packets one station may have half uploaded at once (it sends 4 at a time): with the
/// 12 MB bound on a packet, what the server holds for a station is bounded too.
pub const OPEN_UPLOADS_PER_STATION: i64 = 16;

const COLUMNS: &str = "id, name, unit, signing_key, agreement_key, status, communes, officers,
    requested_micros, approved_by, approved_micros, revoked_by, revoked_micros, receipt_block";

/// How long after its revocation a station's block of receipt serials stays its own:
/// past the two weeks in which it may still push what it made before.
const BLOCK_KEPT_AFTER_REVOCATION_MICROS: i64 = 30 * 86_400_000_000;

fn bytes(row: &Row, name: &str) -> Result<Vec<u8>> {
    B64.decode(text(row, name)?).map_err(|_| corrupt(name))
}

fn list(row: &Row, name: &str) -> Result<Vec<String>> {
    Ok(text(row, name)?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

fn record(row: &Row) -> Result<StationRecord> {
    Ok(StationRecord {
        id: key(row, "id")?,
        name: text(row, "name")?,
        unit: text(row, "unit")?,
        signing_key: bytes(row, "signing_key")?,
        agreement_key: bytes(row, "agreement_key")?,
        status: StationStatus::parse(&text(row, "status")?)
            .ok_or_else(|| corrupt("station status"))?,
        communes: list(row, "communes")?,
        officers: list(row, "officers")?,
        requested_micros: int(row, "requested_micros")?,
        approved_by: row.text("approved_by")?,
        approved_micros: row.int("approved_micros")?,
        revoked_by: row.text("revoked_by")?,
        revoked_micros: row.int("revoked_micros")?,
        receipt_block: row
            .int("receipt_block")?
            .map(|b| u32::try_from(b).map_err(|_| corrupt("receipt block")))
            .transpose()?,
    })
}

/// The district code of a district police unit (CAH-253 → 253).
fn district_of(unit: &str) -> Result<&str> {
    unit.strip_prefix("CAH-")
        .ok_or_else(|| StoreError::Invalid(format!("unit: {unit} is not a district police unit")))
}

pub async fn request(tx: &mut dyn Tx, access: &Access, station: &StationRecord) -> Result<()> {
    let district = district_of(&station.unit)?;
    let (province, _) = places_above(tx, district).await?;
    let same_key = tx
        .fetch(
            "SELECT id FROM stations WHERE signing_key = $1",
            &[Value::from(B64.encode(&station.signing_key))],
        )
        .await?;
    if !same_key.is_empty() {
        return Err(StoreError::Conflict(
            "a station with this signing key has asked already".into(),
        ));
    }
    let waiting = tx
        .fetch(
            "SELECT COUNT(*) AS n FROM stations WHERE home_district = $1 AND status = 'pending'",
            &[Value::from(district)],
        )
        .await?
        .first()
        .map(|r| int(r, "n"))
        .transpose()?
        .unwrap_or(0);
    if waiting >= PENDING_PER_DISTRICT {
        return Err(StoreError::Conflict(format!(
            "district {district} has {waiting} station requests waiting: an officer approves or revokes them first"
        )));
    }
    tx.execute(
        &format!(
            "INSERT INTO stations ({COLUMNS}, home_province, home_district)
             VALUES ($1, $2, $3, $4, $5, 'pending', '', '', $6, NULL, NULL, NULL, NULL, NULL,
                $7, $8)"
        ),
        &[
            Value::from(station.id.to_string()),
            Value::from(station.name.as_str()),
            Value::from(station.unit.as_str()),
            Value::from(B64.encode(&station.signing_key)),
            Value::from(B64.encode(&station.agreement_key)),
            Value::from(station.requested_micros),
            Value::from(province),
            Value::from(district),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::STATION_REQUEST,
        "station",
        &station.id.to_string(),
    )
    .await
}

pub async fn in_scope(tx: &mut dyn Tx, access: &Access) -> Result<Vec<StationRecord>> {
    let mut sql = format!("SELECT {COLUMNS} FROM stations s WHERE 1 = 1");
    let mut args = Vec::new();
    if let Some((clause, value)) = scope(access, "s", 1) {
        sql.push_str(&clause);
        args.push(value);
    }
    sql.push_str(" ORDER BY s.requested_micros DESC, s.id");
    tx.fetch(&sql, &args).await?.iter().map(record).collect()
}

pub async fn one(tx: &mut dyn Tx, id: Uuid) -> Result<Option<StationRecord>> {
    tx.fetch(
        &format!("SELECT {COLUMNS} FROM stations WHERE id = $1"),
        &[Value::from(id.to_string())],
    )
    .await?
    .first()
    .map(record)
    .transpose()
}

/// The station, if the caller's jurisdiction holds it.
async fn scoped(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<StationRecord> {
    let mut sql = format!("SELECT {COLUMNS} FROM stations s WHERE s.id = $1");
    let mut args = vec![Value::from(id.to_string())];
    if let Some((clause, value)) = scope(access, "s", 2) {
        sql.push_str(&clause);
        args.push(value);
    }
    tx.fetch(&sql, &args)
        .await?
        .first()
        .map(record)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("station {id}")))
}

pub async fn approve(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
    communes: &[String],
    officers: &[String],
) -> Result<StationRecord> {
    let station = scoped(tx, access, id).await?;
    if station.status == StationStatus::Revoked {
        return Err(StoreError::Conflict(format!(
            "station {id} was revoked: a revoked station is enrolled again as a new one"
        )));
    }
    if let Some(bad) = communes.iter().chain(officers).find(|s| s.contains(',')) {
        return Err(StoreError::Invalid(format!("{bad:?} holds a comma")));
    }
    let block = match station.receipt_block {
        Some(block) => block,
        None => free_receipt_block(tx, &station.unit, access.now_micros).await?,
    };
    // The first approval's time stays: packets made since then are the station's.
    tx.execute(
        "UPDATE stations SET status = 'approved', communes = $1, officers = $2,
            approved_by = $3, approved_micros = COALESCE(approved_micros, $4),
            receipt_block = $5
         WHERE id = $6",
        &[
            Value::from(communes.join(",")),
            Value::from(officers.join(",")),
            Value::from(access.actor.as_str()),
            Value::from(access.now_micros),
            Value::from(i64::from(block)),
            Value::from(id.to_string()),
        ],
    )
    .await?;
    tx.audit(access, actions::STATION_APPROVE, "station", &id.to_string())
        .await?;
    one(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("station {id}")))
}

/// The lowest block of receipt serials no station of `unit` holds: one pending or
/// approved, or revoked within [`BLOCK_KEPT_AFTER_REVOCATION_MICROS`].
async fn free_receipt_block(tx: &mut dyn Tx, unit: &str, now_micros: i64) -> Result<u32> {
    let held: Vec<i64> = tx
        .fetch(
            "SELECT receipt_block FROM stations
             WHERE unit = $1 AND receipt_block IS NOT NULL
               AND (status <> 'revoked' OR revoked_micros > $2)",
            &[
                Value::from(unit),
                Value::from(now_micros - BLOCK_KEPT_AFTER_REVOCATION_MICROS),
            ],
        )
        .await?
        .iter()
        .map(|r| int(r, "receipt_block"))
        .collect::<Result<_>>()?;
    (1..=cancuoc_domain::receipt::STATION_BLOCKS)
        .find(|b| !held.contains(&i64::from(*b)))
        .ok_or_else(|| {
            StoreError::Conflict(format!(
                "{unit} has {} stations at work, each giving receipt numbers of its own: \
                 revoke one no longer used (its numbers are free again 30 days later)",
                cancuoc_domain::receipt::STATION_BLOCKS
            ))
        })
}

pub async fn revoke(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<StationRecord> {
    let station = scoped(tx, access, id).await?;
    if station.status == StationStatus::Revoked {
        return Err(StoreError::Conflict(format!(
            "station {id} was revoked already"
        )));
    }
    tx.execute(
        "UPDATE stations SET status = 'revoked', revoked_by = $1, revoked_micros = $2 WHERE id = $3",
        &[
            Value::from(access.actor.as_str()),
            Value::from(access.now_micros),
            Value::from(id.to_string()),
        ],
    )
    .await?;
    tx.audit(access, actions::STATION_REVOKE, "station", &id.to_string())
        .await?;
    one(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("station {id}")))
}

fn server_key(row: &Row, purpose: StationKeyPurpose) -> Result<StationServerKey> {
    Ok(StationServerKey {
        purpose,
        public_key: bytes(row, "public_key")?,
        key_object: text(row, "key_object")?,
        created_micros: int(row, "created_micros")?,
    })
}

pub async fn server_key_of(
    tx: &mut dyn Tx,
    purpose: StationKeyPurpose,
) -> Result<Option<StationServerKey>> {
    tx.fetch(
        "SELECT public_key, key_object, created_micros FROM station_server_keys WHERE purpose = $1",
        &[Value::from(purpose.as_str())],
    )
    .await?
    .first()
    .map(|r| server_key(r, purpose))
    .transpose()
}

pub async fn add_server_key(
    tx: &mut dyn Tx,
    access: &Access,
    new: &StationServerKey,
) -> Result<StationServerKey> {
    if let Some(kept) = server_key_of(tx, new.purpose).await? {
        return Ok(kept);
    }
    tx.execute(
        "INSERT INTO station_server_keys (purpose, public_key, key_object, created_micros)
         VALUES ($1, $2, $3, $4)",
        &[
            Value::from(new.purpose.as_str()),
            Value::from(B64.encode(&new.public_key)),
            Value::from(new.key_object.as_str()),
            Value::from(new.created_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::STATION_SERVER_KEY_ADD,
        "station_server_key",
        new.purpose.as_str(),
    )
    .await?;
    Ok(new.clone())
}

const IDENTITY: &str = "id, server_url, unit, name, signing_object, agreement_object,
    server_extract_key, server_packet_key, enrolled_micros, extract_object, extract_expires_micros,
    last_push_micros";

pub async fn identity(tx: &mut dyn Tx) -> Result<Option<StationIdentity>> {
    let rows = tx
        .fetch(&format!("SELECT {IDENTITY} FROM station_identity"), &[])
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(StationIdentity {
        id: key(row, "id")?,
        server_url: text(row, "server_url")?,
        unit: text(row, "unit")?,
        name: text(row, "name")?,
        signing_object: text(row, "signing_object")?,
        agreement_object: text(row, "agreement_object")?,
        server_extract_key: bytes(row, "server_extract_key")?,
        server_packet_key: bytes(row, "server_packet_key")?,
        enrolled_micros: int(row, "enrolled_micros")?,
        extract_object: row.text("extract_object")?,
        extract_expires_micros: row.int("extract_expires_micros")?,
        last_push_micros: row.int("last_push_micros")?,
    }))
}

pub async fn set_identity(tx: &mut dyn Tx, new: &StationIdentity) -> Result<()> {
    if let Some(held) = identity(tx).await? {
        return Err(StoreError::Conflict(format!(
            "this database is station {} ({}) already",
            held.id, held.name
        )));
    }
    tx.execute(
        &format!("INSERT INTO station_identity (singleton, {IDENTITY}) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
        &[
            Value::from(new.id.to_string()),
            Value::from(new.server_url.as_str()),
            Value::from(new.unit.as_str()),
            Value::from(new.name.as_str()),
            Value::from(new.signing_object.as_str()),
            Value::from(new.agreement_object.as_str()),
            Value::from(B64.encode(&new.server_extract_key)),
            Value::from(B64.encode(&new.server_packet_key)),
            Value::from(new.enrolled_micros),
            Value::from(new.extract_object.clone()),
            Value::from(new.extract_expires_micros),
            Value::from(new.last_push_micros),
        ],
    )
    .await?;
    Ok(())
}

pub async fn extract_pulled(tx: &mut dyn Tx, object: &str, expires_micros: i64) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE station_identity SET extract_object = $1, extract_expires_micros = $2",
            &[Value::from(object), Value::from(expires_micros)],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound("this station's identity".into()));
    }
    Ok(())
}

pub async fn pushed(tx: &mut dyn Tx, at_micros: i64) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE station_identity SET last_push_micros = $1",
            &[Value::from(at_micros)],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound("this station's identity".into()));
    }
    Ok(())
}

const OUTBOX: &str = "packet, made_micros, officer, personal_id, sealed_object, plain_object,
    size_bytes, state, answered_micros, receipt, code, message, resolved_by, resolved_micros";

fn outbox_packet(row: &Row) -> Result<OutboxPacket> {
    Ok(OutboxPacket {
        packet: key(row, "packet")?,
        made_micros: int(row, "made_micros")?,
        officer: text(row, "officer")?,
        personal_id: text(row, "personal_id")?,
        sealed_object: text(row, "sealed_object")?,
        plain_object: text(row, "plain_object")?,
        size_bytes: u64::try_from(int(row, "size_bytes")?).map_err(|_| corrupt("size_bytes"))?,
        state: OutboxState::parse(&text(row, "state")?).ok_or_else(|| corrupt("state"))?,
        answered_micros: row.int("answered_micros")?,
        receipt: row.text("receipt")?,
        code: row.text("code")?,
        message: row.text("message")?,
        resolved_by: row.text("resolved_by")?,
        resolved_micros: row.int("resolved_micros")?,
    })
}

async fn outbox_one(tx: &mut dyn Tx, packet: Uuid) -> Result<Option<OutboxPacket>> {
    tx.fetch(
        &format!("SELECT {OUTBOX} FROM station_outbox WHERE packet = $1"),
        &[Value::from(packet.to_string())],
    )
    .await?
    .first()
    .map(outbox_packet)
    .transpose()
}

pub async fn add_outbox(tx: &mut dyn Tx, access: &Access, new: &OutboxPacket) -> Result<()> {
    if outbox_one(tx, new.packet).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "packet {} is in the outbox already",
            new.packet
        )));
    }
    let size = i64::try_from(new.size_bytes).map_err(|_| StoreError::Invalid("size".into()))?;
    tx.execute(
        &format!(
            "INSERT INTO station_outbox ({OUTBOX})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ),
        &[
            Value::from(new.packet.to_string()),
            Value::from(new.made_micros),
            Value::from(new.officer.as_str()),
            Value::from(new.personal_id.as_str()),
            Value::from(new.sealed_object.as_str()),
            Value::from(new.plain_object.as_str()),
            Value::from(size),
            Value::from(new.state.as_str()),
            Value::from(new.answered_micros),
            Value::from(new.receipt.clone()),
            Value::from(new.code.clone()),
            Value::from(new.message.clone()),
            Value::from(new.resolved_by.clone()),
            Value::from(new.resolved_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::STATION_PACKET_MAKE,
        "station_packet",
        &new.packet.to_string(),
    )
    .await
}

pub async fn outbox(tx: &mut dyn Tx) -> Result<Vec<OutboxPacket>> {
    tx.fetch(
        &format!("SELECT {OUTBOX} FROM station_outbox ORDER BY made_micros, packet"),
        &[],
    )
    .await?
    .iter()
    .map(outbox_packet)
    .collect()
}

pub async fn answer_outbox(
    tx: &mut dyn Tx,
    packet: Uuid,
    answered_micros: i64,
    outcome: &PacketOutcome,
) -> Result<OutboxPacket> {
    let held = outbox_one(tx, packet)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("packet {packet} in the outbox")))?;
    if held.state != OutboxState::Waiting {
        return Ok(held);
    }
    let (state, receipt, code, message) = match outcome {
        PacketOutcome::Filed { receipt, .. } => {
            (OutboxState::Filed, Some(receipt.clone()), None, None)
        }
        PacketOutcome::Refused { code, message } => (
            OutboxState::Refused,
            None,
            Some(code.clone()),
            Some(message.clone()),
        ),
    };
    tx.execute(
        "UPDATE station_outbox SET state = $1, answered_micros = $2,
            receipt = COALESCE($3, receipt), code = $4, message = $5
         WHERE packet = $6",
        &[
            Value::from(state.as_str()),
            Value::from(answered_micros),
            Value::from(receipt),
            Value::from(code),
            Value::from(message),
            Value::from(packet.to_string()),
        ],
    )
    .await?;
    outbox_one(tx, packet)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("packet {packet} in the outbox")))
}

pub async fn resolve_outbox(
    tx: &mut dyn Tx,
    access: &Access,
    packet: Uuid,
) -> Result<OutboxPacket> {
    let held = outbox_one(tx, packet)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("packet {packet} in the outbox")))?;
    if held.state != OutboxState::Refused {
        return Err(StoreError::Invalid(format!(
            "packet {packet} is {}, not refused: only a refused packet is resolved",
            held.state.as_str()
        )));
    }
    tx.execute(
        "UPDATE station_outbox SET state = 'resolved', resolved_by = $1, resolved_micros = $2
         WHERE packet = $3",
        &[
            Value::from(access.actor.as_str()),
            Value::from(access.now_micros),
            Value::from(packet.to_string()),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::STATION_PACKET_RESOLVE,
        "station_packet",
        &packet.to_string(),
    )
    .await?;
    outbox_one(tx, packet)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("packet {packet} in the outbox")))
}

/// Takes back a packet whose filing the working copy refused after it was put in the
/// outbox; only a waiting packet, one the server has answered stays.
pub async fn discard_outbox(tx: &mut dyn Tx, access: &Access, packet: Uuid) -> Result<()> {
    let held = outbox_one(tx, packet)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("packet {packet} in the outbox")))?;
    if held.state != OutboxState::Waiting {
        return Err(StoreError::Invalid(format!(
            "packet {packet} is {}: only a waiting packet is taken back",
            held.state.as_str()
        )));
    }
    tx.execute(
        "DELETE FROM station_outbox WHERE packet = $1 AND state = 'waiting'",
        &[Value::from(packet.to_string())],
    )
    .await?;
    tx.audit(
        access,
        actions::STATION_PACKET_DISCARD,
        "station_packet",
        &packet.to_string(),
    )
    .await
}

/// The official residents of `communes` and their households, in the caller's scope.
pub async fn residents(
    tx: &mut dyn Tx,
    access: &Access,
    communes: &[String],
) -> Result<(Vec<NewHousehold>, Vec<CitizenRecord>)> {
    let mut citizens = Vec::new();
    let mut households = Vec::new();
    for commune in communes {
        let mut q = Query::new(format!(
            "SELECT {CITIZEN_COLUMNS} FROM citizens WHERE home_commune = $1 AND status = 'official'"
        ));
        q.args.push(Value::from(commune.as_str()));
        if let Some(f) = access.scope_filter() {
            q.push(&format!(" AND {} = $?", f.column), f.code);
        }
        q.raw(" ORDER BY personal_id");
        for row in q.fetch(tx).await? {
            citizens.push(citizen(&row)?);
        }
        let rows = tx
            .fetch(
                "SELECT number, commune, address, head_personal_id FROM households
                 WHERE commune = $1 ORDER BY number",
                &[Value::from(commune.as_str())],
            )
            .await?;
        for row in rows {
            households.push(NewHousehold {
                number: text(&row, "number")?,
                commune: AdminCode::parse(&text(&row, "commune")?)
                    .map_err(|_| corrupt("household commune"))?,
                address: text(&row, "address")?,
                head: row
                    .text("head_personal_id")?
                    .map(|p| PersonalId::parse(&p).map_err(|_| corrupt("household head")))
                    .transpose()?,
            });
        }
    }
    tx.audit(
        access,
        actions::STATION_EXTRACT,
        "station",
        &communes.join(","),
    )
    .await?;
    Ok((households, citizens))
}

const ANSWER: &str =
    "id, station, made_micros, received_micros, outcome, application_key, receipt, code, message";

pub async fn answer(tx: &mut dyn Tx, packet: Uuid) -> Result<Option<PacketAnswer>> {
    let rows = tx
        .fetch(
            &format!("SELECT {ANSWER} FROM station_packets WHERE id = $1"),
            &[Value::from(packet.to_string())],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let outcome = match text(row, "outcome")?.as_str() {
        "filed" => PacketOutcome::Filed {
            application: key(row, "application_key")?,
            receipt: text(row, "receipt")?,
        },
        "refused" => PacketOutcome::Refused {
            code: text(row, "code")?,
            message: text(row, "message")?,
        },
        _ => return Err(corrupt("packet outcome")),
    };
    Ok(Some(PacketAnswer {
        packet: key(row, "id")?,
        station: key(row, "station")?,
        made_micros: int(row, "made_micros")?,
        received_micros: int(row, "received_micros")?,
        outcome,
    }))
}

pub async fn keep_answer(tx: &mut dyn Tx, new: &PacketAnswer) -> Result<PacketAnswer> {
    if let Some(kept) = answer(tx, new.packet).await? {
        return Ok(kept);
    }
    let (outcome, application, receipt, code, message) = match &new.outcome {
        PacketOutcome::Filed {
            application,
            receipt,
        } => (
            "filed",
            Some(application.to_string()),
            Some(receipt.clone()),
            None,
            None,
        ),
        PacketOutcome::Refused { code, message } => (
            "refused",
            None,
            None,
            Some(code.clone()),
            Some(message.clone()),
        ),
    };
    tx.execute(
        &format!(
            "INSERT INTO station_packets ({ANSWER}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ),
        &[
            Value::from(new.packet.to_string()),
            Value::from(new.station.to_string()),
            Value::from(new.made_micros),
            Value::from(new.received_micros),
            Value::from(outcome),
            Value::from(application),
            Value::from(receipt),
            Value::from(code),
            Value::from(message),
        ],
    )
    .await?;
    tx.execute(
        "DELETE FROM station_uploads WHERE packet = $1",
        &[Value::from(new.packet.to_string())],
    )
    .await?;
    Ok(new.clone())
}

pub async fn upload(tx: &mut dyn Tx, station: Uuid, packet: Uuid) -> Result<(Vec<u8>, u64)> {
    let rows = tx
        .fetch(
            "SELECT offset_bytes, total_bytes, bytes FROM station_uploads
             WHERE packet = $1 AND station = $2 ORDER BY offset_bytes",
            &[
                Value::from(packet.to_string()),
                Value::from(station.to_string()),
            ],
        )
        .await?;
    let mut bytes = Vec::new();
    let mut total = 0;
    for row in &rows {
        total = u64::try_from(int(row, "total_bytes")?).map_err(|_| corrupt("upload total"))?;
        bytes.extend(
            B64.decode(text(row, "bytes")?)
                .map_err(|_| corrupt("upload bytes"))?,
        );
    }
    Ok((bytes, total))
}

pub async fn append_upload(
    tx: &mut dyn Tx,
    station: Uuid,
    packet: Uuid,
    offset: u64,
    total: u64,
    bytes: &[u8],
) -> Result<u64> {
    let rows = tx
        .fetch(
            "SELECT offset_bytes, total_bytes, bytes FROM station_uploads
             WHERE packet = $1 AND station = $2 ORDER BY offset_bytes DESC",
            &[
                Value::from(packet.to_string()),
                Value::from(station.to_string()),
            ],
        )
        .await?;
    let (held, held_total) = match rows.first() {
        Some(last) => {
            let from = u64::try_from(int(last, "offset_bytes")?).map_err(|_| corrupt("upload"))?;
            let length = B64
                .decode(text(last, "bytes")?)
                .map_err(|_| corrupt("upload bytes"))?
                .len() as u64;
            let total =
                u64::try_from(int(last, "total_bytes")?).map_err(|_| corrupt("upload total"))?;
            (from + length, Some(total))
        }
        None => (0, None),
    };
    if offset != held || held_total.is_some_and(|t| t != total) {
        return Err(StoreError::Conflict(format!(
            "the upload holds {held} bytes: send from there"
        )));
    }
    // A new upload, while the station already has many unfinished: what the server keeps
    // for one station is bounded, whoever holds its key.
    if rows.is_empty() {
        let open = tx
            .fetch(
                "SELECT COUNT(DISTINCT packet) AS open FROM station_uploads WHERE station = $1",
                &[Value::from(station.to_string())],
            )
            .await?
            .first()
            .map(|r| int(r, "open"))
            .transpose()?
            .unwrap_or(0);
        if open >= OPEN_UPLOADS_PER_STATION {
            return Err(StoreError::Invalid(format!(
                "the station has {open} packets half sent: finish those before starting another"
            )));
        }
    }
    let end = offset + bytes.len() as u64;
    if end > total {
        return Err(StoreError::Invalid(format!(
            "the chunk ends at byte {end}, past the packet's {total}"
        )));
    }
    let as_int = |n: u64| i64::try_from(n).map_err(|_| StoreError::Invalid("too large".into()));
    tx.execute(
        "INSERT INTO station_uploads (packet, station, offset_bytes, total_bytes, bytes)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            Value::from(packet.to_string()),
            Value::from(station.to_string()),
            Value::from(as_int(offset)?),
            Value::from(as_int(total)?),
            Value::from(B64.encode(bytes)),
        ],
    )
    .await?;
    Ok(end)
}

pub async fn append_audit(
    tx: &mut dyn Tx,
    station: Uuid,
    events: &[cancuoc_domain::audit::AuditEvent],
    now_micros: i64,
) -> Result<(u64, i64)> {
    let rows = tx
        .fetch(
            "SELECT audit_seq FROM stations WHERE id = $1",
            &[Value::from(station.to_string())],
        )
        .await?;
    let mut held = int(
        rows.first()
            .ok_or_else(|| StoreError::NotFound(format!("station {station}")))?,
        "audit_seq",
    )?;
    let mut appended = 0;
    for event in events {
        if event.seq <= held {
            continue;
        }
        // The station's chain has no gaps: a jump would skip its real events for good.
        if event.seq != held + 1 {
            return Err(StoreError::Invalid(format!(
                "the station's audit events go on from {}, not {}",
                held + 1,
                event.seq
            )));
        }
        let access = Access {
            actor: event.draft.actor.clone(),
            unit: event.draft.unit.clone(),
            scope: cancuoc_domain::Jurisdiction::Nation,
            purpose: format!("station {station}: {}", event.draft.purpose),
            now_micros: event.at_micros,
        };
        crate::audit::append_logged(
            tx,
            &access,
            &event.draft.action,
            &event.draft.record_kind,
            &event.draft.record_key,
            event.draft.outcome,
            now_micros,
        )
        .await?;
        held = event.seq;
        appended += 1;
    }
    tx.execute(
        "UPDATE stations SET audit_seq = $1 WHERE id = $2",
        &[Value::from(held), Value::from(station.to_string())],
    )
    .await?;
    Ok((appended, held))
}

pub async fn audit_sent(tx: &mut dyn Tx) -> Result<i64> {
    let rows = tx
        .fetch("SELECT audit_sent_seq FROM station_identity", &[])
        .await?;
    rows.first()
        .map(|r| int(r, "audit_sent_seq"))
        .transpose()
        .map(Option::unwrap_or_default)
}

pub async fn set_audit_sent(tx: &mut dyn Tx, seq: i64) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE station_identity SET audit_sent_seq = $1",
            &[Value::from(seq)],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound("this station's identity".into()));
    }
    Ok(())
}
