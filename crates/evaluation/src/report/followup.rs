//! Follow-up windows and the MoJ proven-reoffending counting rule.
//!
//! A person counts for a window of `m` months only if the window **and** the proof lag have
//! elapsed by "today": `index + m months + lag ≤ today`. Their reoffences count if committed in
//! `(index, index + m months]` and, for proven reoffending, proved by `index + m months + lag`
//! (MoJ: "committed within 12 months and proved within those 12 months or a further 6-month
//! waiting period"). People whose window has not elapsed are left out, never counted as
//! non-reoffenders.

use crate::records::{CaseRecord, Reoffence};
use crate::stats::survival::Observation;
use checkpoint_domain::deadline::add_months;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Proven (conviction, caution, out-of-court outcome) or any re-arrest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Proven,
    Rearrest,
}

/// A follow-up window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// From the index date to the end of the contract (participants only).
    InContract,
    Months(u8),
}

impl Window {
    pub fn label(self) -> String {
        match self {
            Window::InContract => "in contract".to_owned(),
            Window::Months(m) => format!("{m} months"),
        }
    }
}

/// The rules for one measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpRules {
    pub measure: Measure,
    /// Months allowed after the window for an offence to be proved (MoJ: 6). Applies to the
    /// proven measure only; a re-arrest is known at once.
    pub proof_lag_months: u8,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            measure: Measure::Proven,
            proof_lag_months: 6,
        }
    }
}

impl FollowUpRules {
    fn lag(&self) -> i32 {
        match self.measure {
            Measure::Proven => i32::from(self.proof_lag_months),
            Measure::Rearrest => 0,
        }
    }

    /// The window `(start, end]` for this case, if it has one.
    pub fn window_of(&self, case: &CaseRecord, window: Window) -> Option<(Date, Date)> {
        let start = case.index_date?;
        let end = match window {
            Window::InContract => case.contract_end?,
            Window::Months(m) => add_months(start, i32::from(m)),
        };
        Some((start, end))
    }

    /// Where the case stands in `window`; for an observed window, the dates that decide which
    /// reoffences count (worked out once per case, not once per reoffence).
    fn status(
        &self,
        case: &CaseRecord,
        window: Window,
        today: Date,
    ) -> Option<WindowOutcome<Counted>> {
        let (start, end) = self.window_of(case, window)?;
        if case.monitored_until.is_some_and(|until| until < end) {
            return Some(WindowOutcome::Unmonitored);
        }
        let proved_by = add_months(end, self.lag());
        if proved_by > today {
            return Some(WindowOutcome::Pending);
        }
        Some(WindowOutcome::Observed(Counted {
            measure: self.measure,
            start,
            end,
            proved_by,
        }))
    }

    /// The case's outcome in `window`: `None` when it has no such window, `Some(Pending)` when
    /// the window has not elapsed, `Some(Unmonitored)` when arrests stop being recorded for the
    /// case before the window ends, otherwise the reoffences that count.
    pub fn outcome(&self, case: &CaseRecord, window: Window, today: Date) -> Option<WindowOutcome> {
        let status = self.status(case, window, today)?;
        Some(status.map_observed(|counted| counted.among(case).copied().collect()))
    }

    /// [`FollowUpRules::outcome`] with only the number of reoffences that count, for the
    /// tallies that need no more (it allocates nothing).
    pub fn outcome_count(
        &self,
        case: &CaseRecord,
        window: Window,
        today: Date,
    ) -> Option<WindowCount> {
        let status = self.status(case, window, today)?;
        Some(status.map_observed(|counted| counted.among(case).count() as u64))
    }

    /// Time to first counted reoffence in days, censored at `horizon_months`, at the last
    /// date whose offences can have been proved by `today`, or at the end of monitoring,
    /// whichever is earliest. `None` without an index date, or when that is before the index
    /// date.
    pub fn time_to_first(
        &self,
        case: &CaseRecord,
        horizon_months: u8,
        today: Date,
    ) -> Option<Observation> {
        let start = case.index_date?;
        let observed_until = add_months(today, -self.lag());
        let mut end = add_months(start, i32::from(horizon_months)).min(observed_until);
        if let Some(until) = case.monitored_until {
            end = end.min(until);
        }
        if end < start {
            return None;
        }
        let first = case
            .reoffences
            .iter()
            .filter(|r| {
                start < r.offence_date
                    && r.offence_date <= end
                    && match self.measure {
                        Measure::Rearrest => true,
                        Measure::Proven => r.proven_date.is_some_and(|p| p <= today),
                    }
            })
            .map(|r| r.offence_date)
            .min();
        Some(match first {
            Some(date) => Observation::event(days_between(start, date)),
            None => Observation::censored(days_between(start, end)),
        })
    }
}

/// Which reoffences count in an observed window `(start, end]`.
struct Counted {
    measure: Measure,
    start: Date,
    end: Date,
    /// Proven reoffending: proved by this date (the window's end plus the proof lag).
    proved_by: Date,
}

impl Counted {
    fn includes(&self, reoffence: &Reoffence) -> bool {
        let committed = self.start < reoffence.offence_date && reoffence.offence_date <= self.end;
        committed
            && match self.measure {
                Measure::Rearrest => true,
                Measure::Proven => reoffence
                    .proven_date
                    .is_some_and(|proved| proved <= self.proved_by),
            }
    }

    /// The case's reoffences that count.
    fn among<'c>(&self, case: &'c CaseRecord) -> impl Iterator<Item = &'c Reoffence> {
        case.reoffences.iter().filter(|r| self.includes(r))
    }
}

