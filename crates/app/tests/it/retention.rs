//! Retention review on both backends: closed cases past their review date are disposed of,
//! people whose cases are all disposed of are pseudonymised everywhere their identifiers were
//! written, arrest-feed rows that matched nobody are deleted, aggregate reports do not change,
//! every erasure is audited, and a dry run changes nothing.

use crate::custody::{SCHEME, refer, referral_for};
use crate::helpers::{TestApp, apps};
use crate::navigation_fixtures::set_today;
use checkpoint_app::monitoring::feed::parse_feed;
use checkpoint_app::monitoring::{ImportOptions, Operator};
use checkpoint_app::offers::Consent;
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::reports::{ReportConfig, ReportName, ReportQuery};
use checkpoint_app::retention::RetentionRun;
use checkpoint_app::reviews::SystemActor;
use checkpoint_app::screening::ScreeningChoice;
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::{AuditAction, audit, cases, people};
use jiff::civil::{Date, date};
use uuid::Uuid;

/// Everything is referred on the fixtures' "today", 4 March 2026.
const FEED_DAY: Date = date(2026, 4, 10);
/// Six years (the policies' `review_after_months = 72`) and a bit later.
const REVIEW_DAY: Date = date(2032, 6, 1);

const HEADER: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n";

struct World {
    /// Declined, with her name and postcode in the decline reason; later re-arrested.
    siobhan: (Uuid, Uuid),
    /// Declined once, and referred again years later: that case is still open.
    kim: (Uuid, Uuid),
    /// Under 18, so screened out.
    young: (Uuid, Uuid),
}

/// Refers, accepts the advice, offers and declines with `reason`. Returns (person, case).
async fn declined(
    t: &TestApp,
    (given, family, born): (&str, &str, Date),
    (postcode, pnc): (&str, &str),
    reason: &str,
) -> (Uuid, Uuid) {
    let mut referral = referral_for(given, family, born);
    referral.person.postcode = Some(postcode.to_owned());
    referral.person.pnc_id = Some(pnc.to_owned());
    let outcome = refer(t, referral).await;
    let id = outcome.case.case_id;
    let v = t
        .app
        .record_screening_decision(
            &t.custody,
            id,
            outcome.case.version,
            ScreeningChoice::AcceptAdvice,
        )
        .await
        .expect("screen")
        .version;
    let v = t
        .app
        .make_offer(&t.custody, id, v)
        .await
        .expect("offer")
        .version;
    t.app
        .record_consent(
            &t.custody,
            id,
            v,
            Consent::Declined {
                reason: reason.to_owned(),
            },
        )
        .await
        .expect("decline");
    (outcome.person_id, id)
}

async fn world(t: &TestApp) -> World {
    let siobhan = declined(
        t,
        ("Siobhán", "O'Brien-Quayle", date(1990, 12, 20)),
        ("QX1 4AB", "26/1234567Q"),
        "Siobhán O'Brien-Quayle of QX1 4AB wants to go to court",
    )
    .await;
    let kim = declined(
        t,
        ("Kim", "Parkhurst", date(1985, 2, 3)),
        ("QX2 9CD", "26/7654321K"),
        "prefers court",
    )
    .await;
    let young = {
        let outcome = refer(t, referral_for("Robin", "Younger", date(2010, 6, 1))).await;
        let id = outcome.case.case_id;
        let screened = t
            .app
            .record_screening_decision(
                &t.custody,
                id,
                outcome.case.version,
                ScreeningChoice::AcceptAdvice,
            )
            .await
            .expect("screen");
        assert_eq!(
            screened.state,
            CaseState::Ineligible,
            "{}: minors are out",
            t.backend
        );
        (outcome.person_id, id)
    };

    set_today(t, FEED_DAY);
    let feed = format!(
        "{HEADER}A1,Siobhan,O'Brien-Quayle,20/12/1990,QX1 4AB,26/1234567Q,2026-04-01,theft\n\
         A2,Zbigniew,Quartermaine,05/05/1975,QX9 9ZZ,,2026-04-02,theft\n"
    );
    let parsed = parse_feed(feed.as_bytes(), FEED_DAY).expect("feed");
    t.app
        .import_arrests(
            Operator::System(&SystemActor::new("test-import")),
            &parsed,
            &ImportOptions::new("test-feed"),
            &|_| {},
        )
        .await
        .expect("import");

    // Kim is referred again five years on; that case stays open at the review.
    set_today(t, date(2031, 9, 1));
    let mut again = referral_for("Kim", "Parkhurst", date(1985, 2, 3));
    again.referral_date = date(2031, 9, 1);
    again.offence.offence_date = date(2031, 8, 30);
    t.app
        .create_referral(
            &t.custody,
            NewReferral {
                scheme_id: SCHEME.to_owned(),
                referral: again,
                person: PersonChoice::Existing(kim.0),
                acknowledged_matches: Vec::new(),
            },
        )
        .await
        .expect("second referral");
    set_today(t, REVIEW_DAY);
    World {
        siobhan,
        kim,
        young,
    }
}

