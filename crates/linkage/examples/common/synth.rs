//! A deterministic generator of UK-style people and arrest records with realistic errors, for
//! the scale and latency benchmarks (bench/linkage/). Same seed, same data, on any machine.
//!
//! People have a given name, surname, date of birth, postcode and (usually) a National
//! Insurance number. Arrest records are drawn from people (prolific offenders more often) or
//! from strangers not in the people file, and damaged the way custody records are: nicknames,
//! typos, day and month swapped, a digit slip, a moved postcode, a missing identifier,
//! capitals, titles and accents. Twins (same surname, birthday and address) and namesakes
//! (common names, same birth year) are there on purpose: they are the hard non-matches.

#![allow(dead_code)]

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// Roughly Zipf: index i drawn with weight ~ 1/(i+1).
    pub fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const MALE: &[&str] = &[
    "oliver",
    "george",
    "harry",
    "jack",
    "jacob",
    "noah",
    "charlie",
    "muhammad",
    "thomas",
    "oscar",
    "william",
    "james",
    "leo",
    "alfie",
    "henry",
    "joshua",
    "freddie",
    "archie",
    "ethan",
    "isaac",
    "alexander",
    "joseph",
    "edward",
    "samuel",
    "max",
    "daniel",
    "arthur",
    "lucas",
    "mohammed",
    "logan",
    "theo",
    "harrison",
    "benjamin",
    "mason",
    "sebastian",
    "finley",
    "adam",
    "dylan",
    "zachary",
    "riley",
    "teddy",
    "david",
    "toby",
    "jake",
    "luke",
    "michael",
    "matthew",
    "christopher",
    "andrew",
    "robert",
    "richard",
    "paul",
    "mark",
    "stephen",
    "anthony",
    "peter",
    "kevin",
    "gary",
    "darren",
    "craig",
    "wayne",
    "lee",
    "dean",
    "jamie",
    "ryan",
    "liam",
    "connor",
    "kyle",
    "callum",
    "aaron",
    "nathan",
    "bradley",
    "jordan",
    "reece",
    "kieran",
    "shane",
    "patrick",
    "sean",
    "declan",
    "ahmed",
    "ali",
    "hassan",
    "imran",
    "bilal",
    "tariq",
    "kwame",
    "tyrone",
    "marcus",
    "dominic",
    "nicholas",
    "jonathan",
    "philip",
    "simon",
    "timothy",
    "frederick",
];
const FEMALE: &[&str] = &[
    "olivia",
    "amelia",
    "isla",
    "ava",
    "emily",
    "sophia",
    "grace",
    "mia",
    "poppy",
    "ella",
    "lily",
    "evie",
    "isabella",
    "sophie",
    "ivy",
    "freya",
    "harper",
    "willow",
    "charlotte",
    "jessica",
    "elizabeth",
    "sarah",
    "rebecca",
    "laura",
    "emma",
    "hannah",
    "lauren",
    "chloe",
    "megan",
    "amy",
    "natalie",
    "danielle",
    "kelly",
    "michelle",
    "nicola",
    "claire",
    "joanne",
    "lisa",
    "karen",
    "tracey",
    "donna",
    "samantha",
    "victoria",
    "katherine",
    "margaret",
    "susan",
    "patricia",
    "deborah",
    "jennifer",
    "stephanie",
    "rachel",
    "abigail",
    "zoe",
    "chantelle",
    "jade",
    "leanne",
    "stacey",
    "kayleigh",
    "aisha",
    "fatima",
    "ayesha",
    "zara",
    "amira",
    "priya",
    "siobhan",
    "niamh",
    "aoife",
    "caitlin",
    "bethany",
    "molly",
    "jasmine",
    "gemma",
];
const SURNAMES: &[&str] = &[
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pearce",
    "day",
    "brooks",
    "west",
    "lawrence",
    "cole",
    "atkinson",
    "bradley",
    "spencer",
    "gill",
    "dawson",
    "ball",
    "burton",
    "o'brien",
    "watts",
    "rose",
    "booth",
    "perry",
    "ryan",
    "grant",
    "wells",
    "armstrong",
    "francis",
    "rees",
    "hayes",
    "hart",
    "hudson",
    "newman",
    "barrett",
    "webster",
    "hunter",
    "gregory",
    "carr",
    "lowe",
    "page",
    "marsh",
    "riley",
    "dunn",
    "woods",
    "parsons",
    "berry",
    "stone",
    "reid",
    "holland",
    "hawkins",
    "harding",
    "porter",
    "robertson",
    "newton",
    "oliver",
    "reed",
    "kennedy",
    "williamson",
    "bird",
    "gardner",
    "shah",
    "dean",
    "lane",
    "cooke",
    "bates",
    "henderson",
    "parry",
    "burgess",
    "bishop",
    "walton",
    "burns",
    "nicholson",
    "shepherd",
    "ross",
    "cross",
    "long",
    "freeman",
    "warren",
    "nicholls",
    "hamilton",
    "byrne",
    "sutton",
    "mcdonald",
    "yates",
    "hodgson",
    "robson",
    "curtis",
    "hopkins",
    "o'connor",
    "harper",
    "coleman",
    "watkins",
    "moss",
    "mccarthy",
    "chambers",
    "o'neill",
    "griffin",
    "sharp",
    "hardy",
    "wheeler",
    "potter",
    "osborne",
    "johnston",
    "gordon",
    "doyle",
    "wallace",
    "smith-jones",
    "ahmed-khan",
    "wilson-brown",
    "nowak",
    "kowalski",
    "wiśniewski",
    "müller",
    "mendes",
    "gonçalves",
    "okafor",
    "adeyemi",
    "mensah",
    "nguyen",
    "chen",
    "wang",
    "kim",
];
const SYLLABLES: &[&str] = &[
    "ash", "brook", "cal", "dun", "el", "far", "gar", "hol", "ing", "kel", "lang", "mer", "nor",
    "os", "pen", "quin", "ros", "stan", "thorn", "ux", "ver", "wick", "yar", "ton", "ley", "by",
    "ham", "field", "worth", "ridge", "combe", "well", "more", "dale", "ford", "shaw",
];
const AREAS: &[&str] = &[
    "LS", "M", "B", "BS", "CF", "NE", "L", "S", "SW", "SE", "E", "N", "NW", "W", "G", "EH", "BD",
    "HD", "WF", "YO", "HU", "DN", "NG", "LE", "CV", "DE", "ST", "WS", "WV", "DY", "OX", "RG", "SO",
    "PO", "BN", "CT", "ME", "TN", "CB", "NR", "IP", "CO", "CM", "SS", "PL", "EX", "TQ", "TR", "DL",
    "DH", "SR", "TS", "CA", "LA", "PR", "BB", "BL", "OL", "SK", "WA", "WN",
];
const TITLES: &[&str] = &["Mr", "Mrs", "Ms", "Miss", "Dr"];

