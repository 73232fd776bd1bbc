//! Reoffending from an index date: in-contract, at 12 and 24 months; binary rate with Wilson
//! intervals, frequency per 100 people, Crime Harm Index, and time to first reoffence
//! (Kaplan–Meier curves by group with a log-rank test).

use super::followup::{FollowUpRules, Measure, Window, WindowCount, WindowOutcome, days_between};
use super::{ByLabel, ReportSettings, Warning, WarningKind, suppress_grid, suppression_warning};
use crate::records::{CaseRecord, Ending};
use crate::stats::harm::HarmWeights;
use crate::stats::hazard::hazard_ratio_observed_expected;
use crate::stats::logrank::LogRank;
use crate::stats::proportion::Proportion;
use crate::stats::rate::per_hundred;
use crate::stats::survival::{KaplanMeier, Observation};
use crate::stats::{Estimate, Z_95};
use crate::suppression::Count;
use checkpoint_domain::deadline::add_months;
use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_domain::offence::OffenceCategory;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// How cases are split into comparison groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Treatment vs control (trial cases only).
    TrialArm,
    /// Completed / failed / withdrawn / declined / control / ongoing.
    Ending,
    Scheme,
}

impl Grouping {
    pub fn group_of(self, case: &CaseRecord) -> Option<&str> {
        match self {
            Grouping::TrialArm => case.trial_arm.map(TrialArm::as_str),
            Grouping::Scheme => Some(&case.scheme),
            Grouping::Ending => Some(match (case.trial_arm, case.position.ending) {
                (Some(TrialArm::Control), _) => "control",
                (_, Some(Ending::Completed)) => "completed",
                (_, Some(Ending::Failed)) => "failed",
                (_, Some(Ending::Withdrawn)) => "withdrawn",
                (_, Some(Ending::Declined)) => "declined",
                (_, Some(Ending::Ineligible)) => return None,
                (_, None) => "ongoing",
            }),
        }
    }
}

/// What to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReoffendingConfig {
    pub rules: FollowUpRules,
    pub windows: Vec<Window>,
    /// Kaplan–Meier follow-up is cut at this many months.
    pub survival_horizon_months: u8,
    /// Numbers at risk are printed every this many months.
    pub at_risk_every_months: u8,
    pub harm: HarmWeights,
    /// The window the Crime Harm Index is summed over.
    pub harm_window: Window,
}

impl Default for ReoffendingConfig {
    fn default() -> Self {
        ReoffendingConfig {
            rules: FollowUpRules::default(),
            windows: vec![Window::InContract, Window::Months(12), Window::Months(24)],
            survival_horizon_months: 24,
            at_risk_every_months: 3,
            harm: HarmWeights::default(),
            harm_window: Window::Months(12),
        }
    }
}

/// One group in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupWindow {
    pub group: String,
    /// People whose window (and proof lag) has elapsed: the denominator.
    pub followed_up: Count,
    pub reoffended: Count,
    pub did_not_reoffend: Count,
    /// Left out because their window has not yet elapsed.
    pub not_yet_elapsed: Count,
    /// Binary rate with its Wilson interval.
    pub rate: Option<Proportion>,
    pub reoffences: Count,
    pub reoffences_per_100: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowResult {
    pub window: Window,
    pub groups: Vec<GroupWindow>,
    pub total: GroupWindow,
}

/// Crime Harm Index over the harm window for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupHarm {
    pub group: String,
    pub followed_up: Count,
    pub harm_days: Option<f64>,
    pub harm_days_per_100: Option<f64>,
    pub offences_weighted: Count,
    pub offences_excluded_police_generated: Count,
    pub offences_without_weight: Count,
}

