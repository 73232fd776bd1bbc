//! The HTML user interface: server-rendered pages (askama templates in `templates/`) that work
//! without JavaScript; htmx, served from `/static`, only swaps parts of pages in place.
//!
//! Layout (kanidm's split of full pages and `partials/` for htmx swaps):
//! - [`session`]: the signed-in [`session::Viewer`], CSRF tokens, origin checks, posted forms;
//! - [`form`]: values and errors as a template shows them (GOV.UK error summary);
//! - [`layout`]: the chrome every page shares (who is signed in, navigation for the role);
//! - one module per area: [`sign_in`], [`custody`] (referral and decision pages), [`cases`]
//!   (the case page and its actions), [`caseload`] (navigators), [`supervisor`], [`linkage`]
//!   (the clerical review queue of arrests), [`people`], [`overview`], [`admin`].
//!
//! Every page and action goes through [`checkpoint_app::App`], so the permission table and the
//! audit log apply exactly as they do to the API.

pub mod admin;
pub mod caseload;
pub mod cases;
pub mod choices;
pub mod custody;
pub mod form;
pub mod layout;
pub mod linkage;
pub mod overview;
pub mod pager;
pub mod people;
pub mod reports;
pub mod session;
pub mod sign_in;
pub mod supervisor;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use checkpoint_app::{AppError, Role};
use layout::Chrome;
use session::Viewer;
use tower_http::set_header::SetResponseHeaderLayer;

/// The vendored htmx (npm `htmx.org`, 2.x, minified, BSD-0 licence). The version is in the
/// file name so browsers may cache it for ever.
pub const HTMX_PATH: &str = "/static/htmx-2.0.11.min.js";
const HTMX_JS: &[u8] = include_bytes!("../../static/htmx-2.0.11.min.js");
pub const CSS_PATH: &str = "/static/checkpoint.css";
const CSS: &str = include_str!("../../static/checkpoint.css");

/// Scripts and styles only from this server; no frames; forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Every page and form action of the HTML interface.
pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/referrals/new", get(custody::new_referral))
        .route("/referrals", post(custody::submit_referral))
        .route("/cases/{case_id}/decision", get(custody::decision_page))
        .route(
            "/cases/{case_id}/screening",
            post(custody::record_screening),
        )
        .route("/cases/{case_id}/allocation", post(custody::allocate))
        .route("/cases/{case_id}/offer", post(custody::make_offer))
        .route("/cases/{case_id}/consent", post(custody::record_consent))
        .route(
            "/cases/{case_id}/countersignature",
            post(custody::countersign),
        )
        .route("/cases/{case_id}", get(cases::case_page))
        .route("/cases/{case_id}/{action}", post(cases::case_action))
        .route(
            "/cases/{case_id}/{item}/{item_id}/{action}",
            post(cases::item_action),
        )
        .route("/caseload", get(caseload::dashboard))
        .route(
            "/caseload/appointments/{appointment_id}/attendance",
            post(caseload::quick_attendance),
        )
        .route("/supervisor", get(supervisor::queue))
        .route("/supervisor/handover", post(supervisor::hand_over))
        .route(linkage::QUEUE_PATH, get(linkage::queue))
        .route("/linkage/reviews/{arrest_id}", get(linkage::pair))
        .route(
            "/linkage/reviews/{arrest_id}/decision",
            post(linkage::decide),
        )
        .route("/linkage/model/refit", post(linkage::refit))
        .route("/people", get(people::search))
        .route("/people/{person_id}", get(people::person))
        .route("/overview", get(overview::overview))
        .route("/reports", get(reports::index))
        .route("/reports/{name}", get(reports::report_page))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route(
            "/admin/users/{username}/{action}",
            post(admin::set_disabled),
        )
        .route("/policies", get(admin::policies))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    let assets = Router::new()
        .route(
            HTMX_PATH,
            get(|| async { asset("text/javascript", HTMX_JS) }),
        )
        .route(
            CSS_PATH,
            get(|| async { asset("text/css; charset=utf-8", CSS.as_bytes()) }),
        );
    pages.merge(assets)
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// Each role's first page.
pub fn home_path(role: Role) -> &'static str {
    match role {
        Role::CustodyOfficer => "/referrals/new",
        Role::Navigator => "/caseload",
        Role::Supervisor => "/supervisor",
        Role::Analyst => "/overview",
        Role::Admin => "/admin/users",
    }
}

