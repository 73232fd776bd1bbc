//! Parsing and validating a policy file. Syntax and type errors come from the TOML parser (one
//! at a time: it cannot go on past them); after a successful parse every semantic check runs and
//! all problems are reported together, each as `FILE:LINE:COLUMN: message`.

use super::criteria::{CategorySet, Criterion, CriterionKind, OffenceAgeLimit, Rule};
use super::decision::{CriterionInfo, ListMode, PolicyMeta};
use super::model::{
    NameList, RawCatalogue, RawCondition, RawCriterion, RawPolicy, RawRange, RawTrial,
};
use super::table::{DecisionTable, InclusiveRange, TableInput, TableRow};
use super::{LegalMode, OutcomeMapping, Policy, Retention, TrialSettings};
use crate::contract::{ConditionCatalogue, ConditionKind, ConditionType};
use crate::deadline::{ContractLength, DeadlineRule, days_between};
use crate::offence::OffenceCategory;
use crate::outcome::OutcomeCode;
use jiff::civil::Date;
use serde::de::DeserializeOwned;
use serde::de::value::StrDeserializer;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// Default small-number suppression threshold (ONS Longitudinal Study practice, domain.md §9).
pub const DEFAULT_SUPPRESSION_THRESHOLD: u32 = 10;

/// PCSC Act 2022 s.101 caps unpaid work in a diversionary or community caution at 20 hours.
const PCSC_UNPAID_WORK_CAP_HOURS: u16 = 20;

/// One problem in a policy file, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for PolicyError {}

/// Every problem found in a policy file, in file order. Displays one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl PolicyErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, PolicyError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for PolicyErrors {
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

impl std::error::Error for PolicyErrors {}

impl<'a> IntoIterator for &'a PolicyErrors {
    type Item = &'a PolicyError;
    type IntoIter = std::slice::Iter<'a, PolicyError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

struct Checker<'s> {
    source: &'s str,
    file: &'s str,
    errors: Vec<PolicyError>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.source, span.start);
        self.errors.push(PolicyError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    fn position(&self, span: &Range<usize>) -> String {
        let (line, column) = line_column(self.source, span.start);
        format!("line {line}, column {column}")
    }

    fn date(&mut self, value: &Spanned<toml::value::Datetime>, key: &str) -> Option<Date> {
        let dt = value.get_ref();
        let parsed = match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => i16::try_from(d.year).ok().and_then(|y| {
                Date::new(y, i8::try_from(d.month).ok()?, i8::try_from(d.day).ok()?).ok()
            }),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                value.span(),
                format!("`{key}` must be a calendar date such as 2015-04-01, with no time"),
            );
        }
        parsed
    }

    fn outcome(&mut self, value: &Spanned<u8>, key: &str) -> Option<OutcomeCode> {
        match OutcomeCode::new(*value.get_ref()) {
            Ok(code) => Some(code),
            Err(e) => {
                self.error(value.span(), format!("`{key}`: {e}"));
                None
            }
        }
    }

    /// Parses each name against a closed vocabulary, reporting each bad name at its position.
    fn names<T: DeserializeOwned>(&mut self, list: &NameList, key: &str) -> Vec<T> {
        let mut parsed = Vec::with_capacity(list.get_ref().len());
        for item in list.get_ref() {
            match T::deserialize(StrDeserializer::<serde::de::value::Error>::new(
                item.get_ref(),
            )) {
                Ok(v) => parsed.push(v),
                Err(e) => self.error(item.span(), format!("`{key}`: {e}")),
            }
        }
        if list.get_ref().is_empty() {
            self.error(list.span(), format!("`{key}` must not be empty"));
        }
        parsed
    }

    fn integer<T: TryFrom<i64>>(
        &mut self,
        value: &Spanned<i64>,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<T> {
        let v = *value.get_ref();
        if v < min || v > max {
            self.error(
                value.span(),
                format!("`{key}` must be between {min} and {max}, got {v}"),
            );
            return None;
        }
        T::try_from(v).ok()
    }

    fn not_blank(&mut self, value: &Spanned<String>, key: &str) {
        if value.get_ref().trim().is_empty() {
            self.error(value.span(), format!("`{key}` must not be empty"));
        }
    }
}

