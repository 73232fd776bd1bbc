//! The offer, and the person's answer to it: consent (with the admission the scheme needs)
//! or a refusal, which sends the case back to the usual process.
//!
//! The admission guard follows the decision the case was screened on. If the policy has an
//! interview criterion (Durham: "admitted or no reply"), consent must rest on an admission
//! in interview, on a no-reply interview where that criterion was met (so the policy accepts
//! no-reply), or on an admission made now, with the consent. A policy with no interview
//! criterion needs none.

use crate::case_ops::{CaseStep, check_version};
use crate::case_view::CaseProgress;
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::screening::current_screening;
use crate::{Actor, App};
use checkpoint_domain::lifecycle::Transition;
use checkpoint_domain::policy::{CriterionKind, Verdict};
use checkpoint_domain::referral::{InterviewOutcome, Referral};
use checkpoint_store::{referrals, trials};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the person's consent rests on, as the scheme's admission rule needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// They admitted the offence in interview under caution (the referral says so).
    AdmittedInInterview,
    /// A no-reply interview, where the policy accepts one.
    NoReplyInInterview,
    /// They admit the offence now, and the admission is recorded with the consent.
    AdmittedOnConsent,
    /// The scheme's policy requires no admission.
    NoneRequired,
}

impl Admission {
    fn as_str(self) -> &'static str {
        match self {
            Admission::AdmittedInInterview => "admitted_in_interview",
            Admission::NoReplyInInterview => "no_reply_in_interview",
            Admission::AdmittedOnConsent => "admitted_on_consent",
            Admission::NoneRequired => "none_required",
        }
    }
}

/// The person's answer to the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Consent {
    Accepted {
        admission: Admission,
        signed_on: Date,
    },
    Declined {
        reason: String,
    },
}

/// The admission rule of the decision the case was screened on: `None` when the policy has
/// no interview criterion, else whether a no-reply interview satisfied it.
fn check_admission(
    admission: Admission,
    interview_rule: Option<Verdict>,
    interview: Option<InterviewOutcome>,
) -> Result<(), AppError> {
    let Some(verdict) = interview_rule.filter(|v| *v != Verdict::NotApplicable) else {
        return Ok(());
    };
    let refuse = |message: String| Err(AppError::invalid("admission", message));
    let recorded = interview.map_or("not recorded", InterviewOutcome::as_str);
    match admission {
        Admission::AdmittedOnConsent => Ok(()),
        Admission::AdmittedInInterview if interview == Some(InterviewOutcome::Admitted) => Ok(()),
        Admission::AdmittedInInterview => refuse(format!(
            "the referral records the interview as {recorded}; record an admission with the \
             consent instead"
        )),
        Admission::NoReplyInInterview
            if interview == Some(InterviewOutcome::NoReply) && verdict == Verdict::Met =>
        {
            Ok(())
        }
        Admission::NoReplyInInterview => refuse(format!(
            "the policy does not accept this on the interview record ({recorded}); record an \
             admission with the consent instead"
        )),
        Admission::NoneRequired => refuse(
            "this scheme's policy requires an admission (or a no-reply interview where \
             allowed) before consent"
                .to_owned(),
        ),
    }
}

