//! Published worked examples, reproduced. Each test cites the source whose printed figures it
//! checks; the expected numbers are copied from those sources, never computed here.

use checkpoint_evaluation::stats::hazard::hazard_ratio_observed_expected;
use checkpoint_evaluation::stats::logrank::LogRank;
use checkpoint_evaluation::stats::proportion::{
    wilson_interval, wilson_interval_continuity_corrected,
};
use checkpoint_evaluation::stats::survival::{KaplanMeier, Observation};
use checkpoint_evaluation::stats::two_proportions::{
    odds_ratio_woolf, relative_risk_log, risk_difference_newcombe,
};
use checkpoint_evaluation::stats::{Interval, Z_95, z_for_confidence};

/// Published figures are rounded to 4 decimal places.
fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: expected {expected}, got {actual}"
    );
}

fn assert_interval(actual: Interval, lower: f64, upper: f64, tolerance: f64, what: &str) {
    assert_close(actual.lower, lower, tolerance, &format!("{what} lower"));
    assert_close(actual.upper, upper, tolerance, &format!("{what} upper"));
}

const FOUR_DP: f64 = 0.000_051;

// Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison of
// seven methods", Statistics in Medicine 17:857–872, Table II: the four example proportions,
// method 3 (Wilson score) and method 4 (score with continuity correction).
#[test]
fn wilson_score_newcombe_1998_single_proportion_method_3() {
    let cases = [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ];
    for (r, n, lower, upper) in cases {
        let interval = wilson_interval(r, n, Z_95).unwrap();
        assert_interval(interval, lower, upper, FOUR_DP, &format!("{r}/{n}"));
    }
}

#[test]
fn wilson_score_continuity_corrected_newcombe_1998_single_proportion_method_4() {
    let cases = [
        (81, 263, 0.2535, 0.3682),
        (15, 148, 0.0598, 0.1644),
        (0, 20, 0.0000, 0.2005),
        (1, 29, 0.0018, 0.1963),
    ];
    for (r, n, lower, upper) in cases {
        let interval = wilson_interval_continuity_corrected(r, n, Z_95).unwrap();
        assert_interval(interval, lower, upper, FOUR_DP, &format!("{r}/{n}"));
    }
}

// Newcombe RG (1998) "Interval estimation for the difference between independent proportions:
// comparison of eleven methods", Statistics in Medicine 17:873–890, Table II, method 10 (hybrid
// score, no continuity correction), examples (a)–(h).
#[test]
fn risk_difference_newcombe_1998_difference_method_10() {
    let cases = [
        ((56, 70), (48, 80), 0.0524, 0.3339),
        ((9, 10), (3, 10), 0.1705, 0.8090),
        ((6, 7), (2, 7), 0.0582, 0.8062),
        ((5, 56), (0, 29), -0.0381, 0.1926),
        ((0, 10), (0, 20), -0.1611, 0.2775),
        ((0, 10), (0, 10), -0.2775, 0.2775),
        ((10, 10), (0, 20), 0.6791, 1.0000),
        ((10, 10), (0, 10), 0.6075, 1.0000),
    ];
    for ((a, n1), (b, n2), lower, upper) in cases {
        let rd = risk_difference_newcombe(a, n1, b, n2, Z_95).unwrap();
        assert_interval(
            rd.interval,
            lower,
            upper,
            FOUR_DP,
            &format!("{a}/{n1} − {b}/{n2}"),
        );
    }
    let first = risk_difference_newcombe(56, 70, 48, 80, Z_95).unwrap();
    assert_close(
        first.estimate,
        0.2000,
        1e-12,
        "56/70 − 48/80 point estimate",
    );
}

// Altman DG (1991) Practical Statistics for Medical Research, Chapman & Hall, §10.11.1,
// Table 10.23 (Kurjak et al. 1978): Apgar < 7 in 2/16 symmetric vs 33/91 asymmetric
// growth-retarded babies. RR 0.345, ln RR −1.0651, SE 0.676, 90% CI 0.11 to 1.05.
#[test]
fn relative_risk_altman_1991_apgar_example() {
    let z90 = z_for_confidence(0.90);
    let rr = relative_risk_log(2, 16, 33, 91, z90).unwrap();
    assert_close(rr.estimate, 0.345, 0.0005, "RR");
    assert_close(rr.estimate.ln(), -1.0651, 0.00005, "ln RR");
    let se = (rr.interval.upper.ln() - rr.estimate.ln()) / z90;
    assert_close(se, 0.676, 0.0005, "SE(ln RR)");
    assert_interval(rr.interval, 0.11, 1.05, 0.005, "90% CI");
}