#[derive(Clone)]
pub struct Person {
    pub id: String,
    pub given: String,
    pub surname: String,
    pub female: bool,
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub postcode: String,
    pub ni: String,
}

fn surname(rng: &mut Rng) -> String {
    if rng.chance(0.75) {
        SURNAMES[rng.zipf(SURNAMES.len())].to_owned()
    } else {
        // The long tail: rare invented surnames.
        let parts = 2 + rng.below(2);
        (0..parts).map(|_| rng.pick(SYLLABLES)).collect()
    }
}

fn given(rng: &mut Rng, female: bool) -> String {
    let pool = if female { FEMALE } else { MALE };
    pool[rng.zipf(pool.len())].to_owned()
}

fn postcode_in(rng: &mut Rng, area: &str, district: usize) -> String {
    let letters = b"ABDEFGHJLNPQRSTUWXYZ";
    let unit: String = (0..2)
        .map(|_| letters[rng.below(letters.len())] as char)
        .collect();
    format!("{area}{district} {}{unit}", rng.below(10))
}

fn postcode(rng: &mut Rng) -> String {
    let area = AREAS[rng.zipf(AREAS.len())];
    let district = 1 + rng.below(30);
    postcode_in(rng, area, district)
}

fn ni(rng: &mut Rng) -> String {
    let letters = b"ABCEGHJKLMNPRSTWXYZ";
    format!(
        "{}{}{:06}{}",
        letters[rng.below(letters.len())] as char,
        letters[rng.below(letters.len())] as char,
        rng.below(1_000_000),
        ['A', 'B', 'C', 'D'][rng.below(4)]
    )
}

