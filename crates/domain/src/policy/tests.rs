//! Tests across the policy modules: the shipped policies and their golden cases, every validation
//! error with its position, every criterion kind's verdicts, and the loader's robustness.

use super::*;
use crate::offence::OffenceCategory;
use crate::referral::Referral;
use load::line_column;
use serde_json::{Value, json};

const EXAMPLE_REFERRAL: &str =
    include_str!("../../../../schemas/examples/referral-shop-theft.json");

/// Every shipped policy with its golden cases. Adding a policy file means adding it here.
const SHIPPED: [(&str, &str, &str); 4] = [
    (
        "durham-checkpoint-2015.toml",
        include_str!("../../../../policies/durham-checkpoint-2015.toml"),
        include_str!("../../../../policies/durham-checkpoint-2015.golden.json"),
    ),
    (
        "durham-checkpoint-2017.toml",
        include_str!("../../../../policies/durham-checkpoint-2017.toml"),
        include_str!("../../../../policies/durham-checkpoint-2017.golden.json"),
    ),
    (
        "west-midlands-divert.toml",
        include_str!("../../../../policies/west-midlands-divert.toml"),
        include_str!("../../../../policies/west-midlands-divert.golden.json"),
    ),
    (
        "avon-somerset-dep.toml",
        include_str!("../../../../policies/avon-somerset-dep.toml"),
        include_str!("../../../../policies/avon-somerset-dep.golden.json"),
    ),
];

const MINIMAL: &str = r#"id = "test-scheme"
version = 1
name = "Test scheme"
force = "Test Constabulary"
effective_from = 2020-01-01
legal_mode = "informal_deferred_prosecution"
follow_up_months = [12, 24]

[outcomes]
on_completion = 22
on_failure = 1
time_limit_expired = 17

[contract]
length = { months = 4 }
margin_days = 14
minimum_contract_days = 28

[retention]
review_after_months = 72

[conditions]
max_conditions = 3

[[conditions.condition]]
id = "no_reoffending"
kind = "no_reoffending"
text = "Do not reoffend."
mandatory = true

[[conditions.condition]]
id = "community_hours"
kind = "unpaid_work"
text = "Unpaid work."
min_hours = 18
max_hours = 36
"#;

fn criterion(id: &str, kind: &str, parameters: &str) -> String {
    format!(
        "\n[[criteria]]\nid = \"{id}\"\nkind = \"{kind}\"\ntext = \"Test.\"\nsource = \"Test.\"\n{parameters}\n"
    )
}

fn policy_with(criteria: &str) -> Policy {
    let source = format!("{MINIMAL}{criteria}");
    Policy::from_toml(&source, "test.toml").unwrap_or_else(|e| panic!("{e}\n---\n{source}"))
}

fn errors_of(source: &str) -> PolicyErrors {
    match Policy::from_toml(source, "test.toml") {
        Ok(_) => panic!("expected errors for:\n{source}"),
        Err(e) => e,
    }
}

/// The 1-based position of the text right after the last occurrence of `needle`.
fn position_after(source: &str, needle: &str) -> (usize, usize) {
    let offset = source
        .rfind(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in source"));
    line_column(source, offset + needle.len())
}

/// The 1-based position of the first occurrence of `needle`.
fn position_of(source: &str, needle: &str) -> (usize, usize) {
    let offset = source
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in source"));
    line_column(source, offset)
}

fn assert_error_at(errors: &PolicyErrors, position: (usize, usize), fragment: &str) {
    assert!(
        errors
            .iter()
            .any(|e| (e.line, e.column) == position && e.message.contains(fragment)),
        "no error containing `{fragment}` at {position:?}; got:\n{errors}"
    );
}

fn referral(patch: Value) -> Referral {
    let mut document: Value = serde_json::from_str(EXAMPLE_REFERRAL).unwrap();
    merge_patch(&mut document, &patch);
    Referral::from_value(document).unwrap_or_else(|e| panic!("{e}"))
}

/// The verdict of a policy's only criterion on the example referral changed by `patch`.
fn verdict(criterion_toml: &str, patch: Value) -> Verdict {
    let policy = policy_with(criterion_toml);
    policy
        .evaluate(&referral(patch))
        .criteria()
        .next()
        .unwrap()
        .verdict
}

// ---------------------------------------------------------------------------------------------
// Shipped policies

#[test]
fn every_shipped_policy_loads_and_passes_its_golden_cases() {
    for (name, source, golden_source) in SHIPPED {
        let policy = Policy::from_toml(source, name).unwrap_or_else(|e| panic!("{e}"));
        let report = golden::run(&policy, golden_source, name).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.cases.len() >= 8,
            "{name}: only {} golden cases",
            report.cases.len()
        );
        assert!(report.all_passed(), "{name}:\n{report}");
    }
}

