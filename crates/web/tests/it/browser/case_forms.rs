//! The case page's and custody desk's forms over plain HTTP (no JavaScript): re-screening a
//! case that needs information, the referral's drug fields and earlier-participation rows,
//! contract variation, contact, and assigning a named navigator. Each is offered only to the
//! roles and states `CaseView.allowed_actions` allows.

use super::support::{FormClient, Page, Stage, case_through_api, referral_fields};
use crate::helpers::spawn_sqlite;
use checkpoint_domain::offence::SupplyContext;
use reqwest::StatusCode;

/// The referral fields without the interview outcome: the Durham policy cannot tell whether
/// the person admitted the offence, so the advice is "needs information".
fn fields_without_interview<'a>(given: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    referral_fields(given, family)
        .into_iter()
        .filter(|(name, _)| *name != "interview")
        .collect()
}

/// Every `name="…" value="…"` text field and every selected option / checked box of the
/// re-screening form as it was pre-filled, so a test can post it back as a browser would.
fn prefilled(page: &Page) -> Vec<(String, String)> {
    let html = &page.html;
    let start = html
        .find("action=\"/cases/")
        .and_then(|i| html[i..].find("/rescreen").map(|j| i + j))
        .expect("the re-screening form");
    let form = &html[start..start + html[start..].find("</form>").expect("form end")];
    let mut fields = Vec::new();
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let at = tag.find(&marker)? + marker.len();
        Some(tag[at..at + tag[at..].find('"')?].to_owned())
    };
    for tag in form.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if tag.starts_with("input ") {
            let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value"))
            else {
                continue;
            };
            let kind = attribute(tag, "type").unwrap_or_default();
            let chosen = !matches!(kind.as_str(), "radio" | "checkbox") || tag.contains(" checked");
            if chosen && name != "_csrf" {
                fields.push((name, html_unescape(&value)));
            }
        }
    }
    // Selects: the selected option of each.
    for select in form.split("<select ").skip(1) {
        let name = attribute(&format!(" {select}"), "name").expect("select name");
        let body = &select[..select.find("</select>").expect("select end")];
        if let Some(option) = body.split("<option ").find(|o| o.contains(" selected")) {
            let value = attribute(&format!(" {option}"), "value").expect("option value");
            fields.push((name, html_unescape(&value)));
        }
    }
    // Text areas.
    for area in form.split("<textarea ").skip(1) {
        let name = attribute(&format!(" {area}"), "name").expect("textarea name");
        let text = &area[area.find('>').expect(">") + 1..area.find("</textarea>").expect("end")];
        fields.push((name, html_unescape(text)));
    }
    fields
}

