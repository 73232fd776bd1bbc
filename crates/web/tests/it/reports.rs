//! Evaluation reports over HTTP on each backend: the `/reports` pages (HTML with SVG charts,
//! small numbers withheld, the source and method printed before any figure) and
//! `GET /api/v1/reports/{name}` as JSON and as CSV for every report.
//!
//! The cohort is made through the API on 4 March 2026: 12 people offered the programme who
//! decline it (followed up from that day, intention to treat) and 3 screened out on the
//! policy's advice (risk band high: the first unmet criterion is `hart_moderate`). On
//! 10 April 2026 an arrest feed arrives with a re-arrest on 1 April for 10 of the 12 decliners;
//! monitoring links them and records reoffending events. The reports are read on 1 June 2027,
//! when every 12-month window has closed: 10 of 12 decliners re-arrested, where the 2 who were
//! not (and so the 10, from the total) must be withheld.

use crate::helpers::{
    PASSWORD, TestServer, USERS, expect_json, expect_problem, failing_fields, spawn_apps,
};
use crate::story::example_referral;
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REPORTS: [&str; 6] = [
    "funnel",
    "reoffending",
    "trial",
    "disproportionality",
    "cost",
    "all",
];

const FAMILY_NAMES: [&str; 15] = [
    "Ashworth",
    "Brennan",
    "Castellano",
    "Dimitrov",
    "Eriksen",
    "Fairweather",
    "Gallagher",
    "Hollingsworth",
    "Iwasaki",
    "Jankowski",
    "Kowalczyk",
    "Lindqvist",
    "Montgomery",
    "Nakamura",
    "Oyelaran",
];

const GIVEN_NAMES: [&str; 15] = [
    "Jordan",
    "Priya",
    "Tomasz",
    "Aoife",
    "Kwame",
    "Bethany",
    "Ravi",
    "Siobhan",
    "Declan",
    "Marguerite",
    "Olusegun",
    "Henrietta",
    "Ignatius",
    "Rosalind",
    "Barnaby",
];

fn at(day: &str) -> jiff::Timestamp {
    format!("{day}T12:00:00Z").parse().expect("timestamp")
}

fn pnc(n: usize) -> String {
    format!("94/{:07}W", 1000 + n)
}

fn referral(n: usize, screened_out: bool) -> Value {
    let mut referral = example_referral();
    referral["person"]["given_name"] = json!(GIVEN_NAMES[n]);
    referral["person"]["family_name"] = json!(FAMILY_NAMES[n]);
    referral["person"]["pnc_id"] = json!(pnc(n));
    if screened_out {
        referral["risk"] = json!({ "tool": "HART 2", "band": "high", "officer_band": "high" });
    }
    json!({ "scheme_id": "durham-checkpoint", "referral": referral })
}

