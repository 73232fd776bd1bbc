//! Cases, their append-only event log, and their human-readable references.
//!
//! A case row holds the current state; the `case_events` rows say how it got there. They move
//! together: every change to a case bumps `version` by one and appends exactly one event whose
//! `sequence` is the new version, in the same transaction, guarded by the version the caller
//! read. So `version` is both the optimistic-concurrency token and the event count.

use checkpoint_domain::lifecycle::CaseState;
use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, classify, fk, not_found};
use crate::time::{CivilDate, Instant};

/// The prefix of Checkpoint case references (`CP-2026-000123`).
pub const DEFAULT_REFERENCE_PREFIX: &str = "CP";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    pub id: Uuid,
    pub reference: String,
    pub person_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub scheme_id: String,
    /// A [`CaseState`] name; see [`CaseRow::state`].
    pub state: String,
    pub version: i64,
    pub navigator_id: Option<Uuid>,
    pub team: Option<String>,
    pub opened_at: Instant,
    pub updated_at: Instant,
    pub offence_date: Option<CivilDate>,
    pub prosecution_deadline: Option<CivilDate>,
    pub contract_end: Option<CivilDate>,
    pub follow_up_until: Option<CivilDate>,
    pub retention_review_on: Option<CivilDate>,
}

impl CaseRow {
    pub fn state(&self) -> Result<CaseState, StoreError> {
        self.state
            .parse()
            .map_err(|e: checkpoint_domain::lifecycle::UnknownCaseState| {
                StoreError::InvalidStoredValue(e.to_string())
            })
    }

    pub fn key_dates(&self) -> KeyDates {
        KeyDates {
            offence_date: self.offence_date,
            prosecution_deadline: self.prosecution_deadline,
            contract_end: self.contract_end,
            follow_up_until: self.follow_up_until,
            retention_review_on: self.retention_review_on,
        }
    }
}

/// The dates that carry legal or procedural weight for a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyDates {
    pub offence_date: Option<CivilDate>,
    /// The last day a failed case can still be charged.
    pub prosecution_deadline: Option<CivilDate>,
    pub contract_end: Option<CivilDate>,
    pub follow_up_until: Option<CivilDate>,
    pub retention_review_on: Option<CivilDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseEventRow {
    pub id: Uuid,
    pub case_id: Uuid,
    /// 1 for the opening event, then one more per change; equals the case version it produced.
    pub sequence: i64,
    /// `None` when the system acted (imports, scheduled jobs).
    pub actor_id: Option<Uuid>,
    pub occurred_at: Instant,
    /// A [`checkpoint_domain::lifecycle::TransitionKind`] name, or `opened`, `assigned`,
    /// `key_dates_changed`, or another non-transition event the app records.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    pub policy_version: Option<String>,
    pub payload_json: String,
}

/// An event to record. `to_state` is set for transitions; other events leave the state alone.
#[derive(Debug, Clone)]
pub struct NewCaseEvent<'a> {
    pub actor_id: Option<Uuid>,
    pub kind: &'a str,
    pub to_state: Option<CaseState>,
    pub reason: Option<&'a str>,
    pub policy_version: Option<&'a str>,
    pub payload: serde_json::Value,
}

impl<'a> NewCaseEvent<'a> {
    /// An event with no state change, reason or policy version, and an empty payload.
    pub fn new(actor_id: Option<Uuid>, kind: &'a str) -> NewCaseEvent<'a> {
        NewCaseEvent {
            actor_id,
            kind,
            to_state: None,
            reason: None,
            policy_version: None,
            payload: serde_json::json!({}),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    /// Usually [`DEFAULT_REFERENCE_PREFIX`].
    pub reference_prefix: &'a str,
    /// The year in the reference: the year the case is opened, in Europe/London.
    pub reference_year: i64,
    pub person_id: Uuid,
    pub referral_id: Option<Uuid>,
    pub scheme_id: &'a str,
    pub navigator_id: Option<Uuid>,
    pub team: Option<&'a str>,
    pub key_dates: KeyDates,
    /// The opening event; its `to_state` is the case's first state (`referred` if unset).
    pub opening: NewCaseEvent<'a>,
}

const COLUMNS: &str = "id, reference, person_id, referral_id, scheme_id, state, version, \
     navigator_id, team, opened_at, updated_at, offence_date, prosecution_deadline, \
     contract_end, follow_up_until, retention_review_on";

const EVENT_COLUMNS: &str = "id, case_id, sequence, actor_id, occurred_at, kind, from_state, \
     to_state, reason, policy_version, payload_json";

/// Takes the next number for `prefix` and `year` inside `tx` and formats the reference. The
/// counter row stays locked until `tx` ends, so concurrent creators queue, and a rollback
/// returns the number: references have no gaps.
pub async fn next_reference(tx: &mut Tx, prefix: &str, year: i64) -> Result<String, StoreError> {
    let number: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO case_reference_counters (prefix, year, last_value) VALUES ($1, $2, 1) \
             ON CONFLICT (prefix, year) DO UPDATE \
             SET last_value = case_reference_counters.last_value + 1 \
             RETURNING last_value",
        )
        .bind(prefix)
        .bind(year)
        .fetch_one(conn)
        .await?
    });
    Ok(format!("{prefix}-{year}-{number:06}"))
}

