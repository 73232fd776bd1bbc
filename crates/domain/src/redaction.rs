//! Pseudonymisation at the end of a record's life (MoPI review; DPA 2018 Part 3).
//!
//! When every case of a person has been disposed of, their direct identifiers go and free text
//! that might name them is cleaned, but everything evaluation counts stays: sex, ethnicity,
//! age at each referral, dates, states and codes. This module is the pure part: which strings
//! identify a person, how to clean text and JSON of them, the stable pseudonym, and a
//! stand-in date of birth that keeps the person's age at every referral.

use crate::person::age_in_years;
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What replaces an identifier found inside text.
pub const REDACTED: &str = "[redacted]";
/// What replaces a free-text note as a whole.
pub const NOTE_REMOVED: &str = "[note removed at retention review]";
/// JSON keys whose string values are free-text notes, removed whole rather than cleaned.
pub const NOTE_KEYS: [&str; 2] = ["note", "notes"];

/// The identifying strings of one person, as recorded anywhere in their records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identifiers {
    /// Lower-case name parts (given and family names split on spaces, hyphens and
    /// apostrophes), matched as whole words. Parts of one letter are ignored.
    name_parts: Vec<String>,
    /// Lower-case identifiers matched anywhere: dates of birth in the usual spellings,
    /// postcodes with and without their space, PNC ids, custody record numbers.
    exact: Vec<String>,
}

impl Identifiers {
    pub fn new() -> Identifiers {
        Identifiers::default()
    }

    /// Adds a name (given or family); its parts are matched as whole words.
    pub fn name(mut self, name: &str) -> Identifiers {
        for part in name.split(|c: char| c.is_whitespace() || c == '-' || c == '\'' || c == '’') {
            let part = part.trim().to_lowercase();
            if part.chars().count() > 1 && !self.name_parts.contains(&part) {
                self.name_parts.push(part);
            }
        }
        self
    }

    /// Adds a date of birth in ISO (`1990-03-07`) and British (`07/03/1990`) spellings.
    pub fn date_of_birth(self, dob: Date) -> Identifiers {
        let british = format!("{:02}/{:02}/{:04}", dob.day(), dob.month(), dob.year());
        self.exact(&dob.to_string()).exact(&british)
    }

    /// Adds a postcode, with and without its space.
    pub fn postcode(self, postcode: &str) -> Identifiers {
        let compact: String = postcode.split_whitespace().collect();
        self.exact(postcode.trim()).exact(&compact)
    }

    /// Adds an identifier matched wherever it occurs (PNC id, custody record number).
    pub fn exact(mut self, text: &str) -> Identifiers {
        let text = text.trim().to_lowercase();
        if text.chars().count() > 2 && !self.exact.contains(&text) {
            self.exact.push(text);
        }
        self
    }

