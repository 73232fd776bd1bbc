//! The clerical review queue (supervisors, [`Action::ReviewLinkage`]): arrests the linkage
//! model was unsure of, each beside the person it might be, with every field's comparison
//! level and weight, to confirm or reject; and the button that refits the model from those
//! decisions. Everything goes through the same use cases as `/api/v1/linkage/…`, so reading a
//! pair is audited as a consultation and a decision as a combination.
//!
//! [`Action::ReviewLinkage`]: checkpoint_app::Action::ReviewLinkage

use super::form::Form;
use super::layout::Chrome;
use super::session::{FormPost, Viewer};
use super::{OrPage, ViewError, london_time, long_date, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::AppError;
use checkpoint_app::monitoring::Operator;
use checkpoint_app::monitoring::queue::{
    ClericalDecision, ClericalPair, IdentitySide, ModelStatus, QueueItem,
};
use serde::Deserialize;
use uuid::Uuid;

/// Pairs per page of the queue.
const PAGE_SIZE: u32 = 20;

/// The queue's path, also the navigation entry it marks current.
pub const QUEUE_PATH: &str = "/linkage/reviews";

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    /// Search: part of a name, an arrest reference or a case reference.
    #[serde(default)]
    pub q: Option<String>,
    /// Cursor of the page to show (from the previous page's "Next").
    #[serde(default)]
    pub after: Option<String>,
    /// Set after a refit: say that a new model version was stored.
    #[serde(default)]
    pub refitted: Option<String>,
}

/// A pending pair as a row of the list.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub arrest_id: String,
    pub arrest_name: String,
    pub arrest_dob: String,
    pub arrest_date: String,
    pub person_name: String,
    pub person_dob: String,
    pub probability: String,
    pub queued: String,
}

fn full_name(side: &IdentitySide) -> String {
    format!("{} {}", side.given_name, side.surname)
        .trim()
        .to_owned()
}

fn percent(probability: f64) -> String {
    let p = probability * 100.0;
    if p > 99.9 && p < 100.0 {
        ">99.9%".to_owned()
    } else if p > 0.0 && p < 0.1 {
        "<0.1%".to_owned()
    } else {
        format!("{p:.1}%")
    }
}

fn pair_row(item: &QueueItem) -> PairRow {
    PairRow {
        arrest_id: item.arrest_id.to_string(),
        arrest_name: full_name(&item.arrest),
        arrest_dob: item.arrest.dob.clone(),
        arrest_date: long_date(&item.arrest_date),
        person_name: full_name(&item.person),
        person_dob: item.person.dob.clone(),
        probability: percent(item.match_probability),
        queued: london_time(&item.queued_at),
    }
}

/// The stored model, as the refit panel shows it.
#[derive(Debug, Clone)]
pub struct ModelLine {
    pub version: i64,
    pub method: String,
    pub stored: String,
    pub decided: i64,
    pub labels: i64,
}

fn method_words(method: &str) -> String {
    match method {
        "em" => "trained without labels (EM)".to_owned(),
        "starter" => "the starter model (too few people to train on)".to_owned(),
        "em+clerical" => "refitted from clerical decisions".to_owned(),
        other => other.to_owned(),
    }
}

fn model_line(status: ModelStatus) -> ModelLine {
    ModelLine {
        version: status.version,
        method: method_words(&status.method),
        stored: format!("{}, {}", london_time(&status.created_at), status.created_by),
        decided: status.decided,
        labels: status.labels,
    }
}

#[derive(Template)]
#[template(path = "linkage/queue.html")]
struct QueuePage {
    chrome: Chrome,
    search: String,
    search_error: String,
    rows: Vec<PairRow>,
    pending: i64,
    /// The href of the next page, empty on the last.
    next_href: String,
    /// The href of the first page, when this is not it.
    first_href: String,
    model: Option<ModelLine>,
    refitted: bool,
    refit_error: String,
}