async fn report_json(t: &TestApp) -> serde_json::Value {
    let config = ReportConfig {
        suppression_threshold: Some(1),
        ..ReportConfig::default()
    };
    let query = ReportQuery {
        scheme: Some(SCHEME.to_owned()),
        ..ReportQuery::default()
    };
    let bundle = t
        .app
        .report(&t.analyst, ReportName::All, &query, &config)
        .await
        .expect("report");
    serde_json::to_value(&bundle).expect("json")
}

/// Every text column of the database, as one string, for "is this name still anywhere?".
async fn everything_stored(t: &TestApp) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.dump");
    checkpoint_store::backup::backup(t.app.db(), &path)
        .await
        .expect("dump");
    let text = std::fs::read_to_string(&path).unwrap();
    // The first line records when the dump was made.
    text.split_once('\n')
        .map_or(text.clone(), |(_, rows)| rows.to_owned())
}

async fn erasures(t: &TestApp, person_id: Uuid) -> usize {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let rows = audit::for_subject(&mut tx, "person", &person_id.to_string())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .filter(|r| r.action() == Some(AuditAction::Erasure))
        .count()
}

async fn state_of(t: &TestApp, case_id: Uuid) -> CaseState {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let case = cases::get(&mut tx, case_id).await.unwrap();
    tx.rollback().await.unwrap();
    case.state().unwrap()
}

