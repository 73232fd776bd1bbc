//! Hostile input: bodies too large to hold, JSON nested past any sense, CSV bombs on the arrest
//! feed, path traversal, and SQL and HTML injection through every text field of a referral and
//! of the notes written on a case. Each gets a clear answer, bounded work, and the text is
//! stored and shown verbatim (escaped in HTML), never executed.

use crate::helpers::*;
use crate::story::referral_request;
use checkpoint_store::testing;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- oversized bodies ---------------------------------------------------------------------

/// A response read off a raw connection.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    head: String,
    body: String,
}

/// Sends `head` (request line and headers, ending in a blank line) and then `body`, and stops
/// writing without closing: the request's declared length is never reached. A server that
/// waited for the whole body before answering would never answer; the timeout turns that
/// into a failure instead of a test that hangs.
async fn send_partial(server: &TestServer, head: &str, body: &[u8]) -> RawResponse {
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    // The server may answer and stop reading as soon as the body passes its limit.
    let _ = stream.write_all(body).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(120), async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    received.extend_from_slice(&buffer[..n]);
                    if response_complete(&received) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer: the server is waiting for the rest of a body it should have refused"
    );
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawResponse {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// Whether the bytes hold a whole response (headers, and a body of its Content-Length).
fn response_complete(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    length.is_some_and(|n| body.len() >= n)
}

fn post_head(server: &TestServer, path: &str, user: &str, headers: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{headers}\r\n",
        server.base.trim_start_matches("http://"),
        server.token(user)
    )
}

fn assert_too_large(response: &RawResponse, what: &str) {
    assert_eq!(response.status, 413, "{what}: {response:?}");
    assert!(
        response
            .head
            .contains("content-type: application/problem+json"),
        "{what}: {response:?}"
    );
    let problem: Value = serde_json::from_str(&response.body).expect("problem JSON");
    assert_eq!(
        problem["type"], "urn:checkpoint:problem:too-large",
        "{what}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("bytes"),
        "{what}: {problem}"
    );
}

#[tokio::test]
async fn bodies_past_the_limit_are_413_before_the_rest_arrives() {
    let server = spawn_sqlite().await;
    let limit = checkpoint_web::BODY_LIMIT_BYTES;
    // JSON that claims a gibibyte: refused after the limit, not after a gibibyte.
    let mut json_body = b"{\"scheme_id\": \"".to_vec();
    json_body.resize(limit + 1, b'a');
    let head = post_head(
        &server,
        "/api/v1/referrals",
        "custody.sgt",
        "Content-Type: application/json\r\nContent-Length: 1073741824\r\n",
    );
    assert_too_large(
        &send_partial(&server, &head, &json_body).await,
        "declared 1 GiB",
    );

    // No length at all (chunked), one chunk past the limit and no end.
    let head = post_head(
        &server,
        "/api/v1/referrals",
        "custody.sgt",
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
    );
    let mut chunked = format!("{:x}\r\n", json_body.len()).into_bytes();
    chunked.extend_from_slice(&json_body);
    chunked.extend_from_slice(b"\r\n");
    assert_too_large(&send_partial(&server, &head, &chunked).await, "chunked");

    // Steps whose body is optional read it under the same limit.
    let case_step = format!(
        "/api/v1/cases/{}/offer",
        "01900000-0000-7000-8000-000000000000"
    );
    let head = post_head(
        &server,
        &case_step,
        "custody.sgt",
        "Content-Type: application/json\r\nContent-Length: 1073741824\r\n",
    );
    assert_too_large(
        &send_partial(&server, &head, &json_body).await,
        "optional body",
    );

    // The arrest feed has a limit of its own (64 MiB): a bigger feed is refused too.
    let feed_limit = checkpoint_web::api::monitoring::FEED_LIMIT_BYTES;
    let mut feed = b"given_name,surname,dob,arrest_date\n".to_vec();
    feed.resize(feed_limit + 1, b'x');
    let head = post_head(
        &server,
        "/api/v1/imports/arrests",
        "supervisor",
        "Content-Type: text/csv\r\nContent-Length: 1073741824\r\n",
    );
    assert_too_large(&send_partial(&server, &head, &feed).await, "arrest feed");
    assert_eq!(
        testing::scalar(server.app.db(), "SELECT COUNT(*) FROM arrests").await,
        0
    );

    // The HTML forms read bodies under the same limit.
    let head = format!(
        "POST /referrals HTTP/1.1\r\nHost: {}\r\nCookie: checkpoint_session={}\r\n\
         Origin: {}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1073741824\r\n\r\n",
        server.base.trim_start_matches("http://"),
        server.token("custody.sgt"),
        server.base,
    );
    let form = vec![b'a'; limit + 1];
    let response = send_partial(&server, &head, &form).await;
    // The form extractor answers every unreadable form as "could not be accepted" (403).
    assert!(matches!(response.status, 403 | 413), "{response:?}");

    // And the server still serves.
    expect_json(
        server.get("/api/v1/me", "custody.sgt").await,
        StatusCode::OK,
    )
    .await;
}

