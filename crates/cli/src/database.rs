//! `checkpoint migrate`, `checkpoint audit verify`, `checkpoint backup FILE`,
//! `checkpoint restore FILE` and `checkpoint read-model check|rebuild`: thin adapters over
//! `checkpoint-store` (and the app, for the read model's derivation).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use checkpoint_app::{App, Clock, PolicyRegistry, Settings};
use checkpoint_store::backup::{self, Summary};
use checkpoint_store::{AuditAction, AuditEntry, Db, audit};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

/// Where the database is; flatten into the top-level CLI so every command shares it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing), a bare file path, or
    /// `postgres://USER@HOST/DB`.
    #[arg(long = "database", env = "DATABASE_URL", global = true,
          default_value = checkpoint_store::DEFAULT_DATABASE_URL)]
    pub url: String,
}

/// The audit log (DPA 2018 s.62).
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain end to end; fails at the first broken link.
    Verify,
}

/// The reports' read model (`report_case_facts`), derived from the records.
#[derive(Debug, Subcommand)]
pub enum ReadModelCommand {
    /// Compare every stored row with a fresh derivation from the records; fails, naming the
    /// cases, if any differ.
    Check,
    /// Derive every case's row again (after a failed check).
    Rebuild,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist for a SQLite snapshot).
    pub file: PathBuf,
    /// `portable`: JSON lines that restore into an empty SQLite or PostgreSQL database.
    /// `sqlite-snapshot`: a consistent copy of a SQLite database file (`VACUUM INTO`).
    #[arg(long, value_enum, default_value_t = BackupFormat::Portable)]
    pub format: BackupFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackupFormat {
    Portable,
    SqliteSnapshot,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A portable dump written by `checkpoint backup`.
    pub file: PathBuf,
}

/// The name recorded as the actor of audit rows written from the command line.
fn cli_actor() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

async fn connect(url: &str) -> anyhow::Result<Db> {
    Db::connect(url)
        .await
        .with_context(|| format!("cannot open database {url}"))
}

/// The application over the database at `url`, migrated, with the shipped policies: what
/// every command that goes through the use cases starts from.
pub async fn open_app(url: &str, clock: Clock) -> anyhow::Result<App> {
    let db = Db::connect(url).await.context("cannot open the database")?;
    db.migrate().await.context("migration failed")?;
    let policies = PolicyRegistry::shipped().context("the shipped policies do not load")?;
    Ok(App::new(db, policies, clock, Settings::default()))
}

/// `checkpoint migrate`: create or upgrade the schema.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    db.migrate().await.context("migration failed")?;
    println!(
        "{} database is at schema version {}",
        db.backend().as_str(),
        db.schema_version()
    );
    db.close().await;
    Ok(())
}

/// `checkpoint audit …`. A broken chain is an error, so the process exits non-zero.
pub async fn audit(command: AuditCommand, url: &str) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => {
            let db = connect(url).await?;
            let report = audit::verify(&db)
                .await
                .context("cannot read the audit log")?;
            db.close().await;
            match report.first_break {
                None => {
                    println!("audit log intact: {} rows verified", report.rows_checked);
                    Ok(())
                }
                Some(link) => bail!(
                    "audit log broken at row {}: {link} ({} rows read)",
                    link.sequence,
                    report.rows_checked
                ),
            }
        }
    }
}

/// `checkpoint read-model …`. Rows that differ from their records are an error, so the
/// process exits non-zero.
pub async fn read_model(command: ReadModelCommand, url: &str) -> anyhow::Result<()> {
    let app = open_app(url, Clock::System).await?;
    let result = match command {
        ReadModelCommand::Check => {
            let check = app
                .check_report_projection()
                .await
                .context("cannot check the read model")?;
            println!(
                "report read model: {} rows checked, {} cases marked stale (derived afresh \
                 by the next report), {} wrong",
                check.checked,
                check.stale,
                check.wrong.len()
            );
            if check.wrong.is_empty() {
                Ok(())
            } else {
                const LISTED: usize = 20;
                let listed: Vec<String> = check
                    .wrong
                    .iter()
                    .take(LISTED)
                    .map(|id| id.to_string())
                    .collect();
                let more = check.wrong.len().saturating_sub(LISTED);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Err(anyhow::anyhow!(
                    "rows differ from their records for cases {}{more}; \
                     `checkpoint read-model rebuild` derives them again",
                    listed.join(", ")
                ))
            }
        }
        ReadModelCommand::Rebuild => {
            let derived = app
                .rebuild_report_projection()
                .await
                .context("cannot rebuild the read model")?;
            println!("report read model: {derived} rows derived again");
            Ok(())
        }
    };
    app.db().close().await;
    result
}

