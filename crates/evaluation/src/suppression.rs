//! Small-number suppression, primary and secondary.
//!
//! There is no policing-wide rule; the ONS Longitudinal Study uses a threshold of 10, which is
//! the default here, and both threshold and the treatment of zeros are configurable.
//!
//! - **Primary**: a count `c` with `0 < c < threshold` (and `c = 0` too if `suppress_zeros`)
//!   is withheld.
//! - **Secondary**: a table is described by [`Line`]s — sets of cells that add up to another
//!   published cell (a row and its row total, a column and its column total, a funnel stage and
//!   the stages it splits into). If a line has exactly one withheld cell, it could be recovered
//!   by subtraction, so the smallest other cell of that line is withheld too (parts before the
//!   total on ties, then the lower index). This repeats until no line has exactly one withheld
//!   cell (a fixed point: each pass only adds suppressions, so it terminates).
//!
//! Withheld cells are [`Count::Suppressed`], never 0, so every renderer must decide how to
//! print them ([`Count::display`] gives "<10" for primary and "*" for secondary suppression;
//! a secondary cell may hold any value, so "<10" would be false there).

use serde::{Deserialize, Serialize};
use std::fmt;

/// How small numbers are withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionPolicy {
    /// Counts below this (and above zero) are withheld.
    pub threshold: u64,
    /// Withhold zeros as well (a zero can disclose "nobody in this group…").
    pub suppress_zeros: bool,
}

impl Default for SuppressionPolicy {
    fn default() -> Self {
        SuppressionPolicy {
            threshold: 10,
            suppress_zeros: false,
        }
    }
}

impl SuppressionPolicy {
    pub fn is_primary(&self, value: u64) -> bool {
        value < self.threshold && (value > 0 || self.suppress_zeros)
    }

    /// A single count with no table around it.
    pub fn count(&self, value: u64) -> Count {
        if self.is_primary(value) {
            Count::Suppressed {
                reason: SuppressionReason::Primary,
                threshold: self.threshold,
            }
        } else {
            Count::Value(value)
        }
    }
}

/// Why a cell was withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// Below the threshold.
    Primary,
    /// Withheld so that a primary cell cannot be recovered from a total.
    Secondary,
}

/// A published count: its value, or the fact that it is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Value(u64),
    Suppressed {
        reason: SuppressionReason,
        threshold: u64,
    },
}

impl Count {
    pub fn value(&self) -> Option<u64> {
        match self {
            Count::Value(v) => Some(*v),
            Count::Suppressed { .. } => None,
        }
    }

    pub fn is_suppressed(&self) -> bool {
        matches!(self, Count::Suppressed { .. })
    }

