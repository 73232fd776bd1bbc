//! The contract: drafted after the needs assessment, signed by the participant, started, and
//! varied while active. Every version is kept as signed.
//!
//! Dates come from the scheme: `end = min(start + contract length, prosecution deadline −
//! margin)` ([`plan_contract`]); a contract that would be shorter than the scheme's minimum is
//! refused, naming the deadline, because a failure after it could never be prosecuted (MCA 1980
//! s.127, Outcome 17). Conditions are checked against the scheme's catalogue
//! ([`check_conditions`]): how many, which are mandatory, hour caps, alternatives, due dates.

use crate::case_notes::{CaseNote, Writer, audit_row, invalid_unless_empty, required_text};
use crate::case_ops::{CaseStep, state_of};
use crate::error::AppError;
use crate::permissions::Action;
use crate::reviews::{ReviewOpened, ReviewTrigger};
use crate::{Actor, App, FieldError};
use checkpoint_domain::contract::{
    ConditionStatus, ContractProblem, ProposedCondition, check_conditions,
};
use checkpoint_domain::deadline::{ContractDates, days_between, plan_contract};
use checkpoint_domain::lifecycle::{CaseState, IllegalTransition, Transition, TransitionKind};
use checkpoint_domain::policy::Policy;
use checkpoint_store::cases::CaseRow;
use checkpoint_store::contracts::{self, ConditionRow, ContractRow, NewCondition, NewContract};
use checkpoint_store::{AuditAction, CivilDate, Tx};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A contract as the navigator proposes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractDraft {
    pub start: Date,
    pub conditions: Vec<ProposedCondition>,
}

/// A change to an active contract. The participant signs the varied version too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractVariation {
    pub reason: String,
    pub conditions: Vec<ProposedCondition>,
    pub signature: Signature,
}

/// The participant's signature as recorded by the navigator who witnessed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub signed_on: Date,
    pub participant_signature: ParticipantSignature,
}

/// How the participant signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ParticipantSignature {
    /// A signed paper copy, filed under this reference.
    Paper { document_ref: String },
    /// Signed on screen; the name as the participant typed it.
    OnScreen { typed_name: String },
}

/// The prosecution deadline relative to today, in numbers and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineStatus {
    /// `None`: no statutory time limit (either-way or indictable offence).
    pub deadline: Option<Date>,
    /// Negative once the deadline has passed.
    pub days_remaining: Option<i32>,
    pub words: String,
}

impl DeadlineStatus {
    pub fn new(deadline: Option<Date>, today: Date) -> DeadlineStatus {
        let Some(deadline) = deadline else {
            return DeadlineStatus {
                deadline: None,
                days_remaining: None,
                words: "No prosecution time limit applies (not a summary-only offence).".to_owned(),
            };
        };
        let days = days_between(today, deadline);
        let when = deadline.strftime("%-d %B %Y");
        let words = match days {
            0 => format!("The prosecution deadline is today, {when}."),
            1 => format!("The prosecution deadline is tomorrow, {when}."),
            d if d > 1 => format!("The prosecution deadline is {when}: {d} days from today."),
            -1 => format!("The prosecution deadline passed yesterday, {when}."),
            d => format!(
                "The prosecution deadline passed on {when}, {} days ago.",
                -d
            ),
        };
        DeadlineStatus {
            deadline: Some(deadline),
            days_remaining: Some(days),
            words,
        }
    }

    pub fn has_passed(&self) -> bool {
        self.days_remaining.is_some_and(|d| d < 0)
    }
}

/// One version of a case's contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractView {
    pub contract_id: Uuid,
    pub case_id: Uuid,
    /// 1 for the original, then one more per redraft or variation.
    pub contract_version: i64,
    pub start: Date,
    pub end: Date,
    pub signed_on: Option<Date>,
    pub variation_reason: Option<String>,
    pub conditions: Vec<ConditionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionView {
    pub id: Uuid,
    pub position: i64,
    pub condition_type: String,
    pub description: String,
    pub pathway: Option<String>,
    pub hours: Option<i64>,
    pub due: Option<Date>,
    pub status: ConditionStatus,
}

/// The result of writing, signing, starting or varying a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractSaved {
    /// The case's version after the change.
    pub version: i64,
    pub state: CaseState,
    pub contract: ContractView,
    /// The nominal end was brought forward to respect the prosecution deadline.
    pub clamped: bool,
    pub nominal_end: Date,
    pub deadline: DeadlineStatus,
}

