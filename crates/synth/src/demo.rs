//! Demo data in a real database (feature `app`): the generated cases are played through the
//! real use cases on an `App` whose clock is moved through time, so every decision is made by
//! the policy engine, every row has its audit entry and every state is reached legitimately.
//!
//! Cases are interleaved in time order with a queue of (time, case, step): when the clock
//! reaches a step, the use case for it runs as the right person (custody officer, navigator,
//! supervisor). Where the system answers differently from the plan (the policy's advice, the
//! trial's allocation), the case is re-planned from that answer ([`crate::Branches`]).
//!
//! This is the use-case path, for demo sizes (hundreds to a few thousand cases). The bulk path
//! ([`WritePath::Bulk`], `bulk.rs`) plays the same steps in memory, checked as the use cases
//! check them, and writes the resulting rows with `checkpoint_store::bulk`: a million cases in
//! minutes. [`WritePath::choose`] picks between them.

pub mod allocation;
pub mod bulk;
mod driver;
mod staff;

use crate::arrests::{self, Arrest};
use crate::generator::{Config, Generator, SynthCase, TrialDesign};
use crate::records;
use crate::time::{at, plus_days};
use crate::trajectory::Trajectory;
use checkpoint_app::monitoring::feed::parse_feed;
use checkpoint_app::monitoring::{ImportOptions, ImportSummary, Operator};
use checkpoint_app::reviews::SystemActor;
use checkpoint_app::{App, AppError, PolicyRegistry, Role};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::StoreError;
use std::collections::BTreeMap;
use std::fmt;

pub use staff::DemoLogin;

/// Logins printed in full; a bulk load's many navigators are summarised after them.
const LOGINS_SHOWN: usize = 10;

/// The password of every demo account (printed by `serve --demo` and `demo generate`).
pub const DEMO_PASSWORD: &str = "checkpoint-demo";

/// How cases reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePath {
    /// Through the application's use cases (authorised, audited, policy-decided).
    UseCases,
    /// The same steps played in memory and written in large batches, one audit row each.
    Bulk,
}

/// Above this many cases `demo generate --database` takes the bulk path unless told otherwise.
pub const BULK_THRESHOLD: u64 = 5_000;

impl WritePath {
    /// The bulk path above [`BULK_THRESHOLD`] cases, the use cases below it.
    pub fn choose(cases: u64) -> WritePath {
        if cases > BULK_THRESHOLD {
            WritePath::Bulk
        } else {
            WritePath::UseCases
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WritePath::UseCases => "use cases",
            WritePath::Bulk => "bulk",
        }
    }
}

/// How to write a demo database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    pub path: WritePath,
    /// After the cases, import their later arrests (the arrest feed, with its identity noise
    /// and unrelated people) through the real import use case, so reoffending is linked and
    /// recorded as it would be in service.
    pub arrest_feed: bool,
}

impl From<WritePath> for WriteOptions {
    fn from(path: WritePath) -> WriteOptions {
        WriteOptions {
            path,
            arrest_feed: false,
        }
    }
}

/// The system actor the demo's arrest feed is imported as.
pub const FEED_ACTOR: &str = "synthetic-arrest-feed";

/// The source name of the demo's arrest feed (references are unique within it).
pub const FEED_SOURCE: &str = "synthetic arrest feed";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Generator(String),
    #[error("the demo's trial policy: {0}")]
    Policy(String),
}

