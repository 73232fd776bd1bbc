//! Evaluation reports: the store's per-case facts become [`CaseRecord`]s, the evaluation crate
//! builds the reports (every count through small-number suppression), and the consultation is
//! logged as a DPA 2018 s.62 *combination* (personal data from several records combined into
//! figures).
//!
//! Where each field of a record comes from:
//!
//! | field | source |
//! |---|---|
//! | funnel position | every state the case entered (`case_events.to_state`) |
//! | referral month, age band | `cases.opened_at` (Europe/London date), `people.date_of_birth` |
//! | ineligibility reason | the last `screen` event: the first criterion the advice found unmet (its id, from the payload's `unmet_criteria`, or for older events from the stored decision), or `override: CODE` |
//! | decline reason | not published: it is free text typed at the desk and may identify someone |
//! | outcome code | `outcome_code` on the `complete`, `refer_for_prosecution` or `expire_time_limit` event |
//! | trial arm | `trial_allocations` |
//! | index date | contract start (participants whose contract started); allocation date (controls); decline date (decliners) |
//! | reoffences | `reoffending_events`: arrests from the feed linked to the person by monitoring, after the case's offence and on contract or within follow-up (see [`REOFFENDING_SOURCE`]); offence category from the feed's offence text |
//! | monitored until | `cases.follow_up_until` (none while the case is open): windows ending later are not measured |
//! | risk band, previous convictions | the referral the latest screening saw (`referrals.input_json`) |
//! | resources | appointments attended × hours per appointment; current contract's conditions by type; one prosecution for prosecution referrals, controls and decliners (the usual process) |
//!
//! Reports do not run this derivation each time: they read its stored output, one row per case
//! kept current by triggers ([`crate::report_projection`]), and derive afresh only the cases
//! changed since the rows were written.
//!
//! Settings ([`ReportConfig`]) are read from TOML by the CLI (`reports.example.toml` at the
//! repository root documents every key) or taken from defaults: the suppression threshold and
//! follow-up windows of the scheme's policy.

use crate::App;
use crate::actor::Actor;
use crate::clock::london;
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::report_projection;
use checkpoint_domain::lifecycle::{CaseState, TrialArm};
use checkpoint_domain::offence::OffenceCategory;
use checkpoint_domain::outcome::OutcomeCode;
use checkpoint_domain::person::{EthnicGroup, Sex, age_in_years};
use checkpoint_evaluation::cost::{PerReoffenceAvoided, ResourceUse, UnitCosts};
use checkpoint_evaluation::records::{
    AgeBand, CaseRecord, Ending, FunnelPosition, FunnelStage, Label, Month, Reoffence,
};
use checkpoint_evaluation::render::csv as csv_render;
use checkpoint_evaluation::report::costs::{CostReport, cost_report};
use checkpoint_evaluation::report::disproportionality::{
    DisproportionalityConfig, DisproportionalityReport, disproportionality_report,
};
use checkpoint_evaluation::report::followup::{FollowUpRules, Measure, Window};
use checkpoint_evaluation::report::funnel::{FunnelReport, funnel_report};
use checkpoint_evaluation::report::reoffending::{
    Grouping, ReoffendingConfig, ReoffendingReport, reoffending_report,
};
use checkpoint_evaluation::report::trial::{TrialConfig, TrialReport, trial_report};
use checkpoint_evaluation::report::{ReportSettings, Warning, WarningKind};
use checkpoint_evaluation::stats::harm::HarmWeights;
use checkpoint_evaluation::stats::rri::RriRules;
use checkpoint_evaluation::suppression::{Count, SuppressionPolicy};
use checkpoint_store::reporting::{
    self, CaseEventFacts, CaseFacts, CaseSelection, ReoffenceFacts, states_in,
};
use checkpoint_store::{AuditAction, AuditEntry, Instant, Tx, audit};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use uuid::Uuid;

/// Where reoffending comes from; printed on every report.
pub const REOFFENDING_SOURCE: &str = "Reoffending source: arrests in the imported arrest feed that record linkage matched to the person (automatically above the link threshold, or confirmed by a supervisor in clerical review) and that monitoring recorded as reoffending events: during the contract, or within the case's follow-up window after it closed. Participants, people who declined and trial controls are monitored alike. These are re-arrests dated by the arrest, not proven offences: the feed carries no convictions or cautions, so the proven measure counts nothing. Arrests that were never matched (missing from the feed, or left undecided in the clerical queue) are not counted, so rates are lower bounds.";

/// How the figures are worked out; printed on every report after the source.
pub const METHODOLOGY: [&str; 3] = [
    "Index date: the contract's start for participants; the day of the decision for people who declined the offer (the decline) and for trial controls (the allocation). Each person's follow-up runs from there; an arrest on or before the index date is not a reoffence.",
    "Windows: a person counts in a window only once it has fully elapsed (plus the proof lag for the proven measure) and only if their case is monitored to its end; people still inside a window are left out, never counted as non-reoffenders. Arrests are recorded up to the scheme policy's longest follow-up period after the index date.",
    "Intention to treat: everyone is followed up however their case ended (completed, failed, withdrawn, declined or control), and trial arms are compared as allocated.",
];

/// One of the reports, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportName {
    Funnel,
    Reoffending,
    Trial,
    Disproportionality,
    Cost,
    All,
}