#[test]
fn golden_cases_cover_met_not_met_and_unknown_for_every_criterion_that_can_be_unknown() {
    for (name, source, golden_source) in SHIPPED {
        let policy = Policy::from_toml(source, name).unwrap();
        let golden: Value = serde_json::from_str(golden_source).unwrap();
        let mut seen = std::collections::HashSet::new();
        for case in golden["cases"].as_array().unwrap() {
            let mut document = golden["base"].clone();
            merge_patch(&mut document, case.get("patch").unwrap_or(&json!({})));
            let decision = policy.evaluate(&Referral::from_value(document).unwrap());
            for c in decision.criteria() {
                seen.insert((c.criterion.id.clone(), c.verdict));
            }
        }
        let mut missing = Vec::new();
        for c in policy.criteria() {
            for v in [Verdict::Met, Verdict::NotMet] {
                if !seen.contains(&(c.id.clone(), v)) {
                    missing.push(format!("{} {v}", c.id));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "{name}: golden cases never reach {missing:?}"
        );
        assert!(
            seen.iter().any(|(_, v)| *v == Verdict::Unknown),
            "{name}: no unknown path"
        );
    }
}

#[test]
fn shipped_policies_expose_their_settings() {
    let durham = Policy::from_toml(SHIPPED[0].1, SHIPPED[0].0).unwrap();
    assert_eq!(durham.id(), "durham-checkpoint");
    assert_eq!(durham.version(), 1);
    assert_eq!(durham.contract_length(), ContractLength::Months(4));
    assert_eq!(durham.deadline_rule().margin_days, 14);
    assert_eq!(durham.catalogue().max_conditions, 5);
    assert_eq!(
        durham.outcomes().time_limit_expired,
        OutcomeCode::PROSECUTION_TIME_LIMIT_EXPIRED
    );
    assert_eq!(durham.follow_up_months(), &[12, 24]);
    assert_eq!(durham.suppression_threshold(), 10);
    assert!(!durham.trial().enabled);
    assert!(durham.in_force_on(date(2017, 11, 30)));
    assert!(!durham.in_force_on(date(2017, 12, 1)));
    let divert = Policy::from_toml(SHIPPED[2].1, SHIPPED[2].0).unwrap();
    assert_eq!(
        divert.outcomes().on_completion,
        OutcomeCode::COMMUNITY_RESOLUTION
    );
    assert_eq!(divert.legal_mode(), LegalMode::CommunityResolution);
    assert_eq!(divert.effective_to(), None);
}

#[test]
fn content_hash_is_the_sha256_of_the_exact_bytes() {
    let (name, source, _) = SHIPPED[1];
    let policy = Policy::from_toml(source, name).unwrap();
    use sha2::Digest;
    let expected = format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(source.as_bytes()))
    );
    assert_eq!(policy.content_hash(), expected);
    let with_extra_newline = format!("{source}\n");
    assert_ne!(
        Policy::from_toml(&with_extra_newline, name)
            .unwrap()
            .content_hash(),
        expected
    );
}

// ---------------------------------------------------------------------------------------------
// Decisions

#[test]
fn decision_lists_every_criterion_even_after_failures() {
    let (name, source, _) = SHIPPED[1];
    let policy = Policy::from_toml(source, name).unwrap();
    let decision = policy.evaluate(&referral(
        json!({ "interview": "denied", "person": { "resides_in_force_area": null } }),
    ));
    assert_eq!(decision.criteria().len(), policy.criteria().len());
    assert_eq!(decision.outcome(), Eligibility::Ineligible);
    assert_eq!(
        decision.verdict("admitted_or_no_reply"),
        Some(Verdict::NotMet)
    );
    assert_eq!(
        decision.verdict("lives_in_force_area"),
        Some(Verdict::Unknown)
    );
    assert_eq!(decision.policy_id(), "durham-checkpoint");
    assert_eq!(decision.content_hash(), policy.content_hash());
}

