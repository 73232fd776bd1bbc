//! One case from referral to completion over HTTP: the sequence docs/api.md walks through with
//! curl, plus the ways each step can be refused (stale versions, wrong roles, out of scope).

use crate::helpers::{
    TestServer, expect_json, expect_problem, failing_fields, spawn_apps, spawn_sqlite,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The example referral shipped in schemas/examples, the one docs/api.md uses.
pub fn example_referral() -> Value {
    serde_json::from_str(include_str!(
        "../../../../schemas/examples/referral-shop-theft.json"
    ))
    .unwrap()
}

pub fn referral_request(given: &str, family: &str) -> Value {
    let mut referral = example_referral();
    referral["person"]["given_name"] = json!(given);
    referral["person"]["family_name"] = json!(family);
    referral["person"]["pnc_id"] = Value::Null;
    if let Some(person) = referral["person"].as_object_mut() {
        person.remove("pnc_id");
    }
    json!({ "scheme_id": "durham-checkpoint", "referral": referral })
}

fn etag_version(response: &reqwest::Response) -> i64 {
    let etag = response.headers()["etag"].to_str().unwrap();
    etag.trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .unwrap()
}

/// POST with If-Match; checks the status and that the ETag matches the body's version.
async fn step(
    server: &TestServer,
    user: &str,
    path: &str,
    version: i64,
    body: Value,
) -> (i64, Value) {
    let response = server.post_if_match(path, user, version, &body).await;
    let status = response.status();
    let new_version = if status.is_success() {
        etag_version(&response)
    } else {
        -1
    };
    let body = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        body["version"].as_i64(),
        Some(new_version),
        "{path}: {body}"
    );
    (new_version, body)
}

async fn refer(server: &TestServer, given: &str, family: &str) -> (String, i64, Value) {
    let response = server
        .post(
            "/api/v1/referrals",
            "custody.sgt",
            &referral_request(given, family),
        )
        .await;
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/cases/")
    );
    let version = etag_version(&response);
    let body = expect_json(response, StatusCode::CREATED).await;
    let case_id = body["case"]["case_id"].as_str().unwrap().to_owned();
    (case_id, version, body)
}

