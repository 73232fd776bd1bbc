//! Plays generated cases through the use cases in time order (see the module above).

use super::staff::{self, NORTH, SOUTH, Staff};
use super::{DemoError, DemoSummary};
use crate::arrests::Arrest;
use crate::generator::{Config, Generator, SynthCase};
use crate::rng::{Rng, StreamKind};
use crate::time::{at, plus_days};
use crate::trajectory::{self, Branches, ReviewCause, Step, Trajectory};
use checkpoint_app::appointments::{AbsenceReason, Attendance, NewAppointment};
use checkpoint_app::assignment::{Assignment, LimitOverride};
use checkpoint_app::contracts::{ContractDraft, ParticipantSignature, Signature};
use checkpoint_app::offers::{Admission, Consent};
use checkpoint_app::referrals::{NewReferral, PersonChoice};
use checkpoint_app::reviews::{ReviewDecision, ReviewTrigger};
use checkpoint_app::screening::ScreeningChoice;
use checkpoint_app::{Actor, App, AppError, Clock, PasswordCost, Settings};
use checkpoint_domain::contract::{ConditionStatus, ProposedCondition};
use checkpoint_domain::lifecycle::{CaseState, ScreeningOutcome};
use checkpoint_domain::policy::Eligibility;
use checkpoint_domain::referral::InterviewOutcome;
use checkpoint_store::needs::Severity;
use jiff::Timestamp;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use uuid::Uuid;

/// A case on its way through the system.
struct Running {
    case: SynthCase,
    plan: Trajectory,
    branches: Branches,
    /// Steps after this index are not taken (recent cases left mid-way, so the demo shows
    /// every state).
    stop_after: usize,
    case_id: Uuid,
    version: i64,
    state: CaseState,
    advice: Option<Eligibility>,
    /// Whether the policy the current advice was evaluated under runs a randomised trial.
    advice_runs_trial: bool,
    navigator: Option<Uuid>,
    appointments: HashMap<usize, Uuid>,
    conditions: Vec<Uuid>,
    /// Screening decisions recorded so far (a second follows supplied information).
    screenings: u8,
}

/// What running one step did.
enum Outcome {
    Done,
    /// The application has no use case for this step yet.
    Missing,
}

struct Driver<'a> {
    app: App,
    generator: Generator,
    staff: Staff,
    trial_running: bool,
    /// Synthetic person id → the database's person id.
    people: HashMap<String, Uuid>,
    summary: &'a mut DemoSummary,
    /// The arrest feed of the cases played, when asked for.
    arrests: Option<Vec<Arrest>>,
}

const NOTES_KEPT: usize = 8;

/// Plays the cases; with `arrest_feed`, also returns their later arrests.
pub async fn run(
    app: &App,
    config: &Config,
    password: &str,
    arrest_feed: bool,
    progress: &dyn Fn(u64),
) -> Result<(DemoSummary, Vec<Arrest>), DemoError> {
    // Our own App over the same database and policies, with a clock we can move.
    let start = at(plus_days(config.first_referral, -1), 8, 0);
    let clock = Clock::manual(start);
    let settings = Settings {
        password_cost: PasswordCost::Fast,
        ..app.settings().clone()
    };
    let demo_app = App::new(app.db().clone(), app.policies().clone(), clock, settings);
    let staff = staff::create(&demo_app, password).await?;
    let mut summary = DemoSummary {
        created: true,
        logins: staff.logins.clone(),
        ..DemoSummary::default()
    };
    let trial_running = match config.trial {
        Some(trial) => set_up_trial(&demo_app, &staff, trial.from, &mut summary).await?,
        None => false,
    };
    let mut driver = Driver {
        app: demo_app,
        generator: Generator::new(config.clone()),
        staff,
        trial_running,
        people: HashMap::new(),
        summary: &mut summary,
        arrests: arrest_feed.then(Vec::new),
    };
    driver.play(progress).await?;
    let arrests = driver.arrests.take().unwrap_or_default();
    Ok((summary, arrests))
}

