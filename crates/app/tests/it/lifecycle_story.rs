//! Whole cases, from acceptance to their end: failure referred for prosecution, failure after
//! the time limit (Outcome 17), completion into follow-up, withdrawal, and a new arrest.

use crate::helpers::apps;
use crate::navigation_fixtures::*;
use checkpoint_app::AppError;
use checkpoint_app::appointments::{AbsenceReason, Attendance, NewAppointment};
use checkpoint_app::closure::Disposal;
use checkpoint_app::contracts::ContractDraft;
use checkpoint_app::provider_referrals::ProviderResponse;
use checkpoint_app::reviews::{
    ArrestNoted, ReviewDecision, ReviewResult, ReviewTrigger, SystemActor,
};
use checkpoint_app::worklists::Page;
use checkpoint_domain::contract::{ConditionStatus, Pathway};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::{audit, cases};
use jiff::civil::date;

#[tokio::test]
async fn a_missed_appointment_leads_to_a_failed_review_and_a_prosecution_referral() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = accepted_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;

        let needs = t
            .app
            .record_needs_assessment(nav, case.id, case.version, needs_items())
            .await
            .unwrap();
        assert_eq!(needs.state, CaseState::NeedsAssessed, "{b}");
        assert!(!needs.reassessment, "{b}");

        let drafted = t
            .app
            .write_contract(nav, case.id, needs.version, draft())
            .await
            .unwrap();
        assert_eq!(drafted.contract.contract_version, 1, "{b}");
        assert_eq!(drafted.contract.signed_on, None, "{b}");
        assert_eq!(drafted.contract.end, date(2026, 7, 4), "{b}: 4 months");
        assert!(!drafted.clamped, "{b}");
        assert_eq!(drafted.deadline.deadline, Some(date(2026, 8, 20)), "{b}");

        let signed = t
            .app
            .sign_contract(nav, case.id, drafted.version, signature(TODAY))
            .await
            .unwrap();
        assert_eq!(signed.state, CaseState::ContractSigned, "{b}");
        assert_eq!(signed.contract.signed_on, Some(TODAY), "{b}");
        let started = t
            .app
            .start_contract(nav, case.id, signed.version)
            .await
            .unwrap();
        assert_eq!(started.state, CaseState::Active, "{b}");

        let referral = t
            .app
            .refer_to_provider(
                nav,
                case.id,
                "Durham Recovery Service",
                Pathway::Alcohol,
                "alcohol need assessed high",
            )
            .await
            .unwrap();
        assert_eq!(referral.status, "pending", "{b}");
        let answered = t
            .app
            .record_provider_response(nav, referral.id, ProviderResponse::Accepted)
            .await
            .unwrap();
        assert_eq!(answered.status, "accepted", "{b}");

        let at = t.clock().now();
        let attended = t
            .app
            .schedule_appointment(
                nav,
                case.id,
                NewAppointment {
                    at,
                    purpose: "first session".into(),
                    location: None,
                },
            )
            .await
            .unwrap();
        let recorded = t
            .app
            .record_attendance(nav, attended.id, Attendance::Yes)
            .await
            .unwrap();
        assert!(recorded.review_opened.is_none(), "{b}");

        let missed = t
            .app
            .schedule_appointment(
                nav,
                case.id,
                NewAppointment {
                    at,
                    purpose: "second session".into(),
                    location: Some("Durham".into()),
                },
            )
            .await
            .unwrap();
        let absence = t
            .app
            .record_attendance(
                nav,
                missed.id,
                Attendance::No {
                    reason: AbsenceReason::Unacceptable,
                    note: "did not answer the phone".into(),
                },
            )
            .await
            .unwrap();
        let opened = absence
            .review_opened
            .expect("an unacceptable absence opens a review");
        assert_eq!(
            opened.trigger,
            ReviewTrigger::UnacceptableAbsence(missed.id),
            "{b}"
        );
        assert_eq!(
            reload(&t, case.id).await.state,
            "non_compliance_review",
            "{b}"
        );

        let queue = t.app.supervisor_queue(&t.supervisor).await.unwrap();
        assert_eq!(queue.reviews_awaiting_decision.len(), 1, "{b}");
        assert_eq!(
            queue.reviews_awaiting_decision[0].case.case_id, case.id,
            "{b}"
        );

        let decided = t
            .app
            .decide_review(
                &t.supervisor,
                case.id,
                absence.version,
                ReviewDecision::Fail {
                    reason: "no excuse offered".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(decided.state, CaseState::ProsecutionReferred, "{b}");
        assert!(
            matches!(
                decided.result,
                ReviewResult::Failed {
                    disposal: Disposal::ProsecutionReferred {
                        outcome_code: 1,
                        ..
                    }
                }
            ),
            "{b}: {:?}",
            decided.result
        );
        assert_eq!(decided.deadline.days_remaining, Some(169), "{b}");
        // Failures stay in the evaluation (intention to treat): followed up from the index date.
        let failed = reload(&t, case.id).await;
        let window = failed.follow_up_until.map(|d| d.get());
        assert!(
            window.is_some_and(|until| until > t.clock().today()),
            "{b}: a failed case has a follow-up window ({window:?})"
        );
        assert!(
            decided.deadline.words.contains("20 August 2026"),
            "{b}: {}",
            decided.deadline.words
        );

        let mut tx = t.app.db().begin_read().await.unwrap();
        let kinds: Vec<String> = cases::events(&mut tx, case.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        tx.rollback().await.unwrap();
        assert_eq!(
            &kinds[kinds.len() - 5..],
            [
                "start",
                "open_review",
                "fail",
                "refer_for_prosecution",
                "key_dates_changed"
            ],
            "{b}: the follow-up window opens after the referral"
        );
        assert!(audit::verify(t.app.db()).await.unwrap().is_intact(), "{b}");
    }
}

#[tokio::test]
async fn a_failure_after_the_time_limit_closes_as_outcome_17() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        // Deadline 20 May 2026: the contract is clamped to end on 6 May (14 days' margin).
        let case = accepted_case(&t, nav, Offence::summary(date(2025, 11, 20))).await;
        let needs = t
            .app
            .record_needs_assessment(nav, case.id, case.version, needs_items())
            .await
            .unwrap();
        let drafted = t
            .app
            .write_contract(
                nav,
                case.id,
                needs.version,
                ContractDraft {
                    start: TODAY,
                    conditions: vec![condition("no_reoffending")],
                },
            )
            .await
            .unwrap();
        assert!(drafted.clamped, "{b}");
        assert_eq!(drafted.contract.end, date(2026, 5, 6), "{b}");
        let signed = t
            .app
            .sign_contract(nav, case.id, drafted.version, signature(TODAY))
            .await
            .unwrap();
        let started = t
            .app
            .start_contract(nav, case.id, signed.version)
            .await
            .unwrap();

        set_today(&t, date(2026, 5, 25));
        let opened = t
            .app
            .open_review(
                nav,
                case.id,
                started.version,
                ReviewTrigger::Other("stopped engaging".into()),
            )
            .await
            .unwrap();
        assert!(opened.deadline.has_passed(), "{b}");
        let decided = t
            .app
            .decide_review(
                &t.supervisor,
                case.id,
                opened.version,
                ReviewDecision::Fail {
                    reason: "stopped engaging".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(decided.state, CaseState::TimeLimitExpired, "{b}");
        assert!(
            matches!(
                decided.result,
                ReviewResult::Failed {
                    disposal: Disposal::TimeLimitExpired {
                        outcome_code: 17,
                        ..
                    }
                }
            ),
            "{b}: {:?}",
            decided.result
        );
        assert_eq!(decided.deadline.days_remaining, Some(-5), "{b}");
        assert!(
            decided.deadline.words.contains("5 days ago"),
            "{b}: {}",
            decided.deadline.words
        );
    }
}

#[tokio::test]
async fn completion_waits_for_every_condition_then_opens_follow_up_with_dates() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        let refused = t
            .app
            .complete_case(nav, case.id, case.version)
            .await
            .unwrap_err();
        let AppError::Invalid(open) = refused else {
            panic!("{b}: {refused:?}")
        };
        assert_eq!(open.len(), 3, "{b}: {open:?}");
        assert_eq!(open[2].field, "conditions[2]", "{b}");
        assert!(open[2].message.contains("community_hours"), "{b}");

        let contract = t
            .app
            .contract_versions(nav, case.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        let mut version = case.version;
        for c in &contract.conditions {
            version = t
                .app
                .update_condition_status(nav, c.id, ConditionStatus::Completed, "")
                .await
                .unwrap()
                .version;
        }
        let done = t.app.complete_case(nav, case.id, version).await.unwrap();
        assert_eq!(done.state, CaseState::FollowUp, "{b}");
        assert_eq!(done.outcome_code, 22, "{b}");
        assert_eq!(
            done.follow_up_until,
            date(2028, 3, 4),
            "{b}: 24 months after the index date, the contract's start on 4 March 2026"
        );
        assert_eq!(
            done.retention_review_on,
            date(2032, 3, 4),
            "{b}: 72 months after today"
        );
        let row = reload(&t, case.id).await;
        assert_eq!(
            row.follow_up_until.map(|d| d.get()),
            Some(date(2028, 3, 4)),
            "{b}"
        );
        assert_eq!(
            row.retention_review_on.map(|d| d.get()),
            Some(date(2032, 3, 4)),
            "{b}"
        );
        assert_eq!(row.version, done.version, "{b}");
    }
}

