//! One integration-test binary for the web crate: the real server on 127.0.0.1:0 over a fresh
//! database on each backend (SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set), driven
//! by a plain HTTP client.

mod admin;
mod auth;
mod browser;
mod errors;
mod helpers;
mod hostile;
mod linkage_pages;
mod monitoring;
mod openapi;
mod reports;
mod route_matrix;
mod security;
mod story;