async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(home_path(viewer.actor.role))
}

/// Unknown paths: problem details under `/api`, a "page not found" page elsewhere.
pub async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api") {
        return crate::ApiError::NoRoute.into_response();
    }
    ViewError::Bare(AppError::NotFound { what: "page" }).into_response()
}

/// Renders a template with a status; a template that fails to render is a bug, logged and
/// answered with a plain 500.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A 303 to `to`: after a successful post the browser fetches the result page with GET, so
/// reloading it never resubmits the form.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum ViewError {
    /// No live session: go to the sign-in page.
    SignInFirst,
    /// A post without a valid CSRF token, or from another site.
    ForgedForm,
    /// A use case refused, shown inside the viewer's chrome.
    App {
        chrome: Box<Chrome>,
        error: AppError,
    },
    /// A use case refused before the viewer was known.
    Bare(AppError),
}

impl From<AppError> for ViewError {
    fn from(error: AppError) -> ViewError {
        match error {
            AppError::Unauthenticated => ViewError::SignInFirst,
            other => ViewError::Bare(other),
        }
    }
}

/// `result.or_page(&viewer)?`: a use-case error becomes an error page in the viewer's chrome.
pub trait OrPage<T> {
    fn or_page(self, viewer: &Viewer) -> Result<T, ViewError>;
}

impl<T> OrPage<T> for Result<T, AppError> {
    fn or_page(self, viewer: &Viewer) -> Result<T, ViewError> {
        self.map_err(|error| match error {
            AppError::Unauthenticated => ViewError::SignInFirst,
            error => ViewError::App {
                chrome: Box::new(Chrome::for_viewer(viewer, "")),
                error,
            },
        })
    }
}

impl IntoResponse for ViewError {
    fn into_response(self) -> Response {
        let (chrome, error) = match self {
            ViewError::SignInFirst => return see_other("/sign-in"),
            ViewError::ForgedForm => {
                let page = ErrorPage {
                    chrome: Chrome::anonymous(),
                    title: "This form could not be accepted".into(),
                    message: "The form had expired or was sent from another site. Go back, \
                              reload the page and try again."
                        .into(),
                };
                return render(StatusCode::FORBIDDEN, &page);
            }
            ViewError::App { chrome, error } => (*chrome, error),
            ViewError::Bare(error) => (Chrome::anonymous(), error),
        };
        let (status, title, message) = match &error {
            AppError::Unauthenticated => return see_other("/sign-in"),
            AppError::Forbidden { .. } => (
                StatusCode::FORBIDDEN,
                "You do not have access to this page",
                "Your role does not allow this. If you think it should, ask your supervisor."
                    .to_owned(),
            ),
            AppError::NotFound { what } => (
                StatusCode::NOT_FOUND,
                "Page not found",
                format!(
                    "There is no {what} here that you can see. Check the address or search again."
                ),
            ),
            AppError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "There is a problem",
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Conflict { .. } => (
                StatusCode::CONFLICT,
                "Someone else changed this case",
                "Someone else changed this case while you were looking at it. Go back, reload \
                 the case and try again."
                    .to_owned(),
            ),
            AppError::IllegalTransition(e) => (
                StatusCode::CONFLICT,
                "This step is not possible now",
                e.to_string(),
            ),
            AppError::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error behind a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    "Try again later.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            chrome,
            title: title.to_owned(),
            message,
        };
        render(status, &page)
    }
}

/// Dates as people read them: "4 March 2026".
pub fn long_date(date: &jiff::civil::Date) -> String {
    date.strftime("%-d %B %Y").to_string()
}

/// Instants in London time: "4 Mar 2026, 10:00".
pub fn london_time(at: &jiff::Timestamp) -> String {
    match jiff::tz::TimeZone::get("Europe/London") {
        Ok(tz) => at.to_zoned(tz).strftime("%-d %b %Y, %H:%M").to_string(),
        Err(_) => at.strftime("%-d %b %Y, %H:%M UTC").to_string(),
    }
}

/// "in 12 days", "today", "3 days ago".
pub fn days_in_words(days: i32) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        -1 => "yesterday".to_owned(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

/// Snake-case wire names as words: `non_compliance_review` → "non compliance review".
pub fn words(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}
