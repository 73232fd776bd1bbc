//! Accounts, passwords and sessions. Passwords are hashed with Argon2id; a session is an opaque
//! random token given to the client, of which only the SHA-256 is stored.
//!
//! Sign-ins are throttled against password guessing ([`App::sign_in_from`]): after
//! [`ACCOUNT_FAILURE_LIMIT`] failures for one username, or [`ADDRESS_FAILURE_LIMIT`] from one
//! client address, within [`SIGN_IN_WINDOW_MINUTES`], further attempts are refused (even
//! with the right password) until the oldest failure leaves the window. Failures are counted
//! in the database (`sign_in_failures`), so every server process sharing the database sees
//! the same counts and a restart does not reset them; the moment a limit is reached is
//! written to the audit log.

use crate::App;
use crate::actor::{Actor, Role};
use crate::error::{AppError, FieldError};
use crate::permissions::{Action, authorise};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use checkpoint_store::{AuditAction, AuditEntry, Instant, StoreError, sign_in_throttle, users};
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
        // An administrator who disabled themselves would lock out the last one of them, and
        // a mistake could not be undone from the same session.
        if disabled && actor.is_some_and(|a| a.user_id == user.id) {
            return Err(AppError::invalid(
                "username",
                "you cannot disable your own account",
            ));
        }
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

    /// Signs in. A wrong username and a wrong password get the same answer. Throttled per
    /// account only (there is no client address: the CLI); a throttled attempt is refused as
    /// invalid with the time to wait. Adapters that know the client use
    /// [`App::sign_in_from`].
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, AppError> {
        self.sign_in_from(username, password, None)
            .await
            .map_err(|e| match e {
                SignInError::Throttled(throttled) => {
                    AppError::invalid("username", throttled.message())
                }
                SignInError::App(e) => e,
            })
    }

    /// Signs in from a client address (`None` when there is none). Refuses with
    /// [`SignInError::Throttled`] when the username or the address has too many recent
    /// failures (see the module documentation); otherwise a wrong username, a wrong password
    /// and a disabled account all get [`AppError::Unauthenticated`], and each counts as a
    /// failure. A success forgets the account's failures.
    ///
    /// The password is checked outside any write transaction, so the Argon2 work never holds
    /// SQLite's writer lock.
    pub async fn sign_in_from(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<Session, SignInError> {
        let account_key = account_key(username);
        let client = client.map(str::trim).filter(|c| !c.is_empty());
        let now = self.clock().now();
        let since = Instant::from(
            now.checked_sub(sign_in_window())
                .map_err(|e| AppError::Internal(e.to_string()))?,
        );

        let mut read = self.begin_read().await.map_err(SignInError::App)?;
        let by_account =
            sign_in_throttle::account_failures_since(&mut read, &account_key, since).await?;
        let by_client = match client {
            Some(client) => {
                sign_in_throttle::client_failures_since(&mut read, client, since).await?
            }
            None => Vec::new(),
        };
        let found = users::by_username(&mut read, username.trim()).await;
        read.commit().await?;
        let throttled = throttle(ThrottleScope::Account, &by_account, now)
            .or_else(|| throttle(ThrottleScope::Address, &by_client, now));
        if let Some(throttled) = throttled {
            return Err(SignInError::Throttled(throttled));
        }
        let user = match found {
            Ok(user) => Some(user),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(AppError::from(e).into()),
        };
        let password_ok = match &user {
            Some(user) => verify_password(password, &user.password_hash),
            None => {
                // Spend the same time as a real check so usernames cannot be probed by timing.
                let _ = verify_password(password, DUMMY_HASH);
                false
            }
        };

        let mut tx = self.begin().await.map_err(SignInError::App)?;
        let user = match user {
            Some(user) if password_ok && !user.disabled => user,
            _ => {
                sign_in_throttle::record_failure(&mut tx, &account_key, client, since).await?;
                let lockouts = self
                    .lockouts_reached(&mut tx, &account_key, client, user.as_ref(), since)
                    .await?;
                for entry in lockouts {
                    checkpoint_store::audit::append(&mut tx, entry).await?;
                }
                tx.commit().await?;
                return Err(AppError::Unauthenticated.into());
            }
        };
        sign_in_throttle::clear_account(&mut tx, &account_key).await?;
        let token = new_token();
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
            actor: actor_from_row(&user).map_err(SignInError::App)?,
            expires_at,
        })
    }

    /// The audit rows for limits this failure has just reached (exactly at the limit, so one
    /// row per lock-out, not one per refused attempt).
    async fn lockouts_reached(
        &self,
        tx: &mut checkpoint_store::Tx,
        account_key: &str,
        client: Option<&str>,
        user: Option<&users::UserRow>,
        since: Instant,
    ) -> Result<Vec<AuditEntry>, SignInError> {
        let details = |scope: ThrottleScope, failures: usize| {
            serde_json::json!({
                "event": "sign_in_throttled",
                "scope": scope,
                "failures": failures,
                "window_minutes": SIGN_IN_WINDOW_MINUTES,
                "client_address": client,
            })
        };
        let mut entries = Vec::new();
        let by_account = sign_in_throttle::account_failures_since(tx, account_key, since)
            .await?
            .len();
        if by_account == ACCOUNT_FAILURE_LIMIT {
            // A known account is named by its id; a username nobody has only by its hash,
            // so whatever a stranger typed is never written down.
            let (subject_type, subject_id) = match user {
                Some(user) => ("user", user.id.to_string()),
                None => ("unknown_username", account_key.to_owned()),
            };
            entries.push(
                AuditEntry::new(
                    None,
                    "sign-in throttle",
                    AuditAction::Alteration,
                    subject_type,
                    subject_id,
                )
                .with_details(details(ThrottleScope::Account, by_account)),
            );
        }
        if let Some(client) = client {
            let by_client = sign_in_throttle::client_failures_since(tx, client, since)
                .await?
                .len();
            if by_client == ADDRESS_FAILURE_LIMIT {
                entries.push(
                    AuditEntry::new(
                        None,
                        "sign-in throttle",
                        AuditAction::Alteration,
                        "client_address",
                        client,
                    )
                    .with_details(details(ThrottleScope::Address, by_client)),
                );
            }
        }
        Ok(entries)
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

/// Failures counted per username (whoever tries it, from wherever): a person mistyping gets
/// several tries; a guesser gets five per window.
pub const ACCOUNT_FAILURE_LIMIT: usize = 5;

/// Failures counted per client address (whatever usernames it tries). Higher than the
/// account limit because a custody suite or an office often reaches the server through one
/// NAT address shared by many staff; it still caps spraying one password across accounts.
pub const ADDRESS_FAILURE_LIMIT: usize = 20;

/// How far back failures count.
pub const SIGN_IN_WINDOW_MINUTES: i64 = 15;

fn sign_in_window() -> jiff::SignedDuration {
    jiff::SignedDuration::from_mins(SIGN_IN_WINDOW_MINUTES)
}

/// The key failures are counted under for a username: a SHA-256 of its normalised form
/// (usernames are unique ignoring case), so the table never holds what a stranger typed.
fn account_key(username: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"checkpoint-sign-in\0");
    hasher.update(username.trim().to_lowercase().as_bytes());
    hex::encode(hasher.finalize())
}

