//! A station's packet (issue 19 §3): one application filed offline with its biometrics,
//! the register version it was checked against, the officer and the time; sealed to the
//! server's packet key and signed by the station's key, in the envelope of
//! `cancuoc_domain::station`.
//!
//! The sealed plaintext is the packet's JSON, then the biometric bundle as the vault keeps
//! it (`Capture::to_bundle`): `[u32 big-endian JSON length][JSON][bundle]`.

use cancuoc_domain::biometrics::Capture;
use cancuoc_domain::station::{Envelope, EnvelopeKind, SignerKey};
use cancuoc_icao::pki::KeyPair;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Format;
use crate::{App, AppError};

/// The packet's own format name, inside the JSON.
pub const PACKET_FORMAT: &str = "cancuoc-station-packet/1";

const PACKET_SEALED: Format = Format {
    magic: b"CCSP",
    label: b"cancuoc station packet",
    what: "station packet",
    key_name: "server's packet key",
};

/// The application as the station's officer filed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PacketIntake {
    pub personal_id: String,
    /// `first_issuance`, `cmnd_switch`, `renewal`, `reissue`.
    pub kind: String,
    pub reason: Option<String>,
    pub identifying_marks: Option<String>,
    pub exemption: Option<String>,
    pub old_card_returned: bool,
    /// The receipt number the station gave the citizen, from its block of the unit's
    /// serials: the server files the application under it.
    #[serde(default)]
    pub receipt: Option<cancuoc_domain::receipt::ReceiptNumber>,
}

/// One application filed at a station.
#[derive(Debug, Clone, PartialEq)]
pub struct StationPacket {
    pub packet: Uuid,
    pub station: Uuid,
    /// The username of the officer who took it.
    pub officer: String,
    pub made_micros: i64,
    /// The version of the citizen's record in the extract the filing was checked against.
    pub register_version: Option<i64>,
    pub intake: PacketIntake,
    pub capture: Option<Capture>,
}

#[derive(Serialize, Deserialize)]
struct PacketJson {
    format: String,
    packet: Uuid,
    station: Uuid,
    officer: String,
    made_micros: i64,
    register_version: Option<i64>,
    intake: PacketIntake,
}

/// Every code a packet can be refused with (when it is opened or judged): the
/// station's console says each in Vietnamese.
pub const REFUSAL_CODES: &[&str] = &[
    "already_applied",
    "outside_communes",
    "officer_not_allowed",
    "unknown_citizen",
    "station_revoked",
    "station_not_approved",
    "unknown_station",
    "bad_signature",
    "malformed",
    "does_not_decrypt",
    "mismatch",
    "bad_time",
    "not_filed",
];

/// Why the server refuses a packet: a stable code the station shows with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRefusal {
    /// `malformed`, `unknown_station`, `bad_signature`, `station_not_approved`,
    /// `station_revoked`, `does_not_decrypt`, `mismatch`.
    pub code: &'static str,
    pub message: String,
}