fn html_unescape(text: &str) -> String {
    text.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `fields` with each `(name, value)` of `changes` replacing the field of that name.
fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(name, _)| !changes.iter().any(|(n, _)| n == name))
        .cloned()
        .collect();
    out.extend(
        changes
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    out
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn a_case_that_needs_information_is_rescreened_with_the_missing_facts() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    let referred = desk
        .post(
            "/referrals",
            &form,
            &fields_without_interview("Morgan", "Unknown"),
        )
        .await;
    assert_eq!(referred.status, StatusCode::SEE_OTHER, "{}", referred.html);
    let case_id = referred.case_id();
    let decision_path = format!("/cases/{case_id}/decision");
    let decision = desk.get(&decision_path).await;
    assert!(
        decision.contains("data-testid=\"advised-outcome\">Needs more information"),
        "{}",
        decision.html
    );
    let accepted = desk
        .post(
            &format!("/cases/{case_id}/screening"),
            &decision,
            &[
                ("version", decision.version().as_str()),
                ("choice", "accept"),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);

    // The decision page now offers re-screening, open, naming what is missing and holding
    // the referral as it was.
    let page = desk.get(&decision_path).await;
    assert!(page.contains("data-testid=\"case-state\">Needs information"));
    assert!(
        page.contains("data-testid=\"rescreen-panel\" open"),
        "{}",
        page.html
    );
    let missing = &page.html[page
        .html
        .find("data-testid=\"missing-facts\"")
        .expect("missing")..];
    let missing = &missing[..missing.find("</ul>").expect("list end")];
    assert!(missing.to_lowercase().contains("interview"), "{missing}");
    assert!(page.contains("value=\"Morgan\"") && page.contains("value=\"Unknown\""));
    let fields = prefilled(&page);
    assert!(
        fields.contains(&("offence.category".into(), "theft".into())),
        "{fields:?}"
    );
    assert!(fields.contains(&("earlier_none".into(), "yes".into())));
    let version = page.version();

    // "Add another earlier participation" brings the form back with a second row, no change.
    let mut more = with(&fields, &[("earlier_none", "")]);
    more.push(("add_earlier".into(), "yes".into()));
    let two_rows = desk
        .post(
            &format!("/cases/{case_id}/rescreen"),
            &page,
            &borrowed(&more),
        )
        .await;
    assert_eq!(two_rows.status, StatusCode::OK, "{}", two_rows.html);
    assert_eq!(
        two_rows.html.matches("data-testid=\"earlier-row\"").count(),
        2
    );
    assert!(two_rows.contains("name=\"earlier_rows\" value=\"2\""));
    assert!(
        two_rows.contains("value=\"Morgan\""),
        "the entries are kept"
    );

    // A half-filled earlier row is named by its row; everything typed is kept.
    let half = with(
        &fields,
        &[
            ("interview", "admitted"),
            ("earlier_none", ""),
            ("earlier_rows", "2"),
            ("earlier.1.scheme", "west-midlands-divert"),
        ],
    );
    let refused = desk
        .post(
            &format!("/cases/{case_id}/rescreen"),
            &page,
            &borrowed(&half),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("href=\"#earlier-1-date\"")
            && refused.contains("href=\"#earlier-1-result\""),
        "{}",
        refused.html
    );
    assert!(refused.contains("Enter the date of earlier participation 2"));
    assert!(refused.contains("value=\"west-midlands-divert\""));

    // Someone who may not screen gets no form and cannot post one.
    let navigator = FormClient::sign_in(&server.base, "nav.north.1").await;
    let theirs = navigator.get("/caseload").await;
    let forbidden = navigator
        .post(
            &format!("/cases/{case_id}/rescreen"),
            &theirs,
            &borrowed(&with(&fields, &[("interview", "admitted")])),
        )
        .await;
    assert!(
        matches!(
            forbidden.status,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ),
        "{}",
        forbidden.status
    );

    // With the interview outcome supplied, the fresh advice is eligible, ready to decide.
    let complete = with(&fields, &[("interview", "admitted"), ("version", &version)]);
    let done = desk
        .post(
            &format!("/cases/{case_id}/rescreen"),
            &page,
            &borrowed(&complete),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some(decision_path.as_str()));
    let fresh = desk.get(&decision_path).await;
    assert!(
        fresh.contains("data-testid=\"advised-outcome\">Eligible"),
        "{}",
        fresh.html
    );
    assert!(fresh.contains("data-testid=\"accept-advice\""));
    let case = desk.get(&format!("/cases/{case_id}")).await;
    assert!(case.contains("Rescreened"), "the timeline says so");
}

#[tokio::test]
async fn the_referral_form_records_drug_context_and_several_earlier_participations() {
    let server = spawn_sqlite().await;
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let form = desk.get("/referrals/new").await;
    assert!(form.contains("name=\"offence.cultivation_scale\""));
    assert!(form.contains("name=\"offence.supply_context\""));
    assert_eq!(form.html.matches("data-testid=\"earlier-row\"").count(), 1);

    let mut fields: Vec<(&str, &str)> = referral_fields("Quinn", "Supplier")
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                *name,
                "offence.category" | "offence.description" | "earlier_none"
            )
        })
        .collect();
    fields.extend([
        ("offence.category", "drug_supply"),
        (
            "offence.description",
            "Sold cannabis to friends (synthetic)",
        ),
        ("offence.drug_class", "B"),
        ("offence.supply_context", "funding_own_use"),
        ("earlier.0.scheme", "west-midlands-divert"),
        ("earlier.0.date", "2019-05-01"),
        ("earlier.0.result", "completed"),
    ]);
    // Without JavaScript, "add another" is a submit button: the form returns with a row more.
    let mut adding = fields.clone();
    adding.push(("add_earlier", "yes"));
    let again = desk.post("/referrals", &form, &adding).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.html);
    assert_eq!(again.html.matches("data-testid=\"earlier-row\"").count(), 2);
    assert!(again.contains("value=\"west-midlands-divert\""));
    assert!(again.contains("<option value=\"funding_own_use\" selected>"));

    fields.extend([
        ("earlier_rows", "2"),
        ("earlier.1.scheme", "avon-somerset-dep"),
        ("earlier.1.date", "2022-11-20"),
        ("earlier.1.result", "not_engaged"),
    ]);
    let referred = desk.post("/referrals", &again, &fields).await;
    assert_eq!(referred.status, StatusCode::SEE_OTHER, "{}", referred.html);
    let case_id: uuid::Uuid = referred.case_id().parse().expect("uuid");
    let officer = server
        .app
        .authenticate(server.token("custody.sgt"))
        .await
        .expect("officer");
    let stored = server
        .app
        .referral_to_rescreen(&officer, case_id)
        .await
        .expect("the stored referral");
    assert_eq!(
        stored.offence.supply_context,
        Some(SupplyContext::FundingOwnUse)
    );
    let earlier = stored.earlier_participation.expect("earlier participation");
    let schemes: Vec<&str> = earlier.iter().map(|e| e.scheme.as_str()).collect();
    assert_eq!(schemes, ["west-midlands-divert", "avon-somerset-dep"]);

    // Ticking "none" as well as giving rows is a contradiction, named on the form.
    let mut both = fields.clone();
    both.push(("earlier_none", "yes"));
    let contradictory = desk.post("/referrals", &form, &both).await;
    assert_eq!(contradictory.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(contradictory.contains("href=\"#earlier_none\""));
}

