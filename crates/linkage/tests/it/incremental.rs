//! The incremental API: train once, store the model, index known people, score arrivals.

use crate::febrl::{febrl_settings, load};
use checkpoint_linkage::{Band, Dataset, Index, InsertError, Model, Record, RunOptions, train};
use flate2::read::GzDecoder;
use std::path::PathBuf;

/// FEBRL4a's raw rows as [`Record`]s (values in settings column order).
fn raw_records(name: &str, columns: &[&str]) -> Vec<(Record, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.csv.gz"));
    let mut reader = csv::Reader::from_reader(GzDecoder::new(std::fs::File::open(path).unwrap()));
    let headers = reader.headers().unwrap().clone();
    let at = |c: &str| headers.iter().position(|h| h == c).unwrap();
    let (id, entity) = (at("rec_id"), at("entity_id"));
    let columns: Vec<usize> = columns.iter().map(|c| at(c)).collect();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let values: Vec<&str> = columns.iter().map(|&i| &row[i]).collect();
            (Record::new(&row[id], values), row[entity].to_owned())
        })
        .collect()
}

#[test]
fn stored_model_indexes_people_and_ranks_the_true_match_first() {
    let settings = febrl_settings();
    let (a, _) = load("febrl4a", &settings);
    let (b, _) = load("febrl4b", &settings);
    let (model, _) = train(
        &settings,
        Dataset::Link {
            left: &a,
            right: &b,
        },
        &RunOptions::default(),
    );

    // Stored and loaded: the same model.
    let json = serde_json::to_string(&model).unwrap();
    let model: Model = serde_json::from_str(&json).unwrap();

    let columns = model.settings().columns();
    let people = raw_records("febrl4a", &columns);
    let arrivals = raw_records("febrl4b", &columns);
    let mut index = Index::new(model.clone());
    let mut entity_of = std::collections::HashMap::new();
    for (person, entity) in &people {
        index.insert(person).unwrap();
        entity_of.insert(person.id.clone(), entity.clone());
    }
    assert_eq!(index.len(), 5000);
    assert!(matches!(
        index.insert(&people[0].0),
        Err(InsertError::DuplicateId(_))
    ));

    let mut top1_right = 0;
    let mut linked_wrong = 0;
    for (arrival, entity) in &arrivals {
        let candidates = index.score(arrival, 3).unwrap();
        if let Some(best) = candidates.first() {
            if &entity_of[&best.id] == entity {
                top1_right += 1;
            } else if best.band == Band::Link {
                linked_wrong += 1;
            }
            // The waterfall adds up to the score.
            let e = &best.explanation;
            let sum: f64 = e.prior_weight
                + e.fields
                    .iter()
                    .map(|f| f.weight + f.tf_adjustment)
                    .sum::<f64>();
            assert!((sum - best.match_weight).abs() < 1e-9);
            assert!((e.match_weight - best.match_weight).abs() < 1e-9);
            assert_eq!(e.fields.len(), model.settings().comparisons.len());
        }
        assert!(
            candidates
                .windows(2)
                .all(|w| w[0].match_weight >= w[1].match_weight)
        );
    }
    // Measured: 4988 of 5000 ranked first (the rest are not blocked with their match),
    // none wrongly in the link band.
    assert!(top1_right >= 4980, "{top1_right}");
    assert_eq!(linked_wrong, 0);

    // Inserting more people never changes who the earlier ones are.
    let before = index.score(&arrivals[0].0, 1).unwrap();
    index
        .insert(&Record::new("new-person", vec![""; columns.len()]))
        .unwrap();
    let after = index.score(&arrivals[0].0, 1).unwrap();
    assert_eq!(before, after);
}

#[test]
fn explanation_renders_as_a_waterfall() {
    let settings = febrl_settings();
    let (a, _) = load("febrl1", &settings);
    let (model, _) = train(&settings, Dataset::Dedupe(&a), &RunOptions::default());
    let text = model.explain(&a[0], &a[1]).to_string();
    assert!(text.contains("prior"), "{text}");
    assert!(text.contains("given_name"), "{text}");
    assert!(text.contains("match weight"), "{text}");
}

#[test]
fn a_replaced_person_is_found_by_their_new_details_and_a_removed_one_not_at_all() {
    let settings = febrl_settings();
    let (a, _) = load("febrl4a", &settings);
    let (b, _) = load("febrl4b", &settings);
    let (model, _) = train(
        &settings,
        Dataset::Link {
            left: &a,
            right: &b,
        },
        &RunOptions::default(),
    );
    let columns = model.settings().columns();
    let people = raw_records("febrl4a", &columns);
    let arrivals = raw_records("febrl4b", &columns);
    let mut index = Index::new(model);
    for (person, _) in &people {
        index.insert(person).unwrap();
    }
    // An arrival whose true match is ranked first.
    let entity_of: std::collections::HashMap<&str, &str> = people
        .iter()
        .map(|(p, e)| (p.id.as_str(), e.as_str()))
        .collect();
    let (arrival, best) = arrivals
        .iter()
        .find_map(|(arrival, entity)| {
            let best = index.score(arrival, 1).unwrap().pop()?;
            (entity_of[best.id.as_str()] == entity).then_some((arrival, best))
        })
        .expect("an arrival ranked with its match");

    // Corrected to exactly the arrival's details: still the same id, now a better match.
    let corrected = Record::new(best.id.clone(), arrival.values.clone());
    index.replace(&corrected).unwrap();
    assert_eq!(index.len(), 5000);
    let after = index.score(arrival, 1).unwrap().pop().unwrap();
    assert_eq!(after.id, best.id);
    assert!(after.match_weight > best.match_weight);
    // The old details are no longer scored: the person appears once.
    let top = index.score(arrival, 10).unwrap();
    assert_eq!(top.iter().filter(|c| c.id == best.id).count(), 1);

    // Removed: never a candidate again; removing twice is a no-op.
    assert!(index.remove(&best.id));
    assert!(!index.remove(&best.id));
    assert!(!index.contains(&best.id));
    assert_eq!(index.len(), 4999);
    let top = index.score(arrival, 10).unwrap();
    assert!(top.iter().all(|c| c.id != best.id), "{top:?}");
    // Replacing an unknown id adds them.
    index.replace(&corrected).unwrap();
    assert_eq!(index.len(), 5000);
    assert_eq!(index.score(arrival, 1).unwrap()[0].id, best.id);
}
