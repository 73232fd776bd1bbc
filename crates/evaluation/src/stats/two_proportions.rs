//! Comparing two independent proportions `a/n1` (group 1) and `b/n2` (group 2).
//!
//! - Risk difference `p1 − p2` with Newcombe's hybrid score interval (method 10 of Newcombe
//!   (1998) "Interval estimation for the difference between independent proportions: comparison
//!   of eleven methods", Stat Med 17:873–890). It combines the two Wilson intervals, so it
//!   behaves at 0 and n where the Wald difference interval does not.
//! - Relative risk `p1 / p2` with the log (Katz) interval: `exp(ln RR ± z·SE)`,
//!   `SE = √(1/a − 1/n1 + 1/b − 1/n2)` (Katz et al. 1978; Altman 1991, *Practical Statistics
//!   for Medical Research*, §10.11.1).
//! - Odds ratio `ad/bc` with Woolf's logit interval, `SE = √(1/a + 1/b + 1/c + 1/d)`
//!   (Altman 1991, §10.11.2).
//!
//! The log intervals are undefined when a cell is zero; these functions then return `None`
//! rather than silently adding 0.5 to every cell, so a report can say "not estimable".

use super::proportion::wilson_interval;
use super::{Estimate, Interval};

/// Risk difference `a/n1 − b/n2` with Newcombe's hybrid score interval:
/// `L = D − √((p1 − l1)² + (u2 − p2)²)`, `U = D + √((u1 − p1)² + (p2 − l2)²)`,
/// where `(l_i, u_i)` are the Wilson limits for each proportion.
pub fn risk_difference_newcombe(a: u64, n1: u64, b: u64, n2: u64, z: f64) -> Option<Estimate> {
    let first = wilson_interval(a, n1, z)?;
    let second = wilson_interval(b, n2, z)?;
    let p1 = a as f64 / n1 as f64;
    let p2 = b as f64 / n2 as f64;
    let difference = p1 - p2;
    let lower = difference - ((p1 - first.lower).powi(2) + (second.upper - p2).powi(2)).sqrt();
    let upper = difference + ((first.upper - p1).powi(2) + (p2 - second.lower).powi(2)).sqrt();
    Some(Estimate {
        estimate: difference,
        interval: Interval::new(lower.max(-1.0), upper.min(1.0)),
    })
}

/// Relative risk `(a/n1) / (b/n2)` with the log (Katz) interval. `None` when either count of
/// events is zero or a denominator is zero.
pub fn relative_risk_log(a: u64, n1: u64, b: u64, n2: u64, z: f64) -> Option<Estimate> {
    if a == 0 || b == 0 || a > n1 || b > n2 {
        return None;
    }
    let (a, n1, b, n2) = (a as f64, n1 as f64, b as f64, n2 as f64);
    let ratio = (a / n1) / (b / n2);
    let standard_error = (1.0 / a - 1.0 / n1 + 1.0 / b - 1.0 / n2).sqrt();
    Some(log_scale_estimate(ratio, standard_error, z))
}

/// Odds ratio `(a/(n1−a)) / (b/(n2−b))` with Woolf's logit interval. `None` when any of the
/// four cells is zero.
pub fn odds_ratio_woolf(a: u64, n1: u64, b: u64, n2: u64, z: f64) -> Option<Estimate> {
    if a == 0 || b == 0 || a >= n1 || b >= n2 {
        return None;
    }
    let (a, c, b, d) = (a as f64, (n1 - a) as f64, b as f64, (n2 - b) as f64);
    let ratio = (a * d) / (b * c);
    let standard_error = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    Some(log_scale_estimate(ratio, standard_error, z))
}

/// `ratio` with the interval `exp(ln ratio ± z·se)`.
pub(crate) fn log_scale_estimate(ratio: f64, standard_error: f64, z: f64) -> Estimate {
    let log_ratio = ratio.ln();
    Estimate {
        estimate: ratio,
        interval: Interval::new(
            (log_ratio - z * standard_error).exp(),
            (log_ratio + z * standard_error).exp(),
        ),
    }
}