/// `checkpoint backup FILE`.
pub async fn backup(args: BackupArgs, url: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    match args.format {
        BackupFormat::Portable => {
            let summary = backup::backup(&db, &args.file)
                .await
                .with_context(|| format!("backup to {} failed", args.file.display()))?;
            print_summary("backed up", &summary, &args.file);
        }
        BackupFormat::SqliteSnapshot => {
            backup::snapshot_sqlite(&db, &args.file)
                .await
                .with_context(|| format!("snapshot to {} failed", args.file.display()))?;
            println!("SQLite snapshot written to {}", args.file.display());
        }
    }
    // A backup copies every person's data out of the system: log it as a disclosure.
    record(&db, AuditAction::Disclosure, &args.file, "backup").await?;
    db.close().await;
    Ok(())
}

/// `checkpoint restore FILE`: migrates the (empty) target, then loads the dump into it.
pub async fn restore(args: RestoreArgs, url: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    db.migrate().await.context("migration failed")?;
    let summary = backup::restore(&db, &args.file)
        .await
        .with_context(|| format!("restore from {} failed", args.file.display()))?;
    print_summary("restored", &summary, &args.file);
    let report = audit::verify(&db).await?;
    if let Some(link) = report.first_break {
        bail!("restored, but the audit log does not verify: {link}");
    }
    record(&db, AuditAction::Collection, &args.file, "restore").await?;
    db.close().await;
    Ok(())
}

async fn record(db: &Db, action: AuditAction, file: &Path, what: &str) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let entry = AuditEntry::new(None, cli_actor(), action, "database", file.display())
        .with_justification(what)
        .with_details(json!({ "operation": what }));
    audit::append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

fn print_summary(verb: &str, summary: &Summary, file: &Path) {
    println!("{verb} {} rows ({})", summary.total_rows(), file.display());
    for (table, rows) in &summary.rows {
        println!("  {table:<24} {rows:>10}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrate_backup_restore_and_verify_work_end_to_end() {
        let dir = tempfile::tempdir().unwrap();
        let source = format!("sqlite://{}", dir.path().join("a.db").display());
        let target = format!("sqlite://{}", dir.path().join("b.db").display());
        let dump = dir.path().join("dump.jsonl");

        migrate(&source).await.unwrap();
        let args = BackupArgs {
            file: dump.clone(),
            format: BackupFormat::Portable,
        };
        backup(args, &source).await.unwrap();
        restore(RestoreArgs { file: dump.clone() }, &target)
            .await
            .unwrap();
        audit(AuditCommand::Verify, &target).await.unwrap();
        // The target now has data: a second restore is refused.
        let error = restore(RestoreArgs { file: dump }, &target)
            .await
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("needs an empty database"),
            "{error:#}"
        );
    }

    #[tokio::test]
    async fn verify_fails_on_a_tampered_log() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        migrate(&url).await.unwrap();
        let snapshot = BackupArgs {
            file: dir.path().join("snap.db"),
            format: BackupFormat::SqliteSnapshot,
        };
        backup(snapshot, &url).await.unwrap(); // writes one audit row
        let Db::Sqlite(pool) = connect(&url).await.unwrap() else {
            unreachable!()
        };
        sqlx::raw_sql(
            "DROP TRIGGER audit_log_append_only_update; \
             UPDATE audit_log SET justification = 'nothing to see' WHERE sequence = 1;",
        )
        .execute(&pool)
        .await
        .unwrap();
        let error = audit(AuditCommand::Verify, &url).await.unwrap_err();
        assert!(format!("{error}").contains("broken at row 1"), "{error}");
    }
}
