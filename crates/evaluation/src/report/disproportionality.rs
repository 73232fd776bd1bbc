//! Disproportionality: the relative rate index at every stage of the funnel, by ethnicity
//! (ONS 2021 high-level groups, self-defined and officer-observed separately), sex and age band,
//! each against a configurable reference group — the Lammy Review's method.
//!
//! Stages and their bases: eligible ÷ referred, offered ÷ eligible, accepted ÷ offered,
//! completed ÷ finished (finished = completed + failed + withdrawn, so cases still running do not
//! count as non-completions).
//!
//! Suppression covers the published stage counts *and* the unpublished differences between
//! consecutive stages (e.g. referred − eligible), because a small difference between two
//! published counts discloses as much as a small count. An RRI is computed only from published
//! counts; otherwise it is "insufficient".

use super::{ByLabel, ReportSettings, Warning, WarningKind, suppress_grid, suppression_warning};
use crate::records::{AgeBand, CaseRecord, Ending, FunnelStage};
use crate::stats::rri::{RateCounts, RelativeRateIndex, RriRules};
use crate::suppression::Count;
use checkpoint_domain::person::{EthnicGroup, Sex};
use serde::{Deserialize, Serialize};

/// A characteristic to break the funnel down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    EthnicitySelfDefined,
    EthnicityOfficerObserved,
    Sex,
    AgeBand,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::EthnicitySelfDefined,
        Dimension::EthnicityOfficerObserved,
        Dimension::Sex,
        Dimension::AgeBand,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Dimension::EthnicitySelfDefined => "Ethnicity (self-defined)",
            Dimension::EthnicityOfficerObserved => "Ethnicity (officer-observed)",
            Dimension::Sex => "Sex",
            Dimension::AgeBand => "Age band",
        }
    }

    pub fn value_of(self, case: &CaseRecord) -> &'static str {
        match self {
            Dimension::EthnicitySelfDefined => case
                .ethnicity_self_defined
                .and_then(|e| e.group())
                .map_or("not stated", ethnic_group_label),
            Dimension::EthnicityOfficerObserved => case
                .ethnicity_officer_observed
                .map_or("not recorded", ethnic_group_label),
            Dimension::Sex => sex_label(case.sex),
            Dimension::AgeBand => case.age_band.label(),
        }
    }
}

pub fn ethnic_group_label(group: EthnicGroup) -> &'static str {
    match group {
        EthnicGroup::Asian => "Asian",
        EthnicGroup::Black => "Black",
        EthnicGroup::Mixed => "Mixed",
        EthnicGroup::White => "White",
        EthnicGroup::Other => "Other",
    }
}

pub fn sex_label(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "Female",
        Sex::Male => "Male",
        Sex::Other => "Other",
        Sex::NotKnown => "Not known",
    }
}

/// Reference groups and rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DisproportionalityConfig {
    pub reference_ethnic_group: EthnicGroup,
    pub reference_sex: Sex,
    pub reference_age_band: AgeBand,
    pub rules: RriRules,
}

impl Default for DisproportionalityConfig {
    fn default() -> Self {
        DisproportionalityConfig {
            reference_ethnic_group: EthnicGroup::White,
            reference_sex: Sex::Male,
            reference_age_band: AgeBand::Age18To24,
            rules: RriRules::default(),
        }
    }
}

impl DisproportionalityConfig {
    fn reference(&self, dimension: Dimension) -> String {
        match dimension {
            Dimension::EthnicitySelfDefined | Dimension::EthnicityOfficerObserved => {
                ethnic_group_label(self.reference_ethnic_group).to_owned()
            }
            Dimension::Sex => sex_label(self.reference_sex).to_owned(),
            Dimension::AgeBand => self.reference_age_band.label().to_owned(),
        }
    }
}

/// Published stage counts, in the order of [`STAGE_NAMES`].
pub const STAGE_NAMES: [&str; 6] = [
    "referred",
    "eligible",
    "offered",
    "accepted",
    "finished",
    "completed",
];

