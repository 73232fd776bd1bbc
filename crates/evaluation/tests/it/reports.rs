//! Report assembly on synthetic cohorts whose answers are known by construction.

use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_domain::offence::OffenceCategory;
use checkpoint_domain::person::{EthnicGroup, Ethnicity, Sex};
use checkpoint_evaluation::records::{
    AgeBand, CaseRecord, Ending, FunnelPosition, FunnelStage, Month, Reoffence,
};
use checkpoint_evaluation::render::csv::{
    disproportionality_csv, funnel_csv, reoffending_csv, trial_csv,
};
use checkpoint_evaluation::render::svg::{funnel_svg, kaplan_meier_svg, rri_forest_svg};
use checkpoint_evaluation::report::disproportionality::{
    Dimension, DisproportionalityConfig, disproportionality_report,
};
use checkpoint_evaluation::report::followup::{FollowUpRules, Measure, Window};
use checkpoint_evaluation::report::funnel::funnel_report;
use checkpoint_evaluation::report::reoffending::{Grouping, ReoffendingConfig, reoffending_report};
use checkpoint_evaluation::report::trial::{TrialConfig, sample_size_per_arm, trial_report};
use checkpoint_evaluation::report::{ReportSettings, WarningKind};
use checkpoint_evaluation::stats::rri::RelativeRateIndex;
use checkpoint_evaluation::suppression::Count;
use jiff::civil::{Date, date};

fn base(id: usize, stage: FunnelStage, ending: Option<Ending>) -> CaseRecord {
    CaseRecord {
        case_id: uuid::Uuid::from_u128(id as u128),
        scheme: "Checkpoint".into(),
        referral_month: Month {
            year: 2023,
            month: 1 + (id % 3) as i8,
        },
        position: FunnelPosition { stage, ending },
        ineligibility_reason: (ending == Some(Ending::Ineligible))
            .then(|| "previous conviction".into()),
        decline_reason: (ending == Some(Ending::Declined)).then(|| "wants to go to court".into()),
        outcome_code: None,
        ethnicity_self_defined: Some(if id.is_multiple_of(4) {
            Ethnicity::BlackCaribbean
        } else {
            Ethnicity::WhiteBritish
        }),
        ethnicity_officer_observed: Some(if id.is_multiple_of(4) {
            EthnicGroup::Black
        } else {
            EthnicGroup::White
        }),
        sex: if id.is_multiple_of(2) {
            Sex::Female
        } else {
            Sex::Male
        },
        age_band: AgeBand::Age18To24,
        risk_band: Some("moderate".into()),
        previous_convictions: Some((id % 3) as u32),
        trial_arm: None,
        index_date: None,
        contract_end: None,
        monitored_until: None,
        reoffences: Vec::new(),
        resources: Default::default(),
    }
}

fn reoffence(on: Date) -> Reoffence {
    Reoffence {
        offence_date: on,
        proven_date: Some(on.saturating_add(jiff::Span::new().months(2))),
        category: OffenceCategory::Theft,
    }
}

/// A trial: `n` per arm indexed on 2023-01-10; `treatment_reoffenders` and
/// `control_reoffenders` reoffend 100 days in.
fn trial(n: usize, treatment_reoffenders: usize, control_reoffenders: usize) -> Vec<CaseRecord> {
    let index = date(2023, 1, 10);
    let mut cases = Vec::new();
    for (arm, reoffenders) in [
        (TrialArm::Treatment, treatment_reoffenders),
        (TrialArm::Control, control_reoffenders),
    ] {
        for i in 0..n {
            let id = cases.len();
            let (stage, ending) = match arm {
                TrialArm::Treatment => (FunnelStage::Accepted, Some(Ending::Completed)),
                TrialArm::Control => (FunnelStage::Eligible, None),
            };
            let mut case = base(id, stage, ending);
            case.trial_arm = Some(arm);
            case.index_date = Some(index);
            if i < reoffenders {
                case.reoffences.push(reoffence(date(2023, 4, 20)));
            }
            cases.push(case);
        }
    }
    cases
}

