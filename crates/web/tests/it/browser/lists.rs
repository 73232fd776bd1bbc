//! Lists over plain HTTP: every list is paginated (page size, numbered page links, the total)
//! and searchable by name or case reference; the case timeline is filtered by kind of event
//! and searched; a person's record asks the viewer's reason for looking first.

use super::support::{FormClient, Page, Stage, case_through_api};
use crate::helpers::{PASSWORD, TestServer, spawn_sqlite};
use checkpoint_app::appointments::{Contact, ContactMethod};
use checkpoint_store::{AuditAction, audit};
use reqwest::StatusCode;

/// Given names no two of which look alike to the duplicate check.
const GIVEN: [&str; 26] = [
    "Aaron",
    "Bethany",
    "Callum",
    "Delphine",
    "Edmund",
    "Fatima",
    "Gregor",
    "Hollis",
    "Isadora",
    "Jasper",
    "Kwame",
    "Leonora",
    "Mateo",
    "Nadia",
    "Oswin",
    "Priya",
    "Quentin",
    "Rosalind",
    "Sanjay",
    "Tabitha",
    "Ulrich",
    "Valentina",
    "Winston",
    "Xiomara",
    "Yusuf",
    "Zelda",
];

/// The page with `&` in attributes written plainly (templates escape it as `&#38;`).
fn unescaped(page: &Page) -> String {
    page.html.replace("&#38;", "&").replace("&amp;", "&")
}

fn rows(page: &Page, marker: &str) -> usize {
    page.html.matches(marker).count()
}

/// The part of a page from `data-testid="{id}"` to the end of its element's table.
fn section<'a>(page: &'a Page, id: &str) -> &'a str {
    let start = page
        .html
        .find(&format!("data-testid=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {}", page.html));
    let rest = &page.html[start..];
    &rest[..rest.find("</table>").unwrap_or(rest.len())]
}