/// What a demo run produced.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    /// Cases created by this run (0 when existing demo data was reused).
    pub cases: u64,
    /// False when the database already held demo data and it was reused.
    pub created: bool,
    pub logins: Vec<DemoLogin>,
    /// Cases per lifecycle state at the end.
    pub states: BTreeMap<CaseState, i64>,
    /// Use cases run.
    pub steps_run: u64,
    /// Planned steps the application has no use case for yet, by name, with counts: the case
    /// stops there.
    pub missing_use_cases: BTreeMap<&'static str, u64>,
    /// Cases stopped by an error from a use case (the first few messages are in `notes`).
    pub failed_cases: u64,
    pub notes: Vec<String>,
    /// What importing the arrest feed did, when it was imported.
    pub arrest_feed: Option<ImportSummary>,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.created {
            writeln!(f, "Demo data: {} cases created.", self.cases)?;
        } else {
            writeln!(f, "Demo data already present: reused.")?;
        }
        writeln!(f, "Cases by state:")?;
        for (state, n) in &self.states {
            writeln!(f, "  {:<24} {n}", state.as_str())?;
        }
        if !self.missing_use_cases.is_empty() {
            writeln!(f, "Steps with no use case yet (cases wait there):")?;
            for (step, n) in &self.missing_use_cases {
                writeln!(f, "  {step:<24} {n}")?;
            }
        }
        if self.failed_cases > 0 {
            writeln!(f, "{} cases stopped by an error.", self.failed_cases)?;
        }
        if let Some(feed) = &self.arrest_feed {
            writeln!(
                f,
                "Arrest feed: {} arrests, {} linked, {} for clerical review, {} not linked; \
                 {} reoffending events, {} reviews opened.",
                feed.rows_read,
                feed.linked,
                feed.queued_for_review,
                feed.not_linked,
                feed.reoffending_events,
                feed.reviews_opened
            )?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        writeln!(f, "Demo logins (password {:?}):", DEMO_PASSWORD)?;
        for login in self.logins.iter().take(LOGINS_SHOWN) {
            writeln!(
                f,
                "  {:<22} {:<16} {}",
                login.username,
                login.role.as_str(),
                login.team.as_deref().unwrap_or("")
            )?;
        }
        if let Some(last) = self
            .logins
            .last()
            .filter(|_| self.logins.len() > LOGINS_SHOWN)
        {
            writeln!(
                f,
                "  … and {} more navigators, up to {}",
                self.logins.len() - LOGINS_SHOWN,
                last.username
            )?;
        }
        Ok(())
    }
}

/// The demo's randomised trial: referrals to Durham Checkpoint in the first of the demo's two
/// years are randomised (once eligible), with the published effect as the true one (35%
/// against 48% reoffending within 24 months). Needs [`trial_policies`].
pub fn demo_trial(today: jiff::civil::Date) -> TrialDesign {
    let from = plus_days(today, -730);
    TrialDesign {
        to: plus_days(today, -366),
        ..TrialDesign::published(from)
    }
}

/// The shipped policies plus a demo-only version of Durham Checkpoint that runs the trial:
/// version 3, a copy of version 2 with its `[trial]` switched on, in force only from the
/// trial's first day to its last (version 2 applies before and after). The shipped policies
/// themselves never randomise; a real force would publish such a version for its trial period.
pub fn trial_policies(design: &TrialDesign) -> Result<PolicyRegistry, DemoError> {
    let (_, base) = checkpoint_app::policies::SHIPPED
        .iter()
        .find(|(file, _)| *file == "durham-checkpoint-2017.toml")
        .ok_or_else(|| DemoError::Policy("durham-checkpoint-2017.toml is not shipped".into()))?;
    let mut text = (*base).to_owned();
    for (old, new) in [
        ("\nversion = 2\n", "\nversion = 3\n".to_owned()),
        (
            "\nname = \"Durham Checkpoint (from December 2017)\"\n",
            "\nname = \"Durham Checkpoint (randomised trial period, synthetic demo)\"\n".to_owned(),
        ),
        (
            "\neffective_from = 2017-12-01\n",
            format!(
                "\neffective_from = {}\neffective_to = {}\n",
                design.from, design.to
            ),
        ),
        (
            "\n[trial]\nenabled = false\n",
            "\n[trial]\nenabled = true\n".to_owned(),
        ),
    ] {
        if !text.contains(old) {
            return Err(DemoError::Policy(format!(
                "durham-checkpoint-2017.toml no longer contains {:?}",
                old.trim()
            )));
        }
        text = text.replacen(old, &new, 1);
    }
    let sources = checkpoint_app::policies::SHIPPED
        .iter()
        .map(|(file, text)| (*file, *text))
        .chain([("durham-checkpoint-demo-trial.toml", text.as_str())]);
    PolicyRegistry::from_sources(sources).map_err(|e| DemoError::Policy(e.to_string()))
}

/// Fills the database behind `app` with demo data, or reuses what a previous run left:
/// `cases` cases referred over the two years to yesterday (deterministic for `seed`), cases
/// in every state the use cases can reach, and one login per role plus navigators in two
/// teams, all with [`DEMO_PASSWORD`]. Referrals of the first year run in the trial of
/// [`demo_trial`] when `app`'s policies enable it ([`trial_policies`]), and the cases' later
/// arrests are imported through the arrest feed, so the reoffending and trial reports have
/// something to show. For `checkpoint serve --demo`.
pub async fn seed_demo(app: &App, cases: usize, seed: u64) -> Result<DemoSummary, DemoError> {
    if let Some(logins) = staff::existing(app).await? {
        return Ok(DemoSummary {
            created: false,
            logins,
            states: count_states(app).await?,
            ..DemoSummary::default()
        });
    }
    let today = app.clock().today();
    let mut config = Config::new(seed, cases as u64);
    config.first_referral = plus_days(today, -730);
    config.last_referral = plus_days(today, -1);
    config.as_of = today;
    config.trial = Some(demo_trial(today));
    let options = WriteOptions {
        path: WritePath::UseCases,
        arrest_feed: true,
    };
    write_database_with(app, &config, DEMO_PASSWORD, options, &|_| {}).await
}

