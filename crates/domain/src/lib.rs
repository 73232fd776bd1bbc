//! Checkpoint's domain core.
//!
//! Pure types and rules for police-led diversion: who was referred ([`referral`]), for what
//! ([`offence`]), whether a scheme's policy admits them and why ([`policy`]), the life of a case
//! ([`lifecycle`]), the contract and its conditions ([`contract`]), the prosecution deadline
//! ([`deadline`]) and Home Office outcome codes ([`outcome`]).
//!
//! Architecture invariant: this crate does no IO. It never imports sqlx, axum or tokio, reads no
//! clock (callers pass "today") and touches no file system (callers pass file contents).

pub mod contract;
pub mod deadline;
pub mod lifecycle;
pub mod offence;
pub mod outcome;
pub mod person;
pub mod policy;
pub mod redaction;
pub mod referral;
