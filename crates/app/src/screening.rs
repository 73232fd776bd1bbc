//! The screening decision: a person decides over the policy's advice.
//!
//! The policy's evaluation is advice ([`checkpoint_store::screening`]); the custody officer
//! accepts it or overrides it with a coded reason and a written one (Recidiviz-style coded
//! denial reasons, anchors.md §2). Overrides wait for a supervisor's countersignature.
//! "Needs information" keeps the case re-screenable: [`App::rescreen`] evaluates an updated
//! referral and records fresh advice to decide over.

use crate::case_ops::{CaseStep, check_version, state_of};
use crate::case_view::CaseProgress;
use crate::error::{AppError, FieldError};
use crate::permissions::{Action, authorise};
use crate::referrals::{store_evaluation, validate_referral};
use crate::{Actor, App};
use checkpoint_domain::deadline::ContractDates;
use checkpoint_domain::lifecycle::{ScreeningOutcome, Transition, TransitionKind, next_state};
use checkpoint_domain::policy::{Decision, Eligibility, Verdict};
use checkpoint_domain::referral::Referral;
use checkpoint_store::decisions::{self, AdviceTaken, DecisionRow, NewDecision};
use checkpoint_store::screening::{self, AdviceRow, CountersignatureRow};
use checkpoint_store::{AuditAction, AuditEntry, Tx, audit, cases, people, users};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// Why a decision departs from the policy's advice: a closed list, so override rates can be
/// reported by reason; `reason` text is required with every code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideCode {
    /// The officer's judgement of the public interest differs from the policy's.
    OfficerDiscretionPublicInterest,
    /// The officer knows something the policy's criteria could not see.
    InformationPolicyCouldNotSee,
    /// The victim's views.
    VictimViews,
    /// The officer's own risk judgement differs from the tool's band.
    RiskJudgement,
    /// A vulnerability makes the advised outcome wrong for this person.
    Vulnerability,
    /// Anything else; the written reason says what.
    Other,
}

impl OverrideCode {
    pub const ALL: [OverrideCode; 6] = [
        OverrideCode::OfficerDiscretionPublicInterest,
        OverrideCode::InformationPolicyCouldNotSee,
        OverrideCode::VictimViews,
        OverrideCode::RiskJudgement,
        OverrideCode::Vulnerability,
        OverrideCode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OverrideCode::OfficerDiscretionPublicInterest => "officer_discretion_public_interest",
            OverrideCode::InformationPolicyCouldNotSee => "information_policy_could_not_see",
            OverrideCode::VictimViews => "victim_views",
            OverrideCode::RiskJudgement => "risk_judgement",
            OverrideCode::Vulnerability => "vulnerability",
            OverrideCode::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OverrideCode::OfficerDiscretionPublicInterest => {
                "Officer discretion on the public interest"
            }
            OverrideCode::InformationPolicyCouldNotSee => "Information the policy could not see",
            OverrideCode::VictimViews => "The victim's views",
            OverrideCode::RiskJudgement => "Risk judgement",
            OverrideCode::Vulnerability => "Vulnerability",
            OverrideCode::Other => "Other",
        }
    }

    pub fn parse(text: &str) -> Option<OverrideCode> {
        OverrideCode::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// What the decision maker chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum ScreeningChoice {
    AcceptAdvice,
    Override {
        outcome: ScreeningOutcome,
        code: OverrideCode,
        reason: String,
    },
}

fn outcome_of(eligibility: Eligibility) -> ScreeningOutcome {
    match eligibility {
        Eligibility::Eligible => ScreeningOutcome::Eligible,
        Eligibility::Ineligible => ScreeningOutcome::Ineligible,
        Eligibility::NeedsInformation => ScreeningOutcome::NeedsInformation,
    }
}

fn outcome_name(outcome: ScreeningOutcome) -> &'static str {
    match outcome {
        ScreeningOutcome::Eligible => "eligible",
        ScreeningOutcome::Ineligible => "ineligible",
        ScreeningOutcome::NeedsInformation => "needs_information",
    }
}

fn parse_outcome(text: &str) -> Result<ScreeningOutcome, AppError> {
    serde_json::from_value(serde_json::Value::from(text))
        .map_err(|_| AppError::Internal(format!("stored outcome {text:?} is not an outcome")))
}

/// One criterion as the decision page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionView {
    pub id: String,
    pub text: String,
    pub source: String,
    pub verdict: Verdict,
    /// The evidence in words ("aged 34 on the referral date").
    pub explanation: String,
}

