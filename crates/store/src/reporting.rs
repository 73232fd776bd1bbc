//! Set-based extraction for evaluation: one row of facts per case, read with a handful of
//! queries over the whole selection (never one query per case), on either backend.
//!
//! - [`case_facts`]: the case, its person's demographics, the set of lifecycle states it has
//!   passed through (a bitmask, see [`state_bit`]), its trial arm, its current contract and the
//!   appointments attended. One query; the event log is aggregated with `GROUP BY`.
//! - [`case_events`]: the few events whose payload matters to evaluation (screening decisions,
//!   declines, arrests, outcome codes), for the app to read the payloads.
//! - [`conditions`]: the current contract's conditions per case, counted by type (the
//!   interventions a cost report prices).
//! - [`identities`]: names and dates of birth for the Justice Data Lab file only.
//!
//! The bitmask is built with `SUM(DISTINCT 2^k)`, which is the bitwise OR of the distinct
//! states and runs unchanged on SQLite (no `BIT_OR` aggregate) and PostgreSQL.

use checkpoint_domain::lifecycle::CaseState;
use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::StoreError;
use crate::time::{CivilDate, Instant};

/// Which cases to read: by scheme and by when the case was opened (the custody referral).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseSelection {
    pub scheme_id: Option<String>,
    /// Opened at or after this instant.
    pub opened_from: Option<Instant>,
    /// Opened strictly before this instant.
    pub opened_before: Option<Instant>,
}

/// The bit for `state` in [`CaseFacts::states_reached`]: `1 << position in CaseState::ALL`.
pub fn state_bit(state: CaseState) -> i64 {
    let position = CaseState::ALL
        .iter()
        .position(|s| *s == state)
        .expect("every state is in CaseState::ALL");
    1_i64 << position
}

/// The states whose bits are set in `mask`, in [`CaseState::ALL`] order.
pub fn states_in(mask: i64) -> Vec<CaseState> {
    CaseState::ALL
        .into_iter()
        .filter(|s| mask & state_bit(*s) != 0)
        .collect()
}

/// Everything about one case that evaluation reads from columns (payloads come separately).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseFacts {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub scheme_id: String,
    /// The case's current state name.
    pub state: String,
    pub opened_at: Instant,
    pub contract_end: Option<CivilDate>,
    pub date_of_birth: CivilDate,
    pub sex: String,
    pub ethnicity_self_defined: Option<String>,
    pub ethnicity_officer_observed: Option<String>,
    pub postcode: Option<String>,
    /// Every state the case has entered, as bits (see [`state_bit`]).
    pub states_reached: i64,
    pub trial_arm: Option<String>,
    pub allocated_at: Option<Instant>,
    /// Start date of the current (latest) contract version.
    pub contract_start: Option<CivilDate>,
    /// Appointments attended (on time or late).
    pub appointments_attended: i64,
}

/// An event whose payload evaluation reads.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseEventFacts {
    pub case_id: Uuid,
    pub sequence: i64,
    pub kind: String,
    pub occurred_at: Instant,
    pub reason: Option<String>,
    pub payload_json: String,
}

/// How many conditions of one type the current contract of a case carries.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConditionCount {
    pub case_id: Uuid,
    pub condition_type: String,
    pub conditions: i64,
}

/// The identifiers the Justice Data Lab matches on (domain.md §8). Nothing else may use these.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Identity {
    pub case_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: CivilDate,
    pub sex: String,
}

/// The event kinds [`case_events`] returns.
pub const EVENT_KINDS: [&str; 7] = [
    "screen",
    "decline",
    "open_review",
    "arrest_noted",
    "complete",
    "refer_for_prosecution",
    "expire_time_limit",
];

/// The selected case ids as a CTE, `$1` scheme, `$2` from, `$3` before.
const SELECTED: &str = "selected AS (SELECT id FROM cases \
     WHERE ($1 IS NULL OR scheme_id = $1) \
     AND ($2 IS NULL OR opened_at >= $2) \
     AND ($3 IS NULL OR opened_at < $3))";

fn state_bits_case() -> String {
    let arms: String = CaseState::ALL
        .into_iter()
        .map(|s| format!(" WHEN '{}' THEN {}", s.as_str(), state_bit(s)))
        .collect();
    format!("CASE e.to_state{arms} ELSE 0 END")
}

