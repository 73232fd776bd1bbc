//! A cookie-keeping HTTP client that behaves like a browser posting forms: it reads each
//! page's CSRF token and posts `application/x-www-form-urlencoded` bodies.

use crate::helpers::PASSWORD;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

/// A signed-in (or not yet) browser-like session against a test server.
#[derive(Debug)]
pub struct FormClient {
    pub base: String,
    client: reqwest::Client,
}

/// A page as fetched: status, where a redirect pointed, and the body.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        attribute_after(&self.html, "name=\"_csrf\" value=\"").expect("a form with a CSRF token")
    }

    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    /// The case id in a `/cases/{id}...` redirect.
    pub fn case_id(&self) -> String {
        let location = self.location.as_deref().expect("a redirect");
        location
            .trim_start_matches("/cases/")
            .split('/')
            .next()
            .expect("case id")
            .to_owned()
    }

    /// The hidden `version` field of the first form that has one.
    pub fn version(&self) -> String {
        attribute_after(&self.html, "name=\"version\" value=\"").expect("a form with a version")
    }
}

fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
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

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl FormClient {
    pub fn new(base: &str) -> FormClient {
        FormClient {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
        }
    }

    async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let html = response.text().await.expect("body");
        Page {
            status,
            location,
            html,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        Self::page(response).await
    }

    /// Posts fields exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, body: String, extra: &[(&str, &str)]) -> Page {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        Self::page(request.send().await.expect("POST")).await
    }

    /// Posts a form with the CSRF token taken from `from` (the page the form is on).
    pub async fn post(&self, path: &str, from: &Page, fields: &[(&str, &str)]) -> Page {
        let token = from.csrf();
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, form_body(&all), &[]).await
    }

    /// Signs in through the form; panics unless it lands on the role's start page.
    pub async fn sign_in(base: &str, username: &str) -> FormClient {
        let client = FormClient::new(base);
        let form = client.get("/sign-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let done = client
            .post(
                "/sign-in",
                &form,
                &[("username", username), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        client
    }
}

/// The shop-theft example referral (eligible under Durham 2017 on 4 March 2026) as form
/// fields, for a person named `given family`.
pub fn referral_fields<'a>(given: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("scheme_id", "durham-checkpoint"),
        ("referral_date", "2026-03-04"),
        ("custody_reference", "DUR/CU/2026/004512"),
        ("person.given_name", given),
        ("person.family_name", family),
        ("person.date_of_birth", "1994-07-19"),
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
    ]
}

/// How far [`case_through_api`] takes a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Screened eligible, offered and accepted; no navigator yet.
    Accepted,
    /// Assigned to nav.north.1, needs assessed, contract (no reoffending; alcohol course due
    /// 4 April 2026) signed and started.
    Active,
}

/// A case for `given family` taken through the JSON API to `stage`; its id and version.
pub async fn case_through_api(
    server: &crate::helpers::TestServer,
    given: &str,
    family: &str,
    stage: Stage,
) -> (String, i64) {
    use crate::helpers::expect_json;
    use serde_json::json;
    let created = server
        .post(
            "/api/v1/referrals",
            "custody.sgt",
            &crate::story::referral_request(given, family),
        )
        .await;
    let created = expect_json(created, StatusCode::CREATED).await;
    let case_id = created["case"]["case_id"]
        .as_str()
        .expect("case")
        .to_owned();
    let mut version = created["case"]["version"].as_i64().expect("version");
    let mut steps = vec![
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
    ];
    if stage >= Stage::Active {
        steps.extend([
            (
                "supervisor",
                "/assignment",
                json!({ "navigator_id": server.ids["nav.north.1"] }),
            ),
            (
                "nav.north.1",
                "/needs-assessment",
                json!({ "items": [{ "pathway": "alcohol", "severity": "high" }] }),
            ),
            (
                "nav.north.1",
                "/contract",
                json!({ "start": "2026-03-04", "conditions": [
                    { "condition": "no_reoffending" },
                    { "condition": "alcohol_intervention", "due": "2026-04-04" }
                ] }),
            ),
            (
                "nav.north.1",
                "/contract/signature",
                json!({ "signed_on": "2026-03-04", "kind": "on_screen",
                        "typed_name": format!("{given} {family}") }),
            ),
            ("nav.north.1", "/contract/start", json!({})),
        ]);
    }
    for (user, suffix, body) in steps {
        let response = server
            .post_if_match(
                &format!("/api/v1/cases/{case_id}{suffix}"),
                user,
                version,
                &body,
            )
            .await;
        let body = expect_json(response, StatusCode::OK).await;
        version = body["version"].as_i64().expect("version");
    }
    (case_id, version)
}
