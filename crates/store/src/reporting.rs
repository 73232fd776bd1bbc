//! Set-based extraction for evaluation: one row of facts per case, read with a handful of
//! queries over the whole selection (never one query per case), on either backend.
//!
//! - [`case_facts`]: the case, its person's demographics, the set of lifecycle states it has
//!   passed through (a bitmask, see [`state_bit`]), its trial arm, its current contract and the
//!   appointments attended. One query; the event log is aggregated with `GROUP BY`.
//! - [`case_events`]: the few events whose payload matters to evaluation (screenings that
//!   screened the case out, declines, outcome codes), for the app to read the payloads.
//! - [`reoffences`]: the reoffending events monitoring recorded for the selected cases (linked
//!   arrests after the case's offence, during its contract or within its follow-up window;
//!   migration 0004). This is the only source of reoffending.
//! - [`conditions`]: the current contract's conditions per case, counted by type (the
//!   interventions a cost report prices).
//! - [`referral_snapshots`]: the referral each screening saw (previous convictions, risk band),
//!   for every selected case or only the randomised ones.
//! - [`decision_evaluations`]: stored policy evaluations by id, for screening events written
//!   before their payload named the unmet criteria.
//! - [`identities`]: names and dates of birth for the Justice Data Lab file only.
//!
//! Migration 0005 gives each of these reads an index that covers it (or, for the payload and
//! JSON columns, that finds exactly the rows wanted).
//!
//! The bitmask is built with `SUM(DISTINCT 2^k)`, which is the bitwise OR of the distinct
//! states and runs unchanged on SQLite (no `BIT_OR` aggregate) and PostgreSQL.

use checkpoint_domain::lifecycle::CaseState;
use uuid::Uuid;

use crate::bulk_read::Param;
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
    /// Only cases marked stale in the reports' read model ([`crate::report_projection`]).
    pub marked_stale: Option<StaleCases>,
}

/// Which of the cases marked stale a [`CaseSelection`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleCases {
    All,
    /// The first N by case id: one batch of a refresh.
    First(u32),
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
    /// The end of the case's follow-up window: the last day monitoring records arrests.
    pub follow_up_until: Option<CivilDate>,
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

/// A reoffending event of a selected case: a linked arrest recorded by monitoring.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReoffenceFacts {
    pub case_id: Uuid,
    pub arrest_date: CivilDate,
    /// The feed's offence text (a category name such as `theft` when the feed uses them).
    pub offence: String,
    /// `in_contract` or `follow_up`, as monitoring saw it when the arrest arrived.
    pub phase: String,
}

/// The referral one screening of a case saw (the custody referral, or a re-screening's
/// updated snapshot), as stored: JSON in the referral format.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReferralSnapshot {
    pub case_id: Uuid,
    pub received_at: Instant,
    pub input_json: String,
}

/// A stored policy evaluation (the `Decision` JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionEvaluation {
    pub id: Uuid,
    pub evaluation_json: String,
}

/// The event kinds [`case_events`] returns.
pub const EVENT_KINDS: [&str; 5] = [
    "screen",
    "decline",
    "complete",
    "refer_for_prosecution",
    "expire_time_limit",
];

/// How a query keeps to the selection. When the selection filters (by scheme or dates), a CTE
/// `selected` holds the chosen case ids, with a `$N` placeholder for each filter set
/// ([`selection_filter`]; bound by [`bind_selection!`]) so the planner can use
/// `cases (scheme_id, opened_at)`, and each read joins it. When the selection is every case,
/// there is no CTE and no join: every event, contract and appointment belongs to some case,
/// and the join would only cost a materialised list and a temporary index.
struct Scope {
    cte: Option<String>,
}

