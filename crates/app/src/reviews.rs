//! Non-compliance reviews: opened by a navigator, automatically by a missed condition or an
//! unacceptable absence, or by the system when a participant is arrested again; decided by a
//! supervisor — resume (with or without a reasonable excuse) or fail. A failure is referred for
//! prosecution in the same transaction, or closed as Outcome 17 when the summary time limit has
//! passed (see [`crate::closure`]).
//!
//! A review is not a separate table: the `open_review` event (with its trigger and the day it
//! was opened) and the `resume`/`fail` event that ends it are the record, so the case timeline
//! is the single source.

use crate::case_notes::{CaseNote, Writer, invalid_unless_empty, required_text};
use crate::case_ops::{CaseStep, state_of};
use crate::closure::Disposal;
use crate::contracts::DeadlineStatus;
use crate::error::AppError;
use crate::permissions::Action;
use crate::{Actor, App, FieldError};
use checkpoint_domain::lifecycle::{CaseState, Transition};
use checkpoint_store::cases::{self, CaseRow};
use checkpoint_store::{CivilDate, StoreError, Tx, appointments, contracts};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a review was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum ReviewTrigger {
    /// A contract condition marked missed (its id).
    MissedCondition(Uuid),
    /// An appointment missed without an acceptable reason (its id).
    UnacceptableAbsence(Uuid),
    /// A new arrest during the contract.
    NewArrest {
        arrest_ref: String,
        date: Date,
    },
    Other(String),
}

/// A supervisor's decision on a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Back to the contract. `reasonable_excuse` records whether the failure was excused.
    Resume {
        reasonable_excuse: bool,
        reason: String,
    },
    /// The contract has failed.
    Fail { reason: String },
}

/// A review that was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewOpened {
    pub case_id: Uuid,
    pub version: i64,
    pub trigger: ReviewTrigger,
    pub opened_on: Date,
    pub deadline: DeadlineStatus,
}

/// What the decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ReviewResult {
    Resumed { reasonable_excuse: bool },
    Failed { disposal: Disposal },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewDecided {
    pub case_id: Uuid,
    pub version: i64,
    pub state: CaseState,
    pub result: ReviewResult,
    pub deadline: DeadlineStatus,
}

/// The system acting on its own (the arrest feed): named in audit rows, no user account.
/// Only internal callers (imports, scheduled jobs) construct one; adapters that serve users
/// must never expose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemActor {
    pub name: String,
}

impl SystemActor {
    pub fn new(name: impl Into<String>) -> SystemActor {
        SystemActor { name: name.into() }
    }
}

/// What the system did with a new arrest of a participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ArrestNoted {
    ReviewOpened(ReviewOpened),
    /// A review was already open; the arrest is added to its evidence.
    AddedToOpenReview {
        case_id: Uuid,
        version: i64,
    },
    /// The case is not on a running contract; nothing to review (follow-up measures it).
    NotOnContract {
        case_id: Uuid,
        state: CaseState,
    },
}

fn validate_trigger(trigger: &ReviewTrigger, today: Date) -> Result<(), AppError> {
    let mut errors = Vec::new();
    match trigger {
        ReviewTrigger::NewArrest { arrest_ref, date } => {
            required_text("trigger.arrest_ref", arrest_ref, 100, &mut errors);
            if *date > today {
                errors.push(FieldError::new("trigger.date", "cannot be in the future"));
            }
        }
        ReviewTrigger::Other(text) => required_text("trigger.detail", text, 2000, &mut errors),
        ReviewTrigger::MissedCondition(_) | ReviewTrigger::UnacceptableAbsence(_) => {}
    }
    invalid_unless_empty(errors)
}

/// Checks that the condition or appointment named by the trigger belongs to this case.
async fn check_trigger_belongs(
    tx: &mut Tx,
    case: &CaseRow,
    trigger: &ReviewTrigger,
) -> Result<(), AppError> {
    let not_this_case = || AppError::invalid("trigger.detail", "not a record of this case");
    let lookup = |r: Result<Uuid, StoreError>| match r {
        Ok(case_id) => Ok(case_id),
        Err(StoreError::NotFound(_)) => Err(not_this_case()),
        Err(other) => Err(AppError::from(other)),
    };
    let owner = match trigger {
        ReviewTrigger::MissedCondition(id) => {
            let found = match contracts::condition(tx, *id).await {
                Ok(c) => contracts::get(tx, c.contract_id).await.map(|k| k.case_id),
                Err(e) => Err(e),
            };
            lookup(found)?
        }
        ReviewTrigger::UnacceptableAbsence(id) => {
            lookup(appointments::get(tx, *id).await.map(|a| a.case_id))?
        }
        ReviewTrigger::NewArrest { .. } | ReviewTrigger::Other(_) => return Ok(()),
    };
    if owner == case.id {
        Ok(())
    } else {
        Err(not_this_case())
    }
}

