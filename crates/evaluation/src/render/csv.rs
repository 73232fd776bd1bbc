//! CSV (RFC 4180: comma-separated, fields with commas, quotes or line breaks quoted, CRLF
//! line ends).

use crate::report::disproportionality::{DisproportionalityReport, STAGE_NAMES};
use crate::report::funnel::{FunnelReport, QUANTITY_NAMES};
use crate::report::reoffending::{GroupWindow, ReoffendingReport};
use crate::report::trial::TrialReport;
use crate::stats::Estimate;
use crate::stats::rri::RelativeRateIndex;

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn line(fields: &[String]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

fn estimate_fields(estimate: Option<Estimate>) -> [String; 3] {
    [
        number(estimate.map(|e| e.estimate), 4),
        number(estimate.map(|e| e.interval.lower), 4),
        number(estimate.map(|e| e.interval.upper), 4),
    ]
}

pub fn funnel_csv(report: &FunnelReport) -> String {
    let mut header = vec!["scheme".to_owned(), "month".to_owned()];
    header.extend(QUANTITY_NAMES.iter().map(|q| (*q).to_owned()));
    let mut out = line(&header);
    for row in &report.rows {
        let mut fields = vec![
            row.scheme
                .clone()
                .unwrap_or_else(|| "all schemes".to_owned()),
            row.month
                .map_or_else(|| "all months".to_owned(), |m| m.to_string()),
        ];
        fields.extend(row.counts.as_array().iter().map(|c| c.display()));
        out.push_str(&line(&fields));
    }
    out
}

fn group_window_fields(window: &str, g: &GroupWindow) -> Vec<String> {
    vec![
        window.to_owned(),
        g.group.clone(),
        g.followed_up.display(),
        g.reoffended.display(),
        g.not_yet_elapsed.display(),
        number(g.rate.map(|r| r.estimate), 4),
        number(g.rate.map(|r| r.interval.lower), 4),
        number(g.rate.map(|r| r.interval.upper), 4),
        g.reoffences.display(),
        number(g.reoffences_per_100, 1),
    ]
}

const WINDOW_HEADER: [&str; 10] = [
    "window",
    "group",
    "followed_up",
    "reoffended",
    "not_yet_elapsed",
    "rate",
    "rate_lower_95",
    "rate_upper_95",
    "reoffences",
    "reoffences_per_100",
];

pub fn reoffending_csv(report: &ReoffendingReport) -> String {
    let mut out = line(&WINDOW_HEADER.map(str::to_owned));
    for window in &report.windows {
        let label = window.window.label();
        for g in window.groups.iter().chain([&window.total]) {
            out.push_str(&line(&group_window_fields(&label, g)));
        }
    }
    out
}

pub fn trial_csv(report: &TrialReport) -> String {
    let mut header: Vec<String> = WINDOW_HEADER.map(str::to_owned).to_vec();
    header.extend(
        [
            "risk_difference",
            "rd_lower_95",
            "rd_upper_95",
            "relative_risk",
            "rr_lower_95",
            "rr_upper_95",
        ]
        .map(str::to_owned),
    );
    let mut out = line(&header);
    for outcome in &report.outcomes {
        let label = format!("{} months", outcome.window_months);
        for (arm, with_comparison) in [(&outcome.treatment, true), (&outcome.control, false)] {
            let mut fields = group_window_fields(&label, arm);
            if with_comparison {
                fields.extend(estimate_fields(outcome.risk_difference));
                fields.extend(estimate_fields(outcome.relative_risk));
            } else {
                fields.extend(std::iter::repeat_n(String::new(), 6));
            }
            out.push_str(&line(&fields));
        }
    }
    out
}

/// The funnel's reasons and codes, one row each: why people were screened out (the first
/// criterion the advice found unmet, or the override code), why they declined, and the Home
/// Office outcome codes recorded.
pub fn funnel_reasons_csv(report: &FunnelReport) -> String {
    let mut out = line(&["scheme", "kind", "label", "cases"].map(str::to_owned));
    for scheme in &report.schemes {
        let kinds = [
            ("ineligibility_reason", &scheme.ineligibility_reasons),
            ("decline_reason", &scheme.decline_reasons),
            ("outcome_code", &scheme.outcome_codes),
        ];
        for (kind, tallies) in kinds {
            for tally in tallies {
                out.push_str(&line(&[
                    scheme.scheme.clone(),
                    kind.to_owned(),
                    tally.label.clone(),
                    tally.count.display(),
                ]));
            }
        }
    }
    out
}

/// The trial's CONSORT flow: the overall counts, then one row per arm.
pub fn trial_consort_csv(report: &TrialReport) -> String {
    let c = &report.consort;
    let mut out = line(
        &[
            "arm",
            "allocated",
            "received_allocation",
            "did_not_receive_allocation",
            "analysed",
            "follow_up_not_elapsed",
            "no_index_date_or_not_monitored",
        ]
        .map(str::to_owned),
    );
    for (label, count) in [
        ("assessed for eligibility", c.assessed_for_eligibility),
        ("not randomised", c.not_randomised),
        ("randomised", c.randomised),
    ] {
        let mut fields = vec![label.to_owned(), count.display()];
        fields.extend(std::iter::repeat_n(String::new(), 5));
        out.push_str(&line(&fields));
    }
    for arm in &c.arms {
        out.push_str(&line(&[
            arm.arm.as_str().to_owned(),
            arm.allocated.display(),
            arm.received_allocation.display(),
            arm.did_not_receive_allocation.display(),
            arm.analysed.display(),
            arm.follow_up_not_elapsed.display(),
            arm.no_index_date.display(),
        ]));
    }
    out
}

/// The balance of the arms: each characteristic's levels, counts and column percentages.
pub fn trial_balance_csv(report: &TrialReport) -> String {
    let mut out = line(
        &[
            "characteristic",
            "level",
            "treatment",
            "treatment_percent",
            "control",
            "control_percent",
        ]
        .map(str::to_owned),
    );
    for table in &report.balance {
        for (i, level) in table.levels.iter().enumerate() {
            let cells = &table.table.cells[i];
            let percent = table.percent.get(i).copied().unwrap_or([None, None]);
            out.push_str(&line(&[
                table.characteristic.clone(),
                level.clone(),
                cells[0].display(),
                number(percent[0], 1),
                cells[1].display(),
                number(percent[1], 1),
            ]));
        }
    }
    out
}

pub fn disproportionality_csv(report: &DisproportionalityReport) -> String {
    let mut out = line(
        &[
            "dimension",
            "group",
            "reference",
            "stage",
            "base",
            "stage_count",
            "base_count",
            "rri",
            "rri_lower_95",
            "rri_upper_95",
        ]
        .map(str::to_owned),
    );
    for table in &report.tables {
        for group in &table.groups {
            for stage_rri in &group.rri {
                let stage_index = STAGE_NAMES.iter().position(|s| *s == stage_rri.stage);
                let base_index = STAGE_NAMES.iter().position(|s| *s == stage_rri.base);
                let count =
                    |i: Option<usize>| i.map_or_else(String::new, |i| group.stages[i].display());
                let (rri, lower, upper) = match stage_rri.rri {
                    RelativeRateIndex::Estimated { rri, .. } => (
                        format!("{:.2}", rri.estimate),
                        format!("{:.2}", rri.interval.lower),
                        format!("{:.2}", rri.interval.upper),
                    ),
                    RelativeRateIndex::Insufficient => {
                        ("insufficient".to_owned(), String::new(), String::new())
                    }
                };
                out.push_str(&line(&[
                    table.title.clone(),
                    group.group.clone(),
                    table.reference.clone(),
                    stage_rri.stage.clone(),
                    stage_rri.base.clone(),
                    count(stage_index),
                    count(base_index),
                    rri,
                    lower,
                    upper,
                ]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"no\""), "\"say \"\"no\"\"\"");
        assert_eq!(field("<10"), "<10");
    }
}
