//! Reports and exports over a small cohort built with store fixtures and the real navigator
//! use cases, on every backend.
//!
//! The cohort (all referred in the test's "today" month, 4 March 2026):
//! - 12 screened out: 9 on the policy's advice (first unmet criterion: previous convictions),
//!   3 by an officer's override (two cells under 10);
//! - 22 offered and declined on 4 March 2026 (their index date); 10 of them re-arrested on
//!   1 April 2026;
//! - 25 participants whose contracts started on 4 March 2026; 10 of them re-arrested on
//!   1 April 2026.
//!
//! The re-arrests arrive as an arrest feed, imported on 10 April 2026 through monitoring (the
//! real linkage, which links them and records reoffending events: on contract for the
//! participants, where it also opens a review; for the decliners, whose cases were closed here
//! without a follow-up window, from their decline). The feed also carries an arrest before a
//! decliner's index offence, which must not count. Reports are then read on 1 June 2027, when
//! every 12-month window has closed: re-arrest within 12 months is 10 of 25 participants (40%)
//! and 10 of 22 decliners.

use crate::helpers::{TestApp, apps};
use crate::navigation_fixtures::{SCHEME, TODAY, draft, needs_items, set_today, signature};
use checkpoint_app::case_ops::CaseStep;
use checkpoint_app::exports::{Disclosure, ExportKey};
use checkpoint_app::monitoring::feed::parse_feed;
use checkpoint_app::monitoring::{ImportOptions, Operator};
use checkpoint_app::reports::{ReportConfig, ReportName, ReportQuery};
use checkpoint_app::reviews::SystemActor;
use checkpoint_app::{Actor, AppError};
use checkpoint_domain::lifecycle::{ScreeningOutcome, Transition};
use checkpoint_domain::person::{EthnicGroup, Ethnicity, PersonDetails, Sex};
use checkpoint_evaluation::records::{Ending, FunnelStage};
use checkpoint_evaluation::report::followup::Window;
use checkpoint_store::cases::{self, CaseRow, KeyDates, NewCase, NewCaseEvent};
use checkpoint_store::{audit, people};
use jiff::civil::{Date, date};
use uuid::Uuid;

/// How a fixture case ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    IneligibleByPolicy,
    IneligibleByOverride,
    Declined { rearrested: bool },
    Participant { rearrested: bool },
}

impl Path {
    fn rearrested(self) -> bool {
        matches!(
            self,
            Path::Declined { rearrested: true } | Path::Participant { rearrested: true }
        )
    }
}

/// A seeded person: identifiers the exports must never carry.
#[derive(Debug, Clone)]
struct Seeded {
    case_id: Uuid,
    person_id: Uuid,
    family_name: String,
    date_of_birth: Date,
    pnc_id: String,
    postcode: String,
    path: Path,
}

#[derive(Debug)]
struct Cohort {
    people: Vec<Seeded>,
}

const ARREST_DAY: Date = date(2026, 4, 1);
const FEED_DAY: Date = date(2026, 4, 10);
const REPORT_DAY: Date = date(2027, 6, 1);

fn person(n: usize) -> PersonDetails {
    PersonDetails {
        given_name: format!("Given{n:02}"),
        family_name: format!("Zedfamily{n:02}x"),
        date_of_birth: date(
            1980 + (n % 20) as i16,
            1 + (n % 12) as i8,
            1 + (n % 27) as i8,
        ),
        sex: if n.is_multiple_of(3) {
            Sex::Female
        } else {
            Sex::Male
        },
        ethnicity_self_defined: Some(if n.is_multiple_of(4) {
            Ethnicity::BlackAfrican
        } else {
            Ethnicity::WhiteBritish
        }),
        ethnicity_officer_observed: Some(if n.is_multiple_of(4) {
            EthnicGroup::Black
        } else {
            EthnicGroup::White
        }),
        postcode: Some(format!("DH{} {}QX", 1 + n % 7, n % 10)),
        pnc_id: Some(format!("26/{:07}Q", 1_000_000 + n)),
        resides_in_force_area: Some(true),
    }
}