/// Plays `config`'s cases through the use cases into `app`'s database. `progress` is called
/// with the number of cases referred so far.
pub async fn write_database(
    app: &App,
    config: &Config,
    password: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DemoSummary, DemoError> {
    write_database_with(app, config, password, WritePath::UseCases.into(), progress).await
}

/// Writes `config`'s cases into `app`'s database as `options` say. `progress` is called with
/// the number of cases written (referred, on the use-case path) so far.
pub async fn write_database_with(
    app: &App,
    config: &Config,
    password: &str,
    options: WriteOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DemoSummary, DemoError> {
    let (mut summary, arrests) = match options.path {
        WritePath::UseCases => {
            let (mut summary, arrests) =
                driver::run(app, config, password, options.arrest_feed, progress).await?;
            summary.states = count_states(app).await?;
            (summary, arrests)
        }
        WritePath::Bulk => bulk::run(app, config, password, options.arrest_feed, progress).await?,
    };
    if options.arrest_feed {
        summary.arrest_feed = Some(import_arrest_feed(app, config, &arrests).await?);
    }
    // Derive the reports' read model now, so the first report does not wait for it.
    app.refresh_report_projection().await?;
    Ok(summary)
}

/// A case's later arrests as the arrest feed carries them (reoffences from the plan the case
/// ended with, and arrests of unrelated people who look alike), up to the data's "today".
pub(crate) fn case_arrests(
    generator: &Generator,
    case: &SynthCase,
    plan: &Trajectory,
) -> Vec<Arrest> {
    let config = generator.config();
    let mut out = arrests::for_case(
        config.seed,
        case.index,
        &case.person,
        case.referral_date(),
        plan,
        config.unrelated_arrests_per_case,
    );
    out.retain(|a| a.arrest_date <= config.as_of);
    out
}

/// Imports the arrest feed through the real use case, as the system actor [`FEED_ACTOR`], at
/// the data's "today" (or now, if that is earlier).
async fn import_arrest_feed(
    app: &App,
    config: &Config,
    arrests: &[Arrest],
) -> Result<ImportSummary, DemoError> {
    let mut csv = String::new();
    let line = |fields: Vec<String>| -> String {
        let quoted: Vec<String> = fields
            .into_iter()
            .map(|f| {
                if f.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f
                }
            })
            .collect();
        quoted.join(",") + "\n"
    };
    csv.push_str(&line(
        records::ARRESTS_HEADER
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
    ));
    for arrest in arrests {
        csv.push_str(&line(records::arrest_row(arrest)));
    }
    let at_end = at(config.as_of, 23, 59).min(app.clock().now());
    let feed_app = App::new(
        app.db().clone(),
        app.policies().clone(),
        checkpoint_app::Clock::manual(at_end),
        app.settings().clone(),
    );
    let feed = parse_feed(csv.as_bytes(), crate::time::date_of(at_end))
        .map_err(|e| DemoError::Generator(format!("the synthetic arrest feed: {e}")))?;
    let system = SystemActor::new(FEED_ACTOR);
    Ok(feed_app
        .import_arrests(
            Operator::System(&system),
            &feed,
            &ImportOptions::new(FEED_SOURCE),
            &|_| {},
        )
        .await?)
}

/// Cases per state, from the database.
pub async fn count_states(app: &App) -> Result<BTreeMap<CaseState, i64>, DemoError> {
    let mut tx = app.db().begin_read().await?;
    let mut states = BTreeMap::new();
    for state in CaseState::ALL {
        let n = checkpoint_store::cases::in_state(&mut tx, state)
            .await?
            .len();
        if n > 0 {
            states.insert(state, n as i64);
        }
    }
    tx.rollback().await?;
    Ok(states)
}

/// The role names, for callers that print logins.
pub fn role_label(role: Role) -> &'static str {
    role.label()
}
