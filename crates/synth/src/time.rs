//! Small date and time helpers. Legal dates are civil dates; instants are built from a London
//! wall-clock time so a demo's custody times look like office hours in any season.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
}

/// The instant of `hour:minute` London time on `date`.
pub fn at(date: Date, hour: i8, minute: i8) -> Timestamp {
    date.at(hour, minute, 0, 0)
        .to_zoned(london())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The London civil date of an instant.
pub fn date_of(at: Timestamp) -> Date {
    at.to_zoned(london()).date()
}

pub fn plus_days(date: Date, days: i64) -> Date {
    date.checked_add((days as i32).days()).unwrap_or(date)
}

pub fn plus_minutes(at: Timestamp, minutes: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_mins(minutes))
        .unwrap_or(at)
}

/// Months (of 30.4375 days) between two dates, as a real number.
pub fn months_between(from: Date, to: Date) -> f64 {
    let days = checkpoint_domain::deadline::days_between(from, to);
    f64::from(days) / 30.4375
}

/// The date `months` (real) after `from`.
pub fn plus_months(from: Date, months: f64) -> Date {
    plus_days(from, (months * 30.4375).round() as i64)
}

/// Day-of-month/month/year as custody systems print it (`07/03/1994`).
pub fn uk_format(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}
