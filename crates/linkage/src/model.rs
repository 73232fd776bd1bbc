//! A trained Fellegi–Sunter model: per comparison level, m = P(level | match) and
//! u = P(level | non-match); the prior λ = P(two random records match); term frequencies for
//! comparisons that adjust for common values. Serialisable (serde) so it can be stored and
//! loaded without retraining; loading re-checks every probability.
//!
//! Scores are match weights in bits: `log2(λ/(1−λ)) + Σ log2(m/u)` (+ term-frequency
//! adjustments), and the match probability is `2^w / (1 + 2^w)`.

use crate::compare::{NULL_LEVEL, Value};
use crate::em::pack;
use crate::explain::{Explanation, FieldContribution};
use crate::record::PreparedRecord;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// m and u of one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelParameters {
    pub level: String,
    pub m: f64,
    pub u: f64,
}

/// How common each value is, for term-frequency adjustment of exact agreement.
///
/// Splink's approach: for an exact match on value v, u ≈ frequency of v among records, so
/// agreeing on "Smith" counts for less than agreeing on "Nakamura". The adjustment added to the
/// exact level's weight is `log2(u_exact / freq(v))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermFrequencies {
    /// Relative frequency of each value (by its exact key) among non-missing values.
    pub frequencies: BTreeMap<String, f64>,
    /// Used for a value never seen in training, and as a floor: one record's worth.
    pub min_frequency: f64,
}

impl TermFrequencies {
    pub fn frequency(&self, key: &str) -> f64 {
        self.frequencies
            .get(key)
            .copied()
            .unwrap_or(self.min_frequency)
            .max(self.min_frequency)
    }
}

/// Everything estimated for one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonParameters {
    pub comparison: String,
    /// One entry per level, "else" last.
    pub levels: Vec<LevelParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_frequencies: Option<TermFrequencies>,
}

/// The stored form of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelData {
    pub settings: Settings,
    /// λ: the probability that two records drawn at random match.
    pub prior: f64,
    pub parameters: Vec<ComparisonParameters>,
}

/// A trained model, ready to score. Build one with [`train`](crate::train) or deserialise a
/// stored one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ModelData", into = "ModelData")]
pub struct Model {
    data: ModelData,
    /// `weights[c][level]` = log2(m/u), precomputed.
    weights: Vec<Vec<f64>>,
    prior_weight: f64,
}

/// Why a stored model cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model: {0}")]
pub struct ModelError(String);

impl TryFrom<ModelData> for Model {
    type Error = ModelError;
    fn try_from(data: ModelData) -> Result<Self, ModelError> {
        Model::new(data)
    }
}

impl From<Model> for ModelData {
    fn from(model: Model) -> ModelData {
        model.data
    }
}

fn probability(p: f64) -> bool {
    p > 0.0 && p < 1.0
}

