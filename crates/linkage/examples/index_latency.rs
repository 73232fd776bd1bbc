//! Latency of the incremental API: one new arrest record scored against 1,000,000 indexed
//! people. Prints p50/p90/p99/max over many single-record queries, the insert rate, and how
//! often the true person ranks first.
//!
//! cargo run --release -p checkpoint-linkage --example index_latency -- [PEOPLE] [QUERIES]

#[path = "common/synth.rs"]
mod synth;

use checkpoint_linkage::{Dataset, Index, Record, RunOptions, Settings, train};
use std::time::Instant;

const SETTINGS: &str = include_str!("../tests/data/synthetic.toml");

fn record(row: [String; 7]) -> Record {
    let [id, _truth, given, surname, dob, postcode, ni] = row;
    Record::new(id, [given, surname, dob, postcode, ni])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_people: usize = args
        .get(1)
        .map_or(1_000_000, |a| a.parse().expect("people"));
    let n_queries: usize = args.get(2).map_or(10_000, |a| a.parse().expect("queries"));
    let settings = Settings::from_toml(SETTINGS, "synthetic.toml").expect("valid settings");
    assert_eq!(
        settings.columns(),
        ["given_name", "surname", "dob", "postcode", "ni_number"]
    );

    let mut rng = synth::Rng::new(11);
    let people = synth::people(&mut rng, n_people);

    // Train once, on a sample, as the system would before going live.
    let started = Instant::now();
    let sample = &people[..people.len().min(100_000)];
    let training_arrests = synth::arrests(&mut rng, sample, 50_000);
    let prepare = |row: [String; 7]| {
        let r = record(row);
        settings.prepare(&r.values)
    };
    let left: Vec<_> = sample
        .iter()
        .filter_map(|p| prepare(synth::person_row(p)).ok())
        .collect();
    let right: Vec<_> = training_arrests
        .iter()
        .filter_map(|a| prepare(synth::arrest_row(a)).ok())
        .collect();
    let (model, _) = train(
        &settings,
        Dataset::Link {
            left: &left,
            right: &right,
        },
        &RunOptions::default(),
    );
    let train_time = started.elapsed();

    let started = Instant::now();
    let mut index = Index::new(model);
    for p in &people {
        index.insert(&record(synth::person_row(p))).expect("insert");
    }
    let insert_time = started.elapsed();

    // Queries: arrests of indexed people (with the generator's errors), scored one at a time.
    let mut queries = Vec::with_capacity(n_queries);
    while queries.len() < n_queries {
        let p = &people[rng.below(people.len())];
        let a = synth::arrest(&mut rng, format!("Q{}", queries.len()), p);
        queries.push((record(synth::arrest_row(&a)), a.person_id));
    }
    let mut latencies = Vec::with_capacity(n_queries);
    let mut top1 = 0;
    let mut scored = 0;
    for (query, truth) in &queries {
        let t = Instant::now();
        let Ok(candidates) = index.score(query, 5) else {
            continue; // an impossible date in the query: the caller would reject it
        };
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        scored += 1;
        if candidates.first().is_some_and(|c| &c.id == truth) {
            top1 += 1;
        }
    }
    latencies.sort_by(f64::total_cmp);
    let q = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "trained on {} people x {} arrests in {:.2}s",
        left.len(),
        right.len(),
        train_time.as_secs_f64()
    );
    println!(
        "indexed {} people in {:.2}s ({:.1} µs per insert)",
        index.len(),
        insert_time.as_secs_f64(),
        insert_time.as_secs_f64() * 1e6 / index.len() as f64
    );
    println!(
        "scored {scored} single-record queries (top 5 with explanations): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        q(0.50),
        q(0.90),
        q(0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    println!(
        "true person ranked first in {top1} of {scored} ({:.2}%)",
        100.0 * top1 as f64 / scored as f64
    );
}
