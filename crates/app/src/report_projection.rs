//! The reports' read model (`checkpoint_store::report_projection`): one stored row per case
//! with its [`CaseRecord`] already derived, so a report over a national database reads one
//! table instead of the event log, contracts, appointments and referral snapshots.
//!
//! - Rows are derived by the same code as ever ([`reports::extract`]): the read model is a
//!   cache of its output, never a second derivation.
//! - [`App::refresh_report_projection`] derives the rows of the cases marked stale, a batch
//!   per short write transaction.
//! - [`read_records`] reads the rows in the report's snapshot, and derives the cases marked
//!   stale in that same snapshot from their records (someone may have changed one since the
//!   refresh), so a report never shows an outdated case.
//! - [`App::check_report_projection`] compares every row not marked stale with a fresh
//!   derivation: the read model's invariant, checkable on a live database.
//!
//! What a row keeps is what does not depend on report settings: the resources are kept as
//! appointments attended, conditions by type and whether the case was prosecuted, and priced
//! with the report's own cost settings when read.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

use checkpoint_domain::outcome::OutcomeCode;
use checkpoint_evaluation::records::{CaseRecord, FunnelPosition, Label, Month, Reoffence};
use checkpoint_store::report_projection::{self, CaseIdRange, ProjectedCase, RowBatch};
use checkpoint_store::reporting::{CaseFacts, CaseSelection, StaleCases};
use checkpoint_store::{Instant, StoreError, Tx};
use serde::Serialize;
use uuid::Uuid;

use crate::App;
use crate::error::AppError;
use crate::report_codes::Coded;
use crate::reports::{
    self, CostSettings, ReferralDetail, parse_offence, reoffence_on, resource_use,
};

/// Maps over a report's million rows, keyed by our own ids and codes: a fast fixed hasher
/// (SipHash, the default, guards against keys chosen by an attacker, which these are not).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type FastSet<K> = HashSet<K, foldhash::fast::FixedState>;

/// Cases derived per write transaction of a refresh: long enough to amortise the queries,
/// short enough that writers queue behind it for a fraction of a second.
const REFRESH_BATCH: u32 = 2_000;

/// What [`App::check_report_projection`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectionCheck {
    /// Rows compared with a fresh derivation.
    pub checked: u64,
    /// Cases marked stale (not compared: a report derives them afresh).
    pub stale: u64,
    /// Cases not marked stale whose row is missing or differs (should be none).
    pub wrong: Vec<Uuid>,
}

