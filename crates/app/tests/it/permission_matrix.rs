//! Every role against every navigator and supervisor use case: allowed, forbidden (the role may
//! not), or not found (a navigator outside the case's team). Each cell runs on a fresh case in
//! the state the use case needs, so an allowed cell must succeed outright.
//!
//! The custody-side use cases (referral, screening, trial, offer, people, case view) join this
//! table when they land.

use crate::helpers::{TestApp, apps};
use crate::navigation_fixtures::*;
use checkpoint_app::appointments::{Attendance, Contact, ContactMethod, NewAppointment};
use checkpoint_app::assignment::{Assignment, HandOver};
use checkpoint_app::contracts::ContractVariation;
use checkpoint_app::provider_referrals::ProviderResponse;
use checkpoint_app::reviews::{ReviewDecision, ReviewTrigger};
use checkpoint_app::worklists::Page;
use checkpoint_app::{Actor, App, AppError, Settings};
use checkpoint_domain::contract::{ConditionStatus, Pathway};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Forbidden,
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UseCase {
    RecordNeedsAssessment,
    WriteContract,
    SignContract,
    StartContract,
    VaryContract,
    ContractVersions,
    UpdateConditionStatus,
    ScheduleAppointment,
    RecordAttendance,
    Appointments,
    RecordContact,
    ReferToProvider,
    RecordProviderResponse,
    ProviderReferrals,
    OpenReview,
    DecideReview,
    CompleteCase,
    Withdraw,
    AssignNavigator,
    HandOverCaseload,
    NavigatorCaseload,
    SupervisorQueue,
}

const USE_CASES: [UseCase; 22] = {
    use UseCase::*;
    [
        RecordNeedsAssessment,
        WriteContract,
        SignContract,
        StartContract,
        VaryContract,
        ContractVersions,
        UpdateConditionStatus,
        ScheduleAppointment,
        RecordAttendance,
        Appointments,
        RecordContact,
        ReferToProvider,
        RecordProviderResponse,
        ProviderReferrals,
        OpenReview,
        DecideReview,
        CompleteCase,
        Withdraw,
        AssignNavigator,
        HandOverCaseload,
        NavigatorCaseload,
        SupervisorQueue,
    ]
};

/// The seeded actors, in `TestApp::everyone` order. Every case belongs to `navigator` (north).
const WHO: [&str; 7] = [
    "custody",
    "navigator",
    "navigator_2 (same team)",
    "navigator_south (other team)",
    "supervisor",
    "analyst",
    "admin",
];

/// The expected answer, row by row: custody, navigator, navigator_2, navigator_south,
/// supervisor, analyst, admin.
fn expected(use_case: UseCase) -> [Expect; 7] {
    use Expect::{Allowed as A, Forbidden as F, NotFound as N};
    use UseCase::*;
    match use_case {
        ContractVersions | Appointments | ProviderReferrals => [A, A, A, N, A, F, F],
        DecideReview | AssignNavigator | HandOverCaseload | SupervisorQueue => {
            [F, F, F, F, A, F, F]
        }
        NavigatorCaseload => [F, A, A, A, F, F, F],
        _ => [F, A, A, N, A, F, F],
    }
}

