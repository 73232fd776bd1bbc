//! Screening advice (the policy's evaluation of a referral, before anyone decides) and the
//! supervisor's countersignature of decisions that overrode it.
//!
//! Advice and decision are kept apart on purpose: the advice is the machine's, recorded when
//! the referral arrives (and again on each re-screening); the decision in
//! [`crate::decisions`] is a person's, made over one advice row and linked to it through the
//! advice's referral snapshot (`referral_id`, unique per advice).

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdviceRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub policy_id: String,
    pub policy_version: String,
    /// `sha256:…` of the policy file the evaluation ran on.
    pub policy_hash: String,
    /// eligible / ineligible / needs_information.
    pub advised_outcome: String,
    /// The full evaluation (a serialised `checkpoint_domain::policy::Decision`).
    pub evaluation_json: String,
    pub created_by: Option<Uuid>,
    pub created_at: Instant,
}

#[derive(Debug, Clone)]
pub struct NewAdvice<'a> {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub policy_id: &'a str,
    pub policy_version: &'a str,
    pub policy_hash: &'a str,
    pub advised_outcome: &'a str,
    pub evaluation: &'a serde_json::Value,
    pub created_by: Option<Uuid>,
}

const ADVICE_COLUMNS: &str = "id, case_id, referral_id, policy_id, policy_version, policy_hash, \
     advised_outcome, evaluation_json, created_by, created_at";

pub async fn insert_advice(tx: &mut Tx, advice: &NewAdvice<'_>) -> Result<AdviceRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO screening_advice ({ADVICE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {ADVICE_COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(advice.case_id)
            .bind(advice.referral_id)
            .bind(advice.policy_id)
            .bind(advice.policy_version)
            .bind(advice.policy_hash)
            .bind(advice.advised_outcome)
            .bind(advice.evaluation.to_string())
            .bind(advice.created_by)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk(
                    "screening_advice_case_id_fkey",
                    Entity::Case,
                    Some(advice.case_id),
                ),
                fk(
                    "screening_advice_referral_id_fkey",
                    Entity::Referral,
                    Some(advice.referral_id),
                ),
                fk(
                    "screening_advice_created_by_fkey",
                    Entity::User,
                    advice.created_by,
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// A case's advice, oldest first (the referral's, then one per re-screening).
pub async fn advice_for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<AdviceRow>, StoreError> {
    let sql = format!(
        "SELECT {ADVICE_COLUMNS} FROM screening_advice WHERE case_id = $1 ORDER BY created_at, id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

/// The advice a decision was made over (found through the decision's referral).
pub async fn advice_for_referral(tx: &mut Tx, referral_id: Uuid) -> Result<AdviceRow, StoreError> {
    let sql = format!("SELECT {ADVICE_COLUMNS} FROM screening_advice WHERE referral_id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(referral_id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Decision))
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountersignatureRow {
    pub decision_id: Uuid,
    pub countersigned_by: Uuid,
    /// Whether the supervisor agreed with the override.
    pub agreed: bool,
    pub note: Option<String>,
    pub countersigned_at: Instant,
}

const COUNTERSIGNATURE_COLUMNS: &str =
    "decision_id, countersigned_by, agreed, note, countersigned_at";

/// Records a countersignature; a second one for the same decision is
/// [`StoreError::Duplicate`].
pub async fn countersign(
    tx: &mut Tx,
    decision_id: Uuid,
    countersigned_by: Uuid,
    agreed: bool,
    note: Option<&str>,
) -> Result<CountersignatureRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO override_countersignatures ({COUNTERSIGNATURE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COUNTERSIGNATURE_COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(decision_id)
            .bind(countersigned_by)
            .bind(agreed)
            .bind(note)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            if let Some(db_error) = error.as_database_error()
                && db_error.kind() == sqlx::error::ErrorKind::UniqueViolation
            {
                return Err(StoreError::Duplicate {
                    entity: Entity::Decision,
                    detail: "this override is already countersigned".to_owned(),
                });
            }
            let keys = [
                fk(
                    "override_countersignatures_decision_id_fkey",
                    Entity::Decision,
                    Some(decision_id),
                ),
                fk(
                    "override_countersignatures_countersigned_by_fkey",
                    Entity::User,
                    Some(countersigned_by),
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

pub async fn countersignature(
    tx: &mut Tx,
    decision_id: Uuid,
) -> Result<Option<CountersignatureRow>, StoreError> {
    let sql = format!(
        "SELECT {COUNTERSIGNATURE_COLUMNS} FROM override_countersignatures WHERE decision_id = $1"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(decision_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// An override no supervisor has countersigned yet, with the case it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AwaitingRow {
    pub decision_id: Uuid,
    pub case_id: Uuid,
    pub reference: String,
    pub person_id: Uuid,
    pub advised_outcome: String,
    pub outcome: String,
    pub override_code: Option<String>,
    pub override_reason: Option<String>,
    pub decided_by: Uuid,
    pub decided_at: Instant,
}

/// Overrides awaiting countersignature, oldest first.
pub async fn awaiting_countersignature(tx: &mut Tx) -> Result<Vec<AwaitingRow>, StoreError> {
    let sql = "SELECT d.id AS decision_id, c.id AS case_id, c.reference, c.person_id, \
         d.advised_outcome, d.outcome, d.override_code, d.override_reason, d.decided_by, \
         d.decided_at \
         FROM decisions d \
         JOIN screening_advice a ON a.referral_id = d.referral_id \
         JOIN cases c ON c.id = a.case_id \
         LEFT JOIN override_countersignatures s ON s.decision_id = d.id \
         WHERE d.follows_advice = $1 AND s.decision_id IS NULL \
         ORDER BY d.decided_at, d.id";
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sql).bind(false).fetch_all(conn).await?
    }))
}
