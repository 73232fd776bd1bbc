//! Report assembly from [`CaseRecord`](crate::records::CaseRecord)s.
//!
//! Each report is a plain serde struct. Every count in it is a
//! [`Count`](crate::suppression::Count) that has been through suppression, and every figure
//! derived from a count (a rate, an interval, a ratio) is present only when the counts behind it
//! are published. Each report carries its [`Warning`]s.

pub mod costs;
pub mod disproportionality;
pub mod followup;
pub mod funnel;
pub mod reoffending;
pub mod trial;

use crate::suppression::SuppressionPolicy;
use serde::{Deserialize, Serialize};

/// What a reader must know before trusting a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Some figures are withheld because they are small.
    Suppressed,
    /// A group is below the minimum size for a stable estimate.
    MinimumN,
    /// Proven reoffending waits for a proof lag after the window closes.
    FollowUpLag,
    /// Some people have not yet been followed for the whole window and are left out.
    FollowUpNotElapsed,
    /// An estimate could not be made.
    NotEstimable,
}

impl Warning {
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        Warning {
            kind,
            message: message.into(),
        }
    }
}

/// Settings shared by all reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReportSettings {
    pub suppression: SuppressionPolicy,
    /// Groups smaller than this get a minimum-n warning (the Justice Data Lab asks for 60).
    pub minimum_group_size: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            suppression: SuppressionPolicy::default(),
            minimum_group_size: 60,
        }
    }
}

pub(crate) fn suppression_warning(any_suppressed: bool, threshold: u64) -> Option<Warning> {
    any_suppressed.then(|| {
        Warning::new(
            WarningKind::Suppressed,
            format!(
                "Counts below {threshold} are shown as \"<{threshold}\"; cells marked \"*\" are withheld so that a small count cannot be worked out from a total. Rates and intervals built on withheld counts are not shown."
            ),
        )
    })
}

/// Tallies by group label, for the passes over every case: a handful of groups, each named
/// by a `&'static str` constant or a record's shared [`crate::records::Label`], so a label is
/// found by its address first and by its text only if that fails (a million cases compare
/// pointers, not strings). [`ByLabel::into_sorted`] lists them in label order, as a
/// `BTreeMap` would.
#[derive(Debug)]
pub(crate) struct ByLabel<'a, T> {
    entries: Vec<(&'a str, T)>,
}

impl<T> Default for ByLabel<'_, T> {
    fn default() -> Self {
        ByLabel {
            entries: Vec::new(),
        }
    }
}

impl<'a, T> ByLabel<'a, T> {
    pub(crate) fn entry(&mut self, label: &'a str) -> &mut T
    where
        T: Default,
    {
        self.entry_with(label, T::default)
    }

    /// The label's tally, made by `new` if it has none yet.
    pub(crate) fn entry_with(&mut self, label: &'a str, new: impl FnOnce() -> T) -> &mut T {
        let found = self
            .entries
            .iter()
            .position(|(known, _)| std::ptr::eq(*known, label))
            .or_else(|| self.entries.iter().position(|(known, _)| *known == label));
        let at = found.unwrap_or_else(|| {
            self.entries.push((label, new()));
            self.entries.len() - 1
        });
        &mut self.entries[at].1
    }

    pub(crate) fn into_sorted(mut self) -> Vec<(&'a str, T)> {
        self.entries.sort_by(|a, b| a.0.cmp(b.0));
        self.entries
    }
}

/// Suppresses a grid of groups (rows) × `width` quantities (columns) plus a totals row, where
/// `row_splits` lists `(total, parts)` within a row that add up. Columns add up over groups to
/// the totals row. Returns the groups' counts and the totals row (all zeros when there are no
/// groups: a selection with no cases).
pub(crate) fn suppress_grid(
    rows: &[Vec<u64>],
    width: usize,
    row_splits: &[(usize, &[usize])],
    policy: SuppressionPolicy,
) -> (
    Vec<Vec<crate::suppression::Count>>,
    Vec<crate::suppression::Count>,
) {
    use crate::suppression::{Line, suppress};
    debug_assert!(rows.iter().all(|r| r.len() == width));
    if rows.is_empty() {
        // Nothing to suppress, and the row lines below would name cells that do not exist.
        return (Vec::new(), vec![policy.count(0); width]);
    }
    let mut values: Vec<u64> = rows.iter().flatten().copied().collect();
    values.extend((0..width).map(|c| rows.iter().map(|r| r[c]).sum::<u64>()));
    let mut lines = Vec::new();
    for r in 0..=rows.len() {
        for (total, parts) in row_splits {
            lines.push(Line {
                parts: parts.iter().map(|p| r * width + p).collect(),
                total: r * width + total,
            });
        }
    }
    for c in 0..width {
        lines.push(Line {
            parts: (0..rows.len()).map(|r| r * width + c).collect(),
            total: rows.len() * width + c,
        });
    }
    let counts = suppress(&values, &lines, policy);
    let mut chunks: Vec<Vec<_>> = counts.chunks(width.max(1)).map(<[_]>::to_vec).collect();
    let totals = chunks.pop().unwrap_or_default();
    (chunks, totals)
}

#[cfg(test)]
mod tests {
    use super::{ByLabel, suppress_grid};
    use crate::suppression::SuppressionPolicy;

    #[test]
    fn labels_with_the_same_text_share_a_tally_wherever_they_are_stored() {
        let (first, second) = (String::from("b"), String::from("b"));
        let mut tallies: ByLabel<u64> = ByLabel::default();
        for label in ["c", first.as_str(), "a", second.as_str(), "c"] {
            *tallies.entry(label) += 1;
        }
        assert_eq!(tallies.into_sorted(), [("a", 1), ("b", 2), ("c", 2)]);
    }

    #[test]
    fn an_empty_grid_has_nothing_to_suppress_and_zero_totals() {
        // A group with no cases gives no rows; the splits must not name cells that do not exist.
        let (cells, totals) = suppress_grid(&[], 4, &[(3, &[0, 1])], SuppressionPolicy::default());
        assert!(cells.is_empty());
        assert_eq!(totals.len(), 4);
        assert!(totals.iter().all(|c| c.value() == Some(0)), "{totals:?}");
    }

    #[test]
    fn a_grid_keeps_a_withheld_cell_unrecoverable_from_its_total() {
        let rows = vec![vec![3, 40, 43], vec![30, 40, 70]];
        let (cells, totals) =
            suppress_grid(&rows, 3, &[(2, &[0, 1])], SuppressionPolicy::default());
        assert!(cells[0][0].is_suppressed());
        let withheld_in_row = cells[0].iter().filter(|c| c.is_suppressed()).count();
        assert!(withheld_in_row >= 2, "{cells:?}");
        assert_eq!(totals.len(), 3);
    }
}