/// Opens a case with a fresh reference and its first event (sequence 1, version 1).
pub async fn create(
    tx: &mut Tx,
    case: &NewCase<'_>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let reference = next_reference(tx, case.reference_prefix, case.reference_year).await?;
    let state = case.opening.to_state.unwrap_or(CaseState::Referred);
    let now = tx.now();
    let sql = format!(
        "INSERT INTO cases ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $9, $10, $11, $12, $13, $14) \
         RETURNING {COLUMNS}"
    );
    let dates = &case.key_dates;
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(&reference)
            .bind(case.person_id)
            .bind(case.referral_id)
            .bind(case.scheme_id)
            .bind(state.as_str())
            .bind(case.navigator_id)
            .bind(case.team)
            .bind(now)
            .bind(dates.offence_date)
            .bind(dates.prosecution_deadline)
            .bind(dates.contract_end)
            .bind(dates.follow_up_until)
            .bind(dates.retention_review_on)
            .fetch_one(conn)
            .await
    });
    let row: CaseRow = match result {
        Ok(row) => row,
        Err(error) => {
            let keys = [
                fk("cases_person_id_fkey", Entity::Person, Some(case.person_id)),
                fk("cases_referral_id_fkey", Entity::Referral, case.referral_id),
                fk("cases_navigator_id_fkey", Entity::User, case.navigator_id),
            ];
            return Err(classify(tx, error, &keys, &reference).await);
        }
    };
    let event = insert_event(tx, row.id, 1, None, Some(state), &case.opening, now).await?;
    Ok((row, event))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<CaseRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Case))
    })
}

pub async fn by_reference(tx: &mut Tx, reference: &str) -> Result<CaseRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE reference = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(reference)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Case))
    })
}

/// `$first, $first+1, …`: `count` numbered parameters for an `IN (…)` list.
fn numbered_parameters(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A navigator's caseload, oldest case first.
pub async fn for_navigator(tx: &mut Tx, navigator_id: Uuid) -> Result<Vec<CaseRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE navigator_id = $1 ORDER BY opened_at, id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(navigator_id)
            .fetch_all(conn)
            .await?
    }))
}

/// A navigator's cases in any of `states` (their open caseload), oldest first.
pub async fn for_navigator_in_states(
    tx: &mut Tx,
    navigator_id: Uuid,
    states: &[CaseState],
) -> Result<Vec<CaseRow>, StoreError> {
    if states.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = numbered_parameters(2, states.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM cases WHERE navigator_id = $1 AND state IN ({placeholders}) \
         ORDER BY opened_at, id"
    );
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(navigator_id);
        for state in states {
            query = query.bind(state.as_str());
        }
        query.fetch_all(conn).await?
    }))
}

pub async fn for_person(tx: &mut Tx, person_id: Uuid) -> Result<Vec<CaseRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE person_id = $1 ORDER BY opened_at, id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Cases in any of the given states (queues: reviews due, contracts at risk, …).
pub async fn in_state(tx: &mut Tx, state: CaseState) -> Result<Vec<CaseRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE state = $1 ORDER BY opened_at, id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(state.as_str())
            .fetch_all(conn)
            .await?
    }))
}

