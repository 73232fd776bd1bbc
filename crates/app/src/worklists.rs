//! Work lists: a navigator's open cases by urgency, and a supervisor's queue (reviews awaiting
//! a decision, caseload balance, contracts at risk of the prosecution deadline, contact gaps).
//!
//! Each case is "watched" the same way for both lists ([`CaseWatch`]): conditions overdue or due
//! within a week, missed and unrecorded appointments, days left on the contract, deadline risk,
//! and days since the last contact (an attended appointment or a recorded `contact` event).
//! The supervisor's queue also carries the screening overrides awaiting countersignature.

use crate::appointments::AppointmentView;
use crate::assignment::{NavigatorLoad, open_caseloads, open_states};
use crate::contracts::{ConditionView, DeadlineStatus, condition_view};
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::reviews::ReviewTrigger;
use crate::screening::OverrideAwaiting;
use crate::{Actor, App, FieldError, Role};
use checkpoint_domain::deadline::{add_days, days_between};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::appointments::{self, AppointmentRow};
use checkpoint_store::cases::{self, CaseEventRow, CaseRow};
use checkpoint_store::{CivilDate, Tx, contracts, people, users};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A contract ending within this many days of the prosecution deadline (or a review open this
/// close to it) is at risk: a failure would leave too little time to charge. Larger than any
/// shipped policy's margin, so every clamped contract shows.
pub const DEADLINE_RISK_DAYS: i32 = 28;

/// How far ahead "due soon" looks.
pub const DUE_SOON_DAYS: i32 = 7;

/// One page of a list, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            number: 1,
            size: 50,
        }
    }
}

/// How soon a case needs attention; lists sort on it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// A review is open or a condition is overdue.
    Now,
    /// Deadline risk, a contact gap, a missed or unrecorded appointment, or a condition due soon.
    Soon,
    Routine,
}

/// What a work list shows about one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseWatch {
    pub case_id: Uuid,
    pub reference: String,
    pub person_name: String,
    pub state: CaseState,
    pub version: i64,
    pub navigator_id: Option<Uuid>,
    pub urgency: Urgency,
    /// Plain-English reasons for the urgency, most pressing first.
    pub reasons: Vec<String>,
    pub overdue_conditions: Vec<ConditionView>,
    pub conditions_due_soon: Vec<ConditionView>,
    pub missed_appointments: usize,
    /// Appointments in the past with no attendance recorded.
    pub unrecorded_appointments: usize,
    /// Those appointments, earliest first (the caseload page offers to record them).
    pub due_appointments: Vec<AppointmentView>,
    pub contract_end: Option<Date>,
    pub days_left_on_contract: Option<i32>,
    pub deadline: DeadlineStatus,
    pub at_deadline_risk: bool,
    pub review_open: bool,
    pub last_contact: Option<Date>,
    pub days_since_contact: Option<i32>,
    pub no_contact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseloadPage {
    pub items: Vec<CaseWatch>,
    pub total: usize,
    pub page: Page,
}

/// A review waiting for a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewAwaiting {
    pub case: CaseWatch,
    pub trigger: Option<ReviewTrigger>,
    pub opened_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisorQueue {
    /// Oldest first.
    pub reviews_awaiting_decision: Vec<ReviewAwaiting>,
    /// The team's navigators, most loaded first.
    pub caseload_balance: Vec<NavigatorLoad>,
    pub deadline_risks: Vec<CaseWatch>,
    pub contact_gaps: Vec<CaseWatch>,
    /// Screening overrides no supervisor has countersigned yet, oldest first.
    pub overrides_awaiting_countersignature: Vec<OverrideAwaiting>,
}

/// The London date of an instant.
fn london_date(at: Timestamp) -> Date {
    at.to_zoned(crate::clock::london()).date()
}

fn payload(event: &CaseEventRow) -> serde_json::Value {
    serde_json::from_str(&event.payload_json).unwrap_or_default()
}

fn payload_date(event: &CaseEventRow, key: &str) -> Option<Date> {
    payload(event).get(key)?.as_str()?.parse().ok()
}