/// A condition's progress recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionUpdated {
    pub version: i64,
    pub condition: ConditionView,
    /// Marking a condition missed on an active contract opens a non-compliance review.
    pub review_opened: Option<ReviewOpened>,
}

pub(crate) fn status_of(row: &ConditionRow) -> Result<ConditionStatus, AppError> {
    serde_json::from_value(serde_json::Value::String(row.status.clone())).map_err(|_| {
        AppError::Internal(format!("condition {} has status {:?}", row.id, row.status))
    })
}

pub(crate) fn condition_view(row: &ConditionRow) -> Result<ConditionView, AppError> {
    Ok(ConditionView {
        id: row.id,
        position: row.position,
        condition_type: row.condition_type.clone(),
        description: row.description.clone(),
        pathway: row.pathway.clone(),
        hours: row.hours,
        due: row.due_date.map(CivilDate::get),
        status: status_of(row)?,
    })
}

pub(crate) async fn contract_view(
    tx: &mut Tx,
    row: &ContractRow,
) -> Result<ContractView, AppError> {
    let conditions = contracts::conditions(tx, row.id)
        .await?
        .iter()
        .map(condition_view)
        .collect::<Result<_, _>>()?;
    Ok(ContractView {
        contract_id: row.id,
        case_id: row.case_id,
        contract_version: row.version,
        start: row.start_date.get(),
        end: row.end_date.get(),
        signed_on: row.signed_on.map(CivilDate::get),
        variation_reason: row.variation_reason.clone(),
        conditions,
    })
}

/// The field a contract problem belongs to, for form errors.
fn problem_field(problem: &ContractProblem) -> String {
    use ContractProblem as P;
    match problem {
        P::TooManyConditions { .. } | P::MissingMandatory { .. } => "conditions".to_owned(),
        P::UnknownCondition { index, .. }
        | P::Duplicate { index, .. }
        | P::ExclusiveConflict { index, .. } => format!("conditions[{index}].condition"),
        P::HoursRequired { index, .. }
        | P::HoursNotApplicable { index, .. }
        | P::HoursOutOfRange { index, .. } => format!("conditions[{index}].hours"),
        P::DueBeforeStart { index, .. } | P::DueAfterEnd { index, .. } => {
            format!("conditions[{index}].due")
        }
    }
}

/// Plans the dates and checks the conditions; every problem is reported at once.
fn plan_and_check(
    policy: &Policy,
    case: &CaseRow,
    start: Date,
    conditions: &[ProposedCondition],
    today: Date,
) -> Result<ContractDates, AppError> {
    let deadline = case.prosecution_deadline.map(CivilDate::get);
    let rule = policy.deadline_rule();
    let dates = plan_contract(start, policy.contract_length(), deadline, rule);
    let mut errors = Vec::new();
    if dates.too_short {
        let status = DeadlineStatus::new(deadline, today);
        let latest = dates
            .latest_end
            .map_or_else(|| "-".to_owned(), |d| d.to_string());
        errors.push(FieldError::new(
            "start",
            format!(
                "{} A contract must end by {latest} ({} days before it); starting on {start} \
                 leaves {} days, less than the scheme's minimum of {} days. The case cannot be \
                 safely diverted.",
                status.words,
                rule.margin_days,
                dates.length_days.max(0),
                rule.minimum_contract_days
            ),
        ));
    }
    if let Err(problems) = check_conditions(policy.catalogue(), conditions, &dates) {
        for problem in &problems {
            errors.push(FieldError::new(problem_field(problem), problem.to_string()));
        }
    }
    for (i, c) in conditions.iter().enumerate() {
        if c.details.chars().count() > 2000 {
            errors.push(FieldError::new(
                format!("conditions[{i}].details"),
                "must be at most 2000 characters",
            ));
        }
    }
    invalid_unless_empty(errors)?;
    Ok(dates)
}

/// The stored form of proposed conditions: wording from the catalogue plus the navigator's
/// details; statuses carried over from `previous` by condition type (a variation does not undo
/// work already done).
fn new_conditions<'a>(
    policy: &Policy,
    proposed: &'a [ProposedCondition],
    previous: &[ConditionRow],
) -> Vec<(String, &'a ProposedCondition, Option<&'static str>, String)> {
    proposed
        .iter()
        .map(|p| {
            let kind = policy.catalogue().get(&p.condition);
            let text = kind.map_or_else(|| p.condition.clone(), |k| k.text.clone());
            let description = match (p.details.trim(), p.provider.as_deref()) {
                ("", None) => text,
                ("", Some(provider)) => format!("{text} Provider: {provider}."),
                (details, None) => format!("{text} {details}"),
                (details, Some(provider)) => format!("{text} {details} Provider: {provider}."),
            };
            let pathway = kind.and_then(|k| k.pathway).map(|p| p.as_str());
            let status = previous
                .iter()
                .find(|c| c.condition_type == p.condition)
                .map_or_else(
                    || ConditionStatus::NotStarted.as_str().to_owned(),
                    |c| c.status.clone(),
                );
            (description, p, pathway, status)
        })
        .collect()
}

