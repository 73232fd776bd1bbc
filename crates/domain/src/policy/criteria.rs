//! The closed vocabulary of eligibility criteria and how each is evaluated.
//!
//! A policy file can only say what this module can evaluate: a criterion is a `kind` from
//! [`CriterionKind`] plus typed parameters (see [`Rule`]). Every rule answers met / not met /
//! unknown; "unknown" always means a fact on the referral was not recorded, never a guess.
//! A criterion with `applies_to` answers `not_applicable` for offences outside that list.

use super::decision::{
    Bound, Circumstance, Evidence, Fact, ListMode, MemberSet, OffenceFlag, Verdict,
};
use super::table::DecisionTable;
use crate::deadline::{ContractDates, DeadlineRule, add_days, add_months, days_between};
use crate::offence::{
    CultivationScale, DrugClass, ModeOfTrial, OffenceCategory, SupplyContext, VictimViews,
};
use crate::person::age_in_years;
use crate::referral::{InterviewOutcome, ParticipationResult, Referral, RiskBand};
use serde::{Deserialize, Serialize};

/// The names of the criterion kinds a policy file may use (`kind = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKind {
    MinAge,
    MaxAge,
    ResidesInForceArea,
    OffenceInForceArea,
    MaxOffenceAge,
    OffenceCategory,
    ModeOfTrial,
    InterviewOutcome,
    EvidenceSufficient,
    PreviousConvictions,
    ExcludedCircumstances,
    OffenceFlags,
    RiskBand,
    VictimViews,
    EarlierParticipation,
    Gravity,
    SupplyContext,
    CultivationScale,
    DrugClass,
    ProsecutionTimeAvailable,
    DecisionTable,
}

impl CriterionKind {
    pub fn as_str(self) -> &'static str {
        use CriterionKind::*;
        match self {
            MinAge => "min_age",
            MaxAge => "max_age",
            ResidesInForceArea => "resides_in_force_area",
            OffenceInForceArea => "offence_in_force_area",
            MaxOffenceAge => "max_offence_age",
            OffenceCategory => "offence_category",
            ModeOfTrial => "mode_of_trial",
            InterviewOutcome => "interview_outcome",
            EvidenceSufficient => "evidence_sufficient",
            PreviousConvictions => "previous_convictions",
            ExcludedCircumstances => "excluded_circumstances",
            OffenceFlags => "offence_flags",
            RiskBand => "risk_band",
            VictimViews => "victim_views",
            EarlierParticipation => "earlier_participation",
            Gravity => "gravity",
            SupplyContext => "supply_context",
            CultivationScale => "cultivation_scale",
            DrugClass => "drug_class",
            ProsecutionTimeAvailable => "prosecution_time_available",
            DecisionTable => "decision_table",
        }
    }
}

/// A set of offence categories as a bit mask (21 categories fit a `u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "Vec<OffenceCategory>", into = "Vec<OffenceCategory>")]
pub struct CategorySet(u32);

