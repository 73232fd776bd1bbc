//! How an arrest record gets a person's identity wrong, the way custody records do. The kinds
//! and rates follow the linkage benchmark's generator (`crates/linkage/examples/common/synth.rs`)
//! so the two data sets stress linkage the same way: nicknames, typos, day and month swapped,
//! a year or day slip, a moved postcode, a missing identifier, capitals, titles, a married
//! name, a shortened double-barrelled name.

use crate::area;
use crate::names;
use crate::people::SynthPerson;
use crate::rng::Rng;
use crate::time::uk_format;
use checkpoint_domain::person::Sex;
use jiff::civil::Date;

/// One kind of damage; an arrest row lists those applied to it (`noise` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Noise {
    Nickname,
    GivenNameTypo,
    FamilyNameTypo,
    MarriedName,
    ShortenedDoubleBarrel,
    SwappedDayMonth,
    BirthYearSlip,
    BirthDaySlip,
    MissingDateOfBirth,
    MovedPostcode,
    MissingPostcode,
    PostcodeFormat,
    MissingPnc,
    PncTypo,
    Capitals,
    Title,
}

impl Noise {
    pub const ALL: [Noise; 16] = [
        Noise::Nickname,
        Noise::GivenNameTypo,
        Noise::FamilyNameTypo,
        Noise::MarriedName,
        Noise::ShortenedDoubleBarrel,
        Noise::SwappedDayMonth,
        Noise::BirthYearSlip,
        Noise::BirthDaySlip,
        Noise::MissingDateOfBirth,
        Noise::MovedPostcode,
        Noise::MissingPostcode,
        Noise::PostcodeFormat,
        Noise::MissingPnc,
        Noise::PncTypo,
        Noise::Capitals,
        Noise::Title,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Noise::Nickname => "nickname",
            Noise::GivenNameTypo => "given_name_typo",
            Noise::FamilyNameTypo => "family_name_typo",
            Noise::MarriedName => "married_name",
            Noise::ShortenedDoubleBarrel => "shortened_double_barrel",
            Noise::SwappedDayMonth => "swapped_day_month",
            Noise::BirthYearSlip => "birth_year_slip",
            Noise::BirthDaySlip => "birth_day_slip",
            Noise::MissingDateOfBirth => "missing_date_of_birth",
            Noise::MovedPostcode => "moved_postcode",
            Noise::MissingPostcode => "missing_postcode",
            Noise::PostcodeFormat => "postcode_format",
            Noise::MissingPnc => "missing_pnc",
            Noise::PncTypo => "pnc_typo",
            Noise::Capitals => "capitals",
            Noise::Title => "title",
        }
    }
}

/// Formal name → what people are called at the desk.
const NICKNAMES: &[(&str, &str)] = &[
    ("William", "Bill"),
    ("William", "Will"),
    ("Robert", "Bob"),
    ("Robert", "Rob"),
    ("Thomas", "Tom"),
    ("James", "Jim"),
    ("James", "Jamie"),
    ("Michael", "Mike"),
    ("Christopher", "Chris"),
    ("Andrew", "Andy"),
    ("Richard", "Rick"),
    ("Anthony", "Tony"),
    ("Daniel", "Dan"),
    ("David", "Dave"),
    ("Joseph", "Joe"),
    ("Samuel", "Sam"),
    ("Matthew", "Matt"),
    ("Stephen", "Steve"),
    ("Steven", "Steve"),
    ("Joshua", "Josh"),
    ("Nathan", "Nate"),
    ("Bradley", "Brad"),
    ("Kenneth", "Ken"),
    ("Alistair", "Ali"),
    ("Patrick", "Paddy"),
    ("Muhammad", "Mohammed"),
    ("Mohammed", "Mo"),
    ("Mohamed", "Mo"),
    ("Abdullahi", "Abdi"),
    ("Oluwaseun", "Seun"),
    ("Babatunde", "Tunde"),
    ("Aleksandra", "Ola"),
    ("Katarzyna", "Kasia"),
    ("Krzysztof", "Krzys"),
    ("Alexandru", "Alex"),
    ("Rebecca", "Becky"),
    ("Samantha", "Sam"),
    ("Jessica", "Jess"),
    ("Victoria", "Vicky"),
    ("Elizabeth", "Liz"),
    ("Abigail", "Abby"),
    ("Natalie", "Nat"),
    ("Charlotte", "Charlie"),
    ("Bethany", "Beth"),
    ("Kirsty", "Kirst"),
    ("Margaret", "Maggie"),
    ("Bridget", "Biddy"),
];

