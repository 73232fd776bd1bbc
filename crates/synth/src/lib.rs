//! Synthetic programme data at any scale, deterministic for a seed.
//!
//! Checkpoint's demo, benchmarks and evaluation tests need data that behaves like a real
//! force's, and real data can never be used. This crate generates it: people with UK-style
//! names of varied origins living in a fictional force area ("Ridgedale", postcodes `QX…`
//! that Royal Mail can never issue), custody referrals to three schemes (the shipped Durham
//! Checkpoint, DIVERT and DEP policies) spread over 2019–2026, a planned trajectory per case at
//! published rates (domain.md §1, §3, §10), optional trial arms with a true effect a trial
//! report must recover, and an arrest feed with the identity noise linkage must cope with.
//!
//! Layout:
//! - [`rng`]: SplitMix64, one independent stream per record; why not `rand` is explained there.
//! - [`names`] (data in `data/names.txt`), [`area`], [`people`]: who.
//! - [`offences`], [`schemes`] (every rate, with its source), [`referrals`]: what and where.
//! - [`trajectory`], [`reoffending`]: what happens, step by step, and later reoffending.
//! - [`noise`], [`arrests`]: the arrest feed.
//! - [`generator`]: [`Config`] and [`Generator`] (case *i* is a pure function of the config
//!   and *i*; [`Generator::iter`] streams cases in time order with flat memory).
//! - [`records`]: CSV rows and the referrals.jsonl line.
//! - `demo` (feature `app`): drives the real use cases into a database; [`demo::seed_demo`].
//!
//! Invariant: the core does no IO. It reads no clock and opens no file; the CLI writes files
//! and the `demo` module (behind the `app` feature) talks to the database through `App`.
//! Everything is synthetic: names are random combinations, postcodes and PNC ids fictional.

pub mod area;
pub mod arrests;
pub mod generator;
pub mod names;
pub mod noise;
pub mod offences;
pub mod people;
pub mod records;
pub mod referrals;
pub mod reoffending;
pub mod rng;
pub mod schemes;
pub mod time;
pub mod trajectory;

#[cfg(feature = "app")]
pub mod demo;

pub use generator::{Config, GeneratedCase, Generator, SynthCase, TrialDesign};
pub use schemes::Scheme;
pub use trajectory::{Branches, Ending, Step, Trajectory};
