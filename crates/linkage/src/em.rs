//! Expectation maximisation of m probabilities (and the session's match share λ) from the
//! comparison patterns of unlabelled pairs.
//!
//! Pairs are first reduced to distinct patterns with counts (a pattern is every comparison's
//! level packed 4 bits each), so an iteration costs the number of distinct patterns — a few
//! thousand — however many pairs there were.
//!
//! u stays fixed at its random-sampling estimate during EM (Splink's default): with u known,
//! the model is identified and cannot swap its "match" and "non-match" classes.

use crate::compare::NULL_LEVEL;
use std::collections::HashMap;

/// Packs levels, 4 bits each; comparison 0 in the lowest bits.
pub fn pack(levels: &[u8]) -> u64 {
    levels
        .iter()
        .enumerate()
        .fold(0, |acc, (c, &l)| acc | (u64::from(l & 0xf) << (4 * c)))
}

/// The level of comparison `c` in a packed pattern.
pub fn level(pattern: u64, c: usize) -> u8 {
    ((pattern >> (4 * c)) & 0xf) as u8
}

/// Distinct patterns and how many pairs showed each. Counted once per candidate pair, so the
/// map uses a multiply hash rather than SipHash (patterns are not attacker-chosen).
pub(crate) type PatternCounts =
    HashMap<u64, u64, std::hash::BuildHasherDefault<crate::blocking::PassThrough>>;

pub(crate) fn merge(into: &mut PatternCounts, from: PatternCounts) {
    for (p, n) in from {
        *into.entry(p).or_default() += n;
    }
}

/// What one EM run found.
#[derive(Debug, Clone, PartialEq)]
pub struct EmOutcome {
    /// `m[c][level]` for trained comparisons; untouched rows for the others.
    pub m: Vec<Vec<f64>>,
    /// Share of the session's pairs that match.
    pub lambda: f64,
    pub iterations: u32,
    pub converged: bool,
}

/// Keeps estimates strictly inside (0, 1): a level never seen among matches is rare, not
/// impossible, and a zero would make its weight −∞.
const SMOOTHING: f64 = 1e-6;
const LAMBDA_FLOOR: f64 = 1e-9;

/// Runs EM over `patterns`. Only comparisons with `trainable[c]` enter the likelihood or get
/// new m values; the others are blocked on in this session.
pub fn expectation_maximisation(
    patterns: &[(u64, u64)],
    trainable: &[bool],
    u: &[Vec<f64>],
    m_start: &[Vec<f64>],
    lambda_start: f64,
    max_iterations: u32,
    tolerance: f64,
) -> EmOutcome {
    let mut m = m_start.to_vec();
    let mut lambda = lambda_start.clamp(LAMBDA_FLOOR, 1.0 - LAMBDA_FLOOR);
    let total: f64 = patterns.iter().map(|(_, n)| *n as f64).sum();
    if total == 0.0 || !trainable.iter().any(|t| *t) {
        return EmOutcome {
            m,
            lambda,
            iterations: 0,
            converged: false,
        };
    }
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        iterations += 1;
        // E step: each pattern's posterior match probability; M step accumulators.
        let mut numer: Vec<Vec<f64>> = m.iter().map(|row| vec![0.0; row.len()]).collect();
        let mut matched = 0.0;
        let log_prior = (lambda / (1.0 - lambda)).ln();
        for &(pattern, count) in patterns {
            let mut log_ratio = log_prior;
            for c in (0..m.len()).filter(|&c| trainable[c]) {
                let l = level(pattern, c);
                if l != NULL_LEVEL {
                    let l = usize::from(l);
                    log_ratio += m[c][l].ln() - u[c][l].ln();
                }
            }
            let posterior = 1.0 / (1.0 + (-log_ratio).exp());
            let weight = posterior * count as f64;
            matched += weight;
            for c in (0..m.len()).filter(|&c| trainable[c]) {
                let l = level(pattern, c);
                if l != NULL_LEVEL {
                    numer[c][usize::from(l)] += weight;
                }
            }
        }
        let mut change: f64 = 0.0;
        for c in (0..m.len()).filter(|&c| trainable[c]) {
            let denom: f64 = numer[c].iter().sum();
            if denom <= 0.0 {
                continue; // every pair was null here: nothing to learn
            }
            let levels = m[c].len() as f64;
            for (l, value) in m[c].iter_mut().enumerate() {
                let new = (numer[c][l] + SMOOTHING) / (denom + levels * SMOOTHING);
                change = change.max((new - *value).abs());
                *value = new;
            }
        }
        let new_lambda = (matched / total).clamp(LAMBDA_FLOOR, 1.0 - LAMBDA_FLOOR);
        change = change.max((new_lambda - lambda).abs());
        lambda = new_lambda;
        if change < tolerance {
            converged = true;
            break;
        }
    }
    EmOutcome {
        m,
        lambda,
        iterations,
        converged,
    }
}

