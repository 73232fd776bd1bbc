//! A single binomial proportion with the Wilson score interval.
//!
//! Wilson (1927) "Probable inference, the law of succession, and statistical inference", JASA
//! 22:209–212; methods 3 (score) and 4 (score with continuity correction) of Newcombe (1998)
//! "Two-sided confidence intervals for the single proportion", Stat Med 17:857–872. The Wilson
//! interval is used instead of the Wald `p ± z√(p(1−p)/n)` because Wald collapses to zero width
//! at 0 and n and undercovers badly for the small n a single force's scheme produces.

use super::{Estimate, Interval};
use serde::{Deserialize, Serialize};

/// `events` out of `total`, with the proportion and its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    pub events: u64,
    pub total: u64,
    pub estimate: f64,
    pub interval: Interval,
}

impl Proportion {
    /// The proportion with its Wilson score interval at normal quantile `z`; `None` when
    /// `total` is zero (no proportion exists) or `events > total`.
    pub fn wilson(events: u64, total: u64, z: f64) -> Option<Self> {
        let interval = wilson_interval(events, total, z)?;
        Some(Proportion {
            events,
            total,
            estimate: events as f64 / total as f64,
            interval,
        })
    }

    pub fn as_estimate(&self) -> Estimate {
        Estimate {
            estimate: self.estimate,
            interval: self.interval,
        }
    }
}

/// Wilson score interval (Newcombe 1998, method 3):
///
/// `(2r + z² ± z√(z² + 4r(1 − p))) / (2(n + z²))`, with `p = r/n`.
pub fn wilson_interval(events: u64, total: u64, z: f64) -> Option<Interval> {
    if total == 0 || events > total {
        return None;
    }
    let r = events as f64;
    let n = total as f64;
    let p = r / n;
    let z2 = z * z;
    let centre = 2.0 * r + z2;
    let half = z * (z2 + 4.0 * r * (1.0 - p)).sqrt();
    let denominator = 2.0 * (n + z2);
    // Clamp only against floating-point dust: the exact limits lie in [0, 1].
    Some(Interval::new(
        ((centre - half) / denominator).max(0.0),
        ((centre + half) / denominator).min(1.0),
    ))
}

/// Wilson score interval with continuity correction (Newcombe 1998, method 4):
///
/// `L = (2np + z² − 1 − z√(z² − 2 − 1/n + 4p(nq + 1))) / (2(n + z²))`,
/// `U = (2np + z² + 1 + z√(z² + 2 − 1/n + 4p(nq − 1))) / (2(n + z²))`,
/// with `L = 0` when `p = 0` and `U = 1` when `p = 1`.
pub fn wilson_interval_continuity_corrected(events: u64, total: u64, z: f64) -> Option<Interval> {
    if total == 0 || events > total {
        return None;
    }
    let n = total as f64;
    let p = events as f64 / n;
    let q = 1.0 - p;
    let z2 = z * z;
    let denominator = 2.0 * (n + z2);
    let lower = if events == 0 {
        0.0
    } else {
        let root = (z2 - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0)).sqrt();
        ((2.0 * n * p + z2 - 1.0 - z * root) / denominator).max(0.0)
    };
    let upper = if events == total {
        1.0
    } else {
        let root = (z2 + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0)).sqrt();
        ((2.0 * n * p + z2 + 1.0 + z * root) / denominator).min(1.0)
    };
    Some(Interval::new(lower, upper))
}
