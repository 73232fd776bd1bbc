//! Field comparisons with ordered levels.
//!
//! A [`Comparison`] reads one column, prepares each record's value once ([`Value`]), and then
//! compares two prepared values by walking its levels from strongest to weakest: the first
//! [`LevelTest`] that holds is the pair's level, and "else" (every test failed) comes last.
//! A value missing on either side gives [`NULL_LEVEL`], which carries no evidence (weight 0).

mod date;
mod edit;
mod small;

pub use date::{DateFormat, DateValue};
pub use edit::{jaro_winkler, jaro_winkler_bytes, within_one_edit, within_one_edit_bytes};
pub use small::SmallStr;

use crate::normalise::{UkPostcode, normalise_identifier, normalise_name, normalise_text};
use crate::{nicknames, phonetic};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The level of a pair where either value is missing.
pub const NULL_LEVEL: u8 = 15;
/// At most this many levels per comparison, "else" included (levels pack into 4 bits).
pub const MAX_LEVELS: usize = 15;

/// What sort of value a column holds; decides preparation and which levels make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A personal name: accents, titles and punctuation folded; nicknames and phonetics.
    Name,
    /// Free text (a street, a town): folded like a name, no nicknames.
    Text,
    /// A date (of birth), read with a [`DateFormat`].
    Date,
    /// A UK postcode; values that are not UK-shaped still agree exactly.
    Postcode,
    /// An identifier: letters and digits only, upper-cased.
    Identifier,
}

impl FieldKind {
    /// The levels used when the settings name none.
    pub fn default_levels(self) -> Vec<LevelTest> {
        use LevelTest::*;
        match self {
            FieldKind::Name => vec![
                Exact,
                Nickname,
                JaroWinkler(0.92),
                NamePart,
                Phonetic,
                JaroWinkler(0.85),
            ],
            FieldKind::Text => vec![Exact, OneEdit, JaroWinkler(0.88)],
            FieldKind::Date => vec![Exact, DayMonthSwapped, YearOffByOne, OneFieldOff],
            FieldKind::Postcode => vec![Exact, Sector, District, Area],
            FieldKind::Identifier => vec![Exact, OneEdit],
        }
    }

    fn allows(self, test: LevelTest) -> bool {
        use LevelTest::*;
        match test {
            Exact => true,
            Nickname => self == FieldKind::Name,
            NamePart | Phonetic | JaroWinkler(_) => {
                matches!(self, FieldKind::Name | FieldKind::Text)
            }
            OneEdit => self != FieldKind::Date,
            DayMonthSwapped | YearOffByOne | OneFieldOff => self == FieldKind::Date,
            Sector | District | Area => self == FieldKind::Postcode,
        }
    }
}

/// One agreement test. Written in settings as `exact`, `nickname`, `part`, `phonetic`,
/// `jw:0.92`, `one_edit`, `swap`, `year_off_by_one`, `one_field`, `sector`, `district`, `area`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LevelTest {
    Exact,
    /// Given names in the same nickname group (Bill/William).
    Nickname,
    /// Multi-part names sharing a part (`Smith-Jones` / `Smith`, `Ann Marie` / `Marie`).
    NamePart,
    /// Double Metaphone codes agree (primary or alternate).
    Phonetic,
    /// Jaro–Winkler similarity at least this.
    JaroWinkler(f64),
    /// At most one insertion, deletion, substitution or adjacent swap.
    OneEdit,
    DayMonthSwapped,
    YearOffByOne,
    /// Exactly one of day, month, year differs.
    OneFieldOff,
    Sector,
    District,
    Area,
}

impl fmt::Display for LevelTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelTest::Exact => f.write_str("exact"),
            LevelTest::Nickname => f.write_str("nickname"),
            LevelTest::NamePart => f.write_str("part"),
            LevelTest::Phonetic => f.write_str("phonetic"),
            LevelTest::JaroWinkler(t) => write!(f, "jw:{t}"),
            LevelTest::OneEdit => f.write_str("one_edit"),
            LevelTest::DayMonthSwapped => f.write_str("swap"),
            LevelTest::YearOffByOne => f.write_str("year_off_by_one"),
            LevelTest::OneFieldOff => f.write_str("one_field"),
            LevelTest::Sector => f.write_str("sector"),
            LevelTest::District => f.write_str("district"),
            LevelTest::Area => f.write_str("area"),
        }
    }
}