/// The selection's scheme and date filters as terms on the columns of `cases` (or of a table
/// with the same `scheme_id` and `opened_at`), prefixed with `qualifier` (`""` or `"f."`),
/// numbered `$1`, `$2`, … in the order of the parameters returned with them.
pub(crate) fn selection_filter(
    selection: &CaseSelection,
    qualifier: &str,
) -> (Vec<String>, Vec<Param>) {
    let mut terms = Vec::new();
    let mut params = Vec::new();
    if let Some(scheme) = &selection.scheme_id {
        params.push(Param::Text(scheme.clone()));
        terms.push(format!("{qualifier}scheme_id = ${}", params.len()));
    }
    if let Some(from) = selection.opened_from {
        params.push(Param::Instant(from));
        terms.push(format!("{qualifier}opened_at >= ${}", params.len()));
    }
    if let Some(before) = selection.opened_before {
        params.push(Param::Instant(before));
        terms.push(format!("{qualifier}opened_at < ${}", params.len()));
    }
    (terms, params)
}

impl Scope {
    fn of(selection: &CaseSelection) -> Scope {
        let (mut terms, _) = selection_filter(selection, "");
        match selection.marked_stale {
            None => {}
            Some(StaleCases::All) => {
                terms.push("id IN (SELECT case_id FROM report_stale_cases)".to_owned());
            }
            Some(StaleCases::First(n)) => terms.push(format!(
                "id IN (SELECT case_id FROM report_stale_cases ORDER BY case_id LIMIT {n})"
            )),
        }
        Scope {
            cte: (!terms.is_empty()).then(|| {
                format!(
                    "selected AS (SELECT id FROM cases WHERE {})",
                    terms.join(" AND ")
                )
            }),
        }
    }

    /// `WITH` and the CTEs (`selected` first, when there is one), or nothing.
    fn with(&self, ctes: &[&str]) -> String {
        let all: Vec<&str> = self
            .cte
            .iter()
            .map(String::as_str)
            .chain(ctes.iter().copied())
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!("WITH {} ", all.join(", "))
        }
    }

    /// ` AND COLUMN IN (SELECT id FROM selected)` when the selection filters, else nothing.
    /// For the tables with many rows per case: written as `IN`, SQLite searches them by case
    /// through their index on `case_id`; written as a join it scanned the whole table and
    /// probed the selection, which made every batch of a read-model refresh read every event.
    fn and_within(&self, column: &str) -> String {
        if self.cte.is_some() {
            format!(" AND {column} IN (SELECT id FROM selected)")
        } else {
            String::new()
        }
    }

    /// `WHERE COLUMN IN (SELECT id FROM selected) ` when the selection filters, else nothing.
    fn where_within(&self, column: &str) -> String {
        if self.cte.is_some() {
            format!("WHERE {column} IN (SELECT id FROM selected) ")
        } else {
            String::new()
        }
    }

    /// `JOIN selected s ON s.id = COLUMN ` when the selection filters, else nothing (for
    /// `cases` itself, one row per selected id).
    fn join(&self, column: &str) -> String {
        if self.cte.is_some() {
            format!("JOIN selected s ON s.id = {column} ")
        } else {
            String::new()
        }
    }
}

