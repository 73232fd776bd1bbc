//! Replays the committed fuzz corpora `fuzz/corpus/{link_csv,link_settings,normalise}` on
//! stable, without a fuzz build, with the fuzz targets' checks.

use checkpoint_linkage::Settings;
use checkpoint_linkage::normalise::{
    UkPostcode, normalise_identifier, normalise_name, normalise_text,
};
use std::collections::HashSet;
use std::panic::{RefUnwindSafe, catch_unwind};
use std::path::Path;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 1, "no corpus in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

fn replay(target: &str, check: impl Fn(&[u8]) + RefUnwindSafe) {
    let failures: Vec<String> = corpus(target)
        .into_iter()
        .filter(|(_, data)| catch_unwind(|| check(data)).is_err())
        .map(|(name, _)| name)
        .collect();
    assert!(
        failures.is_empty(),
        "fuzz/corpus/{target}: these inputs panicked: {failures:?}"
    );
}

/// The steps of `checkpoint link`'s `read_table` (crates/cli/src/link_cmd.rs) over bytes.
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
    let Some(value_at) = columns.iter().map(|c| find(c)).collect::<Option<Vec<_>>>() else {
        return;
    };
    let mut seen_ids = HashSet::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
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
            assert!(columns.contains(&e.column.as_str()), "{e:?}");
            assert!(!e.message.trim().is_empty(), "{e:?}");
        }
    }
}

#[test]
fn link_csv_corpus_is_read_and_prepared_without_panicking() {
    let settings: Vec<Settings> = [
        include_str!("../data/febrl.toml"),
        include_str!("../../../synth/data/link-settings.toml"),
    ]
    .iter()
    .map(|text| Settings::from_toml(text, "settings.toml").unwrap())
    .collect();
    replay("link_csv", |data| {
        for s in &settings {
            read_table(data, s);
        }
    });
}

#[test]
fn link_settings_corpus_loads_or_says_where_it_is_wrong() {
    replay("link_settings", |data| {
        let Ok(source) = std::str::from_utf8(data) else {
            return;
        };
        match Settings::from_toml(source, "fuzz.toml") {
            Ok(settings) => {
                let columns = settings.columns();
                for value in ["", "x", "1990-04-03"] {
                    let _ = settings.prepare(&vec![value; columns.len()]);
                }
            }
            Err(errors) => {
                assert!(!errors.0.is_empty());
                let lines = source.matches('\n').count() + 1;
                for e in &errors.0 {
                    assert!((1..=lines).contains(&e.line) && e.column >= 1, "{e}");
                    assert!(!e.message.trim().is_empty(), "{e}");
                }
            }
        }
    });
}

fn is_folded(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.bytes()
            .all(|b| b == b' ' || b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[test]
fn normalise_corpus_is_folded_and_idempotent() {
    replay("normalise", |data| {
        let raw = String::from_utf8_lossy(data);
        let name = normalise_name(&raw);
        assert!(is_folded(&name), "{raw:?} -> {name:?}");
        assert_eq!(normalise_name(&name), name);
        assert_eq!(name.is_empty(), normalise_text(&raw).is_empty());
        let text = normalise_text(&raw);
        assert!(is_folded(&text));
        assert_eq!(normalise_text(&text), text);
        let id = normalise_identifier(&raw);
        assert_eq!(normalise_identifier(&id), id);
        match UkPostcode::parse(&raw) {
            Some(postcode) => {
                assert_eq!(UkPostcode::parse(&postcode.full).as_ref(), Some(&postcode));
                let _ = (postcode.area(), postcode.district(), postcode.sector());
            }
            None => assert!(id.is_empty()),
        }
    });
}
