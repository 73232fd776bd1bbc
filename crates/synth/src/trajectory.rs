//! A case's planned life: every step from screening to disposal with its time, the needs found,
//! the contract's conditions, appointments and attendance, how it ends, and when the person
//! reoffends afterwards.
//!
//! A plan depends on the two answers the real system gives at run time: the screening decision
//! (the policy engine advises, a person records) and the trial arm (concealed allocation). The
//! database writer feeds back what the system actually answered and re-plans; because draws are
//! made in step order, the steps already taken are the same under either answer.

use crate::offences::{self, OffenceTemplate};
use crate::referrals;
use crate::reoffending::{self, Hazard};
use crate::rng::{Rng, StreamKind};
use crate::schemes::{Scheme, rates};
use crate::time::{at, date_of, months_between, plus_days, plus_minutes, plus_months};
use checkpoint_domain::contract::Pathway;
use checkpoint_domain::deadline::{ContractDates, plan_contract, prosecution_deadline};
use checkpoint_domain::lifecycle::{CaseState, ScreeningOutcome, Transition, TrialArm, replay};
use checkpoint_domain::referral::{Referral, Vulnerability};
use jiff::Timestamp;
use jiff::civil::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attendance {
    Attended,
    Late,
    DidNotAttend,
}

impl Attendance {
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Attended => "attended",
            Attendance::Late => "late",
            Attendance::DidNotAttend => "did_not_attend",
        }
    }
}

/// Why an appointment was missed (HMPPS categories: acceptable, unacceptable, logistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissedReason {
    Acceptable,
    Unacceptable,
    Logistical,
}

impl MissedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            MissedReason::Acceptable => "acceptable",
            MissedReason::Unacceptable => "unacceptable",
            MissedReason::Logistical => "logistical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewCause {
    NewOffence,
    MissedAppointments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub pathway: Pathway,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCondition {
    /// The condition id in the scheme's catalogue.
    pub id: &'static str,
    pub hours: Option<u16>,
    pub pathway: Option<Pathway>,
}

/// One thing that happens to a case. Steps that change the lifecycle state map to a
/// [`Transition`] ([`Step::transition`]); the others record work inside a state.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The custody referral is made (the case opens, state `referred`).
    Refer,
    Screen {
        outcome: ScreeningOutcome,
    },
    /// The missing fact is supplied before the second screening.
    SupplyInformation,
    Allocate {
        arm: TrialArm,
    },
    Offer,
    Accept,
    Decline,
    AssignNavigator,
    AssessNeeds,
    WriteContract,
    SignContract,
    StartContract,
    ScheduleAppointment {
        number: usize,
        planned_at: Timestamp,
    },
    RecordAttendance {
        number: usize,
        attendance: Attendance,
        reason: Option<MissedReason>,
    },
    OpenReview {
        cause: ReviewCause,
    },
    /// A supervisor decides: resume (reasonable excuse) or fail.
    DecideReview {
        resume: bool,
    },
    Withdraw,
    ReferForProsecution,
    ExpireTimeLimit,
    Complete,
    BeginFollowUp,
    BeginRetentionReview,
    Dispose,
}

