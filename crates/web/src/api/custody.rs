//! The custody desk: likely duplicates, the referral with the policy's advice, the screening
//! decision (accept or override), re-screening, countersignature of overrides, trial
//! allocation, the offer and the person's consent.

use crate::AppState;
use crate::api::cases::{CaseSummary, progress_response, with_etag};
use crate::api::common::{Required, VersionOnly, mirror_enum, word};
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation, ProblemField};
use crate::extract::{
    ApiJson, IdPath, OptionalJson, PageParams, PageQuery, Paginated, QueryParams, expected_version,
    from_json_value,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::people::PersonMatch;
use checkpoint_app::referrals::{NewReferral, PersonChoice, ReferralOutcome};
use checkpoint_app::screening::{
    CountersignatureView, CriterionView, DecisionView, OverrideAwaiting, OverrideCode,
    ScreeningChoice, ScreeningDecisionView,
};
use checkpoint_domain::lifecycle::ScreeningOutcome;
use checkpoint_domain::person::PersonDetails;
use checkpoint_domain::referral::Referral;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A custody referral in the format of `schemas/referral.schema.json` (the published
/// document carries that schema in full under this name).
#[derive(Debug, ToSchema)]
#[schema(title = "Custody referral")]
pub struct ReferralDocument {}

/// Parses a referral, naming failures by their JSON path under `prefix`
/// (`referral.person.date_of_birth`).
fn parse_referral(value: serde_json::Value, prefix: &str) -> Result<Referral, ApiError> {
    Referral::from_value(value).map_err(|e| {
        let path = if e.path == "." {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", e.path)
        };
        ApiError::Invalid(vec![ProblemField {
            field: missing_field_path(&path, &e.message),
            location: FieldLocation::Body,
            detail: e.message,
        }])
    })
}

fn missing_field_path(path: &str, message: &str) -> String {
    match message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        Some(field) => format!("{path}.{field}"),
        None => path.to_owned(),
    }
}

// ---- bodies -------------------------------------------------------------------------------

/// One criterion of the policy's advice, with its verdict and evidence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionVerdict {
    #[schema(example = "adult")]
    pub id: String,
    pub text: String,
    pub source: String,
    /// `met`, `not_met`, `unknown` or `not_applicable`.
    #[schema(example = "met")]
    pub verdict: String,
    /// The evidence in words ("aged 34 on the referral date").
    pub explanation: String,
}

impl From<CriterionView> for CriterionVerdict {
    fn from(c: CriterionView) -> CriterionVerdict {
        CriterionVerdict {
            id: c.id,
            text: c.text,
            source: c.source,
            verdict: word(c.verdict),
            explanation: c.explanation,
        }
    }
}

/// Planned contract dates under the policy, clamped to the prosecution deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedContract {
    pub start: Date,
    /// Start plus the scheme's nominal length.
    pub nominal_end: Date,
    /// The end actually planned: the nominal end, or earlier to protect the deadline.
    pub end: Date,
    /// The s.127 deadline, for summary-only offences.
    pub prosecution_deadline: Option<Date>,
    /// The last day a contract may run to (the deadline less the margin).
    pub latest_end: Option<Date>,
    pub clamped: bool,
    pub length_days: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountersignatureBody {
    pub decision_id: Uuid,
    pub countersigned_by: Uuid,
    pub countersigned_by_name: String,
    pub agreed: bool,
    pub note: Option<String>,
    pub countersigned_at: Timestamp,
}

impl From<CountersignatureView> for CountersignatureBody {
    fn from(c: CountersignatureView) -> CountersignatureBody {
        CountersignatureBody {
            decision_id: c.decision_id,
            countersigned_by: c.countersigned_by,
            countersigned_by_name: c.countersigned_by_name,
            agreed: c.agreed,
            note: c.note,
            countersigned_at: c.countersigned_at,
        }
    }
}

/// The person's decision over the advice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreeningDecisionBody {
    pub decision_id: Uuid,
    /// `eligible`, `ineligible` or `needs_information`.
    pub outcome: String,
    pub follows_advice: bool,
    pub override_code: Option<String>,
    pub override_label: Option<String>,
    pub override_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_by_name: String,
    pub decided_at: Timestamp,
    /// For overrides: absent while awaiting a supervisor.
    pub countersignature: Option<CountersignatureBody>,
}

