//! Case writes per second against the bare database, on each URL given.
//!
//! One "case write" is one transaction holding what opening a case really costs: the reference
//! counter, the case row, its first event and the audit row. The bare figure is one
//! transaction holding one plain INSERT, on the same pool with the same durability settings
//! (SQLite: WAL, synchronous=NORMAL, BEGIN IMMEDIATE; PostgreSQL: server defaults). Rounds
//! alternate bare and case phases so drift hits both alike.
//!
//! Usage: cargo run --release -p checkpoint-store --example case_write_bench -- \
//!            [--count N] [--rounds R] URL...
//! Each database must be empty or a previous bench database; it is migrated first.

use std::time::{Duration, Instant as Clock};

use checkpoint_domain::person::{PersonDetails, Sex};
use checkpoint_store::cases::{self, KeyDates, NewCase, NewCaseEvent};
use checkpoint_store::{AuditAction, AuditEntry, Db, audit, people};
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut count = 2000_u32;
    let mut rounds = 3_u32;
    let mut urls = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => count = args.next().ok_or("--count N")?.parse()?,
            "--rounds" => rounds = args.next().ok_or("--rounds R")?.parse()?,
            url => urls.push(url.to_owned()),
        }
    }
    if urls.is_empty() {
        return Err("give at least one database URL".into());
    }
    println!("{count} transactions per phase, {rounds} rounds, one writer");
    println!(
        "{:<10} {:>5} {:>14} {:>14} {:>7}",
        "backend", "round", "bare tx/s", "case tx/s", "ratio"
    );
    for url in &urls {
        bench(url, count, rounds).await?;
    }
    Ok(())
}

async fn bench(url: &str, count: u32, rounds: u32) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    create_bare_table(&db).await?;
    let person_id = seed_person(&db).await?;
    // Warm up connections, caches and prepared statements.
    bare_phase(&db, 50).await?;
    case_phase(&db, person_id, 50).await?;

    let name = db.backend().as_str();
    let (mut bare_total, mut case_total) = (Duration::ZERO, Duration::ZERO);
    for round in 1..=rounds {
        let bare = bare_phase(&db, count).await?;
        let case = case_phase(&db, person_id, count).await?;
        bare_total += bare;
        case_total += case;
        report(name, &round.to_string(), count, bare, case);
    }
    report(name, "all", count * rounds, bare_total, case_total);
    db.close().await;
    Ok(())
}

fn report(backend: &str, round: &str, count: u32, bare: Duration, case: Duration) {
    let bare_rate = f64::from(count) / bare.as_secs_f64();
    let case_rate = f64::from(count) / case.as_secs_f64();
    println!(
        "{backend:<10} {round:>5} {bare_rate:>14.0} {case_rate:>14.0} {:>6.0}%",
        100.0 * case_rate / bare_rate
    );
}

async fn create_bare_table(db: &Db) -> Result<(), sqlx::Error> {
    // Same key and payload shape as a small row of ours: a UUID key and some text.
    let sql = "CREATE TABLE IF NOT EXISTS bench_bare (id UUID PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL)";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
}

async fn seed_person(db: &Db) -> Result<Uuid, checkpoint_store::StoreError> {
    let mut tx = db.begin().await?;
    let person = people::insert(
        &mut tx,
        &PersonDetails {
            given_name: "Bench".into(),
            family_name: "Mark".into(),
            date_of_birth: jiff::civil::date(2000, 1, 1),
            sex: Sex::NotKnown,
            ethnicity_self_defined: None,
            ethnicity_officer_observed: None,
            postcode: None,
            pnc_id: None,
            resides_in_force_area: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(person.id)
}

async fn bare_phase(db: &Db, count: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let sql = "INSERT INTO bench_bare (id, at, payload) VALUES ($1, $2, $3)";
    let start = Clock::now();
    for _ in 0..count {
        let id = Uuid::now_v7();
        let at = jiff::Timestamp::now().to_string();
        match db {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(sql)
                    .bind(id)
                    .bind(at)
                    .bind("{}")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(sql)
                    .bind(id)
                    .bind(at)
                    .bind("{}")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(start.elapsed())
}

async fn case_phase(
    db: &Db,
    person_id: Uuid,
    count: u32,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let start = Clock::now();
    for _ in 0..count {
        let mut tx = db.begin().await?;
        let new = NewCase {
            reference_prefix: "BM",
            reference_year: 2026,
            person_id,
            referral_id: None,
            scheme_id: "bench",
            navigator_id: None,
            team: None,
            key_dates: KeyDates::default(),
            opening: NewCaseEvent::new(None, "opened"),
        };
        let (case, _) = cases::create(&mut tx, &new).await?;
        let entry = AuditEntry::new(None, "bench", AuditAction::Collection, "case", case.id);
        audit::append(&mut tx, entry).await?;
        tx.commit().await?;
    }
    Ok(start.elapsed())
}
