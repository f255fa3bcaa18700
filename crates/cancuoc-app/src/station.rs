//! Mobile stations, the server's side (issue 19): a station asks to be enrolled with its
//! public keys, an officer of its district or above approves it with the communes it may
//! serve and the officers who may use it, or revokes it. The server's own keys for stations
//! (one signs extracts, one receives packets) are made on first need and sealed in the vault.

use std::collections::HashSet;
use std::sync::Arc;

use cancuoc_domain::station::{SignerKey, fingerprint, is_public_key};
use cancuoc_domain::text::clean;
use cancuoc_domain::{AdminCode, AdminLevel, Jurisdiction, PoliceUnitCode};
use cancuoc_icao::pki::{self, KeyPair};
use cancuoc_store::{
    Access, StationIdentity, StationKeyPurpose, StationRecord, StationServerKey, StationStatus,
};
use uuid::Uuid;

use crate::{App, AppError, Caller};

/// The longest station name kept.
pub const STATION_NAME_MAX: usize = 100;

/// What a station sends to be enrolled.
#[derive(Debug, Clone)]
pub struct StationRequest {
    pub name: String,
    /// Its district police unit, `CAH-…`.
    pub unit: String,
    /// Ed25519 public key, 32 bytes.
    pub signing_key: Vec<u8>,
    /// P-256 SubjectPublicKeyInfo, DER.
    pub agreement_key: Vec<u8>,
}

/// The answer to an enrolment request: what the station keeps to trust the server.
#[derive(Debug, Clone)]
pub struct StationEnrolled {
    pub station: StationRecord,
    /// The station's signing key's fingerprint, for the approving officer to compare
    /// with the one the station's screen shows.
    pub fingerprint: String,
    /// Ed25519: verifies the extracts the server signs.
    pub server_extract_key: [u8; 32],
    /// P-256 SubjectPublicKeyInfo: the station seals its packets to it.
    pub server_packet_key: Vec<u8>,
}

/// The server's two keys for stations, opened from the vault.
#[derive(Debug, Clone)]
pub struct StationServerKeys {
    pub extract: SignerKey,
    pub packet: KeyPair,
}

impl App {
    /// Records a station's enrolment request. Anyone may ask: nothing is trusted until an
    /// officer approves the station after comparing its key's fingerprint, and a district
    /// holds at most a few requests waiting.
    pub async fn request_station(
        &self,
        request: &StationRequest,
    ) -> Result<StationEnrolled, AppError> {
        let name = clean(&request.name);
        if name.is_empty() || name.chars().count() > STATION_NAME_MAX {
            return Err(AppError::Invalid(format!(
                "name: a station's name has 1 to {STATION_NAME_MAX} characters"
            )));
        }
        let district = match PoliceUnitCode::parse(request.unit.trim()) {
            Ok(PoliceUnitCode::District(d)) if self.places().get(&d).is_some() => d,
            _ => {
                return Err(AppError::Invalid(format!(
                    "unit: {:?} is not a district police unit (CAH-…)",
                    request.unit
                )));
            }
        };
        if !is_public_key(&request.signing_key) {
            return Err(AppError::Invalid(
                "signing_key: not an Ed25519 public key of 32 bytes".into(),
            ));
        }
        pki::point_of(&request.agreement_key)
            .ok()
            .filter(|p| p256::PublicKey::from_sec1_bytes(p).is_ok())
            .ok_or_else(|| {
                AppError::Invalid("agreement_key: not a P-256 SubjectPublicKeyInfo (DER)".into())
            })?;
        let keys = self.station_server_keys().await?;
        let access = Access {
            actor: "station-enrolment".into(),
            unit: request.unit.trim().to_owned(),
            scope: Jurisdiction::Within(district),
            purpose: "station enrolment request".into(),
            now_micros: self.clock.now_micros(),
        };
        let station = StationRecord {
            id: Uuid::now_v7(),
            name,
            unit: access.unit.clone(),
            signing_key: request.signing_key.clone(),
            agreement_key: request.agreement_key.clone(),
            status: StationStatus::Pending,
            communes: Vec::new(),
            officers: Vec::new(),
            requested_micros: access.now_micros,
            approved_by: None,
            approved_micros: None,
            revoked_by: None,
            revoked_micros: None,
            receipt_block: None,
        };
        self.store.request_station(&access, &station).await?;
        Ok(StationEnrolled {
            fingerprint: fingerprint(&station.signing_key),
            station,
            server_extract_key: keys.extract.public(),
            server_packet_key: keys.packet.public_key_info(),
        })
    }

