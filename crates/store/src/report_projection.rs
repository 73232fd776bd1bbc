//! The reports' read model (migrations 0010 and 0012): `report_case_facts`, one row per case
//! holding what evaluation reads about it, already derived (its id, scheme and opening to
//! select it by, and the rest as one value, see [`facts`]), and `report_stale_cases`, the
//! cases whose row may be out of date.
//!
//! The store only keeps the rows; the app derives them from the records (see
//! `checkpoint_app::report_projection`). Triggers mark a case stale in the same transaction
//! as any change to the tables its row is derived from (the case, its events, its person,
//! its trial allocation, contracts and their conditions, appointments, screening advice).
//! The invariant: **a case not marked stale has a row equal to what its records give now.**
//!
//! Reads go through [`crate::bulk_read`], a row at a time, because a national report reads a
//! million of them.

use std::borrow::Cow;

use uuid::Uuid;

use crate::arrests::placeholders;
use crate::bulk_read::{Param, RowView, for_each_row};
use crate::db::{Backend, Tx, on_tx};
use crate::error::StoreError;
use crate::reporting::{CaseSelection, selection_filter};
use crate::time::{CivilDate, Instant};

mod facts;

/// One case as the reports read it. Categories are small integer codes (the app's
/// `report_codes`); strings are borrowed from the stored row when read, owned when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedCase<'r> {
    pub case_id: Uuid,
    pub scheme_id: Cow<'r, str>,
    /// `YYYY-MM`, the Europe/London month the case was opened (referred).
    pub referral_month: Cow<'r, str>,
    pub funnel_stage: i16,
    pub ending: Option<i16>,
    pub ineligibility_reason: Option<Cow<'r, str>>,
    pub outcome_code: Option<i16>,
    pub ethnicity_self_defined: Option<i16>,
    pub ethnicity_officer_observed: Option<i16>,
    pub sex: i16,
    pub age_band: i16,
    pub risk_band: Option<Cow<'r, str>>,
    pub previous_convictions: Option<i64>,
    pub trial_arm: Option<i16>,
    pub index_date: Option<CivilDate>,
    pub contract_end: Option<CivilDate>,
    pub monitored_until: Option<CivilDate>,
    pub appointments_attended: i64,
    /// Whether the case went (or, for controls and decliners, goes) to prosecution.
    pub prosecuted: bool,
    /// The current contract's conditions by type, as a JSON object; `None` when there are none.
    pub interventions_json: Option<Cow<'r, str>>,
}

/// Rows copied out of the database's buffers, so that they can be decoded on another thread
/// while the next rows are read: a million-case report spends as long decoding rows as
/// reading them. The reading thread only copies each row's stored facts; the thread that
/// decodes them checks them ([`RowBatch::rows`]).
#[derive(Debug, Default)]
pub struct RowBatch {
    /// The stored facts of every row, back to back, not yet checked.
    facts: Vec<u8>,
    rows: Vec<StoredRow>,
}

/// A row of a batch: its case and where its facts are in the batch.
#[derive(Debug)]
struct StoredRow {
    case_id: Uuid,
    start: usize,
    end: usize,
}

