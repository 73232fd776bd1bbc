//! Small helpers for plain-English output.

use jiff::civil::Date;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2026-03-04` → `4 March 2026`: the form a custody record or a court letter uses.
pub fn date_in_words(date: Date) -> String {
    let month = usize::try_from(date.month() - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("?");
    format!("{} {month} {}", date.day(), date.year())
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_read_as_words() {
        assert_eq!(date_in_words(date(2026, 3, 4)), "4 March 2026");
        assert_eq!(date_in_words(date(2025, 12, 31)), "31 December 2025");
    }

    #[test]
    fn names_join_with_and() {
        assert_eq!(join_names([].into_iter()), "");
        assert_eq!(join_names(["a"].into_iter()), "a");
        assert_eq!(join_names(["a", "b", "c"].into_iter()), "a, b and c");
    }
}