#[test]
fn funnel_counts_and_secondary_suppression() {
    let mut cases = Vec::new();
    for i in 0..120 {
        let (stage, ending) = match i % 6 {
            0 => (FunnelStage::Referred, Some(Ending::Ineligible)),
            1 => (FunnelStage::Offered, Some(Ending::Declined)),
            2 | 3 => (FunnelStage::Accepted, Some(Ending::Completed)),
            4 => (FunnelStage::Accepted, Some(Ending::Failed)),
            _ => (FunnelStage::Accepted, None),
        };
        cases.push(base(i, stage, ending));
    }
    // Three withdrawals: a small cell among the accepted.
    for i in 120..123 {
        cases.push(base(i, FunnelStage::Accepted, Some(Ending::Withdrawn)));
    }
    let report = funnel_report(&cases, &ReportSettings::default());
    let all = report.rows.last().unwrap();
    assert_eq!(all.scheme, None);
    assert_eq!(all.counts.referred, Count::Value(123));
    assert_eq!(all.counts.ineligible, Count::Value(20));
    assert_eq!(all.counts.declined, Count::Value(20));
    assert!(all.counts.withdrawn.is_suppressed());
    // Accepted = completed + failed + withdrawn + ongoing: one more cell must go with it.
    let accepted_split = [
        all.counts.completed,
        all.counts.failed,
        all.counts.withdrawn,
        all.counts.ongoing,
        all.counts.accepted,
    ];
    assert!(accepted_split.iter().filter(|c| c.is_suppressed()).count() >= 2);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::Suppressed)
    );
    assert_eq!(
        report.schemes[0].ineligibility_reasons[0].label,
        "previous conviction"
    );

    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"suppressed\""));
    let csv = funnel_csv(&report);
    assert!(csv.starts_with("scheme,month,referred,eligible"));
    assert!(csv.contains("all schemes,all months,123,"));
    let svg = funnel_svg("Checkpoint funnel", &all.counts);
    assert!(
        svg.starts_with("<svg")
            && svg.contains("<title id=\"funnel-title\">Checkpoint funnel</title>")
    );
    assert!(svg.contains("<desc") && svg.contains("&lt;10"));
}

#[test]
fn reoffending_counts_only_elapsed_windows_and_warns() {
    let mut cases = trial(40, 10, 20);
    // Ten more indexed too recently for 12 months + 6 months' lag to have passed.
    for i in 0..10 {
        let mut case = base(1000 + i, FunnelStage::Accepted, Some(Ending::Completed));
        case.trial_arm = Some(TrialArm::Treatment);
        case.index_date = Some(date(2024, 11, 1));
        cases.push(case);
    }
    let today = date(2025, 6, 1);
    let report = reoffending_report(
        &cases,
        today,
        Grouping::TrialArm,
        &ReoffendingConfig::default(),
        &ReportSettings::default(),
    );
    let twelve = report
        .windows
        .iter()
        .find(|w| w.window == Window::Months(12))
        .unwrap();
    let treatment = twelve
        .groups
        .iter()
        .find(|g| g.group == "treatment")
        .unwrap();
    assert_eq!(treatment.followed_up, Count::Value(40));
    assert_eq!(treatment.reoffended, Count::Value(10));
    assert_eq!(treatment.not_yet_elapsed, Count::Value(10));
    let rate = treatment.rate.unwrap();
    assert_eq!((rate.events, rate.total), (10, 40));
    assert_eq!(treatment.reoffences_per_100, Some(25.0));
    // 24 months + 6 months from 2023-01-10 is 2025-07-10: nobody is countable yet.
    let twenty_four = report
        .windows
        .iter()
        .find(|w| w.window == Window::Months(24))
        .unwrap();
    assert!(
        twenty_four
            .groups
            .iter()
            .all(|g| g.followed_up == Count::Value(0) && g.rate.is_none())
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::FollowUpLag)
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::FollowUpNotElapsed)
    );
    let log_rank = report.log_rank.as_ref().unwrap();
    assert_eq!(log_rank.degrees_of_freedom, 1);

    let csv = reoffending_csv(&report);
    assert!(csv.contains("12 months,treatment,40,10,10,0.2500"));
    let svg = kaplan_meier_svg("Time to first reoffence", &report.survival, 24);
    assert!(svg.contains("<path") && svg.contains("<polygon") && svg.contains("<desc"));
}

