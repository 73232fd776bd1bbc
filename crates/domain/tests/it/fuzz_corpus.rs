//! Replays the committed fuzz corpora (`fuzz/corpus/policy_toml`, `fuzz/corpus/referral_json`)
//! through the parsers on stable, without a fuzz build, with the same checks as the fuzz
//! targets: no panic, a parsed value behaves, and an error says where and what.

use checkpoint_domain::policy::Policy;
use checkpoint_domain::referral::Referral;
use std::panic::{RefUnwindSafe, catch_unwind};
use std::path::Path;

/// Every file of `fuzz/corpus/<target>`, by name.
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

/// Runs `check` on every corpus file; fails naming each file that panicked.
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

fn example_referrals() -> Vec<Referral> {
    [
        include_str!("../../../../schemas/examples/referral-shop-theft.json"),
        include_str!("../../../../schemas/examples/referral-cannabis-grower.json"),
        include_str!("../../../../schemas/examples/referral-common-assault-unknowns.json"),
    ]
    .iter()
    .map(|text| Referral::from_json(text).unwrap())
    .collect()
}

#[test]
fn policy_corpus_loads_or_says_where_it_is_wrong() {
    let referrals = example_referrals();
    replay("policy_toml", |data| {
        let Ok(source) = std::str::from_utf8(data) else {
            return;
        };
        match Policy::from_toml(source, "fuzz.toml") {
            Ok(policy) => {
                assert!(policy.content_hash().starts_with("sha256:"));
                for referral in &referrals {
                    let _ = policy.evaluate(referral);
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                let lines = source.matches('\n').count() + 1;
                for e in &errors {
                    assert!((1..=lines).contains(&e.line) && e.column >= 1, "{e}");
                    assert!(!e.message.trim().is_empty(), "{e}");
                }
            }
        }
    });
}

#[test]
fn referral_corpus_round_trips_or_names_the_field() {
    replay("referral_json", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        match Referral::from_json(text) {
            Ok(referral) => {
                let again = serde_json::to_string(&referral).unwrap();
                assert_eq!(Referral::from_json(&again).unwrap(), referral);
            }
            Err(e) => {
                assert!(!e.path.is_empty() && !e.message.trim().is_empty(), "{e}");
                if let Some(line) = e.line {
                    assert!((1..=text.matches('\n').count() + 1).contains(&line), "{e}");
                }
            }
        }
    });
}
