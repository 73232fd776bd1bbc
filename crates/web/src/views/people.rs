//! People: search (by name, PNC ID or date of birth; search-as-you-type with htmx, a plain
//! GET form without it) and one person's page with their cases. Searches and views are
//! consultations of personal data and land in the audit log; a person's record is opened
//! only with the viewer's reason for looking (a short list plus their own words), asked once
//! a session and kept in a session-bound cookie until sign-out.

use super::choices;
use super::form::Form;
use super::layout::Chrome;
use super::pager::{self, Pager};
use super::session::{Posted, Viewer, cookie, is_htmx};
use super::{OrPage, ViewError, long_date, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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
    /// A case reference: the case itself is offered, if the viewer may see it.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub page: Option<u32>,
}

/// A case found by its reference.
#[derive(Debug, Clone)]
pub struct CaseFound {
    pub case_id: String,
    pub reference: String,
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
    reference: String,
    searched: bool,
    error: String,
    rows: Vec<PersonRow>,
    pager: Pager,
    case_found: Option<CaseFound>,
}

#[derive(Template)]
#[template(path = "partials/people_results.html")]
struct PeopleResults {
    searched: bool,
    error: String,
    rows: Vec<PersonRow>,
    pager: Pager,
    case_found: Option<CaseFound>,
}

/// `GET /people?name=&pnc_id=&date_of_birth=&reference=&page=`.
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
    let mut page = q.page.unwrap_or(1).max(1);
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
    let reference = q.reference.clone().unwrap_or_default().trim().to_owned();
    let mut case_found = None;
    if !reference.is_empty() {
        match state.app.case_by_reference(&viewer.actor, &reference).await {
            Ok(case_id) => {
                case_found = Some(CaseFound {
                    case_id: case_id.to_string(),
                    reference: reference.to_uppercase(),
                })
            }
            Err(
                checkpoint_app::AppError::NotFound { .. }
                | checkpoint_app::AppError::Forbidden { .. },
            ) => {
                error = format!("No case with the reference {reference} that you can see");
            }
            Err(checkpoint_app::AppError::Invalid(errors)) => {
                error = errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
            }
            Err(e) => return Err(e).or_page(&viewer),
        }
    }
    let searched = !(name.is_empty() && pnc_id.is_empty() && date_of_birth.is_none());
    let (rows, total) = if searched && error.is_empty() {
        let query = PeopleQuery {
            name: Some(name.clone()).filter(|n| !n.is_empty()),
            pnc_id: Some(pnc_id.clone()).filter(|p| !p.is_empty()),
            date_of_birth,
        };
        // The use case counts pages from 0; the page's links from 1. A page past the end
        // (an old link) shows the last page.
        let size = checkpoint_app::people::PEOPLE_PAGE_SIZE;
        let mut found = state
            .app
            .search_people(&viewer.actor, &query, page - 1)
            .await;
        if let Ok(first) = &found
            && first.people.is_empty()
            && first.total > 0
        {
            let last = u32::try_from(first.total.div_ceil(u64::from(size))).unwrap_or(1);
            if page > last {
                page = last;
                found = state
                    .app
                    .search_people(&viewer.actor, &query, page - 1)
                    .await;
            }
        }
        match found {
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
                usize::try_from(found.total).unwrap_or(usize::MAX),
            ),
            Err(checkpoint_app::AppError::Invalid(errors)) => {
                error = errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                (Vec::new(), 0)
            }
            Err(e) => return Err(e).or_page(&viewer),
        }
    } else {
        (Vec::new(), 0)
    };
    let page_size = usize::try_from(checkpoint_app::people::PEOPLE_PAGE_SIZE).unwrap_or(25);
    let pager = Pager::new(
        total,
        page_size,
        usize::try_from(page).unwrap_or(1),
        "people",
        |n| {
            pager::href(
                "/people",
                &[
                    ("name", name.clone()),
                    ("pnc_id", pnc_id.clone()),
                    ("date_of_birth", dob_text.clone()),
                    ("page", if n > 1 { n.to_string() } else { String::new() }),
                ],
                "",
            )
        },
    );
    if is_htmx(&headers) {
        let results = PeopleResults {
            searched,
            error,
            rows,
            pager,
            case_found,
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
        pager,
        case_found,
        reference,
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
    person_id: String,
    name: String,
    details: Vec<(String, String)>,
    cases: Vec<PersonCaseRow>,
    reason: String,
}

#[derive(Template)]
#[template(path = "person_reason.html")]
struct ReasonPage {
    chrome: Chrome,
    person_id: String,
    form: Form,
    reload_href: String,
}

/// `GET /people/{id}?reason=&detail=&change_reason=`: the reason for viewing, asked once a
/// session (or when the viewer wants to change it).
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub change_reason: Option<String>,
}

/// The cookie that remembers the reason for viewing until sign-out: bound to the session (a
/// cookie from another session is ignored), readable only by this server.
pub const REASON_COOKIE: &str = "checkpoint_view_reason";

/// Longest free-text reason accepted.
const REASON_DETAIL_LIMIT: usize = 200;

/// A short tag tying a remembered reason to one session.
fn session_tag(viewer: &Viewer) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"checkpoint-view-reason\0");
    hasher.update(viewer.csrf.as_bytes());
    hex::encode(&hasher.finalize()[..8])
}

/// A reason for viewing: one of [`choices::VIEW_REASON`], and words of the viewer's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewReason {
    pub code: String,
    pub detail: String,
}

