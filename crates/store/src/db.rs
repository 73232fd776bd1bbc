//! The connection pool over either backend, transactions, and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::StoreError;
use crate::time::Instant;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// A fingerprint of every PostgreSQL migration, so test templates are rebuilt when any changes.
#[cfg(feature = "testing")]
pub(crate) fn postgres_migrations_fingerprint() -> Vec<u8> {
    POSTGRES_MIGRATIONS
        .iter()
        .flat_map(|m| m.checksum.iter().copied())
        .collect()
}

/// The database used when no URL is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://checkpoint.db";

/// How long a SQLite writer waits for the write lock before giving up with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Db::begin_read_pair`] waits for SQLite's write lock before settling for one
/// transaction.
const PAIR_LOCK_WAIT: Duration = Duration::from_millis(100);

/// PostgreSQL's counterpart of SQLite's write lock, a transaction-scoped advisory lock that
/// [`Db::begin`] takes first. Without it, two writers could take their row locks in opposite
/// orders and deadlock: drafting a contract appends its audit row (locking `audit_head`) before
/// bumping the case's version, while a needs reassessment of the same case bumps the version
/// (locking the case row) before its audit row; PostgreSQL then aborts one of them after a
/// second with "deadlock detected", a server error instead of a `Conflict`. Every appender is
/// serialised on `audit_head` until commit anyway, so taking the lock first costs little.
///
/// The lock is its own statement after `BEGIN`, not sent with it: if the caller is cancelled
/// while it waits (an HTTP client that hangs up), sqlx knows a transaction is open and rolls
/// it back as the connection returns to the pool. Sent with `BEGIN`, a cancelled wait left the
/// connection in the pool inside a transaction that then took the lock and kept it, and every
/// later writer waited for ever. The key is "CHKP" in ASCII.
const POSTGRES_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(1128811344)";

/// Runs `$body` once per backend with `$pool` bound to the typed pool. The body is the same
/// text in both arms; sqlx infers the database from the executor, so one SQL string with `$N`
/// placeholders serves both.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Like [`on_pool!`], but binds `$conn` to the connection inside a [`Tx`].
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::db::TxConn::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::db::TxConn::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}

pub(crate) use on_tx;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pool of connections to SQLite or PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction. Every store function that writes takes `&mut Tx`, so the application
/// layer can put several writes and their audit row into one atomic unit. Dropping a `Tx`
/// without [`Tx::commit`] rolls it back.
/// An open transaction on either backend, with the instant it acts at. Every row a store
/// function writes in it is stamped with [`Tx::now`]: one time for the whole change, taken from
/// the application's clock (so historical demo data and tests with a fixed clock get the
/// timestamps they asked for).
#[derive(Debug)]
pub struct Tx {
    pub(crate) conn: TxConn,
    now: Instant,
}

