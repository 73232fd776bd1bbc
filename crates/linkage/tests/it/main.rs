//! Integration tests for checkpoint-linkage (one test binary: see ARCHITECTURE.md).

mod febrl;
mod fuzz_corpus;
mod incremental;
mod properties;
