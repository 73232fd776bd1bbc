//! Reoffending monitoring over the API: importing an arrest feed (CSV body) and the clerical
//! review queue. The use cases authorise (import: supervisors and admins; the queue:
//! supervisors), link, act and audit; these handlers only move bytes and JSON.

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation};
use crate::extract::{ApiJson, IdPath, QueryParams};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use checkpoint_app::monitoring::feed::parse_feed;
use checkpoint_app::monitoring::queue::ClericalDecision;
use checkpoint_app::monitoring::{ImportOptions, Operator};
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest feed accepted over HTTP (the global limit is for forms and JSON). Bigger feeds go
/// through `checkpoint import arrests`, which streams from disk.
pub const FEED_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// Imports an arrest feed: each new row is scored against the people the programme knows;
/// links are recorded (and open reviews or reoffending events), near misses queued for
/// clerical review. Bad rows are listed and skipped, or refuse the feed with
/// `all_or_nothing=true`. Sending the same feed again adds nothing.
#[utoipa::path(
    post, path = "/imports/arrests", tag = "monitoring",
    params(
        ("source" = Option<String>, Query, description = "Names the feed; references are unique within a source (default `arrest-feed`)"),
        ("all_or_nothing" = Option<bool>, Query, description = "Refuse the whole feed if any row is bad"),
    ),
    request_body(content = String, content_type = "text/csv", description = "Header row with given_name, surname, dob, arrest_date; optional arrest_ref, postcode, pnc_id, offence"),
    responses(
        (status = 200, description = "What the import did, and the rejected rows", body = Object),
        (status = 422, description = "A required column is missing, or (all_or_nothing) a bad row", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_arrests(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
    body: Body,
) -> ApiResult<Json<Value>> {
    let bytes = axum::body::to_bytes(body, FEED_LIMIT_BYTES)
        .await
        .map_err(|_| {
            ApiError::field(
                "body",
                FieldLocation::Body,
                format!("the feed must be at most {FEED_LIMIT_BYTES} bytes; use `checkpoint import arrests` for larger ones"),
            )
        })?;
    let feed = parse_feed(bytes.as_ref(), state.app.clock().today())
        .map_err(|e| ApiError::field("body", FieldLocation::Body, e.to_string()))?;
    let mut options = ImportOptions::new(query.text("source").unwrap_or("arrest-feed"));
    options.all_or_nothing = query.text("all_or_nothing") == Some("true");
    let summary = state
        .app
        .import_arrests(Operator::User(&signed_in.actor), &feed, &options, &|_| {})
        .await?;
    let rejects: Vec<Value> = feed
        .rejects
        .iter()
        .map(|r| json!({ "line": r.line, "column": r.column, "reason": r.reason }))
        .collect();
    Ok(Json(json!({ "summary": summary, "rejects": rejects })))
}

/// Pending clerical pairs, oldest first; `next` is the cursor for the following page.
#[utoipa::path(
    get, path = "/linkage/reviews", tag = "monitoring",
    params(
        ("after" = Option<String>, Query, description = "Cursor from the previous page"),
        ("limit" = Option<u32>, Query, description = "1 to 100 (default 25)"),
    ),
    responses((status = 200, description = "A page of pending pairs", body = Object))
)]
pub async fn clerical_queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Value>> {
    let limit = query.number("limit", 1, 100)?.unwrap_or(25) as u32;
    let page = state
        .app
        .clerical_queue(&signed_in.actor, query.text("after"), limit)
        .await?;
    Ok(Json(json!(page)))
}

/// One pair: both records side by side and each field's level, m, u and weight.
#[utoipa::path(
    get, path = "/linkage/reviews/{id}", tag = "monitoring",
    params(("id" = Uuid, Path, description = "The arrest's id")),
    responses((status = 200, description = "The pair with its waterfall", body = Object))
)]
pub async fn clerical_pair(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(arrest_id): IdPath,
) -> ApiResult<Json<Value>> {
    let pair = state.app.clerical_pair(&signed_in.actor, arrest_id).await?;
    Ok(Json(json!(pair)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClericalDecisionRequest {
    /// `confirm` (the same person: link and act) or `reject`.
    #[schema(value_type = String, example = "confirm")]
    pub decision: ClericalDecision,
    pub reason: String,
}

/// Confirms or rejects a pair; a confirmation acts like an automatic link. The first decision
/// stands (409 after).
#[utoipa::path(
    post, path = "/linkage/reviews/{id}/decision", tag = "monitoring",
    params(("id" = Uuid, Path, description = "The arrest's id")),
    request_body = ClericalDecisionRequest,
    responses(
        (status = 200, description = "Decided", body = Object),
        (status = 409, description = "Already decided", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide_clerical(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(arrest_id): IdPath,
    ApiJson(request): ApiJson<ClericalDecisionRequest>,
) -> ApiResult<Json<Value>> {
    let decided = state
        .app
        .decide_clerical_review(
            &signed_in.actor,
            arrest_id,
            request.decision,
            &request.reason,
        )
        .await?;
    Ok(Json(json!(decided)))
}

/// Re-estimates the model from the clerical decisions so far (a new stored version).
#[utoipa::path(
    post, path = "/linkage/model/refit", tag = "monitoring",
    responses((status = 200, description = "The stored model version", body = Object))
)]
pub async fn refit_model(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> ApiResult<Json<Value>> {
    let stored = state
        .app
        .refit_linkage_model(Operator::User(&signed_in.actor))
        .await?;
    Ok(Json(json!(stored)))
}