/// A case's result in one window: by default with the reoffences that count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowOutcome<Observed = Vec<Reoffence>> {
    Pending,
    /// Monitoring of the case ends before the window does: it can never be measured.
    Unmonitored,
    Observed(Observed),
}

/// [`WindowOutcome`] with the number of reoffences instead of the reoffences.
pub type WindowCount = WindowOutcome<u64>;

impl<T> WindowOutcome<T> {
    fn map_observed<U>(self, f: impl FnOnce(T) -> U) -> WindowOutcome<U> {
        match self {
            WindowOutcome::Pending => WindowOutcome::Pending,
            WindowOutcome::Unmonitored => WindowOutcome::Unmonitored,
            WindowOutcome::Observed(found) => WindowOutcome::Observed(f(found)),
        }
    }
}

pub(crate) fn days_between(from: Date, to: Date) -> f64 {
    f64::from(checkpoint_domain::deadline::days_between(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::accepted_case as case;
    use checkpoint_domain::offence::OffenceCategory;
    use jiff::civil::date;

    fn offence(committed: Date, proved: Option<Date>) -> Reoffence {
        Reoffence {
            offence_date: committed,
            proven_date: proved,
            category: OffenceCategory::Theft,
        }
    }

    #[test]
    fn twelve_month_window_waits_for_the_six_month_lag() {
        let rules = FollowUpRules::default();
        let c = case(date(2024, 1, 15), vec![]);
        // Window ends 2025-01-15; with the lag, it counts from 2025-07-15.
        assert_eq!(
            rules.outcome(&c, Window::Months(12), date(2025, 7, 14)),
            Some(WindowOutcome::Pending)
        );
        assert_eq!(
            rules.outcome(&c, Window::Months(12), date(2025, 7, 15)),
            Some(WindowOutcome::Observed(vec![]))
        );
    }

    #[test]
    fn offence_must_be_committed_in_window_and_proved_within_the_lag() {
        let rules = FollowUpRules::default();
        let inside = offence(date(2024, 12, 1), Some(date(2025, 7, 1)));
        let proved_too_late = offence(date(2024, 12, 2), Some(date(2025, 8, 1)));
        let committed_after = offence(date(2025, 2, 1), Some(date(2025, 3, 1)));
        let never_proved = offence(date(2024, 6, 1), None);
        let c = case(
            date(2024, 1, 15),
            vec![inside, proved_too_late, committed_after, never_proved],
        );
        assert_eq!(
            rules.outcome(&c, Window::Months(12), date(2026, 1, 1)),
            Some(WindowOutcome::Observed(vec![inside]))
        );
        let rearrest = FollowUpRules {
            measure: Measure::Rearrest,
            ..rules
        };
        match rearrest.outcome(&c, Window::Months(12), date(2026, 1, 1)) {
            Some(WindowOutcome::Observed(found)) => assert_eq!(found.len(), 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_count_of_an_outcome_is_the_number_of_reoffences_it_lists() {
        let reoffences = vec![
            offence(date(2024, 2, 1), Some(date(2024, 3, 1))),
            offence(date(2024, 12, 1), Some(date(2025, 7, 1))),
            offence(date(2024, 12, 2), Some(date(2025, 8, 1))),
            offence(date(2025, 6, 1), None),
        ];
        let mut monitored = case(date(2024, 1, 15), reoffences.clone());
        monitored.monitored_until = Some(date(2025, 3, 1));
        let cases = [case(date(2024, 1, 15), reoffences), monitored];
        for measure in [Measure::Proven, Measure::Rearrest] {
            let rules = FollowUpRules {
                measure,
                proof_lag_months: 6,
            };
            for window in [Window::Months(3), Window::Months(12), Window::Months(24)] {
                for today in [date(2024, 6, 1), date(2025, 7, 15), date(2027, 1, 1)] {
                    for c in &cases {
                        let expected = rules.outcome(c, window, today).map(|o| match o {
                            WindowOutcome::Pending => WindowCount::Pending,
                            WindowOutcome::Unmonitored => WindowCount::Unmonitored,
                            WindowOutcome::Observed(found) => {
                                WindowCount::Observed(found.len() as u64)
                            }
                        });
                        assert_eq!(rules.outcome_count(c, window, today), expected);
                    }
                }
            }
        }
    }

    #[test]
    fn a_window_ending_after_monitoring_stops_is_not_measured() {
        let rules = FollowUpRules {
            measure: Measure::Rearrest,
            ..FollowUpRules::default()
        };
        let mut c = case(date(2024, 1, 15), vec![offence(date(2025, 6, 1), None)]);
        c.monitored_until = Some(date(2025, 1, 15));
        assert_eq!(
            rules.outcome(&c, Window::Months(12), date(2027, 1, 1)),
            Some(WindowOutcome::Observed(vec![]))
        );
        assert_eq!(
            rules.outcome(&c, Window::Months(24), date(2027, 1, 1)),
            Some(WindowOutcome::Unmonitored)
        );
        // Time to first reoffence is censored where monitoring stopped (366 days).
        let observation = rules.time_to_first(&c, 24, date(2027, 1, 1)).unwrap();
        assert!(!observation.event);
        assert_eq!(observation.time, 366.0);
    }

    #[test]
    fn time_to_first_is_censored_at_today_minus_lag() {
        let rules = FollowUpRules::default();
        let c = case(date(2024, 1, 1), vec![]);
        let observation = rules.time_to_first(&c, 24, date(2024, 12, 1)).unwrap();
        assert!(!observation.event);
        assert_eq!(observation.time, 152.0); // 2024-01-01 → 2024-06-01 (31+29+31+30+31)
    }
}
