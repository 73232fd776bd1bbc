//! Work lists (a navigator's caseload, a supervisor's queue) and who works a case
//! (assignment, handover).

use crate::AppState;
use crate::api::cases::with_etag;
use crate::api::custody::IfMatch;
use crate::api::navigation::{ContractConditionBody, DeadlineBody, ReviewTriggerBody};
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation, ProblemField};
use crate::extract::{
    ApiJson, IdPath, PageParams, PageQuery, Paginated, QueryParams, expected_version,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use checkpoint_app::assignment::{
    Assignment, AssignmentMade, CaseMoved, HandOver, HandOverDone, LimitOverride, NavigatorLoad,
};
use checkpoint_app::worklists::{CaseWatch, Page, ReviewAwaiting, SupervisorQueue};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a work list shows about one case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseWatchBody {
    pub case_id: Uuid,
    pub reference: String,
    pub person_name: String,
    pub state: String,
    pub version: i64,
    pub navigator_id: Option<Uuid>,
    /// `now`, `soon` or `routine`; lists sort on it first.
    pub urgency: String,
    /// Plain-English reasons for the urgency, most pressing first.
    pub reasons: Vec<String>,
    pub overdue_conditions: Vec<ContractConditionBody>,
    pub conditions_due_soon: Vec<ContractConditionBody>,
    pub missed_appointments: usize,
    /// Appointments in the past with no attendance recorded.
    pub unrecorded_appointments: usize,
    pub contract_end: Option<Date>,
    pub days_left_on_contract: Option<i32>,
    pub deadline: DeadlineBody,
    pub at_deadline_risk: bool,
    pub review_open: bool,
    pub last_contact: Option<Date>,
    pub days_since_contact: Option<i32>,
    pub no_contact: bool,
}

impl From<CaseWatch> for CaseWatchBody {
    fn from(w: CaseWatch) -> CaseWatchBody {
        CaseWatchBody {
            case_id: w.case_id,
            reference: w.reference,
            person_name: w.person_name,
            state: w.state.as_str().to_owned(),
            version: w.version,
            navigator_id: w.navigator_id,
            urgency: crate::api::common::word(w.urgency),
            reasons: w.reasons,
            overdue_conditions: w.overdue_conditions.into_iter().map(Into::into).collect(),
            conditions_due_soon: w.conditions_due_soon.into_iter().map(Into::into).collect(),
            missed_appointments: w.missed_appointments,
            unrecorded_appointments: w.unrecorded_appointments,
            contract_end: w.contract_end,
            days_left_on_contract: w.days_left_on_contract,
            deadline: w.deadline.into(),
            at_deadline_risk: w.at_deadline_risk,
            review_open: w.review_open,
            last_contact: w.last_contact,
            days_since_contact: w.days_since_contact,
            no_contact: w.no_contact,
        }
    }
}

/// The signed-in navigator's open cases, most urgent first.
#[utoipa::path(
    get, path = "/me/caseload", tag = "worklists",
    params(PageParams),
    responses((status = 200, description = "One page of the caseload", body = Paginated<CaseWatchBody>))
)]
pub async fn my_caseload(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Paginated<CaseWatchBody>>> {
    let page = PageQuery::from_query(&query)?;
    let found = state
        .app
        .navigator_caseload(
            &signed_in.actor,
            Page {
                number: page.page,
                size: page.per_page,
            },
        )
        .await?;
    let items = found.items.into_iter().map(Into::into).collect();
    Ok(Json(page.wrap(items, found.total, "/api/v1/me/caseload")))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NavigatorLoadBody {
    pub navigator_id: Uuid,
    pub navigator_name: String,
    pub team: Option<String>,
    pub open_cases: usize,
    pub limit: u16,
}

impl From<NavigatorLoad> for NavigatorLoadBody {
    fn from(n: NavigatorLoad) -> NavigatorLoadBody {
        NavigatorLoadBody {
            navigator_id: n.navigator_id,
            navigator_name: n.navigator_name,
            team: n.team,
            open_cases: n.open_cases,
            limit: n.limit,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewAwaitingBody {
    pub case: CaseWatchBody,
    pub trigger: Option<ReviewTriggerBody>,
    pub opened_on: Option<Date>,
}

impl From<ReviewAwaiting> for ReviewAwaitingBody {
    fn from(r: ReviewAwaiting) -> ReviewAwaitingBody {
        ReviewAwaitingBody {
            case: r.case.into(),
            trigger: r.trigger.map(Into::into),
            opened_on: r.opened_on,
        }
    }
}

/// A supervisor's queue over their team's cases.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupervisorQueueBody {
    /// Oldest first.
    pub reviews_awaiting_decision: Vec<ReviewAwaitingBody>,
    /// The team's navigators, most loaded first.
    pub caseload_balance: Vec<NavigatorLoadBody>,
    pub deadline_risks: Vec<CaseWatchBody>,
    pub contact_gaps: Vec<CaseWatchBody>,
}

impl From<SupervisorQueue> for SupervisorQueueBody {
    fn from(q: SupervisorQueue) -> SupervisorQueueBody {
        SupervisorQueueBody {
            reviews_awaiting_decision: q
                .reviews_awaiting_decision
                .into_iter()
                .map(Into::into)
                .collect(),
            caseload_balance: q.caseload_balance.into_iter().map(Into::into).collect(),
            deadline_risks: q.deadline_risks.into_iter().map(Into::into).collect(),
            contact_gaps: q.contact_gaps.into_iter().map(Into::into).collect(),
        }
    }
}

/// The supervisor's queue: reviews to decide, caseload balance, deadline risks and contact
/// gaps over their team's cases (every case when they have no team).
#[utoipa::path(
    get, path = "/supervisor/queue", tag = "worklists",
    responses((status = 200, description = "The queue", body = SupervisorQueueBody))
)]
pub async fn supervisor_queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> ApiResult<Json<SupervisorQueueBody>> {
    let queue = state.app.supervisor_queue(&signed_in.actor).await?;
    Ok(Json(queue.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRequest {
    pub version: Option<i64>,
    /// A named navigator; or leave out and give `team`.
    pub navigator_id: Option<Uuid>,
    /// The least-loaded enabled navigator of this team.
    pub team: Option<String>,
    /// Exceed the caseload limit, for this reason (kept on the case's timeline).
    pub over_limit_reason: Option<String>,
}

/// Exactly one of `navigator_id` and `team`, both fields named when wrong.
fn target(
    navigator_id: Option<Uuid>,
    team: Option<String>,
) -> Result<Result<Uuid, String>, ApiError> {
    let both = |detail: &str| {
        ApiError::Invalid(
            ["navigator_id", "team"]
                .into_iter()
                .map(|field| ProblemField {
                    field: field.to_owned(),
                    location: FieldLocation::Body,
                    detail: detail.to_owned(),
                })
                .collect(),
        )
    };
    match (navigator_id, team.filter(|t| !t.trim().is_empty())) {
        (Some(id), None) => Ok(Ok(id)),
        (None, Some(team)) => Ok(Err(team)),
        (Some(_), Some(_)) => Err(both("give a navigator or a team, not both")),
        (None, None) => Err(both("give a navigator or a team")),
    }
}

fn limit_override(reason: Option<String>) -> Option<LimitOverride> {
    reason
        .filter(|r| !r.trim().is_empty())
        .map(|reason| LimitOverride { reason })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentMadeBody {
    pub case_id: Uuid,
    pub reference: String,
    /// The case's version after the assignment.
    pub version: i64,
    pub navigator_id: Uuid,
    pub navigator_name: String,
    pub team: Option<String>,
    /// The navigator's open cases including this one.
    pub open_cases: usize,
    pub limit: u16,
    pub over_limit: bool,
}

impl From<AssignmentMade> for AssignmentMadeBody {
    fn from(a: AssignmentMade) -> AssignmentMadeBody {
        AssignmentMadeBody {
            case_id: a.case_id,
            reference: a.reference,
            version: a.version,
            navigator_id: a.navigator_id,
            navigator_name: a.navigator_name,
            team: a.team,
            open_cases: a.open_cases,
            limit: a.limit,
            over_limit: a.over_limit,
        }
    }
}

/// Assign a navigator to a case, by name or to the least-loaded navigator of a team, within
/// the caseload limit unless `over_limit_reason` is given (supervisors).
#[utoipa::path(
    post, path = "/cases/{id}/assignment", tag = "worklists",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = AssignmentRequest,
    responses(
        (status = 200, description = "Assigned", body = AssignmentMadeBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assign_navigator(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<AssignmentRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let assignment = match target(request.navigator_id, request.team)? {
        Ok(id) => Assignment::To(id),
        Err(team) => Assignment::Auto { team },
    };
    let made = state
        .app
        .assign_navigator(
            &signed_in.actor,
            case_id,
            version,
            assignment,
            limit_override(request.over_limit_reason),
        )
        .await?;
    let body = AssignmentMadeBody::from(made);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverRequest {
    /// All cases to one navigator; or leave out and give `team`.
    pub navigator_id: Option<Uuid>,
    /// Spread over the team's other navigators, least-loaded first.
    pub team: Option<String>,
    pub over_limit_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseMovedBody {
    pub case_id: Uuid,
    pub reference: String,
    /// The case's version after the move.
    pub version: i64,
    pub to_navigator_id: Uuid,
    pub to_navigator_name: String,
}

impl From<CaseMoved> for CaseMovedBody {
    fn from(c: CaseMoved) -> CaseMovedBody {
        CaseMovedBody {
            case_id: c.case_id,
            reference: c.reference,
            version: c.version,
            to_navigator_id: c.to_navigator_id,
            to_navigator_name: c.to_navigator_name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandOverBody {
    pub from_navigator_id: Uuid,
    pub moved: Vec<CaseMovedBody>,
    pub loads_after: Vec<NavigatorLoadBody>,
}

impl From<HandOverDone> for HandOverBody {
    fn from(h: HandOverDone) -> HandOverBody {
        HandOverBody {
            from_navigator_id: h.from_navigator_id,
            moved: h.moved.into_iter().map(Into::into).collect(),
            loads_after: h.loads_after.into_iter().map(Into::into).collect(),
        }
    }
}

/// Hand a navigator's whole open caseload over (when they leave), in one transaction: all
/// cases move or none do.
#[utoipa::path(
    post, path = "/navigators/{id}/handover", tag = "worklists",
    params(("id" = Uuid, Path, description = "The leaving navigator's user id")),
    request_body = HandOverRequest,
    responses((status = 200, description = "Handed over", body = HandOverBody))
)]
pub async fn hand_over(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(from_navigator): IdPath,
    ApiJson(request): ApiJson<HandOverRequest>,
) -> ApiResult<Json<HandOverBody>> {
    let to = match target(request.navigator_id, request.team)? {
        Ok(id) => HandOver::To(id),
        Err(team) => HandOver::Spread { team },
    };
    let done = state
        .app
        .hand_over_caseload(
            &signed_in.actor,
            from_navigator,
            to,
            limit_override(request.over_limit_reason),
        )
        .await?;
    Ok(Json(done.into()))
}