pub(super) fn load(source: &str, file_name: &str) -> Result<Policy, PolicyErrors> {
    let mut ck = Checker {
        source,
        file: file_name,
        errors: Vec::new(),
    };
    let raw: RawPolicy = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            ck.error(e.span().unwrap_or(0..0), e.message().trim_end().to_owned());
            return Err(PolicyErrors(ck.errors));
        }
    };

    let id = raw.id.get_ref().clone();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        ck.error(
            raw.id.span(),
            "`id` must be lower-case letters, digits and hyphens, e.g. `durham-checkpoint`",
        );
    }
    if *raw.version.get_ref() == 0 {
        ck.error(raw.version.span(), "`version` starts at 1");
    }
    ck.not_blank(&raw.name, "name");
    ck.not_blank(&raw.force, "force");

    let effective_from = ck.date(&raw.effective_from, "effective_from");
    let effective_to = raw.effective_to.as_ref().and_then(|to| {
        let date = ck.date(to, "effective_to")?;
        if let Some(from) = effective_from
            && date < from
        {
            ck.error(
                to.span(),
                format!("`effective_to` {date} is before `effective_from` {from}"),
            );
        }
        Some(date)
    });

    let on_completion = ck.outcome(&raw.outcomes.on_completion, "on_completion");
    let on_failure = ck.outcome(&raw.outcomes.on_failure, "on_failure");
    let time_limit_expired = ck.outcome(&raw.outcomes.time_limit_expired, "time_limit_expired");

    let contract_length = *raw.contract.length.get_ref();
    let length_ok = match contract_length {
        ContractLength::Months(m) => (1..=24).contains(&m),
        ContractLength::Weeks(w) => (1..=104).contains(&w),
        ContractLength::Days(d) => (1..=730).contains(&d),
    };
    if !length_ok {
        ck.error(
            raw.contract.length.span(),
            format!(
                "contract length {} is outside 1 day to 2 years",
                contract_length.describe()
            ),
        );
    }
    let minimum = *raw.contract.minimum_contract_days.get_ref();
    if length_ok {
        let shortest = shortest_length_days(contract_length);
        if i32::from(minimum) > shortest {
            ck.error(
                raw.contract.minimum_contract_days.span(),
                format!(
                    "`minimum_contract_days` {minimum} exceeds the contract length ({}, as little as {shortest} days): \
                     every contract would be too short",
                    contract_length.describe()
                ),
            );
        }
    }
    let deadline_rule = DeadlineRule {
        margin_days: raw.contract.margin_days,
        minimum_contract_days: minimum,
    };

    let follow_up_months: Vec<u16> = raw
        .follow_up_months
        .get_ref()
        .iter()
        .map(|m| *m.get_ref())
        .collect();
    if follow_up_months.is_empty() {
        ck.error(
            raw.follow_up_months.span(),
            "`follow_up_months` must list at least one window, e.g. [12, 24]",
        );
    }
    for pair in raw.follow_up_months.get_ref().windows(2) {
        if pair[1].get_ref() <= pair[0].get_ref() {
            ck.error(pair[1].span(), "`follow_up_months` must increase");
        }
    }
    for m in raw.follow_up_months.get_ref() {
        if *m.get_ref() == 0 {
            ck.error(m.span(), "a follow-up window must be at least 1 month");
        }
    }
    let review_after = *raw.retention.review_after_months.get_ref();
    let last_follow_up = follow_up_months.iter().copied().max().unwrap_or(0);
    if review_after == 0 || review_after < last_follow_up {
        ck.error(
            raw.retention.review_after_months.span(),
            format!(
                "`review_after_months` {review_after} would review records before the last follow-up window \
                 ({last_follow_up} months) has been measured"
            ),
        );
    }
    let suppression_threshold = match &raw.suppression_threshold {
        Some(t) if *t.get_ref() == 0 => {
            ck.error(t.span(), "`suppression_threshold` must be at least 1");
            DEFAULT_SUPPRESSION_THRESHOLD
        }
        Some(t) => *t.get_ref(),
        None => DEFAULT_SUPPRESSION_THRESHOLD,
    };
    let trial = check_trial(&mut ck, raw.trial.as_ref());
    let catalogue = check_catalogue(&mut ck, &raw.conditions, raw.legal_mode);
    let criteria = check_criteria(&mut ck, &raw.criteria);

    if !ck.errors.is_empty() {
        ck.errors.sort_by_key(|e| (e.line, e.column));
        return Err(PolicyErrors(ck.errors));
    }
    let (Some(effective_from), Some(on_completion), Some(on_failure), Some(time_limit_expired)) = (
        effective_from,
        on_completion,
        on_failure,
        time_limit_expired,
    ) else {
        // Each `None` above recorded an error, so this is unreachable; stay total regardless.
        return Err(PolicyErrors(ck.errors));
    };

    let meta = PolicyMeta {
        id,
        version: *raw.version.get_ref(),
        name: raw.name.into_inner(),
        effective_from,
        effective_to,
        content_hash: format!("sha256:{}", hex::encode(Sha256::digest(source.as_bytes()))),
        criteria: criteria
            .iter()
            .map(|c| CriterionInfo {
                id: c.id.clone(),
                kind: c.kind(),
                text: c.text.clone(),
                source: c.source.clone(),
            })
            .collect(),
    };
    Ok(Policy {
        meta: Arc::new(meta),
        force: raw.force.into_inner(),
        description: raw.description,
        legal_mode: raw.legal_mode,
        outcomes: OutcomeMapping {
            on_completion,
            on_failure,
            time_limit_expired,
        },
        contract_length,
        deadline_rule,
        catalogue,
        follow_up_months,
        retention: Retention {
            review_after_months: review_after,
        },
        suppression_threshold,
        trial,
        criteria,
    })
}