impl Step {
    /// The lifecycle transition this step makes, if any.
    pub fn transition(&self) -> Option<Transition> {
        Some(match self {
            Step::Screen { outcome } => Transition::Screen { outcome: *outcome },
            Step::Allocate { arm } => Transition::Allocate { arm: *arm },
            Step::Offer => Transition::Offer,
            Step::Accept => Transition::Accept,
            Step::Decline => Transition::Decline,
            Step::AssessNeeds => Transition::AssessNeeds,
            Step::SignContract => Transition::SignContract,
            Step::StartContract => Transition::Start,
            Step::OpenReview { .. } => Transition::OpenReview,
            Step::DecideReview { resume: true } => Transition::Resume,
            Step::DecideReview { resume: false } => Transition::Fail,
            Step::Withdraw => Transition::Withdraw,
            Step::ReferForProsecution => Transition::ReferForProsecution,
            Step::ExpireTimeLimit => Transition::ExpireTimeLimit,
            Step::Complete => Transition::Complete,
            Step::BeginFollowUp => Transition::BeginFollowUp,
            Step::BeginRetentionReview => Transition::BeginRetentionReview,
            Step::Dispose => Transition::Dispose,
            Step::Refer
            | Step::SupplyInformation
            | Step::AssignNavigator
            | Step::WriteContract
            | Step::ScheduleAppointment { .. }
            | Step::RecordAttendance { .. } => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Step::Refer => "refer",
            Step::Screen { .. } => "screen",
            Step::SupplyInformation => "supply_information",
            Step::Allocate { .. } => "allocate",
            Step::Offer => "offer",
            Step::Accept => "accept",
            Step::Decline => "decline",
            Step::AssignNavigator => "assign_navigator",
            Step::AssessNeeds => "assess_needs",
            Step::WriteContract => "write_contract",
            Step::SignContract => "sign_contract",
            Step::StartContract => "start_contract",
            Step::ScheduleAppointment { .. } => "schedule_appointment",
            Step::RecordAttendance { .. } => "record_attendance",
            Step::OpenReview { .. } => "open_review",
            Step::DecideReview { .. } => "decide_review",
            Step::Withdraw => "withdraw",
            Step::ReferForProsecution => "refer_for_prosecution",
            Step::ExpireTimeLimit => "expire_time_limit",
            Step::Complete => "complete",
            Step::BeginFollowUp => "begin_follow_up",
            Step::BeginRetentionReview => "begin_retention_review",
            Step::Dispose => "dispose",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimedStep {
    pub at: Timestamp,
    pub step: Step,
}

/// How the programme part of a case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ending {
    Ineligible,
    /// Needs information and it never came.
    AwaitingInformation,
    /// Trial control arm: the usual process (charge), follow-up only.
    Control,
    Declined,
    Completed,
    FailedReoffence,
    FailedNonCompliance,
    Withdrawn,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Ineligible => "ineligible",
            Ending::AwaitingInformation => "awaiting_information",
            Ending::Control => "control",
            Ending::Declined => "declined",
            Ending::Completed => "completed",
            Ending::FailedReoffence => "failed_reoffence",
            Ending::FailedNonCompliance => "failed_non_compliance",
            Ending::Withdrawn => "withdrawn",
        }
    }

    pub fn is_participant(self) -> bool {
        matches!(
            self,
            Ending::Completed
                | Ending::FailedReoffence
                | Ending::FailedNonCompliance
                | Ending::Withdrawn
        )
    }
}

/// A new arrest after the index date.
#[derive(Debug, Clone, PartialEq)]
pub struct Reoffence {
    pub offence_date: Date,
    pub arrest_date: Date,
    pub offence: OffenceTemplate,
    /// Ended in a conviction, caution or out-of-court outcome (proven reoffending).
    pub proven: bool,
}

/// The answers the real system gives at the branch points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Branches {
    pub first_screen: ScreeningOutcome,
    /// The second screening after missing information is supplied.
    pub second_screen: Option<ScreeningOutcome>,
    pub arm: Option<TrialArm>,
}

/// Everything the planner needs to know about a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    pub seed: u64,
    pub index: u64,
    pub scheme: Scheme,
    pub referral: &'a Referral,
    pub referred_at: Timestamp,
    /// Trial arms' 24-month reoffending (treatment, control), when the case is in a trial.
    pub trial_rates: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    pub steps: Vec<TimedStep>,
    pub ending: Ending,
    pub needs: Vec<Need>,
    pub conditions: Vec<PlannedCondition>,
    pub contract: Option<ContractDates>,
    /// Contract start for participants, the decision date for everyone else.
    pub index_date: Date,
    pub hazard: Hazard,
    pub reoffences: Vec<Reoffence>,
}

