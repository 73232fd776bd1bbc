//! Trial analysis by intention to treat: everyone randomised is analysed in the arm they were
//! allocated to, whether or not they took up the programme.
//!
//! Contents: CONSORT flow counts, a balance table of the arms, proven reoffending by arm with
//! the risk difference (treatment − control, Newcombe hybrid score interval) and relative risk
//! (treatment ÷ control, log interval), the hazard ratio from the log-rank test, and a
//! plain-English paragraph of what can and cannot be concluded.

use super::followup::Window;
use super::reoffending::{
    GroupWindow, LogRankSummary, ReoffendingConfig, SurvivalCurve, observations, raw_window,
    survival_section, window_rows,
};
use super::{ReportSettings, Warning, WarningKind, suppression_warning};
use crate::records::{CaseRecord, FunnelStage};
use crate::stats::survival::Observation;
use crate::stats::two_proportions::{relative_risk_log, risk_difference_newcombe};
use crate::stats::{Estimate, Interval, Z_95};
use crate::suppression::{Count, Line, Table2, suppress};
use checkpoint_domain::lifecycle::TrialArm;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialConfig {
    pub reoffending: ReoffendingConfig,
    /// The primary outcome window (Durham: 24 months), then secondary ones.
    pub outcome_windows: Vec<u8>,
    /// The smallest reduction in the reoffending rate worth detecting, for the sample-size
    /// statement (Durham's trial found 10.3 percentage points).
    pub minimum_effect: f64,
}

impl Default for TrialConfig {
    fn default() -> Self {
        TrialConfig {
            reoffending: ReoffendingConfig::default(),
            outcome_windows: vec![24, 12],
            minimum_effect: 0.10,
        }
    }
}

/// CONSORT flow for one arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmFlow {
    pub arm: TrialArm,
    pub allocated: Count,
    /// Treatment: accepted the programme. Control: everyone (they get the usual process).
    pub received_allocation: Count,
    pub did_not_receive_allocation: Count,
    /// Primary window elapsed: analysed.
    pub analysed: Count,
    pub follow_up_not_elapsed: Count,
    /// No index date recorded: cannot be followed.
    pub no_index_date: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consort {
    pub assessed_for_eligibility: Count,
    pub not_randomised: Count,
    pub randomised: Count,
    pub arms: Vec<ArmFlow>,
}