/// What a throttle counts failures per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleScope {
    Account,
    Address,
}

/// A sign-in refused because of too many recent failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub scope: ThrottleScope,
    /// Whole seconds until an attempt will be considered again (at least 1).
    pub retry_after_seconds: u64,
}

impl Throttled {
    /// What to tell the person, with the wait in minutes.
    pub fn message(&self) -> String {
        let minutes = self.retry_after_seconds.div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        let whom = match self.scope {
            ThrottleScope::Account => "this username",
            ThrottleScope::Address => "your network address",
        };
        format!(
            "Too many failed sign-ins for {whom}. Wait {minutes} {unit} and try again; if you \
             have forgotten your password, ask an administrator."
        )
    }
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many recent failures: answer 429 with `Retry-After`.
    #[error("{}", .0.message())]
    Throttled(Throttled),
    /// Wrong credentials ([`AppError::Unauthenticated`]) or a failure inside.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for SignInError {
    fn from(error: StoreError) -> SignInError {
        SignInError::App(error.into())
    }
}

/// `Some` when `failures` (oldest first, all within the window) reach the scope's limit; the
/// wait is until enough of them have left the window to fall below it.
fn throttle(scope: ThrottleScope, failures: &[Instant], now: jiff::Timestamp) -> Option<Throttled> {
    let limit = match scope {
        ThrottleScope::Account => ACCOUNT_FAILURE_LIMIT,
        ThrottleScope::Address => ADDRESS_FAILURE_LIMIT,
    };
    if failures.len() < limit {
        return None;
    }
    let frees_at = failures[failures.len() - limit]
        .get()
        .checked_add(sign_in_window())
        .ok()?;
    let wait = frees_at.duration_since(now).as_secs_f64().ceil();
    Some(Throttled {
        scope,
        retry_after_seconds: if wait >= 1.0 { wait as u64 } else { 1 },
    })
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
    fn the_throttle_waits_until_the_oldest_counted_failure_leaves_the_window() {
        let now: jiff::Timestamp = "2026-03-04T10:15:00Z".parse().unwrap();
        let at = |text: &str| Instant::from(text.parse::<jiff::Timestamp>().unwrap());
        let four: Vec<Instant> = ["10:01", "10:02", "10:03", "10:04"]
            .iter()
            .map(|t| at(&format!("2026-03-04T{t}:00Z")))
            .collect();
        assert_eq!(throttle(ThrottleScope::Account, &four, now), None);
        let mut six = four.clone();
        six.extend([at("2026-03-04T10:05:00Z"), at("2026-03-04T10:06:00Z")]);
        // Six failures, limit five: the second oldest (10:02) must leave; it does at 10:17.
        let throttled = throttle(ThrottleScope::Account, &six, now).unwrap();
        assert_eq!(throttled.retry_after_seconds, 120);
        assert!(
            throttled.message().contains("Wait 2 minutes"),
            "{}",
            throttled.message()
        );
        assert_eq!(
            throttle(ThrottleScope::Address, &six, now),
            None,
            "address limit is 20"
        );
    }

    #[test]
    fn account_keys_ignore_case_and_hide_the_username() {
        assert_eq!(account_key(" Nav.North.1 "), account_key("nav.north.1"));
        assert_ne!(account_key("nav.north.1"), account_key("nav.north.2"));
        assert!(!account_key("nav.north.1").contains("nav"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
