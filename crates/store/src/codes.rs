//! Domain enums are stored as their serde (snake_case) names, so the text in the database is
//! the same word the JSON API and the policy files use.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;

pub(crate) fn to_code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        other => panic!("a stored code must serialise to a string, got {other:?}"),
    }
}

pub(crate) fn from_code<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| StoreError::InvalidStoredValue(format!("{text:?}: {e}")))
}
