//! checkpoint-synth integration tests: one binary (see ARCHITECTURE.md, "Testing").

mod bulk;
mod database;
mod determinism;
mod distributions;
mod noise;
mod policy_agreement;
mod trial;
