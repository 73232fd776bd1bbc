//! A form as a template sees it: the values to show (what the user typed, or defaults) and
//! the errors to show, GOV.UK style: a summary at the top linking to each field, and each
//! message beside its field.

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
    /// non-empty field but the form's plumbing (`version`, `choice`).
    pub fn entries(&self) -> Vec<(String, String)> {
        self.values
            .pairs()
            .iter()
            .filter(|(name, value)| {
                !value.trim().is_empty() && !matches!(name.as_str(), "version" | "choice")
            })
            .map(|(name, value)| (name.clone(), value.clone()))
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