/// `?q=…` for links that keep the search.
fn search_query(search: &str) -> String {
    if search.is_empty() {
        String::new()
    } else {
        format!("q={}", encode(search))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn href(search: &str, after: Option<&str>) -> String {
    let mut parts = Vec::new();
    let q = search_query(search);
    if !q.is_empty() {
        parts.push(q);
    }
    if let Some(after) = after {
        parts.push(format!("after={}", encode(after)));
    }
    if parts.is_empty() {
        QUEUE_PATH.to_owned()
    } else {
        format!("{QUEUE_PATH}?{}", parts.join("&"))
    }
}

async fn queue_response(
    state: &AppState,
    viewer: &Viewer,
    query: &QueueQuery,
    status: StatusCode,
    refit_error: String,
) -> Result<Response, ViewError> {
    let search = query.q.as_deref().unwrap_or("").trim().to_owned();
    let after = query.after.as_deref().filter(|a| !a.is_empty());
    let mut search_error = String::new();
    let page = match state
        .app
        .search_clerical_queue(&viewer.actor, Some(&search), after, PAGE_SIZE)
        .await
    {
        Ok(page) => Some(page),
        // A search too long, or a cursor not from a page of ours: say so beside the search.
        Err(AppError::Invalid(errors)) => {
            search_error = errors
                .iter()
                .map(|e| match e.field.as_str() {
                    "q" => format!("The search {}", e.message),
                    _ => "That page of the queue no longer exists: start again from the first \
                          page"
                        .to_owned(),
                })
                .collect::<Vec<_>>()
                .join(". ");
            None
        }
        Err(other) => return Err(other).or_page(viewer),
    };
    let model = state
        .app
        .linkage_model_status(&viewer.actor)
        .await
        .or_page(viewer)?
        .map(model_line);
    let (rows, pending, next) = match page {
        Some(page) => (
            page.items.iter().map(pair_row).collect(),
            page.pending,
            page.next,
        ),
        None => (Vec::new(), 0, None),
    };
    let page = QueuePage {
        chrome: Chrome::for_viewer(viewer, QUEUE_PATH),
        next_href: next
            .as_deref()
            .map(|n| href(&search, Some(n)))
            .unwrap_or_default(),
        first_href: if after.is_some() {
            href(&search, None)
        } else {
            String::new()
        },
        search,
        search_error,
        rows,
        pending,
        model,
        refitted: query.refitted.is_some(),
        refit_error,
    };
    let status = if page.search_error.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(status, &page))
}

/// `GET /linkage/reviews?q=&after=`: the pending pairs, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ViewError> {
    queue_response(&state, &viewer, &query, StatusCode::OK, String::new()).await
}

/// `POST /linkage/model/refit`: re-estimates the model from every decision so far and stores
/// it as a new version; back to the queue, which shows the version.
pub async fn refit(State(state): State<AppState>, post: FormPost) -> Result<Response, ViewError> {
    let viewer = post.viewer;
    match state
        .app
        .refit_linkage_model(Operator::User(&viewer.actor))
        .await
    {
        Ok(stored) => Ok(see_other(&format!(
            "{QUEUE_PATH}?refitted={}",
            stored.version
        ))),
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            queue_response(
                &state,
                &viewer,
                &QueueQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The model could not be refitted: {message}."),
            )
            .await
        }
        Err(other) => Err(other).or_page(&viewer),
    }
}

/// One field of the pair: both values, the level they compared at and what it was worth.
#[derive(Debug, Clone)]
pub struct FieldRow {
    pub label: String,
    pub arrest: String,
    pub person: String,
    pub level: String,
    pub level_words: String,
    /// `agree`, `disagree` or `missing`, for the tag's colour.
    pub tone: &'static str,
    pub weight: String,
    pub tf: String,
    pub m: String,
    pub u: String,
    pub running: String,
}

fn field_label(comparison: &str) -> String {
    match comparison {
        "given_name" => "Given name".to_owned(),
        "surname" => "Family name".to_owned(),
        "dob" => "Date of birth".to_owned(),
        "postcode" => "Postcode".to_owned(),
        "pnc_id" => "PNC ID".to_owned(),
        other => super::words(other),
    }
}

