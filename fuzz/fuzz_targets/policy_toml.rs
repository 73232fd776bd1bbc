//! `Policy::from_toml` on arbitrary text. A policy that loads must evaluate the example
//! referrals without panicking; a policy that does not must say where (`FILE:LINE:COLUMN`, the
//! position inside the text) and what.
#![no_main]

use checkpoint_domain::policy::Policy;
use checkpoint_domain::referral::Referral;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static REFERRALS: LazyLock<Vec<Referral>> = LazyLock::new(|| {
    [
        include_str!("../../schemas/examples/referral-shop-theft.json"),
        include_str!("../../schemas/examples/referral-cannabis-grower.json"),
        include_str!("../../schemas/examples/referral-common-assault-unknowns.json"),
    ]
    .iter()
    .map(|text| Referral::from_json(text).expect("the schema examples parse"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::from_toml(source, "fuzz.toml") {
        Ok(policy) => {
            assert!(
                policy.content_hash().starts_with("sha256:"),
                "{}",
                policy.content_hash()
            );
            for referral in REFERRALS.iter() {
                let decision = policy.evaluate(referral);
                let _ = format!("{decision:?}");
            }
        }
        Err(errors) => {
            assert!(
                !errors.is_empty(),
                "a rejected policy names at least one problem"
            );
            let lines = source.matches('\n').count() + 1;
            for e in &errors {
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