    /// "12", "<10" (primary) or "*" (secondary).
    pub fn display(&self) -> String {
        match self {
            Count::Value(v) => v.to_string(),
            Count::Suppressed {
                reason: SuppressionReason::Primary,
                threshold,
            } => format!("<{threshold}"),
            Count::Suppressed {
                reason: SuppressionReason::Secondary,
                ..
            } => "*".to_owned(),
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// Cells `parts` add up to cell `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub parts: Vec<usize>,
    pub total: usize,
}

/// Applies primary then secondary suppression to `values` under the additive `lines`.
/// Indices in `lines` refer to `values`; an out-of-range index is a programming error (panic).
pub fn suppress(values: &[u64], lines: &[Line], policy: SuppressionPolicy) -> Vec<Count> {
    let mut reason: Vec<Option<SuppressionReason>> = values
        .iter()
        .map(|&v| policy.is_primary(v).then_some(SuppressionReason::Primary))
        .collect();
    loop {
        let mut changed = false;
        for line in lines {
            let entries = line.parts.iter().copied().chain([line.total]);
            let withheld = entries.clone().filter(|&i| reason[i].is_some()).count();
            if withheld != 1 {
                continue;
            }
            // Smallest remaining entry; parts before the total, then lower index.
            let complement = entries
                .enumerate()
                .filter(|&(_, i)| reason[i].is_none())
                .min_by_key(|&(position, i)| (values[i], position == line.parts.len(), i))
                .map(|(_, i)| i);
            if let Some(i) = complement {
                reason[i] = Some(SuppressionReason::Secondary);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    values
        .iter()
        .zip(reason)
        .map(|(&v, r)| match r {
            None => Count::Value(v),
            Some(reason) => Count::Suppressed {
                reason,
                threshold: policy.threshold,
            },
        })
        .collect()
}

/// A one-way table with its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table1 {
    pub cells: Vec<Count>,
    pub total: Count,
}

impl Table1 {
    /// Suppresses `values` and their sum.
    pub fn new(values: &[u64], policy: SuppressionPolicy) -> Self {
        let mut all = values.to_vec();
        all.push(values.iter().sum());
        let line = Line {
            parts: (0..values.len()).collect(),
            total: values.len(),
        };
        let mut counts = suppress(&all, &[line], policy);
        let total = counts.pop().expect("the total was pushed");
        Table1 {
            cells: counts,
            total,
        }
    }
}

/// A two-way table with row, column and grand totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table2 {
    pub cells: Vec<Vec<Count>>,
    pub row_totals: Vec<Count>,
    pub column_totals: Vec<Count>,
    pub grand_total: Count,
}

impl Table2 {
    /// Suppresses a rectangular `matrix` (rows × columns) with all its margins. Panics on a
    /// ragged matrix.
    pub fn new(matrix: &[Vec<u64>], policy: SuppressionPolicy) -> Self {
        let rows = matrix.len();
        let columns = matrix.first().map_or(0, Vec::len);
        assert!(
            matrix.iter().all(|r| r.len() == columns),
            "a two-way table must be rectangular"
        );
        // Layout: inner cells row-major, then row totals, then column totals, then grand total.
        let cell = |r: usize, c: usize| r * columns + c;
        let row_total = |r: usize| rows * columns + r;
        let column_total = |c: usize| rows * columns + rows + c;
        let grand = rows * columns + rows + columns;

        let mut values: Vec<u64> = matrix.iter().flatten().copied().collect();
        values.extend(matrix.iter().map(|r| r.iter().sum::<u64>()));
        values.extend((0..columns).map(|c| matrix.iter().map(|r| r[c]).sum::<u64>()));
        values.push(matrix.iter().flatten().sum());

        let mut lines = Vec::new();
        for r in 0..rows {
            lines.push(Line {
                parts: (0..columns).map(|c| cell(r, c)).collect(),
                total: row_total(r),
            });
        }
        for c in 0..columns {
            lines.push(Line {
                parts: (0..rows).map(|r| cell(r, c)).collect(),
                total: column_total(c),
            });
        }
        lines.push(Line {
            parts: (0..rows).map(row_total).collect(),
            total: grand,
        });
        lines.push(Line {
            parts: (0..columns).map(column_total).collect(),
            total: grand,
        });

        let counts = suppress(&values, &lines, policy);
        Table2 {
            cells: (0..rows)
                .map(|r| (0..columns).map(|c| counts[cell(r, c)]).collect())
                .collect(),
            row_totals: (0..rows).map(|r| counts[row_total(r)]).collect(),
            column_totals: (0..columns).map(|c| counts[column_total(c)]).collect(),
            grand_total: counts[grand],
        }
    }
}

/// `numerator / denominator` only when both are published and the denominator is non-zero;
/// a rate from a withheld count would disclose it.
pub fn published_ratio(numerator: Count, denominator: Count) -> Option<f64> {
    match (numerator.value(), denominator.value()) {
        (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: SuppressionPolicy = SuppressionPolicy {
        threshold: 10,
        suppress_zeros: false,
    };

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let table = Table1::new(&[50, 3, 20, 40], POLICY);
        assert_eq!(table.cells[0], Count::Value(50));
        assert!(matches!(
            table.cells[1],
            Count::Suppressed {
                reason: SuppressionReason::Primary,
                ..
            }
        ));
        assert!(matches!(
            table.cells[2],
            Count::Suppressed {
                reason: SuppressionReason::Secondary,
                ..
            }
        ));
        assert_eq!(table.cells[3], Count::Value(40));
        assert_eq!(table.total, Count::Value(113));
        assert_eq!(table.cells[1].display(), "<10");
        assert_eq!(table.cells[2].display(), "*");
    }

    #[test]
    fn zeros_are_shown_unless_configured() {
        assert_eq!(POLICY.count(0), Count::Value(0));
        let strict = SuppressionPolicy {
            suppress_zeros: true,
            ..POLICY
        };
        assert!(strict.count(0).is_suppressed());
    }

    #[test]
    fn two_way_secondary_suppression_reaches_a_fixed_point() {
        // One small cell forces a second in its row, which then forces one in its column,
        // and so on until every affected row and column hides at least two cells.
        let table = Table2::new(
            &[vec![5, 30, 40], vec![25, 35, 45], vec![50, 60, 70]],
            POLICY,
        );
        let hidden = |r: usize| table.cells[r].iter().filter(|c| c.is_suppressed()).count();
        assert!(table.cells[0][0].is_suppressed());
        assert_eq!(hidden(0), 2);
        assert_eq!(hidden(1), 2);
        assert_eq!(table.grand_total, Count::Value(360));
    }

    #[test]
    fn json_spells_suppression_out() {
        let json = serde_json::to_string(&POLICY.count(4)).unwrap();
        assert_eq!(
            json,
            r#"{"suppressed":{"reason":"primary","threshold":10}}"#
        );
        assert_eq!(
            serde_json::to_string(&Count::Value(12)).unwrap(),
            r#"{"value":12}"#
        );
    }
}
