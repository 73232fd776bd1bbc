//! The funnel by scheme and referral month: referred → eligible → offered → accepted →
//! completed / failed / withdrawn, with reasons for ineligibility and declines and Home Office
//! outcome code volumes.
//!
//! All counts of a report go through one suppression pass, with additive lines for every
//! split the report publishes (referred = eligible + ineligible + awaiting screening; months add
//! up to the scheme total; schemes to the grand total; reasons to their stage). A withheld cell
//! therefore cannot be recovered from anything else in the same report.

use super::{ByLabel, ReportSettings, Warning, WarningKind, suppression_warning};
use crate::records::{CaseRecord, Ending, FunnelStage, Month};
use crate::stats::Z_95;
use crate::stats::proportion::Proportion;
use crate::suppression::{Count, Line, suppress};
use checkpoint_domain::outcome::OutcomeCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counts for one row of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelCounts {
    pub referred: Count,
    pub eligible: Count,
    pub ineligible: Count,
    pub awaiting_screening: Count,
    pub offered: Count,
    /// Eligible but not offered (including a trial's control arm).
    pub not_offered: Count,
    pub accepted: Count,
    pub declined: Count,
    pub awaiting_decision: Count,
    pub completed: Count,
    pub failed: Count,
    pub withdrawn: Count,
    pub ongoing: Count,
}

const QUANTITIES: usize = 13;
pub const QUANTITY_NAMES: [&str; QUANTITIES] = [
    "referred",
    "eligible",
    "ineligible",
    "awaiting_screening",
    "offered",
    "not_offered",
    "accepted",
    "declined",
    "awaiting_decision",
    "completed",
    "failed",
    "withdrawn",
    "ongoing",
];

impl FunnelCounts {
    fn from_slice(c: &[Count]) -> Self {
        FunnelCounts {
            referred: c[0],
            eligible: c[1],
            ineligible: c[2],
            awaiting_screening: c[3],
            offered: c[4],
            not_offered: c[5],
            accepted: c[6],
            declined: c[7],
            awaiting_decision: c[8],
            completed: c[9],
            failed: c[10],
            withdrawn: c[11],
            ongoing: c[12],
        }
    }

    /// In the order of [`QUANTITY_NAMES`].
    pub fn as_array(&self) -> [Count; QUANTITIES] {
        [
            self.referred,
            self.eligible,
            self.ineligible,
            self.awaiting_screening,
            self.offered,
            self.not_offered,
            self.accepted,
            self.declined,
            self.awaiting_decision,
            self.completed,
            self.failed,
            self.withdrawn,
            self.ongoing,
        ]
    }
}

/// Adds one case to a row's counts.
fn count_case(c: &mut [u64; QUANTITIES], case: &CaseRecord) {
    let stage = case.position.stage;
    let ending = case.position.ending;
    c[0] += 1;
    match stage {
        FunnelStage::Referred if ending == Some(Ending::Ineligible) => c[2] += 1,
        FunnelStage::Referred => c[3] += 1,
        _ => c[1] += 1,
    }
    match stage {
        FunnelStage::Eligible => c[5] += 1,
        FunnelStage::Offered | FunnelStage::Accepted => c[4] += 1,
        FunnelStage::Referred => {}
    }
    match (stage, ending) {
        (FunnelStage::Offered, Some(Ending::Declined)) => c[7] += 1,
        (FunnelStage::Offered, _) => c[8] += 1,
        (FunnelStage::Accepted, ending) => {
            c[6] += 1;
            match ending {
                Some(Ending::Completed) => c[9] += 1,
                Some(Ending::Failed) => c[10] += 1,
                Some(Ending::Withdrawn) => c[11] += 1,
                _ => c[12] += 1,
            }
        }
        _ => {}
    }
}

/// The element-wise sum of rows of counts (every quantity adds up across cases).
fn sum_rows<'r>(rows: impl Iterator<Item = &'r [u64; QUANTITIES]>) -> [u64; QUANTITIES] {
    rows.fold([0; QUANTITIES], |mut sum, row| {
        for (total, n) in sum.iter_mut().zip(row) {
            *total += n;
        }
        sum
    })
}