// ---- deeply nested JSON -------------------------------------------------------------------

async fn post_raw_json(server: &TestServer, path: &str, user: Option<&str>, body: String) -> Value {
    let response = server
        .request(Method::POST, path, user)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let problem = expect_problem(response, status).await;
    assert!(status.is_client_error(), "{status}: {problem}");
    problem
}

#[tokio::test]
async fn deeply_nested_json_is_400_naming_the_nesting_never_a_crash() {
    let server = spawn_sqlite().await;
    // Deep enough to overflow any recursive parser, small enough to pass the size limit.
    let depth = 40_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for (what, nested) in [("arrays", &arrays), ("objects", &objects)] {
        // Inside the referral, at the top of a body, and before anyone signs in.
        let in_referral =
            format!("{{\"scheme_id\": \"durham-checkpoint\", \"referral\": {nested}}}");
        for (path, user, body) in [
            ("/api/v1/referrals", Some("custody.sgt"), in_referral),
            (
                "/api/v1/people/likely-matches",
                Some("custody.sgt"),
                nested.clone(),
            ),
            ("/api/v1/sessions", None, nested.clone()),
        ] {
            let response = server
                .request(Method::POST, path, user)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            let problem = expect_problem(response, StatusCode::BAD_REQUEST).await;
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains("not valid JSON") && detail.contains("recursion limit"),
                "{what} at {path}: {detail}"
            );
        }
    }
    // Nesting within the parser's limit but of the wrong shape is a 422 naming the field.
    let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let problem = post_raw_json(
        &server,
        "/api/v1/referrals",
        Some("custody.sgt"),
        format!("{{\"scheme_id\": \"durham-checkpoint\", \"referral\": {shallow}}}"),
    )
    .await;
    assert_eq!(problem["status"], 422, "{problem}");
    assert!(
        failing_fields(&problem)
            .iter()
            .all(|f| f.starts_with("referral")),
        "{problem}"
    );
    expect_json(
        server.get("/api/v1/me", "custody.sgt").await,
        StatusCode::OK,
    )
    .await;
}

// ---- CSV bombs on the arrest feed ---------------------------------------------------------

async fn import(server: &TestServer, body: Vec<u8>) -> reqwest::Response {
    server
        .request(
            Method::POST,
            "/api/v1/imports/arrests?source=hostile",
            Some("supervisor"),
        )
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("POST")
}

async fn arrests_stored(server: &TestServer) -> i64 {
    testing::scalar(server.app.db(), "SELECT COUNT(*) FROM arrests").await
}

