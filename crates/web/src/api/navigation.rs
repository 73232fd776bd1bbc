//! The navigator's work on a case: needs assessment, the contract (draft, sign, start, vary)
//! and its conditions, appointments and attendance, contacts, provider referrals,
//! non-compliance reviews, completion and withdrawal.

use crate::AppState;
use crate::api::common::{Required, VersionOnly, mirror_enum};
use crate::api::custody::IfMatch;
use crate::auth::SignedIn;
use crate::error::ApiResult;
use crate::extract::{
    ApiJson, IdPath, OptionalJson, PageParams, PageQuery, Paginated, QueryParams, expected_version,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use checkpoint_app::appointments::{
    AbsenceReason, AppointmentView, Attendance, AttendanceRecorded, Contact, ContactMethod,
    ContactRecorded, NewAppointment,
};
use checkpoint_app::closure::{CaseCompleted, CaseWithdrawn, Disposal};
use checkpoint_app::contracts::{
    ConditionUpdated, ConditionView, ContractDraft, ContractSaved, ContractVariation, ContractView,
    DeadlineStatus, ParticipantSignature, Signature,
};
use checkpoint_app::needs::{NeedsAssessed, NeedsItem, Severity};
use checkpoint_app::provider_referrals::{ProviderReferralView, ProviderResponse};
use checkpoint_app::reviews::{
    ReviewDecided, ReviewDecision, ReviewOpened, ReviewResult, ReviewTrigger,
};
use checkpoint_domain::contract::{ConditionStatus, Pathway, ProposedCondition};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::cases::with_etag;

mirror_enum!(
    /// The needs pathways.
    PathwayName => Pathway {
        Alcohol, Drugs, Housing, MentalHealth, PhysicalHealth, Finances, Employment,
        Relationships, Exploitation,
    }
);

mirror_enum!(
    /// How severe a need is.
    SeverityName => Severity { None, Low, Medium, High }
);

mirror_enum!(
    /// A contract condition's progress.
    ConditionStatusName => ConditionStatus { NotStarted, InProgress, Completed, Missed, Waived }
);

mirror_enum!(
    /// Why an appointment was missed (HMPPS Refer and Monitor's categories).
    AbsenceReasonName => AbsenceReason { Acceptable, Unacceptable, Logistical }
);

mirror_enum!(
    /// How contact was made.
    ContactMethodName => ContactMethod { InPerson, Phone, Video, Message }
);

/// The prosecution deadline as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineBody {
    pub deadline: Option<Date>,
    /// Days from today (negative when past).
    pub days_remaining: Option<i32>,
    pub words: String,
}

impl From<DeadlineStatus> for DeadlineBody {
    fn from(d: DeadlineStatus) -> DeadlineBody {
        DeadlineBody {
            deadline: d.deadline,
            days_remaining: d.days_remaining,
            words: d.words,
        }
    }
}

// ---- needs --------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedItemBody {
    pub pathway: PathwayName,
    pub severity: SeverityName,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsAssessmentRequest {
    pub version: Option<i64>,
    /// One item per pathway assessed.
    #[schema(min_items = 1)]
    pub items: Vec<NeedItemBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedsAssessedBody {
    pub case_id: Uuid,
    pub version: i64,
    pub state: String,
    pub assessment_id: Uuid,
    /// A later assessment of a case already assessed.
    pub reassessment: bool,
    pub items: Vec<NeedItemBody>,
}

fn need_item_body(item: NeedsItem) -> NeedItemBody {
    NeedItemBody {
        pathway: crate::api::common::convert(&item.pathway).unwrap_or(PathwayName::Alcohol),
        severity: crate::api::common::convert(&item.severity).unwrap_or(SeverityName::None),
        notes: item.notes,
    }
}

impl From<NeedsAssessed> for NeedsAssessedBody {
    fn from(n: NeedsAssessed) -> NeedsAssessedBody {
        NeedsAssessedBody {
            case_id: n.case_id,
            version: n.version,
            state: n.state.as_str().to_owned(),
            assessment_id: n.assessment_id,
            reassessment: n.reassessment,
            items: n.items.into_iter().map(need_item_body).collect(),
        }
    }
}

/// Record a needs assessment across the pathways (the first moves an accepted case to needs
/// assessed; later ones are reassessments).
#[utoipa::path(
    post, path = "/cases/{id}/needs-assessment", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = NeedsAssessmentRequest,
    responses(
        (status = 200, description = "Recorded", body = NeedsAssessedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assess_needs(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<NeedsAssessmentRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let mut items = Vec::with_capacity(request.items.len());
    for item in request.items {
        items.push(NeedsItem {
            pathway: item.pathway.to_app()?,
            severity: item.severity.to_app()?,
            notes: item.notes,
        });
    }
    let done = state
        .app
        .record_needs_assessment(&signed_in.actor, case_id, version, items)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        done.version,
        NeedsAssessedBody::from(done),
    ))
}

// ---- contracts ----------------------------------------------------------------------------

/// A condition proposed for the contract, from the scheme's catalogue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionRequest {
    /// The catalogue id (`no_reoffending`, `alcohol_intervention`, `community_hours`, …).
    #[schema(example = "alcohol_intervention")]
    pub condition: String,
    /// For conditions counted in hours.
    pub hours: Option<u16>,
    pub due: Option<Date>,
    pub provider: Option<String>,
    #[serde(default)]
    pub details: String,
}

