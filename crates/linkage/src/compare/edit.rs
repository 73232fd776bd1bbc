//! String similarity primitives, written so that `f(a, b) == f(b, a)` exactly.

/// Jaro–Winkler similarity with the arguments put in a fixed order first: the textbook
/// measure is symmetric, but a greedy implementation can differ by a rounding step, and a level
/// must never depend on which file a record came from.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    strsim::jaro_winkler(x, y)
}

/// Whether `a` and `b` are at most one edit apart, counting an insertion, a deletion, a
/// substitution or a swap of two adjacent characters as one edit (Damerau–Levenshtein ≤ 1).
/// Linear time, no allocation: identifiers are compared for every candidate pair.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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
    fn jaro_winkler_is_ordered() {
        assert_eq!(
            jaro_winkler("martha", "marhta"),
            jaro_winkler("marhta", "martha")
        );
        assert!(jaro_winkler("martha", "marhta") > 0.95);
    }
}
