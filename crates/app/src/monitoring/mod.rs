//! Reoffending monitoring: each new arrest in the feed is scored against everyone the
//! programme knows (an incremental Fellegi–Sunter [`Index`](checkpoint_linkage::Index) kept in
//! the [`App`]), then, by band:
//!
//! - **link** (≥ the upper threshold): recorded against the person with its probability,
//!   weight and per-field explanation, and acted on ([`effects`]): a review on a running
//!   contract, a reoffending event within follow-up;
//! - **review**: queued for a person to confirm or reject ([`queue`]); a confirmation acts like
//!   an automatic link;
//! - **no link**: nothing, but the arrest row is kept so the same row is never scored twice.
//!
//! Imports are idempotent by (source, arrest reference) — a row hash when the feed has no
//! reference — and commit in batches ([`ImportOptions::batch_rows`]), so a crash loses at most
//! the open batch and a re-run picks up where it stopped. `all_or_nothing` refuses a feed with
//! any bad row and writes everything else in one transaction.
//!
//! Who: importing takes [`Action::ImportArrests`] (supervisors and admins: an admin runs
//! the feed as an operational job and sees only counts); the CLI imports as a
//! [`SystemActor`] (whoever can run it already holds the database). Links and their case
//! effects are always written by the system actor `arrest-feed`; every link writes a
//! *combination* audit row, every batch a *collection* row naming who imported.
//!
//! Person ids never change: the index is keyed by the people table's ids. It stays current
//! without a restart: a referral or re-screening that creates or corrects a person updates it
//! as it commits ([`App::person_changed`]); before each import, people created since (by
//! another process too) are read in by `created_at`, and people pseudonymised at retention
//! review (in this process: [`App::person_erased`]; by the CLI: found by `pseudonymised_at`)
//! are dropped. A correction made by *another* server process is seen after a restart.

pub mod effects;
pub mod feed;
pub mod model;
pub mod queue;

use crate::case_notes::{Writer, audit_row};
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::reviews::SystemActor;
use crate::{Actor, App, FieldError};
use checkpoint_linkage::{Band, Candidate, Model, Record};
use checkpoint_store::arrests::{self, ArrestRow, ClericalRow, LinkRow, NewModel};
use checkpoint_store::{AuditAction, AuditEntry, CivilDate, Tx, audit};
use effects::LinkEffects;
use feed::{FeedRow, ParsedFeed};
use model::LoadedIndex;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::RwLock;
use uuid::Uuid;

/// The system actor that records links and their effects.
pub const FEED_SYSTEM_NAME: &str = "arrest-feed";

/// The in-memory index of known people, shared by every import in this process. Scoring
/// reads it (many at once); loading people, corrections and erasures write it, briefly, and
/// never across an await.
#[derive(Default)]
pub struct Monitor {
    loaded: RwLock<Option<LoadedIndex>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

/// Who starts an import or a training run.
#[derive(Debug, Clone, Copy)]
pub enum Operator<'a> {
    User(&'a Actor),
    System(&'a SystemActor),
}

impl<'a> Operator<'a> {
    fn writer(self) -> Writer<'a> {
        match self {
            Operator::User(actor) => Writer::User(actor),
            Operator::System(system) => Writer::System(&system.name),
        }
    }

    fn authorise(self, action: Action) -> Result<(), AppError> {
        match self {
            Operator::User(actor) => authorise(actor, action),
            Operator::System(_) => Ok(()),
        }
    }
}

/// Rows per committed batch unless told otherwise: big enough that a batch's commit, audit row
/// and statements are a small part of its cost, small enough that a crash loses little.
pub const DEFAULT_BATCH_ROWS: usize = 2000;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Names the feed; references are unique within a source.
    pub source: String,
    /// Refuse the feed if any row is bad; otherwise write it all in one transaction.
    pub all_or_nothing: bool,
    /// Rows per committed batch ([`DEFAULT_BATCH_ROWS`]).
    pub batch_rows: usize,
}