/// The fewest days a contract of this length can have (months differ in length).
fn shortest_length_days(length: ContractLength) -> i32 {
    (1..=12)
        .filter_map(|month| Date::new(2001, month, 1).ok())
        .map(|start| days_between(start, length.end_from(start)))
        .min()
        .unwrap_or(0)
}

fn check_trial(ck: &mut Checker<'_>, trial: Option<&Spanned<RawTrial>>) -> TrialSettings {
    let mut settings = TrialSettings::default();
    let Some(trial) = trial else { return settings };
    let raw = trial.get_ref();
    settings.enabled = raw.enabled;
    if let Some(ratio) = &raw.allocation_ratio {
        match ratio.get_ref().as_slice() {
            &[treatment, control] if treatment > 0 && control > 0 => settings.allocation_ratio = [treatment, control],
            _ => ck.error(
                ratio.span(),
                "`allocation_ratio` must be two positive numbers, treatment then control, e.g. [1, 1]",
            ),
        }
    }
    let arms_per_cycle =
        u16::from(settings.allocation_ratio[0]) + u16::from(settings.allocation_ratio[1]);
    match &raw.block_sizes {
        Some(sizes) => {
            if sizes.get_ref().is_empty() {
                ck.error(sizes.span(), "`block_sizes` must not be empty");
            }
            for size in sizes.get_ref() {
                let s = *size.get_ref();
                if s == 0 || s % arms_per_cycle != 0 {
                    ck.error(
                        size.span(),
                        format!(
                            "block size {s} is not a positive multiple of the allocation ratio's total \
                             ({arms_per_cycle}), so blocks could not stay balanced"
                        ),
                    );
                }
            }
            settings.block_sizes = sizes.get_ref().iter().map(|s| *s.get_ref()).collect();
        }
        None => settings.block_sizes = vec![arms_per_cycle * 2],
    }
    let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
    for stratum in &raw.strata {
        ck.not_blank(stratum, "strata");
        if let Some(first) = seen.insert(stratum.get_ref(), stratum.span()) {
            let at = ck.position(&first);
            ck.error(
                stratum.span(),
                format!("stratum `{}` is already listed at {at}", stratum.get_ref()),
            );
        }
    }
    settings.strata = raw.strata.iter().map(|s| s.get_ref().clone()).collect();
    settings
}

