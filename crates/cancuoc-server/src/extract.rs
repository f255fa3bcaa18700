//! axum's extractors with their rejections turned into [`ApiError`]s, and the upload
//! extractor of the import endpoint.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use cancuoc_import::Format;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, codes};

/// A JSON body (`Content-Type: application/json`), deserialised into `T`. A whole number
/// written as a float (`5.0`) is taken as the integer it is, as JSON Schema's `integer`
/// does (clients that keep every number as a double send them so).
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(&rejection)),
        };
        whole_floats_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    codes::INVALID_BODY,
                    format!("Failed to deserialize the JSON body into the target type: {e}"),
                )
            })
    }
}

/// The largest whole number a double holds exactly (2^53).
const EXACT_IN_A_DOUBLE: f64 = 9_007_199_254_740_992.0;

/// Replaces every float without a fraction (`17.0`) by the same integer.
fn whole_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() <= EXACT_IN_A_DOUBLE
            {
                // Exact: |f| ≤ 2^53 and whole.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *n = whole.into();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

/// Whether a body could not be read because it stalled past the body read timeout.
fn body_stalled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

fn body_timeout() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        codes::BODY_TIMEOUT,
        "the request body stopped arriving: send it again",
    )
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    if body_stalled(rejection) {
        return body_timeout();
    }
    let code = match rejection {
        JsonRejection::JsonDataError(_) => codes::INVALID_BODY,
        JsonRejection::JsonSyntaxError(_) => codes::INVALID_JSON,
        JsonRejection::MissingJsonContentType(_) => codes::UNSUPPORTED_MEDIA_TYPE,
        _ => codes::INVALID_BODY,
    };
    ApiError::rejection(rejection.status(), code, rejection.body_text())
}

/// The query string, deserialised into `T`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // An empty value is no value, as an HTML form sends a field left blank.
        let given: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| {
                pair.split_once('=')
                    .map_or(!pair.is_empty(), |(_, v)| !v.is_empty())
            })
            .collect();
        let query = given.join("&");
        let uri = format!("/?{query}")
            .parse::<axum::http::Uri>()
            .map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_QUERY, e.to_string())
            })?;
        match axum::extract::Query::<T>::try_from_uri(&uri) {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::rejection(
        rejection.status(),
        codes::INVALID_QUERY,
        rejection.body_text(),
    )
}

/// Path parameters, deserialised into `T`.
pub(crate) struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    ApiError::rejection(
        rejection.status(),
        codes::INVALID_PATH,
        rejection.body_text(),
    )
}

pub(crate) const CSV_TYPE: &str = "text/csv";
pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The format of an import file by its `Content-Type`; parameters such as `charset` are
/// ignored.
pub(crate) fn format_of_content_type(value: &str) -> Option<Format> {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        CSV_TYPE => Some(Format::Csv),
        XLSX_TYPE => Some(Format::Xlsx),
        _ => None,
    }
}

/// The largest import body, set on the import route (an extension, since the body is
/// streamed to disk rather than collected, which is where `DefaultBodyLimit` applies).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImportBodyLimit(pub usize);

/// An import file sent as the raw body, its `Content-Type` checked before the body is
/// read, streamed to a temporary file (removed when this is dropped) and hashed as it
/// arrives: memory holds one piece of the body at a time, whatever the file's size.
pub(crate) struct Upload {
    pub format: Format,
    pub file: tempfile::NamedTempFile,
    /// SHA-256 of the bytes, hex.
    pub hash: String,
}

impl<S> FromRequest<S> for Upload
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        use sha2::Digest;
        use tokio::io::AsyncWriteExt;

        let format = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(format_of_content_type)
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    codes::UNSUPPORTED_MEDIA_TYPE,
                    format!("send the file with Content-Type {CSV_TYPE} or {XLSX_TYPE}"),
                )
            })?;
        let limit = req
            .extensions()
            .get::<ImportBodyLimit>()
            .map_or(crate::IMPORT_BODY_LIMIT_BYTES, |l| l.0);
        let too_large = || {
            ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                codes::PAYLOAD_TOO_LARGE,
                format!("the file is larger than {} MiB", limit >> 20),
            )
        };
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(too_large());
        }
        let file = tempfile::NamedTempFile::new()
            .map_err(|e| ApiError::internal(&format!("upload file: {e}")))?;
        let mut out = tokio::fs::File::from_std(
            file.reopen()
                .map_err(|e| ApiError::internal(&format!("upload file: {e}")))?,
        );
        let mut hasher = sha2::Sha256::new();
        let mut received = 0usize;
        let mut body = req.into_body().into_data_stream();
        while let Some(piece) = futures_util::StreamExt::next(&mut body).await {
            let piece = piece.map_err(|e| {
                if body_stalled(&e) {
                    body_timeout()
                } else {
                    ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        codes::INVALID_BODY,
                        format!("the file could not be received: {e}"),
                    )
                }
            })?;
            received = received.saturating_add(piece.len());
            if received > limit {
                return Err(too_large());
            }
            hasher.update(&piece);
            out.write_all(&piece)
                .await
                .map_err(|e| ApiError::internal(&format!("upload file: {e}")))?;
        }
        out.flush()
            .await
            .map_err(|e| ApiError::internal(&format!("upload file: {e}")))?;
        Ok(Self {
            format,
            file,
            hash: hex::encode(hasher.finalize()),
        })
    }
}

/// The client's address, the key citizens' requests are throttled by. Behind a reverse
/// proxy every client has the proxy's address: throttle there too.
pub(crate) struct ClientAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_of_import_files() {
        assert_eq!(format_of_content_type("text/csv"), Some(Format::Csv));
        assert_eq!(
            format_of_content_type("Text/CSV; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(format_of_content_type(XLSX_TYPE), Some(Format::Xlsx));
        assert_eq!(format_of_content_type("application/json"), None);
        assert_eq!(format_of_content_type(""), None);
    }

    #[test]
    fn whole_floats_become_integers_and_others_stay() {
        let mut v = serde_json::json!({
            "version": 3.0,
            "slots": [1.0, 2.5, -4.0, 1e300],
            "nested": {"limit": 100.0, "share": 0.5, "name": "5.0"}
        });
        whole_floats_as_integers(&mut v);
        assert_eq!(v["version"], serde_json::json!(3));
        assert!(v["version"].is_i64());
        assert_eq!(v["slots"][0], serde_json::json!(1));
        assert_eq!(v["slots"][1], serde_json::json!(2.5));
        assert_eq!(v["slots"][2], serde_json::json!(-4));
        assert!(v["slots"][3].is_f64(), "too large to be exact");
        assert_eq!(v["nested"]["limit"], serde_json::json!(100));
        assert_eq!(v["nested"]["share"], serde_json::json!(0.5));
        assert_eq!(v["nested"]["name"], serde_json::json!("5.0"));
    }
}
