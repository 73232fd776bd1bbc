//! A referral at the custody desk: the person (new or already known), the referral as typed,
//! a new case, and the policy's advice, all in one transaction.
//!
//! Duplicates: when people already known look like the person typed, the desk must either
//! choose one of them (`PersonChoice::Existing`) or create a new person while naming every
//! likely match in `acknowledged_matches`. Nothing is merged silently and nobody is created
//! twice by accident.

use crate::case_view::CaseProgress;
use crate::error::{AppError, FieldError};
use crate::people::PersonMatch;
use crate::permissions::{Action, authorise};
use crate::screening::DecisionView;
use crate::{Actor, App};
use checkpoint_domain::deadline::days_between;
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_domain::policy::{Decision, Policy};
use checkpoint_domain::referral::Referral;
use checkpoint_store::cases::{self, CaseRow, KeyDates, NewCase, NewCaseEvent};
use checkpoint_store::referrals::{self as referral_rows, ReferralRow};
use checkpoint_store::screening::{self, AdviceRow, NewAdvice};
use checkpoint_store::{AuditAction, AuditEntry, CivilDate, StoreError, Tx, audit, people};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Who the referral is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "person_id", rename_all = "snake_case")]
pub enum PersonChoice {
    /// A person already known (their details are updated from the referral).
    Existing(Uuid),
    /// A new person.
    New,
}

/// A referral as the custody desk submits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReferral {
    pub scheme_id: String,
    pub referral: Referral,
    pub person: PersonChoice,
    /// With `PersonChoice::New`: the likely matches the desk looked at and judged to be other
    /// people. Every likely match must be listed.
    #[serde(default)]
    pub acknowledged_matches: Vec<Uuid>,
}

/// What the desk sees after referring: the case, the advice and the dates that matter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralOutcome {
    pub case: CaseProgress,
    pub person_id: Uuid,
    pub referral_id: Uuid,
    /// The policy's advice, every criterion with its verdict and evidence; a person decides
    /// over it with `record_screening_decision`.
    pub advice: DecisionView,
    /// People already known who looked alike (shown, acknowledged or chosen).
    pub likely_matches: Vec<PersonMatch>,
    pub prosecution_deadline: Option<Date>,
    /// Days from today to the prosecution deadline (negative when past).
    pub days_to_deadline: Option<i32>,
    pub contract_start: Date,
    pub contract_end: Date,
    /// The deadline and contract dates in words.
    pub deadline_in_words: String,
}

/// Checks a referral and finds the scheme's policy in force on its date. `scheme_field` names
/// the field a missing policy is reported on.
pub(crate) fn validate_referral(
    app: &App,
    scheme_id: &str,
    referral: &Referral,
    scheme_field: &str,
) -> Result<Arc<Policy>, AppError> {
    let mut problems = Vec::new();
    if let Err(e) = referral.validate() {
        problems.push(FieldError::new(format!("referral.{}", e.path), e.message));
    }
    let today = app.clock().today();
    if referral.referral_date > today {
        problems.push(FieldError::new(
            "referral.referral_date",
            format!("{} is in the future", referral.referral_date),
        ));
    }
    let policy = if scheme_id.trim().is_empty() {
        problems.push(FieldError::new(scheme_field, "choose a scheme"));
        None
    } else {
        let found = app
            .policies()
            .in_force(scheme_id, referral.referral_date)
            .cloned();
        if found.is_none() {
            problems.push(FieldError::new(
                scheme_field,
                format!(
                    "no policy of scheme {scheme_id:?} is in force on {}",
                    referral.referral_date
                ),
            ));
        }
        found
    };
    match policy {
        Some(policy) if problems.is_empty() => Ok(policy),
        _ => Err(AppError::Invalid(problems)),
    }
}

/// `durham-checkpoint v2 sha256:…`: the exact policy an event was decided under.
pub(crate) fn policy_label_of(policy: &Policy) -> String {
    format!(
        "{} v{} {}",
        policy.id(),
        policy.version(),
        policy.content_hash()
    )
}

