//! Backups: the portable dump round-trips on each backend and across them; restore refuses a
//! database that has data; the dump covers every column of every table.

use std::path::Path;

use checkpoint_store::backup::{self, TABLES};
use checkpoint_store::{Db, StoreError, audit};

use crate::fixtures::populate;
use crate::helpers::{TestDb, backends, fresh};

/// The data lines of a dump (everything but the header, whose timestamp differs).
fn rows_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().skip(1).map(str::to_owned).collect()
}

async fn populated(t: &TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    populate(&mut tx).await;
    tx.commit().await.unwrap();
}

async fn round_trip(source: &TestDb, target: &Db, dir: &Path) {
    let first = dir.join(format!("from-{}.jsonl", source.label));
    let summary = backup::backup(&source.db, &first).await.unwrap();
    assert!(
        summary.rows.iter().all(|(_, n)| *n > 0),
        "every table has rows: {:?}",
        summary.rows
    );

    let restored = backup::restore(target, &first).await.unwrap();
    assert_eq!(restored, summary);
    let second = dir.join("again.jsonl");
    backup::backup(target, &second).await.unwrap();
    assert_eq!(
        rows_of(&first),
        rows_of(&second),
        "{} -> {:?}",
        source.label,
        target.backend()
    );

    let report = audit::verify(target).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.first_break);
    assert_eq!(report.rows_checked, 6);

    // The restored database keeps working: the next audit row chains on.
    let mut tx = target.begin().await.unwrap();
    let entry = checkpoint_store::AuditEntry::new(
        None,
        "system",
        checkpoint_store::AuditAction::Consultation,
        "backup",
        "restore-check",
    );
    assert_eq!(audit::append(&mut tx, entry).await.unwrap().sequence, 7);
    tx.commit().await.unwrap();
    assert!(audit::verify(target).await.unwrap().is_intact());
}

#[tokio::test]
async fn a_dump_restores_into_an_empty_database_of_the_same_backend() {
    for t in backends().await {
        populated(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let target = fresh(t.label).await.unwrap();
        round_trip(&t, &target.db, dir.path()).await;
    }
}

#[tokio::test]
async fn a_dump_restores_across_backends() {
    let all = backends().await;
    if all.len() < 2 {
        return; // PostgreSQL not configured (and not required): nothing to cross to.
    }
    for t in &all {
        populated(t).await;
        let other = if t.label == "sqlite" {
            "postgres"
        } else {
            "sqlite"
        };
        let target = fresh(other).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        round_trip(t, &target.db, dir.path()).await;
    }
}

#[tokio::test]
async fn restore_refuses_a_database_with_data() {
    for t in backends().await {
        populated(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.jsonl");
        backup::backup(&t.db, &path).await.unwrap();
        let error = backup::restore(&t.db, &path).await.unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::RestoreTargetNotEmpty {
                    table: "users",
                    rows: 2
                }
            ),
            "{}: {error:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn a_truncated_dump_is_refused_and_restores_nothing() {
    for t in backends().await {
        populated(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.jsonl");
        backup::backup(&t.db, &path).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let cut: Vec<&str> = text.lines().collect();
        std::fs::write(&path, cut[..cut.len() - 3].join("\n")).unwrap();

        let target = fresh(t.label).await.unwrap();
        let error = backup::restore(&target.db, &path).await.unwrap_err();
        assert!(matches!(error, StoreError::BadBackup(_)), "{error:?}");
        let counts = backup::row_counts(&target.db).await.unwrap();
        assert!(counts.iter().all(|(_, n)| *n == 0), "{counts:?}");
    }
}

#[tokio::test]
async fn a_row_the_database_refuses_names_its_lines_and_restores_nothing() {
    for t in backends().await {
        populated(&t).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.jsonl");
        backup::backup(&t.db, &path).await.unwrap();
        // The first user's row twice: the second copy breaks the primary key. Rows are
        // written many to a statement, so the error names the lines of that statement.
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].ends_with(r#""t":"users"}"#), "{}", lines[1]);
        lines.insert(2, lines[1]);
        std::fs::write(&path, lines.join("\n")).unwrap();

        let target = fresh(t.label).await.unwrap();
        let error = backup::restore(&target.db, &path).await.unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, StoreError::BadBackup(_))
                && message.contains("lines 2-4 (users, 3 rows)"),
            "{}: {message}",
            t.label
        );
        let counts = backup::row_counts(&target.db).await.unwrap();
        assert!(counts.iter().all(|(_, n)| *n == 0), "{counts:?}");
    }
}

#[tokio::test]
async fn the_dump_covers_every_table_and_column() {
    for t in backends().await {
        let mut expected: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
        expected.sort();
        assert_eq!(
            backup::schema_tables(&t.db).await.unwrap(),
            expected,
            "{}",
            t.label
        );
        for table in TABLES {
            let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            assert_eq!(
                backup::schema_columns(&t.db, table.name).await.unwrap(),
                columns,
                "{}",
                table.name
            );
        }
    }
}

#[tokio::test]
async fn a_sqlite_snapshot_is_a_working_copy() {
    let t = crate::helpers::sqlite().await;
    populated(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.db");
    backup::snapshot_sqlite(&t.db, &path).await.unwrap();
    let copy = Db::connect(path.to_str().unwrap()).await.unwrap();
    assert_eq!(
        backup::row_counts(&copy).await.unwrap(),
        backup::row_counts(&t.db).await.unwrap()
    );
    assert!(audit::verify(&copy).await.unwrap().is_intact());
    let error = backup::restore(&copy, &path).await.unwrap_err();
    assert!(matches!(error, StoreError::BadBackup(_)), "{error:?}");
}
