//! Accounts and policies over HTTP: role checks, validation, pagination.

use crate::helpers::{
    USERS, expect_json, expect_problem, failing_fields, spawn_apps, spawn_sqlite,
};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn only_admins_manage_users() {
    let server = spawn_sqlite().await;
    for (username, _, _) in USERS {
        let response = server.get("/api/v1/users", username).await;
        if username == "admin" {
            expect_json(response, StatusCode::OK).await;
        } else {
            let problem = expect_problem(response, StatusCode::FORBIDDEN).await;
            assert_eq!(problem["type"], "urn:checkpoint:problem:forbidden");
        }
    }
    let create = server
        .post(
            "/api/v1/users",
            "supervisor",
            &json!({ "username": "x", "display_name": "X", "role": "admin", "password": "long enough password" }),
        )
        .await;
    expect_problem(create, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn admins_create_users_and_every_bad_field_is_named() {
    for server in spawn_apps().await {
        let created = server
            .post(
                "/api/v1/users",
                "admin",
                &json!({ "username": "nav.east.1", "display_name": "East One", "role": "navigator",
                         "team": "east", "password": "a long enough password" }),
            )
            .await;
        let created = expect_json(created, StatusCode::CREATED).await;
        assert_eq!(created["role"], "navigator");
        assert!(created.get("password").is_none() && created.get("password_hash").is_none());

        let bad = server
            .post(
                "/api/v1/users",
                "admin",
                &json!({ "username": "bad name!", "display_name": " ", "role": "navigator", "password": "short" }),
            )
            .await;
        let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            failing_fields(&problem),
            ["username", "display_name", "password"]
        );

        let duplicate = server
            .post(
                "/api/v1/users",
                "admin",
                &json!({ "username": "nav.east.1", "display_name": "Again", "role": "navigator",
                         "password": "a long enough password" }),
            )
            .await;
        let problem = expect_problem(duplicate, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["username"], "{}", server.backend);

        let unknown_role = server
            .post(
                "/api/v1/users",
                "admin",
                &json!({ "username": "y", "display_name": "Y", "role": "sheriff", "password": "a long enough password" }),
            )
            .await;
        let problem = expect_problem(unknown_role, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["role"]);

        let missing = server
            .post(
                "/api/v1/users",
                "admin",
                &json!({ "username": "z", "role": "admin" }),
            )
            .await;
        let problem = expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(failing_fields(&problem), ["display_name"]);

        let unknown_user = server
            .post("/api/v1/users/nobody/disable", "admin", &json!({}))
            .await;
        expect_problem(unknown_user, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn lists_are_paginated_with_links() {
    let server = spawn_sqlite().await;
    let first = expect_json(
        server.get("/api/v1/users?per_page=3", "admin").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["total"], USERS.len());
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["page"], 1);
    assert_eq!(first["next"], "/api/v1/users?page=2&per_page=3");
    assert!(first.get("prev").is_none());
    let last = expect_json(
        server.get("/api/v1/users?page=3&per_page=3", "admin").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last.get("next").is_none());
    assert_eq!(last["prev"], "/api/v1/users?page=2&per_page=3");
    let beyond = expect_json(
        server.get("/api/v1/users?page=9", "admin").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(beyond["items"], json!([]));

    let bad = server
        .get("/api/v1/users?page=0&per_page=1000", "admin")
        .await;
    let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(failing_fields(&problem), ["page", "per_page"]);
    assert_eq!(problem["errors"][0]["location"], "query");
    let words = server.get("/api/v1/users?page=two", "admin").await;
    expect_problem(words, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn everyone_reads_policies_with_their_criteria() {
    let server = spawn_sqlite().await;
    let list = expect_json(
        server.get("/api/v1/policies?per_page=100", "analyst").await,
        StatusCode::OK,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert!(items.len() >= 4);
    let durham_2017 = items
        .iter()
        .find(|p| p["id"] == "durham-checkpoint" && p["in_force_today"] == true)
        .expect("a Durham version in force in 2026");
    assert!(
        durham_2017["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let path = format!(
        "/api/v1/policies/durham-checkpoint/versions/{}",
        durham_2017["version"]
    );
    let detail = expect_json(server.get(&path, "custody.sgt").await, StatusCode::OK).await;
    assert!(detail["criteria"].as_array().unwrap().len() > 5);
    assert!(detail["criteria"][0]["kind"].is_string());
    assert_eq!(detail["effective_from"], durham_2017["effective_from"]);

    expect_problem(
        server
            .get("/api/v1/policies/durham-checkpoint/versions/99", "admin")
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let problem = expect_problem(
        server
            .get(
                "/api/v1/policies/durham-checkpoint/versions/latest",
                "admin",
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["location"], "path");
}