#[tokio::test]
async fn a_case_from_referral_to_completion() {
    for server in spawn_apps().await {
        // Refer: the case, the advice with every criterion, likely duplicates.
        let (case_id, version, referred) = refer(&server, "Jordan", "Ashworth").await;
        assert_eq!(referred["case"]["state"], "referred");
        assert_eq!(
            referred["advice"]["advised_outcome"], "eligible",
            "{referred}"
        );
        let criteria = referred["advice"]["criteria"].as_array().unwrap();
        assert!(criteria.len() > 5);
        assert!(
            criteria
                .iter()
                .all(|c| c["verdict"].is_string() && c["explanation"].is_string())
        );
        assert_eq!(referred["likely_matches"], json!([]));
        let case = |suffix: &str| format!("/api/v1/cases/{case_id}{suffix}");

        // Screening: accept the advice. Then offer and consent at the custody desk.
        let (version, _) = step(
            &server,
            "custody.sgt",
            &case("/screening-decision"),
            version,
            json!({ "choice": "accept_advice" }),
        )
        .await;
        let (version, offered) =
            step(&server, "custody.sgt", &case("/offer"), version, json!({})).await;
        assert_eq!(offered["state"], "offered");
        let (version, accepted) = step(&server, "custody.sgt", &case("/consent"), version,
            json!({ "answer": "accepted", "admission": "admitted_in_interview", "signed_on": "2026-03-04" })).await;
        assert_eq!(accepted["state"], "accepted");

        // A supervisor assigns a navigator of team north.
        let navigator = server.ids["nav.north.1"];
        let (version, assigned) = step(
            &server,
            "supervisor",
            &case("/assignment"),
            version,
            json!({ "navigator_id": navigator }),
        )
        .await;
        assert_eq!(assigned["navigator_name"], "Test nav.north.1");

        // The navigator: needs, contract, signature, start.
        let (version, needs) = step(
            &server,
            "nav.north.1",
            &case("/needs-assessment"),
            version,
            json!({
                "items": [
                    { "pathway": "alcohol", "severity": "high", "notes": "drinks daily" },
                    { "pathway": "housing", "severity": "none" }
                ]
            }),
        )
        .await;
        assert_eq!(needs["state"], "needs_assessed");
        let (version, drafted) = step(&server, "nav.north.1", &case("/contract"), version, json!({
            "start": "2026-03-04",
            "conditions": [
                { "condition": "no_reoffending" },
                { "condition": "alcohol_intervention", "due": "2026-04-04", "provider": "Durham Recovery Service" }
            ]
        })).await;
        assert_eq!(
            drafted["contract"]["conditions"].as_array().unwrap().len(),
            2
        );
        let (version, _) = step(&server, "nav.north.1", &case("/contract/signature"), version,
            json!({ "signed_on": "2026-03-04", "kind": "on_screen", "typed_name": "Jordan Ashworth" })).await;
        let (version, started) = step(
            &server,
            "nav.north.1",
            &case("/contract/start"),
            version,
            json!({}),
        )
        .await;
        assert_eq!(started["state"], "active");

        // An appointment, attended.
        let appointment = server
            .post(&case("/appointments"), "nav.north.1",
                &json!({ "at": "2026-03-04T11:00:00Z", "purpose": "Alcohol course intake", "location": "Durham hub" }))
            .await;
        let appointment = expect_json(appointment, StatusCode::CREATED).await;
        // Attendance is recorded after the appointment.
        server
            .app
            .clock()
            .set("2026-03-04T12:00:00Z".parse().unwrap());
        let attendance = server
            .post(
                &format!(
                    "/api/v1/appointments/{}/attendance",
                    appointment["id"].as_str().unwrap()
                ),
                "nav.north.1",
                &json!({ "attendance": "attended" }),
            )
            .await;
        let attendance = expect_json(attendance, StatusCode::OK).await;
        assert_eq!(attendance["appointment"]["attendance"], "attended");
        let mut version = attendance["version"].as_i64().unwrap().max(version);

        // Every condition done, then completion.
        for condition in started["contract"]["conditions"].as_array().unwrap() {
            let done = server
                .post(
                    &format!(
                        "/api/v1/conditions/{}/status",
                        condition["id"].as_str().unwrap()
                    ),
                    "nav.north.1",
                    &json!({ "status": "completed", "note": "done" }),
                )
                .await;
            version = expect_json(done, StatusCode::OK).await["version"]
                .as_i64()
                .unwrap();
        }
        let (version, completed) = step(
            &server,
            "nav.north.1",
            &case("/completion"),
            version,
            json!({}),
        )
        .await;
        assert!(completed["outcome_code"].is_number(), "{completed}");

        // The case page shows it all, with the ETag of the current version.
        let response = server.get(&case(""), "nav.north.1").await;
        assert_eq!(etag_version(&response), version);
        let view = expect_json(response, StatusCode::OK).await;
        assert_eq!(view["version"], version, "{}", server.backend);
        assert_eq!(view["header"]["navigator"]["user_id"], json!(navigator));
        assert!(view["timeline"].as_array().unwrap().len() >= 10);
        assert_eq!(view["decision"]["decision"]["follows_advice"], true);
    }
}