impl ReportName {
    pub const ALL: [ReportName; 6] = [
        ReportName::Funnel,
        ReportName::Reoffending,
        ReportName::Trial,
        ReportName::Disproportionality,
        ReportName::Cost,
        ReportName::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportName::Funnel => "funnel",
            ReportName::Reoffending => "reoffending",
            ReportName::Trial => "trial",
            ReportName::Disproportionality => "disproportionality",
            ReportName::Cost => "cost",
            ReportName::All => "all",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportName::Funnel => "Referral funnel",
            ReportName::Reoffending => "Reoffending",
            ReportName::Trial => "Randomised trial (intention to treat)",
            ReportName::Disproportionality => "Disproportionality (relative rate index)",
            ReportName::Cost => "Cost",
            ReportName::All => "All reports",
        }
    }

    fn includes(self, part: ReportName) -> bool {
        self == ReportName::All || self == part
    }
}

impl fmt::Display for ReportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportName {
    type Err = AppError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReportName::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                AppError::invalid(
                    "report",
                    format!(
                        "`{text}` is not a report (expected funnel, reoffending, trial, disproportionality, cost or all)"
                    ),
                )
            })
    }
}

/// Which cases a report covers: a scheme, and referral dates `from..=to` (inclusive, London).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

impl ReportQuery {
    /// The store's selection: opened at or after `from` 00:00 London, before `to + 1` 00:00.
    pub fn selection(&self) -> Result<CaseSelection, AppError> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(AppError::invalid(
                "from",
                format!("{from} is after `to` ({to})"),
            ));
        }
        let start_of = |day: Date| -> Result<Instant, AppError> {
            day.to_zoned(london())
                .map(|z| Instant::from(z.timestamp()))
                .map_err(|e| AppError::invalid("date", e.to_string()))
        };
        Ok(CaseSelection {
            scheme_id: self.scheme.clone(),
            opened_from: self.from.map(start_of).transpose()?,
            opened_before: self
                .to
                .map(|to| {
                    to.tomorrow()
                        .map_err(|e| AppError::invalid("to", e.to_string()))
                })
                .transpose()?
                .map(start_of)
                .transpose()?,
            marked_stale: None,
        })
    }

    /// Words for the audit log and report headers.
    pub fn describe(&self) -> String {
        format!(
            "scheme {}, referred {} to {}",
            self.scheme.as_deref().unwrap_or("(all)"),
            self.from
                .map_or_else(|| "(start)".to_owned(), |d| d.to_string()),
            self.to
                .map_or_else(|| "(end)".to_owned(), |d| d.to_string()),
        )
    }
}

/// Report settings. Every field has a default; `Option`s default to the scheme's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Counts below this are withheld. Default: the scheme policy's `suppression_threshold`
    /// (the largest across schemes when the report covers several), else 10.
    pub suppression_threshold: Option<u64>,
    /// Withhold zeros too.
    pub suppress_zeros: bool,
    /// Groups smaller than this carry a minimum-n warning (the Justice Data Lab asks for 60).
    pub minimum_group_size: u64,
    pub reference: ReferenceGroups,
    /// RRI "insufficient" below these counts (OJJDP practice).
    pub rri_min_events: u64,
    pub rri_min_base: u64,
    /// `rearrest` (default: the only measure the current source supports) or `proven`.
    pub measure: Measure,
    /// Months allowed after a window for proof (MoJ: 6). Proven measure only.
    pub proof_lag_months: u8,
    /// Follow-up windows in months. Default: the scheme policy's `follow_up_months`.
    pub follow_up_months: Option<Vec<u8>>,
    /// Also report reoffending during the contract.
    pub in_contract_window: bool,
    pub survival_horizon_months: u8,
    /// How the reoffending report groups people.
    pub grouping: Grouping,
    /// Crime Harm Index: days of custody per offence category (Sherman et al. 2016).
    pub harm_days: BTreeMap<OffenceCategory, f64>,
    /// Categories left out of harm as police-generated (default: drug possession).
    pub harm_excluded: BTreeSet<OffenceCategory>,
    pub harm_window_months: u8,
    /// Trial: the primary window first.
    pub trial_outcome_months: Vec<u8>,
    pub trial_minimum_effect: f64,
    pub costs: CostSettings,
}

/// Reference groups for the relative rate index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceGroups {
    pub ethnic_group: EthnicGroup,
    pub sex: Sex,
    pub age_band: AgeBand,
}

impl Default for ReferenceGroups {
    fn default() -> Self {
        let d = DisproportionalityConfig::default();
        ReferenceGroups {
            ethnic_group: d.reference_ethnic_group,
            sex: d.reference_sex,
            age_band: d.reference_age_band,
        }
    }
}

/// Unit costs and the assumptions that turn records into resources. Every default is zero:
/// the force must set its own figures (domain.md §10 marks published costs [UNVERIFIED]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostSettings {
    pub navigator_hour: f64,
    /// Cost of one condition of each type (`alcohol_intervention`, `community_hours`, …).
    pub interventions: BTreeMap<String, f64>,
    pub prosecution: f64,
    pub court_hearing: f64,
    /// Navigator hours per attended appointment (no time sheet is kept).
    pub navigator_hours_per_appointment: f64,
    pub court_hearings_per_prosecution: u32,
    /// The window reoffences are compared over.
    pub window_months: u8,
}

impl Default for CostSettings {
    fn default() -> Self {
        CostSettings {
            navigator_hour: 0.0,
            interventions: BTreeMap::new(),
            prosecution: 0.0,
            court_hearing: 0.0,
            navigator_hours_per_appointment: 1.0,
            court_hearings_per_prosecution: 1,
            window_months: 12,
        }
    }
}

