//! Bulk reads on SQLite, straight through the C API.
//!
//! sqlx-sqlite copies every value of every row (`sqlite3_value_dup`: an allocation each,
//! under SQLite's allocator mutex) and sends each row through a channel from its worker
//! thread; at 20 columns × 1,000,000 rows that was most of a report's time.
//! [`sqlx::SqliteConnection::lock_handle`] is sqlx's supported way to borrow the connection's
//! handle (the worker makes no call on it while the lock is held), so the read runs inside
//! the caller's transaction and sees its snapshot. The `unsafe` is confined to this file: one
//! prepared statement, stepped and finalised here, whose column pointers are read only while
//! the row is current.

// The one place the workspace allows `unsafe` (see the module comment).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use uuid::Uuid;

use super::{Param, RowView};
use crate::error::StoreError;
use crate::time::CivilDate;

/// Finalises the statement however the read ends.
struct Statement(*mut ffi::sqlite3_stmt);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared on a handle that is still locked (the guard
        // outlives this value) and is finalised exactly once.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

fn sqlite_error(db: *mut ffi::sqlite3, doing: &str) -> StoreError {
    // SAFETY: `db` is the locked, open handle; sqlite3_errmsg returns a NUL-terminated string
    // owned by SQLite, copied here before any further call.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    StoreError::Unsupported(format!("SQLite {doing}: {message}"))
}

pub(super) fn for_each_row(
    handle: NonNull<ffi::sqlite3>,
    sql: &str,
    params: &[Param],
    each: &mut (dyn FnMut(&dyn RowView) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    let db = handle.as_ptr();
    let text = CString::new(sql).map_err(|_| StoreError::Unsupported("NUL in SQL".into()))?;
    let mut raw: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
    // SAFETY: `db` is open and locked for us; `text` is NUL-terminated and outlives the call.
    let rc =
        unsafe { ffi::sqlite3_prepare_v2(db, text.as_ptr(), -1, &mut raw, std::ptr::null_mut()) };
    if rc != ffi::SQLITE_OK {
        return Err(sqlite_error(db, "prepare"));
    }
    let statement = Statement(raw);
    for (position, param) in params.iter().enumerate() {
        let name = CString::new(format!("${}", position + 1)).expect("no NUL in a number");
        // SAFETY: the statement is live; SQLITE_TRANSIENT makes SQLite copy the value now.
        let rc = unsafe {
            let index = ffi::sqlite3_bind_parameter_index(statement.0, name.as_ptr());
            if index == 0 {
                return Err(StoreError::Unsupported(format!(
                    "bulk read: no parameter ${} in the query",
                    position + 1
                )));
            }
            match param {
                Param::Uuid(id) => ffi::sqlite3_bind_blob(
                    statement.0,
                    index,
                    id.as_bytes().as_ptr().cast(),
                    16,
                    ffi::SQLITE_TRANSIENT(),
                ),
                text => {
                    let value = text.as_text();
                    ffi::sqlite3_bind_text(
                        statement.0,
                        index,
                        value.as_ptr().cast(),
                        c_int::try_from(value.len()).unwrap_or(c_int::MAX),
                        ffi::SQLITE_TRANSIENT(),
                    )
                }
            }
        };
        if rc != ffi::SQLITE_OK {
            return Err(sqlite_error(db, "bind"));
        }
    }
    loop {
        // SAFETY: the statement is live and only this thread uses the handle.
        match unsafe { ffi::sqlite3_step(statement.0) } {
            ffi::SQLITE_ROW => each(&SqliteView(statement.0))?,
            ffi::SQLITE_DONE => return Ok(()),
            _ => return Err(sqlite_error(db, "step")),
        }
    }
}

/// The current row of a stepped statement. Valid only inside the callback: the next step
/// invalidates the pointers its getters return.
struct SqliteView(*mut ffi::sqlite3_stmt);

impl SqliteView {
    /// The column's value in the current row.
    ///
    /// Values are read through `sqlite3_column_value` and the `sqlite3_value_*` functions
    /// rather than the `sqlite3_column_*` ones: each of those locks and unlocks the
    /// connection and checks the column index again, which for a dozen text columns of a
    /// million rows was a fifth of the read. SQLite calls such a value "unprotected": safe to
    /// read only while no other thread uses the connection, which holds here (the handle is
    /// locked for this read).
    fn value(&self, column: usize) -> *mut ffi::sqlite3_value {
        // SAFETY: the statement has a current row (SQLITE_ROW) for the callback's duration;
        // an index out of range gives SQLite's NULL value, not undefined behaviour.
        unsafe { ffi::sqlite3_column_value(self.0, column as c_int) }
    }

    fn bytes(&self, column: usize) -> &[u8] {
        // SAFETY: the value belongs to the current row; for a BLOB or TEXT the pointer stays
        // valid until the next step or a type conversion, and `&self` ends before either
        // (sqlite3_value_bytes is called after the pointer, as SQLite documents).
        unsafe {
            let value = self.value(column);
            let data = ffi::sqlite3_value_blob(value);
            let len = ffi::sqlite3_value_bytes(value);
            if data.is_null() || len <= 0 {
                &[]
            } else {
                std::slice::from_raw_parts(data.cast::<u8>(), len as usize)
            }
        }
    }

    fn invalid(column: usize, what: &str) -> StoreError {
        StoreError::InvalidStoredValue(format!("column {column}: {what}"))
    }
}

impl RowView for SqliteView {
    fn uuid(&self, column: usize) -> Result<Uuid, StoreError> {
        Uuid::from_slice(self.bytes(column))
            .map_err(|e| Self::invalid(column, &format!("not a UUID ({e})")))
    }

    fn text_bytes(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
        // SAFETY: as in `bytes`. sqlite3_value_text gives a null pointer for NULL, and
        // otherwise only when out of memory, which is told apart by the error code.
        unsafe {
            let value = self.value(column);
            let data = ffi::sqlite3_value_text(value);
            if data.is_null() {
                if ffi::sqlite3_errcode(ffi::sqlite3_db_handle(self.0)) == ffi::SQLITE_NOMEM {
                    return Err(Self::invalid(column, "out of memory reading text"));
                }
                return Ok(None);
            }
            let len = ffi::sqlite3_value_bytes(value);
            Ok(Some(std::slice::from_raw_parts(
                data,
                usize::try_from(len).unwrap_or(0),
            )))
        }
    }

    fn blob(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
        // SAFETY: as in `bytes`.
        let kind = unsafe { ffi::sqlite3_value_type(self.value(column)) };
        match kind {
            ffi::SQLITE_NULL => Ok(None),
            ffi::SQLITE_BLOB => Ok(Some(self.bytes(column))),
            _ => Err(Self::invalid(column, "not a BLOB")),
        }
    }

    fn date(&self, column: usize) -> Result<Option<CivilDate>, StoreError> {
        self.text_bytes(column)?
            .map(|text| {
                parse_date(text)
                    .map(CivilDate)
                    .map_err(|e| Self::invalid(column, &format!("not a date ({e})")))
            })
            .transpose()
    }
}

/// A date as the store writes them (`YYYY-MM-DD`) without jiff's general ISO 8601 parser,
/// which costs more than the rest of a row when a report reads three dates for each of a
/// million cases. Anything else goes to that parser, and fails or succeeds as it says.
fn parse_date(text: &[u8]) -> Result<jiff::civil::Date, jiff::Error> {
    fn digits(bytes: &[u8]) -> Option<i16> {
        bytes.iter().try_fold(0i16, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i16::from(b - b'0'))
        })
    }
    if let [y @ .., b'-', m0, m1, b'-', d0, d1] = text
        && y.len() == 4
        && let (Some(year), Some(month), Some(day)) =
            (digits(y), digits(&[*m0, *m1]), digits(&[*d0, *d1]))
        && let Ok(date) = jiff::civil::Date::new(year, month as i8, day as i8)
    {
        return Ok(date);
    }
    // What `str::parse::<Date>` does, but over bytes.
    jiff::fmt::temporal::DateTimeParser::new().parse_date(text)
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_parse_as_jiff_parses_them() {
        for text in [
            "2026-11-22",
            "2024-02-29",
            "0001-01-01",
            "9999-12-31",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "20261122",
            "2026-11-22T00:00",
            "+2026-11-22",
            "２026-11-22",
            "",
        ] {
            assert_eq!(
                parse_date(text.as_bytes()).ok(),
                text.parse::<jiff::civil::Date>().ok(),
                "{text:?}"
            );
        }
    }
}