impl PacketRefusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A packet's plaintext: what is sealed to the server, and the station's own copy.
pub fn packet_plaintext(packet: &StationPacket) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec(&PacketJson {
        format: PACKET_FORMAT.into(),
        packet: packet.packet,
        station: packet.station,
        officer: packet.officer.clone(),
        made_micros: packet.made_micros,
        register_version: packet.register_version,
        intake: packet.intake.clone(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let bundle = packet
        .capture
        .as_ref()
        .map(Capture::to_bundle)
        .unwrap_or_default();
    let length = u32::try_from(json.len())
        .map_err(|_| AppError::Invalid("the packet's fields are too long".into()))?;
    let mut plain = Vec::with_capacity(4 + json.len() + bundle.len());
    plain.extend_from_slice(&length.to_be_bytes());
    plain.extend_from_slice(&json);
    plain.extend_from_slice(&bundle);
    Ok(plain)
}

/// Seals `packet` to the server's packet key (SubjectPublicKeyInfo) and signs it with the
/// station's key: the bytes that go in the outbox and up to the server.
pub fn seal_packet(
    packet: &StationPacket,
    station_key: &SignerKey,
    server_packet_key: &[u8],
    random: impl FnMut(&mut [u8]),
) -> Result<Vec<u8>, AppError> {
    let plain = packet_plaintext(packet)?;
    let sealed = PACKET_SEALED.seal(&plain, server_packet_key, random)?;
    Ok(Envelope {
        kind: EnvelopeKind::Packet,
        station: *packet.station.as_bytes(),
        id: *packet.packet.as_bytes(),
        made_micros: packet.made_micros,
        expires_micros: 0,
        body: sealed,
    }
    .sign(station_key))
}

/// Opens a packet's sealed body with the server's packet key.
fn unseal(
    body: &[u8],
    key: &KeyPair,
    station: Uuid,
    id: Uuid,
    made_micros: i64,
) -> Result<StationPacket, PacketRefusal> {
    let plain = PACKET_SEALED
        .open(body, key)
        .map_err(|e| PacketRefusal::new("does_not_decrypt", e.to_string()))?;
    read_plain(&plain, station, id, made_micros)
}

/// Reads a packet's decrypted plaintext, checking it names the packet, station and time
/// its envelope does. Public for the fuzz target: a station's key may be stolen, so what
/// it seals is outside input too.
pub fn read_plain(
    plain: &[u8],
    station: Uuid,
    id: Uuid,
    made_micros: i64,
) -> Result<StationPacket, PacketRefusal> {
    let malformed = |why: String| PacketRefusal::new("malformed", why);
    let length = plain
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| malformed("cut short".into()))?;
    let json = plain
        .get(4..4 + length)
        .ok_or_else(|| malformed("cut short".into()))?;
    let bundle = plain.get(4 + length..).unwrap_or_default();
    let read: PacketJson =
        serde_json::from_slice(json).map_err(|e| malformed(format!("its fields: {e}")))?;
    if read.format != PACKET_FORMAT {
        return Err(malformed(format!("format {:?}", read.format)));
    }
    if read.packet != id || read.station != station || read.made_micros != made_micros {
        return Err(PacketRefusal::new(
            "mismatch",
            "the sealed packet names another packet, station or time than its envelope",
        ));
    }
    let capture = if bundle.is_empty() {
        None
    } else {
        Some(Capture::from_bundle(bundle).map_err(|e| malformed(format!("its biometrics: {e}")))?)
    };
    Ok(StationPacket {
        packet: read.packet,
        station: read.station,
        officer: read.officer,
        made_micros: read.made_micros,
        register_version: read.register_version,
        intake: read.intake,
        capture,
    })
}

impl App {
    /// What the server checks of a packet before anything else: its frame, the station it
    /// names, the signature under that station's key, that the station was approved and not
    /// revoked when the packet was made, and that it decrypts and reads whole.
    pub async fn open_station_packet(
        &self,
        bytes: &[u8],
    ) -> Result<Result<(cancuoc_store::StationRecord, StationPacket), PacketRefusal>, AppError>
    {
        let opened = match Envelope::open(bytes) {
            Ok(o) if o.kind == EnvelopeKind::Packet => o,
            Ok(_) => {
                return Ok(Err(PacketRefusal::new("malformed", "not a station packet")));
            }
            Err(e) => return Ok(Err(PacketRefusal::new("malformed", e.to_string()))),
        };
        let station_id = Uuid::from_bytes(opened.station);
        let Some(station) = self.store.station(station_id).await? else {
            return Ok(Err(PacketRefusal::new(
                "unknown_station",
                format!("no station {station_id} was ever enrolled"),
            )));
        };
        if opened.verify(&station.signing_key).is_err() {
            return Ok(Err(PacketRefusal::new(
                "bad_signature",
                "the packet was altered, or not signed by the station's enrolled key",
            )));
        }
        if !station.trusted_at(opened.made_micros) {
            let (code, message) = match station.revoked_micros {
                Some(at) if at <= opened.made_micros => (
                    "station_revoked",
                    "the packet was made after the station was revoked",
                ),
                _ => (
                    "station_not_approved",
                    "the packet was made before the station was approved",
                ),
            };
            return Ok(Err(PacketRefusal::new(code, message)));
        }
        let keys = self.station_server_keys().await?;
        Ok(unseal(
            opened.body,
            &keys.packet,
            station_id,
            Uuid::from_bytes(opened.id),
            opened.made_micros,
        )
        .map(|packet| (station, packet)))
    }
}

/// The largest packet the server takes: a portrait and thirteen prints at their largest
/// with room for the fields, as at intake over the API.
pub const MAX_PACKET_BYTES: u64 = 12 * 1024 * 1024;

/// Where a pushed packet stands after a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushState {
    /// Not whole yet: the bytes held, from which the station sends on.
    Partial { received: u64 },
    /// Whole and answered: filed or refused, for good.
    Answered(cancuoc_store::PacketAnswer),
}

impl App {
    /// Where a packet of `station` stands: answered, or the bytes held of it.
    pub async fn packet_state(
        &self,
        station: &cancuoc_store::StationRecord,
        packet: Uuid,
    ) -> Result<PushState, AppError> {
        if let Some(answer) = self.store.packet_answer(packet).await?
            && answer.station == station.id
        {
            return Ok(PushState::Answered(answer));
        }
        let (held, _) = self.store.packet_upload(station.id, packet).await?;
        Ok(PushState::Partial {
            received: held.len() as u64,
        })
    }

