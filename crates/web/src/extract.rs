//! Request extractors that fail with problem details naming the input at fault, instead of
//! axum's plain-text rejections: JSON bodies, path ids, pagination and the version an update
//! is based on (`If-Match` or a `version` field).

use crate::error::{ApiError, FieldLocation, ProblemField};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A JSON body. Syntax errors and a wrong content type answer 400; well-formed JSON of the
/// wrong shape answers 422 naming the JSON path (`person.date_of_birth`) of each failure.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        let value = parse_json(&bytes)?;
        from_json_value(value).map(ApiJson)
    }
}

/// A JSON body that may be left out: an empty body is `T::default()`. For steps whose only
/// input is the version, which clients may send in `If-Match` instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_content_type = req.headers().contains_key(header::CONTENT_TYPE);
        if has_content_type {
            require_json_content_type(req.headers())?;
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        if !has_content_type {
            return Err(ApiError::MalformedBody(
                "send the body as JSON with `Content-Type: application/json`".to_owned(),
            ));
        }
        from_json_value(parse_json(&bytes)?).map(OptionalJson)
    }
}

/// Accepts `application/json` and any `application/*+json`, with or without parameters.
fn require_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(ApiError::MalformedBody(format!(
            "send the body as JSON with `Content-Type: application/json` (got {})",
            if content_type.is_empty() {
                "no content type".to_owned()
            } else {
                format!("`{content_type}`")
            }
        )))
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge {
            limit: crate::BODY_LIMIT_BYTES,
        }
    } else {
        ApiError::MalformedBody(rejection.body_text())
    }
}

/// Parses JSON syntax only; the shape is checked by [`from_json_value`].
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::MalformedBody(
            "the body is empty; send a JSON object".to_owned(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::MalformedBody(format!(
            "the body is not valid JSON (line {}, column {}): {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })
}

/// Deserialises a JSON value, naming the path of the first field at fault.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        ApiError::Invalid(vec![ProblemField {
            field: field_path(&path, &message),
            location: FieldLocation::Body,
            detail: message,
        }])
    })
}

/// serde reports a missing field at its parent (`.` or `person`); name the field itself so the
/// client sees `person.given_name`, not `person`.
fn field_path(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(field)) => field.to_owned(),
        (parent, Some(field)) => format!("{parent}.{field}"),
        (path, None) => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A UUID path parameter (`{id}`). A segment that is not a UUID answers 422 naming it.
#[derive(Debug, Clone, Copy)]
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::MalformedBody(e.body_text()))?;
        let (name, raw) = params
            .iter()
            .find(|(name, _)| name.as_str() == "id")
            .or_else(|| params.iter().next())
            .ok_or(ApiError::NoRoute)?;
        raw.parse::<Uuid>().map(IdPath).map_err(|_| {
            ApiError::field(
                name.clone(),
                FieldLocation::Path,
                format!("`{raw}` is not an id (expected a UUID)"),
            )
        })
    }
}

/// Parses one path parameter by name, as a UUID.
pub fn uuid_param(params: &HashMap<String, String>, name: &str) -> Result<Uuid, ApiError> {
    let raw = params.get(name).ok_or(ApiError::NoRoute)?;
    raw.parse().map_err(|_| {
        ApiError::field(
            name,
            FieldLocation::Path,
            format!("`{raw}` is not an id (expected a UUID)"),
        )
    })
}

/// Query parameters as strings, so each handler can name the one at fault.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::field("query", FieldLocation::Query, e.body_text()))?;
        Ok(QueryParams(map))
    }
}

impl QueryParams {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An optional number within `min..=max`.
    pub fn number(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.text(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::field(
                name,
                FieldLocation::Query,
                format!("must be a whole number from {min} to {max} (got `{raw}`)"),
            )),
        }
    }

    /// An optional civil date (`2026-03-04`).
    pub fn date(&self, name: &str) -> Result<Option<jiff::civil::Date>, ApiError> {
        self.text(name)
            .map(|raw| {
                raw.parse().map_err(|_| {
                    ApiError::field(
                        name,
                        FieldLocation::Query,
                        format!("must be a date like 2026-03-04 (got `{raw}`)"),
                    )
                })
            })
            .transpose()
    }
}

/// Pagination on every list: `?page=` (from 1) and `?per_page=` (1 to [`MAX_PER_PAGE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery {
    pub page: u32,
    pub per_page: u32,
}

/// The pagination parameters as the OpenAPI document shows them (parsed by
/// [`PageQuery::from_query`], which names the parameter at fault).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<u32>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 25)]
    pub per_page: Option<u32>,
}

pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 100;

impl PageQuery {
    pub fn from_query(query: &QueryParams) -> Result<PageQuery, ApiError> {
        let mut problems = Vec::new();
        let mut take = |name: &str, max: i64, default: u32| match query.number(name, 1, max) {
            Ok(value) => value.map_or(default, |n| u32::try_from(n).unwrap_or(default)),
            Err(ApiError::Invalid(fields)) => {
                problems.extend(fields);
                default
            }
            Err(_) => default,
        };
        let page = take("page", 1_000_000, 1);
        let per_page = take("per_page", i64::from(MAX_PER_PAGE), DEFAULT_PER_PAGE);
        if problems.is_empty() {
            Ok(PageQuery { page, per_page })
        } else {
            Err(ApiError::Invalid(problems))
        }
    }

