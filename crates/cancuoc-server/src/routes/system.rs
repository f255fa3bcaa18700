//! `/api/v1/health` and `/api/v1/audit/*`.

use axum::Json;
use axum::extract::State;
use cancuoc_app::AppError;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::{AuditVerificationDto, CheckpointsDto, Health};
use crate::error::{ApiError, ErrorBody};

/// Whether the server answers; needs no sign-in.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "system",
    security(()),
    responses((status = 200, description = "OK", body = Health))
)]
pub(crate) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Walks the whole audit chain and reports the first broken link (auditors and
/// administrators).
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "system",
    responses(
        (status = 200, description = "OK", body = AuditVerificationDto),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Neither auditor nor administrator", body = ErrorBody),
    )
)]
pub(crate) async fn verify_audit(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<AuditVerificationDto>, ApiError> {
    // `App::verify_audit` takes no caller, so the role is checked here.
    if !who.officer.role.reads_audit() {
        return Err(AppError::Forbidden(
            "only auditors and administrators verify the audit trail".into(),
        )
        .into());
    }
    let verification = state.app.verify_audit().await?;
    Ok(Json(verification.into()))
}

/// The audit chain's signed checkpoints and the Ed25519 public key that verifies them
/// (auditors and administrators), so that a copy kept elsewhere can later prove that
/// no event before a checkpoint was removed or rewritten.
#[utoipa::path(
    get,
    path = "/api/v1/audit/checkpoints",
    tag = "system",
    responses(
        (status = 200, description = "OK", body = CheckpointsDto),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Neither auditor nor administrator", body = ErrorBody),
        (status = 409, description = "No checkpoint key is configured (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn audit_checkpoints(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<CheckpointsDto>, ApiError> {
    let published = state.app.published_checkpoints(&who.caller())?;
    Ok(Json(published.into()))
}