impl CostSettings {
    fn unit_costs(&self) -> UnitCosts {
        UnitCosts {
            navigator_hour: self.navigator_hour,
            interventions: self.interventions.clone(),
            prosecution: self.prosecution,
            court_hearing: self.court_hearing,
        }
    }

    fn all_zero(&self) -> bool {
        self.navigator_hour == 0.0
            && self.prosecution == 0.0
            && self.court_hearing == 0.0
            && self.interventions.values().all(|c| *c == 0.0)
    }
}

impl Default for ReportConfig {
    fn default() -> Self {
        let rri = RriRules::default();
        let trial = TrialConfig::default();
        ReportConfig {
            suppression_threshold: None,
            suppress_zeros: false,
            minimum_group_size: ReportSettings::default().minimum_group_size,
            reference: ReferenceGroups::default(),
            rri_min_events: rri.min_events,
            rri_min_base: rri.min_base,
            measure: Measure::Rearrest,
            proof_lag_months: FollowUpRules::default().proof_lag_months,
            follow_up_months: None,
            in_contract_window: true,
            survival_horizon_months: 24,
            grouping: Grouping::Ending,
            harm_days: BTreeMap::new(),
            harm_excluded: HarmWeights::default().excluded,
            harm_window_months: 12,
            trial_outcome_months: trial.outcome_windows,
            trial_minimum_effect: trial.minimum_effect,
            costs: CostSettings::default(),
        }
    }
}

/// The settings a report actually used, printed with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectiveSettings {
    pub suppression: SuppressionPolicy,
    pub minimum_group_size: u64,
    pub measure: Measure,
    pub proof_lag_months: u8,
    pub follow_up_months: Vec<u8>,
    pub reference: ReferenceGroups,
    pub costs: CostSettings,
}

/// What a report request returns: the reports asked for, with their warnings and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportBundle {
    pub report: ReportName,
    /// "Today" the follow-up windows were measured against.
    pub today: Date,
    pub query: ReportQuery,
    pub settings: EffectiveSettings,
    /// Cases in the selection (suppressed like any other count).
    pub cases: Count,
    pub sources: Vec<String>,
    /// Warnings about the whole bundle (each report carries its own as well).
    pub warnings: Vec<Warning>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<FunnelReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reoffending: Option<ReoffendingReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<TrialReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disproportionality: Option<DisproportionalityReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
}

impl ReportBundle {
    /// Every warning in the bundle, its own first, without repeats.
    pub fn all_warnings(&self) -> Vec<&Warning> {
        let mut seen = BTreeSet::new();
        let reports = [
            self.funnel.as_ref().map(|r| &r.warnings),
            self.reoffending.as_ref().map(|r| &r.warnings),
            self.trial.as_ref().map(|r| &r.warnings),
            self.disproportionality.as_ref().map(|r| &r.warnings),
            self.cost.as_ref().map(|r| &r.warnings),
        ];
        self.warnings
            .iter()
            .chain(reports.into_iter().flatten().flatten())
            .filter(|w| seen.insert(w.message.clone()))
            .collect()
    }

    /// CSV: one section per report (a `# title` line, the table, a blank line), then the
    /// settings and every warning as `kind,message` rows, so a spreadsheet shows them too.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut section = |title: &str, body: String| {
            out.push_str(&csv_line(&[format!("# {title}")]));
            out.push_str(&body);
            out.push_str("\r\n");
        };
        if let Some(r) = &self.funnel {
            section(ReportName::Funnel.title(), csv_render::funnel_csv(r));
            section(
                "Referral funnel: reasons and outcome codes",
                csv_render::funnel_reasons_csv(r),
            );
        }
        if let Some(r) = &self.reoffending {
            section(
                ReportName::Reoffending.title(),
                csv_render::reoffending_csv(r),
            );
        }
        if let Some(r) = &self.trial {
            section(ReportName::Trial.title(), csv_render::trial_csv(r));
            section("Trial: CONSORT flow", csv_render::trial_consort_csv(r));
            section(
                "Trial: balance of the arms",
                csv_render::trial_balance_csv(r),
            );
        }
        if let Some(r) = &self.disproportionality {
            section(
                ReportName::Disproportionality.title(),
                csv_render::disproportionality_csv(r),
            );
        }
        if let Some(r) = &self.cost {
            section(ReportName::Cost.title(), cost_csv(r));
        }
        let mut about = csv_line(&["setting".to_owned(), "value".to_owned()]);
        for (key, value) in self.describe_settings() {
            about.push_str(&csv_line(&[key, value]));
        }
        section("Settings", about);
        let mut warnings = csv_line(&["warning".to_owned(), "message".to_owned()]);
        for source in &self.sources {
            warnings.push_str(&csv_line(&["source".to_owned(), source.clone()]));
        }
        for w in self.all_warnings() {
            warnings.push_str(&csv_line(&[
                warning_kind(w.kind).to_owned(),
                w.message.clone(),
            ]));
        }
        section("Warnings", warnings);
        out
    }

    /// The settings as (name, value) pairs for printing.
    pub fn describe_settings(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        vec![
            ("today".to_owned(), self.today.to_string()),
            ("selection".to_owned(), self.query.describe()),
            ("cases".to_owned(), self.cases.display()),
            (
                "suppression_threshold".to_owned(),
                s.suppression.threshold.to_string(),
            ),
            (
                "suppress_zeros".to_owned(),
                s.suppression.suppress_zeros.to_string(),
            ),
            (
                "minimum_group_size".to_owned(),
                s.minimum_group_size.to_string(),
            ),
            ("measure".to_owned(), measure_name(s.measure).to_owned()),
            (
                "proof_lag_months".to_owned(),
                s.proof_lag_months.to_string(),
            ),
            (
                "follow_up_months".to_owned(),
                s.follow_up_months
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ]
    }
}

