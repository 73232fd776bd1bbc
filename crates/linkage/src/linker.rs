//! Batch linkage over two in-memory datasets (or one, deduplicated): training and prediction.
//!
//! Training, in the order Splink does it:
//! 1. u from random pairs (matches are too rare among random pairs to bias it much);
//! 2. m from EM, one session per training rule, each session training only the comparisons
//!    its rule does not block on; a comparison's m is the mean over the sessions that
//!    trained it;
//! 3. λ, the prior, as the fixed point of the expected match count over the prediction pairs
//!    ([`crate::em::estimate_prior`]);
//! 4. term frequencies counted over both inputs.
//!
//! Prediction scores each pair of the union of the blocking rules once.

use crate::blocking::BlockIndex;
use crate::compare::{LevelTest, NULL_LEVEL};
use crate::em::{self, EmOutcome, PatternCounts, level};
use crate::model::{
    ComparisonParameters, LevelParameters, Model, ModelData, TermFrequencies, weight_to_probability,
};
use crate::parallel::{map_chunks, thread_count};
use crate::record::PreparedRecord;
use crate::rng::SplitMix64;
use crate::settings::Settings;
use std::collections::{BTreeMap, HashMap};

/// What to link: one dataset against itself, or two against each other.
#[derive(Debug, Clone, Copy)]
pub enum Dataset<'a> {
    /// Find duplicates within one set: pairs (i, j) with i < j.
    Dedupe(&'a [PreparedRecord]),
    /// Pairs (l, r) across two sets.
    Link {
        left: &'a [PreparedRecord],
        right: &'a [PreparedRecord],
    },
}

impl<'a> Dataset<'a> {
    pub fn left(&self) -> &'a [PreparedRecord] {
        match *self {
            Dataset::Dedupe(records) => records,
            Dataset::Link { left, .. } => left,
        }
    }

    pub fn right(&self) -> &'a [PreparedRecord] {
        match *self {
            Dataset::Dedupe(records) => records,
            Dataset::Link { right, .. } => right,
        }
    }

    fn is_dedupe(&self) -> bool {
        matches!(self, Dataset::Dedupe(_))
    }

    /// Left records a right record may pair with: all, or (deduplicating) the earlier ones.
    fn below(&self, right: usize) -> Option<u32> {
        self.is_dedupe().then_some(right as u32)
    }

    /// How many pairs there are without blocking.
    pub fn total_pairs(&self) -> f64 {
        match *self {
            Dataset::Dedupe(records) => {
                let n = records.len() as f64;
                n * (n - 1.0) / 2.0
            }
            Dataset::Link { left, right } => left.len() as f64 * right.len() as f64,
        }
    }
}

/// Knobs that do not belong in the settings file because they do not change results.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    /// Called with the number of right-hand records just processed, in every pass. The total
    /// over a run is `right.len() × passes` (see [`training_passes`]).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl RunOptions<'_> {
    fn tick(&self, n: usize) {
        if let Some(progress) = self.progress {
            progress(n as u64);
        }
    }
}

/// Passes over the right-hand records that [`train`] and [`link`] make, for sizing a
/// progress bar: one per EM session, one more when the training rules differ from the
/// prediction rules (their union is then a pass of its own), and one for prediction.
pub fn passes(settings: &Settings) -> u64 {
    settings.training_rules().len() as u64 + u64::from(!settings.training.blocking.is_empty()) + 1
}

/// A candidate pair and its comparison pattern, kept between training and prediction so the
/// pair is compared once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PairPattern {
    left: u32,
    right: u32,
    pattern: u64,
}

/// One EM session, for the training report.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionReport {
    pub rule: String,
    pub pairs: u64,
    /// Names of the comparisons this session trained.
    pub trained: Vec<String>,
    pub lambda: f64,
    pub iterations: u32,
    pub converged: bool,
}

/// How training went.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingReport {
    pub u_pairs_sampled: u64,
    pub sessions: Vec<SessionReport>,
    /// Candidate pairs under the prediction rules (counted while estimating λ; 0 if λ fixed).
    pub blocked_pairs: u64,
    pub prior: f64,
}

/// Estimates a model from unlabelled data.
pub fn train(
    settings: &Settings,
    data: Dataset<'_>,
    options: &RunOptions<'_>,
) -> (Model, TrainingReport) {
    let (model, report, _) = fit(settings, data, options, false);
    (model, report)
}

