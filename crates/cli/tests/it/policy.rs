use crate::{checkpoint, stderr, stdout, workspace_root};
use serde_json::Value;

const SHIPPED: [&str; 4] = [
    "policies/durham-checkpoint-2015.toml",
    "policies/durham-checkpoint-2017.toml",
    "policies/west-midlands-divert.toml",
    "policies/avon-somerset-dep.toml",
];

#[test]
fn every_shipped_policy_validates() {
    let mut args = vec!["policy", "check"];
    args.extend(SHIPPED);
    let out = checkpoint(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("ok ").count(), SHIPPED.len());
    assert!(stdout(&out).contains("sha256:"));
}

#[test]
fn a_broken_policy_is_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(workspace_root().join(SHIPPED[1])).unwrap();
    // An unknown key on a line we can find again.
    let broken = source.replacen(
        "\n[[criteria]]",
        "\nfavourite_colour = \"blue\"\n[[criteria]]",
        1,
    );
    let line = broken
        .lines()
        .position(|l| l.starts_with("favourite_colour"))
        .unwrap()
        + 1;
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, broken).unwrap();

    let out = checkpoint(&["policy", "check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("broken.toml:{line}:")), "{err}");
    assert!(err.contains("favourite_colour"), "{err}");
}

#[test]
fn golden_cases_of_every_shipped_policy_pass() {
    let out = checkpoint(&["policy", "test"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("4 policies"), "{}", stdout(&out));
    assert!(stdout(&out).contains(" 0 failed"));
}

#[test]
fn a_wrong_golden_expectation_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace_root();
    let policy = root.join("policies/west-midlands-divert.toml");
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("policies/west-midlands-divert.golden.json")).unwrap(),
    )
    .unwrap();
    // Flip the expected outcome of the first case.
    let mut wrong = golden.clone();
    let expected = &mut wrong["cases"][0]["expect"]["outcome"];
    let flipped = if expected == "eligible" {
        "ineligible"
    } else {
        "eligible"
    };
    *expected = Value::from(flipped);
    std::fs::copy(&policy, dir.path().join("divert.toml")).unwrap();
    std::fs::write(dir.path().join("divert.golden.json"), wrong.to_string()).unwrap();

    let out = checkpoint(&[
        "policy",
        "test",
        dir.path().join("divert.toml").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("FAIL"), "{}", stdout(&out));
}

#[test]
fn eval_prints_every_criterion_as_json() {
    let out = checkpoint(&[
        "policy",
        "eval",
        "--policy",
        SHIPPED[1],
        "schemas/examples/referral-shop-theft.json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let decision: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(decision["outcome"], "eligible");
    let criteria = decision["criteria"].as_array().unwrap();
    assert!(criteria.len() >= 10);
    for c in criteria {
        assert!(
            c["id"].is_string() && c["verdict"].is_string() && c["evidence"].is_object(),
            "{c}"
        );
    }
    assert!(
        decision["policy"]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn eval_with_missing_facts_needs_information_and_says_which() {
    let out = checkpoint(&[
        "policy",
        "eval",
        "--policy",
        SHIPPED[1],
        "schemas/examples/referral-common-assault-unknowns.json",
        "--format",
        "text",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("unknown"), "{text}");
    assert!(
        text.contains("NEEDS INFORMATION") || text.contains("INELIGIBLE"),
        "{text}"
    );
}

#[test]
fn a_malformed_referral_names_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let source =
        std::fs::read_to_string(workspace_root().join("schemas/examples/referral-shop-theft.json"))
            .unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        source.replacen("\"sex\": \"male\"", "\"sex\": \"unicorn\"", 1),
    )
    .unwrap();
    let out = checkpoint(&[
        "policy",
        "eval",
        "--policy",
        SHIPPED[1],
        path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("person.sex"), "{err}");
    assert!(err.contains("line"), "{err}");
}

#[test]
fn every_policy_command_explains_itself_with_an_example() {
    for command in ["check", "test", "eval"] {
        let out = checkpoint(&["policy", command, "--help"]);
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("Example:"),
            "policy {command} --help lacks an example"
        );
    }
}
