//! Appointments with attendance and, when missed, whether the reason was acceptable: the
//! evidence a breach decision rests on (the HMPPS "Refer and monitor" vocabulary).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::to_code;
use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Attended,
    Late,
    DidNotAttend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedReason {
    Acceptable,
    Unacceptable,
    Logistical,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub planned_at: Instant,
    pub purpose: String,
    pub location: Option<String>,
    /// An [`Attendance`] name once recorded.
    pub attendance: Option<String>,
    /// A [`MissedReason`] name when late or not attended.
    pub missed_reason: Option<String>,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Option<Instant>,
    pub created_at: Instant,
}

const COLUMNS: &str = "id, case_id, planned_at, purpose, location, attendance, missed_reason, \
     notes, recorded_by, recorded_at, created_at";

pub async fn schedule(
    tx: &mut Tx,
    case_id: Uuid,
    planned_at: Instant,
    purpose: &str,
    location: Option<&str>,
) -> Result<AppointmentRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO appointments ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, NULL, $6) RETURNING {COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(case_id)
            .bind(planned_at)
            .bind(purpose)
            .bind(location)
            .bind(now)
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [fk("appointments_case_id_fkey", Entity::Case, Some(case_id))];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// Records whether the person came and, if not (or late), why.
pub async fn record_attendance(
    tx: &mut Tx,
    appointment_id: Uuid,
    attendance: Attendance,
    missed_reason: Option<MissedReason>,
    notes: Option<&str>,
    recorded_by: Option<Uuid>,
) -> Result<AppointmentRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "UPDATE appointments SET attendance = $2, missed_reason = $3, notes = $4, \
         recorded_by = $5, recorded_at = $6 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(appointment_id)
            .bind(to_code(&attendance))
            .bind(missed_reason.as_ref().map(to_code))
            .bind(notes)
            .bind(recorded_by)
            .bind(now)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Appointment))
    })
}

pub async fn for_case(tx: &mut Tx, case_id: Uuid) -> Result<Vec<AppointmentRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM appointments WHERE case_id = $1 ORDER BY planned_at, id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<AppointmentRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Appointment))
    })
}
