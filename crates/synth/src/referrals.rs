//! Building the custody referral for a planned screening outcome.
//!
//! The generator decides first what the screening *should* find (eligible, ineligible for a
//! named reason, or missing information), then writes a referral whose facts lead there under
//! the shipped policy. In the database path the real policy engine decides; the test
//! `tests/it/policy_agreement.rs` checks the two agree.

use crate::area::CUSTODY_PREFIX;
use crate::offences::{self, OffenceTemplate};
use crate::people::SynthPerson;
use crate::rng::Rng;
use crate::schemes::Scheme;
use crate::time::plus_days;
use checkpoint_domain::offence::{
    CultivationScale, GravityAssessment, ModeOfTrial, Offence, OffenceCategory, SupplyContext,
    Victim, VictimViews,
};
use checkpoint_domain::person::{PersonDetails, age_in_years};
use checkpoint_domain::referral::{
    Circumstances, EarlierParticipation, InterviewOutcome, Referral, RiskAssessment, RiskBand,
    Vulnerability,
};
use jiff::civil::Date;

/// What the screening should find, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlannedScreening {
    Eligible,
    Ineligible(IneligibleReason),
    /// A fact the policy needs is missing; it is supplied and the referral screened again.
    NeedsInformation,
}

impl PlannedScreening {
    pub fn as_str(self) -> &'static str {
        match self {
            PlannedScreening::Eligible => "eligible",
            PlannedScreening::Ineligible(_) => "ineligible",
            PlannedScreening::NeedsInformation => "needs_information",
        }
    }
}

/// The one fact that makes a referral ineligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IneligibleReason {
    Under18,
    LivesOutsideForceArea,
    OffenceNotOnList,
    OffenceTooOld,
    DeniedInInterview,
    PreviousConvictions,
    HighGravity,
    RiskBandNotModerate,
    ExcludingCircumstance,
    DomesticOrHate,
    EarlierParticipation,
}

impl IneligibleReason {
    pub fn as_str(self) -> &'static str {
        use IneligibleReason::*;
        match self {
            Under18 => "under_18",
            LivesOutsideForceArea => "lives_outside_force_area",
            OffenceNotOnList => "offence_not_on_list",
            OffenceTooOld => "offence_too_old",
            DeniedInInterview => "denied_in_interview",
            PreviousConvictions => "previous_convictions",
            HighGravity => "high_gravity",
            RiskBandNotModerate => "risk_band_not_moderate",
            ExcludingCircumstance => "excluding_circumstance",
            DomesticOrHate => "domestic_or_hate",
            EarlierParticipation => "earlier_participation",
        }
    }
}

/// The reasons a scheme's policy can turn a referral away, with how often we pick each.
fn reasons_for(scheme: Scheme) -> &'static [(IneligibleReason, f64)] {
    use IneligibleReason::*;
    match scheme {
        Scheme::Checkpoint => &[
            (OffenceNotOnList, 15.0),
            (DeniedInInterview, 15.0),
            (PreviousConvictions, 25.0),
            (HighGravity, 5.0),
            (RiskBandNotModerate, 20.0),
            (ExcludingCircumstance, 10.0),
            (DomesticOrHate, 6.0),
            (OffenceTooOld, 4.0),
        ],
        Scheme::Divert => &[
            (OffenceNotOnList, 40.0),
            (DeniedInInterview, 40.0),
            (EarlierParticipation, 20.0),
        ],
        Scheme::DrugEducation => &[(OffenceNotOnList, 50.0), (EarlierParticipation, 50.0)],
    }
}

