//! Retention review (`checkpoint retention run`; MoPI, DPA 2018 Part 3).
//!
//! Each case gets a retention review date when it closes (`follow_up.rs`: never before its
//! follow-up window has been measured). A run applies those dates:
//! 1. every closed case whose date has come moves on through `follow_up` → `retention_review`
//!    → `disposed`, each step an event and an audit row as for any other transition;
//! 2. a person whose cases are all disposed of is **pseudonymised**: name, date of birth,
//!    postcode, PNC id and custody numbers go (the date of birth is replaced by one giving the
//!    same age at every referral), free-text notes are removed, other free text is cleaned of
//!    their identifiers, and arrests linked to them are rewritten the same way. What evaluation
//!    counts (sex, ethnicity, age at referral, dates, states, codes, reoffending) stays, so
//!    aggregate reports are unchanged. One erasure row per person goes to the audit log;
//! 3. arrest-feed rows that never became anyone's record are **deleted** once older than the
//!    longest retention period of any loaded policy.
//!
//! A case kept longer (a recorded decision to keep) is one whose review date was moved on.

use crate::clock::london;
use crate::reviews::SystemActor;
use crate::{App, AppError};
use checkpoint_domain::deadline::add_months;
use checkpoint_domain::lifecycle::{CaseState, Transition, TransitionKind, next_state};
use checkpoint_domain::redaction::{Identifiers, pseudonym, surrogate_date_of_birth};
use checkpoint_store::cases::{self, CaseRow, NewCaseEvent};
use checkpoint_store::retention::{self as store, TEXT_SITES};
use checkpoint_store::time::CivilDate;
use checkpoint_store::{AuditAction, AuditEntry, Tx, audit, people};
use jiff::civil::Date;
use serde::Serialize;
use uuid::Uuid;

/// Closed states a retention run moves on (everything closed but `disposed`).
const REVIEWABLE: [CaseState; 8] = [
    CaseState::Ineligible,
    CaseState::Control,
    CaseState::Declined,
    CaseState::ProsecutionReferred,
    CaseState::TimeLimitExpired,
    CaseState::Completed,
    CaseState::FollowUp,
    CaseState::RetentionReview,
];

/// The steps from a closed state to disposal, in lifecycle order.
const TO_DISPOSAL: [Transition; 3] = [
    Transition::BeginFollowUp,
    Transition::BeginRetentionReview,
    Transition::Dispose,
];

/// What a retention run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionRun {
    pub today: String,
    pub dry_run: bool,
    /// References of the cases disposed of, oldest first.
    pub cases_disposed: Vec<String>,
    pub people_pseudonymised: u64,
    pub events_redacted: u64,
    pub texts_cleaned: u64,
    pub notes_removed: u64,
    pub linked_arrests_pseudonymised: u64,
    /// Arrest-feed rows dated before this were deleted when nobody's record.
    pub unlinked_arrests_before: String,
    pub unlinked_arrests_deleted: u64,
}

/// What pseudonymising one person changed.
#[derive(Debug, Clone, Copy, Default)]
struct Erased {
    events_redacted: u64,
    texts_cleaned: u64,
    notes_removed: u64,
    linked_arrests: u64,
}

impl App {
    /// Applies retention review dates as of today (see the module docs). A dry run does all
    /// the work in one transaction and rolls it back, so what it reports is exactly what a
    /// real run would do; a real run commits case by case and person by person, so an
    /// interrupted run loses nothing and the next run carries on.
    pub async fn run_retention(
        &self,
        system: &SystemActor,
        dry_run: bool,
    ) -> Result<RetentionRun, AppError> {
        let today = self.clock().today();
        let cutoff = self.unlinked_arrest_cutoff(today);
        let mut run = RetentionRun {
            today: today.to_string(),
            dry_run,
            unlinked_arrests_before: cutoff.to_string(),
            ..RetentionRun::default()
        };
        let mut dry_tx = if dry_run {
            Some(self.begin().await?)
        } else {
            None
        };

        let due = {
            let mut tx = self.begin_read().await?;
            let due = cases::due_for_retention(&mut tx, &REVIEWABLE, CivilDate(today)).await?;
            tx.commit().await?;
            due
        };
        for case in due {
            if self.retention_review_date(&case)? > today {
                continue;
            }
            match dry_tx.as_mut() {
                Some(tx) => self.dispose_case(tx, system, &case).await?,
                None => {
                    let mut tx = self.begin().await?;
                    // Re-read inside the write transaction: the case may have moved since.
                    let current = cases::get(&mut tx, case.id).await?;
                    self.dispose_case(&mut tx, system, &current).await?;
                    tx.commit().await?;
                }
            }
            run.cases_disposed.push(case.reference);
        }

        let ready = match dry_tx.as_mut() {
            Some(tx) => store::people_ready(tx).await?,
            None => {
                let mut tx = self.begin_read().await?;
                let ready = store::people_ready(&mut tx).await?;
                tx.commit().await?;
                ready
            }
        };
        for person_id in ready {
            let erased = match dry_tx.as_mut() {
                Some(tx) => self.pseudonymise(tx, system, person_id).await?,
                None => {
                    let mut tx = self.begin().await?;
                    let erased = self.pseudonymise(&mut tx, system, person_id).await?;
                    tx.commit().await?;
                    self.person_erased(person_id);
                    erased
                }
            };
            run.people_pseudonymised += 1;
            run.events_redacted += erased.events_redacted;
            run.texts_cleaned += erased.texts_cleaned;
            run.notes_removed += erased.notes_removed;
            run.linked_arrests_pseudonymised += erased.linked_arrests;
        }

        run.unlinked_arrests_deleted = match dry_tx.as_mut() {
            Some(tx) => self.delete_unlinked_arrests(tx, system, cutoff).await?,
            None => {
                let mut tx = self.begin().await?;
                let deleted = self
                    .delete_unlinked_arrests(&mut tx, system, cutoff)
                    .await?;
                tx.commit().await?;
                deleted
            }
        };
        if let Some(tx) = dry_tx {
            tx.rollback().await?;
        }
        Ok(run)
    }

