//! Cambridge Crime Harm Index (Sherman, Neyroud & Neyroud 2016, "The Cambridge Crime Harm
//! Index: measuring total harm from crime based on sentencing guidelines", Policing 10(3):
//! 171–183, doi 10.1093/police/paw003).
//!
//! Each offence weighs the Sentencing Council's starting point, in days of custody, for a
//! first-time offender (offences normally fined: the days of minimum-wage work to pay the
//! fine). Harm is the sum of those days.
//!
//! Offences that come to light through police activity rather than a victim's report — drug
//! possession above all — are **excluded**, as Sherman et al. do: counting them would measure
//! police effort, not harm. The table here starts with drug possession excluded; the weights
//! themselves are configuration (no figures are invented here), and an offence whose category has
//! no weight is counted as "unweighted" so a report can say the total is incomplete.

use checkpoint_domain::offence::OffenceCategory;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Days of custody per offence category, and the categories excluded as police-generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HarmWeights {
    pub days: BTreeMap<OffenceCategory, f64>,
    pub excluded: BTreeSet<OffenceCategory>,
}

impl Default for HarmWeights {
    /// No weights, drug possession excluded.
    fn default() -> Self {
        HarmWeights {
            days: BTreeMap::new(),
            excluded: BTreeSet::from([OffenceCategory::DrugPossession]),
        }
    }
}

/// How one offence counts towards harm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum HarmWeight {
    Days(f64),
    ExcludedPoliceGenerated,
    Unweighted,
}

/// Harm over a set of offences.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct HarmTotal {
    pub days: f64,
    pub counted: u64,
    pub excluded: u64,
    pub unweighted: u64,
}

impl HarmWeights {
    pub fn weight(&self, category: OffenceCategory) -> HarmWeight {
        if self.excluded.contains(&category) {
            HarmWeight::ExcludedPoliceGenerated
        } else {
            self.days
                .get(&category)
                .map_or(HarmWeight::Unweighted, |&d| HarmWeight::Days(d))
        }
    }

    pub fn total(&self, offences: impl IntoIterator<Item = OffenceCategory>) -> HarmTotal {
        let mut total = HarmTotal::default();
        for category in offences {
            match self.weight(category) {
                HarmWeight::Days(days) => {
                    total.days += days;
                    total.counted += 1;
                }
                HarmWeight::ExcludedPoliceGenerated => total.excluded += 1,
                HarmWeight::Unweighted => total.unweighted += 1,
            }
        }
        total
    }
}