fn check_catalogue(
    ck: &mut Checker<'_>,
    raw: &RawCatalogue,
    mode: LegalMode,
) -> ConditionCatalogue {
    let max = *raw.max_conditions.get_ref();
    let mandatory = raw
        .condition
        .iter()
        .filter(|c| c.mandatory.as_ref().is_some_and(|m| *m.get_ref()))
        .count();
    if max == 0 {
        ck.error(
            raw.max_conditions.span(),
            "`max_conditions` must be at least 1",
        );
    } else if mandatory > usize::from(max) {
        ck.error(
            raw.max_conditions.span(),
            format!("`max_conditions` is {max} but {mandatory} conditions are mandatory"),
        );
    }
    if raw.condition.is_empty() {
        ck.error(
            raw.max_conditions.span(),
            "the catalogue lists no conditions ([[conditions.condition]])",
        );
    }
    let mut ids: HashMap<&str, Range<usize>> = HashMap::new();
    let mut mandatory_in_group: HashMap<&str, &RawCondition> = HashMap::new();
    for c in &raw.condition {
        ck.not_blank(&c.id, "id");
        if let Some(first) = ids.insert(c.id.get_ref(), c.id.span()) {
            let at = ck.position(&first);
            ck.error(
                c.id.span(),
                format!("condition `{}` is already defined at {at}", c.id.get_ref()),
            );
        }
        if let (Some(min), Some(maximum)) = (&c.min_hours, &c.max_hours)
            && min.get_ref() > maximum.get_ref()
        {
            ck.error(
                min.span(),
                format!(
                    "condition `{}`: `min_hours` {} is more than `max_hours` {}",
                    c.id.get_ref(),
                    min.get_ref(),
                    maximum.get_ref()
                ),
            );
        }
        if let Some(maximum) = &c.max_hours
            && *maximum.get_ref() == 0
        {
            ck.error(
                maximum.span(),
                format!(
                    "condition `{}`: `max_hours` must be at least 1",
                    c.id.get_ref()
                ),
            );
        }
        if matches!(
            mode,
            LegalMode::PcscDiversionaryCaution | LegalMode::PcscCommunityCaution
        ) && c.kind == ConditionKind::UnpaidWork
        {
            let cap = c.max_hours.as_ref();
            if cap.is_none_or(|h| *h.get_ref() > PCSC_UNPAID_WORK_CAP_HOURS) {
                ck.error(
                    cap.map_or(c.id.span(), Spanned::span),
                    format!(
                        "condition `{}`: the PCSC Act 2022 s.101 caps unpaid work at {PCSC_UNPAID_WORK_CAP_HOURS} hours",
                        c.id.get_ref()
                    ),
                );
            }
        }
        if let Some(group) = &c.exclusive_group {
            ck.not_blank(group, "exclusive_group");
            if c.mandatory.as_ref().is_some_and(|m| *m.get_ref())
                && let Some(other) = mandatory_in_group.insert(group.get_ref(), c)
            {
                ck.error(
                    group.span(),
                    format!(
                        "conditions `{}` and `{}` are both mandatory but are alternatives (group `{}`)",
                        other.id.get_ref(),
                        c.id.get_ref(),
                        group.get_ref()
                    ),
                );
            }
        }
    }
    ConditionCatalogue {
        max_conditions: max,
        conditions: raw
            .condition
            .iter()
            .map(|c| ConditionType {
                id: c.id.get_ref().clone(),
                kind: c.kind,
                text: c.text.clone(),
                mandatory: c.mandatory.as_ref().is_some_and(|m| *m.get_ref()),
                min_hours: c.min_hours.as_ref().map(|h| *h.get_ref()),
                max_hours: c.max_hours.as_ref().map(|h| *h.get_ref()),
                pathway: c.pathway,
                exclusive_group: c.exclusive_group.as_ref().map(|g| g.get_ref().clone()),
            })
            .collect(),
    }
}

/// The parameters a criterion kind takes.
fn parameters_of(kind: CriterionKind) -> &'static [&'static str] {
    use CriterionKind::*;
    match kind {
        MinAge | MaxAge => &["years"],
        ResidesInForceArea | OffenceInForceArea | EvidenceSufficient | ProsecutionTimeAvailable => {
            &[]
        }
        MaxOffenceAge => &["months", "days"],
        OffenceCategory => &["include", "exclude"],
        ModeOfTrial | InterviewOutcome | RiskBand | SupplyContext | CultivationScale
        | DrugClass => &["allowed"],
        VictimViews => &["excluded"],
        PreviousConvictions => &["fewer_than"],
        ExcludedCircumstances => &["circumstances"],
        OffenceFlags => &["flags"],
        EarlierParticipation => &["results", "schemes", "within_years"],
        Gravity => &["max_final"],
        DecisionTable => &["inputs", "rows", "otherwise"],
    }
}

