//! Turning raw field text into the canonical forms that comparisons and blocking keys use.
//!
//! Every function here is idempotent (`f(f(x)) == f(x)`, checked by property tests): a value
//! that has already been normalised, for instance one read back from storage, must not drift.

/// Honorifics and post-nominals dropped from the front (titles) or back (suffixes) of a name.
/// Kept short on purpose: every word here is also someone's real name somewhere ("Major",
/// "Dean"), so only words that are almost never given names are listed.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord", "rev", "revd", "prof",
    "fr", "sgt", "pc", "dc", "cllr",
];
const SUFFIXES: &[&str] = &[
    "jr", "jnr", "sr", "snr", "ii", "iii", "iv", "esq", "obe", "mbe", "qc", "kc",
];

/// A name folded to lower-case ASCII words separated by single spaces.
///
/// - accents and other scripts are transliterated (`Zoë` → `zoe`, `Øyvind` → `oyvind`);
/// - apostrophes vanish so `O'Brien` and `OBrien` agree; every other non-alphanumeric
///   character, hyphens included, separates words (`Smith-Jones` → `smith jones`);
/// - leading titles and trailing suffixes are dropped, but never the last remaining word
///   (so the result is stable under repetition and a name is never erased by a title).
pub fn normalise_name(raw: &str) -> String {
    let folded = fold(raw);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1 && TITLES.contains(&words[0]) {
        words.remove(0);
    }
    while words.len() > 1 && SUFFIXES.contains(&words[words.len() - 1]) {
        words.pop();
    }
    words.join(" ")
}

/// Generic text: lower-case ASCII words separated by single spaces, apostrophes removed.
pub fn normalise_text(raw: &str) -> String {
    fold(raw)
}

/// Identifiers (national insurance number, PNC id, …): upper-case letters and digits only,
/// so `ab 12 34 56 c` and `AB123456C` agree.
pub fn normalise_identifier(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Lower-case ASCII with apostrophes removed and runs of anything else collapsed to one space.
fn fold(raw: &str) -> String {
    let ascii = deunicode::deunicode(raw);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '`' {
            // O'Brien, D`Souza: the apostrophe joins, it does not separate.
        } else {
            pending_space = true;
        }
    }
    out
}

/// A UK postcode split into the parts used for partial agreement.
///
/// `SW1A 1AA`: area `SW`, district `SW1A`, sector `SW1A 1`, full `SW1A 1AA`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UkPostcode {
    /// Canonical form with one space before the inward code; for a value that is not a
    /// well-formed UK postcode, the upper-case alphanumerics with no space.
    pub full: String,
    outward_len: u8,
    area_len: u8,
    well_formed: bool,
    /// The postcode's characters without the space, big-endian in a word (well-formed
    /// postcodes have at most 7), so that full, sector, district and area agreement are each
    /// one masked comparison.
    #[serde(default)]
    packed: u64,
}