impl Model {
    /// Checks the parameters against the settings and precomputes weights.
    pub fn new(data: ModelData) -> Result<Model, ModelError> {
        if !probability(data.prior) {
            return Err(ModelError(format!("prior {} is not in (0, 1)", data.prior)));
        }
        if data.parameters.len() != data.settings.comparisons.len() {
            return Err(ModelError(
                "one parameter set per comparison is needed".to_owned(),
            ));
        }
        let mut weights = Vec::new();
        for (params, comparison) in data.parameters.iter().zip(&data.settings.comparisons) {
            if params.levels.len() != comparison.level_count() {
                return Err(ModelError(format!(
                    "comparison `{}` has {} levels but {} parameter sets",
                    comparison.name,
                    comparison.level_count(),
                    params.levels.len()
                )));
            }
            for level in &params.levels {
                if !probability(level.m) || !probability(level.u) {
                    return Err(ModelError(format!(
                        "`{}` level `{}`: m = {}, u = {} must both be in (0, 1)",
                        comparison.name, level.level, level.m, level.u
                    )));
                }
            }
            weights.push(params.levels.iter().map(|l| (l.m / l.u).log2()).collect());
        }
        let prior_weight = (data.prior / (1.0 - data.prior)).log2();
        Ok(Model {
            data,
            weights,
            prior_weight,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.data.settings
    }

    pub fn prior(&self) -> f64 {
        self.data.prior
    }

    /// log2(λ / (1 − λ)): where every pair starts.
    pub fn prior_weight(&self) -> f64 {
        self.prior_weight
    }

    pub fn parameters(&self) -> &[ComparisonParameters] {
        &self.data.parameters
    }

    /// The weight of comparison `c` at `level` (0 for a missing value).
    pub fn level_weight(&self, c: usize, level: u8) -> f64 {
        if level == NULL_LEVEL {
            0.0
        } else {
            self.weights[c][usize::from(level)]
        }
    }

    /// Each comparison's term-frequency adjustment for an exact agreement on this record's
    /// value (0 where the comparison does not adjust or the value is missing). Computed once
    /// per record and reused for all its candidates.
    pub fn tf_adjustments(&self, record: &PreparedRecord) -> Vec<f64> {
        self.data
            .parameters
            .iter()
            .enumerate()
            .map(|(c, params)| {
                let (Some(tf), Some(key)) = (&params.term_frequencies, record.value(c).exact_key())
                else {
                    return 0.0;
                };
                let exact = self.data.settings.comparisons[c]
                    .levels
                    .iter()
                    .position(|t| *t == crate::compare::LevelTest::Exact)
                    .expect("tf_adjust requires an exact level");
                (params.levels[exact].u / tf.frequency(&key)).log2()
            })
            .collect()
    }

    /// Levels of every comparison for a pair, packed (see [`crate::em::pack`]).
    pub fn pattern(&self, a: &PreparedRecord, b: &PreparedRecord) -> u64 {
        let mut levels = [0u8; crate::settings::MAX_COMPARISONS];
        let comparisons = &self.data.settings.comparisons;
        for (c, comparison) in comparisons.iter().enumerate() {
            levels[c] = comparison.compare(a.value(c), b.value(c));
        }
        pack(&levels[..comparisons.len()])
    }

    /// The pair's match weight (prior included) and its pattern. `tf` comes from
    /// [`Model::tf_adjustments`] of either record.
    pub fn weigh(&self, a: &PreparedRecord, b: &PreparedRecord, tf: &[f64]) -> (f64, u64) {
        self.weigh_values(a.values(), b.values(), tf)
    }

    /// [`Model::weigh`] on bare value slices (one value per comparison).
    pub fn weigh_values(&self, a: &[Value], b: &[Value], tf: &[f64]) -> (f64, u64) {
        let mut weight = self.prior_weight;
        let mut pattern = 0u64;
        for (c, comparison) in self.data.settings.comparisons.iter().enumerate() {
            let level = comparison.compare(&a[c], &b[c]);
            pattern |= u64::from(level) << (4 * c);
            weight += self.level_weight(c, level);
            if tf[c] != 0.0 && comparison.is_exact_level(level) {
                weight += tf[c];
            }
        }
        (weight, pattern)
    }

    /// A full waterfall for one pair: every field's level, m, u, weight and TF adjustment.
    pub fn explain(&self, a: &PreparedRecord, b: &PreparedRecord) -> Explanation {
        let tf = self.tf_adjustments(b);
        let mut fields = Vec::new();
        let mut total = self.prior_weight;
        for (c, comparison) in self.data.settings.comparisons.iter().enumerate() {
            let level = comparison.compare(a.value(c), b.value(c));
            let params =
                (level != NULL_LEVEL).then(|| &self.data.parameters[c].levels[usize::from(level)]);
            let tf_adjustment = if comparison.is_exact_level(level) {
                tf[c]
            } else {
                0.0
            };
            let weight = self.level_weight(c, level);
            total += weight + tf_adjustment;
            fields.push(FieldContribution {
                comparison: comparison.name.clone(),
                level: comparison.level_name(level),
                m: params.map(|p| p.m),
                u: params.map(|p| p.u),
                weight,
                tf_adjustment,
            });
        }
        Explanation {
            prior_weight: self.prior_weight,
            fields,
            match_weight: total,
            match_probability: weight_to_probability(total),
        }
    }

    /// Which decision band a probability falls in.
    pub fn band(&self, probability: f64) -> Band {
        let t = self.data.settings.thresholds;
        if probability >= t.link {
            Band::Link
        } else if probability >= t.review {
            Band::Review
        } else {
            Band::NoLink
        }
    }
}

/// `2^w / (1 + 2^w)`, computed without overflow for large |w|.
pub fn weight_to_probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// The three outcomes of scoring a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Link,
    /// A person should look (the clerical-review queue).
    Review,
    NoLink,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Link => "link",
            Band::Review => "review",
            Band::NoLink => "no_link",
        }
    }
}
