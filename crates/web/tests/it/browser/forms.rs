//! Forms over plain HTTP: what a browser without JavaScript gets.

use super::support::{FormClient, form_body, referral_fields};
use crate::helpers::spawn_sqlite;
use checkpoint_app::assignment::Assignment;
use reqwest::StatusCode;

#[tokio::test]
async fn every_page_names_the_signed_in_user_and_role() {
    let server = spawn_sqlite().await;
    let anonymous = FormClient::new(&server.base);
    let page = anonymous.get("/caseload").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/sign-in"));

    let navigator = FormClient::sign_in(&server.base, "nav.north.1").await;
    let page = navigator.get("/caseload").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.contains("Test nav.north.1") && page.contains("Navigator · north team"));
    assert!(page.contains("<main id=\"main-content\"") && page.contains("Skip to main content"));

    let missing = navigator.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Page not found"));

    let wrong = FormClient::new(&server.base);
    let form = wrong.get("/sign-in").await;
    let refused = wrong
        .post(
            "/sign-in",
            &form,
            &[
                ("username", "nav.north.1"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.contains("There is a problem") && refused.contains("value=\"nav.north.1\""));
}

#[tokio::test]
async fn a_bad_referral_comes_back_with_an_error_summary_and_the_values_kept() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let mut fields: Vec<(&str, &str)> = referral_fields("Jordan", "")
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "person.date_of_birth" | "previous_convictions"))
        .collect();
    fields.push(("person.date_of_birth", "19/07/1994"));
    fields.push(("previous_convictions", "a few"));
    let page = desk.post("/referrals", &form, &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("data-testid=\"error-summary\""),
        "{}",
        page.html
    );
    for anchor in [
        "#person-family_name",
        "#person-date_of_birth",
        "#previous_convictions",
    ] {
        assert!(
            page.contains(&format!("href=\"{anchor}\"")),
            "summary links to {anchor}"
        );
    }
    assert!(page.contains("id=\"person-family_name-error\""));
    // Everything typed is still there, including the malformed values.
    assert!(page.contains("value=\"Jordan\""));
    assert!(page.contains("value=\"19/07/1994\""));
    assert!(page.contains("<option value=\"theft\" selected>"));
    assert!(page.contains("value=\"no\" checked"));
    assert!(page.contains("<title>Error: "));
}