#[test]
fn decision_round_trips_through_json_and_explains_itself() {
    let (name, source, _) = SHIPPED[1];
    let policy = Policy::from_toml(source, name).unwrap();
    let decision = policy.evaluate(&referral(json!({
        "referral_date": "2026-05-20",
        "offence": { "category": "common_assault", "mode_of_trial": "summary_only" }
    })));
    let json = serde_json::to_value(&decision).unwrap();
    assert_eq!(json["policy"]["id"], "durham-checkpoint");
    assert_eq!(json["policy"]["version"], 2);
    assert!(
        json["policy"]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(json["outcome"], "eligible");
    assert!(
        json["deadline"]
            .as_str()
            .unwrap()
            .contains("2 September 2026"),
        "{}",
        json["deadline"]
    );
    assert_eq!(json["contract"]["end"], "2026-08-19");
    assert_eq!(json["warnings"][0]["warning"], "contract_shortened");
    let time = json["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "time_to_prosecute")
        .unwrap();
    assert!(
        time["explanation"]
            .as_str()
            .unwrap()
            .contains("must start by 2 September 2026")
    );
    assert!(time["source"].as_str().unwrap().contains("s.127"));

    let back: Decision = serde_json::from_value(json).unwrap();
    assert_eq!(back, decision);
    let text = back.render_text();
    assert!(
        text.contains("ELIGIBLE") && text.contains("time_to_prosecute"),
        "{text}"
    );
}

#[test]
fn decision_warns_when_the_policy_or_outcome_code_was_not_in_force() {
    let (name, source, _) = SHIPPED[0];
    let durham_2015 = Policy::from_toml(source, name).unwrap();
    let decision = durham_2015.evaluate(&referral(json!({})));
    assert!(
        decision
            .warnings()
            .contains(&Warning::PolicyNoLongerInForce {
                effective_to: date(2017, 11, 30)
            })
    );

    let (name, source, _) = SHIPPED[1];
    let durham_2017 = Policy::from_toml(source, name).unwrap();
    let early = durham_2017.evaluate(&referral(
        json!({ "referral_date": "2018-03-04", "offence": { "offence_date": "2018-03-01" } }),
    ));
    assert!(
        early
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::OutcomeCodeNotYetIntroduced { .. }))
    );
    assert!(
        early
            .render_text()
            .contains("only introduced on 1 April 2019")
    );
    let early_2015 = durham_2015.evaluate(&referral(
        json!({ "referral_date": "2015-03-04", "offence": { "offence_date": "2015-03-01" } }),
    ));
    assert!(
        early_2015
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::PolicyNotYetInForce { .. }))
    );
}

// ---------------------------------------------------------------------------------------------
// Every criterion kind

#[test]
fn age_limits() {
    let min = criterion("c", "min_age", "years = 18");
    assert_eq!(verdict(&min, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&min, json!({ "person": { "date_of_birth": "2010-01-01" } })),
        Verdict::NotMet
    );
    let max = criterion("c", "max_age", "years = 30");
    assert_eq!(verdict(&max, json!({})), Verdict::NotMet, "31-year-old");
    assert_eq!(
        verdict(&max, json!({ "person": { "date_of_birth": "1996-03-04" } })),
        Verdict::Met,
        "exactly 30"
    );
}

#[test]
fn residence_and_offence_location() {
    let lives = criterion("c", "resides_in_force_area", "");
    assert_eq!(verdict(&lives, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &lives,
            json!({ "person": { "resides_in_force_area": false } })
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &lives,
            json!({ "person": { "resides_in_force_area": null } })
        ),
        Verdict::Unknown
    );
    let place = criterion("c", "offence_in_force_area", "");
    assert_eq!(verdict(&place, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &place,
            json!({ "offence": { "committed_in_force_area": false } })
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &place,
            json!({ "offence": { "committed_in_force_area": null } })
        ),
        Verdict::Unknown
    );
}

#[test]
fn offence_age_in_months_and_days() {
    let months = criterion("c", "max_offence_age", "months = 3");
    assert_eq!(verdict(&months, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &months,
            json!({ "offence": { "offence_date": "2025-12-04" } })
        ),
        Verdict::NotMet,
        "exactly 3 months"
    );
    assert_eq!(
        verdict(
            &months,
            json!({ "offence": { "offence_date": "2025-12-05" } })
        ),
        Verdict::Met
    );
    // Offence 2 March, referral 4 March: two days old.
    assert_eq!(
        verdict(&criterion("c", "max_offence_age", "days = 2"), json!({})),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&criterion("c", "max_offence_age", "days = 3"), json!({})),
        Verdict::Met
    );
}

#[test]
fn offence_category_include_and_exclude_lists() {
    assert_eq!(
        verdict(
            &criterion("c", "offence_category", "include = [\"theft\"]"),
            json!({})
        ),
        Verdict::Met
    );
    assert_eq!(
        verdict(
            &criterion("c", "offence_category", "include = [\"fraud\"]"),
            json!({})
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &criterion("c", "offence_category", "exclude = [\"theft\"]"),
            json!({})
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &criterion("c", "offence_category", "exclude = [\"sexual\"]"),
            json!({})
        ),
        Verdict::Met
    );
}

#[test]
fn mode_of_trial_and_interview() {
    let mode = criterion("c", "mode_of_trial", "allowed = [\"either_way\"]");
    assert_eq!(verdict(&mode, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &mode,
            json!({ "offence": { "mode_of_trial": "summary_only" } })
        ),
        Verdict::NotMet
    );
    let interview = criterion(
        "c",
        "interview_outcome",
        "allowed = [\"admitted\", \"no_reply\"]",
    );
    assert_eq!(verdict(&interview, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&interview, json!({ "interview": "denied" })),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&interview, json!({ "interview": null })),
        Verdict::Unknown
    );
}

