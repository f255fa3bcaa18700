//! `/api/v1/applications` and `/api/v1/cards`: intake, the state machine, lists, cards.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cancuoc_app::StepRequest;
use cancuoc_domain::PoliceUnitCode;
use cancuoc_store::ApplicationQuery;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::applications::{
    ApplicationDto, ApplicationListQuery, ApplicationPage, ApplicationRequest, BatchDto,
    BatchOutcomeDto, BatchRequest, BiometricsDto, BulkTransitionItem, BulkTransitionRequest,
    BulkTransitionResult, CardDto, TransitionRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Most applications one bulk step may name.
const MAX_BULK: usize = 1_000;
/// Longest idempotency key kept, in bytes.
const MAX_IDEMPOTENCY_KEY: usize = 200;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        cancuoc_app::ErrorCode::InvalidInput.as_str(),
        message,
    )
}

fn application_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| invalid(format!("{id:?} is not an application id (UUID)")))
}

/// Files an application at the caller's unit (Circular 60/2021/TT-BCA Art. 5): the type
/// is checked against the citizen, the fee and the due date computed, a receipt number
/// given. With the same `Idempotency-Key` a retry returns the first filing (200).
#[utoipa::path(
    post,
    path = "/api/v1/applications",
    tag = "applications",
    request_body = ApplicationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry harmless")),
    responses(
        (status = 201, description = "Filed", body = ApplicationDto),
        (status = 200, description = "A retry: the application filed before under this key", body = ApplicationDto),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_json`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "No such citizen in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "The citizen has an open application, or the key was used for another one (`conflict`)", body = ErrorBody),
        (status = 422, description = "The type does not fit the citizen (`type_not_allowed`)", body = ErrorBody),
    )
)]
pub(crate) async fn file_application(
    State(state): State<AppState>,
    who: Authenticated,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ApplicationRequest>,
) -> Result<Response, ApiError> {
    let header_key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| invalid("Idempotency-Key: not visible ASCII"))?
                .to_owned(),
        ),
        None => None,
    };
    let intake = request.into_intake(header_key).map_err(invalid)?;
    if intake
        .idempotency_key
        .as_ref()
        .is_some_and(|k| k.len() > MAX_IDEMPOTENCY_KEY)
    {
        return Err(invalid(format!(
            "an idempotency key has at most {MAX_IDEMPOTENCY_KEY} characters"
        )));
    }
    let filed = state.app.file_application(&who.caller(), &intake).await?;
    let status = if filed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(ApplicationDto::from(filed.application))).into_response();
    if filed.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Applications in the caller's jurisdiction, by due date.
#[utoipa::path(
    get,
    path = "/api/v1/applications",
    tag = "applications",
    params(ApplicationListQuery),
    responses(
        (status = 200, description = "OK", body = ApplicationPage),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_query`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_applications(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(query): ApiQuery<ApplicationListQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let app_state = query.state().map_err(invalid)?;
    let unit = query
        .unit
        .as_deref()
        .map(|u| PoliceUnitCode::parse(u).map_err(|e| invalid(e.to_string())))
        .transpose()?;
    let limit = query.limit.unwrap_or(50);
    let page = if query.overdue == Some(true) {
        state
            .app
            .overdue(&who.caller(), unit, query.cursor, limit)
            .await?
    } else {
        let q = ApplicationQuery {
            intake_unit: unit,
            personal_id: None,
            receipt: None,
            state: app_state,
            cursor: query.cursor,
            limit,
            ..ApplicationQuery::default()
        };
        state.app.applications(&who.caller(), &q).await?
    };
    Ok(Json(page.into()))
}

/// One application with its history.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "Application id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = ApplicationDto),
        (status = 400, description = "Not an id (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such application in the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn application(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApplicationDto>, ApiError> {
    let record = state
        .app
        .application(&who.caller(), application_id(&id)?)
        .await?;
    Ok(Json(record.into()))
}

/// Takes one step of the state machine (DESIGN §4). The role decides which steps an
/// officer may take; `version` makes a step fail if someone else moved first.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/transitions",
    tag = "applications",
    params(("id" = String, Path, description = "Application id (UUID)", format = "uuid")),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The application after the step", body = ApplicationDto),
        (status = 400, description = "Invalid input, or a reason is missing (`invalid_input`, `reason_required`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The role may not take this step (`role_not_allowed`, `forbidden`)", body = ErrorBody),
        (status = 404, description = "No such application in the caller's jurisdiction", body = ErrorBody),
        (status = 409, description = "Not a step from this state, or someone moved first (`illegal_transition`, `conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn transition(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<TransitionRequest>,
) -> Result<Json<ApplicationDto>, ApiError> {
    let key = application_id(&id)?;
    let record = state
        .app
        .transition(&who.caller(), key, &request.into())
        .await?;
    Ok(Json(record.into()))
}

/// The same step on a list of applications, each on its own: one refusal does not stop
/// the others.
#[utoipa::path(
    post,
    path = "/api/v1/applications/transitions",
    tag = "applications",
    request_body = BulkTransitionRequest,
    responses(
        (status = 200, description = "One outcome per application", body = BulkTransitionResult),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn bulk_transition(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(request): ApiJson<BulkTransitionRequest>,
) -> Result<Json<BulkTransitionResult>, ApiError> {
    if request.ids.is_empty() || request.ids.len() > MAX_BULK {
        return Err(invalid(format!(
            "ids: give 1 to {MAX_BULK} application ids"
        )));
    }
    let keys = request
        .ids
        .iter()
        .map(|id| application_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    let step = StepRequest {
        action: request.action,
        reason: request.reason,
        expected_version: None,
        old_card_returned: None,
    };
    let outcomes = state.app.transition_many(&who.caller(), &keys, &step).await;
    let items: Vec<BulkTransitionItem> = outcomes
        .into_iter()
        .map(|(key, outcome)| match outcome {
            Ok(record) => BulkTransitionItem {
                id: key.to_string(),
                state: Some(record.state.as_str().to_owned()),
                error: None,
            },
            Err(e) => {
                let e = ApiError::from(e);
                BulkTransitionItem {
                    id: key.to_string(),
                    state: None,
                    error: Some(ErrorBody {
                        code: e.code.to_owned(),
                        message: e.message,
                        details: None,
                    }),
                }
            }
        })
        .collect();
    let refused = items.iter().filter(|i| i.error.is_some()).count();
    Ok(Json(BulkTransitionResult {
        done: items.len() - refused,
        refused,
        items,
    }))
}

/// A citizen's current card: the active one, else the latest made.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{personal_id}",
    tag = "applications",
    params(("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$")),
    responses(
        (status = 200, description = "OK", body = CardDto),
        (status = 400, description = "Not a personal ID number (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No card, or outside the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn card(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(personal_id): ApiPath<String>,
) -> Result<Json<CardDto>, ApiError> {
    let card = state.app.card(&who.caller(), &personal_id).await?;
    Ok(Json(card.into()))
}

/// Records that a citizen's active card is lost; a `reissue` with reason `lost` follows.
#[utoipa::path(
    post,
    path = "/api/v1/cards/{personal_id}/lost",
    tag = "applications",
    params(("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$")),
    responses(
        (status = 200, description = "The card, now lost", body = CardDto),
        (status = 400, description = "Not a personal ID number (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No active card in the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn report_lost(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(personal_id): ApiPath<String>,
) -> Result<Json<CardDto>, ApiError> {
    let card = state
        .app
        .report_card_lost(&who.caller(), &personal_id)
        .await?;
    Ok(Json(card.into()))
}

/// Size of a card image.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CardImageQuery {
    /// Pixels across (200–4000); without it the image has the card's real size in mm.
    #[param(minimum = 200, maximum = 4000)]
    pub width: Option<u32>,
}

/// The card's front or back as SVG, with the QR code and the MRZ, for an officer to print
/// and check before the card is handed over.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{personal_id}/image/{side}",
    tag = "applications",
    params(
        ("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$"),
        ("side" = String, Path, description = "front or back", pattern = "^(front|back)$"),
        CardImageQuery,
    ),
    responses(
        (status = 200, description = "The card face", content_type = "image/svg+xml", body = String),
        (status = 400, description = "Not a personal ID number, side or width (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No card, or outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "The document was not ready within the time limit (`render_timeout`), or the register cannot be reached for a moment (`unavailable`, with `Retry-After`): try again", body = ErrorBody),
    )
)]
pub(crate) async fn card_image(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath((personal_id, side)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<CardImageQuery>,
) -> Result<Response, ApiError> {
    let side = match side.as_str() {
        "front" => cancuoc_app::CardSide::Front,
        "back" => cancuoc_app::CardSide::Back,
        other => {
            return Err(invalid(format!(
                "side: {other:?} is neither front nor back"
            )));
        }
    };
    let size = match query.width {
        None => cancuoc_documents::Size::Card,
        Some(w) if (200..=4000).contains(&w) => cancuoc_documents::Size::Pixels(w),
        Some(w) => return Err(invalid(format!("width: {w} is outside 200–4000"))),
    };
    let svg = state
        .app
        .card_proof(&who.caller(), &personal_id, side, size)
        .await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "image/svg+xml; charset=utf-8",
        )],
        svg,
    )
        .into_response())
}