/// The policy's advice on a case and, once made, the person's decision over it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub advice_id: Uuid,
    pub policy_id: String,
    pub policy_name: String,
    pub policy_version: u32,
    pub policy_hash: String,
    pub referral_date: Date,
    pub advised_outcome: Eligibility,
    /// Every criterion, in policy order, with its verdict and evidence.
    pub criteria: Vec<CriterionView>,
    pub warnings: Vec<String>,
    /// Planned contract dates under the policy, clamped to the prosecution deadline.
    pub contract: ContractDates,
    /// The deadline and contract dates in words, as the sergeant reads them.
    pub deadline_in_words: String,
    pub decision: Option<ScreeningDecisionView>,
}

impl DecisionView {
    pub(crate) fn new(advice_id: Uuid, decision: &Decision) -> DecisionView {
        DecisionView {
            advice_id,
            policy_id: decision.policy_id().to_owned(),
            policy_name: decision.policy_name().to_owned(),
            policy_version: decision.policy_version(),
            policy_hash: decision.content_hash().to_owned(),
            referral_date: decision.referral_date(),
            advised_outcome: decision.outcome(),
            criteria: decision
                .criteria()
                .map(|c| CriterionView {
                    id: c.criterion.id.clone(),
                    text: c.criterion.text.clone(),
                    source: c.criterion.source.clone(),
                    verdict: c.verdict,
                    explanation: c.evidence.describe(),
                })
                .collect(),
            warnings: decision.warnings().iter().map(|w| w.describe()).collect(),
            contract: decision.contract().clone(),
            deadline_in_words: decision.deadline_in_words(),
            decision: None,
        }
    }
}

/// The person's decision over the advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningDecisionView {
    pub decision_id: Uuid,
    pub outcome: ScreeningOutcome,
    pub follows_advice: bool,
    pub override_code: Option<OverrideCode>,
    pub override_label: Option<&'static str>,
    pub override_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_by_name: String,
    pub decided_at: Timestamp,
    /// For overrides: `None` while awaiting a supervisor.
    pub countersignature: Option<CountersignatureView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountersignatureView {
    pub decision_id: Uuid,
    pub countersigned_by: Uuid,
    pub countersigned_by_name: String,
    pub agreed: bool,
    pub note: Option<String>,
    pub countersigned_at: Timestamp,
}

/// An override in the supervisor's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideAwaiting {
    pub decision_id: Uuid,
    pub case_id: Uuid,
    pub reference: String,
    pub person_name: String,
    pub advised_outcome: String,
    pub outcome: String,
    pub override_code: Option<OverrideCode>,
    pub override_label: Option<&'static str>,
    pub override_reason: Option<String>,
    pub decided_by_name: String,
    pub decided_at: Timestamp,
}

/// Display names of users, looked up once each.
#[derive(Debug, Default)]
pub(crate) struct UserNames(HashMap<Uuid, String>);

