//! Concurrency, on both backends, on a multi-threaded runtime over a pool of several
//! connections (SQLite: a file, not an in-memory database): two clients editing one case from
//! the same version (exactly one wins, the other gets `Conflict`, and nothing of the loser's
//! change is left); fifty referrals at once beside fifty case reads that write consultation
//! rows (all stored, references unique and gap-free); and no error anywhere, so in particular
//! never SQLite's "database is locked" or "busy".

use std::sync::Arc;

use crate::custody::{SCHEME, referral_for};
use crate::helpers::{TestApp, apps};
use crate::navigation_fixtures::{
    Offence, RECENT_OFFENCE, assessed_case, draft, needs_items, reload,
};
use checkpoint_app::AppError;
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_store::{Db, audit, cases, contracts, needs};
use jiff::civil::date;
use tokio::sync::Barrier;
use uuid::Uuid;

/// How many races of two writers each test runs per backend.
const RACES: usize = 8;
/// Referrals sent at once.
const REFERRALS: usize = 50;

/// The tests are only meaningful when transactions can really run side by side.
fn assert_several_connections(t: &TestApp) {
    let max = match t.app.db() {
        Db::Sqlite(pool) => pool.options().get_max_connections(),
        Db::Postgres(pool) => pool.options().get_max_connections(),
    };
    assert!(max > 1, "{}: the pool has {max} connection(s)", t.backend);
}

/// Fails the test on any error, naming SQLite's lock errors separately: they must never reach
/// a user (the busy timeout and `BEGIN IMMEDIATE` are there to prevent them).
fn no_lock_error<T>(backend: &str, what: &str, result: Result<T, AppError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => {
            let text = error.to_string().to_lowercase();
            assert!(
                !text.contains("locked") && !text.contains("busy"),
                "{backend}: {what} answered a lock error: {error}"
            );
            panic!("{backend}: {what} failed: {error:?}");
        }
    }
}