/// A characteristic by arm, with column percentages where counts are published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceTable {
    pub characteristic: String,
    pub levels: Vec<String>,
    /// Columns: treatment, control.
    pub table: Table2,
    pub percent: Vec<[Option<f64>; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialOutcome {
    pub window_months: u8,
    pub treatment: GroupWindow,
    pub control: GroupWindow,
    /// Treatment rate − control rate.
    pub risk_difference: Option<Estimate>,
    /// Treatment rate ÷ control rate.
    pub relative_risk: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialReport {
    pub today: Date,
    pub consort: Consort,
    pub balance: Vec<BalanceTable>,
    pub outcomes: Vec<TrialOutcome>,
    pub survival: Vec<SurvivalCurve>,
    pub log_rank: Option<LogRankSummary>,
    /// Treatment vs control, `(O/E)_treatment ÷ (O/E)_control`.
    pub hazard_ratio: Option<Estimate>,
    /// People per arm needed to detect `minimum_effect` with 80% power at 5% (two-sided).
    pub sample_size_per_arm: Option<u64>,
    pub conclusion: String,
    pub warnings: Vec<Warning>,
}

fn previous_convictions_band(n: Option<u32>) -> &'static str {
    match n {
        None => "unknown",
        Some(0) => "0",
        Some(1..=2) => "1-2",
        Some(_) => "3+",
    }
}

pub fn trial_report(
    cases: &[CaseRecord],
    today: Date,
    config: &TrialConfig,
    settings: &ReportSettings,
) -> TrialReport {
    let policy = settings.suppression;
    let arms = [TrialArm::Treatment, TrialArm::Control];
    let in_arm = |arm: TrialArm| -> Vec<&CaseRecord> {
        cases.iter().filter(|c| c.trial_arm == Some(arm)).collect()
    };
    let treatment = in_arm(TrialArm::Treatment);
    let control = in_arm(TrialArm::Control);
    let primary = config.outcome_windows.first().copied().unwrap_or(24);
    let mut warnings = Vec::new();

    // CONSORT: [assessed, not randomised] then per arm [allocated, received, not received,
    // analysed, pending, no index], then the randomised total.
    let mut values = vec![
        cases.len() as u64,
        (cases.len() - treatment.len() - control.len()) as u64,
    ];
    let mut lines = Vec::new();
    for group in [&treatment, &control] {
        let start = values.len();
        let received = group
            .iter()
            .filter(|c| {
                c.trial_arm == Some(TrialArm::Control) || c.position.stage == FunnelStage::Accepted
            })
            .count() as u64;
        let raw = raw_window(
            group,
            &config.reoffending.rules,
            Window::Months(primary),
            today,
        );
        let analysed = raw.reoffended + raw.clean;
        let allocated = group.len() as u64;
        values.extend([
            allocated,
            received,
            allocated - received,
            analysed,
            raw.pending,
            allocated - analysed - raw.pending,
        ]);
        lines.push(Line {
            parts: vec![start + 1, start + 2],
            total: start,
        });
        lines.push(Line {
            parts: vec![start + 3, start + 4, start + 5],
            total: start,
        });
    }
    let randomised = values.len();
    values.push((treatment.len() + control.len()) as u64);
    lines.push(Line {
        parts: vec![2, 8],
        total: randomised,
    });
    lines.push(Line {
        parts: vec![1, randomised],
        total: 0,
    });
    let flow = suppress(&values, &lines, policy);
    let arm_flow = |arm: TrialArm, start: usize| ArmFlow {
        arm,
        allocated: flow[start],
        received_allocation: flow[start + 1],
        did_not_receive_allocation: flow[start + 2],
        analysed: flow[start + 3],
        follow_up_not_elapsed: flow[start + 4],
        no_index_date: flow[start + 5],
    };
    let consort = Consort {
        assessed_for_eligibility: flow[0],
        not_randomised: flow[1],
        randomised: flow[randomised],
        arms: vec![
            arm_flow(TrialArm::Treatment, 2),
            arm_flow(TrialArm::Control, 8),
        ],
    };
    let mut any_suppressed = flow.iter().any(Count::is_suppressed);

    // Balance.
    type Characteristic = (&'static str, fn(&CaseRecord) -> &str);
    let characteristics: [Characteristic; 5] = [
        ("Sex", |c| {
            super::disproportionality::Dimension::Sex.value_of(c)
        }),
        ("Age band", |c| c.age_band.label()),
        ("Ethnic group (self-defined)", |c| {
            super::disproportionality::Dimension::EthnicitySelfDefined.value_of(c)
        }),
        ("Risk band", |c| {
            c.risk_band.as_deref().unwrap_or("not scored")
        }),
        ("Previous convictions", |c| {
            previous_convictions_band(c.previous_convictions)
        }),
    ];
    let balance: Vec<BalanceTable> = characteristics
        .iter()
        .map(|(name, level_of)| {
            let mut levels: BTreeMap<&str, [u64; 2]> = BTreeMap::new();
            for (column, group) in [&treatment, &control].into_iter().enumerate() {
                for case in group.iter() {
                    levels.entry(level_of(case)).or_default()[column] += 1;
                }
            }
            let matrix: Vec<Vec<u64>> = levels.values().map(|v| v.to_vec()).collect();
            let table = Table2::new(&matrix, policy);
            any_suppressed |= table.cells.iter().flatten().any(Count::is_suppressed);
            let percent = table
                .cells
                .iter()
                .map(|row| {
                    let share = |c: usize| {
                        crate::suppression::published_ratio(row[c], table.column_totals[c])
                            .map(|p| 100.0 * p)
                    };
                    [share(0), share(1)]
                })
                .collect();
            BalanceTable {
                characteristic: (*name).to_owned(),
                levels: levels.into_keys().map(str::to_owned).collect(),
                table,
                percent,
            }
        })
        .collect();

    // Outcomes.
    let outcomes: Vec<TrialOutcome> = config
        .outcome_windows
        .iter()
        .map(|&months| {
            let window = Window::Months(months);
            let raw = vec![
                (
                    "treatment".to_owned(),
                    raw_window(&treatment, &config.reoffending.rules, window, today),
                ),
                (
                    "control".to_owned(),
                    raw_window(&control, &config.reoffending.rules, window, today),
                ),
            ];
            let (mut rows, _) = window_rows(&raw, settings);
            let control_row = rows.pop().expect("two rows");
            let treatment_row = rows.pop().expect("two rows");
            any_suppressed |= [&treatment_row, &control_row]
                .iter()
                .any(|g| g.followed_up.is_suppressed() || g.reoffended.is_suppressed());
            let counts = match (
                treatment_row.reoffended.value(),
                treatment_row.followed_up.value(),
                control_row.reoffended.value(),
                control_row.followed_up.value(),
            ) {
                (Some(a), Some(n1), Some(b), Some(n2)) if n1 > 0 && n2 > 0 => Some((a, n1, b, n2)),
                _ => None,
            };
            TrialOutcome {
                window_months: months,
                risk_difference: counts
                    .and_then(|(a, n1, b, n2)| risk_difference_newcombe(a, n1, b, n2, Z_95)),
                relative_risk: counts
                    .and_then(|(a, n1, b, n2)| relative_risk_log(a, n1, b, n2, Z_95)),
                treatment: treatment_row,
                control: control_row,
            }
        })
        .collect();

    // Time to first reoffence, by arm in name order (as the reoffending report's groups).
    let mut by_arm: Vec<(&str, Vec<Observation>)> = arms
        .iter()
        .zip([&treatment, &control])
        .map(|(arm, group)| {
            (
                arm.as_str(),
                observations(group, &config.reoffending, today),
            )
        })
        .collect();
    by_arm.sort_by_key(|(arm, _)| *arm);
    let (survival, log_rank) =
        survival_section(by_arm, &config.reoffending, settings, &mut warnings);
    // BTreeMap order puts "control" first; invert to treatment vs control.
    let hazard_ratio = log_rank.as_ref().and_then(|lr| {
        let hr = lr.hazard_ratio?;
        (lr.groups.first().map(String::as_str) == Some("control")).then(|| Estimate {
            estimate: 1.0 / hr.estimate,
            interval: Interval::new(1.0 / hr.interval.upper, 1.0 / hr.interval.lower),
        })
    });

    let primary_outcome = outcomes.first();
    let control_rate = primary_outcome.and_then(|o| o.control.rate.map(|r| r.estimate));
    let sample_size_per_arm =
        sample_size_per_arm(control_rate.unwrap_or(0.35), config.minimum_effect);
    let conclusion = conclusion(
        primary_outcome,
        hazard_ratio,
        sample_size_per_arm,
        config.minimum_effect,
    );

    if outcomes.iter().any(|o| o.risk_difference.is_none()) {
        warnings.push(Warning::new(
            WarningKind::NotEstimable,
            "Where an arm has no one followed up, or its counts are withheld, no difference between arms is given.",
        ));
    }
    warnings.extend(suppression_warning(any_suppressed, policy.threshold));
    TrialReport {
        today,
        consort,
        balance,
        outcomes,
        survival,
        log_rank,
        hazard_ratio,
        sample_size_per_arm,
        conclusion,
        warnings,
    }
}

/// People per arm to detect a fall of `effect` from `control_rate` with 80% power, two-sided
/// 5% (the normal-approximation formula in Pocock, *Clinical Trials*, 1983, ch. 9):
/// `n = (z_{α/2}√(2p̄q̄) + z_β√(p₁q₁ + p₂q₂))² / δ²`.
pub fn sample_size_per_arm(control_rate: f64, effect: f64) -> Option<u64> {
    let p1 = control_rate;
    let p2 = control_rate - effect;
    if effect <= 0.0 || !(0.0..=1.0).contains(&p1) || !(0.0..=1.0).contains(&p2) {
        return None;
    }
    let z_beta = 0.841_621_233_572_914_3; // Φ⁻¹(0.80)
    let mean = (p1 + p2) / 2.0;
    let numerator = Z_95 * (2.0 * mean * (1.0 - mean)).sqrt()
        + z_beta * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    Some((numerator * numerator / (effect * effect)).ceil() as u64)
}

fn points(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// The plain-English paragraph. It never calls a difference significant when the interval
/// includes zero, and always states the interval's width.
pub fn conclusion(
    primary: Option<&TrialOutcome>,
    hazard_ratio: Option<Estimate>,
    sample_size_per_arm: Option<u64>,
    minimum_effect: f64,
) -> String {
    let mut text = String::from(
        "Analysis is by intention to treat: everyone randomised is counted in the arm they were allocated to, whether or not they took part. ",
    );
    let Some(outcome) = primary else {
        text.push_str("No outcome window is configured.");
        return text;
    };
    let months = outcome.window_months;
    match (
        outcome.treatment.rate,
        outcome.control.rate,
        outcome.risk_difference,
    ) {
        (Some(t), Some(c), Some(rd)) => {
            text.push_str(&format!(
                "Within {months} months, {}% of the treatment arm ({} of {}) and {}% of the control arm ({} of {}) had a proven reoffence. ",
                points(t.estimate), t.events, t.total, points(c.estimate), c.events, c.total
            ));
            let (lo, hi) = (rd.interval.lower, rd.interval.upper);
            text.push_str(&format!(
                "The difference is {} percentage points (95% CI {} to {}), an interval {} points wide. ",
                points(rd.estimate), points(lo), points(hi), points(hi - lo)
            ));
            if lo <= 0.0 && hi >= 0.0 {
                text.push_str(&format!(
                    "Because the interval includes zero, these data cannot show whether the programme changes reoffending: they are compatible with a fall of up to {} points and with a rise of up to {} points. This is not a statistically significant difference. ",
                    points(-lo), points(hi)
                ));
            } else if hi < 0.0 {
                text.push_str(&format!(
                    "The whole interval lies below zero, so the treatment arm reoffended less (significant at the 5% level); the true reduction is plausibly between {} and {} points. ",
                    points(-hi), points(-lo)
                ));
            } else {
                text.push_str(&format!(
                    "The whole interval lies above zero, so the treatment arm reoffended more (significant at the 5% level); the true increase is plausibly between {} and {} points. ",
                    points(lo), points(hi)
                ));
            }
            if let Some(n) = sample_size_per_arm {
                let smallest = t.total.min(c.total);
                if smallest < n {
                    text.push_str(&format!(
                        "The sample is too small to detect reliably a {}-point reduction: that needs about {n} people per arm followed up for {months} months (80% power, 5% two-sided), and the smaller arm has {smallest}. ",
                        points(minimum_effect)
                    ));
                }
            }
        }
        _ => {
            text.push_str(&format!(
                "Too few people have completed {months} months of follow-up (or their counts are too small to publish) to compare the arms yet. "
            ));
            if let Some(n) = sample_size_per_arm {
                text.push_str(&format!(
                    "Detecting a {}-point reduction needs about {n} people per arm (80% power, 5% two-sided). ",
                    points(minimum_effect)
                ));
            }
        }
    }
    if let Some(hr) = hazard_ratio {
        let spans_one = hr.interval.lower <= 1.0 && hr.interval.upper >= 1.0;
        text.push_str(&format!(
            "For time to first reoffence the hazard ratio (treatment vs control, log-rank O/E method) is {:.2} (95% CI {:.2} to {:.2}){}.",
            hr.estimate,
            hr.interval.lower,
            hr.interval.upper,
            if spans_one { ", an interval that includes 1 (no difference)" } else { "" }
        ));
    }
    text.trim_end().to_owned()
}
