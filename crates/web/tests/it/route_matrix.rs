//! Every route × every caller over HTTP (issue 9, items 7 and 8).
//!
//! The API routes come from the served OpenAPI document, so a new route without a row here
//! fails [`every_documented_route_has_an_expectation_row`]; the HTML routes come from a list
//! kept here and checked against the router's source. Each row says who may call the route
//! ([`Who`]) and how to prepare a valid request for it ([`Fix`]): a case in the state the step
//! needs, a body that would succeed, the version it is based on. Each cell then sends that
//! request as one caller and checks the answer: allowed (2xx; HTML: the page, or a 303 onward),
//! not signed in (401; HTML: 303 to `/sign-in`), forbidden (403) or not found (404, a case
//! outside a navigator's team). A denied call must leave the fixture untouched, so the next
//! caller reuses it; an allowed write consumes it and the next caller gets a fresh one.
//!
//! Audit (item 8): every allowed call of a route that reads or writes a person's data must
//! add audit rows, one of them naming the caller; every denied call must add none.

use crate::helpers::{NOW, PASSWORD, TestServer, expect_json, spawn_with};
use crate::story::example_referral;
use checkpoint_app::{PolicyRegistry, Role};
use checkpoint_store::audit::{self, AuditRecord};
use checkpoint_store::testing::{self, TestDb};
use checkpoint_web::WebConfig;
use checkpoint_web::views::session::csrf_token_for;
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::cell::Cell;
use std::collections::BTreeSet;

// ---- who calls --------------------------------------------------------------------------

/// The callers of every cell: anonymous, then one user per role, with the navigator three
/// times over (the case's own navigator, one of the same team, one of another team). Every
/// case a fixture makes is assigned to `nav.north.1` (team north).
const CALLERS: [Option<&str>; 8] = [
    None,
    Some("custody.sgt"),
    Some("nav.north.1"),
    Some("nav.north.2"),
    Some("nav.south.1"),
    Some("supervisor"),
    Some("analyst"),
    Some("admin"),
];

const CALLER_NAMES: [&str; 8] = [
    "anonymous",
    "custody officer",
    "navigator (own case)",
    "navigator (same team)",
    "navigator (other team)",
    "supervisor",
    "analyst",
    "admin",
];

/// What a call should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Unauthenticated,
    Forbidden,
    NotFound,
}

/// Who may call a route; the rest of the row follows from the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No sign-in needed (sign in, static assets, the OpenAPI document).
    Anyone,
    /// Any signed-in user.
    SignedIn,
    Admin,
    /// The custody desk: custody officers and supervisors.
    CustodyDesk,
    /// Reading a case or a person: custody, navigators in scope, supervisors.
    CaseReaders,
    /// Searching people: custody, any navigator, supervisors (no case, so no scope).
    PeopleSearchers,
    /// Working a case: navigators in scope and supervisors.
    CaseWorkers,
    Supervisor,
    /// A navigator's own caseload.
    Navigator,
    /// Evaluation reports.
    AnalystOrSupervisor,
    /// The arrest feed.
    SupervisorOrAdmin,
}

/// The expected outcome for caller `i` (an index into [`CALLERS`]).
fn expected(who: Who, caller: usize) -> Outcome {
    use Outcome::{Allowed as A, Forbidden as F, NotFound as N};
    if caller == 0 {
        return if who == Who::Anyone {
            A
        } else {
            Outcome::Unauthenticated
        };
    }
    // custody, navigator (own), navigator (team), navigator (other team), supervisor,
    // analyst, admin
    let row: [Outcome; 7] = match who {
        Who::Anyone | Who::SignedIn => [A; 7],
        Who::Admin => [F, F, F, F, F, F, A],
        Who::CustodyDesk => [A, F, F, F, A, F, F],
        Who::CaseReaders => [A, A, A, N, A, F, F],
        Who::PeopleSearchers => [A, A, A, A, A, F, F],
        Who::CaseWorkers => [F, A, A, N, A, F, F],
        Who::Supervisor => [F, F, F, F, A, F, F],
        Who::Navigator => [F, A, A, A, F, F, F],
        Who::AnalystOrSupervisor => [F, F, F, F, A, A, F],
        Who::SupervisorOrAdmin => [F, F, F, F, A, F, A],
    };
    row[caller - 1]
}

// ---- the rows ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Surface {
    Api,
    Html,
}

