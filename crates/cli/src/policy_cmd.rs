//! `checkpoint policy …`: validate policy files, run their golden cases, decide one referral.

use anyhow::{Context, Result, bail};
use checkpoint_domain::policy::{Policy, golden};
use checkpoint_domain::referral::Referral;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate policy files: unknown keys, impossible ranges, overlapping or unreachable
    /// decision-table rows. Errors read FILE:LINE:COLUMN.
    ///
    /// Example: checkpoint policy check policies/durham-checkpoint-2017.toml
    Check {
        /// Policy files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run each policy's golden cases (FILE.golden.json beside FILE.toml); exits non-zero on any
    /// failure. With no files, tests every policy in ./policies.
    ///
    /// Example: checkpoint policy test policies/west-midlands-divert.toml
    Test {
        /// Policy files; default: every *.toml under --dir.
        files: Vec<PathBuf>,
        /// Where to look for policies when no files are named.
        #[arg(long, default_value = "policies")]
        dir: PathBuf,
    },
    /// Decide one referral under a policy: every criterion with its verdict and evidence, the
    /// overall outcome, the prosecution deadline and the contract dates.
    ///
    /// Example: checkpoint policy eval --policy policies/durham-checkpoint-2017.toml
    /// schemas/examples/referral-shop-theft.json --format text
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The policy file (TOML).
    #[arg(long)]
    policy: PathBuf,
    /// The referral (JSON, see schemas/referral.schema.json); `-` reads standard input.
    referral: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

pub fn run(command: PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Check { files } => check(&files),
        PolicyCommand::Test { files, dir } => test(files, &dir),
        PolicyCommand::Eval(args) => eval(&args),
    }
}

fn read(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Loads a policy, turning every validation problem into one error message per line.
pub fn load_policy(path: &Path) -> Result<Policy> {
    let text = read(path)?;
    Policy::from_toml(&text, &path.display().to_string()).map_err(|errors| {
        anyhow::anyhow!(
            "{errors}\n{} problem(s) in {}",
            errors.len(),
            path.display()
        )
    })
}

fn check(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        match load_policy(file) {
            Ok(policy) => println!(
                "ok   {} — {} v{} ({}), in force from {}{}",
                file.display(),
                policy.id(),
                policy.version(),
                policy.content_hash(),
                policy.effective_from(),
                policy
                    .effective_to()
                    .map(|to| format!(" to {to}"))
                    .unwrap_or_default()
            ),
            Err(e) => {
                failed += 1;
                eprintln!("{e:#}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} policy file(s) failed validation",
            files.len()
        );
    }
    Ok(())
}

fn golden_path(policy_path: &Path) -> PathBuf {
    policy_path.with_extension("golden.json")
}

fn test(mut files: Vec<PathBuf>, dir: &Path) -> Result<()> {
    if files.is_empty() {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("listing policies in {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
        files.sort();
        if files.is_empty() {
            bail!("no policy files (*.toml) in {}", dir.display());
        }
    }
    let (mut cases, mut failures, mut broken) = (0, 0, 0);
    for file in &files {
        let outcome = load_policy(file).and_then(|policy| {
            let golden_file = golden_path(file);
            let source = read(&golden_file).with_context(|| {
                format!(
                    "every policy needs golden cases beside it ({})",
                    golden_file.display()
                )
            })?;
            golden::run(&policy, &source, &golden_file.display().to_string())
                .map_err(|e| anyhow::anyhow!("{e}"))
        });
        match outcome {
            Ok(report) => {
                println!("{report}\n");
                cases += report.cases.len();
                failures += report.failed();
            }
            Err(e) => {
                broken += 1;
                eprintln!("{e:#}\n");
            }
        }
    }
    println!(
        "{} policies, {cases} golden cases: {} passed, {failures} failed{}",
        files.len(),
        cases - failures,
        if broken > 0 {
            format!(", {broken} file(s) could not be run")
        } else {
            String::new()
        }
    );
    if failures > 0 || broken > 0 {
        bail!("golden cases failed");
    }
    Ok(())
}

fn eval(args: &EvalArgs) -> Result<()> {
    let policy = load_policy(&args.policy)?;
    let text = read(&args.referral)?;
    let referral = Referral::from_json(&text)
        .map_err(|e| anyhow::anyhow!("{}: invalid referral {e}", args.referral.display()))?;
    let decision = policy.evaluate(&referral);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&decision)?),
        Format::Text => print!("{}", decision.render_text()),
    }
    Ok(())
}
