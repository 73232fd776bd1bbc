//! The generator: configuration, and case *i* as a pure function of (configuration, *i*).
//!
//! Cases are spread evenly over the referral period in index order, so iterating by index walks
//! forward through time. Nothing is kept between cases: a repeat referral, a twin or a namesake
//! regenerates the earlier case's person from its own stream.

use crate::arrests::{self, Arrest};
use crate::people::{self, SynthPerson};
use crate::referrals::{self, PlannedScreening};
use crate::rng::{Rng, StreamKind};
use crate::schemes::{Scheme, rates};
use crate::time::{at, plus_days};
use crate::trajectory::{self, Branches, CaseFacts, Ending, Trajectory};
use checkpoint_domain::deadline::days_between;
use checkpoint_domain::lifecycle::{ScreeningOutcome, TrialArm};
use checkpoint_domain::referral::{EarlierParticipation, ParticipationResult, Referral};
use jiff::Timestamp;
use jiff::civil::{Date, date};

/// A randomised trial with a true effect: 24-month reoffending in each arm (intention to
/// treat). The Durham trial randomised eligible moderate-risk arrestees 1:1 and found 35%
/// against 48% (domain.md §1, §10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialDesign {
    /// Referrals on these days (inclusive) to the Checkpoint scheme are randomised once
    /// found eligible.
    pub from: Date,
    pub to: Date,
    pub treatment_24m: f64,
    pub control_24m: f64,
}

impl TrialDesign {
    /// The published effect over the first two years of a period starting `from`.
    pub fn published(from: Date) -> TrialDesign {
        TrialDesign {
            from,
            to: plus_days(from, 730),
            treatment_24m: 0.35,
            control_24m: 0.48,
        }
    }
}

/// Everything that decides the output. Same configuration, same bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub seed: u64,
    pub cases: u64,
    /// Referral days, inclusive; cases are spread evenly between them.
    pub first_referral: Date,
    pub last_referral: Date,
    /// "Today" in the generated world: steps and arrests after it have not happened yet.
    pub as_of: Date,
    pub trial: Option<TrialDesign>,
    /// Mean number of unrelated arrests generated with each case.
    pub unrelated_arrests_per_case: f64,
    /// Share of cases that are a repeat referral of an earlier case's person.
    pub repeat_share: f64,
    /// Share of new people who are the twin of the previous case's person.
    pub twin_share: f64,
    /// Share of new people who share both names with the previous case's person.
    pub namesake_share: f64,
}

impl Config {
    /// 2019 to mid-2026, no trial.
    pub fn new(seed: u64, cases: u64) -> Config {
        Config {
            seed,
            cases,
            first_referral: date(2019, 1, 1),
            last_referral: date(2026, 6, 30),
            as_of: date(2026, 6, 30),
            trial: None,
            unrelated_arrests_per_case: 0.6,
            repeat_share: 0.06,
            twin_share: 0.01,
            namesake_share: 0.02,
        }
    }

    /// Adds a trial over the first two years with the given 24-month rates.
    pub fn with_trial(mut self, treatment_24m: f64, control_24m: f64) -> Config {
        self.trial = Some(TrialDesign {
            treatment_24m,
            control_24m,
            ..TrialDesign::published(self.first_referral)
        });
        self
    }
}

/// How the case's person relates to earlier cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    New,
    /// The same person as case `j`'s.
    Repeat(u64),
    /// A twin of case `j`'s person.
    Twin(u64),
    /// A namesake of case `j`'s person.
    Namesake(u64),
}

/// One generated case before it is planned: who, for what, under which scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthCase {
    pub index: u64,
    /// `C0000042`, stable for a seed (the database assigns its own references).
    pub reference: String,
    pub person: SynthPerson,
    pub relation: Relation,
    pub scheme: Scheme,
    pub referred_at: Timestamp,
    pub referral: Referral,
    pub planned: PlannedScreening,
    /// Whether the case falls in the trial's window and scheme (randomised if eligible).
    pub in_trial: bool,
    /// The trial arms' 24-month rates, when in the trial.
    pub trial_rates: Option<(f64, f64)>,
    /// The generator's own allocation, used when no real system allocates (CSV output).
    pub synthetic_arm: Option<TrialArm>,
    /// The second screening after information is supplied, or `None` if it never comes.
    pub planned_second_screen: Option<ScreeningOutcome>,
}

impl SynthCase {
    pub fn referral_date(&self) -> Date {
        self.referral.referral_date
    }

    /// A person's first case: the one that puts them in people.csv.
    pub fn introduces_person(&self) -> bool {
        !matches!(self.relation, Relation::Repeat(_))
    }

