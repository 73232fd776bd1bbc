//! The case page: header, timeline, contract and conditions, appointments, provider referrals,
//! needs, and a form for each action this viewer may take now (`CaseView.allowed_actions`:
//! nothing else is offered). Every action posts the case version it was read at; a stale one
//! re-renders the page with the entries kept and "someone else changed this case".

use super::choices::{self, label_of};
use super::custody::{AdviceView, CustodyActions, advice_view};
use super::form::{Form, parse_date, parse_enum};
use super::layout::Chrome;
use super::session::{FormPost, Posted, Viewer};
use super::{OrPage, ViewError, days_in_words, london_time, long_date, render, see_other, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::appointments::{Attendance, NewAppointment};
use checkpoint_app::assignment::{Assignment, LimitOverride};
use checkpoint_app::case_view::CaseView;
use checkpoint_app::contracts::{ContractDraft, ParticipantSignature, Signature};
use checkpoint_app::needs::NeedsItem;
use checkpoint_app::provider_referrals::ProviderResponse;
use checkpoint_app::reviews::{ReviewDecision, ReviewTrigger};
use checkpoint_app::{AppError, FieldError};
use checkpoint_domain::contract::{Pathway, ProposedCondition};
use uuid::Uuid;

/// The case header as every case page shows it.
#[derive(Debug, Clone)]
pub struct HeaderView {
    pub case_id: String,
    pub reference: String,
    pub version: i64,
    pub person_name: String,
    pub scheme_id: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub navigator: String,
    pub deadline: String,
    pub contract_end: String,
}

impl HeaderView {
    pub fn of(view: &CaseView) -> HeaderView {
        let h = &view.header;
        let dated =
            |date: Option<jiff::civil::Date>, days: Option<i32>, none: &str| match (date, days) {
                (Some(date), Some(days)) => {
                    format!("{} ({})", long_date(&date), days_in_words(days))
                }
                (Some(date), None) => long_date(&date),
                _ => none.to_owned(),
            };
        HeaderView {
            case_id: h.case_id.to_string(),
            reference: h.reference.clone(),
            version: h.version,
            person_name: h.person_name.clone(),
            scheme_id: h.scheme_id.clone(),
            state: h.state.as_str(),
            state_label: h.state_label,
            navigator: match (&h.navigator, &h.team) {
                (Some(n), Some(team)) => format!("{} ({team} team)", n.display_name),
                (Some(n), None) => n.display_name.clone(),
                (None, _) => "Not assigned yet".to_owned(),
            },
            deadline: dated(
                h.prosecution_deadline,
                h.days_to_deadline,
                "No statutory time limit",
            ),
            contract_end: dated(h.contract_end, h.days_left_on_contract, "No contract yet"),
        }
    }
}

/// The version a form was read at (hidden field `version`).
pub fn version_of(values: &Posted) -> Result<i64, AppError> {
    values.get("version").parse().map_err(|_| {
        AppError::invalid(
            "version",
            "the form is missing the case version; reload the page",
        )
    })
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub change: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ConditionRow {
    pub id: String,
    pub text: String,
    pub detail: String,
    pub status: String,
    pub status_label: String,
}

#[derive(Debug, Clone)]
pub struct ContractRow {
    pub version: i64,
    pub dates: String,
    pub signed: String,
    pub is_signed: bool,
    pub variation_reason: String,
    pub conditions: Vec<ConditionRow>,
}

#[derive(Debug, Clone)]
pub struct AppointmentRow {
    pub id: String,
    pub when: String,
    pub purpose: String,
    pub location: String,
    pub attendance: String,
    pub unrecorded: bool,
}

#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub id: String,
    pub provider: String,
    pub pathway: String,
    pub referred: String,
    pub status: String,
    pub pending: bool,
    pub notes: String,
}

#[derive(Debug, Clone)]
pub struct NeedRow {
    pub pathway: String,
    pub severity: String,
    pub notes: String,
}

/// What this viewer may do on the case page (the names in `CaseView.allowed_actions`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseActions {
    pub custody: bool,
    pub assess_needs: bool,
    pub write_contract: bool,
    pub sign_contract: bool,
    pub start_contract: bool,
    pub open_review: bool,
    pub decide_review: bool,
    pub withdraw: bool,
    pub complete: bool,
    pub schedule: bool,
    pub attendance: bool,
    pub refer_to_provider: bool,
    pub provider_response: bool,
    pub condition_status: bool,
    pub assign: bool,
}

