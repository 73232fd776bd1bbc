//! Offences: category, mode of trial, gravity, and the special facts some schemes' rules turn on
//! (drug class, cultivation scale, the context of low-level supply).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The offence categories diversion schemes write their rules in. Each maps to a group of the
/// Home Office offence classification; the exact Home Office code travels separately on the
/// [`Offence`] because forces record it at a finer grain than any scheme's rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceCategory {
    Theft,
    Burglary,
    CriminalDamage,
    DrugPossession,
    /// Cultivation of cannabis (Misuse of Drugs Act 1971 s.6).
    CannabisCultivation,
    /// Supply or possession with intent to supply.
    DrugSupply,
    Fraud,
    PublicOrder,
    ChildNeglect,
    CommonAssault,
    /// Assault occasioning actual bodily harm (OAPA 1861 s.47).
    AssaultOccasioningActualBodilyHarm,
    /// Assault on an emergency worker, including police.
    AssaultOnEmergencyWorker,
    /// Wounding or grievous bodily harm (OAPA 1861 s.18 and s.20).
    WoundingOrGrievousBodilyHarm,
    OffensiveWeapon,
    Harassment,
    MaliciousCommunications,
    CyberCrime,
    Driving,
    Sexual,
    Robbery,
    Other,
}

impl OffenceCategory {
    pub const ALL: [OffenceCategory; 21] = [
        Self::Theft,
        Self::Burglary,
        Self::CriminalDamage,
        Self::DrugPossession,
        Self::CannabisCultivation,
        Self::DrugSupply,
        Self::Fraud,
        Self::PublicOrder,
        Self::ChildNeglect,
        Self::CommonAssault,
        Self::AssaultOccasioningActualBodilyHarm,
        Self::AssaultOnEmergencyWorker,
        Self::WoundingOrGrievousBodilyHarm,
        Self::OffensiveWeapon,
        Self::Harassment,
        Self::MaliciousCommunications,
        Self::CyberCrime,
        Self::Driving,
        Self::Sexual,
        Self::Robbery,
        Self::Other,
    ];

    /// The snake_case name used in policy files and JSON.
    pub fn as_str(self) -> &'static str {
        use OffenceCategory::*;
        match self {
            Theft => "theft",
            Burglary => "burglary",
            CriminalDamage => "criminal_damage",
            DrugPossession => "drug_possession",
            CannabisCultivation => "cannabis_cultivation",
            DrugSupply => "drug_supply",
            Fraud => "fraud",
            PublicOrder => "public_order",
            ChildNeglect => "child_neglect",
            CommonAssault => "common_assault",
            AssaultOccasioningActualBodilyHarm => "assault_occasioning_actual_bodily_harm",
            AssaultOnEmergencyWorker => "assault_on_emergency_worker",
            WoundingOrGrievousBodilyHarm => "wounding_or_grievous_bodily_harm",
            OffensiveWeapon => "offensive_weapon",
            Harassment => "harassment",
            MaliciousCommunications => "malicious_communications",
            CyberCrime => "cyber_crime",
            Driving => "driving",
            Sexual => "sexual",
            Robbery => "robbery",
            Other => "other",
        }
    }
}

impl fmt::Display for OffenceCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an offence can be tried. Only summary-only offences carry the six-month time limit of
/// the Magistrates' Courts Act 1980 s.127.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeOfTrial {
    SummaryOnly,
    EitherWay,
    IndictableOnly,
}

impl ModeOfTrial {
    pub fn as_str(self) -> &'static str {
        match self {
            ModeOfTrial::SummaryOnly => "summary_only",
            ModeOfTrial::EitherWay => "either_way",
            ModeOfTrial::IndictableOnly => "indictable_only",
        }
    }
}

/// A gravity score on the ACPO/NPCC adult matrix: 1 (low) to 4 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Gravity(u8);

impl Gravity {
    pub const MIN: Gravity = Gravity(1);
    pub const MAX: Gravity = Gravity(4);