#[test]
fn evidence_and_previous_convictions() {
    let evidence = criterion("c", "evidence_sufficient", "");
    assert_eq!(verdict(&evidence, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&evidence, json!({ "evidence_sufficient_to_charge": false })),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&evidence, json!({ "evidence_sufficient_to_charge": null })),
        Verdict::Unknown
    );
    let previous = criterion("c", "previous_convictions", "fewer_than = 2");
    assert_eq!(verdict(&previous, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&previous, json!({ "previous_convictions": 2 })),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&previous, json!({ "previous_convictions": null })),
        Verdict::Unknown
    );
}

#[test]
fn excluded_circumstances_name_what_was_found() {
    let c = criterion(
        "c",
        "excluded_circumstances",
        "circumstances = [\"co_accused\", \"on_bail_for_other_matters\"]",
    );
    assert_eq!(verdict(&c, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &c,
            json!({ "circumstances": { "on_bail_for_other_matters": null } })
        ),
        Verdict::Unknown
    );
    let both =
        json!({ "circumstances": { "co_accused": true, "on_bail_for_other_matters": null } });
    assert_eq!(verdict(&c, both.clone()), Verdict::NotMet);
    let decision = policy_with(&c).evaluate(&referral(both));
    let evidence = decision.criteria().next().unwrap().evidence.describe();
    assert_eq!(
        evidence,
        "excluded: co-accused; also not recorded: on bail for other matters"
    );
}

#[test]
fn offence_flags_must_be_false() {
    let flags = criterion(
        "c",
        "offence_flags",
        "flags = [\"hate_crime\", \"domestic_related\"]",
    );
    assert_eq!(verdict(&flags, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&flags, json!({ "offence": { "hate_crime": true } })),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&flags, json!({ "offence": { "domestic_related": null } })),
        Verdict::Unknown
    );
}

#[test]
fn risk_band_and_victim_views() {
    let band = criterion("c", "risk_band", "allowed = [\"moderate\"]");
    assert_eq!(verdict(&band, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&band, json!({ "risk": { "band": "high" } })),
        Verdict::NotMet
    );
    assert_eq!(verdict(&band, json!({ "risk": null })), Verdict::Unknown);
    let views = criterion("c", "victim_views", "excluded = [\"opposes\"]");
    assert_eq!(verdict(&views, json!({})), Verdict::Met);
    assert_eq!(
        verdict(
            &views,
            json!({ "offence": { "victim": { "views": "opposes" } } })
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &views,
            json!({ "offence": { "victim": { "views": "not_yet_sought" } } })
        ),
        Verdict::Unknown
    );
    assert_eq!(
        verdict(&views, json!({ "offence": { "victim": null } })),
        Verdict::Unknown
    );
}

#[test]
fn earlier_participation_by_result_scheme_and_recency() {
    let c = criterion(
        "c",
        "earlier_participation",
        "results = [\"not_engaged\"]\nschemes = [\"x\"]\nwithin_years = 2",
    );
    let history = |scheme: &str, date: &str, result: &str| json!({ "earlier_participation": [{ "scheme": scheme, "date": date, "result": result }] });
    assert_eq!(verdict(&c, json!({})), Verdict::Met);
    assert_eq!(
        verdict(&c, history("x", "2025-01-01", "not_engaged")),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&c, history("x", "2024-03-04", "not_engaged")),
        Verdict::NotMet,
        "exactly two years"
    );
    assert_eq!(
        verdict(&c, history("x", "2024-03-03", "not_engaged")),
        Verdict::Met,
        "older than two years"
    );
    assert_eq!(
        verdict(&c, history("y", "2025-01-01", "not_engaged")),
        Verdict::Met,
        "another scheme"
    );
    assert_eq!(
        verdict(&c, history("x", "2025-01-01", "completed")),
        Verdict::Met,
        "another result"
    );
    assert_eq!(
        verdict(&c, json!({ "earlier_participation": null })),
        Verdict::Unknown
    );
}