    /// `text` with every identifier replaced by [`REDACTED`]; `None` when nothing matched.
    pub fn redact_text(&self, text: &str) -> Option<String> {
        let mut spans = Vec::new();
        let lower = lowercase_with_offsets(text);
        for needle in &self.exact {
            find_all(&lower, needle, |_, _| true, &mut spans);
        }
        for part in &self.name_parts {
            find_all(&lower, part, |before, after| !before && !after, &mut spans);
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            if start < at {
                // Overlaps an identifier already replaced: extend it.
                at = at.max(end);
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
            at = end;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    /// Cleans every string in `value` in place: values under [`NOTE_KEYS`] are replaced whole,
    /// others have their identifiers redacted. Keys are left alone (they are field names).
    /// Returns whether anything changed.
    pub fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(text) => match self.redact_text(text) {
                Some(clean) => {
                    *text = clean;
                    true
                }
                None => false,
            },
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.redact_json(item) | changed),
            Value::Object(fields) => fields.iter_mut().fold(false, |changed, (key, item)| {
                let removed = match item {
                    Value::String(text) if NOTE_KEYS.contains(&key.as_str()) => {
                        if text.is_empty() || text == NOTE_REMOVED {
                            false
                        } else {
                            *text = NOTE_REMOVED.to_owned();
                            true
                        }
                    }
                    _ => self.redact_json(item),
                };
                removed | changed
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
}

/// The text lower-cased, with each lower-case byte offset mapped back to the original text's
/// byte offset (lower-casing can change a character's length).
struct Lowered {
    text: String,
    /// `original[i]` is the offset in the original text of the character that produced byte
    /// `i` of `text`; one extra entry holds the original length.
    original: Vec<usize>,
}

fn lowercase_with_offsets(text: &str) -> Lowered {
    let mut lowered = String::with_capacity(text.len());
    let mut original = Vec::with_capacity(text.len() + 1);
    for (offset, c) in text.char_indices() {
        for l in c.to_lowercase() {
            let before = lowered.len();
            lowered.push(l);
            original.extend(std::iter::repeat_n(offset, lowered.len() - before));
        }
    }
    original.push(text.len());
    Lowered {
        text: lowered,
        original,
    }
}

/// Pushes the original-text spans of every occurrence of `needle` in `haystack` for which
/// `accept(letter_before, letter_after)` holds.
fn find_all(
    haystack: &Lowered,
    needle: &str,
    accept: impl Fn(bool, bool) -> bool,
    spans: &mut Vec<(usize, usize)>,
) {
    let text = &haystack.text;
    let mut from = 0;
    while let Some(found) = text[from..].find(needle) {
        let start = from + found;
        let end = start + needle.len();
        let before = text[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let after = text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric);
        if accept(before, after) {
            let original_end = haystack.original[end];
            spans.push((haystack.original[start], original_end));
        }
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
}

/// A stable pseudonym for a person: the same id always gives the same pseudonym, and it
/// reveals nothing about the person.
pub fn pseudonym(person_id: &[u8]) -> String {
    let digest = Sha256::digest(person_id);
    format!("PSN-{}", hex::encode_upper(&digest[..6]))
}

/// A stand-in date of birth giving the same age in whole years on every one of `on_dates` as
/// `dob` does, so reports by age band are unchanged once the real date is gone. It is the
/// latest such date: a birthday on the earliest day the ages allow.
pub fn surrogate_date_of_birth(dob: Date, on_dates: &[Date]) -> Date {
    on_dates
        .iter()
        .map(|&on| {
            let age = age_in_years(dob, on);
            on.checked_sub(i64::from(age).years()).unwrap_or(dob)
        })
        .min()
        .map_or(dob, |latest| latest.max(dob))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn identifiers() -> Identifiers {
        Identifiers::new()
            .name("Siobhán")
            .name("O'Brien-Smith")
            .date_of_birth(date(1990, 3, 7))
            .postcode("QX1 4AB")
            .exact("12/345678Z")
    }

    #[test]
    fn names_are_redacted_as_whole_words_only() {
        let ids = identifiers();
        assert_eq!(
            ids.redact_text("Saw SIOBHÁN o'brien-smith at home; Smithson called.")
                .as_deref(),
            Some("Saw [redacted] o'[redacted]-[redacted] at home; Smithson called.")
        );
        assert_eq!(ids.redact_text("Smithson and Brienne"), None);
    }

    #[test]
    fn dates_postcodes_and_ids_are_redacted_anywhere() {
        let ids = identifiers();
        assert_eq!(
            ids.redact_text("dob 07/03/1990 (1990-03-07), lives QX14AB, PNC 12/345678Z")
                .as_deref(),
            Some("dob [redacted] ([redacted]), lives [redacted], PNC [redacted]")
        );
    }

    #[test]
    fn json_notes_go_whole_and_other_strings_are_cleaned() {
        let ids = identifiers();
        let mut value = serde_json::json!({
            "note": "Spoke to her about debt",
            "reason": "Siobhán moved to QX1 4AB",
            "outcome_code": 22,
            "evidence": ["born 1990-03-07", "adult"],
            "Siobhán": "keys stay"
        });
        assert!(ids.redact_json(&mut value));
        assert_eq!(
            value,
            serde_json::json!({
                "note": NOTE_REMOVED,
                "reason": "[redacted] moved to [redacted]",
                "outcome_code": 22,
                "evidence": ["born [redacted]", "adult"],
                "Siobhán": "keys stay"
            })
        );
        assert!(
            !ids.redact_json(&mut value),
            "a second pass changes nothing"
        );
    }

    #[test]
    fn pseudonyms_are_stable_and_distinct() {
        assert_eq!(pseudonym(b"a"), pseudonym(b"a"));
        assert_ne!(pseudonym(b"a"), pseudonym(b"b"));
        assert!(pseudonym(b"a").starts_with("PSN-"));
    }

    #[test]
    fn surrogate_keeps_age_on_a_referral_day_before_the_birthday() {
        // Born 20 Dec 1990; referred 1 Mar 2020 (aged 29) → surrogate 1 Mar 1991, still 29.
        let dob = date(1990, 12, 20);
        let on = [date(2020, 3, 1)];
        let surrogate = surrogate_date_of_birth(dob, &on);
        assert_eq!(surrogate, date(1991, 3, 1));
        assert_eq!(age_in_years(surrogate, on[0]), 29);
    }

    proptest! {
        #[test]
        fn surrogate_preserves_age_on_every_date(
            dob_days in 0i64..30_000,
            offsets in proptest::collection::vec(6_000i64..40_000, 1..5),
        ) {
            let epoch = date(1920, 1, 1);
            let dob = epoch.checked_add(dob_days.days()).unwrap();
            let on: Vec<Date> = offsets
                .iter()
                .map(|o| dob.checked_add(o.days()).unwrap())
                .collect();
            let surrogate = surrogate_date_of_birth(dob, &on);
            for d in &on {
                prop_assert_eq!(age_in_years(surrogate, *d), age_in_years(dob, *d));
            }
        }

        #[test]
        fn redaction_never_panics_and_removes_every_name(text in "\\PC{0,60}") {
            let ids = Identifiers::new().name("Ana").date_of_birth(date(2000, 1, 2));
            let redacted = ids.redact_text(&text).unwrap_or(text.clone());
            prop_assert!(!redacted.contains("2000-01-02"));
        }
    }
}