fn days_in(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) => 29,
        2 => 28,
        _ => 31,
    }
}

pub fn person(rng: &mut Rng, id: String) -> Person {
    let female = rng.chance(0.2); // most arrests are of men
    let year = 1950 + rng.below(58) as u16;
    let month = 1 + rng.below(12) as u8;
    let day = 1 + rng.below(days_in(year, month) as usize) as u8;
    Person {
        id,
        given: given(rng, female),
        surname: surname(rng),
        female,
        year,
        month,
        day,
        postcode: postcode(rng),
        ni: ni(rng),
    }
}

/// `n` people; about 1% are twins of the person before them and 3% namesakes (same names,
/// same birth year, different person).
pub fn people(rng: &mut Rng, n: usize) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("P{i:07}");
        let mut p = person(rng, id.clone());
        if let Some(prev) = out.last().cloned() {
            if rng.chance(0.01) {
                // A twin: same family, birthday and home; own name and NI number.
                p = Person {
                    id,
                    given: given(rng, p.female),
                    ni: ni(rng),
                    female: p.female,
                    ..prev
                };
            } else if rng.chance(0.03) {
                p.given = prev.given.clone();
                p.surname = prev.surname.clone();
                p.year = prev.year;
                p.day = p.day.min(days_in(p.year, p.month)); // no 29 February in 1962
            }
        }
        out.push(p);
    }
    out
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 2 {
        return s.to_owned();
    }
    let i = rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => chars[i] = (b'a' + rng.below(26) as u8) as char,
        1 => {
            chars.remove(i);
        }
        2 => chars.insert(i, (b'a' + rng.below(26) as u8) as char),
        _ => chars.swap(i, i + 1),
    }
    chars.into_iter().collect()
}

const NICKNAMES: &[(&str, &str)] = &[
    ("william", "bill"),
    ("william", "will"),
    ("robert", "bob"),
    ("robert", "rob"),
    ("elizabeth", "liz"),
    ("elizabeth", "beth"),
    ("mohammed", "mo"),
    ("muhammad", "mohammed"),
    ("thomas", "tom"),
    ("james", "jim"),
    ("james", "jamie"),
    ("michael", "mike"),
    ("christopher", "chris"),
    ("andrew", "andy"),
    ("richard", "rick"),
    ("anthony", "tony"),
    ("daniel", "dan"),
    ("david", "dave"),
    ("joseph", "joe"),
    ("samuel", "sam"),
    ("alexander", "alex"),
    ("benjamin", "ben"),
    ("matthew", "matt"),
    ("nicholas", "nick"),
    ("jonathan", "jon"),
    ("stephen", "steve"),
    ("edward", "ed"),
    ("frederick", "fred"),
    ("katherine", "kate"),
    ("margaret", "maggie"),
    ("rebecca", "becky"),
    ("samantha", "sam"),
    ("jessica", "jess"),
    ("victoria", "vicky"),
    ("patricia", "pat"),
    ("susan", "sue"),
    ("deborah", "debbie"),
    ("jennifer", "jen"),
    ("stephanie", "steph"),
    ("abigail", "abby"),
    ("philip", "phil"),
    ("peter", "pete"),
    ("timothy", "tim"),
    ("harry", "henry"),
];

