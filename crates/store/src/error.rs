//! [`StoreError`] and the mapping from database constraint violations to it.
//!
//! PostgreSQL names the violated constraint, so unique and foreign-key violations are mapped by
//! constraint name. SQLite names the column for unique violations (`UNIQUE constraint failed:
//! users.username`) but says nothing about which foreign key failed, so for those the store
//! probes, inside the same transaction, which of the referenced rows is missing.

use std::fmt;

use sqlx::error::ErrorKind;
use uuid::Uuid;

use crate::db::{Tx, on_tx};

/// The kinds of record the store keeps, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Person,
    Referral,
    Decision,
    Case,
    CaseEvent,
    Contract,
    Condition,
    Appointment,
    ProviderReferral,
    NeedsAssessment,
    TrialAllocation,
    User,
    Session,
    AuditEntry,
    LinkageModel,
    Arrest,
    ClericalReview,
    ReoffendingEvent,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Person => "person",
            Entity::Referral => "referral",
            Entity::Decision => "decision",
            Entity::Case => "case",
            Entity::CaseEvent => "case event",
            Entity::Contract => "contract",
            Entity::Condition => "condition",
            Entity::Appointment => "appointment",
            Entity::ProviderReferral => "provider referral",
            Entity::NeedsAssessment => "needs assessment",
            Entity::TrialAllocation => "trial allocation",
            Entity::User => "user",
            Entity::Session => "session",
            Entity::AuditEntry => "audit entry",
            Entity::LinkageModel => "linkage model",
            Entity::Arrest => "arrest",
            Entity::ClericalReview => "clerical review",
            Entity::ReoffendingEvent => "reoffending event",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Entity::Person => "people",
            Entity::Referral => "referrals",
            Entity::Decision => "decisions",
            Entity::Case => "cases",
            Entity::CaseEvent => "case_events",
            Entity::Contract => "contracts",
            Entity::Condition => "contract_conditions",
            Entity::Appointment => "appointments",
            Entity::ProviderReferral => "provider_referrals",
            Entity::NeedsAssessment => "needs_assessments",
            Entity::TrialAllocation => "trial_allocations",
            Entity::User => "users",
            Entity::Session => "sessions",
            Entity::AuditEntry => "audit_log",
            Entity::LinkageModel => "linkage_models",
            Entity::Arrest => "arrests",
            Entity::ClericalReview => "clerical_reviews",
            Entity::ReoffendingEvent => "reoffending_events",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(Entity),
    /// Someone else changed the record since it was read; reload and retry.
    #[error("the record was changed by someone else (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error("case reference {0} is already taken")]
    DuplicateCaseReference(String),
    #[error("username {0:?} is already taken")]
    DuplicateUsername(String),
    /// A unique constraint other than the named ones (e.g. a second trial allocation for a case).
    #[error("duplicate {entity}: {detail}")]
    Duplicate { entity: Entity, detail: String },
    /// A foreign key pointed at a row that does not exist.
    #[error("unknown {0}")]
    UnknownReference(Entity),
    #[error("stored value is invalid: {0}")]
    InvalidStoredValue(String),
    #[error("restore needs an empty database, but table {table} has {rows} rows")]
    RestoreTargetNotEmpty { table: &'static str, rows: i64 },
    #[error("backup file is not usable: {0}")]
    BadBackup(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

/// A foreign key an insert or update sets: which constraint (its PostgreSQL name), what it
/// points at, and the id it was given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForeignKey {
    pub constraint: &'static str,
    pub entity: Entity,
    pub id: Option<Uuid>,
}

pub(crate) const fn fk(constraint: &'static str, entity: Entity, id: Option<Uuid>) -> ForeignKey {
    ForeignKey {
        constraint,
        entity,
        id,
    }
}

/// Unique constraints with their own error variant or entity, by PostgreSQL constraint name and
/// by the `table.column` list SQLite reports.
const UNIQUE_CONSTRAINTS: &[(&str, &str, Entity)] = &[
    ("cases_reference_key", "cases.reference", Entity::Case),
    ("users_username_key", "users.username", Entity::User),
    (
        "trial_allocations_case_id_key",
        "trial_allocations.case_id",
        Entity::TrialAllocation,
    ),
    (
        "trial_allocations_slot",
        "trial_allocations.trial_id, trial_allocations.stratum, \
         trial_allocations.block_number, trial_allocations.position_in_block",
        Entity::TrialAllocation,
    ),
    (
        "case_events_case_id_sequence_key",
        "case_events.case_id, case_events.sequence",
        Entity::CaseEvent,
    ),
    (
        "contracts_case_id_version_key",
        "contracts.case_id, contracts.version",
        Entity::Contract,
    ),
    ("sessions_pkey", "sessions.token_hash", Entity::Session),
    (
        "arrests_source_ref_key",
        "arrests.source, arrests.arrest_ref",
        Entity::Arrest,
    ),
    (
        "reoffending_events_arrest_case_key",
        "reoffending_events.arrest_id, reoffending_events.case_id",
        Entity::ReoffendingEvent,
    ),
];

/// Turns a failed statement into a [`StoreError`]. `value` is the natural key the statement
/// tried to insert (a reference or username), used in duplicate messages.
pub(crate) async fn classify(
    tx: &mut Tx,
    error: sqlx::Error,
    foreign_keys: &[ForeignKey],
    value: &str,
) -> StoreError {
    let Some(db_error) = error.as_database_error() else {
        return StoreError::Database(error);
    };
    match db_error.kind() {
        ErrorKind::UniqueViolation => {
            let name = db_error.constraint().map(str::to_owned);
            let message = db_error.message().to_owned();
            let found = UNIQUE_CONSTRAINTS
                .iter()
                .find(|(pg_name, sqlite_columns, _)| {
                    name.as_deref() == Some(*pg_name)
                        || message.strip_prefix("UNIQUE constraint failed: ")
                            == Some(*sqlite_columns)
                });
            match found {
                Some(("cases_reference_key", ..)) => {
                    StoreError::DuplicateCaseReference(value.to_owned())
                }
                Some(("users_username_key", ..)) => StoreError::DuplicateUsername(value.to_owned()),
                Some((_, _, entity)) => StoreError::Duplicate {
                    entity: *entity,
                    detail: message,
                },
                None => StoreError::Database(error),
            }
        }
        ErrorKind::ForeignKeyViolation => {
            if let Some(name) = db_error.constraint() {
                return match foreign_keys.iter().find(|k| k.constraint == name) {
                    Some(key) => StoreError::UnknownReference(key.entity),
                    None => StoreError::Database(error),
                };
            }
            // SQLite: find the first referenced row that is missing.
            for key in foreign_keys {
                let Some(id) = key.id else { continue };
                match exists(tx, key.entity, id).await {
                    Ok(false) => return StoreError::UnknownReference(key.entity),
                    Ok(true) => {}
                    Err(probe) => return probe,
                }
            }
            StoreError::Database(error)
        }
        _ => StoreError::Database(error),
    }
}

/// Whether a row with this id exists in the entity's table.
pub(crate) async fn exists(tx: &mut Tx, entity: Entity, id: Uuid) -> Result<bool, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE id = $1", entity.table());
    let count: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await?
    });
    Ok(count > 0)
}

/// Maps `RowNotFound` to [`StoreError::NotFound`] for the given entity.
pub(crate) fn not_found(entity: Entity) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match error {
        sqlx::Error::RowNotFound => StoreError::NotFound(entity),
        other => StoreError::Database(other),
    }
}
