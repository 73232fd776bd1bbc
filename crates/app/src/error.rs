//! One error type for every use case. Each variant says what a client did wrong (and which field)
//! or that something failed inside; adapters map them to HTTP statuses, form errors or exit codes.

use crate::permissions::Action;
use checkpoint_domain::lifecycle::IllegalTransition;
use checkpoint_store::{Entity, StoreError};
use serde::Serialize;

/// A problem with one input field, named by its path (`offence.offence_date`, `conditions[2].hours`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session or token.
    #[error("sign in first")]
    Unauthenticated,
    /// The actor's role may not do this.
    #[error("your role may not {action:?}")]
    Forbidden { action: Action },
    /// Unknown id, or a record outside the actor's scope (deliberately indistinguishable).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The input is wrong; every problem found is listed.
    #[error("{}", describe_fields(.0))]
    Invalid(Vec<FieldError>),
    /// Someone else changed the case since it was read.
    #[error(
        "someone else changed this case (it is now at version {current_version}); reload and try again"
    )]
    Conflict { current_version: i64 },
    /// The case's state does not allow this step.
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    /// Something failed inside (database down, corrupt row): not the client's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

fn entity_name(entity: Entity) -> &'static str {
    entity.as_str()
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::NotFound(entity) => AppError::NotFound {
                what: entity_name(entity),
            },
            StoreError::Conflict { current_version } => AppError::Conflict { current_version },
            StoreError::DuplicateUsername(name) => {
                AppError::invalid("username", format!("{name:?} is already taken"))
            }
            StoreError::UnknownReference(entity) => AppError::invalid(
                format!("{}_id", entity_name(entity)),
                format!("no such {}", entity_name(entity)),
            ),
            StoreError::Duplicate { entity, detail } => {
                AppError::invalid(entity_name(entity), format!("already recorded: {detail}"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}
