//! People: search (by name, PNC ID or date of birth; search-as-you-type with htmx, a plain
//! GET form without it) and one person's page with their cases. Searches and views are
//! consultations of personal data and land in the audit log with the role as justification.

use super::layout::Chrome;
use super::session::{Viewer, is_htmx};
use super::{OrPage, ViewError, long_date, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use checkpoint_app::people::PeopleQuery;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub pnc_id: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub page: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct PersonRow {
    pub person_id: String,
    pub name: String,
    pub born: String,
    pub pnc_id: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    name: String,
    pnc_id: String,
    date_of_birth: String,
    searched: bool,
    error: String,
    rows: Vec<PersonRow>,
    page: u32,
    has_more: bool,
    query_string: String,
}

#[derive(Template)]
#[template(path = "partials/people_results.html")]
struct PeopleResults {
    searched: bool,
    error: String,
    rows: Vec<PersonRow>,
    page: u32,
    has_more: bool,
    query_string: String,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /people?name=&pnc_id=&date_of_birth=&page=`.
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ViewError> {
    checkpoint_app::permissions::authorise(&viewer.actor, checkpoint_app::Action::SearchPeople)
        .or_page(&viewer)?;
    let name = q.name.clone().unwrap_or_default().trim().to_owned();
    let pnc_id = q.pnc_id.clone().unwrap_or_default().trim().to_owned();
    let dob_text = q
        .date_of_birth
        .clone()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let page = q.page.unwrap_or(1).max(1);
    let mut error = String::new();
    let date_of_birth = if dob_text.is_empty() {
        None
    } else {
        match dob_text.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                error = "Enter the date of birth like 1994-07-19".to_owned();
                None
            }
        }
    };
    let searched = !(name.is_empty() && pnc_id.is_empty() && date_of_birth.is_none());
    let (rows, has_more) = if searched && error.is_empty() {
        let query = PeopleQuery {
            name: Some(name.clone()).filter(|n| !n.is_empty()),
            pnc_id: Some(pnc_id.clone()).filter(|p| !p.is_empty()),
            date_of_birth,
        };
        match state.app.search_people(&viewer.actor, &query, page).await {
            Ok(found) => (
                found
                    .people
                    .iter()
                    .map(|p| PersonRow {
                        person_id: p.person_id.to_string(),
                        name: format!("{} {}", p.given_name, p.family_name),
                        born: long_date(&p.date_of_birth),
                        pnc_id: p.pnc_id.clone().unwrap_or_default(),
                    })
                    .collect(),
                found.has_more,
            ),
            Err(checkpoint_app::AppError::Invalid(errors)) => {
                error = errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                (Vec::new(), false)
            }
            Err(e) => return Err(e).or_page(&viewer),
        }
    } else {
        (Vec::new(), false)
    };
    let query_string = format!(
        "name={}&pnc_id={}&date_of_birth={}",
        encode(&name),
        encode(&pnc_id),
        encode(&dob_text)
    );
    if is_htmx(&headers) {
        let results = PeopleResults {
            searched,
            error,
            rows,
            page,
            has_more,
            query_string,
        };
        return Ok(render(StatusCode::OK, &results));
    }
    let page_view = PeoplePage {
        chrome: Chrome::for_viewer(&viewer, "/people"),
        name,
        pnc_id,
        date_of_birth: dob_text,
        searched,
        error,
        rows,
        page,
        has_more,
        query_string,
    };
    Ok(render(StatusCode::OK, &page_view))
}

#[derive(Debug, Clone)]
pub struct PersonCaseRow {
    pub case_id: String,
    pub reference: String,
    pub scheme_id: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    name: String,
    details: Vec<(String, String)>,
    cases: Vec<PersonCaseRow>,
}

/// `GET /people/{id}`.
pub async fn person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(person_id): Path<Uuid>,
) -> Result<Response, ViewError> {
    let justification = format!("opened from people search ({})", viewer.actor.role.label());
    let person = state
        .app
        .view_person(&viewer.actor, person_id, &justification)
        .await
        .or_page(&viewer)?;
    let d = &person.details;
    let value = |v: Option<&str>| v.map_or_else(|| "Not recorded".to_owned(), str::to_owned);
    let details = vec![
        ("Date of birth".to_owned(), long_date(&d.date_of_birth)),
        ("Sex".to_owned(), words(&wire(&d.sex))),
        ("PNC ID".to_owned(), value(d.pnc_id.as_deref())),
        ("Postcode".to_owned(), value(d.postcode.as_deref())),
        (
            "Ethnicity (self-defined)".to_owned(),
            d.ethnicity_self_defined
                .map_or_else(|| "Not recorded".to_owned(), |e| words(&wire(&e))),
        ),
    ];
    let page = PersonPage {
        chrome: Chrome::for_viewer(&viewer, "/people"),
        name: format!("{} {}", d.given_name, d.family_name),
        details,
        cases: person
            .cases
            .iter()
            .map(|c| PersonCaseRow {
                case_id: c.case_id.to_string(),
                reference: c.reference.clone(),
                scheme_id: c.scheme_id.clone(),
                state: words(&c.state),
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The serde name of a unit enum value (`not_known`).
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
