//! The options forms offer, as (wire name, words) pairs. Wire names are the serde names the
//! JSON API and the referral schema use; [`super::form::parse_enum`] turns them back into the
//! domain's types, so a name that drifted from the domain fails loudly in tests.

pub type Options = &'static [(&'static str, &'static str)];

pub const SEX: Options = &[
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
    ("not_known", "Not known"),
];

pub const ETHNICITY: Options = &[
    ("asian_bangladeshi", "Asian or Asian British: Bangladeshi"),
    ("asian_chinese", "Asian or Asian British: Chinese"),
    ("asian_indian", "Asian or Asian British: Indian"),
    ("asian_pakistani", "Asian or Asian British: Pakistani"),
    (
        "asian_other",
        "Asian or Asian British: any other Asian background",
    ),
    ("black_african", "Black, Black British: African"),
    ("black_caribbean", "Black, Black British: Caribbean"),
    (
        "black_other",
        "Black, Black British: any other Black background",
    ),
    ("mixed_white_and_asian", "Mixed: White and Asian"),
    (
        "mixed_white_and_black_african",
        "Mixed: White and Black African",
    ),
    (
        "mixed_white_and_black_caribbean",
        "Mixed: White and Black Caribbean",
    ),
    ("mixed_other", "Mixed: any other mixed background"),
    (
        "white_british",
        "White: English, Welsh, Scottish, Northern Irish or British",
    ),
    ("white_irish", "White: Irish"),
    (
        "white_gypsy_or_irish_traveller",
        "White: Gypsy or Irish Traveller",
    ),
    ("white_roma", "White: Roma"),
    ("white_other", "White: any other White background"),
    ("other_arab", "Other ethnic group: Arab"),
    ("other_any", "Other ethnic group: any other"),
    ("not_stated", "Not stated"),
];

pub const ETHNIC_GROUP: Options = &[
    ("asian", "Asian"),
    ("black", "Black"),
    ("mixed", "Mixed"),
    ("white", "White"),
    ("other", "Other"),
];

pub const OFFENCE_CATEGORY: Options = &[
    ("theft", "Theft"),
    ("burglary", "Burglary"),
    ("criminal_damage", "Criminal damage"),
    ("drug_possession", "Drug possession"),
    ("cannabis_cultivation", "Cannabis cultivation"),
    ("drug_supply", "Drug supply"),
    ("fraud", "Fraud"),
    ("public_order", "Public order"),
    ("child_neglect", "Child neglect"),
    ("common_assault", "Common assault"),
    (
        "assault_occasioning_actual_bodily_harm",
        "Assault occasioning actual bodily harm",
    ),
    (
        "assault_on_emergency_worker",
        "Assault on an emergency worker",
    ),
    (
        "wounding_or_grievous_bodily_harm",
        "Wounding or grievous bodily harm",
    ),
    ("offensive_weapon", "Offensive weapon"),
    ("harassment", "Harassment"),
    ("malicious_communications", "Malicious communications"),
    ("cyber_crime", "Cyber crime"),
    ("driving", "Driving"),
    ("sexual", "Sexual"),
    ("robbery", "Robbery"),
    ("other", "Other"),
];

pub const MODE_OF_TRIAL: Options = &[
    ("summary_only", "Summary only"),
    ("either_way", "Either way"),
    ("indictable_only", "Indictable only"),
];

