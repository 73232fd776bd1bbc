//! Trial mode over the real store: set-up, concealment, stratified balance, reproducibility
//! and no reallocation. Uses Durham 2017 with its `[trial]` switched on.

use crate::custody::{SCHEME, referral_for};
use crate::helpers::PASSWORD;
use checkpoint_app::auth::PasswordCost;
use checkpoint_app::policies::SHIPPED;
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::screening::ScreeningChoice;
use checkpoint_app::{Actor, App, AppError, Clock, NewAccount, PolicyRegistry, Role, Settings};
use checkpoint_domain::lifecycle::{CaseState, TrialArm};
use checkpoint_domain::referral::RiskBand;
use checkpoint_store::testing::{self, TestDb};
use checkpoint_store::trials;
use jiff::civil::date;
use std::collections::BTreeMap;
use uuid::Uuid;

struct TrialApp {
    app: App,
    backend: &'static str,
    custody: Actor,
    supervisor: Actor,
    _db: TestDb,
}

fn trial_registry() -> PolicyRegistry {
    let sources: Vec<(&str, String)> = SHIPPED
        .iter()
        .map(|(file, text)| {
            let text = if *file == "durham-checkpoint-2017.toml" {
                text.replacen("[trial]\nenabled = false", "[trial]\nenabled = true", 1)
            } else {
                (*text).to_owned()
            };
            (*file, text)
        })
        .collect();
    let registry =
        PolicyRegistry::from_sources(sources.iter().map(|(f, t)| (*f, t.as_str()))).unwrap();
    let durham = registry.in_force(SCHEME, date(2026, 3, 4)).unwrap();
    assert!(durham.trial().enabled, "the test policy runs a trial");
    registry
}

async fn account(app: &App, username: &str, role: Role) -> Actor {
    app.create_account(
        None,
        NewAccount {
            username: username.to_owned(),
            display_name: format!("Test {username}"),
            role,
            team: Some("north".to_owned()),
            password: PASSWORD.to_owned(),
        },
    )
    .await
    .unwrap();
    app.sign_in(username, PASSWORD).await.unwrap().actor
}

async fn trial_app(db: TestDb) -> TrialApp {
    let app = App::new(
        db.db.clone(),
        trial_registry(),
        Clock::manual(crate::helpers::NOW.parse().unwrap()),
        Settings {
            password_cost: PasswordCost::Fast,
            ..Settings::default()
        },
    );
    TrialApp {
        custody: account(&app, "custody.sgt", Role::CustodyOfficer).await,
        supervisor: account(&app, "supervisor", Role::Supervisor).await,
        backend: db.label,
        app,
        _db: db,
    }
}

async fn trial_apps() -> Vec<TrialApp> {
    let mut all = Vec::new();
    for db in testing::backends().await {
        all.push(trial_app(db).await);
    }
    all
}

/// A distinct letters-only name for each number (digits would be dropped by name matching).
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.push_str("ston");
    out
}

