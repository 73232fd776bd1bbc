//! The mechanism every case use case shares: load the case inside the transaction, authorise
//! with scope, move it through the lifecycle guarded by the version the client read, and write
//! the event and the audit row in the same transaction. Use cases add their own rows around it.

use crate::error::AppError;
use crate::permissions::{Action, CaseScope, authorise_case};
use crate::{Actor, App};
use checkpoint_domain::lifecycle::{CaseState, Transition, next_state};
use checkpoint_store::cases::{self, CaseEventRow, CaseRow, NewCaseEvent};
use checkpoint_store::{AuditAction, AuditEntry, Tx, audit};
use uuid::Uuid;

/// One step through the lifecycle: the transition, why (shown on the timeline), and any data
/// the event should keep (an outcome code, the review that failed, the arm allocated).
#[derive(Debug, Clone)]
pub struct CaseStep<'a> {
    pub transition: Transition,
    pub reason: Option<&'a str>,
    pub payload: serde_json::Value,
}

impl<'a> CaseStep<'a> {
    pub fn new(transition: Transition) -> CaseStep<'a> {
        CaseStep {
            transition,
            reason: None,
            payload: serde_json::json!({}),
        }
    }

    pub fn because(mut self, reason: &'a str) -> CaseStep<'a> {
        self.reason = Some(reason);
        self
    }

    pub fn with_payload(mut self, payload: serde_json::Value) -> CaseStep<'a> {
        self.payload = payload;
        self
    }
}

/// A case's scope, for [`authorise_case`].
pub fn scope_of(case: &CaseRow) -> CaseScope<'_> {
    CaseScope {
        navigator_id: case.navigator_id,
        team: case.team.as_deref(),
    }
}

/// The stored state of a case, as a domain value.
pub fn state_of(case: &CaseRow) -> Result<CaseState, AppError> {
    Ok(case.state()?)
}

/// Fails with `Conflict` when the client's copy is stale, before any work is done. The
/// database update is guarded by the version as well, so a race between two writers that both
/// pass this check still lets exactly one win.
pub fn check_version(case: &CaseRow, expected_version: i64) -> Result<(), AppError> {
    if case.version != expected_version {
        return Err(AppError::Conflict {
            current_version: case.version,
        });
    }
    Ok(())
}

impl App {
    /// Loads a case in `tx` and checks that `actor` may take `action` on it. Out-of-scope cases
    /// answer `NotFound` (see [`authorise_case`]).
    pub async fn load_case_for(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: Action,
        case_id: Uuid,
    ) -> Result<CaseRow, AppError> {
        crate::permissions::authorise(actor, action)?;
        let case = cases::get(tx, case_id).await?;
        authorise_case(actor, action, scope_of(&case))?;
        Ok(case)
    }

    /// A label for the policy version in force for this case's scheme today, kept on every
    /// event so a decision can be explained later (`durham-checkpoint v2 sha256:…`).
    pub fn policy_label(&self, scheme_id: &str) -> Option<String> {
        self.policies()
            .in_force(scheme_id, self.clock().today())
            .or_else(|| self.policies().latest(scheme_id))
            .map(|p| format!("{} v{} {}", p.id(), p.version(), p.content_hash()))
    }

    /// Applies `transition` to `case` (read at `expected_version`), appending the event and an
    /// alteration audit row in `tx`. Returns the updated case and the event.
    pub async fn apply_transition(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
        expected_version: i64,
        step: CaseStep<'_>,
    ) -> Result<(CaseRow, CaseEventRow), AppError> {
        let CaseStep {
            transition,
            reason,
            payload,
        } = step;
        check_version(case, expected_version)?;
        let from = state_of(case)?;
        let to = next_state(from, transition)?;
        let policy = self.policy_label(&case.scheme_id);
        let kind = transition.kind();
        let event = NewCaseEvent {
            actor_id: Some(actor.user_id),
            kind: kind.as_str(),
            to_state: Some(to),
            reason,
            policy_version: policy.as_deref(),
            payload,
        };
        let (updated, event_row) =
            cases::append_event(tx, case.id, expected_version, &event).await?;
        let mut details = serde_json::json!({
            "reference": case.reference,
            "transition": kind.as_str(),
            "from": from.as_str(),
            "to": to.as_str(),
            "version": updated.version,
        });
        if let Some(reason) = reason {
            details["reason"] = serde_json::Value::from(reason);
        }
        audit::append(
            tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Alteration,
                "case",
                case.id,
            )
            .with_details(details),
        )
        .await?;
        Ok((updated, event_row))
    }

    /// Records a consultation in a short write transaction of its own. Pages read in a
    /// snapshot ([`App::begin_read`]) and call this after their reads and before answering:
    /// the data is never shown without its audit row, and a slow page (a cold cache, a long
    /// caseload) never holds the one write lock while it reads, which made every other
    /// writer wait behind it.
    pub async fn record_consultation(
        &self,
        actor: &Actor,
        subject_type: &str,
        subject_id: impl ToString,
        justification: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.begin().await?;
        self.audit_consultation(&mut tx, actor, subject_type, subject_id, justification)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a consultation audit row: `actor` read personal data about `subject`.
    /// DPA 2018 s.62 requires consultations to be logged with their justification.
    pub async fn audit_consultation(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        subject_type: &str,
        subject_id: impl ToString,
        justification: &str,
    ) -> Result<(), AppError> {
        audit::append(
            tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Consultation,
                subject_type,
                subject_id,
            )
            .with_justification(justification),
        )
        .await?;
        Ok(())
    }
}