pub fn nickname(given: &str) -> Option<&'static str> {
    NICKNAMES
        .iter()
        .find(|(formal, _)| formal.eq_ignore_ascii_case(given))
        .map(|(_, nick)| *nick)
}

/// One keyboard slip: a substitution, deletion, insertion or transposition.
pub fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 3 {
        return s.to_owned();
    }
    // Never the first letter: phonetic blocking keys on it, and real slips rarely hit it.
    let i = 1 + rng.below(chars.len() - 2);
    let letter = (b'a' + rng.below(26) as u8) as char;
    match rng.below(4) {
        0 => chars[i] = letter,
        1 => {
            chars.remove(i);
        }
        2 => chars.insert(i, letter),
        _ => chars.swap(i, i + 1),
    }
    chars.into_iter().collect()
}

/// An identity as written on one arrest record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedIdentity {
    pub given_name: String,
    pub family_name: String,
    /// `dd/mm/yyyy`, or empty when not recorded.
    pub date_of_birth: String,
    pub postcode: String,
    pub pnc_id: String,
    pub noise: Vec<Noise>,
}

/// `person` as an arrest record would show them. A moved postcode is 15% (half within the same
/// district), as in the linkage benchmark.
pub fn record(rng: &mut Rng, person: &SynthPerson) -> RecordedIdentity {
    let mut noise = Vec::new();
    let mut given = person.given_name.clone();
    if rng.chance(0.08)
        && let Some(nick) = nickname(&given)
    {
        given = nick.to_owned();
        noise.push(Noise::Nickname);
    }
    if rng.chance(0.05) {
        given = typo(rng, &given);
        noise.push(Noise::GivenNameTypo);
    }
    let mut family = person.family_name.clone();
    if rng.chance(0.05) {
        family = typo(rng, &family);
        noise.push(Noise::FamilyNameTypo);
    }
    if person.sex == Sex::Female && rng.chance(0.01) {
        family = names::family_name(rng, names::Origin::English);
        noise.push(Noise::MarriedName);
    }
    if let Some((first, _)) = family.split_once('-')
        && rng.chance(0.3)
    {
        family = first.to_owned();
        noise.push(Noise::ShortenedDoubleBarrel);
    }

    let dob = person.date_of_birth;
    let (mut y, mut m, mut d) = (dob.year(), dob.month(), dob.day());
    if d <= 12 && d != m && rng.chance(0.04) {
        std::mem::swap(&mut m, &mut d);
        noise.push(Noise::SwappedDayMonth);
    } else if rng.chance(0.02) {
        y += if rng.chance(0.5) { 1 } else { -1 };
        noise.push(Noise::BirthYearSlip);
    } else if rng.chance(0.02) {
        d = (1 + rng.below(28)) as i8;
        noise.push(Noise::BirthDaySlip);
    }
    let date_of_birth = if rng.chance(0.02) {
        noise.push(Noise::MissingDateOfBirth);
        String::new()
    } else {
        Date::new(y, m, d)
            .map(uk_format)
            .unwrap_or_else(|_| uk_format(dob))
    };

    let postcode = if rng.chance(0.05) {
        noise.push(Noise::MissingPostcode);
        String::new()
    } else if rng.chance(0.15) {
        noise.push(Noise::MovedPostcode);
        area::moved_postcode(rng, &person.postcode)
    } else if rng.chance(0.1) {
        noise.push(Noise::PostcodeFormat);
        person.postcode.replace(' ', "").to_lowercase()
    } else {
        person.postcode.clone()
    };

    // The arrest feed rarely carries a reliable identifier (design.md §5).
    let pnc_id = if rng.chance(0.5) {
        noise.push(Noise::MissingPnc);
        String::new()
    } else if rng.chance(0.03) {
        noise.push(Noise::PncTypo);
        typo(rng, &person.pnc_id)
    } else {
        person.pnc_id.clone()
    };

    if rng.chance(0.05) {
        given = given.to_uppercase();
        family = family.to_uppercase();
        noise.push(Noise::Capitals);
    }
    if rng.chance(0.03) {
        let title = match person.sex {
            Sex::Female => *rng.pick(&["Mrs", "Ms", "Miss"]),
            Sex::Male => "Mr",
            Sex::Other | Sex::NotKnown => "Mx",
        };
        given = format!("{title} {given}");
        noise.push(Noise::Title);
    }
    RecordedIdentity {
        given_name: given,
        family_name: family,
        date_of_birth,
        postcode,
        pnc_id,
        noise,
    }
}