impl TryFrom<String> for LevelTest {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Ok(match text.as_str() {
            "exact" => LevelTest::Exact,
            "nickname" => LevelTest::Nickname,
            "part" => LevelTest::NamePart,
            "phonetic" => LevelTest::Phonetic,
            "one_edit" => LevelTest::OneEdit,
            "swap" => LevelTest::DayMonthSwapped,
            "year_off_by_one" => LevelTest::YearOffByOne,
            "one_field" => LevelTest::OneFieldOff,
            "sector" => LevelTest::Sector,
            "district" => LevelTest::District,
            "area" => LevelTest::Area,
            other => match other.strip_prefix("jw:").map(str::parse::<f64>) {
                Some(Ok(t)) if t > 0.0 && t < 1.0 => LevelTest::JaroWinkler(t),
                Some(_) => return Err(format!("`{other}`: the threshold must be in (0, 1)")),
                None => {
                    return Err(format!(
                        "unknown level `{other}`; expected exact, nickname, part, phonetic, \
                         jw:<0..1>, one_edit, swap, year_off_by_one, one_field, sector, \
                         district or area"
                    ));
                }
            },
        })
    }
}

impl From<LevelTest> for String {
    fn from(test: LevelTest) -> String {
        test.to_string()
    }
}

/// What to do with a date that does not exist on the calendar (`19721395`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidPolicy {
    /// The record cannot be read: it goes to the rejects file.
    #[default]
    Reject,
    /// Treat the value as missing.
    Missing,
    /// Keep its day, month and year as typed and compare them (a slip in one field still
    /// agrees partially). A value not even shaped like the format is treated as missing.
    Keep,
}

/// A prepared value: everything a comparison needs, computed once per record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    Name(NameValue),
    Date(DateValue),
    Postcode(UkPostcode),
    Identifier(SmallStr),
}

/// A normalised name or text value.
#[derive(Debug, Clone, PartialEq)]
pub struct NameValue {
    /// Words separated by single spaces (`smith jones`).
    /// Only for names of several words: a single word is `compact` itself, and leaving it
    /// out keeps the common case free of a pointer to chase.
    pub words: Option<Box<str>>,
    /// The words run together (`smithjones`): what exact and fuzzy levels compare, so that
    /// `Ann-Marie` and `Annmarie` agree.
    pub compact: SmallStr,
    /// Double Metaphone primary and alternate, packed 4 ASCII bytes to a `u32` (0 = none).
    pub metaphone: [u32; 2],
    /// Nickname groups of the first word.
    pub nickname_groups: &'static [u16],
    /// Which of a–z and 0–9 occur in `compact` (bit 0 = `a`): bounds Jaro–Winkler cheaply.
    pub letters: u64,
}

impl NameValue {
    /// The value's words (one, `compact`, for a single-word value).
    pub fn word_list(&self) -> impl Iterator<Item = &str> {
        self.words
            .as_deref()
            .unwrap_or(self.compact.as_str())
            .split(' ')
    }
}

fn letter_bit(b: u8) -> u64 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'0'..=b'9' => 1 << (26 + b - b'0'),
        _ => 1 << 63,
    }
}

/// An upper bound on the Jaro–Winkler similarity of two values, from which letters they
/// share: Jaro matches can only pair characters present in both strings, transpositions can
/// only lower the score, and the prefix bonus adds at most 0.4 × (1 − jaro). Random pairs
/// (u estimation) rarely share enough letters, so most never reach the full computation.
fn jaro_winkler_bound(x: &NameValue, y: &NameValue) -> f64 {
    let (a, b) = (x.compact.as_bytes(), y.compact.as_bytes());
    let a_in_b = a
        .iter()
        .filter(|&&c| y.letters & letter_bit(c) != 0)
        .count();
    let b_in_a = b
        .iter()
        .filter(|&&c| x.letters & letter_bit(c) != 0)
        .count();
    let m = a_in_b.min(b_in_a) as f64;
    if m == 0.0 {
        return 0.0;
    }
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    jaro + 0.4 * (1.0 - jaro)
}

