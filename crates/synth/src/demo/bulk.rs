//! The bulk path: the rows the use cases would write for each generated case, computed in
//! memory and written with `checkpoint_store::bulk` (large multi-row INSERTs, one transaction
//! and one audit row per batch of cases). For databases of hundreds of thousands to millions of
//! cases, where playing every step through the use cases (~50 cases/s) would take days.
//!
//! What stays real:
//! - the staff accounts and the trial's set-up go through the use cases (`create_account`,
//!   `set_up_trial`), so passwords, the seed's audit row and the trial settings are the app's;
//! - every screening advice is the policy engine's evaluation of the referral, stored with the
//!   policy id, version and content hash and the referral snapshot it saw;
//! - every step is checked as its use case checks it — lifecycle transitions with
//!   [`next_state`], contract dates with [`plan_contract`], conditions against the policy's
//!   catalogue, the admission rule, the trial's allocation (the app's published permuted-block
//!   algorithm, [`super::allocation`]), least-loaded assignment with the caseload limit — and
//!   a case stops where its use case would have refused, as on the use-case path;
//! - events carry the kinds, states, reasons, policy labels and payloads the use cases write,
//!   so case pages, work lists and reports read bulk data exactly like played data.
//!
//! What differs, on purpose: instead of one audit row per act there is one per committed batch
//! (a *collection* by `system:synthetic-generator`, naming the seed, the case range and the row
//! counts), so `audit verify` checks an intact chain over the load; ids are UUID v7 built from
//! the seed and the row's historical instant (the same seed gives the same rows); navigator
//! loads are tracked in case order rather than strictly in time order.
//!
//! Generation runs on its own thread and hands finished batches to the writer through a
//! bounded channel, so planning batch *n+1* overlaps writing batch *n*.

use super::allocation::{self, Sequence, TrialSettings};
use super::staff::{self, NORTH, SOUTH, Staff};
use super::{DemoError, DemoSummary};
use crate::arrests::Arrest;
use crate::generator::{Config, Generator, SynthCase};
use crate::rng::{Rng, StreamKind};
use crate::time::{at, date_of, plus_days};
use crate::trajectory::{self, Branches, ReviewCause, Step, Trajectory};
use checkpoint_app::contracts::{DeadlineStatus, ParticipantSignature};
use checkpoint_app::reviews::ReviewTrigger;
use checkpoint_app::{Actor, App, Clock, PasswordCost, PolicyRegistry, Settings};
use checkpoint_domain::contract::{ConditionStatus, Pathway, ProposedCondition, check_conditions};
use checkpoint_domain::deadline::{add_months, plan_contract};
use checkpoint_domain::lifecycle::{
    CaseState, ScreeningOutcome, Transition, TransitionKind, TrialArm, next_state,
};
use checkpoint_domain::policy::{CriterionKind, Decision, Eligibility, Policy, Verdict};
use checkpoint_domain::referral::{InterviewOutcome, Referral};
use checkpoint_store::appointments::AppointmentRow;
use checkpoint_store::bulk::{self, Batch};
use checkpoint_store::cases::{CaseEventRow, CaseRow};
use checkpoint_store::contracts::{ConditionRow, ContractRow};
use checkpoint_store::decisions::DecisionRow;
use checkpoint_store::needs::{AssessmentItemRow, AssessmentRow};
use checkpoint_store::people::PersonRow;
use checkpoint_store::referrals::ReferralRow;
use checkpoint_store::screening::AdviceRow;
use checkpoint_store::trials::AllocationRow;
use checkpoint_store::{AuditAction, AuditEntry, Backend, CivilDate, Instant, audit, trials};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// The audit actor of a bulk load.
pub const GENERATOR_ACTOR: &str = "system:synthetic-generator";

/// Cases per committed batch (and per audit row).
pub const BATCH_CASES: u64 = 2_000;

/// Cases per navigator the bulk path staffs for: enough navigators that the open caseloads
/// of a large programme stay near the caseload limit (the use-case path keeps five and lets
/// the supervisor override the limit, which only suits demo sizes).
pub const CASES_PER_NAVIGATOR: u64 = 2_000;

/// How many navigators a bulk load of `cases` creates (at least the demo's five).
pub fn navigators_for(cases: u64) -> usize {
    usize::try_from(cases.div_ceil(CASES_PER_NAVIGATOR))
        .unwrap_or(usize::MAX)
        .max(5)
}