/// The last day of contact: an attended (or late) appointment or a `contact` event.
fn last_contact(appointments: &[AppointmentRow], events: &[CaseEventRow]) -> Option<Date> {
    let seen = appointments
        .iter()
        .filter(|a| matches!(a.attendance.as_deref(), Some("attended" | "late")))
        .map(|a| london_date(a.planned_at.get()));
    let contacted = events
        .iter()
        .filter(|e| e.kind == "contact")
        .filter_map(|e| payload_date(e, "on"));
    seen.chain(contacted).max()
}

impl App {
    /// Everything the lists need to know about one case.
    async fn watch(&self, tx: &mut Tx, case: &CaseRow) -> Result<CaseWatch, AppError> {
        let today = self.clock().today();
        let now = self.clock().now();
        let state = case.state()?;
        let person = people::get(tx, case.person_id).await?;
        let mut overdue = Vec::new();
        let mut due_soon = Vec::new();
        if let Some(contract) = contracts::current(tx, case.id).await? {
            for row in contracts::conditions(tx, contract.id).await? {
                let condition = condition_view(&row)?;
                let Some(due) = condition.due.filter(|_| condition.status.is_open()) else {
                    continue;
                };
                if due < today {
                    overdue.push(condition);
                } else if due <= add_days(today, DUE_SOON_DAYS) {
                    due_soon.push(condition);
                }
            }
        }
        let booked = appointments::for_case(tx, case.id).await?;
        let missed = booked
            .iter()
            .filter(|a| a.attendance.as_deref() == Some("did_not_attend"))
            .count();
        let due_appointments: Vec<AppointmentView> = booked
            .iter()
            .filter(|a| a.attendance.is_none() && a.planned_at.get() < now)
            .map(AppointmentView::from)
            .collect();
        let unrecorded = due_appointments.len();
        let events = cases::events(tx, case.id).await?;
        let contact = last_contact(&booked, &events);
        // Never contacted: count from the day the case was opened.
        let since = contact.unwrap_or_else(|| london_date(case.opened_at.get()));
        let days_since_contact = days_between(since, today);
        let no_contact = days_since_contact >= i32::from(self.settings().no_contact_days);
        let contract_end = case.contract_end.map(CivilDate::get);
        let deadline = DeadlineStatus::new(case.prosecution_deadline.map(CivilDate::get), today);
        let review_open = state == CaseState::NonComplianceReview;
        let at_deadline_risk = deadline.deadline.is_some_and(|d| {
            contract_end.is_some_and(|end| days_between(end, d) <= DEADLINE_RISK_DAYS)
                || (review_open && days_between(today, d) <= DEADLINE_RISK_DAYS)
        });
        let days_left = contract_end.map(|end| days_between(today, end));

        let mut reasons = Vec::new();
        if review_open {
            reasons.push("non-compliance review open".to_owned());
        }
        if !overdue.is_empty() {
            reasons.push(format!("{} condition(s) overdue", overdue.len()));
        }
        if at_deadline_risk {
            reasons.push(format!("at deadline risk: {}", deadline.words));
        }
        if no_contact {
            reasons.push(match contact {
                Some(_) => format!("no contact for {days_since_contact} days"),
                None => format!("no contact since the case opened {days_since_contact} days ago"),
            });
        }
        if missed > 0 {
            reasons.push(format!("{missed} missed appointment(s)"));
        }
        if unrecorded > 0 {
            reasons.push(format!("{unrecorded} appointment(s) without attendance"));
        }
        if !due_soon.is_empty() {
            reasons.push(format!(
                "{} condition(s) due within {DUE_SOON_DAYS} days",
                due_soon.len()
            ));
        }
        let urgency = if review_open || !overdue.is_empty() {
            Urgency::Now
        } else if reasons.is_empty() {
            Urgency::Routine
        } else {
            Urgency::Soon
        };
        Ok(CaseWatch {
            case_id: case.id,
            reference: case.reference.clone(),
            person_name: format!("{} {}", person.given_name, person.family_name),
            state,
            version: case.version,
            navigator_id: case.navigator_id,
            urgency,
            reasons,
            overdue_conditions: overdue,
            conditions_due_soon: due_soon,
            missed_appointments: missed,
            unrecorded_appointments: unrecorded,
            due_appointments,
            contract_end,
            days_left_on_contract: days_left,
            deadline,
            at_deadline_risk,
            review_open,
            last_contact: contact,
            days_since_contact: Some(days_since_contact),
            no_contact,
        })
    }