#[tokio::test]
async fn csv_bombs_get_a_clear_answer_and_bounded_work() {
    let server = spawn_sqlite().await;
    let max_rows = checkpoint_web::api::monitoring::FEED_MAX_ROWS;

    // One row more than an HTTP import takes: refused whole, before any linking.
    let mut rows = String::from("arrest_ref,given_name,surname,dob,arrest_date\n");
    for i in 0..=max_rows {
        rows.push_str(&format!("R{i},Ann,Smith,03/04/1990,2026-01-02\n"));
    }
    let problem = expect_problem(
        import(&server, rows.into_bytes()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(failing_fields(&problem), ["body"], "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("{}", max_rows + 1))
            && detail.contains(&format!("{max_rows}"))
            && detail.contains("checkpoint import arrests"),
        "{detail}"
    );
    assert_eq!(arrests_stored(&server).await, 0);

    // A megabyte in one field: that row is rejected by line and column, the rest imported.
    let huge = "A".repeat(1_000_000);
    let feed = format!(
        "arrest_ref,given_name,surname,dob,arrest_date\n\
         H1,Ann,Smith,03/04/1990,2026-01-02\n\
         H2,{huge},Smith,03/04/1990,2026-01-02\n\
         H3,Bob,{huge},03/04/1990,2026-01-02\n\
         H4,Cy,Jones,03/04/1990,2026-01-02\n"
    );
    let imported = expect_json(import(&server, feed.into_bytes()).await, StatusCode::OK).await;
    assert_eq!(imported["summary"]["new"], 2, "{}", short(&imported));
    let rejects = imported["rejects"].as_array().unwrap();
    assert_eq!(rejects.len(), 2, "{}", short(&imported));
    for (reject, (line, column)) in rejects.iter().zip([(3, "given_name"), (4, "surname")]) {
        assert_eq!(reject["line"], line, "{reject}");
        assert_eq!(reject["column"], column, "{reject}");
        assert!(
            reject["reason"]
                .as_str()
                .unwrap()
                .contains("200 characters"),
            "{reject}"
        );
    }
    assert_eq!(arrests_stored(&server).await, 2);

    // Thousands of columns: the four that matter are found, the rest ignored.
    let columns = 5_000;
    let mut header: Vec<String> = (0..columns).map(|i| format!("extra_{i}")).collect();
    header.extend(["given_name", "surname", "dob", "arrest_date", "arrest_ref"].map(String::from));
    let mut wide = header.join(",");
    wide.push('\n');
    for i in 0..10 {
        let mut fields = vec!["x"; columns].join(",");
        fields.push_str(&format!(",Dee,Wide{i},03/04/1990,2026-01-02,W{i}\n"));
        wide.push_str(&fields);
    }
    let imported = expect_json(import(&server, wide.into_bytes()).await, StatusCode::OK).await;
    assert_eq!(imported["summary"]["new"], 10, "{}", short(&imported));
    assert_eq!(imported["rejects"], json!([]));

    // A quote opened and never closed swallows the rest of the feed into one field: that is
    // one rejected row named by its line, not a hang or a crash.
    let mut unclosed = String::from(
        "arrest_ref,given_name,surname,dob,arrest_date\nQ1,\"Ann,Smith,03/04/1990,2026-01-02\n",
    );
    for i in 0..20_000 {
        unclosed.push_str(&format!("Q{i},Bob,Jones,03/04/1990,2026-01-02\n"));
    }
    let imported = expect_json(import(&server, unclosed.into_bytes()).await, StatusCode::OK).await;
    assert_eq!(imported["summary"]["new"], 0, "{}", short(&imported));
    assert_eq!(imported["rejects"][0]["line"], 2, "{}", short(&imported));

    // A header that is nothing but one giant field.
    let problem = expect_problem(
        import(&server, vec![b'h'; 5_000_000]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("line 1"),
        "{problem}"
    );
    assert_eq!(arrests_stored(&server).await, 12);
}

/// A response body cut short for assertion messages.
fn short(value: &Value) -> String {
    value.to_string().chars().take(2_000).collect()
}

// ---- path traversal -----------------------------------------------------------------------

/// The HTTP surface takes no file names: static assets are fixed routes compiled into the
/// binary, reports are chosen from a closed list (and their CSV's file name is built from that
/// list, never from the request), and exports and backups exist only on the command line,
/// where the operator names the files in their own arguments (`backup FILE`, `report --out`,
/// `export … --out`, `import arrests FEED` writing `FEED.rejects.csv` beside it) and no file
/// name is ever taken from the data read. So traversal is tried where a path segment or a
/// parameter could be mistaken for one.
#[tokio::test]
async fn path_traversal_reaches_no_file() {
    let server = spawn_sqlite().await;
    let attempts = [
        "/static/../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%5c..%5cCargo.toml",
        "/static/checkpoint.css/../../Cargo.toml",
        "/api/v1/reports/..%2f..%2f..%2fetc%2fpasswd",
        "/api/v1/reports/%2e%2e%2fCargo.toml?format=csv",
        "/api/v1/policies/..%2f..%2fCargo.toml/versions/1",
        "/reports/..%2f..%2fCargo.toml",
        "/people/..%2f..%2fetc%2fpasswd",
    ];
    for path in attempts {
        let response = server
            .request(Method::GET, path, Some("analyst"))
            .header(
                "cookie",
                format!("checkpoint_session={}", server.token("analyst")),
            )
            .send()
            .await
            .expect("GET");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_client_error(), "{path}: {status} {text}");
        assert!(
            !text.contains("[package]") && !text.contains("root:x:0:0"),
            "{path} served a file: {text}"
        );
    }
    // A scheme is looked up, never a path; the download name comes from the report alone.
    let response = server
        .get(
            "/api/v1/reports/funnel?format=csv&scheme=..%2F..%2Fetc%2Fpasswd",
            "analyst",
        )
        .await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(failing_fields(&problem), ["scheme"], "{problem}");
    let response = server
        .get("/api/v1/reports/funnel?format=csv", "analyst")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"checkpoint-funnel.csv\""
    );
    // A username is looked up, never joined to a path.
    let response = server
        .request(
            Method::POST,
            "/api/v1/users/..%2Fadmin/disable",
            Some("admin"),
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND).await;
    expect_json(server.get("/api/v1/me", "admin").await, StatusCode::OK).await;
}

// ---- SQL and HTML injection ---------------------------------------------------------------

/// Text an attacker (or an unlucky family name) might type. Every one must come back byte for
/// byte, appear escaped in HTML, and leave the database as it was.
const HOSTILE: [&str; 6] = [
    "O'Brien",
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE people;--",
    "Tom \"Tommy\" & Jerry's <b>bold</b>",
    "x' OR '1'='1",
    "\"; DELETE FROM cases; SELECT \"&amp;",
];

/// The hostile text for field `n` of case `i`, so each field carries its own and a mix-up
/// between fields would show.
fn hostile(i: usize, n: usize) -> String {
    format!("{} #{i}.{n}", HOSTILE[(i + n) % HOSTILE.len()])
}

/// Reverses HTML escaping (named and numeric entities), to read the text a browser shows.
fn unescape_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|end| *end <= 10);
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A page as `user` sees it in a browser (session cookie).
async fn page(server: &TestServer, path: &str, user: &str) -> String {
    let response = server
        .client
        .get(server.url(path))
        .header(
            "cookie",
            format!("checkpoint_session={}", server.token(user)),
        )
        .send()
        .await
        .expect("GET page");
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {text}");
    text
}

