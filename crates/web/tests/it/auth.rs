//! Sessions: sign in and out, bearer and cookie, 401 for anonymous callers.

use crate::helpers::{PASSWORD, expect_json, expect_problem, spawn_apps, spawn_sqlite};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn anonymous_requests_get_401_with_a_bearer_challenge() {
    let server = spawn_sqlite().await;
    for (method, path) in [
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/users"),
        (Method::GET, "/api/v1/policies"),
        (Method::DELETE, "/api/v1/sessions/current"),
    ] {
        let response = server
            .request(method.clone(), path, None)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"checkpoint\""
        );
        let problem = expect_problem(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(
            problem["type"], "urn:checkpoint:problem:unauthenticated",
            "{method} {path}"
        );
    }
    let forged = server
        .client
        .get(server.url("/api/v1/me"))
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .unwrap();
    expect_problem(forged, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn sign_in_me_and_sign_out() {
    for server in spawn_apps().await {
        let response = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": "nav.north.1", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("checkpoint_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "plain-HTTP test server: {cookie}"
        );
        let session = expect_json(response, StatusCode::CREATED).await;
        assert_eq!(session["user"]["role"], "navigator");
        assert_eq!(session["user"]["team"], "north");
        assert_eq!(
            session["expires_at"], "2026-03-04T22:00:00Z",
            "12 hours from NOW"
        );
        let token = session["token"].as_str().unwrap();

        let me = server
            .client
            .get(server.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await;
        let me = expect_json(me.unwrap(), StatusCode::OK).await;
        assert_eq!(me["username"], "nav.north.1", "{}", server.backend);

        // The same token in the cookie works for the browser UI.
        let by_cookie = server
            .client
            .get(server.url("/api/v1/me"))
            .header("cookie", format!("theme=dark; checkpoint_session={token}"))
            .send()
            .await
            .unwrap();
        expect_json(by_cookie, StatusCode::OK).await;

        let out = server
            .client
            .delete(server.url("/api/v1/sessions/current"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(
            out.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        expect_json(out, StatusCode::NO_CONTENT).await;
        let after = server
            .client
            .get(server.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await;
        expect_problem(after.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let server = spawn_sqlite().await;
    let mut details = Vec::new();
    for (username, password) in [("custody.sgt", "wrong password!!"), ("nobody", PASSWORD)] {
        let response = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, StatusCode::UNAUTHORIZED).await;
        details.push(problem["detail"].clone());
    }
    assert_eq!(details[0], details[1]);
}

#[tokio::test]
async fn disabled_users_lose_their_sessions_at_once() {
    let server = spawn_sqlite().await;
    let disabled = server
        .post("/api/v1/users/analyst/disable", "admin", &json!({}))
        .await;
    assert_eq!(
        expect_json(disabled, StatusCode::OK).await["disabled"],
        true
    );
    expect_problem(
        server.get("/api/v1/me", "analyst").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn cookie_sessions_refuse_cross_site_writes() {
    let server = spawn_sqlite().await;
    let token = server.token("admin");
    let response = server
        .client
        .post(server.url("/api/v1/users"))
        .header("cookie", format!("checkpoint_session={token}"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::UNAUTHORIZED).await;
}
