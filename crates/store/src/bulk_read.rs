//! Streaming reads of very many rows, one row at a time through a borrowed view, on either
//! backend: for the reads that return a row per case of a national database (the reports'
//! read model, [`crate::report_projection`]). Rows are streamed, never collected, and read in
//! the caller's transaction, so they are in its snapshot.
//!
//! sqlx's own row types cost more than the reads themselves at a million rows of twenty
//! columns, so each backend has a reader of its own:
//! - [`sqlite`]: straight through the C API (sqlx-sqlite copies every value of every row and
//!   sends each row through a channel from its worker thread);
//! - [`postgres`]: `COPY (query) TO STDOUT` in the binary format, parsed here (sqlx's row
//!   stream builds a row and checks each value's type for every value).

use uuid::Uuid;

use crate::db::{Tx, TxConn};
use crate::error::StoreError;
use crate::time::{CivilDate, Instant};

mod postgres;
mod sqlite;

/// A parameter of a bulk read (`$1`, `$2`, … in order).
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Instant(Instant),
    Uuid(Uuid),
}

impl Param {
    /// The value as text: an instant in its canonical form, a UUID hyphenated (PostgreSQL
    /// parses both; SQLite gets a UUID as its 16 bytes, the form it stores them in).
    fn as_text(&self) -> String {
        match self {
            Param::Text(text) => text.clone(),
            Param::Instant(instant) => instant.to_canonical_string(),
            Param::Uuid(id) => id.to_string(),
        }
    }
}

/// One row of a bulk read, borrowed for the callback's duration.
pub(crate) trait RowView {
    fn uuid(&self, column: usize) -> Result<Uuid, StoreError>;
    /// A text column's bytes, not yet checked to be UTF-8: a reader that copies many values
    /// out checks them all at once (see `report_projection::RowBatch`), far cheaper than one
    /// at a time.
    fn text_bytes(&self, column: usize) -> Result<Option<&[u8]>, StoreError>;
    fn text(&self, column: usize) -> Result<Option<&str>, StoreError> {
        self.text_bytes(column)?
            .map(|bytes| {
                std::str::from_utf8(bytes).map_err(|_| {
                    StoreError::InvalidStoredValue(format!("column {column}: text is not UTF-8"))
                })
            })
            .transpose()
    }
    /// A BLOB (SQLite) or BYTEA (PostgreSQL) column's bytes.
    fn blob(&self, column: usize) -> Result<Option<&[u8]>, StoreError>;
    fn date(&self, column: usize) -> Result<Option<CivilDate>, StoreError>;
}

/// Runs `sql` in `tx` and calls `each` with every row, in the order the query returns them.
/// If `each` fails, the read stops there and its error is returned.
pub(crate) async fn for_each_row(
    tx: &mut Tx,
    sql: &str,
    params: &[Param],
    each: &mut (dyn FnMut(&dyn RowView) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    match &mut tx.conn {
        TxConn::Sqlite(transaction) => {
            let mut handle = transaction.lock_handle().await?;
            sqlite::for_each_row(handle.as_raw_handle(), sql, params, each)
        }
        TxConn::Postgres(transaction) => {
            postgres::for_each_row(transaction, sql, params, each).await
        }
    }
}