#[tokio::test]
async fn stale_or_missing_versions_are_refused() {
    let server = spawn_sqlite().await;
    let (case_id, version, _) = refer(&server, "Casey", "Stale").await;
    let path = format!("/api/v1/cases/{case_id}/screening-decision");
    let accept = json!({ "choice": "accept_advice" });

    let missing = server.post(&path, "custody.sgt", &accept).await;
    let problem = expect_problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
    assert_eq!(failing_fields(&problem), ["If-Match", "version"]);

    let stale = server
        .post_if_match(&path, "custody.sgt", version + 5, &accept)
        .await;
    let problem = expect_problem(stale, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:checkpoint:problem:stale-version");
    assert_eq!(problem["current_version"], version);

    let garbled = server
        .request(Method::POST, &path, Some("custody.sgt"))
        .header("If-Match", "*")
        .json(&accept)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(garbled, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["location"], "header");

    // The version in the body works as well as If-Match.
    let in_body = server
        .post(
            &path,
            "custody.sgt",
            &json!({ "choice": "accept_advice", "version": version }),
        )
        .await;
    expect_json(in_body, StatusCode::OK).await;

    // Deciding twice: the case has moved on.
    let again = server
        .post_if_match(&path, "custody.sgt", version + 1, &accept)
        .await;
    let problem = expect_problem(again, StatusCode::CONFLICT).await;
    assert_eq!(problem["type"], "urn:checkpoint:problem:illegal-transition");
    assert_eq!(problem["state"], "eligible");
    assert!(
        problem["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("offer"))
    );
}

#[tokio::test]
async fn roles_and_scope_are_enforced_without_revealing_cases() {
    let server = spawn_sqlite().await;
    for user in ["nav.north.1", "analyst", "admin"] {
        let response = server
            .post(
                "/api/v1/referrals",
                user,
                &referral_request("Riley", "Role"),
            )
            .await;
        expect_problem(response, StatusCode::FORBIDDEN).await;
    }
    let (case_id, _, _) = refer(&server, "Riley", "Scope").await;
    let path = format!("/api/v1/cases/{case_id}");
    expect_json(server.get(&path, "custody.sgt").await, StatusCode::OK).await;
    // Unassigned: no navigator sees it; the answer is the same as for an unknown id.
    let hidden = expect_problem(
        server.get(&path, "nav.south.1").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let unknown = expect_problem(
        server
            .get(
                "/api/v1/cases/0190f0a0-0000-7000-8000-000000000000",
                "custody.sgt",
            )
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(hidden["detail"], unknown["detail"]);
    expect_problem(server.get(&path, "analyst").await, StatusCode::FORBIDDEN).await;
    let bad_id = expect_problem(
        server.get("/api/v1/cases/not-a-uuid", "custody.sgt").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad_id["errors"][0]["location"], "path");
    expect_problem(
        server.get("/api/v1/me/caseload", "custody.sgt").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_problem(
        server.get("/api/v1/supervisor/queue", "nav.north.1").await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn referral_problems_name_their_json_paths() {
    let server = spawn_sqlite().await;
    let mut bad_date = referral_request("Drew", "Dates");
    bad_date["referral"]["person"]["date_of_birth"] = json!("1994-13-40");
    let problem = expect_problem(
        server
            .post("/api/v1/referrals", "custody.sgt", &bad_date)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(failing_fields(&problem), ["referral.person.date_of_birth"]);

    let mut missing = referral_request("Drew", "Missing");
    missing["referral"]["person"]
        .as_object_mut()
        .unwrap()
        .remove("given_name");
    let problem = expect_problem(
        server
            .post("/api/v1/referrals", "custody.sgt", &missing)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(failing_fields(&problem), ["referral.person.given_name"]);

    let mut future = referral_request("Drew", "Future");
    future["referral"]["offence"]["offence_date"] = json!("2026-03-05");
    let problem = expect_problem(
        server
            .post("/api/v1/referrals", "custody.sgt", &future)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(failing_fields(&problem), ["referral.offence.offence_date"]);

    let mut scheme = referral_request("Drew", "Scheme");
    scheme["scheme_id"] = json!("no-such-scheme");
    let problem = expect_problem(
        server
            .post("/api/v1/referrals", "custody.sgt", &scheme)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(failing_fields(&problem), ["scheme_id"]);

    let override_without_reason = {
        let (case_id, version, _) = refer(&server, "Drew", "Override").await;
        server
            .post_if_match(
                &format!("/api/v1/cases/{case_id}/screening-decision"),
                "custody.sgt",
                version,
                &json!({ "choice": "override" }),
            )
            .await
    };
    let problem = expect_problem(override_without_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(failing_fields(&problem), ["outcome", "code", "reason"]);
}

#[tokio::test]
async fn likely_duplicates_are_shown_and_must_be_acknowledged() {
    let server = spawn_sqlite().await;
    let (_, _, first) = refer(&server, "Sam", "Twice").await;
    let person = example_referral()["person"].clone();
    let mut person = person;
    person["given_name"] = json!("Sam");
    person["family_name"] = json!("Twice");
    person.as_object_mut().unwrap().remove("pnc_id");
    let matches = server
        .post(
            "/api/v1/people/likely-matches",
            "custody.sgt",
            &json!({ "person": person }),
        )
        .await;
    let matches = expect_json(matches, StatusCode::OK).await;
    assert_eq!(matches[0]["person_id"], first["person_id"]);

    let unacknowledged = server
        .post(
            "/api/v1/referrals",
            "custody.sgt",
            &referral_request("Sam", "Twice"),
        )
        .await;
    let problem = expect_problem(unacknowledged, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(failing_fields(&problem), ["person"]);

    let mut same_person = referral_request("Sam", "Twice");
    same_person["person"] = json!({ "kind": "existing", "person_id": first["person_id"] });
    let second = server
        .post("/api/v1/referrals", "custody.sgt", &same_person)
        .await;
    let second = expect_json(second, StatusCode::CREATED).await;
    assert_eq!(second["person_id"], first["person_id"]);

    // People search, paginated with the filters kept in the links.
    let found = server
        .get("/api/v1/people?name=Sam%20Twice", "custody.sgt")
        .await;
    let found = expect_json(found, StatusCode::OK).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert!(found.get("total").is_none() && found.get("next").is_none());
    let person_id = found["items"][0]["person_id"].as_str().unwrap();
    let no_reason = server
        .get(&format!("/api/v1/people/{person_id}"), "custody.sgt")
        .await;
    let problem = expect_problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["location"], "query");
    let person = server
        .get(
            &format!("/api/v1/people/{person_id}?justification=duplicate%20check"),
            "custody.sgt",
        )
        .await;
    let person = expect_json(person, StatusCode::OK).await;
    assert_eq!(person["cases"].as_array().unwrap().len(), 2);
}
