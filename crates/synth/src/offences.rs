//! Offence templates: the category a scheme's rules use, a Home Office offence code, wording for
//! the custody record, the mode of trial and a base gravity score on the ACPO adult matrix
//! (1–4, domain.md §5).
//!
//! The codes follow the Home Office Counting Rules classification as we understand it
//! (e.g. 46 shoplifting, 105A common assault, 92D/92E possession); they are not verified
//! against the current rules and must not be relied on outside synthetic data.

use checkpoint_domain::offence::{ModeOfTrial, OffenceCategory};

/// One kind of offence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffenceTemplate {
    pub category: OffenceCategory,
    pub home_office_code: &'static str,
    pub description: &'static str,
    pub mode_of_trial: ModeOfTrial,
    pub base_gravity: u8,
    /// Whether a victim exists who can be asked for their views.
    pub has_victim: bool,
    /// Relative frequency among referrals to a Checkpoint-style scheme.
    pub weight: f64,
}

const fn t(
    category: OffenceCategory,
    home_office_code: &'static str,
    description: &'static str,
    mode_of_trial: ModeOfTrial,
    base_gravity: u8,
    has_victim: bool,
    weight: f64,
) -> OffenceTemplate {
    OffenceTemplate {
        category,
        home_office_code,
        description,
        mode_of_trial,
        base_gravity,
        has_victim,
        weight,
    }
}

use ModeOfTrial::{EitherWay, IndictableOnly, SummaryOnly};
use OffenceCategory as C;

/// Offences referred to the deferred prosecution scheme: mostly the categories on Durham's list
/// (domain.md §1: theft, criminal damage, drug possession, public order, common assault …) and
/// some that the policy excludes (ABH, robbery, driving), as custody officers do refer them.
pub const CHECKPOINT_OFFENCES: &[OffenceTemplate] = &[
    t(
        C::Theft,
        "46",
        "Shop theft of goods (synthetic)",
        EitherWay,
        2,
        true,
        20.0,
    ),
    t(
        C::Theft,
        "49",
        "Theft of a bicycle from outside a shop (synthetic)",
        EitherWay,
        2,
        true,
        4.0,
    ),
    t(
        C::Theft,
        "39",
        "Theft of a mobile phone from a person (synthetic)",
        EitherWay,
        3,
        true,
        2.0,
    ),
    t(
        C::CriminalDamage,
        "58C",
        "Damage to a parked car (synthetic)",
        SummaryOnly,
        2,
        true,
        8.0,
    ),
    t(
        C::CriminalDamage,
        "58A",
        "Damage to a house window (synthetic)",
        SummaryOnly,
        2,
        true,
        4.0,
    ),
    t(
        C::CommonAssault,
        "105A",
        "Common assault in a town-centre bar (synthetic)",
        SummaryOnly,
        2,
        true,
        12.0,
    ),
    t(
        C::AssaultOnEmergencyWorker,
        "104",
        "Assault on a police officer during arrest, no injury (synthetic)",
        EitherWay,
        3,
        true,
        4.0,
    ),
    t(
        C::PublicOrder,
        "125",
        "Threatening behaviour in the street (synthetic)",
        SummaryOnly,
        2,
        false,
        8.0,
    ),
    t(
        C::PublicOrder,
        "66",
        "Drunk and disorderly conduct (synthetic)",
        SummaryOnly,
        1,
        false,
        3.0,
    ),
    t(
        C::DrugPossession,
        "92E",
        "Possession of cannabis (synthetic)",
        EitherWay,
        1,
        false,
        6.0,
    ),
    t(
        C::DrugPossession,
        "92D",
        "Possession of cocaine (synthetic)",
        EitherWay,
        2,
        false,
        3.0,
    ),
    t(
        C::CannabisCultivation,
        "92A",
        "Cultivation of cannabis plants at home (synthetic)",
        EitherWay,
        2,
        false,
        2.0,
    ),
    t(
        C::DrugSupply,
        "92A",
        "Supply of cannabis to friends (synthetic)",
        EitherWay,
        3,
        false,
        2.0,
    ),
    t(
        C::Fraud,
        "53A",
        "Fraud by false representation, online purchase (synthetic)",
        EitherWay,
        2,
        true,
        3.0,
    ),
    t(
        C::Burglary,
        "30",
        "Burglary of a garden shed (synthetic)",
        EitherWay,
        3,
        true,
        3.0,
    ),
    t(
        C::OffensiveWeapon,
        "10D",
        "Possession of a bladed article in public (synthetic)",
        EitherWay,
        3,
        false,
        3.0,
    ),
    t(
        C::Harassment,
        "8L",
        "Harassment of a former partner's friend (synthetic)",
        SummaryOnly,
        2,
        true,
        3.0,
    ),
    t(
        C::MaliciousCommunications,
        "8R",
        "Sending offensive messages (synthetic)",
        EitherWay,
        2,
        true,
        2.0,
    ),
    t(
        C::CyberCrime,
        "200",
        "Unauthorised access to an account (synthetic)",
        EitherWay,
        2,
        true,
        1.0,
    ),
    t(
        C::ChildNeglect,
        "11",
        "Leaving a young child alone at home (synthetic)",
        EitherWay,
        3,
        true,
        0.5,
    ),
    // Offences the Durham policy does not admit, referred anyway.
    t(
        C::AssaultOccasioningActualBodilyHarm,
        "8N",
        "Assault occasioning actual bodily harm (synthetic)",
        EitherWay,
        3,
        true,
        4.0,
    ),
    t(
        C::Robbery,
        "34B",
        "Robbery of personal property (synthetic)",
        IndictableOnly,
        4,
        true,
        1.0,
    ),
    t(
        C::Driving,
        "803",
        "Drink driving (synthetic)",
        SummaryOnly,
        3,
        false,
        1.5,
    ),
    t(
        C::WoundingOrGrievousBodilyHarm,
        "8F",
        "Wounding with intent (synthetic)",
        IndictableOnly,
        4,
        true,
        0.5,
    ),
];

/// Offences referred to the drug diversion schemes (DIVERT, DEP): possession, with a few supply
/// cases the rules exclude.
pub const DRUG_OFFENCES: &[OffenceTemplate] = &[
    t(
        C::DrugPossession,
        "92E",
        "Possession of cannabis (synthetic)",
        EitherWay,
        1,
        false,
        60.0,
    ),
    t(
        C::DrugPossession,
        "92D",
        "Possession of cocaine (synthetic)",
        EitherWay,
        2,
        false,
        25.0,
    ),
    t(
        C::DrugPossession,
        "92D",
        "Possession of ketamine (synthetic)",
        EitherWay,
        2,
        false,
        8.0,
    ),
    t(
        C::DrugSupply,
        "92A",
        "Possession with intent to supply cannabis (synthetic)",
        EitherWay,
        3,
        false,
        7.0,
    ),
];

/// A template drawn by weight.
pub fn pick<'a>(
    rng: &mut crate::rng::Rng,
    templates: &'a [OffenceTemplate],
) -> &'a OffenceTemplate {
    let weights: Vec<f64> = templates.iter().map(|o| o.weight).collect();
    &templates[rng.weighted(&weights)]
}

/// Categories the Durham policy (2017) admits; others make a referral ineligible.
pub fn durham_admits(category: OffenceCategory) -> bool {
    !matches!(
        category,
        C::AssaultOccasioningActualBodilyHarm
            | C::Robbery
            | C::Driving
            | C::WoundingOrGrievousBodilyHarm
            | C::Sexual
            | C::Other
    )
}
