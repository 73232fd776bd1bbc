//! Users and their login sessions. The password hash and the session token hash are computed
//! by the caller (argon2 and SHA-256 in the app layer); the store never sees a secret.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    /// Unique ignoring case.
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub team: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: Instant,
}

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub team: Option<&'a str>,
    pub password_hash: &'a str,
}

const COLUMNS: &str = "id, username, display_name, role, team, password_hash, disabled, created_at";

pub async fn insert(tx: &mut Tx, user: &NewUser<'_>) -> Result<UserRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO users ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(user.username)
            .bind(user.display_name)
            .bind(user.role)
            .bind(user.team)
            .bind(user.password_hash)
            .bind(false)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => Err(classify(tx, error, &[], user.username).await),
    }
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<UserRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::User))
    })
}

/// Looks a user up by name, ignoring case.
pub async fn by_username(tx: &mut Tx, username: &str) -> Result<UserRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1)");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(username)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::User))
    })
}

pub async fn list(tx: &mut Tx) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY lower(username)");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(conn)
            .await?
    }))
}

/// Disables or re-enables an account; disabling also ends its sessions.
pub async fn set_disabled(tx: &mut Tx, id: Uuid, disabled: bool) -> Result<UserRow, StoreError> {
    let sql = format!("UPDATE users SET disabled = $2 WHERE id = $1 RETURNING {COLUMNS}");
    let row: UserRow = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(disabled)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::User))?
    });
    if disabled {
        on_tx!(tx, |conn| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(conn)
                .await?
                .rows_affected()
        });
    }
    Ok(row)
}

pub async fn set_password_hash(
    tx: &mut Tx,
    id: Uuid,
    password_hash: &str,
) -> Result<(), StoreError> {
    let updated = on_tx!(tx, |conn| {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .execute(conn)
            .await?
            .rows_affected()
    });
    if updated == 0 {
        return Err(StoreError::NotFound(Entity::User));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 of the opaque token in the cookie; the token itself is never stored.
    pub token_hash: String,
    pub user_id: Uuid,
    pub created_at: Instant,
    pub expires_at: Instant,
}

pub async fn create_session(
    tx: &mut Tx,
    token_hash: &str,
    user_id: Uuid,
    expires_at: Instant,
) -> Result<SessionRow, StoreError> {
    let now = tx.now();
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4) RETURNING token_hash, user_id, created_at, expires_at",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(conn)
        .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [fk("sessions_user_id_fkey", Entity::User, Some(user_id))];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// The live session for a token hash with its (enabled) user, or `NotFound`.
pub async fn session_user(
    tx: &mut Tx,
    token_hash: &str,
    now: Instant,
) -> Result<(SessionRow, UserRow), StoreError> {
    let session: SessionRow = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT token_hash, user_id, created_at, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_one(conn)
        .await
        .map_err(not_found(Entity::Session))?
    });
    let user = get(tx, session.user_id).await?;
    if user.disabled {
        return Err(StoreError::NotFound(Entity::Session));
    }
    Ok((session, user))
}

pub async fn delete_session(tx: &mut Tx, token_hash: &str) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Deletes expired sessions; returns how many.
pub async fn purge_expired_sessions(tx: &mut Tx, now: Instant) -> Result<u64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected()
    }))
}
