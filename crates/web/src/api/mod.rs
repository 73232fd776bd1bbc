//! The JSON API under `/api/v1`. Each module holds one area's handlers and the request and
//! response bodies (DTOs) clients see; DTOs carry the `ToSchema` derives so the domain stays
//! free of HTTP concerns. Every handler is registered with `routes!`, which adds it to the
//! router and to the OpenAPI document at once, so neither can forget the other.

pub mod cases;
pub mod common;
pub mod custody;
pub mod monitoring;
pub mod navigation;
pub mod people;
pub mod policies;
pub mod reports;
pub mod sessions;
pub mod users;
pub mod worklists;

use crate::AppState;
use crate::openapi::{ApiDoc, SharedResponses};
use axum::Router;
use serde_json::Value;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The prefix of every API route.
pub const PREFIX: &str = "/api/v1";

/// Every API route, with its documentation.
pub fn openapi_router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::sign_out))
        .routes(routes!(sessions::me))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(policies::list_policies))
        .routes(routes!(policies::get_policy))
        // Custody desk
        .routes(routes!(custody::create_referral))
        .routes(routes!(custody::likely_matches))
        .routes(routes!(custody::record_screening_decision))
        .routes(routes!(custody::rescreen))
        .routes(routes!(custody::countersign))
        .routes(routes!(custody::overrides_awaiting))
        .routes(routes!(custody::allocate))
        .routes(routes!(custody::make_offer))
        .routes(routes!(custody::record_consent))
        // People and cases
        .routes(routes!(people::search_people))
        .routes(routes!(people::get_person))
        .routes(routes!(cases::get_case))
        // Navigators and supervisors
        .routes(routes!(navigation::assess_needs))
        .routes(routes!(navigation::write_contract))
        .routes(routes!(navigation::sign_contract))
        .routes(routes!(navigation::start_contract))
        .routes(routes!(navigation::vary_contract))
        .routes(routes!(navigation::contract_versions))
        .routes(routes!(navigation::update_condition_status))
        .routes(routes!(
            navigation::schedule_appointment,
            navigation::list_appointments
        ))
        .routes(routes!(navigation::record_attendance))
        .routes(routes!(navigation::record_contact))
        .routes(routes!(
            navigation::refer_to_provider,
            navigation::list_provider_referrals
        ))
        .routes(routes!(navigation::record_provider_response))
        .routes(routes!(navigation::open_review))
        .routes(routes!(navigation::decide_review))
        .routes(routes!(navigation::complete_case))
        .routes(routes!(navigation::withdraw))
        // Work lists
        .routes(routes!(worklists::my_caseload))
        .routes(routes!(worklists::supervisor_queue))
        .routes(routes!(worklists::assign_navigator))
        .routes(routes!(worklists::hand_over))
        // Evaluation
        .routes(routes!(reports::get_report))
        // Reoffending monitoring: the arrest feed and the clerical review queue.
        .routes(routes!(monitoring::import_arrests))
        .routes(routes!(monitoring::clerical_queue))
        .routes(routes!(monitoring::clerical_pair))
        .routes(routes!(monitoring::decide_clerical))
        .routes(routes!(monitoring::refit_model));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(PREFIX, v1)
}

/// The API router and its finished OpenAPI document (as JSON), built from the same route list.
pub fn router_and_document() -> (Router<AppState>, Value) {
    let (router, mut document) = openapi_router().split_for_parts();
    SharedResponses.modify(&mut document);
    let mut document = serde_json::to_value(&document).unwrap_or_default();
    embed_referral_schema(&mut document);
    (router, document)
}

/// The referral format's JSON Schema, the one `Referral::from_json` implements.
const REFERRAL_SCHEMA: &str = include_str!("../../../../schemas/referral.schema.json");

/// Publishes the referral format's own JSON Schema as the `ReferralDocument` component, so
/// the main request body is described by the schema the parser is tested against rather than
/// a hand-kept copy. OpenAPI 3.1 schemas are JSON Schema 2020-12, so it fits as it is; its
/// `$defs` stay inside the component and references to them are rewritten to point there.
fn embed_referral_schema(document: &mut Value) {
    let Ok(mut schema) = serde_json::from_str::<Value>(REFERRAL_SCHEMA) else {
        return;
    };
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("$id");
    }
    rewrite_refs(
        &mut schema,
        "#/$defs/",
        "#/components/schemas/ReferralDocument/$defs/",
    );
    document["components"]["schemas"]["ReferralDocument"] = schema;
    // The likely-matches request takes the referral's `person` object: point at its schema.
    let person =
        &mut document["components"]["schemas"]["LikelyMatchesRequest"]["properties"]["person"];
    if person.is_object() {
        *person = serde_json::json!({
            "$ref": "#/components/schemas/ReferralDocument/$defs/person",
            "description": "The person as typed: the `person` object of the referral format.",
        });
    }
}

fn rewrite_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" && target.starts_with(from) => {
                        *target = format!("{to}{}", &target[from.len()..]);
                    }
                    _ => rewrite_refs(child, from, to),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_refs(item, from, to)),
        _ => {}
    }
}