pub fn measure_name(measure: Measure) -> &'static str {
    match measure {
        Measure::Proven => "proven",
        Measure::Rearrest => "rearrest",
    }
}

pub fn warning_kind(kind: WarningKind) -> &'static str {
    match kind {
        WarningKind::Suppressed => "suppressed",
        WarningKind::MinimumN => "minimum_n",
        WarningKind::FollowUpLag => "follow_up_lag",
        WarningKind::FollowUpNotElapsed => "follow_up_not_elapsed",
        WarningKind::NotEstimable => "not_estimable",
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The cost report as CSV: the figures (empty when withheld), then the arithmetic.
pub fn cost_csv(report: &CostReport) -> String {
    let money = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.2}"));
    let mut out = csv_line(&["measure".to_owned(), "value".to_owned()]);
    out.push_str(&csv_line(&["window".to_owned(), report.window.label()]));
    let summary = report.summary.as_ref();
    out.push_str(&csv_line(&[
        "cost_per_participant".to_owned(),
        money(summary.and_then(|s| s.cost_per_participant)),
    ]));
    out.push_str(&csv_line(&[
        "cost_per_completion".to_owned(),
        money(summary.and_then(|s| s.cost_per_completion)),
    ]));
    let avoided = summary.map(|s| match &s.per_reoffence_avoided {
        PerReoffenceAvoided::Estimated { pounds, .. } => format!("{pounds:.2}"),
        PerReoffenceAvoided::CostSaving {
            saving_per_person, ..
        } => format!("cost-saving ({saving_per_person:.2} per person)"),
        PerReoffenceAvoided::NotEstimable { reason } => format!("not estimable: {reason}"),
    });
    out.push_str(&csv_line(&[
        "cost_per_reoffence_avoided".to_owned(),
        avoided.unwrap_or_default(),
    ]));
    for line in summary.map(|s| s.arithmetic.as_slice()).unwrap_or_default() {
        out.push_str(&csv_line(&["arithmetic".to_owned(), line.clone()]));
    }
    out
}

/// The payload fields evaluation reads from events; anything else in the payload is ignored.
#[derive(Debug, Default, Deserialize)]
struct EventPayload {
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    follows_advice: Option<bool>,
    #[serde(default)]
    override_code: Option<String>,
    #[serde(default)]
    outcome_code: Option<u8>,
    #[serde(default)]
    decision_id: Option<Uuid>,
    /// Criterion ids the advice found unmet, in policy order (screen events since the reports
    /// read them; older events have none, and the stored decision is read instead).
    #[serde(default)]
    unmet_criteria: Option<Vec<String>>,
}

/// Why a case was screened out, as far as its events say.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Screened {
    /// The officer overrode the advice with this code.
    Override(String),
    /// The advice was followed: the first unmet criterion, if the event names it.
    Advice(Option<String>),
    /// The advice was followed, but the event predates `unmet_criteria`: read the decision.
    AdviceIn(Uuid),
}

/// What the events say about one case.
#[derive(Debug, Default)]
struct EventSummary {
    screened_out: Option<Screened>,
    declined_on: Option<Date>,
    outcome_code: Option<OutcomeCode>,
}

/// The reason label for a case screened out on the policy's advice with no named criterion.
const CRITERIA_NOT_MET: &str = "policy criteria not met";

impl EventSummary {
    fn ineligibility_reason(&self) -> Option<String> {
        match self.screened_out.as_ref()? {
            Screened::Override(code) => Some(format!("override: {code}")),
            Screened::Advice(Some(criterion)) => Some(criterion.clone()),
            Screened::Advice(None) | Screened::AdviceIn(_) => Some(CRITERIA_NOT_MET.to_owned()),
        }
    }
}

fn summarise_events(events: &[CaseEventFacts]) -> HashMap<Uuid, EventSummary> {
    let mut summaries: HashMap<Uuid, EventSummary> = HashMap::new();
    for event in events {
        let payload: EventPayload = serde_json::from_str(&event.payload_json).unwrap_or_default();
        let summary = summaries.entry(event.case_id).or_default();
        match event.kind.as_str() {
            "screen" => {
                // Only screenings that screened the case out are read (`ineligible` is final);
                // the check on the outcome keeps this right whatever the store returns.
                summary.screened_out =
                    (payload.outcome.as_deref() == Some("ineligible")).then(|| {
                        match (payload.follows_advice, payload.override_code) {
                            (Some(false), Some(code)) => Screened::Override(code),
                            _ => match (payload.unmet_criteria, payload.decision_id) {
                                (Some(unmet), _) => Screened::Advice(unmet.into_iter().next()),
                                (None, Some(decision)) => Screened::AdviceIn(decision),
                                (None, None) => Screened::Advice(None),
                            },
                        }
                    });
            }
            "decline" => summary.declined_on = Some(london_date(event.occurred_at)),
            "complete" | "refer_for_prosecution" | "expire_time_limit" => {
                if let Some(code) = payload.outcome_code.and_then(|c| OutcomeCode::new(c).ok()) {
                    summary.outcome_code = Some(code);
                }
            }
            _ => {}
        }
    }
    summaries
}