/// Binds the parameters [`Scope`] placed ([`selection_filter`]'s), in its order.
macro_rules! bind_selection {
    ($query:expr, $selection:expr) => {{
        let mut query = $query;
        for param in selection_filter($selection, "").1 {
            query = match param {
                Param::Text(text) => query.bind(text),
                Param::Instant(instant) => query.bind(instant),
                Param::Uuid(id) => query.bind(id),
            };
        }
        query
    }};
}

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
    let scope = Scope::of(selection);
    let reached = format!(
        "reached AS (SELECT e.case_id, \
             CAST(SUM(DISTINCT CAST({bits} AS BIGINT)) AS BIGINT) AS states_reached \
         FROM case_events e WHERE e.to_state IS NOT NULL{within} GROUP BY e.case_id)",
        bits = state_bits_case(),
        within = scope.and_within("e.case_id"),
    );
    let latest = format!(
        "latest AS (SELECT k.case_id, MAX(k.version) AS version \
         FROM contracts k {}GROUP BY k.case_id)",
        scope.where_within("k.case_id")
    );
    let attended = format!(
        "attended AS (SELECT a.case_id, CAST(COUNT(*) AS BIGINT) AS attended \
         FROM appointments a WHERE a.attendance IN ('attended', 'late'){} GROUP BY a.case_id)",
        scope.and_within("a.case_id")
    );
    let sql = format!(
        "{with}SELECT c.id AS case_id, c.person_id, c.scheme_id, c.state, c.opened_at, \
             c.contract_end, c.follow_up_until, \
             p.date_of_birth, p.sex, p.ethnicity_self_defined, p.ethnicity_officer_observed, \
             p.postcode, COALESCE(r.states_reached, CAST(0 AS BIGINT)) AS states_reached, \
             t.arm AS trial_arm, t.allocated_at, k.start_date AS contract_start, \
             COALESCE(ap.attended, CAST(0 AS BIGINT)) AS appointments_attended \
         FROM cases c {join}\
         JOIN people p ON p.id = c.person_id \
         LEFT JOIN reached r ON r.case_id = c.id \
         LEFT JOIN trial_allocations t ON t.case_id = c.id \
         LEFT JOIN latest l ON l.case_id = c.id \
         LEFT JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version \
         LEFT JOIN attended ap ON ap.case_id = c.id \
         ORDER BY c.id",
        with = scope.with(&[&reached, &latest, &attended]),
        join = scope.join("c.id"),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
            .fetch_all(conn)
            .await?
    }))
}

/// The events of [`EVENT_KINDS`] for the selected cases, by case then sequence; screenings
/// only when they screened the case out (the payload evaluation reads is the reason, and
/// `ineligible` is final), which leaves out most of them. The `IN` list is written exactly as
/// the partial index `case_events_reported` (migration 0005) writes it, so SQLite can use
/// that index.
pub async fn case_events(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<CaseEventFacts>, StoreError> {
    let scope = Scope::of(selection);
    let sql = format!(
        "{with}SELECT e.case_id, e.sequence, e.kind, e.occurred_at, e.reason, e.payload_json \
         FROM case_events e WHERE {kinds} \
         AND (e.kind <> 'screen' OR e.to_state = 'ineligible'){within} \
         ORDER BY e.case_id, e.sequence",
        with = scope.with(&[]),
        within = scope.and_within("e.case_id"),
        kinds = event_kinds_condition("e.kind"),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
            .fetch_all(conn)
            .await?
    }))
}

/// `COLUMN IN ('screen', …)` over [`EVENT_KINDS`].
fn event_kinds_condition(column: &str) -> String {
    let kinds = EVENT_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{column} IN ({kinds})")
}

/// The current contract's conditions per selected case, counted by type.
pub async fn conditions(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<ConditionCount>, StoreError> {
    let scope = Scope::of(selection);
    let latest = format!(
        "latest AS (SELECT k.case_id, MAX(k.version) AS version \
         FROM contracts k {}GROUP BY k.case_id)",
        scope.where_within("k.case_id")
    );
    let sql = format!(
        "{with}SELECT k.case_id, cc.condition_type, CAST(COUNT(*) AS BIGINT) AS conditions \
         FROM latest l \
         JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version \
         JOIN contract_conditions cc ON cc.contract_id = k.id \
         GROUP BY k.case_id, cc.condition_type ORDER BY k.case_id, cc.condition_type",
        with = scope.with(&[&latest]),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
            .fetch_all(conn)
            .await?
    }))
}

/// The reoffending events of the selected cases, by case then arrest date.
pub async fn reoffences(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<ReoffenceFacts>, StoreError> {
    let scope = Scope::of(selection);
    let sql = format!(
        "{with}SELECT r.case_id, r.arrest_date, r.offence, r.phase \
         FROM reoffending_events r {within}ORDER BY r.case_id, r.arrest_date, r.arrest_id",
        with = scope.with(&[]),
        within = scope.where_within("r.case_id"),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
            .fetch_all(conn)
            .await?
    }))
}

