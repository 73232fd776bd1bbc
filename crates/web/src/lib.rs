//! Checkpoint over HTTP. The only crate that knows HTTP, JSON shapes for clients and (later)
//! HTML; everything a user does goes through [`checkpoint_app::App`], so permission checks and
//! audit rows cannot be skipped from here.
//!
//! Layout:
//! - [`api`]: the JSON API under `/api/v1`, one module per area, each handler documented with
//!   `#[utoipa::path]` and registered through `utoipa_axum::routes!` so the router and the
//!   OpenAPI document (`/api/openapi.json`) are built from the same list;
//! - [`error`]: [`ApiError`], the one error type, rendered as RFC 9457 problem details;
//! - [`extract`]: extractors that name the failing input (JSON path, query parameter, header);
//! - [`auth`]: the signed-in caller from a bearer token or the session cookie;
//! - [`client`]: the client's address and whether it came over HTTPS (trusted proxy or not);
//! - [`views`]: HTML pages (askama) and htmx partials over the same [`AppState`].

pub mod api;
pub mod auth;
pub mod client;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod views;

pub use error::{ApiError, ApiResult, Problem};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use checkpoint_app::App;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Largest request body accepted. A referral is a few kilobytes; this leaves room for a
/// contract with long notes while refusing accidental uploads.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// The path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// Settings of the HTTP adapter (the use cases' settings live in [`checkpoint_app::Settings`]).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark the session cookie `Secure`: set when clients reach Checkpoint over TLS (usually
    /// through a reverse proxy), so browsers never send the cookie in clear text.
    pub secure_cookies: bool,
    /// Checkpoint runs behind a reverse proxy we trust: take the client's address from the
    /// right-most `X-Forwarded-For` entry (sign-in throttling) and treat
    /// `X-Forwarded-Proto: https` as TLS (`Secure` cookies). Off, both headers are ignored,
    /// since any client could send them.
    pub trust_proxy: bool,
}

/// The Content-Security-Policy of every response: scripts (the vendored htmx) and styles
/// only from this server, nothing inline, no `eval`, no framing by any site, forms posting
/// only here. JSON and assets get it too: it costs nothing and covers a response a browser
/// is tricked into rendering.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; \
     form-action 'self'; base-uri 'none'";

/// `Referrer-Policy`: URLs hold case ids and search terms; never send them to another site.
pub const REFERRER_POLICY: &str = "same-origin";

/// What every handler receives: the application and the adapter's settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
}

/// The whole HTTP surface: the JSON API, the OpenAPI document, problem-details fallbacks,
/// the body limit, security headers and request tracing.
///
/// Security headers, on every response (pages, API, assets, errors) unless a handler set its
/// own: `Content-Security-Policy` ([`CONTENT_SECURITY_POLICY`]), `X-Frame-Options: DENY`,
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
/// `Cross-Origin-Opener-Policy: same-origin`, and `Cache-Control: no-store` (responses carry
/// personal data; the versioned assets set their own caching).
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState {
        app,
        config: Arc::new(config),
    };
    let (api, document) = api::router_and_document();
    // The HTML pages and their assets sit beside the API on the same state.
    let api = api.merge(views::router());
    // Serialised once: the document is a few hundred kilobytes and never changes at run time.
    let document: Arc<[u8]> = serde_json::to_vec_pretty(&document)
        .unwrap_or_default()
        .into();
    api.route(
        OPENAPI_PATH,
        get(move || {
            let document = Arc::clone(&document);
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    document.to_vec(),
                )
            }
        }),
    )
    // Unknown API paths answer problem details; anything else is a page a person typed.
    .fallback(views::fallback)
    .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
    .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
    // Responses carry personal data: never cache them, never let a browser sniff types.
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
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
        HeaderValue::from_static(REFERRER_POLICY),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ))
    .layer(
        TraceLayer::new_for_http()
            // Log the route template, never the concrete URI: query strings of searches
            // hold names and dates of birth.
            .make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(unmatched)", MatchedPath::as_str);
                tracing::info_span!("http", method = %request.method(), route)
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO))
            .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
    )
    .with_state(state)
}

/// The OpenAPI 3.1 document the server publishes at [`OPENAPI_PATH`], as JSON.
pub fn openapi_document() -> serde_json::Value {
    api::router_and_document().1
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the requests in
/// flight and returns. Each request knows its TCP peer (see [`client::ClientAddress`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
