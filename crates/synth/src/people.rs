//! Synthetic people: names, sex, date of birth, ethnicity (self-defined and officer-observed),
//! home postcode and PNC id.

use crate::area;
use crate::names::{self, Origin};
use crate::rng::Rng;
use checkpoint_domain::person::{EthnicGroup, Ethnicity, Sex};
use jiff::ToSpan;
use jiff::civil::Date;

/// Self-defined ethnicity (ONS 2021 "18+1" categories) of people arrested in Ridgedale, in
/// per cent. An assumption, not a published table: a blend typical of a northern English force
/// area (a large White British majority, established Pakistani and Bangladeshi communities,
/// growing Black African, Eastern European, Arab and other populations), with 1.5% not stated.
/// The distribution test in `tests/it` checks the generator against this table.
pub const ETHNICITY_MIX: [(Ethnicity, f64); 20] = [
    (Ethnicity::WhiteBritish, 80.0),
    (Ethnicity::WhiteIrish, 0.6),
    (Ethnicity::WhiteGypsyOrIrishTraveller, 1.0),
    (Ethnicity::WhiteRoma, 0.3),
    (Ethnicity::WhiteOther, 4.0),
    (Ethnicity::AsianPakistani, 3.2),
    (Ethnicity::AsianBangladeshi, 0.6),
    (Ethnicity::AsianIndian, 1.0),
    (Ethnicity::AsianChinese, 0.4),
    (Ethnicity::AsianOther, 0.6),
    (Ethnicity::BlackAfrican, 1.6),
    (Ethnicity::BlackCaribbean, 0.8),
    (Ethnicity::BlackOther, 0.3),
    (Ethnicity::MixedWhiteAndBlackCaribbean, 1.0),
    (Ethnicity::MixedWhiteAndBlackAfrican, 0.3),
    (Ethnicity::MixedWhiteAndAsian, 0.4),
    (Ethnicity::MixedOther, 0.4),
    (Ethnicity::OtherArab, 0.7),
    (Ethnicity::OtherAny, 0.5),
    (Ethnicity::NotStated, 2.3),
];

/// Sex of arrestees: mostly men (an assumption; women are a small minority of arrests).
const SEX_MIX: [(Sex, f64); 4] = [
    (Sex::Male, 84.5),
    (Sex::Female, 15.0),
    (Sex::Other, 0.2),
    (Sex::NotKnown, 0.3),
];

/// Age at arrest, in bands of whole years with their weights: custody populations are young,
/// most between 18 and 40 (an assumption; a few 17-year-olds appear so age rules are tested).
const AGE_BANDS: [((i16, i16), f64); 9] = [
    ((17, 17), 1.0),
    ((18, 20), 12.0),
    ((21, 24), 16.0),
    ((25, 29), 20.0),
    ((30, 34), 16.0),
    ((35, 39), 13.0),
    ((40, 49), 14.0),
    ((50, 59), 6.0),
    ((60, 75), 2.0),
];

/// One synthetic person.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthPerson {
    /// `P0000042`: stable for a seed; the truth key in the arrest feed.
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub sex: Sex,
    pub date_of_birth: Date,
    pub ethnicity: Ethnicity,
    /// What the arresting officer recorded; usually the same group, sometimes not, sometimes
    /// nothing.
    pub officer_observed: Option<EthnicGroup>,
    pub postcode: String,
    pub resides_in_force_area: bool,
    pub pnc_id: String,
    /// The person this one is a twin of (same surname, birthday and home).
    pub twin_of: Option<String>,
    /// The person whose name this one shares by coincidence.
    pub namesake_of: Option<String>,
}

pub fn person_id(index: u64) -> String {
    format!("P{index:07}")
}

pub fn sex(rng: &mut Rng) -> Sex {
    *rng.weighted_pick(&SEX_MIX)
}

pub fn ethnicity(rng: &mut Rng) -> Ethnicity {
    *rng.weighted_pick(&ETHNICITY_MIX)
}

/// A birth date giving an age drawn from [`AGE_BANDS`] on `on`.
pub fn date_of_birth(rng: &mut Rng, on: Date) -> Date {
    let (lo, hi) = *rng.weighted_pick(&AGE_BANDS);
    let age = rng.between(i64::from(lo), i64::from(hi));
    let days_past_birthday = rng.between(0, 364);
    on.checked_sub((age as i32).years())
        .and_then(|d| d.checked_sub((days_past_birthday as i32).days()))
        .unwrap_or(on)
}

/// The group an officer records on sight. Agreement with the self-defined group is high for
/// White, Black and Asian people and low for Mixed and Other, where officers tend to record a
/// parent group; sometimes nothing is recorded. (Assumed rates, chosen so disproportionality
/// reports have both kinds of disagreement to show.)
pub fn officer_observed(rng: &mut Rng, ethnicity: Ethnicity) -> Option<EthnicGroup> {
    use EthnicGroup::*;
    use Ethnicity as E;
    let table: &[(Option<EthnicGroup>, f64)] = match ethnicity {
        E::NotStated => &[
            (Some(White), 80.0),
            (Some(Asian), 6.0),
            (Some(Black), 3.0),
            (None, 11.0),
        ],
        E::MixedWhiteAndBlackCaribbean | E::MixedWhiteAndBlackAfrican => &[
            (Some(Mixed), 35.0),
            (Some(Black), 35.0),
            (Some(White), 20.0),
            (None, 10.0),
        ],
        E::MixedWhiteAndAsian => &[
            (Some(Mixed), 30.0),
            (Some(Asian), 35.0),
            (Some(White), 25.0),
            (None, 10.0),
        ],
        E::MixedOther => &[(Some(Mixed), 40.0), (Some(White), 45.0), (None, 15.0)],
        E::OtherArab | E::OtherAny => &[
            (Some(Other), 40.0),
            (Some(Asian), 35.0),
            (Some(White), 15.0),
            (None, 10.0),
        ],
        other => match other.group() {
            Some(White) => &[(Some(White), 96.5), (Some(Other), 1.0), (None, 2.5)],
            Some(Asian) => &[
                (Some(Asian), 92.0),
                (Some(Other), 3.0),
                (Some(White), 2.0),
                (None, 3.0),
            ],
            Some(Black) => &[
                (Some(Black), 94.0),
                (Some(Mixed), 2.0),
                (Some(Other), 1.0),
                (None, 3.0),
            ],
            _ => &[(None, 1.0)],
        },
    };
    *rng.weighted_pick(table)
}

