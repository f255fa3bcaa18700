//! The endpoints under `/api/v1`, each annotated for OpenAPI. Handlers are thin: parse,
//! call one `App` method, map the result to a DTO.

mod applications;
mod auth;
mod campaigns;
mod chip;
pub(crate) mod forms;
mod officers;
mod register;
pub(crate) mod schedule;
mod station;
mod system;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, codes};
use crate::extract::ImportBodyLimit;
use crate::openapi::ApiDoc;

/// Body limit of intake: a portrait and thirteen fingerprint images at their largest,
/// in base64, with room for the fields.
pub(crate) const INTAKE_BODY_LIMIT_BYTES: usize = 10 * 1024 * 1024;

/// The routes and their OpenAPI description; `import_limit` is the body limit of the
/// import endpoint.
pub(crate) fn api(import_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::me))
        .routes(routes!(register::search_citizens))
        .routes(routes!(register::citizen))
        .routes(routes!(register::citizen_history))
        .routes(routes!(register::household))
        .routes(routes!(register::allocate_personal_id))
        .routes(routes!(forms::list_forms))
        .routes(routes!(forms::form))
        .routes(routes!(forms::decide_form))
        .routes(routes!(forms::import_forms).layer(axum::Extension(ImportBodyLimit(import_limit))))
        .routes(routes!(officers::list_officers, officers::add_officer))
        .routes(routes!(officers::disable_officer))
        .routes(routes!(officers::enable_officer))
        .routes(routes!(system::verify_audit))
        .routes(routes!(system::audit_checkpoints))
        .routes(
            routes!(
                applications::file_application,
                applications::list_applications
            )
            .layer(DefaultBodyLimit::max(INTAKE_BODY_LIMIT_BYTES)),
        )
        .routes(routes!(applications::biometric_image))
        .routes(routes!(applications::intake_document))
        .routes(
            routes!(applications::add_biometrics)
                .layer(DefaultBodyLimit::max(INTAKE_BODY_LIMIT_BYTES)),
        )
        .routes(routes!(applications::application))
        .routes(routes!(applications::transition))
        .routes(routes!(applications::bulk_transition))
        .routes(routes!(applications::card))
        .routes(routes!(applications::report_lost))
        .routes(routes!(applications::card_image))
        .routes(routes!(applications::start_batch))
        .routes(routes!(applications::batch))
        .routes(routes!(applications::advance_batch))
        .routes(routes!(chip::personalisation))
        .routes(routes!(chip::card_chip))
        .routes(routes!(chip::verify))
        .routes(routes!(chip::csca))
        .routes(routes!(chip::crl))
        .routes(routes!(
            campaigns::create_campaign,
            campaigns::list_campaigns
        ))
        .routes(routes!(campaigns::campaign))
        .routes(routes!(campaigns::set_quota))
        .routes(routes!(campaigns::progress))
        .routes(routes!(campaigns::daily_report))
        .routes(routes!(schedule::create_site, schedule::list_sites))
        .routes(routes!(schedule::add_machine, schedule::list_machines))
        .routes(routes!(schedule::create_session, schedule::list_sessions))
        .routes(routes!(schedule::session))
        .routes(routes!(schedule::invite))
        .routes(routes!(schedule::appointments))
        .routes(routes!(schedule::letters))
        .routes(routes!(schedule::check_in))
        .routes(routes!(schedule::walk_in))
        .routes(routes!(schedule::call_next))
        .routes(routes!(schedule::release_no_shows))
        .routes(routes!(schedule::queue))
        .routes(routes!(schedule::figures))
        .routes(routes!(schedule::close))
        .routes(routes!(schedule::plan))
        .routes(routes!(schedule::need))
        .routes(routes!(
            schedule::my_appointment,
            schedule::move_appointment
        ))
        .routes(routes!(schedule::book))
        .routes(routes!(schedule::open_sessions))
        .routes(routes!(station::request_station, station::list_stations))
        .routes(routes!(station::approve_station))
        .routes(routes!(station::revoke_station))
        .routes(routes!(station::station_extract))
        .routes(routes!(station::push_audit))
        .routes(
            routes!(station::push_packet, station::packet_state)
                .layer(DefaultBodyLimit::max(station::CHUNK_LIMIT_BYTES)),
        )
}

/// No route has this path.
pub(crate) async fn no_route(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        ApiError::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, "no such endpoint").into_response()
    } else {
        // A person typed or followed the address: a page, not a machine's answer.
        crate::console::not_found_page().into_response()
    }
}

/// The path exists, the method does not.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "this endpoint does not take this method",
    )
}
