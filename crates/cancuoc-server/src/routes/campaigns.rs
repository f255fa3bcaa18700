//! `/api/v1/campaigns`: campaigns, quotas and progress reports (DESIGN §5).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cancuoc_domain::campaign::Split;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::campaigns::{
    CampaignDto, CampaignRequest, DailyReportQuery, ProgressReportDto, QuotaDto, QuotaRequest,
    ReportQuery, SplitDto,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        cancuoc_app::ErrorCode::InvalidInput.as_str(),
        message,
    )
}

fn campaign_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| invalid(format!("{id:?} is not a campaign id (UUID)")))
}

/// Creates a campaign with its period.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    request_body = CampaignRequest,
    responses(
        (status = 201, description = "Created", body = CampaignDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 409, description = "A campaign of that name exists (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(request): ApiJson<CampaignRequest>,
) -> Result<Response, ApiError> {
    let campaign = state
        .app
        .create_campaign(&who.caller(), &request.name, &request.start, &request.end)
        .await?;
    Ok((StatusCode::CREATED, Json(CampaignDto::from(campaign))).into_response())
}

/// Every campaign, the latest first.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    tag = "campaigns",
    responses(
        (status = 200, description = "OK", body = Vec<CampaignDto>),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_campaigns(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<CampaignDto>>, ApiError> {
    let all = state.app.campaigns(&who.caller()).await?;
    Ok(Json(all.into_iter().map(CampaignDto::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = CampaignDto),
        (status = 400, description = "Not an id (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 404, description = "No such campaign (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn campaign(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CampaignDto>, ApiError> {
    let c = state.app.campaign(&who.caller(), campaign_id(&id)?).await?;
    Ok(Json(c.into()))
}

/// Sets a unit's targets; with `split`, shares them among the units under it so that
/// they add up exactly. Every quota written is audited and returned, the unit's first.
#[utoipa::path(
    put,
    path = "/api/v1/campaigns/{id}/quotas/{unit}",
    tag = "campaigns",
    params(
        ("id" = String, Path, description = "Campaign id (UUID)", format = "uuid"),
        ("unit" = String, Path, description = "Police unit code, e.g. CAT-42",
            pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$"),
    ),
    request_body = QuotaRequest,
    responses(
        (status = 200, description = "The quotas written", body = Vec<QuotaDto>),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such campaign, or no such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn set_quota(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath((id, unit)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<QuotaRequest>,
) -> Result<Json<Vec<QuotaDto>>, ApiError> {
    let request = cancuoc_app::QuotaRequest {
        unit,
        total: request.total,
        daily: request.daily,
        split: request.split.map(|s| match s {
            SplitDto::Equal => Split::Equal,
            SplitDto::Eligible => Split::Eligible,
        }),
    };
    let written = state
        .app
        .set_quota(&who.caller(), campaign_id(&id)?, &request)
        .await?;
    Ok(Json(written.into_iter().map(QuotaDto::from).collect()))
}

/// A unit and its child units on a date: intake on the day and over the period, progress
/// against the targets, rank, eligible population, pace and forecast. Read from counts
/// kept at intake, never from a scan of the applications.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/progress",
    tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id (UUID)", format = "uuid"), ReportQuery),
    responses(
        (status = 200, description = "OK", body = ProgressReportDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such campaign, or no such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn progress(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<ProgressReportDto>, ApiError> {
    let report = state
        .app
        .progress_report(
            &who.caller(),
            campaign_id(&id)?,
            query.unit.as_deref(),
            query.date.as_deref(),
        )
        .await?;
    Ok(Json(ProgressReportDto::from(&report)))
}

/// The daily report a unit sends up, as PDF (default) or XLSX: each child unit's intake
/// against its daily target, best first, the units that met it and the total.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/daily-report",
    tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id (UUID)", format = "uuid"), DailyReportQuery),
    responses(
        (status = 200, description = "The report", content(
            ("application/pdf"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 404, description = "No such campaign or unit (`not_found`)", body = ErrorBody),
        (status = 503, description = "The document was not ready within the time limit (`render_timeout`), or the register cannot be reached for a moment (`unavailable`, with `Retry-After`): try again", body = ErrorBody),
    )
)]
pub(crate) async fn daily_report(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DailyReportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.as_deref().unwrap_or("pdf");
    if !matches!(format, "pdf" | "xlsx") {
        return Err(invalid(format!("format: {format:?} is not pdf or xlsx")));
    }
    let report = state
        .app
        .progress_report(
            &who.caller(),
            campaign_id(&id)?,
            query.unit.as_deref(),
            query.date.as_deref(),
        )
        .await?;
    let failed = |e: cancuoc_documents::DocumentError| {
        ApiError::from(cancuoc_app::AppError::Internal(e.to_string()))
    };
    let name = format!("bao-cao-ngay-{}-{}", report.unit.unit_code, report.date);
    let xlsx = format == "xlsx";
    let bytes = state
        .app
        .render(move || {
            if xlsx {
                cancuoc_documents::daily_report_xlsx(&report)
            } else {
                cancuoc_documents::daily_report_pdf(&report)
            }
        })
        .await?
        .map_err(failed)?;
    let (media_type, extension) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("application/pdf", "pdf")
    };
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{extension}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