impl From<ScreeningDecisionView> for ScreeningDecisionBody {
    fn from(d: ScreeningDecisionView) -> ScreeningDecisionBody {
        ScreeningDecisionBody {
            decision_id: d.decision_id,
            outcome: word(d.outcome),
            follows_advice: d.follows_advice,
            override_code: d.override_code.map(|c| c.as_str().to_owned()),
            override_label: d.override_label.map(str::to_owned),
            override_reason: d.override_reason,
            decided_by: d.decided_by,
            decided_by_name: d.decided_by_name,
            decided_at: d.decided_at,
            countersignature: d.countersignature.map(Into::into),
        }
    }
}

/// The policy's advice on a case (every criterion, never only the first failure) and, once
/// made, the person's decision over it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionBody {
    pub advice_id: Uuid,
    pub policy_id: String,
    pub policy_name: String,
    pub policy_version: u32,
    /// `sha256:…` of the policy file the advice was computed under.
    pub policy_hash: String,
    pub referral_date: Date,
    /// `eligible`, `ineligible` or `needs_information`.
    #[schema(example = "eligible")]
    pub advised_outcome: String,
    /// Every criterion in policy order.
    pub criteria: Vec<CriterionVerdict>,
    pub warnings: Vec<String>,
    pub contract: PlannedContract,
    /// The deadline and contract dates in words, as the sergeant reads them.
    pub deadline_in_words: String,
    pub decision: Option<ScreeningDecisionBody>,
}

impl From<DecisionView> for DecisionBody {
    fn from(d: DecisionView) -> DecisionBody {
        DecisionBody {
            advice_id: d.advice_id,
            policy_id: d.policy_id,
            policy_name: d.policy_name,
            policy_version: d.policy_version,
            policy_hash: d.policy_hash,
            referral_date: d.referral_date,
            advised_outcome: word(d.advised_outcome),
            criteria: d.criteria.into_iter().map(Into::into).collect(),
            warnings: d.warnings,
            contract: PlannedContract {
                start: d.contract.start,
                nominal_end: d.contract.nominal_end,
                end: d.contract.end,
                prosecution_deadline: d.contract.prosecution_deadline,
                latest_end: d.contract.latest_end,
                clamped: d.contract.clamped,
                length_days: d.contract.length_days,
            },
            deadline_in_words: d.deadline_in_words,
            decision: d.decision.map(Into::into),
        }
    }
}

/// A person already known who may be the one being referred.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LikelyMatch {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub pnc_id: Option<String>,
    /// 0–100: how alike the two records are.
    pub score: u8,
    /// `same_name`, `same_date_of_birth`, `family_name_spelt_differently`, …
    pub reasons: Vec<String>,
    /// The reasons in words.
    pub explanation: String,
}

impl From<PersonMatch> for LikelyMatch {
    fn from(m: PersonMatch) -> LikelyMatch {
        LikelyMatch {
            person_id: m.person_id,
            given_name: m.given_name,
            family_name: m.family_name,
            date_of_birth: m.date_of_birth,
            pnc_id: m.pnc_id,
            score: m.score,
            reasons: m.reasons.into_iter().map(word).collect(),
            explanation: m.explanation,
        }
    }
}

/// Who the referral is about.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PersonChoiceBody {
    /// A new person (list every likely match in `acknowledged_matches`).
    #[default]
    New,
    /// A person already known; their details are corrected from the referral.
    Existing { person_id: Uuid },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReferralRequest {
    #[schema(example = "durham-checkpoint")]
    pub scheme_id: String,
    #[schema(value_type = ReferralDocument)]
    pub referral: serde_json::Value,
    /// Default `{"kind": "new"}`.
    #[serde(default)]
    pub person: PersonChoiceBody,
    /// With a new person: the likely matches (from POST /people/likely-matches) the desk
    /// judged to be other people. Every likely match must be listed, else 422 on `person`.
    #[serde(default)]
    pub acknowledged_matches: Vec<Uuid>,
}

/// The new case, the policy's advice with every criterion, and the people who looked alike.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReferralCreated {
    pub case: CaseSummary,
    /// Same as `case.version` and the ETag.
    pub version: i64,
    pub person_id: Uuid,
    pub referral_id: Uuid,
    pub advice: DecisionBody,
    pub likely_matches: Vec<LikelyMatch>,
    pub prosecution_deadline: Option<Date>,
    /// Days from today to the prosecution deadline (negative when past).
    pub days_to_deadline: Option<i32>,
    pub contract_start: Date,
    pub contract_end: Date,
    pub deadline_in_words: String,
}

