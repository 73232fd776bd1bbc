//! Finding people and reading a person's record (each read audited with its justification).

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation};
use crate::extract::{IdPath, PageQuery, Paginated, QueryParams};
use axum::Json;
use axum::extract::State;
use checkpoint_app::people::{PEOPLE_PAGE_SIZE, PeopleQuery, PersonSummary, PersonView};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSummaryBody {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub pnc_id: Option<String>,
}

impl From<PersonSummary> for PersonSummaryBody {
    fn from(p: PersonSummary) -> PersonSummaryBody {
        PersonSummaryBody {
            person_id: p.person_id,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth,
            pnc_id: p.pnc_id,
        }
    }
}

/// Search terms; every one given must match.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleSearchParams {
    /// "family" or "given family": each the start of the name, any case.
    pub name: Option<String>,
    pub pnc_id: Option<String>,
    pub date_of_birth: Option<Date>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Fixed at 25 for people searches (counting every match would cost a scan).
    #[param(minimum = 25, maximum = 25, default = 25)]
    pub per_page: Option<u32>,
}

/// Search people by name start, PNC id and date of birth. Audited as a consultation with the
/// search terms. `total` is absent: the search does not count every match, `next` says
/// whether another page exists.
#[utoipa::path(
    get, path = "/people", tag = "people",
    params(PeopleSearchParams),
    responses((status = 200, description = "One page of people", body = Paginated<PersonSummaryBody>))
)]
pub async fn search_people(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: QueryParams,
) -> ApiResult<Json<Paginated<PersonSummaryBody>>> {
    let page = PageQuery::from_query(&query)?;
    if page.per_page != PEOPLE_PAGE_SIZE && query.text("per_page").is_some() {
        return Err(ApiError::field(
            "per_page",
            FieldLocation::Query,
            format!("people searches come in pages of {PEOPLE_PAGE_SIZE}"),
        ));
    }
    let terms = PeopleQuery {
        name: query.text("name").map(str::to_owned),
        pnc_id: query.text("pnc_id").map(str::to_owned),
        date_of_birth: query.date("date_of_birth")?,
    };
    let found = state
        .app
        .search_people(&signed_in.actor, &terms, page.page - 1)
        .await?;
    let page = PageQuery {
        page: page.page,
        per_page: PEOPLE_PAGE_SIZE,
    };
    let mut filters = Vec::new();
    for name in ["name", "pnc_id", "date_of_birth"] {
        if let Some(value) = query.text(name) {
            filters.push(format!("{name}={}", encode_query_value(value)));
        }
    }
    let base = if filters.is_empty() {
        "/api/v1/people".to_owned()
    } else {
        format!("/api/v1/people?{}", filters.join("&"))
    };
    let items: Vec<PersonSummaryBody> = found.people.into_iter().map(Into::into).collect();
    Ok(Json(page.wrap_open_ended(items, found.has_more, &base)))
}

/// Percent-encodes a query value (letters, digits and `-._~` pass unchanged).
fn encode_query_value(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonCaseBody {
    pub case_id: Uuid,
    pub reference: String,
    pub scheme_id: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonBody {
    pub person_id: Uuid,
    /// The person's details in the referral format's `person` shape.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub cases: Vec<PersonCaseBody>,
}

impl From<PersonView> for PersonBody {
    fn from(p: PersonView) -> PersonBody {
        PersonBody {
            person_id: p.person_id,
            details: serde_json::to_value(&p.details).unwrap_or_default(),
            cases: p
                .cases
                .into_iter()
                .map(|c| PersonCaseBody {
                    case_id: c.case_id,
                    reference: c.reference,
                    scheme_id: c.scheme_id,
                    state: c.state,
                })
                .collect(),
        }
    }
}

/// Why the caller is looking; kept in the audit log (DPA 2018 s.62).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JustificationParams {
    /// Required: why you are looking at this record.
    #[param(pattern = r"\S")]
    pub justification: String,
}

/// One person's record and cases.
#[utoipa::path(
    get, path = "/people/{id}", tag = "people",
    params(("id" = Uuid, Path, description = "Person id"), JustificationParams),
    responses((status = 200, description = "The person", body = PersonBody))
)]
pub async fn get_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    IdPath(person_id): IdPath,
    query: QueryParams,
) -> ApiResult<Json<PersonBody>> {
    let justification = query.text("justification").unwrap_or("");
    let view = state
        .app
        .view_person(&signed_in.actor, person_id, justification)
        .await
        .map_err(|e| match e {
            // The justification is a query parameter here, not a body field.
            checkpoint_app::AppError::Invalid(fields) => ApiError::Invalid(
                fields
                    .into_iter()
                    .map(|f| crate::error::ProblemField {
                        location: if f.field == "justification" {
                            FieldLocation::Query
                        } else {
                            FieldLocation::Body
                        },
                        field: f.field,
                        detail: f.message,
                    })
                    .collect(),
            ),
            other => other.into(),
        })?;
    Ok(Json(view.into()))
}