fn batch_outcome(outcome: cancuoc_app::BatchOutcome) -> BatchOutcomeDto {
    BatchOutcomeDto {
        id: outcome.batch.id.to_string(),
        province: outcome.batch.province.as_str().to_owned(),
        day: outcome.batch.day.to_string(),
        done: outcome.done.len(),
        refused: outcome
            .refused
            .into_iter()
            .map(|(key, e)| {
                let e = ApiError::from(e);
                BulkTransitionItem {
                    id: key.to_string(),
                    state: None,
                    error: Some(ErrorBody {
                        code: e.code.to_owned(),
                        message: e.message,
                        details: None,
                    }),
                }
            })
            .collect(),
    }
}

/// Opens today's batch of a province, or reuses it, and puts the province's approved
/// applications into production in it (production centre only).
#[utoipa::path(
    post,
    path = "/api/v1/batches",
    tag = "applications",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "The batch and what was put into production", body = BatchOutcomeDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not the production centre (`forbidden`)", body = ErrorBody),
    )
)]
pub(crate) async fn start_batch(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(request): ApiJson<BatchRequest>,
) -> Result<Json<BatchOutcomeDto>, ApiError> {
    let limit = request.limit.unwrap_or(5_000);
    if !(1..=20_000).contains(&limit) {
        return Err(invalid("limit: give 1 to 20,000"));
    }
    let outcome = state
        .app
        .start_batch(&who.caller(), &request.province, limit)
        .await?;
    Ok(Json(batch_outcome(outcome)))
}

