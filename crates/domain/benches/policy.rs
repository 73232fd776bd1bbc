//! Policy engine throughput: `cargo bench -p checkpoint-domain --bench policy`.
//!
//! The target is at least 1,000,000 decisions per second on one core for the Durham 2017 policy
//! (21 criteria including a decision table). The referral set varies on purpose: eligible and
//! ineligible cases, missing facts, drug supply and cultivation (the `applies_to` paths),
//! summary-only offences whose contracts are clamped to the prosecution deadline.

use checkpoint_domain::policy::Policy;
use checkpoint_domain::referral::Referral;
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use serde_json::{Value, json};

const DURHAM_2017: &str = include_str!("../../../policies/durham-checkpoint-2017.toml");
const EXAMPLE: &str = include_str!("../../../schemas/examples/referral-shop-theft.json");

fn main() {
    divan::main();
}

fn policy() -> Policy {
    Policy::from_toml(DURHAM_2017, "durham-checkpoint-2017.toml").expect("shipped policy loads")
}

/// 64 referrals built from the example by combining independent variations.
fn referrals() -> Vec<Referral> {
    let base: Value = serde_json::from_str(EXAMPLE).expect("example parses");
    let variations = [
        json!({}),
        json!({ "interview": "denied" }),
        json!({ "offence": { "category": "drug_supply", "supply_context": "funding_own_use", "victim": null } }),
        json!({ "offence": { "category": "cannabis_cultivation", "cultivation_scale": "commercial", "victim": null } }),
        json!({ "offence": { "category": "common_assault", "mode_of_trial": "summary_only", "offence_date": "2026-01-10" } }),
        json!({ "previous_convictions": null, "risk": null }),
        json!({ "offence": { "gravity": { "base": 4, "mitigating": false } }, "previous_convictions": 5 }),
        json!({ "person": { "date_of_birth": "2009-02-01", "resides_in_force_area": null } }),
    ];
    let more = [
        json!({}),
        json!({ "circumstances": { "co_accused": true, "on_bail_for_other_matters": null } }),
        json!({ "offence": { "hate_crime": null, "offence_date": "2025-11-01" } }),
        json!({ "evidence_sufficient_to_charge": false, "referral_date": "2026-03-20" }),
        json!({ "earlier_participation": [{ "scheme": "durham-checkpoint", "date": "2023-01-01", "result": "completed" }] }),
        json!({ "risk": { "tool": "HART 2", "band": "high" } }),
        json!({ "offence": { "gravity": null } }),
        json!({ "person": { "resides_in_force_area": false } }),
    ];
    let mut out = Vec::new();
    for a in &variations {
        for b in &more {
            let mut doc = base.clone();
            checkpoint_domain::policy::merge_patch(&mut doc, a);
            checkpoint_domain::policy::merge_patch(&mut doc, b);
            out.push(Referral::from_value(doc).expect("variation is a valid referral"));
        }
    }
    out
}

/// Evaluates every referral in the set once per iteration.
#[divan::bench]
fn evaluate_durham_2017(bencher: Bencher) {
    let policy = policy();
    let referrals = referrals();
    bencher
        .counter(ItemsCount::new(referrals.len()))
        .bench_local(|| {
            for r in &referrals {
                black_box(policy.evaluate(black_box(r)));
            }
        });
}

/// Evaluating and rendering the JSON a caller would store: the lazy evidence strings are paid
/// for here, not in `evaluate`.
#[divan::bench]
fn evaluate_and_serialise_json(bencher: Bencher) {
    let policy = policy();
    let referrals = referrals();
    bencher
        .counter(ItemsCount::new(referrals.len()))
        .bench_local(|| {
            for r in &referrals {
                black_box(serde_json::to_vec(&policy.evaluate(black_box(r))).expect("serialises"));
            }
        });
}

/// Loading and validating the policy file (done once per process, or per `policy check`).
#[divan::bench]
fn load_durham_2017() -> Policy {
    policy()
}
