//! How a case leaves the programme: completion (outcome code per policy, then follow-up and a
//! retention review date), withdrawal by the participant, and — shared with a failed review —
//! the referral for prosecution, or Outcome 17 once the summary time limit has passed.

use crate::case_notes::{invalid_unless_empty, required_text};
use crate::case_ops::{CaseStep, state_of};
use crate::contracts::{DeadlineStatus, status_of};
use crate::error::AppError;
use crate::permissions::Action;
use crate::{Actor, App, FieldError};
use checkpoint_domain::lifecycle::{
    CaseState, IllegalTransition, Transition, TransitionKind, next_state,
};
use checkpoint_domain::outcome::OutcomeCode;
use checkpoint_store::cases::CaseRow;
use checkpoint_store::{CivilDate, Tx, contracts};
use jiff::civil::Date;
use serde::Serialize;
use uuid::Uuid;

/// Where a failed or withdrawn case went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "disposal", rename_all = "snake_case")]
pub enum Disposal {
    /// Back to the investigating officer to charge (policy `on_failure` outcome).
    ProsecutionReferred { outcome_code: u8, outcome: String },
    /// Too late to prosecute (MCA 1980 s.127): Home Office outcome 17.
    TimeLimitExpired { outcome_code: u8, outcome: String },
}

impl Disposal {
    fn of(code: OutcomeCode, expired: bool) -> Disposal {
        let outcome = code.description().to_owned();
        let outcome_code = code.get();
        if expired {
            Disposal::TimeLimitExpired {
                outcome_code,
                outcome,
            }
        } else {
            Disposal::ProsecutionReferred {
                outcome_code,
                outcome,
            }
        }
    }
}

/// A completed case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseCompleted {
    pub case_id: Uuid,
    pub version: i64,
    pub state: CaseState,
    pub outcome_code: u8,
    pub outcome: String,
    /// The end of the last follow-up window, counted from the contract's end.
    pub follow_up_until: Date,
    pub retention_review_on: Date,
}

/// A withdrawn case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseWithdrawn {
    pub case_id: Uuid,
    pub version: i64,
    pub state: CaseState,
    pub disposal: Disposal,
    pub deadline: DeadlineStatus,
}

impl App {
    /// After `fail` or `withdraw`: refer for prosecution while the deadline allows (or when
    /// there is none), otherwise close as time limit expired, with the policy's outcome code.
    pub(crate) async fn refer_or_expire(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
    ) -> Result<(CaseRow, Disposal), AppError> {
        let today = self.clock().today();
        let policy = self.policy_for(case)?;
        let deadline = DeadlineStatus::new(case.prosecution_deadline.map(CivilDate::get), today);
        let expired = deadline.has_passed();
        let (transition, code) = if expired {
            (
                Transition::ExpireTimeLimit,
                policy.outcomes().time_limit_expired,
            )
        } else {
            (
                Transition::ReferForProsecution,
                policy.outcomes().on_failure,
            )
        };
        let step = CaseStep::new(transition).with_payload(serde_json::json!({
            "outcome_code": code.get(),
            "prosecution_deadline": deadline.deadline,
            "days_remaining": deadline.days_remaining,
        }));
        let step = step.because(&deadline.words);
        let (closed, _) = self
            .apply_transition(tx, actor, case, case.version, step)
            .await?;
        // Failures and withdrawals stay in the evaluation (intention to treat).
        let updated = self
            .open_follow_up_window(tx, actor, &closed, "case closed without completion")
            .await?;
        Ok((updated, Disposal::of(code, expired)))
    }

    /// Completes an active case once no condition is still open: the policy's completion
    /// outcome, then follow-up, with the follow-up and retention review dates set.
    pub async fn complete_case(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
    ) -> Result<CaseCompleted, AppError> {
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::CompleteCase, case_id)
            .await?;
        crate::case_ops::check_version(&case, version)?;
        let state = state_of(&case)?;
        // The state first, so a case that is not active hears that rather than a list of
        // conditions.
        next_state(state, Transition::Complete)?;
        let Some(contract) = contracts::current(&mut tx, case.id).await? else {
            return Err(AppError::IllegalTransition(IllegalTransition {
                from: state,
                transition: TransitionKind::Complete,
            }));
        };
        let mut open = Vec::new();
        for condition in contracts::conditions(&mut tx, contract.id).await? {
            let status = status_of(&condition)?;
            if status.is_open() {
                let due = condition
                    .due_date
                    .map_or_else(String::new, |d| format!(", due {d}"));
                open.push(FieldError::new(
                    format!("conditions[{}]", condition.position - 1),
                    format!(
                        "`{}` is still {}{due}",
                        condition.condition_type,
                        status.as_str().replace('_', " ")
                    ),
                ));
            }
        }
        invalid_unless_empty(open)?;
        let policy = self.policy_for(&case)?;
        let code = policy.outcomes().on_completion;
        let step = CaseStep::new(Transition::Complete).with_payload(serde_json::json!({
            "outcome_code": code.get(),
            "contract_id": contract.id,
        }));
        let (completed, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let step = CaseStep::new(Transition::BeginFollowUp).with_payload(serde_json::json!({
            "follow_up_months": policy.follow_up_months(),
        }));
        let version_after = completed.version;
        let (following, _) = self
            .apply_transition(&mut tx, actor, &completed, version_after, step)
            .await?;
        let updated = self
            .open_follow_up_window(&mut tx, actor, &following, "case completed")
            .await?;
        let dates = updated.key_dates();
        let (Some(follow_up_until), Some(retention_review_on)) =
            (dates.follow_up_until, dates.retention_review_on)
        else {
            return Err(AppError::Internal(
                "follow-up dates were not set".to_owned(),
            ));
        };
        let (follow_up_until, retention_review_on) =
            (follow_up_until.get(), retention_review_on.get());
        tx.commit().await?;
        Ok(CaseCompleted {
            case_id,
            version: updated.version,
            state: state_of(&updated)?,
            outcome_code: code.get(),
            outcome: code.description().to_owned(),
            follow_up_until,
            retention_review_on,
        })
    }

    /// The participant withdraws: `withdraw`, then prosecution referral or Outcome 17 as for a
    /// failure.
    pub async fn withdraw(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        reason: &str,
    ) -> Result<CaseWithdrawn, AppError> {
        let mut errors = Vec::new();
        required_text("reason", reason, 2000, &mut errors);
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordWithdrawal, case_id)
            .await?;
        let step = CaseStep::new(Transition::Withdraw).because(reason.trim());
        let (withdrawn, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let (updated, disposal) = self.refer_or_expire(&mut tx, actor, &withdrawn).await?;
        tx.commit().await?;
        Ok(CaseWithdrawn {
            case_id,
            version: updated.version,
            state: state_of(&updated)?,
            disposal,
            deadline: DeadlineStatus::new(
                case.prosecution_deadline.map(CivilDate::get),
                self.clock().today(),
            ),
        })
    }
}
