//! `checkpoint retention run` on a generated programme whose early cases are past their
//! retention review date (referred in 2019; reviews fall due six years after closure).

use crate::{checkpoint, stderr, stdout};

fn run_json(url: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--database", url, "retention", "run", "--format", "json"];
    args.extend_from_slice(extra);
    let out = checkpoint(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("JSON summary")
}

#[test]
fn a_dry_run_previews_exactly_what_the_run_does_and_the_audit_chain_holds() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("retention.db").display());
    let generated = checkpoint(&[
        "--database",
        &url,
        "demo",
        "generate",
        "--cases",
        "60",
        "--seed",
        "3",
        "--from",
        "2019-01-01",
        "--to",
        "2019-06-30",
        "--use-cases",
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));

    let preview = run_json(&url, &["--dry-run"]);
    assert_eq!(preview["dry_run"], true);
    let due = preview["cases_disposed"].as_array().expect("list").len();
    assert!(due > 0, "2019 closures are due by now: {preview}");
    assert_eq!(
        run_json(&url, &["--dry-run"]),
        preview,
        "a dry run changed something"
    );

    let done = run_json(&url, &[]);
    assert_eq!(done["dry_run"], false);
    for field in ["cases_disposed", "people_pseudonymised", "events_redacted"] {
        assert_eq!(done[field], preview[field], "{field}");
    }
    let verify = checkpoint(&["--database", &url, "audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    let again = run_json(&url, &[]);
    assert_eq!(again["cases_disposed"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["people_pseudonymised"], 0);
}

#[test]
fn a_real_run_cannot_pretend_it_is_another_day() {
    let out = checkpoint(&[
        "--database",
        "sqlite::memory:",
        "retention",
        "run",
        "--as-of",
        "2040-01-01",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--dry-run"), "{}", stderr(&out));
}
