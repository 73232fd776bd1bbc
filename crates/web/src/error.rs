//! One error type for every handler, rendered as RFC 9457 problem details
//! (`application/problem+json`). Use-case errors ([`AppError`]) map to statuses here and
//! nowhere else, so the API, and later the HTML views, agree on what each failure means.
//!
//! | failure | status |
//! |---|---|
//! | no or expired session | 401 (with `WWW-Authenticate: Bearer`) |
//! | role may not do this | 403 (never says whether the record exists) |
//! | unknown id, or a case outside the caller's scope | 404 (indistinguishable on purpose) |
//! | malformed JSON, wrong content type | 400 |
//! | well-formed input that breaks a rule (every field named) | 422 |
//! | stale `If-Match` / `version` | 409 with `current_version` |
//! | the case's state does not allow the step | 409 with `state` and `allowed` |
//! | update without `If-Match` or `version` | 428 naming both |
//! | body larger than the limit | 413 |
//! | anything inside (database down) | 500, generic text; the detail goes to the log only |

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkpoint_app::{AppError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// Where a failing input came from, so a client knows whether to fix its body, its query
/// string, a path segment or a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldLocation {
    Body,
    Query,
    Path,
    Header,
}

/// One failing input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemField {
    /// The JSON path in the body (`person.date_of_birth`, `conditions[2].hours`), the query
    /// parameter, the path parameter or the header name.
    #[schema(example = "person.date_of_birth")]
    pub field: String,
    pub location: FieldLocation,
    /// What is wrong, in words a person can act on.
    pub detail: String,
}

/// An RFC 9457 problem details object. `type` is a stable URN a client may branch on; `title`
/// is the same for every problem of that type; `detail` explains this occurrence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(example = "urn:checkpoint:problem:validation")]
    pub problem_type: &'static str,
    #[schema(example = "Invalid input")]
    pub title: &'static str,
    #[schema(example = 422)]
    pub status: u16,
    pub detail: String,
    /// Every failing input (validation problems only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The case's version now (409 conflicts): reload, then retry with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// The case's state (409 illegal transitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The steps the case's state allows (409 illegal transitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    /// The body is not JSON, or not JSON of the declared type (400).
    #[error("{0}")]
    MalformedBody(String),
    /// Well-formed input that fails a rule (422), from parsing bodies, queries and headers.
    #[error("invalid input")]
    Invalid(Vec<ProblemField>),
    /// An update without the version it was based on (428).
    #[error("this update needs the version it is based on")]
    PreconditionRequired,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    /// One failing input.
    pub fn field(
        field: impl Into<String>,
        location: FieldLocation,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::Invalid(vec![ProblemField {
            field: field.into(),
            location,
            detail: detail.into(),
        }])
    }

    /// The problem document and status for this error. Internal details are logged here and
    /// never leave the server.
    pub fn problem(&self) -> Problem {
        let problem = |status: StatusCode, slug, title, detail: String| Problem {
            problem_type: slug,
            title,
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
            current_version: None,
            state: None,
            allowed: None,
        };
        match self {
            ApiError::App(error) => match error {
                AppError::Unauthenticated => problem(
                    StatusCode::UNAUTHORIZED,
                    "urn:checkpoint:problem:unauthenticated",
                    "Sign in first",
                    "this request needs a valid session: send `Authorization: Bearer TOKEN` \
                     from POST /api/v1/sessions"
                        .to_owned(),
                ),
                AppError::Forbidden { .. } => problem(
                    StatusCode::FORBIDDEN,
                    "urn:checkpoint:problem:forbidden",
                    "Not allowed for your role",
                    error.to_string(),
                ),
                AppError::NotFound { .. } => problem(
                    StatusCode::NOT_FOUND,
                    "urn:checkpoint:problem:not-found",
                    "Not found",
                    error.to_string(),
                ),
                AppError::Invalid(fields) => Problem {
                    errors: fields.iter().map(body_field).collect(),
                    ..problem(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "urn:checkpoint:problem:validation",
                        "Invalid input",
                        error.to_string(),
                    )
                },
                AppError::Conflict { current_version } => Problem {
                    current_version: Some(*current_version),
                    ..problem(
                        StatusCode::CONFLICT,
                        "urn:checkpoint:problem:stale-version",
                        "Changed by someone else",
                        error.to_string(),
                    )
                },
                AppError::IllegalTransition(illegal) => Problem {
                    state: Some(illegal.from.as_str().to_owned()),
                    allowed: Some(
                        illegal
                            .from
                            .allowed()
                            .iter()
                            .map(|kind| kind.as_str().to_owned())
                            .collect(),
                    ),
                    ..problem(
                        StatusCode::CONFLICT,
                        "urn:checkpoint:problem:illegal-transition",
                        "Not allowed in the case's current state",
                        error.to_string(),
                    )
                },
                AppError::Internal(detail) => {
                    tracing::error!(error = %detail, "internal error");
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "urn:checkpoint:problem:internal",
                        "Internal error",
                        "something went wrong inside Checkpoint; the details are in the server \
                         log"
                        .to_owned(),
                    )
                }
            },
            ApiError::MalformedBody(detail) => problem(
                StatusCode::BAD_REQUEST,
                "urn:checkpoint:problem:malformed-body",
                "Malformed request body",
                detail.clone(),
            ),
            ApiError::Invalid(fields) => Problem {
                errors: fields.clone(),
                ..problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "urn:checkpoint:problem:validation",
                    "Invalid input",
                    fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.detail))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            },
            ApiError::PreconditionRequired => Problem {
                errors: vec![
                    ProblemField {
                        field: "If-Match".to_owned(),
                        location: FieldLocation::Header,
                        detail: "send the case's ETag, e.g. `If-Match: \"v3\"`".to_owned(),
                    },
                    ProblemField {
                        field: "version".to_owned(),
                        location: FieldLocation::Body,
                        detail: "or send the case's `version` in the body".to_owned(),
                    },
                ],
                ..problem(
                    StatusCode::PRECONDITION_REQUIRED,
                    "urn:checkpoint:problem:version-required",
                    "Version required",
                    self.to_string(),
                )
            },
            ApiError::PayloadTooLarge { .. } => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "urn:checkpoint:problem:too-large",
                "Body too large",
                self.to_string(),
            ),
            ApiError::NoRoute => problem(
                StatusCode::NOT_FOUND,
                "urn:checkpoint:problem:no-route",
                "No such route",
                "no route matches this path; see /api/openapi.json".to_owned(),
            ),
            ApiError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "urn:checkpoint:problem:method-not-allowed",
                "Method not allowed",
                "this route does not take this method; see /api/openapi.json".to_owned(),
            ),
        }
    }
}

fn body_field(error: &FieldError) -> ProblemField {
    ProblemField {
        field: error.field.clone(),
        location: FieldLocation::Body,
        detail: error.message.clone(),
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"checkpoint\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