async fn active_cases(server: &TestServer, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for given in GIVEN.iter().take(count) {
        let (id, _) = case_through_api(server, given, "Pagewood", Stage::Active).await;
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn caseload_supervisor_queue_and_people_are_paged_and_searchable() {
    let server = spawn_sqlite().await;
    let ids = active_cases(&server, 26).await;
    let navigator = FormClient::sign_in(&server.base, "nav.north.1").await;

    // Caseload: 20 a page, numbered links, the total.
    let first = navigator.get("/caseload").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first, "data-testid=\"caseload-row\""), 20);
    assert!(
        first.contains("Showing 1–20 of 26 open cases, 20 a page"),
        "{}",
        first.html
    );
    assert!(first.contains("href=\"/caseload?page=2\""));
    assert!(first.contains("aria-current=\"page\" class=\"pagination__current\"><span class=\"visually-hidden\">Page </span>1<"));
    let second = navigator.get("/caseload?page=2").await;
    assert_eq!(rows(&second, "data-testid=\"caseload-row\""), 6);
    assert!(second.contains("Showing 21–26 of 26 open cases") && second.contains("rel=\"prev\""));
    let beyond = navigator.get("/caseload?page=99").await;
    assert_eq!(
        rows(&beyond, "data-testid=\"caseload-row\""),
        6,
        "clamped to the last page"
    );

    // Search by name, then by case reference.
    let by_name = navigator.get("/caseload?q=valentina").await;
    assert_eq!(rows(&by_name, "data-testid=\"caseload-row\""), 1);
    assert!(by_name.contains("Valentina Pagewood"));
    let navigator_actor = server
        .app
        .authenticate(server.token("nav.north.1"))
        .await
        .expect("navigator");
    let case = server
        .app
        .view_case(&navigator_actor, ids[3].parse().expect("uuid"))
        .await
        .expect("case");
    let reference = case.header.reference.clone();
    let by_reference = navigator
        .get(&format!("/caseload?q={}", reference.to_lowercase()))
        .await;
    assert_eq!(rows(&by_reference, "data-testid=\"caseload-row\""), 1);
    assert!(
        by_reference.contains("Delphine Pagewood"),
        "{}",
        by_reference.html
    );

    // Three weeks on, nobody has been contacted: 26 contact gaps, 15 a page.
    server
        .app
        .clock()
        .set("2026-03-25T10:00:00Z".parse().expect("instant"));
    let supervisor = FormClient::sign_in(&server.base, "supervisor").await;
    let queue = supervisor.get("/supervisor").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    let gaps = section(&queue, "gaps");
    assert_eq!(gaps.matches("<tr><td><a href=\"/cases/").count(), 15);
    assert!(
        queue.contains("Showing 1–15 of 26 cases without recent contact"),
        "{}",
        queue.html
    );
    assert!(queue.contains("href=\"/supervisor?gaps_page=2#gaps\""));
    let later = supervisor.get("/supervisor?gaps_page=2").await;
    assert_eq!(
        section(&later, "gaps")
            .matches("<tr><td><a href=\"/cases/")
            .count(),
        11
    );
    // A list's links keep the search and the other lists' pages.
    let searched = supervisor.get("/supervisor?q=Pagewood&risks_page=2").await;
    assert!(
        unescaped(&searched)
            .contains("href=\"/supervisor?q=Pagewood&risks_page=2&gaps_page=2#gaps\""),
        "{}",
        searched.html
    );
    let one = supervisor.get("/supervisor?q=zelda").await;
    assert_eq!(
        section(&one, "gaps")
            .matches("<tr><td><a href=\"/cases/")
            .count(),
        1
    );
    assert!(one.contains("Zelda Pagewood") && !one.contains("Aaron Pagewood"));
    let none = supervisor.get("/supervisor?q=nobody-at-all").await;
    assert!(none.contains("None match “nobody-at-all”"));

    // People: 25 a page with the total; the first page starts with the first name.
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let people = desk.get("/people?name=pagewood").await;
    assert_eq!(
        section(&people, "people-results")
            .matches("<tr><td><a href=\"/people/")
            .count(),
        25
    );
    assert!(
        people.contains("Showing 1–25 of 26 people"),
        "{}",
        people.html
    );
    assert!(
        people.contains("Aaron Pagewood"),
        "page 1 is the first page"
    );
    assert!(!people.contains("Zelda Pagewood"));
    assert!(unescaped(&people).contains("href=\"/people?name=pagewood&page=2\""));
    let last = desk.get("/people?name=pagewood&page=2").await;
    assert!(last.contains("Zelda Pagewood") && last.contains("Showing 26–26 of 26 people"));
    // A case reference finds the case, for those who may see it.
    let found = desk
        .get(&format!("/people?reference={}", reference.to_lowercase()))
        .await;
    assert!(
        found.contains(&format!(
            "Case {reference}: <a href=\"/cases/{}\">open the case</a>",
            ids[3]
        )),
        "{}",
        found.html
    );
    let south = FormClient::sign_in(&server.base, "nav.south.1").await;
    let hidden = south.get(&format!("/people?reference={reference}")).await;
    assert!(hidden.contains(&format!(
        "No case with the reference {reference} that you can see"
    )));
    assert!(
        !hidden.contains(&ids[3]),
        "another team's case stays unknown"
    );
    let unknown = desk.get("/people?reference=CP-1999-999999").await;
    assert!(unknown.contains("No case with the reference CP-1999-999999 that you can see"));
    let past = desk.get("/people?name=pagewood&page=40").await;
    assert!(past.contains("Zelda Pagewood") && past.contains("Showing 26–26 of 26 people"));
}

