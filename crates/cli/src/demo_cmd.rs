//! `checkpoint demo generate`: synthetic programme data, deterministic for a seed, written as
//! CSV files (any scale; cases stream through with flat memory) or into a database — through the
//! real use cases (demo sizes) or, above a threshold or with `--bulk`, through the bulk path
//! (the same steps checked in memory, written in large batches). The generator is
//! `checkpoint-synth`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use checkpoint_synth::demo::{WriteOptions, WritePath};
use checkpoint_synth::records;
use checkpoint_synth::{Config, Generator};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Generate synthetic people, referrals, case trajectories and an arrest feed.
    ///
    /// Examples:
    ///   checkpoint demo generate --cases 1000000 --seed 7 --csv out/
    ///   checkpoint --database sqlite://demo.db demo generate --cases 500 --seed 7
    ///   checkpoint --database sqlite://big.db demo generate --cases 1000000 --seed 7
    ///   checkpoint demo generate --cases 20000 --seed 1 --csv out/ --trial-effect 0.35:0.48
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many custody referrals (cases) to generate.
    #[arg(long, default_value_t = 500)]
    pub cases: u64,
    /// Same seed, same data, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write people.csv, referrals.jsonl, cases.csv and arrests.csv into this directory
    /// instead of the database.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Randomise eligible Checkpoint referrals of the first two years into a trial whose true
    /// 24-month reoffending is TREATMENT:CONTROL (the Durham trial found 0.35:0.48). Into a
    /// database, the trial runs under a demo-only Durham Checkpoint version 3 (version 2 with
    /// `[trial]` switched on, in force for those two years); the report's arms recover the
    /// effect once the arrest feed is imported (`--arrest-feed`).
    #[arg(long, value_name = "TREATMENT:CONTROL", value_parser = parse_effect)]
    pub trial_effect: Option<(f64, f64)>,
    /// First and last referral day (YYYY-MM-DD); "today" in the generated world is the last.
    #[arg(long, default_value = "2019-01-01")]
    pub from: jiff::civil::Date,
    #[arg(long, default_value = "2026-06-30")]
    pub to: jiff::civil::Date,
    /// Password of the demo accounts created in the database (at least 12 characters).
    #[arg(long, default_value = checkpoint_synth::demo::DEMO_PASSWORD)]
    pub password: String,
    /// Write to the database through the bulk path: every step is checked as its use case
    /// checks it (policy engine, lifecycle, contract dates, caseload limit, trial allocation)
    /// but played in memory and written in batches of 2,000 cases, each batch one transaction
    /// with one audit row. Chosen by default above 5,000 cases; a million cases take minutes.
    #[arg(long, conflicts_with_all = ["use_cases", "csv"])]
    pub bulk: bool,
    /// Write to the database through the real use cases, one transaction per step, whatever
    /// the number of cases (about 50 cases per second; the default up to 5,000 cases).
    #[arg(long, conflicts_with = "csv")]
    pub use_cases: bool,
    /// After writing the cases to the database, import their later arrests (reoffences of
    /// participants, controls and decliners, and look-alike strangers, with identity noise)
    /// through the real arrest-feed import, which links them and records reoffending.
    #[arg(long, conflicts_with = "csv")]
    pub arrest_feed: bool,
}

fn parse_effect(text: &str) -> Result<(f64, f64), String> {
    let (t, c) = text
        .split_once(':')
        .ok_or("expected TREATMENT:CONTROL, e.g. 0.35:0.48")?;
    let parse = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..1.0).contains(p))
            .ok_or(format!("{s:?} is not a probability between 0 and 1"))
    };
    Ok((parse(t)?, parse(c)?))
}

pub fn config(args: &GenerateArgs) -> anyhow::Result<Config> {
    if args.from > args.to {
        bail!("--from {} is after --to {}", args.from, args.to);
    }
    let mut config = Config::new(args.seed, args.cases);
    config.first_referral = args.from;
    config.last_referral = args.to;
    config.as_of = args.to;
    if let Some((treatment, control)) = args.trial_effect {
        config = config.with_trial(treatment, control);
    }
    Ok(config)
}

