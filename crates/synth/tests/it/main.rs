//! checkpoint-synth integration tests: one binary (see ARCHITECTURE.md, "Testing").

mod determinism;
