//! The custody desk: referral, advice, the screening decision, overrides, re-screening, the
//! offer and consent; duplicates, permissions, concurrency and audit.

use crate::helpers::{TestApp, apps};
use checkpoint_app::AppError;
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::people::{MatchReason, PeopleQuery};
use checkpoint_app::referrals::{NewReferral, PersonChoice, ReferralOutcome};
use checkpoint_app::screening::{OverrideCode, ScreeningChoice};
use checkpoint_domain::lifecycle::{CaseState, ScreeningOutcome};
use checkpoint_domain::policy::{Eligibility, Verdict};
use checkpoint_domain::referral::Referral;
use checkpoint_store::{AuditAction, audit};
use jiff::civil::date;
use uuid::Uuid;

pub const SCHEME: &str = "durham-checkpoint";

/// The shop-theft example (eligible under Durham 2017 on 4 March 2026), for a named person.
pub fn referral_for(given: &str, family: &str, born: jiff::civil::Date) -> Referral {
    let mut referral = Referral::from_json(include_str!(
        "../../../../schemas/examples/referral-shop-theft.json"
    ))
    .expect("example referral");
    referral.person.given_name = given.to_owned();
    referral.person.family_name = family.to_owned();
    referral.person.date_of_birth = born;
    referral.person.pnc_id = None;
    referral
}

