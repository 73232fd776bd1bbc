//! Small builders for realistic rows, and a dataset that touches every table.

use checkpoint_domain::lifecycle::{CaseState, TrialArm};
use checkpoint_domain::person::{EthnicGroup, Ethnicity, PersonDetails, Sex};
use checkpoint_store::appointments::{self, Attendance, MissedReason};
use checkpoint_store::cases::{self, CaseRow, KeyDates, NewCase, NewCaseEvent};
use checkpoint_store::contracts::{self, NewCondition, NewContract};
use checkpoint_store::decisions::{self, AdviceTaken, NewDecision};
use checkpoint_store::needs::{self, NewAssessmentItem, Severity};
use checkpoint_store::referrals::{self, NewReferral};
use checkpoint_store::trials::{self, NewAllocation};
use checkpoint_store::users::{self, NewUser, UserRow};
use checkpoint_store::{AuditAction, AuditEntry, CivilDate, Instant, Tx, audit, people};
use jiff::civil::date;
use serde_json::json;
use uuid::Uuid;

pub fn person_details(family_name: &str) -> PersonDetails {
    PersonDetails {
        given_name: "Alex".into(),
        family_name: family_name.into(),
        date_of_birth: date(2001, 2, 28),
        sex: Sex::Female,
        ethnicity_self_defined: Some(Ethnicity::MixedWhiteAndBlackCaribbean),
        ethnicity_officer_observed: Some(EthnicGroup::Mixed),
        postcode: Some("DH1 3LE".into()),
        pnc_id: Some("01/123456A".into()),
        resides_in_force_area: Some(true),
    }
}

pub async fn user(tx: &mut Tx, username: &str) -> UserRow {
    users::insert(
        tx,
        &NewUser {
            username,
            display_name: "Sam Navigator",
            role: "navigator",
            team: Some("north"),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        },
    )
    .await
    .expect("insert user")
}

pub fn new_case(person_id: Uuid, year: i64) -> NewCase<'static> {
    NewCase {
        reference_prefix: cases::DEFAULT_REFERENCE_PREFIX,
        reference_year: year,
        person_id,
        referral_id: None,
        scheme_id: "durham-checkpoint",
        navigator_id: None,
        team: None,
        key_dates: KeyDates::default(),
        opening: NewCaseEvent::new(None, "opened"),
    }
}

/// A person and a case for them, with its audit row, in `tx`.
pub async fn person_with_case(tx: &mut Tx, year: i64) -> CaseRow {
    let person = people::insert(tx, &person_details("Example"))
        .await
        .expect("person");
    let (case, _) = cases::create(tx, &new_case(person.id, year))
        .await
        .expect("case");
    audit::append(
        tx,
        AuditEntry::new(None, "system", AuditAction::Collection, "case", case.id),
    )
    .await
    .expect("audit");
    case
}

