//! What the register keeps of the mobile stations (issue 19): each station's public keys,
//! its state (asked, approved, revoked) with who decided and when, the communes it may
//! serve and the officers who may use it; and the server's own keys for stations.

use uuid::Uuid;

/// Where a station's enrolment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationStatus {
    /// Asked for, not yet approved: the station can neither pull nor push.
    Pending,
    Approved,
    /// Its packets made after the revocation are refused; it can no longer pull.
    Revoked,
}

impl StationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StationStatus::Pending => "pending",
            StationStatus::Approved => "approved",
            StationStatus::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(StationStatus::Pending),
            "approved" => Some(StationStatus::Approved),
            "revoked" => Some(StationStatus::Revoked),
            _ => None,
        }
    }
}

/// A station as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationRecord {
    pub id: Uuid,
    pub name: String,
    /// The district police unit it belongs to (CAH-…).
    pub unit: String,
    /// Ed25519 public key (32 bytes): verifies the station's packets.
    pub signing_key: Vec<u8>,
    /// P-256 SubjectPublicKeyInfo (DER): the station's extracts are sealed to it.
    pub agreement_key: Vec<u8>,
    pub status: StationStatus,
    /// Commune codes it may serve, set at approval.
    pub communes: Vec<String>,
    /// Usernames of the officers who may sign in on it, set at approval.
    pub officers: Vec<String>,
    pub requested_micros: i64,
    pub approved_by: Option<String>,
    pub approved_micros: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoked_micros: Option<i64>,
    /// Its block of the unit's daily receipt serials
    /// ([`cancuoc_domain::receipt::station_serials`]), set at its first approval.
    pub receipt_block: Option<u32>,
}

impl StationRecord {
    /// Whether a packet made at `made_micros` comes from an approved, not yet revoked
    /// station.
    pub fn trusted_at(&self, made_micros: i64) -> bool {
        self.approved_micros.is_some_and(|a| a <= made_micros)
            && self.revoked_micros.is_none_or(|r| made_micros < r)
    }
}

/// What the server's key for stations is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationKeyPurpose {
    /// Ed25519: signs the extracts.
    Extract,
    /// P-256: the packets are sealed to it.
    Packet,
}

impl StationKeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            StationKeyPurpose::Extract => "extract",
            StationKeyPurpose::Packet => "packet",
        }
    }
}

/// One of the server's keys for stations: the public half, and the vault object that
/// holds the private half sealed under the vault's master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationServerKey {
    pub purpose: StationKeyPurpose,
    pub public_key: Vec<u8>,
    pub key_object: String,
    pub created_micros: i64,
}

/// On a station's own database: who the station is and whom it trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationIdentity {
    /// The id the server gave the station.
    pub id: Uuid,
    pub server_url: String,
    pub unit: String,
    pub name: String,
    /// The vault objects of the station's private keys: Ed25519 (signs its packets) and
    /// P-256 (opens its extracts).
    pub signing_object: String,
    pub agreement_object: String,
    /// The server's Ed25519 key that signs extracts.
    pub server_extract_key: Vec<u8>,
    /// The server's P-256 SubjectPublicKeyInfo that packets are sealed to.
    pub server_packet_key: Vec<u8>,
    pub enrolled_micros: i64,
    /// The vault object of the extract last pulled, and when it expires; none before
    /// the first pull.
    pub extract_object: Option<String>,
    pub extract_expires_micros: Option<i64>,
    /// When a push last reached the server and every waiting packet was answered; none
    /// before the first.
    pub last_push_micros: Option<i64>,
}

/// The server's answer to a pushed packet, kept so that a packet sent again is answered
/// the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketAnswer {
    pub packet: Uuid,
    pub station: Uuid,
    pub made_micros: i64,
    pub received_micros: i64,
    pub outcome: PacketOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacketOutcome {
    Filed { application: Uuid, receipt: String },
    Refused { code: String, message: String },
}

/// Where a packet in a station's outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Filed at the station, not yet answered by the server.
    Waiting,
    /// The server filed it.
    Filed,
    /// The server refused it: shown at the station until an officer resolves it.
    Refused,
    /// Refused, and an officer at the station has dealt with it.
    Resolved,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Waiting => "waiting",
            OutboxState::Filed => "filed",
            OutboxState::Refused => "refused",
            OutboxState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "waiting" => OutboxState::Waiting,
            "filed" => OutboxState::Filed,
            "refused" => OutboxState::Refused,
            "resolved" => OutboxState::Resolved,
            _ => return None,
        })
    }
}

/// A packet filed at a station, on the station's own database. Its bytes are in the
/// station's vault: as sent (sealed to the server, signed) and the station's own copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxPacket {
    pub packet: Uuid,
    pub made_micros: i64,
    /// The officer who filed it.
    pub officer: String,
    /// The citizen, so that a refused packet can be shown and dealt with.
    pub personal_id: String,
    pub sealed_object: String,
    pub plain_object: String,
    pub size_bytes: u64,
    pub state: OutboxState,
    pub answered_micros: Option<i64>,
    /// The receipt number the station gave the citizen from its block, which the server
    /// keeps when it files the packet (its answer's number, were it ever another).
    pub receipt: Option<String>,
    /// Refused: the server's reason.
    pub code: Option<String>,
    pub message: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_micros: Option<i64>,
}
