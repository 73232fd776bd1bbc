//! The store's tests use the same both-backends helpers every crate's tests use.

pub use checkpoint_store::testing::*;
