//! A multi-row write that fails half-way leaves nothing behind.

use checkpoint_store::{Entity, StoreError, appointments, backup};
use uuid::Uuid;

use crate::fixtures::{person_with_case, user};
use crate::helpers::{backends, scalar};

#[tokio::test]
async fn a_failed_write_half_way_leaves_nothing() {
    for t in backends().await {
        let before = backup::row_counts(&t.db).await.unwrap();
        assert!(before.iter().all(|(_, n)| *n == 0));

        let mut tx = t.db.begin().await.unwrap();
        user(&mut tx, "nav").await;
        let case = person_with_case(&mut tx, 2026).await;
        appointments::schedule(
            &mut tx,
            case.id,
            checkpoint_store::Instant::now(),
            "a",
            None,
        )
        .await
        .unwrap();
        // The last write of the unit fails: the case id is wrong.
        let error = appointments::schedule(
            &mut tx,
            Uuid::now_v7(),
            checkpoint_store::Instant::now(),
            "b",
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, StoreError::UnknownReference(Entity::Case)),
            "{error:?}"
        );
        drop(tx); // the caller gives up: the whole unit rolls back

        let after = backup::row_counts(&t.db).await.unwrap();
        assert_eq!(after, before, "{}", t.label);
        assert_eq!(
            scalar(&t.db, "SELECT last_sequence FROM audit_head").await,
            0,
            "{}",
            t.label
        );
        // The reference number was returned too.
        let mut tx = t.db.begin().await.unwrap();
        assert_eq!(
            person_with_case(&mut tx, 2026).await.reference,
            "CP-2026-000001",
            "{}",
            t.label
        );
    }
}