impl ImportOptions {
    pub fn new(source: impl Into<String>) -> ImportOptions {
        ImportOptions {
            source: source.into(),
            all_or_nothing: false,
            batch_rows: DEFAULT_BATCH_ROWS,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub rows_read: u64,
    pub rejected: u64,
    /// Already imported (same source and reference), in an earlier run or earlier in the file.
    pub duplicates: u64,
    pub new: u64,
    pub linked: u64,
    pub queued_for_review: u64,
    pub not_linked: u64,
    pub reviews_opened: u64,
    pub reoffending_events: u64,
    pub model_version: i64,
    /// Whether this import had to train (and store) the first model.
    pub model_trained: bool,
}

/// A model that was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredModel {
    pub version: i64,
    pub method: String,
    pub people: i64,
    pub arrests: i64,
    pub labels: i64,
}

impl App {
    pub(crate) fn monitor(&self) -> &Monitor {
        &self.inner.monitor
    }

    /// Trains a model without labels from the people table and a sample of stored arrests
    /// (or `feed`, when none are stored yet) and stores it as the next version.
    pub async fn train_linkage_model(
        &self,
        operator: Operator<'_>,
        feed: Option<&[FeedRow]>,
    ) -> Result<StoredModel, AppError> {
        operator.authorise(Action::ImportArrests)?;
        let mut tx = self.begin().await?;
        let people = model::evenly_spaced(
            arrests::people_since(&mut tx, None).await?,
            model::TRAINING_PEOPLE_SAMPLE,
        );
        let mut sample: Vec<Record> =
            arrests::sample_arrests(&mut tx, model::TRAINING_ARREST_SAMPLE as i64)
                .await?
                .iter()
                .map(model::stored_arrest_record)
                .collect();
        if sample.is_empty()
            && let Some(rows) = feed
        {
            // Evenly spaced rows of the feed, so a sorted feed is still sampled throughout.
            sample = model::evenly_spaced(rows.iter().collect(), model::TRAINING_ARREST_SAMPLE)
                .into_iter()
                .map(|r| {
                    model::arrest_record(
                        r.arrest_ref.clone(),
                        &r.given_name,
                        &r.surname,
                        &r.dob,
                        &r.postcode,
                        &r.pnc_id,
                    )
                })
                .collect();
        }
        let (trained, method) = match model::train_unsupervised(&people, &sample) {
            Some(m) => (m, model::METHOD_EM),
            None => (model::starter_model(), model::METHOD_STARTER),
        };
        let stored = self
            .store_model(
                &mut tx,
                operator,
                &trained,
                method,
                people.len(),
                sample.len(),
                0,
            )
            .await?;
        tx.commit().await?;
        Ok(stored)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn store_model(
        &self,
        tx: &mut Tx,
        operator: Operator<'_>,
        trained: &Model,
        method: &str,
        people: usize,
        arrests_used: usize,
        labels: usize,
    ) -> Result<StoredModel, AppError> {
        let json = serde_json::to_string(trained).map_err(|e| AppError::Internal(e.to_string()))?;
        let writer = operator.writer();
        let new = NewModel {
            method,
            model_json: &json,
            people: people as i64,
            arrests: arrests_used as i64,
            labels: labels as i64,
            created_by: &writer.audit_name(),
        };
        let version = arrests::insert_model(tx, &new).await?;
        // Training reads everyone's identifying details together: a combination.
        audit_row(
            tx,
            writer,
            AuditAction::Combination,
            "linkage_model",
            version,
            serde_json::json!({
                "method": method,
                "people": people,
                "arrests": arrests_used,
                "labels": labels,
            }),
        )
        .await?;
        Ok(StoredModel {
            version,
            method: method.to_owned(),
            people: new.people,
            arrests: new.arrests,
            labels: new.labels,
        })
    }

    /// The newest stored model, ready to score, with its version.
    async fn newest_model(&self, tx: &mut Tx) -> Result<Option<(i64, Model)>, AppError> {
        let Some(row) = arrests::latest_model(tx).await? else {
            return Ok(None);
        };
        let model: Model = serde_json::from_str(&row.model_json)
            .map_err(|e| AppError::Internal(format!("stored model {}: {e}", row.version)))?;
        Ok(Some((row.version, model)))
    }

    /// Makes the in-memory index current: the newest model, and every person in the table.
    async fn refresh_index(&self) -> Result<i64, AppError> {
        let mut tx = self.begin_read().await?;
        let Some((version, model)) = self.newest_model(&mut tx).await? else {
            return Err(AppError::invalid(
                "model",
                "no linkage model is stored yet: run `checkpoint linkage train`",
            ));
        };
        let since = {
            let mut loaded = self.monitor().loaded.write().expect("monitor lock");
            if loaded.as_ref().is_none_or(|l| l.version != version) {
                *loaded = Some(LoadedIndex::new(version, model));
            }
            loaded.as_ref().and_then(|l| l.newest)
        };
        let people = arrests::people_since(&mut tx, since).await?;
        let erased = arrests::pseudonymised_people(&mut tx).await?;
        tx.commit().await?;
        let mut loaded = self.monitor().loaded.write().expect("monitor lock");
        if let Some(l) = loaded.as_mut().filter(|l| l.version == version) {
            l.add_people(&people);
            l.forget(&erased);
        }
        Ok(version)
    }

    /// A use case committed a new person or corrected one: the loaded index (if any) finds
    /// them by these details from the next arrest on. Call after the commit, never while a
    /// transaction is open (the index lock is never held across an await).
    pub(crate) fn person_changed(&self, person: &checkpoint_store::people::PersonRow) {
        let identity = model::identity_of(person);
        let mut loaded = self.monitor().loaded.write().expect("monitor lock");
        if let Some(l) = loaded.as_mut() {
            l.upsert(&identity);
        }
    }

    /// A person was pseudonymised (committed): no arrest is linked to them any more.
    pub(crate) fn person_erased(&self, person_id: Uuid) {
        let mut loaded = self.monitor().loaded.write().expect("monitor lock");
        if let Some(l) = loaded.as_mut() {
            l.forget(&[person_id]);
        }
    }

    /// Scores records against the index, in parallel: each one's best candidate, if any. A
    /// value the model cannot read scores as no candidate (the row is kept unlinked).
    fn score_records(&self, records: &[Record]) -> Vec<Option<Candidate>> {
        let loaded = self.monitor().loaded.read().expect("monitor lock");
        let Some(loaded) = loaded.as_ref() else {
            return vec![None; records.len()];
        };
        let score = |record: &Record| loaded.index.score(record, 1).ok().and_then(|mut c| c.pop());
        let threads = checkpoint_linkage::thread_count(None).max(1);
        let chunk = records.len().div_ceil(threads).max(64);
        if records.len() <= chunk {
            return records.iter().map(score).collect();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(score).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("scoring thread"))
                .collect()
        })
    }

