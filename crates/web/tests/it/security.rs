//! Sessions and headers (issue 9, item 9): cookie attributes with and without TLS, CSRF on
//! HTML forms, sign-in throttling (API and HTML, per account and per address, audited),
//! Argon2id password hashes, security headers on every kind of response, no inline scripts
//! or styles for the CSP to forbid, and no personal data in the server's log.

use crate::helpers::{
    NOW, PASSWORD, TestServer, expect_json, expect_problem, spawn_sqlite, spawn_with,
};
use crate::story::referral_request;
use checkpoint_app::PolicyRegistry;
use checkpoint_app::auth::{
    ACCOUNT_FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT, PasswordCost, SIGN_IN_WINDOW_MINUTES,
    hash_password,
};
use checkpoint_store::audit::{self, AuditRecord};
use checkpoint_store::testing;
use checkpoint_web::WebConfig;
use checkpoint_web::views::session::csrf_token_for;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

// ---- small helpers ------------------------------------------------------------------------

/// A client that never follows redirects and keeps no cookies: each test sets them by hand.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(false)
        .build()
        .expect("client")
}

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

fn cookie_named(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .clone()
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The sign-in form's double-submit pair: the cookie value and the hidden field agree.
struct SignInForm {
    cookie: String,
    token: String,
}

/// GETs the sign-in form: the double-submit pair, and every `Set-Cookie` the page sent.
async fn sign_in_form(server: &TestServer, extra: &[(&str, &str)]) -> (SignInForm, Vec<String>) {
    let mut request = raw_client().get(server.url("/sign-in"));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let page = request.send().await.expect("GET /sign-in");
    assert_eq!(page.status(), StatusCode::OK);
    let cookies = set_cookies(&page);
    let cookie = cookie_value(&cookie_named(&cookies, "checkpoint_sign_in"));
    let html = page.text().await.expect("body");
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    let token = html[start..start + html[start..].find('"').expect("end")].to_owned();
    assert!(!cookie.is_empty() && cookie == token);
    (SignInForm { cookie, token }, cookies)
}

/// Signs in through the HTML form (token and cookie included), from the given headers.
async fn html_sign_in(
    server: &TestServer,
    username: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Response {
    let (form, _) = sign_in_form(server, extra).await;
    let mut request = raw_client()
        .post(server.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("checkpoint_sign_in={}", form.cookie))
        .body(form_body(&[
            ("_csrf", &form.token),
            ("username", username),
            ("password", password),
        ]));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST /sign-in")
}

async fn api_sign_in(
    server: &TestServer,
    username: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut request = raw_client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": username, "password": password }));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST /api/v1/sessions")
}

/// The audit rows written after sequence `after`.
async fn audit_rows_after(server: &TestServer, after: i64) -> Vec<AuditRecord> {
    let mut tx = server.app.db().begin_read().await.expect("read");
    let rows = audit::page(&mut tx, after, 100_000)
        .await
        .expect("audit page");
    tx.rollback().await.expect("rollback");
    rows
}

async fn last_audit_sequence(server: &TestServer) -> i64 {
    audit_rows_after(server, 0)
        .await
        .last()
        .map_or(0, |r| r.sequence)
}

async fn spawn_configured(config: WebConfig) -> TestServer {
    spawn_with(
        testing::sqlite().await,
        PolicyRegistry::shipped().expect("policies"),
        config,
    )
    .await
}

// ---- cookies ------------------------------------------------------------------------------

#[tokio::test]
async fn session_cookies_are_http_only_same_site_and_secure_behind_tls() {
    // Plain HTTP, no settings: HttpOnly and SameSite, never Secure (the browser would drop it).
    let plain = spawn_sqlite().await;
    let api = api_sign_in(&plain, "custody.sgt", PASSWORD, &[]).await;
    assert_eq!(api.status(), StatusCode::CREATED);
    let cookie = cookie_named(&set_cookies(&api), "checkpoint_session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let (_, form_cookies) = sign_in_form(&plain, &[]).await;
    let form_cookie = cookie_named(&form_cookies, "checkpoint_sign_in");
    assert!(
        form_cookie.contains("HttpOnly") && form_cookie.contains("SameSite=Strict"),
        "{form_cookie}"
    );
    let html = html_sign_in(&plain, "custody.sgt", PASSWORD, &[]).await;
    assert_eq!(html.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_named(&set_cookies(&html), "checkpoint_session");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    // A forwarded-proto header from a client we do not trust changes nothing.
    let forged = api_sign_in(
        &plain,
        "custody.sgt",
        PASSWORD,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(!cookie_named(&set_cookies(&forged), "checkpoint_session").contains("Secure"));

    // `serve --secure-cookies`: every cookie Secure, including the one that clears a session.
    let secure = spawn_configured(WebConfig {
        secure_cookies: true,
        trust_proxy: false,
    })
    .await;
    let api = api_sign_in(&secure, "custody.sgt", PASSWORD, &[]).await;
    let cookie = cookie_named(&set_cookies(&api), "checkpoint_session");
    assert!(
        cookie.ends_with("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let token = expect_json(api, StatusCode::CREATED).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, form_cookies) = sign_in_form(&secure, &[]).await;
    assert!(cookie_named(&form_cookies, "checkpoint_sign_in").contains("Secure"));
    let html = html_sign_in(&secure, "custody.sgt", PASSWORD, &[]).await;
    assert!(cookie_named(&set_cookies(&html), "checkpoint_session").contains("; Secure"));
    let out = raw_client()
        .delete(secure.url("/api/v1/sessions/current"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let cleared = cookie_named(&set_cookies(&out), "checkpoint_session");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Secure"),
        "{cleared}"
    );

    // `serve --trust-proxy`: Secure exactly when the proxy says the client used HTTPS.
    let proxied = spawn_configured(WebConfig {
        secure_cookies: false,
        trust_proxy: true,
    })
    .await;
    let over_tls = api_sign_in(
        &proxied,
        "custody.sgt",
        PASSWORD,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(cookie_named(&set_cookies(&over_tls), "checkpoint_session").contains("; Secure"));
    let html = html_sign_in(
        &proxied,
        "custody.sgt",
        PASSWORD,
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(cookie_named(&set_cookies(&html), "checkpoint_session").contains("; Secure"));
    let over_http = api_sign_in(
        &proxied,
        "custody.sgt",
        PASSWORD,
        &[("x-forwarded-proto", "http")],
    )
    .await;
    assert!(!cookie_named(&set_cookies(&over_http), "checkpoint_session").contains("Secure"));
}

// ---- CSRF ---------------------------------------------------------------------------------

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_change_nothing() {
    let server = spawn_sqlite().await;
    let token = server.token("admin").to_owned();
    let csrf = csrf_token_for(&token);
    let session = format!("checkpoint_session={token}");
    let fields = |name: &'static str| {
        vec![
            ("username", name),
            ("display_name", "Forged Account"),
            ("role", "admin"),
            ("password", "a long enough password"),
        ]
    };
    let post = |body: String, extra: Vec<(&'static str, String)>| {
        let mut request = raw_client()
            .post(server.url("/admin/users"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", session.clone())
            .body(body);
        for (name, value) in extra {
            request = request.header(name, value);
        }
        request.send()
    };
    let before = last_audit_sequence(&server).await;

    let mut with_token = vec![("_csrf", csrf.as_str())];
    with_token.extend(fields("forged.one"));
    let wrong = "0".repeat(64);
    let mut with_wrong = vec![("_csrf", wrong.as_str())];
    with_wrong.extend(fields("forged.one"));
    let others = csrf_token_for(server.token("supervisor"));
    let mut with_others = vec![("_csrf", others.as_str())];
    with_others.extend(fields("forged.one"));
    let refused = [
        (
            "no token",
            post(form_body(&fields("forged.one")), vec![]).await,
        ),
        ("wrong token", post(form_body(&with_wrong), vec![]).await),
        (
            "another session's token",
            post(form_body(&with_others), vec![]).await,
        ),
        (
            "cross-site (Sec-Fetch-Site)",
            post(
                form_body(&with_token),
                vec![("sec-fetch-site", "cross-site".to_owned())],
            )
            .await,
        ),
        (
            "another origin",
            post(
                form_body(&with_token),
                vec![("origin", "https://evil.example".to_owned())],
            )
            .await,
        ),
    ];
    for (what, response) in refused {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        let html = response.text().await.unwrap();
        assert!(html.contains("This form could not be accepted"), "{what}");
    }
    assert_eq!(
        audit_rows_after(&server, before).await.len(),
        0,
        "a refused form writes nothing"
    );
    // The same post, same-origin and with its token, goes through: the refusals were CSRF.
    let accepted = post(
        form_body(&with_token),
        vec![("sec-fetch-site", "same-origin".to_owned())],
    )
    .await
    .unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let users = expect_json(
        server.get("/api/v1/users?per_page=100", "admin").await,
        StatusCode::OK,
    )
    .await;
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "forged.one"),
        "{users}"
    );

    // Signing out is a form too: another site cannot end someone's session.
    let sign_out = raw_client()
        .post(server.url("/sign-out"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", session.clone())
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), StatusCode::FORBIDDEN);
    expect_json(server.get("/api/v1/me", "admin").await, StatusCode::OK).await;

    // Sign-in: without the double-submit cookie, or posted from another site, refused.
    let (form, _) = sign_in_form(&server, &[]).await;
    let body = form_body(&[
        ("_csrf", &form.token),
        ("username", "admin"),
        ("password", PASSWORD),
    ]);
    for (what, cookie, extra) in [
        ("no cookie", None, None),
        ("cookie does not match", Some("f".repeat(64)), None),
        (
            "cross-site",
            Some(form.cookie.clone()),
            Some(("sec-fetch-site", "cross-site")),
        ),
    ] {
        let mut request = raw_client()
            .post(server.url("/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone());
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("checkpoint_sign_in={cookie}"));
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(
            set_cookies(&response)
                .iter()
                .all(|c| !c.starts_with("checkpoint_session="))
        );
    }
}

// ---- sign-in throttling -------------------------------------------------------------------

async fn fail_api(server: &TestServer, username: &str, times: usize, extra: &[(&str, &str)]) {
    for i in 0..times {
        let response = api_sign_in(server, username, "not the password at all", extra).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "failure {} for {username}",
            i + 1
        );
    }
}

async fn expect_throttled(response: Response, scope_words: &str) -> u64 {
    let retry_after: u64 = header(&response, "retry-after")
        .parse()
        .expect("a Retry-After in seconds");
    let problem = expect_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(problem["type"], "urn:checkpoint:problem:too-many-attempts");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(scope_words) && detail.contains("Wait"),
        "{detail}"
    );
    retry_after
}

#[tokio::test]
async fn five_failures_lock_an_account_for_fifteen_minutes_even_with_the_right_password() {
    for server in crate::helpers::spawn_apps().await {
        let before = last_audit_sequence(&server).await;
        fail_api(&server, "nav.north.1", ACCOUNT_FAILURE_LIMIT, &[]).await;
        let locked = api_sign_in(&server, "nav.north.1", PASSWORD, &[]).await;
        let retry_after = expect_throttled(locked, "this username").await;
        // Every failure happened at NOW (the test clock stands still): all leave at NOW + 15'.
        assert_eq!(
            retry_after,
            u64::try_from(SIGN_IN_WINDOW_MINUTES * 60).unwrap(),
            "{}",
            server.backend
        );
        // The same account through the HTML form is locked too: one count for both doors.
        let page = html_sign_in(&server, "NAV.NORTH.1", PASSWORD, &[]).await;
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&page, "retry-after"), retry_after.to_string());
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Too many failed sign-ins for this username")
                && html.contains("Wait 15 minutes"),
            "{html}"
        );
        // Other accounts from the same address are not affected (the address limit is higher).
        let other = api_sign_in(&server, "nav.north.2", PASSWORD, &[]).await;
        expect_json(other, StatusCode::CREATED).await;
        // Existing sessions of the locked account keep working: only new sign-ins wait.
        expect_json(
            server.get("/api/v1/me", "nav.north.1").await,
            StatusCode::OK,
        )
        .await;

        // The lock-out is audited once, naming the account and the address, never a password.
        let rows = audit_rows_after(&server, before).await;
        let lockouts: Vec<&AuditRecord> = rows
            .iter()
            .filter(|r| r.details_json.contains("sign_in_throttled"))
            .collect();
        assert_eq!(lockouts.len(), 1, "{rows:#?}");
        let row = lockouts[0];
        assert_eq!(row.subject_type, "user");
        assert_eq!(row.subject_id, server.ids["nav.north.1"].to_string());
        assert_eq!(row.action, "alteration");
        let details: Value = serde_json::from_str(&row.details_json).unwrap();
        assert_eq!(details["scope"], "account");
        assert_eq!(details["failures"], ACCOUNT_FAILURE_LIMIT);
        assert_eq!(details["client_address"], "127.0.0.1");
        assert!(!row.details_json.contains("not the password"));

        // A second before the window ends: still locked. At the end: the right password works.
        let now: jiff::Timestamp = NOW.parse().unwrap();
        let window = jiff::SignedDuration::from_mins(SIGN_IN_WINDOW_MINUTES);
        server.app.clock().set(
            now.checked_add(window - jiff::SignedDuration::from_secs(1))
                .unwrap(),
        );
        let almost = api_sign_in(&server, "nav.north.1", PASSWORD, &[]).await;
        assert_eq!(expect_throttled(almost, "this username").await, 1);
        server.app.clock().set(now.checked_add(window).unwrap());
        let open = api_sign_in(&server, "nav.north.1", PASSWORD, &[]).await;
        expect_json(open, StatusCode::CREATED).await;
    }
}

#[tokio::test]
async fn a_success_forgets_the_accounts_failures_but_not_the_limit() {
    let server = spawn_sqlite().await;
    fail_api(&server, "custody.sgt", ACCOUNT_FAILURE_LIMIT - 1, &[]).await;
    expect_json(
        api_sign_in(&server, "custody.sgt", PASSWORD, &[]).await,
        StatusCode::CREATED,
    )
    .await;
    // Four more typos after a success: still below the limit.
    fail_api(&server, "custody.sgt", ACCOUNT_FAILURE_LIMIT - 1, &[]).await;
    expect_json(
        api_sign_in(&server, "custody.sgt", PASSWORD, &[]).await,
        StatusCode::CREATED,
    )
    .await;
    // Unknown usernames are counted like known ones (the answer must not tell them apart).
    fail_api(&server, "no.such.user", ACCOUNT_FAILURE_LIMIT, &[]).await;
    let unknown = api_sign_in(&server, "no.such.user", PASSWORD, &[]).await;
    expect_throttled(unknown, "this username").await;
    let rows = audit_rows_after(&server, 0).await;
    let row = rows
        .iter()
        .find(|r| r.subject_type == "unknown_username")
        .expect("the lock-out of an unknown username is audited");
    assert!(
        !row.subject_id.contains("no.such.user") && !row.details_json.contains("no.such.user"),
        "what a stranger typed is not written down: {row:?}"
    );
}

#[tokio::test]
async fn one_address_guessing_across_accounts_is_throttled_and_a_trusted_proxy_names_it() {
    let server = spawn_configured(WebConfig {
        secure_cookies: false,
        trust_proxy: true,
    })
    .await;
    let guesser = [("x-forwarded-for", "198.51.100.23")];
    // Spray: one wrong password for each of many usernames, no account reaching its limit.
    for i in 0..ADDRESS_FAILURE_LIMIT {
        let username = format!("user.{}", i % (ACCOUNT_FAILURE_LIMIT - 1) + 100 * (i / 4));
        let response = api_sign_in(&server, &username, "password1", &guesser).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Now even a real account with its password is refused from that address, in both doors…
    let refused = api_sign_in(&server, "analyst", PASSWORD, &guesser).await;
    expect_throttled(refused, "your network address").await;
    let page = html_sign_in(&server, "analyst", PASSWORD, &guesser).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    // …while the same account from another address (the client the proxy names) signs in.
    let elsewhere = api_sign_in(
        &server,
        "analyst",
        PASSWORD,
        &[("x-forwarded-for", "203.0.113.5")],
    )
    .await;
    expect_json(elsewhere, StatusCode::CREATED).await;
    // The client cannot dodge by prepending its own entry: the proxy's (right-most) counts.
    let spoofed = api_sign_in(
        &server,
        "analyst",
        PASSWORD,
        &[("x-forwarded-for", "203.0.113.77, 198.51.100.23")],
    )
    .await;
    expect_throttled(spoofed, "your network address").await;
    let rows = audit_rows_after(&server, 0).await;
    assert!(
        rows.iter().any(|r| r.subject_type == "client_address"
            && r.subject_id == "198.51.100.23"
            && r.details_json.contains("\"scope\":\"address\"")),
        "the address lock-out is audited"
    );
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_addresses_are_ignored() {
    let server = spawn_sqlite().await;
    // Each attempt claims a different address; all come from 127.0.0.1 and count there.
    for i in 0..ACCOUNT_FAILURE_LIMIT {
        let forwarded = format!("192.0.2.{i}");
        let response = api_sign_in(
            &server,
            "supervisor",
            "wrong password here",
            &[("x-forwarded-for", forwarded.as_str())],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let rows = audit_rows_after(&server, 0).await;
    let lockout = rows
        .iter()
        .find(|r| r.details_json.contains("sign_in_throttled"))
        .expect("audited");
    assert!(
        lockout
            .details_json
            .contains("\"client_address\":\"127.0.0.1\"")
    );
}

// ---- passwords ----------------------------------------------------------------------------

#[tokio::test]
async fn passwords_are_stored_as_argon2id() {
    let server = spawn_sqlite().await;
    let created = server
        .post(
            "/api/v1/users",
            "admin",
            &json!({ "username": "new.navigator", "display_name": "New", "role": "navigator",
                     "team": "north", "password": "a long enough password" }),
        )
        .await;
    expect_json(created, StatusCode::CREATED).await;
    let mut tx = server.app.db().begin_read().await.unwrap();
    for username in ["custody.sgt", "new.navigator"] {
        let row = checkpoint_store::users::by_username(&mut tx, username)
            .await
            .unwrap();
        assert!(
            row.password_hash.starts_with("$argon2id$v=19$"),
            "{username}: {}",
            row.password_hash
        );
        assert!(!row.password_hash.contains(PASSWORD));
    }
    tx.rollback().await.unwrap();
    // Production cost (the tests use a cheap one): OWASP's Argon2id minimum, 19 MiB, 2 passes.
    let standard = hash_password("a long enough password", PasswordCost::Standard).unwrap();
    assert!(
        standard.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{standard}"
    );
}

// ---- security headers ---------------------------------------------------------------------

fn assert_security_headers(response: &Response, what: &str) {
    let csp = header(response, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(
        header(response, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(response, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(response, "referrer-policy"), "same-origin", "{what}");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let server = spawn_sqlite().await;
    let custody = server.token("custody.sgt").to_owned();
    let client = raw_client();
    let cookie = format!("checkpoint_session={custody}");
    let mut checked = 0;
    for (what, path, with_cookie, bearer) in [
        ("HTML sign-in page", "/sign-in", false, false),
        ("HTML page", "/referrals/new", true, false),
        ("HTML redirect to sign in", "/caseload", false, false),
        ("HTML 403 page", "/admin/users", true, false),
        ("HTML 404 page", "/no-such-page", true, false),
        (
            "static script",
            checkpoint_web::views::HTMX_PATH,
            false,
            false,
        ),
        (
            "static stylesheet",
            checkpoint_web::views::CSS_PATH,
            false,
            false,
        ),
        ("OpenAPI document", "/api/openapi.json", false, false),
        ("API JSON", "/api/v1/me", false, true),
        ("API 401", "/api/v1/me", false, false),
        ("API 404", "/api/v1/no-such-route", false, true),
    ] {
        let mut request = client.get(server.url(path));
        if with_cookie {
            request = request.header("cookie", cookie.clone());
        }
        if bearer {
            request = request.bearer_auth(&custody);
        }
        let response = request.send().await.unwrap();
        assert_security_headers(&response, what);
        checked += 1;
    }
    let posted = client
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": "admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_security_headers(&posted, "API POST");
    // Pages with personal data are never cached; the versioned assets may be.
    let page = client
        .get(server.url("/referrals/new"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&page, "cache-control"), "no-store");
    let asset = client
        .get(server.url(checkpoint_web::views::HTMX_PATH))
        .send()
        .await
        .unwrap();
    assert!(header(&asset, "cache-control").contains("max-age"));
    assert_eq!(checked, 11);
}

/// What the CSP forbids must not be in the pages: inline scripts, inline styles, inline
/// event handlers, `javascript:` URLs. Checked in every template the server renders and in
/// pages as served. (`reports/standalone.html` is a file the CLI writes for download, never
/// served, so it may carry its own styles.)
#[tokio::test]
async fn pages_have_no_inline_script_or_style_for_the_csp_to_block() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut templates = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "html")
                && !path.ends_with("reports/standalone.html")
            {
                templates.push(path);
            }
        }
    }
    assert!(templates.len() > 15, "{templates:?}");
    let mut problems = Vec::new();
    for path in &templates {
        let text = without_template_comments(&std::fs::read_to_string(path).unwrap());
        problems.extend(
            inline_code(&text)
                .into_iter()
                .map(|p| format!("{}: {p}", path.display())),
        );
    }

    let server = spawn_sqlite().await;
    for (user, path) in [
        ("custody.sgt", "/referrals/new"),
        ("custody.sgt", "/people?name=Smith"),
        ("nav.north.1", "/caseload"),
        ("supervisor", "/supervisor"),
        ("analyst", "/overview"),
        ("analyst", "/reports"),
        ("admin", "/admin/users"),
        ("admin", "/policies"),
    ] {
        let html = raw_client()
            .get(server.url(path))
            .header(
                "cookie",
                format!("checkpoint_session={}", server.token(user)),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("<script src="), "{path}: {html}");
        problems.extend(
            inline_code(&html)
                .into_iter()
                .map(|p| format!("{path}: {p}")),
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A template with its `{# … #}` comments removed (they never reach the page).
fn without_template_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("#}")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("<script") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        if !rest[at..tag_end].contains("src=") {
            found.push(format!(
                "inline <script>: {}",
                &rest[at..tag_end.min(at + 80)]
            ));
        }
        rest = &rest[tag_end..];
    }
    for pattern in ["<style", " style=", "javascript:"] {
        if lower.contains(pattern) {
            found.push(format!("{pattern:?}"));
        }
    }
    for handler in [
        " onclick=",
        " onload=",
        " onchange=",
        " onsubmit=",
        " oninput=",
        " hx-on",
    ] {
        if lower.contains(handler) {
            found.push(format!("inline handler {handler:?}"));
        }
    }
    found
}

// ---- no personal data in logs -------------------------------------------------------------

/// Everything the server's thread logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;

    fn make_writer(&'a self) -> CapturedWriter {
        CapturedWriter(Arc::clone(&self.0))
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A server on its own thread and runtime, with a TRACE-level subscriber writing to
/// `captured`, so everything the server (router, handlers, use cases, store) logs is kept.
fn spawn_logged_server(
    captured: Captured,
) -> (
    String,
    String,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<(String, String)>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(
                tracing_subscriber::fmt::format::FmtSpan::NEW
                    | tracing_subscriber::fmt::format::FmtSpan::CLOSE,
            )
            .with_ansi(false)
            .with_writer(captured)
            .finish();
        // tracing caches, per call site, whether anyone listens. With a single dispatcher
        // registered it asks only the *current thread's* default, so a call site first hit
        // by another test's thread would be cached as unheard and stay silent here. A second
        // live dispatcher makes every cache consult all of them, this one included.
        let _second = tracing::Dispatch::new(tracing_subscriber::registry());
        let _guard = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let db = testing::sqlite().await;
            let app = checkpoint_app::App::new(
                db.db.clone(),
                PolicyRegistry::shipped().expect("policies"),
                checkpoint_app::Clock::manual(NOW.parse().unwrap()),
                checkpoint_app::Settings {
                    password_cost: PasswordCost::Fast,
                    ..checkpoint_app::Settings::default()
                },
            );
            app.create_account(
                None,
                checkpoint_app::NewAccount {
                    username: "custody.sgt".into(),
                    display_name: "Test custody".into(),
                    role: checkpoint_app::Role::CustodyOfficer,
                    team: None,
                    password: PASSWORD.into(),
                },
            )
            .await
            .expect("account");
            let token = app
                .sign_in("custody.sgt", PASSWORD)
                .await
                .expect("sign in")
                .token;
            let router = checkpoint_web::router(app, WebConfig::default());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            ready_tx.send((base, token)).unwrap();
            checkpoint_web::serve(listener, router, async move {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
            drop(db);
        });
    });
    let (base, token) = ready_rx.recv().expect("server started");
    (base, token, stop_tx, thread)
}

#[tokio::test]
async fn a_referral_leaves_no_name_date_of_birth_or_postcode_in_the_log() {
    const GIVEN: &str = "Quillonby";
    const FAMILY: &str = "Zephyrine-Marchbanks";
    const DOB: &str = "1987-11-23";
    const POSTCODE: &str = "QX9 7ZW";
    let captured = Captured::default();
    let (base, token, stop, thread) = spawn_logged_server(captured.clone());
    let client = raw_client();
    let api = |path: &str| format!("{base}/api/v1{path}");

    let mut referral = referral_request(GIVEN, FAMILY);
    referral["referral"]["person"]["date_of_birth"] = json!(DOB);
    referral["referral"]["person"]["postcode"] = json!(POSTCODE);
    let person = referral["referral"]["person"].clone();
    let checked = client
        .post(api("/people/likely-matches"))
        .bearer_auth(&token)
        .json(&json!({ "person": person }))
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), StatusCode::OK);
    let created = client
        .post(api("/referrals"))
        .bearer_auth(&token)
        .json(&referral)
        .send()
        .await
        .unwrap();
    let created = expect_json(created, StatusCode::CREATED).await;
    let person_id = created["person_id"].as_str().unwrap().to_owned();
    let case_id = created["case"]["case_id"].as_str().unwrap().to_owned();
    // The same person again: the duplicate check names them in its 422.
    let again = client
        .post(api("/referrals"))
        .bearer_auth(&token)
        .json(&referral)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Searches carry the name and date of birth in the URL.
    let search = client
        .get(api(&format!(
            "/people?name={}&date_of_birth={DOB}",
            encode(&format!("{GIVEN} {FAMILY}"))
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(search.text().await.unwrap().contains(FAMILY));
    for path in [
        format!(
            "/people/{person_id}?justification={}",
            encode("checking Quillonby")
        ),
        format!("/cases/{case_id}"),
    ] {
        let response = client
            .get(api(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // A bad date of birth: the problem names it to the client, and only to the client.
    let mut bad = referral.clone();
    bad["referral"]["person"]["date_of_birth"] = json!("1987-13-45");
    let refused = client
        .post(api("/referrals"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The HTML people search and person page, as a browser would ask for them.
    for path in [
        format!("/people?name={}", encode(FAMILY)),
        format!("/people/{person_id}?justification=checking"),
    ] {
        let page = client
            .get(format!("{base}{path}"))
            .header("cookie", format!("checkpoint_session={token}"))
            .send()
            .await
            .unwrap();
        assert!(page.status().is_success(), "{path}: {}", page.status());
    }

    let _ = stop.send(());
    thread.join().expect("server thread");
    let log = captured.text();
    assert!(
        log.contains("/api/v1/referrals") && log.contains("/people/{id}"),
        "the capture saw the requests (route templates): {log}"
    );
    let lower = log.to_lowercase();
    for secret in [
        GIVEN,
        FAMILY,
        "Zephyrine",
        "Marchbanks",
        DOB,
        "1987-13-45",
        POSTCODE,
        "QX9%207ZW",
        "QX9+7ZW",
    ] {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{secret:?} appears in the server's log:\n{}",
            log.lines()
                .filter(|l| l.to_lowercase().contains(&secret.to_lowercase()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