#[derive(Debug)]
pub(crate) enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Db {
    /// Opens a pool. Accepts `postgres://…` / `postgresql://…`, `sqlite://PATH` / `sqlite:PATH`
    /// (created if missing), `sqlite::memory:`, or a bare file path (treated as SQLite).
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(true)
            // WAL lets readers run beside the single writer; NORMAL is durable across
            // application crashes and loses at most the last commits on power loss.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Creates or upgrades the schema with the migrations embedded for this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// The newest migration version embedded for this backend (the schema version a backup
    /// records).
    pub fn schema_version(&self) -> i64 {
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Opens a transaction for work that may write. On SQLite it starts with `BEGIN IMMEDIATE`,
    /// taking the write lock up front: a deferred transaction that reads and then writes fails
    /// with SQLITE_BUSY at once, ignoring the busy timeout. On PostgreSQL it takes
    /// an advisory lock up front, so writers never deadlock (see [`POSTGRES_WRITE_LOCK`]).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::new(TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
            Db::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                sqlx::raw_sql(POSTGRES_WRITE_LOCK)
                    .execute(&mut *transaction)
                    .await?;
                Tx::new(TxConn::Postgres(transaction))
            }
        })
    }

    /// Opens a transaction that only reads (a consistent snapshot for reports and backups).
    /// Writing in it may fail with "database is locked" on SQLite; use [`Db::begin`] for that.
    pub async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::new(TxConn::Sqlite(pool.begin().await?)),
            Db::Postgres(pool) => Tx::new(TxConn::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            )),
        })
    }

    /// Two read-only transactions in one snapshot, for a read split between two connections
    /// (a national report reads its million rows in two halves at once).
    /// - PostgreSQL has a way to do this: the first transaction exports its snapshot
    ///   (`pg_export_snapshot`) and the second imports it (`SET TRANSACTION SNAPSHOT`).
    /// - SQLite has none, but its snapshot is taken at a transaction's first read: both start
    ///   reading while a third connection holds the write lock, under which nothing can
    ///   commit. Writers wait the few milliseconds that takes. A reader never waits long for
    ///   the lock, though: if a writer holds it for more than [`PAIR_LOCK_WAIT`] (a bulk
    ///   import, say), there is no second transaction and the caller reads on one.
    pub async fn begin_read_pair(&self) -> Result<(Tx, Option<Tx>), StoreError> {
        match self {
            Db::Sqlite(pool) => {
                let mut lock = pool.acquire().await?;
                let wait = format!("PRAGMA busy_timeout = {}", PAIR_LOCK_WAIT.as_millis());
                sqlx::raw_sql(sqlx::AssertSqlSafe(wait))
                    .execute(&mut *lock)
                    .await?;
                let locked = sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut *lock)
                    .await
                    .is_ok();
                let pair = async {
                    let mut first = pool.begin().await?;
                    if !locked {
                        return Ok((first, None));
                    }
                    let mut second = pool.begin().await?;
                    for transaction in [&mut first, &mut second] {
                        // Any read of the file starts the transaction's snapshot.
                        sqlx::query("SELECT count(*) FROM sqlite_schema")
                            .execute(&mut **transaction)
                            .await?;
                    }
                    Ok::<_, StoreError>((first, Some(second)))
                }
                .await;
                // Whatever happened above, the lock goes and the connection gets its usual
                // wait back before it returns to the pool.
                if locked {
                    sqlx::raw_sql("ROLLBACK").execute(&mut *lock).await?;
                }
                let usual = format!("PRAGMA busy_timeout = {}", SQLITE_BUSY_TIMEOUT.as_millis());
                sqlx::raw_sql(sqlx::AssertSqlSafe(usual))
                    .execute(&mut *lock)
                    .await?;
                let (first, second) = pair?;
                Ok((
                    Tx::new(TxConn::Sqlite(first)),
                    second.map(|second| Tx::new(TxConn::Sqlite(second))),
                ))
            }
            Db::Postgres(pool) => {
                const READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
                let mut first = pool.begin_with(READ).await?;
                let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
                    .fetch_one(&mut *first)
                    .await?;
                // An identifier PostgreSQL made (such as `00000003-0000001B-1`), checked before
                // it goes into a statement that takes no parameters.
                if snapshot.is_empty()
                    || !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                {
                    return Err(StoreError::Unsupported(format!(
                        "unexpected snapshot identifier {snapshot:?}"
                    )));
                }
                let mut second = pool.begin_with(READ).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "SET TRANSACTION SNAPSHOT '{snapshot}'"
                )))
                .execute(&mut *second)
                .await?;
                Ok((
                    Tx::new(TxConn::Postgres(first)),
                    Some(Tx::new(TxConn::Postgres(second))),
                ))
            }
        }
    }

    /// Refreshes the planner's statistics after a bulk load: `ANALYZE` on PostgreSQL (whose
    /// autovacuum would otherwise analyse the new tables only some minutes later, planning
    /// every query meanwhile as if they were empty), and on SQLite an `ANALYZE` that samples
    /// each index (`analysis_limit`, so a 20 GB file takes seconds, not minutes).
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::raw_sql("PRAGMA analysis_limit = 1000; ANALYZE")
                    .execute(pool)
                    .await?;
            }
            Db::Postgres(pool) => {
                sqlx::raw_sql("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Closes every connection in the pool.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

impl Tx {
    fn new(conn: TxConn) -> Tx {
        Tx {
            conn,
            now: Instant::now(),
        }
    }

    /// The instant this transaction's writes are stamped with.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Sets the instant this transaction acts at (the application's clock).
    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await?,
            TxConn::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}