impl Value {
    /// The string two values share when they agree exactly: term frequencies and exact
    /// blocking keys are keyed by it.
    pub fn exact_key(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Value::Missing => None,
            Value::Name(n) => Some(Cow::Borrowed(n.compact.as_str())),
            Value::Date(d) => Some(Cow::Owned(d.key())),
            Value::Postcode(p) => Some(Cow::Borrowed(&p.full)),
            Value::Identifier(id) => Some(Cow::Borrowed(id.as_str())),
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

fn pack_code(code: &str) -> u32 {
    code.bytes()
        .take(4)
        .fold(0, |acc, b| (acc << 8) | u32::from(b))
}

/// A validated comparison of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Its name in output and explanations.
    pub name: String,
    /// The input column it reads.
    pub column: String,
    pub kind: FieldKind,
    /// Levels from strongest to weakest; "else" follows implicitly.
    pub levels: Vec<LevelTest>,
    /// Whether an exact agreement is weighted by how common the value is.
    pub tf_adjust: bool,
    /// For dates: how to read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<DateFormat>,
    /// For dates: what to do with impossible ones.
    #[serde(default)]
    pub invalid: InvalidPolicy,
}

impl Comparison {
    /// A comparison with the kind's default levels.
    pub fn new(name: &str, column: &str, kind: FieldKind) -> Comparison {
        Comparison {
            name: name.to_owned(),
            column: column.to_owned(),
            kind,
            levels: kind.default_levels(),
            tf_adjust: false,
            date_format: (kind == FieldKind::Date).then(DateFormat::iso),
            invalid: InvalidPolicy::Reject,
        }
    }

    /// Checks that every level suits the kind and that there are not too many.
    pub fn check(&self) -> Result<(), String> {
        if self.levels.is_empty() {
            return Err("`levels` must name at least one level".to_owned());
        }
        if self.levels.len() + 1 > MAX_LEVELS {
            return Err(format!("at most {} levels", MAX_LEVELS - 1));
        }
        for test in &self.levels {
            if !self.kind.allows(*test) {
                return Err(format!(
                    "level `{test}` does not apply to a {:?} comparison",
                    self.kind
                ));
            }
        }
        for (i, a) in self.levels.iter().enumerate() {
            if self.levels[..i].contains(a) {
                return Err(format!("level `{a}` is listed twice"));
            }
        }
        Ok(())
    }

    /// Levels including "else".
    pub fn level_count(&self) -> usize {
        self.levels.len() + 1
    }

    /// The display name of a level (`exact`, `jw:0.92`, `else`, `null`).
    pub fn level_name(&self, level: u8) -> String {
        match self.levels.get(usize::from(level)) {
            Some(test) => test.to_string(),
            None if level == NULL_LEVEL => "null".to_owned(),
            None => "else".to_owned(),
        }
    }

    /// Whether the pair's level is exact agreement (where term-frequency adjustment applies).
    pub fn is_exact_level(&self, level: u8) -> bool {
        self.levels.get(usize::from(level)) == Some(&LevelTest::Exact)
    }

    fn uses(&self, test: LevelTest) -> bool {
        self.levels.contains(&test)
    }

    /// Prepares one raw value. Blank is missing; an impossible date is an error only under
    /// [`InvalidPolicy::Reject`].
    pub fn prepare(&self, raw: &str) -> Result<Value, String> {
        if raw.trim().is_empty() {
            return Ok(Value::Missing);
        }
        Ok(match self.kind {
            FieldKind::Name | FieldKind::Text => {
                let words = if self.kind == FieldKind::Name {
                    normalise_name(raw)
                } else {
                    normalise_text(raw)
                };
                if words.is_empty() {
                    return Ok(Value::Missing);
                }
                let compact: String = words.split(' ').collect();
                let metaphone = if self.uses(LevelTest::Phonetic) {
                    let (primary, alternate) = phonetic::double_metaphone(&compact);
                    [pack_code(&primary), pack_code(&alternate)]
                } else {
                    [0, 0]
                };
                let nickname_groups = if self.uses(LevelTest::Nickname) {
                    nicknames::groups(words.split(' ').next().unwrap_or_default())
                } else {
                    &[]
                };
                let letters = compact.bytes().fold(0, |acc, b| acc | letter_bit(b));
                Value::Name(NameValue {
                    words: words.contains(' ').then(|| words.as_str().into()),
                    compact: SmallStr::new(&compact),
                    metaphone,
                    nickname_groups,
                    letters,
                })
            }
            FieldKind::Date => {
                let format = self.date_format.clone().unwrap_or_else(DateFormat::iso);
                match (format.parse(raw), self.invalid) {
                    (Ok(date), _) if date.is_valid() => Value::Date(date),
                    (Ok(date), InvalidPolicy::Keep) => Value::Date(date),
                    (Err(_), InvalidPolicy::Keep) | (_, InvalidPolicy::Missing) => Value::Missing,
                    (Ok(_), InvalidPolicy::Reject) => {
                        return Err(format!("`{}` is not a date on the calendar", raw.trim()));
                    }
                    (Err(e), InvalidPolicy::Reject) => return Err(e),
                }
            }
            FieldKind::Postcode => match UkPostcode::parse(raw) {
                Some(p) => Value::Postcode(p),
                None => Value::Missing,
            },
            FieldKind::Identifier => {
                let id = normalise_identifier(raw);
                if id.is_empty() {
                    Value::Missing
                } else {
                    Value::Identifier(SmallStr::new(&id))
                }
            }
        })
    }

