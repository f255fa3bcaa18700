//! The OpenAPI description: document-level information and the two ways to sign in.
//! Paths and schemas are collected from the `#[utoipa::path]` handlers (see `routes`).

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
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
        (name = "chip", description = "The chip: the PKI's certificates and CRL, a card's chip files, passive authentication, personalisation packages"),
        (name = "stations", description = "Mobile stations: enrolment, approval and revocation"),
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

/// Completes the description with what every operation may answer whatever its handler
/// says, where the handler does not say it: the answers of the sign-in check and of the
/// extractors of parameters and bodies, written once here rather than on every handler.
/// An operation its handler marks public (`security(())`) gets `security: []`.
pub(crate) fn complete(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let public = operation
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
            if public {
                operation.security = Some(Vec::new());
            } else {
                answer(
                    operation,
                    "401",
                    "Not signed in, or the session ended (`unauthenticated`)",
                );
                answer(
                    operation,
                    "403",
                    "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)",
                );
            }
            // The health check answers without the database (it says the process lives).
            if operation.operation_id.as_deref() != Some("health") {
                answer(
                    operation,
                    "503",
                    "The register cannot be reached for a moment (`unavailable`): send again after `Retry-After` seconds",
                );
            }
            let names_a_unit = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(parameter) if parameter.name == "unit"));
            if names_a_unit {
                answer(
                    operation,
                    "404",
                    "No such police unit in the caller's jurisdiction (`not_found`)",
                );
            }
            if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                answer(
                    operation,
                    "400",
                    "Invalid parameters (`invalid_path`, `invalid_query`, `invalid_input`)",
                );
            }
            if operation.request_body.is_some() {
                answer(
                    operation,
                    "400",
                    "The body cannot be read or is invalid (`invalid_json`, `invalid_body`, `invalid_input`)",
                );
                answer(
                    operation,
                    "408",
                    "The body stopped arriving (`body_timeout`)",
                );
                answer(
                    operation,
                    "422",
                    "The body is JSON of another shape (`invalid_body`)",
                );
                answer(
                    operation,
                    "413",
                    "The body is too large (`payload_too_large`)",
                );
                answer(
                    operation,
                    "415",
                    "Not the body's documented type (`unsupported_media_type`)",
                );
            }
        }
    }
}

/// Adds an error answer for `status` unless the operation documents one.
fn answer(operation: &mut utoipa::openapi::path::Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "a failed test panics")]

    /// Public operations say they need no sign-in; the others document the answers of
    /// the sign-in check, and every operation with a body those of the body's reading.
    #[test]
    fn every_operation_documents_its_sign_in_and_its_reading() {
        let spec = serde_json::to_value(crate::openapi()).unwrap();
        let paths = spec["paths"].as_object().unwrap();
        let mut public = Vec::new();
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                if operation.get("security") == Some(&serde_json::json!([])) {
                    public.push(format!("{method} {path}"));
                } else {
                    assert!(operation.get("security").is_none(), "{method} {path}");
                    for status in ["401", "403"] {
                        assert!(responses.contains_key(status), "{method} {path}: {status}");
                    }
                }
                if operation.get("requestBody").is_some() {
                    for status in ["400", "408", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{method} {path}: {status}");
                    }
                }
            }
        }
        public.sort();
        assert_eq!(
            public,
            [
                "get /api/v1/health",
                "get /api/v1/pki/crl",
                "get /api/v1/pki/csca",
                "get /api/v1/public/sessions",
                "get /api/v1/stations/{id}/extract",
                "get /api/v1/stations/{id}/packets/{packet}",
                "post /api/v1/auth/login",
                "post /api/v1/chip/verify",
                "post /api/v1/public/appointment",
                "post /api/v1/public/bookings",
                "post /api/v1/stations",
                "post /api/v1/stations/{id}/audit",
                "put /api/v1/public/appointment",
                "put /api/v1/stations/{id}/packets/{packet}",
            ]
        );
    }
}
