//! The CSV input of `checkpoint link`, on arbitrary bytes, under the two shipped settings files
//! (FEBRL's and the synthetic people/arrests one).
//!
//! The reading loop lives in the `checkpoint` binary (`crates/cli/src/link_cmd.rs`,
//! `read_table`, which opens a path), so this target repeats its steps over bytes: a flexible
//! `csv` reader, byte records, columns found by header name, UTF-8 checked per field, then
//! `Settings::prepare` on the values, which is where each field is parsed (dates, postcodes,
//! names, identifiers). A field that cannot be prepared must be named by its column.
#![no_main]

use checkpoint_linkage::Settings;
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::sync::LazyLock;

static SETTINGS: LazyLock<Vec<Settings>> = LazyLock::new(|| {
    [
        (
            "febrl.toml",
            include_str!("../../crates/linkage/tests/data/febrl.toml"),
        ),
        (
            "link-settings.toml",
            include_str!("../../crates/synth/data/link-settings.toml"),
        ),
    ]
    .iter()
    .map(|(name, text)| Settings::from_toml(text, name).expect("shipped settings load"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    for settings in SETTINGS.iter() {
        read_table(data, settings);
    }
});

/// `read_table`'s steps; returns nothing, panics on a broken promise.
fn read_table(data: &[u8], settings: &Settings) {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let Ok(headers) = reader.byte_headers() else {
        return;
    };
    let headers: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let find = |column: &str| headers.iter().position(|h| h == column);
    let Some(id_at) = find(&settings.id_column) else {
        return;
    };
    let columns = settings.columns();
    let Some(value_at) = columns
        .iter()
        .map(|c| find(c))
        .collect::<Option<Vec<usize>>>()
    else {
        return;
    };
    let mut seen_ids = HashSet::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // The binary gives up on IO errors and goes on after any other: make sure the
                // reader cannot be stuck on one.
                assert!(!matches!(e.kind(), csv::ErrorKind::Io(_)), "{e}");
                continue;
            }
        }
        if record.len() != headers.len() {
            continue;
        }
        let text = |i: usize| std::str::from_utf8(&record[i]);
        let id = match text(id_at) {
            Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
            _ => continue,
        };
        if !seen_ids.insert(id) {
            continue;
        }
        let Ok(values) = value_at
            .iter()
            .map(|&at| text(at))
            .collect::<Result<Vec<&str>, _>>()
        else {
            continue;
        };
        if let Err(e) = settings.prepare(&values) {
            assert!(
                columns.contains(&e.column.as_str()),
                "{e:?} names no column"
            );
            assert!(!e.message.trim().is_empty(), "{e:?} has no message");
        }
    }
}
