//! Contracts and their conditions. Contracts are versioned: signing creates version 1 and each
//! variation inserts a new version with its own conditions, so every earlier version stays
//! readable exactly as the participant signed it.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::{CivilDate, Instant};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContractRow {
    pub id: Uuid,
    pub case_id: Uuid,
    /// 1 for the original contract, then one more per variation.
    pub version: i64,
    pub start_date: CivilDate,
    pub end_date: CivilDate,
    pub signed_on: Option<CivilDate>,
    /// Why this version replaced the previous one (`None` for version 1).
    pub variation_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConditionRow {
    pub id: Uuid,
    pub contract_id: Uuid,
    /// Order on the contract, from 1.
    pub position: i64,
    /// The id of the policy catalogue's condition type.
    pub condition_type: String,
    pub description: String,
    /// A [`checkpoint_domain::contract::Pathway`] name, for pathway interventions.
    pub pathway: Option<String>,
    pub hours: Option<i64>,
    pub due_date: Option<CivilDate>,
    /// A [`checkpoint_domain::contract::ConditionStatus`] name.
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct NewCondition<'a> {
    pub condition_type: &'a str,
    pub description: &'a str,
    pub pathway: Option<&'a str>,
    pub hours: Option<i64>,
    pub due_date: Option<CivilDate>,
    pub status: &'a str,
}

#[derive(Debug, Clone)]
pub struct NewContract<'a> {
    pub case_id: Uuid,
    pub start_date: CivilDate,
    pub end_date: CivilDate,
    pub signed_on: Option<CivilDate>,
    pub variation_reason: Option<&'a str>,
    pub created_by: Option<Uuid>,
    pub conditions: &'a [NewCondition<'a>],
}

const COLUMNS: &str = "id, case_id, version, start_date, end_date, signed_on, variation_reason, created_by, created_at";
const CONDITION_COLUMNS: &str =
    "id, contract_id, position, condition_type, description, pathway, hours, due_date, status";

/// Inserts the next version of the case's contract with its conditions (version 1 if none).
pub async fn insert_version(
    tx: &mut Tx,
    contract: &NewContract<'_>,
) -> Result<(ContractRow, Vec<ConditionRow>), StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO contracts ({COLUMNS}) \
         SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6, $7, $8 \
         FROM contracts WHERE case_id = $2 RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(contract.case_id)
            .bind(contract.start_date)
            .bind(contract.end_date)
            .bind(contract.signed_on)
            .bind(contract.variation_reason)
            .bind(contract.created_by)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    let row: ContractRow = match result {
        Ok(row) => row,
        Err(error) => {
            let keys = [
                fk(
                    "contracts_case_id_fkey",
                    Entity::Case,
                    Some(contract.case_id),
                ),
                fk(
                    "contracts_created_by_fkey",
                    Entity::User,
                    contract.created_by,
                ),
            ];
            return Err(classify(tx, error, &keys, "").await);
        }
    };
    let mut conditions = Vec::with_capacity(contract.conditions.len());
    for (index, condition) in contract.conditions.iter().enumerate() {
        let position = i64::try_from(index).expect("few conditions") + 1;
        conditions.push(insert_condition(tx, row.id, position, condition).await?);
    }
    Ok((row, conditions))
}

async fn insert_condition(
    tx: &mut Tx,
    contract_id: Uuid,
    position: i64,
    condition: &NewCondition<'_>,
) -> Result<ConditionRow, StoreError> {
    let sql = format!(
        "INSERT INTO contract_conditions ({CONDITION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CONDITION_COLUMNS}"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(contract_id)
            .bind(position)
            .bind(condition.condition_type)
            .bind(condition.description)
            .bind(condition.pathway)
            .bind(condition.hours)
            .bind(condition.due_date)
            .bind(condition.status)
            .fetch_one(conn)
            .await?
    }))
}

/// The newest version of the case's contract, if it has one.
pub async fn current(tx: &mut Tx, case_id: Uuid) -> Result<Option<ContractRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM contracts WHERE case_id = $1 ORDER BY version DESC LIMIT 1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// Every version of the case's contract, oldest first.
pub async fn versions(tx: &mut Tx, case_id: Uuid) -> Result<Vec<ContractRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM contracts WHERE case_id = $1 ORDER BY version");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

pub async fn conditions(tx: &mut Tx, contract_id: Uuid) -> Result<Vec<ConditionRow>, StoreError> {
    let sql = format!(
        "SELECT {CONDITION_COLUMNS} FROM contract_conditions WHERE contract_id = $1 ORDER BY position"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(contract_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Sets a condition's status (met, breached, …) on the current contract version.
pub async fn set_condition_status(
    tx: &mut Tx,
    condition_id: Uuid,
    status: &str,
) -> Result<ConditionRow, StoreError> {
    let sql = format!(
        "UPDATE contract_conditions SET status = $2 WHERE id = $1 RETURNING {CONDITION_COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(condition_id)
            .bind(status)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Condition))
    })
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<ContractRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM contracts WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Contract))
    })
}

/// Records the day the participant signed this version. A version is signed once: signing it
/// again (or a missing id) is `NotFound`, so a signature is never silently replaced.
pub async fn mark_signed(
    tx: &mut Tx,
    contract_id: Uuid,
    signed_on: CivilDate,
) -> Result<ContractRow, StoreError> {
    let sql = format!(
        "UPDATE contracts SET signed_on = $2 WHERE id = $1 AND signed_on IS NULL \
         RETURNING {COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(contract_id)
            .bind(signed_on)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Contract))
    })
}

pub async fn condition(tx: &mut Tx, id: Uuid) -> Result<ConditionRow, StoreError> {
    let sql = format!("SELECT {CONDITION_COLUMNS} FROM contract_conditions WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Condition))
    })
}
