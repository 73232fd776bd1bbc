//! The reports' read model (migration 0010): `report_case_facts`, one row per case holding
//! what evaluation reads about it, already derived, and `report_stale_cases`, the cases whose
//! row may be out of date.
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

/// One case as the reports read it. Categories are stored as small integer codes (the app's
/// `report_codes`, named in the `report_codes` table); strings are borrowed from the database
/// row when read, owned when written.
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
/// reading them. The reading thread only copies bytes; their check as UTF-8 is made by the
/// thread that decodes them, once per batch ([`RowBatch::rows`]).
#[derive(Debug, Default)]
pub struct RowBatch {
    /// The text of every row, back to back, not yet checked to be UTF-8.
    text: Vec<u8>,
    rows: Vec<PackedCase>,
}

/// A [`ProjectedCase`] whose strings are ranges of its batch's text.
#[derive(Debug)]
struct PackedCase {
    case_id: Uuid,
    scheme_id: Span,
    referral_month: Span,
    funnel_stage: i16,
    ending: Option<i16>,
    ineligibility_reason: Option<Span>,
    outcome_code: Option<i16>,
    ethnicity_self_defined: Option<i16>,
    ethnicity_officer_observed: Option<i16>,
    sex: i16,
    age_band: i16,
    risk_band: Option<Span>,
    previous_convictions: Option<i64>,
    trial_arm: Option<i16>,
    index_date: Option<CivilDate>,
    contract_end: Option<CivilDate>,
    monitored_until: Option<CivilDate>,
    appointments_attended: i64,
    prosecuted: bool,
    interventions_json: Option<Span>,
}

/// Where a value is in its batch's text, and which column it came from (for the error if
/// it is not UTF-8).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    column: u8,
}

impl RowBatch {
    pub fn with_capacity(rows: usize) -> Self {
        RowBatch {
            // Rows hold about a hundred bytes of text.
            text: Vec::with_capacity(rows * 128),
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
        self.text.clear();
        self.rows.clear();
    }

    /// Copies a row of the `SELECT` in [`select_facts`] (`case_id`, already read, then
    /// [`FACT_COLUMNS`]).
    fn push_row(&mut self, case_id: Uuid, row: &dyn RowView) -> Result<(), StoreError> {
        let text = &mut self.text;
        let mut copy = |column: usize| -> Result<Option<Span>, StoreError> {
            let Some(bytes) = row.text_bytes(column)? else {
                return Ok(None);
            };
            let start = text.len();
            text.extend_from_slice(bytes);
            let offset = |at: usize| {
                u32::try_from(at).map_err(|_| {
                    StoreError::InvalidStoredValue("a batch of rows over 4 GiB of text".into())
                })
            };
            Ok(Some(Span {
                start: offset(start)?,
                end: offset(text.len())?,
                column: column as u8,
            }))
        };
        let code = |column: usize| -> Result<Option<i16>, StoreError> {
            row.int(column)?
                .map(|n| {
                    i16::try_from(n).map_err(|_| {
                        StoreError::InvalidStoredValue(format!(
                            "report_case_facts.{}: {n} is not a code",
                            FACT_COLUMNS[column - 1]
                        ))
                    })
                })
                .transpose()
        };
        fn required<T>(value: Option<T>, column: usize) -> Result<T, StoreError> {
            value.ok_or_else(|| {
                StoreError::InvalidStoredValue(format!(
                    "report_case_facts.{} is NULL",
                    FACT_COLUMNS[column - 1]
                ))
            })
        }
        let packed = PackedCase {
            case_id,
            scheme_id: required(copy(1)?, 1)?,
            referral_month: required(copy(2)?, 2)?,
            funnel_stage: required(code(3)?, 3)?,
            ending: code(4)?,
            ineligibility_reason: copy(5)?,
            outcome_code: code(6)?,
            ethnicity_self_defined: code(7)?,
            ethnicity_officer_observed: code(8)?,
            sex: required(code(9)?, 9)?,
            age_band: required(code(10)?, 10)?,
            risk_band: copy(11)?,
            previous_convictions: row.int(12)?,
            trial_arm: code(13)?,
            index_date: row.date(14)?,
            contract_end: row.date(15)?,
            monitored_until: row.date(16)?,
            appointments_attended: row.int(17)?.unwrap_or(0),
            prosecuted: row.flag(18)?,
            interventions_json: copy(19)?,
        };
        self.rows.push(packed);
        Ok(())
    }

    /// The rows as read, once their text is checked to be UTF-8 (all of it at once; then
    /// each value's ends are checked to fall between characters, so no value can borrow
    /// half a character from the next).
    pub fn rows(&self) -> Result<impl Iterator<Item = ProjectedCase<'_>>, StoreError> {
        let text = std::str::from_utf8(&self.text).map_err(|error| {
            let at = error.valid_up_to() as u32;
            let column = self
                .rows
                .iter()
                .flat_map(PackedCase::spans)
                .find(|span| span.start <= at && at < span.end)
                .map_or("?", |span| FACT_COLUMNS[usize::from(span.column) - 1]);
            StoreError::InvalidStoredValue(format!("report_case_facts.{column} is not UTF-8"))
        })?;
        for span in self.rows.iter().flat_map(PackedCase::spans) {
            if text.get(span.start as usize..span.end as usize).is_none() {
                return Err(StoreError::InvalidStoredValue(format!(
                    "report_case_facts.{} is not UTF-8",
                    FACT_COLUMNS[usize::from(span.column) - 1]
                )));
            }
        }
        let value = |span: Span| Cow::Borrowed(&text[span.start as usize..span.end as usize]);
        Ok(self.rows.iter().map(move |row| ProjectedCase {
            case_id: row.case_id,
            scheme_id: value(row.scheme_id),
            referral_month: value(row.referral_month),
            funnel_stage: row.funnel_stage,
            ending: row.ending,
            ineligibility_reason: row.ineligibility_reason.map(value),
            outcome_code: row.outcome_code,
            ethnicity_self_defined: row.ethnicity_self_defined,
            ethnicity_officer_observed: row.ethnicity_officer_observed,
            sex: row.sex,
            age_band: row.age_band,
            risk_band: row.risk_band.map(value),
            previous_convictions: row.previous_convictions,
            trial_arm: row.trial_arm,
            index_date: row.index_date,
            contract_end: row.contract_end,
            monitored_until: row.monitored_until,
            appointments_attended: row.appointments_attended,
            prosecuted: row.prosecuted,
            interventions_json: row.interventions_json.map(value),
        }))
    }
}