/// Decides what screening should find for this person on this scheme.
pub fn plan_screening(
    rng: &mut Rng,
    scheme: Scheme,
    person: &SynthPerson,
    referral_date: Date,
    earlier: &[EarlierParticipation],
) -> PlannedScreening {
    use IneligibleReason::*;
    // Facts about the person decide before any planning does.
    if age_in_years(person.date_of_birth, referral_date) < 18 {
        return PlannedScreening::Ineligible(Under18);
    }
    if scheme == Scheme::Checkpoint && !person.resides_in_force_area {
        return PlannedScreening::Ineligible(LivesOutsideForceArea);
    }
    if scheme == Scheme::DrugEducation && earlier.iter().any(|e| e.scheme == scheme.policy_id()) {
        return PlannedScreening::Ineligible(EarlierParticipation);
    }
    match rng.weighted(&scheme.screening_mix()) {
        0 => PlannedScreening::Eligible,
        1 => PlannedScreening::Ineligible(*rng.weighted_pick(reasons_for(scheme))),
        _ => PlannedScreening::NeedsInformation,
    }
}

fn pick_offence(rng: &mut Rng, scheme: Scheme, plan: PlannedScreening) -> OffenceTemplate {
    let want_excluded = plan == PlannedScreening::Ineligible(IneligibleReason::OffenceNotOnList);
    let admitted = |o: &OffenceTemplate| match scheme {
        Scheme::Checkpoint => offences::durham_admits(o.category),
        Scheme::Divert | Scheme::DrugEducation => o.category == OffenceCategory::DrugPossession,
    };
    for _ in 0..64 {
        let o = *offences::pick(rng, scheme.offences());
        if admitted(&o) != want_excluded {
            return o;
        }
    }
    // Unreachable in practice: every list has both kinds.
    *offences::pick(rng, scheme.offences())
}

/// Previous convictions for an eligible Checkpoint referral: about half of trial participants
/// had none (Guardian 2020, domain.md §1); the 2017 policy admits at most two.
fn few_convictions(rng: &mut Rng) -> u32 {
    *rng.weighted_pick(&[(0u32, 52.0), (1, 30.0), (2, 18.0)])
}

fn many_convictions(rng: &mut Rng) -> u32 {
    // Some arrestees have long records (up to 52 arrests, domain.md §1).
    3 + rng.geometric(4.0).min(45)
}

fn vulnerabilities(rng: &mut Rng) -> Vec<Vulnerability> {
    use Vulnerability::*;
    let mut found = Vec::new();
    for (v, p) in [
        (Alcohol, 0.25),
        (SubstanceMisuse, 0.22),
        (MentalHealth, 0.25),
        (Homelessness, 0.06),
        (Exploitation, 0.03),
        (LearningDisability, 0.04),
        (CareLeaver, 0.04),
        (DomesticAbuseVictim, 0.04),
    ] {
        if rng.chance(p) {
            found.push(v);
        }
    }
    found
}