/// One point of a published Kaplan–Meier curve (time in days).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub day: f64,
    pub survival: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalCurve {
    pub group: String,
    pub subjects: Count,
    pub events: Count,
    /// Days to the first reoffence for half the group, if reached.
    pub median_days: Option<f64>,
    /// Steps while at least the suppression threshold remain at risk after them; empty if the
    /// group is too small, or has too few events, to publish a curve.
    pub points: Vec<CurvePoint>,
    /// The curve is cut here (day) because the step would leave fewer than the threshold at
    /// risk (so the drop would give away how few did not reoffend).
    pub truncated_at_day: Option<f64>,
    pub at_risk: Vec<(u8, Count)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRankSummary {
    pub groups: Vec<String>,
    /// Observed events per group (withheld when small).
    pub observed: Vec<Count>,
    pub expected: Vec<f64>,
    pub chi_square: f64,
    pub degrees_of_freedom: u32,
    pub p_value: f64,
    /// `(O₁/E₁)/(O₂/E₂)` of the first group against the second, two groups only.
    pub hazard_ratio: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReoffendingReport {
    pub today: Date,
    pub measure: Measure,
    pub proof_lag_months: u8,
    pub grouping: Grouping,
    pub windows: Vec<WindowResult>,
    pub harm_window: Window,
    pub harm: Vec<GroupHarm>,
    pub survival: Vec<SurvivalCurve>,
    pub log_rank: Option<LogRankSummary>,
    pub warnings: Vec<Warning>,
}

/// Counts for one group and window before suppression.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawWindow {
    pub reoffended: u64,
    pub clean: u64,
    pub pending: u64,
    /// Monitoring of the case stops before the window ends (left out, like `pending`, but
    /// for good).
    pub unmonitored: u64,
    pub reoffences: u64,
}

pub(crate) fn raw_window(
    cases: &[&CaseRecord],
    rules: &FollowUpRules,
    window: Window,
    today: Date,
) -> RawWindow {
    let mut raw = RawWindow::default();
    for case in cases {
        raw.tally(rules.outcome_count(case, window, today));
    }
    raw
}

impl RawWindow {
    fn tally(&mut self, outcome: Option<WindowCount>) {
        match outcome {
            None => {}
            Some(WindowCount::Pending) => self.pending += 1,
            Some(WindowCount::Unmonitored) => self.unmonitored += 1,
            Some(WindowCount::Observed(0)) => self.clean += 1,
            Some(WindowCount::Observed(found)) => {
                self.reoffended += 1;
                self.reoffences += found;
            }
        }
    }
}

/// Everything the reoffending report needs from one group's cases, gathered in one pass.
struct GroupFollowUp {
    /// By window, in the order of [`ReoffendingConfig::windows`].
    windows: Vec<RawWindow>,
    /// People followed up over the harm window, and the categories of their reoffences.
    harm_followed: u64,
    harm_offences: Vec<OffenceCategory>,
    /// Time to first reoffence.
    observations: Vec<Observation>,
}

impl GroupFollowUp {
    fn new(config: &ReoffendingConfig) -> Self {
        GroupFollowUp {
            windows: vec![RawWindow::default(); config.windows.len()],
            harm_followed: 0,
            harm_offences: Vec::new(),
            observations: Vec::new(),
        }
    }

    fn add(&mut self, case: &CaseRecord, config: &ReoffendingConfig, today: Date) {
        let rules = &config.rules;
        for (raw, &window) in self.windows.iter_mut().zip(&config.windows) {
            raw.tally(rules.outcome_count(case, window, today));
        }
        if let Some(WindowOutcome::Observed(found)) = rules.outcome(case, config.harm_window, today)
        {
            self.harm_followed += 1;
            self.harm_offences.extend(found.iter().map(|r| r.category));
        }
        self.observations
            .extend(rules.time_to_first(case, config.survival_horizon_months, today));
    }
}

/// The times to first reoffence of `cases` (those with an index date).
pub(crate) fn observations(
    cases: &[&CaseRecord],
    config: &ReoffendingConfig,
    today: Date,
) -> Vec<Observation> {
    cases
        .iter()
        .filter_map(|c| {
            config
                .rules
                .time_to_first(c, config.survival_horizon_months, today)
        })
        .collect()
}

/// Suppressed group rows for one window: columns reoffended, clean, pending, followed, all;
/// followed = reoffended + clean; all = followed + pending.
pub(crate) fn window_rows(
    groups: &[(String, RawWindow)],
    settings: &ReportSettings,
) -> (Vec<GroupWindow>, GroupWindow) {
    let rows: Vec<Vec<u64>> = groups
        .iter()
        .map(|(_, r)| {
            let followed = r.reoffended + r.clean;
            vec![
                r.reoffended,
                r.clean,
                r.pending,
                followed,
                followed + r.pending,
            ]
        })
        .collect();
    let (cells, totals) = suppress_grid(
        &rows,
        5,
        &[(3, &[0, 1]), (4, &[3, 2])],
        settings.suppression,
    );
    let policy = settings.suppression;
    let build = |name: &str, c: &[Count], reoffences: u64| {
        let reoffences = policy.count(reoffences);
        GroupWindow {
            group: name.to_owned(),
            followed_up: c[3],
            reoffended: c[0],
            did_not_reoffend: c[1],
            not_yet_elapsed: c[2],
            rate: match (c[0].value(), c[3].value()) {
                (Some(e), Some(n)) => Proportion::wilson(e, n, Z_95),
                _ => None,
            },
            reoffences,
            reoffences_per_100: match (reoffences.value(), c[3].value()) {
                (Some(r), Some(n)) => per_hundred(r as f64, n),
                _ => None,
            },
        }
    };
    let total_reoffences = groups.iter().map(|(_, r)| r.reoffences).sum();
    (
        groups
            .iter()
            .zip(&cells)
            .map(|((name, raw), c)| build(name, c, raw.reoffences))
            .collect(),
        build("all", &totals, total_reoffences),
    )
}

/// Builds the reoffending report.
pub fn reoffending_report(
    cases: &[CaseRecord],
    today: Date,
    grouping: Grouping,
    config: &ReoffendingConfig,
    settings: &ReportSettings,
) -> ReoffendingReport {
    // Everything about each group is gathered in one pass over the cases.
    let mut grouped: ByLabel<GroupFollowUp> = ByLabel::default();
    for case in cases.iter().filter(|c| c.index_date.is_some()) {
        if let Some(group) = grouping.group_of(case) {
            grouped
                .entry_with(group, || GroupFollowUp::new(config))
                .add(case, config, today);
        }
    }
    let (names, by_group): (Vec<&str>, Vec<GroupFollowUp>) =
        grouped.into_sorted().into_iter().unzip();
    let mut warnings = Vec::new();
    let mut any_suppressed = false;
    let policy = settings.suppression;

    let mut windows = Vec::new();
    for (w, &window) in config.windows.iter().enumerate() {
        let raw: Vec<(String, RawWindow)> = names
            .iter()
            .zip(&by_group)
            .map(|(g, group)| ((*g).to_owned(), group.windows[w]))
            .collect();
        let pending: u64 = raw.iter().map(|(_, r)| r.pending).sum();
        if pending > 0 {
            warnings.push(Warning::new(
                WarningKind::FollowUpNotElapsed,
                format!(
                    "{}: {} people have not yet been followed for the whole window and are left out (not counted as non-reoffenders).",
                    window.label(),
                    policy.count(pending)
                ),
            ));
        }
        let unmonitored: u64 = raw.iter().map(|(_, r)| r.unmonitored).sum();
        if unmonitored > 0 {
            warnings.push(Warning::new(
                WarningKind::FollowUpNotElapsed,
                format!(
                    "{}: {} people are left out because their scheme stops recording new arrests before this window ends (its follow-up period is shorter).",
                    window.label(),
                    policy.count(unmonitored)
                ),
            ));
        }
        for (group, r) in &raw {
            let followed = r.reoffended + r.clean;
            if followed > 0 && followed < settings.minimum_group_size {
                warnings.push(Warning::new(
                    WarningKind::MinimumN,
                    format!(
                        "{}, {group}: fewer than {} people followed up; the rate's interval is wide.",
                        window.label(),
                        settings.minimum_group_size
                    ),
                ));
            }
        }
        let (groups, total) = window_rows(&raw, settings);
        any_suppressed |= groups.iter().chain([&total]).any(|g| {
            [
                g.followed_up,
                g.reoffended,
                g.did_not_reoffend,
                g.not_yet_elapsed,
                g.reoffences,
            ]
            .iter()
            .any(Count::is_suppressed)
        });
        windows.push(WindowResult {
            window,
            groups,
            total,
        });
    }

    let harm = names
        .iter()
        .zip(&by_group)
        .map(|(group, follow_up)| {
            let followed = follow_up.harm_followed;
            let offences = follow_up.harm_offences.iter().copied();
            let total = config.harm.total(offences);
            let followed_up = policy.count(followed);
            let shown = followed_up.value().is_some();
            GroupHarm {
                group: (*group).to_owned(),
                followed_up,
                harm_days: shown.then_some(total.days),
                harm_days_per_100: if shown {
                    per_hundred(total.days, followed)
                } else {
                    None
                },
                offences_weighted: policy.count(total.counted),
                offences_excluded_police_generated: policy.count(total.excluded),
                offences_without_weight: policy.count(total.unweighted),
            }
        })
        .collect::<Vec<_>>();
    if harm
        .iter()
        .any(|h| h.offences_without_weight.value() != Some(0))
    {
        warnings.push(Warning::new(
            WarningKind::NotEstimable,
            "Some offences have no Crime Harm Index weight configured; harm totals leave them out.",
        ));
    }

    let observed: Vec<(&str, Vec<Observation>)> = names
        .iter()
        .copied()
        .zip(by_group.into_iter().map(|g| g.observations))
        .collect();
    let (survival, log_rank) = survival_section(observed, config, settings, &mut warnings);

    if config.rules.measure == Measure::Proven {
        warnings.push(Warning::new(
            WarningKind::FollowUpLag,
            format!(
                "Proven reoffending counts offences proved within {} months after each window closes, so only people whose window ended by {} are counted.",
                config.rules.proof_lag_months,
                add_months(today, -i32::from(config.rules.proof_lag_months))
            ),
        ));
    }
    warnings.extend(suppression_warning(any_suppressed, policy.threshold));
    ReoffendingReport {
        today,
        measure: config.rules.measure,
        proof_lag_months: config.rules.proof_lag_months,
        grouping,
        windows,
        harm_window: config.harm_window,
        harm,
        survival,
        log_rank,
        warnings,
    }
}

/// Kaplan–Meier curves of the groups' times to first reoffence, and the log-rank test
/// between the groups whose curves are published.
pub(crate) fn survival_section(
    groups: Vec<(&str, Vec<Observation>)>,
    config: &ReoffendingConfig,
    settings: &ReportSettings,
    warnings: &mut Vec<Warning>,
) -> (Vec<SurvivalCurve>, Option<LogRankSummary>) {
    let policy = settings.suppression;
    let threshold = policy.threshold;
    let mut curves = Vec::new();
    let mut tested: Vec<(String, Vec<Observation>)> = Vec::new();
    for (group, observations) in groups {
        if observations.is_empty() {
            continue;
        }
        let curve = KaplanMeier::fit(&observations, Z_95);
        // A curve gives its counts away: its drops are events over the number at risk. So it
        // is drawn only for a group with at least `threshold` people and `threshold` events,
        // and only up to the last step after which `threshold` people remain at risk: a
        // withheld count (few reoffended, or few did not) cannot be read off the chart.
        let publishable = observations.len() as u64 >= threshold && curve.events >= threshold;
        let mut points = vec![CurvePoint {
            day: 0.0,
            survival: 1.0,
            lower: None,
            upper: None,
        }];
        let mut truncated_at_day = None;
        if publishable {
            for step in &curve.steps {
                if step.at_risk.saturating_sub(step.events) < threshold {
                    truncated_at_day = Some(step.time);
                    break;
                }
                points.push(CurvePoint {
                    day: step.time,
                    survival: step.survival,
                    lower: step.interval.map(|i| i.lower),
                    upper: step.interval.map(|i| i.upper),
                });
            }
        } else {
            points.clear();
            warnings.push(Warning::new(
                WarningKind::MinimumN,
                format!(
                    "{group}: too few people, or too few reoffences, to publish a time-to-reoffence curve."
                ),
            ));
        }
        let step = config.at_risk_every_months.max(1);
        let at_risk = (0..=config.survival_horizon_months)
            .step_by(usize::from(step))
            .map(|m| {
                let day = (f64::from(m) * 365.25 / 12.0).round();
                (m, policy.count(KaplanMeier::at_risk_at(&observations, day)))
            })
            .collect();
        curves.push(SurvivalCurve {
            group: group.to_owned(),
            subjects: policy.count(curve.subjects),
            events: policy.count(curve.events),
            median_days: if publishable {
                curve
                    .median()
                    .filter(|&m| truncated_at_day.is_none_or(|t| m < t))
            } else {
                None
            },
            points,
            truncated_at_day,
            at_risk,
        });
        if publishable {
            tested.push((group.to_owned(), observations));
        }
    }
    let observations: Vec<Vec<Observation>> = tested.iter().map(|(_, o)| o.clone()).collect();
    let log_rank = LogRank::test(&observations).map(|test| LogRankSummary {
        groups: tested.iter().map(|(g, _)| g.clone()).collect(),
        observed: test
            .groups
            .iter()
            .map(|g| settings.suppression.count(g.observed as u64))
            .collect(),
        expected: test.groups.iter().map(|g| g.expected).collect(),
        chi_square: test.chi_square,
        degrees_of_freedom: test.degrees_of_freedom,
        p_value: test.p_value,
        hazard_ratio: (test.groups.len() == 2)
            .then(|| hazard_ratio_observed_expected(&test, Z_95))
            .flatten(),
    });
    (curves, log_rank)
}

/// Days from an index date to the same date `months` later, for callers plotting by month.
pub fn days_in_months(from: Date, months: u8) -> f64 {
    days_between(from, add_months(from, i32::from(months)))
}