/// The parameters present on a raw criterion, with their spans.
fn parameters_present(c: &RawCriterion) -> Vec<(&'static str, Range<usize>)> {
    let mut present = Vec::new();
    let mut add = |name: &'static str, span: Option<Range<usize>>| {
        if let Some(span) = span {
            present.push((name, span));
        }
    };
    add("years", c.years.as_ref().map(Spanned::span));
    add("months", c.months.as_ref().map(Spanned::span));
    add("days", c.days.as_ref().map(Spanned::span));
    add("include", c.include.as_ref().map(Spanned::span));
    add("exclude", c.exclude.as_ref().map(Spanned::span));
    add("allowed", c.allowed.as_ref().map(Spanned::span));
    add("excluded", c.excluded.as_ref().map(Spanned::span));
    add("fewer_than", c.fewer_than.as_ref().map(Spanned::span));
    add("circumstances", c.circumstances.as_ref().map(Spanned::span));
    add("flags", c.flags.as_ref().map(Spanned::span));
    add("results", c.results.as_ref().map(Spanned::span));
    add("schemes", c.schemes.as_ref().map(Spanned::span));
    add("within_years", c.within_years.as_ref().map(Spanned::span));
    add("max_final", c.max_final.as_ref().map(Spanned::span));
    add("inputs", c.inputs.as_ref().map(Spanned::span));
    add("rows", c.rows.as_ref().map(Spanned::span));
    add("otherwise", c.otherwise.as_ref().map(Spanned::span));
    present
}