impl UserNames {
    pub(crate) async fn name(&mut self, tx: &mut Tx, id: Uuid) -> Result<String, AppError> {
        if let Some(name) = self.0.get(&id) {
            return Ok(name.clone());
        }
        let name = users::get(tx, id).await?.display_name;
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

/// The case's newest advice with its evaluation, and the decision made over it, if any.
#[derive(Debug, Clone)]
pub(crate) struct CurrentScreening {
    pub advice: AdviceRow,
    pub evaluation: Decision,
    pub decision: Option<DecisionRow>,
}

pub(crate) async fn current_screening(
    tx: &mut Tx,
    case_id: Uuid,
) -> Result<Option<CurrentScreening>, AppError> {
    let Some(advice) = screening::advice_for_case(tx, case_id).await?.pop() else {
        return Ok(None);
    };
    let evaluation: Decision = serde_json::from_str(&advice.evaluation_json)
        .map_err(|e| AppError::Internal(format!("stored evaluation: {e}")))?;
    let decision = decisions::for_referral(tx, advice.referral_id).await?.pop();
    Ok(Some(CurrentScreening {
        advice,
        evaluation,
        decision,
    }))
}

/// The decision page's view of the current screening, with names and countersignature.
pub(crate) async fn decision_view(
    tx: &mut Tx,
    names: &mut UserNames,
    current: &CurrentScreening,
) -> Result<DecisionView, AppError> {
    let mut view = DecisionView::new(current.advice.id, &current.evaluation);
    if let Some(row) = &current.decision {
        view.decision = Some(screening_decision_view(tx, names, row).await?);
    }
    Ok(view)
}

async fn screening_decision_view(
    tx: &mut Tx,
    names: &mut UserNames,
    row: &DecisionRow,
) -> Result<ScreeningDecisionView, AppError> {
    let code = row.override_code.as_deref().and_then(OverrideCode::parse);
    let countersignature = match screening::countersignature(tx, row.id).await? {
        Some(c) => Some(countersignature_view(tx, names, &c).await?),
        None => None,
    };
    Ok(ScreeningDecisionView {
        decision_id: row.id,
        outcome: parse_outcome(&row.outcome)?,
        follows_advice: row.follows_advice,
        override_code: code,
        override_label: code.map(OverrideCode::label),
        override_reason: row.override_reason.clone(),
        decided_by: row.decided_by,
        decided_by_name: names.name(tx, row.decided_by).await?,
        decided_at: row.decided_at.get(),
        countersignature,
    })
}

async fn countersignature_view(
    tx: &mut Tx,
    names: &mut UserNames,
    row: &CountersignatureRow,
) -> Result<CountersignatureView, AppError> {
    Ok(CountersignatureView {
        decision_id: row.decision_id,
        countersigned_by: row.countersigned_by,
        countersigned_by_name: names.name(tx, row.countersigned_by).await?,
        agreed: row.agreed,
        note: row.note.clone(),
        countersigned_at: row.countersigned_at.get(),
    })
}

/// Checks an override's inputs: a written reason always, and an outcome that differs from
/// the advice (agreeing with the advice is accepting it).
fn validate_choice(choice: &ScreeningChoice) -> Result<(), AppError> {
    if let ScreeningChoice::Override { reason, .. } = choice
        && reason.trim().is_empty()
    {
        return Err(AppError::invalid(
            "reason",
            "an override needs a written reason as well as a code",
        ));
    }
    Ok(())
}

/// The result of a re-screening: fresh advice to decide over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RescreenOutcome {
    pub case: CaseProgress,
    pub advice: DecisionView,
}

impl App {
    /// Records the person's screening decision over the case's current advice: accept it, or
    /// override it with a coded reason and a written one. The case moves to eligible,
    /// ineligible or needs information. Overrides wait for a supervisor's countersignature.
    pub async fn record_screening_decision(
        &self,
        actor: &Actor,
        case_id: Uuid,
        expected_version: i64,
        choice: ScreeningChoice,
    ) -> Result<CaseProgress, AppError> {
        authorise(actor, Action::RecordScreeningDecision)?;
        validate_choice(&choice)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordScreeningDecision, case_id)
            .await?;
        check_version(&case, expected_version)?;
        let from = state_of(&case)?;
        if !from.allowed().contains(&TransitionKind::Screen) {
            return Err(checkpoint_domain::lifecycle::IllegalTransition {
                from,
                transition: TransitionKind::Screen,
            }
            .into());
        }
        let current = current_screening(&mut tx, case_id)
            .await?
            .ok_or_else(|| AppError::Internal("case has no screening advice".to_owned()))?;
        if current.decision.is_some() {
            // Two writers can both pass the version check before either commits; the loser then
            // sees the winner's decision here. Its copy is stale: say so, rather than blaming
            // the request.
            let now = cases::get(&mut tx, case_id).await?;
            check_version(&now, expected_version)?;
            return Err(AppError::invalid(
                "case",
                "this advice has already been decided; re-screen with the missing information \
                 first",
            ));
        }
        let advised = outcome_of(current.evaluation.outcome());
        let (outcome, advice_taken, reason) = match &choice {
            ScreeningChoice::AcceptAdvice => (advised, AdviceTaken::Accepted, None),
            ScreeningChoice::Override {
                outcome,
                code,
                reason,
            } => {
                if *outcome == advised {
                    return Err(AppError::invalid(
                        "outcome",
                        "this is what the policy advised; accept the advice instead",
                    ));
                }
                let reason = reason.trim();
                let taken = AdviceTaken::Overridden {
                    code: code.as_str(),
                    reason,
                };
                (*outcome, taken, Some(reason))
            }
        };
        next_state(from, Transition::Screen { outcome })?;
        let evaluation = serde_json::to_value(&current.evaluation)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let version = current.evaluation.policy_version().to_string();
        let decision = decisions::insert(
            &mut tx,
            &NewDecision {
                referral_id: current.advice.referral_id,
                policy_id: &current.advice.policy_id,
                policy_version: &version,
                policy_hash: &current.advice.policy_hash,
                advised_outcome: &current.advice.advised_outcome,
                outcome: outcome_name(outcome),
                evaluation: &evaluation,
                decided_by: actor.user_id,
                advice: advice_taken.clone(),
            },
        )
        .await?;
        let override_code = match &choice {
            ScreeningChoice::Override { code, .. } => Some(code.as_str()),
            ScreeningChoice::AcceptAdvice => None,
        };
        let payload = serde_json::json!({
            "decision_id": decision.id,
            "advised_outcome": current.advice.advised_outcome,
            "outcome": outcome_name(outcome),
            "follows_advice": decision.follows_advice,
            "override_code": override_code,
            // The criteria the advice found unmet, in policy order: evaluation reports the
            // first as the reason a person was screened out.
            "unmet_criteria": current
                .evaluation
                .criteria()
                .filter(|c| c.verdict == Verdict::NotMet)
                .map(|c| c.criterion.id.as_str())
                .collect::<Vec<_>>(),
        });
        let mut step = CaseStep::new(Transition::Screen { outcome }).with_payload(payload.clone());
        if let Some(reason) = reason {
            step = step.because(reason);
        }
        let (updated, _) = self
            .apply_transition(&mut tx, actor, &case, expected_version, step)
            .await?;
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Collection,
                "decision",
                decision.id,
            )
            .with_details(payload),
        )
        .await?;
        tx.commit().await?;
        CaseProgress::of(&updated)
    }

    /// Evaluates an updated referral for a case still being screened (referred or needs
    /// information) and records it as the case's new advice. The person's details are
    /// corrected from the referral. Decide over the new advice with
    /// [`App::record_screening_decision`].
    pub async fn rescreen(
        &self,
        actor: &Actor,
        case_id: Uuid,
        expected_version: i64,
        referral: Referral,
    ) -> Result<RescreenOutcome, AppError> {
        authorise(actor, Action::RecordScreeningDecision)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordScreeningDecision, case_id)
            .await?;
        check_version(&case, expected_version)?;
        let from = state_of(&case)?;
        if !from.allowed().contains(&TransitionKind::Screen) {
            return Err(checkpoint_domain::lifecycle::IllegalTransition {
                from,
                transition: TransitionKind::Screen,
            }
            .into());
        }
        let policy = validate_referral(self, &case.scheme_id, &referral, "scheme_id")?;
        let person = people::get(&mut tx, case.person_id).await?;
        let mut person_written = None;
        if person.details()? != referral.person {
            person_written = Some(people::update(&mut tx, person.id, &referral.person).await?);
            audit::append(
                &mut tx,
                AuditEntry::new(
                    Some(actor.user_id),
                    actor.audit_name(),
                    AuditAction::Alteration,
                    "person",
                    person.id,
                )
                .with_justification("details corrected when re-screening a referral"),
            )
            .await?;
        }
        let stored = store_evaluation(&mut tx, actor, &case, &policy, &referral).await?;
        let mut event = cases::NewCaseEvent::new(Some(actor.user_id), "rescreened");
        let label = crate::referrals::policy_label_of(&policy);
        event.policy_version = Some(&label);
        event.payload = serde_json::json!({
            "advice_id": stored.advice.id,
            "advised_outcome": stored.advice.advised_outcome,
        });
        let (mut updated, _) =
            cases::append_event(&mut tx, case.id, expected_version, &event).await?;
        let mut dates = updated.key_dates();
        let planned = crate::referrals::key_dates_for(&stored.evaluation, &referral);
        if (dates.offence_date, dates.prosecution_deadline)
            != (planned.offence_date, planned.prosecution_deadline)
        {
            dates.offence_date = planned.offence_date;
            dates.prosecution_deadline = planned.prosecution_deadline;
            let version = updated.version;
            (updated, _) = cases::set_key_dates(
                &mut tx,
                case.id,
                version,
                &dates,
                Some(actor.user_id),
                Some("re-screened with corrected offence details"),
            )
            .await?;
        }
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Alteration,
                "case",
                case.id,
            )
            .with_details(serde_json::json!({
                "reference": case.reference,
                "rescreened": true,
                "advice_id": stored.advice.id,
                "advised_outcome": stored.advice.advised_outcome,
                "version": updated.version,
            })),
        )
        .await?;
        tx.commit().await?;
        if let Some(row) = &person_written {
            self.person_changed(row);
        }
        Ok(RescreenOutcome {
            case: CaseProgress::of(&updated)?,
            advice: DecisionView::new(stored.advice.id, &stored.evaluation),
        })
    }

    /// The referral the case's current advice saw, for a form that corrects it before
    /// [`App::rescreen`]. Only for those who may re-screen, and only while the case may be
    /// re-screened (referred or needs information). Audited as a consultation.
    pub async fn referral_to_rescreen(
        &self,
        actor: &Actor,
        case_id: Uuid,
    ) -> Result<Referral, AppError> {
        authorise(actor, Action::RecordScreeningDecision)?;
        let mut tx = self.begin_read().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordScreeningDecision, case_id)
            .await?;
        let from = state_of(&case)?;
        if !from.allowed().contains(&TransitionKind::Screen) {
            return Err(checkpoint_domain::lifecycle::IllegalTransition {
                from,
                transition: TransitionKind::Screen,
            }
            .into());
        }
        let Some(current) = current_screening(&mut tx, case.id).await? else {
            return Err(AppError::NotFound { what: "referral" });
        };
        let row = checkpoint_store::referrals::get(&mut tx, current.advice.referral_id).await?;
        let referral = Referral::from_json(&row.input_json)
            .map_err(|e| AppError::Internal(format!("stored referral {}: {e}", row.id)))?;
        tx.commit().await?;
        self.record_consultation(
            actor,
            "case",
            case.id,
            "referral opened to supply missing facts and re-screen",
        )
        .await?;
        Ok(referral)
    }

    /// A supervisor's countersignature of an override: agreeing, or disagreeing with a note
    /// saying why. Recorded once per decision, never by the officer who made it, and shown on
    /// the case's timeline. Disagreement does not move the case (the lifecycle has no way
    /// back from a screening decision); it puts the disagreement on record for review.
    pub async fn countersign_override(
        &self,
        actor: &Actor,
        decision_id: Uuid,
        agree: bool,
        note: Option<&str>,
    ) -> Result<CountersignatureView, AppError> {
        authorise(actor, Action::CountersignOverride)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if !agree && note.is_none() {
            return Err(AppError::invalid("note", "say why you disagree"));
        }
        let mut tx = self.begin().await?;
        let decision = decisions::get(&mut tx, decision_id).await?;
        let mut problems = Vec::new();
        if decision.follows_advice {
            problems.push(FieldError::new(
                "decision_id",
                "this decision followed the advice; only overrides are countersigned",
            ));
        }
        if decision.decided_by == actor.user_id {
            problems.push(FieldError::new(
                "decision_id",
                "an override must be countersigned by someone other than the person who made it",
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let row = screening::countersign(&mut tx, decision_id, actor.user_id, agree, note).await?;
        let advice = screening::advice_for_referral(&mut tx, decision.referral_id).await?;
        let case = cases::get(&mut tx, advice.case_id).await?;
        let kind = if agree {
            "override_countersigned"
        } else {
            "override_disputed"
        };
        let mut event = cases::NewCaseEvent::new(Some(actor.user_id), kind);
        event.reason = note;
        event.payload = serde_json::json!({ "decision_id": decision_id, "agreed": agree });
        // An annotation, not a client edit: it goes on at whatever version the case is now.
        cases::append_event(&mut tx, case.id, case.version, &event).await?;
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Alteration,
                "decision",
                decision_id,
            )
            .with_details(serde_json::json!({
                "countersigned": true,
                "agreed": agree,
                "note": note,
                "case_id": case.id,
            })),
        )
        .await?;
        let view = countersignature_view(&mut tx, &mut UserNames::default(), &row).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Overrides no supervisor has countersigned yet, oldest first (the supervisor queue).
    /// Audited as a consultation: the queue shows names.
    pub async fn overrides_awaiting_countersignature(
        &self,
        actor: &Actor,
    ) -> Result<Vec<OverrideAwaiting>, AppError> {
        authorise(actor, Action::ViewSupervisorQueue)?;
        let mut tx = self.begin().await?;
        let rows = screening::awaiting_countersignature(&mut tx).await?;
        let mut names = UserNames::default();
        let mut queue = Vec::with_capacity(rows.len());
        for row in rows {
            let person = people::get(&mut tx, row.person_id).await?;
            let code = row.override_code.as_deref().and_then(OverrideCode::parse);
            queue.push(OverrideAwaiting {
                decision_id: row.decision_id,
                case_id: row.case_id,
                reference: row.reference,
                person_name: format!("{} {}", person.given_name, person.family_name),
                advised_outcome: row.advised_outcome,
                outcome: row.outcome,
                override_code: code,
                override_label: code.map(OverrideCode::label),
                override_reason: row.override_reason,
                decided_by_name: names.name(&mut tx, row.decided_by).await?,
                decided_at: row.decided_at.get(),
            });
        }
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Consultation,
                "override_queue",
                "awaiting_countersignature",
            )
            .with_justification("supervisor queue: overrides awaiting countersignature")
            .with_details(serde_json::json!({
                "cases": queue.iter().map(|q| q.case_id.to_string()).collect::<Vec<_>>(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(queue)
    }
}
