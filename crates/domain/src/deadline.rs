//! The prosecution deadline and the contract dates it constrains.
//!
//! Magistrates' Courts Act 1980 s.127: a magistrates' court may not try an information for a
//! summary-only offence unless it was laid within six months of the offence (for a continuing
//! offence, of its last day). Either-way and indictable offences have no such limit. A diversion
//! contract that fails after the limit can no longer be prosecuted (Home Office outcome 17), so
//! a contract must end early enough to leave a margin for a failed case to be charged.
//!
//! All dates here are civil dates. Month arithmetic clamps to the end of the month: an offence
//! on 31 August reaches its limit on 28 (or 29) February.

use crate::offence::ModeOfTrial;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Months allowed by s.127 to lay an information for a summary-only offence.
pub const SUMMARY_TIME_LIMIT_MONTHS: i8 = 6;

/// The last day on which proceedings can be started, or `None` when no statutory limit applies.
pub fn prosecution_deadline(mode: ModeOfTrial, offence_date: Date) -> Option<Date> {
    match mode {
        ModeOfTrial::SummaryOnly => Some(add_months(
            offence_date,
            i32::from(SUMMARY_TIME_LIMIT_MONTHS),
        )),
        ModeOfTrial::EitherWay | ModeOfTrial::IndictableOnly => None,
    }
}

/// `date` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
/// Saturates at the end of the supported calendar rather than failing.
pub fn add_months(date: Date, months: i32) -> Date {
    // Plain month arithmetic rather than `Date + Span`: reports call this several times for
    // each of a million cases, and jiff's span addition is general (any unit, any
    // calendar), hence several times slower. A proptest pins the two to the same answers.
    let saturated = if months >= 0 { Date::MAX } else { Date::MIN };
    let months_since_year_zero =
        i64::from(date.year()) * 12 + i64::from(date.month() - 1) + i64::from(months);
    let (Ok(year), Ok(month)) = (
        i16::try_from(months_since_year_zero.div_euclid(12)),
        i8::try_from(months_since_year_zero.rem_euclid(12) + 1),
    ) else {
        return saturated;
    };
    let Ok(first_of_month) = Date::new(year, month, 1) else {
        return saturated;
    };
    first_of_month
        .with()
        .day(date.day().min(first_of_month.days_in_month()))
        .build()
        .unwrap_or(saturated)
}

/// `date` plus a number of days, saturating at the calendar's ends.
pub fn add_days(date: Date, days: i32) -> Date {
    date.checked_add(days.days())
        .unwrap_or(if days >= 0 { Date::MAX } else { Date::MIN })
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i32 {
    // A duration between civil dates is a whole number of 24-hour days (no time zone), and
    // civil dates are at most ~7.3 million days apart, which fits i32. Cheaper than a `Span`,
    // which reports compute for a million cases.
    i32::try_from(from.duration_until(to).as_secs() / 86_400).unwrap_or(0)
}

/// A scheme's nominal contract length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ContractLength {
    Months(i8),
    Weeks(i16),
    Days(i16),
}

impl ContractLength {
    pub fn end_from(self, start: Date) -> Date {
        match self {
            ContractLength::Months(m) => add_months(start, i32::from(m)),
            ContractLength::Weeks(w) => add_days(start, i32::from(w) * 7),
            ContractLength::Days(d) => add_days(start, i32::from(d)),
        }
    }

    pub fn describe(self) -> String {
        match self {
            ContractLength::Months(m) => format!("{m} months"),
            ContractLength::Weeks(w) => format!("{w} weeks"),
            ContractLength::Days(d) => format!("{d} days"),
        }
    }
}

/// How a scheme protects the prosecution deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineRule {
    /// Days before the deadline by which the contract must end, leaving time to charge a failure.
    pub margin_days: u16,
    /// A contract shorter than this is too short to be worth offering.
    pub minimum_contract_days: u16,
}

/// The contract dates for a case, after clamping to the prosecution deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractDates {
    pub start: Date,
    /// Start plus the scheme's nominal length.
    pub nominal_end: Date,
    /// The end date actually set: the nominal end, or earlier when the deadline demands.
    pub end: Date,
    /// The s.127 deadline, for summary-only offences.
    pub prosecution_deadline: Option<Date>,
    /// The deadline minus the margin: the last day a contract may run to.
    pub latest_end: Option<Date>,
    /// The end date was brought forward to respect the deadline.
    pub clamped: bool,
    pub length_days: i32,
    /// Shorter than the scheme's minimum (or no time at all): the decision says so.
    pub too_short: bool,
}

