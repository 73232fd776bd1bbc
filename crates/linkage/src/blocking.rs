//! Blocking: which pairs get compared at all.
//!
//! A rule is a conjunction of key parts (`soundex(surname)` and `year(dob)`); two records are
//! a candidate pair under the rule when all parts agree. Prediction compares the union of
//! several rules' pairs. Each record's key per rule is hashed once; an index maps key →
//! records, so the work grows with the number of candidate pairs, not the square of the data.
//!
//! A pair that several rules produce is scored once: under rule k it is skipped when some
//! earlier rule j < k already produced it (its key under j agrees), which is Splink's trick and
//! needs no set of seen pairs.

use crate::compare::{FieldKind, Value};
use crate::phonetic;
use crate::record::PreparedRecord;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// A function of one compared column that yields a blocking key part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFunction {
    /// The normalised value (any kind).
    Exact,
    /// Soundex of a name or text (`R163`).
    Soundex,
    /// Double Metaphone primary code.
    Metaphone,
    /// First letter.
    Initial,
    /// First three letters.
    First3,
    /// Year of a date.
    Year,
    /// Year of a date plus day and month in either order: survives a day/month swap.
    DateUnordered,
    /// Postcode district (`LS1`) or area (`LS`).
    District,
    Area,
}

impl KeyFunction {
    pub(crate) fn parse(name: &str) -> Result<KeyFunction, String> {
        Ok(match name {
            "exact" => KeyFunction::Exact,
            "soundex" => KeyFunction::Soundex,
            "metaphone" => KeyFunction::Metaphone,
            "initial" => KeyFunction::Initial,
            "first3" => KeyFunction::First3,
            "year" => KeyFunction::Year,
            "date_unordered" => KeyFunction::DateUnordered,
            "district" => KeyFunction::District,
            "area" => KeyFunction::Area,
            other => {
                return Err(format!(
                    "unknown key function `{other}`; expected exact, soundex, metaphone, \
                     initial, first3, year, date_unordered, district or area"
                ));
            }
        })
    }

    pub(crate) fn applies_to(self, kind: FieldKind) -> bool {
        use KeyFunction::*;
        match self {
            Exact => true,
            Soundex | Metaphone | Initial | First3 => {
                matches!(kind, FieldKind::Name | FieldKind::Text)
            }
            Year | DateUnordered => kind == FieldKind::Date,
            District | Area => kind == FieldKind::Postcode,
        }
    }

    /// Feeds this part of the key into `hasher`; `false` when the value gives no key.
    fn feed(self, value: &Value, hasher: &mut Fnv) -> bool {
        let text: String = match (self, value) {
            (_, Value::Missing) => return false,
            (KeyFunction::Exact, v) => match v.exact_key() {
                Some(k) => k.into_owned(),
                None => return false,
            },
            (KeyFunction::Soundex, Value::Name(n)) => phonetic::soundex(n.compact.as_str()),
            (KeyFunction::Metaphone, Value::Name(n)) => {
                phonetic::double_metaphone(n.compact.as_str()).0
            }
            (KeyFunction::Initial, Value::Name(n)) => n.compact.as_str().chars().take(1).collect(),
            (KeyFunction::First3, Value::Name(n)) => n.compact.as_str().chars().take(3).collect(),
            (KeyFunction::Year, Value::Date(d)) => d.year.to_string(),
            (KeyFunction::DateUnordered, Value::Date(d)) => {
                let (lo, hi) = (d.day.min(d.month), d.day.max(d.month));
                format!("{}-{lo}-{hi}", d.year)
            }
            (KeyFunction::District, Value::Postcode(p)) => match p.district() {
                Some(d) => d.to_owned(),
                None => return false,
            },
            (KeyFunction::Area, Value::Postcode(p)) => match p.area() {
                Some(a) => a.to_owned(),
                None => return false,
            },
            _ => return false,
        };
        if text.is_empty() {
            return false;
        }
        hasher.write(text.as_bytes());
        hasher.write_u8(0xff); // separator: ("ab","c") and ("a","bc") must differ
        true
    }
}

impl fmt::Display for KeyFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            KeyFunction::Exact => "exact",
            KeyFunction::Soundex => "soundex",
            KeyFunction::Metaphone => "metaphone",
            KeyFunction::Initial => "initial",
            KeyFunction::First3 => "first3",
            KeyFunction::Year => "year",
            KeyFunction::DateUnordered => "date_unordered",
            KeyFunction::District => "district",
            KeyFunction::Area => "area",
        };
        f.write_str(name)
    }
}

/// One part of a rule: a function of a comparison's prepared value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPart {
    pub function: KeyFunction,
    /// Index into [`Settings::comparisons`](crate::Settings::comparisons).
    pub comparison: usize,
}

/// A blocking rule: all parts must agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingRule {
    /// A label for reports; defaults to the parts, e.g. `soundex(#0) & year(#2)`.
    pub name: String,
    pub parts: Vec<KeyPart>,
}

