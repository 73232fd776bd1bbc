//! String similarity primitives, written so that `f(a, b) == f(b, a)` exactly.

/// Jaro–Winkler similarity with the arguments put in a fixed order first: the textbook
/// measure is symmetric, but a greedy implementation can differ by a rounding step, and a level
/// must never depend on which file a record came from.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    if x.is_ascii() && y.is_ascii() && x.len() <= ASCII_MAX && y.len() <= ASCII_MAX {
        ascii_jaro_winkler(x.as_bytes(), y.as_bytes())
    } else {
        strsim::jaro_winkler(x, y)
    }
}

/// [`jaro_winkler`] of two ASCII byte strings (normalised values always are).
pub fn jaro_winkler_bytes(a: &[u8], b: &[u8]) -> f64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    if x.len() <= ASCII_MAX && y.len() <= ASCII_MAX {
        ascii_jaro_winkler(x, y)
    } else {
        strsim::jaro_winkler(&String::from_utf8_lossy(x), &String::from_utf8_lossy(y))
    }
}

/// Longest value the allocation-free path handles; longer ones go to `strsim`.
const ASCII_MAX: usize = 64;

/// `strsim::jaro_winkler`'s exact arithmetic on bytes with flags on the stack: normalised
/// values are ASCII, and this runs for every candidate pair (it was a third of a FEBRL run).
fn ascii_jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let jaro = ascii_jaro(a, b);
    if jaro > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

fn ascii_jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let range = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_flags = [false; ASCII_MAX];
    let mut b_flags = [false; ASCII_MAX];
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = (i + range + 1).min(b.len());
        for j in lo..hi {
            if !b_flags[j] && b[j] == x {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0;
    for (i, &x) in a.iter().enumerate() {
        if a_flags[i] {
            while !b_flags[j] {
                j += 1;
            }
            if x != b[j] {
                transpositions += 1;
            }
            j += 1;
        }
    }
    let m = matches as f64;
    let t = (transpositions / 2) as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

/// Whether `a` and `b` are at most one edit apart, counting an insertion, a deletion, a
/// substitution or a swap of two adjacent characters as one edit (Damerau–Levenshtein ≤ 1).
/// Linear time, no allocation: identifiers are compared for every candidate pair.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    within_one_edit_bytes(a.as_bytes(), b.as_bytes())
}

/// [`within_one_edit`] on bytes.
pub fn within_one_edit_bytes(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let mut diffs = short
                .iter()
                .zip(long)
                .enumerate()
                .filter(|(_, (x, y))| x != y);
            match (diffs.next(), diffs.next(), diffs.next()) {
                (None, _, _) | (Some(_), None, _) => true,
                (Some((i, _)), Some((j, _)), None) => {
                    j == i + 1 && short[i] == long[j] && short[j] == long[i]
                }
                _ => false,
            }
        }
        1 => {
            let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_cases() {
        assert!(within_one_edit("1234567", "1234567"));
        assert!(within_one_edit("1234567", "1234568"));
        assert!(within_one_edit("1234567", "1243567"));
        assert!(within_one_edit("1234567", "123567"));
        assert!(within_one_edit("123567", "1234567"));
        assert!(within_one_edit("", "1"));
        assert!(!within_one_edit("1234567", "1243568"));
        assert!(!within_one_edit("1234567", "12345"));
        assert!(!within_one_edit("1234567", "1324576"));
    }

    #[test]
    fn ascii_path_equals_strsim() {
        let words = [
            "martha",
            "marhta",
            "dixon",
            "dicksonx",
            "jellyfish",
            "smellyfish",
            "",
            "a",
            "abcdefghijklmnopqrstuvwxyz",
            "zyxwvutsrqponmlkjihgfedcba",
            "crate",
            "trace",
            "dwayne",
            "duane",
            "smith",
            "smyth",
            "ab",
            "ba",
            "aaaa",
            "aaab",
        ];
        for a in words {
            for b in words {
                let (x, y) = if a <= b { (a, b) } else { (b, a) };
                assert_eq!(jaro_winkler(a, b), strsim::jaro_winkler(x, y), "{a}/{b}");
            }
        }
    }

    #[test]
    fn jaro_winkler_is_ordered() {
        assert_eq!(
            jaro_winkler("martha", "marhta"),
            jaro_winkler("marhta", "martha")
        );
        assert!(jaro_winkler("martha", "marhta") > 0.95);
    }
}
