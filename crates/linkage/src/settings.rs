//! The settings file: which column is the id, which columns are compared and how, the blocking
//! rules, training knobs and decision thresholds. Parsed from TOML text (the caller reads the
//! file) with unknown keys refused and every problem reported at its line and column.
//!
//! ```toml
//! id_column = "rec_id"
//!
//! [[comparison]]
//! column = "surname"
//! kind = "name"                 # name | text | date | postcode | identifier
//! tf_adjust = true              # weight exact agreement by how common the value is
//! # levels = ["exact", "jw:0.92", "phonetic", "jw:0.85"]   # default depends on kind
//!
//! [[comparison]]
//! column = "date_of_birth"
//! kind = "date"
//! format = "%Y%m%d"
//! invalid = "keep"              # reject (default) | missing | keep
//!
//! [[blocking]]                  # candidate pairs: the union of these rules
//! on = ["soundex(surname)", "year(date_of_birth)"]
//!
//! [training]                    # all optional
//! em_max_iterations = 25
//! u_sample_pairs = 1000000
//! seed = 42
//! # prior = 0.0001              # fix λ instead of estimating it
//! # [[training.blocking]]       # EM sessions; default: one per [[blocking]] rule
//!
//! [thresholds]                  # match probabilities
//! link = 0.9
//! review = 0.5
//! ```

use crate::blocking::{BlockingRule, KeyFunction, KeyPart};
use crate::compare::{Comparison, DateFormat, FieldKind, InvalidPolicy, LevelTest, MAX_LEVELS};
use crate::record::{FieldError, PreparedRecord};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// Comparison levels pack into 4 bits each of a `u64`.
pub const MAX_COMPARISONS: usize = 16;

/// Validated settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub id_column: String,
    pub comparisons: Vec<Comparison>,
    /// Rules that generate candidate pairs for prediction (their union).
    pub blocking: Vec<BlockingRule>,
    pub training: Training,
    pub thresholds: Thresholds,
}

/// How the model is estimated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// One EM session per rule; a comparison whose column a rule blocks on is not trained in
    /// that session (its agreement there is forced by the blocking, not evidence).
    pub blocking: Vec<BlockingRule>,
    pub em_max_iterations: u32,
    /// EM stops when no m probability or λ moves by more than this.
    pub em_tolerance: f64,
    /// How many random pairs estimate u (all pairs when there are fewer).
    pub u_sample_pairs: u64,
    pub seed: u64,
    /// A fixed prior match probability for two random records; estimated when absent.
    pub prior: Option<f64>,
}

impl Default for Training {
    fn default() -> Self {
        Training {
            blocking: Vec::new(),
            em_max_iterations: 25,
            em_tolerance: 1e-4,
            u_sample_pairs: 1_000_000,
            seed: 42,
            prior: None,
        }
    }
}

/// Decision bands on the match probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: a link.
    pub link: f64,
    /// At or above (and below `link`): clerical review.
    pub review: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            link: 0.9,
            review: 0.5,
        }
    }
}

/// One problem in a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsErrors(pub Vec<SettingsError>);

impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsErrors {}

impl Settings {
    /// Parses and validates settings text; `file_name` only labels errors.
    pub fn from_toml(source: &str, file_name: &str) -> Result<Settings, SettingsErrors> {
        let mut ck = Checker {
            source,
            file: file_name,
            errors: Vec::new(),
        };
        let raw: RawSettings = match toml::from_str(source) {
            Ok(raw) => raw,
            Err(e) => {
                ck.error(e.span().unwrap_or(0..0), e.message().trim_end());
                return Err(SettingsErrors(ck.errors));
            }
        };
        let settings = ck.settings(raw);
        if ck.errors.is_empty() {
            Ok(settings)
        } else {
            ck.errors.sort_by_key(|e| (e.line, e.column));
            Err(SettingsErrors(ck.errors))
        }
    }

    /// The input columns records must supply, in this order, to [`Settings::prepare`].
    pub fn columns(&self) -> Vec<&str> {
        let mut columns: Vec<&str> = Vec::new();
        for c in &self.comparisons {
            if !columns.contains(&c.column.as_str()) {
                columns.push(&c.column);
            }
        }
        columns
    }

