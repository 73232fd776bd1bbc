//! The custody desk: the referral form, the likely-duplicate step, and the decision page with
//! every criterion, the prosecution deadline, and the accept / override / offer / consent
//! actions.

use super::cases::{HeaderView, version_of};
use super::choices::{self, label_of};
use super::form::{Form, optional, parse_date, parse_enum, required, tri_state};
use super::layout::Chrome;
use super::session::{FormPost, Posted, Viewer};
use super::{OrPage, ViewError, london_time, long_date, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::case_view::CaseView;
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::people::PersonMatch;
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::screening::{OverrideCode, ScreeningChoice};
use checkpoint_app::{Action, AppError};
use checkpoint_domain::offence::{GravityAssessment, Offence, Victim};
use checkpoint_domain::person::PersonDetails;
use checkpoint_domain::referral::{Circumstances, EarlierParticipation, Referral, RiskAssessment};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Referral form

/// A person already known who looks like the person typed.
#[derive(Debug, Clone)]
pub struct MatchRow {
    pub person_id: String,
    pub name: String,
    pub born: String,
    pub pnc_id: String,
    pub score: u8,
    pub explanation: String,
}

impl MatchRow {
    fn of(m: &PersonMatch) -> MatchRow {
        MatchRow {
            person_id: m.person_id.to_string(),
            name: format!("{} {}", m.given_name, m.family_name),
            born: long_date(&m.date_of_birth),
            pnc_id: m.pnc_id.clone().unwrap_or_else(|| "none".to_owned()),
            score: m.score,
            explanation: m.explanation.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct ReferralPage {
    chrome: Chrome,
    form: Form,
    schemes: Vec<(String, String)>,
    matches: Vec<MatchRow>,
    earlier_rows: Vec<usize>,
    reload_href: &'static str,
}

fn referral_page(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    form: Form,
    matches: Vec<MatchRow>,
) -> Response {
    let mut schemes: Vec<(String, String)> = state
        .app
        .policies()
        .schemes()
        .into_iter()
        .filter_map(|id| {
            let policy = state.app.policies().latest(id)?;
            Some((id.to_owned(), policy.name().to_owned()))
        })
        .collect();
    schemes.sort();
    let page = ReferralPage {
        chrome: Chrome::for_viewer(viewer, "/referrals/new"),
        earlier_rows: earlier_rows(&form.values),
        form,
        schemes,
        matches,
        reload_href: "/referrals/new",
    };
    render(status, &page)
}

/// `GET /referrals/new`.
pub async fn new_referral(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, ViewError> {
    checkpoint_app::permissions::authorise(&viewer.actor, Action::CreateReferral)
        .or_page(&viewer)?;
    let mut values = Posted::default();
    values.default_value("referral_date", state.app.clock().today().to_string());
    if let [only] = state.app.policies().schemes().as_slice() {
        values.default_value("scheme_id", *only);
    }
    Ok(referral_page(
        &state,
        &viewer,
        StatusCode::OK,
        Form::with_values(values),
        Vec::new(),
    ))
}

/// Reads the referral form into the referral format, noting every problem on `form`.
fn parse_referral(values: &Posted, form: &mut Form) -> Option<Referral> {
    let referral_date = required(
        form,
        values,
        "referral_date",
        "the referral date",
        parse_date,
    );
    let given_name = required(form, values, "person.given_name", "the given name", |s| {
        Some(s.to_owned())
    });
    let family_name = required(form, values, "person.family_name", "the family name", |s| {
        Some(s.to_owned())
    });
    let date_of_birth = required(
        form,
        values,
        "person.date_of_birth",
        "the date of birth",
        parse_date,
    );
    let sex = required(form, values, "person.sex", "the person's sex", parse_enum);
    let ethnicity_self_defined = optional(
        form,
        values,
        "person.ethnicity_self_defined",
        "the self-defined ethnicity",
        parse_enum,
    );
    let ethnicity_officer_observed = optional(
        form,
        values,
        "person.ethnicity_officer_observed",
        "the observed ethnicity",
        parse_enum,
    );
    let text = |name: &str| Some(values.get(name).to_owned()).filter(|s| !s.is_empty());

    let category = required(form, values, "offence.category", "the offence", parse_enum);
    let description = required(
        form,
        values,
        "offence.description",
        "a description of the offence",
        |s| Some(s.to_owned()),
    );
    let offence_date = required(
        form,
        values,
        "offence.offence_date",
        "the offence date",
        parse_date,
    );
    let mode_of_trial = required(
        form,
        values,
        "offence.mode_of_trial",
        "the mode of trial",
        parse_enum,
    );
    let gravity_base = optional(form, values, "offence.gravity.base", "the gravity", |s| {
        s.parse::<u8>().ok().and_then(gravity)
    });
    let drug_class = optional(
        form,
        values,
        "offence.drug_class",
        "the drug class",
        parse_enum,
    );
    let cultivation_scale = optional(
        form,
        values,
        "offence.cultivation_scale",
        "the scale of cultivation",
        parse_enum,
    );
    let supply_context = optional(
        form,
        values,
        "offence.supply_context",
        "why the person supplied",
        parse_enum,
    );
    let victim_views = optional(
        form,
        values,
        "offence.victim.views",
        "the victim's views",
        parse_enum,
    );
    let interview = optional(
        form,
        values,
        "interview",
        "the interview outcome",
        parse_enum,
    );
    let previous_convictions = optional(
        form,
        values,
        "previous_convictions",
        "the number of previous convictions (a whole number)",
        |s| s.parse::<u32>().ok(),
    );

    let risk_band = optional(form, values, "risk.band", "the risk band", parse_enum);
    let officer_band = optional(
        form,
        values,
        "risk.officer_band",
        "the officer's risk band",
        parse_enum,
    );
    if risk_band.is_none() && (officer_band.is_some() || !values.get("risk.tool").is_empty()) {
        form.problem("risk.band", "Choose the risk band the tool gave");
    }

    let vulnerabilities: Vec<_> = values
        .all("vulnerabilities")
        .into_iter()
        .filter_map(parse_enum)
        .collect();
    let no_vulnerabilities = values.has("vulnerabilities_none", "yes");
    if no_vulnerabilities && !vulnerabilities.is_empty() {
        form.problem(
            "vulnerabilities",
            "Either tick the vulnerabilities or 'none identified', not both",
        );
    }

    let mut earlier = Vec::new();
    for i in 0..earlier_row_count(values) {
        let names = earlier_names(i);
        let [scheme_name, date_name, result_name] = &names;
        let scheme = values.get(scheme_name);
        if names.iter().all(|name| values.get(name).is_empty()) {
            continue;
        }
        let row = i + 1;
        if scheme.is_empty() {
            form.problem(
                scheme_name,
                format!("Enter the scheme of earlier participation {row}"),
            );
        }
        let date = required(
            form,
            values,
            date_name,
            &format!("the date of earlier participation {row}"),
            parse_date,
        );
        let result = required(
            form,
            values,
            result_name,
            &format!("how earlier participation {row} ended"),
            parse_enum,
        );
        if let (false, Some(date), Some(result)) = (scheme.is_empty(), date, result) {
            earlier.push(EarlierParticipation {
                scheme: scheme.to_owned(),
                date,
                result,
            });
        }
    }
    let no_earlier = values.has("earlier_none", "yes");
    if no_earlier && !earlier.is_empty() {
        form.problem(
            "earlier_none",
            "Either give the earlier participations or tick 'None', not both",
        );
    }

    let circumstances = Circumstances {
        detained_for_court: tri_state(values, "circumstances.detained_for_court"),
        detained_under_mental_health_act: tri_state(
            values,
            "circumstances.detained_under_mental_health_act",
        ),
        subject_to_court_order: tri_state(values, "circumstances.subject_to_court_order"),
        on_bail_for_other_matters: tri_state(values, "circumstances.on_bail_for_other_matters"),
        under_statutory_supervision: tri_state(values, "circumstances.under_statutory_supervision"),
        co_accused: tri_state(values, "circumstances.co_accused"),
    };

    Some(Referral {
        referral_date: referral_date?,
        custody_reference: text("custody_reference"),
        person: PersonDetails {
            given_name: given_name?,
            family_name: family_name?,
            date_of_birth: date_of_birth?,
            sex: sex?,
            ethnicity_self_defined,
            ethnicity_officer_observed,
            postcode: text("person.postcode"),
            pnc_id: text("person.pnc_id"),
            resides_in_force_area: tri_state(values, "person.resides_in_force_area"),
        },
        offence: Offence {
            category: category?,
            home_office_code: text("offence.home_office_code"),
            description: description?,
            offence_date: offence_date?,
            committed_in_force_area: tri_state(values, "offence.committed_in_force_area"),
            mode_of_trial: mode_of_trial?,
            gravity: gravity_base.map(|base| GravityAssessment {
                base,
                aggravating: values.has("offence.gravity.aggravating", "yes"),
                mitigating: values.has("offence.gravity.mitigating", "yes"),
            }),
            drug_class,
            cultivation_scale,
            supply_context,
            hate_crime: tri_state(values, "offence.hate_crime"),
            domestic_related: tri_state(values, "offence.domestic_related"),
            victim: victim_views.map(|views| Victim {
                views,
                wants_restorative_justice: tri_state(
                    values,
                    "offence.victim.wants_restorative_justice",
                ),
            }),
        },
        interview,
        evidence_sufficient_to_charge: tri_state(values, "evidence_sufficient_to_charge"),
        previous_convictions,
        circumstances,
        risk: risk_band.map(|band| RiskAssessment {
            tool: text("risk.tool").unwrap_or_else(|| "Not named".to_owned()),
            band,
            officer_band,
        }),
        vulnerabilities: if no_vulnerabilities || !vulnerabilities.is_empty() {
            Some(vulnerabilities)
        } else {
            None
        },
        earlier_participation: if !earlier.is_empty() || no_earlier {
            Some(earlier)
        } else {
            None
        },
    })
    .filter(|_| !form.has_problems())
}

fn gravity(g: u8) -> Option<checkpoint_domain::offence::Gravity> {
    checkpoint_domain::offence::Gravity::new(g).ok()
}

/// Most earlier-participation rows a form shows (bad input cannot ask for more).
pub const MAX_EARLIER_ROWS: usize = 12;

/// The names of earlier-participation row `i`: scheme, date, result.
fn earlier_names(i: usize) -> [String; 3] {
    [
        format!("earlier.{i}.scheme"),
        format!("earlier.{i}.date"),
        format!("earlier.{i}.result"),
    ]
}

/// How many earlier-participation rows the posted form had: the hidden `earlier_rows`, or
/// more if a later row was filled; at least one, at most [`MAX_EARLIER_ROWS`].
fn earlier_row_count(values: &Posted) -> usize {
    let said = values.get("earlier_rows").parse::<usize>().unwrap_or(1);
    let used = (0..MAX_EARLIER_ROWS)
        .rev()
        .find(|&i| earlier_names(i).iter().any(|n| !values.get(n).is_empty()))
        .map_or(0, |i| i + 1);
    said.max(used).clamp(1, MAX_EARLIER_ROWS)
}

/// The earlier-participation rows to show: those posted, one more when the user pressed
/// "Add another" (a plain submit button, so it works without JavaScript).
pub fn earlier_rows(values: &Posted) -> Vec<usize> {
    let mut rows = earlier_row_count(values);
    if values.has("add_earlier", "yes") {
        rows = (rows + 1).min(MAX_EARLIER_ROWS);
    }
    (0..rows).collect()
}

/// A referral as the form's fields, to correct it before re-screening (the inverse of
/// [`parse_referral`]).
pub fn referral_values(referral: &Referral) -> Posted {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, value: String| {
        if !value.is_empty() {
            fields.push((name.to_owned(), value));
        }
    };
    let tri = |value: Option<bool>| match value {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => String::new(),
    };
    let opt = |value: Option<String>| value.unwrap_or_default();
    put("referral_date", referral.referral_date.to_string());
    put("custody_reference", opt(referral.custody_reference.clone()));
    let p = &referral.person;
    put("person.given_name", p.given_name.clone());
    put("person.family_name", p.family_name.clone());
    put("person.date_of_birth", p.date_of_birth.to_string());
    put("person.sex", wire(&p.sex));
    put(
        "person.ethnicity_self_defined",
        opt(p.ethnicity_self_defined.map(|e| wire(&e))),
    );
    put(
        "person.ethnicity_officer_observed",
        opt(p.ethnicity_officer_observed.map(|e| wire(&e))),
    );
    put("person.postcode", opt(p.postcode.clone()));
    put("person.pnc_id", opt(p.pnc_id.clone()));
    put("person.resides_in_force_area", tri(p.resides_in_force_area));
    let o = &referral.offence;
    put("offence.category", wire(&o.category));
    put("offence.home_office_code", opt(o.home_office_code.clone()));
    put("offence.description", o.description.clone());
    put("offence.offence_date", o.offence_date.to_string());
    put(
        "offence.committed_in_force_area",
        tri(o.committed_in_force_area),
    );
    put("offence.mode_of_trial", wire(&o.mode_of_trial));
    if let Some(g) = &o.gravity {
        put("offence.gravity.base", g.base.get().to_string());
        if g.aggravating {
            put("offence.gravity.aggravating", "yes".to_owned());
        }
        if g.mitigating {
            put("offence.gravity.mitigating", "yes".to_owned());
        }
    }
    put("offence.drug_class", opt(o.drug_class.map(|d| wire(&d))));
    put(
        "offence.cultivation_scale",
        opt(o.cultivation_scale.map(|c| wire(&c))),
    );
    put(
        "offence.supply_context",
        opt(o.supply_context.map(|c| wire(&c))),
    );
    put("offence.hate_crime", tri(o.hate_crime));
    put("offence.domestic_related", tri(o.domestic_related));
    if let Some(v) = &o.victim {
        put("offence.victim.views", wire(&v.views));
        put(
            "offence.victim.wants_restorative_justice",
            tri(v.wants_restorative_justice),
        );
    }
    put("interview", opt(referral.interview.map(|i| wire(&i))));
    put(
        "evidence_sufficient_to_charge",
        tri(referral.evidence_sufficient_to_charge),
    );
    put(
        "previous_convictions",
        opt(referral.previous_convictions.map(|n| n.to_string())),
    );
    let c = &referral.circumstances;
    for (name, value) in [
        ("detained_for_court", c.detained_for_court),
        (
            "detained_under_mental_health_act",
            c.detained_under_mental_health_act,
        ),
        ("subject_to_court_order", c.subject_to_court_order),
        ("on_bail_for_other_matters", c.on_bail_for_other_matters),
        ("under_statutory_supervision", c.under_statutory_supervision),
        ("co_accused", c.co_accused),
    ] {
        put(&format!("circumstances.{name}"), tri(value));
    }
    if let Some(r) = &referral.risk {
        put("risk.tool", r.tool.clone());
        put("risk.band", wire(&r.band));
        put("risk.officer_band", opt(r.officer_band.map(|b| wire(&b))));
    }
    match &referral.vulnerabilities {
        Some(list) if list.is_empty() => put("vulnerabilities_none", "yes".to_owned()),
        Some(list) => {
            for v in list {
                put("vulnerabilities", wire(v));
            }
        }
        None => {}
    }
    match &referral.earlier_participation {
        Some(list) if list.is_empty() => put("earlier_none", "yes".to_owned()),
        Some(list) => {
            for (i, e) in list.iter().take(MAX_EARLIER_ROWS).enumerate() {
                let [scheme, date, result] = earlier_names(i);
                put(&scheme, e.scheme.clone());
                put(&date, e.date.to_string());
                put(&result, wire(&e.result));
            }
        }
        None => {}
    }
    let rows = referral
        .earlier_participation
        .as_ref()
        .map_or(1, |list| list.len().clamp(1, MAX_EARLIER_ROWS));
    put("earlier_rows", rows.to_string());
    Posted::new(fields)
}

/// The serde name of a unit enum value (`not_known`).
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The form's name for a field the referral use case names.
fn referral_field(field: &str) -> String {
    let field = field.trim_start_matches("referral.");
    if field == "person" {
        return "person_choice".to_owned();
    }
    if let Some(rest) = field.strip_prefix("earlier_participation[")
        && let Some((index, tail)) = rest.split_once(']')
    {
        return format!("earlier.{index}{tail}");
    }
    field.to_owned()
}

/// `POST /referrals`: check the form, look for people already known, then refer.
pub async fn submit_referral(
    State(state): State<AppState>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let mut form = Form::with_values(values.clone());
    if values.has("add_earlier", "yes") {
        // "Add another earlier participation": the same form again with one more row.
        return Ok(referral_page(
            &state,
            &viewer,
            StatusCode::OK,
            form,
            Vec::new(),
        ));
    }
    let scheme_id = values.get("scheme_id").to_owned();
    if scheme_id.is_empty() {
        form.problem("scheme_id", "Choose the scheme");
    }
    let Some(referral) = parse_referral(&values, &mut form) else {
        return Ok(referral_page(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            Vec::new(),
        ));
    };
    if form.has_problems() {
        return Ok(referral_page(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            Vec::new(),
        ));
    }

    let choice = values.get("person_choice");
    let person = match choice {
        "" => {
            // First submission: show people already known before creating anyone.
            let matches = state
                .app
                .find_likely_people(&viewer.actor, &referral.person)
                .await
                .or_page(&viewer)?;
            if !matches.is_empty() {
                let rows = matches.iter().map(MatchRow::of).collect();
                return Ok(referral_page(&state, &viewer, StatusCode::OK, form, rows));
            }
            PersonChoice::New
        }
        "new" => PersonChoice::New,
        id => match id.parse::<Uuid>() {
            Ok(id) => PersonChoice::Existing(id),
            Err(_) => {
                form.problem(
                    "person_choice",
                    "Choose one of the people listed, or a new person",
                );
                return Ok(referral_page(
                    &state,
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    form,
                    Vec::new(),
                ));
            }
        },
    };
    let acknowledged_matches = values
        .all("acknowledged")
        .into_iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let outcome = state
        .app
        .create_referral(
            &viewer.actor,
            NewReferral {
                scheme_id,
                referral: referral.clone(),
                person,
                acknowledged_matches,
            },
        )
        .await;
    match outcome {
        Ok(done) => Ok(see_other(&format!("/cases/{}/decision", done.case.case_id))),
        Err(AppError::Invalid(errors)) => {
            form.add_field_errors(&errors, referral_field);
            // New likely matches since the last look: show them again.
            let rows = if errors.iter().any(|e| e.field == "person") {
                form.values.set("person_choice", "");
                state
                    .app
                    .find_likely_people(&viewer.actor, &referral.person)
                    .await
                    .or_page(&viewer)?
                    .iter()
                    .map(MatchRow::of)
                    .collect()
            } else {
                Vec::new()
            };
            Ok(referral_page(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                rows,
            ))
        }
        Err(e) => Err(e).or_page(&viewer),
    }
}

// ---------------------------------------------------------------------------------------------
// Decision page

#[derive(Debug, Clone)]
pub struct CriterionRow {
    pub text: String,
    pub source: String,
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    pub evidence: String,
}

/// The policy's advice and the dates it set, as the sergeant reads them.
#[derive(Debug, Clone)]
pub struct AdviceView {
    pub policy: String,
    pub policy_hash: String,
    pub referral_date: String,
    pub advised: &'static str,
    pub advised_label: String,
    pub criteria: Vec<CriterionRow>,
    pub not_met: usize,
    pub unknown: usize,
    pub warnings: Vec<String>,
    pub deadline_in_words: String,
    pub prosecution_deadline: Option<String>,
    pub latest_end: Option<String>,
    pub contract_start: String,
    pub contract_end: String,
    pub clamped: bool,
    pub decision: Option<DecisionMade>,
}

#[derive(Debug, Clone)]
pub struct DecisionMade {
    pub decision_id: String,
    pub outcome_label: String,
    pub follows_advice: bool,
    pub override_label: String,
    pub override_reason: String,
    pub decided_by: String,
    pub decided_at: String,
    pub countersignature: Option<String>,
}

fn verdict_label(verdict: checkpoint_domain::policy::Verdict) -> &'static str {
    use checkpoint_domain::policy::Verdict;
    match verdict {
        Verdict::Met => "Met",
        Verdict::NotMet => "Not met",
        Verdict::Unknown => "Unknown – information missing",
        Verdict::NotApplicable => "Does not apply",
    }
}

pub fn advice_view(view: &CaseView) -> Option<AdviceView> {
    use checkpoint_domain::policy::Verdict;
    let d = view.decision.as_ref()?;
    let criteria: Vec<CriterionRow> = d
        .criteria
        .iter()
        .map(|c| CriterionRow {
            text: c.text.clone(),
            source: c.source.clone(),
            verdict: c.verdict.as_str(),
            verdict_label: verdict_label(c.verdict),
            evidence: c.explanation.clone(),
        })
        .collect();
    let count = |v: Verdict| d.criteria.iter().filter(|c| c.verdict == v).count();
    Some(AdviceView {
        policy: format!("{} (version {})", d.policy_name, d.policy_version),
        policy_hash: d.policy_hash.clone(),
        referral_date: long_date(&d.referral_date),
        advised: d.advised_outcome.as_str(),
        advised_label: label_of(choices::SCREENING_OUTCOME, d.advised_outcome.as_str()),
        not_met: count(Verdict::NotMet),
        unknown: count(Verdict::Unknown),
        criteria,
        warnings: d.warnings.clone(),
        deadline_in_words: d.deadline_in_words.clone(),
        prosecution_deadline: d.contract.prosecution_deadline.as_ref().map(long_date),
        latest_end: d.contract.latest_end.as_ref().map(long_date),
        contract_start: long_date(&d.contract.start),
        contract_end: long_date(&d.contract.end),
        clamped: d.contract.clamped,
        decision: d.decision.as_ref().map(|made| DecisionMade {
            decision_id: made.decision_id.to_string(),
            outcome_label: label_of(
                choices::SCREENING_OUTCOME,
                &serde_json::to_value(made.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            follows_advice: made.follows_advice,
            override_label: made.override_label.unwrap_or("").to_owned(),
            override_reason: made.override_reason.clone().unwrap_or_default(),
            decided_by: made.decided_by_name.clone(),
            decided_at: london_time(&made.decided_at),
            countersignature: made.countersignature.as_ref().map(|c| {
                format!(
                    "{} by {} on {}{}",
                    if c.agreed { "Agreed" } else { "Disagreed" },
                    c.countersigned_by_name,
                    london_time(&c.countersigned_at),
                    c.note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                )
            }),
        }),
    })
}

/// Which custody actions this viewer may take on the case now (`CaseView.allowed_actions`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CustodyActions {
    pub screen: bool,
    pub allocate: bool,
    pub offer: bool,
    pub consent: bool,
    pub countersign: bool,
    /// Supply missing facts and evaluate the referral again (referred or needs information).
    pub rescreen: bool,
}

impl CustodyActions {
    pub fn of(view: &CaseView) -> CustodyActions {
        let has = |name: &str| view.allowed_actions.iter().any(|a| a.name == name);
        let undecided = view.decision.as_ref().is_some_and(|d| d.decision.is_none());
        CustodyActions {
            screen: has("record_screening_decision") && undecided,
            allocate: has("allocate"),
            offer: has("make_offer"),
            consent: has("accept_offer") || has("decline_offer"),
            countersign: has("countersign_override"),
            rescreen: has("rescreen"),
        }
    }

    pub fn any(&self) -> bool {
        self.screen
            || self.allocate
            || self.offer
            || self.consent
            || self.countersign
            || self.rescreen
    }
}

#[derive(Template)]
#[template(path = "decision.html")]
struct DecisionPage {
    chrome: Chrome,
    header: HeaderView,
    advice: Option<AdviceView>,
    actions: CustodyActions,
    allocation: Option<String>,
    override_codes: Vec<(&'static str, &'static str)>,
    /// The criteria the policy could not decide for want of information: (criterion, what
    /// was missing).
    missing: Vec<(String, String)>,
    /// The re-screening form starts open (needs information, or it was just posted).
    rescreen_open: bool,
    earlier_rows: Vec<usize>,
    form: Form,
    reload_href: String,
}

async fn decision_response(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    status: StatusCode,
    mut form: Form,
) -> Result<Response, ViewError> {
    let view = state
        .app
        .view_case(&viewer.actor, case_id)
        .await
        .or_page(viewer)?;
    form.values
        .default_value("consent.signed_on", state.app.clock().today().to_string());
    let actions = CustodyActions::of(&view);
    let posted_referral = !form.value("referral_date").is_empty();
    if actions.rescreen && !posted_referral {
        // The referral as the advice saw it, to correct and complete.
        let referral = state
            .app
            .referral_to_rescreen(&viewer.actor, case_id)
            .await
            .or_page(viewer)?;
        let mut fields = form.values.pairs().to_vec();
        fields.extend(referral_values(&referral).pairs().iter().cloned());
        form.values = Posted::new(fields);
    }
    let missing = view
        .decision
        .as_ref()
        .map(|d| {
            d.criteria
                .iter()
                .filter(|c| c.verdict == checkpoint_domain::policy::Verdict::Unknown)
                .map(|c| (c.text.clone(), c.explanation.clone()))
                .collect()
        })
        .unwrap_or_default();
    let page = DecisionPage {
        rescreen_open: posted_referral
            || view.header.state == checkpoint_domain::lifecycle::CaseState::NeedsInformation,
        earlier_rows: earlier_rows(&form.values),
        missing,
        chrome: Chrome::for_viewer(viewer, ""),
        header: HeaderView::of(&view),
        advice: advice_view(&view),
        actions,
        allocation: view
            .trial_allocation
            .as_ref()
            .map(|a| format!("{} arm of trial {}", super::words(&a.arm), a.trial_id)),
        override_codes: OverrideCode::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        form,
        reload_href: format!("/cases/{case_id}/decision"),
    };
    Ok(render(status, &page))
}

/// `GET /cases/{id}/decision`.
pub async fn decision_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(case_id): Path<Uuid>,
) -> Result<Response, ViewError> {
    decision_response(&state, &viewer, case_id, StatusCode::OK, Form::blank()).await
}

/// Runs a custody action; success goes to `next`, a problem re-renders the decision page with
/// the user's entries and the problem (422), a stale version says someone else changed the
/// case (409).
async fn after_action<T>(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    values: Posted,
    prefix: &str,
    result: Result<T, AppError>,
    next: String,
) -> Result<Response, ViewError> {
    let mut form = Form::with_values(values);
    let error = match result {
        Ok(_) => return Ok(see_other(&next)),
        Err(error) => error,
    };
    form.absorb(error, |f| format!("{prefix}.{f}"))
        .or_page(viewer)?;
    let status = if form.conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    decision_response(state, viewer, case_id, status, form).await
}

/// `POST /cases/{id}/screening`: accept the advice, or override it with a code and a reason.
pub async fn record_screening(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let result = match version_of(&values) {
        Err(e) => Err(e),
        Ok(version) => {
            let choice = if values.get("choice") == "accept" {
                Ok(ScreeningChoice::AcceptAdvice)
            } else {
                let mut problems = Vec::new();
                let outcome = parse_enum(values.get("override.outcome"));
                if outcome.is_none() {
                    problems.push(checkpoint_app::FieldError::new(
                        "outcome",
                        "choose the outcome you decide on",
                    ));
                }
                let code = OverrideCode::parse(values.get("override.code"));
                if code.is_none() {
                    problems.push(checkpoint_app::FieldError::new(
                        "code",
                        "choose the reason code for the override",
                    ));
                }
                if values.get("override.reason").is_empty() {
                    problems.push(checkpoint_app::FieldError::new(
                        "reason",
                        "write why you depart from the advice",
                    ));
                }
                match (outcome, code) {
                    (Some(outcome), Some(code)) if problems.is_empty() => {
                        Ok(ScreeningChoice::Override {
                            outcome,
                            code,
                            reason: values.get("override.reason").to_owned(),
                        })
                    }
                    _ => Err(AppError::Invalid(problems)),
                }
            };
            match choice {
                Ok(choice) => {
                    state
                        .app
                        .record_screening_decision(&viewer.actor, case_id, version, choice)
                        .await
                }
                Err(e) => Err(e),
            }
        }
    };
    let next = format!("/cases/{case_id}/decision");
    after_action(&state, &viewer, case_id, values, "override", result, next).await
}

/// `POST /cases/{id}/allocation`: randomise (trial schemes).
pub async fn allocate(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let result = match version_of(&values) {
        Ok(version) => state
            .app
            .allocate(&viewer.actor, case_id, version)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let next = format!("/cases/{case_id}/decision");
    after_action(&state, &viewer, case_id, values, "allocation", result, next).await
}

/// `POST /cases/{id}/offer`.
pub async fn make_offer(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let result = match version_of(&values) {
        Ok(version) => state.app.make_offer(&viewer.actor, case_id, version).await,
        Err(e) => Err(e),
    };
    let next = format!("/cases/{case_id}/decision");
    after_action(&state, &viewer, case_id, values, "offer", result, next).await
}

/// `POST /cases/{id}/consent`: the person's answer to the offer.
pub async fn record_consent(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let consent = match values.get("consent.answer") {
        "accepted" => {
            let mut problems = Vec::new();
            let admission: Option<Admission> = parse_enum(values.get("consent.admission"));
            if admission.is_none() {
                problems.push(checkpoint_app::FieldError::new(
                    "admission",
                    "choose the admission the person made",
                ));
            }
            let signed_on = parse_date(values.get("consent.signed_on"));
            if signed_on.is_none() {
                problems.push(checkpoint_app::FieldError::new(
                    "signed_on",
                    "enter the date the person signed, for example 2026-03-04",
                ));
            }
            match (admission, signed_on) {
                (Some(admission), Some(signed_on)) => Ok(Consent::Accepted {
                    admission,
                    signed_on,
                }),
                _ => Err(AppError::Invalid(problems)),
            }
        }
        "declined" => Ok(Consent::Declined {
            reason: values.get("consent.reason").to_owned(),
        }),
        _ => Err(AppError::invalid(
            "answer",
            "choose whether the person accepted or declined",
        )),
    };
    let result = match (version_of(&values), consent) {
        (Ok(version), Ok(consent)) => {
            state
                .app
                .record_consent(&viewer.actor, case_id, version, consent)
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let next = format!("/cases/{case_id}");
    after_action(&state, &viewer, case_id, values, "consent", result, next).await
}

/// `POST /cases/{id}/countersignature`: a supervisor agrees or disagrees with an override.
pub async fn countersign(
    State(state): State<AppState>,
    Path(case_id): Path<Uuid>,
    post: FormPost,
) -> Result<Response, ViewError> {
    let FormPost {
        viewer,
        form: values,
        ..
    } = post;
    let result = match values.get("countersign.decision_id").parse::<Uuid>() {
        Ok(decision_id) => {
            let note = Some(values.get("countersign.note")).filter(|n| !n.is_empty());
            state
                .app
                .countersign_override(
                    &viewer.actor,
                    decision_id,
                    values.get("countersign.agree") == "yes",
                    note,
                )
                .await
                .map(|_| ())
        }
        Err(_) => Err(AppError::invalid("decision_id", "no such decision")),
    };
    let next = format!("/cases/{case_id}/decision");
    after_action(
        &state,
        &viewer,
        case_id,
        values,
        "countersign",
        result,
        next,
    )
    .await
}

/// `POST /cases/{id}/rescreen` (through the case actions): the referral corrected with the
/// missing facts, evaluated again; the decision page then shows the fresh advice to decide
/// over. "Add another earlier participation" re-renders the form with one more row.
pub async fn rescreen(
    state: &AppState,
    viewer: &Viewer,
    case_id: Uuid,
    values: Posted,
) -> Result<Response, ViewError> {
    let mut form = Form::with_values(values.clone());
    if values.has("add_earlier", "yes") {
        return decision_response(state, viewer, case_id, StatusCode::OK, form).await;
    }
    let version = version_of(&values);
    let referral = parse_referral(&values, &mut form);
    let result = match (version, referral) {
        (Ok(version), Some(referral)) => {
            state
                .app
                .rescreen(&viewer.actor, case_id, version, referral)
                .await
        }
        (Err(e), _) => Err(e),
        (Ok(_), None) => {
            return decision_response(
                state,
                viewer,
                case_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            )
            .await;
        }
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{case_id}/decision"))),
        Err(error) => {
            form.absorb(error, referral_field).or_page(viewer)?;
            let status = if form.conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            decision_response(state, viewer, case_id, status, form).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Referral {
        let text = match name {
            "shop-theft" => include_str!("../../../../schemas/examples/referral-shop-theft.json"),
            "cannabis" => {
                include_str!("../../../../schemas/examples/referral-cannabis-grower.json")
            }
            _ => include_str!("../../../../schemas/examples/referral-common-assault-unknowns.json"),
        };
        Referral::from_json(text).expect("example referral")
    }

    /// What the form would read back from a referral's fields.
    fn round_trip(referral: &Referral) -> Referral {
        let values = referral_values(referral);
        let mut form = Form::with_values(values.clone());
        let parsed = parse_referral(&values, &mut form);
        assert!(!form.has_problems(), "{:?}", form.problems);
        parsed.expect("parsed")
    }

    #[test]
    fn a_referral_survives_the_form_both_ways() {
        for name in ["shop-theft", "cannabis", "unknowns"] {
            let referral = example(name);
            assert_eq!(round_trip(&referral), referral, "{name}");
        }
        let mut several = example("cannabis");
        several.offence.supply_context = Some(checkpoint_domain::offence::SupplyContext::Coerced);
        several.earlier_participation = Some(vec![
            EarlierParticipation {
                scheme: "west-midlands-divert".into(),
                date: jiff::civil::date(2019, 5, 1),
                result: checkpoint_domain::referral::ParticipationResult::Completed,
            },
            EarlierParticipation {
                scheme: "avon-somerset-dep".into(),
                date: jiff::civil::date(2022, 11, 20),
                result: checkpoint_domain::referral::ParticipationResult::NotEngaged,
            },
        ]);
        assert_eq!(round_trip(&several), several);
        assert_eq!(earlier_rows(&referral_values(&several)), [0, 1]);
    }

    #[test]
    fn earlier_rows_grow_on_request_within_bounds() {
        let posted = |pairs: &[(&str, &str)]| {
            Posted::new(
                pairs
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        assert_eq!(earlier_rows(&Posted::default()), [0]);
        assert_eq!(
            earlier_rows(&posted(&[("earlier_rows", "2"), ("add_earlier", "yes")])),
            [0, 1, 2]
        );
        // A filled row beyond the count still shows; a huge count is capped.
        assert_eq!(earlier_rows(&posted(&[("earlier.3.scheme", "x")])).len(), 4);
        assert_eq!(
            earlier_rows(&posted(&[("earlier_rows", "999999999")])).len(),
            MAX_EARLIER_ROWS
        );
    }

    #[test]
    fn use_case_field_names_become_form_names() {
        assert_eq!(
            referral_field("referral.earlier_participation[1].date"),
            "earlier.1.date"
        );
        assert_eq!(
            referral_field("referral.person.given_name"),
            "person.given_name"
        );
        assert_eq!(referral_field("person"), "person_choice");
    }
}