/// Fills every table with a little of everything, the way the workflow will.
pub async fn populate(tx: &mut Tx) {
    let sergeant = user(tx, "Sgt.Lee").await;
    let navigator = user(tx, "nav.okafor").await;
    users::create_session(tx, "a1b2c3", navigator.id, Instant::now())
        .await
        .expect("session");

    let person = people::insert(tx, &person_details("Nowak"))
        .await
        .expect("person");
    let input = json!({ "offence": { "category": "theft_from_shop" }, "note": "ünïcode ✓" });
    let referral = referrals::insert(
        tx,
        &NewReferral {
            person_id: person.id,
            scheme_id: "durham-checkpoint",
            policy_id: "durham-checkpoint-2017",
            input: &input,
            referred_by: Some(sergeant.id),
        },
    )
    .await
    .expect("referral");
    let decision = decisions::insert(
        tx,
        &NewDecision {
            referral_id: referral.id,
            policy_id: "durham-checkpoint-2017",
            policy_version: "2017.1",
            policy_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            advised_outcome: "ineligible",
            outcome: "eligible",
            evaluation: &json!({ "criteria": [{ "id": "age", "verdict": "met" }] }),
            decided_by: sergeant.id,
            advice: AdviceTaken::Overridden {
                code: "victim_supports",
                reason: "Victim asked for diversion",
            },
        },
    )
    .await
    .expect("decision");

    let mut new = new_case(person.id, 2026);
    new.referral_id = Some(referral.id);
    new.navigator_id = Some(navigator.id);
    new.team = Some("north");
    new.key_dates.offence_date = Some(CivilDate(date(2026, 1, 31)));
    new.key_dates.prosecution_deadline = Some(CivilDate(date(2026, 7, 30)));
    let (case, _) = cases::create(tx, &new).await.expect("case");
    checkpoint_store::screening::insert_advice(
        tx,
        &checkpoint_store::screening::NewAdvice {
            case_id: case.id,
            referral_id: referral.id,
            policy_id: "durham-checkpoint-2017",
            policy_version: "2017.1",
            policy_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            advised_outcome: "ineligible",
            evaluation: &json!({ "criteria": [{ "id": "age", "verdict": "met" }] }),
            created_by: Some(sergeant.id),
        },
    )
    .await
    .expect("advice");
    checkpoint_store::screening::countersign(tx, decision.id, navigator.id, true, Some("Agreed"))
        .await
        .expect("countersignature");
    trials::set_up(
        tx,
        &trials::NewTrial {
            trial_id: "checkpoint-rct",
            scheme_id: "durham-checkpoint",
            seed: "2026",
            settings: &json!({ "allocation_ratio": [1, 1], "block_sizes": [4, 6] }),
            set_up_by: Some(sergeant.id),
        },
    )
    .await
    .expect("trial set-up");
    let mut screen = NewCaseEvent::new(Some(sergeant.id), "screen");
    screen.to_state = Some(CaseState::Eligible);
    screen.policy_version = Some("2017.1");
    screen.reason = Some("Decision recorded");
    let (case, _) = cases::append_event(tx, case.id, case.version, &screen)
        .await
        .expect("event");
    let mut dates = case.key_dates();
    dates.contract_end = Some(CivilDate(date(2026, 5, 31)));
    let (case, _) = cases::set_key_dates(tx, case.id, case.version, &dates, None, Some("signed"))
        .await
        .expect("dates");

    let conditions = [
        NewCondition {
            condition_type: "no_reoffending",
            description: "Commit no further offence",
            pathway: None,
            hours: None,
            due_date: None,
            status: "open",
        },
        NewCondition {
            condition_type: "pathway_intervention",
            description: "Attend the alcohol workshop",
            pathway: Some("alcohol"),
            hours: Some(4),
            due_date: Some(CivilDate(date(2026, 4, 1))),
            status: "open",
        },
    ];
    let contract = NewContract {
        case_id: case.id,
        start_date: CivilDate(date(2026, 2, 1)),
        end_date: CivilDate(date(2026, 5, 31)),
        signed_on: Some(CivilDate(date(2026, 2, 1))),
        variation_reason: None,
        created_by: Some(navigator.id),
        conditions: &conditions,
    };
    contracts::insert_version(tx, &contract)
        .await
        .expect("contract");
    let varied = NewContract {
        variation_reason: Some("Workshop moved"),
        ..contract
    };
    contracts::insert_version(tx, &varied)
        .await
        .expect("variation");

    let appointment =
        appointments::schedule(tx, case.id, Instant::now(), "first meeting", Some("Durham"))
            .await
            .expect("appointment");
    appointments::record_attendance(
        tx,
        appointment.id,
        Attendance::DidNotAttend,
        Some(MissedReason::Logistical),
        Some("Bus cancelled"),
        Some(navigator.id),
    )
    .await
    .expect("attendance");

    let provider = checkpoint_store::provider_referrals::refer(
        tx,
        case.id,
        "Recovery Hub",
        "drugs",
        Some(navigator.id),
    )
    .await
    .expect("provider referral");
    checkpoint_store::provider_referrals::respond(tx, provider.id, true, Some("Starts Monday"))
        .await
        .expect("respond");

    needs::record(
        tx,
        case.id,
        Some(navigator.id),
        Some("first assessment"),
        &[
            NewAssessmentItem {
                pathway: "alcohol",
                severity: Severity::High,
                notes: Some("daily"),
            },
            NewAssessmentItem {
                pathway: "housing",
                severity: Severity::None,
                notes: None,
            },
        ],
    )
    .await
    .expect("needs");

    trials::allocate(
        tx,
        &NewAllocation {
            case_id: case.id,
            trial_id: "checkpoint-rct",
            stratum: "female/18-24",
            block_number: 3,
            position_in_block: 2,
            arm: TrialArm::Treatment,
            seed: "seed-2026",
            allocated_by: Some(sergeant.id),
        },
    )
    .await
    .expect("allocation");

    monitoring_rows(tx, person.id, case.id, navigator.id).await;

    for action in AuditAction::ALL {
        audit::append(
            tx,
            AuditEntry::new(Some(navigator.id), "nav.okafor", action, "case", case.id)
                .with_justification("case management")
                .with_details(json!({ "reference": case.reference })),
        )
        .await
        .expect("audit");
    }
}