    /// Takes a chunk of a packet an authenticated station pushes; once the packet is whole
    /// it is judged and answered, and the answer kept: sent again, it is answered the
    /// same. A packet already answered takes no more bytes.
    pub async fn receive_packet_chunk(
        &self,
        station: &cancuoc_store::StationRecord,
        packet: Uuid,
        offset: u64,
        total: u64,
        bytes: &[u8],
    ) -> Result<PushState, AppError> {
        if let Some(answer) = self.store.packet_answer(packet).await?
            && answer.station == station.id
        {
            return Ok(PushState::Answered(answer));
        }
        if total == 0 || total > MAX_PACKET_BYTES {
            return Err(AppError::Invalid(format!(
                "total: a packet has 1 to {MAX_PACKET_BYTES} bytes"
            )));
        }
        let (held, _) = self.store.packet_upload(station.id, packet).await?;
        // A packet sent whole in one request, of which nothing is held, is judged as it
        // came: keeping its bytes would only be for a resumption it does not need. One
        // held whole but not judged (the server stopped in between) is judged now.
        let whole_in_one = offset == 0 && bytes.len() as u64 == total && held.is_empty();
        let held_whole = bytes.is_empty() && held.len() as u64 == total;
        let gathered;
        let whole = if whole_in_one {
            bytes
        } else if held_whole {
            gathered = held;
            &gathered
        } else {
            let received = self
                .store
                .append_packet_upload(station.id, packet, offset, total, bytes)
                .await?;
            if received < total {
                return Ok(PushState::Partial { received });
            }
            gathered = self.store.packet_upload(station.id, packet).await?.0;
            &gathered
        };
        let (made_micros, outcome) = self.judge_packet(station, packet, whole).await?;
        let answer = cancuoc_store::PacketAnswer {
            packet,
            station: station.id,
            made_micros,
            received_micros: self.clock.now_micros(),
            outcome,
        };
        Ok(PushState::Answered(
            self.store.keep_packet_answer(&answer).await?,
        ))
    }