#[tokio::test]
async fn the_case_timeline_is_filtered_by_kind_searched_and_paged() {
    let server = spawn_sqlite().await;
    let (id, mut version) = case_through_api(&server, "Tilly", "Timeline", Stage::Active).await;
    let navigator = server
        .app
        .authenticate(server.token("nav.north.1"))
        .await
        .expect("navigator");
    let case_id = id.parse().expect("uuid");
    for n in 1..=15 {
        let recorded = server
            .app
            .record_contact(
                &navigator,
                case_id,
                version,
                Contact {
                    on: jiff::civil::date(2026, 3, 4),
                    method: ContactMethod::Phone,
                    note: format!("note-{n:02} about the course"),
                },
            )
            .await
            .expect("contact");
        version = recorded.version;
    }
    let client = FormClient::sign_in(&server.base, "nav.north.1").await;
    let path = format!("/cases/{id}");
    let page = client.get(&path).await;
    let total = server
        .app
        .view_case(&navigator, case_id)
        .await
        .expect("case")
        .timeline
        .len();
    assert!(total > 20);
    assert_eq!(rows(&page, "data-testid=\"timeline-event\""), 20);
    assert!(
        page.contains(&format!("Showing 1–20 of {total} events")),
        "{}",
        page.html
    );
    assert!(page.contains(&format!("href=\"/cases/{id}?tpage=2#timeline\"")));
    assert!(page.contains("<option value=\"contact\">Contact (15)</option>"));
    let older = client.get(&format!("{path}?tpage=2")).await;
    assert_eq!(rows(&older, "data-testid=\"timeline-event\""), total - 20);
    assert!(older.contains("Opened") || older.contains("Referred"));

    let contacts = client.get(&format!("{path}?kind=contact")).await;
    assert_eq!(rows(&contacts, "data-testid=\"timeline-event\""), 15);
    assert!(contacts.contains("<option value=\"contact\" selected>"));
    let one = client.get(&format!("{path}?kind=contact&tq=note-07")).await;
    assert_eq!(rows(&one, "data-testid=\"timeline-event\""), 1);
    assert!(one.contains("note-07 about the course") && one.contains("Show every event"));
    let assigned = client.get(&format!("{path}?kind=assigned")).await;
    assert_eq!(rows(&assigned, "data-testid=\"timeline-event\""), 1);
    let nothing = client.get(&format!("{path}?tq=no+such+words")).await;
    assert!(nothing.contains("data-testid=\"timeline-empty\""));
}

#[tokio::test]
async fn a_persons_record_asks_the_reason_for_viewing_and_audits_it() {
    let server = spawn_sqlite().await;
    let (case_id, _) = case_through_api(&server, "Reese", "Reason", Stage::Accepted).await;
    let officer = server
        .app
        .authenticate(server.token("custody.sgt"))
        .await
        .expect("officer");
    let person_id = server
        .app
        .view_case(&officer, case_id.parse().expect("uuid"))
        .await
        .expect("case")
        .header
        .person_id;
    let path = format!("/people/{person_id}");
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;

    // First: the question, and nothing about the person yet.
    let asked = desk.get(&path).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked.contains("data-testid=\"reason-form\""),
        "{}",
        asked.html
    );
    assert!(!asked.contains("Reese Reason"));

    // "Another reason" without words is refused beside the field.
    let refused = desk.get(&format!("{path}?reason=other&detail=")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("href=\"#detail\"") && !refused.contains("Reese Reason"));
    let unknown = desk.get(&format!("{path}?reason=curiosity")).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.contains("href=\"#reason\""));

    // A reason from the list, with words: the record, and the reason in the audit log.
    let shown = desk
        .get(&format!(
            "{path}?reason=referral_check&detail=custody+record+DUR%2F1"
        ))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert!(shown.contains("Reese Reason"));
    assert!(
        shown.contains("Checking identity or duplicates for a referral: custody record DUR/1"),
        "{}",
        shown.html
    );
    let mut tx = server.app.db().begin_read().await.expect("read");
    let rows = audit::for_subject(&mut tx, "person", &person_id.to_string())
        .await
        .expect("audit");
    drop(tx);
    let last = rows.last().expect("a consultation");
    assert_eq!(last.action(), Some(AuditAction::Consultation));
    assert_eq!(
        last.justification.as_deref(),
        Some("Checking identity or duplicates for a referral: custody record DUR/1")
    );

    // Remembered for the session: the next look needs no question, and is audited with it.
    let again = desk.get(&path).await;
    assert!(again.contains("Reese Reason") && again.contains("Change the reason"));
    let change = desk.get(&format!("{path}?change_reason=1")).await;
    assert!(change.contains("data-testid=\"reason-form\""));
    assert!(
        change.contains("value=\"referral_check\" checked"),
        "the last answer is offered"
    );

    // A new session in the same browser (the cookie is still there) is asked afresh.
    let out = desk.post("/sign-out", &again, &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let form = desk.get("/sign-in").await;
    let back = desk
        .post(
            "/sign-in",
            &form,
            &[("username", "custody.sgt"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    let fresh = desk.get(&path).await;
    assert!(
        fresh.contains("data-testid=\"reason-form\""),
        "{}",
        fresh.html
    );
    assert!(!fresh.contains("Reese Reason"));
}