fn side_value(side: &IdentitySide, comparison: &str) -> String {
    match comparison {
        "given_name" => side.given_name.clone(),
        "surname" => side.surname.clone(),
        "dob" => side.dob.clone(),
        "postcode" => side.postcode.clone(),
        "pnc_id" => side.pnc_id.clone(),
        _ => String::new(),
    }
}

/// The comparison level in words (`jw:0.92` → "Similar spelling (0.92 or closer)").
fn level_words(level: &str) -> String {
    match level {
        "exact" => "The same".to_owned(),
        "nickname" => "Nickname of the same name".to_owned(),
        "part" => "One is part of the other".to_owned(),
        "phonetic" => "Sound alike".to_owned(),
        "one_edit" => "One character different".to_owned(),
        "swap" => "Day and month swapped".to_owned(),
        "year_off_by_one" => "Year one out".to_owned(),
        "one_field" => "One of day, month or year differs".to_owned(),
        "sector" => "Same postcode sector".to_owned(),
        "district" => "Same postcode district".to_owned(),
        "area" => "Same postcode area".to_owned(),
        "else" => "Different".to_owned(),
        "null" => "Missing on one side".to_owned(),
        other => match other.strip_prefix("jw:") {
            Some(t) => format!("Similar spelling (Jaro–Winkler {t} or closer)"),
            None => other.to_owned(),
        },
    }
}

fn bits(weight: f64) -> String {
    format!("{weight:+.2}")
}

fn probability_text(p: Option<f64>) -> String {
    p.map_or_else(String::new, |p| {
        if p >= 0.001 {
            format!("{p:.3}")
        } else {
            format!("{p:.1e}")
        }
    })
}

