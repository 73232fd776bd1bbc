//! The arrest-feed reader (`checkpoint import arrests`, `POST /api/v1/imports/arrests`) on
//! arbitrary bytes. It never panics; every row it accepts satisfies the rules it promises
//! (names present, dates readable and not in the future, a reference); every row it rejects
//! names a line inside the input and, when a column, one of the header's.
#![no_main]

use checkpoint_app::monitoring::feed::parse_feed;
use jiff::civil::{Date, date};
use libfuzzer_sys::fuzz_target;

const TODAY: Date = date(2026, 3, 4);

fuzz_target!(|data: &[u8]| {
    let parsed = parse_feed(data, TODAY);
    match &parsed {
        Ok(feed) => {
            // csv counts lines by '\n'; a lone '\r' also ends a record, so bound loosely.
            let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
            for row in &feed.rows {
                assert!(
                    (2..=lines).contains(&row.line),
                    "row line {} of {lines}",
                    row.line
                );
                assert!(
                    !row.given_name.is_empty() && !row.surname.is_empty(),
                    "{row:?}"
                );
                assert!(row.arrest_date <= TODAY, "{row:?}");
                if !row.dob.is_empty() {
                    let dob = Date::strptime("%d/%m/%Y", &row.dob).expect("dob is DD/MM/YYYY");
                    assert!(dob <= TODAY, "{row:?}");
                }
                assert!(!row.arrest_ref.is_empty(), "{row:?}");
                assert!(
                    row.arrest_ref.starts_with("sha256:") || row.arrest_ref.chars().count() <= 100,
                    "{row:?}"
                );
            }
            for reject in &feed.rejects {
                assert!(
                    (1..=lines).contains(&reject.line),
                    "reject line {} of {lines}",
                    reject.line
                );
                if let Some(column) = &reject.column {
                    assert!(
                        feed.header.contains(column),
                        "{reject:?} not in {:?}",
                        feed.header
                    );
                }
                assert!(!reject.reason.trim().is_empty(), "{reject:?}");
                assert!(reject.describe().starts_with("line "));
            }
        }
        Err(e) => assert!(e.to_string().starts_with("line 1: "), "{e}"),
    }
    // Same bytes, same answer (row hashes included): a re-sent feed is recognised.
    assert_eq!(parse_feed(data, TODAY), parsed);
});