impl RowBatch {
    pub fn with_capacity(rows: usize) -> Self {
        RowBatch {
            // A row's facts take about a hundred bytes.
            facts: Vec::with_capacity(rows * 128),
            rows: Vec::with_capacity(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Empties the batch, keeping its memory for the next rows (a million rows in fresh
    /// batches cost a page fault every few rows).
    pub fn clear(&mut self) {
        self.facts.clear();
        self.rows.clear();
    }

    /// Copies the facts of a row of the `SELECT` in [`select_facts`] (`case_id`, already
    /// read, then `facts`).
    fn push_row(&mut self, case_id: Uuid, row: &dyn RowView) -> Result<(), StoreError> {
        let stored = row.blob(1)?.ok_or_else(|| {
            StoreError::InvalidStoredValue(format!(
                "report_case_facts.facts of case {case_id} is NULL"
            ))
        })?;
        let start = self.facts.len();
        self.facts.extend_from_slice(stored);
        self.rows.push(StoredRow {
            case_id,
            start,
            end: self.facts.len(),
        });
        Ok(())
    }

    /// The rows as read, each decoded from its facts (text borrowed from the batch), or the
    /// error naming the first case whose facts cannot be read.
    pub fn rows(&self) -> impl Iterator<Item = Result<ProjectedCase<'_>, StoreError>> {
        self.rows
            .iter()
            .map(|row| facts::decode(row.case_id, &self.facts[row.start..row.end]))
    }
}

/// Rows per `INSERT` (4 parameters each, well inside both backends' limits).
const ROWS_PER_INSERT: usize = 400;
/// Ids per `DELETE … IN (…)`.
const IDS_PER_DELETE: usize = 500;

/// `WHERE …` over the selection's scheme and dates (the read model has both columns, as
/// `cases` does), and the parameters it names.
fn filter(selection: &CaseSelection, table: &str) -> (String, Vec<Param>) {
    let (terms, params) = selection_filter(selection, &format!("{table}."));
    (where_clause(&terms), params)
}

/// ` WHERE a AND b …`, or nothing for no terms.
fn where_clause(terms: &[String]) -> String {
    if terms.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", terms.join(" AND "))
    }
}

/// Part of the case id space, `from..before` (an end left open takes every id that way):
/// for reading a table in parts, on two connections at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseIdRange {
    pub from: Option<Uuid>,
    pub before: Option<Uuid>,
}

impl CaseIdRange {
    /// Every id.
    pub const ALL: CaseIdRange = CaseIdRange {
        from: None,
        before: None,
    };

    /// Two parts split halfway between `lowest` and `highest` (ids are time-ordered UUIDs, so
    /// halfway in time: even halves for a steady intake).
    pub fn halves(lowest: Uuid, highest: Uuid) -> [CaseIdRange; 2] {
        let (low, high) = (lowest.as_u128(), highest.as_u128());
        let middle = Uuid::from_u128(low / 2 + high / 2 + (low % 2 + high % 2) / 2);
        [
            CaseIdRange {
                from: None,
                before: Some(middle),
            },
            CaseIdRange {
                from: Some(middle),
                before: None,
            },
        ]
    }

    pub fn contains(&self, id: Uuid) -> bool {
        self.from.is_none_or(|from| from <= id) && self.before.is_none_or(|before| id < before)
    }
}

/// The `SELECT` of the selected rows in `ids` ([`RowBatch::push_row`] reads its columns).
fn select_facts(selection: &CaseSelection, ids: CaseIdRange) -> (String, Vec<Param>) {
    let (mut terms, mut params) = selection_filter(selection, "f.");
    if let Some(from) = ids.from {
        params.push(Param::Uuid(from));
        terms.push(format!("f.case_id >= ${}", params.len()));
    }
    if let Some(before) = ids.before {
        params.push(Param::Uuid(before));
        terms.push(format!("f.case_id < ${}", params.len()));
    }
    let sql = format!(
        "SELECT f.case_id, f.facts FROM report_case_facts f{}",
        where_clause(&terms)
    );
    (sql, params)
}

/// About how many rows the read model has, without counting them: a capacity hint for the
/// reader's output (growing a million-record vector copied it into fresh memory a dozen
/// times). SQLite: the highest row number of `cases` (one row per case; never fewer than
/// there are cases). PostgreSQL: the planner's estimate for the table (0 if never analysed).
pub async fn estimated_rows(tx: &mut Tx) -> Result<u64, StoreError> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT coalesce(max(rowid), 0) FROM cases",
        Backend::Postgres => {
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class \
             WHERE oid = 'report_case_facts'::regclass"
        }
    };
    let estimate: i64 = on_tx!(tx, |conn| sqlx::query_scalar(sql).fetch_one(conn).await?);
    Ok(u64::try_from(estimate).unwrap_or(0))
}

