//! Tests across the policy modules: shipped policies, validation errors, evaluation.

use super::*;

const DURHAM_2015: &str = include_str!("../../../../policies/durham-checkpoint-2015.toml");
const EXAMPLE_REFERRAL: &str =
    include_str!("../../../../schemas/examples/referral-shop-theft.json");

#[test]
fn durham_2015_loads_and_decides_the_example() {
    let policy = Policy::from_toml(DURHAM_2015, "durham-checkpoint-2015.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut referral = Referral::from_json(EXAMPLE_REFERRAL).unwrap();
    referral.referral_date = jiff::civil::date(2016, 3, 4);
    referral.offence.offence_date = jiff::civil::date(2016, 3, 2);
    let decision = policy.evaluate(&referral);
    println!("{}", decision.render_text());
    println!("{}", serde_json::to_string_pretty(&decision).unwrap());
    assert_eq!(decision.outcome(), Eligibility::Eligible);
}
