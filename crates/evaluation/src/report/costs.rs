//! Cost report: prices each case's resources and compares the programme with a comparison
//! group over a follow-up window (see [`crate::cost`] for the arithmetic).

use super::followup::{FollowUpRules, Window};
use super::reoffending::raw_window;
use super::{ReportSettings, Warning, WarningKind};
use crate::cost::{CostSummary, GroupCost, PerReoffenceAvoided, Pricing, UnitCosts, cost_summary};
use crate::records::{CaseRecord, Ending};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    pub window: Window,
    pub summary: Option<CostSummary>,
    pub warnings: Vec<Warning>,
}

/// `programme`: participants (accepted the programme); `comparison`: e.g. the control arm or
/// those prosecuted as usual. Figures are withheld when either group is below the suppression
/// threshold, since an average over a handful of people discloses their costs; the
/// reoffence counts and the cost per reoffence avoided when either group's count is.
#[allow(clippy::too_many_arguments)]
pub fn cost_report<'c>(
    programme: &[&'c CaseRecord],
    comparison: &[&'c CaseRecord],
    costs: &'c UnitCosts,
    rules: &FollowUpRules,
    window: Window,
    today: Date,
    settings: &ReportSettings,
) -> CostReport {
    let mut warnings = Vec::new();
    let threshold = settings.suppression.threshold;
    let mut pricing = Pricing::new(costs);
    let mut group = |cases: &[&'c CaseRecord]| {
        let raw = raw_window(cases, rules, window, today);
        GroupCost {
            people: cases.len() as u64,
            total_cost: cases.iter().map(|c| pricing.cost(&c.resources)).sum(),
            followed_up: raw.reoffended + raw.clean,
            reoffences: raw.reoffences,
        }
    };
    let programme_cost = group(programme);
    let comparison_cost = group(comparison);
    let unpriced: Vec<&str> = pricing.unpriced().collect();
    if !unpriced.is_empty() {
        warnings.push(Warning::new(
            WarningKind::NotEstimable,
            format!(
                "No unit cost configured for: {}; priced at zero.",
                unpriced.join(", ")
            ),
        ));
    }
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
        let mut summary = cost_summary(programme_cost, completions, comparison_cost);
        // The arithmetic spells out each group's reoffence count ("programme 3 ÷ 25"), and
        // the cost per reoffence avoided is built on those counts: withhold both when a count
        // is below the threshold.
        let policy = settings.suppression;
        if policy.is_primary(programme_cost.reoffences)
            || policy.is_primary(comparison_cost.reoffences)
        {
            summary.arithmetic.retain(|line| {
                !(line.starts_with("Reoffences") || line.starts_with("Cost per reoffence"))
            });
            summary.per_reoffence_avoided = PerReoffenceAvoided::NotEstimable {
                reason: format!("a group's reoffence count is below {threshold} and is withheld"),
            };
        }
        Some(summary)
    };
    CostReport {
        window,
        summary,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{FunnelPosition, FunnelStage, Reoffence, accepted_case};
    use checkpoint_domain::offence::OffenceCategory;
    use jiff::civil::date;

    fn case(reoffences: usize) -> CaseRecord {
        let theft = Reoffence {
            offence_date: date(2024, 6, 1),
            proven_date: None,
            category: OffenceCategory::Theft,
        };
        CaseRecord {
            position: FunnelPosition {
                stage: FunnelStage::Accepted,
                ending: Some(Ending::Completed),
            },
            ..accepted_case(date(2024, 1, 15), vec![theft; reoffences])
        }
    }

    #[test]
    fn a_reoffence_count_below_the_threshold_withholds_the_cost_per_reoffence_avoided() {
        let rules = FollowUpRules {
            measure: crate::report::followup::Measure::Rearrest,
            proof_lag_months: 0,
        };
        let report_for = |programme_reoffending: usize| {
            let programme: Vec<CaseRecord> = (0..30)
                .map(|i| case(usize::from(i < programme_reoffending)))
                .collect();
            let comparison: Vec<CaseRecord> = (0..30).map(|i| case(usize::from(i < 20))).collect();
            cost_report(
                &programme.iter().collect::<Vec<_>>(),
                &comparison.iter().collect::<Vec<_>>(),
                &UnitCosts::default(),
                &rules,
                Window::Months(12),
                date(2026, 1, 1),
                &ReportSettings::default(),
            )
            .summary
            .expect("groups above the threshold")
        };
        // 3 reoffences in the programme: the count would show in the arithmetic.
        let withheld = report_for(3);
        assert!(matches!(
            withheld.per_reoffence_avoided,
            PerReoffenceAvoided::NotEstimable { .. }
        ));
        assert!(
            withheld
                .arithmetic
                .iter()
                .all(|line| !line.starts_with("Reoffences")),
            "{:?}",
            withheld.arithmetic
        );
        // 12: published, with the arithmetic behind it.
        let shown = report_for(12);
        assert!(
            shown
                .arithmetic
                .iter()
                .any(|line| line.starts_with("Reoffences")),
            "{:?}",
            shown.arithmetic
        );
    }
}