/// The lowest and highest case id of the selected rows, if there are any.
pub async fn case_id_span(
    tx: &mut Tx,
    selection: &CaseSelection,
) -> Result<Option<(Uuid, Uuid)>, StoreError> {
    let (clause, params) = filter(selection, "f");
    let mut ends = Vec::with_capacity(2);
    for order in ["ASC", "DESC"] {
        let sql = format!(
            "SELECT f.case_id FROM report_case_facts f{clause} ORDER BY f.case_id {order} LIMIT 1"
        );
        for_each_row(tx, &sql, &params, &mut |row| {
            ends.push(row.uuid(0)?);
            Ok(())
        })
        .await?;
    }
    Ok(match ends[..] {
        [lowest, highest] => Some((lowest, highest)),
        _ => None,
    })
}

/// Calls `each` with the stored row of every selected case that has one (stale or not; see
/// [`stale_cases`]). No particular order.
pub async fn for_each(
    tx: &mut Tx,
    selection: &CaseSelection,
    each: &mut (dyn FnMut(&ProjectedCase<'_>) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    let (sql, params) = select_facts(selection, CaseIdRange::ALL);
    let mut batch = RowBatch::with_capacity(1);
    for_each_row(tx, &sql, &params, &mut |row| {
        batch.clear();
        batch.push_row(row.uuid(0)?, row)?;
        batch.rows().try_for_each(|row| each(&row?))
    })
    .await
}

/// Reads the stored rows of the selected cases in `ids` for which `wanted` holds into batches
/// of `rows_per_batch`, and hands each full batch (and the last, if it has rows) to `full`,
/// which returns an empty one to fill next. No particular order.
pub async fn read_in_batches(
    tx: &mut Tx,
    selection: &CaseSelection,
    ids: CaseIdRange,
    wanted: &(dyn Fn(Uuid) -> bool + Send + Sync),
    rows_per_batch: usize,
    full: &mut (dyn FnMut(RowBatch) -> Result<RowBatch, StoreError> + Send),
) -> Result<(), StoreError> {
    let (sql, params) = select_facts(selection, ids);
    let mut batch = RowBatch::with_capacity(rows_per_batch);
    for_each_row(tx, &sql, &params, &mut |row| {
        // The id first: a row not wanted is not copied.
        let case_id = row.uuid(0)?;
        if wanted(case_id) {
            batch.push_row(case_id, row)?;
        }
        if batch.len() >= rows_per_batch {
            batch = full(std::mem::take(&mut batch))?;
        }
        Ok(())
    })
    .await?;
    if !batch.is_empty() {
        full(batch)?;
    }
    Ok(())
}

/// A reoffending event as the reports read it (see [`crate::reporting::ReoffenceFacts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReoffenceView<'r> {
    pub case_id: Uuid,
    pub arrest_date: CivilDate,
    pub offence: &'r str,
}

/// Calls `each` with the reoffending events of the selected cases, by case then arrest date.
pub async fn for_each_reoffence(
    tx: &mut Tx,
    selection: &CaseSelection,
    each: &mut (dyn FnMut(ReoffenceView<'_>) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    let (clause, params) = filter(selection, "c");
    let join = if params.is_empty() {
        ""
    } else {
        " JOIN cases c ON c.id = r.case_id"
    };
    let sql = format!(
        "SELECT r.case_id, r.arrest_date, r.offence FROM reoffending_events r{join}{clause} \
         ORDER BY r.case_id, r.arrest_date, r.arrest_id"
    );
    for_each_row(tx, &sql, &params, &mut |row| {
        each(ReoffenceView {
            case_id: row.uuid(0)?,
            arrest_date: row.date(1)?.ok_or_else(|| {
                StoreError::InvalidStoredValue("reoffending_events.arrest_date is NULL".into())
            })?,
            offence: row.text(2)?.unwrap_or(""),
        })
    })
    .await
}

/// The selected cases marked stale.
pub async fn stale_cases(tx: &mut Tx, selection: &CaseSelection) -> Result<Vec<Uuid>, StoreError> {
    let (clause, params) = filter(selection, "c");
    // `cases` is joined only to filter: joined always, SQLite's planner walked every case and
    // looked each up among the (usually no) stale ones, a second's work at a million cases.
    let sql = if params.is_empty() {
        "SELECT s.case_id FROM report_stale_cases s".to_owned()
    } else {
        format!(
            "SELECT s.case_id FROM report_stale_cases s JOIN cases c ON c.id = s.case_id{clause}"
        )
    };
    let mut ids = Vec::new();
    for_each_row(tx, &sql, &params, &mut |row| {
        ids.push(row.uuid(0)?);
        Ok(())
    })
    .await?;
    Ok(ids)
}

/// Marks every case stale, so that its row is derived again (after a check finds rows that
/// differ from their records). Returns how many were not marked already.
pub async fn mark_all_stale(tx: &mut Tx) -> Result<u64, StoreError> {
    // `WHERE true`: SQLite needs one to read `ON CONFLICT` as the upsert clause.
    Ok(on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO report_stale_cases (case_id) SELECT id FROM cases WHERE true \
             ON CONFLICT (case_id) DO NOTHING",
        )
        .execute(conn)
        .await?
        .rows_affected()
    }))
}

