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

#[tokio::test]
async fn an_admin_cannot_disable_their_own_account_and_the_page_says_why() {
    use crate::browser::support::FormClient;
    let server = spawn_sqlite().await;
    let admin = FormClient::sign_in(&server.base, "admin").await;
    let page = admin.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    // Their own row offers no "Disable" and says why; the others do.
    assert!(
        page.contains("admin <span class=\"tag\">You</span>"),
        "{}",
        page.html
    );
    assert!(page.contains("You cannot disable your own account; another administrator can."));
    assert!(!page.contains("action=\"/admin/users/admin/disable\""));
    assert!(page.contains("action=\"/admin/users/nav.south.1/disable\""));

    // A post all the same (an old page, a crafted form) is refused by the use case, shown
    // on the users page linked to the row.
    let refused = admin.post("/admin/users/admin/disable", &page, &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("data-testid=\"error-summary\""),
        "{}",
        refused.html
    );
    assert!(refused.contains("href=\"#disable-admin\""));
    assert!(refused.contains("You cannot disable your own account"));
    let still = admin.get("/admin/users?q=admin").await;
    assert_eq!(still.status, StatusCode::OK, "the session still works");
    let accounts = server.app.list_accounts(None).await.expect("accounts");
    assert!(
        accounts
            .iter()
            .any(|a| a.username == "admin" && !a.disabled),
        "nothing changed"
    );

    // Disabling someone else works, and the search and pager still show them.
    let done = admin
        .post("/admin/users/nav.south.1/disable", &page, &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let found = admin.get("/admin/users?q=south").await;
    assert!(
        found.contains("Showing 1–1 of 1 accounts"),
        "{}",
        found.html
    );
    assert!(found.contains("action=\"/admin/users/nav.south.1/enable\""));
}