fn field_rows(pair: &ClericalPair) -> Vec<FieldRow> {
    let mut running = pair.explanation.prior_weight;
    pair.explanation
        .fields
        .iter()
        .map(|f| {
            running += f.weight + f.tf_adjustment;
            let tone = match f.level.as_str() {
                "null" => "missing",
                "else" => "disagree",
                _ if f.weight + f.tf_adjustment < 0.0 => "disagree",
                _ => "agree",
            };
            FieldRow {
                label: field_label(&f.comparison),
                arrest: side_value(&pair.item.arrest, &f.comparison),
                person: side_value(&pair.item.person, &f.comparison),
                level: f.level.clone(),
                level_words: level_words(&f.level),
                tone,
                weight: bits(f.weight),
                tf: if f.tf_adjustment == 0.0 {
                    String::new()
                } else {
                    bits(f.tf_adjustment)
                },
                m: probability_text(f.m),
                u: probability_text(f.u),
                running: bits(running),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "linkage/pair.html")]
struct PairPage {
    chrome: Chrome,
    form: Form,
    reload_href: String,
    arrest_id: String,
    person_id: String,
    source: String,
    arrest_ref: String,
    arrest_date: String,
    offence: String,
    queued: String,
    model_version: i64,
    probability: String,
    match_weight: String,
    prior_weight: String,
    fields: Vec<FieldRow>,
    pending: bool,
    /// "Confirmed" / "Rejected" once decided.
    status_label: String,
    decided: String,
    reason: String,
    /// The decision just tried was too late: someone else decided first.
    stale: bool,
    decision_options: Vec<(String, String)>,
}

async fn pair_response(
    state: &AppState,
    viewer: &Viewer,
    arrest_id: Uuid,
    status: StatusCode,
    form: Form,
    stale: bool,
) -> Result<Response, ViewError> {
    let pair = state
        .app
        .clerical_pair(&viewer.actor, arrest_id)
        .await
        .or_page(viewer)?;
    let status_label = match pair.status.as_str() {
        "confirmed" => "Confirmed: the same person".to_owned(),
        "rejected" => "Rejected: different people".to_owned(),
        _ => String::new(),
    };
    let decided = match (&pair.decided_by_name, &pair.decided_at) {
        (Some(name), Some(at)) => format!("{name}, {}", london_time(at)),
        (Some(name), None) => name.clone(),
        _ => String::new(),
    };
    let page = PairPage {
        chrome: Chrome::for_viewer(viewer, QUEUE_PATH),
        form,
        reload_href: format!("{QUEUE_PATH}/{arrest_id}"),
        arrest_id: arrest_id.to_string(),
        person_id: pair.item.person_id.to_string(),
        source: pair.source.clone(),
        arrest_ref: pair.arrest_ref.clone(),
        arrest_date: long_date(&pair.item.arrest_date),
        offence: pair.offence.clone(),
        queued: london_time(&pair.item.queued_at),
        model_version: pair.model_version,
        probability: percent(pair.item.match_probability),
        match_weight: bits(pair.item.match_weight),
        prior_weight: bits(pair.explanation.prior_weight),
        fields: field_rows(&pair),
        pending: pair.status == "pending",
        status_label,
        decided,
        reason: pair.reason.clone().unwrap_or_default(),
        stale,
        decision_options: vec![
            (
                "confirm".to_owned(),
                "Confirm: the same person (link the arrest and act on it)".to_owned(),
            ),
            (
                "reject".to_owned(),
                "Reject: different people (nothing changes for any case)".to_owned(),
            ),
        ],
    };
    Ok(render(status, &page))
}

/// `GET /linkage/reviews/{arrest_id}`: both records side by side with the waterfall.
pub async fn pair(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(arrest_id): Path<Uuid>,
) -> Result<Response, ViewError> {
    pair_response(
        &state,
        &viewer,
        arrest_id,
        StatusCode::OK,
        Form::blank(),
        false,
    )
    .await
}

/// `POST /linkage/reviews/{arrest_id}/decision`: confirm or reject, with an optional reason.
/// Done → back to this pair, now showing the decision; a missing choice → the form again
/// (422); already decided by someone else → the pair as decided, with a notice (409).
pub async fn decide(
    State(state): State<AppState>,
    Path(arrest_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let decision = match values.get("decision") {
        "confirm" => Some(ClericalDecision::Confirm),
        "reject" => Some(ClericalDecision::Reject),
        _ => None,
    };
    let reason = values.get("reason").to_owned();
    let mut form = Form::with_values(values);
    let Some(decision) = decision else {
        form.problem(
            "decision",
            "Choose whether this is the same person or different people",
        );
        return pair_response(
            &state,
            &viewer,
            arrest_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            false,
        )
        .await;
    };
    match state
        .app
        .decide_clerical_review(&viewer.actor, arrest_id, decision, &reason)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{QUEUE_PATH}/{arrest_id}"))),
        Err(AppError::Conflict { .. }) => {
            pair_response(
                &state,
                &viewer,
                arrest_id,
                StatusCode::CONFLICT,
                Form::blank(),
                true,
            )
            .await
        }
        Err(error) => {
            form.absorb(error, str::to_owned).or_page(&viewer)?;
            pair_response(
                &state,
                &viewer,
                arrest_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                false,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_as_words_and_unknown_ones_pass_through() {
        assert_eq!(level_words("swap"), "Day and month swapped");
        assert_eq!(
            level_words("jw:0.92"),
            "Similar spelling (Jaro–Winkler 0.92 or closer)"
        );
        assert_eq!(level_words("custom"), "custom");
    }

    #[test]
    fn probabilities_never_round_to_certainty() {
        assert_eq!(percent(0.9999), ">99.9%");
        assert_eq!(percent(0.7), "70.0%");
        assert_eq!(percent(0.0004), "<0.1%");
    }

    #[test]
    fn links_keep_the_search_and_the_cursor() {
        assert_eq!(href("", None), "/linkage/reviews");
        assert_eq!(
            href("O'Neil ann", Some("2026-03-04T10:00:00Z_x")),
            "/linkage/reviews?q=O%27Neil+ann&after=2026-03-04T10%3A00%3A00Z_x"
        );
    }
}
