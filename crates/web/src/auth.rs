//! Who is calling: the session token from `Authorization: Bearer TOKEN` (API clients) or the
//! `checkpoint_session` cookie (the browser UI), resolved to an [`Actor`] by
//! [`App::authenticate`](checkpoint_app::App::authenticate). Handlers that take a
//! [`SignedIn`] answer 401 to anonymous requests before any other work.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use checkpoint_app::{Actor, AppError};

/// The cookie that carries the session token for the HTML UI.
pub const SESSION_COOKIE: &str = "checkpoint_session";

/// A signed-in caller and the token they used (to sign out with).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, from_cookie) = match bearer_token(&parts.headers) {
            Some(token) => (token, false),
            None => (
                cookie_token(&parts.headers).ok_or(AppError::Unauthenticated)?,
                true,
            ),
        };
        // Browsers attach cookies to cross-site requests; refuse those for anything that
        // changes data (SameSite=Lax already blocks most; this covers old browsers' gaps).
        if from_cookie && !is_safe(&parts.method) && is_cross_site(&parts.headers) {
            return Err(AppError::Unauthenticated.into());
        }
        let actor = state.app.authenticate(&token).await?;
        Ok(SignedIn { actor, token })
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly so scripts cannot read it, SameSite=Lax so other
/// sites' forms do not send it, Secure when the deployment is behind TLS.
pub fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    session_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer_token(&headers).as_deref(), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; checkpoint_session=tok; x=y"),
        );
        assert_eq!(cookie_token(&headers).as_deref(), Some("tok"));
    }

    #[test]
    fn session_cookie_is_http_only_and_lax() {
        let cookie = session_cookie("t", 60, true);
        let text = cookie.to_str().unwrap();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Lax"));
        assert!(text.ends_with("; Secure"));
        assert!(
            !session_cookie("t", 60, false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
