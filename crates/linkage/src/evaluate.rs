//! Accuracy against ground truth: precision, recall and F1 of predicted pairs, where the truth
//! is an entity id per record (two records match when their entity ids are equal).

use std::collections::HashMap;

/// Counts of a prediction against the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Confusion {
    pub true_positives: u64,
    pub false_positives: u64,
    pub false_negatives: u64,
    /// All true pairs.
    pub true_pairs: u64,
    /// True pairs that blocking produced as candidates: the best recall any threshold allows.
    pub true_pairs_blocked: u64,
}

impl Confusion {
    /// Counts `predicted` (left, right) index pairs against entity ids. In deduplication pass
    /// the same slice twice and `dedupe = true` (pairs are then unordered, i < j).
    pub fn count<E: Eq + std::hash::Hash>(
        predicted: impl IntoIterator<Item = (u32, u32)>,
        left: &[E],
        right: &[E],
        dedupe: bool,
        true_pairs_blocked: u64,
    ) -> Confusion {
        let mut true_positives = 0;
        let mut false_positives = 0;
        for (l, r) in predicted {
            if left[l as usize] == right[r as usize] {
                true_positives += 1;
            } else {
                false_positives += 1;
            }
        }
        let true_pairs = true_pair_count(left, right, dedupe);
        Confusion {
            true_positives,
            false_positives,
            false_negatives: true_pairs.saturating_sub(true_positives),
            true_pairs,
            true_pairs_blocked,
        }
    }

    /// TP / (TP + FP); `None` when nothing was predicted.
    pub fn precision(&self) -> Option<f64> {
        let predicted = self.true_positives + self.false_positives;
        (predicted > 0).then(|| self.true_positives as f64 / predicted as f64)
    }

    /// TP / true pairs; `None` when there are no true pairs.
    pub fn recall(&self) -> Option<f64> {
        (self.true_pairs > 0).then(|| self.true_positives as f64 / self.true_pairs as f64)
    }

    /// Harmonic mean of precision and recall (0 when either is 0).
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }

    /// Share of true pairs that blocking kept.
    pub fn blocking_recall(&self) -> Option<f64> {
        (self.true_pairs > 0).then(|| self.true_pairs_blocked as f64 / self.true_pairs as f64)
    }
}

/// How many pairs share an entity id: Σ C(n_e, 2) within one set, Σ n_left(e)·n_right(e) across.
pub fn true_pair_count<E: Eq + std::hash::Hash>(left: &[E], right: &[E], dedupe: bool) -> u64 {
    let mut left_counts: HashMap<&E, u64> = HashMap::new();
    for e in left {
        *left_counts.entry(e).or_default() += 1;
    }
    if dedupe {
        return left_counts.values().map(|n| n * (n - 1) / 2).sum();
    }
    right
        .iter()
        .map(|e| left_counts.get(e).copied().unwrap_or(0))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dedupe_and_link() {
        let ents = ["a", "a", "a", "b", "c", "c"];
        assert_eq!(true_pair_count(&ents, &ents, true), 3 + 1);
        let right = ["a", "c", "d"];
        assert_eq!(true_pair_count(&ents, &right, false), 3 + 2);
        let c = Confusion::count([(0, 1), (0, 3), (4, 5)], &ents, &ents, true, 4);
        assert_eq!(
            (c.true_positives, c.false_positives, c.false_negatives),
            (2, 1, 2)
        );
        assert_eq!(c.precision(), Some(2.0 / 3.0));
        assert_eq!(c.recall(), Some(0.5));
    }
}
