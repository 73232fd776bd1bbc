//! One integration-test binary for the store. Every test runs its story on a fresh SQLite file
//! and, when `TEST_DATABASE_URL` is set, again on a fresh PostgreSQL database (see
//! [`helpers::backends`]).

mod audit;
mod backup;
mod cases;
mod errors;
mod fixtures;
mod helpers;
mod report_projection;
mod rollback;