/// A batch with the number of its applications in each state.
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "Batch id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = BatchDto),
        (status = 400, description = "Not an id (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such batch (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn batch(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BatchDto>, ApiError> {
    let status = state.app.batch(&who.caller(), application_id(&id)?).await?;
    Ok(Json(BatchDto {
        id: status.batch.id.to_string(),
        province: status.batch.province.as_str().to_owned(),
        day: status.batch.day.to_string(),
        created_by: status.batch.created_by,
        states: status
            .states
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), n))
            .collect(),
    }))
}

/// Produces (card number, dates, MRZ, QR) or dispatches every application of a batch
/// that waits for that step.
#[utoipa::path(
    post,
    path = "/api/v1/batches/{id}/{step}",
    tag = "applications",
    params(
        ("id" = String, Path, description = "Batch id (UUID)", format = "uuid"),
        ("step" = String, Path, description = "produce or dispatch", pattern = "^(produce|dispatch)$"),
    ),
    responses(
        (status = 200, description = "What was done and refused", body = BatchOutcomeDto),
        (status = 400, description = "Not an id or a step (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not the production centre (`forbidden`, `role_not_allowed`)", body = ErrorBody),
        (status = 404, description = "No such batch (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn advance_batch(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath((id, step)): ApiPath<(String, String)>,
) -> Result<Json<BatchOutcomeDto>, ApiError> {
    let action = match step.as_str() {
        "produce" => cancuoc_domain::application::Action::Produce,
        "dispatch" => cancuoc_domain::application::Action::Dispatch,
        other => {
            return Err(invalid(format!(
                "step: {other:?} is neither produce nor dispatch"
            )));
        }
    };
    let outcome = state
        .app
        .advance_batch(&who.caller(), application_id(&id)?, action)
        .await?;
    Ok(Json(batch_outcome(outcome)))
}

/// One image of an application's biometrics, decrypted, for the officers who verify,
/// approve and produce; every read is audited.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{id}/biometrics/{image}",
    tag = "applications",
    params(
        ("id" = String, Path, description = "Application id (UUID)", format = "uuid"),
        ("image" = String, Path, description = "portrait, r_thumb … l_little, flat_right_four, flat_left_four or flat_thumbs",
            pattern = "^(portrait|[rl]_(thumb|index|middle|ring|little)|flat_(right_four|left_four|thumbs))$"),
    ),
    responses(
        (status = 200, description = "The image (JPEG, PNG or WSQ)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not an id or an image name (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "The role does not see biometrics (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such application or image in the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn biometric_image(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath((id, image)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let (media_type, bytes) = state
        .app
        .biometric_image(&who.caller(), application_id(&id)?, &image)
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, media_type)], bytes).into_response())
}

/// The intake form (phiếu thu nhận) or the appointment slip (giấy hẹn trả thẻ) of an
/// application, as PDF in Vietnamese with the font embedded.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{id}/documents/{document}",
    tag = "applications",
    params(
        ("id" = String, Path, description = "Application id (UUID)", format = "uuid"),
        ("document" = String, Path, description = "intake-form or appointment-slip", pattern = "^(intake-form|appointment-slip)$"),
    ),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "Not an id or a document name (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such application in the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "The document was not ready within the time limit (`render_timeout`), or the register cannot be reached for a moment (`unavailable`, with `Retry-After`): try again", body = ErrorBody),
    )
)]
pub(crate) async fn intake_document(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath((id, document)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let which = match document.as_str() {
        "intake-form" => cancuoc_app::IntakeDocument::IntakeForm,
        "appointment-slip" => cancuoc_app::IntakeDocument::AppointmentSlip,
        other => {
            return Err(invalid(format!(
                "document: {other:?} is neither intake-form nor appointment-slip"
            )));
        }
    };
    let pdf = state
        .app
        .intake_document(&who.caller(), application_id(&id)?, which)
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/pdf")], pdf).into_response())
}

/// Adds the portrait and fingerprints to an application filed without them (an offline
/// station's import); verification needs them.
#[utoipa::path(
    put,
    path = "/api/v1/applications/{id}/biometrics",
    tag = "applications",
    params(("id" = String, Path, description = "Application id (UUID)", format = "uuid")),
    request_body = BiometricsDto,
    responses(
        (status = 200, description = "The application with its biometrics", body = ApplicationDto),
        (status = 400, description = "An image or a reason is refused (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such application in the caller's jurisdiction", body = ErrorBody),
        (status = 409, description = "Not received nor sent back for correction (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn add_biometrics(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<BiometricsDto>,
) -> Result<Json<ApplicationDto>, ApiError> {
    let key = application_id(&id)?;
    let capture = body.into_capture().map_err(invalid)?;
    let record = state
        .app
        .add_biometrics(&who.caller(), key, &capture)
        .await?;
    Ok(Json(record.into()))
}
