//! Hazard ratio between two groups from the log-rank quantities — no Cox model.
//!
//! Chosen because it needs nothing beyond the log-rank test already run, and it is what
//! Bland & Altman present alongside it ("The logrank test", BMJ 2004;328:1073):
//! `HR = (O₁/E₁) / (O₂/E₂)`, with `SE(ln HR) = √(1/E₁ + 1/E₂)`.
//! It is close to the Cox estimate when the hazard ratio is moderate (roughly 1/3 to 3); beyond
//! that it is biased towards 1, which the report states.
//!
//! The Peto one-step estimate `exp((O₁ − E₁)/V)` with `SE = 1/√V` is offered too.

use super::Estimate;
use super::logrank::LogRank;
use super::two_proportions::log_scale_estimate;

/// `(O₁/E₁)/(O₂/E₂)` for the first two groups of `test`; `None` when any of O₁, O₂, E₁, E₂ is
/// zero (the log interval is then undefined).
pub fn hazard_ratio_observed_expected(test: &LogRank, z: f64) -> Option<Estimate> {
    let [first, second, ..] = test.groups.as_slice() else {
        return None;
    };
    if first.observed <= 0.0 || second.observed <= 0.0 || first.expected <= 0.0 {
        return None;
    }
    if second.expected <= 0.0 {
        return None;
    }
    let ratio = (first.observed / first.expected) / (second.observed / second.expected);
    let standard_error = (1.0 / first.expected + 1.0 / second.expected).sqrt();
    Some(log_scale_estimate(ratio, standard_error, z))
}

/// Peto's one-step estimate `exp((O₁ − E₁)/V₁₁)` with `SE(ln HR) = 1/√V₁₁`.
pub fn hazard_ratio_peto(test: &LogRank, z: f64) -> Option<Estimate> {
    let first = test.groups.first()?;
    if test.variance_first <= 0.0 {
        return None;
    }
    let log_ratio = (first.observed - first.expected) / test.variance_first;
    Some(log_scale_estimate(
        log_ratio.exp(),
        1.0 / test.variance_first.sqrt(),
        z,
    ))
}
