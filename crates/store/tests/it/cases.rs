//! Case references and optimistic concurrency.

use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::cases::{self, NewCaseEvent};
use checkpoint_store::{Db, StoreError, people};

use crate::fixtures::{new_case, person_details, person_with_case};
use crate::helpers::{backends, raw, scalar};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_take_dense_references() {
    for t in backends().await {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let db = t.db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let case = person_with_case(&mut tx, 2026).await;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                tx.commit().await.unwrap();
                case.reference
            });
        }
        let mut references = tasks.join_all().await;
        references.sort();
        let expected: Vec<String> = (1..=30).map(|n| format!("CP-2026-{n:06}")).collect();
        assert_eq!(references, expected, "{}", t.label);
    }
}

#[tokio::test]
async fn a_rolled_back_create_gives_its_number_back() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            person_with_case(&mut tx, 2026).await.reference,
            "CP-2026-000001"
        );
        tx.commit().await.unwrap();

        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            person_with_case(&mut tx, 2026).await.reference,
            "CP-2026-000002"
        );
        tx.rollback().await.unwrap();

        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            person_with_case(&mut tx, 2026).await.reference,
            "CP-2026-000002",
            "{}",
            t.label
        );
        // Years count separately.
        assert_eq!(
            person_with_case(&mut tx, 2027).await.reference,
            "CP-2027-000001"
        );
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let case = person_with_case(&mut tx, 2026).await;
        tx.commit().await.unwrap();
        assert_eq!(case.version, 1);

        // Two users read version 1; the first one's change wins.
        let mut offer = NewCaseEvent::new(None, "screen");
        offer.to_state = Some(CaseState::Eligible);
        let mut tx = t.db.begin().await.unwrap();
        let (after, event) = cases::append_event(&mut tx, case.id, 1, &offer)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!((after.version, event.sequence), (2, 2), "{}", t.label);
        assert_eq!(after.state().unwrap(), CaseState::Eligible);
        assert_eq!(event.from_state.as_deref(), Some("referred"));

        let mut ineligible = NewCaseEvent::new(None, "screen");
        ineligible.to_state = Some(CaseState::Ineligible);
        let mut tx = t.db.begin().await.unwrap();
        let error = cases::append_event(&mut tx, case.id, 1, &ineligible)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict { current_version: 2 }),
            "{}: {error:?}",
            t.label
        );
        let error = cases::assign(&mut tx, case.id, 1, None, Some("south"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict { current_version: 2 }),
            "{error:?}"
        );
        tx.commit().await.unwrap();

        let mut tx = t.db.begin_read().await.unwrap();
        let now = cases::get(&mut tx, case.id).await.unwrap();
        assert_eq!(
            (now.version, now.state.as_str(), now.team),
            (2, "eligible", None)
        );
        let events = cases::events(&mut tx, case.id).await.unwrap();
        let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, [1, 2], "{}", t.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_one_version_produce_exactly_one_winner() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let case = person_with_case(&mut tx, 2026).await;
        tx.commit().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let db: Db = t.db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let reason = format!("writer {i}");
                let mut event = NewCaseEvent::new(None, "note");
                event.reason = Some(&reason);
                let result = cases::append_event(&mut tx, case.id, 1, &event).await;
                tx.commit().await.unwrap();
                result.map(|_| ())
            });
        }
        let results = tasks.join_all().await;
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "{}: {results:?}", t.label);
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, StoreError::Conflict { current_version: 2 })),
            "{}: {results:?}",
            t.label
        );
        assert_eq!(scalar(&t.db, "SELECT COUNT(*) FROM case_events").await, 2);
    }
}

#[tokio::test]
async fn case_events_are_append_only() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        person_with_case(&mut tx, 2026).await;
        tx.commit().await.unwrap();
        for sql in [
            "UPDATE case_events SET reason = 'x'",
            "DELETE FROM case_events",
        ] {
            let result = match &t.db {
                Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
                Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            };
            assert!(
                result.unwrap_err().to_string().contains("append-only"),
                "{}",
                t.label
            );
        }
    }
}

#[tokio::test]
async fn a_reused_reference_is_a_duplicate_reference_error() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        person_with_case(&mut tx, 2026).await;
        tx.commit().await.unwrap();
        // Someone resets the counter behind our back.
        raw(&t.db, "UPDATE case_reference_counters SET last_value = 0").await;
        let mut tx = t.db.begin().await.unwrap();
        let person = people::insert(&mut tx, &person_details("Second"))
            .await
            .unwrap();
        let error = cases::create(&mut tx, &new_case(person.id, 2026))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::DuplicateCaseReference(r) if r == "CP-2026-000001"),
            "{}: {error:?}",
            t.label
        );
    }
}