/// What is stored for a case: its version, its events, its contract versions and its needs
/// assessments.
async fn stored(t: &TestApp, case_id: Uuid) -> (i64, Vec<i64>, usize, usize) {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let case = cases::get(&mut tx, case_id).await.unwrap();
    let events = cases::events(&mut tx, case_id).await.unwrap();
    let contract_versions = contracts::versions(&mut tx, case_id).await.unwrap().len();
    let assessments = needs::for_case(&mut tx, case_id).await.unwrap().len();
    tx.rollback().await.unwrap();
    (
        case.version,
        events.iter().map(|e| e.sequence).collect(),
        contract_versions,
        assessments,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clients_editing_one_case_from_the_same_version_one_wins_the_other_conflicts() {
    for t in apps().await {
        let b = t.backend;
        assert_several_connections(&t);
        for round in 0..RACES {
            // A case with its needs assessed: one navigator drafts the contract while a
            // teammate reassesses the needs, both from the version they read.
            let case = assessed_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
            let read = case.version;
            let start = Arc::new(Barrier::new(2));
            let contract = {
                let (app, actor, start) = (t.app.clone(), t.navigator.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    app.write_contract(&actor, case.id, read, draft())
                        .await
                        .map(|saved| saved.version)
                })
            };
            let reassessment = {
                let (app, actor, start) = (t.app.clone(), t.navigator_2.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    app.record_needs_assessment(&actor, case.id, read, needs_items())
                        .await
                        .map(|done| done.version)
                })
            };
            let contract = contract.await.unwrap();
            let reassessment = reassessment.await.unwrap();

            let (version, events, contract_versions, assessments) = stored(&t, case.id).await;
            let expected_events: Vec<i64> = (1..=version).collect();
            assert_eq!(
                events, expected_events,
                "{b} round {round}: version {version}"
            );
            match (&contract, &reassessment) {
                (Ok(won), Err(AppError::Conflict { current_version })) => {
                    assert_eq!((*won, *current_version), (version, version), "{b} {round}");
                    assert_eq!(
                        (contract_versions, assessments),
                        (1, 1),
                        "{b} round {round}: the losing reassessment left nothing"
                    );
                }
                (Err(AppError::Conflict { current_version }), Ok(won)) => {
                    assert_eq!((*won, *current_version), (version, version), "{b} {round}");
                    assert_eq!(
                        (contract_versions, assessments),
                        (0, 2),
                        "{b} round {round}: the losing contract left nothing"
                    );
                }
                other => panic!(
                    "{b} round {round}: expected exactly one winner and one Conflict, got {other:?}"
                ),
            }
            // The loser, trying again with the version it read, still conflicts.
            let again = t
                .app
                .record_needs_assessment(&t.navigator_2, case.id, read, needs_items())
                .await
                .unwrap_err();
            assert!(
                matches!(again, AppError::Conflict { current_version } if current_version == version),
                "{b} round {round}: {again:?}"
            );
        }
        let report = audit::verify(t.app.db()).await.unwrap();
        assert!(report.is_intact(), "{b}: {:?}", report.first_break);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_referrals_are_all_stored_with_unique_gap_free_references() {
    for t in apps().await {
        let b = t.backend;
        assert_several_connections(&t);
        // A case already open, read over and over while the referrals arrive: each read writes
        // a consultation row, so readers compete for the write lock too.
        let existing = crate::custody::refer(&t, referral_for("Ola", "Existing", date(1961, 2, 3)))
            .await
            .case;
        let start = Arc::new(Barrier::new(2 * REFERRALS));
        let mut referrals = Vec::new();
        let mut readers = Vec::new();
        for i in 0..REFERRALS {
            // Distinct names and dates of birth, so no referral stops at a likely duplicate.
            let given = format!("Given{i}");
            let family = format!("{}{}", SYLLABLES[i % 10], SYLLABLES[10 + i / 10]);
            let born = date(1950 + i as i16, 1 + (i % 12) as i8, 1 + (i % 28) as i8);
            let referral = referral_for(&given, &family, born);
            let (app, actor, gate) = (t.app.clone(), t.custody.clone(), start.clone());
            referrals.push(tokio::spawn(async move {
                gate.wait().await;
                app.create_referral(
                    &actor,
                    NewReferral {
                        scheme_id: SCHEME.to_owned(),
                        referral,
                        person: PersonChoice::New,
                        acknowledged_matches: Vec::new(),
                    },
                )
                .await
            }));
            let actor = if i % 2 == 0 {
                t.custody.clone()
            } else {
                t.supervisor.clone()
            };
            let (app, gate) = (t.app.clone(), start.clone());
            let case_id = existing.case_id;
            readers.push(tokio::spawn(async move {
                gate.wait().await;
                app.view_case(&actor, case_id).await.map(|_| ())
            }));
        }
        let mut references = Vec::new();
        let mut case_ids = Vec::new();
        for (i, task) in referrals.into_iter().enumerate() {
            let outcome = no_lock_error(b, &format!("referral {i}"), task.await.unwrap());
            assert_eq!(outcome.case.version, 1, "{b}");
            references.push(outcome.case.reference);
            case_ids.push(outcome.case.case_id);
        }
        for (i, task) in readers.into_iter().enumerate() {
            no_lock_error(b, &format!("case read {i}"), task.await.unwrap());
        }

        // Unique and gap-free: the existing case took number 1.
        references.sort();
        let expected: Vec<String> = (2..=REFERRALS + 1)
            .map(|n| format!("CP-2026-{n:06}"))
            .collect();
        assert_eq!(references, expected, "{b}");
        // All stored, each whole: version 1, one event, its referral.
        for case_id in case_ids {
            let case = reload(&t, case_id).await;
            let (version, events, _, _) = stored(&t, case_id).await;
            assert_eq!((version, events), (1, vec![1]), "{b}: {}", case.reference);
            assert!(case.referral_id.is_some(), "{b}: {}", case.reference);
        }
        let report = audit::verify(t.app.db()).await.unwrap();
        assert!(report.is_intact(), "{b}: {:?}", report.first_break);
    }
}

/// Syllables for distinct synthetic family names (first ten start a name, the rest end it).
const SYLLABLES: [&str; 15] = [
    "Abel", "Brook", "Cald", "Dun", "Eld", "Farn", "Gorm", "Hask", "Ilm", "Jass", "ford", "wick",
    "thorpe", "ley", "ton",
];
