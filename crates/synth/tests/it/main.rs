//! checkpoint-synth integration tests: one binary (see ARCHITECTURE.md, "Testing").

mod database;
mod determinism;
mod distributions;
mod noise;
mod policy_agreement;