impl App {
    /// Derives the rows of every case marked stale, a batch per write transaction, and
    /// returns how many it derived. Run by reports before they read, by `demo generate`
    /// after a bulk load and by `serve` at start.
    pub async fn refresh_report_projection(&self) -> Result<u64, AppError> {
        let batch = CaseSelection {
            marked_stale: Some(StaleCases::First(REFRESH_BATCH)),
            ..CaseSelection::default()
        };
        // Most reports find nothing stale: see that in a snapshot rather than queue for the
        // write lock.
        let mut tx = self.begin_read().await?;
        let stale = report_projection::stale_count(&mut tx).await?;
        tx.rollback().await?;
        if stale == 0 {
            return Ok(0);
        }
        let costs = CostSettings::default();
        let mut derived = 0;
        loop {
            let mut tx = self.begin().await?;
            let extracted = reports::extract(&mut tx, &batch, &costs, ReferralDetail::All).await?;
            if extracted.facts.is_empty() {
                tx.rollback().await?;
                return Ok(derived);
            }
            let rows: Vec<(Instant, ProjectedCase<'_>)> = extracted
                .facts
                .iter()
                .zip(&extracted.records)
                .map(|(facts, record)| (facts.opened_at, project(facts, record)))
                .collect();
            report_projection::replace(&mut tx, &rows).await?;
            tx.commit().await?;
            derived += rows.len() as u64;
            if rows.len() < REFRESH_BATCH as usize {
                return Ok(derived);
            }
        }
    }

    /// Derives every case's row again: for a read model that a check found wrong (edited
    /// behind the application's back, or written by a faulty version). Returns how many rows
    /// it derived.
    pub async fn rebuild_report_projection(&self) -> Result<u64, AppError> {
        let mut tx = self.begin().await?;
        report_projection::mark_all_stale(&mut tx).await?;
        tx.commit().await?;
        self.refresh_report_projection().await
    }

    /// Compares every stored row not marked stale with what the records give now.
    pub async fn check_report_projection(&self) -> Result<ProjectionCheck, AppError> {
        let mut tx = self.begin_read().await?;
        let everything = CaseSelection::default();
        let extracted = reports::extract(
            &mut tx,
            &everything,
            &CostSettings::default(),
            ReferralDetail::All,
        )
        .await?;
        let stale: HashSet<Uuid> = report_projection::stale_cases(&mut tx, &everything)
            .await?
            .into_iter()
            .collect();
        let mut expected: HashMap<Uuid, ProjectedCase<'static>> = extracted
            .facts
            .iter()
            .zip(&extracted.records)
            .filter(|(facts, _)| !stale.contains(&facts.case_id))
            .map(|(facts, record)| (facts.case_id, project(facts, record)))
            .collect();
        let checked = expected.len() as u64;
        let mut wrong = Vec::new();
        report_projection::for_each(&mut tx, &everything, &mut |row| {
            if let Some(want) = expected.remove(&row.case_id)
                && &want != row
            {
                wrong.push(row.case_id);
            }
            Ok(())
        })
        .await?;
        tx.rollback().await?;
        // Whatever is still expected has no row at all.
        wrong.extend(expected.into_keys());
        wrong.sort();
        Ok(ProjectionCheck {
            checked,
            stale: stale.len() as u64,
            wrong,
        })
    }
}

/// The records of the selected cases for a report, in `tx`'s snapshot: stored rows for the
/// cases not marked stale, a fresh derivation for those that are. `alongside`, if there is
/// one, is a second transaction in the same snapshot ([`App::begin_read_pair`]): the stored
/// rows are then read in two halves at once, one on each.
pub(crate) async fn read_records(
    tx: &mut Tx,
    alongside: Option<Tx>,
    selection: &CaseSelection,
    costs: &CostSettings,
) -> Result<Vec<CaseRecord>, AppError> {
    let stale: Arc<FastSet<Uuid>> = Arc::new(
        report_projection::stale_cases(tx, selection)
            .await?
            .into_iter()
            .collect(),
    );
    let mut reoffences = ReoffencesByCase::default();
    let mut categories = Codes::default();
    report_projection::for_each_reoffence(tx, selection, &mut |row| {
        let category = categories.get_or(row.offence, parse_offence);
        reoffences.push(row.case_id, reoffence_on(row.arrest_date.get(), category));
        Ok(())
    })
    .await?;
    let reading = Reading {
        selection: selection.clone(),
        stale: Arc::clone(&stale),
        spare: Arc::default(),
    };
    let mut records = match alongside {
        Some(alongside) => match report_projection::case_id_span(tx, selection).await? {
            Some((lowest, highest)) => {
                let [first, second] = CaseIdRange::halves(lowest, highest);
                let parts = (first, Some((second, alongside)));
                decode_while_reading(tx, reading, parts, costs, reoffences).await?
            }
            None => {
                alongside.rollback().await?;
                Vec::new()
            }
        },
        None => {
            let parts = (CaseIdRange::ALL, None);
            decode_while_reading(tx, reading, parts, costs, reoffences).await?
        }
    };
    if !stale.is_empty() {
        let marked = CaseSelection {
            marked_stale: Some(StaleCases::All),
            ..selection.clone()
        };
        let fresh = reports::extract(tx, &marked, costs, ReferralDetail::All).await?;
        records.extend(fresh.records);
    }
    Ok(records)
}

/// The selection's reoffences by case, in case id order.
///
/// Read model rows usually arrive in case id order too (the table's key, on SQLite), so each
/// case's reoffences are looked for first where the previous case's were: a merge, walking
/// both lists once, instead of a million lookups in a hash table that no cache holds. Rows in
/// any other order (a scheme's, through its index) are found by binary search.
#[derive(Debug, Default)]
struct ReoffencesByCase {
    cases: Vec<(Uuid, Vec<Reoffence>)>,
    /// Set if a backend ordered the ids differently from Rust's `Uuid` order (both compare
    /// bytes, so it should not): they are then sorted before the first lookup.
    unsorted: bool,
}

impl ReoffencesByCase {
    /// Adds a reoffence; they are read ordered by case.
    fn push(&mut self, case_id: Uuid, reoffence: Reoffence) {
        match self.cases.last_mut() {
            Some((last, reoffences)) if *last == case_id => reoffences.push(reoffence),
            last => {
                self.unsorted |= last.is_some_and(|(id, _)| *id > case_id);
                self.cases.push((case_id, vec![reoffence]));
            }
        }
    }

