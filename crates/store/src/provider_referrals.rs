//! Referrals from a case to an intervention provider (a drugs service, a housing team, …) and
//! the provider's answer.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderReferralRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub provider: String,
    /// A [`checkpoint_domain::contract::Pathway`] name.
    pub pathway: String,
    pub referred_by: Option<Uuid>,
    pub referred_at: Instant,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub responded_at: Option<Instant>,
    pub response_notes: Option<String>,
}

const COLUMNS: &str = "id, case_id, provider, pathway, referred_by, referred_at, status, \
     responded_at, response_notes";

pub async fn refer(
    tx: &mut Tx,
    case_id: Uuid,
    provider: &str,
    pathway: &str,
    referred_by: Option<Uuid>,
) -> Result<ProviderReferralRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO provider_referrals ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL, NULL) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(case_id)
            .bind(provider)
            .bind(pathway)
            .bind(referred_by)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk(
                    "provider_referrals_case_id_fkey",
                    Entity::Case,
                    Some(case_id),
                ),
                fk(
                    "provider_referrals_referred_by_fkey",
                    Entity::User,
                    referred_by,
                ),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// Records the provider's answer: accepted (`true`) or rejected.
pub async fn respond(
    tx: &mut Tx,
    id: Uuid,
    accepted: bool,
    notes: Option<&str>,
) -> Result<ProviderReferralRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "UPDATE provider_referrals SET status = $2, responded_at = $3, response_notes = $4 \
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(if accepted { "accepted" } else { "rejected" })
            .bind(now)
            .bind(notes)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::ProviderReferral))
    })
}

pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<ProviderReferralRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM provider_referrals WHERE case_id = $1 ORDER BY id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<ProviderReferralRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM provider_referrals WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::ProviderReferral))
    })
}
