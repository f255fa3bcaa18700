//! `/api/v1/stations`: a mobile station asks to be enrolled (no sign-in: nothing is
//! trusted until an officer approves it); officers of its district and above list,
//! approve and revoke stations.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_app::{AppError, StationSignedRequest};

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::station::{
    StationApprovalDto, StationDto, StationEnrolledDto, StationList, StationRequestDto,
};
use crate::error::{ApiError, ErrorBody, codes};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::schedule::uuid;

/// A station asks to be enrolled; it stays `pending` until an officer approves it.
#[utoipa::path(
    post,
    path = "/api/v1/stations",
    tag = "stations",
    security(()),
    request_body = StationRequestDto,
    responses(
        (status = 201, description = "Asked: the station's id and fingerprint, and the server's keys", body = StationEnrolledDto),
        (status = 400, description = "A bad name, unit or key (`invalid_input`)", body = ErrorBody),
        (status = 409, description = "The key has asked already, or the district has too many requests waiting (`conflict`)", body = ErrorBody),
        (status = 422, description = "Malformed body (`invalid_body`)", body = ErrorBody),
    )
)]
pub(crate) async fn request_station(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<StationRequestDto>,
) -> Result<(StatusCode, Json<StationEnrolledDto>), ApiError> {
    let enrolled = state.app.request_station(&body.request()?).await?;
    Ok((StatusCode::CREATED, Json(enrolled.into())))
}

