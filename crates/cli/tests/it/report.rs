//! `checkpoint report`: the real binary over a SQLite database of synthetic cases made with
//! `checkpoint demo generate` (through the use cases), with reoffending from the same run's
//! arrest feed imported by `checkpoint import arrests`. Every report kind in CSV and JSON
//! (and the standalone HTML document), small numbers withheld in each, the reading audited,
//! and a bad settings file named with its line.

use crate::stderr;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const KINDS: [&str; 6] = [
    "funnel",
    "reoffending",
    "trial",
    "disproportionality",
    "cost",
    "all",
];

/// The password of the demo accounts (synthetic data).
const PASSWORD: &str = "checkpoint-demo";

fn run(args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_checkpoint"));
    command
        .args(args)
        .current_dir(crate::workspace_root())
        .env_remove("CHECKPOINT_PASSWORD")
        .env_remove("CHECKPOINT_USER");
    if let Some(password) = password {
        command.env("CHECKPOINT_PASSWORD", password);
    }
    command.output().expect("the checkpoint binary runs")
}

fn ok(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    output
}

/// One database for every test in this module: 120 cases referred from 2022 to mid-2024, and
/// the arrest feed of the same run imported (re-arrests of participants, of people who
/// declined and of people referred for prosecution).
fn database() -> &'static str {
    static DATABASE: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &DATABASE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("reports.db").display());
            let generate = [
                "demo",
                "generate",
                "--cases",
                "120",
                "--seed",
                "11",
                "--from",
                "2022-01-01",
                "--to",
                "2024-06-30",
            ];
            let mut into_db = vec!["--database", url.as_str()];
            into_db.extend(generate);
            ok(run(&into_db, None), "demo generate");
            let csv_dir = dir.path().join("csv");
            let csv_dir_text = csv_dir.display().to_string();
            let mut as_csv = generate.to_vec();
            as_csv.extend(["--csv", csv_dir_text.as_str()]);
            ok(run(&as_csv, None), "demo generate --csv");
            let feed = csv_dir.join("arrests.csv").display().to_string();
            ok(
                run(&["--database", &url, "import", "arrests", &feed], None),
                "import arrests",
            );
            (dir, url)
        })
        .1
}

fn report(kind: &str, format: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "--database",
        database(),
        "report",
        kind,
        "--user",
        "demo.analyst",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    run(&args, Some(PASSWORD))
}