impl Trajectory {
    /// The lifecycle state on `day` (end of day), replaying the steps taken by then.
    pub fn state_on(&self, day: Date) -> CaseState {
        let transitions = self
            .steps
            .iter()
            .filter(|s| date_of(s.at) <= day)
            .filter_map(|s| s.step.transition());
        replay(transitions).unwrap_or(CaseState::Referred)
    }

    pub fn appointments(&self) -> impl Iterator<Item = (Attendance, Option<MissedReason>)> + '_ {
        self.steps.iter().filter_map(|s| match s.step {
            Step::RecordAttendance {
                attendance, reason, ..
            } => Some((attendance, reason)),
            _ => None,
        })
    }

    /// Whether a first reoffence happened within `months` of the index date.
    pub fn reoffended_within(&self, months: f64) -> bool {
        self.reoffences
            .first()
            .is_some_and(|r| months_between(self.index_date, r.offence_date) <= months)
    }

    pub fn reoffences_within(&self, months: f64) -> usize {
        self.reoffences
            .iter()
            .filter(|r| months_between(self.index_date, r.offence_date) <= months)
            .count()
    }

    pub fn reoffended_in_contract(&self) -> bool {
        match (&self.contract, self.reoffences.first()) {
            (Some(c), Some(r)) => r.offence_date >= c.start && r.offence_date <= c.end,
            _ => false,
        }
    }
}

/// A cursor through time that only moves forward.
struct Clock(Timestamp);

impl Clock {
    fn after_minutes(&mut self, minutes: i64) -> Timestamp {
        self.0 = plus_minutes(self.0, minutes.max(1));
        self.0
    }

    /// Between `min_days` and `max_days` later at a working-hours time; never earlier than the
    /// last step.
    fn after_days(&mut self, rng: &mut Rng, min_days: i64, max_days: i64) -> Timestamp {
        let days = rng.between(min_days, max_days);
        let day = plus_days(date_of(self.0), days.max(0));
        let candidate = at(day, rng.between(9, 16) as i8, rng.between(0, 59) as i8);
        self.0 = if candidate > self.0 {
            candidate
        } else {
            plus_minutes(self.0, 30)
        };
        self.0
    }

    fn at_date(&mut self, day: Date, hour: i8) -> Timestamp {
        let candidate = at(day, hour, 0);
        self.0 = if candidate > self.0 {
            candidate
        } else {
            plus_minutes(self.0, 30)
        };
        self.0
    }
}

struct Builder {
    steps: Vec<TimedStep>,
    clock: Clock,
}

impl Builder {
    fn push(&mut self, at: Timestamp, step: Step) {
        self.steps.push(TimedStep { at, step });
    }

    fn now(&self) -> Timestamp {
        self.clock.0
    }
}