/// How to prepare a valid request for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    // API
    SignIn,
    SignOut,
    Me,
    Users,
    CreateUser,
    DisableUser,
    EnableUser,
    Policies,
    Policy,
    Referral,
    LikelyMatches,
    Screening,
    Rescreen,
    Countersign,
    Overrides,
    Allocation,
    Offer,
    Consent,
    PeopleSearch,
    Person,
    Case,
    Needs,
    Contract,
    Signature,
    Start,
    Variation,
    ContractVersions,
    ConditionStatus,
    Schedule,
    Appointments,
    Attendance,
    Contact,
    ReferToProvider,
    ProviderReferrals,
    ProviderResponse,
    OpenReview,
    DecideReview,
    Complete,
    Withdraw,
    Caseload,
    SupervisorQueue,
    Assign,
    Handover,
    Report,
    Import,
    ClericalQueue,
    ClericalPair,
    ClericalDecision,
    Refit,
    // HTML and other pages
    Home,
    SignInPage,
    HtmlSignIn,
    HtmlSignOut,
    NewReferral,
    HtmlReferral,
    DecisionPage,
    HtmlScreening,
    HtmlAllocation,
    HtmlOffer,
    HtmlConsent,
    HtmlCountersign,
    CasePage,
    /// `POST /cases/{id}/{action}` with this action.
    CaseAction(&'static str),
    /// `POST /cases/{id}/{item}/{item_id}/{action}` for this item kind.
    ItemAction(&'static str),
    CaseloadPage,
    QuickAttendance,
    SupervisorPage,
    HtmlHandover,
    LinkageQueuePage,
    LinkagePairPage,
    LinkageDecision,
    LinkageRefit,
    PeoplePage,
    PersonPage,
    Overview,
    ReportsIndex,
    ReportPage,
    AdminUsers,
    AddUser,
    SetDisabled,
    PoliciesPage,
    Htmx,
    Css,
    OpenApi,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    surface: Surface,
    method: &'static str,
    /// The route as the OpenAPI document (API) or the router (HTML) writes it.
    pattern: &'static str,
    who: Who,
    fix: Fix,
    /// Reads or writes a person's data: an allowed call must leave an audit row naming the
    /// caller.
    audited: bool,
}

const fn api(
    method: &'static str,
    pattern: &'static str,
    who: Who,
    fix: Fix,
    audited: bool,
) -> Row {
    Row {
        surface: Surface::Api,
        method,
        pattern,
        who,
        fix,
        audited,
    }
}

const fn html(
    method: &'static str,
    pattern: &'static str,
    who: Who,
    fix: Fix,
    audited: bool,
) -> Row {
    Row {
        surface: Surface::Html,
        method,
        pattern,
        who,
        fix,
        audited,
    }
}

/// The clerical queue page (its router line names it by a constant).
const LINKAGE_QUEUE: &str = "/linkage/reviews";

const AUDITED: bool = true;
const NOT_PERSONAL: bool = false;

/// Every API route (paths as the OpenAPI document writes them, under `/api/v1`).
#[rustfmt::skip]
const API_ROWS: &[Row] = {
    use Fix::*;
    use Who::*;
    &[
        api("POST", "/sessions", Anyone, SignIn, NOT_PERSONAL),
        api("DELETE", "/sessions/current", SignedIn, SignOut, NOT_PERSONAL),
        api("GET", "/me", SignedIn, Me, NOT_PERSONAL),
        api("GET", "/users", Admin, Users, NOT_PERSONAL),
        api("POST", "/users", Admin, CreateUser, AUDITED),
        api("POST", "/users/{username}/disable", Admin, DisableUser, AUDITED),
        api("POST", "/users/{username}/enable", Admin, EnableUser, AUDITED),
        api("GET", "/policies", SignedIn, Policies, NOT_PERSONAL),
        api("GET", "/policies/{id}/versions/{version}", SignedIn, Policy, NOT_PERSONAL),
        api("POST", "/referrals", CustodyDesk, Referral, AUDITED),
        api("POST", "/people/likely-matches", CustodyDesk, LikelyMatches, AUDITED),
        api("POST", "/cases/{id}/screening-decision", CustodyDesk, Screening, AUDITED),
        api("POST", "/cases/{id}/rescreen", CustodyDesk, Rescreen, AUDITED),
        api("POST", "/decisions/{id}/countersignature", Supervisor, Countersign, AUDITED),
        api("GET", "/supervisor/overrides", Supervisor, Overrides, AUDITED),
        api("POST", "/cases/{id}/allocation", CustodyDesk, Allocation, AUDITED),
        api("POST", "/cases/{id}/offer", CustodyDesk, Offer, AUDITED),
        api("POST", "/cases/{id}/consent", CustodyDesk, Consent, AUDITED),
        api("GET", "/people", PeopleSearchers, PeopleSearch, AUDITED),
        api("GET", "/people/{id}", CaseReaders, Person, AUDITED),
        api("GET", "/cases/{id}", CaseReaders, Case, AUDITED),
        api("POST", "/cases/{id}/needs-assessment", CaseWorkers, Needs, AUDITED),
        api("POST", "/cases/{id}/contract", CaseWorkers, Contract, AUDITED),
        api("POST", "/cases/{id}/contract/signature", CaseWorkers, Signature, AUDITED),
        api("POST", "/cases/{id}/contract/start", CaseWorkers, Start, AUDITED),
        api("POST", "/cases/{id}/contract/variation", CaseWorkers, Variation, AUDITED),
        api("GET", "/cases/{id}/contract/versions", CaseReaders, ContractVersions, AUDITED),
        api("POST", "/conditions/{id}/status", CaseWorkers, ConditionStatus, AUDITED),
        api("POST", "/cases/{id}/appointments", CaseWorkers, Schedule, AUDITED),
        api("GET", "/cases/{id}/appointments", CaseReaders, Appointments, AUDITED),
        api("POST", "/appointments/{id}/attendance", CaseWorkers, Attendance, AUDITED),
        api("POST", "/cases/{id}/contacts", CaseWorkers, Contact, AUDITED),
        api("POST", "/cases/{id}/provider-referrals", CaseWorkers, ReferToProvider, AUDITED),
        api("GET", "/cases/{id}/provider-referrals", CaseReaders, ProviderReferrals, AUDITED),
        api("POST", "/provider-referrals/{id}/response", CaseWorkers, ProviderResponse, AUDITED),
        api("POST", "/cases/{id}/reviews", CaseWorkers, OpenReview, AUDITED),
        api("POST", "/cases/{id}/review-decision", Supervisor, DecideReview, AUDITED),
        api("POST", "/cases/{id}/completion", CaseWorkers, Complete, AUDITED),
        api("POST", "/cases/{id}/withdrawal", CaseWorkers, Withdraw, AUDITED),
        api("GET", "/me/caseload", Navigator, Caseload, AUDITED),
        api("GET", "/supervisor/queue", Supervisor, SupervisorQueue, AUDITED),
        api("POST", "/cases/{id}/assignment", Supervisor, Assign, AUDITED),
        api("POST", "/navigators/{id}/handover", Supervisor, Handover, AUDITED),
        api("GET", "/reports/{name}", AnalystOrSupervisor, Report, AUDITED),
        api("POST", "/imports/arrests", SupervisorOrAdmin, Import, AUDITED),
        api("GET", "/linkage/reviews", Supervisor, ClericalQueue, AUDITED),
        api("GET", "/linkage/reviews/{id}", Supervisor, ClericalPair, AUDITED),
        api("POST", "/linkage/reviews/{id}/decision", Supervisor, ClericalDecision, AUDITED),
        api("POST", "/linkage/model/refit", Supervisor, Refit, NOT_PERSONAL),
    ]
};

/// Every HTML page and form action (patterns as `views::router` writes them), plus the
/// assets and the OpenAPI document. `/cases/{case_id}/{action}` and
/// `/cases/{case_id}/{item}/{item_id}/{action}` appear once per action they serve.
#[rustfmt::skip]
const HTML_ROWS: &[Row] = {
    use Fix::*;
    use Who::*;
    &[
        html("GET", "/", SignedIn, Home, NOT_PERSONAL),
        html("GET", "/sign-in", Anyone, SignInPage, NOT_PERSONAL),
        html("POST", "/sign-in", Anyone, HtmlSignIn, NOT_PERSONAL),
        html("POST", "/sign-out", SignedIn, HtmlSignOut, NOT_PERSONAL),
        html("GET", "/referrals/new", CustodyDesk, NewReferral, NOT_PERSONAL),
        html("POST", "/referrals", CustodyDesk, HtmlReferral, AUDITED),
        html("GET", "/cases/{case_id}/decision", CaseReaders, DecisionPage, AUDITED),
        html("POST", "/cases/{case_id}/screening", CustodyDesk, HtmlScreening, AUDITED),
        html("POST", "/cases/{case_id}/allocation", CustodyDesk, HtmlAllocation, AUDITED),
        html("POST", "/cases/{case_id}/offer", CustodyDesk, HtmlOffer, AUDITED),
        html("POST", "/cases/{case_id}/consent", CustodyDesk, HtmlConsent, AUDITED),
        html("POST", "/cases/{case_id}/countersignature", Supervisor, HtmlCountersign, AUDITED),
        html("GET", "/cases/{case_id}", CaseReaders, CasePage, AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("needs"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("contract"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("signature"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("start"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("appointments"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("provider-referrals"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("review"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", Supervisor, CaseAction("review-decision"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("withdrawal"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("completion"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", Supervisor, CaseAction("assignment"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("contact"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CaseWorkers, CaseAction("variation"), AUDITED),
        html("POST", "/cases/{case_id}/{action}", CustodyDesk, CaseAction("rescreen"), AUDITED),
        html("POST", "/cases/{case_id}/{item}/{item_id}/{action}", CaseWorkers, ItemAction("appointments"), AUDITED),
        html("POST", "/cases/{case_id}/{item}/{item_id}/{action}", CaseWorkers, ItemAction("provider-referrals"), AUDITED),
        html("POST", "/cases/{case_id}/{item}/{item_id}/{action}", CaseWorkers, ItemAction("conditions"), AUDITED),
        html("GET", "/caseload", Navigator, CaseloadPage, AUDITED),
        html("POST", "/caseload/appointments/{appointment_id}/attendance", CaseWorkers, QuickAttendance, AUDITED),
        html("GET", "/supervisor", Supervisor, SupervisorPage, AUDITED),
        html("POST", "/supervisor/handover", Supervisor, HtmlHandover, AUDITED),
        html("GET", LINKAGE_QUEUE, Supervisor, LinkageQueuePage, AUDITED),
        html("GET", "/linkage/reviews/{arrest_id}", Supervisor, LinkagePairPage, AUDITED),
        html("POST", "/linkage/reviews/{arrest_id}/decision", Supervisor, LinkageDecision, AUDITED),
        html("POST", "/linkage/model/refit", Supervisor, LinkageRefit, NOT_PERSONAL),
        html("GET", "/people", PeopleSearchers, PeoplePage, AUDITED),
        html("GET", "/people/{person_id}", CaseReaders, PersonPage, AUDITED),
        html("GET", "/overview", AnalystOrSupervisor, Overview, AUDITED),
        html("GET", "/reports", AnalystOrSupervisor, ReportsIndex, NOT_PERSONAL),
        html("GET", "/reports/{name}", AnalystOrSupervisor, ReportPage, AUDITED),
        html("GET", "/admin/users", Admin, AdminUsers, NOT_PERSONAL),
        html("POST", "/admin/users", Admin, AddUser, AUDITED),
        html("POST", "/admin/users/{username}/{action}", Admin, SetDisabled, AUDITED),
        html("GET", "/policies", SignedIn, PoliciesPage, NOT_PERSONAL),
        html("GET", checkpoint_web::views::HTMX_PATH, Anyone, Htmx, NOT_PERSONAL),
        html("GET", checkpoint_web::views::CSS_PATH, Anyone, Css, NOT_PERSONAL),
        html("GET", checkpoint_web::OPENAPI_PATH, Anyone, OpenApi, NOT_PERSONAL),
    ]
};

// ---- route coverage ---------------------------------------------------------------------

/// `(METHOD, path)` of every operation in the served OpenAPI document.
async fn documented_routes(server: &TestServer) -> BTreeSet<(String, String)> {
    let document = expect_json(
        server
            .client
            .get(server.url(checkpoint_web::OPENAPI_PATH))
            .send()
            .await
            .expect("GET openapi"),
        StatusCode::OK,
    )
    .await;
    let mut routes = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// `(METHOD, pattern)` of every `.route("…", get(…).post(…))` in the HTML router's source
/// (routes whose path is a constant, the assets, are listed by hand).
fn html_router_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/views/mod.rs");
    let router = &source[source.find("pub fn router()").expect("the router")..];
    let router = &router[..router.find("\n}\n").expect("end of router")];
    let mut routes = BTreeSet::new();
    let calls: Vec<&str> = router.split(".route(").skip(1).collect();
    for call in calls {
        let call = call.trim_start();
        let Some(rest) = call.strip_prefix('"') else {
            continue;
        };
        let path = &rest[..rest.find('"').expect("closing quote")];
        let handlers = &rest[path.len()..];
        let handlers = &handlers[..handlers.find(".layer(").unwrap_or(handlers.len())];
        for (needle, method) in [
            ("get(", "GET"),
            ("post(", "POST"),
            ("put(", "PUT"),
            ("delete(", "DELETE"),
        ] {
            if handlers.contains(needle) {
                routes.insert((method.to_owned(), path.to_owned()));
            }
        }
    }
    routes
}

fn check_coverage(documented: &BTreeSet<(String, String)>) {
    let api_rows: BTreeSet<(String, String)> = API_ROWS
        .iter()
        .map(|r| (r.method.to_owned(), format!("/api/v1{}", r.pattern)))
        .collect();
    let missing: Vec<_> = documented.difference(&api_rows).collect();
    assert!(
        missing.is_empty(),
        "documented API routes with no expectation row in route_matrix.rs: {missing:?}"
    );
    let stale: Vec<_> = api_rows.difference(documented).collect();
    assert!(
        stale.is_empty(),
        "rows for routes the document does not have: {stale:?}"
    );
    assert_eq!(api_rows.len(), API_ROWS.len(), "one row per API route");

    let routed = html_router_routes();
    assert!(
        routed.len() > 25,
        "the router's source was read: {routed:?}"
    );
    let html_rows: BTreeSet<(String, String)> = HTML_ROWS
        .iter()
        .map(|r| (r.method.to_owned(), r.pattern.to_owned()))
        .collect();
    let missing: Vec<_> = routed.difference(&html_rows).collect();
    assert!(
        missing.is_empty(),
        "HTML routes with no expectation row in route_matrix.rs: {missing:?}"
    );
    let constant_paths = [
        LINKAGE_QUEUE,
        checkpoint_web::views::HTMX_PATH,
        checkpoint_web::views::CSS_PATH,
        checkpoint_web::OPENAPI_PATH,
    ];
    let stale: Vec<_> = html_rows
        .difference(&routed)
        .filter(|(_, path)| !constant_paths.contains(&path.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "rows for routes the router does not have: {stale:?}"
    );
}

#[tokio::test]
async fn every_documented_route_has_an_expectation_row() {
    let server = crate::helpers::spawn_sqlite().await;
    let documented = documented_routes(&server).await;
    assert!(documented.len() >= 40, "{documented:?}");
    check_coverage(&documented);
}

// ---- fixtures ---------------------------------------------------------------------------

const NAV: &str = "nav.north.1";
const OVER_LIMIT: &str = "route matrix: many fixture cases";

/// A prepared request: everything but who sends it.
#[derive(Debug, Clone, Default)]
struct Prepared {
    /// Path and query.
    path: String,
    body: Body,
    if_match: Option<i64>,
    /// Extra cookies (the sign-in form's double-submit cookie).
    cookies: Vec<String>,
    /// The form carries its own CSRF token (sign-in); do not add the session's.
    own_csrf: bool,
    /// The call ends the caller's session: send a fresh one.
    fresh_session: bool,
}

#[derive(Debug, Clone, Default)]
enum Body {
    #[default]
    None,
    Json(Value),
    Csv(String),
    Form(Vec<(String, String)>),
}

fn at(path: impl Into<String>) -> Prepared {
    Prepared {
        path: path.into(),
        ..Prepared::default()
    }
}

fn with_json(path: impl Into<String>, body: Value) -> Prepared {
    Prepared {
        body: Body::Json(body),
        ..at(path)
    }
}

fn with_form(path: impl Into<String>, fields: &[(&str, &str)]) -> Prepared {
    Prepared {
        body: Body::Form(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..at(path)
    }
}

fn versioned(mut prepared: Prepared, version: i64) -> Prepared {
    prepared.if_match = Some(version);
    prepared
}

fn form_with_version(path: impl Into<String>, version: i64, fields: &[(&str, &str)]) -> Prepared {
    let version = version.to_string();
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    with_form(path, &all)
}

/// A case a fixture made, at the version it is now.
#[derive(Debug, Clone)]
struct Made {
    id: String,
    version: i64,
    person_id: String,
    person: Value,
}

/// The test server a matrix runs on, a counter for unique names, and shared set-up.
struct Ctx<'a> {
    s: &'a TestServer,
    n: Cell<usize>,
}

fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out
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

fn etag_version(response: &reqwest::Response) -> Option<i64> {
    response
        .headers()
        .get("etag")?
        .to_str()
        .ok()?
        .trim_matches('"')
        .trim_start_matches('v')
        .parse()
        .ok()
}

impl Ctx<'_> {
    fn next(&self) -> usize {
        let n = self.n.get();
        self.n.set(n + 1);
        n
    }

    /// A person nobody has referred before: a unique family name and date of birth.
    fn new_person(&self) -> (String, String, String) {
        let n = self.next();
        let given = format!("Riley{}", letters(n * 7 + 3));
        let family = format!("Matrix{}", letters(n));
        let dob = jiff::civil::date(1975, 1, 1)
            .checked_add(jiff::Span::new().days(i64::try_from(n).unwrap() * 3))
            .unwrap()
            .to_string();
        (given, family, dob)
    }

    /// POST as `user`, checking the status; the JSON body and the new version.
    async fn post(
        &self,
        user: &str,
        path: &str,
        version: Option<i64>,
        body: Value,
    ) -> (Value, i64) {
        let mut request = self.s.request(Method::POST, path, Some(user)).json(&body);
        if let Some(version) = version {
            request = request.header("If-Match", format!("\"v{version}\""));
        }
        let response = request.send().await.expect("POST");
        let status = response.status();
        let etag = etag_version(&response);
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "fixture {path} as {user}: {status} {text}"
        );
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let version = etag.or_else(|| value["version"].as_i64()).unwrap_or(-1);
        (value, version)
    }

    async fn get(&self, user: &str, path: &str) -> Value {
        expect_json(self.s.get(path, user).await, StatusCode::OK).await
    }

    /// A referral by the custody sergeant for a new person (or `person` when given).
    async fn referred_with(&self, person: Option<Value>) -> Made {
        let mut referral = example_referral();
        match person {
            Some(person) => referral["person"] = person,
            None => {
                let (given, family, dob) = self.new_person();
                referral["person"]["given_name"] = json!(given);
                referral["person"]["family_name"] = json!(family);
                referral["person"]["date_of_birth"] = json!(dob);
                if let Some(person) = referral["person"].as_object_mut() {
                    person.remove("pnc_id");
                }
            }
        }
        let person = referral["person"].clone();
        let mut request = json!({ "scheme_id": "durham-checkpoint", "referral": referral });
        let response = self
            .s
            .post("/api/v1/referrals", "custody.sgt", &request)
            .await;
        let response = if response.status() == StatusCode::UNPROCESSABLE_ENTITY {
            // Someone alike is known already: acknowledge them and refer a new person.
            let matches = self
                .s
                .post(
                    "/api/v1/people/likely-matches",
                    "custody.sgt",
                    &json!({ "person": person }),
                )
                .await;
            let matches = expect_json(matches, StatusCode::OK).await;
            request["acknowledged_matches"] = json!(
                matches
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["person_id"].clone())
                    .collect::<Vec<_>>()
            );
            self.s
                .post("/api/v1/referrals", "custody.sgt", &request)
                .await
        } else {
            response
        };
        let version = etag_version(&response).expect("ETag");
        let body = expect_json(response, StatusCode::CREATED).await;
        Made {
            id: body["case"]["case_id"].as_str().unwrap().to_owned(),
            version,
            person_id: body["person_id"].as_str().unwrap().to_owned(),
            person,
        }
    }

    async fn referred(&self) -> Made {
        self.referred_with(None).await
    }

    async fn step(&self, user: &str, case: &mut Made, suffix: &str, body: Value) -> Value {
        let path = format!("/api/v1/cases/{}{suffix}", case.id);
        let (value, version) = self.post(user, &path, Some(case.version), body).await;
        case.version = version;
        value
    }

    async fn eligible(&self) -> Made {
        let mut case = self.referred().await;
        self.step(
            "custody.sgt",
            &mut case,
            "/screening-decision",
            json!({ "choice": "accept_advice" }),
        )
        .await;
        case
    }

    async fn overridden(&self) -> Made {
        let mut case = self.referred().await;
        self.step(
            "custody.sgt",
            &mut case,
            "/screening-decision",
            json!({ "choice": "override", "outcome": "ineligible", "code": "victim_views",
                    "reason": "The victim has since objected (route matrix)" }),
        )
        .await;
        case
    }

    async fn decision_id(&self, case: &Made) -> String {
        let view = self
            .get("custody.sgt", &format!("/api/v1/cases/{}", case.id))
            .await;
        view["decision"]["decision"]["decision_id"]
            .as_str()
            .expect("a decision")
            .to_owned()
    }

    async fn offered(&self) -> Made {
        let mut case = self.eligible().await;
        self.step("custody.sgt", &mut case, "/offer", json!({}))
            .await;
        case
    }

    async fn accepted(&self) -> Made {
        let mut case = self.offered().await;
        self.step(
            "custody.sgt",
            &mut case,
            "/consent",
            json!({ "answer": "accepted", "admission": "admitted_in_interview",
                    "signed_on": "2026-03-04" }),
        )
        .await;
        case
    }

    async fn assigned_to(&self, navigator: &str) -> Made {
        let mut case = self.accepted().await;
        let navigator_id = self.s.ids[navigator];
        self.step(
            "supervisor",
            &mut case,
            "/assignment",
            json!({ "navigator_id": navigator_id, "over_limit_reason": OVER_LIMIT }),
        )
        .await;
        case
    }

    async fn assigned(&self) -> Made {
        self.assigned_to(NAV).await
    }

    async fn assessed(&self) -> Made {
        let mut case = self.assigned().await;
        self.step(NAV, &mut case, "/needs-assessment", needs_body())
            .await;
        case
    }

    async fn drafted(&self) -> Made {
        let mut case = self.assessed().await;
        self.step(NAV, &mut case, "/contract", contract_body())
            .await;
        case
    }

    async fn signed(&self) -> Made {
        let mut case = self.drafted().await;
        self.step(NAV, &mut case, "/contract/signature", signature_body())
            .await;
        case
    }

    /// An active case and the ids of its contract's conditions.
    async fn active(&self) -> (Made, Vec<String>) {
        let mut case = self.signed().await;
        let started = self
            .step(NAV, &mut case, "/contract/start", json!({}))
            .await;
        let conditions = started["contract"]["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        (case, conditions)
    }

    async fn under_review(&self) -> Made {
        let (mut case, _) = self.active().await;
        self.step(
            NAV,
            &mut case,
            "/reviews",
            json!({ "trigger": "other", "details": "Missed two phone calls (route matrix)" }),
        )
        .await;
        case
    }

    async fn all_conditions_done(&self) -> Made {
        let (mut case, conditions) = self.active().await;
        for condition in conditions {
            let (_, version) = self
                .post(
                    NAV,
                    &format!("/api/v1/conditions/{condition}/status"),
                    None,
                    json!({ "status": "completed", "note": "done" }),
                )
                .await;
            case.version = version;
        }
        case
    }

    /// An active case with an appointment that took place an hour before "now".
    async fn with_appointment(&self) -> (Made, String) {
        let (case, _) = self.active().await;
        let (body, _) = self
            .post(
                NAV,
                &format!("/api/v1/cases/{}/appointments", case.id),
                None,
                json!({ "at": "2026-03-04T09:00:00Z", "purpose": "Alcohol course intake" }),
            )
            .await;
        (case, body["id"].as_str().unwrap().to_owned())
    }

    async fn with_provider_referral(&self) -> (Made, String) {
        let (case, _) = self.active().await;
        let (body, _) = self
            .post(
                NAV,
                &format!("/api/v1/cases/{}/provider-referrals", case.id),
                None,
                json!({ "provider": "Durham Recovery Service", "pathway": "alcohol",
                        "note": "route matrix" }),
            )
            .await;
        (case, body["id"].as_str().unwrap().to_owned())
    }

    /// A throwaway account (made by the local operator), disabled or not.
    async fn throwaway_user(&self, disabled: bool) -> String {
        let username = format!("throwaway.{}", letters(self.next()));
        self.s
            .app
            .create_account(
                None,
                checkpoint_app::NewAccount {
                    username: username.clone(),
                    display_name: "Throwaway".into(),
                    role: Role::Navigator,
                    team: Some("east".into()),
                    password: PASSWORD.into(),
                },
            )
            .await
            .expect("account");
        if disabled {
            self.s
                .app
                .set_account_disabled(None, &username, true)
                .await
                .expect("disable");
        }
        username
    }

    /// A participant on contract whose near-miss arrests wait for a clerical review.
    async fn whitfield(&self) {
        let mut person = example_referral()["person"].clone();
        person["given_name"] = json!("Jordan");
        person["family_name"] = json!("Whitfield");
        person["date_of_birth"] = json!("1991-07-23");
        person["postcode"] = json!("QX4 7BD");
        person["pnc_id"] = json!("14/1234567K");
        let mut case = self.referred_with(Some(person)).await;
        for (user, suffix, body) in [
            (
                "custody.sgt",
                "/screening-decision",
                json!({ "choice": "accept_advice" }),
            ),
            ("custody.sgt", "/offer", json!({})),
            (
                "custody.sgt",
                "/consent",
                json!({ "answer": "accepted", "admission": "admitted_in_interview",
                        "signed_on": "2026-03-04" }),
            ),
            (
                "supervisor",
                "/assignment",
                json!({ "navigator_id": self.s.ids[NAV], "over_limit_reason": OVER_LIMIT }),
            ),
            (NAV, "/needs-assessment", needs_body()),
            (NAV, "/contract", contract_body()),
            (NAV, "/contract/signature", signature_body()),
            (NAV, "/contract/start", json!({})),
        ] {
            self.step(user, &mut case, suffix, body).await;
        }
    }

    /// Imports one misspelt arrest of Jordan Whitfield and returns a pending pair's id.
    async fn pending_clerical_pair(&self) -> String {
        let reference = format!("NEAR-{}", letters(self.next()));
        let feed = format!(
            "{FEED_HEADER}{reference},Jordon,Whitford,23/07/1991,QX2 1AA,,2026-03-01,theft\n"
        );
        let imported = self
            .s
            .request(
                Method::POST,
                "/api/v1/imports/arrests?source=route-matrix",
                Some("supervisor"),
            )
            .header("content-type", "text/csv")
            .body(feed)
            .send()
            .await
            .expect("import");
        let imported = expect_json(imported, StatusCode::OK).await;
        assert_eq!(
            imported["summary"]["queued_for_review"], 1,
            "the near miss waits for a supervisor: {imported}"
        );
        let queue = self
            .get("supervisor", "/api/v1/linkage/reviews?limit=100")
            .await;
        queue["items"][0]["arrest_id"]
            .as_str()
            .expect("a pending pair")
            .to_owned()
    }

    /// The request for `fix`, with whatever state it needs made first.
    async fn prepare(&self, fix: Fix) -> Prepared {
        use Fix::*;
        let case_path = |case: &Made, suffix: &str| format!("/api/v1/cases/{}{suffix}", case.id);
        match fix {
            SignIn => with_json(
                "/api/v1/sessions",
                json!({ "username": "analyst", "password": PASSWORD }),
            ),
            SignOut => Prepared {
                fresh_session: true,
                ..at("/api/v1/sessions/current")
            },
            Me => at("/api/v1/me"),
            Users => at("/api/v1/users"),
            CreateUser => with_json(
                "/api/v1/users",
                json!({ "username": format!("matrix.{}", letters(self.next())),
                        "display_name": "Matrix user", "role": "navigator", "team": "east",
                        "password": "a long enough password" }),
            ),
            DisableUser => at(format!(
                "/api/v1/users/{}/disable",
                self.throwaway_user(false).await
            )),
            EnableUser => at(format!(
                "/api/v1/users/{}/enable",
                self.throwaway_user(true).await
            )),
            Policies => at("/api/v1/policies"),
            Policy => {
                let policy = &self.s.app.policies().all()[0];
                at(format!(
                    "/api/v1/policies/{}/versions/{}",
                    policy.id(),
                    policy.version()
                ))
            }
            Referral => {
                let (given, family, dob) = self.new_person();
                let mut body = crate::story::referral_request(&given, &family);
                body["referral"]["person"]["date_of_birth"] = json!(dob);
                with_json("/api/v1/referrals", body)
            }
            LikelyMatches => {
                let case = self.referred().await;
                with_json(
                    "/api/v1/people/likely-matches",
                    json!({ "person": case.person }),
                )
            }
            Screening => {
                let case = self.referred().await;
                versioned(
                    with_json(
                        case_path(&case, "/screening-decision"),
                        json!({ "choice": "accept_advice" }),
                    ),
                    case.version,
                )
            }
            Rescreen => {
                let case = self.referred().await;
                let mut referral = example_referral();
                referral["person"] = case.person.clone();
                referral["previous_convictions"] = json!(0);
                versioned(
                    with_json(
                        case_path(&case, "/rescreen"),
                        json!({ "referral": referral }),
                    ),
                    case.version,
                )
            }
            Countersign => {
                let case = self.overridden().await;
                with_json(
                    format!(
                        "/api/v1/decisions/{}/countersignature",
                        self.decision_id(&case).await
                    ),
                    json!({ "agree": true, "note": "agreed (route matrix)" }),
                )
            }
            Overrides => {
                self.overridden().await;
                at("/api/v1/supervisor/overrides")
            }
            Allocation => {
                let case = self.eligible().await;
                versioned(
                    with_json(case_path(&case, "/allocation"), json!({})),
                    case.version,
                )
            }
            Offer => {
                let case = self.eligible().await;
                versioned(
                    with_json(case_path(&case, "/offer"), json!({})),
                    case.version,
                )
            }
            Consent => {
                let case = self.offered().await;
                versioned(
                    with_json(
                        case_path(&case, "/consent"),
                        json!({ "answer": "accepted", "admission": "admitted_in_interview",
                                "signed_on": "2026-03-04" }),
                    ),
                    case.version,
                )
            }
            PeopleSearch => {
                let case = self.referred().await;
                let family = case.person["family_name"].as_str().unwrap().to_owned();
                at(format!("/api/v1/people?name={}", encode(&family)))
            }
            Person => {
                let case = self.assigned().await;
                at(format!(
                    "/api/v1/people/{}?justification={}",
                    case.person_id,
                    encode("route matrix check")
                ))
            }
            Case => at(case_path(&self.assigned().await, "")),
            Needs => {
                let case = self.assigned().await;
                versioned(
                    with_json(case_path(&case, "/needs-assessment"), needs_body()),
                    case.version,
                )
            }
            Contract => {
                let case = self.assessed().await;
                versioned(
                    with_json(case_path(&case, "/contract"), contract_body()),
                    case.version,
                )
            }
            Signature => {
                let case = self.drafted().await;
                versioned(
                    with_json(case_path(&case, "/contract/signature"), signature_body()),
                    case.version,
                )
            }
            Start => {
                let case = self.signed().await;
                versioned(
                    with_json(case_path(&case, "/contract/start"), json!({})),
                    case.version,
                )
            }
            Variation => {
                let (case, _) = self.active().await;
                let mut body = contract_body();
                let body = json!({
                    "reason": "New provider (route matrix)",
                    "conditions": body["conditions"].take(),
                    "signature": signature_body(),
                });
                versioned(
                    with_json(case_path(&case, "/contract/variation"), body),
                    case.version,
                )
            }
            ContractVersions => at(case_path(&self.active().await.0, "/contract/versions")),
            ConditionStatus => {
                let (_, conditions) = self.active().await;
                with_json(
                    format!("/api/v1/conditions/{}/status", conditions[0]),
                    json!({ "status": "in_progress", "note": "under way" }),
                )
            }
            Schedule => {
                let (case, _) = self.active().await;
                with_json(
                    case_path(&case, "/appointments"),
                    json!({ "at": "2026-03-10T14:30:00Z", "purpose": "Review meeting" }),
                )
            }
            Appointments => at(case_path(&self.with_appointment().await.0, "/appointments")),
            Attendance => {
                let (_, appointment) = self.with_appointment().await;
                with_json(
                    format!("/api/v1/appointments/{appointment}/attendance"),
                    json!({ "attendance": "attended" }),
                )
            }
            Contact => {
                let (case, _) = self.active().await;
                versioned(
                    with_json(
                        case_path(&case, "/contacts"),
                        json!({ "on": "2026-03-04", "method": "phone", "note": "checked in" }),
                    ),
                    case.version,
                )
            }
            ReferToProvider => {
                let (case, _) = self.active().await;
                with_json(
                    case_path(&case, "/provider-referrals"),
                    json!({ "provider": "Durham Recovery Service", "pathway": "alcohol",
                            "note": "route matrix" }),
                )
            }
            ProviderReferrals => at(case_path(
                &self.with_provider_referral().await.0,
                "/provider-referrals",
            )),
            ProviderResponse => {
                let (_, referral) = self.with_provider_referral().await;
                with_json(
                    format!("/api/v1/provider-referrals/{referral}/response"),
                    json!({ "response": "accepted" }),
                )
            }
            OpenReview => {
                let (case, _) = self.active().await;
                versioned(
                    with_json(
                        case_path(&case, "/reviews"),
                        json!({ "trigger": "other", "details": "Missed two calls" }),
                    ),
                    case.version,
                )
            }
            DecideReview => {
                let case = self.under_review().await;
                versioned(
                    with_json(
                        case_path(&case, "/review-decision"),
                        json!({ "decision": "resume", "reasonable_excuse": true,
                                "reason": "Was in hospital" }),
                    ),
                    case.version,
                )
            }
            Complete => {
                let case = self.all_conditions_done().await;
                versioned(
                    with_json(case_path(&case, "/completion"), json!({})),
                    case.version,
                )
            }
            Withdraw => {
                let (case, _) = self.active().await;
                versioned(
                    with_json(
                        case_path(&case, "/withdrawal"),
                        json!({ "reason": "Moved out of the force area" }),
                    ),
                    case.version,
                )
            }
            Caseload => {
                self.assigned().await;
                at("/api/v1/me/caseload")
            }
            SupervisorQueue => at("/api/v1/supervisor/queue"),
            Assign => {
                let case = self.accepted().await;
                versioned(
                    with_json(
                        case_path(&case, "/assignment"),
                        json!({ "navigator_id": self.s.ids[NAV], "over_limit_reason": OVER_LIMIT }),
                    ),
                    case.version,
                )
            }
            Handover => {
                self.assigned_to("nav.north.2").await;
                with_json(
                    format!("/api/v1/navigators/{}/handover", self.s.ids["nav.north.2"]),
                    json!({ "navigator_id": self.s.ids[NAV], "over_limit_reason": OVER_LIMIT }),
                )
            }
            Report => at("/api/v1/reports/funnel"),
            Import => Prepared {
                body: Body::Csv(format!(
                    "{FEED_HEADER}M-{},Ann,Nobodyknown{},03/04/1960,QX1 1AA,,2026-03-01,theft\n",
                    letters(self.next()),
                    letters(self.next())
                )),
                ..at("/api/v1/imports/arrests?source=route-matrix")
            },
            ClericalQueue => at("/api/v1/linkage/reviews?limit=10"),
            ClericalPair => at(format!(
                "/api/v1/linkage/reviews/{}",
                self.pending_clerical_pair().await
            )),
            ClericalDecision => with_json(
                format!(
                    "/api/v1/linkage/reviews/{}/decision",
                    self.pending_clerical_pair().await
                ),
                json!({ "decision": "reject", "reason": "different person (route matrix)" }),
            ),
            Refit => at("/api/v1/linkage/model/refit"),

            // ---- HTML ----
            Home => at("/"),
            SignInPage => at("/sign-in"),
            HtmlSignIn => {
                let page = self
                    .s
                    .client
                    .get(self.s.url("/sign-in"))
                    .send()
                    .await
                    .expect("GET /sign-in");
                let cookie = page
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find(|c| c.starts_with("checkpoint_sign_in="))
                    .expect("form cookie")
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned();
                let token = cookie.trim_start_matches("checkpoint_sign_in=").to_owned();
                Prepared {
                    cookies: vec![cookie],
                    own_csrf: true,
                    ..with_form(
                        "/sign-in",
                        &[
                            ("_csrf", &token),
                            ("username", "analyst"),
                            ("password", PASSWORD),
                        ],
                    )
                }
            }
            HtmlSignOut => Prepared {
                fresh_session: true,
                ..with_form("/sign-out", &[])
            },
            NewReferral => at("/referrals/new"),
            HtmlReferral => {
                let (given, family, dob) = self.new_person();
                let mut fields = referral_form_fields();
                fields.extend([
                    ("person.given_name", given.as_str()),
                    ("person.family_name", family.as_str()),
                    ("person.date_of_birth", dob.as_str()),
                ]);
                with_form("/referrals", &fields)
            }
            DecisionPage => at(format!("/cases/{}/decision", self.assigned().await.id)),
            HtmlScreening => {
                let case = self.referred().await;
                form_with_version(
                    format!("/cases/{}/screening", case.id),
                    case.version,
                    &[("choice", "accept")],
                )
            }
            HtmlAllocation => {
                let case = self.eligible().await;
                form_with_version(format!("/cases/{}/allocation", case.id), case.version, &[])
            }
            HtmlOffer => {
                let case = self.eligible().await;
                form_with_version(format!("/cases/{}/offer", case.id), case.version, &[])
            }
            HtmlConsent => {
                let case = self.offered().await;
                form_with_version(
                    format!("/cases/{}/consent", case.id),
                    case.version,
                    &[
                        ("consent.answer", "accepted"),
                        ("consent.admission", "admitted_in_interview"),
                        ("consent.signed_on", "2026-03-04"),
                    ],
                )
            }
            HtmlCountersign => {
                let case = self.overridden().await;
                let decision = self.decision_id(&case).await;
                with_form(
                    format!("/cases/{}/countersignature", case.id),
                    &[
                        ("countersign.decision_id", decision.as_str()),
                        ("countersign.agree", "yes"),
                    ],
                )
            }
            CasePage => at(format!("/cases/{}", self.assigned().await.id)),
            CaseAction(action) => self.case_action(action).await,
            ItemAction(item) => self.item_action(item).await,
            CaseloadPage => {
                self.assigned().await;
                at("/caseload")
            }
            QuickAttendance => {
                let (_, appointment) = self.with_appointment().await;
                with_form(
                    format!("/caseload/appointments/{appointment}/attendance"),
                    &[("attended", "yes")],
                )
            }
            SupervisorPage => at("/supervisor"),
            HtmlHandover => {
                self.assigned_to("nav.north.2").await;
                let from = self.s.ids["nav.north.2"].to_string();
                let to = self.s.ids[NAV].to_string();
                with_form(
                    "/supervisor/handover",
                    &[
                        ("handover.from", from.as_str()),
                        ("handover.to", to.as_str()),
                        ("handover.over_limit_reason", OVER_LIMIT),
                    ],
                )
            }
            LinkageQueuePage => at(LINKAGE_QUEUE),
            LinkagePairPage => at(format!(
                "/linkage/reviews/{}",
                self.pending_clerical_pair().await
            )),
            LinkageDecision => with_form(
                format!(
                    "/linkage/reviews/{}/decision",
                    self.pending_clerical_pair().await
                ),
                &[
                    ("decision", "reject"),
                    ("reason", "different person (route matrix)"),
                ],
            ),
            LinkageRefit => with_form("/linkage/model/refit", &[]),
            PeoplePage => {
                let case = self.referred().await;
                let family = case.person["family_name"].as_str().unwrap().to_owned();
                at(format!("/people?name={}", encode(&family)))
            }
            // The page asks why first; the record (and its audit row) comes with a reason.
            PersonPage => at(format!(
                "/people/{}?reason=case_work",
                self.assigned().await.person_id
            )),
            Overview => at("/overview"),
            ReportsIndex => at("/reports"),
            ReportPage => at("/reports/funnel"),
            AdminUsers => at("/admin/users"),
            AddUser => {
                let username = format!("matrix.{}", letters(self.next()));
                with_form(
                    "/admin/users",
                    &[
                        ("username", username.as_str()),
                        ("display_name", "Matrix user"),
                        ("role", "navigator"),
                        ("team", "east"),
                        ("password", "a long enough password"),
                    ],
                )
            }
            SetDisabled => with_form(
                format!("/admin/users/{}/disable", self.throwaway_user(false).await),
                &[],
            ),
            PoliciesPage => at("/policies"),
            Htmx => at(checkpoint_web::views::HTMX_PATH),
            Css => at(checkpoint_web::views::CSS_PATH),
            OpenApi => at(checkpoint_web::OPENAPI_PATH),
        }
    }

    async fn case_action(&self, action: &'static str) -> Prepared {
        let path = |case: &Made| format!("/cases/{}/{action}", case.id);
        match action {
            "needs" => {
                let case = self.assigned().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("needs.alcohol", "high"),
                        ("needs.alcohol.notes", "drinks daily"),
                    ],
                )
            }
            "contract" => {
                let case = self.assessed().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("contract.start", "2026-03-04"),
                        ("condition.0.condition", "no_reoffending"),
                        ("condition.1.condition", "alcohol_intervention"),
                        ("condition.1.due", "2026-04-04"),
                        ("condition.1.provider", "Durham Recovery Service"),
                    ],
                )
            }
            "signature" => {
                let case = self.drafted().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("signature.signed_on", "2026-03-04"),
                        ("signature.method", "on_screen"),
                        ("signature.typed_name", "Riley Matrix"),
                    ],
                )
            }
            "start" => {
                let case = self.signed().await;
                form_with_version(path(&case), case.version, &[])
            }
            "appointments" => {
                let (case, _) = self.active().await;
                with_form(
                    path(&case),
                    &[
                        ("appointment.date", "2026-03-10"),
                        ("appointment.time", "14:30"),
                        ("appointment.purpose", "Review meeting"),
                    ],
                )
            }
            "provider-referrals" => {
                let (case, _) = self.active().await;
                with_form(
                    path(&case),
                    &[
                        ("provider.provider", "Durham Recovery Service"),
                        ("provider.pathway", "alcohol"),
                        ("provider.note", "route matrix"),
                    ],
                )
            }
            "review" => {
                let (case, _) = self.active().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[("review.reason", "Missed two calls")],
                )
            }
            "review-decision" => {
                let case = self.under_review().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("decide.decision", "resume"),
                        ("decide.reasonable_excuse", "yes"),
                        ("decide.reason", "Was in hospital"),
                    ],
                )
            }
            "withdrawal" => {
                let (case, _) = self.active().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[("withdraw.reason", "Moved out of the force area")],
                )
            }
            "completion" => {
                let case = self.all_conditions_done().await;
                form_with_version(path(&case), case.version, &[])
            }
            "assignment" => {
                let case = self.accepted().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("assign.team", "north"),
                        ("assign.over_limit_reason", OVER_LIMIT),
                    ],
                )
            }
            "contact" => {
                let (case, _) = self.active().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("contact.on", "2026-03-04"),
                        ("contact.method", "phone"),
                        ("contact.note", "Called (route matrix)"),
                    ],
                )
            }
            "variation" => {
                let (case, _) = self.active().await;
                form_with_version(
                    path(&case),
                    case.version,
                    &[
                        ("variation.reason", "A later course intake (route matrix)"),
                        ("variation.condition.0.condition", "no_reoffending"),
                        ("variation.condition.1.condition", "alcohol_intervention"),
                        ("variation.condition.1.due", "2026-04-30"),
                        ("variation.signed_on", "2026-03-04"),
                        ("variation.method", "on_screen"),
                        ("variation.typed_name", "Riley Matrix"),
                    ],
                )
            }
            "rescreen" => {
                // A referred case, screened again with the same facts and the person's name.
                let case = self.referred().await;
                let text = |key: &str| case.person[key].as_str().unwrap_or_default().to_owned();
                let (given, family, dob) = (
                    text("given_name"),
                    text("family_name"),
                    text("date_of_birth"),
                );
                let mut fields = referral_form_fields();
                fields.extend([
                    ("person.given_name", given.as_str()),
                    ("person.family_name", family.as_str()),
                    ("person.date_of_birth", dob.as_str()),
                ]);
                form_with_version(path(&case), case.version, &fields)
            }
            other => panic!("no fixture for case action {other}"),
        }
    }

    async fn item_action(&self, item: &'static str) -> Prepared {
        match item {
            "appointments" => {
                let (case, id) = self.with_appointment().await;
                let field = format!("appointments.{id}.attended");
                with_form(
                    format!("/cases/{}/appointments/{id}/attendance", case.id),
                    &[(field.as_str(), "yes")],
                )
            }
            "provider-referrals" => {
                let (case, id) = self.with_provider_referral().await;
                let field = format!("provider-referrals.{id}.response");
                with_form(
                    format!("/cases/{}/provider-referrals/{id}/response", case.id),
                    &[(field.as_str(), "accepted")],
                )
            }
            "conditions" => {
                let (case, conditions) = self.active().await;
                let id = &conditions[0];
                let status = format!("conditions.{id}.status");
                let note = format!("conditions.{id}.note");
                with_form(
                    format!("/cases/{}/conditions/{id}/status", case.id),
                    &[
                        (status.as_str(), "in_progress"),
                        (note.as_str(), "under way"),
                    ],
                )
            }
            other => panic!("no fixture for item {other}"),
        }
    }
}

