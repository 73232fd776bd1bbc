//! The clerical review queue: pairs between the thresholds, for a supervisor to confirm or
//! reject. Supervisors only ([`Action::ReviewLinkage`]): the queue shows arrests of anyone
//! against any participant, beyond a navigator's caseload, and a confirmation can open a
//! non-compliance review — which a supervisor decides anyway.
//!
//! Reading a pair is a *consultation* (both records are shown); a decision is a
//! *combination* audit row whichever way it goes. A confirmed pair is linked and acted on
//! exactly like an automatic link. Decisions feed back into the model with
//! [`App::refit_linkage_model`] (method in [`super::model`]).

use super::effects::LinkEffects;
use super::model::{self, Label};
use super::{Operator, StoredModel};
use crate::case_notes::{Writer, audit_row};
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::{Actor, App};
use checkpoint_linkage::{Explanation, Model};
use checkpoint_store::arrests::{self, ArrestRow, ClericalRow, LinkRow};
use checkpoint_store::{AuditAction, Instant, people};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One side of a pair, as shown to the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentitySide {
    pub given_name: String,
    pub surname: String,
    /// DD/MM/YYYY, as compared.
    pub dob: String,
    pub postcode: String,
    pub pnc_id: String,
}

/// A pending pair in the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    pub arrest_id: Uuid,
    pub person_id: Uuid,
    pub match_probability: f64,
    pub match_weight: f64,
    pub queued_at: jiff::Timestamp,
    pub arrest: IdentitySide,
    pub arrest_date: Date,
    pub person: IdentitySide,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    /// Pass back as `after` for the next page; `None` on the last.
    pub next: Option<String>,
    pub pending: i64,
}