/// Trains on the data and scores its candidate pairs in one go: every pair is compared once,
/// during training, and prediction reuses its pattern. The same result as [`train`] then
/// [`predict`], in about half the time.
pub fn link(
    settings: &Settings,
    data: Dataset<'_>,
    min_probability: f64,
    same_entity: Option<&(dyn Fn(u32, u32) -> bool + Sync)>,
    options: &RunOptions<'_>,
) -> (Model, TrainingReport, Prediction) {
    let (model, report, pairs) = fit(settings, data, options, true);
    let pairs = pairs.expect("fit keeps the pairs when asked");
    let threads = thread_count(options.threads);
    let right = data.right();
    // Term-frequency adjustments per right record, once (an exact agreement shares the value).
    let tf: Vec<Vec<f64>> = map_chunks(right.len(), threads, |range| {
        range
            .map(|r| model.tf_adjustments(&right[r]))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let comparisons = &settings.comparisons;
    let exact: Vec<Option<u8>> = comparisons
        .iter()
        .map(|c| {
            c.levels
                .iter()
                .position(|t| *t == LevelTest::Exact)
                .map(|l| l as u8)
        })
        .collect();
    let parts = map_chunks(pairs.len(), threads, |range| {
        let mut part = Prediction::default();
        for pair in &pairs[range] {
            part.compared += 1;
            if same_entity.is_some_and(|same| same(pair.left, pair.right)) {
                part.true_pairs_blocked += 1;
            }
            let mut weight = model.prior_weight();
            for c in 0..comparisons.len() {
                let l = level(pair.pattern, c);
                weight += model.level_weight(c, l);
                if exact[c] == Some(l) {
                    weight += tf[pair.right as usize][c];
                }
            }
            let match_probability = weight_to_probability(weight);
            if match_probability >= min_probability {
                part.pairs.push(ScoredPair {
                    left: pair.left,
                    right: pair.right,
                    match_weight: weight,
                    match_probability,
                    pattern: pair.pattern,
                });
            }
        }
        part
    });
    options.tick(right.len());
    let mut prediction = Prediction::default();
    for part in parts {
        prediction.pairs.extend(part.pairs);
        prediction.compared += part.compared;
        prediction.true_pairs_blocked += part.true_pairs_blocked;
    }
    prediction.pairs.sort_by_key(|p| (p.right, p.left));
    (model, report, prediction)
}

/// Training, optionally keeping every prediction pair with its pattern.
fn fit(
    settings: &Settings,
    data: Dataset<'_>,
    options: &RunOptions<'_>,
    keep_pairs: bool,
) -> (Model, TrainingReport, Option<Vec<PairPattern>>) {
    let threads = thread_count(options.threads);
    let comparisons = &settings.comparisons;
    let level_counts: Vec<usize> = comparisons.iter().map(|c| c.level_count()).collect();

    // 1. u from random pairs.
    let (u, u_pairs_sampled) = estimate_u(settings, data, threads);

    // 2. m from EM sessions. When the training rules are the prediction rules (the default),
    //    the sessions' pairs are also the prediction pairs: collect their union on the way.
    let same_rules = settings.training.blocking.is_empty();
    let need_union = keep_pairs || settings.training.prior.is_none();
    let m_start: Vec<Vec<f64>> = level_counts.iter().map(|&n| em::initial_m(n)).collect();
    let mut m_sum: Vec<Vec<f64>> = level_counts.iter().map(|&n| vec![0.0; n]).collect();
    let mut m_sessions = vec![0u32; comparisons.len()];
    let mut sessions = Vec::new();
    let rules = settings.training_rules();
    let index = BlockIndex::build(rules, data.left());
    let right_keys = keys_of_all(&index, data.right(), threads);
    let mut union = Pass::default();
    for (k, rule) in rules.iter().enumerate() {
        let collect = same_rules && need_union;
        let session = pass(
            settings,
            data,
            threads,
            options,
            collect,
            keep_pairs,
            |right, visit| {
                let keys = &right_keys[right * rules.len()..][..rules.len()];
                index.for_each_in_rule(k, keys, data.below(right), visit);
            },
        );
        let pairs: u64 = session.counts.values().sum();
        union.absorb_union(session.union_counts, session.union_pairs);
        // Sorted, so that float sums (and so the model) do not depend on hash order.
        let mut patterns: Vec<(u64, u64)> = session.counts.into_iter().collect();
        patterns.sort_unstable();
        let trainable = settings.trainable_in(rule);
        let EmOutcome {
            m,
            lambda,
            iterations,
            converged,
        } = em::expectation_maximisation(
            &patterns,
            &trainable,
            &u,
            &m_start,
            0.5,
            settings.training.em_max_iterations,
            settings.training.em_tolerance,
        );
        let mut trained = Vec::new();
        for c in (0..comparisons.len()).filter(|&c| trainable[c]) {
            if pairs > 0 && observed(&patterns, c) {
                for (sum, value) in m_sum[c].iter_mut().zip(&m[c]) {
                    *sum += value;
                }
                m_sessions[c] += 1;
                trained.push(comparisons[c].name.clone());
            }
        }
        sessions.push(SessionReport {
            rule: rule.name.clone(),
            pairs,
            trained,
            lambda,
            iterations,
            converged,
        });
    }
    if !same_rules && need_union {
        // Separate training rules: the prediction pairs are a pass of their own.
        let index = BlockIndex::build(&settings.blocking, data.left());
        let right_keys = keys_of_all(&index, data.right(), threads);
        let rules = settings.blocking.len();
        let all = pass(
            settings,
            data,
            threads,
            options,
            true,
            keep_pairs,
            |right, visit| {
                let keys = &right_keys[right * rules..][..rules];
                index.for_each_candidate(keys, data.below(right), |l| visit(l, true));
            },
        );
        union.absorb_union(all.union_counts, all.union_pairs);
    }
    let m: Vec<Vec<f64>> = m_sum
        .into_iter()
        .zip(&m_sessions)
        .zip(&m_start)
        .map(|((sum, &n), start)| {
            if n == 0 {
                // No session saw this field (no data): keep the neutral start.
                start.clone()
            } else {
                sum.into_iter().map(|s| s / f64::from(n)).collect()
            }
        })
        .collect();

    let term_frequencies = term_frequencies(settings, data);
    let parameters: Vec<ComparisonParameters> = comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| ComparisonParameters {
            comparison: comparison.name.clone(),
            levels: (0..comparison.level_count())
                .map(|l| LevelParameters {
                    level: comparison.level_name(l as u8),
                    m: m[c][l],
                    u: u[c][l],
                })
                .collect(),
            term_frequencies: term_frequencies[c].clone(),
        })
        .collect();

    // 3. The prior, from the prediction pairs' patterns.
    let blocked_pairs: u64 = union.union_counts.values().sum();
    let prior = match settings.training.prior {
        Some(prior) => prior,
        None => {
            let weights: Vec<Vec<f64>> = parameters
                .iter()
                .map(|p| p.levels.iter().map(|l| (l.m / l.u).log2()).collect())
                .collect();
            let mut patterns: Vec<(u64, u64)> = union.union_counts.into_iter().collect();
            patterns.sort_unstable();
            em::estimate_prior(&patterns, &weights, data.total_pairs())
        }
    };

    let model = Model::new(ModelData {
        settings: settings.clone(),
        prior,
        parameters,
    })
    .expect("training keeps every probability inside (0, 1)");
    let report = TrainingReport {
        u_pairs_sampled,
        sessions,
        blocked_pairs,
        prior,
    };
    (model, report, keep_pairs.then_some(union.union_pairs))
}

/// Every record's key under every rule of `index`, flattened (record-major).
fn keys_of_all(index: &BlockIndex, records: &[PreparedRecord], threads: usize) -> Vec<u64> {
    map_chunks(records.len(), threads, |range| {
        range
            .flat_map(|r| index.keys_of(&records[r]))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// What one pass over candidate pairs gathers.
#[derive(Default)]
struct Pass {
    /// Patterns of every pair visited (an EM session's data).
    counts: PatternCounts,
    /// Patterns of pairs new to the union of prediction rules.
    union_counts: PatternCounts,
    /// Those pairs themselves, when kept for prediction.
    union_pairs: Vec<PairPattern>,
}

impl Pass {
    fn absorb_union(&mut self, counts: PatternCounts, pairs: Vec<PairPattern>) {
        em::merge(&mut self.union_counts, counts);
        if self.union_pairs.is_empty() {
            self.union_pairs = pairs;
        } else {
            self.union_pairs.extend(pairs);
        }
    }
}

/// Runs `candidates` for every right record in parallel; the visitor's flag says whether the
/// pair belongs to the prediction union (gathered when `union`, and kept when `keep`).
fn pass(
    settings: &Settings,
    data: Dataset<'_>,
    threads: usize,
    options: &RunOptions<'_>,
    union: bool,
    keep: bool,
    candidates: impl Fn(usize, &mut dyn FnMut(u32, bool)) + Sync,
) -> Pass {
    let comparisons = &settings.comparisons;
    let parts = map_chunks(data.right().len(), threads, |range| {
        let mut part = Pass::default();
        let len = range.len();
        for right in range {
            let r = &data.right()[right];
            candidates(right, &mut |left, first| {
                let l = &data.left()[left as usize];
                let mut pattern = 0u64;
                for (c, comparison) in comparisons.iter().enumerate() {
                    pattern |= u64::from(comparison.compare(l.value(c), r.value(c))) << (4 * c);
                }
                *part.counts.entry(pattern).or_default() += 1;
                if union && first {
                    *part.union_counts.entry(pattern).or_default() += 1;
                    if keep {
                        part.union_pairs.push(PairPattern {
                            left,
                            right: right as u32,
                            pattern,
                        });
                    }
                }
            });
        }
        options.tick(len);
        part
    });
    let mut total = Pass::default();
    let size: usize = parts.iter().map(|p| p.union_pairs.len()).sum();
    total.union_pairs.reserve_exact(size);
    for part in parts {
        em::merge(&mut total.counts, part.counts);
        em::merge(&mut total.union_counts, part.union_counts);
        total.union_pairs.extend(part.union_pairs);
    }
    total
}

/// Whether any pair had a non-null level for comparison `c`.
fn observed(patterns: &[(u64, u64)], c: usize) -> bool {
    patterns.iter().any(|&(p, _)| level(p, c) != NULL_LEVEL)
}

/// u[c][level] from random pairs (every pair when there are fewer than the sample size).
fn estimate_u(settings: &Settings, data: Dataset<'_>, threads: usize) -> (Vec<Vec<f64>>, u64) {
    let comparisons = &settings.comparisons;
    let (left, right) = (data.left(), data.right());
    let total = data.total_pairs();
    let target = settings.training.u_sample_pairs;
    let count_pair = |counts: &mut Vec<Vec<u64>>, l: &PreparedRecord, r: &PreparedRecord| {
        for (c, comparison) in comparisons.iter().enumerate() {
            let level = comparison.compare(l.value(c), r.value(c));
            if level != NULL_LEVEL {
                counts[c][usize::from(level)] += 1;
            }
        }
    };
    let empty = || -> Vec<Vec<u64>> {
        comparisons
            .iter()
            .map(|c| vec![0; c.level_count()])
            .collect()
    };
    let (parts, sampled) = if total <= target as f64 {
        // Few enough to count exactly: every pair, as rows of the right-hand side.
        let parts = map_chunks(right.len(), threads, |range| {
            let mut counts = empty();
            for ri in range {
                let upto = data.below(ri).map_or(left.len(), |b| b as usize);
                for l in &left[..upto] {
                    count_pair(&mut counts, l, &right[ri]);
                }
            }
            counts
        });
        (parts, total as u64)
    } else {
        // Independent streams per chunk keep the sample the same whatever the thread count.
        let chunks = 64u64;
        let per_chunk = target.div_ceil(chunks);
        let seed = settings.training.seed;
        let parts = map_chunks(chunks as usize, threads, |range| {
            let mut counts = empty();
            for chunk in range {
                let mut rng = SplitMix64::new(seed ^ (chunk as u64).wrapping_mul(0x9e37_79b9));
                let mut drawn = 0;
                while drawn < per_chunk {
                    let l = rng.below(left.len() as u64) as usize;
                    let r = rng.below(right.len() as u64) as usize;
                    if data.is_dedupe() && l == r {
                        continue;
                    }
                    count_pair(&mut counts, &left[l], &right[r]);
                    drawn += 1;
                }
            }
            counts
        });
        (parts, per_chunk * chunks)
    };
    let mut counts = empty();
    for part in parts {
        for (row, part_row) in counts.iter_mut().zip(part) {
            for (n, p) in row.iter_mut().zip(part_row) {
                *n += p;
            }
        }
    }
    // Add-one smoothing: a level never seen among random pairs is rare, not impossible.
    let u = counts
        .into_iter()
        .map(|row| {
            let n: u64 = row.iter().sum();
            let levels = row.len() as f64;
            row.iter()
                .map(|&k| (k as f64 + 1.0) / (n as f64 + levels))
                .collect()
        })
        .collect();
    (u, sampled)
}

/// Value frequencies for comparisons with `tf_adjust`, over every record of both inputs.
fn term_frequencies(settings: &Settings, data: Dataset<'_>) -> Vec<Option<TermFrequencies>> {
    let records: Vec<&PreparedRecord> = if data.is_dedupe() {
        data.left().iter().collect()
    } else {
        data.left().iter().chain(data.right()).collect()
    };
    settings
        .comparisons
        .iter()
        .enumerate()
        .map(|(c, comparison)| {
            if !comparison.tf_adjust || !comparison.levels.contains(&LevelTest::Exact) {
                return None;
            }
            let mut counts: HashMap<String, u64> = HashMap::new();
            for record in &records {
                if let Some(key) = record.value(c).exact_key() {
                    *counts.entry(key.into_owned()).or_default() += 1;
                }
            }
            let n: u64 = counts.values().sum();
            let min_frequency = 1.0 / n.max(1) as f64;
            let frequencies: BTreeMap<String, f64> = counts
                .into_iter()
                .map(|(k, count)| (k, count as f64 / n as f64))
                .collect();
            Some(TermFrequencies {
                frequencies,
                min_frequency,
            })
        })
        .collect()
}

/// One candidate pair's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    /// Index into the left (or only) dataset.
    pub left: u32,
    /// Index into the right dataset (in deduplication, always greater than `left`).
    pub right: u32,
    pub match_weight: f64,
    pub match_probability: f64,
    /// Every comparison's level, packed (see [`crate::em::level`]).
    pub pattern: u64,
}

/// The result of [`predict`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prediction {
    /// Pairs at or above the threshold, ordered by right then left record.
    pub pairs: Vec<ScoredPair>,
    /// Candidate pairs scored.
    pub compared: u64,
    /// Candidate pairs that `same_entity` called true (when given): blocking's recall.
    pub true_pairs_blocked: u64,
}

/// Scores every candidate pair of the prediction rules and keeps those with match probability
/// at least `min_probability`. `same_entity(left, right)`, if given, counts how many
/// candidates are true matches (for evaluation against ground truth).
pub fn predict(
    model: &Model,
    data: Dataset<'_>,
    min_probability: f64,
    same_entity: Option<&(dyn Fn(u32, u32) -> bool + Sync)>,
    options: &RunOptions<'_>,
) -> Prediction {
    let threads = thread_count(options.threads);
    let index = BlockIndex::build(&model.settings().blocking, data.left());
    let parts = map_chunks(data.right().len(), threads, |range| {
        let mut part = Prediction::default();
        let len = range.len();
        for right in range {
            let r = &data.right()[right];
            let tf = model.tf_adjustments(r);
            let keys = index.keys_of(r);
            index.for_each_candidate(&keys, data.below(right), |left| {
                let (match_weight, pattern) = model.weigh(&data.left()[left as usize], r, &tf);
                part.compared += 1;
                if same_entity.is_some_and(|same| same(left, right as u32)) {
                    part.true_pairs_blocked += 1;
                }
                let match_probability = weight_to_probability(match_weight);
                if match_probability >= min_probability {
                    part.pairs.push(ScoredPair {
                        left,
                        right: right as u32,
                        match_weight,
                        match_probability,
                        pattern,
                    });
                }
            });
            let start = part.pairs.len()
                - part
                    .pairs
                    .iter()
                    .rev()
                    .take_while(|p| p.right == right as u32)
                    .count();
            part.pairs[start..].sort_by_key(|p| p.left);
        }
        options.tick(len);
        part
    });
    let mut prediction = Prediction::default();
    for part in parts {
        prediction.pairs.extend(part.pairs);
        prediction.compared += part.compared;
        prediction.true_pairs_blocked += part.true_pairs_blocked;
    }
    prediction
}

/// Keeps, for each right record, only its best-scoring pair (ties: the lower left index).
pub fn best_per_right(pairs: &[ScoredPair]) -> Vec<ScoredPair> {
    let mut best: Vec<ScoredPair> = Vec::new();
    for pair in pairs {
        match best.last_mut() {
            Some(last) if last.right == pair.right => {
                if pair.match_weight > last.match_weight {
                    *last = *pair;
                }
            }
            _ => best.push(*pair),
        }
    }
    best
}