/// One scheme's tallies, gathered in one pass over the cases.
#[derive(Debug, Default)]
struct SchemeTallies<'a> {
    months: BTreeMap<Month, [u64; QUANTITIES]>,
    ineligibility_reasons: BTreeMap<&'a str, u64>,
    decline_reasons: BTreeMap<&'a str, u64>,
    outcome_codes: BTreeMap<OutcomeCode, u64>,
}

impl<'a> SchemeTallies<'a> {
    fn add(&mut self, case: &'a CaseRecord) {
        count_case(self.months.entry(case.referral_month).or_default(), case);
        let reason = match case.position.ending {
            Some(Ending::Ineligible) => Some((
                &mut self.ineligibility_reasons,
                case.ineligibility_reason.as_deref(),
            )),
            Some(Ending::Declined) => {
                Some((&mut self.decline_reasons, case.decline_reason.as_deref()))
            }
            _ => None,
        };
        if let Some((tally, reason)) = reason {
            *tally.entry(reason.unwrap_or("not recorded")).or_default() += 1;
        }
        if let Some(code) = case.outcome_code {
            *self.outcome_codes.entry(code).or_default() += 1;
        }
    }
}

/// Splits within one row: (total, parts).
const ROW_SPLITS: [(usize, &[usize]); 4] = [
    (0, &[1, 2, 3]),
    (1, &[4, 5]),
    (4, &[6, 7, 8]),
    (6, &[9, 10, 11, 12]),
];

/// One row: a scheme and month, a scheme over all months (`month: None`), or all schemes
/// (`scheme: None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub scheme: Option<String>,
    pub month: Option<Month>,
    pub counts: FunnelCounts,
}

/// A conversion between two stages with its Wilson interval, for a scheme's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRate {
    pub from: String,
    pub to: String,
    /// `None` when either count is withheld.
    pub proportion: Option<Proportion>,
}

/// Reasons or codes and how often they occur.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub label: String,
    pub count: Count,
}

/// Everything about one scheme besides its monthly rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeDetail {
    pub scheme: String,
    pub rates: Vec<StageRate>,
    pub ineligibility_reasons: Vec<Tally>,
    pub decline_reasons: Vec<Tally>,
    /// Home Office outcome codes recorded, with their total (cases with a code).
    pub outcome_codes: Vec<Tally>,
    pub outcome_codes_total: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    pub rows: Vec<FunnelRow>,
    pub schemes: Vec<SchemeDetail>,
    pub warnings: Vec<Warning>,
}

