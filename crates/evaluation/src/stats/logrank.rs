//! The log-rank test for k groups (Mantel 1966; Peto & Peto 1972).
//!
//! At each distinct event time with `n` at risk and `d` events overall, group `j` with `n_j`
//! at risk expects `E_j = d·n_j/n`. The hypergeometric covariance is
//! `V_jk = d (n − d) / (n − 1) · (n_j/n) (δ_jk − n_k/n)`. Summed over times, the statistic is
//! `(O − E)ᵀ V⁻¹ (O − E)` over any k − 1 groups, chi-square on k − 1 degrees of freedom; for two
//! groups it reduces to `(O₁ − E₁)² / V₁₁`.

use super::survival::Observation;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Observed and expected events for one group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupEvents {
    pub subjects: u64,
    pub observed: f64,
    pub expected: f64,
}

/// The result of a log-rank test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRank {
    pub groups: Vec<GroupEvents>,
    /// Σ V_jj for the first group: the variance of O₁ − E₁ (useful for the Peto hazard ratio).
    pub variance_first: f64,
    pub chi_square: f64,
    pub degrees_of_freedom: u32,
    pub p_value: f64,
}

impl LogRank {
    /// Runs the test; `None` with fewer than two non-empty groups or no events at all.
    pub fn test(groups: &[Vec<Observation>]) -> Option<Self> {
        let k = groups.len();
        if k < 2 || groups.iter().any(|g| g.is_empty()) {
            return None;
        }
        let mut times: Vec<f64> = groups
            .iter()
            .flatten()
            .filter(|o| o.event)
            .map(|o| o.time)
            .collect();
        if times.is_empty() {
            return None;
        }
        times.sort_unstable_by(f64::total_cmp);
        times.dedup();

        // Each group's times and event times, sorted: the number at risk (time ≥ t) and the
        // events at t are then two binary searches each, not a pass over the group per
        // distinct event time (a national cohort has a million people and ~700 such times).
        let sorted = |times: Vec<f64>| {
            let mut times = times;
            times.sort_unstable_by(f64::total_cmp);
            times
        };
        let all_times: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| sorted(g.iter().map(|o| o.time).collect()))
            .collect();
        let event_times: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| sorted(g.iter().filter(|o| o.event).map(|o| o.time).collect()))
            .collect();
        let mut observed = vec![0.0; k];
        let mut expected = vec![0.0; k];
        let mut covariance = vec![vec![0.0; k]; k];
        for &time in &times {
            let at_risk: Vec<f64> = all_times
                .iter()
                .map(|g| (g.len() - g.partition_point(|&t| t < time)) as f64)
                .collect();
            let events: Vec<f64> = event_times
                .iter()
                .map(|g| {
                    (g.partition_point(|&t| t <= time) - g.partition_point(|&t| t < time)) as f64
                })
                .collect();
            let n: f64 = at_risk.iter().sum();
            let d: f64 = events.iter().sum();
            for j in 0..k {
                observed[j] += events[j];
                expected[j] += d * at_risk[j] / n;
            }
            if n > 1.0 {
                let factor = d * (n - d) / (n - 1.0);
                for j in 0..k {
                    for l in 0..k {
                        let kronecker = if j == l { 1.0 } else { 0.0 };
                        covariance[j][l] +=
                            factor * (at_risk[j] / n) * (kronecker - at_risk[l] / n);
                    }
                }
            }
        }

        // Drop the last group: V is singular over all k.
        let m = k - 1;
        let difference: Vec<f64> = (0..m).map(|j| observed[j] - expected[j]).collect();
        let reduced: Vec<Vec<f64>> = (0..m).map(|j| covariance[j][..m].to_vec()).collect();
        let solved = solve(reduced, difference.clone())?;
        let chi_square: f64 = difference.iter().zip(&solved).map(|(a, b)| a * b).sum();
        let degrees_of_freedom = m as u32;
        let distribution = ChiSquared::new(f64::from(degrees_of_freedom)).ok()?;
        Some(LogRank {
            groups: groups
                .iter()
                .enumerate()
                .map(|(j, g)| GroupEvents {
                    subjects: g.len() as u64,
                    observed: observed[j],
                    expected: expected[j],
                })
                .collect(),
            variance_first: covariance[0][0],
            chi_square,
            degrees_of_freedom,
            p_value: (1.0 - distribution.cdf(chi_square)).max(0.0),
        })
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular
/// (e.g. a group had nobody at risk at any event time).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for column in 0..n {
        let pivot =
            (column..n).max_by(|&i, &j| a[i][column].abs().total_cmp(&a[j][column].abs()))?;
        if a[pivot][column].abs() < 1e-12 {
            return None;
        }
        a.swap(column, pivot);
        b.swap(column, pivot);
        let (upper, lower) = a.split_at_mut(column + 1);
        let pivot_row = &upper[column];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[column] / pivot_row[column];
            for (target, source) in row[column..].iter_mut().zip(&pivot_row[column..]) {
                *target -= factor * source;
            }
            b[column + 1 + offset] -= factor * b[column];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Some(x)
}
