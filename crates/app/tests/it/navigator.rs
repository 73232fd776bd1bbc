//! A navigator's use cases: needs, contract rules with named fields, stale versions,
//! attendance rules, and the caseload's order.

use crate::helpers::apps;
use crate::navigation_fixtures::*;
use checkpoint_app::appointments::{
    AbsenceReason, Attendance, Contact, ContactMethod, NewAppointment,
};
use checkpoint_app::contracts::{ContractDraft, ContractVariation};
use checkpoint_app::needs::{NeedsItem, Severity};
use checkpoint_app::worklists::{Page, Urgency};
use checkpoint_app::{AppError, FieldError};
use checkpoint_domain::contract::{ConditionStatus, Pathway, ProposedCondition};
use jiff::ToSpan;
use jiff::civil::date;

fn fields(error: &AppError) -> Vec<String> {
    match error {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e: &FieldError| e.field.clone())
            .collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn needs_assessment_moves_the_case_once_and_rejects_duplicate_pathways() {
    for t in apps().await {
        let b = t.backend;
        let case = accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        let twice = vec![
            NeedsItem {
                pathway: Pathway::Drugs,
                severity: Severity::Low,
                notes: None,
            },
            NeedsItem {
                pathway: Pathway::Drugs,
                severity: Severity::High,
                notes: None,
            },
        ];
        let error = t
            .app
            .record_needs_assessment(&t.navigator, case.id, case.version, twice)
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["items[1].pathway"], "{b}");
        let first = t
            .app
            .record_needs_assessment(&t.navigator, case.id, case.version, needs_items())
            .await
            .unwrap();
        // A teammate reassesses.
        let second = t
            .app
            .record_needs_assessment(&t.navigator_2, case.id, first.version, needs_items())
            .await
            .unwrap();
        assert!(second.reassessment, "{b}");
        assert_eq!(second.state, first.state, "{b}");
        assert_eq!(second.version, first.version + 1, "{b}");
    }
}

#[tokio::test]
async fn a_stale_version_is_a_conflict() {
    for t in apps().await {
        let b = t.backend;
        let case = accepted_case(&t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
        t.app
            .record_needs_assessment(&t.navigator, case.id, case.version, needs_items())
            .await
            .unwrap();
        let stale = t
            .app
            .write_contract(&t.navigator, case.id, case.version, draft())
            .await
            .unwrap_err();
        assert!(
            matches!(stale, AppError::Conflict { current_version } if current_version == case.version + 1),
            "{b}: {stale:?}"
        );
    }
}

#[tokio::test]
async fn contracts_over_the_cap_missing_the_mandatory_condition_or_past_the_deadline_are_refused() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = assessed_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;

        let mut too_many = draft();
        for id in [
            "restorative_justice",
            "drug_intervention",
            "housing_support",
        ] {
            too_many.conditions.push(condition(id));
        }
        let error = t
            .app
            .write_contract(nav, case.id, case.version, too_many)
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["conditions"], "{b}: {error}");
        assert!(error.to_string().contains("at most 5"), "{b}: {error}");

        let missing = ContractDraft {
            start: TODAY,
            conditions: vec![
                condition("alcohol_intervention"),
                ProposedCondition {
                    hours: Some(40),
                    ..condition("community_hours")
                },
                condition("gps_tag"),
            ],
        };
        let error = t
            .app
            .write_contract(nav, case.id, case.version, missing)
            .await
            .unwrap_err();
        let mut named = fields(&error);
        named.sort();
        assert_eq!(
            named,
            [
                "conditions",
                "conditions[1].hours",
                "conditions[2].condition"
            ],
            "{b}: {error}"
        );

        let mut late_due = draft();
        late_due.conditions[1].due = Some(date(2026, 12, 1));
        let error = t
            .app
            .write_contract(nav, case.id, case.version, late_due)
            .await
            .unwrap_err();
        assert_eq!(fields(&error), ["conditions[1].due"], "{b}");

        // Offence on 1 October 2025: the deadline (1 April 2026) leaves under the 28-day minimum.
        let late = assessed_case(&t, nav, Offence::summary(date(2025, 10, 1))).await;
        let error = t
            .app
            .write_contract(nav, late.id, late.version, draft())
            .await
            .unwrap_err();
        // The alcohol course's due date falls after the clamped end too; the deadline comes first.
        assert_eq!(fields(&error)[0], "start", "{b}");
        assert!(error.to_string().contains("1 April 2026"), "{b}: {error}");
    }
}

#[tokio::test]
async fn a_variation_is_a_new_signed_version_that_keeps_progress() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        let v1 = t
            .app
            .contract_versions(nav, case.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        let progress = t
            .app
            .update_condition_status(nav, v1.conditions[1].id, ConditionStatus::InProgress, "")
            .await
            .unwrap();
        assert!(progress.review_opened.is_none(), "{b}");
        let mut conditions = draft().conditions;
        conditions[2] = condition("gps_tag");
        let varied = t
            .app
            .vary_contract(
                nav,
                case.id,
                progress.version,
                ContractVariation {
                    reason: "work placement ended".into(),
                    conditions,
                    signature: signature(TODAY),
                },
            )
            .await
            .unwrap();
        assert_eq!(varied.contract.contract_version, 2, "{b}");
        assert_eq!(
            varied.contract.conditions[1].status,
            ConditionStatus::InProgress,
            "{b}"
        );
        assert_eq!(
            varied.contract.conditions[2].condition_type, "gps_tag",
            "{b}"
        );
        let versions = t.app.contract_versions(nav, case.id).await.unwrap();
        assert_eq!(versions.len(), 2, "{b}");
        assert_eq!(
            versions[1].variation_reason.as_deref(),
            Some("work placement ended"),
            "{b}"
        );
        // Conditions of the superseded version can no longer change.
        let old = t
            .app
            .update_condition_status(nav, v1.conditions[0].id, ConditionStatus::Completed, "")
            .await
            .unwrap_err();
        assert_eq!(fields(&old), ["condition_id"], "{b}");
    }
}