impl CategorySet {
    pub fn contains(self, category: OffenceCategory) -> bool {
        self.0 & (1 << category as u32) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = OffenceCategory> {
        OffenceCategory::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<OffenceCategory> for CategorySet {
    fn from_iter<I: IntoIterator<Item = OffenceCategory>>(iter: I) -> Self {
        CategorySet(iter.into_iter().fold(0, |bits, c| bits | 1 << c as u32))
    }
}

impl From<Vec<OffenceCategory>> for CategorySet {
    fn from(v: Vec<OffenceCategory>) -> Self {
        v.into_iter().collect()
    }
}

impl From<CategorySet> for Vec<OffenceCategory> {
    fn from(s: CategorySet) -> Self {
        s.iter().collect()
    }
}

/// How old an offence may be on the referral date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceAgeLimit {
    /// Younger than this many calendar months (month arithmetic clamps to month end).
    Months(u16),
    Days(u16),
}

/// A criterion's typed rule. Parameter meanings are documented on each variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Age on the referral date is at least `years`.
    MinAge {
        years: u8,
    },
    /// Age on the referral date is at most `years` (inclusive: `17` admits 17-year-olds).
    MaxAge {
        years: u8,
    },
    ResidesInForceArea,
    OffenceInForceArea,
    /// The offence is younger than the limit on the referral date.
    MaxOffenceAge {
        limit: OffenceAgeLimit,
    },
    /// Include list: category must be listed. Exclude list: category must not be listed.
    OffenceCategory {
        mode: ListMode,
        categories: CategorySet,
    },
    ModeOfTrial {
        allowed: Vec<ModeOfTrial>,
    },
    InterviewOutcome {
        allowed: Vec<InterviewOutcome>,
    },
    EvidenceSufficient,
    PreviousConvictions {
        fewer_than: u32,
    },
    /// Not met if any listed circumstance is true; unknown if any is unrecorded and none true.
    ExcludedCircumstances {
        circumstances: Vec<Circumstance>,
    },
    /// Each listed flag must be false.
    OffenceFlags {
        flags: Vec<OffenceFlag>,
    },
    RiskBand {
        allowed: Vec<RiskBand>,
    },
    /// Not met when the victim's views are listed. `not_yet_sought` is unknown unless listed.
    VictimViews {
        excluded: Vec<VictimViews>,
    },
    /// Not met when an earlier episode ended in one of `results`, optionally only on the listed
    /// schemes and within the last `within_years`.
    EarlierParticipation {
        results: Vec<ParticipationResult>,
        schemes: Option<Vec<String>>,
        within_years: Option<u8>,
    },
    /// Final gravity score at most `max_final`.
    Gravity {
        max_final: u8,
    },
    SupplyContext {
        allowed: Vec<SupplyContext>,
    },
    CultivationScale {
        allowed: Vec<CultivationScale>,
    },
    DrugClass {
        allowed: Vec<DrugClass>,
    },
    /// A contract planned from the referral date under the policy's deadline rule is not too short.
    ProsecutionTimeAvailable,
    DecisionTable {
        table: DecisionTable,
    },
}

/// One criterion of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub id: String,
    pub text: String,
    pub source: String,
    /// When set, the criterion only applies to offences in these categories.
    pub applies_to: Option<CategorySet>,
    pub rule: Rule,
}

/// What every rule may look at: the referral and the contract planned for it.
pub(super) struct Facts<'a> {
    pub referral: &'a Referral,
    pub contract: &'a ContractDates,
    pub deadline_rule: DeadlineRule,
}

impl Criterion {
    pub fn kind(&self) -> CriterionKind {
        self.rule.kind()
    }

    pub(super) fn evaluate(&self, facts: &Facts<'_>) -> (Verdict, Evidence) {
        let category = facts.referral.offence.category;
        if let Some(scope) = self.applies_to
            && !scope.contains(category)
        {
            return (Verdict::NotApplicable, Evidence::OutsideScope { category });
        }
        self.rule.evaluate(facts)
    }
}

fn yes_no(
    value: Option<bool>,
    fact: Fact,
    evidence: impl FnOnce(bool) -> Evidence,
) -> (Verdict, Evidence) {
    match value {
        None => (Verdict::Unknown, Evidence::Missing { fact }),
        Some(v) => (met_if(v), evidence(v)),
    }
}

fn met_if(condition: bool) -> Verdict {
    if condition {
        Verdict::Met
    } else {
        Verdict::NotMet
    }
}

/// Met when the recorded value is allowed; unknown when it was not recorded.
fn one_of<T: PartialEq + Copy>(
    value: Option<T>,
    allowed: &[T],
    fact: Fact,
    evidence: impl FnOnce(T) -> Evidence,
) -> (Verdict, Evidence) {
    match value {
        None => (Verdict::Unknown, Evidence::Missing { fact }),
        Some(v) => (met_if(allowed.contains(&v)), evidence(v)),
    }
}

/// Not met if any listed flag is true; unknown if any is unrecorded and none is true.
fn none_true<T: super::decision::SetMember + PartialEq>(
    listed: &[T],
    value_of: impl Fn(T) -> Option<bool>,
) -> (Verdict, MemberSet<T>, MemberSet<T>) {
    let mut present = MemberSet::EMPTY;
    let mut unknown = MemberSet::EMPTY;
    for &item in listed {
        match value_of(item) {
            Some(true) => present.insert(item),
            None => unknown.insert(item),
            Some(false) => {}
        }
    }
    let verdict = if !present.is_empty() {
        Verdict::NotMet
    } else if !unknown.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Met
    };
    (verdict, present, unknown)
}

