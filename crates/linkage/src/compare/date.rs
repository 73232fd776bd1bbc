//! Dates of birth: parsing with a small `%Y %m %d` pattern language, and the partial-agreement
//! tests (day/month swapped, year off by one, one field off).

use serde::{Deserialize, Serialize};

/// A date's three fields. Kept as numbers, not a calendar type, because the policy
/// `invalid = "keep"` must be able to hold a typed-in `1956-13-40` and still compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateValue {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl DateValue {
    /// Whether the date exists on the Gregorian calendar.
    pub fn is_valid(self) -> bool {
        (1..=12).contains(&self.month) && self.day >= 1 && self.day <= days_in_month(self)
    }

    /// `YYYYMMDD`, the key used for exact blocking and term frequencies.
    pub fn key(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    pub(crate) fn day_month_swapped(self, other: DateValue) -> bool {
        self.year == other.year && self.month == other.day && self.day == other.month
    }

    pub(crate) fn year_off_by_one(self, other: DateValue) -> bool {
        self.month == other.month && self.day == other.day && self.year.abs_diff(other.year) == 1
    }

    pub(crate) fn fields_differing(self, other: DateValue) -> u8 {
        u8::from(self.year != other.year)
            + u8::from(self.month != other.month)
            + u8::from(self.day != other.day)
    }
}

fn days_in_month(date: DateValue) -> u8 {
    match date.month {
        4 | 6 | 9 | 11 => 30,
        2 => {
            let y = date.year;
            if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
        _ => 31,
    }
}

/// A date pattern: `%Y` (four digits), `%m` and `%d` (one or two digits), anything else literal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DateFormat(String);

impl DateFormat {
    pub fn iso() -> DateFormat {
        DateFormat("%Y-%m-%d".to_owned())
    }

    /// Reads `text` with this pattern. Calendar validity is not checked here.
    pub fn parse(&self, text: &str) -> Result<DateValue, String> {
        let fail = || format!("`{text}` does not match the date format `{}`", self.0);
        let mut input = text.trim().as_bytes();
        let (mut year, mut month, mut day) = (None, None, None);
        let mut pattern = self.0.as_bytes();
        let mut after_directive = false;
        while let Some((&p, rest)) = pattern.split_first() {
            pattern = rest;
            if p == b'%' {
                let (&directive, rest) = pattern.split_first().ok_or_else(fail)?;
                pattern = rest;
                // Run together (`%Y%m%d`), day and month need both digits to be unambiguous;
                // between separators (`%d/%m/%Y`) one digit will do.
                let touching = after_directive || pattern.first() == Some(&b'%');
                after_directive = true;
                let (min, max) = match directive {
                    b'Y' => (4, 4),
                    _ if touching => (2, 2),
                    _ => (1, 2),
                };
                let digits = input
                    .iter()
                    .take(max)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits < min {
                    return Err(fail());
                }
                let value: u16 = std::str::from_utf8(&input[..digits])
                    .expect("digits are ASCII")
                    .parse()
                    .expect("at most four digits fit u16");
                input = &input[digits..];
                match directive {
                    b'Y' => year = Some(value),
                    b'm' => month = Some(value as u8),
                    b'd' => day = Some(value as u8),
                    _ => return Err(fail()),
                }
            } else {
                after_directive = false;
                let (&c, rest) = input.split_first().ok_or_else(fail)?;
                if c != p {
                    return Err(fail());
                }
                input = rest;
            }
        }
        match (input.is_empty(), year, month, day) {
            (true, Some(year), Some(month), Some(day)) => Ok(DateValue { year, month, day }),
            _ => Err(fail()),
        }
    }
}

impl TryFrom<String> for DateFormat {
    type Error = String;
    fn try_from(pattern: String) -> Result<Self, Self::Error> {
        let mut seen = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c == '%' {
                match chars.next() {
                    Some(d @ ('Y' | 'm' | 'd')) if !seen.contains(&d) => seen.push(d),
                    Some(d @ ('Y' | 'm' | 'd')) => return Err(format!("`%{d}` appears twice")),
                    Some(other) => {
                        return Err(format!("unknown directive `%{other}`: use %Y, %m and %d"));
                    }
                    None => return Err("the pattern ends with a lone `%`".to_owned()),
                }
            }
        }
        if seen.len() != 3 {
            return Err(format!(
                "`{pattern}` must contain each of %Y, %m and %d exactly once"
            ));
        }
        Ok(DateFormat(pattern))
    }
}

impl From<DateFormat> for String {
    fn from(format: DateFormat) -> String {
        format.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(p: &str) -> DateFormat {
        DateFormat::try_from(p.to_owned()).unwrap()
    }

    #[test]
    fn parses_common_layouts() {
        let d = DateValue {
            year: 1956,
            month: 4,
            day: 9,
        };
        assert_eq!(fmt("%Y%m%d").parse("19560409"), Ok(d));
        assert_eq!(fmt("%d/%m/%Y").parse("9/4/1956"), Ok(d));
        assert_eq!(fmt("%Y-%m-%d").parse(" 1956-04-09 "), Ok(d));
        assert!(fmt("%Y%m%d").parse("1956049").is_err());
        assert!(fmt("%Y%m%d").parse("195604091").is_err());
        assert!(fmt("%Y-%m-%d").parse("09/04/1956").is_err());
        assert!(DateFormat::try_from("%Y%m".to_owned()).is_err());
        assert!(DateFormat::try_from("%Y%m%q%d".to_owned()).is_err());
    }

    #[test]
    fn calendar_validity() {
        assert!(
            DateValue {
                year: 2000,
                month: 2,
                day: 29
            }
            .is_valid()
        );
        assert!(
            !DateValue {
                year: 1900,
                month: 2,
                day: 29
            }
            .is_valid()
        );
        assert!(
            !DateValue {
                year: 1972,
                month: 95,
                day: 18
            }
            .is_valid()
        );
    }
}
