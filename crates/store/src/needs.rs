//! Needs assessments: a severity and notes per pathway, dated, so reassessments show change.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::to_code;
use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk};
use crate::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub assessed_by: Option<Uuid>,
    pub assessed_at: Instant,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssessmentItemRow {
    pub assessment_id: Uuid,
    /// A [`checkpoint_domain::contract::Pathway`] name.
    pub pathway: String,
    /// A [`Severity`] name.
    pub severity: String,
    pub notes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAssessmentItem<'a> {
    pub pathway: &'a str,
    pub severity: Severity,
    pub notes: Option<&'a str>,
}

pub async fn record(
    tx: &mut Tx,
    case_id: Uuid,
    assessed_by: Option<Uuid>,
    notes: Option<&str>,
    items: &[NewAssessmentItem<'_>],
) -> Result<(AssessmentRow, Vec<AssessmentItemRow>), StoreError> {
    let now = tx.now();
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(
            "INSERT INTO needs_assessments (id, case_id, assessed_by, assessed_at, notes) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, case_id, assessed_by, assessed_at, notes",
        )
        .bind(Uuid::now_v7())
        .bind(case_id)
        .bind(assessed_by)
        .bind(now)
        .bind(notes)
        .fetch_one(conn)
        .await
    });
    let assessment: AssessmentRow = match result {
        Ok(row) => row,
        Err(error) => {
            let keys = [
                fk(
                    "needs_assessments_case_id_fkey",
                    Entity::Case,
                    Some(case_id),
                ),
                fk(
                    "needs_assessments_assessed_by_fkey",
                    Entity::User,
                    assessed_by,
                ),
            ];
            return Err(classify(tx, error, &keys, "").await);
        }
    };
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let row: AssessmentItemRow = on_tx!(tx, |conn| {
            sqlx::query_as(
                "INSERT INTO needs_assessment_items (assessment_id, pathway, severity, notes) \
                 VALUES ($1, $2, $3, $4) RETURNING assessment_id, pathway, severity, notes",
            )
            .bind(assessment.id)
            .bind(item.pathway)
            .bind(to_code(&item.severity))
            .bind(item.notes)
            .fetch_one(conn)
            .await?
        });
        rows.push(row);
    }
    Ok((assessment, rows))
}

/// The case's assessments, oldest first.
pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<AssessmentRow>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT id, case_id, assessed_by, assessed_at, notes FROM needs_assessments \
             WHERE case_id = $1 ORDER BY assessed_at, id",
        )
        .bind(case_id)
        .fetch_all(conn)
        .await?
    }))
}

pub async fn items(tx: &mut Tx, assessment_id: Uuid) -> Result<Vec<AssessmentItemRow>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT assessment_id, pathway, severity, notes FROM needs_assessment_items \
             WHERE assessment_id = $1 ORDER BY pathway",
        )
        .bind(assessment_id)
        .fetch_all(conn)
        .await?
    }))
}
