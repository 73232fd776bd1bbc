//! What an evaluation produces: a [`Decision`] carrying every criterion's verdict and evidence,
//! the planned contract dates and the policy identity (id, version, content hash) so a stored
//! decision can be replayed and explained years later.
//!
//! Evidence is structured ([`Evidence`]) and turned into plain English only when someone asks
//! (`Evidence::describe`, JSON serialisation, [`Decision::render_text`]): building strings for
//! twenty criteria on every evaluation would cost more than the evaluation itself.

use super::criteria::CriterionKind;
use super::words::{date_in_words, join_names};
use crate::deadline::{ContractDates, days_between};
use crate::offence::{
    CultivationScale, DrugClass, ModeOfTrial, OffenceCategory, SupplyContext, VictimViews,
};
use crate::outcome::OutcomeCode;
use crate::referral::{EarlierParticipation, InterviewOutcome, RiskBand};
use jiff::civil::Date;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::sync::Arc;

/// One criterion's answer.
///
/// `NotApplicable` is the fourth verdict: the criterion carries `applies_to` and the offence is
/// outside that list (e.g. "supply context" for a theft). It never blocks eligibility and never
/// asks for information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    /// Information the rule needs was not recorded.
    Unknown,
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "not_met",
            Verdict::Unknown => "unknown",
            Verdict::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The overall answer: any `not_met` → ineligible; else any `unknown` → needs information;
/// else eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    Ineligible,
    NeedsInformation,
}

impl Eligibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Eligible => "eligible",
            Eligibility::Ineligible => "ineligible",
            Eligibility::NeedsInformation => "needs_information",
        }
    }
}

impl fmt::Display for Eligibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fact on the referral that a rule needed and did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    ResidesInForceArea,
    OffenceCommittedInForceArea,
    Interview,
    EvidenceSufficientToCharge,
    PreviousConvictions,
    RiskBand,
    VictimViews,
    EarlierParticipation,
    Gravity,
    SupplyContext,
    CultivationScale,
    DrugClass,
}

impl Fact {
    pub fn describe(self) -> &'static str {
        match self {
            Fact::ResidesInForceArea => "whether the person lives in the force area",
            Fact::OffenceCommittedInForceArea => {
                "whether the offence was committed in the force area"
            }
            Fact::Interview => "the interview outcome",
            Fact::EvidenceSufficientToCharge => "whether there is enough evidence to charge",
            Fact::PreviousConvictions => "the number of previous convictions",
            Fact::RiskBand => "the risk band",
            Fact::VictimViews => "the victim's views",
            Fact::EarlierParticipation => "earlier participation in diversion schemes",
            Fact::Gravity => "the gravity assessment",
            Fact::SupplyContext => "the context of the supply",
            Fact::CultivationScale => "the scale of the cultivation",
            Fact::DrugClass => "the drug class",
        }
    }
}

/// A yes/no circumstance on the referral that excludes a person when true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Circumstance {
    DetainedForCourt,
    DetainedUnderMentalHealthAct,
    SubjectToCourtOrder,
    OnBailForOtherMatters,
    UnderStatutorySupervision,
    CoAccused,
}

impl Circumstance {
    pub const ALL: [Circumstance; 6] = [
        Circumstance::DetainedForCourt,
        Circumstance::DetainedUnderMentalHealthAct,
        Circumstance::SubjectToCourtOrder,
        Circumstance::OnBailForOtherMatters,
        Circumstance::UnderStatutorySupervision,
        Circumstance::CoAccused,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Circumstance::DetainedForCourt => "detained for court",
            Circumstance::DetainedUnderMentalHealthAct => "detained under the Mental Health Act",
            Circumstance::SubjectToCourtOrder => "on a court order",
            Circumstance::OnBailForOtherMatters => "on bail for other matters",
            Circumstance::UnderStatutorySupervision => "under statutory supervision",
            Circumstance::CoAccused => "co-accused",
        }
    }
}

/// A yes/no fact about the offence that excludes it when true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceFlag {
    HateCrime,
    DomesticRelated,
}

impl OffenceFlag {
    pub const ALL: [OffenceFlag; 2] = [OffenceFlag::HateCrime, OffenceFlag::DomesticRelated];

