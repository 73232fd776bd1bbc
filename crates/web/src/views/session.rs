//! Who is looking at a page, and whether a form post is genuine.
//!
//! - The session is the `checkpoint_session` cookie (HttpOnly, SameSite=Lax; see
//!   [`crate::auth::session_cookie`]) holding the opaque token [`App::sign_in`] returned.
//! - Every form carries a CSRF token in the hidden field [`CSRF_FIELD`]. For a signed-in user
//!   it is derived from the session token (SHA-256 with a domain prefix): per session, never
//!   stored, and unguessable without the HttpOnly cookie. The sign-in form, which has no
//!   session yet, uses a random double-submit token in its own short-lived cookie.
//! - On top of the token, a post whose `Sec-Fetch-Site` says another site sent it, or whose
//!   `Origin` is not this host, is refused before the body is read.
//!
//! [`App::sign_in`]: checkpoint_app::App::sign_in

use super::ViewError;
use crate::AppState;
use crate::auth::SESSION_COOKIE;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use checkpoint_app::{Actor, AppError};
use sha2::{Digest, Sha256};

/// The hidden field every form posts its CSRF token in.
pub const CSRF_FIELD: &str = "_csrf";

/// The cookie holding the sign-in form's double-submit token.
pub const SIGN_IN_COOKIE: &str = "checkpoint_sign_in";

/// The signed-in user looking at a page, and the CSRF token their forms must carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub token: String,
    pub csrf: String,
}

/// The CSRF token of a session: a one-way function of the secret session token, so it is
/// per session, needs no storage and cannot be computed by a page that cannot read the cookie.
pub fn csrf_token_for(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"checkpoint-csrf\0");
    hasher.update(session_token.as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares two tokens in time independent of where they differ.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// False when the browser says another site sent this request. Browsers send
/// `Sec-Fetch-Site` on every request; older ones send only `Origin` on posts. A request with
/// neither (a script, a test client) has no cookie-riding risk to guard against here and
/// still needs the form token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    origin_host == Some(host)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ViewError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ViewError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ViewError::SignInFirst)?;
        let actor = match state.app.authenticate(&token).await {
            Ok(actor) => actor,
            Err(AppError::Unauthenticated) => return Err(ViewError::SignInFirst),
            Err(e) => return Err(e.into()),
        };
        let csrf = csrf_token_for(&token);
        Ok(Viewer { actor, token, csrf })
    }
}

/// A submitted form's fields in order, repeated names kept (checkbox groups).
#[derive(Debug, Clone, Default)]
pub struct Posted {
    fields: Vec<(String, String)>,
}

impl Posted {
    pub fn new(fields: Vec<(String, String)>) -> Posted {
        Posted { fields }
    }

    pub fn from_body(body: &[u8]) -> Posted {
        Posted::new(
            serde_urlencoded_pairs(body)
                .into_iter()
                .filter(|(name, _)| name != CSRF_FIELD)
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name` (checkbox groups).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.fields.iter().any(|(n, v)| n == name && v == value)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.fields
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Sets `name` to `value` unless the user already gave one (defaults for a blank form).
    pub fn default_value(&mut self, name: &str, value: impl Into<String>) {
        if !self.fields.iter().any(|(n, _)| n == name) {
            self.fields.push((name.to_owned(), value.into()));
        }
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.to_owned(), value.into()));
    }
}

/// `application/x-www-form-urlencoded` → pairs. Written out because the format is three
/// rules and a dependency would be larger than this.
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => {
                let hex = std::str::from_utf8(&input[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A form post by a signed-in user whose origin and CSRF token checked out.
#[derive(Debug)]
pub struct FormPost {
    pub viewer: Viewer,
    pub form: Posted,
    /// Sent by htmx: answer with a partial instead of a whole page or a redirect.
    pub htmx: bool,
}

impl FromRequest<AppState> for FormPost {
    type Rejection = ViewError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ViewError> {
        let (mut parts, body) = request.into_parts();
        if !same_origin(&parts.headers) {
            return Err(ViewError::ForgedForm);
        }
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let htmx = parts.headers.contains_key("hx-request");
        let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT_BYTES)
            .await
            .map_err(|_| ViewError::ForgedForm)?;
        let pairs = serde_urlencoded_pairs(&bytes);
        let given = pairs
            .iter()
            .find(|(n, _)| n == CSRF_FIELD)
            .map_or("", |(_, v)| v.as_str());
        if !tokens_match(&viewer.csrf, given) {
            return Err(ViewError::ForgedForm);
        }
        Ok(FormPost {
            viewer,
            form: Posted::from_body(&bytes),
            htmx,
        })
    }
}

/// Whether a request came from htmx (it then wants a fragment, not a page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn forms_decode_with_repeats_and_escapes() {
        let posted = Posted::from_body(b"a=1&v=x&v=y+z&name=O%27Brien&_csrf=t&e=");
        assert_eq!(posted.get("a"), "1");
        assert_eq!(posted.all("v"), ["x", "y z"]);
        assert_eq!(posted.get("name"), "O'Brien");
        assert_eq!(posted.get("_csrf"), "", "the token is not a field");
        assert_eq!(posted.get("missing"), "");
        assert_eq!(percent_decode(b"100%"), "100%");
        assert_eq!(percent_decode(b"%C3%A9"), "é");
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_exactly() {
        let a = csrf_token_for("session-a");
        assert_ne!(a, csrf_token_for("session-b"));
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, ""));
        assert!(!tokens_match(&a, &a[1..]));
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers));
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://evil.test"));
        assert!(!same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers));
    }
}