/// The referral for `person` on `referral_date` under `scheme`, written so `plan` is what the
/// shipped policy finds.
#[allow(clippy::too_many_arguments)]
pub fn build(
    rng: &mut Rng,
    case_index: u64,
    scheme: Scheme,
    person: &SynthPerson,
    referral_date: Date,
    plan: PlannedScreening,
    mut earlier: Vec<EarlierParticipation>,
) -> Referral {
    use IneligibleReason::*;
    if plan == PlannedScreening::Ineligible(EarlierParticipation)
        && !earlier.iter().any(|e| e.scheme == scheme.policy_id())
    {
        // An episode from before the generated period: a DIVERT referral that never engaged
        // (not offered again), or any earlier DEP offer (one time only).
        let date = plus_days(referral_date, -rng.between(60, 900)).max(scheme.starts());
        earlier.push(checkpoint_domain::referral::EarlierParticipation {
            scheme: scheme.policy_id().to_owned(),
            date: date.min(referral_date),
            result: checkpoint_domain::referral::ParticipationResult::NotEngaged,
        });
    }
    let template = pick_offence(rng, scheme, plan);
    let days_ago = if plan == PlannedScreening::Ineligible(OffenceTooOld) {
        rng.between(95, 140)
    } else {
        *rng.weighted_pick(&[(0i64, 60.0), (1, 25.0), (2, 8.0), (7, 4.0), (14, 3.0)])
    };
    let offence_date = plus_days(referral_date, -days_ago).max(person.date_of_birth);

    let mut gravity = GravityAssessment {
        base: checkpoint_domain::offence::Gravity::new(template.base_gravity)
            .unwrap_or(checkpoint_domain::offence::Gravity::MIN),
        aggravating: false,
        mitigating: rng.chance(0.2),
    };
    if plan == PlannedScreening::Ineligible(HighGravity) {
        gravity.base = checkpoint_domain::offence::Gravity::new(3.max(template.base_gravity))
            .unwrap_or(checkpoint_domain::offence::Gravity::MAX);
        gravity.aggravating = true;
        gravity.mitigating = false;
    } else if gravity.final_score().get() >= 4 && plan == PlannedScreening::Eligible {
        gravity.mitigating = true;
    }

    let category = template.category;
    let cultivation_scale =
        (category == OffenceCategory::CannabisCultivation).then_some(CultivationScale::Small);
    let supply_context = (category == OffenceCategory::DrugSupply).then(|| {
        if scheme == Scheme::Checkpoint && plan == PlannedScreening::Eligible {
            *rng.pick(&[
                SupplyContext::Vulnerable,
                SupplyContext::Coerced,
                SupplyContext::FundingOwnUse,
            ])
        } else {
            *rng.pick(&[SupplyContext::SocialSupply, SupplyContext::Commercial])
        }
    });
    let victim = template.has_victim.then(|| {
        let views = *rng.weighted_pick(&[
            (VictimViews::Supports, 25.0),
            (VictimViews::NoObjection, 45.0),
            (VictimViews::Opposes, 10.0),
            (VictimViews::NotYetSought, 20.0),
        ]);
        Victim {
            views,
            wants_restorative_justice: Some(rng.chance(0.3)),
        }
    });
    let offence = Offence {
        category,
        home_office_code: Some(template.home_office_code.to_owned()),
        description: template.description.to_owned(),
        offence_date,
        committed_in_force_area: Some(true),
        mode_of_trial: template.mode_of_trial,
        gravity: Some(gravity),
        drug_class: None,
        cultivation_scale,
        supply_context,
        hate_crime: Some(plan == PlannedScreening::Ineligible(DomesticOrHate) && rng.chance(0.3)),
        domestic_related: Some(false),
        victim,
    };
    let mut offence = offence;
    if plan == PlannedScreening::Ineligible(DomesticOrHate) && offence.hate_crime != Some(true) {
        offence.domestic_related = Some(true);
    }

    let interview = if plan == PlannedScreening::Ineligible(DeniedInInterview) {
        InterviewOutcome::Denied
    } else if scheme == Scheme::Checkpoint && rng.chance(0.2) {
        InterviewOutcome::NoReply
    } else {
        InterviewOutcome::Admitted
    };
    let previous_convictions = if plan == PlannedScreening::Ineligible(PreviousConvictions) {
        many_convictions(rng)
    } else if scheme == Scheme::Checkpoint {
        few_convictions(rng)
    } else {
        // The drug schemes do not look at history; give a realistic spread.
        *rng.weighted_pick(&[(0u32, 50.0), (1, 20.0), (2, 10.0), (5, 20.0)])
    };
    let band = if plan == PlannedScreening::Ineligible(RiskBandNotModerate) {
        if rng.chance(0.6) {
            RiskBand::High
        } else {
            RiskBand::Low
        }
    } else if scheme == Scheme::Checkpoint {
        RiskBand::Moderate
    } else {
        *rng.pick(&[RiskBand::Low, RiskBand::Moderate, RiskBand::High])
    };
    // The officer agrees with the tool most of the time (HART was built to err towards
    // moderate or high, domain.md §2).
    let officer_band = if rng.chance(0.8) {
        band
    } else {
        *rng.pick(&[RiskBand::Low, RiskBand::Moderate, RiskBand::High])
    };
    let mut circumstances = Circumstances {
        detained_for_court: Some(false),
        detained_under_mental_health_act: Some(false),
        subject_to_court_order: Some(false),
        on_bail_for_other_matters: Some(false),
        under_statutory_supervision: Some(false),
        co_accused: Some(false),
    };
    if plan == PlannedScreening::Ineligible(ExcludingCircumstance) {
        match rng.below(4) {
            0 => circumstances.on_bail_for_other_matters = Some(true),
            1 => circumstances.subject_to_court_order = Some(true),
            2 => circumstances.co_accused = Some(true),
            _ => circumstances.under_statutory_supervision = Some(true),
        }
    }

    let mut referral = Referral {
        referral_date,
        custody_reference: Some(format!(
            "{CUSTODY_PREFIX}/{}/{:06}",
            referral_date.year(),
            case_index % 1_000_000
        )),
        person: PersonDetails {
            given_name: person.given_name.clone(),
            family_name: person.family_name.clone(),
            date_of_birth: person.date_of_birth,
            sex: person.sex,
            ethnicity_self_defined: Some(person.ethnicity),
            ethnicity_officer_observed: person.officer_observed,
            postcode: Some(person.postcode.clone()),
            pnc_id: Some(person.pnc_id.clone()),
            resides_in_force_area: Some(person.resides_in_force_area),
        },
        offence,
        interview: Some(interview),
        evidence_sufficient_to_charge: Some(true),
        previous_convictions: Some(previous_convictions),
        circumstances,
        risk: Some(RiskAssessment {
            tool: "HART 2".to_owned(),
            band,
            officer_band: Some(officer_band),
        }),
        vulnerabilities: Some(vulnerabilities(rng)),
        earlier_participation: Some(earlier),
    };
    if plan == PlannedScreening::NeedsInformation {
        withhold_information(rng, scheme, &mut referral);
    }
    referral
}