const FEED_HEADER: &str = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n";

fn needs_body() -> Value {
    json!({ "items": [
        { "pathway": "alcohol", "severity": "high", "notes": "drinks daily" },
        { "pathway": "housing", "severity": "none" }
    ] })
}

fn contract_body() -> Value {
    json!({
        "start": "2026-03-04",
        "conditions": [
            { "condition": "no_reoffending" },
            { "condition": "alcohol_intervention", "due": "2026-04-04",
              "provider": "Durham Recovery Service" }
        ]
    })
}

fn signature_body() -> Value {
    json!({ "signed_on": "2026-03-04", "kind": "on_screen", "typed_name": "Riley Matrix" })
}

/// The shop-theft example as form fields, without the person's name and date of birth.
fn referral_form_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("scheme_id", "durham-checkpoint"),
        ("referral_date", "2026-03-04"),
        ("custody_reference", "DUR/CU/2026/004512"),
        ("person.sex", "male"),
        ("person.ethnicity_self_defined", "white_british"),
        ("person.ethnicity_officer_observed", "white"),
        ("person.postcode", "DH1 9ZX"),
        ("person.resides_in_force_area", "yes"),
        ("offence.category", "theft"),
        ("offence.home_office_code", "46"),
        (
            "offence.description",
            "Shop theft of groceries worth £38 (synthetic example)",
        ),
        ("offence.offence_date", "2026-03-02"),
        ("offence.committed_in_force_area", "yes"),
        ("offence.mode_of_trial", "either_way"),
        ("offence.gravity.base", "2"),
        ("offence.gravity.mitigating", "yes"),
        ("offence.hate_crime", "no"),
        ("offence.domestic_related", "no"),
        ("offence.victim.views", "no_objection"),
        ("offence.victim.wants_restorative_justice", "no"),
        ("interview", "admitted"),
        ("evidence_sufficient_to_charge", "yes"),
        ("previous_convictions", "1"),
        ("circumstances.detained_for_court", "no"),
        ("circumstances.detained_under_mental_health_act", "no"),
        ("circumstances.subject_to_court_order", "no"),
        ("circumstances.on_bail_for_other_matters", "no"),
        ("circumstances.under_statutory_supervision", "no"),
        ("circumstances.co_accused", "no"),
        ("risk.tool", "HART 2"),
        ("risk.band", "moderate"),
        ("risk.officer_band", "moderate"),
        ("vulnerabilities", "substance_misuse"),
        ("earlier_none", "yes"),
        ("person_choice", "new"),
    ]
}