// Altman (1991) §10.11.2, Table 10.10: dental enamel erosion and swimming, 32 exposed of 150
// cases vs 17 of 144 controls. OR (32×127)/(118×17) = 2.026, 95% CI 1.069 to 3.840.
#[test]
fn odds_ratio_altman_1991_dental_erosion_example() {
    let or = odds_ratio_woolf(32, 150, 17, 144, Z_95).unwrap();
    assert_close(or.estimate, 2.026, 0.0005, "OR");
    // Altman rounds ln OR and its SE to 3 dp before exponentiating, hence the looser tolerance.
    assert_interval(or.interval, 1.069, 3.840, 0.005, "95% CI");
}

/// Freireich et al. (1963) remission times (weeks), as printed in Kleinbaum DG & Klein M,
/// *Survival Analysis: A Self-Learning Text*, 3rd ed., Springer 2012, Ch. 2 (and in Klein &
/// Moeschberger, *Survival Analysis*, 2nd ed., Table 1.1).
fn six_mp() -> Vec<Observation> {
    let events = [6, 6, 6, 7, 10, 13, 16, 22, 23];
    let censored = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35];
    events
        .iter()
        .map(|&t| Observation::event(f64::from(t)))
        .chain(
            censored
                .iter()
                .map(|&t| Observation::censored(f64::from(t))),
        )
        .collect()
}

fn placebo() -> Vec<Observation> {
    [
        1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
    ]
    .iter()
    .map(|&t| Observation::event(f64::from(t)))
    .collect()
}

// Kleinbaum & Klein (2012) Ch. 2, KM table for the 6-MP group; the Greenwood standard errors
// are those of Klein & Moeschberger (2003) Table 4.1A for the same data.
#[test]
fn kaplan_meier_six_mp_kleinbaum_klein() {
    let curve = KaplanMeier::fit(&six_mp(), Z_95);
    let expected = [
        (6.0, 21, 3, 0.857, 0.076),
        (7.0, 17, 1, 0.807, 0.087),
        (10.0, 15, 1, 0.753, 0.096),
        (13.0, 12, 1, 0.690, 0.107),
        (16.0, 11, 1, 0.627, 0.114),
        (22.0, 7, 1, 0.538, 0.128),
        (23.0, 6, 1, 0.448, 0.135),
    ];
    assert_eq!(curve.steps.len(), expected.len());
    for (step, (time, at_risk, events, survival, se)) in curve.steps.iter().zip(expected) {
        assert_eq!(step.time, time);
        assert_eq!(step.at_risk, at_risk, "n at risk at {time}");
        assert_eq!(step.events, events, "events at {time}");
        assert_close(step.survival, survival, 0.0005, &format!("S({time})"));
        assert_close(step.standard_error, se, 0.0005, &format!("SE at {time}"));
    }
    // Kleinbaum & Klein: median remission 23 weeks (6-MP) vs 8 weeks (placebo).
    assert_eq!(curve.median(), Some(23.0));
    assert_eq!(KaplanMeier::fit(&placebo(), Z_95).median(), Some(8.0));
}

// Kleinbaum & Klein (2012) Ch. 2, log-rank test for the remission data: O₁ = 9, E₁ = 19.25
// (6-MP), O₂ = 21, E₂ = 10.75 (placebo), O₂ − E₂ = 10.25, log-rank statistic 16.79 on 1 df,
// P < 0.0001.
#[test]
fn log_rank_six_mp_vs_placebo_kleinbaum_klein() {
    let test = LogRank::test(&[six_mp(), placebo()]).unwrap();
    assert_eq!(test.groups[0].observed, 9.0);
    assert_eq!(test.groups[1].observed, 21.0);
    assert_close(test.groups[0].expected, 19.25, 0.01, "E 6-MP");
    assert_close(test.groups[1].expected, 10.75, 0.01, "E placebo");
    assert_close(
        test.groups[1].observed - test.groups[1].expected,
        10.25,
        0.01,
        "O − E placebo",
    );
    assert_close(test.chi_square, 16.79, 0.005, "chi-square");
    assert_eq!(test.degrees_of_freedom, 1);
    assert!(test.p_value < 0.0001, "p = {}", test.p_value);

    // The (O/E) hazard ratio follows from the published O and E: (21/10.75)/(9/19.25) ≈ 4.18.
    let placebo_first = LogRank::test(&[placebo(), six_mp()]).unwrap();
    let hr = hazard_ratio_observed_expected(&placebo_first, Z_95).unwrap();
    assert_close(hr.estimate, (21.0 / 10.75) / (9.0 / 19.25), 0.01, "HR");
    assert!(hr.interval.lower > 1.0);
}
