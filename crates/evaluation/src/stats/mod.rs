//! Statistical building blocks. Every function is pure and takes counts or observations; none
//! knows about cases, schemes or suppression (the report layer applies those).

pub mod harm;
pub mod hazard;
pub mod logrank;
pub mod proportion;
pub mod rate;
pub mod rri;
pub mod survival;
pub mod two_proportions;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// The standard normal quantile for a two-sided 95% interval, Φ⁻¹(0.975).
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A two-sided confidence interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    pub fn new(lower: f64, upper: f64) -> Self {
        Interval { lower, upper }
    }

    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// A point estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub estimate: f64,
    pub interval: Interval,
}

/// The normal quantile `z` such that a two-sided interval has coverage `confidence`
/// (0.95 → 1.95996…). Panics on a confidence outside (0, 1), a programming error.
pub fn z_for_confidence(confidence: f64) -> f64 {
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "confidence must lie strictly between 0 and 1, got {confidence}"
    );
    let standard = Normal::new(0.0, 1.0).expect("the standard normal is valid");
    standard.inverse_cdf(0.5 + confidence / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_for_95_percent_matches_the_constant() {
        assert!((z_for_confidence(0.95) - Z_95).abs() < 1e-9);
        assert!((z_for_confidence(0.90) - 1.644_853_626_951_472_2).abs() < 1e-9);
    }
}