#[tokio::test]
async fn withdrawal_is_referred_for_prosecution_and_either_way_offences_have_no_deadline() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        let blank = t
            .app
            .withdraw(nav, case.id, case.version, "  ")
            .await
            .unwrap_err();
        assert!(
            matches!(&blank, AppError::Invalid(f) if f[0].field == "reason"),
            "{b}: {blank:?}"
        );
        let gone = t
            .app
            .withdraw(nav, case.id, case.version, "moved away")
            .await
            .unwrap();
        assert_eq!(gone.state, CaseState::ProsecutionReferred, "{b}");
        assert!(
            matches!(
                gone.disposal,
                Disposal::ProsecutionReferred {
                    outcome_code: 1,
                    ..
                }
            ),
            "{b}"
        );

        let either_way = Offence {
            date: date(2025, 1, 10),
            mode: checkpoint_domain::offence::ModeOfTrial::EitherWay,
        };
        let case = accepted_case(&t, nav, either_way).await;
        set_today(&t, date(2026, 9, 1));
        let gone = t
            .app
            .withdraw(nav, case.id, case.version, "changed their mind")
            .await
            .unwrap();
        assert_eq!(gone.state, CaseState::ProsecutionReferred, "{b}");
        assert_eq!(gone.deadline.deadline, None, "{b}");
        assert!(
            gone.deadline.words.contains("No prosecution time limit"),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_new_arrest_opens_a_review_as_the_system() {
    for t in apps().await {
        let b = t.backend;
        let case = active_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        let feed = SystemActor::new("arrest-feed");
        let noted = t
            .app
            .open_review_for_arrest(&feed, case.id, "ARR/26/0042", TODAY)
            .await
            .unwrap();
        let ArrestNoted::ReviewOpened(opened) = noted else {
            panic!("{b}: {noted:?}")
        };
        assert!(
            matches!(opened.trigger, ReviewTrigger::NewArrest { .. }),
            "{b}"
        );
        let again = t
            .app
            .open_review_for_arrest(&feed, case.id, "ARR/26/0043", TODAY)
            .await
            .unwrap();
        assert!(
            matches!(again, ArrestNoted::AddedToOpenReview { .. }),
            "{b}: {again:?}"
        );
        let mut tx = t.app.db().begin_read().await.unwrap();
        let events = cases::events(&mut tx, case.id).await.unwrap();
        tx.rollback().await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            (last.kind.as_str(), last.actor_id),
            ("arrest_noted", None),
            "{b}"
        );

        let resumed = t
            .app
            .decide_review(
                &t.supervisor,
                case.id,
                reload(&t, case.id).await.version,
                ReviewDecision::Resume {
                    reasonable_excuse: true,
                    reason: "arrest led to no further action".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(resumed.state, CaseState::Active, "{b}");
        let caseload = t
            .app
            .navigator_caseload(&t.navigator, Page::default())
            .await
            .unwrap();
        assert_eq!(caseload.total, 1, "{b}");
    }
}
