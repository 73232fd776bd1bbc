//! Names by origin, shipped as data (`data/names.txt`), and how a person's origin follows from
//! their self-defined ethnicity. Every generated name is a random combination of a given name
//! and a family name; a quarter of British family names are invented from place-name
//! syllables, which gives the long tail of rare surnames that real custody records have.

use crate::rng::Rng;
use checkpoint_domain::person::{Ethnicity, Sex};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const NAMES_FILE: &str = include_str!("../data/names.txt");

/// The cultural origin of a name list. Ethnicity chooses among them ([`origin_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    English,
    Scottish,
    Welsh,
    Irish,
    Traveller,
    Polish,
    Romanian,
    Lithuanian,
    Portuguese,
    Pakistani,
    Bangladeshi,
    Indian,
    Chinese,
    WestAfrican,
    EastAfrican,
    Caribbean,
    Arabic,
    KurdishAfghan,
}

impl Origin {
    pub const ALL: [Origin; 18] = [
        Origin::English,
        Origin::Scottish,
        Origin::Welsh,
        Origin::Irish,
        Origin::Traveller,
        Origin::Polish,
        Origin::Romanian,
        Origin::Lithuanian,
        Origin::Portuguese,
        Origin::Pakistani,
        Origin::Bangladeshi,
        Origin::Indian,
        Origin::Chinese,
        Origin::WestAfrican,
        Origin::EastAfrican,
        Origin::Caribbean,
        Origin::Arabic,
        Origin::KurdishAfghan,
    ];

    /// The section name in `data/names.txt`.
    pub fn key(self) -> &'static str {
        match self {
            Origin::English => "english",
            Origin::Scottish => "scottish",
            Origin::Welsh => "welsh",
            Origin::Irish => "irish",
            Origin::Traveller => "traveller",
            Origin::Polish => "polish",
            Origin::Romanian => "romanian",
            Origin::Lithuanian => "lithuanian",
            Origin::Portuguese => "portuguese",
            Origin::Pakistani => "pakistani",
            Origin::Bangladeshi => "bangladeshi",
            Origin::Indian => "indian",
            Origin::Chinese => "chinese",
            Origin::WestAfrican => "west_african",
            Origin::EastAfrican => "east_african",
            Origin::Caribbean => "caribbean",
            Origin::Arabic => "arabic",
            Origin::KurdishAfghan => "kurdish_afghan",
        }
    }
}

/// The three lists of one origin.
#[derive(Debug, Default)]
pub struct NameLists {
    pub male: Vec<&'static str>,
    pub female: Vec<&'static str>,
    pub family: Vec<&'static str>,
}

fn parse(text: &'static str) -> BTreeMap<&'static str, NameLists> {
    let mut sections: BTreeMap<&'static str, NameLists> = BTreeMap::new();
    let mut current: Option<&'static str> = None;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.entry(name).or_default();
            current = Some(name);
            continue;
        }
        let (Some(section), Some((key, names))) = (current, line.split_once(':')) else {
            continue;
        };
        let lists = sections.entry(section).or_default();
        let target = match key.trim() {
            "male" => &mut lists.male,
            "female" => &mut lists.female,
            _ => &mut lists.family,
        };
        target.extend(names.split_whitespace());
    }
    sections
}

/// The shipped lists, parsed once.
pub fn lists(origin: Origin) -> &'static NameLists {
    static PARSED: OnceLock<BTreeMap<&'static str, NameLists>> = OnceLock::new();
    static EMPTY: NameLists = NameLists {
        male: Vec::new(),
        female: Vec::new(),
        family: Vec::new(),
    };
    PARSED
        .get_or_init(|| parse(NAMES_FILE))
        .get(origin.key())
        .unwrap_or(&EMPTY)
}

/// Syllables of northern English place names, for invented surnames (Ashbrook, Thornley …).
const SYLLABLES: [&str; 30] = [
    "Ash", "brook", "Cal", "dun", "Fen", "wick", "Gar", "thorn", "Hol", "ley", "Kel", "by", "Lang",
    "ton", "Mer", "ridge", "Nor", "dale", "Os", "well", "Pen", "shaw", "Ros", "field", "Stan",
    "worth", "Thorn", "ham", "Wyn", "ford",
];