async fn step(t: &TestApp, case: CaseRow, step: CaseStep<'_>) -> CaseRow {
    let mut tx = t.app.begin().await.expect("begin");
    let version = case.version;
    let updated = t
        .app
        .apply_transition(&mut tx, &t.custody, &case, version, step)
        .await
        .expect("transition")
        .0;
    tx.commit().await.expect("commit");
    updated
}

async fn seed_case(t: &TestApp, n: usize, path: Path, navigator: &Actor) -> Seeded {
    let details = person(n);
    let mut tx = t.app.begin().await.expect("begin");
    let row = people::insert(&mut tx, &details).await.expect("person");
    let (case, _) = cases::create(
        &mut tx,
        &NewCase {
            reference_prefix: "CP",
            reference_year: 2026,
            person_id: row.id,
            referral_id: None,
            scheme_id: SCHEME,
            navigator_id: Some(navigator.user_id),
            team: navigator.team.as_deref(),
            key_dates: KeyDates {
                offence_date: Some(date(2026, 2, 20).into()),
                ..KeyDates::default()
            },
            opening: NewCaseEvent::new(Some(t.custody.user_id), "opened"),
        },
    )
    .await
    .expect("case");
    tx.commit().await.expect("commit");
    let screen = |outcome: ScreeningOutcome, payload: serde_json::Value| {
        CaseStep::new(Transition::Screen { outcome }).with_payload(payload)
    };
    let case = match path {
        Path::IneligibleByPolicy => {
            step(
                t,
                case,
                screen(
                    ScreeningOutcome::Ineligible,
                    serde_json::json!({
                        "outcome": "ineligible", "follows_advice": true,
                        "unmet_criteria": ["previous_convictions", "gravity"]
                    }),
                ),
            )
            .await
        }
        Path::IneligibleByOverride => {
            step(
                t,
                case,
                screen(
                    ScreeningOutcome::Ineligible,
                    serde_json::json!({
                        "outcome": "ineligible", "follows_advice": false,
                        "override_code": "victim_views"
                    }),
                ),
            )
            .await
        }
        Path::Declined { .. } | Path::Participant { .. } => {
            let case = step(
                t,
                case,
                screen(
                    ScreeningOutcome::Eligible,
                    serde_json::json!({ "outcome": "eligible", "follows_advice": true }),
                ),
            )
            .await;
            let case = step(t, case, CaseStep::new(Transition::Offer)).await;
            if matches!(path, Path::Declined { .. }) {
                step(
                    t,
                    case,
                    CaseStep::new(Transition::Decline).because("does not want to take part"),
                )
                .await
            } else {
                let case = step(t, case, CaseStep::new(Transition::Accept)).await;
                let v = t
                    .app
                    .record_needs_assessment(navigator, case.id, case.version, needs_items())
                    .await
                    .expect("needs")
                    .version;
                let v = t
                    .app
                    .write_contract(navigator, case.id, v, draft())
                    .await
                    .expect("draft")
                    .version;
                let signed = t
                    .app
                    .sign_contract(navigator, case.id, v, signature(TODAY))
                    .await
                    .expect("sign");
                t.app
                    .start_contract(navigator, case.id, signed.version)
                    .await
                    .expect("start");
                case
            }
        }
    };
    Seeded {
        case_id: case.id,
        person_id: row.id,
        family_name: details.family_name,
        date_of_birth: details.date_of_birth,
        pnc_id: details.pnc_id.expect("pnc"),
        postcode: details.postcode.expect("postcode"),
        path,
    }
}

