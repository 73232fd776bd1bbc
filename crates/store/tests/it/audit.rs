//! The audit chain: intact chains verify; edits, deletions and reorderings are caught at the
//! first broken link; concurrent appends stay dense and ordered; rollbacks leave no trace.

use checkpoint_store::audit::{self, ChainProblem};
use checkpoint_store::{AuditAction, AuditEntry, Db};
use serde_json::json;

use crate::helpers::{backends, raw, scalar};

async fn append_entries(db: &Db, count: usize) {
    for i in 0..count {
        let mut tx = db.begin().await.unwrap();
        let entry = AuditEntry::new(None, "tester", AuditAction::Consultation, "person", i)
            .with_justification("test")
            .with_details(json!({ "i": i }));
        audit::append(&mut tx, entry).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// Plays an attacker with direct database access: the append-only trigger goes first.
async fn drop_append_only_guard(db: &Db) {
    match db {
        Db::Sqlite(_) => {
            raw(db, "DROP TRIGGER audit_log_append_only_update").await;
            raw(db, "DROP TRIGGER audit_log_append_only_delete").await;
        }
        Db::Postgres(_) => raw(db, "DROP TRIGGER audit_log_append_only ON audit_log").await,
    }
}

#[tokio::test]
async fn an_untouched_chain_verifies() {
    for t in backends().await {
        let empty = audit::verify(&t.db).await.unwrap();
        assert!(empty.is_intact(), "{}", t.label);
        append_entries(&t.db, 5).await;
        let report = audit::verify(&t.db).await.unwrap();
        assert_eq!(report.rows_checked, 5, "{}", t.label);
        assert!(report.is_intact(), "{}: {:?}", t.label, report.first_break);
    }
}

#[tokio::test]
async fn the_log_rejects_updates_and_deletes() {
    for t in backends().await {
        append_entries(&t.db, 1).await;
        for sql in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"] {
            let result = match &t.db {
                Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
                Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            };
            let error = result.expect_err(sql).to_string();
            assert!(error.contains("append-only"), "{}: {error}", t.label);
        }
    }
}

#[tokio::test]
async fn an_edited_row_is_caught() {
    for t in backends().await {
        append_entries(&t.db, 5).await;
        drop_append_only_guard(&t.db).await;
        raw(
            &t.db,
            "UPDATE audit_log SET details_json = '{\"i\":99}' WHERE sequence = 3",
        )
        .await;
        let report = audit::verify(&t.db).await.unwrap();
        let broken = report.first_break.expect("edit must be caught");
        assert_eq!(broken.sequence, 3, "{}", t.label);
        assert_eq!(broken.problem, ChainProblem::EditedRow, "{}", t.label);
        assert!(broken.to_string().contains("row 3 was edited"), "{broken}");
    }
}

#[tokio::test]
async fn a_deleted_row_is_caught() {
    for t in backends().await {
        append_entries(&t.db, 5).await;
        drop_append_only_guard(&t.db).await;
        raw(&t.db, "DELETE FROM audit_log WHERE sequence = 2").await;
        let broken = audit::verify(&t.db)
            .await
            .unwrap()
            .first_break
            .expect("caught");
        assert_eq!(broken.sequence, 3, "{}", t.label);
        assert_eq!(
            broken.problem,
            ChainProblem::MissingRows {
                missing_from: 2,
                missing_to: 2
            },
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn deleting_the_newest_rows_is_caught() {
    for t in backends().await {
        append_entries(&t.db, 5).await;
        drop_append_only_guard(&t.db).await;
        raw(&t.db, "DELETE FROM audit_log WHERE sequence >= 4").await;
        let broken = audit::verify(&t.db)
            .await
            .unwrap()
            .first_break
            .expect("caught");
        assert_eq!(broken.sequence, 4, "{}", t.label);
        assert_eq!(
            broken.problem,
            ChainProblem::TruncatedTail { head_sequence: 5 },
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn swapped_rows_are_caught_as_reordered() {
    for t in backends().await {
        append_entries(&t.db, 5).await;
        drop_append_only_guard(&t.db).await;
        // Swap the content of rows 2 and 3 (all but sequence and id), as if reordered.
        let columns = [
            "occurred_at",
            "actor_id",
            "actor",
            "action",
            "subject_type",
            "subject_id",
            "justification",
            "details_json",
            "prev_hash",
            "hash",
        ];
        let set: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    "{c} = (SELECT {c} FROM audit_copy o WHERE o.sequence = 5 - audit_log.sequence)"
                )
            })
            .collect();
        raw(&t.db, "CREATE TABLE audit_copy AS SELECT * FROM audit_log").await;
        // Two steps so the UNIQUE constraint on hash never sees a duplicate mid-statement.
        raw(
            &t.db,
            "UPDATE audit_log SET hash = 'tmp' || sequence WHERE sequence IN (2, 3)",
        )
        .await;
        let sql = format!(
            "UPDATE audit_log SET {} WHERE sequence IN (2, 3)",
            set.join(", ")
        );
        raw(&t.db, &sql).await;
        let broken = audit::verify(&t.db)
            .await
            .unwrap()
            .first_break
            .expect("caught");
        assert_eq!(broken.sequence, 2, "{}", t.label);
        assert_eq!(
            broken.problem,
            ChainProblem::Reordered {
                links_to_sequence: 3
            },
            "{}",
            t.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_stay_dense_and_chained() {
    for t in backends().await {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40 {
            let db = t.db.clone();
            tasks.spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let entry = AuditEntry::new(None, "tester", AuditAction::Collection, "person", i);
                let record = audit::append(&mut tx, entry).await.unwrap();
                // Hold the transaction a moment so appenders really overlap.
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                tx.commit().await.unwrap();
                record.sequence
            });
        }
        let mut sequences: Vec<i64> = tasks.join_all().await;
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=40).collect::<Vec<_>>(), "{}", t.label);
        let report = audit::verify(&t.db).await.unwrap();
        assert!(report.is_intact(), "{}: {:?}", t.label, report.first_break);
        assert_eq!(report.rows_checked, 40);
    }
}

#[tokio::test]
async fn a_rolled_back_append_leaves_no_trace() {
    for t in backends().await {
        append_entries(&t.db, 2).await;
        let mut tx = t.db.begin().await.unwrap();
        let entry = AuditEntry::new(None, "tester", AuditAction::Erasure, "person", "x");
        assert_eq!(audit::append(&mut tx, entry).await.unwrap().sequence, 3);
        tx.rollback().await.unwrap();
        assert_eq!(
            scalar(&t.db, "SELECT COUNT(*) FROM audit_log").await,
            2,
            "{}",
            t.label
        );
        append_entries(&t.db, 1).await;
        let report = audit::verify(&t.db).await.unwrap();
        assert!(report.is_intact(), "{}: {:?}", t.label, report.first_break);
        assert_eq!(report.rows_checked, 3);
    }
}
