//! Referrals: the input a decision saw, kept verbatim so it can be replayed years later.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReferralRow {
    pub id: Uuid,
    pub person_id: Uuid,
    pub scheme_id: String,
    /// The policy the referral was screened against.
    pub policy_id: String,
    /// The referral JSON as received (a [`checkpoint_domain::referral::Referral`] document).
    pub input_json: String,
    pub referred_by: Option<Uuid>,
    pub received_at: Instant,
}

#[derive(Debug, Clone)]
pub struct NewReferral<'a> {
    pub person_id: Uuid,
    pub scheme_id: &'a str,
    pub policy_id: &'a str,
    pub input: &'a serde_json::Value,
    pub referred_by: Option<Uuid>,
}

const COLUMNS: &str = "id, person_id, scheme_id, policy_id, input_json, referred_by, received_at";

pub async fn insert(tx: &mut Tx, referral: &NewReferral<'_>) -> Result<ReferralRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO referrals ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(referral.person_id)
            .bind(referral.scheme_id)
            .bind(referral.policy_id)
            .bind(referral.input.to_string())
            .bind(referral.referred_by)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk(
                    "referrals_person_id_fkey",
                    Entity::Person,
                    Some(referral.person_id),
                ),
                fk(
                    "referrals_referred_by_fkey",
                    Entity::User,
                    referral.referred_by,
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<ReferralRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Referral))
    })
}

pub async fn for_person(tx: &mut Tx, person_id: Uuid) -> Result<Vec<ReferralRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM referrals WHERE person_id = $1 ORDER BY id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(conn)
            .await?
    }))
}