impl ViewReason {
    /// Checks a reason as typed; problems are named by field (`reason`, `detail`).
    pub fn parse(code: &str, detail: &str) -> Result<ViewReason, Vec<(&'static str, String)>> {
        let code = code.trim();
        let detail = detail.trim();
        let mut problems = Vec::new();
        if !choices::VIEW_REASON.iter().any(|(c, _)| *c == code) {
            problems.push((
                "reason",
                "Choose why you are looking at this record".to_owned(),
            ));
        }
        if code == "other" && detail.is_empty() {
            problems.push((
                "detail",
                "Say why you are looking at this record".to_owned(),
            ));
        }
        if detail.chars().count() > REASON_DETAIL_LIMIT {
            problems.push((
                "detail",
                format!("Keep the reason to {REASON_DETAIL_LIMIT} characters or fewer"),
            ));
        }
        if detail.chars().any(char::is_control) {
            problems.push(("detail", "Use plain text for the reason".to_owned()));
        }
        if problems.is_empty() {
            Ok(ViewReason {
                code: code.to_owned(),
                detail: detail.to_owned(),
            })
        } else {
            Err(problems)
        }
    }

    /// The justification the audit log keeps.
    pub fn justification(&self) -> String {
        let label = choices::label_of(choices::VIEW_REASON, &self.code);
        match (self.code.as_str(), self.detail.is_empty()) {
            (_, true) => label,
            ("other", false) => self.detail.clone(),
            (_, false) => format!("{label}: {}", self.detail),
        }
    }

    fn cookie_value(&self, tag: &str) -> String {
        format!("{tag}.{}.{}", self.code, pager::encode(&self.detail))
    }

    fn from_cookie(value: &str, tag: &str) -> Option<ViewReason> {
        let mut parts = value.splitn(3, '.');
        if parts.next()? != tag {
            return None;
        }
        let code = parts.next()?;
        let detail = percent_decode(parts.next().unwrap_or(""));
        ViewReason::parse(code, &detail).ok()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason_cookie(value: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{REASON_COOKIE}={value}; Path=/people; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("checkpoint_view_reason=; Path=/people"))
}

/// `GET /people/{id}`: the reason for viewing first (once a session), then the record.
pub async fn person(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(person_id): Path<Uuid>,
    Query(query): Query<ViewQuery>,
) -> Result<Response, ViewError> {
    checkpoint_app::permissions::authorise(&viewer.actor, checkpoint_app::Action::ViewPerson)
        .or_page(&viewer)?;
    let tag = session_tag(&viewer);
    let ask = |status: StatusCode, form: Form| {
        let page = ReasonPage {
            chrome: Chrome::for_viewer(&viewer, "/people"),
            person_id: person_id.to_string(),
            form,
            reload_href: format!("/people/{person_id}"),
        };
        Ok(render(status, &page))
    };
    let (reason, set_cookie) = match &query.reason {
        Some(code) => {
            let detail = query.detail.as_deref().unwrap_or("");
            match ViewReason::parse(code, detail) {
                Ok(reason) => (reason, true),
                Err(problems) => {
                    let mut form = Form::with_values(Posted::new(vec![
                        ("reason".to_owned(), code.clone()),
                        ("detail".to_owned(), detail.to_owned()),
                    ]));
                    for (field, message) in problems {
                        form.problem(field, message);
                    }
                    return ask(StatusCode::UNPROCESSABLE_ENTITY, form);
                }
            }
        }
        None => {
            let remembered = cookie(&headers, REASON_COOKIE)
                .and_then(|value| ViewReason::from_cookie(&value, &tag))
                .filter(|_| query.change_reason.is_none());
            match remembered {
                Some(reason) => (reason, false),
                None => {
                    let mut form = Form::blank();
                    if let Some(value) = cookie(&headers, REASON_COOKIE)
                        .and_then(|value| ViewReason::from_cookie(&value, &tag))
                    {
                        form.values.set("reason", value.code);
                        form.values.set("detail", value.detail);
                    }
                    return ask(StatusCode::OK, form);
                }
            }
        }
    };
    let person = state
        .app
        .view_person(&viewer.actor, person_id, &reason.justification())
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
        person_id: person_id.to_string(),
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
        reason: reason.justification(),
    };
    let mut response = render(StatusCode::OK, &page);
    if set_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            reason_cookie(&reason.cookie_value(&tag), state.config.secure_cookies),
        );
    }
    Ok(response)
}

/// The serde name of a unit enum value (`not_known`).
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_checked_and_survive_the_cookie() {
        let reason = ViewReason::parse("case_work", " follow-up call; 50% done ").expect("valid");
        assert_eq!(
            reason.justification(),
            "Working on this person's case: follow-up call; 50% done"
        );
        let value = reason.cookie_value("abc123");
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        );
        assert_eq!(ViewReason::from_cookie(&value, "abc123"), Some(reason));
        assert_eq!(
            ViewReason::from_cookie(&value, "another"),
            None,
            "another session"
        );

        let other = ViewReason::parse("other", "court production order").expect("valid");
        assert_eq!(other.justification(), "court production order");
        let fields = |r: Result<ViewReason, Vec<(&'static str, String)>>| {
            r.expect_err("refused")
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(ViewReason::parse("other", " ")), ["detail"]);
        assert_eq!(fields(ViewReason::parse("curiosity", "")), ["reason"]);
        assert_eq!(
            fields(ViewReason::parse("case_work", &"x".repeat(201))),
            ["detail"]
        );
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
