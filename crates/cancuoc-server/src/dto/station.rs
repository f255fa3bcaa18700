//! The JSON of mobile stations: the enrolment request a station sends, its answer, and a
//! station as officers see it. Keys travel as base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_app::StationEnrolled;
use cancuoc_domain::station::fingerprint;
use cancuoc_store::StationRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::rfc3339;
use crate::error::ApiError;

/// What a station sends to be enrolled: its name, its district police unit, and its two
/// public keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationRequestDto {
    #[schema(example = "Tổ lưu động số 1")]
    pub name: String,
    #[schema(example = "CAH-436")]
    pub unit: String,
    /// Ed25519 public key (32 bytes), base64: verifies the station's packets.
    pub signing_key: String,
    /// P-256 SubjectPublicKeyInfo (DER), base64: the station's extracts are sealed to it.
    pub agreement_key: String,
}

impl StationRequestDto {
    pub(crate) fn request(&self) -> Result<cancuoc_app::StationRequest, ApiError> {
        let decode = |text: &str, field: &str| {
            B64.decode(text.trim())
                .map_err(|_| ApiError::invalid(format!("{field}: not base64")))
        };
        Ok(cancuoc_app::StationRequest {
            name: self.name.clone(),
            unit: self.unit.clone(),
            signing_key: decode(&self.signing_key, "signing_key")?,
            agreement_key: decode(&self.agreement_key, "agreement_key")?,
        })
    }
}

/// The answer to an enrolment request: the station's id and key fingerprint, and the
/// server's keys the station keeps to trust it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StationEnrolledDto {
    pub station: StationDto,
    /// Ed25519 public key, base64: verifies the extracts the server signs.
    pub server_extract_key: String,
    /// P-256 SubjectPublicKeyInfo (DER), base64: the station seals its packets to it.
    pub server_packet_key: String,
}

impl From<StationEnrolled> for StationEnrolledDto {
    fn from(e: StationEnrolled) -> Self {
        Self {
            station: e.station.into(),
            server_extract_key: B64.encode(e.server_extract_key),
            server_packet_key: B64.encode(&e.server_packet_key),
        }
    }
}

/// A station as the server knows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StationDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    pub unit: String,
    /// `pending`, `approved` or `revoked`.
    pub status: String,
    /// The signing key's fingerprint, as the station's screen shows it.
    #[schema(example = "3F2A-91C0-77B1-0D4E-A2C9")]
    pub fingerprint: String,
    /// Commune codes it may serve.
    pub communes: Vec<String>,
    /// Usernames of the officers who may sign in on it.
    pub officers: Vec<String>,
    pub requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl From<StationRecord> for StationDto {
    fn from(s: StationRecord) -> Self {
        Self {
            id: s.id.to_string(),
            fingerprint: fingerprint(&s.signing_key),
            name: s.name,
            unit: s.unit,
            status: s.status.as_str().to_owned(),
            communes: s.communes,
            officers: s.officers,
            requested_at: rfc3339(s.requested_micros),
            approved_by: s.approved_by,
            approved_at: s.approved_micros.map(rfc3339),
            revoked_by: s.revoked_by,
            revoked_at: s.revoked_micros.map(rfc3339),
        }
    }
}

/// Every station in the caller's jurisdiction.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StationList {
    pub items: Vec<StationDto>,
}

/// What an approval grants: the communes the station serves and the officers who may use
/// it (replacing what an earlier approval granted).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationApprovalDto {
    #[schema(example = json!(["18073", "18076"]))]
    pub communes: Vec<String>,
    #[schema(example = json!(["lan.nt"]))]
    pub officers: Vec<String>,
}