/// Plans a case given the system's answers at the branch points.
pub fn plan(facts: CaseFacts<'_>, branches: Branches) -> Trajectory {
    let mut rng = Rng::stream(facts.seed, StreamKind::Trajectory, facts.index);
    // Drawn first so the same person is "as likely to reoffend" under every branch (common
    // random numbers: the trial contrast is then sharper for a given sample size).
    let mut reoffending_rng = Rng::stream(facts.seed, StreamKind::Reoffending, facts.index);
    let reoffence_draw = reoffending_rng.unit_open();

    let mut b = Builder {
        steps: Vec::new(),
        clock: Clock(facts.referred_at),
    };
    b.push(facts.referred_at, Step::Refer);
    let t = b.clock.after_minutes(rng.between(20, 90));
    b.push(
        t,
        Step::Screen {
            outcome: branches.first_screen,
        },
    );
    let mut screening = branches.first_screen;
    if screening == ScreeningOutcome::NeedsInformation {
        match branches.second_screen {
            Some(second) => {
                let t = b.clock.after_days(&mut rng, 1, 6);
                b.push(t, Step::SupplyInformation);
                let t = b.clock.after_minutes(rng.between(10, 60));
                b.push(t, Step::Screen { outcome: second });
                screening = second;
            }
            None => {
                let decided = date_of(b.now());
                return finish(
                    facts,
                    b,
                    Ending::AwaitingInformation,
                    None,
                    decided,
                    reoffence_draw,
                    &mut reoffending_rng,
                    Vec::new(),
                    Vec::new(),
                );
            }
        }
    }
    let decided = date_of(b.now());
    match screening {
        ScreeningOutcome::Ineligible => {
            let review = plus_months(decided, 72.0);
            retention(&mut b, &mut rng, review);
            return finish(
                facts,
                b,
                Ending::Ineligible,
                None,
                decided,
                reoffence_draw,
                &mut reoffending_rng,
                Vec::new(),
                Vec::new(),
            );
        }
        ScreeningOutcome::NeedsInformation => {
            return finish(
                facts,
                b,
                Ending::AwaitingInformation,
                None,
                decided,
                reoffence_draw,
                &mut reoffending_rng,
                Vec::new(),
                Vec::new(),
            );
        }
        ScreeningOutcome::Eligible => {}
    }

    if let Some(arm) = branches.arm {
        let t = b.clock.after_minutes(rng.between(5, 20));
        b.push(t, Step::Allocate { arm });
        if arm == TrialArm::Control {
            let t = b.clock.after_days(&mut rng, 1, 1);
            b.push(t, Step::BeginFollowUp);
            let review = plus_months(date_of(t), 72.0);
            retention(&mut b, &mut rng, review);
            return finish(
                facts,
                b,
                Ending::Control,
                None,
                decided,
                reoffence_draw,
                &mut reoffending_rng,
                Vec::new(),
                Vec::new(),
            );
        }
    }

    let t = b.clock.after_minutes(rng.between(10, 40));
    b.push(t, Step::Offer);
    if !rng.chance(facts.scheme.acceptance()) {
        let t = b.clock.after_days(&mut rng, 0, 2);
        b.push(t, Step::Decline);
        let t = b.clock.after_days(&mut rng, 1, 1);
        b.push(t, Step::BeginFollowUp);
        let review = plus_months(date_of(t), 72.0);
        retention(&mut b, &mut rng, review);
        return finish(
            facts,
            b,
            Ending::Declined,
            None,
            decided,
            reoffence_draw,
            &mut reoffending_rng,
            Vec::new(),
            Vec::new(),
        );
    }
    let t = b.clock.after_minutes(rng.between(5, 30));
    b.push(t, Step::Accept);

    // Navigator within a day; needs assessment 24–72 hours after arrest (the supervisor's
    // "time from arrest to first contact", domain.md Implications C).
    let t = b.clock.after_days(&mut rng, 1, 1);
    b.push(t, Step::AssignNavigator);
    let t = b.clock.after_days(&mut rng, 1, 2);
    b.push(t, Step::AssessNeeds);
    let needs = assess_needs(&mut rng, facts.referral);
    let t = b.clock.after_days(&mut rng, 0, 4);
    b.push(t, Step::WriteContract);
    let t = b.clock.after_minutes(rng.between(30, 120));
    b.push(t, Step::SignContract);
    let start_at = b.clock.after_minutes(rng.between(5, 30));
    b.push(start_at, Step::StartContract);
    let start = date_of(start_at);
    let (length, rule) = facts.scheme.contract();
    let deadline = prosecution_deadline(
        facts.referral.offence.mode_of_trial,
        facts.referral.offence.offence_date,
    );
    let contract = plan_contract(start, length, deadline, rule);
    let conditions = choose_conditions(&mut rng, facts.scheme, facts.referral, &needs);

    let hazard = participant_hazard(facts, &contract);
    let first_months = hazard.first_reoffence(reoffence_draw);
    let contract_months = months_between(contract.start, contract.end);
    let in_contract_reoffence =
        (first_months <= contract_months).then(|| plus_months(contract.start, first_months));

    // How the contract ends when no reoffence ends it first.
    let appointment_days: Vec<i64> = facts
        .scheme
        .appointment_days()
        .iter()
        .copied()
        .filter(|d| plus_days(start, *d) < contract.end)
        .collect();
    let n = appointment_days.len().max(1);
    let u = rng.unit();
    let nc = facts.scheme.non_compliance_failure();
    let (mut ending, fail_at, withdraw_at, resume_at) = if u < nc {
        (Ending::FailedNonCompliance, Some(rng.below(n)), None, None)
    } else if u < nc + rates::WITHDRAWAL {
        (Ending::Withdrawn, None, Some(rng.below(n)), None)
    } else if rng.chance(rates::REVIEW_THEN_RESUME) && n > 1 {
        (Ending::Completed, None, None, Some(rng.below(n - 1)))
    } else {
        (Ending::Completed, None, None, None)
    };

    let mut closed_by_programme = false;
    for (number, day) in appointment_days.iter().enumerate() {
        let planned_day = plus_days(start, *day);
        if in_contract_reoffence.is_some_and(|r| planned_day > r) {
            break;
        }
        let scheduled = b.clock.after_minutes(rng.between(5, 60));
        let planned_at = at(planned_day, rng.between(9, 16) as i8, 0);
        b.push(scheduled, Step::ScheduleAppointment { number, planned_at });
        // An unacceptable absence opens a non-compliance review at once (the application's
        // rule), so they happen only where the plan has a review.
        let forced_miss = fail_at == Some(number) || resume_at == Some(number);
        let (attendance, reason) = if forced_miss {
            (Attendance::DidNotAttend, Some(MissedReason::Unacceptable))
        } else {
            attendance(&mut rng)
        };
        let recorded = b.clock.at_date(planned_day, 17);
        b.push(
            recorded,
            Step::RecordAttendance {
                number,
                attendance,
                reason,
            },
        );
        if resume_at == Some(number) || fail_at == Some(number) {
            let t = b.clock.after_minutes(1);
            b.push(
                t,
                Step::OpenReview {
                    cause: ReviewCause::MissedAppointments,
                },
            );
            let t = b.clock.after_days(&mut rng, 2, 4);
            let resume = resume_at == Some(number);
            b.push(t, Step::DecideReview { resume });
            if !resume {
                closed_by_programme = true;
                break;
            }
        }
        if withdraw_at == Some(number) {
            let t = b.clock.after_days(&mut rng, 1, 3);
            b.push(t, Step::Withdraw);
            closed_by_programme = true;
            break;
        }
    }
    if !closed_by_programme && in_contract_reoffence.is_none() {
        // A planned failure or withdrawal whose appointment never came (short contract).
        ending = Ending::Completed;
    }
    if !closed_by_programme && let Some(reoffence) = in_contract_reoffence {
        // The new arrest is linked to the participant within days and opens a review.
        ending = Ending::FailedReoffence;
        let opened = b.clock.at_date(plus_days(reoffence, rng.between(1, 3)), 10);
        b.push(
            opened,
            Step::OpenReview {
                cause: ReviewCause::NewOffence,
            },
        );
        let t = b.clock.after_days(&mut rng, 2, 6);
        b.push(t, Step::DecideReview { resume: false });
    } else if !closed_by_programme {
        let t = b.clock.at_date(contract.end, 16);
        b.push(t, Step::Complete);
    }
    if ending != Ending::Completed {
        let t = b.clock.after_days(&mut rng, 1, 4);
        if referrals::past_time_limit(facts.referral, date_of(t)) {
            b.push(t, Step::ExpireTimeLimit);
        } else {
            b.push(t, Step::ReferForProsecution);
        }
    }
    let t = b.clock.after_days(&mut rng, 1, 1);
    b.push(t, Step::BeginFollowUp);
    let review = plus_months(date_of(t), 72.0);
    retention(&mut b, &mut rng, review);
    finish(
        facts,
        b,
        ending,
        Some(contract),
        start,
        reoffence_draw,
        &mut reoffending_rng,
        needs,
        conditions,
    )
}