fn capitalise(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct Arrest {
    pub id: String,
    /// The true person (`S…` for strangers not in the people file).
    pub person_id: String,
    pub given: String,
    pub surname: String,
    pub dob: String,
    pub postcode: String,
    pub ni: String,
}

/// One arrest record of `p`, with errors.
pub fn arrest(rng: &mut Rng, id: String, p: &Person) -> Arrest {
    let mut given = p.given.clone();
    if rng.chance(0.08)
        && let Some((_, nick)) = NICKNAMES.iter().find(|(formal, _)| *formal == given)
    {
        given = (*nick).to_owned();
    }
    if rng.chance(0.05) {
        given = typo(rng, &given);
    }
    let mut surname = p.surname.clone();
    if rng.chance(0.05) {
        surname = typo(rng, &surname);
    }
    if rng.chance(0.01) && p.female {
        surname = self::surname(rng); // married
    }
    if let Some((first, _)) = surname.split_once('-')
        && rng.chance(0.3)
    {
        surname = first.to_owned(); // double-barrelled name shortened
    }
    let (mut y, mut m, mut d) = (p.year, p.month, p.day);
    if rng.chance(0.04) && d <= 12 {
        std::mem::swap(&mut m, &mut d);
    } else if rng.chance(0.02) {
        y = if rng.chance(0.5) { y + 1 } else { y - 1 };
    } else if rng.chance(0.02) {
        d = 1 + rng.below(days_in(y, m) as usize) as u8;
    }
    let dob = if rng.chance(0.02) {
        String::new()
    } else {
        format!("{d:02}/{m:02}/{y:04}")
    };
    let postcode = if rng.chance(0.05) {
        String::new()
    } else if rng.chance(0.15) {
        // Moved: half the time nearby (same district).
        if rng.chance(0.5) {
            let outward = p.postcode.split(' ').next().unwrap_or_default();
            let split = outward
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(outward.len());
            let (area, district) = outward.split_at(split);
            postcode_in(rng, area, district.parse().unwrap_or(1))
        } else {
            postcode(rng)
        }
    } else if rng.chance(0.1) {
        p.postcode.replace(' ', "").to_lowercase()
    } else {
        p.postcode.clone()
    };
    let ni = if rng.chance(0.6) {
        String::new()
    } else if rng.chance(0.03) {
        typo(rng, &p.ni.to_lowercase()).to_uppercase()
    } else {
        p.ni.clone()
    };
    let (mut given, mut surname) = (capitalise(&given), capitalise(&surname));
    if rng.chance(0.05) {
        given = given.to_uppercase();
        surname = surname.to_uppercase();
    }
    if rng.chance(0.03) {
        let title = if p.female {
            rng.pick(&TITLES[1..4])
        } else {
            "Mr"
        };
        given = format!("{title} {given}");
    }
    Arrest {
        id,
        person_id: p.id.clone(),
        given,
        surname,
        dob,
        postcode,
        ni,
    }
}

/// `n` arrests: 70% of people in `people` (prolific ones more often), 30% of strangers.
pub fn arrests(rng: &mut Rng, people: &[Person], n: usize) -> Vec<Arrest> {
    let mut strangers: Vec<Person> = Vec::new();
    (0..n)
        .map(|i| {
            let id = format!("A{i:08}");
            if rng.chance(0.7) {
                // Prolific offenders: a Zipf draw over a shuffled order of people.
                let k = rng.zipf(people.len());
                let p = &people[(k.wrapping_mul(2_654_435_761)) % people.len()];
                arrest(rng, id, p)
            } else {
                // A stranger, sometimes arrested again.
                let p = if !strangers.is_empty() && rng.chance(0.3) {
                    strangers[rng.below(strangers.len())].clone()
                } else {
                    let s = person(rng, format!("S{:07}", strangers.len()));
                    strangers.push(s.clone());
                    s
                };
                arrest(rng, id, &p)
            }
        })
        .collect()
}

pub fn person_row(p: &Person) -> [String; 7] {
    [
        p.id.clone(),
        p.id.clone(),
        capitalise(&p.given),
        capitalise(&p.surname),
        format!("{:02}/{:02}/{:04}", p.day, p.month, p.year),
        p.postcode.clone(),
        p.ni.clone(),
    ]
}

pub fn arrest_row(a: &Arrest) -> [String; 7] {
    [
        a.id.clone(),
        a.person_id.clone(),
        a.given.clone(),
        a.surname.clone(),
        a.dob.clone(),
        a.postcode.clone(),
        a.ni.clone(),
    ]
}

pub const HEADER: [&str; 7] = [
    "id",
    "person_id",
    "given_name",
    "surname",
    "dob",
    "postcode",
    "ni_number",
];
