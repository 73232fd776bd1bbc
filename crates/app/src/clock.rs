//! "Now" and "today", injected so use cases and tests agree on time. Legal dates are civil dates
//! in England and Wales (Europe/London); instants are UTC.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    /// A settable clock for tests and for generating historical demo data.
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    pub fn manual(at: Timestamp) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Moves a manual clock; a no-op on the system clock.
    pub fn set(&self, to: Timestamp) {
        if let Clock::Manual(at) = self {
            *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
        }
    }

    /// Today's date in England and Wales.
    pub fn today(&self) -> Date {
        self.now().to_zoned(london()).date()
    }
}

/// Europe/London, from the bundled time zone database so a minimal machine without tzdata
/// still computes legal dates correctly.
pub fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_follows_london_not_utc() {
        // 23:30 UTC on 30 June is 00:30 on 1 July in British Summer Time.
        let clock = Clock::manual("2026-06-30T23:30:00Z".parse().unwrap());
        assert_eq!(clock.today(), jiff::civil::date(2026, 7, 1));
        clock.set("2026-12-31T23:30:00Z".parse().unwrap());
        assert_eq!(clock.today(), jiff::civil::date(2026, 12, 31));
    }
}