/// One row in each reoffending-monitoring table: a model, two arrests (one linked, one queued
/// and decided) and a reoffending event.
async fn monitoring_rows(tx: &mut Tx, person_id: Uuid, case_id: Uuid, reviewer: Uuid) {
    use checkpoint_store::arrests::{
        self, ArrestRow, ClericalRow, LinkRow, NewModel, ReoffendingRow,
    };
    let version = arrests::insert_model(
        tx,
        &NewModel {
            method: "em",
            model_json: "{}",
            people: 1,
            arrests: 2,
            labels: 0,
            created_by: "system:test",
        },
    )
    .await
    .expect("model");
    let arrest = |arrest_ref: &str| ArrestRow {
        id: Uuid::now_v7(),
        source: "feed".to_owned(),
        arrest_ref: arrest_ref.to_owned(),
        given_name: "Ewa".to_owned(),
        surname: "Nowak".to_owned(),
        dob: "03/04/1990".to_owned(),
        postcode: "QX1 1AA".to_owned(),
        pnc_id: String::new(),
        arrest_date: CivilDate(date(2026, 5, 1)),
        offence: "theft".to_owned(),
        band: "link".to_owned(),
        best_person_id: Some(person_id),
        best_probability: Some(0.987_654_321),
        model_version: version,
        imported_at: Instant::now(),
    };
    let (linked, queued) = (arrest("A-1"), arrest("A-2"));
    let inserted = arrests::insert_arrests(tx, &[linked.clone(), queued.clone()])
        .await
        .expect("arrests");
    assert_eq!(inserted.len(), 2);
    arrests::insert_links(
        tx,
        &[LinkRow {
            arrest_id: linked.id,
            person_id,
            match_probability: 0.987_654_321,
            match_weight: 6.25,
            explanation_json: "{}".to_owned(),
            via: "automatic".to_owned(),
            decided_by: None,
            model_version: version,
            linked_at: Instant::now(),
        }],
    )
    .await
    .expect("link");
    arrests::queue_reviews(
        tx,
        &[ClericalRow {
            arrest_id: queued.id,
            person_id,
            match_probability: 0.7,
            match_weight: 1.25,
            explanation_json: "{}".to_owned(),
            status: "pending".to_owned(),
            model_version: version,
            queued_at: Instant::now(),
            decided_by: None,
            decided_at: None,
            reason: None,
        }],
    )
    .await
    .expect("queue");
    arrests::decide_review(
        tx,
        queued.id,
        "rejected",
        reviewer,
        Some("different person"),
    )
    .await
    .expect("decide");
    arrests::insert_reoffending(
        tx,
        &ReoffendingRow {
            id: Uuid::now_v7(),
            arrest_id: linked.id,
            case_id,
            person_id,
            phase: "follow_up".to_owned(),
            arrest_date: CivilDate(date(2026, 5, 1)),
            offence: "theft".to_owned(),
            recorded_at: Instant::now(),
        },
    )
    .await
    .expect("reoffending");
}