/// Refers person `n` and takes the policy's advice; a decliner is then offered the programme
/// and declines. Returns nothing: the reports are what the test reads.
async fn make_case(server: &TestServer, n: usize, screened_out: bool) {
    let referred = expect_json(
        server
            .post(
                "/api/v1/referrals",
                "custody.sgt",
                &referral(n, screened_out),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let case_id = referred["case"]["case_id"].as_str().expect("case id");
    let mut version = referred["case"]["version"].as_i64().expect("version");
    let mut step = async |path: &str, body: Value| {
        let mut body = body;
        body["version"] = json!(version);
        let path = format!("/api/v1/cases/{case_id}/{path}");
        let done = expect_json(
            server.post(&path, "custody.sgt", &body).await,
            StatusCode::OK,
        )
        .await;
        version = done["version"].as_i64().expect("version");
        done
    };
    let screened = step("screening-decision", json!({ "choice": "accept_advice" })).await;
    if screened_out {
        assert_eq!(screened["state"], "ineligible", "{screened}");
        return;
    }
    step("offer", json!({})).await;
    let declined = step(
        "consent",
        json!({ "answer": "declined", "reason": "Would rather go to court (synthetic)." }),
    )
    .await;
    assert_eq!(declined["state"], "declined", "{declined}");
}

/// Moves the application's clock and signs everyone in again (sessions expire meanwhile).
async fn move_clock(server: &mut TestServer, day: &str) {
    server.app.clock().set(at(day));
    for (username, _, _) in USERS {
        let response = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": username, "password": PASSWORD }))
            .send()
            .await
            .expect("sign in");
        let body = expect_json(response, StatusCode::CREATED).await;
        let token = body["token"].as_str().expect("token").to_owned();
        server.tokens.insert(username, token);
    }
}

/// The cohort, the feed, and the clock moved to the day the reports are read.
async fn cohort(server: &mut TestServer) {
    for n in 0..12 {
        make_case(server, n, false).await;
    }
    for n in 12..15 {
        make_case(server, n, true).await;
    }
    move_clock(server, "2026-04-10").await;
    let person = &example_referral()["person"];
    let dob: jiff::civil::Date = person["date_of_birth"]
        .as_str()
        .expect("dob")
        .parse()
        .expect("date");
    let mut feed =
        String::from("arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n");
    for n in 0..10 {
        feed.push_str(&format!(
            "ARR/26/{n:04},{},{},{},{},{},2026-04-01,theft\n",
            GIVEN_NAMES[n],
            FAMILY_NAMES[n],
            dob.strftime("%d/%m/%Y"),
            person["postcode"].as_str().expect("postcode"),
            pnc(n)
        ));
    }
    let imported = server
        .request(
            Method::POST,
            "/api/v1/imports/arrests?source=custody-daily",
            Some("supervisor"),
        )
        .header(CONTENT_TYPE, "text/csv")
        .body(feed)
        .send()
        .await
        .expect("POST");
    let imported = expect_json(imported, StatusCode::OK).await;
    assert_eq!(imported["summary"]["linked"], 10, "{imported}");
    assert_eq!(imported["summary"]["reoffending_events"], 10, "{imported}");
    move_clock(server, "2027-06-01").await;
}

/// A page as `username`, signed in with the session cookie the browser would send.
async fn page(server: &TestServer, path: &str, username: &str) -> (StatusCode, String) {
    let response = server
        .client
        .get(server.url(path))
        .header(
            "cookie",
            format!("checkpoint_session={}", server.token(username)),
        )
        .send()
        .await
        .expect("GET");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// Every published count in a JSON report is `{"value": n}`; none may be between 1 and 9.
fn small_counts(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(n) = map.get("value").and_then(Value::as_u64)
                && (1..10).contains(&n)
            {
                found.push(format!("{path} = {n}"));
            }
            for (k, v) in map {
                small_counts(v, &format!("{path}.{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                small_counts(v, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn group<'a>(report: &'a Value, window: &Value, name: &str) -> &'a Value {
    report["reoffending"]["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["window"] == *window)
        .and_then(|w| {
            w["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .find(|g| g["group"] == name)
        })
        .unwrap_or_else(|| panic!("no {name} in {window}: {report}"))
}

#[tokio::test]
async fn report_pages_show_charts_withhold_small_numbers_and_say_where_figures_come_from() {
    for mut server in spawn_apps().await {
        let b = server.backend;
        cohort(&mut server).await;

        let (status, index) = page(&server, "/reports", "analyst").await;
        assert_eq!(status, StatusCode::OK, "{b}: {index}");
        for name in REPORTS {
            assert!(
                index.contains(&format!("href=\"/reports/{name}\"")),
                "{b}: {name}"
            );
        }

        let (status, html) = page(&server, "/reports/reoffending", "analyst").await;
        assert_eq!(status, StatusCode::OK, "{b}: {html}");
        // The source and the method come first, before any figure.
        let method = html
            .find("Reoffending source: arrests in the imported arrest feed")
            .expect("the source is printed");
        let first_table = html.find("<table").expect("tables");
        assert!(method < first_table, "{b}: source after the figures");
        assert!(html.contains("Index date: the contract"), "{b}");
        // A Kaplan–Meier chart, inline SVG, for the decliners.
        assert!(html.contains("<svg"), "{b}");
        assert!(html.contains("Kaplan"), "{b}");
        // 10 of 12 decliners re-arrested: the 2 who were not would follow from the total, so
        // the 10 is withheld (secondary suppression), and the page says how to read it.
        assert!(html.contains("cannot be worked out from a total"), "{b}");
        let declined_12: Vec<&str> = html
            .split("<tr>")
            .filter(|row| row.starts_with("<td>12 months</td><td>declined</td>"))
            .collect();
        assert_eq!(declined_12.len(), 1, "{b}: {declined_12:?}");
        let row = declined_12[0];
        assert!(row.contains("<td>12</td>"), "{b}: followed up: {row}");
        assert!(
            row.contains("<td>*</td>"),
            "{b}: re-arrested withheld: {row}"
        );
        assert!(!row.contains("<td>10</td>"), "{b}: 10 published: {row}");
        assert!(!row.contains("<td>2</td>"), "{b}: 2 published: {row}");
        // Nor does the curve give them away: it stops before the drop to 2 of 12 (17%).
        assert!(
            !html.contains("17%"),
            "{b}: the curve shows the withheld count"
        );

        let (status, html) = page(&server, "/reports/all", "supervisor").await;
        assert_eq!(status, StatusCode::OK, "{b}: {html}");
        for section in [
            "report-funnel",
            "report-reoffending",
            "report-trial",
            "report-disproportionality",
            "report-cost",
        ] {
            assert!(
                html.contains(&format!("data-testid=\"{section}\"")),
                "{b}: {section}"
            );
        }
        // Funnel, Kaplan–Meier (reoffending and trial) and RRI forest plots.
        assert!(html.matches("<svg").count() >= 4, "{b}");
        assert!(html.contains("Balance of the arms"), "{b}");
        // 3 screened out (first unmet criterion: the risk band) is shown as "<10".
        assert!(
            html.contains("<td>hart_moderate</td><td>&#60;10</td>"),
            "{b}"
        );
        assert!(html.contains("minimum n"), "{b}: warnings are printed");

        // Filters narrow the selection and are echoed in the form.
        let (status, html) = page(
            &server,
            "/reports/funnel?scheme=durham-checkpoint&from=2026-03-01&to=2026-03-31",
            "analyst",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}: {html}");
        assert!(html.contains("value=\"2026-03-01\""), "{b}");
        assert!(html.contains("referred 2026-03-01 to 2026-03-31"), "{b}");
        let (status, html) = page(&server, "/reports/funnel?from=March", "analyst").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {html}");
        assert!(html.contains("YYYY-MM-DD"), "{b}: {html}");

        // Custody officers and navigators get no reports.
        for username in ["custody.sgt", "nav.north.1"] {
            let (status, _) = page(&server, "/reports/reoffending", username).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {username}");
        }
    }
}

#[tokio::test]
async fn every_report_comes_as_json_and_csv_with_small_numbers_withheld() {
    for mut server in spawn_apps().await {
        let b = server.backend;
        cohort(&mut server).await;
        for name in REPORTS {
            let path = format!("/api/v1/reports/{name}");
            let json = expect_json(server.get(&path, "analyst").await, StatusCode::OK).await;
            assert_eq!(json["report"], name, "{b}");
            let sources = json["sources"].to_string();
            assert!(sources.contains("imported arrest feed"), "{b}: {sources}");
            let mut found = Vec::new();
            small_counts(&json, "$", &mut found);
            assert!(found.is_empty(), "{b}: {name}: small counts: {found:?}");
            if name != "all" {
                assert!(json[name].is_object(), "{b}: {name}: {json}");
            }

            for request in [
                server.request(Method::GET, &format!("{path}?format=csv"), Some("analyst")),
                server
                    .request(Method::GET, &path, Some("analyst"))
                    .header(ACCEPT, "text/csv"),
            ] {
                let response = request.send().await.expect("GET");
                assert_eq!(response.status(), StatusCode::OK, "{b}: {name}");
                let headers = response.headers().clone();
                assert_eq!(
                    headers[CONTENT_TYPE].to_str().expect("type"),
                    "text/csv; charset=utf-8",
                    "{b}"
                );
                assert_eq!(
                    headers[CONTENT_DISPOSITION].to_str().expect("disposition"),
                    format!("attachment; filename=\"checkpoint-{name}.csv\""),
                    "{b}"
                );
                let csv = response.text().await.expect("body");
                assert!(csv.starts_with("# "), "{b}: {name}: {csv}");
                assert!(csv.contains("\r\n# Warnings\r\n"), "{b}: {name}");
                assert!(csv.contains("source,\"Reoffending source"), "{b}: {name}");
                let tables = csv.split("# Settings").next().expect("tables");
                for line in tables.lines() {
                    for field in line.split(',') {
                        if let Ok(n) = field.parse::<u64>() {
                            assert!(!(1..10).contains(&n), "{b}: {name}: {n} in {line:?}");
                        }
                    }
                }
            }
        }

        // The figures themselves: 12 decliners followed up for 12 months; their re-arrests
        // (10 of 12) withheld; the screening reason is the first unmet criterion.
        let all = expect_json(
            server.get("/api/v1/reports/all", "supervisor").await,
            StatusCode::OK,
        )
        .await;
        let declined = group(&all, &json!({ "months": 12 }), "declined");
        assert_eq!(declined["followed_up"], json!({ "value": 12 }), "{b}");
        assert!(
            declined["reoffended"]["suppressed"].is_object(),
            "{b}: {declined}"
        );
        let csv = server
            .request(
                Method::GET,
                "/api/v1/reports/funnel?format=csv",
                Some("analyst"),
            )
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(
            csv.contains("durham-checkpoint,ineligibility_reason,hart_moderate,<10"),
            "{b}: {csv}"
        );
        assert!(
            csv.contains("durham-checkpoint,2026-03,15,12,<10,"),
            "{b}: {csv}"
        );
    }
}

#[tokio::test]
async fn report_requests_are_checked_and_need_the_right_role() {
    for server in spawn_apps().await {
        let b = server.backend;
        let unknown = server.get("/api/v1/reports/everything", "analyst").await;
        let problem = expect_problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["report"], "{b}: {problem}");
        let format = server
            .get("/api/v1/reports/funnel?format=xlsx", "analyst")
            .await;
        let problem = expect_problem(format, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["format"], "{b}: {problem}");
        let backwards = server
            .get(
                "/api/v1/reports/funnel?from=2026-03-31&to=2026-03-01",
                "analyst",
            )
            .await;
        let problem = expect_problem(backwards, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["from"], "{b}: {problem}");
        let scheme = server
            .get("/api/v1/reports/funnel?scheme=atlantis", "analyst")
            .await;
        let problem = expect_problem(scheme, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["scheme"], "{b}: {problem}");
        for username in ["custody.sgt", "nav.north.1", "admin"] {
            let refused = server.get("/api/v1/reports/all", username).await;
            expect_problem(refused, StatusCode::FORBIDDEN).await;
        }
        let anonymous = server
            .request(Method::GET, "/api/v1/reports/all", None)
            .send()
            .await
            .expect("GET");
        expect_problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }
}
