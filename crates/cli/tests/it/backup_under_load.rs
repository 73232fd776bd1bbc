//! A backup taken while writes continue restores to a consistent database. Use cases keep
//! writing (referrals, screening decisions, offers, consents: each a case change, its event
//! and its audit row in one transaction) while the real binary takes the portable dump and,
//! on SQLite, the online snapshot; each is restored into an empty SQLite and (when
//! `TEST_DATABASE_URL` names a server) PostgreSQL database, and checked: the audit chain
//! verifies, every case's version equals its event count, references are unique and gap-free,
//! no row points at a missing parent, and what was restored is a prefix of the source.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use checkpoint_app::auth::PasswordCost;
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::screening::ScreeningChoice;
use checkpoint_app::{Actor, App, AppError, Clock, NewAccount, PolicyRegistry, Role, Settings};
use checkpoint_domain::referral::Referral;
use checkpoint_store::testing::{self, EmptyPostgres};
use checkpoint_store::{Db, audit, cases};
use sqlx::types::Uuid;

use crate::{checkpoint, stderr, stdout};

const WRITERS: usize = 3;
/// Backups of each kind taken under load; each must overlap committed writes to count.
const BACKUPS: usize = 2;
/// Attempts allowed for the backups to overlap writes (they nearly always do at once).
const ATTEMPTS: usize = 50;

/// A database for one test: a SQLite file in a temporary directory, or an empty PostgreSQL
/// database dropped when the guard goes.
struct Scratch {
    url: String,
    _postgres: Option<EmptyPostgres>,
}

fn sqlite_scratch(dir: &Path, name: &str) -> Scratch {
    Scratch {
        url: format!("sqlite://{}", dir.join(name).display()),
        _postgres: None,
    }
}

/// An empty PostgreSQL database, when a server is under test.
async fn postgres_scratch() -> Option<Scratch> {
    let postgres = testing::empty_postgres("cli_backup").await?;
    Some(Scratch {
        url: postgres.url.clone(),
        _postgres: Some(postgres),
    })
}

/// The shop-theft example for a new synthetic person, referred today.
fn referral(app: &App, n: u64, writer: usize) -> Referral {
    let mut referral = Referral::from_json(include_str!(
        "../../../../schemas/examples/referral-shop-theft.json"
    ))
    .expect("example referral");
    let today = app.clock().today();
    referral.referral_date = today;
    referral.offence.offence_date = today.yesterday().expect("a day before today");
    // Distinct names (letters only: digits do not count in a name) and distinct dates of
    // birth, so no referral stops at a likely duplicate.
    referral.person.given_name = format!("Load{}", letters(writer as u64));
    referral.person.family_name = format!("Backup{}", letters(n));
    referral.person.date_of_birth = jiff::civil::date(1930, 1, 1)
        .checked_add(jiff::Span::new().days((n * (WRITERS as u64 + 1) + writer as u64) as i64))
        .expect("a date of birth");
    referral.person.pnc_id = None;
    referral
}

/// `n` written in the letters a to z (0 is "a", 26 is "ba").
fn letters(mut n: u64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// One case from referral to consent: four transactions, each with its event and audit row.
async fn walk_one(app: &App, actor: &Actor, n: u64, writer: usize) -> Result<(), AppError> {
    let outcome = app
        .create_referral(
            actor,
            NewReferral {
                scheme_id: "durham-checkpoint".to_owned(),
                referral: referral(app, n, writer),
                person: PersonChoice::New,
                acknowledged_matches: Vec::new(),
            },
        )
        .await?;
    let id = outcome.case.case_id;
    let screened = app
        .record_screening_decision(actor, id, 1, ScreeningChoice::AcceptAdvice)
        .await?;
    let offered = app.make_offer(actor, id, screened.version).await?;
    app.record_consent(
        actor,
        id,
        offered.version,
        Consent::Accepted {
            admission: Admission::AdmittedInInterview,
            signed_on: app.clock().today(),
        },
    )
    .await?;
    Ok(())
}

async fn new_app(url: &str) -> (App, Actor) {
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let app = App::new(
        db,
        PolicyRegistry::shipped().expect("policies"),
        Clock::System,
        Settings {
            password_cost: PasswordCost::Fast,
            ..Settings::default()
        },
    );
    let password = "synthetic password for the load test";
    app.create_account(
        None,
        NewAccount {
            username: "custody.sgt".to_owned(),
            display_name: "Sgt Synthetic".to_owned(),
            role: Role::CustodyOfficer,
            team: None,
            password: password.to_owned(),
        },
    )
    .await
    .expect("account");
    let actor = app
        .sign_in("custody.sgt", password)
        .await
        .expect("sign in")
        .actor;
    (app, actor)
}

/// Runs the binary off the async threads (it takes a while; the writers keep going).
async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        checkpoint(&args)
    })
    .await
    .expect("binary thread")
}