/// Sets a contract's dates: `end = min(start + length, deadline − margin)`.
pub fn plan_contract(
    start: Date,
    length: ContractLength,
    deadline: Option<Date>,
    rule: DeadlineRule,
) -> ContractDates {
    let nominal_end = length.end_from(start);
    let latest_end = deadline.map(|d| add_days(d, -i32::from(rule.margin_days)));
    let (end, clamped) = match latest_end {
        Some(latest) if latest < nominal_end => (latest.max(start), true),
        _ => (nominal_end, false),
    };
    let length_days = days_between(start, end);
    let no_time_at_all = latest_end.is_some_and(|latest| latest <= start);
    ContractDates {
        start,
        nominal_end,
        end,
        prosecution_deadline: deadline,
        latest_end,
        clamped,
        length_days,
        too_short: no_time_at_all || length_days < i32::from(rule.minimum_contract_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Span;
    use jiff::civil::date;
    use proptest::prelude::*;

    const RULE: DeadlineRule = DeadlineRule {
        margin_days: 14,
        minimum_contract_days: 28,
    };

    #[test]
    fn summary_only_offences_have_a_six_month_limit() {
        assert_eq!(
            prosecution_deadline(ModeOfTrial::SummaryOnly, date(2026, 1, 10)),
            Some(date(2026, 7, 10))
        );
        assert_eq!(
            prosecution_deadline(ModeOfTrial::EitherWay, date(2026, 1, 10)),
            None
        );
        assert_eq!(
            prosecution_deadline(ModeOfTrial::IndictableOnly, date(2026, 1, 10)),
            None
        );
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        assert_eq!(add_months(date(2026, 1, 31), 1), date(2026, 2, 28));
        assert_eq!(add_months(date(2028, 1, 31), 1), date(2028, 2, 29));
        assert_eq!(add_months(date(2026, 3, 31), 1), date(2026, 4, 30));
        assert_eq!(
            prosecution_deadline(ModeOfTrial::SummaryOnly, date(2025, 8, 31)),
            Some(date(2026, 2, 28))
        );
    }

    #[test]
    fn contract_is_clamped_to_deadline_minus_margin() {
        // Offence 1 Jan, referred 1 Mar: deadline 1 Jul, latest end 17 Jun, nominal end 1 Jul.
        let deadline = prosecution_deadline(ModeOfTrial::SummaryOnly, date(2026, 1, 1));
        let plan = plan_contract(date(2026, 3, 1), ContractLength::Months(4), deadline, RULE);
        assert_eq!(plan.nominal_end, date(2026, 7, 1));
        assert_eq!(plan.end, date(2026, 6, 17));
        assert!(plan.clamped);
        assert!(!plan.too_short);
    }

    #[test]
    fn contract_too_short_when_deadline_is_near() {
        let deadline = prosecution_deadline(ModeOfTrial::SummaryOnly, date(2026, 1, 1));
        let plan = plan_contract(date(2026, 6, 1), ContractLength::Months(4), deadline, RULE);
        assert!(plan.clamped);
        assert!(plan.too_short);
        assert_eq!(plan.end, date(2026, 6, 17));
        let past = plan_contract(date(2026, 6, 30), ContractLength::Months(4), deadline, RULE);
        assert!(past.too_short);
        assert_eq!(past.end, past.start, "never ends before it starts");
    }

    #[test]
    fn either_way_offence_keeps_the_full_length() {
        let plan = plan_contract(date(2026, 3, 1), ContractLength::Weeks(16), None, RULE);
        assert_eq!(plan.end, date(2026, 6, 21));
        assert!(!plan.clamped);
        assert_eq!(plan.length_days, 112);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1990i16..2100, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            let last = date(y, m, 1).days_in_month();
            date(y, m, d.min(last))
        })
    }

    fn any_length() -> impl Strategy<Value = ContractLength> {
        prop_oneof![
            (1i8..=12).prop_map(ContractLength::Months),
            (1i16..=52).prop_map(ContractLength::Weeks),
            (1i16..=365).prop_map(ContractLength::Days),
        ]
    }

    proptest! {
        #[test]
        fn adding_months_never_overshoots_the_target_month(d in any_date(), m in 1i32..=240) {
            let later = add_months(d, m);
            let months = (i32::from(later.year()) - i32::from(d.year())) * 12
                + i32::from(later.month()) - i32::from(d.month());
            prop_assert_eq!(months, m);
            prop_assert!(later.day() <= d.day());
        }

        #[test]
        fn month_and_day_arithmetic_agree_with_jiff_spans(
            year in -9999i16..=9999,
            month in 1i8..=12,
            day in 1i8..=31,
            months in -240_000i32..=240_000,
            other in any_date(),
        ) {
            // The hand-written arithmetic must give jiff's own answer everywhere, including
            // the clamped month ends and saturation at the calendar's limits.
            let Ok(d) = Date::new(year, month, day) else { return Ok(()) };
            let by_span = d
                .checked_add(Span::new().months(months))
                .unwrap_or(if months >= 0 { Date::MAX } else { Date::MIN });
            prop_assert_eq!(add_months(d, months), by_span);
            prop_assert_eq!(days_between(d, other), d.until(other).unwrap().get_days());
        }

        #[test]
        fn deadline_is_after_the_offence_and_within_six_months(d in any_date()) {
            let deadline = prosecution_deadline(ModeOfTrial::SummaryOnly, d).unwrap();
            prop_assert!(deadline > d);
            prop_assert!(days_between(d, deadline) <= 184);
            prop_assert!(days_between(d, deadline) >= 181);
        }

        #[test]
        fn planned_contract_respects_every_bound(
            offence in any_date(),
            gap in 0i32..400,
            length in any_length(),
            margin in 0u16..60,
            minimum in 0u16..120,
            summary in any::<bool>(),
        ) {
            let mode = if summary { ModeOfTrial::SummaryOnly } else { ModeOfTrial::EitherWay };
            let start = add_days(offence, gap);
            let deadline = prosecution_deadline(mode, offence);
            let rule = DeadlineRule { margin_days: margin, minimum_contract_days: minimum };
            let plan = plan_contract(start, length, deadline, rule);
            prop_assert!(plan.end >= plan.start);
            prop_assert!(plan.end <= plan.nominal_end);
            prop_assert_eq!(plan.length_days, days_between(plan.start, plan.end));
            if let Some(latest) = plan.latest_end {
                // Either the contract fits before the margin, or it is flagged too short.
                prop_assert!(plan.end <= latest || plan.too_short);
                prop_assert!(plan.end <= plan.prosecution_deadline.unwrap() || plan.too_short);
            } else {
                prop_assert!(!plan.clamped);
            }
            let no_time = plan.latest_end.is_some_and(|latest| latest <= start);
            prop_assert_eq!(plan.too_short, no_time || plan.length_days < i32::from(minimum));
        }
    }
}