/// Retention review after the policy's 72 months (domain.md §9: six years minimum), then
/// disposal a few weeks later.
fn retention(b: &mut Builder, rng: &mut Rng, review_on: Date) {
    let t = b.clock.at_date(review_on, 10);
    b.push(t, Step::BeginRetentionReview);
    let t = b.clock.after_days(rng, 14, 45);
    b.push(t, Step::Dispose);
}

#[allow(clippy::too_many_arguments)]
fn finish(
    facts: CaseFacts<'_>,
    b: Builder,
    ending: Ending,
    contract: Option<ContractDates>,
    index_date: Date,
    reoffence_draw: f64,
    rng: &mut Rng,
    needs: Vec<Need>,
    conditions: Vec<PlannedCondition>,
) -> Trajectory {
    let hazard = match &contract {
        Some(c) => participant_hazard(facts, c),
        None => non_participant_hazard(facts, ending),
    };
    let first = hazard.first_reoffence(reoffence_draw);
    let mut months = vec![first];
    if first.is_finite() {
        months.extend(reoffending::later_reoffences(rng, first, hazard));
    }
    let reoffences = months
        .into_iter()
        .filter(|m| m.is_finite() && *m < 120.0)
        .map(|m| {
            let offence_date = plus_months(index_date, m);
            Reoffence {
                offence_date,
                arrest_date: plus_days(offence_date, rng.between(0, 3)),
                offence: *offences::pick(rng, offences::CHECKPOINT_OFFENCES),
                proven: rng.chance(rates::PROVEN_SHARE),
            }
        })
        .collect();
    Trajectory {
        steps: b.steps,
        ending,
        needs,
        conditions,
        contract,
        index_date,
        hazard,
        reoffences,
    }
}