    /// Takes the case's reoffences (none if it has none, or they were taken already). `next`
    /// is where the next case's reoffences are if rows keep to case id order: a cursor for
    /// each stream of rows in that order.
    fn take(&mut self, case_id: Uuid, next: &mut usize) -> Vec<Reoffence> {
        if self.unsorted {
            self.cases.sort_by_key(|(id, _)| *id);
            self.unsorted = false;
        }
        let in_order = next
            .checked_sub(1)
            .is_none_or(|before| self.cases[before].0 < case_id)
            && self.cases.get(*next).is_none_or(|(id, _)| *id >= case_id);
        let at = if in_order {
            *next
        } else {
            self.cases.partition_point(|(id, _)| *id < case_id)
        };
        match self.cases.get_mut(at) {
            Some((id, reoffences)) if *id == case_id => {
                *next = at + 1;
                std::mem::take(reoffences)
            }
            _ => {
                *next = at;
                Vec::new()
            }
        }
    }
}

/// Rows per batch handed from the reading thread to the decoding one.
const DECODE_BATCH_ROWS: usize = 1024;

/// What each reading thread needs, shared between the two.
#[derive(Clone)]
struct Reading {
    selection: CaseSelection,
    /// Rows not to read (their cases are derived afresh).
    stale: Arc<FastSet<Uuid>>,
    /// Batches the decoder has emptied, to be filled again: a million rows in fresh batches
    /// cost a page fault every few rows.
    spare: Arc<Mutex<Vec<RowBatch>>>,
}

impl Reading {
    /// Reads `part` of the rows on `tx` and sends its batches to the decoder.
    async fn part(
        &self,
        tx: &mut Tx,
        part: CaseIdRange,
        decoder: SyncSender<RowBatch>,
    ) -> Result<(), StoreError> {
        let wanted = |case_id: Uuid| !self.stale.contains(&case_id);
        let mut hand_over = |full| {
            // Fails only when the decoding thread has stopped at a bad row; its error is the
            // one reported.
            decoder.send(full).map_err(|_| {
                StoreError::InvalidStoredValue(
                    "a report_case_facts row could not be decoded".into(),
                )
            })?;
            let spare = self.spare.lock().ok().and_then(|mut spare| spare.pop());
            Ok(spare.unwrap_or_else(|| RowBatch::with_capacity(DECODE_BATCH_ROWS)))
        };
        report_projection::read_in_batches(
            tx,
            &self.selection,
            part,
            &wanted,
            DECODE_BATCH_ROWS,
            &mut hand_over,
        )
        .await
    }
}

/// The records of the selected rows not marked stale, with their `reoffences`: a batch of
/// each part in turn, in case id order within each part. The first part is read on `tx` on
/// this thread, the second (if any) on its own transaction on another, and one more thread
/// decodes the batches of rows they send it: at a million cases, reading the rows costs more
/// than everything else put together.
async fn decode_while_reading(
    tx: &mut Tx,
    reading: Reading,
    parts: (CaseIdRange, Option<(CaseIdRange, Tx)>),
    costs: &CostSettings,
    mut reoffences: ReoffencesByCase,
) -> Result<Vec<CaseRecord>, AppError> {
    // A few batches in flight keep every thread busy without holding the table in memory
    // twice if decoding falls behind. A channel for each part: the decoder takes a batch from
    // each in turn, so the records come out in the same order however the readers' timing
    // falls (sums of costs depend on the order their terms are added in).
    let (first_sender, first_batches) = std::sync::mpsc::sync_channel::<RowBatch>(2);
    let (second_sender, second_batches) = std::sync::mpsc::sync_channel::<RowBatch>(2);
    let costs = costs.clone();
    let spare = Arc::clone(&reading.spare);
    // At most the table's rows (no more than a hundred million); memory reserved and not
    // written to costs nothing.
    let capacity = report_projection::estimated_rows(tx)
        .await?
        .min(100_000_000) as usize;
    let decoding = std::thread::Builder::new()
        .name("report-decode".to_owned())
        .spawn(move || -> Result<Vec<CaseRecord>, StoreError> {
            let mut decoder = Decoder::default();
            let mut records = Vec::with_capacity(capacity);
            let mut next_reoffences = [0; 2];
            let parts = [first_batches, second_batches];
            let mut open = [true, true];
            while open.contains(&true) {
                for part in 0..2 {
                    if !open[part] {
                        continue;
                    }
                    let Ok(mut batch) = parts[part].recv() else {
                        open[part] = false;
                        continue;
                    };
                    for row in batch.rows() {
                        let row = row?;
                        let mut record = decoder.record(&row, &costs)?;
                        record.reoffences =
                            reoffences.take(row.case_id, &mut next_reoffences[part]);
                        records.push(record);
                    }
                    batch.clear();
                    if let Ok(mut spare) = spare.lock() {
                        spare.push(batch);
                    }
                }
            }
            Ok(records)
        })
        .map_err(StoreError::Io)?;
    let (first_part, second_part) = parts;
    // The second reader runs on a thread of its own (on SQLite a read is one long blocking
    // call), driven by this runtime. Without one, its channel closes at once.
    let second = second_part.map(|(part, alongside)| {
        let reading = reading.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            runtime.block_on(async move {
                let mut alongside = alongside;
                let read = reading.part(&mut alongside, part, second_sender).await;
                alongside.rollback().await?;
                read
            })
        })
    });
    let first = reading.part(tx, first_part, first_sender).await;
    let second = match second {
        None => Ok(()),
        Some(reader) => match reader.await {
            Ok(read) => read,
            Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
            Err(cancelled) => Err(StoreError::Unsupported(format!(
                "the second reader of the report was cancelled: {cancelled}"
            ))),
        },
    };
    let decoded = decoding
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    // A decoding error first: a reader's error is then only that the decoder stopped.
    let records = decoded?;
    first?;
    second?;
    Ok(records)
}

