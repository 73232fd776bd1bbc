//! The person referred: identity, demographics used by the eligibility rules and by the
//! disproportionality analysis.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Sex as recorded at custody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    NotKnown,
}

/// Self-defined ethnicity, the ONS 2021 census categories for England and Wales (the "18+1"
/// codes police forces record, e.g. `W1`, `B2`). Officer-observed ethnicity uses [`EthnicGroup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ethnicity {
    AsianBangladeshi,
    AsianChinese,
    AsianIndian,
    AsianPakistani,
    AsianOther,
    BlackAfrican,
    BlackCaribbean,
    BlackOther,
    MixedWhiteAndAsian,
    MixedWhiteAndBlackAfrican,
    MixedWhiteAndBlackCaribbean,
    MixedOther,
    WhiteBritish,
    WhiteIrish,
    WhiteGypsyOrIrishTraveller,
    WhiteRoma,
    WhiteOther,
    OtherArab,
    OtherAny,
    NotStated,
}

impl Ethnicity {
    /// The ONS 2021 code used in police returns.
    pub fn code(self) -> &'static str {
        use Ethnicity::*;
        match self {
            AsianIndian => "A1",
            AsianPakistani => "A2",
            AsianBangladeshi => "A3",
            AsianChinese => "A4",
            AsianOther => "A9",
            BlackCaribbean => "B1",
            BlackAfrican => "B2",
            BlackOther => "B9",
            MixedWhiteAndBlackCaribbean => "M1",
            MixedWhiteAndBlackAfrican => "M2",
            MixedWhiteAndAsian => "M3",
            MixedOther => "M9",
            OtherArab => "O2",
            OtherAny => "O9",
            WhiteBritish => "W1",
            WhiteIrish => "W2",
            WhiteGypsyOrIrishTraveller => "W3",
            WhiteRoma => "W4",
            WhiteOther => "W9",
            NotStated => "NS",
        }
    }

    /// The five-way high-level group (plus not stated) this category rolls up to.
    pub fn group(self) -> Option<EthnicGroup> {
        use Ethnicity::*;
        Some(match self {
            AsianBangladeshi | AsianChinese | AsianIndian | AsianPakistani | AsianOther => {
                EthnicGroup::Asian
            }
            BlackAfrican | BlackCaribbean | BlackOther => EthnicGroup::Black,
            MixedWhiteAndAsian
            | MixedWhiteAndBlackAfrican
            | MixedWhiteAndBlackCaribbean
            | MixedOther => EthnicGroup::Mixed,
            WhiteBritish | WhiteIrish | WhiteGypsyOrIrishTraveller | WhiteRoma | WhiteOther => {
                EthnicGroup::White
            }
            OtherArab | OtherAny => EthnicGroup::Other,
            NotStated => return None,
        })
    }
}

/// The ONS high-level ethnic groups; officer-observed ethnicity is recorded at this level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EthnicGroup {
    Asian,
    Black,
    Mixed,
    White,
    Other,
}

/// A person as described at the custody desk. Every field that a rule might need but the
/// officer may not know yet is optional: missing means "unknown", never "no".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity_self_defined: Option<Ethnicity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity_officer_observed: Option<EthnicGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Police National Computer identifier, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnc_id: Option<String>,
    /// Whether the person lives in the force area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resides_in_force_area: Option<bool>,
}

/// Whole years between `birth` and `on` (the UK legal convention: a person born on 29 February
/// turns a year older on 1 March in common years).
pub fn age_in_years(birth: Date, on: Date) -> i32 {
    let mut years = i32::from(on.year()) - i32::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_in_years(date(2000, 6, 15), date(2018, 6, 14)), 17);
        assert_eq!(age_in_years(date(2000, 6, 15), date(2018, 6, 15)), 18);
        assert_eq!(age_in_years(date(2000, 2, 29), date(2018, 2, 28)), 17);
        assert_eq!(age_in_years(date(2000, 2, 29), date(2018, 3, 1)), 18);
    }

    #[test]
    fn every_self_defined_category_has_a_distinct_code() {
        use std::collections::HashSet;
        let all = [
            Ethnicity::AsianBangladeshi,
            Ethnicity::AsianChinese,
            Ethnicity::AsianIndian,
            Ethnicity::AsianPakistani,
            Ethnicity::AsianOther,
            Ethnicity::BlackAfrican,
            Ethnicity::BlackCaribbean,
            Ethnicity::BlackOther,
            Ethnicity::MixedWhiteAndAsian,
            Ethnicity::MixedWhiteAndBlackAfrican,
            Ethnicity::MixedWhiteAndBlackCaribbean,
            Ethnicity::MixedOther,
            Ethnicity::WhiteBritish,
            Ethnicity::WhiteIrish,
            Ethnicity::WhiteGypsyOrIrishTraveller,
            Ethnicity::WhiteRoma,
            Ethnicity::WhiteOther,
            Ethnicity::OtherArab,
            Ethnicity::OtherAny,
            Ethnicity::NotStated,
        ];
        let codes: HashSet<_> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
    }
}
