//! Malformed requests: every one answers a problem document, never a 500.

use crate::helpers::{expect_problem, failing_fields, spawn_sqlite};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bad_json_is_400_and_bad_shapes_are_422_naming_the_path() {
    let server = spawn_sqlite().await;
    let syntax = server
        .request(Method::POST, "/api/v1/sessions", None)
        .header("content-type", "application/json")
        .body("{\"username\": \"a\",")
        .send()
        .await
        .unwrap();
    let problem = expect_problem(syntax, StatusCode::BAD_REQUEST).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("line 1"),
        "{problem}"
    );

    let no_type = server
        .request(Method::POST, "/api/v1/sessions", None)
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(no_type, StatusCode::BAD_REQUEST).await;
    let wrong_type = server
        .request(Method::POST, "/api/v1/sessions", None)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_problem(wrong_type, StatusCode::BAD_REQUEST).await;
    let empty = server
        .request(Method::POST, "/api/v1/sessions", None)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    expect_problem(empty, StatusCode::BAD_REQUEST).await;

    let wrong_shape = server
        .request(Method::POST, "/api/v1/sessions", None)
        .json(&json!({ "username": 7, "password": "x" }))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(wrong_shape, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(failing_fields(&problem), ["username"]);
    assert_eq!(problem["errors"][0]["location"], "body");

    let unknown = server
        .request(Method::POST, "/api/v1/sessions", None)
        .json(&json!({ "username": "a", "password": "b", "remember": true }))
        .send()
        .await
        .unwrap();
    expect_problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let server = spawn_sqlite().await;
    let huge = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(checkpoint_web::BODY_LIMIT_BYTES + 1)
    );
    let response = server
        .request(Method::POST, "/api/v1/sessions", None)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problems() {
    let server = spawn_sqlite().await;
    let response = server.get("/api/v1/nothing-here", "admin").await;
    let problem = expect_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(problem["type"], "urn:checkpoint:problem:no-route");
    let response = server
        .request(Method::PUT, "/api/v1/me", Some("admin"))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn responses_are_never_cached_or_sniffed() {
    let server = spawn_sqlite().await;
    let response = server.get("/api/v1/me", "admin").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}