    fn station_access(&self, caller: &Caller, purpose: &str) -> Result<Access, AppError> {
        if let Some(o) = caller.officer()
            && !o.role.manages_stations()
        {
            return Err(AppError::Forbidden(
                "stations are approved and revoked by the district police and above".into(),
            ));
        }
        Ok(caller.access(&*self.clock, purpose))
    }

    /// The stations in the caller's jurisdiction, newest request first.
    pub async fn stations(&self, caller: &Caller) -> Result<Vec<StationRecord>, AppError> {
        let access = self.station_access(caller, "mobile stations")?;
        Ok(self.store.stations(&access).await?)
    }

    /// Approves a station (or changes what it may do): the communes must lie in its
    /// district, the officers must be active officers of that district or its communes.
    pub async fn approve_station(
        &self,
        caller: &Caller,
        id: Uuid,
        communes: &[String],
        officers: &[String],
    ) -> Result<StationRecord, AppError> {
        let access = self.station_access(caller, "station.approve")?;
        let station = self
            .store
            .stations(&access)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| AppError::NotFound(format!("station {id}")))?;
        let district = district_of(&station)?;
        if communes.is_empty() {
            return Err(AppError::Invalid(
                "communes: name at least one commune the station serves".into(),
            ));
        }
        let places = self.places();
        let mut seen = HashSet::new();
        let mut commune_codes = Vec::new();
        for code in communes {
            let code = code.trim();
            let commune = AdminCode::parse(code)
                .ok()
                .filter(|c| c.level() == AdminLevel::Commune && places.admin_within(c, &district))
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "communes: {code:?} is not a commune of district {district}"
                    ))
                })?;
            if seen.insert(commune.clone()) {
                commune_codes.push(commune.as_str().to_owned());
            }
        }
        if officers.is_empty() {
            return Err(AppError::Invalid(
                "officers: name at least one officer who may sign in on the station".into(),
            ));
        }
        let known = self.store.officers(&access).await?;
        let mut usernames = Vec::new();
        for name in officers {
            let name = name.trim();
            let officer = known
                .iter()
                .find(|o| o.username == name && may_use_station(&places, o, &district))
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "officers: {name:?} is not an active intake officer of district {district} or its communes"
                    ))
                })?;
            if !usernames.contains(&officer.username) {
                usernames.push(officer.username.clone());
            }
        }
        Ok(self
            .store
            .approve_station(&access, station.id, &commune_codes, &usernames)
            .await?)
    }

    /// What an approval of the station may grant: the communes of its district, and the
    /// active intake officers of the district and its communes, as (username, full name,
    /// unit).
    pub async fn station_choices(
        &self,
        caller: &Caller,
        station: &StationRecord,
    ) -> Result<(Vec<AdminCode>, Vec<cancuoc_domain::Officer>), AppError> {
        let access = self.station_access(caller, "station.approve")?;
        let district = district_of(station)?;
        let places = self.places();
        let communes = places
            .police_children(&PoliceUnitCode::District(district.clone()))
            .iter()
            .filter_map(|u| match u {
                PoliceUnitCode::Commune(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let officers = self
            .store
            .officers(&access)
            .await?
            .into_iter()
            .filter(|o| may_use_station(&places, o, &district))
            .collect();
        Ok((communes, officers))
    }

    /// Revokes a station: its packets made from now on are refused, and it can no longer
    /// pull.
    pub async fn revoke_station(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<StationRecord, AppError> {
        let access = self.station_access(caller, "station.revoke")?;
        Ok(self.store.revoke_station(&access, id).await?)
    }

    /// The server's keys for stations, made and sealed in the vault on first need. When
    /// two nodes make one at once, the store keeps the first and both use it.
    ///
    /// Read once per process: the keys are made once and never change (when two nodes
    /// make them at once, the store keeps the first and both read that one).
    pub async fn station_server_keys(&self) -> Result<Arc<StationServerKeys>, AppError> {
        self.station_keys
            .get_or_try_init(|| async { self.load_station_server_keys().await.map(Arc::new) })
            .await
            .cloned()
    }

    async fn load_station_server_keys(&self) -> Result<StationServerKeys, AppError> {
        let vault = self.vault_holding("the server's keys for stations")?;
        let access = Caller::Operator {
            name: "stations".into(),
        }
        .access(&*self.clock, "station server keys");
        let mut extract = self
            .store
            .station_server_key(StationKeyPurpose::Extract)
            .await?;
        if extract.is_none() {
            let key = self.signer_key()?;
            let object = format!("stations/extract-{}.key", Uuid::now_v7());
            vault.seal(&object, &key.secret()).await?;
            let record = StationServerKey {
                purpose: StationKeyPurpose::Extract,
                public_key: key.public().to_vec(),
                key_object: object,
                created_micros: access.now_micros,
            };
            extract = Some(self.store.add_station_server_key(&access, &record).await?);
        }
        let mut packet = self
            .store
            .station_server_key(StationKeyPurpose::Packet)
            .await?;
        if packet.is_none() {
            let key = self.key_pair()?;
            let object = format!("stations/packet-{}.key", Uuid::now_v7());
            vault.seal(&object, &key.secret()).await?;
            let record = StationServerKey {
                purpose: StationKeyPurpose::Packet,
                public_key: key.public_key_info(),
                key_object: object,
                created_micros: access.now_micros,
            };
            packet = Some(self.store.add_station_server_key(&access, &record).await?);
        }
        let (Some(extract), Some(packet)) = (extract, packet) else {
            return Err(AppError::Internal("the server's keys for stations".into()));
        };
        let extract = self.open_signer_key(vault, &extract.key_object).await?;
        let secret = zeroize::Zeroizing::new(vault.open(&packet.key_object).await?);
        let packet = KeyPair::from_secret(&secret)
            .ok_or_else(|| AppError::Internal("the sealed packet key is not a key".into()))?;
        Ok(StationServerKeys { extract, packet })
    }
}

/// The district of a station's unit.
fn district_of(station: &StationRecord) -> Result<AdminCode, AppError> {
    station
        .unit
        .strip_prefix("CAH-")
        .and_then(|d| AdminCode::parse(d).ok())
        .ok_or_else(|| AppError::Internal(format!("station {} has no district unit", station.id)))
}

/// Whether an officer may be allowed on a station of `district`: active, taking intake,
/// of the district's police or one of its communes'.
fn may_use_station(
    places: &crate::Places,
    officer: &cancuoc_domain::Officer,
    district: &AdminCode,
) -> bool {
    officer.active
        && officer.role.takes_intake()
        && match officer.unit.jurisdiction() {
            Jurisdiction::Within(area) => places.admin_within(&area, district),
            Jurisdiction::Nation => false,
        }
}

/// A station's new key pair, sealed in its vault: what `cancuoc station enrol` sends the
/// public halves of.
#[derive(Debug)]
pub struct NewStationKeys {
    pub signing: SignerKey,
    pub agreement: KeyPair,
    pub signing_object: String,
    pub agreement_object: String,
}

impl App {
    /// On a station's own database: its identity, once enrolled.
    pub async fn station_identity(&self) -> Result<Option<StationIdentity>, AppError> {
        Ok(self.station_home().station_identity().await?)
    }

    /// On a station's own database: makes the station's two key pairs and seals their
    /// private halves in the station's vault. Refused once the database is a station.
    pub async fn new_station_keys(&self) -> Result<NewStationKeys, AppError> {
        if let Some(held) = self.store.station_identity().await? {
            return Err(AppError::Conflict(format!(
                "this database is station {} ({}) already",
                held.id, held.name
            )));
        }
        let vault = self.vault_holding("a station's keys")?;
        let signing = self.signer_key()?;
        let agreement = self.key_pair()?;
        let tag = Uuid::now_v7();
        let signing_object = format!("station/signing-{tag}.key");
        let agreement_object = format!("station/agreement-{tag}.key");
        vault.seal(&signing_object, &signing.secret()).await?;
        vault.seal(&agreement_object, &agreement.secret()).await?;
        Ok(NewStationKeys {
            signing,
            agreement,
            signing_object,
            agreement_object,
        })
    }

    /// On a station's own database: keeps who the station is, once the server answered.
    pub async fn keep_station_identity(&self, identity: &StationIdentity) -> Result<(), AppError> {
        Ok(self.store.set_station_identity(identity).await?)
    }
}

/// How long a revoked station may still push what it made before its revocation.
pub const PUSH_AFTER_REVOCATION_MICROS: i64 = 14 * 24 * 3_600_000_000;

/// How long an extract is good for: a week, the same as the longest a station may go
/// without pushing (issue 19 §5). A station pulls again before it runs out.
pub const EXTRACT_VALID_MICROS: i64 = 7 * 24 * 3_600_000_000;

/// The extract's JSON sealed to the station's P-256 key.
const EXTRACT_SEALED: crate::sealed::Format = crate::sealed::Format {
    magic: b"CCSX",
    label: b"cancuoc station extract",
    what: "station extract",
    key_name: "station key",
};

/// The extract's own format name, inside the JSON.
pub const EXTRACT_FORMAT: &str = "cancuoc-station-extract/1";

/// What a station needs of the register to work offline for its communes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StationExtract {
    pub format: String,
    pub station: Uuid,
    pub name: String,
    pub unit: String,
    pub communes: Vec<String>,
    /// The administrative hierarchy the register holds (`2021`, `2025`): the station
    /// loads the same one, shipped in the binary with the code lists and the fees.
    pub hierarchy: String,
    pub officers: Vec<ExtractOfficer>,
    pub households: Vec<ExtractHousehold>,
    pub residents: Vec<ExtractResident>,
    /// The open sessions held in the station's communes or inviting their people, from
    /// today until the extract expires, with their appointments in queue order.
    #[serde(default)]
    pub sessions: Vec<ExtractSession>,
    /// The station's block of the unit's daily receipt serials: the numbers it gives
    /// offline are the ones the server files.
    #[serde(default)]
    pub receipt_block: Option<u32>,
}

/// A session as the station needs it to run its desk offline.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractSession {
    pub id: Uuid,
    pub site: ExtractSite,
    pub day: jiff::civil::Date,
    pub window: cancuoc_domain::schedule::Window,
    pub slot_min: u32,
    pub machines: Vec<ExtractMachine>,
    pub officers: Vec<String>,
    pub slots: Vec<cancuoc_domain::schedule::Slot>,
    pub invites: String,
    pub appointments: Vec<ExtractAppointment>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractSite {
    pub id: Uuid,
    pub unit: String,
    pub name: String,
    pub kind: cancuoc_store::SiteKind,
    pub commune: String,
    pub address: String,
    pub hours: cancuoc_domain::schedule::Window,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractMachine {
    pub id: Uuid,
    pub unit: String,
    pub label: String,
    pub minutes_per_application: u32,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractAppointment {
    pub id: Uuid,
    pub slot: u32,
    pub personal_id: String,
    pub household: Option<String>,
    pub origin: cancuoc_domain::schedule::AppointmentOrigin,
    pub arrived_micros: Option<i64>,
}

/// An officer allowed on the station, with the password hash they sign in with offline.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractOfficer {
    pub username: String,
    pub full_name: String,
    pub unit: String,
    pub role: String,
    /// Argon2id, PHC string.
    pub password_hash: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractHousehold {
    pub number: String,
    pub commune: String,
    pub address: String,
    pub head: Option<String>,
}

/// An official record as the register holds it, with the version it was at: what a
/// filing at the station was checked against.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractResident {
    pub key: Uuid,
    pub version: i64,
    pub data: cancuoc_domain::CitizenData,
    pub locality: Option<cancuoc_domain::Locality>,
    /// A card the citizen holds that is valid on the day of the extract, with its
    /// expiry (none: it never expires), so that intake offline checks the type.
    #[serde(default)]
    pub valid_card: Option<ExtractCard>,
    /// Whether an application of the citizen is in progress centrally.
    #[serde(default)]
    pub open_application: bool,
}

/// A card valid on the day of the extract. A struct, not a bare optional date: a card
/// that never expires (`expiry: null`) must not read back as no card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtractCard {
    pub expiry: Option<jiff::civil::Date>,
}

/// A request a station signed: what the server checks before it answers.
#[derive(Debug, Clone)]
pub struct StationSignedRequest<'a> {
    pub station: Uuid,
    pub method: &'a str,
    /// The path with its query, as sent.
    pub path: &'a str,
    pub at_micros: i64,
    pub body: &'a [u8],
    pub signature: &'a [u8],
    /// A push: a revoked station may still push, since each packet is judged by whether
    /// the station was trusted when the packet was made.
    pub pushes: bool,
}

impl App {
    /// The station behind a signed request, if the signature holds under its key, the
    /// request is recent and the station is approved and not revoked.
    pub async fn authenticate_station(
        &self,
        request: &StationSignedRequest<'_>,
    ) -> Result<StationRecord, AppError> {
        let unknown = || AppError::Unauthenticated;
        let station = self
            .store
            .station(request.station)
            .await?
            .ok_or_else(unknown)?;
        let message = cancuoc_domain::station::request_message(
            request.station.as_bytes(),
            request.method,
            request.path,
            request.at_micros,
            request.body,
        );
        cancuoc_domain::station::verify_signature(
            &station.signing_key,
            &message,
            request.signature,
        )
        .map_err(|_| unknown())?;
        let now = self.clock.now_micros();
        if (now - request.at_micros).abs() > cancuoc_domain::station::REQUEST_SKEW_MICROS {
            return Err(AppError::Forbidden(
                "the station's clock is more than 5 minutes off the server's: set the laptop's clock and try again".into(),
            ));
        }
        match station.status {
            StationStatus::Approved => Ok(station),
            StationStatus::Pending => Err(AppError::Forbidden(format!(
                "station {} is not approved yet: an officer of {} approves it in the console",
                station.id, station.unit
            ))),
            // What it made before the revocation may come up for two weeks after it; then
            // its key opens nothing, stolen or not.
            StationStatus::Revoked
                if request.pushes
                    && station
                        .revoked_micros
                        .is_some_and(|at| now - at <= PUSH_AFTER_REVOCATION_MICROS) =>
            {
                Ok(station)
            }
            StationStatus::Revoked => Err(AppError::Forbidden(format!(
                "station {} was revoked",
                station.id
            ))),
        }
    }

    /// The signed and sealed extract for an approved station: its officers with their
    /// password hashes, and the residents and households of its communes (one audit
    /// event names them). Sealed to the station's key, signed by the server's, with an
    /// expiry.
    pub async fn station_extract(&self, station: &StationRecord) -> Result<Vec<u8>, AppError> {
        let district = district_of(station)?;
        let access = Access {
            actor: format!("station:{}", station.id),
            unit: station.unit.clone(),
            scope: Jurisdiction::Within(district),
            purpose: "station extract".into(),
            now_micros: self.clock.now_micros(),
        };
        let mut officers = Vec::new();
        for username in &station.officers {
            let Some(c) = self.store.officer_credentials(username).await? else {
                continue;
            };
            if c.officer.active && !c.must_change_password {
                officers.push(ExtractOfficer {
                    username: c.officer.username,
                    full_name: c.officer.full_name,
                    unit: c.officer.unit.as_string(),
                    role: c.officer.role.as_str().to_owned(),
                    password_hash: c.password_hash,
                });
            }
        }
        let (households, residents) = self
            .store
            .residents_for_station(&access, &station.communes)
            .await?;
        let sessions = self.sessions_for_station(&access, station).await?;
        // Cards and applications in progress, read as intake's own checks read them.
        let mut holdings = std::collections::HashMap::new();
        let ids: Vec<_> = residents.iter().map(|r| r.data.personal_id).collect();
        for chunk in ids.chunks(500) {
            let facts = self
                .store
                .filing_facts(&access, chunk, self.clock.today())
                .await?;
            for (id, fact) in chunk.iter().zip(facts) {
                if let Some(f) = fact {
                    holdings.insert(*id, (f.card, f.open_application.is_some()));
                }
            }
        }
        let extract = StationExtract {
            format: EXTRACT_FORMAT.into(),
            station: station.id,
            name: station.name.clone(),
            unit: station.unit.clone(),
            communes: station.communes.clone(),
            receipt_block: station.receipt_block,
            hierarchy: self.store.hierarchy().await?.unwrap_or_default(),
            officers,
            households: households
                .into_iter()
                .map(|h| ExtractHousehold {
                    number: h.number,
                    commune: h.commune.as_str().to_owned(),
                    address: h.address,
                    head: h.head.map(|p| p.as_string()),
                })
                .collect(),
            residents: residents
                .into_iter()
                .map(|r| {
                    let (card, open) = holdings
                        .get(&r.data.personal_id)
                        .copied()
                        .unwrap_or((cancuoc_domain::application::HeldCard::None, false));
                    ExtractResident {
                        key: r.key,
                        version: r.version,
                        valid_card: match card {
                            cancuoc_domain::application::HeldCard::Active { expiry } => {
                                Some(ExtractCard { expiry })
                            }
                            _ => None,
                        },
                        open_application: open,
                        data: r.data,
                        locality: r.locality,
                    }
                })
                .collect(),
            sessions,
        };
        let json = serde_json::to_vec(&extract).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut failure = None;
        let sealed = EXTRACT_SEALED.seal(&json, &station.agreement_key, |b| {
            match self.random.bytes(b.len()) {
                Ok(bytes) => b.copy_from_slice(&bytes),
                Err(e) => failure = Some(e),
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        let keys = self.station_server_keys().await?;
        Ok(cancuoc_domain::station::Envelope {
            kind: cancuoc_domain::station::EnvelopeKind::Extract,
            station: *station.id.as_bytes(),
            id: *Uuid::now_v7().as_bytes(),
            made_micros: access.now_micros,
            expires_micros: access.now_micros + EXTRACT_VALID_MICROS,
            body: sealed,
        }
        .sign(&keys.extract))
    }

    /// The open sessions of the coming week held in the station's communes or inviting
    /// their people, with their appointments (each session's list audited).
    async fn sessions_for_station(
        &self,
        access: &Access,
        station: &StationRecord,
    ) -> Result<Vec<ExtractSession>, AppError> {
        let today = self.clock.today();
        let to = today
            .checked_add(jiff::Span::new().days(7))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let held = self
            .store
            .enrollment_sessions(
                access,
                &cancuoc_store::SessionQuery {
                    from: today,
                    to,
                    commune: None,
                    unit: None,
                },
            )
            .await?;
        let mut sessions = Vec::new();
        for s in held {
            let ours =
                station.communes.contains(&s.site.commune) || station.communes.contains(&s.invites);
            if !ours || s.state != cancuoc_store::SessionState::Open {
                continue;
            }
            let mut appointments: Vec<_> = self
                .store
                .appointments(access, s.id)
                .await?
                .into_iter()
                .filter(|a| a.state.is_active())
                .collect();
            appointments.sort_by_key(|a| a.queue_number);
            sessions.push(ExtractSession {
                id: s.id,
                site: ExtractSite {
                    id: s.site.id,
                    unit: s.site.unit,
                    name: s.site.name,
                    kind: s.site.kind,
                    commune: s.site.commune,
                    address: s.site.address,
                    hours: s.site.hours,
                },
                day: s.day,
                window: s.window,
                slot_min: s.slot_min,
                machines: s
                    .machines
                    .into_iter()
                    .map(|m| ExtractMachine {
                        id: m.id,
                        unit: m.unit,
                        label: m.label,
                        minutes_per_application: m.minutes_per_application,
                    })
                    .collect(),
                officers: s.officers,
                slots: s.slots.into_iter().map(|u| u.slot).collect(),
                invites: s.invites,
                appointments: appointments
                    .into_iter()
                    .map(|a| ExtractAppointment {
                        id: a.id,
                        slot: a.slot,
                        personal_id: a.personal_id,
                        household: a.household,
                        origin: a.origin,
                        arrived_micros: a.arrived_micros,
                    })
                    .collect(),
            });
        }
        Ok(sessions)
    }

    /// On a station: the station's signing key, opened from its vault.
    pub async fn station_signing_key(
        &self,
        identity: &StationIdentity,
    ) -> Result<SignerKey, AppError> {
        let vault = self.station_vault()?;
        self.open_signer_key(vault, &identity.signing_object).await
    }

    fn station_vault(&self) -> Result<&std::sync::Arc<dyn cancuoc_store::Vault>, AppError> {
        self.vault_holding("a station's keys and extract")
    }

    /// On a station: reads an extract the server sent, refusing one that is not signed by
    /// the server's key this station trusts, is for another station, has expired, or does
    /// not decrypt with the station's key.
    pub async fn read_station_extract(
        &self,
        identity: &StationIdentity,
        bytes: &[u8],
    ) -> Result<(StationExtract, i64), AppError> {
        self.open_extract(identity, bytes, true).await
    }

    /// Reads an extract; an expired one only when `refuse_expired` is not set.
    async fn open_extract(
        &self,
        identity: &StationIdentity,
        bytes: &[u8],
        refuse_expired: bool,
    ) -> Result<(StationExtract, i64), AppError> {
        let bad = |why: String| AppError::Invalid(format!("the extract is refused: {why}"));
        let opened =
            cancuoc_domain::station::Envelope::open(bytes).map_err(|e| bad(e.to_string()))?;
        opened
            .verify(&identity.server_extract_key)
            .map_err(|e| bad(e.to_string()))?;
        if opened.kind != cancuoc_domain::station::EnvelopeKind::Extract
            || opened.station != *identity.id.as_bytes()
        {
            return Err(bad("it is not an extract for this station".into()));
        }
        if refuse_expired && opened.expires_micros <= self.clock.now_micros() {
            return Err(bad(
                "it has expired: run `cancuoc station pull` while the server is reachable".into(),
            ));
        }
        let vault = self.station_vault()?;
        let secret = zeroize::Zeroizing::new(vault.open(&identity.agreement_object).await?);
        let key = KeyPair::from_secret(&secret).ok_or_else(|| {
            AppError::Internal("the station's sealed agreement key is not a key".into())
        })?;
        let json = EXTRACT_SEALED.open(opened.body, &key)?;
        let extract: StationExtract =
            serde_json::from_slice(&json).map_err(|e| bad(e.to_string()))?;
        if extract.format != EXTRACT_FORMAT || extract.station != identity.id {
            return Err(bad("its contents name another format or station".into()));
        }
        Ok((extract, opened.expires_micros))
    }

    /// On a station: who it is, or why this database is no station.
    pub(crate) async fn enrolled_station(&self) -> Result<StationIdentity, AppError> {
        self.station_home()
            .station_identity()
            .await?
            .ok_or_else(|| {
                AppError::InvalidState(
                    "this database is no station: run `cancuoc station enrol` first".into(),
                )
            })
    }

    /// On a station: checks a pulled extract and keeps it, sealed in the station's vault
    /// (the signed envelope as received, so that it is checked again whenever it is read).
    pub async fn keep_station_extract(&self, bytes: &[u8]) -> Result<StationExtract, AppError> {
        let identity = self.enrolled_station().await?;
        let (extract, expires) = self.read_station_extract(&identity, bytes).await?;
        // Vault objects are written once: each extract is a new one, and the one before
        // it is left to garbage collection.
        let object = format!("station/extract-{}.ccse", Uuid::now_v7());
        self.station_vault()?.seal(&object, bytes).await?;
        self.station_home()
            .station_extract_pulled(&object, expires)
            .await?;
        Ok(extract)
    }

    /// On a station: the extract it keeps, checked again as when it was pulled.
    pub async fn station_extract_kept(&self) -> Result<StationExtract, AppError> {
        let identity = self.enrolled_station().await?;
        let bytes = self.kept_extract_bytes(&identity).await?;
        Ok(self.read_station_extract(&identity, &bytes).await?.0)
    }

    /// On a station: the extract it keeps, checked again, even if it has expired (the
    /// working copy loads it for look-up; intake refuses it), with its expiry.
    pub(crate) async fn station_extract_for_work(
        &self,
        identity: &StationIdentity,
    ) -> Result<(StationExtract, i64), AppError> {
        let bytes = self.kept_extract_bytes(identity).await?;
        self.open_extract(identity, &bytes, false).await
    }

    async fn kept_extract_bytes(&self, identity: &StationIdentity) -> Result<Vec<u8>, AppError> {
        let object = identity.extract_object.clone().ok_or_else(|| {
            AppError::InvalidState(
                "this station has no extract yet: run `cancuoc station pull`".into(),
            )
        })?;
        Ok(self.station_vault()?.open(&object).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::ExtractCard;

    #[test]
    fn a_card_that_never_expires_reads_back_as_a_card() {
        for card in [
            Some(ExtractCard { expiry: None }),
            Some(ExtractCard {
                expiry: Some(jiff::civil::date(2031, 5, 2)),
            }),
            None,
        ] {
            let json = serde_json::to_string(&card).unwrap();
            assert_eq!(
                serde_json::from_str::<Option<ExtractCard>>(&json).unwrap(),
                card,
                "{json}"
            );
        }
    }
}
