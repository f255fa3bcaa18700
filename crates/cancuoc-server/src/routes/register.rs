//! `/api/v1/citizens`, `/api/v1/households`, `/api/v1/personal-ids`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::{
    AllocateIdRequest, AllocatedId, CitizenDto, CitizenPage, CitizenSearchQuery, HistoryEntryDto,
    HistoryList, HouseholdDto,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Searches the register within the caller's jurisdiction, by name (diacritics and
/// case ignored, whole words from the start) or old ID number; with neither, lists the
/// residents of `unit` (else of the whole jurisdiction) in the order of their names.
#[utoipa::path(
    get,
    path = "/api/v1/citizens",
    tag = "register",
    params(CitizenSearchQuery),
    responses(
        (status = 200, description = "OK", body = CitizenPage),
        (status = 400, description = "A malformed criterion (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
    )
)]
pub(crate) async fn search_citizens(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(query): ApiQuery<CitizenSearchQuery>,
) -> Result<Json<CitizenPage>, ApiError> {
    let page = state
        .app
        .search_citizens(&who.caller(), &query.into())
        .await?;
    Ok(Json(page.into()))
}

/// One citizen; a record outside the caller's jurisdiction is not found.
#[utoipa::path(
    get,
    path = "/api/v1/citizens/{personal_id}",
    tag = "register",
    params(("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$", example = "042090001234")),
    responses(
        (status = 200, description = "OK", body = CitizenDto),
        (status = 400, description = "Not a personal ID number (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "No such citizen in the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn citizen(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(personal_id): ApiPath<String>,
) -> Result<Json<CitizenDto>, ApiError> {
    let record = state.app.citizen(&who.caller(), &personal_id).await?;
    Ok(Json(record.into()))
}

/// Every version of a citizen's record.
#[utoipa::path(
    get,
    path = "/api/v1/citizens/{personal_id}/history",
    tag = "register",
    params(("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$")),
    responses(
        (status = 200, description = "OK", body = HistoryList),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_query`, `invalid_path`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn citizen_history(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(personal_id): ApiPath<String>,
) -> Result<Json<HistoryList>, ApiError> {
    let history = state
        .app
        .citizen_history(&who.caller(), &personal_id)
        .await?;
    Ok(Json(HistoryList {
        items: history.into_iter().map(HistoryEntryDto::from).collect(),
    }))
}

/// A household and its members.
#[utoipa::path(
    get,
    path = "/api/v1/households/{number}",
    tag = "register",
    params(("number" = String, Path, description = "Household number (số hộ)")),
    responses(
        (status = 200, description = "OK", body = HouseholdDto),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn household(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<HouseholdDto>, ApiError> {
    let household = state.app.household(&who.caller(), &number).await?;
    Ok(Json(household.into()))
}

/// Allocates a new personal ID number for a birth registered in a province.
#[utoipa::path(
    post,
    path = "/api/v1/personal-ids",
    tag = "register",
    request_body = AllocateIdRequest,
    responses(
        (status = 201, description = "Allocated", body = AllocatedId),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_query`, `invalid_path`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 422, description = "Malformed body (`invalid_body`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json` (`unsupported_media_type`)", body = ErrorBody),
    )
)]
pub(crate) async fn allocate_personal_id(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(body): ApiJson<AllocateIdRequest>,
) -> Result<(StatusCode, Json<AllocatedId>), ApiError> {
    let id = state
        .app
        .allocate_personal_id(
            &who.caller(),
            &body.province,
            body.sex.into(),
            body.birth_year,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AllocatedId {
            personal_id: id.as_string(),
        }),
    ))
}
