//! The OpenAPI document's frame: title, security scheme, tags, the problem-details schema and
//! the error responses every operation shares. Paths and bodies come from the handlers'
//! `#[utoipa::path]` attributes (see [`crate::api`]).

use crate::error::{FieldLocation, Problem, ProblemField};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Checkpoint API",
        description = "Police-led diversion programmes, from the custody desk to completion. \
            Sign in with POST /api/v1/sessions and send the token as `Authorization: Bearer TOKEN`. \
            Errors are RFC 9457 problem details. Case updates take the case's ETag in `If-Match` \
            (or its `version` in the body); a stale one answers 409. See docs/api.md.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    security(("bearer" = [])),
    components(schemas(Problem, ProblemField, FieldLocation)),
    tags(
        (name = "sessions", description = "Signing in and out; who am I"),
        (name = "admin", description = "Accounts and policies (administrators)"),
        (name = "policies", description = "Eligibility policies in force"),
        (name = "custody", description = "Referral, screening, trial allocation, offer and consent"),
        (name = "people", description = "Finding people and their cases"),
        (name = "cases", description = "The case view and its lifecycle steps"),
        (name = "navigation", description = "Needs, contracts, appointments, provider referrals, reviews, closure"),
        (name = "worklists", description = "Caseloads, the supervisor queue, assignment and handover"),
    ),
)]
pub struct ApiDoc;

/// Adds the bearer scheme and the error responses shared by every operation, chosen from what
/// the operation takes, so each handler documents only its own outcomes:
/// 401 and 403 when it needs a session, 400/413/422 when it takes a body, 404/422 when its path
/// has parameters, 422 when it takes query parameters, and 500 always. Applied to the finished
/// document (after the router has merged every path), so it sees all operations.
///
/// There is no `default` response: every status an operation can answer is listed, so a client
/// (and `tests/schemathesis/run.sh`) can hold the server to the list.
#[derive(Debug)]
pub struct SharedResponses;

const SHARED: [(&str, &str, &str); 7] = [
    (
        "400",
        "MalformedBody",
        "The body is not JSON or not sent as `application/json`.",
    ),
    (
        "401",
        "Unauthenticated",
        "No valid session: sign in and send `Authorization: Bearer TOKEN`.",
    ),
    ("403", "Forbidden", "The caller's role may not do this."),
    (
        "404",
        "NotFound",
        "No such record, or a case outside the caller's scope (the two are indistinguishable).",
    ),
    ("413", "TooLarge", "The body exceeds the size limit."),
    (
        "422",
        "Invalid",
        "Input that breaks a rule; `errors` names each failing field, parameter or header.",
    ),
    (
        "500",
        "Internal",
        "Something failed inside; the details are logged, never returned.",
    ),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token from POST /api/v1/sessions. Browsers may send it in the \
                 `checkpoint_session` cookie instead.",
                    ))
                    .build(),
            ),
        );
        for (_, name, description) in SHARED {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(problem_response(description)));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_shared(operation, has_path_params);
            }
        }
    }
}

fn add_shared(operation: &mut Operation, has_path_params: bool) {
    // `security: [{}]` (an empty requirement) marks the one anonymous operation, sign-in.
    let anonymous = operation
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().all(is_empty_requirement));
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.as_ref().is_some_and(|ps| {
        ps.iter().any(|p| {
            matches!(p, RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
        })
    });
    let wanted = |status: &str| match status {
        "400" | "413" => has_body,
        "401" | "403" => !anonymous,
        "404" => has_path_params,
        "422" => has_body || has_path_params || has_query,
        _ => true,
    };
    for (status, name, _) in SHARED {
        if wanted(status) && !operation.responses.responses.contains_key(status) {
            operation
                .responses
                .responses
                .insert(status.to_owned(), RefOr::Ref(Ref::from_response_name(name)));
        }
    }
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}