#[tokio::test]
async fn posts_without_the_csrf_token_or_from_another_site_are_refused() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    let fields = referral_fields("Casey", "Nokey");

    let no_token = desk.post_raw("/referrals", form_body(&fields), &[]).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.contains("could not be accepted"));

    let mut with_wrong = vec![("_csrf", "0000")];
    with_wrong.extend_from_slice(&fields);
    let wrong_token = desk
        .post_raw("/referrals", form_body(&with_wrong), &[])
        .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);

    let token = form.csrf();
    let mut with_token = vec![("_csrf", token.as_str())];
    with_token.extend_from_slice(&fields);
    let cross_site = desk
        .post_raw(
            "/referrals",
            form_body(&with_token),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    let other_origin = desk
        .post_raw(
            "/referrals",
            form_body(&with_token),
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(other_origin.status, StatusCode::FORBIDDEN);

    // Nothing was referred; the same post with the token goes through.
    let people = desk.get("/people?name=Nokey").await;
    assert!(people.contains("No one found"), "{}", people.html);
    let done = desk.post("/referrals", &form, &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);

    // Signing in needs its own token too.
    let stranger = FormClient::new(&server.base);
    let refused = stranger
        .post_raw(
            "/sign-in",
            form_body(&[("username", "custody.sgt"), ("password", "x")]),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_custody_desk_refers_decides_offers_and_records_consent() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    let referred = desk
        .post("/referrals", &form, &referral_fields("Robin", "Ashdown"))
        .await;
    assert_eq!(referred.status, StatusCode::SEE_OTHER, "{}", referred.html);
    let case_id = referred.case_id();
    let decision = desk.get(&format!("/cases/{case_id}/decision")).await;
    assert_eq!(decision.status, StatusCode::OK);
    let criteria = server
        .app
        .policies()
        .in_force("durham-checkpoint", jiff::civil::date(2026, 3, 4))
        .expect("policy")
        .criteria()
        .len();
    assert_eq!(
        decision.html.matches("data-testid=\"criterion\"").count(),
        criteria,
        "every criterion is listed"
    );
    assert!(decision.contains("data-testid=\"advised-outcome\">Eligible"));
    assert!(decision.contains("data-testid=\"deadline-words\""));

    // A second referral of the same person is stopped at the likely-duplicate step.
    let again = desk
        .post("/referrals", &form, &referral_fields("Robin", "Ashdown"))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.contains("Is this someone already known?"),
        "{}",
        again.html
    );

    let version = decision.version();
    let accepted = desk
        .post(
            &format!("/cases/{case_id}/screening"),
            &decision,
            &[("version", version.as_str()), ("choice", "accept")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
    let decided = desk.get(&format!("/cases/{case_id}/decision")).await;
    assert!(decided.contains("data-testid=\"decision-made\""));
    let offered = desk
        .post(
            &format!("/cases/{case_id}/offer"),
            &decided,
            &[("version", decided.version().as_str())],
        )
        .await;
    assert_eq!(offered.status, StatusCode::SEE_OTHER, "{}", offered.html);

    // Consent with a missing admission: the problem is named, the answer kept.
    let to_consent = desk.get(&format!("/cases/{case_id}/decision")).await;
    let version = to_consent.version();
    let incomplete = desk
        .post(
            &format!("/cases/{case_id}/consent"),
            &to_consent,
            &[
                ("version", version.as_str()),
                ("consent.answer", "accepted"),
                ("consent.signed_on", "2026-03-04"),
            ],
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        incomplete.contains("href=\"#consent-admission\""),
        "{}",
        incomplete.html
    );
    assert!(incomplete.contains("value=\"accepted\" checked"));
    let consented = desk
        .post(
            &format!("/cases/{case_id}/consent"),
            &to_consent,
            &[
                ("version", version.as_str()),
                ("consent.answer", "accepted"),
                ("consent.admission", "admitted_in_interview"),
                ("consent.signed_on", "2026-03-04"),
            ],
        )
        .await;
    assert_eq!(
        consented.status,
        StatusCode::SEE_OTHER,
        "{}",
        consented.html
    );
    let case = desk.get(&format!("/cases/{case_id}")).await;
    assert!(
        case.contains("data-testid=\"case-state\">Accepted"),
        "{}",
        case.html
    );
}

#[tokio::test]
async fn a_stale_edit_says_someone_else_changed_the_case_and_keeps_the_input() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let other = FormClient::sign_in(&server.base, "supervisor").await;
    let form = desk.get("/referrals/new").await;
    let referred = desk
        .post("/referrals", &form, &referral_fields("Sam", "Stale"))
        .await;
    let case_id = referred.case_id();
    let mine = desk.get(&format!("/cases/{case_id}/decision")).await;
    let theirs = other.get(&format!("/cases/{case_id}/decision")).await;
    let first = other
        .post(
            &format!("/cases/{case_id}/screening"),
            &theirs,
            &[("version", theirs.version().as_str()), ("choice", "accept")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let stale = desk
        .post(
            &format!("/cases/{case_id}/screening"),
            &mine,
            &[
                ("version", mine.version().as_str()),
                ("choice", "override"),
                ("override.outcome", "ineligible"),
                ("override.code", "victim_views"),
                ("override.reason", "The victim called back to object"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.contains("Someone else changed this case"),
        "{}",
        stale.html
    );
    assert!(stale.contains("The victim called back to object"));
    assert!(stale.contains(&format!("href=\"/cases/{case_id}/decision\"")));
    // What was typed is listed under the form's labels, choices in words, not field names.
    let entries = &stale.html[stale
        .html
        .find("data-testid=\"your-entries\"")
        .expect("entries")..];
    let entries = &entries[..entries.find("</dl>").expect("end of the list")];
    for shown in [
        "<dt>Your decision</dt><dd>Ineligible</dd>",
        "<dt>Reason code</dt><dd>The victim&#39;s views</dd>",
        "<dt>Why you depart from the advice</dt><dd>The victim called back to object</dd>",
    ] {
        assert!(entries.contains(shown), "{shown} in {entries}");
    }
    assert!(!entries.contains("override.") && !entries.contains("<dt>version"));
    assert!(
        !entries.contains("Date signed"),
        "defaults are not what was typed"
    );
}

#[tokio::test]
async fn each_role_sees_only_what_it_may() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    let referred = desk
        .post("/referrals", &form, &referral_fields("Alex", "Scope"))
        .await;
    let case_id = referred.case_id();
    let decision = desk.get(&format!("/cases/{case_id}/decision")).await;
    desk.post(
        &format!("/cases/{case_id}/screening"),
        &decision,
        &[
            ("version", decision.version().as_str()),
            ("choice", "accept"),
        ],
    )
    .await;
    let supervisor = server
        .app
        .authenticate(server.token("supervisor"))
        .await
        .expect("supervisor");
    let id: uuid::Uuid = case_id.parse().expect("uuid");
    let view = server.app.view_case(&supervisor, id).await.expect("case");
    server
        .app
        .assign_navigator(
            &supervisor,
            id,
            view.header.version,
            Assignment::Auto {
                team: "north".into(),
            },
            None,
        )
        .await
        .expect("assigned");

    let analyst = FormClient::sign_in(&server.base, "analyst").await;
    let refused = analyst.get(&format!("/cases/{case_id}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let overview = analyst.get("/overview").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.html);
    assert!(
        !overview.contains("/cases/"),
        "an analyst gets no case links"
    );
    assert!(overview.contains("<svg"));

    let south = FormClient::sign_in(&server.base, "nav.south.1").await;
    let hidden = south.get(&format!("/cases/{case_id}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    let north = FormClient::sign_in(&server.base, "nav.north.2").await;
    let visible = north.get(&format!("/cases/{case_id}")).await;
    assert_eq!(visible.status, StatusCode::OK);
    assert!(
        !visible.contains("Go to the decision page") && !visible.contains("accept-advice"),
        "navigators get no custody actions"
    );

    let admin = desk.get("/admin/users").await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    let admin_user = FormClient::sign_in(&server.base, "admin").await;
    let no_case = admin_user.get(&format!("/cases/{case_id}")).await;
    assert_eq!(no_case.status, StatusCode::FORBIDDEN);
}