/// Both records side by side with the waterfall that put them in the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClericalPair {
    pub item: QueueItem,
    pub source: String,
    pub arrest_ref: String,
    pub offence: String,
    pub status: String,
    pub model_version: i64,
    pub explanation: Explanation,
    pub decided_by: Option<Uuid>,
    /// The reviewer's display name, when decided.
    pub decided_by_name: Option<String>,
    pub decided_at: Option<jiff::Timestamp>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClericalDecision {
    /// The same person: link and act.
    Confirm,
    /// Different people: nothing happens to any case.
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClericalDecided {
    pub arrest_id: Uuid,
    pub person_id: Uuid,
    pub status: String,
    pub reviews_opened: u64,
    pub reoffending_events: u64,
}

/// Page cursors: `<queued_at>_<arrest id>`.
fn cursor(row: &ClericalRow) -> String {
    format!("{}_{}", row.queued_at.to_canonical_string(), row.arrest_id)
}

fn parse_cursor(text: &str) -> Result<(Instant, Uuid), AppError> {
    let bad = || AppError::invalid("after", "not a cursor from a previous page");
    let (at, id) = text.rsplit_once('_').ok_or_else(bad)?;
    Ok((
        Instant::parse(at).map_err(|_| bad())?,
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

async fn identity_of_person(
    tx: &mut checkpoint_store::Tx,
    id: Uuid,
) -> Result<IdentitySide, AppError> {
    let p = people::get(tx, id).await?;
    Ok(IdentitySide {
        given_name: p.given_name,
        surname: p.family_name,
        dob: p.date_of_birth.get().strftime("%d/%m/%Y").to_string(),
        postcode: p.postcode.unwrap_or_default(),
        pnc_id: p.pnc_id.unwrap_or_default(),
    })
}

fn identity_of_arrest(a: &ArrestRow) -> IdentitySide {
    IdentitySide {
        given_name: a.given_name.clone(),
        surname: a.surname.clone(),
        dob: a.dob.clone(),
        postcode: a.postcode.clone(),
        pnc_id: a.pnc_id.clone(),
    }
}

async fn item(
    tx: &mut checkpoint_store::Tx,
    row: &ClericalRow,
) -> Result<(QueueItem, ArrestRow), AppError> {
    let arrest = arrests::arrest(tx, row.arrest_id).await?;
    Ok((
        QueueItem {
            arrest_id: row.arrest_id,
            person_id: row.person_id,
            match_probability: row.match_probability,
            match_weight: row.match_weight,
            queued_at: row.queued_at.into(),
            arrest: identity_of_arrest(&arrest),
            arrest_date: arrest.arrest_date.get(),
            person: identity_of_person(tx, row.person_id).await?,
        },
        arrest,
    ))
}

/// The model new arrests are scored with, and how many decisions a refit would use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelStatus {
    pub version: i64,
    pub method: String,
    /// Clerical decisions the stored model was refitted from (0 unless `em+clerical`).
    pub labels: i64,
    pub created_by: String,
    pub created_at: jiff::Timestamp,
    /// Pairs confirmed or rejected so far: what a refit now would learn from.
    pub decided: i64,
}

/// Longest search text for the queue.
const SEARCH_MAX_CHARS: usize = 100;

impl App {
    /// Pending pairs, oldest first, `limit` (1–100) at a time.
    pub async fn clerical_queue(
        &self,
        actor: &Actor,
        after: Option<&str>,
        limit: u32,
    ) -> Result<QueuePage, AppError> {
        self.search_clerical_queue(actor, None, after, limit).await
    }

    /// [`App::clerical_queue`], only the pairs whose arrest or person matches `search`: part
    /// of a name, an arrest reference or a case reference (case-insensitive). The search terms
    /// are recorded with the consultation.
    pub async fn search_clerical_queue(
        &self,
        actor: &Actor,
        search: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<QueuePage, AppError> {
        authorise(actor, Action::ReviewLinkage)?;
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if search.is_some_and(|s| s.chars().count() > SEARCH_MAX_CHARS) {
            return Err(AppError::invalid(
                "q",
                format!("must be at most {SEARCH_MAX_CHARS} characters"),
            ));
        }
        let after = after.map(parse_cursor).transpose()?;
        let limit = i64::from(limit.clamp(1, 100));
        let mut tx = self.begin().await?;
        let mut rows = arrests::pending_reviews(&mut tx, search, after, limit + 1).await?;
        let next = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            rows.last().map(cursor)
        });
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(item(&mut tx, row).await?.0);
        }
        let pending = arrests::count_pending_reviews(&mut tx, search).await?;
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Consultation,
            "clerical_queue",
            "pending",
            serde_json::json!({ "shown": items.len(), "search": search }),
        )
        .await?;
        tx.commit().await?;
        Ok(QueuePage {
            items,
            next: next.flatten(),
            pending,
        })
    }

    /// One pair, both records side by side, with each field's level and weight.
    pub async fn clerical_pair(
        &self,
        actor: &Actor,
        arrest_id: Uuid,
    ) -> Result<ClericalPair, AppError> {
        authorise(actor, Action::ReviewLinkage)?;
        let mut tx = self.begin().await?;
        let row = arrests::review(&mut tx, arrest_id).await?;
        let (item, arrest) = item(&mut tx, &row).await?;
        let explanation: Explanation = serde_json::from_str(&row.explanation_json)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let decided_by_name = match row.decided_by {
            Some(id) => Some(
                checkpoint_store::users::get(&mut tx, id)
                    .await?
                    .display_name,
            ),
            None => None,
        };
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Consultation,
            "clerical_review",
            arrest_id,
            serde_json::json!({ "person_id": row.person_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(ClericalPair {
            item,
            source: arrest.source,
            arrest_ref: arrest.arrest_ref,
            offence: arrest.offence,
            status: row.status,
            model_version: row.model_version,
            explanation,
            decided_by: row.decided_by,
            decided_by_name,
            decided_at: row.decided_at.map(Into::into),
            reason: row.reason,
        })
    }

    /// Confirms or rejects a pending pair, with an optional reason (kept with the decision and
    /// in the audit row). The first decision stands: deciding a pair already decided is a
    /// conflict.
    pub async fn decide_clerical_review(
        &self,
        actor: &Actor,
        arrest_id: Uuid,
        decision: ClericalDecision,
        reason: &str,
    ) -> Result<ClericalDecided, AppError> {
        authorise(actor, Action::ReviewLinkage)?;
        let reason = reason.trim();
        if reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "must be at most 2000 characters",
            ));
        }
        let reason = Some(reason).filter(|r| !r.is_empty());
        let status = match decision {
            ClericalDecision::Confirm => arrests::STATUS_CONFIRMED,
            ClericalDecision::Reject => arrests::STATUS_REJECTED,
        };
        let mut tx = self.begin().await?;
        let row = arrests::decide_review(&mut tx, arrest_id, status, actor.user_id, reason).await?;
        let mut effects = LinkEffects::default();
        if decision == ClericalDecision::Confirm {
            let arrest = arrests::arrest(&mut tx, arrest_id).await?;
            let link = LinkRow {
                arrest_id,
                person_id: row.person_id,
                match_probability: row.match_probability,
                match_weight: row.match_weight,
                explanation_json: row.explanation_json.clone(),
                via: arrests::VIA_CLERICAL.to_owned(),
                decided_by: Some(actor.user_id),
                model_version: row.model_version,
                linked_at: tx.now(),
            };
            arrests::insert_links(&mut tx, std::slice::from_ref(&link)).await?;
            // The link's own combination row names the reviewer; then the same effects as an
            // automatic link.
            effects = self
                .record_link(&mut tx, Some(actor), &arrest, &link)
                .await?;
        } else {
            audit_row(
                &mut tx,
                Writer::User(actor),
                AuditAction::Combination,
                "person",
                row.person_id,
                serde_json::json!({
                    "arrest_id": arrest_id,
                    "decision": "rejected",
                    "reason": reason,
                    "model_version": row.model_version,
                }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ClericalDecided {
            arrest_id,
            person_id: row.person_id,
            status: status.to_owned(),
            reviews_opened: effects.reviews_opened,
            reoffending_events: effects.reoffending_events,
        })
    }

    /// The newest stored model and how many decisions a refit would learn from; `None` before
    /// any model is trained.
    pub async fn linkage_model_status(
        &self,
        actor: &Actor,
    ) -> Result<Option<ModelStatus>, AppError> {
        authorise(actor, Action::ReviewLinkage)?;
        let mut tx = self.begin_read().await?;
        let latest = arrests::latest_model(&mut tx).await?;
        let decided = arrests::count_decided_reviews(&mut tx).await?;
        tx.commit().await?;
        Ok(latest.map(|m| ModelStatus {
            version: m.version,
            method: m.method,
            labels: m.labels,
            created_by: m.created_by,
            created_at: m.created_at.into(),
            decided,
        }))
    }

    /// Re-estimates m from every clerical decision so far, starting from the newest
    /// unsupervised model, and stores the result as a new version (see [`super::model`]).
    pub async fn refit_linkage_model(
        &self,
        operator: Operator<'_>,
    ) -> Result<StoredModel, AppError> {
        if let Operator::User(actor) = operator {
            authorise(actor, Action::ReviewLinkage)?;
        }
        let mut tx = self.begin().await?;
        let base = arrests::latest_model_not(&mut tx, model::METHOD_FEEDBACK)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "model",
                    "no model is stored yet: run `checkpoint linkage train`",
                )
            })?;
        let base_model: Model = serde_json::from_str(&base.model_json)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut labels = Vec::new();
        for decided in arrests::decided_reviews(&mut tx).await? {
            let arrest = arrests::arrest(&mut tx, decided.arrest_id).await?;
            let person = people::get(&mut tx, decided.person_id).await?;
            let identity = model::identity_of(&person);
            labels.push(Label {
                person: model::person_record(&identity),
                arrest: model::stored_arrest_record(&arrest),
                confirmed: decided.status == arrests::STATUS_CONFIRMED,
            });
        }
        let refitted = model::refit_with_labels(&base_model, &labels)?;
        let stored = self
            .store_model(
                &mut tx,
                operator,
                &refitted,
                model::METHOD_FEEDBACK,
                base.people as usize,
                base.arrests as usize,
                labels.len(),
            )
            .await?;
        tx.commit().await?;
        Ok(stored)
    }
}