impl App {
    /// Offers the scheme to an eligible person (in a trial, only once allocated to
    /// treatment).
    pub async fn make_offer(
        &self,
        actor: &Actor,
        case_id: Uuid,
        expected_version: i64,
    ) -> Result<CaseProgress, AppError> {
        authorise(actor, Action::MakeOffer)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::MakeOffer, case_id)
            .await?;
        check_version(&case, expected_version)?;
        if let Some(current) = current_screening(&mut tx, case.id).await?
            && self.runs_trial(&current.evaluation)
            && trials::for_case(&mut tx, case.id).await?.is_none()
        {
            return Err(AppError::invalid(
                "trial",
                "this scheme is running a randomised trial: allocate the case before offering",
            ));
        }
        let today = self.clock().today();
        let step = CaseStep::new(Transition::Offer)
            .with_payload(serde_json::json!({ "offered_on": today.to_string() }));
        let (updated, _) = self
            .apply_transition(&mut tx, actor, &case, expected_version, step)
            .await?;
        tx.commit().await?;
        CaseProgress::of(&updated)
    }

    /// Records the person's answer to the offer. Accepted (with the admission the policy
    /// needs and the date signed) opens the case for the navigators; declined (with the
    /// reason) returns it to the usual process.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        case_id: Uuid,
        expected_version: i64,
        consent: Consent,
    ) -> Result<CaseProgress, AppError> {
        authorise(actor, Action::RecordConsent)?;
        if let Consent::Declined { reason } = &consent
            && reason.trim().is_empty()
        {
            return Err(AppError::invalid(
                "reason",
                "say why the offer was declined",
            ));
        }
        let today = self.clock().today();
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordConsent, case_id)
            .await?;
        check_version(&case, expected_version)?;
        let step = match &consent {
            Consent::Declined { reason } => CaseStep::new(Transition::Decline)
                .because(reason.trim())
                .with_payload(serde_json::json!({ "answer": "declined" })),
            Consent::Accepted {
                admission,
                signed_on,
            } => {
                // Only a case that has been offered can consent; say so before anything else.
                checkpoint_domain::lifecycle::next_state(case.state()?, Transition::Accept)?;
                let current = current_screening(&mut tx, case.id)
                    .await?
                    .ok_or_else(|| AppError::Internal("case has no screening advice".into()))?;
                let referred = current.evaluation.referral_date();
                if *signed_on > today || *signed_on < referred {
                    return Err(AppError::invalid(
                        "signed_on",
                        format!("must be between {referred} (the referral) and {today} (today)"),
                    ));
                }
                let snapshot = referrals::get(&mut tx, current.advice.referral_id).await?;
                let referral = Referral::from_json(&snapshot.input_json)
                    .map_err(|e| AppError::Internal(format!("stored referral: {e}")))?;
                let interview_rule = current
                    .evaluation
                    .criteria()
                    .find(|c| c.criterion.kind == CriterionKind::InterviewOutcome)
                    .map(|c| c.verdict);
                check_admission(*admission, interview_rule, referral.interview)?;
                CaseStep::new(Transition::Accept).with_payload(serde_json::json!({
                    "answer": "accepted",
                    "admission": admission.as_str(),
                    "interview": referral.interview.map(InterviewOutcome::as_str),
                    "signed_on": signed_on.to_string(),
                }))
            }
        };
        let (mut updated, _) = self
            .apply_transition(&mut tx, actor, &case, expected_version, step)
            .await?;
        if matches!(consent, Consent::Declined { .. }) {
            // Back to the usual process, and followed up like everyone else (ITT).
            updated = self
                .open_follow_up_window(&mut tx, actor, &updated, "offer declined")
                .await?;
        }
        tx.commit().await?;
        CaseProgress::of(&updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_follows_the_policys_interview_criterion() {
        use Admission::*;
        use InterviewOutcome::*;
        // No interview criterion: nothing required.
        assert!(check_admission(NoneRequired, None, None).is_ok());
        // Admitted in interview.
        assert!(check_admission(AdmittedInInterview, Some(Verdict::Met), Some(Admitted)).is_ok());
        assert!(check_admission(AdmittedInInterview, Some(Verdict::Met), Some(NoReply)).is_err());
        // No reply only where the policy accepted it.
        assert!(check_admission(NoReplyInInterview, Some(Verdict::Met), Some(NoReply)).is_ok());
        assert!(check_admission(NoReplyInInterview, Some(Verdict::NotMet), Some(NoReply)).is_err());
        // An admission now always satisfies the rule; no admission never does.
        assert!(check_admission(AdmittedOnConsent, Some(Verdict::NotMet), Some(Denied)).is_ok());
        assert!(check_admission(NoneRequired, Some(Verdict::Met), Some(Admitted)).is_err());
    }
}