/// The first criterion a stored decision found unmet (policy order), for screen events that
/// predate `unmet_criteria`. Reads only the ids and verdicts.
fn first_unmet(evaluation_json: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Stored {
        criteria: Vec<StoredCriterion>,
    }
    #[derive(Deserialize)]
    struct StoredCriterion {
        id: String,
        verdict: String,
    }
    let stored: Stored = serde_json::from_str(evaluation_json).ok()?;
    stored
        .criteria
        .into_iter()
        .find(|c| c.verdict == "not_met")
        .map(|c| c.id)
}

/// What the referral a case was last screened on says about offending history and risk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct ReferralFacts {
    previous_convictions: Option<u32>,
    risk_band: Option<String>,
}

fn referral_facts(input_json: &str) -> ReferralFacts {
    #[derive(Deserialize)]
    struct Stored {
        #[serde(default)]
        previous_convictions: Option<u32>,
        #[serde(default)]
        risk: Option<StoredRisk>,
    }
    #[derive(Deserialize)]
    struct StoredRisk {
        band: String,
    }
    serde_json::from_str::<Stored>(input_json)
        .map(|s| ReferralFacts {
            previous_convictions: s.previous_convictions,
            risk_band: s.risk.map(|r| r.band),
        })
        .unwrap_or_default()
}

/// A reoffending event as evaluation reads it: the arrest date stands for the offence date
/// (the feed dates arrests), never proven, category from the feed's offence text.
fn reoffence(row: &ReoffenceFacts) -> Reoffence {
    reoffence_on(row.arrest_date.get(), parse_offence(&row.offence))
}

pub(crate) fn reoffence_on(arrest_date: Date, category: OffenceCategory) -> Reoffence {
    Reoffence {
        offence_date: arrest_date,
        proven_date: None,
        category,
    }
}

/// The category the feed's offence text names, or `other`.
pub(crate) fn parse_offence(text: &str) -> OffenceCategory {
    parse_code(text.trim()).unwrap_or(OffenceCategory::Other)
}

fn london_date(at: Instant) -> Date {
    at.get().to_zoned(london()).date()
}

pub(crate) fn parse_code<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// Builds one [`CaseRecord`] from the store's facts (see the module table for sources).
fn case_record(
    facts: &CaseFacts,
    events: Option<&EventSummary>,
    read: CaseReads,
    costs: &CostSettings,
) -> CaseRecord {
    let CaseReads {
        interventions,
        reoffences,
        referral,
        first_unmet,
    } = read;
    let states = states_in(facts.states_reached);
    let reached = |s: CaseState| states.contains(&s);
    let position = FunnelPosition::from_history(&states);
    let referred_on = london_date(facts.opened_at);
    let trial_arm = facts.trial_arm.as_deref().and_then(parse_code::<TrialArm>);
    let declined_on = events.and_then(|e| e.declined_on);
    let started = reached(CaseState::Active);
    let index_date = if trial_arm == Some(TrialArm::Control) {
        facts.allocated_at.map(london_date)
    } else if started {
        facts.contract_start.map(|d| d.get())
    } else if position.ending == Some(Ending::Declined) {
        declined_on
    } else {
        None
    };
    // Controls and decliners go through the usual process: a prosecution.
    let prosecuted = reached(CaseState::ProsecutionReferred)
        || trial_arm == Some(TrialArm::Control)
        || position.ending == Some(Ending::Declined);
    let resources = resource_use(
        facts.appointments_attended,
        Arc::new(interventions),
        prosecuted,
        costs,
    );
    CaseRecord {
        case_id: facts.case_id,
        scheme: facts.scheme_id.as_str().into(),
        referral_month: Month::of(referred_on),
        position,
        ineligibility_reason: first_unmet
            .or_else(|| events.and_then(EventSummary::ineligibility_reason))
            .map(Label::from),
        decline_reason: None,
        outcome_code: events.and_then(|e| e.outcome_code),
        ethnicity_self_defined: facts.ethnicity_self_defined.as_deref().and_then(parse_code),
        ethnicity_officer_observed: facts
            .ethnicity_officer_observed
            .as_deref()
            .and_then(parse_code),
        sex: parse_code(&facts.sex).unwrap_or(Sex::NotKnown),
        age_band: AgeBand::from_age(age_in_years(facts.date_of_birth.get(), referred_on)),
        risk_band: referral.risk_band.map(Label::from),
        previous_convictions: referral.previous_convictions,
        trial_arm,
        index_date,
        contract_end: if started {
            facts.contract_end.map(|d| d.get())
        } else {
            None
        },
        monitored_until: facts.follow_up_until.map(|d| d.get()),
        reoffences,
        resources,
    }
}

/// What a case used, priced later: navigator time from appointments attended, the current
/// contract's conditions, and one prosecution (with its hearings) when the case went or goes
/// to court.
pub(crate) fn resource_use(
    appointments_attended: i64,
    interventions: Arc<BTreeMap<String, u32>>,
    prosecuted: bool,
    costs: &CostSettings,
) -> ResourceUse {
    let prosecutions = u32::from(prosecuted);
    ResourceUse {
        navigator_hours: appointments_attended as f64 * costs.navigator_hours_per_appointment,
        interventions,
        prosecutions,
        court_hearings: prosecutions * costs.court_hearings_per_prosecution,
    }
}