    /// Files a whole packet as its officer at the station, or says why not.
    async fn judge_packet(
        &self,
        station: &cancuoc_store::StationRecord,
        packet_id: Uuid,
        bytes: &[u8],
    ) -> Result<(i64, cancuoc_store::PacketOutcome), AppError> {
        use cancuoc_store::PacketOutcome::Refused;
        let made = Envelope::open(bytes).map_or(0, |o| o.made_micros);
        let refused = |code: &str, message: String| {
            Ok((
                made,
                Refused {
                    code: code.to_owned(),
                    message,
                },
            ))
        };
        let (sender, packet) = match self.open_station_packet(bytes).await? {
            Ok(read) => read,
            Err(r) => return refused(r.code, r.message),
        };
        if sender.id != station.id || packet.packet != packet_id {
            return refused(
                "mismatch",
                "the packet names another station or id than its upload".into(),
            );
        }
        // A station makes a packet when it files, never later than now (its clock within
        // the skew a signed request is allowed).
        if packet.made_micros
            > self.clock.now_micros() + cancuoc_domain::station::REQUEST_SKEW_MICROS
        {
            return refused(
                "bad_time",
                "the packet is dated after the server's clock: set the laptop's clock".into(),
            );
        }
        // A station takes first cards and CMND switches: it holds no cards to renew.
        if !matches!(
            packet.intake.kind.as_str(),
            "first_issuance" | "cmnd_switch"
        ) {
            return refused(
                "not_filed",
                format!(
                    "a station takes first cards and CMND switches, not {:?}",
                    packet.intake.kind
                ),
            );
        }
        // The number the station gave must be from its own block: another station's
        // would be given twice.
        if let Some(receipt) = &packet.intake.receipt {
            let block = station
                .receipt_block
                .and_then(cancuoc_domain::receipt::station_serials);
            if !block.is_some_and(|b| b.contains(&receipt.serial())) {
                return refused(
                    "mismatch",
                    format!("receipt {receipt} is not from the station's block of numbers"),
                );
            }
        }
        if !station.officers.contains(&packet.officer) {
            return refused(
                "officer_not_allowed",
                format!("{} may not use this station", packet.officer),
            );
        }
        let Some(officer) = self
            .store
            .officer_credentials(&packet.officer)
            .await?
            .map(|c| c.officer)
            .filter(|o| o.active)
        else {
            return refused(
                "officer_not_allowed",
                format!("{} is not an active officer", packet.officer),
            );
        };
        let caller = crate::Caller::Officer(officer);
        // The filing's own check, unaudited as intake's are: the filing that follows
        // audits, and a refusal shows the station nothing it did not hold.
        let unknown = || {
            refused(
                "unknown_citizen",
                format!(
                    "no citizen {} in the officer's area",
                    packet.intake.personal_id
                ),
            )
        };
        let Ok(personal_id) = cancuoc_domain::PersonalId::parse(&packet.intake.personal_id) else {
            return unknown();
        };
        let access = caller.access(&*self.clock, "station packet");
        let Some(facts) = self
            .store
            .filing_facts(&access, &[personal_id], self.clock.today())
            .await?
            .pop()
            .flatten()
        else {
            return unknown();
        };
        // A record changed centrally since the extract is judged as the extract held it,
        // and the filing flagged with what changed; otherwise as it is.
        let changed_since = packet
            .register_version
            .filter(|v| *v < facts.citizen.version);
        let (commune, note) = match changed_since {
            None => (
                facts
                    .citizen
                    .locality
                    .as_ref()
                    .map(|l| l.commune.as_str().to_owned()),
                None,
            ),
            Some(then) => {
                let history = self.store.citizen_history(&access, &personal_id).await?;
                let (commune, note) =
                    changes_since(&history, then, facts.citizen.version, &station.name);
                (commune, Some(note))
            }
        };
        if !commune.is_some_and(|c| station.communes.contains(&c)) {
            return refused(
                "outside_communes",
                format!(
                    "{} lives outside the communes the station serves",
                    packet.intake.personal_id
                ),
            );
        }
        let intake = crate::Intake {
            station: Some(station.name.clone()),
            capture: packet.capture.clone(),
            ..crate::station_desk::packet_intake(
                &packet.intake,
                crate::station_desk::station_day(packet.made_micros)?,
                packet_id,
            )
        };
        // Filed as taken at the station and when: its history, audit event and receipt
        // carry the packet's time, not the time it reached the server.
        let at_station = App {
            clock: std::sync::Arc::new(StationClock(packet.made_micros)),
            ..self.clone()
        };
        match at_station.file_application(&caller, &intake).await {
            Ok(filed) => {
                // Set again when a packet is filed again after a cut: the same note
                // changes nothing.
                if let Some(note) = &note {
                    self.store
                        .note_for_verifier(&access, filed.application.key, note)
                        .await?;
                }
                Ok((
                    packet.made_micros,
                    cancuoc_store::PacketOutcome::Filed {
                        application: filed.application.key,
                        receipt: filed.application.receipt.to_string(),
                    },
                ))
            }
            // The first packet to reach the server wins; the message names its receipt.
            Err(AppError::Conflict(message)) => refused("already_applied", message),
            Err(e) if e.is_system_failure() => Err(e),
            Err(e) => refused("not_filed", e.to_string()),
        }
    }
}

/// Where a citizen lived at version `then` of their record (the station's extract), and
/// the note for the verifier: which fields changed up to version `now`, and whether the
/// citizen moved.
fn changes_since(
    history: &[cancuoc_store::HistoryEntry],
    then: i64,
    now: i64,
    station: &str,
) -> (Option<String>, String) {
    let at_then = history
        .iter()
        .filter(|h| h.version <= then)
        .max_by_key(|h| h.version);
    let latest = history.iter().max_by_key(|h| h.version);
    let residence_then = at_then.and_then(|h| h.residence.clone());
    let moved = residence_then != latest.and_then(|h| h.residence.clone());
    let mut fields: Vec<&str> = Vec::new();
    for entry in history.iter().filter(|h| h.version > then) {
        for field in &entry.changed_fields {
            if !fields.contains(&field.as_str()) {
                fields.push(field);
            }
        }
    }
    let mut note = format!(
        "Hồ sơ dân cư đã thay đổi sau bản trích xuất của trạm {station} (phiên bản {then} → {now}): {}",
        if fields.is_empty() {
            "không rõ trường nào".to_owned()
        } else {
            fields.join(", ")
        }
    );
    if moved {
        note.push_str("; công dân đã chuyển nơi cư trú");
    }
    note.push_str(". Đối chiếu với hồ sơ hiện tại trước khi xác minh.");
    (residence_then.map(|r| r.commune.as_str().to_owned()), note)
}

/// The time a packet was made, for its filing on the server.
struct StationClock(i64);

impl crate::Clock for StationClock {
    fn now_micros(&self) -> i64 {
        self.0
    }
    fn today(&self) -> jiff::civil::Date {
        jiff::Timestamp::from_microsecond(self.0)
            .map(|t| {
                t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                    .date()
            })
            .unwrap_or(jiff::civil::Date::ZERO)
    }
}