/// Every referral snapshot screened for the selected cases, by case then time received: the
/// last of a case is the one its latest screening saw.
pub async fn referral_snapshots(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<ReferralSnapshot>, StoreError> {
    let scope = Scope::of(selection);
    let sql = format!(
        "{with}SELECT a.case_id, r.received_at, r.input_json \
         FROM screening_advice a \
         JOIN referrals r ON r.id = a.referral_id \
         {within}ORDER BY a.case_id, r.received_at, r.id",
        with = scope.with(&[]),
        within = scope.where_within("a.case_id"),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
            .fetch_all(conn)
            .await?
    }))
}

/// Rows per `IN (…)` list in [`decision_evaluations`].
const IDS_PER_STATEMENT: usize = 100;

/// The stored evaluations of these decisions (any order; unknown ids are skipped).
pub async fn decision_evaluations(
    tx: &mut Tx,
    ids: &[Uuid],
) -> Result<Vec<DecisionEvaluation>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT id, evaluation_json FROM decisions WHERE id IN ({list})");
        let rows: Vec<DecisionEvaluation> = on_tx!(tx, |conn| {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(conn).await?
        });
        found.extend(rows);
    }
    Ok(found)
}

/// When the case first entered one of `states` (by its event log), if it ever did.
pub async fn first_entered(
    tx: &mut Tx,
    case_id: Uuid,
    states: &[CaseState],
) -> Result<Option<Instant>, StoreError> {
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT occurred_at FROM case_events WHERE case_id = $1 AND to_state IN ({list}) \
         ORDER BY sequence LIMIT 1"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_optional(conn)
            .await?
    }))
}

/// Names, dates of birth and sex of the people behind the selected cases. For the Justice
/// Data Lab file only: the caller must be authorised and must audit the disclosure.
pub async fn identities(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Vec<Identity>, StoreError> {
    let scope = Scope::of(selection);
    let sql = format!(
        "{with}SELECT c.id AS case_id, p.given_name, p.family_name, p.date_of_birth, p.sex \
         FROM cases c {join}JOIN people p ON p.id = c.person_id ORDER BY c.id",
        with = scope.with(&[]),
        join = scope.join("c.id"),
    );
    Ok(on_tx!(tx, |conn| {
        bind_selection!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), selection)
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

    #[test]
    fn the_partial_index_lists_the_event_kinds_the_query_reads() {
        let condition = format!("WHERE {}", event_kinds_condition("kind"));
        for migration in [
            include_str!("../migrations/sqlite/0005_reporting_indexes.sql"),
            include_str!("../migrations/postgres/0005_reporting_indexes.sql"),
        ] {
            assert!(migration.contains(&condition), "{condition}");
        }
    }

    #[test]
    fn the_selection_names_only_the_filters_given() {
        let everything = Scope::of(&CaseSelection::default());
        assert_eq!(everything.with(&[]), "");
        assert_eq!(
            everything.with(&["a AS (SELECT 1)"]),
            "WITH a AS (SELECT 1) "
        );
        assert_eq!(everything.join("e.case_id"), "");
        let before = Some(Instant::from(jiff::Timestamp::UNIX_EPOCH));
        let dated = Scope::of(&CaseSelection {
            opened_before: before,
            ..CaseSelection::default()
        });
        assert_eq!(
            dated.with(&[]),
            "WITH selected AS (SELECT id FROM cases WHERE opened_at < $1) "
        );
        assert_eq!(
            dated.join("e.case_id"),
            "JOIN selected s ON s.id = e.case_id "
        );
        let all = Scope::of(&CaseSelection {
            scheme_id: Some("s".to_owned()),
            opened_from: before,
            opened_before: before,
            marked_stale: None,
        });
        assert_eq!(
            all.with(&["b AS (SELECT 2)"]),
            "WITH selected AS (SELECT id FROM cases WHERE scheme_id = $1 AND opened_at >= $2 \
             AND opened_at < $3), b AS (SELECT 2) "
        );
    }
}