#[test]
fn gravity_uses_the_final_score() {
    let c = criterion("c", "gravity", "max_final = 1");
    assert_eq!(
        verdict(&c, json!({})),
        Verdict::Met,
        "base 2 mitigated to 1"
    );
    assert_eq!(
        verdict(
            &c,
            json!({ "offence": { "gravity": { "mitigating": false } } })
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(&c, json!({ "offence": { "gravity": null } })),
        Verdict::Unknown
    );
}

#[test]
fn drug_offence_details() {
    let supply = criterion(
        "c",
        "supply_context",
        "allowed = [\"vulnerable\", \"coerced\"]",
    );
    assert_eq!(
        verdict(
            &supply,
            json!({ "offence": { "supply_context": "coerced" } })
        ),
        Verdict::Met
    );
    assert_eq!(
        verdict(
            &supply,
            json!({ "offence": { "supply_context": "organised" } })
        ),
        Verdict::NotMet
    );
    assert_eq!(verdict(&supply, json!({})), Verdict::Unknown);
    let scale = criterion("c", "cultivation_scale", "allowed = [\"small\"]");
    assert_eq!(
        verdict(
            &scale,
            json!({ "offence": { "cultivation_scale": "small" } })
        ),
        Verdict::Met
    );
    assert_eq!(
        verdict(
            &scale,
            json!({ "offence": { "cultivation_scale": "commercial" } })
        ),
        Verdict::NotMet
    );
    assert_eq!(verdict(&scale, json!({})), Verdict::Unknown);
    let class = criterion("c", "drug_class", "allowed = [\"B\", \"C\"]");
    assert_eq!(
        verdict(&class, json!({ "offence": { "drug_class": "B" } })),
        Verdict::Met
    );
    assert_eq!(
        verdict(&class, json!({ "offence": { "drug_class": "A" } })),
        Verdict::NotMet
    );
    assert_eq!(verdict(&class, json!({})), Verdict::Unknown);
}

#[test]
fn applies_to_gives_not_applicable_outside_the_list_and_never_blocks() {
    let supply = criterion(
        "c",
        "supply_context",
        "allowed = [\"vulnerable\"]\napplies_to = [\"drug_supply\"]",
    );
    let policy = policy_with(&supply);
    let theft = policy.evaluate(&referral(json!({})));
    assert_eq!(
        theft.criteria().next().unwrap().verdict,
        Verdict::NotApplicable
    );
    assert_eq!(theft.outcome(), Eligibility::Eligible);
    let dealing =
        json!({ "offence": { "category": "drug_supply", "supply_context": "commercial" } });
    assert_eq!(
        policy.evaluate(&referral(dealing)).outcome(),
        Eligibility::Ineligible
    );
}

#[test]
fn prosecution_time_available_explains_the_deadline() {
    let c = criterion("c", "prosecution_time_available", "");
    assert_eq!(verdict(&c, json!({})), Verdict::Met, "either-way: no limit");
    // Offence 1 Oct 2025, summary only: deadline 1 Apr 2026, contract must end by 18 Mar 2026,
    // only 14 days after the 4 March referral (minimum 28).
    let late =
        json!({ "offence": { "offence_date": "2025-10-01", "mode_of_trial": "summary_only" } });
    assert_eq!(verdict(&c, late.clone()), Verdict::NotMet);
    let decision = policy_with(&c).evaluate(&referral(late));
    let evidence = decision.criteria().next().unwrap().evidence.describe();
    assert!(
        evidence.contains("1 April 2026") && evidence.contains("18 March 2026"),
        "{evidence}"
    );
    assert!(
        decision.deadline_in_words().contains("Too little time"),
        "{}",
        decision.deadline_in_words()
    );
}

#[test]
fn decision_table_decides_and_reasons_about_missing_inputs() {
    let table = criterion(
        "c",
        "decision_table",
        r#"inputs = ["final_gravity", "previous_convictions"]
rows = [
  { final_gravity = { min = 1, max = 2 }, previous_convictions = { max = 2 }, verdict = "met" },
  { final_gravity = { min = 3, max = 3 }, previous_convictions = { max = 0 }, verdict = "met" },
  { final_gravity = { min = 4 }, verdict = "not_met" },
]
otherwise = "not_met""#,
    );
    let gravity =
        |base: u8| json!({ "offence": { "gravity": { "base": base, "mitigating": false } } });
    assert_eq!(
        verdict(&table, json!({})),
        Verdict::Met,
        "gravity 1, one conviction"
    );
    assert_eq!(
        verdict(&table, gravity(3)),
        Verdict::NotMet,
        "gravity 3 needs a clean record"
    );
    assert_eq!(
        verdict(
            &table,
            json!({ "offence": { "gravity": { "base": 3, "mitigating": false } }, "previous_convictions": 0 })
        ),
        Verdict::Met
    );
    assert_eq!(
        verdict(&table, json!({ "offence": { "gravity": null } })),
        Verdict::Unknown
    );
    assert_eq!(
        verdict(
            &table,
            json!({ "offence": { "gravity": null }, "previous_convictions": 7 })
        ),
        Verdict::NotMet
    );
    assert_eq!(
        verdict(
            &table,
            json!({ "offence": { "gravity": { "base": 4 } }, "previous_convictions": null })
        ),
        Verdict::Unknown,
        "base 4 mitigated to 3"
    );
    assert_eq!(
        verdict(
            &table,
            json!({ "offence": { "gravity": { "base": 4, "mitigating": false } }, "previous_convictions": null })
        ),
        Verdict::NotMet
    );
    let age_table = criterion(
        "c",
        "decision_table",
        "inputs = [\"age\"]\nrows = [{ age = { min = 18, max = 24 }, verdict = \"met\" }]\notherwise = \"not_met\"",
    );
    assert_eq!(verdict(&age_table, json!({})), Verdict::NotMet);
    assert_eq!(
        verdict(
            &age_table,
            json!({ "person": { "date_of_birth": "2005-01-01" } })
        ),
        Verdict::Met
    );
}

// ---------------------------------------------------------------------------------------------
// Validation, with positions

#[test]
fn errors_display_as_file_line_column_message() {
    let source = MINIMAL.replace("force = ", "forse = ");
    let errors = errors_of(&source);
    let first = errors.iter().next().unwrap();
    assert_eq!((first.line, first.column), position_of(&source, "forse"));
    assert!(first.to_string().starts_with("test.toml:4:1: "), "{first}");
    assert!(first.message.contains("forse"), "{first}");
}

#[test]
fn unknown_key_in_a_criterion_is_reported_where_it_is() {
    let source = format!(
        "{MINIMAL}{}",
        criterion("adult", "min_age", "years = 18\nyears_old = 3")
    );
    let errors = errors_of(&source);
    assert_error_at(&errors, position_of(&source, "years_old"), "years_old");
}

#[test]
fn unknown_criterion_kind_and_wrong_types_are_reported() {
    let source = format!(
        "{MINIMAL}{}",
        criterion("adult", "minimum_age", "years = 18")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "\"minimum_age\""),
        "minimum_age",
    );
    let source = format!(
        "{MINIMAL}{}",
        criterion("adult", "min_age", "years = \"eighteen\"")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "\"eighteen\""),
        "",
    );
    let source = MINIMAL.replace("version = 1", "version = \"one\"");
    assert_error_at(&errors_of(&source), position_of(&source, "\"one\""), "");
}

