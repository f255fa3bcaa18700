//! Errors of the use cases, each with a stable code that the API and the CLI show.

use cancuoc_domain::application::TransitionError;
use cancuoc_domain::review::ReviewError;
use cancuoc_store::StoreError;
use serde::Serialize;

/// Stable, machine-readable error codes (never renamed once published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    InvalidInput,
    InvalidState,
    TooManyAttempts,
    PasswordChangeRequired,
    IllegalTransition,
    RoleNotAllowed,
    ReasonRequired,
    /// Maker and checker: the approver verified or corrected the same form.
    FourEyesRequired,
    /// The step would change a record outside the officer's jurisdiction.
    OutsideJurisdiction,
    /// The chosen application type does not fit the citizen.
    TypeNotAllowed,
    /// A free-text field is longer than its bound (`cancuoc_domain::text::limits`).
    TextTooLong,
    /// A document was not ready within the rendering time limit.
    RenderTimeout,
    /// The register cannot be reached for a moment (a failover, a restart, a busy
    /// database); the same request may be sent again.
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::InvalidInput => "invalid_input",
            Self::InvalidState => "invalid_state",
            Self::TooManyAttempts => "too_many_attempts",
            Self::PasswordChangeRequired => "password_change_required",
            Self::IllegalTransition => "illegal_transition",
            Self::RoleNotAllowed => "role_not_allowed",
            Self::ReasonRequired => "reason_required",
            Self::FourEyesRequired => "four_eyes_required",
            Self::OutsideJurisdiction => "outside_jurisdiction",
            Self::TypeNotAllowed => "type_not_allowed",
            Self::TextTooLong => "text_too_long",
            Self::RenderTimeout => "render_timeout",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("too many failed attempts; try again in {seconds} seconds")]
    TooManyAttempts { seconds: i64 },
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    #[error("{0}")]
    Transition(cancuoc_domain::application::TransitionError),
    #[error("{0}")]
    Review(cancuoc_domain::review::ReviewError),
    #[error("{0}")]
    TypeNotAllowed(String),
    #[error("{0}")]
    TooLong(#[from] cancuoc_domain::text::TextTooLong),
    /// An import file that cannot be read as a whole; the API answers with
    /// [`cancuoc_import::FileError::code`].
    #[error("{0}")]
    File(#[from] cancuoc_import::FileError),
    #[error("the document is taking too long to make: try again in a moment")]
    RenderTimeout,
    /// Details go to the log, never to the caller.
    #[error("the register cannot be reached for a moment: try again in a few seconds")]
    Unavailable(String),
    /// Details go to the log, never to the caller.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// A failure on the system's side, not a refusal of the request: the API answers it
    /// 5xx, a batch or a station's packet stops on it (to be sent again) instead of
    /// counting the item refused, and a console page says so instead of "not found".
    pub fn is_system_failure(&self) -> bool {
        matches!(
            self,
            Self::Internal(_) | Self::Unavailable(_) | Self::RenderTimeout
        )
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated | Self::BadCredentials => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::InvalidState(_) => ErrorCode::InvalidState,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            Self::Transition(e) => match e {
                TransitionError::Illegal { .. } => ErrorCode::IllegalTransition,
                TransitionError::WrongRole { .. } => ErrorCode::RoleNotAllowed,
                TransitionError::ReasonRequired { .. } => ErrorCode::ReasonRequired,
            },
            Self::Review(e) => match e {
                ReviewError::Illegal { .. } => ErrorCode::IllegalTransition,
                ReviewError::WrongRole(_) => ErrorCode::RoleNotAllowed,
                ReviewError::SameOfficer(_) => ErrorCode::FourEyesRequired,
                ReviewError::OutsideJurisdiction(_) => ErrorCode::OutsideJurisdiction,
                ReviewError::ReasonRequired => ErrorCode::ReasonRequired,
            },
            Self::TypeNotAllowed(_) => ErrorCode::TypeNotAllowed,
            Self::TooLong(_) => ErrorCode::TextTooLong,
            Self::File(_) => ErrorCode::InvalidInput,
            Self::RenderTimeout => ErrorCode::RenderTimeout,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::Invalid(what) => AppError::InvalidState(what),
            StoreError::Transition(e) => AppError::Transition(e),
            StoreError::Review(e) => AppError::Review(e),
            StoreError::Misfit(m) => AppError::TypeNotAllowed(m.to_string()),
            StoreError::Unavailable(what) => AppError::Unavailable(what),
            StoreError::Backend(what) => AppError::Internal(what),
        }
    }
}