#[test]
fn trial_never_claims_significance_when_the_interval_spans_zero() {
    let today = date(2026, 1, 1);
    let small = trial_report(
        &trial(30, 12, 15),
        today,
        &TrialConfig::default(),
        &ReportSettings::default(),
    );
    let primary = &small.outcomes[0];
    assert_eq!(primary.window_months, 24);
    let rd = primary.risk_difference.unwrap();
    assert!(rd.interval.lower < 0.0 && rd.interval.upper > 0.0);
    assert!(
        small.conclusion.contains("cannot show"),
        "{}",
        small.conclusion
    );
    assert!(small.conclusion.contains("not a statistically significant"));
    assert!(small.conclusion.contains("too small to detect"));
    assert!(small.conclusion.contains("intention to treat"));
    assert_eq!(small.consort.randomised, Count::Value(60));
    assert_eq!(small.consort.arms[0].analysed, Count::Value(30));

    let large = trial_report(
        &trial(300, 60, 120),
        today,
        &TrialConfig::default(),
        &ReportSettings::default(),
    );
    let rd = large.outcomes[0].risk_difference.unwrap();
    assert!(rd.interval.upper < 0.0);
    assert!(
        large.conclusion.contains("reoffended less"),
        "{}",
        large.conclusion
    );
    let hr = large.hazard_ratio.unwrap();
    assert!(hr.estimate < 1.0 && hr.interval.upper < 1.0);
    let rr = large.outcomes[0].relative_risk.unwrap();
    assert!((rr.estimate - 0.5).abs() < 1e-12);
    assert!(trial_csv(&large).contains("24 months,treatment,300,60"));
    assert!(serde_json::to_string(&large).is_ok());
}

#[test]
fn sample_size_matches_the_standard_formula() {
    // Pocock's formula for 35% → 25%, 80% power, 5% two-sided: about 329 per arm.
    assert_eq!(sample_size_per_arm(0.35, 0.10), Some(329));
}

#[test]
fn disproportionality_rri_is_the_ratio_of_stage_rates() {
    // 400 cases; every fourth Black. Black cases are offered less often.
    let mut cases = Vec::new();
    for i in 0..400_usize {
        let black = i.is_multiple_of(4);
        let offered = if black {
            i.is_multiple_of(8)
        } else {
            !i.is_multiple_of(5)
        };
        let stage = if offered {
            FunnelStage::Offered
        } else {
            FunnelStage::Eligible
        };
        cases.push(base(i, stage, None));
    }
    let report = disproportionality_report(
        &cases,
        &DisproportionalityConfig::default(),
        &ReportSettings::default(),
    );
    let table = report
        .tables
        .iter()
        .find(|t| t.dimension == Dimension::EthnicitySelfDefined)
        .unwrap();
    assert_eq!(table.reference, "White");
    let black = table.groups.iter().find(|g| g.group == "Black").unwrap();
    let offered = black.rri.iter().find(|r| r.stage == "offered").unwrap();
    // Black: 50 of 100 offered; White: 240 of 300 offered. RRI = 0.5 / 0.8 = 0.625.
    match offered.rri {
        RelativeRateIndex::Estimated { rri, .. } => {
            assert!((rri.estimate - 0.625).abs() < 1e-12);
            assert!(rri.interval.contains(0.625) && rri.interval.upper < 1.0);
        }
        RelativeRateIndex::Insufficient => panic!("expected an RRI"),
    }
    // No one accepted: the accepted stage is insufficient.
    let accepted = black.rri.iter().find(|r| r.stage == "accepted").unwrap();
    assert_eq!(accepted.rri, RelativeRateIndex::Insufficient);
    assert!(disproportionality_csv(&report).contains("0.62"));
    let svg = rri_forest_svg("Offers by ethnicity", table, "offered");
    assert!(svg.contains("0.62") && svg.contains("log scale"));
}

#[test]
fn small_counts_withhold_the_comparison_rather_than_publish_it() {
    // Nine reoffenders in the treatment arm is below the threshold of 10.
    let report = trial_report(
        &trial(30, 9, 12),
        date(2026, 1, 1),
        &TrialConfig::default(),
        &ReportSettings::default(),
    );
    let primary = &report.outcomes[0];
    assert!(primary.treatment.reoffended.is_suppressed());
    assert!(primary.treatment.rate.is_none());
    assert!(primary.risk_difference.is_none() && primary.relative_risk.is_none());
    assert!(
        report.conclusion.contains("Too few people"),
        "{}",
        report.conclusion
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::Suppressed)
    );
}

