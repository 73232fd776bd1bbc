//! A form as a template sees it: the values to show (what the user typed, or defaults) and
//! the errors to show, GOV.UK style: a summary at the top linking to each field, and each
//! message beside its field.

use super::choices::Options;
use super::session::Posted;
use checkpoint_app::{AppError, FieldError};

/// One problem shown on a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    /// The field's `name`; empty when the problem is about the form as a whole.
    pub field: String,
    pub message: String,
}

impl FormProblem {
    /// The `id` of the field's input, for the summary's link.
    pub fn anchor(&self) -> String {
        if self.field.is_empty() {
            "main-content".to_owned()
        } else {
            field_id(&self.field)
        }
    }
}

/// Field names hold dots (`person.given_name`); ids use dashes so they work as URL fragments
/// and CSS selectors without escaping.
pub fn field_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// What a form shows.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub values: Posted,
    /// What was posted, before any defaults were added to `values`.
    pub submitted: Posted,
    pub problems: Vec<FormProblem>,
    /// The case changed since the form was opened (409): the page says so above everything.
    pub conflict: bool,
}

impl Form {
    pub fn blank() -> Form {
        Form::default()
    }

    pub fn with_values(values: Posted) -> Form {
        Form {
            submitted: values.clone(),
            values,
            ..Form::default()
        }
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name)
    }

    pub fn checked(&self, name: &str, value: &str) -> bool {
        self.values.has(name, value)
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == name)
            .map(|p| p.message.as_str())
    }

    pub fn has_error(&self, name: &str) -> bool {
        self.error(name).is_some()
    }

    pub fn id(&self, name: &str) -> String {
        field_id(name)
    }

    /// What the user typed, for the "someone else changed this case" message: every
    /// non-empty field but the form's plumbing (`version`, `choice`, row counts), each under
    /// the label the form shows it with and, for a choice, in the words of the option chosen.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.submitted
            .pairs()
            .iter()
            .filter(|(name, value)| !value.trim().is_empty() && !is_plumbing(name))
            .map(|(name, value)| {
                let (label, options) = field_label(name);
                let value = match options {
                    Some(options) => super::choices::label_of(options, value.trim()),
                    None => value.clone(),
                };
                (label, value)
            })
            .collect()
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FormProblem {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Adds the use case's field errors, renaming each field to the form's name for it.
    pub fn add_field_errors(&mut self, errors: &[FieldError], rename: impl Fn(&str) -> String) {
        for e in errors {
            self.problems.push(FormProblem {
                field: rename(&e.field),
                message: sentence(&e.message),
            });
        }
    }

    /// Turns an error a form can show into problems on the form; anything else is returned
    /// for the caller to propagate (not found, forbidden, internal).
    pub fn absorb(
        &mut self,
        error: AppError,
        rename: impl Fn(&str) -> String,
    ) -> Result<(), AppError> {
        match error {
            AppError::Invalid(errors) => {
                self.add_field_errors(&errors, rename);
                Ok(())
            }
            AppError::Conflict { .. } => {
                self.conflict = true;
                Ok(())
            }
            AppError::IllegalTransition(e) => {
                self.problem("", sentence(&e.to_string()));
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// Fields a form posts that the user did not type.
fn is_plumbing(name: &str) -> bool {
    matches!(
        name,
        "version"
            | "choice"
            | "earlier_rows"
            | "add_earlier"
            | "acknowledged"
            | "person_choice"
            | "countersign.decision_id"
    )
}

const YES_NO: Options = &[("yes", "Yes"), ("no", "No")];

/// Every fixed field name of the HTML forms, with its label and, for a choice, its options.
/// The templates give the same labels; `labels_match_the_templates` keeps the two in step.
const LABELS: &[(&str, &str, Option<Options>)] = {
    use super::choices as c;
    &[
        ("scheme_id", "Scheme", None),
        ("referral_date", "Referral date", None),
        ("custody_reference", "Custody record reference", None),
        ("person.given_name", "Given name", None),
        ("person.family_name", "Family name", None),
        ("person.date_of_birth", "Date of birth", None),
        ("person.sex", "Sex", Some(c::SEX)),
        (
            "person.ethnicity_self_defined",
            "Ethnicity (self-defined)",
            Some(c::ETHNICITY),
        ),
        (
            "person.ethnicity_officer_observed",
            "Ethnicity (officer observed)",
            Some(c::ETHNIC_GROUP),
        ),
        ("person.postcode", "Postcode", None),
        ("person.pnc_id", "PNC ID", None),
        (
            "person.resides_in_force_area",
            "Lives in the force area?",
            Some(YES_NO),
        ),
        ("offence.category", "Offence", Some(c::OFFENCE_CATEGORY)),
        ("offence.offence_date", "Offence date", None),
        (
            "offence.mode_of_trial",
            "Mode of trial",
            Some(c::MODE_OF_TRIAL),
        ),
        ("offence.home_office_code", "Home Office offence code", None),
        ("offence.description", "What happened", None),
        ("offence.gravity.base", "Gravity score", Some(c::GRAVITY)),
        ("offence.drug_class", "Drug class", Some(c::DRUG_CLASS)),
        (
            "offence.cultivation_scale",
            "Scale of cultivation",
            Some(c::CULTIVATION_SCALE),
        ),
        (
            "offence.supply_context",
            "Why the person supplied",
            Some(c::SUPPLY_CONTEXT),
        ),
        (
            "offence.gravity.aggravating",
            "Aggravating factors present",
            Some(YES_NO),
        ),
        (
            "offence.gravity.mitigating",
            "Mitigating factors present",
            Some(YES_NO),
        ),
        (
            "offence.committed_in_force_area",
            "Committed in the force area?",
            Some(YES_NO),
        ),
        ("offence.hate_crime", "Hate crime?", Some(YES_NO)),
        (
            "offence.domestic_related",
            "Domestic abuse related?",
            Some(YES_NO),
        ),
        (
            "offence.victim.views",
            "Victim's views on diversion",
            Some(c::VICTIM_VIEWS),
        ),
        (
            "offence.victim.wants_restorative_justice",
            "Victim wants restorative justice?",
            Some(YES_NO),
        ),
        ("interview", "Interview outcome", Some(c::INTERVIEW)),
        ("previous_convictions", "Previous convictions", None),
        (
            "evidence_sufficient_to_charge",
            "Enough evidence to charge?",
            Some(YES_NO),
        ),
        ("risk.tool", "Risk tool", None),
        ("risk.band", "Band the tool gave", Some(c::RISK_BAND)),
        (
            "risk.officer_band",
            "Your own judgement",
            Some(c::RISK_BAND),
        ),
        (
            "vulnerabilities",
            "Vulnerabilities identified",
            Some(c::VULNERABILITY),
        ),
        (
            "vulnerabilities_none",
            "No vulnerabilities identified",
            Some(YES_NO),
        ),
        ("earlier_none", "No earlier participation", Some(YES_NO)),
        (
            "override.outcome",
            "Your decision",
            Some(c::SCREENING_OUTCOME),
        ),
        ("override.code", "Reason code", Some(c::OVERRIDE_CODE)),
        ("override.reason", "Why you depart from the advice", None),
        (
            "consent.answer",
            "Did the person accept the offer?",
            Some(c::CONSENT_ANSWER),
        ),
        ("consent.admission", "Admission", Some(c::ADMISSION)),
        ("consent.signed_on", "Date signed", None),
        ("consent.reason", "Why they declined", None),
        (
            "countersign.agree",
            "Do you agree with the override?",
            Some(c::AGREE),
        ),
        ("countersign.note", "Note", None),
        ("assign.navigator", "Who takes the case", None),
        ("assign.team", "Team", None),
        (
            "assign.over_limit_reason",
            "Reason to go over the caseload limit",
            None,
        ),
        ("contract.start", "Start date", None),
        ("signature.signed_on", "Signed on", None),
        (
            "signature.method",
            "How the participant signed",
            Some(c::SIGNATURE_METHOD),
        ),
        ("signature.typed_name", "Name as typed", None),
        ("signature.document_ref", "Paper document reference", None),
        ("variation.reason", "Why the contract changes", None),
        ("variation.signed_on", "Signed on", None),
        (
            "variation.method",
            "How the participant signed",
            Some(c::SIGNATURE_METHOD),
        ),
        ("variation.typed_name", "Name as typed", None),
        ("variation.document_ref", "Paper document reference", None),
        ("contact.on", "Date of the contact", None),
        ("contact.method", "How", Some(c::CONTACT_METHOD)),
        ("contact.note", "What passed", None),
        ("appointment.date", "Date", None),
        ("appointment.time", "Time", None),
        ("appointment.purpose", "Purpose", None),
        ("appointment.location", "Location", None),
        ("provider.provider", "Provider", None),
        ("provider.pathway", "Pathway", Some(c::PATHWAY)),
        ("provider.note", "Note", None),
        ("review.reason", "What happened", None),
        ("decide.decision", "Decision", Some(c::REVIEW_DECISION)),
        (
            "decide.reasonable_excuse",
            "Reasonable excuse? (when resuming)",
            Some(YES_NO),
        ),
        ("decide.reason", "Reason", None),
        ("withdraw.reason", "Why", None),
        ("handover.from", "Whose cases move", None),
        ("handover.to", "Who takes them", None),
        (
            "handover.over_limit_reason",
            "Reason to go over caseload limits",
            None,
        ),
    ]
};

/// The label a form shows for field `name`, and the options its value is one of: from
/// [`LABELS`], or from the shape of a repeated row's name (`condition.2.hours` → "Condition
/// 3: hours"); anything else in words.
pub fn field_label(name: &str) -> (String, Option<Options>) {
    use super::choices as c;
    if let Some((_, label, options)) = LABELS.iter().find(|(n, _, _)| *n == name) {
        return ((*label).to_owned(), *options);
    }
    let parts: Vec<&str> = name.split('.').collect();
    let row = |index: &str| index.parse::<usize>().map_or(0, |i| i + 1);
    let condition_part = |part: &str| -> (String, Option<Options>) {
        match part {
            "condition" => ("condition".to_owned(), None),
            "hours" => ("hours".to_owned(), None),
            "due" => ("due by".to_owned(), None),
            "provider" => ("provider".to_owned(), None),
            other => (super::words(other).to_lowercase(), None),
        }
    };
    match parts.as_slice() {
        ["condition", i, part] | ["variation", "condition", i, part] => {
            let (what, options) = condition_part(part);
            (format!("Condition {}: {what}", row(i)), options)
        }
        ["earlier", i, part] => {
            let what = match *part {
                "result" => "how it ended",
                "date" => "date",
                _ => "scheme",
            };
            let options = (*part == "result").then_some(c::PARTICIPATION_RESULT);
            (format!("Earlier participation {}: {what}", row(i)), options)
        }
        ["circumstances", key] => (c::label_of(c::CIRCUMSTANCES, key), Some(YES_NO)),
        ["needs", pathway] => (
            format!("Need: {}", c::label_of(c::PATHWAY, pathway)),
            Some(c::SEVERITY),
        ),
        ["appointments", _, "attended"] | ["attended"] => {
            ("Did the person attend?".to_owned(), Some(c::ATTENDANCE))
        }
        ["appointments", _, "reason"] | ["reason"] => {
            ("If not, why".to_owned(), Some(c::ABSENCE_REASON))
        }
        ["appointments", _, "note"] | ["conditions", _, "note"] | ["note"] => {
            ("Note".to_owned(), None)
        }
        ["conditions", _, "status"] => ("New status".to_owned(), Some(c::CONDITION_STATUS)),
        ["provider-referrals", _, "response"] => {
            ("Provider's answer".to_owned(), Some(c::PROVIDER_RESPONSE))
        }
        ["provider-referrals", _, "reason"] => ("If rejected, why".to_owned(), None),
        _ => (super::words(parts.last().copied().unwrap_or(name)), None),
    }
}

/// Capitalises a message so it reads as a sentence in the summary.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Parses a field the form requires; records a problem and returns `None` when it is missing
/// or malformed.
pub fn required<T>(
    form: &mut Form,
    values: &Posted,
    name: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = values.get(name);
    if raw.is_empty() {
        form.problem(name, format!("Enter {what}"));
        return None;
    }
    let parsed = parse(raw);
    if parsed.is_none() {
        form.problem(name, format!("Enter {what} in the right format"));
    }
    parsed
}

/// Parses an optional field: `Ok(None)` when empty, a problem when malformed.
pub fn optional<T>(
    form: &mut Form,
    values: &Posted,
    name: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = values.get(name);
    if raw.is_empty() {
        return None;
    }
    let parsed = parse(raw);
    if parsed.is_none() {
        form.problem(name, format!("Enter {what} in the right format"));
    }
    parsed
}

/// `yes` / `no` / anything else (not known).
pub fn tri_state(values: &Posted, name: &str) -> Option<bool> {
    match values.get(name) {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

pub fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    text.parse().ok()
}

/// Parses a serde enum from its wire name (`"no_reply"`), so forms use the same names as the
/// JSON API and the referral schema.
pub fn parse_enum<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::from(text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_fragments() {
        assert_eq!(field_id("person.given_name"), "person-given_name");
        assert_eq!(field_id("conditions[2].hours"), "conditions-2--hours");
    }

    /// `(name, label)` of every macro-made field with a fixed name in a template's source.
    fn template_fields(source: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for call in source.split("{% call m::").skip(1) {
            let Some(args) = call.split_once("(form, \"").map(|(_, rest)| rest) else {
                continue;
            };
            let Some((name, rest)) = args.split_once('"') else {
                continue;
            };
            let Some(label) = rest
                .strip_prefix(", \"")
                .and_then(|r| r.split_once('"'))
                .map(|(label, _)| label)
            else {
                continue; // a name built in the template (`field.as_str()`)
            };
            out.push((name.to_owned(), label.to_owned()));
        }
        out
    }

    #[test]
    fn labels_match_the_templates() {
        let sources = [
            include_str!("../../templates/partials/referral_fields.html"),
            include_str!("../../templates/referral_form.html"),
            include_str!("../../templates/decision.html"),
            include_str!("../../templates/case.html"),
            include_str!("../../templates/supervisor.html"),
        ];
        let mut checked = 0;
        for source in sources {
            for (name, label) in template_fields(source) {
                if label == "Or" {
                    continue; // the "none" boxes, whose legend is only a connective
                }
                let (known, _) = field_label(&name);
                assert_eq!(known, label, "the label of {name}");
                checked += 1;
            }
        }
        assert!(checked > 60, "the templates were read ({checked} fields)");
        assert_eq!(
            field_label("variation.condition.1.due").0,
            "Condition 2: due by"
        );
        assert_eq!(
            field_label("earlier.0.result").0,
            "Earlier participation 1: how it ended"
        );
        assert_eq!(field_label("needs.housing").0, "Need: Housing");
    }

    #[test]
    fn entries_show_labels_and_the_words_of_choices() {
        let form = Form::with_values(Posted::new(
            [
                ("version", "3"),
                ("choice", "override"),
                ("override.outcome", "ineligible"),
                ("override.code", "victim_views"),
                ("override.reason", "The victim objected"),
                ("circumstances.co_accused", "yes"),
                ("condition.0.hours", "20"),
                ("earlier_rows", "1"),
            ]
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        ));
        let entries = form.entries();
        let pairs: Vec<(&str, &str)> = entries
            .iter()
            .map(|(l, v)| (l.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Your decision", "Ineligible"),
                ("Reason code", "The victim's views"),
                ("Why you depart from the advice", "The victim objected"),
                ("Has co-accused", "Yes"),
                ("Condition 1: hours", "20"),
            ]
        );
    }

    #[test]
    fn problems_are_sentences_under_the_forms_names() {
        let mut form = Form::blank();
        form.add_field_errors(
            &[FieldError::new(
                "referral.person.given_name",
                "must not be empty",
            )],
            |f| f.trim_start_matches("referral.").to_owned(),
        );
        assert_eq!(form.error("person.given_name"), Some("Must not be empty"));
        assert_eq!(form.problems[0].anchor(), "person-given_name");
    }
}
