//! `/api/v1/stations`: a mobile station asks to be enrolled (no sign-in: nothing is
//! trusted until an officer approves it); officers of its district and above list,
//! approve and revoke stations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::station::{
    StationApprovalDto, StationDto, StationEnrolledDto, StationList, StationRequestDto,
};
use crate::error::{ApiError, ErrorBody};
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