// ---- sending a cell ---------------------------------------------------------------------

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(false)
        .build()
        .expect("client")
}

fn form_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What came back, classified; `Err` with a description when it is none of the four.
async fn send(
    server: &TestServer,
    client: &reqwest::Client,
    row: &Row,
    prepared: &Prepared,
    token: Option<&str>,
) -> Result<Outcome, String> {
    let method: Method = row.method.parse().expect("method");
    let mut request = client.request(method, server.url(&prepared.path));
    let mut cookies = prepared.cookies.clone();
    match row.surface {
        Surface::Api => {
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
        }
        Surface::Html => {
            if let Some(token) = token {
                cookies.push(format!("checkpoint_session={token}"));
            }
        }
    }
    if !cookies.is_empty() {
        request = request.header("cookie", cookies.join("; "));
    }
    if let Some(version) = prepared.if_match {
        request = request.header("If-Match", format!("\"v{version}\""));
    }
    request = match &prepared.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Csv(text) => request
            .header("content-type", "text/csv")
            .body(text.clone()),
        Body::Form(fields) => {
            let mut fields = fields.clone();
            if let (Some(token), false) = (token, prepared.own_csrf) {
                fields.insert(0, ("_csrf".to_owned(), csrf_token_for(token)));
            }
            request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&fields))
        }
    };
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let clears_session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("checkpoint_session=;") && c.contains("Max-Age=0"));
    let text = response.text().await.unwrap_or_default();
    let short = || text.chars().take(600).collect::<String>();
    let outcome = match (row.surface, status) {
        (_, StatusCode::FORBIDDEN) => Outcome::Forbidden,
        (_, StatusCode::NOT_FOUND) => Outcome::NotFound,
        (Surface::Api, StatusCode::UNAUTHORIZED) => Outcome::Unauthenticated,
        (Surface::Api, s) if s.is_success() => Outcome::Allowed,
        // A page: shown (GET), or a form accepted and the browser sent onward (303).
        (Surface::Html, s) if s.is_success() && row.method == "GET" => Outcome::Allowed,
        (Surface::Html, StatusCode::SEE_OTHER) if location == "/sign-in" && !clears_session => {
            Outcome::Unauthenticated
        }
        (Surface::Html, StatusCode::SEE_OTHER) => Outcome::Allowed,
        (_, other) => return Err(format!("{other} (location {location:?}): {}", short())),
    };
    Ok(outcome)
}

