//! The read model's category codes (migration 0011): `report_case_facts` stores each category
//! as a small integer, not its name. A million rows are then read as numbers (no text to
//! copy, check and look up per value).
//!
//! The numbers are stored: never renumber a code, only add new ones (or raise the stored
//! format, `checkpoint_store::report_projection`, with a migration that marks every case
//! stale). A new variant of one of these enums fails to compile here until it has a code.

use checkpoint_domain::lifecycle::TrialArm;
use checkpoint_domain::person::{EthnicGroup, Ethnicity, Sex};
use checkpoint_evaluation::records::{AgeBand, Ending, FunnelStage};

/// A category stored by code.
pub trait Coded: Copy + PartialEq + serde::Serialize + 'static {
    /// The read model's name for the field it is stored in (errors name it).
    const KIND: &'static str;
    /// Every value, in code order.
    const ALL: &'static [Self];
    fn code(self) -> i16;
    fn from_code(code: i16) -> Option<Self>;
}

macro_rules! coded {
    ($type:ty, $kind:literal { $($variant:path = $code:literal),+ $(,)? }) => {
        impl Coded for $type {
            const KIND: &'static str = $kind;
            const ALL: &'static [Self] = &[$($variant),+];

            fn code(self) -> i16 {
                match self {
                    $($variant => $code),+
                }
            }

            fn from_code(code: i16) -> Option<Self> {
                match code {
                    $($code => Some($variant),)+
                    _ => None,
                }
            }
        }
    };
}

coded!(FunnelStage, "funnel_stage" {
    FunnelStage::Referred = 0,
    FunnelStage::Eligible = 1,
    FunnelStage::Offered = 2,
    FunnelStage::Accepted = 3,
});

coded!(Ending, "ending" {
    Ending::Ineligible = 0,
    Ending::Declined = 1,
    Ending::Completed = 2,
    Ending::Failed = 3,
    Ending::Withdrawn = 4,
});

coded!(Ethnicity, "ethnicity_self_defined" {
    Ethnicity::AsianBangladeshi = 0,
    Ethnicity::AsianChinese = 1,
    Ethnicity::AsianIndian = 2,
    Ethnicity::AsianPakistani = 3,
    Ethnicity::AsianOther = 4,
    Ethnicity::BlackAfrican = 5,
    Ethnicity::BlackCaribbean = 6,
    Ethnicity::BlackOther = 7,
    Ethnicity::MixedWhiteAndAsian = 8,
    Ethnicity::MixedWhiteAndBlackAfrican = 9,
    Ethnicity::MixedWhiteAndBlackCaribbean = 10,
    Ethnicity::MixedOther = 11,
    Ethnicity::WhiteBritish = 12,
    Ethnicity::WhiteIrish = 13,
    Ethnicity::WhiteGypsyOrIrishTraveller = 14,
    Ethnicity::WhiteRoma = 15,
    Ethnicity::WhiteOther = 16,
    Ethnicity::OtherArab = 17,
    Ethnicity::OtherAny = 18,
    Ethnicity::NotStated = 19,
});

coded!(EthnicGroup, "ethnicity_officer_observed" {
    EthnicGroup::Asian = 0,
    EthnicGroup::Black = 1,
    EthnicGroup::Mixed = 2,
    EthnicGroup::White = 3,
    EthnicGroup::Other = 4,
});

coded!(Sex, "sex" {
    Sex::Female = 0,
    Sex::Male = 1,
    Sex::Other = 2,
    Sex::NotKnown = 3,
});

coded!(AgeBand, "age_band" {
    AgeBand::Age10To17 = 0,
    AgeBand::Age18To24 = 1,
    AgeBand::Age25To34 = 2,
    AgeBand::Age35To49 = 3,
    AgeBand::Age50Plus = 4,
    AgeBand::Unknown = 5,
});

coded!(TrialArm, "trial_arm" {
    TrialArm::Treatment = 0,
    TrialArm::Control = 1,
});

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Coded + std::fmt::Debug>() {
        for (position, &value) in T::ALL.iter().enumerate() {
            assert_eq!(value.code(), position as i16, "{} {value:?}", T::KIND);
            assert_eq!(T::from_code(value.code()), Some(value));
        }
        assert_eq!(T::from_code(-1), None);
        assert_eq!(T::from_code(T::ALL.len() as i16), None);
    }

    #[test]
    fn every_code_reads_back_as_its_value_and_no_other_code_reads_at_all() {
        round_trips::<FunnelStage>();
        round_trips::<Ending>();
        round_trips::<Ethnicity>();
        round_trips::<EthnicGroup>();
        round_trips::<Sex>();
        round_trips::<AgeBand>();
        round_trips::<TrialArm>();
    }
}
