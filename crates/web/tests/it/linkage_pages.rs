//! The clerical review pages over HTTP (a form-posting client with cookies): supervisors only,
//! the queue paginated and searchable by name and reference on both backends, both records
//! side by side with each field's level and weight, confirm and reject with an optional
//! reason, a stale decision answered with a clear notice, CSRF, and the refit button.

use crate::browser::support::{FormClient, Page, form_body};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A referral (the shop-theft example) for a person with these identifiers.
fn referral(given: &str, family: &str, dob: &str, postcode: &str, pnc: &str, n: usize) -> Value {
    let mut referral: Value = serde_json::from_str(include_str!(
        "../../../../schemas/examples/referral-shop-theft.json"
    ))
    .expect("example referral");
    referral["custody_reference"] = json!(format!("DUR/CU/2026/{n:06}"));
    referral["person"]["given_name"] = json!(given);
    referral["person"]["family_name"] = json!(family);
    referral["person"]["date_of_birth"] = json!(dob);
    referral["person"]["postcode"] = json!(postcode);
    referral["person"]["pnc_id"] = json!(pnc);
    json!({ "scheme_id": "durham-checkpoint", "referral": referral })
}

/// Refers a person through the API; their case reference.
async fn refer(server: &TestServer, body: &Value) -> String {
    let referred = expect_json(
        server.post("/api/v1/referrals", "custody.sgt", body).await,
        StatusCode::CREATED,
    )
    .await;
    referred["case"]["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

const HEADER: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n";

async fn import(server: &TestServer, rows: &str) -> Value {
    let response = server
        .request(
            Method::POST,
            "/api/v1/imports/arrests?source=custody-daily",
            Some("supervisor"),
        )
        .header("content-type", "text/csv")
        .body(format!("{HEADER}{rows}"))
        .send()
        .await
        .expect("POST");
    expect_json(response, StatusCode::OK).await
}

/// Two people known to the programme; arrests that nearly match each (misspelt names, moved,
/// no PNC id) wait for a supervisor: `jordan` of Jordan's, one of Priya's. Returns the case
/// references (Jordan's, Priya's).
pub(crate) async fn near_misses(server: &TestServer, jordan: usize) -> (String, String) {
    let jordan_case = refer(
        server,
        &referral(
            "Jordan",
            "Whitfield",
            "1991-07-23",
            "QX4 7BD",
            "14/1234567K",
            1,
        ),
    )
    .await;
    let priya_case = refer(
        server,
        &referral(
            "Priya",
            "Okonkwo-Hale",
            "1988-11-02",
            "QX4 7BD",
            "09/7654321C",
            2,
        ),
    )
    .await;
    let mut rows = String::new();
    for n in 1..=jordan {
        rows.push_str(&format!(
            "JW-{n:03},Jordon,Whitford,23/07/1991,QX2 1AA,,2026-02-{:02},theft\n",
            n % 28 + 1
        ));
    }
    rows.push_str("PO-001,Pria,Okonkwo,11/02/1988,QX9 3ZZ,,2026-02-10,assault\n");
    let summary = import(server, &rows).await;
    assert_eq!(
        summary["summary"]["queued_for_review"],
        jordan + 1,
        "{}: {summary}",
        server.backend
    );
    (jordan_case, priya_case)
}

/// The arrest ids the queue page links to, in order.
fn pair_links(page: &Page) -> Vec<String> {
    page.html
        .match_indices("href=\"/linkage/reviews/")
        .map(|(at, marker)| {
            let start = at + marker.len();
            page.html[start..start + 36].to_owned()
        })
        .collect()
}

/// The `href` of the element marked `data-testid="{testid}"` (an `<a>` whose attributes put
/// `href` first), unescaped.
fn href_of(page: &Page, testid: &str) -> Option<String> {
    let marker = format!("data-testid=\"{testid}\"");
    let tag_end = page.html.find(&marker)?;
    let tag_start = page.html[..tag_end].rfind("<a ")?;
    let tag = &page.html[tag_start..tag_end];
    let start = tag.find("href=\"")? + 6;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn supervisors_page_through_and_search_the_queue_on_each_backend() {
    for server in spawn_apps().await {
        let b = server.backend;
        let (jordan_case, priya_case) = near_misses(&server, 21).await;
        let supervisor = FormClient::sign_in(&server.base, "supervisor").await;

        // The navigation leads there; 22 pairs, 20 a page, oldest first.
        let home = supervisor.get("/supervisor").await;
        assert!(home.contains("href=\"/linkage/reviews\""), "{b}: nav link");
        let first = supervisor.get("/linkage/reviews").await;
        assert_eq!(first.status, StatusCode::OK, "{b}: {}", first.html);
        assert!(first.contains("22 pairs waiting"), "{b}: {}", first.html);
        assert!(first.contains("aria-current=\"page\""), "{b}");
        let first_ids = pair_links(&first);
        assert_eq!(first_ids.len(), 20, "{b}");
        let next = href_of(&first, "next-page").expect("a next page");
        let second = supervisor.get(&next).await;
        assert_eq!(second.status, StatusCode::OK, "{b}: {}", second.html);
        let second_ids = pair_links(&second);
        assert_eq!(second_ids.len(), 2, "{b}");
        assert!(
            second_ids.iter().all(|id| !first_ids.contains(id)),
            "{b}: pages do not overlap"
        );
        assert!(href_of(&second, "next-page").is_none(), "{b}: last page");

        // Search: a name from either side, an arrest reference, a case reference.
        for (q, expect) in [
            ("pria", 1),
            ("OKONKWO-hale", 1),
            ("po-001", 1),
            (priya_case.as_str(), 1),
            ("whitfield", 21),
            (jordan_case.as_str(), 21),
            ("jordon whitford", 21),
            ("nobody%", 0),
        ] {
            let found = supervisor
                .get(&format!("/linkage/reviews?{}", form_body(&[("q", q)])))
                .await;
            assert_eq!(found.status, StatusCode::OK, "{b}: {q}");
            assert_eq!(
                pair_links(&found).len(),
                expect.min(20),
                "{b}: search {q:?}"
            );
            assert!(
                found.contains(&format!("{expect} waiting")),
                "{b}: {q:?}: {}",
                found.html
            );
        }
        // A search keeps itself across pages.
        let searched = supervisor.get("/linkage/reviews?q=whitfield").await;
        let next = href_of(&searched, "next-page").expect("a next page");
        assert!(next.contains("q=whitfield"), "{b}: {next}");
        assert_eq!(pair_links(&supervisor.get(&next).await).len(), 1, "{b}");

        // A made-up cursor is a clear problem, not a crash.
        let bad = supervisor.get("/linkage/reviews?after=nonsense").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(bad.contains("start again from the first page"), "{b}");
    }
}

#[tokio::test]
async fn a_pair_shows_both_records_with_each_fields_level_and_weight_and_is_confirmed() {
    let server = spawn_sqlite().await;
    near_misses(&server, 1).await;
    let supervisor = FormClient::sign_in(&server.base, "supervisor").await;
    let queue = supervisor.get("/linkage/reviews?q=whitfield").await;
    let arrest_id = pair_links(&queue)[0].clone();

    let page = supervisor
        .get(&format!("/linkage/reviews/{arrest_id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    // The JSON API's explanation is what the page shows, field by field.
    let api = expect_json(
        server
            .get(
                &format!("/api/v1/linkage/reviews/{arrest_id}"),
                "supervisor",
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let fields = api["explanation"]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 5);
    assert_eq!(page.html.matches("data-testid=\"field\"").count(), 5);
    for field in fields {
        let level = field["level"].as_str().expect("level");
        assert!(
            page.contains(&format!("data-level=\"{level}\"")),
            "level {level} shown"
        );
        let weight = format!("{:+.2}", field["weight"].as_f64().expect("weight"));
        assert!(page.contains(&weight), "weight {weight} shown");
    }
    let probability = api["item"]["match_probability"].as_f64().expect("p");
    assert!(
        page.contains(&format!("{:.1}%", probability * 100.0)),
        "probability shown"
    );
    for value in [
        "Jordon",
        "Jordan",
        "Whitford",
        "Whitfield",
        "QX2 1AA",
        "QX4 7BD",
    ] {
        assert!(page.contains(value), "{value} shown");
    }
    assert!(
        page.contains("The same"),
        "the same date of birth, in words"
    );

    // No choice: the form again with the problem.
    let missing = supervisor
        .post(
            &format!("/linkage/reviews/{arrest_id}/decision"),
            &page,
            &[("reason", "typed but no choice")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.contains("data-testid=\"error-summary\""));
    assert!(
        missing.contains("typed but no choice"),
        "the reason is kept"
    );

    // Confirmed without a reason: the reason is optional.
    let done = supervisor
        .post(
            &format!("/linkage/reviews/{arrest_id}/decision"),
            &page,
            &[("decision", "confirm"), ("reason", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/linkage/reviews/{arrest_id}").as_str())
    );
    let decided = supervisor
        .get(&format!("/linkage/reviews/{arrest_id}"))
        .await;
    assert!(
        decided.contains("Confirmed: the same person"),
        "{}",
        decided.html
    );
    assert!(decided.contains("Test supervisor"));
    assert!(!decided.contains("data-testid=\"decide-form\""));
    let api = expect_json(
        server
            .get(
                &format!("/api/v1/linkage/reviews/{arrest_id}"),
                "supervisor",
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(api["status"], "confirmed");
    assert_eq!(api["reason"], Value::Null);

    // The same form sent again (a second tab, or someone else first): a clear notice, 409.
    let stale = supervisor
        .post(
            &format!("/linkage/reviews/{arrest_id}/decision"),
            &page,
            &[("decision", "reject"), ("reason", "different person")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale.contains("Someone else has already decided this pair"),
        "{}",
        stale.html
    );
    assert!(stale.contains("Confirmed: the same person"));
    let queue = supervisor.get("/linkage/reviews").await;
    assert!(queue.contains("1 pair waiting"), "{}", queue.html);
}

#[tokio::test]
async fn a_rejection_keeps_its_reason_and_a_refit_shows_the_new_model_version() {
    let server = spawn_sqlite().await;
    near_misses(&server, 1).await;
    let supervisor = FormClient::sign_in(&server.base, "supervisor").await;
    let queue = supervisor.get("/linkage/reviews?q=priya").await;
    let arrest_id = pair_links(&queue)[0].clone();
    let page = supervisor
        .get(&format!("/linkage/reviews/{arrest_id}"))
        .await;
    let done = supervisor
        .post(
            &format!("/linkage/reviews/{arrest_id}/decision"),
            &page,
            &[
                ("decision", "reject"),
                ("reason", "different date of birth on the PNC"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let decided = supervisor
        .get(&format!("/linkage/reviews/{arrest_id}"))
        .await;
    assert!(decided.contains("Rejected: different people"));
    assert!(decided.contains("different date of birth on the PNC"));

    let queue = supervisor.get("/linkage/reviews").await;
    assert!(queue.contains("data-testid=\"model\""), "{}", queue.html);
    assert!(queue.contains("<dd>1: the starter model"), "{}", queue.html);
    let refit = supervisor.post("/linkage/model/refit", &queue, &[]).await;
    assert_eq!(refit.status, StatusCode::SEE_OTHER, "{}", refit.html);
    let location = refit.location.expect("redirect");
    assert_eq!(location, "/linkage/reviews?refitted=2");
    let shown = supervisor.get(&location).await;
    assert!(
        shown.contains("data-testid=\"model-version\">2</strong>"),
        "{}",
        shown.html
    );
    assert!(
        shown.contains("refitted from clerical decisions (1 decision)"),
        "{}",
        shown.html
    );
}

#[tokio::test]
async fn only_supervisors_see_the_pages_and_forms_need_their_token() {
    let server = spawn_sqlite().await;
    near_misses(&server, 1).await;
    let supervisor = FormClient::sign_in(&server.base, "supervisor").await;
    let queue = supervisor.get("/linkage/reviews").await;
    let arrest_id = pair_links(&queue)[0].clone();

    for username in ["custody.sgt", "nav.north.1", "analyst", "admin"] {
        let other = FormClient::sign_in(&server.base, username).await;
        let mut denied_page = None;
        for path in [
            "/linkage/reviews".to_owned(),
            format!("/linkage/reviews/{arrest_id}"),
        ] {
            let denied = other.get(&path).await;
            assert_eq!(denied.status, StatusCode::FORBIDDEN, "{username} {path}");
            assert!(
                !denied.contains("href=\"/linkage/reviews\""),
                "{username}: no navigation entry"
            );
            denied_page = Some(denied);
        }
        // A valid token (the sign-out form's) does not help either.
        let form = denied_page.expect("a page");
        for path in [
            format!("/linkage/reviews/{arrest_id}/decision"),
            "/linkage/model/refit".to_owned(),
        ] {
            let denied = other.post(&path, &form, &[("decision", "confirm")]).await;
            assert_eq!(denied.status, StatusCode::FORBIDDEN, "{username} {path}");
        }
    }
    let anonymous = FormClient::new(&server.base).get("/linkage/reviews").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location.as_deref(), Some("/sign-in"));

    // Without the form's token: refused, and nothing decided.
    let forged = supervisor
        .post_raw(
            &format!("/linkage/reviews/{arrest_id}/decision"),
            form_body(&[("decision", "confirm")]),
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged_refit = supervisor
        .post_raw("/linkage/model/refit", String::new(), &[])
        .await;
    assert_eq!(forged_refit.status, StatusCode::FORBIDDEN);
    let queue = supervisor.get("/linkage/reviews").await;
    assert!(queue.contains("2 pairs waiting"), "{}", queue.html);
    assert!(queue.contains("<dd>1: the starter model"), "{}", queue.html);
}