/// Refers and screens an eligible person in the given risk band; returns (case id, version).
async fn eligible_case(t: &TrialApp, n: usize, band: RiskBand) -> (Uuid, i64) {
    let born = date(
        1950 + (n % 50) as i16,
        1 + (n % 12) as i8,
        1 + (n % 28) as i8,
    );
    let mut referral = referral_for(&letters(n), &format!("Q{}", letters(n + 7)), born);
    if let Some(risk) = referral.risk.as_mut() {
        risk.band = band;
        risk.officer_band = Some(band);
    }
    let outcome = t
        .app
        .create_referral(
            &t.custody,
            NewReferral {
                scheme_id: SCHEME.to_owned(),
                referral,
                person: PersonChoice::New,
                acknowledged_matches: Vec::new(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", t.backend));
    let id = outcome.case.case_id;
    // The trial gate is moderate risk; low-risk cases are made eligible by override.
    let choice =
        if outcome.advice.advised_outcome == checkpoint_domain::policy::Eligibility::Eligible {
            ScreeningChoice::AcceptAdvice
        } else {
            ScreeningChoice::Override {
                outcome: checkpoint_domain::lifecycle::ScreeningOutcome::Eligible,
                code: checkpoint_app::screening::OverrideCode::RiskJudgement,
                reason: "Officer judges the risk moderate".to_owned(),
            }
        };
    let screened = t
        .app
        .record_screening_decision(&t.custody, id, 1, choice)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", t.backend));
    assert_eq!(screened.state, CaseState::Eligible);
    (id, screened.version)
}

#[tokio::test]
async fn allocation_waits_for_set_up_and_the_seed_is_fixed_once_used() {
    for t in trial_apps().await {
        let b = t.backend;
        let (id, v) = eligible_case(&t, 1, RiskBand::Moderate).await;
        // In a trial, the offer needs an allocation first.
        let early = t.app.make_offer(&t.custody, id, v).await.unwrap_err();
        assert!(matches!(early, AppError::Invalid(_)), "{b}: {early}");
        let no_trial = t.app.allocate(&t.custody, id, v).await.unwrap_err();
        assert!(no_trial.to_string().contains("no trial"), "{b}: {no_trial}");

        assert!(matches!(
            t.app.set_up_trial(&t.custody, SCHEME, 7).await,
            Err(AppError::Forbidden { .. })
        ));
        t.app.set_up_trial(&t.supervisor, SCHEME, 7).await.unwrap();
        // Replaceable until the first allocation.
        let view = t.app.set_up_trial(&t.supervisor, SCHEME, 8).await.unwrap();
        assert_eq!(view.block_sizes, [4, 6], "{b}");
        assert!(view.seed_fingerprint.starts_with("sha256:"));

        // Concealment: nothing about the allocation exists or shows before it is made.
        let before = t.app.view_case(&t.custody, id).await.unwrap();
        assert!(before.trial_allocation.is_none());
        let names: Vec<&str> = before.allowed_actions.iter().map(|a| a.name).collect();
        assert_eq!(names, ["allocate"], "{b}");
        let mut tx = t.app.db().begin_read().await.unwrap();
        assert!(trials::for_case(&mut tx, id).await.unwrap().is_none());
        drop(tx);

        let allocated = t.app.allocate(&t.custody, id, v).await.unwrap();
        let expected = match allocated.arm {
            TrialArm::Treatment => CaseState::Treatment,
            TrialArm::Control => CaseState::Control,
        };
        assert_eq!(allocated.case.state, expected, "{b}");
        // Never reallocated, and the seed is now fixed.
        let again = t
            .app
            .allocate(&t.custody, id, allocated.case.version)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::IllegalTransition(_)), "{b}");
        let reseed = t
            .app
            .set_up_trial(&t.supervisor, SCHEME, 9)
            .await
            .unwrap_err();
        assert!(matches!(reseed, AppError::Invalid(_)), "{b}");

        let after = t.app.view_case(&t.custody, id).await.unwrap();
        let shown = after.trial_allocation.unwrap();
        assert_eq!(shown.arm, allocated.arm.as_str());
        // The timeline says the arm, never the block or the position in it.
        let event = after.timeline.last().unwrap();
        assert_eq!(event.kind, "allocate");
        assert!(event.details.get("block_number").is_none());
        assert!(event.details.get("position_in_block").is_none());

        if allocated.arm == TrialArm::Treatment {
            let offered = t
                .app
                .make_offer(&t.custody, id, allocated.case.version)
                .await
                .unwrap();
            assert_eq!(offered.state, CaseState::Offered);
        } else {
            let refused = t
                .app
                .make_offer(&t.custody, id, allocated.case.version)
                .await
                .unwrap_err();
            assert!(matches!(refused, AppError::IllegalTransition(_)), "{b}");
        }
    }
}

/// Allocates `n` moderate and `n` low-risk cases with `seed`; returns the arms in order.
async fn allocate_many(t: &TrialApp, seed: u64, n: usize) -> Vec<(RiskBand, TrialArm)> {
    t.app
        .set_up_trial(&t.supervisor, SCHEME, seed)
        .await
        .unwrap();
    let mut arms = Vec::new();
    for i in 0..n {
        for (offset, band) in [(0, RiskBand::Moderate), (1000, RiskBand::Low)] {
            let (id, v) = eligible_case(t, offset + i, band).await;
            let allocated = t.app.allocate(&t.custody, id, v).await.unwrap();
            arms.push((band, allocated.arm));
        }
    }
    arms
}

#[tokio::test]
async fn each_stratum_is_balanced_after_every_complete_block_and_reproducible() {
    let mut runs = Vec::new();
    for t in trial_apps().await {
        let b = t.backend;
        let arms = allocate_many(&t, 20_160_801, 14).await;
        let mut tx = t.app.db().begin_read().await.unwrap();
        let log = trials::for_trial(&mut tx, SCHEME).await.unwrap();
        drop(tx);
        assert_eq!(log.len(), 28, "{b}");
        // Blocks per stratum, in allocation order.
        let mut blocks: BTreeMap<(String, i64), Vec<String>> = BTreeMap::new();
        for row in &log {
            blocks
                .entry((row.stratum.clone(), row.block_number))
                .or_default()
                .push(row.arm.clone());
        }
        let strata: Vec<&String> = blocks.keys().map(|(s, _)| s).collect();
        assert!(
            strata.iter().any(|s| s.as_str() == "risk_band=moderate"),
            "{b}"
        );
        assert!(strata.iter().any(|s| s.as_str() == "risk_band=low"), "{b}");
        for ((stratum, number), arms) in &blocks {
            // A block is complete when the stratum has moved on to the next one.
            let complete = blocks.contains_key(&(stratum.clone(), number + 1));
            if complete {
                let treated = arms.iter().filter(|a| *a == "treatment").count();
                assert_eq!(treated * 2, arms.len(), "{b}: {stratum} block {number}");
                assert!(matches!(arms.len(), 4 | 6), "{b}: block sizes 4 or 6");
            }
            // Positions run 0, 1, 2 … within each block.
            let positions: Vec<i64> = log
                .iter()
                .filter(|r| &r.stratum == stratum && r.block_number == *number)
                .map(|r| r.position_in_block)
                .collect();
            assert_eq!(positions, (0..arms.len() as i64).collect::<Vec<_>>());
        }
        runs.push(arms);
    }
    // Same seed, same referrals, same arms: on another backend, and on a fresh database.
    let fresh = trial_app(testing::sqlite().await).await;
    let again = allocate_many(&fresh, 20_160_801, 14).await;
    for run in &runs {
        assert_eq!(run, &again);
    }
    let other_seed = trial_app(testing::sqlite().await).await;
    assert_ne!(allocate_many(&other_seed, 1, 14).await, again);
}

#[tokio::test]
async fn concurrent_allocations_take_distinct_slots() {
    for t in trial_apps().await {
        t.app.set_up_trial(&t.supervisor, SCHEME, 42).await.unwrap();
        let mut cases = Vec::new();
        for i in 0..8 {
            cases.push(eligible_case(&t, i, RiskBand::Moderate).await);
        }
        let mut tasks = Vec::new();
        for (id, v) in cases {
            let app = t.app.clone();
            let actor = t.custody.clone();
            tasks.push(tokio::spawn(
                async move { app.allocate(&actor, id, v).await },
            ));
        }
        let mut treated = 0;
        for task in tasks {
            let outcome = task
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e}", t.backend));
            treated += usize::from(outcome.arm == TrialArm::Treatment);
        }
        // 8 allocations: one or two complete blocks (4+4) or one of 6 and two more.
        assert!((3..=5).contains(&treated), "{}: {treated}", t.backend);
        let mut tx = t.app.db().begin_read().await.unwrap();
        let log = trials::for_trial(&mut tx, SCHEME).await.unwrap();
        let mut slots: Vec<(i64, i64)> = log
            .iter()
            .map(|r| (r.block_number, r.position_in_block))
            .collect();
        slots.sort();
        slots.dedup();
        assert_eq!(slots.len(), 8, "{}", t.backend);
    }
}
