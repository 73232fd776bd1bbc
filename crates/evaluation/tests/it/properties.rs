//! Property tests: invariants that must hold for every input, not just the published examples.

use checkpoint_evaluation::stats::Z_95;
use checkpoint_evaluation::stats::proportion::{
    wilson_interval, wilson_interval_continuity_corrected,
};
use checkpoint_evaluation::stats::survival::{KaplanMeier, Observation};
use checkpoint_evaluation::stats::two_proportions::{relative_risk_log, risk_difference_newcombe};
use checkpoint_evaluation::suppression::{Line, SuppressionPolicy, Table1, Table2, suppress};
use proptest::prelude::*;

fn events_and_total() -> impl Strategy<Value = (u64, u64)> {
    (1u64..500).prop_flat_map(|n| (0..=n, Just(n)))
}

proptest! {
    #[test]
    fn wilson_contains_the_estimate_and_stays_in_unit_interval((r, n) in events_and_total()) {
        let p = r as f64 / n as f64;
        for interval in [
            wilson_interval(r, n, Z_95).unwrap(),
            wilson_interval_continuity_corrected(r, n, Z_95).unwrap(),
        ] {
            prop_assert!(interval.lower >= 0.0 && interval.upper <= 1.0);
            prop_assert!(interval.lower <= p + 1e-12 && p <= interval.upper + 1e-12);
        }
    }

    #[test]
    fn newcombe_difference_contains_the_estimate((a, n1) in events_and_total(), (b, n2) in events_and_total()) {
        let rd = risk_difference_newcombe(a, n1, b, n2, Z_95).unwrap();
        prop_assert!(rd.interval.lower >= -1.0 && rd.interval.upper <= 1.0);
        prop_assert!(rd.interval.contains(rd.estimate));
    }

    #[test]
    fn relative_risk_interval_contains_the_estimate((a, n1) in events_and_total(), (b, n2) in events_and_total()) {
        if let Some(rr) = relative_risk_log(a, n1, b, n2, Z_95) {
            prop_assert!(rr.interval.lower > 0.0);
            prop_assert!(rr.interval.lower <= rr.estimate * (1.0 + 1e-12));
            prop_assert!(rr.estimate <= rr.interval.upper * (1.0 + 1e-12));
        }
    }

    #[test]
    fn kaplan_meier_never_rises_and_intervals_hold_it(
        people in prop::collection::vec((0u32..60, any::<bool>()), 1..80)
    ) {
        let observations: Vec<Observation> = people
            .iter()
            .map(|&(t, event)| Observation { time: f64::from(t), event })
            .collect();
        let curve = KaplanMeier::fit(&observations, Z_95);
        let mut previous = 1.0;
        for step in &curve.steps {
            prop_assert!(step.survival <= previous + 1e-12);
            prop_assert!((0.0..=1.0).contains(&step.survival));
            if let Some(interval) = step.interval {
                prop_assert!(interval.lower >= 0.0 && interval.upper <= 1.0);
                prop_assert!(interval.contains(step.survival));
            }
            previous = step.survival;
        }
    }

    #[test]
    fn one_way_suppression_never_leaves_a_lone_withheld_cell(
        values in prop::collection::vec(0u64..40, 1..10),
        threshold in 1u64..15,
    ) {
        let policy = SuppressionPolicy { threshold, suppress_zeros: false };
        let table = Table1::new(&values, policy);
        let withheld = table.cells.iter().chain([&table.total]).filter(|c| c.is_suppressed()).count();
        prop_assert!(withheld != 1);
        for (cell, &value) in table.cells.iter().zip(&values) {
            if let Some(shown) = cell.value() {
                prop_assert_eq!(shown, value);
                prop_assert!(!policy.is_primary(value));
            }
        }
    }

    #[test]
    fn two_way_suppression_never_leaves_a_lone_withheld_cell_in_any_row_or_column(
        (rows, columns) in (1usize..6, 1usize..6),
        seed in prop::collection::vec(0u64..60, 36),
        threshold in 1u64..15,
        suppress_zeros in any::<bool>(),
    ) {
        let matrix: Vec<Vec<u64>> = (0..rows)
            .map(|r| (0..columns).map(|c| seed[r * 6 + c]).collect())
            .collect();
        let table = Table2::new(&matrix, SuppressionPolicy { threshold, suppress_zeros });
        for r in 0..rows {
            let hidden = table.cells[r].iter().chain([&table.row_totals[r]])
                .filter(|c| c.is_suppressed()).count();
            prop_assert!(hidden != 1, "row {} has one withheld cell", r);
        }
        for c in 0..columns {
            let hidden = (0..rows).map(|r| &table.cells[r][c]).chain([&table.column_totals[c]])
                .filter(|c| c.is_suppressed()).count();
            prop_assert!(hidden != 1, "column {} has one withheld cell", c);
        }
        let margins = |totals: &Vec<_>| totals.iter().chain([&table.grand_total])
            .filter(|c: &&checkpoint_evaluation::suppression::Count| c.is_suppressed()).count();
        prop_assert!(margins(&table.row_totals) != 1);
        prop_assert!(margins(&table.column_totals) != 1);
    }

    #[test]
    fn general_lines_reach_a_fixed_point(
        values in prop::collection::vec(0u64..30, 6),
    ) {
        // A funnel: 0 = 1 + 2, 1 = 3 + 4 + 5.
        let lines = [
            Line { parts: vec![1, 2], total: 0 },
            Line { parts: vec![3, 4, 5], total: 1 },
        ];
        let counts = suppress(&values, &lines, SuppressionPolicy::default());
        for line in &lines {
            let hidden = line.parts.iter().chain([&line.total])
                .filter(|&&i| counts[i].is_suppressed()).count();
            prop_assert!(hidden != 1);
        }
    }
}
