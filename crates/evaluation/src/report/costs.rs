//! Cost report: prices each case's resources and compares the programme with a comparison
//! group over a follow-up window (see [`crate::cost`] for the arithmetic).

use super::followup::{FollowUpRules, Window};
use super::reoffending::raw_window;
use super::{ReportSettings, Warning, WarningKind};
use crate::cost::{CostSummary, GroupCost, UnitCosts, cost_summary};
use crate::records::{CaseRecord, Ending};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    pub window: Window,
    pub summary: Option<CostSummary>,
    pub warnings: Vec<Warning>,
}

/// `programme`: participants (accepted the programme); `comparison`: e.g. the control arm or
/// those prosecuted as usual. Figures are withheld when either group is below the suppression
/// threshold, since an average over a handful of people discloses their costs.
#[allow(clippy::too_many_arguments)]
pub fn cost_report(
    programme: &[&CaseRecord],
    comparison: &[&CaseRecord],
    costs: &UnitCosts,
    rules: &FollowUpRules,
    window: Window,
    today: Date,
    settings: &ReportSettings,
) -> CostReport {
    let mut warnings = Vec::new();
    let threshold = settings.suppression.threshold;
    let group = |cases: &[&CaseRecord]| {
        let raw = raw_window(cases, rules, window, today);
        GroupCost {
            people: cases.len() as u64,
            total_cost: cases.iter().map(|c| c.resources.cost(costs)).sum(),
            followed_up: raw.reoffended + raw.clean,
            reoffences: raw.reoffences,
        }
    };
    // Inserted as found rather than collected: a million cases name a handful of types, and
    // collecting would sort a million names first.
    let mut unpriced: BTreeSet<&str> = BTreeSet::new();
    for case in programme.iter().chain(comparison) {
        unpriced.extend(case.resources.unpriced(costs));
    }
    if !unpriced.is_empty() {
        warnings.push(Warning::new(
            WarningKind::NotEstimable,
            format!(
                "No unit cost configured for: {}; priced at zero.",
                unpriced.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let programme_cost = group(programme);
    let comparison_cost = group(comparison);
    let summary = if [
        programme_cost.followed_up,
        comparison_cost.followed_up,
        programme_cost.people,
        comparison_cost.people,
    ]
    .iter()
    .any(|&n| n < threshold)
    {
        warnings.push(Warning::new(
            WarningKind::Suppressed,
            format!("Cost figures are withheld: fewer than {threshold} people in a group or followed up."),
        ));
        None
    } else {
        let completions = programme
            .iter()
            .filter(|c| c.position.ending == Some(Ending::Completed))
            .count() as u64;
        warnings.push(Warning::new(
            WarningKind::NotEstimable,
            "Cost per reoffence avoided uses point estimates of reoffending; it carries their uncertainty, which is not shown here.",
        ));
        Some(cost_summary(programme_cost, completions, comparison_cost))
    };
    CostReport {
        window,
        summary,
        warnings,
    }
}
