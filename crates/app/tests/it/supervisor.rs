//! A supervisor's use cases: assignment within caseload limits, handover, and the queue.

use crate::helpers::{PASSWORD, TestApp, apps};
use crate::navigation_fixtures::*;
use checkpoint_app::assignment::{Assignment, HandOver, LimitOverride};
use checkpoint_app::reviews::{ReviewDecision, ReviewTrigger};
use checkpoint_app::{Actor, AppError, NewAccount, Role, Settings};
use std::collections::BTreeMap;

async fn extra_navigator(t: &TestApp, username: &str, team: &str) -> Actor {
    t.app
        .create_account(
            Some(&t.admin),
            NewAccount {
                username: username.to_owned(),
                display_name: username.to_owned(),
                role: Role::Navigator,
                team: Some(team.to_owned()),
                password: PASSWORD.to_owned(),
            },
        )
        .await
        .unwrap();
    t.app.sign_in(username, PASSWORD).await.unwrap().actor
}

#[tokio::test]
async fn auto_assignment_picks_the_least_loaded_and_refuses_at_the_limit_without_an_override() {
    for t in apps().await {
        let b = t.backend;
        let app = with_settings(
            &t,
            Settings {
                caseload_limit: 2,
                ..Settings::default()
            },
        );
        let sup = &t.supervisor;
        accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        let unassigned =
            accepted_case(&t, &t.navigator_south, Offence::summary(RECENT_OFFENCE)).await;
        let north = Assignment::Auto {
            team: "north".into(),
        };
        let made = app
            .assign_navigator(sup, unassigned.id, unassigned.version, north.clone(), None)
            .await
            .unwrap();
        assert_eq!(
            made.navigator_id, t.navigator_2.user_id,
            "{b}: navigator_2 had no cases"
        );
        assert_eq!(made.team.as_deref(), Some("north"), "{b}");

        accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        accepted_case(&t, &t.navigator_2, Offence::summary(RECENT_OFFENCE)).await;
        let another = accepted_case(&t, &t.navigator_south, Offence::summary(RECENT_OFFENCE)).await;
        let full = app
            .assign_navigator(sup, another.id, another.version, north.clone(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&full, AppError::Invalid(f) if f[0].field == "team"),
            "{b}: {full:?}"
        );
        let named = app
            .assign_navigator(
                sup,
                another.id,
                another.version,
                Assignment::To(t.navigator.user_id),
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&named, AppError::Invalid(f) if f[0].field == "navigator_id"),
            "{b}: {named:?}"
        );
        let forced = app
            .assign_navigator(
                sup,
                another.id,
                another.version,
                north,
                Some(LimitOverride {
                    reason: "cover for sickness".into(),
                }),
            )
            .await
            .unwrap();
        assert!(forced.over_limit, "{b}");
        assert_eq!(forced.open_cases, 3, "{b}");

        let not_a_navigator = app
            .assign_navigator(
                sup,
                another.id,
                forced.version,
                Assignment::To(t.analyst.user_id),
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&not_a_navigator, AppError::Invalid(f) if f[0].field == "navigator_id"),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_leaving_navigators_ten_cases_spread_across_the_team_within_limits() {
    for t in apps().await {
        let b = t.backend;
        let third = extra_navigator(&t, "nav.north.3", "north").await;
        let fourth = extra_navigator(&t, "nav.north.4", "north").await;
        let mut leaving = Vec::new();
        for _ in 0..10 {
            leaving.push(
                accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE))
                    .await
                    .id,
            );
        }
        accepted_case(&t, &t.navigator_2, Offence::summary(RECENT_OFFENCE)).await;

        // Room for 2 + 3 + 3 = 8 under a limit of 3 (navigator_2 holds one): refused whole.
        let tight = with_settings(
            &t,
            Settings {
                caseload_limit: 3,
                ..Settings::default()
            },
        );
        let refused = tight
            .hand_over_caseload(
                &t.supervisor,
                t.navigator.user_id,
                HandOver::Spread {
                    team: "north".into(),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("room for only 8"),
            "{b}: {refused}"
        );
        assert_eq!(
            reload(&t, leaving[0]).await.navigator_id,
            Some(t.navigator.user_id),
            "{b}: nothing moved"
        );

        let app = with_settings(
            &t,
            Settings {
                caseload_limit: 4,
                ..Settings::default()
            },
        );
        let done = app
            .hand_over_caseload(
                &t.supervisor,
                t.navigator.user_id,
                HandOver::Spread {
                    team: "north".into(),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(done.moved.len(), 10, "{b}");
        let mut per: BTreeMap<_, usize> = BTreeMap::new();
        for moved in &done.moved {
            *per.entry(moved.to_navigator_id).or_default() += 1;
            assert_ne!(moved.to_navigator_id, t.navigator.user_id, "{b}");
        }
        assert_eq!(per[&t.navigator_2.user_id], 3, "{b}: {per:?}");
        assert_eq!(
            per[&third.user_id] + per[&fourth.user_id],
            7,
            "{b}: {per:?}"
        );
        for load in &done.loads_after {
            assert!(load.open_cases <= 4, "{b}: {load:?}");
        }
        for id in leaving {
            let row = reload(&t, id).await;
            assert_ne!(row.navigator_id, Some(t.navigator.user_id), "{b}");
            assert_eq!(row.team.as_deref(), Some("north"), "{b}");
        }
        let queue = app.supervisor_queue(&t.supervisor).await.unwrap();
        let left = queue
            .caseload_balance
            .iter()
            .find(|l| l.navigator_id == t.navigator.user_id)
            .unwrap();
        assert_eq!(left.open_cases, 0, "{b}");
    }
}

#[tokio::test]
async fn reviews_are_decided_by_supervisors_and_a_resumed_case_goes_back_to_active() {
    for t in apps().await {
        let b = t.backend;
        let case = active_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        let opened = t
            .app
            .open_review(
                &t.navigator,
                case.id,
                case.version,
                ReviewTrigger::Other("missed two calls".into()),
            )
            .await
            .unwrap();
        let denied = t
            .app
            .decide_review(
                &t.navigator,
                case.id,
                opened.version,
                ReviewDecision::Resume {
                    reasonable_excuse: true,
                    reason: "x".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(denied, AppError::Forbidden { .. }),
            "{b}: {denied:?}"
        );
        let resumed = t
            .app
            .decide_review(
                &t.supervisor,
                case.id,
                opened.version,
                ReviewDecision::Resume {
                    reasonable_excuse: true,
                    reason: "was in hospital".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            resumed.state,
            checkpoint_domain::lifecycle::CaseState::Active,
            "{b}"
        );
        let queue = t.app.supervisor_queue(&t.supervisor).await.unwrap();
        assert!(queue.reviews_awaiting_decision.is_empty(), "{b}");
    }
}

#[tokio::test]
async fn navigator_loads_list_the_supervisors_team_least_loaded_first() {
    for t in apps().await {
        let b = t.backend;
        accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        accepted_case(&t, &t.navigator_south, Offence::summary(RECENT_OFFENCE)).await;
        let loads = t.app.navigator_loads(&t.supervisor).await.unwrap();
        let seen: Vec<(uuid::Uuid, usize)> = loads
            .iter()
            .map(|l| (l.navigator_id, l.open_cases))
            .collect();
        assert_eq!(
            seen,
            [(t.navigator_2.user_id, 0), (t.navigator.user_id, 2)],
            "{b}: the north team only, least loaded first"
        );
        assert!(loads.iter().all(|l| l.team.as_deref() == Some("north")));
        for actor in [&t.navigator, &t.custody, &t.analyst] {
            assert!(
                matches!(
                    t.app.navigator_loads(actor).await,
                    Err(AppError::Forbidden { .. })
                ),
                "{b}: {:?}",
                actor.role
            );
        }
    }
}
