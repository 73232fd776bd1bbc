//! One integration-test binary for the application layer. Every story runs on a fresh SQLite
//! file and, when `TEST_DATABASE_URL` is set, again on a fresh PostgreSQL database.

mod accounts;
mod case_view;
mod concurrency;
mod custody;
mod fuzz_corpus;
mod helpers;
mod lifecycle_story;
mod monitoring;
mod navigation_fixtures;
mod navigator;
mod permission_matrix;
mod reports;
mod retention;
mod supervisor;
mod trial;