/// `n` decliners indexed on 2023-01-10, the first `reoffenders` re-arrested on the given days
/// (cycling), read on 2026-01-01 (every window closed).
fn decliners(n: usize, reoffenders: usize, days: &[i64]) -> Vec<CaseRecord> {
    let index = date(2023, 1, 10);
    (0..n)
        .map(|i| {
            let mut case = base(i, FunnelStage::Offered, Some(Ending::Declined));
            case.index_date = Some(index);
            if i < reoffenders {
                let day = days[i % days.len()];
                case.reoffences.push(Reoffence {
                    offence_date: index.saturating_add(jiff::Span::new().days(day)),
                    proven_date: None,
                    category: OffenceCategory::Theft,
                });
            }
            case
        })
        .collect()
}

fn rearrest_config() -> ReoffendingConfig {
    ReoffendingConfig {
        rules: FollowUpRules {
            measure: Measure::Rearrest,
            proof_lag_months: 6,
        },
        ..ReoffendingConfig::default()
    }
}

#[test]
fn a_curve_never_shows_what_the_tables_withhold() {
    // 10 of 12 re-arrested on day 28: the 2 who were not are a small count, so the table
    // withholds the 10 (it would give the 2 away), and the curve must not drop to 2/12.
    let cases = decliners(12, 10, &[28]);
    let report = reoffending_report(
        &cases,
        date(2026, 1, 1),
        Grouping::Ending,
        &rearrest_config(),
        &ReportSettings::default(),
    );
    let twelve = report
        .windows
        .iter()
        .find(|w| w.window == Window::Months(12))
        .unwrap();
    assert_eq!(twelve.groups[0].followed_up, Count::Value(12));
    assert!(twelve.groups[0].reoffended.is_suppressed());
    let curve = &report.survival[0];
    assert_eq!(curve.points.len(), 1, "only the origin: {curve:?}");
    assert_eq!(curve.truncated_at_day, Some(28.0));
    assert_eq!(curve.median_days, None);

    // 30 people, 12 re-arrested on days 10, 20, …: every step leaves at least 18 at risk, so
    // the whole curve is drawn.
    let days: Vec<i64> = (1..=12).map(|k| 10 * k).collect();
    let cases = decliners(30, 12, &days);
    let report = reoffending_report(
        &cases,
        date(2026, 1, 1),
        Grouping::Ending,
        &rearrest_config(),
        &ReportSettings::default(),
    );
    let curve = &report.survival[0];
    assert_eq!(curve.points.len(), 13, "{curve:?}");
    assert_eq!(curve.truncated_at_day, None);
    let last = curve.points.last().unwrap();
    assert!((last.survival - 18.0 / 30.0).abs() < 1e-12, "{last:?}");

    // Fewer than 10 re-arrested in all: no curve, and a warning says why.
    let cases = decliners(30, 9, &days);
    let report = reoffending_report(
        &cases,
        date(2026, 1, 1),
        Grouping::Ending,
        &rearrest_config(),
        &ReportSettings::default(),
    );
    assert!(report.survival[0].points.is_empty());
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("too few reoffences"))
    );
}

#[test]
fn windows_past_the_end_of_monitoring_are_left_out_with_a_warning() {
    // A scheme that follows people for 12 months: its 24-month window cannot be measured.
    let mut cases = decliners(20, 10, &[100, 500]);
    for case in &mut cases {
        case.monitored_until = Some(date(2024, 1, 10));
    }
    let report = reoffending_report(
        &cases,
        date(2026, 1, 1),
        Grouping::Ending,
        &rearrest_config(),
        &ReportSettings::default(),
    );
    let window = |w: Window| report.windows.iter().find(|r| r.window == w).unwrap();
    // Re-arrests on day 100 (5 people) and day 500 (5 people): 12 months sees 5 of 20.
    let twelve = &window(Window::Months(12)).groups[0];
    assert_eq!(twelve.followed_up, Count::Value(20));
    assert!(twelve.reoffended.is_suppressed(), "5 is withheld");
    let twenty_four = &window(Window::Months(24)).groups[0];
    assert_eq!(twenty_four.followed_up, Count::Value(0));
    assert!(report.warnings.iter().any(|w| {
        w.message
            .starts_with("24 months: 20 people are left out because")
    }));
}