/// The offence date and prosecution deadline a referral gives the case.
pub(crate) fn key_dates_for(evaluation: &Decision, referral: &Referral) -> KeyDates {
    KeyDates {
        offence_date: Some(CivilDate(referral.offence.offence_date)),
        prosecution_deadline: evaluation.contract().prosecution_deadline.map(CivilDate),
        ..KeyDates::default()
    }
}

/// A referral snapshot and the advice evaluated from it.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvaluation {
    pub advice: AdviceRow,
    pub evaluation: Decision,
}

async fn insert_snapshot(
    tx: &mut Tx,
    actor: &Actor,
    person_id: Uuid,
    scheme_id: &str,
    policy: &Policy,
    referral: &Referral,
) -> Result<ReferralRow, AppError> {
    let input = serde_json::to_value(referral).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(referral_rows::insert(
        tx,
        &referral_rows::NewReferral {
            person_id,
            scheme_id,
            policy_id: policy.id(),
            input: &input,
            referred_by: Some(actor.user_id),
        },
    )
    .await?)
}

async fn insert_advice(
    tx: &mut Tx,
    actor: &Actor,
    case_id: Uuid,
    referral_id: Uuid,
    evaluation: &Decision,
) -> Result<AdviceRow, AppError> {
    let json = serde_json::to_value(evaluation).map_err(|e| AppError::Internal(e.to_string()))?;
    let version = evaluation.policy_version().to_string();
    Ok(screening::insert_advice(
        tx,
        &NewAdvice {
            case_id,
            referral_id,
            policy_id: evaluation.policy_id(),
            policy_version: &version,
            policy_hash: evaluation.content_hash(),
            advised_outcome: evaluation.outcome().as_str(),
            evaluation: &json,
            created_by: Some(actor.user_id),
        },
    )
    .await?)
}

/// Stores a further referral snapshot for an existing case and the advice evaluated from it
/// (re-screening).
pub(crate) async fn store_evaluation(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseRow,
    policy: &Policy,
    referral: &Referral,
) -> Result<StoredEvaluation, AppError> {
    let snapshot =
        insert_snapshot(tx, actor, case.person_id, &case.scheme_id, policy, referral).await?;
    let evaluation = policy.evaluate(referral);
    let advice = insert_advice(tx, actor, case.id, snapshot.id, &evaluation).await?;
    Ok(StoredEvaluation { advice, evaluation })
}

