//! The supervisor's queue: reviews awaiting a decision, overrides to countersign, caseload
//! balance across the team's navigators with bulk handover, contracts at deadline risk and
//! contact gaps. Deciding happens on the case and decision pages, which hold the forms.

use super::form::Form;
use super::layout::Chrome;
use super::pager::{self, Pager};
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

/// Rows per page of each list.
pub const LIST_SIZE: usize = 15;

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
    /// Each list's size before the search, for the cards at the top.
    counts: [usize; 4],
    query: String,
    reviews_pager: Pager,
    overrides_pager: Pager,
    risks_pager: Pager,
    gaps_pager: Pager,
    form: Form,
    reload_href: &'static str,
    handed_over: String,
}

/// `GET /supervisor?q=&reviews_page=&overrides_page=&risks_page=&gaps_page=`: one search
/// (name or case reference) over every list, and each list's own page.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub reviews_page: Option<usize>,
    #[serde(default)]
    pub overrides_page: Option<usize>,
    #[serde(default)]
    pub risks_page: Option<usize>,
    #[serde(default)]
    pub gaps_page: Option<usize>,
    #[serde(default)]
    pub moved: Option<usize>,
}

/// The lists a supervisor's page holds, each paged on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Reviews,
    Overrides,
    Risks,
    Gaps,
}

impl List {
    const ALL: [List; 4] = [List::Reviews, List::Overrides, List::Risks, List::Gaps];

    fn param(self) -> &'static str {
        match self {
            List::Reviews => "reviews_page",
            List::Overrides => "overrides_page",
            List::Risks => "risks_page",
            List::Gaps => "gaps_page",
        }
    }

    fn anchor(self) -> &'static str {
        match self {
            List::Reviews => "reviews",
            List::Overrides => "overrides",
            List::Risks => "risks",
            List::Gaps => "gaps",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            List::Reviews => "reviews",
            List::Overrides => "overrides",
            List::Risks => "contracts at risk",
            List::Gaps => "cases without recent contact",
        }
    }

    fn requested(self, query: &QueueQuery) -> usize {
        match self {
            List::Reviews => query.reviews_page,
            List::Overrides => query.overrides_page,
            List::Risks => query.risks_page,
            List::Gaps => query.gaps_page,
        }
        .unwrap_or(1)
    }
}

/// A pager for one list whose links keep the search and the other lists' pages.
fn list_pager(list: List, total: usize, query: &QueueQuery, typed: &str) -> Pager {
    Pager::new(total, LIST_SIZE, list.requested(query), list.noun(), |n| {
        let mut params = vec![("q", typed.to_owned())];
        for other in List::ALL {
            let page = if other == list {
                n
            } else {
                other.requested(query)
            };
            params.push((
                other.param(),
                if page > 1 {
                    page.to_string()
                } else {
                    String::new()
                },
            ));
        }
        pager::href("/supervisor", &params, list.anchor())
    })
}

fn row_matches(needle: &str, row: &WatchRow) -> bool {
    pager::matches(needle, &[&row.person_name, &row.reference])
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
    let (typed, needle) = pager::needle(query.q.as_deref());
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
    let reviews: Vec<WatchRow> = queue
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
        .collect();
    let overrides: Vec<OverrideRow> = queue
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
        .collect();
    let counts = [reviews.len(), overrides.len(), risks.len(), gaps.len()];
    let keep = |rows: Vec<WatchRow>| -> Vec<WatchRow> {
        rows.into_iter()
            .filter(|r| row_matches(&needle, r))
            .collect()
    };
    let (reviews, risks, gaps) = (keep(reviews), keep(risks), keep(gaps));
    let overrides: Vec<OverrideRow> = overrides
        .into_iter()
        .filter(|o| pager::matches(&needle, &[&o.person_name, &o.reference]))
        .collect();
    let reviews_pager = list_pager(List::Reviews, reviews.len(), query, &typed);
    let overrides_pager = list_pager(List::Overrides, overrides.len(), query, &typed);
    let risks_pager = list_pager(List::Risks, risks.len(), query, &typed);
    let gaps_pager = list_pager(List::Gaps, gaps.len(), query, &typed);
    let page = SupervisorPage {
        chrome: Chrome::for_viewer(viewer, "/supervisor"),
        reviews: reviews_pager.slice(&reviews).to_vec(),
        overrides: overrides_pager.slice(&overrides).to_vec(),
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
        deadline_risks: risks_pager.slice(&risks).to_vec(),
        contact_gaps: gaps_pager.slice(&gaps).to_vec(),
        counts,
        query: typed,
        reviews_pager,
        overrides_pager,
        risks_pager,
        gaps_pager,
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
