//! Reoffending monitoring on both backends: arrests linked to participants on a contract open a
//! review, those within follow-up become reoffending events, near misses wait for a
//! supervisor, re-imports add nothing, bad rows are named, and who may do what.

use crate::helpers::{TestApp, apps};
use crate::navigation_fixtures::*;
use checkpoint_app::monitoring::feed::{ParsedFeed, parse_feed};
use checkpoint_app::monitoring::queue::ClericalDecision;
use checkpoint_app::monitoring::{ImportOptions, ImportSummary, Operator};
use checkpoint_app::reviews::SystemActor;
use checkpoint_app::{Actor, AppError};
use checkpoint_domain::person::{PersonDetails, Sex};
use checkpoint_store::arrests;
use checkpoint_store::cases::{self, CaseRow, KeyDates};
use checkpoint_store::{audit, people};
use jiff::civil::{Date, date};
use uuid::Uuid;

/// The day the feed arrives: five weeks after the fixtures' cases were opened.
const FEED_DAY: Date = date(2026, 4, 10);

const HEADER: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n";

/// Gives the case's person a realistic identity (fixtures create "Alex Test…").
async fn identify(t: &TestApp, case: &CaseRow, given: &str, family: &str, dob: Date, pnc: &str) {
    let mut tx = t.app.db().begin().await.unwrap();
    people::update(
        &mut tx,
        case.person_id,
        &PersonDetails {
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            date_of_birth: dob,
            sex: Sex::Male,
            ethnicity_self_defined: None,
            ethnicity_officer_observed: None,
            postcode: Some("QX4 7BD".to_owned()),
            pnc_id: Some(pnc.to_owned()),
            resides_in_force_area: Some(true),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A participant on a running contract, and one whose case is closed but within follow-up.
struct World {
    on_contract: CaseRow,
    in_follow_up: CaseRow,
}

async fn world(t: &TestApp) -> World {
    let on_contract = active_case(t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
    identify(
        t,
        &on_contract,
        "Jordan",
        "Whitfield",
        date(1991, 7, 23),
        "14/1234567K",
    )
    .await;
    let closed = accepted_case(t, &t.navigator, Offence::summary(RECENT_OFFENCE)).await;
    identify(
        t,
        &closed,
        "Priya",
        "Okonkwo-Hale",
        date(1988, 11, 2),
        "09/7654321C",
    )
    .await;
    let mut tx = t.app.db().begin().await.unwrap();
    let dates = KeyDates {
        follow_up_until: Some(date(2028, 3, 4).into()),
        ..closed.key_dates()
    };
    let (in_follow_up, _) = cases::set_key_dates(
        &mut tx,
        closed.id,
        closed.version,
        &dates,
        None,
        Some("test: follow-up window"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    set_today(t, FEED_DAY);
    World {
        on_contract,
        in_follow_up,
    }
}

fn feed(rows: &str) -> ParsedFeed {
    parse_feed(format!("{HEADER}{rows}").as_bytes(), FEED_DAY).unwrap()
}

fn cli() -> SystemActor {
    SystemActor::new("test-import")
}

async fn import(t: &TestApp, parsed: &ParsedFeed) -> ImportSummary {
    t.app
        .import_arrests(
            Operator::System(&cli()),
            parsed,
            &ImportOptions::new("test-feed"),
            &|_| {},
        )
        .await
        .expect("import")
}

const EXACT_ROWS: &str = "R1,Jordan,Whitfield,23/07/1991,QX4 7BD,14/1234567K,2026-04-01,theft\n\
                          R2,Priya,Okonkwo-Hale,02/11/1988,QX4 7BD,09/7654321C,2026-04-02,assault\n\
                          R3,Zbigniew,Quartermaine,05/05/1975,QX9 9ZZ,,2026-04-03,theft\n";

async fn combination_rows(t: &TestApp, person_id: Uuid) -> usize {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let rows = audit::for_subject(&mut tx, "person", &person_id.to_string())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .filter(|r| r.action.as_str() == "combination")
        .count()
}

#[tokio::test]
async fn linked_arrests_open_reviews_on_contract_and_count_as_reoffending_in_follow_up() {
    for t in apps().await {
        let w = world(&t).await;
        let people_before = {
            let mut tx = t.app.db().begin_read().await.unwrap();
            let ids: Vec<Uuid> = arrests::people_since(&mut tx, None)
                .await
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect();
            tx.rollback().await.unwrap();
            ids
        };
        let summary = import(&t, &feed(EXACT_ROWS)).await;
        assert_eq!(
            (
                summary.new,
                summary.linked,
                summary.not_linked,
                summary.model_trained
            ),
            (3, 2, 1, true),
            "{}: {summary:?}",
            t.backend
        );
        assert_eq!((summary.reviews_opened, summary.reoffending_events), (1, 2));

        let on_contract = reload(&t, w.on_contract.id).await;
        assert_eq!(on_contract.state, "non_compliance_review", "{}", t.backend);
        let mut tx = t.app.db().begin_read().await.unwrap();
        let follow_up = arrests::reoffending_for_case(&mut tx, w.in_follow_up.id)
            .await
            .unwrap();
        assert_eq!(follow_up.len(), 1);
        assert_eq!(follow_up[0].phase, "follow_up");
        let events = cases::events(&mut tx, w.in_follow_up.id).await.unwrap();
        let noted = events
            .iter()
            .find(|e| e.kind == "arrest_noted")
            .expect("arrest_noted");
        assert!(
            noted.payload_json.contains(r#""kind":"new_arrest""#),
            "{}",
            noted.payload_json
        );
        let links = arrests::links_for_person(&mut tx, w.on_contract.person_id)
            .await
            .unwrap();
        assert_eq!(links.len(), 1);
        assert!(links[0].match_probability >= 0.9);
        assert!(links[0].explanation_json.contains("surname"));
        // Person ids never change when new records arrive.
        let people_after: Vec<Uuid> = arrests::people_since(&mut tx, None)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(people_before, people_after);
        tx.rollback().await.unwrap();
        assert_eq!(combination_rows(&t, w.on_contract.person_id).await, 1);
        assert!(
            audit::verify(t.app.db()).await.unwrap().is_intact(),
            "{}",
            t.backend
        );
        assert_eq!(combination_rows(&t, w.in_follow_up.person_id).await, 1);

        // The same file again: nothing new, nothing acted on twice.
        let again = import(&t, &feed(EXACT_ROWS)).await;
        assert_eq!(
            (again.new, again.duplicates, again.linked),
            (0, 3, 0),
            "{again:?}"
        );
        assert!(!again.model_trained);
        let mut tx = t.app.db().begin_read().await.unwrap();
        assert_eq!(arrests::count_arrests(&mut tx).await.unwrap(), 3);
        tx.rollback().await.unwrap();
        assert_eq!(combination_rows(&t, w.on_contract.person_id).await, 1);
    }
}

/// Misspelt names, no PNC id and a moved postcode: the model is unsure.
const NEAR_MISS: &str = "N1,Jordon,Whitford,23/07/1991,QX2 1AA,,2026-04-05,theft\n";

#[tokio::test]
async fn a_near_miss_waits_for_a_supervisor_and_a_confirmation_acts_like_a_link() {
    for t in apps().await {
        let w = world(&t).await;
        let summary = import(&t, &feed(NEAR_MISS)).await;
        assert_eq!(
            (summary.queued_for_review, summary.linked),
            (1, 0),
            "{}: {summary:?}",
            t.backend
        );
        assert_eq!(reload(&t, w.on_contract.id).await.state, "active");

        let page = t.app.clerical_queue(&t.supervisor, None, 10).await.unwrap();
        assert_eq!(
            (page.items.len(), page.pending, page.next.clone()),
            (1, 1, None)
        );
        let item = &page.items[0];
        assert_eq!(item.person_id, w.on_contract.person_id);
        let pair = t
            .app
            .clerical_pair(&t.supervisor, item.arrest_id)
            .await
            .unwrap();
        assert_eq!(pair.item.person.given_name, "Jordan");
        assert_eq!(pair.item.arrest.given_name, "Jordon");
        assert_eq!(pair.explanation.fields.len(), 5);

        let decided = t
            .app
            .decide_clerical_review(
                &t.supervisor,
                item.arrest_id,
                ClericalDecision::Confirm,
                "same DOB and surname; known alias spelling",
            )
            .await
            .unwrap();
        assert_eq!((decided.reviews_opened, decided.reoffending_events), (1, 1));
        assert_eq!(
            reload(&t, w.on_contract.id).await.state,
            "non_compliance_review"
        );
        assert_eq!(combination_rows(&t, w.on_contract.person_id).await, 1);
        // The first decision stands.
        let again = t
            .app
            .decide_clerical_review(
                &t.supervisor,
                item.arrest_id,
                ClericalDecision::Reject,
                "changed my mind",
            )
            .await;
        assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");

        // Feedback: a new model version re-estimated with the label.
        let refit = t
            .app
            .refit_linkage_model(Operator::User(&t.supervisor))
            .await
            .unwrap();
        assert_eq!(
            (refit.method.as_str(), refit.labels, refit.version),
            ("em+clerical", 1, 2)
        );
    }
}

#[tokio::test]
async fn a_rejected_near_miss_changes_nothing() {
    for t in apps().await {
        let w = world(&t).await;
        import(&t, &feed(NEAR_MISS)).await;
        let page = t.app.clerical_queue(&t.supervisor, None, 10).await.unwrap();
        let decided = t
            .app
            .decide_clerical_review(
                &t.supervisor,
                page.items[0].arrest_id,
                ClericalDecision::Reject,
                "different middle initial on PNC",
            )
            .await
            .unwrap();
        assert_eq!((decided.reviews_opened, decided.reoffending_events), (0, 0));
        assert_eq!(reload(&t, w.on_contract.id).await.state, "active");
        let mut tx = t.app.db().begin_read().await.unwrap();
        assert!(
            arrests::links_for_person(&mut tx, w.on_contract.person_id)
                .await
                .unwrap()
                .is_empty()
        );
        tx.rollback().await.unwrap();
        // The rejection is still a combination audit row.
        assert_eq!(combination_rows(&t, w.on_contract.person_id).await, 1);
        let page = t.app.clerical_queue(&t.supervisor, None, 10).await.unwrap();
        assert_eq!(page.pending, 0);
    }
}

const WITH_BAD_ROWS: &str = "R1,Jordan,Whitfield,23/07/1991,QX4 7BD,14/1234567K,2026-04-01,theft\n\
                             B1,Ann,Smith,31/02/1990,QX1 1AA,,2026-04-01,theft\n\
                             B2,Bob,Jones,01/02/1990,QX1 1AA\n";

#[tokio::test]
async fn bad_rows_are_named_and_the_good_ones_imported_or_none_when_all_or_nothing() {
    for t in apps().await {
        let w = world(&t).await;
        let parsed = feed(WITH_BAD_ROWS);
        assert_eq!(parsed.rejects.len(), 2);
        let mut options = ImportOptions::new("test-feed");
        options.all_or_nothing = true;
        let refused = t
            .app
            .import_arrests(Operator::System(&cli()), &parsed, &options, &|_| {})
            .await;
        let Err(AppError::Invalid(errors)) = refused else {
            panic!("{refused:?}");
        };
        assert_eq!(errors[0].field, "line 3");
        assert!(errors[0].message.contains("column dob"), "{errors:?}");
        let mut tx = t.app.db().begin_read().await.unwrap();
        assert_eq!(arrests::count_arrests(&mut tx).await.unwrap(), 0);
        tx.rollback().await.unwrap();

        let summary = import(&t, &parsed).await;
        assert_eq!(
            (summary.rejected, summary.new, summary.linked),
            (2, 1, 1),
            "{summary:?}"
        );
        assert_eq!(
            reload(&t, w.on_contract.id).await.state,
            "non_compliance_review"
        );

        // An empty feed is fine.
        let empty = import(&t, &feed("")).await;
        assert_eq!(empty.new, 0);
    }
}

#[tokio::test]
async fn only_supervisors_and_admins_import_and_only_supervisors_review() {
    for t in apps().await {
        world(&t).await;
        let parsed = feed(EXACT_ROWS);
        let options = ImportOptions::new("test-feed");
        let may_import = |actor: &Actor| {
            let app = t.app.clone();
            let actor = actor.clone();
            let parsed = parsed.clone();
            let options = options.clone();
            async move {
                app.import_arrests(Operator::User(&actor), &parsed, &options, &|_| {})
                    .await
            }
        };
        for actor in [&t.custody, &t.navigator, &t.analyst] {
            let denied = may_import(actor).await;
            assert!(
                matches!(denied, Err(AppError::Forbidden { .. })),
                "{}: {denied:?}",
                actor.username
            );
        }
        may_import(&t.admin).await.expect("admin imports");
        may_import(&t.supervisor).await.expect("supervisor imports");
        for actor in [&t.custody, &t.navigator, &t.analyst, &t.admin] {
            let denied = t.app.clerical_queue(actor, None, 10).await;
            assert!(
                matches!(denied, Err(AppError::Forbidden { .. })),
                "{}: {denied:?}",
                actor.username
            );
        }
        t.app
            .clerical_queue(&t.supervisor, None, 10)
            .await
            .expect("supervisor reviews");
    }
}

/// Who an import linked arrest `arrest_ref` of `test-feed` to, if anyone.
async fn linked_to(t: &TestApp, arrest_ref: &str) -> Option<Uuid> {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let known = arrests::known_refs(&mut tx, "test-feed", &[arrest_ref])
        .await
        .unwrap();
    assert!(known.contains(arrest_ref), "{arrest_ref} was imported");
    let stored: Vec<_> = arrests::sample_arrests(&mut tx, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.arrest_ref == arrest_ref)
        .collect();
    let link = arrests::link_for_arrest(&mut tx, stored[0].id)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    link.map(|l| l.person_id)
}

#[tokio::test]
async fn people_referred_corrected_or_pseudonymised_after_the_index_loaded_are_seen_without_restart()
 {
    for t in apps().await {
        let b = t.backend;
        // The first import loads the index (and trains the starter model).
        world(&t).await;
        let first = import(&t, &feed(EXACT_ROWS)).await;
        assert_eq!(first.linked, 2, "{b}: {first:?}");

        // A new person, referred through the custody desk after the index was loaded.
        let referred = crate::custody::refer(
            &t,
            crate::custody::referral_for("Keturah", "Abernethy-Oyelaran", date(1994, 7, 19)),
        )
        .await;
        let exact = "K1,Keturah,Abernethy-Oyelaran,19/07/1994,DH1 9ZX,,2026-04-06,theft\n";
        let second = import(&t, &feed(exact)).await;
        assert_eq!((second.new, second.linked), (1, 1), "{b}: {second:?}");
        assert_eq!(linked_to(&t, "K1").await, Some(referred.person_id), "{b}");

        // Her details corrected at the desk (a new referral naming her): the next arrest is
        // matched on the corrected details, not the old ones.
        let mut corrected = crate::custody::referral_for("Kezia", "Lindqvist", date(1994, 9, 17));
        corrected.person.postcode = Some("QX7 2LP".to_owned());
        corrected.person.pnc_id = Some("94/765432X".to_owned());
        t.app
            .create_referral(
                &t.custody,
                checkpoint_app::referrals::NewReferral {
                    scheme_id: crate::custody::SCHEME.to_owned(),
                    referral: corrected,
                    person: checkpoint_app::referrals::PersonChoice::Existing(referred.person_id),
                    acknowledged_matches: Vec::new(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let renamed = "K2,Kezia,Lindqvist,17/09/1994,QX7 2LP,94/765432X,2026-04-07,theft\n";
        let third = import(&t, &feed(renamed)).await;
        assert_eq!((third.new, third.linked), (1, 1), "{b}: {third:?}");
        assert_eq!(linked_to(&t, "K2").await, Some(referred.person_id), "{b}");

        // Pseudonymised by a retention run in another process (the store, as the CLI does):
        // the next import no longer finds her by her old details.
        let mut tx = t.app.db().begin().await.unwrap();
        checkpoint_store::retention::pseudonymise_person(
            &mut tx,
            referred.person_id,
            "Person 7f3a",
            date(1994, 1, 1).into(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let after = "K3,Kezia,Lindqvist,17/09/1994,QX7 2LP,94/765432X,2026-04-08,theft\n";
        let fourth = import(&t, &feed(after)).await;
        assert_eq!(fourth.new, 1, "{b}: {fourth:?}");
        assert_eq!(linked_to(&t, "K3").await, None, "{b}: {fourth:?}");
    }
}

#[tokio::test]
async fn small_batches_score_ahead_of_writing_and_count_exactly_as_one_batch() {
    for t in apps().await {
        let b = t.backend;
        world(&t).await;
        let rows = format!("{EXACT_ROWS}{NEAR_MISS}");
        let parsed = feed(&rows);
        let mut options = ImportOptions::new("test-feed");
        options.batch_rows = 1;
        let batches = std::sync::atomic::AtomicU64::new(0);
        let summary = t
            .app
            .import_arrests(Operator::System(&cli()), &parsed, &options, &|n| {
                assert_eq!(n, 1);
                batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(batches.into_inner(), 4, "{b}");
        assert_eq!(
            (
                summary.new,
                summary.linked,
                summary.queued_for_review,
                summary.not_linked,
                summary.reviews_opened,
                summary.reoffending_events
            ),
            (4, 2, 1, 1, 1, 2),
            "{b}: {summary:?}"
        );

        // Again, three rows a batch, one of them new: only that one is written.
        let more = format!("{rows}R9,Zbigniew,Quartermaine,05/05/1975,QX9 9ZZ,,2026-04-09,theft\n");
        options.batch_rows = 3;
        options.all_or_nothing = true;
        let again = t
            .app
            .import_arrests(Operator::System(&cli()), &feed(&more), &options, &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!((again.new, again.duplicates), (1, 4), "{b}: {again:?}");
        let mut tx = t.app.db().begin_read().await.unwrap();
        assert_eq!(arrests::count_arrests(&mut tx).await.unwrap(), 5, "{b}");
        tx.rollback().await.unwrap();
        assert!(audit::verify(t.app.db()).await.unwrap().is_intact(), "{b}");
    }
}