    /// The level of a pair: the first test that holds, `levels.len()` ("else") when none
    /// does, [`NULL_LEVEL`] when either value is missing.
    pub fn compare(&self, a: &Value, b: &Value) -> u8 {
        if a.is_missing() || b.is_missing() {
            return NULL_LEVEL;
        }
        let mut jw = JaroWinklerCache::default();
        for (i, test) in self.levels.iter().enumerate() {
            if holds(*test, a, b, &mut jw) {
                return i as u8;
            }
        }
        self.levels.len() as u8
    }
}

/// Jaro–Winkler computed at most once per pair, and not at all when its cheap upper bound
/// already rules a threshold out.
#[derive(Default)]
struct JaroWinklerCache {
    bound: Option<f64>,
    exact: Option<f64>,
}

impl JaroWinklerCache {
    fn at_least(&mut self, x: &NameValue, y: &NameValue, threshold: f64) -> bool {
        if let Some(value) = self.exact {
            return value >= threshold;
        }
        if *self.bound.get_or_insert_with(|| jaro_winkler_bound(x, y)) < threshold {
            return false;
        }
        *self
            .exact
            .get_or_insert_with(|| jaro_winkler_bytes(x.compact.as_bytes(), y.compact.as_bytes()))
            >= threshold
    }
}

fn holds(test: LevelTest, a: &Value, b: &Value, jw_cache: &mut JaroWinklerCache) -> bool {
    match (test, a, b) {
        (LevelTest::Exact, Value::Name(x), Value::Name(y)) => x.compact == y.compact,
        (LevelTest::Exact, Value::Date(x), Value::Date(y)) => x == y,
        (LevelTest::Exact, Value::Postcode(x), Value::Postcode(y)) => x.same(y),
        (LevelTest::Exact, Value::Identifier(x), Value::Identifier(y)) => x == y,
        (LevelTest::Nickname, Value::Name(x), Value::Name(y)) => {
            nicknames::share_group(x.nickname_groups, y.nickname_groups)
        }
        (LevelTest::NamePart, Value::Name(x), Value::Name(y)) => {
            // Only meaningful when one side has several parts; otherwise it is exact or not.
            (x.words.is_some() || y.words.is_some())
                && x.word_list().any(|w| y.word_list().any(|v| v == w))
        }
        (LevelTest::Phonetic, Value::Name(x), Value::Name(y)) => {
            let [xp, xa] = x.metaphone;
            let [yp, ya] = y.metaphone;
            xp != 0 && yp != 0 && (xp == yp || xp == ya || xa == yp || (xa != 0 && xa == ya))
        }
        (LevelTest::JaroWinkler(t), Value::Name(x), Value::Name(y)) => jw_cache.at_least(x, y, t),
        (LevelTest::OneEdit, Value::Name(x), Value::Name(y)) => {
            within_one_edit_bytes(x.compact.as_bytes(), y.compact.as_bytes())
        }
        (LevelTest::OneEdit, Value::Identifier(x), Value::Identifier(y)) => {
            within_one_edit_bytes(x.as_bytes(), y.as_bytes())
        }
        (LevelTest::OneEdit, Value::Postcode(x), Value::Postcode(y)) => {
            within_one_edit(&x.full, &y.full)
        }
        (LevelTest::DayMonthSwapped, Value::Date(x), Value::Date(y)) => x.day_month_swapped(*y),
        (LevelTest::YearOffByOne, Value::Date(x), Value::Date(y)) => x.year_off_by_one(*y),
        (LevelTest::OneFieldOff, Value::Date(x), Value::Date(y)) => x.fields_differing(*y) <= 1,
        (LevelTest::Sector, Value::Postcode(x), Value::Postcode(y)) => x.same_sector(y),
        (LevelTest::District, Value::Postcode(x), Value::Postcode(y)) => x.same_district(y),
        (LevelTest::Area, Value::Postcode(x), Value::Postcode(y)) => x.same_area(y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(c: &Comparison, a: &str, b: &str) -> String {
        let (a, b) = (c.prepare(a).unwrap(), c.prepare(b).unwrap());
        c.level_name(c.compare(&a, &b))
    }

    #[test]
    fn name_levels_in_order() {
        let c = Comparison::new("first", "first", FieldKind::Name);
        assert_eq!(level(&c, "William", "WILLIAM"), "exact");
        assert_eq!(level(&c, "Bill", "William"), "nickname");
        assert_eq!(level(&c, "Jonathon", "Jonathan"), "jw:0.92");
        assert_eq!(level(&c, "Smith-Jones", "Jones"), "part");
        assert_eq!(level(&c, "Stephen", "Steven"), "nickname");
        assert_eq!(level(&c, "Catherine", "Kathryn"), "nickname");
        assert_eq!(level(&c, "Thompson", "Tomson"), "jw:0.92");
        assert_eq!(level(&c, "Mohammed", "Alice"), "else");
        assert_eq!(level(&c, "", "Alice"), "null");
        assert_eq!(level(&c, "Ann-Marie", "Annmarie"), "exact");
    }

    #[test]
    fn date_levels_in_order() {
        let mut c = Comparison::new("dob", "dob", FieldKind::Date);
        c.date_format = Some(DateFormat::try_from("%d/%m/%Y".to_owned()).unwrap());
        assert_eq!(level(&c, "03/04/1990", "03/04/1990"), "exact");
        assert_eq!(level(&c, "03/04/1990", "04/03/1990"), "swap");
        assert_eq!(level(&c, "03/04/1990", "03/04/1991"), "year_off_by_one");
        assert_eq!(level(&c, "03/04/1990", "13/04/1990"), "one_field");
        assert_eq!(level(&c, "03/04/1990", "13/05/1990"), "else");
        assert!(c.prepare("31/02/1990").is_err());
        c.invalid = InvalidPolicy::Keep;
        assert_eq!(level(&c, "31/02/1990", "31/03/1990"), "one_field");
    }

    #[test]
    fn postcode_levels_in_order() {
        let c = Comparison::new("pc", "pc", FieldKind::Postcode);
        assert_eq!(level(&c, "LS1 4AP", "ls14ap"), "exact");
        assert_eq!(level(&c, "LS1 4AP", "LS1 4BB"), "sector");
        assert_eq!(level(&c, "LS1 4AP", "LS1 5BB"), "district");
        assert_eq!(level(&c, "LS1 4AP", "LS6 2AA"), "area");
        assert_eq!(level(&c, "LS1 4AP", "M1 1AE"), "else");
    }

    #[test]
    fn identifier_levels() {
        let c = Comparison::new("ni", "ni", FieldKind::Identifier);
        assert_eq!(level(&c, "AB123456C", "ab 12 34 56 c"), "exact");
        assert_eq!(level(&c, "AB123456C", "AB124356C"), "one_edit");
        assert_eq!(level(&c, "AB123456C", "AB654321C"), "else");
    }

    #[test]
    fn levels_must_suit_the_kind() {
        let mut c = Comparison::new("dob", "dob", FieldKind::Date);
        c.levels.push(LevelTest::Nickname);
        assert!(c.check().is_err());
        assert!(LevelTest::try_from("jw:1.5".to_owned()).is_err());
        assert_eq!(
            LevelTest::try_from("jw:0.9".to_owned()),
            Ok(LevelTest::JaroWinkler(0.9))
        );
    }
}
