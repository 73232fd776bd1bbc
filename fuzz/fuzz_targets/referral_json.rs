//! `Referral::from_json` on arbitrary text. A referral that parses survives a round trip
//! through its own serialisation unchanged; an error names the field (a JSON path) and, when the
//! parser knows it, a line and column inside the text.
#![no_main]

use checkpoint_domain::referral::Referral;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Referral::from_json(text) {
        Ok(referral) => {
            let again = serde_json::to_string(&referral).expect("a referral serialises");
            let back = Referral::from_json(&again).expect("a serialised referral parses");
            assert_eq!(back, referral, "round trip changed the referral");
        }
        Err(e) => {
            assert!(!e.path.is_empty(), "an error without a path: {e}");
            assert!(
                !e.message.trim().is_empty(),
                "an error without a message: {e}"
            );
            let lines = text.matches('\n').count() + 1;
            if let Some(line) = e.line {
                assert!(
                    (1..=lines).contains(&line),
                    "line {line} outside 1..={lines}: {e}"
                );
                assert!(e.column.is_some(), "a line without a column: {e}");
            }
            let _ = e.to_string();
        }
    }
});