    /// The acting navigator's open cases, most urgent first (then fewest days left).
    pub async fn navigator_caseload(
        &self,
        actor: &Actor,
        page: Page,
    ) -> Result<CaseloadPage, AppError> {
        authorise(actor, Action::ViewOwnCaseload)?;
        if page.number == 0 || !(1..=200).contains(&page.size) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "page",
                "number starts at 1; size is between 1 and 200",
            )]));
        }
        let mut tx = self.begin_read().await?;
        let mut watched = Vec::new();
        for case in cases::for_navigator_in_states(&mut tx, actor.user_id, &open_states()).await? {
            watched.push(self.watch(&mut tx, &case).await?);
        }
        watched.sort_by(|a, b| {
            let key = |w: &CaseWatch| (w.urgency, w.days_left_on_contract.unwrap_or(i32::MAX));
            key(a)
                .cmp(&key(b))
                .then_with(|| a.reference.cmp(&b.reference))
        });
        let total = watched.len();
        let skip = usize::try_from((page.number - 1) * page.size).unwrap_or(usize::MAX);
        let items: Vec<CaseWatch> = watched
            .into_iter()
            .skip(skip)
            .take(usize::try_from(page.size).unwrap_or(usize::MAX))
            .collect();
        tx.commit().await?;
        self.record_consultation(actor, "caseload", actor.user_id, "own caseload")
            .await?;
        Ok(CaseloadPage { items, total, page })
    }

    /// A supervisor's queue over their team's cases (every case when they have no team).
    pub async fn supervisor_queue(&self, actor: &Actor) -> Result<SupervisorQueue, AppError> {
        authorise(actor, Action::ViewSupervisorQueue)?;
        let team = actor.team.as_deref();
        let mut tx = self.begin_read().await?;
        let in_scope = |c: &CaseRow| team.is_none() || c.team.as_deref() == team;
        let mut reviews = Vec::new();
        let mut deadline_risks = Vec::new();
        let mut contact_gaps = Vec::new();
        for case in cases::in_states(&mut tx, &open_states()).await? {
            if !in_scope(&case) {
                continue;
            }
            let watch = self.watch(&mut tx, &case).await?;
            if watch.at_deadline_risk {
                deadline_risks.push(watch.clone());
            }
            if watch.no_contact {
                contact_gaps.push(watch.clone());
            }
            if watch.review_open {
                let events = cases::events(&mut tx, case.id).await?;
                let opening = events.iter().rev().find(|e| e.kind == "open_review");
                reviews.push((
                    opening.map(|e| e.occurred_at),
                    ReviewAwaiting {
                        trigger: opening.and_then(|e| {
                            serde_json::from_value(payload(e)["trigger"].clone()).ok()
                        }),
                        opened_on: opening.and_then(|e| payload_date(e, "opened_on")),
                        case: watch,
                    },
                ));
            }
        }
        reviews.sort_by_key(|(at, r)| (r.opened_on, *at));
        deadline_risks.sort_by_key(|w| w.deadline.days_remaining);
        contact_gaps.sort_by_key(|w| std::cmp::Reverse(w.days_since_contact));

        let limit = self.settings().caseload_limit;
        let loads = open_caseloads(&mut tx).await?;
        let mut caseload_balance: Vec<NavigatorLoad> = users::list(&mut tx)
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.role == Role::Navigator.as_str())
            .filter(|u| team.is_none() || u.team.as_deref() == team)
            .map(|u| NavigatorLoad {
                navigator_id: u.id,
                open_cases: loads.get(&u.id).copied().unwrap_or(0),
                navigator_name: u.display_name,
                team: u.team,
                limit,
            })
            .collect();
        caseload_balance.sort_by(|a, b| {
            b.open_cases
                .cmp(&a.open_cases)
                .then_with(|| a.navigator_name.cmp(&b.navigator_name))
        });
        tx.commit().await?;
        self.record_consultation(
            actor,
            "supervisor_queue",
            team.unwrap_or("all"),
            "supervisor work queue",
        )
        .await?;
        // The screening module keeps its own queue (and audits its own consultation).
        let overrides = self.overrides_awaiting_countersignature(actor).await?;
        Ok(SupervisorQueue {
            reviews_awaiting_decision: reviews.into_iter().map(|(_, r)| r).collect(),
            caseload_balance,
            deadline_risks,
            contact_gaps,
            overrides_awaiting_countersignature: overrides,
        })
    }
}
