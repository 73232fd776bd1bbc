//! Checkpoint's application layer: the use cases every client shares.
//!
//! Each use case is a method on [`App`] that takes the acting user ([`Actor`]) first and runs
//! the same three steps, in this order:
//!
//! 1. **authorise** — [`permissions::authorise`] (role) or [`permissions::authorise_case`]
//!    (role plus scope: navigators see their own and their team's cases; a case outside scope
//!    answers "not found" so its existence is not revealed);
//! 2. **apply the domain rule** — policy evaluation, lifecycle transition, contract checks, all
//!    from `checkpoint-domain`;
//! 3. **write** — every row of the change *and its audit row* in one transaction (`Db::begin`,
//!    `audit::append`, `commit`). Reads of personal data write a consultation audit row too.
//!
//! Layout: [`actor`] (roles), [`permissions`] (the permission table), [`error`] ([`AppError`]),
//! [`clock`] (now and today, injectable), [`policies`] (the policy registry), [`auth`]
//! (accounts, passwords, sessions), and one module per group of use cases.
//!
//! Invariant: web, API and CLI never call `checkpoint-store` directly for anything a user does;
//! they call these methods, so permission checks and audit cannot be skipped.

pub mod actor;
pub mod appointments;
pub mod assignment;
pub mod auth;
mod case_notes;
pub mod case_ops;
pub mod case_view;
pub mod clock;
pub mod closure;
pub mod contracts;
pub mod error;
pub mod exports;
mod follow_up;
pub mod monitoring;
pub mod needs;
pub mod offers;
pub mod people;
pub mod permissions;
pub mod policies;
pub mod provider_referrals;
pub mod referrals;
pub mod report_codes;
pub mod report_projection;
pub mod reports;
pub mod retention;
pub mod reviews;
pub mod screening;
pub mod trial;
pub mod worklists;

pub use actor::{Actor, Role};
pub use auth::{Account, NewAccount, PasswordCost, Session};
pub use clock::Clock;
pub use error::{AppError, FieldError};
pub use permissions::Action;
pub use policies::PolicyRegistry;

use checkpoint_store::Db;
use std::sync::Arc;

/// Deployment settings the use cases read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Prefix of human-readable case references (`CP-2026-000123`).
    pub reference_prefix: String,
    /// How long a sign-in lasts.
    pub session_hours: u16,
    /// A case with no recorded contact for this many days shows on work lists.
    pub no_contact_days: u16,
    /// Most open cases a navigator may hold unless a supervisor overrides.
    pub caseload_limit: u16,
    pub password_cost: PasswordCost,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            reference_prefix: "CP".to_owned(),
            session_hours: 12,
            no_contact_days: 14,
            caseload_limit: 30,
            password_cost: PasswordCost::Standard,
        }
    }
}

/// The application: a database, the policies in force, a clock and settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    policies: PolicyRegistry,
    clock: Clock,
    settings: Settings,
    /// The linkage index of known people (reoffending monitoring), built on first use.
    monitor: monitoring::Monitor,
}

impl App {
    pub fn new(db: Db, policies: PolicyRegistry, clock: Clock, settings: Settings) -> App {
        App {
            inner: Arc::new(Inner {
                db,
                policies,
                clock,
                settings,
                monitor: monitoring::Monitor::default(),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn policies(&self) -> &PolicyRegistry {
        &self.inner.policies
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Opens a write transaction acting at the application clock's "now": every row it writes
    /// (events, audit entries, created/decided times) carries that one instant.
    pub async fn begin(&self) -> Result<checkpoint_store::Tx, AppError> {
        let mut tx = self.db().begin().await?;
        tx.set_now(self.clock().now().into());
        Ok(tx)
    }

    /// Opens a read-only snapshot transaction at the application clock's "now". Nothing that
    /// writes (audit rows included) may use it: on SQLite a write in it can fail as locked.
    pub async fn begin_read(&self) -> Result<checkpoint_store::Tx, AppError> {
        let mut tx = self.db().begin_read().await?;
        tx.set_now(self.clock().now().into());
        Ok(tx)
    }

    /// Two read-only transactions in one snapshot ([`checkpoint_store::Db::begin_read_pair`]),
    /// both at the application clock's "now"; only one while a SQLite writer holds the lock.
    pub async fn begin_read_pair(
        &self,
    ) -> Result<(checkpoint_store::Tx, Option<checkpoint_store::Tx>), AppError> {
        let (mut first, mut second) = self.db().begin_read_pair().await?;
        first.set_now(self.clock().now().into());
        if let Some(second) = &mut second {
            second.set_now(self.clock().now().into());
        }
        Ok((first, second))
    }
}