impl Rule {
    pub fn kind(&self) -> CriterionKind {
        match self {
            Rule::MinAge { .. } => CriterionKind::MinAge,
            Rule::MaxAge { .. } => CriterionKind::MaxAge,
            Rule::ResidesInForceArea => CriterionKind::ResidesInForceArea,
            Rule::OffenceInForceArea => CriterionKind::OffenceInForceArea,
            Rule::MaxOffenceAge { .. } => CriterionKind::MaxOffenceAge,
            Rule::OffenceCategory { .. } => CriterionKind::OffenceCategory,
            Rule::ModeOfTrial { .. } => CriterionKind::ModeOfTrial,
            Rule::InterviewOutcome { .. } => CriterionKind::InterviewOutcome,
            Rule::EvidenceSufficient => CriterionKind::EvidenceSufficient,
            Rule::PreviousConvictions { .. } => CriterionKind::PreviousConvictions,
            Rule::ExcludedCircumstances { .. } => CriterionKind::ExcludedCircumstances,
            Rule::OffenceFlags { .. } => CriterionKind::OffenceFlags,
            Rule::RiskBand { .. } => CriterionKind::RiskBand,
            Rule::VictimViews { .. } => CriterionKind::VictimViews,
            Rule::EarlierParticipation { .. } => CriterionKind::EarlierParticipation,
            Rule::Gravity { .. } => CriterionKind::Gravity,
            Rule::SupplyContext { .. } => CriterionKind::SupplyContext,
            Rule::CultivationScale { .. } => CriterionKind::CultivationScale,
            Rule::DrugClass { .. } => CriterionKind::DrugClass,
            Rule::ProsecutionTimeAvailable => CriterionKind::ProsecutionTimeAvailable,
            Rule::DecisionTable { .. } => CriterionKind::DecisionTable,
        }
    }