#[test]
fn impossible_ranges_are_all_reported_at_once() {
    let source = format!(
        "{}{}{}{}{}{}",
        MINIMAL
            .replace("min_hours = 18", "min_hours = 40")
            .replace(
                "effective_from = 2020-01-01",
                "effective_from = 2020-01-01\neffective_to = 2019-12-31"
            )
            .replace("on_failure = 1", "on_failure = 30"),
        criterion("adult", "min_age", "years = 18"),
        criterion("young", "max_age", "years = 16"),
        criterion("record", "previous_convictions", "fewer_than = 0"),
        criterion("gravity", "gravity", "max_final = 5"),
        criterion("adult", "evidence_sufficient", ""),
    );
    let errors = errors_of(&source);
    assert_error_at(
        &errors,
        position_of(&source, "40"),
        "more than `max_hours` 36",
    );
    assert_error_at(
        &errors,
        position_of(&source, "2019-12-31"),
        "before `effective_from`",
    );
    assert_error_at(&errors, position_of(&source, "30"), "1 to 23");
    assert_error_at(
        &errors,
        position_of(&source, "16"),
        "below the minimum age 18",
    );
    assert_error_at(
        &errors,
        position_after(&source, "fewer_than = "),
        "fewer_than = 0",
    );
    assert_error_at(&errors, position_after(&source, "max_final = "), "1 to 4");
    let second_adult = source.rfind("\"adult\"").unwrap();
    assert_error_at(&errors, line_column(&source, second_adult), "already used");
    assert_eq!(errors.len(), 7, "{errors}");
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "sorted by position: {lines:?}"
    );
}

#[test]
fn condition_caps_are_checked() {
    let source = format!(
        "{}{}",
        MINIMAL.replace("max_conditions = 3", "max_conditions = 0"),
        criterion("a", "evidence_sufficient", "")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "0\n\n[[conditions"),
        "at least 1",
    );
    let two_mandatory = MINIMAL
        .replace("max_conditions = 3", "max_conditions = 1")
        .replace("max_hours = 36", "max_hours = 36\nmandatory = true");
    let source = format!(
        "{two_mandatory}{}",
        criterion("a", "evidence_sufficient", "")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "1\n\n[[conditions"),
        "2 conditions are mandatory",
    );
    let pcsc = MINIMAL.replace("informal_deferred_prosecution", "pcsc_diversionary_caution");
    let source = format!("{pcsc}{}", criterion("a", "evidence_sufficient", ""));
    assert_error_at(&errors_of(&source), position_of(&source, "36"), "s.101");
}

#[test]
fn parameters_are_checked_against_the_kind() {
    let source = format!(
        "{MINIMAL}{}",
        criterion("a", "evidence_sufficient", "years = 3")
    );
    assert_error_at(
        &errors_of(&source),
        position_after(&source, "years = "),
        "does not take `years`",
    );
    let source = format!("{MINIMAL}{}", criterion("a", "min_age", ""));
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "\"min_age\""),
        "needs `years`",
    );
    let source = format!(
        "{MINIMAL}{}",
        criterion(
            "a",
            "offence_category",
            "include = [\"theft\", \"shoplifting\"]"
        )
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "\"shoplifting\""),
        "shoplifting",
    );
    let source = format!("{MINIMAL}{}", criterion("a", "risk_band", "allowed = []"));
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "[]"),
        "must not be empty",
    );
}