#[tokio::test]
async fn a_navigator_varies_an_active_contract_and_records_contact() {
    let server = spawn_sqlite().await;
    let (case_id, _) = case_through_api(&server, "Vary", "Contract", Stage::Active).await;
    let case_path = format!("/cases/{case_id}");
    let navigator = FormClient::sign_in(&server.base, "nav.north.1").await;
    let page = navigator.get(&case_path).await;
    assert!(
        page.contains("data-testid=\"variation-panel\""),
        "{}",
        page.html
    );
    assert!(page.contains("data-testid=\"contact-panel\""));
    // The variation starts from the contract as it stands.
    let variation_form = &page.html[page.html.find("/variation\"").expect("variation form")..];
    assert!(variation_form.contains("<option value=\"alcohol_intervention\" selected>"));
    assert!(variation_form.contains("value=\"2026-04-04\""));

    let version = page.version();
    let incomplete = navigator
        .post(
            &format!("{case_path}/variation"),
            &page,
            &[
                ("version", version.as_str()),
                ("variation.condition.0.condition", "no_reoffending"),
                ("variation.condition.1.condition", "alcohol_intervention"),
                ("variation.condition.1.due", "2026-04-30"),
                ("variation.signed_on", "2026-03-04"),
            ],
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    for anchor in ["#variation-reason", "#variation-method"] {
        assert!(
            incomplete.contains(&format!("href=\"{anchor}\"")),
            "{anchor}: {}",
            incomplete.html
        );
    }
    assert!(
        incomplete.contains("value=\"2026-04-30\""),
        "the entries are kept"
    );

    let varied = navigator
        .post(
            &format!("{case_path}/variation"),
            &page,
            &[
                ("version", version.as_str()),
                (
                    "variation.reason",
                    "The alcohol course moved to a later intake",
                ),
                ("variation.condition.0.condition", "no_reoffending"),
                ("variation.condition.1.condition", "alcohol_intervention"),
                ("variation.condition.1.due", "2026-04-30"),
                ("variation.signed_on", "2026-03-04"),
                ("variation.method", "on_screen"),
                ("variation.typed_name", "Vary Contract"),
            ],
        )
        .await;
    assert_eq!(varied.status, StatusCode::SEE_OTHER, "{}", varied.html);
    // A contact posted from the page as it was before the variation: someone else changed
    // the case; what was typed comes back under the form's labels.
    let stale = navigator
        .post(
            &format!("{case_path}/contact"),
            &page,
            &[
                ("version", version.as_str()),
                ("contact.on", "2026-03-04"),
                ("contact.method", "in_person"),
                ("contact.note", "Met at the hub"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.contains("<dt>Date of the contact</dt><dd>2026-03-04</dd>"));
    assert!(stale.contains("<dt>How</dt><dd>In person</dd>"));
    assert!(stale.contains("<dt>What passed</dt><dd>Met at the hub</dd>"));
    assert!(
        stale.contains("value=\"Met at the hub\"") || stale.contains(">Met at the hub</textarea>")
    );
    let after = navigator.get(&case_path).await;
    assert!(
        after.contains("The alcohol course moved to a later intake"),
        "{}",
        after.html
    );
    assert!(
        after.contains("<dt>Version</dt><dd>2"),
        "a new contract version"
    );
    assert!(after.contains("due 30 April 2026"));

    // Contact: a date in the future is refused beside its field; then recorded.
    let version = after.version();
    let future = navigator
        .post(
            &format!("{case_path}/contact"),
            &after,
            &[
                ("version", version.as_str()),
                ("contact.on", "2026-03-10"),
                ("contact.method", "phone"),
                ("contact.note", "Called about the new intake date"),
            ],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.contains("href=\"#contact-on\""), "{}", future.html);
    assert!(future.contains("Called about the new intake date"));
    let contacted = navigator
        .post(
            &format!("{case_path}/contact"),
            &after,
            &[
                ("version", version.as_str()),
                ("contact.on", "2026-03-04"),
                ("contact.method", "phone"),
                ("contact.note", "Called about the new intake date"),
            ],
        )
        .await;
    assert_eq!(
        contacted.status,
        StatusCode::SEE_OTHER,
        "{}",
        contacted.html
    );
    let caseload = navigator.get("/caseload?q=Vary").await;
    assert!(
        caseload.contains("Last contact: 4 March 2026 (today)"),
        "{}",
        caseload.html
    );
    let timeline = navigator.get(&format!("{case_path}?kind=contact")).await;
    assert!(timeline.contains("Called about the new intake date"));

    // Roles: the custody officer may look but has neither form.
    let desk = FormClient::sign_in(&server.base, "custody.sgt").await;
    let theirs = desk.get(&case_path).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.contains("variation-panel") && !theirs.contains("contact-panel"));
}

#[tokio::test]
async fn a_supervisor_assigns_a_named_navigator_from_the_case_page() {
    let server = spawn_sqlite().await;
    let (case_id, _) = case_through_api(&server, "Named", "Navigator", Stage::Accepted).await;
    let case_path = format!("/cases/{case_id}");
    let supervisor = FormClient::sign_in(&server.base, "supervisor").await;
    let page = supervisor.get(&case_path).await;
    assert!(
        page.contains("data-testid=\"assign-panel\""),
        "{}",
        page.html
    );
    let second = server.ids["nav.north.2"].to_string();
    assert!(
        page.contains(&format!(
            "<option value=\"{second}\">Test nav.north.2 (0 of 30)</option>"
        )),
        "{}",
        page.html
    );
    assert!(
        !page.contains("nav.south.1"),
        "only the supervisor's team is offered"
    );
    let version = page.version();

    let unknown = supervisor
        .post(
            &format!("{case_path}/assignment"),
            &page,
            &[
                ("version", version.as_str()),
                ("assign.navigator", "someone"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.contains("href=\"#assign-navigator\""),
        "{}",
        unknown.html
    );

    let officer = server.ids["custody.sgt"].to_string();
    let not_a_navigator = supervisor
        .post(
            &format!("{case_path}/assignment"),
            &page,
            &[
                ("version", version.as_str()),
                ("assign.navigator", officer.as_str()),
            ],
        )
        .await;
    assert_eq!(not_a_navigator.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_a_navigator.contains("is not an enabled navigator"));

    let assigned = supervisor
        .post(
            &format!("{case_path}/assignment"),
            &page,
            &[
                ("version", version.as_str()),
                ("assign.navigator", second.as_str()),
            ],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.html);
    let after = supervisor.get(&case_path).await;
    let header = &after.html[after
        .html
        .find("data-testid=\"case-header\"")
        .expect("header")..];
    assert!(header.contains("Test nav.north.2 (north team)"), "{header}");

    // Navigators do not assign.
    let navigator = FormClient::sign_in(&server.base, "nav.north.2").await;
    let theirs = navigator.get(&case_path).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.contains("assign-panel"));
}
