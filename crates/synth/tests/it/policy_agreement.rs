//! The referrals are written so the shipped policies reach the planned screening outcome.

use checkpoint_domain::policy::{Eligibility, Policy};
use checkpoint_synth::referrals::PlannedScreening;
use checkpoint_synth::{Config, Generator};

fn shipped() -> Vec<Policy> {
    [
        (
            "durham-checkpoint-2015.toml",
            include_str!("../../../../policies/durham-checkpoint-2015.toml"),
        ),
        (
            "durham-checkpoint-2017.toml",
            include_str!("../../../../policies/durham-checkpoint-2017.toml"),
        ),
        (
            "west-midlands-divert.toml",
            include_str!("../../../../policies/west-midlands-divert.toml"),
        ),
        (
            "avon-somerset-dep.toml",
            include_str!("../../../../policies/avon-somerset-dep.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| Policy::from_toml(text, name).unwrap())
    .collect()
}

#[test]
fn the_policy_engine_agrees_with_the_plan() {
    let policies = shipped();
    let generator = Generator::new(Config::new(5, 4000));
    let (mut agree, mut total) = (0, 0);
    let mut disagreements = Vec::new();
    for i in 0..4000 {
        let case = generator.case(i);
        let day = case.referral_date();
        let policy = policies
            .iter()
            .rev()
            .find(|p| p.id() == case.scheme.policy_id() && p.in_force_on(day))
            .expect("a policy in force");
        let decided = policy.evaluate(&case.referral).outcome();
        let planned = match case.planned {
            PlannedScreening::Eligible => Eligibility::Eligible,
            PlannedScreening::Ineligible(_) => Eligibility::Ineligible,
            PlannedScreening::NeedsInformation => Eligibility::NeedsInformation,
        };
        total += 1;
        if decided == planned {
            agree += 1;
        } else if disagreements.len() < 5 {
            disagreements.push(format!(
                "{}: planned {:?}, policy {decided:?}",
                case.reference, case.planned
            ));
        }
    }
    let share = agree as f64 / total as f64;
    assert!(
        share > 0.97,
        "agreement {share:.3}; e.g. {disagreements:#?}"
    );
}