/// How many cases are marked stale.
pub async fn stale_count(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT COUNT(*) FROM report_stale_cases")
            .fetch_one(conn)
            .await?
    }))
}

/// Writes these rows (replacing any the cases had) and clears the cases' stale marks. Only
/// for rows derived in this same transaction, so nothing can have changed in between.
pub async fn replace(tx: &mut Tx, rows: &[(Instant, ProjectedCase<'_>)]) -> Result<(), StoreError> {
    let columns = ["case_id", "opened_at", "scheme_id", "facts"];
    let backend = tx.backend();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO report_case_facts ({}) VALUES {} ON CONFLICT (case_id) DO UPDATE SET \
             opened_at = excluded.opened_at, scheme_id = excluded.scheme_id, facts = excluded.facts",
            columns.join(", "),
            placeholders(backend, 1, chunk.len(), columns.len()),
        );
        let stored = chunk
            .iter()
            .map(|(_, row)| facts::encode(row))
            .collect::<Result<Vec<_>, _>>()?;
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((opened_at, row), facts) in chunk.iter().zip(&stored) {
                query = query
                    .bind(row.case_id)
                    .bind(*opened_at)
                    .bind(row.scheme_id.as_ref())
                    .bind(facts.as_slice());
            }
            query.execute(conn).await?.rows_affected()
        });
    }
    let ids: Vec<Uuid> = rows.iter().map(|(_, row)| row.case_id).collect();
    for chunk in ids.chunks(IDS_PER_DELETE) {
        let sql = format!(
            "DELETE FROM report_stale_cases WHERE case_id IN ({})",
            placeholders(backend, 1, chunk.len(), 1)
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(conn).await?.rows_affected()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn row(n: u8, optional: bool) -> ProjectedCase<'static> {
        let text = |t: &str| Cow::Owned(format!("{t}{n}"));
        let some = |t: &str| optional.then(|| text(t));
        ProjectedCase {
            case_id: Uuid::from_bytes([n; 16]),
            scheme_id: text("scheme"),
            referral_month: text("2026-0"),
            funnel_stage: 3,
            ending: optional.then_some(2),
            ineligibility_reason: some("reason"),
            outcome_code: optional.then_some(22),
            ethnicity_self_defined: optional.then_some(i16::from(n)),
            ethnicity_officer_observed: optional.then_some(3),
            sex: i16::from(n % 4),
            age_band: 1,
            risk_band: some("moderate"),
            previous_convictions: optional.then_some(i64::from(n)),
            trial_arm: optional.then_some(0),
            index_date: optional.then(|| CivilDate(jiff::civil::date(2026, 1, (n + 1) as i8))),
            contract_end: None,
            monitored_until: optional.then(|| CivilDate(jiff::civil::date(2027, 1, 1))),
            appointments_attended: i64::from(n) * 3,
            prosecuted: n.is_multiple_of(2),
            interventions_json: some(r#"{"drug_treatment":1}"#),
        }
    }

    /// A row as a backend presents it: the columns of [`select_facts`], its id and its facts
    /// as stored.
    struct Stored {
        case_id: Uuid,
        facts: Option<Vec<u8>>,
    }

    impl RowView for Stored {
        fn uuid(&self, _: usize) -> Result<Uuid, StoreError> {
            Ok(self.case_id)
        }
        fn blob(&self, _: usize) -> Result<Option<&[u8]>, StoreError> {
            Ok(self.facts.as_deref())
        }
        fn text_bytes(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
            panic!("column {column} is not text")
        }
        fn date(&self, column: usize) -> Result<Option<CivilDate>, StoreError> {
            panic!("column {column} is not a date")
        }
    }

    fn push(batch: &mut RowBatch, case_id: Uuid, facts: Option<Vec<u8>>) -> Result<(), String> {
        let stored = Stored { case_id, facts };
        batch.push_row(case_id, &stored).map_err(|e| e.to_string())
    }

    #[test]
    fn a_batch_gives_back_the_rows_pushed_into_it() {
        let rows: Vec<_> = (0..20).map(|n| row(n, n % 3 != 0)).collect();
        let mut batch = RowBatch::with_capacity(4);
        for row in &rows {
            push(&mut batch, row.case_id, Some(facts::encode(row).unwrap())).unwrap();
        }
        assert_eq!(batch.len(), rows.len());
        let read: Vec<_> = batch.rows().collect::<Result<_, _>>().unwrap();
        assert_eq!(read, rows);
        batch.clear();
        assert!(batch.is_empty());
        assert_eq!(batch.rows().count(), 0);
    }

    #[test]
    fn a_row_that_cannot_be_read_is_refused_with_its_case_named() {
        let rows: Vec<_> = (0..3).map(|n| row(n, true)).collect();
        let mut batch = RowBatch::with_capacity(4);
        let missing = push(&mut batch, rows[0].case_id, None).unwrap_err();
        assert_eq!(
            missing,
            format!(
                "stored value is invalid: report_case_facts.facts of case {} is NULL",
                rows[0].case_id
            )
        );
        let mut truncated = facts::encode(&rows[1]).unwrap();
        truncated.truncate(5);
        push(
            &mut batch,
            rows[0].case_id,
            Some(facts::encode(&rows[0]).unwrap()),
        )
        .unwrap();
        push(&mut batch, rows[1].case_id, Some(truncated)).unwrap();
        push(
            &mut batch,
            rows[2].case_id,
            Some(facts::encode(&rows[2]).unwrap()),
        )
        .unwrap();
        let read: Vec<_> = batch.rows().map(|r| r.map_err(|e| e.to_string())).collect();
        assert_eq!(read[0], Ok(rows[0].clone()));
        let refused = read[1].as_ref().unwrap_err();
        assert!(
            refused.contains(&format!("facts of case {} cannot be read", rows[1].case_id)),
            "{refused}"
        );
        assert_eq!(read[2], Ok(rows[2].clone()));
    }

    #[test]
    fn the_filter_numbers_its_parameters_in_order() {
        let at = Instant::from(jiff::Timestamp::UNIX_EPOCH);
        let (clause, params) = filter(
            &CaseSelection {
                scheme_id: Some("s".into()),
                opened_from: None,
                opened_before: Some(at),
                ..CaseSelection::default()
            },
            "f",
        );
        assert_eq!(clause, " WHERE f.scheme_id = $1 AND f.opened_at < $2");
        assert_eq!(params.len(), 2);
        assert_eq!(filter(&CaseSelection::default(), "f").0, "");
    }
}
