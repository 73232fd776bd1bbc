//! `checkpoint serve`: migrate the database, load the policies, serve the web API until
//! SIGINT or SIGTERM, then finish the requests in flight.

use anyhow::Context;
use checkpoint_app::{App, Clock, PolicyRegistry, Settings};
use checkpoint_store::Db;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Checkpoint speaks plain HTTP: put a TLS-terminating
    /// reverse proxy in front of it for anything beyond this machine.
    #[arg(long, env = "CHECKPOINT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Load every `*.toml` policy in this directory instead of the policies shipped in the
    /// binary.
    #[arg(long, env = "CHECKPOINT_POLICIES", value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Mark the session cookie `Secure`. Set this when browsers reach Checkpoint over HTTPS.
    #[arg(long, env = "CHECKPOINT_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Checkpoint sits behind a reverse proxy you control: take the client's address from the
    /// right-most `X-Forwarded-For` entry (sign-in throttling counts failures per address) and
    /// mark cookies `Secure` when `X-Forwarded-Proto` is `https`. Leave off when clients can
    /// reach Checkpoint directly, since they could forge both headers.
    #[arg(long, env = "CHECKPOINT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Serve synthetic demo data: fills the database (by default the SQLite file
    /// `checkpoint-demo.db`, created if missing, reused if already filled) with cases in every
    /// state across two years, and prints one demo login per role. The first year's Durham
    /// Checkpoint referrals run in a randomised trial (a demo-only version of the policy with
    /// `[trial]` on), and the cases' later arrests arrive through the arrest feed.
    #[arg(long)]
    pub demo: bool,
    /// How many demo cases to create (with `--demo`, on an empty database).
    #[arg(long, default_value_t = 600, requires = "demo")]
    pub demo_cases: usize,
    /// Seed of the demo data (the same seed gives the same cases).
    #[arg(long, default_value_t = 2026, requires = "demo")]
    pub demo_seed: u64,
}

/// The demo's own database when none was named, so a demo never fills a real one.
pub const DEMO_DATABASE_URL: &str = "sqlite://checkpoint-demo.db";

/// Logs go to standard error as text; `RUST_LOG` filters them (default `info`). Nothing
/// personal is logged: requests are logged by route template, not by URI.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn load_policies(dir: Option<&std::path::Path>) -> anyhow::Result<PolicyRegistry> {
    match dir {
        Some(dir) => PolicyRegistry::load_dir(dir)
            .with_context(|| format!("cannot load the policies in {}", dir.display())),
        None => PolicyRegistry::shipped().context("the shipped policies do not load"),
    }
}

pub async fn run(args: ServeArgs, database_url: &str) -> anyhow::Result<()> {
    init_tracing();
    let database_url = if args.demo && database_url == checkpoint_store::DEFAULT_DATABASE_URL {
        DEMO_DATABASE_URL
    } else {
        database_url
    };
    // The URL may hold a password: report the backend, never the URL.
    let db = Db::connect(database_url)
        .await
        .context("cannot open the database")?;
    db.migrate().await.context("migration failed")?;
    tracing::info!(
        backend = db.backend().as_str(),
        schema_version = db.schema_version(),
        "database ready"
    );
    let policies = match (args.demo, &args.policies) {
        // The demo runs a randomised trial under a demo-only version of the Durham policy.
        (true, None) => checkpoint_synth::demo::trial_policies(
            &checkpoint_synth::demo::demo_trial(Clock::System.today()),
        )?,
        _ => load_policies(args.policies.as_deref())?,
    };
    tracing::info!(versions = policies.all().len(), "policies loaded");
    let app = App::new(db.clone(), policies, Clock::System, Settings::default());
    if args.demo {
        tracing::info!(
            cases = args.demo_cases,
            "preparing demo data (reused if present)"
        );
        let summary = checkpoint_synth::demo::seed_demo(&app, args.demo_cases, args.demo_seed)
            .await
            .context("cannot fill the demo database")?;
        // The operator reads the logins from the terminal: stdout, not the log.
        println!("{summary}");
    }
    // After an upgrade (migration 0010 marks every case stale) or a restore, the reports'
    // read model is built here, in the background, in short batches that writers interleave
    // with, rather than by the first analyst to ask for a report.
    let refreshing = app.clone();
    tokio::spawn(async move {
        match refreshing.refresh_report_projection().await {
            Ok(0) => {}
            Ok(cases) => tracing::info!(cases, "report read model brought up to date"),
            Err(error) => tracing::warn!(%error, "could not refresh the report read model"),
        }
    });
    let router = checkpoint_web::router(
        app,
        checkpoint_web::WebConfig {
            secure_cookies: args.secure_cookies,
            trust_proxy: args.trust_proxy,
        },
    );
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    checkpoint_web::serve(listener, router, shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("stopped");
    db.close().await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers send).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
