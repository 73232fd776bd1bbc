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

/// A writer given up while it waits for the write lock (an HTTP client that hung up, a
/// timeout) leaves no lock behind: once the holder commits, every later writer gets in. On
/// PostgreSQL the lock used to be taken in the `BEGIN` statement itself; cancelled there, the
/// connection went back to the pool inside a transaction that then took the lock for ever.
#[tokio::test]
async fn a_writer_cancelled_while_waiting_for_the_lock_leaves_none_behind() {
    use std::time::Duration;
    for t in backends().await {
        let holder = t.db.begin().await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(300), t.db.begin()).await;
        assert!(waited.is_err(), "{}: the second writer got in", t.label);
        holder.commit().await.unwrap();
        // Let the pool finish returning the abandoned connection.
        tokio::time::sleep(Duration::from_millis(300)).await;
        if t.label == "postgres" {
            let held = scalar(
                &t.db,
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .await;
            assert_eq!(held, 0, "{}: an advisory lock is still held", t.label);
        }
        // More writers than the pool has connections, one after another, each within a second.
        for attempt in 0..20 {
            let tx = tokio::time::timeout(Duration::from_secs(2), t.db.begin())
                .await
                .unwrap_or_else(|_| panic!("{}: writer {attempt} waited for ever", t.label))
                .unwrap();
            tx.commit().await.unwrap();
        }
    }
}
