//! Kaplan–Meier product-limit estimator with right censoring.
//!
//! At each distinct event time `t_j` with `n_j` at risk and `d_j` events,
//! `S(t) = Π_{t_j ≤ t} (1 − d_j/n_j)` (Kaplan & Meier 1958). Variance by Greenwood's formula,
//! `Var Ŝ(t) = Ŝ(t)² Σ d_j / (n_j (n_j − d_j))`.
//!
//! Pointwise 95% intervals use the **log-log** (complementary log-log) transform, as Stata's
//! `sts` and Kalbfleisch & Prentice do: with `σ² = Σ d_j/(n_j(n_j − d_j)) / (ln Ŝ)²`, the limits
//! are `Ŝ^{exp(±zσ)}`. Unlike the plain `Ŝ ± z·SE` interval they always lie inside [0, 1].
//!
//! Ties: events are taken to happen before censorings at the same time (the usual convention),
//! so someone censored at `t` is counted at risk at `t`.

use super::Interval;
use serde::{Deserialize, Serialize};

/// One person's follow-up: the time observed and whether it ended in the event (`true`) or
/// was censored (`false`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

impl Observation {
    pub fn event(time: f64) -> Self {
        Observation { time, event: true }
    }

    pub fn censored(time: f64) -> Self {
        Observation { time, event: false }
    }
}

/// The estimate just after one distinct time at which at least one event happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KaplanMeierStep {
    pub time: f64,
    pub at_risk: u64,
    pub events: u64,
    /// Censored at this exact time (counted at risk here, gone afterwards).
    pub censored: u64,
    pub survival: f64,
    /// Greenwood standard error of `survival`.
    pub standard_error: f64,
    /// Pointwise log-log interval; `None` where it is undefined (survival 0 or 1).
    pub interval: Option<Interval>,
}

/// A whole Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KaplanMeier {
    pub subjects: u64,
    pub events: u64,
    pub steps: Vec<KaplanMeierStep>,
    /// The time the curve last stands on (largest observed time, event or censored).
    pub last_time: f64,
}

impl KaplanMeier {
    /// Fits the curve at normal quantile `z`. Observations with a negative or non-finite time
    /// are a caller error and panic.
    pub fn fit(observations: &[Observation], z: f64) -> Self {
        assert!(
            observations
                .iter()
                .all(|o| o.time.is_finite() && o.time >= 0.0),
            "survival times must be finite and non-negative"
        );
        let mut sorted = observations.to_vec();
        // Unstable: the observations at one time are taken together, in any order.
        sorted.sort_unstable_by(|a, b| a.time.total_cmp(&b.time));

        let mut at_risk = sorted.len() as u64;
        let mut survival = 1.0_f64;
        let mut greenwood_sum = 0.0_f64;
        let mut steps = Vec::new();
        let mut index = 0;
        while index < sorted.len() {
            let time = sorted[index].time;
            let mut events = 0;
            let mut censored = 0;
            while index < sorted.len() && sorted[index].time == time {
                if sorted[index].event {
                    events += 1;
                } else {
                    censored += 1;
                }
                index += 1;
            }
            if events > 0 {
                let n = at_risk as f64;
                let d = events as f64;
                survival *= 1.0 - d / n;
                greenwood_sum += if at_risk > events {
                    d / (n * (n - d))
                } else {
                    f64::INFINITY
                };
                steps.push(KaplanMeierStep {
                    time,
                    at_risk,
                    events,
                    censored,
                    survival,
                    standard_error: if greenwood_sum.is_finite() {
                        survival * greenwood_sum.sqrt()
                    } else {
                        0.0
                    },
                    interval: log_log_interval(survival, greenwood_sum, z),
                });
            }
            at_risk -= events + censored;
        }
        KaplanMeier {
            subjects: sorted.len() as u64,
            events: steps.iter().map(|s| s.events).sum(),
            steps,
            last_time: sorted.last().map_or(0.0, |o| o.time),
        }
    }

    /// Ŝ(t): the survival estimate at time `t` (1 before the first event). `None` beyond the
    /// last observed time, where the estimator says nothing.
    pub fn survival_at(&self, time: f64) -> Option<f64> {
        if time > self.last_time {
            return None;
        }
        Some(
            self.steps
                .iter()
                .take_while(|s| s.time <= time)
                .last()
                .map_or(1.0, |s| s.survival),
        )
    }

    /// The step in force at time `t`, if an event has happened by then.
    pub fn step_at(&self, time: f64) -> Option<&KaplanMeierStep> {
        self.steps.iter().take_while(|s| s.time <= time).last()
    }

    /// Median survival: the smallest event time at which Ŝ(t) ≤ 0.5 (Kleinbaum & Klein's and
    /// most packages' definition); `None` when the curve never falls that far.
    pub fn median(&self) -> Option<f64> {
        self.steps
            .iter()
            .find(|s| s.survival <= 0.5 + 1e-12)
            .map(|s| s.time)
    }

    /// Number still at risk at time `t` (those whose observed time is ≥ t).
    pub fn at_risk_at(observations: &[Observation], time: f64) -> u64 {
        observations.iter().filter(|o| o.time >= time).count() as u64
    }
}

/// `Ŝ^{exp(±zσ)}` with `σ = √(greenwood_sum) / |ln Ŝ|`.
fn log_log_interval(survival: f64, greenwood_sum: f64, z: f64) -> Option<Interval> {
    if survival <= 0.0 || survival >= 1.0 || !greenwood_sum.is_finite() {
        return None;
    }
    let sigma = greenwood_sum.sqrt() / survival.ln().abs();
    Some(Interval::new(
        survival.powf((z * sigma).exp()),
        survival.powf((-z * sigma).exp()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Z_95;

    #[test]
    fn log_log_interval_follows_its_formula() {
        // 21 at risk, 3 events: S = 18/21, Σ d/(n(n−d)) = 3/(21·18).
        let observations: Vec<Observation> = (0..21)
            .map(|i| {
                if i < 3 {
                    Observation::event(1.0)
                } else {
                    Observation::censored(5.0)
                }
            })
            .collect();
        let curve = KaplanMeier::fit(&observations, Z_95);
        let s: f64 = 18.0 / 21.0;
        let sigma = (3.0_f64 / (21.0 * 18.0)).sqrt() / s.ln().abs();
        let interval = curve.steps[0].interval.unwrap();
        assert!((interval.lower - s.powf((Z_95 * sigma).exp())).abs() < 1e-12);
        assert!((interval.upper - s.powf((-Z_95 * sigma).exp())).abs() < 1e-12);
        // Hand-computed to 4 dp: 0.6197 to 0.9516.
        assert!((interval.lower - 0.6197).abs() < 5e-5);
        assert!((interval.upper - 0.9516).abs() < 5e-5);
    }

    #[test]
    fn survival_at_is_a_step_function() {
        let curve = KaplanMeier::fit(
            &[
                Observation::event(2.0),
                Observation::censored(3.0),
                Observation::event(4.0),
            ],
            Z_95,
        );
        assert_eq!(curve.survival_at(1.0), Some(1.0));
        assert!((curve.survival_at(2.5).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(curve.survival_at(4.0), Some(0.0));
        assert_eq!(curve.survival_at(5.0), None);
        assert_eq!(curve.steps.last().unwrap().interval, None);
    }
}