/// Closed cases in `states` whose retention review is due on or before `on` or was never set
/// (ineligible cases: the caller works out their date from the policy), oldest first.
pub async fn due_for_retention(
    tx: &mut Tx,
    states: &[CaseState],
    on: CivilDate,
) -> Result<Vec<CaseRow>, StoreError> {
    if states.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = numbered_parameters(2, states.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM cases WHERE state IN ({placeholders}) \
         AND (retention_review_on IS NULL OR retention_review_on <= $1) ORDER BY opened_at, id"
    );
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(on);
        for state in states {
            query = query.bind(state.as_str());
        }
        query.fetch_all(conn).await?
    }))
}

/// The case's events, in order.
pub async fn events(tx: &mut Tx, case_id: Uuid) -> Result<Vec<CaseEventRow>, StoreError> {
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM case_events WHERE case_id = $1 ORDER BY sequence");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Records an event on a case read at `expected_version`, moving it to `event.to_state` when
/// set. Fails with [`StoreError::Conflict`] if the case has changed since.
pub async fn append_event(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    event: &NewCaseEvent<'_>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let update = CaseUpdate::State(event.to_state);
    change(tx, case_id, expected_version, &update, event).await
}

/// Assigns the case to a navigator and team (or clears them), recording an `assigned` event.
pub async fn assign(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    navigator_id: Option<Uuid>,
    team: Option<&str>,
    actor_id: Option<Uuid>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let mut event = NewCaseEvent::new(actor_id, "assigned");
    event.payload = serde_json::json!({ "navigator_id": navigator_id, "team": team });
    let update = CaseUpdate::Assignment { navigator_id, team };
    change(tx, case_id, expected_version, &update, &event).await
}

/// Replaces the case's key dates, recording a `key_dates_changed` event with the reason.
pub async fn set_key_dates(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    dates: &KeyDates,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let text = |d: Option<CivilDate>| d.map(|d| d.to_string());
    let mut event = NewCaseEvent::new(actor_id, "key_dates_changed");
    event.reason = reason;
    event.payload = serde_json::json!({
        "offence_date": text(dates.offence_date),
        "prosecution_deadline": text(dates.prosecution_deadline),
        "contract_end": text(dates.contract_end),
        "follow_up_until": text(dates.follow_up_until),
        "retention_review_on": text(dates.retention_review_on),
    });
    change(
        tx,
        case_id,
        expected_version,
        &CaseUpdate::KeyDates(*dates),
        &event,
    )
    .await
}

/// What a change does to the case row besides bumping its version.
#[derive(Debug)]
enum CaseUpdate<'a> {
    State(Option<CaseState>),
    Assignment {
        navigator_id: Option<Uuid>,
        team: Option<&'a str>,
    },
    KeyDates(KeyDates),
}

/// The shared shape of every case change: check the version the caller read, run the
/// version-guarded update, append the event whose sequence is the new version.
async fn change(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    update: &CaseUpdate<'_>,
    event: &NewCaseEvent<'_>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let before = get(tx, case_id).await?;
    if before.version != expected_version {
        return Err(StoreError::Conflict {
            current_version: before.version,
        });
    }
    let now = tx.now();
    let updated = match run_update(tx, case_id, expected_version, now, update).await {
        Ok(updated) => updated,
        Err(error) => {
            let navigator_id = match update {
                CaseUpdate::Assignment { navigator_id, .. } => *navigator_id,
                _ => None,
            };
            let keys = [fk("cases_navigator_id_fkey", Entity::User, navigator_id)];
            return Err(classify(tx, error, &keys, "").await);
        }
    };
    let Some(after) = updated else {
        // Another transaction changed the case between our read and the update.
        let current = get(tx, case_id).await?;
        return Err(StoreError::Conflict {
            current_version: current.version,
        });
    };
    let from_state = before.state()?;
    let event_row = insert_event(
        tx,
        case_id,
        after.version,
        Some(from_state),
        event.to_state,
        event,
        now,
    )
    .await?;
    Ok((after, event_row))
}

