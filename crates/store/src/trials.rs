//! Trial allocations: which arm a case was randomised to, with what it takes to re-derive the
//! allocation (stratum, block, position, seed). One per case, never changed.

use checkpoint_domain::lifecycle::TrialArm;
use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AllocationRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub trial_id: String,
    pub stratum: String,
    pub block_number: i64,
    pub position_in_block: i64,
    /// A [`TrialArm`] name.
    pub arm: String,
    pub seed: String,
    pub allocated_by: Option<Uuid>,
    pub allocated_at: Instant,
}

#[derive(Debug, Clone)]
pub struct NewAllocation<'a> {
    pub case_id: Uuid,
    pub trial_id: &'a str,
    pub stratum: &'a str,
    pub block_number: i64,
    pub position_in_block: i64,
    pub arm: TrialArm,
    pub seed: &'a str,
    pub allocated_by: Option<Uuid>,
}

const COLUMNS: &str = "id, case_id, trial_id, stratum, block_number, position_in_block, arm, \
     seed, allocated_by, allocated_at";

/// Records an allocation; a second one for the same case is [`StoreError::Duplicate`].
pub async fn allocate(
    tx: &mut Tx,
    allocation: &NewAllocation<'_>,
) -> Result<AllocationRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO trial_allocations ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(allocation.case_id)
            .bind(allocation.trial_id)
            .bind(allocation.stratum)
            .bind(allocation.block_number)
            .bind(allocation.position_in_block)
            .bind(allocation.arm.as_str())
            .bind(allocation.seed)
            .bind(allocation.allocated_by)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk(
                    "trial_allocations_case_id_fkey",
                    Entity::Case,
                    Some(allocation.case_id),
                ),
                fk(
                    "trial_allocations_allocated_by_fkey",
                    Entity::User,
                    allocation.allocated_by,
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Option<AllocationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM trial_allocations WHERE case_id = $1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// A trial's allocations in the order they were made (the allocation log).
pub async fn for_trial(tx: &mut Tx, trial_id: &str) -> Result<Vec<AllocationRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM trial_allocations WHERE trial_id = $1 ORDER BY allocated_at, id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(trial_id)
            .fetch_all(conn)
            .await?
    }))
}

/// A trial's set-up: the seed and settings recorded before the first allocation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrialRow {
    pub trial_id: String,
    pub scheme_id: String,
    /// The allocation seed, as decimal text.
    pub seed: String,
    /// The allocation settings (ratio, block sizes, strata, policy) as JSON.
    pub settings_json: String,
    /// Allocations made so far.
    pub allocations: i64,
    pub set_up_by: Option<Uuid>,
    pub set_up_at: Instant,
}

#[derive(Debug, Clone)]
pub struct NewTrial<'a> {
    pub trial_id: &'a str,
    pub scheme_id: &'a str,
    pub seed: &'a str,
    pub settings: &'a serde_json::Value,
    pub set_up_by: Option<Uuid>,
}

const TRIAL_COLUMNS: &str =
    "trial_id, scheme_id, seed, settings_json, allocations, set_up_by, set_up_at";

pub async fn trial(tx: &mut Tx, trial_id: &str) -> Result<Option<TrialRow>, StoreError> {
    let sql = format!("SELECT {TRIAL_COLUMNS} FROM trials WHERE trial_id = $1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(trial_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// Records a trial's seed and settings, replacing an earlier set-up only while nothing has
/// been allocated. Returns `None` (and changes nothing) once allocations exist.
pub async fn set_up(tx: &mut Tx, trial: &NewTrial<'_>) -> Result<Option<TrialRow>, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO trials ({TRIAL_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6) \
         ON CONFLICT (trial_id) DO UPDATE SET scheme_id = excluded.scheme_id, \
         seed = excluded.seed, settings_json = excluded.settings_json, \
         set_up_by = excluded.set_up_by, set_up_at = excluded.set_up_at \
         WHERE trials.allocations = 0 \
         RETURNING {TRIAL_COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(trial.trial_id)
            .bind(trial.scheme_id)
            .bind(trial.seed)
            .bind(trial.settings.to_string())
            .bind(trial.set_up_by)
            .bind(now)
            .fetch_optional(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [fk("trials_set_up_by_fkey", Entity::User, trial.set_up_by)];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// Counts one more allocation for the trial and returns the trial row. The update locks the
/// row until the transaction ends, so allocations to one trial queue behind each other and
/// never compute the same slot.
pub async fn take_allocation_slot(tx: &mut Tx, trial_id: &str) -> Result<TrialRow, StoreError> {
    let sql = format!(
        "UPDATE trials SET allocations = allocations + 1 WHERE trial_id = $1 \
         RETURNING {TRIAL_COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(trial_id)
            .fetch_one(conn)
            .await
            .map_err(crate::error::not_found(Entity::TrialAllocation))
    })
}

/// How many allocations a stratum of a trial has had.
pub async fn count_in_stratum(
    tx: &mut Tx,
    trial_id: &str,
    stratum: &str,
) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM trial_allocations WHERE trial_id = $1 AND stratum = $2",
        )
        .bind(trial_id)
        .bind(stratum)
        .fetch_one(conn)
        .await?
    }))
}