pub async fn refer(t: &TestApp, referral: Referral) -> ReferralOutcome {
    t.app
        .create_referral(
            &t.custody,
            NewReferral {
                scheme_id: SCHEME.to_owned(),
                referral,
                person: PersonChoice::New,
                acknowledged_matches: Vec::new(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{}: referral: {e}", t.backend))
}

fn field_of(error: &AppError) -> Vec<&str> {
    match error {
        AppError::Invalid(fields) => fields.iter().map(|f| f.field.as_str()).collect(),
        _ => Vec::new(),
    }
}

async fn audit_actions(t: &TestApp, subject_type: &str, id: Uuid) -> Vec<(AuditAction, String)> {
    let mut tx = t.app.db().begin_read().await.unwrap();
    let rows = audit::for_subject(&mut tx, subject_type, &id.to_string())
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.action().unwrap(), r.actor.clone()))
        .collect()
}

#[tokio::test]
async fn a_full_custody_story_from_referral_to_consent() {
    for t in apps().await {
        let outcome = refer(&t, referral_for("Jordan", "Ashworth", date(1994, 7, 19))).await;
        let b = t.backend;
        assert_eq!(outcome.case.state, CaseState::Referred, "{b}");
        assert_eq!(outcome.case.reference, "CP-2026-000001", "{b}");
        assert_eq!(outcome.case.version, 1);
        // The advice lists every criterion of the policy, each with a verdict and evidence.
        let policy = t.app.policies().in_force(SCHEME, date(2026, 3, 4)).unwrap();
        assert_eq!(
            outcome.advice.criteria.len(),
            policy.criteria().len(),
            "{b}"
        );
        assert!(
            outcome
                .advice
                .criteria
                .iter()
                .all(|c| !c.explanation.is_empty())
        );
        assert!(
            outcome
                .advice
                .criteria
                .iter()
                .all(|c| matches!(c.verdict, Verdict::Met | Verdict::NotApplicable)),
            "{b}: {:?}",
            outcome.advice.criteria
        );
        assert_eq!(outcome.advice.advised_outcome, Eligibility::Eligible);
        assert_eq!(outcome.advice.policy_hash, policy.content_hash());
        assert!(outcome.deadline_in_words.contains("Contract"), "{b}");
        assert!(
            outcome.advice.decision.is_none(),
            "advice is not a decision"
        );

        let case_id = outcome.case.case_id;
        let screened = t
            .app
            .record_screening_decision(&t.custody, case_id, 1, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap();
        assert_eq!(screened.state, CaseState::Eligible, "{b}");
        let offered = t
            .app
            .make_offer(&t.custody, case_id, screened.version)
            .await
            .unwrap();
        assert_eq!(offered.state, CaseState::Offered);
        let accepted = t
            .app
            .record_consent(
                &t.custody,
                case_id,
                offered.version,
                Consent::Accepted {
                    admission: Admission::AdmittedInInterview,
                    signed_on: date(2026, 3, 4),
                },
            )
            .await
            .unwrap();
        assert_eq!(accepted.state, CaseState::Accepted, "{b}");
        assert_eq!(accepted.version, 4);

        let view = t.app.view_case(&t.supervisor, case_id).await.unwrap();
        let decision = view.decision.unwrap().decision.unwrap();
        assert!(decision.follows_advice);
        assert_eq!(decision.decided_by_name, t.custody.display_name);
        let kinds: Vec<&str> = view.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["opened", "screen", "offer", "accept"], "{b}");
        assert!(
            view.timeline
                .iter()
                .all(|e| e.actor_name.as_deref() == Some(t.custody.display_name.as_str()))
        );

        // Writes and the read are all in the audit log.
        let case_audit = audit_actions(&t, "case", case_id).await;
        assert_eq!(case_audit[0].0, AuditAction::Collection, "{b}");
        let alterations = case_audit
            .iter()
            .filter(|(a, _)| *a == AuditAction::Alteration)
            .count();
        assert_eq!(alterations, 3, "{b}: screen, offer, accept");
        assert_eq!(
            case_audit.last().unwrap(),
            &(AuditAction::Consultation, "supervisor".to_owned())
        );
        let person_audit = audit_actions(&t, "person", outcome.person_id).await;
        assert_eq!(person_audit[0].0, AuditAction::Collection);
        let decision_audit = audit_actions(&t, "decision", decision.decision_id).await;
        assert_eq!(decision_audit.len(), 1, "{b}");
        assert!(audit::verify(t.app.db()).await.unwrap().is_intact());
    }
}

#[tokio::test]
async fn the_same_person_typed_differently_is_offered_and_never_created_silently() {
    for t in apps().await {
        let b = t.backend;
        let first = refer(&t, referral_for("Jonathan", "Smith", date(1990, 4, 7))).await;
        // Different spelling, day and month swapped.
        let typed = referral_for("Jonathan", "Smyth", date(1990, 4, 7));
        let matches = t
            .app
            .find_likely_people(&t.custody, &typed.person)
            .await
            .unwrap();
        assert_eq!(matches.len(), 1, "{b}");
        assert_eq!(matches[0].person_id, first.person_id);
        assert_eq!(
            matches[0].explanation,
            "same date of birth; surname spelt differently"
        );
        let swapped = referral_for("Smith", "Jonathan", date(1990, 7, 4));
        let matches = t
            .app
            .find_likely_people(&t.custody, &swapped.person)
            .await
            .unwrap();
        assert!(
            matches[0].reasons.contains(&MatchReason::NamesSwapped)
                && matches[0]
                    .reasons
                    .contains(&MatchReason::DayAndMonthOfBirthSwapped),
            "{b}: {matches:?}"
        );

        // New, without acknowledging the match: refused on `person`, naming the match.
        let refused = t
            .app
            .create_referral(
                &t.custody,
                NewReferral {
                    scheme_id: SCHEME.to_owned(),
                    referral: typed.clone(),
                    person: PersonChoice::New,
                    acknowledged_matches: Vec::new(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&refused), ["person"], "{b}: {refused}");
        assert!(refused.to_string().contains(&first.person_id.to_string()));

        // Existing: the same person, details corrected.
        let again = t
            .app
            .create_referral(
                &t.custody,
                NewReferral {
                    scheme_id: SCHEME.to_owned(),
                    referral: typed.clone(),
                    person: PersonChoice::Existing(first.person_id),
                    acknowledged_matches: Vec::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(again.person_id, first.person_id, "{b}");
        assert_eq!(again.case.reference, "CP-2026-000002");

        // New with the match acknowledged: a different person.
        let other = t
            .app
            .create_referral(
                &t.custody,
                NewReferral {
                    scheme_id: SCHEME.to_owned(),
                    referral: typed,
                    person: PersonChoice::New,
                    acknowledged_matches: vec![first.person_id],
                },
            )
            .await
            .unwrap();
        assert_ne!(other.person_id, first.person_id, "{b}");
        // Only rolled-back work gave its number back: references stay dense.
        assert_eq!(other.case.reference, "CP-2026-000003");
    }
}

#[tokio::test]
async fn referrals_are_validated_field_by_field() {
    for t in apps().await {
        let mut referral = referral_for("Ann", "Lee", date(1980, 1, 1));
        referral.offence.description = " ".to_owned();
        let error = t
            .app
            .create_referral(
                &t.custody,
                NewReferral {
                    scheme_id: "no-such-scheme".to_owned(),
                    referral,
                    person: PersonChoice::New,
                    acknowledged_matches: Vec::new(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            field_of(&error),
            ["referral.offence.description", "scheme_id"],
            "{}",
            t.backend
        );
    }
}

#[tokio::test]
async fn overrides_need_a_reason_and_a_supervisors_countersignature() {
    for t in apps().await {
        let b = t.backend;
        let case = refer(&t, referral_for("Priya", "Shah", date(1985, 2, 3)))
            .await
            .case;
        let override_with = |reason: &str| ScreeningChoice::Override {
            outcome: ScreeningOutcome::Ineligible,
            code: OverrideCode::VictimViews,
            reason: reason.to_owned(),
        };
        let error = t
            .app
            .record_screening_decision(&t.custody, case.case_id, 1, override_with("  "))
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), ["reason"], "{b}");
        let same = ScreeningChoice::Override {
            outcome: ScreeningOutcome::Eligible,
            code: OverrideCode::Other,
            reason: "x".to_owned(),
        };
        let error = t
            .app
            .record_screening_decision(&t.custody, case.case_id, 1, same)
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), ["outcome"], "{b}");

        let decided = t
            .app
            .record_screening_decision(
                &t.custody,
                case.case_id,
                1,
                override_with("The victim was threatened after the arrest"),
            )
            .await
            .unwrap();
        assert_eq!(decided.state, CaseState::Ineligible, "{b}");

        let queue = t
            .app
            .overrides_awaiting_countersignature(&t.supervisor)
            .await
            .unwrap();
        assert_eq!(queue.len(), 1, "{b}");
        assert_eq!(queue[0].person_name, "Priya Shah");
        assert_eq!(queue[0].override_code, Some(OverrideCode::VictimViews));
        let decision_id = queue[0].decision_id;

        // Only supervisors countersign, disagreement needs a note.
        assert!(matches!(
            t.app
                .countersign_override(&t.custody, decision_id, true, None)
                .await,
            Err(AppError::Forbidden { .. })
        ));
        let error = t
            .app
            .countersign_override(&t.supervisor, decision_id, false, None)
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), ["note"]);
        let signed = t
            .app
            .countersign_override(&t.supervisor, decision_id, true, Some("Agreed"))
            .await
            .unwrap();
        assert!(signed.agreed);
        assert!(
            t.app
                .overrides_awaiting_countersignature(&t.supervisor)
                .await
                .unwrap()
                .is_empty()
        );
        let again = t
            .app
            .countersign_override(&t.supervisor, decision_id, true, None)
            .await
            .unwrap_err();
        assert!(matches!(again, AppError::Invalid(_)), "{b}: {again}");

        let view = t.app.view_case(&t.custody, case.case_id).await.unwrap();
        let decision = view.decision.unwrap().decision.unwrap();
        assert_eq!(decision.override_code, Some(OverrideCode::VictimViews));
        assert_eq!(
            decision.countersignature.unwrap().countersigned_by_name,
            t.supervisor.display_name
        );
        assert_eq!(
            view.timeline.last().unwrap().kind,
            "override_countersigned",
            "{b}"
        );
    }
}

