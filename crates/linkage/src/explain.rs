//! Per-pair explanations ("waterfalls"): how each field moved the match weight, so a person can
//! see why two records were, or were not, linked.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One field's part in a pair's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldContribution {
    /// The comparison's name.
    pub comparison: String,
    /// The level reached: `exact`, `jw:0.92`, `else`, or `null` when a value was missing.
    pub level: String,
    /// P(level | match); absent for `null`.
    pub m: Option<f64>,
    /// P(level | non-match); absent for `null`.
    pub u: Option<f64>,
    /// log2(m / u), in bits; 0 for `null`.
    pub weight: f64,
    /// Extra bits for agreeing on a rare (positive) or common (negative) value.
    pub tf_adjustment: f64,
}

impl FieldContribution {
    /// `exact +7.12` or `exact +7.12 (tf -1.30)`.
    pub fn summary(&self) -> String {
        if self.tf_adjustment == 0.0 {
            format!("{} {:+.2}", self.level, self.weight)
        } else {
            format!(
                "{} {:+.2} (tf {:+.2})",
                self.level, self.weight, self.tf_adjustment
            )
        }
    }
}

/// The whole waterfall: start at the prior, add each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// log2(λ / (1 − λ)).
    pub prior_weight: f64,
    pub fields: Vec<FieldContribution>,
    /// Prior plus every field's weight and adjustment.
    pub match_weight: f64,
    pub match_probability: f64,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut running = self.prior_weight;
        writeln!(
            f,
            "{:<20} {:<16} {:>8} {:>10} {:>10} {:>8}",
            "field", "level", "bits", "m", "u", "total"
        )?;
        writeln!(
            f,
            "{:<20} {:<16} {:>+8.2} {:>10} {:>10} {:>+8.2}",
            "prior", "", self.prior_weight, "", "", running
        )?;
        for field in &self.fields {
            running += field.weight + field.tf_adjustment;
            let fmt_p = |p: Option<f64>| p.map_or_else(String::new, |p| format!("{p:.3e}"));
            writeln!(
                f,
                "{:<20} {:<16} {:>+8.2} {:>10} {:>10} {:>+8.2}",
                field.comparison,
                field.level,
                field.weight,
                fmt_p(field.m),
                fmt_p(field.u),
                running
            )?;
            if field.tf_adjustment != 0.0 {
                writeln!(
                    f,
                    "{:<20} {:<16} {:>+8.2}",
                    "", "  term frequency", field.tf_adjustment
                )?;
            }
        }
        write!(
            f,
            "match weight {:+.2} bits, probability {:.4}",
            self.match_weight, self.match_probability
        )
    }
}