#[tokio::test]
async fn attendance_is_recorded_once_after_the_fact_and_a_missed_condition_opens_a_review() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let case = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        let future = t.clock().now().checked_add(2.hours()).unwrap();
        let later = t
            .app
            .schedule_appointment(
                nav,
                case.id,
                NewAppointment {
                    at: future,
                    purpose: "session".into(),
                    location: None,
                },
            )
            .await
            .unwrap();
        let early = t
            .app
            .record_attendance(nav, later.id, Attendance::Yes)
            .await
            .unwrap_err();
        assert_eq!(fields(&early), ["appointment_id"], "{b}");

        let past = t
            .app
            .schedule_appointment(
                nav,
                case.id,
                NewAppointment {
                    at: t.clock().now(),
                    purpose: "session".into(),
                    location: None,
                },
            )
            .await
            .unwrap();
        let no_note = t
            .app
            .record_attendance(
                nav,
                past.id,
                Attendance::No {
                    reason: AbsenceReason::Acceptable,
                    note: String::new(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(fields(&no_note), ["note"], "{b}");
        let excused = t
            .app
            .record_attendance(
                nav,
                past.id,
                Attendance::No {
                    reason: AbsenceReason::Acceptable,
                    note: "hospital".into(),
                },
            )
            .await
            .unwrap();
        assert!(
            excused.review_opened.is_none(),
            "{b}: an acceptable absence opens no review"
        );
        let twice = t
            .app
            .record_attendance(nav, past.id, Attendance::Yes)
            .await
            .unwrap_err();
        assert_eq!(fields(&twice), ["appointment_id"], "{b}");

        let contract = t
            .app
            .contract_versions(nav, case.id)
            .await
            .unwrap()
            .pop()
            .unwrap();
        let missed = t
            .app
            .update_condition_status(
                nav,
                contract.conditions[2].id,
                ConditionStatus::Missed,
                "did not turn up to community work",
            )
            .await
            .unwrap();
        assert!(missed.review_opened.is_some(), "{b}");
        assert_eq!(
            reload(&t, case.id).await.state,
            "non_compliance_review",
            "{b}"
        );
    }
}

#[tokio::test]
async fn the_caseload_puts_reviews_and_overdue_work_first_and_flags_contact_gaps() {
    for t in apps().await {
        let b = t.backend;
        let nav = &t.navigator;
        let quiet = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        let reviewed = active_case(&t, nav, Offence::summary(RECENT_OFFENCE)).await;
        t.app
            .open_review(
                nav,
                reviewed.id,
                reviewed.version,
                checkpoint_app::reviews::ReviewTrigger::Other("concern".into()),
            )
            .await
            .unwrap();
        let risky = active_case(&t, nav, Offence::summary(date(2025, 11, 20))).await;
        // Someone else's case never shows.
        active_case(&t, &t.navigator_2, Offence::summary(RECENT_OFFENCE)).await;
        t.app
            .record_contact(
                nav,
                quiet.id,
                quiet.version,
                Contact {
                    on: TODAY,
                    method: ContactMethod::Phone,
                    note: "check-in".into(),
                },
            )
            .await
            .unwrap();

        // Three weeks on: the alcohol condition (due 4 April) is not yet overdue but due soon.
        set_today(&t, date(2026, 3, 30));
        let page = t
            .app
            .navigator_caseload(nav, Page::default())
            .await
            .unwrap();
        assert_eq!(page.total, 3, "{b}");
        let order: Vec<_> = page.items.iter().map(|w| w.case_id).collect();
        assert_eq!(
            order,
            [reviewed.id, risky.id, quiet.id],
            "{b}: {:#?}",
            page.items
        );
        assert_eq!(page.items[0].urgency, Urgency::Now, "{b}");
        assert!(page.items[1].at_deadline_risk, "{b}");
        let quiet_row = &page.items[2];
        assert_eq!(quiet_row.conditions_due_soon.len(), 1, "{b}");
        assert_eq!(quiet_row.days_since_contact, Some(26), "{b}");
        assert!(quiet_row.no_contact, "{b}");
        assert_eq!(quiet_row.days_left_on_contract, Some(96), "{b}");

        set_today(&t, date(2026, 4, 10));
        let page = t
            .app
            .navigator_caseload(
                nav,
                Page {
                    number: 1,
                    size: 10,
                },
            )
            .await
            .unwrap();
        let quiet_row = page.items.iter().find(|w| w.case_id == quiet.id).unwrap();
        assert_eq!(quiet_row.overdue_conditions.len(), 1, "{b}");
        assert_eq!(quiet_row.urgency, Urgency::Now, "{b}");
        let second_page = t
            .app
            .navigator_caseload(nav, Page { number: 2, size: 2 })
            .await
            .unwrap();
        assert_eq!(second_page.items.len(), 1, "{b}");
    }
}
