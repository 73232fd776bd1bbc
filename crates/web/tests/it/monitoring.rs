//! The arrest feed and the clerical queue over HTTP: who may call them, a CSV body in, the
//! summary and the rejected rows out, and a re-sent feed adding nothing.

use crate::helpers::*;
use reqwest::{Method, StatusCode};

const FEED: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n\
                    A1,Ann,Smith,03/04/1990,QX1 1AA,,2026-01-02,theft\n\
                    A2,Bob,Jones,31/02/1990,QX1 1AA,,2026-01-02,theft\n";

async fn send_feed(server: &TestServer, username: &str, body: &str) -> reqwest::Response {
    server
        .request(
            Method::POST,
            "/api/v1/imports/arrests?source=custody-daily",
            Some(username),
        )
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn supervisors_and_admins_import_a_feed_and_a_resent_feed_adds_nothing() {
    let server = spawn_sqlite().await;
    for username in ["custody.sgt", "nav.north.1", "analyst"] {
        let denied = send_feed(&server, username, FEED).await;
        expect_problem(denied, StatusCode::FORBIDDEN).await;
    }
    let first = expect_json(send_feed(&server, "supervisor", FEED).await, StatusCode::OK).await;
    assert_eq!(first["summary"]["new"], 1, "{first}");
    assert_eq!(first["rejects"][0]["line"], 3, "{first}");
    assert_eq!(first["rejects"][0]["column"], "dob", "{first}");
    let again = expect_json(send_feed(&server, "admin", FEED).await, StatusCode::OK).await;
    assert_eq!(again["summary"]["new"], 0, "{again}");
    assert_eq!(again["summary"]["duplicates"], 1, "{again}");

    let missing = send_feed(&server, "supervisor", "given_name,surname\nAnn,Smith\n").await;
    let problem = expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(problem.to_string().contains("dob"), "{problem}");
}

#[tokio::test]
async fn only_supervisors_see_the_clerical_queue() {
    let server = spawn_sqlite().await;
    for (username, _, _) in USERS {
        let response = server
            .get("/api/v1/linkage/reviews?limit=10", username)
            .await;
        if username == "supervisor" {
            let page = expect_json(response, StatusCode::OK).await;
            assert_eq!(page["pending"], 0, "{page}");
        } else {
            expect_problem(response, StatusCode::FORBIDDEN).await;
        }
    }
}