pub const GRAVITY: Options = &[
    ("1", "1 (lowest)"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4 (highest)"),
];

pub const DRUG_CLASS: Options = &[("A", "Class A"), ("B", "Class B"), ("C", "Class C")];

pub const CULTIVATION_SCALE: Options = &[
    ("small", "Small: a few plants for own use"),
    ("commercial", "Commercial grow"),
];

pub const SUPPLY_CONTEXT: Options = &[
    ("vulnerable", "Vulnerable"),
    ("coerced", "Coerced or exploited"),
    ("funding_own_use", "Funding their own use"),
    ("social_supply", "Social supply (sharing among friends)"),
    ("commercial", "Commercial"),
    ("organised", "Organised crime"),
];

pub const CONTACT_METHOD: Options = &[
    ("in_person", "In person"),
    ("phone", "Phone"),
    ("video", "Video call"),
    ("message", "Message (text, email, letter)"),
];

/// Why someone opens a person's record (the audit log's justification, DPA 2018 s.62).
pub const VIEW_REASON: Options = &[
    (
        "referral_check",
        "Checking identity or duplicates for a referral",
    ),
    ("case_work", "Working on this person's case"),
    ("supervision", "Supervision or quality check"),
    ("request", "Answering a request about this person"),
    ("other", "Another reason (say what)"),
];

pub const VICTIM_VIEWS: Options = &[
    ("no_identifiable_victim", "No identifiable victim"),
    ("supports", "Supports diversion"),
    ("no_objection", "No objection"),
    ("opposes", "Opposes diversion"),
    ("not_yet_sought", "Not yet sought"),
];

pub const INTERVIEW: Options = &[
    ("admitted", "Admitted the offence"),
    ("no_reply", "No reply"),
    ("denied", "Denied the offence"),
    ("not_interviewed", "Not interviewed"),
];

pub const RISK_BAND: Options = &[("low", "Low"), ("moderate", "Moderate"), ("high", "High")];

pub const VULNERABILITY: Options = &[
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("alcohol", "Alcohol"),
    ("homelessness", "Homelessness"),
    ("exploitation", "Exploitation"),
    ("learning_disability", "Learning disability"),
    ("care_leaver", "Care leaver"),
    ("domestic_abuse_victim", "Victim of domestic abuse"),
];

pub const PARTICIPATION_RESULT: Options = &[
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("not_engaged", "Did not engage"),
    ("declined", "Declined"),
    ("withdrawn", "Withdrawn"),
    ("ongoing", "Ongoing"),
];

/// The circumstances a referral records, each yes / no / not known.
pub const CIRCUMSTANCES: Options = &[
    ("detained_for_court", "Detained to appear at court"),
    (
        "detained_under_mental_health_act",
        "Detained under the Mental Health Act",
    ),
    ("subject_to_court_order", "Subject to a court order"),
    ("on_bail_for_other_matters", "On bail for other matters"),
    (
        "under_statutory_supervision",
        "Under statutory supervision (probation, YOT)",
    ),
    ("co_accused", "Has co-accused"),
];

pub const SCREENING_OUTCOME: Options = &[
    ("eligible", "Eligible"),
    ("ineligible", "Ineligible"),
    ("needs_information", "Needs more information"),
];

pub const ADMISSION: Options = &[
    ("admitted_in_interview", "Admitted the offence in interview"),
    (
        "no_reply_in_interview",
        "No reply in interview (where the policy allows it)",
    ),
    (
        "admitted_on_consent",
        "Admits the offence now, on consenting",
    ),
    ("none_required", "No admission required by this scheme"),
];

pub const PATHWAY: Options = &[
    ("alcohol", "Alcohol"),
    ("drugs", "Drugs"),
    ("housing", "Housing"),
    ("mental_health", "Mental health"),
    ("physical_health", "Physical health"),
    ("finances", "Finances"),
    ("employment", "Employment"),
    ("relationships", "Relationships"),
    ("exploitation", "Exploitation"),
];

pub const SEVERITY: Options = &[
    ("none", "No need"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
];

pub const ABSENCE_REASON: Options = &[
    ("acceptable", "Acceptable reason"),
    ("unacceptable", "Unacceptable (on the person's part)"),
    ("logistical", "Logistics (our side or the provider's)"),
];

pub const CONDITION_STATUS: Options = &[
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("completed", "Completed"),
    ("missed", "Missed"),
    ("waived", "Waived"),
];

/// The screening override codes (the same words as `OverrideCode::label`).
pub const OVERRIDE_CODE: Options = &[
    (
        "officer_discretion_public_interest",
        "Officer discretion on the public interest",
    ),
    (
        "information_policy_could_not_see",
        "Information the policy could not see",
    ),
    ("victim_views", "The victim's views"),
    ("risk_judgement", "Risk judgement"),
    ("vulnerability", "Vulnerability"),
    ("other", "Other"),
];

pub const CONSENT_ANSWER: Options = &[("accepted", "Accepted"), ("declined", "Declined")];

pub const AGREE: Options = &[("yes", "Agree"), ("no", "Disagree")];

pub const SIGNATURE_METHOD: Options = &[
    ("on_screen", "Typed their name on screen"),
    ("paper", "On paper"),
];

pub const REVIEW_DECISION: Options = &[
    ("resume", "Resume the contract"),
    ("fail", "Fail: refer for prosecution"),
];

pub const ATTENDANCE: Options = &[
    ("yes", "Attended"),
    ("late", "Late"),
    ("no", "Did not attend"),
];

pub const PROVIDER_RESPONSE: Options = &[("accepted", "Accepted"), ("rejected", "Rejected")];

pub const ROLES: Options = &[
    ("custody_officer", "Custody officer"),
    ("navigator", "Navigator"),
    ("supervisor", "Supervisor"),
    ("analyst", "Analyst"),
    ("admin", "Administrator"),
];

/// The words for a wire name, or the name itself when it is not in the list.
pub fn label_of(options: Options, value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map_or_else(|| super::words(value), |(_, l)| (*l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::form::parse_enum;
    use checkpoint_app::Role;
    use checkpoint_app::appointments::AbsenceReason;
    use checkpoint_app::offers::Admission;
    use checkpoint_domain::contract::{ConditionStatus, Pathway};
    use checkpoint_domain::lifecycle::ScreeningOutcome;
    use checkpoint_domain::offence::{
        CultivationScale, DrugClass, ModeOfTrial, OffenceCategory, SupplyContext, VictimViews,
    };
    use checkpoint_domain::person::{EthnicGroup, Ethnicity, Sex};
    use checkpoint_domain::referral::{
        InterviewOutcome, ParticipationResult, RiskBand, Vulnerability,
    };

    fn all_parse<T: serde::de::DeserializeOwned>(options: Options) {
        for (value, _) in options {
            assert!(
                parse_enum::<T>(value).is_some(),
                "{value} is not a {}",
                std::any::type_name::<T>()
            );
        }
    }

    #[test]
    fn every_option_is_a_domain_value() {
        all_parse::<Sex>(SEX);
        all_parse::<Ethnicity>(ETHNICITY);
        all_parse::<EthnicGroup>(ETHNIC_GROUP);
        all_parse::<OffenceCategory>(OFFENCE_CATEGORY);
        all_parse::<ModeOfTrial>(MODE_OF_TRIAL);
        all_parse::<DrugClass>(DRUG_CLASS);
        all_parse::<CultivationScale>(CULTIVATION_SCALE);
        all_parse::<SupplyContext>(SUPPLY_CONTEXT);
        all_parse::<checkpoint_app::appointments::ContactMethod>(CONTACT_METHOD);
        all_parse::<VictimViews>(VICTIM_VIEWS);
        all_parse::<InterviewOutcome>(INTERVIEW);
        all_parse::<RiskBand>(RISK_BAND);
        all_parse::<Vulnerability>(VULNERABILITY);
        all_parse::<ParticipationResult>(PARTICIPATION_RESULT);
        all_parse::<ScreeningOutcome>(SCREENING_OUTCOME);
        all_parse::<Admission>(ADMISSION);
        all_parse::<Pathway>(PATHWAY);
        all_parse::<AbsenceReason>(ABSENCE_REASON);
        all_parse::<ConditionStatus>(CONDITION_STATUS);
        all_parse::<checkpoint_app::needs::Severity>(SEVERITY);
        all_parse::<Role>(ROLES);
        all_parse::<checkpoint_app::screening::OverrideCode>(OVERRIDE_CODE);
        for code in checkpoint_app::screening::OverrideCode::ALL {
            assert!(
                OVERRIDE_CODE.contains(&(code.as_str(), code.label())),
                "{code:?}"
            );
        }
        assert_eq!(
            OVERRIDE_CODE.len(),
            checkpoint_app::screening::OverrideCode::ALL.len()
        );
        assert_eq!(OFFENCE_CATEGORY.len(), OffenceCategory::ALL.len());
        assert_eq!(PATHWAY.len(), Pathway::ALL.len());
    }
}