/// The stations in the caller's jurisdiction, newest request first.
#[utoipa::path(
    get,
    path = "/api/v1/stations",
    tag = "stations",
    responses(
        (status = 200, description = "OK", body = StationList),
    )
)]
pub(crate) async fn list_stations(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<StationList>, ApiError> {
    let stations = state.app.stations(&who.caller()).await?;
    Ok(Json(StationList {
        items: stations.into_iter().map(StationDto::from).collect(),
    }))
}

/// Approves a station with the communes it serves and the officers who may use it, or
/// changes them.
#[utoipa::path(
    post,
    path = "/api/v1/stations/{id}/approve",
    tag = "stations",
    params(("id" = String, Path, description = "Station id (UUID)", format = "uuid")),
    request_body = StationApprovalDto,
    responses(
        (status = 200, description = "Approved", body = StationDto),
        (status = 400, description = "A commune outside the station's district, or an officer who may not use it (`invalid_input`)", body = ErrorBody),
        (status = 404, description = "No such station in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "The station was revoked (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn approve_station(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<StationApprovalDto>,
) -> Result<Json<StationDto>, ApiError> {
    let station = state
        .app
        .approve_station(
            &who.caller(),
            uuid(&id, "station")?,
            &body.communes,
            &body.officers,
        )
        .await?;
    Ok(Json(station.into()))
}

/// Revokes a station: its packets made from now on are refused.
#[utoipa::path(
    post,
    path = "/api/v1/stations/{id}/revoke",
    tag = "stations",
    params(("id" = String, Path, description = "Station id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "Revoked", body = StationDto),
        (status = 404, description = "No such station in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "Revoked already (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_station(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StationDto>, ApiError> {
    let station = state
        .app
        .revoke_station(&who.caller(), uuid(&id, "station")?)
        .await?;
    Ok(Json(station.into()))
}

/// The largest chunk of a packet one request carries.
pub(crate) const CHUNK_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// The header with the time a station signed its request at, microseconds since 1970.
pub(crate) const STATION_TIME_HEADER: &str = "x-cancuoc-station-time";
/// The header with the station's Ed25519 signature of the request, base64 (see
/// `cancuoc_domain::station::request_message`).
pub(crate) const STATION_SIGNATURE_HEADER: &str = "x-cancuoc-station-signature";

/// The approved station that signed this request, or the answer that refuses it.
async fn signed_by_station(
    state: &AppState,
    station: &str,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    pushes: bool,
) -> Result<cancuoc_store::StationRecord, ApiError> {
    let unsigned = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::STATION_UNAUTHENTICATED,
            "the request is not signed by an enrolled station's key",
        )
    };
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let at_micros = header_text(STATION_TIME_HEADER)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(unsigned)?;
    let signature = header_text(STATION_SIGNATURE_HEADER)
        .and_then(|s| B64.decode(s.trim()).ok())
        .ok_or_else(unsigned)?;
    let station = uuid::Uuid::parse_str(station.trim()).map_err(|_| unsigned())?;
    let request = StationSignedRequest {
        station,
        method,
        path,
        at_micros,
        body,
        signature: &signature,
        pushes,
    };
    match state.app.authenticate_station(&request).await {
        Err(AppError::Unauthenticated) => Err(unsigned()),
        other => Ok(other?),
    }
}

/// The station's extract: what it needs of the register to work offline for its
/// communes, sealed to the station's key and signed by the server's, with an expiry.
/// The station signs the request with its own key (headers `X-Cancuoc-Station-Time` and
/// `X-Cancuoc-Station-Signature`).
#[utoipa::path(
    get,
    path = "/api/v1/stations/{id}/extract",
    tag = "stations",
    security(()),
    params(
        ("id" = String, Path, description = "Station id (UUID)", format = "uuid"),
        ("x-cancuoc-station-time" = i64, Header, description = "When the station signed the request, microseconds since 1970"),
        ("x-cancuoc-station-signature" = String, Header, description = "Ed25519 signature of the request by the station's key, base64"),
    ),
    responses(
        (status = 200, description = "The signed extract (`application/octet-stream`)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "Not signed by an enrolled station's key (`station_unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The station is not approved, or revoked, or its clock is off (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn station_extract(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let path = format!("/api/v1/stations/{id}/extract");
    let station = signed_by_station(&state, &id, "GET", &path, &headers, b"", false).await?;
    let extract = state.app.station_extract(&station).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        extract,
    )
        .into_response())
}

/// Where a chunk goes in its packet.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChunkQuery {
    /// The chunk's first byte in the packet.
    offset: u64,
    /// The packet's size in bytes.
    total: u64,
}

/// A packet's state as the station reads it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct PacketStateDto {
    /// `partial` (send on from `received`), `filed` or `refused`: answered for good.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// Why it was refused: `already_applied`, `outside_communes`, `bad_signature`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<cancuoc_app::station_packet::PushState> for PacketStateDto {
    fn from(state: cancuoc_app::station_packet::PushState) -> Self {
        use cancuoc_app::station_packet::PushState;
        use cancuoc_store::PacketOutcome;
        let empty = |state: &str| Self {
            state: state.to_owned(),
            received: None,
            application: None,
            receipt: None,
            code: None,
            message: None,
        };
        match state {
            PushState::Partial { received } => Self {
                received: Some(received),
                ..empty("partial")
            },
            PushState::Answered(answer) => match answer.outcome {
                PacketOutcome::Filed {
                    application,
                    receipt,
                } => Self {
                    application: Some(application.to_string()),
                    receipt: Some(receipt),
                    ..empty("filed")
                },
                PacketOutcome::Refused { code, message } => Self {
                    code: Some(code),
                    message: Some(message),
                    ..empty("refused")
                },
            },
        }
    }
}

/// Takes a chunk of a packet (`application/octet-stream`); once the packet is whole the
/// server files it as its officer at the station, or refuses it with a reason, and keeps
/// the answer: a packet sent again is answered the same. A chunk that does not start
/// where the upload stands is answered 409 with the bytes held. Signed by the station.
#[utoipa::path(
    put,
    path = "/api/v1/stations/{id}/packets/{packet}",
    tag = "stations",
    security(()),
    params(
        ("id" = String, Path, description = "Station id (UUID)", format = "uuid"),
        ("packet" = String, Path, description = "Packet id (UUID)", format = "uuid"),
        ChunkQuery,
        ("x-cancuoc-station-time" = i64, Header, description = "When the station signed the request, microseconds since 1970"),
        ("x-cancuoc-station-signature" = String, Header, description = "Ed25519 signature of the request by the station's key, base64"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "The packet's state: partial, filed or refused", body = PacketStateDto),
        (status = 400, description = "A bad offset, total or id (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed by an enrolled station's key (`station_unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The station is not approved, or revoked, or its clock is off (`forbidden`)", body = ErrorBody),
        (status = 408, description = "The body stopped arriving (`body_timeout`)", body = ErrorBody),
        (status = 409, description = "The chunk does not start where the upload stands (`conflict`)", body = ErrorBody),
        (status = 413, description = "Chunk too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `application/octet-stream` (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "Never: the body is bytes, not JSON"),
    )
)]
pub(crate) async fn push_packet(
    State(state): State<AppState>,
    ApiPath((id, packet)): ApiPath<(String, String)>,
    crate::extract::ApiQuery(chunk): crate::extract::ApiQuery<ChunkQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<PacketStateDto>, ApiError> {
    let path = format!(
        "/api/v1/stations/{id}/packets/{packet}?offset={}&total={}",
        chunk.offset, chunk.total
    );
    let octets = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/octet-stream"));
    if !octets {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "a packet's chunk is sent as application/octet-stream",
        ));
    }
    let station = signed_by_station(&state, &id, "PUT", &path, &headers, &body, true).await?;
    let packet = uuid(&packet, "packet")?;
    let pushed = state
        .app
        .receive_packet_chunk(&station, packet, chunk.offset, chunk.total, &body)
        .await?;
    Ok(Json(pushed.into()))
}

/// Where a packet stands: answered (filed or refused), or the bytes held of it. Signed by
/// the station.
#[utoipa::path(
    get,
    path = "/api/v1/stations/{id}/packets/{packet}",
    tag = "stations",
    security(()),
    params(
        ("id" = String, Path, description = "Station id (UUID)", format = "uuid"),
        ("packet" = String, Path, description = "Packet id (UUID)", format = "uuid"),
        ("x-cancuoc-station-time" = i64, Header, description = "When the station signed the request, microseconds since 1970"),
        ("x-cancuoc-station-signature" = String, Header, description = "Ed25519 signature of the request by the station's key, base64"),
    ),
    responses(
        (status = 200, description = "The packet's state", body = PacketStateDto),
        (status = 401, description = "Not signed by an enrolled station's key (`station_unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The station is not approved, or revoked (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn packet_state(
    State(state): State<AppState>,
    ApiPath((id, packet)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<PacketStateDto>, ApiError> {
    let path = format!("/api/v1/stations/{id}/packets/{packet}");
    let station = signed_by_station(&state, &id, "GET", &path, &headers, b"", true).await?;
    let packet = uuid(&packet, "packet")?;
    Ok(Json(state.app.packet_state(&station, packet).await?.into()))
}

/// One of a station's own audit events, as its chain holds it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationAuditEventDto {
    /// Its place in the station's chain: events at or below the last one taken are skipped.
    pub seq: i64,
    /// When it happened at the station, microseconds since 1970.
    pub at_micros: i64,
    #[schema(max_length = 100)]
    pub actor: String,
    #[schema(max_length = 20)]
    pub unit: String,
    #[schema(max_length = 100)]
    pub action: String,
    #[schema(max_length = 100)]
    pub record_kind: String,
    /// A list shows every key it showed: long.
    #[schema(max_length = 100000)]
    pub record_key: String,
    #[schema(max_length = 500)]
    pub purpose: String,
    /// `done`, `refused` or `not_found`.
    pub outcome: String,
}

/// A batch of a station's audit events, oldest first (at most 1,000).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StationAuditRequest {
    pub events: Vec<StationAuditEventDto>,
}

/// What the server took.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct StationAuditAnswer {
    /// Events appended to the central chain by this request.
    pub appended: u64,
    /// The last of the station's sequence numbers the server holds: send on from there.
    pub held: i64,
}

/// The station's own audit trail (who looked up or filed what, when, at the station)
/// joins the central chain: each event is appended as the station's officer did it and
/// when, its purpose naming the station. Events at or below the last one taken are skipped,
/// so a batch sent again changes nothing. Signed by the station.
#[utoipa::path(
    post,
    path = "/api/v1/stations/{id}/audit",
    tag = "stations",
    security(()),
    params(
        ("id" = String, Path, description = "Station id (UUID)", format = "uuid"),
        ("x-cancuoc-station-time" = i64, Header, description = "When the station signed the request, microseconds since 1970"),
        ("x-cancuoc-station-signature" = String, Header, description = "Ed25519 signature of the request by the station's key, base64"),
    ),
    request_body = StationAuditRequest,
    responses(
        (status = 200, description = "Taken", body = StationAuditAnswer),
        (status = 400, description = "Too many events, or a field out of bounds (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed by an enrolled station's key (`station_unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The station is not approved, or its clock is off (`forbidden`)", body = ErrorBody),
        (status = 408, description = "The body stopped arriving (`body_timeout`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `application/json` (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "Malformed body (`invalid_body`)", body = ErrorBody),
    )
)]
pub(crate) async fn push_audit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<StationAuditAnswer>, ApiError> {
    let path = format!("/api/v1/stations/{id}/audit");
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            "a station's audit events are sent as application/json",
        ));
    }
    let station = signed_by_station(&state, &id, "POST", &path, &headers, &body, true).await?;
    let request: StationAuditRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes::INVALID_BODY,
            format!("the audit events do not read: {e}"),
        )
    })?;
    let bounded = |text: &str, max: usize, what: &str| {
        if text.chars().count() > max {
            Err(AppError::Invalid(format!(
                "{what}: at most {max} characters"
            )))
        } else {
            Ok(text.to_owned())
        }
    };
    let mut events = Vec::with_capacity(request.events.len());
    for e in request.events {
        let outcome = cancuoc_domain::audit::Outcome::parse(&e.outcome).ok_or_else(|| {
            AppError::Invalid(format!("outcome: {:?} is not an outcome", e.outcome))
        })?;
        events.push(cancuoc_domain::audit::AuditEvent {
            seq: e.seq,
            at_micros: e.at_micros,
            draft: cancuoc_domain::audit::AuditDraft {
                actor: bounded(&e.actor, 100, "actor")?,
                unit: bounded(&e.unit, 20, "unit")?,
                action: bounded(&e.action, 100, "action")?,
                record_kind: bounded(&e.record_kind, 100, "record_kind")?,
                record_key: bounded(&e.record_key, 100_000, "record_key")?,
                purpose: bounded(&e.purpose, 500, "purpose")?,
                outcome,
            },
            prev_hash: String::new(),
            hash: String::new(),
        });
    }
    let (appended, held) = state.app.receive_station_audit(&station, &events).await?;
    Ok(Json(StationAuditAnswer { appended, held }))
}