/// Builds the funnel report for `cases`.
pub fn funnel_report(cases: &[CaseRecord], settings: &ReportSettings) -> FunnelReport {
    let mut by_scheme: ByLabel<SchemeTallies> = ByLabel::default();
    for case in cases {
        by_scheme.entry(&case.scheme).add(case);
    }

    let mut values: Vec<u64> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    let push_row = |values: &mut Vec<u64>, lines: &mut Vec<Line>, row: [u64; QUANTITIES]| {
        let start = values.len();
        values.extend(row);
        for (total, parts) in ROW_SPLITS {
            lines.push(Line {
                parts: parts.iter().map(|p| start + p).collect(),
                total: start + total,
            });
        }
        start
    };
    let tally_cells = |values: &mut Vec<u64>,
                       lines: &mut Vec<Line>,
                       tally: &BTreeMap<String, u64>,
                       total: usize| {
        let start = values.len();
        values.extend(tally.values());
        lines.push(Line {
            parts: (start..values.len()).collect(),
            total,
        });
        start
    };

    struct SchemeLayout<'a> {
        name: &'a str,
        months: Vec<(Month, usize)>,
        total: usize,
        ineligible: (BTreeMap<String, u64>, usize),
        declined: (BTreeMap<String, u64>, usize),
        codes: (BTreeMap<String, u64>, usize, usize),
    }

    let mut layouts = Vec::new();
    let mut scheme_totals = Vec::new();
    for (scheme, tallies) in by_scheme.into_sorted() {
        let month_rows: Vec<(Month, usize)> = tallies
            .months
            .iter()
            .map(|(month, counts)| (*month, push_row(&mut values, &mut lines, *counts)))
            .collect();
        let scheme_total = sum_rows(tallies.months.values());
        scheme_totals.push(scheme_total);
        let total = push_row(&mut values, &mut lines, scheme_total);
        for q in 0..QUANTITIES {
            lines.push(Line {
                parts: month_rows.iter().map(|(_, start)| start + q).collect(),
                total: total + q,
            });
        }
        // Counted under borrowed labels, made owned once per label.
        let owned = |tally: BTreeMap<&str, u64>| -> BTreeMap<String, u64> {
            tally
                .into_iter()
                .map(|(label, n)| (label.to_owned(), n))
                .collect()
        };
        let ineligible_tally = owned(tallies.ineligibility_reasons);
        let ineligible_start = tally_cells(&mut values, &mut lines, &ineligible_tally, total + 2);
        let declined_tally = owned(tallies.decline_reasons);
        let declined_start = tally_cells(&mut values, &mut lines, &declined_tally, total + 7);
        // Labelled after counting; two-digit numbers keep the labels in the codes' order.
        let codes: BTreeMap<String, u64> = tallies
            .outcome_codes
            .into_iter()
            .map(|(code, n)| (format!("{:02} {}", code.get(), code.description()), n))
            .collect();
        let codes_total = values.len();
        values.push(codes.values().sum());
        let codes_start = tally_cells(&mut values, &mut lines, &codes, codes_total);
        layouts.push(SchemeLayout {
            name: scheme,
            months: month_rows,
            total,
            ineligible: (ineligible_tally, ineligible_start),
            declined: (declined_tally, declined_start),
            codes: (codes, codes_start, codes_total),
        });
    }
    let grand = push_row(&mut values, &mut lines, sum_rows(scheme_totals.iter()));
    for q in 0..QUANTITIES {
        lines.push(Line {
            parts: layouts.iter().map(|l| l.total + q).collect(),
            total: grand + q,
        });
    }

    let counts = suppress(&values, &lines, settings.suppression);
    let row_counts = |start: usize| FunnelCounts::from_slice(&counts[start..start + QUANTITIES]);
    let tallies = |tally: &BTreeMap<String, u64>, start: usize| -> Vec<Tally> {
        tally
            .keys()
            .enumerate()
            .map(|(i, label)| Tally {
                label: label.clone(),
                count: counts[start + i],
            })
            .collect()
    };

    let mut rows = Vec::new();
    let mut schemes = Vec::new();
    for layout in &layouts {
        for (month, start) in &layout.months {
            rows.push(FunnelRow {
                scheme: Some(layout.name.to_owned()),
                month: Some(*month),
                counts: row_counts(*start),
            });
        }
        let totals = row_counts(layout.total);
        rows.push(FunnelRow {
            scheme: Some(layout.name.to_owned()),
            month: None,
            counts: totals,
        });
        schemes.push(SchemeDetail {
            scheme: layout.name.to_owned(),
            rates: stage_rates(&totals),
            ineligibility_reasons: tallies(&layout.ineligible.0, layout.ineligible.1),
            decline_reasons: tallies(&layout.declined.0, layout.declined.1),
            outcome_codes: tallies(&layout.codes.0, layout.codes.1),
            outcome_codes_total: counts[layout.codes.2],
        });
    }
    rows.push(FunnelRow {
        scheme: None,
        month: None,
        counts: row_counts(grand),
    });

    let mut warnings: Vec<Warning> = suppression_warning(
        counts.iter().any(Count::is_suppressed),
        settings.suppression.threshold,
    )
    .into_iter()
    .collect();
    for layout in &layouts {
        let referred = values[layout.total];
        if referred < settings.minimum_group_size {
            warnings.push(Warning::new(
                WarningKind::MinimumN,
                format!(
                    "{}: fewer than {} referrals in the period; conversion rates are imprecise (see their intervals).",
                    layout.name, settings.minimum_group_size
                ),
            ));
        }
    }
    FunnelReport {
        rows,
        schemes,
        warnings,
    }
}

fn stage_rates(totals: &FunnelCounts) -> Vec<StageRate> {
    let rate = |from: &str, base: Count, to: &str, events: Count| StageRate {
        from: from.to_owned(),
        to: to.to_owned(),
        proportion: match (events.value(), base.value()) {
            (Some(e), Some(b)) => Proportion::wilson(e, b, Z_95),
            _ => None,
        },
    };
    vec![
        rate("referred", totals.referred, "eligible", totals.eligible),
        rate("eligible", totals.eligible, "offered", totals.offered),
        rate("offered", totals.offered, "accepted", totals.accepted),
        rate("accepted", totals.accepted, "completed", totals.completed),
    ]
}