async fn cohort(t: &TestApp) -> Cohort {
    let mut paths = Vec::new();
    paths.extend([Path::IneligibleByPolicy; 9]);
    paths.extend([Path::IneligibleByOverride; 3]);
    paths.extend([Path::Declined { rearrested: true }; 10]);
    paths.extend([Path::Declined { rearrested: false }; 12]);
    paths.extend([Path::Participant { rearrested: true }; 10]);
    paths.extend([Path::Participant { rearrested: false }; 15]);
    let mut people = Vec::new();
    for (n, path) in paths.into_iter().enumerate() {
        // Spread the caseload: the limit is 30 per navigator.
        let navigator = if n % 2 == 0 {
            &t.navigator
        } else {
            &t.navigator_2
        };
        people.push(seed_case(t, n, path, navigator).await);
    }
    set_today(t, FEED_DAY);
    let mut feed =
        String::from("arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n");
    for (n, seeded) in people.iter().enumerate() {
        let details = person(n);
        let dob = details.date_of_birth.strftime("%d/%m/%Y");
        let mut arrest = |reference: String, day: Date| {
            feed.push_str(&format!(
                "{reference},{},{},{dob},{},{},{day},theft\n",
                details.given_name, details.family_name, seeded.postcode, seeded.pnc_id
            ));
        };
        if seeded.path.rearrested() {
            arrest(format!("ARR/26/{n:04}"), ARREST_DAY);
        }
        if seeded.path == (Path::Declined { rearrested: false }) && n % 2 == 0 {
            // Before the index offence (20 February): not a reoffence.
            arrest(format!("ARR/26/{n:04}-early"), date(2026, 2, 1));
        }
    }
    let parsed = parse_feed(feed.as_bytes(), FEED_DAY).expect("feed");
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
    let summary = t
        .app
        .import_arrests(
            Operator::System(&SystemActor::new("arrest-feed")),
            &parsed,
            &ImportOptions::new("custody-daily"),
            &|_| {},
        )
        .await
        .expect("import");
    assert_eq!(
        summary.linked, summary.new,
        "every arrest links: {summary:?}"
    );
    assert_eq!(summary.reoffending_events, 20, "{summary:?}");
    assert_eq!(summary.reviews_opened, 10, "{summary:?}");
    set_today(t, REPORT_DAY);
    Cohort { people }
}

fn query() -> ReportQuery {
    ReportQuery {
        scheme: Some(SCHEME.to_owned()),
        ..ReportQuery::default()
    }
}

