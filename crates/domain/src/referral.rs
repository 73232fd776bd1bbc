//! A custody referral: everything the decision maker knows about a person and an offence when
//! asking "is this person eligible for this scheme?". The JSON form is documented by
//! `schemas/referral.schema.json`; the CLI, the API and the CSV import all parse through
//! [`Referral::from_json`].

use crate::offence::Offence;
use crate::person::PersonDetails;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What the person said in interview under caution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterviewOutcome {
    Admitted,
    NoReply,
    Denied,
    NotInterviewed,
}

impl InterviewOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            InterviewOutcome::Admitted => "admitted",
            InterviewOutcome::NoReply => "no_reply",
            InterviewOutcome::Denied => "denied",
            InterviewOutcome::NotInterviewed => "not_interviewed",
        }
    }
}

/// The band a risk forecasting tool (e.g. Durham's HART) gave. Advisory only: the custody
/// officer's decision is the one recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    Low,
    Moderate,
    High,
}

impl RiskBand {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskBand::Low => "low",
            RiskBand::Moderate => "moderate",
            RiskBand::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAssessment {
    /// The forecasting tool and its version, e.g. "HART 2".
    pub tool: String,
    pub band: RiskBand,
    /// The band the officer would have given, to measure agreement with the tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_band: Option<RiskBand>,
}

/// Circumstances that exclude a person from most schemes. Each is `None` until the officer has
/// checked it, so a rule that needs it answers "unknown" rather than guessing "no".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circumstances {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detained_for_court: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detained_under_mental_health_act: Option<bool>,
    /// On a court order, suspended sentence or conditional discharge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_to_court_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_bail_for_other_matters: Option<bool>,
    /// Under probation or other statutory supervision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under_statutory_supervision: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_accused: Option<bool>,
}

/// Needs or vulnerabilities the officer noticed; they shape the contract, and some schemes'
/// rules (e.g. Durham 2017's vulnerable suppliers) turn on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vulnerability {
    MentalHealth,
    SubstanceMisuse,
    Alcohol,
    Homelessness,
    Exploitation,
    LearningDisability,
    CareLeaver,
    DomesticAbuseVictim,
}

/// How an earlier episode on a diversion scheme ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipationResult {
    Completed,
    Failed,
    /// Offered and accepted, but never engaged (DIVERT: not offered again).
    NotEngaged,
    Declined,
    Withdrawn,
    Ongoing,
}

impl ParticipationResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipationResult::Completed => "completed",
            ParticipationResult::Failed => "failed",
            ParticipationResult::NotEngaged => "not_engaged",
            ParticipationResult::Declined => "declined",
            ParticipationResult::Withdrawn => "withdrawn",
            ParticipationResult::Ongoing => "ongoing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierParticipation {
    /// Scheme id, e.g. `west-midlands-divert`.
    pub scheme: String,
    pub date: Date,
    pub result: ParticipationResult,
}

/// One custody referral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// The day the decision is made; ages, offence age and deadlines count from it.
    pub referral_date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custody_reference: Option<String>,
    pub person: PersonDetails,
    pub offence: Offence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interview: Option<InterviewOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sufficient_to_charge: Option<bool>,
    /// Number of previous convictions on the PNC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_convictions: Option<u32>,
    #[serde(default)]
    pub circumstances: Circumstances,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskAssessment>,
    /// `None`: not assessed. `Some([])`: assessed, none found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    /// `None`: not checked. `Some([])`: checked, never on a scheme before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_participation: Option<Vec<EarlierParticipation>>,
}

