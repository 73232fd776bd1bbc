//! Randomised trial mode: concealed, stratified permuted-block allocation from a recorded
//! seed (design.md §6), for schemes whose policy turns `[trial]` on.
//!
//! - **Set-up**: a supervisor records the seed once; the settings (ratio, block sizes,
//!   strata) are copied from the policy in force so a later policy version cannot change a
//!   running trial. Both may be replaced only while nothing has been allocated. The audit
//!   row carries the seed's SHA-256, not the seed, so the log can later prove which seed was
//!   used without revealing it to anyone who can read the log.
//! - **Sequence**: for each stratum (e.g. `risk_band=moderate|sex=male`), block `b` is drawn
//!   from a generator seeded with SHA-256(seed, trial, stratum, b): its size is picked among
//!   the policy's block sizes and it holds treatment and control in the policy's ratio, in a
//!   shuffled order. The n-th case allocated in a stratum takes the n-th slot of that
//!   stratum's sequence. Anyone with the seed can recompute every allocation.
//! - **Concealment**: the sequence is computed inside the allocating transaction and nothing
//!   outside this module can compute it (the schedule is private); no view shows a block
//!   number or position. A case is allocated once, ever: the table is unique per case and
//!   there is no update path.

use crate::case_ops::{CaseStep, check_version, state_of};
use crate::case_view::CaseProgress;
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::screening::{UserNames, current_screening};
use crate::{Actor, App, Role};
use checkpoint_domain::lifecycle::{Transition, TrialArm, next_state};
use checkpoint_domain::person::age_in_years;
use checkpoint_domain::policy::Decision;
use checkpoint_domain::referral::Referral;
use checkpoint_store::trials::{self, NewAllocation, NewTrial, TrialRow};
use checkpoint_store::{AuditAction, AuditEntry, audit, referrals};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The facts a policy may stratify allocation by.
pub const STRATUM_FACTS: [&str; 6] = [
    "risk_band",
    "sex",
    "age_band",
    "offence_category",
    "mode_of_trial",
    "ethnic_group",
];

/// A trial's settings, as recorded at set-up (the seed is never shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialView {
    pub trial_id: String,
    pub scheme_id: String,
    pub policy_id: String,
    pub policy_version: u32,
    /// Treatment : control.
    pub allocation_ratio: [u8; 2],
    pub block_sizes: Vec<u16>,
    pub strata: Vec<String>,
    /// `sha256:` of the seed's decimal text: proves the seed later without revealing it.
    pub seed_fingerprint: String,
    pub allocations: i64,
    pub set_up_by_name: Option<String>,
    pub set_up_at: Timestamp,
}

/// The arm a case was randomised to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationOutcome {
    pub case: CaseProgress,
    pub arm: TrialArm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredSettings {
    policy_id: String,
    policy_version: u32,
    allocation_ratio: [u8; 2],
    block_sizes: Vec<u16>,
    strata: Vec<String>,
}

fn fingerprint(seed: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(seed.as_bytes())))
}

/// SplitMix64: tiny, fully specified, so the sequence can be recomputed in any language
/// years later (unlike a library RNG whose algorithm may change between versions).
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

    /// Uniform in `0..n` (rejection sampling, so no modulo bias).
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

/// One stratum's allocation sequence. Private to this module: computing it is allocating.
#[derive(Debug)]
struct BlockSchedule<'a> {
    seed: u64,
    trial_id: &'a str,
    stratum: &'a str,
    ratio: [u8; 2],
    block_sizes: &'a [u16],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    block_number: u64,
    position: u64,
    arm: TrialArm,
}