/// Writes `config`'s cases into the database behind `app` through the bulk path; with
/// `arrest_feed`, also returns their later arrests.
pub(crate) async fn run(
    app: &App,
    config: &Config,
    password: &str,
    arrest_feed: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(DemoSummary, Vec<Arrest>), DemoError> {
    let start = at(plus_days(config.first_referral, -1), 8, 0);
    let settings = Settings {
        password_cost: PasswordCost::Fast,
        ..app.settings().clone()
    };
    let demo_app = App::new(
        app.db().clone(),
        app.policies().clone(),
        Clock::manual(start),
        settings.clone(),
    );
    let mut staff = staff::create(&demo_app, password).await?;
    let extra = navigators_for(config.cases).saturating_sub(staff.navigators.len());
    staff::add_navigators(&demo_app, password, extra, &mut staff).await?;
    let mut summary = DemoSummary {
        created: true,
        logins: staff.logins.clone(),
        ..DemoSummary::default()
    };
    let trial = match config.trial {
        Some(design) => {
            if super::driver::set_up_trial(&demo_app, &staff, design.from, &mut summary).await? {
                Some(load_trial(app, crate::Scheme::Checkpoint.policy_id()).await?)
            } else {
                None
            }
        }
        None => None,
    };
    let mut tx = app.db().begin_read().await?;
    let counters = bulk::reference_counters(&mut tx, &settings.reference_prefix).await?;
    tx.rollback().await?;

    let planner = Planner {
        generator: Generator::new(config.clone()),
        policies: app.policies().clone(),
        prefix: settings.reference_prefix.clone(),
        limit: settings.caseload_limit,
        staff: BulkStaff::new(&staff),
        trial,
        counters,
        loads: HashMap::new(),
        people: vec![0; usize::try_from(config.cases.div_ceil(64)).unwrap_or(0)],
        summary,
        backend: app.db().backend(),
        arrests: arrest_feed.then(Vec::new),
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<PlannedBatch>(2);
    let producer = std::thread::spawn(move || planner.run(&sender));
    let mut done = 0;
    let mut batch_number = 0u64;
    while let Some(planned) = receiver.recv().await {
        batch_number += 1;
        let mut tx = app.db().begin().await?;
        let counts = bulk::write(&mut tx, planned.batch).await?;
        for (year, last) in &planned.counters {
            bulk::advance_reference_counter(&mut tx, &settings.reference_prefix, *year, *last)
                .await?;
        }
        if let Some(trial_id) = &planned.trial_id
            && planned.allocations > 0
        {
            bulk::add_trial_allocations(&mut tx, trial_id, planned.allocations).await?;
        }
        let rows: BTreeMap<&str, u64> = counts.0.clone();
        audit::append(
            &mut tx,
            AuditEntry::new(
                None,
                GENERATOR_ACTOR,
                AuditAction::Collection,
                "synthetic_data",
                format!("seed {} batch {batch_number}", config.seed),
            )
            .with_justification("synthetic demonstration data (checkpoint demo generate --bulk)")
            .with_details(serde_json::json!({
                "seed": config.seed,
                "batch": batch_number,
                "case_indices": [planned.first_index, planned.last_index],
                "references": [planned.first_reference, planned.last_reference],
                "rows": rows,
            })),
        )
        .await?;
        tx.commit().await?;
        done += planned.cases;
        progress(done);
    }
    // A million new rows would otherwise be planned as an empty table until autovacuum (or
    // nobody, on SQLite) measures them.
    app.db().refresh_statistics().await?;
    producer
        .join()
        .map_err(|_| DemoError::Generator("the generating thread panicked".to_owned()))
}

/// The trial as set up in the database: its seed and settings, and each stratum's count.
async fn load_trial(app: &App, trial_id: &str) -> Result<TrialState, DemoError> {
    let mut tx = app.db().begin_read().await?;
    let row = trials::trial(&mut tx, trial_id)
        .await?
        .ok_or_else(|| DemoError::Generator(format!("trial {trial_id} was not set up")))?;
    let counts = bulk::allocations_by_stratum(&mut tx, trial_id).await?;
    tx.rollback().await?;
    let settings: TrialSettings = serde_json::from_str(&row.settings_json)
        .map_err(|e| DemoError::Generator(format!("stored trial settings: {e}")))?;
    let seed = row
        .seed
        .parse()
        .map_err(|_| DemoError::Generator("stored trial seed is not a number".to_owned()))?;
    Ok(TrialState {
        trial_id: row.trial_id,
        seed_text: row.seed,
        seed,
        settings,
        counts: counts
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect(),
        sequences: HashMap::new(),
    })
}

/// A batch ready to write, with what its transaction must also record.
struct PlannedBatch {
    batch: Batch,
    cases: u64,
    first_index: u64,
    last_index: u64,
    first_reference: Option<String>,
    last_reference: Option<String>,
    /// The highest reference number issued per year so far.
    counters: BTreeMap<i64, i64>,
    trial_id: Option<String>,
    allocations: i64,
}

struct TrialState {
    trial_id: String,
    seed_text: String,
    seed: u64,
    settings: TrialSettings,
    counts: HashMap<String, u64>,
    sequences: HashMap<String, Sequence>,
}

/// Staff the steps act as.
struct BulkStaff {
    custody: Vec<Actor>,
    supervisor: Actor,
    /// Per team, by lower-cased username (the use case's tie-break).
    teams: BTreeMap<String, Vec<Actor>>,
}

impl BulkStaff {
    fn new(staff: &Staff) -> BulkStaff {
        let mut teams: BTreeMap<String, Vec<Actor>> = BTreeMap::new();
        for navigator in &staff.navigators {
            if let Some(team) = &navigator.team {
                teams
                    .entry(team.clone())
                    .or_default()
                    .push(navigator.clone());
            }
        }
        for members in teams.values_mut() {
            members.sort_by_key(|a| a.username.to_lowercase());
        }
        BulkStaff {
            custody: staff.custody.clone(),
            supervisor: staff.supervisor.clone(),
            teams,
        }
    }
}

/// Deterministic UUID v7s: the row's instant in the timestamp bits, the rest from a stream.
struct Ids(Rng);

impl Ids {
    fn at(&mut self, when: Timestamp) -> Uuid {
        let millis = u64::try_from(when.as_millisecond()).unwrap_or(0);
        let a = self.0.next_u64().to_be_bytes();
        let b = self.0.next_u64().to_be_bytes();
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b[..2]);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }
}

fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        other => panic!("a stored code must serialise to a string, got {other:?}"),
    }
}

fn json_text<T: Serialize>(value: &T) -> String {
    // The use cases store `serde_json::to_value(x)` printed, which orders object keys.
    serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn label(policy: &Policy) -> String {
    format!(
        "{} v{} {}",
        policy.id(),
        policy.version(),
        policy.content_hash()
    )
}

fn outcome_of(eligibility: Eligibility) -> ScreeningOutcome {
    match eligibility {
        Eligibility::Eligible => ScreeningOutcome::Eligible,
        Eligibility::Ineligible => ScreeningOutcome::Ineligible,
        Eligibility::NeedsInformation => ScreeningOutcome::NeedsInformation,
    }
}

fn outcome_name(outcome: ScreeningOutcome) -> &'static str {
    match outcome {
        ScreeningOutcome::Eligible => "eligible",
        ScreeningOutcome::Ineligible => "ineligible",
        ScreeningOutcome::NeedsInformation => "needs_information",
    }
}

/// Why a step's use case would have refused (the case stops there, as on the use-case path).
struct Refused(String);

type StepResult = Result<StepOutcome, Refused>;

enum StepOutcome {
    Done,
    /// The application has no use case for this step yet.
    Missing,
}

fn refuse<T>(message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(message.into()))
}

/// The advice a case is currently screened on.
struct CurrentAdvice {
    advice: usize,
    evaluation: Decision,
    /// The referral snapshot the advice was evaluated from.
    referral: Referral,
    decided: bool,
}

/// One case being played in memory: its rows so far and where it stands.
struct CaseSim {
    case: SynthCase,
    plan: Trajectory,
    branches: Branches,
    stop_after: usize,
    ids: Ids,
    person: Option<PersonRow>,
    person_id: Uuid,
    referrals: Vec<ReferralRow>,
    advice: Vec<AdviceRow>,
    current: Option<CurrentAdvice>,
    decisions: Vec<DecisionRow>,
    row: Option<CaseRow>,
    state: CaseState,
    events: Vec<CaseEventRow>,
    contract: Option<ContractRow>,
    conditions: Vec<ConditionRow>,
    assessment: Option<(AssessmentRow, Vec<AssessmentItemRow>)>,
    appointments: Vec<AppointmentRow>,
    appointment_by_number: HashMap<usize, usize>,
    allocation: Option<AllocationRow>,
    navigator: Option<Actor>,
    /// When the case left the programme's open states (it no longer counts in a caseload).
    left_programme: Option<Timestamp>,
    screenings: u8,
}

impl CaseSim {
    fn row(&mut self) -> &mut CaseRow {
        self.row.as_mut().expect("the case is open")
    }

    fn case_id(&self) -> Uuid {
        self.row.as_ref().map_or(Uuid::nil(), |r| r.id)
    }

