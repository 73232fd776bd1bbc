//! Signing in and out, and `GET /me`. Sign-ins are throttled per username and per client
//! address ([`checkpoint_app::auth`]); a throttled attempt answers 429 with `Retry-After`.

use crate::api::common::UserBody;
use crate::auth::{SignedIn, cleared_cookie, session_cookie};
use crate::client::{ClientAddress, secure_request};
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::{AppState, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkpoint_app::auth::{SignInError, Throttled};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(example = "custody.sgt")]
    pub username: String,
    #[schema(example = "correct horse battery staple", format = Password)]
    pub password: String,
}

/// A new session. Send `token` as `Authorization: Bearer TOKEN`; browsers also get it in the
/// `checkpoint_session` cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    pub token: String,
    pub expires_at: jiff::Timestamp,
    pub user: UserBody,
}

/// Sign in with a username and password. A wrong username and a wrong password get the same
/// 401, so accounts cannot be discovered. After 5 failures for one username, or 20 from one
/// address, within 15 minutes, attempts answer 429 (even with the right password) until
/// `Retry-After` seconds have passed.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    security(()),
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SessionBody,
         headers(("Set-Cookie" = String, description = "checkpoint_session=TOKEN; HttpOnly; SameSite=Lax"))),
        (status = 401, description = "Wrong username or password, or the account is disabled",
         body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this username or from this address",
         body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignInRequest>,
) -> ApiResult<Response> {
    let attempt = state
        .app
        .sign_in_from(
            &request.username,
            &request.password,
            client.key().as_deref(),
        )
        .await;
    let session = match attempt {
        Ok(session) => session,
        Err(SignInError::Throttled(throttled)) => return Ok(too_many_attempts(throttled)),
        Err(SignInError::App(e)) => return Err(e.into()),
    };
    let max_age = session
        .expires_at
        .duration_since(state.app.clock().now())
        .as_secs()
        .max(0);
    let secure = secure_request(&headers, &state.config);
    let cookie = session_cookie(&session.token, max_age, secure);
    tracing::info!(user = %session.actor.user_id, "signed in");
    let body = SessionBody {
        user: UserBody::from(&session.actor),
        token: session.token,
        expires_at: session.expires_at,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        Json(body),
    )
        .into_response())
}

/// 429 problem details with `Retry-After`.
pub fn too_many_attempts(throttled: Throttled) -> Response {
    let problem = Problem {
        problem_type: "urn:checkpoint:problem:too-many-attempts",
        title: "Too many failed sign-ins",
        status: StatusCode::TOO_MANY_REQUESTS.as_u16(),
        detail: throttled.message(),
        errors: Vec::new(),
        current_version: None,
        state: None,
        allowed: None,
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(problem)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(throttled.retry_after_seconds),
    );
    response
}

/// Sign out: the token stops working at once, and the cookie is cleared.
#[utoipa::path(
    delete, path = "/sessions/current", tag = "sessions",
    responses((status = 204, description = "Signed out"))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed_in: SignedIn,
) -> ApiResult<Response> {
    state.app.sign_out(&signed_in.token).await?;
    let cookie = cleared_cookie(secure_request(&headers, &state.config));
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Who the token belongs to.
#[utoipa::path(
    get, path = "/me", tag = "sessions",
    responses((status = 200, description = "The signed-in user", body = UserBody))
)]
pub async fn me(signed_in: SignedIn) -> Json<UserBody> {
    Json(UserBody::from(&signed_in.actor))
}