    /// A case's retention review date: the one set at closure, or for a case closed at
    /// screening (ineligible), the policy's review period after that decision.
    fn retention_review_date(&self, case: &CaseRow) -> Result<Date, AppError> {
        if let Some(on) = case.retention_review_on {
            return Ok(on.get());
        }
        let policy = self.policy_for(case)?;
        let closed_on = case.updated_at.get().to_zoned(london()).date();
        Ok(add_months(
            closed_on,
            i32::from(policy.retention().review_after_months),
        ))
    }

    /// Unlinked arrests are kept as long as the longest retention period of any policy.
    fn unlinked_arrest_cutoff(&self, today: Date) -> Date {
        let months = self
            .policies()
            .all()
            .iter()
            .map(|p| p.retention().review_after_months)
            .max()
            .unwrap_or(0);
        add_months(today, -i32::from(months))
    }

    /// Moves one closed case on to `disposed`, an event and an audit row per step.
    async fn dispose_case(
        &self,
        tx: &mut Tx,
        system: &SystemActor,
        case: &CaseRow,
    ) -> Result<(), AppError> {
        let mut case = case.clone();
        for transition in TO_DISPOSAL {
            let from = case.state()?;
            let Ok(to) = next_state(from, transition) else {
                continue;
            };
            let kind: TransitionKind = transition.kind();
            let review_on = case.retention_review_on.map(|d| d.get().to_string());
            let policy = self.policy_label(&case.scheme_id);
            let event = NewCaseEvent {
                actor_id: None,
                kind: kind.as_str(),
                to_state: Some(to),
                reason: Some("retention review date reached"),
                policy_version: policy.as_deref(),
                payload: serde_json::json!({ "retention_review_on": review_on }),
            };
            let (updated, _) = cases::append_event(tx, case.id, case.version, &event).await?;
            audit::append(
                tx,
                AuditEntry::new(None, &system.name, AuditAction::Alteration, "case", case.id)
                    .with_details(serde_json::json!({
                        "reference": case.reference,
                        "transition": kind.as_str(),
                        "from": from.as_str(),
                        "to": to.as_str(),
                        "version": updated.version,
                        "reason": "retention review date reached",
                    })),
            )
            .await?;
            case = updated;
        }
        Ok(())
    }