    /// Appends an event; `to_state` moves the case. Every change bumps the version and stamps
    /// `updated_at`, as `checkpoint_store::cases` does.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        when: Timestamp,
        actor: Option<Uuid>,
        kind: &str,
        to_state: Option<CaseState>,
        reason: Option<&str>,
        policy_version: Option<String>,
        payload: serde_json::Value,
    ) {
        let now = Instant::from(when);
        let id = self.ids.at(when);
        let from = self.state;
        let was_open = from.is_on_programme();
        let row = self.row();
        row.version += 1;
        row.updated_at = now;
        if let Some(to) = to_state {
            row.state = to.as_str().to_owned();
        }
        let (case_id, sequence) = (row.id, row.version);
        self.events.push(CaseEventRow {
            id,
            case_id,
            sequence,
            actor_id: actor,
            occurred_at: now,
            kind: kind.to_owned(),
            from_state: Some(from.as_str().to_owned()),
            to_state: to_state.map(|s| s.as_str().to_owned()),
            reason: reason.map(str::to_owned),
            policy_version,
            payload_json: payload.to_string(),
        });
        if let Some(to) = to_state {
            self.state = to;
            if was_open && !to.is_on_programme() && self.left_programme.is_none() {
                self.left_programme = Some(when);
            }
        }
    }

    fn key_dates_payload(&self) -> serde_json::Value {
        let row = self.row.as_ref().expect("the case is open");
        let text = |d: Option<CivilDate>| d.map(|d| d.to_string());
        serde_json::json!({
            "offence_date": text(row.offence_date),
            "prosecution_deadline": text(row.prosecution_deadline),
            "contract_end": text(row.contract_end),
            "follow_up_until": text(row.follow_up_until),
            "retention_review_on": text(row.retention_review_on),
        })
    }

    /// `cases::set_key_dates`: a `key_dates_changed` event with no policy label.
    fn key_dates_changed(&mut self, when: Timestamp, actor: Uuid, reason: &str) {
        let payload = self.key_dates_payload();
        self.event(
            when,
            Some(actor),
            "key_dates_changed",
            None,
            Some(reason),
            None,
            payload,
        );
    }
}

/// The generating side: plans cases batch by batch and renders their rows.
struct Planner {
    generator: Generator,
    policies: PolicyRegistry,
    prefix: String,
    limit: u16,
    staff: BulkStaff,
    trial: Option<TrialState>,
    counters: BTreeMap<i64, i64>,
    /// Per navigator, when each of their open cases leaves the programme.
    loads: HashMap<Uuid, BinaryHeap<Reverse<Timestamp>>>,
    /// Bit per case index: whose person row has been written.
    people: Vec<u64>,
    summary: DemoSummary,
    backend: Backend,
    /// The arrest feed of the cases played, when asked for.
    arrests: Option<Vec<Arrest>>,
}

const NOTES_KEPT: usize = 8;

impl Planner {
    fn run(
        mut self,
        sender: &tokio::sync::mpsc::Sender<PlannedBatch>,
    ) -> (DemoSummary, Vec<Arrest>) {
        let total = self.generator.config().cases;
        let mut first = 0;
        while first < total {
            let last = (first + BATCH_CASES).min(total);
            let planned = self.plan_batch(first, last);
            if sender.blocking_send(planned).is_err() {
                break;
            }
            first = last;
        }
        self.summary.cases = total;
        (self.summary, self.arrests.unwrap_or_default())
    }

    fn plan_batch(&mut self, first: u64, last: u64) -> PlannedBatch {
        let mut cases: Vec<SynthCase> = (first..last).map(|i| self.generator.case(i)).collect();
        // References are issued in the order referrals reach the desk.
        cases.sort_by_key(|c| (c.referred_at, c.index));
        let mut batch = Batch::new(self.backend);
        let mut first_reference = None;
        let mut last_reference = None;
        let mut allocations = 0;
        for case in cases {
            let sim = self.play(case);
            if let Some(row) = &sim.row {
                first_reference.get_or_insert_with(|| row.reference.clone());
                last_reference = Some(row.reference.clone());
            }
            allocations += i64::from(sim.allocation.is_some());
            self.emit(sim, &mut batch);
        }
        PlannedBatch {
            batch,
            cases: last - first,
            first_index: first,
            last_index: last - 1,
            first_reference,
            last_reference,
            counters: self.counters.clone(),
            trial_id: self.trial.as_ref().map(|t| t.trial_id.clone()),
            allocations,
        }
    }

    fn policy_in_force(&self, scheme: &str, today: Date) -> Option<&Arc<Policy>> {
        self.policies
            .in_force(scheme, today)
            .or_else(|| self.policies.latest(scheme))
    }

    /// `App::policy_label`: the policy in force today for the scheme (else its newest).
    fn policy_label(&self, scheme: &str, today: Date) -> Option<String> {
        self.policy_in_force(scheme, today).map(|p| label(p))
    }

    fn runs_trial(&self, evaluation: &Decision) -> bool {
        self.policies
            .get(evaluation.policy_id(), evaluation.policy_version())
            .is_some_and(|p| p.trial().enabled)
    }

    /// The driver's `admit`: the plan, and where a recent case is left part-way.
    fn admit(&self, case: SynthCase) -> CaseSim {
        let config = self.generator.config();
        let mut branches = case.planned_branches();
        if self.trial.is_none() {
            branches.arm = None;
        }
        let plan = self.generator.plan_with(&case, branches);
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
        let ids = Ids(Rng::stream(config.seed, StreamKind::RowIds, case.index));
        CaseSim {
            case,
            plan,
            branches,
            stop_after,
            ids,
            person: None,
            person_id: Uuid::nil(),
            referrals: Vec::new(),
            advice: Vec::new(),
            current: None,
            decisions: Vec::new(),
            row: None,
            state: CaseState::Referred,
            events: Vec::new(),
            contract: None,
            conditions: Vec::new(),
            assessment: None,
            appointments: Vec::new(),
            appointment_by_number: HashMap::new(),
            allocation: None,
            navigator: None,
            left_programme: None,
            screenings: 0,
        }
    }

    /// Plays one case's steps in order, as the driver's queue would reach them.
    fn play(&mut self, case: SynthCase) -> CaseSim {
        let horizon = at(plus_days(self.generator.config().as_of, 1), 0, 0);
        let mut sim = self.admit(case);
        let mut when = sim.case.referred_at;
        let mut index = 0;
        while index < sim.plan.steps.len() {
            when = sim.plan.steps[index].at.max(when);
            if when >= horizon || index > sim.stop_after {
                break;
            }
            match self.step(&mut sim, index, when) {
                Ok(StepOutcome::Done) => {
                    self.summary.steps_run += 1;
                    index += 1;
                }
                Ok(StepOutcome::Missing) => {
                    *self
                        .summary
                        .missing_use_cases
                        .entry(sim.plan.steps[index].step.name())
                        .or_default() += 1;
                    break;
                }
                Err(Refused(message)) => {
                    self.summary.failed_cases += 1;
                    if self.summary.notes.len() < NOTES_KEPT {
                        self.summary.notes.push(format!(
                            "case {} stopped at {}: {message}",
                            sim.case.reference,
                            sim.plan.steps[index].step.name()
                        ));
                    }
                    break;
                }
            }
        }
        sim
    }

    fn custody(&self, sim: &CaseSim) -> Actor {
        self.staff.custody[(sim.case.index % self.staff.custody.len() as u64) as usize].clone()
    }

    fn navigator(&self, sim: &CaseSim) -> Actor {
        sim.navigator
            .clone()
            .unwrap_or_else(|| self.staff.supervisor.clone())
    }

