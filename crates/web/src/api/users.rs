//! Accounts (administrators).

use crate::AppState;
use crate::api::common::RoleName;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::extract::{ApiJson, PageParams, PageQuery, Paginated, QueryParams};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use checkpoint_app::{Account, NewAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An account as administrators see it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountBody {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: RoleName,
    pub team: Option<String>,
    pub disabled: bool,
}

impl From<Account> for AccountBody {
    fn from(account: Account) -> AccountBody {
        AccountBody {
            id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: account.role.into(),
            team: account.team,
            disabled: account.disabled,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Letters, digits, '.', '_' and '-'; 1 to 64 characters.
    #[schema(example = "nav.north.1")]
    pub username: String,
    #[schema(example = "Sam Navigator")]
    pub display_name: String,
    pub role: RoleName,
    /// Navigators see their own team's cases.
    #[serde(default)]
    #[schema(example = "north")]
    pub team: Option<String>,
    /// At least 12 characters.
    #[schema(format = Password)]
    pub password: String,
}

/// Every account, by username.
#[utoipa::path(
    get, path = "/users", tag = "admin",
    params(PageParams),
    responses((status = 200, description = "One page of accounts", body = Paginated<AccountBody>))
)]
pub async fn list_users(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Paginated<AccountBody>>> {
    let page = PageQuery::from_query(&query)?;
    let accounts = state.app.list_accounts(Some(&signed_in.actor)).await?;
    let bodies = accounts.into_iter().map(AccountBody::from).collect();
    Ok(Json(page.slice(bodies, "/api/v1/users")))
}

/// Create an account.
#[utoipa::path(
    post, path = "/users", tag = "admin",
    request_body = CreateUserRequest,
    responses((status = 201, description = "Created", body = AccountBody))
)]
pub async fn create_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<AccountBody>)> {
    let account = state
        .app
        .create_account(
            Some(&signed_in.actor),
            NewAccount {
                username: request.username,
                display_name: request.display_name,
                role: request.role.into(),
                team: request.team,
                password: request.password,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// Disable an account; its sessions stop working at once.
#[utoipa::path(
    post, path = "/users/{username}/disable", tag = "admin",
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, description = "Disabled", body = AccountBody))
)]
pub async fn disable_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
) -> ApiResult<Json<AccountBody>> {
    let account = state
        .app
        .set_account_disabled(Some(&signed_in.actor), &username, true)
        .await?;
    Ok(Json(account.into()))
}

/// Enable a disabled account again.
#[utoipa::path(
    post, path = "/users/{username}/enable", tag = "admin",
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, description = "Enabled", body = AccountBody))
)]
pub async fn enable_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
) -> ApiResult<Json<AccountBody>> {
    let account = state
        .app
        .set_account_disabled(Some(&signed_in.actor), &username, false)
        .await?;
    Ok(Json(account.into()))
}