#[test]
fn overlapping_table_rows_name_both_rows_and_their_positions() {
    let rows = r#"inputs = ["final_gravity", "previous_convictions"]
rows = [
  { label = "low", final_gravity = { min = 1, max = 2 }, previous_convictions = { max = 2 }, verdict = "met" },
  { label = "mid", final_gravity = { min = 2, max = 3 }, previous_convictions = { min = 1, max = 4 }, verdict = "not_met" },
]
otherwise = "not_met""#;
    let source = format!("{MINIMAL}{}", criterion("t", "decision_table", rows));
    let errors = errors_of(&source);
    let (first_line, first_column) = position_of(&source, "{ label = \"low\"");
    assert_error_at(
        &errors,
        position_of(&source, "{ label = \"mid\""),
        &format!(
            "row 2 (\"mid\") overlaps row 1 (\"low\") (at line {first_line}, column {first_column})"
        ),
    );
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("final_gravity 2 and previous_convictions 1")),
        "{errors}"
    );
}

#[test]
fn table_rows_that_can_never_fire_are_rejected() {
    let table = |row: &str| {
        criterion(
            "t",
            "decision_table",
            &format!(
                "inputs = [\"final_gravity\", \"previous_convictions\"]\nrows = [\n  {row},\n]\notherwise = \"not_met\""
            ),
        )
    };
    let source = format!(
        "{MINIMAL}{}",
        table("{ final_gravity = { min = 5, max = 6 }, verdict = \"met\" }")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "{ min = 5"),
        "can never fire: its `final_gravity` range 5–6 is outside 1–4",
    );
    let source = format!(
        "{MINIMAL}{}",
        table("{ previous_convictions = { min = 3, max = 1 }, verdict = \"met\" }")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "{ min = 3"),
        "is empty",
    );
    let source = format!(
        "{MINIMAL}{}",
        table("{ age = { min = 18 }, verdict = \"met\" }")
    );
    assert_error_at(
        &errors_of(&source),
        position_of(&source, "{ min = 18"),
        "not one of this table's inputs",
    );
}