/// Frees a large set of records on a thread of its own: a million of them take a tenth of a
/// second to free, which the reader of the report need not wait for.
fn free_off_the_response_path(records: Vec<CaseRecord>) {
    const WORTH_A_THREAD: usize = 100_000;
    if records.len() >= WORTH_A_THREAD {
        // If no thread can be started the records are freed here, as they would have been.
        let _ = std::thread::Builder::new()
            .name("report-free".to_owned())
            .spawn(move || drop(records));
    }
}

/// Runs `section` on its own thread of `scope` if the report includes it.
fn spawn_if<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    wanted: bool,
    section: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    wanted.then(|| scope.spawn(section))
}

/// The section's result; a panic in the section goes on unwinding here, as if it had run
/// on this thread.
fn joined<T>(section: Option<std::thread::ScopedJoinHandle<'_, T>>) -> Option<T> {
    section.map(|handle| {
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Case records with the store's facts they came from (exports need both).
#[derive(Debug, Clone)]
pub(crate) struct Extracted {
    pub facts: Vec<CaseFacts>,
    pub records: Vec<CaseRecord>,
}

/// Whether to read the referral snapshots (previous convictions, risk band): JSON documents,
/// so only where they are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReferralDetail {
    /// Not needed (the Justice Data Lab file).
    None,
    /// Every selected case's (the reports' read model, the case-level extract).
    All,
}

/// What one case's record is built from besides its facts and events.
#[derive(Debug, Default)]
struct CaseReads {
    interventions: BTreeMap<String, u32>,
    reoffences: Vec<Reoffence>,
    referral: ReferralFacts,
    /// The first unmet criterion read from the stored decision (older screen events).
    first_unmet: Option<String>,
}

/// Reads the selection in `tx` with a handful of set-based queries and builds one record per
/// case.
pub(crate) async fn extract(
    tx: &mut Tx,
    selection: &CaseSelection,
    costs: &CostSettings,
    detail: ReferralDetail,
) -> Result<Extracted, AppError> {
    let facts = reporting::case_facts(tx, selection).await?;
    let events = reporting::case_events(tx, selection).await?;
    let mut reads: HashMap<Uuid, CaseReads> = HashMap::new();
    for row in reporting::conditions(tx, selection).await? {
        reads.entry(row.case_id).or_default().interventions.insert(
            row.condition_type,
            u32::try_from(row.conditions).unwrap_or(u32::MAX),
        );
    }
    for row in reporting::reoffences(tx, selection).await? {
        reads
            .entry(row.case_id)
            .or_default()
            .reoffences
            .push(reoffence(&row));
    }
    if detail == ReferralDetail::All {
        // In time order: the last snapshot of a case wins.
        for row in reporting::referral_snapshots(tx, selection).await? {
            reads.entry(row.case_id).or_default().referral = referral_facts(&row.input_json);
        }
    }
    let summaries = summarise_events(&events);
    let older: HashMap<Uuid, Uuid> = summaries
        .iter()
        .filter_map(|(case, s)| match s.screened_out {
            Some(Screened::AdviceIn(decision)) => Some((decision, *case)),
            _ => None,
        })
        .collect();
    if !older.is_empty() {
        let ids: Vec<Uuid> = older.keys().copied().collect();
        for row in reporting::decision_evaluations(tx, &ids).await? {
            if let Some(case) = older.get(&row.id) {
                reads.entry(*case).or_default().first_unmet = first_unmet(&row.evaluation_json);
            }
        }
    }
    let records = facts
        .iter()
        .map(|f| {
            case_record(
                f,
                summaries.get(&f.case_id),
                reads.remove(&f.case_id).unwrap_or_default(),
                costs,
            )
        })
        .collect();
    Ok(Extracted { facts, records })
}

impl App {
    /// Case records for the selection, without authorisation or audit: for the use cases in
    /// this module and [`crate::exports`], which check and log first.
    pub(crate) async fn extract_records(
        &self,
        query: &ReportQuery,
        costs: &CostSettings,
        detail: ReferralDetail,
    ) -> Result<Extracted, AppError> {
        let selection = query.selection()?;
        // One snapshot, so the queries see the same data.
        let mut tx = self.begin_read().await?;
        let extracted = extract(&mut tx, &selection, costs, detail).await?;
        tx.rollback().await?;
        Ok(extracted)
    }

    /// Builds a report (or all of them) for `actor`, who must be allowed `ViewReports`. The
    /// consultation is logged as a *combination* (s.62) with the selection and settings; the
    /// report is returned only once its audit row is committed.
    pub async fn report(
        &self,
        actor: &Actor,
        name: ReportName,
        query: &ReportQuery,
        config: &ReportConfig,
    ) -> Result<ReportBundle, AppError> {
        authorise(actor, Action::ViewReports)?;
        if let Some(scheme) = &query.scheme
            && self.policies().latest(scheme).is_none()
        {
            return Err(AppError::invalid(
                "scheme",
                format!(
                    "no scheme `{scheme}` (known: {})",
                    self.policies().schemes().join(", ")
                ),
            ));
        }
        let selection = query.selection()?;
        // Bring the read model up to date, then read it (and derive anything changed since)
        // in one snapshot.
        self.refresh_report_projection().await?;
        let (mut tx, alongside) = self.begin_read_pair().await?;
        let records =
            report_projection::read_records(&mut tx, alongside, &selection, &config.costs).await?;
        tx.rollback().await?;
        let today = self.clock().today();
        let bundle = self.build_bundle(name, query, config, &records, today);
        let cases = records.len();
        free_off_the_response_path(records);
        let mut tx = self.begin().await?;
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Combination,
                "report",
                format!("{name}: {}", query.describe()),
            )
            .with_justification("evaluation report (aggregate, small numbers suppressed)")
            .with_details(serde_json::json!({
                "report": name.as_str(),
                "query": query,
                "cases": cases,
                "settings": bundle.settings,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(bundle)
    }

    fn effective_settings(&self, query: &ReportQuery, config: &ReportConfig) -> EffectiveSettings {
        let policies: Vec<_> = match &query.scheme {
            Some(scheme) => self.policies().latest(scheme).into_iter().collect(),
            None => self
                .policies()
                .schemes()
                .into_iter()
                .filter_map(|s| self.policies().latest(s))
                .collect(),
        };
        let threshold = config.suppression_threshold.unwrap_or_else(|| {
            policies
                .iter()
                .map(|p| u64::from(p.suppression_threshold()))
                .max()
                .unwrap_or(SuppressionPolicy::default().threshold)
        });
        let follow_up_months = config.follow_up_months.clone().unwrap_or_else(|| {
            let months: BTreeSet<u8> = policies
                .iter()
                .flat_map(|p| p.follow_up_months().iter())
                .filter_map(|m| u8::try_from(*m).ok())
                .collect();
            if months.is_empty() {
                vec![12, 24]
            } else {
                months.into_iter().collect()
            }
        });
        EffectiveSettings {
            suppression: SuppressionPolicy {
                threshold,
                suppress_zeros: config.suppress_zeros,
            },
            minimum_group_size: config.minimum_group_size,
            measure: config.measure,
            proof_lag_months: config.proof_lag_months,
            follow_up_months,
            reference: config.reference,
            costs: config.costs.clone(),
        }
    }

    /// The pure part: records in, suppressed reports out.
    pub(crate) fn build_bundle(
        &self,
        name: ReportName,
        query: &ReportQuery,
        config: &ReportConfig,
        records: &[CaseRecord],
        today: Date,
    ) -> ReportBundle {
        let settings = self.effective_settings(query, config);
        let report_settings = ReportSettings {
            suppression: settings.suppression,
            minimum_group_size: settings.minimum_group_size,
        };
        let rules = FollowUpRules {
            measure: settings.measure,
            proof_lag_months: settings.proof_lag_months,
        };
        let mut windows: Vec<Window> = Vec::new();
        if config.in_contract_window {
            windows.push(Window::InContract);
        }
        windows.extend(settings.follow_up_months.iter().map(|m| Window::Months(*m)));
        let reoffending_config = ReoffendingConfig {
            rules,
            windows,
            survival_horizon_months: config.survival_horizon_months,
            at_risk_every_months: 3,
            harm: HarmWeights {
                days: config.harm_days.clone(),
                excluded: config.harm_excluded.clone(),
            },
            harm_window: Window::Months(config.harm_window_months),
        };
        let mut warnings = Vec::new();
        if settings.measure == Measure::Proven {
            warnings.push(Warning::new(
                WarningKind::NotEstimable,
                "The measure is proven reoffending, but the arrest feed records arrests without their outcomes: no reoffence counts as proven until convictions and cautions are recorded.",
            ));
        }
        if name.includes(ReportName::Cost) && settings.costs.all_zero() {
            warnings.push(Warning::new(
                WarningKind::NotEstimable,
                "No unit costs are configured: every cost is zero. Set the force's own figures in the settings file ([costs]); published figures are [UNVERIFIED] placeholders.",
            ));
        }
        let trial_config = TrialConfig {
            reoffending: reoffending_config.clone(),
            outcome_windows: config.trial_outcome_months.clone(),
            minimum_effect: config.trial_minimum_effect,
        };
        let disproportionality_config = DisproportionalityConfig {
            reference_ethnic_group: settings.reference.ethnic_group,
            reference_sex: settings.reference.sex,
            reference_age_band: settings.reference.age_band,
            rules: RriRules {
                min_events: config.rri_min_events,
                min_base: config.rri_min_base,
            },
        };
        // The sections only read the records, so they run side by side: at a million cases
        // each one is several passes over memory that no longer fits in a cache.
        let (funnel, reoffending, trial, disproportionality, cost) = std::thread::scope(|scope| {
            let funnel = spawn_if(scope, name.includes(ReportName::Funnel), || {
                funnel_report(records, &report_settings)
            });
            let reoffending = spawn_if(scope, name.includes(ReportName::Reoffending), || {
                reoffending_report(
                    records,
                    today,
                    config.grouping,
                    &reoffending_config,
                    &report_settings,
                )
            });
            let trial = spawn_if(scope, name.includes(ReportName::Trial), || {
                trial_report(records, today, &trial_config, &report_settings)
            });
            let disproportionality =
                spawn_if(scope, name.includes(ReportName::Disproportionality), || {
                    disproportionality_report(records, &disproportionality_config, &report_settings)
                });
            let cost = spawn_if(scope, name.includes(ReportName::Cost), || {
                let mut warnings = Vec::new();
                let report = self.cost_section(
                    records,
                    &settings,
                    rules,
                    today,
                    &report_settings,
                    &mut warnings,
                );
                (report, warnings)
            });
            (
                joined(funnel),
                joined(reoffending),
                joined(trial),
                joined(disproportionality),
                joined(cost),
            )
        });
        let cost = cost.map(|(report, cost_warnings)| {
            warnings.extend(cost_warnings);
            report
        });
        ReportBundle {
            report: name,
            today,
            query: query.clone(),
            cases: settings.suppression.count(records.len() as u64),
            sources: std::iter::once(REOFFENDING_SOURCE)
                .chain(METHODOLOGY)
                .map(str::to_owned)
                .collect(),
            warnings,
            settings,
            funnel,
            reoffending,
            trial,
            disproportionality,
            cost,
        }
    }

    /// Programme: everyone who accepted (outside a trial's control arm). Comparison: the
    /// trial's control arm when the selection has one, otherwise those who declined.
    fn cost_section(
        &self,
        records: &[CaseRecord],
        settings: &EffectiveSettings,
        rules: FollowUpRules,
        today: Date,
        report_settings: &ReportSettings,
        warnings: &mut Vec<Warning>,
    ) -> CostReport {
        let programme: Vec<&CaseRecord> = records
            .iter()
            .filter(|c| {
                c.position.stage == FunnelStage::Accepted && c.trial_arm != Some(TrialArm::Control)
            })
            .collect();
        let controls: Vec<&CaseRecord> = records
            .iter()
            .filter(|c| c.trial_arm == Some(TrialArm::Control))
            .collect();
        let comparison = if controls.is_empty() {
            warnings.push(Warning::new(
                WarningKind::NotEstimable,
                "Cost comparison group: people who declined the offer (no trial controls in the selection). They chose not to take part, so the comparison is not like for like.",
            ));
            records
                .iter()
                .filter(|c| c.position.ending == Some(Ending::Declined))
                .collect()
        } else {
            controls
        };
        let window = Window::Months(settings.costs.window_months);
        cost_report(
            &programme,
            &comparison,
            &settings.costs.unit_costs(),
            &rules,
            window,
            today,
            report_settings,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_first_unmet_criterion_in_policy_order() {
        let stored = r#"{"policy": {"id": "p"}, "criteria": [
            {"id": "resides_in_force_area", "verdict": "met", "text": "…"},
            {"id": "gravity", "verdict": "unknown"},
            {"id": "previous_convictions", "verdict": "not_met"},
            {"id": "victim_views", "verdict": "not_met"}]}"#;
        assert_eq!(first_unmet(stored).as_deref(), Some("previous_convictions"));
        assert_eq!(first_unmet(r#"{"criteria": []}"#), None);
        assert_eq!(first_unmet("not json"), None);
    }

    #[test]
    fn a_screen_event_gives_the_override_or_the_first_unmet_criterion() {
        let event = |payload: &str| CaseEventFacts {
            case_id: Uuid::nil(),
            sequence: 2,
            kind: "screen".to_owned(),
            occurred_at: Instant::from(jiff::Timestamp::UNIX_EPOCH),
            reason: None,
            payload_json: payload.to_owned(),
        };
        let reason = |payload: &str| {
            summarise_events(&[event(payload)])
                .remove(&Uuid::nil())
                .and_then(|s| s.ineligibility_reason())
        };
        assert_eq!(
            reason(
                r#"{"outcome": "ineligible", "follows_advice": true, "unmet_criteria": ["a", "b"]}"#
            )
            .as_deref(),
            Some("a")
        );
        assert_eq!(
            reason(r#"{"outcome": "ineligible", "follows_advice": false, "override_code": "victim_views"}"#)
                .as_deref(),
            Some("override: victim_views")
        );
        assert_eq!(
            reason(r#"{"outcome": "ineligible", "follows_advice": true}"#).as_deref(),
            Some(CRITERIA_NOT_MET)
        );
        assert_eq!(
            reason(r#"{"outcome": "eligible", "follows_advice": true}"#),
            None
        );
        // An older event names its decision: the stored evaluation is read instead.
        let decision = Uuid::now_v7();
        let older = format!(
            r#"{{"outcome": "ineligible", "follows_advice": true, "decision_id": "{decision}"}}"#
        );
        let summary = summarise_events(&[event(&older)]).remove(&Uuid::nil());
        assert_eq!(
            summary.and_then(|s| s.screened_out),
            Some(Screened::AdviceIn(decision))
        );
    }

    #[test]
    fn referral_facts_read_previous_convictions_and_the_risk_band() {
        let facts = referral_facts(
            r#"{"referral_date": "2026-03-04", "previous_convictions": 2,
                "risk": {"tool": "HART", "band": "moderate", "officer_band": "low"}}"#,
        );
        assert_eq!(facts.previous_convictions, Some(2));
        assert_eq!(facts.risk_band.as_deref(), Some("moderate"));
        assert_eq!(referral_facts("{}"), ReferralFacts::default());
    }

    #[test]
    fn feed_offence_text_names_a_category_when_it_can() {
        let row = |offence: &str| ReoffenceFacts {
            case_id: Uuid::nil(),
            arrest_date: jiff::civil::date(2026, 4, 1).into(),
            offence: offence.to_owned(),
            phase: "follow_up".to_owned(),
        };
        assert_eq!(reoffence(&row("theft")).category, OffenceCategory::Theft);
        assert_eq!(
            reoffence(&row("common_assault")).category,
            OffenceCategory::CommonAssault
        );
        assert_eq!(
            reoffence(&row("Shoplifting, Tesco")).category,
            OffenceCategory::Other
        );
        assert_eq!(reoffence(&row("theft")).proven_date, None);
    }
}