fn invented_surname(rng: &mut Rng) -> String {
    // Capitalised first halves sit at even indices, lower-case second halves at odd ones.
    let first = SYLLABLES[2 * rng.below(SYLLABLES.len() / 2)];
    let second = SYLLABLES[2 * rng.below(SYLLABLES.len() / 2) + 1];
    format!("{first}{second}")
}

pub fn given_name(rng: &mut Rng, origin: Origin, sex: Sex) -> String {
    let lists = lists(origin);
    let female = match sex {
        Sex::Female => true,
        Sex::Male => false,
        Sex::Other | Sex::NotKnown => rng.chance(0.5),
    };
    let pool = if female { &lists.female } else { &lists.male };
    pool[rng.zipf(pool.len())].to_owned()
}

pub fn family_name(rng: &mut Rng, origin: Origin) -> String {
    if matches!(origin, Origin::English | Origin::Scottish) && rng.chance(0.25) {
        return invented_surname(rng);
    }
    let pool = &lists(origin).family;
    let name = pool[rng.zipf(pool.len())];
    // A few double-barrelled names, which the arrest feed sometimes shortens.
    if origin == Origin::English && rng.chance(0.02) {
        let other = pool[rng.zipf(pool.len())];
        if other != name {
            return format!("{name}-{other}");
        }
    }
    name.to_owned()
}

/// The origin of a person's names, given their self-defined ethnicity. Mixed-heritage people
/// take a given name and a family name from either parent's side ([`Origin`] is chosen once
/// per name part by the caller).
pub fn origin_for(rng: &mut Rng, ethnicity: Ethnicity) -> Origin {
    use Ethnicity::*;
    use Origin::*;
    let table: &[(Origin, f64)] = match ethnicity {
        WhiteBritish | NotStated => &[(English, 88.0), (Scottish, 6.0), (Welsh, 3.0), (Irish, 3.0)],
        WhiteIrish => &[(Irish, 1.0)],
        WhiteGypsyOrIrishTraveller => &[(Traveller, 1.0)],
        WhiteRoma => &[(Romanian, 3.0), (Polish, 1.0)],
        WhiteOther => &[
            (Polish, 45.0),
            (Romanian, 25.0),
            (Lithuanian, 15.0),
            (Portuguese, 15.0),
        ],
        AsianPakistani => &[(Pakistani, 1.0)],
        AsianBangladeshi => &[(Bangladeshi, 1.0)],
        AsianIndian => &[(Indian, 1.0)],
        AsianChinese => &[(Chinese, 1.0)],
        AsianOther => &[(KurdishAfghan, 2.0), (Indian, 1.0), (Pakistani, 1.0)],
        BlackAfrican => &[(WestAfrican, 65.0), (EastAfrican, 35.0)],
        BlackCaribbean | BlackOther => &[(Caribbean, 4.0), (WestAfrican, 1.0)],
        MixedWhiteAndBlackCaribbean => &[(English, 1.0), (Caribbean, 1.0)],
        MixedWhiteAndBlackAfrican => &[(English, 1.0), (WestAfrican, 1.0)],
        MixedWhiteAndAsian => &[(English, 1.0), (Pakistani, 1.0), (Indian, 1.0)],
        MixedOther => &[(English, 2.0), (Arabic, 1.0), (Chinese, 1.0)],
        OtherArab => &[(Arabic, 1.0)],
        OtherAny => &[(KurdishAfghan, 3.0), (Arabic, 1.0), (Portuguese, 1.0)],
    };
    *rng.weighted_pick(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_origin_has_names_of_each_kind() {
        let mut total = 0;
        for origin in Origin::ALL {
            let lists = lists(origin);
            assert!(lists.male.len() >= 10, "{origin:?} male");
            assert!(lists.female.len() >= 10, "{origin:?} female");
            assert!(lists.family.len() >= 10, "{origin:?} family");
            total += lists.male.len() + lists.female.len() + lists.family.len();
        }
        assert!(total > 600, "only {total} names shipped");
    }
}
