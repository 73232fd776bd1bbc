//! Integration tests for checkpoint-linkage (one test binary: see ARCHITECTURE.md).

mod febrl;
mod incremental;
mod properties;
