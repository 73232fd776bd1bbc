//! The nickname table (`data/nicknames.txt`, compiled into the crate): which given names are
//! the same name to a person filling in a form (Bill/William, Liz/Elizabeth, Mo/Mohammed).

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/nicknames.txt");

/// Name → the groups it belongs to, sorted. Built once, on first use.
fn groups_by_name() -> &'static HashMap<&'static str, Vec<u16>> {
    static MAP: OnceLock<HashMap<&'static str, Vec<u16>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<u16>> = HashMap::new();
        let lines = TABLE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        for (group, line) in lines.enumerate() {
            let group = u16::try_from(group).expect("fewer than 65536 nickname groups");
            let (formal, variants) = line.split_once(':').expect("nickname line has a colon");
            for name in std::iter::once(formal).chain(variants.split_whitespace()) {
                let entry = map.entry(name.trim()).or_default();
                if !entry.contains(&group) {
                    entry.push(group);
                }
            }
        }
        for groups in map.values_mut() {
            groups.sort_unstable();
        }
        map
    })
}

/// The nickname groups of a normalised given name (empty when the name is in none).
pub fn groups(normalised_name: &str) -> &'static [u16] {
    groups_by_name()
        .get(normalised_name)
        .map_or(&[], Vec::as_slice)
}

/// Whether two sorted group lists share a group.
pub fn share_group(a: &[u16], b: &[u16]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// How many name pairs the table relates (for documentation and tests).
pub fn pair_count() -> usize {
    TABLE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_uk_nicknames_agree() {
        for (a, b) in [
            ("bill", "william"),
            ("bob", "robert"),
            ("liz", "elizabeth"),
            ("mo", "mohammed"),
            ("muhammad", "mohamed"),
            ("alex", "alexandra"),
            ("alex", "alexander"),
        ] {
            assert!(share_group(groups(a), groups(b)), "{a}/{b}");
        }
        assert!(!share_group(groups("bill"), groups("robert")));
        assert!(groups("zebedee").is_empty());
        assert!(pair_count() >= 300);
    }
}
