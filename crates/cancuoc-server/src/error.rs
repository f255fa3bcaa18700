//! The one error shape of the API, and the mapping of every failure onto it.
//!
//! Codes of the use cases come from [`cancuoc_app::ErrorCode`]; the HTTP layer adds its
//! own for requests that never reach a use case (see [`codes`]).

use std::any::Any;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cancuoc_app::{AppError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

/// Codes of the HTTP layer itself, in addition to those of [`ErrorCode`].
pub(crate) mod codes {
    /// The body is not JSON (400).
    pub const INVALID_JSON: &str = "invalid_json";
    /// The body is JSON but not of the expected shape: unknown or missing field,
    /// wrong type (422).
    pub const INVALID_BODY: &str = "invalid_body";
    /// The query string does not fit the endpoint (400).
    pub const INVALID_QUERY: &str = "invalid_query";
    /// A path segment does not fit the endpoint (400).
    pub const INVALID_PATH: &str = "invalid_path";
    // An uploaded import file that cannot be read answers with
    // `cancuoc_import::FileError::code`: `invalid_file`, or the code of the limit it breaks.
    /// The body stopped arriving for longer than the body read timeout (408).
    pub const BODY_TIMEOUT: &str = "body_timeout";
    /// The body is larger than the endpoint accepts (413).
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// The `Content-Type` is not one the endpoint accepts (415).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// A cookie-authenticated write without the session's `X-CSRF-Token` (403).
    pub const INVALID_CSRF_TOKEN: &str = "invalid_csrf_token";
    /// No route has this path (404).
    pub const NOT_FOUND: &str = "not_found";
    /// The route exists but not with this method (405).
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// A station's request that is not signed by an enrolled station's key, or carries no
    /// signature or time (401).
    pub const STATION_UNAUTHENTICATED: &str = "station_unauthenticated";
    /// Something failed on our side; details are in the log only (500).
    pub const INTERNAL: &str = "internal";
}

/// Every error response: a stable machine-readable code, a message for people, and
/// optional structured details (`null` when there are none).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case identifier, never renamed once published.
    #[schema(example = "not_found")]
    pub code: String,
    /// Human-readable explanation in English.
    pub message: String,
    /// Structured details, for example `{"retry_after_seconds": 900}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// How long a client should wait before sending again a request the register could not
/// take: about what a pool needs to replace its connections after a failover.
const RETRY_UNAVAILABLE: u64 = 5;

/// The `Retry-After` seconds of a failure that passes: sign-ins slowed down, the register
/// out of reach.
pub(crate) fn retry_after(e: &AppError) -> Option<u64> {
    match e {
        AppError::TooManyAttempts { seconds } => Some(u64::try_from(*seconds).unwrap_or(0)),
        AppError::Unavailable(_) => Some(RETRY_UNAVAILABLE),
        _ => None,
    }
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
    pub retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after_seconds: None,
        }
    }

    /// A request the caller can fix (`invalid_input`, 400).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            cancuoc_app::ErrorCode::InvalidInput.as_str(),
            message,
        )
    }

    /// A failure the caller cannot fix: logged here, generic to the caller.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "internal error",
        )
    }

    /// From an axum rejection: its status decides the too-large and media-type cases,
    /// `code` names every other.
    pub fn rejection(status: StatusCode, code: &'static str, message: String) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                status,
                codes::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Self::new(status, codes::UNSUPPORTED_MEDIA_TYPE, message)
            }
            s if s.is_server_error() => Self::internal(&message),
            _ => Self::new(status, code, message),
        }
    }
}

/// The HTTP status of a use-case error code.
pub(crate) fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden | ErrorCode::PasswordChangeRequired => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict | ErrorCode::InvalidState | ErrorCode::IllegalTransition => {
            StatusCode::CONFLICT
        }
        ErrorCode::RoleNotAllowed
        | ErrorCode::FourEyesRequired
        | ErrorCode::OutsideJurisdiction => StatusCode::FORBIDDEN,
        ErrorCode::InvalidInput | ErrorCode::ReasonRequired | ErrorCode::TextTooLong => {
            StatusCode::BAD_REQUEST
        }
        ErrorCode::TypeNotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RenderTimeout | ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match &e {
            AppError::Internal(detail) => return Self::internal(detail),
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "the register is unavailable");
            }
            // The upload's temporary file failing to read is the server's trouble.
            AppError::File(
                file @ (cancuoc_import::FileError::Unreadable { .. }
                | cancuoc_import::FileError::Read(_)),
            ) => return Self::internal(&file.to_string()),
            // `invalid_file`, or the code of the limit the file breaks.
            AppError::File(file) => {
                return Self::new(StatusCode::BAD_REQUEST, file.code(), e.to_string());
            }
            _ => {}
        }
        let mut error = Self::new(status_of(e.code()), e.code().as_str(), e.to_string());
        if let Some(seconds) = retry_after(&e) {
            error.details = Some(serde_json::json!({ "retry_after_seconds": seconds }));
            error.retry_after_seconds = Some(seconds);
        }
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
            details: self.details,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The response to a handler that panicked: logged, generic to the caller.
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    ApiError::internal(detail).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_use_case_code_has_a_client_or_server_status() {
        let all = [
            (ErrorCode::Unauthenticated, 401),
            (ErrorCode::Forbidden, 403),
            (ErrorCode::NotFound, 404),
            (ErrorCode::Conflict, 409),
            (ErrorCode::InvalidInput, 400),
            (ErrorCode::InvalidState, 409),
            (ErrorCode::TooManyAttempts, 429),
            (ErrorCode::PasswordChangeRequired, 403),
            (ErrorCode::IllegalTransition, 409),
            (ErrorCode::RoleNotAllowed, 403),
            (ErrorCode::ReasonRequired, 400),
            (ErrorCode::FourEyesRequired, 403),
            (ErrorCode::OutsideJurisdiction, 403),
            (ErrorCode::TextTooLong, 400),
            (ErrorCode::TypeNotAllowed, 422),
            (ErrorCode::Unavailable, 503),
            (ErrorCode::Internal, 500),
        ];
        for (code, status) in all {
            assert_eq!(status_of(code).as_u16(), status, "{}", code.as_str());
        }
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = ApiError::from(AppError::Internal("disk full at /var/lib/x".into()));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, "internal");
        assert!(!e.message.contains("disk"));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let e = ApiError::from(AppError::TooManyAttempts { seconds: 900 });
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.retry_after_seconds, Some(900));
        let response = e.into_response();
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("900")
        );
    }

    #[test]
    fn an_unreachable_register_says_when_to_retry_and_hides_its_detail() {
        let e = ApiError::from(AppError::Unavailable(
            "error communicating with database: Connection reset by peer at 10.0.0.7".into(),
        ));
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "unavailable");
        assert!(!e.message.contains("10.0.0.7"), "{}", e.message);
        let response = e.into_response();
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("5")
        );
    }
}
