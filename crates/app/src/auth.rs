//! Accounts, passwords and sessions. Passwords are hashed with Argon2id; a session is an opaque
//! random token given to the client, of which only the SHA-256 is stored.

use crate::App;
use crate::actor::{Actor, Role};
use crate::error::{AppError, FieldError};
use crate::permissions::{Action, authorise};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use checkpoint_store::{AuditAction, AuditEntry, Instant, StoreError, users};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How expensive password hashing is. `Standard` follows OWASP's Argon2id minimum
/// (19 MiB, 2 passes); `Fast` exists only so test suites and demo seeding stay quick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCost {
    Standard,
    Fast,
}

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    let params = match cost {
        PasswordCost::Standard => Params::new(19 * 1024, 2, 1, None),
        PasswordCost::Fast => Params::new(256, 1, 1, None),
    }
    .unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str, cost: PasswordCost) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    hasher(cost)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Checks a password against a stored PHC string (its own parameters decide the cost).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn actor_from_row(row: &users::UserRow) -> Result<Actor, AppError> {
    Ok(Actor {
        user_id: row.id,
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: row
            .role
            .parse()
            .map_err(|e: crate::actor::UnknownRole| AppError::Internal(e.to_string()))?,
        team: row.team.clone(),
    })
}

/// A new account, as an administrator (or the CLI) submits it.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub password: String,
}

/// An account as shown to administrators (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: Option<String>,
    pub disabled: bool,
}

fn account_from_row(row: &users::UserRow) -> Result<Account, AppError> {
    let actor = actor_from_row(row)?;
    Ok(Account {
        id: row.id,
        username: actor.username,
        display_name: actor.display_name,
        role: actor.role,
        team: actor.team,
        disabled: row.disabled,
    })
}

/// A signed-in session: the token to hand to the client, and who it is for.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub actor: Actor,
    pub expires_at: jiff::Timestamp,
}

pub const MIN_PASSWORD_LENGTH: usize = 12;

fn check_account(account: &NewAccount) -> Result<(), AppError> {
    let mut problems = Vec::new();
    let username = account.username.trim();
    if username.is_empty() || username.len() > 64 {
        problems.push(FieldError::new("username", "must be 1 to 64 characters"));
    } else if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        problems.push(FieldError::new(
            "username",
            "may hold only letters, digits, '.', '_' and '-'",
        ));
    }
    if account.display_name.trim().is_empty() {
        problems.push(FieldError::new("display_name", "must not be empty"));
    }
    if account.password.chars().count() < MIN_PASSWORD_LENGTH {
        problems.push(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

impl App {
    /// Creates an account. `actor` is `None` when the local operator runs the CLI (the first
    /// administrator has to come from somewhere); the audit row says so.
    pub async fn create_account(
        &self,
        actor: Option<&Actor>,
        account: NewAccount,
    ) -> Result<Account, AppError> {
        if let Some(actor) = actor {
            authorise(actor, Action::ManageUsers)?;
        }
        check_account(&account)?;
        let hash = hash_password(&account.password, self.settings().password_cost)?;
        let mut tx = self.begin().await?;
        let row = users::insert(
            &mut tx,
            &users::NewUser {
                username: account.username.trim(),
                display_name: account.display_name.trim(),
                role: account.role.as_str(),
                team: account.team.as_deref(),
                password_hash: &hash,
            },
        )
        .await?;
        let entry = AuditEntry::new(
            actor.map(|a| a.user_id),
            actor.map_or("cli-operator", |a| a.audit_name()),
            AuditAction::Collection,
            "user",
            row.id,
        )
        .with_details(serde_json::json!({
            "username": row.username, "role": row.role, "team": row.team,
        }));
        checkpoint_store::audit::append(&mut tx, entry).await?;
        tx.commit().await?;
        account_from_row(&row)
    }

    pub async fn list_accounts(&self, actor: Option<&Actor>) -> Result<Vec<Account>, AppError> {
        if let Some(actor) = actor {
            authorise(actor, Action::ManageUsers)?;
        }
        let mut tx = self.begin_read().await?;
        let rows = users::list(&mut tx).await?;
        tx.commit().await?;
        rows.iter().map(account_from_row).collect()
    }

    /// Disables (or re-enables) an account; a disabled user's sessions stop working at once.
    pub async fn set_account_disabled(
        &self,
        actor: Option<&Actor>,
        username: &str,
        disabled: bool,
    ) -> Result<Account, AppError> {
        if let Some(actor) = actor {
            authorise(actor, Action::ManageUsers)?;
        }
        let mut tx = self.begin().await?;
        let user = users::by_username(&mut tx, username).await?;
        let row = users::set_disabled(&mut tx, user.id, disabled).await?;
        let entry = AuditEntry::new(
            actor.map(|a| a.user_id),
            actor.map_or("cli-operator", |a| a.audit_name()),
            AuditAction::Alteration,
            "user",
            row.id,
        )
        .with_details(serde_json::json!({ "disabled": disabled }));
        checkpoint_store::audit::append(&mut tx, entry).await?;
        tx.commit().await?;
        account_from_row(&row)
    }

    /// Signs in. A wrong username and a wrong password get the same answer.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, AppError> {
        let mut tx = self.begin().await?;
        let user = match users::by_username(&mut tx, username.trim()).await {
            Ok(user) => user,
            Err(StoreError::NotFound(_)) => {
                // Spend the same time as a real check so usernames cannot be probed by timing.
                let _ = verify_password(password, DUMMY_HASH);
                return Err(AppError::Unauthenticated);
            }
            Err(e) => return Err(e.into()),
        };
        if user.disabled || !verify_password(password, &user.password_hash) {
            return Err(AppError::Unauthenticated);
        }
        let token = new_token();
        let now = self.clock().now();
        let expires_at = now
            .checked_add(jiff::SignedDuration::from_hours(i64::from(
                self.settings().session_hours,
            )))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        users::create_session(
            &mut tx,
            &token_hash(&token),
            user.id,
            Instant::from(expires_at),
        )
        .await?;
        tx.commit().await?;
        Ok(Session {
            token,
            actor: actor_from_row(&user)?,
            expires_at,
        })
    }

    /// The actor behind a session token, if the session is live and the user enabled.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, AppError> {
        let mut tx = self.begin_read().await?;
        let now = Instant::from(self.clock().now());
        let found = users::session_user(&mut tx, &token_hash(token), now).await;
        tx.commit().await?;
        match found {
            Ok((_, user)) => actor_from_row(&user),
            Err(StoreError::NotFound(_)) => Err(AppError::Unauthenticated),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.begin().await?;
        users::delete_session(&mut tx, &token_hash(token)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A valid Argon2id hash of a random password, used to equalise timing for unknown usernames.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZfSGUdv9yd7IiXWyIH08m4dWFvkVAFzwqE3O3zRlmbI";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery", PasswordCost::Fast).unwrap();
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