    pub fn describe(self) -> &'static str {
        match self {
            OffenceFlag::HateCrime => "a hate crime",
            OffenceFlag::DomesticRelated => "domestic-related",
        }
    }
}

/// Small closed enums kept in a bit set, so evidence about them needs no allocation.
pub trait SetMember: Copy + Serialize + DeserializeOwned + 'static {
    const MEMBERS: &'static [Self];
    fn describe_member(self) -> &'static str;
}

impl SetMember for Circumstance {
    const MEMBERS: &'static [Self] = &Circumstance::ALL;
    fn describe_member(self) -> &'static str {
        self.describe()
    }
}

impl SetMember for OffenceFlag {
    const MEMBERS: &'static [Self] = &OffenceFlag::ALL;
    fn describe_member(self) -> &'static str {
        self.describe()
    }
}

/// A set of [`SetMember`]s; serialises as a list of names.
pub struct MemberSet<T> {
    bits: u32,
    _members: PhantomData<T>,
}

impl<T: SetMember + PartialEq> MemberSet<T> {
    pub const EMPTY: Self = MemberSet {
        bits: 0,
        _members: PhantomData,
    };

    fn bit(member: T) -> u32 {
        let index = T::MEMBERS.iter().position(|m| *m == member).unwrap_or(31);
        1 << index
    }

    pub fn insert(&mut self, member: T) {
        self.bits |= Self::bit(member);
    }

    pub fn contains(&self, member: T) -> bool {
        self.bits & Self::bit(member) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        T::MEMBERS.iter().copied().filter(|m| self.contains(*m))
    }

    fn describe(&self) -> String {
        join_names(self.iter().map(T::describe_member))
    }
}

impl<T: SetMember + PartialEq> FromIterator<T> for MemberSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for m in iter {
            set.insert(m);
        }
        set
    }
}

impl<T> Clone for MemberSet<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MemberSet<T> {}
impl<T> PartialEq for MemberSet<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<T> Eq for MemberSet<T> {}

impl<T: SetMember + PartialEq + fmt::Debug> fmt::Debug for MemberSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: SetMember + PartialEq> Serialize for MemberSet<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: SetMember + PartialEq> Deserialize<'de> for MemberSet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = Vec::<T>::deserialize(deserializer)?;
        Ok(members.into_iter().collect())
    }
}

/// Which end of an age range a rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Minimum,
    Maximum,
}

/// Whether an offence-category list names the eligible or the excluded categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListMode {
    Include,
    Exclude,
}

/// What a criterion observed, in structured form. `describe` gives the plain-English sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "observed", rename_all = "snake_case")]
pub enum Evidence {
    Missing {
        fact: Fact,
    },
    /// The criterion's `applies_to` list does not include the offence's category.
    OutsideScope {
        category: OffenceCategory,
    },
    Age {
        age: i32,
        date_of_birth: Date,
        bound: Bound,
        limit: u8,
    },
    Residence {
        in_force_area: bool,
    },
    OffenceLocation {
        in_force_area: bool,
    },
    OffenceAge {
        offence_date: Date,
        days_old: i32,
        /// The first referral date on which the offence is too old.
        too_old_from: Date,
    },
    OffenceCategory {
        category: OffenceCategory,
        list: ListMode,
        listed: bool,
    },
    ModeOfTrial {
        mode: ModeOfTrial,
    },
    Interview {
        outcome: InterviewOutcome,
    },
    EvidenceToCharge {
        sufficient: bool,
    },
    PreviousConvictions {
        count: u32,
        fewer_than: u32,
    },
    Circumstances {
        present: MemberSet<Circumstance>,
        unknown: MemberSet<Circumstance>,
    },
    OffenceFlags {
        present: MemberSet<OffenceFlag>,
        unknown: MemberSet<OffenceFlag>,
    },
    RiskBand {
        band: RiskBand,
    },
    VictimViews {
        views: VictimViews,
    },
    EarlierParticipation {
        /// Earlier episodes that the rule excludes on.
        matching: u32,
        /// The most recent of them.
        latest: Option<EarlierParticipation>,
    },
    Gravity {
        base: u8,
        aggravating: bool,
        mitigating: bool,
        final_score: u8,
        max_final: u8,
    },
    SupplyContext {
        context: SupplyContext,
    },
    CultivationScale {
        scale: CultivationScale,
    },
    DrugClass {
        class: DrugClass,
    },
    ProsecutionTime {
        mode: ModeOfTrial,
        deadline: Option<Date>,
        latest_end: Option<Date>,
        end: Date,
        length_days: i32,
        minimum_days: u16,
    },
    DecisionTable {
        final_gravity: Option<u8>,
        previous_convictions: Option<u32>,
        age: Option<i32>,
        /// 1-based row that decided, or `None` when the `otherwise` verdict (or unknown) applied.
        row: Option<u16>,
    },
}