#[tokio::test]
async fn past_their_review_date_records_are_disposed_of_and_pseudonymised_reports_unchanged() {
    for t in apps().await {
        let b = t.backend;
        let w = world(&t).await;
        let system = SystemActor::new("retention");
        let before = report_json(&t).await;
        let stored_before = everything_stored(&t).await;
        assert!(
            stored_before.contains("Quayle"),
            "{b}: the fixture is findable"
        );

        let preview = t.app.run_retention(&system, true).await.expect("dry run");
        assert!(preview.dry_run);
        assert_eq!(
            everything_stored(&t).await,
            stored_before,
            "{b}: a dry run changes nothing"
        );

        let run = t.app.run_retention(&system, false).await.expect("run");
        assert_eq!(
            RetentionRun {
                dry_run: true,
                ..run.clone()
            },
            preview,
            "{b}: the dry run said exactly what the run did"
        );
        assert_eq!(run.cases_disposed.len(), 3, "{b}: {run:?}");
        assert_eq!(
            run.people_pseudonymised, 2,
            "{b}: Kim has an open case: {run:?}"
        );
        assert_eq!(run.linked_arrests_pseudonymised, 1, "{b}");
        assert_eq!(
            run.unlinked_arrests_deleted, 1,
            "{b}: Quartermaine matched nobody"
        );
        assert!(
            run.events_redacted >= 1,
            "{b}: the decline reason named her"
        );

        for case in [w.siobhan.1, w.kim.1, w.young.1] {
            assert_eq!(state_of(&t, case).await, CaseState::Disposed, "{b}");
        }
        let stored = everything_stored(&t).await;
        for identifier in [
            "Siobh",
            "Quayle",
            "1990-12-20",
            "Robin",
            "Younger",
            "2010-06-01",
            "Quartermaine",
        ] {
            // The audit log is the s.62 record and is never rewritten (see retention.rs).
            let found: Vec<&str> = stored
                .lines()
                .filter(|l| l.contains(identifier) && !l.contains(r#""t":"audit_log""#))
                .collect();
            assert!(
                found.is_empty(),
                "{b}: {identifier} is still stored: {found:#?}"
            );
        }
        assert!(
            stored.contains("Parkhurst"),
            "{b}: Kim's open case keeps her identity"
        );
        assert!(
            stored.contains("QX1 4AB"),
            "{b}: Kim's postcode stays with her"
        );

        let mut tx = t.app.db().begin_read().await.unwrap();
        let person = people::get(&mut tx, w.siobhan.0).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(person.family_name.starts_with("PSN-"), "{b}: {person:?}");
        assert_eq!(person.given_name, "", "{b}");
        assert_eq!((person.postcode, person.pnc_id), (None, None), "{b}");
        assert_eq!(erasures(&t, w.siobhan.0).await, 1, "{b}");
        assert_eq!(erasures(&t, w.kim.0).await, 0, "{b}");

        assert_eq!(
            report_json(&t).await,
            before,
            "{b}: aggregate reports are unchanged"
        );
        assert!(audit::verify(t.app.db()).await.unwrap().is_intact(), "{b}");

        let again = t
            .app
            .run_retention(&system, false)
            .await
            .expect("second run");
        assert!(
            again.cases_disposed.is_empty() && again.people_pseudonymised == 0,
            "{b}: a second run finds nothing to do: {again:?}"
        );
    }
}

#[tokio::test]
async fn nothing_is_disposed_of_before_its_review_date() {
    for t in apps().await {
        let w = world(&t).await;
        set_today(&t, date(2031, 12, 1));
        let run = t
            .app
            .run_retention(&SystemActor::new("retention"), false)
            .await
            .expect("run");
        assert!(run.cases_disposed.is_empty(), "{}: {run:?}", t.backend);
        assert_eq!(run.people_pseudonymised, 0, "{}", t.backend);
        assert_eq!(
            state_of(&t, w.siobhan.1).await,
            CaseState::Declined,
            "{}",
            t.backend
        );
    }
}

#[tokio::test]
async fn the_append_only_history_allows_one_redaction_and_nothing_else() {
    for t in apps().await {
        let b = t.backend;
        let w = world(&t).await;
        t.app
            .run_retention(&SystemActor::new("retention"), false)
            .await
            .expect("run");
        let case = w.siobhan.1;
        for sql in [
            format!(
                "UPDATE case_events SET kind = 'x' WHERE case_id = {}",
                id_literal(&t, case)
            ),
            format!(
                "UPDATE case_events SET reason = 'again' WHERE case_id = {}",
                id_literal(&t, case)
            ),
            format!(
                "DELETE FROM case_events WHERE case_id = {}",
                id_literal(&t, case)
            ),
        ] {
            let error = checkpoint_store::testing::try_raw(t.app.db(), &sql)
                .await
                .expect_err(&sql);
            assert!(
                error.to_string().contains("append-only"),
                "{b}: {sql}: {error}"
            );
        }
    }
}

/// A UUID as a literal of this backend.
fn id_literal(t: &TestApp, id: Uuid) -> String {
    match t.backend {
        "sqlite" => format!("X'{}'", id.simple()),
        _ => format!("'{id}'"),
    }
}
