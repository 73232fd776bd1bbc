//! Trial allocation for the bulk writer: the stratified permuted-block sequence that
//! `checkpoint_app::trial` computes inside its allocating transaction, recomputed here from
//! the recorded seed and settings.
//!
//! The app keeps its schedule private so no screen can reveal the next slot; but the algorithm
//! is published on purpose ("anyone with the seed can recompute every allocation", design.md
//! §6): SHA-256 over (`checkpoint-trial-allocation-v1\0`, seed, trial, stratum, block) seeds a
//! SplitMix64 that picks the block size and shuffles the arms (Fisher–Yates). A bulk load has
//! the seed (it set the trial up) and allocates each stratum's cases in order, exactly as the
//! use case would; `tests/it/bulk.rs` checks the two agree slot for slot.

use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_domain::person::age_in_years;
use checkpoint_domain::referral::Referral;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The settings a trial was set up with (the `settings_json` of its `trials` row).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TrialSettings {
    pub policy_id: String,
    pub policy_version: u32,
    pub allocation_ratio: [u8; 2],
    pub block_sizes: Vec<u16>,
    pub strata: Vec<String>,
}

#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// One allocation's place in its stratum's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub block_number: u64,
    pub position: u64,
    pub arm: TrialArm,
}

/// A stratum's sequence, read forwards one allocation at a time (blocks are computed once).
#[derive(Debug)]
pub struct Sequence {
    seed: u64,
    trial_id: String,
    stratum: String,
    ratio: [u8; 2],
    block_sizes: Vec<u16>,
    block_number: u64,
    block: Vec<TrialArm>,
    /// Allocations before the current block.
    block_start: u64,
}

impl Sequence {
    pub fn new(seed: u64, trial_id: &str, stratum: &str, settings: &TrialSettings) -> Sequence {
        let mut sequence = Sequence {
            seed,
            trial_id: trial_id.to_owned(),
            stratum: stratum.to_owned(),
            ratio: settings.allocation_ratio,
            block_sizes: settings.block_sizes.clone(),
            block_number: 0,
            block: Vec::new(),
            block_start: 0,
        };
        sequence.block = sequence.compute_block(0);
        sequence
    }

    fn compute_block(&self, number: u64) -> Vec<TrialArm> {
        let mut hasher = Sha256::new();
        hasher.update(b"checkpoint-trial-allocation-v1\0");
        hasher.update(self.seed.to_be_bytes());
        hasher.update(self.trial_id.as_bytes());
        hasher.update([0]);
        hasher.update(self.stratum.as_bytes());
        hasher.update([0]);
        hasher.update(number.to_be_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let mut rng = SplitMix64(u64::from_be_bytes(first));
        let size_index = rng.below(self.block_sizes.len() as u64) as usize;
        let size = usize::from(self.block_sizes[size_index]);
        let per_cycle = usize::from(self.ratio[0]) + usize::from(self.ratio[1]);
        let cycles = size / per_cycle;
        let mut arms = Vec::with_capacity(size);
        arms.extend(std::iter::repeat_n(
            TrialArm::Treatment,
            cycles * usize::from(self.ratio[0]),
        ));
        arms.extend(std::iter::repeat_n(
            TrialArm::Control,
            cycles * usize::from(self.ratio[1]),
        ));
        for i in (1..arms.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            arms.swap(i, j);
        }
        arms
    }

    /// The slot of the `index`-th (0-based) allocation; indices must not go backwards.
    pub fn slot(&mut self, index: u64) -> Slot {
        while index >= self.block_start + self.block.len() as u64 {
            self.block_start += self.block.len() as u64;
            self.block_number += 1;
            self.block = self.compute_block(self.block_number);
        }
        let position = index - self.block_start;
        Slot {
            block_number: self.block_number,
            position,
            arm: self.block[position as usize],
        }
    }
}

fn age_band(referral: &Referral) -> &'static str {
    match age_in_years(referral.person.date_of_birth, referral.referral_date) {
        ..18 => "under_18",
        18..=24 => "18_24",
        25..=34 => "25_34",
        35..=49 => "35_49",
        _ => "50_plus",
    }
}

fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => "unknown".to_owned(),
    }
}

/// The stratum a referral falls in (`risk_band=moderate|sex=male`; `all` without strata).
pub fn stratum_of(strata: &[String], referral: &Referral) -> String {
    let value = |name: &str| -> String {
        match name {
            "risk_band" => referral
                .risk
                .as_ref()
                .map_or("unknown", |r| r.band.as_str())
                .to_owned(),
            "sex" => code(&referral.person.sex),
            "age_band" => age_band(referral).to_owned(),
            "offence_category" => referral.offence.category.as_str().to_owned(),
            "mode_of_trial" => referral.offence.mode_of_trial.as_str().to_owned(),
            "ethnic_group" => referral
                .person
                .ethnicity_self_defined
                .and_then(|e| e.group())
                .or(referral.person.ethnicity_officer_observed)
                .map_or_else(|| "not_stated".to_owned(), |g| code(&g)),
            _ => "unknown".to_owned(),
        }
    };
    if strata.is_empty() {
        return "all".to_owned();
    }
    strata
        .iter()
        .map(|name| format!("{name}={}", value(name)))
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_sequence_of_the_app_is_reproduced() {
        // The app pins this sequence for seed 20160801 (crates/app/src/trial.rs).
        let settings = TrialSettings {
            policy_id: "durham-checkpoint".to_owned(),
            policy_version: 2,
            allocation_ratio: [1, 1],
            block_sizes: vec![4, 6],
            strata: vec!["risk_band".to_owned()],
        };
        let mut sequence = Sequence::new(
            20_160_801,
            "durham-checkpoint",
            "risk_band=moderate",
            &settings,
        );
        let arms: String = (0..12)
            .map(|i| match sequence.slot(i).arm {
                TrialArm::Treatment => 'T',
                TrialArm::Control => 'C',
            })
            .collect();
        assert_eq!(arms, "TCTCTCCCTTTC");
    }
}