    pub fn offset(self) -> usize {
        (self.page as usize - 1) * self.per_page as usize
    }

    /// One page of an already-loaded list, with links to its neighbours.
    pub fn slice<T>(self, all: Vec<T>, base_path: &str) -> Paginated<T> {
        let total = all.len();
        let items: Vec<T> = all
            .into_iter()
            .skip(self.offset())
            .take(self.per_page as usize)
            .collect();
        self.wrap(items, total, base_path)
    }

    /// Wraps a page the use case already cut, given the total count.
    pub fn wrap<T>(self, items: Vec<T>, total: usize, base_path: &str) -> Paginated<T> {
        // `base_path` may carry the list's own filters (`/people?q=smith`); keep them.
        let separator = if base_path.contains('?') { '&' } else { '?' };
        let link = |page: u32| {
            format!(
                "{base_path}{separator}page={page}&per_page={}",
                self.per_page
            )
        };
        let shown_so_far = self.offset() + items.len();
        Paginated {
            next: (shown_so_far < total && !items.is_empty()).then(|| link(self.page + 1)),
            prev: (self.page > 1).then(|| link(self.page - 1)),
            items,
            page: self.page,
            per_page: self.per_page,
            total: Some(total as u64),
        }
    }

    /// Wraps a page the use case cut without counting the whole list: `more` says whether a
    /// further page exists.
    pub fn wrap_open_ended<T>(self, items: Vec<T>, more: bool, base_path: &str) -> Paginated<T> {
        let total = self.offset() + items.len() + usize::from(more);
        Paginated {
            total: None,
            ..self.wrap(items, total, base_path)
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// Items in the whole list (absent where counting would cost a scan: people searches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// The next page's URL, absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The previous page's URL, absent on the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The version of a case an update is based on: from `If-Match: "v7"` or, for clients that
/// cannot set headers, a `version` field in the body. Neither → 428; both but different → 422.
pub fn expected_version(headers: &HeaderMap, body_version: Option<i64>) -> Result<i64, ApiError> {
    let header_version = match headers.get(header::IF_MATCH) {
        None => None,
        Some(value) => Some(parse_if_match(value.to_str().unwrap_or(""))?),
    };
    match (header_version, body_version) {
        (Some(h), Some(b)) if h != b => Err(ApiError::Invalid(vec![ProblemField {
            field: "version".to_owned(),
            location: FieldLocation::Body,
            detail: format!("is {b} but If-Match says version {h}; send one or make them agree"),
        }])),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::PreconditionRequired),
    }
}

fn parse_if_match(raw: &str) -> Result<i64, ApiError> {
    let tag = raw.trim().trim_start_matches("W/");
    tag.strip_prefix("\"v")
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::field(
                "If-Match",
                FieldLocation::Header,
                format!("must be one ETag as the case response sent it, e.g. \"v3\" (got `{raw}`)"),
            )
        })
}

/// The ETag of a case at a version.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn missing_fields_are_named_at_their_own_path() {
        assert_eq!(
            field_path("person", "missing field `given_name`"),
            "person.given_name"
        );
        assert_eq!(field_path(".", "missing field `person`"), "person");
        assert_eq!(
            field_path("offence.gravity", "invalid type"),
            "offence.gravity"
        );
    }

    #[test]
    fn if_match_takes_our_etags_only() {
        let mut headers = HeaderMap::new();
        assert!(matches!(
            expected_version(&headers, None),
            Err(ApiError::PreconditionRequired)
        ));
        assert_eq!(expected_version(&headers, Some(4)).unwrap(), 4);
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"v7\""));
        assert_eq!(expected_version(&headers, None).unwrap(), 7);
        assert!(matches!(
            expected_version(&headers, Some(6)),
            Err(ApiError::Invalid(_))
        ));
        for bad in ["*", "v7", "\"7\"", "\"v-1\"", "\"vx\""] {
            headers.insert(header::IF_MATCH, HeaderValue::from_static(bad));
            assert!(
                matches!(expected_version(&headers, None), Err(ApiError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn pages_link_to_their_neighbours() {
        let page = PageQuery {
            page: 2,
            per_page: 2,
        };
        let out = page.slice((1..=5).collect(), "/api/v1/x");
        assert_eq!(out.items, vec![3, 4]);
        assert_eq!(out.total, Some(5));
        assert_eq!(out.next.as_deref(), Some("/api/v1/x?page=3&per_page=2"));
        assert_eq!(out.prev.as_deref(), Some("/api/v1/x?page=1&per_page=2"));
        let last = PageQuery {
            page: 3,
            per_page: 2,
        }
        .slice((1..=5).collect(), "/x");
        assert_eq!(last.items, vec![5]);
        assert!(last.next.is_none());
    }
}