    pub(super) fn evaluate(&self, facts: &Facts<'_>) -> (Verdict, Evidence) {
        let referral = facts.referral;
        let offence = &referral.offence;
        match self {
            Rule::MinAge { years } | Rule::MaxAge { years } => {
                let dob = referral.person.date_of_birth;
                let age = age_in_years(dob, referral.referral_date);
                let (bound, ok) = match self {
                    Rule::MinAge { .. } => (Bound::Minimum, age >= i32::from(*years)),
                    _ => (Bound::Maximum, age <= i32::from(*years)),
                };
                (
                    met_if(ok),
                    Evidence::Age {
                        age,
                        date_of_birth: dob,
                        bound,
                        limit: *years,
                    },
                )
            }
            Rule::ResidesInForceArea => yes_no(
                referral.person.resides_in_force_area,
                Fact::ResidesInForceArea,
                |v| Evidence::Residence { in_force_area: v },
            ),
            Rule::OffenceInForceArea => yes_no(
                offence.committed_in_force_area,
                Fact::OffenceCommittedInForceArea,
                |v| Evidence::OffenceLocation { in_force_area: v },
            ),
            Rule::MaxOffenceAge { limit } => {
                let too_old_from = match *limit {
                    OffenceAgeLimit::Months(m) => add_months(offence.offence_date, i32::from(m)),
                    OffenceAgeLimit::Days(d) => add_days(offence.offence_date, i32::from(d)),
                };
                let evidence = Evidence::OffenceAge {
                    offence_date: offence.offence_date,
                    days_old: days_between(offence.offence_date, referral.referral_date),
                    too_old_from,
                };
                (met_if(referral.referral_date < too_old_from), evidence)
            }
            Rule::OffenceCategory { mode, categories } => {
                let listed = categories.contains(offence.category);
                let ok = match mode {
                    ListMode::Include => listed,
                    ListMode::Exclude => !listed,
                };
                (
                    met_if(ok),
                    Evidence::OffenceCategory {
                        category: offence.category,
                        list: *mode,
                        listed,
                    },
                )
            }
            Rule::ModeOfTrial { allowed } => {
                let mode = offence.mode_of_trial;
                (
                    met_if(allowed.contains(&mode)),
                    Evidence::ModeOfTrial { mode },
                )
            }
            Rule::InterviewOutcome { allowed } => {
                one_of(referral.interview, allowed, Fact::Interview, |outcome| {
                    Evidence::Interview { outcome }
                })
            }
            Rule::EvidenceSufficient => yes_no(
                referral.evidence_sufficient_to_charge,
                Fact::EvidenceSufficientToCharge,
                |v| Evidence::EvidenceToCharge { sufficient: v },
            ),
            Rule::PreviousConvictions { fewer_than } => match referral.previous_convictions {
                None => (
                    Verdict::Unknown,
                    Evidence::Missing {
                        fact: Fact::PreviousConvictions,
                    },
                ),
                Some(count) => (
                    met_if(count < *fewer_than),
                    Evidence::PreviousConvictions {
                        count,
                        fewer_than: *fewer_than,
                    },
                ),
            },
            Rule::ExcludedCircumstances { circumstances } => {
                let c = &referral.circumstances;
                let (verdict, present, unknown) = none_true(circumstances, |item| match item {
                    Circumstance::DetainedForCourt => c.detained_for_court,
                    Circumstance::DetainedUnderMentalHealthAct => {
                        c.detained_under_mental_health_act
                    }
                    Circumstance::SubjectToCourtOrder => c.subject_to_court_order,
                    Circumstance::OnBailForOtherMatters => c.on_bail_for_other_matters,
                    Circumstance::UnderStatutorySupervision => c.under_statutory_supervision,
                    Circumstance::CoAccused => c.co_accused,
                });
                (verdict, Evidence::Circumstances { present, unknown })
            }
            Rule::OffenceFlags { flags } => {
                let (verdict, present, unknown) = none_true(flags, |flag| match flag {
                    OffenceFlag::HateCrime => offence.hate_crime,
                    OffenceFlag::DomesticRelated => offence.domestic_related,
                });
                (verdict, Evidence::OffenceFlags { present, unknown })
            }
            Rule::RiskBand { allowed } => one_of(
                referral.risk.as_ref().map(|r| r.band),
                allowed,
                Fact::RiskBand,
                |band| Evidence::RiskBand { band },
            ),
            Rule::VictimViews { excluded } => match offence.victim.as_ref().map(|v| v.views) {
                None => (
                    Verdict::Unknown,
                    Evidence::Missing {
                        fact: Fact::VictimViews,
                    },
                ),
                Some(views) if excluded.contains(&views) => {
                    (Verdict::NotMet, Evidence::VictimViews { views })
                }
                Some(VictimViews::NotYetSought) => (
                    Verdict::Unknown,
                    Evidence::VictimViews {
                        views: VictimViews::NotYetSought,
                    },
                ),
                Some(views) => (Verdict::Met, Evidence::VictimViews { views }),
            },
            Rule::EarlierParticipation {
                results,
                schemes,
                within_years,
            } => {
                let Some(history) = &referral.earlier_participation else {
                    return (
                        Verdict::Unknown,
                        Evidence::Missing {
                            fact: Fact::EarlierParticipation,
                        },
                    );
                };
                let since =
                    within_years.map(|y| add_months(referral.referral_date, -12 * i32::from(y)));
                let mut matching = 0u32;
                let mut latest = None;
                for episode in history {
                    let counts = results.contains(&episode.result)
                        && schemes.as_ref().is_none_or(|s| s.contains(&episode.scheme))
                        && since.is_none_or(|since| episode.date >= since);
                    if counts {
                        matching += 1;
                        if latest.as_ref().is_none_or(
                            |l: &&crate::referral::EarlierParticipation| l.date < episode.date,
                        ) {
                            latest = Some(episode);
                        }
                    }
                }
                (
                    met_if(matching == 0),
                    Evidence::EarlierParticipation {
                        matching,
                        latest: latest.cloned(),
                    },
                )
            }
            Rule::Gravity { max_final } => match &offence.gravity {
                None => (
                    Verdict::Unknown,
                    Evidence::Missing {
                        fact: Fact::Gravity,
                    },
                ),
                Some(g) => {
                    let final_score = g.final_score().get();
                    (
                        met_if(final_score <= *max_final),
                        Evidence::Gravity {
                            base: g.base.get(),
                            aggravating: g.aggravating,
                            mitigating: g.mitigating,
                            final_score,
                            max_final: *max_final,
                        },
                    )
                }
            },
            Rule::SupplyContext { allowed } => one_of(
                offence.supply_context,
                allowed,
                Fact::SupplyContext,
                |context| Evidence::SupplyContext { context },
            ),
            Rule::CultivationScale { allowed } => one_of(
                offence.cultivation_scale,
                allowed,
                Fact::CultivationScale,
                |scale| Evidence::CultivationScale { scale },
            ),
            Rule::DrugClass { allowed } => {
                one_of(offence.drug_class, allowed, Fact::DrugClass, |class| {
                    Evidence::DrugClass { class }
                })
            }
            Rule::ProsecutionTimeAvailable => {
                let c = facts.contract;
                (
                    met_if(!c.too_short),
                    Evidence::ProsecutionTime {
                        mode: offence.mode_of_trial,
                        deadline: c.prosecution_deadline,
                        latest_end: c.latest_end,
                        end: c.end,
                        length_days: c.length_days,
                        minimum_days: facts.deadline_rule.minimum_contract_days,
                    },
                )
            }
            Rule::DecisionTable { table } => table.evaluate(referral),
        }
    }
}