/// Prepares a fresh case as `navigator` and runs the use case as `actor`.
async fn run(t: &TestApp, app: &App, use_case: UseCase, actor: &Actor) -> Result<(), AppError> {
    use UseCase::*;
    let nav = &t.navigator;
    let recent = Offence::summary(RECENT_OFFENCE);
    match use_case {
        RecordNeedsAssessment => {
            let case = accepted_case(t, nav, recent).await;
            app.record_needs_assessment(actor, case.id, case.version, needs_items())
                .await
                .map(drop)
        }
        WriteContract => {
            let case = assessed_case(t, nav, recent).await;
            app.write_contract(actor, case.id, case.version, draft())
                .await
                .map(drop)
        }
        SignContract => {
            let case = drafted_case(t, nav, recent).await;
            app.sign_contract(actor, case.id, case.version, signature(TODAY))
                .await
                .map(drop)
        }
        StartContract => {
            let case = drafted_case(t, nav, recent).await;
            let signed = app
                .sign_contract(nav, case.id, case.version, signature(TODAY))
                .await?;
            app.start_contract(actor, case.id, signed.version)
                .await
                .map(drop)
        }
        VaryContract => {
            let case = active_case(t, nav, recent).await;
            let variation = ContractVariation {
                reason: "new provider".into(),
                conditions: draft().conditions,
                signature: signature(TODAY),
            };
            app.vary_contract(actor, case.id, case.version, variation)
                .await
                .map(drop)
        }
        ContractVersions => {
            let case = active_case(t, nav, recent).await;
            app.contract_versions(actor, case.id).await.map(drop)
        }
        UpdateConditionStatus => {
            let case = active_case(t, nav, recent).await;
            let contract = app.contract_versions(nav, case.id).await?.pop().unwrap();
            let id = contract.conditions[0].id;
            app.update_condition_status(actor, id, ConditionStatus::InProgress, "")
                .await
                .map(drop)
        }
        ScheduleAppointment => {
            let case = active_case(t, nav, recent).await;
            app.schedule_appointment(actor, case.id, appointment(t))
                .await
                .map(drop)
        }
        RecordAttendance => {
            let case = active_case(t, nav, recent).await;
            let booked = app
                .schedule_appointment(nav, case.id, appointment(t))
                .await?;
            app.record_attendance(actor, booked.id, Attendance::Late)
                .await
                .map(drop)
        }
        Appointments => {
            let case = active_case(t, nav, recent).await;
            app.appointments(actor, case.id).await.map(drop)
        }
        RecordContact => {
            let case = active_case(t, nav, recent).await;
            let contact = Contact {
                on: TODAY,
                method: ContactMethod::InPerson,
                note: "met at the office".into(),
            };
            app.record_contact(actor, case.id, case.version, contact)
                .await
                .map(drop)
        }
        ReferToProvider => {
            let case = active_case(t, nav, recent).await;
            app.refer_to_provider(
                actor,
                case.id,
                "Housing First",
                Pathway::Housing,
                "housing need",
            )
            .await
            .map(drop)
        }
        RecordProviderResponse => {
            let case = active_case(t, nav, recent).await;
            let referral = app
                .refer_to_provider(
                    nav,
                    case.id,
                    "Housing First",
                    Pathway::Housing,
                    "housing need",
                )
                .await?;
            let response = ProviderResponse::Rejected {
                reason: "no places".into(),
            };
            app.record_provider_response(actor, referral.id, response)
                .await
                .map(drop)
        }
        ProviderReferrals => {
            let case = active_case(t, nav, recent).await;
            app.provider_referrals(actor, case.id).await.map(drop)
        }
        OpenReview => {
            let case = active_case(t, nav, recent).await;
            let trigger = ReviewTrigger::Other("concern".into());
            app.open_review(actor, case.id, case.version, trigger)
                .await
                .map(drop)
        }
        DecideReview => {
            let case = active_case(t, nav, recent).await;
            let trigger = ReviewTrigger::Other("concern".into());
            let opened = app.open_review(nav, case.id, case.version, trigger).await?;
            let decision = ReviewDecision::Resume {
                reasonable_excuse: true,
                reason: "explained".into(),
            };
            app.decide_review(actor, case.id, opened.version, decision)
                .await
                .map(drop)
        }
        CompleteCase => {
            let case = active_case(t, nav, recent).await;
            let contract = app.contract_versions(nav, case.id).await?.pop().unwrap();
            let mut version = case.version;
            for c in &contract.conditions {
                version = app
                    .update_condition_status(nav, c.id, ConditionStatus::Completed, "")
                    .await?
                    .version;
            }
            app.complete_case(actor, case.id, version).await.map(drop)
        }
        Withdraw => {
            let case = active_case(t, nav, recent).await;
            app.withdraw(actor, case.id, case.version, "moving away")
                .await
                .map(drop)
        }
        AssignNavigator => {
            let case = accepted_case(t, nav, recent).await;
            let to = Assignment::To(t.navigator_2.user_id);
            app.assign_navigator(actor, case.id, case.version, to, None)
                .await
                .map(drop)
        }
        HandOverCaseload => {
            accepted_case(t, nav, recent).await;
            let to = HandOver::To(t.navigator_2.user_id);
            app.hand_over_caseload(actor, nav.user_id, to, None)
                .await
                .map(drop)
        }
        NavigatorCaseload => app
            .navigator_caseload(actor, Page::default())
            .await
            .map(drop),
        SupervisorQueue => app.supervisor_queue(actor).await.map(drop),
    }
}

fn appointment(t: &TestApp) -> NewAppointment {
    NewAppointment {
        at: t.clock().now(),
        purpose: "session".into(),
        location: None,
    }
}

fn outcome(result: &Result<(), AppError>) -> Option<Expect> {
    match result {
        Ok(()) => Some(Expect::Allowed),
        Err(AppError::Forbidden { .. }) => Some(Expect::Forbidden),
        Err(AppError::NotFound { .. }) => Some(Expect::NotFound),
        Err(_) => None,
    }
}

#[tokio::test]
async fn every_role_against_every_navigator_and_supervisor_use_case() {
    for t in apps().await {
        let b = t.backend;
        // Room for every case the table creates, so limits never mask a permission answer.
        let app = with_settings(
            &t,
            Settings {
                caseload_limit: 10_000,
                ..Settings::default()
            },
        );
        let mut cells = 0;
        let mut wrong = Vec::new();
        for use_case in USE_CASES {
            for ((actor, who), want) in t.everyone().into_iter().zip(WHO).zip(expected(use_case)) {
                let result = run(&t, &app, use_case, actor).await;
                cells += 1;
                if outcome(&result) != Some(want) {
                    wrong.push(format!(
                        "{use_case:?} as {who}: expected {want:?}, got {result:?}"
                    ));
                }
            }
        }
        println!(
            "{b}: permission matrix of {cells} cells ({} use cases × {} actors)",
            USE_CASES.len(),
            WHO.len()
        );
        assert_eq!(cells, 154, "{b}");
        assert!(wrong.is_empty(), "{b}:\n{}", wrong.join("\n"));
    }
}
