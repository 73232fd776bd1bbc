//! The generated data has the proportions it claims, within sampling error.

use checkpoint_domain::person::Ethnicity;
use checkpoint_synth::people::ETHNICITY_MIX;
use checkpoint_synth::{Config, Ending, GeneratedCase, Generator};
use std::collections::HashMap;
use std::sync::OnceLock;

/// 20,000 cases with the published trial effect, generated once for every test here.
fn sample() -> &'static (Config, Vec<GeneratedCase>) {
    static SAMPLE: OnceLock<(Config, Vec<GeneratedCase>)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let config = Config::new(2024, 20_000).with_trial(0.35, 0.48);
        let cases = Generator::new(config.clone()).iter().collect();
        (config, cases)
    })
}

/// |observed − expected| within `z` standard errors of a proportion over `n`.
fn assert_close(what: &str, observed: f64, expected: f64, n: usize, z: f64) {
    let se = (expected * (1.0 - expected) / n as f64).sqrt().max(1e-4);
    assert!(
        (observed - expected).abs() <= z * se,
        "{what}: observed {observed:.4}, expected {expected:.4} (n {n}, ±{:.4})",
        z * se
    );
}

#[test]
fn self_defined_ethnicity_follows_the_declared_mix() {
    let (_, cases) = sample();
    let people: Vec<_> = cases
        .iter()
        .filter(|g| g.case.introduces_person())
        .map(|g| g.case.person.ethnicity)
        .collect();
    let total: f64 = ETHNICITY_MIX.iter().map(|(_, w)| w).sum();
    let mut counts: HashMap<Ethnicity, usize> = HashMap::new();
    for e in &people {
        *counts.entry(*e).or_default() += 1;
    }
    for (ethnicity, weight) in ETHNICITY_MIX {
        let observed = counts.get(&ethnicity).copied().unwrap_or(0) as f64 / people.len() as f64;
        // Twins and namesakes copy an earlier person's ethnicity, so allow a little more.
        assert_close(
            ethnicity.code(),
            observed,
            weight / total,
            people.len(),
            4.5,
        );
    }
}

#[test]
fn officer_observed_group_mostly_agrees_and_sometimes_does_not() {
    let (_, cases) = sample();
    let (mut agree, mut differ, mut n) = (0, 0, 0);
    for g in cases.iter().filter(|g| g.case.introduces_person()) {
        let p = &g.case.person;
        if let (Some(group), Some(seen)) = (p.ethnicity.group(), p.officer_observed) {
            n += 1;
            if group == seen {
                agree += 1;
            } else {
                differ += 1;
            }
        }
    }
    let agreement = agree as f64 / n as f64;
    assert!((0.9..0.99).contains(&agreement), "agreement {agreement}");
    assert!(differ > 100);
}

#[test]
fn completion_and_in_contract_reoffending_are_near_the_published_rates() {
    let (_, cases) = sample();
    let participants: Vec<_> = cases
        .iter()
        .filter(|g| g.case.scheme == checkpoint_synth::Scheme::Checkpoint && !g.case.in_trial)
        .filter(|g| g.trajectory.ending.is_participant())
        .collect();
    let n = participants.len();
    assert!(n > 3000, "{n} participants");
    let completed = participants
        .iter()
        .filter(|g| g.trajectory.ending == Ending::Completed)
        .count() as f64
        / n as f64;
    // 1 − 5.6% reoffending − 4.5% non-compliance − 3.5% withdrawal (schemes.rs) ≈ 86.7%.
    assert_close("completion", completed, 0.867, n, 4.0);
    let in_contract = participants
        .iter()
        .filter(|g| g.trajectory.ending == Ending::FailedReoffence)
        .count() as f64
        / n as f64;
    // 5.6% reoffended during the contract (Goldstein application); a failure or withdrawal
    // earlier in the contract takes a few out of the count.
    assert_close("in-contract reoffending", in_contract, 0.056, n, 4.0);
}

#[test]
fn the_trial_recovers_the_effect_that_was_set() {
    let (config, cases) = sample();
    let mut arms: HashMap<&str, (usize, usize)> = HashMap::new();
    for g in cases.iter().filter(|g| g.case.in_trial) {
        let Some(arm) = g.case.planned_branches().arm else {
            continue;
        };
        assert!(checkpoint_synth::time::plus_months(g.trajectory.index_date, 24.0) <= config.as_of);
        let entry = arms.entry(arm.as_str()).or_default();
        entry.0 += 1;
        if g.trajectory.reoffended_within(24.0) {
            entry.1 += 1;
        }
    }
    let (nt, rt) = arms["treatment"];
    let (nc, rc) = arms["control"];
    assert!(nt > 700 && nc > 700, "arms {nt} and {nc}");
    assert_close("treatment arm", rt as f64 / nt as f64, 0.35, nt, 3.5);
    assert_close("control arm", rc as f64 / nc as f64, 0.48, nc, 3.5);
    let difference = rc as f64 / nc as f64 - rt as f64 / nt as f64;
    let se = (0.35 * 0.65 / nt as f64 + 0.48 * 0.52 / nc as f64).sqrt();
    assert!(
        (difference - 0.13).abs() < 3.5 * se,
        "difference {difference:.3}"
    );
}

#[test]
fn every_ending_and_scheme_occurs() {
    let (_, cases) = sample();
    for ending in [
        Ending::Ineligible,
        Ending::AwaitingInformation,
        Ending::Control,
        Ending::Declined,
        Ending::Completed,
        Ending::FailedReoffence,
        Ending::FailedNonCompliance,
        Ending::Withdrawn,
    ] {
        assert!(
            cases.iter().any(|g| g.trajectory.ending == ending),
            "{ending:?} never happens"
        );
    }
    for scheme in checkpoint_synth::Scheme::ALL {
        assert!(cases.iter().filter(|g| g.case.scheme == scheme).count() > 1000);
    }
}

#[test]
fn every_plan_is_a_legal_path_through_the_lifecycle() {
    let (_, cases) = sample();
    for g in cases {
        let transitions = g
            .trajectory
            .steps
            .iter()
            .filter_map(|s| s.step.transition());
        checkpoint_domain::lifecycle::replay(transitions)
            .unwrap_or_else(|e| panic!("{}: {e:?}", g.case.reference));
        assert!(g.trajectory.steps.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
