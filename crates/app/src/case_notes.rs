//! Helpers the navigator and supervisor use cases share: events that record something about a
//! case without moving it through the lifecycle (a contract drafted, a contact, a condition's
//! progress), key-date changes, and the policy a case runs under. Each writes its audit row in
//! the caller's transaction, like [`App::apply_transition`].

use crate::case_ops::CaseStep;
use crate::error::AppError;
use crate::{Actor, App};
use checkpoint_domain::lifecycle::next_state;
use checkpoint_domain::policy::Policy;
use checkpoint_store::cases::{self, CaseRow, KeyDates, NewCaseEvent};
use checkpoint_store::{AuditAction, AuditEntry, Tx, audit};
use std::sync::Arc;
use uuid::Uuid;

/// Who is writing: a signed-in user, or the system itself (the arrest feed, scheduled jobs),
/// which has no user row and is named in the audit log instead.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Writer<'a> {
    User(&'a Actor),
    System(&'a str),
}

impl Writer<'_> {
    pub(crate) fn user_id(self) -> Option<Uuid> {
        match self {
            Writer::User(actor) => Some(actor.user_id),
            Writer::System(_) => None,
        }
    }

    pub(crate) fn audit_name(self) -> String {
        match self {
            Writer::User(actor) => actor.audit_name().to_owned(),
            Writer::System(name) => format!("system:{name}"),
        }
    }
}

/// An event that records something about a case without changing its state.
#[derive(Debug, Clone)]
pub(crate) struct CaseNote<'a> {
    pub kind: &'a str,
    pub reason: Option<&'a str>,
    pub payload: serde_json::Value,
}

/// Appends an audit row for `writer` in `tx`.
pub(crate) async fn audit_row(
    tx: &mut Tx,
    writer: Writer<'_>,
    action: AuditAction,
    subject_type: &str,
    subject_id: impl ToString,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::append(
        tx,
        AuditEntry::new(
            writer.user_id(),
            writer.audit_name(),
            action,
            subject_type,
            subject_id,
        )
        .with_details(details),
    )
    .await?;
    Ok(())
}

impl App {
    /// The policy a case runs under today (the scheme's version in force, else its newest).
    pub(crate) fn policy_for(&self, case: &CaseRow) -> Result<Arc<Policy>, AppError> {
        self.policies()
            .in_force(&case.scheme_id, self.clock().today())
            .or_else(|| self.policies().latest(&case.scheme_id))
            .cloned()
            .ok_or_else(|| {
                AppError::Internal(format!("no policy is loaded for scheme {}", case.scheme_id))
            })
    }

    /// Records an event that leaves the state alone (guarded by `expected_version`) and its
    /// alteration audit row. Returns the case at its new version.
    pub(crate) async fn note_case_event(
        &self,
        tx: &mut Tx,
        writer: Writer<'_>,
        case: &CaseRow,
        expected_version: i64,
        note: CaseNote<'_>,
    ) -> Result<CaseRow, AppError> {
        let CaseNote {
            kind,
            reason,
            payload,
        } = note;
        crate::case_ops::check_version(case, expected_version)?;
        let policy = self.policy_label(&case.scheme_id);
        let event = NewCaseEvent {
            actor_id: writer.user_id(),
            kind,
            to_state: None,
            reason,
            policy_version: policy.as_deref(),
            payload: payload.clone(),
        };
        let (updated, _) = cases::append_event(tx, case.id, expected_version, &event).await?;
        let details = serde_json::json!({
            "reference": case.reference,
            "event": kind,
            "version": updated.version,
            "reason": reason,
            "payload": payload,
        });
        audit_row(
            tx,
            writer,
            AuditAction::Alteration,
            "case",
            case.id,
            details,
        )
        .await?;
        Ok(updated)
    }

    /// [`App::apply_transition`] for either kind of writer: the system's events carry no user
    /// id and its audit rows name it.
    pub(crate) async fn transition_as(
        &self,
        tx: &mut Tx,
        writer: Writer<'_>,
        case: &CaseRow,
        expected_version: i64,
        step: CaseStep<'_>,
    ) -> Result<CaseRow, AppError> {
        if let Writer::User(actor) = writer {
            let (updated, _) = self
                .apply_transition(tx, actor, case, expected_version, step)
                .await?;
            return Ok(updated);
        }
        crate::case_ops::check_version(case, expected_version)?;
        let from = crate::case_ops::state_of(case)?;
        let to = next_state(from, step.transition)?;
        let kind = step.transition.kind();
        let policy = self.policy_label(&case.scheme_id);
        let event = NewCaseEvent {
            actor_id: None,
            kind: kind.as_str(),
            to_state: Some(to),
            reason: step.reason,
            policy_version: policy.as_deref(),
            payload: step.payload,
        };
        let (updated, _) = cases::append_event(tx, case.id, expected_version, &event).await?;
        let details = serde_json::json!({
            "reference": case.reference,
            "transition": kind.as_str(),
            "from": from.as_str(),
            "to": to.as_str(),
            "version": updated.version,
            "reason": step.reason,
        });
        audit_row(
            tx,
            writer,
            AuditAction::Alteration,
            "case",
            case.id,
            details,
        )
        .await?;
        Ok(updated)
    }

    /// Replaces the case's key dates (one `key_dates_changed` event) with its audit row.
    pub(crate) async fn change_key_dates(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
        dates: &KeyDates,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let (updated, event) = cases::set_key_dates(
            tx,
            case.id,
            case.version,
            dates,
            Some(actor.user_id),
            Some(reason),
        )
        .await?;
        let details = serde_json::json!({
            "reference": case.reference,
            "event": "key_dates_changed",
            "version": updated.version,
            "reason": reason,
            "dates": serde_json::from_str::<serde_json::Value>(&event.payload_json)
                .unwrap_or_default(),
        });
        audit_row(
            tx,
            Writer::User(actor),
            AuditAction::Alteration,
            "case",
            case.id,
            details,
        )
        .await?;
        Ok(updated)
    }
}

/// Rejects empty or over-long free text, naming the field.
pub(crate) fn required_text(
    field: &str,
    text: &str,
    max_chars: usize,
    errors: &mut Vec<crate::FieldError>,
) {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        errors.push(crate::FieldError::new(field, "is required"));
    } else if trimmed.chars().count() > max_chars {
        errors.push(crate::FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
}

/// `Err(Invalid(errors))` unless `errors` is empty.
pub(crate) fn invalid_unless_empty(errors: Vec<crate::FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}
