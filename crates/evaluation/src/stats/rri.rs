//! The relative rate index (RRI) used by the MoJ's Lammy Review analysis and the US OJJDP
//! disproportionate minority contact method:
//! `RRI = (group events ÷ group base) / (reference events ÷ reference base)`.
//! 1.0 is parity. Each stage uses its own base (e.g. offered ÷ eligible).
//!
//! Interval: it is a ratio of two independent proportions, so the log (Katz) interval applies,
//! `SE(ln RRI) = √(1/a − 1/n₁ + 1/b − 1/n₂)`. Where counts are small that interval is
//! unreliable, so cells below configurable minima are reported as "insufficient", as the
//! OJJDP and Washington State courts' RRI tables do.

use super::two_proportions::relative_risk_log;
use super::{Estimate, Z_95};
use serde::{Deserialize, Serialize};

/// When an RRI is worth computing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RriRules {
    /// Fewer events than this in either the group or the reference → insufficient.
    pub min_events: u64,
    /// A base smaller than this in either the group or the reference → insufficient.
    pub min_base: u64,
}

impl Default for RriRules {
    fn default() -> Self {
        RriRules {
            min_events: 5,
            min_base: 10,
        }
    }
}

/// Counts behind one RRI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCounts {
    pub events: u64,
    pub base: u64,
}

/// An RRI, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RelativeRateIndex {
    Estimated {
        rri: Estimate,
        group_rate: f64,
        reference_rate: f64,
    },
    /// Too few events or too small a base to say anything.
    Insufficient,
}

impl RelativeRateIndex {
    pub fn compute(group: RateCounts, reference: RateCounts, rules: RriRules) -> Self {
        let small = |c: RateCounts| c.events < rules.min_events || c.base < rules.min_base;
        if small(group) || small(reference) {
            return RelativeRateIndex::Insufficient;
        }
        match relative_risk_log(
            group.events,
            group.base,
            reference.events,
            reference.base,
            Z_95,
        ) {
            Some(rri) => RelativeRateIndex::Estimated {
                rri,
                group_rate: group.events as f64 / group.base as f64,
                reference_rate: reference.events as f64 / reference.base as f64,
            },
            None => RelativeRateIndex::Insufficient,
        }
    }
}