/// A referral that could not be read: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ReferralError {
    /// JSON path of the offending field (`offence.gravity.base`), or `.` for the whole document.
    pub path: String,
    /// 1-based line and column in the source text, when the parser knows them.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl ReferralError {
    fn render(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => {
                format!("at {} (line {l}, column {c}): {}", self.path, self.message)
            }
            _ => format!("at {}: {}", self.path, self.message),
        }
    }

    fn semantic(path: &str, message: impl Into<String>) -> Self {
        ReferralError {
            path: path.to_owned(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl Referral {
    /// Parses and checks a referral. Errors name the JSON path of the field at fault.
    pub fn from_json(text: &str) -> Result<Referral, ReferralError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let referral: Referral = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = render_path(e.path());
            let inner = e.into_inner();
            let (line, column) = if inner.line() == 0 {
                (None, None)
            } else {
                (Some(inner.line()), Some(inner.column()))
            };
            ReferralError {
                path,
                line,
                column,
                message: strip_position(&inner.to_string()),
            }
        })?;
        referral.validate()?;
        Ok(referral)
    }

    /// Parses from an already-decoded JSON value (API bodies, CSV rows mapped to JSON).
    pub fn from_value(value: serde_json::Value) -> Result<Referral, ReferralError> {
        let referral: Referral = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = render_path(e.path());
            ReferralError {
                path,
                line: None,
                column: None,
                message: e.into_inner().to_string(),
            }
        })?;
        referral.validate()?;
        Ok(referral)
    }

    /// Facts that types alone cannot enforce.
    pub fn validate(&self) -> Result<(), ReferralError> {
        if self.person.given_name.trim().is_empty() {
            return Err(ReferralError::semantic(
                "person.given_name",
                "must not be empty",
            ));
        }
        if self.person.family_name.trim().is_empty() {
            return Err(ReferralError::semantic(
                "person.family_name",
                "must not be empty",
            ));
        }
        if self.person.date_of_birth > self.referral_date {
            return Err(ReferralError::semantic(
                "person.date_of_birth",
                format!(
                    "date of birth {} is after the referral date {}",
                    self.person.date_of_birth, self.referral_date
                ),
            ));
        }
        if self.offence.offence_date > self.referral_date {
            return Err(ReferralError::semantic(
                "offence.offence_date",
                format!(
                    "offence date {} is after the referral date {}",
                    self.offence.offence_date, self.referral_date
                ),
            ));
        }
        if self.offence.offence_date < self.person.date_of_birth {
            return Err(ReferralError::semantic(
                "offence.offence_date",
                "offence date is before the person's date of birth",
            ));
        }
        if self.offence.description.trim().is_empty() {
            return Err(ReferralError::semantic(
                "offence.description",
                "must not be empty",
            ));
        }
        if let Some(history) = &self.earlier_participation {
            for (i, p) in history.iter().enumerate() {
                if p.date > self.referral_date {
                    return Err(ReferralError::semantic(
                        &format!("earlier_participation[{i}].date"),
                        "earlier participation is dated after the referral",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A field's JSON path (`offence.gravity.base`, `earlier_participation[0].date`, `.` for the
/// whole document). A key that is not a plain word is quoted, so an empty key or one holding a
/// dot or a space still names one place (`person.""`, `"a.b"`); found by fuzzing.
fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push_str(key);
                } else {
                    out.push_str(&serde_json::Value::from(key.as_str()).to_string());
                }
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

/// serde_json appends " at line L column C" to its messages; we report position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str =
        include_str!("../../../schemas/examples/referral-shop-theft.json");

    #[test]
    fn example_referral_parses() {
        let r = Referral::from_json(EXAMPLE).unwrap();
        assert_eq!(r.person.family_name, "Ashworth");
    }

    /// Fuzzing crash `referral_json` e9e84ba2: a root-level key `""` gave an error whose path
    /// was empty; odd keys are now quoted so the path always names a place.
    #[test]
    fn fuzz_referral_json_e9e84ba2_empty_key_is_quoted_in_the_path() {
        let text = EXAMPLE.replacen("\"interview\"", "\"\"", 1);
        let err = Referral::from_json(&text).unwrap_err();
        assert_eq!(err.path, "\"\"");
        assert!(err.line.is_some(), "{err}");
        let text = EXAMPLE.replacen("\"base\"", "\"a.b\"", 1);
        let err = Referral::from_json(&text).unwrap_err();
        assert_eq!(err.path, "offence.gravity.\"a.b\"");
        let value: serde_json::Value =
            serde_json::from_str(&EXAMPLE.replacen("\"sex\"", "\"\"", 1)).unwrap();
        assert_eq!(Referral::from_value(value).unwrap_err().path, "person.\"\"");
    }

    #[test]
    fn unknown_field_is_named_with_its_path_and_position() {
        let text = EXAMPLE.replacen("\"mode_of_trial\"", "\"mode_of_trail\"", 1);
        let err = Referral::from_json(&text).unwrap_err();
        assert_eq!(err.path, "offence.mode_of_trail");
        assert!(err.message.contains("mode_of_trail"), "{err}");
        assert!(err.line.is_some());
    }

    #[test]
    fn out_of_range_gravity_names_the_field() {
        let text = EXAMPLE.replacen("\"base\": 2", "\"base\": 9", 1);
        let err = Referral::from_json(&text).unwrap_err();
        assert_eq!(err.path, "offence.gravity.base");
        assert!(err.message.contains("between 1 and 4"), "{err}");
    }

    #[test]
    fn offence_after_referral_is_rejected() {
        let text = EXAMPLE.replacen(
            "\"offence_date\": \"2026-03-02\"",
            "\"offence_date\": \"2027-01-01\"",
            1,
        );
        let err = Referral::from_json(&text).unwrap_err();
        assert_eq!(err.path, "offence.offence_date");
    }

    proptest::proptest! {
        /// No input, however malformed, makes the parser panic.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            let _ = Referral::from_json(&text);
        }

        /// Arbitrary JSON values (any shape, any depth) are rejected or accepted, never a panic.
        #[test]
        fn arbitrary_json_never_panics(value in arbitrary_json()) {
            let text = value.to_string();
            let _ = Referral::from_json(&text);
            let _ = Referral::from_value(value);
        }

        /// Mutating one field of a valid referral to any JSON value never panics.
        #[test]
        fn mutated_example_never_panics(key in "[a-z_]{1,30}", value in arbitrary_json()) {
            let mut doc: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
            doc["offence"][key.as_str()] = value.clone();
            doc["person"][key.as_str()] = value;
            let _ = Referral::from_value(doc);
        }
    }

    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null)),
            "[a-z0-9 _-]{0,12}".prop_map(serde_json::Value::from),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                proptest::collection::hash_map("[a-z_]{1,24}", inner, 0..8)
                    .prop_map(|m| { serde_json::Value::Object(m.into_iter().collect()) }),
            ]
        })
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;
    use serde_json::Value;

    const SCHEMA: &str = include_str!("../../../schemas/referral.schema.json");
    const EXAMPLES: [&str; 3] = [
        include_str!("../../../schemas/examples/referral-shop-theft.json"),
        include_str!("../../../schemas/examples/referral-cannabis-grower.json"),
        include_str!("../../../schemas/examples/referral-common-assault-unknowns.json"),
    ];

    fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                &schema["$defs"][name]
            }
            None => node,
        }
    }

    /// Every key the parser produces is documented in the schema, objects in the schema reject
    /// unknown keys just as the parser does, and enum values in the schema parse.
    fn check_documented(schema: &Value, node: &Value, value: &Value, path: &str) {
        let node = resolve(schema, node);
        match value {
            Value::Object(map) => {
                assert_eq!(
                    node["additionalProperties"],
                    Value::Bool(false),
                    "{path} allows unknown keys"
                );
                for (key, child) in map {
                    let child_schema = node["properties"]
                        .get(key)
                        .unwrap_or_else(|| panic!("{path}.{key} is not in the schema"));
                    check_documented(schema, child_schema, child, &format!("{path}.{key}"));
                }
            }
            Value::Array(items) => {
                for item in items {
                    check_documented(schema, &node["items"], item, &format!("{path}[]"));
                }
            }
            Value::String(s) => {
                if let Some(allowed) = node.get("enum").and_then(Value::as_array) {
                    assert!(
                        allowed.contains(&Value::from(s.as_str())),
                        "{path}: {s} not in schema enum"
                    );
                }
            }
            _ => {}
        }
    }

    #[test]
    fn schema_documents_every_field_of_every_example() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        for example in EXAMPLES {
            let referral = Referral::from_json(example).unwrap();
            let value = serde_json::to_value(&referral).unwrap();
            check_documented(&schema, &schema, &value, "$");
        }
    }

    #[test]
    fn schema_enums_match_the_parser() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let base: Value = serde_json::from_str(EXAMPLES[0]).unwrap();
        let categories = schema["$defs"]["offence"]["properties"]["category"]["enum"]
            .as_array()
            .unwrap();
        assert_eq!(categories.len(), crate::offence::OffenceCategory::ALL.len());
        for category in categories {
            let mut doc = base.clone();
            doc["offence"]["category"] = category.clone();
            Referral::from_value(doc).unwrap_or_else(|e| panic!("{category}: {e}"));
        }
        let ethnicities = schema["$defs"]["person"]["properties"]["ethnicity_self_defined"]["enum"]
            .as_array()
            .unwrap();
        for e in ethnicities {
            let mut doc = base.clone();
            doc["person"]["ethnicity_self_defined"] = e.clone();
            Referral::from_value(doc).unwrap_or_else(|err| panic!("{e}: {err}"));
        }
    }
}
