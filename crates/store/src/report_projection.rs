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
use crate::db::{Tx, on_tx};
use crate::error::StoreError;
use crate::reporting::{CaseSelection, selection_filter};
use crate::time::{CivilDate, Instant};

/// One case as the reports read it. Codes are the evaluation crate's serde names; strings are
/// borrowed from the database row when read, owned when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedCase<'r> {
    pub case_id: Uuid,
    pub scheme_id: Cow<'r, str>,
    /// `YYYY-MM`, the Europe/London month the case was opened (referred).
    pub referral_month: Cow<'r, str>,
    pub funnel_stage: Cow<'r, str>,
    pub ending: Option<Cow<'r, str>>,
    pub ineligibility_reason: Option<Cow<'r, str>>,
    pub outcome_code: Option<Cow<'r, str>>,
    pub ethnicity_self_defined: Option<Cow<'r, str>>,
    pub ethnicity_officer_observed: Option<Cow<'r, str>>,
    pub sex: Cow<'r, str>,
    pub age_band: Cow<'r, str>,
    pub risk_band: Option<Cow<'r, str>>,
    pub previous_convictions: Option<i64>,
    pub trial_arm: Option<Cow<'r, str>>,
    pub index_date: Option<CivilDate>,
    pub contract_end: Option<CivilDate>,
    pub monitored_until: Option<CivilDate>,
    pub appointments_attended: i64,
    /// Whether the case went (or, for controls and decliners, goes) to prosecution.
    pub prosecuted: bool,
    /// The current contract's conditions by type, as a JSON object; `None` when there are none.
    pub interventions_json: Option<Cow<'r, str>>,
}

/// Rows copied out of the database's buffers into one string, so that they can be decoded on
/// another thread while the next rows are read: a million-case report spends as long
/// decoding rows as reading them.
#[derive(Debug, Default)]
pub struct RowBatch {
    text: String,
    rows: Vec<PackedCase>,
}

/// A [`ProjectedCase`] whose strings are ranges of its batch's text.
#[derive(Debug)]
struct PackedCase {
    case_id: Uuid,
    scheme_id: Span,
    referral_month: Span,
    funnel_stage: Span,
    ending: Option<Span>,
    ineligibility_reason: Option<Span>,
    outcome_code: Option<Span>,
    ethnicity_self_defined: Option<Span>,
    ethnicity_officer_observed: Option<Span>,
    sex: Span,
    age_band: Span,
    risk_band: Option<Span>,
    previous_convictions: Option<i64>,
    trial_arm: Option<Span>,
    index_date: Option<CivilDate>,
    contract_end: Option<CivilDate>,
    monitored_until: Option<CivilDate>,
    appointments_attended: i64,
    prosecuted: bool,
    interventions_json: Option<Span>,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl RowBatch {
    pub fn with_capacity(rows: usize) -> Self {
        RowBatch {
            // Rows hold about a hundred bytes of text.
            text: String::with_capacity(rows * 128),
            rows: Vec::with_capacity(rows),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn push(&mut self, row: &ProjectedCase<'_>) {
        let mut copy = |text: &str| {
            let start = self.text.len();
            self.text.push_str(text);
            Span {
                start,
                end: self.text.len(),
            }
        };
        let packed = PackedCase {
            case_id: row.case_id,
            scheme_id: copy(&row.scheme_id),
            referral_month: copy(&row.referral_month),
            funnel_stage: copy(&row.funnel_stage),
            ending: row.ending.as_deref().map(&mut copy),
            ineligibility_reason: row.ineligibility_reason.as_deref().map(&mut copy),
            outcome_code: row.outcome_code.as_deref().map(&mut copy),
            ethnicity_self_defined: row.ethnicity_self_defined.as_deref().map(&mut copy),
            ethnicity_officer_observed: row.ethnicity_officer_observed.as_deref().map(&mut copy),
            sex: copy(&row.sex),
            age_band: copy(&row.age_band),
            risk_band: row.risk_band.as_deref().map(&mut copy),
            previous_convictions: row.previous_convictions,
            trial_arm: row.trial_arm.as_deref().map(&mut copy),
            index_date: row.index_date,
            contract_end: row.contract_end,
            monitored_until: row.monitored_until,
            appointments_attended: row.appointments_attended,
            prosecuted: row.prosecuted,
            interventions_json: row.interventions_json.as_deref().map(&mut copy),
        };
        self.rows.push(packed);
    }

    /// The rows as pushed.
    pub fn rows(&self) -> impl Iterator<Item = ProjectedCase<'_>> {
        let text = |span: Span| Cow::Borrowed(&self.text[span.start..span.end]);
        self.rows.iter().map(move |row| ProjectedCase {
            case_id: row.case_id,
            scheme_id: text(row.scheme_id),
            referral_month: text(row.referral_month),
            funnel_stage: text(row.funnel_stage),
            ending: row.ending.map(text),
            ineligibility_reason: row.ineligibility_reason.map(text),
            outcome_code: row.outcome_code.map(text),
            ethnicity_self_defined: row.ethnicity_self_defined.map(text),
            ethnicity_officer_observed: row.ethnicity_officer_observed.map(text),
            sex: text(row.sex),
            age_band: text(row.age_band),
            risk_band: row.risk_band.map(text),
            previous_convictions: row.previous_convictions,
            trial_arm: row.trial_arm.map(text),
            index_date: row.index_date,
            contract_end: row.contract_end,
            monitored_until: row.monitored_until,
            appointments_attended: row.appointments_attended,
            prosecuted: row.prosecuted,
            interventions_json: row.interventions_json.map(text),
        })
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

fn decode<'r>(row: &'r dyn RowView) -> Result<ProjectedCase<'r>, StoreError> {
    let text = |column: usize| -> Result<Option<Cow<'r, str>>, StoreError> {
        Ok(row.text(column)?.map(Cow::Borrowed))
    };
    let required = |column: usize| -> Result<Cow<'r, str>, StoreError> {
        text(column)?.ok_or_else(|| {
            StoreError::InvalidStoredValue(format!(
                "report_case_facts.{} is NULL",
                FACT_COLUMNS[column - 1]
            ))
        })
    };
    Ok(ProjectedCase {
        case_id: row.uuid(0)?,
        scheme_id: required(1)?,
        referral_month: required(2)?,
        funnel_stage: required(3)?,
        ending: text(4)?,
        ineligibility_reason: text(5)?,
        outcome_code: text(6)?,
        ethnicity_self_defined: text(7)?,
        ethnicity_officer_observed: text(8)?,
        sex: required(9)?,
        age_band: required(10)?,
        risk_band: text(11)?,
        previous_convictions: row.int(12)?,
        trial_arm: text(13)?,
        index_date: row.date(14)?,
        contract_end: row.date(15)?,
        monitored_until: row.date(16)?,
        appointments_attended: row.int(17)?.unwrap_or(0),
        prosecuted: row.flag(18)?,
        interventions_json: text(19)?,
    })
}

