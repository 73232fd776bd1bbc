//! Whole journeys in Debian's headless Chromium, driven over WebDriver (chromedriver) against
//! the real server on a fresh SQLite database. Screenshots of the main pages land in
//! `target/browser-screenshots/` for a person to look at.
//!
//! Without chromedriver the tests skip with a message, unless `CHECKPOINT_REQUIRE_BROWSER=1`
//! (CI sets it), which turns a missing browser into a failure.

use super::support::referral_fields;
use crate::helpers::{PASSWORD, TestServer, spawn_sqlite};
use checkpoint_app::needs::NeedsItem;
use checkpoint_domain::contract::Pathway;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process, killed when dropped.
pub(super) struct Driver {
    child: Child,
    url: String,
    _profile: tempfile_dir::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory without another dependency: removed on drop.
mod tempfile_dir {
    use std::path::PathBuf;

    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(label: &str) -> TempDir {
            let path = std::env::temp_dir().join(format!(
                "checkpoint-{label}-{}",
                uuid::Uuid::now_v7().simple()
            ));
            std::fs::create_dir_all(&path).expect("temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Starts chromedriver, or says why not: `None` means skip.
pub(super) fn start_driver() -> Option<Driver> {
    let required = std::env::var("CHECKPOINT_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(
            !required,
            "CHECKPOINT_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping browser test: {CHROMEDRIVER} or {CHROMIUM} is not installed");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile_dir::TempDir::new("chromium-profile");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    // Wait (bounded) for the driver to listen.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(driver);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not start listening on port {port}");
}

pub(super) async fn browser(driver: &Driver) -> Client {
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1366,1000".to_owned(),
        format!("--user-data-dir={}", driver._profile.0.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session")
}

pub(super) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves a full-window screenshot as `NAME.png`.
pub(super) async fn snap(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write png");
}

/// Scrolls the first element matching `selector` to the top of the window (for a screenshot
/// of a part of a long page).
async fn scroll_to(c: &Client, selector: &str) {
    css(c, selector).await;
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})",
        vec![json!(selector)],
    )
    .await
    .expect("scroll");
}

pub(super) async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
}

pub(super) async fn click(c: &Client, selector: &str) {
    css(c, selector).await.click().await.expect("click");
}

/// Clicks something that loads a new page (a form's submit button) and waits, bounded, for
/// that page: the old document carries a marker the new one lacks.
pub(super) async fn submit(c: &Client, selector: &str) {
    c.execute("window.__checkpointOldPage = true", vec![])
        .await
        .expect("mark page");
    click(c, selector).await;
    for _ in 0..100 {
        let old = c
            .execute("return window.__checkpointOldPage === true", vec![])
            .await;
        if matches!(old, Ok(serde_json::Value::Bool(false))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {selector} did not load a page");
}

/// Sets a field the way a form does, whatever its kind (text, date, select, radio, checkbox).
pub(super) async fn fill(c: &Client, name: &str, value: &str) {
    let script = r#"
        const [name, value] = arguments;
        const fields = document.getElementsByName(name);
        if (fields.length === 0) { return "missing"; }
        const first = fields[0];
        if (first.type === "radio" || first.type === "checkbox") {
            for (const f of fields) { if (f.value === value) { f.checked = true; } }
        } else {
            first.value = value;
        }
        return "ok";
    "#;
    let done = c
        .execute(script, vec![json!(name), json!(value)])
        .await
        .expect("fill");
    assert_eq!(done, json!("ok"), "no field named {name}");
}

pub(super) async fn text_of(c: &Client, selector: &str) -> String {
    css(c, selector).await.text().await.expect("text")
}

pub(super) async fn sign_in(c: &Client, server: &TestServer, username: &str) {
    c.goto(&server.url("/sign-in")).await.expect("sign-in page");
    css(c, "#username")
        .await
        .send_keys(username)
        .await
        .expect("type");
    css(c, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type");
    submit(c, "button[type=submit].button").await;
    let name = text_of(c, "[data-testid=user-name]").await;
    assert_eq!(name, format!("Test {username}"));
}

pub(super) async fn sign_out(c: &Client) {
    submit(c, ".header__signout").await;
    css(c, "#username").await;
}

#[tokio::test]
async fn custody_navigator_and_supervisor_take_a_case_to_prosecution() {
    let Some(driver) = start_driver() else { return };
    let server = spawn_sqlite().await;
    let c = browser(&driver).await;

    // Custody officer: a referral with one mistake, then corrected.
    sign_in(&c, &server, "custody.sgt").await;
    assert_eq!(
        text_of(&c, "[data-testid=user-role]").await,
        "Custody officer"
    );
    for (name, value) in referral_fields("Jordan", "") {
        fill(&c, name, value).await;
    }
    submit(&c, "[data-testid=submit-referral]").await;
    let summary = text_of(&c, "[data-testid=error-summary]").await;
    assert!(summary.contains("Enter the family name"), "{summary}");
    snap(&c, "01-referral-errors").await;
    // The summary links to the field; the typed given name is still there.
    click(&c, "[data-testid=error-summary] a").await;
    let focused = c.active_element().await.expect("focus");
    assert_eq!(
        focused.attr("id").await.expect("id").as_deref(),
        Some("person-family_name")
    );
    focused.send_keys("Ashworth").await.expect("type");
    assert_eq!(
        css(&c, "#person-given_name")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("Jordan")
    );
    submit(&c, "[data-testid=submit-referral]").await;

    // The decision page: every criterion, the advice, the dates.
    let criteria = c
        .wait()
        .for_element(Locator::Css("[data-testid=criteria]"))
        .await
        .expect("criteria table");
    let rows = criteria
        .find_all(Locator::Css("[data-testid=criterion]"))
        .await
        .expect("rows");
    let expected = server
        .app
        .policies()
        .in_force("durham-checkpoint", jiff::civil::date(2026, 3, 4))
        .expect("policy")
        .criteria()
        .len();
    assert_eq!(rows.len(), expected, "every criterion is listed");
    assert_eq!(
        text_of(&c, "[data-testid=advised-outcome]").await,
        "Eligible"
    );
    snap(&c, "02-decision").await;
    submit(&c, "[data-testid=accept-advice]").await;
    submit(&c, "[data-testid=make-offer]").await;
    fill(&c, "consent.answer", "accepted").await;
    fill(&c, "consent.admission", "admitted_in_interview").await;
    submit(&c, "[data-testid=record-consent]").await;
    assert_eq!(text_of(&c, "[data-testid=case-state]").await, "Accepted");
    let case_url = c.current_url().await.expect("url").to_string();
    let case_id: uuid::Uuid = case_url
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("case id in the URL");
    sign_out(&c).await;

    // Supervisor assigns the case to the north team.
    sign_in(&c, &server, "supervisor").await;
    c.goto(&case_url).await.expect("case");
    click(&c, "details.action-panel summary").await;
    submit(&c, "[data-testid=assign]").await;
    let header = text_of(&c, "[data-testid=case-header]").await;
    assert!(header.contains("Test nav.north.1"), "{header}");
    sign_out(&c).await;

    // Navigator: needs recorded (set up directly), then contract, appointment, absence.
    let navigator = server
        .app
        .authenticate(server.token("nav.north.1"))
        .await
        .expect("navigator");
    let view = server
        .app
        .view_case(&navigator, case_id)
        .await
        .expect("view");
    let needs = Pathway::ALL
        .into_iter()
        .map(|pathway| NeedsItem {
            pathway,
            severity: checkpoint_app::needs::Severity::Low,
            notes: None,
        })
        .collect();
    server
        .app
        .record_needs_assessment(&navigator, case_id, view.header.version, needs)
        .await
        .expect("needs");
    sign_in(&c, &server, "nav.north.1").await;
    c.goto(&case_url).await.expect("case");
    click(&c, "[data-testid=contract-panel] summary").await;
    fill(&c, "condition.0.condition", "no_reoffending").await;
    fill(&c, "condition.1.condition", "community_hours").await;
    fill(&c, "condition.1.hours", "20").await;
    submit(&c, "[data-testid=save-contract]").await;
    fill(&c, "signature.method", "on_screen").await;
    fill(&c, "signature.typed_name", "Jordan Ashworth").await;
    submit(&c, "[data-testid=sign-contract]").await;
    submit(&c, "[data-testid=start-contract]").await;
    assert_eq!(text_of(&c, "[data-testid=case-state]").await, "Active");
    let conditions = text_of(&c, "[data-testid=conditions]").await;
    assert!(conditions.contains("hours"), "{conditions}");
    fill(&c, "appointment.time", "09:00").await;
    fill(&c, "appointment.purpose", "First session").await;
    c.execute(
        "document.querySelector('[data-testid=book-appointment]').closest('details').open = true",
        vec![],
    )
    .await
    .expect("open");
    submit(&c, "[data-testid=book-appointment]").await;
    snap(&c, "03-case-active").await;

    // The dashboard's quick action, swapped in place by htmx.
    c.goto(&server.url("/caseload")).await.expect("caseload");
    css(&c, "[data-testid=quick-attendance]").await;
    snap(&c, "04-caseload").await;
    // Missed without the note first: the form comes back in place with the problem.
    fill(&c, "reason", "unacceptable").await;
    click(&c, "[data-testid=quick-attendance] .button--warning").await;
    let problem = text_of(&c, "[data-testid=quick-attendance] .error-message").await;
    assert!(problem.contains("Add a note"), "{problem}");
    fill(&c, "note", "Did not answer the door or the phone").await;
    click(&c, "[data-testid=quick-attendance] .button--warning").await;
    let recorded = text_of(&c, "[data-testid=attendance-recorded]").await;
    assert!(
        recorded.contains("non-compliance review is now open"),
        "{recorded}"
    );
    assert!(
        c.current_url().await.expect("url").path() == "/caseload",
        "htmx swapped the form without leaving the page"
    );
    sign_out(&c).await;

    // A navigator of another team does not even learn the case exists.
    sign_in(&c, &server, "nav.south.1").await;
    c.goto(&case_url).await.expect("case");
    assert_eq!(text_of(&c, "h1").await, "Page not found");
    sign_out(&c).await;

    // Supervisor: the review is in the queue; fail the case.
    sign_in(&c, &server, "supervisor").await;
    let reviews = text_of(&c, "[data-testid=reviews]").await;
    assert!(reviews.contains("Jordan Ashworth"), "{reviews}");
    snap(&c, "05-supervisor").await;
    c.goto(&case_url).await.expect("case");
    fill(&c, "decide.decision", "fail").await;
    fill(
        &c,
        "decide.reason",
        "No excuse offered for the missed session",
    )
    .await;
    submit(&c, "[data-testid=decide]").await;
    assert_eq!(
        text_of(&c, "[data-testid=case-state]").await,
        "Referred for prosecution"
    );
    let timeline = text_of(&c, "[data-testid=timeline]").await;
    assert!(timeline.contains("Refer for prosecution"), "{timeline}");
    snap(&c, "06-case-prosecution").await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn analysts_and_admins_see_figures_and_accounts_but_no_cases() {
    let Some(driver) = start_driver() else { return };
    let server = spawn_sqlite().await;
    let c = browser(&driver).await;

    sign_in(&c, &server, "analyst").await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/overview")
    );
    css(&c, "[data-testid=headlines], main p").await;
    let case_links = c
        .find_all(Locator::Css("a[href^='/cases/']"))
        .await
        .expect("links");
    assert!(case_links.is_empty(), "an analyst has no case links");
    snap(&c, "07-overview").await;
    sign_out(&c).await;

    sign_in(&c, &server, "admin").await;
    let users = text_of(&c, "[data-testid=users]").await;
    assert!(users.contains("nav.south.1"), "{users}");
    // Keyboard: the skip link is the first thing focused and it moves focus to main.
    c.execute("document.activeElement.blur()", vec![])
        .await
        .expect("blur");
    css(&c, "body")
        .await
        .send_keys("\u{E004}")
        .await
        .expect("tab");
    let first = c.active_element().await.expect("focus");
    assert_eq!(
        first.attr("class").await.expect("class").as_deref(),
        Some("skip-link")
    );
    snap(&c, "08-admin-users-skip-link").await;
    c.goto(&server.url("/policies")).await.expect("policies");
    let policies = text_of(&c, "[data-testid=policies]").await;
    assert!(policies.contains("In force"), "{policies}");
    snap(&c, "09-policies").await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn rescreening_assignment_contact_variation_lists_and_the_reason_for_viewing() {
    use super::support::{Stage, case_through_api};
    let Some(driver) = start_driver() else { return };
    let server = spawn_sqlite().await;
    let c = browser(&driver).await;

    // Custody officer: a referral without the interview outcome needs information.
    sign_in(&c, &server, "custody.sgt").await;
    for (name, value) in referral_fields("Morgan", "Missing") {
        if name != "interview" {
            fill(&c, name, value).await;
        }
    }
    submit(&c, "[data-testid=submit-referral]").await;
    assert_eq!(
        text_of(&c, "[data-testid=advised-outcome]").await,
        "Needs more information"
    );
    submit(&c, "[data-testid=accept-advice]").await;
    // The re-screening form is open, names what is missing and holds the referral.
    let missing = text_of(&c, "[data-testid=missing-facts]").await;
    assert!(missing.to_lowercase().contains("interview"), "{missing}");
    assert_eq!(
        css(&c, "#person-given_name")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("Morgan")
    );
    css(&c, "[data-testid=needs-information]").await;
    snap(&c, "10a-needs-information").await;
    scroll_to(&c, "[data-testid=rescreen-panel]").await;
    snap(&c, "10b-rescreen-missing-facts").await;
    // "Add another earlier participation" works as a plain button.
    fill(&c, "earlier_none", "").await;
    c.execute(
        "document.querySelector('[name=earlier_none]').checked = false",
        vec![],
    )
    .await
    .expect("untick");
    submit(&c, "[data-testid=add-earlier]").await;
    let rows = c
        .find_all(Locator::Css("[data-testid=earlier-row]"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    fill(&c, "earlier_none", "yes").await;
    fill(&c, "interview", "admitted").await;
    submit(&c, "[data-testid=rescreen]").await;
    assert_eq!(
        text_of(&c, "[data-testid=advised-outcome]").await,
        "Eligible"
    );
    submit(&c, "[data-testid=accept-advice]").await;
    submit(&c, "[data-testid=make-offer]").await;
    fill(&c, "consent.answer", "accepted").await;
    fill(&c, "consent.admission", "admitted_in_interview").await;
    submit(&c, "[data-testid=record-consent]").await;
    let case_url = c.current_url().await.expect("url").to_string();

    // The person's record asks why first.
    c.goto(&server.url("/people?name=Missing"))
        .await
        .expect("people");
    click(&c, "[data-testid=people-results] a").await;
    css(&c, "[data-testid=reason-form]").await;
    snap(&c, "11-person-reason").await;
    fill(&c, "reason", "referral_check").await;
    submit(&c, "[data-testid=give-reason]").await;
    let reason = text_of(&c, "[data-testid=view-reason]").await;
    assert!(
        reason.contains("Checking identity or duplicates"),
        "{reason}"
    );
    snap(&c, "12-person").await;
    sign_out(&c).await;

    // Supervisor: a named navigator, chosen with their caseload in view.
    sign_in(&c, &server, "supervisor").await;
    c.goto(&case_url).await.expect("case");
    click(&c, "[data-testid=assign-panel] summary").await;
    let second = server.ids["nav.north.2"].to_string();
    fill(&c, "assign.navigator", &second).await;
    snap(&c, "13-assign-named-navigator").await;
    submit(&c, "[data-testid=assign]").await;
    let header = text_of(&c, "[data-testid=case-header]").await;
    assert!(header.contains("Test nav.north.2"), "{header}");
    sign_out(&c).await;

    // Navigator with a full caseload: pages, a contact, a variation, the timeline filtered.
    let mut first = None;
    for given in [
        "Aaron", "Bethany", "Callum", "Delphine", "Edmund", "Fatima", "Gregor", "Hollis",
        "Isadora", "Jasper", "Kwame", "Leonora", "Mateo", "Nadia", "Oswin", "Priya", "Quentin",
        "Rosalind", "Sanjay", "Tabitha", "Ulrich",
    ] {
        let (id, _) = case_through_api(&server, given, "Pagewood", Stage::Active).await;
        first.get_or_insert(id);
    }
    sign_in(&c, &server, "nav.north.1").await;
    let pager = text_of(&c, "[data-testid=pager]").await;
    assert!(pager.contains("Showing 1–20 of 21 open cases"), "{pager}");
    scroll_to(&c, "[data-testid=pager]").await;
    snap(&c, "14-caseload-pages").await;
    submit(&c, "a[rel=next]").await;
    let rows = c
        .find_all(Locator::Css("[data-testid=caseload-row]"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);

    let case = server.url(&format!("/cases/{}", first.expect("a case")));
    c.goto(&case).await.expect("case");
    click(&c, "[data-testid=contact-panel] summary").await;
    fill(&c, "contact.method", "phone").await;
    fill(&c, "contact.note", "Called to confirm the course date").await;
    submit(&c, "[data-testid=record-contact]").await;
    click(&c, "[data-testid=variation-panel] summary").await;
    fill(&c, "variation.reason", "The course moved to a later intake").await;
    fill(&c, "variation.condition.1.due", "2026-04-30").await;
    fill(&c, "variation.method", "on_screen").await;
    fill(&c, "variation.typed_name", "Aaron Pagewood").await;
    scroll_to(&c, "[data-testid=variation-panel]").await;
    snap(&c, "15-case-variation").await;
    submit(&c, "[data-testid=vary-contract]").await;
    let conditions = text_of(&c, "[data-testid=conditions]").await;
    assert!(conditions.contains("due 30 April 2026"), "{conditions}");
    fill(&c, "kind", "contact").await;
    submit(&c, "[data-testid=timeline-filter] button").await;
    let timeline = text_of(&c, "[data-testid=timeline]").await;
    assert!(
        timeline.contains("Called to confirm the course date"),
        "{timeline}"
    );
    let events = c
        .find_all(Locator::Css("[data-testid=timeline-event]"))
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    snap(&c, "16-timeline-filtered").await;
    sign_out(&c).await;

    // Three weeks on: the supervisor's lists, searched.
    server
        .app
        .clock()
        .set("2026-03-25T10:00:00Z".parse().expect("instant"));
    sign_in(&c, &server, "supervisor").await;
    snap(&c, "17-supervisor-lists").await;
    scroll_to(&c, "#gaps").await;
    snap(&c, "17b-supervisor-gaps-paged").await;
    fill(&c, "q", "tabitha").await;
    submit(&c, "[data-testid=queue-search] button").await;
    let gaps = text_of(&c, "[data-testid=gaps]").await;
    assert!(
        gaps.contains("Tabitha Pagewood") && !gaps.contains("Aaron"),
        "{gaps}"
    );
    scroll_to(&c, "#gaps").await;
    snap(&c, "18-supervisor-search").await;
    c.close().await.expect("close");
}
