//! `checkpoint retention run`: applies retention review dates (see `checkpoint_app::retention`).

use crate::database::open_app;
use anyhow::Context;
use checkpoint_app::Clock;
use checkpoint_app::reviews::SystemActor;
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Dispose of closed cases whose retention review date has come, pseudonymise people whose
    /// cases are all disposed of, and delete arrest-feed rows that matched nobody. Aggregate
    /// reports are unchanged; every erasure is written to the audit log. Run it daily.
    ///
    /// Example: checkpoint --database sqlite://checkpoint.db retention run --dry-run
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Report what would be done and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run: preview as if today were this date (YYYY-MM-DD), e.g. the end of the
    /// month. A real run always uses today.
    #[arg(long, value_name = "DATE", requires = "dry_run")]
    as_of: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub async fn run(command: RetentionCommand, database_url: &str) -> anyhow::Result<()> {
    let RetentionCommand::Run(args) = command;
    let clock = match args.as_of {
        Some(day) => {
            let noon = day
                .at(12, 0, 0, 0)
                .to_zoned(checkpoint_app::clock::london())
                .context("--as-of is not a date in Europe/London")?;
            Clock::manual(noon.timestamp())
        }
        None => Clock::System,
    };
    let app = open_app(database_url, clock).await?;
    let system = SystemActor::new("retention");
    let run = app.run_retention(&system, args.dry_run).await?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&run)?),
        Format::Text => {
            let verb = if run.dry_run { "would be" } else { "were" };
            println!("Retention review as of {}", run.today);
            println!("  {} case(s) {verb} disposed of", run.cases_disposed.len());
            println!(
                "  {} person(s) {verb} pseudonymised ({} event(s) redacted, {} text(s) cleaned, \
                 {} note(s) removed, {} linked arrest(s) rewritten)",
                run.people_pseudonymised,
                run.events_redacted,
                run.texts_cleaned,
                run.notes_removed,
                run.linked_arrests_pseudonymised
            );
            println!(
                "  {} unlinked arrest(s) from before {} {verb} deleted",
                run.unlinked_arrests_deleted, run.unlinked_arrests_before
            );
        }
    }
    Ok(())
}