impl BlockingRule {
    pub fn new(name: Option<String>, parts: Vec<KeyPart>) -> Self {
        let name = name.unwrap_or_else(|| {
            parts
                .iter()
                .map(|p| format!("{}(#{})", p.function, p.comparison))
                .collect::<Vec<_>>()
                .join(" & ")
        });
        BlockingRule { name, parts }
    }

    /// The record's key under this rule, or [`NO_KEY`] when any part is missing.
    pub fn key(&self, record: &PreparedRecord) -> u64 {
        let mut hasher = Fnv::default();
        for part in &self.parts {
            if !part
                .function
                .feed(record.value(part.comparison), &mut hasher)
            {
                return NO_KEY;
            }
        }
        // 0 is reserved for "no key".
        hasher.finish().max(1)
    }
}

/// The key of a record that a rule cannot block (a part is missing).
pub const NO_KEY: u64 = 0;

/// FNV-1a: tiny, deterministic across runs and platforms (std's SipHash is seeded per process
/// in `RandomState`, and keys may one day be stored).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Keys are already well-mixed hashes: the map need not hash them again.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // Multiply so that the low bits hashbrown uses depend on every bit of the key.
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type KeyMap = HashMap<u64, Vec<u32>, BuildHasherDefault<PassThrough>>;

/// Records indexed by their key under each rule. Records are numbered in insertion order, so
/// every bucket is sorted.
#[derive(Debug, Clone)]
pub struct BlockIndex {
    rules: Vec<BlockingRule>,
    buckets: Vec<KeyMap>,
    /// `keys[i * rules + k]`: record i's key under rule k.
    keys: Vec<u64>,
}

impl BlockIndex {
    pub fn new(rules: &[BlockingRule]) -> Self {
        BlockIndex {
            rules: rules.to_vec(),
            buckets: vec![KeyMap::default(); rules.len()],
            keys: Vec::new(),
        }
    }

    /// Indexes records `0..n` in order.
    pub fn build(rules: &[BlockingRule], records: &[PreparedRecord]) -> Self {
        let mut index = BlockIndex::new(rules);
        for record in records {
            index.push(record);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.keys.len().checked_div(self.rules.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys of a record that is not (yet) in the index.
    pub fn keys_of(&self, record: &PreparedRecord) -> Vec<u64> {
        self.rules.iter().map(|r| r.key(record)).collect()
    }

    /// Appends a record; it gets the next number.
    pub fn push(&mut self, record: &PreparedRecord) -> u32 {
        let number = u32::try_from(self.len()).expect("fewer than 2^32 records");
        for (k, rule) in self.rules.iter().enumerate() {
            let key = rule.key(record);
            self.keys.push(key);
            if key != NO_KEY {
                self.buckets[k].entry(key).or_default().push(number);
            }
        }
        number
    }

    /// Calls `visit` once for every indexed record that shares a key with `query_keys` under
    /// some rule; with `below = Some(n)`, only records numbered below `n` (deduplication pairs
    /// each record with earlier ones).
    pub fn for_each_candidate(
        &self,
        query_keys: &[u64],
        below: Option<u32>,
        mut visit: impl FnMut(u32),
    ) {
        let rules = self.rules.len();
        for (k, &key) in query_keys.iter().enumerate() {
            if key == NO_KEY {
                continue;
            }
            let Some(bucket) = self.buckets[k].get(&key) else {
                continue;
            };
            for &candidate in bucket {
                if below.is_some_and(|b| candidate >= b) {
                    break;
                }
                let theirs = &self.keys[candidate as usize * rules..][..k];
                let seen_earlier = query_keys[..k]
                    .iter()
                    .zip(theirs)
                    .any(|(q, t)| *q != NO_KEY && q == t);
                if !seen_earlier {
                    visit(candidate);
                }
            }
        }
    }

    /// The key of indexed record `number` under rule `rule`.
    pub fn key(&self, number: u32, rule: usize) -> u64 {
        self.keys[number as usize * self.rules.len() + rule]
    }

    /// Candidates of one rule only (an EM training session). `visit` also learns whether the
    /// pair is new to rule `rule` — no earlier rule produced it — so one pass over every
    /// rule's pairs also yields their union, each pair once.
    pub fn for_each_in_rule(
        &self,
        rule: usize,
        query_keys: &[u64],
        below: Option<u32>,
        mut visit: impl FnMut(u32, bool),
    ) {
        let key = query_keys[rule];
        if key == NO_KEY {
            return;
        }
        let rules = self.rules.len();
        if let Some(bucket) = self.buckets[rule].get(&key) {
            for &candidate in bucket {
                if below.is_some_and(|b| candidate >= b) {
                    break;
                }
                let theirs = &self.keys[candidate as usize * rules..][..rule];
                let first = !query_keys[..rule]
                    .iter()
                    .zip(theirs)
                    .any(|(q, t)| *q != NO_KEY && q == t);
                visit(candidate, first);
            }
        }
    }
}
