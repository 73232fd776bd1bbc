use crate::{checkpoint, stderr, stdout, workspace_root};
use std::io::Read;

/// FEBRL1 (1,000 synthetic records, 500 true duplicate pairs; shipped gzipped with the linkage
/// tests) written out as a plain CSV, with its `entity_id` truth column.
fn febrl1(dir: &std::path::Path) -> std::path::PathBuf {
    let gz = std::fs::File::open(workspace_root().join("crates/linkage/tests/data/febrl1.csv.gz"))
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .unwrap();
    let path = dir.join("febrl1.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn deduplicating_febrl1_finds_the_true_pairs_and_explains_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = febrl1(dir.path());
    let out = dir.path().join("pairs.csv");
    let run = checkpoint(&[
        "link",
        "--settings",
        "crates/linkage/tests/data/febrl.toml",
        "--left",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--truth",
        "entity_id",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report = format!("{}{}", stdout(&run), stderr(&run));
    let f1 = report
        .lines()
        .find_map(|l| l.split("F1").nth(1))
        .and_then(|rest| {
            rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .find(|s| !s.is_empty())
        })
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no F1 in output:\n{report}"));
    // Measured 0.997 (see crates/linkage tests); the floor leaves room for thread ordering.
    assert!(f1 > 0.98, "F1 {f1}\n{report}");

    let pairs = std::fs::read_to_string(&out).unwrap();
    let header = pairs.lines().next().unwrap();
    for column in [
        "match_probability",
        "given_name",
        "surname",
        "date_of_birth",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(pairs.lines().count() > 450, "too few pairs written");
}

#[test]
fn a_missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "rec_id,given_name,surname\n1,ann,smith\n").unwrap();
    let run = checkpoint(&[
        "link",
        "--settings",
        "crates/linkage/tests/data/febrl.toml",
        "--left",
        input.to_str().unwrap(),
        "--out",
        dir.path().join("pairs.csv").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(
        err.contains("date_of_birth") || err.contains("soc_sec_id"),
        "{err}"
    );
    assert!(err.contains("people.csv"), "{err}");
}
