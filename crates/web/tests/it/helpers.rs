//! `spawn_app()`: the real server on a random loopback port over a fresh database, with one
//! signed-in user per role, and a client with small request helpers.

use checkpoint_app::auth::PasswordCost;
use checkpoint_app::{App, Clock, NewAccount, PolicyRegistry, Role, Settings};
use checkpoint_store::testing::{self, TestDb};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Passwords of the seeded users (synthetic; test only).
pub const PASSWORD: &str = "correct horse battery staple";

/// 4 March 2026, 10:00 in London: "now" in tests.
pub const NOW: &str = "2026-03-04T10:00:00Z";

/// The seeded users: (username, role, team).
pub const USERS: [(&str, Role, Option<&str>); 7] = [
    ("custody.sgt", Role::CustodyOfficer, None),
    ("nav.north.1", Role::Navigator, Some("north")),
    ("nav.north.2", Role::Navigator, Some("north")),
    ("nav.south.1", Role::Navigator, Some("south")),
    ("supervisor", Role::Supervisor, Some("north")),
    ("analyst", Role::Analyst, None),
    ("admin", Role::Admin, None),
];

#[derive(Debug)]
pub struct TestServer {
    pub base: String,
    pub backend: &'static str,
    pub client: reqwest::Client,
    pub app: App,
    /// Session tokens by username, signed in over HTTP.
    pub tokens: HashMap<&'static str, String>,
    /// User ids by username.
    pub ids: HashMap<&'static str, uuid::Uuid>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn token(&self, username: &str) -> &str {
        &self.tokens[username]
    }

    /// A request as `username` (or anonymous when `None`).
    pub fn request(&self, method: Method, path: &str, username: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match username {
            Some(user) => builder.bearer_auth(self.token(user)),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, username: &str) -> Response {
        self.request(Method::GET, path, Some(username))
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str, username: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(username))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// POST with `If-Match: "v{version}"`.
    pub async fn post_if_match(
        &self,
        path: &str,
        username: &str,
        version: i64,
        body: &Value,
    ) -> Response {
        self.request(Method::POST, path, Some(username))
            .header("If-Match", format!("\"v{version}\""))
            .json(body)
            .send()
            .await
            .expect("POST")
    }
}

/// Reads a JSON body after checking the status, showing the body when the status is wrong.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let got = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        return Value::Null;
    }
    assert!(
        content_type.starts_with("application/json")
            || content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    serde_json::from_str(&text).expect("JSON body")
}

/// Reads a problem-details body after checking the status and content type.
pub async fn expect_problem(response: Response, status: StatusCode) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = expect_json(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:checkpoint:problem:"))
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The fields a 422 problem names.
pub fn failing_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn spawn(db: TestDb) -> TestServer {
    spawn_with(
        db,
        PolicyRegistry::shipped().expect("shipped policies"),
        checkpoint_web::WebConfig::default(),
    )
    .await
}

/// A running server with the given policies and adapter settings (cookies, proxy).
pub async fn spawn_with(
    db: TestDb,
    policies: PolicyRegistry,
    config: checkpoint_web::WebConfig,
) -> TestServer {
    let app = App::new(
        db.db.clone(),
        policies,
        Clock::manual(NOW.parse().expect("timestamp")),
        Settings {
            password_cost: PasswordCost::Fast,
            ..Settings::default()
        },
    );
    let mut ids = HashMap::new();
    for (username, role, team) in USERS {
        let account = app
            .create_account(
                None,
                NewAccount {
                    username: username.to_owned(),
                    display_name: format!("Test {username}"),
                    role,
                    team: team.map(str::to_owned),
                    password: PASSWORD.to_owned(),
                },
            )
            .await
            .expect("seed account");
        ids.insert(username, account.id);
    }
    let router = checkpoint_web::router(app.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(checkpoint_web::serve(listener, router, async move {
        let _ = stop.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(false)
        .build()
        .expect("client");
    let mut server = TestServer {
        base,
        backend: db.label,
        client,
        app,
        tokens: HashMap::new(),
        ids,
        shutdown: Some(shutdown),
        _db: db,
    };
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
    server
}

/// A running server over a fresh database on every backend under test.
pub async fn spawn_apps() -> Vec<TestServer> {
    let mut servers = Vec::new();
    for db in testing::backends().await {
        servers.push(spawn(db).await);
    }
    servers
}

/// A running server over a fresh SQLite database only, for tests that check HTTP mechanics
/// (the backend makes no difference to them).
pub async fn spawn_sqlite() -> TestServer {
    spawn(testing::sqlite().await).await
}