impl PackedCase {
    fn spans(&self) -> impl Iterator<Item = Span> {
        [
            Some(self.scheme_id),
            Some(self.referral_month),
            self.ineligibility_reason,
            self.risk_band,
            self.interventions_json,
        ]
        .into_iter()
        .flatten()
    }
}

/// The columns after `case_id` and `opened_at`, in [`ProjectedCase`] field order.
const FACT_COLUMNS: [&str; 19] = [
    "scheme_id",
    "referral_month",
    "funnel_stage",
    "ending",
    "ineligibility_reason",
    "outcome_code",
    "ethnicity_self_defined",
    "ethnicity_officer_observed",
    "sex",
    "age_band",
    "risk_band",
    "previous_convictions",
    "trial_arm",
    "index_date",
    "contract_end",
    "monitored_until",
    "appointments_attended",
    "prosecuted",
    "interventions_json",
];

/// Rows per `INSERT` (22 parameters each, well inside both backends' limits).
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
        "SELECT f.case_id, {} FROM report_case_facts f{}",
        FACT_COLUMNS.map(|c| format!("f.{c}")).join(", "),
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
        batch.rows()?.try_for_each(|row| each(&row))
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
    let columns = ["case_id", "opened_at"]
        .into_iter()
        .chain(FACT_COLUMNS)
        .collect::<Vec<_>>();
    let updates = columns[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let backend = tx.backend();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO report_case_facts ({}) VALUES {} \
             ON CONFLICT (case_id) DO UPDATE SET {updates}",
            columns.join(", "),
            placeholders(backend, 1, chunk.len(), columns.len()),
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (opened_at, row) in chunk {
                query = query
                    .bind(row.case_id)
                    .bind(*opened_at)
                    .bind(row.scheme_id.as_ref())
                    .bind(row.referral_month.as_ref())
                    .bind(row.funnel_stage)
                    .bind(row.ending)
                    .bind(row.ineligibility_reason.as_deref())
                    .bind(row.outcome_code)
                    .bind(row.ethnicity_self_defined)
                    .bind(row.ethnicity_officer_observed)
                    .bind(row.sex)
                    .bind(row.age_band)
                    .bind(row.risk_band.as_deref())
                    .bind(row.previous_convictions)
                    .bind(row.trial_arm)
                    .bind(row.index_date)
                    .bind(row.contract_end)
                    .bind(row.monitored_until)
                    .bind(row.appointments_attended)
                    .bind(row.prosecuted)
                    .bind(row.interventions_json.as_deref());
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

    fn row(n: u8, optional: bool) -> ProjectedCase<'static> {
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

    /// A row as a backend presents it: the columns of [`select_facts`], with text given as
    /// stored bytes (`raw` replaces a column's text, `raw_int` its integer).
    struct Stored<'a> {
        row: &'a ProjectedCase<'a>,
        raw: Option<(usize, &'static [u8])>,
        raw_int: Option<(usize, Option<i64>)>,
    }

    impl RowView for Stored<'_> {
        fn uuid(&self, _: usize) -> Result<Uuid, StoreError> {
            Ok(self.row.case_id)
        }
        fn text_bytes(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
            if let Some((raw_column, bytes)) = self.raw
                && raw_column == column
            {
                return Ok(Some(bytes));
            }
            let r = self.row;
            let text = match column {
                1 => Some(&r.scheme_id),
                2 => Some(&r.referral_month),
                5 => r.ineligibility_reason.as_ref(),
                11 => r.risk_band.as_ref(),
                19 => r.interventions_json.as_ref(),
                other => panic!("column {other} is not text"),
            };
            Ok(text.map(|t| t.as_bytes()))
        }
        fn int(&self, column: usize) -> Result<Option<i64>, StoreError> {
            if let Some((raw_column, value)) = self.raw_int
                && raw_column == column
            {
                return Ok(value);
            }
            let r = self.row;
            let code = |code: Option<i16>| code.map(i64::from);
            Ok(match column {
                3 => Some(i64::from(r.funnel_stage)),
                4 => code(r.ending),
                6 => code(r.outcome_code),
                7 => code(r.ethnicity_self_defined),
                8 => code(r.ethnicity_officer_observed),
                9 => Some(i64::from(r.sex)),
                10 => Some(i64::from(r.age_band)),
                13 => code(r.trial_arm),
                12 => self.row.previous_convictions,
                17 => Some(self.row.appointments_attended),
                other => panic!("column {other} is not an integer"),
            })
        }
        fn date(&self, column: usize) -> Result<Option<CivilDate>, StoreError> {
            Ok(match column {
                14 => self.row.index_date,
                15 => self.row.contract_end,
                16 => self.row.monitored_until,
                other => panic!("column {other} is not a date"),
            })
        }
        fn flag(&self, _: usize) -> Result<bool, StoreError> {
            Ok(self.row.prosecuted)
        }
    }

    fn batch_of(rows: &[ProjectedCase<'_>], raw: &[(usize, usize, &'static [u8])]) -> RowBatch {
        let mut batch = RowBatch::with_capacity(4);
        for (n, row) in rows.iter().enumerate() {
            let raw = raw
                .iter()
                .find(|(at, ..)| *at == n)
                .map(|(_, c, b)| (*c, *b));
            let stored = Stored {
                row,
                raw,
                raw_int: None,
            };
            batch.push_row(row.case_id, &stored).unwrap();
        }
        batch
    }

    #[test]
    fn a_batch_gives_back_the_rows_pushed_into_it() {
        let rows: Vec<_> = (0..20).map(|n| row(n, n % 3 != 0)).collect();
        let mut batch = batch_of(&rows, &[]);
        assert_eq!(batch.len(), rows.len());
        assert_eq!(batch.rows().unwrap().collect::<Vec<_>>(), rows);
        batch.clear();
        assert!(batch.is_empty());
        assert_eq!(batch.rows().unwrap().count(), 0);
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_by_column() {
        let rows: Vec<_> = (0..3).map(|n| row(n, true)).collect();
        let error = |raw| batch_of(&rows, raw).rows().err().map(|e| e.to_string());
        assert_eq!(
            error(&[(1, 1, b"sch\xffeme")]).as_deref(),
            Some("stored value is invalid: report_case_facts.scheme_id is not UTF-8")
        );
        // Two values that are only UTF-8 together (a character split between them): the
        // batch's text checks out, each value's ends do not.
        assert_eq!(
            error(&[(2, 5, b"reason\xc3"), (2, 11, b"\xa9")]).as_deref(),
            Some("stored value is invalid: report_case_facts.ineligibility_reason is not UTF-8")
        );
    }

    #[test]
    fn a_code_that_is_missing_or_out_of_range_is_refused_by_column() {
        let row = row(1, true);
        let error = |raw_int| {
            let stored = Stored {
                row: &row,
                raw: None,
                raw_int: Some(raw_int),
            };
            let mut batch = RowBatch::with_capacity(1);
            batch
                .push_row(row.case_id, &stored)
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            error((9, None)).as_deref(),
            Some("stored value is invalid: report_case_facts.sex is NULL")
        );
        assert_eq!(
            error((4, Some(70_000))).as_deref(),
            Some("stored value is invalid: report_case_facts.ending: 70000 is not a code")
        );
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
