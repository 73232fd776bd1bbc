//! The evaluation crate's one integration-test binary: published worked examples reproduced,
//! property tests of the statistics and suppression, and reports over synthetic cohorts whose
//! answers are known by construction.

mod properties;
mod published;
mod reports;
