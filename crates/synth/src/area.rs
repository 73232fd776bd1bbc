//! The fictional force area, "Ridgedale", and its postcodes.
//!
//! Every postcode generated here starts with the letter Q. Royal Mail never uses Q, V or X as
//! the first letter of a postcode area, so `QX…` (inside Ridgedale) and `QY…` (its fictional
//! neighbour, for people living outside the force area) cannot be real addresses, and nothing
//! generated can be mistaken for, or matched against, a real person's home.

use crate::rng::Rng;

/// The postcode area inside the force.
pub const HOME_AREA: &str = "QX";
/// A neighbouring (equally fictional) area, for people who live outside the force.
pub const NEIGHBOUR_AREA: &str = "QY";
/// Districts QX1 … QX18; lower numbers are the denser town centres and draw more arrests.
pub const HOME_DISTRICTS: usize = 18;
const NEIGHBOUR_DISTRICTS: usize = 9;

/// The letters Royal Mail allows in the last two places of the inward code.
const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// The force's name, for custody references and the demo's banner.
pub const FORCE_NAME: &str = "Ridgedale Police (fictional)";
/// The prefix of custody references, e.g. `QX/CU/2024/004512`.
pub const CUSTODY_PREFIX: &str = "QX/CU";

/// A postcode in the given area and district.
pub fn postcode_in(rng: &mut Rng, area: &str, district: usize) -> String {
    let a = UNIT_LETTERS[rng.below(UNIT_LETTERS.len())] as char;
    let b = UNIT_LETTERS[rng.below(UNIT_LETTERS.len())] as char;
    format!("{area}{district} {}{a}{b}", rng.below(10))
}

/// A home postcode: inside the force area unless `outside`.
pub fn home_postcode(rng: &mut Rng, outside: bool) -> String {
    if outside {
        let district = 1 + rng.below(NEIGHBOUR_DISTRICTS);
        postcode_in(rng, NEIGHBOUR_AREA, district)
    } else {
        let district = 1 + rng.zipf(HOME_DISTRICTS);
        postcode_in(rng, HOME_AREA, district)
    }
}

/// The area and district number of a postcode this module made (`QX12 3AB` → (`QX`, 12)).
pub fn area_and_district(postcode: &str) -> (&str, usize) {
    let outward = postcode.split(' ').next().unwrap_or(postcode);
    let split = outward
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(outward.len());
    let (area, district) = outward.split_at(split);
    (area, district.parse().unwrap_or(1))
}

/// A move: half the time within the same district, otherwise anywhere in the force area.
pub fn moved_postcode(rng: &mut Rng, from: &str) -> String {
    let (area, district) = area_and_district(from);
    if rng.chance(0.5) {
        postcode_in(rng, area, district)
    } else {
        home_postcode(rng, false)
    }
}

/// A Police National Computer id in the usual shape (`YY/NNNNNNNL`): the year the record was
/// created, a serial and a check letter. The serials come from our generator, so they are
/// fictional; the check letter is our own checksum, not the PNC's.
pub fn pnc_id(rng: &mut Rng, created_year: i16) -> String {
    let serial = rng.below(10_000_000);
    let check = b"ABCDEFGHJKLMNPQRTUVWXYZ"[serial % 23] as char;
    format!("{:02}/{serial:07}{check}", created_year.rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_fictional_and_parse_back() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let home = home_postcode(&mut rng, false);
            assert!(home.starts_with("QX"), "{home}");
            let (area, district) = area_and_district(&home);
            assert_eq!(area, "QX");
            assert!((1..=HOME_DISTRICTS).contains(&district));
            assert!(home_postcode(&mut rng, true).starts_with("QY"));
            assert!(moved_postcode(&mut rng, &home).starts_with('Q'));
        }
    }
}
