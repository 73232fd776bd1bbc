//! What a linked arrest does to the person's cases, inside the import's transaction:
//!
//! - an arrest on or before the case's offence date (else the day it was opened) predates it
//!   (usually the index arrest itself): nothing;
//! - the case is on a running contract (`active` or already in review): a non-compliance
//!   review is opened, or the arrest added to the open one ([`App::note_arrest_in_tx`], the
//!   logic of `open_review_for_arrest`), and an `in_contract` reoffending event is recorded;
//! - the arrest falls within the case's follow-up window (`follow_up_until`, set however the
//!   case closed — intention to treat): a reoffending event (`in_contract` if on or before the
//!   contract's end, else `follow_up`) and an `arrest_noted` case event whose trigger has the
//!   same shape as a review's, so the reports read both the same way;
//! - a decliner or trial control whose case has no window (declined or allocated before
//!   windows were recorded, or loaded in bulk): a `follow_up` reoffending event for any arrest
//!   after the decision day (their index date), so reoffending stays measurable for them;
//! - otherwise nothing: the link is kept, the case is not affected.

use crate::App;
use crate::error::AppError;
use crate::reviews::{ArrestNoted, ReviewTrigger};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::arrests::{
    self, ArrestRow, PHASE_FOLLOW_UP, PHASE_IN_CONTRACT, ReoffendingRow,
};
use checkpoint_store::{CivilDate, Tx, cases, reporting};
use jiff::tz::TimeZone;
use uuid::Uuid;

/// What one link did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LinkEffects {
    pub reviews_opened: u64,
    pub reoffending_events: u64,
}

impl LinkEffects {
    pub fn add(&mut self, other: LinkEffects) {
        self.reviews_opened += other.reviews_opened;
        self.reoffending_events += other.reoffending_events;
    }
}

/// The decision day (London) of a case that was declined or allocated to control, for a case
/// in such a state (or later) with no follow-up window; `None` otherwise.
async fn decided_without_window(
    tx: &mut Tx,
    case: &cases::CaseRow,
    state: CaseState,
) -> Result<Option<jiff::civil::Date>, AppError> {
    use CaseState::{Control, Declined, FollowUp, RetentionReview};
    if case.follow_up_until.is_some()
        || !matches!(state, Declined | Control | FollowUp | RetentionReview)
    {
        return Ok(None);
    }
    let decided = reporting::first_entered(tx, case.id, &[Declined, Control]).await?;
    Ok(decided.map(|at| at.get().to_zoned(crate::clock::london()).date()))
}

impl App {
    pub(crate) async fn act_on_link(
        &self,
        tx: &mut Tx,
        system_name: &str,
        person_id: Uuid,
        arrest: &ArrestRow,
    ) -> Result<LinkEffects, AppError> {
        let mut effects = LinkEffects::default();
        let date = arrest.arrest_date.get();
        let trigger = ReviewTrigger::NewArrest {
            arrest_ref: arrest.arrest_ref.clone(),
            date,
        };
        for case in cases::for_person(tx, person_id).await? {
            // The case's own offence (or, without one, the day it was opened) is where its
            // reoffending starts; the feed usually carries that index arrest too.
            let starts = case.offence_date.map_or_else(
                || {
                    jiff::Timestamp::from(case.opened_at)
                        .to_zoned(TimeZone::UTC)
                        .date()
                },
                CivilDate::get,
            );
            if date <= starts {
                continue;
            }
            let state = case.state()?;
            let phase = if matches!(state, CaseState::Active | CaseState::NonComplianceReview) {
                let noted = self
                    .note_arrest_in_tx(tx, system_name, &case, &trigger)
                    .await?;
                if matches!(noted, ArrestNoted::ReviewOpened(_)) {
                    effects.reviews_opened += 1;
                }
                PHASE_IN_CONTRACT
            } else if let Some(until) = case.follow_up_until {
                if date > until.get() {
                    continue;
                }
                if case.contract_end.is_some_and(|end| date <= end.get()) {
                    PHASE_IN_CONTRACT
                } else {
                    PHASE_FOLLOW_UP
                }
            } else if let Some(decided) = decided_without_window(tx, &case, state).await? {
                // Declined or allocated to control with no window recorded (before windows
                // were kept, or written by a bulk load): still followed up from the index
                // date, open-ended; the reports apply their own windows.
                if date <= decided {
                    continue;
                }
                PHASE_FOLLOW_UP
            } else {
                continue;
            };
            let event = ReoffendingRow {
                id: Uuid::now_v7(),
                arrest_id: arrest.id,
                case_id: case.id,
                person_id,
                phase: phase.to_owned(),
                arrest_date: arrest.arrest_date,
                offence: arrest.offence.clone(),
                recorded_at: tx.now(),
            };
            let new = arrests::insert_reoffending(tx, &event).await?;
            if new {
                effects.reoffending_events += 1;
            }
            let on_contract = matches!(state, CaseState::Active | CaseState::NonComplianceReview);
            if new && !on_contract {
                let note = crate::case_notes::CaseNote {
                    kind: "arrest_noted",
                    reason: None,
                    payload: serde_json::json!({
                        "trigger": trigger,
                        "phase": phase,
                        "arrest_id": arrest.id,
                        "offence": arrest.offence,
                    }),
                };
                self.note_case_event(
                    tx,
                    crate::case_notes::Writer::System(system_name),
                    &case,
                    case.version,
                    note,
                )
                .await?;
            }
        }
        Ok(effects)
    }
}
