//! The bulk path (`demo generate --bulk`): a few thousand cases written in batches keep the
//! invariants the use cases keep, on SQLite and PostgreSQL; the same seed gives the same rows;
//! and case by case the bulk rows say what the use-case path's rows say.

use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::reports::{ReportBundle, ReportConfig, ReportName, ReportQuery};
use checkpoint_app::worklists::Page;
use checkpoint_app::{App, Clock, PasswordCost, PolicyRegistry, Settings};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::testing::{self, backends, scalar};
use checkpoint_store::{Db, appointments, cases, contracts, decisions, people, screening, trials};
use checkpoint_synth::demo::{self, DEMO_PASSWORD, DemoSummary, WritePath};
use checkpoint_synth::{Config, Generator};
use jiff::civil::date;
use std::collections::BTreeMap;

pub fn app_on(db: Db, policies: PolicyRegistry) -> App {
    let settings = Settings {
        password_cost: PasswordCost::Fast,
        ..Settings::default()
    };
    App::new(db, policies, Clock::System, settings)
}

/// Report `name` as the demo analyst reads it, with the default query and settings.
pub async fn analyst_report(app: &App, name: ReportName) -> ReportBundle {
    let analyst = app
        .sign_in("demo.analyst", DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    app.report(
        &analyst,
        name,
        &ReportQuery::default(),
        &ReportConfig::default(),
    )
    .await
    .unwrap()
}

/// Two years of referrals ending mid-2026.
pub fn config(seed: u64, cases: u64) -> Config {
    let mut config = Config::new(seed, cases);
    config.first_referral = date(2024, 7, 1);
    config.last_referral = date(2026, 6, 30);
    config.as_of = date(2026, 6, 30);
    config
}

pub async fn write(app: &App, config: &Config, path: WritePath) -> DemoSummary {
    demo::write_database_with(app, config, DEMO_PASSWORD, path.into(), &|_| {})
        .await
        .unwrap()
}

async fn count(db: &Db, sql: &str) -> i64 {
    scalar(db, sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_keeps_the_invariants_the_use_cases_keep() {
    let cases = 3_000;
    for test_db in backends().await {
        let label = test_db.label;
        let db = test_db.db.clone();
        let app = app_on(db.clone(), PolicyRegistry::shipped().unwrap());
        let summary = write(&app, &config(11, cases), WritePath::Bulk).await;
        println!("{label}:\n{summary}");
        assert_eq!(summary.cases, cases);
        assert_eq!(summary.failed_cases, 0, "{label}: {:?}", summary.notes);
        let n = count(&db, "SELECT COUNT(*) FROM cases").await;
        assert_eq!(n, cases as i64, "{label}: one case per referral");
        assert_eq!(summary.states.values().sum::<i64>(), n);

        // A case's version is its number of events, numbered 1..=version, the first `opened`;
        // its state is where its last transition took it.
        let checks = [
            (
                "versions that are not the event count",
                "SELECT COUNT(*) FROM cases c WHERE c.version <> \
                 (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id)",
            ),
            (
                "events outside 1..=version",
                "SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id \
                 WHERE e.sequence < 1 OR e.sequence > c.version",
            ),
            (
                "first events that are not `opened`",
                "SELECT COUNT(*) FROM case_events WHERE (sequence = 1) <> (kind = 'opened')",
            ),
            (
                "states that are not the last transition's",
                "SELECT COUNT(*) FROM cases c WHERE c.state <> (SELECT e.to_state \
                 FROM case_events e WHERE e.case_id = c.id AND e.to_state IS NOT NULL \
                 ORDER BY e.sequence DESC LIMIT 1)",
            ),
            (
                "updated_at that is not the last event's",
                "SELECT COUNT(*) FROM cases c WHERE c.updated_at <> (SELECT MAX(e.occurred_at) \
                 FROM case_events e WHERE e.case_id = c.id)",
            ),
            (
                "decisions without policy id, version or hash",
                "SELECT COUNT(*) FROM decisions WHERE policy_id = '' OR policy_version = '' \
                 OR policy_hash NOT LIKE 'sha256:%'",
            ),
            (
                "decisions not over their advice's evaluation",
                "SELECT COUNT(*) FROM decisions d JOIN screening_advice a \
                 ON a.referral_id = d.referral_id WHERE d.evaluation_json <> a.evaluation_json \
                 OR d.policy_hash <> a.policy_hash",
            ),
            (
                "screening events without a decision",
                "SELECT (SELECT COUNT(*) FROM case_events WHERE kind = 'screen') - \
                 (SELECT COUNT(*) FROM decisions)",
            ),
            (
                "cases without advice",
                "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS \
                 (SELECT 1 FROM screening_advice a WHERE a.case_id = c.id)",
            ),
            (
                "contract ends that are not the signed contract's",
                "SELECT COUNT(*) FROM cases c JOIN contracts k ON k.case_id = c.id \
                 WHERE k.signed_on IS NOT NULL AND (c.contract_end IS NULL \
                 OR c.contract_end <> k.end_date)",
            ),
            (
                "duplicate references",
                "SELECT COUNT(*) - COUNT(DISTINCT reference) FROM cases",
            ),
            (
                "references the counters do not cover",
                "SELECT CAST(COUNT(*) - (SELECT SUM(last_value) FROM case_reference_counters) \
                 AS BIGINT) FROM cases",
            ),
        ];
        for (what, sql) in checks {
            assert_eq!(count(&db, sql).await, 0, "{label}: {what}");
        }
        // Every lifecycle path the data can take shows up.
        for state in [
            CaseState::Ineligible,
            CaseState::Declined,
            CaseState::Active,
            CaseState::ProsecutionReferred,
            CaseState::FollowUp,
        ] {
            assert!(summary.states.contains_key(&state), "{label}: no {state}");
        }
        assert!(count(&db, "SELECT COUNT(*) FROM appointments").await > 0);
        assert!(count(&db, "SELECT COUNT(*) FROM contract_conditions").await > 0);
        assert!(count(&db, "SELECT COUNT(*) FROM needs_assessment_items").await > 0);

        // One audit row per batch, by the generator, and the chain verifies.
        let batches = cases.div_ceil(demo::bulk::BATCH_CASES) as i64;
        let sql = format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = '{}' AND action = 'collection'",
            demo::bulk::GENERATOR_ACTOR
        );
        assert_eq!(count(&db, &sql).await, batches, "{label}: audit rows");
        let verification = checkpoint_store::audit::verify(&db).await.unwrap();
        assert!(verification.is_intact(), "{label}: {verification:?}");

        // The use cases carry on from the bulk data: the next referral takes the next
        // reference of its year, and the chain still verifies.
        let custody = app
            .sign_in("demo.custody", DEMO_PASSWORD)
            .await
            .unwrap()
            .actor;
        let mut referral = Generator::new(config(11, cases)).case(0).referral;
        referral.referral_date = Clock::System.today();
        let matches = app
            .find_likely_people(&custody, &referral.person)
            .await
            .unwrap();
        let year = i64::from(referral.referral_date.year());
        let issued = count(
            &db,
            &format!(
                "SELECT COALESCE(MAX(last_value), 0) FROM case_reference_counters WHERE year = {year}"
            ),
        )
        .await;
        let out = app
            .create_referral(
                &custody,
                NewReferral {
                    scheme_id: "durham-checkpoint".to_owned(),
                    referral,
                    person: PersonChoice::New,
                    acknowledged_matches: matches.iter().map(|m| m.person_id).collect(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            out.case.reference,
            format!("CP-{year}-{:06}", issued + 1),
            "{label}"
        );
        assert!(
            checkpoint_store::audit::verify(&db)
                .await
                .unwrap()
                .is_intact()
        );

        // Reports, the caseload and case pages read bulk data like played data.
        let bundle = analyst_report(&app, ReportName::All).await;
        assert!(bundle.funnel.is_some(), "{label}: funnel");
        let navigator = app
            .sign_in("demo.navigator", DEMO_PASSWORD)
            .await
            .unwrap()
            .actor;
        let caseload = app
            .navigator_caseload(&navigator, Page::default())
            .await
            .unwrap();
        assert!(caseload.total > 0, "{label}: the navigator has open cases");
        let view = app
            .view_case(&navigator, caseload.items[0].case_id)
            .await
            .unwrap();
        assert_eq!(view.header.reference, caseload.items[0].reference);
    }
}

/// Every row a case has, read through the store, with user ids replaced by usernames (accounts
/// are created through the use case, so their ids are new each run).
async fn fingerprint(db: &Db) -> Vec<String> {
    let mut tx = db.begin_read().await.unwrap();
    let users: Vec<(String, String)> = checkpoint_store::users::list(&mut tx)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id.to_string(), u.username))
        .collect();
    let mut lines = Vec::new();
    for case in cases::in_states(&mut tx, &CaseState::ALL).await.unwrap() {
        lines.push(format!("{case:?}"));
        lines.push(format!("{:?}", people::get(&mut tx, case.person_id).await));
        lines.push(format!("{:?}", cases::events(&mut tx, case.id).await));
        lines.push(format!(
            "{:?}",
            screening::advice_for_case(&mut tx, case.id).await
        ));
        lines.push(format!("{:?}", decisions::for_case(&mut tx, case.id).await));
        for contract in contracts::versions(&mut tx, case.id).await.unwrap() {
            lines.push(format!("{contract:?}"));
            lines.push(format!(
                "{:?}",
                contracts::conditions(&mut tx, contract.id).await
            ));
        }
        lines.push(format!(
            "{:?}",
            appointments::for_case(&mut tx, case.id).await
        ));
        lines.push(format!("{:?}", trials::for_case(&mut tx, case.id).await));
    }
    tx.rollback().await.unwrap();
    for line in &mut lines {
        for (id, username) in &users {
            if line.contains(id.as_str()) {
                *line = line.replace(id.as_str(), username);
            }
        }
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_rows() {
    let mut prints = Vec::new();
    for _ in 0..2 {
        let test_db = testing::sqlite().await;
        let app = app_on(test_db.db.clone(), PolicyRegistry::shipped().unwrap());
        write(&app, &config(5, 1_500), WritePath::Bulk).await;
        prints.push(fingerprint(&test_db.db).await);
    }
    assert_eq!(prints[0].len(), prints[1].len());
    if let Some((a, b)) = prints[0].iter().zip(&prints[1]).find(|(a, b)| a != b) {
        panic!("the runs differ:\n{a}\n{b}");
    }
    let other_seed = testing::sqlite().await;
    let app = app_on(other_seed.db.clone(), PolicyRegistry::shipped().unwrap());
    write(&app, &config(6, 1_500), WritePath::Bulk).await;
    assert_ne!(fingerprint(&other_seed.db).await, prints[0]);
}

/// What a case's rows say, without ids (the two paths make their own) and without the
/// assignment's load figures (the use cases count open cases in time order, the bulk path in
/// case order).
async fn story(db: &Db) -> BTreeMap<String, Vec<String>> {
    let mut tx = db.begin_read().await.unwrap();
    let mut out = BTreeMap::new();
    for case in cases::in_states(&mut tx, &CaseState::ALL).await.unwrap() {
        let person = people::get(&mut tx, case.person_id).await.unwrap();
        let key = format!(
            "{} {} {}",
            case.opened_at, person.given_name, person.family_name
        );
        let mut lines = vec![format!(
            "{} v{} {} {:?} {:?} {:?} {:?} {:?} {:?}",
            case.state,
            case.version,
            case.scheme_id,
            case.team,
            case.offence_date,
            case.prosecution_deadline,
            case.contract_end,
            case.follow_up_until,
            case.retention_review_on
        )];
        for e in cases::events(&mut tx, case.id).await.unwrap() {
            let payload = if e.kind == "assigned" {
                String::new()
            } else {
                without_ids(&e.payload_json)
            };
            let reason = if e.kind == "assigned" { None } else { e.reason };
            lines.push(format!(
                "{} {} {:?}>{:?} {:?} {:?} {payload}",
                e.sequence, e.kind, e.from_state, e.to_state, reason, e.policy_version
            ));
        }
        for a in screening::advice_for_case(&mut tx, case.id).await.unwrap() {
            lines.push(format!(
                "advice {} {}",
                a.advised_outcome, a.evaluation_json
            ));
        }
        for d in decisions::for_case(&mut tx, case.id).await.unwrap() {
            lines.push(format!("decision {} {}", d.outcome, d.policy_hash));
        }
        for k in contracts::versions(&mut tx, case.id).await.unwrap() {
            lines.push(format!(
                "contract {} {} {:?}",
                k.start_date, k.end_date, k.signed_on
            ));
            for c in contracts::conditions(&mut tx, k.id).await.unwrap() {
                lines.push(format!(
                    "condition {} {} {:?} {:?} {}",
                    c.position, c.condition_type, c.pathway, c.hours, c.status
                ));
            }
        }
        for a in appointments::for_case(&mut tx, case.id).await.unwrap() {
            lines.push(format!(
                "appointment {} {} {:?} {:?}",
                a.planned_at, a.purpose, a.attendance, a.missed_reason
            ));
        }
        out.insert(key, lines);
    }
    tx.rollback().await.unwrap();
    out
}

/// Replaces every UUID in a JSON text with `<id>`, and a navigator's username with the
/// word `navigator` (which navigator of the team took the case depends on load order).
fn without_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.len() >= 36
            && rest.is_char_boundary(36)
            && uuid::Uuid::try_parse(&rest[..36]).is_ok()
        {
            out.push_str("<id>");
            rest = &rest[36..];
        } else if let Some(after) = rest.strip_prefix("demo.navigator") {
            out.push_str("navigator");
            rest = after.trim_start_matches(|d: char| d.is_ascii_digit());
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_by_case_the_bulk_rows_say_what_the_use_cases_wrote() {
    let config = config(21, 300);
    let played = testing::sqlite().await;
    let app = app_on(played.db.clone(), PolicyRegistry::shipped().unwrap());
    let by_use_cases = write(&app, &config, WritePath::UseCases).await;
    let bulk_db = testing::sqlite().await;
    let app = app_on(bulk_db.db.clone(), PolicyRegistry::shipped().unwrap());
    let by_bulk = write(&app, &config, WritePath::Bulk).await;
    assert_eq!(by_bulk.states, by_use_cases.states);
    assert_eq!(by_bulk.failed_cases, by_use_cases.failed_cases);
    assert_eq!(by_bulk.missing_use_cases, by_use_cases.missing_use_cases);
    let (a, b) = (story(&played.db).await, story(&bulk_db.db).await);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same cases"
    );
    for (key, lines) in &a {
        let other = &b[key];
        for (x, y) in lines.iter().zip(other) {
            assert_eq!(x, y, "case {key}");
        }
        assert_eq!(lines.len(), other.len(), "case {key}");
    }
}