impl App {
    /// Opens a non-compliance review on an active case.
    pub async fn open_review(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        trigger: ReviewTrigger,
    ) -> Result<ReviewOpened, AppError> {
        validate_trigger(&trigger, self.clock().today())?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::OpenNonComplianceReview, case_id)
            .await?;
        check_trigger_belongs(&mut tx, &case, &trigger).await?;
        let (_, opened) = self
            .open_review_in_tx(&mut tx, Writer::User(actor), &case, version, &trigger)
            .await?;
        tx.commit().await?;
        Ok(opened)
    }

    /// The arrest feed's entry point: a participant on a running contract has been arrested
    /// again. Opens a review (or adds the arrest to one already open) as the system.
    pub async fn open_review_for_arrest(
        &self,
        system: &SystemActor,
        case_id: Uuid,
        arrest_ref: &str,
        date: Date,
    ) -> Result<ArrestNoted, AppError> {
        let trigger = ReviewTrigger::NewArrest {
            arrest_ref: arrest_ref.trim().to_owned(),
            date,
        };
        validate_trigger(&trigger, self.clock().today())?;
        let mut tx = self.begin().await?;
        let case = cases::get(&mut tx, case_id).await?;
        let noted = self
            .note_arrest_in_tx(&mut tx, &system.name, &case, &trigger)
            .await?;
        tx.commit().await?;
        Ok(noted)
    }

    /// [`App::open_review_for_arrest`] inside the caller's transaction (the arrest feed links
    /// and acts on a batch of arrests atomically). The trigger must already be valid.
    pub(crate) async fn note_arrest_in_tx(
        &self,
        tx: &mut Tx,
        system_name: &str,
        case: &CaseRow,
        trigger: &ReviewTrigger,
    ) -> Result<ArrestNoted, AppError> {
        let writer = Writer::System(system_name);
        let case_id = case.id;
        let state = state_of(case)?;
        Ok(match state {
            CaseState::Active => {
                let (_, opened) = self
                    .open_review_in_tx(tx, writer, case, case.version, trigger)
                    .await?;
                ArrestNoted::ReviewOpened(opened)
            }
            CaseState::NonComplianceReview => {
                let note = CaseNote {
                    kind: "arrest_noted",
                    reason: None,
                    payload: serde_json::json!({ "trigger": trigger }),
                };
                let updated = self
                    .note_case_event(tx, writer, case, case.version, note)
                    .await?;
                ArrestNoted::AddedToOpenReview {
                    case_id,
                    version: updated.version,
                }
            }
            other => ArrestNoted::NotOnContract {
                case_id,
                state: other,
            },
        })
    }

    /// `active → non_compliance_review` with the trigger, inside the caller's transaction.
    pub(crate) async fn open_review_in_tx(
        &self,
        tx: &mut Tx,
        writer: Writer<'_>,
        case: &CaseRow,
        version: i64,
        trigger: &ReviewTrigger,
    ) -> Result<(CaseRow, ReviewOpened), AppError> {
        let today = self.clock().today();
        let step = CaseStep::new(Transition::OpenReview).with_payload(serde_json::json!({
            "trigger": trigger,
            "opened_on": today,
        }));
        let updated = self.transition_as(tx, writer, case, version, step).await?;
        let opened = ReviewOpened {
            case_id: case.id,
            version: updated.version,
            trigger: trigger.clone(),
            opened_on: today,
            deadline: DeadlineStatus::new(case.prosecution_deadline.map(CivilDate::get), today),
        };
        Ok((updated, opened))
    }

    /// A supervisor decides a review. `Fail` moves on at once to a prosecution referral, or to
    /// Outcome 17 when the prosecution deadline has passed.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        decision: ReviewDecision,
    ) -> Result<ReviewDecided, AppError> {
        let mut errors = Vec::new();
        let reason = match &decision {
            ReviewDecision::Resume { reason, .. } | ReviewDecision::Fail { reason } => reason,
        };
        required_text("reason", reason, 2000, &mut errors);
        invalid_unless_empty(errors)?;
        let reason = reason.trim();
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::DecideNonComplianceReview, case_id)
            .await?;
        let (updated, result) = match decision {
            ReviewDecision::Resume {
                reasonable_excuse, ..
            } => {
                let step = CaseStep::new(Transition::Resume)
                    .because(reason)
                    .with_payload(serde_json::json!({ "reasonable_excuse": reasonable_excuse }));
                let (updated, _) = self
                    .apply_transition(&mut tx, actor, &case, version, step)
                    .await?;
                (updated, ReviewResult::Resumed { reasonable_excuse })
            }
            ReviewDecision::Fail { .. } => {
                let step = CaseStep::new(Transition::Fail)
                    .because(reason)
                    .with_payload(serde_json::json!({ "reasonable_excuse": false }));
                let (failed, _) = self
                    .apply_transition(&mut tx, actor, &case, version, step)
                    .await?;
                let (updated, disposal) = self.refer_or_expire(&mut tx, actor, &failed).await?;
                (updated, ReviewResult::Failed { disposal })
            }
        };
        tx.commit().await?;
        Ok(ReviewDecided {
            case_id,
            version: updated.version,
            state: state_of(&updated)?,
            result,
            deadline: DeadlineStatus::new(
                case.prosecution_deadline.map(CivilDate::get),
                self.clock().today(),
            ),
        })
    }
}
