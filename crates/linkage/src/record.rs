//! Records as the linker sees them: raw values in, prepared values out.

use crate::compare::Value;
use std::fmt;

/// A raw input record: an id and one value per column of
/// [`Settings::columns`](crate::Settings::columns), in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub values: Vec<String>,
}

impl Record {
    pub fn new(id: impl Into<String>, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Record {
            id: id.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// A record with every comparison's value prepared, one per
/// [`Settings::comparisons`](crate::Settings::comparisons) entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRecord {
    values: Box<[Value]>,
}

impl PreparedRecord {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        PreparedRecord {
            values: values.into_boxed_slice(),
        }
    }

    /// The prepared value of comparison `c`.
    pub fn value(&self, c: usize) -> &Value {
        &self.values[c]
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// A value that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.message)
    }
}

impl std::error::Error for FieldError {}
