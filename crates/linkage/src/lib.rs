//! Record linkage for Checkpoint: deciding whether a new arrest record is a person already
//! known, when names are misspelt, dates of birth have day and month swapped, people move and
//! identifiers are often missing.
//!
//! It is a Fellegi–Sunter model in the manner of Splink (the Ministry of Justice's linker):
//! comparisons with ordered levels, u estimated from random pairs, m from expectation
//! maximisation without labels, match weights as log2 Bayes factors, term-frequency
//! adjustment for common names, and a waterfall explanation per pair.
//!
//! **No IO**: callers pass records in memory and read files themselves (the `checkpoint link`
//! command does the CSV work). Nothing here reads the clock, the disk or the network.
//!
//! # Layout
//! - [`normalise`]: folding names, text, identifiers and UK postcodes to canonical forms.
//! - [`phonetic`], [`nicknames`]: Soundex, Double Metaphone, and the nickname table
//!   (`data/nicknames.txt`).
//! - [`compare`]: [`Comparison`]s with ordered levels ([`LevelTest`]) over prepared
//!   [`Value`]s; dates in `compare/date.rs`, string distances in `compare/edit.rs`.
//! - [`settings`]: the TOML settings file, validated with line/column errors.
//! - [`blocking`]: blocking rules, their keys and the [`BlockIndex`] that produces candidate
//!   pairs (each pair once, however many rules produce it).
//! - [`em`]: expectation maximisation for m and the prior λ.
//! - [`model`]: the trained, serialisable [`Model`]; scoring and explanations ([`explain`]).
//! - [`linker`]: batch [`train`], [`predict`], and [`link`] (both, comparing each pair once)
//!   over one or two datasets.
//! - [`index`]: the incremental [`Index`]: `insert(person)`, `score(record)`.
//! - [`evaluate`]: precision, recall and F1 against ground truth.
//!
//! # Using it
//! ```
//! use checkpoint_linkage::{Dataset, Index, Record, RunOptions, Settings, train};
//!
//! let settings = Settings::from_toml(r#"
//!     id_column = "id"
//!     [[comparison]]
//!     column = "surname"
//!     kind = "name"
//!     [[comparison]]
//!     column = "dob"
//!     kind = "date"
//!     [[blocking]]
//!     on = ["exact(dob)"]
//!     [[blocking]]
//!     on = ["soundex(surname)"]
//! "#, "example.toml").unwrap();
//! let people = [("p1", "Smith", "1990-04-03"), ("p2", "Jones", "1985-01-02")];
//! let prepared: Vec<_> = people.iter()
//!     .map(|(_, name, dob)| settings.prepare(&[*name, *dob]).unwrap())
//!     .collect();
//! let (model, _report) = train(&settings, Dataset::Dedupe(&prepared), &RunOptions::default());
//!
//! let mut index = Index::new(model);
//! for (id, name, dob) in people {
//!     index.insert(&Record::new(id, [name, dob])).unwrap();
//! }
//! let best = index.score(&Record::new("arrest-1", ["Smyth", "1990-03-04"]), 5).unwrap();
//! assert_eq!(best[0].id, "p1");
//! println!("{}", best[0].explanation);
//! ```

pub mod blocking;
pub mod compare;
pub mod em;
pub mod evaluate;
pub mod explain;
pub mod index;
pub mod linker;
pub mod model;
pub mod nicknames;
pub mod normalise;
mod parallel;
pub mod phonetic;
pub mod record;
mod rng;
pub mod settings;

pub use blocking::{BlockIndex, BlockingRule, KeyFunction, KeyPart};
pub use compare::{Comparison, FieldKind, LevelTest, NULL_LEVEL, Value};
pub use evaluate::Confusion;
pub use explain::{Explanation, FieldContribution};
pub use index::{Candidate, Index, InsertError};
pub use linker::{
    Dataset, Prediction, RunOptions, ScoredPair, TrainingReport, best_per_right, link, passes,
    predict, train,
};
pub use model::{Band, Model, ModelData, ModelError, weight_to_probability};
pub use parallel::thread_count;
pub use record::{FieldError, PreparedRecord, Record};
pub use settings::{Settings, SettingsError, SettingsErrors};