/// Published counts are `{"value": n}`; none may be between 1 and 9.
fn small_counts(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(n) = map.get("value").and_then(Value::as_u64)
                && (1..10).contains(&n)
            {
                found.push(format!("{path} = {n}"));
            }
            for (k, v) in map {
                small_counts(v, &format!("{path}.{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                small_counts(v, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Runs `work` on a connection of its own to a SQLite database, outside the application.
fn on_database<T>(url: &str, work: impl AsyncFnOnce(&mut sqlx::SqliteConnection) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(url)
            .await
            .expect("the test database");
        let result = work(&mut connection).await;
        connection.close().await.expect("close");
        result
    })
}

/// How often this report of this selection was read, by the audit log's *combination* rows.
fn audit_combinations(url: &str, subject: &str) -> i64 {
    on_database(url, async |connection| {
        sqlx::query_scalar(
            "SELECT count(*) FROM audit_log \
             WHERE action = 'combination' AND subject_type = 'report' AND subject_id = $1",
        )
        .bind(subject)
        .fetch_one(connection)
        .await
        .expect("count")
    })
}

#[test]
fn every_report_kind_comes_as_json_and_csv_with_small_numbers_withheld() {
    let url = database();
    let dir = tempfile::tempdir().expect("temporary directory");
    // Every case was referred after 2021-12-31: the same data, under a selection no other test
    // reads, so the audit count below is this test's alone.
    let from = ["--from", "2021-12-31"];
    for kind in KINDS {
        let subject = format!("{kind}: scheme (all), referred 2021-12-31 to (end)");
        let before = audit_combinations(url, &subject);
        let json = ok(report(kind, "json", &from), kind);
        let bundle: Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
        assert_eq!(bundle["report"], kind);
        assert!(
            bundle["sources"][0]
                .as_str()
                .is_some_and(|s| s.starts_with("Reoffending source: arrests in the imported")),
            "{kind}: {}",
            bundle["sources"]
        );
        assert!(bundle["cases"]["value"].as_u64().is_some_and(|n| n >= 100));
        let mut found = Vec::new();
        small_counts(&bundle, "$", &mut found);
        assert!(
            found.is_empty(),
            "{kind}: small counts published: {found:?}"
        );
        assert_eq!(
            audit_combinations(url, &subject),
            before + 1,
            "{kind}: audited once"
        );

        let out: PathBuf = dir.path().join(format!("{kind}.csv"));
        let csv_run = ok(
            report(kind, "csv", &["--out", out.to_str().expect("path")]),
            kind,
        );
        assert!(csv_run.stdout.is_empty(), "{kind}: CSV went to the file");
        let csv = std::fs::read_to_string(&out).expect("the CSV file");
        assert!(csv.starts_with("# "), "{kind}: {csv}");
        assert!(csv.contains("\r\n# Settings\r\n"), "{kind}");
        assert!(csv.contains("\r\n# Warnings\r\n"), "{kind}");
        let tables = csv.split("# Settings").next().expect("tables");
        for line in tables.lines() {
            for field in line.split(',') {
                if let Ok(n) = field.parse::<u64>() {
                    assert!(!(1..10).contains(&n), "{kind}: CSV shows {n} in {line:?}");
                }
            }
        }
    }

    // Reoffending is measured for decliners as well as participants, from the imported feed.
    let json = ok(report("reoffending", "json", &[]), "reoffending");
    let bundle: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let twelve = bundle["reoffending"]["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["window"] == serde_json::json!({ "months": 12 }))
        .expect("a 12-month window");
    let groups: Vec<&str> = twelve["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["group"].as_str())
        .collect();
    assert!(groups.contains(&"declined"), "{groups:?}");
    let total = &twelve["total"];
    let reoffences = &total["reoffences"];
    assert!(
        reoffences["value"].as_u64().is_some_and(|n| n >= 10)
            || reoffences["suppressed"].is_object(),
        "{total}"
    );
    assert_ne!(
        reoffences["value"], 0,
        "the feed's re-arrests are counted: {total}"
    );
}

#[test]
fn the_html_report_is_a_standalone_document_with_charts() {
    let html = ok(report("all", "html", &[]), "html");
    let text = String::from_utf8_lossy(&html.stdout);
    assert!(text.starts_with("<!doctype html>"), "{text}");
    assert!(text.contains("<svg"), "charts are inline SVG");
    assert!(
        text.contains("Where the figures come from"),
        "the method is printed"
    );
    assert!(
        !text.contains("demo.analyst"),
        "no account names in the document"
    );
}

#[test]
fn only_analysts_and_supervisors_with_the_right_password_get_a_report() {
    let url = database();
    let wrong = run(
        &[
            "--database",
            url,
            "report",
            "funnel",
            "--user",
            "demo.analyst",
        ],
        Some("not the password"),
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("cannot sign in as demo.analyst"),
        "{}",
        stderr(&wrong)
    );
    let custody = run(
        &[
            "--database",
            url,
            "report",
            "funnel",
            "--user",
            "demo.custody",
            "--format",
            "csv",
        ],
        Some(PASSWORD),
    );
    assert!(!custody.status.success());
    assert!(custody.stdout.is_empty(), "nothing is printed when refused");
    let supervisor = run(
        &[
            "--database",
            url,
            "report",
            "funnel",
            "--user",
            "demo.supervisor",
            "--format",
            "csv",
        ],
        Some(PASSWORD),
    );
    ok(supervisor, "a supervisor's report");
    let no_password = run(
        &[
            "--database",
            url,
            "report",
            "funnel",
            "--user",
            "demo.analyst",
        ],
        None,
    );
    assert!(!no_password.status.success());
    assert!(
        stderr(&no_password).contains("CHECKPOINT_PASSWORD"),
        "{}",
        stderr(&no_password)
    );
}

fn settings_file(dir: &Path, text: &str) -> String {
    let path = dir.join("reports.toml");
    std::fs::write(&path, text).expect("settings file");
    path.display().to_string()
}

#[test]
fn a_bad_settings_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (text, line, what) in [
        (
            "suppress_zeros = false\nminimum_group_size = 60\nmeasure = \"eventually\"\n",
            3,
            "eventually",
        ),
        (
            "measure = \"rearrest\"\n\n[costs]\nnavigator_hour = 30.0\nnavigator_minute = 0.5\n",
            5,
            "navigator_minute",
        ),
        ("proof_lag_months = -1\n", 1, "proof_lag_months"),
    ] {
        let path = settings_file(dir.path(), text);
        let output = run(
            &[
                "--database",
                "sqlite::memory:",
                "report",
                "all",
                "--user",
                "demo.analyst",
                "--settings",
                &path,
            ],
            Some(PASSWORD),
        );
        assert!(!output.status.success(), "{text}");
        let message = stderr(&output);
        assert!(message.contains(&path), "names the file: {message}");
        assert!(
            message.contains(&format!("line {line}")),
            "names line {line}: {message}"
        );
        assert!(message.contains(what), "names {what}: {message}");
        assert!(output.stdout.is_empty());
    }
    let missing = run(
        &[
            "--database",
            "sqlite::memory:",
            "report",
            "all",
            "--user",
            "demo.analyst",
            "--settings",
            "no/such/reports.toml",
        ],
        Some(PASSWORD),
    );
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("cannot read no/such/reports.toml"),
        "{}",
        stderr(&missing)
    );
    let bad_date = run(
        &[
            "--database",
            "sqlite::memory:",
            "report",
            "funnel",
            "--from",
            "March",
        ],
        Some(PASSWORD),
    );
    assert!(!bad_date.status.success());
    assert!(
        stderr(&bad_date).contains("--from"),
        "{}",
        stderr(&bad_date)
    );
}

#[test]
fn the_extract_carries_offending_history_risk_band_and_the_end_of_monitoring() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let key = dir.path().join("export.key");
    std::fs::write(
        &key,
        "a synthetic export key of more than thirty-two bytes\n",
    )
    .expect("key");
    let out = dir.path().join("cases.csv");
    ok(
        run(
            &[
                "--database",
                database(),
                "export",
                "cases",
                "--user",
                "demo.analyst",
                "--key-file",
                key.to_str().expect("path"),
                "--out",
                out.to_str().expect("path"),
                "--justification",
                "test: the extract's columns",
            ],
            Some(PASSWORD),
        ),
        "export cases",
    );
    let csv = std::fs::read_to_string(&out).expect("the extract");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let (convictions, band, until, ending, reason) = (
        column("previous_convictions"),
        column("risk_band"),
        column("monitored_until"),
        column("ending"),
        column("ineligibility_reason"),
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 100);
    // The referral says how many previous convictions (empty where it did not say: the
    // generator leaves some out, as custody records do).
    let known = rows
        .iter()
        .filter(|r| r[convictions].parse::<u32>().is_ok())
        .count();
    assert!(known * 10 >= rows.len() * 9, "{known} of {}", rows.len());
    assert!(
        rows.iter()
            .all(|r| r[convictions].is_empty() || r[convictions].parse::<u32>().is_ok()),
        "{csv}"
    );
    assert!(
        rows.iter()
            .any(|r| ["low", "moderate", "high"].contains(&r[band])),
        "risk bands: {csv}"
    );
    // Closed cases are monitored to a date; screened-out cases carry their first unmet
    // criterion (an id from the policy), never a generic reason.
    assert!(
        rows.iter()
            .any(|r| r[ending] == "declined" && !r[until].is_empty())
    );
    let reasons: Vec<&str> = rows
        .iter()
        .filter(|r| r[ending] == "ineligible")
        .map(|r| r[reason])
        .collect();
    assert!(!reasons.is_empty());
    assert!(
        reasons
            .iter()
            .all(|r| !r.is_empty() && *r != "policy criteria not met"),
        "{reasons:?}"
    );
}

/// Runs one statement on a SQLite database, outside the application.
fn execute(url: &str, sql: &str) {
    on_database(url, async |connection| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(connection)
            .await
            .expect("statement");
    });
}

