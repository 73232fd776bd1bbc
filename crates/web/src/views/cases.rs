//! The case page: header, timeline, contract and conditions, appointments, provider referrals,
//! needs, and a form for each action this viewer may take now (`CaseView.allowed_actions`:
//! nothing else is offered). Every action posts the case version it was read at; a stale one
//! re-renders the page with the entries kept and "someone else changed this case".

use super::choices::{self, label_of};
use super::custody::{AdviceView, CustodyActions, advice_view};
use super::form::{Form, parse_date, parse_enum};
use super::layout::Chrome;
use super::pager::{self, Pager};
use super::session::{FormPost, Posted, Viewer};
use super::{OrPage, ViewError, days_in_words, london_time, long_date, render, see_other, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::appointments::{Attendance, Contact, NewAppointment};
use checkpoint_app::assignment::{Assignment, LimitOverride};
use checkpoint_app::case_view::CaseView;
use checkpoint_app::contracts::{
    ContractDraft, ContractVariation, ParticipantSignature, Signature,
};
use checkpoint_app::needs::NeedsItem;
use checkpoint_app::provider_referrals::ProviderResponse;
use checkpoint_app::reviews::{ReviewDecision, ReviewTrigger};
use checkpoint_app::{AppError, FieldError};
use checkpoint_domain::contract::{Pathway, ProposedCondition};
use serde::Deserialize;
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
    /// A new signed version of an active contract, with the reason.
    pub vary_contract: bool,
    /// Contact outside appointments (the same permission and states as attendance).
    pub record_contact: bool,
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
            vary_contract: has("vary_contract") && view.contract.is_some(),
            record_contact: has("record_attendance"),
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
            || self.vary_contract
            || self.record_contact
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
    /// For "assign to": the least-loaded choice, then each navigator with their load.
    navigators: Vec<(String, String)>,
    timeline_filter: TimelineFilter,
    form: Form,
    reload_href: String,
}

/// Rows per page of the case timeline.
pub const TIMELINE_PAGE_SIZE: usize = 20;

/// `GET /cases/{id}?kind=&tq=&tpage=`: the timeline narrowed to one kind of event and/or the
/// events whose words, actor or reason contain the search.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TimelineQuery {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub tq: Option<String>,
    #[serde(default)]
    pub tpage: Option<usize>,
}

/// The timeline's search form and position, as the template shows them.
#[derive(Debug, Clone)]
pub struct TimelineFilter {
    pub kind: String,
    pub text: String,
    /// (kind, "Words (count)") for every kind of event on the case.
    pub kinds: Vec<(String, String)>,
    pub pager: Pager,
    pub filtered: bool,
    pub total_events: usize,
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
    form: Form,
) -> Result<Response, ViewError> {
    let query = TimelineQuery::default();
    case_response_with(state, viewer, case_id, status, form, &query).await
}

/// The timeline rows the query asks for, and where they stand.
fn timeline_rows(view: &CaseView, query: &TimelineQuery) -> (Vec<EventRow>, TimelineFilter) {
    let kind = query.kind.as_deref().unwrap_or("").trim().to_owned();
    let (text, needle) = pager::needle(query.tq.as_deref());
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for e in &view.timeline {
        *counts.entry(e.kind.as_str()).or_insert(0) += 1;
    }
    let kinds = counts
        .iter()
        .map(|(k, n)| ((*k).to_owned(), format!("{} ({n})", words(k))))
        .collect();
    let rows: Vec<EventRow> = view
        .timeline
        .iter()
        .rev()
        .filter(|e| kind.is_empty() || e.kind == kind)
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
        .filter(|row| {
            pager::matches(
                &needle,
                &[&row.what, &row.who, &row.change, &row.reason, &row.when],
            )
        })
        .collect();
    let case_id = view.header.case_id;
    let pager = Pager::new(
        rows.len(),
        TIMELINE_PAGE_SIZE,
        query.tpage.unwrap_or(1),
        "events",
        |n| {
            pager::href(
                &format!("/cases/{case_id}"),
                &[
                    ("kind", kind.clone()),
                    ("tq", text.clone()),
                    ("tpage", if n > 1 { n.to_string() } else { String::new() }),
                ],
                "timeline",
            )
        },
    );
    let shown = pager.slice(&rows).to_vec();
    let filter = TimelineFilter {
        filtered: !kind.is_empty() || !text.is_empty(),
        kind,
        text,
        kinds,
        pager,
        total_events: view.timeline.len(),
    };
    (shown, filter)
}