/// The page's `<main>` element (for failure messages).
fn main_content(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").map_or(html.len(), |end| end + 7);
    &html[start..end.max(start)]
}

/// `text` is on the page as a person reads it, and nowhere in the markup unescaped.
fn assert_shown_escaped(html: &str, text: &str, where_: &str) {
    assert!(
        unescape_html(html).contains(text),
        "{where_}: {text:?} is not shown in {}",
        main_content(html)
    );
    assert!(
        !html.contains(text),
        "{where_}: {text:?} is in the markup unescaped"
    );
}

fn hostile_referral(i: usize) -> Value {
    let mut request = referral_request(&hostile(i, 0), &hostile(i, 1));
    let referral = &mut request["referral"];
    referral["person"]["date_of_birth"] = json!(format!("19{}-0{}-1{i}", 80 + i, 1 + i % 9));
    referral["person"]["postcode"] = json!(hostile(i, 2));
    referral["person"]["pnc_id"] = json!(hostile(i, 3));
    referral["custody_reference"] = json!(hostile(i, 4));
    referral["offence"]["description"] = json!(hostile(i, 5));
    referral["offence"]["home_office_code"] = json!(hostile(i, 6));
    referral["risk"]["tool"] = json!(hostile(i, 7));
    referral["earlier_participation"] = json!([
        { "scheme": hostile(i, 8), "date": "2020-01-01", "result": "completed" }
    ]);
    request
}

/// POST with If-Match; returns the new version and the body.
async fn step(
    server: &TestServer,
    user: &str,
    path: &str,
    version: i64,
    body: Value,
) -> (i64, Value) {
    let response = server.post_if_match(path, user, version, &body).await;
    let status = response.status();
    let body = expect_json(
        response,
        if status.is_success() {
            status
        } else {
            StatusCode::OK
        },
    )
    .await;
    let version = body["version"]
        .as_i64()
        .or_else(|| body["case"]["version"].as_i64())
        .unwrap_or_else(|| panic!("{path}: no version in {body}"));
    (version, body)
}