async fn run_update(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    now: Instant,
    update: &CaseUpdate<'_>,
) -> Result<Option<CaseRow>, sqlx::Error> {
    // $1 id, $2 expected version, $3 now; the rest per kind of update.
    let guard = "WHERE id = $1 AND version = $2";
    match update {
        CaseUpdate::State(to_state) => {
            let sql = format!(
                "UPDATE cases SET version = version + 1, updated_at = $3, \
                 state = COALESCE($4, state) {guard} RETURNING {COLUMNS}"
            );
            on_tx!(tx, |conn| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(case_id)
                    .bind(expected_version)
                    .bind(now)
                    .bind(to_state.map(CaseState::as_str))
                    .fetch_optional(conn)
                    .await
            })
        }
        CaseUpdate::Assignment { navigator_id, team } => {
            let sql = format!(
                "UPDATE cases SET version = version + 1, updated_at = $3, navigator_id = $4, \
                 team = $5 {guard} RETURNING {COLUMNS}"
            );
            on_tx!(tx, |conn| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(case_id)
                    .bind(expected_version)
                    .bind(now)
                    .bind(*navigator_id)
                    .bind(*team)
                    .fetch_optional(conn)
                    .await
            })
        }
        CaseUpdate::KeyDates(dates) => {
            let sql = format!(
                "UPDATE cases SET version = version + 1, updated_at = $3, offence_date = $4, \
                 prosecution_deadline = $5, contract_end = $6, follow_up_until = $7, \
                 retention_review_on = $8 {guard} RETURNING {COLUMNS}"
            );
            on_tx!(tx, |conn| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(case_id)
                    .bind(expected_version)
                    .bind(now)
                    .bind(dates.offence_date)
                    .bind(dates.prosecution_deadline)
                    .bind(dates.contract_end)
                    .bind(dates.follow_up_until)
                    .bind(dates.retention_review_on)
                    .fetch_optional(conn)
                    .await
            })
        }
    }
}

async fn insert_event(
    tx: &mut Tx,
    case_id: Uuid,
    sequence: i64,
    from_state: Option<CaseState>,
    to_state: Option<CaseState>,
    event: &NewCaseEvent<'_>,
    now: Instant,
) -> Result<CaseEventRow, StoreError> {
    let sql = format!(
        "INSERT INTO case_events ({EVENT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {EVENT_COLUMNS}"
    );
    let result = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(case_id)
            .bind(sequence)
            .bind(event.actor_id)
            .bind(now)
            .bind(event.kind)
            .bind(from_state.map(CaseState::as_str))
            .bind(to_state.map(CaseState::as_str))
            .bind(event.reason)
            .bind(event.policy_version)
            .bind(event.payload.to_string())
            .fetch_one(conn)
            .await
    });
    match result {
        Ok(row) => Ok(row),
        Err(error) => {
            let keys = [
                fk("case_events_case_id_fkey", Entity::Case, Some(case_id)),
                fk("case_events_actor_id_fkey", Entity::User, event.actor_id),
            ];
            Err(classify(tx, error, &keys, "").await)
        }
    }
}

/// A change of navigator with the reason and anything else the event should keep (an
/// override of the caseload limit, the handover it was part of).
#[derive(Debug, Clone)]
pub struct Reassignment<'a> {
    pub navigator_id: Option<Uuid>,
    pub team: Option<&'a str>,
    pub actor_id: Option<Uuid>,
    pub reason: Option<&'a str>,
    /// Extra event data, merged beside `navigator_id` and `team` (must be a JSON object).
    pub details: serde_json::Value,
}

/// Like [`assign`], but the `assigned` event also keeps a reason and extra details.
pub async fn reassign(
    tx: &mut Tx,
    case_id: Uuid,
    expected_version: i64,
    change_to: &Reassignment<'_>,
) -> Result<(CaseRow, CaseEventRow), StoreError> {
    let mut payload = serde_json::json!({
        "navigator_id": change_to.navigator_id,
        "team": change_to.team,
    });
    if let (Some(into), serde_json::Value::Object(extra)) =
        (payload.as_object_mut(), &change_to.details)
    {
        for (key, value) in extra {
            into.insert(key.clone(), value.clone());
        }
    }
    let mut event = NewCaseEvent::new(change_to.actor_id, "assigned");
    event.reason = change_to.reason;
    event.payload = payload;
    let update = CaseUpdate::Assignment {
        navigator_id: change_to.navigator_id,
        team: change_to.team,
    };
    change(tx, case_id, expected_version, &update, &event).await
}

/// Cases in any of `states`, oldest first (caseload counts, team work lists).
pub async fn in_states(tx: &mut Tx, states: &[CaseState]) -> Result<Vec<CaseRow>, StoreError> {
    if states.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = numbered_parameters(1, states.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM cases WHERE state IN ({placeholders}) ORDER BY opened_at, id"
    );
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for state in states {
            query = query.bind(state.as_str());
        }
        query.fetch_all(conn).await?
    }))
}