impl BlockSchedule<'_> {
    fn block(&self, number: u64) -> Vec<TrialArm> {
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
        // Fisher–Yates.
        for i in (1..arms.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            arms.swap(i, j);
        }
        arms
    }

    /// The slot of the `index`-th (0-based) allocation in this stratum.
    fn slot(&self, index: u64) -> Slot {
        let mut start = 0u64;
        for block_number in 0.. {
            let block = self.block(block_number);
            let len = block.len() as u64;
            if index < start + len {
                let position = index - start;
                return Slot {
                    block_number,
                    position,
                    arm: block[position as usize],
                };
            }
            start += len;
        }
        unreachable!("blocks are never empty, so every index falls in one")
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

/// The stratum a referral falls in: `name=value` for each stratifying fact, in the policy's
/// order, joined with `|`. Missing facts are `unknown` (a stratum of their own).
fn stratum_of(strata: &[String], referral: &Referral) -> String {
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

/// Setting up a trial is a supervisor's job; the permission table has no action of its own
/// for it, so it takes the allocation permission plus the supervisor role.
fn authorise_set_up(actor: &Actor) -> Result<(), AppError> {
    authorise(actor, Action::AllocateTrialArm)?;
    if actor.role != Role::Supervisor {
        return Err(AppError::Forbidden {
            action: Action::AllocateTrialArm,
        });
    }
    Ok(())
}

fn parse_settings(row: &TrialRow) -> Result<StoredSettings, AppError> {
    serde_json::from_str(&row.settings_json)
        .map_err(|e| AppError::Internal(format!("stored trial settings: {e}")))
}

impl App {
    /// Whether the policy a decision was made under runs a randomised trial.
    pub fn runs_trial(&self, evaluation: &Decision) -> bool {
        self.policies()
            .get(evaluation.policy_id(), evaluation.policy_version())
            .is_some_and(|p| p.trial().enabled)
    }

    async fn trial_view(
        &self,
        tx: &mut checkpoint_store::Tx,
        row: &TrialRow,
    ) -> Result<TrialView, AppError> {
        let settings = parse_settings(row)?;
        let set_up_by_name = match row.set_up_by {
            Some(id) => Some(UserNames::default().name(tx, id).await?),
            None => None,
        };
        Ok(TrialView {
            trial_id: row.trial_id.clone(),
            scheme_id: row.scheme_id.clone(),
            policy_id: settings.policy_id,
            policy_version: settings.policy_version,
            allocation_ratio: settings.allocation_ratio,
            block_sizes: settings.block_sizes,
            strata: settings.strata,
            seed_fingerprint: fingerprint(&row.seed),
            allocations: row.allocations,
            set_up_by_name,
            set_up_at: row.set_up_at.get(),
        })
    }

    /// Records the seed of a scheme's trial, with the settings of the policy in force today.
    /// Can be repeated (to correct it) only until the first allocation. Supervisors only.
    pub async fn set_up_trial(
        &self,
        actor: &Actor,
        scheme_id: &str,
        seed: u64,
    ) -> Result<TrialView, AppError> {
        authorise_set_up(actor)?;
        let today = self.clock().today();
        let policy = self.policies().in_force(scheme_id, today).ok_or_else(|| {
            AppError::invalid(
                "scheme_id",
                format!("no policy of {scheme_id:?} is in force"),
            )
        })?;
        let trial = policy.trial();
        if !trial.enabled {
            return Err(AppError::invalid(
                "scheme_id",
                format!(
                    "{} version {} does not run a trial (its [trial] section is not enabled)",
                    policy.id(),
                    policy.version()
                ),
            ));
        }
        if let Some(unknown) = trial
            .strata
            .iter()
            .find(|s| !STRATUM_FACTS.contains(&s.as_str()))
        {
            return Err(AppError::invalid(
                "strata",
                format!(
                    "the policy stratifies by {unknown:?}, which is not one of {}",
                    STRATUM_FACTS.join(", ")
                ),
            ));
        }
        let per_cycle = u16::from(trial.allocation_ratio[0]) + u16::from(trial.allocation_ratio[1]);
        if per_cycle == 0
            || trial.block_sizes.is_empty()
            || trial
                .block_sizes
                .iter()
                .any(|b| *b == 0 || b % per_cycle != 0)
        {
            return Err(AppError::invalid(
                "block_sizes",
                "every block size must be a positive multiple of the allocation ratio's total",
            ));
        }
        let settings = StoredSettings {
            policy_id: policy.id().to_owned(),
            policy_version: policy.version(),
            allocation_ratio: trial.allocation_ratio,
            block_sizes: trial.block_sizes.clone(),
            strata: trial.strata.clone(),
        };
        let settings_json =
            serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        let seed_text = seed.to_string();
        let mut tx = self.begin().await?;
        let row = trials::set_up(
            &mut tx,
            &NewTrial {
                trial_id: scheme_id,
                scheme_id,
                seed: &seed_text,
                settings: &settings_json,
                set_up_by: Some(actor.user_id),
            },
        )
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "seed",
                "cases have been allocated: the trial's seed and settings can no longer change",
            )
        })?;
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Collection,
                "trial",
                scheme_id,
            )
            .with_details(serde_json::json!({
                "settings": settings_json,
                "seed_fingerprint": fingerprint(&seed_text),
            })),
        )
        .await?;
        let view = self.trial_view(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A scheme's trial settings, if one is set up (supervisors only; no seed, no sequence).
    pub async fn trial_settings(
        &self,
        actor: &Actor,
        scheme_id: &str,
    ) -> Result<Option<TrialView>, AppError> {
        authorise_set_up(actor)?;
        let mut tx = self.begin_read().await?;
        let view = match trials::trial(&mut tx, scheme_id).await? {
            Some(row) => Some(self.trial_view(&mut tx, &row).await?),
            None => None,
        };
        tx.rollback().await?;
        Ok(view)
    }

    /// Randomises an eligible case in a trial scheme: control (usual process, follow-up) or
    /// treatment (then the offer). Computed and stored in one transaction; never changed.
    pub async fn allocate(
        &self,
        actor: &Actor,
        case_id: Uuid,
        expected_version: i64,
    ) -> Result<AllocationOutcome, AppError> {
        authorise(actor, Action::AllocateTrialArm)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::AllocateTrialArm, case_id)
            .await?;
        check_version(&case, expected_version)?;
        next_state(
            state_of(&case)?,
            Transition::Allocate {
                arm: TrialArm::Treatment,
            },
        )?;
        let current = current_screening(&mut tx, case.id)
            .await?
            .ok_or_else(|| AppError::Internal("case has no screening advice".to_owned()))?;
        if !self.runs_trial(&current.evaluation) {
            return Err(AppError::invalid(
                "case_id",
                "this case was screened under a policy that does not run a trial",
            ));
        }
        if trials::for_case(&mut tx, case.id).await?.is_some() {
            return Err(AppError::invalid(
                "case_id",
                "this case is already allocated; allocations never change",
            ));
        }
        if trials::trial(&mut tx, &case.scheme_id).await?.is_none() {
            return Err(AppError::invalid(
                "scheme_id",
                "no trial is set up for this scheme: a supervisor must record the seed first",
            ));
        }
        // Locks the trial row: concurrent allocations queue here, so each takes its own slot.
        let trial = trials::take_allocation_slot(&mut tx, &case.scheme_id).await?;
        let settings = parse_settings(&trial)?;
        let seed: u64 = trial
            .seed
            .parse()
            .map_err(|_| AppError::Internal("stored trial seed is not a number".to_owned()))?;
        let snapshot = referrals::get(&mut tx, current.advice.referral_id).await?;
        let referral = Referral::from_json(&snapshot.input_json)
            .map_err(|e| AppError::Internal(format!("stored referral: {e}")))?;
        let stratum = stratum_of(&settings.strata, &referral);
        let index = trials::count_in_stratum(&mut tx, &trial.trial_id, &stratum).await?;
        let schedule = BlockSchedule {
            seed,
            trial_id: &trial.trial_id,
            stratum: &stratum,
            ratio: settings.allocation_ratio,
            block_sizes: &settings.block_sizes,
        };
        let slot = schedule.slot(u64::try_from(index).unwrap_or(0));
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        trials::allocate(
            &mut tx,
            &NewAllocation {
                case_id: case.id,
                trial_id: &trial.trial_id,
                stratum: &stratum,
                block_number: as_i64(slot.block_number),
                position_in_block: as_i64(slot.position),
                arm: slot.arm,
                seed: &trial.seed,
                allocated_by: Some(actor.user_id),
            },
        )
        .await?;
        let step = CaseStep::new(Transition::Allocate { arm: slot.arm }).with_payload(
            serde_json::json!({ "trial_id": trial.trial_id, "arm": slot.arm.as_str() }),
        );
        let (mut updated, _) = self
            .apply_transition(&mut tx, actor, &case, expected_version, step)
            .await?;
        if slot.arm == TrialArm::Control {
            // Controls go to the usual process and are followed up from the allocation day.
            updated = self
                .open_follow_up_window(&mut tx, actor, &updated, "allocated to control")
                .await?;
        }
        // The allocation log (design.md §6): everything needed to check the slot later.
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Alteration,
                "trial",
                &trial.trial_id,
            )
            .with_details(serde_json::json!({
                "case_id": case.id,
                "stratum": stratum,
                "block_number": slot.block_number,
                "position_in_block": slot.position,
                "arm": slot.arm.as_str(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(AllocationOutcome {
            case: CaseProgress::of(&updated)?,
            arm: slot.arm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schedule<'a>(
        seed: u64,
        stratum: &'a str,
        ratio: [u8; 2],
        sizes: &'a [u16],
    ) -> BlockSchedule<'a> {
        BlockSchedule {
            seed,
            trial_id: "durham-checkpoint",
            stratum,
            ratio,
            block_sizes: sizes,
        }
    }

    proptest! {
        #[test]
        fn every_complete_block_is_balanced_to_the_ratio(
            seed in any::<u64>(),
            ratio in prop_oneof![Just([1u8, 1u8]), Just([2, 1]), Just([1, 2])],
            blocks in 1u64..20,
        ) {
            let total = u16::from(ratio[0]) + u16::from(ratio[1]);
            let sizes = [total * 2, total * 3];
            let s = schedule(seed, "risk_band=moderate", ratio, &sizes);
            let (mut treated, mut allocated, mut index) = (0u64, 0u64, 0u64);
            let mut block_ends = Vec::new();
            let mut start = 0u64;
            for b in 0..blocks {
                start += s.block(b).len() as u64;
                block_ends.push(start);
            }
            while index < start {
                let slot = s.slot(index);
                allocated += 1;
                treated += u64::from(slot.arm == TrialArm::Treatment);
                index += 1;
                if block_ends.contains(&allocated) {
                    // After every complete block, treated : control is exactly the ratio.
                    prop_assert_eq!(treated * u64::from(total), allocated * u64::from(ratio[0]));
                }
            }
        }

        #[test]
        fn the_sequence_is_reproducible_from_the_seed(seed in any::<u64>(), n in 1u64..60) {
            let sizes = [4u16, 6];
            let a = schedule(seed, "sex=male", [1, 1], &sizes);
            let b = schedule(seed, "sex=male", [1, 1], &sizes);
            for i in 0..n {
                prop_assert_eq!(a.slot(i), b.slot(i));
            }
        }
    }

    #[test]
    fn seeds_and_strata_give_different_sequences() {
        let sizes = [4u16, 6];
        let arms = |seed, stratum| -> Vec<TrialArm> {
            let s = schedule(seed, stratum, [1, 1], &sizes);
            (0..40).map(|i| s.slot(i).arm).collect()
        };
        assert_ne!(arms(1, "sex=male"), arms(2, "sex=male"));
        assert_ne!(arms(1, "sex=male"), arms(1, "sex=female"));
    }

    #[test]
    fn a_known_seed_gives_a_known_sequence() {
        // Pinned so a change to the algorithm (which would break reproducibility of past
        // trials) cannot go unnoticed.
        let sizes = [4u16, 6];
        let s = schedule(20_160_801, "risk_band=moderate", [1, 1], &sizes);
        let first: String = (0..12)
            .map(|i| match s.slot(i).arm {
                TrialArm::Treatment => 'T',
                TrialArm::Control => 'C',
            })
            .collect();
        assert_eq!(first.len(), 12);
        assert_eq!(first, PINNED_SEQUENCE);
    }

    const PINNED_SEQUENCE: &str = "TCTCTCCCTTTC";

    #[test]
    fn strata_name_each_fact_and_default_to_all() {
        let referral: Referral = serde_json::from_str(include_str!(
            "../../../policies/durham-checkpoint-2017.golden.json"
        ))
        .map(|golden: serde_json::Value| golden["base"].clone())
        .and_then(serde_json::from_value)
        .unwrap();
        assert_eq!(stratum_of(&[], &referral), "all");
        let stratum = stratum_of(&["risk_band".to_owned(), "sex".to_owned()], &referral);
        assert!(stratum.starts_with("risk_band="), "{stratum}");
        assert!(stratum.contains("|sex="), "{stratum}");
    }
}
