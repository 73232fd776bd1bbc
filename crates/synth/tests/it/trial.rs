//! The demo's randomised trial: `serve --demo` randomises the first year's Checkpoint
//! referrals under a demo-only trial version of the policy, both paths allocate exactly as the
//! app's concealed sequence does, and with the arrest feed imported the trial report recovers
//! the effect the generator was given.

use crate::bulk::{analyst_report, app_on};
use checkpoint_app::reports::ReportName;
use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_store::testing::{self, backends, scalar};
use checkpoint_store::{Db, trials};
use checkpoint_synth::demo::allocation::{Sequence, TrialSettings};
use checkpoint_synth::demo::{self, DEMO_PASSWORD, WriteOptions, WritePath};
use checkpoint_synth::{Config, TrialDesign};
use jiff::civil::date;
use std::collections::HashMap;

/// Checks every allocation in the database against the published sequence: in each stratum
/// the allocations take the slots 0, 1, 2, … of that stratum's sequence, each with the slot's
/// arm. Returns the count per arm.
async fn check_allocations(db: &Db) -> HashMap<TrialArm, usize> {
    let mut tx = db.begin_read().await.unwrap();
    let trial = trials::trial(&mut tx, "durham-checkpoint")
        .await
        .unwrap()
        .expect("a trial is set up");
    let allocations = trials::for_trial(&mut tx, "durham-checkpoint")
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let settings: TrialSettings = serde_json::from_str(&trial.settings_json).unwrap();
    assert_eq!(settings.policy_version, 3, "the demo's trial version");
    assert_eq!(trial.allocations, allocations.len() as i64);
    let seed: u64 = trial.seed.parse().unwrap();
    let mut by_stratum: HashMap<&str, Vec<_>> = HashMap::new();
    for a in &allocations {
        by_stratum.entry(a.stratum.as_str()).or_default().push(a);
    }
    let mut arms = HashMap::new();
    for (stratum, mut rows) in by_stratum {
        rows.sort_by_key(|a| (a.block_number, a.position_in_block));
        let mut sequence = Sequence::new(seed, &trial.trial_id, stratum, &settings);
        for (k, a) in rows.iter().enumerate() {
            let slot = sequence.slot(k as u64);
            assert_eq!(
                (a.block_number, a.position_in_block, a.arm.as_str()),
                (
                    slot.block_number as i64,
                    slot.position as i64,
                    slot.arm.as_str()
                ),
                "allocation {k} of stratum {stratum}"
            );
            *arms.entry(slot.arm).or_insert(0) += 1;
        }
    }
    arms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_randomises_into_both_arms() {
    let today = checkpoint_app::Clock::System.today();
    for test_db in backends().await {
        let label = test_db.label;
        let policies = demo::trial_policies(&demo::demo_trial(today)).unwrap();
        let app = app_on(test_db.db.clone(), policies);
        let summary = demo::seed_demo(&app, 300, 7).await.unwrap();
        println!("{label}:\n{summary}");
        assert_eq!(summary.failed_cases, 0, "{label}: {:?}", summary.notes);
        let feed = summary.arrest_feed.as_ref().expect("the feed is imported");
        assert!(feed.linked > 0, "{label}: arrests are linked");
        // The real use case allocated, and its sequence is the published one.
        let arms = check_allocations(&test_db.db).await;
        assert!(
            arms.get(&TrialArm::Treatment).copied().unwrap_or(0) > 0,
            "{label}"
        );
        assert!(
            arms.get(&TrialArm::Control).copied().unwrap_or(0) > 0,
            "{label}"
        );
        let controls = scalar(
            &test_db.db,
            "SELECT COUNT(*) FROM case_events WHERE kind = 'allocate' AND to_state = 'control'",
        )
        .await;
        assert_eq!(controls as usize, arms[&TrialArm::Control], "{label}");
        // The trial report shows both arms.
        let bundle = analyst_report(&app, ReportName::Trial).await;
        let trial = bundle.trial.expect("a trial report");
        let arms: Vec<TrialArm> = trial.consort.arms.iter().map(|a| a.arm).collect();
        assert_eq!(arms, [TrialArm::Treatment, TrialArm::Control], "{label}");
        assert!(
            checkpoint_store::audit::verify(&test_db.db)
                .await
                .unwrap()
                .is_intact()
        );
    }
}

/// Two years of Checkpoint referrals all in the trial, followed up for three more years.
fn trial_config(seed: u64, cases: u64) -> Config {
    let mut config = Config::new(seed, cases);
    config.first_referral = date(2019, 1, 1);
    config.last_referral = date(2020, 12, 31);
    config.as_of = date(2023, 12, 31);
    config.with_trial(0.35, 0.48)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_path_allocates_as_the_use_case_does() {
    let config = trial_config(13, 400);
    let design: TrialDesign = config.trial.unwrap();
    let played = testing::sqlite().await;
    let app = app_on(played.db.clone(), demo::trial_policies(&design).unwrap());
    let summary = demo::write_database_with(
        &app,
        &config,
        DEMO_PASSWORD,
        WritePath::UseCases.into(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.failed_cases, 0, "{:?}", summary.notes);
    let by_use_cases = check_allocations(&played.db).await;
    let bulk = testing::sqlite().await;
    let app = app_on(bulk.db.clone(), demo::trial_policies(&design).unwrap());
    let summary = demo::write_database_with(
        &app,
        &config,
        DEMO_PASSWORD,
        WritePath::Bulk.into(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.failed_cases, 0, "{:?}", summary.notes);
    let by_bulk = check_allocations(&bulk.db).await;
    assert!(by_bulk.len() == 2, "both arms: {by_bulk:?}");
    // The same cases are randomised; the sequence is walked in referral order by the bulk
    // path and in time order of the allocation step by the use cases, so the counts agree
    // closely rather than exactly.
    let total = |m: &HashMap<TrialArm, usize>| m.values().sum::<usize>();
    assert_eq!(total(&by_bulk), total(&by_use_cases));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trial_report_recovers_the_effect_the_generator_was_given() {
    let config = trial_config(3, 8_000);
    let design = config.trial.unwrap();
    let test_db = testing::sqlite().await;
    let app = app_on(test_db.db.clone(), demo::trial_policies(&design).unwrap());
    let options = WriteOptions {
        path: WritePath::Bulk,
        arrest_feed: true,
    };
    let summary = demo::write_database_with(&app, &config, DEMO_PASSWORD, options, &|_| {})
        .await
        .unwrap();
    println!("{summary}");
    assert_eq!(summary.failed_cases, 0, "{:?}", summary.notes);
    let bundle = analyst_report(&app, ReportName::Trial).await;
    let trial = bundle.trial.expect("a trial report");
    let outcome = trial
        .outcomes
        .iter()
        .find(|o| o.window_months == 24)
        .expect("a 24-month outcome");
    let treatment = outcome.treatment.rate.expect("a treatment rate");
    let control = outcome.control.rate.expect("a control rate");
    println!(
        "24 months: treatment {}/{} = {:.3}, control {}/{} = {:.3}",
        treatment.events,
        treatment.total,
        treatment.estimate,
        control.events,
        control.total,
        control.estimate
    );
    assert!(
        treatment.total > 500 && control.total > 500,
        "enough randomised"
    );
    // The true rates are 0.35 and 0.48. What the report sees has come through linkage (a
    // few arrests missed, a few look-alikes linked), so each rate may sit a few points off;
    // the difference between the arms is what the trial estimates, and it must be recovered.
    assert!(
        (treatment.estimate - 0.35).abs() < 0.06,
        "treatment {treatment:?}"
    );
    assert!(
        (control.estimate - 0.48).abs() < 0.06,
        "control {control:?}"
    );
    let difference = outcome.risk_difference.as_ref().expect("a difference");
    assert!(
        (difference.estimate - (0.35 - 0.48)).abs() < 0.04,
        "the effect set is recovered: {difference:?}"
    );
    assert!(
        difference.interval.upper < 0.0,
        "the effect is detected: {difference:?}"
    );
}
