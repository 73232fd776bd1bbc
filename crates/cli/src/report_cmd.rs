//! `checkpoint report funnel|reoffending|trial|disproportionality|cost|all`: evaluation
//! reports as HTML (with SVG charts), CSV or JSON, for a signed-in analyst or supervisor. The
//! report use case authorises, suppresses small numbers and writes the audit row; this file
//! only parses arguments, reads the settings file and writes the output.

use crate::database::open_app;
use anyhow::{Context, bail};
use checkpoint_app::reports::{ReportConfig, ReportName, ReportQuery};
use checkpoint_app::{Actor, App, Clock};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The environment variable holding the signed-in user's password for scripts.
pub const PASSWORD_ENV: &str = "CHECKPOINT_PASSWORD";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportArg {
    Funnel,
    Reoffending,
    Trial,
    Disproportionality,
    Cost,
    All,
}

impl From<ReportArg> for ReportName {
    fn from(arg: ReportArg) -> ReportName {
        match arg {
            ReportArg::Funnel => ReportName::Funnel,
            ReportArg::Reoffending => ReportName::Reoffending,
            ReportArg::Trial => ReportName::Trial,
            ReportArg::Disproportionality => ReportName::Disproportionality,
            ReportArg::Cost => ReportName::Cost,
            ReportArg::All => ReportName::All,
        }
    }
}

/// Who runs the command: a real account, signed in, so the audit log names them.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Username of an analyst or supervisor.
    #[arg(long = "user", env = "CHECKPOINT_USER")]
    pub username: String,
    /// Read the password from standard input (otherwise from CHECKPOINT_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,
}

/// Which cases.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Only this scheme (e.g. durham-checkpoint).
    #[arg(long)]
    pub scheme: Option<String>,
    /// First referral date included (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<Date>,
    /// Last referral date included (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<Date>,
}

impl SelectionArgs {
    pub fn query(&self) -> ReportQuery {
        ReportQuery {
            scheme: self.scheme.clone(),
            from: self.from,
            to: self.to,
        }
    }
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum)]
    pub report: ReportArg,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Settings file (TOML); see reports.example.toml. Flags below override it.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Counts below this are withheld (default: the scheme policy's, 10).
    #[arg(long)]
    pub suppression_threshold: Option<u64>,
    /// Months allowed for proof after a window (proven measure; MoJ: 6).
    #[arg(long)]
    pub proof_lag_months: Option<u8>,
    /// Follow-up windows in months, comma-separated (default: the scheme policy's).
    #[arg(long, value_delimiter = ',')]
    pub follow_up_months: Option<Vec<u8>>,
    #[command(flatten)]
    pub sign_in: SignInArgs,
}

/// Reads the password from standard input or the environment, never from an argument.
pub fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the password from standard input")?;
        let password = text.strip_suffix('\n').unwrap_or(&text);
        return Ok(password.strip_suffix('\r').unwrap_or(password).to_owned());
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(password) if !password.is_empty() => Ok(password),
        _ => bail!(
            "give the password with --password-stdin or the {PASSWORD_ENV} environment variable"
        ),
    }
}

/// Opens the database (migrating it) and signs the user in.
pub async fn open_and_sign_in(
    database_url: &str,
    sign_in: &SignInArgs,
) -> anyhow::Result<(App, Actor)> {
    let password = read_password(sign_in.password_stdin)?;
    let app = open_app(database_url, Clock::System).await?;
    let session = app
        .sign_in(&sign_in.username, &password)
        .await
        .with_context(|| format!("cannot sign in as {}", sign_in.username))?;
    Ok((app, session.actor))
}

/// The settings file, if any, with flags applied on top.
pub fn load_config(args: &ReportArgs) -> anyhow::Result<ReportConfig> {
    let mut config = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("{}", path.display()))?
        }
        None => ReportConfig::default(),
    };
    if let Some(threshold) = args.suppression_threshold {
        config.suppression_threshold = Some(threshold);
    }
    if let Some(lag) = args.proof_lag_months {
        config.proof_lag_months = lag;
    }
    if let Some(months) = &args.follow_up_months {
        config.follow_up_months = Some(months.clone());
    }
    Ok(config)
}

/// Writes `text` to `out` or standard output.
pub fn write_output(out: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

pub async fn run(args: ReportArgs, database_url: &str) -> anyhow::Result<()> {
    let config = load_config(&args)?;
    let (app, actor) = open_and_sign_in(database_url, &args.sign_in).await?;
    let name = ReportName::from(args.report);
    let bundle = app
        .report(&actor, name, &args.selection.query(), &config)
        .await?;
    let output = match args.format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&bundle)?;
            text.push('\n');
            text
        }
        ReportFormat::Csv => bundle.to_csv(),
        ReportFormat::Html => checkpoint_web::views::reports::standalone_html(&bundle),
    };
    write_output(args.out.as_deref(), output.as_bytes())?;
    app.db().close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_settings_file_parses() {
        let config: ReportConfig =
            toml::from_str(include_str!("../../../reports.example.toml")).expect("example");
        assert_eq!(config.proof_lag_months, 6);
        assert_eq!(config.costs.navigator_hours_per_appointment, 1.0);
    }
}