    pub fn new(score: u8) -> Result<Self, GravityOutOfRange> {
        if (1..=4).contains(&score) {
            Ok(Gravity(score))
        } else {
            Err(GravityOutOfRange(score))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gravity must be between 1 and 4, got {0}")]
pub struct GravityOutOfRange(pub u8);

impl TryFrom<u8> for Gravity {
    type Error = GravityOutOfRange;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Gravity::new(v)
    }
}

impl From<Gravity> for u8 {
    fn from(g: Gravity) -> u8 {
        g.0
    }
}

impl fmt::Display for Gravity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The gravity assessment: a base score for the offence, moved one level up by aggravating
/// factors and one level down by mitigating factors (ACPO adult gravity matrix, 2013).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GravityAssessment {
    pub base: Gravity,
    #[serde(default)]
    pub aggravating: bool,
    #[serde(default)]
    pub mitigating: bool,
}

impl GravityAssessment {
    /// The final score. Both kinds of factor present cancel out; the result stays within 1–4.
    pub fn final_score(&self) -> Gravity {
        let mut score = i16::from(self.base.get());
        if self.aggravating {
            score += 1;
        }
        if self.mitigating {
            score -= 1;
        }
        let clamped = score.clamp(1, 4);
        Gravity(u8::try_from(clamped).unwrap_or(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DrugClass {
    A,
    B,
    C,
}

/// The scale of a cannabis grow, as assessed by the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CultivationScale {
    /// A few plants for the person's own use.
    Small,
    /// A commercial grow (a "cannabis farm").
    Commercial,
}

/// Why the person supplied drugs, as established at interview. Durham's 2017 extension admits
/// low-level suppliers who were vulnerable, coerced, or selling to fund their own use, and keeps
/// commercial and organised supply out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyContext {
    Vulnerable,
    Coerced,
    FundingOwnUse,
    SocialSupply,
    Commercial,
    Organised,
}

impl SupplyContext {
    pub fn as_str(self) -> &'static str {
        match self {
            SupplyContext::Vulnerable => "vulnerable",
            SupplyContext::Coerced => "coerced",
            SupplyContext::FundingOwnUse => "funding_own_use",
            SupplyContext::SocialSupply => "social_supply",
            SupplyContext::Commercial => "commercial",
            SupplyContext::Organised => "organised",
        }
    }
}

/// What the victim said about an out-of-court resolution (Victims' Code: views are sought, but
/// no scheme we model requires consent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VictimViews {
    NoIdentifiableVictim,
    Supports,
    NoObjection,
    Opposes,
    NotYetSought,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    pub views: VictimViews,
    /// The victim would take part in a restorative approach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wants_restorative_justice: Option<bool>,
}

/// The offence the person was arrested for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offence {
    pub category: OffenceCategory,
    /// Home Office offence classification code, e.g. `46` (shoplifting) or `105A` (common assault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_office_code: Option<String>,
    pub description: String,
    /// The day the offence was committed; for a continuing offence, its last day.
    pub offence_date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_in_force_area: Option<bool>,
    pub mode_of_trial: ModeOfTrial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gravity: Option<GravityAssessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug_class: Option<DrugClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cultivation_scale: Option<CultivationScale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_context: Option<SupplyContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hate_crime: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domestic_related: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim: Option<Victim>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessed(base: u8, aggravating: bool, mitigating: bool) -> u8 {
        GravityAssessment {
            base: Gravity::new(base).unwrap(),
            aggravating,
            mitigating,
        }
        .final_score()
        .get()
    }

    #[test]
    fn factors_move_gravity_one_level_within_bounds() {
        assert_eq!(assessed(2, true, false), 3);
        assert_eq!(assessed(2, false, true), 1);
        assert_eq!(assessed(4, true, false), 4);
        assert_eq!(assessed(1, false, true), 1);
        assert_eq!(assessed(3, true, true), 3);
    }

    #[test]
    fn gravity_rejects_out_of_range_scores() {
        assert!(Gravity::new(0).is_err());
        assert!(Gravity::new(5).is_err());
        assert!(serde_json::from_str::<Gravity>("7").is_err());
        assert_eq!(serde_json::from_str::<Gravity>("3").unwrap().get(), 3);
    }

    #[test]
    fn category_names_round_trip_through_serde() {
        for c in OffenceCategory::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