    pub fn planned_branches(&self) -> Branches {
        let first_screen = match self.planned {
            PlannedScreening::Eligible => ScreeningOutcome::Eligible,
            PlannedScreening::Ineligible(_) => ScreeningOutcome::Ineligible,
            PlannedScreening::NeedsInformation => ScreeningOutcome::NeedsInformation,
        };
        let eligible = first_screen == ScreeningOutcome::Eligible
            || self.planned_second_screen == Some(ScreeningOutcome::Eligible);
        Branches {
            first_screen,
            second_screen: self.planned_second_screen,
            arm: if eligible { self.synthetic_arm } else { None },
        }
    }

    /// The referral once the missing fact is supplied (for a second screening).
    pub fn completed_referral(&self) -> Referral {
        referrals::complete_information(
            self.scheme,
            &self.referral,
            self.planned_second_screen == Some(ScreeningOutcome::Eligible),
        )
    }
}

/// A case with its plan and the arrests generated with it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCase {
    pub case: SynthCase,
    pub trajectory: Trajectory,
    pub arrests: Vec<Arrest>,
}

#[derive(Debug, Clone)]
pub struct Generator {
    config: Config,
}

/// How far back a repeat referral or a twin looks for the earlier case.
const LOOKBACK: u64 = 2000;

impl Generator {
    pub fn new(config: Config) -> Generator {
        Generator { config }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The referral instant of case `i`: evenly spread by index, at a custody-hours time.
    pub fn referred_at(&self, i: u64) -> Timestamp {
        let c = &self.config;
        let span = i64::from(days_between(c.first_referral, c.last_referral).max(0)) + 1;
        let mut rng = Rng::stream(c.seed, StreamKind::Referral, i);
        let offset = (i as f64 + rng.unit()) * span as f64 / c.cases.max(1) as f64;
        let day = plus_days(c.first_referral, (offset.floor() as i64).min(span - 1));
        // Custody is busiest in the afternoon and evening.
        let hour = *rng.weighted_pick(&[
            (8i8, 2.0),
            (10, 4.0),
            (12, 5.0),
            (14, 6.0),
            (16, 7.0),
            (18, 7.0),
            (20, 6.0),
            (22, 3.0),
        ]);
        at(day, hour + rng.below(2) as i8, rng.below(60) as i8)
    }

    fn relation(&self, i: u64) -> Relation {
        let c = &self.config;
        let mut rng = Rng::stream(c.seed, StreamKind::Person, i);
        let u = rng.unit();
        let back = 1 + rng.below(LOOKBACK.min(i.max(1)) as usize) as u64;
        if i == 0 {
            Relation::New
        } else if u < c.repeat_share {
            Relation::Repeat(i.saturating_sub(back))
        } else if u < c.repeat_share + c.twin_share {
            Relation::Twin(i - 1)
        } else if u < c.repeat_share + c.twin_share + c.namesake_share {
            Relation::Namesake(i - 1)
        } else {
            Relation::New
        }
    }

    /// The case that first brought the person of case `i` in.
    fn root(&self, mut i: u64) -> u64 {
        while let Relation::Repeat(j) = self.relation(i) {
            i = j;
        }
        i
    }

    /// The person of case `i`.
    pub fn person(&self, i: u64) -> SynthPerson {
        let c = &self.config;
        let root = self.root(i);
        let mut rng = Rng::stream(c.seed, StreamKind::Person, root);
        let _relation_draws = (rng.unit(), rng.next_u64());
        let on = crate::time::date_of(self.referred_at(root));
        let id = people::person_id(root);
        match self.relation(root) {
            Relation::Twin(j) => people::twin(&mut rng, id, &self.person(j)),
            Relation::Namesake(j) => people::namesake(&mut rng, id, &self.person(j), on),
            Relation::New | Relation::Repeat(_) => people::generate(&mut rng, id, on),
        }
    }

    fn scheme_on(&self, rng: &mut Rng, day: Date) -> Scheme {
        let open: Vec<(Scheme, f64)> = Scheme::ALL
            .into_iter()
            .filter(|s| s.starts() <= day)
            .map(|s| (s, s.referral_weight()))
            .collect();
        *rng.weighted_pick(&open)
    }

    /// The earlier episode of a repeat referral, as the custody officer would see it.
    fn earlier_participation(&self, i: u64, on: Date, depth: u8) -> Vec<EarlierParticipation> {
        let Relation::Repeat(j) = self.relation(i) else {
            return Vec::new();
        };
        // Looking further back than one episode would chain through every repeat; one is
        // what the rules need.
        if depth > 0 {
            return Vec::new();
        }
        let earlier = self.case_at_depth(j, depth + 1);
        let trajectory = self.plan(&earlier);
        let still_running = !trajectory.state_on(on).is_closed();
        let result = match trajectory.ending {
            ending if ending.is_participant() && still_running => {
                Some(ParticipationResult::Ongoing)
            }
            Ending::Completed => Some(ParticipationResult::Completed),
            Ending::FailedReoffence | Ending::FailedNonCompliance => {
                Some(ParticipationResult::Failed)
            }
            Ending::Withdrawn => Some(ParticipationResult::Withdrawn),
            Ending::Declined => Some(ParticipationResult::Declined),
            Ending::Ineligible | Ending::AwaitingInformation | Ending::Control => None,
        };
        result
            .map(|result| EarlierParticipation {
                scheme: earlier.scheme.policy_id().to_owned(),
                date: earlier.referral_date().min(on),
                result,
            })
            .into_iter()
            .collect()
    }

    /// Case `i` (not yet planned).
    pub fn case(&self, i: u64) -> SynthCase {
        self.case_at_depth(i, 0)
    }

    fn case_at_depth(&self, i: u64, depth: u8) -> SynthCase {
        let c = &self.config;
        let referred_at = self.referred_at(i);
        let referral_date = crate::time::date_of(referred_at);
        let person = self.person(i);
        let mut rng = Rng::stream(c.seed, StreamKind::Referral, i);
        let _timing_draws = (rng.unit(), rng.unit(), rng.unit(), rng.unit());
        let scheme = self.scheme_on(&mut rng, referral_date);
        let earlier = self.earlier_participation(i, referral_date, depth);
        let planned = referrals::plan_screening(&mut rng, scheme, &person, referral_date, &earlier);
        let referral = referrals::build(
            &mut rng,
            i,
            scheme,
            &person,
            referral_date,
            planned,
            earlier,
        );
        let planned_second_screen = (planned == PlannedScreening::NeedsInformation)
            .then(|| {
                if rng.chance(rates::INFORMATION_THEN_ELIGIBLE) {
                    Some(ScreeningOutcome::Eligible)
                } else if rng.chance(0.5) {
                    Some(ScreeningOutcome::Ineligible)
                } else {
                    None
                }
            })
            .flatten();
        let in_trial = c.trial.is_some_and(|t| {
            scheme == Scheme::Checkpoint && t.from <= referral_date && referral_date <= t.to
        });
        let trial_rates = c
            .trial
            .filter(|_| in_trial)
            .map(|t| (t.treatment_24m, t.control_24m));
        let synthetic_arm = in_trial.then(|| {
            let mut allocation = Rng::stream(c.seed, StreamKind::Allocation, i);
            if allocation.chance(0.5) {
                TrialArm::Treatment
            } else {
                TrialArm::Control
            }
        });
        SynthCase {
            index: i,
            reference: format!("C{i:07}"),
            person,
            relation: self.relation(i),
            scheme,
            referred_at,
            referral,
            planned,
            in_trial,
            trial_rates,
            synthetic_arm,
            planned_second_screen,
        }
    }

    pub fn facts<'a>(&self, case: &'a SynthCase) -> CaseFacts<'a> {
        CaseFacts {
            seed: self.config.seed,
            index: case.index,
            scheme: case.scheme,
            referral: &case.referral,
            referred_at: case.referred_at,
            trial_rates: case.trial_rates,
        }
    }

    /// The case's plan under the generator's own answers at the branch points.
    pub fn plan(&self, case: &SynthCase) -> Trajectory {
        trajectory::plan(self.facts(case), case.planned_branches())
    }

    /// The case's plan under the answers a real system gave.
    pub fn plan_with(&self, case: &SynthCase, branches: Branches) -> Trajectory {
        trajectory::plan(self.facts(case), branches)
    }

    /// Case `i`, planned, with its arrests (only those on or before `as_of`).
    pub fn generate(&self, i: u64) -> GeneratedCase {
        let case = self.case(i);
        let trajectory = self.plan(&case);
        let mut arrests = arrests::for_case(
            self.config.seed,
            i,
            &case.person,
            case.referral_date(),
            &trajectory,
            self.config.unrelated_arrests_per_case,
        );
        arrests.retain(|a| a.arrest_date <= self.config.as_of);
        GeneratedCase {
            case,
            trajectory,
            arrests,
        }
    }

    /// Every case in order, one at a time: memory stays flat however many there are.
    pub fn iter(&self) -> impl Iterator<Item = GeneratedCase> + '_ {
        (0..self.config.cases).map(|i| self.generate(i))
    }
}