/// A participant's hazard. In a trial only the treatment arm reaches a contract, so the
/// treatment arm's rate applies.
fn participant_hazard(facts: CaseFacts<'_>, contract: &ContractDates) -> Hazard {
    let contract_months = months_between(contract.start, contract.end);
    match facts.trial_rates {
        Some((treatment, _)) => {
            Hazard::with_contract(24.0, treatment, contract_months, rates::IN_CONTRACT)
        }
        _ => match facts.scheme {
            Scheme::Checkpoint | Scheme::DrugEducation => {
                let (months, p) = facts.scheme.participant_reoffending();
                Hazard::with_contract(months, p, contract_months, rates::IN_CONTRACT)
            }
            Scheme::Divert => {
                let (months, p) = facts.scheme.participant_reoffending();
                Hazard::constant(months, p)
            }
        },
    }
}

/// Everyone not on a contract: the usual process. In a trial, the arm's rate applies to the
/// whole arm (intention to treat): a treatment-arm case that declined still counts as treated,
/// so the effect set is exactly what an ITT analysis should recover.
fn non_participant_hazard(facts: CaseFacts<'_>, ending: Ending) -> Hazard {
    match (facts.trial_rates, ending) {
        (Some((_, control)), Ending::Control) => Hazard::constant(24.0, control),
        (Some((treatment, _)), Ending::Declined) => Hazard::constant(24.0, treatment),
        _ => Hazard::constant(24.0, rates::USUAL_PROCESS_24M),
    }
}

fn attendance(rng: &mut Rng) -> (Attendance, Option<MissedReason>) {
    match rng.weighted(&rates::ATTENDANCE) {
        0 => (Attendance::Attended, None),
        1 => (Attendance::Late, None),
        _ => {
            // Unplanned misses have an acceptable or logistical reason: an unacceptable one
            // would open a review, which only the planned branches do.
            let reason = match rng.weighted(&rates::MISSED_REASON) {
                0 => MissedReason::Acceptable,
                _ => MissedReason::Logistical,
            };
            (Attendance::DidNotAttend, Some(reason))
        }
    }
}