/// The RRI transitions: (events stage, base stage) indices into [`STAGE_NAMES`].
pub const TRANSITIONS: [(usize, usize); 4] = [(1, 0), (2, 1), (3, 2), (5, 4)];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRri {
    pub stage: String,
    pub base: String,
    pub rri: RelativeRateIndex,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub group: String,
    pub is_reference: bool,
    pub stages: Vec<Count>,
    /// Empty for the reference group.
    pub rri: Vec<StageRri>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionTable {
    pub dimension: Dimension,
    pub title: String,
    pub reference: String,
    pub groups: Vec<GroupRow>,
    pub totals: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisproportionalityReport {
    pub tables: Vec<DimensionTable>,
    pub warnings: Vec<Warning>,
}

/// Adds a case to its group's counts: referred, eligible, offered, accepted, finished,
/// completed.
fn count_stages(counts: &mut [u64; 6], case: &CaseRecord) {
    let stage = case.position.stage;
    counts[0] += 1;
    counts[1] += u64::from(stage >= FunnelStage::Eligible);
    counts[2] += u64::from(stage >= FunnelStage::Offered);
    counts[3] += u64::from(stage >= FunnelStage::Accepted);
    let finished = stage == FunnelStage::Accepted
        && matches!(
            case.position.ending,
            Some(Ending::Completed | Ending::Failed | Ending::Withdrawn)
        );
    counts[4] += u64::from(finished);
    counts[5] += u64::from(finished && case.position.ending == Some(Ending::Completed));
}

pub fn disproportionality_report(
    cases: &[CaseRecord],
    config: &DisproportionalityConfig,
    settings: &ReportSettings,
) -> DisproportionalityReport {
    let mut warnings = Vec::new();
    let mut any_suppressed = false;
    let tables = Dimension::ALL
        .iter()
        .map(|&dimension| {
            let mut grouped: ByLabel<[u64; 6]> = ByLabel::default();
            for case in cases {
                count_stages(grouped.entry(dimension.value_of(case)), case);
            }
            let grouped = grouped.into_sorted();
            let names: Vec<&str> = grouped.iter().map(|(name, _)| *name).collect();
            // Columns 0–5: stages; 6–10: differences between consecutive stages (hidden).
            let rows: Vec<Vec<u64>> = grouped
                .iter()
                .map(|(_, s)| {
                    let mut row = s.to_vec();
                    row.extend((0..5).map(|i| s[i] - s[i + 1]));
                    row
                })
                .collect();
            let splits: [(usize, &[usize]); 5] = [
                (0, &[1, 6]),
                (1, &[2, 7]),
                (2, &[3, 8]),
                (3, &[4, 9]),
                (4, &[5, 10]),
            ];
            // Six stage counts, then the five drops between them.
            let (cells, totals) = suppress_grid(&rows, 11, &splits, settings.suppression);
            any_suppressed |= cells
                .iter()
                .flatten()
                .chain(&totals)
                .any(Count::is_suppressed);

            let reference = config.reference(dimension);
            let reference_index = names.iter().position(|n| *n == reference);
            if reference_index.is_none() {
                warnings.push(Warning::new(
                    WarningKind::NotEstimable,
                    format!(
                        "{}: no cases in the reference group ({reference}), so no RRIs.",
                        dimension.label()
                    ),
                ));
            }
            let published = |row: usize, stage: usize| cells[row][stage].value();
            let groups = names
                .iter()
                .enumerate()
                .map(|(row, name)| {
                    let is_reference = Some(row) == reference_index;
                    let rri = match reference_index {
                        Some(reference_row) if !is_reference => TRANSITIONS
                            .iter()
                            .map(|&(events, base)| {
                                let counts = (
                                    published(row, events),
                                    published(row, base),
                                    published(reference_row, events),
                                    published(reference_row, base),
                                );
                                let rri = match counts {
                                    (Some(a), Some(n1), Some(b), Some(n2)) => {
                                        RelativeRateIndex::compute(
                                            RateCounts {
                                                events: a,
                                                base: n1,
                                            },
                                            RateCounts {
                                                events: b,
                                                base: n2,
                                            },
                                            config.rules,
                                        )
                                    }
                                    _ => RelativeRateIndex::Insufficient,
                                };
                                StageRri {
                                    stage: STAGE_NAMES[events].to_owned(),
                                    base: STAGE_NAMES[base].to_owned(),
                                    rri,
                                }
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    GroupRow {
                        group: (*name).to_owned(),
                        is_reference,
                        stages: cells[row][..6].to_vec(),
                        rri,
                    }
                })
                .collect();
            DimensionTable {
                dimension,
                title: dimension.label().to_owned(),
                reference,
                groups,
                totals: totals[..6].to_vec(),
            }
        })
        .collect();
    warnings.push(Warning::new(
        WarningKind::MinimumN,
        format!(
            "An RRI is shown only where the group and the reference each have at least {} events and a base of at least {}; otherwise \"insufficient\". 1.0 is parity; an interval that includes 1 does not show a difference.",
            config.rules.min_events, config.rules.min_base
        ),
    ));
    warnings.extend(suppression_warning(
        any_suppressed,
        settings.suppression.threshold,
    ));
    DisproportionalityReport { tables, warnings }
}