/// One row per selected case, in case id order (UUID v7: creation order).
pub async fn case_facts(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<CaseFacts>, StoreError> {
    let sql = format!(
        "WITH {SELECTED}, \
         reached AS (SELECT e.case_id, CAST(SUM(DISTINCT CAST({bits} AS BIGINT)) AS BIGINT) AS states_reached \
             FROM case_events e JOIN selected s ON s.id = e.case_id \
             WHERE e.to_state IS NOT NULL GROUP BY e.case_id), \
         latest AS (SELECT k.case_id, MAX(k.version) AS version \
             FROM contracts k JOIN selected s ON s.id = k.case_id GROUP BY k.case_id), \
         attended AS (SELECT a.case_id, CAST(COUNT(*) AS BIGINT) AS attended \
             FROM appointments a JOIN selected s ON s.id = a.case_id \
             WHERE a.attendance IN ('attended', 'late') GROUP BY a.case_id) \
         SELECT c.id AS case_id, c.person_id, c.scheme_id, c.state, c.opened_at, c.contract_end, \
             p.date_of_birth, p.sex, p.ethnicity_self_defined, p.ethnicity_officer_observed, \
             p.postcode, COALESCE(r.states_reached, CAST(0 AS BIGINT)) AS states_reached, \
             t.arm AS trial_arm, t.allocated_at, k.start_date AS contract_start, \
             COALESCE(ap.attended, CAST(0 AS BIGINT)) AS appointments_attended \
         FROM selected s \
         JOIN cases c ON c.id = s.id \
         JOIN people p ON p.id = c.person_id \
         LEFT JOIN reached r ON r.case_id = c.id \
         LEFT JOIN trial_allocations t ON t.case_id = c.id \
         LEFT JOIN latest l ON l.case_id = c.id \
         LEFT JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version \
         LEFT JOIN attended ap ON ap.case_id = c.id \
         ORDER BY c.id",
        bits = state_bits_case()
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(selection.scheme_id.as_deref())
            .bind(selection.opened_from)
            .bind(selection.opened_before)
            .fetch_all(conn)
            .await?
    }))
}

/// The events of [`EVENT_KINDS`] for the selected cases, by case then sequence.
pub async fn case_events(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<CaseEventFacts>, StoreError> {
    let kinds = EVENT_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH {SELECTED} \
         SELECT e.case_id, e.sequence, e.kind, e.occurred_at, e.reason, e.payload_json \
         FROM case_events e JOIN selected s ON s.id = e.case_id \
         WHERE e.kind IN ({kinds}) ORDER BY e.case_id, e.sequence"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(selection.scheme_id.as_deref())
            .bind(selection.opened_from)
            .bind(selection.opened_before)
            .fetch_all(conn)
            .await?
    }))
}

/// The current contract's conditions per selected case, counted by type.
pub async fn conditions(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<ConditionCount>, StoreError> {
    let sql = format!(
        "WITH {SELECTED}, \
         latest AS (SELECT k.case_id, MAX(k.version) AS version \
             FROM contracts k JOIN selected s ON s.id = k.case_id GROUP BY k.case_id) \
         SELECT k.case_id, cc.condition_type, CAST(COUNT(*) AS BIGINT) AS conditions \
         FROM latest l \
         JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version \
         JOIN contract_conditions cc ON cc.contract_id = k.id \
         GROUP BY k.case_id, cc.condition_type ORDER BY k.case_id, cc.condition_type"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(selection.scheme_id.as_deref())
            .bind(selection.opened_from)
            .bind(selection.opened_before)
            .fetch_all(conn)
            .await?
    }))
}

/// Names, dates of birth and sex of the people behind the selected cases. For the Justice
/// Data Lab file only: the caller must be authorised and must audit the disclosure.
pub async fn identities(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<Identity>, StoreError> {
    let sql = format!(
        "WITH {SELECTED} \
         SELECT c.id AS case_id, p.given_name, p.family_name, p.date_of_birth, p.sex \
         FROM selected s JOIN cases c ON c.id = s.id JOIN people p ON p.id = c.person_id \
         ORDER BY c.id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(selection.scheme_id.as_deref())
            .bind(selection.opened_from)
            .bind(selection.opened_before)
            .fetch_all(conn)
            .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_bits_round_trip() {
        let mask = state_bit(CaseState::Referred) | state_bit(CaseState::Completed);
        assert_eq!(states_in(mask), [CaseState::Referred, CaseState::Completed]);
        assert!(CaseState::ALL.len() < 63, "the mask must fit a BIGINT");
    }
}
