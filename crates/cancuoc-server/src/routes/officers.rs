//! `/api/v1/officers`: officer administration (administrators only; the use cases check).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cancuoc_app::AppError;
use cancuoc_domain::PoliceUnitCode;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::{NewOfficerRequest, NewOfficerResponse, OfficerDto, OfficerList};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// Every officer.
#[utoipa::path(
    get,
    path = "/api/v1/officers",
    tag = "officers",
    responses(
        (status = 200, description = "OK", body = OfficerList),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    )
)]
pub(crate) async fn list_officers(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<OfficerList>, ApiError> {
    let officers = state.app.officers(&who.caller()).await?;
    Ok(Json(OfficerList {
        items: officers.into_iter().map(OfficerDto::from).collect(),
    }))
}

/// Creates an officer with a one-time password, to be changed at first sign-in.
#[utoipa::path(
    post,
    path = "/api/v1/officers",
    tag = "officers",
    request_body = NewOfficerRequest,
    responses(
        (status = 201, description = "Created", body = NewOfficerResponse),
        (status = 400, description = "Bad username, unit, or a role that does not fit the unit", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such police unit (`not_found`)", body = ErrorBody),
        (status = 409, description = "Username taken (`conflict`)", body = ErrorBody),
        (status = 422, description = "Malformed body (`invalid_body`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json` (`unsupported_media_type`)", body = ErrorBody),
    )
)]
pub(crate) async fn add_officer(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(body): ApiJson<NewOfficerRequest>,
) -> Result<(StatusCode, Json<NewOfficerResponse>), ApiError> {
    let unit = PoliceUnitCode::parse(&body.unit).map_err(|e| AppError::Invalid(e.to_string()))?;
    let password = state
        .app
        .add_officer(
            &who.caller(),
            &body.username,
            &body.full_name,
            &unit,
            body.role.into(),
            None,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewOfficerResponse {
            username: body.username,
            one_time_password: password,
        }),
    ))
}

/// Disables an officer: their sessions stop working at once.
#[utoipa::path(
    post,
    path = "/api/v1/officers/{username}/disable",
    tag = "officers",
    params(("username" = String, Path)),
    responses(
        (status = 204, description = "Disabled"),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "The caller's own account, or the last active administrator (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn disable_officer(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .set_officer_active(&who.caller(), &username, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled officer again.
#[utoipa::path(
    post,
    path = "/api/v1/officers/{username}/enable",
    tag = "officers",
    params(("username" = String, Path)),
    responses(
        (status = 204, description = "Enabled"),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn enable_officer(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .set_officer_active(&who.caller(), &username, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
