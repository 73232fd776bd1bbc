//! `checkpoint`: one binary for a police-led diversion programme. Every subcommand is a thin
//! adapter over the domain, store and application crates; see ARCHITECTURE.md.

mod database;
mod demo_cmd;
mod export_cmd;
mod import_cmd;
mod link_cmd;
mod policy_cmd;
mod report_cmd;
mod retention_cmd;
mod serve_cmd;
mod user_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Checkpoint runs police-led diversion programmes, from the custody desk to the two-year
/// evaluation.
///
/// Start with `checkpoint policy eval --help` to decide a referral under a scheme's policy.
#[derive(Debug, Parser)]
#[command(name = "checkpoint", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    database: database::DatabaseArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the JSON API (and OpenAPI document at /api/openapi.json); migrates first.
    ///
    /// Example: checkpoint --database sqlite://checkpoint.db serve --bind 127.0.0.1:8080
    Serve(serve_cmd::ServeArgs),
    /// Accounts: add, list, disable, enable.
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// Eligibility policies: validate, run golden cases, decide a referral.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Create or upgrade the database schema.
    ///
    /// Example: checkpoint --database postgres://postgres@127.0.0.1/checkpoint migrate
    Migrate,
    /// The audit log: `checkpoint audit verify` checks its hash chain end to end.
    #[command(subcommand)]
    Audit(database::AuditCommand),
    /// The reports' read model: `check` compares it with the records, `rebuild` derives it
    /// again.
    ///
    /// Example: checkpoint --database postgres://postgres@127.0.0.1/checkpoint read-model check
    #[command(subcommand)]
    ReadModel(database::ReadModelCommand),
    /// Write a backup of the whole database.
    ///
    /// Example: checkpoint backup nightly.checkpoint-dump
    Backup(database::BackupArgs),
    /// Load a portable backup into an empty database (SQLite or PostgreSQL).
    ///
    /// Example: checkpoint --database sqlite://restored.db restore nightly.checkpoint-dump
    Restore(database::RestoreArgs),
    /// Synthetic demo data: `checkpoint demo generate` (CSV files or this database).
    #[command(subcommand)]
    Demo(demo_cmd::DemoCommand),
    /// Evaluation reports: funnel, reoffending, trial, disproportionality, cost, or all.
    ///
    /// Example: CHECKPOINT_PASSWORD=… checkpoint report all --user analyst --scheme durham-checkpoint --format csv --out all.csv
    Report(report_cmd::ReportArgs),
    /// Exports: a pseudonymised case extract (CSV or Parquet), or the Justice Data Lab file.
    #[command(subcommand)]
    Export(export_cmd::ExportCommand),
    /// Probabilistic record linkage of two CSV files (or one, deduplicated): trains without
    /// labels, scores every candidate pair and explains each field's weight.
    ///
    /// Example: checkpoint link --settings crates/linkage/tests/data/febrl.toml
    /// --left a.csv --right b.csv --out pairs.csv --best
    Link(link_cmd::LinkArgs),
    /// Import a feed: `checkpoint import arrests FEED.csv` links new arrests to participants.
    #[command(subcommand)]
    Import(import_cmd::ImportCommand),
    /// The stored linkage model: `train` without labels, `refit` from clerical decisions.
    #[command(subcommand)]
    Linkage(import_cmd::LinkageCommand),
    /// Retention review: `checkpoint retention run` disposes of and pseudonymises records past
    /// their review date, keeping aggregate reports unchanged.
    #[command(subcommand)]
    Retention(retention_cmd::RetentionCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => block_on(serve_cmd::run(args, &cli.database.url)),
        Command::User(command) => block_on(user_cmd::run(command, &cli.database.url)),
        Command::Policy(command) => policy_cmd::run(command),
        Command::Migrate => block_on(database::migrate(&cli.database.url)),
        Command::Audit(command) => block_on(database::audit(command, &cli.database.url)),
        Command::ReadModel(command) => block_on(database::read_model(command, &cli.database.url)),
        Command::Backup(args) => block_on(database::backup(args, &cli.database.url)),
        Command::Restore(args) => block_on(database::restore(args, &cli.database.url)),
        Command::Demo(command) => block_on(demo_cmd::run(command, &cli.database.url)),
        Command::Report(args) => block_on(report_cmd::run(args, &cli.database.url)),
        Command::Export(command) => block_on(export_cmd::run(command, &cli.database.url)),
        Command::Link(args) => link_cmd::run(&args),
        Command::Import(command) => block_on(import_cmd::run_import(command, &cli.database.url)),
        Command::Linkage(command) => block_on(import_cmd::run_linkage(command, &cli.database.url)),
        Command::Retention(command) => block_on(retention_cmd::run(command, &cli.database.url)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one async command to completion on a fresh multi-threaded runtime.
fn block_on<F: Future<Output = anyhow::Result<()>>>(future: F) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(future)
}