impl Evidence {
    /// The observation as one plain-English sentence.
    pub fn describe(&self) -> String {
        match self {
            Evidence::Missing { fact } => format!("not recorded: {}", fact.describe()),
            Evidence::OutsideScope { category } => {
                format!(
                    "does not apply to a {} offence",
                    category.as_str().replace('_', " ")
                )
            }
            Evidence::Age {
                age,
                date_of_birth,
                bound,
                limit,
            } => {
                let limit_word = match bound {
                    Bound::Minimum => "minimum",
                    Bound::Maximum => "maximum",
                };
                format!(
                    "aged {age} on the referral date (born {}); the {limit_word} is {limit}",
                    date_in_words(*date_of_birth)
                )
            }
            Evidence::Residence {
                in_force_area: true,
            } => "lives in the force area".to_owned(),
            Evidence::Residence {
                in_force_area: false,
            } => "does not live in the force area".to_owned(),
            Evidence::OffenceLocation {
                in_force_area: true,
            } => "offence committed in the force area".to_owned(),
            Evidence::OffenceLocation {
                in_force_area: false,
            } => "offence committed outside the force area".to_owned(),
            Evidence::OffenceAge {
                offence_date,
                days_old,
                too_old_from,
            } => format!(
                "offence on {} is {days_old} days old; referrals from {} are too late",
                date_in_words(*offence_date),
                date_in_words(*too_old_from)
            ),
            Evidence::OffenceCategory {
                category,
                list,
                listed,
            } => {
                let name = category.as_str().replace('_', " ");
                match (list, listed) {
                    (ListMode::Include, true) => format!("{name} is an eligible offence category"),
                    (ListMode::Include, false) => {
                        format!("{name} is not an eligible offence category")
                    }
                    (ListMode::Exclude, true) => format!("{name} is an excluded offence category"),
                    (ListMode::Exclude, false) => {
                        format!("{name} is not an excluded offence category")
                    }
                }
            }
            Evidence::ModeOfTrial { mode } => {
                format!("offence is {}", mode.as_str().replace('_', " "))
            }
            Evidence::Interview { outcome } => {
                format!("interview outcome: {}", outcome.as_str().replace('_', " "))
            }
            Evidence::EvidenceToCharge { sufficient: true } => {
                "enough evidence to charge".to_owned()
            }
            Evidence::EvidenceToCharge { sufficient: false } => {
                "not enough evidence to charge".to_owned()
            }
            Evidence::PreviousConvictions { count, fewer_than } => {
                format!("{count} previous conviction(s); the limit is fewer than {fewer_than}")
            }
            Evidence::Circumstances { present, unknown } => describe_exclusions(
                &present.describe(),
                &unknown.describe(),
                "excluding circumstances",
            ),
            Evidence::OffenceFlags { present, unknown } => describe_exclusions(
                &present.describe(),
                &unknown.describe(),
                "excluding offence flags",
            ),
            Evidence::RiskBand { band } => format!("risk band {}", band.as_str()),
            Evidence::VictimViews { views } => {
                format!(
                    "victim's views: {}",
                    snake_words(serde_name(views).as_deref())
                )
            }
            Evidence::EarlierParticipation { matching: 0, .. } => {
                "no earlier participation that excludes".to_owned()
            }
            Evidence::EarlierParticipation { matching, latest } => {
                let mut text = format!("{matching} earlier episode(s) that exclude");
                if let Some(p) = latest {
                    let _ = write!(
                        text,
                        "; latest on {} ({}) ended {}",
                        p.scheme,
                        date_in_words(p.date),
                        p.result.as_str().replace('_', " ")
                    );
                }
                text
            }
            Evidence::Gravity {
                base,
                aggravating,
                mitigating,
                final_score,
                max_final,
            } => {
                let mut factors = Vec::new();
                if *aggravating {
                    factors.push("aggravating");
                }
                if *mitigating {
                    factors.push("mitigating");
                }
                let factors = if factors.is_empty() {
                    "no factors".to_owned()
                } else {
                    format!("{} factors", factors.join(" and "))
                };
                format!(
                    "final gravity {final_score} (base {base}, {factors}); the maximum is {max_final}"
                )
            }
            Evidence::SupplyContext { context } => {
                format!("supply context: {}", context.as_str().replace('_', " "))
            }
            Evidence::CultivationScale { scale } => {
                format!(
                    "cultivation scale: {}",
                    snake_words(serde_name(scale).as_deref())
                )
            }
            Evidence::DrugClass { class } => {
                format!("class {}", serde_name(class).unwrap_or_default())
            }
            Evidence::ProsecutionTime {
                mode,
                deadline,
                latest_end,
                end,
                length_days,
                minimum_days,
            } => match (deadline, latest_end) {
                (Some(deadline), Some(latest)) => format!(
                    "summary-only offence: proceedings must start by {}; the contract must end by {} \
                         and can run {length_days} days to {} (minimum {minimum_days} days)",
                    date_in_words(*deadline),
                    date_in_words(*latest),
                    date_in_words(*end)
                ),
                _ => format!(
                    "{} offence: no statutory time limit on prosecution",
                    mode.as_str().replace('_', " ")
                ),
            },
            Evidence::DecisionTable {
                final_gravity,
                previous_convictions,
                age,
                row,
            } => {
                let mut parts = Vec::new();
                if let Some(g) = final_gravity {
                    parts.push(format!("final gravity {g}"));
                }
                if let Some(p) = previous_convictions {
                    parts.push(format!("{p} previous conviction(s)"));
                }
                if let Some(a) = age {
                    parts.push(format!("aged {a}"));
                }
                let inputs = if parts.is_empty() {
                    "no inputs known".to_owned()
                } else {
                    parts.join(", ")
                };
                match row {
                    Some(r) => format!("{inputs}: row {r} of the table applies"),
                    None => format!("{inputs}: no row applies"),
                }
            }
        }
    }
}

