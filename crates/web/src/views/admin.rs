//! Administration: users and roles (list, add, disable, enable) and the policies in force
//! with their effective dates. Admins see no case data (the permission table says so).

use super::form::{Form, parse_enum};
use super::layout::Chrome;
use super::pager::{self, Pager};
use super::session::{FormPost, Posted, Viewer};
use super::{OrPage, ViewError, long_date, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::{AppError, NewAccount, Role};
use serde::Deserialize;

const PAGE_SIZE: usize = 25;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: String,
    pub team: String,
    pub disabled: bool,
    /// The signed-in admin's own account (which they cannot disable).
    pub is_you: bool,
    /// The disable button's id, which a refusal's message links to.
    pub button_id: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    query: String,
    pager: Pager,
    form: Form,
    reload_href: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub page: Option<usize>,
}

async fn users_response(
    state: &AppState,
    viewer: &Viewer,
    query: &UsersQuery,
    status: StatusCode,
    form: Form,
) -> Result<Response, ViewError> {
    let accounts = state
        .app
        .list_accounts(Some(&viewer.actor))
        .await
        .or_page(viewer)?;
    let (typed, needle) = pager::needle(query.q.as_deref());
    let matching: Vec<_> = accounts
        .iter()
        .filter(|a| {
            pager::matches(
                &needle,
                &[
                    &a.username,
                    &a.display_name,
                    a.team.as_deref().unwrap_or(""),
                    a.role.label(),
                ],
            )
        })
        .collect();
    let pager = Pager::new(
        matching.len(),
        PAGE_SIZE,
        query.page.unwrap_or(1),
        "accounts",
        |n| {
            pager::href(
                "/admin/users",
                &[
                    ("q", typed.clone()),
                    ("page", if n > 1 { n.to_string() } else { String::new() }),
                ],
                "",
            )
        },
    );
    let page_view = UsersPage {
        chrome: Chrome::for_viewer(viewer, "/admin/users"),
        rows: pager
            .slice(&matching)
            .iter()
            .map(|a| UserRow {
                username: a.username.clone(),
                name: a.display_name.clone(),
                role: a.role.label().to_owned(),
                team: a.team.clone().unwrap_or_default(),
                disabled: a.disabled,
                is_you: a.id == viewer.actor.user_id,
                button_id: super::form::field_id(&format!("disable.{}", a.username)),
            })
            .collect(),
        query: typed,
        pager,
        form,
        reload_href: "/admin/users",
    };
    Ok(render(status, &page_view))
}

/// `GET /admin/users?q=&page=`.
pub async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<UsersQuery>,
) -> Result<Response, ViewError> {
    users_response(&state, &viewer, &query, StatusCode::OK, Form::blank()).await
}

/// `POST /admin/users`: add an account.
pub async fn add_user(
    State(state): State<AppState>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let role: Option<Role> = parse_enum(values.get("role"));
    let result = match role {
        None => Err(AppError::invalid("role", "choose a role")),
        Some(role) => {
            state
                .app
                .create_account(
                    Some(&viewer.actor),
                    NewAccount {
                        username: values.get("username").to_owned(),
                        display_name: values.get("display_name").to_owned(),
                        role,
                        team: Some(values.get("team").to_owned()).filter(|t| !t.is_empty()),
                        password: values.get("password").to_owned(),
                    },
                )
                .await
        }
    };
    match result {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(error) => {
            // Never echo a password back into the page.
            let kept: Vec<(String, String)> = ["username", "display_name", "role", "team"]
                .iter()
                .map(|n| ((*n).to_owned(), values.get(n).to_owned()))
                .collect();
            let mut form = Form::with_values(Posted::new(kept));
            form.absorb(error, str::to_owned).or_page(&viewer)?;
            users_response(
                &state,
                &viewer,
                &UsersQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            )
            .await
        }
    }
}

/// `POST /admin/users/{username}/disable` or `/enable`.
pub async fn set_disabled(
    State(state): State<AppState>,
    Path((username, action)): Path<(String, String)>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let viewer = post.viewer;
    let disabled = match action.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return Err(AppError::NotFound { what: "page" }).or_page(&viewer),
    };
    match state
        .app
        .set_account_disabled(Some(&viewer.actor), &username, disabled)
        .await
    {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(error) => {
            // A refusal (your own account) is shown on the users page, beside the account.
            let mut form = Form::blank();
            let field = format!("disable.{username}");
            form.absorb(error, |_| field.clone()).or_page(&viewer)?;
            let query = UsersQuery {
                q: Some(username),
                page: None,
            };
            users_response(
                &state,
                &viewer,
                &query,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            )
            .await
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub version: u32,
    pub force: String,
    pub from: String,
    pub to: String,
    pub in_force: bool,
    pub hash: String,
    pub criteria: usize,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    rows: Vec<PolicyRow>,
    today: String,
}

/// `GET /policies`: every policy version with its effective dates (anyone signed in).
pub async fn policies(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, ViewError> {
    checkpoint_app::permissions::authorise(&viewer.actor, checkpoint_app::Action::ViewPolicies)
        .or_page(&viewer)?;
    let today = state.app.clock().today();
    let mut rows: Vec<PolicyRow> = state
        .app
        .policies()
        .all()
        .iter()
        .map(|p| PolicyRow {
            id: p.id().to_owned(),
            name: p.name().to_owned(),
            version: p.version(),
            force: p.force().to_owned(),
            from: long_date(&p.effective_from()),
            to: p
                .effective_to()
                .map_or_else(|| "open-ended".to_owned(), |d| long_date(&d)),
            in_force: p.in_force_on(today),
            hash: p.content_hash().to_owned(),
            criteria: p.criteria().len(),
        })
        .collect();
    rows.sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
    let page = PoliciesPage {
        chrome: Chrome::for_viewer(&viewer, "/policies"),
        rows,
        today: long_date(&today),
    };
    Ok(render(StatusCode::OK, &page))
}
