//! `checkpoint user add/list/disable/enable`: accounts, managed by the local operator.
//! These go through the same use cases as the admin API (with no signed-in actor, which the
//! audit row records as `cli-operator`), so the same checks and audit rows apply.

use crate::database::open_app;
use anyhow::{Context, bail};
use checkpoint_app::{App, Clock, NewAccount, Role};
use clap::{Args, Subcommand};
use std::io::Read;

/// The environment variable scripts may use to pass a new account's password.
pub const PASSWORD_ENV: &str = "CHECKPOINT_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    ///
    /// The password is read from standard input with `--password-stdin`, or else from the
    /// CHECKPOINT_PASSWORD environment variable; it is never an argument (arguments show in
    /// `ps`) and never echoed.
    ///
    /// Example: printf '%s' "$PW" | checkpoint user add nav.north.1 --role navigator --team north --password-stdin
    Add(AddArgs),
    /// List every account.
    List,
    /// Disable an account; its sessions stop working at once.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub username: String,
    /// custody_officer, navigator, supervisor, analyst or admin.
    #[arg(long)]
    pub role: Role,
    /// The team (navigators see their own team's cases).
    #[arg(long)]
    pub team: Option<String>,
    /// The name shown in the UI and on case timelines (default: the username).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from standard input (one line; a trailing newline is dropped).
    #[arg(long)]
    pub password_stdin: bool,
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the password from standard input")?;
        let password = text.strip_suffix('\n').unwrap_or(&text);
        let password = password.strip_suffix('\r').unwrap_or(password);
        return Ok(password.to_owned());
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(password) if !password.is_empty() => Ok(password),
        _ => bail!(
            "give the password with --password-stdin or the {PASSWORD_ENV} environment variable"
        ),
    }
}

pub async fn run(command: UserCommand, database_url: &str) -> anyhow::Result<()> {
    // Read the password before touching the database, so a missing one fails fast.
    let password = match &command {
        UserCommand::Add(args) => Some(read_password(args.password_stdin)?),
        _ => None,
    };
    let app = open_app(database_url, Clock::System).await?;
    let result = match command {
        UserCommand::Add(args) => {
            let account = app
                .create_account(
                    None,
                    NewAccount {
                        display_name: args.display_name.unwrap_or_else(|| args.username.clone()),
                        username: args.username,
                        role: args.role,
                        team: args.team,
                        password: password.unwrap_or_default(),
                    },
                )
                .await
                .map_err(anyhow::Error::from);
            account.map(|a| println!("created {} ({}), id {}", a.username, a.role, a.id))
        }
        UserCommand::List => app
            .list_accounts(None)
            .await
            .map_err(anyhow::Error::from)
            .map(|accounts| {
                println!(
                    "{:<24} {:<16} {:<12} {:<8} NAME",
                    "USERNAME", "ROLE", "TEAM", "STATUS"
                );
                for a in accounts {
                    println!(
                        "{:<24} {:<16} {:<12} {:<8} {}",
                        a.username,
                        a.role.as_str(),
                        a.team.as_deref().unwrap_or("-"),
                        if a.disabled { "disabled" } else { "active" },
                        a.display_name
                    );
                }
            }),
        UserCommand::Disable { username } => set_disabled(&app, &username, true).await,
        UserCommand::Enable { username } => set_disabled(&app, &username, false).await,
    };
    app.db().close().await;
    result
}

async fn set_disabled(app: &App, username: &str, disabled: bool) -> anyhow::Result<()> {
    let account = app.set_account_disabled(None, username, disabled).await?;
    println!(
        "{} is now {}",
        account.username,
        if account.disabled {
            "disabled"
        } else {
            "active"
        }
    );
    Ok(())
}
