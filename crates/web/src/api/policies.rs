//! The eligibility policies this deployment runs (every role may read them).

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation};
use crate::extract::{PageParams, PageQuery, Paginated, QueryParams};
use axum::Json;
use axum::extract::{Path, State};
use checkpoint_app::{Action, AppError, permissions::authorise};
use checkpoint_domain::policy::Policy;
use serde::Serialize;
use utoipa::ToSchema;

/// One version of a scheme's policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicySummary {
    #[schema(example = "durham-checkpoint")]
    pub id: String,
    pub version: u32,
    pub name: String,
    pub force: String,
    pub effective_from: jiff::civil::Date,
    /// Absent while the version has no end date.
    pub effective_to: Option<jiff::civil::Date>,
    /// `sha256:` and the hex digest of the policy file; every decision records it.
    pub content_hash: String,
    /// Whether this version is the one in force today for its scheme.
    pub in_force_today: bool,
}

/// One criterion of a policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionBody {
    pub id: String,
    /// The criterion kind from the closed vocabulary (`min_age`, `offence_category`, …).
    pub kind: String,
    pub text: String,
    /// Where the rule comes from (a guidance document, a statute).
    pub source: String,
}

/// A policy version with its criteria.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyDetail {
    #[serde(flatten)]
    pub summary: PolicySummary,
    pub description: Option<String>,
    pub legal_mode: String,
    pub criteria: Vec<CriterionBody>,
}

fn as_word<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn summary(state: &AppState, policy: &Policy) -> PolicySummary {
    let today = state.app.clock().today();
    let in_force = state.app.policies().in_force(policy.id(), today);
    PolicySummary {
        id: policy.id().to_owned(),
        version: policy.version(),
        name: policy.name().to_owned(),
        force: policy.force().to_owned(),
        effective_from: policy.effective_from(),
        effective_to: policy.effective_to(),
        content_hash: policy.content_hash().to_owned(),
        in_force_today: in_force.is_some_and(|p| p.version() == policy.version()),
    }
}

/// Every policy version loaded, by scheme and version.
#[utoipa::path(
    get, path = "/policies", tag = "policies",
    params(PageParams),
    responses((status = 200, description = "One page of policy versions", body = Paginated<PolicySummary>))
)]
pub async fn list_policies(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Paginated<PolicySummary>>> {
    authorise(&signed_in.actor, Action::ViewPolicies)?;
    let page = PageQuery::from_query(&query)?;
    let all = state
        .app
        .policies()
        .all()
        .iter()
        .map(|p| summary(&state, p))
        .collect();
    Ok(Json(page.slice(all, "/api/v1/policies")))
}

/// One policy version with every criterion.
#[utoipa::path(
    get, path = "/policies/{id}/versions/{version}", tag = "policies",
    params(
        ("id" = String, Path, description = "Scheme id", example = "durham-checkpoint"),
        ("version" = u32, Path, description = "Policy version", example = 2),
    ),
    responses((status = 200, description = "The policy", body = PolicyDetail))
)]
pub async fn get_policy(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<PolicyDetail>> {
    authorise(&signed_in.actor, Action::ViewPolicies)?;
    let version: u32 = version.parse().map_err(|_| {
        ApiError::field(
            "version",
            FieldLocation::Path,
            format!("must be a whole number (got `{version}`)"),
        )
    })?;
    let policy = state
        .app
        .policies()
        .get(&id, version)
        .ok_or(AppError::NotFound { what: "policy" })?;
    Ok(Json(PolicyDetail {
        summary: summary(&state, policy),
        description: policy.description().map(str::to_owned),
        legal_mode: as_word(policy.legal_mode()),
        criteria: policy
            .criteria()
            .iter()
            .map(|c| CriterionBody {
                id: c.id.clone(),
                kind: as_word(c.kind()),
                text: c.text.clone(),
                source: c.source.clone(),
            })
            .collect(),
    }))
}
