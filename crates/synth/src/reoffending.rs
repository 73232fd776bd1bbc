//! When people reoffend: a piecewise-constant hazard from an index date (contract start for
//! participants, the decision date for everyone else).
//!
//! A constant hazard λ gives P(reoffend by t) = 1 − e^(−λt). Setting it from the published
//! 24-month figures (35% participants, 48% controls; domain.md §10) gives a hazard ratio of
//! ln(0.65)/ln(0.52) ≈ 0.66, which agrees with the trial's "reoffending hazard 30% lower"
//! (Weir et al. 2021, domain.md §1), so one simple model honours both published results.
//! For participants the hazard inside the contract is set apart, to give the 5.6% who
//! reoffended in-contract, and the hazard after it is solved so the 24-month figure still holds.

use crate::rng::Rng;

/// The hazard of a first reoffence, per month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hazard {
    /// Months from the index date during which `during` applies (0 for no contract).
    pub contract_months: f64,
    pub during: f64,
    pub after: f64,
}

impl Hazard {
    /// A constant hazard with P(first reoffence by `months`) = `probability`.
    pub fn constant(months: f64, probability: f64) -> Hazard {
        let rate = -(1.0 - probability.clamp(0.0, 0.999)).ln() / months;
        Hazard {
            contract_months: 0.0,
            during: rate,
            after: rate,
        }
    }

    /// A participant's hazard: P(by `contract_months`) = `in_contract` (capped so the contract
    /// is never riskier than the whole period), P(by `months`) = `probability`.
    pub fn with_contract(
        months: f64,
        probability: f64,
        contract_months: f64,
        in_contract: f64,
    ) -> Hazard {
        let total = -(1.0 - probability.clamp(0.0, 0.999)).ln();
        let overall = total / months;
        let during =
            (-(1.0 - in_contract).ln() / crate::schemes::rates::IN_CONTRACT_MONTHS).min(overall);
        let contract_months = contract_months.min(months);
        let after = if months > contract_months {
            (total - during * contract_months) / (months - contract_months)
        } else {
            overall
        };
        Hazard {
            contract_months,
            during,
            after: after.max(0.0),
        }
    }

    /// Months to the first reoffence for a uniform draw `u` in (0, 1] (inverse transform, so
    /// the same `u` gives comparable times under different hazards).
    pub fn first_reoffence(self, u: f64) -> f64 {
        let target = -u.ln();
        let in_contract = self.during * self.contract_months;
        if target <= in_contract {
            target / self.during
        } else if self.after > 0.0 {
            self.contract_months + (target - in_contract) / self.after
        } else {
            f64::INFINITY
        }
    }

    pub fn probability_by(self, months: f64) -> f64 {
        let h = self.during * months.min(self.contract_months)
            + self.after * (months - self.contract_months).max(0.0);
        1.0 - (-h).exp()
    }
}

/// Months after the first reoffence at which further ones happen (a small prolific group).
pub fn later_reoffences(rng: &mut Rng, first: f64, hazard: Hazard) -> Vec<f64> {
    let extra = rng
        .geometric(crate::schemes::rates::EXTRA_REOFFENCES_MEAN)
        .min(8);
    let rate = (hazard.after * 3.0).max(0.02);
    let mut at = first;
    (0..extra)
        .map(|_| {
            at += rng.exponential(rate);
            at
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_rates_are_reproduced() {
        let participant = Hazard::with_contract(24.0, 0.35, 4.0, 0.056);
        assert!((participant.probability_by(4.0) - 0.056).abs() < 1e-9);
        assert!((participant.probability_by(24.0) - 0.35).abs() < 1e-9);
        let control = Hazard::constant(24.0, 0.48);
        assert!((control.probability_by(24.0) - 0.48).abs() < 1e-9);
        // The implied hazard ratio matches "30% lower" (Weir et al. 2021) to within rounding.
        let ratio = Hazard::constant(24.0, 0.35).after / control.after;
        assert!((ratio - 0.66).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn inverse_transform_matches_the_distribution() {
        let h = Hazard::with_contract(24.0, 0.35, 4.0, 0.056);
        let mut rng = Rng::new(1);
        let n = 100_000;
        let by_24 = (0..n)
            .filter(|_| h.first_reoffence(rng.unit_open()) <= 24.0)
            .count();
        let p = by_24 as f64 / n as f64;
        assert!((p - 0.35).abs() < 0.01, "{p}");
    }
}
