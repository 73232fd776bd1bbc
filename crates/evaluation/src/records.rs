//! The input: one plain record per case, as the store will assemble it (pseudonymised — no
//! names, no dates of birth). Everything the reports need is here; nothing is looked up.

use crate::cost::ResourceUse;
use checkpoint_domain::lifecycle::{CaseState, TrialArm};
use checkpoint_domain::offence::OffenceCategory;
use checkpoint_domain::outcome::OutcomeCode;
use checkpoint_domain::person::{EthnicGroup, Ethnicity, Sex};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use uuid::Uuid;

/// Text a record shares with many others: a million cases name a handful of schemes, reasons
/// and risk bands, and each is held once, not once per case.
pub type Label = Arc<str>;

/// A calendar month, e.g. the month of referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    pub fn of(date: Date) -> Self {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// How far down the funnel a case got. Ordered: each stage implies the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    Referred,
    Eligible,
    Offered,
    Accepted,
}

/// How a case left the funnel, if it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Screened out (stage `Referred`).
    Ineligible,
    /// Offered and refused (stage `Offered`).
    Declined,
    /// Finished the contract (stage `Accepted`).
    Completed,
    /// Breached and was referred back for prosecution (stage `Accepted`).
    Failed,
    /// Left the programme of their own accord (stage `Accepted`).
    Withdrawn,
}

/// Where a case stands in the funnel, derived from the states it has passed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelPosition {
    pub stage: FunnelStage,
    pub ending: Option<Ending>,
}

impl FunnelPosition {
    /// The furthest stage reached and the first ending met in a case's state history (oldest
    /// first). Retention and disposal states carry no funnel information and are skipped.
    pub fn from_history(states: &[CaseState]) -> Self {
        use CaseState::*;
        let mut stage = FunnelStage::Referred;
        let mut ending = None;
        for state in states {
            let (reached, ended) = match state {
                Referred | NeedsInformation | RetentionReview | Disposed => {
                    (FunnelStage::Referred, None)
                }
                Ineligible => (FunnelStage::Referred, Some(Ending::Ineligible)),
                Eligible | Control | Treatment => (FunnelStage::Eligible, None),
                Offered => (FunnelStage::Offered, None),
                Declined => (FunnelStage::Offered, Some(Ending::Declined)),
                Accepted | NeedsAssessed | ContractSigned | Active | NonComplianceReview => {
                    (FunnelStage::Accepted, None)
                }
                Failed | TimeLimitExpired => (FunnelStage::Accepted, Some(Ending::Failed)),
                Withdrawn => (FunnelStage::Accepted, Some(Ending::Withdrawn)),
                // Reached from Failed or Withdrawn, whose ending has already been recorded.
                ProsecutionReferred => (FunnelStage::Accepted, None),
                Completed => (FunnelStage::Accepted, Some(Ending::Completed)),
                // Follow-up starts after completion, decline, control or prosecution; it says
                // nothing new about the funnel.
                FollowUp => (FunnelStage::Referred, None),
            };
            stage = stage.max(reached);
            if ending.is_none() {
                ending = ended;
            }
        }
        FunnelPosition { stage, ending }
    }
}

/// Age at referral, in the bands youth justice and adult returns use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    #[serde(rename = "10-17")]
    Age10To17,
    #[serde(rename = "18-24")]
    Age18To24,
    #[serde(rename = "25-34")]
    Age25To34,
    #[serde(rename = "35-49")]
    Age35To49,
    #[serde(rename = "50+")]
    Age50Plus,
    Unknown,
}

impl AgeBand {
    pub const ALL: [AgeBand; 6] = [
        AgeBand::Age10To17,
        AgeBand::Age18To24,
        AgeBand::Age25To34,
        AgeBand::Age35To49,
        AgeBand::Age50Plus,
        AgeBand::Unknown,
    ];

    pub fn from_age(years: i32) -> Self {
        match years {
            10..=17 => AgeBand::Age10To17,
            18..=24 => AgeBand::Age18To24,
            25..=34 => AgeBand::Age25To34,
            35..=49 => AgeBand::Age35To49,
            50.. => AgeBand::Age50Plus,
            _ => AgeBand::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Age10To17 => "10-17",
            AgeBand::Age18To24 => "18-24",
            AgeBand::Age25To34 => "25-34",
            AgeBand::Age35To49 => "35-49",
            AgeBand::Age50Plus => "50+",
            AgeBand::Unknown => "unknown",
        }
    }
}

/// A later offence linked to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reoffence {
    /// When the offence was committed (the date the MoJ measure keys on).
    pub offence_date: Date,
    /// When it was proven by conviction, caution or out-of-court outcome; `None` while it is
    /// only an arrest.
    pub proven_date: Option<Date>,
    pub category: OffenceCategory,
}

/// One case, everything evaluation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// Pseudonymous identifier, only for tracing figures back in the analyst's own system.
    pub case_id: Uuid,
    pub scheme: Label,
    pub referral_month: Month,
    pub position: FunnelPosition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ineligibility_reason: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<Label>,
    /// Home Office outcome code recorded when the case closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_code: Option<OutcomeCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity_self_defined: Option<Ethnicity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity_officer_observed: Option<EthnicGroup>,
    pub sex: Sex,
    pub age_band: AgeBand,
    /// Advisory risk band (e.g. HART's low/moderate/high), if scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_band: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_convictions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_arm: Option<TrialArm>,
    /// Start of follow-up: contract start for participants, decision date for controls and
    /// decliners. `None` for cases that never reach follow-up (ineligible, pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_date: Option<Date>,
    /// End of the contract period (for the in-contract measure); participants only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_end: Option<Date>,
    /// The last day new arrests are recorded for this case (its follow-up window's end), if
    /// monitoring stops at all. A window ending later cannot be measured for this case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitored_until: Option<Date>,
    #[serde(default)]
    pub reoffences: Vec<Reoffence>,
    #[serde(default)]
    pub resources: ResourceUse,
}

/// A case accepted onto a contract that started on `index`, with these reoffences and
/// nothing else recorded: the common ground of the report modules' unit tests.
#[cfg(test)]
pub(crate) fn accepted_case(index: Date, reoffences: Vec<Reoffence>) -> CaseRecord {
    CaseRecord {
        case_id: Uuid::nil(),
        scheme: "s".into(),
        referral_month: Month::of(index),
        position: FunnelPosition {
            stage: FunnelStage::Accepted,
            ending: None,
        },
        ineligibility_reason: None,
        decline_reason: None,
        outcome_code: None,
        ethnicity_self_defined: None,
        ethnicity_officer_observed: None,
        sex: Sex::Male,
        age_band: AgeBand::Age18To24,
        risk_band: None,
        previous_convictions: None,
        trial_arm: None,
        index_date: Some(index),
        contract_end: None,
        monitored_until: None,
        reoffences,
        resources: Default::default(),
    }
}
