//! Who is calling: the session token from `Authorization: Bearer` or the session
//! cookie, the CSRF check of cookie-authenticated writes, and the password-change gate.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use cancuoc_app::{AppError, Caller};
use cancuoc_domain::Officer;

use crate::error::{ApiError, codes};
use crate::{AppState, CSRF_HEADER, SESSION_COOKIE};

/// How the token came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Bearer,
    Cookie,
}

/// A signed-in officer, who may still have to change their password. Only the
/// `/auth/*` endpoints take this; every other one takes [`Authenticated`].
pub(crate) struct SignedIn {
    pub officer: Officer,
    pub token: String,
    pub csrf_token: String,
    pub must_change_password: bool,
}

/// A signed-in officer free to use the register.
pub(crate) struct Authenticated {
    pub officer: Officer,
}

impl Authenticated {
    pub fn caller(&self) -> Caller {
        Caller::Officer(self.officer.clone())
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, via) = token_of(&parts.headers)?;
        let (officer, must_change_password, csrf_token) = state.app.authenticate(&token).await?;
        if via == Via::Cookie && changes_state(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !same_bytes(sent, csrf_token.as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    codes::INVALID_CSRF_TOKEN,
                    "a request signed in by cookie that changes something needs the X-CSRF-Token header of its session",
                ));
            }
        }
        Ok(Self {
            officer,
            token,
            csrf_token,
            must_change_password,
        })
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.must_change_password {
            return Err(AppError::PasswordChangeRequired.into());
        }
        Ok(Self {
            officer: signed_in.officer,
        })
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The token of a request: a bearer token when an `Authorization` header is present
/// (and then only that), else the session cookie.
fn token_of(headers: &HeaderMap) -> Result<(String, Via), ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        return Ok((token.to_owned(), Via::Bearer));
    }
    session_cookie(headers)
        .map(|t| (t, Via::Cookie))
        .ok_or_else(|| AppError::Unauthenticated.into())
}

/// The value of the session cookie, from any `Cookie` header.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// The sign-in form's token cookie: only the form this server rendered for this browser
/// may sign it in (login CSRF). The cookie is SameSite=Strict, so another site's post
/// never carries it.
pub(crate) const LOGIN_COOKIE: &str = "cancuoc_login";

pub(crate) fn login_cookie_header(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/dang-nhap; HttpOnly; SameSite=Strict{secure}")
}

/// Forgets the sign-in form's token once it has served: the next form gets a new one.
pub(crate) fn login_cookie_clear_header(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}=; Path=/dang-nhap; Max-Age=0; HttpOnly; SameSite=Strict{secure}")
}

/// A cookie's value by name.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, value)| *n == name && !value.is_empty())
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Set-Cookie` value that opens a session: HttpOnly, SameSite=Strict, whole site,
/// gone when the browser closes (the server expires the session on its own).
pub(crate) fn session_cookie_header(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie_header(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let h = headers(&[
            (header::AUTHORIZATION, "Bearer abc"),
            (header::COOKIE, "cancuoc_session=def"),
        ]);
        assert_eq!(token_of(&h).unwrap(), ("abc".to_owned(), Via::Bearer));
    }

    #[test]
    fn cookie_among_others() {
        let h = headers(&[
            (header::COOKIE, "theme=dark"),
            (header::COOKIE, "lang=vi; cancuoc_session=def; x=y"),
        ]);
        assert_eq!(token_of(&h).unwrap(), ("def".to_owned(), Via::Cookie));
    }

    #[test]
    fn malformed_authorization_is_refused() {
        for value in ["Basic abc", "Bearer", "Bearer   ", "abc"] {
            let h = headers(&[(header::AUTHORIZATION, value)]);
            assert!(token_of(&h).is_err(), "{value}");
        }
        assert!(token_of(&HeaderMap::new()).is_err());
    }

    #[test]
    fn cookie_attributes() {
        let c = session_cookie_header("t0k", true);
        assert_eq!(
            c,
            "cancuoc_session=t0k; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!session_cookie_header("t0k", false).contains("Secure"));
        assert!(clear_cookie_header(true).contains("Max-Age=0"));
    }

    #[test]
    fn secrets_compare() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(!same_bytes(b"", b"a"));
    }
}
