//! The policy file as written: serde structs mirroring the TOML, with spans kept on every value
//! that a later check may need to point at. Nothing here is trusted; `load.rs` turns it into the
//! validated [`super::Policy`].
//!
//! Every table denies unknown keys, so a misspelt key is an error with its position rather than
//! a silently ignored rule. Criterion parameters are one flat set of optional keys: which of them
//! a `kind` takes is checked in `load.rs`, which reports a misplaced parameter at its own
//! position (serde's internally tagged enums would lose the positions).

use crate::contract::{ConditionKind, Pathway};
use crate::deadline::ContractLength;
use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub id: Spanned<String>,
    pub version: Spanned<u32>,
    pub name: Spanned<String>,
    pub force: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub effective_from: Spanned<Datetime>,
    #[serde(default)]
    pub effective_to: Option<Spanned<Datetime>>,
    pub legal_mode: super::LegalMode,
    pub follow_up_months: Spanned<Vec<Spanned<u16>>>,
    #[serde(default)]
    pub suppression_threshold: Option<Spanned<u32>>,
    pub outcomes: RawOutcomes,
    pub contract: RawContract,
    pub retention: RawRetention,
    #[serde(default)]
    pub trial: Option<Spanned<RawTrial>>,
    pub conditions: RawCatalogue,
    pub criteria: Spanned<Vec<RawCriterion>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutcomes {
    pub on_completion: Spanned<u8>,
    pub on_failure: Spanned<u8>,
    pub time_limit_expired: Spanned<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContract {
    pub length: Spanned<ContractLength>,
    pub margin_days: u16,
    pub minimum_contract_days: Spanned<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub review_after_months: Spanned<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrial {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub allocation_ratio: Option<Spanned<Vec<u8>>>,
    #[serde(default)]
    pub block_sizes: Option<Spanned<Vec<Spanned<u16>>>>,
    #[serde(default)]
    pub strata: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalogue {
    pub max_conditions: Spanned<u8>,
    #[serde(default)]
    pub condition: Vec<RawCondition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCondition {
    pub id: Spanned<String>,
    pub kind: ConditionKind,
    pub text: String,
    #[serde(default)]
    pub mandatory: Option<Spanned<bool>>,
    #[serde(default)]
    pub min_hours: Option<Spanned<u16>>,
    #[serde(default)]
    pub max_hours: Option<Spanned<u16>>,
    #[serde(default)]
    pub pathway: Option<Pathway>,
    #[serde(default)]
    pub exclusive_group: Option<Spanned<String>>,
}

/// A list of names parsed later against the vocabulary the criterion's kind needs.
pub(super) type NameList = Spanned<Vec<Spanned<String>>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCriterion {
    pub id: Spanned<String>,
    pub kind: Spanned<super::CriterionKind>,
    pub text: Spanned<String>,
    pub source: Spanned<String>,
    #[serde(default)]
    pub applies_to: Option<NameList>,
    // Parameters (see `load.rs` for which kind takes which).
    #[serde(default)]
    pub years: Option<Spanned<i64>>,
    #[serde(default)]
    pub months: Option<Spanned<i64>>,
    #[serde(default)]
    pub days: Option<Spanned<i64>>,
    #[serde(default)]
    pub include: Option<NameList>,
    #[serde(default)]
    pub exclude: Option<NameList>,
    #[serde(default)]
    pub allowed: Option<NameList>,
    #[serde(default)]
    pub excluded: Option<NameList>,
    #[serde(default)]
    pub fewer_than: Option<Spanned<i64>>,
    #[serde(default)]
    pub circumstances: Option<NameList>,
    #[serde(default)]
    pub flags: Option<NameList>,
    #[serde(default)]
    pub results: Option<NameList>,
    #[serde(default)]
    pub schemes: Option<NameList>,
    #[serde(default)]
    pub within_years: Option<Spanned<i64>>,
    #[serde(default)]
    pub max_final: Option<Spanned<i64>>,
    #[serde(default)]
    pub inputs: Option<NameList>,
    #[serde(default)]
    pub rows: Option<Spanned<Vec<Spanned<RawRow>>>>,
    #[serde(default)]
    pub otherwise: Option<Spanned<super::table::TableVerdict>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRow {
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub final_gravity: Option<Spanned<RawRange>>,
    #[serde(default)]
    pub previous_convictions: Option<Spanned<RawRange>>,
    #[serde(default)]
    pub age: Option<Spanned<RawRange>>,
    pub verdict: super::table::TableVerdict,
}

/// `{ min = 1, max = 3 }`, both ends inclusive; a missing end means the input's own limit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRange {
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
}
