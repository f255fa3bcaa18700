//! `/api/v1/forms`: the review queue of staged collection forms, and file imports.

use axum::Json;
use axum::extract::State;
use cancuoc_app::{AppError, FormAction, ImportRequest};
use cancuoc_import::{FormReader, Format};

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::{
    DecisionAction, DecisionRequest, FormDto, FormPage, FormQuery, FormStatusDto, ImportQuery,
    ImportReportDto, REJECTS_IN_ANSWER,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CSV_TYPE, Upload, XLSX_TYPE};

/// Longest file name kept as provenance, in characters.
const MAX_SOURCE_CHARS: usize = 255;

/// Staged forms in the caller's jurisdiction, open ones unless `status` says otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/forms",
    tag = "forms",
    params(FormQuery),
    responses(
        (status = 200, description = "OK", body = FormPage),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_query`, `invalid_path`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_forms(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(query): ApiQuery<FormQuery>,
) -> Result<Json<FormPage>, ApiError> {
    let page = state
        .app
        .staged_forms(
            &who.caller(),
            query.unit.as_deref(),
            query.status.map(FormStatusDto::as_str),
            query.cursor,
            query.limit,
        )
        .await?;
    Ok(Json(page.into()))
}

/// One staged form.
#[utoipa::path(
    get,
    path = "/api/v1/forms/{id}",
    tag = "forms",
    params(("id" = String, Path, description = "Form id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = FormDto),
        (status = 400, description = "Invalid input (`invalid_input`, `invalid_query`, `invalid_path`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn form(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FormDto>, ApiError> {
    let form = state.app.staged_form(&who.caller(), &id).await?;
    Ok(Json(form.into()))
}

/// Verifies, approves (the record becomes official), rejects or corrects a staged form.
#[utoipa::path(
    post,
    path = "/api/v1/forms/{id}/decision",
    tag = "forms",
    params(("id" = String, Path, description = "Form id (UUID)", format = "uuid")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "The form after the decision", body = FormDto),
        (status = 400, description = "Missing reason, unknown field, invalid value (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 404, description = "Not found, or outside the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "Not possible in the form's state (`invalid_state`, `conflict`)", body = ErrorBody),
        (status = 422, description = "Malformed body (`invalid_body`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `Content-Type: application/json` (`unsupported_media_type`)", body = ErrorBody),
    )
)]
pub(crate) async fn decide_form(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<Json<FormDto>, ApiError> {
    let action = form_action(body)?;
    let form = state.app.decide_form(&who.caller(), &id, action).await?;
    Ok(Json(form.into()))
}

/// The use case's action from the request, refusing what would be silently ignored.
pub(crate) fn form_action(body: DecisionRequest) -> Result<FormAction, ApiError> {
    let invalid = |m: &str| ApiError::from(AppError::Invalid(m.to_owned()));
    match body.action {
        DecisionAction::Reject => {
            if body.fields.is_some() {
                return Err(invalid("fields go with action correct only"));
            }
            Ok(FormAction::Reject(body.reason.unwrap_or_default()))
        }
        DecisionAction::Correct => {
            if body.reason.is_some() {
                return Err(invalid("a reason goes with action reject only"));
            }
            let fields = body.fields.unwrap_or_default();
            if fields.is_empty() {
                return Err(invalid("a correction needs the corrected cells in fields"));
            }
            Ok(FormAction::Correct(fields.into_iter().collect()))
        }
        action @ (DecisionAction::Verify | DecisionAction::Approve) => {
            if body.reason.is_some() {
                return Err(invalid("a reason goes with action reject only"));
            }
            if body.fields.is_some() {
                return Err(invalid("fields go with action correct only"));
            }
            Ok(if action == DecisionAction::Verify {
                FormAction::Verify
            } else {
                FormAction::Approve
            })
        }
    }
}

/// Imports a collection-form file sent as the raw body: clean new rows become official,
/// doubtful ones are staged for review, rejected rows are listed with their reasons.
/// Nothing changes with `dry_run=true`, nor when the file as a whole cannot be read.
#[utoipa::path(
    post,
    path = "/api/v1/forms/import",
    tag = "forms",
    params(ImportQuery),
    request_body(
        description = "The file's bytes: CSV UTF-8 or an XLSX workbook (first sheet), at most 64 MiB",
        content(
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    ),
    responses(
        (status = 200, description = "What the import did", body = ImportReportDto),
        (status = 400, description = "The file cannot be read (`invalid_file`) or breaks a limit, named by its code: `too_many_columns`, `too_many_rows`, `xlsx_part_too_large`, `xlsx_shared_strings_too_large`, `xlsx_compression_ratio`", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`, `password_change_required`, `invalid_csrf_token`)", body = ErrorBody),
        (status = 413, description = "File too large (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor XLSX (`unsupported_media_type`)", body = ErrorBody),
    )
)]
pub(crate) async fn import_forms(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(query): ApiQuery<ImportQuery>,
    upload: Upload,
) -> Result<Json<ImportReportDto>, ApiError> {
    let source = source_name(query.name, upload.format)?;
    let Upload { format, file, hash } = upload;
    let path = file.path().to_owned();
    // Measuring a workbook reads it whole: off the async threads.
    let reader = tokio::task::spawn_blocking(move || FormReader::open_as(&path, format))
        .await
        .map_err(|e| ApiError::internal(&format!("import reader: {e}")))?
        .map_err(AppError::File)?;
    let report = state
        .app
        .import_forms(
            &who.caller(),
            ImportRequest {
                source,
                file_hash: hash.clone(),
                file: reader,
                dry_run: query.dry_run.unwrap_or(false),
                rejects_kept: REJECTS_IN_ANSWER,
                keep_rejected_forms: false,
            },
            &|_| {},
        )
        .await?;
    // The temporary file goes only once the import has read it.
    drop(file);
    Ok(Json(ImportReportDto::new(hash, report)))
}

