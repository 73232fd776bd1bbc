//! Writes a synthetic people file and arrest file (UK-style names, realistic errors) for the
//! scale benchmark. Deterministic for a seed.
//!
//! cargo run --release -p checkpoint-linkage --example synthetic -- PEOPLE ARRESTS SEED OUT_DIR

#[path = "common/synth.rs"]
mod synth;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let people: usize = args.get(1).map_or(100_000, |a| a.parse().expect("people"));
    let arrests: usize = args.get(2).map_or(400_000, |a| a.parse().expect("arrests"));
    let seed: u64 = args.get(3).map_or(7, |a| a.parse().expect("seed"));
    let dir = std::path::PathBuf::from(args.get(4).map_or("bench/out/synthetic", String::as_str));
    std::fs::create_dir_all(&dir).expect("create the output directory");
    let mut rng = synth::Rng::new(seed);
    let people = synth::people(&mut rng, people);
    let arrests = synth::arrests(&mut rng, &people, arrests);
    let mut w = csv::Writer::from_path(dir.join("people.csv")).expect("people.csv");
    w.write_record(synth::HEADER).unwrap();
    for p in &people {
        w.write_record(synth::person_row(p)).unwrap();
    }
    w.flush().unwrap();
    let mut w = csv::Writer::from_path(dir.join("arrests.csv")).expect("arrests.csv");
    w.write_record(synth::HEADER).unwrap();
    for a in &arrests {
        w.write_record(synth::arrest_row(a)).unwrap();
    }
    w.flush().unwrap();
    let known = arrests
        .iter()
        .filter(|a| a.person_id.starts_with('P'))
        .count();
    println!(
        "wrote {} people and {} arrests ({} of known people) to {}",
        people.len(),
        arrests.len(),
        known,
        dir.display()
    );
}