impl CaseActions {
    fn of(view: &CaseView) -> CaseActions {
        let has = |name: &str| view.allowed_actions.iter().any(|a| a.name == name);
        let drafted = view
            .contract
            .as_ref()
            .is_some_and(|c| c.signed_on.is_none());
        CaseActions {
            custody: CustodyActions::of(view).any(),
            assess_needs: has("assess_needs"),
            // Drafting and signing are one transition (needs assessed → contract signed).
            write_contract: has("sign_contract"),
            sign_contract: has("sign_contract") && drafted,
            start_contract: has("start_contract"),
            open_review: has("open_non_compliance_review"),
            decide_review: has("decide_non_compliance_review"),
            withdraw: has("record_withdrawal"),
            complete: has("complete_case"),
            schedule: has("schedule_appointment"),
            attendance: has("record_attendance"),
            refer_to_provider: has("refer_to_provider"),
            provider_response: has("record_provider_response"),
            condition_status: has("update_condition_status"),
            assign: has("assign_navigator"),
        }
    }

    pub fn any(&self) -> bool {
        self.assess_needs
            || self.write_contract
            || self.start_contract
            || self.open_review
            || self.decide_review
            || self.withdraw
            || self.complete
            || self.schedule
            || self.refer_to_provider
            || self.assign
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    header: HeaderView,
    advice: Option<AdviceView>,
    timeline: Vec<EventRow>,
    contract: Option<ContractRow>,
    appointments: Vec<AppointmentRow>,
    provider_referrals: Vec<ProviderRow>,
    needs: Vec<NeedRow>,
    needs_when: String,
    actions: CaseActions,
    catalogue: Vec<(String, String)>,
    condition_rows: Vec<usize>,
    form: Form,
    reload_href: String,
}

fn condition_rows(view: &CaseView, conditions_by_position: &[(i64, Uuid)]) -> Option<ContractRow> {
    let c = view.contract.as_ref()?;
    Some(ContractRow {
        version: c.version,
        dates: format!("{} to {}", long_date(&c.start_date), long_date(&c.end_date)),
        signed: c
            .signed_on
            .map_or_else(|| "Not signed yet (draft)".to_owned(), |d| long_date(&d)),
        is_signed: c.signed_on.is_some(),
        variation_reason: c.variation_reason.clone().unwrap_or_default(),
        conditions: c
            .conditions
            .iter()
            .map(|k| {
                let mut detail = Vec::new();
                if let Some(p) = &k.pathway {
                    detail.push(format!("pathway: {}", words(p)));
                }
                if let Some(h) = k.hours {
                    detail.push(format!("{h} hours"));
                }
                if let Some(d) = k.due_date {
                    detail.push(format!("due {}", long_date(&d)));
                }
                ConditionRow {
                    id: conditions_by_position
                        .iter()
                        .find(|(p, _)| *p == k.position)
                        .map(|(_, id)| id.to_string())
                        .unwrap_or_default(),
                    text: k.description.clone(),
                    detail: detail.join(", "),
                    status_label: label_of(choices::CONDITION_STATUS, &k.status),
                    status: k.status.clone(),
                }
            })
            .collect(),
    })
}

async fn case_response(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    status: StatusCode,
    mut form: Form,
) -> Result<Response, ViewError> {
    let app = &state.app;
    let view = app
        .view_case(&viewer.actor, case_id)
        .await
        .or_page(viewer)?;
    let actions = CaseActions::of(&view);
    // Condition ids are only needed to change a condition's status.
    let ids: Vec<(i64, Uuid)> = if actions.condition_status && view.contract.is_some() {
        app.contract_versions(&viewer.actor, case_id)
            .await
            .or_page(viewer)?
            .last()
            .map(|c| c.conditions.iter().map(|k| (k.position, k.id)).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let policy = view
        .decision
        .as_ref()
        .and_then(|d| app.policies().get(&d.policy_id, d.policy_version))
        .or_else(|| app.policies().latest(&view.header.scheme_id));
    let (catalogue, max_conditions) = policy.map_or((Vec::new(), 0), |p| {
        let catalogue = p.catalogue();
        (
            catalogue
                .conditions
                .iter()
                .map(|c| {
                    let mandatory = if c.mandatory { " (required)" } else { "" };
                    (c.id.clone(), format!("{}{mandatory}", c.text))
                })
                .collect(),
            usize::from(catalogue.max_conditions),
        )
    });
    let today = app.clock().today();
    form.values
        .default_value("contract.start", today.to_string());
    form.values
        .default_value("appointment.date", today.to_string());
    form.values.default_value("appointment.time", "10:00");
    form.values
        .default_value("signature.signed_on", today.to_string());
    if let Some(team) = &viewer.actor.team {
        form.values.default_value("assign.team", team.clone());
    }
    let needs_when = view
        .needs_assessment
        .as_ref()
        .map_or_else(String::new, |n| {
            format!(
                "Assessed {}{}",
                london_time(&n.assessed_at),
                n.assessed_by_name
                    .as_deref()
                    .map(|by| format!(" by {by}"))
                    .unwrap_or_default()
            )
        });
    let page = CasePage {
        chrome: Chrome::for_viewer(viewer, ""),
        header: HeaderView::of(&view),
        advice: advice_view(&view),
        timeline: view
            .timeline
            .iter()
            .rev()
            .map(|e| EventRow {
                when: london_time(&e.occurred_at),
                who: e.actor_name.clone().unwrap_or_else(|| "System".to_owned()),
                what: words(&e.kind),
                change: match (&e.from_state, &e.to_state) {
                    (Some(from), Some(to)) if from != to => {
                        format!("{} → {}", words(from), words(to))
                    }
                    (None, Some(to)) => words(to),
                    _ => String::new(),
                },
                reason: e.reason.clone().unwrap_or_default(),
            })
            .collect(),
        contract: condition_rows(&view, &ids),
        appointments: view
            .appointments
            .iter()
            .map(|a| AppointmentRow {
                id: a.appointment_id.to_string(),
                when: london_time(&a.planned_at),
                purpose: a.purpose.clone(),
                location: a.location.clone().unwrap_or_default(),
                attendance: match (&a.attendance, &a.missed_reason) {
                    (Some(att), Some(reason)) => {
                        format!(
                            "{} ({})",
                            words(att),
                            label_of(choices::ABSENCE_REASON, reason)
                        )
                    }
                    (Some(att), None) => words(att),
                    (None, _) => "Not recorded".to_owned(),
                },
                unrecorded: a.attendance.is_none(),
            })
            .collect(),
        provider_referrals: view
            .provider_referrals
            .iter()
            .map(|p| ProviderRow {
                id: p.provider_referral_id.to_string(),
                provider: p.provider.clone(),
                pathway: label_of(choices::PATHWAY, &p.pathway),
                referred: london_time(&p.referred_at),
                status: words(&p.status),
                pending: p.status == "pending",
                notes: p.response_notes.clone().unwrap_or_default(),
            })
            .collect(),
        needs: view
            .needs_assessment
            .as_ref()
            .map(|n| {
                n.needs
                    .iter()
                    .map(|need| NeedRow {
                        pathway: label_of(choices::PATHWAY, &need.pathway),
                        severity: label_of(choices::SEVERITY, &need.severity),
                        notes: need.notes.clone().unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        needs_when,
        actions,
        catalogue,
        condition_rows: (0..max_conditions).collect(),
        form,
        reload_href: format!("/cases/{case_id}"),
    };
    Ok(render(status, &page))
}

/// `GET /cases/{id}`.
pub async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(case_id): Path<Uuid>,
) -> Result<Response, ViewError> {
    case_response(&state, &viewer, case_id, StatusCode::OK, Form::blank()).await
}

/// The form's name for a field a navigator's use case names: `conditions[2].hours` →
/// `condition.2.hours`; other names get the action's prefix.
fn rename_field(prefix: &str, field: &str) -> String {
    if let Some(rest) = field.strip_prefix("conditions[")
        && let Some((index, tail)) = rest.split_once(']')
    {
        return format!("condition.{index}{tail}");
    }
    if field.starts_with(prefix) {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Success → back to the case page (303); a problem → the page again with the entries kept.
async fn finish<T>(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    values: Posted,
    prefix: &str,
    result: Result<T, AppError>,
) -> Result<Response, ViewError> {
    let error = match result {
        Ok(_) => return Ok(see_other(&format!("/cases/{case_id}"))),
        Err(e) => e,
    };
    let mut form = Form::with_values(values);
    form.absorb(error, |f| rename_field(prefix, f))
        .or_page(viewer)?;
    let status = if form.conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    case_response(state, viewer, case_id, status, form).await
}

fn need<T>(value: Option<T>, field: &str, message: &str) -> Result<T, AppError> {
    value.ok_or_else(|| AppError::invalid(field, message))
}

fn text_required(values: &Posted, name: &str, message: &str) -> Result<String, AppError> {
    let text = values.get(name);
    if text.is_empty() {
        Err(AppError::invalid(name, message))
    } else {
        Ok(text.to_owned())
    }
}

/// London wall-clock date and time → instant.
pub fn london_instant(date: &str, time: &str) -> Option<jiff::Timestamp> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let time: jiff::civil::Time = time.parse().ok()?;
    let tz = jiff::tz::TimeZone::get("Europe/London").ok()?;
    date.to_datetime(time)
        .to_zoned(tz)
        .ok()
        .map(|z| z.timestamp())
}

fn contract_draft(values: &Posted) -> Result<ContractDraft, AppError> {
    let mut problems = Vec::new();
    let start = parse_date(values.get("contract.start"));
    if start.is_none() {
        problems.push(FieldError::new("contract.start", "enter the start date"));
    }
    let mut conditions = Vec::new();
    for i in 0..10 {
        let id = values.get(&format!("condition.{i}.condition"));
        if id.is_empty() {
            continue;
        }
        let hours_text = values.get(&format!("condition.{i}.hours"));
        let hours = if hours_text.is_empty() {
            None
        } else if let Ok(h) = hours_text.parse::<u16>() {
            Some(h)
        } else {
            problems.push(FieldError::new(
                format!("condition.{i}.hours"),
                "enter the hours as a whole number",
            ));
            None
        };
        let due_text = values.get(&format!("condition.{i}.due"));
        let due = if due_text.is_empty() {
            None
        } else {
            let due = parse_date(due_text);
            if due.is_none() {
                problems.push(FieldError::new(
                    format!("condition.{i}.due"),
                    "enter the due date like 2026-04-30",
                ));
            }
            due
        };
        let provider = Some(values.get(&format!("condition.{i}.provider")))
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        conditions.push(ProposedCondition {
            condition: id.to_owned(),
            hours,
            due,
            provider,
            details: values.get(&format!("condition.{i}.details")).to_owned(),
        });
    }
    match start {
        Some(start) if problems.is_empty() => Ok(ContractDraft { start, conditions }),
        _ => Err(AppError::Invalid(problems)),
    }
}

fn signature(values: &Posted) -> Result<Signature, AppError> {
    let signed_on = need(
        parse_date(values.get("signature.signed_on")),
        "signature.signed_on",
        "enter the date the participant signed",
    )?;
    let participant_signature = match values.get("signature.method") {
        "paper" => ParticipantSignature::Paper {
            document_ref: values.get("signature.document_ref").to_owned(),
        },
        "on_screen" => ParticipantSignature::OnScreen {
            typed_name: values.get("signature.typed_name").to_owned(),
        },
        _ => {
            return Err(AppError::invalid(
                "signature.method",
                "choose how the participant signed",
            ));
        }
    };
    Ok(Signature {
        signed_on,
        participant_signature,
    })
}

/// `POST /cases/{id}/{action}`: the case-level actions.
pub async fn case_action(
    State(state): State<AppState>,
    Path((case_id, action)): Path<(Uuid, String)>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer, form: v, ..
    } = post;
    let app = &state.app;
    let actor = &viewer.actor;
    let version = || version_of(&v);
    // Each arm runs one use case; `finish` turns its result into the next page.
    macro_rules! run {
        ($prefix:expr, $body:expr) => {{
            let result: Result<(), AppError> = $body.await;
            finish(&state, &viewer, case_id, v.clone(), $prefix, result).await
        }};
    }
    match action.as_str() {
        "needs" => run!("needs", async {
            let items = Pathway::ALL
                .into_iter()
                .map(|pathway| {
                    let key = serde_json::to_value(pathway)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let severity = parse_enum(v.get(&format!("needs.{key}")))
                        .unwrap_or(checkpoint_app::needs::Severity::None);
                    let notes = Some(v.get(&format!("needs.{key}.notes")))
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned);
                    NeedsItem {
                        pathway,
                        severity,
                        notes,
                    }
                })
                .collect();
            app.record_needs_assessment(actor, case_id, version()?, items)
                .await
                .map(|_| ())
        }),
        "contract" => run!("contract", async {
            let draft = contract_draft(&v)?;
            app.write_contract(actor, case_id, version()?, draft)
                .await
                .map(|_| ())
        }),
        "signature" => run!("signature", async {
            let signature = signature(&v)?;
            app.sign_contract(actor, case_id, version()?, signature)
                .await
                .map(|_| ())
        }),
        "start" => run!("start", async {
            app.start_contract(actor, case_id, version()?)
                .await
                .map(|_| ())
        }),
        "appointments" => run!("appointment", async {
            let at = need(
                london_instant(v.get("appointment.date"), v.get("appointment.time")),
                "appointment.date",
                "enter the date and time, like 2026-03-10 and 14:30",
            )?;
            let appointment = NewAppointment {
                at,
                purpose: text_required(
                    &v,
                    "appointment.purpose",
                    "say what the appointment is for",
                )?,
                location: Some(v.get("appointment.location").to_owned()).filter(|l| !l.is_empty()),
            };
            app.schedule_appointment(actor, case_id, appointment)
                .await
                .map(|_| ())
        }),
        "provider-referrals" => run!("provider", async {
            let provider = text_required(&v, "provider.provider", "name the provider")?;
            let pathway: Pathway = need(
                parse_enum(v.get("provider.pathway")),
                "provider.pathway",
                "choose the pathway",
            )?;
            app.refer_to_provider(actor, case_id, &provider, pathway, v.get("provider.note"))
                .await
                .map(|_| ())
        }),
        "review" => run!("review", async {
            let reason = text_required(&v, "review.reason", "say why the review is opened")?;
            app.open_review(actor, case_id, version()?, ReviewTrigger::Other(reason))
                .await
                .map(|_| ())
        }),
        "review-decision" => run!("decide", async {
            let reason = text_required(&v, "decide.reason", "give the reason for the decision")?;
            let decision = match v.get("decide.decision") {
                "resume" => ReviewDecision::Resume {
                    reasonable_excuse: v.get("decide.reasonable_excuse") == "yes",
                    reason,
                },
                "fail" => ReviewDecision::Fail { reason },
                _ => {
                    return Err(AppError::invalid(
                        "decide.decision",
                        "choose whether the case resumes or fails",
                    ));
                }
            };
            app.decide_review(actor, case_id, version()?, decision)
                .await
                .map(|_| ())
        }),
        "withdrawal" => run!("withdraw", async {
            let reason = text_required(&v, "withdraw.reason", "say why the case is withdrawn")?;
            app.withdraw(actor, case_id, version()?, &reason)
                .await
                .map(|_| ())
        }),
        "completion" => run!("complete", async {
            app.complete_case(actor, case_id, version()?)
                .await
                .map(|_| ())
        }),
        "assignment" => run!("assign", async {
            let team = text_required(&v, "assign.team", "name the team")?;
            let over_limit = Some(v.get("assign.over_limit_reason"))
                .filter(|r| !r.is_empty())
                .map(|reason| LimitOverride {
                    reason: reason.to_owned(),
                });
            app.assign_navigator(
                actor,
                case_id,
                version()?,
                Assignment::Auto { team },
                over_limit,
            )
            .await
            .map(|_| ())
        }),
        _ => Err(AppError::NotFound { what: "page" }).or_page(&viewer),
    }
}

/// `POST /cases/{id}/{item}/{item_id}/{action}`: actions on one appointment, provider
/// referral or condition of the case.
pub async fn item_action(
    State(state): State<AppState>,
    Path((case_id, item, item_id, action)): Path<(Uuid, String, Uuid, String)>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer, form: v, ..
    } = post;
    let app = &state.app;
    let actor = &viewer.actor;
    let key = |name: &str| format!("{item}.{item_id}.{name}");
    let result: Result<(), AppError> = match (item.as_str(), action.as_str()) {
        ("appointments", "attendance") => {
            match attendance_of(&v, &key("attended"), &key("reason"), &key("note")) {
                Ok(attendance) => app
                    .record_attendance(actor, item_id, attendance)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        ("provider-referrals", "response") => {
            let response = match v.get(&key("response")) {
                "accepted" => Ok(ProviderResponse::Accepted),
                "rejected" => Ok(ProviderResponse::Rejected {
                    reason: v.get(&key("reason")).to_owned(),
                }),
                _ => Err(AppError::invalid(
                    key("response"),
                    "choose the provider's answer",
                )),
            };
            match response {
                Ok(r) => app
                    .record_provider_response(actor, item_id, r)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        ("conditions", "status") => match parse_enum(v.get(&key("status"))) {
            Some(status) => app
                .update_condition_status(actor, item_id, status, v.get(&key("note")))
                .await
                .map(|_| ()),
            None => Err(AppError::invalid(
                key("status"),
                "choose the condition's status",
            )),
        },
        _ => return Err(AppError::NotFound { what: "page" }).or_page(&viewer),
    };
    let prefix = format!("{item}.{item_id}");
    finish(&state, &viewer, case_id, v, &prefix, result).await
}

/// Reads an attendance answer: `yes`, `late`, or `no` with a reason and a note.
pub fn attendance_of(
    values: &Posted,
    attended: &str,
    reason: &str,
    note: &str,
) -> Result<Attendance, AppError> {
    match values.get(attended) {
        "yes" => Ok(Attendance::Yes),
        "late" => Ok(Attendance::Late),
        "no" => {
            let why = need(
                parse_enum(values.get(reason)),
                reason,
                "choose why the person did not attend",
            )?;
            Ok(Attendance::No {
                reason: why,
                note: values.get(note).to_owned(),
            })
        }
        _ => Err(AppError::invalid(
            attended,
            "choose whether the person attended",
        )),
    }
}