#[tokio::test]
async fn injected_sql_and_html_are_stored_verbatim_shown_escaped_never_run() {
    for server in spawn_apps().await {
        let backend = server.backend;
        let db = server.app.db();
        let users_before = testing::scalar(db, "SELECT COUNT(*) FROM users").await;

        // One referral per hostile string, every text field of the referral hostile.
        let mut cases = Vec::new();
        for i in 0..HOSTILE.len() {
            let request = hostile_referral(i);
            let matches = expect_json(
                server
                    .post(
                        "/api/v1/people/likely-matches",
                        "custody.sgt",
                        &json!({ "person": request["referral"]["person"] }),
                    )
                    .await,
                StatusCode::OK,
            )
            .await;
            let mut request = request;
            request["acknowledged_matches"] = json!(
                matches
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["person_id"].clone())
                    .collect::<Vec<_>>()
            );
            let created = expect_json(
                server
                    .post("/api/v1/referrals", "custody.sgt", &request)
                    .await,
                StatusCode::CREATED,
            )
            .await;
            // The stored referral is the document sent, every string byte for byte.
            let referral_id: uuid::Uuid = created["referral_id"].as_str().unwrap().parse().unwrap();
            let mut tx = server.app.begin_read().await.unwrap();
            let stored = checkpoint_store::referrals::get(&mut tx, referral_id)
                .await
                .unwrap();
            drop(tx);
            let stored: Value = serde_json::from_str(&stored.input_json).unwrap();
            for pointer in [
                "/person/given_name",
                "/person/family_name",
                "/person/postcode",
                "/person/pnc_id",
                "/custody_reference",
                "/offence/description",
                "/offence/home_office_code",
                "/risk/tool",
                "/earlier_participation/0/scheme",
            ] {
                assert_eq!(
                    stored.pointer(pointer),
                    request["referral"].pointer(pointer),
                    "{backend}: {pointer}"
                );
            }
            cases.push(created);
        }

        // Read back through the API: the person as entered.
        for (i, created) in cases.iter().enumerate() {
            let person_id = created["person_id"].as_str().unwrap();
            let response = server
                .request(
                    Method::GET,
                    &format!(
                        "/api/v1/people/{person_id}?justification={}",
                        encode(&hostile(i, 9))
                    ),
                    Some("custody.sgt"),
                )
                .send()
                .await
                .unwrap();
            let person = expect_json(response, StatusCode::OK).await;
            for (field, n) in [
                ("given_name", 0),
                ("family_name", 1),
                ("postcode", 2),
                ("pnc_id", 3),
            ] {
                assert_eq!(
                    person["details"][field].as_str(),
                    Some(hostile(i, n).as_str()),
                    "{backend}: {field}"
                );
            }
            // Shown escaped on the person page.
            // The page asks why first (DPA 2018 s.62); the reason may come in the query.
            let html = page(
                &server,
                &format!(
                    "/people/{person_id}?reason=other&detail={}",
                    encode(&hostile(i, 9))
                ),
                "custody.sgt",
            )
            .await;
            for n in [0, 1, 2, 3] {
                assert_shown_escaped(&html, &hostile(i, n), &format!("{backend} person page"));
            }
        }

        // Overrides with hostile reasons wait in the supervisor's list (cases 1..).
        for (i, created) in cases.iter().enumerate().skip(1) {
            let case_id = created["case"]["case_id"].as_str().unwrap();
            step(
                &server,
                "custody.sgt",
                &format!("/api/v1/cases/{case_id}/screening-decision"),
                created["version"].as_i64().unwrap(),
                json!({ "choice": "override", "outcome": "ineligible", "code": "other", "reason": hostile(i, 10) }),
            )
            .await;
        }
        let html = page(&server, "/supervisor", "supervisor").await;
        for i in 1..HOSTILE.len() {
            let name = hostile(i, 0);
            assert!(
                unescape_html(&html).contains(&name)
                    || unescape_html(&html).contains(&hostile(i, 1)),
                "{backend}: the supervisor list lacks case {i}"
            );
            assert_shown_escaped(
                &html,
                &hostile(i, 10),
                &format!("{backend} supervisor list"),
            );
        }

        // Case 0 goes onto the programme with hostile text in every note written on the way.
        let created = &cases[0];
        let case_id = created["case"]["case_id"].as_str().unwrap().to_owned();
        let case = |suffix: &str| format!("/api/v1/cases/{case_id}{suffix}");
        let version = created["version"].as_i64().unwrap();
        let (version, _) = step(
            &server,
            "custody.sgt",
            &case("/screening-decision"),
            version,
            json!({ "choice": "accept_advice" }),
        )
        .await;
        let (version, _) = step(&server, "custody.sgt", &case("/offer"), version, json!({})).await;
        let (version, _) = step(&server, "custody.sgt", &case("/consent"), version,
            json!({ "answer": "accepted", "admission": "admitted_in_interview", "signed_on": "2026-03-04" })).await;
        let (version, _) = step(
            &server,
            "supervisor",
            &case("/assignment"),
            version,
            json!({ "navigator_id": server.ids["nav.north.1"] }),
        )
        .await;
        let (version, _) = step(
            &server,
            "nav.north.1",
            &case("/needs-assessment"),
            version,
            json!({
                "items": [{ "pathway": "alcohol", "severity": "high", "notes": hostile(0, 11) }]
            }),
        )
        .await;
        let (version, _) = step(&server, "nav.north.1", &case("/contract"), version, json!({
            "start": "2026-03-04",
            "conditions": [
                { "condition": "no_reoffending" },
                { "condition": "alcohol_intervention", "due": "2026-04-04", "provider": hostile(0, 12), "details": hostile(0, 13) }
            ]
        })).await;
        let (version, _) = step(
            &server,
            "nav.north.1",
            &case("/contract/signature"),
            version,
            json!({ "signed_on": "2026-03-04", "kind": "on_screen", "typed_name": hostile(0, 14) }),
        )
        .await;
        step(
            &server,
            "nav.north.1",
            &case("/contract/start"),
            version,
            json!({}),
        )
        .await;
        let appointment = expect_json(
            server
                .post(&case("/appointments"), "nav.north.1",
                    &json!({ "at": "2026-03-05T11:00:00Z", "purpose": hostile(0, 15), "location": hostile(0, 16) }))
                .await,
            StatusCode::CREATED,
        )
        .await;
        let version = expect_json(server.get(&case(""), "nav.north.1").await, StatusCode::OK).await
            ["version"]
            .as_i64()
            .unwrap();
        let (_, _) = step(
            &server,
            "nav.north.1",
            &case("/contacts"),
            version,
            json!({ "on": "2026-03-04", "method": "phone", "note": hostile(0, 17) }),
        )
        .await;

        // Read back through the API, byte for byte.
        let view = expect_json(server.get(&case(""), "nav.north.1").await, StatusCode::OK).await;
        assert_eq!(
            appointment["purpose"].as_str(),
            Some(hostile(0, 15).as_str())
        );
        let view_text = view.to_string();
        for n in [11, 12, 13, 15, 16, 17] {
            // The text as JSON writes it, without its quotes: the contract folds the
            // provider and details into its conditions' descriptions.
            let expected = serde_json::to_string(&hostile(0, n)).unwrap();
            let expected = &expected[1..expected.len() - 1];
            assert!(
                view_text.contains(expected),
                "{backend}: case view lacks field {n} verbatim: {}",
                short(&view["contract"])
            );
        }
        assert_eq!(
            view["header"]["person_name"]
                .as_str()
                .map(|n| n.contains(&hostile(0, 0))),
            Some(true)
        );

        // Shown escaped on the case page and the navigator's caseload.
        let html = page(&server, &format!("/cases/{case_id}"), "nav.north.1").await;
        for n in [0, 1, 11, 12, 13, 15, 16, 17] {
            assert_shown_escaped(
                &html,
                &hostile(0, n),
                &format!("{backend} case page field {n}"),
            );
        }
        let html = page(&server, "/caseload", "nav.north.1").await;
        assert_shown_escaped(&html, &hostile(0, 0), &format!("{backend} caseload"));

        // Never executed: every table is there and holds what was written.
        let n = HOSTILE.len() as i64;
        for (table, expected) in [
            ("people", n),
            ("cases", n),
            ("referrals", n),
            ("users", users_before),
            ("appointments", 1),
        ] {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            assert_eq!(
                testing::scalar(db, &sql).await,
                expected,
                "{backend}: {table}"
            );
        }
        let search = expect_json(
            server
                .request(
                    Method::GET,
                    &format!("/api/v1/people?name={}", encode("O'Brien")),
                    Some("custody.sgt"),
                )
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert!(
            search["items"]
                .as_array()
                .is_some_and(|items| !items.is_empty()),
            "{backend}: {search}"
        );
    }
}
