//! Eligibility policies: one TOML file per scheme version, evaluated into a [`Decision`] that
//! lists every criterion with its verdict and evidence.
//!
//! * [`model`]: the file format as written (private serde structs with positions).
//! * [`load`]: parsing and validation; errors read `FILE:LINE:COLUMN: message`.
//! * [`criteria`]: the closed vocabulary of criterion kinds and their evaluation.
//! * [`table`]: decision tables (e.g. final gravity × previous convictions).
//! * [`decision`]: verdicts, evidence, warnings and the decision itself.
//! * [`golden`]: golden cases kept beside each policy, applied as JSON Merge Patches.
//!
//! Verdicts: `met`, `not_met`, `unknown` (a needed fact was not recorded) and `not_applicable`
//! (the criterion has `applies_to` and the offence is outside it; never blocks). Overall: any
//! `not_met` → ineligible, else any `unknown` → needs information, else eligible.
//!
//! No IO: callers pass the file's text and its name (for error messages).
//!
//! # File format (every table denies unknown keys)
//!
//! ```toml
//! id = "durham-checkpoint"            # lower-case, digits, hyphens; shared by a scheme's versions
//! version = 2                         # integer, from 1
//! name = "Durham Checkpoint (from December 2017)"
//! force = "Durham Constabulary"
//! description = "..."                 # optional
//! effective_from = 2017-12-01         # TOML local dates
//! effective_to = 2019-03-31           # optional; open-ended when absent
//! legal_mode = "informal_deferred_prosecution"  # | conditional_caution | community_resolution
//!                                     # | pcsc_diversionary_caution | pcsc_community_caution
//! follow_up_months = [12, 24]         # increasing
//! suppression_threshold = 10          # optional, default 10
//!
//! [outcomes]                          # Home Office outcome codes 1–23
//! on_completion = 22
//! on_failure = 1
//! time_limit_expired = 17
//!
//! [contract]
//! length = { months = 4 }             # or { weeks = 16 } / { days = 120 }
//! margin_days = 14                    # contract ends this long before the s.127 deadline
//! minimum_contract_days = 28          # less time than this → `prosecution_time_available` fails
//!
//! [retention]
//! review_after_months = 72            # not before the last follow-up window
//!
//! [trial]                             # optional; enabled = false by default
//! enabled = false
//! allocation_ratio = [1, 1]           # treatment : control
//! block_sizes = [4, 6]                # multiples of the ratio's total
//! strata = ["risk_band"]
//!
//! [conditions]
//! max_conditions = 5                  # ≥ 1 and ≥ the number of mandatory conditions
//! [[conditions.condition]]            # fields of `contract::ConditionType`
//! id = "community_hours"
//! kind = "unpaid_work"
//! text = "Complete unpaid community work."
//! min_hours = 18
//! max_hours = 36
//! exclusive_group = "community_hours_or_tag"
//!
//! [[criteria]]
//! id = "adult"                        # unique
//! kind = "min_age"                    # see `CriterionKind`
//! years = 18                          # the kind's typed parameters
//! text = "Aged 18 or over on the referral date."
//! source = "durham.police.uk Checkpoint page"
//! applies_to = ["drug_supply"]        # optional: `not_applicable` for other offences
//! ```
//!
//! Parameters by kind: `min_age`/`max_age` `years`; `max_offence_age` `months` or `days`;
//! `offence_category` `include` or `exclude`; `mode_of_trial`, `interview_outcome`, `risk_band`,
//! `supply_context`, `cultivation_scale`, `drug_class` `allowed`; `victim_views` `excluded`;
//! `previous_convictions` `fewer_than`; `excluded_circumstances` `circumstances`; `offence_flags`
//! `flags`; `earlier_participation` `results` [+ `schemes`, `within_years`]; `gravity`
//! `max_final`; `decision_table` `inputs` (`final_gravity`, `previous_convictions`, `age`),
//! `rows` (`{ final_gravity = { min = 1, max = 3 }, verdict = "met" }`, an omitted input or
//! bound means "any") and `otherwise`; `resides_in_force_area`, `offence_in_force_area`,
//! `evidence_sufficient` and `prosecution_time_available` take none.

pub mod criteria;
pub mod decision;
pub mod golden;
pub mod load;
mod model;
pub mod table;
mod words;

#[cfg(test)]
mod tests;

pub use criteria::{CategorySet, Criterion, CriterionKind, OffenceAgeLimit, Rule};
pub use decision::{
    Circumstance, CriterionInfo, CriterionReport, Decision, Eligibility, Evidence, Fact,
    OffenceFlag, PolicyMeta, Verdict, Warning,
};
pub use golden::{GoldenError, GoldenReport, merge_patch};
pub use load::{PolicyError, PolicyErrors};

use crate::contract::ConditionCatalogue;
use crate::deadline::{ContractLength, DeadlineRule, plan_contract, prosecution_deadline};
use crate::outcome::OutcomeCode;
use crate::referral::Referral;
use criteria::Facts;
use decision::CriterionOutcome;
use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The legal footing of the disposal a scheme offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalMode {
    /// Police defer the charging decision while the person keeps a contract (Checkpoint,
    /// Turning Point); failure → the original prosecution.
    InformalDeferredProsecution,
    /// Criminal Justice Act 2003 ss.22–27; failure → proceedings may be brought (s.24).
    ConditionalCaution,
    /// Non-statutory community resolution; no sanction for breach.
    CommunityResolution,
    /// Police, Crime, Sentencing and Courts Act 2022 Part 6 (prospective); breach → prosecution.
    PcscDiversionaryCaution,
    /// PCSC Act 2022 Part 6 (prospective); breach → financial penalty, never prosecution.
    PcscCommunityCaution,
}

