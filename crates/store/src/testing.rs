//! Fresh databases for tests, on both backends (feature `testing`; used by every crate's
//! integration tests so one story runs on SQLite and PostgreSQL alike).
//!
//! SQLite: a new file in a temporary directory. PostgreSQL (when `TEST_DATABASE_URL` names a
//! server, e.g. `postgres://postgres@127.0.0.1:5432/test`): a new database `t_<uuid>` created
//! from a template that was migrated once (its name carries a hash of the migrations, so a
//! schema change builds a new one), dropped again when the test ends, even on panic.
//! `CHECKPOINT_REQUIRE_POSTGRES=1` turns a missing or unreachable server into a failure.

use std::path::PathBuf;

use crate::Db;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};

#[derive(Debug)]
pub struct TestDb {
    pub db: Db,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_pg.take() {
            drop_database(&admin_url, &name);
        }
    }
}

/// Drops database `name` on the server at `admin_url`, from a `Drop` (outside async): on a
/// private runtime on its own thread. The database's pool is not closed from here: its
/// connections belong to the test's runtime, which is blocked on this join, so closing them
/// would deadlock. `WITH (FORCE)` ends them server-side.
fn drop_database(admin_url: &str, name: &str) {
    let (admin_url, name) = (admin_url.to_owned(), name.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await;
            }
        });
    })
    .join()
    .expect("drop thread");
}

/// An empty database on the PostgreSQL server under test, not migrated (for a restore, or a
/// binary that migrates it itself), dropped when this guard goes.
#[derive(Debug)]
pub struct EmptyPostgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl Drop for EmptyPostgres {
    fn drop(&mut self) {
        drop_database(&self.admin_url, &self.name);
    }
}

/// A new empty PostgreSQL database named `{prefix}_<uuid>`, or `None` when no server is
/// configured (a failure when one is required).
pub async fn empty_postgres(prefix: &str) -> Option<EmptyPostgres> {
    let url = postgres_url()?;
    let mut admin = match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(error) => panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}"),
    };
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create scratch database");
    admin.close().await.ok();
    Some(EmptyPostgres {
        url: replace_database(&url, &name),
        admin_url: url,
        name,
    })
}

/// A fresh, migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = dir.path().join("test.db");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    db.migrate().await.expect("migrate sqlite");
    TestDb {
        db,
        label: "sqlite",
        _dir: Some(dir),
        drop_pg: None,
    }
}

/// The PostgreSQL server URL, if tests should use one. Panics when PostgreSQL is required
/// but not configured.
fn postgres_url() -> Option<String> {
    let required = std::env::var("CHECKPOINT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if required => panic!("CHECKPOINT_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"),
        _ => None,
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

fn template_name() -> String {
    let mut hasher = Sha256::new();
    hasher.update(crate::db::postgres_migrations_fingerprint());
    format!("checkpoint_tmpl_{}", &hex::encode(hasher.finalize())[..16])
}

/// A fresh, migrated PostgreSQL database, or `None` when no server is configured.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url()?;
    let mut admin = match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(error) => panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}"),
    };
    let template = template_name();
    // Build the template once across concurrent test processes.
    sqlx::query("SELECT pg_advisory_lock(4242)")
        .execute(&mut admin)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("pg_database");
    if !exists {
        let sql = format!("CREATE DATABASE {template}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("create template");
        let db = Db::connect(&replace_database(&url, &template))
            .await
            .expect("template");
        db.migrate().await.expect("migrate template");
        db.close().await;
    }
    sqlx::query("SELECT pg_advisory_unlock(4242)")
        .execute(&mut admin)
        .await
        .expect("unlock");

    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .expect("create test db");
    admin.close().await.ok();
    let db = Db::connect(&replace_database(&url, &name))
        .await
        .expect("connect test db");
    Some(TestDb {
        db,
        label: "postgres",
        _dir: None,
        drop_pg: Some((url, name)),
    })
}

/// A fresh database on every backend under test: SQLite always, PostgreSQL when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    all.extend(postgres().await);
    all
}

/// An empty (migrated) database on the given backend name, for cross-backend restores.
pub async fn fresh(label: &str) -> Option<TestDb> {
    match label {
        "sqlite" => Some(sqlite().await),
        _ => postgres().await,
    }
}

/// Runs raw SQL (to play the attacker who edits tables behind the application's back).
pub async fn raw(db: &Db, sql: &str) {
    try_raw(db, sql).await.expect(sql);
}

/// Like [`raw`], but returns the database's error (to check what a trigger refuses).
pub async fn try_raw(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    }
}

/// One integer from a query, on either backend.
pub async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(pool)
            .await
            .expect(sql),
        Db::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(pool)
            .await
            .expect(sql),
    }
}