async fn case_response_with(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    status: StatusCode,
    mut form: Form,
    query: &TimelineQuery,
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
    form.values.default_value("assign.navigator", "auto");
    form.values.default_value("contact.on", today.to_string());
    let navigators = if actions.assign {
        let loads = app.navigator_loads(&viewer.actor).await.or_page(viewer)?;
        let mut options = vec![(
            "auto".to_owned(),
            "Least loaded in the team below".to_owned(),
        )];
        // Short enough for the narrow action column: "Name (open of limit)".
        options.extend(loads.iter().map(|l| {
            (
                l.navigator_id.to_string(),
                format!("{} ({} of {})", l.navigator_name, l.open_cases, l.limit),
            )
        }));
        options
    } else {
        Vec::new()
    };
    if actions.vary_contract
        && let Some(c) = &view.contract
    {
        // The variation starts from the contract as it stands.
        for (i, k) in c.conditions.iter().enumerate() {
            let name = |field: &str| format!("variation.condition.{i}.{field}");
            form.values
                .default_value(&name("condition"), k.condition_type.clone());
            if let Some(h) = k.hours {
                form.values.default_value(&name("hours"), h.to_string());
            }
            if let Some(d) = k.due_date {
                form.values.default_value(&name("due"), d.to_string());
            }
        }
        form.values
            .default_value("variation.signed_on", today.to_string());
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
    let (timeline, timeline_filter) = timeline_rows(&view, query);
    let page = CasePage {
        chrome: Chrome::for_viewer(viewer, ""),
        header: HeaderView::of(&view),
        advice: advice_view(&view),
        timeline,
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
        navigators,
        timeline_filter,
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
    Query(query): Query<TimelineQuery>,
) -> Result<Response, ViewError> {
    case_response_with(
        &state,
        &viewer,
        case_id,
        StatusCode::OK,
        Form::blank(),
        &query,
    )
    .await
}

/// The form's name for a field a navigator's use case names: the action's prefix added, and a
/// signature's `participant_signature.typed_name` shortened to the form's `typed_name`.
fn rename_field(prefix: &str, field: &str) -> String {
    let field = field.replace("participant_signature.", "");
    if field.starts_with(prefix) {
        field
    } else {
        format!("{prefix}.{field}")
    }
}

/// The form's name for a contract problem: `conditions[k].hours` → `{rows}.{row}.hours`, where
/// `row` is the form row the k-th condition came from (empty rows are skipped); a problem with
/// the conditions as a whole goes to the first row's choice; anything else to `other(field)`.
fn contract_field(
    field: &str,
    rows_prefix: &str,
    rows: &[usize],
    other: impl Fn(&str) -> String,
) -> String {
    if let Some(rest) = field.strip_prefix("conditions[")
        && let Some((index, tail)) = rest.split_once(']')
    {
        let row = index
            .parse::<usize>()
            .ok()
            .and_then(|k| rows.get(k).copied())
            .unwrap_or(0);
        return format!("{rows_prefix}.{row}{tail}");
    }
    if field == "conditions" {
        return format!("{rows_prefix}.0.condition");
    }
    other(field)
}

/// Success → back to the case page (303); a problem → the page again with the entries kept.
async fn finish<T>(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    values: Posted,
    rename: &(dyn Fn(&str) -> String + Sync),
    result: Result<T, AppError>,
) -> Result<Response, ViewError> {
    let error = match result {
        Ok(_) => return Ok(see_other(&format!("/cases/{case_id}"))),
        Err(e) => e,
    };
    let mut form = Form::with_values(values);
    form.absorb(error, rename).or_page(viewer)?;
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

/// Most condition rows a contract form reads (more than any policy allows, so the use case
/// names the problem).
const MAX_CONDITION_ROWS: usize = 10;

/// The form rows (`{prefix}.{i}.condition`) that hold a condition, in order.
fn filled_rows(values: &Posted, prefix: &str) -> Vec<usize> {
    (0..MAX_CONDITION_ROWS)
        .filter(|i| !values.get(&format!("{prefix}.{i}.condition")).is_empty())
        .collect()
}

/// The conditions typed into rows `{prefix}.{i}.condition|hours|due|provider|details`,
/// skipping empty rows; a malformed number or date is a problem named by its row.
fn conditions_from(
    values: &Posted,
    prefix: &str,
    problems: &mut Vec<FieldError>,
) -> Vec<ProposedCondition> {
    let mut conditions = Vec::new();
    for i in filled_rows(values, prefix) {
        let name = |field: &str| format!("{prefix}.{i}.{field}");
        let hours_text = values.get(&name("hours"));
        let hours = if hours_text.is_empty() {
            None
        } else if let Ok(h) = hours_text.parse::<u16>() {
            Some(h)
        } else {
            problems.push(FieldError::new(
                name("hours"),
                "enter the hours as a whole number",
            ));
            None
        };
        let due_text = values.get(&name("due"));
        let due = if due_text.is_empty() {
            None
        } else {
            let due = parse_date(due_text);
            if due.is_none() {
                problems.push(FieldError::new(
                    name("due"),
                    "enter the due date like 2026-04-30",
                ));
            }
            due
        };
        let provider = Some(values.get(&name("provider")))
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        conditions.push(ProposedCondition {
            condition: values.get(&name("condition")).to_owned(),
            hours,
            due,
            provider,
            details: values.get(&name("details")).to_owned(),
        });
    }
    conditions
}

fn contract_draft(values: &Posted) -> Result<ContractDraft, AppError> {
    let mut problems = Vec::new();
    let start = parse_date(values.get("contract.start"));
    if start.is_none() {
        problems.push(FieldError::new("contract.start", "enter the start date"));
    }
    let conditions = conditions_from(values, "condition", &mut problems);
    match start {
        Some(start) if problems.is_empty() => Ok(ContractDraft { start, conditions }),
        _ => Err(AppError::Invalid(problems)),
    }
}

/// A participant's signature from fields `{prefix}.signed_on`, `.method`, `.typed_name`,
/// `.document_ref`.
fn signature_at(values: &Posted, prefix: &str) -> Result<Signature, AppError> {
    let name = |field: &str| format!("{prefix}.{field}");
    let mut problems = Vec::new();
    let signed_on = parse_date(values.get(&name("signed_on")));
    if signed_on.is_none() {
        problems.push(FieldError::new(
            name("signed_on"),
            "enter the date the participant signed",
        ));
    }
    let participant_signature = match values.get(&name("method")) {
        "paper" => Some(ParticipantSignature::Paper {
            document_ref: values.get(&name("document_ref")).to_owned(),
        }),
        "on_screen" => Some(ParticipantSignature::OnScreen {
            typed_name: values.get(&name("typed_name")).to_owned(),
        }),
        _ => {
            problems.push(FieldError::new(
                name("method"),
                "choose how the participant signed",
            ));
            None
        }
    };
    match (signed_on, participant_signature) {
        (Some(signed_on), Some(participant_signature)) if problems.is_empty() => Ok(Signature {
            signed_on,
            participant_signature,
        }),
        _ => Err(AppError::Invalid(problems)),
    }
}

fn signature(values: &Posted) -> Result<Signature, AppError> {
    signature_at(values, "signature")
}

/// The variation form: the reason, the conditions as they will be, and the participant's
/// signature of the new version.
fn variation_of(values: &Posted) -> Result<ContractVariation, AppError> {
    let mut problems = Vec::new();
    let reason = values.get("variation.reason").to_owned();
    if reason.is_empty() {
        problems.push(FieldError::new(
            "variation.reason",
            "say why the contract is varied",
        ));
    }
    let conditions = conditions_from(values, "variation.condition", &mut problems);
    let signature = match signature_at(values, "variation") {
        Ok(signature) => Some(signature),
        Err(AppError::Invalid(more)) => {
            problems.extend(more);
            None
        }
        Err(other) => return Err(other),
    };
    match signature {
        Some(signature) if problems.is_empty() => Ok(ContractVariation {
            reason,
            conditions,
            signature,
        }),
        _ => Err(AppError::Invalid(problems)),
    }
}

/// The form's name for a variation problem the use case names.
fn variation_field(field: &str, rows: &[usize]) -> String {
    contract_field(field, "variation.condition", rows, |f| {
        match f.replace("participant_signature.", "").as_str() {
            "reason" => "variation.reason".to_owned(),
            "signature.signed_on" => "variation.signed_on".to_owned(),
            "signature.typed_name" => "variation.typed_name".to_owned(),
            "signature.document_ref" => "variation.document_ref".to_owned(),
            other if other.starts_with("variation.") => other.to_owned(),
            // Dates that no longer fit the deadline, a state that changed: about the whole form.
            _ => String::new(),
        }
    })
}

/// The contact form: when, how, and what passed.
fn contact_of(values: &Posted) -> Result<Contact, AppError> {
    let mut problems = Vec::new();
    let on = parse_date(values.get("contact.on"));
    if on.is_none() {
        problems.push(FieldError::new(
            "contact.on",
            "enter the date of the contact, like 2026-03-04",
        ));
    }
    let method = parse_enum(values.get("contact.method"));
    if method.is_none() {
        problems.push(FieldError::new(
            "contact.method",
            "choose how the contact was made",
        ));
    }
    match (on, method) {
        (Some(on), Some(method)) if problems.is_empty() => Ok(Contact {
            on,
            method,
            note: values.get("contact.note").to_owned(),
        }),
        _ => Err(AppError::Invalid(problems)),
    }
}

/// The assignment form: the least-loaded navigator of a team, or a named one.
fn assignment_of(values: &Posted) -> Result<Assignment, AppError> {
    match values.get("assign.navigator") {
        "" | "auto" => Ok(Assignment::Auto {
            team: text_required(values, "assign.team", "name the team")?,
        }),
        id => id
            .parse()
            .map(Assignment::To)
            .map_err(|_| AppError::invalid("assign.navigator", "choose a navigator from the list")),
    }
}

fn assignment_field(field: &str) -> String {
    match field {
        "navigator_id" => "assign.navigator".to_owned(),
        "team" => "assign.team".to_owned(),
        "over_limit.reason" => "assign.over_limit_reason".to_owned(),
        "case" => String::new(),
        other if other.starts_with("assign.") => other.to_owned(),
        other => format!("assign.{other}"),
    }
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
        ($rename:expr, $body:expr) => {{
            let result: Result<(), AppError> = $body.await;
            finish(&state, &viewer, case_id, v.clone(), &$rename, result).await
        }};
    }
    let prefixed = |prefix: &'static str| move |f: &str| rename_field(prefix, f);
    match action.as_str() {
        "needs" => run!(prefixed("needs"), async {
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
        "contract" => {
            let rows = filled_rows(&v, "condition");
            let rename =
                |f: &str| contract_field(f, "condition", &rows, |f| rename_field("contract", f));
            run!(rename, async {
                let draft = contract_draft(&v)?;
                app.write_contract(actor, case_id, version()?, draft)
                    .await
                    .map(|_| ())
            })
        }
        "variation" => {
            let rows = filled_rows(&v, "variation.condition");
            let rename = |f: &str| variation_field(f, &rows);
            run!(rename, async {
                let variation = variation_of(&v)?;
                app.vary_contract(actor, case_id, version()?, variation)
                    .await
                    .map(|_| ())
            })
        }
        "signature" => run!(prefixed("signature"), async {
            let signature = signature(&v)?;
            app.sign_contract(actor, case_id, version()?, signature)
                .await
                .map(|_| ())
        }),
        "start" => run!(prefixed("start"), async {
            app.start_contract(actor, case_id, version()?)
                .await
                .map(|_| ())
        }),
        "contact" => run!(prefixed("contact"), async {
            let contact = contact_of(&v)?;
            app.record_contact(actor, case_id, version()?, contact)
                .await
                .map(|_| ())
        }),
        "appointments" => run!(prefixed("appointment"), async {
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
        "provider-referrals" => run!(prefixed("provider"), async {
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
        "review" => run!(prefixed("review"), async {
            let reason = text_required(&v, "review.reason", "say why the review is opened")?;
            app.open_review(actor, case_id, version()?, ReviewTrigger::Other(reason))
                .await
                .map(|_| ())
        }),
        "review-decision" => run!(prefixed("decide"), async {
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
        "withdrawal" => run!(prefixed("withdraw"), async {
            let reason = text_required(&v, "withdraw.reason", "say why the case is withdrawn")?;
            app.withdraw(actor, case_id, version()?, &reason)
                .await
                .map(|_| ())
        }),
        "completion" => run!(prefixed("complete"), async {
            app.complete_case(actor, case_id, version()?)
                .await
                .map(|_| ())
        }),
        "assignment" => run!(assignment_field, async {
            let assignment = assignment_of(&v)?;
            let over_limit = Some(v.get("assign.over_limit_reason"))
                .filter(|r| !r.is_empty())
                .map(|reason| LimitOverride {
                    reason: reason.to_owned(),
                });
            app.assign_navigator(actor, case_id, version()?, assignment, over_limit)
                .await
                .map(|_| ())
        }),
        "rescreen" => super::custody::rescreen(&state, &viewer, case_id, v).await,
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
    let rename = |f: &str| rename_field(&prefix, f);
    finish(&state, &viewer, case_id, v, &rename, result).await
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