fn describe_matches(matches: &[&PersonMatch]) -> String {
    matches
        .iter()
        .map(|m| {
            format!(
                "{} {} born {} (id {}, score {}: {})",
                m.given_name, m.family_name, m.date_of_birth, m.person_id, m.score, m.explanation
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn audit_entry(actor: &Actor, action: AuditAction, subject: &str, id: Uuid) -> AuditEntry {
    AuditEntry::new(Some(actor.user_id), actor.audit_name(), action, subject, id)
}

impl App {
    /// Refers a person at the custody desk: stores the person (new, or the chosen existing
    /// one with corrected details), the referral as typed, a new case (`referred`, with a
    /// reference such as CP-2026-000123), and the scheme's policy advice for the referral
    /// date. A person decides over the advice next (`record_screening_decision`).
    ///
    /// With `PersonChoice::New`, every likely match must be listed in
    /// `acknowledged_matches`, else `Invalid` on field `person` naming them.
    pub async fn create_referral(
        &self,
        actor: &Actor,
        input: NewReferral,
    ) -> Result<ReferralOutcome, AppError> {
        authorise(actor, Action::CreateReferral)?;
        let NewReferral {
            scheme_id,
            referral,
            person,
            acknowledged_matches,
        } = input;
        let scheme_id = scheme_id.trim().to_owned();
        let policy = validate_referral(self, &scheme_id, &referral, "scheme_id")?;
        let existing = match person {
            PersonChoice::Existing(id) => Some(id),
            PersonChoice::New => None,
        };
        // The duplicate check reads in a snapshot of its own, before the write transaction, so
        // its candidate queries do not hold SQLite's single writer lock. A person created in
        // between by another desk is caught next time; the check is advice, never a merge.
        let mut read = self.begin_read().await?;
        let matches = self
            .likely_matches_unaudited(&mut read, &referral.person, existing)
            .await?;
        read.rollback().await?;
        let mut tx = self.begin().await?;
        self.audit_matches_shown(&mut tx, actor, &matches).await?;
        // The person as stored, when this referral created or corrected them (for the
        // linkage index, once committed).
        let mut person_written = None;
        let person_id = match person {
            PersonChoice::Existing(id) => {
                let known = match people::get(&mut tx, id).await {
                    Ok(row) => row,
                    Err(StoreError::NotFound(_)) => {
                        return Err(AppError::invalid("person", "no such person"));
                    }
                    Err(e) => return Err(e.into()),
                };
                if known.details()? != referral.person {
                    person_written = Some(people::update(&mut tx, id, &referral.person).await?);
                    audit::append(
                        &mut tx,
                        audit_entry(actor, AuditAction::Alteration, "person", id)
                            .with_justification("details updated from a custody referral"),
                    )
                    .await?;
                }
                id
            }
            PersonChoice::New => {
                let unacknowledged: Vec<&PersonMatch> = matches
                    .iter()
                    .filter(|m| !acknowledged_matches.contains(&m.person_id))
                    .collect();
                if !unacknowledged.is_empty() {
                    let message = format!(
                        "this may be someone already known: {}. Choose the existing person, \
                         or acknowledge each match to create a new one",
                        describe_matches(&unacknowledged)
                    );
                    // The matches were shown (in this message): keep the consultation rows.
                    tx.commit().await?;
                    return Err(AppError::invalid("person", message));
                }
                let row = people::insert(&mut tx, &referral.person).await?;
                let details = serde_json::json!({
                    "acknowledged_matches": acknowledged_matches,
                });
                audit::append(
                    &mut tx,
                    audit_entry(actor, AuditAction::Collection, "person", row.id)
                        .with_details(details),
                )
                .await?;
                let id = row.id;
                person_written = Some(row);
                id
            }
        };

        let snapshot =
            insert_snapshot(&mut tx, actor, person_id, &scheme_id, &policy, &referral).await?;
        let evaluation = policy.evaluate(&referral);
        let label = policy_label_of(&policy);
        let mut opening = NewCaseEvent::new(Some(actor.user_id), "opened");
        opening.to_state = Some(CaseState::Referred);
        opening.policy_version = Some(&label);
        opening.payload = serde_json::json!({
            "referral_id": snapshot.id,
            "advised_outcome": evaluation.outcome().as_str(),
        });
        let today = self.clock().today();
        let (case, _) = cases::create(
            &mut tx,
            &NewCase {
                reference_prefix: &self.settings().reference_prefix,
                reference_year: i64::from(today.year()),
                person_id,
                referral_id: Some(snapshot.id),
                scheme_id: &scheme_id,
                navigator_id: None,
                team: None,
                key_dates: key_dates_for(&evaluation, &referral),
                opening,
            },
        )
        .await?;
        let advice = insert_advice(&mut tx, actor, case.id, snapshot.id, &evaluation).await?;
        audit::append(
            &mut tx,
            audit_entry(actor, AuditAction::Collection, "case", case.id).with_details(
                serde_json::json!({
                    "reference": case.reference,
                    "person_id": person_id,
                    "referral_id": snapshot.id,
                    "advice_id": advice.id,
                    "advised_outcome": advice.advised_outcome,
                    "policy": label,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        if let Some(row) = &person_written {
            self.person_changed(row);
        }

        let contract = evaluation.contract();
        Ok(ReferralOutcome {
            case: CaseProgress::of(&case)?,
            person_id,
            referral_id: snapshot.id,
            advice: DecisionView::new(advice.id, &evaluation),
            likely_matches: matches,
            prosecution_deadline: contract.prosecution_deadline,
            days_to_deadline: contract
                .prosecution_deadline
                .map(|d| days_between(today, d)),
            contract_start: contract.start,
            contract_end: contract.end,
            deadline_in_words: evaluation.deadline_in_words(),
        })
    }
}
