//! The OpenAPI document: a snapshot (so every change to the API shows in review), and checks
//! that the router and the document describe the same routes.

use crate::helpers::spawn_sqlite;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn openapi_document_snapshot() {
    let document = serde_json::to_value(checkpoint_web::openapi_document()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", document);
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let server = spawn_sqlite().await;
    let response = server
        .client
        .get(server.url(checkpoint_web::OPENAPI_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let served: Value = response.json().await.unwrap();
    assert_eq!(
        served,
        serde_json::to_value(checkpoint_web::openapi_document()).unwrap()
    );
}

/// Every `$ref` in the document points at something that exists (the embedded referral
/// schema's `$defs` included).
#[test]
fn every_reference_resolves() {
    let document = checkpoint_web::openapi_document();
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(
        refs.iter()
            .any(|r| r.contains("ReferralDocument/$defs/person"))
    );
    for reference in refs {
        let pointer = reference.strip_prefix('#').expect("local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match child {
                    Value::String(target) if key == "$ref" => out.push(target.clone()),
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation in the document reaches a handler: an anonymous request answers 401 (or,
/// for sign-in, a problem about its body), never the router's "no route" or 405.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let server = spawn_sqlite().await;
    let document = serde_json::to_value(checkpoint_web::openapi_document()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    for (path, item) in paths {
        let concrete = fill_parameters(path);
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = server
                .client
                .request(method.clone(), server.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_ne!(
                body["type"], "urn:checkpoint:problem:no-route",
                "{method} {path}"
            );
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            let anonymous =
                item[method.as_str().to_lowercase()]["security"] == serde_json::json!([{}]);
            if !anonymous {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            }
        }
    }
}

fn fill_parameters(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str("0190f0a0-0000-7000-8000-000000000000");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The other direction: nothing under `/api` is routed without documentation. Every handler
/// annotated with `#[utoipa::path]` is registered through `routes!` (which documents it), and
/// the only API route added with plain `.route(` is the document itself. (The HTML pages in
/// `src/views` are not part of the API and are not scanned.)
#[test]
fn every_routed_handler_is_documented() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut documented = BTreeSet::new();
    let mut plain_routes = Vec::new();
    let mut registered = BTreeSet::new();
    let views = src.join("views");
    for file in rust_files(&src)
        .into_iter()
        .filter(|f| !f.starts_with(&views))
    {
        let text = std::fs::read_to_string(&file).unwrap();
        let module = file.file_stem().unwrap().to_string_lossy().into_owned();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.contains(".route(") {
                // rustfmt may put the path on the next line.
                let next = lines.peek().copied().unwrap_or("");
                plain_routes.push(format!(
                    "{}: {} {}",
                    file.display(),
                    line.trim(),
                    next.trim()
                ));
            }
            if line.trim_start().starts_with("#[utoipa::path(") {
                let name = lines
                    .by_ref()
                    .find_map(|l| l.trim_start().strip_prefix("pub async fn "))
                    .and_then(|rest| rest.split(['(', '<']).next())
                    .unwrap()
                    .to_owned();
                documented.insert(format!("{module}::{name}"));
            }
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("routes!(") {
            rest = &rest[at + "routes!(".len()..];
            let inner = &rest[..rest.find(')').unwrap()];
            for handler in inner.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                registered.insert(handler.to_owned());
            }
        }
    }
    assert_eq!(
        documented, registered,
        "documented handlers vs handlers in routes!"
    );
    assert_eq!(
        plain_routes.len(),
        1,
        "undocumented routes: {plain_routes:#?}"
    );
    assert!(plain_routes[0].contains("OPENAPI_PATH"));
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}
