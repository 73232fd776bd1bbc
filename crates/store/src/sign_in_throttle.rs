//! Failed sign-ins, counted per account and per client address to throttle password guessing
//! (migration 0008). The caller passes keys it has already derived (a SHA-256 of the
//! normalised username; the client's IP address), so no username typed by a stranger is
//! stored. Rows older than the throttling window are deleted as new failures arrive.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::StoreError;
use crate::time::Instant;

/// Records one failed sign-in at the transaction's "now" and deletes failures older than
/// `forget_before`, so the table holds one window's worth of rows at most.
pub async fn record_failure(
    tx: &mut Tx,
    account_key: &str,
    client_key: Option<&str>,
    forget_before: Instant,
) -> Result<(), StoreError> {
    let now = tx.now();
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM sign_in_failures WHERE failed_at <= $1")
            .bind(forget_before)
            .execute(conn)
            .await?
            .rows_affected()
    });
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO sign_in_failures (id, account_key, client_key, failed_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(Uuid::now_v7())
        .bind(account_key)
        .bind(client_key)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// When each failure for the account since `since` happened, oldest first.
pub async fn account_failures_since(
    tx: &mut Tx,
    account_key: &str,
    since: Instant,
) -> Result<Vec<Instant>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT failed_at FROM sign_in_failures \
             WHERE account_key = $1 AND failed_at > $2 ORDER BY failed_at",
        )
        .bind(account_key)
        .bind(since)
        .fetch_all(conn)
        .await?
    }))
}

/// When each failure from the client address since `since` happened, oldest first.
pub async fn client_failures_since(
    tx: &mut Tx,
    client_key: &str,
    since: Instant,
) -> Result<Vec<Instant>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT failed_at FROM sign_in_failures \
             WHERE client_key = $1 AND failed_at > $2 ORDER BY failed_at",
        )
        .bind(client_key)
        .bind(since)
        .fetch_all(conn)
        .await?
    }))
}

/// Forgets an account's failures (after it signs in successfully). Failures against other
/// accounts from the same address stay counted.
pub async fn clear_account(tx: &mut Tx, account_key: &str) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM sign_in_failures WHERE account_key = $1")
            .bind(account_key)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(())
}
