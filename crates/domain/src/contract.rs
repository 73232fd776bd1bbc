//! Contracts and their conditions: a scheme's catalogue of conditions with caps, and the checks a
//! proposed contract must pass (at most N conditions, the mandatory ones present, hours within
//! the caps, due dates within the contract).

use crate::deadline::ContractDates;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The pathways a navigator assesses and intervenes on (Durham trial pathways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pathway {
    Alcohol,
    Drugs,
    Housing,
    MentalHealth,
    PhysicalHealth,
    Finances,
    Employment,
    Relationships,
    Exploitation,
}

impl Pathway {
    pub const ALL: [Pathway; 9] = [
        Pathway::Alcohol,
        Pathway::Drugs,
        Pathway::Housing,
        Pathway::MentalHealth,
        Pathway::PhysicalHealth,
        Pathway::Finances,
        Pathway::Employment,
        Pathway::Relationships,
        Pathway::Exploitation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Pathway::Alcohol => "alcohol",
            Pathway::Drugs => "drugs",
            Pathway::Housing => "housing",
            Pathway::MentalHealth => "mental_health",
            Pathway::PhysicalHealth => "physical_health",
            Pathway::Finances => "finances",
            Pathway::Employment => "employment",
            Pathway::Relationships => "relationships",
            Pathway::Exploitation => "exploitation",
        }
    }
}

/// What kind of obligation a condition is (CJA 2003 conditional caution categories plus the
/// Checkpoint contract's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    NoReoffending,
    RestorativeJustice,
    PathwayIntervention,
    UnpaidWork,
    ElectronicTag,
    Restrictive,
    Attendance,
    Financial,
    Apology,
    Education,
}

/// One entry of a scheme's condition catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionType {
    /// Stable id used in contracts, e.g. `no_reoffending`, `community_hours`.
    pub id: String,
    pub kind: ConditionKind,
    /// Plain-English wording for the contract document.
    pub text: String,
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_hours: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_hours: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pathway: Option<Pathway>,
    /// Conditions sharing a group are alternatives: a contract holds at most one of them
    /// (Durham: community hours *or* a GPS tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_group: Option<String>,
}

impl ConditionType {
    pub fn requires_hours(&self) -> bool {
        self.min_hours.is_some() || self.max_hours.is_some()
    }
}

/// A scheme's conditions and the cap on how many a contract may hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionCatalogue {
    pub max_conditions: u8,
    pub conditions: Vec<ConditionType>,
}

impl ConditionCatalogue {
    pub fn get(&self, id: &str) -> Option<&ConditionType> {
        self.conditions.iter().find(|c| c.id == id)
    }

    pub fn mandatory(&self) -> impl Iterator<Item = &ConditionType> {
        self.conditions.iter().filter(|c| c.mandatory)
    }
}

/// A condition as a navigator proposes it for a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposedCondition {
    /// The catalogue entry.
    pub condition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default)]
    pub details: String,
}

/// Why a proposed contract is not acceptable. Every problem is reported, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ContractProblem {
    #[error("a contract may hold at most {max} conditions; {got} were proposed")]
    TooManyConditions { max: u8, got: usize },
    #[error("condition {index}: `{id}` is not in this scheme's catalogue")]
    UnknownCondition { index: usize, id: String },
    #[error("the mandatory condition `{id}` is missing")]
    MissingMandatory { id: String },
    #[error("condition {index}: `{id}` appears more than once")]
    Duplicate { index: usize, id: String },
    #[error(
        "condition {index}: `{id}` and `{other}` are alternatives (group `{group}`); choose one"
    )]
    ExclusiveConflict {
        index: usize,
        id: String,
        other: String,
        group: String,
    },
    #[error("condition {index}: `{id}` needs a number of hours")]
    HoursRequired { index: usize, id: String },
    #[error("condition {index}: `{id}` takes no hours")]
    HoursNotApplicable { index: usize, id: String },
    #[error("condition {index}: `{id}` must be between {min} and {max} hours; {got} were set")]
    HoursOutOfRange {
        index: usize,
        id: String,
        min: u16,
        max: u16,
        got: u16,
    },
    #[error("condition {index}: due date {due} is before the contract starts on {start}")]
    DueBeforeStart {
        index: usize,
        due: Date,
        start: Date,
    },
    #[error("condition {index}: due date {due} is after the contract ends on {end}")]
    DueAfterEnd { index: usize, due: Date, end: Date },
}