pub async fn run(command: DemoCommand, database_url: &str) -> anyhow::Result<()> {
    match command {
        DemoCommand::Generate(args) => {
            let config = config(&args)?;
            match &args.csv {
                Some(dir) => write_csv(&config, dir),
                None => {
                    let path = if args.bulk {
                        WritePath::Bulk
                    } else if args.use_cases {
                        WritePath::UseCases
                    } else {
                        WritePath::choose(config.cases)
                    };
                    let options = WriteOptions {
                        path,
                        arrest_feed: args.arrest_feed,
                    };
                    write_database(&config, database_url, &args.password, options).await
                }
            }
        }
    }
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let template =
        format!("{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn csv_writer(dir: &Path, name: &str, header: &[&str]) -> anyhow::Result<csv::Writer<File>> {
    let path = dir.join(name);
    let mut writer = csv::Writer::from_path(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record(header)?;
    Ok(writer)
}

/// Counts of what was written, for the summary line and the benchmark.
#[derive(Debug, Default)]
struct Written {
    people: u64,
    cases: u64,
    arrests: u64,
}

fn write_csv(config: &Config, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let started = Instant::now();
    let generator = Generator::new(config.clone());
    let mut people = csv_writer(dir, "people.csv", &records::PEOPLE_HEADER)?;
    let mut cases = csv_writer(dir, "cases.csv", &records::CASES_HEADER)?;
    let mut arrests = csv_writer(dir, "arrests.csv", &records::ARRESTS_HEADER)?;
    let path = dir.join("referrals.jsonl");
    let mut referrals = BufWriter::new(
        File::create(&path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    let bar = progress_bar(config.cases, "generating");
    let mut written = Written::default();
    for generated in generator.iter() {
        if generated.case.introduces_person() {
            people.write_record(records::person_row(&generated))?;
            written.people += 1;
        }
        cases.write_record(records::case_row(&generated, config))?;
        writeln!(referrals, "{}", records::referral_json(&generated))?;
        for arrest in &generated.arrests {
            arrests.write_record(records::arrest_row(arrest))?;
            written.arrests += 1;
        }
        written.cases += 1;
        if written.cases % 1024 == 0 {
            bar.set_position(written.cases);
        }
    }
    bar.finish_and_clear();
    people.flush()?;
    cases.flush()?;
    arrests.flush()?;
    referrals.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "wrote {} cases, {} people, {} arrests to {} in {seconds:.2} s ({:.0} cases/s)",
        written.cases,
        written.people,
        written.arrests,
        dir.display(),
        written.cases as f64 / seconds.max(1e-9),
    );
    Ok(())
}

async fn write_database(
    config: &Config,
    url: &str,
    password: &str,
    options: WriteOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = checkpoint_store::Db::connect(url)
        .await
        .with_context(|| format!("cannot open database {url}"))?;
    db.migrate().await.context("migrating the database")?;
    let policies = match &config.trial {
        Some(design) => checkpoint_synth::demo::trial_policies(design)?,
        None => checkpoint_app::PolicyRegistry::shipped()?,
    };
    let app = checkpoint_app::App::new(
        db,
        policies,
        checkpoint_app::Clock::System,
        checkpoint_app::Settings::default(),
    );
    let bar = progress_bar(config.cases, "writing cases");
    let progress = |done: u64| bar.set_position(done);
    let summary =
        checkpoint_synth::demo::write_database_with(&app, config, password, options, &progress)
            .await
            .context("writing the demo data")?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!("{summary}");
    println!(
        "{} cases in {seconds:.1} s ({:.1} cases/s, {} path)",
        summary.cases,
        summary.cases as f64 / seconds.max(1e-9),
        options.path.as_str()
    );
    Ok(())
}
