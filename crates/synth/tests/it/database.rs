//! The demo writer drives the real use cases into SQLite (and PostgreSQL when
//! TEST_DATABASE_URL is set); the audit chain verifies and the reachable states are present.

use checkpoint_app::{App, Clock, PasswordCost, PolicyRegistry, Settings};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::testing::backends;
use checkpoint_synth::demo::{self, DEMO_PASSWORD};

fn app_on(db: checkpoint_store::Db) -> App {
    let settings = Settings {
        password_cost: PasswordCost::Fast,
        ..Settings::default()
    };
    App::new(
        db,
        PolicyRegistry::shipped().unwrap(),
        Clock::System,
        settings,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_a_small_demo_reaches_the_states_the_use_cases_allow() {
    for test_db in backends().await {
        let app = app_on(test_db.db.clone());
        let summary = demo::seed_demo(&app, 200, 7).await.unwrap();
        println!("{}:\n{summary}", test_db.label);
        assert!(summary.created);
        assert_eq!(summary.cases, 200);
        assert_eq!(summary.logins.len(), 10);
        // Every state the landed use cases can reach and leave a case in (follow-up for
        // declined cases, retention and disposal have no use case yet; a trial needs a policy
        // with [trial] enabled).
        for state in [
            CaseState::Ineligible,
            CaseState::NeedsInformation,
            CaseState::Declined,
            CaseState::Active,
            CaseState::ProsecutionReferred,
            CaseState::FollowUp,
        ] {
            assert!(
                summary.states.contains_key(&state),
                "{}: no case is {state}",
                test_db.label
            );
        }
        let verification = checkpoint_store::audit::verify(app.db()).await.unwrap();
        assert_eq!(
            summary.failed_cases, 0,
            "{}: {:?}",
            test_db.label, summary.notes
        );
        assert!(
            verification.is_intact(),
            "{}: {verification:?}",
            test_db.label
        );
        // A demo login works.
        app.sign_in("demo.supervisor", DEMO_PASSWORD).await.unwrap();
        // Seeding again reuses what is there.
        let again = demo::seed_demo(&app, 200, 7).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.states, summary.states);
    }
}
