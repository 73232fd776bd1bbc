//! Checkpoint's storage layer.
//!
//! Layout:
//! - [`db`]: [`Db`], one concrete enum over a SQLite or PostgreSQL pool, and [`Tx`], an open
//!   transaction on either. Migrations per backend live in `migrations/{sqlite,postgres}` and
//!   are embedded in the binary.
//! - One module per aggregate, each a set of `async fn(&mut Tx, …)` returning typed rows:
//!   [`people`], [`referrals`], [`decisions`], [`cases`] (with the case event log and case
//!   references), [`contracts`] (with conditions), [`appointments`], [`provider_referrals`],
//!   [`needs`], [`trials`], [`users`] (with sessions), [`screening`] (the policy's advice on a
//!   case and countersignatures of overrides), [`arrests`] (the arrest feed, its links,
//!   clerical review queue, reoffending events and stored linkage models).
//! - [`audit`]: the hash-chained DPA 2018 s.62 log; [`backup`]: online backups and the portable
//!   dump that restores into either backend.
//! - [`error`]: [`StoreError`], with constraint violations mapped to named variants.
//! - [`time`]: [`Instant`] and [`CivilDate`], encoded the same way on both backends.
//!
//! Invariants:
//! - Every SQL string runs unchanged on both backends (`$N` placeholders, no `query!`); the
//!   `on_tx!` macro repeats the body once per backend. Both backends are tested by one suite.
//! - Every write happens in a [`Tx`] the caller opened with [`Db::begin`] and commits; the
//!   audit row for a change goes into that same transaction with [`audit::append`].
//! - On SQLite, write transactions start with `BEGIN IMMEDIATE`.
//! - A case's `version` counts its events: each change to a case appends exactly one event
//!   whose `sequence` equals the new version, and the update is guarded by the version the
//!   caller read (`WHERE id = $1 AND version = $2`); a stale version is [`StoreError::Conflict`].
//! - `case_events` and `audit_log` are append-only (triggers reject UPDATE and DELETE).
//! - Ids are UUID v7 generated in Rust; instants are UTC at microsecond precision.
//! - Case references (`CP-2026-000123`) come from a counter row updated inside the creating
//!   transaction, so they are dense: a rolled-back create gives its number back.

pub mod appointments;
pub mod arrests;
pub mod audit;
pub mod backup;
pub mod bulk;
mod bulk_read;
pub mod cases;
mod codes;
pub mod contracts;
pub mod db;
pub mod decisions;
pub mod error;
pub mod needs;
pub mod people;
pub mod provider_referrals;
pub mod referrals;
pub mod report_projection;
pub mod reporting;
pub mod retention;
pub mod screening;
pub mod sign_in_throttle;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod trials;
pub mod users;

pub use audit::{AuditAction, AuditEntry};
pub use db::{Backend, DEFAULT_DATABASE_URL, Db, Tx};
pub use error::{Entity, StoreError};
pub use time::{CivilDate, Instant};