/// The provenance of an upload: the name given, or a neutral one.
fn source_name(name: Option<String>, format: Format) -> Result<String, ApiError> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    match name {
        None => Ok(match format {
            Format::Csv => format!("upload ({CSV_TYPE})"),
            Format::Xlsx => format!("upload ({XLSX_TYPE})"),
        }),
        Some(n) if n.chars().count() > MAX_SOURCE_CHARS || n.chars().any(char::is_control) => {
            Err(ApiError::from(AppError::Invalid(format!(
                "name must be a file name of at most {MAX_SOURCE_CHARS} characters"
            ))))
        }
        Some(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> DecisionRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn decisions_map_to_actions() {
        assert!(matches!(
            form_action(body(serde_json::json!({"action": "verify"}))),
            Ok(FormAction::Verify)
        ));
        assert!(matches!(
            form_action(body(serde_json::json!({"action": "approve"}))),
            Ok(FormAction::Approve)
        ));
        assert!(matches!(
            form_action(body(serde_json::json!({"action": "reject", "reason": "trùng"}))),
            Ok(FormAction::Reject(r)) if r == "trùng"
        ));
        assert!(matches!(
            form_action(body(serde_json::json!({"action": "correct", "fields": {"ho_ten": "An"}}))),
            Ok(FormAction::Correct(c)) if c == vec![("ho_ten".to_owned(), "An".to_owned())]
        ));
    }

    #[test]
    fn decisions_refuse_what_they_would_ignore() {
        for json in [
            serde_json::json!({"action": "verify", "reason": "x"}),
            serde_json::json!({"action": "approve", "fields": {}}),
            serde_json::json!({"action": "correct"}),
            serde_json::json!({"action": "correct", "fields": {}}),
            serde_json::json!({"action": "reject", "reason": "x", "fields": {"ho_ten": "A"}}),
        ] {
            let e = form_action(body(json.clone())).err().unwrap();
            assert_eq!(e.code, "invalid_input", "{json}");
        }
        assert!(
            serde_json::from_value::<DecisionRequest>(
                serde_json::json!({"action": "verify", "extra": 1})
            )
            .is_err()
        );
    }

    #[test]
    fn provenance_names() {
        assert_eq!(
            source_name(Some(" a.csv ".into()), Format::Csv).unwrap(),
            "a.csv"
        );
        assert!(
            source_name(None, Format::Csv)
                .unwrap()
                .starts_with("upload")
        );
        assert!(source_name(Some("a\nb".into()), Format::Csv).is_err());
        assert!(source_name(Some("x".repeat(300)), Format::Csv).is_err());
    }
}