fn describe_exclusions(present: &str, unknown: &str, what: &str) -> String {
    match (present.is_empty(), unknown.is_empty()) {
        (true, true) => format!("none of the {what} apply"),
        (false, true) => format!("excluded: {present}"),
        (true, false) => format!("not recorded: {unknown}"),
        (false, false) => format!("excluded: {present}; also not recorded: {unknown}"),
    }
}

/// The snake_case name serde gives a unit variant.
fn serde_name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

fn snake_words(name: Option<&str>) -> String {
    name.unwrap_or("?").replace('_', " ")
}

/// A criterion's identity as the decision reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionInfo {
    pub id: String,
    pub kind: CriterionKind,
    pub text: String,
    pub source: String,
}

/// The policy identity every decision carries. Shared (one `Arc`) between the policy and all
/// its decisions, so a decision costs one reference-count increment, not twenty string copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyMeta {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub effective_from: Date,
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// `sha256:` + hex of the policy file's exact bytes.
    pub content_hash: String,
    #[serde(skip)]
    pub(super) criteria: Vec<CriterionInfo>,
}

/// A criterion's verdict with its evidence; the criterion itself is `Decision::criteria()[i]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CriterionOutcome {
    pub verdict: Verdict,
    pub evidence: Evidence,
}

/// One line of a decision: which criterion, what it found, and why.
#[derive(Debug, Clone, Copy)]
pub struct CriterionReport<'d> {
    pub criterion: &'d CriterionInfo,
    pub verdict: Verdict,
    pub evidence: &'d Evidence,
}

