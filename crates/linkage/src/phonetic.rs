//! Phonetic codes for names: Soundex (a coarse blocking key) and Double Metaphone (a
//! comparison level). Both are computed once per record, never per pair.

use rphonetic::DoubleMetaphone;

/// American Soundex of the letters in `name` (`robert` → `R163`); empty when there are none.
///
/// Written here rather than taken from `rphonetic` because it is ten lines, and blocking calls
/// it for every record of every file.
pub fn soundex(name: &str) -> String {
    fn code(c: u8) -> u8 {
        match c {
            b'b' | b'f' | b'p' | b'v' => b'1',
            b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => b'2',
            b'd' | b't' => b'3',
            b'l' => b'4',
            b'm' | b'n' => b'5',
            b'r' => b'6',
            // Vowels and y separate repeated codes; h and w do not.
            b'h' | b'w' => b'-',
            _ => b'0',
        }
    }
    let mut letters = name
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase());
    let Some(first) = letters.next() else {
        return String::new();
    };
    let mut out = vec![first.to_ascii_uppercase()];
    let mut last = code(first);
    for c in letters {
        let digit = code(c);
        match digit {
            b'-' => continue,
            b'0' => last = b'0',
            d if d != last => {
                out.push(d);
                last = d;
                if out.len() == 4 {
                    break;
                }
            }
            _ => {}
        }
    }
    out.resize(4, b'0');
    String::from_utf8(out).expect("soundex is ASCII")
}

/// Double Metaphone primary and alternate codes (4 characters at most). The alternate equals
/// the primary for most names; comparisons treat either agreeing as a phonetic match.
pub fn double_metaphone(name: &str) -> (String, String) {
    let result = DoubleMetaphone::default().double_metaphone(name);
    (result.primary(), result.alternate())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soundex_matches_the_textbook_examples() {
        for (name, code) in [
            ("robert", "R163"),
            ("rupert", "R163"),
            ("ashcraft", "A261"),
            ("tymczak", "T522"),
            ("pfister", "P236"),
            ("lee", "L000"),
        ] {
            assert_eq!(soundex(name), code, "{name}");
        }
        assert_eq!(soundex(""), "");
    }

    #[test]
    fn double_metaphone_agrees_on_spelling_variants() {
        assert_eq!(double_metaphone("smith").0, double_metaphone("smyth").0);
        // Schmidt: XMT/SMT; Smith: SM0/XMT. They meet across primary and alternate.
        let (p, a) = double_metaphone("schmidt");
        let (q, b) = double_metaphone("smith");
        assert!(p == q || p == b || a == q || a == b);
    }
}