/// Checks a proposed set of conditions against the catalogue and the contract's dates.
pub fn check_conditions(
    catalogue: &ConditionCatalogue,
    proposed: &[ProposedCondition],
    dates: &ContractDates,
) -> Result<(), Vec<ContractProblem>> {
    let mut problems = Vec::new();
    if proposed.len() > usize::from(catalogue.max_conditions) {
        problems.push(ContractProblem::TooManyConditions {
            max: catalogue.max_conditions,
            got: proposed.len(),
        });
    }
    let mut seen = BTreeSet::new();
    let mut groups: BTreeMap<&str, &str> = BTreeMap::new();
    for (index, p) in proposed.iter().enumerate() {
        let Some(kind) = catalogue.get(&p.condition) else {
            problems.push(ContractProblem::UnknownCondition {
                index,
                id: p.condition.clone(),
            });
            continue;
        };
        if !seen.insert(kind.id.as_str()) {
            problems.push(ContractProblem::Duplicate {
                index,
                id: kind.id.clone(),
            });
        }
        if let Some(group) = &kind.exclusive_group
            && let Some(other) = groups.insert(group.as_str(), kind.id.as_str())
            && other != kind.id
        {
            problems.push(ContractProblem::ExclusiveConflict {
                index,
                id: kind.id.clone(),
                other: other.to_owned(),
                group: group.clone(),
            });
        }
        match (kind.requires_hours(), p.hours) {
            (true, None) => problems.push(ContractProblem::HoursRequired {
                index,
                id: kind.id.clone(),
            }),
            (false, Some(_)) => problems.push(ContractProblem::HoursNotApplicable {
                index,
                id: kind.id.clone(),
            }),
            (true, Some(got)) => {
                let min = kind.min_hours.unwrap_or(0);
                let max = kind.max_hours.unwrap_or(u16::MAX);
                if got < min || got > max {
                    problems.push(ContractProblem::HoursOutOfRange {
                        index,
                        id: kind.id.clone(),
                        min,
                        max,
                        got,
                    });
                }
            }
            (false, None) => {}
        }
        if let Some(due) = p.due {
            if due < dates.start {
                problems.push(ContractProblem::DueBeforeStart {
                    index,
                    due,
                    start: dates.start,
                });
            }
            if due > dates.end {
                problems.push(ContractProblem::DueAfterEnd {
                    index,
                    due,
                    end: dates.end,
                });
            }
        }
    }
    for m in catalogue.mandatory() {
        if !proposed.iter().any(|p| p.condition == m.id) {
            problems.push(ContractProblem::MissingMandatory { id: m.id.clone() });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Progress of one condition during the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionStatus {
    NotStarted,
    InProgress,
    Completed,
    Missed,
    Waived,
}

impl ConditionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::NotStarted => "not_started",
            ConditionStatus::InProgress => "in_progress",
            ConditionStatus::Completed => "completed",
            ConditionStatus::Missed => "missed",
            ConditionStatus::Waived => "waived",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            ConditionStatus::NotStarted | ConditionStatus::InProgress
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::{ContractLength, DeadlineRule, plan_contract};
    use jiff::civil::date;

    fn catalogue() -> ConditionCatalogue {
        let entry = |id: &str, kind, mandatory, hours: Option<(u16, u16)>, group: Option<&str>| {
            ConditionType {
                id: id.into(),
                kind,
                text: id.replace('_', " "),
                mandatory,
                min_hours: hours.map(|h| h.0),
                max_hours: hours.map(|h| h.1),
                pathway: None,
                exclusive_group: group.map(str::to_owned),
            }
        };
        ConditionCatalogue {
            max_conditions: 3,
            conditions: vec![
                entry(
                    "no_reoffending",
                    ConditionKind::NoReoffending,
                    true,
                    None,
                    None,
                ),
                entry(
                    "community_hours",
                    ConditionKind::UnpaidWork,
                    false,
                    Some((18, 36)),
                    Some("punitive"),
                ),
                entry(
                    "gps_tag",
                    ConditionKind::ElectronicTag,
                    false,
                    None,
                    Some("punitive"),
                ),
                entry(
                    "drug_treatment",
                    ConditionKind::PathwayIntervention,
                    false,
                    None,
                    None,
                ),
            ],
        }
    }

    fn dates() -> ContractDates {
        plan_contract(
            date(2026, 3, 1),
            ContractLength::Months(4),
            None,
            DeadlineRule {
                margin_days: 14,
                minimum_contract_days: 28,
            },
        )
    }

    fn propose(id: &str, hours: Option<u16>) -> ProposedCondition {
        ProposedCondition {
            condition: id.into(),
            hours,
            due: None,
            provider: None,
            details: String::new(),
        }
    }

    #[test]
    fn a_valid_contract_passes() {
        let proposed = [
            propose("no_reoffending", None),
            propose("community_hours", Some(24)),
        ];
        assert_eq!(check_conditions(&catalogue(), &proposed, &dates()), Ok(()));
    }

    #[test]
    fn every_problem_is_reported() {
        let mut late = propose("drug_treatment", None);
        late.due = Some(date(2026, 12, 1));
        let proposed = [
            propose("community_hours", Some(40)),
            propose("gps_tag", None),
            propose("tattoo_removal", None),
            late,
        ];
        let problems = check_conditions(&catalogue(), &proposed, &dates()).unwrap_err();
        assert!(problems.contains(&ContractProblem::TooManyConditions { max: 3, got: 4 }));
        assert!(problems.contains(&ContractProblem::MissingMandatory {
            id: "no_reoffending".into()
        }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, ContractProblem::HoursOutOfRange { got: 40, .. }))
        );
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, ContractProblem::ExclusiveConflict { .. }))
        );
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, ContractProblem::UnknownCondition { .. }))
        );
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, ContractProblem::DueAfterEnd { .. }))
        );
    }

    #[test]
    fn hours_are_required_where_capped_and_refused_elsewhere() {
        let proposed = [
            propose("no_reoffending", Some(3)),
            propose("community_hours", None),
        ];
        let problems = check_conditions(&catalogue(), &proposed, &dates()).unwrap_err();
        assert_eq!(problems.len(), 2);
    }
}