/// `WHERE …` over the selection's scheme and dates (the read model has both columns, as
/// `cases` does), and the parameters it names.
fn filter(selection: &CaseSelection, table: &str) -> (String, Vec<Param>) {
    let (terms, params) = selection_filter(selection, &format!("{table}."));
    let clause = if terms.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", terms.join(" AND "))
    };
    (clause, params)
}

/// Calls `each` with the stored row of every selected case that has one (stale or not; see
/// [`stale_cases`]). No particular order.
pub async fn for_each(
    tx: &mut Tx,
    selection: &CaseSelection,
    each: &mut (dyn FnMut(&ProjectedCase<'_>) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    let (clause, params) = filter(selection, "f");
    let sql = format!(
        "SELECT f.case_id, {} FROM report_case_facts f{clause}",
        FACT_COLUMNS.map(|c| format!("f.{c}")).join(", ")
    );
    for_each_row(tx, &sql, &params, &mut |row| each(&decode(row)?)).await
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
    let sql = format!(
        "SELECT s.case_id FROM report_stale_cases s JOIN cases c ON c.id = s.case_id{clause}"
    );
    let mut ids = Vec::new();
    for_each_row(tx, &sql, &params, &mut |row| {
        ids.push(row.uuid(0)?);
        Ok(())
    })
    .await?;
    Ok(ids)
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
                    .bind(row.funnel_stage.as_ref())
                    .bind(row.ending.as_deref())
                    .bind(row.ineligibility_reason.as_deref())
                    .bind(row.outcome_code.as_deref())
                    .bind(row.ethnicity_self_defined.as_deref())
                    .bind(row.ethnicity_officer_observed.as_deref())
                    .bind(row.sex.as_ref())
                    .bind(row.age_band.as_ref())
                    .bind(row.risk_band.as_deref())
                    .bind(row.previous_convictions)
                    .bind(row.trial_arm.as_deref())
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
            funnel_stage: text("accepted"),
            ending: some("completed"),
            ineligibility_reason: some("reason"),
            outcome_code: some("2"),
            ethnicity_self_defined: some("white_british"),
            ethnicity_officer_observed: some("white"),
            sex: text("female"),
            age_band: text("18-24"),
            risk_band: some("moderate"),
            previous_convictions: optional.then_some(i64::from(n)),
            trial_arm: some("treatment"),
            index_date: optional.then(|| CivilDate(jiff::civil::date(2026, 1, (n + 1) as i8))),
            contract_end: None,
            monitored_until: optional.then(|| CivilDate(jiff::civil::date(2027, 1, 1))),
            appointments_attended: i64::from(n) * 3,
            prosecuted: n.is_multiple_of(2),
            interventions_json: some(r#"{"drug_treatment":1}"#),
        }
    }

    #[test]
    fn a_batch_gives_back_the_rows_pushed_into_it() {
        let rows: Vec<_> = (0..20).map(|n| row(n, n % 3 != 0)).collect();
        let mut batch = RowBatch::with_capacity(4);
        assert!(batch.is_empty());
        for r in &rows {
            batch.push(r);
        }
        assert_eq!(batch.len(), rows.len());
        assert_eq!(batch.rows().collect::<Vec<_>>(), rows);
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
