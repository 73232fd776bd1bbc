//! The supervisor's queue: reviews awaiting a decision, overrides to countersign, caseload
//! balance across the team's navigators with bulk handover, contracts at deadline risk and
//! contact gaps. Deciding happens on the case and decision pages, which hold the forms.

use super::form::Form;
use super::layout::Chrome;
use super::session::{FormPost, Viewer};
use super::{OrPage, ViewError, london_time, long_date, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::AppError;
use checkpoint_app::assignment::{HandOver, LimitOverride};
use checkpoint_app::reviews::ReviewTrigger;
use checkpoint_app::worklists::CaseWatch;
use serde::Deserialize;
use uuid::Uuid;

/// Rows per list before "show more" paging.
const LIST_SIZE: usize = 15;

#[derive(Debug, Clone)]
pub struct WatchRow {
    pub case_id: String,
    pub reference: String,
    pub person_name: String,
    pub state_label: &'static str,
    pub detail: String,
}

fn watch_row(w: &CaseWatch, detail: String) -> WatchRow {
    WatchRow {
        case_id: w.case_id.to_string(),
        reference: w.reference.clone(),
        person_name: w.person_name.clone(),
        state_label: w.state.label(),
        detail,
    }
}

#[derive(Debug, Clone)]
pub struct OverrideRow {
    pub case_id: String,
    pub reference: String,
    pub person_name: String,
    pub change: String,
    pub reason: String,
    pub decided: String,
}

#[derive(Debug, Clone)]
pub struct LoadRow {
    pub navigator_id: String,
    pub name: String,
    pub team: String,
    pub open_cases: usize,
    pub limit: u16,
    pub over: bool,
}

#[derive(Template)]
#[template(path = "supervisor.html")]
struct SupervisorPage {
    chrome: Chrome,
    reviews: Vec<WatchRow>,
    overrides: Vec<OverrideRow>,
    loads: Vec<LoadRow>,
    navigators: Vec<(String, String)>,
    deadline_risks: Vec<WatchRow>,
    contact_gaps: Vec<WatchRow>,
    more_risks: usize,
    more_gaps: usize,
    form: Form,
    reload_href: &'static str,
    handed_over: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    pub all: Option<String>,
    #[serde(default)]
    pub moved: Option<usize>,
}

fn trigger_words(trigger: Option<&ReviewTrigger>) -> String {
    match trigger {
        Some(ReviewTrigger::MissedCondition(_)) => "A condition was missed".to_owned(),
        Some(ReviewTrigger::UnacceptableAbsence(_)) => {
            "An appointment was missed without an acceptable reason".to_owned()
        }
        Some(ReviewTrigger::NewArrest { date, .. }) => {
            format!("Arrested again on {}", long_date(date))
        }
        Some(ReviewTrigger::Other(reason)) => reason.clone(),
        None => "Review open".to_owned(),
    }
}

async fn queue_response(
    state: &AppState,
    viewer: &Viewer,
    query: &QueueQuery,
    status: StatusCode,
    form: Form,
) -> Result<Response, ViewError> {
    let queue = state
        .app
        .supervisor_queue(&viewer.actor)
        .await
        .or_page(viewer)?;
    let show_all = query.all.is_some();
    let limit = if show_all { usize::MAX } else { LIST_SIZE };
    let risks: Vec<WatchRow> = queue
        .deadline_risks
        .iter()
        .map(|w| watch_row(w, w.deadline.words.clone()))
        .collect();
    let gaps: Vec<WatchRow> = queue
        .contact_gaps
        .iter()
        .map(|w| {
            let detail = w.days_since_contact.map_or_else(
                || "No contact recorded".to_owned(),
                |d| format!("No contact for {d} days"),
            );
            watch_row(w, detail)
        })
        .collect();
    let page = SupervisorPage {
        chrome: Chrome::for_viewer(viewer, "/supervisor"),
        reviews: queue
            .reviews_awaiting_decision
            .iter()
            .map(|r| {
                let opened = r
                    .opened_on
                    .map(|d| format!(" (opened {})", long_date(&d)))
                    .unwrap_or_default();
                watch_row(
                    &r.case,
                    format!("{}{opened}", trigger_words(r.trigger.as_ref())),
                )
            })
            .collect(),
        overrides: queue
            .overrides_awaiting_countersignature
            .iter()
            .map(|o| OverrideRow {
                case_id: o.case_id.to_string(),
                reference: o.reference.clone(),
                person_name: o.person_name.clone(),
                change: format!(
                    "{} → {}",
                    super::words(&o.advised_outcome),
                    super::words(&o.outcome)
                ),
                reason: format!(
                    "{}: {}",
                    o.override_label.unwrap_or("Override"),
                    o.override_reason.as_deref().unwrap_or("")
                ),
                decided: format!("{}, {}", o.decided_by_name, london_time(&o.decided_at)),
            })
            .collect(),
        navigators: queue
            .caseload_balance
            .iter()
            .map(|l| (l.navigator_id.to_string(), l.navigator_name.clone()))
            .collect(),
        loads: queue
            .caseload_balance
            .iter()
            .map(|l| LoadRow {
                navigator_id: l.navigator_id.to_string(),
                name: l.navigator_name.clone(),
                team: l.team.clone().unwrap_or_default(),
                open_cases: l.open_cases,
                limit: l.limit,
                over: l.open_cases > usize::from(l.limit),
            })
            .collect(),
        more_risks: risks.len().saturating_sub(limit),
        more_gaps: gaps.len().saturating_sub(limit),
        deadline_risks: risks.into_iter().take(limit).collect(),
        contact_gaps: gaps.into_iter().take(limit).collect(),
        form,
        reload_href: "/supervisor",
        handed_over: query
            .moved
            .map(|n| format!("{n} cases handed over."))
            .unwrap_or_default(),
    };
    Ok(render(status, &page))
}

/// `GET /supervisor`.
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ViewError> {
    queue_response(&state, &viewer, &query, StatusCode::OK, Form::blank()).await
}

/// `POST /supervisor/handover`: move every open case of one navigator.
pub async fn hand_over(
    State(state): State<AppState>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let from = values.get("handover.from").parse::<Uuid>();
    let to = match values.get("handover.to") {
        "" => Err(AppError::invalid(
            "handover.to",
            "choose who takes the cases",
        )),
        "team" => match viewer.actor.team.clone() {
            Some(team) => Ok(HandOver::Spread { team }),
            None => Err(AppError::invalid(
                "handover.to",
                "you have no team to spread the cases across; choose a navigator",
            )),
        },
        id => id
            .parse()
            .map(HandOver::To)
            .map_err(|_| AppError::invalid("handover.to", "choose who takes the cases")),
    };
    let over_limit = Some(values.get("handover.over_limit_reason"))
        .filter(|r| !r.is_empty())
        .map(|reason| LimitOverride {
            reason: reason.to_owned(),
        });
    let result = match (from, to) {
        (Err(_), _) => Err(AppError::invalid(
            "handover.from",
            "choose the navigator whose cases move",
        )),
        (_, Err(e)) => Err(e),
        (Ok(from), Ok(to)) => {
            state
                .app
                .hand_over_caseload(&viewer.actor, from, to, over_limit)
                .await
        }
    };
    match result {
        Ok(done) => Ok(see_other(&format!(
            "/supervisor?moved={}",
            done.moved.len()
        ))),
        Err(error) => {
            let mut form = Form::with_values(values);
            form.absorb(error, |f| {
                if f.starts_with("handover.") {
                    f.to_owned()
                } else if f.contains("from") {
                    "handover.from".to_owned()
                } else {
                    format!("handover.{f}")
                }
            })
            .or_page(&viewer)?;
            queue_response(
                &state,
                &viewer,
                &QueueQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            )
            .await
        }
    }
}
