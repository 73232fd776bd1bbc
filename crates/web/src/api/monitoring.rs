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
use checkpoint_app::monitoring::feed::{FeedRow, ParsedFeed, RejectedRow, parse_feed};
use checkpoint_app::monitoring::queue::ClericalDecision;
use checkpoint_app::monitoring::{ImportOptions, Operator};
use serde::Deserialize;
use serde_json::{Value, json};

/// Largest feed accepted over HTTP (the global limit is for forms and JSON). Bigger feeds go
/// through `checkpoint import arrests`, which streams from disk.
pub const FEED_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// Most rows one feed may carry over HTTP: each row is scored against every likely person, so
/// this bounds the work (and the time) of one request. A day's custody feed has hundreds;
/// larger back-loads go through `checkpoint import arrests`, which commits in batches.
pub const FEED_MAX_ROWS: usize = 100_000;

/// Longest value (in characters) of one field of a feed row: names, dates, postcodes and PNC
/// ids are short, and every value is compared character by character with the people known.
pub const FEED_MAX_FIELD_CHARS: usize = 200;

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
    request_body(content = String, content_type = "text/csv", description = "Header row with given_name, surname, dob, arrest_date; optional arrest_ref, postcode, pnc_id, offence. At most 64 MiB and 100,000 rows; a value longer than 200 characters rejects its row."),
    responses(
        (status = 200, description = "What the import did, and the rejected rows", body = Object),
        (status = 413, description = "The feed is larger than 64 MiB", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A required column is missing, more than 100,000 rows, or (all_or_nothing) a bad row", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_arrests(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
    body: Body,
) -> ApiResult<Json<Value>> {
    // Reads at most the limit: a longer body is refused as soon as it passes it, whatever its
    // Content-Length says, so a huge upload never sits in memory.
    let bytes = axum::body::to_bytes(body, FEED_LIMIT_BYTES)
        .await
        .map_err(|error| {
            if is_too_large(&error) {
                ApiError::PayloadTooLarge {
                    limit: FEED_LIMIT_BYTES,
                }
            } else {
                ApiError::MalformedBody(format!("the feed could not be read: {error}"))
            }
        })?;
    let feed = parse_feed(bytes.as_ref(), state.app.clock().today())
        .map_err(|e| ApiError::field("body", FieldLocation::Body, e.to_string()))?;
    let feed = bound_feed(feed)?;
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

fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Refuses a feed of more than [`FEED_MAX_ROWS`] rows, and moves rows with a value longer
/// than [`FEED_MAX_FIELD_CHARS`] to the rejects, naming the line and the column.
fn bound_feed(mut feed: ParsedFeed) -> Result<ParsedFeed, ApiError> {
    let rows = feed.rows.len() + feed.rejects.len();
    if rows > FEED_MAX_ROWS {
        return Err(ApiError::field(
            "body",
            FieldLocation::Body,
            format!(
                "the feed has {rows} rows; at most {FEED_MAX_ROWS} are taken over HTTP \
                 (import larger feeds with `checkpoint import arrests`)"
            ),
        ));
    }
    let (rows, too_long): (Vec<FeedRow>, Vec<FeedRow>) = feed
        .rows
        .into_iter()
        .partition(|row| overlong_column(row).is_none());
    feed.rows = rows;
    for row in too_long {
        let column = overlong_column(&row).unwrap_or("given_name");
        feed.rejects.push(RejectedRow {
            line: row.line,
            column: Some(column.to_owned()),
            reason: format!("longer than {FEED_MAX_FIELD_CHARS} characters"),
            fields: Vec::new(),
        });
    }
    feed.rejects.sort_by_key(|r| r.line);
    Ok(feed)
}

/// The first column of a row whose value is longer than [`FEED_MAX_FIELD_CHARS`].
fn overlong_column(row: &FeedRow) -> Option<&'static str> {
    [
        ("given_name", &row.given_name),
        ("surname", &row.surname),
        ("dob", &row.dob),
        ("postcode", &row.postcode),
        ("pnc_id", &row.pnc_id),
        ("offence", &row.offence),
        ("arrest_ref", &row.arrest_ref),
    ]
    .into_iter()
    .find(|(_, value)| value.chars().count() > FEED_MAX_FIELD_CHARS)
    .map(|(column, _)| column)
}

/// Pending clerical pairs, oldest first; `next` is the cursor for the following page.
#[utoipa::path(
    get, path = "/linkage/reviews", tag = "monitoring",
    params(
        ("after" = Option<String>, Query, description = "Cursor from the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "1 to 100 (default 25)"),
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

/// A clerical decision: the same person, or not.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ClericalDecisionName {
    Confirm,
    Reject,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClericalDecisionRequest {
    /// `confirm` (the same person: link and act) or `reject`.
    #[schema(value_type = ClericalDecisionName, example = "confirm")]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The decisions the document lists are the ones the request parses.
    #[test]
    fn the_documented_clerical_decisions_parse() {
        let schema =
            serde_json::to_value(<ClericalDecisionName as utoipa::PartialSchema>::schema())
                .unwrap();
        let documented = schema["enum"].as_array().unwrap();
        assert_eq!(documented.len(), 2);
        for name in documented {
            let request = json!({ "decision": name, "reason": "" });
            serde_json::from_value::<ClericalDecisionRequest>(request).unwrap();
        }
    }
}