/// Something the decision maker should know that is not itself a criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    PolicyNotYetInForce {
        effective_from: Date,
    },
    PolicyNoLongerInForce {
        effective_to: Date,
    },
    /// The outcome this policy records on completion did not exist on the referral date.
    OutcomeCodeNotYetIntroduced {
        code: OutcomeCode,
        introduced: Date,
    },
    /// The contract was shortened to leave time to prosecute a failure.
    ContractShortened {
        nominal_end: Date,
        end: Date,
    },
}

impl Warning {
    pub fn describe(&self) -> String {
        match self {
            Warning::PolicyNotYetInForce { effective_from } => format!(
                "this policy was not yet in force on the referral date (in force from {})",
                date_in_words(*effective_from)
            ),
            Warning::PolicyNoLongerInForce { effective_to } => format!(
                "this policy was no longer in force on the referral date (in force until {})",
                date_in_words(*effective_to)
            ),
            Warning::OutcomeCodeNotYetIntroduced { code, introduced } => format!(
                "{code} was only introduced on {}",
                date_in_words(*introduced)
            ),
            Warning::ContractShortened { nominal_end, end } => format!(
                "contract shortened to end on {} instead of {} to protect the prosecution deadline",
                date_in_words(*end),
                date_in_words(*nominal_end)
            ),
        }
    }
}

/// The result of evaluating one referral under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub(super) policy: Arc<PolicyMeta>,
    pub(super) referral_date: Date,
    pub(super) outcome: Eligibility,
    pub(super) results: Vec<CriterionOutcome>,
    pub(super) contract: ContractDates,
    pub(super) warnings: Vec<Warning>,
}

impl Decision {
    pub fn policy_id(&self) -> &str {
        &self.policy.id
    }

    pub fn policy_version(&self) -> u32 {
        self.policy.version
    }

    pub fn policy_name(&self) -> &str {
        &self.policy.name
    }

    pub fn effective_from(&self) -> Date {
        self.policy.effective_from
    }

    pub fn effective_to(&self) -> Option<Date> {
        self.policy.effective_to
    }

    pub fn content_hash(&self) -> &str {
        &self.policy.content_hash
    }

    pub fn referral_date(&self) -> Date {
        self.referral_date
    }

    pub fn outcome(&self) -> Eligibility {
        self.outcome
    }

    /// Planned contract dates (start on the referral date, clamped to the prosecution deadline).
    pub fn contract(&self) -> &ContractDates {
        &self.contract
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Every criterion, in policy order.
    pub fn criteria(&self) -> impl ExactSizeIterator<Item = CriterionReport<'_>> + '_ {
        self.policy
            .criteria
            .iter()
            .zip(&self.results)
            .map(|(criterion, r)| CriterionReport {
                criterion,
                verdict: r.verdict,
                evidence: &r.evidence,
            })
    }

    /// The verdict for the criterion with this id.
    pub fn verdict(&self, criterion_id: &str) -> Option<Verdict> {
        self.criteria()
            .find(|c| c.criterion.id == criterion_id)
            .map(|c| c.verdict)
    }

    /// The prosecution deadline and contract dates in words, as the custody sergeant reads them.
    pub fn deadline_in_words(&self) -> String {
        let c = &self.contract;
        let mut text = match (c.prosecution_deadline, c.latest_end) {
            (Some(deadline), Some(latest)) => format!(
                "Summary-only offence: proceedings must start by {} (Magistrates' Courts Act 1980 s.127); \
                 allowing {} days to charge a failure, the contract must end by {}.",
                date_in_words(deadline),
                days_between(latest, deadline),
                date_in_words(latest)
            ),
            _ => "No statutory time limit on prosecution (MCA 1980 s.127 applies only to summary-only \
                  offences)."
                .to_owned(),
        };
        let _ = write!(
            text,
            " Contract: {} to {} ({} days)",
            date_in_words(c.start),
            date_in_words(c.end),
            c.length_days
        );
        if c.clamped {
            let _ = write!(text, ", shortened from {}", date_in_words(c.nominal_end));
        }
        text.push('.');
        if c.too_short {
            text.push_str(" Too little time remains for a contract.");
        }
        text
    }

    /// A readable table for `--format text`.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Policy:    {} (id {}, version {})",
            self.policy.name, self.policy.id, self.policy.version
        );
        let to = self
            .policy
            .effective_to
            .map_or_else(|| "open-ended".to_owned(), date_in_words);
        let _ = writeln!(
            out,
            "In force:  {} to {}",
            date_in_words(self.policy.effective_from),
            to
        );
        let _ = writeln!(out, "Content:   {}", self.policy.content_hash);
        let _ = writeln!(out, "Referral:  {}", date_in_words(self.referral_date));
        let _ = writeln!(
            out,
            "Outcome:   {}",
            self.outcome.as_str().replace('_', " ").to_uppercase()
        );
        let _ = writeln!(out, "Deadline:  {}", self.deadline_in_words());
        for w in &self.warnings {
            let _ = writeln!(out, "Warning:   {}", w.describe());
        }
        out.push('\n');
        let id_width = self
            .criteria()
            .map(|c| c.criterion.id.chars().count())
            .max()
            .unwrap_or(9)
            .max(9);
        let _ = writeln!(
            out,
            "{:<14}  {:<id_width$}  observed",
            "verdict", "criterion"
        );
        let _ = writeln!(out, "{:-<14}  {:-<id_width$}  {:-<40}", "", "", "");
        for c in self.criteria() {
            let _ = writeln!(
                out,
                "{:<14}  {:<id_width$}  {}",
                c.verdict.as_str(),
                c.criterion.id,
                c.evidence.describe()
            );
        }
        out
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_text())
    }
}

