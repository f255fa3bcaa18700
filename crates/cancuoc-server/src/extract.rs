//! axum's extractors with their rejections turned into [`ApiError`]s, and the upload
//! extractor of the import endpoint.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, codes};

/// A JSON body (`Content-Type: application/json`), deserialised into `T`.
pub(crate) struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
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

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
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

/// The formats an import file may come in, by `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Csv,
    Xlsx,
}

pub(crate) const CSV_TYPE: &str = "text/csv";
pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl FileKind {
    /// From a `Content-Type` value; parameters such as `charset` are ignored.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            CSV_TYPE => Some(Self::Csv),
            XLSX_TYPE => Some(Self::Xlsx),
            _ => None,
        }
    }
}

/// A raw file body whose `Content-Type` is checked before the body is read.
pub(crate) struct Upload {
    pub kind: FileKind,
    pub bytes: Bytes,
}

impl<S> FromRequest<S> for Upload
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let kind = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(FileKind::from_content_type)
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    codes::UNSUPPORTED_MEDIA_TYPE,
                    format!("send the file with Content-Type {CSV_TYPE} or {XLSX_TYPE}"),
                )
            })?;
        let bytes =
            Bytes::from_request(req, state)
                .await
                .map_err(|rejection: BytesRejection| {
                    if body_stalled(&rejection) {
                        return body_timeout();
                    }
                    ApiError::rejection(
                        rejection.status(),
                        codes::INVALID_BODY,
                        rejection.body_text(),
                    )
                })?;
        Ok(Self { kind, bytes })
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
        assert_eq!(FileKind::from_content_type("text/csv"), Some(FileKind::Csv));
        assert_eq!(
            FileKind::from_content_type("Text/CSV; charset=utf-8"),
            Some(FileKind::Csv)
        );
        assert_eq!(FileKind::from_content_type(XLSX_TYPE), Some(FileKind::Xlsx));
        assert_eq!(FileKind::from_content_type("application/json"), None);
        assert_eq!(FileKind::from_content_type(""), None);
    }
}
