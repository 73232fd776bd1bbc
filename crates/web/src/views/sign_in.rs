//! Sign in and sign out. The sign-in form has no session to derive a CSRF token from, so it
//! uses a random double-submit token: the same value in a short-lived SameSite=Strict cookie
//! and in a hidden field; a page on another site can set neither.
//!
//! Failed sign-ins are throttled per username and per client address
//! ([`checkpoint_app::auth`]): a throttled attempt gets the form again with status 429,
//! `Retry-After` and a message saying how long to wait.

use super::form::Form;
use super::layout::Chrome;
use super::session::{
    CSRF_FIELD, Posted, SIGN_IN_COOKIE, cookie, csrf_token_for, same_origin, tokens_match,
};
use super::{ViewError, home_path, render, see_other};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, cleared_cookie, session_cookie};
use crate::client::{ClientAddress, secure_request};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkpoint_app::AppError;
use checkpoint_app::auth::SignInError;
use rand::RngCore;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    form: Form,
    token: String,
    reload_href: &'static str,
}

fn new_form_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn form_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SIGN_IN_COOKIE}={token}; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn sign_in_page(state: &AppState, headers: &HeaderMap, status: StatusCode, form: Form) -> Response {
    let token = new_form_token();
    let page = SignInPage {
        chrome: Chrome::anonymous(),
        form,
        token: token.clone(),
        reload_href: "/sign-in",
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        form_cookie(&token, secure_request(headers, &state.config)),
    );
    response
}

/// `GET /sign-in`: the form (or straight home when a session is live).
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Ok(actor) = state.app.authenticate(&token).await
    {
        return see_other(home_path(actor.role));
    }
    sign_in_page(&state, &headers, StatusCode::OK, Form::blank())
}

/// `POST /sign-in`: check the double-submit token, then the password.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ViewError> {
    let fields = Posted::from_body(&body);
    let given = raw_field(&body, CSRF_FIELD);
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !same_origin(&headers) || expected.is_empty() || !tokens_match(&expected, &given) {
        return Err(ViewError::ForgedForm);
    }
    let username = fields.get("username").to_owned();
    let password = fields.get("password").to_owned();
    let mut form = Form::with_values(Posted::new(vec![("username".into(), username.clone())]));
    if username.is_empty() {
        form.problem("username", "Enter your username");
    }
    if password.is_empty() {
        form.problem("password", "Enter your password");
    }
    if form.has_problems() {
        return Ok(sign_in_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
        ));
    }
    let secure = secure_request(&headers, &state.config);
    let attempt = state
        .app
        .sign_in_from(&username, &password, client.key().as_deref())
        .await;
    match attempt {
        Ok(session) => {
            let max_age = session
                .expires_at
                .duration_since(state.app.clock().now())
                .as_secs();
            let mut response = see_other(home_path(session.actor.role));
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                session_cookie(&session.token, max_age, secure),
            );
            headers.append(header::SET_COOKIE, form_cookie("", secure));
            Ok(response)
        }
        Err(SignInError::App(AppError::Unauthenticated)) => {
            form.problem(
                "username",
                "The username or password is not right, or the account is disabled",
            );
            Ok(sign_in_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                form,
            ))
        }
        Err(SignInError::Throttled(throttled)) => {
            form.problem("username", throttled.message());
            let mut response = sign_in_page(&state, &headers, StatusCode::TOO_MANY_REQUESTS, form);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(throttled.retry_after_seconds),
            );
            Ok(response)
        }
        Err(SignInError::App(e)) => Err(e.into()),
    }
}

/// The raw value of one field (the token is dropped from [`Posted`] on purpose).
fn raw_field(body: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// `POST /sign-out`: ends the session (the form carries the session's CSRF token, so another
/// site cannot sign people out either).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ViewError> {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(see_other("/sign-in"));
    };
    if !same_origin(&headers)
        || !tokens_match(&csrf_token_for(&token), &raw_field(&body, CSRF_FIELD))
    {
        return Err(ViewError::ForgedForm);
    }
    state.app.sign_out(&token).await?;
    let mut response = see_other("/sign-in");
    response.headers_mut().append(
        header::SET_COOKIE,
        cleared_cookie(secure_request(&headers, &state.config)),
    );
    Ok(response.into_response())
}
