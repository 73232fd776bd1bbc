//! Integration tests for checkpoint-domain (one test binary: see ARCHITECTURE.md).

mod fuzz_corpus;