impl From<ConditionRequest> for ProposedCondition {
    fn from(c: ConditionRequest) -> ProposedCondition {
        ProposedCondition {
            condition: c.condition,
            hours: c.hours,
            due: c.due,
            provider: c.provider,
            details: c.details,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractDraftRequest {
    pub version: Option<i64>,
    /// The first day; the end follows from the scheme's length, clamped to the deadline.
    pub start: Date,
    /// At most five, from the scheme's catalogue.
    pub conditions: Vec<ConditionRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// Signed on paper, filed under `document_ref`.
    Paper,
    /// Typed by the participant on screen as `typed_name`.
    OnScreen,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    pub signed_on: Date,
    pub kind: SignatureKind,
    /// With `paper`.
    pub document_ref: Option<String>,
    /// With `on_screen`.
    pub typed_name: Option<String>,
}

impl SignatureRequest {
    fn into_app(self, prefix: &str) -> Result<Signature, crate::ApiError> {
        let mut required = Required::default();
        let participant_signature = match self.kind {
            SignatureKind::Paper => {
                let field = format!("{prefix}document_ref");
                required
                    .take(&field, self.document_ref, "required with a paper signature")
                    .map(|document_ref| ParticipantSignature::Paper { document_ref })
            }
            SignatureKind::OnScreen => {
                let field = format!("{prefix}typed_name");
                required
                    .take(
                        &field,
                        self.typed_name,
                        "required with an on-screen signature",
                    )
                    .map(|typed_name| ParticipantSignature::OnScreen { typed_name })
            }
        };
        let Some(participant_signature) = participant_signature else {
            return Err(required.into_error());
        };
        Ok(Signature {
            signed_on: self.signed_on,
            participant_signature,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignContractRequest {
    pub version: Option<i64>,
    #[serde(flatten)]
    pub signature: SignatureRequest,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractVariationRequest {
    pub version: Option<i64>,
    #[schema(pattern = r"\S", max_length = 1000)]
    pub reason: String,
    pub conditions: Vec<ConditionRequest>,
    pub signature: SignatureRequest,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractConditionBody {
    pub id: Uuid,
    pub position: i64,
    pub condition_type: String,
    pub description: String,
    pub pathway: Option<String>,
    pub hours: Option<i64>,
    pub due: Option<Date>,
    pub status: ConditionStatusName,
}

impl From<ConditionView> for ContractConditionBody {
    fn from(c: ConditionView) -> ContractConditionBody {
        ContractConditionBody {
            id: c.id,
            position: c.position,
            condition_type: c.condition_type,
            description: c.description,
            pathway: c.pathway,
            hours: c.hours,
            due: c.due,
            status: crate::api::common::convert(&c.status)
                .unwrap_or(ConditionStatusName::NotStarted),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractVersionBody {
    pub contract_id: Uuid,
    pub case_id: Uuid,
    /// The contract's own version (1, then one more per variation).
    pub contract_version: i64,
    pub start: Date,
    pub end: Date,
    pub signed_on: Option<Date>,
    pub variation_reason: Option<String>,
    pub conditions: Vec<ContractConditionBody>,
}

impl From<ContractView> for ContractVersionBody {
    fn from(c: ContractView) -> ContractVersionBody {
        ContractVersionBody {
            contract_id: c.contract_id,
            case_id: c.case_id,
            contract_version: c.contract_version,
            start: c.start,
            end: c.end,
            signed_on: c.signed_on,
            variation_reason: c.variation_reason,
            conditions: c.conditions.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractSavedBody {
    /// The case's version after this step (also the ETag).
    pub version: i64,
    pub state: String,
    pub contract: ContractVersionBody,
    /// The end was brought forward to protect the prosecution deadline.
    pub clamped: bool,
    pub nominal_end: Date,
    pub deadline: DeadlineBody,
}

fn contract_response(saved: ContractSaved) -> Response {
    let body = ContractSavedBody {
        version: saved.version,
        state: saved.state.as_str().to_owned(),
        contract: saved.contract.into(),
        clamped: saved.clamped,
        nominal_end: saved.nominal_end,
        deadline: saved.deadline.into(),
    };
    with_etag(StatusCode::OK, body.version, body)
}

/// Write (or rewrite) the draft contract: conditions from the scheme's catalogue, dates
/// clamped so the contract ends before the prosecution deadline. Every problem is named by
/// its path (`conditions[2].hours`).
#[utoipa::path(
    post, path = "/cases/{id}/contract", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = ContractDraftRequest,
    responses(
        (status = 200, description = "Draft saved", body = ContractSavedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn write_contract(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ContractDraftRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let draft = ContractDraft {
        start: request.start,
        conditions: request.conditions.into_iter().map(Into::into).collect(),
    };
    let saved = state
        .app
        .write_contract(&signed_in.actor, case_id, version, draft)
        .await?;
    Ok(contract_response(saved))
}

/// Record the participant's signature on the draft contract.
#[utoipa::path(
    post, path = "/cases/{id}/contract/signature", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = SignContractRequest,
    responses(
        (status = 200, description = "Signed", body = ContractSavedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_contract(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignContractRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let signature = request.signature.into_app("")?;
    let saved = state
        .app
        .sign_contract(&signed_in.actor, case_id, version, signature)
        .await?;
    Ok(contract_response(saved))
}

/// Start the signed contract: the case becomes active.
#[utoipa::path(
    post, path = "/cases/{id}/contract/start", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body(content = VersionOnly, description = "Optional when If-Match is sent"),
    responses(
        (status = 200, description = "Started", body = ContractSavedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_contract(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<VersionOnly>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, body.version)?;
    let saved = state
        .app
        .start_contract(&signed_in.actor, case_id, version)
        .await?;
    Ok(contract_response(saved))
}

/// Vary an active contract: new conditions, a reason and the participant's signature; the
/// earlier version is kept.
#[utoipa::path(
    post, path = "/cases/{id}/contract/variation", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = ContractVariationRequest,
    responses(
        (status = 200, description = "Varied", body = ContractSavedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn vary_contract(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ContractVariationRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let variation = ContractVariation {
        reason: request.reason,
        conditions: request.conditions.into_iter().map(Into::into).collect(),
        signature: request.signature.into_app("signature.")?,
    };
    let saved = state
        .app
        .vary_contract(&signed_in.actor, case_id, version, variation)
        .await?;
    Ok(contract_response(saved))
}

/// Every version of the case's contract, oldest first.
#[utoipa::path(
    get, path = "/cases/{id}/contract/versions", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id")),
    responses((status = 200, description = "Contract versions", body = Vec<ContractVersionBody>))
)]
pub async fn contract_versions(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
) -> ApiResult<Json<Vec<ContractVersionBody>>> {
    let versions = state
        .app
        .contract_versions(&signed_in.actor, case_id)
        .await?;
    Ok(Json(versions.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionStatusRequest {
    pub status: ConditionStatusName,
    /// What happened.
    #[schema(pattern = r"\S", max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionUpdatedBody {
    /// The case's version after this step.
    pub version: i64,
    pub condition: ContractConditionBody,
    /// A missed condition opens a non-compliance review.
    pub review_opened: Option<ReviewOpenedBody>,
}

impl From<ConditionUpdated> for ConditionUpdatedBody {
    fn from(c: ConditionUpdated) -> ConditionUpdatedBody {
        ConditionUpdatedBody {
            version: c.version,
            condition: c.condition.into(),
            review_opened: c.review_opened.map(Into::into),
        }
    }
}

/// Update a contract condition's status (a missed condition opens a review).
#[utoipa::path(
    post, path = "/conditions/{id}/status", tag = "navigation",
    params(("id" = Uuid, Path, description = "Condition id")),
    request_body = ConditionStatusRequest,
    responses((status = 200, description = "Updated", body = ConditionUpdatedBody, headers(("ETag" = String))))
)]
pub async fn update_condition_status(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(condition_id): IdPath,
    ApiJson(request): ApiJson<ConditionStatusRequest>,
) -> ApiResult<Response> {
    let updated = state
        .app
        .update_condition_status(
            &signed_in.actor,
            condition_id,
            request.status.to_app()?,
            &request.note,
        )
        .await?;
    let body = ConditionUpdatedBody::from(updated);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

// ---- appointments and contact -------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentRecordBody {
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: Timestamp,
    pub purpose: String,
    pub location: Option<String>,
    /// `attended`, `late` or `missed`; absent until recorded.
    pub attendance: Option<String>,
    pub absence_reason: Option<String>,
    pub notes: Option<String>,
}

impl From<AppointmentView> for AppointmentRecordBody {
    fn from(a: AppointmentView) -> AppointmentRecordBody {
        AppointmentRecordBody {
            id: a.id,
            case_id: a.case_id,
            at: a.at,
            purpose: a.purpose,
            location: a.location,
            attendance: a.attendance,
            absence_reason: a.absence_reason,
            notes: a.notes,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRequest {
    /// When, as a UTC instant (`2026-03-10T14:00:00Z`).
    pub at: Timestamp,
    #[schema(pattern = r"\S", max_length = 200)]
    pub purpose: String,
    #[serde(default)]
    #[schema(pattern = r"\S", max_length = 200)]
    pub location: Option<String>,
}

/// Book an appointment (no version needed: it does not change the case's state).
#[utoipa::path(
    post, path = "/cases/{id}/appointments", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id")),
    request_body = AppointmentRequest,
    responses((status = 201, description = "Booked", body = AppointmentRecordBody))
)]
pub async fn schedule_appointment(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    ApiJson(request): ApiJson<AppointmentRequest>,
) -> ApiResult<(StatusCode, Json<AppointmentRecordBody>)> {
    let view = state
        .app
        .schedule_appointment(
            &signed_in.actor,
            case_id,
            NewAppointment {
                at: request.at,
                purpose: request.purpose,
                location: request.location,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The case's appointments, in time order.
#[utoipa::path(
    get, path = "/cases/{id}/appointments", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "One page of appointments", body = Paginated<AppointmentRecordBody>))
)]
pub async fn list_appointments(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    query: QueryParams,
) -> ApiResult<Json<Paginated<AppointmentRecordBody>>> {
    let page = PageQuery::from_query(&query)?;
    let all = state.app.appointments(&signed_in.actor, case_id).await?;
    let bodies = all.into_iter().map(Into::into).collect();
    Ok(Json(page.slice(
        bodies,
        &format!("/api/v1/cases/{case_id}/appointments"),
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceName {
    Attended,
    Late,
    Missed,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRequest {
    pub attendance: AttendanceName,
    /// With `missed`: acceptable, unacceptable or logistical.
    pub reason: Option<AbsenceReasonName>,
    /// With `missed`: what happened.
    #[schema(pattern = r"\S", max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceRecordedBody {
    pub appointment: AppointmentRecordBody,
    /// The case's version after this step.
    pub version: i64,
    /// An unacceptable absence opens a non-compliance review.
    pub review_opened: Option<ReviewOpenedBody>,
}

impl From<AttendanceRecorded> for AttendanceRecordedBody {
    fn from(a: AttendanceRecorded) -> AttendanceRecordedBody {
        AttendanceRecordedBody {
            appointment: a.appointment.into(),
            version: a.version,
            review_opened: a.review_opened.map(Into::into),
        }
    }
}

/// Record attendance: attended, late, or missed with a reason (an unacceptable absence opens
/// a non-compliance review).
#[utoipa::path(
    post, path = "/appointments/{id}/attendance", tag = "navigation",
    params(("id" = Uuid, Path, description = "Appointment id")),
    request_body = AttendanceRequest,
    responses((status = 200, description = "Recorded", body = AttendanceRecordedBody, headers(("ETag" = String))))
)]
pub async fn record_attendance(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(appointment_id): IdPath,
    ApiJson(request): ApiJson<AttendanceRequest>,
) -> ApiResult<Response> {
    let attendance = match request.attendance {
        AttendanceName::Attended => Attendance::Yes,
        AttendanceName::Late => Attendance::Late,
        AttendanceName::Missed => {
            let why = "required when the appointment was missed";
            let mut required = Required::default();
            let reason = required.take("reason", request.reason, why);
            let note = required.take("note", request.note, why);
            let (Some(reason), Some(note)) = (reason, note) else {
                return Err(required.into_error());
            };
            Attendance::No {
                reason: reason.to_app()?,
                note,
            }
        }
    };
    let recorded = state
        .app
        .record_attendance(&signed_in.actor, appointment_id, attendance)
        .await?;
    let body = AttendanceRecordedBody::from(recorded);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub version: Option<i64>,
    pub on: Date,
    pub method: ContactMethodName,
    #[schema(pattern = r"\S", max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactRecordedBody {
    pub case_id: Uuid,
    pub version: i64,
    pub on: Date,
}

impl From<ContactRecorded> for ContactRecordedBody {
    fn from(c: ContactRecorded) -> ContactRecordedBody {
        ContactRecordedBody {
            case_id: c.case_id,
            version: c.version,
            on: c.on,
        }
    }
}

/// Record a contact outside appointments (a call, a message).
#[utoipa::path(
    post, path = "/cases/{id}/contacts", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = ContactRequest,
    responses(
        (status = 201, description = "Recorded", body = ContactRecordedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record_contact(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ContactRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let recorded = state
        .app
        .record_contact(
            &signed_in.actor,
            case_id,
            version,
            Contact {
                on: request.on,
                method: request.method.to_app()?,
                note: request.note,
            },
        )
        .await?;
    let body = ContactRecordedBody::from(recorded);
    Ok(with_etag(StatusCode::CREATED, body.version, body))
}

// ---- provider referrals -------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderReferralRecordBody {
    pub id: Uuid,
    pub case_id: Uuid,
    pub provider: String,
    pub pathway: String,
    pub referred_at: Timestamp,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub responded_at: Option<Timestamp>,
    pub response_notes: Option<String>,
}

impl From<ProviderReferralView> for ProviderReferralRecordBody {
    fn from(p: ProviderReferralView) -> ProviderReferralRecordBody {
        ProviderReferralRecordBody {
            id: p.id,
            case_id: p.case_id,
            provider: p.provider,
            pathway: p.pathway,
            referred_at: p.referred_at,
            status: p.status,
            responded_at: p.responded_at,
            response_notes: p.response_notes,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderReferralRequest {
    #[schema(pattern = r"\S", max_length = 200)]
    pub provider: String,
    pub pathway: PathwayName,
    /// Why, and what is shared with the provider.
    #[schema(pattern = r"\S", max_length = 2000)]
    pub note: String,
}

/// Refer the participant to a provider for a pathway.
#[utoipa::path(
    post, path = "/cases/{id}/provider-referrals", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id")),
    request_body = ProviderReferralRequest,
    responses((status = 201, description = "Referred", body = ProviderReferralRecordBody))
)]
pub async fn refer_to_provider(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    ApiJson(request): ApiJson<ProviderReferralRequest>,
) -> ApiResult<(StatusCode, Json<ProviderReferralRecordBody>)> {
    let view = state
        .app
        .refer_to_provider(
            &signed_in.actor,
            case_id,
            &request.provider,
            request.pathway.to_app()?,
            &request.note,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The case's provider referrals.
#[utoipa::path(
    get, path = "/cases/{id}/provider-referrals", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), PageParams),
    responses((status = 200, description = "One page of provider referrals", body = Paginated<ProviderReferralRecordBody>))
)]
pub async fn list_provider_referrals(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    query: QueryParams,
) -> ApiResult<Json<Paginated<ProviderReferralRecordBody>>> {
    let page = PageQuery::from_query(&query)?;
    let all = state
        .app
        .provider_referrals(&signed_in.actor, case_id)
        .await?;
    let bodies = all.into_iter().map(Into::into).collect();
    Ok(Json(page.slice(
        bodies,
        &format!("/api/v1/cases/{case_id}/provider-referrals"),
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderAnswer {
    Accepted,
    Rejected,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderResponseRequest {
    pub response: ProviderAnswer,
    /// With `rejected`: why.
    #[schema(pattern = r"\S", max_length = 2000)]
    pub reason: Option<String>,
}

/// Record the provider's answer.
#[utoipa::path(
    post, path = "/provider-referrals/{id}/response", tag = "navigation",
    params(("id" = Uuid, Path, description = "Provider referral id")),
    request_body = ProviderResponseRequest,
    responses((status = 200, description = "Recorded", body = ProviderReferralRecordBody))
)]
pub async fn record_provider_response(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(referral_id): IdPath,
    ApiJson(request): ApiJson<ProviderResponseRequest>,
) -> ApiResult<Json<ProviderReferralRecordBody>> {
    let response = match request.response {
        ProviderAnswer::Accepted => ProviderResponse::Accepted,
        ProviderAnswer::Rejected => {
            let mut required = Required::default();
            let why = "required when the provider rejected the referral";
            let Some(reason) = required.take("reason", request.reason, why) else {
                return Err(required.into_error());
            };
            ProviderResponse::Rejected { reason }
        }
    };
    let view = state
        .app
        .record_provider_response(&signed_in.actor, referral_id, response)
        .await?;
    Ok(Json(view.into()))
}

// ---- non-compliance reviews ---------------------------------------------------------------

/// What opened a review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewTriggerBody {
    /// `missed_condition`, `unacceptable_absence`, `new_arrest` or `other`.
    pub kind: String,
    pub condition_id: Option<Uuid>,
    pub appointment_id: Option<Uuid>,
    pub arrest_ref: Option<String>,
    pub date: Option<Date>,
    pub details: Option<String>,
}

impl From<ReviewTrigger> for ReviewTriggerBody {
    fn from(t: ReviewTrigger) -> ReviewTriggerBody {
        let empty = ReviewTriggerBody {
            kind: String::new(),
            condition_id: None,
            appointment_id: None,
            arrest_ref: None,
            date: None,
            details: None,
        };
        match t {
            ReviewTrigger::MissedCondition(id) => ReviewTriggerBody {
                kind: "missed_condition".to_owned(),
                condition_id: Some(id),
                ..empty
            },
            ReviewTrigger::UnacceptableAbsence(id) => ReviewTriggerBody {
                kind: "unacceptable_absence".to_owned(),
                appointment_id: Some(id),
                ..empty
            },
            ReviewTrigger::NewArrest { arrest_ref, date } => ReviewTriggerBody {
                kind: "new_arrest".to_owned(),
                arrest_ref: Some(arrest_ref),
                date: Some(date),
                ..empty
            },
            ReviewTrigger::Other(details) => ReviewTriggerBody {
                kind: "other".to_owned(),
                details: Some(details),
                ..empty
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewOpenedBody {
    pub case_id: Uuid,
    pub version: i64,
    pub trigger: ReviewTriggerBody,
    pub opened_on: Date,
    pub deadline: DeadlineBody,
}

impl From<ReviewOpened> for ReviewOpenedBody {
    fn from(r: ReviewOpened) -> ReviewOpenedBody {
        ReviewOpenedBody {
            case_id: r.case_id,
            version: r.version,
            trigger: r.trigger.into(),
            opened_on: r.opened_on,
            deadline: r.deadline.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    MissedCondition,
    UnacceptableAbsence,
    NewArrest,
    Other,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenReviewRequest {
    pub version: Option<i64>,
    pub trigger: TriggerKind,
    /// With `missed_condition`.
    pub condition_id: Option<Uuid>,
    /// With `unacceptable_absence`.
    pub appointment_id: Option<Uuid>,
    /// With `new_arrest`.
    pub arrest_ref: Option<String>,
    /// With `new_arrest`: the arrest date.
    pub date: Option<Date>,
    /// With `other`: what happened.
    pub details: Option<String>,
}

impl OpenReviewRequest {
    fn trigger(self) -> Result<ReviewTrigger, crate::ApiError> {
        let mut required = Required::default();
        let trigger = match self.trigger {
            TriggerKind::MissedCondition => required
                .take(
                    "condition_id",
                    self.condition_id,
                    "required for a missed condition",
                )
                .map(ReviewTrigger::MissedCondition),
            TriggerKind::UnacceptableAbsence => required
                .take(
                    "appointment_id",
                    self.appointment_id,
                    "required for an absence",
                )
                .map(ReviewTrigger::UnacceptableAbsence),
            TriggerKind::NewArrest => {
                let why = "required for a new arrest";
                let arrest_ref = required.take("arrest_ref", self.arrest_ref, why);
                let date = required.take("date", self.date, why);
                arrest_ref
                    .zip(date)
                    .map(|(arrest_ref, date)| ReviewTrigger::NewArrest { arrest_ref, date })
            }
            TriggerKind::Other => required
                .take("details", self.details, "say what happened")
                .map(ReviewTrigger::Other),
        };
        trigger.ok_or_else(|| required.into_error())
    }
}

/// Open a non-compliance review.
#[utoipa::path(
    post, path = "/cases/{id}/reviews", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = OpenReviewRequest,
    responses(
        (status = 201, description = "Opened", body = ReviewOpenedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<OpenReviewRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let trigger = request.trigger()?;
    let opened = state
        .app
        .open_review(&signed_in.actor, case_id, version, trigger)
        .await?;
    let body = ReviewOpenedBody::from(opened);
    Ok(with_etag(StatusCode::CREATED, body.version, body))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcomeName {
    /// Back on the contract.
    Resume,
    /// The contract has failed: prosecution (or Outcome 17 when time has run out).
    Fail,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideReviewRequest {
    pub version: Option<i64>,
    pub decision: ReviewOutcomeName,
    /// With `resume`: whether the person had a reasonable excuse.
    pub reasonable_excuse: Option<bool>,
    #[schema(pattern = r"\S", max_length = 2000)]
    pub reason: String,
}

/// How a disposal ended the case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisposalBody {
    /// `prosecution_referred` or `time_limit_expired`.
    pub kind: String,
    /// Home Office outcome code.
    pub outcome_code: u8,
    pub outcome: String,
}

impl From<Disposal> for DisposalBody {
    fn from(d: Disposal) -> DisposalBody {
        match d {
            Disposal::ProsecutionReferred {
                outcome_code,
                outcome,
            } => DisposalBody {
                kind: "prosecution_referred".to_owned(),
                outcome_code,
                outcome,
            },
            Disposal::TimeLimitExpired {
                outcome_code,
                outcome,
            } => DisposalBody {
                kind: "time_limit_expired".to_owned(),
                outcome_code,
                outcome,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDecidedBody {
    pub case_id: Uuid,
    pub version: i64,
    pub state: String,
    /// `resumed` or `failed`.
    pub result: String,
    pub reasonable_excuse: Option<bool>,
    pub disposal: Option<DisposalBody>,
    pub deadline: DeadlineBody,
}

impl From<ReviewDecided> for ReviewDecidedBody {
    fn from(r: ReviewDecided) -> ReviewDecidedBody {
        let (result, reasonable_excuse, disposal) = match r.result {
            ReviewResult::Resumed { reasonable_excuse } => {
                ("resumed", Some(reasonable_excuse), None)
            }
            ReviewResult::Failed { disposal } => ("failed", None, Some(disposal.into())),
        };
        ReviewDecidedBody {
            case_id: r.case_id,
            version: r.version,
            state: r.state.as_str().to_owned(),
            result: result.to_owned(),
            reasonable_excuse,
            disposal,
            deadline: r.deadline.into(),
        }
    }
}

/// Decide a non-compliance review (supervisors): resume, or fail (the case is referred for
/// prosecution, or closed with Outcome 17 when the time limit has passed).
#[utoipa::path(
    post, path = "/cases/{id}/review-decision", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = DecideReviewRequest,
    responses(
        (status = 200, description = "Decided", body = ReviewDecidedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide_review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<DecideReviewRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let decision = match request.decision {
        ReviewOutcomeName::Resume => {
            let mut required = Required::default();
            let why = "required when resuming";
            let Some(reasonable_excuse) =
                required.take("reasonable_excuse", request.reasonable_excuse, why)
            else {
                return Err(required.into_error());
            };
            ReviewDecision::Resume {
                reasonable_excuse,
                reason: request.reason,
            }
        }
        ReviewOutcomeName::Fail => ReviewDecision::Fail {
            reason: request.reason,
        },
    };
    let decided = state
        .app
        .decide_review(&signed_in.actor, case_id, version, decision)
        .await?;
    let body = ReviewDecidedBody::from(decided);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

// ---- closure ------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseCompletedBody {
    pub case_id: Uuid,
    pub version: i64,
    pub state: String,
    /// Home Office outcome code recorded under the scheme's policy.
    pub outcome_code: u8,
    pub outcome: String,
    pub follow_up_until: Date,
    pub retention_review_on: Date,
}

impl From<CaseCompleted> for CaseCompletedBody {
    fn from(c: CaseCompleted) -> CaseCompletedBody {
        CaseCompletedBody {
            case_id: c.case_id,
            version: c.version,
            state: c.state.as_str().to_owned(),
            outcome_code: c.outcome_code,
            outcome: c.outcome,
            follow_up_until: c.follow_up_until,
            retention_review_on: c.retention_review_on,
        }
    }
}

/// Complete an active case: the outcome code per the scheme's policy, follow-up dates set.
#[utoipa::path(
    post, path = "/cases/{id}/completion", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body(content = VersionOnly, description = "Optional when If-Match is sent"),
    responses(
        (status = 200, description = "Completed", body = CaseCompletedBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn complete_case(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<VersionOnly>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, body.version)?;
    let completed = state
        .app
        .complete_case(&signed_in.actor, case_id, version)
        .await?;
    let body = CaseCompletedBody::from(completed);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    pub version: Option<i64>,
    /// Why the person is leaving the scheme.
    #[schema(pattern = r"\S", max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseWithdrawnBody {
    pub case_id: Uuid,
    pub version: i64,
    pub state: String,
    pub disposal: DisposalBody,
    pub deadline: DeadlineBody,
}

impl From<CaseWithdrawn> for CaseWithdrawnBody {
    fn from(c: CaseWithdrawn) -> CaseWithdrawnBody {
        CaseWithdrawnBody {
            case_id: c.case_id,
            version: c.version,
            state: c.state.as_str().to_owned(),
            disposal: c.disposal.into(),
            deadline: c.deadline.into(),
        }
    }
}

/// Record the person's withdrawal from an active contract.
#[utoipa::path(
    post, path = "/cases/{id}/withdrawal", tag = "navigation",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = WithdrawalRequest,
    responses(
        (status = 200, description = "Withdrawn", body = CaseWithdrawnBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<WithdrawalRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let withdrawn = state
        .app
        .withdraw(&signed_in.actor, case_id, version, &request.reason)
        .await?;
    let body = CaseWithdrawnBody::from(withdrawn);
    Ok(with_etag(StatusCode::OK, body.version, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_enums_convert_every_variant() {
        for v in PathwayName::ALL {
            v.to_app().unwrap();
        }
        for v in SeverityName::ALL {
            v.to_app().unwrap();
        }
        for v in ConditionStatusName::ALL {
            v.to_app().unwrap();
        }
        for v in AbsenceReasonName::ALL {
            v.to_app().unwrap();
        }
        for v in ContactMethodName::ALL {
            v.to_app().unwrap();
        }
    }
}