fn check_criteria(ck: &mut Checker<'_>, raw: &Spanned<Vec<RawCriterion>>) -> Vec<Criterion> {
    if raw.get_ref().is_empty() {
        ck.error(
            raw.span(),
            "a policy needs at least one criterion ([[criteria]])",
        );
    }
    let mut ids: HashMap<&str, Range<usize>> = HashMap::new();
    let mut min_ages: Vec<(u8, Range<usize>)> = Vec::new();
    let mut max_ages: Vec<(u8, Range<usize>)> = Vec::new();
    let mut criteria = Vec::with_capacity(raw.get_ref().len());
    for c in raw.get_ref() {
        ck.not_blank(&c.id, "id");
        ck.not_blank(&c.text, "text");
        ck.not_blank(&c.source, "source");
        if let Some(first) = ids.insert(c.id.get_ref(), c.id.span()) {
            let at = ck.position(&first);
            ck.error(
                c.id.span(),
                format!("criterion id `{}` is already used at {at}", c.id.get_ref()),
            );
        }
        let kind = *c.kind.get_ref();
        let accepted = parameters_of(kind);
        for (name, span) in parameters_present(c) {
            if !accepted.contains(&name) {
                let takes = if accepted.is_empty() {
                    "no parameters".to_owned()
                } else {
                    accepted
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                ck.error(
                    span,
                    format!(
                        "`{}` does not take `{name}` (it takes {takes})",
                        kind.as_str()
                    ),
                );
            }
        }
        let applies_to = c.applies_to.as_ref().map(|list| {
            ck.names::<OffenceCategory>(list, "applies_to")
                .into_iter()
                .collect::<CategorySet>()
        });
        if let Some(rule) = build_rule(ck, c, kind) {
            match &rule {
                Rule::MinAge { years } => {
                    min_ages.push((*years, c.years.as_ref().map_or(0..0, Spanned::span)))
                }
                Rule::MaxAge { years } => {
                    max_ages.push((*years, c.years.as_ref().map_or(0..0, Spanned::span)))
                }
                _ => {}
            }
            criteria.push(Criterion {
                id: c.id.get_ref().clone(),
                text: c.text.get_ref().clone(),
                source: c.source.get_ref().clone(),
                applies_to,
                rule,
            });
        }
    }
    for (min, min_span) in &min_ages {
        for (max, max_span) in &max_ages {
            if min > max {
                let at = ck.position(min_span);
                ck.error(
                    max_span.clone(),
                    format!("maximum age {max} is below the minimum age {min} (at {at}): nobody could be eligible"),
                );
            }
        }
    }
    criteria
}

/// Builds the typed rule, reporting missing or invalid parameters. `None` after an error.
fn build_rule(ck: &mut Checker<'_>, c: &RawCriterion, kind: CriterionKind) -> Option<Rule> {
    let kind_span = c.kind.span();
    let need = |ck: &mut Checker<'_>, name: &str| {
        ck.error(
            kind_span.clone(),
            format!("`{}` needs `{name}`", kind.as_str()),
        );
    };
    macro_rules! required {
        ($field:ident) => {
            match &c.$field {
                Some(v) => v,
                None => {
                    need(ck, stringify!($field));
                    return None;
                }
            }
        };
    }
    let rule = match kind {
        CriterionKind::MinAge => Rule::MinAge {
            years: ck.integer(required!(years), "years", 0, 120)?,
        },
        CriterionKind::MaxAge => Rule::MaxAge {
            years: ck.integer(required!(years), "years", 0, 120)?,
        },
        CriterionKind::ResidesInForceArea => Rule::ResidesInForceArea,
        CriterionKind::OffenceInForceArea => Rule::OffenceInForceArea,
        CriterionKind::EvidenceSufficient => Rule::EvidenceSufficient,
        CriterionKind::ProsecutionTimeAvailable => Rule::ProsecutionTimeAvailable,
        CriterionKind::MaxOffenceAge => match (&c.months, &c.days) {
            (Some(m), None) => Rule::MaxOffenceAge {
                limit: OffenceAgeLimit::Months(ck.integer(m, "months", 1, 120)?),
            },
            (None, Some(d)) => Rule::MaxOffenceAge {
                limit: OffenceAgeLimit::Days(ck.integer(d, "days", 1, 3650)?),
            },
            (Some(_), Some(d)) => {
                ck.error(
                    d.span(),
                    "`max_offence_age` takes `months` or `days`, not both",
                );
                return None;
            }
            (None, None) => {
                need(ck, "months` or `days");
                return None;
            }
        },
        CriterionKind::OffenceCategory => match (&c.include, &c.exclude) {
            (Some(list), None) | (None, Some(list)) => {
                let mode = if c.include.is_some() {
                    ListMode::Include
                } else {
                    ListMode::Exclude
                };
                let key = if c.include.is_some() {
                    "include"
                } else {
                    "exclude"
                };
                let categories: CategorySet =
                    ck.names::<OffenceCategory>(list, key).into_iter().collect();
                Rule::OffenceCategory { mode, categories }
            }
            (Some(_), Some(exclude)) => {
                ck.error(
                    exclude.span(),
                    "`offence_category` takes `include` or `exclude`, not both",
                );
                return None;
            }
            (None, None) => {
                need(ck, "include` or `exclude");
                return None;
            }
        },
        CriterionKind::ModeOfTrial => Rule::ModeOfTrial {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::InterviewOutcome => Rule::InterviewOutcome {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::RiskBand => Rule::RiskBand {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::SupplyContext => Rule::SupplyContext {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::CultivationScale => Rule::CultivationScale {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::DrugClass => Rule::DrugClass {
            allowed: ck.names(required!(allowed), "allowed"),
        },
        CriterionKind::VictimViews => Rule::VictimViews {
            excluded: ck.names(required!(excluded), "excluded"),
        },
        CriterionKind::PreviousConvictions => {
            let fewer_than = required!(fewer_than);
            if *fewer_than.get_ref() == 0 {
                ck.error(
                    fewer_than.span(),
                    "`fewer_than = 0` can never be met: nobody has fewer than 0 convictions",
                );
                return None;
            }
            Rule::PreviousConvictions {
                fewer_than: ck.integer(fewer_than, "fewer_than", 1, i64::from(u32::MAX))?,
            }
        }
        CriterionKind::ExcludedCircumstances => Rule::ExcludedCircumstances {
            circumstances: ck.names(required!(circumstances), "circumstances"),
        },
        CriterionKind::OffenceFlags => Rule::OffenceFlags {
            flags: ck.names(required!(flags), "flags"),
        },
        CriterionKind::EarlierParticipation => {
            let results = ck.names(required!(results), "results");
            let schemes = c.schemes.as_ref().map(|list| {
                if list.get_ref().is_empty() {
                    ck.error(
                        list.span(),
                        "`schemes` must not be empty (leave it out to mean every scheme)",
                    );
                }
                list.get_ref().iter().map(|s| s.get_ref().clone()).collect()
            });
            let within_years = match &c.within_years {
                Some(y) => Some(ck.integer(y, "within_years", 1, 10)?),
                None => None,
            };
            Rule::EarlierParticipation {
                results,
                schemes,
                within_years,
            }
        }
        CriterionKind::Gravity => {
            let max_final = required!(max_final);
            let v = *max_final.get_ref();
            if !(1..=4).contains(&v) {
                ck.error(
                    max_final.span(),
                    format!("`max_final` is a gravity score, 1 to 4; got {v}"),
                );
                return None;
            }
            Rule::Gravity {
                max_final: u8::try_from(v).ok()?,
            }
        }
        CriterionKind::DecisionTable => Rule::DecisionTable {
            table: build_table(ck, c)?,
        },
    };
    Some(rule)
}

fn build_table(ck: &mut Checker<'_>, c: &RawCriterion) -> Option<DecisionTable> {
    let kind_span = c.kind.span();
    let (Some(raw_inputs), Some(raw_rows), Some(otherwise)) = (&c.inputs, &c.rows, &c.otherwise)
    else {
        ck.error(
            kind_span,
            "`decision_table` needs `inputs`, `rows` and `otherwise`",
        );
        return None;
    };
    let inputs: Vec<TableInput> = ck.names(raw_inputs, "inputs");
    for (i, input) in inputs.iter().enumerate() {
        if inputs[..i].contains(input) {
            ck.error(
                raw_inputs.span(),
                format!("input `{}` is listed twice", input.as_str()),
            );
        }
    }
    if raw_rows.get_ref().is_empty() {
        ck.error(raw_rows.span(), "`rows` must not be empty");
    }
    let errors_before = ck.errors.len();
    let mut rows = Vec::with_capacity(raw_rows.get_ref().len());
    for (index, raw_row) in raw_rows.get_ref().iter().enumerate() {
        let number = index + 1;
        let row = raw_row.get_ref();
        let mut ranges = [None; 3];
        for (input, range) in [
            (TableInput::FinalGravity, &row.final_gravity),
            (TableInput::PreviousConvictions, &row.previous_convictions),
            (TableInput::Age, &row.age),
        ] {
            let Some(range) = range else { continue };
            if !inputs.contains(&input) {
                ck.error(
                    range.span(),
                    format!("row {number} gives a range for `{}`, which is not one of this table's inputs", input.as_str()),
                );
                continue;
            }
            ranges[TableInput::ALL
                .iter()
                .position(|i| *i == input)
                .unwrap_or(0)] = check_range(ck, range, input, number);
        }
        rows.push(TableRow {
            label: row.label.clone(),
            ranges,
            verdict: row.verdict,
        });
    }
    let table = DecisionTable {
        inputs,
        rows,
        otherwise: *otherwise.get_ref(),
    };
    if ck.errors.len() > errors_before {
        return None;
    }
    for (earlier, later) in table.overlapping_rows() {
        let spans = raw_rows.get_ref();
        let at = ck.position(&spans[earlier].span());
        let example: Vec<String> = table
            .inputs
            .iter()
            .map(|&input| {
                let value = table.rows[earlier]
                    .range(input)
                    .min
                    .max(table.rows[later].range(input).min);
                format!("{} {value}", input.as_str())
            })
            .collect();
        ck.error(
            spans[later].span(),
            format!(
                "row {} overlaps row {} (at {at}): a case with {} matches both",
                describe_row(&table.rows[later], later),
                describe_row(&table.rows[earlier], earlier),
                example.join(" and ")
            ),
        );
    }
    Some(table)
}

fn describe_row(row: &TableRow, index: usize) -> String {
    match &row.label {
        Some(label) => format!("{} (\"{label}\")", index + 1),
        None => (index + 1).to_string(),
    }
}

/// Validates one row's range for one input; `None` (after an error) when it can never fire.
fn check_range(
    ck: &mut Checker<'_>,
    raw: &Spanned<RawRange>,
    input: TableInput,
    row: usize,
) -> Option<InclusiveRange> {
    let domain = input.domain();
    let range = InclusiveRange {
        min: raw.get_ref().min.unwrap_or(domain.min),
        max: raw.get_ref().max.unwrap_or(domain.max),
    };
    let name = input.as_str();
    let shown = |r: InclusiveRange| format!("{}–{}", r.min, r.max);
    if range.is_empty() {
        ck.error(
            raw.span(),
            format!(
                "row {row} can never fire: its `{name}` range {} is empty",
                shown(range)
            ),
        );
        None
    } else if !range.intersects(domain) {
        ck.error(
            raw.span(),
            format!(
                "row {row} can never fire: its `{name}` range {} is outside {}",
                shown(range),
                shown(domain)
            ),
        );
        None
    } else if range.min < domain.min || range.max > domain.max {
        ck.error(
            raw.span(),
            format!(
                "row {row}: its `{name}` range {} reaches outside the possible values {}",
                shown(range),
                shown(domain)
            ),
        );
        None
    } else {
        Some(range)
    }
}