    fn replan(&self, sim: &mut CaseSim, branches: Branches) {
        if branches != sim.branches {
            sim.branches = branches;
            sim.plan = self.generator.plan_with(&sim.case, branches);
        }
    }

    fn step(&mut self, sim: &mut CaseSim, index: usize, when: Timestamp) -> StepResult {
        let today = date_of(when);
        let step = sim.plan.steps[index].step.clone();
        match step {
            Step::Refer => self.refer(sim, when)?,
            Step::Screen { .. } => self.screen(sim, when)?,
            Step::SupplyInformation => self.rescreen(sim, when)?,
            Step::Allocate { .. } => self.allocate(sim, when)?,
            Step::Offer => {
                let custody = self.custody(sim);
                if let Some(current) = &sim.current
                    && self.runs_trial(&current.evaluation)
                    && sim.allocation.is_none()
                {
                    return refuse(
                        "this scheme is running a randomised trial: allocate the case before \
                         offering",
                    );
                }
                self.transition(
                    sim,
                    when,
                    &custody,
                    Transition::Offer,
                    None,
                    serde_json::json!({ "offered_on": today.to_string() }),
                )?;
            }
            Step::Accept => self.accept(sim, when)?,
            Step::Decline => {
                let custody = self.custody(sim);
                self.transition(
                    sim,
                    when,
                    &custody,
                    Transition::Decline,
                    Some("Chose the usual process (synthetic demo case)."),
                    serde_json::json!({ "answer": "declined" }),
                )?;
                self.follow_up_window(sim, when, &custody, "offer declined");
            }
            Step::AssignNavigator => self.assign(sim, when)?,
            Step::AssessNeeds => self.assess_needs(sim, when)?,
            Step::WriteContract => self.write_contract(sim, when)?,
            Step::SignContract => self.sign_contract(sim, when)?,
            Step::StartContract => {
                let navigator = self.navigator(sim);
                let Some(contract) = &sim.contract else {
                    return refuse(format!("{} cannot start", sim.state.as_str()));
                };
                if today < contract.start_date.get() {
                    return refuse(format!("the contract starts on {}", contract.start_date));
                }
                if today > contract.end_date.get() {
                    return refuse(format!(
                        "the contract was to end on {}; it can no longer start",
                        contract.end_date
                    ));
                }
                let payload =
                    serde_json::json!({ "contract_id": contract.id, "started_on": today });
                self.transition(sim, when, &navigator, Transition::Start, None, payload)?;
            }
            Step::ScheduleAppointment { number, planned_at } => {
                if !sim.state.is_on_programme() {
                    return refuse(format!(
                        "the case is {}; appointments and contact are for participants on the \
                         programme",
                        sim.state.label().to_lowercase()
                    ));
                }
                let now = Instant::from(when);
                sim.appointments.push(AppointmentRow {
                    id: sim.ids.at(when),
                    case_id: sim.case_id(),
                    planned_at: Instant::from(planned_at),
                    purpose: if number == 0 {
                        "First meeting with the navigator".to_owned()
                    } else {
                        "Progress meeting".to_owned()
                    },
                    location: Some("Ridgedale Checkpoint office".to_owned()),
                    attendance: None,
                    missed_reason: None,
                    notes: None,
                    recorded_by: None,
                    recorded_at: None,
                    created_at: now,
                });
                sim.appointment_by_number
                    .insert(number, sim.appointments.len() - 1);
            }
            Step::RecordAttendance {
                number,
                attendance,
                reason,
            } => self.record_attendance(sim, when, number, attendance, reason)?,
            Step::OpenReview { cause } => {
                if sim.state != CaseState::NonComplianceReview {
                    let trigger = match cause {
                        ReviewCause::NewOffence => ReviewTrigger::NewArrest {
                            arrest_ref: format!("{}-arrest", sim.case.reference),
                            date: today,
                        },
                        ReviewCause::MissedAppointments => {
                            ReviewTrigger::Other("Missed appointments".to_owned())
                        }
                    };
                    let supervisor = self.staff.supervisor.clone();
                    self.open_review(sim, when, &supervisor, &trigger)?;
                }
            }
            Step::DecideReview { resume } => {
                let supervisor = self.staff.supervisor.clone();
                if resume {
                    self.transition(
                        sim,
                        when,
                        &supervisor,
                        Transition::Resume,
                        Some("A reasonable excuse was given (synthetic demo case)."),
                        serde_json::json!({ "reasonable_excuse": true }),
                    )?;
                } else {
                    self.transition(
                        sim,
                        when,
                        &supervisor,
                        Transition::Fail,
                        Some("No reasonable excuse (synthetic demo case)."),
                        serde_json::json!({ "reasonable_excuse": false }),
                    )?;
                    self.refer_or_expire(sim, when, &supervisor)?;
                }
            }
            Step::Withdraw => {
                let navigator = self.navigator(sim);
                self.transition(
                    sim,
                    when,
                    &navigator,
                    Transition::Withdraw,
                    Some("The participant withdrew (synthetic demo case)."),
                    serde_json::json!({}),
                )?;
                self.refer_or_expire(sim, when, &navigator)?;
            }
            Step::ReferForProsecution | Step::ExpireTimeLimit => {}
            Step::Complete => self.complete(sim, when)?,
            Step::BeginFollowUp => {
                if sim.state != CaseState::FollowUp {
                    return Ok(StepOutcome::Missing);
                }
            }
            Step::BeginRetentionReview | Step::Dispose => return Ok(StepOutcome::Missing),
        }
        Ok(StepOutcome::Done)
    }