// The JSON form is self-contained: each criterion carries its id, text and source, evidence
// carries a plain-English `explanation`, and the deadline is given in words. Derived fields
// (`explanation`, `deadline`, `message`) are ignored when reading a decision back.

#[derive(Serialize)]
struct CriterionJsonOut<'a> {
    id: &'a str,
    kind: CriterionKind,
    text: &'a str,
    source: &'a str,
    verdict: Verdict,
    evidence: &'a Evidence,
    explanation: String,
}

#[derive(Serialize)]
struct WarningJsonOut<'a> {
    #[serde(flatten)]
    warning: &'a Warning,
    message: String,
}

#[derive(Serialize)]
struct DecisionJsonOut<'a> {
    policy: &'a PolicyMeta,
    referral_date: Date,
    outcome: Eligibility,
    criteria: Vec<CriterionJsonOut<'a>>,
    contract: &'a ContractDates,
    deadline: String,
    warnings: Vec<WarningJsonOut<'a>>,
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DecisionJsonOut {
            policy: &self.policy,
            referral_date: self.referral_date,
            outcome: self.outcome,
            criteria: self
                .criteria()
                .map(|c| CriterionJsonOut {
                    id: &c.criterion.id,
                    kind: c.criterion.kind,
                    text: &c.criterion.text,
                    source: &c.criterion.source,
                    verdict: c.verdict,
                    evidence: c.evidence,
                    explanation: c.evidence.describe(),
                })
                .collect(),
            contract: &self.contract,
            deadline: self.deadline_in_words(),
            warnings: self
                .warnings
                .iter()
                .map(|w| WarningJsonOut {
                    warning: w,
                    message: w.describe(),
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

#[derive(Deserialize)]
struct CriterionJsonIn {
    id: String,
    kind: CriterionKind,
    text: String,
    source: String,
    verdict: Verdict,
    evidence: Evidence,
}

#[derive(Deserialize)]
struct DecisionJsonIn {
    policy: PolicyMeta,
    referral_date: Date,
    outcome: Eligibility,
    criteria: Vec<CriterionJsonIn>,
    contract: ContractDates,
    #[serde(default)]
    warnings: Vec<Warning>,
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = DecisionJsonIn::deserialize(deserializer)?;
        let mut policy = json.policy;
        let mut results = Vec::with_capacity(json.criteria.len());
        for c in json.criteria {
            policy.criteria.push(CriterionInfo {
                id: c.id,
                kind: c.kind,
                text: c.text,
                source: c.source,
            });
            results.push(CriterionOutcome {
                verdict: c.verdict,
                evidence: c.evidence,
            });
        }
        Ok(Decision {
            policy: Arc::new(policy),
            referral_date: json.referral_date,
            outcome: json.outcome,
            results,
            contract: json.contract,
            warnings: json.warnings,
        })
    }
}