/// Home Office outcome codes a case closes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeMapping {
    pub on_completion: OutcomeCode,
    pub on_failure: OutcomeCode,
    /// A failure after the summary time limit (MCA 1980 s.127) can no longer be prosecuted.
    pub time_limit_expired: OutcomeCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Months after closure at which a case's records are reviewed (MoPI).
    pub review_after_months: u16,
}

/// Randomised-trial settings; off unless the file turns them on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialSettings {
    pub enabled: bool,
    /// Treatment : control.
    pub allocation_ratio: [u8; 2],
    /// Permuted block sizes, each a multiple of the ratio's total.
    pub block_sizes: Vec<u16>,
    /// Names of the facts allocation is stratified by (e.g. `risk_band`, `sex`).
    pub strata: Vec<String>,
}

impl Default for TrialSettings {
    fn default() -> Self {
        TrialSettings {
            enabled: false,
            allocation_ratio: [1, 1],
            block_sizes: vec![4],
            strata: Vec::new(),
        }
    }
}

/// A validated policy, ready to evaluate referrals.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    meta: Arc<PolicyMeta>,
    force: String,
    description: Option<String>,
    legal_mode: LegalMode,
    outcomes: OutcomeMapping,
    contract_length: ContractLength,
    deadline_rule: DeadlineRule,
    catalogue: ConditionCatalogue,
    follow_up_months: Vec<u16>,
    retention: Retention,
    suppression_threshold: u32,
    trial: TrialSettings,
    criteria: Vec<Criterion>,
}

/// When each outcome code a policy may map to came into use (domain.md §3–4); a decision warns
/// when the referral predates it.
const OUTCOME_INTRODUCED: [(u8, Date); 2] = [(21, date(2016, 1, 1)), (22, date(2019, 4, 1))];

impl Policy {
    /// Parses and validates a policy file. `file_name` only labels error messages.
    pub fn from_toml(source: &str, file_name: &str) -> Result<Policy, PolicyErrors> {
        load::load(source, file_name)
    }

    pub fn id(&self) -> &str {
        &self.meta.id
    }

    pub fn version(&self) -> u32 {
        self.meta.version
    }

    pub fn name(&self) -> &str {
        &self.meta.name
    }

    pub fn force(&self) -> &str {
        &self.force
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `sha256:` followed by the hex SHA-256 of the file's exact bytes.
    pub fn content_hash(&self) -> &str {
        &self.meta.content_hash
    }

    pub fn meta(&self) -> &Arc<PolicyMeta> {
        &self.meta
    }

    pub fn effective_from(&self) -> Date {
        self.meta.effective_from
    }

    pub fn effective_to(&self) -> Option<Date> {
        self.meta.effective_to
    }

    pub fn in_force_on(&self, day: Date) -> bool {
        day >= self.meta.effective_from && self.meta.effective_to.is_none_or(|to| day <= to)
    }

    pub fn legal_mode(&self) -> LegalMode {
        self.legal_mode
    }

    pub fn outcomes(&self) -> OutcomeMapping {
        self.outcomes
    }

    pub fn contract_length(&self) -> ContractLength {
        self.contract_length
    }

    pub fn deadline_rule(&self) -> DeadlineRule {
        self.deadline_rule
    }

    pub fn catalogue(&self) -> &ConditionCatalogue {
        &self.catalogue
    }

    pub fn follow_up_months(&self) -> &[u16] {
        &self.follow_up_months
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }

    pub fn suppression_threshold(&self) -> u32 {
        self.suppression_threshold
    }

    pub fn trial(&self) -> &TrialSettings {
        &self.trial
    }

    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// Evaluates every criterion (never stopping at the first failure) and plans the contract
    /// from the referral date under this policy's deadline rule.
    pub fn evaluate(&self, referral: &Referral) -> Decision {
        let offence = &referral.offence;
        let deadline = prosecution_deadline(offence.mode_of_trial, offence.offence_date);
        let contract = plan_contract(
            referral.referral_date,
            self.contract_length,
            deadline,
            self.deadline_rule,
        );
        let facts = Facts {
            referral,
            contract: &contract,
            deadline_rule: self.deadline_rule,
        };

        let mut results = Vec::with_capacity(self.criteria.len());
        let (mut any_not_met, mut any_unknown) = (false, false);
        for criterion in &self.criteria {
            let (verdict, evidence) = criterion.evaluate(&facts);
            any_not_met |= verdict == Verdict::NotMet;
            any_unknown |= verdict == Verdict::Unknown;
            results.push(CriterionOutcome { verdict, evidence });
        }
        let outcome = if any_not_met {
            Eligibility::Ineligible
        } else if any_unknown {
            Eligibility::NeedsInformation
        } else {
            Eligibility::Eligible
        };

        let mut warnings = Vec::new();
        let day = referral.referral_date;
        if day < self.meta.effective_from {
            warnings.push(Warning::PolicyNotYetInForce {
                effective_from: self.meta.effective_from,
            });
        }
        if let Some(to) = self.meta.effective_to
            && day > to
        {
            warnings.push(Warning::PolicyNoLongerInForce { effective_to: to });
        }
        for (code, introduced) in OUTCOME_INTRODUCED {
            if self.outcomes.on_completion.get() == code && day < introduced {
                warnings.push(Warning::OutcomeCodeNotYetIntroduced {
                    code: self.outcomes.on_completion,
                    introduced,
                });
            }
        }
        if contract.clamped && !contract.too_short {
            warnings.push(Warning::ContractShortened {
                nominal_end: contract.nominal_end,
                end: contract.end,
            });
        }

        Decision {
            policy: Arc::clone(&self.meta),
            referral_date: day,
            outcome,
            results,
            contract,
            warnings,
        }
    }
}