impl From<ReferralOutcome> for ReferralCreated {
    fn from(o: ReferralOutcome) -> ReferralCreated {
        ReferralCreated {
            version: o.case.version,
            case: o.case.into(),
            person_id: o.person_id,
            referral_id: o.referral_id,
            advice: o.advice.into(),
            likely_matches: o.likely_matches.into_iter().map(Into::into).collect(),
            prosecution_deadline: o.prosecution_deadline,
            days_to_deadline: o.days_to_deadline,
            contract_start: o.contract_start,
            contract_end: o.contract_end,
            deadline_in_words: o.deadline_in_words,
        }
    }
}

// ---- referral -----------------------------------------------------------------------------

/// Refer a person: stores the person, the referral and a new case, and returns the policy's
/// advice (every criterion with its verdict and evidence) for a person to decide over.
/// When known people look alike, either choose one (`person.kind = existing`) or list them all
/// in `acknowledged_matches`; otherwise 422 on `person` names them.
#[utoipa::path(
    post, path = "/referrals", tag = "custody",
    request_body = CreateReferralRequest,
    responses((status = 201, description = "Referred", body = ReferralCreated,
               headers(("ETag" = String, description = "\"v{version}\" of the new case"),
                       ("Location" = String, description = "/api/v1/cases/{id}"))))
)]
pub async fn create_referral(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<CreateReferralRequest>,
) -> ApiResult<Response> {
    let referral = parse_referral(request.referral, "referral")?;
    let outcome = state
        .app
        .create_referral(
            &signed_in.actor,
            NewReferral {
                scheme_id: request.scheme_id,
                referral,
                person: match request.person {
                    PersonChoiceBody::New => PersonChoice::New,
                    PersonChoiceBody::Existing { person_id } => PersonChoice::Existing(person_id),
                },
                acknowledged_matches: request.acknowledged_matches,
            },
        )
        .await?;
    let body = ReferralCreated::from(outcome);
    let location = format!("/api/v1/cases/{}", body.case.case_id);
    let mut response = with_etag(StatusCode::CREATED, body.version, body);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LikelyMatchesRequest {
    /// The person as typed: the `person` object of the referral format.
    #[schema(value_type = Object)]
    pub person: serde_json::Value,
}

/// People already known who may be the person being referred, best first, with scores and
/// reasons. Ask before referring a new person. Audited as a consultation.
#[utoipa::path(
    post, path = "/people/likely-matches", tag = "custody",
    request_body = LikelyMatchesRequest,
    responses((status = 200, description = "Likely matches, best first", body = Vec<LikelyMatch>))
)]
pub async fn likely_matches(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiJson(request): ApiJson<LikelyMatchesRequest>,
) -> ApiResult<Json<Vec<LikelyMatch>>> {
    let person: PersonDetails = from_json_value(request.person).map_err(|e| match e {
        ApiError::Invalid(fields) => ApiError::Invalid(
            fields
                .into_iter()
                .map(|f| ProblemField {
                    field: format!("person.{}", f.field),
                    ..f
                })
                .collect(),
        ),
        other => other,
    })?;
    let matches = state
        .app
        .find_likely_people(&signed_in.actor, &person)
        .await?;
    Ok(Json(matches.into_iter().map(Into::into).collect()))
}

// ---- screening ----------------------------------------------------------------------------

mirror_enum!(
    /// A screening outcome a person may record.
    ScreeningOutcomeName => ScreeningOutcome { Eligible, Ineligible, NeedsInformation }
);

