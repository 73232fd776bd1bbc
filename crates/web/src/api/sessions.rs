//! Signing in and out, and `GET /me`.

use crate::AppState;
use crate::api::common::UserBody;
use crate::auth::{SignedIn, cleared_cookie, session_cookie};
use crate::error::ApiResult;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
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
/// 401, so accounts cannot be discovered.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    security(()),
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SessionBody,
         headers(("Set-Cookie" = String, description = "checkpoint_session=TOKEN; HttpOnly; SameSite=Lax"))),
        (status = 401, description = "Wrong username or password, or the account is disabled",
         body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SignInRequest>,
) -> ApiResult<Response> {
    let session = state
        .app
        .sign_in(&request.username, &request.password)
        .await?;
    let max_age = session
        .expires_at
        .duration_since(state.app.clock().now())
        .as_secs()
        .max(0);
    let cookie = session_cookie(&session.token, max_age, state.config.secure_cookies);
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

/// Sign out: the token stops working at once, and the cookie is cleared.
#[utoipa::path(
    delete, path = "/sessions/current", tag = "sessions",
    responses((status = 204, description = "Signed out"))
)]
pub async fn sign_out(State(state): State<AppState>, signed_in: SignedIn) -> ApiResult<Response> {
    state.app.sign_out(&signed_in.token).await?;
    let cookie = cleared_cookie(state.config.secure_cookies);
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
