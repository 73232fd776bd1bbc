//! The case page's view model: everything one case shows, in one read, plus what THIS actor
//! may do to it now. Built for the web page and the API alike; reading it is a consultation
//! and is audited.

use crate::error::AppError;
use crate::permissions::{Action, role_may};
use crate::screening::{DecisionView, UserNames, current_screening, decision_view};
use crate::{Actor, App};
use checkpoint_domain::deadline::days_between;
use checkpoint_domain::lifecycle::{CaseState, TransitionKind};
use checkpoint_store::cases::{self, CaseRow};
use checkpoint_store::{
    appointments, contracts, decisions, needs, people, provider_referrals, screening, trials,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use uuid::Uuid;

/// Where a case stands after a step: what a client needs to carry on (the new version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseProgress {
    pub case_id: Uuid,
    pub reference: String,
    /// The version to send with the next change.
    pub version: i64,
    pub state: CaseState,
    pub state_label: &'static str,
}

impl CaseProgress {
    pub fn of(case: &CaseRow) -> Result<CaseProgress, AppError> {
        let state = case.state()?;
        Ok(CaseProgress {
            case_id: case.id,
            reference: case.reference.clone(),
            version: case.version,
            state,
            state_label: state.label(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    pub user_id: Uuid,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseHeader {
    pub case_id: Uuid,
    pub reference: String,
    pub version: i64,
    pub scheme_id: String,
    pub person_id: Uuid,
    pub person_name: String,
    pub state: CaseState,
    pub state_label: &'static str,
    pub navigator: Option<UserRef>,
    pub team: Option<String>,
    pub opened_at: Timestamp,
    pub offence_date: Option<Date>,
    pub contract_end: Option<Date>,
    /// Days from today to the contract's end (negative when past).
    pub days_left_on_contract: Option<i32>,
    pub prosecution_deadline: Option<Date>,
    /// Days from today to the prosecution deadline (negative when past).
    pub days_to_deadline: Option<i32>,
}

/// One event on the case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub sequence: i64,
    pub occurred_at: Timestamp,
    /// `None` when the system acted.
    pub actor_name: Option<String>,
    /// The transition or other event (`opened`, `screen`, `rescreened`, `assigned`, …).
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    pub policy_version: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionView {
    pub position: i64,
    pub condition_type: String,
    pub description: String,
    pub pathway: Option<String>,
    pub hours: Option<i64>,
    pub due_date: Option<Date>,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractView {
    pub contract_id: Uuid,
    pub version: i64,
    pub start_date: Date,
    pub end_date: Date,
    pub signed_on: Option<Date>,
    pub variation_reason: Option<String>,
    pub conditions: Vec<ConditionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentView {
    pub appointment_id: Uuid,
    pub planned_at: Timestamp,
    pub purpose: String,
    pub location: Option<String>,
    pub attendance: Option<String>,
    pub missed_reason: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderReferralView {
    pub provider_referral_id: Uuid,
    pub provider: String,
    pub pathway: String,
    pub referred_at: Timestamp,
    pub status: String,
    pub responded_at: Option<Timestamp>,
    pub response_notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedView {
    pub pathway: String,
    pub severity: String,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedsView {
    pub assessment_id: Uuid,
    pub assessed_at: Timestamp,
    pub assessed_by_name: Option<String>,
    pub notes: Option<String>,
    pub needs: Vec<NeedView>,
}

/// The arm a case was randomised to. The block and position are deliberately left out: with
/// the arms already seen they would reveal the rest of the block (allocation concealment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationView {
    pub trial_id: String,
    pub arm: String,
    pub allocated_at: Timestamp,
    pub allocated_by_name: Option<String>,
}

/// Something this actor may do to this case now: a use case (`name`), the permission it
/// needs, and the lifecycle transition it makes, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AllowedAction {
    pub name: &'static str,
    pub action: Action,
    pub transition: Option<TransitionKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    pub header: CaseHeader,
    /// The current advice and the decision over it.
    pub decision: Option<DecisionView>,
    pub timeline: Vec<TimelineEntry>,
    pub contract: Option<ContractView>,
    pub appointments: Vec<AppointmentView>,
    pub provider_referrals: Vec<ProviderReferralView>,
    pub needs_assessment: Option<NeedsView>,
    pub trial_allocation: Option<AllocationView>,
    pub allowed_actions: Vec<AllowedAction>,
}

/// What the case's circumstances add to its state when deciding what may be done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The case was screened under a policy that runs a trial (allocate before offering).
    pub in_trial: bool,
    /// An override on the case awaits countersignature.
    pub override_awaiting_countersignature: bool,
}

/// The use case behind each lifecycle transition; `None` for the ones scheduled jobs make.
fn transition_use_case(kind: TransitionKind) -> Option<(&'static str, Action)> {
    use TransitionKind as T;
    Some(match kind {
        T::Screen => ("record_screening_decision", Action::RecordScreeningDecision),
        T::Allocate => ("allocate", Action::AllocateTrialArm),
        T::Offer => ("make_offer", Action::MakeOffer),
        // Both answers go through `record_consent`.
        T::Accept => ("accept_offer", Action::RecordConsent),
        T::Decline => ("decline_offer", Action::RecordConsent),
        T::AssessNeeds => ("assess_needs", Action::AssessNeeds),
        T::SignContract => ("sign_contract", Action::WriteContract),
        T::Start => ("start_contract", Action::WriteContract),
        T::VaryContract => ("vary_contract", Action::WriteContract),
        T::OpenReview => (
            "open_non_compliance_review",
            Action::OpenNonComplianceReview,
        ),
        T::Resume | T::Fail => (
            "decide_non_compliance_review",
            Action::DecideNonComplianceReview,
        ),
        T::Withdraw => ("record_withdrawal", Action::RecordWithdrawal),
        T::Complete => ("complete_case", Action::CompleteCase),
        T::ReferForProsecution | T::ExpireTimeLimit => {
            ("refer_for_prosecution", Action::DecideNonComplianceReview)
        }
        T::BeginFollowUp | T::BeginRetentionReview | T::Dispose => return None,
    })
}

/// What `actor` may do to a case in `state` (already in the actor's scope): the state's
/// transitions and the case's other use cases, each kept only if the role may take it.
pub fn allowed_actions(actor: &Actor, state: CaseState, facts: CaseFacts) -> Vec<AllowedAction> {
    let mut out: Vec<AllowedAction> = Vec::new();
    let mut add = |name: &'static str, action: Action, transition: Option<TransitionKind>| {
        let entry = AllowedAction {
            name,
            action,
            transition,
        };
        if role_may(actor.role, action) && !out.contains(&entry) {
            out.push(entry);
        }
    };
    for &kind in state.allowed() {
        // In a trial an eligible case is randomised first; outside one it is never allocated.
        let skip = state == CaseState::Eligible
            && match kind {
                TransitionKind::Offer => facts.in_trial,
                TransitionKind::Allocate => !facts.in_trial,
                _ => false,
            };
        if skip {
            continue;
        }
        if let Some((name, action)) = transition_use_case(kind) {
            add(name, action, Some(kind));
        }
    }
    if matches!(state, CaseState::Referred | CaseState::NeedsInformation) {
        add("rescreen", Action::RecordScreeningDecision, None);
    }
    if state.is_on_programme() {
        add("schedule_appointment", Action::ScheduleAppointment, None);
        add("record_attendance", Action::RecordAttendance, None);
        add("refer_to_provider", Action::ReferToProvider, None);
        add(
            "record_provider_response",
            Action::RecordProviderResponse,
            None,
        );
    }
    if matches!(
        state,
        CaseState::ContractSigned | CaseState::Active | CaseState::NonComplianceReview
    ) {
        add(
            "update_condition_status",
            Action::UpdateConditionStatus,
            None,
        );
    }
    if !state.is_closed() && state != CaseState::Referred {
        add("assign_navigator", Action::AssignNavigator, None);
    }
    if facts.override_awaiting_countersignature {
        add("countersign_override", Action::CountersignOverride, None);
    }
    out
}

impl App {
    /// The case with this reference (`CP-2026-000123`, any case), if the actor may see it;
    /// otherwise `NotFound`, the same answer as for a reference that does not exist. Audited
    /// as a consultation.
    pub async fn case_by_reference(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<Uuid, AppError> {
        crate::permissions::authorise(actor, Action::ViewCase)?;
        let reference = reference.trim().to_uppercase();
        if reference.is_empty() {
            return Err(AppError::invalid("reference", "enter a case reference"));
        }
        let mut tx = self.begin_read().await?;
        let case = cases::by_reference(&mut tx, &reference).await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ViewCase, case.id)
            .await?;
        tx.commit().await?;
        self.record_consultation(actor, "case", case.id, "found by its reference")
            .await?;
        Ok(case.id)
    }

    /// Everything the case page shows, and what this actor may do now. Navigators outside the
    /// case's scope get `NotFound`. Audited as a consultation.
    pub async fn view_case(&self, actor: &Actor, case_id: Uuid) -> Result<CaseView, AppError> {
        let mut tx = self.begin_read().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ViewCase, case_id)
            .await?;
        let state = case.state()?;
        let today = self.clock().today();
        let mut names = UserNames::default();

        let person = people::get(&mut tx, case.person_id).await?;
        let navigator = match case.navigator_id {
            Some(id) => Some(UserRef {
                user_id: id,
                display_name: names.name(&mut tx, id).await?,
            }),
            None => None,
        };
        let contract_end = case.contract_end.map(|d| d.get());
        let deadline = case.prosecution_deadline.map(|d| d.get());
        let header = CaseHeader {
            case_id: case.id,
            reference: case.reference.clone(),
            version: case.version,
            scheme_id: case.scheme_id.clone(),
            person_id: person.id,
            person_name: format!("{} {}", person.given_name, person.family_name),
            state,
            state_label: state.label(),
            navigator,
            team: case.team.clone(),
            opened_at: case.opened_at.get(),
            offence_date: case.offence_date.map(|d| d.get()),
            contract_end,
            days_left_on_contract: contract_end.map(|d| days_between(today, d)),
            prosecution_deadline: deadline,
            days_to_deadline: deadline.map(|d| days_between(today, d)),
        };

        let current = current_screening(&mut tx, case.id).await?;
        let decision = match &current {
            Some(current) => Some(decision_view(&mut tx, &mut names, current).await?),
            None => None,
        };
        let in_trial = current
            .as_ref()
            .is_some_and(|c| self.runs_trial(&c.evaluation));
        let mut override_awaiting = false;
        for row in decisions::for_case(&mut tx, case.id).await? {
            if !row.follows_advice
                && screening::countersignature(&mut tx, row.id)
                    .await?
                    .is_none()
            {
                override_awaiting = true;
            }
        }

        let mut timeline = Vec::new();
        for event in cases::events(&mut tx, case.id).await? {
            let actor_name = match event.actor_id {
                Some(id) => Some(names.name(&mut tx, id).await?),
                None => None,
            };
            timeline.push(TimelineEntry {
                sequence: event.sequence,
                occurred_at: event.occurred_at.get(),
                actor_name,
                kind: event.kind,
                from_state: event.from_state,
                to_state: event.to_state,
                reason: event.reason,
                policy_version: event.policy_version,
                details: serde_json::from_str(&event.payload_json)
                    .unwrap_or(serde_json::Value::Null),
            });
        }

        let contract = match contracts::current(&mut tx, case.id).await? {
            Some(row) => {
                let conditions = contracts::conditions(&mut tx, row.id).await?;
                Some(ContractView {
                    contract_id: row.id,
                    version: row.version,
                    start_date: row.start_date.get(),
                    end_date: row.end_date.get(),
                    signed_on: row.signed_on.map(|d| d.get()),
                    variation_reason: row.variation_reason,
                    conditions: conditions
                        .into_iter()
                        .map(|c| ConditionView {
                            position: c.position,
                            condition_type: c.condition_type,
                            description: c.description,
                            pathway: c.pathway,
                            hours: c.hours,
                            due_date: c.due_date.map(|d| d.get()),
                            status: c.status,
                        })
                        .collect(),
                })
            }
            None => None,
        };

        let appointments = appointments::for_case(&mut tx, case.id)
            .await?
            .into_iter()
            .map(|a| AppointmentView {
                appointment_id: a.id,
                planned_at: a.planned_at.get(),
                purpose: a.purpose,
                location: a.location,
                attendance: a.attendance,
                missed_reason: a.missed_reason,
                notes: a.notes,
            })
            .collect();
        let provider_referrals = provider_referrals::for_case(&mut tx, case.id)
            .await?
            .into_iter()
            .map(|p| ProviderReferralView {
                provider_referral_id: p.id,
                provider: p.provider,
                pathway: p.pathway,
                referred_at: p.referred_at.get(),
                status: p.status,
                responded_at: p.responded_at.map(|t| t.get()),
                response_notes: p.response_notes,
            })
            .collect();

        let needs_assessment = match needs::for_case(&mut tx, case.id).await?.pop() {
            Some(row) => {
                let items = needs::items(&mut tx, row.id).await?;
                let assessed_by_name = match row.assessed_by {
                    Some(id) => Some(names.name(&mut tx, id).await?),
                    None => None,
                };
                Some(NeedsView {
                    assessment_id: row.id,
                    assessed_at: row.assessed_at.get(),
                    assessed_by_name,
                    notes: row.notes,
                    needs: items
                        .into_iter()
                        .map(|i| NeedView {
                            pathway: i.pathway,
                            severity: i.severity,
                            notes: i.notes,
                        })
                        .collect(),
                })
            }
            None => None,
        };

        let trial_allocation = match trials::for_case(&mut tx, case.id).await? {
            Some(row) => {
                let allocated_by_name = match row.allocated_by {
                    Some(id) => Some(names.name(&mut tx, id).await?),
                    None => None,
                };
                Some(AllocationView {
                    trial_id: row.trial_id,
                    arm: row.arm,
                    allocated_at: row.allocated_at.get(),
                    allocated_by_name,
                })
            }
            None => None,
        };

        let facts = CaseFacts {
            in_trial,
            override_awaiting_countersignature: override_awaiting,
        };
        let allowed_actions = allowed_actions(actor, state, facts);
        tx.commit().await?;
        self.record_consultation(actor, "case", case.id, "case page")
            .await?;
        Ok(CaseView {
            header,
            decision,
            timeline,
            contract,
            appointments,
            provider_referrals,
            needs_assessment,
            trial_allocation,
            allowed_actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            username: role.as_str().to_owned(),
            display_name: role.label().to_owned(),
            role,
            team: Some("north".to_owned()),
        }
    }

    fn names(actions: &[AllowedAction]) -> Vec<&'static str> {
        actions.iter().map(|a| a.name).collect()
    }

    #[test]
    fn custody_officers_screen_and_offer_navigators_do_not() {
        let custody = actor(Role::CustodyOfficer);
        let navigator = actor(Role::Navigator);
        let none = CaseFacts::default();
        assert_eq!(
            names(&allowed_actions(&custody, CaseState::Referred, none)),
            ["record_screening_decision", "rescreen"]
        );
        assert!(allowed_actions(&navigator, CaseState::Referred, none).is_empty());
        assert_eq!(
            names(&allowed_actions(&custody, CaseState::Eligible, none)),
            ["make_offer"]
        );
        assert_eq!(
            names(&allowed_actions(&custody, CaseState::Offered, none)),
            ["accept_offer", "decline_offer"]
        );
    }

    #[test]
    fn in_a_trial_eligible_cases_are_allocated_not_offered() {
        let custody = actor(Role::CustodyOfficer);
        let trial = CaseFacts {
            in_trial: true,
            ..CaseFacts::default()
        };
        assert_eq!(
            names(&allowed_actions(&custody, CaseState::Eligible, trial)),
            ["allocate"]
        );
        assert_eq!(
            names(&allowed_actions(&custody, CaseState::Treatment, trial)),
            ["make_offer"]
        );
    }

    #[test]
    fn analysts_and_admins_may_do_nothing_to_a_case() {
        for role in [Role::Analyst, Role::Admin] {
            for state in CaseState::ALL {
                let facts = CaseFacts {
                    in_trial: true,
                    override_awaiting_countersignature: true,
                };
                assert!(allowed_actions(&actor(role), state, facts).is_empty());
            }
        }
    }

    #[test]
    fn every_allowed_transition_is_one_the_state_accepts() {
        for role in Role::ALL {
            for state in CaseState::ALL {
                for a in allowed_actions(&actor(role), state, CaseFacts::default()) {
                    if let Some(t) = a.transition {
                        assert!(state.allowed().contains(&t), "{state} {t}");
                    }
                    assert!(role_may(role, a.action));
                }
            }
        }
    }
}
