//! The chip: the PKI's public certificates and CRL, a card's chip files, passive
//! authentication for anyone, and a batch's personalisation packages.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::chip::{ChipFilesDto, ChipVerificationDto, PackageDto, PersonalisationDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ClientAddress};

fn typed(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The Country Signing CA's certificate (PEM): what a relying party installs to run
/// passive authentication on the cards' chips.
#[utoipa::path(
    get,
    path = "/api/v1/pki/csca",
    tag = "chip",
    security(()),
    responses(
        (status = 200, description = "The CSCA certificate", content_type = "application/x-pem-file", body = String),
        (status = 404, description = "No CSCA yet (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn csca(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(typed("application/x-pem-file", state.app.csca_pem().await?))
}

/// The CSCA's latest certificate revocation list (DER).
#[utoipa::path(
    get,
    path = "/api/v1/pki/crl",
    tag = "chip",
    security(()),
    responses(
        (status = 200, description = "The CRL", content_type = "application/pkix-crl", body = Vec<u8>),
        (status = 404, description = "No CRL yet (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn crl(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(typed("application/pkix-crl", state.app.crl_der().await?))
}

/// The chip's public files of the person's latest card, exactly as a reader gets them
/// from the chip (no private key). Roles that may read the card; audited.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{personal_id}/chip",
    tag = "chip",
    params(("personal_id" = String, Path, description = "12-digit personal ID number", pattern = "^[0-9]{12}$")),
    responses(
        (status = 200, description = "Every file, base64", body = ChipFilesDto),
        (status = 400, description = "Not a personal ID number (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No card with a chip, or outside the caller's jurisdiction", body = ErrorBody),
    )
)]
pub(crate) async fn card_chip(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(personal_id): ApiPath<String>,
) -> Result<Json<ChipFilesDto>, ApiError> {
    let (_, files) = state.app.card_chip(&who.caller(), &personal_id).await?;
    Ok(Json(ChipFilesDto::from_files(&files)))
}

/// Passive authentication of files read from a chip: the signature, the chain to the
/// CSCA, revocation, every data group's hash and DG1's check digits, each with its
/// reason when it fails, and DG1 and DG13 decoded. Public and rate-limited: banks and
/// public services check cards this way.
#[utoipa::path(
    post,
    path = "/api/v1/chip/verify",
    tag = "chip",
    security(()),
    request_body = ChipFilesDto,
    responses(
        (status = 200, description = "The checks; `valid` is true when all passed", body = ChipVerificationDto),
        (status = 400, description = "A file name that is not a chip's, or not base64 (`invalid_input`)", body = ErrorBody),
        (status = 429, description = "Too many requests from this client (`too_many_attempts`)", body = ErrorBody),
    )
)]
pub(crate) async fn verify(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<ChipFilesDto>,
) -> Result<Json<ChipVerificationDto>, ApiError> {
    let files = body.files()?;
    let verification = state.app.verify_chip_public(&client, &files).await?;
    Ok(Json(verification.into()))
}

/// Every card of a batch with its personalisation package, sealed to the production
/// line's key: the production centre only; every package read is audited.
#[utoipa::path(
    get,
    path = "/api/v1/batches/{id}/personalisation",
    tag = "chip",
    params(("id" = String, Path, description = "Batch id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "The packages", body = PersonalisationDto),
        (status = 400, description = "Not an id (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not the production centre (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such batch (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn personalisation(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PersonalisationDto>, ApiError> {
    let batch = Uuid::parse_str(&id)
        .map_err(|_| ApiError::invalid(format!("{id:?} is not a batch id (UUID)")))?;
    let packages = state
        .app
        .batch_personalisation(&who.caller(), batch)
        .await?;
    Ok(Json(PersonalisationDto {
        batch: batch.to_string(),
        packages: packages
            .into_iter()
            .map(|p| PackageDto {
                application: p.application.to_string(),
                personal_id: p.personal_id,
                line_key: p.line_key.to_string(),
                package: B64.encode(&p.sealed),
            })
            .collect(),
    }))
}
