//! `checkpoint_linkage::Settings::from_toml` (the `checkpoint link --settings` file) on
//! arbitrary text: never a panic; errors carry a position inside the text and a message.
#![no_main]

use checkpoint_linkage::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match Settings::from_toml(source, "fuzz.toml") {
        Ok(settings) => {
            // Every comparison column can be prepared from an empty and a plain value.
            let columns = settings.columns();
            for value in ["", "x", "1990-04-03"] {
                let values = vec![value; columns.len()];
                let _ = settings.prepare(&values);
            }
        }
        Err(errors) => {
            assert!(
                !errors.0.is_empty(),
                "rejected settings name at least one problem"
            );
            let lines = source.matches('\n').count() + 1;
            for e in &errors.0 {
                assert_eq!(e.file, "fuzz.toml");
                assert!(
                    (1..=lines).contains(&e.line),
                    "line {} outside 1..={lines}: {e}",
                    e.line
                );
                assert!(e.column >= 1, "{e}");
                assert!(
                    !e.message.trim().is_empty(),
                    "an error without a message at {e}"
                );
            }
            let _ = errors.to_string();
        }
    }
});
