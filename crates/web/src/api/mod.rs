//! The JSON API under `/api/v1`. Each module holds one area's handlers and the request and
//! response bodies (DTOs) clients see; DTOs carry the `ToSchema` derives so the domain stays
//! free of HTTP concerns. Every handler is registered with `routes!`, which adds it to the
//! router and to the OpenAPI document at once, so neither can forget the other.

pub mod common;
pub mod policies;
pub mod reports;
pub mod sessions;
pub mod users;

use crate::AppState;
use crate::openapi::{ApiDoc, SharedResponses};
use axum::Router;
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The prefix of every API route.
pub const PREFIX: &str = "/api/v1";

/// Every API route, with its documentation.
pub fn openapi_router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::sign_out))
        .routes(routes!(sessions::me))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(policies::list_policies))
        .routes(routes!(policies::get_policy))
        // Evaluation
        .routes(routes!(reports::get_report));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(PREFIX, v1)
}

/// The API router and its finished OpenAPI document, built from the same route list.
pub fn router_and_document() -> (Router<AppState>, Document) {
    let (router, mut document) = openapi_router().split_for_parts();
    SharedResponses.modify(&mut document);
    (router, document)
}