#[test]
fn the_read_model_check_finds_a_row_edited_behind_the_applications_back_and_rebuild_mends_it() {
    // A database of its own: this test edits the read model.
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("read-model.db").display());
    let generate = ["demo", "generate", "--cases", "40", "--seed", "5"];
    ok(
        run(
            &[&["--database", url.as_str()][..], &generate].concat(),
            None,
        ),
        "demo generate",
    );
    let read_model = |verb: &str| run(&["--database", &url, "read-model", verb], None);

    let checked = ok(read_model("check"), "check");
    let said = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert!(
        said.contains("40 rows checked") && said.ends_with(", 0 wrong\n"),
        "{said}"
    );

    execute(
        &url,
        "UPDATE report_case_facts SET facts = (SELECT f.facts FROM report_case_facts f \
         WHERE f.facts <> report_case_facts.facts LIMIT 1) WHERE case_id = \
         (SELECT case_id FROM report_case_facts ORDER BY case_id LIMIT 1)",
    );
    let failed = read_model("check");
    assert!(!failed.status.success(), "a wrong row fails the check");
    let said = String::from_utf8_lossy(&failed.stdout).into_owned();
    assert!(said.ends_with(", 1 wrong\n"), "{said}");
    let error = stderr(&failed);
    assert!(
        error.contains("rows differ from their records for cases")
            && error.contains("checkpoint read-model rebuild"),
        "{error}"
    );

    let rebuilt = ok(read_model("rebuild"), "rebuild");
    let said = String::from_utf8_lossy(&rebuilt.stdout).into_owned();
    assert!(said.contains("40 rows derived again"), "{said}");
    ok(read_model("check"), "check after the rebuild");
}