mirror_enum!(
    /// Why a decision departs from the advice (a closed list, so override rates can be
    /// reported by reason).
    OverrideCodeName => OverrideCode {
        OfficerDiscretionPublicInterest,
        InformationPolicyCouldNotSee,
        VictimViews,
        RiskJudgement,
        Vulnerability,
        Other,
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningChoiceName {
    /// Record the advised outcome.
    AcceptAdvice,
    /// Record another outcome with `outcome`, `code` and `reason`.
    Override,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningDecisionRequest {
    /// The case version (or send `If-Match`).
    pub version: Option<i64>,
    pub choice: ScreeningChoiceName,
    /// With `override`: the outcome recorded instead of the advice.
    pub outcome: Option<ScreeningOutcomeName>,
    /// With `override`: why, from the closed list.
    pub code: Option<OverrideCodeName>,
    /// With `override`: why, in words.
    pub reason: Option<String>,
}

/// Record the screening decision over the case's current advice: accept it, or override it
/// with a coded and a written reason (overrides then await a supervisor's countersignature).
#[utoipa::path(
    post, path = "/cases/{id}/screening-decision", tag = "custody",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = ScreeningDecisionRequest,
    responses(
        (status = 200, description = "Decided", body = CaseSummary, headers(("ETag" = String))),
        (status = 409, description = "Stale version, or the case is past screening", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record_screening_decision(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ScreeningDecisionRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let choice = match request.choice {
        ScreeningChoiceName::AcceptAdvice => ScreeningChoice::AcceptAdvice,
        ScreeningChoiceName::Override => {
            let why = "required with an override";
            let mut required = Required::default();
            let outcome = required.take("outcome", request.outcome, why);
            let code = required.take("code", request.code, why);
            let reason = required.take("reason", request.reason, why);
            let (Some(outcome), Some(code), Some(reason)) = (outcome, code, reason) else {
                return Err(required.into_error());
            };
            ScreeningChoice::Override {
                outcome: outcome.to_app()?,
                code: code.to_app()?,
                reason,
            }
        }
    };
    let progress = state
        .app
        .record_screening_decision(&signed_in.actor, case_id, version, choice)
        .await?;
    Ok(progress_response(progress))
}

/// The version header every case update takes (documentation only; parsed by
/// [`expected_version`]).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The case's ETag from its last response, e.g. `"v3"`. Required unless the body carries
    /// `version`.
    #[param(rename = "If-Match", required = false, pattern = r#"^(W/)?"v[0-9]+"$"#)]
    pub if_match: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescreenRequest {
    pub version: Option<i64>,
    /// The corrected referral.
    #[schema(value_type = ReferralDocument)]
    pub referral: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RescreenBody {
    pub case: CaseSummary,
    pub advice: DecisionBody,
}

/// Evaluate a corrected referral for a case still being screened (referred or needs
/// information); decide over the new advice next.
#[utoipa::path(
    post, path = "/cases/{id}/rescreen", tag = "custody",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = RescreenRequest,
    responses(
        (status = 200, description = "New advice", body = RescreenBody, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rescreen(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<RescreenRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let referral = parse_referral(request.referral, "referral")?;
    let outcome = state
        .app
        .rescreen(&signed_in.actor, case_id, version, referral)
        .await?;
    let version = outcome.case.version;
    Ok(with_etag(
        StatusCode::OK,
        version,
        RescreenBody {
            case: outcome.case.into(),
            advice: outcome.advice.into(),
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountersignRequest {
    /// Whether the supervisor agrees with the override.
    pub agree: bool,
    /// Required when disagreeing.
    #[serde(default)]
    pub note: Option<String>,
}

/// Countersign an override (supervisors; not the person who made it).
#[utoipa::path(
    post, path = "/decisions/{id}/countersignature", tag = "custody",
    params(("id" = Uuid, Path, description = "The screening decision's id")),
    request_body = CountersignRequest,
    responses((status = 201, description = "Countersigned", body = CountersignatureBody))
)]
pub async fn countersign(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(decision_id): IdPath,
    ApiJson(request): ApiJson<CountersignRequest>,
) -> ApiResult<(StatusCode, Json<CountersignatureBody>)> {
    let view = state
        .app
        .countersign_override(
            &signed_in.actor,
            decision_id,
            request.agree,
            request.note.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// An override waiting for a supervisor's countersignature.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverrideAwaitingBody {
    pub decision_id: Uuid,
    pub case_id: Uuid,
    pub reference: String,
    pub person_name: String,
    pub advised_outcome: String,
    pub outcome: String,
    pub override_code: Option<String>,
    pub override_label: Option<String>,
    pub override_reason: Option<String>,
    pub decided_by_name: String,
    pub decided_at: Timestamp,
}

impl From<OverrideAwaiting> for OverrideAwaitingBody {
    fn from(o: OverrideAwaiting) -> OverrideAwaitingBody {
        OverrideAwaitingBody {
            decision_id: o.decision_id,
            case_id: o.case_id,
            reference: o.reference,
            person_name: o.person_name,
            advised_outcome: o.advised_outcome,
            outcome: o.outcome,
            override_code: o.override_code.map(|c| c.as_str().to_owned()),
            override_label: o.override_label.map(str::to_owned),
            override_reason: o.override_reason,
            decided_by_name: o.decided_by_name,
            decided_at: o.decided_at,
        }
    }
}

/// Overrides awaiting countersignature, oldest first (supervisors).
#[utoipa::path(
    get, path = "/supervisor/overrides", tag = "worklists",
    params(PageParams),
    responses((status = 200, description = "One page of overrides", body = Paginated<OverrideAwaitingBody>))
)]
pub async fn overrides_awaiting(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Paginated<OverrideAwaitingBody>>> {
    let page = PageQuery::from_query(&query)?;
    let all = state
        .app
        .overrides_awaiting_countersignature(&signed_in.actor)
        .await?;
    let bodies = all.into_iter().map(Into::into).collect();
    Ok(Json(page.slice(bodies, "/api/v1/supervisor/overrides")))
}

// ---- trial, offer, consent ----------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationMade {
    pub case: CaseSummary,
    /// `treatment` (offer next) or `control` (usual process).
    pub arm: String,
}

/// Randomise an eligible case in a trial scheme. Computed once, stored, never changed.
#[utoipa::path(
    post, path = "/cases/{id}/allocation", tag = "custody",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body(content = VersionOnly, description = "Optional when If-Match is sent"),
    responses(
        (status = 200, description = "Allocated", body = AllocationMade, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn allocate(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<VersionOnly>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, body.version)?;
    let outcome = state
        .app
        .allocate(&signed_in.actor, case_id, version)
        .await?;
    let version = outcome.case.version;
    Ok(with_etag(
        StatusCode::OK,
        version,
        AllocationMade {
            case: outcome.case.into(),
            arm: outcome.arm.as_str().to_owned(),
        },
    ))
}

/// Offer the scheme to an eligible person (in a trial, once allocated to treatment).
#[utoipa::path(
    post, path = "/cases/{id}/offer", tag = "custody",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body(content = VersionOnly, description = "Optional when If-Match is sent"),
    responses(
        (status = 200, description = "Offered", body = CaseSummary, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn make_offer(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<VersionOnly>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, body.version)?;
    let progress = state
        .app
        .make_offer(&signed_in.actor, case_id, version)
        .await?;
    Ok(progress_response(progress))
}

mirror_enum!(
    /// What the person's consent rests on, as the scheme's admission rule needs.
    AdmissionName => Admission {
        AdmittedInInterview,
        NoReplyInInterview,
        AdmittedOnConsent,
        NoneRequired,
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAnswer {
    Accepted,
    Declined,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub version: Option<i64>,
    pub answer: ConsentAnswer,
    /// With `accepted`.
    pub admission: Option<AdmissionName>,
    /// With `accepted`: the day the person signed.
    pub signed_on: Option<Date>,
    /// With `declined`: why.
    pub reason: Option<String>,
}

/// Record the person's answer to the offer: accepted (with the admission the policy needs
/// and the date signed) or declined (with the reason).
#[utoipa::path(
    post, path = "/cases/{id}/consent", tag = "custody",
    params(("id" = Uuid, Path, description = "Case id"), IfMatch),
    request_body = ConsentRequest,
    responses(
        (status = 200, description = "Recorded", body = CaseSummary, headers(("ETag" = String))),
        (status = 409, description = "Stale version or wrong state", body = crate::Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match and no `version`", body = crate::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record_consent(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(case_id): IdPath,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ConsentRequest>,
) -> ApiResult<Response> {
    let version = expected_version(&headers, request.version)?;
    let consent = match request.answer {
        ConsentAnswer::Accepted => {
            let why = "required when the offer is accepted";
            let mut required = Required::default();
            let admission = required.take("admission", request.admission, why);
            let signed_on = required.take("signed_on", request.signed_on, why);
            let (Some(admission), Some(signed_on)) = (admission, signed_on) else {
                return Err(required.into_error());
            };
            Consent::Accepted {
                admission: admission.to_app()?,
                signed_on,
            }
        }
        ConsentAnswer::Declined => {
            let mut required = Required::default();
            let why = "required when the offer is declined";
            let Some(reason) = required.take("reason", request.reason, why) else {
                return Err(required.into_error());
            };
            Consent::Declined { reason }
        }
    };
    let progress = state
        .app
        .record_consent(&signed_in.actor, case_id, version, consent)
        .await?;
    Ok(progress_response(progress))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_enums_convert_every_variant() {
        for v in ScreeningOutcomeName::ALL {
            v.to_app().unwrap();
        }
        for v in OverrideCodeName::ALL {
            v.to_app().unwrap();
        }
        for v in AdmissionName::ALL {
            v.to_app().unwrap();
        }
    }

    #[test]
    fn referral_errors_are_named_under_the_body_field() {
        let Err(ApiError::Invalid(fields)) = parse_referral(serde_json::json!({}), "referral")
        else {
            panic!("expected a field error");
        };
        assert!(fields[0].field.starts_with("referral."), "{fields:?}");
    }
}
