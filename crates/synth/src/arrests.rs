//! The arrest feed: every later arrest of participants and controls (their reoffending), and
//! arrests of unrelated people, some of whom look very like a participant: a namesake (same
//! names, different person) or a twin (same surname, birthday and address, different given
//! name). Each row carries the truth (who it really is) so linkage can be scored.

use crate::noise::{self, Noise};
use crate::offences::{self, OffenceTemplate};
use crate::people::{self, SynthPerson};
use crate::rng::{Rng, StreamKind};
use crate::time::plus_days;
use crate::trajectory::Trajectory;
use checkpoint_domain::person::Sex;
use jiff::civil::Date;

/// Whose arrest this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArrestSource {
    /// The case's own person, arrested again.
    Reoffence,
    /// Someone unrelated to any case.
    Stranger,
    /// An unrelated person with the same names as the case's person.
    Namesake,
    /// The case person's twin.
    Twin,
}

impl ArrestSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ArrestSource::Reoffence => "reoffence",
            ArrestSource::Stranger => "stranger",
            ArrestSource::Namesake => "namesake",
            ArrestSource::Twin => "twin",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arrest {
    /// `A0000042-03`: the case it was generated with, and a number.
    pub id: String,
    /// The truth: the person really arrested (`P…` for people in people.csv, `S…` otherwise).
    pub true_person_id: String,
    pub source: ArrestSource,
    pub sex: Sex,
    pub identity: noise::RecordedIdentity,
    pub offence_date: Date,
    pub arrest_date: Date,
    pub offence: OffenceTemplate,
    pub proven: bool,
}

impl Arrest {
    pub fn noise(&self) -> &[Noise] {
        &self.identity.noise
    }
}

/// The arrests generated with one case: the person's reoffences, then unrelated arrests.
/// `unrelated_mean` is the mean number of unrelated arrests per case.
pub fn for_case(
    seed: u64,
    index: u64,
    person: &SynthPerson,
    referral_date: Date,
    trajectory: &Trajectory,
    unrelated_mean: f64,
) -> Vec<Arrest> {
    let mut rng = Rng::stream(seed, StreamKind::Arrests, index);
    let mut out = Vec::new();
    let mut number = 0;
    let mut next_id = || {
        number += 1;
        format!("A{index:07}-{number:02}")
    };
    for r in &trajectory.reoffences {
        out.push(Arrest {
            id: next_id(),
            true_person_id: person.id.clone(),
            source: ArrestSource::Reoffence,
            sex: person.sex,
            identity: noise::record(&mut rng, person),
            offence_date: r.offence_date,
            arrest_date: r.arrest_date,
            offence: r.offence,
            proven: r.proven,
        });
    }
    let unrelated = rng.geometric(unrelated_mean).min(12);
    for k in 0..unrelated {
        let arrest_date = plus_days(referral_date, rng.between(1, 1100));
        let stranger_id = format!("S{index:07}-{k:02}");
        let (source, who) = match rng.weighted(&[80.0, 14.0, 6.0]) {
            0 => (
                ArrestSource::Stranger,
                people::generate(&mut rng, stranger_id, arrest_date),
            ),
            1 => (
                ArrestSource::Namesake,
                people::namesake(&mut rng, stranger_id, person, arrest_date),
            ),
            _ => (
                ArrestSource::Twin,
                people::twin(&mut rng, stranger_id, person),
            ),
        };
        let offence = *offences::pick(&mut rng, offences::CHECKPOINT_OFFENCES);
        out.push(Arrest {
            id: next_id(),
            true_person_id: who.id.clone(),
            source,
            sex: who.sex,
            identity: noise::record(&mut rng, &who),
            offence_date: plus_days(arrest_date, -rng.between(0, 3)),
            arrest_date,
            offence,
            proven: rng.chance(crate::schemes::rates::PROVEN_SHARE),
        });
    }
    out
}
