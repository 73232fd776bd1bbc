//! The schemes Ridgedale runs, as the generator sees them: which shipped policy decides, when
//! it starts, how long a contract runs, which conditions its catalogue offers, and the rates
//! that shape a case. Every rate is here, with its source in domain.md or marked as ours.

use crate::offences::{self, OffenceTemplate};
use checkpoint_domain::contract::Pathway;
use checkpoint_domain::deadline::{ContractLength, DeadlineRule};
use jiff::civil::{Date, date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Deferred prosecution under the shipped Durham Checkpoint policy.
    Checkpoint,
    /// Drug possession diversion under the shipped West Midlands DIVERT policy.
    Divert,
    /// One-time drug education under the shipped Avon & Somerset DEP policy.
    DrugEducation,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [Scheme::Checkpoint, Scheme::Divert, Scheme::DrugEducation];

    /// The policy id in `policies/`.
    pub fn policy_id(self) -> &'static str {
        match self {
            Scheme::Checkpoint => "durham-checkpoint",
            Scheme::Divert => "west-midlands-divert",
            Scheme::DrugEducation => "avon-somerset-dep",
        }
    }

    pub fn from_policy_id(id: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.policy_id() == id)
    }

    /// The first day the shipped policy is in force.
    pub fn starts(self) -> Date {
        match self {
            Scheme::Checkpoint => date(2015, 4, 1),
            Scheme::Divert => date(2020, 10, 1),
            Scheme::DrugEducation => date(2019, 4, 1),
        }
    }

    /// Share of custody referrals, among the schemes in force on the day.
    pub fn referral_weight(self) -> f64 {
        match self {
            Scheme::Checkpoint => 70.0,
            Scheme::Divert => 15.0,
            Scheme::DrugEducation => 15.0,
        }
    }

    pub fn offences(self) -> &'static [OffenceTemplate] {
        match self {
            Scheme::Checkpoint => offences::CHECKPOINT_OFFENCES,
            Scheme::Divert | Scheme::DrugEducation => offences::DRUG_OFFENCES,
        }
    }

    /// Contract length and deadline rule, as in the shipped policy files.
    pub fn contract(self) -> (ContractLength, DeadlineRule) {
        match self {
            Scheme::Checkpoint => (
                ContractLength::Months(4),
                DeadlineRule {
                    margin_days: 14,
                    minimum_contract_days: 28,
                },
            ),
            Scheme::Divert => (
                ContractLength::Weeks(8),
                DeadlineRule {
                    margin_days: 0,
                    minimum_contract_days: 7,
                },
            ),
            Scheme::DrugEducation => (
                ContractLength::Weeks(12),
                DeadlineRule {
                    margin_days: 14,
                    minimum_contract_days: 14,
                },
            ),
        }
    }

    /// The mandatory condition of the scheme's catalogue.
    pub fn mandatory_condition(self) -> &'static str {
        match self {
            Scheme::Checkpoint => "no_reoffending",
            Scheme::Divert => "drug_assessment",
            Scheme::DrugEducation => "drug_education_session",
        }
    }

    /// The catalogue's pathway interventions (condition id, pathway).
    pub fn pathway_conditions(self) -> &'static [(&'static str, Pathway)] {
        match self {
            Scheme::Checkpoint => &[
                ("alcohol_intervention", Pathway::Alcohol),
                ("drug_intervention", Pathway::Drugs),
                ("mental_health_support", Pathway::MentalHealth),
                ("housing_support", Pathway::Housing),
            ],
            Scheme::Divert => &[("drug_intervention", Pathway::Drugs)],
            Scheme::DrugEducation => &[],
        }
    }

    pub fn max_conditions(self) -> usize {
        match self {
            Scheme::Checkpoint => 5,
            Scheme::Divert => 2,
            Scheme::DrugEducation => 1,
        }
    }

    /// Share of referrals the generator plans as eligible / ineligible / needing information.
    /// Not published for any scheme; chosen so the funnel has every branch in volume.
    pub fn screening_mix(self) -> [f64; 3] {
        match self {
            Scheme::Checkpoint => [55.0, 40.0, 5.0],
            Scheme::Divert | Scheme::DrugEducation => [75.0, 20.0, 5.0],
        }
    }

    /// Probability that an offer is accepted (and, for the drug schemes, taken up).
    /// Drug schemes: Thames Valley found 55% of eligible people did not engage (domain.md §3),
    /// so 45%. Checkpoint: no published figure; we assume most accept a deferred prosecution
    /// over a charge (88%).
    pub fn acceptance(self) -> f64 {
        match self {
            Scheme::Checkpoint => 0.88,
            Scheme::Divert | Scheme::DrugEducation => 0.45,
        }
    }

    /// Share of participants (not reoffending in the contract) who fail for non-compliance:
    /// Checkpoint's rate is chosen with [`rates::WITHDRAWAL`] so completion lands near 86%;
    /// the drug schemes lose more at a single session (our assumption).
    pub fn non_compliance_failure(self) -> f64 {
        match self {
            Scheme::Checkpoint => rates::NON_COMPLIANCE_FAILURE,
            Scheme::Divert => 0.10,
            Scheme::DrugEducation => 0.12,
        }
    }

    /// Days after the contract starts on which appointments fall: weekly for a month, then
    /// fortnightly (Checkpoint); an assessment and sessions (DIVERT); one session (DEP).
    pub fn appointment_days(self) -> &'static [i64] {
        match self {
            Scheme::Checkpoint => &[2, 9, 16, 23, 30, 44, 58, 72, 86, 100, 114],
            Scheme::Divert => &[4, 18, 32, 46],
            Scheme::DrugEducation => &[14],
        }
    }

    /// Reoffending of participants: (months, cumulative probability of a first reoffence
    /// by then, measured from contract start).
    /// Checkpoint: 35% at 24 months (Goldstein application, domain.md §1 and §10).
    /// DIVERT: 87% did not reoffend within 6 months (Cranstoun 2021, domain.md §3).
    /// DEP: no figure; we use Checkpoint's.
    pub fn participant_reoffending(self) -> (f64, f64) {
        match self {
            Scheme::Checkpoint | Scheme::DrugEducation => (24.0, 0.35),
            Scheme::Divert => (6.0, 0.13),
        }
    }
}