    /// Prepares one record from its values, given in [`Settings::columns`] order.
    pub fn prepare<S: AsRef<str>>(&self, values: &[S]) -> Result<PreparedRecord, FieldError> {
        let columns = self.columns();
        assert_eq!(
            values.len(),
            columns.len(),
            "prepare takes one value per column of Settings::columns"
        );
        let prepared = self
            .comparisons
            .iter()
            .map(|c| {
                let at = columns
                    .iter()
                    .position(|col| *col == c.column)
                    .expect("every comparison column is listed");
                c.prepare(values[at].as_ref())
                    .map_err(|message| FieldError {
                        column: c.column.clone(),
                        message,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PreparedRecord::new(prepared))
    }

    /// Which comparisons each training session trains (not blocked on).
    pub fn trainable_in(&self, rule: &BlockingRule) -> Vec<bool> {
        (0..self.comparisons.len())
            .map(|c| !rule.parts.iter().any(|p| p.comparison == c))
            .collect()
    }

    /// The EM sessions: the training rules, or the prediction rules when none are given.
    pub fn training_rules(&self) -> &[BlockingRule] {
        if self.training.blocking.is_empty() {
            &self.blocking
        } else {
            &self.training.blocking
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw TOML shapes.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    id_column: Spanned<String>,
    #[serde(default, rename = "comparison")]
    comparisons: Vec<Spanned<RawComparison>>,
    #[serde(default)]
    blocking: Vec<Spanned<RawRule>>,
    #[serde(default)]
    training: Option<RawTraining>,
    #[serde(default)]
    thresholds: Option<Spanned<RawThresholds>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComparison {
    name: Option<Spanned<String>>,
    column: Spanned<String>,
    kind: Spanned<String>,
    levels: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    tf_adjust: bool,
    format: Option<Spanned<String>>,
    invalid: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<String>,
    on: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTraining {
    #[serde(default)]
    blocking: Vec<Spanned<RawRule>>,
    em_max_iterations: Option<Spanned<u32>>,
    em_tolerance: Option<Spanned<f64>>,
    u_sample_pairs: Option<Spanned<u64>>,
    seed: Option<u64>,
    prior: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    link: Option<Spanned<f64>>,
    review: Option<Spanned<f64>>,
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

struct Checker<'s> {
    source: &'s str,
    file: &'s str,
    errors: Vec<SettingsError>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.source, span.start);
        self.errors.push(SettingsError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    fn settings(&mut self, raw: RawSettings) -> Settings {
        if raw.id_column.get_ref().trim().is_empty() {
            self.error(raw.id_column.span(), "`id_column` must not be empty");
        }
        if raw.comparisons.is_empty() {
            self.error(0..0, "at least one [[comparison]] is needed");
        }
        if raw.comparisons.len() > MAX_COMPARISONS {
            self.error(
                raw.comparisons[MAX_COMPARISONS].span(),
                format!("at most {MAX_COMPARISONS} comparisons"),
            );
        }
        let comparisons: Vec<Comparison> = raw
            .comparisons
            .iter()
            .filter_map(|c| self.comparison(c))
            .collect();
        for (i, c) in comparisons.iter().enumerate() {
            if comparisons[..i].iter().any(|o| o.name == c.name) {
                let span = raw.comparisons[i].span();
                self.error(span, format!("two comparisons are named `{}`", c.name));
            }
        }
        // Rules refer to comparisons by index, so only resolve them if every comparison
        // parsed (otherwise indices would shift and errors would multiply).
        let resolvable = comparisons.len() == raw.comparisons.len();
        let rules = |list: &[Spanned<RawRule>], me: &mut Self| -> Vec<BlockingRule> {
            if !resolvable {
                return Vec::new();
            }
            list.iter()
                .filter_map(|r| me.rule(r, &comparisons))
                .collect()
        };
        if raw.blocking.is_empty() {
            self.error(
                0..0,
                "at least one [[blocking]] rule is needed: comparing every pair does not scale",
            );
        }
        let blocking = rules(&raw.blocking, self);

        let mut training = Training::default();
        let mut training_span = 0..0;
        if let Some(t) = &raw.training {
            training.blocking = rules(&t.blocking, self);
            if let Some(n) = &t.em_max_iterations {
                if *n.get_ref() == 0 {
                    self.error(n.span(), "`em_max_iterations` must be at least 1");
                }
                training.em_max_iterations = *n.get_ref();
            }
            if let Some(tol) = &t.em_tolerance {
                if !(*tol.get_ref() > 0.0 && *tol.get_ref() < 1.0) {
                    self.error(tol.span(), "`em_tolerance` must be in (0, 1)");
                }
                training.em_tolerance = *tol.get_ref();
            }
            if let Some(n) = &t.u_sample_pairs {
                if *n.get_ref() < 1000 {
                    self.error(n.span(), "`u_sample_pairs` must be at least 1000");
                }
                training.u_sample_pairs = *n.get_ref();
            }
            if let Some(seed) = t.seed {
                training.seed = seed;
            }
            if let Some(p) = &t.prior {
                if !(*p.get_ref() > 0.0 && *p.get_ref() < 1.0) {
                    self.error(p.span(), "`prior` must be in (0, 1)");
                }
                training.prior = Some(*p.get_ref());
            }
            if let Some(first) = t.blocking.first() {
                training_span = first.span();
            }
        }

        let mut thresholds = Thresholds::default();
        if let Some(t) = &raw.thresholds {
            for (value, slot, key) in [
                (&t.get_ref().link, &mut thresholds.link, "link"),
                (&t.get_ref().review, &mut thresholds.review, "review"),
            ] {
                if let Some(v) = value {
                    if !(*v.get_ref() > 0.0 && *v.get_ref() < 1.0) {
                        self.error(v.span(), format!("`{key}` must be a probability in (0, 1)"));
                    }
                    *slot = *v.get_ref();
                }
            }
            if thresholds.review > thresholds.link {
                self.error(t.span(), "`review` must not be above `link`");
            }
        }

        let settings = Settings {
            id_column: raw.id_column.into_inner(),
            comparisons,
            blocking,
            training,
            thresholds,
        };
        let all_rules_parsed = settings.blocking.len() == raw.blocking.len()
            && raw
                .training
                .as_ref()
                .is_none_or(|t| t.blocking.len() == settings.training.blocking.len());
        if resolvable && all_rules_parsed && !settings.training_rules().is_empty() {
            for (c, comparison) in settings.comparisons.iter().enumerate() {
                let trained = settings
                    .training_rules()
                    .iter()
                    .any(|r| settings.trainable_in(r)[c]);
                if !trained {
                    let span = if settings.training.blocking.is_empty() {
                        raw.comparisons[c].span()
                    } else {
                        training_span.clone()
                    };
                    self.error(
                        span,
                        format!(
                            "comparison `{}` is blocked on by every training rule, so EM can \
                             never estimate its m probabilities; add a [[training.blocking]] \
                             rule that does not use column `{}`",
                            comparison.name, comparison.column
                        ),
                    );
                }
            }
        }
        settings
    }

    fn comparison(&mut self, raw: &Spanned<RawComparison>) -> Option<Comparison> {
        let r = raw.get_ref();
        let kind = match r.kind.get_ref().as_str() {
            "name" => FieldKind::Name,
            "text" => FieldKind::Text,
            "date" => FieldKind::Date,
            "postcode" => FieldKind::Postcode,
            "identifier" => FieldKind::Identifier,
            other => {
                self.error(
                    r.kind.span(),
                    format!(
                        "unknown kind `{other}`; expected name, text, date, postcode or identifier"
                    ),
                );
                return None;
            }
        };
        let column = r.column.get_ref().trim().to_owned();
        if column.is_empty() {
            self.error(r.column.span(), "`column` must not be empty");
        }
        let name = r
            .name
            .as_ref()
            .map_or_else(|| column.clone(), |n| n.get_ref().clone());
        let mut comparison = Comparison::new(&name, &column, kind);
        comparison.tf_adjust = r.tf_adjust;
        let mut ok = true;
        if let Some(levels) = &r.levels {
            let mut parsed = Vec::new();
            for level in levels.get_ref() {
                match LevelTest::try_from(level.get_ref().clone()) {
                    Ok(t) => parsed.push(t),
                    Err(e) => {
                        self.error(level.span(), e);
                        ok = false;
                    }
                }
            }
            if parsed.len() + 1 > MAX_LEVELS {
                self.error(levels.span(), format!("at most {} levels", MAX_LEVELS - 1));
                ok = false;
            }
            comparison.levels = parsed;
            if ok && let Err(e) = comparison.check() {
                self.error(levels.span(), e);
            }
        }
        match (&r.format, kind) {
            (Some(f), FieldKind::Date) => match DateFormat::try_from(f.get_ref().clone()) {
                Ok(format) => comparison.date_format = Some(format),
                Err(e) => {
                    self.error(f.span(), e);
                }
            },
            (Some(f), _) => {
                self.error(f.span(), "`format` applies only to kind = \"date\"");
            }
            (None, _) => {}
        }
        match (&r.invalid, kind) {
            (Some(i), FieldKind::Date) => {
                comparison.invalid = match i.get_ref().as_str() {
                    "reject" => InvalidPolicy::Reject,
                    "missing" => InvalidPolicy::Missing,
                    "keep" => InvalidPolicy::Keep,
                    other => {
                        self.error(
                            i.span(),
                            format!(
                                "unknown `invalid = \"{other}\"`; expected reject, missing or keep"
                            ),
                        );
                        InvalidPolicy::Reject
                    }
                }
            }
            (Some(i), _) => {
                self.error(i.span(), "`invalid` applies only to kind = \"date\"");
            }
            (None, _) => {}
        }
        if r.tf_adjust && !comparison.levels.contains(&LevelTest::Exact) {
            self.error(raw.span(), "`tf_adjust` needs an `exact` level to adjust");
        }
        // Returned even when something above was wrong (the errors are recorded), so that
        // blocking rules can still be resolved and their own mistakes reported in this pass.
        Some(comparison)
    }

    fn rule(&mut self, raw: &Spanned<RawRule>, comparisons: &[Comparison]) -> Option<BlockingRule> {
        let r = raw.get_ref();
        if r.on.get_ref().is_empty() {
            self.error(
                r.on.span(),
                "`on` must name at least one key, e.g. \"exact(surname)\"",
            );
            return None;
        }
        let mut parts = Vec::new();
        for part in r.on.get_ref() {
            match parse_part(part.get_ref(), comparisons) {
                Ok(p) => parts.push(p),
                Err(e) => self.error(part.span(), e),
            }
        }
        if parts.len() != r.on.get_ref().len() {
            return None;
        }
        let name = r.name.clone().unwrap_or_else(|| {
            r.on.get_ref()
                .iter()
                .map(|p| p.get_ref().trim())
                .collect::<Vec<_>>()
                .join(" & ")
        });
        Some(BlockingRule::new(Some(name), parts))
    }
}

/// `soundex(surname)` → the key function applied to the comparison reading `surname`.
fn parse_part(text: &str, comparisons: &[Comparison]) -> Result<KeyPart, String> {
    let text = text.trim();
    let (function, rest) = text
        .split_once('(')
        .ok_or_else(|| format!("`{text}`: write a key as function(column), e.g. exact(surname)"))?;
    let column = rest
        .strip_suffix(')')
        .ok_or_else(|| format!("`{text}`: missing `)`"))?
        .trim();
    let function = KeyFunction::parse(function.trim())?;
    let comparison = comparisons
        .iter()
        .position(|c| c.column == column)
        .ok_or_else(|| {
            format!("`{text}`: no [[comparison]] reads column `{column}`; blocking keys are built from compared columns")
        })?;
    if !function.applies_to(comparisons[comparison].kind) {
        return Err(format!(
            "`{text}`: {function} does not apply to a {:?} column",
            comparisons[comparison].kind
        ));
    }
    Ok(KeyPart {
        function,
        comparison,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id_column = "id"

[[comparison]]
column = "surname"
kind = "name"
tf_adjust = true

[[comparison]]
column = "dob"
kind = "date"
format = "%d/%m/%Y"

[[blocking]]
on = ["soundex(surname)"]

[[blocking]]
on = ["exact(dob)"]
"#;

    #[test]
    fn good_settings_parse() {
        let s = Settings::from_toml(GOOD, "s.toml").unwrap();
        assert_eq!(s.columns(), ["surname", "dob"]);
        assert_eq!(s.blocking.len(), 2);
        assert_eq!(s.trainable_in(&s.blocking[0]), [false, true]);
        assert_eq!(s.trainable_in(&s.blocking[1]), [true, false]);
    }

    #[test]
    fn unknown_keys_are_positioned() {
        let bad = GOOD.replace("tf_adjust = true", "tf_adjsut = true");
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!((e.0[0].line, e.0[0].column), (7, 1), "{e}");
        assert!(e.0[0].message.contains("tf_adjsut"), "{e}");
    }

    #[test]
    fn semantic_errors_are_positioned_and_all_reported() {
        let bad = GOOD
            .replace(
                "kind = \"date\"",
                "kind = \"date\"\nlevels = [\"exact\", \"nickname\"]",
            )
            .replace("soundex(surname)", "year(surname)");
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("s.toml:12:10: level `nickname`"), "{text}");
        assert!(
            text.contains("s.toml:16:7: `year(surname)`: year does not apply"),
            "{text}"
        );
    }

    #[test]
    fn untrainable_comparisons_are_refused() {
        let bad = GOOD.replace(
            "on = [\"exact(dob)\"]",
            "on = [\"exact(dob)\", \"exact(surname)\"]",
        );
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err();
        assert!(e.to_string().contains("never estimate"), "{e}");
    }
}