/// The audit rows after `mark`, advancing it.
async fn new_audit_rows(server: &TestServer, mark: &mut i64) -> Vec<AuditRecord> {
    let mut tx = server.app.db().begin_read().await.expect("read");
    let rows = audit::page(&mut tx, *mark, 1_000_000).await.expect("audit");
    tx.rollback().await.expect("rollback");
    if let Some(last) = rows.last() {
        *mark = last.sequence;
    }
    rows
}

/// What one matrix run did.
#[derive(Debug, Default)]
struct Tally {
    routes: BTreeSet<(Surface, &'static str, &'static str)>,
    rows: usize,
    cells: usize,
    allowed: usize,
    denied: usize,
    audit_assertions: usize,
}

/// Runs every row of `rows` for every caller on `server`, collecting failures.
async fn run_rows(
    server: &TestServer,
    rows: &[Row],
    tally: &mut Tally,
    failures: &mut Vec<String>,
) {
    let ctx = Ctx {
        s: server,
        n: Cell::new(0),
    };
    let client = no_redirects();
    let mut mark = 0;
    for row in rows {
        tally.rows += 1;
        tally.routes.insert((row.surface, row.method, row.pattern));
        let mut prepared: Option<Prepared> = None;
        for (caller, user) in CALLERS.iter().enumerate() {
            let want = expected(row.who, caller);
            if prepared.is_none() {
                prepared = Some(ctx.prepare(row.fix).await);
            }
            let request = prepared.clone().expect("prepared");
            let token = match (user, request.fresh_session) {
                (None, _) => None,
                (Some(user), false) => Some(server.token(user).to_owned()),
                (Some(user), true) => Some(
                    server
                        .app
                        .sign_in(user, PASSWORD)
                        .await
                        .expect("a fresh session")
                        .token,
                ),
            };
            new_audit_rows(server, &mut mark).await;
            let got = send(server, &client, row, &request, token.as_deref()).await;
            let written = new_audit_rows(server, &mut mark).await;
            tally.cells += 1;
            let cell = format!(
                "[{}] {:?} {} {} as {}",
                server.backend, row.surface, row.method, row.pattern, CALLER_NAMES[caller]
            );
            match got {
                Err(description) => {
                    failures.push(format!(
                        "{cell} ({:?}): expected {want:?}, got {description}",
                        row.fix
                    ));
                    continue;
                }
                Ok(got) if got != want => {
                    failures.push(format!(
                        "{cell} ({:?}): expected {want:?}, got {got:?}",
                        row.fix
                    ));
                    continue;
                }
                Ok(_) => {}
            }
            if want == Outcome::Allowed {
                tally.allowed += 1;
                if row.audited {
                    tally.audit_assertions += 1;
                    let user_id = user.map(|u| server.ids[u]);
                    if !written
                        .iter()
                        .any(|r| r.actor_id.is_some() && r.actor_id == user_id)
                    {
                        failures.push(format!(
                            "{cell} ({:?}): allowed but no audit row names the caller; rows: {:?}",
                            row.fix,
                            written
                                .iter()
                                .map(|r| (&r.actor, &r.action, &r.subject_type))
                                .collect::<Vec<_>>()
                        ));
                    }
                }
                // A write consumed the fixture: the next caller needs a fresh one.
                if row.method != "GET" || request.fresh_session {
                    prepared = None;
                }
            } else {
                tally.denied += 1;
                tally.audit_assertions += 1;
                if !written.is_empty() {
                    failures.push(format!(
                        "{cell}: denied, yet {} audit rows were written: {:?}",
                        written.len(),
                        written
                            .iter()
                            .map(|r| (&r.actor, &r.action, &r.subject_type))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
}

/// The policies of the trial server: Durham 2017 with its randomised trial switched on.
fn trial_registry() -> PolicyRegistry {
    let sources: Vec<(&str, String)> = checkpoint_app::policies::SHIPPED
        .iter()
        .map(|(file, text)| {
            let text = if *file == "durham-checkpoint-2017.toml" {
                text.replacen("[trial]\nenabled = false", "[trial]\nenabled = true", 1)
            } else {
                (*text).to_owned()
            };
            (*file, text)
        })
        .collect();
    PolicyRegistry::from_sources(sources.iter().map(|(f, t)| (*f, t.as_str()))).expect("policies")
}

fn uses_trial(row: &Row) -> bool {
    matches!(row.fix, Fix::Allocation | Fix::HtmlAllocation)
}

async fn matrix_on(db: TestDb, trial_db: TestDb, tally: &mut Tally, failures: &mut Vec<String>) {
    let server = spawn_with(
        db,
        PolicyRegistry::shipped().expect("policies"),
        WebConfig::default(),
    )
    .await;
    let documented = documented_routes(&server).await;
    check_coverage(&documented);
    Ctx {
        s: &server,
        n: Cell::new(10_000),
    }
    .whitfield()
    .await;
    let rows: Vec<Row> = API_ROWS
        .iter()
        .chain(HTML_ROWS)
        .filter(|r| !uses_trial(r))
        .copied()
        .collect();
    run_rows(&server, &rows, tally, failures).await;

    // Trial allocation needs a scheme that runs a trial, set up with its seed.
    let trial = spawn_with(trial_db, trial_registry(), WebConfig::default()).await;
    let supervisor = trial
        .app
        .authenticate(trial.token("supervisor"))
        .await
        .expect("supervisor");
    trial
        .app
        .set_up_trial(&supervisor, "durham-checkpoint", 7)
        .await
        .expect("trial set up");
    let rows: Vec<Row> = API_ROWS
        .iter()
        .chain(HTML_ROWS)
        .filter(|r| uses_trial(r))
        .copied()
        .collect();
    run_rows(&trial, &rows, tally, failures).await;
}

#[tokio::test]
async fn every_route_answers_every_caller_as_designed_and_audits_personal_data() {
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let mut backends = Vec::new();
    for db in testing::backends().await {
        let label = db.label;
        let trial_db = testing::fresh(label).await.expect("a second database");
        backends.push(label);
        matrix_on(db, trial_db, &mut tally, &mut failures).await;
    }
    let per_backend_routes = tally.routes.len();
    println!(
        "route matrix on {backends:?}: {per_backend_routes} routes ({} API, {} HTML/other; {} rows \
         with the case actions) x {} callers = {} cells; {} allowed, {} denied; {} audit assertions",
        tally.routes.iter().filter(|r| r.0 == Surface::Api).count(),
        tally.routes.iter().filter(|r| r.0 == Surface::Html).count(),
        API_ROWS.len() + HTML_ROWS.len(),
        CALLERS.len(),
        tally.cells,
        tally.allowed,
        tally.denied,
        tally.audit_assertions,
    );
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        tally.cells,
        (API_ROWS.len() + HTML_ROWS.len()) * CALLERS.len() * backends.len()
    );
}

// ---- the cases the issue names ----------------------------------------------------------

/// A navigator of another team asking for a case gets the same answer as for a case that
/// does not exist, over the API and in the browser; the person behind it too.
#[tokio::test]
async fn a_navigator_cannot_see_another_teams_case_or_person() {
    for server in crate::helpers::spawn_apps().await {
        let ctx = Ctx {
            s: &server,
            n: Cell::new(0),
        };
        let case = ctx.assigned().await;
        let unknown = "0190f0a0-0000-7000-8000-000000000000";
        let hidden = server
            .get(&format!("/api/v1/cases/{}", case.id), "nav.south.1")
            .await;
        let missing = server
            .get(&format!("/api/v1/cases/{unknown}"), "nav.south.1")
            .await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{}", server.backend);
        assert_eq!(
            hidden.text().await.unwrap(),
            missing.text().await.unwrap(),
            "indistinguishable from an unknown id"
        );
        let person = server
            .get(
                &format!("/api/v1/people/{}?justification=curious", case.person_id),
                "nav.south.1",
            )
            .await;
        assert_eq!(person.status(), StatusCode::NOT_FOUND);
        let page = no_redirects()
            .get(server.url(&format!("/cases/{}", case.id)))
            .header(
                "cookie",
                format!("checkpoint_session={}", server.token("nav.south.1")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        let html = page.text().await.unwrap();
        assert!(!html.contains(case.person["family_name"].as_str().unwrap()));
        // Their own team sees it.
        expect_json(
            server
                .get(&format!("/api/v1/cases/{}", case.id), "nav.north.2")
                .await,
            StatusCode::OK,
        )
        .await;
    }
}

/// Analysts work on pseudonymised figures only: every route that shows names or a person's
/// details refuses them, and the reports they may read hold no names.
#[tokio::test]
async fn analysts_get_no_names_or_person_data() {
    let server = crate::helpers::spawn_sqlite().await;
    let ctx = Ctx {
        s: &server,
        n: Cell::new(0),
    };
    let case = ctx.assigned().await;
    let family = case.person["family_name"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/people?name={}", encode(&family)),
        format!("/api/v1/people/{}?justification=analysis", case.person_id),
        format!("/api/v1/cases/{}", case.id),
        format!("/api/v1/cases/{}/appointments", case.id),
        "/api/v1/supervisor/queue".to_owned(),
        "/api/v1/linkage/reviews".to_owned(),
    ] {
        let response = server.get(&path, "analyst").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(!response.text().await.unwrap().contains(&family), "{path}");
    }
    let matches = server
        .post(
            "/api/v1/people/likely-matches",
            "analyst",
            &json!({ "person": case.person }),
        )
        .await;
    assert_eq!(matches.status(), StatusCode::FORBIDDEN);
    for path in [
        format!("/people?name={}", encode(&family)),
        format!("/people/{}?reason=case_work", case.person_id),
        format!("/cases/{}", case.id),
    ] {
        let page = no_redirects()
            .get(server.url(&path))
            .header(
                "cookie",
                format!("checkpoint_session={}", server.token("analyst")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(!page.text().await.unwrap().contains(&family), "{path}");
    }
    // What analysts may read: every report, with no name, date of birth or case reference.
    let report = server.get("/api/v1/reports/funnel", "analyst").await;
    let text = report.text().await.unwrap();
    assert!(text.contains("funnel"), "{text}");
    for secret in [
        family.as_str(),
        case.person["given_name"].as_str().unwrap(),
        case.person["date_of_birth"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} in the analyst's report");
    }
}

async fn html_status(server: &TestServer, path: &str, token: &str) -> (StatusCode, String) {
    let response = no_redirects()
        .get(server.url(path))
        .header("cookie", format!("checkpoint_session={token}"))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), location)
}

/// Disabling an account ends its sessions at once, whether held as a bearer token or as the
/// browser's cookie, and enabling it again does not bring them back.
#[tokio::test]
async fn a_disabled_users_old_sessions_are_rejected() {
    for server in crate::helpers::spawn_apps().await {
        let bearer = server.token("nav.north.2").to_owned();
        let browser = server
            .app
            .sign_in("nav.north.2", PASSWORD)
            .await
            .unwrap()
            .token;
        expect_json(
            server.get("/api/v1/me", "nav.north.2").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            html_status(&server, "/caseload", &browser).await.0,
            StatusCode::OK
        );
        let disabled = server
            .post("/api/v1/users/nav.north.2/disable", "admin", &json!({}))
            .await;
        expect_json(disabled, StatusCode::OK).await;
        for token in [&bearer, &browser] {
            let api = server
                .client
                .get(server.url("/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "{}", server.backend);
            assert_eq!(
                html_status(&server, "/caseload", token).await,
                (StatusCode::SEE_OTHER, "/sign-in".to_owned())
            );
        }
        // Signing in again is refused, and so is any old session after re-enabling.
        let again = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": "nav.north.2", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        let enabled = server
            .post("/api/v1/users/nav.north.2/enable", "admin", &json!({}))
            .await;
        expect_json(enabled, StatusCode::OK).await;
        let revived = server
            .client
            .get(server.url("/api/v1/me"))
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(revived.status(), StatusCode::UNAUTHORIZED);
    }
}

/// A session lasts `session_hours` (12): a second before the end it works, at the end it is
/// refused over the API and in the browser.
#[tokio::test]
async fn an_expired_session_is_rejected() {
    for server in crate::helpers::spawn_apps().await {
        let token = server.token("supervisor").to_owned();
        let now: jiff::Timestamp = NOW.parse().unwrap();
        let lifetime = jiff::SignedDuration::from_hours(12);
        server.app.clock().set(
            now.checked_add(lifetime - jiff::SignedDuration::from_secs(1))
                .unwrap(),
        );
        expect_json(server.get("/api/v1/me", "supervisor").await, StatusCode::OK).await;
        assert_eq!(
            html_status(&server, "/supervisor", &token).await.0,
            StatusCode::OK
        );
        server.app.clock().set(now.checked_add(lifetime).unwrap());
        let api = server.get("/api/v1/me", "supervisor").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "{}", server.backend);
        assert_eq!(
            html_status(&server, "/supervisor", &token).await,
            (StatusCode::SEE_OTHER, "/sign-in".to_owned())
        );
        // A new sign-in works at the new "now".
        let fresh = server
            .client
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": "supervisor", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        expect_json(fresh, StatusCode::CREATED).await;
    }
}