/// A new person, about to be arrested on `arrested_on`.
pub fn generate(rng: &mut Rng, id: String, arrested_on: Date) -> SynthPerson {
    let sex = sex(rng);
    let ethnicity = ethnicity(rng);
    // Mixed heritage: given and family names may come from different sides.
    let given_origin = names::origin_for(rng, ethnicity);
    let family_origin = if is_mixed(ethnicity) {
        names::origin_for(rng, ethnicity)
    } else {
        given_origin
    };
    let given_name = names::given_name(rng, given_origin, sex);
    let family_name = names::family_name(rng, family_origin);
    let date_of_birth = date_of_birth(rng, arrested_on);
    let officer_observed = officer_observed(rng, ethnicity);
    // About 6% of people arrested in the force area live outside it (an assumption).
    let resides_in_force_area = !rng.chance(0.06);
    let postcode = area::home_postcode(rng, !resides_in_force_area);
    let pnc_year = arrested_on.year() - rng.between(0, 8) as i16;
    let pnc_id = area::pnc_id(rng, pnc_year);
    SynthPerson {
        id,
        given_name,
        family_name,
        sex,
        date_of_birth,
        ethnicity,
        officer_observed,
        postcode,
        resides_in_force_area,
        pnc_id,
        twin_of: None,
        namesake_of: None,
    }
}

fn is_mixed(e: Ethnicity) -> bool {
    e.group() == Some(EthnicGroup::Mixed)
}

fn origin_of_family_name(rng: &mut Rng, person: &SynthPerson) -> Origin {
    names::origin_for(rng, person.ethnicity)
}

/// A twin of `sibling`: a different person with the same family name, birthday and home, a
/// different given name and PNC id. The hardest non-match for linkage.
pub fn twin(rng: &mut Rng, id: String, sibling: &SynthPerson) -> SynthPerson {
    let sex = sex(rng);
    let origin = origin_of_family_name(rng, sibling);
    let mut given_name = names::given_name(rng, origin, sex);
    for _ in 0..5 {
        if given_name != sibling.given_name {
            break;
        }
        given_name = names::given_name(rng, origin, sex);
    }
    SynthPerson {
        id,
        given_name,
        sex,
        officer_observed: officer_observed(rng, sibling.ethnicity),
        pnc_id: area::pnc_id(rng, sibling.date_of_birth.year() + 18),
        twin_of: Some(sibling.id.clone()),
        namesake_of: None,
        ..sibling.clone()
    }
}

/// A namesake of `other`: a different person who happens to share both names, born in a
/// different year (or, rarely, the same one), living elsewhere.
pub fn namesake(rng: &mut Rng, id: String, other: &SynthPerson, arrested_on: Date) -> SynthPerson {
    let mut person = generate(rng, id, arrested_on);
    person.given_name = other.given_name.clone();
    person.family_name = other.family_name.clone();
    person.sex = other.sex;
    person.ethnicity = other.ethnicity;
    person.officer_observed = officer_observed(rng, other.ethnicity);
    if rng.chance(0.2) {
        // Same birth year, different day: blocking on surname and year puts them together.
        let year = other.date_of_birth.year();
        let day_of_year = rng.between(1, 365) as i32;
        person.date_of_birth = Date::new(year, 1, 1)
            .ok()
            .and_then(|d| d.checked_add((day_of_year - 1).days()).ok())
            .filter(|d| *d != other.date_of_birth)
            .unwrap_or(person.date_of_birth);
    }
    person.namesake_of = Some(other.id.clone());
    person
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkpoint_domain::person::age_in_years;
    use jiff::civil::date;

    #[test]
    fn people_are_mostly_young_adults_with_fictional_postcodes() {
        let on = date(2024, 5, 1);
        let mut young = 0;
        for i in 0..2000 {
            let mut rng = Rng::new(i);
            let p = generate(&mut rng, person_id(i), on);
            let age = age_in_years(p.date_of_birth, on);
            assert!((17..=76).contains(&age), "{age}");
            if (18..=40).contains(&age) {
                young += 1;
            }
            assert!(p.postcode.starts_with('Q'));
            assert!(!p.given_name.is_empty() && !p.family_name.is_empty());
        }
        assert!(young > 1400, "{young} of 2000 aged 18–40");
    }

    #[test]
    fn twins_share_surname_birthday_and_home_but_not_given_name() {
        let mut rng = Rng::new(5);
        let a = generate(&mut rng, person_id(1), date(2022, 1, 1));
        let b = twin(&mut rng, person_id(2), &a);
        assert_eq!(
            (&a.family_name, a.date_of_birth, &a.postcode),
            (&b.family_name, b.date_of_birth, &b.postcode)
        );
        assert_ne!(a.pnc_id, b.pnc_id);
        assert_ne!(a.id, b.id);
    }
}
