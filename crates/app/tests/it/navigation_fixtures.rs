//! Cases ready for a navigator: a person and a case created with the store, walked to
//! `accepted` with the shared transition mechanism (the custody-side use cases are being
//! written alongside; switch to them once they land), then on through the navigator's own
//! use cases to whatever state a test needs.

use crate::helpers::TestApp;
use checkpoint_app::case_ops::CaseStep;
use checkpoint_app::contracts::{ContractDraft, ParticipantSignature, Signature};
use checkpoint_app::needs::{NeedsItem, Severity};
use checkpoint_app::{Actor, App, Clock, PolicyRegistry, Settings};
use checkpoint_domain::contract::{Pathway, ProposedCondition};
use checkpoint_domain::deadline::prosecution_deadline;
use checkpoint_domain::lifecycle::{ScreeningOutcome, Transition};
use checkpoint_domain::offence::ModeOfTrial;
use checkpoint_domain::person::{PersonDetails, Sex};
use checkpoint_store::cases::{self, CaseRow, KeyDates, NewCase, NewCaseEvent};
use checkpoint_store::people;
use jiff::civil::{Date, date};
use uuid::Uuid;

/// The scheme every fixture case runs under.
pub const SCHEME: &str = "durham-checkpoint";

/// A summary-only offence two weeks before "today" in tests: deadline 20 August 2026.
pub const RECENT_OFFENCE: Date = date(2026, 2, 20);

/// Today in tests (see `helpers::NOW`).
pub const TODAY: Date = date(2026, 3, 4);

/// An offence and how it is tried.
#[derive(Debug, Clone, Copy)]
pub struct Offence {
    pub date: Date,
    pub mode: ModeOfTrial,
}

impl Offence {
    pub fn summary(date: Date) -> Offence {
        Offence {
            date,
            mode: ModeOfTrial::SummaryOnly,
        }
    }
}

/// A person and a case in state `accepted`, assigned to `navigator` and their team.
pub async fn accepted_case(t: &TestApp, navigator: &Actor, offence: Offence) -> CaseRow {
    let db = t.app.db();
    let mut tx = db.begin().await.expect("begin");
    let person = people::insert(
        &mut tx,
        &PersonDetails {
            given_name: "Alex".to_owned(),
            family_name: format!("Test{}", &Uuid::now_v7().simple().to_string()[24..]),
            date_of_birth: date(1990, 5, 17),
            sex: Sex::NotKnown,
            ethnicity_self_defined: None,
            ethnicity_officer_observed: None,
            postcode: None,
            pnc_id: None,
            resides_in_force_area: Some(true),
        },
    )
    .await
    .expect("person");
    let (case, _) = cases::create(
        &mut tx,
        &NewCase {
            reference_prefix: "CP",
            reference_year: 2026,
            person_id: person.id,
            referral_id: None,
            scheme_id: SCHEME,
            navigator_id: Some(navigator.user_id),
            team: navigator.team.as_deref(),
            key_dates: KeyDates {
                offence_date: Some(offence.date.into()),
                prosecution_deadline: prosecution_deadline(offence.mode, offence.date)
                    .map(Into::into),
                ..KeyDates::default()
            },
            opening: NewCaseEvent::new(Some(t.custody.user_id), "opened"),
        },
    )
    .await
    .expect("case");
    let mut case = case;
    for transition in [
        Transition::Screen {
            outcome: ScreeningOutcome::Eligible,
        },
        Transition::Offer,
        Transition::Accept,
    ] {
        let version = case.version;
        case = t
            .app
            .apply_transition(
                &mut tx,
                &t.custody,
                &case,
                version,
                CaseStep::new(transition),
            )
            .await
            .expect("walk to accepted")
            .0;
    }
    tx.commit().await.expect("commit");
    case
}

/// Every pathway assessed, alcohol high.
pub fn needs_items() -> Vec<NeedsItem> {
    Pathway::ALL
        .into_iter()
        .map(|pathway| NeedsItem {
            pathway,
            severity: if pathway == Pathway::Alcohol {
                Severity::High
            } else {
                Severity::None
            },
            notes: None,
        })
        .collect()
}

pub fn condition(id: &str) -> ProposedCondition {
    ProposedCondition {
        condition: id.to_owned(),
        hours: None,
        due: None,
        provider: None,
        details: String::new(),
    }
}

/// A valid Durham contract starting today: no reoffending, an alcohol course due in a month,
/// 20 hours of community work.
pub fn draft() -> ContractDraft {
    ContractDraft {
        start: TODAY,
        conditions: vec![
            condition("no_reoffending"),
            ProposedCondition {
                due: Some(date(2026, 4, 4)),
                provider: Some("Durham Recovery Service".to_owned()),
                ..condition("alcohol_intervention")
            },
            ProposedCondition {
                hours: Some(20),
                ..condition("community_hours")
            },
        ],
    }
}

pub fn signature(on: Date) -> Signature {
    Signature {
        signed_on: on,
        participant_signature: ParticipantSignature::OnScreen {
            typed_name: "Alex Test".to_owned(),
        },
    }
}

/// A case with its needs assessed (by `navigator`).
pub async fn assessed_case(t: &TestApp, navigator: &Actor, offence: Offence) -> CaseRow {
    let case = accepted_case(t, navigator, offence).await;
    t.app
        .record_needs_assessment(navigator, case.id, case.version, needs_items())
        .await
        .expect("needs");
    reload(t, case.id).await
}

/// A case with an unsigned contract drafted.
pub async fn drafted_case(t: &TestApp, navigator: &Actor, offence: Offence) -> CaseRow {
    let case = assessed_case(t, navigator, offence).await;
    t.app
        .write_contract(navigator, case.id, case.version, draft())
        .await
        .expect("draft");
    reload(t, case.id).await
}

/// A case whose contract is signed and running.
pub async fn active_case(t: &TestApp, navigator: &Actor, offence: Offence) -> CaseRow {
    let case = drafted_case(t, navigator, offence).await;
    let signed = t
        .app
        .sign_contract(navigator, case.id, case.version, signature(TODAY))
        .await
        .expect("sign");
    t.app
        .start_contract(navigator, case.id, signed.version)
        .await
        .expect("start");
    reload(t, case.id).await
}

pub async fn reload(t: &TestApp, case_id: Uuid) -> CaseRow {
    let mut tx = t.app.db().begin_read().await.expect("begin");
    let case = cases::get(&mut tx, case_id).await.expect("case");
    tx.rollback().await.expect("rollback");
    case
}

/// The same database and clock under different settings (a smaller caseload limit, say).
pub fn with_settings(t: &TestApp, settings: Settings) -> App {
    let clock = match t.clock() {
        Clock::Manual(at) => Clock::Manual(at.clone()),
        Clock::System => Clock::System,
    };
    App::new(
        t.app.db().clone(),
        PolicyRegistry::shipped().expect("policies"),
        clock,
        Settings {
            password_cost: checkpoint_app::PasswordCost::Fast,
            ..settings
        },
    )
}

/// Sets the test clock to noon (UTC) on a day.
pub fn set_today(t: &TestApp, day: Date) {
    let at = day
        .at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("in range")
        .timestamp();
    t.clock().set(at);
}