/// Rates that do not depend on the scheme.
pub mod rates {
    /// Reoffending of people not diverted (declined, ineligible, trial controls): 48% at 24
    /// months, the Checkpoint trial's control figure (Goldstein application, domain.md §1).
    pub const USUAL_PROCESS_24M: f64 = 0.48;
    /// Share of participants who reoffend during a four-month contract: 5.6% of 1,667
    /// (Goldstein application, domain.md §1). The hazard inside the contract is set to give
    /// this; the hazard afterwards is set so the 24-month figure still holds.
    pub const IN_CONTRACT: f64 = 0.056;
    /// Contract length those 5.6% refer to (Durham's four months).
    pub const IN_CONTRACT_MONTHS: f64 = 4.0;
    /// Share of re-arrests that end in a proven outcome (conviction, caution, out-of-court
    /// resolution). Our assumption; proven reoffending is what the MoJ counts (domain.md §8).
    pub const PROVEN_SHARE: f64 = 0.7;
    /// After a first reoffence, further ones come faster (a small prolific group); the extra
    /// count is geometric with this mean. Our assumption.
    pub const EXTRA_REOFFENCES_MEAN: f64 = 0.8;
    /// Of participants who do not reoffend in the contract: failing for non-compliance and
    /// withdrawing. Not published; chosen so completion lands near 86%, consistent with Durham's
    /// ~2,500 completions among ~2,660 participants reported by 2019–2020 (domain.md §1).
    pub const NON_COMPLIANCE_FAILURE: f64 = 0.045;
    pub const WITHDRAWAL: f64 = 0.035;
    /// A non-compliance review that ends with the contract resumed (a reasonable excuse).
    pub const REVIEW_THEN_RESUME: f64 = 0.08;
    /// Appointment attendance: attended / late / did not attend (HMPPS "Refer and monitor"
    /// categories, design.md §10; rates ours).
    pub const ATTENDANCE: [f64; 3] = [78.0, 9.0, 13.0];
    /// Reason for an unplanned missed appointment: acceptable / logistical. Unacceptable
    /// absences open a review, so they come only from the review branches above.
    pub const MISSED_REASON: [f64; 2] = [70.0, 30.0];
    /// A needs-information referral is completed and screened again within days; most then pass.
    pub const INFORMATION_THEN_ELIGIBLE: f64 = 0.8;
    /// Prevalence of a need on each pathway at assessment (ours; Durham's pathways, domain.md §1).
    pub const NEED_PREVALENCE: [(checkpoint_domain::contract::Pathway, f64); 9] = {
        use checkpoint_domain::contract::Pathway::*;
        [
            (Alcohol, 0.38),
            (Drugs, 0.30),
            (Housing, 0.18),
            (MentalHealth, 0.35),
            (PhysicalHealth, 0.10),
            (Finances, 0.28),
            (Employment, 0.32),
            (Relationships, 0.22),
            (Exploitation, 0.04),
        ]
    };
}
