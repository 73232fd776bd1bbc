//! Replays the committed fuzz corpus `fuzz/corpus/arrest_feed` through the arrest-feed reader
//! on stable, without a fuzz build, with the fuzz target's checks: no panic; accepted rows keep
//! the reader's promises; rejected rows name a line inside the input and a header column.

use checkpoint_app::monitoring::feed::parse_feed;
use jiff::civil::{Date, date};
use std::panic::catch_unwind;
use std::path::Path;

const TODAY: Date = date(2026, 3, 4);

fn check(data: &[u8]) {
    let parsed = parse_feed(data, TODAY);
    match &parsed {
        Ok(feed) => {
            let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
            for row in &feed.rows {
                assert!((2..=lines).contains(&row.line), "{row:?}");
                assert!(!row.given_name.is_empty() && !row.surname.is_empty());
                assert!(row.arrest_date <= TODAY);
                if !row.dob.is_empty() {
                    assert!(Date::strptime("%d/%m/%Y", &row.dob).unwrap() <= TODAY);
                }
                assert!(!row.arrest_ref.is_empty());
            }
            for reject in &feed.rejects {
                assert!((1..=lines).contains(&reject.line), "{reject:?}");
                if let Some(column) = &reject.column {
                    assert!(feed.header.contains(column), "{reject:?}");
                }
                assert!(!reject.reason.trim().is_empty());
            }
        }
        Err(e) => assert!(e.to_string().starts_with("line 1: "), "{e}"),
    }
    assert_eq!(parse_feed(data, TODAY), parsed);
}

#[test]
fn arrest_feed_corpus_reads_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/arrest_feed");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 1, "no corpus in {}", dir.display());
    let failures: Vec<_> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(|| check(&data)).is_err()
        })
        .collect();
    assert!(failures.is_empty(), "these inputs panicked: {failures:?}");
}
