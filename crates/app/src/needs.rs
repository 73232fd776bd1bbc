//! Needs assessment across the nine pathways. The first assessment moves an accepted case to
//! `needs_assessed`; later ones are reassessments (the lifecycle's `assess_needs` loops on
//! `needs_assessed` and `active`), each kept with its date so change shows.

use crate::case_notes::{Writer, audit_row, invalid_unless_empty};
use crate::case_ops::{CaseStep, state_of};
use crate::error::AppError;
use crate::permissions::Action;
use crate::{Actor, App, FieldError};
use checkpoint_domain::contract::Pathway;
use checkpoint_domain::lifecycle::{CaseState, Transition};
use checkpoint_store::AuditAction;
use checkpoint_store::needs::{self, NewAssessmentItem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

pub use checkpoint_store::needs::Severity;

/// Longest note kept per pathway.
const MAX_NOTE_CHARS: usize = 2000;

/// One pathway's assessed need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsItem {
    pub pathway: Pathway,
    pub severity: Severity,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A recorded assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsAssessed {
    pub case_id: Uuid,
    pub version: i64,
    pub state: CaseState,
    pub assessment_id: Uuid,
    /// An earlier assessment exists; this one records change.
    pub reassessment: bool,
    pub items: Vec<NeedsItem>,
}

fn validate(items: &[NeedsItem]) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if items.is_empty() {
        errors.push(FieldError::new(
            "items",
            "assess at least one pathway (record `none` where there is no need)",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item.pathway) {
            errors.push(FieldError::new(
                format!("items[{i}].pathway"),
                format!("{} is assessed twice", item.pathway.as_str()),
            ));
        }
        if item
            .notes
            .as_deref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            errors.push(FieldError::new(
                format!("items[{i}].notes"),
                format!("must be at most {MAX_NOTE_CHARS} characters"),
            ));
        }
    }
    invalid_unless_empty(errors)
}

impl App {
    /// Records a needs assessment: a severity and notes per pathway.
    pub async fn record_needs_assessment(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        items: Vec<NeedsItem>,
    ) -> Result<NeedsAssessed, AppError> {
        validate(&items)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::AssessNeeds, case_id)
            .await?;
        let reassessment = state_of(&case)? != CaseState::Accepted;
        let rows: Vec<NewAssessmentItem<'_>> = items
            .iter()
            .map(|item| NewAssessmentItem {
                pathway: item.pathway.as_str(),
                severity: item.severity,
                notes: item
                    .notes
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty()),
            })
            .collect();
        let step = CaseStep::new(Transition::AssessNeeds).with_payload(serde_json::json!({
            "reassessment": reassessment,
            "pathways": items.iter().map(|i| i.pathway.as_str()).collect::<Vec<_>>(),
        }));
        // The transition first: it checks the state and the version before anything is stored.
        let (updated, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let (assessment, _) =
            needs::record(&mut tx, case.id, Some(actor.user_id), None, &rows).await?;
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Collection,
            "needs_assessment",
            assessment.id,
            serde_json::json!({
                "case_id": case.id,
                "reference": case.reference,
                "severities": items
                    .iter()
                    .map(|i| (i.pathway.as_str(), i.severity))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(NeedsAssessed {
            case_id: case.id,
            version: updated.version,
            state: state_of(&updated)?,
            assessment_id: assessment.id,
            reassessment,
            items,
        })
    }
}
