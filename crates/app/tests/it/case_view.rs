//! The case page: header, decision, timeline, allowed actions per actor, scope and audit.

use crate::custody::{SCHEME, refer, referral_for};
use crate::helpers::apps;
use checkpoint_app::AppError;
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::screening::ScreeningChoice;
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::{AuditAction, audit, cases};
use jiff::civil::date;

#[tokio::test]
async fn the_case_page_shows_everything_and_what_this_actor_may_do() {
    for t in apps().await {
        let b = t.backend;
        let outcome = refer(&t, referral_for("Jordan", "Ashworth", date(1994, 7, 19))).await;
        let id = outcome.case.case_id;
        let v = t
            .app
            .record_screening_decision(&t.custody, id, 1, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap()
            .version;
        let v = t.app.make_offer(&t.custody, id, v).await.unwrap().version;
        let accepted = t
            .app
            .record_consent(
                &t.custody,
                id,
                v,
                Consent::Accepted {
                    admission: Admission::AdmittedOnConsent,
                    signed_on: date(2026, 3, 4),
                },
            )
            .await
            .unwrap();
        // A supervisor assigns the case to a navigator in team north.
        let mut tx = t.app.db().begin().await.unwrap();
        cases::assign(
            &mut tx,
            id,
            accepted.version,
            Some(t.navigator.user_id),
            Some("north"),
            Some(t.supervisor.user_id),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let view = t.app.view_case(&t.navigator, id).await.unwrap();
        assert_eq!(view.header.reference, outcome.case.reference, "{b}");
        assert_eq!(view.header.person_name, "Jordan Ashworth");
        assert_eq!(view.header.state, CaseState::Accepted);
        assert_eq!(view.header.state_label, "Accepted");
        assert_eq!(
            view.header.navigator.as_ref().unwrap().display_name,
            t.navigator.display_name
        );
        assert_eq!(view.header.team.as_deref(), Some("north"));
        assert_eq!(view.header.scheme_id, SCHEME);
        // Shop theft is either-way: no statutory time limit, so no deadline to count down.
        assert_eq!(view.header.prosecution_deadline, None, "{b}");
        assert_eq!(view.header.offence_date, Some(date(2026, 3, 2)));
        let decision = view.decision.as_ref().unwrap();
        assert!(!decision.criteria.is_empty());
        assert!(decision.decision.as_ref().unwrap().follows_advice);
        assert_eq!(
            view.timeline.len(),
            5,
            "{b}: opened, screen, offer, accept, assigned"
        );
        assert_eq!(view.timeline[4].kind, "assigned");
        assert_eq!(
            view.timeline[3].details["admission"], "admitted_on_consent",
            "{b}"
        );
        assert!(view.contract.is_none() && view.appointments.is_empty());
        assert!(view.trial_allocation.is_none());

        let navigator_may: Vec<&str> = view.allowed_actions.iter().map(|a| a.name).collect();
        assert!(
            navigator_may.contains(&"assess_needs"),
            "{b}: {navigator_may:?}"
        );
        assert!(navigator_may.contains(&"record_withdrawal"));
        assert!(!navigator_may.contains(&"assign_navigator"));
        let custody_may = t
            .app
            .view_case(&t.custody, id)
            .await
            .unwrap()
            .allowed_actions;
        assert!(custody_may.is_empty(), "{b}: {custody_may:?}");
        let supervisor_may: Vec<&str> = t
            .app
            .view_case(&t.supervisor, id)
            .await
            .unwrap()
            .allowed_actions
            .iter()
            .map(|a| a.name)
            .collect();
        assert!(supervisor_may.contains(&"assign_navigator"), "{b}");

        // Team north sees it; team south does not know it exists.
        assert!(t.app.view_case(&t.navigator_2, id).await.is_ok(), "{b}");
        assert!(matches!(
            t.app.view_case(&t.navigator_south, id).await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            t.app.view_case(&t.analyst, id).await,
            Err(AppError::Forbidden { .. })
        ));

        let mut tx = t.app.db().begin_read().await.unwrap();
        let rows = audit::for_subject(&mut tx, "case", &id.to_string())
            .await
            .unwrap();
        let consultations: Vec<&str> = rows
            .iter()
            .filter(|r| r.action() == Some(AuditAction::Consultation))
            .map(|r| r.actor.as_str())
            .collect();
        assert_eq!(
            consultations,
            ["nav.north.1", "custody.sgt", "supervisor", "nav.north.2"],
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_summary_only_offence_shows_its_deadline_in_days() {
    for t in apps().await {
        let mut referral = referral_for("Ben", "Cole", date(1991, 3, 3));
        referral.offence.mode_of_trial = checkpoint_domain::offence::ModeOfTrial::SummaryOnly;
        let outcome = refer(&t, referral).await;
        // Offence on 2 March 2026: proceedings must start by 2 September 2026.
        assert_eq!(
            outcome.prosecution_deadline,
            Some(date(2026, 9, 2)),
            "{}",
            t.backend
        );
        assert_eq!(outcome.days_to_deadline, Some(182));
        let view = t
            .app
            .view_case(&t.custody, outcome.case.case_id)
            .await
            .unwrap();
        assert_eq!(view.header.days_to_deadline, Some(182));
        assert_eq!(view.header.prosecution_deadline, Some(date(2026, 9, 2)));
    }
}
