//! `checkpoint`: one binary for a police-led diversion programme. Every subcommand is a thin
//! adapter over the domain, store and application crates; see ARCHITECTURE.md.

mod policy_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Checkpoint runs police-led diversion programmes, from the custody desk to the two-year
/// evaluation.
///
/// Start with `checkpoint policy eval --help` to decide a referral under a scheme's policy.
#[derive(Debug, Parser)]
#[command(name = "checkpoint", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Eligibility policies: validate, run golden cases, decide a referral.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(command) => policy_cmd::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
