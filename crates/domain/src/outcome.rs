//! Home Office crime outcome codes (the "outcomes framework"), as used in police returns.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Home Office outcome code, 1–23. Published tables also carry 0 ("not yet assigned"), which is
/// not an outcome and is deliberately not representable here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct OutcomeCode(u8);

impl OutcomeCode {
    pub const CHARGE_OR_SUMMONS: OutcomeCode = OutcomeCode(1);
    pub const ADULT_CAUTION: OutcomeCode = OutcomeCode(3);
    pub const COMMUNITY_RESOLUTION: OutcomeCode = OutcomeCode(8);
    pub const PROSECUTION_TIME_LIMIT_EXPIRED: OutcomeCode = OutcomeCode(17);
    pub const DIVERSIONARY_ACTIVITY: OutcomeCode = OutcomeCode(22);
    pub const CHILDRENS_DEFERRED_PROSECUTION: OutcomeCode = OutcomeCode(23);

    pub fn new(code: u8) -> Result<Self, UnknownOutcomeCode> {
        if (1..=23).contains(&code) {
            Ok(OutcomeCode(code))
        } else {
            Err(UnknownOutcomeCode(code))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The Home Office description of the outcome.
    pub fn description(self) -> &'static str {
        match self.0 {
            1 => "Charge/summons",
            2 => "Youth caution",
            3 => "Adult caution",
            4 => "Taken into consideration",
            5 => "Offender died",
            6 => "Penalty notice for disorder",
            7 => "Cannabis/khat warning",
            8 => "Community resolution",
            9 => "Prosecution not in the public interest (CPS)",
            10 => "Formal action not in the public interest (police)",
            11 => "Prosecution prevented: suspect under age",
            12 => "Prosecution prevented: suspect too ill",
            13 => "Prosecution prevented: victim or key witness dead or too ill",
            14 => "Evidential difficulties: suspect not identified; victim does not support",
            15 => "Evidential difficulties: suspect identified; victim supports",
            16 => "Evidential difficulties: suspect identified; victim does not support",
            17 => "Prosecution time limit expired",
            18 => "Investigation complete; no suspect identified",
            19 => "National Fraud Intelligence Bureau filed",
            20 => "Further action by another body",
            21 => "Further investigation not in the public interest (police)",
            22 => {
                "Diversionary, educational or intervention activity undertaken; no further action in the public interest"
            }
            23 => "Children's deferred prosecution",
            _ => "Unknown outcome",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Home Office outcome codes run from 1 to 23, got {0}")]
pub struct UnknownOutcomeCode(pub u8);

impl TryFrom<u8> for OutcomeCode {
    type Error = UnknownOutcomeCode;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        OutcomeCode::new(v)
    }
}

impl From<OutcomeCode> for u8 {
    fn from(c: OutcomeCode) -> u8 {
        c.0
    }
}

impl fmt::Display for OutcomeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Outcome {} ({})", self.0, self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_outside_one_to_twenty_three_are_rejected() {
        assert!(OutcomeCode::new(0).is_err());
        assert!(OutcomeCode::new(24).is_err());
        for c in 1..=23 {
            assert_ne!(
                OutcomeCode::new(c).unwrap().description(),
                "Unknown outcome"
            );
        }
        assert!(
            OutcomeCode::DIVERSIONARY_ACTIVITY
                .to_string()
                .starts_with("Outcome 22")
        );
    }
}