/// A case's stored row, from its facts and the record derived from them.
fn project(facts: &CaseFacts, record: &CaseRecord) -> ProjectedCase<'static> {
    let owned = |text: String| Cow::Owned(text);
    ProjectedCase {
        case_id: facts.case_id,
        scheme_id: owned(record.scheme.to_string()),
        referral_month: owned(record.referral_month.to_string()),
        funnel_stage: record.position.stage.code(),
        ending: record.position.ending.map(Coded::code),
        ineligibility_reason: record
            .ineligibility_reason
            .as_deref()
            .map(str::to_owned)
            .map(owned),
        // The Home Office's own number.
        outcome_code: record.outcome_code.map(|c| i16::from(c.get())),
        ethnicity_self_defined: record.ethnicity_self_defined.map(Coded::code),
        ethnicity_officer_observed: record.ethnicity_officer_observed.map(Coded::code),
        sex: record.sex.code(),
        age_band: record.age_band.code(),
        risk_band: record.risk_band.as_deref().map(str::to_owned).map(owned),
        previous_convictions: record.previous_convictions.map(i64::from),
        trial_arm: record.trial_arm.map(Coded::code),
        index_date: record.index_date.map(Into::into),
        contract_end: record.contract_end.map(Into::into),
        monitored_until: record.monitored_until.map(Into::into),
        appointments_attended: facts.appointments_attended,
        prosecuted: record.resources.prosecutions > 0,
        interventions_json: (!record.resources.interventions.is_empty()).then(|| {
            owned(
                serde_json::to_string(&record.resources.interventions)
                    .expect("a map of strings to numbers serialises"),
            )
        }),
    }
}

/// Parsed codes by their text: a million rows carry a few dozen distinct values, so each is
/// parsed once.
#[derive(Debug)]
struct Codes<T> {
    parsed: FastMap<String, T>,
}

impl<T> Default for Codes<T> {
    fn default() -> Self {
        Codes {
            parsed: FastMap::default(),
        }
    }
}

impl<T: Clone> Codes<T> {
    fn get_or(&mut self, text: &str, parse: impl FnOnce(&str) -> T) -> T {
        if let Some(value) = self.parsed.get(text) {
            return value.clone();
        }
        let value = parse(text);
        self.parsed.insert(text.to_owned(), value.clone());
        value
    }
}

fn invalid(column: &str, text: &str) -> StoreError {
    StoreError::InvalidStoredValue(format!("report_case_facts.{column}: {text:?}"))
}

/// Rebuilds records from stored rows, parsing each distinct text once.
#[derive(Debug, Default)]
struct Decoder {
    months: Codes<Option<Month>>,
    interventions: Codes<Option<Arc<BTreeMap<String, u32>>>>,
    /// Free text read into shared [`Label`]s (schemes, reasons, risk bands).
    labels: Codes<Label>,
    /// The one map of the cases without interventions (most of them): one allocation, and
    /// one price for costs to work out.
    no_interventions: Arc<BTreeMap<String, u32>>,
}

/// The value `text` codes for, through `cache`.
fn decode<T: Clone>(
    cache: &mut Codes<Option<T>>,
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    cache
        .get_or(text, parse)
        .ok_or_else(|| invalid(column, text))
}

/// The category stored as `code` (in the column named by `T::KIND`).
fn category<T: Coded>(code: i16) -> Result<T, StoreError> {
    T::from_code(code).ok_or_else(|| invalid(T::KIND, &code.to_string()))
}