/// Every published count in a JSON report is `{"value": n}`; none may be between 1 and 9.
fn small_counts(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.len() == 1
                && let Some(n) = map.get("value").and_then(serde_json::Value::as_u64)
                && (1..10).contains(&n)
            {
                found.push(format!("{path} = {n}"));
            }
            for (k, v) in map {
                small_counts(v, &format!("{path}.{k}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                small_counts(v, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn key(byte: u8) -> ExportKey {
    ExportKey::new(&[byte; 32]).expect("key")
}

fn disclosure() -> Disclosure {
    Disclosure {
        justification: "evaluation of the 2026 cohort for the PCC".to_owned(),
        recipient: Some("University evaluation team".to_owned()),
    }
}

async fn audit_rows(t: &TestApp, action: &str) -> Vec<audit::AuditRecord> {
    let mut tx = t.app.db().begin_read().await.expect("begin");
    let rows = audit::page(&mut tx, 0, 100_000).await.expect("audit");
    tx.rollback().await.expect("rollback");
    rows.into_iter().filter(|r| r.action == action).collect()
}

#[tokio::test]
async fn reports_count_the_cohort_suppress_small_cells_and_are_audited() {
    for t in apps().await {
        let b = t.backend;
        let cohort = cohort(&t).await;
        assert_eq!(cohort.people.len(), 59);
        let before = audit_rows(&t, "combination").await.len();
        let bundle = t
            .app
            .report(
                &t.analyst,
                ReportName::All,
                &query(),
                &ReportConfig::default(),
            )
            .await
            .expect("report");
        assert_eq!(audit_rows(&t, "combination").await.len(), before + 1, "{b}");

        // The funnel's known answer.
        let funnel = bundle.funnel.as_ref().expect("funnel");
        let all = funnel.rows.last().expect("grand total").counts;
        let v = |c: checkpoint_evaluation::suppression::Count| c.value();
        assert_eq!(v(all.referred), Some(59), "{b}");
        assert_eq!(v(all.eligible), Some(47), "{b}");
        assert_eq!(v(all.ineligible), Some(12), "{b}");
        assert_eq!(v(all.declined), Some(22), "{b}");
        assert_eq!(v(all.accepted), Some(25), "{b}");
        // 9 and 3 ineligibility reasons (the first unmet criterion, the override): both
        // withheld.
        let reasons = &funnel.schemes[0].ineligibility_reasons;
        let labels: Vec<&str> = reasons.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["override: victim_views", "previous_convictions"],
            "{b}"
        );
        assert!(
            reasons.iter().all(|r| r.count.is_suppressed()),
            "{b}: {reasons:?}"
        );

        // Re-arrest within 12 months: 10 of 25 participants (40%), 10 of 22 decliners.
        let reoffending = bundle.reoffending.as_ref().expect("reoffending");
        let twelve = reoffending
            .windows
            .iter()
            .find(|w| w.window == Window::Months(12))
            .expect("12 months");
        let ongoing = twelve
            .groups
            .iter()
            .find(|g| g.group == "ongoing")
            .expect("participants");
        assert_eq!(ongoing.followed_up.value(), Some(25), "{b}");
        assert_eq!(ongoing.reoffended.value(), Some(10), "{b}");
        let rate = ongoing.rate.expect("rate");
        assert!((rate.estimate - 0.4).abs() < 1e-12, "{b}: {rate:?}");
        let declined = twelve
            .groups
            .iter()
            .find(|g| g.group == "declined")
            .expect("decliners");
        assert_eq!(declined.followed_up.value(), Some(22), "{b}");
        assert_eq!(declined.reoffended.value(), Some(10), "{b}");
        assert_eq!(
            declined.reoffences.value(),
            Some(10),
            "{b}: the early arrest is not one"
        );
        // The feed's offence text gives the Crime Harm Index its category.
        let harmed = t
            .app
            .report(
                &t.analyst,
                ReportName::Reoffending,
                &query(),
                &ReportConfig {
                    harm_days: [(checkpoint_domain::offence::OffenceCategory::Theft, 7.0)]
                        .into_iter()
                        .collect(),
                    ..ReportConfig::default()
                },
            )
            .await
            .expect("report");
        let harm = &harmed.reoffending.as_ref().expect("reoffending").harm;
        let declined_harm = harm.iter().find(|h| h.group == "declined").expect("harm");
        assert_eq!(declined_harm.harm_days, Some(70.0), "{b}: {harm:?}");

        // Suppression holds in JSON and CSV: no count between 1 and 9 anywhere.
        let json = serde_json::to_value(&bundle).expect("json");
        let mut found = Vec::new();
        small_counts(&json, "$", &mut found);
        assert!(found.is_empty(), "{b}: small counts published: {found:?}");
        let csv = bundle.to_csv();
        let tables = csv.split("# Settings").next().expect("tables");
        for line in tables.lines() {
            for field in line.split(',') {
                if let Ok(n) = field.parse::<u64>() {
                    assert!(!(1..10).contains(&n), "{b}: CSV shows {n} in {line:?}");
                }
            }
        }
        assert!(csv.contains("<10"), "{b}: suppressed cells print as <10");
        // Warnings travel with every format.
        assert!(
            csv.contains("Reoffending source: arrests in the imported arrest feed"),
            "{b}"
        );
        assert!(csv.contains("Index date:"), "{b}: methodology notes");
        assert!(csv.contains("minimum_n"), "{b}: {csv}");
        assert!(json.to_string().contains("minimum_n"), "{b}");

        // Analysts get reports, never names or identifiers.
        let text = format!("{json}{csv}");
        for p in &cohort.people {
            assert!(!text.contains(&p.family_name), "{b}");
            assert!(!text.contains(&p.pnc_id), "{b}");
            assert!(!text.contains(&p.case_id.to_string()), "{b}");
        }

        // Snapshots of the shapes (identical on both backends).
        insta::assert_snapshot!("report_all_csv", csv);
        let funnel_json = serde_json::to_string_pretty(&json["funnel"]).expect("funnel json");
        insta::assert_snapshot!("report_funnel_json", funnel_json);
        let reoffending_json =
            serde_json::to_string_pretty(&json["reoffending"]["windows"]).expect("json");
        insta::assert_snapshot!("report_reoffending_windows_json", reoffending_json);
    }
}

#[tokio::test]
async fn only_analysts_and_supervisors_get_reports() {
    for t in apps().await {
        for actor in [&t.custody, &t.navigator, &t.admin] {
            let refused = t
                .app
                .report(
                    actor,
                    ReportName::Funnel,
                    &query(),
                    &ReportConfig::default(),
                )
                .await;
            assert!(
                matches!(refused, Err(AppError::Forbidden { .. })),
                "{}",
                t.backend
            );
        }
        t.app
            .report(
                &t.supervisor,
                ReportName::Funnel,
                &query(),
                &ReportConfig::default(),
            )
            .await
            .expect("supervisor");
    }
}

#[tokio::test]
async fn the_pseudonymised_extract_matches_the_cases_and_carries_no_identifiers() {
    for t in apps().await {
        let b = t.backend;
        let cohort = cohort(&t).await;
        let before = audit_rows(&t, "disclosure").await.len();
        let first = t
            .app
            .export_cases(&t.analyst, &query(), &key(1), &disclosure())
            .await
            .expect("export");
        let disclosures = audit_rows(&t, "disclosure").await;
        assert_eq!(disclosures.len(), before + 1, "{b}");
        let logged = disclosures.last().expect("row");
        assert_eq!(
            logged.justification.as_deref(),
            Some("evaluation of the 2026 cohort for the PCC"),
            "{b}"
        );
        assert!(
            logged.details_json.contains("University evaluation team"),
            "{b}"
        );

        // One row per case, each matching the case created.
        assert_eq!(first.rows.len(), cohort.people.len(), "{b}");
        let k = key(1);
        for p in &cohort.people {
            let row = first
                .rows
                .iter()
                .find(|r| r.case_pseudonym == k.pseudonym("case", p.case_id))
                .expect("every case is exported");
            assert_eq!(
                row.person_pseudonym,
                k.pseudonym("person", p.person_id),
                "{b}"
            );
            assert_eq!(row.year_of_birth, p.date_of_birth.year(), "{b}");
            assert_eq!(
                row.postcode_district.as_deref(),
                p.postcode.split(' ').next(),
                "{b}"
            );
            let (stage, ending, index, rearrests) = match p.path {
                Path::IneligibleByPolicy | Path::IneligibleByOverride => {
                    (FunnelStage::Referred, Some(Ending::Ineligible), None, 0)
                }
                Path::Declined { rearrested } => (
                    FunnelStage::Offered,
                    Some(Ending::Declined),
                    Some(()),
                    u32::from(rearrested),
                ),
                Path::Participant { rearrested } => {
                    (FunnelStage::Accepted, None, Some(()), u32::from(rearrested))
                }
            };
            let stage = serde_json::to_value(stage).expect("stage");
            assert_eq!(row.funnel_stage, stage.as_str().expect("text"), "{b}");
            assert_eq!(
                row.ending.as_deref(),
                ending.map(|e| match e {
                    Ending::Ineligible => "ineligible",
                    _ => "declined",
                }),
                "{b}"
            );
            assert_eq!(row.index_date.is_some(), index.is_some(), "{b}: {row:?}");
            if matches!(p.path, Path::Participant { .. }) {
                assert_eq!(row.index_date, Some(TODAY), "{b}: contract start");
            }
            assert_eq!(row.rearrests, rearrests, "{b}");
            if p.path.rearrested() {
                assert_eq!(row.first_rearrest, Some(ARREST_DAY), "{b}");
            }
            if p.path == Path::IneligibleByPolicy {
                assert_eq!(
                    row.ineligibility_reason.as_deref(),
                    Some("previous_convictions"),
                    "{b}"
                );
            }
            if p.path == Path::IneligibleByOverride {
                assert_eq!(
                    row.ineligibility_reason.as_deref(),
                    Some("override: victim_views"),
                    "{b}"
                );
            }
        }

        // No direct identifiers anywhere in the file.
        let csv = first.to_csv();
        for p in &cohort.people {
            assert!(!csv.contains(&p.family_name), "{b}: name");
            assert!(!csv.contains("Given"), "{b}: given name");
            assert!(
                !csv.contains(&p.date_of_birth.to_string()),
                "{b}: date of birth"
            );
            assert!(!csv.contains(&p.pnc_id), "{b}: PNC id");
            assert!(!csv.contains(&p.postcode), "{b}: full postcode");
            assert!(!csv.contains(&p.case_id.to_string()), "{b}: case id");
            assert!(!csv.contains(&p.person_id.to_string()), "{b}: person id");
        }
        assert!(!csv.contains("CP-2026-"), "{b}: case reference");

        // Stable per key, different across keys.
        let again = t
            .app
            .export_cases(&t.supervisor, &query(), &key(1), &disclosure())
            .await
            .expect("export");
        let other = t
            .app
            .export_cases(&t.analyst, &query(), &key(2), &disclosure())
            .await
            .expect("export");
        let pseudonyms = |e: &checkpoint_app::exports::CaseExport| -> Vec<String> {
            e.rows.iter().map(|r| r.person_pseudonym.clone()).collect()
        };
        assert_eq!(pseudonyms(&first), pseudonyms(&again), "{b}");
        assert!(
            pseudonyms(&first)
                .iter()
                .zip(pseudonyms(&other))
                .all(|(a, b)| *a != b),
            "{b}"
        );
    }
}

#[tokio::test]
async fn exports_need_authority_and_a_justification() {
    for t in apps().await {
        let b = t.backend;
        for actor in [&t.custody, &t.navigator, &t.admin] {
            let refused = t
                .app
                .export_cases(actor, &query(), &key(1), &disclosure())
                .await;
            assert!(matches!(refused, Err(AppError::Forbidden { .. })), "{b}");
        }
        let unjustified = Disclosure {
            justification: " ".to_owned(),
            recipient: None,
        };
        let refused = t
            .app
            .export_cases(&t.analyst, &query(), &key(1), &unjustified)
            .await;
        assert!(matches!(refused, Err(AppError::Invalid(_))), "{b}");
        // The JDL file carries identifiers: not for analysts.
        let refused = t.app.export_jdl(&t.analyst, &query(), &disclosure()).await;
        assert!(matches!(refused, Err(AppError::Forbidden { .. })), "{b}");
    }
}

#[tokio::test]
async fn the_jdl_file_lists_participants_with_their_index_dates_and_is_a_logged_disclosure() {
    for t in apps().await {
        let b = t.backend;
        let cohort = cohort(&t).await;
        let rows = t
            .app
            .export_jdl(&t.supervisor, &query(), &disclosure())
            .await
            .expect("jdl");
        let participants: Vec<&Seeded> = cohort
            .people
            .iter()
            .filter(|p| matches!(p.path, Path::Participant { .. }))
            .collect();
        assert_eq!(rows.len(), participants.len(), "{b}");
        for p in participants {
            let row = rows
                .iter()
                .find(|r| r.surname == p.family_name)
                .expect("participant listed");
            assert_eq!(row.date_of_birth, p.date_of_birth, "{b}");
            assert_eq!(row.index_date, TODAY, "{b}");
        }
        let logged = audit_rows(&t, "disclosure").await;
        let last = logged.last().expect("logged");
        assert!(
            last.details_json.contains("University evaluation team"),
            "{b}"
        );
        assert!(last.subject_id.starts_with("justice data lab file"), "{b}");
    }
}

#[tokio::test]
async fn the_report_read_model_is_derived_from_the_records_and_a_wrong_row_is_found() {
    use checkpoint_store::testing::raw;
    for t in apps().await {
        let b = t.backend;
        let cohort = cohort(&t).await;
        let participant = cohort
            .people
            .iter()
            .find(|p| matches!(p.path, Path::Participant { .. }))
            .expect("a participant")
            .case_id;
        // Everything written since the last refresh is marked stale, and not compared.
        let before = t.app.check_report_projection().await.expect("check");
        assert!(before.stale >= 59, "{b}: {before:?}");
        assert!(before.wrong.is_empty(), "{b}: {before:?}");

        let derived = t.app.refresh_report_projection().await.expect("refresh");
        assert!(derived >= 59, "{b}: {derived}");
        let after = t.app.check_report_projection().await.expect("check");
        assert_eq!(after.stale, 0, "{b}");
        assert!(after.checked >= 59, "{b}: {after:?}");
        assert!(after.wrong.is_empty(), "{b}: {after:?}");
        assert_eq!(
            t.app.refresh_report_projection().await.expect("again"),
            0,
            "{b}"
        );

        // A real change after the refresh marks the case stale; the rows stay right.
        let case = {
            let mut tx = t.app.begin_read().await.expect("begin");
            let row = cases::get(&mut tx, participant).await.expect("case");
            tx.rollback().await.expect("rollback");
            row
        };
        step(
            &t,
            case,
            CaseStep::new(Transition::Withdraw).because("moved away"),
        )
        .await;
        let changed = t.app.check_report_projection().await.expect("check");
        assert_eq!(changed.stale, 1, "{b}: {changed:?}");
        assert!(changed.wrong.is_empty(), "{b}: {changed:?}");
        t.app.refresh_report_projection().await.expect("refresh");

        // A row edited behind the application's back is found.
        raw(
            t.app.db(),
            "UPDATE report_case_facts SET facts = \
             (SELECT facts FROM report_case_facts ORDER BY case_id LIMIT 1)",
        )
        .await;
        let tampered = t.app.check_report_projection().await.expect("check");
        assert!(!tampered.wrong.is_empty(), "{b}: {tampered:?}");

        // A row that cannot be decoded (read on one thread, decoded on another) fails the
        // report with the column and case named, rather than hanging or panicking.
        raw(
            t.app.db(),
            "UPDATE report_case_facts SET facts = substr(facts, 1, 5) WHERE case_id IN \
             (SELECT case_id FROM report_case_facts ORDER BY case_id LIMIT 1)",
        )
        .await;
        let unreadable = t
            .app
            .report(
                &t.analyst,
                ReportName::Funnel,
                &query(),
                &ReportConfig::default(),
            )
            .await
            .expect_err("an undecodable row");
        assert!(
            unreadable
                .to_string()
                .contains("report_case_facts.facts of case"),
            "{b}: {unreadable}"
        );
    }
}

#[tokio::test]
async fn a_report_reads_on_one_transaction_while_a_sqlite_writer_holds_the_lock() {
    for t in apps().await {
        let b = t.backend;
        cohort(&t).await;
        let config = ReportConfig::default();
        let paired = t
            .app
            .report(&t.analyst, ReportName::All, &query(), &config)
            .await
            .unwrap();
        // A writer holds the lock: SQLite cannot align two snapshots and the rows are read
        // in one part (PostgreSQL pairs as ever). The report's own audit row waits for the
        // writer, which lets go well after the read.
        let writer = t.app.db().begin().await.unwrap();
        let app = t.app.clone();
        let analyst = t.analyst.clone();
        let reporting = tokio::spawn(async move {
            app.report(
                &analyst,
                ReportName::All,
                &query(),
                &ReportConfig::default(),
            )
            .await
        });
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        writer.rollback().await.unwrap();
        let alone = reporting.await.unwrap().unwrap();
        assert_eq!(alone.cases.value(), paired.cases.value(), "{b}");
        assert_eq!(
            serde_json::to_value(&alone.funnel).unwrap(),
            serde_json::to_value(&paired.funnel).unwrap(),
            "{b}"
        );
        assert_eq!(
            serde_json::to_value(&alone.reoffending).unwrap(),
            serde_json::to_value(&paired.reoffending).unwrap(),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_date_range_selects_the_cases_opened_in_it_and_an_empty_one_is_not_a_crash() {
    for t in apps().await {
        let b = t.backend;
        cohort(&t).await;
        // Dates are bound as instants (both ends), unlike the scheme: every case was opened
        // inside this range, so it counts what the scheme alone counts.
        let around_everyone = ReportQuery {
            scheme: Some(SCHEME.to_owned()),
            from: Some(date(2000, 1, 1)),
            to: Some(date(2100, 1, 1)),
        };
        let config = ReportConfig::default();
        let all = t
            .app
            .report(&t.analyst, ReportName::Funnel, &query(), &config)
            .await
            .unwrap();
        let ranged = t
            .app
            .report(&t.analyst, ReportName::Funnel, &around_everyone, &config)
            .await
            .unwrap();
        assert!(all.cases.value().is_some_and(|n| n > 0), "{b}");
        assert_eq!(ranged.cases.value(), all.cases.value(), "{b}");
        let nobody = ReportQuery {
            scheme: Some(SCHEME.to_owned()),
            from: Some(date(2035, 1, 1)),
            to: None,
        };
        for name in ReportName::ALL {
            let bundle = t
                .app
                .report(&t.analyst, name, &nobody, &ReportConfig::default())
                .await
                .unwrap_or_else(|e| panic!("{b}: {name}: {e}"));
            assert_eq!(bundle.cases.value(), Some(0), "{b}: {name}");
        }
    }
}
