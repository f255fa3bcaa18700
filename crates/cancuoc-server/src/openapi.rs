//! The OpenAPI description: document-level information and the two ways to sign in.
//! Paths and schemas are collected from the `#[utoipa::path]` handlers (see `routes`).

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cancuoc API",
        description = "Vietnam's population register and chip ID card. Every error is \
            `{\"code\", \"message\", \"details\"}` with a stable snake_case code. Sign in with \
            POST /api/v1/auth/login, then send `Authorization: Bearer <token>`, or use the \
            `cancuoc_session` cookie and send `X-CSRF-Token` with every write.",
        license(name = "MIT", identifier = "MIT"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("session_cookie" = [])),
    tags(
        (name = "auth", description = "Sign-in, sessions and passwords"),
        (name = "register", description = "Citizens, households and personal ID numbers"),
        (name = "forms", description = "Import and review of collection forms"),
        (name = "officers", description = "Officer administration"),
        (name = "applications", description = "Card applications, their steps, and cards"),
        (name = "campaigns", description = "Campaigns, quotas and progress reports"),
        (name = "scheduling", description = "Enrollment sites, machines, sessions, invitations, the day's queue, and plans"),
        (name = "booking", description = "Citizens' own appointments: no sign-in; personal ID and birth date"),
        (name = "system", description = "Health and audit"),
    )
)]
pub(crate) struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token returned by POST /api/v1/auth/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::SESSION_COOKIE,
                "Set by POST /api/v1/auth/login; writes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// `GET /api/openapi.json`: the description, serialised once at start-up.
pub(crate) async fn serve(spec: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        spec,
    )
        .into_response()
}