/// Starting m: strong levels likely among matches, halving level by level, "else" rare.
pub fn initial_m(level_count: usize) -> Vec<f64> {
    let mut m: Vec<f64> = (0..level_count)
        .map(|l| {
            if l + 1 == level_count {
                0.05
            } else {
                0.5f64.powi(l as i32)
            }
        })
        .collect();
    let sum: f64 = m.iter().sum();
    m.iter_mut().for_each(|v| *v /= sum);
    m
}

/// The prior λ over all pairs, given m and u: the fixed point of
/// `λ = Σ P(match | pattern; λ) / total_pairs`, summing over the blocked pairs. Pairs that
/// blocking never produced share no key and carry, in practice, no matches, so leaving them
/// out of the sum only assumes blocking's recall is near 1 (the same assumption prediction
/// makes). With m and u fixed this is EM for λ alone, so it converges monotonically.
pub fn estimate_prior(patterns: &[(u64, u64)], weights: &[Vec<f64>], total_pairs: f64) -> f64 {
    let blocked: f64 = patterns.iter().map(|(_, n)| *n as f64).sum();
    if total_pairs <= 0.0 || blocked <= 0.0 {
        return 1e-4;
    }
    // log2 Bayes factor of each pattern, fixed across iterations.
    let factors: Vec<(f64, f64)> = patterns
        .iter()
        .map(|&(p, n)| {
            let w: f64 = weights
                .iter()
                .enumerate()
                .map(|(c, row)| {
                    let l = level(p, c);
                    if l == NULL_LEVEL {
                        0.0
                    } else {
                        row[usize::from(l)]
                    }
                })
                .sum();
            (w, n as f64)
        })
        .collect();
    let mut lambda = (0.1 * blocked / total_pairs).clamp(LAMBDA_FLOOR, 0.5);
    for _ in 0..200 {
        let prior_weight = (lambda / (1.0 - lambda)).log2();
        let expected: f64 = factors
            .iter()
            .map(|(w, n)| n / (1.0 + (-(prior_weight + w)).exp2()))
            .sum();
        let new = (expected / total_pairs).clamp(LAMBDA_FLOOR, 1.0 - LAMBDA_FLOOR);
        if (new - lambda).abs() <= 1e-6 * lambda {
            return new;
        }
        lambda = new;
    }
    lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        let levels = [0u8, 3, NULL_LEVEL, 1, 14];
        let p = pack(&levels);
        for (c, l) in levels.iter().enumerate() {
            assert_eq!(level(p, c), *l);
        }
    }

    #[test]
    fn em_recovers_a_planted_model() {
        // Two comparisons, 2 levels each (agree / else). 1,000 matches agreeing 90% on each,
        // 9,000 non-matches agreeing 10%.
        let (mm, uu): (f64, f64) = (0.9, 0.1);
        let mut counts = PatternCounts::default();
        for (a, b) in [(0u8, 0u8), (0, 1), (1, 0), (1, 1)] {
            let pm = if a == 0 { mm } else { 1.0 - mm } * if b == 0 { mm } else { 1.0 - mm };
            let pu = if a == 0 { uu } else { 1.0 - uu } * if b == 0 { uu } else { 1.0 - uu };
            let n = (1000.0 * pm + 9000.0 * pu).round() as u64;
            counts.insert(pack(&[a, b]), n);
        }
        let patterns: Vec<_> = counts.into_iter().collect();
        let u = vec![vec![uu, 1.0 - uu]; 2];
        let out = expectation_maximisation(
            &patterns,
            &[true, true],
            &u,
            &[initial_m(2), initial_m(2)],
            0.5,
            500,
            1e-9,
        );
        assert!((out.lambda - 0.1).abs() < 0.01, "{out:?}");
        assert!((out.m[0][0] - 0.9).abs() < 0.02, "{out:?}");
    }
}