/// Removes one fact the scheme's policy needs, so screening answers "needs information".
fn withhold_information(rng: &mut Rng, scheme: Scheme, referral: &mut Referral) {
    match scheme {
        Scheme::Checkpoint => match rng.below(3) {
            0 => referral.risk = None,
            1 => referral.previous_convictions = None,
            _ => referral.circumstances.co_accused = None,
        },
        Scheme::Divert => referral.interview = None,
        Scheme::DrugEducation => referral.evidence_sufficient_to_charge = None,
    }
}

/// The referral with the missing fact supplied: `eligible` decides whether the supplied fact
/// admits the person or turns them away.
pub fn complete_information(scheme: Scheme, referral: &Referral, eligible: bool) -> Referral {
    let mut done = referral.clone();
    match scheme {
        Scheme::Checkpoint => {
            if done.risk.is_none() {
                done.risk = Some(RiskAssessment {
                    tool: "HART 2".to_owned(),
                    band: if eligible {
                        RiskBand::Moderate
                    } else {
                        RiskBand::High
                    },
                    officer_band: None,
                });
            } else if done.previous_convictions.is_none() {
                done.previous_convictions = Some(if eligible { 1 } else { 6 });
            } else {
                done.circumstances.co_accused = Some(!eligible);
            }
        }
        Scheme::Divert => {
            done.interview = Some(if eligible {
                InterviewOutcome::Admitted
            } else {
                InterviewOutcome::Denied
            });
        }
        Scheme::DrugEducation => done.evidence_sufficient_to_charge = Some(eligible),
    }
    done
}

/// Whether a summary-only offence's s.127 deadline has passed by `on` (a failed case then
/// closes as Outcome 17 instead of being prosecuted).
pub fn past_time_limit(referral: &Referral, on: Date) -> bool {
    referral.offence.mode_of_trial == ModeOfTrial::SummaryOnly
        && checkpoint_domain::deadline::prosecution_deadline(
            ModeOfTrial::SummaryOnly,
            referral.offence.offence_date,
        )
        .is_some_and(|deadline| on > deadline)
}