fn validate_signature(signature: &Signature, today: Date, field: &str) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if signature.signed_on > today {
        errors.push(FieldError::new(
            format!("{field}.signed_on"),
            "cannot be in the future",
        ));
    }
    match &signature.participant_signature {
        ParticipantSignature::Paper { document_ref } => required_text(
            &format!("{field}.participant_signature.document_ref"),
            document_ref,
            200,
            &mut errors,
        ),
        ParticipantSignature::OnScreen { typed_name } => required_text(
            &format!("{field}.participant_signature.typed_name"),
            typed_name,
            200,
            &mut errors,
        ),
    }
    invalid_unless_empty(errors)
}

fn illegal(from: CaseState, transition: TransitionKind) -> AppError {
    AppError::IllegalTransition(IllegalTransition { from, transition })
}

impl App {
    /// Drafts the contract (unsigned) for a case whose needs are assessed. Drafting again
    /// before signing keeps the earlier draft as an older version.
    pub async fn write_contract(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        draft: ContractDraft,
    ) -> Result<ContractSaved, AppError> {
        let today = self.clock().today();
        if draft.start < today {
            return Err(AppError::invalid("start", "cannot be in the past"));
        }
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::WriteContract, case_id)
            .await?;
        crate::case_ops::check_version(&case, version)?;
        let state = state_of(&case)?;
        if state != CaseState::NeedsAssessed {
            return Err(illegal(state, TransitionKind::SignContract));
        }
        let policy = self.policy_for(&case)?;
        let dates = plan_and_check(&policy, &case, draft.start, &draft.conditions, today)?;
        let previous = contracts::current(&mut tx, case.id).await?;
        let redraft = previous.is_some();
        let (row, _) = self
            .store_version(
                &mut tx,
                actor,
                &case,
                &policy,
                &dates,
                &draft.conditions,
                redraft.then_some("redrafted before signing"),
                None,
            )
            .await?;
        let updated = self
            .note_case_event(
                &mut tx,
                Writer::User(actor),
                &case,
                version,
                CaseNote {
                    kind: "contract_drafted",
                    reason: None,
                    payload: serde_json::json!({
                        "contract_id": row.id,
                        "contract_version": row.version,
                        "start": dates.start,
                        "end": dates.end,
                        "clamped": dates.clamped,
                    }),
                },
            )
            .await?;
        let saved = self.saved(&mut tx, &updated, &row, &dates).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Records the participant's signature on the current draft: `needs_assessed →
    /// contract_signed`, and the contract's end becomes a key date of the case.
    pub async fn sign_contract(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        signature: Signature,
    ) -> Result<ContractSaved, AppError> {
        let today = self.clock().today();
        validate_signature(&signature, today, "signature")?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::WriteContract, case_id)
            .await?;
        let Some(draft) = contracts::current(&mut tx, case.id).await? else {
            return Err(AppError::invalid("contract", "write the contract first"));
        };
        if draft.signed_on.is_some() {
            return Err(AppError::invalid(
                "contract",
                "this contract is already signed",
            ));
        }
        if signature.signed_on > draft.start_date.get() {
            return Err(AppError::invalid(
                "signature.signed_on",
                format!(
                    "the contract was to start on {}; redraft it with a new start date",
                    draft.start_date
                ),
            ));
        }
        let step = CaseStep::new(Transition::SignContract).with_payload(serde_json::json!({
            "contract_id": draft.id,
            "contract_version": draft.version,
            "signed_on": signature.signed_on,
            "participant_signature": signature.participant_signature,
            "witnessed_by": actor.username,
        }));
        let (signed_case, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let signed = contracts::mark_signed(&mut tx, draft.id, signature.signed_on.into()).await?;
        let mut dates = signed_case.key_dates();
        dates.contract_end = Some(signed.end_date);
        let updated = self
            .change_key_dates(&mut tx, actor, &signed_case, &dates, "contract signed")
            .await?;
        let policy = self.policy_for(&case)?;
        let planned = plan_contract(
            signed.start_date.get(),
            policy.contract_length(),
            case.prosecution_deadline.map(CivilDate::get),
            policy.deadline_rule(),
        );
        let saved = self.saved(&mut tx, &updated, &signed, &planned).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Starts a signed contract on or after its start date: `contract_signed → active`.
    pub async fn start_contract(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
    ) -> Result<ContractSaved, AppError> {
        let today = self.clock().today();
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::WriteContract, case_id)
            .await?;
        let Some(contract) = contracts::current(&mut tx, case.id).await? else {
            return Err(illegal(state_of(&case)?, TransitionKind::Start));
        };
        if today < contract.start_date.get() {
            return Err(AppError::invalid(
                "contract",
                format!("the contract starts on {}", contract.start_date),
            ));
        }
        if today > contract.end_date.get() {
            return Err(AppError::invalid(
                "contract",
                format!(
                    "the contract was to end on {}; it can no longer start",
                    contract.end_date
                ),
            ));
        }
        let step = CaseStep::new(Transition::Start).with_payload(serde_json::json!({
            "contract_id": contract.id,
            "started_on": today,
        }));
        let (updated, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let policy = self.policy_for(&case)?;
        let planned = plan_contract(
            contract.start_date.get(),
            policy.contract_length(),
            case.prosecution_deadline.map(CivilDate::get),
            policy.deadline_rule(),
        );
        let saved = self.saved(&mut tx, &updated, &contract, &planned).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Varies an active contract: a new, signed version with the reason, re-checked against
    /// the catalogue and re-clamped to the prosecution deadline from the original start.
    pub async fn vary_contract(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        variation: ContractVariation,
    ) -> Result<ContractSaved, AppError> {
        let today = self.clock().today();
        let mut errors = Vec::new();
        required_text("reason", &variation.reason, 1000, &mut errors);
        invalid_unless_empty(errors)?;
        validate_signature(&variation.signature, today, "signature")?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::WriteContract, case_id)
            .await?;
        let state = state_of(&case)?;
        if state != CaseState::Active {
            return Err(illegal(state, TransitionKind::VaryContract));
        }
        let Some(current) = contracts::current(&mut tx, case.id).await? else {
            return Err(AppError::Internal(format!(
                "active case {} has no contract",
                case.reference
            )));
        };
        let policy = self.policy_for(&case)?;
        let dates = plan_and_check(
            &policy,
            &case,
            current.start_date.get(),
            &variation.conditions,
            today,
        )?;
        let previous = contracts::conditions(&mut tx, current.id).await?;
        let step = CaseStep::new(Transition::VaryContract)
            .because(variation.reason.trim())
            .with_payload(serde_json::json!({
                "from_contract_version": current.version,
                "signed_on": variation.signature.signed_on,
                "participant_signature": variation.signature.participant_signature,
                "witnessed_by": actor.username,
            }));
        let (varied_case, _) = self
            .apply_transition(&mut tx, actor, &case, version, step)
            .await?;
        let (row, _) = self
            .store_version(
                &mut tx,
                actor,
                &case,
                &policy,
                &dates,
                &variation.conditions,
                Some(variation.reason.trim()),
                Some((variation.signature.signed_on, &previous)),
            )
            .await?;
        let mut updated = varied_case;
        if updated.contract_end != Some(row.end_date) {
            let mut key_dates = updated.key_dates();
            key_dates.contract_end = Some(row.end_date);
            updated = self
                .change_key_dates(&mut tx, actor, &updated, &key_dates, "contract varied")
                .await?;
        }
        let saved = self.saved(&mut tx, &updated, &row, &dates).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Every version of a case's contract, oldest first (the last is current). A consultation.
    pub async fn contract_versions(
        &self,
        actor: &Actor,
        case_id: Uuid,
    ) -> Result<Vec<ContractView>, AppError> {
        let mut tx = self.begin_read().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ViewCase, case_id)
            .await?;
        let mut views = Vec::new();
        for row in contracts::versions(&mut tx, case.id).await? {
            views.push(contract_view(&mut tx, &row).await?);
        }
        tx.commit().await?;
        self.record_consultation(actor, "case", case.id, "contract viewed")
            .await?;
        Ok(views)
    }

    /// Records a condition's progress. A note is required for `missed` and `waived`; marking a
    /// condition missed on an active contract opens a non-compliance review in the same
    /// transaction.
    pub async fn update_condition_status(
        &self,
        actor: &Actor,
        condition_id: Uuid,
        status: ConditionStatus,
        note: &str,
    ) -> Result<ConditionUpdated, AppError> {
        let mut errors = Vec::new();
        if matches!(status, ConditionStatus::Missed | ConditionStatus::Waived) {
            required_text("note", note, 2000, &mut errors);
        } else if note.chars().count() > 2000 {
            errors.push(FieldError::new("note", "must be at most 2000 characters"));
        }
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let condition = contracts::condition(&mut tx, condition_id).await?;
        let contract = contracts::get(&mut tx, condition.contract_id).await?;
        let case = self
            .load_case_for(
                &mut tx,
                actor,
                Action::UpdateConditionStatus,
                contract.case_id,
            )
            .await?;
        let current = contracts::current(&mut tx, case.id).await?;
        if current.as_ref().map(|c| c.id) != Some(contract.id) {
            return Err(AppError::invalid(
                "condition_id",
                "this condition belongs to a contract version that has been varied",
            ));
        }
        let state = state_of(&case)?;
        if !matches!(state, CaseState::Active | CaseState::NonComplianceReview) {
            return Err(AppError::invalid(
                "condition_id",
                format!(
                    "conditions are updated while the contract runs; the case is {}",
                    state.label().to_lowercase()
                ),
            ));
        }
        let before = status_of(&condition)?;
        let row = contracts::set_condition_status(&mut tx, condition.id, status.as_str()).await?;
        let note = note.trim();
        let mut updated = self
            .note_case_event(
                &mut tx,
                Writer::User(actor),
                &case,
                case.version,
                CaseNote {
                    kind: "condition_status_changed",
                    reason: (!note.is_empty()).then_some(note),
                    payload: serde_json::json!({
                        "condition_id": condition.id,
                        "condition_type": condition.condition_type,
                        "from": before.as_str(),
                        "to": status.as_str(),
                    }),
                },
            )
            .await?;
        let mut review_opened = None;
        if status == ConditionStatus::Missed && state == CaseState::Active {
            let (after, opened) = self
                .open_review_in_tx(
                    &mut tx,
                    Writer::User(actor),
                    &updated,
                    updated.version,
                    &ReviewTrigger::MissedCondition(condition.id),
                )
                .await?;
            updated = after;
            review_opened = Some(opened);
        }
        tx.commit().await?;
        Ok(ConditionUpdated {
            version: updated.version,
            condition: condition_view(&row)?,
            review_opened,
        })
    }

    /// Inserts a contract version with its conditions and the collection audit row.
    /// `signed` carries the signature day and the previous version's conditions for a variation.
    #[allow(clippy::too_many_arguments)]
    async fn store_version(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
        policy: &Policy,
        dates: &ContractDates,
        proposed: &[ProposedCondition],
        reason: Option<&str>,
        signed: Option<(Date, &[ConditionRow])>,
    ) -> Result<(ContractRow, Vec<ConditionRow>), AppError> {
        let previous = signed.map_or(&[][..], |(_, p)| p);
        let prepared = new_conditions(policy, proposed, previous);
        let conditions: Vec<NewCondition<'_>> = prepared
            .iter()
            .map(|(description, p, pathway, status)| NewCondition {
                condition_type: &p.condition,
                description,
                pathway: *pathway,
                hours: p.hours.map(i64::from),
                due_date: p.due.map(CivilDate::from),
                status,
            })
            .collect();
        let (row, rows) = contracts::insert_version(
            tx,
            &NewContract {
                case_id: case.id,
                start_date: dates.start.into(),
                end_date: dates.end.into(),
                signed_on: signed.map(|(d, _)| d.into()),
                variation_reason: reason,
                created_by: Some(actor.user_id),
                conditions: &conditions,
            },
        )
        .await?;
        audit_row(
            tx,
            Writer::User(actor),
            AuditAction::Collection,
            "contract",
            row.id,
            serde_json::json!({
                "case_id": case.id,
                "reference": case.reference,
                "contract_version": row.version,
                "start": dates.start,
                "end": dates.end,
                "clamped": dates.clamped,
                "conditions": proposed.iter().map(|p| &p.condition).collect::<Vec<_>>(),
                "reason": reason,
            }),
        )
        .await?;
        Ok((row, rows))
    }

    async fn saved(
        &self,
        tx: &mut Tx,
        case: &CaseRow,
        contract: &ContractRow,
        dates: &ContractDates,
    ) -> Result<ContractSaved, AppError> {
        Ok(ContractSaved {
            version: case.version,
            state: state_of(case)?,
            contract: contract_view(tx, contract).await?,
            clamped: dates.clamped,
            nominal_end: dates.nominal_end,
            deadline: DeadlineStatus::new(
                case.prosecution_deadline.map(CivilDate::get),
                self.clock().today(),
            ),
        })
    }
}