#[tokio::test]
async fn needs_information_can_be_rescreened_with_the_missing_facts() {
    for t in apps().await {
        let b = t.backend;
        let mut referral = referral_for("Tom", "Wright", date(1999, 9, 9));
        referral.interview = None;
        let outcome = refer(&t, referral.clone()).await;
        assert_eq!(
            outcome.advice.advised_outcome,
            Eligibility::NeedsInformation,
            "{b}"
        );
        let id = outcome.case.case_id;
        let waiting = t
            .app
            .record_screening_decision(&t.custody, id, 1, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap();
        assert_eq!(waiting.state, CaseState::NeedsInformation);
        // The same advice cannot be decided twice.
        let twice = t
            .app
            .record_screening_decision(&t.custody, id, 2, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap_err();
        assert_eq!(field_of(&twice), ["case"], "{b}");

        referral.interview = Some(checkpoint_domain::referral::InterviewOutcome::Admitted);
        let rescreened = t.app.rescreen(&t.custody, id, 2, referral).await.unwrap();
        assert_eq!(rescreened.advice.advised_outcome, Eligibility::Eligible);
        assert_eq!(rescreened.case.state, CaseState::NeedsInformation);
        let eligible = t
            .app
            .record_screening_decision(
                &t.custody,
                id,
                rescreened.case.version,
                ScreeningChoice::AcceptAdvice,
            )
            .await
            .unwrap();
        assert_eq!(eligible.state, CaseState::Eligible, "{b}");
        // An eligible case is no longer re-screenable.
        let late = t
            .app
            .rescreen(
                &t.custody,
                id,
                eligible.version,
                referral_for("Tom", "Wright", date(1999, 9, 9)),
            )
            .await
            .unwrap_err();
        assert!(matches!(late, AppError::IllegalTransition(_)), "{b}");
    }
}

#[tokio::test]
async fn consent_declined_returns_to_the_usual_process_and_admission_is_guarded() {
    for t in apps().await {
        let b = t.backend;
        let mut referral = referral_for("Kim", "Park", date(1992, 5, 6));
        referral.interview = Some(checkpoint_domain::referral::InterviewOutcome::NoReply);
        let case = refer(&t, referral).await.case;
        let id = case.case_id;
        let v = t
            .app
            .record_screening_decision(&t.custody, id, 1, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap()
            .version;
        let v = t.app.make_offer(&t.custody, id, v).await.unwrap().version;
        let claimed = t
            .app
            .record_consent(
                &t.custody,
                id,
                v,
                Consent::Accepted {
                    admission: Admission::AdmittedInInterview,
                    signed_on: date(2026, 3, 4),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&claimed), ["admission"], "{b}");
        let none = t
            .app
            .record_consent(
                &t.custody,
                id,
                v,
                Consent::Accepted {
                    admission: Admission::NoneRequired,
                    signed_on: date(2026, 3, 4),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&none), ["admission"], "{b}");
        let empty = t
            .app
            .record_consent(
                &t.custody,
                id,
                v,
                Consent::Declined {
                    reason: String::new(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(&empty), ["reason"]);
        let declined = t
            .app
            .record_consent(
                &t.custody,
                id,
                v,
                Consent::Declined {
                    reason: "Wants to go to court".to_owned(),
                },
            )
            .await
            .unwrap();
        assert_eq!(declined.state, CaseState::Declined, "{b}");
        // Decliners go back to the usual process and are followed up from the decision day.
        let mut tx = t.app.db().begin_read().await.unwrap();
        let row = checkpoint_store::cases::get(&mut tx, id).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(
            row.follow_up_until.map(|d| d.get()),
            Some(date(2028, 3, 4)),
            "{b}: 24 months after 4 March 2026"
        );
    }
}

#[tokio::test]
async fn stale_versions_conflict_and_one_of_two_writers_wins() {
    for t in apps().await {
        let b = t.backend;
        let case = refer(&t, referral_for("Lee", "Chan", date(1970, 10, 10)))
            .await
            .case;
        let stale = t
            .app
            .record_screening_decision(&t.custody, case.case_id, 0, ScreeningChoice::AcceptAdvice)
            .await
            .unwrap_err();
        assert!(
            matches!(stale, AppError::Conflict { current_version: 1 }),
            "{b}: {stale}"
        );
        let (one, two) = tokio::join!(
            t.app.record_screening_decision(
                &t.custody,
                case.case_id,
                1,
                ScreeningChoice::AcceptAdvice
            ),
            t.app.record_screening_decision(
                &t.supervisor,
                case.case_id,
                1,
                ScreeningChoice::Override {
                    outcome: ScreeningOutcome::Ineligible,
                    code: OverrideCode::RiskJudgement,
                    reason: "Known to be violent".to_owned(),
                }
            ),
        );
        let results = [one, two];
        let won = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(AppError::Conflict { .. })))
            .count();
        assert_eq!((won, conflicts), (1, 1), "{b}: {results:?}");
    }
}

#[tokio::test]
async fn illegal_transitions_are_refused() {
    for t in apps().await {
        let case = refer(&t, referral_for("Sam", "Hill", date(1988, 8, 8)))
            .await
            .case;
        let error = t
            .app
            .make_offer(&t.custody, case.case_id, 1)
            .await
            .unwrap_err();
        assert!(
            matches!(error, AppError::IllegalTransition(_)),
            "{}: {error}",
            t.backend
        );
        let error = t
            .app
            .record_consent(
                &t.custody,
                case.case_id,
                1,
                Consent::Declined {
                    reason: "No".to_owned(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::IllegalTransition(_)));
    }
}

fn denied(result: &Result<impl std::fmt::Debug, AppError>) -> bool {
    matches!(
        result,
        Err(AppError::Forbidden { .. } | AppError::NotFound { .. })
    )
}

#[tokio::test]
async fn every_role_is_allowed_or_denied_each_custody_use_case() {
    for t in apps().await {
        let b = t.backend;
        for (i, actor) in t.everyone().into_iter().enumerate() {
            let custody_side = matches!(actor.username.as_str(), "custody.sgt" | "supervisor");
            let may_read = !matches!(actor.username.as_str(), "analyst" | "admin");
            let name = format!("Person{}", ["a", "b", "c", "d", "e", "f", "g"][i]);
            let born = date(1960 + i as i16 * 5, 1 + i as i8, 1 + i as i8);

            let referral = t
                .app
                .create_referral(
                    actor,
                    NewReferral {
                        scheme_id: SCHEME.to_owned(),
                        referral: referral_for(&name, &format!("Role{name}"), born),
                        person: PersonChoice::New,
                        acknowledged_matches: Vec::new(),
                    },
                )
                .await;
            assert_eq!(referral.is_ok(), custody_side, "{b} {}", actor.username);
            assert_eq!(
                t.app
                    .find_likely_people(actor, &referral_for("X", "Y", born).person)
                    .await
                    .is_ok(),
                custody_side
            );
            // A case to act on, made by the custody officer.
            let case = refer(&t, referral_for("Case", &format!("Of{name}"), born)).await;
            let id = case.case.case_id;
            let screened = t
                .app
                .record_screening_decision(actor, id, 1, ScreeningChoice::AcceptAdvice)
                .await;
            assert_eq!(screened.is_ok(), custody_side, "{b} {}", actor.username);
            assert!(custody_side || denied(&screened));
            let offered = t.app.make_offer(actor, id, 2).await;
            if custody_side {
                assert!(offered.is_ok(), "{b} {}", actor.username);
            } else {
                assert!(denied(&offered));
            }
            let consent = t
                .app
                .record_consent(
                    actor,
                    id,
                    3,
                    Consent::Declined {
                        reason: "No".to_owned(),
                    },
                )
                .await;
            assert_eq!(consent.is_ok(), custody_side, "{b} {}", actor.username);

            let search = t
                .app
                .search_people(
                    actor,
                    &PeopleQuery {
                        name: Some("Case".to_owned()),
                        ..PeopleQuery::default()
                    },
                    0,
                )
                .await;
            assert_eq!(search.is_ok(), may_read, "{b} {}", actor.username);
            // Navigators only see cases (and people) in scope; these are unassigned.
            let in_scope_reader = may_read && actor.role != checkpoint_app::Role::Navigator;
            let person = t.app.view_person(actor, case.person_id, "check").await;
            assert_eq!(person.is_ok(), in_scope_reader, "{b} {}", actor.username);
            let view = t.app.view_case(actor, id).await;
            assert_eq!(view.is_ok(), in_scope_reader, "{b} {}", actor.username);
            if actor.role == checkpoint_app::Role::Navigator {
                assert!(matches!(view, Err(AppError::NotFound { .. })));
            }
            let queue = t.app.overrides_awaiting_countersignature(actor).await;
            assert_eq!(queue.is_ok(), actor.username == "supervisor");
        }
    }
}

#[tokio::test]
async fn searches_and_views_are_audited_with_their_terms_and_reasons() {
    for t in apps().await {
        let b = t.backend;
        let outcome = refer(&t, referral_for("Nina", "Okafor", date(2001, 12, 1))).await;
        let page = t
            .app
            .search_people(
                &t.custody,
                &PeopleQuery {
                    name: Some("nina oka".to_owned()),
                    ..PeopleQuery::default()
                },
                0,
            )
            .await
            .unwrap();
        assert_eq!(page.people.len(), 1, "{b}");
        assert!(!page.has_more);
        let by_birth = t
            .app
            .search_people(
                &t.custody,
                &PeopleQuery {
                    date_of_birth: Some(date(2001, 12, 1)),
                    ..PeopleQuery::default()
                },
                0,
            )
            .await
            .unwrap();
        assert_eq!(by_birth.people[0].person_id, outcome.person_id);
        let empty = t
            .app
            .search_people(&t.custody, &PeopleQuery::default(), 0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&empty), ["name"]);

        let mut tx = t.app.db().begin_read().await.unwrap();
        let searches = audit::for_subject(&mut tx, "person_search", "people")
            .await
            .unwrap();
        drop(tx);
        assert_eq!(searches.len(), 2, "{b}");
        assert!(searches[0].details_json.contains("nina oka"));

        let error = t
            .app
            .view_person(&t.custody, outcome.person_id, " ")
            .await
            .unwrap_err();
        assert_eq!(field_of(&error), ["justification"]);
        let person = t
            .app
            .view_person(&t.custody, outcome.person_id, "checking an address")
            .await
            .unwrap();
        assert_eq!(person.cases.len(), 1);
        let mut tx = t.app.db().begin_read().await.unwrap();
        let rows = audit::for_subject(&mut tx, "person", &outcome.person_id.to_string())
            .await
            .unwrap();
        let last = rows.last().unwrap();
        assert_eq!(last.action(), Some(AuditAction::Consultation), "{b}");
        assert_eq!(last.justification.as_deref(), Some("checking an address"));
    }
}

#[tokio::test]
async fn references_have_no_gaps_under_twenty_concurrent_referrals() {
    const SURNAMES: [&str; 20] = [
        "Abbott",
        "Baxter",
        "Cooper",
        "Dawson",
        "Ellis",
        "Fowler",
        "Gibson",
        "Harper",
        "Irwin",
        "Jarvis",
        "Kendall",
        "Lowry",
        "Mercer",
        "Norris",
        "Osborne",
        "Pritchard",
        "Quinn",
        "Rowley",
        "Sutton",
        "Tranter",
    ];
    for t in apps().await {
        let mut tasks = Vec::new();
        for (i, surname) in SURNAMES.iter().enumerate() {
            let app = t.app.clone();
            let actor = t.custody.clone();
            let born = date(1950 + 2 * i as i16, 1 + (i % 12) as i8, 1 + i as i8);
            let referral = referral_for(&format!("Given{i}"), surname, born);
            tasks.push(tokio::spawn(async move {
                app.create_referral(
                    &actor,
                    NewReferral {
                        scheme_id: SCHEME.to_owned(),
                        referral,
                        person: PersonChoice::New,
                        acknowledged_matches: Vec::new(),
                    },
                )
                .await
            }));
        }
        let mut references = Vec::new();
        for task in tasks {
            let outcome = task
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e}", t.backend));
            references.push(outcome.case.reference);
        }
        references.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("CP-2026-{n:06}")).collect();
        assert_eq!(references, expected, "{}", t.backend);
    }
}

#[tokio::test]
async fn the_referral_to_rescreen_is_the_one_the_advice_saw_and_only_while_screening() {
    for t in apps().await {
        let b = t.backend;
        let mut referral = referral_for("Iris", "Gaps", date(1998, 4, 4));
        referral.interview = None;
        let outcome = refer(&t, referral.clone()).await;
        let id = outcome.case.case_id;
        let seen = t.app.referral_to_rescreen(&t.custody, id).await.unwrap();
        assert_eq!(seen, referral, "{b}");
        // Roles that do not screen cannot read it.
        for actor in [&t.navigator, &t.analyst, &t.admin] {
            assert!(
                t.app.referral_to_rescreen(actor, id).await.is_err(),
                "{b}: {:?}",
                actor.role
            );
        }
        // After re-screening, the newer referral is the one returned.
        referral.interview = Some(checkpoint_domain::referral::InterviewOutcome::Admitted);
        let rescreened = t
            .app
            .rescreen(&t.custody, id, outcome.case.version, referral.clone())
            .await
            .unwrap();
        assert_eq!(
            t.app.referral_to_rescreen(&t.custody, id).await.unwrap(),
            referral
        );
        let eligible = t
            .app
            .record_screening_decision(
                &t.custody,
                id,
                rescreened.case.version,
                ScreeningChoice::AcceptAdvice,
            )
            .await
            .unwrap();
        assert_eq!(eligible.state, CaseState::Eligible);
        let late = t
            .app
            .referral_to_rescreen(&t.custody, id)
            .await
            .unwrap_err();
        assert!(matches!(late, AppError::IllegalTransition(_)), "{b}");
        let mut tx = t.app.db().begin_read().await.unwrap();
        let rows = audit::for_subject(&mut tx, "case", &id.to_string())
            .await
            .unwrap();
        drop(tx);
        assert!(
            rows.iter()
                .any(|r| r.action() == Some(AuditAction::Consultation)
                    && r.justification
                        .as_deref()
                        .is_some_and(|j| j.contains("re-screen"))),
            "reading it is audited ({b})"
        );
    }
}

#[tokio::test]
async fn people_searches_count_every_match_across_pages() {
    for t in apps().await {
        let b = t.backend;
        let page_size = checkpoint_app::people::PEOPLE_PAGE_SIZE as usize;
        for i in 0..page_size + 3 {
            let born = date(1980, 1, 1)
                .checked_add(jiff::Span::new().days(400 * i as i64))
                .unwrap();
            // Many people alike: each is acknowledged as someone new.
            let referral = referral_for("Pat", "Countwell", born);
            let alike = t
                .app
                .find_likely_people(&t.custody, &referral.person)
                .await
                .unwrap();
            t.app
                .create_referral(
                    &t.custody,
                    NewReferral {
                        scheme_id: SCHEME.to_owned(),
                        referral,
                        person: PersonChoice::New,
                        acknowledged_matches: alike.iter().map(|m| m.person_id).collect(),
                    },
                )
                .await
                .unwrap();
        }
        refer(&t, referral_for("Pat", "Elsewhere", date(1990, 1, 1))).await;
        let query = PeopleQuery {
            name: Some("countw".to_owned()),
            ..PeopleQuery::default()
        };
        let first = t.app.search_people(&t.custody, &query, 0).await.unwrap();
        assert_eq!(first.people.len(), page_size, "{b}");
        assert!(first.has_more);
        assert_eq!(first.total, page_size as u64 + 3);
        let second = t.app.search_people(&t.custody, &query, 1).await.unwrap();
        assert_eq!(second.people.len(), 3);
        assert!(!second.has_more);
        assert_eq!(second.total, page_size as u64 + 3, "{b}");
    }
}

#[tokio::test]
async fn a_case_is_found_by_its_reference_only_by_those_who_may_see_it() {
    for t in apps().await {
        let b = t.backend;
        let outcome = refer(&t, referral_for("Remy", "Reference", date(1996, 6, 6))).await;
        let reference = outcome.case.reference.clone();
        let found = t
            .app
            .case_by_reference(&t.custody, &format!(" {} ", reference.to_lowercase()))
            .await
            .unwrap();
        assert_eq!(found, outcome.case.case_id, "{b}");
        // Not assigned: no navigator sees it, with the same answer as an unknown reference.
        let hidden = t
            .app
            .case_by_reference(&t.navigator_south, &reference)
            .await
            .unwrap_err();
        let unknown = t
            .app
            .case_by_reference(&t.custody, "CP-1999-999999")
            .await
            .unwrap_err();
        assert!(
            matches!(hidden, AppError::NotFound { .. }),
            "{b}: {hidden:?}"
        );
        assert_eq!(hidden.to_string(), unknown.to_string());
        assert!(matches!(
            t.app.case_by_reference(&t.analyst, &reference).await,
            Err(AppError::Forbidden { .. })
        ));
        assert_eq!(
            field_of(&t.app.case_by_reference(&t.custody, "  ").await.unwrap_err()),
            ["reference"]
        );
    }
}
