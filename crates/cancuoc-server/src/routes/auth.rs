//! `/api/v1/auth/*`: sign-in, sign-out, password change, the caller.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::{SignedIn, clear_cookie_header, session_cookie_header};
use crate::dto::{LoginRequest, LoginResponse, MeResponse, PasswordChangeRequest, rfc3339};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;

/// Signs in; the token comes back in the body and as the `cancuoc_session` cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = LoginResponse,
            headers(("set-cookie" = String, description = "cancuoc_session=…; HttpOnly; SameSite=Strict"))),
        (status = 401, description = "Wrong username or password (`unauthenticated`)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins (`too_many_attempts`)", body = ErrorBody),
        (status = 400, description = "Not JSON (`invalid_json`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json` (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "Malformed body: unknown or missing field, wrong type (`invalid_body`)", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: crate::extract::ClientAddress,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = state
        .app
        .login(&body.username, &body.password, &client.0)
        .await?;
    let cookie = HeaderValue::from_str(&session_cookie_header(
        &session.token,
        state.config.secure_cookies,
    ))
    .map_err(|e| ApiError::internal(&format!("session cookie: {e}")))?;
    let response = LoginResponse {
        token: session.token,
        csrf_token: session.csrf_token,
        must_change_password: session.must_change_password,
        officer: session.officer.into(),
        expires_at: rfc3339(session.expires_micros),
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(response)).into_response())
}

/// Ends the session and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Cookie without `X-CSRF-Token` (`invalid_csrf_token`)", body = ErrorBody),
    )
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Response, ApiError> {
    state.app.logout(&who.token).await?;
    let cookie = HeaderValue::from_str(&clear_cookie_header(state.config.secure_cookies))
        .map_err(|e| ApiError::internal(&format!("session cookie: {e}")))?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Changes the caller's own password (required first when `must_change_password`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "New password too weak (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in, or wrong current password", body = ErrorBody),
        (status = 403, description = "Cookie without `X-CSRF-Token`", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json` (`unsupported_media_type`)", body = ErrorBody),
        (status = 422, description = "Malformed body: unknown or missing field, wrong type (`invalid_body`)", body = ErrorBody),
    )
)]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    who: SignedIn,
    ApiJson(body): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .change_password(&who.officer, &body.current, &body.new, &who.token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in officer and the session's CSRF token.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "OK", body = MeResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub(crate) async fn me(who: SignedIn) -> Json<MeResponse> {
    Json(MeResponse {
        officer: who.officer.into(),
        must_change_password: who.must_change_password,
        csrf_token: who.csrf_token,
    })
}
