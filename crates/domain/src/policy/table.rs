//! Decision tables: a criterion decided by looking up a row over a few numeric inputs (e.g. final
//! gravity × previous convictions), with an `otherwise` verdict for anything no row covers.
//!
//! Rows may not overlap (two rows answering the same case would make the table's meaning depend
//! on row order, which nobody reading the file would see) and every row must be able to fire;
//! both are checked when the policy loads.

use super::decision::{Evidence, Verdict};
use crate::person::age_in_years;
use crate::referral::Referral;
use serde::{Deserialize, Serialize};

/// A numeric fact a table can look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableInput {
    /// Final gravity score (ACPO/NPCC adult matrix), 1–4.
    FinalGravity,
    PreviousConvictions,
    /// Age in whole years on the referral date.
    Age,
}

impl TableInput {
    pub const ALL: [TableInput; 3] = [
        TableInput::FinalGravity,
        TableInput::PreviousConvictions,
        TableInput::Age,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TableInput::FinalGravity => "final_gravity",
            TableInput::PreviousConvictions => "previous_convictions",
            TableInput::Age => "age",
        }
    }

    /// The values the input can take; a row reaching outside can never fire there.
    pub fn domain(self) -> InclusiveRange {
        match self {
            TableInput::FinalGravity => InclusiveRange { min: 1, max: 4 },
            TableInput::PreviousConvictions => InclusiveRange {
                min: 0,
                max: i64::from(u32::MAX),
            },
            TableInput::Age => InclusiveRange { min: 0, max: 130 },
        }
    }

    fn index(self) -> usize {
        match self {
            TableInput::FinalGravity => 0,
            TableInput::PreviousConvictions => 1,
            TableInput::Age => 2,
        }
    }
}

/// What a row (or `otherwise`) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableVerdict {
    Met,
    NotMet,
}

impl TableVerdict {
    fn verdict(self) -> Verdict {
        match self {
            TableVerdict::Met => Verdict::Met,
            TableVerdict::NotMet => Verdict::NotMet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusiveRange {
    pub min: i64,
    pub max: i64,
}

impl InclusiveRange {
    pub fn contains(self, value: i64) -> bool {
        self.min <= value && value <= self.max
    }

    pub fn intersects(self, other: InclusiveRange) -> bool {
        self.min.max(other.min) <= self.max.min(other.max)
    }

    pub fn is_empty(self) -> bool {
        self.min > self.max
    }
}

/// One row: a range per input (inputs the row leaves out match anything) and a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    pub label: Option<String>,
    /// Indexed like [`TableInput::ALL`]; `None` = any value.
    pub ranges: [Option<InclusiveRange>; 3],
    pub verdict: TableVerdict,
}

impl TableRow {
    pub fn range(&self, input: TableInput) -> InclusiveRange {
        self.ranges[input.index()].unwrap_or_else(|| input.domain())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionTable {
    pub inputs: Vec<TableInput>,
    pub rows: Vec<TableRow>,
    pub otherwise: TableVerdict,
}

/// Whether a row matches a case whose inputs may be unknown.
enum RowMatch {
    Yes,
    Maybe,
    No,
}

impl DecisionTable {
    /// Pairs of rows (0-based) that some case would match both of.
    pub fn overlapping_rows(&self) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (j, later) in self.rows.iter().enumerate() {
            for (i, earlier) in self.rows[..j].iter().enumerate() {
                if self
                    .inputs
                    .iter()
                    .all(|&input| earlier.range(input).intersects(later.range(input)))
                {
                    pairs.push((i, j));
                }
            }
        }
        pairs
    }

    pub(super) fn evaluate(&self, referral: &Referral) -> (Verdict, Evidence) {
        let final_gravity = referral
            .offence
            .gravity
            .as_ref()
            .map(|g| g.final_score().get());
        let previous_convictions = referral.previous_convictions;
        let age = age_in_years(referral.person.date_of_birth, referral.referral_date);
        let values: [Option<i64>; 3] = [
            final_gravity.map(i64::from),
            previous_convictions.map(i64::from),
            Some(i64::from(age)),
        ];
        let evidence = |row: Option<usize>| Evidence::DecisionTable {
            final_gravity: final_gravity
                .filter(|_| self.inputs.contains(&TableInput::FinalGravity)),
            previous_convictions: previous_convictions
                .filter(|_| self.inputs.contains(&TableInput::PreviousConvictions)),
            age: Some(age).filter(|_| self.inputs.contains(&TableInput::Age)),
            row: row.and_then(|r| u16::try_from(r + 1).ok()),
        };

        // Rows never overlap (checked at load), so a row that certainly matches decides alone.
        // Otherwise collect every verdict still possible; if they agree, the missing facts
        // cannot change the answer.
        let mut possible_met = false;
        let mut possible_not_met = false;
        for (index, row) in self.rows.iter().enumerate() {
            match self.row_match(row, &values) {
                RowMatch::Yes => return (row.verdict.verdict(), evidence(Some(index))),
                RowMatch::Maybe => match row.verdict {
                    TableVerdict::Met => possible_met = true,
                    TableVerdict::NotMet => possible_not_met = true,
                },
                RowMatch::No => {}
            }
        }
        match self.otherwise {
            TableVerdict::Met => possible_met = true,
            TableVerdict::NotMet => possible_not_met = true,
        }
        let verdict = match (possible_met, possible_not_met) {
            (true, true) => Verdict::Unknown,
            (true, false) => Verdict::Met,
            _ => Verdict::NotMet,
        };
        (verdict, evidence(None))
    }

    fn row_match(&self, row: &TableRow, values: &[Option<i64>; 3]) -> RowMatch {
        let mut result = RowMatch::Yes;
        for &input in &self.inputs {
            let Some(range) = row.ranges[input.index()] else {
                continue;
            };
            match values[input.index()] {
                Some(v) if range.contains(v) => {}
                Some(_) => return RowMatch::No,
                None => result = RowMatch::Maybe,
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        gravity: Option<(i64, i64)>,
        previous: Option<(i64, i64)>,
        verdict: TableVerdict,
    ) -> TableRow {
        let r = |p: Option<(i64, i64)>| p.map(|(min, max)| InclusiveRange { min, max });
        TableRow {
            label: None,
            ranges: [r(gravity), r(previous), None],
            verdict,
        }
    }

    fn table(rows: Vec<TableRow>) -> DecisionTable {
        DecisionTable {
            inputs: vec![TableInput::FinalGravity, TableInput::PreviousConvictions],
            rows,
            otherwise: TableVerdict::NotMet,
        }
    }

    #[test]
    fn overlap_needs_every_input_to_intersect() {
        let t = table(vec![
            row(Some((1, 2)), Some((0, 2)), TableVerdict::Met),
            row(Some((3, 3)), Some((0, 0)), TableVerdict::Met),
            row(Some((2, 3)), Some((1, 5)), TableVerdict::NotMet),
        ]);
        assert_eq!(t.overlapping_rows(), vec![(0, 2)]);
    }

    #[test]
    fn an_omitted_input_overlaps_everything_on_that_axis() {
        let t = table(vec![
            row(Some((1, 1)), None, TableVerdict::Met),
            row(None, Some((0, 0)), TableVerdict::NotMet),
        ]);
        assert_eq!(t.overlapping_rows(), vec![(0, 1)]);
    }
}
