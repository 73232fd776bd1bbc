//! Flat rows for the CSV files and the JSON line for referrals.jsonl. Pure: the caller writes
//! them wherever it likes (the CLI uses the `csv` crate).
//!
//! people.csv and arrests.csv share the linkage benchmark's column names (`id`, `person_id`
//! as the truth, `given_name`, `surname`, `dob` as dd/mm/yyyy, `postcode`) so
//! `checkpoint link --settings crates/synth/data/link-settings.toml --truth person_id` scores
//! them directly; `pnc_id` takes the place of the benchmark's `ni_number`.

use crate::arrests::Arrest;
use crate::generator::{Config, GeneratedCase};
use crate::referrals::PlannedScreening;
use crate::time::{months_between, plus_months, uk_format};
use crate::trajectory::{Attendance, MissedReason};
use serde::Serialize;

/// The snake_case name serde gives a unit enum value.
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn yes_no(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

pub const PEOPLE_HEADER: [&str; 14] = [
    "id",
    "person_id",
    "given_name",
    "surname",
    "dob",
    "sex",
    "ethnicity_self_defined",
    "ethnic_group_self_defined",
    "ethnicity_officer_observed",
    "postcode",
    "resides_in_force_area",
    "pnc_id",
    "twin_of",
    "namesake_of",
];

/// The person of a case that introduces them (see [`crate::SynthCase::introduces_person`]).
pub fn person_row(generated: &GeneratedCase) -> Vec<String> {
    let p = &generated.case.person;
    vec![
        p.id.clone(),
        p.id.clone(),
        p.given_name.clone(),
        p.family_name.clone(),
        uk_format(p.date_of_birth),
        serde_name(&p.sex),
        p.ethnicity.code().to_owned(),
        p.ethnicity
            .group()
            .map(|g| serde_name(&g))
            .unwrap_or_else(|| "not_stated".to_owned()),
        p.officer_observed
            .map(|g| serde_name(&g))
            .unwrap_or_default(),
        p.postcode.clone(),
        yes_no(p.resides_in_force_area),
        p.pnc_id.clone(),
        p.twin_of.clone().unwrap_or_default(),
        p.namesake_of.clone().unwrap_or_default(),
    ]
}

/// One line of referrals.jsonl: the referral in the `schemas/referral.schema.json` format.
pub fn referral_json(generated: &GeneratedCase) -> String {
    serde_json::to_string(&generated.case.referral).unwrap_or_default()
}

pub const CASES_HEADER: [&str; 30] = [
    "case_reference",
    "person_id",
    "scheme",
    "referral_date",
    "custody_reference",
    "offence_category",
    "home_office_code",
    "mode_of_trial",
    "planned_screening",
    "ineligible_reason",
    "in_trial",
    "trial_arm",
    "ending",
    "state_as_of",
    "needs",
    "conditions",
    "contract_start",
    "contract_end",
    "appointments",
    "attended",
    "late",
    "missed",
    "missed_unacceptable",
    "index_date",
    "followed_up_24m",
    "reoffended_in_contract",
    "reoffended_12m",
    "reoffended_24m",
    "reoffences_24m",
    "first_reoffence_date",
];

/// The trajectory summary of a case, as the world stood on `config.as_of`.
pub fn case_row(generated: &GeneratedCase, config: &Config) -> Vec<String> {
    let c = &generated.case;
    let t = &generated.trajectory;
    let r = &c.referral;
    let ineligible_reason = match c.planned {
        PlannedScreening::Ineligible(reason) => reason.as_str(),
        _ => "",
    };
    let arm = c
        .planned_branches()
        .arm
        .map(|a| a.as_str())
        .unwrap_or_default();
    let needs = t
        .needs
        .iter()
        .map(|n| format!("{}:{}", n.pathway.as_str(), n.severity.as_str()))
        .collect::<Vec<_>>()
        .join(";");
    let conditions = t
        .conditions
        .iter()
        .map(|k| match k.hours {
            Some(h) => format!("{}:{h}", k.id),
            None => k.id.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";");
    let (mut total, mut attended, mut late, mut missed, mut unacceptable) = (0, 0, 0, 0, 0);
    for (attendance, reason) in t.appointments() {
        total += 1;
        match attendance {
            Attendance::Attended => attended += 1,
            Attendance::Late => late += 1,
            Attendance::DidNotAttend => {
                missed += 1;
                if reason == Some(MissedReason::Unacceptable) {
                    unacceptable += 1;
                }
            }
        }
    }
    // Outcomes are only known once they have happened: a reoffence after `as_of` is not
    // counted, and the 24-month measure is only complete for index dates 24 months back.
    let known = |months: f64| {
        t.reoffences
            .iter()
            .filter(|x| x.offence_date <= config.as_of)
            .filter(|x| months_between(t.index_date, x.offence_date) <= months)
            .count()
    };
    let followed_up_24m = plus_months(t.index_date, 24.0) <= config.as_of;
    let first_reoffence = t
        .reoffences
        .first()
        .filter(|x| x.offence_date <= config.as_of)
        .map(|x| x.offence_date.to_string())
        .unwrap_or_default();
    let in_contract = t.reoffended_in_contract()
        && t.reoffences
            .first()
            .is_some_and(|x| x.offence_date <= config.as_of);
    vec![
        c.reference.clone(),
        c.person.id.clone(),
        c.scheme.policy_id().to_owned(),
        c.referral_date().to_string(),
        r.custody_reference.clone().unwrap_or_default(),
        r.offence.category.as_str().to_owned(),
        r.offence.home_office_code.clone().unwrap_or_default(),
        r.offence.mode_of_trial.as_str().to_owned(),
        c.planned.as_str().to_owned(),
        ineligible_reason.to_owned(),
        yes_no(c.in_trial),
        arm.to_owned(),
        t.ending.as_str().to_owned(),
        t.state_on(config.as_of).as_str().to_owned(),
        needs,
        conditions,
        t.contract
            .as_ref()
            .map(|k| k.start.to_string())
            .unwrap_or_default(),
        t.contract
            .as_ref()
            .map(|k| k.end.to_string())
            .unwrap_or_default(),
        total.to_string(),
        attended.to_string(),
        late.to_string(),
        missed.to_string(),
        unacceptable.to_string(),
        t.index_date.to_string(),
        yes_no(followed_up_24m),
        yes_no(in_contract),
        yes_no(known(12.0) > 0),
        yes_no(known(24.0) > 0),
        known(24.0).to_string(),
        first_reoffence,
    ]
}

pub const ARRESTS_HEADER: [&str; 15] = [
    "id",
    "person_id",
    "given_name",
    "surname",
    "dob",
    "postcode",
    "pnc_id",
    "sex",
    "arrest_date",
    "offence_date",
    "offence_category",
    "home_office_code",
    "proven",
    "source",
    "noise",
];

/// One row of the arrest feed; `person_id` is the truth, for scoring linkage.
pub fn arrest_row(arrest: &Arrest) -> Vec<String> {
    let noise = arrest
        .noise()
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    vec![
        arrest.id.clone(),
        arrest.true_person_id.clone(),
        arrest.identity.given_name.clone(),
        arrest.identity.family_name.clone(),
        arrest.identity.date_of_birth.clone(),
        arrest.identity.postcode.clone(),
        arrest.identity.pnc_id.clone(),
        serde_name(&arrest.sex),
        arrest.arrest_date.to_string(),
        arrest.offence_date.to_string(),
        arrest.offence.category.as_str().to_owned(),
        arrest.offence.home_office_code.to_owned(),
        yes_no(arrest.proven),
        arrest.source.as_str().to_owned(),
        noise,
    ]
}