fn succeeded(what: &str, output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Integers from a query, on either backend.
async fn ints(db: &Db, sql: &str) -> Vec<i64> {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(pool)
            .await
            .expect(sql),
        Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(pool)
            .await
            .expect(sql),
    }
}

/// Every case: id, reference, version.
async fn case_rows(db: &Db) -> Vec<(Uuid, String, i64)> {
    let sql = "SELECT id, reference, version FROM cases ORDER BY reference";
    match db {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.expect(sql),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.expect(sql),
    }
}

/// Child column, parent table, parent column: every reference between the tables written here.
const LINKS: &[(&str, &str, &str, &str)] = &[
    ("sessions", "user_id", "users", "id"),
    ("referrals", "person_id", "people", "id"),
    ("referrals", "referred_by", "users", "id"),
    ("decisions", "referral_id", "referrals", "id"),
    ("decisions", "decided_by", "users", "id"),
    ("cases", "person_id", "people", "id"),
    ("cases", "referral_id", "referrals", "id"),
    ("case_events", "case_id", "cases", "id"),
    ("case_events", "actor_id", "users", "id"),
    ("screening_advice", "case_id", "cases", "id"),
    ("screening_advice", "referral_id", "referrals", "id"),
    ("contracts", "case_id", "cases", "id"),
    ("contract_conditions", "contract_id", "contracts", "id"),
];