/// Sets up the trial if the policy in force runs one; the shipped policies do not (their
/// `[trial]` sections are disabled), in which case the run notes it and goes on without arms.
/// The seed is recorded on the trial's first day, before the custody desk opens, under the
/// policy in force that day.
pub(super) async fn set_up_trial(
    app: &App,
    staff: &Staff,
    from: jiff::civil::Date,
    summary: &mut DemoSummary,
) -> Result<bool, DemoError> {
    let scheme = crate::Scheme::Checkpoint.policy_id();
    let enabled = app
        .policies()
        .in_force(scheme, from)
        .is_some_and(|p| p.trial().enabled);
    if !enabled {
        summary.notes.push(format!(
            "no trial: the {scheme} policy in force on {from} does not enable [trial]; \
             cases were not randomised"
        ));
        return Ok(false);
    }
    app.clock().set(at(from, 7, 0));
    app.set_up_trial(&staff.supervisor, scheme, 20_260_101)
        .await?;
    Ok(true)
}

impl Driver<'_> {
    async fn play(&mut self, progress: &dyn Fn(u64)) -> Result<(), DemoError> {
        let config = self.generator.config().clone();
        let horizon = at(plus_days(config.as_of, 1), 0, 0);
        let mut queue: BinaryHeap<Reverse<(Timestamp, u64, usize)>> = BinaryHeap::new();
        let mut running: HashMap<u64, Running> = HashMap::new();
        let mut next_index = 0u64;
        let mut pending = (config.cases > 0).then(|| self.generator.case(0));
        loop {
            // Admit the next referral once the clock would reach it.
            while let Some(case) = pending.take() {
                let due = queue.peek().is_none_or(|top| case.referred_at <= top.0.0);
                if !due {
                    pending = Some(case);
                    break;
                }
                let index = case.index;
                let r = self.admit(case, &config);
                queue.push(Reverse((r.plan.steps[0].at, index, 0)));
                running.insert(index, r);
                next_index += 1;
                progress(next_index);
                pending = (next_index < config.cases).then(|| self.generator.case(next_index));
            }
            let Some(Reverse((when, index, step))) = queue.pop() else {
                break;
            };
            let Some(mut r) = running.remove(&index) else {
                continue;
            };
            if when >= horizon || step > r.stop_after || step >= r.plan.steps.len() {
                self.finish(&r);
                continue;
            }
            self.app.clock().set(when);
            match self.step(&mut r, step).await {
                Ok(Outcome::Done) => {
                    self.summary.steps_run += 1;
                    if let Some(next) = r.plan.steps.get(step + 1) {
                        queue.push(Reverse((next.at.max(when), index, step + 1)));
                        running.insert(index, r);
                    } else {
                        self.finish(&r);
                    }
                }
                Ok(Outcome::Missing) => {
                    *self
                        .summary
                        .missing_use_cases
                        .entry(r.plan.steps[step].step.name())
                        .or_default() += 1;
                    self.finish(&r);
                }
                Err(e) => {
                    self.summary.failed_cases += 1;
                    if self.summary.notes.len() < NOTES_KEPT {
                        self.summary.notes.push(format!(
                            "case {} stopped at {}: {e}",
                            r.case.reference,
                            r.plan.steps[step].step.name()
                        ));
                    }
                    self.finish(&r);
                }
            }
        }
        self.summary.cases = next_index;
        Ok(())
    }

    /// A case has taken its last step: its later arrests follow the plan it ended with (the
    /// arm and screening the system gave), for the arrest feed.
    fn finish(&mut self, r: &Running) {
        if let Some(arrests) = self.arrests.as_mut() {
            arrests.extend(super::case_arrests(&self.generator, &r.case, &r.plan));
        }
    }

    fn admit(&self, case: SynthCase, config: &Config) -> Running {
        let mut branches = case.planned_branches();
        if !self.trial_running {
            branches.arm = None;
        }
        let plan = self.generator.plan_with(&case, branches);
        // Leave recent cases part-way (awaiting an offer's answer, a contract's signature …)
        // so a demo taken "today" shows every state: each stops after a different one of its
        // transitions, in turn.
        let recent = case.referral_date() >= plus_days(config.as_of, -60);
        let transitions: Vec<usize> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.step.transition().is_some())
            .map(|(i, _)| i)
            .collect();
        let mut rng = Rng::stream(config.seed, StreamKind::Staff, case.index);
        let stop_after = if recent && !transitions.is_empty() && rng.chance(0.8) {
            transitions[rng.below(transitions.len())]
        } else {
            usize::MAX
        };
        Running {
            case,
            plan,
            branches,
            stop_after,
            case_id: Uuid::nil(),
            version: 0,
            state: CaseState::Referred,
            advice: None,
            advice_runs_trial: false,
            navigator: None,
            appointments: HashMap::new(),
            conditions: Vec::new(),
            screenings: 0,
        }
    }

    fn custody(&self, r: &Running) -> &Actor {
        &self.staff.custody[(r.case.index % self.staff.custody.len() as u64) as usize]
    }

    fn navigator(&self, r: &Running) -> &Actor {
        r.navigator
            .and_then(|id| self.staff.navigator(id))
            .unwrap_or(&self.staff.supervisor)
    }

    fn today(&self) -> jiff::civil::Date {
        self.app.clock().today()
    }

    /// Re-plans after the system answered differently at a branch point.
    fn replan(&self, r: &mut Running, branches: Branches) {
        if branches != r.branches {
            r.branches = branches;
            r.plan = self.generator.plan_with(&r.case, branches);
        }
    }

    async fn step(&mut self, r: &mut Running, index: usize) -> Result<Outcome, AppError> {
        let step = r.plan.steps[index].step.clone();
        match step {
            Step::Refer => self.refer(r).await?,
            Step::Screen { .. } => self.screen(r).await?,
            Step::SupplyInformation => {
                let mut referral = r.case.completed_referral();
                referral.referral_date = self.today();
                let out = self
                    .app
                    .rescreen(self.custody(r), r.case_id, r.version, referral)
                    .await?;
                r.version = out.case.version;
                r.advice = Some(out.advice.advised_outcome);
                r.advice_runs_trial = self.runs_trial(&out.advice);
            }
            Step::Allocate { .. } => {
                let out = self
                    .app
                    .allocate(self.custody(r), r.case_id, r.version)
                    .await?;
                r.version = out.case.version;
                r.state = out.case.state;
                self.replan(
                    r,
                    Branches {
                        arm: Some(out.arm),
                        ..r.branches
                    },
                );
            }
            Step::Offer => {
                let out = self
                    .app
                    .make_offer(self.custody(r), r.case_id, r.version)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::Accept => {
                let admission = match r.case.referral.interview {
                    Some(InterviewOutcome::NoReply) => Admission::NoReplyInInterview,
                    _ => Admission::AdmittedInInterview,
                };
                let consent = Consent::Accepted {
                    admission,
                    signed_on: self.today(),
                };
                let out = self
                    .app
                    .record_consent(self.custody(r), r.case_id, r.version, consent)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::Decline => {
                let consent = Consent::Declined {
                    reason: "Chose the usual process (synthetic demo case).".to_owned(),
                };
                let out = self
                    .app
                    .record_consent(self.custody(r), r.case_id, r.version, consent)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::AssignNavigator => self.assign(r).await?,
            Step::AssessNeeds => {
                // Every pathway is assessed; `none` where there is no need.
                let items = checkpoint_domain::contract::Pathway::ALL
                    .into_iter()
                    .map(|pathway| checkpoint_app::needs::NeedsItem {
                        pathway,
                        severity: match r.plan.needs.iter().find(|n| n.pathway == pathway) {
                            None => Severity::None,
                            Some(n) => match n.severity {
                                trajectory::Severity::Low => Severity::Low,
                                trajectory::Severity::Medium => Severity::Medium,
                                trajectory::Severity::High => Severity::High,
                            },
                        },
                        notes: None,
                    })
                    .collect();
                let out = self
                    .app
                    .record_needs_assessment(self.navigator(r), r.case_id, r.version, items)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::WriteContract => {
                let conditions = r
                    .plan
                    .conditions
                    .iter()
                    .map(|c| ProposedCondition {
                        condition: c.id.to_owned(),
                        hours: c.hours,
                        due: None,
                        provider: None,
                        details: String::new(),
                    })
                    .collect();
                let draft = ContractDraft {
                    start: self.today(),
                    conditions,
                };
                let out = self
                    .app
                    .write_contract(self.navigator(r), r.case_id, r.version, draft)
                    .await?;
                r.conditions = out.contract.conditions.iter().map(|c| c.id).collect();
                self.progress(r, out.version, out.state);
            }
            Step::SignContract => {
                let signature = Signature {
                    signed_on: self.today(),
                    participant_signature: ParticipantSignature::OnScreen {
                        typed_name: format!(
                            "{} {}",
                            r.case.person.given_name, r.case.person.family_name
                        ),
                    },
                };
                let out = self
                    .app
                    .sign_contract(self.navigator(r), r.case_id, r.version, signature)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::StartContract => {
                let out = self
                    .app
                    .start_contract(self.navigator(r), r.case_id, r.version)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::ScheduleAppointment { number, planned_at } => {
                let appointment = NewAppointment {
                    at: planned_at,
                    purpose: if number == 0 {
                        "First meeting with the navigator".to_owned()
                    } else {
                        "Progress meeting".to_owned()
                    },
                    location: Some("Ridgedale Checkpoint office".to_owned()),
                };
                let view = self
                    .app
                    .schedule_appointment(self.navigator(r), r.case_id, appointment)
                    .await?;
                r.appointments.insert(number, view.id);
            }
            Step::RecordAttendance {
                number,
                attendance,
                reason,
            } => {
                let Some(id) = r.appointments.get(&number).copied() else {
                    return Err(AppError::Internal("appointment not scheduled".to_owned()));
                };
                let attendance = match (attendance, reason) {
                    (trajectory::Attendance::Attended, _) => Attendance::Yes,
                    (trajectory::Attendance::Late, _) => Attendance::Late,
                    (trajectory::Attendance::DidNotAttend, reason) => Attendance::No {
                        reason: match reason {
                            Some(trajectory::MissedReason::Unacceptable) => {
                                AbsenceReason::Unacceptable
                            }
                            Some(trajectory::MissedReason::Logistical) => AbsenceReason::Logistical,
                            _ => AbsenceReason::Acceptable,
                        },
                        note: "Recorded by the navigator (synthetic demo case).".to_owned(),
                    },
                };
                let navigator = self.navigator(r).clone();
                let out = self
                    .app
                    .record_attendance(&navigator, id, attendance)
                    .await?;
                r.version = out.version;
                if out.review_opened.is_some() {
                    r.state = CaseState::NonComplianceReview;
                }
            }
            Step::OpenReview { cause } => {
                if r.state != CaseState::NonComplianceReview {
                    let trigger = match cause {
                        ReviewCause::NewOffence => ReviewTrigger::NewArrest {
                            arrest_ref: format!("{}-arrest", r.case.reference),
                            date: self.today(),
                        },
                        ReviewCause::MissedAppointments => {
                            ReviewTrigger::Other("Missed appointments".to_owned())
                        }
                    };
                    let out = self
                        .app
                        .open_review(&self.staff.supervisor, r.case_id, r.version, trigger)
                        .await?;
                    r.version = out.version;
                    r.state = CaseState::NonComplianceReview;
                }
            }
            Step::DecideReview { resume } => {
                let decision = if resume {
                    ReviewDecision::Resume {
                        reasonable_excuse: true,
                        reason: "A reasonable excuse was given (synthetic demo case).".to_owned(),
                    }
                } else {
                    ReviewDecision::Fail {
                        reason: "No reasonable excuse (synthetic demo case).".to_owned(),
                    }
                };
                let out = self
                    .app
                    .decide_review(&self.staff.supervisor, r.case_id, r.version, decision)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::Withdraw => {
                let navigator = self.navigator(r).clone();
                let out = self
                    .app
                    .withdraw(
                        &navigator,
                        r.case_id,
                        r.version,
                        "The participant withdrew (synthetic demo case).",
                    )
                    .await?;
                self.progress(r, out.version, out.state);
            }
            // Failing a review and withdrawing refer for prosecution (or close as Outcome
            // 17) in the same use case.
            Step::ReferForProsecution | Step::ExpireTimeLimit => {}
            Step::Complete => {
                let navigator = self.navigator(r).clone();
                for condition in std::mem::take(&mut r.conditions) {
                    let out = self
                        .app
                        .update_condition_status(
                            &navigator,
                            condition,
                            ConditionStatus::Completed,
                            "Done (synthetic demo case).",
                        )
                        .await?;
                    r.version = out.version;
                }
                let out = self
                    .app
                    .complete_case(&navigator, r.case_id, r.version)
                    .await?;
                self.progress(r, out.version, out.state);
            }
            Step::BeginFollowUp => {
                // Completion begins follow-up itself; declined and control cases have no use
                // case for it yet.
                if r.state != CaseState::FollowUp {
                    return Ok(Outcome::Missing);
                }
            }
            Step::BeginRetentionReview | Step::Dispose => return Ok(Outcome::Missing),
        }
        Ok(Outcome::Done)
    }

    fn progress(&self, r: &mut Running, version: i64, state: CaseState) {
        r.version = version;
        r.state = state;
    }

    async fn refer(&mut self, r: &mut Running) -> Result<(), AppError> {
        let custody = self.custody(r).clone();
        let mut referral = r.case.referral.clone();
        referral.referral_date = self.today();
        let (person, acknowledged) = match self.people.get(&r.case.person.id) {
            Some(id) => (PersonChoice::Existing(*id), Vec::new()),
            None => {
                // Twins and namesakes look like people already known; the desk checks and
                // records that they are someone else.
                let matches = self
                    .app
                    .find_likely_people(&custody, &referral.person)
                    .await?;
                (
                    PersonChoice::New,
                    matches.iter().map(|m| m.person_id).collect(),
                )
            }
        };
        let out = self
            .app
            .create_referral(
                &custody,
                NewReferral {
                    scheme_id: r.case.scheme.policy_id().to_owned(),
                    referral,
                    person,
                    acknowledged_matches: acknowledged,
                },
            )
            .await?;
        self.people.insert(r.case.person.id.clone(), out.person_id);
        r.case_id = out.case.case_id;
        r.version = out.case.version;
        r.state = out.case.state;
        r.advice = Some(out.advice.advised_outcome);
        r.advice_runs_trial = self.runs_trial(&out.advice);
        Ok(())
    }

    /// Records the screening decision over the policy's advice (the sergeant follows it) and
    /// re-plans if the advice differs from what the generator planned.
    async fn screen(&mut self, r: &mut Running) -> Result<(), AppError> {
        let custody = self.custody(r).clone();
        let out = self
            .app
            .record_screening_decision(
                &custody,
                r.case_id,
                r.version,
                ScreeningChoice::AcceptAdvice,
            )
            .await?;
        self.progress(r, out.version, out.state);
        let outcome = match out.state {
            CaseState::Eligible => ScreeningOutcome::Eligible,
            CaseState::Ineligible => ScreeningOutcome::Ineligible,
            _ => ScreeningOutcome::NeedsInformation,
        };
        r.screenings += 1;
        let mut branches = r.branches;
        if r.screenings >= 2 {
            branches.second_screen = Some(outcome);
        } else {
            branches.first_screen = outcome;
            if outcome != ScreeningOutcome::NeedsInformation {
                branches.second_screen = None;
            } else if branches.second_screen.is_none() && r.advice.is_some() {
                // Unplanned "needs information": the fact is supplied as the plan would have.
                branches.second_screen = r.case.planned_second_screen;
            }
        }
        branches.arm = arm_to_plan(
            outcome,
            r.advice_runs_trial && self.trial_running,
            branches.arm,
            r.case.synthetic_arm,
        );
        self.replan(r, branches);
        Ok(())
    }

    fn runs_trial(&self, advice: &checkpoint_app::screening::DecisionView) -> bool {
        self.app
            .policies()
            .get(&advice.policy_id, advice.policy_version)
            .is_some_and(|p| p.trial().enabled)
    }

    async fn assign(&mut self, r: &mut Running) -> Result<(), AppError> {
        let team = if r.case.index.is_multiple_of(2) {
            NORTH
        } else {
            SOUTH
        };
        let supervisor = self.staff.supervisor.clone();
        let assignment = Assignment::Auto {
            team: team.to_owned(),
        };
        let made = match self
            .app
            .assign_navigator(&supervisor, r.case_id, r.version, assignment.clone(), None)
            .await
        {
            Ok(made) => made,
            // Every navigator in the team is at the caseload limit: the supervisor overrides.
            Err(AppError::Invalid(_)) => {
                self.app
                    .assign_navigator(
                        &supervisor,
                        r.case_id,
                        r.version,
                        assignment,
                        Some(LimitOverride {
                            reason: "Demo volumes exceed the caseload limit.".to_owned(),
                        }),
                    )
                    .await?
            }
            Err(e) => return Err(e),
        };
        r.version = made.version;
        r.navigator = Some(made.navigator_id);
        Ok(())
    }
}

/// The arm a plan should carry after a screening: none unless the case is eligible under a
/// policy that runs a trial; then the planned arm, or (when the generator did not plan this
/// case as a trial case) a stand-in that the real allocation replaces.
pub(super) fn arm_to_plan(
    outcome: ScreeningOutcome,
    runs_trial: bool,
    planned: Option<checkpoint_domain::lifecycle::TrialArm>,
    synthetic: Option<checkpoint_domain::lifecycle::TrialArm>,
) -> Option<checkpoint_domain::lifecycle::TrialArm> {
    if outcome != ScreeningOutcome::Eligible || !runs_trial {
        return None;
    }
    planned
        .or(synthetic)
        .or(Some(checkpoint_domain::lifecycle::TrialArm::Treatment))
}