    /// The rows of `batch` not imported before (counting the others as duplicates), and their
    /// scoring started on a thread of its own: it runs while the previous batch is written.
    async fn start_batch<'f>(
        &self,
        tx: &mut Tx,
        source: &str,
        batch: &[&'f FeedRow],
        summary: &mut ImportSummary,
    ) -> Result<PendingBatch<'f>, AppError> {
        let refs: Vec<&str> = batch.iter().map(|r| r.arrest_ref.as_str()).collect();
        let known = arrests::known_refs(tx, source, &refs).await?;
        let fresh: Vec<&FeedRow> = batch
            .iter()
            .copied()
            .filter(|r| !known.contains(&r.arrest_ref))
            .collect();
        summary.duplicates += (batch.len() - fresh.len()) as u64;
        let records: Vec<Record> = fresh
            .iter()
            .map(|row| {
                model::arrest_record(
                    String::new(),
                    &row.given_name,
                    &row.surname,
                    &row.dob,
                    &row.postcode,
                    &row.pnc_id,
                )
            })
            .collect();
        let app = self.clone();
        let scoring = std::thread::Builder::new()
            .name("arrest-scoring".to_owned())
            .spawn(move || app.score_records(&records))
            .map_err(|e| AppError::Internal(format!("starting a scoring thread: {e}")))?;
        Ok(PendingBatch {
            rows: batch.len(),
            fresh,
            scoring,
        })
    }

    /// Imports a parsed feed: scores every new row and acts on it by band. `progress` is told
    /// how many rows each batch handled.
    pub async fn import_arrests(
        &self,
        operator: Operator<'_>,
        feed: &ParsedFeed,
        options: &ImportOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportSummary, AppError> {
        operator.authorise(Action::ImportArrests)?;
        if options.source.trim().is_empty() || options.source.chars().count() > 100 {
            return Err(AppError::invalid("source", "must be 1 to 100 characters"));
        }
        if options.all_or_nothing && !feed.rejects.is_empty() {
            return Err(AppError::Invalid(
                feed.rejects
                    .iter()
                    .map(|r| {
                        FieldError::new(
                            format!("line {}", r.line),
                            match &r.column {
                                Some(c) => format!("column {c}: {}", r.reason),
                                None => r.reason.clone(),
                            },
                        )
                    })
                    .collect(),
            ));
        }
        let mut summary = ImportSummary {
            rows_read: (feed.rows.len() + feed.rejects.len()) as u64,
            rejected: feed.rejects.len() as u64,
            ..ImportSummary::default()
        };
        {
            let mut tx = self.begin_read().await?;
            let none_stored = arrests::latest_model(&mut tx).await?.is_none();
            tx.commit().await?;
            if none_stored && !feed.rows.is_empty() {
                self.train_linkage_model(operator, Some(&feed.rows)).await?;
                summary.model_trained = true;
            }
        }
        if feed.rows.is_empty() {
            return Ok(summary);
        }
        summary.model_version = self.refresh_index().await?;
        // The same reference twice in one file: the first wins.
        let mut seen = HashSet::with_capacity(feed.rows.len());
        let rows: Vec<&FeedRow> = feed
            .rows
            .iter()
            .filter(|r| {
                let first = seen.insert(r.arrest_ref.as_str());
                if !first {
                    summary.duplicates += 1;
                }
                first
            })
            .collect();
        let batch_rows = options.batch_rows.max(1);
        let source = options.source.trim();
        let mut whole = if options.all_or_nothing {
            Some(self.begin().await?)
        } else {
            None
        };
        // A pipeline of two: batch n+1 is being scored while batch n is written.
        let mut batches = rows.chunks(batch_rows);
        let mut next = match batches.next() {
            Some(first) => {
                let mut tx = self.begin_read().await?;
                let pending = self
                    .start_batch(&mut tx, source, first, &mut summary)
                    .await?;
                tx.commit().await?;
                Some(pending)
            }
            None => None,
        };
        while let Some(current) = next.take() {
            // Scoring ran while the previous batch was written, so this rarely waits (and then
            // only for the rest of one batch's scoring, which used to run inline).
            let scored = current
                .scoring
                .join()
                .map_err(|_| AppError::Internal("a scoring thread panicked".to_owned()))?;
            let mut own = None;
            let tx = match whole.as_mut() {
                Some(tx) => tx,
                None => own.insert(self.begin().await?),
            };
            if let Some(batch) = batches.next() {
                next = Some(self.start_batch(tx, source, batch, &mut summary).await?);
            }
            self.import_batch(tx, operator, &current.fresh, scored, options, &mut summary)
                .await?;
            if let Some(tx) = own {
                tx.commit().await?;
            }
            progress(current.rows as u64);
        }
        if let Some(tx) = whole {
            tx.commit().await?;
        }
        Ok(summary)
    }

    /// Writes one scored batch: every fresh row, then links, the queue, their audit rows and
    /// the links' effects.
    async fn import_batch(
        &self,
        tx: &mut Tx,
        operator: Operator<'_>,
        fresh: &[&FeedRow],
        scored: Vec<Option<Candidate>>,
        options: &ImportOptions,
        summary: &mut ImportSummary,
    ) -> Result<(), AppError> {
        let source = options.source.trim();
        if fresh.is_empty() {
            return Ok(());
        }
        let version = summary.model_version;
        let mut rows = Vec::with_capacity(fresh.len());
        for (row, candidate) in fresh.iter().zip(&scored) {
            let person = candidate.as_ref().and_then(|c| Uuid::parse_str(&c.id).ok());
            let band = match (candidate, person) {
                (Some(c), Some(_)) => c.band,
                _ => Band::NoLink,
            };
            rows.push(ArrestRow {
                id: Uuid::now_v7(),
                source: source.to_owned(),
                arrest_ref: row.arrest_ref.clone(),
                given_name: row.given_name.clone(),
                surname: row.surname.clone(),
                dob: row.dob.clone(),
                postcode: row.postcode.clone(),
                pnc_id: row.pnc_id.clone(),
                arrest_date: CivilDate(row.arrest_date),
                offence: row.offence.clone(),
                band: band.as_str().to_owned(),
                best_person_id: person,
                best_probability: candidate.as_ref().map(|c| c.match_probability),
                model_version: version,
                imported_at: tx.now(),
            });
        }
        // A concurrent import of the same feed may have won some rows since `known_refs`.
        let inserted = arrests::insert_arrests(tx, &rows).await?;
        let mut links = Vec::new();
        let mut queue = Vec::new();
        for (arrest, candidate) in rows.iter().zip(&scored) {
            if !inserted.contains(&arrest.id) {
                summary.duplicates += 1;
                continue;
            }
            summary.new += 1;
            let (Some(c), Some(person_id)) = (candidate, arrest.best_person_id) else {
                summary.not_linked += 1;
                continue;
            };
            let explanation_json = serde_json::to_string(&c.explanation)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            match arrest.band.as_str() {
                "link" => links.push((
                    arrest,
                    LinkRow {
                        arrest_id: arrest.id,
                        person_id,
                        match_probability: c.match_probability,
                        match_weight: c.match_weight,
                        explanation_json,
                        via: arrests::VIA_AUTOMATIC.to_owned(),
                        decided_by: None,
                        model_version: version,
                        linked_at: tx.now(),
                    },
                )),
                "review" => queue.push(ClericalRow {
                    arrest_id: arrest.id,
                    person_id,
                    match_probability: c.match_probability,
                    match_weight: c.match_weight,
                    explanation_json,
                    status: arrests::STATUS_PENDING.to_owned(),
                    model_version: version,
                    queued_at: tx.now(),
                    decided_by: None,
                    decided_at: None,
                    reason: None,
                }),
                _ => summary.not_linked += 1,
            }
        }
        let link_rows: Vec<LinkRow> = links.iter().map(|(_, l)| l.clone()).collect();
        arrests::insert_links(tx, &link_rows).await?;
        arrests::queue_reviews(tx, &queue).await?;
        summary.linked += links.len() as u64;
        summary.queued_for_review += queue.len() as u64;
        // One combination row per link, chained in one go; then the effects, for people who
        // have a case at all (most linked people in a feed are participants; the rest need
        // no case lookups).
        let writer = Writer::System(FEED_SYSTEM_NAME);
        let entries = links
            .iter()
            .map(|(arrest, link)| link_audit_entry(writer, arrest, link))
            .collect();
        audit::append_all(tx, entries).await?;
        let linked_people: Vec<Uuid> = links.iter().map(|(_, l)| l.person_id).collect();
        let with_cases = arrests::people_with_cases(tx, &linked_people).await?;
        let mut effects = LinkEffects::default();
        for (arrest, link) in &links {
            if with_cases.contains(&link.person_id) {
                effects.add(
                    self.act_on_link(tx, FEED_SYSTEM_NAME, link.person_id, arrest)
                        .await?,
                );
            }
        }
        summary.reviews_opened += effects.reviews_opened;
        summary.reoffending_events += effects.reoffending_events;
        audit_row(
            tx,
            operator.writer(),
            AuditAction::Collection,
            "arrest_feed",
            source,
            serde_json::json!({
                "rows": inserted.len(),
                "first_line": fresh.first().map(|r| r.line),
                "last_line": fresh.last().map(|r| r.line),
                "linked": links.len(),
                "queued": queue.len(),
                "model_version": version,
            }),
        )
        .await?;
        Ok(())
    }

    /// The link's combination audit row and its effects on the person's cases. `decided_by`
    /// is the reviewer of a clerical confirmation.
    pub(crate) async fn record_link(
        &self,
        tx: &mut Tx,
        decided_by: Option<&Actor>,
        arrest: &ArrestRow,
        link: &LinkRow,
    ) -> Result<LinkEffects, AppError> {
        let writer = match decided_by {
            Some(actor) => Writer::User(actor),
            None => Writer::System(FEED_SYSTEM_NAME),
        };
        audit::append(tx, link_audit_entry(writer, arrest, link)).await?;
        self.act_on_link(tx, FEED_SYSTEM_NAME, link.person_id, arrest)
            .await
    }
}

/// A batch whose new rows are being scored.
struct PendingBatch<'f> {
    /// Rows in the batch, duplicates included (for progress).
    rows: usize,
    fresh: Vec<&'f FeedRow>,
    scoring: std::thread::JoinHandle<Vec<Option<Candidate>>>,
}

/// The combination audit row of a link: whose record was joined to which arrest, how sure the
/// model was, and which model.
fn link_audit_entry(writer: Writer<'_>, arrest: &ArrestRow, link: &LinkRow) -> AuditEntry {
    AuditEntry::new(
        writer.user_id(),
        writer.audit_name(),
        AuditAction::Combination,
        "person",
        link.person_id,
    )
    .with_details(serde_json::json!({
        "arrest_id": arrest.id,
        "source": arrest.source,
        "arrest_ref": arrest.arrest_ref,
        "match_probability": link.match_probability,
        "match_weight": link.match_weight,
        "via": link.via,
        "model_version": link.model_version,
    }))
}
