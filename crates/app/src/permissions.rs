//! Who may do what: one table, checked by every use case before it touches data, shared by web,
//! API and CLI. Scope rules (a navigator sees own and own team's cases) are applied on top of the
//! table by [`authorise_case`].

use crate::actor::{Actor, Role};
use crate::error::AppError;
use serde::Serialize;
use uuid::Uuid;

/// Everything a user can ask the application to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Custody desk
    CreateReferral,
    RecordScreeningDecision,
    AllocateTrialArm,
    MakeOffer,
    RecordConsent,
    // People and cases
    SearchPeople,
    ViewPerson,
    ViewCase,
    // Navigators
    AssessNeeds,
    WriteContract,
    ScheduleAppointment,
    RecordAttendance,
    ReferToProvider,
    RecordProviderResponse,
    UpdateConditionStatus,
    OpenNonComplianceReview,
    CompleteCase,
    RecordWithdrawal,
    ViewOwnCaseload,
    // Supervisors
    DecideNonComplianceReview,
    CountersignOverride,
    AssignNavigator,
    HandOverCaseload,
    ViewSupervisorQueue,
    // Analysts
    ViewReports,
    ExportPseudonymised,
    // Admins
    ManageUsers,
    ViewPolicies,
    ViewAuditLog,
    // Reoffending monitoring
    ImportArrests,
    ReviewLinkage,
}

impl Action {
    pub const ALL: [Action; 31] = [
        Action::CreateReferral,
        Action::RecordScreeningDecision,
        Action::AllocateTrialArm,
        Action::MakeOffer,
        Action::RecordConsent,
        Action::SearchPeople,
        Action::ViewPerson,
        Action::ViewCase,
        Action::AssessNeeds,
        Action::WriteContract,
        Action::ScheduleAppointment,
        Action::RecordAttendance,
        Action::ReferToProvider,
        Action::RecordProviderResponse,
        Action::UpdateConditionStatus,
        Action::OpenNonComplianceReview,
        Action::CompleteCase,
        Action::RecordWithdrawal,
        Action::ViewOwnCaseload,
        Action::DecideNonComplianceReview,
        Action::CountersignOverride,
        Action::AssignNavigator,
        Action::HandOverCaseload,
        Action::ViewSupervisorQueue,
        Action::ViewReports,
        Action::ExportPseudonymised,
        Action::ManageUsers,
        Action::ViewPolicies,
        Action::ViewAuditLog,
        Action::ImportArrests,
        Action::ReviewLinkage,
    ];
}

/// The permission table. Reading it top to bottom is the access policy.
pub fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        CreateReferral | RecordScreeningDecision | AllocateTrialArm | MakeOffer | RecordConsent => {
            matches!(role, CustodyOfficer | Supervisor)
        }
        SearchPeople | ViewPerson | ViewCase => {
            matches!(role, CustodyOfficer | Navigator | Supervisor)
        }
        AssessNeeds
        | WriteContract
        | ScheduleAppointment
        | RecordAttendance
        | ReferToProvider
        | RecordProviderResponse
        | UpdateConditionStatus
        | OpenNonComplianceReview
        | CompleteCase
        | RecordWithdrawal => matches!(role, Navigator | Supervisor),
        ViewOwnCaseload => matches!(role, Navigator),
        DecideNonComplianceReview
        | CountersignOverride
        | AssignNavigator
        | HandOverCaseload
        | ViewSupervisorQueue => matches!(role, Supervisor),
        ViewReports | ExportPseudonymised => matches!(role, Analyst | Supervisor),
        ManageUsers | ViewAuditLog => matches!(role, Admin),
        ViewPolicies => true,
        // An arrest feed is an operational job: admins may run it (they see only counts).
        ImportArrests => matches!(role, Supervisor | Admin),
        // The clerical queue shows anyone's arrest against any participant: supervisors only.
        ReviewLinkage => matches!(role, Supervisor),
    }
}

/// Fails with `Forbidden` unless the actor's role may take the action.
pub fn authorise(actor: &Actor, action: Action) -> Result<(), AppError> {
    if role_may(actor.role, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden { action })
    }
}

/// Who a case belongs to, for scope checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseScope<'a> {
    pub navigator_id: Option<Uuid>,
    pub team: Option<&'a str>,
}

/// The role check plus scope: navigators act only on their own cases and their team's.
/// A case outside the actor's scope answers `NotFound`, so its existence is not revealed.
pub fn authorise_case(actor: &Actor, action: Action, case: CaseScope<'_>) -> Result<(), AppError> {
    authorise(actor, action)?;
    if actor.role == Role::Navigator {
        let own = case.navigator_id == Some(actor.user_id);
        let same_team = actor.team.is_some() && case.team == actor.team.as_deref();
        if !own && !same_team {
            return Err(AppError::NotFound { what: "case" });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, team: Option<&str>) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            username: format!("{role}"),
            display_name: format!("{role}"),
            role,
            team: team.map(str::to_owned),
        }
    }

    #[test]
    fn analysts_and_admins_never_touch_case_data() {
        for role in [Role::Analyst, Role::Admin] {
            for action in [
                Action::ViewPerson,
                Action::ViewCase,
                Action::SearchPeople,
                Action::CreateReferral,
            ] {
                assert!(!role_may(role, action), "{role} may {action:?}");
            }
        }
    }

    #[test]
    fn only_supervisors_decide_reviews_and_hand_over_caseloads() {
        for role in Role::ALL {
            assert_eq!(
                role_may(role, Action::DecideNonComplianceReview),
                role == Role::Supervisor
            );
            assert_eq!(
                role_may(role, Action::HandOverCaseload),
                role == Role::Supervisor
            );
        }
    }

    #[test]
    fn every_action_is_allowed_to_someone() {
        for action in Action::ALL {
            assert!(
                Role::ALL.iter().any(|r| role_may(*r, action)),
                "{action:?} is allowed to nobody"
            );
        }
    }

    #[test]
    fn navigators_see_own_and_team_cases_only() {
        let me = actor(Role::Navigator, Some("north"));
        let own = CaseScope {
            navigator_id: Some(me.user_id),
            team: Some("south"),
        };
        let team = CaseScope {
            navigator_id: Some(Uuid::now_v7()),
            team: Some("north"),
        };
        let other = CaseScope {
            navigator_id: Some(Uuid::now_v7()),
            team: Some("south"),
        };
        assert!(authorise_case(&me, Action::ViewCase, own).is_ok());
        assert!(authorise_case(&me, Action::ViewCase, team).is_ok());
        assert!(matches!(
            authorise_case(&me, Action::ViewCase, other),
            Err(AppError::NotFound { .. })
        ));
        let supervisor = actor(Role::Supervisor, Some("north"));
        assert!(authorise_case(&supervisor, Action::ViewCase, other).is_ok());
    }
}
