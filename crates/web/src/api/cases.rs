//! The case view, and the case summary every step returns. Case responses carry the case's
//! version twice: as `ETag: "v{version}"` and as a `version` field; updates send it back in
//! `If-Match` (or `version`) and a stale one answers 409 with the current version.

use crate::AppState;
use crate::api::common::word;
use crate::api::custody::DecisionBody;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::extract::{IdPath, etag};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use checkpoint_app::case_view::{
    AllocationView, AllowedAction, AppointmentView, CaseHeader, CaseProgress, CaseView,
    ConditionView, ContractView, NeedsView, ProviderReferralView, TimelineEntry,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a case stands after a step: send `version` (or the ETag) with the next change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseSummary {
    pub case_id: Uuid,
    #[schema(example = "CP-2026-000123")]
    pub reference: String,
    /// The case's version; its ETag is `"v{version}"`.
    pub version: i64,
    /// The lifecycle state (`referred`, `eligible`, `offered`, `accepted`, `active`, …).
    #[schema(example = "referred")]
    pub state: String,
    #[schema(example = "Referred")]
    pub state_label: String,
}

impl From<CaseProgress> for CaseSummary {
    fn from(progress: CaseProgress) -> CaseSummary {
        CaseSummary {
            case_id: progress.case_id,
            reference: progress.reference,
            version: progress.version,
            state: progress.state.as_str().to_owned(),
            state_label: progress.state_label.to_owned(),
        }
    }
}

/// A response about one case: the body with `ETag: "v{version}"`.
pub fn with_etag<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The usual answer to a lifecycle step: the case summary, 200, with its ETag.
pub fn progress_response(progress: CaseProgress) -> Response {
    let version = progress.version;
    with_etag(StatusCode::OK, version, CaseSummary::from(progress))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserRefBody {
    pub user_id: Uuid,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseHeaderBody {
    pub case_id: Uuid,
    pub reference: String,
    pub version: i64,
    pub scheme_id: String,
    pub person_id: Uuid,
    pub person_name: String,
    pub state: String,
    pub state_label: String,
    pub navigator: Option<UserRefBody>,
    pub team: Option<String>,
    pub opened_at: Timestamp,
    pub offence_date: Option<Date>,
    pub contract_end: Option<Date>,
    /// Days from today to the contract's end (negative when past).
    pub days_left_on_contract: Option<i32>,
    /// The last day a failed case can still be prosecuted.
    pub prosecution_deadline: Option<Date>,
    /// Days from today to the prosecution deadline (negative when past).
    pub days_to_deadline: Option<i32>,
}

impl From<CaseHeader> for CaseHeaderBody {
    fn from(h: CaseHeader) -> CaseHeaderBody {
        CaseHeaderBody {
            case_id: h.case_id,
            reference: h.reference,
            version: h.version,
            scheme_id: h.scheme_id,
            person_id: h.person_id,
            person_name: h.person_name,
            state: h.state.as_str().to_owned(),
            state_label: h.state_label.to_owned(),
            navigator: h.navigator.map(|n| UserRefBody {
                user_id: n.user_id,
                display_name: n.display_name,
            }),
            team: h.team,
            opened_at: h.opened_at,
            offence_date: h.offence_date,
            contract_end: h.contract_end,
            days_left_on_contract: h.days_left_on_contract,
            prosecution_deadline: h.prosecution_deadline,
            days_to_deadline: h.days_to_deadline,
        }
    }
}

/// One event on the case's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntryBody {
    pub sequence: i64,
    pub occurred_at: Timestamp,
    /// Absent when the system acted.
    pub actor_name: Option<String>,
    /// The transition or other event (`opened`, `screen`, `assigned`, …).
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    /// The policy in force: `durham-checkpoint v2 sha256:…`.
    pub policy_version: Option<String>,
    /// What the event recorded; its shape depends on `kind`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<TimelineEntry> for TimelineEntryBody {
    fn from(e: TimelineEntry) -> TimelineEntryBody {
        TimelineEntryBody {
            sequence: e.sequence,
            occurred_at: e.occurred_at,
            actor_name: e.actor_name,
            kind: e.kind,
            from_state: e.from_state,
            to_state: e.to_state,
            reason: e.reason,
            policy_version: e.policy_version,
            details: e.details,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConditionBody {
    pub position: i64,
    pub condition_type: String,
    pub description: String,
    pub pathway: Option<String>,
    pub hours: Option<i64>,
    pub due_date: Option<Date>,
    pub status: String,
}

impl From<ConditionView> for ConditionBody {
    fn from(c: ConditionView) -> ConditionBody {
        ConditionBody {
            position: c.position,
            condition_type: c.condition_type,
            description: c.description,
            pathway: c.pathway,
            hours: c.hours,
            due_date: c.due_date,
            status: c.status,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractBody {
    pub contract_id: Uuid,
    /// The contract's own version (1, then one more per variation).
    pub version: i64,
    pub start_date: Date,
    pub end_date: Date,
    pub signed_on: Option<Date>,
    pub variation_reason: Option<String>,
    pub conditions: Vec<ConditionBody>,
}

impl From<ContractView> for ContractBody {
    fn from(c: ContractView) -> ContractBody {
        ContractBody {
            contract_id: c.contract_id,
            version: c.version,
            start_date: c.start_date,
            end_date: c.end_date,
            signed_on: c.signed_on,
            variation_reason: c.variation_reason,
            conditions: c.conditions.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentBody {
    pub appointment_id: Uuid,
    pub planned_at: Timestamp,
    pub purpose: String,
    pub location: Option<String>,
    /// `attended`, `late` or `missed`; absent until recorded.
    pub attendance: Option<String>,
    pub missed_reason: Option<String>,
    pub notes: Option<String>,
}

impl From<AppointmentView> for AppointmentBody {
    fn from(a: AppointmentView) -> AppointmentBody {
        AppointmentBody {
            appointment_id: a.appointment_id,
            planned_at: a.planned_at,
            purpose: a.purpose,
            location: a.location,
            attendance: a.attendance,
            missed_reason: a.missed_reason,
            notes: a.notes,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderReferralBody {
    pub provider_referral_id: Uuid,
    pub provider: String,
    pub pathway: String,
    pub referred_at: Timestamp,
    pub status: String,
    pub responded_at: Option<Timestamp>,
    pub response_notes: Option<String>,
}

impl From<ProviderReferralView> for ProviderReferralBody {
    fn from(p: ProviderReferralView) -> ProviderReferralBody {
        ProviderReferralBody {
            provider_referral_id: p.provider_referral_id,
            provider: p.provider,
            pathway: p.pathway,
            referred_at: p.referred_at,
            status: p.status,
            responded_at: p.responded_at,
            response_notes: p.response_notes,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedBody {
    pub pathway: String,
    pub severity: String,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedsAssessmentBody {
    pub assessment_id: Uuid,
    pub assessed_at: Timestamp,
    pub assessed_by_name: Option<String>,
    pub notes: Option<String>,
    pub needs: Vec<NeedBody>,
}

impl From<NeedsView> for NeedsAssessmentBody {
    fn from(n: NeedsView) -> NeedsAssessmentBody {
        NeedsAssessmentBody {
            assessment_id: n.assessment_id,
            assessed_at: n.assessed_at,
            assessed_by_name: n.assessed_by_name,
            notes: n.notes,
            needs: n
                .needs
                .into_iter()
                .map(|need| NeedBody {
                    pathway: need.pathway,
                    severity: need.severity,
                    notes: need.notes,
                })
                .collect(),
        }
    }
}

/// The arm a case was randomised to (the block is never shown: allocation concealment).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationBody {
    pub trial_id: String,
    pub arm: String,
    pub allocated_at: Timestamp,
    pub allocated_by_name: Option<String>,
}

impl From<AllocationView> for AllocationBody {
    fn from(a: AllocationView) -> AllocationBody {
        AllocationBody {
            trial_id: a.trial_id,
            arm: a.arm,
            allocated_at: a.allocated_at,
            allocated_by_name: a.allocated_by_name,
        }
    }
}

/// Something the caller may do to the case now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllowedActionBody {
    /// The use case (`make_offer`, `record_consent`, `sign_contract`, …).
    pub name: String,
    /// The permission it needs.
    pub action: String,
    /// The lifecycle transition it makes, if any.
    pub transition: Option<String>,
}

impl From<AllowedAction> for AllowedActionBody {
    fn from(a: AllowedAction) -> AllowedActionBody {
        AllowedActionBody {
            name: a.name.to_owned(),
            action: word(a.action),
            transition: a.transition.map(|t| t.as_str().to_owned()),
        }
    }
}

/// Everything the case page shows, and what the caller may do now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseViewBody {
    /// Same as `header.version` and the ETag.
    pub version: i64,
    pub header: CaseHeaderBody,
    /// The current advice and the decision over it.
    pub decision: Option<DecisionBody>,
    pub timeline: Vec<TimelineEntryBody>,
    pub contract: Option<ContractBody>,
    pub appointments: Vec<AppointmentBody>,
    pub provider_referrals: Vec<ProviderReferralBody>,
    pub needs_assessment: Option<NeedsAssessmentBody>,
    pub trial_allocation: Option<AllocationBody>,
    pub allowed_actions: Vec<AllowedActionBody>,
}

impl From<CaseView> for CaseViewBody {
    fn from(v: CaseView) -> CaseViewBody {
        CaseViewBody {
            version: v.header.version,
            header: v.header.into(),
            decision: v.decision.map(Into::into),
            timeline: v.timeline.into_iter().map(Into::into).collect(),
            contract: v.contract.map(Into::into),
            appointments: v.appointments.into_iter().map(Into::into).collect(),
            provider_referrals: v.provider_referrals.into_iter().map(Into::into).collect(),
            needs_assessment: v.needs_assessment.map(Into::into),
            trial_allocation: v.trial_allocation.map(Into::into),
            allowed_actions: v.allowed_actions.into_iter().map(Into::into).collect(),
        }
    }
}

/// The case page: header, advice and decision, timeline, contract, appointments, provider
/// referrals, needs, trial arm and the actions the caller may take. Navigators see only their
/// own and their team's cases (others answer 404). Each read is audited as a consultation.
#[utoipa::path(
    get, path = "/cases/{id}", tag = "cases",
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, description = "The case", body = CaseViewBody,
               headers(("ETag" = String, description = "\"v{version}\"; send it back in If-Match"))))
)]
pub async fn get_case(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
) -> ApiResult<Response> {
    let view = state.app.view_case(&signed_in.actor, case_id).await?;
    let body = CaseViewBody::from(view);
    Ok(with_etag(StatusCode::OK, body.version, body))
}
