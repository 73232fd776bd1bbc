//! The navigator's dashboard: their open cases, most urgent first (overdue conditions, missed
//! appointments, deadline risk, no contact for N days), with attendance recorded in place.
//! With htmx the attendance form swaps itself for the result; without, it posts and the
//! dashboard reloads.

use super::cases::attendance_of;
use super::form::Form;
use super::layout::Chrome;
use super::pager::{self, Pager};
use super::session::{FormPost, Viewer};
use super::{OrPage, ViewError, days_in_words, london_time, long_date, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::worklists::{CaseWatch, Page, Urgency};
use serde::Deserialize;
use uuid::Uuid;

/// Rows per page of the dashboard.
pub const PAGE_SIZE: usize = 20;

#[derive(Debug, Clone)]
pub struct DueAppointment {
    pub id: String,
    pub when: String,
    pub purpose: String,
}

#[derive(Debug, Clone)]
pub struct CaseloadRow {
    pub case_id: String,
    pub reference: String,
    pub person_name: String,
    pub state_label: &'static str,
    pub urgency: &'static str,
    pub urgency_label: &'static str,
    pub reasons: Vec<String>,
    pub deadline: String,
    pub contact: String,
    pub due: Vec<DueAppointment>,
}

fn urgency(u: Urgency) -> (&'static str, &'static str) {
    match u {
        Urgency::Now => ("now", "Act now"),
        Urgency::Soon => ("soon", "Soon"),
        Urgency::Routine => ("routine", "Routine"),
    }
}

fn row_of(w: &CaseWatch) -> CaseloadRow {
    let (urgency, urgency_label) = urgency(w.urgency);
    CaseloadRow {
        case_id: w.case_id.to_string(),
        reference: w.reference.clone(),
        person_name: w.person_name.clone(),
        state_label: w.state.label(),
        urgency,
        urgency_label,
        reasons: w.reasons.clone(),
        deadline: match (w.deadline.deadline, w.deadline.days_remaining) {
            (Some(d), Some(days)) => format!("{} ({})", long_date(&d), days_in_words(days)),
            _ => "No time limit".to_owned(),
        },
        contact: match (w.last_contact, w.days_since_contact) {
            (Some(d), Some(days)) => format!("{} ({})", long_date(&d), days_in_words(-days)),
            _ => "No contact recorded".to_owned(),
        },
        due: Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    chrome: Chrome,
    rows: Vec<CaseloadRow>,
    total: usize,
    now_count: usize,
    query: String,
    pager: Pager,
    form: Form,
    reload_href: &'static str,
}

#[derive(Template)]
#[template(path = "partials/attendance_result.html")]
struct AttendanceResult {
    message: String,
}

#[derive(Template)]
#[template(path = "partials/quick_attendance.html")]
struct QuickAttendance {
    chrome: Chrome,
    appointment: DueAppointment,
    form: Form,
}

#[derive(Debug, Deserialize)]
pub struct CaseloadQuery {
    #[serde(default)]
    pub page: Option<usize>,
    #[serde(default)]
    pub q: Option<String>,
}

async fn dashboard_response(
    state: &AppState,
    viewer: &Viewer,
    query: &CaseloadQuery,
    status: StatusCode,
    form: Form,
) -> Result<Response, ViewError> {
    let app = &state.app;
    // A navigator holds at most a few dozen cases: fetch them all, then search and page here.
    let all = app
        .navigator_caseload(
            &viewer.actor,
            Page {
                number: 1,
                size: 200,
            },
        )
        .await
        .or_page(viewer)?;
    let (typed, needle) = pager::needle(query.q.as_deref());
    let matching: Vec<&CaseWatch> = all
        .items
        .iter()
        .filter(|w| pager::matches(&needle, &[&w.person_name, &w.reference]))
        .collect();
    let pager = Pager::new(
        matching.len(),
        PAGE_SIZE,
        query.page.unwrap_or(1),
        "open cases",
        |n| {
            pager::href(
                "/caseload",
                &[
                    ("q", typed.clone()),
                    ("page", if n > 1 { n.to_string() } else { String::new() }),
                ],
                "",
            )
        },
    );
    let mut rows = Vec::new();
    for w in pager.slice(&matching) {
        let mut row = row_of(w);
        // The caseload read these with the rest (and audited the caseload as consulted).
        row.due = w
            .due_appointments
            .iter()
            .map(|a| DueAppointment {
                id: a.id.to_string(),
                when: london_time(&a.at),
                purpose: a.purpose.clone(),
            })
            .collect();
        rows.push(row);
    }
    let page_view = CaseloadPage {
        chrome: Chrome::for_viewer(viewer, "/caseload"),
        now_count: all
            .items
            .iter()
            .filter(|w| w.urgency == Urgency::Now)
            .count(),
        total: matching.len(),
        rows,
        query: typed,
        pager,
        form,
        reload_href: "/caseload",
    };
    Ok(render(status, &page_view))
}

/// `GET /caseload?q=&page=`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CaseloadQuery>,
) -> Result<Response, ViewError> {
    dashboard_response(&state, &viewer, &query, StatusCode::OK, Form::blank()).await
}

/// `POST /caseload/appointments/{id}/attendance`: the dashboard's quick action.
pub async fn quick_attendance(
    State(state): State<AppState>,
    Path(appointment_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        htmx,
    } = post;
    let result = match attendance_of(&values, "attended", "reason", "note") {
        Ok(attendance) => state
            .app
            .record_attendance(&viewer.actor, appointment_id, attendance)
            .await
            .map(|done| {
                let mut message = format!(
                    "Recorded: {}",
                    super::words(done.appointment.attendance.as_deref().unwrap_or("recorded"))
                );
                if done.review_opened.is_some() {
                    message.push_str(". A non-compliance review is now open for a supervisor.");
                }
                message
            }),
        Err(e) => Err(e),
    };
    match result {
        Ok(message) if htmx => Ok(render(StatusCode::OK, &AttendanceResult { message })),
        Ok(_) => Ok(see_other("/caseload")),
        Err(error) => {
            let mut form = Form::with_values(values.clone());
            form.absorb(error, |f| f.rsplit('.').next().unwrap_or(f).to_owned())
                .or_page(&viewer)?;
            // The row is small: say which field each message is about.
            for problem in &mut form.problems {
                if problem.field == "note" {
                    problem.message = "Add a note saying why the appointment was missed".to_owned();
                }
            }
            if htmx {
                // htmx swaps only 2xx answers: the form with its errors comes back as 200.
                let appointment = DueAppointment {
                    id: appointment_id.to_string(),
                    when: values.get("when").to_owned(),
                    purpose: values.get("purpose").to_owned(),
                };
                let fragment = QuickAttendance {
                    chrome: Chrome::for_viewer(&viewer, ""),
                    appointment,
                    form,
                };
                return Ok(render(StatusCode::OK, &fragment));
            }
            let status = if form.conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let query = CaseloadQuery {
                page: None,
                q: None,
            };
            dashboard_response(&state, &viewer, &query, status, form).await
        }
    }
}
