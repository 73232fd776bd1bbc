//! Checkpoint's built-in evaluation.
//!
//! Durham ran its randomised trial outside its systems, and forces send participant lists to the
//! Justice Data Lab and wait months. This crate turns plain in-memory case records into the
//! figures an evaluator needs, with statistics a statistician can check and every published
//! count passed through small-number suppression.
//!
//! Layout:
//!
//! - [`stats`] — pure statistics on counts and observations: Wilson proportions
//!   ([`stats::proportion`]), risk difference / relative risk / odds ratio
//!   ([`stats::two_proportions`]), Kaplan–Meier ([`stats::survival`]), log-rank
//!   ([`stats::logrank`]), hazard ratios ([`stats::hazard`]), rates per 100 ([`stats::rate`]),
//!   Crime Harm Index ([`stats::harm`]) and the relative rate index ([`stats::rri`]).
//! - [`suppression`] — primary and secondary small-number suppression over tables whose cells
//!   sum to published totals; [`suppression::Count`] carries "suppressed" explicitly.
//! - [`cost`] — unit costs → cost per participant, per completion, per reoffence avoided.
//! - [`records`] — the input: one [`records::CaseRecord`] per case.
//! - [`report`] — report assembly: funnel, reoffending, trial (ITT), disproportionality.
//! - [`render`] — CSV and accessible SVG as plain strings.
//!
//! Architecture invariant: no IO. No database, no files, no clock: callers pass the records
//! and "today".

pub mod cost;
pub mod records;
pub mod render;
pub mod report;
pub mod stats;
pub mod suppression;
