//! Eligibility decisions: the policy's advice and the person's decision, with the evidence.
//!
//! The advice (the policy engine's verdict) and the decision are stored side by side. A
//! decision that departs from the advice must carry a coded override reason (a CHECK
//! constraint enforces it), because the recorded decision is a person's, not the machine's.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub policy_id: String,
    pub policy_version: String,
    /// SHA-256 of the policy file the evaluation ran on.
    pub policy_hash: String,
    /// The policy engine's verdict (eligible / ineligible / needs_information).
    pub advised_outcome: String,
    /// The decision maker's outcome.
    pub outcome: String,
    /// The full evaluation: every criterion with its verdict and evidence.
    pub evaluation_json: String,
    pub decided_by: Uuid,
    pub decided_at: Instant,
    pub follows_advice: bool,
    pub override_code: Option<String>,
    pub override_reason: Option<String>,
}

/// How the decision relates to the advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdviceTaken<'a> {
    Accepted,
    Overridden { code: &'a str, reason: &'a str },
}

#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub referral_id: Uuid,
    pub policy_id: &'a str,
    pub policy_version: &'a str,
    pub policy_hash: &'a str,
    pub advised_outcome: &'a str,
    pub outcome: &'a str,
    pub evaluation: &'a serde_json::Value,
    pub decided_by: Uuid,
    pub advice: AdviceTaken<'a>,
}

const COLUMNS: &str = "id, referral_id, policy_id, policy_version, policy_hash, advised_outcome, \
     outcome, evaluation_json, decided_by, decided_at, follows_advice, override_code, override_reason";

pub async fn insert(tx: &mut Tx, decision: &NewDecision<'_>) -> Result<DecisionRow, StoreError> {
    let now = tx.now();
    let (follows_advice, code, reason) = match decision.advice {
        AdviceTaken::Accepted => (true, None, None),
        AdviceTaken::Overridden { code, reason } => (false, Some(code), Some(reason)),
    };
    let sql = format!(
        "INSERT INTO decisions ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(decision.referral_id)
            .bind(decision.policy_id)
            .bind(decision.policy_version)
            .bind(decision.policy_hash)
            .bind(decision.advised_outcome)
            .bind(decision.outcome)
            .bind(decision.evaluation.to_string())
            .bind(decision.decided_by)
            .bind(now)
            .bind(follows_advice)
            .bind(code)
            .bind(reason)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk(
                    "decisions_referral_id_fkey",
                    Entity::Referral,
                    Some(decision.referral_id),
                ),
                fk(
                    "decisions_decided_by_fkey",
                    Entity::User,
                    Some(decision.decided_by),
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<DecisionRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM decisions WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Decision))
    })
}

/// Every decision on a referral, oldest first (a re-screening adds another).
pub async fn for_referral(tx: &mut Tx, referral_id: Uuid) -> Result<Vec<DecisionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM decisions WHERE referral_id = $1 ORDER BY id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(referral_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Every decision on a case, oldest first: decisions are made over the case's advice rows
/// (see [`crate::screening`]), each with its own referral snapshot.
pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<DecisionRow>, StoreError> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM decisions d \
         JOIN screening_advice a ON a.referral_id = d.referral_id \
         WHERE a.case_id = $1 ORDER BY d.decided_at, d.id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}