impl UkPostcode {
    /// Parses a postcode leniently: case, spaces and punctuation are ignored. A value that does
    /// not look like a UK postcode is kept whole, so it can still agree exactly.
    pub fn parse(raw: &str) -> Option<UkPostcode> {
        let compact = normalise_identifier(raw);
        if compact.is_empty() {
            return None;
        }
        let bytes = compact.as_bytes();
        let area_len = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        // Inward code: digit + two letters; outward code: 2–4 characters starting with 1–2
        // letters then a digit.
        let well_formed = bytes.len() >= 5
            && bytes.len() <= 7
            && (1..=2).contains(&area_len)
            && bytes[area_len].is_ascii_digit()
            && bytes[bytes.len() - 3].is_ascii_digit()
            && bytes[bytes.len() - 2].is_ascii_alphabetic()
            && bytes[bytes.len() - 1].is_ascii_alphabetic();
        if !well_formed {
            return Some(UkPostcode {
                full: compact,
                outward_len: 0,
                area_len: 0,
                well_formed: false,
                packed: 0,
            });
        }
        let outward_len = bytes.len() - 3;
        let full = format!("{} {}", &compact[..outward_len], &compact[outward_len..]);
        let packed =
            bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) << (8 * (8 - bytes.len()));
        Some(UkPostcode {
            full,
            outward_len: outward_len as u8,
            area_len: area_len as u8,
            well_formed: true,
            packed,
        })
    }

    /// Whether the first `chars` characters (spaces not counted) agree, both well-formed.
    fn prefix_agrees(&self, other: &UkPostcode, chars: u8) -> bool {
        let shift = 8 * (8 - u32::from(chars));
        self.well_formed && other.well_formed && (self.packed ^ other.packed) >> shift == 0
    }

    /// Same area (`SW`). Both sides must be well-formed and have the same area length, so
    /// `S` (Sheffield) never agrees with `SW`.
    pub fn same_area(&self, other: &UkPostcode) -> bool {
        self.area_len == other.area_len && self.prefix_agrees(other, self.area_len)
    }

    /// Same district (`SW1A`).
    pub fn same_district(&self, other: &UkPostcode) -> bool {
        self.outward_len == other.outward_len && self.prefix_agrees(other, self.outward_len)
    }

    /// Same sector (`SW1A 1`).
    pub fn same_sector(&self, other: &UkPostcode) -> bool {
        self.outward_len == other.outward_len && self.prefix_agrees(other, self.outward_len + 1)
    }

    /// Exactly the same postcode.
    pub fn same(&self, other: &UkPostcode) -> bool {
        if self.well_formed && other.well_formed {
            self.packed == other.packed
        } else {
            self.full == other.full
        }
    }

    /// `SW`, or `None` when the value is not a well-formed UK postcode.
    pub fn area(&self) -> Option<&str> {
        self.well_formed
            .then(|| &self.full[..usize::from(self.area_len)])
    }

    /// `SW1A`.
    pub fn district(&self) -> Option<&str> {
        self.well_formed
            .then(|| &self.full[..usize::from(self.outward_len)])
    }

    /// `SW1A 1`.
    pub fn sector(&self) -> Option<&str> {
        self.well_formed
            .then(|| &self.full[..usize::from(self.outward_len) + 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_accents_titles_and_punctuation() {
        assert_eq!(normalise_name("  Mr  Seán  O'Brien "), "sean obrien");
        assert_eq!(normalise_name("SMITH-JONES"), "smith jones");
        assert_eq!(
            normalise_name("Dr. Zoë Ann-Marie Smith Jr."),
            "zoe ann marie smith"
        );
        assert_eq!(normalise_name("Mr"), "mr");
        assert_eq!(normalise_name("Mr Mr"), "mr");
        assert_eq!(normalise_name("Łukasz Żółć"), "lukasz zolc");
    }

    #[test]
    fn postcodes_split_into_parts() {
        let p = UkPostcode::parse("sw1a1aa").unwrap();
        assert_eq!(p.full, "SW1A 1AA");
        assert_eq!(p.area(), Some("SW"));
        assert_eq!(p.district(), Some("SW1A"));
        assert_eq!(p.sector(), Some("SW1A 1"));
        let p = UkPostcode::parse("M1 1ae").unwrap();
        assert_eq!(
            (p.area(), p.district(), p.sector()),
            (Some("M"), Some("M1"), Some("M1 1"))
        );
        let (a, b) = (
            UkPostcode::parse("LS1 4AP").unwrap(),
            UkPostcode::parse("ls14bb").unwrap(),
        );
        assert!(a.same_sector(&b) && a.same_district(&b) && a.same_area(&b) && !a.same(&b));
        let s = UkPostcode::parse("S1 4AP").unwrap();
        assert!(!s.same_area(&UkPostcode::parse("SW1 4AP").unwrap()));
        let p = UkPostcode::parse("4011").unwrap();
        assert_eq!((p.full.as_str(), p.district()), ("4011", None));
        assert!(UkPostcode::parse(" - ").is_none());
    }

    #[test]
    fn identifiers_keep_alphanumerics() {
        assert_eq!(normalise_identifier("ab 12-34 56 c"), "AB123456C");
    }
}
