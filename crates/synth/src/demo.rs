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

use crate::generator::Config;
use crate::time::plus_days;
use checkpoint_app::{App, AppError, Role};
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

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Generator(String),
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

/// Fills the database behind `app` with demo data, or reuses what a previous run left:
/// `cases` cases referred over the two years to yesterday (deterministic for `seed`), cases
/// in every state the use cases can reach, and one login per role plus navigators in two
/// teams, all with [`DEMO_PASSWORD`]. For `checkpoint serve --demo`.
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
    write_database(app, &config, DEMO_PASSWORD, &|_| {}).await
}

/// Plays `config`'s cases through the use cases into `app`'s database. `progress` is called
/// with the number of cases referred so far.
pub async fn write_database(
    app: &App,
    config: &Config,
    password: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DemoSummary, DemoError> {
    write_database_with(app, config, password, WritePath::UseCases, progress).await
}

/// Writes `config`'s cases into `app`'s database by the given path. `progress` is called with
/// the number of cases written (referred, on the use-case path) so far.
pub async fn write_database_with(
    app: &App,
    config: &Config,
    password: &str,
    path: WritePath,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<DemoSummary, DemoError> {
    match path {
        WritePath::UseCases => {
            let mut summary = driver::run(app, config, password, progress).await?;
            summary.states = count_states(app).await?;
            Ok(summary)
        }
        WritePath::Bulk => bulk::run(app, config, password, progress).await,
    }
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