/// The checks a restored (or live) database must pass; returns its cases.
async fn assert_consistent(url: &str, what: &str) -> Vec<(Uuid, String, i64)> {
    let verify = checkpoint(&["--database", url, "audit", "verify"]);
    succeeded(&format!("{what}: audit verify"), &verify);
    let db = Db::connect(url).await.expect("connect");
    let report = audit::verify(&db).await.expect("audit");
    assert!(report.is_intact(), "{what}: {:?}", report.first_break);
    let head = ints(&db, "SELECT last_sequence FROM audit_head").await;
    let top = ints(&db, "SELECT COALESCE(MAX(sequence), 0) FROM audit_log").await;
    assert_eq!(head, top, "{what}: the audit head is the last row");

    let half_written = ints(
        &db,
        "SELECT COUNT(*) FROM cases c WHERE c.version <> \
         (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id) \
         OR c.version <> (SELECT MAX(e.sequence) FROM case_events e WHERE e.case_id = c.id)",
    )
    .await;
    assert_eq!(
        half_written,
        [0],
        "{what}: cases whose version is not their event count"
    );
    let unscreened = ints(
        &db,
        "SELECT COUNT(*) FROM cases c WHERE c.state <> 'referred' AND NOT EXISTS \
         (SELECT 1 FROM screening_advice a JOIN decisions d ON d.referral_id = a.referral_id \
          WHERE a.case_id = c.id)",
    )
    .await;
    assert_eq!(unscreened, [0], "{what}: screened cases without a decision");
    for (child, column, parent, key) in LINKS {
        let dangling = ints(
            &db,
            &format!(
                "SELECT COUNT(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
            ),
        )
        .await;
        assert_eq!(
            dangling,
            [0],
            "{what}: {child}.{column} without its {parent}"
        );
    }

    let rows = case_rows(&db).await;
    let mut numbers: Vec<i64> = rows
        .iter()
        .map(|(_, reference, _)| reference.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    let counter = ints(
        &db,
        "SELECT CAST(COALESCE(SUM(last_value), 0) AS BIGINT) FROM case_reference_counters",
    )
    .await;
    let expected: Vec<i64> = (1..=counter[0]).collect();
    assert_eq!(numbers, expected, "{what}: references unique and gap-free");
    db.close().await;
    rows
}

/// Every restored case is in the source, and its events are the source's first events.
async fn assert_prefix_of(
    source: &App,
    restored_url: &str,
    rows: &[(Uuid, String, i64)],
    what: &str,
) {
    let restored = Db::connect(restored_url).await.expect("connect");
    let mut src = source.db().begin_read().await.unwrap();
    let mut dst = restored.begin_read().await.unwrap();
    for (id, reference, version) in rows {
        let now = cases::get(&mut src, *id).await.unwrap();
        assert_eq!(&now.reference, reference, "{what}");
        assert!(now.version >= *version, "{what}: {reference}");
        let theirs = cases::events(&mut src, *id).await.unwrap();
        let ours = cases::events(&mut dst, *id).await.unwrap();
        assert_eq!(ours[..], theirs[..ours.len()], "{what}: {reference}");
    }
    src.rollback().await.unwrap();
    dst.rollback().await.unwrap();
    restored.close().await;
}

/// What a backup is and how it is put back.
enum Taken {
    Portable(PathBuf),
    Snapshot(PathBuf),
}

async fn backup_under_load(source: Scratch, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (app, actor) = new_app(&source.url).await;
    // A few cases first, written by none of the writers (their own names and birthdays).
    for n in 0..3 {
        walk_one(&app, &actor, n, WRITERS).await.expect("seed");
    }
    let committed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (app, actor) = (app.clone(), actor.clone());
        let (committed, stop) = (committed.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                walk_one(&app, &actor, n, writer).await?;
                committed.fetch_add(4, Ordering::Relaxed);
                n += 1;
            }
            Ok::<u64, AppError>(n)
        }));
    }
    // Writes are under way before the first backup.
    while committed.load(Ordering::Relaxed) < 8 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let mut taken = Vec::new();
    let kinds: &[&str] = if label == "sqlite" {
        &["portable", "sqlite-snapshot"]
    } else {
        &["portable"]
    };
    for kind in kinds {
        let mut overlapped = 0;
        for attempt in 0..ATTEMPTS {
            if overlapped == BACKUPS {
                break;
            }
            let file = dir.path().join(format!("{label}-{kind}-{attempt}.backup"));
            let before = committed.load(Ordering::Relaxed);
            let output = run(vec![
                "--database".into(),
                source.url.clone(),
                "backup".into(),
                file.display().to_string(),
                "--format".into(),
                (*kind).into(),
            ])
            .await;
            succeeded(&format!("{label}: backup --format {kind}"), &output);
            if committed.load(Ordering::Relaxed) == before {
                continue; // no write committed while it ran: not a backup under load
            }
            overlapped += 1;
            taken.push(if *kind == "portable" {
                Taken::Portable(file)
            } else {
                Taken::Snapshot(file)
            });
        }
        assert_eq!(
            overlapped, BACKUPS,
            "{label}: backups that overlapped writes"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        let cases = writer
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{label}: a writer failed under backup: {e}"));
        assert!(cases > 0, "{label}");
    }
    let live = assert_consistent(&source.url, &format!("{label} source")).await;

    for backup in &taken {
        match backup {
            Taken::Portable(file) => {
                let mut targets = vec![(
                    "sqlite",
                    sqlite_scratch(dir.path(), &format!("r{}.db", Uuid::now_v7().simple())),
                )];
                targets.extend(postgres_scratch().await.map(|t| ("postgres", t)));
                for (target_label, target) in targets {
                    let what = format!("{label} dump {} into {target_label}", file.display());
                    let output =
                        checkpoint(&["--database", &target.url, "restore", file.to_str().unwrap()]);
                    succeeded(&format!("{what}: restore"), &output);
                    let rows = assert_consistent(&target.url, &what).await;
                    assert!(!rows.is_empty() && rows.len() <= live.len(), "{what}");
                    eprintln!("{what}: {} of {} cases", rows.len(), live.len());
                    assert_prefix_of(&app, &target.url, &rows, &what).await;
                }
            }
            Taken::Snapshot(file) => {
                // A snapshot is restored by putting the file in place of the database.
                let target = dir
                    .path()
                    .join(format!("restored-{}.db", Uuid::now_v7().simple()));
                std::fs::copy(file, &target).unwrap();
                let url = format!("sqlite://{}", target.display());
                let what = format!("{label} snapshot {}", file.display());
                let rows = assert_consistent(&url, &what).await;
                assert!(!rows.is_empty() && rows.len() <= live.len(), "{what}");
                eprintln!("{what}: {} of {} cases", rows.len(), live.len());
                assert_prefix_of(&app, &url, &rows, &what).await;
            }
        }
    }
    app.db().close().await;
    drop(source);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_to_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    backup_under_load(sqlite_scratch(dir.path(), "source.db"), "sqlite").await;
    if let Some(source) = postgres_scratch().await {
        backup_under_load(source, "postgres").await;
    }
}
