//! Mobile stations, the server's side (issue 19): a station asks to be enrolled with its
//! public keys, an officer of its district or above approves it with the communes it may
//! serve and the officers who may use it, or revokes it. The server's own keys for stations
//! (one signs extracts, one receives packets) are made on first need and sealed in the vault.

use std::collections::HashSet;

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
    pub async fn station_server_keys(&self) -> Result<StationServerKeys, AppError> {
        let vault = self.vault.as_ref().ok_or_else(|| {
            AppError::InvalidState(
                "the server's keys for stations are sealed in the vault, and no vault is configured"
                    .into(),
            )
        })?;
        let access = Caller::Operator {
            name: "stations".into(),
        }
        .access(&*self.clock, "station server keys");
        let mut extract = self
            .store
            .station_server_key(StationKeyPurpose::Extract)
            .await?;
        if extract.is_none() {
            let key = SignerKey::from_bytes(
                self.random
                    .bytes(32)?
                    .try_into()
                    .map_err(|_| AppError::Internal("32 random bytes".into()))?,
            );
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
        let secret = zeroize::Zeroizing::new(vault.open(&extract.key_object).await?);
        let extract = <[u8; 32]>::try_from(secret.as_slice())
            .map(SignerKey::from_bytes)
            .map_err(|_| AppError::Internal("the sealed extract key is not a key".into()))?;
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
        Ok(self.store.station_identity().await?)
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
        let vault = self.vault.as_ref().ok_or_else(|| {
            AppError::InvalidState(
                "a station's keys are sealed in its vault, and no vault is configured".into(),
            )
        })?;
        let signing = SignerKey::from_bytes(
            self.random
                .bytes(32)?
                .try_into()
                .map_err(|_| AppError::Internal("32 random bytes".into()))?,
        );
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
