//! `checkpoint import arrests FEED.csv` and `checkpoint linkage train|refit`: the arrest feed
//! for reoffending monitoring. The use cases (scoring, links, the clerical queue, case effects,
//! audit) are in `checkpoint_app::monitoring`; this file reads the file, writes the rejects
//! file, shows progress and prints the summary.
//!
//! The CLI acts as the system (`system:import:<source>` in the audit log): whoever can run it
//! already holds the database URL, so a user sign-in would add nothing.

use crate::database::open_app;
use anyhow::Context;
use checkpoint_app::monitoring::feed::{ParsedFeed, parse_feed};
use checkpoint_app::monitoring::{ImportOptions, Operator};
use checkpoint_app::reviews::SystemActor;
use checkpoint_app::{AppError, Clock};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Link a feed of new arrests to the people the programme knows, and act on the links.
    ///
    /// Bad rows go to FEED.rejects.csv (line, column, reason) and the good rows are imported,
    /// unless --all-or-nothing. Importing the same file again adds nothing.
    ///
    /// Example: checkpoint --database sqlite://checkpoint.db import arrests feed.csv --source custody-daily
    Arrests(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The feed (CSV with a header row): given_name, surname, dob, arrest_date; optionally
    /// arrest_ref (or reference, id), postcode, pnc_id, offence (or offence_category).
    pub feed: PathBuf,
    /// Refuse the whole feed if any row is bad; otherwise write it in one transaction.
    #[arg(long)]
    pub all_or_nothing: bool,
    /// Names the feed; arrest references are unique within a source.
    #[arg(long, default_value = "arrest-feed")]
    pub source: String,
    /// Rows per committed batch: a crash loses at most one batch, and a re-run resumes.
    #[arg(long, default_value_t = checkpoint_app::monitoring::DEFAULT_BATCH_ROWS)]
    pub batch_rows: usize,
}

#[derive(Debug, Subcommand)]
pub enum LinkageCommand {
    /// Train a linkage model without labels from the people and the stored arrests (or, while
    /// none are stored, a feed), and store it as the next version. Imports train
    /// automatically when no model is stored.
    Train {
        /// A feed to train on when no arrests are stored yet (it is not imported).
        #[arg(long)]
        feed: Option<PathBuf>,
    },
    /// Re-estimate the model's m probabilities from the clerical decisions so far and store it
    /// as the next version.
    Refit,
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} linking [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

/// `FEED.rejects.csv` beside the feed.
fn rejects_path(feed: &Path) -> PathBuf {
    let stem = feed.file_stem().unwrap_or_default().to_string_lossy();
    feed.with_file_name(format!("{stem}.rejects.csv"))
}

fn write_rejects(path: &Path, feed: &ParsedFeed) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut header = vec!["line".to_owned(), "column".to_owned(), "reason".to_owned()];
    header.extend(feed.header.iter().cloned());
    writer.write_record(&header)?;
    for reject in &feed.rejects {
        let mut row = vec![
            reject.line.to_string(),
            reject.column.clone().unwrap_or_default(),
            reject.reason.clone(),
        ];
        row.extend(reject.fields.iter().cloned());
        // Short rows are padded so every line has the header's width.
        row.resize(header.len().max(row.len()), String::new());
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

pub async fn run_import(command: ImportCommand, database_url: &str) -> anyhow::Result<()> {
    let ImportCommand::Arrests(args) = command;
    let started = Instant::now();
    let app = open_app(database_url, Clock::System).await?;
    let file = std::fs::File::open(&args.feed)
        .with_context(|| format!("cannot open {}", args.feed.display()))?;
    let feed = parse_feed(std::io::BufReader::new(file), app.clock().today())
        .with_context(|| format!("{}", args.feed.display()))?;
    let read_secs = started.elapsed().as_secs_f64();
    for reject in feed.rejects.iter().take(10) {
        eprintln!("{}: {}", args.feed.display(), reject.describe());
    }
    if feed.rejects.len() > 10 {
        eprintln!("… and {} more rejected rows", feed.rejects.len() - 10);
    }
    if !feed.rejects.is_empty() {
        let path = rejects_path(&args.feed);
        write_rejects(&path, &feed)?;
        eprintln!(
            "{} rejected row(s) written to {}",
            feed.rejects.len(),
            path.display()
        );
    }
    let system = SystemActor::new(format!("import:{}", args.source));
    let options = ImportOptions {
        source: args.source.clone(),
        all_or_nothing: args.all_or_nothing,
        batch_rows: args.batch_rows,
    };
    let bar = progress_bar(feed.rows.len() as u64);
    let result = app
        .import_arrests(Operator::System(&system), &feed, &options, &|n| bar.inc(n))
        .await;
    bar.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(AppError::Invalid(errors)) if args.all_or_nothing => {
            anyhow::bail!(
                "--all-or-nothing: {} bad row(s), nothing imported (first: {}: {})",
                errors.len(),
                errors[0].field,
                errors[0].message
            )
        }
        Err(e) => return Err(e.into()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "read {} rows ({} rejected, {} already imported): {} new — {} linked, {} for clerical \
         review, {} not linked; {} review(s) opened, {} reoffending event(s); model v{}{}",
        summary.rows_read,
        summary.rejected,
        summary.duplicates,
        summary.new,
        summary.linked,
        summary.queued_for_review,
        summary.not_linked,
        summary.reviews_opened,
        summary.reoffending_events,
        summary.model_version,
        if summary.model_trained {
            " (trained now)"
        } else {
            ""
        },
    );
    println!(
        "time: read {read_secs:.2}s, total {secs:.2}s ({:.0} rows/s)",
        summary.rows_read as f64 / secs.max(1e-9)
    );
    Ok(())
}

pub async fn run_linkage(command: LinkageCommand, database_url: &str) -> anyhow::Result<()> {
    let app = open_app(database_url, Clock::System).await?;
    let system = SystemActor::new("linkage-cli");
    let started = Instant::now();
    let stored = match command {
        LinkageCommand::Train { feed } => {
            let rows = match feed {
                Some(path) => {
                    let file = std::fs::File::open(&path)
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    parse_feed(std::io::BufReader::new(file), app.clock().today())
                        .with_context(|| format!("{}", path.display()))?
                        .rows
                }
                None => Vec::new(),
            };
            let feed = (!rows.is_empty()).then_some(rows.as_slice());
            app.train_linkage_model(Operator::System(&system), feed)
                .await?
        }
        LinkageCommand::Refit => app.refit_linkage_model(Operator::System(&system)).await?,
    };
    println!(
        "stored linkage model v{} ({}; {} people, {} arrests, {} labels) in {:.2}s",
        stored.version,
        stored.method,
        stored.people,
        stored.arrests,
        stored.labels,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