#[test]
fn trial_settings_are_validated() {
    let source = format!(
        "{MINIMAL}\n[trial]\nenabled = true\nallocation_ratio = [2, 1]\nblock_sizes = [6, 4]\n{}",
        criterion("a", "evidence_sufficient", "")
    );
    assert_error_at(
        &errors_of(&source),
        position_after(&source, "block_sizes = [6, "),
        "not a positive multiple",
    );
    let source = format!(
        "{MINIMAL}\n[trial]\nenabled = true\nallocation_ratio = [2, 1]\nblock_sizes = [6]\nstrata = [\"sex\"]\n{}",
        criterion("a", "evidence_sufficient", "")
    );
    let policy = Policy::from_toml(&source, "t.toml").unwrap();
    assert_eq!(
        policy.trial(),
        &TrialSettings {
            enabled: true,
            allocation_ratio: [2, 1],
            block_sizes: vec![6],
            strata: vec!["sex".into()]
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Golden runner and merge patch

#[test]
fn golden_runner_reports_a_wrong_expectation() {
    let (name, source, _) = SHIPPED[3];
    let policy = Policy::from_toml(source, name).unwrap();
    let golden = json!({
        "policy": "avon-somerset-dep",
        "base": serde_json::from_str::<Value>(EXAMPLE_REFERRAL).unwrap(),
        "cases": [
            { "name": "wrongly expected eligible", "expect": { "outcome": "eligible", "verdicts": { "adult": "not_met", "nonsense": "met" } } },
            { "name": "right", "expect": { "outcome": "ineligible" } },
            { "name": "invalid referral", "patch": { "offence": { "gravity": { "base": 9 } } }, "expect": { "outcome": "eligible" } }
        ]
    });
    let report = golden::run(&policy, &golden.to_string(), "dep.golden.json").unwrap();
    assert_eq!((report.passed(), report.failed()), (1, 2));
    let wrong = &report.cases[0];
    assert!(wrong.mismatches.contains(&golden::Mismatch::Outcome {
        expected: Eligibility::Eligible,
        actual: Eligibility::Ineligible
    }));
    assert!(wrong.mismatches.iter().any(|m| matches!(m, golden::Mismatch::Verdict { criterion, expected: Verdict::NotMet, actual: Verdict::Met, .. } if criterion == "adult")));
    assert!(
        wrong
            .mismatches
            .contains(&golden::Mismatch::NoSuchCriterion {
                criterion: "nonsense".into()
            })
    );
    // The theft is not possession: the cause is named.
    let text = report.to_string();
    assert!(text.contains("because criterion `possession_for_personal_use` is not_met (theft is not an eligible offence category)"), "{text}");
    assert!(
        text.contains("FAIL invalid referral") && text.contains("between 1 and 4"),
        "{text}"
    );
}

#[test]
fn golden_file_errors_have_positions_and_policy_mismatch_is_caught() {
    let (name, source, _) = SHIPPED[3];
    let policy = Policy::from_toml(source, name).unwrap();
    let err = golden::run(
        &policy,
        "{\n  \"policy\": \"avon-somerset-dep\",\n  \"cases\": [}\n",
        "g.json",
    )
    .unwrap_err();
    assert_eq!((err.line, err.column), (3, 13));
    let err = golden::run(
        &policy,
        r#"{"policy": "other", "base": {}, "cases": []}"#,
        "g.json",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("g.json:1:1: golden cases are for policy `other`"),
        "{err}"
    );
}

#[test]
fn merge_patch_follows_rfc_7386() {
    // The examples of RFC 7386 appendix A.
    let cases = [
        (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
        (json!({"a":"b"}), json!({"a":null}), json!({})),
        (
            json!({"a":"b","b":"c"}),
            json!({"a":null}),
            json!({"b":"c"}),
        ),
        (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
        (
            json!({"a":{"b":"c"}}),
            json!({"a":{"b":"d","c":null}}),
            json!({"a":{"b":"d"}}),
        ),
        (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a":"b"}), json!(["c"]), json!(["c"])),
        (json!({"a":"foo"}), json!(null), json!(null)),
        (json!({"a":"foo"}), json!("bar"), json!("bar")),
        (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
        (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
        (
            json!({}),
            json!({"a":{"bb":{"ccc":null}}}),
            json!({"a":{"bb":{}}}),
        ),
    ];
    for (mut target, patch, expected) in cases {
        merge_patch(&mut target, &patch);
        assert_eq!(target, expected, "patch {patch}");
    }
}

#[test]
fn category_set_holds_every_category() {
    let all: CategorySet = OffenceCategory::ALL.into_iter().collect();
    assert!(OffenceCategory::ALL.iter().all(|c| all.contains(*c)));
    assert_eq!(all.iter().count(), OffenceCategory::ALL.len());
}

// ---------------------------------------------------------------------------------------------
// Robustness

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Arbitrary text never panics the loader.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,600}") {
        let _ = Policy::from_toml(&text, "fuzz.toml");
    }

    /// Cutting, duplicating or overwriting part of a shipped policy never panics, and every
    /// error it reports points inside the file.
    #[test]
    fn mutated_shipped_policy_never_panics(
        which in 0usize..4,
        start in 0usize..10_000,
        length in 0usize..40,
        replacement in "[ -~\n]{0,12}|= 0|= -1|= 99999999999|\\[\\]|\\{\\}",
    ) {
        let source = SHIPPED[which].1;
        let start = floor_char_boundary(source, start % source.len());
        let end = floor_char_boundary(source, (start + length).min(source.len()));
        let mutated = format!("{}{}{}", &source[..start], replacement, &source[end..]);
        if let Err(errors) = Policy::from_toml(&mutated, "mutated.toml") {
            let lines = mutated.lines().count().max(1) + 1;
            for e in &errors {
                proptest::prop_assert!(e.line >= 1 && e.line <= lines && e.column >= 1, "{}", e);
            }
        }
    }

    /// Evaluating any golden-style variation of the example never panics and is consistent:
    /// the overall outcome follows from the verdicts.
    #[test]
    fn outcome_follows_from_verdicts(
        age in 10i16..80,
        previous in proptest::option::of(0u32..10),
        days_ago in 0i32..400,
        summary in proptest::bool::ANY,
        band in proptest::option::of(0usize..3),
    ) {
        let policy = Policy::from_toml(SHIPPED[1].1, SHIPPED[1].0).unwrap();
        let mut r = referral(json!({}));
        r.person.date_of_birth = date(2026 - age, 1, 1);
        r.previous_convictions = previous;
        r.offence.offence_date = crate::deadline::add_days(r.referral_date, -days_ago);
        if summary { r.offence.mode_of_trial = crate::offence::ModeOfTrial::SummaryOnly; }
        r.risk = band.map(|b| crate::referral::RiskAssessment {
            tool: "HART".into(),
            band: [crate::referral::RiskBand::Low, crate::referral::RiskBand::Moderate, crate::referral::RiskBand::High][b],
            officer_band: None,
        });
        let d = policy.evaluate(&r);
        let verdicts: Vec<Verdict> = d.criteria().map(|c| c.verdict).collect();
        let expected = if verdicts.contains(&Verdict::NotMet) { Eligibility::Ineligible }
            else if verdicts.contains(&Verdict::Unknown) { Eligibility::NeedsInformation }
            else { Eligibility::Eligible };
        proptest::prop_assert_eq!(d.outcome(), expected);
        proptest::prop_assert!(d.contract().end >= d.contract().start);
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