    /// Replaces one person's identifiers everywhere they are recorded (see the module docs).
    async fn pseudonymise(
        &self,
        tx: &mut Tx,
        system: &SystemActor,
        person_id: Uuid,
    ) -> Result<Erased, AppError> {
        let person = people::get(tx, person_id).await?;
        let real_dob = person.date_of_birth.get();
        let referred_on: Vec<Date> = cases::for_person(tx, person_id)
            .await?
            .iter()
            .map(|c| c.opened_at.get().to_zoned(london()).date())
            .collect();
        let new_dob = surrogate_date_of_birth(real_dob, &referred_on);
        let new_name = pseudonym(person_id.as_bytes());

        let mut ids = Identifiers::new()
            .name(&person.given_name)
            .name(&person.family_name)
            .date_of_birth(real_dob);
        if let Some(postcode) = &person.postcode {
            ids = ids.postcode(postcode);
        }
        if let Some(pnc) = &person.pnc_id {
            ids = ids.exact(pnc);
        }
        let referrals = store::texts(tx, &TEXT_SITES[0], person_id).await?;
        for (_, input) in &referrals {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(input)
                && let Some(custody) = json.get("custody_reference").and_then(|v| v.as_str())
            {
                ids = ids.exact(custody);
            }
        }

        let mut erased = Erased::default();
        for site in &TEXT_SITES {
            for (key, text) in store::texts(tx, site, person_id).await? {
                let cleaned = if site.table == "referrals" {
                    pseudonymise_referral(&text, &ids, &new_name, new_dob)
                } else if site.json {
                    redact_json_text(&text, &ids)
                } else {
                    ids.redact_text(&text)
                };
                if let Some(cleaned) = cleaned {
                    store::replace_text(tx, site, key, &cleaned).await?;
                    erased.texts_cleaned += 1;
                }
            }
        }
        for (event_id, reason, payload) in store::event_texts(tx, person_id).await? {
            let new_reason = reason.as_deref().and_then(|r| ids.redact_text(r));
            let new_payload = redact_json_text(&payload, &ids);
            if new_reason.is_some() || new_payload.is_some() {
                store::redact_event(
                    tx,
                    event_id,
                    new_reason.as_deref().or(reason.as_deref()),
                    new_payload.as_deref().unwrap_or(&payload),
                )
                .await?;
                erased.events_redacted += 1;
            }
        }
        erased.notes_removed = store::clear_notes(tx, person_id).await?;
        erased.linked_arrests =
            store::pseudonymise_linked_arrests(tx, person_id, &new_name, CivilDate(new_dob))
                .await?;
        store::pseudonymise_person(tx, person_id, &new_name, CivilDate(new_dob)).await?;
        audit::append(
            tx,
            AuditEntry::new(
                None,
                &system.name,
                AuditAction::Erasure,
                "person",
                person_id,
            )
            .with_justification("retention review: every case disposed of")
            .with_details(serde_json::json!({
                "pseudonym": new_name,
                "erased": ["given_name", "family_name", "date_of_birth", "postcode",
                           "pnc_id", "custody_reference", "free-text notes"],
                "events_redacted": erased.events_redacted,
                "texts_cleaned": erased.texts_cleaned,
                "notes_removed": erased.notes_removed,
                "linked_arrests_pseudonymised": erased.linked_arrests,
            })),
        )
        .await?;
        Ok(erased)
    }

    async fn delete_unlinked_arrests(
        &self,
        tx: &mut Tx,
        system: &SystemActor,
        cutoff: Date,
    ) -> Result<u64, AppError> {
        let deleted = store::delete_unlinked_arrests(tx, CivilDate(cutoff)).await?;
        if deleted > 0 {
            audit::append(
                tx,
                AuditEntry::new(
                    None,
                    &system.name,
                    AuditAction::Erasure,
                    "arrest_feed",
                    "unlinked",
                )
                .with_justification("retention review: arrest records that matched nobody")
                .with_details(serde_json::json!({
                    "arrested_before": cutoff.to_string(),
                    "deleted": deleted,
                })),
            )
            .await?;
        }
        Ok(deleted)
    }
}

/// Cleans a JSON text; `None` when nothing changed (or it is not JSON: then as plain text).
fn redact_json_text(text: &str, ids: &Identifiers) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut value) => ids.redact_json(&mut value).then(|| value.to_string()),
        Err(_) => ids.redact_text(text),
    }
}

/// A referral snapshot under the pseudonym: the person block rewritten so the snapshot still
/// reads as a referral (pseudonym, stand-in date of birth, no postcode or PNC id), the
/// custody number gone, and every other string cleaned.
fn pseudonymise_referral(
    text: &str,
    ids: &Identifiers,
    pseudonym: &str,
    date_of_birth: Date,
) -> Option<String> {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return ids.redact_text(text);
    };
    let Some(fields) = value.as_object_mut() else {
        return ids.redact_text(text);
    };
    // The person block is rewritten whole, not cleaned: a stand-in date of birth that happens
    // to equal the real one must stay a date.
    let person = fields.remove("person");
    let mut rest = serde_json::Value::Object(std::mem::take(fields));
    ids.redact_json(&mut rest);
    let mut rest = match rest {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    if rest.contains_key("custody_reference") {
        rest.insert("custody_reference".to_owned(), "[redacted]".into());
    }
    if let Some(mut person) = person {
        if let Some(p) = person.as_object_mut() {
            p.insert("given_name".to_owned(), "".into());
            p.insert("family_name".to_owned(), pseudonym.into());
            p.insert("date_of_birth".to_owned(), date_of_birth.to_string().into());
            p.remove("postcode");
            p.remove("pnc_id");
        }
        rest.insert("person".to_owned(), person);
    }
    let rewritten = serde_json::Value::Object(rest).to_string();
    (rewritten != text).then_some(rewritten)
}