/// [`category`] for a column that may be NULL.
fn optional_category<T: Coded>(code: Option<i16>) -> Result<Option<T>, StoreError> {
    code.map(category).transpose()
}

/// [`decode`] for a column that may be NULL.
fn decode_optional<T: Clone>(
    cache: &mut Codes<Option<T>>,
    column: &str,
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    text.map(|t| decode(cache, column, t, parse)).transpose()
}

impl Decoder {
    fn label(&mut self, text: &str) -> Label {
        self.labels.get_or(text, |text| Label::from(text))
    }

    fn record(
        &mut self,
        row: &ProjectedCase<'_>,
        costs: &CostSettings,
    ) -> Result<CaseRecord, StoreError> {
        let interventions = decode_optional(
            &mut self.interventions,
            "interventions_json",
            row.interventions_json.as_deref(),
            |json| serde_json::from_str(json).ok().map(Arc::new),
        )?
        .unwrap_or_else(|| Arc::clone(&self.no_interventions));
        let previous_convictions = row
            .previous_convictions
            .map(|n| u32::try_from(n).map_err(|_| invalid("previous_convictions", &n.to_string())))
            .transpose()?;
        Ok(CaseRecord {
            case_id: row.case_id,
            scheme: self.label(&row.scheme_id),
            referral_month: decode(
                &mut self.months,
                "referral_month",
                &row.referral_month,
                parse_month,
            )?,
            position: FunnelPosition {
                stage: category(row.funnel_stage)?,
                ending: optional_category(row.ending)?,
            },
            ineligibility_reason: row.ineligibility_reason.as_deref().map(|r| self.label(r)),
            decline_reason: None,
            outcome_code: row
                .outcome_code
                .map(|code| {
                    u8::try_from(code)
                        .ok()
                        .and_then(|n| OutcomeCode::new(n).ok())
                        .ok_or_else(|| invalid("outcome_code", &code.to_string()))
                })
                .transpose()?,
            ethnicity_self_defined: optional_category(row.ethnicity_self_defined)?,
            ethnicity_officer_observed: optional_category(row.ethnicity_officer_observed)?,
            sex: category(row.sex)?,
            age_band: category(row.age_band)?,
            risk_band: row.risk_band.as_deref().map(|r| self.label(r)),
            previous_convictions,
            trial_arm: optional_category(row.trial_arm)?,
            index_date: row.index_date.map(Into::into),
            contract_end: row.contract_end.map(Into::into),
            monitored_until: row.monitored_until.map(Into::into),
            reoffences: Vec::new(),
            resources: resource_use(
                row.appointments_attended,
                interventions,
                row.prosecuted,
                costs,
            ),
        })
    }
}

/// `YYYY-MM` as written by [`Month`]'s `Display`.
fn parse_month(text: &str) -> Option<Month> {
    let (year, month) = text.split_once('-')?;
    Some(Month {
        year: year.parse().ok()?,
        month: month.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reoffences_are_found_for_rows_in_any_order() {
        use checkpoint_domain::offence::OffenceCategory;
        let on = |day| reoffence_on(jiff::civil::date(2026, 1, day), OffenceCategory::Theft);
        let id = |n: u8| Uuid::from_bytes([n; 16]);
        for unsorted_feed in [false, true] {
            let mut by_case = ReoffencesByCase::default();
            let mut next = 0;
            let feed = [(2, 1), (2, 2), (5, 3), (9, 4), (9, 5), (9, 6)];
            let feed: Vec<_> = if unsorted_feed {
                feed.iter().rev().copied().collect()
            } else {
                feed.to_vec()
            };
            for (case, day) in feed {
                by_case.push(id(case), on(day));
            }
            // In order, out of order, twice, and cases with none before, between and after.
            for (case, expected) in [
                (1, 0),
                (2, 2),
                (3, 0),
                (9, 3),
                (5, 1),
                (5, 0),
                (2, 0),
                (7, 0),
                (10, 0),
            ] {
                let found = by_case.take(id(case), &mut next);
                assert_eq!(
                    found.len(),
                    expected,
                    "case {case}, unsorted {unsorted_feed}"
                );
                assert!(found.iter().all(|r| r.category == OffenceCategory::Theft));
            }
        }
    }

    #[test]
    fn a_month_reads_back_as_written() {
        let month = Month {
            year: 2026,
            month: 3,
        };
        assert_eq!(parse_month(&month.to_string()), Some(month));
        assert_eq!(parse_month("2026"), None);
    }
}