/// Needs across the nine pathways. Vulnerabilities noticed at custody make the matching need
/// more likely and more severe.
fn assess_needs(rng: &mut Rng, referral: &Referral) -> Vec<Need> {
    let noticed = referral.vulnerabilities.as_deref().unwrap_or(&[]);
    let flagged = |p: Pathway| {
        noticed.iter().any(|v| {
            matches!(
                (v, p),
                (Vulnerability::Alcohol, Pathway::Alcohol)
                    | (Vulnerability::SubstanceMisuse, Pathway::Drugs)
                    | (Vulnerability::MentalHealth, Pathway::MentalHealth)
                    | (Vulnerability::Homelessness, Pathway::Housing)
                    | (Vulnerability::Exploitation, Pathway::Exploitation)
            )
        })
    };
    let drug_offence = matches!(
        referral.offence.category,
        checkpoint_domain::offence::OffenceCategory::DrugPossession
            | checkpoint_domain::offence::OffenceCategory::CannabisCultivation
            | checkpoint_domain::offence::OffenceCategory::DrugSupply
    );
    let mut needs = Vec::new();
    for (pathway, prevalence) in rates::NEED_PREVALENCE {
        let boosted = flagged(pathway) || (pathway == Pathway::Drugs && drug_offence);
        let p = if boosted { 0.9 } else { prevalence };
        if rng.chance(p) {
            let severity = match rng.weighted(if boosted {
                &[20.0, 40.0, 40.0]
            } else {
                &[45.0, 40.0, 15.0]
            }) {
                0 => Severity::Low,
                1 => Severity::Medium,
                _ => Severity::High,
            };
            needs.push(Need { pathway, severity });
        }
    }
    needs
}

/// The contract: the mandatory condition, interventions for the most severe needs the
/// catalogue covers, then (Checkpoint) restorative justice if the victim wants it and
/// 18–36 community hours or, rarely, a GPS tag — at most the scheme's cap (five for Durham).
fn choose_conditions(
    rng: &mut Rng,
    scheme: Scheme,
    referral: &Referral,
    needs: &[Need],
) -> Vec<PlannedCondition> {
    let mut chosen = vec![PlannedCondition {
        id: scheme.mandatory_condition(),
        hours: None,
        pathway: None,
    }];
    let mut by_severity: Vec<&Need> = needs.iter().collect();
    by_severity.sort_by_key(|n| std::cmp::Reverse(n.severity));
    for need in by_severity {
        if chosen.len() >= scheme.max_conditions().min(3) {
            break;
        }
        if let Some((id, pathway)) = scheme
            .pathway_conditions()
            .iter()
            .find(|(_, p)| *p == need.pathway)
        {
            chosen.push(PlannedCondition {
                id,
                hours: None,
                pathway: Some(*pathway),
            });
        }
    }
    if scheme == Scheme::Checkpoint {
        let victim_wants_rj = referral
            .offence
            .victim
            .as_ref()
            .and_then(|v| v.wants_restorative_justice)
            .unwrap_or(false);
        if victim_wants_rj && chosen.len() < scheme.max_conditions() {
            chosen.push(PlannedCondition {
                id: "restorative_justice",
                hours: None,
                pathway: None,
            });
        }
        if chosen.len() < scheme.max_conditions() {
            if rng.chance(0.45) {
                chosen.push(PlannedCondition {
                    id: "community_hours",
                    hours: Some(18 + 6 * rng.below(4) as u16),
                    pathway: None,
                });
            } else if rng.chance(0.05) {
                chosen.push(PlannedCondition {
                    id: "gps_tag",
                    hours: None,
                    pathway: None,
                });
            }
        }
    }
    chosen
}
