//! Constraint violations come back as named errors, never a generic database error.

use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_store::appointments;
use checkpoint_store::cases::{self, NewCaseEvent};
use checkpoint_store::referrals::{self, NewReferral};
use checkpoint_store::trials::{self, NewAllocation};
use checkpoint_store::users::{self, NewUser};
use checkpoint_store::{Entity, Instant, StoreError, people};
use uuid::Uuid;

use crate::fixtures::{new_case, person_with_case, user};
use crate::helpers::backends;

#[tokio::test]
async fn usernames_are_unique_ignoring_case() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        user(&mut tx, "Jo.Smith").await;
        tx.commit().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        let clash = NewUser {
            username: "jo.SMITH",
            display_name: "Another Jo",
            role: "analyst",
            team: None,
            password_hash: "x",
        };
        let error = users::insert(&mut tx, &clash).await.unwrap_err();
        assert!(
            matches!(&error, StoreError::DuplicateUsername(name) if name == "jo.SMITH"),
            "{}: {error:?}",
            t.label
        );
        drop(tx);
        let mut tx = t.db.begin_read().await.unwrap();
        let found = users::by_username(&mut tx, "JO.SMITH").await.unwrap();
        assert_eq!(found.username, "Jo.Smith");
    }
}

#[tokio::test]
async fn a_case_for_an_unknown_person_is_an_unknown_person_error() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let error = cases::create(&mut tx, &new_case(Uuid::now_v7(), 2026))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::UnknownReference(Entity::Person)),
            "{}: {error:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn an_unknown_navigator_is_an_unknown_user_error() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let person = people::insert(&mut tx, &crate::fixtures::person_details("X"))
            .await
            .unwrap();
        let mut case = new_case(person.id, 2026);
        case.navigator_id = Some(Uuid::now_v7());
        let error = cases::create(&mut tx, &case).await.unwrap_err();
        assert!(
            matches!(error, StoreError::UnknownReference(Entity::User)),
            "{}: {error:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn rows_for_an_unknown_case_are_unknown_case_errors() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let error = appointments::schedule(&mut tx, Uuid::now_v7(), Instant::now(), "meet", None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::UnknownReference(Entity::Case)),
            "{}: {error:?}",
            t.label
        );
        drop(tx); // SQLite admits one writer: end this one before the next begins

        let mut tx = t.db.begin().await.unwrap();
        let input = serde_json::json!({});
        let referral = NewReferral {
            person_id: Uuid::now_v7(),
            scheme_id: "s",
            policy_id: "p",
            input: &input,
            referred_by: None,
        };
        let error = referrals::insert(&mut tx, &referral).await.unwrap_err();
        assert!(
            matches!(error, StoreError::UnknownReference(Entity::Person)),
            "{}: {error:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn missing_rows_are_not_found() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let error = cases::get(&mut tx, Uuid::now_v7()).await.unwrap_err();
        assert!(
            matches!(error, StoreError::NotFound(Entity::Case)),
            "{}: {error:?}",
            t.label
        );
        let error = cases::append_event(&mut tx, Uuid::now_v7(), 1, &NewCaseEvent::new(None, "x"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::NotFound(Entity::Case)),
            "{}: {error:?}",
            t.label
        );
        let error = people::get(&mut tx, Uuid::now_v7()).await.unwrap_err();
        assert!(
            matches!(error, StoreError::NotFound(Entity::Person)),
            "{}: {error:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn a_second_allocation_for_a_case_is_a_duplicate() {
    for t in backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let case = person_with_case(&mut tx, 2026).await;
        let allocation = NewAllocation {
            case_id: case.id,
            trial_id: "rct",
            stratum: "all",
            block_number: 1,
            position_in_block: 1,
            arm: TrialArm::Control,
            seed: "s",
            allocated_by: None,
        };
        trials::allocate(&mut tx, &allocation).await.unwrap();
        let error = trials::allocate(&mut tx, &allocation).await.unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Duplicate {
                    entity: Entity::TrialAllocation,
                    ..
                }
            ),
            "{}: {error:?}",
            t.label
        );
    }
}