    /// `App::apply_transition`: the lifecycle's next state, the event with the policy label.
    fn transition(
        &self,
        sim: &mut CaseSim,
        when: Timestamp,
        actor: &Actor,
        transition: Transition,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<CaseState, Refused> {
        let to = next_state(sim.state, transition).map_err(|e| Refused(e.to_string()))?;
        let policy = self.policy_label(&sim.row().scheme_id.clone(), date_of(when));
        sim.event(
            when,
            Some(actor.user_id),
            transition.kind().as_str(),
            Some(to),
            reason,
            policy,
            payload,
        );
        Ok(to)
    }

    /// `App::note_case_event`: an event that leaves the state alone, with the policy label.
    fn note(
        &self,
        sim: &mut CaseSim,
        when: Timestamp,
        actor: &Actor,
        kind: &str,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) {
        let policy = self.policy_label(&sim.row().scheme_id.clone(), date_of(when));
        sim.event(
            when,
            Some(actor.user_id),
            kind,
            None,
            reason,
            policy,
            payload,
        );
    }

    fn refer(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let custody = self.custody(sim);
        let scheme_id = sim.case.scheme.policy_id();
        let mut referral = sim.case.referral.clone();
        referral.referral_date = today;
        if let Err(e) = referral.validate() {
            return refuse(format!("referral.{}: {}", e.path, e.message));
        }
        let Some(policy) = self.policies.in_force(scheme_id, today).cloned() else {
            return refuse(format!(
                "no policy of scheme {scheme_id:?} is in force on {today}"
            ));
        };
        let now = Instant::from(when);
        // The person: known from an earlier case (whose root case wrote the row), or new.
        let root = root_index(&sim.case);
        let known = self.person_written(root);
        let person_id = person_uuid(
            self.generator.config().seed,
            root,
            self.generator.referred_at(root),
        );
        if !known {
            let p = &referral.person;
            sim.person = Some(PersonRow {
                id: person_id,
                given_name: p.given_name.clone(),
                family_name: p.family_name.clone(),
                date_of_birth: CivilDate(p.date_of_birth),
                sex: code(&p.sex),
                ethnicity_self_defined: p.ethnicity_self_defined.as_ref().map(code),
                ethnicity_officer_observed: p.ethnicity_officer_observed.as_ref().map(code),
                postcode: p.postcode.clone(),
                pnc_id: p.pnc_id.clone(),
                resides_in_force_area: p.resides_in_force_area,
                created_at: now,
            });
            self.mark_person(root);
        }
        sim.person_id = person_id;
        let referral_row = ReferralRow {
            id: sim.ids.at(when),
            person_id,
            scheme_id: scheme_id.to_owned(),
            policy_id: policy.id().to_owned(),
            input_json: json_text(&referral),
            referred_by: Some(custody.user_id),
            received_at: now,
        };
        let evaluation = policy.evaluate(&referral);
        let year = i64::from(today.year());
        let number = self.counters.entry(year).or_insert(0);
        *number += 1;
        let reference = format!("{}-{year}-{:06}", self.prefix, *number);
        let case_id = sim.ids.at(when);
        sim.row = Some(CaseRow {
            id: case_id,
            reference,
            person_id,
            referral_id: Some(referral_row.id),
            scheme_id: scheme_id.to_owned(),
            state: CaseState::Referred.as_str().to_owned(),
            version: 1,
            navigator_id: None,
            team: None,
            opened_at: now,
            updated_at: now,
            offence_date: Some(CivilDate(referral.offence.offence_date)),
            prosecution_deadline: evaluation.contract().prosecution_deadline.map(CivilDate),
            contract_end: None,
            follow_up_until: None,
            retention_review_on: None,
        });
        sim.events.push(CaseEventRow {
            id: sim.ids.at(when),
            case_id,
            sequence: 1,
            actor_id: Some(custody.user_id),
            occurred_at: now,
            kind: "opened".to_owned(),
            from_state: None,
            to_state: Some(CaseState::Referred.as_str().to_owned()),
            reason: None,
            policy_version: Some(label(&policy)),
            payload_json: serde_json::json!({
                "referral_id": referral_row.id,
                "advised_outcome": evaluation.outcome().as_str(),
            })
            .to_string(),
        });
        sim.state = CaseState::Referred;
        self.store_advice(sim, when, &custody, referral_row, referral, evaluation);
        Ok(())
    }

    /// A referral snapshot and the advice evaluated from it become the case's current advice.
    fn store_advice(
        &self,
        sim: &mut CaseSim,
        when: Timestamp,
        actor: &Actor,
        referral_row: ReferralRow,
        referral: Referral,
        evaluation: Decision,
    ) {
        let advice = AdviceRow {
            id: sim.ids.at(when),
            case_id: sim.case_id(),
            referral_id: referral_row.id,
            policy_id: evaluation.policy_id().to_owned(),
            policy_version: evaluation.policy_version().to_string(),
            policy_hash: evaluation.content_hash().to_owned(),
            advised_outcome: evaluation.outcome().as_str().to_owned(),
            evaluation_json: json_text(&evaluation),
            created_by: Some(actor.user_id),
            created_at: Instant::from(when),
        };
        sim.referrals.push(referral_row);
        sim.advice.push(advice);
        sim.current = Some(CurrentAdvice {
            advice: sim.advice.len() - 1,
            evaluation,
            referral,
            decided: false,
        });
    }

    fn screen(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let custody = self.custody(sim);
        if !sim.state.allowed().contains(&TransitionKind::Screen) {
            return refuse(format!("{} cannot be screened", sim.state.as_str()));
        }
        let Some(current) = sim.current.as_mut() else {
            return refuse("case has no screening advice");
        };
        if current.decided {
            return refuse("this advice has already been decided");
        }
        current.decided = true;
        let outcome = outcome_of(current.evaluation.outcome());
        let advice = &sim.advice[current.advice];
        let decision = DecisionRow {
            id: sim.ids.at(when),
            referral_id: advice.referral_id,
            policy_id: advice.policy_id.clone(),
            policy_version: current.evaluation.policy_version().to_string(),
            policy_hash: advice.policy_hash.clone(),
            advised_outcome: advice.advised_outcome.clone(),
            outcome: outcome_name(outcome).to_owned(),
            evaluation_json: advice.evaluation_json.clone(),
            decided_by: custody.user_id,
            decided_at: Instant::from(when),
            follows_advice: true,
            override_code: None,
            override_reason: None,
        };
        let payload = serde_json::json!({
            "decision_id": decision.id,
            "advised_outcome": decision.advised_outcome,
            "outcome": outcome_name(outcome),
            "follows_advice": true,
            "override_code": null,
            "unmet_criteria": current
                .evaluation
                .criteria()
                .filter(|c| c.verdict == Verdict::NotMet)
                .map(|c| c.criterion.id.as_str())
                .collect::<Vec<_>>(),
        });
        sim.decisions.push(decision);
        let state = self.transition(
            sim,
            when,
            &custody,
            Transition::Screen { outcome },
            None,
            payload,
        )?;
        // The driver's re-planning after the answer.
        let outcome = match state {
            CaseState::Eligible => ScreeningOutcome::Eligible,
            CaseState::Ineligible => ScreeningOutcome::Ineligible,
            _ => ScreeningOutcome::NeedsInformation,
        };
        sim.screenings += 1;
        let mut branches = sim.branches;
        if sim.screenings >= 2 {
            branches.second_screen = Some(outcome);
        } else {
            branches.first_screen = outcome;
            if outcome != ScreeningOutcome::NeedsInformation {
                branches.second_screen = None;
            } else if branches.second_screen.is_none() {
                branches.second_screen = sim.case.planned_second_screen;
            }
        }
        let runs_trial = sim
            .current
            .as_ref()
            .is_some_and(|c| self.runs_trial(&c.evaluation));
        branches.arm = super::driver::arm_to_plan(
            outcome,
            runs_trial && self.trial.is_some(),
            branches.arm,
            sim.case.synthetic_arm,
        );
        self.replan(sim, branches);
        Ok(())
    }

    fn rescreen(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let custody = self.custody(sim);
        if !sim.state.allowed().contains(&TransitionKind::Screen) {
            return refuse(format!("{} cannot be screened", sim.state.as_str()));
        }
        let mut referral = sim.case.completed_referral();
        referral.referral_date = today;
        if let Err(e) = referral.validate() {
            return refuse(format!("referral.{}: {}", e.path, e.message));
        }
        let scheme_id = sim.row().scheme_id.clone();
        let Some(policy) = self.policies.in_force(&scheme_id, today).cloned() else {
            return refuse(format!(
                "no policy of scheme {scheme_id:?} is in force on {today}"
            ));
        };
        let referral_row = ReferralRow {
            id: sim.ids.at(when),
            person_id: sim.person_id,
            scheme_id: scheme_id.clone(),
            policy_id: policy.id().to_owned(),
            input_json: json_text(&referral),
            referred_by: Some(custody.user_id),
            received_at: Instant::from(when),
        };
        let evaluation = policy.evaluate(&referral);
        let planned_offence = Some(CivilDate(referral.offence.offence_date));
        let planned_deadline = evaluation.contract().prosecution_deadline.map(CivilDate);
        self.store_advice(sim, when, &custody, referral_row, referral, evaluation);
        let advice = sim.advice.last().expect("just stored");
        let payload = serde_json::json!({
            "advice_id": advice.id,
            "advised_outcome": advice.advised_outcome,
        });
        sim.event(
            when,
            Some(custody.user_id),
            "rescreened",
            None,
            None,
            Some(label(&policy)),
            payload,
        );
        let row = sim.row();
        if (row.offence_date, row.prosecution_deadline) != (planned_offence, planned_deadline) {
            row.offence_date = planned_offence;
            row.prosecution_deadline = planned_deadline;
            sim.key_dates_changed(
                when,
                custody.user_id,
                "re-screened with corrected offence details",
            );
        }
        Ok(())
    }

    fn allocate(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let custody = self.custody(sim);
        next_state(
            sim.state,
            Transition::Allocate {
                arm: TrialArm::Treatment,
            },
        )
        .map_err(|e| Refused(e.to_string()))?;
        let Some(current) = &sim.current else {
            return refuse("case has no screening advice");
        };
        if !self.runs_trial(&current.evaluation) {
            return refuse("this case was screened under a policy that does not run a trial");
        }
        if sim.allocation.is_some() {
            return refuse("this case is already allocated; allocations never change");
        }
        let Some(trial) = self.trial.as_mut() else {
            return refuse("no trial is set up for this scheme");
        };
        let stratum = allocation::stratum_of(&trial.settings.strata, &current.referral);
        let count = trial.counts.entry(stratum.clone()).or_insert(0);
        let index = *count;
        *count += 1;
        let (seed, trial_id) = (trial.seed, trial.trial_id.clone());
        let sequence = trial
            .sequences
            .entry(stratum.clone())
            .or_insert_with(|| Sequence::new(seed, &trial_id, &stratum, &trial.settings));
        let slot = sequence.slot(index);
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sim.allocation = Some(AllocationRow {
            id: sim.ids.at(when),
            case_id: sim.case_id(),
            trial_id: trial_id.clone(),
            stratum,
            block_number: as_i64(slot.block_number),
            position_in_block: as_i64(slot.position),
            arm: slot.arm.as_str().to_owned(),
            seed: trial.seed_text.clone(),
            allocated_by: Some(custody.user_id),
            allocated_at: Instant::from(when),
        });
        self.transition(
            sim,
            when,
            &custody,
            Transition::Allocate { arm: slot.arm },
            None,
            serde_json::json!({ "trial_id": trial_id, "arm": slot.arm.as_str() }),
        )?;
        if slot.arm == TrialArm::Control {
            self.follow_up_window(sim, when, &custody, "allocated to control");
        }
        let branches = Branches {
            arm: Some(slot.arm),
            ..sim.branches
        };
        self.replan(sim, branches);
        Ok(())
    }

    fn accept(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let custody = self.custody(sim);
        next_state(sim.state, Transition::Accept).map_err(|e| Refused(e.to_string()))?;
        let (admission, admission_name) = match sim.case.referral.interview {
            Some(InterviewOutcome::NoReply) => (Admission::NoReply, "no_reply_in_interview"),
            _ => (Admission::Admitted, "admitted_in_interview"),
        };
        let Some(current) = &sim.current else {
            return refuse("case has no screening advice");
        };
        let referred = current.evaluation.referral_date();
        if today < referred {
            return refuse(format!(
                "signed_on must be between {referred} (the referral) and {today} (today)"
            ));
        }
        let rule = current
            .evaluation
            .criteria()
            .find(|c| c.criterion.kind == CriterionKind::InterviewOutcome)
            .map(|c| c.verdict);
        let interview = current.referral.interview;
        check_admission(admission, rule, interview)?;
        let payload = serde_json::json!({
            "answer": "accepted",
            "admission": admission_name,
            "interview": interview.map(InterviewOutcome::as_str),
            "signed_on": today.to_string(),
        });
        self.transition(sim, when, &custody, Transition::Accept, None, payload)?;
        Ok(())
    }

    /// Evicts the cases that have left the programme by `when` and returns the open count.
    fn load_at(&mut self, navigator: Uuid, when: Timestamp) -> usize {
        let heap = self.loads.entry(navigator).or_default();
        while heap.peek().is_some_and(|Reverse(t)| *t <= when) {
            heap.pop();
        }
        heap.len()
    }

    fn assign(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        if sim.state.is_closed() {
            return refuse(format!(
                "a case that is {} has no navigator to assign",
                sim.state.label().to_lowercase()
            ));
        }
        let team = if sim.case.index.is_multiple_of(2) {
            NORTH
        } else {
            SOUTH
        };
        let candidates = self.staff.teams.get(team).cloned().unwrap_or_default();
        if candidates.is_empty() {
            return refuse(format!("team {team:?} has no enabled navigators"));
        }
        let limit = usize::from(self.limit);
        let loads: Vec<usize> = candidates
            .iter()
            .map(|c| self.load_at(c.user_id, when))
            .collect();
        // Least loaded under the limit; when everyone is at it, the supervisor overrides and
        // the least loaded of all takes the case (as the driver does).
        let pick = |may_exceed: bool| {
            (0..candidates.len())
                .filter(|i| may_exceed || loads[*i] < limit)
                .min_by_key(|i| loads[*i])
        };
        let (chosen, overridden) = match pick(false) {
            Some(i) => (i, false),
            None => (pick(true).expect("candidates are not empty"), true),
        };
        let navigator = candidates[chosen].clone();
        let open_after = loads[chosen] + usize::from(sim.state.is_on_programme());
        let over = open_after > limit;
        let override_reason =
            (overridden && over).then_some("Demo volumes exceed the caseload limit.");
        let mut payload = serde_json::json!({
            "navigator_id": navigator.user_id,
            "team": navigator.team,
        });
        if let Some(object) = payload.as_object_mut() {
            object.insert("open_cases".to_owned(), open_after.into());
            object.insert("limit".to_owned(), self.limit.into());
            object.insert("over_limit".to_owned(), over.into());
            object.insert("override_reason".to_owned(), override_reason.into());
        }
        let row = sim.row();
        row.navigator_id = Some(navigator.user_id);
        row.team = navigator.team.clone();
        sim.event(
            when,
            Some(self.staff.supervisor.user_id),
            "assigned",
            None,
            override_reason,
            None,
            payload,
        );
        sim.navigator = Some(navigator);
        Ok(())
    }

    fn assess_needs(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let navigator = self.navigator(sim);
        let reassessment = sim.state != CaseState::Accepted;
        let payload = serde_json::json!({
            "reassessment": reassessment,
            "pathways": Pathway::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        });
        self.transition(
            sim,
            when,
            &navigator,
            Transition::AssessNeeds,
            None,
            payload,
        )?;
        let assessment = AssessmentRow {
            id: sim.ids.at(when),
            case_id: sim.case_id(),
            assessed_by: Some(navigator.user_id),
            assessed_at: Instant::from(when),
            notes: None,
        };
        let items = Pathway::ALL
            .into_iter()
            .map(|pathway| AssessmentItemRow {
                assessment_id: assessment.id,
                pathway: pathway.as_str().to_owned(),
                severity: match sim.plan.needs.iter().find(|n| n.pathway == pathway) {
                    None => "none",
                    Some(n) => match n.severity {
                        trajectory::Severity::Low => "low",
                        trajectory::Severity::Medium => "medium",
                        trajectory::Severity::High => "high",
                    },
                }
                .to_owned(),
                notes: None,
            })
            .collect();
        sim.assessment = Some((assessment, items));
        Ok(())
    }

    fn write_contract(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let navigator = self.navigator(sim);
        if sim.state != CaseState::NeedsAssessed {
            return refuse(format!(
                "{} cannot have a contract drafted",
                sim.state.as_str()
            ));
        }
        let Some(policy) = self
            .policy_in_force(&sim.row().scheme_id.clone(), today)
            .cloned()
        else {
            return refuse("no policy is loaded for the scheme");
        };
        let proposed: Vec<ProposedCondition> = sim
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
        let deadline = sim.row().prosecution_deadline.map(CivilDate::get);
        let rule = policy.deadline_rule();
        let dates = plan_contract(today, policy.contract_length(), deadline, rule);
        if dates.too_short {
            return refuse(format!(
                "the contract would run {} days, less than the scheme's minimum of {}",
                dates.length_days.max(0),
                rule.minimum_contract_days
            ));
        }
        if let Err(problems) = check_conditions(policy.catalogue(), &proposed, &dates) {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return refuse(text.join("; "));
        }
        let now = Instant::from(when);
        let contract = ContractRow {
            id: sim.ids.at(when),
            case_id: sim.case_id(),
            version: 1,
            start_date: CivilDate(dates.start),
            end_date: CivilDate(dates.end),
            signed_on: None,
            variation_reason: None,
            created_by: Some(navigator.user_id),
            created_at: now,
        };
        for (i, p) in proposed.iter().enumerate() {
            let kind = policy.catalogue().get(&p.condition);
            sim.conditions.push(ConditionRow {
                id: sim.ids.at(when),
                contract_id: contract.id,
                position: i64::try_from(i).unwrap_or(0) + 1,
                condition_type: p.condition.clone(),
                description: kind.map_or_else(|| p.condition.clone(), |k| k.text.clone()),
                pathway: kind.and_then(|k| k.pathway).map(|p| p.as_str().to_owned()),
                hours: p.hours.map(i64::from),
                due_date: None,
                status: ConditionStatus::NotStarted.as_str().to_owned(),
            });
        }
        let payload = serde_json::json!({
            "contract_id": contract.id,
            "contract_version": contract.version,
            "start": dates.start,
            "end": dates.end,
            "clamped": dates.clamped,
        });
        sim.contract = Some(contract);
        self.note(sim, when, &navigator, "contract_drafted", None, payload);
        Ok(())
    }

    fn sign_contract(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let navigator = self.navigator(sim);
        let Some(draft) = &sim.contract else {
            return refuse("write the contract first");
        };
        if draft.signed_on.is_some() {
            return refuse("this contract is already signed");
        }
        if today > draft.start_date.get() {
            return refuse(format!(
                "the contract was to start on {}; redraft it with a new start date",
                draft.start_date
            ));
        }
        let signature = ParticipantSignature::OnScreen {
            typed_name: format!(
                "{} {}",
                sim.case.person.given_name, sim.case.person.family_name
            ),
        };
        let payload = serde_json::json!({
            "contract_id": draft.id,
            "contract_version": draft.version,
            "signed_on": today,
            "participant_signature": signature,
            "witnessed_by": navigator.username,
        });
        let end = draft.end_date;
        self.transition(
            sim,
            when,
            &navigator,
            Transition::SignContract,
            None,
            payload,
        )?;
        if let Some(contract) = sim.contract.as_mut() {
            contract.signed_on = Some(CivilDate(today));
        }
        sim.row().contract_end = Some(end);
        sim.key_dates_changed(when, navigator.user_id, "contract signed");
        Ok(())
    }

    fn record_attendance(
        &mut self,
        sim: &mut CaseSim,
        when: Timestamp,
        number: usize,
        attendance: trajectory::Attendance,
        reason: Option<trajectory::MissedReason>,
    ) -> Result<(), Refused> {
        let navigator = self.navigator(sim);
        let Some(&at_index) = sim.appointment_by_number.get(&number) else {
            return refuse("appointment not scheduled");
        };
        let appointment = &mut sim.appointments[at_index];
        if appointment.attendance.is_some() {
            return refuse("attendance is already recorded for this appointment");
        }
        if appointment.planned_at.get() > when {
            return refuse("the appointment has not happened yet");
        }
        let (stored, missed, note) = match attendance {
            trajectory::Attendance::Attended => ("attended", None, None),
            trajectory::Attendance::Late => ("late", None, None),
            trajectory::Attendance::DidNotAttend => (
                "did_not_attend",
                Some(match reason {
                    Some(trajectory::MissedReason::Unacceptable) => "unacceptable",
                    Some(trajectory::MissedReason::Logistical) => "logistical",
                    _ => "acceptable",
                }),
                Some("Recorded by the navigator (synthetic demo case)."),
            ),
        };
        appointment.attendance = Some(stored.to_owned());
        appointment.missed_reason = missed.map(str::to_owned);
        appointment.notes = note.map(str::to_owned);
        appointment.recorded_by = Some(navigator.user_id);
        appointment.recorded_at = Some(Instant::from(when));
        let id = appointment.id;
        if missed == Some("unacceptable") && sim.state == CaseState::Active {
            self.open_review(
                sim,
                when,
                &navigator,
                &ReviewTrigger::UnacceptableAbsence(id),
            )?;
        }
        Ok(())
    }

    fn open_review(
        &self,
        sim: &mut CaseSim,
        when: Timestamp,
        actor: &Actor,
        trigger: &ReviewTrigger,
    ) -> Result<(), Refused> {
        let payload = serde_json::json!({ "trigger": trigger, "opened_on": date_of(when) });
        self.transition(sim, when, actor, Transition::OpenReview, None, payload)?;
        Ok(())
    }

    /// `App::refer_or_expire` after a failure or withdrawal, then the follow-up window.
    fn refer_or_expire(
        &self,
        sim: &mut CaseSim,
        when: Timestamp,
        actor: &Actor,
    ) -> Result<(), Refused> {
        let today = date_of(when);
        let Some(policy) = self
            .policy_in_force(&sim.row().scheme_id.clone(), today)
            .cloned()
        else {
            return refuse("no policy is loaded for the scheme");
        };
        let deadline =
            DeadlineStatus::new(sim.row().prosecution_deadline.map(CivilDate::get), today);
        let expired = deadline.has_passed();
        let (transition, code) = if expired {
            (
                Transition::ExpireTimeLimit,
                policy.outcomes().time_limit_expired,
            )
        } else {
            (
                Transition::ReferForProsecution,
                policy.outcomes().on_failure,
            )
        };
        let payload = serde_json::json!({
            "outcome_code": code.get(),
            "prosecution_deadline": deadline.deadline,
            "days_remaining": deadline.days_remaining,
        });
        self.transition(sim, when, actor, transition, Some(&deadline.words), payload)?;
        self.follow_up_window(sim, when, actor, "case closed without completion");
        Ok(())
    }

    /// `App::open_follow_up_window`: follow-up from the index date to the policy's longest
    /// window, and a retention review no earlier than that.
    fn follow_up_window(&self, sim: &mut CaseSim, when: Timestamp, actor: &Actor, reason: &str) {
        let today = date_of(when);
        let Some(policy) = self
            .policy_in_force(&sim.row().scheme_id.clone(), today)
            .cloned()
        else {
            return;
        };
        let index = sim.contract.as_ref().map_or(today, |c| c.start_date.get());
        let months = policy.follow_up_months().iter().copied().max().unwrap_or(0);
        let follow_up_until = add_months(index, i32::from(months));
        let retention_review_on =
            add_months(today, i32::from(policy.retention().review_after_months))
                .max(follow_up_until);
        let row = sim.row();
        row.follow_up_until = Some(CivilDate(follow_up_until));
        row.retention_review_on = Some(CivilDate(retention_review_on));
        sim.key_dates_changed(when, actor.user_id, reason);
    }

    fn complete(&mut self, sim: &mut CaseSim, when: Timestamp) -> Result<(), Refused> {
        let today = date_of(when);
        let navigator = self.navigator(sim);
        if !matches!(
            sim.state,
            CaseState::Active | CaseState::NonComplianceReview
        ) {
            return refuse(format!(
                "conditions are updated while the contract runs; the case is {}",
                sim.state.label().to_lowercase()
            ));
        }
        for i in 0..sim.conditions.len() {
            let condition = &mut sim.conditions[i];
            let before = condition.status.clone();
            condition.status = ConditionStatus::Completed.as_str().to_owned();
            let payload = serde_json::json!({
                "condition_id": condition.id,
                "condition_type": condition.condition_type,
                "from": before,
                "to": ConditionStatus::Completed.as_str(),
            });
            self.note(
                sim,
                when,
                &navigator,
                "condition_status_changed",
                Some("Done (synthetic demo case)."),
                payload,
            );
        }
        next_state(sim.state, Transition::Complete).map_err(|e| Refused(e.to_string()))?;
        let Some(contract_id) = sim.contract.as_ref().map(|c| c.id) else {
            return refuse("the case has no contract");
        };
        let Some(policy) = self
            .policy_in_force(&sim.row().scheme_id.clone(), today)
            .cloned()
        else {
            return refuse("no policy is loaded for the scheme");
        };
        self.transition(
            sim,
            when,
            &navigator,
            Transition::Complete,
            None,
            serde_json::json!({
                "outcome_code": policy.outcomes().on_completion.get(),
                "contract_id": contract_id,
            }),
        )?;
        self.transition(
            sim,
            when,
            &navigator,
            Transition::BeginFollowUp,
            None,
            serde_json::json!({ "follow_up_months": policy.follow_up_months() }),
        )?;
        self.follow_up_window(sim, when, &navigator, "case completed");
        Ok(())
    }

    fn person_written(&self, index: u64) -> bool {
        let (word, bit) = ((index / 64) as usize, index % 64);
        self.people.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn mark_person(&mut self, index: u64) {
        let (word, bit) = ((index / 64) as usize, index % 64);
        if let Some(w) = self.people.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    /// Renders a played case's rows into the batch and books its navigator's caseload.
    fn emit(&mut self, sim: CaseSim, batch: &mut Batch) {
        if let Some(arrests) = self.arrests.as_mut() {
            arrests.extend(super::case_arrests(&self.generator, &sim.case, &sim.plan));
        }
        if let Some(person) = &sim.person {
            batch.person(person);
        }
        let Some(row) = &sim.row else {
            return;
        };
        *self.summary.states.entry(sim.state).or_default() += 1;
        if let Some(navigator) = &sim.navigator {
            let leaves = sim.left_programme.unwrap_or(Timestamp::MAX);
            self.loads
                .entry(navigator.user_id)
                .or_default()
                .push(Reverse(leaves));
        }
        for referral in &sim.referrals {
            batch.referral(referral);
        }
        batch.case(row);
        for event in &sim.events {
            batch.event(event);
        }
        for advice in &sim.advice {
            batch.advice(advice);
        }
        for decision in &sim.decisions {
            batch.decision(decision);
        }
        if let Some(contract) = &sim.contract {
            batch.contract(contract);
            for condition in &sim.conditions {
                batch.condition(condition);
            }
        }
        if let Some((assessment, items)) = &sim.assessment {
            batch.assessment(assessment);
            for item in items {
                batch.assessment_item(item);
            }
        }
        for appointment in &sim.appointments {
            batch.appointment(appointment);
        }
        if let Some(allocation) = &sim.allocation {
            batch.allocation(allocation);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    Admitted,
    NoReply,
}

/// The app's admission rule (`offers::check_admission`) for the two answers the driver gives.
fn check_admission(
    admission: Admission,
    rule: Option<Verdict>,
    interview: Option<InterviewOutcome>,
) -> Result<(), Refused> {
    let Some(verdict) = rule.filter(|v| *v != Verdict::NotApplicable) else {
        return Ok(());
    };
    let recorded = interview.map_or("not recorded", InterviewOutcome::as_str);
    match admission {
        Admission::Admitted if interview == Some(InterviewOutcome::Admitted) => Ok(()),
        Admission::Admitted => refuse(format!(
            "the referral records the interview as {recorded}; record an admission with the \
             consent instead"
        )),
        Admission::NoReply
            if interview == Some(InterviewOutcome::NoReply) && verdict == Verdict::Met =>
        {
            Ok(())
        }
        Admission::NoReply => refuse(format!(
            "the policy does not accept this on the interview record ({recorded})"
        )),
    }
}

/// The case that brought this case's person in (`P0000042` → 42).
fn root_index(case: &SynthCase) -> u64 {
    case.person
        .id
        .strip_prefix('P')
        .and_then(|n| n.parse().ok())
        .unwrap_or(case.index)
}

/// The person's id: a UUID v7 at their first referral, from the seed and that case's index.
fn person_uuid(seed: u64, root: u64, first_referred: Timestamp) -> Uuid {
    Ids(Rng::stream(seed, StreamKind::PersonIds, root)).at(first_referred)
}
