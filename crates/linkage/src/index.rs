//! Incremental linkage: an index of known people that a new record is scored against, one at a
//! time, as arrests arrive. Inserting never renumbers or re-clusters anyone: a person's id is
//! whatever the caller gave, for good.

use crate::blocking::BlockIndex;
use crate::compare::Value;
use crate::explain::Explanation;
use crate::model::{Band, Model, weight_to_probability};
use crate::record::{FieldError, PreparedRecord, Record};
use std::collections::HashMap;

/// A known person that a new record may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The person's id, as given to [`Index::insert`].
    pub id: String,
    pub match_weight: f64,
    pub match_probability: f64,
    pub band: Band,
    /// The waterfall: why this score.
    pub explanation: Explanation,
}

/// Why a person could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    #[error("a person with id `{0}` is already indexed")]
    DuplicateId(String),
    #[error("person `{id}`: {error}")]
    Field { id: String, error: FieldError },
}

/// Known people, blocked by the model's prediction rules.
///
/// A person whose details change is [replaced](Index::replace): the old entry is retired (kept
/// in the blocks but never scored again) and the new one appended under the same id; a person
/// who must no longer be found is [removed](Index::remove) the same way. Retired entries cost
/// their memory until the index is rebuilt, which corrections and erasures are rare enough to
/// allow.
#[derive(Debug, Clone)]
pub struct Index {
    model: Model,
    ids: Vec<String>,
    /// Per entry number: false once replaced or removed.
    live: Vec<bool>,
    retired: usize,
    /// Every person's prepared values back to back (`width` per person): one allocation, so
    /// a candidate costs one cache miss rather than a pointer chase and then another.
    values: Vec<Value>,
    width: usize,
    numbers: HashMap<String, u32>,
    blocks: BlockIndex,
}

impl Index {
    pub fn new(model: Model) -> Self {
        let blocks = BlockIndex::new(&model.settings().blocking);
        let width = model.settings().comparisons.len();
        Index {
            model,
            ids: Vec::new(),
            live: Vec::new(),
            retired: 0,
            values: Vec::new(),
            width,
            numbers: HashMap::new(),
            blocks,
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// How many people can be found (replaced and removed entries not counted).
    pub fn len(&self) -> usize {
        self.ids.len() - self.retired
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a person with this id can be found.
    pub fn contains(&self, id: &str) -> bool {
        self.numbers.contains_key(id)
    }

    /// Stops a person being found; false when no such id is indexed.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.numbers.remove(id) {
            Some(number) => {
                self.live[number as usize] = false;
                self.retired += 1;
                true
            }
            None => false,
        }
    }

    /// Adds a person, or replaces the details of one already indexed under the same id (a
    /// correction). The id keeps meaning the same person; on a field error nothing changes.
    pub fn replace(&mut self, person: &Record) -> Result<(), InsertError> {
        let prepared = self
            .model
            .settings()
            .prepare(&person.values)
            .map_err(|error| InsertError::Field {
                id: person.id.clone(),
                error,
            })?;
        self.remove(&person.id);
        self.insert_prepared(person.id.clone(), prepared)
    }

    /// Adds a person; their values follow [`Settings::columns`](crate::Settings::columns).
    pub fn insert(&mut self, person: &Record) -> Result<(), InsertError> {
        let prepared = self
            .model
            .settings()
            .prepare(&person.values)
            .map_err(|error| InsertError::Field {
                id: person.id.clone(),
                error,
            })?;
        self.insert_prepared(person.id.clone(), prepared)
    }

    /// Adds a person whose record is already prepared.
    pub fn insert_prepared(
        &mut self,
        id: String,
        record: PreparedRecord,
    ) -> Result<(), InsertError> {
        if self.numbers.contains_key(&id) {
            return Err(InsertError::DuplicateId(id));
        }
        let number = self.blocks.push(&record);
        self.numbers.insert(id.clone(), number);
        self.ids.push(id);
        self.live.push(true);
        self.values.extend_from_slice(record.values());
        Ok(())
    }

    fn person(&self, number: u32) -> &[Value] {
        &self.values[number as usize * self.width..][..self.width]
    }

    /// Scores a new record against everyone it blocks with, best first, at most `limit`.
    pub fn score(&self, record: &Record, limit: usize) -> Result<Vec<Candidate>, FieldError> {
        let prepared = self.model.settings().prepare(&record.values)?;
        Ok(self.score_prepared(&prepared, limit))
    }

    /// [`Index::score`] for a prepared record.
    pub fn score_prepared(&self, record: &PreparedRecord, limit: usize) -> Vec<Candidate> {
        let tf = self.model.tf_adjustments(record);
        let keys = self.blocks.keys_of(record);
        let mut scored: Vec<(f64, u32)> = Vec::new();
        self.blocks.for_each_candidate(&keys, None, |person| {
            if !self.live[person as usize] {
                return;
            }
            let (weight, _) = self
                .model
                .weigh_values(self.person(person), record.values(), &tf);
            scored.push((weight, person));
        });
        // Highest weight first; ties by insertion order so results are reproducible.
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(weight, person)| {
                let probability = weight_to_probability(weight);
                Candidate {
                    id: self.ids[person as usize].clone(),
                    match_weight: weight,
                    match_probability: probability,
                    band: self.model.band(probability),
                    explanation: self
                        .model
                        .explain(&PreparedRecord::new(self.person(person).to_vec()), record),
                }
            })
            .collect()
    }
}
